/*
 * Joint (multivariate) Parzen estimator over the labels of one activation
 * group.
 *
 * One component per observed trial (a product of one kernel per label,
 * all centred on that trial's values) plus one prior component. Numeric
 * labels get Gaussian kernels in kernel space (log space for log kinds),
 * truncated to the bounds, with one bandwidth per label,
 *     sigma_d = bandwidth * n^(-1 / (D + 4)) * width_d
 * (Scott's rule shape; width_d = high - low, or the prior sigma for the
 * unbounded normal kinds), clipped to [width_d / min(100, n + 1), width_d]
 * and, for quantized labels, floored at the step. Categorical labels get
 * Optuna's smoothed kernel: mass 1 on the observed option plus
 * prior_weight / (n + 1) spread by the prior's probabilities, normalized.
 * Quantized values are scored by the kernel density at the grid point
 * (midpoint rule); with sigma >= q the rule's relative error is below
 * (z^2 + 1) / 24 for a point z sigmas from a centre, and both estimators
 * of a ratio use it alike.
 *
 * Evaluating the log density is O(n * D) multiply-adds with one exp per
 * component; the loops run over structure-of-arrays columns.
 */
#ifndef PZ_KDE_H
#define PZ_KDE_H

#include <parzen/gmm.h>
#include <parzen/rng.h>

struct pz_kde {
	int n; /* observed components (prior kept apart) */
	int n_dims;
	const struct pz_gmm_dim *dims;
	double *center;   /* n_dims x n: kernel-space centre or category */
	double *base;     /* per component: log weight - log normalizers */
	double *w;        /* per component: normalized weight */
	double *sigma;    /* per dim */
	double *cat_hit;  /* per dim x option: log p(option | observed it) */
	double *cat_miss; /* per dim x option: log p(option | other) */
	int max_options;
	double prior_w; /* normalized weight of the prior component */
	double prior_base;
	double *scratch; /* n doubles */
};

/*
 * Fit to `n` observations: `rows[i]` is the params vector of observation i
 * and `weights[i]` its unnormalized weight. `members` lists the D params of
 * the group (dims[k] describes members[k]).
 */
int pz_kde_fit(struct pz_kde *k, const struct pz_gmm_dim *dims,
               const int *members, int n_dims, const double *const *rows,
               const double *weights, int n, double prior_weight,
               double bandwidth);
void pz_kde_finish(struct pz_kde *k);

/* Draw one joint value: out[k] for dims[k], in value space. */
void pz_kde_sample(const struct pz_kde *k, struct pz_rng *rng, double *out);

/* Log density of the joint value x[k] (value space). */
double pz_kde_logpdf(const struct pz_kde *k, const double *x);

#endif
