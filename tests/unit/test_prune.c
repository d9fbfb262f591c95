/*
 * Tests of lib/prune: each pruner's decision on small histories whose
 * answer was worked out by hand (the arithmetic is in the comments),
 * with the edge cases of docs/pruning.md: fewer than n_startup_trials,
 * warm-up steps, interval steps, missing steps, ties, too few
 * competitors; rungs crossed by a jump; final decisions; Hyperband's
 * brackets as a function of (seed, number) alone, with known answers
 * that pin the RNG stream they come from; decisions independent of the
 * order the history was loaded in; and the configs: defaults, every
 * setting read back from its JSON, and refusals naming their path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <parzen/json.h>
#include <parzen/prune.h>
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

static struct pz_pruner *pruner(const char *json)
{
	struct pz_pruner *p = NULL;
	struct pz_error err;
	cJSON *j = cJSON_Parse(json);

	assert_non_null(j);
	pz_error_clear(&err);
	if (pz_prune_create(j, "pruner", &p, &err) != 0)
		fail_msg("%s: %s", json, err.msg);
	cJSON_Delete(j);
	return p;
}

static void add(struct pz_reports *r, uint64_t number, int64_t step,
                double value)
{
	assert_int_equal(pz_reports_add(r, number, step, value, NULL, NULL), 0);
}

/* Trial `number` reports values[i] at steps first, first + 1, ... */
static void curve(struct pz_reports *r, uint64_t number, int64_t first,
                  int n, const double *values)
{
	for (int i = 0; i < n; i++)
		add(r, number, first + i, values[i]);
}

static void finish(struct pz_reports *r, uint64_t number)
{
	assert_int_equal(pz_reports_set_state(r, number, PZ_REPORT_OK), 0);
}

/* The decision for `number`; the call must succeed. */
static int decide(const struct pz_pruner *p, const struct pz_reports *r,
                  uint64_t number, struct pz_prune_decision *d)
{
	struct pz_prune_decision own;

	if (d == NULL)
		d = &own;
	assert_int_equal(pz_prune_decide(p, r, 42, number, d), 0);
	assert_true(d->reason[0] != '\0');
	return d->prune;
}

/* --- median ------------------------------------------------------------------ */

/*
 * Five finished trials whose values at step 3 are 1, 2, 3, 4, 5 (median
 * 3). The trial's best value so far decides, against that median, and a
 * tie is kept.
 */
static void median_rule(void **state)
{
	struct pz_reports *r = *state;
	struct pz_pruner *p = pruner("{\"kind\": \"median\"}");
	struct pz_prune_decision d;

	for (int i = 0; i < 5; i++) {
		double v[4] = {9, 8, 7, (double)(i + 1)};

		curve(r, (uint64_t)i, 0, 4, v);
		finish(r, (uint64_t)i);
	}
	/* Trial 5: 3.5 at step 3, best so far 3.5 > 3: pruned. */
	curve(r, 5, 0, 4, (double[]){9, 8, 7, 3.5});
	assert_int_equal(decide(p, r, 5, &d), 1);
	assert_true(d.step == 3);
	assert_non_null(strstr(d.reason, "median 3"));
	/* Trial 6: exactly the median: kept. */
	curve(r, 6, 0, 4, (double[]){9, 8, 7, 3});
	assert_int_equal(decide(p, r, 6, &d), 0);
	/* Trial 7: 3.5 at step 3 but 2 at step 1: its best is 2, kept. */
	curve(r, 7, 0, 4, (double[]){9, 2, 7, 3.5});
	assert_int_equal(decide(p, r, 7, NULL), 0);
	/* Trial 5 now competes with 6 and 7 (running trials count): the
	 * others' values at step 3 are 1, 2, 3, 4, 5, 3, 3.5, median 3. */
	assert_int_equal(decide(p, r, 5, NULL), 1);
	/* Step 0: the others have 9 everywhere, trial 8 reports 9.5. */
	add(r, 8, 0, 9.5);
	assert_int_equal(decide(p, r, 8, &d), 1);
	assert_non_null(strstr(d.reason, "step 0"));
	pz_prune_destroy(p);
}

/* Fewer than n_startup_trials finished: never pruned. */
static void median_startup(void **state)
{
	struct pz_reports *r = *state;
	struct pz_pruner *p = pruner("{\"kind\": \"median\", "
	                             "\"n_startup_trials\": 3}");
	struct pz_prune_decision d;

	curve(r, 0, 0, 2, (double[]){1, 1});
	finish(r, 0);
	curve(r, 1, 0, 2, (double[]){1, 1});
	finish(r, 1);
	/* Running and pruned trials do not count as finished. */
	curve(r, 2, 0, 2, (double[]){1, 1});
	curve(r, 3, 0, 2, (double[]){1, 1});
	assert_int_equal(pz_reports_set_state(r, 3, PZ_REPORT_PRUNED), 0);
	curve(r, 4, 0, 2, (double[]){50, 50});
	assert_int_equal(decide(p, r, 4, &d), 0);
	assert_non_null(strstr(d.reason, "2 of n_startup_trials 3"));
	finish(r, 2);
	assert_int_equal(decide(p, r, 4, &d), 1);
	pz_prune_destroy(p);

	/* n_startup_trials 0 prunes from the first comparison on. */
	p = pruner("{\"kind\": \"median\", \"n_startup_trials\": 0}");
	add(r, 5, 5, 0.5);
	add(r, 6, 5, 0.7);
	assert_int_equal(decide(p, r, 6, NULL), 1);
	pz_prune_destroy(p);
}

/* Warm-up steps, then checks every interval_steps from the warm-up. */
static void median_warmup_interval(void **state)
{
	struct pz_reports *r = *state;
	struct pz_pruner *p = pruner(
		"{\"kind\": \"median\", \"n_startup_trials\": 1, "
		"\"n_warmup_steps\": 2, \"interval_steps\": 3}");
	struct pz_prune_decision d;
	double good[12];

	for (int i = 0; i < 12; i++)
		good[i] = 1;
	curve(r, 0, 0, 12, good);
	finish(r, 0);
	/* Trial 1 is worse than trial 0 everywhere. Check points: 2, 5,
	 * 8, 11. */
	add(r, 1, 0, 5);
	assert_int_equal(decide(p, r, 1, &d), 0);
	assert_non_null(strstr(d.reason, "warm-up"));
	add(r, 1, 1, 5);
	assert_int_equal(decide(p, r, 1, NULL), 0);
	add(r, 1, 2, 5);
	assert_int_equal(decide(p, r, 1, NULL), 1); /* check point 2 */

	/* Trial 2 misses check point 5: it is checked at 6 instead. */
	curve(r, 2, 0, 5, (double[]){1, 1, 1, 5, 5});
	assert_int_equal(decide(p, r, 2, &d), 0); /* step 4: no point */
	assert_non_null(strstr(d.reason, "not a check point"));
	add(r, 2, 6, 5);
	/* Best so far is 1 (steps 0-2) = the median at step 6: kept. */
	assert_int_equal(decide(p, r, 2, &d), 0);
	assert_non_null(strstr(d.reason, "<= median"));
	pz_prune_destroy(p);

	/* Same, with a trial whose best is worse: pruned at 6, not at 7. */
	p = pruner("{\"kind\": \"median\", \"n_startup_trials\": 1, "
	           "\"n_warmup_steps\": 2, \"interval_steps\": 3}");
	curve(r, 3, 0, 5, (double[]){2, 2, 2, 2, 2});
	add(r, 3, 7, 2);
	/* Steps 4 then 7: point 5 was not judged, 7 is the first >= 5. */
	assert_int_equal(decide(p, r, 3, NULL), 1);
	curve(r, 4, 0, 6, (double[]){2, 2, 2, 2, 2, 2});
	assert_int_equal(decide(p, r, 4, NULL), 1); /* point 5 */
	pz_prune_destroy(p);
}

/* Missing steps and n_min_trials: nobody else at step s, no verdict. */
static void median_missing_steps(void **state)
{
	struct pz_reports *r = *state;
	struct pz_pruner *p = pruner("{\"kind\": \"median\", "
	                             "\"n_startup_trials\": 1, "
	                             "\"n_min_trials\": 2}");
	struct pz_prune_decision d;

	/* Trials 0 and 1 report at even steps only. */
	for (uint64_t i = 0; i < 2; i++) {
		for (int s = 0; s <= 8; s += 2)
			add(r, i, s, 1 + (double)i);
		finish(r, i);
	}
	add(r, 2, 3, 9);
	assert_int_equal(decide(p, r, 2, &d), 0);
	assert_non_null(strstr(d.reason, "0 other trials reported at step 3"));
	add(r, 2, 4, 9); /* others 1, 2 at step 4: median 1.5 */
	assert_int_equal(decide(p, r, 2, &d), 1);
	assert_non_null(strstr(d.reason, "median 1.5"));
	/* Only one other at step 10: fewer than n_min_trials 2. */
	add(r, 4, 10, 1);
	add(r, 3, 10, 9);
	assert_int_equal(decide(p, r, 3, &d), 0);
	assert_non_null(strstr(d.reason, "1 other trials"));
	pz_prune_destroy(p);
}

/* An even number of others: the median is the mean of the middle two;
 * percentiles interpolate linearly between order statistics. */
static void percentile_interpolation(void **state)
{
	struct pz_reports *r = *state;
	struct pz_pruner *p = pruner("{\"kind\": \"median\", "
	                             "\"n_startup_trials\": 0}");
	struct pz_pruner *q25 = pruner("{\"kind\": \"percentile\", "
	                               "\"percentile\": 25, "
	                               "\"n_startup_trials\": 0}");
	struct pz_pruner *q10 = pruner("{\"kind\": \"percentile\", "
	                               "\"percentile\": 10, "
	                               "\"n_startup_trials\": 0}");
	struct pz_pruner *q0 = pruner("{\"kind\": \"percentile\", "
	                              "\"percentile\": 0, "
	                              "\"n_startup_trials\": 0}");
	struct pz_pruner *q100 = pruner("{\"kind\": \"percentile\", "
	                                "\"percentile\": 100, "
	                                "\"n_startup_trials\": 0}");

	/* Others 4, 2, 3, 1 (in that order): median (2 + 3) / 2 = 2.5. */
	add(r, 0, 1, 4);
	add(r, 1, 1, 2);
	add(r, 2, 1, 3);
	add(r, 3, 1, 1);
	add(r, 4, 1, 2.5);
	assert_int_equal(decide(p, r, 4, NULL), 0);
	add(r, 5, 1, 2.5000001);
	assert_int_equal(decide(p, r, 5, NULL), 1);
	/* Trial 6 against 4, 2, 3, 1, 2.5, 2.5000001 (6 others):
	 * 25th percentile at h = 0.25 * 5 = 1.25 between 2 and 2.5: 2.125;
	 * 10th at h = 0.5 between 1 and 2: 1.5; 0th = 1; 100th = 4. */
	add(r, 6, 1, 2.125);
	assert_int_equal(decide(q25, r, 6, NULL), 0);
	assert_int_equal(decide(q10, r, 6, NULL), 1);
	assert_int_equal(decide(q0, r, 6, NULL), 1);
	assert_int_equal(decide(q100, r, 6, NULL), 0);
	add(r, 7, 1, 1.5);
	assert_int_equal(decide(q10, r, 7, NULL), 0);
	add(r, 8, 1, 1.0);
	assert_int_equal(decide(q0, r, 8, NULL), 0);
	add(r, 9, 1, 4.5);
	assert_int_equal(decide(q100, r, 9, NULL), 1);
	/* Ties: all others equal the trial's value: kept. */
	for (uint64_t i = 10; i < 20; i++)
		add(r, i, 2, 7);
	assert_int_equal(decide(p, r, 19, NULL), 0);
	assert_int_equal(decide(q0, r, 19, NULL), 0);
	pz_prune_destroy(p);
	pz_prune_destroy(q25);
	pz_prune_destroy(q10);
	pz_prune_destroy(q0);
	pz_prune_destroy(q100);
}

/* --- asha ------------------------------------------------------------------- */

/*
 * min_resource 1, reduction_factor 2: rungs at steps 1, 2, 4, 8. A trial
 * reaching a rung goes on if its value there is among the best
 * floor(n / 2) of the n trials that reached it (itself included), at
 * least the best one.
 */
static void asha_rungs(void **state)
{
	struct pz_reports *r = *state;
	struct pz_pruner *p = pruner("{\"kind\": \"asha\", \"min_resource\": "
	                             "1, \"reduction_factor\": 2}");
	struct pz_prune_decision d;

	/* Alone at rung 0: promoted. */
	add(r, 0, 1, 0.5);
	assert_int_equal(decide(p, r, 0, NULL), 0);
	/* Two at rung 0: only the better one (n / 2 = 1) goes on. */
	add(r, 1, 1, 0.3);
	assert_int_equal(decide(p, r, 1, NULL), 0);
	add(r, 2, 1, 0.8);
	/* n = 3: best 1 of {0.3, 0.5, 0.8}: 0.8 is out. */
	assert_int_equal(decide(p, r, 2, &d), 1);
	assert_non_null(strstr(d.reason, "rung 0 (step 1)"));
	/* n = 4 with 0.6: best 2 of {0.3, 0.5, 0.6, 0.8}: cut 0.5, out;
	 * 0.5 exactly would tie the cut and go on. */
	add(r, 3, 1, 0.6);
	assert_int_equal(decide(p, r, 3, NULL), 1);
	add(r, 4, 1, 0.5);
	/* n = 5 {0.3, 0.5, 0.5, 0.6, 0.8}: best 2, cut 0.5: a tie, kept. */
	assert_int_equal(decide(p, r, 4, NULL), 0);

	/* Between rungs nothing is judged: step 3 after rung 1 (step 2). */
	add(r, 1, 2, 0.2);
	assert_int_equal(decide(p, r, 1, NULL), 0); /* alone at rung 1 */
	add(r, 1, 3, 99);
	assert_int_equal(decide(p, r, 1, &d), 0);
	assert_non_null(strstr(d.reason, "next rung 2 at step 4"));
	pz_prune_destroy(p);
}

/* A trial that jumps over rungs is judged at each with its new value;
 * the others' value at a rung is the one at their first step >= it. */
static void asha_missing_steps(void **state)
{
	struct pz_reports *r = *state;
	struct pz_pruner *p = pruner("{\"kind\": \"asha\", \"min_resource\": "
	                             "1, \"reduction_factor\": 2}");
	struct pz_prune_decision d;

	/* Trial 0: steps 1, 3, 5 -> rung 1 (step 2) value 0.4 (at 3),
	 * rung 2 (step 4) value 0.2 (at 5). Trial 1 likewise. */
	curve(r, 0, 1, 1, (double[]){0.6});
	add(r, 0, 3, 0.4);
	add(r, 0, 5, 0.2);
	add(r, 1, 1, 0.7);
	add(r, 1, 3, 0.45);
	add(r, 1, 5, 0.25);
	/* Trial 2: step 1 (0.5) then step 6 (0.3): at step 6 it crosses
	 * rung 1 (others 0.4, 0.45 and itself 0.3: n = 3, best 1: 0.3,
	 * promoted) and rung 2 (others 0.2, 0.25, itself 0.3: out). */
	add(r, 2, 1, 0.5);
	add(r, 2, 6, 0.3);
	assert_int_equal(decide(p, r, 2, &d), 1);
	assert_non_null(strstr(d.reason, "rung 2 (step 4)"));
	/* With 0.1 it passes both. */
	add(r, 3, 1, 0.5);
	add(r, 3, 6, 0.1);
	assert_int_equal(decide(p, r, 3, NULL), 0);
	pz_prune_destroy(p);
}

/* min_early_stopping_rate and min_resource "auto". */
static void asha_rate_and_auto(void **state)
{
	struct pz_reports *r = *state;
	struct pz_pruner *p = pruner("{\"kind\": \"asha\", \"min_resource\": "
	                             "1, \"reduction_factor\": 3, "
	                             "\"min_early_stopping_rate\": 1}");
	struct pz_pruner *a = pruner("{\"kind\": \"asha\", "
	                             "\"reduction_factor\": 2}");
	struct pz_prune_decision d;

	/* Rate 1: the first rung is at 1 * 3^1 = step 3. */
	curve(r, 0, 1, 3, (double[]){0.1, 0.1, 0.1});
	curve(r, 1, 1, 2, (double[]){0.9, 0.9});
	assert_int_equal(decide(p, r, 1, &d), 0);
	assert_non_null(strstr(d.reason, "next rung 0 at step 3"));
	add(r, 1, 3, 0.9);
	assert_int_equal(decide(p, r, 1, NULL), 1);

	/* auto: nothing until a trial finished OK with reports; then
	 * max(its last step / 100, 1). Trial 2 finishes at step 400:
	 * min_resource 4, rungs 4, 8, ... */
	assert_int_equal(decide(a, r, 1, &d), 0);
	assert_non_null(strstr(d.reason, "auto"));
	add(r, 2, 400, 0.05);
	finish(r, 2);
	assert_int_equal(decide(a, r, 1, &d), 0);
	assert_non_null(strstr(d.reason, "step 4"));
	add(r, 1, 4, 0.9);
	/* Rung 0 at step 4: others' first values >= 4: 0.05 (trial 2):
	 * n = 2, best 1: trial 1 is out. */
	assert_int_equal(decide(a, r, 1, NULL), 1);
	pz_prune_destroy(p);
	pz_prune_destroy(a);
}

/* --- hyperband ------------------------------------------------------------ */

/* Brackets: how many, their shares, and known answers. */
static void hyperband_brackets(void **state)
{
	struct pz_reports *r = *state;
	struct pz_pruner *p = pruner("{\"kind\": \"hyperband\", "
	                             "\"max_resource\": 27}");
	struct pz_pruner *q = pruner("{\"kind\": \"hyperband\", "
	                             "\"max_resource\": 26}");
	struct pz_pruner *one = pruner("{\"kind\": \"hyperband\", "
	                               "\"max_resource\": 2}");
	struct pz_pruner *au = pruner("{\"kind\": \"hyperband\"}");
	struct pz_pruner *med = pruner("{\"kind\": \"median\"}");
	/* seed 42, trials 0..15, 4 brackets (from the first run of this
	 * code: a change means brackets moved under existing studies). */
	static const int known42[16] = {0, 0, 0, 0, 0, 1, 0, 2,
	                                3, 2, 2, 0, 0, 0, 0, 1};
	static const int known21[16] = {3, 0, 1, 3, 1, 0, 0, 1,
	                                0, 0, 3, 0, 0, 2, 0, 1};
	int count[4] = {0};

	/* 1, 3, 9, 27 <= 27: 4 brackets; 26 has 3; 2 has 1. */
	assert_int_equal(pz_prune_n_brackets(p, r), 4);
	assert_int_equal(pz_prune_n_brackets(q, r), 3);
	assert_int_equal(pz_prune_n_brackets(one, r), 1);
	assert_int_equal(pz_prune_n_brackets(au, r), 0);
	assert_int_equal(pz_prune_bracket(au, r, 42, 0), -1);
	assert_int_equal(pz_prune_n_brackets(med, r), 1);
	assert_int_equal(pz_prune_bracket(med, r, 42, 5), 0);
	assert_int_equal(pz_prune_bracket(one, r, 42, 5), 0);
	for (int k = 0; k < 16; k++) {
		assert_int_equal(pz_prune_bracket(p, r, 42, (uint64_t)k),
		                 known42[k]);
		assert_int_equal(pz_prune_bracket(p, r, 21, (uint64_t)k),
		                 known21[k]);
	}
	/* Shares 27 : 12 : 6 : 4 of 49 (ceil(4 * 3^s / (s + 1)) for s = 3,
	 * 2, 1, 0). 49,000 draws: within 10 % of 27,000, 12,000, ... */
	for (uint64_t k = 0; k < 49000; k++)
		count[pz_prune_bracket(p, r, 7, k)]++;
	assert_true(abs(count[0] - 27000) < 2700);
	assert_true(abs(count[1] - 12000) < 1200);
	assert_true(abs(count[2] - 6000) < 600);
	assert_true(abs(count[3] - 4000) < 400);

	/* The bracket is the same whatever the history holds. */
	for (uint64_t k = 0; k < 30; k++) {
		add(r, k, 1, (double)k);
		if (k % 3 == 0)
			finish(r, k);
	}
	for (int k = 0; k < 16; k++)
		assert_int_equal(pz_prune_bracket(p, r, 42, (uint64_t)k),
		                 known42[k]);
	/* auto: the first OK trial with reports (trial 0, last step 1)
	 * gives max_resource 2: one bracket. */
	assert_int_equal(pz_prune_n_brackets(au, r), 1);

	/* It is drawn from stream(seed, number) at block 2^63. */
	for (uint64_t k = 0; k < 100; k++) {
		struct pz_rng rng;
		uint64_t u;
		int b = 0;

		pz_rng_init(&rng, 99, k);
		rng.block = UINT64_C(1) << 63;
		u = pz_rng_below(&rng, 49);
		b = u < 27 ? 0 : u < 39 ? 1 : u < 45 ? 2 : 3;
		assert_int_equal(pz_prune_bracket(p, r, 99, k), b);
	}
	pz_prune_destroy(p);
	pz_prune_destroy(q);
	pz_prune_destroy(one);
	pz_prune_destroy(au);
	pz_prune_destroy(med);
}

/* Within a bracket: successive halving from min_resource * eta^bracket,
 * against the trials of the same bracket only. */
static void hyperband_rule(void **state)
{
	struct pz_reports *r = *state;
	struct pz_pruner *p = pruner("{\"kind\": \"hyperband\", "
	                             "\"max_resource\": 27}");
	struct pz_prune_decision d;
	/* seed 42: trials 0-4 in bracket 0 (rungs 1, 3, 9, 27), trial 5
	 * in bracket 1 (rungs 3, 9, 27), 7 in bracket 2 (9, 27). */

	/* Bracket 0, eta 3, rung 0 (step 1): n < 3 means "best one". */
	add(r, 0, 1, 0.5);
	assert_int_equal(decide(p, r, 0, &d), 0);
	assert_non_null(strstr(d.reason, "bracket 0 of 4"));
	add(r, 1, 1, 0.6);
	assert_int_equal(decide(p, r, 1, NULL), 1);
	/* Trial 5 (bracket 1) is not judged at step 1 ... */
	add(r, 5, 1, 0.9);
	assert_int_equal(decide(p, r, 5, &d), 0);
	assert_non_null(strstr(d.reason, "bracket 1 of 4, next rung 0 at "
	                                 "step 3"));
	/* ... and at step 3 it is alone in its bracket: promoted, though
	 * trial 0 (bracket 0) did better there. */
	add(r, 0, 3, 0.1);
	add(r, 5, 3, 0.9);
	assert_int_equal(decide(p, r, 5, NULL), 0);
	/* Trial 2 (bracket 0) at step 1 with 0.55: n = 3 {0.5, 0.55, 0.6},
	 * best 1: out. */
	add(r, 2, 1, 0.55);
	assert_int_equal(decide(p, r, 2, NULL), 1);
	pz_prune_destroy(p);
}

/* --- threshold and patient -------------------------------------------------- */

static void threshold_rule(void **state)
{
	struct pz_reports *r = *state;
	struct pz_pruner *p = pruner("{\"kind\": \"threshold\", "
	                             "\"upper\": 1.0}");
	struct pz_pruner *lw = pruner("{\"kind\": \"threshold\", \"lower\": "
	                              "0, \"upper\": 2, \"n_warmup_steps\": "
	                              "1, \"interval_steps\": 2}");

	add(r, 0, 0, 1.0); /* at the bound: kept */
	assert_int_equal(decide(p, r, 0, NULL), 0);
	add(r, 0, 1, 1.5);
	assert_int_equal(decide(p, r, 0, NULL), 1);
	/* The latest value decides, not the best. */
	add(r, 1, 0, 0.1);
	add(r, 1, 1, 1.01);
	assert_int_equal(decide(p, r, 1, NULL), 1);
	/* Warm-up 1, interval 2: check points 1, 3, 5. */
	add(r, 2, 0, -5);
	assert_int_equal(decide(lw, r, 2, NULL), 0);
	add(r, 2, 1, 1);
	assert_int_equal(decide(lw, r, 2, NULL), 0);
	add(r, 2, 2, -1);
	assert_int_equal(decide(lw, r, 2, NULL), 0); /* not a check */
	add(r, 2, 3, -1);
	assert_int_equal(decide(lw, r, 2, NULL), 1);
	add(r, 3, 1, 3);
	assert_int_equal(decide(lw, r, 3, NULL), 1);
	pz_prune_destroy(p);
	pz_prune_destroy(lw);
}

static void patient_rule(void **state)
{
	struct pz_reports *r = *state;
	struct pz_pruner *p = pruner("{\"kind\": \"patient\", "
	                             "\"patience\": 2}");
	struct pz_pruner *pd = pruner("{\"kind\": \"patient\", \"patience\": "
	                              "2, \"min_delta\": 0.2}");
	struct pz_pruner *pm = pruner(
		"{\"kind\": \"patient\", \"patience\": 2, \"wrapped\": "
		"{\"kind\": \"median\", \"n_startup_trials\": 0}}");
	struct pz_prune_decision d;

	/* 3 values <= patience + 1: too few to judge. */
	curve(r, 0, 0, 3, (double[]){5, 4, 3});
	assert_int_equal(decide(p, r, 0, NULL), 0);
	/* Best before the last 3 steps: 3; best in them: 3.1: no
	 * improvement, pruned. With min_delta 0.2, 3 + 0.2 < 3.1 fails:
	 * kept. */
	curve(r, 0, 3, 3, (double[]){3.5, 3.2, 3.1});
	assert_int_equal(decide(p, r, 0, &d), 1);
	assert_non_null(strstr(d.reason, "no improvement"));
	assert_int_equal(decide(pd, r, 0, NULL), 0);
	/* An equal best is no improvement either: 3 + 0 < 3 is false,
	 * kept (Optuna's strict comparison). */
	curve(r, 1, 0, 6, (double[]){5, 4, 3, 3.5, 3, 3.2});
	assert_int_equal(decide(p, r, 1, NULL), 0);
	/* Wrapped: patience says maybe, the median decides. Trial 0 is
	 * alone at step 5 with trial 1 (3.2): median 3.2, trial 0's best
	 * 3 <= 3.2: kept. */
	assert_int_equal(decide(pm, r, 0, &d), 0);
	assert_non_null(strstr(d.reason, "no improvement"));
	assert_non_null(strstr(d.reason, "median"));
	/* Trial 2 is worse than trial 1 and stalled: pruned. */
	curve(r, 2, 0, 6, (double[]){9, 8, 7, 8, 8, 8});
	assert_int_equal(decide(pm, r, 2, NULL), 1);
	pz_prune_destroy(p);
	pz_prune_destroy(pd);
	pz_prune_destroy(pm);
}

/* --- decisions ------------------------------------------------------------- */

/* Unknown, finished and pruned trials; no reports; final decisions. */
static void decision_states(void **state)
{
	struct pz_reports *r = *state;
	struct pz_pruner *p = pruner("{\"kind\": \"median\", "
	                             "\"n_startup_trials\": 1}");
	struct pz_pruner *none = pruner("{\"kind\": \"none\"}");
	struct pz_prune_decision d;

	assert_int_equal(pz_prune_decide(p, r, 1, 0, &d), PZ_ENOENT);
	curve(r, 0, 0, 3, (double[]){1, 1, 1});
	finish(r, 0);
	assert_int_equal(pz_prune_decide(p, r, 1, 0, &d), PZ_ESTATE);
	assert_int_equal(d.prune, 0);
	assert_int_equal(pz_reports_set_state(r, 1, PZ_REPORT_FAIL), 0);
	assert_int_equal(pz_prune_decide(p, r, 1, 1, &d), PZ_ESTATE);
	assert_int_equal(pz_reports_set_state(r, 2, PZ_REPORT_RUNNING), 0);
	assert_int_equal(decide(p, r, 2, &d), 0);
	assert_true(d.step == -1);
	assert_non_null(strstr(d.reason, "no reports"));
	curve(r, 2, 0, 2, (double[]){5, 5});
	assert_int_equal(decide(none, r, 2, NULL), 0);
	assert_int_equal(decide(p, r, 2, &d), 1);
	/* The caller keeps it; it stays final when the history changes
	 * (now trial 2 would be the median of 5 and 5 at step 1). */
	assert_int_equal(pz_reports_set_pruned(r, 2, d.step), 0);
	add(r, 3, 1, 5);
	add(r, 4, 1, 6);
	assert_int_equal(decide(p, r, 2, &d), 1);
	assert_true(d.step == 1);
	assert_non_null(strstr(d.reason, "final"));
	/* ... also for the "none" pruner, and as state "pruned". */
	assert_int_equal(decide(none, r, 2, NULL), 1);
	assert_int_equal(pz_reports_set_state(r, 2, PZ_REPORT_PRUNED), 0);
	assert_int_equal(decide(p, r, 2, NULL), 1);
	assert_int_equal(pz_reports_set_state(r, 5, PZ_REPORT_PRUNED), 0);
	assert_int_equal(decide(p, r, 5, NULL), 1);
	pz_prune_destroy(p);
	pz_prune_destroy(none);
}

/*
 * The decisions are a function of the history's contents: a history
 * loaded in another order (trials, steps) gives the same decision and
 * reason for every trial and every pruner, and a resent report changes
 * nothing.
 */
static void order_independent(void **state)
{
	static const char *const configs[] = {
		"{\"kind\": \"median\", \"n_startup_trials\": 3}",
		"{\"kind\": \"percentile\", \"percentile\": 30, "
		"\"n_warmup_steps\": 2, \"interval_steps\": 2}",
		"{\"kind\": \"asha\", \"min_resource\": 1, "
		"\"reduction_factor\": 3}",
		"{\"kind\": \"hyperband\", \"min_resource\": 1, "
		"\"max_resource\": 16, \"reduction_factor\": 2}",
		"{\"kind\": \"threshold\", \"upper\": 0.9}",
		"{\"kind\": \"patient\", \"patience\": 1, \"wrapped\": "
		"{\"kind\": \"median\"}}",
	};
	enum { N = 60, S = 16 };
	struct pz_reports *a = *state, *b;
	static double v[N][S];
	static int len[N];
	struct pz_rng rng;

	assert_int_equal(pz_reports_create(&b), 0);
	pz_rng_init(&rng, 3, 0);
	for (int i = 0; i < N; i++) {
		double x = pz_rng_uniform(&rng);

		len[i] = 1 + (int)pz_rng_below(&rng, S);
		for (int s = 0; s < len[i]; s++) {
			/* Curves falling towards x, then rising (over-
			 * fitting), with ties. */
			v[i][s] = floor((x + 1.0 / (1 + s) + 0.03 * s) * 20) /
			          20;
			add(a, (uint64_t)i, s, v[i][s]);
		}
		if (i % 4 == 0)
			finish(a, (uint64_t)i);
	}
	/* b: trials backwards, steps from the last; OK states set last. */
	for (int i = N - 1; i >= 0; i--)
		for (int s = len[i] - 1; s >= 0; s--)
			add(b, (uint64_t)i, s, v[i][s]);
	for (int i = N - 1; i >= 0; i--)
		if (i % 4 == 0)
			finish(b, (uint64_t)i);
	for (size_t c = 0; c < sizeof(configs) / sizeof(configs[0]); c++) {
		struct pz_pruner *p = pruner(configs[c]);
		int pruned = 0, kept = 0;

		for (int i = 0; i < N; i++) {
			struct pz_prune_decision da, db;

			if (i % 4 == 0)
				continue;
			assert_int_equal(pz_prune_decide(p, a, 5, (uint64_t)i,
			                                 &da),
			                 0);
			assert_int_equal(pz_prune_decide(p, b, 5, (uint64_t)i,
			                                 &db),
			                 0);
			assert_int_equal(da.prune, db.prune);
			assert_true(da.step == db.step);
			assert_string_equal(da.reason, db.reason);
			/* Resending the last report: the same decision. */
			assert_int_equal(pz_reports_add(a, (uint64_t)i,
			                                len[i] - 1,
			                                v[i][len[i] - 1], NULL,
			                                NULL),
			                 0);
			assert_int_equal(pz_prune_decide(p, a, 5, (uint64_t)i,
			                                 &db),
			                 0);
			assert_string_equal(da.reason, db.reason);
			pruned += da.prune;
			kept += !da.prune;
		}
		/* The history is rich enough to do both (threshold and
		 * patient too). */
		if (pruned == 0 || kept == 0)
			fail_msg("%s: %d pruned, %d kept", configs[c], pruned,
			         kept);
		pz_prune_destroy(p);
	}
	pz_reports_destroy(b);
}

/* --- configs ---------------------------------------------------------------- */

static char *to_text(const struct pz_pruner *p)
{
	cJSON *j = pz_prune_to_json(p);
	char *s;

	assert_non_null(j);
	s = pz_json_print(j, NULL);
	cJSON_Delete(j);
	assert_non_null(s);
	return s;
}

static void assert_effective(const char *in, const char *expect)
{
	struct pz_pruner *p = pruner(in), *q;
	char *s = to_text(p), *t;

	assert_string_equal(s, expect);
	/* Reading the effective config back gives the same pruner. */
	q = pruner(s);
	t = to_text(q);
	assert_string_equal(t, s);
	free(s);
	free(t);
	pz_prune_destroy(p);
	pz_prune_destroy(q);
}

static void config_defaults(void **state)
{
	struct pz_pruner *p = NULL;
	cJSON *null = cJSON_CreateNull();

	(void)state;
	assert_effective("{\"kind\": \"none\"}", "{\"kind\":\"none\"}");
	assert_effective("{\"kind\": \"median\"}",
	                 "{\"kind\":\"median\",\"n_startup_trials\":5,"
	                 "\"n_warmup_steps\":0,\"interval_steps\":1,"
	                 "\"n_min_trials\":1}");
	assert_effective("{\"kind\": \"percentile\", \"percentile\": 25.5}",
	                 "{\"kind\":\"percentile\",\"percentile\":25.5,"
	                 "\"n_startup_trials\":5,\"n_warmup_steps\":0,"
	                 "\"interval_steps\":1,\"n_min_trials\":1}");
	assert_effective("{\"kind\": \"asha\"}",
	                 "{\"kind\":\"asha\",\"min_resource\":\"auto\","
	                 "\"reduction_factor\":4,"
	                 "\"min_early_stopping_rate\":0}");
	assert_effective("{\"kind\": \"hyperband\"}",
	                 "{\"kind\":\"hyperband\",\"min_resource\":1,"
	                 "\"max_resource\":\"auto\",\"reduction_factor\":3}");
	assert_effective("{\"kind\": \"threshold\", \"upper\": 2}",
	                 "{\"kind\":\"threshold\",\"lower\":null,"
	                 "\"upper\":2,\"n_warmup_steps\":0,"
	                 "\"interval_steps\":1}");
	assert_effective("{\"kind\": \"patient\", \"patience\": 3}",
	                 "{\"kind\":\"patient\",\"patience\":3,"
	                 "\"min_delta\":0,\"wrapped\":null}");
	/* Every setting given. */
	assert_effective(
		"{\"kind\": \"patient\", \"patience\": 0, \"min_delta\": 0.5, "
		"\"wrapped\": {\"kind\": \"patient\", \"patience\": 4, "
		"\"wrapped\": {\"kind\": \"percentile\", \"percentile\": 0, "
		"\"n_startup_trials\": 0, \"n_warmup_steps\": 7, "
		"\"interval_steps\": 3, \"n_min_trials\": 9}}}",
		"{\"kind\":\"patient\",\"patience\":0,\"min_delta\":0.5,"
		"\"wrapped\":{\"kind\":\"patient\",\"patience\":4,"
		"\"min_delta\":0,\"wrapped\":{\"kind\":\"percentile\","
		"\"percentile\":0,\"n_startup_trials\":0,"
		"\"n_warmup_steps\":7,\"interval_steps\":3,"
		"\"n_min_trials\":9}}}");
	assert_effective("{\"kind\": \"asha\", \"min_resource\": 3, "
	                 "\"reduction_factor\": 2, "
	                 "\"min_early_stopping_rate\": 1}",
	                 "{\"kind\":\"asha\",\"min_resource\":3,"
	                 "\"reduction_factor\":2,"
	                 "\"min_early_stopping_rate\":1}");
	assert_effective("{\"kind\": \"hyperband\", \"min_resource\": 2, "
	                 "\"max_resource\": 2, \"reduction_factor\": 5}",
	                 "{\"kind\":\"hyperband\",\"min_resource\":2,"
	                 "\"max_resource\":2,\"reduction_factor\":5}");
	assert_effective("{\"kind\": \"threshold\", \"lower\": -1.5, "
	                 "\"upper\": null, \"n_warmup_steps\": 2, "
	                 "\"interval_steps\": 4}",
	                 "{\"kind\":\"threshold\",\"lower\":-1.5,"
	                 "\"upper\":null,\"n_warmup_steps\":2,"
	                 "\"interval_steps\":4}");
	/* NULL and null are "none". */
	assert_int_equal(pz_prune_create(NULL, "pruner", &p, NULL), 0);
	assert_int_equal(p->kind, PZ_PRUNE_NONE);
	pz_prune_destroy(p);
	assert_int_equal(pz_prune_create(null, "pruner", &p, NULL), 0);
	assert_int_equal(p->kind, PZ_PRUNE_NONE);
	pz_prune_destroy(p);
	pz_prune_destroy(NULL);
	cJSON_Delete(null);
	assert_string_equal(pz_prune_kind_name(PZ_PRUNE_HYPERBAND),
	                    "hyperband");
	assert_string_equal(pz_prune_kind_name((enum pz_prune_kind)99),
	                    "unknown");
}

/* A refused config: its code, path and message. */
static void refused(const char *json, int code, const char *path,
                    const char *msg)
{
	struct pz_pruner *p = (struct pz_pruner *)1;
	struct pz_error err;
	cJSON *j = cJSON_Parse(json);

	assert_non_null(j);
	pz_error_clear(&err);
	assert_int_equal(pz_prune_create(j, "pruner", &p, &err), code);
	assert_null(p);
	assert_string_equal(err.path, path);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", json, err.msg, msg);
	assert_true(strncmp(err.msg, path, strlen(path)) == 0);
	cJSON_Delete(j);
}

static void config_refusals(void **state)
{
	(void)state;
	refused("[]", PZ_EINVAL, "pruner", "must be an object");
	refused("{}", PZ_EINVAL, "pruner.kind", "required");
	refused("{\"kind\": \"medain\"}", PZ_EINVAL, "pruner.kind",
	        "must be one of none, median");
	refused("{\"kind\": 3}", PZ_EINVAL, "pruner.kind", "must be one of");
	refused("{\"kind\": \"percentile\", \"percentile\": 101}", PZ_ERANGE,
	        "pruner.percentile", "must be in [0, 100] (got 101)");
	refused("{\"kind\": \"percentile\", \"percentile\": -1}", PZ_ERANGE,
	        "pruner.percentile", "must be in [0, 100]");
	refused("{\"kind\": \"percentile\"}", PZ_EINVAL, "pruner.percentile",
	        "required");
	refused("{\"kind\": \"percentile\", \"percentile\": \"50\"}",
	        PZ_EINVAL, "pruner.percentile", "must be a number");
	refused("{\"kind\": \"median\", \"percentile\": 30}", PZ_EINVAL,
	        "pruner.percentile",
	        "not a setting of kind median (its settings: "
	        "n_startup_trials, n_warmup_steps, interval_steps, "
	        "n_min_trials)");
	refused("{\"kind\": \"median\", \"n_startup\": 3}", PZ_EINVAL,
	        "pruner.n_startup", "unknown setting for kind median");
	refused("{\"kind\": \"none\", \"patience\": 3}", PZ_EINVAL,
	        "pruner.patience", "(its settings: none at all)");
	refused("{\"kind\": \"median\", \"n_startup_trials\": -1}", PZ_ERANGE,
	        "pruner.n_startup_trials", "must be in [0,");
	refused("{\"kind\": \"median\", \"n_warmup_steps\": 1.5}", PZ_EINVAL,
	        "pruner.n_warmup_steps", "must be an integer");
	refused("{\"kind\": \"median\", \"interval_steps\": 0}", PZ_ERANGE,
	        "pruner.interval_steps", "must be in [1,");
	refused("{\"kind\": \"median\", \"n_min_trials\": 0}", PZ_ERANGE,
	        "pruner.n_min_trials", "must be in [1,");
	refused("{\"kind\": \"median\", \"n_warmup_steps\": 1e300}",
	        PZ_ERANGE, "pruner.n_warmup_steps", "must be in");
	refused("{\"kind\": \"asha\", \"min_resource\": 0}", PZ_ERANGE,
	        "pruner.min_resource", "must be in [1,");
	refused("{\"kind\": \"asha\", \"min_resource\": \"often\"}",
	        PZ_EINVAL, "pruner.min_resource",
	        "must be an integer or \"auto\"");
	refused("{\"kind\": \"asha\", \"reduction_factor\": 1}", PZ_ERANGE,
	        "pruner.reduction_factor", "must be in [2,");
	refused("{\"kind\": \"asha\", \"min_early_stopping_rate\": -1}",
	        PZ_ERANGE, "pruner.min_early_stopping_rate", "must be in");
	refused("{\"kind\": \"asha\", \"max_resource\": 9}", PZ_EINVAL,
	        "pruner.max_resource", "not a setting of kind asha");
	refused("{\"kind\": \"hyperband\", \"min_resource\": \"auto\"}",
	        PZ_EINVAL, "pruner.min_resource", "for hyperband");
	refused("{\"kind\": \"hyperband\", \"min_resource\": 4, "
	        "\"max_resource\": 3}",
	        PZ_ERANGE, "pruner.max_resource", "must be >= min_resource");
	refused("{\"kind\": \"threshold\"}", PZ_EINVAL, "pruner.lower",
	        "needs lower, upper or both");
	refused("{\"kind\": \"threshold\", \"lower\": null, \"upper\": null}",
	        PZ_EINVAL, "pruner.lower", "needs lower");
	refused("{\"kind\": \"threshold\", \"lower\": 2, \"upper\": 1}",
	        PZ_ERANGE, "pruner.upper", "must be >= lower");
	refused("{\"kind\": \"threshold\", \"upper\": true}", PZ_EINVAL,
	        "pruner.upper", "must be a number or null");
	refused("{\"kind\": \"patient\"}", PZ_EINVAL, "pruner.patience",
	        "required");
	refused("{\"kind\": \"patient\", \"patience\": 1, "
	        "\"min_delta\": -0.1}",
	        PZ_ERANGE, "pruner.min_delta", "must be in");
	refused("{\"kind\": \"patient\", \"patience\": 1, \"wrapped\": 3}",
	        PZ_EINVAL, "pruner.wrapped", "must be an object");
	refused("{\"kind\": \"patient\", \"patience\": 1, \"wrapped\": "
	        "{\"kind\": \"percentile\", \"percentile\": 200}}",
	        PZ_ERANGE, "pruner.wrapped.percentile", "must be in [0, 100]");
	refused("{\"kind\": \"patient\", \"patience\": 1, \"wrapped\": "
	        "{\"kind\": \"patient\", \"wrapped\": null}}",
	        PZ_EINVAL, "pruner.wrapped.patience", "required");
	refused("{\"kind\": \"patient\", \"patience\": 1, \"wrapped\": "
	        "{\"kind\": \"none\"}, \"wrapped\": {\"kind\": \"none\"}}",
	        PZ_EINVAL, "pruner.wrapped", "given twice");
	/* Nesting is bounded: PZ_PRUNE_MAX_DEPTH levels, not one more. */
	for (int depth = PZ_PRUNE_MAX_DEPTH; depth <= PZ_PRUNE_MAX_DEPTH + 1;
	     depth++) {
		char buf[2048] = "", path[256] = "pruner";
		struct pz_pruner *p = NULL;
		cJSON *j;

		for (int i = 0; i < depth; i++)
			strcat(buf, "{\"kind\": \"patient\", \"patience\": 1, "
			            "\"wrapped\": ");
		strcat(buf, "null");
		for (int i = 0; i < depth; i++)
			strcat(buf, "}");
		if (depth > PZ_PRUNE_MAX_DEPTH) {
			for (int i = 0; i < PZ_PRUNE_MAX_DEPTH; i++)
				strcat(path, ".wrapped");
			refused(buf, PZ_EINVAL, path, "nest at most 8 deep");
			continue;
		}
		j = cJSON_Parse(buf);
		assert_int_equal(pz_prune_create(j, NULL, &p, NULL), 0);
		pz_prune_destroy(p);
		cJSON_Delete(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(median_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(median_startup, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(median_warmup_interval, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(median_missing_steps, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(percentile_interpolation, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(asha_rungs, setup, teardown),
		cmocka_unit_test_setup_teardown(asha_missing_steps, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(asha_rate_and_auto, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(hyperband_brackets, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(hyperband_rule, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(threshold_rule, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(patient_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(decision_states, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(order_independent, setup,
		                                teardown),
		cmocka_unit_test(config_defaults),
		cmocka_unit_test(config_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
