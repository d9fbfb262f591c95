/*
 * Counter-based deterministic random numbers.
 *
 * The generator is Philox4x32-10 (Salmon et al., "Parallel random numbers:
 * as easy as 1, 2, 3", SC 2011): a keyed bijection of a 128-bit counter.
 * The 64-bit key is the study seed; the upper 64 bits of the counter are the
 * stream number (the trial number), the lower 64 bits count blocks within
 * the stream. So stream(seed, k) is a pure function of (seed, k): trial k
 * draws the same numbers whatever happened before it, in this process or
 * in another, on any machine (the arithmetic is integer-only until the
 * final conversion to double, which is exact).
 *
 * Conversions:
 *   pz_rng_uniform  53 random bits scaled to [0, 1).
 *   pz_rng_normal   Box-Muller on two uniforms: u1 in (0, 1], u2 in [0, 1),
 *                   r = sqrt(-2 ln u1), returns r cos(2 pi u2) and keeps
 *                   r sin(2 pi u2) for the next call.
 *   pz_rng_below    an integer in [0, n) by Lemire's multiply-and-reject,
 *                   unbiased.
 *
 * The state is a plain struct owned by the caller; no globals.
 */
#ifndef PZ_RNG_H
#define PZ_RNG_H

#include <stdint.h>

struct pz_rng {
	uint64_t key;
	uint64_t stream;
	uint64_t block;  /* next block index within the stream */
	uint32_t out[4]; /* current block */
	int avail;       /* 32-bit words of out[] not yet used */
	int have_spare;  /* a second Box-Muller normal is cached */
	double spare;
};

/* Position `r` at the start of stream(seed, stream). */
void pz_rng_init(struct pz_rng *r, uint64_t seed, uint64_t stream);

uint32_t pz_rng_u32(struct pz_rng *r);
uint64_t pz_rng_u64(struct pz_rng *r);
double pz_rng_uniform(struct pz_rng *r);
double pz_rng_normal(struct pz_rng *r);
/* n > 0. */
uint64_t pz_rng_below(struct pz_rng *r, uint64_t n);

/* One raw Philox4x32-10 block, exposed for known-answer tests. */
void pz_rng_philox(const uint32_t ctr[4], const uint32_t key[2],
                   uint32_t out[4]);

#endif
