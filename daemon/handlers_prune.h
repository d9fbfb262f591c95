/*
 * The handlers of pruning (docs/protocol.md: trial.report, and the
 * "pruner" of study.create and study.import); their rows are in the
 * method table of handlers.c.
 */
#ifndef PZ_HANDLERS_PRUNE_H
#define PZ_HANDLERS_PRUNE_H

#include <cjson/cJSON.h>

#include "handlers.h"

/* trial.report {trial, attempt?, step, value} -> {prune, reason, step}. */
int pz_hprune_report(struct pz_hctx *h, cJSON **result);

/*
 * The effective pruner of a study.create or study.import request, as the
 * JSON text to store: *text is NULL for none (no "pruner", null, or kind
 * "none"), else owned by the caller. A bad config sets h->err (with the
 * path, "params.pruner.percentile") and h->code, and returns -1.
 */
int pz_hprune_pruner_text(struct pz_hctx *h, char **text);

#endif
