/*
 * A study's trials kept for drawing, updated one trial at a time: what a
 * live page holds while a search runs. Each trial is read from its
 * protocol object (docs/protocol.md) once, into a compact row (state,
 * loss, times, worker, params as numbers, its learning curve), so a store
 * of 100,000 trials takes tens of megabytes, not the gigabyte their JSON
 * trees would; a snapshot copies the rows into an immutable struct
 * pz_report_data that figures are drawn from while the store goes on
 * changing.
 *
 * Trials are kept by number: putting a trial whose number is already
 * there replaces it. A store is not thread-safe; its snapshots are
 * independent of it.
 */
#ifndef PZ_REPORT_STORE_H
#define PZ_REPORT_STORE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include <parzen/error.h>
#include "report.h"

struct pz_report_store;

/*
 * An empty store for `study` (a Study object, borrowed: the store keeps
 * a copy). Errors: PZ_EINVAL when it is not a study or its space is bad,
 * PZ_ENOMEM.
 */
int pz_report_store_create(const cJSON *study, struct pz_report_store **out,
                           struct pz_error *err);

void pz_report_store_destroy(struct pz_report_store *s);

/*
 * Replace the study object (its counts, state, max_trials change as the
 * search runs). Its space must be the one the store was made with, else
 * PZ_EINVAL.
 */
int pz_report_store_set_study(struct pz_report_store *s, const cJSON *study,
                              struct pz_error *err);

/* The study object the store holds (valid until the next set_study). */
const cJSON *pz_report_store_study(const struct pz_report_store *s);

/*
 * Insert or replace one trial (a Trial object, borrowed). `index` is only
 * for messages ("trials[index].state: ..."). Errors: PZ_EINVAL for a
 * trial the report cannot read, PZ_ENOMEM; the store is unchanged then.
 */
int pz_report_store_put(struct pz_report_store *s, const cJSON *trial,
                        size_t index, struct pz_error *err);

/* Trials held. */
size_t pz_report_store_size(const struct pz_report_store *s);

/*
 * The state name ("queued", ..., "pruned") of trial `number`, or NULL
 * when the store has no such trial.
 */
const char *pz_report_store_state(const struct pz_report_store *s,
                                  long long number);

/*
 * An immutable copy of the store's study and trials, finished for
 * drawing with `opt` (NULL: the defaults). Returns 0, or PZ_ENOMEM.
 */
int pz_report_store_snapshot(const struct pz_report_store *s,
                             const struct pz_report_options *opt,
                             struct pz_report_data **out,
                             struct pz_error *err);

#endif
