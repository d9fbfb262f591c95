/*
 * Prior sampling: one value of a hyperparameter, or a whole params vector,
 * drawn from the space's priors with hyperopt's semantics.
 */
#include <parzen/sample.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double pz_sample_quantize(double x, double q)
{
	/* nearbyint rounds half to even in the default rounding mode, like
	 * numpy.round, which hyperopt uses. */
	return nearbyint(x / q) * q;
}

double pz_sample_param(const struct pz_param *p, struct pz_rng *rng)
{
	double x;

	switch (p->kind) {
	case PZ_HP_UNIFORM:
		return p->low + (p->high - p->low) * pz_rng_uniform(rng);
	case PZ_HP_QUNIFORM:
		x = p->low + (p->high - p->low) * pz_rng_uniform(rng);
		return pz_sample_quantize(x, p->q);
	case PZ_HP_LOGUNIFORM:
		return exp(p->low + (p->high - p->low) * pz_rng_uniform(rng));
	case PZ_HP_QLOGUNIFORM:
		x = exp(p->low + (p->high - p->low) * pz_rng_uniform(rng));
		return pz_sample_quantize(x, p->q);
	case PZ_HP_NORMAL:
		return p->mu + p->sigma * pz_rng_normal(rng);
	case PZ_HP_QNORMAL:
		return pz_sample_quantize(p->mu + p->sigma * pz_rng_normal(rng),
		                          p->q);
	case PZ_HP_LOGNORMAL:
		return exp(p->mu + p->sigma * pz_rng_normal(rng));
	case PZ_HP_QLOGNORMAL:
		return pz_sample_quantize(exp(p->mu +
		                              p->sigma * pz_rng_normal(rng)),
		                          p->q);
	case PZ_HP_RANDINT:
		return p->low +
		       (double)pz_rng_below(rng, (uint64_t)(p->high - p->low));
	case PZ_HP_UNIFORMINT:
		return p->low +
		       (double)pz_rng_below(rng, (uint64_t)(p->high - p->low) + 1);
	case PZ_HP_CHOICE:
		return (double)pz_rng_below(rng, (uint64_t)p->n_options);
	case PZ_HP_PCHOICE: {
		double u = pz_rng_uniform(rng), acc = 0;

		for (int i = 0; i < p->n_options - 1; i++) {
			acc += p->p[i];
			if (u < acc)
				return i;
		}
		return p->n_options - 1;
	}
	}
	return NAN;
}

void pz_sample_prior(const struct pz_space *space, struct pz_rng *rng,
                     double *values)
{
	for (int i = 0; i < space->n_params; i++)
		values[i] = pz_space_is_active(space, values, i)
		                ? pz_sample_param(&space->params[i], rng)
		                : NAN;
}
