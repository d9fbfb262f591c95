/*
 * Intermediate values of one study's trials ("reports"), kept in memory
 * for the pruners (prune.h).
 *
 * A trial reports a finite value at an integer step >= 0 (an epoch, or
 * any resource count) as it trains. The store keeps, per trial number,
 * the trial's reports as two parallel arrays sorted by step, its state
 * as far as pruning cares, and the pruner's decision once there is one;
 * and, per distinct step, a column of (trial number, value) for every
 * trial that reported at that step, found through a hash table. The
 * pruners ask two questions: "what did this trial report so far" (its
 * arrays) and "what did the other trials report at step s" (the column
 * of s, without visiting trials that never reached s).
 *
 * Costs, for N trials, k reports per trial, m reports at one step:
 *   add        O(1) amortized when a trial's steps arrive in increasing
 *              order (the usual case: a binary search is skipped by a
 *              look at the last step); O(log k + k) for an earlier step
 *              (binary search, then a move); plus an expected O(1) hash
 *              look-up and append for the column. Never O(N).
 *   value at   O(log k) (binary search in the trial's steps).
 *   column     O(1) expected to find, then the m entries are contiguous.
 *   set_state  O(1).   clear  O(k + sum of the m of its steps).
 *   memory     28 bytes per report (16 in the trial's arrays, 12 in the
 *              column), up to twice that while arrays grow by doubling;
 *              48 bytes per trial slot; 32 bytes per distinct step plus
 *              8 in the hash table. 10,000 trials x 100 steps = 10^6
 *              reports take 28 to 56 MB.
 * So a median decision at 10,000 trials x 100 steps reads one column of
 * at most 10,000 values (tens of microseconds), never the 10^6 reports.
 *
 * Trial numbers are dense in a study (0, 1, 2, ...); slots are created
 * as numbers are first seen. Reports may be loaded in any order, but a
 * finished trial (OK, FAIL, PRUNED) and a trial the pruner stopped take
 * no new steps, so at start-up a loader adds a trial's reports before it
 * sets the trial's final state and decision.
 *
 * The same step reported again: a value equal to the stored one (==)
 * is accepted and changes
 * nothing (*added = 0), so a worker may resend a report whose reply it
 * lost; a different value is PZ_EEXIST and the stored one is kept. The
 * pruners judge a trial at its last (highest) step, whichever report
 * arrived last, so a resent or late report is judged again at that step
 * against the history as it is now (see prune.h).
 *
 * Not thread-safe; readers and the writer share one thread, or the
 * caller locks. Pointers into the store (trials, columns, their arrays)
 * are valid until the next call that changes it.
 */
#ifndef PZ_REPORTS_H
#define PZ_REPORTS_H

#include <stddef.h>
#include <stdint.h>

#include <parzen/error.h>

/*
 * A trial's state as the pruners see it (the daemon maps its own:
 * queued and running are RUNNING).
 */
enum pz_report_state {
	PZ_REPORT_RUNNING = 0, /* queued or running: may still report */
	PZ_REPORT_OK,          /* finished with a loss ("complete") */
	PZ_REPORT_FAIL,        /* finished without one */
	PZ_REPORT_PRUNED,      /* told "pruned" by its worker */
};

/* Steps are at most 2^53 - 1, the largest integer every JSON reader keeps
 * exactly (the protocol's bound for ids and steps). */
#define PZ_REPORT_STEP_MAX INT64_C(9007199254740991)

struct pz_report_trial {
	int64_t *steps;  /* ascending, n of them */
	double *values;  /* values[i] was reported at steps[i] */
	uint32_t n, cap;
	int64_t last;        /* steps[n - 1], or -1: scans read no arrays */
	int64_t prune_step;  /* the step the pruner stopped it at, or -1 */
	unsigned char state; /* enum pz_report_state */
	unsigned char used;  /* the slot holds a trial */
};

struct pz_report_column {
	int64_t step;
	uint32_t *numbers; /* trials that reported at `step`, in no order */
	double *values;    /* values[i] is numbers[i]'s value at `step` */
	uint32_t n, cap;
};

struct pz_reports {
	struct pz_report_trial *trials; /* by number, n_slots of them */
	size_t n_slots, cap_slots;
	struct pz_report_column *columns; /* in order of first use */
	size_t n_columns, cap_columns;
	uint32_t *hash; /* open addressing: column index + 1, 0 = empty */
	size_t hash_cap;
	size_t n_trials;  /* used slots */
	size_t n_reports;
	size_t n_ok;      /* trials in state OK */
	int64_t first_ok; /* lowest-numbered OK trial with a report, or -1 */
};

int pz_reports_create(struct pz_reports **out);
void pz_reports_destroy(struct pz_reports *r);

/*
 * Record that trial `number` reported `value` at `step` (the trial's slot
 * is created in state RUNNING if it is new). *added (may be NULL) is 1
 * for a new report, 0 for the same step with the same value. Errors, all
 * leaving the store unchanged: PZ_EINVAL for a non-finite value,
 * PZ_ERANGE for a step outside [0, PZ_REPORT_STEP_MAX] or a number >=
 * 2^32 - 1, PZ_EEXIST for a stored step with a different value,
 * PZ_ESTATE for a new step of a finished trial or one the pruner
 * stopped, PZ_ENOMEM. `err` (may be NULL) gets a sentence.
 */
int pz_reports_add(struct pz_reports *r, uint64_t number, int64_t step,
                   double value, int *added, struct pz_error *err);

/*
 * Set the state of trial `number` (the slot is created if new). A
 * finished state is final: changing it again is PZ_ESTATE, except to
 * itself.
 */
int pz_reports_set_state(struct pz_reports *r, uint64_t number,
                         enum pz_report_state state);

/*
 * Keep the pruner's decision to stop trial `number` at `step` (a
 * decision is final: a second one is PZ_ESTATE unless it names the same
 * step). The trial takes no later steps after this; pz_prune_decide()
 * answers "prune" for it from then on without judging again.
 */
int pz_reports_set_pruned(struct pz_reports *r, uint64_t number,
                          int64_t step);

/*
 * Forget the reports and the decision of RUNNING trial `number` (for a
 * trial handed out anew, whose new run reports from the start).
 * PZ_ENOENT if the slot is empty, PZ_ESTATE if the trial is finished.
 */
int pz_reports_clear(struct pz_reports *r, uint64_t number);

/* Trial `number`, or NULL if it has no slot. */
const struct pz_report_trial *pz_reports_trial(const struct pz_reports *r,
                                               uint64_t number);

/* The column of `step`, or NULL if no trial reported at it. */
const struct pz_report_column *pz_reports_column(const struct pz_reports *r,
                                                 int64_t step);

/*
 * Index in t->steps of the first step >= `step`, t->n if none
 * (binary search).
 */
uint32_t pz_reports_lower_bound(const struct pz_report_trial *t,
                                int64_t step);

/* t's value at `step` into *out: 0, or PZ_ENOENT if it did not report it. */
int pz_reports_value_at(const struct pz_report_trial *t, int64_t step,
                        double *out);

/* t's highest step, -1 if it reported nothing. */
static inline int64_t pz_reports_last_step(const struct pz_report_trial *t)
{
	return t->last;
}

/* Static names: "running", "ok", "fail", "pruned". */
const char *pz_reports_state_name(enum pz_report_state state);

#endif
