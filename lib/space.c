/*
 * Space documents: validation and the immutable model the samplers use.
 *
 * Parsing walks the cJSON tree once, depth first, keeping the JSON path of
 * the current node in a buffer so that every refusal names the exact place
 * (`space.optimizer.options[1].rho: high must be > low`). Hyperparameters
 * are appended to the flat table in the same pre-order walk, so a choice
 * precedes everything nested in its options and activity can be decided in
 * one forward pass over a params vector.
 */
#include <parzen/space.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <parzen/utf8.h>

#define PATH_CAP 1024

struct parser {
	struct pz_space *space;
	int cap_params;
	struct pz_error *err;
	char path[PATH_CAP];
	int cond_param;  /* innermost enclosing choice, -1 at top level */
	int cond_option;
};

static const char *const hp_names[] = {
	[PZ_HP_UNIFORM] = "uniform",       [PZ_HP_QUNIFORM] = "quniform",
	[PZ_HP_LOGUNIFORM] = "loguniform", [PZ_HP_QLOGUNIFORM] = "qloguniform",
	[PZ_HP_NORMAL] = "normal",         [PZ_HP_QNORMAL] = "qnormal",
	[PZ_HP_LOGNORMAL] = "lognormal",   [PZ_HP_QLOGNORMAL] = "qlognormal",
	[PZ_HP_RANDINT] = "randint",       [PZ_HP_UNIFORMINT] = "uniformint",
	[PZ_HP_CHOICE] = "choice",         [PZ_HP_PCHOICE] = "pchoice",
};

/* Arguments each kind accepts besides "$hp" and "label". */
static const char *const hp_args[] = {
	[PZ_HP_UNIFORM] = "low, high",     [PZ_HP_QUNIFORM] = "low, high, q",
	[PZ_HP_LOGUNIFORM] = "low, high",  [PZ_HP_QLOGUNIFORM] = "low, high, q",
	[PZ_HP_NORMAL] = "mu, sigma",      [PZ_HP_QNORMAL] = "mu, sigma, q",
	[PZ_HP_LOGNORMAL] = "mu, sigma",   [PZ_HP_QLOGNORMAL] = "mu, sigma, q",
	[PZ_HP_RANDINT] = "low, high",     [PZ_HP_UNIFORMINT] = "low, high",
	[PZ_HP_CHOICE] = "options",        [PZ_HP_PCHOICE] = "options, p",
};

static const char *const fn_names[] = {
	[PZ_FN_INT] = "int", [PZ_FN_FLOAT] = "float", [PZ_FN_ADD] = "add",
	[PZ_FN_SUB] = "sub", [PZ_FN_MUL] = "mul",     [PZ_FN_DIV] = "div",
	[PZ_FN_NEG] = "neg", [PZ_FN_POW] = "pow",
};

#define N_HP_KINDS ((int)(sizeof(hp_names) / sizeof(hp_names[0])))
#define N_FN_KINDS ((int)(sizeof(fn_names) / sizeof(fn_names[0])))

const char *pz_space_kind_name(enum pz_hp_kind kind)
{
	return (int)kind < N_HP_KINDS ? hp_names[kind] : "?";
}

const char *pz_space_fn_name(enum pz_fn_kind kind)
{
	return (int)kind < N_FN_KINDS ? fn_names[kind] : "?";
}

int pz_space_kind_is_categorical(enum pz_hp_kind kind)
{
	return kind == PZ_HP_CHOICE || kind == PZ_HP_PCHOICE;
}

int pz_space_kind_is_integer(enum pz_hp_kind kind)
{
	return kind == PZ_HP_RANDINT || kind == PZ_HP_UNIFORMINT;
}

int pz_space_kind_is_log(enum pz_hp_kind kind)
{
	return kind == PZ_HP_LOGUNIFORM || kind == PZ_HP_QLOGUNIFORM ||
	       kind == PZ_HP_LOGNORMAL || kind == PZ_HP_QLOGNORMAL;
}

int pz_space_kind_is_bounded(enum pz_hp_kind kind)
{
	return kind == PZ_HP_UNIFORM || kind == PZ_HP_QUNIFORM ||
	       kind == PZ_HP_LOGUNIFORM || kind == PZ_HP_QLOGUNIFORM ||
	       pz_space_kind_is_integer(kind);
}

double pz_space_param_step(const struct pz_param *p)
{
	switch (p->kind) {
	case PZ_HP_QUNIFORM:
	case PZ_HP_QLOGUNIFORM:
	case PZ_HP_QNORMAL:
	case PZ_HP_QLOGNORMAL:
		return p->q;
	case PZ_HP_RANDINT:
	case PZ_HP_UNIFORMINT:
		return 1.0;
	default:
		return 0.0;
	}
}

int pz_space_is_active(const struct pz_space *space, const double *values,
                       int i)
{
	const struct pz_param *p = &space->params[i];

	if (p->parent < 0)
		return 1;
	return !isnan(values[p->parent]) &&
	       values[p->parent] == (double)p->parent_option;
}

int pz_space_find(const struct pz_space *space, const char *label)
{
	for (int i = 0; i < space->n_params; i++)
		if (strcmp(space->params[i].label, label) == 0)
			return i;
	return -1;
}

/* --- path handling ------------------------------------------------------ */

static size_t path_key(struct parser *ps, size_t len, const char *key)
{
	int n = snprintf(ps->path + len, PATH_CAP - len, ".%s", key);

	if (n < 0 || (size_t)n >= PATH_CAP - len)
		return PATH_CAP - 1;
	return len + (size_t)n;
}

static size_t path_index(struct parser *ps, size_t len, int i)
{
	int n = snprintf(ps->path + len, PATH_CAP - len, "[%d]", i);

	if (n < 0 || (size_t)n >= PATH_CAP - len)
		return PATH_CAP - 1;
	return len + (size_t)n;
}

static int fail(struct parser *ps, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct parser *ps, size_t len, const char *fmt, ...)
{
	char msg[PZ_ERROR_MSG_MAX];
	va_list ap;

	ps->path[len] = '\0';
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pz_error_set_at(ps->err, PZ_EINVAL, ps->path, "%s", msg);
}

/* --- nodes -------------------------------------------------------------- */

static void node_destroy(struct pz_node *n)
{
	if (n == NULL)
		return;
	cJSON_Delete(n->literal);
	for (int i = 0; i < n->n_children; i++) {
		node_destroy(n->children[i]);
		if (n->keys != NULL)
			free(n->keys[i]);
	}
	free(n->children);
	free(n->keys);
	free(n->path);
	free(n);
}

static struct pz_node *node_new(enum pz_node_type type, int n_children,
                                int with_keys)
{
	struct pz_node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->type = type;
	n->param = -1;
	if (n_children > 0) {
		n->children = calloc((size_t)n_children, sizeof(*n->children));
		if (with_keys)
			n->keys = calloc((size_t)n_children, sizeof(*n->keys));
		if (n->children == NULL || (with_keys && n->keys == NULL)) {
			node_destroy(n);
			return NULL;
		}
	}
	return n;
}

static int parse_node(struct parser *ps, const cJSON *j, size_t len,
                      int depth, struct pz_node **out);

static int parse_children(struct parser *ps, const cJSON *arr, size_t len,
                          int depth, struct pz_node *n)
{
	const cJSON *c;
	int i = 0, rc;

	cJSON_ArrayForEach(c, arr)
	{
		size_t l2 = path_index(ps, len, i);

		/* Count the slot first so that a failed child is freed too. */
		n->n_children = i + 1;
		rc = parse_node(ps, c, l2, depth + 1, &n->children[i]);
		if (rc != 0)
			return rc;
		i++;
	}
	return 0;
}

static int get_number(struct parser *ps, const cJSON *obj, size_t len,
                      const char *key, int required, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (v == NULL) {
		if (required)
			return fail(ps, len, "missing argument '%s'", key);
		return 1;
	}
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return fail(ps, path_key(ps, len, key),
		            "must be a finite number");
	*out = v->valuedouble;
	return 0;
}

static int get_integer(struct parser *ps, const cJSON *obj, size_t len,
                       const char *key, int required, double *out)
{
	int rc = get_number(ps, obj, len, key, required, out);

	if (rc != 0)
		return rc;
	if (*out != floor(*out) || fabs(*out) > 9007199254740992.0)
		return fail(ps, path_key(ps, len, key),
		            "must be an integer (got %g)", *out);
	return 0;
}

static int check_keys(struct parser *ps, const cJSON *obj, size_t len,
                      const char *tag, const char *allowed, const char *what)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, obj)
	{
		const char *k = c->string;
		size_t kl = strlen(k);
		const char *s = allowed;
		int ok = strcmp(k, tag) == 0 || strcmp(k, "label") == 0;

		while (!ok && *s != '\0') {
			size_t wl = strcspn(s, ",");

			if (wl == kl && strncmp(s, k, kl) == 0)
				ok = 1;
			s += wl;
			while (*s == ',' || *s == ' ')
				s++;
		}
		if (!ok)
			return fail(ps, len,
			            "unknown argument '%s' for %s (expected %s)",
			            k, what, allowed);
	}
	return 0;
}

static int add_param(struct parser *ps, size_t len, const char *label,
                     enum pz_hp_kind kind, int *index)
{
	struct pz_space *s = ps->space;
	struct pz_param *p;

	for (int i = 0; i < s->n_params; i++)
		if (strcmp(s->params[i].label, label) == 0)
			return fail(ps, len,
			            "duplicate label '%s' (first used at %s)",
			            label, s->params[i].path);
	if (s->n_params >= PZ_SPACE_MAX_PARAMS)
		return fail(ps, len, "more than %d hyperparameters",
		            PZ_SPACE_MAX_PARAMS);
	if (s->n_params == ps->cap_params) {
		int cap = ps->cap_params ? 2 * ps->cap_params : 16;
		struct pz_param *np =
		    realloc(s->params, (size_t)cap * sizeof(*np));

		if (np == NULL)
			return pz_error_set(ps->err, PZ_ENOMEM, "out of memory");
		s->params = np;
		ps->cap_params = cap;
	}
	p = &s->params[s->n_params];
	memset(p, 0, sizeof(*p));
	p->label = strdup(label);
	ps->path[len] = '\0';
	p->path = strdup(ps->path);
	if (p->label == NULL || p->path == NULL) {
		free(p->label);
		free(p->path);
		return pz_error_set(ps->err, PZ_ENOMEM, "out of memory");
	}
	p->kind = kind;
	p->parent = ps->cond_param;
	p->parent_option = ps->cond_option;
	*index = s->n_params++;
	return 0;
}

/* The largest magnitude a quantized kind's values reach (their draws lie
 * within mu +- 9 sigma, or within the bounds). */
static double quantum_range(const struct pz_param *p)
{
	switch (p->kind) {
	case PZ_HP_QUNIFORM:
		return fmax(fabs(p->low), fabs(p->high));
	case PZ_HP_QLOGUNIFORM:
		return exp(p->high);
	case PZ_HP_QNORMAL:
		return fabs(p->mu) + 9 * p->sigma;
	default: /* qlognormal */
		return exp(p->mu + 9 * p->sigma);
	}
}

static int parse_numeric_args(struct parser *ps, const cJSON *j, size_t len,
                              struct pz_param *p)
{
	int rc;

	switch (p->kind) {
	case PZ_HP_UNIFORM:
	case PZ_HP_QUNIFORM:
	case PZ_HP_LOGUNIFORM:
	case PZ_HP_QLOGUNIFORM:
		if ((rc = get_number(ps, j, len, "low", 1, &p->low)) != 0 ||
		    (rc = get_number(ps, j, len, "high", 1, &p->high)) != 0)
			return rc;
		if (!(p->high > p->low))
			return fail(ps, len, "high must be > low (got low %g, high %g)",
			            p->low, p->high);
		/* Draws are low + (high - low) * u: the width must be finite. */
		if (!isfinite(p->high - p->low))
			return fail(ps, len, "high - low must be a finite number "
			                     "(got low %g, high %g)", p->low,
			            p->high);
		if (pz_space_kind_is_log(p->kind) &&
		    (p->low < -700 || p->high > 700))
			return fail(ps, len,
			            "log-space bounds must lie in [-700, 700] "
			            "(low and high are logarithms, as in hyperopt)");
		break;
	case PZ_HP_NORMAL:
	case PZ_HP_QNORMAL:
	case PZ_HP_LOGNORMAL:
	case PZ_HP_QLOGNORMAL:
		if ((rc = get_number(ps, j, len, "mu", 1, &p->mu)) != 0 ||
		    (rc = get_number(ps, j, len, "sigma", 1, &p->sigma)) != 0)
			return rc;
		if (!(p->sigma > 0))
			return fail(ps, path_key(ps, len, "sigma"),
			            "sigma must be > 0 (got %g)", p->sigma);
		/* Draws lie within mu +- 9 sigma (with probability 1 - 2e-19);
		 * keep that range representable: exp() of it for the log kinds,
		 * finite otherwise. */
		if (pz_space_kind_is_log(p->kind) &&
		    fabs(p->mu) + 9 * p->sigma > 700)
			return fail(ps, len,
			            "|mu| + 9 sigma must be <= 700 for %s, whose "
			            "values are exp() of a normal (got mu %g, sigma %g)",
			            hp_names[p->kind], p->mu, p->sigma);
		if (!pz_space_kind_is_log(p->kind) &&
		    fabs(p->mu) + 9 * p->sigma > 1e300)
			return fail(ps, len, "mu and sigma are too large to draw "
			                     "finite values");
		break;
	case PZ_HP_RANDINT:
		p->low = 0;
		rc = get_integer(ps, j, len, "low", 0, &p->low);
		if (rc < 0)
			return rc;
		if ((rc = get_integer(ps, j, len, "high", 1, &p->high)) != 0)
			return rc;
		if (!(p->high > p->low))
			return fail(ps, len,
			            "high must be > low (randint draws from [low, high); "
			            "got low %g, high %g)", p->low, p->high);
		break;
	case PZ_HP_UNIFORMINT:
		if ((rc = get_integer(ps, j, len, "low", 1, &p->low)) != 0 ||
		    (rc = get_integer(ps, j, len, "high", 1, &p->high)) != 0)
			return rc;
		if (!(p->high > p->low))
			return fail(ps, len, "high must be > low (got low %g, high %g)",
			            p->low, p->high);
		break;
	default:
		break;
	}
	if (p->kind == PZ_HP_QUNIFORM || p->kind == PZ_HP_QLOGUNIFORM ||
	    p->kind == PZ_HP_QNORMAL || p->kind == PZ_HP_QLOGNORMAL) {
		if ((rc = get_number(ps, j, len, "q", 1, &p->q)) != 0)
			return rc;
		if (!(p->q > 0))
			return fail(ps, path_key(ps, len, "q"),
			            "q must be > 0 (got %g)", p->q);
		/* Values are round(x / q) * q: x / q must stay an integer a
		 * double holds exactly, or the grid (and the value) is lost. */
		if (quantum_range(p) / p->q > 9007199254740992.0)
			return fail(ps, path_key(ps, len, "q"),
			            "q = %g is too small for the range of the "
			            "values (more than 2^53 steps)", p->q);
	}
	return 0;
}

static int parse_probabilities(struct parser *ps, const cJSON *j, size_t len,
                               struct pz_param *p)
{
	const cJSON *pa = cJSON_GetObjectItemCaseSensitive(j, "p");
	const cJSON *c;
	double sum = 0;
	int i = 0;
	size_t pl = path_key(ps, len, "p");

	if (pa == NULL)
		return fail(ps, len, "missing argument 'p'");
	if (!cJSON_IsArray(pa))
		return fail(ps, pl, "must be an array of probabilities");
	if (cJSON_GetArraySize(pa) != p->n_options)
		return fail(ps, pl, "has %d probabilities for %d options",
		            cJSON_GetArraySize(pa), p->n_options);
	p->p = calloc((size_t)p->n_options, sizeof(double));
	if (p->p == NULL)
		return pz_error_set(ps->err, PZ_ENOMEM, "out of memory");
	cJSON_ArrayForEach(c, pa)
	{
		if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble) ||
		    c->valuedouble < 0 || c->valuedouble > 1)
			return fail(ps, path_index(ps, pl, i),
			            "must be a probability in [0, 1]");
		p->p[i++] = c->valuedouble;
		sum += c->valuedouble;
	}
	if (fabs(sum - 1.0) > 1e-6)
		return fail(ps, pl, "probabilities sum to %.9g, must sum to 1", sum);
	return 0;
}

/* A key that appears twice among the members of object `j`, or NULL. */
static const char *duplicate_key(const cJSON *j)
{
	for (const cJSON *a = j->child; a != NULL; a = a->next)
		for (const cJSON *b = a->next; b != NULL; b = b->next)
			if (strcmp(a->string, b->string) == 0)
				return a->string;
	return NULL;
}

static int parse_hp(struct parser *ps, const cJSON *j, size_t len, int depth,
                    struct pz_node **out)
{
	const cJSON *tag = cJSON_GetObjectItemCaseSensitive(j, "$hp");
	const cJSON *label = cJSON_GetObjectItemCaseSensitive(j, "label");
	const cJSON *opts, *c;
	struct pz_node *n;
	int kind = -1, idx = -1, rc, saved_param, saved_option, i;

	if (cJSON_GetObjectItemCaseSensitive(j, "$fn") != NULL)
		return fail(ps, len, "an object cannot have both \"$hp\" and \"$fn\"");
	if (!cJSON_IsString(tag))
		return fail(ps, path_key(ps, len, "$hp"),
		            "must be a string naming a distribution");
	for (i = 0; i < N_HP_KINDS; i++)
		if (strcmp(tag->valuestring, hp_names[i]) == 0)
			kind = i;
	if (kind < 0)
		return fail(ps, path_key(ps, len, "$hp"),
		            "unknown distribution '%s' (expected one of uniform, "
		            "quniform, loguniform, qloguniform, normal, qnormal, "
		            "lognormal, qlognormal, randint, uniformint, choice, "
		            "pchoice)", tag->valuestring);
	if ((rc = check_keys(ps, j, len, "$hp", hp_args[kind],
	                     hp_names[kind])) != 0)
		return rc;
	if (label == NULL)
		return fail(ps, len, "missing 'label'");
	if (!cJSON_IsString(label) || label->valuestring[0] == '\0')
		return fail(ps, path_key(ps, len, "label"),
		            "must be a non-empty string");
	if (strlen(label->valuestring) > PZ_LABEL_MAX)
		return fail(ps, path_key(ps, len, "label"),
		            "longer than %d bytes", PZ_LABEL_MAX);
	if (pz_utf8_has_control(label->valuestring))
		return fail(ps, path_key(ps, len, "label"),
		            "may not contain control characters");
	if ((rc = add_param(ps, len, label->valuestring, kind, &idx)) != 0)
		return rc;
	if ((rc = parse_numeric_args(ps, j, len, &ps->space->params[idx])) != 0)
		return rc;

	if (!pz_space_kind_is_categorical(kind)) {
		n = node_new(PZ_NODE_HP, 0, 0);
		if (n == NULL)
			return pz_error_set(ps->err, PZ_ENOMEM, "out of memory");
		n->param = idx;
		*out = n;
		return 0;
	}

	opts = cJSON_GetObjectItemCaseSensitive(j, "options");
	if (opts == NULL)
		return fail(ps, len, "missing argument 'options'");
	if (!cJSON_IsArray(opts) || cJSON_GetArraySize(opts) == 0)
		return fail(ps, path_key(ps, len, "options"),
		            "must be a non-empty array of spaces");
	ps->space->params[idx].n_options = cJSON_GetArraySize(opts);
	if (kind == PZ_HP_PCHOICE &&
	    (rc = parse_probabilities(ps, j, len, &ps->space->params[idx])) != 0)
		return rc;

	n = node_new(PZ_NODE_HP, ps->space->params[idx].n_options, 0);
	if (n == NULL)
		return pz_error_set(ps->err, PZ_ENOMEM, "out of memory");
	n->param = idx;
	*out = n;
	saved_param = ps->cond_param;
	saved_option = ps->cond_option;
	ps->cond_param = idx;
	i = 0;
	size_t ol = path_key(ps, len, "options");
	cJSON_ArrayForEach(c, opts)
	{
		ps->cond_option = i;
		n->n_children = i + 1;
		rc = parse_node(ps, c, path_index(ps, ol, i), depth + 1,
		                &n->children[i]);
		if (rc != 0)
			break;
		i++;
	}
	ps->cond_param = saved_param;
	ps->cond_option = saved_option;
	return rc;
}

static int parse_fn(struct parser *ps, const cJSON *j, size_t len, int depth,
                    struct pz_node **out)
{
	const cJSON *tag = cJSON_GetObjectItemCaseSensitive(j, "$fn");
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(j, "args");
	struct pz_node *n;
	int kind = -1, nargs, lo, hi, rc;

	if (!cJSON_IsString(tag))
		return fail(ps, path_key(ps, len, "$fn"),
		            "must be a string naming a function");
	for (int i = 0; i < N_FN_KINDS; i++)
		if (strcmp(tag->valuestring, fn_names[i]) == 0)
			kind = i;
	if (kind < 0)
		return fail(ps, path_key(ps, len, "$fn"),
		            "unknown function '%s' (expected one of int, float, "
		            "add, sub, mul, div, neg, pow)", tag->valuestring);
	if ((rc = check_keys(ps, j, len, "$fn", "args", fn_names[kind])) != 0)
		return rc;
	if (cJSON_GetObjectItemCaseSensitive(j, "label") != NULL)
		return fail(ps, len, "unknown argument 'label' for %s (expected args)",
		            fn_names[kind]);
	if (!cJSON_IsArray(args))
		return fail(ps, len, "missing argument 'args' (an array)");
	nargs = cJSON_GetArraySize(args);
	switch (kind) {
	case PZ_FN_INT:
	case PZ_FN_FLOAT:
	case PZ_FN_NEG:
		lo = hi = 1;
		break;
	case PZ_FN_ADD:
	case PZ_FN_MUL:
		lo = 2;
		hi = 64;
		break;
	default:
		lo = hi = 2;
		break;
	}
	if ((nargs < lo || nargs > hi) && lo == hi)
		return fail(ps, path_key(ps, len, "args"),
		            "%s takes %d argument%s, got %d", fn_names[kind],
		            lo, lo == 1 ? "" : "s", nargs);
	if (nargs < lo || nargs > hi)
		return fail(ps, path_key(ps, len, "args"),
		            "%s takes %d to %d arguments, got %d",
		            fn_names[kind], lo, hi, nargs);
	n = node_new(PZ_NODE_FN, nargs, 0);
	if (n == NULL)
		return pz_error_set(ps->err, PZ_ENOMEM, "out of memory");
	n->fn = kind;
	*out = n;
	ps->path[len] = '\0';
	n->path = strdup(ps->path);
	if (n->path == NULL)
		return pz_error_set(ps->err, PZ_ENOMEM, "out of memory");
	return parse_children(ps, args, path_key(ps, len, "args"), depth, n);
}

static int parse_object(struct parser *ps, const cJSON *j, size_t len,
                        int depth, struct pz_node **out)
{
	const cJSON *c;
	struct pz_node *n;
	int i = 0, rc;

	cJSON_ArrayForEach(c, j)
	{
		if (c->string[0] == '$')
			return fail(ps, len,
			            "key '%s' is reserved (keys starting with '$' "
			            "are \"$hp\" and \"$fn\" only)", c->string);
	}
	n = node_new(PZ_NODE_OBJECT, cJSON_GetArraySize(j), 1);
	if (n == NULL)
		return pz_error_set(ps->err, PZ_ENOMEM, "out of memory");
	*out = n;
	cJSON_ArrayForEach(c, j)
	{
		n->keys[i] = strdup(c->string);
		if (n->keys[i] == NULL)
			return pz_error_set(ps->err, PZ_ENOMEM, "out of memory");
		n->n_children = i + 1;
		rc = parse_node(ps, c, path_key(ps, len, c->string), depth + 1,
		                &n->children[i]);
		if (rc != 0)
			return rc;
		i++;
	}
	return 0;
}

static int parse_node(struct parser *ps, const cJSON *j, size_t len,
                      int depth, struct pz_node **out)
{
	struct pz_node *n;

	*out = NULL;
	if (depth > PZ_SPACE_MAX_DEPTH)
		return fail(ps, len, "nested deeper than %d levels",
		            PZ_SPACE_MAX_DEPTH);
	if (cJSON_IsObject(j)) {
		const char *dup = duplicate_key(j);

		/* JSON readers disagree on which of two equal keys counts. */
		if (dup != NULL)
			return fail(ps, path_key(ps, len, dup),
			            "the key appears twice in one object");
		if (cJSON_GetObjectItemCaseSensitive(j, "$hp") != NULL)
			return parse_hp(ps, j, len, depth, out);
		if (cJSON_GetObjectItemCaseSensitive(j, "$fn") != NULL)
			return parse_fn(ps, j, len, depth, out);
		return parse_object(ps, j, len, depth, out);
	}
	if (cJSON_IsArray(j)) {
		n = node_new(PZ_NODE_ARRAY, cJSON_GetArraySize(j), 0);
		if (n == NULL)
			return pz_error_set(ps->err, PZ_ENOMEM, "out of memory");
		*out = n;
		return parse_children(ps, j, len, depth, n);
	}
	if (cJSON_IsNumber(j) && !isfinite(j->valuedouble))
		return fail(ps, len, "numbers must be finite");
	if (cJSON_IsInvalid(j))
		return fail(ps, len, "not a JSON value");
	n = node_new(PZ_NODE_LITERAL, 0, 0);
	if (n == NULL)
		return pz_error_set(ps->err, PZ_ENOMEM, "out of memory");
	*out = n;
	n->literal = cJSON_Duplicate(j, 0);
	if (n->literal == NULL)
		return pz_error_set(ps->err, PZ_ENOMEM, "out of memory");
	return 0;
}

/* --- activation groups --------------------------------------------------- */

static int build_groups(struct pz_space *s, struct pz_error *err)
{
	int *count;

	s->groups = calloc((size_t)s->n_params + 1, sizeof(*s->groups));
	count = calloc((size_t)s->n_params + 1, sizeof(*count));
	if (s->groups == NULL || count == NULL) {
		free(count);
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	}
	for (int i = 0; i < s->n_params; i++) {
		struct pz_param *p = &s->params[i];
		int g;

		for (g = 0; g < s->n_groups; g++)
			if (s->groups[g].cond_param == p->parent &&
			    s->groups[g].cond_option == p->parent_option)
				break;
		if (g == s->n_groups) {
			s->groups[g].cond_param = p->parent;
			s->groups[g].cond_option = p->parent_option;
			s->n_groups++;
		}
		p->group = g;
		count[g]++;
	}
	for (int g = 0; g < s->n_groups; g++) {
		s->groups[g].members = calloc((size_t)count[g], sizeof(int));
		if (s->groups[g].members == NULL) {
			free(count);
			return pz_error_set(err, PZ_ENOMEM, "out of memory");
		}
	}
	for (int i = 0; i < s->n_params; i++) {
		struct pz_group *g = &s->groups[s->params[i].group];

		g->members[g->n_members++] = i;
	}
	free(count);
	return 0;
}

void pz_space_destroy(struct pz_space *space)
{
	if (space == NULL)
		return;
	node_destroy(space->root);
	for (int i = 0; i < space->n_params; i++) {
		free(space->params[i].label);
		free(space->params[i].path);
		free(space->params[i].p);
	}
	free(space->params);
	if (space->groups != NULL)
		for (int g = 0; g < space->n_groups; g++)
			free(space->groups[g].members);
	free(space->groups);
	free(space);
}

int pz_space_create(const cJSON *doc, const char *root_name,
                    struct pz_space **out, struct pz_error *err)
{
	struct parser ps;
	size_t len;
	int rc;

	*out = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.space = calloc(1, sizeof(*ps.space));
	if (ps.space == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	ps.err = err;
	ps.cond_param = -1;
	ps.cond_option = -1;
	len = (size_t)snprintf(ps.path, PATH_CAP, "%s",
	                       root_name != NULL ? root_name : "space");
	if (len >= PATH_CAP)
		len = PATH_CAP - 1;
	rc = parse_node(&ps, doc, len, 0, &ps.space->root);
	if (rc == 0)
		rc = build_groups(ps.space, err);
	if (rc != 0) {
		pz_space_destroy(ps.space);
		return rc;
	}
	*out = ps.space;
	return 0;
}

int pz_space_create_from_text(const char *text, size_t len,
                              const char *root_name, struct pz_space **out,
                              struct pz_error *err)
{
	const char *end = NULL;
	cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	int rc;

	*out = NULL;
	if (doc == NULL)
		return pz_error_set_at(err, PZ_EINVAL,
		                       root_name != NULL ? root_name : "space",
		                       "invalid JSON at byte %td",
		                       cJSON_GetErrorPtr() != NULL
		                               ? cJSON_GetErrorPtr() - text
		                               : (ptrdiff_t)0);
	while (end != NULL && end < text + len &&
	       (*end == ' ' || *end == '\n' || *end == '\t' || *end == '\r'))
		end++;
	if (end != NULL && end < text + len) {
		cJSON_Delete(doc);
		return pz_error_set_at(
			err, PZ_EINVAL, root_name != NULL ? root_name : "space",
			"unexpected bytes after the JSON value at byte %td",
			end - text);
	}
	rc = pz_space_create(doc, root_name, out, err);
	cJSON_Delete(doc);
	return rc;
}
