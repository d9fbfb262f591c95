/*
 * The in-memory store of a study's intermediate values: per trial, its
 * reports sorted by step; per step, a column of every trial's value at
 * it, found by an open-addressing hash table of steps. See reports.h for
 * the contract and the costs.
 *
 * Every change reserves what it may need before it changes anything, so
 * a failed call leaves the store as it was.
 */
#include <parzen/reports.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CAP 8

int pz_reports_create(struct pz_reports **out)
{
	struct pz_reports *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL)
		return PZ_ENOMEM;
	r->first_ok = -1;
	*out = r;
	return 0;
}

static void free_trial(struct pz_report_trial *t)
{
	free(t->steps);
	free(t->values);
	t->steps = NULL;
	t->values = NULL;
	t->n = t->cap = 0;
}

void pz_reports_destroy(struct pz_reports *r)
{
	if (r == NULL)
		return;
	/* Also the slots above n_slots: a failed add may have given one its
	 * arrays before it failed. */
	for (size_t i = 0; i < r->cap_slots; i++)
		free_trial(&r->trials[i]);
	for (size_t i = 0; i < r->n_columns; i++) {
		free(r->columns[i].numbers);
		free(r->columns[i].values);
	}
	free(r->trials);
	free(r->columns);
	free(r->hash);
	free(r);
}

const char *pz_reports_state_name(enum pz_report_state state)
{
	switch (state) {
	case PZ_REPORT_RUNNING:
		return "running";
	case PZ_REPORT_OK:
		return "ok";
	case PZ_REPORT_FAIL:
		return "fail";
	case PZ_REPORT_PRUNED:
		return "pruned";
	}
	return "unknown";
}

/* --- trial slots ----------------------------------------------------------- */

/* Make slot `number` exist (empty slots below it are zeroed). */
static int reserve_slot(struct pz_reports *r, uint64_t number)
{
	size_t need = (size_t)number + 1, cap;
	struct pz_report_trial *t;

	if (need <= r->cap_slots)
		return 0;
	cap = r->cap_slots ? r->cap_slots : 64;
	while (cap < need)
		cap *= 2;
	t = realloc(r->trials, cap * sizeof(*t));
	if (t == NULL)
		return PZ_ENOMEM;
	memset(t + r->cap_slots, 0, (cap - r->cap_slots) * sizeof(*t));
	r->trials = t;
	r->cap_slots = cap;
	return 0;
}

/* Slot `number`, created RUNNING if new; reserve_slot() must have run. */
static struct pz_report_trial *use_slot(struct pz_reports *r, uint64_t number)
{
	struct pz_report_trial *t = &r->trials[number];

	if (!t->used) {
		t->used = 1;
		t->state = PZ_REPORT_RUNNING;
		t->last = -1;
		t->prune_step = -1;
		r->n_trials++;
		if (number >= r->n_slots)
			r->n_slots = (size_t)number + 1;
	}
	return t;
}

const struct pz_report_trial *pz_reports_trial(const struct pz_reports *r,
                                               uint64_t number)
{
	if (number >= r->n_slots || !r->trials[number].used)
		return NULL;
	return &r->trials[number];
}

uint32_t pz_reports_lower_bound(const struct pz_report_trial *t,
                                int64_t step)
{
	uint32_t lo = 0, hi = t->n;

	/* The common questions are about the last step. */
	if (hi > 0 && t->steps[hi - 1] < step)
		return hi;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (t->steps[mid] < step)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int pz_reports_value_at(const struct pz_report_trial *t, int64_t step,
                        double *out)
{
	uint32_t i = pz_reports_lower_bound(t, step);

	if (i == t->n || t->steps[i] != step)
		return PZ_ENOENT;
	*out = t->values[i];
	return 0;
}

static int grow_trial(struct pz_report_trial *t)
{
	uint32_t cap;
	int64_t *s;
	double *v;

	if (t->n < t->cap)
		return 0;
	if (t->cap > UINT32_MAX / 2)
		return PZ_ENOMEM;
	cap = t->cap ? 2 * t->cap : MIN_CAP;
	s = realloc(t->steps, cap * sizeof(*s));
	if (s == NULL)
		return PZ_ENOMEM;
	t->steps = s;
	v = realloc(t->values, cap * sizeof(*v));
	if (v == NULL)
		return PZ_ENOMEM; /* steps grew, harmlessly */
	t->values = v;
	t->cap = cap;
	return 0;
}

/* --- columns and their hash table ------------------------------------------ */

static size_t hash_step(int64_t step, size_t cap)
{
	/* Fibonacci hashing: steps are often small and regular. */
	uint64_t h = (uint64_t)step * UINT64_C(0x9E3779B97F4A7C15);

	return (size_t)(h >> 32) & (cap - 1);
}

/* Slot in the hash table of `step`: holding it, or the empty one to use. */
static size_t hash_find(const struct pz_reports *r, int64_t step)
{
	size_t i = hash_step(step, r->hash_cap);

	while (r->hash[i] != 0 && r->columns[r->hash[i] - 1].step != step)
		i = (i + 1) & (r->hash_cap - 1);
	return i;
}

const struct pz_report_column *pz_reports_column(const struct pz_reports *r,
                                                 int64_t step)
{
	size_t i;

	if (r->hash_cap == 0)
		return NULL;
	i = hash_find(r, step);
	return r->hash[i] != 0 ? &r->columns[r->hash[i] - 1] : NULL;
}

/* Keep the table at most half full, with room for one more column. */
static int reserve_column(struct pz_reports *r)
{
	if (r->n_columns == r->cap_columns) {
		size_t cap = r->cap_columns ? 2 * r->cap_columns : 64;
		struct pz_report_column *c;

		if (cap >= UINT32_MAX)
			return PZ_ENOMEM;
		c = realloc(r->columns, cap * sizeof(*c));
		if (c == NULL)
			return PZ_ENOMEM;
		r->columns = c;
		r->cap_columns = cap;
	}
	if (2 * (r->n_columns + 1) > r->hash_cap) {
		size_t cap = r->hash_cap ? 2 * r->hash_cap : 128;
		uint32_t *old = r->hash, *h = calloc(cap, sizeof(*h));

		if (h == NULL)
			return PZ_ENOMEM;
		r->hash = h;
		r->hash_cap = cap;
		for (size_t i = 0; i < r->n_columns; i++)
			r->hash[hash_find(r, r->columns[i].step)] =
				(uint32_t)(i + 1);
		free(old);
	}
	return 0;
}

static int grow_column(struct pz_report_column *c)
{
	uint32_t cap, *n;
	double *v;

	if (c->n < c->cap)
		return 0;
	if (c->cap > UINT32_MAX / 2)
		return PZ_ENOMEM;
	cap = c->cap ? 2 * c->cap : MIN_CAP;
	n = realloc(c->numbers, cap * sizeof(*n));
	if (n == NULL)
		return PZ_ENOMEM;
	c->numbers = n;
	v = realloc(c->values, cap * sizeof(*v));
	if (v == NULL)
		return PZ_ENOMEM;
	c->values = v;
	c->cap = cap;
	return 0;
}

/* The column of `step`, created empty if new (with room for one entry). */
static int column_for(struct pz_reports *r, int64_t step,
                      struct pz_report_column **out)
{
	struct pz_report_column *c;
	size_t i;
	int rc;

	if ((rc = reserve_column(r)) != 0)
		return rc;
	i = hash_find(r, step);
	if (r->hash[i] != 0) {
		c = &r->columns[r->hash[i] - 1];
		if ((rc = grow_column(c)) != 0)
			return rc;
	} else {
		c = &r->columns[r->n_columns];
		memset(c, 0, sizeof(*c));
		c->step = step;
		if ((rc = grow_column(c)) != 0) {
			free(c->numbers);
			free(c->values);
			return rc;
		}
		r->hash[i] = (uint32_t)++r->n_columns;
	}
	*out = c;
	return 0;
}

/* Remove trial `number` from the column of `step` (order is not kept). */
static void column_remove(struct pz_reports *r, int64_t step, uint32_t number)
{
	struct pz_report_column *c;
	size_t i = hash_find(r, step);

	if (r->hash[i] == 0)
		return;
	c = &r->columns[r->hash[i] - 1];
	for (uint32_t j = 0; j < c->n; j++) {
		if (c->numbers[j] == number) {
			c->numbers[j] = c->numbers[c->n - 1];
			c->values[j] = c->values[c->n - 1];
			c->n--;
			return;
		}
	}
}

/* --- changes --------------------------------------------------------------- */

static void note_ok(struct pz_reports *r, uint64_t number)
{
	const struct pz_report_trial *t = &r->trials[number];

	if (t->state == PZ_REPORT_OK && t->n > 0 &&
	    (r->first_ok < 0 || (int64_t)number < r->first_ok))
		r->first_ok = (int64_t)number;
}

int pz_reports_add(struct pz_reports *r, uint64_t number, int64_t step,
                   double value, int *added, struct pz_error *err)
{
	struct pz_report_trial *t;
	struct pz_report_column *c;
	uint32_t i;
	int rc;

	if (added != NULL)
		*added = 0;
	if (!isfinite(value))
		return pz_error_set(err, PZ_EINVAL,
		                    "value: must be a finite number");
	if (step < 0 || step > PZ_REPORT_STEP_MAX)
		return pz_error_set(err, PZ_ERANGE,
		                    "step: must be an integer in [0, 2^53 - 1]");
	if (number >= UINT32_MAX)
		return pz_error_set(err, PZ_ERANGE,
		                    "trial number %llu is too large",
		                    (unsigned long long)number);
	if ((rc = reserve_slot(r, number)) != 0)
		return pz_error_set(err, rc, "out of memory");
	t = &r->trials[number];
	if (t->used) {
		i = pz_reports_lower_bound(t, step);
		if (i < t->n && t->steps[i] == step) {
			if (t->values[i] == value)
				return 0;
			return pz_error_set(
				err, PZ_EEXIST,
				"step %lld: already reported with another value",
				(long long)step);
		}
		if (t->state != PZ_REPORT_RUNNING)
			return pz_error_set(err, PZ_ESTATE,
			                    "trial %llu is finished (%s)",
			                    (unsigned long long)number,
			                    pz_reports_state_name(t->state));
		if (t->prune_step >= 0)
			return pz_error_set(
				err, PZ_ESTATE,
				"trial %llu was pruned at step %lld",
				(unsigned long long)number,
				(long long)t->prune_step);
	}
	if ((rc = grow_trial(t)) != 0 || (rc = column_for(r, step, &c)) != 0)
		return pz_error_set(err, rc, "out of memory");
	t = use_slot(r, number);
	i = pz_reports_lower_bound(t, step);
	memmove(t->steps + i + 1, t->steps + i, (t->n - i) * sizeof(*t->steps));
	memmove(t->values + i + 1, t->values + i,
	        (t->n - i) * sizeof(*t->values));
	t->steps[i] = step;
	t->values[i] = value;
	t->n++;
	t->last = t->steps[t->n - 1];
	c->numbers[c->n] = (uint32_t)number;
	c->values[c->n] = value;
	c->n++;
	r->n_reports++;
	if (added != NULL)
		*added = 1;
	return 0;
}

int pz_reports_set_state(struct pz_reports *r, uint64_t number,
                         enum pz_report_state state)
{
	struct pz_report_trial *t;
	int rc;

	if (number >= UINT32_MAX)
		return PZ_ERANGE;
	if (state != PZ_REPORT_RUNNING && state != PZ_REPORT_OK &&
	    state != PZ_REPORT_FAIL && state != PZ_REPORT_PRUNED)
		return PZ_EINVAL;
	if ((rc = reserve_slot(r, number)) != 0)
		return rc;
	t = use_slot(r, number);
	if (t->state == state)
		return 0;
	if (t->state != PZ_REPORT_RUNNING)
		return PZ_ESTATE;
	t->state = (unsigned char)state;
	if (state == PZ_REPORT_OK) {
		r->n_ok++;
		note_ok(r, number);
	}
	return 0;
}

int pz_reports_set_pruned(struct pz_reports *r, uint64_t number,
                          int64_t step)
{
	struct pz_report_trial *t;
	int rc;

	if (number >= UINT32_MAX || step < 0 || step > PZ_REPORT_STEP_MAX)
		return PZ_ERANGE;
	if ((rc = reserve_slot(r, number)) != 0)
		return rc;
	t = use_slot(r, number);
	if (t->prune_step >= 0)
		return t->prune_step == step ? 0 : PZ_ESTATE;
	t->prune_step = step;
	return 0;
}

int pz_reports_clear(struct pz_reports *r, uint64_t number)
{
	struct pz_report_trial *t;

	if (number >= r->n_slots || !r->trials[number].used)
		return PZ_ENOENT;
	t = &r->trials[number];
	if (t->state != PZ_REPORT_RUNNING)
		return PZ_ESTATE;
	for (uint32_t i = 0; i < t->n; i++)
		column_remove(r, t->steps[i], (uint32_t)number);
	r->n_reports -= t->n;
	t->n = 0;
	t->last = -1;
	t->prune_step = -1;
	return 0;
}
