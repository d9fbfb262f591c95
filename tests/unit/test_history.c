/*
 * Tests of lib/history: the bookkeeping of add, set and remove (states,
 * losses, copied rows and the n_* counters), the refusals (duplicate,
 * unknown and out-of-range numbers, bad states and losses) leaving the
 * history unchanged, gaps in trial numbers, and the per-param sorted
 * index, checked against a brute-force sort by (value, number) through
 * thousands of random inserts, state changes and removals, with ties,
 * signed zeros and inactive (NAN) values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <parzen/history.h>
#include <parzen/rng.h>
#include <parzen/space.h>

/* Params: a, n, c, x (x active only when c = 0). */
static const char SPACE[] =
	"{\"a\": {\"$hp\": \"quniform\", \"label\": \"a\", \"low\": 0, "
	"\"high\": 10, \"q\": 1},"
	" \"n\": {\"$hp\": \"normal\", \"label\": \"n\", \"mu\": 0, "
	"\"sigma\": 1},"
	" \"c\": {\"$hp\": \"choice\", \"label\": \"c\", \"options\": ["
	"  {\"x\": {\"$hp\": \"quniform\", \"label\": \"x\", \"low\": -3, "
	"\"high\": 3, \"q\": 0.5}},"
	"  \"none\"]}}";

#define NP 4

struct fixture {
	struct pz_space *space;
	struct pz_history *h;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct pz_error err;

	if (f == NULL ||
	    pz_space_create_from_text(SPACE, strlen(SPACE), "space", &f->space,
	                              &err) != 0 ||
	    f->space->n_params != NP ||
	    pz_history_create(f->space, &f->h) != 0) {
		if (f != NULL)
			pz_space_destroy(f->space);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pz_history_destroy(f->h);
	pz_space_destroy(f->space);
	free(f);
	return 0;
}

static void assert_counts(const struct pz_history *h, size_t ok, size_t fail,
                          size_t pending)
{
	assert_int_equal(h->n_ok, ok);
	assert_int_equal(h->n_fail, fail);
	assert_int_equal(h->n_pending, pending);
	assert_int_equal(h->n_trials, ok + fail + pending);
}

/* Add, set and remove keep states, losses, rows and counters. */
static void bookkeeping(void **state)
{
	struct fixture *f = *state;
	struct pz_history *h = f->h;
	double v[NP] = { 3, -0.5, 0, 1.5 };
	const double *row;

	assert_int_equal(h->n_slots, 0);
	assert_counts(h, 0, 0, 0);
	assert_int_equal(pz_history_add(h, 0, v, PZ_TRIAL_OK, 2.5), 0);
	assert_int_equal(pz_history_add(h, 1, v, PZ_TRIAL_FAIL, 7), 0);
	assert_int_equal(pz_history_add(h, 2, v, PZ_TRIAL_PENDING, 7), 0);
	assert_counts(h, 1, 1, 1);
	assert_int_equal(h->n_slots, 3);
	assert_int_equal(h->state[0], PZ_TRIAL_OK);
	assert_int_equal(h->state[1], PZ_TRIAL_FAIL);
	assert_int_equal(h->state[2], PZ_TRIAL_PENDING);
	assert_true(h->loss[0] == 2.5);
	assert_true(isnan(h->loss[1]) && isnan(h->loss[2]));

	/* The row is a copy. */
	v[0] = 9;
	row = pz_history_row(h, 0);
	assert_true(row[0] == 3 && row[1] == -0.5 && row[2] == 0 &&
	            row[3] == 1.5);

	/* pending -> ok -> fail -> pending. */
	assert_int_equal(pz_history_set(h, 2, PZ_TRIAL_OK, -1), 0);
	assert_counts(h, 2, 1, 0);
	assert_true(h->loss[2] == -1);
	assert_int_equal(pz_history_set(h, 2, PZ_TRIAL_FAIL, -1), 0);
	assert_counts(h, 1, 2, 0);
	assert_true(isnan(h->loss[2]));
	assert_int_equal(pz_history_set(h, 2, PZ_TRIAL_PENDING, 0), 0);
	assert_counts(h, 1, 1, 1);
	assert_int_equal(pz_history_set(h, 0, PZ_TRIAL_OK, 1), 0);
	assert_counts(h, 1, 1, 1);
	assert_true(h->loss[0] == 1);

	/* Remove, then reuse the number with other values. */
	assert_int_equal(pz_history_remove(h, 0), 0);
	assert_counts(h, 0, 1, 1);
	assert_int_equal(h->state[0], PZ_TRIAL_NONE);
	assert_int_equal(h->n_sorted[0], 2);
	assert_int_equal(pz_history_remove(h, 1), 0);
	assert_int_equal(pz_history_remove(h, 2), 0);
	assert_counts(h, 0, 0, 0);
	for (int p = 0; p < NP; p++)
		assert_int_equal(h->n_sorted[p], 0);
	assert_int_equal(pz_history_add(h, 0, v, PZ_TRIAL_OK, 4), 0);
	assert_counts(h, 1, 0, 0);
	assert_true(pz_history_row(h, 0)[0] == 9);
	assert_true(h->loss[0] == 4);
	pz_history_destroy(NULL);
}

/* Refused calls return their code and change nothing. */
static void refusals(void **state)
{
	struct fixture *f = *state;
	struct pz_history *h = f->h;
	double v[NP] = { 3, -0.5, 0, 1.5 }, w[NP] = { 4, 0.5, 1, NAN };

	assert_int_equal(pz_history_add(h, 0, v, PZ_TRIAL_OK, 1), 0);
	assert_int_equal(pz_history_add(h, 2, v, PZ_TRIAL_PENDING, 0), 0);

	assert_int_equal(pz_history_add(h, 0, w, PZ_TRIAL_FAIL, 0), PZ_EEXIST);
	assert_int_equal(pz_history_add(h, 2, w, PZ_TRIAL_OK, 0), PZ_EEXIST);
	assert_int_equal(pz_history_add(h, 3, v, PZ_TRIAL_OK, NAN), PZ_EINVAL);
	assert_int_equal(pz_history_add(h, 3, v, PZ_TRIAL_OK, INFINITY),
	                 PZ_EINVAL);
	assert_int_equal(pz_history_add(h, 3, v, PZ_TRIAL_NONE, 0), PZ_EINVAL);
	assert_int_equal(pz_history_add(h, 3, v, (enum pz_trial_state)7, 0),
	                 PZ_EINVAL);
	assert_int_equal(pz_history_add(h, UINT32_MAX, v, PZ_TRIAL_OK, 0),
	                 PZ_ERANGE);
	assert_int_equal(pz_history_add(h, UINT64_MAX, v, PZ_TRIAL_OK, 0),
	                 PZ_ERANGE);

	assert_int_equal(pz_history_set(h, 1, PZ_TRIAL_OK, 0), PZ_ENOENT);
	assert_int_equal(pz_history_set(h, 3, PZ_TRIAL_OK, 0), PZ_ENOENT);
	assert_int_equal(pz_history_set(h, UINT64_MAX, PZ_TRIAL_OK, 0),
	                 PZ_ENOENT);
	assert_int_equal(pz_history_set(h, 2, PZ_TRIAL_OK, -INFINITY),
	                 PZ_EINVAL);
	assert_int_equal(pz_history_set(h, 2, PZ_TRIAL_NONE, 0), PZ_EINVAL);
	assert_int_equal(pz_history_remove(h, 1), PZ_ENOENT);
	assert_int_equal(pz_history_remove(h, 3), PZ_ENOENT);
	assert_int_equal(pz_history_remove(h, UINT64_MAX), PZ_ENOENT);

	assert_counts(h, 1, 0, 1);
	assert_int_equal(h->state[0], PZ_TRIAL_OK);
	assert_int_equal(h->state[2], PZ_TRIAL_PENDING);
	assert_true(h->loss[0] == 1 && isnan(h->loss[2]));
	assert_memory_equal(pz_history_row(h, 0), v, sizeof(v));
	assert_memory_equal(pz_history_row(h, 2), v, sizeof(v));
	for (int p = 0; p < NP; p++)
		assert_int_equal(h->n_sorted[p], 2);

	assert_int_equal(pz_history_remove(h, 2), 0);
	assert_int_equal(pz_history_remove(h, 2), PZ_ENOENT);
	assert_int_equal(pz_history_set(h, 2, PZ_TRIAL_OK, 0), PZ_ENOENT);
}

/* Numbers may leave gaps; gap slots are empty until filled. */
static void gaps(void **state)
{
	struct fixture *f = *state;
	struct pz_history *h = f->h;
	double v[NP] = { 1, 0, 1, NAN };

	assert_int_equal(pz_history_add(h, 5, v, PZ_TRIAL_OK, 1), 0);
	assert_int_equal(h->n_slots, 6);
	assert_int_equal(pz_history_add(h, 1000, v, PZ_TRIAL_OK, 1), 0);
	assert_int_equal(pz_history_add(h, 0, v, PZ_TRIAL_FAIL, 0), 0);
	assert_int_equal(h->n_slots, 1001);
	assert_counts(h, 2, 1, 0);
	for (size_t t = 0; t < h->n_slots; t++)
		if (t != 0 && t != 5 && t != 1000)
			assert_int_equal(h->state[t], PZ_TRIAL_NONE);
	assert_int_equal(pz_history_set(h, 3, PZ_TRIAL_OK, 0), PZ_ENOENT);
	assert_int_equal(pz_history_remove(h, 999), PZ_ENOENT);
	assert_int_equal(pz_history_add(h, 3, v, PZ_TRIAL_PENDING, 0), 0);
	assert_counts(h, 2, 1, 1);
	assert_int_equal(pz_history_remove(h, 1000), 0);
	assert_int_equal(h->state[1000], PZ_TRIAL_NONE);
	assert_counts(h, 1, 1, 1);
	assert_int_equal(h->n_sorted[0], 3);
	assert_int_equal(h->n_sorted[3], 0);
}

/* --- the sorted index against brute force --------------------------------- */

#define SLOTS 300

struct entry {
	double v;
	uint32_t t;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return x->t < y->t ? -1 : x->t > y->t;
}

/* A random row: values on small grids, so that ties are common; n is
 * sometimes a signed zero; x is NAN (inactive) unless c = 0. */
static void random_row(struct pz_rng *rng, double *v)
{
	v[0] = (double)pz_rng_below(rng, 11);
	switch (pz_rng_below(rng, 4)) {
	case 0:
		v[1] = 0.0;
		break;
	case 1:
		v[1] = -0.0;
		break;
	default:
		v[1] = pz_rng_normal(rng);
		break;
	}
	v[2] = (double)pz_rng_below(rng, 2);
	v[3] = v[2] == 0 ? -3 + 0.5 * (double)pz_rng_below(rng, 13) : NAN;
}

/* Every sorted index equals the brute-force sort of the model. */
static void check_index(const struct pz_history *h, double model[SLOTS][NP],
                        const int *present)
{
	static struct entry want[SLOTS];

	for (int p = 0; p < NP; p++) {
		size_t n = 0;

		for (uint32_t t = 0; t < SLOTS; t++)
			if (present[t] && !isnan(model[t][p]))
				want[n++] = (struct entry){ model[t][p], t };
		qsort(want, n, sizeof(want[0]), cmp_entry);
		assert_int_equal(h->n_sorted[p], n);
		for (size_t i = 0; i < n; i++)
			if (h->sorted[p][i] != want[i].t)
				fail_msg("param %d, rank %zu: %u, want %u", p,
				         i, h->sorted[p][i], want[i].t);
	}
}

/*
 * 4000 random operations on trial numbers below 300: add to an empty slot
 * (a random state), or on a used slot remove it or change its state.
 * After each, the index, states, losses and counters match a model.
 */
static void sorted_index(void **state)
{
	struct fixture *f = *state;
	struct pz_history *h = f->h;
	static double model[SLOTS][NP];
	int present[SLOTS] = { 0 };
	unsigned char st[SLOTS];
	size_t count[4] = { 0 };
	struct pz_rng rng;

	pz_rng_init(&rng, 42, 0);
	for (int op = 0; op < 4000; op++) {
		uint32_t t = (uint32_t)pz_rng_below(&rng, SLOTS);
		int s = PZ_TRIAL_PENDING + (int)pz_rng_below(&rng, 3);
		double loss = (double)pz_rng_below(&rng, 5);

		if (!present[t]) {
			random_row(&rng, model[t]);
			assert_int_equal(pz_history_add(h, t, model[t], s,
			                                loss),
			                 0);
			present[t] = 1;
			st[t] = (unsigned char)s;
			count[s]++;
		} else if (pz_rng_below(&rng, 2) == 0) {
			assert_int_equal(pz_history_remove(h, t), 0);
			present[t] = 0;
			count[st[t]]--;
		} else {
			assert_int_equal(pz_history_set(h, t, s, loss), 0);
			count[st[t]]--;
			st[t] = (unsigned char)s;
			count[s]++;
		}
		for (uint32_t u = 0; u < SLOTS; u++) {
			int want = present[u] ? st[u] : PZ_TRIAL_NONE;

			if (u < h->n_slots)
				assert_int_equal(h->state[u], want);
			else
				assert_int_equal(want, PZ_TRIAL_NONE);
		}
		if (s == PZ_TRIAL_OK && present[t])
			assert_true(h->loss[t] == loss);
		assert_counts(h, count[PZ_TRIAL_OK], count[PZ_TRIAL_FAIL],
		              count[PZ_TRIAL_PENDING]);
		check_index(h, model, present);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bookkeeping, setup, teardown),
		cmocka_unit_test_setup_teardown(refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(gaps, setup, teardown),
		cmocka_unit_test_setup_teardown(sorted_index, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
