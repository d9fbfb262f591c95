/*
 * Per-label importance scores: the Kruskal-Wallis effect size of the loss
 * ranks grouped by the label's value (importance.h explains the method).
 *
 * A report of 100,000 trials scores every label, so the work per label is
 * kept linear: the losses are sorted once (a merge sort with the
 * comparison inlined), each label ranks its own subset by walking that
 * order, and numeric bins take their edges from a sample of the values
 * instead of a sort of all of them.
 */
#include "importance.h"

#include <math.h>
#include <stdlib.h>

#include <parzen/error.h>

/* Numeric bin edges come from at most this many values. */
#define SAMPLE_MAX 4096
/* Options beyond this many share the last group. */
#define GROUPS_MAX 256

struct pair {
	double key, val;
};

/* Stable sort of `a` by key, using `tmp` (n pairs) as scratch. */
static void sort_pairs(struct pair *a, struct pair *tmp, size_t n)
{
	struct pair *src = a, *dst = tmp, *t;

	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n;
			size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				dst[k++] = src[j].key < src[i].key ? src[j++]
				                                   : src[i++];
			while (i < mid)
				dst[k++] = src[i++];
			while (j < hi)
				dst[k++] = src[j++];
		}
		t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		for (size_t i = 0; i < n; i++)
			a[i] = src[i];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Upper edges of the numeric bins of the values in p[0..n) into cut[],
 * ascending and distinct; returns their number. The edges are the values
 * at each bin's share of a sorted copy, or of an even sample of
 * SAMPLE_MAX values for a large n.
 */
static size_t bin_edges(const struct pair *p, size_t n, size_t n_bins,
                        double *sample, double *cut)
{
	size_t m = n < SAMPLE_MAX ? n : SAMPLE_MAX, k = 0;

	for (size_t i = 0; i < m; i++)
		sample[i] = p[(size_t)((double)i * (double)n / (double)m)].key;
	qsort(sample, m, sizeof(*sample), cmp_double);
	for (size_t b = 1; b < n_bins; b++) {
		double e = sample[b * m / n_bins - 1];

		if (k == 0 || e > cut[k - 1])
			cut[k++] = e;
	}
	return k;
}

/*
 * eta^2_H of `n` (value, rank) pairs in `p`, ranks 1..n with ties sharing
 * their mean. A choice groups by option; a numeric label by bins whose
 * upper edges bin_edges() finds, so equal values share a bin.
 */
static double score(const struct pair *p, size_t n, int categorical,
                    double *sample)
{
	double mean = (double)(n + 1) / 2.0, ss_total = 0, ss_between = 0, h;
	double cut[16], sum[GROUPS_MAX] = { 0 };
	size_t count[GROUPS_MAX] = { 0 }, n_cut = 0, k = 0;
	size_t n_bins = n / 5 < 10 ? n / 5 : 10;

	if (!categorical)
		n_cut = bin_edges(p, n, n_bins, sample, cut);
	for (size_t i = 0; i < n; i++) {
		size_t g = 0;

		if (categorical) {
			g = p[i].key >= 0 && p[i].key < GROUPS_MAX - 1
			            ? (size_t)p[i].key
			            : GROUPS_MAX - 1;
		} else {
			while (g < n_cut && p[i].key > cut[g])
				g++;
		}
		sum[g] += p[i].val;
		count[g]++;
		ss_total += (p[i].val - mean) * (p[i].val - mean);
	}
	for (size_t g = 0; g < GROUPS_MAX; g++) {
		double m;

		if (count[g] == 0)
			continue;
		m = sum[g] / (double)count[g];
		ss_between += (double)count[g] * (m - mean) * (m - mean);
		k++;
	}
	if (k < 2 || ss_total <= 0 || n <= k)
		return 0;
	h = (double)(n - 1) * ss_between / ss_total;
	h = (h - (double)k + 1) / (double)(n - k);
	return h < 0 ? 0 : h > 1 ? 1 : h;
}

/*
 * Walk `by_loss` (losses in key, row in val, sorted by loss) and give the
 * rows where `x` is not NAN their rank among those rows: out[m] = (x,
 * rank). Returns m.
 */
static size_t rank_subset(const struct pair *by_loss, size_t n, const double *x,
                          size_t stride, struct pair *out)
{
	size_t m = 0, i, j;

	for (i = 0; i < n; i = j) {
		size_t first = m;
		double r;

		for (j = i; j < n && by_loss[j].key == by_loss[i].key; j++) {
			double v = x[(size_t)by_loss[j].val * stride];

			if (!isnan(v))
				out[m++].key = v;
		}
		/* Ties share the mean of the ranks first + 1 .. m. */
		r = (double)(first + 1 + m) / 2.0;
		for (size_t k = first; k < m; k++)
			out[k].val = r;
	}
	return m;
}

/*
 * Score `n_labels` labels of the rows of `values` (row i's label l at
 * values[i * stride + l]) against `loss` (NAN: the row is left out),
 * into scores[0..n_labels). A label is categorical when `space` says so,
 * or, without a space, when `categorical` is set.
 */
static int score_labels(const struct pz_space *space, int categorical,
                        const double *values, size_t stride,
                        size_t n_labels, const double *loss, size_t n,
                        double *scores)
{
	struct pair *by_loss = malloc((n ? n : 1) * sizeof(*by_loss));
	struct pair *p = malloc((n ? n : 1) * sizeof(*p));
	struct pair *tmp = malloc((n ? n : 1) * sizeof(*tmp));
	double *sample = malloc(SAMPLE_MAX * sizeof(*sample));
	size_t n_ok = 0;
	int rc = 0;

	for (size_t l = 0; l < n_labels; l++)
		scores[l] = NAN;
	if (by_loss == NULL || p == NULL || tmp == NULL || sample == NULL) {
		rc = PZ_ENOMEM;
		goto out;
	}
	/* Sort the ok rows by loss once; each label ranks its own subset
	 * from that order. */
	for (size_t i = 0; i < n; i++) {
		if (isnan(loss[i]))
			continue;
		by_loss[n_ok].key = loss[i];
		by_loss[n_ok++].val = (double)i;
	}
	sort_pairs(by_loss, tmp, n_ok);
	for (size_t l = 0; l < n_labels; l++) {
		size_t m = rank_subset(by_loss, n_ok, values + l, stride, p);
		int cat = space != NULL ? pz_space_kind_is_categorical(
		                                  space->params[l].kind)
		                        : categorical;

		if (m >= PZ_IMPORTANCE_MIN_TRIALS)
			scores[l] = score(p, m, cat, sample);
	}
out:
	free(by_loss);
	free(p);
	free(tmp);
	free(sample);
	return rc;
}

int pz_importance_1d(const double *x, const double *loss, size_t n,
                     int categorical, double *score_out)
{
	return score_labels(NULL, categorical, x, 1, 1, loss, n, score_out);
}

int pz_importance(const struct pz_space *space, const double *values,
                  const double *loss, size_t n, double *scores)
{
	return score_labels(space, 0, values, (size_t)space->n_params,
	                    (size_t)space->n_params, loss, n, scores);
}
