/*
 * Intermediate values and prune decisions of a loaded study's trials:
 * the daemon's side of trial.report (docs/protocol.md, docs/pruning.md).
 *
 * A study keeps its trials' reports in memory (s->reports, libparzen's
 * reports.h) for the pruner (s->pruner) and for the Trial objects'
 * "intermediate". Changes go store first, memory after, as everywhere in
 * core: a report is a row of the report table, a decision to prune the
 * trial's prune_step. The store is made on the first report of a study
 * (or at load, when it has reports); until then s->reports is NULL and
 * nothing here costs anything.
 *
 * Rules (docs/protocol.md, trial.report):
 *   - a report needs the trial running and held with the given attempt;
 *     it moves the trial's deadline as a heartbeat does;
 *   - the same step with the same value is accepted and changes nothing;
 *     another value for a stored step is PZ_EEXIST;
 *   - every report is judged by the study's pruner at the trial's last
 *     step, against the history as it is now; a decision to prune is
 *     stored with the trial and final: the trial takes no later step,
 *     and is ended "pruned" when its worker gives it back or goes silent
 *     (trial.c);
 *   - a trial handed out again (after a reclaim or a release) starts a
 *     new run: its reports are deleted at the hand-out;
 *   - the mirror of trial states in the store (running, ok, fail,
 *     pruned) is kept by trial.c through pz_pruning_ended().
 */
#ifndef PZ_PRUNING_H
#define PZ_PRUNING_H

#include <stddef.h>
#include <stdint.h>

#include <parzen/error.h>
#include <parzen/prune.h>
#include <parzen/reports.h>

#include "core.h"

/* The pruners' view of a trial state (enum pz_tstate). */
enum pz_report_state pz_pruning_state(int tstate);

/*
 * The pruner of a study from its stored text (NULL: none). A text this
 * parzend cannot read is PZ_EINVAL with `err` naming the setting.
 */
int pz_pruning_parse(const char *text, struct pz_pruner **out,
                     struct pz_error *err);

/*
 * trial.report: record `value` at `step` for trial `number` of `s`, held
 * with `attempt` (< 0: not given, as attempt 0), and judge it. *added is
 * 1 when the report is new, 0 when it was stored already (same value).
 * Errors: PZ_ESTATE (not running, not the holder, finished, or stopped by
 * the pruner: no later step), PZ_EEXIST (another value at that step),
 * PZ_EIO, PZ_ENOMEM; `err` says which, "params.value: ..." for a value.
 */
int pz_pruning_report(struct pz_core *core, struct pz_study *s,
                      uint32_t number, int64_t attempt, int64_t step,
                      double value, int *added,
                      struct pz_prune_decision *decision,
                      struct pz_error *err);

/* Trial `number` reached final state `tstate` (memory only). */
int pz_pruning_ended(struct pz_study *s, uint32_t number, int tstate);

/*
 * Trial `number` is handed out again: delete its reports and decision
 * from the store (in the open batch) and from memory.
 */
int pz_pruning_new_run(struct pz_core *core, struct pz_study *s,
                       uint32_t number, struct pz_error *err);

/* Did the pruner stop trial `number` (a decision is kept)? */
int pz_pruning_decided(const struct pz_study *s, uint32_t number);

/* Does trial `number` hold reports or a decision? */
int pz_pruning_has_reports(const struct pz_study *s, uint32_t number);

/* The value at trial `number`'s last (highest) step, or NAN. */
double pz_pruning_last_value(const struct pz_study *s, uint32_t number);

/* The last step trial `number` reported, -1 if none (the step a pruned
 * trial ranks by in the history, history.h). */
int64_t pz_pruning_last_step(const struct pz_study *s, uint32_t number);

/*
 * The trials of an import (study.import), numbered first, first + 1, ...
 * in `s`, were appended: store their "intermediate" in the open batch,
 * then keep their reports and states in memory.
 */
int pz_pruning_import(struct pz_core *core, struct pz_study *s, int64_t first,
                      const struct pz_import_trial *trials, size_t n,
                      struct pz_error *err);

/*
 * Loading (load.c, off the loop): the reports store of a study from its
 * stored rows. pz_pruning_load_add() takes the rows by (number, step) as
 * the store returns them, creating *reports at the first; then
 * pz_pruning_load_finish() sets every trial's state and the stored
 * decisions (numbers[i] stopped at steps[i]). Errors are about the data.
 */
int pz_pruning_load_add(struct pz_reports **reports, int64_t number,
                        int64_t step, double value, struct pz_error *err);
int pz_pruning_load_finish(struct pz_reports **reports,
                           const struct pz_trial *trials, size_t n,
                           const int64_t *numbers, const int64_t *steps,
                           size_t n_decisions, struct pz_error *err);

#endif
