/*
 * TPE and random suggestions; see tpe.h for the algorithm and contract.
 *
 * Cost per suggestion, for n trials in the history and P labels: one
 * O(n) pass to split good from bad (a bounded insertion selection of the
 * n_below best, n_below <= gamma_cap), then per label (univariate) two
 * O(n) passes over the history's sorted index to build the estimators, and
 * candidate scoring that only visits kernels within reach (gmm.h); or
 * per group (multivariate) O(n * D) to fit and score, plus, for a group
 * with categorical labels, an O(n) split and an O(n * C) fit of their own
 * estimators (whose equal components merge, kde.h). Nothing is sorted per
 * suggestion. With a study's cache (pz_tpe_cache), the per-slot work
 * space is kept between suggestions, and a g(x) of APPROX_MIN kernels or
 * more keeps its kernels' centres and truncation masses (kde_cache.h), so
 * that its fit is one log per trial, and scores all candidates in one
 * pass over the kernels (pz_kde_logpdf_many).
 */
#include <parzen/tpe.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <parzen/kde.h>
#include <parzen/gmm.h>
#include <parzen/rng.h>
#include <parzen/sample.h>

#include "kde_cache.h"

/*
 * The approximate g(x) (docs/space.md): a group's "above" estimator with
 * at least APPROX_MIN kernels takes its bandwidths from n rounded down to
 * the grid APPROX_MIN (1 + 1/APPROX_GRID)^k instead of n, so that its
 * kernels' truncation masses stay the same between suggestions and are
 * kept, with the kernels' centres, in the study's cache (kde_cache.h).
 */
#define APPROX_MIN 2048
#define APPROX_GRID 256

#define LOG_SQRT_2PI 0.918938533204672742

enum { CLS_NONE = 0, CLS_BELOW = 1, CLS_ABOVE = 2 };

void pz_tpe_config_default(struct pz_tpe_config *cfg)
{
	/* Chosen on the tuning half of the quality suite (bench/quality/,
	 * bench/RESULTS.md), never on its validation half: a joint kernel
	 * with a narrower Scott factor than Optuna's 0.2; a good set of
	 * 0.2 n; categorical labels decided on a hyperopt-sized good set
	 * (0.25 sqrt(n)) before the numbers of their group; conditional
	 * groups split among the trials where they are active; the unbounded
	 * kinds' kernels scaled by 2 prior sigmas. */
	cfg->gamma = 0.2;
	cfg->gamma_sqrt = 0;
	cfg->gamma_cap = 25;
	cfg->n_startup = 10;
	cfg->n_ei_candidates = 24;
	cfg->prior_weight = 1.0;
	cfg->linear_forgetting = 25;
	cfg->forget_below = 0;
	cfg->multivariate = 1;
	cfg->bandwidth = 0.08;
	cfg->categorical_gamma = 0.25;
	cfg->local_split = 1;
	cfg->unbounded_width = 2;
	cfg->int_categorical = 0;
	cfg->pruned_in_n = 0;
	cfg->pending = PZ_PENDING_LIAR;
	cfg->failed = PZ_FAILED_ABOVE;
}

void pz_tpe_config_hyperopt(struct pz_tpe_config *cfg)
{
	cfg->gamma = 0.25;
	cfg->gamma_sqrt = 1;
	cfg->gamma_cap = 25;
	cfg->n_startup = 20;
	cfg->n_ei_candidates = 24;
	cfg->prior_weight = 1.0;
	cfg->linear_forgetting = 25;
	cfg->forget_below = 1;
	cfg->multivariate = 0;
	cfg->bandwidth = 0.2;
	cfg->categorical_gamma = 0;
	cfg->local_split = 0;
	cfg->unbounded_width = 1;
	cfg->int_categorical = 1;
	cfg->pruned_in_n = 0;
	cfg->pending = PZ_PENDING_LIAR;
	cfg->failed = PZ_FAILED_ABOVE;
}

/* --- config <-> JSON ------------------------------------------------------ */

static int cfg_number(const cJSON *v, const char *key, double lo, double hi,
                      int integer, double *out, struct pz_error *err)
{
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return pz_error_set_key(err, PZ_EINVAL, "config", key,
		                        "must be a number");
	if (integer && v->valuedouble != floor(v->valuedouble))
		return pz_error_set_key(err, PZ_EINVAL, "config", key,
		                        "must be an integer");
	if (v->valuedouble < lo || v->valuedouble > hi)
		return pz_error_set_key(err, PZ_ERANGE, "config", key,
		                        "must be in [%g, %g] (got %g)", lo, hi,
		                        v->valuedouble);
	*out = v->valuedouble;
	return 0;
}

static int cfg_bool(const cJSON *v, const char *key, int *out,
                    struct pz_error *err)
{
	if (!cJSON_IsBool(v))
		return pz_error_set_key(err, PZ_EINVAL, "config", key,
		                        "must be true or false");
	*out = cJSON_IsTrue(v);
	return 0;
}

int pz_tpe_config_from_json(struct pz_tpe_config *cfg, const cJSON *json,
                            struct pz_error *err)
{
	const cJSON *c, *preset;
	double x;
	int rc = 0;

	pz_tpe_config_default(cfg);
	if (json == NULL || cJSON_IsNull(json))
		return 0;
	if (!cJSON_IsObject(json))
		return pz_error_set_at(err, PZ_EINVAL, "config",
		                       "must be an object");
	preset = cJSON_GetObjectItemCaseSensitive(json, "preset");
	if (preset != NULL) {
		if (cJSON_IsString(preset) &&
		    strcmp(preset->valuestring, "hyperopt") == 0)
			pz_tpe_config_hyperopt(cfg);
		else if (!cJSON_IsString(preset) ||
		         strcmp(preset->valuestring, "parzen") != 0)
			return pz_error_set_at(
				err, PZ_EINVAL, "config.preset",
				"must be \"parzen\" or \"hyperopt\"");
	}
	cJSON_ArrayForEach(c, json)
	{
		const char *k = c->string;

		if (strcmp(k, "preset") == 0)
			continue;
		if (strcmp(k, "gamma") == 0) {
			rc = cfg_number(c, k, 1e-9, 1, 0, &x, err);
			cfg->gamma = x;
		} else if (strcmp(k, "gamma_sqrt") == 0) {
			rc = cfg_bool(c, k, &cfg->gamma_sqrt, err);
		} else if (strcmp(k, "gamma_cap") == 0) {
			rc = cfg_number(c, k, 1, 1e9, 1, &x, err);
			cfg->gamma_cap = (int)x;
		} else if (strcmp(k, "n_startup") == 0) {
			rc = cfg_number(c, k, 0, 1e9, 1, &x, err);
			cfg->n_startup = (int)x;
		} else if (strcmp(k, "n_ei_candidates") == 0) {
			rc = cfg_number(c, k, 1, 100000, 1, &x, err);
			cfg->n_ei_candidates = (int)x;
		} else if (strcmp(k, "prior_weight") == 0) {
			rc = cfg_number(c, k, 1e-9, 1e9, 0, &x, err);
			cfg->prior_weight = x;
		} else if (strcmp(k, "linear_forgetting") == 0) {
			rc = cfg_number(c, k, 0, 1e9, 1, &x, err);
			cfg->linear_forgetting = (int)x;
		} else if (strcmp(k, "forget_below") == 0) {
			rc = cfg_bool(c, k, &cfg->forget_below, err);
		} else if (strcmp(k, "multivariate") == 0) {
			rc = cfg_bool(c, k, &cfg->multivariate, err);
		} else if (strcmp(k, "bandwidth") == 0) {
			rc = cfg_number(c, k, 1e-6, 10, 0, &x, err);
			cfg->bandwidth = x;
		} else if (strcmp(k, "local_split") == 0) {
			rc = cfg_bool(c, k, &cfg->local_split, err);
		} else if (strcmp(k, "categorical_gamma") == 0) {
			rc = cfg_number(c, k, 0, 10, 0, &x, err);
			cfg->categorical_gamma = x;
		} else if (strcmp(k, "unbounded_width") == 0) {
			rc = cfg_number(c, k, 0.01, 100, 0, &x, err);
			cfg->unbounded_width = x;
		} else if (strcmp(k, "int_categorical") == 0) {
			rc = cfg_bool(c, k, &cfg->int_categorical, err);
		} else if (strcmp(k, "pruned_in_n") == 0) {
			rc = cfg_bool(c, k, &cfg->pruned_in_n, err);
		} else if (strcmp(k, "pending") == 0) {
			if (cJSON_IsString(c) && strcmp(c->valuestring, "liar") == 0)
				cfg->pending = PZ_PENDING_LIAR;
			else if (cJSON_IsString(c) &&
			         strcmp(c->valuestring, "ignore") == 0)
				cfg->pending = PZ_PENDING_IGNORE;
			else
				rc = pz_error_set_at(
					err, PZ_EINVAL, "config.pending",
					"must be \"liar\" or \"ignore\"");
		} else if (strcmp(k, "failed") == 0) {
			if (cJSON_IsString(c) && strcmp(c->valuestring, "above") == 0)
				cfg->failed = PZ_FAILED_ABOVE;
			else if (cJSON_IsString(c) &&
			         strcmp(c->valuestring, "ignore") == 0)
				cfg->failed = PZ_FAILED_IGNORE;
			else
				rc = pz_error_set_at(
					err, PZ_EINVAL, "config.failed",
					"must be \"above\" or \"ignore\"");
		} else {
			rc = pz_error_set_key(
				err, PZ_EINVAL, "config", k,
				"unknown setting (known: preset, gamma, gamma_sqrt, gamma_cap, n_startup, n_ei_candidates, prior_weight, linear_forgetting, forget_below, multivariate, bandwidth, categorical_gamma, local_split, unbounded_width, int_categorical, pruned_in_n, pending, failed)");
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

cJSON *pz_tpe_config_to_json(const struct pz_tpe_config *cfg)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	if (!cJSON_AddNumberToObject(o, "gamma", cfg->gamma) ||
	    !cJSON_AddBoolToObject(o, "gamma_sqrt", cfg->gamma_sqrt) ||
	    !cJSON_AddNumberToObject(o, "gamma_cap", cfg->gamma_cap) ||
	    !cJSON_AddNumberToObject(o, "n_startup", cfg->n_startup) ||
	    !cJSON_AddNumberToObject(o, "n_ei_candidates",
	                             cfg->n_ei_candidates) ||
	    !cJSON_AddNumberToObject(o, "prior_weight", cfg->prior_weight) ||
	    !cJSON_AddNumberToObject(o, "linear_forgetting",
	                             cfg->linear_forgetting) ||
	    !cJSON_AddBoolToObject(o, "forget_below", cfg->forget_below) ||
	    !cJSON_AddBoolToObject(o, "multivariate", cfg->multivariate) ||
	    !cJSON_AddNumberToObject(o, "bandwidth", cfg->bandwidth) ||
	    !cJSON_AddNumberToObject(o, "categorical_gamma",
	                             cfg->categorical_gamma) ||
	    !cJSON_AddBoolToObject(o, "local_split", cfg->local_split) ||
	    !cJSON_AddNumberToObject(o, "unbounded_width",
	                             cfg->unbounded_width) ||
	    !cJSON_AddBoolToObject(o, "int_categorical", cfg->int_categorical) ||
	    !cJSON_AddBoolToObject(o, "pruned_in_n", cfg->pruned_in_n) ||
	    !cJSON_AddStringToObject(o, "pending",
	                             cfg->pending == PZ_PENDING_LIAR ? "liar"
	                                                             : "ignore") ||
	    !cJSON_AddStringToObject(o, "failed",
	                             cfg->failed == PZ_FAILED_ABOVE ? "above"
	                                                            : "ignore")) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int pz_tpe_n_below(const struct pz_tpe_config *cfg, int n_ok)
{
	double x = cfg->gamma_sqrt ? cfg->gamma * sqrt((double)n_ok)
	                           : cfg->gamma * n_ok;
	int n = (int)ceil(x);

	if (n > cfg->gamma_cap)
		n = cfg->gamma_cap;
	return n < n_ok ? n : n_ok;
}

/* --- the suggestion -------------------------------------------------------- */

/* Per-slot work space of one suggestion. */
struct work {
	unsigned char *cls, *gcls;
	uint32_t *age;
	double *mus, *wts;
	const double **rows;
	size_t cap;
};

static void work_finish(struct work *w)
{
	free(w->cls);
	free(w->gcls);
	free(w->age);
	free(w->mus);
	free(w->wts);
	free(w->rows);
	memset(w, 0, sizeof(*w));
}

/* Room for n slots (every array is written before it is read). */
static int work_reserve(struct work *w, size_t n)
{
	size_t cap = w->cap > 0 ? w->cap : 1024;

	if (n + 1 <= w->cap)
		return 0;
	while (cap < n + 1)
		cap *= 2;
	work_finish(w);
	w->cls = malloc(cap);
	w->gcls = malloc(cap);
	w->age = malloc(cap * sizeof(uint32_t));
	w->mus = malloc(cap * sizeof(double));
	w->wts = malloc(cap * sizeof(double));
	w->rows = malloc(cap * sizeof(*w->rows));
	if (w->cls == NULL || w->gcls == NULL || w->age == NULL ||
	    w->mus == NULL || w->wts == NULL || w->rows == NULL) {
		work_finish(w);
		return PZ_ENOMEM;
	}
	w->cap = cap;
	return 0;
}

struct pz_tpe_cache {
	struct work work;             /* reused by every suggestion */
	const struct pz_space *space; /* the space the entries describe */
	int int_categorical;
	int n_groups;
	struct pz_kde_cache *g; /* per group */
};

int pz_tpe_cache_create(struct pz_tpe_cache **out)
{
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? 0 : PZ_ENOMEM;
}

static void cache_clear(struct pz_tpe_cache *cache)
{
	for (int gi = 0; gi < cache->n_groups; gi++)
		pz_kde_cache_finish(&cache->g[gi]);
	free(cache->g);
	cache->g = NULL;
	cache->n_groups = 0;
	cache->space = NULL;
}

void pz_tpe_cache_destroy(struct pz_tpe_cache *cache)
{
	if (cache == NULL)
		return;
	cache_clear(cache);
	work_finish(&cache->work);
	free(cache);
}

/* A group's pair of joint estimators, fitted on first use. */
struct gfit {
	int fitted, cat_fitted;
	int n_cat;                   /* categorical members */
	int *cat_members;            /* their param indices */
	unsigned char *is_cat;       /* per member */
	struct pz_gmm_dim *dims;     /* of the members, borrowed by the kdes */
	struct pz_gmm_dim *cat_dims; /* of the categorical members */
	struct pz_kde below, above;  /* all members, the good set of gamma */
	struct pz_kde cbelow, cabove; /* categorical members, of cat_gamma */
	/* The approximate g(x): `above` is a shape (pz_kde_fit_shape) whose
	 * kernels are the cache's, one per slot (weight 0 where a slot is
	 * not in the above set). */
	int approx;
	struct pz_kde_cache own; /* the entries when there is no cache */
	struct pz_kde_cache *e;  /* the entries used: own or the cache's */
	double *wslot;           /* per slot: the above kernel's weight */
};

struct ctx {
	const struct pz_space *space;
	const struct pz_history *h;
	const struct pz_tpe_config *cfg;
	struct pz_rng rng;
	unsigned char *cls;    /* per slot: CLS_* (the global split) */
	uint32_t *gbest;       /* the global good set, best first */
	int n_gbest;
	unsigned char *gcls;   /* per slot: CLS_* of one group (local split) */
	uint32_t *age;         /* per slot: rank in number order within class */
	double *mus;           /* scratch, n_slots (univariate only) */
	double *wts;           /* scratch, n_slots + 1 */
	const double **rows;   /* scratch, n_slots */
	struct pz_gmm_dim *dims; /* per param */
	struct gfit *gf;       /* per group (multivariate) */
	struct pz_tpe_cache *cache; /* NULL: none */
	double *out;
};

/* hyperopt's linear forgetting: the oldest n - lf get a ramp from 1/n. */
static double forgetting_weight(int lf, size_t n, size_t rank)
{
	size_t m;

	if (lf <= 0 || n <= (size_t)lf)
		return 1.0;
	m = n - (size_t)lf;
	if (rank >= m)
		return 1.0;
	if (m == 1)
		return 1.0 / (double)n;
	return 1.0 / (double)n + (1.0 - 1.0 / (double)n) * (double)rank /
	                             (double)(m - 1);
}

static int cls_forgets(const struct ctx *c, int cls)
{
	return cls == CLS_ABOVE || c->cfg->forget_below;
}

/*
 * The n that the good set's size is taken of, among the trials where
 * param p is active (all trials for p < 0): the trials finished ok, or
 * while there is none, the pruned ones; with pruned_in_n, both (Optuna's
 * n). Not Optuna's by default: gamma was chosen for finished trials, and
 * counting pruned ones grows the good set with the trials the pruner
 * judged bad, which the pruning benchmark measured as worse
 * (docs/space.md, "Pruned trials").
 */
static size_t good_base(const struct pz_history *h,
                        const struct pz_tpe_config *cfg, int p)
{
	int np = h->space->n_params;
	size_t n_ok = 0, n_pruned = 0;

	if (p < 0) {
		n_ok = h->n_ok;
		n_pruned = h->n_pruned;
	} else {
		for (size_t t = 0; t < h->n_slots; t++) {
			/* The state first: an empty slot's row is unset. */
			if (!pz_history_ranked(h, t) ||
			    isnan(h->values[t * np + p]))
				continue;
			n_ok += h->state[t] == PZ_TRIAL_OK;
			n_pruned += h->state[t] == PZ_TRIAL_PRUNED;
		}
	}
	if (cfg->pruned_in_n)
		return n_ok + n_pruned;
	return n_ok > 0 ? n_ok : n_pruned;
}

/*
 * Classify the trials where param `p` is active (all trials for p < 0)
 * into cls[]: the n_below first of the ok and pruned trials among them,
 * in the order of pz_history_ranks_before() (ok by loss, then pruned by
 * later step, then lower value; ties by number), are CLS_BELOW, the
 * other ok and pruned ones CLS_ABOVE; n_below is taken of good_base().
 * Failed and pending trials follow the config; inactive slots are
 * CLS_NONE. With
 * sqrt_gamma > 0 the good set is the ceil(sqrt_gamma sqrt(n)) best, at
 * most gamma_cap. The first global split keeps its good set (best first)
 * in c->gbest, so that a smaller global good set is taken as its prefix.
 */
static int split(struct ctx *c, int p, double sqrt_gamma, unsigned char *cls)
{
	const struct pz_history *h = c->h;
	int np = c->space->n_params, nb, k = 0;
	size_t n_rank = 0;
	uint32_t *best;

	/* A smaller good set of all trials is a prefix of the global one. */
	if (p < 0 && sqrt_gamma > 0 && c->gbest != NULL) {
		nb = (int)ceil(sqrt_gamma * sqrt((double)good_base(h, c->cfg, -1)));
		nb = nb < c->cfg->gamma_cap ? nb : c->cfg->gamma_cap;
		if (nb <= c->n_gbest) {
			memcpy(cls, c->cls, h->n_slots);
			for (int i = nb; i < c->n_gbest; i++)
				cls[c->gbest[i]] = CLS_ABOVE;
			return 0;
		}
	}

	n_rank = good_base(h, c->cfg, p);
	nb = pz_tpe_n_below(c->cfg, (int)n_rank);
	if (sqrt_gamma > 0) {
		nb = (int)ceil(sqrt_gamma * sqrt((double)n_rank));
		nb = nb < c->cfg->gamma_cap ? nb : c->cfg->gamma_cap;
		nb = nb < (int)n_rank ? nb : (int)n_rank;
	}
	best = malloc((size_t)(nb > 0 ? nb : 1) * sizeof(uint32_t));
	if (best == NULL)
		return PZ_ENOMEM;
	for (size_t t = 0; t < h->n_slots; t++) {
		if (p >= 0 && (h->state[t] == PZ_TRIAL_NONE ||
		               isnan(h->values[t * np + p]))) {
			cls[t] = CLS_NONE;
			continue;
		}
		switch (h->state[t]) {
		case PZ_TRIAL_OK:
		case PZ_TRIAL_PRUNED:
			cls[t] = CLS_ABOVE;
			break;
		case PZ_TRIAL_FAIL:
			cls[t] = c->cfg->failed == PZ_FAILED_ABOVE ? CLS_ABOVE
			                                           : CLS_NONE;
			continue;
		case PZ_TRIAL_PENDING:
			cls[t] = c->cfg->pending == PZ_PENDING_LIAR ? CLS_ABOVE
			                                            : CLS_NONE;
			continue;
		default:
			cls[t] = CLS_NONE;
			continue;
		}
		if (nb == 0)
			continue;
		/* Bounded insertion into best[0..k), in rank order. */
		if (k == nb && !pz_history_ranks_before(h, t, best[k - 1]))
			continue;
		int i = k < nb ? k++ : nb - 1;
		while (i > 0 && pz_history_ranks_before(h, t, best[i - 1])) {
			best[i] = best[i - 1];
			i--;
		}
		best[i] = (uint32_t)t;
	}
	for (int i = 0; i < k; i++)
		cls[best[i]] = CLS_BELOW;
	if (p < 0 && sqrt_gamma == 0 && c->gbest == NULL) {
		c->gbest = best; /* the global good set, best first */
		c->n_gbest = k;
		return 0;
	}
	free(best);
	return 0;
}

/* Age ranks within each class of cls[] for trials where param p is
 * active; returns the class sizes. */
static void rank_ages(struct ctx *c, const unsigned char *cls, int p,
                      size_t n_cls[3])
{
	const struct pz_history *h = c->h;
	int np = c->space->n_params;

	n_cls[0] = n_cls[1] = n_cls[2] = 0;
	for (size_t t = 0; t < h->n_slots; t++) {
		int k = cls[t];

		if (k == CLS_NONE || isnan(h->values[t * np + p]))
			continue;
		c->age[t] = (uint32_t)n_cls[k]++;
	}
}

/*
 * The expected-improvement score log l(x) - log g(x). A candidate where
 * g(x) is zero wins outright; one where l(x) is zero (which sampling from
 * l cannot produce, but a NaN must not win either) never does.
 */
static double ei_score(double log_l, double log_g)
{
	if (log_l == -INFINITY || isnan(log_l) || isnan(log_g))
		return -INFINITY;
	if (log_g == -INFINITY)
		return INFINITY;
	return log_l - log_g;
}

static int pick_best(const double *score, int n)
{
	int best = 0;

	for (int i = 1; i < n; i++)
		if (score[i] > score[best])
			best = i;
	return best;
}

static int suggest_categorical(struct ctx *c, const struct pz_gmm_dim *d, int p)
{
	const struct pz_history *h = c->h;
	int K = d->n_options, np = c->space->n_params;
	int nc = c->cfg->n_ei_candidates;
	double *pb = calloc((size_t)(2 * K + 2 * nc), sizeof(double));
	double *pa, *cand, *score;
	size_t n_cls[3];
	double sb = 0, sa = 0;

	if (pb == NULL)
		return PZ_ENOMEM;
	pa = pb + K;
	cand = pa + K;
	score = cand + nc;
	rank_ages(c, c->cls, p, n_cls);
	for (size_t t = 0; t < h->n_slots; t++) {
		int k = c->cls[t];
		double v = h->values[t * np + p];

		if (k == CLS_NONE || isnan(v))
			continue;
		double w = cls_forgets(c, k)
		               ? forgetting_weight(c->cfg->linear_forgetting,
		                                   n_cls[k], c->age[t])
		               : 1.0;
		(k == CLS_BELOW ? pb : pa)[pz_gmm_dim_category(d, v)] += w;
	}
	for (int i = 0; i < K; i++) {
		double prior = c->cfg->prior_weight * K *
		               (d->p0 != NULL ? d->p0[i] : 1.0 / K);

		pb[i] += prior;
		pa[i] += prior;
		sb += pb[i];
		sa += pa[i];
	}
	for (int j = 0; j < nc; j++) {
		double u = pz_rng_uniform(&c->rng) * sb, acc = 0;
		int i;

		for (i = 0; i < K - 1; i++) {
			acc += pb[i];
			if (u < acc)
				break;
		}
		cand[j] = i;
		score[j] = log(pb[i] / sb) - log(pa[i] / sa);
		if (isnan(score[j]))
			score[j] = -INFINITY;
	}
	c->out[p] =
		pz_gmm_dim_category_value(d, (int)cand[pick_best(score, nc)]);
	free(pb);
	return 0;
}

/* Observations of param p in class k, sorted by value (from the history's
 * index), with their forgetting weights, in kernel space. */
static int collect_sorted(struct ctx *c, const struct pz_gmm_dim *d, int p,
                          int k, const size_t n_cls[3], double *mus,
                          double *wts)
{
	const struct pz_history *h = c->h;
	int n = 0;

	for (size_t j = 0; j < h->n_sorted[p]; j++) {
		uint32_t t = h->sorted[p][j];

		if (c->cls[t] != k)
			continue;
		mus[n] = pz_gmm_dim_to_kernel(d, pz_history_row(h, t)[p]);
		wts[n] = cls_forgets(c, k)
		             ? forgetting_weight(c->cfg->linear_forgetting,
		                                 n_cls[k], c->age[t])
		             : 1.0;
		n++;
	}
	return n;
}

static int suggest_numeric(struct ctx *c, const struct pz_gmm_dim *d, int p)
{
	struct pz_gmm below, above;
	size_t n_cls[3];
	int nb, na, rc, nc = c->cfg->n_ei_candidates;
	double best_score = -INFINITY, best_x = NAN;

	rank_ages(c, c->cls, p, n_cls);
	nb = collect_sorted(c, d, p, CLS_BELOW, n_cls, c->mus, c->wts);
	rc = pz_gmm_fit(&below, d, c->mus, c->wts, nb, c->cfg->prior_weight);
	if (rc != 0)
		return rc;
	na = collect_sorted(c, d, p, CLS_ABOVE, n_cls, c->mus, c->wts);
	rc = pz_gmm_fit(&above, d, c->mus, c->wts, na, c->cfg->prior_weight);
	if (rc != 0) {
		pz_gmm_finish(&below);
		return rc;
	}
	for (int j = 0; j < nc; j++) {
		double x = pz_gmm_sample(&below, d, &c->rng);
		double s = ei_score(pz_gmm_logpdf(&below, d, x),
		                    pz_gmm_logpdf(&above, d, x));

		if (j == 0 || s > best_score) {
			best_score = s;
			best_x = x;
		}
	}
	c->out[p] = best_x;
	pz_gmm_finish(&below);
	pz_gmm_finish(&above);
	return 0;
}

static int group_active(const struct pz_group *g, const double *values)
{
	return g->cond_param < 0 ||
	       (!isnan(values[g->cond_param]) &&
	        values[g->cond_param] == (double)g->cond_option);
}

/* n rounded down to the grid APPROX_MIN (1 + 1/APPROX_GRID)^k. */
static int approx_n(int n)
{
	int x = APPROX_MIN;

	while (x + x / APPROX_GRID <= n)
		x += x / APPROX_GRID;
	return x;
}

/* Group gi's cache entry: the study's, or the group's own. */
static int cache_entry(struct ctx *c, int gi, struct pz_kde_cache **out)
{
	struct pz_tpe_cache *k = c->cache;

	*out = &c->gf[gi].own;
	if (k == NULL)
		return 0;
	if (k->space != c->space || k->int_categorical != c->cfg->int_categorical) {
		cache_clear(k);
		k->g = calloc((size_t)(c->space->n_groups ? c->space->n_groups : 1),
		              sizeof(*k->g));
		if (k->g == NULL)
			return PZ_ENOMEM;
		k->space = c->space;
		k->n_groups = c->space->n_groups;
		k->int_categorical = c->cfg->int_categorical;
	}
	*out = &k->g[gi];
	return 0;
}

/*
 * The approximate above estimator of group g: the shape of n_above
 * kernels with the bandwidths of approx_n(n_above), its kernels the
 * cache's, one per slot, with weights f->wslot (0: not a kernel).
 */
static int fit_approx(struct ctx *c, const struct pz_group *g,
                      const struct pz_gmm_dim *dims, int D, struct gfit *f,
                      int n_above, const struct pz_kde_opts *o)
{
	const struct pz_history *h = c->h;
	struct pz_kde *k = &f->above;
	struct pz_kde_cache *e;
	double wsum = o->prior_weight, lss = 0;
	size_t n = h->n_slots;
	int rc;

	for (size_t t = 0; t < n; t++)
		wsum += f->wslot[t];
	rc = pz_kde_fit_shape(k, dims, D, n_above, approx_n(n_above), wsum, o);
	if (rc != 0)
		return rc;
	e = f->e;
	if ((rc = pz_kde_cache_update(e, h, dims, g->members, D, k->sigma)) != 0)
		goto fail;
	free(k->center);
	free(k->base);
	free(k->scratch);
	/* Borrowed from the entry: back to NULL before pz_kde_finish(). */
	k->center = e->center;
	k->stride = e->cap;
	k->n = (int)n;
	k->base = e->base;
	k->scratch = e->scratch;
	for (int d = 0; d < D; d++)
		if (!dims[d].categorical)
			lss += log(k->sigma[d]) + LOG_SQRT_2PI;
	/* One log per kernel, as pz_kde_fit's: weight over truncated mass. */
	for (size_t t = 0; t < n; t++)
		k->base[t] = f->wslot[t] > 0
		                     ? log(f->wslot[t] / wsum / e->mass[t]) - lss
		                     : -INFINITY;
	return 0;
fail:
	k->center = k->base = k->scratch = NULL;
	pz_kde_finish(k);
	return rc;
}

/*
 * Fit a pair of joint estimators over `D` params `members` (described by
 * dims): l(x) on the good trials, g(x) on the rest, over the trials where
 * the params are active. The good set is the global one, or with
 * sqrt_gamma > 0 the ceil(sqrt_gamma sqrt(n)) best, or with local_split
 * (for a conditional group) the n_below best of the trials where the group
 * is active.
 */
static int fit_pair(struct ctx *c, const struct pz_group *g,
                    const struct pz_gmm_dim *dims, const int *members, int D,
                    double sqrt_gamma, struct pz_kde *below,
                    struct pz_kde *above, struct gfit *af)
{
	const struct pz_history *h = c->h;
	const unsigned char *cls = c->cls;
	int first = g->members[0], n[3] = {0, 0, 0}, rc;
	int local = c->cfg->local_split && g->cond_param >= 0;
	struct pz_kde_opts o = {
		.prior_weight = c->cfg->prior_weight,
		.bandwidth = c->cfg->bandwidth,
		.unbounded_width = c->cfg->unbounded_width,
	};
	size_t n_cls[3], cap = h->n_slots;

	if (sqrt_gamma > 0 || local) {
		rc = split(c, local ? first : -1, sqrt_gamma, c->gcls);
		if (rc != 0)
			return rc;
		cls = c->gcls;
	}
	rank_ages(c, cls, first, n_cls);
	if (af != NULL && n_cls[CLS_ABOVE] >= APPROX_MIN) {
		int n_num = 0;

		for (int d = 0; d < D; d++)
			n_num += !dims[d].categorical;
		if (n_num > 0) {
			af->approx = 1;
			rc = cache_entry(c, (int)(g - c->space->groups), &af->e);
			if (rc == 0)
				rc = pz_kde_cache_reserve(af->e, h->n_slots);
			if (rc != 0)
				return rc;
			af->wslot = af->e->wslot;
			memset(af->wslot, 0, h->n_slots * sizeof(double));
		}
	}
	/* rows: below from the front of the scratch, above from the back. */
	for (size_t t = 0; t < h->n_slots; t++) {
		int k = cls[t];

		if (k == CLS_NONE || isnan(pz_history_row(h, t)[first]))
			continue;
		size_t slot = k == CLS_BELOW ? (size_t)n[1] : cap - 1 - (size_t)n[2];

		c->rows[slot] = pz_history_row(h, t);
		c->wts[slot] = cls_forgets(c, k)
		                   ? forgetting_weight(c->cfg->linear_forgetting,
		                                       n_cls[k], c->age[t])
		                   : 1.0;
		if (k == CLS_ABOVE && af != NULL && af->approx)
			af->wslot[t] = c->wts[slot];
		n[k]++;
	}
	rc = pz_kde_fit(below, dims, members, D, c->rows, c->wts, n[1], &o);
	if (rc != 0)
		return rc;
	if (af != NULL && af->approx)
		rc = fit_approx(c, g, dims, D, af, n[2], &o);
	else
		rc = pz_kde_fit(above, dims, members, D,
		                c->rows + cap - (size_t)n[2],
		                c->wts + cap - (size_t)n[2], n[2], &o);
	if (rc != 0)
		pz_kde_finish(below);
	return rc;
}

/* Describe group gi's members once. */
static int group_dims(struct ctx *c, int gi)
{
	const struct pz_group *g = &c->space->groups[gi];
	struct gfit *f = &c->gf[gi];
	int D = g->n_members;

	if (f->dims != NULL)
		return 0;
	f->dims = malloc((size_t)D * sizeof(*f->dims));
	f->cat_dims = malloc((size_t)D * sizeof(*f->cat_dims));
	f->cat_members = malloc((size_t)D * sizeof(int));
	f->is_cat = malloc((size_t)D);
	if (f->dims == NULL || f->cat_dims == NULL || f->cat_members == NULL ||
	    f->is_cat == NULL)
		return PZ_ENOMEM;
	for (int k = 0; k < D; k++) {
		f->dims[k] = c->dims[g->members[k]];
		f->is_cat[k] = (unsigned char)f->dims[k].categorical;
		if (f->is_cat[k]) {
			f->cat_dims[f->n_cat] = f->dims[k];
			f->cat_members[f->n_cat++] = g->members[k];
		}
	}
	return 0;
}

static int fit_group(struct ctx *c, int gi)
{
	const struct pz_group *g = &c->space->groups[gi];
	struct gfit *f = &c->gf[gi];
	int rc = group_dims(c, gi);

	if (rc != 0)
		return rc;
	rc = fit_pair(c, g, f->dims, g->members, g->n_members, 0, &f->below,
	              &f->above, f);
	f->fitted = rc == 0;
	return rc;
}

static int fit_group_cat(struct ctx *c, int gi)
{
	const struct pz_group *g = &c->space->groups[gi];
	struct gfit *f = &c->gf[gi];
	int rc = group_dims(c, gi);

	if (rc != 0)
		return rc;
	rc = fit_pair(c, g, f->cat_dims, f->cat_members, f->n_cat,
	              c->cfg->categorical_gamma, &f->cbelow, &f->cabove, NULL);
	f->cat_fitted = rc == 0;
	return rc;
}

/*
 * Decide group gi's members in c->out. Without cat_gamma: the best of
 * n_ei_candidates joint draws from l(x). With cat_gamma and categorical
 * members: first the categorical members, the best of n_ei_candidates
 * draws from their own l/g fitted on the smaller good set of cat_gamma;
 * then the numeric members, drawn from the group's l(x) given those
 * categories and scored by the group's l/g.
 */
static int greedy_group(struct ctx *c, int gi, double *xg, double *lg)
{
	const struct pz_group *g = &c->space->groups[gi];
	struct gfit *f = &c->gf[gi];
	int D = g->n_members, nc = c->cfg->n_ei_candidates, win = 0, rc;
	double best = -INFINITY, sc;

	if ((rc = group_dims(c, gi)) != 0)
		return rc;
	if (c->cfg->categorical_gamma > 0 && f->n_cat > 0) {
		int C = f->n_cat;

		if (!f->cat_fitted && (rc = fit_group_cat(c, gi)) != 0)
			return rc;
		for (int j = 0; j < nc; j++) {
			double *y = xg + (size_t)j * D;
			int seen = 0;

			pz_kde_sample(&f->cbelow, &c->rng, y);
			/* Draws repeat (few options, a small good set); a repeat
			 * scores the same, so it cannot beat its first draw. */
			for (int i = 0; i < j && !seen; i++)
				seen = memcmp(xg + (size_t)i * D, y,
				              (size_t)C * sizeof(double)) == 0;
			if (seen)
				continue;
			sc = ei_score(pz_kde_logpdf(&f->cbelow, y),
			              pz_kde_logpdf(&f->cabove, y));
			if (j == 0 || sc > best) {
				best = sc;
				win = j;
			}
		}
		for (int k = 0; k < C; k++)
			c->out[f->cat_members[k]] = xg[(size_t)win * D + k];
		if (C == D)
			return 0;
		if (!f->fitted && (rc = fit_group(c, gi)) != 0)
			return rc;
		for (int k = 0; k < D; k++)
			xg[k] = c->out[g->members[k]];
		/* The fits are done: the weights' scratch holds the draws'
		 * cumulative weights. */
		pz_kde_condition(&f->below, f->is_cat, xg, c->wts);
		for (int j = 0; j < nc; j++) {
			double *y = xg + (size_t)j * D;

			for (int k = 0; k < D; k++)
				y[k] = c->out[g->members[k]];
			pz_kde_sample_given(&f->below, &c->rng, f->is_cat, c->wts,
			                    y);
		}
	} else {
		if (!f->fitted && (rc = fit_group(c, gi)) != 0)
			return rc;
		for (int j = 0; j < nc; j++)
			pz_kde_sample(&f->below, &c->rng, xg + (size_t)j * D);
	}
	/* Score the draws: g(x) of all at once when approximated. */
	if (f->approx)
		pz_kde_logpdf_many(&f->above, xg, nc, lg);
	best = -INFINITY;
	for (int j = 0; j < nc; j++) {
		const double *y = xg + (size_t)j * D;

		sc = ei_score(pz_kde_logpdf(&f->below, y),
		              f->approx ? lg[j] : pz_kde_logpdf(&f->above, y));
		if (j == 0 || sc > best) {
			best = sc;
			win = j;
		}
	}
	for (int k = 0; k < D; k++)
		c->out[g->members[k]] = xg[(size_t)win * D + k];
	return 0;
}

/*
 * Multivariate TPE: group by group in document order (so a choice is
 * fixed before the groups under it), each decided by greedy_group().
 */
static int tpe_joint(struct ctx *c)
{
	const struct pz_space *s = c->space;
	int nc = c->cfg->n_ei_candidates, max_d = 1, rc = 0;
	double *xg;

	for (int gi = 0; gi < s->n_groups; gi++)
		if (s->groups[gi].n_members > max_d)
			max_d = s->groups[gi].n_members;
	xg = malloc((size_t)(max_d + 1) * nc * sizeof(double));
	if (xg == NULL)
		return PZ_ENOMEM;
	for (int gi = 0; gi < s->n_groups && rc == 0; gi++)
		if (group_active(&s->groups[gi], c->out))
			rc = greedy_group(c, gi, xg, xg + (size_t)max_d * nc);
	free(xg);
	return rc;
}

static int tpe(struct ctx *c)
{
	const struct pz_space *s = c->space;
	int rc = 0;

	if (c->cfg->multivariate)
		return tpe_joint(c);
	for (int gi = 0; gi < s->n_groups && rc == 0; gi++) {
		const struct pz_group *g = &s->groups[gi];

		if (!group_active(g, c->out))
			continue;
		for (int k = 0; k < g->n_members && rc == 0; k++) {
			int p = g->members[k];

			rc = c->dims[p].categorical
			             ? suggest_categorical(c, &c->dims[p], p)
			             : suggest_numeric(c, &c->dims[p], p);
		}
	}
	return rc;
}

int pz_tpe_suggest(const struct pz_space *space,
                   const struct pz_history *history,
                   const struct pz_tpe_config *cfg, uint64_t seed,
                   uint64_t number, double *out, struct pz_error *err)
{
	return pz_tpe_suggest_cached(space, history, cfg, NULL, seed, number,
	                             out, err);
}

int pz_tpe_suggest_cached(const struct pz_space *space,
                          const struct pz_history *history,
                          const struct pz_tpe_config *cfg,
                          struct pz_tpe_cache *cache, uint64_t seed,
                          uint64_t number, double *out, struct pz_error *err)
{
	struct ctx c;
	struct work own_work, *wk;
	size_t n;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(&own_work, 0, sizeof(own_work));
	pz_rng_init(&c.rng, seed, number);
	if (history->n_trials < (size_t)cfg->n_startup ||
	    pz_history_n_ranked(history) == 0) {
		pz_sample_prior(space, &c.rng, out);
		return 0;
	}
	c.space = space;
	c.h = history;
	c.cfg = cfg;
	c.cache = cache;
	c.out = out;
	n = history->n_slots;
	wk = cache != NULL ? &cache->work : &own_work;
	if ((rc = work_reserve(wk, n)) != 0)
		goto out;
	c.cls = wk->cls;
	c.gcls = wk->gcls;
	c.age = wk->age;
	c.mus = wk->mus;
	c.wts = wk->wts;
	c.rows = wk->rows;
	c.dims = malloc((size_t)(space->n_params ? space->n_params : 1) *
	                sizeof(*c.dims));
	c.gf = calloc((size_t)(space->n_groups ? space->n_groups : 1),
	              sizeof(*c.gf));
	if (c.dims == NULL || c.gf == NULL) {
		rc = PZ_ENOMEM;
		goto out;
	}
	for (int i = 0; i < space->n_params; i++) {
		pz_gmm_dim_init(&c.dims[i], &space->params[i],
		                cfg->int_categorical);
		out[i] = NAN;
	}
	rc = split(&c, -1, 0, c.cls);
	if (rc == 0)
		rc = tpe(&c);
out:
	for (int gi = 0; c.gf != NULL && gi < space->n_groups; gi++) {
		struct gfit *f = &c.gf[gi];

		if (f->approx) /* the entry's */
			f->above.center = f->above.base = f->above.scratch = NULL;
		if (f->fitted) {
			pz_kde_finish(&f->below);
			pz_kde_finish(&f->above);
		}
		if (f->cat_fitted) {
			pz_kde_finish(&f->cbelow);
			pz_kde_finish(&f->cabove);
		}
		pz_kde_cache_finish(&f->own);
		free(f->dims);
		free(f->cat_dims);
		free(f->cat_members);
		free(f->is_cat);
	}
	free(c.gf);
	free(c.gbest);
	free(c.dims);
	work_finish(&own_work);
	if (rc != 0)
		return pz_error_set(err, rc, "suggestion failed: %s",
		                    pz_strerror(rc));
	return 0;
}
