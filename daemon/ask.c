/*
 * trial.ask and the suggestion jobs; see ask.h.
 */
#include "ask.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <parzen/eval.h>

#include "trial.h"

struct suggest_job {
	struct pz_job job;
	struct pz_core *core;
	const struct pz_exec *exec;
	struct pz_study *s;
	uint64_t number;
	double *values;
	int rc;                   /* of the suggestion */
	struct pz_error err;
	int eval_rc;              /* of evaluating its point */
	struct pz_error eval_err;
};

static void start(struct pz_core *core, const struct pz_exec *exec,
                  struct pz_study *s);

static struct pz_ask *first(const struct pz_study *s)
{
	return (struct pz_ask *)s->askers;
}

static void pop(struct pz_study *s)
{
	s->askers = s->askers->next;
	if (s->askers == NULL)
		s->askers_tail = &s->askers;
}

static void push(struct pz_study *s, struct pz_ask *a)
{
	a->wait.next = NULL;
	*s->askers_tail = &a->wait;
	s->askers_tail = &a->wait.next;
}

static int own_running(const struct pz_study *s, const char *worker)
{
	if (worker == NULL)
		return -1;
	for (size_t i = 0; i < s->n_running; i++) {
		const struct pz_trial *t = &s->trials[s->running[i]];

		if (t->worker != NULL && strcmp(t->worker, worker) == 0)
			return (int)s->running[i];
	}
	return -1;
}

/* An answer for an ask. */
struct answer {
	int rc;
	int64_t number;
	const char *reason;
	struct pz_error err;
};

/*
 * Can `a` be answered without a new suggestion? 1 with *out filled (a
 * queued trial is handed out already), 0 when it must wait for one. The
 * caller takes `a` off the queue before calling a->done, which may free
 * it.
 */
static int answer_now(struct pz_core *core, struct pz_study *s,
                      struct pz_ask *a, struct answer *out)
{
	int64_t cap = a->cap;
	int own = own_running(s, a->worker);

	memset(out, 0, sizeof(*out));
	out->number = -1;
	if (own >= 0) {
		out->number = own;
		return 1;
	}
	if (s->paused) {
		out->reason = "paused";
		return 1;
	}
	if (s->max_trials > 0 && (cap <= 0 || s->max_trials < cap))
		cap = s->max_trials;
	if (s->n_queued > 0 && (cap <= 0 || (int64_t)s->queued[0] < cap)) {
		uint32_t n = s->queued[0];

		out->rc = pz_trial_hand_out(core, s, n, a->worker, &out->err);
		out->number = out->rc == 0 ? (int64_t)n : -1;
		return 1;
	}
	if (cap > 0 && (int64_t)s->n_trials >= cap) {
		out->reason = "max_trials";
		return 1;
	}
	return 0;
}

static void reply(struct pz_ask *a, const struct answer *r)
{
	a->done(a, r->rc, r->number, r->reason, &r->err);
}

/*
 * Answer every ask waiting now with an error. A reply lets its connection
 * take its next line at once: an ask it sends then waits on s->askers
 * anew (for a suggestion it starts), and is not failed with these.
 */
static void fail_all(struct pz_study *s, int rc, const struct pz_error *err)
{
	struct pz_wait *waiting = s->askers;

	s->askers = NULL;
	s->askers_tail = &s->askers;
	while (waiting != NULL) {
		struct pz_ask *a = (struct pz_ask *)waiting;

		waiting = waiting->next;
		a->done(a, rc, -1, NULL, err);
	}
}

/*
 * Use the suggestion of `j` (for number s->n_trials) for the first asker:
 * it becomes a running trial, or a failed one if its point cannot be
 * evaluated.
 */
static void use(struct pz_core *core, struct pz_study *s,
                struct suggest_job *j)
{
	struct pz_ask *a = first(s);
	struct pz_error err = {0};
	uint32_t number;
	char *reason = NULL;
	cJSON *res;
	int rc;

	if (j->rc != 0) {
		pop(s);
		a->done(a, j->rc, -1, NULL, &j->err);
		return;
	}
	if (j->eval_rc == 0) {
		rc = pz_trial_create(core, s, PZ_TE_CREATE_RUNNING, j->values,
		                     a->worker, NULL, &number, &err);
		pop(s);
		a->done(a, rc, rc == 0 ? (int64_t)number : -1, NULL, &err);
		return;
	}
	/* The failure also steers TPE away from that region. */
	res = cJSON_CreateObject();
	if (res != NULL && cJSON_AddStringToObject(res, "error",
	                                           j->eval_err.msg) != NULL)
		reason = cJSON_PrintUnformatted(res);
	cJSON_Delete(res);
	rc = reason == NULL ? pz_error_set(&err, PZ_ENOMEM, "out of memory")
	                    : pz_trial_create(core, s, PZ_TE_CREATE_FAILED,
	                                      j->values, NULL, reason, &number,
	                                      &err);
	free(reason);
	if (rc != 0) {
		pop(s);
		a->done(a, rc, -1, NULL, &err);
	} else if (++a->unevaluable >= PZ_ASK_MAX_UNEVALUABLE) {
		pop(s);
		pz_error_set_at(&err, PZ_EINVAL, j->eval_err.path,
		                "%d suggestions in a row could not be evaluated "
		                "and were recorded as failed trials; the last: "
		                "%s", a->unevaluable, j->eval_err.msg);
		a->done(a, PZ_EINVAL, -1, NULL, &err);
	}
}

/* Is a study with the id of `s` (dropped, or not) in the registry? */
static int registered(const struct pz_core *core, const struct pz_study *s)
{
	for (const struct pz_study *t = core->studies; t != NULL; t = t->next)
		if (t->id == s->id)
			return 1;
	return 0;
}

/*
 * `s` was deleted, or its batch failed (memory goes back to what the
 * database holds): answer every waiting ask; the askers may simply ask
 * again. A study dropped by a failed batch is in the registry again
 * (read back from the database): that is a storage failure to retry, not
 * a study that is gone.
 */
static void fail_dropped(struct pz_core *core, struct pz_study *s)
{
	struct pz_error err = {0};
	int deleted = s->dead && !registered(core, s);

	if (deleted)
		pz_error_set(&err, PZ_ENOENT, "study '%s' was deleted while "
		             "this ask waited", s->name);
	else if (s->dead)
		pz_error_set(&err, PZ_EIO, "storage failure: a batch failed "
		             "while this ask waited, nothing of it was "
		             "recorded; retry");
	else
		pz_error_set(&err, PZ_EIO, "%s", core->failure);
	fail_all(s, deleted ? PZ_ENOENT : PZ_EIO, &err);
}

/* Serve waiting asks in order; `j` (may be NULL) is a fresh suggestion. */
static void serve(struct pz_core *core, const struct pz_exec *exec,
                  struct pz_study *s, struct suggest_job *j)
{
	while (s->askers != NULL) {
		struct pz_ask *a = first(s);
		struct answer r;

		/* A reply lets its connection take its next line at once,
		 * which may delete the study (or fail its batch). */
		if (s->dead) {
			fail_dropped(core, s);
			return;
		}
		if (a->worker == NULL && a->gone != NULL && a->gone(a)) {
			pop(s);
			a->done(a, PZ_ESTATE, -1, NULL, NULL);
			continue;
		}
		if (answer_now(core, s, a, &r)) {
			pop(s);
			reply(a, &r);
			continue;
		}
		if (j == NULL || j->number != s->n_trials)
			break;
		use(core, s, j);
		j = NULL;
	}
	if (s->askers != NULL && !s->busy)
		start(core, exec, s);
}

static void work(struct pz_job *job)
{
	struct suggest_job *j = (struct suggest_job *)job;
	struct pz_study *s = j->s;
	cJSON *point = NULL;

	/* Without a cache (out of memory) the suggestion is the same. */
	if (s->tpe_cache == NULL && pz_tpe_cache_create(&s->tpe_cache) != 0)
		s->tpe_cache = NULL;
	j->rc = pz_suggest_with_cache(s->space, s->hist, &s->cfg,
	                              s->tpe_cache, s->seed, j->number,
	                              j->values, &j->err);
	if (j->rc == 0)
		j->eval_rc = pz_eval(s->space, j->values, &point, &j->eval_err);
	cJSON_Delete(point);
}

static void done(struct pz_job *job)
{
	struct suggest_job *j = (struct suggest_job *)job;
	struct pz_core *core = j->core;
	struct pz_study *s = j->s;
	struct pz_error err = {0};

	if (pz_core_unbusy(core, s) != 0) {
		pz_error_set(&err, PZ_ENOMEM, "out of memory");
		pz_core_write_failed(core, PZ_ENOMEM, &err);
	}
	if (s->dead || core->txn_failed) {
		fail_dropped(core, s);
	} else {
		serve(core, j->exec, s, j);
	}
	pz_core_release_study(core, s);
	free(j->values);
	free(j);
}

/*
 * Is a suggestion for `s` cheap enough to compute on the loop? A hop to a
 * worker thread and back costs tens of microseconds; a TPE suggestion
 * scores n_ei_candidates points against every finished trial, for every
 * label. Below INLINE_WORK such scorings, waiting for the thread costs
 * more than it saves the other clients.
 */
#define INLINE_WORK 100000.0

static int cheap(const struct pz_study *s)
{
	const struct pz_algo_config *cfg = &s->cfg;
	double per_trial = 0;

	switch (cfg->algo) {
	case PZ_ALGO_RANDOM:
		return 1;
	case PZ_ALGO_TPE:
		per_trial = cfg->tpe.n_ei_candidates;
		break;
	case PZ_ALGO_MIX:
		for (int i = 0; i < cfg->n_parts; i++)
			if (cfg->parts[i].algo == PZ_ALGO_TPE &&
			    cfg->parts[i].tpe.n_ei_candidates > per_trial)
				per_trial = cfg->parts[i].tpe.n_ei_candidates;
		break;
	default:
		per_trial = 1;
	}
	return per_trial * (double)s->n_trials * s->space->n_params <
	       INLINE_WORK;
}

static void start(struct pz_core *core, const struct pz_exec *exec,
                  struct pz_study *s)
{
	struct suggest_job *j = calloc(1, sizeof(*j));
	struct pz_error err = {0};

	if (j != NULL)
		j->values = malloc(((size_t)s->space->n_params + 1) *
		                   sizeof(double));
	if (j == NULL || j->values == NULL) {
		if (j != NULL)
			free(j);
		pz_error_set(&err, PZ_ENOMEM, "out of memory");
		fail_all(s, PZ_ENOMEM, &err);
		return;
	}
	j->job.work = work;
	j->job.done = done;
	j->core = core;
	j->exec = exec;
	j->s = s;
	j->number = s->n_trials;
	pz_core_busy(s);
	pz_core_hold(s);
	if (pz_exec_submit(cheap(s) ? NULL : exec, &j->job) != 0) {
		pz_core_unbusy(core, s);
		pz_core_release_study(core, s);
		free(j->values);
		free(j);
		pz_error_set(&err, PZ_ENOMEM, "cannot start a suggestion");
		fail_all(s, PZ_ENOMEM, &err);
	}
}

void pz_ask_submit(struct pz_core *core, const struct pz_exec *exec,
                   struct pz_study *s, struct pz_ask *a)
{
	int own = own_running(s, a->worker);
	struct answer r;

	a->study = s;
	a->unevaluable = 0;
	/* An anonymous asker gone while its request waited (for the study
	 * to load) is skipped, as in serve(): nobody would run its trial. */
	if (a->worker == NULL && a->gone != NULL && a->gone(a)) {
		a->done(a, PZ_ESTATE, -1, NULL, NULL);
		return;
	}
	if (own >= 0) {
		a->done(a, 0, own, NULL, NULL);
		return;
	}
	if (s->askers == NULL && answer_now(core, s, a, &r)) {
		reply(a, &r);
		return;
	}
	push(s, a);
	if (!s->busy)
		start(core, exec, s);
}
