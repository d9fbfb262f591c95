/*
 * The pruners: their configs (JSON in and out) and their decisions; see
 * prune.h for the contract and docs/pruning.md for the rules.
 *
 * Every rule reads the trial's own reports and, where it compares, the
 * other trials' values at one step (the column of that step in the
 * reports store) or at one rung (a binary search per trial, done only
 * when the trial crosses a rung). Nothing is cached between decisions,
 * so a decision depends on the reports and the seed alone.
 */
#include <parzen/prune.h>

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <parzen/rng.h>

/* Integer settings are at most this (2^53, exact in a JSON number). */
#define INT_MAX_SETTING 9007199254740992.0

/* Hyperband draws brackets from this block of a trial's stream. */
#define BRACKET_BLOCK (UINT64_C(1) << 63)

static const char *const kind_names[] = {
	[PZ_PRUNE_NONE] = "none",
	[PZ_PRUNE_MEDIAN] = "median",
	[PZ_PRUNE_PERCENTILE] = "percentile",
	[PZ_PRUNE_ASHA] = "asha",
	[PZ_PRUNE_HYPERBAND] = "hyperband",
	[PZ_PRUNE_THRESHOLD] = "threshold",
	[PZ_PRUNE_PATIENT] = "patient",
};

#define N_KINDS ((int)(sizeof(kind_names) / sizeof(kind_names[0])))
#define KNOWN_KINDS                                                       \
	"none, median, percentile, asha, hyperband, threshold, patient"

const char *pz_prune_kind_name(enum pz_prune_kind kind)
{
	if ((int)kind < 0 || (int)kind >= N_KINDS)
		return "unknown";
	return kind_names[kind];
}

/* --- configs ---------------------------------------------------------------- */

static void set_defaults(struct pz_pruner *p, enum pz_prune_kind kind)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->percentile = 50.0;
	p->n_startup_trials = 5;
	p->n_min_trials = 1;
	p->n_warmup_steps = 0;
	p->interval_steps = 1;
	/* Optuna: SuccessiveHalvingPruner(min_resource="auto",
	 * reduction_factor=4), HyperbandPruner(min_resource=1,
	 * max_resource="auto", reduction_factor=3). */
	p->min_resource = kind == PZ_PRUNE_ASHA ? PZ_PRUNE_AUTO : 1;
	p->max_resource = PZ_PRUNE_AUTO;
	p->reduction_factor = kind == PZ_PRUNE_ASHA ? 4 : 3;
	p->min_early_stopping_rate = 0;
	p->lower = -INFINITY;
	p->upper = INFINITY;
	p->patience = 0;
	p->min_delta = 0.0;
	p->wrapped = NULL;
}

int pz_prune_create_default(enum pz_prune_kind kind, struct pz_pruner **out)
{
	struct pz_pruner *p;

	*out = NULL;
	if ((int)kind < 0 || (int)kind >= N_KINDS)
		return PZ_EINVAL;
	p = malloc(sizeof(*p));
	if (p == NULL)
		return PZ_ENOMEM;
	set_defaults(p, kind);
	*out = p;
	return 0;
}

void pz_prune_destroy(struct pz_pruner *p)
{
	while (p != NULL) {
		struct pz_pruner *next = p->wrapped;

		free(p);
		p = next;
	}
}

enum setting_type {
	T_INT,      /* int64_t, an integer in [lo, hi] */
	T_INT_AUTO, /* the same, or "auto" (PZ_PRUNE_AUTO) */
	T_REAL,     /* double in [lo, hi] */
	T_BOUND,    /* double, any finite, or null (the field's default) */
	T_PRUNER,   /* a nested config, or null */
};

#define K(kind) (1u << (kind))
#define K_RANK (K(PZ_PRUNE_MEDIAN) | K(PZ_PRUNE_PERCENTILE))
#define K_HALVING (K(PZ_PRUNE_ASHA) | K(PZ_PRUNE_HYPERBAND))

struct setting {
	const char *name;
	unsigned kinds;
	enum setting_type type;
	double lo, hi;
	size_t offset;
};

#define AT(field) offsetof(struct pz_pruner, field)

/* In the order to_json writes them. */
static const struct setting settings[] = {
	{"percentile", K(PZ_PRUNE_PERCENTILE), T_REAL, 0, 100, AT(percentile)},
	{"lower", K(PZ_PRUNE_THRESHOLD), T_BOUND, 0, 0, AT(lower)},
	{"upper", K(PZ_PRUNE_THRESHOLD), T_BOUND, 0, 0, AT(upper)},
	{"n_startup_trials", K_RANK, T_INT, 0, INT_MAX_SETTING,
	 AT(n_startup_trials)},
	{"n_warmup_steps", K_RANK | K(PZ_PRUNE_THRESHOLD), T_INT, 0,
	 INT_MAX_SETTING, AT(n_warmup_steps)},
	{"interval_steps", K_RANK | K(PZ_PRUNE_THRESHOLD), T_INT, 1,
	 INT_MAX_SETTING, AT(interval_steps)},
	{"n_min_trials", K_RANK, T_INT, 1, INT_MAX_SETTING, AT(n_min_trials)},
	{"min_resource", K_HALVING, T_INT_AUTO, 1, INT_MAX_SETTING,
	 AT(min_resource)},
	{"max_resource", K(PZ_PRUNE_HYPERBAND), T_INT_AUTO, 1, INT_MAX_SETTING,
	 AT(max_resource)},
	{"reduction_factor", K_HALVING, T_INT, 2, 1e9, AT(reduction_factor)},
	{"min_early_stopping_rate", K(PZ_PRUNE_ASHA), T_INT, 0, 1e9,
	 AT(min_early_stopping_rate)},
	{"patience", K(PZ_PRUNE_PATIENT), T_INT, 0, INT_MAX_SETTING,
	 AT(patience)},
	{"min_delta", K(PZ_PRUNE_PATIENT), T_REAL, 0, 1e300, AT(min_delta)},
	{"wrapped", K(PZ_PRUNE_PATIENT), T_PRUNER, 0, 0, AT(wrapped)},
};

#define N_SETTINGS ((int)(sizeof(settings) / sizeof(settings[0])))

static const struct setting *find_setting(const char *name)
{
	for (int i = 0; i < N_SETTINGS; i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

/* "a, b, c" of the settings of `kind`, or "none". */
static void list_settings(enum pz_prune_kind kind, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < N_SETTINGS; i++) {
		if (!(settings[i].kinds & K(kind)))
			continue;
		int w = snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
		                 settings[i].name);
		if (w < 0 || (size_t)w >= len - n)
			return;
		n += (size_t)w;
	}
	if (n == 0)
		snprintf(buf, len, "none at all");
}

static int create_at(const cJSON *json, const char *root, int depth,
                     struct pz_pruner **out, struct pz_error *err);

static int read_setting(struct pz_pruner *p, const struct setting *s,
                        const cJSON *v, const char *root, int depth,
                        struct pz_error *err)
{
	char *field = (char *)p + s->offset;
	double x;

	switch (s->type) {
	case T_PRUNER: {
		char path[PZ_ERROR_PATH_MAX];
		struct pz_pruner *w = NULL;
		int rc;

		if (cJSON_IsNull(v))
			return 0;
		if (depth + 1 >= PZ_PRUNE_MAX_DEPTH)
			return pz_error_set_key(
				err, PZ_EINVAL, root, s->name,
				"pruners nest at most %d deep",
				PZ_PRUNE_MAX_DEPTH);
		snprintf(path, sizeof(path), "%s.%s", root, s->name);
		rc = create_at(v, path, depth + 1, &w, err);
		if (rc != 0)
			return rc;
		memcpy(field, &w, sizeof(w));
		return 0;
	}
	case T_BOUND:
		if (cJSON_IsNull(v))
			return 0;
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
			return pz_error_set_key(err, PZ_EINVAL, root, s->name,
			                        "must be a number or null");
		memcpy(field, &v->valuedouble, sizeof(double));
		return 0;
	case T_INT_AUTO:
		if (cJSON_IsString(v) && strcmp(v->valuestring, "auto") == 0) {
			if (p->kind == PZ_PRUNE_HYPERBAND &&
			    strcmp(s->name, "min_resource") == 0)
				return pz_error_set_key(
					err, PZ_EINVAL, root, s->name,
					"must be an integer >= 1 for hyperband");
			int64_t a = PZ_PRUNE_AUTO;
			memcpy(field, &a, sizeof(a));
			return 0;
		}
		/* fall through */
	case T_INT:
	case T_REAL:
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
			return pz_error_set_key(
				err, PZ_EINVAL, root, s->name, "must be %s%s",
				s->type == T_REAL ? "a number" : "an integer",
				s->type == T_INT_AUTO ? " or \"auto\"" : "");
		x = v->valuedouble;
		if (s->type != T_REAL && x != floor(x))
			return pz_error_set_key(err, PZ_EINVAL, root, s->name,
			                        "must be an integer (got %g)", x);
		if (x < s->lo || x > s->hi)
			return pz_error_set_key(err, PZ_ERANGE, root, s->name,
			                        "must be in [%g, %g] (got %g)",
			                        s->lo, s->hi, x);
		if (s->type == T_REAL) {
			memcpy(field, &x, sizeof(x));
		} else {
			int64_t i = (int64_t)x;
			memcpy(field, &i, sizeof(i));
		}
		return 0;
	}
	return PZ_EINVAL;
}

static int create_at(const cJSON *json, const char *root, int depth,
                     struct pz_pruner **out, struct pz_error *err)
{
	const cJSON *kind, *c;
	struct pz_pruner *p;
	char known[256];
	int k, rc;

	*out = NULL;
	if (json == NULL || cJSON_IsNull(json))
		return pz_prune_create_default(PZ_PRUNE_NONE, out) == 0
		               ? 0
		               : pz_error_set(err, PZ_ENOMEM, "out of memory");
	if (!cJSON_IsObject(json))
		return pz_error_set_at(err, PZ_EINVAL, root,
		                       "must be an object {\"kind\": ...}");
	kind = cJSON_GetObjectItemCaseSensitive(json, "kind");
	if (kind == NULL)
		return pz_error_set_key(err, PZ_EINVAL, root, "kind",
		                        "required (one of " KNOWN_KINDS ")");
	for (k = 0; k < N_KINDS; k++)
		if (cJSON_IsString(kind) &&
		    strcmp(kind->valuestring, kind_names[k]) == 0)
			break;
	if (k == N_KINDS)
		return pz_error_set_key(err, PZ_EINVAL, root, "kind",
		                        "must be one of " KNOWN_KINDS);
	if (pz_prune_create_default((enum pz_prune_kind)k, &p) != 0)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	cJSON_ArrayForEach(c, json)
	{
		const struct setting *s;

		if (strcmp(c->string, "kind") == 0)
			continue;
		s = find_setting(c->string);
		if (s == NULL || !(s->kinds & K(k))) {
			list_settings((enum pz_prune_kind)k, known,
			              sizeof(known));
			rc = pz_error_set_key(
				err, PZ_EINVAL, root, c->string,
				"%s kind %s (its settings: %s)",
				s == NULL ? "unknown setting for"
				          : "not a setting of",
				kind_names[k], known);
			goto destroy;
		}
		if (s->type == T_PRUNER && p->wrapped != NULL) {
			rc = pz_error_set_key(err, PZ_EINVAL, root, c->string,
			                      "given twice");
			goto destroy;
		}
		rc = read_setting(p, s, c, root, depth, err);
		if (rc != 0)
			goto destroy;
	}
	if (k == PZ_PRUNE_PERCENTILE &&
	    !cJSON_HasObjectItem(json, "percentile")) {
		rc = pz_error_set_key(err, PZ_EINVAL, root, "percentile",
		                      "required for a percentile pruner");
		goto destroy;
	}
	if (k == PZ_PRUNE_PATIENT && !cJSON_HasObjectItem(json, "patience")) {
		rc = pz_error_set_key(err, PZ_EINVAL, root, "patience",
		                      "required for a patient pruner");
		goto destroy;
	}
	if (k == PZ_PRUNE_THRESHOLD && p->lower == -INFINITY &&
	    p->upper == INFINITY) {
		rc = pz_error_set_key(err, PZ_EINVAL, root, "lower",
		                      "a threshold pruner needs lower, upper "
		                      "or both");
		goto destroy;
	}
	if (k == PZ_PRUNE_THRESHOLD && p->lower > p->upper) {
		rc = pz_error_set_key(err, PZ_ERANGE, root, "upper",
		                      "must be >= lower (%g > %g)", p->lower,
		                      p->upper);
		goto destroy;
	}
	if (k == PZ_PRUNE_HYPERBAND && p->max_resource != PZ_PRUNE_AUTO &&
	    p->max_resource < p->min_resource) {
		rc = pz_error_set_key(err, PZ_ERANGE, root, "max_resource",
		                      "must be >= min_resource (%lld)",
		                      (long long)p->min_resource);
		goto destroy;
	}
	*out = p;
	return 0;
destroy:
	pz_prune_destroy(p);
	return rc;
}

int pz_prune_create(const cJSON *json, const char *root,
                    struct pz_pruner **out, struct pz_error *err)
{
	return create_at(json, root != NULL ? root : "pruner", 0, out, err);
}

cJSON *pz_prune_to_json(const struct pz_pruner *p)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || !cJSON_AddStringToObject(o, "kind",
	                                          pz_prune_kind_name(p->kind)))
		goto fail;
	for (int i = 0; i < N_SETTINGS; i++) {
		const struct setting *s = &settings[i];
		const char *field = (const char *)p + s->offset;
		cJSON *v = NULL;
		int64_t n;
		double x;

		if (!(s->kinds & K(p->kind)))
			continue;
		switch (s->type) {
		case T_INT:
		case T_INT_AUTO:
			memcpy(&n, field, sizeof(n));
			v = s->type == T_INT_AUTO && n == PZ_PRUNE_AUTO
			            ? cJSON_CreateString("auto")
			            : cJSON_CreateNumber((double)n);
			break;
		case T_REAL:
		case T_BOUND:
			memcpy(&x, field, sizeof(x));
			v = isfinite(x) ? cJSON_CreateNumber(x)
			                : cJSON_CreateNull();
			break;
		case T_PRUNER:
			v = p->wrapped != NULL ? pz_prune_to_json(p->wrapped)
			                       : cJSON_CreateNull();
			break;
		}
		if (v == NULL || !cJSON_AddItemToObject(o, s->name, v)) {
			cJSON_Delete(v);
			goto fail;
		}
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

/* --- shared pieces of the rules -------------------------------------------- */

#define REASON(d, ...) snprintf((d)->reason, sizeof((d)->reason), __VA_ARGS__)

/*
 * Warm-up and interval (median, percentile, threshold): a trial is judged
 * at step s >= n_warmup_steps, and only at its first report at or after
 * each check point n_warmup_steps + j * interval_steps, so a check whose
 * step was not reported happens at the next report instead.
 */
static int is_check_step(const struct pz_pruner *p,
                         const struct pz_report_trial *t,
                         struct pz_prune_decision *d)
{
	int64_t s = d->step, w = p->n_warmup_steps, iv = p->interval_steps;
	int64_t point, prev = t->n >= 2 ? t->steps[t->n - 2] : -1;

	if (s < w) {
		REASON(d, "warm-up: step %lld < n_warmup_steps %lld",
		       (long long)s, (long long)w);
		return 0;
	}
	point = w + (s - w) / iv * iv;
	if (prev >= point) {
		REASON(d, "step %lld is not a check point (checks at "
		          "%lld + k * %lld; step %lld was judged for %lld)",
		       (long long)s, (long long)w, (long long)iv,
		       (long long)prev, (long long)point);
		return 0;
	}
	return 1;
}

static void swap(double *v, size_t i, size_t j)
{
	double x = v[i];

	v[i] = v[j];
	v[j] = x;
}

/*
 * Rearrange v[0..n) so that v[k] is the k-th smallest (from 0), nothing
 * before it larger and nothing after it smaller: quickselect with a
 * median-of-three pivot and a three-way partition, so that runs of equal
 * values (ties are common in losses) cost one pass.
 */
static void select_kth(double *v, size_t n, size_t k)
{
	ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;

	while (lo < hi) {
		ptrdiff_t mid = lo + (hi - lo) / 2, lt = lo, i = lo, gt = hi;
		double a = v[lo], b = v[mid], c = v[hi], pivot;

		pivot = a < b ? (b < c ? b : (a < c ? c : a))
		              : (a < c ? a : (b < c ? c : b));
		while (i <= gt) {
			if (v[i] < pivot)
				swap(v, (size_t)lt++, (size_t)i++);
			else if (v[i] > pivot)
				swap(v, (size_t)i, (size_t)gt--);
			else
				i++;
		}
		/* [lo, lt) < pivot, [lt, gt] == pivot, (gt, hi] > pivot */
		if (kk < lt)
			hi = lt - 1;
		else if (kk > gt)
			lo = gt + 1;
		else
			return;
	}
}

/*
 * The q-th percentile of v[0..n) (n >= 1; v is reordered), interpolated
 * linearly between order statistics as numpy's percentile does by
 * default, with numpy's rounding.
 */
static double percentile(double *v, size_t n, double q)
{
	double h = q / 100.0 * (double)(n - 1), t, a, b;
	size_t lo = (size_t)floor(h);

	if (lo >= n - 1) {
		select_kth(v, n, n - 1);
		return v[n - 1];
	}
	select_kth(v, n, lo);
	a = v[lo];
	b = v[lo + 1];
	for (size_t i = lo + 2; i < n; i++)
		if (v[i] < b)
			b = v[i];
	t = h - (double)lo;
	return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

static double min_of(const double *v, size_t n)
{
	double m = v[0];

	for (size_t i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

/* --- median and percentile --------------------------------------------------- */

static int judge_rank(const struct pz_pruner *p, const struct pz_reports *r,
                      uint64_t number, const struct pz_report_trial *t,
                      struct pz_prune_decision *d)
{
	const struct pz_report_column *col;
	double best, cut, *v;
	size_t n = 0;
	char what[32];

	if (r->n_ok < (uint64_t)p->n_startup_trials) {
		REASON(d, "start-up: %zu of n_startup_trials %lld trials "
		          "finished",
		       r->n_ok, (long long)p->n_startup_trials);
		return 0;
	}
	if (!is_check_step(p, t, d))
		return 0;
	col = pz_reports_column(r, d->step);
	if (col == NULL || col->n <= 1 ||
	    (int64_t)(col->n - 1) < p->n_min_trials) {
		REASON(d, "%u other trials reported at step %lld "
		          "(n_min_trials %lld)",
		       col != NULL && col->n > 0 ? col->n - 1 : 0,
		       (long long)d->step, (long long)p->n_min_trials);
		return 0;
	}
	v = malloc(col->n * sizeof(*v));
	if (v == NULL)
		return PZ_ENOMEM;
	for (uint32_t i = 0; i < col->n; i++)
		if (col->numbers[i] != number)
			v[n++] = col->values[i];
	best = min_of(t->values, t->n);
	cut = percentile(v, n, p->percentile);
	free(v);
	if (p->kind == PZ_PRUNE_MEDIAN)
		snprintf(what, sizeof(what), "median");
	else
		snprintf(what, sizeof(what), "%gth percentile", p->percentile);
	d->prune = best > cut;
	REASON(d, "best %.6g %s %s %.6g of %zu other trials at step %lld",
	       best, d->prune ? ">" : "<=", what, cut, n,
	       (long long)d->step);
	return 0;
}

/* --- successive halving (asha, and hyperband's brackets) ------------------ */

/* a * b, or INT64_MAX when that overflows. */
static int64_t mul_sat(int64_t a, int64_t b)
{
	return a > INT64_MAX / b ? INT64_MAX : a * b;
}

/* min_resource * reduction_factor^e, saturated. */
static int64_t rung_step(int64_t min_resource, int64_t eta, int64_t e)
{
	int64_t x = min_resource;

	for (int64_t i = 0; i < e && x != INT64_MAX; i++)
		x = mul_sat(x, eta);
	return x;
}

/* Hyperband's max_resource: the setting, or the last step + 1 of the
 * lowest-numbered OK trial with reports; 0 while there is none. */
static int64_t max_resource(const struct pz_pruner *p,
                            const struct pz_reports *r)
{
	if (p->max_resource != PZ_PRUNE_AUTO)
		return p->max_resource;
	if (r->first_ok < 0)
		return 0;
	return pz_reports_last_step(&r->trials[r->first_ok]) + 1;
}

int pz_prune_n_brackets(const struct pz_pruner *p,
                        const struct pz_reports *r)
{
	int64_t R, x;
	int n = 1;

	if (p->kind != PZ_PRUNE_HYPERBAND)
		return 1;
	R = max_resource(p, r);
	if (R <= 0)
		return 0;
	/* 1 + the largest b with min_resource * eta^b <= R, in integers
	 * (Optuna's floor(log(R / min_resource, eta)) + 1 with floats). */
	x = p->min_resource;
	while (x <= R / p->reduction_factor) {
		x *= p->reduction_factor;
		n++;
	}
	return n;
}

/* Trials bracket b is given, out of every n_brackets: ceil(n * eta^s /
 * (s + 1)) with s = n - 1 - b, as in Li et al.'s Hyperband. */
static uint64_t bracket_budget(int n_brackets, int64_t eta, int b)
{
	int s = n_brackets - 1 - b;
	uint64_t pw = (uint64_t)rung_step(1, eta, s);

	return ((uint64_t)n_brackets * pw + (uint64_t)s) / (uint64_t)(s + 1);
}

static int bracket_of(const struct pz_pruner *p, int n_brackets,
                      uint64_t seed, uint64_t number)
{
	struct pz_rng rng;
	uint64_t total = 0, u;

	if (n_brackets <= 1)
		return 0;
	for (int b = 0; b < n_brackets; b++)
		total += bracket_budget(n_brackets, p->reduction_factor, b);
	pz_rng_init(&rng, seed, number);
	rng.block = BRACKET_BLOCK;
	u = pz_rng_below(&rng, total);
	for (int b = 0; b < n_brackets; b++) {
		uint64_t w = bracket_budget(n_brackets, p->reduction_factor, b);

		if (u < w)
			return b;
		u -= w;
	}
	return n_brackets - 1;
}

int pz_prune_bracket(const struct pz_pruner *p, const struct pz_reports *r,
                     uint64_t seed, uint64_t number)
{
	int nb = pz_prune_n_brackets(p, r);

	if (p->kind != PZ_PRUNE_HYPERBAND)
		return 0;
	if (nb == 0)
		return -1;
	return bracket_of(p, nb, seed, number);
}

/*
 * Is `value` (trial `number`'s value on reaching rung step `rk`) among
 * the best 1/eta of the values every trial had on reaching it (itself
 * included; only trials of `bracket` when bracket >= 0)? A trial's value
 * on reaching rk is its value at its first step >= rk: the column of rk
 * has it for the trials that reported at rk itself; a pass over the
 * slots (their last steps, no arrays) finds the few that jumped over rk.
 */
static int promotable(const struct pz_pruner *p, const struct pz_reports *r,
                      uint64_t seed, int n_brackets, int bracket,
                      uint64_t number, int64_t rk, double value,
                      size_t *n_out, double *cut_out)
{
	const struct pz_report_column *col = pz_reports_column(r, rk);
	unsigned char *seen = calloc(r->n_slots, 1);
	double *v = malloc((r->n_trials + 1) * sizeof(*v));
	size_t n = 0, idx;

	if (v == NULL || seen == NULL) {
		free(v);
		free(seen);
		return PZ_ENOMEM;
	}
	for (uint32_t j = 0; col != NULL && j < col->n; j++) {
		uint32_t u = col->numbers[j];

		seen[u] = 1;
		if (u == number || (bracket >= 0 &&
		                    bracket_of(p, n_brackets, seed, u) != bracket))
			continue;
		v[n++] = col->values[j];
	}
	for (size_t u = 0; u < r->n_slots; u++) {
		const struct pz_report_trial *o = &r->trials[u];

		if (seen[u] || u == number || !o->used || o->last < rk)
			continue;
		if (bracket >= 0 &&
		    bracket_of(p, n_brackets, seed, (uint64_t)u) != bracket)
			continue;
		v[n++] = o->values[pz_reports_lower_bound(o, rk)];
	}
	free(seen);
	v[n++] = value;
	/* Optuna's rule: promote the best n / eta (at least the best one). */
	idx = n / (size_t)p->reduction_factor;
	idx = idx > 0 ? idx - 1 : 0;
	select_kth(v, n, idx);
	*n_out = n;
	*cut_out = v[idx];
	free(v);
	return value <= *cut_out;
}

static int judge_halving(const struct pz_pruner *p, const struct pz_reports *r,
                         uint64_t seed, uint64_t number,
                         const struct pz_report_trial *t,
                         struct pz_prune_decision *d)
{
	int64_t s = d->step, prev = t->n >= 2 ? t->steps[t->n - 2] : -1;
	int64_t mr = p->min_resource, rate = p->min_early_stopping_rate;
	int64_t eta = p->reduction_factor;
	int bracket = -1, nb = 0;
	char where[48] = "";

	if (p->kind == PZ_PRUNE_HYPERBAND) {
		nb = pz_prune_n_brackets(p, r);
		if (nb == 0) {
			REASON(d, "max_resource \"auto\": no trial finished "
			          "with reports yet");
			return 0;
		}
		bracket = bracket_of(p, nb, seed, number);
		rate = bracket;
		snprintf(where, sizeof(where), "bracket %d of %d, ", bracket,
		         nb);
	} else if (mr == PZ_PRUNE_AUTO) {
		if (r->first_ok < 0) {
			REASON(d, "min_resource \"auto\": no trial finished "
			          "with reports yet");
			return 0;
		}
		mr = pz_reports_last_step(&r->trials[r->first_ok]) / 100;
		mr = mr > 1 ? mr : 1;
	}
	for (int64_t k = 0;; k++) {
		int64_t rk = rung_step(mr, eta, rate + k);
		double cut;
		size_t n;
		int ok;

		if (rk > s) {
			REASON(d, "%snext rung %lld at step %lld", where,
			       (long long)k, (long long)rk);
			return 0;
		}
		if (rk <= prev)
			continue; /* judged when the trial reached it */
		ok = promotable(p, r, seed, nb, bracket, number, rk,
		                t->values[t->n - 1], &n, &cut);
		if (ok < 0)
			return ok;
		if (!ok) {
			d->prune = 1;
			REASON(d, "%srung %lld (step %lld): %.6g is not in the "
			          "best 1/%lld of %zu trials (cut %.6g)",
			       where, (long long)k, (long long)rk,
			       t->values[t->n - 1], (long long)eta, n, cut);
			return 0;
		}
		if (rk == INT64_MAX)
			return 0;
	}
}

/* --- threshold and patient ------------------------------------------------- */

static int judge_threshold(const struct pz_pruner *p,
                           const struct pz_report_trial *t,
                           struct pz_prune_decision *d)
{
	double v = t->values[t->n - 1];

	if (!is_check_step(p, t, d))
		return 0;
	if (v < p->lower) {
		d->prune = 1;
		REASON(d, "value %.6g < lower %.6g at step %lld", v, p->lower,
		       (long long)d->step);
	} else if (v > p->upper) {
		d->prune = 1;
		REASON(d, "value %.6g > upper %.6g at step %lld", v, p->upper,
		       (long long)d->step);
	} else {
		REASON(d, "value %.6g within [%.6g, %.6g] at step %lld", v,
		       p->lower, p->upper, (long long)d->step);
	}
	return 0;
}

static int judge(const struct pz_pruner *p, const struct pz_reports *r,
                 uint64_t seed, uint64_t number,
                 const struct pz_report_trial *t,
                 struct pz_prune_decision *d);

static int judge_patient(const struct pz_pruner *p, const struct pz_reports *r,
                         uint64_t seed, uint64_t number,
                         const struct pz_report_trial *t,
                         struct pz_prune_decision *d)
{
	uint64_t window = (uint64_t)p->patience + 1;
	double before, after;
	char mine[PZ_PRUNE_REASON_MAX];

	if (t->n <= window) {
		REASON(d, "%u steps reported, patience needs more than %llu",
		       t->n, (unsigned long long)window);
		return 0;
	}
	before = min_of(t->values, t->n - window);
	after = min_of(t->values + (t->n - window), window);
	if (!(before + p->min_delta < after)) {
		REASON(d, "improving: best %.6g in the last %llu steps, "
		          "%.6g before",
		       after, (unsigned long long)window, before);
		return 0;
	}
	snprintf(mine, sizeof(mine),
	         "no improvement on %.6g (min_delta %.6g) in the last %llu "
	         "steps",
	         before, p->min_delta, (unsigned long long)window);
	if (p->wrapped == NULL) {
		d->prune = 1;
		REASON(d, "%s", mine);
		return 0;
	}
	int rc = judge(p->wrapped, r, seed, number, t, d);
	if (rc == 0) {
		/* "mine; the wrapped pruner's reason", cut to fit. */
		char inner[PZ_PRUNE_REASON_MAX];
		size_t a = strlen(mine), room = sizeof(d->reason) - 1;

		memcpy(inner, d->reason, sizeof(inner));
		memcpy(d->reason, mine, a);
		if (a + 2 < room) {
			size_t b = strlen(inner);

			memcpy(d->reason + a, "; ", 2);
			a += 2;
			b = b < room - a ? b : room - a;
			memcpy(d->reason + a, inner, b);
			a += b;
		}
		d->reason[a] = '\0';
	}
	return rc;
}

static int judge(const struct pz_pruner *p, const struct pz_reports *r,
                 uint64_t seed, uint64_t number,
                 const struct pz_report_trial *t,
                 struct pz_prune_decision *d)
{
	switch (p->kind) {
	case PZ_PRUNE_NONE:
		REASON(d, "no pruner");
		return 0;
	case PZ_PRUNE_MEDIAN:
	case PZ_PRUNE_PERCENTILE:
		return judge_rank(p, r, number, t, d);
	case PZ_PRUNE_ASHA:
	case PZ_PRUNE_HYPERBAND:
		return judge_halving(p, r, seed, number, t, d);
	case PZ_PRUNE_THRESHOLD:
		return judge_threshold(p, t, d);
	case PZ_PRUNE_PATIENT:
		return judge_patient(p, r, seed, number, t, d);
	}
	return PZ_EINVAL;
}

int pz_prune_decide(const struct pz_pruner *p, const struct pz_reports *r,
                    uint64_t seed, uint64_t number,
                    struct pz_prune_decision *d)
{
	const struct pz_report_trial *t = pz_reports_trial(r, number);

	d->prune = 0;
	d->step = -1;
	d->reason[0] = '\0';
	if (t == NULL)
		return PZ_ENOENT;
	d->step = pz_reports_last_step(t);
	if (t->state == PZ_REPORT_OK || t->state == PZ_REPORT_FAIL) {
		REASON(d, "the trial is finished (%s)",
		       pz_reports_state_name(t->state));
		return PZ_ESTATE;
	}
	if (t->prune_step >= 0 || t->state == PZ_REPORT_PRUNED) {
		d->prune = 1;
		if (t->prune_step >= 0) {
			d->step = t->prune_step;
			REASON(d, "pruned at step %lld (a decision is final)",
			       (long long)t->prune_step);
		} else {
			REASON(d, "the trial was pruned");
		}
		return 0;
	}
	if (t->n == 0) {
		REASON(d, "no reports yet");
		return 0;
	}
	return judge(p, r, seed, number, t, d);
}
