/*
 * The spatial index behind TPE's approximate g(x) at large n; see
 * kdtree.h for the contract and the error bound.
 *
 * Each kernel's term is log(w / (wsum * mass)) - sum log(sqrt(2 pi)
 * sigma) plus, per numeric dim, -(t - c)^2 / (2 sigma^2) and, per
 * categorical dim, the kernel's log probability of x's category: the
 * terms pz_kde_logpdf() sums. A node's bound replaces the weight by the
 * largest, the truncation mass by its least value over the root's box
 * (the mass of a kernel truncated to [lo, hi] falls as its centre moves
 * away from the middle, so its least is at a box edge), the distance by
 * the distance to the node's box and a category by a hit if the node
 * holds it.
 */
#include "kdtree.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOG_SQRT_2PI 0.918938533204672742

void pz_kdtree_finish(struct pz_kdtree *t)
{
	free(t->slot);
	free(t->center);
	free(t->node);
	free(t->boxes);
	free(t->masks);
	free(t->holes);
	free(t->memo);
	free(t->leaf_done);
	memset(t, 0, sizeof(*t));
}

struct build {
	struct pz_kdtree *t;
	const struct pz_gmm_dim *dims;
	uint32_t *perm; /* point indices in build order */
	const double *col; /* centres by point, n_dims x n (point order) */
	int *num;          /* numeric dim indices */
	int *cat;          /* categorical dim indices */
	int n_cat;
	size_t cap_nodes;
};

/* (value, slot) order of points a and b along dim d. */
static int less(const struct build *b, int d, uint32_t a, uint32_t c)
{
	double va = b->col[(size_t)d * b->t->n + a];
	double vc = b->col[(size_t)d * b->t->n + c];

	if (va != vc)
		return va < vc;
	return b->t->slot[a] < b->t->slot[c];
}

/* Put the k-th point of perm[lo, hi) in (value, slot) order along d at
 * position k, smaller ones before it, larger after (Hoare's select). */
static void select_kth(const struct build *b, int d, uint32_t lo,
                       uint32_t hi, uint32_t k)
{
	uint32_t *p = b->perm;

	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2, pv, i = lo, j = hi - 1, tmp;

		if (hi - lo == 2) {
			if (less(b, d, p[lo + 1], p[lo])) {
				tmp = p[lo]; p[lo] = p[lo + 1]; p[lo + 1] = tmp;
			}
			return;
		}

		/* Median of three as the pivot. */
		if (less(b, d, p[mid], p[lo])) {
			tmp = p[mid]; p[mid] = p[lo]; p[lo] = tmp;
		}
		if (less(b, d, p[hi - 1], p[lo])) {
			tmp = p[hi - 1]; p[hi - 1] = p[lo]; p[lo] = tmp;
		}
		if (less(b, d, p[hi - 1], p[mid])) {
			tmp = p[hi - 1]; p[hi - 1] = p[mid]; p[mid] = tmp;
		}
		pv = p[mid];
		for (;;) {
			while (less(b, d, p[i], pv))
				i++;
			while (less(b, d, pv, p[j]))
				j--;
			if (i >= j)
				break;
			tmp = p[i]; p[i] = p[j]; p[j] = tmp;
			i++;
			j--;
		}
		/* Now [lo, j] <= pivot <= [j + 1, hi). */
		if (k <= j)
			hi = j + 1;
		else
			lo = j + 1;
	}
}

static int new_node(struct build *b, size_t *out)
{
	struct pz_kdtree *t = b->t;

	if (t->n_nodes == b->cap_nodes) {
		size_t cap = b->cap_nodes ? 2 * b->cap_nodes : 64;
		void *nn = realloc(t->node, cap * sizeof(*t->node));

		if (nn == NULL)
			return PZ_ENOMEM;
		t->node = nn;
		b->cap_nodes = cap;
	}
	*out = t->n_nodes++;
	return 0;
}

static int build_node(struct build *b, size_t ni, uint32_t lo, uint32_t hi)
{
	struct pz_kdtree *t = b->t;
	int best_d = -1;
	double best_w = 0;
	size_t left;
	int rc;

	t->node[ni].lo = lo;
	t->node[ni].hi = hi;
	t->node[ni].left = -1;
	if (hi - lo <= PZ_KDTREE_LEAF)
		return 0;
	for (int k = 0; k < t->n_num; k++) {
		int d = b->num[k];
		const double *c = b->col + (size_t)d * t->n;
		double mn = c[b->perm[lo]], mx = mn;

		for (uint32_t i = lo + 1; i < hi; i++) {
			double v = c[b->perm[i]];

			mn = v < mn ? v : mn;
			mx = v > mx ? v : mx;
		}
		if ((mx - mn) / b->dims[d].prior_sigma > best_w) {
			best_w = (mx - mn) / b->dims[d].prior_sigma;
			best_d = d;
		}
	}
	if (best_d < 0)
		return 0; /* all centres equal: one leaf */
	select_kth(b, best_d, lo, hi, lo + (hi - lo) / 2);
	if ((rc = new_node(b, &left)) != 0)
		return rc;
	{
		size_t right;

		if ((rc = new_node(b, &right)) != 0)
			return rc;
	}
	t->node[ni].left = (int32_t)left;
	if ((rc = build_node(b, left, lo, lo + (hi - lo) / 2)) != 0)
		return rc;
	return build_node(b, left + 1, lo + (hi - lo) / 2, hi);
}

int pz_kdtree_build(struct pz_kdtree *t, const struct pz_history *h,
                    const struct pz_gmm_dim *dims, const int *members, int D,
                    size_t first, size_t end)
{
	struct build b;
	double *col = NULL;
	size_t n = 0, n_holes = 0, cat_words;
	int rc = PZ_ENOMEM;

	memset(t, 0, sizeof(*t));
	memset(&b, 0, sizeof(b));
	t->n_dims = D;
	t->first = first;
	t->end = end;
	t->removed = h->n_removed;
	for (size_t s = first; s < end; s++) {
		if (h->state[s] == PZ_TRIAL_NONE)
			n_holes++;
		else if (!isnan(pz_history_row(h, s)[members[0]]))
			n++;
	}
	t->n = (uint32_t)n;
	t->slot = malloc((n ? n : 1) * sizeof(uint32_t));
	t->holes = malloc((n_holes ? n_holes : 1) * sizeof(uint32_t));
	col = malloc((size_t)D * (n ? n : 1) * sizeof(double));
	t->center = malloc((size_t)D * (n ? n : 1) * sizeof(double));
	b.perm = malloc((n ? n : 1) * sizeof(uint32_t));
	b.num = malloc((size_t)(D > 0 ? D : 1) * sizeof(int));
	b.cat = malloc((size_t)(D > 0 ? D : 1) * sizeof(int));
	if (t->slot == NULL || t->holes == NULL || col == NULL ||
	    t->center == NULL || b.perm == NULL || b.num == NULL ||
	    b.cat == NULL)
		goto fail;
	n = 0;
	for (size_t s = first; s < end; s++) {
		const double *row = pz_history_row(h, s);

		if (h->state[s] == PZ_TRIAL_NONE) {
			t->holes[t->n_holes++] = (uint32_t)s;
			continue;
		}
		if (isnan(row[members[0]]))
			continue;
		for (int d = 0; d < D; d++)
			col[(size_t)d * t->n + n] =
				dims[d].categorical
					? pz_gmm_dim_category(&dims[d], row[members[d]])
					: pz_gmm_dim_to_kernel(&dims[d], row[members[d]]);
		t->slot[n] = (uint32_t)s;
		b.perm[n] = (uint32_t)n;
		n++;
	}
	for (int d = 0; d < D; d++) {
		if (dims[d].categorical)
			b.cat[b.n_cat++] = d;
		else
			b.num[t->n_num++] = d;
	}
	b.t = t;
	b.dims = dims;
	b.col = col;
	{
		size_t root;

		if ((rc = new_node(&b, &root)) != 0 ||
		    (rc = build_node(&b, root, 0, t->n)) != 0)
			goto fail;
		rc = PZ_ENOMEM;
	}
	/* Points in tree order; each node's box and category sets. */
	{
		uint32_t *slot = malloc((n ? n : 1) * sizeof(uint32_t));

		if (slot == NULL)
			goto fail;
		for (size_t i = 0; i < n; i++) {
			slot[i] = t->slot[b.perm[i]];
			for (int d = 0; d < D; d++)
				t->center[(size_t)d * n + i] =
					col[(size_t)d * n + b.perm[i]];
		}
		free(t->slot);
		t->slot = slot;
	}
	cat_words = (size_t)b.n_cat;
	t->boxes = malloc(t->n_nodes * 2 * (size_t)(t->n_num ? t->n_num : 1) *
	                  sizeof(double));
	t->masks = malloc(t->n_nodes * (cat_words ? cat_words : 1) *
	                  sizeof(uint64_t));
	t->memo = malloc((n ? n : 1) * sizeof(double));
	t->leaf_done = malloc(t->n_nodes);
	if (t->boxes == NULL || t->masks == NULL || t->memo == NULL ||
	    t->leaf_done == NULL)
		goto fail;
	for (size_t ni = 0; ni < t->n_nodes; ni++) {
		const struct pz_kdtree_node *nd = &t->node[ni];
		double *box = t->boxes + ni * 2 * (size_t)t->n_num;
		uint64_t *mask = t->masks + ni * cat_words;

		for (int k = 0; k < t->n_num; k++) {
			const double *c = t->center + (size_t)b.num[k] * n;
			double mn = INFINITY, mx = -INFINITY;

			for (uint32_t i = nd->lo; i < nd->hi; i++) {
				mn = c[i] < mn ? c[i] : mn;
				mx = c[i] > mx ? c[i] : mx;
			}
			box[2 * k] = mn;
			box[2 * k + 1] = mx;
		}
		for (int k = 0; k < b.n_cat; k++) {
			const double *c = t->center + (size_t)b.cat[k] * n;
			uint64_t m = 0;

			for (uint32_t i = nd->lo; i < nd->hi; i++)
				m |= (uint64_t)1 << (c[i] < 63 ? (int)c[i] : 63);
			mask[k] = m;
		}
	}
	rc = 0;
fail:
	free(col);
	free(b.perm);
	free(b.num);
	free(b.cat);
	if (rc != 0)
		pz_kdtree_finish(t);
	return rc;
}

int pz_kdtree_valid(const struct pz_kdtree *t, const struct pz_history *h)
{
	if (h->n_removed != t->removed || h->n_slots < t->end)
		return 0;
	for (size_t i = 0; i < t->n_holes; i++)
		if (h->state[t->holes[i]] != PZ_TRIAL_NONE)
			return 0;
	return 1;
}

void pz_kdtree_begin(struct pz_kdtree *t)
{
	memset(t->leaf_done, 0, t->n_nodes);
}

/* log(w / (wsum * mass)) - lss of a kernel at kernel-space centre c(d). */
static double kernel_base(const struct pz_kde *k, const double *c,
                          size_t stride, double w, double wsum, double lss)
{
	double mass = 1.0;

	for (int d = 0; d < k->n_dims; d++) {
		const struct pz_gmm_dim *dd = &k->dims[d];
		double s = k->sigma[d], v = c[(size_t)d * stride];

		if (dd->categorical || !dd->bounded)
			continue;
		mass *= pz_gmm_normal_mass_fast((dd->lo - v) / s,
		                                (dd->hi - v) / s);
	}
	return log(w / wsum / mass) - lss;
}

/* Running log-sum-exp with a floor of `cutoff` below the largest. */
struct acc {
	double m, s, cutoff;
};

static void acc_add(struct acc *a, double term)
{
	if (term > a->m) {
		a->s = a->s * exp(a->m - term) + 1.0;
		a->m = term;
	} else if (term > a->m - a->cutoff) {
		a->s += exp(term - a->m);
	}
}

struct walk {
	struct pz_kdtree *t;
	const struct pz_kdtree_query *q;
	const struct pz_kde *k;
	const double *tk;   /* per dim: x in kernel space, or its category */
	const double *hz;   /* per dim: 1 / (2 sigma^2) (numeric) */
	const double *hit, *miss; /* per dim: log kernel prob of x's category */
	const int *num, *cat;
	int n_cat;
	double b0;          /* the bound's constant part */
	double lss;
	struct acc acc;
};

static double node_bound(const struct walk *w, size_t ni)
{
	const struct pz_kdtree *t = w->t;
	const double *box = t->boxes + ni * 2 * (size_t)t->n_num;
	const uint64_t *mask = t->masks + ni * (size_t)w->n_cat;
	double b = w->b0;

	for (int k = 0; k < t->n_num; k++) {
		int d = w->num[k];
		double x = w->tk[d], gap = 0;

		if (x < box[2 * k])
			gap = box[2 * k] - x;
		else if (x > box[2 * k + 1])
			gap = x - box[2 * k + 1];
		b -= w->hz[d] * gap * gap;
	}
	for (int k = 0; k < w->n_cat; k++) {
		int d = w->cat[k], c = (int)w->tk[d];
		uint64_t bit = (uint64_t)1 << (c < 63 ? c : 63);

		b += (mask[k] & bit) ? w->hit[d] : w->miss[d];
	}
	return b;
}

static void visit_leaf(struct walk *w, size_t ni)
{
	struct pz_kdtree *t = w->t;
	const struct pz_kdtree_node *nd = &t->node[ni];
	const struct pz_kde *k = w->k;
	size_t n = t->n;

	if (!t->leaf_done[ni]) {
		for (uint32_t i = nd->lo; i < nd->hi; i++) {
			double wt = w->q->wslot[t->slot[i]];

			t->memo[i] = wt > 0 ? kernel_base(k, t->center + i, n, wt,
			                                  w->q->wsum, w->lss)
			                    : -INFINITY;
		}
		t->leaf_done[ni] = 1;
	}
	for (uint32_t i = nd->lo; i < nd->hi; i++) {
		double term = t->memo[i];

		if (term == -INFINITY)
			continue;
		for (int d = 0; d < k->n_dims; d++) {
			double c = t->center[(size_t)d * n + i];

			if (k->dims[d].categorical) {
				term += c == w->tk[d] ? w->hit[d] : w->miss[d];
			} else {
				double diff = w->tk[d] - c;

				term -= w->hz[d] * diff * diff;
			}
		}
		acc_add(&w->acc, term);
	}
}

static void visit(struct walk *w, size_t ni, double bound)
{
	const struct pz_kdtree_node *nd = &w->t->node[ni];
	double bl, br;

	if (bound < w->acc.m - w->acc.cutoff)
		return;
	if (nd->left < 0) {
		visit_leaf(w, ni);
		return;
	}
	bl = node_bound(w, (size_t)nd->left);
	br = node_bound(w, (size_t)nd->left + 1);
	if (bl >= br) {
		visit(w, (size_t)nd->left, bl);
		visit(w, (size_t)nd->left + 1, br);
	} else {
		visit(w, (size_t)nd->left + 1, br);
		visit(w, (size_t)nd->left, bl);
	}
}

double pz_kdtree_logpdf(struct pz_kdtree *const *trees, int n_trees,
                        const struct pz_kdtree_query *q, const double *x)
{
	const struct pz_kde *k = q->shape;
	const struct pz_history *h = q->h;
	int D = k->n_dims, n_num = 0, n_cat = 0;
	double tk[D > 0 ? D : 1], hz[D > 0 ? D : 1], hit[D > 0 ? D : 1],
		miss[D > 0 ? D : 1], c[D > 0 ? D : 1];
	int num[D > 0 ? D : 1], cat[D > 0 ? D : 1];
	double prior = k->prior_base, lss = 0, b0;
	struct walk w;

	for (int d = 0; d < D; d++) {
		const struct pz_gmm_dim *dd = &k->dims[d];

		if (dd->categorical) {
			size_t off = (size_t)d * (k->max_options + 1);
			int ci = pz_gmm_dim_category(dd, x[d]);

			tk[d] = ci;
			hit[d] = k->cat_hit[off + ci];
			miss[d] = k->cat_miss[off + ci];
			prior += log(dd->p0 != NULL ? dd->p0[ci]
			                            : 1.0 / dd->n_options);
			cat[n_cat++] = d;
			continue;
		}
		double zp;

		tk[d] = pz_gmm_dim_to_kernel(dd, x[d]);
		hz[d] = 0.5 / (k->sigma[d] * k->sigma[d]);
		zp = (tk[d] - dd->prior_mu) / dd->prior_sigma;
		prior -= 0.5 * zp * zp;
		lss += log(k->sigma[d]) + LOG_SQRT_2PI;
		num[n_num++] = d;
	}
	w.q = q;
	w.k = k;
	w.tk = tk;
	w.hz = hz;
	w.hit = hit;
	w.miss = miss;
	w.num = num;
	w.cat = cat;
	w.n_cat = n_cat;
	w.lss = lss;
	w.acc.m = prior;
	w.acc.s = 1.0;
	w.acc.cutoff = q->cutoff;
	/* The slots past the trees, one by one, in slot order. */
	for (size_t s = q->tail_first; s < q->n_slots; s++) {
		double wt = q->wslot[s], term, *memo = &q->tail_memo[s - q->tail_first];
		const double *row = pz_history_row(h, s);

		if (!(wt > 0))
			continue;
		for (int d = 0; d < D; d++)
			c[d] = k->dims[d].categorical
			               ? pz_gmm_dim_category(&k->dims[d],
			                                     row[q->members[d]])
			               : pz_gmm_dim_to_kernel(&k->dims[d],
			                                      row[q->members[d]]);
		if (isnan(*memo))
			*memo = kernel_base(k, c, 1, wt, q->wsum, lss);
		term = *memo;
		for (int d = 0; d < D; d++) {
			if (k->dims[d].categorical) {
				term += c[d] == tk[d] ? hit[d] : miss[d];
			} else {
				double diff = tk[d] - c[d];

				term -= hz[d] * diff * diff;
			}
		}
		acc_add(&w.acc, term);
	}
	for (int i = 0; i < n_trees; i++) {
		struct pz_kdtree *t = trees[i];
		const double *root = t->boxes;

		if (t->n == 0)
			continue;
		/* The bound's constant: the largest weight, the least mass. */
		b0 = log(q->wmax / q->wsum) - lss;
		for (int j = 0; j < n_num; j++) {
			const struct pz_gmm_dim *dd = &k->dims[num[j]];
			double s = k->sigma[num[j]], m1, m2;

			if (!dd->bounded)
				continue;
			m1 = pz_gmm_normal_mass_fast((dd->lo - root[2 * j]) / s,
			                             (dd->hi - root[2 * j]) / s);
			m2 = pz_gmm_normal_mass_fast((dd->lo - root[2 * j + 1]) / s,
			                             (dd->hi - root[2 * j + 1]) / s);
			/* A margin for the table's interpolation. */
			b0 -= log(0.999 * fmin(m1, m2));
		}
		w.t = t;
		w.b0 = b0;
		visit(&w, 0, node_bound(&w, 0));
	}
	return w.acc.m + log(w.acc.s);
}
