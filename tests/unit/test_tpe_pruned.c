/*
 * Tests that the suggesters learn from pruned trials as Optuna's TPE
 * does (history.h, pz_history_ranks_before): on hand-built histories
 * where the three ways of seeing a pruned trial pull to different places,
 * TPE (parzen's defaults and the hyperopt preset, with the categorical
 * labels' smaller good set) and anneal suggest where the rank order says,
 * and the same histories with the pruned trials told as failed, or as ok
 * with their value, suggest elsewhere; so each test fails if pruned
 * trials were treated either way.
 *
 * Every check runs with fixed seeds, so a test always passes or always
 * fails; the thresholds leave wide margins over the observed counts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <parzen/anneal.h>
#include <parzen/history.h>
#include <parzen/space.h>
#include <parzen/suggest.h>
#include <parzen/tpe.h>

#define SEEDS 40

static const char X_SPACE[] =
	"{\"x\": {\"$hp\": \"uniform\", \"label\": \"x\", \"low\": 0, "
	"\"high\": 1}}";

/* Params: c (3 options), x. */
static const char CX_SPACE[] =
	"{\"c\": {\"$hp\": \"choice\", \"label\": \"c\", \"options\": "
	"[\"a\", \"b\", \"c\"]},"
	" \"x\": {\"$hp\": \"uniform\", \"label\": \"x\", \"low\": 0, "
	"\"high\": 1}}";

/* How a pruned trial is told to the history. */
enum as { AS_PRUNED, AS_FAILED, AS_OK };

/* A hand-built trial: its params, and how it ended. */
struct spec {
	double c, x;
	int pruned; /* else ok */
	int64_t step;
	double value; /* loss if ok, last value if pruned */
};

static struct pz_space *space_new(const char *text)
{
	struct pz_space *s;
	struct pz_error err;

	if (pz_space_create_from_text(text, strlen(text), "space", &s, &err) !=
	    0)
		fail_msg("space: %s", err.msg);
	return s;
}

static struct pz_history *build(const struct pz_space *s,
                                const struct spec *t, size_t n, enum as as)
{
	struct pz_history *h;

	assert_int_equal(pz_history_create(s, &h), 0);
	for (size_t k = 0; k < n; k++) {
		double v[2] = { t[k].c, t[k].x };
		const double *row = s->n_params == 2 ? v : v + 1;

		if (!t[k].pruned || as == AS_OK) {
			assert_int_equal(pz_history_add(h, k, row, PZ_TRIAL_OK,
			                                t[k].value),
			                 0);
		} else if (as == AS_FAILED) {
			assert_int_equal(pz_history_add(h, k, row,
			                                PZ_TRIAL_FAIL, NAN),
			                 0);
		} else {
			assert_int_equal(pz_history_add(h, k, row,
			                                PZ_TRIAL_PENDING, 0),
			                 0);
			assert_int_equal(pz_history_set_pruned(h, k, t[k].step,
			                                       t[k].value),
			                 0);
		}
	}
	return h;
}

/*
 * Over SEEDS seeds, how many suggestions of TPE (hyperopt preset or
 * parzen's defaults, no start-up; `optuna_n`: pruned_in_n) have param p
 * in [lo, hi].
 */
static int tpe_hits_n(const struct pz_space *s, const struct pz_history *h,
                      int hyperopt, int optuna_n, int p, double lo,
                      double hi)
{
	struct pz_tpe_config cfg;
	struct pz_error err;
	double out[2];
	int hits = 0;

	if (hyperopt)
		pz_tpe_config_hyperopt(&cfg);
	else
		pz_tpe_config_default(&cfg);
	cfg.n_startup = 0;
	cfg.pruned_in_n = optuna_n;
	for (uint64_t seed = 0; seed < SEEDS; seed++) {
		if (pz_tpe_suggest(s, h, &cfg, seed, h->n_slots, out, &err) != 0)
			fail_msg("pz_tpe_suggest: %s", err.msg);
		hits += out[p] >= lo && out[p] <= hi;
	}
	return hits;
}

static int tpe_hits(const struct pz_space *s, const struct pz_history *h,
                    int hyperopt, int p, double lo, double hi)
{
	return tpe_hits_n(s, h, hyperopt, 0, p, lo, hi);
}

/*
 * 8 trials pruned late (step 10, values 5..) near x = 0.85, 16 pruned
 * early (step 2, values 0.1..) near x = 0.15, no ok trial. The good set
 * is late ones: a pruned trial ranks below every trial that got further,
 * whatever its value; so the suggestions fall on the late side (x >=
 * 0.55; EI takes them just beside the good ones, where g(x) is low). As
 * failed, no trial is ranked and TPE draws from the prior; as ok with
 * their values, the early ones would be the good set.
 */
static void late_beats_low(int hyperopt)
{
	struct pz_space *s = space_new(X_SPACE);
	struct spec t[24];
	struct pz_history *h;
	int hits[3];

	for (int k = 0; k < 24; k++) {
		int late = k % 3 == 0;

		t[k] = (struct spec){ 0, late ? 0.82 + 0.008 * (k / 3)
		                              : 0.12 + 0.004 * k,
		                      1, late ? 10 : 2,
		                      late ? 5 + 0.1 * k : 0.1 + 0.01 * k };
	}
	for (int as = 0; as < 3; as++) {
		h = build(s, t, 24, (enum as)as);
		hits[as] = tpe_hits(s, h, hyperopt, 0, 0.55, 1);
		pz_history_destroy(h);
	}
	print_message("late_beats_low(%s): on the late side %d, as failed "
	              "%d, as ok %d of %d\n", hyperopt ? "hyperopt" : "parzen",
	              hits[AS_PRUNED], hits[AS_FAILED], hits[AS_OK], SEEDS);
	assert_true(hits[AS_PRUNED] >= 36);
	assert_true(hits[AS_FAILED] <= 28);
	assert_true(hits[AS_OK] <= 5);
	pz_space_destroy(s);
}

static void late_beats_low_default(void **state)
{
	(void)state;
	late_beats_low(0);
}

static void late_beats_low_hyperopt(void **state)
{
	(void)state;
	late_beats_low(1);
}

/*
 * 5 ok trials near x = 0.3 with poor losses (10..), 20 trials pruned at
 * step 10 near x = 0.85 with values far below them (0.1..). Every ok
 * trial ranks above every pruned one, so the good set (5 and 2 trials)
 * holds only the ok ones and the suggestions fall on their side (x <=
 * 0.5); as ok with their values, the pruned ones would be the good set.
 */
static void ok_first(int hyperopt)
{
	struct pz_space *s = space_new(X_SPACE);
	struct spec t[25];
	struct pz_history *h;
	int hits[3];

	for (int k = 0; k < 25; k++) {
		int ok = k % 5 == 0;

		t[k] = (struct spec){ 0, ok ? 0.28 + 0.01 * (k / 5)
		                            : 0.82 + 0.003 * k,
		                      !ok, 10, ok ? 10 + k : 0.1 + 0.01 * k };
	}
	for (int as = 0; as < 3; as++) {
		h = build(s, t, 25, (enum as)as);
		hits[as] = tpe_hits(s, h, hyperopt, 0, 0, 0.5);
		pz_history_destroy(h);
	}
	print_message("ok_first(%s): on the ok side %d, as failed %d, as "
	              "ok %d of %d\n", hyperopt ? "hyperopt" : "parzen",
	              hits[AS_PRUNED], hits[AS_FAILED], hits[AS_OK], SEEDS);
	assert_true(hits[AS_PRUNED] >= 36);
	assert_true(hits[AS_OK] <= 5);
	pz_space_destroy(s);
}

static void ok_first_default(void **state)
{
	(void)state;
	ok_first(0);
}

static void ok_first_hyperopt(void **state)
{
	(void)state;
	ok_first(1);
}

/*
 * The good set's size is taken of the trials finished ok (docs/space.md):
 * one ok trial near x = 0.3 with a poor loss, 24 trials pruned at step 10
 * near x = 0.85 with low values. The good set is the ok trial alone; with
 * pruned_in_n (Optuna's n, ok + pruned) it takes four of them as well
 * and the suggestions go to their side.
 */
static void good_set_of_ok_trials(void **state)
{
	struct pz_space *s = space_new(X_SPACE);
	struct spec t[25];
	struct pz_history *h;
	int hits, optuna;

	(void)state;
	t[0] = (struct spec){ 0, 0.3, 0, 0, 10 };
	for (int k = 1; k < 25; k++)
		t[k] = (struct spec){ 0, 0.8 + 0.004 * k, 1, 10, 0.1 + 0.01 * k };
	h = build(s, t, 25, AS_PRUNED);
	hits = tpe_hits(s, h, 0, 0, 0, 0.5);
	optuna = tpe_hits_n(s, h, 0, 1, 0, 0, 0.5);
	print_message("good_set_of_ok_trials: on the ok side %d, with "
	              "pruned_in_n %d of %d\n", hits, optuna, SEEDS);
	assert_true(hits >= 36);
	assert_true(optuna <= 5);
	pz_history_destroy(h);
	pz_space_destroy(s);
}

/*
 * Among trials pruned at the same step the lower value ranks first: 10
 * pruned at step 5, those with value 1 at option 2, those with value 2
 * at option 1; 14 pruned at step 1 with value 0 at option 0. The
 * categorical labels' good set (ceil(0.25 sqrt(24)) = 2 trials, a prefix
 * of the global order) is two of option 2, so parzen's defaults pick
 * option 2; as ok with their values, option 0; as failed, the prior.
 */
static void same_step_lower_value(void **state)
{
	struct pz_space *s = space_new(CX_SPACE);
	struct spec t[24];
	struct pz_history *h;
	int hits[3];

	(void)state;
	for (int k = 0; k < 24; k++) {
		if (k < 10)
			t[k] = (struct spec){ k % 2 ? 2 : 1, 0.1 * (k / 2), 1, 5,
			                      k % 2 ? 1 : 2 };
		else
			t[k] = (struct spec){ 0, 0.05 * (k - 10), 1, 1, 0 };
	}
	for (int as = 0; as < 3; as++) {
		h = build(s, t, 24, (enum as)as);
		hits[as] = tpe_hits(s, h, 0, 0, 2, 2);
		pz_history_destroy(h);
	}
	print_message("same_step_lower_value: option 2 %d, as failed %d, as "
	              "ok %d of %d\n", hits[AS_PRUNED], hits[AS_FAILED],
	              hits[AS_OK], SEEDS);
	assert_true(hits[AS_PRUNED] >= 30);
	assert_true(hits[AS_FAILED] <= 25);
	assert_true(hits[AS_OK] <= 10);
	pz_space_destroy(s);
}

/*
 * anneal with avg_best_idx 1 centres on the first ranked trial, and a
 * huge shrink_coef keeps the draw at it: a failed trial 0 at 0.5, an
 * early pruned trial with a low value at 0.1, a late pruned one at 0.9,
 * a pending one at 0.3. The late pruned trial is first; as failed, trial
 * 0 (by number) would be; as ok with their values, the early one.
 */
static void anneal_centre(void **state)
{
	struct pz_space *s = space_new(X_SPACE);
	struct pz_history *h;
	struct pz_anneal_config cfg;
	struct pz_error err;
	double v, out;

	(void)state;
	pz_anneal_config_default(&cfg);
	cfg.avg_best_idx = 1;
	cfg.shrink_coef = 1e6;
	assert_int_equal(pz_history_create(s, &h), 0);
	v = 0.5;
	assert_int_equal(pz_history_add(h, 0, &v, PZ_TRIAL_FAIL, NAN), 0);
	v = 0.1;
	assert_int_equal(pz_history_add(h, 1, &v, PZ_TRIAL_PENDING, 0), 0);
	assert_int_equal(pz_history_set_pruned(h, 1, 1, 0.01), 0);
	v = 0.9;
	assert_int_equal(pz_history_add(h, 2, &v, PZ_TRIAL_PENDING, 0), 0);
	assert_int_equal(pz_history_set_pruned(h, 2, 5, 3), 0);
	v = 0.3;
	assert_int_equal(pz_history_add(h, 3, &v, PZ_TRIAL_PENDING, 0), 0);
	for (uint64_t seed = 0; seed < 10; seed++) {
		assert_int_equal(pz_anneal_suggest(s, h, &cfg, seed, 4, &out,
		                                   &err),
		                 0);
		assert_true(fabs(out - 0.9) < 1e-3);
	}
	/* The early one as ok: it becomes the centre. */
	assert_int_equal(pz_history_set(h, 1, PZ_TRIAL_OK, 0.01), 0);
	assert_int_equal(pz_anneal_suggest(s, h, &cfg, 0, 4, &out, &err), 0);
	assert_true(fabs(out - 0.1) < 1e-3);
	/* Both pruned ones as failed: trial 0, first by number. */
	assert_int_equal(pz_history_set(h, 1, PZ_TRIAL_FAIL, NAN), 0);
	assert_int_equal(pz_history_set(h, 2, PZ_TRIAL_FAIL, NAN), 0);
	assert_int_equal(pz_anneal_suggest(s, h, &cfg, 0, 4, &out, &err), 0);
	assert_true(fabs(out - 0.5) < 1e-3);
	pz_history_destroy(h);
	pz_space_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(late_beats_low_default),
		cmocka_unit_test(late_beats_low_hyperopt),
		cmocka_unit_test(ok_first_default),
		cmocka_unit_test(ok_first_hyperopt),
		cmocka_unit_test(good_set_of_ok_trials),
		cmocka_unit_test(same_step_lower_value),
		cmocka_unit_test(anneal_centre),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
