/*
 * Kernel centres and truncation masses kept between suggestions; see
 * kde_cache.h.
 */
#include "kde_cache.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The entries (not the work space). */
static void clear(struct pz_kde_cache *c)
{
	free(c->center);
	free(c->mass);
	free(c->holes);
	free(c->sigma);
	c->center = c->mass = c->sigma = NULL;
	c->holes = NULL;
	c->n = c->cap = c->n_holes = c->cap_holes = 0;
	c->n_dims = 0;
	c->removed = 0;
}

void pz_kde_cache_finish(struct pz_kde_cache *c)
{
	clear(c);
	free(c->wslot);
	free(c->base);
	free(c->scratch);
	memset(c, 0, sizeof(*c));
}

int pz_kde_cache_reserve(struct pz_kde_cache *c, size_t n)
{
	size_t cap = c->cap_work;

	if (n <= cap && cap > 0)
		return 0;
	cap = cap > 0 ? cap : 1024;
	while (cap < n)
		cap *= 2;
	free(c->wslot);
	free(c->base);
	free(c->scratch);
	c->wslot = malloc(cap * sizeof(double));
	c->base = malloc(cap * sizeof(double));
	c->scratch = malloc(cap * sizeof(double));
	if (c->wslot == NULL || c->base == NULL || c->scratch == NULL) {
		free(c->wslot);
		free(c->base);
		free(c->scratch);
		c->wslot = c->base = c->scratch = NULL;
		c->cap_work = 0;
		return PZ_ENOMEM;
	}
	c->cap_work = cap;
	return 0;
}

/* Slot s's centre and mass (its row must be present). */
static void fill(struct pz_kde_cache *c, const struct pz_history *h,
                 const struct pz_gmm_dim *dims, const int *members, size_t s)
{
	const double *row = pz_history_row(h, s);
	double mass = 1.0;

	if (isnan(row[members[0]])) {
		for (int d = 0; d < c->n_dims; d++)
			c->center[(size_t)d * c->cap + s] = 0;
		c->mass[s] = 1.0;
		return;
	}
	for (int d = 0; d < c->n_dims; d++) {
		const struct pz_gmm_dim *dd = &dims[d];
		double v;

		if (dd->categorical) {
			c->center[(size_t)d * c->cap + s] =
				pz_gmm_dim_category(dd, row[members[d]]);
			continue;
		}
		v = pz_gmm_dim_to_kernel(dd, row[members[d]]);
		c->center[(size_t)d * c->cap + s] = v;
		if (dd->bounded)
			mass *= pz_gmm_normal_mass_fast((dd->lo - v) / c->sigma[d],
			                                (dd->hi - v) / c->sigma[d]);
	}
	c->mass[s] = mass;
}

static int grow(struct pz_kde_cache *c, size_t need)
{
	size_t cap = c->cap ? c->cap : 1024;
	double *center, *mass;

	while (cap < need)
		cap *= 2;
	if (cap == c->cap)
		return 0;
	center = malloc((size_t)(c->n_dims ? c->n_dims : 1) * cap *
	                sizeof(double));
	mass = malloc(cap * sizeof(double));
	if (center == NULL || mass == NULL) {
		free(center);
		free(mass);
		return PZ_ENOMEM;
	}
	for (int d = 0; c->n > 0 && d < c->n_dims; d++)
		memcpy(center + (size_t)d * cap, c->center + (size_t)d * c->cap,
		       c->n * sizeof(double));
	if (c->n > 0)
		memcpy(mass, c->mass, c->n * sizeof(double));
	free(c->center);
	free(c->mass);
	c->center = center;
	c->mass = mass;
	c->cap = cap;
	return 0;
}

static int add_hole(struct pz_kde_cache *c, size_t s)
{
	if (c->n_holes == c->cap_holes) {
		size_t cap = c->cap_holes ? 2 * c->cap_holes : 16;
		uint32_t *hh = realloc(c->holes, cap * sizeof(uint32_t));

		if (hh == NULL)
			return PZ_ENOMEM;
		c->holes = hh;
		c->cap_holes = cap;
	}
	c->holes[c->n_holes++] = (uint32_t)s;
	return 0;
}

int pz_kde_cache_update(struct pz_kde_cache *c, const struct pz_history *h,
                        const struct pz_gmm_dim *dims, const int *members,
                        int D, const double *sigma)
{
	int same_sigma = 1, rc;
	size_t kept = 0;

	if (c->n_dims != D || c->removed != h->n_removed || h->n_slots < c->n) {
		clear(c);
		c->n_dims = D;
		c->removed = h->n_removed;
	}
	if (c->sigma == NULL) {
		c->sigma = malloc((size_t)(D ? D : 1) * sizeof(double));
		if (c->sigma == NULL)
			goto fail;
		for (int d = 0; d < D; d++)
			c->sigma[d] = NAN;
	}
	for (int d = 0; d < D; d++)
		if (!dims[d].categorical && dims[d].bounded &&
		    memcmp(&c->sigma[d], &sigma[d], sizeof(double)) != 0)
			same_sigma = 0;
	if (!same_sigma) {
		for (int d = 0; d < D; d++)
			c->sigma[d] = sigma[d];
		/* Every mass again (and the centres with them). */
		for (size_t s = 0; s < c->n; s++)
			if (h->state[s] != PZ_TRIAL_NONE)
				fill(c, h, dims, members, s);
	}
	/* Holes filled since. */
	for (size_t i = 0; i < c->n_holes; i++) {
		size_t s = c->holes[i];

		if (h->state[s] != PZ_TRIAL_NONE)
			fill(c, h, dims, members, s);
		else
			c->holes[kept++] = (uint32_t)s;
	}
	c->n_holes = kept;
	if ((rc = grow(c, h->n_slots)) != 0)
		goto fail;
	for (size_t s = c->n; s < h->n_slots; s++) {
		if (h->state[s] != PZ_TRIAL_NONE) {
			fill(c, h, dims, members, s);
			continue;
		}
		for (int d = 0; d < D; d++)
			c->center[(size_t)d * c->cap + s] = 0;
		c->mass[s] = 1.0;
		if (add_hole(c, s) != 0)
			goto fail;
	}
	c->n = h->n_slots;
	return 0;
fail:
	clear(c);
	return PZ_ENOMEM;
}
