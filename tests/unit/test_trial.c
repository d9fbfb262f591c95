/*
 * The trial life cycle (daemon/trial.h), transition by transition: for
 * every state and every event, the table says what happens, and the
 * functions that apply events do exactly that: an allowed transition
 * moves the trial (in memory and in the database), a forbidden one is
 * refused with PZ_ESTATE and changes nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <parzen/json.h>
#include <parzen/tpe.h>

#include "core.h"
#include "load.h"
#include "store.h"
#include "trial.h"

/* The expected table: state reached, or -1. */
static int expected(int from, enum pz_trial_event ev)
{
	switch (from) {
	case PZ_T_NEW:
		return ev == PZ_TE_CREATE_QUEUED    ? PZ_T_QUEUED
		       : ev == PZ_TE_CREATE_RUNNING ? PZ_T_RUNNING
		       : ev == PZ_TE_CREATE_FAILED  ? PZ_T_FAIL
		                                    : -1;
	case PZ_T_QUEUED:
		return ev == PZ_TE_HAND_OUT      ? PZ_T_RUNNING
		       : ev == PZ_TE_TELL_OK     ? PZ_T_OK
		       : ev == PZ_TE_TELL_FAIL   ? PZ_T_FAIL
		       : ev == PZ_TE_TELL_PRUNED ? PZ_T_PRUNED
		                                 : -1;
	case PZ_T_RUNNING:
		return ev == PZ_TE_HEARTBEAT     ? PZ_T_RUNNING
		       : ev == PZ_TE_RELEASE     ? PZ_T_QUEUED
		       : ev == PZ_TE_RECLAIM     ? PZ_T_QUEUED
		       : ev == PZ_TE_TELL_OK     ? PZ_T_OK
		       : ev == PZ_TE_TELL_FAIL   ? PZ_T_FAIL
		       : ev == PZ_TE_TELL_PRUNED ? PZ_T_PRUNED
		                                 : -1;
	default:
		return -1; /* final */
	}
}

struct fx {
	char dir[64];
	char db[96];
	struct pz_store *store;
	struct pz_core core;
	struct pz_study *s;
};

static int setup(void **state)
{
	static const char space[] =
	        "{\"x\":{\"$hp\":\"uniform\",\"label\":\"x\",\"low\":0,"
	        "\"high\":1}}";
	struct fx *f = calloc(1, sizeof(*f));
	struct pz_study_def def;
	struct pz_tpe_config cfg;
	struct pz_error err = {0};
	cJSON *cj;
	char *cfg_text;
	int existed;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_trial.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/t.db", f->dir);
	if (pz_store_open(f->db, PZ_STORE_SYNC_NORMAL, 0, &f->store, &err) ||
	    pz_core_init(&f->core, f->store, &err))
		fail_msg("%s", err.msg);
	pz_tpe_config_default(&cfg);
	cj = pz_tpe_config_to_json(&cfg);
	cfg_text = pz_json_print(cj, NULL);
	memset(&def, 0, sizeof(def));
	def.name = "s";
	def.space_text = space;
	def.config_text = cfg_text;
	def.algo = PZ_ALGO_RANDOM;
	def.has_seed = 1;
	if (pz_core_create(&f->core, &def, 0, &f->s, &existed, &err) != 0)
		fail_msg("%s", err.msg);
	cJSON_Delete(cj);
	free(cfg_text);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char path[128];

	pz_core_finish(&f->core);
	pz_store_close(f->store);
	for (const char *sfx = ""; sfx != NULL;
	     sfx = *sfx == '\0' ? "-wal" : *sfx == '-' && sfx[1] == 'w'
	                                             ? "-shm" : NULL) {
		snprintf(path, sizeof(path), "%s%s", f->db, sfx);
		unlink(path);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static void commit(struct fx *f)
{
	struct pz_error err = {0};

	if (pz_core_commit(&f->core, &err) != 0)
		fail_msg("commit: %s", err.msg);
}

/* A new trial in state `to`, made by the transitions the table allows;
 * returns its number. */
static uint32_t trial_in(struct fx *f, int to)
{
	struct pz_error err = {0};
	double x = 0.5;
	uint32_t n;
	int rc;

	rc = pz_trial_create(&f->core, f->s,
	                     to == PZ_T_QUEUED ? PZ_TE_CREATE_QUEUED
	                                       : PZ_TE_CREATE_RUNNING,
	                     &x, "w", NULL, &n, &err);
	assert_int_equal(rc, 0);
	if (to == PZ_T_OK || to == PZ_T_FAIL || to == PZ_T_PRUNED)
		assert_int_equal(pz_trial_tell(&f->core, f->s, n,
		                               to == PZ_T_OK ? PZ_TE_TELL_OK
		                               : to == PZ_T_FAIL
		                                       ? PZ_TE_TELL_FAIL
		                                       : PZ_TE_TELL_PRUNED,
		                               0.25, NULL, 0, &err),
		                 0);
	commit(f);
	assert_int_equal(f->s->trials[n].state, to);
	return n;
}

/* The state stored in the database for trial `n`. */
static int stored_state(struct fx *f, uint32_t n)
{
	struct pz_error err = {0};
	struct pz_study *s = NULL;
	int state;

	/* Drop memory and read the study back from the file. */
	pz_core_finish(&f->core);
	if (pz_core_init(&f->core, f->store, &err) != 0 ||
	    pz_core_find(&f->core, "s", &s, &err) != 0 ||
	    pz_load_need(&f->core, NULL, s, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	f->s = s;
	state = s->trials[n].state;
	return state;
}

/* Apply `ev` to trial `n` through the function that does it. */
static int apply(struct fx *f, uint32_t n, enum pz_trial_event ev,
                 struct pz_error *err)
{
	struct pz_trial *t = &f->s->trials[n];
	int64_t attempt = t->attempt;

	switch (ev) {
	case PZ_TE_HAND_OUT:
		return pz_trial_hand_out(&f->core, f->s, n, "w2", err);
	case PZ_TE_HEARTBEAT:
		return pz_trial_heartbeat(&f->core, f->s, n, attempt, err);
	case PZ_TE_RELEASE:
		return pz_trial_release(&f->core, f->s, n, attempt, err);
	case PZ_TE_RECLAIM:
		/* Reclaim takes every running trial past its deadline: only
		 * this one's has passed. */
		for (size_t i = 0; i < f->s->n_running; i++)
			f->s->trials[f->s->running[i]].deadline = HUGE_VAL;
		t->deadline = 0;
		return pz_trial_reclaim(&f->core, 1e18) == 1
		               ? 0
		               : pz_error_set(err, PZ_ESTATE, "not reclaimed");
	case PZ_TE_TELL_OK:
	case PZ_TE_TELL_FAIL:
	case PZ_TE_TELL_PRUNED:
		/* A late tell on a queued trial speaks for the last attempt. */
		if (t->state == PZ_T_QUEUED)
			attempt--;
		return pz_trial_tell(&f->core, f->s, n, ev, 0.125, NULL,
		                     attempt, err);
	default:
		return pz_error_set(err, PZ_ESTATE, "not an event on a trial");
	}
}

static void table_is_as_documented(void **state)
{
	(void)state;
	for (int from = 0; from <= PZ_T_NEW; from++)
		for (int ev = 0; ev < PZ_TE_NEVENTS; ev++)
			if (pz_trial_next(from, ev) != expected(from, ev))
				fail_msg("%s on %s: table says %d, expected %d",
				         pz_trial_event_name(ev),
				         from == PZ_T_NEW ? "new"
				                          : pz_tstate_name(from),
				         pz_trial_next(from, ev),
				         expected(from, ev));
	assert_int_equal(pz_trial_next(-1, PZ_TE_HAND_OUT), -1);
	assert_int_equal(pz_trial_next(PZ_T_QUEUED, PZ_TE_NEVENTS), -1);
}

/* Every (state, event) pair on a real trial. */
static void every_transition(void **state)
{
	struct fx *f = *state;

	for (int from = 0; from < PZ_T_NSTATES; from++) {
		for (int ev = PZ_TE_HAND_OUT; ev < PZ_TE_NEVENTS; ev++) {
			struct pz_error err = {0};
			uint32_t n = trial_in(f, from);
			int to = expected(from, ev), rc;

			/* A queued trial takes a late tell only after it
			 * was handed out: hand it out and release it. */
			if (from == PZ_T_QUEUED && ev >= PZ_TE_TELL_OK) {
				assert_int_equal(pz_trial_hand_out(&f->core,
				                                   f->s, n, "w",
				                                   &err),
				                 0);
				assert_int_equal(pz_trial_release(&f->core, f->s,
				                                  n, 0, &err),
				                 0);
				commit(f);
			}
			rc = apply(f, n, ev, &err);
			if (to < 0) {
				if (rc != PZ_ESTATE)
					fail_msg("%s on %s: rc %d, expected a "
					         "refusal", pz_trial_event_name(ev),
					         pz_tstate_name(from), rc);
				assert_int_equal(f->s->trials[n].state, from);
				assert_false(pz_core_dirty(&f->core) &&
				             ev != PZ_TE_RECLAIM);
				continue;
			}
			if (rc != 0)
				fail_msg("%s on %s: %s", pz_trial_event_name(ev),
				         pz_tstate_name(from), err.msg);
			assert_int_equal(f->s->trials[n].state, to);
			commit(f);
			/* What memory says is what the database says. */
			assert_int_equal(stored_state(f, n), to);
		}
	}
}

/* The guards around the table: attempts, and a late tell. */
static void attempts(void **state)
{
	struct fx *f = *state;
	struct pz_error err = {0};
	uint32_t n = trial_in(f, PZ_T_RUNNING), q = trial_in(f, PZ_T_QUEUED);

	/* A queued trial never handed out takes no tell. */
	assert_int_equal(pz_trial_tell(&f->core, f->s, q, PZ_TE_TELL_OK, 1,
	                               NULL, -1, &err),
	                 PZ_ESTATE);
	/* Reclaimed and handed to someone else: neither the old holder
	 * (attempt 0) nor a request without attempt may act on it. */
	f->s->trials[n].deadline = 0;
	assert_int_equal(pz_trial_reclaim(&f->core, 1), 1);
	assert_int_equal(pz_trial_hand_out(&f->core, f->s, n, "b", &err), 0);
	assert_int_equal(f->s->trials[n].attempt, 1);
	assert_int_equal(pz_trial_tell(&f->core, f->s, n, PZ_TE_TELL_OK, 1,
	                               NULL, -1, &err),
	                 PZ_ESTATE);
	assert_non_null(strstr(err.msg, "attempt"));
	assert_int_equal(pz_trial_heartbeat(&f->core, f->s, n, 0, &err),
	                 PZ_ESTATE);
	assert_int_equal(pz_trial_tell(&f->core, f->s, n, PZ_TE_TELL_OK, 1,
	                               NULL, 0, &err),
	                 PZ_ESTATE);
	/* The holder of attempt 1 may. */
	assert_int_equal(pz_trial_heartbeat(&f->core, f->s, n, 1, &err), 0);
	assert_int_equal(pz_trial_tell(&f->core, f->s, n, PZ_TE_TELL_OK, 2,
	                               NULL, 1, &err),
	                 0);
	commit(f);
	/* Counts follow every transition. */
	assert_int_equal(f->s->counts[PZ_T_OK], 1);
	assert_int_equal(f->s->counts[PZ_T_QUEUED], 1);
	assert_int_equal(f->s->counts[PZ_T_RUNNING], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_is_as_documented),
		cmocka_unit_test_setup_teardown(every_transition, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(attempts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
