/*
 * Tests of lib/rng: the Philox4x32-10 block function against Random123's
 * known-answer vectors, the mapping of stream(seed, k) onto Philox counters
 * and keys that rng.h documents, independence and reproducibility of
 * streams, and the conversions (uniform, below, normal).
 *
 * Every statistical check uses a fixed seed, so a test either always passes
 * or always fails; the thresholds are still honest significance levels
 * (0.1% for chi-square, about five standard errors for moments), not values
 * tuned to the seed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include <parzen/rng.h>

#define SEED UINT64_C(0x5eed0f9a2e11c0de)

/* Random123 kat_vectors, philox4x32 with 10 rounds. */
static void philox_known_answers(void **state)
{
	static const struct {
		uint32_t ctr[4], key[2], out[4];
	} kat[] = {
		{{0, 0, 0, 0}, {0, 0},
		 {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
		{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
		 {0xffffffff, 0xffffffff},
		 {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
		{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
		 {0xa4093822, 0x299f31d0},
		 {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		uint32_t out[4];

		pz_rng_philox(kat[i].ctr, kat[i].key, out);
		for (int w = 0; w < 4; w++)
			assert_int_equal(out[w], kat[i].out[w]);
	}
}

/*
 * rng.h promises that the key is the seed and the counter is (block,
 * stream), low words first. Pin that layout: it is what makes a trial's
 * numbers the same on every machine and in every release.
 */
static void stream_is_philox_counter(void **state)
{
	const uint64_t seed = UINT64_C(0x0123456789abcdef);
	const uint64_t stream = UINT64_C(0xfedcba9876543210);
	uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
	struct pz_rng r;

	(void)state;
	pz_rng_init(&r, seed, stream);
	for (uint64_t block = 0; block < 5; block++) {
		uint32_t ctr[4] = {(uint32_t)block, (uint32_t)(block >> 32),
		                   (uint32_t)stream, (uint32_t)(stream >> 32)};
		uint32_t out[4];

		pz_rng_philox(ctr, key, out);
		for (int w = 0; w < 4; w++)
			assert_int_equal(pz_rng_u32(&r), out[w]);
	}
}

/* u64 is two consecutive u32, the first one high; uniform its top 53 bits. */
static void conversions_compose(void **state)
{
	struct pz_rng a, b;

	(void)state;
	pz_rng_init(&a, SEED, 3);
	pz_rng_init(&b, SEED, 3);
	for (int i = 0; i < 100; i++) {
		uint64_t hi = pz_rng_u32(&b);
		uint64_t lo = pz_rng_u32(&b);

		assert_int_equal(pz_rng_u64(&a), (hi << 32) | lo);
	}
	for (int i = 0; i < 100; i++) {
		double want = (double)(pz_rng_u64(&b) >> 11) * 0x1.0p-53;

		assert_true(pz_rng_uniform(&a) == want);
	}
}

/*
 * stream(seed, k) yields the same numbers whether it is drawn alone or
 * interleaved with draws from other streams and seeds, and whether or
 * not other streams were used before it was created.
 */
static void stream_is_independent_of_others(void **state)
{
	enum { N = 1000 };
	static uint32_t alone[N];
	struct pz_rng k7, k6, k8, other_seed;

	(void)state;
	pz_rng_init(&k7, SEED, 7);
	for (int i = 0; i < N; i++)
		alone[i] = pz_rng_u32(&k7);

	pz_rng_init(&k6, SEED, 6);
	for (int i = 0; i < 3 * N; i++)
		(void)pz_rng_u32(&k6);
	pz_rng_init(&k7, SEED, 7);
	pz_rng_init(&k8, SEED, 8);
	pz_rng_init(&other_seed, SEED + 1, 7);
	for (int i = 0; i < N; i++) {
		(void)pz_rng_u32(&k6);
		(void)pz_rng_normal(&k8);
		(void)pz_rng_below(&other_seed, 1000);
		assert_int_equal(pz_rng_u32(&k7), alone[i]);
	}
}

/* Re-initialising rewinds the stream, dropping a cached Box-Muller spare. */
static void init_rewinds(void **state)
{
	struct pz_rng r;
	double first;
	uint32_t u;

	(void)state;
	pz_rng_init(&r, SEED, 11);
	first = pz_rng_normal(&r);
	pz_rng_init(&r, SEED, 11);
	assert_true(pz_rng_normal(&r) == first);

	pz_rng_init(&r, SEED, 11);
	u = pz_rng_u32(&r);
	(void)pz_rng_normal(&r);
	pz_rng_init(&r, SEED, 11);
	assert_int_equal(pz_rng_u32(&r), u);
}

/* Number of positions where the first 16 words of two streams agree. */
static int common_words(uint64_t seed_a, uint64_t stream_a, uint64_t seed_b,
                        uint64_t stream_b)
{
	struct pz_rng a, b;
	int same = 0;

	pz_rng_init(&a, seed_a, stream_a);
	pz_rng_init(&b, seed_b, stream_b);
	for (int i = 0; i < 16; i++)
		same += pz_rng_u32(&a) == pz_rng_u32(&b);
	return same;
}

/*
 * Different streams or seeds give different sequences, including when they
 * differ only in the upper 32 bits (which must reach the counter and key).
 * Two unrelated sequences share a word with probability 2^-32 per position.
 */
static void streams_and_seeds_differ(void **state)
{
	static const uint64_t pairs[][4] = {
		{SEED, 0, SEED, 1},
		{SEED, 1, SEED, 2},
		{SEED, 0, SEED, UINT64_C(1) << 32},
		{SEED, 0, SEED, UINT64_C(1) << 63},
		{SEED, 5, SEED + 1, 5},
		{0, 5, UINT64_C(1) << 32, 5},
		{0, 0, UINT64_C(1) << 63, 0},
		{SEED, 0, 0, SEED},
	};

	(void)state;
	assert_int_equal(common_words(SEED, 9, SEED, 9), 16);
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		assert_int_equal(common_words(pairs[i][0], pairs[i][1],
		                              pairs[i][2], pairs[i][3]), 0);
}

static void uniform_in_unit_interval(void **state)
{
	enum { N = 400000 };
	struct pz_rng r;
	double sum = 0, sumsq = 0, mean, var;

	(void)state;
	pz_rng_init(&r, SEED, 21);
	for (int i = 0; i < N; i++) {
		double u = pz_rng_uniform(&r);

		assert_true(u >= 0.0 && u < 1.0);
		sum += u;
		sumsq += u * u;
	}
	mean = sum / N;
	var = sumsq / N - mean * mean;
	/* Standard errors: sqrt(1/12/N) for the mean, sqrt(1/180/N) for the
	 * variance of a uniform (its fourth central moment is 1/80). */
	assert_true(fabs(mean - 0.5) < 5 * sqrt(1.0 / 12 / N));
	assert_true(fabs(var - 1.0 / 12) < 5 * sqrt(1.0 / 180 / N));
}

/*
 * Chi-square goodness of fit of `counts` (k bins, equally likely) at the
 * 0.1% level; `crit` is the chi-square(k - 1) quantile at 0.999.
 */
static void assert_flat(const uint64_t *counts, int k, double crit)
{
	double total = 0, chi2 = 0;

	for (int i = 0; i < k; i++)
		total += (double)counts[i];
	for (int i = 0; i < k; i++) {
		double d = (double)counts[i] - total / k;

		chi2 += d * d / (total / k);
	}
	if (chi2 >= crit)
		fail_msg("chi-square %g over %d bins >= %g", chi2, k, crit);
}

static void below_small_n(void **state)
{
	/* chi-square(n - 1) quantiles at 0.999. */
	static const struct {
		uint64_t n;
		double crit;
	} cases[] = {
		{2, 10.828}, {3, 13.816}, {7, 22.458}, {10, 27.877},
		{100, 148.230},
	};
	static uint64_t counts[100];
	struct pz_rng r;

	(void)state;
	pz_rng_init(&r, SEED, 31);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(pz_rng_below(&r, 1), 0);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint64_t n = cases[c].n;

		for (uint64_t v = 0; v < n; v++)
			counts[v] = 0;
		for (uint64_t i = 0; i < 2000 * n; i++) {
			uint64_t v = pz_rng_below(&r, n);

			assert_true(v < n);
			counts[v]++;
		}
		assert_flat(counts, (int)n, cases[c].crit);
	}
}

/*
 * With n = 3 * 2^62, a quarter of the 64-bit draws land in Lemire's
 * rejection zone, so this exercises the retry loop. Both the top-bit bins
 * [0, 2^62), [2^62, 2^63), [2^63, n) and the residues mod 3 are equally
 * likely. Without the rejection, multiples of 3 would get half the mass
 * (each has two 64-bit preimages, the others one).
 */
static void below_large_n(void **state)
{
	const uint64_t n = UINT64_C(3) << 62;
	uint64_t top[3] = {0, 0, 0}, mod3[3] = {0, 0, 0};
	struct pz_rng r;

	(void)state;
	pz_rng_init(&r, SEED, 32);
	for (int i = 0; i < 300000; i++) {
		uint64_t v = pz_rng_below(&r, n);

		assert_true(v < n);
		top[v >> 62]++;
		mod3[v % 3]++;
	}
	assert_flat(top, 3, 13.816);
	assert_flat(mod3, 3, 13.816);

	for (int i = 0; i < 1000; i++)
		assert_true(pz_rng_below(&r, UINT64_MAX) < UINT64_MAX);
}

static void normal_moments(void **state)
{
	enum { N = 400000 };
	struct pz_rng r;
	double sum = 0, sumsq = 0, within1 = 0, mean, var;

	(void)state;
	pz_rng_init(&r, SEED, 41);
	for (int i = 0; i < N; i++) {
		double z = pz_rng_normal(&r);

		assert_true(isfinite(z));
		sum += z;
		sumsq += z * z;
		within1 += fabs(z) < 1.0;
	}
	mean = sum / N;
	var = sumsq / N - mean * mean;
	/* Standard errors: 1/sqrt(N) for the mean, sqrt(2/N) for the
	 * variance, sqrt(p(1-p)/N) for P(|z| < 1) = erf(1/sqrt(2)). */
	assert_true(fabs(mean) < 5 / sqrt(N));
	assert_true(fabs(var - 1) < 5 * sqrt(2.0 / N));
	assert_true(fabs(within1 / N - erf(M_SQRT1_2)) <
	            5 * sqrt(0.6827 * 0.3173 / N));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(philox_known_answers),
		cmocka_unit_test(stream_is_philox_counter),
		cmocka_unit_test(conversions_compose),
		cmocka_unit_test(stream_is_independent_of_others),
		cmocka_unit_test(init_rewinds),
		cmocka_unit_test(streams_and_seeds_differ),
		cmocka_unit_test(uniform_in_unit_interval),
		cmocka_unit_test(below_small_n),
		cmocka_unit_test(below_large_n),
		cmocka_unit_test(normal_moments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
