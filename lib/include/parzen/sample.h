/*
 * Prior sampling (random search).
 *
 * A params vector is double[space->n_params]: the value of every active
 * hyperparameter, NAN for inactive ones (see space.h). This module draws
 * such vectors from the prior; params.h converts them to and from JSON.
 */
#ifndef PZ_SAMPLE_H
#define PZ_SAMPLE_H

#include <parzen/error.h>
#include <parzen/rng.h>
#include <parzen/space.h>

/*
 * Draw one value of parameter `p` from its prior, with hyperopt's
 * semantics: uniform in [low, high); quantized kinds round(x / q) * q;
 * log kinds exp() of a draw in log space; normal priors unbounded; randint
 * in [low, high); uniformint in [low, high]; choice uniform over options;
 * pchoice by its probabilities.
 */
double pz_sample_param(const struct pz_param *p, struct pz_rng *rng);

/* Fill `values` with one prior draw; inactive labels get NAN. */
void pz_sample_prior(const struct pz_space *space, struct pz_rng *rng,
                     double *values);

/* hyperopt's quantization: round half to even, as numpy.round. */
double pz_sample_quantize(double x, double q);

#endif
