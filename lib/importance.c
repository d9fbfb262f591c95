/*
 * Per-label importance scores: the Kruskal-Wallis effect size of the loss
 * ranks grouped by the label's value (importance.h explains the method).
 *
 * A report of 100,000 trials scores every label, two sorts each, so the
 * sort is a bottom-up merge sort on (key, value) pairs with the comparison
 * inlined rather than qsort() through a function pointer.
 */
#include "importance.h"

#include <math.h>
#include <stdlib.h>

#include "error.h"

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

int pz_importance_1d(const double *x, const double *loss, size_t n,
                     int categorical, double *score)
{
	struct pair *p, *tmp;
	double mean, ss_total = 0, ss_between = 0, h;
	size_t i, j, k = 0, n_bins, start;

	*score = NAN;
	if (n < PZ_IMPORTANCE_MIN_TRIALS)
		return 0;
	p = malloc(n * sizeof(*p));
	tmp = malloc(n * sizeof(*tmp));
	if (p == NULL || tmp == NULL) {
		free(p);
		free(tmp);
		return PZ_ENOMEM;
	}

	/* Ranks of the losses (1-based, ties share their mean rank). */
	for (i = 0; i < n; i++) {
		p[i].key = loss[i];
		p[i].val = x[i];
	}
	sort_pairs(p, tmp, n);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && p[j].key == p[i].key; j++)
			;
		for (size_t m = i; m < j; m++)
			p[m].key = (double)(i + j + 1) / 2.0;
	}

	/* Regroup by value: key = value, val = rank. */
	for (i = 0; i < n; i++) {
		double r = p[i].key;

		p[i].key = p[i].val;
		p[i].val = r;
	}
	sort_pairs(p, tmp, n);

	mean = (double)(n + 1) / 2.0;
	for (i = 0; i < n; i++)
		ss_total += (p[i].val - mean) * (p[i].val - mean);

	n_bins = categorical ? n : (n / 5 < 10 ? n / 5 : 10);
	for (start = 0; start < n; start = j) {
		double sum = 0, m;

		/* A group ends where the value changes, and for a numeric
		 * label not before its share of the trials left. */
		j = start + 1;
		if (!categorical && k + 1 < n_bins)
			j = start + (n - start) / (n_bins - k);
		else if (!categorical)
			j = n;
		if (j <= start)
			j = start + 1;
		while (j < n && p[j].key == p[j - 1].key)
			j++;
		for (i = start; i < j; i++)
			sum += p[i].val;
		m = sum / (double)(j - start);
		ss_between += (double)(j - start) * (m - mean) * (m - mean);
		k++;
	}
	free(p);
	free(tmp);

	if (k < 2 || ss_total <= 0 || n <= k) {
		*score = 0;
		return 0;
	}
	h = (double)(n - 1) * ss_between / ss_total;
	*score = (h - (double)k + 1) / (double)(n - k);
	if (*score < 0)
		*score = 0;
	if (*score > 1)
		*score = 1;
	return 0;
}

int pz_importance(const struct pz_space *space, const double *values,
                  const double *loss, size_t n, double *scores)
{
	size_t np = (size_t)space->n_params;
	double *x = malloc((n ? n : 1) * sizeof(*x));
	double *y = malloc((n ? n : 1) * sizeof(*y));
	int rc = 0;

	if (x == NULL || y == NULL) {
		rc = PZ_ENOMEM;
		goto out;
	}
	for (size_t l = 0; l < np; l++) {
		size_t m = 0;

		for (size_t i = 0; i < n; i++) {
			double v = values[i * np + l];

			if (isnan(loss[i]) || isnan(v))
				continue;
			x[m] = v;
			y[m] = loss[i];
			m++;
		}
		rc = pz_importance_1d(x, y, m,
		                      pz_hp_is_categorical(space->params[l].kind),
		                      &scores[l]);
		if (rc != 0)
			break;
	}
out:
	free(x);
	free(y);
	return rc;
}
