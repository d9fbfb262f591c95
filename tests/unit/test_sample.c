/*
 * Tests of lib/sample: the prior of every hyperparameter kind against its
 * analytic distribution (hyperopt's semantics), the range and grid of every
 * draw, prior sampling of a conditional space (inactive labels are NAN),
 * the params JSON round trip of prior draws, and pz_sample_quantize's rounding.
 *
 * Goodness of fit is a Kolmogorov-Smirnov test at the 0.1% level for every
 * kind, 20,000 draws each. Continuous kinds use the usual statistic
 * sup |F_emp - F| and the asymptotic critical value 1.9495 / sqrt(n).
 * Quantized, integer and categorical kinds use the same statistic on the
 * exact discrete CDF, taken over the support points (where both CDFs jump,
 * so it is the supremum over all x) with the same critical value; for a
 * discrete law that value is conservative, so a failure is real evidence.
 * The discrete CDF of a quantized draw X = round(Y / q) * q (round half to
 * even) is P(X <= kq) = P(Y < (k + 1/2) q), from the CDF of the underlying
 * Y (ties have probability zero). Every draw comes from a fixed RNG stream,
 * so the tests are deterministic.
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

#include <parzen/params.h>
#include <parzen/sample.h>

#define SEED UINT64_C(0x9a12e4e5a3b1e001)
#define N_DRAWS 20000
#define KS_CRIT_001 1.9495

typedef double cdf_fn(const struct pz_param *p, double x);

static double clamp01(double t)
{
	return fmin(1.0, fmax(0.0, t));
}

static double phi(double z)
{
	return 0.5 * erfc(-z * M_SQRT1_2);
}

static double cdf_uniform(const struct pz_param *p, double x)
{
	return clamp01((x - p->low) / (p->high - p->low));
}

static double cdf_quniform(const struct pz_param *p, double x)
{
	return cdf_uniform(p, x + p->q / 2);
}

/* exp(Y), Y uniform in [low, high): low and high are in log space. */
static double cdf_loguniform(const struct pz_param *p, double x)
{
	return x <= 0 ? 0 : cdf_uniform(p, log(x));
}

static double cdf_qloguniform(const struct pz_param *p, double x)
{
	return cdf_loguniform(p, x + p->q / 2);
}

static double cdf_normal(const struct pz_param *p, double x)
{
	return phi((x - p->mu) / p->sigma);
}

static double cdf_qnormal(const struct pz_param *p, double x)
{
	return cdf_normal(p, x + p->q / 2);
}

static double cdf_lognormal(const struct pz_param *p, double x)
{
	return x <= 0 ? 0 : cdf_normal(p, log(x));
}

static double cdf_qlognormal(const struct pz_param *p, double x)
{
	return cdf_lognormal(p, x + p->q / 2);
}

/* Uniform over the integers low .. high - 1. */
static double cdf_randint(const struct pz_param *p, double x)
{
	return clamp01((floor(x) - p->low + 1) / (p->high - p->low));
}

/* Uniform over the integers low .. high. */
static double cdf_uniformint(const struct pz_param *p, double x)
{
	return clamp01((floor(x) - p->low + 1) / (p->high - p->low + 1));
}

static double cdf_choice(const struct pz_param *p, double x)
{
	return clamp01((floor(x) + 1) / p->n_options);
}

static double cdf_pchoice(const struct pz_param *p, double x)
{
	double acc = 0;

	for (int i = 0; i < p->n_options && i <= x; i++)
		acc += p->p[i];
	return acc;
}

/*
 * One hyperparameter per case, label "x<index>" in the space the group
 * setup builds. `step` is the spacing of the support (q, or 1 for integer
 * and categorical kinds), 0 for continuous kinds. `cdf` is P(X <= x),
 * exact at the support points of discrete kinds.
 */
static const struct dist_case {
	const char *args;
	double step;
	cdf_fn *cdf;
} cases[] = {
	{"\"$hp\": \"uniform\", \"low\": -2, \"high\": 5", 0, cdf_uniform},
	/* Bounds off the grid. */
	{"\"$hp\": \"quniform\", \"low\": -1.3, \"high\": 7.9, \"q\": 0.7",
	 0.7, cdf_quniform},
	/* Bounds on the grid: the end points get half the others' mass. */
	{"\"$hp\": \"quniform\", \"low\": 0, \"high\": 10, \"q\": 1",
	 1, cdf_quniform},
	{"\"$hp\": \"loguniform\", \"low\": -2, \"high\": 3",
	 0, cdf_loguniform},
	/* exp(-3) < q / 2, so 0 is in the support. */
	{"\"$hp\": \"qloguniform\", \"low\": -3, \"high\": 3, \"q\": 0.5",
	 0.5, cdf_qloguniform},
	{"\"$hp\": \"normal\", \"mu\": -1.5, \"sigma\": 2", 0, cdf_normal},
	{"\"$hp\": \"qnormal\", \"mu\": 1, \"sigma\": 3, \"q\": 0.5",
	 0.5, cdf_qnormal},
	{"\"$hp\": \"lognormal\", \"mu\": 0.5, \"sigma\": 0.8",
	 0, cdf_lognormal},
	{"\"$hp\": \"qlognormal\", \"mu\": 0.5, \"sigma\": 0.8, \"q\": 0.25",
	 0.25, cdf_qlognormal},
	{"\"$hp\": \"randint\", \"low\": -3, \"high\": 7", 1, cdf_randint},
	{"\"$hp\": \"randint\", \"high\": 5", 1, cdf_randint},
	{"\"$hp\": \"uniformint\", \"low\": 2, \"high\": 9", 1, cdf_uniformint},
	{"\"$hp\": \"choice\", \"options\": [\"a\", \"b\", \"c\", \"d\", "
	 "\"e\"]",
	 1, cdf_choice},
	{"\"$hp\": \"pchoice\", \"options\": [1, 2, 3, 4], "
	 "\"p\": [0.1, 0.2, 0.3, 0.4]", 1, cdf_pchoice},
	/* An option of probability 0 is never drawn. */
	{"\"$hp\": \"pchoice\", \"options\": [1, 2, 3], \"p\": [0.25, 0, 0.75]",
	 1, cdf_pchoice},
};

#define N_CASES ((int)(sizeof(cases) / sizeof(cases[0])))

/* Group state: the space {"x0": case 0, "x1": case 1, ...}. */
static struct pz_space *all_kinds;

static const struct pz_param *case_param(int i)
{
	char label[16];
	int idx;

	snprintf(label, sizeof(label), "x%d", i);
	idx = pz_space_find(all_kinds, label);
	assert_true(idx >= 0);
	return &all_kinds->params[idx];
}

static struct pz_space *space_from_text(const char *text)
{
	struct pz_space *s = NULL;
	struct pz_error err;

	if (pz_space_create_from_text(text, strlen(text), "space", &s,
	                              &err) != 0)
		fail_msg("space: %s", err.msg);
	return s;
}

static int setup_all_kinds(void **state)
{
	char text[4096];
	size_t len = 0;

	(void)state;
	len += (size_t)snprintf(text + len, sizeof(text) - len, "{");
	for (int i = 0; i < N_CASES; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		                        "%s\"x%d\": {\"label\": \"x%d\", %s}",
		                        i ? ", " : "", i, i, cases[i].args);
	len += (size_t)snprintf(text + len, sizeof(text) - len, "}");
	if (len >= sizeof(text))
		return -1;
	all_kinds = space_from_text(text);
	return all_kinds == NULL ? -1 : 0;
}

static int teardown_all_kinds(void **state)
{
	(void)state;
	pz_space_destroy(all_kinds);
	all_kinds = NULL;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * N_DRAWS draws of case i from its own stream, sorted. They must be finite:
 * a NAN would neither sort nor count in the statistics below.
 */
static void draw_sorted(int i, double *xs)
{
	const struct pz_param *p = case_param(i);
	struct pz_rng rng;

	pz_rng_init(&rng, SEED, (uint64_t)i);
	for (int k = 0; k < N_DRAWS; k++) {
		xs[k] = pz_sample_param(p, &rng);
		if (!isfinite(xs[k]))
			fail_msg("case %d (%s): draw %d is %g", i,
			         pz_space_kind_name(p->kind), k, xs[k]);
	}
	qsort(xs, N_DRAWS, sizeof(xs[0]), cmp_double);
}

/* sup |F_emp - F| over sorted continuous draws. */
static double ks_continuous(const double *xs, int n,
                            const struct pz_param *p, cdf_fn *cdf)
{
	double d = 0;

	for (int i = 0; i < n; i++) {
		double f = cdf(p, xs[i]);

		d = fmax(d, fmax(f - (double)i / n, (double)(i + 1) / n - f));
	}
	return d;
}

/*
 * sup |F_emp - F| for draws on the grid k * step. Between support points
 * both CDFs are flat, below the grid point under the smallest draw F_emp is
 * 0 and F smaller than there, above the largest F_emp is 1 and F larger:
 * so the maximum over those grid points is the supremum over all x.
 */
static double ks_discrete(const double *xs, int n, double step,
                          const struct pz_param *p, cdf_fn *cdf)
{
	double kmin = nearbyint(xs[0] / step);
	double kmax = nearbyint(xs[n - 1] / step);
	double d = 0;
	int below = 0;

	for (double k = kmin - 1; k <= kmax; k++) {
		double v = k * step;

		while (below < n && xs[below] <= v + step / 2)
			below++;
		d = fmax(d, fabs((double)below / n - cdf(p, v)));
	}
	return d;
}

static double ks(const double *xs, int n, double step,
                 const struct pz_param *p, cdf_fn *cdf)
{
	return step > 0 ? ks_discrete(xs, n, step, p, cdf)
	                : ks_continuous(xs, n, p, cdf);
}

static void every_kind_fits_its_prior(void **state)
{
	static double xs[N_DRAWS];
	const double crit = KS_CRIT_001 / sqrt(N_DRAWS);

	(void)state;
	for (int i = 0; i < N_CASES; i++) {
		const struct pz_param *p = case_param(i);
		double d;

		draw_sorted(i, xs);
		d = ks(xs, N_DRAWS, cases[i].step, p, cases[i].cdf);
		if (d >= crit)
			fail_msg("case %d (%s): KS D = %g >= %g", i,
			         pz_space_kind_name(p->kind), d, crit);
	}
}

/*
 * The check above must be able to fail: the same draws are rejected
 * against a normal shifted by a tenth of sigma and against randint's
 * off-by-one (integers in [low, high] instead of [low, high)).
 */
static void fit_check_has_power(void **state)
{
	static double xs[N_DRAWS];
	const double crit = KS_CRIT_001 / sqrt(N_DRAWS);
	struct pz_param wrong;
	int i;

	(void)state;
	for (i = 0; i < N_CASES; i++)
		if (case_param(i)->kind == PZ_HP_NORMAL)
			break;
	assert_true(i < N_CASES);
	draw_sorted(i, xs);
	wrong = *case_param(i);
	wrong.mu += wrong.sigma / 10;
	assert_true(ks(xs, N_DRAWS, 0, &wrong, cdf_normal) >= crit);

	for (i = 0; i < N_CASES; i++)
		if (case_param(i)->kind == PZ_HP_RANDINT)
			break;
	assert_true(i < N_CASES);
	draw_sorted(i, xs);
	assert_true(ks(xs, N_DRAWS, 1, case_param(i), cdf_uniformint) >= crit);
}

/*
 * Every draw lies in its kind's range and on its grid. Floating-point
 * bounds are checked closed: low + (high - low) * u with u < 1 can still
 * round up to high. Integer and categorical kinds are exact.
 */
static void check_draw(const struct pz_param *p, double step, double x)
{
	int ok = isfinite(x);

	if (step > 0)
		ok = ok && x == nearbyint(x / step) * step;
	switch (p->kind) {
	case PZ_HP_UNIFORM:
		ok = ok && x >= p->low && x <= p->high;
		break;
	case PZ_HP_QUNIFORM:
		ok = ok && x >= pz_sample_quantize(p->low, p->q) &&
		     x <= pz_sample_quantize(p->high, p->q);
		break;
	case PZ_HP_LOGUNIFORM:
		ok = ok && x >= exp(p->low) && x <= exp(p->high);
		break;
	case PZ_HP_QLOGUNIFORM:
		ok = ok && x >= pz_sample_quantize(exp(p->low), p->q) &&
		     x <= pz_sample_quantize(exp(p->high), p->q);
		break;
	case PZ_HP_NORMAL:
	case PZ_HP_QNORMAL:
		break;
	case PZ_HP_LOGNORMAL:
		ok = ok && x > 0;
		break;
	case PZ_HP_QLOGNORMAL:
		ok = ok && x >= 0;
		break;
	case PZ_HP_RANDINT:
		ok = ok && x >= p->low && x < p->high;
		break;
	case PZ_HP_UNIFORMINT:
		ok = ok && x >= p->low && x <= p->high;
		break;
	case PZ_HP_CHOICE:
		ok = ok && x >= 0 && x < p->n_options;
		break;
	case PZ_HP_PCHOICE:
		ok = ok && x >= 0 && x < p->n_options && p->p[(int)x] > 0;
		break;
	}
	if (!ok)
		fail_msg("%s %s: draw %.17g outside its range or grid",
		         p->label, pz_space_kind_name(p->kind), x);
}

static void draws_in_range_and_on_grid(void **state)
{
	(void)state;
	for (int i = 0; i < N_CASES; i++) {
		const struct pz_param *p = case_param(i);
		struct pz_rng rng;

		pz_rng_init(&rng, SEED + 1, (uint64_t)i);
		for (int k = 0; k < N_DRAWS; k++)
			check_draw(p, cases[i].step, pz_sample_param(p, &rng));
	}
}

/*
 * A prior draw survives the trip through the protocol's params object and
 * its validation unchanged.
 */
static void assert_json_round_trip(const struct pz_space *s,
                                   const double *values, double *back)
{
	cJSON *json = pz_params_to_json(s, values);
	struct pz_error err;

	assert_non_null(json);
	if (pz_params_from_json(s, json, back, &err) != 0)
		fail_msg("params refused: %s", err.msg);
	cJSON_Delete(json);
	for (int i = 0; i < s->n_params; i++)
		assert_true(isnan(values[i]) ? isnan(back[i])
		                             : back[i] == values[i]);
}

static void prior_draws_round_trip(void **state)
{
	double values[N_CASES], back[N_CASES];
	struct pz_rng rng;

	(void)state;
	assert_int_equal(all_kinds->n_params, N_CASES);
	pz_rng_init(&rng, SEED, 1000);
	for (int k = 0; k < 2000; k++) {
		pz_sample_prior(all_kinds, &rng, values);
		for (int i = 0; i < N_CASES; i++)
			assert_false(isnan(values[i]));
		assert_json_round_trip(all_kinds, values, back);
	}
}

/*
 * A conditional space: "lr" lives in option 0 of "opt"; "beta" and "sched"
 * in option 1; "step" in option 0 of "sched"; "batch" is unconditional.
 */
static const char conditional_space[] =
	"{\"opt\": {\"$hp\": \"choice\", \"label\": \"opt\", \"options\": ["
	"  {\"name\": \"sgd\", \"lr\": {\"$hp\": \"loguniform\","
	"   \"label\": \"lr\", \"low\": -7, \"high\": 0}},"
	"  {\"name\": \"adam\", \"beta\": {\"$hp\": \"uniform\","
	"   \"label\": \"beta\", \"low\": 0.8, \"high\": 0.999},"
	"   \"sched\": {\"$hp\": \"choice\", \"label\": \"sched\","
	"    \"options\": ["
	"    {\"step\": {\"$hp\": \"randint\", \"label\": \"step\","
	"     \"high\": 10}},"
	"    \"none\"]}}]},"
	" \"batch\": {\"$hp\": \"quniform\", \"label\": \"batch\","
	"  \"low\": 16, \"high\": 256, \"q\": 16}}";

static void prior_marks_inactive_labels_nan(void **state)
{
	struct pz_space *s = space_from_text(conditional_space);
	int opt, lr, beta, sched, step, batch;
	int seen[3] = {0, 0, 0};
	double values[6], again[6], back[6];
	struct pz_rng rng, twin;

	(void)state;
	assert_int_equal(s->n_params, 6);
	opt = pz_space_find(s, "opt");
	lr = pz_space_find(s, "lr");
	beta = pz_space_find(s, "beta");
	sched = pz_space_find(s, "sched");
	step = pz_space_find(s, "step");
	batch = pz_space_find(s, "batch");
	pz_rng_init(&rng, SEED, 2000);
	pz_rng_init(&twin, SEED, 2000);
	for (int k = 0; k < 2000; k++) {
		int sgd, stepped;

		pz_sample_prior(s, &rng, values);
		assert_true(values[opt] == 0 || values[opt] == 1);
		sgd = values[opt] == 0;
		assert_int_equal(!isnan(values[lr]), sgd);
		assert_int_equal(!isnan(values[beta]), !sgd);
		assert_int_equal(!isnan(values[sched]), !sgd);
		stepped = !sgd && values[sched] == 0;
		assert_int_equal(!isnan(values[step]), stepped);
		assert_false(isnan(values[batch]));
		seen[sgd ? 0 : stepped ? 1 : 2]++;

		pz_sample_prior(s, &twin, again);
		assert_memory_equal(values, again, sizeof(values));
		assert_json_round_trip(s, values, back);
	}
	for (int b = 0; b < 3; b++)
		assert_true(seen[b] > 0);
	pz_space_destroy(s);
}

/* Round half to even, as numpy.round; exact multiples of q come back. */
static void quantize_rounds_half_to_even(void **state)
{
	static const double cases_q[][3] = {
		/* x, q, expected */
		{0.5, 1, 0},     {1.5, 1, 2},     {2.5, 1, 2},
		{3.5, 1, 4},     {-0.5, 1, 0},    {-1.5, 1, -2},
		{-2.5, 1, -2},   {2.4, 1, 2},     {2.6, 1, 3},
		{-2.6, 1, -3},   {7.5, 5, 10},    {12.5, 5, 10},
		{17.5, 5, 20},   {0.75, 0.5, 1},  {1.25, 0.5, 1},
		{-0.75, 0.5, -1}, {0.3, 0.25, 0.25}, {100, 16, 96},
		{104, 16, 96},   {120, 16, 128},  {3, 1, 3},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases_q) / sizeof(cases_q[0]); i++) {
		double x = cases_q[i][0], q = cases_q[i][1];
		double want = cases_q[i][2], got = pz_sample_quantize(x, q);

		if (got != want)
			fail_msg("pz_sample_quantize(%g, %g) = %g, want %g", x,
			         q, got, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_kind_fits_its_prior),
		cmocka_unit_test(fit_check_has_power),
		cmocka_unit_test(draws_in_range_and_on_grid),
		cmocka_unit_test(prior_draws_round_trip),
		cmocka_unit_test(prior_marks_inactive_labels_nan),
		cmocka_unit_test(quantize_rounds_half_to_even),
	};

	return cmocka_run_group_tests(tests, setup_all_kinds,
	                              teardown_all_kinds);
}
