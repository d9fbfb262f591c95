/*
 * Params vectors <-> the flat JSON object {label: value} of the protocol,
 * and validation of params that a user supplies.
 */
#include <parzen/params.h>

#include <parzen/json.h>
#include <parzen/sample.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int check_value(const struct pz_param *p, double v, struct pz_error *err)
{
	double step = pz_space_param_step(p);
	double lo, hi;

	if (pz_space_kind_is_categorical(p->kind)) {
		if (v != floor(v) || v < 0 || v >= p->n_options)
			return pz_error_set_key(
				err, PZ_ERANGE, "params", p->label,
				"%g is not an option index of %s (0 to %d)", v,
				pz_space_kind_name(p->kind), p->n_options - 1);
		return 0;
	}
	if (pz_space_kind_is_integer(p->kind)) {
		hi = p->kind == PZ_HP_RANDINT ? p->high - 1 : p->high;
		if (v != floor(v) || v < p->low || v > hi)
			return pz_error_set_key(
				err, PZ_ERANGE, "params", p->label,
				"%g is not an integer in [%g, %g]", v, p->low,
				hi);
		return 0;
	}
	if (step > 0 && !on_grid(v, step))
		return pz_error_set_key(err, PZ_ERANGE, "params", p->label,
		                        "%g is not a multiple of q = %g", v,
		                        step);
	if (pz_space_kind_is_log(p->kind) && v <= 0 && step == 0)
		return pz_error_set_key(err, PZ_ERANGE, "params", p->label,
		                        "%g must be > 0 for %s", v,
		                        pz_space_kind_name(p->kind));
	if (!pz_space_kind_is_bounded(p->kind))
		return 0;
	lo = pz_space_kind_is_log(p->kind) ? exp(p->low) : p->low;
	hi = pz_space_kind_is_log(p->kind) ? exp(p->high) : p->high;
	if (step > 0) {
		/* Rounding can move a draw half a step past a bound. */
		lo = pz_sample_quantize(lo, step) - 1e-9 * fmax(1.0, fabs(lo));
		hi = pz_sample_quantize(hi, step) + 1e-9 * fmax(1.0, fabs(hi));
	} else {
		lo -= 1e-12 * fmax(1.0, fabs(lo));
		hi += 1e-12 * fmax(1.0, fabs(hi));
	}
	if (v < lo || v > hi)
		return pz_error_set_key(
			err, PZ_ERANGE, "params", p->label,
			"%g is outside the prior's range [%g, %g]", v,
			pz_space_kind_is_log(p->kind) ? exp(p->low) : p->low,
			pz_space_kind_is_log(p->kind) ? exp(p->high) : p->high);
	return 0;
}

int pz_params_from_json(const struct pz_space *space, const cJSON *params,
                        double *values, struct pz_error *err)
{
	const cJSON *c;
	int rc;

	if (!cJSON_IsObject(params))
		return pz_error_set_at(err, PZ_EINVAL, "params",
		                       "must be an object {label: value}");
	cJSON_ArrayForEach(c, params) {
		if (pz_space_find(space, c->string) < 0)
			return pz_error_set_key(err, PZ_ENOENT, "params",
			                        c->string,
			                        "no such label in the space");
		if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble))
			return pz_error_set_key(err, PZ_EINVAL, "params",
			                        c->string,
			                        "must be a finite number");
	}
	for (int i = 0; i < space->n_params; i++) {
		const struct pz_param *p = &space->params[i];

		c = cJSON_GetObjectItemCaseSensitive(params, p->label);
		if (!pz_space_is_active(space, values, i)) {
			if (c != NULL)
				return pz_error_set_key(
					err, PZ_EINVAL, "params", p->label,
					"label is inactive (option %d of '%s' was not chosen)",
					p->parent_option,
					space->params[p->parent].label);
			values[i] = NAN;
			continue;
		}
		if (c == NULL)
			return pz_error_set_key(err, PZ_EINVAL, "params",
			                        p->label,
			                        "missing (the label is active)");
		if ((rc = check_value(p, c->valuedouble, err)) != 0)
			return rc;
		values[i] = c->valuedouble;
	}
	return 0;
}
