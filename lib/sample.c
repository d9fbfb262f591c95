/*
 * Prior sampling, params <-> JSON, and validation of user-given params.
 */
#include "sample.h"

#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double pz_quantize(double x, double q)
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
		return pz_quantize(x, p->q);
	case PZ_HP_LOGUNIFORM:
		return exp(p->low + (p->high - p->low) * pz_rng_uniform(rng));
	case PZ_HP_QLOGUNIFORM:
		x = exp(p->low + (p->high - p->low) * pz_rng_uniform(rng));
		return pz_quantize(x, p->q);
	case PZ_HP_NORMAL:
		return p->mu + p->sigma * pz_rng_normal(rng);
	case PZ_HP_QNORMAL:
		return pz_quantize(p->mu + p->sigma * pz_rng_normal(rng), p->q);
	case PZ_HP_LOGNORMAL:
		return exp(p->mu + p->sigma * pz_rng_normal(rng));
	case PZ_HP_QLOGNORMAL:
		return pz_quantize(exp(p->mu + p->sigma * pz_rng_normal(rng)),
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

cJSON *pz_params_to_json(const struct pz_space *space, const double *values)
{
	cJSON *obj = cJSON_CreateObject();

	if (obj == NULL)
		return NULL;
	for (int i = 0; i < space->n_params; i++) {
		if (isnan(values[i]))
			continue;
		if (cJSON_AddNumberToObject(obj, space->params[i].label,
		                            values[i]) == NULL) {
			cJSON_Delete(obj);
			return NULL;
		}
	}
	return obj;
}

char *pz_params_to_text(const struct pz_space *space, const double *values)
{
	cJSON *obj = pz_params_to_json(space, values);
	char *text = obj != NULL ? pz_json_print(obj, NULL) : NULL;

	cJSON_Delete(obj);
	return text;
}

/* Is x on the grid round(./q)*q? Allow for the rounding of a JSON trip. */
static int on_grid(double x, double q)
{
	double k = nearbyint(x / q);

	return fabs(x - k * q) <= 1e-9 * fmax(1.0, fabs(x));
}

static int check_value(const struct pz_param *p, double v,
                       struct pz_error *err)
{
	double step = pz_param_step(p);
	double lo, hi;

	if (pz_hp_is_categorical(p->kind)) {
		if (v != floor(v) || v < 0 || v >= p->n_options)
			return pz_error_set(err, PZ_ERANGE,
			                    "params.%s: %g is not an option index of "
			                    "%s (0 to %d)", p->label, v,
			                    pz_hp_kind_name(p->kind), p->n_options - 1);
		return 0;
	}
	if (pz_hp_is_integer(p->kind)) {
		hi = p->kind == PZ_HP_RANDINT ? p->high - 1 : p->high;
		if (v != floor(v) || v < p->low || v > hi)
			return pz_error_set(err, PZ_ERANGE,
			                    "params.%s: %g is not an integer in "
			                    "[%g, %g]", p->label, v, p->low, hi);
		return 0;
	}
	if (step > 0 && !on_grid(v, step))
		return pz_error_set(err, PZ_ERANGE,
		                    "params.%s: %g is not a multiple of q = %g",
		                    p->label, v, step);
	if (pz_hp_is_log(p->kind) && v <= 0 && step == 0)
		return pz_error_set(err, PZ_ERANGE,
		                    "params.%s: %g must be > 0 for %s", p->label, v,
		                    pz_hp_kind_name(p->kind));
	if (!pz_hp_is_bounded(p->kind))
		return 0;
	lo = pz_hp_is_log(p->kind) ? exp(p->low) : p->low;
	hi = pz_hp_is_log(p->kind) ? exp(p->high) : p->high;
	if (step > 0) {
		/* Rounding can move a draw half a step past a bound. */
		lo = pz_quantize(lo, step) - 1e-9 * fmax(1.0, fabs(lo));
		hi = pz_quantize(hi, step) + 1e-9 * fmax(1.0, fabs(hi));
	} else {
		lo -= 1e-12 * fmax(1.0, fabs(lo));
		hi += 1e-12 * fmax(1.0, fabs(hi));
	}
	if (v < lo || v > hi)
		return pz_error_set(err, PZ_ERANGE,
		                    "params.%s: %g is outside the prior's range "
		                    "[%g, %g]", p->label, v,
		                    pz_hp_is_log(p->kind) ? exp(p->low) : p->low,
		                    pz_hp_is_log(p->kind) ? exp(p->high) : p->high);
	return 0;
}

int pz_params_from_json(const struct pz_space *space, const cJSON *params,
                        double *values, struct pz_error *err)
{
	const cJSON *c;
	int rc;

	if (!cJSON_IsObject(params))
		return pz_error_set(err, PZ_EINVAL,
		                    "params: must be an object {label: value}");
	cJSON_ArrayForEach(c, params)
	{
		if (pz_space_find(space, c->string) < 0)
			return pz_error_set(err, PZ_ENOENT,
			                    "params.%s: no such label in the space",
			                    c->string);
		if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble))
			return pz_error_set(err, PZ_EINVAL,
			                    "params.%s: must be a finite number",
			                    c->string);
	}
	for (int i = 0; i < space->n_params; i++) {
		const struct pz_param *p = &space->params[i];

		c = cJSON_GetObjectItemCaseSensitive(params, p->label);
		if (!pz_space_is_active(space, values, i)) {
			if (c != NULL)
				return pz_error_set(err, PZ_EINVAL,
				                    "params.%s: label is inactive (option %d "
				                    "of '%s' was not chosen)", p->label,
				                    p->parent_option,
				                    space->params[p->parent].label);
			values[i] = NAN;
			continue;
		}
		if (c == NULL)
			return pz_error_set(err, PZ_EINVAL,
			                    "params.%s: missing (the label is active)",
			                    p->label);
		if ((rc = check_value(p, c->valuedouble, err)) != 0)
			return rc;
		values[i] = c->valuedouble;
	}
	return 0;
}
