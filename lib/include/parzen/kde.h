/*
 * Joint (multivariate) Parzen estimator over the labels of one activation
 * group.
 *
 * One component per observed trial (a product of one kernel per label,
 * all centred on that trial's values) plus one prior component. Numeric
 * labels get Gaussian kernels in kernel space (log space for log kinds),
 * truncated to the bounds, with one bandwidth per label,
 *     sigma_d = bandwidth * n^(-1 / (D + 4)) * width_d
 * (Scott's rule shape; width_d = high - low, or unbounded_width times the
 * prior sigma for the unbounded normal kinds), clipped to
 * [width_d / min(100, n + 1), width_d] and, for quantized labels, floored
 * at the step. Categorical labels get Optuna's smoothed kernel: mass
 * 1 - lambda on the observed option and lambda spread by the prior's
 * probabilities, lambda = eps K / (1 + eps K), eps = prior_weight /
 * (n + 1), for K options. The prior component is
 * the prior itself (the bounded kinds: a Gaussian of width high - low
 * centred between the bounds, truncated to them, as hyperopt's).
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
	double *cat_phit, *cat_pmiss; /* the same, not logs (one allocation
	                                 with cat_hit, cat_miss) */
	int max_options;
	int linear; /* all dims categorical, terms summed in linear space */
	double prior_w; /* normalized weight of the prior component */
	double prior_base;
	double *scratch; /* n doubles */
	size_t stride;   /* of center's columns; 0: n */
};

struct pz_kde_opts {
	double prior_weight;    /* weight of the prior component (> 0) */
	double bandwidth;       /* Scott-rule factor */
	double unbounded_width; /* width of an unbounded kind, in sigmas */
};

/*
 * Fit to `n` observations: `rows[i]` is the params vector of observation i
 * and `weights[i]` its unnormalized weight. `members` lists the D params of
 * the group (dims[k] describes members[k]). `dims` is borrowed for the
 * estimator's life. Returns 0 or PZ_ENOMEM.
 */
int pz_kde_fit(struct pz_kde *k, const struct pz_gmm_dim *dims,
               const int *members, int n_dims, const double *const *rows,
               const double *weights, int n, const struct pz_kde_opts *o);
void pz_kde_finish(struct pz_kde *k);
/*
 * The same estimator's shape without its components: the categorical
 * tables of n observations whose weights sum (with the prior's) to wsum,
 * the bandwidths of n_scott observations, and the prior component;
 * k->n is 0. TPE's approximate g(x) at large n (docs/space.md) gives it
 * components kept between suggestions (lib/kde_cache.h): it sets n and
 * stride and replaces center, base and scratch by arrays of its own,
 * which it sets back to NULL before pz_kde_finish().
 */
int pz_kde_fit_shape(struct pz_kde *k, const struct pz_gmm_dim *dims,
                     int n_dims, int n, int n_scott, double wsum,
                     const struct pz_kde_opts *o);

/* Draw one joint value: out[k] for dims[k], in value space. */
void pz_kde_sample(const struct pz_kde *k, struct pz_rng *rng, double *out);

/*
 * Conditioning on categories: the categorical dims with given[k] != 0
 * take the values x[k]. pz_kde_condition() writes the cumulative weights
 * of the components under that condition into cum (k->n + 1 doubles, the
 * prior's last); pz_kde_sample_given() then draws the other dims into
 * out, leaving the given ones as they are, so that one condition serves
 * many draws. cum == NULL (and given == NULL): pz_kde_sample().
 */
void pz_kde_condition(const struct pz_kde *k, const unsigned char *given,
                      const double *x, double *cum);
void pz_kde_sample_given(const struct pz_kde *k, struct pz_rng *rng,
                         const unsigned char *given, const double *cum,
                         double *out);

/* Log density of the joint value x[k] (value space). */
double pz_kde_logpdf(const struct pz_kde *k, const double *x);
/*
 * The log densities of m joint values (xs[j * n_dims + k]) into out[j],
 * for many components: the components are read once for all m points.
 * Not bit for bit pz_kde_logpdf(): a term within the cut-off of the
 * running largest term is summed where pz_kde_logpdf() compares with the
 * final largest, and the sum is kept scaled by the running largest; the
 * two agree to a relative error of the density below 1e-12 (the unit
 * tests compare them). TPE's approximate g(x) uses it (docs/space.md).
 */
void pz_kde_logpdf_many(const struct pz_kde *k, const double *xs, int m,
                        double *out);

/*
 * The scoring loops exist twice on x86-64 with GCC: a portable build and
 * an AVX2 build, chosen per call by the CPU's features (PZ_KDE_ISA_AUTO).
 * Both compute the same operations in the same order (no FMA
 * contraction, no reassociation), so they agree bit for bit; the unit
 * tests check it through pz_kde_logpdf_isa(). Asking for AVX2 where it is
 * not built or not supported runs the portable build.
 */
enum pz_kde_isa { PZ_KDE_ISA_AUTO, PZ_KDE_ISA_PORTABLE, PZ_KDE_ISA_AVX2 };

double pz_kde_logpdf_isa(const struct pz_kde *k, const double *x,
                         enum pz_kde_isa isa);
/* 1 if the AVX2 build exists and this CPU runs it. */
int pz_kde_have_avx2(void);

#endif
