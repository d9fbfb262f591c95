/*
 * Tests of lib/history: the bookkeeping of add, set and remove (states,
 * losses, copied rows and the n_* counters), the refusals (duplicate,
 * unknown and out-of-range numbers, bad states and losses) leaving the
 * history unchanged, gaps in trial numbers, and the per-param sorted
 * index, checked against a brute-force sort by (value, number) through
 * thousands of random inserts, state changes and removals, with ties,
 * signed zeros and inactive (NAN) values; pruned trials keep their step
 * and value, and the rank order of finished trials (ok by loss, then
 * pruned by later step and lower value, ties by number) on a hand-built
 * history.
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

/* pz_history_fill gives exactly what adding the trials one by one gives. */
static void fill_equals_adds(void **state)
{
	struct fixture *f = *state;
	struct pz_history *one;
	struct pz_rng rng;
	enum { N = 3000 };
	static double values[N * NP], losses[N];
	static unsigned char states[N];

	pz_rng_init(&rng, 5, 0);
	assert_int_equal(pz_history_create(f->space, &one), 0);
	for (size_t t = 0; t < N; t++) {
		random_row(&rng, values + t * NP);
		/* Ties: a small grid makes equal values common. */
		states[t] = (unsigned char)(PZ_TRIAL_PENDING + t % 3);
		losses[t] = (double)(pz_rng_below(&rng, 50)) / 7;
		assert_int_equal(pz_history_add(one, t, values + t * NP,
		                                states[t], losses[t]),
		                 0);
	}
	assert_int_equal(pz_history_fill(f->h, N, values, states, losses), 0);
	assert_int_equal(f->h->n_slots, one->n_slots);
	assert_int_equal(f->h->n_trials, one->n_trials);
	assert_int_equal(f->h->n_ok, one->n_ok);
	assert_int_equal(f->h->n_fail, one->n_fail);
	assert_int_equal(f->h->n_pending, one->n_pending);
	assert_memory_equal(f->h->values, one->values, sizeof(values));
	assert_memory_equal(f->h->state, one->state, N);
	for (size_t t = 0; t < N; t++)
		assert_true(isnan(one->loss[t]) ? isnan(f->h->loss[t])
		                                : f->h->loss[t] == one->loss[t]);
	for (int p = 0; p < NP; p++) {
		assert_int_equal(f->h->n_sorted[p], one->n_sorted[p]);
		assert_memory_equal(f->h->sorted[p], one->sorted[p],
		                    one->n_sorted[p] * sizeof(uint32_t));
	}
	/* A filled history goes on like any other. */
	random_row(&rng, values);
	assert_int_equal(pz_history_add(f->h, N, values, PZ_TRIAL_OK, 1.0), 0);
	assert_int_equal(pz_history_add(one, N, values, PZ_TRIAL_OK, 1.0), 0);
	for (int p = 0; p < NP; p++)
		assert_memory_equal(f->h->sorted[p], one->sorted[p],
		                    one->n_sorted[p] * sizeof(uint32_t));
	/* Only an empty history is filled; bad input changes nothing. */
	assert_int_equal(pz_history_fill(f->h, 1, values, states, losses),
	                 PZ_EEXIST);
	pz_history_destroy(one);
	assert_int_equal(pz_history_create(f->space, &one), 0);
	states[1] = PZ_TRIAL_OK;
	losses[1] = NAN;
	assert_int_equal(pz_history_fill(one, 2, values, states, losses),
	                 PZ_EINVAL);
	assert_int_equal(one->n_trials, 0);
	pz_history_destroy(one);
}

/* A pruned trial keeps its step and value through add, set and fill. */
static void pruned_bookkeeping(void **state)
{
	struct fixture *f = *state;
	struct pz_history *h = f->h, *g;
	double v[NP] = { 3, -0.5, 0, 1.5 }, values[3 * NP], losses[3];
	unsigned char states[3] = { PZ_TRIAL_OK, PZ_TRIAL_PRUNED,
	                            PZ_TRIAL_PRUNED };

	assert_int_equal(pz_history_add(h, 0, v, PZ_TRIAL_PENDING, 0), 0);
	assert_int_equal(pz_history_add(h, 1, v, PZ_TRIAL_PRUNED, 0.25), 0);
	assert_int_equal(h->n_pruned, 1);
	assert_true(h->loss[1] == 0.25);
	assert_int_equal(h->step[1], -1);
	assert_int_equal(h->step[0], -1);
	assert_int_equal(pz_history_set_pruned(h, 0, 7, 1.5), 0);
	assert_int_equal(h->state[0], PZ_TRIAL_PRUNED);
	assert_int_equal(h->step[0], 7);
	assert_true(h->loss[0] == 1.5);
	assert_int_equal(h->n_pruned, 2);
	assert_int_equal(h->n_pending, 0);
	assert_int_equal(pz_history_n_ranked(h), 2);
	/* A value may be missing (no report, no told loss). */
	assert_int_equal(pz_history_set_pruned(h, 1, -1, NAN), 0);
	assert_true(isnan(h->loss[1]));
	assert_int_equal(pz_history_set_pruned(h, 1, -2, 0), PZ_EINVAL);
	assert_int_equal(pz_history_set_pruned(h, 5, 1, 0), PZ_ENOENT);
	assert_int_equal(h->step[1], -1);
	/* Back to another state: the step is gone. */
	assert_int_equal(pz_history_set(h, 0, PZ_TRIAL_FAIL, 0), 0);
	assert_int_equal(h->step[0], -1);
	assert_true(isnan(h->loss[0]));
	assert_int_equal(h->n_pruned, 1);
	assert_int_equal(h->n_fail, 1);

	/* fill keeps a pruned trial's value; its step comes after. */
	for (int t = 0; t < 3; t++)
		memcpy(values + t * NP, v, sizeof(v));
	losses[0] = 1;
	losses[1] = 2;
	losses[2] = NAN;
	assert_int_equal(pz_history_create(f->space, &g), 0);
	assert_int_equal(pz_history_fill(g, 3, values, states, losses), 0);
	assert_int_equal(g->n_ok, 1);
	assert_int_equal(g->n_pruned, 2);
	assert_true(g->loss[1] == 2 && isnan(g->loss[2]));
	assert_int_equal(g->step[1], -1);
	assert_int_equal(pz_history_set_pruned(g, 1, 4, 2), 0);
	assert_int_equal(g->step[1], 4);
	pz_history_destroy(g);
}

/*
 * The rank order on a hand-built history: sorting the finished trials
 * with pz_history_ranks_before gives ok by loss, then pruned by later
 * step, then lower value (NAN last), ties by number; failed and pending
 * trials are not ranked. Were pruned trials failed, they would not be
 * ranked at all; were they ok with their value, trials 5 and 8 (values
 * below every ok loss) would come first.
 */
static void rank_order(void **state)
{
	struct fixture *f = *state;
	struct pz_history *h = f->h;
	double v[NP] = { 1, 0, 1, NAN };
	static const struct {
		int state;
		int64_t step;
		double loss;
	} trials[] = {
		{ PZ_TRIAL_PRUNED, 3, 0.9 },  /* 0 */
		{ PZ_TRIAL_OK, -1, 0.5 },     /* 1 */
		{ PZ_TRIAL_FAIL, -1, 0 },     /* 2 */
		{ PZ_TRIAL_PRUNED, 9, 2.0 },  /* 3 */
		{ PZ_TRIAL_OK, -1, 0.5 },     /* 4: ties 1, after it */
		{ PZ_TRIAL_PRUNED, 1, 0.01 }, /* 5 */
		{ PZ_TRIAL_PENDING, -1, 0 },  /* 6 */
		{ PZ_TRIAL_PRUNED, 3, 0.4 },  /* 7 */
		{ PZ_TRIAL_PRUNED, -1, 0.0 }, /* 8: reported nothing */
		{ PZ_TRIAL_OK, -1, 0.2 },     /* 9 */
		{ PZ_TRIAL_PRUNED, 3, NAN },  /* 10 */
		{ PZ_TRIAL_PRUNED, 3, 0.4 },  /* 11: ties 7, after it */
	};
	static const uint32_t want[] = { 9, 1, 4, 3, 7, 11, 0, 10, 5, 8 };
	enum { N = sizeof(trials) / sizeof(trials[0]) };
	uint32_t order[N];
	size_t n = 0;

	for (size_t t = 0; t < N; t++) {
		int st = trials[t].state;

		assert_int_equal(pz_history_add(h, t, v,
		                                st == PZ_TRIAL_PRUNED
		                                        ? PZ_TRIAL_PENDING
		                                        : st,
		                                trials[t].loss),
		                 0);
		if (st == PZ_TRIAL_PRUNED)
			assert_int_equal(pz_history_set_pruned(h, t,
			                                       trials[t].step,
			                                       trials[t].loss),
			                 0);
	}
	assert_int_equal(pz_history_n_ranked(h), 10);
	/* Insertion sort by the order, from the slots in number order. */
	for (size_t t = 0; t < N; t++) {
		size_t i;

		if (!pz_history_ranked(h, t))
			continue;
		for (i = n; i > 0 && pz_history_ranks_before(h, t, order[i - 1]);
		     i--)
			order[i] = order[i - 1];
		order[i] = (uint32_t)t;
		n++;
	}
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	assert_memory_equal(order, want, sizeof(want));
	/* Strict: no trial before itself; each pair one way only. */
	for (size_t a = 0; a < n; a++) {
		assert_false(pz_history_ranks_before(h, order[a], order[a]));
		for (size_t b = a + 1; b < n; b++) {
			assert_true(pz_history_ranks_before(h, order[a],
			                                    order[b]));
			assert_false(pz_history_ranks_before(h, order[b],
			                                     order[a]));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bookkeeping, setup, teardown),
		cmocka_unit_test_setup_teardown(refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(gaps, setup, teardown),
		cmocka_unit_test_setup_teardown(sorted_index, setup, teardown),
		cmocka_unit_test_setup_teardown(fill_equals_adds, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(pruned_bookkeeping, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(rank_order, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
