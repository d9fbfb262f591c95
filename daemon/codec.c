/*
 * Requests' params and replies' objects; see codec.h.
 */
#include "codec.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <parzen/eval.h>
#include <parzen/json.h>
#include <parzen/params.h>
#include <parzen/utf8.h>

#include "clock.h"

enum type {
	T_STRING,   /* any string */
	T_NAME,     /* 1 to 200 bytes, no control characters */
	T_INT,      /* an integral number in [lo, hi] */
	T_NUMBER,   /* a finite number in [lo, hi] */
	T_BOOL,
	T_OBJECT,
	T_ARRAY,
	T_JSON,     /* any value */
	T_ENUM,     /* one of the strings in `choices` */
};

struct field {
	const char *key;
	enum type type;
	double lo, hi;
	size_t off;
	const char *what;   /* for "must be ..." */
	const char *const *choices;
};

static const char *const statuses[] = {"ok", "fail", "pruned", NULL};
static const char *const states[] = {"queued", "running", "ok", "fail",
                                     "pruned", NULL};

#define MAX_ID 9007199254740991.0 /* 2^53 - 1: exact in every JSON reader */
#define F(key, type, lo, hi, member, what) \
	{key, type, lo, hi, offsetof(struct pz_req, member), what, NULL}
#define E(key, member, what, choices) \
	{key, T_ENUM, 0, 0, offsetof(struct pz_req, member), what, choices}

static const struct field fields[PZ_F_COUNT] = {
	[PZ_F_NAME] = F("name", T_NAME, 1, 200, name,
	                "a string of 1 to 200 bytes without control "
	                "characters"),
	[PZ_F_SPACE] = F("space", T_JSON, 0, 0, space, "a space document"),
	[PZ_F_ALGO] = F("algo", T_STRING, 0, 0, algo, "a string"),
	[PZ_F_SEED] = F("seed", T_INT, 0, MAX_ID, seed, NULL),
	[PZ_F_MAX_TRIALS] = F("max_trials", T_INT, 1, 4294967294.0,
	                      max_trials, NULL),
	[PZ_F_CONFIG] = F("config", T_OBJECT, 0, 0, config, "an object"),
	[PZ_F_HEARTBEAT_TIMEOUT] = F("heartbeat_timeout", T_NUMBER, 1e-3, 1e7,
	                             heartbeat_timeout,
	                             "a number of seconds > 0 (from 0.001 to "
	                             "1e7)"),
	[PZ_F_EXIST_OK] = F("exist_ok", T_BOOL, 0, 0, exist_ok,
	                    "true or false"),
	[PZ_F_PRUNER] = F("pruner", T_OBJECT, 0, 0, pruner, "an object"),
	[PZ_F_STUDY] = F("study", T_STRING, 0, 0, study,
	                 "a string (a study name)"),
	[PZ_F_TRIAL] = F("trial", T_INT, 1, MAX_ID, trial, NULL),
	[PZ_F_WORKER] = F("worker", T_NAME, 1, 200, worker,
	                  "a string of 1 to 200 bytes without control "
	                  "characters"),
	[PZ_F_STATUS] = E("status", status, "\"ok\", \"fail\" or \"pruned\"",
	                  statuses),
	[PZ_F_LOSS] = F("loss", T_JSON, 0, 0, loss, "a finite number"),
	[PZ_F_RESULT] = F("result", T_OBJECT, 0, 0, result, "an object"),
	[PZ_F_ATTEMPT] = F("attempt", T_INT, 0, 2147483647.0, attempt, NULL),
	[PZ_F_PARAMS] = F("params", T_OBJECT, 0, 0, params,
	                  "an object {label: value}"),
	[PZ_F_STATE] = E("state", state,
	                 "\"queued\", \"running\", \"ok\", \"fail\" or "
	                 "\"pruned\"", states),
	[PZ_F_OFFSET] = F("offset", T_INT, 0, 4294967295.0, offset, NULL),
	[PZ_F_LIMIT] = F("limit", T_INT, 1, 10000, limit, NULL),
	[PZ_F_STEP] = F("step", T_INT, 0, MAX_ID, step, NULL),
	[PZ_F_VALUE] = F("value", T_NUMBER, -HUGE_VAL, HUGE_VAL, value,
	                 "a finite number"),
	[PZ_F_TRIALS] = F("trials", T_ARRAY, 0, 0, trials, "an array"),
	[PZ_F_INTERMEDIATE] = F("intermediate", T_BOOL, 0, 0, intermediate,
	                        "true or false"),
	[PZ_F_PATH] = F("path", T_STRING, 0, 0, path, "a string"),
	[PZ_F_VALUES] = F("values", T_OBJECT, 0, 0, values,
	                  "an object {label: value}"),
	[PZ_F_FORCE] = F("force", T_BOOL, 0, 0, force, "true or false"),
};

static void key_list(uint64_t allowed, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int f = 0; f < PZ_F_COUNT && used < len; f++)
		if (allowed & PZ_FIELD(f))
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
			                         used ? ", " : "", fields[f].key);
	if (used == 0)
		snprintf(buf, len, "none");
}

static int wrong(const struct field *fd, struct pz_error *err)
{
	if (fd->what != NULL)
		return pz_error_set_key(err, PZ_EINVAL, "params", fd->key,
		                        "must be %s", fd->what);
	return pz_error_set_key(err, PZ_EINVAL, "params", fd->key,
	                        "must be an integer from %.0f to %.0f", fd->lo,
	                        fd->hi);
}

static int decode_field(const struct field *fd, const cJSON *v,
                        struct pz_req *req, struct pz_error *err)
{
	char *slot = (char *)req + fd->off;
	size_t n;

	switch (fd->type) {
	case T_ENUM:
		if (!cJSON_IsString(v))
			return wrong(fd, err);
		for (n = 0; fd->choices[n] != NULL; n++)
			if (strcmp(v->valuestring, fd->choices[n]) == 0)
				break;
		if (fd->choices[n] == NULL)
			return wrong(fd, err);
		*(const char **)slot = v->valuestring;
		return 0;
	case T_STRING:
	case T_NAME:
		if (!cJSON_IsString(v))
			return wrong(fd, err);
		n = strlen(v->valuestring);
		if (fd->type == T_NAME &&
		    (n < fd->lo || n > fd->hi ||
		     pz_utf8_has_control(v->valuestring)))
			return wrong(fd, err);
		*(const char **)slot = v->valuestring;
		return 0;
	case T_INT:
		if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
		    v->valuedouble < fd->lo || v->valuedouble > fd->hi)
			return wrong(fd, err);
		*(int64_t *)slot = (int64_t)v->valuedouble;
		return 0;
	case T_NUMBER:
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
		    v->valuedouble < fd->lo || v->valuedouble > fd->hi)
			return wrong(fd, err);
		*(double *)slot = v->valuedouble;
		return 0;
	case T_BOOL:
		if (!cJSON_IsBool(v))
			return wrong(fd, err);
		*(int *)slot = cJSON_IsTrue(v);
		return 0;
	case T_OBJECT:
		if (!cJSON_IsObject(v))
			return wrong(fd, err);
		break;
	case T_ARRAY:
		if (!cJSON_IsArray(v))
			return wrong(fd, err);
		break;
	case T_JSON:
		break;
	}
	*(const cJSON **)slot = v;
	return 0;
}

static int field_of(const char *key)
{
	for (int f = 0; f < PZ_F_COUNT; f++)
		if (strcmp(fields[f].key, key) == 0)
			return f;
	return -1;
}

int pz_codec_decode(const cJSON *params, uint64_t allowed, uint64_t required,
                    const char *method, struct pz_req *req,
                    struct pz_error *err)
{
	const cJSON *c;
	char keys[512];
	int f, rc;

	memset(req, 0, sizeof(*req));
	req->attempt = -1;
	cJSON_ArrayForEach(c, params)
	{
		f = field_of(c->string);
		if (f < 0 || !(allowed & PZ_FIELD(f))) {
			key_list(allowed, keys, sizeof(keys));
			return pz_error_set_key(err, PZ_EINVAL, "params", c->string,
			                        "unknown parameter for %s "
			                        "(expected: %s)", method, keys);
		}
		if (cJSON_IsNull(c))
			continue;
		if ((rc = decode_field(&fields[f], c, req, err)) != 0)
			return rc;
		req->given |= PZ_FIELD(f);
	}
	for (f = 0; f < PZ_F_COUNT; f++)
		if ((required & PZ_FIELD(f)) && !(req->given & PZ_FIELD(f)))
			return pz_error_set_key(err, PZ_EINVAL, "params",
			                        fields[f].key, "missing (%s)",
			                        fields[f].what != NULL
			                                ? fields[f].what
			                                : "an integer");
	return 0;
}

/* --- study.import's trials -------------------------------------------------- */

static const char *const import_keys[] = {
	"number", "state", "params", "loss", "result", "worker", "attempt",
	"reclaims", "created", "started", "finished", "intermediate",
	/* read-only fields of a Trial object, ignored */
	"id", "study", "point", "deadline", "heartbeat", NULL,
};

static int bad_trial(struct pz_error *err, size_t i, const char *key,
                     const char *what)
{
	char path[PZ_ERROR_PATH_MAX];

	snprintf(path, sizeof(path), "params.trials[%zu]%s%.200s", i,
	         key[0] ? "." : "", key);
	return pz_error_set_at(err, PZ_EINVAL, path, "%s", what);
}

/* A time: a number >= 0, null or absent (NAN). */
static int get_time(const cJSON *t, const char *key, size_t i, double *out,
                    struct pz_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, key);

	*out = NAN;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble < 0)
		return bad_trial(err, i, key, "must be Unix seconds (a number "
		                              ">= 0) or null");
	*out = v->valuedouble;
	return 0;
}

static int get_count(const cJSON *t, const char *key, size_t i,
                     int64_t *out, struct pz_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, key);

	*out = 0;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble < 0 || v->valuedouble > 1e9)
		return bad_trial(err, i, key, "must be an integer from 0 to 1e9");
	*out = (int64_t)v->valuedouble;
	return 0;
}

/* "intermediate": null, or [[step, value], ...] by increasing step. */
static int get_intermediate(const cJSON *t, size_t i, const cJSON **out,
                            struct pz_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, "intermediate");
	const cJSON *pair, *step, *value;
	double last = -1;
	char what[160];
	int k = 0;

	*out = NULL;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsArray(v))
		return bad_trial(err, i, "intermediate", "must be an array of "
		                 "[step, value] pairs, or null");
	cJSON_ArrayForEach(pair, v)
	{
		step = cJSON_IsArray(pair) ? pair->child : NULL;
		value = step != NULL ? step->next : NULL;
		if (value == NULL || value->next != NULL ||
		    !cJSON_IsNumber(step) || !cJSON_IsNumber(value) ||
		    step->valuedouble != floor(step->valuedouble) ||
		    step->valuedouble < 0 || step->valuedouble > MAX_ID + 1 ||
		    step->valuedouble <= last || !isfinite(value->valuedouble)) {
			snprintf(what, sizeof(what), "intermediate[%d]", k);
			return bad_trial(err, i, what,
			                 "must be [step, value]: an integer step "
			                 ">= 0 above the previous one, and a "
			                 "finite value");
		}
		last = step->valuedouble;
		k++;
	}
	*out = v;
	return 0;
}

int pz_codec_import_trial(const cJSON *t, size_t i, int64_t number,
                          struct pz_import_trial *it, char **result_text,
                          struct pz_error *err)
{
	const cJSON *c, *v;
	int k;

	memset(it, 0, sizeof(*it));
	*result_text = NULL;
	if (!cJSON_IsObject(t))
		return bad_trial(err, i, "", "must be a trial object");
	cJSON_ArrayForEach(c, t)
	{
		for (k = 0; import_keys[k] != NULL; k++)
			if (strcmp(import_keys[k], c->string) == 0)
				break;
		if (import_keys[k] == NULL)
			return bad_trial(err, i, c->string,
			                 "unknown field of an imported trial");
	}
	v = cJSON_GetObjectItemCaseSensitive(t, "number");
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)number) {
		char what[128];

		snprintf(what, sizeof(what), "must be %lld (trials are numbered "
		         "in order from the import's offset)", (long long)number);
		return bad_trial(err, i, "number", what);
	}
	v = cJSON_GetObjectItemCaseSensitive(t, "state");
	it->state = cJSON_IsString(v) ? pz_tstate_parse(v->valuestring) : -1;
	if (it->state < 0)
		return bad_trial(err, i, "state", "must be \"queued\", "
		                 "\"running\", \"ok\", \"fail\" or \"pruned\"");
	it->params = cJSON_GetObjectItemCaseSensitive(t, "params");
	if (!cJSON_IsObject(it->params))
		return bad_trial(err, i, "params",
		                 "must be an object {label: value}");
	v = cJSON_GetObjectItemCaseSensitive(t, "loss");
	it->loss = NAN;
	if (it->state == PZ_T_OK || it->state == PZ_T_PRUNED) {
		if (it->state == PZ_T_OK || (v != NULL && !cJSON_IsNull(v))) {
			if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
				return bad_trial(err, i, "loss",
				                 "must be a finite number for an ok "
				                 "trial (or null for a pruned one)");
			it->loss = v->valuedouble;
		}
	}
	v = cJSON_GetObjectItemCaseSensitive(t, "result");
	if (v != NULL && !cJSON_IsNull(v) && !cJSON_IsObject(v))
		return bad_trial(err, i, "result", "must be an object or null");
	v = cJSON_GetObjectItemCaseSensitive(t, "worker");
	if (v != NULL && !cJSON_IsNull(v)) {
		if (!cJSON_IsString(v) || strlen(v->valuestring) == 0 ||
		    strlen(v->valuestring) > 200 ||
		    pz_utf8_has_control(v->valuestring))
			return bad_trial(err, i, "worker",
			                 "must be a string of 1 to 200 bytes "
			                 "without control characters, or null");
		it->worker = v->valuestring;
	}
	if (get_count(t, "attempt", i, &it->attempt, err) != 0 ||
	    get_count(t, "reclaims", i, &it->reclaims, err) != 0 ||
	    get_time(t, "created", i, &it->created, err) != 0 ||
	    get_time(t, "started", i, &it->started, err) != 0 ||
	    get_time(t, "finished", i, &it->finished, err) != 0 ||
	    get_intermediate(t, i, &it->intermediate, err) != 0)
		return PZ_EINVAL;
	if (isnan(it->created))
		it->created = !isnan(it->started) ? it->started
		                                  : pz_clock_wall();
	v = cJSON_GetObjectItemCaseSensitive(t, "result");
	if (cJSON_IsObject(v) &&
	    (*result_text = pz_json_print(v, NULL)) == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	it->result = *result_text;
	return 0;
}

/* --- replies ------------------------------------------------------------------ */

cJSON *pz_codec_number(double x)
{
	return isnan(x) ? cJSON_CreateNull() : cJSON_CreateNumber(x);
}

/* Every trial below max_trials exists and is final. */
static int study_done(const struct pz_study *s)
{
	return s->max_trials > 0 && (int64_t)s->n_trials >= s->max_trials &&
	       s->counts[PZ_T_QUEUED] == 0 && s->counts[PZ_T_RUNNING] == 0;
}

static const char *study_state(const struct pz_study *s)
{
	if (s->load == PZ_LOAD_DAMAGED)
		return "damaged";
	if (s->load == PZ_LOAD_YES && study_done(s))
		return "done";
	return s->paused ? "paused" : "running";
}

cJSON *pz_codec_study(const struct pz_study *s)
{
	cJSON *o = cJSON_CreateObject(), *counts, *best, *pruner;
	static const char *const keys[PZ_T_NSTATES] = {
		"queued", "running", "ok", "fail", "pruned"};

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "name", s->name);
	cJSON_AddStringToObject(o, "algo", pz_algo_name(s->algo));
	cJSON_AddNumberToObject(o, "seed", (double)s->seed);
	cJSON_AddItemToObject(o, "space", cJSON_Parse(s->space_text));
	cJSON_AddItemToObject(o, "config", cJSON_Parse(s->config_text));
	/* The effective pruner; a study without one shows kind none. */
	if (s->pruner_text != NULL)
		cJSON_AddItemToObject(o, "pruner", cJSON_Parse(s->pruner_text));
	else if ((pruner = cJSON_AddObjectToObject(o, "pruner")) != NULL)
		cJSON_AddStringToObject(pruner, "kind", "none");
	if (s->max_trials > 0)
		cJSON_AddNumberToObject(o, "max_trials", (double)s->max_trials);
	else
		cJSON_AddNullToObject(o, "max_trials");
	cJSON_AddNumberToObject(o, "heartbeat_timeout", s->heartbeat_timeout);
	cJSON_AddStringToObject(o, "state", study_state(s));
	cJSON_AddBoolToObject(o, "paused", s->paused);
	if (s->load == PZ_LOAD_DAMAGED)
		cJSON_AddStringToObject(o, "error", s->damage);
	cJSON_AddNumberToObject(o, "created", s->created);
	counts = cJSON_AddObjectToObject(o, "counts");
	if (counts != NULL) {
		for (int i = 0; i < PZ_T_NSTATES; i++)
			cJSON_AddNumberToObject(counts, keys[i],
			                        (double)s->counts[i]);
		cJSON_AddNumberToObject(counts, "total", (double)s->n_trials);
	}
	if (s->load == PZ_LOAD_YES && s->best >= 0) {
		best = cJSON_AddObjectToObject(o, "best");
		if (best != NULL) {
			cJSON_AddNumberToObject(best, "id",
			                        (double)s->trials[s->best].id);
			cJSON_AddNumberToObject(best, "number", (double)s->best);
			cJSON_AddNumberToObject(best, "loss",
			                        s->trials[s->best].loss);
		}
	} else {
		cJSON_AddNullToObject(o, "best");
	}
	return o;
}

static double deadline_wall(const struct pz_core *core,
                            const struct pz_trial *t)
{
	return nearbyint((pz_clock_wall() + (t->deadline - pz_core_now(core))) *
	                 1000) / 1000;
}

cJSON *pz_codec_trial(const struct pz_core *core, const struct pz_study *s,
                      uint32_t number, const char *result_text)
{
	const struct pz_trial *t = &s->trials[number];
	const double *values = pz_core_values(s, number);
	cJSON *o = cJSON_CreateObject(), *point = NULL, *result = NULL;

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)t->id);
	cJSON_AddStringToObject(o, "study", s->name);
	cJSON_AddNumberToObject(o, "number", number);
	cJSON_AddStringToObject(o, "state", pz_tstate_name(t->state));
	if (s->fresh_params != NULL && s->fresh_number == (int64_t)number)
		cJSON_AddRawToObject(o, "params", s->fresh_params);
	else
		cJSON_AddItemToObject(o, "params",
		                      pz_params_to_json(s->space, values));
	if (pz_eval(s->space, values, &point, NULL) != 0)
		point = cJSON_CreateNull();
	cJSON_AddItemToObject(o, "point", point);
	cJSON_AddItemToObject(o, "loss", pz_codec_number(t->loss));
	if (result_text != NULL)
		result = cJSON_Parse(result_text);
	cJSON_AddItemToObject(o, "result",
	                      result != NULL ? result : cJSON_CreateNull());
	if (t->worker != NULL)
		cJSON_AddStringToObject(o, "worker", t->worker);
	else
		cJSON_AddNullToObject(o, "worker");
	cJSON_AddNumberToObject(o, "attempt", t->attempt);
	cJSON_AddNumberToObject(o, "reclaims", t->reclaims);
	cJSON_AddItemToObject(o, "created", pz_codec_number(t->created));
	cJSON_AddItemToObject(o, "started", pz_codec_number(t->started));
	cJSON_AddItemToObject(o, "finished", pz_codec_number(t->finished));
	if (t->state == PZ_T_RUNNING)
		cJSON_AddNumberToObject(o, "deadline", deadline_wall(core, t));
	return o;
}

cJSON *pz_codec_intermediate(const struct pz_study *s, uint32_t number)
{
	const struct pz_report_trial *t =
	        s->reports != NULL ? pz_reports_trial(s->reports, number) : NULL;
	cJSON *arr = cJSON_CreateArray(), *pair;

	for (uint32_t i = 0; arr != NULL && t != NULL && i < t->n; i++) {
		pair = cJSON_CreateArray();
		if (pair == NULL || !cJSON_AddItemToArray(arr, pair)) {
			cJSON_Delete(pair);
			cJSON_Delete(arr);
			return NULL;
		}
		cJSON_AddItemToArray(pair,
		                     cJSON_CreateNumber((double)t->steps[i]));
		cJSON_AddItemToArray(pair, cJSON_CreateNumber(t->values[i]));
	}
	return arr;
}

int pz_codec_add_intermediate(cJSON *trial, const struct pz_study *s,
                              uint32_t number)
{
	cJSON *arr = pz_codec_intermediate(s, number);

	if (arr == NULL || !cJSON_AddItemToObject(trial, "intermediate", arr)) {
		cJSON_Delete(arr);
		return PZ_ENOMEM;
	}
	return 0;
}

cJSON *pz_codec_trial_told(const struct pz_study *s, uint32_t number)
{
	const struct pz_trial *t = &s->trials[number];
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)t->id);
	cJSON_AddStringToObject(o, "study", s->name);
	cJSON_AddNumberToObject(o, "number", number);
	cJSON_AddStringToObject(o, "state", pz_tstate_name(t->state));
	cJSON_AddItemToObject(o, "loss", pz_codec_number(t->loss));
	cJSON_AddNumberToObject(o, "attempt", t->attempt);
	cJSON_AddItemToObject(o, "finished", pz_codec_number(t->finished));
	return o;
}

cJSON *pz_codec_trial_beat(const struct pz_core *core,
                           const struct pz_study *s, uint32_t number)
{
	const struct pz_trial *t = &s->trials[number];
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)t->id);
	cJSON_AddStringToObject(o, "state", pz_tstate_name(t->state));
	cJSON_AddNumberToObject(o, "attempt", t->attempt);
	cJSON_AddNumberToObject(o, "deadline", deadline_wall(core, t));
	return o;
}
