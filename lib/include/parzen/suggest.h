/*
 * The suggesters behind one entry point: prior sampling ("random") and
 * TPE (tpe.h).
 *
 * pz_suggest() is a pure function of (space, history, algo, config, seed,
 * number): the same inputs give bit-identical params in any process, and
 * trial `number` draws from stream(seed, number) only. That is what makes
 * a study resume exactly: the daemon keeps no suggester state but the
 * history.
 */
#ifndef PZ_SUGGEST_H
#define PZ_SUGGEST_H

#include <stdint.h>

#include <parzen/error.h>
#include <parzen/history.h>
#include <parzen/space.h>
#include <parzen/tpe.h>

enum pz_algo { PZ_ALGO_RANDOM, PZ_ALGO_TPE };

/*
 * Suggest params for trial `number` into `out` (n_params doubles). For
 * PZ_ALGO_RANDOM, `cfg` and `history` may be NULL.
 */
int pz_suggest(const struct pz_space *space, const struct pz_history *history,
               enum pz_algo algo, const struct pz_tpe_config *cfg,
               uint64_t seed, uint64_t number, double *out,
               struct pz_error *err);

#endif
