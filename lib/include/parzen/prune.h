/*
 * Pruners: stop unpromising trials early, from the intermediate values
 * the study's trials reported (reports.h). docs/pruning.md states each
 * rule precisely and how it differs from Optuna's.
 *
 * A pruner is configured by a JSON object, {"kind": KIND, ...settings},
 * with Optuna's names and defaults:
 *
 *   none         (never prunes; also what a null or absent config means)
 *   median       n_startup_trials 5, n_warmup_steps 0, interval_steps 1,
 *                n_min_trials 1
 *   percentile   percentile (required, in [0, 100]), and median's
 *   asha         min_resource "auto"|>= 1, reduction_factor 4,
 *                min_early_stopping_rate 0
 *   hyperband    min_resource 1, max_resource "auto"|>= min_resource,
 *                reduction_factor 3
 *   threshold    lower, upper (at least one; null = none),
 *                n_warmup_steps 0, interval_steps 1
 *   patient      patience (required, >= 0), min_delta 0,
 *                wrapped (a pruner config, or null = stop on patience
 *                alone)
 *
 * Values are losses: lower is better, as everywhere in parzen.
 *
 * pz_prune_decide() is a pure function of (pruner, reports, seed, trial
 * number): the same committed history gives the same decision in any
 * process, before or after a restart. It judges the trial at its last
 * (highest) reported step. Hyperband's bracket of trial k is drawn from
 * stream(seed, k) of the study's RNG (rng.h) at block 2^63, far from the
 * blocks the suggesters use, so it depends on nothing but the seed and
 * the number and never on the params.
 *
 * Cost of one decision (N trials, k reports of the judged trial, m
 * trials with a value at its step; reports.h has the store's costs):
 * median and percentile O(k + m) (its best so far; a copy of the step's
 * column and a selection, no sort); asha and hyperband O(log k) between
 * rungs and O(N + m) when the trial reaches a rung (the rung's column
 * and a pass over every trial's last step; hyperband also draws each
 * candidate's bracket); threshold O(1); patient O(k) plus the wrapped
 * pruner's. bench/pruning/prune_latency measures them at 10,000 trials x
 * 100 steps.
 *
 * A "prune" decision is final: the caller keeps it with
 * pz_reports_set_pruned() (and should store it), the trial takes no new
 * steps, and pz_prune_decide() answers "prune" for it again. A "keep
 * going" is not a promise: the same report judged again later (a resent
 * report) is judged against the history as it is then.
 */
#ifndef PZ_PRUNE_H
#define PZ_PRUNE_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include <parzen/error.h>
#include <parzen/reports.h>

enum pz_prune_kind {
	PZ_PRUNE_NONE,
	PZ_PRUNE_MEDIAN,
	PZ_PRUNE_PERCENTILE,
	PZ_PRUNE_ASHA,
	PZ_PRUNE_HYPERBAND,
	PZ_PRUNE_THRESHOLD,
	PZ_PRUNE_PATIENT,
};

/* "auto" for min_resource and max_resource. */
#define PZ_PRUNE_AUTO 0

/* patient may wrap a patient, this many levels deep at most. */
#define PZ_PRUNE_MAX_DEPTH 8

/*
 * The effective settings. Fields that a kind does not use keep their
 * defaults and are ignored.
 */
struct pz_pruner {
	enum pz_prune_kind kind;
	/* median, percentile */
	double percentile; /* median: 50 */
	int64_t n_startup_trials;
	int64_t n_min_trials;
	/* median, percentile, threshold */
	int64_t n_warmup_steps;
	int64_t interval_steps;
	/* asha, hyperband */
	int64_t min_resource; /* PZ_PRUNE_AUTO or >= 1 */
	int64_t max_resource; /* hyperband: PZ_PRUNE_AUTO or >= min_resource */
	int64_t reduction_factor;
	int64_t min_early_stopping_rate; /* asha */
	/* threshold: -INFINITY / INFINITY when not given */
	double lower, upper;
	/* patient */
	int64_t patience;
	double min_delta;
	struct pz_pruner *wrapped; /* owned; NULL: prune on patience alone */
};

#define PZ_PRUNE_REASON_MAX 192

struct pz_prune_decision {
	int prune;    /* 1: stop the trial */
	int64_t step; /* the step judged (the trial's last), -1 if none */
	char reason[PZ_PRUNE_REASON_MAX]; /* a sentence for people and logs */
};

/*
 * Read a pruner config (borrowed; NULL or JSON null is "none"). Errors
 * name the setting's path under `root` (e.g. root "pruner":
 * "pruner.percentile: must be in [0, 100]", "pruner.wrapped.kind: ...").
 * On success *out owns a new pruner.
 */
int pz_prune_create(const cJSON *json, const char *root,
                    struct pz_pruner **out, struct pz_error *err);

/* A pruner of `kind` with every setting at its default (percentile 50,
 * patience 0 where a config would require them). */
int pz_prune_create_default(enum pz_prune_kind kind, struct pz_pruner **out);

void pz_prune_destroy(struct pz_pruner *p);

/*
 * The effective config as JSON, every setting of its kind included ("auto"
 * as the string, an absent threshold bound as null). Reading it back
 * gives the same pruner. NULL on allocation failure.
 */
cJSON *pz_prune_to_json(const struct pz_pruner *p);

/* Static names: "none", "median", ... */
const char *pz_prune_kind_name(enum pz_prune_kind kind);

/*
 * Decide whether trial `number` stops, judged at its last reported step,
 * from `reports` (the study's committed history) and the study's `seed`.
 * A trial with no reports is never pruned. PZ_ENOENT if the trial has no
 * slot, PZ_ESTATE if it is OK or FAIL (a PRUNED trial is "prune"),
 * PZ_ENOMEM. The caller keeps a "prune" with pz_reports_set_pruned().
 */
int pz_prune_decide(const struct pz_pruner *p, const struct pz_reports *reports,
                    uint64_t seed, uint64_t number,
                    struct pz_prune_decision *out);

/*
 * Hyperband: the number of brackets and trial `number`'s bracket
 * (0 = the most aggressive, rungs from min_resource). 0 and -1 while
 * max_resource is "auto" and no trial finished OK with reports; for other
 * kinds, 1 and 0.
 */
int pz_prune_n_brackets(const struct pz_pruner *p,
                        const struct pz_reports *reports);
int pz_prune_bracket(const struct pz_pruner *p,
                     const struct pz_reports *reports, uint64_t seed,
                     uint64_t number);

#endif
