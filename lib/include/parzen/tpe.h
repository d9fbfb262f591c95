/*
 * The TPE suggester and its configuration.
 *
 * pz_tpe_suggest() is a pure function of (space, history, config, seed,
 * number): the same inputs give bit-identical params in any process. Trial
 * `number` draws from stream(seed, number) only.
 *
 * TPE (Bergstra et al., NIPS 2011) splits the finished trials into a good
 * set (the n_below best) and the rest, fits a Parzen estimator l(x)
 * to the good and g(x) to the rest, draws n_ei_candidates points from l
 * and keeps the one maximizing l(x) / g(x). Labels are processed by
 * activation group, in document order, so a choice is decided before the
 * labels nested in its options, and every estimator is fitted only on the
 * trials where its labels were active. With `multivariate`, the labels of a
 * group are modelled jointly (kde.h); otherwise one label at a time
 * (gmm.h), as hyperopt does.
 *
 * Multivariate refinements (parzen's defaults; all off in the hyperopt
 * preset): with categorical_gamma > 0 a group's categorical labels are
 * decided first, by their own joint l/g fitted on the smaller good set of
 * the ceil(categorical_gamma sqrt(n)) best trials (at most gamma_cap), and
 * its numeric labels
 * then come from the group's l(x) given those categories, scored by the
 * group's l/g; so a branch that holds one of the very best trials keeps
 * being tried while the numbers are still modelled on the larger good set.
 * With local_split, a conditional group's good set is the n_below best of
 * the trials where it is active, not the global one, so the labels of a
 * branch that is rarely among the global best are still refined.
 * unbounded_width scales the kernels of the unbounded kinds (normal, ...),
 * whose prior sigma is a far narrower measure of their range than high -
 * low is of a bounded kind's.
 *
 * "Best" is the order of pz_history_ranks_before() (history.h), as in
 * Optuna's TPE: ok trials by loss, then pruned trials by the step they
 * reached (later first) and their value there (lower first), so a pruned
 * trial ranks below every ok trial and every trial pruned later. n, the
 * count n_below is taken of, is the number of trials finished ok, or
 * while there is none the number of pruned ones; with pruned_in_n, ok
 * plus pruned ones as in Optuna (docs/space.md, "Pruned trials", says
 * why that is not the default).
 *
 * Pending trials (asked, not told) enter g(x) as if they had the worst
 * loss when pending = PZ_PENDING_LIAR, so parallel workers asking at once
 * get different points; failed trials enter g(x) likewise unless
 * failed = PZ_FAILED_IGNORE. Neither ever enters l(x).
 */
#ifndef PZ_TPE_H
#define PZ_TPE_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include <parzen/error.h>
#include <parzen/history.h>
#include <parzen/space.h>

enum pz_pending_policy { PZ_PENDING_LIAR, PZ_PENDING_IGNORE };
enum pz_failed_policy { PZ_FAILED_ABOVE, PZ_FAILED_IGNORE };

struct pz_tpe_config {
	double gamma;   /* fraction of trials in the good set */
	int gamma_sqrt; /* n_below = ceil(gamma * sqrt(n)), else
	                            ceil(gamma * n) */
	int gamma_cap;  /* at most this many good trials */
	int n_startup;  /* prior samples before TPE starts */
	int n_ei_candidates;
	double prior_weight;
	int linear_forgetting; /* 0 disables */
	int forget_below;      /* forgetting weights also on the good set */
	int multivariate;      /* joint kernel per activation group */
	double bandwidth;      /* multivariate: Scott-rule factor */
	double categorical_gamma; /* multivariate: categorical labels' good
	                             set is ceil(this * sqrt(n)), at most
	                             gamma_cap; 0: off */
	int local_split;        /* multivariate: a conditional group's good
	                           set among the trials where it is active */
	double unbounded_width; /* multivariate: bandwidth scale of the
	                           unbounded kinds, in prior sigmas */
	int int_categorical;   /* randint as a categorical (hyperopt) */
	int pruned_in_n;       /* n of n_below counts ok + pruned trials
	                          (Optuna's); else ok ones (pruned ones while
	                          none is ok) */
	enum pz_pending_policy pending;
	enum pz_failed_policy failed;
};

/* parzen's defaults (docs/space.md, "Suggesters"). */
void pz_tpe_config_default(struct pz_tpe_config *cfg);
/* hyperopt 0.2's choices: gamma 0.25 sqrt(n), 20 start-up trials, ... */
void pz_tpe_config_hyperopt(struct pz_tpe_config *cfg);

/*
 * Read a config object ({"preset": "parzen"|"hyperopt", "gamma": ...});
 * NULL or {} gives the defaults. Unknown keys and bad values are refused
 * with the key's path ("config.gamma: must be in (0, 1]").
 */
int pz_tpe_config_from_json(struct pz_tpe_config *cfg, const cJSON *json,
                            struct pz_error *err);
/* The effective config as JSON (every knob), NULL on allocation failure. */
cJSON *pz_tpe_config_to_json(const struct pz_tpe_config *cfg);

/* Size of the good set for n trials (ok ones, or pruned ones while no
 * trial finished ok). */
int pz_tpe_n_below(const struct pz_tpe_config *cfg, int n_ok);

/*
 * Suggest params for trial `number` into `out` (n_params doubles): a prior
 * draw from stream(seed, number) until cfg->n_startup trials exist and one
 * of them is ok or pruned, the TPE's choice after that.
 */
int pz_tpe_suggest(const struct pz_space *space,
                   const struct pz_history *history,
                   const struct pz_tpe_config *cfg, uint64_t seed,
                   uint64_t number, double *out, struct pz_error *err);

/*
 * What a study keeps between suggestions to make the next one cheaper:
 * the spatial indexes of the approximate g(x) (docs/space.md), built over
 * ranges of the history's slots that only grow. Only an optimisation:
 * pz_tpe_suggest_cached() gives the same bits with a fresh cache, a warm
 * one or none (NULL), as long as the history it sees was only appended
 * to or had states changed; anything else is detected and rebuilt. One
 * cache serves one study (space) and one suggestion at a time.
 */
struct pz_tpe_cache;
int pz_tpe_cache_create(struct pz_tpe_cache **out);
void pz_tpe_cache_destroy(struct pz_tpe_cache *cache);
int pz_tpe_suggest_cached(const struct pz_space *space,
                          const struct pz_history *history,
                          const struct pz_tpe_config *cfg,
                          struct pz_tpe_cache *cache, uint64_t seed,
                          uint64_t number, double *out, struct pz_error *err);

#endif
