/*
 * Trial history of one study, laid out for the suggesters.
 *
 * Trials are slots indexed by trial number (numbers of a study are dense:
 * 0, 1, 2, ...). Each slot holds the params vector, the state and the
 * loss. For every hyperparameter the history also keeps the trial numbers
 * where it is active sorted by value, updated by insertion as trials
 * arrive, so that a suggestion never sorts: building the univariate Parzen
 * estimators is one pass over these arrays.
 *
 * The history borrows the space; the space must outlive it.
 */
#ifndef PZ_HISTORY_H
#define PZ_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include <parzen/error.h>
#include <parzen/space.h>

enum pz_trial_state {
	PZ_TRIAL_NONE = 0, /* empty slot */
	PZ_TRIAL_PENDING,  /* running or queued: params known, no loss */
	PZ_TRIAL_OK,
	PZ_TRIAL_FAIL,
};

struct pz_history {
	const struct pz_space *space;
	size_t n_slots; /* 1 + highest trial number seen */
	size_t cap;
	double *values;       /* n_slots x n_params, row-major */
	double *loss;         /* NAN unless ok */
	unsigned char *state; /* enum pz_trial_state */
	uint32_t **sorted;    /* per param: trial numbers by (value, number) */
	size_t *n_sorted;
	size_t *cap_sorted;
	size_t n_trials, n_ok, n_fail, n_pending;
	uint64_t n_removed; /* pz_history_remove calls (caches check it) */
};

int pz_history_create(const struct pz_space *space, struct pz_history **out);
void pz_history_destroy(struct pz_history *h);

/*
 * Add trial `number` with `values` (a params vector, copied). `state` is
 * PENDING, OK (loss must be finite) or FAIL. PZ_EEXIST if the number is
 * taken, PZ_ERANGE for numbers >= 2^32 - 1.
 */
int pz_history_add(struct pz_history *h, uint64_t number, const double *values,
                   enum pz_trial_state state, double loss);

/*
 * Fill an empty history with trials 0..n-1 at once: `values` holds n
 * params vectors one after the other, `states` and `losses` n entries
 * each (losses of trials that are not OK are ignored). This sorts each
 * label's index once, O(n log n), where n calls of pz_history_add cost
 * O(n^2) for a study read back from the database. PZ_EEXIST if h is not
 * empty; h is left empty on failure.
 */
int pz_history_fill(struct pz_history *h, size_t n, const double *values,
                    const unsigned char *states, const double *losses);

/* Change the state (and loss) of an existing trial. */
int pz_history_set(struct pz_history *h, uint64_t number,
                   enum pz_trial_state state, double loss);

/* Forget trial `number` entirely. */
int pz_history_remove(struct pz_history *h, uint64_t number);

static inline const double *pz_history_row(const struct pz_history *h,
                                           size_t number)
{
	return h->values + number * (size_t)h->space->n_params;
}

#endif
