/*
 * Annealing: sample near one of the best trials, in a neighbourhood that
 * shrinks as a label gets more observations (see anneal.h for the rules).
 *
 * Per label the work is one pass over the history's rows to collect the
 * trials where the label is active, and a sort of the ok and pruned ones
 * (history.h's order) when a new centre must be picked: O(n log n) per
 * label, scratch memory allocated per call and freed before returning.
 */
#include <parzen/anneal.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <parzen/rng.h>
#include <parzen/sample.h>

void pz_anneal_config_default(struct pz_anneal_config *cfg)
{
	cfg->avg_best_idx = 2.0;
	cfg->shrink_coef = 0.1;
}

static int number_in(const cJSON *v, const char *key, double lo, double hi,
                     double *out, struct pz_error *err)
{
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return pz_error_set_key(err, PZ_EINVAL, "config", key,
		                        "must be a number");
	if (v->valuedouble < lo || v->valuedouble > hi)
		return pz_error_set_key(err, PZ_ERANGE, "config", key,
		                        "must be in [%g, %g] (got %g)", lo, hi,
		                        v->valuedouble);
	*out = v->valuedouble;
	return 0;
}

int pz_anneal_config_from_json(struct pz_anneal_config *cfg,
                               const cJSON *json, struct pz_error *err)
{
	const cJSON *c;
	int rc;

	pz_anneal_config_default(cfg);
	if (json == NULL || cJSON_IsNull(json))
		return 0;
	if (!cJSON_IsObject(json))
		return pz_error_set_at(err, PZ_EINVAL, "config",
		                       "must be an object");
	cJSON_ArrayForEach(c, json)
	{
		if (strcmp(c->string, "avg_best_idx") == 0)
			rc = number_in(c, c->string, 1, 1e6, &cfg->avg_best_idx,
			               err);
		else if (strcmp(c->string, "shrink_coef") == 0)
			rc = number_in(c, c->string, 0, 1e6, &cfg->shrink_coef,
			               err);
		else
			rc = pz_error_set_key(err, PZ_EINVAL, "config", c->string,
			                      "unknown setting of anneal (known: "
			                      "avg_best_idx, shrink_coef)");
		if (rc != 0)
			return rc;
	}
	return 0;
}

cJSON *pz_anneal_config_to_json(const struct pz_anneal_config *cfg)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL ||
	    !cJSON_AddNumberToObject(o, "avg_best_idx", cfg->avg_best_idx) ||
	    !cJSON_AddNumberToObject(o, "shrink_coef", cfg->shrink_coef)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* An ok or pruned trial where the label is active, for ranking in the
 * history's order (pz_history_ranks_before; qsort has no context). */
struct ranked {
	const struct pz_history *h;
	uint32_t number;
};

static int by_rank(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (pz_history_ranks_before(x->h, x->number, y->number))
		return -1;
	return pz_history_ranks_before(x->h, y->number, x->number);
}

struct scratch {
	struct ranked *ok;   /* active ok and pruned trials */
	uint32_t *other;     /* active failed and pending trials, by number */
	uint32_t *centres;   /* trials picked for this suggestion, in order */
	size_t n_centres;
};

/*
 * Rank (0 = best) of the centre: a geometric draw with mean avg_best_idx
 * (hyperopt: rng.geometric(1 / avg_best_idx) - 1), clipped to n - 1.
 */
static size_t geometric_rank(const struct pz_anneal_config *cfg, size_t n,
                             struct pz_rng *rng)
{
	double p = 1.0 / cfg->avg_best_idx, u = pz_rng_uniform(rng), k;

	if (p >= 1.0)
		return 0;
	/* P(k) = (1 - p)^k p for k = 0, 1, ...: inversion of the tail. */
	k = floor(log1p(-u) / log1p(-p));
	return k >= (double)(n - 1) ? n - 1 : (size_t)k;
}

/*
 * The centre for label `i`: a trial already picked for this suggestion
 * where the label is active, else a new pick by rank. Returns its number;
 * *t gets the number of trials where the label is active (0: none, the
 * caller draws from the prior).
 */
static uint32_t centre(const struct pz_space *space,
                       const struct pz_history *h,
                       const struct pz_anneal_config *cfg, int i,
                       struct scratch *s, struct pz_rng *rng, size_t *t)
{
	size_t np = (size_t)space->n_params, n_ok = 0, n_other = 0, rank;

	for (size_t n = 0; n < h->n_slots; n++) {
		if (h->state[n] == PZ_TRIAL_NONE ||
		    isnan(h->values[n * np + (size_t)i]))
			continue;
		if (pz_history_ranked(h, n)) {
			s->ok[n_ok].h = h;
			s->ok[n_ok++].number = (uint32_t)n;
		} else {
			s->other[n_other++] = (uint32_t)n;
		}
	}
	*t = n_ok + n_other;
	if (*t == 0)
		return 0;
	for (size_t k = 0; k < s->n_centres; k++)
		if (!isnan(pz_history_row(h, s->centres[k])[i]))
			return s->centres[k];
	rank = geometric_rank(cfg, *t, rng);
	if (rank < n_ok)
		qsort(s->ok, n_ok, sizeof(*s->ok), by_rank);
	s->centres[s->n_centres] = rank < n_ok ? s->ok[rank].number
	                                       : s->other[rank - n_ok];
	return s->centres[s->n_centres++];
}

/* Uniform in a window of `width` around `mid`, moved inside [lo, hi]. */
static double window(double mid, double lo, double hi, double shrink,
                     struct pz_rng *rng)
{
	double half = 0.5 * (hi - lo) * shrink;
	double a = lo + half, b = hi - half;

	/* mid may be -inf (log of a quantized 0): it clips to a. */
	mid = mid < a ? a : (mid > b ? b : mid);
	return (mid - half) + 2.0 * half * pz_rng_uniform(rng);
}

/* The centre's value with probability 1 - shrink, else a prior draw. */
static double stay_or_prior(const struct pz_param *p, double value,
                            double shrink, struct pz_rng *rng)
{
	if (pz_rng_uniform(rng) >= shrink)
		return value;
	return pz_sample_param(p, rng);
}

static double near(const struct pz_param *p, double v, double shrink,
                   struct pz_rng *rng)
{
	double x;

	switch (p->kind) {
	case PZ_HP_UNIFORM:
		return window(v, p->low, p->high, shrink, rng);
	case PZ_HP_QUNIFORM:
		return pz_sample_quantize(window(v, p->low, p->high, shrink, rng),
		                          p->q);
	case PZ_HP_LOGUNIFORM:
		return exp(window(log(v), p->low, p->high, shrink, rng));
	case PZ_HP_QLOGUNIFORM:
		x = exp(window(log(v), p->low, p->high, shrink, rng));
		return pz_sample_quantize(x, p->q);
	case PZ_HP_UNIFORMINT:
		x = nearbyint(window(v, p->low - 0.5, p->high + 0.5, shrink, rng));
		return x < p->low ? p->low : (x > p->high ? p->high : x);
	case PZ_HP_NORMAL:
		return v + shrink * p->sigma * pz_rng_normal(rng);
	case PZ_HP_QNORMAL:
		return pz_sample_quantize(v + shrink * p->sigma *
		                                  pz_rng_normal(rng),
		                          p->q);
	case PZ_HP_LOGNORMAL:
		return exp(log(v) + shrink * p->sigma * pz_rng_normal(rng));
	case PZ_HP_QLOGNORMAL:
		x = exp(log(1e-16 + v) + shrink * p->sigma * pz_rng_normal(rng));
		return pz_sample_quantize(x, p->q);
	case PZ_HP_RANDINT:
	case PZ_HP_CHOICE:
	case PZ_HP_PCHOICE:
		return stay_or_prior(p, v, shrink, rng);
	}
	return NAN;
}

int pz_anneal_suggest(const struct pz_space *space,
                      const struct pz_history *history,
                      const struct pz_anneal_config *cfg, uint64_t seed,
                      uint64_t number, double *out, struct pz_error *err)
{
	struct scratch s = {0};
	struct pz_rng rng;
	size_t slots = history != NULL ? history->n_slots : 0;
	int rc = 0;

	pz_rng_init(&rng, seed, number);
	if (slots == 0) {
		pz_sample_prior(space, &rng, out);
		return 0;
	}
	s.ok = malloc(slots * sizeof(*s.ok));
	s.other = malloc(slots * sizeof(*s.other));
	s.centres = malloc(((size_t)space->n_params + 1) * sizeof(*s.centres));
	if (s.ok == NULL || s.other == NULL || s.centres == NULL) {
		rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
		goto free_scratch;
	}
	for (int i = 0; i < space->n_params; i++) {
		const struct pz_param *p = &space->params[i];
		size_t t = 0;
		uint32_t c;

		if (!pz_space_is_active(space, out, i)) {
			out[i] = NAN;
			continue;
		}
		c = centre(space, history, cfg, i, &s, &rng, &t);
		if (t == 0) {
			out[i] = pz_sample_param(p, &rng);
			continue;
		}
		out[i] = near(p, pz_history_row(history, c)[i],
		              1.0 / (1.0 + (double)t * cfg->shrink_coef), &rng);
	}
free_scratch:
	free(s.ok);
	free(s.other);
	free(s.centres);
	return rc;
}
