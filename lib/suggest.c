/*
 * One entry point over the suggesters; see suggest.h.
 */
#include <parzen/suggest.h>

#include <parzen/rng.h>
#include <parzen/sample.h>

int pz_suggest(const struct pz_space *space, const struct pz_history *history,
               enum pz_algo algo, const struct pz_tpe_config *cfg,
               uint64_t seed, uint64_t number, double *out,
               struct pz_error *err)
{
	struct pz_rng rng;

	if (algo == PZ_ALGO_TPE && history != NULL && cfg != NULL)
		return pz_tpe_suggest(space, history, cfg, seed, number, out,
		                      err);
	pz_rng_init(&rng, seed, number);
	pz_sample_prior(space, &rng, out);
	return 0;
}
