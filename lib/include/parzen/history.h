/*
 * Trial history of one study, laid out for the suggesters.
 *
 * Trials are slots indexed by trial number (numbers of a study are dense:
 * 0, 1, 2, ...). Each slot holds the params vector, the state, the loss
 * and, for a pruned trial, the last step it reported. For every hyperparameter the history also keeps the trial numbers
 * where it is active sorted by value, updated by insertion as trials
 * arrive, so that a suggestion never sorts: building the univariate Parzen
 * estimators is one pass over these arrays.
 *
 * The history borrows the space; the space must outlive it.
 */
#ifndef PZ_HISTORY_H
#define PZ_HISTORY_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include <parzen/error.h>
#include <parzen/space.h>

enum pz_trial_state {
	PZ_TRIAL_NONE = 0, /* empty slot */
	PZ_TRIAL_PENDING,  /* running or queued: params known, no loss */
	PZ_TRIAL_OK,
	PZ_TRIAL_FAIL,
	PZ_TRIAL_PRUNED,   /* stopped early: last step and value known */
};

struct pz_history {
	const struct pz_space *space;
	size_t n_slots; /* 1 + highest trial number seen */
	size_t cap;
	double *values;       /* n_slots x n_params, row-major */
	double *loss;         /* ok: the loss; pruned: its value (the
	                       * last reported one, or NAN); else NAN */
	int64_t *step;        /* pruned: its last reported step, or -1
	                       * if it reported none; else -1 */
	unsigned char *state; /* enum pz_trial_state */
	uint32_t **sorted;    /* per param: trial numbers by (value, number) */
	size_t *n_sorted;
	size_t *cap_sorted;
	size_t n_trials, n_ok, n_fail, n_pending, n_pruned;
	uint64_t n_removed; /* pz_history_remove calls (caches check it) */
};

int pz_history_create(const struct pz_space *space, struct pz_history **out);
void pz_history_destroy(struct pz_history *h);

/*
 * Add trial `number` with `values` (a params vector, copied). `state` is
 * PENDING, OK (loss must be finite), FAIL or PRUNED (loss is its value,
 * NAN if none; its step is -1 until pz_history_set_pruned gives one).
 * PZ_EEXIST if the number is taken, PZ_ERANGE for numbers >= 2^32 - 1.
 */
int pz_history_add(struct pz_history *h, uint64_t number, const double *values,
                   enum pz_trial_state state, double loss);

/*
 * Fill an empty history with trials 0..n-1 at once: `values` holds n
 * params vectors one after the other, `states` and `losses` n entries
 * each (losses of trials that are neither OK nor PRUNED are ignored;
 * PRUNED ones get step -1, to be set by pz_history_set_pruned). This
 * sorts each label's index once, O(n log n), where n calls of pz_history_add cost
 * O(n^2) for a study read back from the database. PZ_EEXIST if h is not
 * empty; h is left empty on failure.
 */
int pz_history_fill(struct pz_history *h, size_t n, const double *values,
                    const unsigned char *states, const double *losses);

/* Change the state (and loss) of an existing trial; a PRUNED one gets
 * step -1 (none reported). */
int pz_history_set(struct pz_history *h, uint64_t number,
                   enum pz_trial_state state, double loss);

/*
 * Make an existing trial PRUNED at its last reported `step` (-1: it
 * reported none) with `value`, the value it reported there (or the loss
 * its worker told; NAN if none). PZ_EINVAL for a step < -1.
 */
int pz_history_set_pruned(struct pz_history *h, uint64_t number,
                          int64_t step, double value);

/*
 * The order in which the suggesters rank finished trials, best first, as
 * Optuna's TPE does: every OK trial, by loss; then every PRUNED trial,
 * the one that reached a later step first (a pruned trial ranks below
 * every trial that got further), and among those that stopped at the
 * same step the lower value first (NAN as +inf); ties by trial number.
 * FAIL and PENDING trials are not ranked (each suggester says where
 * they go: after all of these). pz_history_ranked() says whether a slot
 * takes part; pz_history_ranks_before(h, a, b) whether trial a comes
 * strictly before trial b (both ranked).
 */
static inline int pz_history_ranked(const struct pz_history *h, size_t t)
{
	return h->state[t] == PZ_TRIAL_OK || h->state[t] == PZ_TRIAL_PRUNED;
}

static inline int pz_history_ranks_before(const struct pz_history *h,
                                          size_t a, size_t b)
{
	int pa = h->state[a] == PZ_TRIAL_PRUNED;
	int pb = h->state[b] == PZ_TRIAL_PRUNED;
	double la = h->loss[a], lb = h->loss[b];

	if (pa != pb)
		return pb; /* ok before pruned */
	if (pa && h->step[a] != h->step[b])
		return h->step[a] > h->step[b];
	if (isnan(la) || isnan(lb)) /* only a pruned trial's value */
		return isnan(la) == isnan(lb) ? a < b : isnan(lb);
	if (la != lb)
		return la < lb;
	return a < b;
}

/* Ranked trials in h (OK and PRUNED). */
static inline size_t pz_history_n_ranked(const struct pz_history *h)
{
	return h->n_ok + h->n_pruned;
}

/* Forget trial `number` entirely. */
int pz_history_remove(struct pz_history *h, uint64_t number);

static inline const double *pz_history_row(const struct pz_history *h,
                                           size_t number)
{
	return h->values + number * (size_t)h->space->n_params;
}

#endif
