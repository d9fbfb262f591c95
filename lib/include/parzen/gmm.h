/*
 * Parzen estimators for one hyperparameter (a "dimension").
 *
 * A dimension describes how the suggester sees a hyperparameter: in which
 * space its kernels live (log space for the log kinds), its bounds there,
 * its prior's centre and width, and its quantization step. pz_gmm is
 * hyperopt's adaptive Parzen estimator: one Gaussian per observation, its
 * width the larger distance to its sorted neighbours, plus one prior
 * component, clipped to [prior_sigma / min(100, n + 1), prior_sigma], and the
 * mixture truncated to the bounds. Quantized values are scored with the
 * mass of their rounding interval, as hyperopt does.
 *
 * Evaluating a mixture at a point only visits components within reach:
 * components are sorted by centre, and those farther than PZ_GMM_REACH
 * times the widest non-prior sigma from the point (plus half a step) are
 * skipped. Each skipped component contributes at most
 *     w_i * exp(-PZ_GMM_REACH^2 / 2) / (sqrt(2 pi) * sigma_i)
 * to the density, i.e. at most exp(-32) ~ 1.3e-14 of its own peak; the
 * prior component is always evaluated. For a bounded kind the prior
 * alone puts at least w_prior * exp(-1/2) / (sqrt(2 pi) * prior_sigma) at
 * any point inside the bounds, and sigma_i >= prior_sigma / 100, so the
 * relative error of the density is below
 *     1.3e-14 * 100 / (0.24 * w_prior)  <=  5.5e-12 * (n + 1)
 * for n observations with unit weights and prior weight 1 (5.5e-7 at
 * n = 100,000), far below what changes an argmax over 24 candidates.
 */
#ifndef PZ_GMM_H
#define PZ_GMM_H

#include <parzen/error.h>
#include <parzen/rng.h>
#include <parzen/space.h>

#define PZ_GMM_REACH 8.0

struct pz_gmm_dim {
	const struct pz_param *param;
	int categorical;  /* choice, pchoice, or an integer modelled as one */
	int n_options;    /* categorical: number of categories */
	int cat_offset;   /* categorical integer: value = offset + index */
	const double *p0; /* categorical prior, NULL = uniform */
	int log;          /* kernels live in log space */
	int bounded;
	double lo, hi; /* bounds in kernel space (bounded only) */
	double prior_mu, prior_sigma;
	double q;          /* step in value space, 0 = continuous */
	double floor;      /* log kinds: values below map to log(floor) */
	double vmin, vmax; /* integers: valid value range, for clamping */
};

/*
 * Describe parameter `p`. With `int_categorical`, randint is modelled as a
 * categorical over its values (hyperopt); otherwise integers are quantized
 * numbers with step 1 over [low - 1/2, high - 1/2] (randint) or
 * [low - 1/2, high + 1/2] (uniformint).
 */
void pz_gmm_dim_init(struct pz_gmm_dim *d, const struct pz_param *p,
                     int int_categorical);

/* Value space -> kernel space, and back (with rounding and clamping). */
double pz_gmm_dim_to_kernel(const struct pz_gmm_dim *d, double x);
double pz_gmm_dim_from_kernel(const struct pz_gmm_dim *d, double t);
/* Category index of a value, and back. */
int pz_gmm_dim_category(const struct pz_gmm_dim *d, double x);
double pz_gmm_dim_category_value(const struct pz_gmm_dim *d, int c);

/* Draw t from N(mu, sigma) truncated to the dimension's bounds (one
 * kernel of a joint estimator). */
double pz_gmm_dim_draw_kernel(const struct pz_gmm_dim *d, double mu,
                              double sigma, struct pz_rng *rng);

/* log(Phi(b) - Phi(a)) for a < b, accurate in both tails. */
double pz_gmm_log_normal_mass(double a, double b);

/*
 * Phi(b) - Phi(a) for a <= 0 <= b (a kernel centred inside its bounds),
 * from a table: absolute error below 1e-6. Other cases are computed
 * exactly.
 */
double pz_gmm_normal_mass_fast(double a, double b);

struct pz_gmm {
	int n;
	int prior_pos;
	double *mu, *sigma, *w; /* sorted by mu; w normalized */
	double *lw;             /* log w */
	double log_norm;        /* -log(sum w_i * mass_i): truncation */
	double reach;           /* widest non-prior sigma */
};

/*
 * Fit the adaptive Parzen estimator to `n` observations in kernel space,
 * sorted ascending, with their (unnormalized) weights. Returns PZ_ENOMEM
 * or 0. Release with pz_gmm_finish.
 */
int pz_gmm_fit(struct pz_gmm *g, const struct pz_gmm_dim *d, const double *mus,
               const double *weights, int n, double prior_weight);
void pz_gmm_finish(struct pz_gmm *g);

/* One draw from the mixture truncated to the bounds (rejection draws the
 * component anew, as hyperopt's GMM1), in value space, rounded to the
 * grid for quantized kinds. */
double pz_gmm_sample(const struct pz_gmm *g, const struct pz_gmm_dim *d,
                     struct pz_rng *rng);

/* Log density (or log mass of the rounding interval) of value x. */
double pz_gmm_logpdf(const struct pz_gmm *g, const struct pz_gmm_dim *d,
                     double x);

#endif
