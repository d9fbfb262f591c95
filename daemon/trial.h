/*
 * The trial life cycle: one transition table, and the functions that
 * apply its transitions. Every change of a trial's state goes through
 * apply() in trial.c: it checks the table, writes the trial's row in the
 * open batch, and only then changes memory (the study's arrays, counts,
 * best trial and history) and tells the watchers.
 *
 *     (new) --create_queued--> queued     (enqueue, import)
 *     (new) --create_running-> running    (a new suggestion, handed out)
 *     (new) --create_failed--> fail       (a suggestion that cannot be
 *                                          evaluated)
 *     queued  --hand_out-----> running    (an ask takes it)
 *     running --heartbeat----> running    (deadline moves)
 *     running --release------> queued     (attempt + 1)
 *     running --reclaim------> queued     (attempt + 1, reclaims + 1)
 *     running --tell_ok/fail/pruned--> ok / fail / pruned
 *     running --release/reclaim of a trial the pruner stopped (pruning.h)
 *               = tell_pruned--> pruned   (a decision to prune is final:
 *                                          the trial is not run again)
 *     queued  --tell_ok/fail/pruned--> ok / fail / pruned
 *                               (a late tell: the trial was handed out,
 *                                then reclaimed or released, and not
 *                                handed out again)
 *
 * ok, fail and pruned are final. A trial handed out again starts a new
 * run: its reports (trial.report) are deleted with the hand-out. Attempts: a trial's attempt counts its
 * hand-outs after the first; a worker proves it holds the trial with the
 * attempt it was given. A request without `attempt` is taken as attempt
 * 0, so it can never act on a trial that was handed to someone else.
 */
#ifndef PZ_TRIAL_H
#define PZ_TRIAL_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

enum pz_trial_event {
	PZ_TE_CREATE_QUEUED,
	PZ_TE_CREATE_RUNNING,
	PZ_TE_CREATE_FAILED,
	PZ_TE_HAND_OUT,
	PZ_TE_HEARTBEAT,
	PZ_TE_RELEASE,
	PZ_TE_RECLAIM,
	PZ_TE_TELL_OK,
	PZ_TE_TELL_FAIL,
	PZ_TE_TELL_PRUNED,
	PZ_TE_NEVENTS
};

/* The state before a trial exists, for the table. */
#define PZ_T_NEW PZ_T_NSTATES

/*
 * The state `event` leads to from `from` (PZ_T_NEW or an enum pz_tstate),
 * or -1 when the table does not allow it.
 */
int pz_trial_next(int from, enum pz_trial_event event);
const char *pz_trial_event_name(enum pz_trial_event event);

/*
 * Create trial number s->n_trials with `values` through a create_* event;
 * `worker` for a running one, `result_text` (JSON, may be NULL) for a
 * failed one. *number receives its number.
 */
int pz_trial_create(struct pz_core *core, struct pz_study *s,
                    enum pz_trial_event event, const double *values,
                    const char *worker, const char *result_text,
                    uint32_t *number, struct pz_error *err);

/* Hand a queued trial out to `worker` (may be NULL). */
int pz_trial_hand_out(struct pz_core *core, struct pz_study *s,
                      uint32_t number, const char *worker,
                      struct pz_error *err);

/*
 * Tell a trial's end: event tell_ok (finite `loss`), tell_fail or
 * tell_pruned (`loss` may be NAN). `attempt` < 0: not given (attempt 0).
 * `result_text`: JSON or NULL.
 */
int pz_trial_tell(struct pz_core *core, struct pz_study *s, uint32_t number,
                  enum pz_trial_event event, double loss,
                  const char *result_text, int64_t attempt,
                  struct pz_error *err);

int pz_trial_heartbeat(struct pz_core *core, struct pz_study *s,
                       uint32_t number, int64_t attempt,
                       struct pz_error *err);
int pz_trial_release(struct pz_core *core, struct pz_study *s,
                     uint32_t number, int64_t attempt, struct pz_error *err);

/*
 * Check that the holder of `attempt` may act on a running trial (a
 * heartbeat, a report); the same rule as the transitions above.
 */
int pz_trial_check_holder(const struct pz_study *s, uint32_t number,
                          int64_t attempt, struct pz_error *err);

/* Requeue running trials whose deadline passed `now`; returns how many. */
size_t pz_trial_reclaim(struct pz_core *core, double now);

#endif
