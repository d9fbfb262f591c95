/*
 * Tests of lib/anneal (hyperopt's annealing) and of the suggesters'
 * configs and mixture in lib/suggest: annealing converges on the
 * tutorial's function and beats random search there; a suggestion is a
 * pure function of (space, history, config, seed, number), so a history
 * rebuilt in another order (a resumed study) gives the same suggestions;
 * every value is valid for its kind (range, grid, active labels); the
 * centre is the best trial when the rank is pinned to 0, and trials
 * without a loss rank after the ok ones; the neighbourhood shrinks; the
 * configs parse, print and refuse bad values naming the path; a mixture
 * picks its parts with their probabilities, deterministically per (seed,
 * number), and a one-part mixture is that suggester.
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
#include <parzen/json.h>
#include <parzen/params.h>
#include <parzen/space.h>
#include <parzen/suggest.h>

#define MAX_PARAMS 32

static const char QUAD[] =
	"{\"$hp\": \"uniform\", \"label\": \"x\", \"low\": -2, \"high\": 2}";

static const char ALL_KINDS[] =
	"{\"u\": {\"$hp\": \"uniform\", \"label\": \"u\", \"low\": -3, "
	"\"high\": 7},"
	" \"qu\": {\"$hp\": \"quniform\", \"label\": \"qu\", \"low\": 0, "
	"\"high\": 10, \"q\": 2.5},"
	" \"lu\": {\"$hp\": \"loguniform\", \"label\": \"lu\", \"low\": -7, "
	"\"high\": 0},"
	" \"qlu\": {\"$hp\": \"qloguniform\", \"label\": \"qlu\", \"low\": 0, "
	"\"high\": 5, \"q\": 4},"
	" \"n\": {\"$hp\": \"normal\", \"label\": \"n\", \"mu\": 1, "
	"\"sigma\": 2},"
	" \"qn\": {\"$hp\": \"qnormal\", \"label\": \"qn\", \"mu\": 0, "
	"\"sigma\": 5, \"q\": 0.5},"
	" \"ln\": {\"$hp\": \"lognormal\", \"label\": \"ln\", \"mu\": 0, "
	"\"sigma\": 1},"
	" \"qln\": {\"$hp\": \"qlognormal\", \"label\": \"qln\", \"mu\": 1, "
	"\"sigma\": 1, \"q\": 2},"
	" \"ri\": {\"$hp\": \"randint\", \"label\": \"ri\", \"low\": -3, "
	"\"high\": 4},"
	" \"ui\": {\"$hp\": \"uniformint\", \"label\": \"ui\", \"low\": 2, "
	"\"high\": 9},"
	" \"pc\": {\"$hp\": \"pchoice\", \"label\": \"pc\", \"options\": [0, 1, "
	"2], \"p\": [0.5, 0.3, 0.2]},"
	" \"c\": {\"$hp\": \"choice\", \"label\": \"c\", \"options\": ["
	"  {\"a\": {\"$hp\": \"uniform\", \"label\": \"a\", \"low\": 0, "
	"\"high\": 1}},"
	"  {\"b\": {\"$hp\": \"choice\", \"label\": \"b\", \"options\": [1, 2, "
	"3]}},"
	"  null]}}";

/* --- helpers -------------------------------------------------------------- */

static struct pz_space *space_new(const char *text)
{
	struct pz_space *s;
	struct pz_error err;

	if (pz_space_create_from_text(text, strlen(text), "space", &s, &err) !=
	    0)
		fail_msg("space: %s", err.msg);
	assert_true(s->n_params <= MAX_PARAMS);
	return s;
}

static struct pz_history *history_new(const struct pz_space *s)
{
	struct pz_history *h;

	assert_int_equal(pz_history_create(s, &h), 0);
	return h;
}

static void anneal(const struct pz_space *s, const struct pz_history *h,
                   const struct pz_anneal_config *cfg, uint64_t seed,
                   uint64_t number, double *out)
{
	struct pz_error err;

	if (pz_anneal_suggest(s, h, cfg, seed, number, out, &err) != 0)
		fail_msg("pz_anneal_suggest: %s", err.msg);
}

static double quad(double x)
{
	return x * x - x + 1;
}

/* Best loss of `n` annealing (or random) trials on the tutorial. */
static double run_quad(int use_anneal, uint64_t seed, int n)
{
	struct pz_space *s = space_new(QUAD);
	struct pz_history *h = history_new(s);
	struct pz_anneal_config cfg;
	struct pz_error err;
	double best = INFINITY, x;

	pz_anneal_config_default(&cfg);
	for (int k = 0; k < n; k++) {
		if (use_anneal)
			anneal(s, h, &cfg, seed, (uint64_t)k, &x);
		else
			assert_int_equal(pz_suggest(s, NULL, PZ_ALGO_RANDOM, NULL,
			                            seed, (uint64_t)k, &x, &err),
			                 0);
		assert_int_equal(pz_history_add(h, (uint64_t)k, &x, PZ_TRIAL_OK,
		                                quad(x)),
		                 0);
		best = fmin(best, quad(x));
	}
	pz_history_destroy(h);
	pz_space_destroy(s);
	return best;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* --- convergence ------------------------------------------------------------ */

/* f(x) = x^2 - x + 1 over uniform(-2, 2), minimum 0.75 at x = 0.5:
 * annealing gets within 0.001 of it in 200 trials for seeds 0 to 9, and
 * its median best after 40 trials over 30 seeds is below random search's. */
static void test_converges_on_the_tutorial(void **state)
{
	double a[30], r[30];

	(void)state;
	for (uint64_t seed = 0; seed < 10; seed++)
		assert_true(run_quad(1, seed, 200) - 0.75 < 1e-3);
	for (int i = 0; i < 30; i++) {
		a[i] = run_quad(1, 100 + (uint64_t)i, 40);
		r[i] = run_quad(0, 100 + (uint64_t)i, 40);
	}
	qsort(a, 30, sizeof(double), cmp_double);
	qsort(r, 30, sizeof(double), cmp_double);
	assert_true(a[15] < r[15]);
	assert_true(a[15] - 0.75 < 1e-3);
}

/* --- determinism and resume ----------------------------------------------- */

/* Losses for a row of ALL_KINDS: something smooth in the values. */
static double loss_of(const struct pz_space *s, const double *v)
{
	double l = 0;

	for (int i = 0; i < s->n_params; i++)
		if (!isnan(v[i]))
			l += fabs(v[i] - 1.0) / (1.0 + i);
	return l;
}

/*
 * Annealing over ALL_KINDS for 120 trials (every 7th failed, every 11th
 * left pending), twice from the same start: the same suggestions. Then a
 * history holding the same trials, added in reverse order (as a daemon
 * reading another process's study might), suggests the same next trials.
 */
static void test_deterministic_and_resumes_exactly(void **state)
{
	struct pz_space *s = space_new(ALL_KINDS);
	struct pz_history *a = history_new(s), *b = history_new(s),
	                  *c = history_new(s);
	struct pz_anneal_config cfg;
	double rows[120][MAX_PARAMS], v[MAX_PARAMS], w[MAX_PARAMS];
	unsigned char st[120];

	(void)state;
	pz_anneal_config_default(&cfg);
	for (int k = 0; k < 120; k++) {
		enum pz_trial_state ts = k % 7 == 3    ? PZ_TRIAL_FAIL
		                         : k % 11 == 5 ? PZ_TRIAL_PENDING
		                                       : PZ_TRIAL_OK;

		anneal(s, a, &cfg, 42, (uint64_t)k, v);
		anneal(s, b, &cfg, 42, (uint64_t)k, w);
		assert_memory_equal(v, w, sizeof(double) * (size_t)s->n_params);
		memcpy(rows[k], v, sizeof(double) * (size_t)s->n_params);
		st[k] = (unsigned char)ts;
		pz_history_add(a, (uint64_t)k, v, ts,
		               ts == PZ_TRIAL_OK ? loss_of(s, v) : NAN);
		pz_history_add(b, (uint64_t)k, v, ts,
		               ts == PZ_TRIAL_OK ? loss_of(s, v) : NAN);
	}
	for (int k = 119; k >= 0; k--)
		pz_history_add(c, (uint64_t)k, rows[k], st[k],
		               st[k] == PZ_TRIAL_OK ? loss_of(s, rows[k]) : NAN);
	for (uint64_t k = 120; k < 140; k++) {
		anneal(s, a, &cfg, 42, k, v);
		anneal(s, c, &cfg, 42, k, w);
		assert_memory_equal(v, w, sizeof(double) * (size_t)s->n_params);
	}
	/* Another seed or another number: another suggestion. */
	anneal(s, a, &cfg, 43, 120, w);
	anneal(s, a, &cfg, 42, 120, v);
	assert_memory_not_equal(v, w, sizeof(double) * (size_t)s->n_params);
	pz_history_destroy(a);
	pz_history_destroy(b);
	pz_history_destroy(c);
	pz_space_destroy(s);
}

/* --- validity ---------------------------------------------------------------- */

/* 400 annealing suggestions over every kind: each is a valid params
 * object for the space (in range, on the grid, exactly the active
 * labels), checked by the same validation as enqueued params. */
static void test_every_value_is_valid(void **state)
{
	struct pz_space *s = space_new(ALL_KINDS);
	struct pz_history *h = history_new(s);
	struct pz_anneal_config cfg;
	struct pz_error err;
	double v[MAX_PARAMS], back[MAX_PARAMS + 1];

	(void)state;
	pz_anneal_config_default(&cfg);
	cfg.shrink_coef = 0.5; /* shrink fast: windows pressed on the bounds */
	for (int k = 0; k < 400; k++) {
		cJSON *json;
		char *text;

		anneal(s, h, &cfg, 7, (uint64_t)k, v);
		for (int i = 0; i < s->n_params; i++)
			assert_true(isnan(v[i]) || isfinite(v[i]));
		text = pz_params_to_text(s, v);
		assert_non_null(text);
		json = cJSON_Parse(text);
		if (pz_params_from_json(s, json, back, &err) != 0)
			fail_msg("trial %d: %s (%s)", k, err.msg, text);
		cJSON_Delete(json);
		free(text);
		pz_history_add(h, (uint64_t)k, v, PZ_TRIAL_OK, loss_of(s, v));
	}
	pz_history_destroy(h);
	pz_space_destroy(s);
}

/* --- the centre and the shrinking ------------------------------------------ */

static const char PAIR[] =
	"{\"x\": {\"$hp\": \"uniform\", \"label\": \"x\", \"low\": 0, "
	"\"high\": 100},"
	" \"k\": {\"$hp\": \"choice\", \"label\": \"k\", \"options\": [0, 1, 2, "
	"3, 4]}}";

/*
 * avg_best_idx = 1 pins the rank to 0: the centre is the best ok trial.
 * Trials without a loss (pending, failed) never rank before an ok one.
 * A huge shrink_coef makes the neighbourhood tiny: x lands next to the
 * best trial's x and the choice keeps its option.
 */
static void test_centre_is_the_best_trial(void **state)
{
	struct pz_space *s = space_new(PAIR);
	struct pz_history *h = history_new(s);
	struct pz_anneal_config cfg = {1.0, 1e6};
	double v[2];
	const double rows[][2] = {{10, 0}, {20, 1}, {30, 2}, {40, 3}, {50, 4}};
	const double losses[] = {5, 3, 1, 4, 2}; /* best: trial 2 */

	(void)state;
	for (int k = 0; k < 5; k++)
		pz_history_add(h, (uint64_t)k, rows[k], PZ_TRIAL_OK, losses[k]);
	/* Pending and failed trials with other values change nothing. */
	pz_history_add(h, 5, (double[]){90, 4}, PZ_TRIAL_PENDING, NAN);
	pz_history_add(h, 6, (double[]){80, 0}, PZ_TRIAL_FAIL, NAN);
	for (uint64_t k = 7; k < 57; k++) {
		anneal(s, h, &cfg, 3, k, v);
		assert_true(fabs(v[0] - 30) < 0.01);
		assert_true(v[1] == 2);
	}
	pz_history_destroy(h);
	pz_space_destroy(s);
}

/* The spread of x around the best trial's value shrinks as trials
 * accumulate: 1 / (1 + T * shrink_coef) of the range. */
static void test_neighbourhood_shrinks(void **state)
{
	struct pz_space *s = space_new(QUAD);
	struct pz_history *h = history_new(s);
	struct pz_anneal_config cfg = {1.0, 0.1};
	double x, lo = INFINITY, hi = -INFINITY;

	(void)state;
	x = 0.5;
	pz_history_add(h, 0, &x, PZ_TRIAL_OK, 0.0);
	for (uint64_t k = 1; k < 10; k++) {
		x = -1.5;
		pz_history_add(h, k, &x, PZ_TRIAL_OK, 1.0 + (double)k);
	}
	/* T = 10: width 4 / 2 = 2 around 0.5, i.e. [-0.5, 1.5). */
	for (uint64_t k = 10; k < 410; k++) {
		anneal(s, h, &cfg, 5, k, &x);
		lo = fmin(lo, x);
		hi = fmax(hi, x);
	}
	assert_true(lo >= -0.5 && hi < 1.5);
	assert_true(lo < -0.4 && hi > 1.4);
	pz_history_destroy(h);
	pz_space_destroy(s);
}

/* With no history, annealing is a prior draw: the same as random. */
static void test_empty_history_is_the_prior(void **state)
{
	struct pz_space *s = space_new(ALL_KINDS);
	struct pz_history *h = history_new(s);
	struct pz_anneal_config cfg;
	struct pz_error err;
	double v[MAX_PARAMS], w[MAX_PARAMS];

	(void)state;
	pz_anneal_config_default(&cfg);
	for (uint64_t k = 0; k < 20; k++) {
		anneal(s, h, &cfg, 11, k, v);
		assert_int_equal(pz_suggest(s, NULL, PZ_ALGO_RANDOM, NULL, 11, k,
		                            w, &err),
		                 0);
		assert_memory_equal(v, w, sizeof(double) * (size_t)s->n_params);
	}
	pz_history_destroy(h);
	pz_space_destroy(s);
}

/* --- configs ------------------------------------------------------------------- */

static int parse(enum pz_algo algo, const char *text,
                 struct pz_algo_config *cfg, struct pz_error *err)
{
	cJSON *json = cJSON_Parse(text);
	int rc;

	assert_non_null(json);
	rc = pz_algo_config_from_json(cfg, algo, json, err);
	cJSON_Delete(json);
	return rc;
}

static void expect_error(enum pz_algo algo, const char *text,
                         const char *path)
{
	struct pz_algo_config cfg;
	struct pz_error err = {0};

	assert_int_not_equal(parse(algo, text, &cfg, &err), 0);
	if (strcmp(err.path, path) != 0)
		fail_msg("%s: path %s, expected %s (%s)", text, err.path, path,
		         err.msg);
	assert_true(strncmp(err.msg, path, strlen(path)) == 0);
}

static void test_configs(void **state)
{
	struct pz_algo_config cfg;
	struct pz_error err;
	enum pz_algo algo;
	cJSON *json;
	char *text;

	(void)state;
	assert_int_equal(parse(PZ_ALGO_ANNEAL, "{\"shrink_coef\": 0.3}", &cfg,
	                       &err),
	                 0);
	assert_true(cfg.anneal.avg_best_idx == 2.0);
	assert_true(cfg.anneal.shrink_coef == 0.3);
	json = pz_algo_config_to_json(&cfg);
	text = pz_json_print(json, NULL);
	assert_string_equal(text, "{\"avg_best_idx\":2,\"shrink_coef\":0.3}");
	free(text);
	cJSON_Delete(json);
	expect_error(PZ_ALGO_ANNEAL, "{\"gamma\": 0.2}", "config.gamma");
	expect_error(PZ_ALGO_ANNEAL, "{\"avg_best_idx\": 0.5}",
	             "config.avg_best_idx");
	expect_error(PZ_ALGO_ANNEAL, "{\"shrink_coef\": -1}",
	             "config.shrink_coef");

	assert_int_equal(
		parse(PZ_ALGO_MIX,
		      "{\"components\": [{\"p\": 0.25, \"algo\": \"random\"},"
		      " {\"p\": 0.75, \"algo\": \"tpe\", \"config\": "
		      "{\"n_startup\": 3}}]}",
		      &cfg, &err),
		0);
	assert_int_equal(cfg.n_parts, 2);
	assert_int_equal(cfg.parts[1].algo, PZ_ALGO_TPE);
	assert_int_equal(cfg.parts[1].tpe.n_startup, 3);
	json = pz_algo_config_to_json(&cfg);
	text = pz_json_print(json, NULL);
	assert_non_null(strstr(text, "{\"p\":0.25,\"algo\":\"random\"}"));
	assert_non_null(strstr(text, "\"n_startup\":3"));
	free(text);
	cJSON_Delete(json);
	expect_error(PZ_ALGO_MIX, "{}", "config.components");
	expect_error(PZ_ALGO_MIX, "{\"components\": [], \"x\": 1}", "config.x");
	expect_error(PZ_ALGO_MIX, "{\"components\": [{\"p\": 0.5, \"algo\": "
	                          "\"tpe\"}]}",
	             "config.components");
	expect_error(PZ_ALGO_MIX, "{\"components\": [{\"p\": 1, \"algo\": "
	                          "\"mix\"}]}",
	             "config.components[0].algo");
	expect_error(PZ_ALGO_MIX, "{\"components\": [{\"p\": 0.5, \"algo\": "
	                          "\"random\"}, {\"p\": 0.5, \"algo\": \"tpe\", "
	                          "\"config\": {\"gamma\": 7}}]}",
	             "config.components[1].config.gamma");
	expect_error(PZ_ALGO_MIX, "{\"components\": [{\"p\": 1, \"algo\": "
	                          "\"anneal\", \"config\": {\"x\": 1}}]}",
	             "config.components[0].config.x");
	expect_error(PZ_ALGO_MIX, "{\"components\": [{\"p\": 1, \"algo\": "
	                          "\"random\", \"weight\": 1}]}",
	             "config.components[0].weight");
	assert_int_equal(pz_algo_parse("anneal", &algo), 0);
	assert_int_equal(algo, PZ_ALGO_ANNEAL);
	assert_string_equal(pz_algo_name(PZ_ALGO_MIX), "mix");
	assert_int_equal(pz_algo_parse("atpe", &algo), -1);
}

/* --- the mixture ----------------------------------------------------------------- */

/* Parts are picked with their probabilities (10,000 numbers, within
 * 2%), the same part for the same (seed, number), and a part suggests
 * exactly what its suggester alone would. */
static void test_mixture(void **state)
{
	struct pz_space *s = space_new(QUAD);
	struct pz_history *h = history_new(s);
	struct pz_algo_config cfg, alone;
	struct pz_error err;
	int counts[3] = {0};
	double x, y;

	(void)state;
	assert_int_equal(
		parse(PZ_ALGO_MIX,
		      "{\"components\": [{\"p\": 0.2, \"algo\": \"random\"},"
		      " {\"p\": 0.3, \"algo\": \"anneal\"},"
		      " {\"p\": 0.5, \"algo\": \"tpe\"}]}",
		      &cfg, &err),
		0);
	for (uint64_t k = 0; k < 10000; k++) {
		int part = pz_mix_pick(&cfg, 17, k);

		assert_int_equal(part, pz_mix_pick(&cfg, 17, k));
		counts[part]++;
	}
	assert_true(abs(counts[0] - 2000) < 200);
	assert_true(abs(counts[1] - 3000) < 200);
	assert_true(abs(counts[2] - 5000) < 200);
	for (uint64_t k = 0; k < 60; k++) {
		int part = pz_mix_pick(&cfg, 17, k);

		assert_int_equal(pz_suggest_with(s, h, &cfg, 17, k, &x, &err), 0);
		assert_int_equal(parse(part == 0   ? PZ_ALGO_RANDOM
		                       : part == 1 ? PZ_ALGO_ANNEAL
		                                   : PZ_ALGO_TPE,
		                       "{}", &alone, &err),
		                 0);
		assert_int_equal(pz_suggest_with(s, h, &alone, 17, k, &y, &err),
		                 0);
		assert_true(x == y);
		pz_history_add(h, k, &x, PZ_TRIAL_OK, quad(x));
	}
	pz_history_destroy(h);
	pz_space_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_converges_on_the_tutorial),
		cmocka_unit_test(test_deterministic_and_resumes_exactly),
		cmocka_unit_test(test_every_value_is_valid),
		cmocka_unit_test(test_centre_is_the_best_trial),
		cmocka_unit_test(test_neighbourhood_shrinks),
		cmocka_unit_test(test_empty_history_is_the_prior),
		cmocka_unit_test(test_configs),
		cmocka_unit_test(test_mixture),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
