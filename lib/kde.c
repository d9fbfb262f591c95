/*
 * Joint Parzen estimator; see kde.h for the model.
 */
#include <parzen/kde.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Scoring skips components whose log term is more than this below the
 * largest: the density's relative error is then below n * exp(-40), that
 * is n * 4.3e-18 (4.3e-13 for 100,000 components). */
#define PZ_KDE_CUTOFF 40.0

void pz_kde_finish(struct pz_kde *k)
{
	free(k->center);
	free(k->base);
	free(k->w);
	free(k->sigma);
	free(k->cat_hit);
	free(k->cat_miss);
	free(k->scratch);
	memset(k, 0, sizeof(*k));
}

static double width(const struct pz_gmm_dim *d)
{
	return d->prior_sigma;
}

/* Per-option log probabilities of the smoothed categorical kernel. */
static void cat_tables(const struct pz_gmm_dim *d, int n, double prior_weight,
                       double *hit, double *miss)
{
	int K = d->n_options;
	double eps = prior_weight / (n + 1.0);
	double norm = 1.0 + eps * K;

	for (int c = 0; c < K; c++) {
		double cell = eps * K * (d->p0 != NULL ? d->p0[c] : 1.0 / K);

		hit[c] = log((cell + 1.0) / norm);
		miss[c] = log(cell / norm);
	}
}

int pz_kde_fit(struct pz_kde *k, const struct pz_gmm_dim *dims,
               const int *members, int n_dims, const double *const *rows,
               const double *weights, int n, double prior_weight,
               double bandwidth)
{
	double wsum = prior_weight, scott, log_sigma_sum = 0;
	int D = n_dims, nn = n > 0 ? n : 1;

	memset(k, 0, sizeof(*k));
	k->n = n;
	k->n_dims = D;
	k->dims = dims;
	for (int d = 0; d < D; d++)
		if (dims[d].categorical && dims[d].n_options > k->max_options)
			k->max_options = dims[d].n_options;
	k->center = malloc((size_t)D * nn * sizeof(double));
	k->base = malloc((size_t)nn * sizeof(double));
	k->w = malloc((size_t)nn * sizeof(double));
	k->sigma = malloc((size_t)D * sizeof(double));
	k->scratch = malloc((size_t)nn * sizeof(double));
	k->cat_hit = malloc((size_t)D * (k->max_options + 1) * sizeof(double));
	k->cat_miss = malloc((size_t)D * (k->max_options + 1) * sizeof(double));
	if (k->center == NULL || k->base == NULL || k->w == NULL ||
	    k->sigma == NULL || k->scratch == NULL || k->cat_hit == NULL ||
	    k->cat_miss == NULL) {
		pz_kde_finish(k);
		return PZ_ENOMEM;
	}

	for (int i = 0; i < n; i++)
		wsum += weights[i];
	for (int i = 0; i < n; i++) {
		k->w[i] = weights[i] / wsum;
		k->base[i] = log(k->w[i]);
	}
	k->prior_w = prior_weight / wsum;
	k->prior_base = log(k->prior_w);

	scott = bandwidth * pow((double)nn, -1.0 / (D + 4.0));
	/* Each component is a product of kernels truncated to the bounds;
	 * accumulate the product of its per-dimension masses and take one
	 * log per component at the end. */
	for (int i = 0; i < n; i++)
		k->scratch[i] = 1.0;
	for (int d = 0; d < D; d++) {
		const struct pz_gmm_dim *dd = &dims[d];
		double *col = k->center + (size_t)d * nn;
		int p = members[d];

		if (dd->categorical) {
			cat_tables(dd, n, prior_weight,
			           k->cat_hit + (size_t)d * (k->max_options + 1),
			           k->cat_miss + (size_t)d * (k->max_options + 1));
			for (int i = 0; i < n; i++)
				col[i] = pz_gmm_dim_category(dd, rows[i][p]);
			/* The prior component's kernel is the prior itself. */
			continue;
		}
		double wd = width(dd);
		double s = scott * wd;
		double minsigma = wd / fmin(100.0, n + 1.0);

		s = fmin(fmax(s, minsigma), wd);
		if (dd->q > 0 && !dd->log)
			s = fmax(s, fmin(dd->q, wd));
		k->sigma[d] = s;
		log_sigma_sum += log(s);
		for (int i = 0; i < n; i++) {
			col[i] = pz_gmm_dim_to_kernel(dd, rows[i][p]);
			if (dd->bounded)
				k->scratch[i] *= pz_gmm_normal_mass_fast(
					(dd->lo - col[i]) / s,
					(dd->hi - col[i]) / s);
		}
		/* Prior component: centred, full width; its truncated mass. */
		k->prior_base -= log(wd);
		if (dd->bounded)
			k->prior_base -= pz_gmm_log_normal_mass(-0.5, 0.5);
	}
	for (int i = 0; i < n; i++)
		k->base[i] -= log_sigma_sum + log(k->scratch[i]);
	return 0;
}

void pz_kde_sample(const struct pz_kde *k, struct pz_rng *rng, double *out)
{
	double u = pz_rng_uniform(rng), acc = 0;
	int comp = -1; /* -1: the prior */
	int nn = k->n > 0 ? k->n : 1;

	for (int i = 0; i < k->n; i++) {
		acc += k->w[i];
		if (u < acc) {
			comp = i;
			break;
		}
	}
	for (int d = 0; d < k->n_dims; d++) {
		const struct pz_gmm_dim *dd = &k->dims[d];

		if (dd->categorical) {
			const double *hit = k->cat_hit + (size_t)d * (k->max_options + 1);
			const double *miss = k->cat_miss + (size_t)d * (k->max_options + 1);
			int obs = comp >= 0 ? (int)k->center[(size_t)d * nn + comp] : -1;
			double v = pz_rng_uniform(rng), c_acc = 0;
			int c;

			for (c = 0; c < dd->n_options - 1; c++) {
				double pc = comp < 0 ? (dd->p0 != NULL ? dd->p0[c]
				                                       : 1.0 / dd->n_options)
				                     : exp(c == obs ? hit[c] : miss[c]);

				c_acc += pc;
				if (v < c_acc)
					break;
			}
			out[d] = pz_gmm_dim_category_value(dd, c);
			continue;
		}
		double mu = comp >= 0 ? k->center[(size_t)d * nn + comp]
		                      : dd->prior_mu;
		double s = comp >= 0 ? k->sigma[d] : width(dd);

		out[d] = pz_gmm_dim_from_kernel(dd,
		                                pz_gmm_dim_draw_kernel(dd, mu,
		                                                       s, rng));
	}
}

/*
 * The scoring loops are most of a suggestion's time with a long history;
 * on x86-64 they are also compiled for AVX2 and picked at load time.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    defined(__linux__)
__attribute__((target_clones("avx2", "default")))
#endif
double pz_kde_logpdf(const struct pz_kde *k, const double *x)
{
	double *acc = k->scratch, best = -INFINITY, sum = 0, prior;
	int n = k->n;

	memcpy(acc, k->base, (size_t)n * sizeof(double));
	prior = k->prior_base;
	for (int d = 0; d < k->n_dims; d++) {
		const struct pz_gmm_dim *dd = &k->dims[d];
		const double *col = k->center + (size_t)d * n;

		if (dd->categorical) {
			const double *hit = k->cat_hit + (size_t)d * (k->max_options + 1);
			const double *miss = k->cat_miss + (size_t)d * (k->max_options + 1);
			int c = pz_gmm_dim_category(dd, x[d]);
			double h = hit[c], m = miss[c];

			for (int i = 0; i < n; i++)
				acc[i] += col[i] == (double)c ? h : m;
			prior += log(dd->p0 != NULL ? dd->p0[c] : 1.0 / dd->n_options);
			continue;
		}
		double t = pz_gmm_dim_to_kernel(dd, x[d]);
		double inv = 1.0 / k->sigma[d];
		double hz = 0.5 * inv * inv;
		double zp = (t - dd->prior_mu) / width(dd);

		for (int i = 0; i < n; i++) {
			double diff = t - col[i];

			acc[i] -= hz * diff * diff;
		}
		prior -= 0.5 * zp * zp;
	}
	best = prior;
	for (int i = 0; i < n; i++)
		best = acc[i] > best ? acc[i] : best;
	if (best == -INFINITY)
		return -INFINITY; /* no component reaches x: zero density */
	sum = exp(prior - best);
	for (int i = 0; i < n; i++)
		if (acc[i] > best - PZ_KDE_CUTOFF)
			sum += exp(acc[i] - best);
	return best + log(sum);
}
