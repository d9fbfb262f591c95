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
	free(k->cat_hit); /* also holds cat_miss, cat_phit, cat_pmiss */
	free(k->scratch);
	memset(k, 0, sizeof(*k));
}

/* The width of a numeric dimension: the bandwidth scale and clip. */
static double width(const struct pz_gmm_dim *d, double unbounded_width)
{
	return d->bounded ? d->prior_sigma : unbounded_width * d->prior_sigma;
}

/* The kernel width of numeric dim dd for n observations. */
static double dim_sigma(const struct pz_gmm_dim *dd,
                        const struct pz_kde_opts *o, int n, double scott)
{
	double wd = width(dd, o->unbounded_width);
	double s = scott * wd;
	double minsigma = wd / fmin(100.0, n + 1.0);

	s = fmin(fmax(s, minsigma), wd);
	if (dd->q > 0 && !dd->log)
		s = fmax(s, fmin(dd->q, wd));
	return s;
}

/*
 * Per-option log probabilities of the smoothed categorical kernel: mass
 * 1 - lambda on the observed option, lambda spread by the prior.
 */
static void cat_tables(struct pz_kde *k, int dim, int n,
                       const struct pz_kde_opts *o)
{
	const struct pz_gmm_dim *d = &k->dims[dim];
	size_t off = (size_t)dim * (k->max_options + 1);
	int K = d->n_options;
	double eps = o->prior_weight / (n + 1.0);
	double lambda = eps * K / (1.0 + eps * K);

	for (int c = 0; c < K; c++) {
		double p = d->p0 != NULL ? d->p0[c] : 1.0 / K;

		k->cat_phit[off + c] = 1.0 - lambda + lambda * p;
		k->cat_pmiss[off + c] = lambda * p;
		k->cat_hit[off + c] = log(k->cat_phit[off + c]);
		k->cat_miss[off + c] = log(k->cat_pmiss[off + c]);
	}
}

/*
 * Whether an all-categorical estimator's terms can be summed in linear
 * space: the smallest possible term (least weight times the least kernel
 * probability of every dim) must stay above 1e-280.
 */
static int linear_ok(const struct pz_kde *k)
{
	double least = 0, wmin = k->prior_w;

	for (int i = 0; i < k->n; i++)
		wmin = fmin(wmin, k->w[i]);
	least = log(wmin);
	for (int d = 0; d < k->n_dims; d++) {
		const struct pz_gmm_dim *dd = &k->dims[d];
		double m = 0;

		if (!dd->categorical)
			return 0;
		for (int c = 0; c < dd->n_options; c++) {
			double p = dd->p0 != NULL ? dd->p0[c] : 1.0 / dd->n_options;
			double lm = fmin(k->cat_miss[(size_t)d * (k->max_options + 1) + c],
			                 log(p));

			m = c == 0 ? lm : fmin(m, lm);
		}
		least += m;
	}
	return least > -645; /* exp(-645) ~ 1e-280 */
}

/*
 * Components of an estimator whose dims are all categorical are equal
 * when their categories are: merge them (weights add), so that scoring
 * costs one term per distinct combination instead of one per observation.
 * The density is the same. Combinations are indexed in mixed radix and
 * kept in index order; merging is done when there are at most
 * PZ_KDE_MERGE_MAX of them and at most four per observation.
 */
#define PZ_KDE_MERGE_MAX 65536

/*
 * The number of category combinations of all-categorical dims when their
 * components are worth merging (at most PZ_KDE_MERGE_MAX and four per
 * observation), else 0.
 */
static size_t merge_combos(const struct pz_gmm_dim *dims, int D, int n)
{
	size_t combos = 1;

	if (n <= 0)
		return 0;
	for (int d = 0; d < D; d++) {
		if (!dims[d].categorical)
			return 0;
		combos *= (size_t)dims[d].n_options;
		if (combos > PZ_KDE_MERGE_MAX || combos > 4 * (size_t)n)
			return 0;
	}
	return combos;
}

static int alloc_arrays(struct pz_kde *k, int n)
{
	int D = k->n_dims, nn = n > 0 ? n : 1;
	size_t t = (size_t)D * (k->max_options + 1);

	k->center = malloc((size_t)D * nn * sizeof(double));
	k->base = malloc((size_t)nn * sizeof(double));
	k->w = malloc((size_t)nn * sizeof(double));
	k->sigma = malloc((size_t)(D > 0 ? D : 1) * sizeof(double));
	k->scratch = malloc((size_t)nn * sizeof(double));
	k->cat_hit = malloc(4 * (t > 0 ? t : 1) * sizeof(double));
	if (k->center == NULL || k->base == NULL || k->w == NULL ||
	    k->sigma == NULL || k->scratch == NULL || k->cat_hit == NULL)
		return PZ_ENOMEM;
	k->cat_miss = k->cat_hit + t;
	k->cat_phit = k->cat_miss + t;
	k->cat_pmiss = k->cat_phit + t;
	return 0;
}

/*
 * The merged fit: weights summed per combination (mixed-radix index) in
 * index order, then the arrays sized by the combinations present.
 */
static int fit_merged(struct pz_kde *k, const struct pz_gmm_dim *dims,
                      const int *members, const double *const *rows,
                      const double *weights, int n, double wsum,
                      size_t combos, const struct pz_kde_opts *o)
{
	int D = k->n_dims, u = 0, rc;
	double *acc = calloc(combos, sizeof(double));

	if (acc == NULL)
		return PZ_ENOMEM;
	for (int i = 0; i < n; i++) {
		size_t idx = 0;

		for (int d = 0; d < D; d++)
			idx = idx * (size_t)dims[d].n_options +
			      (size_t)pz_gmm_dim_category(&dims[d], rows[i][members[d]]);
		acc[idx] += weights[i];
	}
	for (size_t idx = 0; idx < combos; idx++)
		u += acc[idx] != 0;
	if ((rc = alloc_arrays(k, u)) != 0) {
		free(acc);
		return rc;
	}
	k->n = 0;
	for (size_t idx = 0; idx < combos; idx++) {
		size_t rest = idx;

		if (acc[idx] == 0)
			continue;
		for (int d = D - 1; d >= 0; d--) {
			k->center[(size_t)d * u + k->n] =
				(double)(rest % (size_t)dims[d].n_options);
			rest /= (size_t)dims[d].n_options;
		}
		k->w[k->n++] = acc[idx] / wsum;
	}
	free(acc);
	/* Only kernel tables to make: the prior's kernel is the prior. */
	for (int d = 0; d < D; d++)
		cat_tables(k, d, n, o);
	k->linear = linear_ok(k);
	for (int i = 0; !k->linear && i < k->n; i++)
		k->base[i] = log(k->w[i]);
	return 0;
}

int pz_kde_fit(struct pz_kde *k, const struct pz_gmm_dim *dims,
               const int *members, int n_dims, const double *const *rows,
               const double *weights, int n, const struct pz_kde_opts *o)
{
	double wsum = o->prior_weight, scott, log_sigma_sum = 0;
	int D = n_dims, nn = n > 0 ? n : 1, rc;
	size_t combos;

	memset(k, 0, sizeof(*k));
	k->n = n;
	k->n_dims = D;
	k->dims = dims;
	for (int d = 0; d < D; d++)
		if (dims[d].categorical && dims[d].n_options > k->max_options)
			k->max_options = dims[d].n_options;
	for (int i = 0; i < n; i++)
		wsum += weights[i];
	k->prior_w = o->prior_weight / wsum;
	k->prior_base = log(k->prior_w);
	combos = merge_combos(dims, D, n);
	rc = combos > 0 ? fit_merged(k, dims, members, rows, weights, n, wsum,
	                             combos, o)
	                : alloc_arrays(k, n);
	if (rc != 0) {
		pz_kde_finish(k);
		return rc;
	}
	if (combos > 0)
		return 0;
	for (int i = 0; i < n; i++)
		k->w[i] = weights[i] / wsum;

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
			cat_tables(k, d, n, o);
			for (int i = 0; i < n; i++)
				col[i] = pz_gmm_dim_category(dd, rows[i][p]);
			/* The prior component's kernel is the prior itself. */
			continue;
		}
		double s = dim_sigma(dd, o, n, scott);

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
	k->linear = linear_ok(k);
	/* One log per component: its weight over its truncated mass. */
	for (int i = 0; !k->linear && i < n; i++)
		k->base[i] = log(k->w[i] / k->scratch[i]) - log_sigma_sum;
	return 0;
}

int pz_kde_fit_shape(struct pz_kde *k, const struct pz_gmm_dim *dims,
                     int n_dims, int n, int n_scott, double wsum,
                     const struct pz_kde_opts *o)
{
	int D = n_dims, rc;
	double scott;

	memset(k, 0, sizeof(*k));
	k->n_dims = D;
	k->dims = dims;
	for (int d = 0; d < D; d++)
		if (dims[d].categorical && dims[d].n_options > k->max_options)
			k->max_options = dims[d].n_options;
	k->prior_w = o->prior_weight / wsum;
	k->prior_base = log(k->prior_w);
	if ((rc = alloc_arrays(k, 0)) != 0) {
		pz_kde_finish(k);
		return rc;
	}
	scott = o->bandwidth *
	        pow((double)(n_scott > 0 ? n_scott : 1), -1.0 / (D + 4.0));
	for (int d = 0; d < D; d++) {
		const struct pz_gmm_dim *dd = &dims[d];

		if (dd->categorical) {
			cat_tables(k, d, n, o);
			continue;
		}
		k->sigma[d] = dim_sigma(dd, o, n, scott);
		k->prior_base -= log(dd->prior_sigma) + LOG_SQRT_2PI;
		if (dd->bounded)
			k->prior_base -= pz_gmm_log_normal_mass(-0.5, 0.5);
	}
	return 0;
}

/* The component of a draw u: the first i whose cumulative weight
 * exceeds u, or -1 (the prior) past the last. */
static int pick_weights(const double *w, int n, double u)
{
	double acc = 0;

	for (int i = 0; i < n; i++) {
		acc += w[i];
		if (u < acc)
			return i;
	}
	return -1;
}

/* The same over cumulative weights cum[0..n) of total cum[n], by binary
 * search: the index a linear scan would give. */
static int pick_cumulative(const double *cum, int n, double u)
{
	int lo = 0, hi = n;

	u *= cum[n];
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (u < cum[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo < n ? lo : -1;
}

void pz_kde_condition(const struct pz_kde *k, const unsigned char *given,
                      const double *x, double *cum)
{
	double prior = k->prior_w, acc = 0;
	int nn = k->n > 0 ? k->n : 1;

	for (int i = 0; i < k->n; i++)
		cum[i] = k->w[i];
	for (int d = 0; d < k->n_dims; d++) {
		const struct pz_gmm_dim *dd = &k->dims[d];
		const double *col = k->center + (size_t)d * nn;
		const double *hit, *miss;
		double h, m;
		int c;

		if (!given[d])
			continue;
		hit = k->cat_phit + (size_t)d * (k->max_options + 1);
		miss = k->cat_pmiss + (size_t)d * (k->max_options + 1);
		c = pz_gmm_dim_category(dd, x[d]);
		h = hit[c];
		m = miss[c];
		for (int i = 0; i < k->n; i++)
			cum[i] *= col[i] == (double)c ? h : m;
		prior *= dd->p0 != NULL ? dd->p0[c] : 1.0 / dd->n_options;
	}
	for (int i = 0; i < k->n; i++) {
		acc += cum[i];
		cum[i] = acc;
	}
	cum[k->n] = acc + prior;
}

void pz_kde_sample_given(const struct pz_kde *k, struct pz_rng *rng,
                         const unsigned char *given, const double *cum,
                         double *out)
{
	double u = pz_rng_uniform(rng);
	int nn = k->n > 0 ? k->n : 1;
	int comp = cum != NULL ? pick_cumulative(cum, k->n, u)
	                       : pick_weights(k->w, k->n, u);

	for (int d = 0; d < k->n_dims; d++) {
		const struct pz_gmm_dim *dd = &k->dims[d];

		if (given != NULL && given[d])
			continue;
		if (dd->categorical) {
			const double *hit = k->cat_phit + (size_t)d * (k->max_options + 1);
			const double *miss = k->cat_pmiss + (size_t)d * (k->max_options + 1);
			int obs = comp >= 0 ? (int)k->center[(size_t)d * nn + comp] : -1;
			double v = pz_rng_uniform(rng), c_acc = 0;
			int c;

			for (c = 0; c < dd->n_options - 1; c++) {
				double pc = comp < 0 ? (dd->p0 != NULL ? dd->p0[c]
				                                       : 1.0 / dd->n_options)
				                     : c == obs ? hit[c] : miss[c];

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
	pz_kde_sample_given(k, rng, NULL, NULL, out);
}

/*
 * The scoring loops are most of a suggestion's time with a long history.
 * logpdf() holds them; it is inlined into a portable and, on x86-64 with
 * GCC, an AVX2 build (kde.h). Neither build lets the compiler contract
 * a * b + c into an FMA or reorder a sum (-std=c11 keeps
 * -ffp-contract=off; no -ffast-math), so both give the same bits.
 */
/*
 * All dims categorical: every term is a product of probabilities, summed
 * in linear space (D multiplies per component and no exp) when the fit
 * found that no term can underflow (linear_ok()); otherwise logpdf()'s
 * log-space sum is used.
 */
static inline __attribute__((always_inline)) double
logpdf_categorical(const struct pz_kde *k, const double *x)
{
	double *acc = k->scratch, sum = 0, prior = k->prior_w;
	int n = k->n;

	memcpy(acc, k->w, (size_t)n * sizeof(double));
	for (int d = 0; d < k->n_dims; d++) {
		const struct pz_gmm_dim *dd = &k->dims[d];
		const double *col = k->center + (size_t)d * n;
		const double *hit = k->cat_phit + (size_t)d * (k->max_options + 1);
		const double *miss = k->cat_pmiss + (size_t)d * (k->max_options + 1);
		int c = pz_gmm_dim_category(dd, x[d]);
		double h = hit[c], m = miss[c];

		for (int i = 0; i < n; i++)
			acc[i] *= col[i] == (double)c ? h : m;
		prior *= dd->p0 != NULL ? dd->p0[c] : 1.0 / dd->n_options;
	}
	for (int i = 0; i < n; i++)
		sum += acc[i];
	return log(sum + prior);
}

static inline __attribute__((always_inline)) double
logpdf(const struct pz_kde *k, const double *x)
{
	double *acc = k->scratch, best = -INFINITY, sum = 0, prior;
	int n = k->n;
	size_t stride = k->stride > 0 ? k->stride : (size_t)n;

	if (k->linear)
		return logpdf_categorical(k, x);
	memcpy(acc, k->base, (size_t)n * sizeof(double));
	prior = k->prior_base;
	for (int d = 0; d < k->n_dims; d++) {
		const struct pz_gmm_dim *dd = &k->dims[d];
		const double *col = k->center + (size_t)d * stride;

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

/*
 * Many points at once (pz_kde_logpdf_many): tiles of PZ_KDE_TILE
 * components are scored for every point while they sit in the cache, so
 * the centres are read once per call instead of once per point. Each
 * point keeps a running largest term m and sum s of exp(term - m) over
 * the terms within PZ_KDE_CUTOFF of the running m; a tile whose largest
 * term is not within reach is skipped whole.
 */
#define PZ_KDE_TILE 256

static inline __attribute__((always_inline)) void
logpdf_many(const struct pz_kde *k, const double *xs, int m, double *out)
{
	int n = k->n, D = k->n_dims;
	size_t stride = k->stride > 0 ? k->stride : (size_t)n;
	double pt[(size_t)m * D + 1], ph[(size_t)m * D + 1],
		pm[(size_t)m * D + 1], mx[m + 1], sm[m + 1];
	double acc[PZ_KDE_TILE];

	for (int j = 0; j < m; j++) {
		const double *x = xs + (size_t)j * D;
		double prior = k->prior_base;

		for (int d = 0; d < D; d++) {
			const struct pz_gmm_dim *dd = &k->dims[d];
			size_t q = (size_t)j * D + d;

			if (dd->categorical) {
				size_t off = (size_t)d * (k->max_options + 1);
				int c = pz_gmm_dim_category(dd, x[d]);

				pt[q] = (double)c;
				ph[q] = k->cat_hit[off + c];
				pm[q] = k->cat_miss[off + c];
				prior += log(dd->p0 != NULL ? dd->p0[c]
				                            : 1.0 / dd->n_options);
				continue;
			}
			double t = pz_gmm_dim_to_kernel(dd, x[d]);
			double inv = 1.0 / k->sigma[d];
			double zp = (t - dd->prior_mu) / dd->prior_sigma;

			pt[q] = t;
			ph[q] = 0.5 * inv * inv;
			prior -= 0.5 * zp * zp;
		}
		mx[j] = prior;
		sm[j] = 1.0;
	}
	for (int i0 = 0; i0 < n; i0 += PZ_KDE_TILE) {
		int len = n - i0 < PZ_KDE_TILE ? n - i0 : PZ_KDE_TILE;

		for (int j = 0; j < m; j++) {
			const double *t = pt + (size_t)j * D;
			const double *h = ph + (size_t)j * D;
			const double *mi = pm + (size_t)j * D;
			double top = -INFINITY;

			memcpy(acc, k->base + i0, (size_t)len * sizeof(double));
			for (int d = 0; d < D; d++) {
				const double *col = k->center + (size_t)d * stride + i0;

				if (k->dims[d].categorical) {
					double c = t[d], hh = h[d], mm = mi[d];

					for (int i = 0; i < len; i++)
						acc[i] += col[i] == c ? hh : mm;
					continue;
				}
				double tt = t[d], hz = h[d];

				for (int i = 0; i < len; i++) {
					double diff = tt - col[i];

					acc[i] -= hz * diff * diff;
				}
			}
			for (int i = 0; i < len; i++)
				top = acc[i] > top ? acc[i] : top;
			if (!(top > mx[j] - PZ_KDE_CUTOFF))
				continue;
			for (int i = 0; i < len; i++) {
				double a = acc[i];

				if (a > mx[j]) {
					sm[j] = sm[j] * exp(mx[j] - a) + 1.0;
					mx[j] = a;
				} else if (a > mx[j] - PZ_KDE_CUTOFF) {
					sm[j] += exp(a - mx[j]);
				}
			}
		}
	}
	for (int j = 0; j < m; j++)
		out[j] = mx[j] == -INFINITY ? -INFINITY : mx[j] + log(sm[j]);
}

static void logpdf_many_portable(const struct pz_kde *k, const double *xs,
                                 int m, double *out)
{
	logpdf_many(k, xs, m, out);
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

__attribute__((target("avx2"))) static void
logpdf_many_avx2(const struct pz_kde *k, const double *xs, int m,
                 double *out)
{
	logpdf_many(k, xs, m, out);
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

void pz_kde_logpdf_many(const struct pz_kde *k, const double *xs, int m,
                        double *out)
{
	if (k->linear) {
		for (int j = 0; j < m; j++)
			out[j] = pz_kde_logpdf(k, xs + (size_t)j * k->n_dims);
		return;
	}
#ifdef PZ_KDE_HAVE_AVX2
	if (pz_kde_have_avx2()) {
		logpdf_many_avx2(k, xs, m, out);
		return;
	}
#endif
	logpdf_many_portable(k, xs, m, out);
}
