/*
 * Prior sampling (random search) and params vectors.
 *
 * A params vector is double[space->n_params]: the value of every active
 * hyperparameter, NAN for inactive ones (see space.h). This module draws
 * such vectors from the prior, converts them to and from the flat JSON
 * object {label: value} that the protocol carries, and validates params a
 * user supplies (enqueued points).
 */
#ifndef PZ_SAMPLE_H
#define PZ_SAMPLE_H

#include <cjson/cJSON.h>

#include "error.h"
#include "rng.h"
#include "space.h"

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
double pz_quantize(double x, double q);

/*
 * Flat params object {label: value} over active labels, in space order.
 * Returns NULL on allocation failure. The caller owns the result.
 */
cJSON *pz_params_to_json(const struct pz_space *space, const double *values);

/*
 * The same object as JSON text, with every number printed in the shortest
 * form that reads back as the identical double (cJSON's printer may drop
 * the last bit). This is what the daemon stores, so that a resumed study
 * sees exactly the values it suggested. Returns malloc'ed text or NULL.
 */
char *pz_params_to_text(const struct pz_space *space, const double *values);

/*
 * Validate a user-supplied params object and convert it to a vector.
 * Refuses (naming the label): unknown labels, non-numbers, values outside
 * a bounded prior's range, values off the q grid or not integral where
 * the kind requires it, option indices out of range, an inactive label
 * given, an active label missing.
 */
int pz_params_from_json(const struct pz_space *space, const cJSON *params,
                        double *values, struct pz_error *err);

#endif
