/*
 * A spatial index over the kernel centres of a group's trials, for scoring
 * TPE's "above" density g(x) at large n without visiting every kernel.
 *
 * The index covers the history's slots [first, end) where the group's
 * first member is active, split at medians of the numeric dims (measured
 * in prior sigmas) into leaves of at most PZ_KDTREE_LEAF points; each node
 * keeps the bounding box of its centres per numeric dim and, per
 * categorical dim, the set of categories present. The tree is a pure
 * function of the history's values in those slots, never of the order
 * trials arrived in or their states, so a tree built long ago and one
 * built now for the same slots are identical (bit-identical suggestions with a warm or a
 * cold cache).
 *
 * pz_kdtree_logpdf() scores one point by branch and bound: a node is
 * skipped when the largest log term any of its kernels can have is more
 * than `cutoff` below the largest term found so far, so the density's
 * relative error is below n * exp(-cutoff) (docs/space.md, "Approximate
 * g(x)"). Slots past the trees are scored one by one.
 */
#ifndef PZ_KDTREE_H
#define PZ_KDTREE_H

#include <stddef.h>
#include <stdint.h>

#include <parzen/history.h>
#include <parzen/kde.h>

#define PZ_KDTREE_LEAF 16

/* Internal to libparzen: not exported from the shared library. */
#define PZ_KDTREE_API __attribute__((visibility("hidden")))

struct pz_kdtree_node {
	uint32_t lo, hi; /* points [lo, hi) in tree order */
	int32_t left;    /* child nodes left, left + 1; -1: a leaf */
};

struct pz_kdtree {
	int n_dims;
	int n_num;           /* numeric dims (split and bounded) */
	size_t first, end;   /* slots covered */
	uint32_t n;          /* points */
	uint32_t *slot;      /* per point: its history slot */
	double *center;      /* n_dims x n, tree order (kernel space or
	                        category index) */
	struct pz_kdtree_node *node;
	size_t n_nodes;
	double *boxes;       /* per node: min, max per numeric dim */
	uint64_t *masks;     /* per node x categorical dim: categories seen
	                        (options past 63 share the top bit) */
	uint32_t *holes;     /* slots covered that were empty at build */
	size_t n_holes;
	uint64_t removed;    /* the history's n_removed at build */
	/* Per query (pz_kdtree_begin): each kernel's log(w / mass) once
	 * its leaf is first reached. */
	double *memo;
	unsigned char *leaf_done; /* per node */
};

/*
 * Build over slots [first, end) of h for the D params `members` described
 * by dims (borrowed only during the call). 0 or PZ_ENOMEM.
 */
PZ_KDTREE_API int pz_kdtree_build(struct pz_kdtree *t, const struct pz_history *h,
                    const struct pz_gmm_dim *dims, const int *members, int D,
                    size_t first, size_t end);
PZ_KDTREE_API void pz_kdtree_finish(struct pz_kdtree *t);

/* Whether t still describes h: no hole filled, nothing removed. */
PZ_KDTREE_API int pz_kdtree_valid(const struct pz_kdtree *t, const struct pz_history *h);

/*
 * The above density's per-query data: `shape` an estimator fitted with
 * no components but the bandwidth of n kernels (pz_kde_fit_shape);
 * `wslot[s]` the unnormalized weight of slot s's kernel (0: none), over
 * n_slots slots; `wsum` the weights' total with the prior's; the slots
 * [tail_first, n_slots) are in no tree, and tail_memo (as many doubles,
 * NaN at the query's start) keeps their log(w / mass).
 */
struct pz_kdtree_query {
	const struct pz_kde *shape;
	const int *members;
	const struct pz_history *h;
	const double *wslot;
	size_t n_slots;
	double wsum;
	double wmax;   /* no weight in wslot exceeds this */
	double cutoff;
	size_t tail_first;
	double *tail_memo;
};

/* Prepare t for a new query (forgets the previous query's memo). */
PZ_KDTREE_API void pz_kdtree_begin(struct pz_kdtree *t);
/* log g(x) for the joint value x[k] (value space), over the kernels of
 * the trees (in this order) and the tail. */
PZ_KDTREE_API double pz_kdtree_logpdf(struct pz_kdtree *const *trees, int n_trees,
                        const struct pz_kdtree_query *q, const double *x);

#endif
