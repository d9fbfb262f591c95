/*
 * Trial history: slots by trial number plus per-label sorted indexes.
 */
#include <parzen/history.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

int pz_history_create(const struct pz_space *space, struct pz_history **out)
{
	struct pz_history *h = calloc(1, sizeof(*h));
	size_t np = (size_t)space->n_params;

	*out = NULL;
	if (h == NULL)
		return PZ_ENOMEM;
	h->space = space;
	h->sorted = calloc(np ? np : 1, sizeof(*h->sorted));
	h->n_sorted = calloc(np ? np : 1, sizeof(*h->n_sorted));
	h->cap_sorted = calloc(np ? np : 1, sizeof(*h->cap_sorted));
	if (h->sorted == NULL || h->n_sorted == NULL || h->cap_sorted == NULL) {
		pz_history_destroy(h);
		return PZ_ENOMEM;
	}
	*out = h;
	return 0;
}

void pz_history_destroy(struct pz_history *h)
{
	if (h == NULL)
		return;
	if (h->sorted != NULL)
		for (int i = 0; i < h->space->n_params; i++)
			free(h->sorted[i]);
	free(h->sorted);
	free(h->n_sorted);
	free(h->cap_sorted);
	free(h->values);
	free(h->loss);
	free(h->step);
	free(h->state);
	free(h);
}

static int grow_slots(struct pz_history *h, size_t need)
{
	size_t np = (size_t)h->space->n_params, cap = h->cap ? h->cap : 64;
	double *v, *l;
	int64_t *st;
	unsigned char *s;

	if (need <= h->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	v = realloc(h->values, cap * (np ? np : 1) * sizeof(double));
	if (v == NULL)
		return PZ_ENOMEM;
	h->values = v;
	l = realloc(h->loss, cap * sizeof(double));
	if (l == NULL)
		return PZ_ENOMEM;
	h->loss = l;
	st = realloc(h->step, cap * sizeof(int64_t));
	if (st == NULL)
		return PZ_ENOMEM;
	h->step = st;
	s = realloc(h->state, cap);
	if (s == NULL)
		return PZ_ENOMEM;
	h->state = s;
	memset(h->state + h->cap, PZ_TRIAL_NONE, cap - h->cap);
	h->cap = cap;
	return 0;
}

/* Position of (value, number) in param p's sorted index. */
static size_t sorted_pos(const struct pz_history *h, int p, double v,
                         uint32_t number)
{
	size_t lo = 0, hi = h->n_sorted[p];
	int np = h->space->n_params;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t t = h->sorted[p][mid];
		double tv = h->values[(size_t)t * np + p];

		if (tv < v || (tv == v && t < number))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void count_state(struct pz_history *h, unsigned char state, int delta)
{
	if (state == PZ_TRIAL_OK)
		h->n_ok += delta;
	else if (state == PZ_TRIAL_FAIL)
		h->n_fail += delta;
	else if (state == PZ_TRIAL_PENDING)
		h->n_pending += delta;
	else if (state == PZ_TRIAL_PRUNED)
		h->n_pruned += delta;
}

static int known_state(int state)
{
	return state == PZ_TRIAL_OK || state == PZ_TRIAL_FAIL ||
	       state == PZ_TRIAL_PENDING || state == PZ_TRIAL_PRUNED;
}

/* The loss a slot keeps: ok and pruned trials keep theirs. */
static double kept_loss(int state, double loss)
{
	return state == PZ_TRIAL_OK || state == PZ_TRIAL_PRUNED ? loss : NAN;
}

int pz_history_add(struct pz_history *h, uint64_t number,
                   const double *values, enum pz_trial_state state,
                   double loss)
{
	int np = h->space->n_params;
	int rc;

	if (number >= UINT32_MAX)
		return PZ_ERANGE;
	if (state == PZ_TRIAL_OK && !isfinite(loss))
		return PZ_EINVAL;
	if (!known_state(state))
		return PZ_EINVAL;
	if ((rc = grow_slots(h, (size_t)number + 1)) != 0)
		return rc;
	if (number < h->n_slots && h->state[number] != PZ_TRIAL_NONE)
		return PZ_EEXIST;
	/* Reserve index space first so that failure leaves h unchanged. */
	for (int p = 0; p < np; p++) {
		if (isnan(values[p]) || h->n_sorted[p] < h->cap_sorted[p])
			continue;
		size_t cap = h->cap_sorted[p] ? 2 * h->cap_sorted[p] : 64;
		uint32_t *s = realloc(h->sorted[p], cap * sizeof(uint32_t));

		if (s == NULL)
			return PZ_ENOMEM;
		h->sorted[p] = s;
		h->cap_sorted[p] = cap;
	}
	memcpy(h->values + (size_t)number * np, values, (size_t)np * sizeof(double));
	h->loss[number] = kept_loss(state, loss);
	h->step[number] = -1;
	h->state[number] = (unsigned char)state;
	if (number >= h->n_slots) {
		for (size_t t = h->n_slots; t < number; t++)
			h->state[t] = PZ_TRIAL_NONE;
		h->n_slots = (size_t)number + 1;
	}
	for (int p = 0; p < np; p++) {
		if (isnan(values[p]))
			continue;
		size_t pos = sorted_pos(h, p, values[p], (uint32_t)number);

		memmove(h->sorted[p] + pos + 1, h->sorted[p] + pos,
		        (h->n_sorted[p] - pos) * sizeof(uint32_t));
		h->sorted[p][pos] = (uint32_t)number;
		h->n_sorted[p]++;
	}
	h->n_trials++;
	count_state(h, state, +1);
	return 0;
}

int pz_history_set(struct pz_history *h, uint64_t number,
                   enum pz_trial_state state, double loss)
{
	if (number >= h->n_slots || h->state[number] == PZ_TRIAL_NONE)
		return PZ_ENOENT;
	if (state == PZ_TRIAL_OK && !isfinite(loss))
		return PZ_EINVAL;
	if (!known_state(state))
		return PZ_EINVAL;
	count_state(h, h->state[number], -1);
	h->state[number] = (unsigned char)state;
	h->loss[number] = kept_loss(state, loss);
	h->step[number] = -1;
	count_state(h, state, +1);
	return 0;
}

int pz_history_set_pruned(struct pz_history *h, uint64_t number,
                          int64_t step, double value)
{
	int rc;

	if (step < -1)
		return PZ_EINVAL;
	if ((rc = pz_history_set(h, number, PZ_TRIAL_PRUNED, value)) != 0)
		return rc;
	h->step[number] = step;
	return 0;
}

int pz_history_remove(struct pz_history *h, uint64_t number)
{
	int np = h->space->n_params;
	const double *row;

	if (number >= h->n_slots || h->state[number] == PZ_TRIAL_NONE)
		return PZ_ENOENT;
	row = pz_history_row(h, (size_t)number);
	for (int p = 0; p < np; p++) {
		if (isnan(row[p]))
			continue;
		size_t pos = sorted_pos(h, p, row[p], (uint32_t)number);

		memmove(h->sorted[p] + pos, h->sorted[p] + pos + 1,
		        (h->n_sorted[p] - pos - 1) * sizeof(uint32_t));
		h->n_sorted[p]--;
	}
	count_state(h, h->state[number], -1);
	h->state[number] = PZ_TRIAL_NONE;
	h->n_trials--;
	h->n_removed++;
	return 0;
}

/*
 * A double's bits as an unsigned key that sorts as the double does
 * (negatives flipped whole, positives with the sign bit set); -0 and +0
 * are equal doubles, so -0 is taken as +0 for the order to stay (value,
 * number).
 */
static uint64_t sort_key(double v)
{
	uint64_t b;

	if (v == 0)
		v = 0.0;
	memcpy(&b, &v, sizeof(b));
	return b >> 63 ? ~b : b | (UINT64_C(1) << 63);
}

/*
 * Sort the k trial numbers in `nums` (ascending) by their keys, stably:
 * least significant digit radix sort, 11 bits a pass (6 passes), so ties
 * keep the order by number. O(k) per pass where qsort would cost
 * O(k log k).
 */
static int radix_sort(uint32_t *nums, uint64_t *keys, size_t k)
{
	uint32_t *tn = malloc((k ? k : 1) * sizeof(*tn));
	uint64_t *tk = malloc((k ? k : 1) * sizeof(*tk));
	enum { BITS = 11, DIGITS = 1 << BITS };

	if (tn == NULL || tk == NULL) {
		free(tn);
		free(tk);
		return PZ_ENOMEM;
	}
	for (int s = 0; s < 64; s += BITS) {
		size_t count[DIGITS + 1] = {0};

		for (size_t i = 0; i < k; i++)
			count[((keys[i] >> s) & (DIGITS - 1)) + 1]++;
		if (count[((keys[0] >> s) & (DIGITS - 1)) + 1] == k)
			continue; /* one digit for all: nothing moves */
		for (size_t d = 1; d <= DIGITS; d++)
			count[d] += count[d - 1];
		for (size_t i = 0; i < k; i++) {
			size_t at = count[(keys[i] >> s) & (DIGITS - 1)]++;

			tn[at] = nums[i];
			tk[at] = keys[i];
		}
		memcpy(nums, tn, k * sizeof(*nums));
		memcpy(keys, tk, k * sizeof(*keys));
	}
	free(tn);
	free(tk);
	return 0;
}

int pz_history_fill(struct pz_history *h, size_t n, const double *values,
                    const unsigned char *states, const double *losses)
{
	size_t np = (size_t)h->space->n_params;
	uint64_t *keys = NULL;
	int rc;

	if (h->n_trials > 0)
		return PZ_EEXIST;
	if (n >= UINT32_MAX)
		return PZ_ERANGE;
	for (size_t t = 0; t < n; t++)
		if (!known_state(states[t]) ||
		    (states[t] == PZ_TRIAL_OK && !isfinite(losses[t])))
			return PZ_EINVAL;
	if (n == 0)
		return 0;
	if ((rc = grow_slots(h, n)) != 0)
		return rc;
	keys = malloc(n * sizeof(*keys));
	if (keys == NULL)
		return PZ_ENOMEM;
	memcpy(h->values, values, n * np * sizeof(double));
	for (size_t p = 0; p < np; p++) {
		size_t k = 0;

		free(h->sorted[p]);
		h->sorted[p] = malloc(n * sizeof(uint32_t));
		if (h->sorted[p] == NULL)
			goto oom;
		for (size_t t = 0; t < n; t++) {
			double v = values[t * np + p];

			if (!isnan(v)) {
				keys[k] = sort_key(v);
				h->sorted[p][k++] = (uint32_t)t;
			}
		}
		if (k > 0 && radix_sort(h->sorted[p], keys, k) != 0)
			goto oom;
		h->n_sorted[p] = k;
		h->cap_sorted[p] = n;
	}
	free(keys);
	for (size_t t = 0; t < n; t++) {
		h->state[t] = states[t];
		h->loss[t] = kept_loss(states[t], losses[t]);
		h->step[t] = -1;
		count_state(h, states[t], +1);
	}
	h->n_slots = n;
	h->n_trials = n;
	return 0;
oom:
	for (size_t q = 0; q < np; q++)
		h->n_sorted[q] = 0;
	free(keys);
	return PZ_ENOMEM;
}
