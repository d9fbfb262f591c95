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

/*
 * The checks of pz_params_from_json on values already read: given[i] is
 * label i's value when present[i]. Fills `values`.
 */
static int check_all(const struct pz_space *space, const double *given,
                     const unsigned char *present, double *values,
                     struct pz_error *err)
{
	int rc;

	for (int i = 0; i < space->n_params; i++) {
		const struct pz_param *p = &space->params[i];

		if (!pz_space_is_active(space, values, i)) {
			if (present[i])
				return pz_error_set_key(
				        err, PZ_EINVAL, "params", p->label,
				        "label is inactive (option %d of '%s' was "
				        "not chosen)",
				        p->parent_option,
				        space->params[p->parent].label);
			values[i] = NAN;
			continue;
		}
		if (!present[i])
			return pz_error_set_key(err, PZ_EINVAL, "params", p->label,
			                        "missing (the label is active)");
		if ((rc = check_value(p, given[i], err)) != 0)
			return rc;
		values[i] = given[i];
	}
	return 0;
}

/* Room for one value and one flag per label: on the stack when few. */
struct given {
	double some_v[64];
	unsigned char some_p[64];
	double *v;
	unsigned char *p;
};

static int given_init(struct given *g, int n)
{
	g->v = g->some_v;
	g->p = g->some_p;
	if (n > 64) {
		g->v = malloc((size_t)n * sizeof(double));
		g->p = calloc((size_t)n, 1);
		if (g->v == NULL || g->p == NULL) {
			free(g->v);
			free(g->p);
			return PZ_ENOMEM;
		}
	} else {
		memset(g->some_p, 0, sizeof(g->some_p));
	}
	return 0;
}

static void given_finish(struct given *g)
{
	if (g->v != g->some_v) {
		free(g->v);
		free(g->p);
	}
}

/* Label `key` (NUL-terminated): the one at `guess` (the next in space
 * order, as pz_params_to_text writes them) or found by search. */
static int label_index(const struct pz_space *space, int guess,
                       const char *key)
{
	if (guess < space->n_params &&
	    strcmp(space->params[guess].label, key) == 0)
		return guess;
	return pz_space_find(space, key);
}

int pz_params_from_json(const struct pz_space *space, const cJSON *params,
                        double *values, struct pz_error *err)
{
	const cJSON *c;
	struct given g;
	int guess = 0, rc = 0;

	if (!cJSON_IsObject(params))
		return pz_error_set_at(err, PZ_EINVAL, "params",
		                       "must be an object {label: value}");
	if (given_init(&g, space->n_params) != 0)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	cJSON_ArrayForEach(c, params) {
		int k = label_index(space, guess, c->string);

		if (k < 0) {
			rc = pz_error_set_key(err, PZ_ENOENT, "params", c->string,
			                      "no such label in the space");
			goto out;
		}
		if (g.p[k]) {
			rc = pz_error_set_key(err, PZ_EINVAL, "params", c->string,
			                      "the label appears twice");
			goto out;
		}
		if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble)) {
			rc = pz_error_set_key(err, PZ_EINVAL, "params", c->string,
			                      "must be a finite number");
			goto out;
		}
		g.v[k] = c->valuedouble;
		g.p[k] = 1;
		guess = k + 1;
	}
	rc = check_all(space, g.v, g.p, values, err);
out:
	given_finish(&g);
	return rc;
}

static const char *skip_ws(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	return s;
}

/*
 * Read {"label": number, ...} with plain labels (no escapes) and finite
 * numbers into g: 1 when the text is of that shape, 0 when it is not (it
 * may still be valid JSON: the caller parses it with cJSON), <0 for an
 * error in err (an unknown or repeated label).
 */
static int read_flat(const struct pz_space *space, const char *s,
                     size_t len, struct given *g, struct pz_error *err)
{
	const char *end = s + len;
	char key[PZ_LABEL_MAX + 1], num[64];
	int guess = 0;

	s = skip_ws(s, end);
	if (s == end || *s++ != '{')
		return 0;
	s = skip_ws(s, end);
	if (s < end && *s == '}')
		return skip_ws(s + 1, end) == end;
	for (;;) {
		const char *k0, *n0;
		char *stop;
		double v;
		int k;

		if (s == end || *s++ != '"')
			return 0;
		for (k0 = s; s < end && *s != '"' && *s != '\\'; s++)
			if ((unsigned char)*s < 0x20)
				return 0;
		if (s == end || *s != '"' || (size_t)(s - k0) > PZ_LABEL_MAX)
			return 0;
		memcpy(key, k0, (size_t)(s - k0));
		key[s - k0] = '\0';
		s = skip_ws(s + 1, end);
		if (s == end || *s++ != ':')
			return 0;
		s = skip_ws(s, end);
		/* A JSON number starts with '-' or a digit. */
		if (s == end || (*s != '-' && (*s < '0' || *s > '9')))
			return 0;
		for (n0 = s; s < end && strchr("0123456789+-.eE", *s) != NULL &&
		             *s != '\0';
		     s++)
			;
		if (s == n0 || (size_t)(s - n0) >= sizeof(num))
			return 0;
		memcpy(num, n0, (size_t)(s - n0));
		num[s - n0] = '\0';
		v = strtod(num, &stop);
		if (*stop != '\0' || !isfinite(v))
			return 0;
		if ((k = label_index(space, guess, key)) < 0)
			return pz_error_set_key(err, PZ_ENOENT, "params", key,
			                        "no such label in the space");
		if (g->p[k])
			return pz_error_set_key(err, PZ_EINVAL, "params", key,
			                        "the label appears twice");
		g->v[k] = v;
		g->p[k] = 1;
		guess = k + 1;
		s = skip_ws(s, end);
		if (s < end && *s == ',') {
			s = skip_ws(s + 1, end);
			continue;
		}
		if (s < end && *s == '}')
			return skip_ws(s + 1, end) == end;
		return 0;
	}
}

int pz_params_from_text(const struct pz_space *space, const char *text,
                        size_t len, double *values, struct pz_error *err)
{
	struct given g;
	cJSON *json;
	int rc;

	if (given_init(&g, space->n_params) != 0)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	rc = read_flat(space, text, len, &g, err);
	if (rc > 0)
		rc = check_all(space, g.v, g.p, values, err);
	else if (rc == 0)
		rc = 1;
	given_finish(&g);
	if (rc <= 0)
		return rc;
	/* Not the flat shape: JSON of another form, or not JSON. */
	json = cJSON_ParseWithLength(text, len);
	if (json == NULL)
		return pz_error_set_at(err, PZ_EINVAL, "params", "not JSON");
	rc = pz_params_from_json(space, json, values, err);
	cJSON_Delete(json);
	return rc;
}
