/*
 * Tests of lib/reports: a trial's reports stay sorted by step whatever
 * order they arrive in; the same step with the same value is idempotent
 * and with another value refused; NaN, infinities, negative steps,
 * finished and pruned trials are refused and leave the store unchanged;
 * states and decisions are final; clear forgets a running trial's
 * reports in its columns too; and the per-step columns agree with a
 * brute-force scan of every trial through thousands of random reports.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <parzen/reports.h>
#include <parzen/rng.h>

static int setup(void **state)
{
	struct pz_reports *r;

	if (pz_reports_create(&r) != 0)
		return -1;
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	pz_reports_destroy(*state);
	return 0;
}

static void add(struct pz_reports *r, uint64_t number, int64_t step,
                double value)
{
	int added = -1;

	assert_int_equal(pz_reports_add(r, number, step, value, &added, NULL),
	                 0);
	assert_int_equal(added, 1);
}

/* The column of `step` holds exactly `n` entries, trial numbers[i]
 * having values[i], in any order. */
static void assert_column(const struct pz_reports *r, int64_t step, int n,
                          const uint32_t *numbers, const double *values)
{
	const struct pz_report_column *c = pz_reports_column(r, step);

	if (n == 0) {
		assert_true(c == NULL || c->n == 0);
		return;
	}
	assert_non_null(c);
	assert_true(c->step == step);
	assert_int_equal(c->n, n);
	for (int i = 0; i < n; i++) {
		int found = 0;

		for (uint32_t j = 0; j < c->n; j++)
			if (c->numbers[j] == numbers[i]) {
				assert_true(c->values[j] == values[i]);
				found++;
			}
		assert_int_equal(found, 1);
	}
}

/* Reports in and out of order stay sorted; look-ups find them. */
static void sorted_and_found(void **state)
{
	struct pz_reports *r = *state;
	const struct pz_report_trial *t;
	double v;

	add(r, 3, 5, 0.5);
	add(r, 3, 1, 0.9);
	add(r, 3, 10, 0.2);
	add(r, 3, 7, 0.3);
	add(r, 3, 0, 1.0);
	t = pz_reports_trial(r, 3);
	assert_non_null(t);
	assert_int_equal(t->n, 5);
	static const int64_t steps[] = {0, 1, 5, 7, 10};
	static const double values[] = {1.0, 0.9, 0.5, 0.3, 0.2};
	for (int i = 0; i < 5; i++) {
		assert_true(t->steps[i] == steps[i]);
		assert_true(t->values[i] == values[i]);
	}
	assert_true(pz_reports_last_step(t) == 10);
	assert_int_equal(pz_reports_value_at(t, 7, &v), 0);
	assert_true(v == 0.3);
	assert_int_equal(pz_reports_value_at(t, 6, &v), PZ_ENOENT);
	assert_int_equal(pz_reports_value_at(t, 11, &v), PZ_ENOENT);
	assert_int_equal(pz_reports_lower_bound(t, 0), 0);
	assert_int_equal(pz_reports_lower_bound(t, 2), 2);
	assert_int_equal(pz_reports_lower_bound(t, 7), 3);
	assert_int_equal(pz_reports_lower_bound(t, 8), 4);
	assert_int_equal(pz_reports_lower_bound(t, 11), 5);

	/* Slots below 3 do not exist; the one above neither. */
	assert_null(pz_reports_trial(r, 0));
	assert_null(pz_reports_trial(r, 4));
	assert_int_equal(r->n_trials, 1);
	assert_int_equal(r->n_slots, 4);
	assert_int_equal(r->n_reports, 5);
	assert_int_equal(t->state, PZ_REPORT_RUNNING);
	assert_true(t->prune_step == -1);

	add(r, 0, 5, 0.7);
	uint32_t nums[] = {3, 0};
	double vals[] = {0.5, 0.7};
	assert_column(r, 5, 2, nums, vals);
	assert_column(r, 10, 1, nums, (double[]){0.2});
	assert_null(pz_reports_column(r, 2));
}

/* The same step again: same value idempotent, another refused. */
static void same_step_again(void **state)
{
	struct pz_reports *r = *state;
	struct pz_error err;
	int added = -1;

	add(r, 1, 4, 0.25);
	assert_int_equal(pz_reports_add(r, 1, 4, 0.25, &added, &err), 0);
	assert_int_equal(added, 0);
	assert_int_equal(pz_reports_add(r, 1, 4, 0.26, &added, &err),
	                 PZ_EEXIST);
	assert_int_equal(added, 0);
	assert_non_null(strstr(err.msg, "step 4"));
	assert_int_equal(r->n_reports, 1);
	assert_int_equal(pz_reports_trial(r, 1)->n, 1);
	assert_true(pz_reports_trial(r, 1)->values[0] == 0.25);
	assert_column(r, 4, 1, (uint32_t[]){1}, (double[]){0.25});
}

/* Refusals return their code and leave the store as it was. */
static void refusals(void **state)
{
	struct pz_reports *r = *state;
	struct pz_error err;

	add(r, 0, 1, 1.0);
	assert_int_equal(pz_reports_add(r, 0, 2, NAN, NULL, &err), PZ_EINVAL);
	assert_non_null(strstr(err.msg, "finite"));
	assert_int_equal(pz_reports_add(r, 0, 2, INFINITY, NULL, &err),
	                 PZ_EINVAL);
	assert_int_equal(pz_reports_add(r, 0, 2, -INFINITY, NULL, &err),
	                 PZ_EINVAL);
	assert_int_equal(pz_reports_add(r, 5, 2, NAN, NULL, NULL), PZ_EINVAL);
	assert_int_equal(pz_reports_add(r, 0, -1, 1.0, NULL, &err), PZ_ERANGE);
	assert_int_equal(pz_reports_add(r, 0, PZ_REPORT_STEP_MAX + 1, 1.0,
	                                NULL, &err),
	                 PZ_ERANGE);
	assert_int_equal(pz_reports_add(r, UINT32_MAX, 1, 1.0, NULL, &err),
	                 PZ_ERANGE);
	assert_int_equal(r->n_reports, 1);
	assert_int_equal(r->n_trials, 1);
	assert_null(pz_reports_trial(r, 5));
	assert_null(pz_reports_column(r, 2));
	assert_null(pz_reports_column(r, -1));

	/* The largest step is fine. */
	add(r, 0, PZ_REPORT_STEP_MAX, 2.0);

	/* Finished trials take no new steps but accept a resent one. */
	assert_int_equal(pz_reports_set_state(r, 0, PZ_REPORT_OK), 0);
	assert_int_equal(pz_reports_add(r, 0, 3, 1.0, NULL, &err), PZ_ESTATE);
	assert_non_null(strstr(err.msg, "finished"));
	assert_int_equal(pz_reports_add(r, 0, 1, 1.0, NULL, &err), 0);
	add(r, 1, 1, 1.0);
	assert_int_equal(pz_reports_set_state(r, 1, PZ_REPORT_FAIL), 0);
	assert_int_equal(pz_reports_add(r, 1, 3, 1.0, NULL, NULL), PZ_ESTATE);
	assert_int_equal(pz_reports_set_state(r, 2, PZ_REPORT_PRUNED), 0);
	assert_int_equal(pz_reports_add(r, 2, 3, 1.0, NULL, NULL), PZ_ESTATE);
	assert_int_equal(r->n_reports, 3);
	assert_column(r, 1, 2, (uint32_t[]){0, 1}, (double[]){1.0, 1.0});
}

/* A finished state and a prune decision are final. */
static void final_states(void **state)
{
	struct pz_reports *r = *state;
	struct pz_error err;

	add(r, 0, 1, 0.5);
	add(r, 0, 2, 0.4);
	assert_int_equal(pz_reports_set_pruned(r, 0, 2), 0);
	assert_int_equal(pz_reports_set_pruned(r, 0, 2), 0);
	assert_int_equal(pz_reports_set_pruned(r, 0, 3), PZ_ESTATE);
	assert_true(pz_reports_trial(r, 0)->prune_step == 2);
	/* No new steps after the decision; a resent one is fine. */
	assert_int_equal(pz_reports_add(r, 0, 3, 0.3, NULL, &err), PZ_ESTATE);
	assert_non_null(strstr(err.msg, "pruned at step 2"));
	assert_int_equal(pz_reports_add(r, 0, 2, 0.4, NULL, &err), 0);
	assert_int_equal(pz_reports_set_state(r, 0, PZ_REPORT_PRUNED), 0);
	assert_int_equal(pz_reports_set_state(r, 0, PZ_REPORT_PRUNED), 0);
	assert_int_equal(pz_reports_set_state(r, 0, PZ_REPORT_OK), PZ_ESTATE);
	assert_int_equal(pz_reports_set_state(r, 0, PZ_REPORT_RUNNING),
	                 PZ_ESTATE);
	assert_int_equal(pz_reports_set_state(r, 1, (enum pz_report_state)9),
	                 PZ_EINVAL);
	assert_int_equal(r->n_ok, 0);

	/* n_ok and the lowest-numbered OK trial with reports. */
	assert_true(r->first_ok == -1);
	assert_int_equal(pz_reports_set_state(r, 7, PZ_REPORT_OK), 0);
	assert_int_equal(r->n_ok, 1);
	assert_true(r->first_ok == -1); /* no reports */
	add(r, 5, 3, 0.1);
	add(r, 4, 3, 0.2);
	assert_int_equal(pz_reports_set_state(r, 5, PZ_REPORT_OK), 0);
	assert_true(r->first_ok == 5);
	assert_int_equal(pz_reports_set_state(r, 4, PZ_REPORT_OK), 0);
	assert_true(r->first_ok == 4);
	assert_int_equal(r->n_ok, 3);
	assert_int_equal(pz_reports_set_state(r, 4, PZ_REPORT_OK), 0);
	assert_int_equal(r->n_ok, 3);
}

/* clear forgets a running trial's reports and decision everywhere. */
static void clear(void **state)
{
	struct pz_reports *r = *state;

	add(r, 0, 1, 0.5);
	add(r, 1, 1, 0.6);
	add(r, 1, 2, 0.4);
	assert_int_equal(pz_reports_set_pruned(r, 1, 2), 0);
	assert_int_equal(pz_reports_clear(r, 1), 0);
	assert_int_equal(pz_reports_trial(r, 1)->n, 0);
	assert_true(pz_reports_last_step(pz_reports_trial(r, 1)) == -1);
	assert_true(pz_reports_trial(r, 1)->prune_step == -1);
	assert_int_equal(r->n_reports, 1);
	assert_column(r, 1, 1, (uint32_t[]){0}, (double[]){0.5});
	assert_column(r, 2, 0, NULL, NULL);
	/* The new run reports from the start, other values welcome. */
	add(r, 1, 1, 0.7);
	assert_column(r, 1, 2, (uint32_t[]){0, 1}, (double[]){0.5, 0.7});
	assert_int_equal(pz_reports_clear(r, 9), PZ_ENOENT);
	assert_int_equal(pz_reports_set_state(r, 0, PZ_REPORT_OK), 0);
	assert_int_equal(pz_reports_clear(r, 0), PZ_ESTATE);
	assert_int_equal(pz_reports_trial(r, 0)->n, 1);
}

/*
 * Thousands of random reports (steps in random order, repeats, gaps,
 * clears): every column holds exactly the trials that reported at its
 * step with their values, and every trial's steps are ascending.
 */
static void columns_match_brute_force(void **state)
{
	enum { TRIALS = 300, STEPS = 64, OPS = 20000 };
	struct pz_reports *r = *state;
	static double truth[TRIALS][STEPS]; /* NAN: none */
	struct pz_rng rng;
	size_t total = 0;

	for (int i = 0; i < TRIALS; i++)
		for (int s = 0; s < STEPS; s++)
			truth[i][s] = NAN;
	pz_rng_init(&rng, 12, 0);
	for (int op = 0; op < OPS; op++) {
		uint64_t n = pz_rng_below(&rng, TRIALS);
		int64_t s = (int64_t)pz_rng_below(&rng, STEPS) * 3;
		double v = (double)pz_rng_below(&rng, 50) / 8;
		int added = -1, rc;

		if (pz_rng_below(&rng, 500) == 0) {
			rc = pz_reports_clear(r, n);
			assert_true(rc == 0 || rc == PZ_ENOENT);
			for (int j = 0; j < STEPS; j++)
				truth[n][j] = NAN;
			continue;
		}
		rc = pz_reports_add(r, n, s, v, &added, NULL);
		if (isnan(truth[n][s / 3])) {
			assert_int_equal(rc, 0);
			assert_int_equal(added, 1);
			truth[n][s / 3] = v;
		} else if (truth[n][s / 3] == v) {
			assert_int_equal(rc, 0);
			assert_int_equal(added, 0);
		} else {
			assert_int_equal(rc, PZ_EEXIST);
		}
	}
	for (int s = 0; s < STEPS; s++) {
		uint32_t nums[TRIALS];
		double vals[TRIALS];
		int k = 0;

		for (int i = 0; i < TRIALS; i++)
			if (!isnan(truth[i][s])) {
				nums[k] = (uint32_t)i;
				vals[k++] = truth[i][s];
			}
		assert_column(r, 3 * s, k, nums, vals);
		assert_null(pz_reports_column(r, 3 * s + 1));
		total += (size_t)k;
	}
	assert_int_equal(r->n_reports, total);
	for (uint64_t i = 0; i < TRIALS; i++) {
		const struct pz_report_trial *t = pz_reports_trial(r, i);
		uint32_t k = 0;

		if (t == NULL)
			continue;
		for (int s = 0; s < STEPS; s++) {
			if (isnan(truth[i][s]))
				continue;
			assert_true(k < t->n);
			assert_true(t->steps[k] == 3 * s);
			assert_true(t->values[k] == truth[i][s]);
			k++;
		}
		assert_int_equal(k, t->n);
		assert_true(pz_reports_last_step(t) ==
		            (k > 0 ? t->steps[k - 1] : -1));
	}
	assert_string_equal(pz_reports_state_name(PZ_REPORT_PRUNED), "pruned");
	pz_reports_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(sorted_and_found, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(same_step_again, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(final_states, setup, teardown),
		cmocka_unit_test_setup_teardown(clear, setup, teardown),
		cmocka_unit_test_setup_teardown(columns_match_brute_force,
		                                setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
