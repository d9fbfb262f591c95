/*
 * The suggesters behind one entry point: prior sampling ("random"), TPE
 * (tpe.h), annealing (anneal.h) and a mixture of these ("mix").
 *
 * pz_suggest() is a pure function of (space, history, algo, config, seed,
 * number): the same inputs give bit-identical params in any process, and
 * trial `number` draws from stream(seed, number) only. That is what makes
 * a study resume exactly: the daemon keeps no suggester state but the
 * history.
 *
 * A mixture ("mix", hyperopt's mix.suggest) has up to PZ_MIX_MAX parts,
 * each a suggester with its config and a probability. Trial `number` is
 * suggested by the part that a uniform draw from a stream of its own,
 * stream(seed ^ PZ_MIX_SALT, number), selects (the first part whose
 * cumulative probability exceeds the draw); that part then suggests as it
 * would alone, from stream(seed, number). So the choice too depends only
 * on (seed, number), and a mixture with one part is that suggester.
 */
#ifndef PZ_SUGGEST_H
#define PZ_SUGGEST_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include <parzen/anneal.h>
#include <parzen/error.h>
#include <parzen/history.h>
#include <parzen/space.h>
#include <parzen/tpe.h>

enum pz_algo { PZ_ALGO_RANDOM, PZ_ALGO_TPE, PZ_ALGO_ANNEAL, PZ_ALGO_MIX };

/*
 * Suggest params for trial `number` into `out` (n_params doubles). For
 * PZ_ALGO_RANDOM, `cfg` and `history` may be NULL. (TPE and random only;
 * pz_suggest_with() takes every algorithm.)
 */
int pz_suggest(const struct pz_space *space, const struct pz_history *history,
               enum pz_algo algo, const struct pz_tpe_config *cfg,
               uint64_t seed, uint64_t number, double *out,
               struct pz_error *err);

#define PZ_MIX_MAX 8
/* Keys the stream that picks a mixture's part ("mix" in ASCII). */
#define PZ_MIX_SALT UINT64_C(0x6d6978)

/* One part of a mixture. */
struct pz_mix_part {
	double p;                       /* probability */
	enum pz_algo algo;              /* random, tpe or anneal */
	struct pz_tpe_config tpe;       /* when tpe */
	struct pz_anneal_config anneal; /* when anneal */
};

/* A suggester and its configuration. */
struct pz_algo_config {
	enum pz_algo algo;
	/* tpe (random keeps one too: studies store it, unused) */
	struct pz_tpe_config tpe;
	struct pz_anneal_config anneal;   /* anneal */
	int n_parts;                      /* mix */
	struct pz_mix_part parts[PZ_MIX_MAX];
};

/* "random", "tpe", "anneal", "mix"; static. */
const char *pz_algo_name(enum pz_algo algo);
/* 0, or -1 for a name that is not an algorithm. */
int pz_algo_parse(const char *name, enum pz_algo *algo);

/*
 * Read the config of `algo` (NULL or {} gives its defaults): tpe's (and
 * random's) knobs (tpe.h), anneal's (anneal.h), or a mixture's
 *
 *   {"components": [{"p": 0.2, "algo": "random"},
 *                   {"p": 0.8, "algo": "tpe", "config": {...}}]}
 *
 * with 1 to PZ_MIX_MAX parts, probabilities >= 0 summing to 1 (within
 * 1e-6), and no mixture inside. Errors name the path, e.g.
 * "config.components[1].config.gamma: ...".
 */
int pz_algo_config_from_json(struct pz_algo_config *cfg, enum pz_algo algo,
                             const cJSON *json, struct pz_error *err);
/* The effective config as JSON (every knob), NULL on allocation failure. */
cJSON *pz_algo_config_to_json(const struct pz_algo_config *cfg);

/* The part of a mixture that suggests trial `number` (see above). */
int pz_mix_pick(const struct pz_algo_config *cfg, uint64_t seed,
                uint64_t number);

/*
 * Suggest params for trial `number` into `out` with any algorithm.
 * `history` may be NULL for random. Fails only on allocation (PZ_ENOMEM)
 * or a config that did not come from pz_algo_config_from_json (PZ_EINVAL).
 */
int pz_suggest_with(const struct pz_space *space,
                    const struct pz_history *history,
                    const struct pz_algo_config *cfg, uint64_t seed,
                    uint64_t number, double *out, struct pz_error *err);
/* The same with the study's TPE cache (tpe.h; NULL: none), which changes
 * no bit of the suggestion, only its cost. */
int pz_suggest_with_cache(const struct pz_space *space,
                          const struct pz_history *history,
                          const struct pz_algo_config *cfg,
                          struct pz_tpe_cache *cache, uint64_t seed,
                          uint64_t number, double *out, struct pz_error *err);

#endif
