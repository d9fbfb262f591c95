/*
 * The trial life cycle: the transition table and apply(), the one place
 * where a trial changes state; see trial.h.
 */
#include "trial.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <parzen/params.h>

#include "clock.h"
#include "pruning.h"

/* table[from][event] = to + 1; 0: not allowed. */
#define TO(state) ((state) + 1)

static const unsigned char table[PZ_T_NEW + 1][PZ_TE_NEVENTS] = {
	[PZ_T_NEW] = {
		[PZ_TE_CREATE_QUEUED] = TO(PZ_T_QUEUED),
		[PZ_TE_CREATE_RUNNING] = TO(PZ_T_RUNNING),
		[PZ_TE_CREATE_FAILED] = TO(PZ_T_FAIL),
	},
	[PZ_T_QUEUED] = {
		[PZ_TE_HAND_OUT] = TO(PZ_T_RUNNING),
		[PZ_TE_TELL_OK] = TO(PZ_T_OK),
		[PZ_TE_TELL_FAIL] = TO(PZ_T_FAIL),
		[PZ_TE_TELL_PRUNED] = TO(PZ_T_PRUNED),
	},
	[PZ_T_RUNNING] = {
		[PZ_TE_HEARTBEAT] = TO(PZ_T_RUNNING),
		[PZ_TE_RELEASE] = TO(PZ_T_QUEUED),
		[PZ_TE_RECLAIM] = TO(PZ_T_QUEUED),
		[PZ_TE_TELL_OK] = TO(PZ_T_OK),
		[PZ_TE_TELL_FAIL] = TO(PZ_T_FAIL),
		[PZ_TE_TELL_PRUNED] = TO(PZ_T_PRUNED),
	},
	/* ok, fail and pruned are final. */
};

static const char *const event_names[PZ_TE_NEVENTS] = {
	[PZ_TE_CREATE_QUEUED] = "create_queued",
	[PZ_TE_CREATE_RUNNING] = "create_running",
	[PZ_TE_CREATE_FAILED] = "create_failed",
	[PZ_TE_HAND_OUT] = "hand_out",
	[PZ_TE_HEARTBEAT] = "heartbeat",
	[PZ_TE_RELEASE] = "release",
	[PZ_TE_RECLAIM] = "reclaim",
	[PZ_TE_TELL_OK] = "tell_ok",
	[PZ_TE_TELL_FAIL] = "tell_fail",
	[PZ_TE_TELL_PRUNED] = "tell_pruned",
};

int pz_trial_next(int from, enum pz_trial_event event)
{
	if (from < 0 || from > PZ_T_NEW || (int)event < 0 ||
	    event >= PZ_TE_NEVENTS)
		return -1;
	return (int)table[from][event] - 1;
}

const char *pz_trial_event_name(enum pz_trial_event event)
{
	return (int)event >= 0 && event < PZ_TE_NEVENTS ? event_names[event]
	                                                : "?";
}

static int final_state(int state)
{
	return state == PZ_T_OK || state == PZ_T_FAIL || state == PZ_T_PRUNED;
}

static enum pz_event_kind event_kind(enum pz_trial_event event)
{
	switch (event) {
	case PZ_TE_HAND_OUT:
		return PZ_EV_TRIAL_STARTED;
	case PZ_TE_RELEASE:
	case PZ_TE_RECLAIM:
		return PZ_EV_TRIAL_REQUEUED;
	case PZ_TE_TELL_OK:
	case PZ_TE_TELL_FAIL:
	case PZ_TE_TELL_PRUNED:
		return PZ_EV_TRIAL_ENDED;
	default:
		return PZ_EV_TRIAL_CREATED;
	}
}

static int oom(struct pz_core *core, struct pz_error *err)
{
	return pz_core_write_failed(core, pz_error_set(err, PZ_ENOMEM,
	                                               "out of memory"), err);
}

static int write_row(struct pz_core *core, const struct pz_study *s,
                     uint32_t number, const struct pz_trial *t,
                     const char *result, struct pz_error *err)
{
	struct pz_trial_row r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.id = t->id;
	r.study_id = s->id;
	r.number = number;
	r.state = pz_tstate_name(t->state);
	r.loss = t->loss;
	r.result = result;
	r.worker = t->worker;
	r.attempt = t->attempt;
	r.reclaims = t->reclaims;
	r.started = t->started;
	r.finished = t->finished;
	if ((rc = pz_core_begin(core, err)) != 0)
		return rc;
	rc = pz_store_trial_update(core->store, &r, err);
	return rc != 0 ? pz_core_write_failed(core, rc, err) : 0;
}

/*
 * Move trial `number` to `next` (its new value, state included) by
 * `event`: check the table, write the row, then change memory. `next`'s
 * worker string is taken over (freed on failure).
 */
static int apply(struct pz_core *core, struct pz_study *s, uint32_t number,
                 enum pz_trial_event event, struct pz_trial *next,
                 const char *result, struct pz_error *err)
{
	struct pz_trial *cur = &s->trials[number];
	int from = cur->state, to = pz_trial_next(from, event), rc;

	if (to < 0) {
		if (next->worker != cur->worker)
			free(next->worker);
		return pz_error_set(err, PZ_ESTATE,
		                    "trial %lld is %s: %s is not allowed",
		                    (long long)cur->id, pz_tstate_name(from),
		                    pz_trial_event_name(event));
	}
	next->state = (unsigned char)to;
	next->run_index = cur->run_index;
	if ((rc = write_row(core, s, number, next, result, err)) != 0) {
		if (next->worker != cur->worker)
			free(next->worker);
		return rc;
	}
	if (from == PZ_T_QUEUED && to != PZ_T_QUEUED)
		pz_core_queued_remove(s, number);
	if (from == PZ_T_RUNNING && to != PZ_T_RUNNING)
		pz_core_running_remove(s, number);
	next->run_index = cur->run_index;
	if (next->worker != cur->worker)
		free(cur->worker);
	*cur = *next;
	s->counts[from]--;
	s->counts[to]++;
	if ((to == PZ_T_QUEUED && from != PZ_T_QUEUED &&
	     pz_core_queued_add(s, number) != 0) ||
	    (to == PZ_T_RUNNING && from != PZ_T_RUNNING &&
	     pz_core_running_add(s, number) != 0))
		return oom(core, err);
	if (final_state(to)) {
		if (pz_core_hist_set(s, number, pz_core_hist_state(to),
		                     to == PZ_T_OK || to == PZ_T_PRUNED ? cur->loss
		                                                        : NAN,
		                     pz_pruning_last_step(s, number)) != 0 ||
		    pz_pruning_ended(s, number, to) != 0)
			return oom(core, err);
		pz_core_update_best(s, number);
	}
	if (event != PZ_TE_HEARTBEAT)
		pz_core_event(core, s, event_kind(event), number);
	return 0;
}

int pz_trial_create(struct pz_core *core, struct pz_study *s,
                    enum pz_trial_event event, const double *values,
                    const char *worker, const char *result_text,
                    uint32_t *number, struct pz_error *err)
{
	int to = pz_trial_next(PZ_T_NEW, event), rc;
	struct pz_trial_row r;
	struct pz_trial t;
	char *text;

	if (to < 0)
		return pz_error_set(err, PZ_ESTATE, "%s does not create a trial",
		                    pz_trial_event_name(event));
	/* Never store a value the space cannot read back (resume depends on
	 * every stored trial loading again). */
	for (int i = 0; i < s->space->n_params; i++)
		if (!isnan(values[i]) && !isfinite(values[i]))
			return pz_error_set_key(err, PZ_EINVAL, "params",
			                        s->space->params[i].label,
			                        "not a finite number");
	text = pz_params_to_text(s->space, values);
	if (text == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	memset(&t, 0, sizeof(t));
	t.state = (unsigned char)to;
	t.loss = NAN;
	t.created = pz_clock_wall();
	t.started = to != PZ_T_QUEUED ? t.created : NAN;
	t.finished = to == PZ_T_FAIL ? t.created : NAN;
	t.deadline = pz_core_now(core) + s->heartbeat_timeout;
	t.worker = to == PZ_T_RUNNING && worker != NULL ? strdup(worker) : NULL;
	memset(&r, 0, sizeof(r));
	r.study_id = s->id;
	r.number = (int64_t)s->n_trials;
	r.state = pz_tstate_name(to);
	r.params = text;
	r.loss = NAN;
	r.result = to == PZ_T_FAIL ? result_text : NULL;
	r.worker = t.worker;
	r.created = t.created;
	r.started = t.started;
	r.finished = t.finished;
	if (to == PZ_T_RUNNING && worker != NULL && t.worker == NULL) {
		rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = pz_core_begin(core, err)) != 0)
		goto fail;
	rc = pz_store_trial_insert(core->store, &r, &t.id, err);
	if (rc != 0) {
		pz_core_write_failed(core, rc, err);
		goto fail;
	}
	rc = pz_core_trial_append(core, s, &t, values);
	if (rc != 0) {
		free(t.worker);
		free(text);
		return oom(core, err);
	}
	/* Keep the text for the reply: printing numbers exactly is a large
	 * part of a trial's cost. */
	free(s->fresh_params);
	s->fresh_params = text;
	s->fresh_number = (int64_t)s->n_trials - 1;
	*number = (uint32_t)s->n_trials - 1;
	pz_core_event(core, s, PZ_EV_TRIAL_CREATED, *number);
	return 0;
fail:
	free(t.worker);
	free(text);
	return rc;
}

int pz_trial_hand_out(struct pz_core *core, struct pz_study *s,
                      uint32_t number, const char *worker,
                      struct pz_error *err)
{
	struct pz_trial t = s->trials[number];
	int rc;

	t.worker = worker != NULL ? strdup(worker) : NULL;
	if (worker != NULL && t.worker == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	t.started = pz_clock_wall();
	t.finished = NAN;
	t.deadline = pz_core_now(core) + s->heartbeat_timeout;
	rc = apply(core, s, number, PZ_TE_HAND_OUT, &t, NULL, err);
	/* A new run reports from the start: the last run's reports go. */
	if (rc == 0)
		rc = pz_pruning_new_run(core, s, number, err);
	return rc;
}

/*
 * May the holder of `attempt` (< 0: not given, meaning 0) act on trial
 * `number`? `late`: a tell, which a trial that was reclaimed or released
 * and not handed out again still takes from its last holder.
 */
static int check_attempt(const struct pz_study *s, uint32_t number,
                         int64_t attempt, int late, struct pz_error *err)
{
	const struct pz_trial *t = &s->trials[number];
	int64_t a = attempt < 0 ? 0 : attempt;

	if (final_state(t->state))
		return pz_error_set(err, PZ_ESTATE,
		                    "trial %lld already finished (%s); a trial is "
		                    "told once", (long long)t->id,
		                    pz_tstate_name(t->state));
	if (t->state == PZ_T_RUNNING) {
		if (a == t->attempt)
			return 0;
		if (attempt < 0)
			return pz_error_set(err, PZ_ESTATE,
			                    "trial %lld was handed out again "
			                    "(attempt %d); without \"attempt\" a "
			                    "request speaks for attempt 0, whose "
			                    "holder lost the trial",
			                    (long long)t->id, t->attempt);
		return pz_error_set(err, PZ_ESTATE,
		                    "trial %lld was reclaimed and handed out "
		                    "again (attempt %d, yours %lld); your "
		                    "result was not recorded", (long long)t->id,
		                    t->attempt, (long long)a);
	}
	/* Queued: reclaimed or released, waiting for its next run. */
	if (!late)
		return pz_error_set(err, PZ_ESTATE,
		                    "trial %lld is not running (it was reclaimed or "
		                    "released and is queued again)",
		                    (long long)t->id);
	if (isnan(t->started))
		return pz_error_set(err, PZ_ESTATE,
		                    "trial %lld is queued and was never handed out",
		                    (long long)t->id);
	if (a != t->attempt - 1)
		return pz_error_set(err, PZ_ESTATE,
		                    "trial %lld: attempt %lld is not the last one "
		                    "handed out (%d)", (long long)t->id,
		                    (long long)a, t->attempt - 1);
	return 0;
}

int pz_trial_check_holder(const struct pz_study *s, uint32_t number,
                          int64_t attempt, struct pz_error *err)
{
	return check_attempt(s, number, attempt, 0, err);
}

int pz_trial_tell(struct pz_core *core, struct pz_study *s, uint32_t number,
                  enum pz_trial_event event, double loss,
                  const char *result_text, int64_t attempt,
                  struct pz_error *err)
{
	struct pz_trial t;
	int rc;

	if ((rc = check_attempt(s, number, attempt, 1, err)) != 0)
		return rc;
	t = s->trials[number];
	t.loss = event == PZ_TE_TELL_FAIL ? NAN : loss;
	/* A pruned trial's loss is, unless told, its last reported value. */
	if (event == PZ_TE_TELL_PRUNED && isnan(loss))
		t.loss = pz_pruning_last_value(s, number);
	t.finished = pz_clock_wall();
	return apply(core, s, number, event, &t, result_text, err);
}

int pz_trial_heartbeat(struct pz_core *core, struct pz_study *s,
                       uint32_t number, int64_t attempt,
                       struct pz_error *err)
{
	int rc;

	/* Heartbeats live in memory only: after a restart every running
	 * trial gets a fresh deadline anyway, so nothing is written. */
	if ((rc = check_attempt(s, number, attempt, 0, err)) != 0)
		return rc;
	if (pz_trial_next(s->trials[number].state, PZ_TE_HEARTBEAT) < 0)
		return pz_error_set(err, PZ_ESTATE, "trial %lld is not running",
		                    (long long)s->trials[number].id);
	s->trials[number].deadline = pz_core_now(core) + s->heartbeat_timeout;
	return 0;
}

/*
 * Running -> queued, for release and reclaim. A trial the pruner stopped
 * is not run again (the decision is final): it ends pruned instead, with
 * its last reported value as its loss.
 */
static int requeue(struct pz_core *core, struct pz_study *s, uint32_t number,
                   enum pz_trial_event event, struct pz_error *err)
{
	struct pz_trial t = s->trials[number];

	if (pz_pruning_decided(s, number)) {
		t.loss = pz_pruning_last_value(s, number);
		t.finished = pz_clock_wall();
		return apply(core, s, number, PZ_TE_TELL_PRUNED, &t, NULL, err);
	}
	t.attempt++;
	t.reclaims += event == PZ_TE_RECLAIM;
	t.worker = NULL;
	return apply(core, s, number, event, &t, NULL, err);
}

int pz_trial_release(struct pz_core *core, struct pz_study *s,
                     uint32_t number, int64_t attempt, struct pz_error *err)
{
	int rc;

	if ((rc = check_attempt(s, number, attempt, 0, err)) != 0)
		return rc;
	return requeue(core, s, number, PZ_TE_RELEASE, err);
}

size_t pz_trial_reclaim(struct pz_core *core, double now)
{
	struct pz_error err;
	size_t n = 0;

	for (struct pz_study *s = core->studies; s != NULL; s = s->next) {
		if (s->load != PZ_LOAD_YES)
			continue;
		for (size_t i = 0; i < s->n_running;) {
			uint32_t number = s->running[i];

			if (s->trials[number].deadline >= now) {
				i++;
				continue;
			}
			/* requeue swaps another running trial into slot i. */
			if (requeue(core, s, number, PZ_TE_RECLAIM, &err) != 0)
				return n;
			n++;
		}
	}
	return n;
}
