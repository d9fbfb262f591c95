/*
 * Evaluate a params vector into a point: hyperopt's space_eval.
 *
 * The point is the space document with every hyperparameter replaced by its
 * value, every choice by its evaluated chosen option, and every function
 * node by its result. Integers (randint, uniformint, int()) come out as
 * integral numbers.
 */
#ifndef PZ_EVAL_H
#define PZ_EVAL_H

#include <cjson/cJSON.h>

#include <parzen/error.h>
#include <parzen/space.h>

/*
 * Build the point for `values` (a params vector valid for `space`). Fails
 * with PZ_EINVAL when a function node cannot be computed (a non-number
 * argument, division by zero, a non-finite result), naming the node's path.
 * On success *out is a new cJSON tree owned by the caller.
 */
int pz_eval(const struct pz_space *space, const double *values, cJSON **out,
            struct pz_error *err);

#endif
