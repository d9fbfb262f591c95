/*
 * The method table and the handlers; see handlers.h and
 * docs/protocol.md, which is their contract.
 */
#include "handlers.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <parzen/eval.h>
#include <parzen/json.h>
#include <parzen/params.h>

#include "ask.h"
#include "clock.h"
#include "handlers_admin.h"
#include "handlers_prune.h"
#include "trial.h"
#include "watch.h"

/*
 * At most this many candidate scorings (n_ei_candidates x labels) per
 * suggestion: more would keep one worker thread busy for a minute.
 */
#define MAX_EI_WORK 4000000

/* Bytes of trials one trial.list reply carries at most (roughly). */
#define LIST_MAX_BYTES (8u << 20)

static int fail(struct pz_hctx *h, int code)
{
	h->code = code;
	return -1;
}

/* `err` refers to a value at params.PATH: add "params." in front. */
static void under_params(struct pz_error *err)
{
	char path[PZ_ERROR_PATH_MAX], msg[PZ_ERROR_MSG_MAX];

	if (err->path[0] == '\0')
		return;
	snprintf(path, sizeof(path), "params.%.370s", err->path);
	snprintf(msg, sizeof(msg), "params.%.500s", err->msg);
	memcpy(err->path, path, sizeof(path));
	memcpy(err->msg, msg, sizeof(msg));
}

static cJSON *wrap(const char *key, cJSON *item)
{
	cJSON *o;

	if (item == NULL)
		return NULL;
	o = cJSON_CreateObject();
	if (o == NULL || !cJSON_AddItemToObject(o, key, item)) {
		cJSON_Delete(o);
		cJSON_Delete(item);
		return NULL;
	}
	return o;
}

/* --- studies -------------------------------------------------------------------- */

/* Refuse a TPE (alone or in a mixture) that would score more candidates
 * per suggestion than MAX_EI_WORK allows. */
static int check_work(const struct pz_algo_config *cfg,
                      const struct pz_space *space, struct pz_error *err)
{
	const struct pz_tpe_config *tpe = NULL;
	char path[64] = "params.config.n_ei_candidates";

	if (cfg->algo == PZ_ALGO_TPE)
		tpe = &cfg->tpe;
	for (int i = 0; cfg->algo == PZ_ALGO_MIX && i < cfg->n_parts; i++) {
		if (cfg->parts[i].algo != PZ_ALGO_TPE ||
		    (double)cfg->parts[i].tpe.n_ei_candidates * space->n_params <=
		            MAX_EI_WORK)
			continue;
		tpe = &cfg->parts[i].tpe;
		snprintf(path, sizeof(path),
		         "params.config.components[%d].config.n_ei_candidates",
		         i);
		break;
	}
	if (tpe == NULL ||
	    (double)tpe->n_ei_candidates * space->n_params <= MAX_EI_WORK)
		return 0;
	return pz_error_set_at(err, PZ_EINVAL, path,
	                       "%d candidates for %d labels is too much work "
	                       "per suggestion (at most %d candidates x labels)",
	                       tpe->n_ei_candidates, space->n_params,
	                       MAX_EI_WORK);
}

/*
 * The definition of study.create and study.import, checked: the space
 * (valid, evaluable), the algorithm and its config (with the work per
 * suggestion capped), the pruner. *space_text, *config_text and
 * *pruner_text are the stored forms (free them). On failure h->err and
 * h->code are set.
 */
static int build_def(struct pz_hctx *h, struct pz_study_def *def,
                     char **space_text, char **config_text,
                     char **pruner_text)
{
	const struct pz_req *q = &h->req;
	struct pz_algo_config cfg;
	struct pz_space *space = NULL;
	cJSON *cfg_json = NULL;
	int rc;

	memset(def, 0, sizeof(*def));
	*space_text = *config_text = *pruner_text = NULL;
	def->name = q->name;
	def->algo = PZ_ALGO_TPE;
	if (q->algo != NULL && pz_algo_parse(q->algo, &def->algo) != 0)
		return pz_error_set_at(&h->err, PZ_EINVAL, "params.algo",
		                       "must be \"tpe\", \"random\", "
		                       "\"anneal\" or \"mix\""),
		       fail(h, PZ_RPC_BAD_PARAMS);
	def->has_seed = pz_req_has(q, PZ_F_SEED);
	def->seed = (uint64_t)q->seed;
	def->max_trials = q->max_trials;
	def->heartbeat_timeout = q->heartbeat_timeout;
	/* The space: valid, and not one whose every point fails to
	 * evaluate (each ask would then write failed trials forever). */
	if ((rc = pz_space_create(q->space, "space", &space, &h->err)) != 0 ||
	    (rc = pz_eval_check_space(space, &h->err)) != 0) {
		h->code = rc == PZ_ENOMEM ? PZ_RPC_INTERNAL : PZ_RPC_INVALID_SPACE;
		goto out;
	}
	if ((rc = pz_algo_config_from_json(&cfg, def->algo, q->config,
	                                   &h->err)) != 0) {
		under_params(&h->err);
		h->code = PZ_RPC_BAD_PARAMS;
		goto out;
	}
	if ((rc = check_work(&cfg, space, &h->err)) != 0) {
		h->code = PZ_RPC_BAD_PARAMS;
		goto out;
	}
	*space_text = pz_json_print(q->space, NULL);
	cfg_json = pz_algo_config_to_json(&cfg);
	*config_text = cfg_json != NULL ? pz_json_print(cfg_json, NULL) : NULL;
	if (*space_text == NULL || *config_text == NULL) {
		rc = pz_error_set(&h->err, PZ_ENOMEM, "out of memory");
		h->code = PZ_RPC_INTERNAL;
		goto out;
	}
	def->space_text = *space_text;
	def->config_text = *config_text;
	if ((rc = pz_hprune_pruner_text(h, pruner_text)) != 0)
		goto out;
	def->pruner_text = *pruner_text;
	def->has_pruner = pz_req_has(q, PZ_F_PRUNER);
out:
	pz_space_destroy(space);
	cJSON_Delete(cfg_json);
	if (rc != 0) {
		free(*space_text);
		free(*config_text);
		free(*pruner_text);
		*space_text = *config_text = *pruner_text = NULL;
		return -1;
	}
	return 0;
}

static int study_create(struct pz_hctx *h, cJSON **result)
{
	struct pz_study_def def;
	struct pz_study *s;
	char *space_text, *config_text, *pruner_text;
	int existed, rc;

	if (build_def(h, &def, &space_text, &config_text, &pruner_text) != 0)
		return -1;
	rc = pz_core_create(h->rpc->core, &def, h->req.exist_ok, &s, &existed,
	                    &h->err);
	free(space_text);
	free(config_text);
	free(pruner_text);
	if (rc != 0)
		return fail(h, 0);
	*result = wrap("study", pz_codec_study(s));
	return 0;
}

static int study_import(struct pz_hctx *h, cJSON **result)
{
	const cJSON *arr = h->req.trials, *t;
	struct pz_import_trial *its;
	struct pz_study_def def;
	struct pz_study *s;
	char **texts, *space_text, *config_text, *pruner_text;
	size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
	int existed, rc = 0;

	/* A resent import, or a later part, compares with (or appends to)
	 * the stored history: load it. */
	if ((h->req.exist_ok || h->req.offset > 0) &&
	    pz_core_find(h->rpc->core, h->req.name, &s, NULL) == 0 &&
	    s->load == PZ_LOAD_NO) {
		h->study = s;
		return PZ_HANDLER_LOAD;
	}
	if (build_def(h, &def, &space_text, &config_text, &pruner_text) != 0)
		return -1;
	its = calloc(n > 0 ? n : 1, sizeof(*its));
	texts = calloc(n > 0 ? n : 1, sizeof(*texts));
	if (its == NULL || texts == NULL) {
		rc = pz_error_set(&h->err, PZ_ENOMEM, "out of memory");
		goto out;
	}
	for (t = arr->child; t != NULL && rc == 0; t = t->next, i++)
		rc = pz_codec_import_trial(t, i, h->req.offset + (int64_t)i,
		                           &its[i], &texts[i], &h->err);
	if (rc == 0)
		rc = pz_core_import(h->rpc->core, &def, h->req.exist_ok,
		                    h->req.offset, pz_req_has(&h->req, PZ_F_OFFSET),
		                    its, n, &s, &existed, &h->err);
	if (rc == 0)
		*result = wrap("study", pz_codec_study(s));
out:
	for (size_t k = 0; texts != NULL && k < n; k++)
		free(texts[k]);
	free(texts);
	free(its);
	free(space_text);
	free(config_text);
	free(pruner_text);
	if (rc != 0)
		/* A trial's params that do not fit the space are an invalid
		 * space error, as for trial.enqueue. */
		return fail(h, strstr(h->err.path, "].params.") != NULL
		                       ? PZ_RPC_INVALID_SPACE
		                       : 0);
	return 0;
}

static int study_get(struct pz_hctx *h, cJSON **result)
{
	*result = wrap("study", pz_codec_study(h->study));
	return 0;
}

static int study_list(struct pz_hctx *h, cJSON **result)
{
	struct pz_core *core = h->rpc->core;
	cJSON *arr = cJSON_CreateArray();

	/* Every study is loaded first (its counts); a damaged one is
	 * listed as such and takes nothing else down with it. */
	for (struct pz_study *s = core->studies; s != NULL; s = s->next) {
		if (s->load == PZ_LOAD_NO) {
			cJSON_Delete(arr);
			h->study = s;
			return PZ_HANDLER_LOAD;
		}
	}
	for (struct pz_study *s = core->studies; arr && s; s = s->next)
		cJSON_AddItemToArray(arr, pz_codec_study(s));
	*result = wrap("studies", arr);
	return 0;
}

static int set_paused(struct pz_hctx *h, cJSON **result, int paused)
{
	if (pz_core_set_paused(h->rpc->core, h->study, paused, &h->err) != 0)
		return fail(h, 0);
	*result = wrap("study", pz_codec_study(h->study));
	return 0;
}

static int study_pause(struct pz_hctx *h, cJSON **result)
{
	return set_paused(h, result, 1);
}

static int study_resume(struct pz_hctx *h, cJSON **result)
{
	return set_paused(h, result, 0);
}

static int study_delete(struct pz_hctx *h, cJSON **result)
{
	char *name = strdup(h->study->name);
	size_t n = 0;

	if (name == NULL)
		return fail(h, PZ_RPC_INTERNAL);
	if (pz_core_delete(h->rpc->core, h->study, &n, &h->err) != 0) {
		free(name);
		return fail(h, 0);
	}
	*result = cJSON_CreateObject();
	if (*result != NULL) {
		cJSON_AddStringToObject(*result, "deleted", name);
		cJSON_AddNumberToObject(*result, "trials", (double)n);
	}
	free(name);
	return 0;
}

/* A whole trial, with its stored result. */
static cJSON *trial_with_result(struct pz_hctx *h, struct pz_study *s,
                                uint32_t number)
{
	char *text = NULL;
	cJSON *t;

	if (pz_core_trial_result(h->rpc->core, s, number, &text, &h->err) != 0)
		return NULL;
	t = pz_codec_trial(h->rpc->core, s, number, text);
	free(text);
	if (t != NULL && pz_codec_add_intermediate(t, s, number) != 0) {
		cJSON_Delete(t);
		return NULL;
	}
	return t;
}

static int study_best(struct pz_hctx *h, cJSON **result)
{
	struct pz_study *s = h->study;
	cJSON *t = s->best >= 0 ? trial_with_result(h, s, (uint32_t)s->best)
	                        : cJSON_CreateNull();

	if (t == NULL && h->err.code != 0)
		return fail(h, 0);
	*result = wrap("trial", t);
	return 0;
}

/* --- trials ----------------------------------------------------------------------- */

struct ask_wait {
	struct pz_ask ask;
	struct pz_rpc *rpc;
	struct pz_call *call;
	char *worker;
};

static int ask_gone(struct pz_ask *a)
{
	return ((struct ask_wait *)a)->call->owner == NULL;
}

static void ask_done(struct pz_ask *a, int rc, int64_t number,
                     const char *reason, const struct pz_error *err)
{
	struct ask_wait *w = (struct ask_wait *)a;
	cJSON *r;

	if (rc != 0) {
		pz_rpc_finish_error(w->rpc, w->call,
		                    pz_rpc_code(rc, PZ_RPC_INVALID_SPACE),
		                    err != NULL ? err->path : NULL,
		                    err != NULL && err->msg[0] ? err->msg
		                                               : pz_strerror(rc));
	} else if (number < 0) {
		r = cJSON_CreateObject();
		if (r != NULL) {
			cJSON_AddNullToObject(r, "trial");
			cJSON_AddStringToObject(r, "reason", reason);
		}
		pz_rpc_finish(w->rpc, w->call, r);
	} else {
		pz_rpc_finish(w->rpc, w->call,
		              wrap("trial", pz_codec_trial(w->rpc->core, a->study,
		                                           (uint32_t)number,
		                                           NULL)));
	}
	free(w->worker);
	free(w);
}

static int trial_ask(struct pz_hctx *h, cJSON **result)
{
	struct ask_wait *w = calloc(1, sizeof(*w));

	(void)result;
	if (w == NULL || (h->req.worker != NULL &&
	                  (w->worker = strdup(h->req.worker)) == NULL)) {
		free(w);
		pz_error_set(&h->err, PZ_ENOMEM, "out of memory");
		return fail(h, PZ_RPC_INTERNAL);
	}
	w->rpc = h->rpc;
	w->call = h->call;
	w->ask.worker = w->worker;
	w->ask.cap = h->req.max_trials;
	w->ask.done = ask_done;
	w->ask.gone = ask_gone;
	pz_ask_submit(h->rpc->core, h->rpc->exec, h->study, &w->ask);
	return PZ_HANDLER_LATER;
}

static int trial_tell(struct pz_hctx *h, cJSON **result)
{
	const struct pz_req *q = &h->req;
	enum pz_trial_event ev;
	char *res_text = NULL;
	double loss = NAN;
	int rc;

	ev = strcmp(q->status, "ok") == 0     ? PZ_TE_TELL_OK
	     : strcmp(q->status, "fail") == 0 ? PZ_TE_TELL_FAIL
	                                      : PZ_TE_TELL_PRUNED;
	/* The loss of a failed trial is ignored, whatever it is. */
	if (ev == PZ_TE_TELL_OK && q->loss == NULL)
		return pz_error_set_at(&h->err, PZ_EINVAL, "params.loss",
		                       "missing (a finite number is required "
		                       "when status is \"ok\")"),
		       fail(h, PZ_RPC_BAD_PARAMS);
	if (q->loss != NULL && ev != PZ_TE_TELL_FAIL) {
		if (!cJSON_IsNumber(q->loss) || !isfinite(q->loss->valuedouble))
			return pz_error_set_at(&h->err, PZ_EINVAL, "params.loss",
			                       "must be a finite number"),
			       fail(h, PZ_RPC_BAD_PARAMS);
		loss = q->loss->valuedouble;
	}
	if (q->result != NULL) {
		res_text = pz_json_print(q->result, NULL);
		if (res_text == NULL)
			return pz_error_set(&h->err, PZ_ENOMEM, "out of memory"),
			       fail(h, PZ_RPC_INTERNAL);
	}
	rc = pz_trial_tell(h->rpc->core, h->study, h->number, ev, loss,
	                   res_text, q->attempt, &h->err);
	free(res_text);
	if (rc != 0)
		return fail(h, 0);
	/* A summary: the worker has the params, point and result already. */
	*result = wrap("trial", pz_codec_trial_told(h->study, h->number));
	return 0;
}

static int trial_heartbeat(struct pz_hctx *h, cJSON **result)
{
	if (pz_trial_heartbeat(h->rpc->core, h->study, h->number,
	                       h->req.attempt, &h->err) != 0)
		return fail(h, 0);
	*result = wrap("trial", pz_codec_trial_beat(h->rpc->core, h->study,
	                                            h->number));
	return 0;
}

static int trial_release(struct pz_hctx *h, cJSON **result)
{
	if (pz_trial_release(h->rpc->core, h->study, h->number,
	                     h->req.attempt, &h->err) != 0)
		return fail(h, 0);
	*result = wrap("trial", pz_codec_trial(h->rpc->core, h->study,
	                                       h->number, NULL));
	return 0;
}

static int trial_enqueue(struct pz_hctx *h, cJSON **result)
{
	struct pz_study *s = h->study;
	cJSON *point = NULL;
	double *values;
	uint32_t number;
	int rc;

	if (s->max_trials > 0 && (int64_t)s->n_trials >= s->max_trials)
		return pz_error_set(&h->err, PZ_ESTATE,
		                    "study '%s' already has max_trials (%lld) "
		                    "trials", s->name, (long long)s->max_trials),
		       fail(h, 0);
	/* params: index form; values: value form (lib/params.h). */
	if (pz_req_has(&h->req, PZ_F_PARAMS) == pz_req_has(&h->req, PZ_F_VALUES))
		return pz_error_set_at(&h->err, PZ_EINVAL,
		                       h->req.values != NULL ? "params.values"
		                                             : "params.params",
		                       "%s: give the trial either as params (a "
		                       "choice as its option's index) or as "
		                       "values (a choice as its option's value)",
		                       h->req.values != NULL ? "both given"
		                                             : "missing"),
		       fail(h, PZ_RPC_BAD_PARAMS);
	values = malloc((size_t)(s->space->n_params + 1) * sizeof(double));
	if (values == NULL)
		return pz_error_set(&h->err, PZ_ENOMEM, "out of memory"),
		       fail(h, PZ_RPC_INTERNAL);
	if (h->req.values != NULL)
		rc = pz_params_from_values(s->space, h->req.values, "values",
		                           values, &h->err);
	else
		rc = pz_params_from_json(s->space, h->req.params, values,
		                         &h->err);
	if (rc == 0)
		rc = pz_eval(s->space, values, &point, &h->err);
	cJSON_Delete(point);
	if (rc != 0) {
		free(values);
		under_params(&h->err);
		return fail(h, rc == PZ_ENOMEM ? PZ_RPC_INTERNAL
		                               : PZ_RPC_INVALID_SPACE);
	}
	rc = pz_trial_create(h->rpc->core, s, PZ_TE_CREATE_QUEUED, values,
	                     NULL, NULL, &number, &h->err);
	free(values);
	if (rc != 0)
		return fail(h, 0);
	*result = wrap("trial", pz_codec_trial(h->rpc->core, s, number, NULL));
	return 0;
}

struct list_ctx {
	struct pz_hctx *h;
	cJSON *arr;
	size_t bytes;
	int64_t n;
	int truncated;
};

static int list_row(void *arg, const struct pz_trial_row *r)
{
	struct list_ctx *c = arg;
	cJSON *t;

	if (c->bytes > LIST_MAX_BYTES) {
		c->truncated = 1;
		return 1;
	}
	t = pz_codec_trial(c->h->rpc->core, c->h->study, (uint32_t)r->number,
	                   r->result);
	if (t == NULL || (c->h->req.intermediate &&
	                  pz_codec_add_intermediate(t, c->h->study,
	                                            (uint32_t)r->number) != 0)) {
		cJSON_Delete(t);
		return PZ_ENOMEM;
	}
	cJSON_AddItemToArray(c->arr, t);
	c->bytes += 400 + strlen(r->params) +
	            (r->result != NULL ? strlen(r->result) : 0);
	if (c->h->req.intermediate && c->h->study->reports != NULL) {
		const struct pz_report_trial *rt = pz_reports_trial(
		        c->h->study->reports, (uint64_t)r->number);

		c->bytes += rt != NULL ? 48 * (size_t)rt->n : 0;
	}
	c->n++;
	return 0;
}

static int trial_list(struct pz_hctx *h, cJSON **result)
{
	const struct pz_req *q = &h->req;
	struct list_ctx c = {h, NULL, 0, 0, 0};
	int64_t limit = pz_req_has(q, PZ_F_LIMIT) ? q->limit : 100;
	size_t total;
	int state = -1, rc;

	if (q->state != NULL)
		state = pz_tstate_parse(q->state);
	total = state < 0 ? h->study->n_trials : h->study->counts[state];
	c.arr = cJSON_CreateArray();
	if (c.arr == NULL)
		return pz_error_set(&h->err, PZ_ENOMEM, "out of memory"),
		       fail(h, PZ_RPC_INTERNAL);
	rc = pz_core_trial_rows(h->rpc->core, h->study, state, q->offset, limit,
	                        list_row, &c, &h->err);
	if (rc < 0) {
		cJSON_Delete(c.arr);
		if (rc == PZ_ENOMEM)
			pz_error_set(&h->err, PZ_ENOMEM, "out of memory");
		return fail(h, rc == PZ_ENOMEM ? PZ_RPC_INTERNAL : 0);
	}
	*result = wrap("trials", c.arr);
	if (*result != NULL) {
		cJSON_AddNumberToObject(*result, "total", (double)total);
		/* A page is cut at a size, never at a memory blow-up. */
		if (c.truncated)
			cJSON_AddNumberToObject(*result, "next_offset",
			                        (double)(q->offset + c.n));
	}
	return 0;
}

static int trial_get(struct pz_hctx *h, cJSON **result)
{
	cJSON *t = trial_with_result(h, h->study, h->number);

	if (t == NULL && h->err.code != 0)
		return fail(h, 0);
	*result = wrap("trial", t);
	return 0;
}

/* --- watching ------------------------------------------------------------------ */

static int study_watch(struct pz_hctx *h, cJSON **result)
{
	struct pz_core *core = h->rpc->core;
	struct pz_study *s = NULL;
	cJSON *names;

	if (h->rpc->watch == NULL)
		return pz_error_set(&h->err, PZ_ESTATE,
		                    "study.watch needs a connection to parzend"),
		       fail(h, 0);
	if (h->req.study != NULL &&
	    pz_core_find(core, h->req.study, &s, &h->err) != 0)
		return fail(h, 0);
	if (pz_watch_add(h->rpc->watch, h->call->owner, h->req.study) != 0)
		return pz_error_set(&h->err, PZ_ENOMEM, "out of memory"),
		       fail(h, PZ_RPC_INTERNAL);
	*result = cJSON_CreateObject();
	if (*result == NULL)
		return 0;
	names = cJSON_AddArrayToObject(*result, "watching");
	for (struct pz_study *t = core->studies; names && t; t = t->next)
		if (s == NULL || t == s)
			cJSON_AddItemToArray(names, cJSON_CreateString(t->name));
	cJSON_AddNumberToObject(*result, "seq",
	                        (double)pz_watch_seq(h->rpc->watch));
	return 0;
}

static int study_unwatch(struct pz_hctx *h, cJSON **result)
{
	if (h->rpc->watch == NULL ||
	    pz_watch_remove(h->rpc->watch, h->call->owner, h->req.study) != 0)
		return pz_error_set_at(&h->err, PZ_ENOENT, "params.study",
		                       "this connection does not watch %s",
		                       h->req.study != NULL ? h->req.study
		                                            : "anything"),
		       fail(h, 0);
	*result = cJSON_CreateObject();
	if (*result != NULL)
		cJSON_AddBoolToObject(*result, "watching", 0);
	return 0;
}

/* --- the server ---------------------------------------------------------------- */

static int server_info(struct pz_hctx *h, cJSON **result)
{
	const struct pz_rpc *rpc = h->rpc;
	size_t n = 0;
	cJSON *o;

	for (struct pz_study *s = rpc->core->studies; s != NULL; s = s->next)
		n++;
	o = cJSON_CreateObject();
	if (o == NULL)
		return pz_error_set(&h->err, PZ_ENOMEM, "out of memory"),
		       fail(h, PZ_RPC_INTERNAL);
	cJSON_AddStringToObject(o, "name", "parzend");
	cJSON_AddStringToObject(o, "version", PZ_VERSION);
	cJSON_AddNumberToObject(o, "protocol", 1);
	cJSON_AddNumberToObject(o, "pid", (double)getpid());
	cJSON_AddNumberToObject(o, "uptime",
	                        pz_clock_wall() - rpc->server.started);
	if (rpc->server.socket_path != NULL)
		cJSON_AddStringToObject(o, "socket", rpc->server.socket_path);
	if (rpc->server.db_path != NULL)
		cJSON_AddStringToObject(o, "database", rpc->server.db_path);
	cJSON_AddStringToObject(o, "durability",
	                        rpc->server.durable ? "full" : "normal");
	cJSON_AddNumberToObject(o, "max_line", (double)rpc->server.max_line);
	cJSON_AddNumberToObject(o, "studies", (double)n);
	cJSON_AddNumberToObject(o, "connections",
	                        (double)rpc->server.n_connections);
	cJSON_AddNumberToObject(o, "requests", (double)rpc->n_requests);
	cJSON_AddNumberToObject(o, "commits", (double)rpc->core->n_commits);
	pz_admin_info(h, o);
	*result = o;
	return 0;
}

/* --- the table ---------------------------------------------------------------- */

#define FS(f) PZ_FIELD(PZ_F_##f)

const struct pz_method pz_methods[] = {
	{"server.backup", pz_handle_server_backup, PZ_TARGET_NONE, 0,
	 FS(PATH) | FS(FORCE), FS(PATH)},
	{"server.info", server_info, PZ_TARGET_NONE, PZ_M_WHILE_STOPPING, 0, 0},
	{"server.stop", pz_handle_server_stop, PZ_TARGET_NONE,
	 PZ_M_WHILE_STOPPING, 0, 0},
	{"study.best", study_best, PZ_TARGET_STUDY, PZ_M_WHILE_STOPPING,
	 FS(STUDY), FS(STUDY)},
	{"study.create", study_create, PZ_TARGET_NONE, 0,
	 FS(NAME) | FS(SPACE) | FS(ALGO) | FS(SEED) | FS(MAX_TRIALS) |
	         FS(CONFIG) | FS(HEARTBEAT_TIMEOUT) | FS(EXIST_OK) |
	         FS(PRUNER),
	 FS(NAME) | FS(SPACE)},
	{"study.delete", study_delete, PZ_TARGET_STUDY, PZ_M_DAMAGED_OK,
	 FS(STUDY), FS(STUDY)},
	{"study.get", study_get, PZ_TARGET_STUDY,
	 PZ_M_WHILE_STOPPING | PZ_M_DAMAGED_OK, FS(STUDY), FS(STUDY)},
	{"study.import", study_import, PZ_TARGET_NONE, 0,
	 FS(NAME) | FS(SPACE) | FS(ALGO) | FS(SEED) | FS(MAX_TRIALS) |
	         FS(CONFIG) | FS(HEARTBEAT_TIMEOUT) | FS(EXIST_OK) | FS(TRIALS) |
	         FS(OFFSET) | FS(PRUNER),
	 FS(NAME) | FS(SPACE) | FS(TRIALS)},
	{"study.list", study_list, PZ_TARGET_NONE, PZ_M_WHILE_STOPPING, 0, 0},
	{"study.pause", study_pause, PZ_TARGET_STUDY, PZ_M_DAMAGED_OK,
	 FS(STUDY), FS(STUDY)},
	{"study.resume", study_resume, PZ_TARGET_STUDY, PZ_M_DAMAGED_OK,
	 FS(STUDY), FS(STUDY)},
	{"study.unwatch", study_unwatch, PZ_TARGET_NONE, PZ_M_WHILE_STOPPING,
	 FS(STUDY), 0},
	{"study.update", pz_handle_study_update, PZ_TARGET_STUDY, 0,
	 FS(STUDY) | FS(MAX_TRIALS) | FS(HEARTBEAT_TIMEOUT) | FS(PRUNER) |
	         FS(SPACE) | FS(ALGO) | FS(CONFIG) | FS(SEED),
	 FS(STUDY)},
	{"study.watch", study_watch, PZ_TARGET_NONE, 0, FS(STUDY), 0},
	{"trial.ask", trial_ask, PZ_TARGET_STUDY, 0,
	 FS(STUDY) | FS(WORKER) | FS(MAX_TRIALS), FS(STUDY)},
	{"trial.enqueue", trial_enqueue, PZ_TARGET_STUDY, 0,
	 FS(STUDY) | FS(PARAMS) | FS(VALUES), FS(STUDY)},
	{"trial.get", trial_get, PZ_TARGET_TRIAL, PZ_M_WHILE_STOPPING,
	 FS(TRIAL), FS(TRIAL)},
	{"trial.heartbeat", trial_heartbeat, PZ_TARGET_TRIAL,
	 PZ_M_WHILE_STOPPING, FS(TRIAL) | FS(ATTEMPT), FS(TRIAL)},
	{"trial.list", trial_list, PZ_TARGET_STUDY, PZ_M_WHILE_STOPPING,
	 FS(STUDY) | FS(STATE) | FS(OFFSET) | FS(LIMIT) | FS(INTERMEDIATE),
	 FS(STUDY)},
	{"trial.release", trial_release, PZ_TARGET_TRIAL, PZ_M_WHILE_STOPPING,
	 FS(TRIAL) | FS(ATTEMPT), FS(TRIAL)},
	{"trial.report", pz_hprune_report, PZ_TARGET_TRIAL, PZ_M_WHILE_STOPPING,
	 FS(TRIAL) | FS(ATTEMPT) | FS(STEP) | FS(VALUE),
	 FS(TRIAL) | FS(STEP) | FS(VALUE)},
	{"trial.tell", trial_tell, PZ_TARGET_TRIAL, PZ_M_WHILE_STOPPING,
	 FS(TRIAL) | FS(STATUS) | FS(LOSS) | FS(RESULT) | FS(ATTEMPT),
	 FS(TRIAL) | FS(STATUS)},
};

const size_t pz_n_methods = sizeof(pz_methods) / sizeof(pz_methods[0]);

const struct pz_method *pz_method_find(const char *name)
{
	size_t lo = 0, hi = pz_n_methods;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(pz_methods[mid].name, name);

		if (c == 0)
			return &pz_methods[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
