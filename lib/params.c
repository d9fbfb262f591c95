/*
 * Params vectors <-> the flat JSON objects {label: value}, in index form
 * (the protocol's) and in value form (for people), and validation of
 * params that a user supplies.
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

static int check_value(const struct pz_param *p, double v, const char *root,
                       struct pz_error *err)
{
	double step = pz_space_param_step(p);
	double lo, hi;

	if (pz_space_kind_is_categorical(p->kind)) {
		if (v != floor(v) || v < 0 || v >= p->n_options)
			return pz_error_set_key(
				err, PZ_ERANGE, root, p->label,
				"%g is not an option index of %s (0 to %d)", v,
				pz_space_kind_name(p->kind), p->n_options - 1);
		return 0;
	}
	if (pz_space_kind_is_integer(p->kind)) {
		hi = p->kind == PZ_HP_RANDINT ? p->high - 1 : p->high;
		if (v != floor(v) || v < p->low || v > hi)
			return pz_error_set_key(
				err, PZ_ERANGE, root, p->label,
				"%g is not an integer in [%g, %g]", v, p->low,
				hi);
		return 0;
	}
	if (step > 0 && !on_grid(v, step))
		return pz_error_set_key(err, PZ_ERANGE, root, p->label,
		                        "%g is not a multiple of q = %g", v,
		                        step);
	if (pz_space_kind_is_log(p->kind) && v <= 0 && step == 0)
		return pz_error_set_key(err, PZ_ERANGE, root, p->label,
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
			err, PZ_ERANGE, root, p->label,
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
                     const unsigned char *present, const char *root,
                     double *values, struct pz_error *err)
{
	int rc;

	for (int i = 0; i < space->n_params; i++) {
		const struct pz_param *p = &space->params[i];

		if (!pz_space_is_active(space, values, i)) {
			if (present[i])
				return pz_error_set_key(
				        err, PZ_EINVAL, root, p->label,
				        "label is inactive (option %d of '%s' was "
				        "not chosen)",
				        p->parent_option,
				        space->params[p->parent].label);
			values[i] = NAN;
			continue;
		}
		if (!present[i])
			return pz_error_set_key(err, PZ_EINVAL, root, p->label,
			                        "missing (the label is active)");
		if ((rc = check_value(p, given[i], root, err)) != 0)
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

/* pz_params_from_json with errors under `root` instead of "params". */
static int from_json(const struct pz_space *space, const cJSON *params,
                     const char *root, double *values, struct pz_error *err)
{
	const cJSON *c;
	struct given g;
	int guess = 0, rc = 0;

	if (!cJSON_IsObject(params))
		return pz_error_set_at(err, PZ_EINVAL, root,
		                       "must be an object {label: value}");
	if (given_init(&g, space->n_params) != 0)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	cJSON_ArrayForEach(c, params) {
		int k = label_index(space, guess, c->string);

		if (k < 0) {
			rc = pz_error_set_key(err, PZ_ENOENT, root, c->string,
			                      "no such label in the space");
			goto out;
		}
		if (g.p[k]) {
			rc = pz_error_set_key(err, PZ_EINVAL, root, c->string,
			                      "the label appears twice");
			goto out;
		}
		if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble)) {
			rc = pz_error_set_key(err, PZ_EINVAL, root, c->string,
			                      "must be a finite number");
			goto out;
		}
		g.v[k] = c->valuedouble;
		g.p[k] = 1;
		guess = k + 1;
	}
	rc = check_all(space, g.v, g.p, root, values, err);
out:
	given_finish(&g);
	return rc;
}

int pz_params_from_json(const struct pz_space *space, const cJSON *params,
                        double *values, struct pz_error *err)
{
	return from_json(space, params, "params", values, err);
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
		rc = check_all(space, g.v, g.p, "params", values, err);
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

/* --- the value form ------------------------------------------------------ */

/* The HP node of parameter `param`, found depth first; NULL if none. */
static const struct pz_node *find_hp(const struct pz_node *n, int param)
{
	const struct pz_node *found;

	if (n->type == PZ_NODE_HP && n->param == param)
		return n;
	for (int i = 0; i < n->n_children; i++)
		if ((found = find_hp(n->children[i], param)) != NULL)
			return found;
	return NULL;
}

/* Does the subtree hold neither a hyperparameter nor a function node? */
static int is_literal(const struct pz_node *n)
{
	if (n->type == PZ_NODE_HP || n->type == PZ_NODE_FN)
		return 0;
	for (int i = 0; i < n->n_children; i++)
		if (!is_literal(n->children[i]))
			return 0;
	return 1;
}

/* The JSON value of a literal subtree. */
static cJSON *literal_json(const struct pz_node *n)
{
	cJSON *o;

	if (n->type == PZ_NODE_LITERAL)
		return cJSON_Duplicate(n->literal, 1);
	o = n->type == PZ_NODE_OBJECT ? cJSON_CreateObject()
	                              : cJSON_CreateArray();
	for (int i = 0; o != NULL && i < n->n_children; i++) {
		cJSON *c = literal_json(n->children[i]);
		int added = c != NULL &&
		            (n->type == PZ_NODE_OBJECT
		                     ? cJSON_AddItemToObject(o, n->keys[i], c)
		                     : cJSON_AddItemToArray(o, c));

		if (!added) {
			cJSON_Delete(c);
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

/* The first hyperparameter of a subtree, in document order, or NULL. */
static const struct pz_node *first_hp(const struct pz_node *n)
{
	const struct pz_node *found;

	if (n->type == PZ_NODE_HP)
		return n;
	for (int i = 0; i < n->n_children; i++)
		if ((found = first_hp(n->children[i])) != NULL)
			return found;
	return NULL;
}

/* The value form of an option node (see params.h). */
static cJSON *option_value(const struct pz_space *space,
                           const struct pz_node *opt, int option)
{
	const struct pz_node *hp;
	char name[32];

	for (int i = 0; opt->type == PZ_NODE_OBJECT && i < opt->n_children;
	     i++) {
		const struct pz_node *c = opt->children[i];

		if (strcmp(opt->keys[i], "name") == 0 &&
		    c->type == PZ_NODE_LITERAL && cJSON_IsString(c->literal))
			return cJSON_CreateString(c->literal->valuestring);
	}
	if (is_literal(opt))
		return literal_json(opt);
	hp = first_hp(opt);
	if (hp != NULL)
		return cJSON_CreateString(space->params[hp->param].label);
	snprintf(name, sizeof(name), "option %d", option);
	return cJSON_CreateString(name);
}

cJSON *pz_params_option_value(const struct pz_space *space, int param,
                              int option)
{
	const struct pz_node *n;

	if (param < 0 || param >= space->n_params ||
	    !pz_space_kind_is_categorical(space->params[param].kind))
		return NULL;
	n = find_hp(space->root, param);
	if (n == NULL || option < 0 || option >= n->n_children)
		return NULL;
	return option_value(space, n->children[option], option);
}

char *pz_params_value_text(const cJSON *v)
{
	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	return pz_json_print(v, NULL);
}

char *pz_params_option_text(const struct pz_space *space, int param,
                            int option)
{
	cJSON *v = pz_params_option_value(space, param, option);
	char *text = v != NULL ? pz_params_value_text(v) : NULL;

	cJSON_Delete(v);
	return text;
}

/* The value form of label i's value v (index form); NULL: out of memory. */
static cJSON *value_of(const struct pz_space *space, int i, double v)
{
	const struct pz_param *p = &space->params[i];

	if (pz_space_kind_is_categorical(p->kind) && v == floor(v) && v >= 0 &&
	    v < p->n_options)
		return pz_params_option_value(space, i, (int)v);
	return cJSON_CreateNumber(v);
}

cJSON *pz_params_to_values(const struct pz_space *space, const double *values)
{
	cJSON *obj = cJSON_CreateObject();

	for (int i = 0; obj != NULL && i < space->n_params; i++) {
		cJSON *v;

		if (isnan(values[i]))
			continue;
		v = value_of(space, i, values[i]);
		if (v == NULL ||
		    !cJSON_AddItemToObject(obj, space->params[i].label, v)) {
			cJSON_Delete(v);
			cJSON_Delete(obj);
			return NULL;
		}
	}
	return obj;
}

cJSON *pz_params_json_to_values(const struct pz_space *space,
                                const cJSON *params)
{
	cJSON *obj = cJSON_CreateObject();
	const cJSON *c;

	cJSON_ArrayForEach(c, params) {
		int i = pz_space_find(space, c->string);
		cJSON *v = i >= 0 && cJSON_IsNumber(c)
		                   ? value_of(space, i, c->valuedouble)
		                   : cJSON_Duplicate(c, 1);

		if (obj == NULL)
			break;
		if (v == NULL || !cJSON_AddItemToObject(obj, c->string, v)) {
			cJSON_Delete(v);
			cJSON_Delete(obj);
			return NULL;
		}
	}
	return obj;
}

/*
 * Is `v` an {"$index": N} marker? *k is N, or NAN when N is not a number.
 */
static int index_marker(const cJSON *v, double *k)
{
	const cJSON *i = cJSON_IsObject(v) ? v->child : NULL;

	if (i == NULL || i->next != NULL || strcmp(i->string, "$index") != 0)
		return 0;
	*k = cJSON_IsNumber(i) ? i->valuedouble : NAN;
	return 1;
}

/* Up to `len` bytes of the compact JSON of `v` into `buf`. */
static void quote(const cJSON *v, char *buf, size_t len)
{
	char *text = pz_json_print(v, NULL);

	snprintf(buf, len, "%s", text != NULL ? text : "?");
	if (text != NULL && strlen(text) >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
	free(text);
}

/*
 * The option index of choice `i` that the value-form `v` names, into
 * *out; an error under root.label when it names none or several.
 */
static int option_of(const struct pz_space *space, int i, const cJSON *v,
                     const char *root, double *out, struct pz_error *err)
{
	const struct pz_param *p = &space->params[i];
	const struct pz_node *n = find_hp(space->root, i);
	char given[96], list[256];
	double marker = 0;
	int found = -1, second = -1;
	size_t used = 0;

	if (index_marker(v, &marker)) {
		if (!(marker >= 0) || marker != floor(marker) ||
		    marker >= p->n_options)
			return pz_error_set_key(err, PZ_ERANGE, root, p->label,
			                        "$index must be an option index "
			                        "of %s (0 to %d)",
			                        pz_space_kind_name(p->kind),
			                        p->n_options - 1);
		*out = marker;
		return 0;
	}
	if (n == NULL)
		return pz_error_set(err, PZ_EINVAL, "no node for label %s",
		                    p->label);
	list[0] = '\0';
	for (int k = 0; k < n->n_children; k++) {
		const struct pz_node *opt = n->children[k];
		cJSON *ov = option_value(space, opt, k), *lit = NULL;
		char one[64];
		int match;

		if (ov == NULL)
			return pz_error_set(err, PZ_ENOMEM, "out of memory");
		/* A literal option named by its "name" is also matched by
		 * the whole literal. */
		match = cJSON_Compare(v, ov, 1);
		if (!match && cJSON_IsObject(v) && opt->type == PZ_NODE_OBJECT &&
		    is_literal(opt)) {
			lit = literal_json(opt);
			match = lit != NULL && cJSON_Compare(v, lit, 1);
			cJSON_Delete(lit);
		}
		if (match) {
			if (found < 0)
				found = k;
			else if (second < 0)
				second = k;
		}
		quote(ov, one, sizeof(one));
		cJSON_Delete(ov);
		if (used < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used,
			                         "%s%s", k ? ", " : "", one);
	}
	quote(v, given, sizeof(given));
	if (found >= 0 && second >= 0)
		return pz_error_set_key(err, PZ_EINVAL, root, p->label,
		                        "%s is the value of options %d and %d; "
		                        "give the option by its index, "
		                        "{\"$index\": %d}", given, found, second,
		                        found);
	if (found < 0)
		return pz_error_set_key(err, PZ_EINVAL, root, p->label,
		                        "%s is not the value of any option "
		                        "(%s%s); {\"$index\": N} gives an option "
		                        "by its index", given, list,
		                        used >= sizeof(list) ? "..." : "");
	*out = found;
	return 0;
}

int pz_params_option_index(const struct pz_space *space, int param,
                           const cJSON *v)
{
	double k;

	if (param < 0 || param >= space->n_params ||
	    !pz_space_kind_is_categorical(space->params[param].kind) ||
	    option_of(space, param, v, "values", &k, NULL) != 0)
		return -1;
	return (int)k;
}

int pz_params_from_values(const struct pz_space *space, const cJSON *obj,
                          const char *root, double *values,
                          struct pz_error *err)
{
	cJSON *idx;
	const cJSON *c;
	int rc = 0;

	if (!cJSON_IsObject(obj))
		return pz_error_set_at(err, PZ_EINVAL, root,
		                       "must be an object {label: value}");
	idx = cJSON_CreateObject();
	if (idx == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	cJSON_ArrayForEach(c, obj) {
		int i = pz_space_find(space, c->string);
		double k;
		cJSON *v;

		if (i < 0) {
			rc = pz_error_set_key(err, PZ_ENOENT, root, c->string,
			                      "no such label in the space");
			break;
		}
		if (!pz_space_kind_is_categorical(space->params[i].kind)) {
			v = cJSON_Duplicate(c, 1);
		} else {
			if ((rc = option_of(space, i, c, root, &k, err)) != 0)
				break;
			v = cJSON_CreateNumber(k);
		}
		if (v == NULL || !cJSON_AddItemToObject(idx, c->string, v)) {
			cJSON_Delete(v);
			rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
			break;
		}
	}
	if (rc == 0)
		rc = from_json(space, idx, root, values, err);
	cJSON_Delete(idx);
	return rc;
}
