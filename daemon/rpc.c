/*
 * The request path after framing: parse the envelope, find the method in
 * the table, check its params, call the core, encode the result.
 *
 * Handlers get the params object and fill either a result or an error
 * (code, message, path). Params are checked strictly: a missing or
 * ill-typed value, and a key the method does not know, are refused with
 * the key's path, so a typo never silently falls back to a default.
 */
#include "rpc.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <parzen/json.h>
#include <parzen/utf8.h>

struct rpc_err {
	int code;
	char msg[PZ_ERROR_MSG_MAX + 64];
	char path[320];
};

typedef int (*handler_fn)(struct pz_rpc *rpc, const cJSON *params,
                          cJSON **result, struct rpc_err *e);

struct method {
	const char *name;
	handler_fn fn;
	const char *keys; /* accepted params, comma separated */
};

static int fail(struct rpc_err *e, int code, const char *path,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct rpc_err *e, int code, const char *path,
                const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	snprintf(e->path, sizeof(e->path), "%.300s", path != NULL ? path : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Map a core error. Errors about one value carry its JSON path
 * ("space.x", "params.lr", "config.gamma") into data.path; a config sits
 * at params.config in the request.
 */
static int from_core(struct rpc_err *e, int rc, const struct pz_error *err,
                     int invalid_code)
{
	int code;

	switch (rc) {
	case PZ_ENOENT:
		code = PZ_RPC_NOT_FOUND;
		break;
	case PZ_EEXIST:
		code = PZ_RPC_CONFLICT;
		break;
	case PZ_ESTATE:
		code = PZ_RPC_WRONG_STATE;
		break;
	case PZ_EINVAL:
	case PZ_ERANGE:
		code = invalid_code;
		break;
	case PZ_EIO:
		return fail(e, PZ_RPC_STORAGE, NULL,
		            "storage failure, nothing from this request was "
		            "recorded: %s", err->msg);
	default:
		return fail(e, PZ_RPC_INTERNAL, NULL, "internal error: %s",
		            err->msg[0] ? err->msg : pz_strerror(rc));
	}
	if (strncmp(err->path, "config", 6) == 0) {
		char full[sizeof(e->path)];

		snprintf(full, sizeof(full), "params.%.300s", err->path);
		return fail(e, PZ_RPC_BAD_PARAMS, full, "params.%s", err->msg);
	}
	return fail(e, code, err->path[0] ? err->path : NULL, "%s", err->msg);
}

/* --- params ----------------------------------------------------------------- */

static const cJSON *param(const cJSON *params, const char *key)
{
	return params != NULL ? cJSON_GetObjectItemCaseSensitive(params, key)
	                      : NULL;
}

static int missing(struct rpc_err *e, const char *key, const char *what)
{
	char path[128];

	snprintf(path, sizeof(path), "params.%s", key);
	return fail(e, PZ_RPC_BAD_PARAMS, path, "%s: missing (%s)", path, what);
}

static int wrong(struct rpc_err *e, const char *key, const char *what)
{
	char path[128];

	snprintf(path, sizeof(path), "params.%s", key);
	return fail(e, PZ_RPC_BAD_PARAMS, path, "%s: must be %s", path, what);
}

static int get_string(const cJSON *params, const char *key, int required,
                      const char **out, struct rpc_err *e)
{
	const cJSON *v = param(params, key);

	*out = NULL;
	if (v == NULL || (!required && cJSON_IsNull(v)))
		return required ? missing(e, key, "a string") : 0;
	if (!cJSON_IsString(v))
		return wrong(e, key, "a string");
	*out = v->valuestring;
	return 0;
}

static int get_int(const cJSON *params, const char *key, int required,
                   double lo, double hi, int64_t *out, struct rpc_err *e)
{
	const cJSON *v = param(params, key);
	char what[96];

	if (v == NULL || (!required && cJSON_IsNull(v)))
		return required ? missing(e, key, "an integer") : 0;
	snprintf(what, sizeof(what), "an integer from %.0f to %.0f", lo, hi);
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble < lo || v->valuedouble > hi)
		return wrong(e, key, what);
	*out = (int64_t)v->valuedouble;
	return 0;
}

static int get_bool(const cJSON *params, const char *key, int *out,
                    struct rpc_err *e)
{
	const cJSON *v = param(params, key);

	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsBool(v))
		return wrong(e, key, "true or false");
	*out = cJSON_IsTrue(v);
	return 0;
}

static int get_study(struct pz_rpc *rpc, const cJSON *params,
                     struct pz_study **s, struct rpc_err *e)
{
	struct pz_error err = {0};
	const char *name;
	int rc;

	if (get_string(params, "study", 1, &name, e) != 0)
		return -1;
	rc = pz_core_study(rpc->core, name, s, &err);
	return rc != 0 ? from_core(e, rc, &err, PZ_RPC_BAD_PARAMS) : 0;
}

static int get_trial(struct pz_rpc *rpc, const cJSON *params,
                     struct pz_study **s, uint32_t *number,
                     struct rpc_err *e)
{
	struct pz_error err = {0};
	int64_t id = 0;
	int rc;

	if (get_int(params, "trial", 1, 1, 9007199254740992.0, &id, e) != 0)
		return -1;
	rc = pz_core_trial(rpc->core, id, s, number, &err);
	return rc != 0 ? from_core(e, rc, &err, PZ_RPC_BAD_PARAMS) : 0;
}

static int get_attempt(const cJSON *params, int64_t *attempt,
                       struct rpc_err *e)
{
	*attempt = -1;
	return get_int(params, "attempt", 0, 0, 2147483647.0, attempt, e);
}

/* Wrap `item` as {key: item}; NULL-safe. */
static cJSON *wrap(const char *key, cJSON *item)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || item == NULL) {
		cJSON_Delete(o);
		cJSON_Delete(item);
		return NULL;
	}
	cJSON_AddItemToObject(o, key, item);
	return o;
}

static int oom(struct rpc_err *e)
{
	return fail(e, PZ_RPC_INTERNAL, NULL, "out of memory");
}

/* --- study methods ------------------------------------------------------------ */

static int study_create(struct pz_rpc *rpc, const cJSON *params,
                        cJSON **result, struct rpc_err *e)
{
	struct pz_study_def def;
	struct pz_error err = {0};
	struct pz_study *s;
	const char *algo = NULL;
	const cJSON *cfg;
	int64_t seed = -1, max_trials = 0;
	int existed, rc;

	memset(&def, 0, sizeof(def));
	if (get_string(params, "name", 1, &def.name, e) != 0 ||
	    get_string(params, "algo", 0, &algo, e) != 0 ||
	    get_int(params, "seed", 0, 0, 9007199254740992.0, &seed, e) != 0 ||
	    get_int(params, "max_trials", 0, 1, 4294967294.0, &max_trials,
	            e) != 0 ||
	    get_bool(params, "exist_ok", &def.exist_ok, e) != 0)
		return -1;
	def.space = param(params, "space");
	if (def.space == NULL)
		return missing(e, "space", "a space document");
	if (algo == NULL || strcmp(algo, "tpe") == 0)
		def.algo = PZ_ALGO_TPE;
	else if (strcmp(algo, "random") == 0)
		def.algo = PZ_ALGO_RANDOM;
	else
		return wrong(e, "algo", "\"tpe\" or \"random\"");
	def.has_seed = seed >= 0;
	def.seed = seed >= 0 ? (uint64_t)seed : 0;
	def.max_trials = max_trials;
	cfg = param(params, "config");
	if (cfg != NULL && !cJSON_IsNull(cfg) && !cJSON_IsObject(cfg))
		return wrong(e, "config", "an object");
	def.config = cfg;
	if (param(params, "heartbeat_timeout") != NULL) {
		const cJSON *h = param(params, "heartbeat_timeout");

		if (!cJSON_IsNumber(h) || !(h->valuedouble > 0) ||
		    h->valuedouble > 1e7)
			return wrong(e, "heartbeat_timeout",
			             "a number of seconds > 0 (at most 1e7)");
		def.heartbeat_timeout = h->valuedouble;
	}
	rc = pz_core_create(rpc->core, &def, &s, &existed, &err);
	if (rc != 0)
		return from_core(e, rc, &err,
		                 strncmp(err.path, "space", 5) == 0
		                         ? PZ_RPC_INVALID_SPACE
		                         : PZ_RPC_BAD_PARAMS);
	*result = wrap("study", pz_core_study_json(s));
	return *result != NULL ? 0 : oom(e);
}

static int study_get(struct pz_rpc *rpc, const cJSON *params, cJSON **result,
                     struct rpc_err *e)
{
	struct pz_study *s;

	if (get_study(rpc, params, &s, e) != 0)
		return -1;
	*result = wrap("study", pz_core_study_json(s));
	return *result != NULL ? 0 : oom(e);
}

static int study_list(struct pz_rpc *rpc, const cJSON *params,
                      cJSON **result, struct rpc_err *e)
{
	struct pz_error err = {0};
	cJSON *arr;
	int rc;

	(void)params;
	if ((rc = pz_core_load_all(rpc->core, &err)) != 0)
		return from_core(e, rc, &err, PZ_RPC_INTERNAL);
	arr = cJSON_CreateArray();
	for (struct pz_study *s = rpc->core->studies; arr && s; s = s->next)
		cJSON_AddItemToArray(arr, pz_core_study_json(s));
	*result = wrap("studies", arr);
	return *result != NULL ? 0 : oom(e);
}

static int set_paused(struct pz_rpc *rpc, const cJSON *params,
                      cJSON **result, struct rpc_err *e, int paused)
{
	struct pz_error err = {0};
	struct pz_study *s;
	int rc;

	if (get_study(rpc, params, &s, e) != 0)
		return -1;
	if ((rc = pz_core_set_paused(rpc->core, s, paused, &err)) != 0)
		return from_core(e, rc, &err, PZ_RPC_BAD_PARAMS);
	*result = wrap("study", pz_core_study_json(s));
	return *result != NULL ? 0 : oom(e);
}

static int study_pause(struct pz_rpc *rpc, const cJSON *params,
                       cJSON **result, struct rpc_err *e)
{
	return set_paused(rpc, params, result, e, 1);
}

static int study_resume(struct pz_rpc *rpc, const cJSON *params,
                        cJSON **result, struct rpc_err *e)
{
	return set_paused(rpc, params, result, e, 0);
}

static int study_delete(struct pz_rpc *rpc, const cJSON *params,
                        cJSON **result, struct rpc_err *e)
{
	struct pz_error err = {0};
	struct pz_study *s;
	char *name;
	size_t n = 0;
	int rc;

	if (get_study(rpc, params, &s, e) != 0)
		return -1;
	name = strdup(s->name);
	if (name == NULL)
		return oom(e);
	if ((rc = pz_core_delete(rpc->core, s, &n, &err)) != 0) {
		free(name);
		return from_core(e, rc, &err, PZ_RPC_BAD_PARAMS);
	}
	*result = cJSON_CreateObject();
	if (*result != NULL) {
		cJSON_AddStringToObject(*result, "deleted", name);
		cJSON_AddNumberToObject(*result, "trials", (double)n);
	}
	free(name);
	return *result != NULL ? 0 : oom(e);
}

/* Fetch the stored result of a trial to show it with the trial. */
struct one_result {
	char *result;
};

static int keep_result(void *arg, const struct pz_trial_row *r)
{
	struct one_result *o = arg;

	o->result = r->result != NULL ? strdup(r->result) : NULL;
	return 0;
}

static cJSON *trial_with_result(struct pz_rpc *rpc, struct pz_study *s,
                                uint32_t number)
{
	struct one_result o = {NULL};
	struct pz_error err;
	cJSON *t;

	if (s->trials[number].state == PZ_T_OK ||
	    s->trials[number].state == PZ_T_FAIL)
		pz_store_trial_get(rpc->core->store, s->trials[number].id,
		                   keep_result, &o, &err);
	t = pz_core_trial_json(s, number, o.result);
	free(o.result);
	return t;
}

static int study_best(struct pz_rpc *rpc, const cJSON *params,
                      cJSON **result, struct rpc_err *e)
{
	struct pz_study *s;

	if (get_study(rpc, params, &s, e) != 0)
		return -1;
	*result = wrap("trial", s->best >= 0
	                            ? trial_with_result(rpc, s, (uint32_t)s->best)
	                            : cJSON_CreateNull());
	return *result != NULL ? 0 : oom(e);
}

/* --- trial methods ------------------------------------------------------------ */

static int trial_ask(struct pz_rpc *rpc, const cJSON *params, cJSON **result,
                     struct rpc_err *e)
{
	struct pz_error err = {0};
	struct pz_study *s;
	const char *worker, *reason;
	int64_t number, cap = 0;
	int rc;

	if (get_study(rpc, params, &s, e) != 0 ||
	    get_string(params, "worker", 0, &worker, e) != 0 ||
	    get_int(params, "max_trials", 0, 1, 4294967294.0, &cap, e) != 0)
		return -1;
	if (worker != NULL && (strlen(worker) == 0 || strlen(worker) > 200))
		return wrong(e, "worker", "a string of 1 to 200 bytes");
	rc = pz_core_ask_capped(rpc->core, s, worker, cap, &number, &reason,
	                        &err);
	if (rc != 0)
		return from_core(e, rc, &err, PZ_RPC_INVALID_SPACE);
	if (number < 0) {
		*result = cJSON_CreateObject();
		if (*result == NULL)
			return oom(e);
		cJSON_AddNullToObject(*result, "trial");
		cJSON_AddStringToObject(*result, "reason", reason);
		return 0;
	}
	*result = wrap("trial", pz_core_trial_json(s, (uint32_t)number, NULL));
	return *result != NULL ? 0 : oom(e);
}

static int trial_tell(struct pz_rpc *rpc, const cJSON *params,
                      cJSON **result, struct rpc_err *e)
{
	struct pz_error err = {0};
	struct pz_study *s;
	const cJSON *loss_j = param(params, "loss"), *res = param(params, "result");
	const char *status;
	char *res_text = NULL;
	uint32_t number;
	int64_t attempt;
	double loss = NAN;
	cJSON *t;
	int ok, rc;

	if (get_string(params, "status", 1, &status, e) != 0 ||
	    get_attempt(params, &attempt, e) != 0)
		return -1;
	if (strcmp(status, "ok") == 0)
		ok = 1;
	else if (strcmp(status, "fail") == 0)
		ok = 0;
	else
		return wrong(e, "status", "\"ok\" or \"fail\"");
	if (ok) {
		if (loss_j == NULL || cJSON_IsNull(loss_j))
			return missing(e, "loss", "a finite number is required "
			                          "when status is \"ok\"");
		if (!cJSON_IsNumber(loss_j) || !isfinite(loss_j->valuedouble))
			return wrong(e, "loss", "a finite number");
		loss = loss_j->valuedouble;
	}
	if (res != NULL && !cJSON_IsNull(res) && !cJSON_IsObject(res))
		return wrong(e, "result", "an object");
	if (get_trial(rpc, params, &s, &number, e) != 0)
		return -1;
	if (res != NULL && cJSON_IsObject(res)) {
		res_text = pz_json_print(res, NULL);
		if (res_text == NULL)
			return oom(e);
	}
	rc = pz_core_tell(rpc->core, s, number, ok, loss, res_text, attempt,
	                  &err);
	free(res_text);
	if (rc != 0)
		return from_core(e, rc, &err, PZ_RPC_BAD_PARAMS);
	/* A summary: the worker has the params, point and result already. */
	t = cJSON_CreateObject();
	if (t != NULL) {
		cJSON_AddNumberToObject(t, "id", (double)s->trials[number].id);
		cJSON_AddStringToObject(t, "study", s->name);
		cJSON_AddNumberToObject(t, "number", number);
		cJSON_AddStringToObject(t, "state", ok ? "ok" : "fail");
		if (ok)
			cJSON_AddNumberToObject(t, "loss", loss);
		else
			cJSON_AddNullToObject(t, "loss");
		cJSON_AddNumberToObject(t, "attempt", s->trials[number].attempt);
		cJSON_AddNumberToObject(t, "finished", s->trials[number].finished);
	}
	*result = wrap("trial", t);
	return *result != NULL ? 0 : oom(e);
}

static int trial_heartbeat(struct pz_rpc *rpc, const cJSON *params,
                           cJSON **result, struct rpc_err *e)
{
	struct pz_error err = {0};
	struct pz_study *s;
	uint32_t number;
	int64_t attempt;
	cJSON *t;
	int rc;

	if (get_attempt(params, &attempt, e) != 0 ||
	    get_trial(rpc, params, &s, &number, e) != 0)
		return -1;
	rc = pz_core_heartbeat(rpc->core, s, number, attempt, &err);
	if (rc != 0)
		return from_core(e, rc, &err, PZ_RPC_BAD_PARAMS);
	t = cJSON_CreateObject();
	if (t != NULL) {
		cJSON_AddNumberToObject(t, "id", (double)s->trials[number].id);
		cJSON_AddStringToObject(t, "state", "running");
		cJSON_AddNumberToObject(t, "attempt", s->trials[number].attempt);
		cJSON_AddNumberToObject(
		    t, "deadline", pz_clock_to_wall(s->trials[number].deadline));
	}
	*result = wrap("trial", t);
	return *result != NULL ? 0 : oom(e);
}

static int trial_release(struct pz_rpc *rpc, const cJSON *params,
                         cJSON **result, struct rpc_err *e)
{
	struct pz_error err = {0};
	struct pz_study *s;
	uint32_t number;
	int64_t attempt;
	int rc;

	if (get_attempt(params, &attempt, e) != 0 ||
	    get_trial(rpc, params, &s, &number, e) != 0)
		return -1;
	rc = pz_core_release(rpc->core, s, number, attempt, &err);
	if (rc != 0)
		return from_core(e, rc, &err, PZ_RPC_BAD_PARAMS);
	*result = wrap("trial", pz_core_trial_json(s, number, NULL));
	return *result != NULL ? 0 : oom(e);
}

static int trial_enqueue(struct pz_rpc *rpc, const cJSON *params,
                         cJSON **result, struct rpc_err *e)
{
	struct pz_error err = {0};
	const cJSON *p = param(params, "params");
	struct pz_study *s;
	uint32_t number;
	int rc;

	if (get_study(rpc, params, &s, e) != 0)
		return -1;
	if (p == NULL)
		return missing(e, "params", "an object {label: value}");
	if (!cJSON_IsObject(p))
		return wrong(e, "params", "an object {label: value}");
	rc = pz_core_enqueue(rpc->core, s, p, &number, &err);
	if (rc != 0) {
		char path[sizeof(e->path)];

		from_core(e, rc, &err, PZ_RPC_INVALID_SPACE);
		/* The core names a label "params.<label>"; in the request it
		 * sits at params.params.<label>. */
		if (strncmp(e->path, "params.", 7) == 0) {
			snprintf(path, sizeof(path), "params.%.300s", e->path);
			memcpy(e->path, path, sizeof(path));
		}
		return -1;
	}
	*result = wrap("trial", pz_core_trial_json(s, number, NULL));
	return *result != NULL ? 0 : oom(e);
}

struct list_ctx {
	struct pz_study *s;
	cJSON *arr;
};

static int list_row(void *arg, const struct pz_trial_row *r)
{
	struct list_ctx *c = arg;
	cJSON *t = pz_core_trial_json(c->s, (uint32_t)r->number, r->result);

	if (t == NULL)
		return PZ_ENOMEM;
	cJSON_AddItemToArray(c->arr, t);
	return 0;
}

static int trial_list(struct pz_rpc *rpc, const cJSON *params,
                      cJSON **result, struct rpc_err *e)
{
	static const char *const states[] = {"queued", "running", "ok", "fail"};
	struct pz_error err = {0};
	struct list_ctx c;
	const char *state;
	int64_t offset = 0, limit = 100;
	size_t total = 0;
	int rc, si = -1;

	if (get_study(rpc, params, &c.s, e) != 0 ||
	    get_string(params, "state", 0, &state, e) != 0 ||
	    get_int(params, "offset", 0, 0, 4294967295.0, &offset, e) != 0 ||
	    get_int(params, "limit", 0, 1, 10000, &limit, e) != 0)
		return -1;
	if (state != NULL) {
		for (int i = 0; i < 4; i++)
			if (strcmp(state, states[i]) == 0)
				si = i;
		if (si < 0)
			return wrong(e, "state",
			             "\"queued\", \"running\", \"ok\" or \"fail\"");
	}
	for (size_t i = 0; i < c.s->n_trials; i++)
		total += si < 0 || c.s->trials[i].state == si;
	c.arr = cJSON_CreateArray();
	if (c.arr == NULL)
		return oom(e);
	rc = pz_store_trial_list(rpc->core->store, c.s->id, state, offset,
	                         limit, list_row, &c, &err);
	if (rc != 0) {
		cJSON_Delete(c.arr);
		return rc == PZ_ENOMEM ? oom(e)
		                       : from_core(e, rc, &err, PZ_RPC_INTERNAL);
	}
	*result = wrap("trials", c.arr);
	if (*result == NULL)
		return oom(e);
	cJSON_AddNumberToObject(*result, "total", (double)total);
	return 0;
}

static int trial_get(struct pz_rpc *rpc, const cJSON *params, cJSON **result,
                     struct rpc_err *e)
{
	struct pz_study *s;
	uint32_t number;

	if (get_trial(rpc, params, &s, &number, e) != 0)
		return -1;
	*result = wrap("trial", trial_with_result(rpc, s, number));
	return *result != NULL ? 0 : oom(e);
}

static int server_info(struct pz_rpc *rpc, const cJSON *params,
                       cJSON **result, struct rpc_err *e)
{
	size_t n = 0;
	cJSON *o;

	(void)params;
	for (struct pz_study *s = rpc->core->studies; s != NULL; s = s->next)
		n++;
	o = cJSON_CreateObject();
	if (o == NULL)
		return oom(e);
	cJSON_AddStringToObject(o, "name", "parzend");
	cJSON_AddStringToObject(o, "version", PZ_VERSION);
	cJSON_AddNumberToObject(o, "protocol", 1);
	cJSON_AddNumberToObject(o, "pid", (double)getpid());
	cJSON_AddNumberToObject(o, "uptime", pz_now() - rpc->started);
	if (rpc->socket_path != NULL)
		cJSON_AddStringToObject(o, "socket", rpc->socket_path);
	if (rpc->db_path != NULL)
		cJSON_AddStringToObject(o, "database", rpc->db_path);
	cJSON_AddStringToObject(o, "durability", rpc->durable ? "full"
	                                                      : "normal");
	cJSON_AddNumberToObject(o, "max_line", (double)rpc->max_line);
	cJSON_AddNumberToObject(o, "studies", (double)n);
	cJSON_AddNumberToObject(o, "connections", (double)rpc->n_connections);
	cJSON_AddNumberToObject(o, "requests", (double)rpc->n_requests);
	cJSON_AddNumberToObject(o, "commits", (double)rpc->core->n_commits);
	*result = o;
	return 0;
}

static const struct method methods[] = {
	{"server.info", server_info, ""},
	{"study.best", study_best, "study"},
	{"study.create", study_create,
	 "name,space,algo,seed,max_trials,config,heartbeat_timeout,exist_ok"},
	{"study.delete", study_delete, "study"},
	{"study.get", study_get, "study"},
	{"study.list", study_list, ""},
	{"study.pause", study_pause, "study"},
	{"study.resume", study_resume, "study"},
	{"trial.ask", trial_ask, "study,worker,max_trials"},
	{"trial.enqueue", trial_enqueue, "study,params"},
	{"trial.get", trial_get, "trial"},
	{"trial.heartbeat", trial_heartbeat, "trial,attempt"},
	{"trial.list", trial_list, "study,state,offset,limit"},
	{"trial.release", trial_release, "trial,attempt"},
	{"trial.tell", trial_tell, "trial,status,loss,result,attempt"},
};

#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

static int known_key(const char *keys, const char *k)
{
	size_t kl = strlen(k);

	for (const char *s = keys; *s != '\0';) {
		size_t wl = strcspn(s, ",");

		if (wl == kl && strncmp(s, k, kl) == 0)
			return 1;
		s += wl;
		if (*s == ',')
			s++;
	}
	return 0;
}

static int check_keys(const struct method *m, const cJSON *params,
                      struct rpc_err *e)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, params)
	{
		if (!known_key(m->keys, c->string)) {
			char path[128];

			snprintf(path, sizeof(path), "params.%s", c->string);
			return fail(e, PZ_RPC_BAD_PARAMS, path,
			            "%s: unknown parameter for %s (expected: %s)",
			            path, m->name, m->keys[0] ? m->keys : "none");
		}
	}
	return 0;
}

/*
 * Add string `s` with every byte that is not part of well-formed UTF-8
 * turned into '?'. Messages and paths are cut at byte limits ("%.100s",
 * PZ_ERROR_MSG_MAX), which can split a character of a name the client
 * sent; the reply must still be valid UTF-8 (found by tests/fuzz).
 */
static void add_utf8_string(cJSON *o, const char *key, const char *s)
{
	cJSON *item = cJSON_AddStringToObject(o, key, s);

	if (item != NULL && item->valuestring != NULL)
		pz_utf8_scrub(item->valuestring, strlen(item->valuestring),
		              '?');
}

cJSON *pz_rpc_error(const cJSON *id, int code, const char *message,
                    const char *path)
{
	cJSON *r = cJSON_CreateObject(), *err;

	if (r == NULL)
		return NULL;
	cJSON_AddStringToObject(r, "jsonrpc", "2.0");
	cJSON_AddItemToObject(r, "id", id != NULL ? cJSON_Duplicate(id, 1)
	                                          : cJSON_CreateNull());
	err = cJSON_AddObjectToObject(r, "error");
	if (err != NULL) {
		cJSON_AddNumberToObject(err, "code", code);
		add_utf8_string(err, "message", message);
		if (path != NULL && path[0] != '\0') {
			cJSON *data = cJSON_AddObjectToObject(err, "data");

			if (data != NULL)
				add_utf8_string(data, "path", path);
		}
	}
	return r;
}

static void method_list(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_METHODS && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		                         i ? ", " : "", methods[i].name);
}

cJSON *pz_rpc_handle(struct pz_rpc *rpc, const char *line, size_t len)
{
	const char *end = NULL;
	cJSON *req, *reply = NULL, *result = NULL;
	const cJSON *id, *method, *params, *version;
	const struct method *m = NULL;
	struct rpc_err e = {0};
	char buf[512];
	ptrdiff_t at_bad;

	rpc->n_requests++;
	/* cJSON copies string bytes as they are: without this check one
	 * client could store a name that makes every later reply listing it
	 * undecodable for every other client. */
	if ((at_bad = pz_utf8_check(line, len)) >= 0) {
		snprintf(buf, sizeof(buf),
		         "parse error: the line is not valid UTF-8 (byte %td)",
		         at_bad);
		return pz_rpc_error(NULL, PZ_RPC_PARSE_ERROR, buf, NULL);
	}
	req = cJSON_ParseWithLengthOpts(line, len, &end, 0);
	if (req == NULL) {
		const char *at = cJSON_GetErrorPtr();

		snprintf(buf, sizeof(buf),
		         "parse error: malformed JSON at byte %td of the line",
		         at != NULL && at >= line && at <= line + len ? at - line
		                                                       : (ptrdiff_t)0);
		return pz_rpc_error(NULL, PZ_RPC_PARSE_ERROR, buf, NULL);
	}
	while (end != NULL && end < line + len &&
	       (*end == ' ' || *end == '\t' || *end == '\r'))
		end++;
	if (end != NULL && end < line + len) {
		snprintf(buf, sizeof(buf),
		         "parse error: unexpected bytes after the JSON value at "
		         "byte %td", end - line);
		cJSON_Delete(req);
		return pz_rpc_error(NULL, PZ_RPC_PARSE_ERROR, buf, NULL);
	}
	if (!cJSON_IsObject(req)) {
		reply = pz_rpc_error(NULL, PZ_RPC_INVALID_REQUEST,
		                     cJSON_IsArray(req)
		                         ? "invalid request: batches are not "
		                           "supported, send one request per line"
		                         : "invalid request: must be a JSON object",
		                     NULL);
		cJSON_Delete(req);
		return reply;
	}
	id = cJSON_GetObjectItemCaseSensitive(req, "id");
	version = cJSON_GetObjectItemCaseSensitive(req, "jsonrpc");
	method = cJSON_GetObjectItemCaseSensitive(req, "method");
	params = cJSON_GetObjectItemCaseSensitive(req, "params");
	if (id != NULL && !cJSON_IsNumber(id) && !cJSON_IsString(id) &&
	    !cJSON_IsNull(id)) {
		fail(&e, PZ_RPC_INVALID_REQUEST, "id",
		     "invalid request: id must be a number or a string");
		id = NULL;
	} else if (!cJSON_IsString(version) ||
	           strcmp(version->valuestring, "2.0") != 0) {
		fail(&e, PZ_RPC_INVALID_REQUEST, "jsonrpc",
		     "invalid request: \"jsonrpc\" must be \"2.0\"");
	} else if (!cJSON_IsString(method)) {
		fail(&e, PZ_RPC_INVALID_REQUEST, "method",
		     "invalid request: \"method\" must be a string");
	} else if (params != NULL && !cJSON_IsObject(params) &&
	           !cJSON_IsNull(params)) {
		fail(&e, PZ_RPC_BAD_PARAMS, "params",
		     "params: must be an object");
	} else {
		for (size_t i = 0; i < N_METHODS; i++)
			if (strcmp(methods[i].name, method->valuestring) == 0)
				m = &methods[i];
		if (m == NULL) {
			method_list(buf, sizeof(buf));
			fail(&e, PZ_RPC_NO_METHOD, NULL,
			     "no method '%.100s' (methods: %s)",
			     method->valuestring, buf);
		} else if (rpc->shutting_down) {
			fail(&e, PZ_RPC_SHUTTING_DOWN, NULL,
			     "the server is shutting down; retry after it "
			     "restarts");
		} else if (check_keys(m, params, &e) == 0) {
			m->fn(rpc, params, &result, &e);
		}
	}
	if (id == NULL && e.code != PZ_RPC_INVALID_REQUEST &&
	    cJSON_GetObjectItemCaseSensitive(req, "id") == NULL) {
		/* A notification: executed, never answered. */
		cJSON_Delete(result);
		cJSON_Delete(req);
		return NULL;
	}
	if (e.code != 0) {
		reply = pz_rpc_error(id, e.code, e.msg, e.path);
	} else {
		reply = cJSON_CreateObject();
		if (reply != NULL) {
			cJSON_AddStringToObject(reply, "jsonrpc", "2.0");
			cJSON_AddItemToObject(reply, "id", cJSON_Duplicate(id, 1));
			cJSON_AddItemToObject(reply, "result", result);
			result = NULL;
		}
	}
	cJSON_Delete(result);
	cJSON_Delete(req);
	return reply;
}
