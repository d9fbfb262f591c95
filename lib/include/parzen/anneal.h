/*
 * Annealing: hyperopt's "anneal" suggester (Bergstra's AnnealingAlgo).
 *
 * A suggestion samples label by label in document order (a choice before
 * the labels inside its options). For a label that no trial of the
 * history has used yet, the value is a prior draw. Otherwise one earlier
 * trial is picked as the centre: first the trials already picked for
 * this suggestion (so the labels of one suggestion stay together where
 * they can), else a new pick: the trials where the label is active are
 * ranked (ok trials by loss, then pruned ones by the step they reached,
 * later first, and their value there, as pz_history_ranks_before() says;
 * then queued, running and failed ones, which count as an infinite loss,
 * by number) and the rank is a
 * geometric draw with mean avg_best_idx, clipped to the last. The value is
 * then drawn near the centre's value, in a neighbourhood that shrinks
 * with T, the number of trials where the label is active:
 * shrink = 1 / (1 + T * shrink_coef).
 *
 *   uniform, quniform        uniform in a window of width shrink * (high -
 *                            low) around the value, moved inside [low,
 *                            high]; quantized kinds round to q afterwards
 *   loguniform, qloguniform  the same in log space
 *   uniformint               the same on [low - 0.5, high + 0.5], rounded
 *                            (hyperopt's uniformint is a quniform, q = 1)
 *   normal, qnormal          normal(value, shrink * sigma)
 *   lognormal, qlognormal    exp(normal(log value, shrink * sigma)) (the
 *                            q kind: log(1e-16 + value))
 *   randint, choice          the centre's value with probability
 *                            1 - shrink, else a prior draw (uniform)
 *   pchoice                  likewise, the prior draw by the option
 *                            probabilities
 *
 * pz_anneal_suggest() is a pure function of (space, history, config,
 * seed, number): trial `number` draws from stream(seed, number) only, so
 * the same history gives the same suggestion in any process, which is
 * what exact resume needs.
 */
#ifndef PZ_ANNEAL_H
#define PZ_ANNEAL_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include <parzen/error.h>
#include <parzen/history.h>
#include <parzen/space.h>

struct pz_anneal_config {
	double avg_best_idx; /* mean rank of the centre trial, >= 1 */
	double shrink_coef;  /* how fast neighbourhoods shrink, >= 0 */
};

/* hyperopt's defaults: avg_best_idx 2, shrink_coef 0.1. */
void pz_anneal_config_default(struct pz_anneal_config *cfg);

/*
 * Read {"avg_best_idx": x, "shrink_coef": y}; NULL or {} gives the
 * defaults. Unknown keys and bad values are refused naming the key
 * ("config.shrink_coef: ...").
 */
int pz_anneal_config_from_json(struct pz_anneal_config *cfg,
                               const cJSON *json, struct pz_error *err);
/* The effective config as JSON, NULL on allocation failure. */
cJSON *pz_anneal_config_to_json(const struct pz_anneal_config *cfg);

/*
 * Suggest params for trial `number` into `out` (n_params doubles, NAN for
 * inactive labels). `history` may be NULL (prior draws). PZ_ENOMEM is the
 * only failure.
 */
int pz_anneal_suggest(const struct pz_space *space,
                      const struct pz_history *history,
                      const struct pz_anneal_config *cfg, uint64_t seed,
                      uint64_t number, double *out, struct pz_error *err);

#endif
