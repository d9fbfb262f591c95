/*
 * What TPE keeps of one activation group between suggestions, for its
 * approximate g(x) at large n (docs/space.md, "Approximate g(x)"): every
 * history slot's kernel centre (kernel space, or category index) and the
 * product of its kernel's truncation masses at given bandwidths, indexed
 * by slot. The history only grows, so a suggestion computes the centres
 * of new slots only, and the masses again only when the bandwidths
 * change (TPE steps them on a grid of n, tpe.c).
 *
 * Every entry is a pure function of the slot's values and the
 * bandwidths, so a cache grown over many suggestions and one filled now
 * hold the same bits (the suggestions with a warm cache, a cold one or
 * none are identical); a removed trial (pz_history_remove) empties it.
 */
#ifndef PZ_KDE_CACHE_H
#define PZ_KDE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <parzen/gmm.h>
#include <parzen/history.h>

/* Internal to libparzen: not exported from the shared library. */
#define PZ_KDE_CACHE_API __attribute__((visibility("hidden")))

struct pz_kde_cache {
	int n_dims;
	size_t n, cap;       /* slots covered, allocated */
	double *center;      /* n_dims columns of cap: centre, 0 if none */
	double *mass;        /* per slot: product of truncation masses */
	uint32_t *holes;     /* covered slots still empty (PZ_TRIAL_NONE) */
	size_t n_holes, cap_holes;
	double *sigma;       /* per dim: the masses' bandwidths (NaN: none) */
	uint64_t removed;    /* the history's n_removed */
	/* Work space of one suggestion (pz_kde_cache_reserve), kept so that
	 * the next one does not fault in fresh pages: per slot, a kernel's
	 * weight and log base, and the scoring's scratch. */
	double *wslot, *base, *scratch;
	size_t cap_work;
};

PZ_KDE_CACHE_API void pz_kde_cache_finish(struct pz_kde_cache *c);
/* Work space for n slots. 0 or PZ_ENOMEM. */
PZ_KDE_CACHE_API int pz_kde_cache_reserve(struct pz_kde_cache *c, size_t n);
/*
 * Bring c up to date with h for the D params `members` (dims[k] describes
 * members[k]; the group is active where members[0] is not NaN), with
 * numeric dims' bandwidths sigma[k]. 0 or PZ_ENOMEM (c is then empty).
 */
PZ_KDE_CACHE_API int pz_kde_cache_update(struct pz_kde_cache *c,
                                         const struct pz_history *h,
                                         const struct pz_gmm_dim *dims,
                                         const int *members, int D,
                                         const double *sigma);

#endif
