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

#define LOG_SQRT_2PI 0.918938533204672742

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

/* The width of a numeric dimension: the bandwidth scale and clip. */
static double width(const struct pz_gmm_dim *d, double unbounded_width)
{
	return d->bounded ? d->prior_sigma : unbounded_width * d->prior_sigma;
}

/*
 * Per-option log probabilities of the smoothed categorical kernel: mass
 * 1 - lambda on the observed option, lambda spread by the prior.
 */
static void cat_tables(const struct pz_gmm_dim *d, int n,
                       const struct pz_kde_opts *o, double *hit,
                       double *miss)
{
	int K = d->n_options;
	double eps = o->prior_weight / (n + 1.0);
	double lambda = eps * K / (1.0 + eps * K);

	for (int c = 0; c < K; c++) {
		double p = d->p0 != NULL ? d->p0[c] : 1.0 / K;

		hit[c] = log(1.0 - lambda + lambda * p);
		miss[c] = log(lambda * p);
	}
}

int pz_kde_fit(struct pz_kde *k, const struct pz_gmm_dim *dims,
               const int *members, int n_dims, const double *const *rows,
               const double *weights, int n, const struct pz_kde_opts *o)
{
	double wsum = o->prior_weight, scott, log_sigma_sum = 0;
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
	k->prior_w = o->prior_weight / wsum;
	k->prior_base = log(k->prior_w);

	scott = o->bandwidth * pow((double)nn, -1.0 / (D + 4.0));
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
			cat_tables(dd, n, o,
			           k->cat_hit + (size_t)d * (k->max_options + 1),
			           k->cat_miss + (size_t)d * (k->max_options + 1));
			for (int i = 0; i < n; i++)
				col[i] = pz_gmm_dim_category(dd, rows[i][p]);
			/* The prior component's kernel is the prior itself. */
			continue;
		}
		double wd = width(dd, o->unbounded_width);
		double s = scott * wd;
		double minsigma = wd / fmin(100.0, n + 1.0);

		s = fmin(fmax(s, minsigma), wd);
		if (dd->q > 0 && !dd->log)
			s = fmax(s, fmin(dd->q, wd));
		k->sigma[d] = s;
		log_sigma_sum += log(s) + LOG_SQRT_2PI;
		for (int i = 0; i < n; i++) {
			col[i] = pz_gmm_dim_to_kernel(dd, rows[i][p]);
			if (dd->bounded)
				k->scratch[i] *= pz_gmm_normal_mass_fast(
					(dd->lo - col[i]) / s,
					(dd->hi - col[i]) / s);
		}
		/* Prior component: the prior, N(prior_mu, prior_sigma), truncated
		 * to the bounds for the bounded kinds. */
		k->prior_base -= log(dd->prior_sigma) + LOG_SQRT_2PI;
		if (dd->bounded)
			k->prior_base -= pz_gmm_log_normal_mass(-0.5, 0.5);
	}
	for (int i = 0; i < n; i++)
		k->base[i] -= log_sigma_sum + log(k->scratch[i]);
	return 0;
}

/* Component of a draw: -1 (the prior) or 0..n-1, by weights w[] and the
 * prior's weight, the draw u in [0, 1). */
static int pick_component(const struct pz_kde *k, const double *w,
                          double total, double u)
{
	double acc = 0;

	u *= total;
	for (int i = 0; i < k->n; i++) {
		acc += w[i];
		if (u < acc)
			return i;
	}
	return -1;
}

void pz_kde_sample_given(const struct pz_kde *k, struct pz_rng *rng,
                         const unsigned char *given, double *out)
{
	double u = pz_rng_uniform(rng);
	int comp, nn = k->n > 0 ? k->n : 1, any = 0;

	for (int d = 0; given != NULL && d < k->n_dims; d++)
		any |= given[d];
	if (!any) {
		comp = pick_component(k, k->w, 1.0, u);
	} else {
		/* Weights of the components given the fixed categories:
		 * w_i * prod_d p(out[d] | component i), in the scratch. */
		double *w = k->scratch, total, prior = k->prior_w;

		for (int i = 0; i < k->n; i++)
			w[i] = k->w[i];
		for (int d = 0; d < k->n_dims; d++) {
			const struct pz_gmm_dim *dd = &k->dims[d];
			const double *col = k->center + (size_t)d * nn;
			const double *hit, *miss;
			int c;

			if (!given[d])
				continue;
			hit = k->cat_hit + (size_t)d * (k->max_options + 1);
			miss = k->cat_miss + (size_t)d * (k->max_options + 1);
			c = pz_gmm_dim_category(dd, out[d]);
			double h = exp(hit[c]), m = exp(miss[c]);

			for (int i = 0; i < k->n; i++)
				w[i] *= col[i] == (double)c ? h : m;
			prior *= dd->p0 != NULL ? dd->p0[c] : 1.0 / dd->n_options;
		}
		total = prior;
		for (int i = 0; i < k->n; i++)
			total += w[i];
		comp = pick_component(k, w, total, u);
	}
	for (int d = 0; d < k->n_dims; d++) {
		const struct pz_gmm_dim *dd = &k->dims[d];

		if (given != NULL && given[d])
			continue;
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
		double s = comp >= 0 ? k->sigma[d] : dd->prior_sigma;

		out[d] = pz_gmm_dim_from_kernel(dd,
		                                pz_gmm_dim_draw_kernel(dd, mu,
		                                                       s, rng));
	}
}

void pz_kde_sample(const struct pz_kde *k, struct pz_rng *rng, double *out)
{
	pz_kde_sample_given(k, rng, NULL, out);
}

/*
 * The scoring loops are most of a suggestion's time with a long history.
 * logpdf() holds them; it is inlined into a portable and, on x86-64 with
 * GCC, an AVX2 build (kde.h). Neither build lets the compiler contract
 * a * b + c into an FMA or reorder a sum (-std=c11 keeps
 * -ffp-contract=off; no -ffast-math), so both give the same bits.
 */
static inline __attribute__((always_inline)) double
logpdf(const struct pz_kde *k, const double *x)
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
		double zp = (t - dd->prior_mu) / dd->prior_sigma;

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

static double logpdf_portable(const struct pz_kde *k, const double *x)
{
	return logpdf(k, x);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PZ_KDE_HAVE_AVX2 1
__attribute__((target("avx2"))) static double
logpdf_avx2(const struct pz_kde *k, const double *x)
{
	return logpdf(k, x);
}
#endif

int pz_kde_have_avx2(void)
{
#ifdef PZ_KDE_HAVE_AVX2
	return __builtin_cpu_supports("avx2") != 0;
#else
	return 0;
#endif
}

double pz_kde_logpdf_isa(const struct pz_kde *k, const double *x,
                         enum pz_kde_isa isa)
{
#ifdef PZ_KDE_HAVE_AVX2
	if (isa != PZ_KDE_ISA_PORTABLE && pz_kde_have_avx2())
		return logpdf_avx2(k, x);
#else
	(void)isa;
#endif
	return logpdf_portable(k, x);
}

double pz_kde_logpdf(const struct pz_kde *k, const double *x)
{
	return pz_kde_logpdf_isa(k, x, PZ_KDE_ISA_AUTO);
}
