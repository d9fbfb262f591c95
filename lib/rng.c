/*
 * Philox4x32-10 and the conversions built on it; see rng.h for the
 * contract. The round function and constants are those published by
 * Salmon et al.; the known-answer vectors in tests/unit/test_rng.c come
 * from the same paper's reference implementation (Random123).
 */
#include <parzen/rng.h>

#include <math.h>

#define TWO_PI 6.283185307179586476925286766559

#define PHILOX_M0 UINT32_C(0xD2511F53)
#define PHILOX_M1 UINT32_C(0xCD9E8D57)
#define PHILOX_W0 UINT32_C(0x9E3779B9)
#define PHILOX_W1 UINT32_C(0xBB67AE85)

void pz_rng_philox(const uint32_t ctr[4], const uint32_t key[2],
                   uint32_t out[4])
{
	uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
	uint32_t k0 = key[0], k1 = key[1];

	for (int i = 0; i < 10; i++) {
		uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
		uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
		uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
		uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;

		c0 = hi1 ^ c1 ^ k0;
		c1 = lo1;
		c2 = hi0 ^ c3 ^ k1;
		c3 = lo0;
		k0 += PHILOX_W0;
		k1 += PHILOX_W1;
	}
	out[0] = c0;
	out[1] = c1;
	out[2] = c2;
	out[3] = c3;
}

void pz_rng_init(struct pz_rng *r, uint64_t seed, uint64_t stream)
{
	r->key = seed;
	r->stream = stream;
	r->block = 0;
	r->avail = 0;
	r->have_spare = 0;
	r->spare = 0.0;
}

static void refill(struct pz_rng *r)
{
	uint32_t ctr[4] = {(uint32_t)r->block, (uint32_t)(r->block >> 32),
	                   (uint32_t)r->stream, (uint32_t)(r->stream >> 32)};
	uint32_t key[2] = {(uint32_t)r->key, (uint32_t)(r->key >> 32)};

	pz_rng_philox(ctr, key, r->out);
	r->block++;
	r->avail = 4;
}

uint32_t pz_rng_u32(struct pz_rng *r)
{
	if (r->avail == 0)
		refill(r);
	return r->out[4 - r->avail--];
}

uint64_t pz_rng_u64(struct pz_rng *r)
{
	uint64_t hi = pz_rng_u32(r);
	uint64_t lo = pz_rng_u32(r);

	return (hi << 32) | lo;
}

double pz_rng_uniform(struct pz_rng *r)
{
	return (double)(pz_rng_u64(r) >> 11) * 0x1.0p-53;
}

double pz_rng_normal(struct pz_rng *r)
{
	double u1, u2, rad;

	if (r->have_spare) {
		r->have_spare = 0;
		return r->spare;
	}
	u1 = 1.0 - pz_rng_uniform(r); /* (0, 1]: log stays finite */
	u2 = pz_rng_uniform(r);
	rad = sqrt(-2.0 * log(u1));
	r->spare = rad * sin(TWO_PI * u2);
	r->have_spare = 1;
	return rad * cos(TWO_PI * u2);
}

uint64_t pz_rng_below(struct pz_rng *r, uint64_t n)
{
	/* Lemire, "Fast random integer generation in an interval" (2019). */
	unsigned __int128 m = (unsigned __int128)pz_rng_u64(r) * n;
	uint64_t low = (uint64_t)m;

	if (low < n) {
		uint64_t threshold = -n % n;

		while (low < threshold) {
			m = (unsigned __int128)pz_rng_u64(r) * n;
			low = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}
