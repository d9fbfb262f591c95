/*
 * One entry point over the suggesters, their configs as JSON, and the
 * mixture of suggesters; see suggest.h.
 */
#include <parzen/suggest.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <parzen/rng.h>
#include <parzen/sample.h>

int pz_suggest(const struct pz_space *space, const struct pz_history *history,
               enum pz_algo algo, const struct pz_tpe_config *cfg,
               uint64_t seed, uint64_t number, double *out,
               struct pz_error *err)
{
	struct pz_rng rng;

	if (algo == PZ_ALGO_TPE && history != NULL && cfg != NULL)
		return pz_tpe_suggest(space, history, cfg, seed, number, out,
		                      err);
	pz_rng_init(&rng, seed, number);
	pz_sample_prior(space, &rng, out);
	return 0;
}

static const char *const algo_names[] = {
	[PZ_ALGO_RANDOM] = "random",
	[PZ_ALGO_TPE] = "tpe",
	[PZ_ALGO_ANNEAL] = "anneal",
	[PZ_ALGO_MIX] = "mix",
};

const char *pz_algo_name(enum pz_algo algo)
{
	return (unsigned)algo <= PZ_ALGO_MIX ? algo_names[algo] : "?";
}

int pz_algo_parse(const char *name, enum pz_algo *algo)
{
	for (int i = 0; i <= PZ_ALGO_MIX; i++) {
		if (strcmp(name, algo_names[i]) == 0) {
			*algo = (enum pz_algo)i;
			return 0;
		}
	}
	return -1;
}

/* Re-root an error of a part's config under config.components[k]. */
static int part_error(struct pz_error *err, int k, int rc)
{
	char path[PZ_ERROR_PATH_MAX], msg[PZ_ERROR_MSG_MAX];
	const char *text = err != NULL ? err->msg : "";
	size_t plen = err != NULL ? strlen(err->path) : 0;

	if (err == NULL)
		return rc;
	if (plen > 0 && strncmp(text, err->path, plen) == 0 &&
	    strncmp(text + plen, ": ", 2) == 0)
		text += plen + 2;
	snprintf(msg, sizeof(msg), "%s", text);
	/* A part's own errors say "config...": it sits at
	 * config.components[k].config. */
	snprintf(path, sizeof(path), "config.components[%d].%s", k,
	         err->path[0] ? err->path : "config");
	return pz_error_set_at(err, rc, path, "%s", msg);
}

static int mix_part(const cJSON *c, int k, struct pz_mix_part *part,
                    struct pz_error *err)
{
	const cJSON *v, *cfg = NULL;
	char path[64];
	int rc = 0;

	snprintf(path, sizeof(path), "config.components[%d]", k);
	if (!cJSON_IsObject(c))
		return pz_error_set_at(err, PZ_EINVAL, path,
		                       "must be {\"p\": probability, \"algo\": "
		                       "name, \"config\": {...}}");
	cJSON_ArrayForEach(v, c)
	{
		if (strcmp(v->string, "p") != 0 && strcmp(v->string, "algo") != 0 &&
		    strcmp(v->string, "config") != 0)
			return pz_error_set_key(err, PZ_EINVAL, path, v->string,
			                        "unknown key (known: p, algo, "
			                        "config)");
	}
	v = cJSON_GetObjectItemCaseSensitive(c, "p");
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble < 0 || v->valuedouble > 1)
		return pz_error_set_key(err, PZ_EINVAL, path, "p",
		                        "must be a probability in [0, 1]");
	part->p = v->valuedouble;
	v = cJSON_GetObjectItemCaseSensitive(c, "algo");
	if (!cJSON_IsString(v) ||
	    pz_algo_parse(v->valuestring, &part->algo) != 0 ||
	    part->algo == PZ_ALGO_MIX)
		return pz_error_set_key(err, PZ_EINVAL, path, "algo",
		                        "must be \"random\", \"tpe\" or "
		                        "\"anneal\"");
	cfg = cJSON_GetObjectItemCaseSensitive(c, "config");
	pz_tpe_config_default(&part->tpe);
	pz_anneal_config_default(&part->anneal);
	if (part->algo == PZ_ALGO_TPE)
		rc = pz_tpe_config_from_json(&part->tpe, cfg, err);
	else if (part->algo == PZ_ALGO_ANNEAL)
		rc = pz_anneal_config_from_json(&part->anneal, cfg, err);
	else if (cfg != NULL && !cJSON_IsNull(cfg) &&
	         (!cJSON_IsObject(cfg) || cfg->child != NULL))
		return pz_error_set_key(err, PZ_EINVAL, path, "config",
		                        "random search has no settings");
	return rc != 0 ? part_error(err, k, rc) : 0;
}

static int mix_config(struct pz_algo_config *cfg, const cJSON *json,
                      struct pz_error *err)
{
	const cJSON *parts, *c;
	double sum = 0;
	int k = 0, rc;

	if (!cJSON_IsObject(json))
		return pz_error_set_at(err, PZ_EINVAL, "config",
		                       "a mixture needs {\"components\": [{\"p\", "
		                       "\"algo\", \"config\"}, ...]}");
	cJSON_ArrayForEach(c, json)
	{
		if (strcmp(c->string, "components") != 0)
			return pz_error_set_key(err, PZ_EINVAL, "config", c->string,
			                        "unknown setting of mix (known: "
			                        "components)");
	}
	parts = cJSON_GetObjectItemCaseSensitive(json, "components");
	if (!cJSON_IsArray(parts) || cJSON_GetArraySize(parts) < 1 ||
	    cJSON_GetArraySize(parts) > PZ_MIX_MAX)
		return pz_error_set_at(err, PZ_EINVAL, "config.components",
		                       "must be an array of 1 to %d parts",
		                       PZ_MIX_MAX);
	cJSON_ArrayForEach(c, parts)
	{
		if ((rc = mix_part(c, k, &cfg->parts[k], err)) != 0)
			return rc;
		sum += cfg->parts[k++].p;
	}
	if (fabs(sum - 1.0) > 1e-6)
		return pz_error_set_at(err, PZ_EINVAL, "config.components",
		                       "the probabilities must sum to 1 (they sum "
		                       "to %.17g)", sum);
	cfg->n_parts = k;
	return 0;
}

int pz_algo_config_from_json(struct pz_algo_config *cfg, enum pz_algo algo,
                             const cJSON *json, struct pz_error *err)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->algo = algo;
	pz_tpe_config_default(&cfg->tpe);
	pz_anneal_config_default(&cfg->anneal);
	switch (algo) {
	case PZ_ALGO_RANDOM:
	case PZ_ALGO_TPE:
		return pz_tpe_config_from_json(&cfg->tpe, json, err);
	case PZ_ALGO_ANNEAL:
		return pz_anneal_config_from_json(&cfg->anneal, json, err);
	case PZ_ALGO_MIX:
		return mix_config(cfg, json, err);
	}
	return pz_error_set(err, PZ_EINVAL, "unknown algorithm %d", (int)algo);
}

static cJSON *part_json(const struct pz_mix_part *part)
{
	cJSON *o = cJSON_CreateObject(), *cfg = NULL;

	if (o == NULL)
		return NULL;
	if (part->algo == PZ_ALGO_TPE)
		cfg = pz_tpe_config_to_json(&part->tpe);
	else if (part->algo == PZ_ALGO_ANNEAL)
		cfg = pz_anneal_config_to_json(&part->anneal);
	if (!cJSON_AddNumberToObject(o, "p", part->p) ||
	    !cJSON_AddStringToObject(o, "algo", pz_algo_name(part->algo)) ||
	    (part->algo != PZ_ALGO_RANDOM &&
	     (cfg == NULL || !cJSON_AddItemToObject(o, "config", cfg)))) {
		cJSON_Delete(cfg);
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *pz_algo_config_to_json(const struct pz_algo_config *cfg)
{
	cJSON *o, *arr;

	switch (cfg->algo) {
	case PZ_ALGO_RANDOM:
	case PZ_ALGO_TPE:
		return pz_tpe_config_to_json(&cfg->tpe);
	case PZ_ALGO_ANNEAL:
		return pz_anneal_config_to_json(&cfg->anneal);
	case PZ_ALGO_MIX:
		break;
	}
	o = cJSON_CreateObject();
	arr = o != NULL ? cJSON_AddArrayToObject(o, "components") : NULL;
	if (arr == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	for (int k = 0; k < cfg->n_parts; k++) {
		cJSON *p = part_json(&cfg->parts[k]);

		if (p == NULL) {
			cJSON_Delete(o);
			return NULL;
		}
		cJSON_AddItemToArray(arr, p);
	}
	return o;
}

int pz_mix_pick(const struct pz_algo_config *cfg, uint64_t seed,
                uint64_t number)
{
	struct pz_rng rng;
	double u, total = 0, acc = 0;

	for (int k = 0; k < cfg->n_parts; k++)
		total += cfg->parts[k].p;
	pz_rng_init(&rng, seed ^ PZ_MIX_SALT, number);
	u = pz_rng_uniform(&rng) * total;
	for (int k = 0; k < cfg->n_parts - 1; k++) {
		acc += cfg->parts[k].p;
		if (u < acc)
			return k;
	}
	return cfg->n_parts - 1;
}

int pz_suggest_with(const struct pz_space *space,
                    const struct pz_history *history,
                    const struct pz_algo_config *cfg, uint64_t seed,
                    uint64_t number, double *out, struct pz_error *err)
{
	return pz_suggest_with_cache(space, history, cfg, NULL, seed, number,
	                             out, err);
}

/* pz_suggest() through the cache for TPE. */
static int suggest_cached(const struct pz_space *space,
                          const struct pz_history *history, enum pz_algo algo,
                          const struct pz_tpe_config *cfg,
                          struct pz_tpe_cache *cache, uint64_t seed,
                          uint64_t number, double *out, struct pz_error *err)
{
	if (algo == PZ_ALGO_TPE && history != NULL && cfg != NULL)
		return pz_tpe_suggest_cached(space, history, cfg, cache, seed,
		                             number, out, err);
	return pz_suggest(space, history, algo, cfg, seed, number, out, err);
}

int pz_suggest_with_cache(const struct pz_space *space,
                          const struct pz_history *history,
                          const struct pz_algo_config *cfg,
                          struct pz_tpe_cache *cache, uint64_t seed,
                          uint64_t number, double *out, struct pz_error *err)
{
	const struct pz_mix_part *part;

	switch (cfg->algo) {
	case PZ_ALGO_RANDOM:
	case PZ_ALGO_TPE:
		return suggest_cached(space, history, cfg->algo, &cfg->tpe,
		                      cache, seed, number, out, err);
	case PZ_ALGO_ANNEAL:
		return pz_anneal_suggest(space, history, &cfg->anneal, seed,
		                         number, out, err);
	case PZ_ALGO_MIX:
		break;
	}
	if (cfg->n_parts < 1)
		return pz_error_set(err, PZ_EINVAL, "a mixture without parts");
	part = &cfg->parts[pz_mix_pick(cfg, seed, number)];
	if (part->algo == PZ_ALGO_ANNEAL)
		return pz_anneal_suggest(space, history, &part->anneal, seed,
		                         number, out, err);
	return suggest_cached(space, history, part->algo, &part->tpe, cache,
	                      seed, number, out, err);
}
