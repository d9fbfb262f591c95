/*
 * Reports and prune decisions of a study's trials, store first and memory
 * after; see pruning.h.
 */
#include "pruning.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <parzen/json.h>

#include "trial.h"

enum pz_report_state pz_pruning_state(int tstate)
{
	switch (tstate) {
	case PZ_T_OK:
		return PZ_REPORT_OK;
	case PZ_T_FAIL:
		return PZ_REPORT_FAIL;
	case PZ_T_PRUNED:
		return PZ_REPORT_PRUNED;
	default:
		return PZ_REPORT_RUNNING;
	}
}

int pz_pruning_parse(const char *text, struct pz_pruner **out,
                     struct pz_error *err)
{
	cJSON *json = NULL;
	int rc;

	if (text != NULL &&
	    (json = cJSON_ParseWithOpts(text, NULL, 1)) == NULL)
		return pz_error_set(err, PZ_EINVAL, "pruner: not JSON");
	rc = pz_prune_create(json, "pruner", out, err);
	cJSON_Delete(json);
	return rc;
}

/*
 * Set the states of the finished ones of trials[0..n) in `r`, trials[i]
 * being trial number base + i.
 */
static int mirror_states(struct pz_reports *r, const struct pz_trial *trials,
                         size_t n, size_t base)
{
	for (size_t i = 0; i < n; i++) {
		enum pz_report_state st = pz_pruning_state(trials[i].state);
		int rc;

		if (st != PZ_REPORT_RUNNING &&
		    (rc = pz_reports_set_state(r, base + i, st)) != 0)
			return rc;
	}
	return 0;
}

/* s->reports, made (with every trial's state) if the study has none. */
static int ensure(struct pz_study *s)
{
	struct pz_reports *r;

	if (s->reports != NULL)
		return 0;
	if (pz_reports_create(&r) != 0)
		return PZ_ENOMEM;
	if (mirror_states(r, s->trials, s->n_trials, 0) != 0) {
		pz_reports_destroy(r);
		return PZ_ENOMEM;
	}
	s->reports = r;
	return 0;
}

static const struct pz_report_trial *rtrial(const struct pz_study *s,
                                            uint32_t number)
{
	return s->reports != NULL ? pz_reports_trial(s->reports, number)
	                          : NULL;
}

int pz_pruning_decided(const struct pz_study *s, uint32_t number)
{
	const struct pz_report_trial *t = rtrial(s, number);

	return t != NULL && t->prune_step >= 0;
}

int pz_pruning_has_reports(const struct pz_study *s, uint32_t number)
{
	const struct pz_report_trial *t = rtrial(s, number);

	return t != NULL && (t->n > 0 || t->prune_step >= 0);
}

double pz_pruning_last_value(const struct pz_study *s, uint32_t number)
{
	const struct pz_report_trial *t = rtrial(s, number);

	return t != NULL && t->n > 0 ? t->values[t->n - 1] : NAN;
}

int64_t pz_pruning_last_step(const struct pz_study *s, uint32_t number)
{
	const struct pz_report_trial *t = rtrial(s, number);

	return t != NULL ? pz_reports_last_step(t) : -1;
}

static int oom(struct pz_core *core, struct pz_error *err)
{
	return pz_core_write_failed(core, pz_error_set(err, PZ_ENOMEM,
	                                               "out of memory"), err);
}

/* Check a report before anything is written; *added 0: stored already. */
static int check(const struct pz_study *s, uint32_t number, int64_t attempt,
                 int64_t step, double value, int *added,
                 struct pz_error *err)
{
	const struct pz_trial *tr = &s->trials[number];
	const struct pz_report_trial *t = rtrial(s, number);
	char was[32];
	double old;
	int rc;

	if (tr->state == PZ_T_OK || tr->state == PZ_T_FAIL ||
	    tr->state == PZ_T_PRUNED)
		return pz_error_set(err, PZ_ESTATE,
		                    "trial %lld already finished (%s); a "
		                    "finished trial takes no reports",
		                    (long long)tr->id, pz_tstate_name(tr->state));
	if ((rc = pz_trial_check_holder(s, number, attempt, err)) != 0)
		return rc;
	*added = 1;
	if (t != NULL && pz_reports_value_at(t, step, &old) == 0) {
		if (old == value) {
			*added = 0;
			return 0;
		}
		pz_json_number(was, sizeof(was), old);
		return pz_error_set_at(err, PZ_EEXIST, "params.value",
		                       "trial %lld reported %s at step %lld "
		                       "already; a step's value cannot change "
		                       "(report the next step instead)",
		                       (long long)tr->id, was, (long long)step);
	}
	if (t != NULL && t->prune_step >= 0)
		return pz_error_set(err, PZ_ESTATE,
		                    "trial %lld was pruned at step %lld: it "
		                    "takes no other step (stop it and tell it "
		                    "\"pruned\")", (long long)tr->id,
		                    (long long)t->prune_step);
	return 0;
}

int pz_pruning_report(struct pz_core *core, struct pz_study *s,
                      uint32_t number, int64_t attempt, int64_t step,
                      double value, int *added,
                      struct pz_prune_decision *d, struct pz_error *err)
{
	struct pz_trial *tr = &s->trials[number];
	int rc, decided;

	assert(s->pruner != NULL);
	memset(d, 0, sizeof(*d));
	d->step = -1;
	if (!isfinite(value))
		return pz_error_set_at(err, PZ_EINVAL, "params.value",
		                       "must be a finite number");
	if (step < 0 || step > PZ_REPORT_STEP_MAX)
		return pz_error_set_at(err, PZ_ERANGE, "params.step",
		                       "must be an integer from 0 to 2^53 - 1");
	if ((rc = check(s, number, attempt, step, value, added, err)) != 0)
		return rc;
	if (*added) {
		if ((rc = pz_core_begin(core, err)) != 0)
			return rc;
		rc = pz_store_report_insert(core->store, tr->id, step, value,
		                            err);
		if (rc != 0)
			return pz_core_write_failed(core, rc, err);
		if (ensure(s) != 0 ||
		    pz_reports_add(s->reports, number, step, value, NULL,
		                   err) != 0)
			return oom(core, err);
	}
	/* A report is a sign of life, as a heartbeat. */
	tr->deadline = pz_core_now(core) + s->heartbeat_timeout;
	decided = pz_pruning_decided(s, number);
	/* The only failure left is memory: then nothing of this request
	 * may be recorded, the report included. */
	if (pz_prune_decide(s->pruner, s->reports, s->seed, number, d) != 0)
		return oom(core, err);
	if (d->prune && !decided) {
		/* Final: kept with the trial, in the same batch. */
		if ((rc = pz_core_begin(core, err)) != 0)
			return rc;
		rc = pz_store_trial_set_prune_step(core->store, tr->id, d->step,
		                                   err);
		if (rc != 0)
			return pz_core_write_failed(core, rc, err);
		if (pz_reports_set_pruned(s->reports, number, d->step) != 0)
			return oom(core, err);
	}
	if (*added) {
		core->event_step = step;
		core->event_value = value;
		pz_core_event(core, s, PZ_EV_TRIAL_REPORTED, number);
	}
	return 0;
}

int pz_pruning_ended(struct pz_study *s, uint32_t number, int tstate)
{
	int rc;

	if (s->reports == NULL)
		return 0;
	rc = pz_reports_set_state(s->reports, number, pz_pruning_state(tstate));
	return rc == PZ_ENOMEM ? rc : 0;
}

int pz_pruning_new_run(struct pz_core *core, struct pz_study *s,
                       uint32_t number, struct pz_error *err)
{
	int rc;

	if (!pz_pruning_has_reports(s, number))
		return 0;
	if ((rc = pz_core_begin(core, err)) != 0)
		return rc;
	rc = pz_store_report_clear(core->store, s->trials[number].id, err);
	if (rc != 0)
		return pz_core_write_failed(core, rc, err);
	pz_reports_clear(s->reports, number);
	return 0;
}

/* Set the states of trials [from, to) of `s` in `r` (finished ones). */
static int mirror_range(struct pz_reports *r, const struct pz_study *s,
                        size_t from, size_t to)
{
	return mirror_states(r, s->trials + from, to - from, from);
}

int pz_pruning_import(struct pz_core *core, struct pz_study *s, int64_t first,
                      const struct pz_import_trial *trials, size_t n,
                      struct pz_error *err)
{
	size_t base = (size_t)first;
	const cJSON *pair;
	int rc, any = 0;

	for (size_t i = 0; i < n; i++) {
		cJSON_ArrayForEach(pair, trials[i].intermediate)
		{
			if ((rc = pz_core_begin(core, err)) != 0)
				return rc;
			rc = pz_store_report_insert(
			        core->store, s->trials[base + i].id,
			        (int64_t)pair->child->valuedouble,
			        pair->child->next->valuedouble, err);
			if (rc != 0)
				return pz_core_write_failed(core, rc, err);
			any = 1;
		}
	}
	if (!any && s->reports == NULL)
		return 0;
	/* The trials before this part as they are; then this part's
	 * reports before its states (a finished trial takes no new step). */
	if (s->reports == NULL &&
	    (pz_reports_create(&s->reports) != 0 ||
	     mirror_range(s->reports, s, 0, base) != 0))
		return oom(core, err);
	for (size_t i = 0; i < n; i++) {
		cJSON_ArrayForEach(pair, trials[i].intermediate)
		{
			if (pz_reports_add(s->reports, base + i,
			                   (int64_t)pair->child->valuedouble,
			                   pair->child->next->valuedouble, NULL,
			                   err) != 0)
				return oom(core, err);
		}
	}
	if (mirror_range(s->reports, s, base, base + n) != 0)
		return oom(core, err);
	return 0;
}

int pz_pruning_load_add(struct pz_reports **reports, int64_t number,
                        int64_t step, double value, struct pz_error *err)
{
	struct pz_error e = {0};
	int rc;

	if (*reports == NULL && pz_reports_create(reports) != 0)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	rc = pz_reports_add(*reports, (uint64_t)number, step, value, NULL, &e);
	if (rc == PZ_ENOMEM)
		return pz_error_set(err, rc, "out of memory");
	if (rc != 0)
		return pz_error_set(err, PZ_EINVAL, "trial %lld's report at "
		                    "step %lld cannot be read back: %s",
		                    (long long)number, (long long)step, e.msg);
	return 0;
}

int pz_pruning_load_finish(struct pz_reports **reports,
                           const struct pz_trial *trials, size_t n,
                           const int64_t *numbers, const int64_t *steps,
                           size_t n_decisions, struct pz_error *err)
{
	int rc;

	if (*reports == NULL && n_decisions == 0)
		return 0;
	if (*reports == NULL && pz_reports_create(reports) != 0)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	if (mirror_states(*reports, trials, n, 0) != 0)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	for (size_t i = 0; i < n_decisions; i++) {
		if (numbers[i] < 0 || (size_t)numbers[i] >= n)
			return pz_error_set(err, PZ_EINVAL, "a prune decision for "
			                    "trial number %lld, which does not "
			                    "exist", (long long)numbers[i]);
		rc = pz_reports_set_pruned(*reports, (uint64_t)numbers[i],
		                           steps[i]);
		if (rc == PZ_ENOMEM)
			return pz_error_set(err, rc, "out of memory");
		if (rc != 0)
			return pz_error_set(err, PZ_EINVAL, "trial %lld's prune "
			                    "decision (step %lld) cannot be read "
			                    "back", (long long)numbers[i],
			                    (long long)steps[i]);
	}
	return 0;
}
