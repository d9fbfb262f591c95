/*
 * The administrative methods; see handlers_admin.h and docs/protocol.md.
 *
 * server.stop and server.backup act on the daemon as a whole (they end
 * every client's session, or write a file as the daemon's user), so only
 * a client running as the daemon's own user may call them, even when
 * --group lets other users be workers.
 */
#include "handlers_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "backup.h"
#include "clock.h"
#include "handlers_prune.h"

static int fail(struct pz_hctx *h, int code)
{
	h->code = code;
	return -1;
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

/* --- study.update ------------------------------------------------------------- */

/*
 * What a study's suggestions depend on, which therefore cannot change
 * without breaking exact resume: the next suggestion is a function of
 * the space, the algorithm, its config, the seed, the trial number and
 * the history (docs/protocol.md, study.update).
 */
static const struct {
	enum pz_field field;
	const char *key, *why;
} fixed[] = {
	{PZ_F_SPACE, "space",
	 "the params of every trial are points of the space"},
	{PZ_F_ALGO, "algo", "the suggestions so far came from this algorithm"},
	{PZ_F_CONFIG, "config",
	 "the suggestions so far came from this configuration"},
	{PZ_F_SEED, "seed",
	 "every trial draws from the stream (seed, number)"},
};

int pz_handle_study_update(struct pz_hctx *h, cJSON **result)
{
	const struct pz_req *q = &h->req;
	struct pz_study *s = h->study;
	struct pz_core_settings set = {
		.max_trials = s->max_trials,
		.heartbeat_timeout = s->heartbeat_timeout,
	};
	char *pruner_text = NULL;
	int rc;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (pz_req_has(q, fixed[i].field))
			return pz_error_set_key(
			               &h->err, PZ_EINVAL, "params", fixed[i].key,
			               "cannot change: %s, and a study resumes "
			               "exactly only with what made them; export "
			               "the study and import it under another "
			               "name with the new %s instead",
			               fixed[i].why, fixed[i].key),
			       fail(h, PZ_RPC_BAD_PARAMS);
	if (!pz_req_has(q, PZ_F_MAX_TRIALS) &&
	    !pz_req_has(q, PZ_F_HEARTBEAT_TIMEOUT) &&
	    !pz_req_has(q, PZ_F_PRUNER))
		return pz_error_set_at(&h->err, PZ_EINVAL, "params",
		                       "nothing to update: give max_trials, "
		                       "heartbeat_timeout or pruner"),
		       fail(h, PZ_RPC_BAD_PARAMS);
	if (pz_req_has(q, PZ_F_MAX_TRIALS)) {
		if (q->max_trials < (int64_t)s->n_trials)
			return pz_error_set_at(&h->err, PZ_EINVAL,
			                       "params.max_trials",
			                       "study '%s' already has %zu "
			                       "trials; max_trials must be at "
			                       "least that", s->name,
			                       s->n_trials),
			       fail(h, PZ_RPC_BAD_PARAMS);
		set.max_trials = q->max_trials;
	}
	if (pz_req_has(q, PZ_F_HEARTBEAT_TIMEOUT))
		set.heartbeat_timeout = q->heartbeat_timeout;
	/*
	 * A pruner decides from committed reports alone, at each new report,
	 * and its decisions are kept with the trials; so it may change: the
	 * new one judges the reports made after the change, and what the old
	 * one decided stays final. Checked as study.create checks it.
	 */
	if (pz_req_has(q, PZ_F_PRUNER)) {
		if (pz_hprune_pruner_text(h, &pruner_text) != 0)
			return -1;
		set.set_pruner = 1;
		set.pruner_text = pruner_text;
	}
	rc = pz_core_update(h->rpc->core, s, &set, &h->err);
	free(pruner_text);
	if (rc != 0)
		return fail(h, 0);
	*result = wrap("study", pz_codec_study(s));
	return 0;
}

/* --- server.info ----------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* At most this many worker names in server.info. */
#define INFO_WORKERS 1000

void pz_admin_info(struct pz_hctx *h, cJSON *o)
{
	const struct pz_rpc *rpc = h->rpc;
	const char **names = NULL;
	size_t running = 0, queued = 0, n = 0, cap = 0;
	char wal[4200];
	struct stat st;
	long long bytes = -1;
	cJSON *arr;

	if (rpc->server.db_path != NULL &&
	    stat(rpc->server.db_path, &st) == 0) {
		bytes = (long long)st.st_size;
		snprintf(wal, sizeof(wal), "%s-wal", rpc->server.db_path);
		if (stat(wal, &st) == 0)
			bytes += (long long)st.st_size;
	}
	if (bytes >= 0)
		cJSON_AddNumberToObject(o, "database_bytes", (double)bytes);
	for (const struct pz_study *s = rpc->core->studies; s; s = s->next) {
		if (s->load != PZ_LOAD_YES)
			continue;
		running += s->counts[PZ_T_RUNNING];
		queued += s->counts[PZ_T_QUEUED];
		for (size_t i = 0; i < s->n_running; i++) {
			const char *w = s->trials[s->running[i]].worker;

			if (w == NULL || n >= INFO_WORKERS)
				continue;
			if (n == cap) {
				size_t c = cap ? cap * 2 : 16;
				const char **p = realloc(names, c * sizeof(*p));

				if (p == NULL)
					continue;
				names = p;
				cap = c;
			}
			names[n++] = w;
		}
	}
	cJSON_AddNumberToObject(o, "running", (double)running);
	cJSON_AddNumberToObject(o, "queued", (double)queued);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	arr = cJSON_AddArrayToObject(o, "workers");
	for (size_t i = 0; arr != NULL && i < n; i++)
		if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
			cJSON_AddItemToArray(arr, cJSON_CreateString(names[i]));
	free(names);
}

/* --- who may stop and back up ------------------------------------------------ */

/* 0 when the call comes from the daemon's own user, else -1 with h->err. */
static int owner_only(struct pz_hctx *h)
{
	const struct pz_admin *a = h->rpc->admin;
	unsigned uid;

	if (a == NULL)
		return pz_error_set(&h->err, PZ_ESTATE, "%s needs a connection "
		                    "to parzend", h->method->name),
		       fail(h, 0);
	if (a->peer_uid(a->ctx, h->call, &uid) != 0)
		return pz_error_set(&h->err, PZ_ESTATE, "%s: the caller is "
		                    "gone", h->method->name),
		       fail(h, 0);
	if (uid != (unsigned)geteuid())
		return pz_error_set(&h->err, PZ_ESTATE, "%s is allowed only to "
		                    "the user parzend runs as (uid %u), not to "
		                    "uid %u", h->method->name,
		                    (unsigned)geteuid(), uid),
		       fail(h, PZ_RPC_FORBIDDEN);
	return 0;
}

/* --- server.stop ----------------------------------------------------------------- */

int pz_handle_server_stop(struct pz_hctx *h, cJSON **result)
{
	if (owner_only(h) != 0)
		return -1;
	h->rpc->admin->stop(h->rpc->admin->ctx);
	*result = cJSON_CreateObject();
	if (*result != NULL) {
		cJSON_AddBoolToObject(*result, "stopping", 1);
		cJSON_AddNumberToObject(*result, "pid", (double)getpid());
	}
	return 0;
}

/* --- server.backup ------------------------------------------------------------- */

struct backup_job {
	struct pz_task task;      /* first: the task's address is the job's */
	struct pz_rpc *rpc;
	struct pz_call *call;
	struct pz_backup *b;
	char *path;
	double started;
};

static void job_free(struct backup_job *j)
{
	pz_backup_destroy(j->b);
	free(j->path);
	free(j);
}

static int backup_run(struct pz_task *t, int stopping)
{
	struct backup_job *j = (struct backup_job *)t;
	struct pz_error err = {0};
	char msg[PZ_ERROR_MSG_MAX + 64];
	cJSON *r;
	int rc;

	if (stopping) {
		pz_rpc_finish_error(j->rpc, j->call, PZ_RPC_SHUTTING_DOWN, NULL,
		                    "the server is shutting down; the backup "
		                    "was abandoned (nothing was written at the "
		                    "path)");
		job_free(j);
		return 0;
	}
	if (j->call->owner == NULL) {
		/* Nobody waits for it any more (the client was interrupted). */
		pz_rpc_finish(j->rpc, j->call, NULL);
		job_free(j);
		return 0;
	}
	rc = pz_backup_step(j->b, &err);
	if (rc == 1)
		return 1;
	if (rc != 0) {
		snprintf(msg, sizeof(msg), "backup failed, nothing was written "
		         "at %s: %s", j->path, err.msg);
		pz_rpc_finish_error(j->rpc, j->call,
		                    rc == PZ_EEXIST ? PZ_RPC_CONFLICT
		                                    : PZ_RPC_STORAGE,
		                    NULL, msg);
		job_free(j);
		return 0;
	}
	r = cJSON_CreateObject();
	if (r != NULL) {
		cJSON_AddStringToObject(r, "path", j->path);
		cJSON_AddNumberToObject(r, "bytes",
		                        (double)pz_backup_bytes(j->b));
		cJSON_AddNumberToObject(r, "seconds",
		                        pz_clock_mono() - j->started);
	}
	pz_rpc_finish(j->rpc, j->call, r);
	job_free(j);
	return 0;
}

int pz_handle_server_backup(struct pz_hctx *h, cJSON **result)
{
	struct backup_job *j;
	int rc;

	(void)result;
	if (owner_only(h) != 0)
		return -1;
	j = calloc(1, sizeof(*j));
	if (j == NULL || (j->path = strdup(h->req.path)) == NULL) {
		free(j);
		return pz_error_set(&h->err, PZ_ENOMEM, "out of memory"),
		       fail(h, PZ_RPC_INTERNAL);
	}
	rc = pz_backup_start(h->rpc->core, h->rpc->server.db_path, j->path,
	                     h->req.force, &j->b, &h->err);
	if (rc != 0) {
		job_free(j);
		return fail(h, rc == PZ_EEXIST   ? PZ_RPC_CONFLICT
		               : rc == PZ_EINVAL ? PZ_RPC_BAD_PARAMS
		                                 : 0);
	}
	j->task.run = backup_run;
	j->rpc = h->rpc;
	j->call = h->call;
	j->started = pz_clock_mono();
	h->rpc->admin->add_task(h->rpc->admin->ctx, &j->task);
	return PZ_HANDLER_LATER;
}
