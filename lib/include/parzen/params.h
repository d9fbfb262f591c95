/*
 * Params vectors (double[space->n_params], NAN for inactive labels; see
 * space.h) and the flat JSON object {label: value} that the protocol
 * carries: conversion both ways, and validation of params a user supplies
 * (enqueued points).
 */
#ifndef PZ_PARAMS_H
#define PZ_PARAMS_H

#include <cjson/cJSON.h>

#include <parzen/error.h>
#include <parzen/space.h>

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
