/*
 * Univariate Parzen estimators (hyperopt's adaptive_parzen_normal, GMM1
 * and LGMM1 semantics) over a pz_gmm_dim; see gmm.h.
 */
#include <parzen/gmm.h>
#include "normal_table.h"
#include <parzen/sample.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOG_EPS 1e-12
#define SQRT1_2 0.70710678118654752440

void pz_gmm_dim_init(struct pz_gmm_dim *d, const struct pz_param *p,
                     int int_categorical)
{
	memset(d, 0, sizeof(*d));
	d->param = p;
	d->floor = LOG_EPS;
	switch (p->kind) {
	case PZ_HP_CHOICE:
	case PZ_HP_PCHOICE:
		d->categorical = 1;
		d->n_options = p->n_options;
		d->p0 = p->p;
		return;
	case PZ_HP_RANDINT:
		if (int_categorical) {
			d->categorical = 1;
			d->n_options = (int)(p->high - p->low);
			d->cat_offset = (int)p->low;
			return;
		}
		d->lo = p->low - 0.5;
		d->hi = p->high - 0.5;
		d->q = 1;
		d->vmin = p->low;
		d->vmax = p->high - 1;
		break;
	case PZ_HP_UNIFORMINT:
		d->lo = int_categorical ? p->low : p->low - 0.5;
		d->hi = int_categorical ? p->high : p->high + 0.5;
		d->q = 1;
		d->vmin = p->low;
		d->vmax = p->high;
		break;
	default:
		d->lo = p->low;
		d->hi = p->high;
		d->q = pz_space_param_step(p);
		d->log = pz_space_kind_is_log(p->kind);
		break;
	}
	d->bounded = pz_space_kind_is_bounded(p->kind);
	if (d->bounded) {
		d->prior_mu = 0.5 * (d->lo + d->hi);
		d->prior_sigma = d->hi - d->lo;
		if (d->log && d->q > 0)
			d->floor = fmax(LOG_EPS, exp(d->lo));
	} else {
		d->prior_mu = p->mu;
		d->prior_sigma = p->sigma;
	}
}

double pz_gmm_dim_to_kernel(const struct pz_gmm_dim *d, double x)
{
	return d->log ? log(fmax(x, d->floor)) : x;
}

double pz_gmm_dim_from_kernel(const struct pz_gmm_dim *d, double t)
{
	double x = d->log ? exp(t) : t;

	if (d->q > 0)
		x = pz_sample_quantize(x, d->q);
	if (pz_space_kind_is_integer(d->param->kind))
		x = fmin(fmax(x, d->vmin), d->vmax);
	return x;
}

int pz_gmm_dim_category(const struct pz_gmm_dim *d, double x)
{
	return (int)x - d->cat_offset;
}

double pz_gmm_dim_category_value(const struct pz_gmm_dim *d, int c)
{
	return (double)(c + d->cat_offset);
}

double pz_gmm_dim_draw_kernel(const struct pz_gmm_dim *d, double mu,
                              double sigma, struct pz_rng *rng)
{
	double t;

	if (!d->bounded)
		return mu + sigma * pz_rng_normal(rng);
	/* Rejection, as hyperopt's GMM1; mu lies inside the bounds and sigma
	 * is at most their width, so acceptance is at least ~0.34. */
	for (int i = 0; i < 256; i++) {
		t = mu + sigma * pz_rng_normal(rng);
		if (t >= d->lo && t < d->hi)
			return t;
	}
	return d->lo + (d->hi - d->lo) * pz_rng_uniform(rng);
}

#define LOG_SQRT_2PI 0.918938533204672742

/*
 * log Q(z) = log P(Z > z) for z >= 30, from the asymptotic series of
 * Mills' ratio, Q(z) = phi(z) / z (1 - 1/z^2 + 3/z^4 - 15/z^6 + ...),
 * cut after four terms: relative error below 105 / z^8 < 2e-10.
 */
static double log_upper_tail_far(double z)
{
	double r = 1.0 / (z * z);

	return -0.5 * z * z - log(z) - LOG_SQRT_2PI +
	       log1p(r * (-1.0 + r * (3.0 - 15.0 * r)));
}

double pz_gmm_log_normal_mass(double a, double b)
{
	double m, la, lb;

	if (a >= b)
		return -INFINITY;
	if (a > 0)
		m = 0.5 * (erfc(a * SQRT1_2) - erfc(b * SQRT1_2));
	else if (b < 0)
		m = 0.5 * (erfc(-b * SQRT1_2) - erfc(-a * SQRT1_2));
	else
		m = 1.0 - 0.5 * (erfc(-a * SQRT1_2) + erfc(b * SQRT1_2));
	if (m > 1e-280)
		return log(m);
	/* The mass is (nearly) below the smallest double. An interval about
	 * 0 that small is narrow: the density at 0 times its width. */
	if (a < 0 && b > 0)
		return log(b - a) - LOG_SQRT_2PI;
	if (b <= 0) {
		double t = a;

		a = -b;
		b = -t;
	}
	/* Now 0 <= a < b. Near the centre only a narrow interval has so
	 * little mass: the midpoint rule. Far out, Q(a) - Q(b) from the
	 * series, with log(1 - Q(b)/Q(a)) kept accurate for b close to a. */
	if (a < 30) {
		double mid = 0.5 * (a + b);

		return -0.5 * mid * mid - LOG_SQRT_2PI + log(b - a);
	}
	la = log_upper_tail_far(a);
	lb = isinf(b) ? -INFINITY : log_upper_tail_far(b);
	return la + log(-expm1(lb - la));
}

/* Q(z) for z >= 0 by linear interpolation in the table. */
static double upper_tail(double z)
{
	double x = z * PZ_NORMAL_TABLE_STEPS_PER_UNIT;
	int i;

	if (!(x < PZ_NORMAL_TABLE_N - 1))
		return 0.0;
	i = (int)x;
	return pz_normal_upper_tail[i] +
	       (x - i) *
	               (pz_normal_upper_tail[i + 1] - pz_normal_upper_tail[i]);
}

double pz_gmm_normal_mass_fast(double a, double b)
{
	if (a > 0 || b < 0)
		return exp(pz_gmm_log_normal_mass(a, b));
	return 1.0 - upper_tail(-a) - upper_tail(b);
}

void pz_gmm_finish(struct pz_gmm *g)
{
	free(g->mu);
	g->mu = g->sigma = g->w = g->lw = NULL;
	g->n = 0;
}

int pz_gmm_fit(struct pz_gmm *g, const struct pz_gmm_dim *d, const double *mus,
               const double *weights, int n, double prior_weight)
{
	int m = n + 1, pp = 0;
	double wsum = 0, accept = 0, minsigma, maxsigma;

	memset(g, 0, sizeof(*g));
	g->mu = malloc(4 * (size_t)m * sizeof(double));
	if (g->mu == NULL)
		return PZ_ENOMEM;
	g->sigma = g->mu + m;
	g->w = g->sigma + m;
	g->lw = g->w + m;
	g->n = m;

	/* Insert the prior at its sorted position (searchsorted, left). */
	while (pp < n && mus[pp] < d->prior_mu)
		pp++;
	g->prior_pos = pp;
	for (int i = 0, j = 0; i < m; i++) {
		if (i == pp) {
			g->mu[i] = d->prior_mu;
			g->w[i] = prior_weight;
		} else {
			g->mu[i] = mus[j];
			g->w[i] = weights[j];
			j++;
		}
	}

	/* Each component's width is its larger gap to a sorted neighbour. */
	if (m == 1) {
		g->sigma[0] = d->prior_sigma;
	} else if (m == 2) {
		g->sigma[pp] = d->prior_sigma;
		g->sigma[1 - pp] = 0.5 * d->prior_sigma;
	} else {
		for (int i = 1; i < m - 1; i++)
			g->sigma[i] = fmax(g->mu[i] - g->mu[i - 1],
			                   g->mu[i + 1] - g->mu[i]);
		g->sigma[0] = g->mu[1] - g->mu[0];
		g->sigma[m - 1] = g->mu[m - 1] - g->mu[m - 2];
	}
	maxsigma = d->prior_sigma;
	minsigma = d->prior_sigma / fmin(100.0, 1.0 + m);
	g->reach = 0;
	for (int i = 0; i < m; i++) {
		if (i == pp) {
			g->sigma[i] = d->prior_sigma;
			continue;
		}
		g->sigma[i] = fmin(fmax(g->sigma[i], minsigma), maxsigma);
		if (g->sigma[i] > g->reach)
			g->reach = g->sigma[i];
	}
	for (int i = 0; i < m; i++)
		wsum += g->w[i];
	for (int i = 0; i < m; i++) {
		g->w[i] /= wsum;
		g->lw[i] = log(g->w[i]);
	}

	/* The mixture is truncated to the bounds: divide by the mass it puts
	 * inside them. Components deep inside contribute exactly 1. */
	if (d->bounded) {
		for (int i = 0; i < m; i++) {
			double a = (d->lo - g->mu[i]) / g->sigma[i];
			double b = (d->hi - g->mu[i]) / g->sigma[i];

			if (a < -8.5 && b > 8.5)
				accept += g->w[i];
			else
				accept += g->w[i] *
				          exp(pz_gmm_log_normal_mass(a, b));
		}
		g->log_norm = -log(accept);
	}
	return 0;
}

/*
 * The mixture truncated to the bounds, by rejection that draws the
 * component anew each time, as hyperopt's GMM1 and LGMM1 do (so the draw
 * follows the density pz_gmm_logpdf scores). Every component is centred
 * inside the bounds with sigma at most their width, so a draw lands
 * inside with probability at least 0.34; the uniform fallback after 256
 * misses (probability below 1e-46) only keeps the loop bounded.
 */
double pz_gmm_sample(const struct pz_gmm *g, const struct pz_gmm_dim *d,
                     struct pz_rng *rng)
{
	for (int tries = 0; tries < 256; tries++) {
		double u = pz_rng_uniform(rng), acc = 0, t;
		int k = g->n - 1;

		for (int i = 0; i < g->n; i++) {
			acc += g->w[i];
			if (u < acc) {
				k = i;
				break;
			}
		}
		t = g->mu[k] + g->sigma[k] * pz_rng_normal(rng);
		if (!d->bounded || (t >= d->lo && t < d->hi))
			return pz_gmm_dim_from_kernel(d, t);
	}
	return pz_gmm_dim_from_kernel(
		d, d->lo + (d->hi - d->lo) * pz_rng_uniform(rng));
}

/* log of one component's contribution at kernel point t or interval. */
static double component_log(const struct pz_gmm *g, int i, int interval,
                            double t, double ta, double tb)
{
	double lw = g->lw[i];

	if (interval)
		return lw +
		       pz_gmm_log_normal_mass((ta - g->mu[i]) / g->sigma[i],
		                              (tb - g->mu[i]) / g->sigma[i]);
	double z = (t - g->mu[i]) / g->sigma[i];

	return lw - 0.5 * z * z - log(g->sigma[i]) - LOG_SQRT_2PI;
}

double pz_gmm_logpdf(const struct pz_gmm *g, const struct pz_gmm_dim *d,
                     double x)
{
	int interval = d->q > 0;
	double t = 0, ta = 0, tb = 0, lo, hi, m = -INFINITY, sum = 0;
	int first, last;

	if (interval) {
		double a = x - 0.5 * d->q, b = x + 0.5 * d->q;

		if (d->bounded) {
			double blo = d->log ? exp(d->lo) : d->lo;
			double bhi = d->log ? exp(d->hi) : d->hi;

			a = fmax(a, blo);
			b = fmin(b, bhi);
		}
		if (d->log) {
			a = fmax(a, 0.0);
			ta = a > 0 ? log(a) : -INFINITY;
			tb = b > 0 ? log(b) : -INFINITY;
		} else {
			ta = a;
			tb = b;
		}
		if (!(tb > ta))
			return -INFINITY;
		lo = ta - PZ_GMM_REACH * g->reach;
		hi = tb + PZ_GMM_REACH * g->reach;
	} else {
		t = pz_gmm_dim_to_kernel(d, x);
		lo = t - PZ_GMM_REACH * g->reach;
		hi = t + PZ_GMM_REACH * g->reach;
	}

	/* First component with mu >= lo; the window ends at mu > hi. */
	int a = 0, b = g->n;
	while (a < b) {
		int mid = a + (b - a) / 2;

		if (g->mu[mid] < lo)
			a = mid + 1;
		else
			b = mid;
	}
	first = a;
	for (last = first; last < g->n && g->mu[last] <= hi; last++)
		;
	/* Streaming log-sum-exp over the window and the prior component:
	 * keep the running maximum m and sum = sum_i exp(term_i - m). */
	for (int i = first; i <= last; i++) {
		int k = i < last ? i : g->prior_pos;
		double term;

		if (i == last && k >= first && k < last)
			break; /* the prior was inside the window */
		term = component_log(g, k, interval, t, ta, tb);
		if (term == -INFINITY)
			continue;
		if (term > m) {
			sum = sum * exp(m - term) + 1.0;
			m = term;
		} else {
			sum += exp(term - m);
		}
	}
	if (m == -INFINITY)
		return -INFINITY;
	return m + log(sum) + g->log_norm;
}
