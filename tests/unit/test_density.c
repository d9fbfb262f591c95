/*
 * Independent checks of the density code under the TPE (lib/gmm.c,
 * lib/kde.c, lib/normal_table.h): every value is compared with a
 * reference computed another way, in long double, from the definitions.
 *
 * - The truncation-mass table: every entry Q(i / 256) against
 *   erfc(z / sqrt 2) / 2 (relative 1e-13), and the interpolated
 *   Phi(b) - Phi(a) of pz_gmm_normal_mass_fast() against erf (absolute
 *   1e-6, the bound gmm.h states: two interpolations of 4.6e-7 each).
 * - pz_gmm_log_normal_mass() against Simpson's rule on the normal density
 *   (absolute 1e-9 in the log, i.e. relative 1e-9 in the mass), and
 *   between its rectangle bounds where the mass underflows.
 * - pz_gmm_logpdf() of fitted mixtures of every kind (plain, quantized,
 *   log, unbounded; 0 to 400 observations with random weights) against
 *   direct summation over all components with erfcl() masses (absolute
 *   1e-9 in the log density), at points drawn from the mixture and from
 *   the prior.
 * - pz_kde_logpdf() against the product-kernel density written out from
 *   kde.h's definition (bandwidth rule, truncation, categorical kernel,
 *   prior component; all-categorical estimators too, whose equal
 *   components the fit merges), summed directly: absolute 1e-5 per numeric
 *   dimension in the log density (the fit takes truncation masses from
 *   the table, relative error below 3e-6 each).
 * - pz_kde_condition() + pz_kde_sample_given(): the categories given
 *   stay, and the numeric draws follow the conditional component weights.
 * - The AVX2 and portable builds of the scoring loops: bit for bit equal
 *   on random estimators and points (skipped on a CPU without AVX2).
 *
 * Random inputs come from a fixed-seed generator: the tests are
 * deterministic.
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
#include <parzen/kde.h>
#include <parzen/rng.h>
#include <parzen/space.h>

#include "normal_table.h"

#define SEED UINT64_C(0x7d3b5c1e9a2f4401)

/* --- references in long double ------------------------------------------ */

static long double phi_l(long double z)
{
	return expl(-0.5L * z * z) / sqrtl(2.0L * (long double)M_PI);
}

static long double log_phi_l(long double z)
{
	return -0.5L * z * z - 0.5L * logl(2.0L * (long double)M_PI);
}

/* Phi(b) - Phi(a), accurate in both tails. */
static long double mass_l(long double a, long double b)
{
	const long double r = 0.70710678118654752440084436210484903928L;

	if (a >= 0)
		return 0.5L * (erfcl(a * r) - erfcl(b * r));
	if (b <= 0)
		return 0.5L * (erfcl(-b * r) - erfcl(-a * r));
	return 1.0L - 0.5L * (erfcl(-a * r) + erfcl(b * r));
}

/* Simpson's rule for the normal density over [a, b]. */
static long double simpson_l(long double a, long double b, int steps)
{
	long double h = (b - a) / steps, s = phi_l(a) + phi_l(b);

	for (int i = 1; i < steps; i++)
		s += (i % 2 ? 4.0L : 2.0L) * phi_l(a + i * h);
	return s * h / 3.0L;
}

static double uniform_in(struct pz_rng *r, double lo, double hi)
{
	return lo + (hi - lo) * pz_rng_uniform(r);
}

/* --- the truncation-mass table ------------------------------------------ */

static void mass_table(void **state)
{
	struct pz_rng r;
	double worst = 0;

	(void)state;
	for (int i = 0; i < PZ_NORMAL_TABLE_N; i++) {
		long double z = (long double)i / PZ_NORMAL_TABLE_STEPS_PER_UNIT;
		long double q = 0.5L * erfcl(z * 0.70710678118654752440L);
		long double rel = fabsl(pz_normal_upper_tail[i] - q) / q;

		if (rel > 1e-13L)
			fail_msg("table[%d] (z = %g): %.17g, erfc gives %.17Lg", i,
			         (double)z, pz_normal_upper_tail[i], q);
	}
	pz_rng_init(&r, SEED, 1);
	for (int i = 0; i < 100000; i++) {
		double a = -uniform_in(&r, 0, i % 2 ? 10 : 3);
		double b = uniform_in(&r, 0, i % 3 ? 10 : 3);
		double ref = 0.5 * (erf(b * M_SQRT1_2) - erf(a * M_SQRT1_2));
		double d = fabs(pz_gmm_normal_mass_fast(a, b) - ref);

		worst = fmax(worst, d);
	}
	if (worst > 1e-6)
		fail_msg("interpolated mass: error %g > 1e-6", worst);
	/* Off the table (a kernel centred outside the bounds): erfc, exact
	 * up to the rounding of the two tail areas subtracted (relative 1e-9
	 * as below, plus 1e-13 of the larger area for narrow intervals). */
	for (int i = 0; i < 1000; i++) {
		double a = uniform_in(&r, -12, 12);
		double b = a + (i % 2 ? uniform_in(&r, 0, 5) : uniform_in(&r, 0, 1e-4));
		long double ref = mass_l(a, b);
		long double big = 0.5L * erfcl(fminl(fabsl(a), fabsl(b)) *
		                               0.70710678118654752440L);

		if (a <= 0 && b >= 0)
			continue;
		if (ref > 1e-300L && fabsl(pz_gmm_normal_mass_fast(a, b) - ref) >
		                         1e-9L * ref + 1e-13L * big)
			fail_msg("mass(%g, %g) = %.17g, reference %.17Lg", a, b,
			         pz_gmm_normal_mass_fast(a, b), ref);
	}
}

static void log_normal_mass(void **state)
{
	struct pz_rng r;

	(void)state;
	pz_rng_init(&r, SEED, 2);
	for (int i = 0; i < 300; i++) {
		double a = uniform_in(&r, -12, 12);
		double b = a + (i % 3 == 0 ? uniform_in(&r, 0, 1e-3)
		                           : uniform_in(&r, 0, 24));
		long double ref = logl(simpson_l(a, b, 20000));
		double got = pz_gmm_log_normal_mass(a, b);

		if (fabsl(got - ref) > 1e-9L)
			fail_msg("log mass(%.17g, %.17g) = %.17g, Simpson %.17Lg", a,
			         b, got, ref);
	}
	/* Where the mass underflows a double, the result lies between the
	 * logs of the rectangles under the density at the two ends. */
	for (int i = 0; i < 100; i++) {
		double a = uniform_in(&r, 39, 60), b = a + uniform_in(&r, 1e-6, 1);
		double got = pz_gmm_log_normal_mass(a, b);
		double hi = -0.5 * a * a - 0.5 * log(2 * M_PI) + log(b - a);
		double lo = -0.5 * b * b - 0.5 * log(2 * M_PI) + log(b - a);

		if (!(got <= hi + 1e-9 && got >= lo - 1e-9) ||
		    pz_gmm_log_normal_mass(-b, -a) != got)
			fail_msg("far tail mass(%g, %g) = %g not in [%g, %g]", a, b,
			         got, lo, hi);
	}
	assert_true(pz_gmm_log_normal_mass(1, 1) == -INFINITY);
	assert_true(pz_gmm_log_normal_mass(2, 1) == -INFINITY);
}

/* --- the univariate mixture ---------------------------------------------- */

struct kind_case {
	const char *name;
	struct pz_param p;
};

static const struct kind_case KINDS[] = {
	{"uniform", {.kind = PZ_HP_UNIFORM, .low = -3, .high = 7}},
	{"quniform", {.kind = PZ_HP_QUNIFORM, .low = -10, .high = 10, .q = 2.5}},
	{"loguniform", {.kind = PZ_HP_LOGUNIFORM, .low = -9, .high = 0}},
	{"qloguniform", {.kind = PZ_HP_QLOGUNIFORM, .low = 0, .high = 5, .q = 4}},
	{"normal", {.kind = PZ_HP_NORMAL, .mu = 1, .sigma = 2}},
	{"qnormal", {.kind = PZ_HP_QNORMAL, .mu = 0, .sigma = 5, .q = 0.5}},
	{"lognormal", {.kind = PZ_HP_LOGNORMAL, .mu = -2, .sigma = 1.5}},
	{"qlognormal", {.kind = PZ_HP_QLOGNORMAL, .mu = 2, .sigma = 1, .q = 3}},
	{"randint", {.kind = PZ_HP_RANDINT, .low = -4, .high = 9}},
};

#define N_KINDS ((int)(sizeof(KINDS) / sizeof(KINDS[0])))

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Direct sum over every component of a fitted mixture, in long double. */
static long double gmm_ref(const struct pz_gmm *g, const struct pz_gmm_dim *d,
                           double x)
{
	long double num = 0, accept = 0;

	for (int i = 0; i < g->n; i++) {
		long double mu = g->mu[i], s = g->sigma[i], w = g->w[i];

		accept += d->bounded ? w * mass_l((d->lo - mu) / s, (d->hi - mu) / s)
		                     : w;
		if (d->q > 0) {
			long double a = x - 0.5L * d->q, b = x + 0.5L * d->q;

			if (d->bounded) {
				a = fmaxl(a, d->log ? expl(d->lo) : d->lo);
				b = fminl(b, d->log ? expl(d->hi) : d->hi);
			}
			if (d->log) {
				if (b <= 0)
					continue;
				a = a > 0 ? logl(a) : -INFINITY;
				b = logl(b);
			}
			num += w * mass_l((a - mu) / s, (b - mu) / s);
		} else {
			long double t = d->log ? logl(fmax(x, d->floor)) : x;

			num += w * phi_l((t - mu) / s) / s;
		}
	}
	return logl(num / accept);
}

static void gmm_logpdf(void **state)
{
	static const int sizes[] = {0, 1, 2, 3, 30, 400};
	struct pz_rng r;
	double worst = 0;

	(void)state;
	pz_rng_init(&r, SEED, 3);
	for (int kc = 0; kc < N_KINDS; kc++) {
		struct pz_gmm_dim d;

		pz_gmm_dim_init(&d, &KINDS[kc].p, 0);
		for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
			int n = sizes[si];
			double *mus = malloc((size_t)(n + 1) * sizeof(double));
			double *wts = malloc((size_t)(n + 1) * sizeof(double));
			struct pz_gmm g;

			assert_non_null(mus);
			assert_non_null(wts);
			/* Observations: clustered draws from the prior. */
			for (int i = 0; i < n; i++) {
				double t = d.bounded
				               ? uniform_in(&r, d.lo, d.hi)
				               : d.prior_mu + d.prior_sigma *
				                                  pz_rng_normal(&r);

				if (i % 4 == 3)
					t = mus[i - 1] + 1e-3 * d.prior_sigma *
					                     pz_rng_normal(&r);
				if (d.bounded)
					t = fmin(fmax(t, d.lo), d.hi);
				mus[i] = pz_gmm_dim_to_kernel(
					&d, pz_gmm_dim_from_kernel(&d, t));
				wts[i] = uniform_in(&r, 0.05, 1);
			}
			qsort(mus, (size_t)n, sizeof(double), cmp_double);
			assert_int_equal(pz_gmm_fit(&g, &d, mus, wts, n,
			                            uniform_in(&r, 0.2, 2)),
			                 0);
			for (int j = 0; j < 200; j++) {
				double x = pz_gmm_sample(&g, &d, &r), got;
				long double ref;

				if (j % 2) {
					double t = d.bounded
					               ? uniform_in(&r, d.lo, d.hi)
					               : d.prior_mu + d.prior_sigma *
					                                  pz_rng_normal(&r);

					x = pz_gmm_dim_from_kernel(&d, t);
				}
				got = pz_gmm_logpdf(&g, &d, x);
				ref = gmm_ref(&g, &d, x);
				if (!(fabsl(got - ref) <= 1e-9L))
					fail_msg("%s, n = %d: logpdf(%.17g) = %.17g, direct "
					         "sum %.17Lg", KINDS[kc].name, n, x, got,
					         ref);
				worst = fmax(worst, (double)fabsl(got - ref));
			}
			pz_gmm_finish(&g);
			free(mus);
			free(wts);
		}
	}
	print_message("gmm logpdf: largest |error| %.3g (tolerance 1e-9)\n",
	              worst);
}

/* --- the joint estimator --------------------------------------------------- */

static const struct pz_param CAT3 = {.kind = PZ_HP_CHOICE, .n_options = 3};
static const double P4[4] = {0.1, 0.2, 0.3, 0.4};
static const struct pz_param PCAT4 = {.kind = PZ_HP_PCHOICE, .n_options = 4,
                                      .p = (double *)P4};

/* A random group of D dims drawn from the kinds above and two
 * categoricals, or from the categoricals only (whose equal components
 * the fit merges). */
static void random_dims(struct pz_rng *r, int D, int only_cat,
                        struct pz_gmm_dim *dims)
{
	for (int d = 0; d < D; d++) {
		unsigned k = only_cat ? N_KINDS + (unsigned)pz_rng_below(r, 2)
		                      : (unsigned)pz_rng_below(r, N_KINDS + 2);

		if (k < N_KINDS)
			pz_gmm_dim_init(&dims[d], &KINDS[k].p, 0);
		else
			pz_gmm_dim_init(&dims[d], k == N_KINDS ? &CAT3 : &PCAT4, 0);
	}
}

static double random_value(struct pz_rng *r, const struct pz_gmm_dim *d)
{
	if (d->categorical)
		return pz_gmm_dim_category_value(
			d, (int)pz_rng_below(r, (uint64_t)d->n_options));
	double t = d->bounded ? uniform_in(r, d->lo, d->hi)
	                      : d->prior_mu + d->prior_sigma * pz_rng_normal(r);

	return pz_gmm_dim_from_kernel(d, t);
}

/*
 * kde.h's density written out and summed directly, each kernel's term in
 * log space and the sum shifted by the largest, so that the reference
 * does not depend on long double's exponent range (valgrind computes long
 * double with a double's).
 */
static long double kde_ref(const struct pz_gmm_dim *dims, int D,
                           const double *const *rows, const double *wts,
                           int n, const struct pz_kde_opts *o,
                           const double *x)
{
	long double wsum = o->prior_weight, total = 0, top = 0;
	long double *terms = malloc((size_t)(n + 1) * sizeof(*terms));
	double sigma[16];
	int nn = n > 0 ? n : 1;

	assert_non_null(terms);

	for (int i = 0; i < n; i++)
		wsum += wts[i];
	for (int d = 0; d < D; d++) {
		const struct pz_gmm_dim *dd = &dims[d];
		double w = dd->bounded ? dd->prior_sigma
		                       : o->unbounded_width * dd->prior_sigma;
		double s = o->bandwidth * pow(nn, -1.0 / (D + 4.0)) * w;

		s = fmin(fmax(s, w / fmin(100.0, n + 1.0)), w);
		if (dd->q > 0 && !dd->log)
			s = fmax(s, fmin(dd->q, w));
		sigma[d] = s;
	}
	for (int i = 0; i <= n; i++) {
		long double term = logl(i < n ? wts[i] / wsum : o->prior_weight / wsum);

		for (int d = 0; d < D; d++) {
			const struct pz_gmm_dim *dd = &dims[d];

			if (dd->categorical) {
				int K = dd->n_options, c = pz_gmm_dim_category(dd, x[d]);
				long double p = dd->p0 ? dd->p0[c] : 1.0L / K;
				long double eps = o->prior_weight / (n + 1.0L);
				long double lam = eps * K / (1 + eps * K);

				if (i == n)
					term += logl(p);
				else
					term += logl(c == pz_gmm_dim_category(dd, rows[i][d])
					                 ? 1 - lam + lam * p
					                 : lam * p);
				continue;
			}
			long double t = pz_gmm_dim_to_kernel(dd, x[d]);
			long double mu = i < n ? pz_gmm_dim_to_kernel(dd, rows[i][d])
			                       : dd->prior_mu;
			long double s = i < n ? sigma[d] : dd->prior_sigma;

			term += log_phi_l((t - mu) / s) - logl(s);
			if (dd->bounded)
				term -= logl(mass_l((dd->lo - mu) / s, (dd->hi - mu) / s));
		}
		terms[i] = term;
		top = i == 0 || term > top ? term : top;
	}
	for (int i = 0; i <= n; i++)
		total += expl(terms[i] - top);
	free(terms);
	return top + logl(total);
}

static void kde_logpdf(void **state)
{
	static const int sizes[] = {0, 1, 2, 7, 60, 500};
	struct pz_rng r;
	double worst = 0;
	int members[16];

	(void)state;
	pz_rng_init(&r, SEED, 4);
	for (int d = 0; d < 16; d++)
		members[d] = d;
	for (int rep = 0; rep < 40; rep++) {
		int D = 1 + (int)pz_rng_below(&r, 6), n = sizes[rep % 6];
		struct pz_gmm_dim dims[16];
		struct pz_kde_opts o = {
			.prior_weight = uniform_in(&r, 0.3, 2),
			.bandwidth = uniform_in(&r, 0.03, 1),
			.unbounded_width = rep % 3 ? uniform_in(&r, 1, 4) : 1,
		};
		double *data = malloc((size_t)(n + 1) * D * sizeof(double));
		const double **rows = malloc((size_t)(n + 1) * sizeof(*rows));
		double *wts = malloc((size_t)(n + 1) * sizeof(double));
		double x[16];
		struct pz_kde k;
		int numeric = 0;

		assert_non_null(data);
		assert_non_null(rows);
		assert_non_null(wts);
		random_dims(&r, D, rep % 5 == 4, dims);
		for (int d = 0; d < D; d++)
			numeric += !dims[d].categorical;
		for (int i = 0; i < n; i++) {
			for (int d = 0; d < D; d++)
				data[(size_t)i * D + d] = random_value(&r, &dims[d]);
			rows[i] = data + (size_t)i * D;
			wts[i] = uniform_in(&r, 0.05, 1);
		}
		assert_int_equal(pz_kde_fit(&k, dims, members, D, rows, wts, n, &o),
		                 0);
		for (int j = 0; j < 100; j++) {
			double got;
			long double ref;

			if (j % 2)
				pz_kde_sample(&k, &r, x);
			else
				for (int d = 0; d < D; d++)
					x[d] = random_value(&r, &dims[d]);
			got = pz_kde_logpdf(&k, x);
			ref = kde_ref(dims, D, rows, wts, n, &o, x);
			if (!(fabsl(got - ref) <= 1e-5L * (numeric + 1)))
				fail_msg("rep %d (D = %d, n = %d): logpdf = %.17g, direct "
				         "sum %.17Lg", rep, D, n, got, ref);
			worst = fmax(worst, (double)fabsl(got - ref));
		}
		pz_kde_finish(&k);
		free(data);
		free(rows);
		free(wts);
	}
	print_message("kde logpdf: largest |error| %.3g (tolerance 1e-5 per "
	              "numeric dim)\n", worst);
}

/* Conditioned draws: the given category stays; the numeric value comes
 * from component i with probability w_i p(c | i) / sum. */
static void kde_sample_given(void **state)
{
	static const struct pz_param U = {.kind = PZ_HP_UNIFORM, .low = 0,
	                                  .high = 1};
	struct pz_gmm_dim dims[2];
	double data[100][2], wts[100];
	const double *rows[100];
	int members[2] = {0, 1}, near = 0, N = 20000;
	unsigned char given[2] = {1, 0};
	struct pz_kde_opts o = {.prior_weight = 1, .bandwidth = 0.01,
	                        .unbounded_width = 1};
	struct pz_kde k;
	struct pz_rng r;

	(void)state;
	/* 50 observations at (option 0, 0.2), 50 at (option 1, 0.8). */
	for (int i = 0; i < 100; i++) {
		data[i][0] = i % 2;
		data[i][1] = i % 2 ? 0.8 : 0.2;
		rows[i] = data[i];
		wts[i] = 1;
	}
	pz_gmm_dim_init(&dims[0], &CAT3, 0);
	pz_gmm_dim_init(&dims[1], &U, 0);
	assert_int_equal(pz_kde_fit(&k, dims, members, 2, rows, wts, 100, &o),
	                 0);
	/* sigma = max(0.01 100^(-1/6), 1 / 100) = 0.01. */
	assert_true(fabs(k.sigma[1] - 0.01) < 1e-15);
	double cum[101], given_x[2] = {1, NAN};

	pz_kde_condition(&k, given, given_x, cum);
	pz_rng_init(&r, SEED, 5);
	for (int i = 0; i < N; i++) {
		double x[2] = {1, NAN};

		pz_kde_sample_given(&k, &r, given, cum, x);
		assert_true(x[0] == 1);
		near += fabs(x[1] - 0.8) < 0.05;
	}
	/* lambda = (3/101) / (1 + 3/101) = 3/104: p(1 | obs 1) = 1 - lambda
	 * + lambda/3, p(1 | obs 0) = lambda/3, prior 1/3; weights 50, 50 and
	 * 1. Draws of a component at 0.8 land within 5 sigma of it; the
	 * prior's draws (N(0.5, 1) truncated) do with probability below
	 * 0.04. */
	double lam = 3.0 / 104, h = 1 - lam + lam / 3, m = lam / 3;
	double want = 50 * h / (50 * h + 50 * m + 1.0 / 3);
	double sd = sqrt(want * (1 - want) / N);

	if (fabs(near / (double)N - want) > 5 * sd + 0.04 * (1 - want))
		fail_msg("near 0.8: %g of draws, want %g", near / (double)N, want);
	pz_kde_finish(&k);
}

static void kde_isa(void **state)
{
	struct pz_rng r;
	int members[16], checked = 0;

	(void)state;
	if (!pz_kde_have_avx2()) {
		print_message("no AVX2 build or CPU: nothing to compare\n");
		skip();
	}
	pz_rng_init(&r, SEED, 6);
	for (int d = 0; d < 16; d++)
		members[d] = d;
	for (int rep = 0; rep < 60; rep++) {
		int D = 1 + (int)pz_rng_below(&r, 10);
		int n = 1 + (int)pz_rng_below(&r, rep % 4 ? 200 : 3000);
		struct pz_gmm_dim dims[16];
		struct pz_kde_opts o = {.prior_weight = 1,
		                        .bandwidth = uniform_in(&r, 0.02, 1),
		                        .unbounded_width = 2};
		double *data = malloc((size_t)n * D * sizeof(double));
		const double **rows = malloc((size_t)n * sizeof(*rows));
		double *wts = malloc((size_t)n * sizeof(double)), x[16];
		struct pz_kde k;

		assert_non_null(data);
		assert_non_null(rows);
		assert_non_null(wts);
		random_dims(&r, D, rep % 5 == 4, dims);
		for (int i = 0; i < n; i++) {
			for (int d = 0; d < D; d++)
				data[(size_t)i * D + d] = random_value(&r, &dims[d]);
			rows[i] = data + (size_t)i * D;
			wts[i] = uniform_in(&r, 0.01, 1);
		}
		assert_int_equal(pz_kde_fit(&k, dims, members, D, rows, wts, n, &o),
		                 0);
		for (int j = 0; j < 50; j++) {
			double a, b;

			if (j % 2)
				pz_kde_sample(&k, &r, x);
			else
				for (int d = 0; d < D; d++)
					x[d] = random_value(&r, &dims[d]);
			a = pz_kde_logpdf_isa(&k, x, PZ_KDE_ISA_PORTABLE);
			b = pz_kde_logpdf_isa(&k, x, PZ_KDE_ISA_AVX2);
			if (memcmp(&a, &b, sizeof(a)) != 0)
				fail_msg("rep %d: portable %.17g, AVX2 %.17g", rep, a, b);
			assert_memory_equal(&a, &(double){pz_kde_logpdf(&k, x)},
			                    sizeof(a));
			checked++;
		}
		pz_kde_finish(&k);
		free(data);
		free(rows);
		free(wts);
	}
	print_message("AVX2 and portable agree bit for bit on %d points\n",
	              checked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mass_table),
		cmocka_unit_test(log_normal_mass),
		cmocka_unit_test(gmm_logpdf),
		cmocka_unit_test(kde_logpdf),
		cmocka_unit_test(kde_sample_given),
		cmocka_unit_test(kde_isa),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
