/*
 * A fixed TPE search on a mixed space, shared by test_tpe.c and the
 * tpe_replay helper, so that the test can compare the search run in its
 * own process with the same search run in others.
 *
 * The space has a label of most kinds and a choice whose options hold
 * nested, hence conditional, labels. The search tells every seventh trial
 * as failed and the rest with a loss that depends on every label.
 */
#ifndef PZ_TEST_TPE_REPLAY_H
#define PZ_TEST_TPE_REPLAY_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <parzen/history.h>
#include <parzen/space.h>
#include <parzen/suggest.h>
#include <parzen/tpe.h>

#define REPLAY_TRIALS 60

static const char MIXED_SPACE[] =
	"{\"lr\": {\"$hp\": \"loguniform\", \"label\": \"lr\", \"low\": -7, "
	"\"high\": 0},"
	" \"x\": {\"$hp\": \"uniform\", \"label\": \"x\", \"low\": -1, "
	"\"high\": 1},"
	" \"units\": {\"$hp\": \"quniform\", \"label\": \"units\", "
	"\"low\": 16, \"high\": 256, \"q\": 16},"
	" \"layers\": {\"$hp\": \"randint\", \"label\": \"layers\", "
	"\"low\": 1, \"high\": 6},"
	" \"noise\": {\"$hp\": \"normal\", \"label\": \"noise\", \"mu\": 0, "
	"\"sigma\": 1},"
	" \"opt\": {\"$hp\": \"choice\", \"label\": \"opt\", \"options\": ["
	"  {\"name\": \"sgd\", \"momentum\": {\"$hp\": \"uniform\", "
	"\"label\": \"momentum\", \"low\": 0, \"high\": 0.99}},"
	"  {\"name\": \"adam\", \"beta2\": {\"$hp\": \"loguniform\", "
	"\"label\": \"beta2\", \"low\": -5, \"high\": -1},"
	"   \"amsgrad\": {\"$hp\": \"choice\", \"label\": \"amsgrad\", "
	"\"options\": [false, true]}},"
	"  \"none\"]}}";

static inline double mixed_value(const struct pz_space *s, const double *v,
                                 const char *label)
{
	return v[pz_space_find(s, label)];
}

static inline double mixed_loss(const struct pz_space *s, const double *v)
{
	double lr = log(mixed_value(s, v, "lr")) + 3;
	double x = mixed_value(s, v, "x");
	double units = (mixed_value(s, v, "units") - 128) / 128;
	double layers = mixed_value(s, v, "layers") - 3;
	double noise = mixed_value(s, v, "noise");
	double loss = lr * lr / 4 + x * x + units * units +
	              layers * layers / 4 + noise * noise / 4;

	switch ((int)mixed_value(s, v, "opt")) {
	case 0: {
		double m = mixed_value(s, v, "momentum") - 0.9;

		return loss + m * m;
	}
	case 1: {
		double b = log(mixed_value(s, v, "beta2")) + 3;

		return loss + b * b / 4 + 0.1 * mixed_value(s, v, "amsgrad");
	}
	default:
		return loss + 1;
	}
}

/* Trial k's state in the replay search. */
static inline enum pz_trial_state replay_state(uint64_t k)
{
	return k % 7 == 6 ? PZ_TRIAL_FAIL : PZ_TRIAL_OK;
}

/*
 * Run trials [h->n_slots, n) of the search on `h` with `cfg` and `seed`.
 * When `out` is not NULL, print one line per trial: its number, then the
 * bits of every param in hex. Returns 0 or a PZ_E* code.
 */
static inline int replay_run(const struct pz_space *s, struct pz_history *h,
                             const struct pz_tpe_config *cfg, uint64_t seed,
                             uint64_t n, FILE *out)
{
	double v[64];
	struct pz_error err;
	int rc;

	if (s->n_params > 64)
		return PZ_EINVAL;
	for (uint64_t k = h->n_slots; k < n; k++) {
		rc = pz_suggest(s, h, PZ_ALGO_TPE, cfg, seed, k, v, &err);
		if (rc != 0)
			return rc;
		rc = pz_history_add(h, k, v, replay_state(k), mixed_loss(s, v));
		if (rc != 0)
			return rc;
		if (out == NULL)
			continue;
		fprintf(out, "%" PRIu64, k);
		for (int i = 0; i < s->n_params; i++) {
			uint64_t bits;

			memcpy(&bits, &v[i], sizeof(bits));
			fprintf(out, " %016" PRIx64, bits);
		}
		fputc('\n', out);
	}
	return 0;
}

#endif
