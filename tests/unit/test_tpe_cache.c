/*
 * TPE's cache is an optimisation only: suggestions with a cache warmed
 * over the history's growth, with a fresh cache and with none are bit
 * for bit the same, at many sizes on both benchmark spaces (bench/spaces),
 * also after trials change state or are removed. And the approximate
 * g(x) of large n (docs/space.md) stays within a measured distance of the
 * exact one: its only difference, the bandwidths of n rounded down on the
 * grid, moves log g(x) of points drawn from l(x) by at most the printed
 * figure.
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

#include <parzen/gmm.h>
#include <parzen/history.h>
#include <parzen/kde.h>
#include <parzen/rng.h>
#include <parzen/sample.h>
#include <parzen/space.h>
#include <parzen/tpe.h>

#include "space_file.h"

static struct pz_space *load_space(const char *name)
{
	return test_space_file(PZ_SPACES_DIR, name);
}

/* A loss that depends on every active numeric value. */
static double loss_of(const struct pz_space *s, const double *v)
{
	double l = 0;

	for (int i = 0; i < s->n_params; i++)
		if (!isnan(v[i]))
			l += sin(0.37 * i + (pz_space_kind_is_log(s->params[i].kind)
			                             ? log(fmax(v[i], 1e-12))
			                             : v[i]));
	return l;
}

static void suggest(const struct pz_space *s, const struct pz_history *h,
                    const struct pz_tpe_config *cfg,
                    struct pz_tpe_cache *cache, uint64_t number, double *out)
{
	struct pz_error err;

	if (pz_tpe_suggest_cached(s, h, cfg, cache, 7, number, out, &err) != 0)
		fail_msg("suggestion %llu: %s", (unsigned long long)number,
		         err.msg);
}

/*
 * Grow a history to n_max trials (prior draws; every 7th pending, every
 * 13th failed, pending ones finished later), asking at many sizes with a
 * warm cache, a fresh one and none.
 */
static void check_space(const char *name, int n_max)
{
	struct pz_space *s = load_space(name);
	struct pz_history *h;
	struct pz_tpe_cache *warm;
	struct pz_tpe_config cfg;
	struct pz_rng rng;
	double *v, *a, *b, *c;
	int asked = 0;

	pz_tpe_config_default(&cfg);
	v = malloc((size_t)s->n_params * sizeof(double));
	a = malloc((size_t)s->n_params * sizeof(double));
	b = malloc((size_t)s->n_params * sizeof(double));
	c = malloc((size_t)s->n_params * sizeof(double));
	assert_true(v && a && b && c);
	assert_int_equal(pz_history_create(s, &h), 0);
	assert_int_equal(pz_tpe_cache_create(&warm), 0);
	for (int k = 0; k < n_max; k++) {
		pz_rng_init(&rng, 99, (uint64_t)k);
		pz_sample_prior(s, &rng, v);
		if (k % 7 == 3)
			assert_int_equal(pz_history_add(h, (uint64_t)k, v,
			                                PZ_TRIAL_PENDING, NAN), 0);
		else if (k % 13 == 5)
			assert_int_equal(pz_history_add(h, (uint64_t)k, v,
			                                PZ_TRIAL_FAIL, NAN), 0);
		else if (k % 11 == 7) {
			/* Pruned at a step that varies, with its last value. */
			assert_int_equal(pz_history_add(h, (uint64_t)k, v,
			                                PZ_TRIAL_PENDING, NAN), 0);
			assert_int_equal(pz_history_set_pruned(
			                         h, (uint64_t)k, k % 5,
			                         loss_of(s, v) + 1.0 / (1 + k % 5)),
			                 0);
		}
		else
			assert_int_equal(pz_history_add(h, (uint64_t)k, v,
			                                PZ_TRIAL_OK,
			                                loss_of(s, v)), 0);
		/* Pending trials finish 50 trials later. */
		if (k >= 50 && (k - 50) % 7 == 3)
			assert_int_equal(
				pz_history_set(h, (uint64_t)(k - 50), PZ_TRIAL_OK,
				               loss_of(s, pz_history_row(
				                                  h, (size_t)(k - 50)))),
				0);
		/* Ask often past the approximation's threshold (2048 kernels),
		 * more rarely before, warm every time. */
		if ((k > 1900 && k % 37 == 0) || k % 499 == 0 || k == n_max - 1) {
			struct pz_tpe_cache *cold;

			suggest(s, h, &cfg, warm, (uint64_t)k + 1, a);
			assert_int_equal(pz_tpe_cache_create(&cold), 0);
			suggest(s, h, &cfg, cold, (uint64_t)k + 1, b);
			pz_tpe_cache_destroy(cold);
			suggest(s, h, &cfg, NULL, (uint64_t)k + 1, c);
			if (memcmp(a, b, (size_t)s->n_params * sizeof(double)) != 0 ||
			    memcmp(a, c, (size_t)s->n_params * sizeof(double)) != 0)
				fail_msg("%s: n = %d: warm, cold and no cache differ", name,
				         k + 1);
			asked++;
		}
	}
	/* A removed trial: the warm cache notices. */
	assert_int_equal(pz_history_remove(h, 17), 0);
	suggest(s, h, &cfg, warm, (uint64_t)n_max, a);
	suggest(s, h, &cfg, NULL, (uint64_t)n_max, c);
	assert_memory_equal(a, c, (size_t)s->n_params * sizeof(double));
	/* And the same cache serves the hyperopt preset, too. */
	pz_tpe_config_hyperopt(&cfg);
	suggest(s, h, &cfg, warm, (uint64_t)n_max, a);
	suggest(s, h, &cfg, NULL, (uint64_t)n_max, c);
	assert_memory_equal(a, c, (size_t)s->n_params * sizeof(double));
	printf("# %s: %d suggestions up to n = %d, warm = cold = none\n", name,
	       asked, n_max);
	pz_tpe_cache_destroy(warm);
	pz_history_destroy(h);
	pz_space_destroy(s);
	free(v);
	free(a);
	free(b);
	free(c);
}

static void test_warm_equals_cold_mixed10(void **state)
{
	(void)state;
	check_space("mixed10.json", 5000);
}

static void test_warm_equals_cold_cifar100(void **state)
{
	(void)state;
	check_space("cifar100.json", 5000);
}

/* tpe.c's grid of n for the approximate g(x)'s bandwidths. */
static int approx_n(int n)
{
	int x = 2048;

	while (x + x / 256 <= n)
		x += x / 256;
	return x;
}

/*
 * The approximation's error: g(x) fitted with the bandwidths of n and with
 * those of approx_n(n) (as a bandwidth factor), over points drawn from a
 * narrow l(x), for sizes on and between the grid's points. Prints the
 * largest |log g - log g~| and its share of |log l - log g|.
 */
static void test_approx_error(void **state)
{
	struct pz_space *s = load_space("mixed10.json");
	int D = s->n_params, sizes[] = {2048, 2055, 3000, 10000, 30000};
	struct pz_gmm_dim *dims = malloc((size_t)D * sizeof(*dims));
	int *members = malloc((size_t)D * sizeof(int));
	double worst_abs = 0, worst_rel = 0;

	(void)state;
	for (int d = 0; d < D; d++) {
		pz_gmm_dim_init(&dims[d], &s->params[d], 0);
		members[d] = d;
	}
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		int n = sizes[si], nb = 25;
		double *vals = malloc((size_t)n * D * sizeof(double));
		const double **rows = malloc((size_t)n * sizeof(*rows));
		double *w = malloc((size_t)n * sizeof(double));
		struct pz_kde exact, approx, l;
		struct pz_kde_opts o = {1.0, 0.08, 2.0}, oa = o;
		struct pz_rng rng;
		double xs[100 * 64], single[100], many[100], sa = 0, sr = 0,
			sm = 0;

		assert_true(vals && rows && w && D <= 64);
		for (int i = 0; i < n; i++) {
			pz_rng_init(&rng, 5, (uint64_t)i);
			pz_sample_prior(s, &rng, vals + (size_t)i * D);
			rows[i] = vals + (size_t)i * D;
			w[i] = 1.0 / n + (1.0 - 1.0 / n) * i / (n - 1.0);
		}
		oa.bandwidth = o.bandwidth *
		               pow((double)approx_n(n) / n, -1.0 / (D + 4.0));
		assert_int_equal(pz_kde_fit(&exact, dims, members, D, rows, w, n,
		                            &o), 0);
		assert_int_equal(pz_kde_fit(&approx, dims, members, D, rows, w, n,
		                            &oa), 0);
		assert_int_equal(pz_kde_fit(&l, dims, members, D, rows, w, nb, &o),
		                 0);
		pz_rng_init(&rng, 6, (uint64_t)n);
		for (int j = 0; j < 100; j++) {
			double ge, ga, ll;

			pz_kde_sample(&l, &rng, xs + (size_t)j * D);
			ge = pz_kde_logpdf(&exact, xs + (size_t)j * D);
			ga = pz_kde_logpdf(&approx, xs + (size_t)j * D);
			ll = pz_kde_logpdf(&l, xs + (size_t)j * D);
			single[j] = ga;
			sa = fmax(sa, fabs(ge - ga));
			sr = fmax(sr, fabs(ge - ga) / fmax(fabs(ll - ge), 1e-300));
		}
		/* The batch scorer against the one-point one. */
		pz_kde_logpdf_many(&approx, xs, 100, many);
		for (int j = 0; j < 100; j++)
			sm = fmax(sm, fabs(many[j] - single[j]));
		printf("# n = %d (grid %d): max |log g - log g~| = %.3g, "
		       "max relative error of log l/g = %.3g; batch vs one "
		       "by one: max |difference of log g| = %.3g\n",
		       n, approx_n(n), sa, sr, sm);
		assert_true(sm < 1e-12);
		worst_abs = fmax(worst_abs, sa);
		worst_rel = fmax(worst_rel, sr);
		pz_kde_finish(&exact);
		pz_kde_finish(&approx);
		pz_kde_finish(&l);
		free(vals);
		free(rows);
		free(w);
	}
	/* docs/space.md quotes these figures. */
	assert_true(worst_abs < 0.02);
	free(dims);
	free(members);
	pz_space_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_warm_equals_cold_mixed10),
		cmocka_unit_test(test_warm_equals_cold_cifar100),
		cmocka_unit_test(test_approx_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
