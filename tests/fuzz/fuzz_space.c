/*
 * Fuzz target: a space document (JSON text) through everything libparzen
 * does with one.
 *
 * The input goes to pz_space_create_from_text(). A refusal must come with
 * a message naming the document ("space..."). An accepted space then has
 * 5 points drawn from its prior and 30 suggested by the TPE (past its
 * start-up, told a synthetic loss of their params), and every point must
 * hold what the daemon relies on when it stores a trial and loads it
 * again: active labels have finite values, inactive ones none; params ->
 * JSON -> params and params -> text -> params give back the same doubles
 * and are accepted by pz_params_from_json(); and pz_eval()
 * either builds the point or refuses it with a message. A violation
 * aborts, so that libFuzzer and the replay test report it.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <parzen/error.h>
#include <parzen/eval.h>
#include <parzen/history.h>
#include <parzen/json.h>
#include <parzen/rng.h>
#include <parzen/params.h>
#include <parzen/sample.h>
#include <parzen/space.h>
#include <parzen/suggest.h>
#include <parzen/tpe.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_PRIOR 5
#define N_TPE 30

static void die(const struct pz_space *space, const double *v,
                const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_space: %s\n  %s\n", what, detail ? detail : "");
	if (space != NULL && v != NULL)
		for (int i = 0; i < space->n_params; i++)
			fprintf(stderr, "  %s = %.17g\n",
			        space->params[i].label, v[i]);
	abort();
}

/*
 * The same doubles, NAN where the other has NAN. Equal in the sense of ==,
 * which is bit for bit except that -0 equals 0: the JSON printer writes -0
 * as 0 on purpose (lib/json.c), and nothing in the suggesters depends on
 * the sign of a zero.
 */
static int same(const double *a, const double *b, int n)
{
	for (int i = 0; i < n; i++) {
		if (isnan(a[i]) != isnan(b[i]))
			return 0;
		if (!isnan(a[i]) && a[i] != b[i])
			return 0;
	}
	return 1;
}

static void check_point(const struct pz_space *space, const double *v,
                        double *back)
{
	struct pz_error err = {0};
	cJSON *j, *point = NULL;
	char *text;
	int rc;

	for (int i = 0; i < space->n_params; i++)
		if (pz_space_is_active(space, v, i) ? !isfinite(v[i])
		                                    : !isnan(v[i]))
			die(space, v, "a value that is not finite, or one "
			    "for an inactive label", space->params[i].label);

	j = pz_params_to_json(space, v);
	if (j == NULL)
		die(space, v, "pz_params_to_json failed", NULL);
	if (pz_params_from_json(space, j, back, &err) != 0)
		die(space, v, "params refused after a JSON trip", err.msg);
	if (!same(v, back, space->n_params))
		die(space, v, "params changed in a JSON trip", NULL);
	cJSON_Delete(j);

	text = pz_params_to_text(space, v);
	if (text == NULL)
		die(space, v, "pz_params_to_text failed", NULL);
	j = cJSON_Parse(text);
	if (j == NULL)
		die(space, v, "params text does not parse", text);
	if (pz_params_from_json(space, j, back, &err) != 0)
		die(space, v, "params refused after a text trip", err.msg);
	if (!same(v, back, space->n_params))
		die(space, v, "params changed in a text trip", text);
	cJSON_Delete(j);
	free(text);

	rc = pz_eval(space, v, &point, &err);
	if (rc == 0) {
		text = pz_json_print(point, NULL);
		if (text == NULL)
			die(space, v, "the point could not be printed", NULL);
		free(text);
		cJSON_Delete(point);
	} else if (rc != PZ_EINVAL || point != NULL || err.msg[0] == '\0') {
		die(space, v, "pz_eval failed without a message", err.msg);
	}
}

/* A loss of the params; finite for finite params. */
static double synthetic_loss(const struct pz_space *space, const double *v)
{
	double loss = 0;

	for (int i = 0; i < space->n_params; i++)
		if (isfinite(v[i]))
			loss += sin(0.7 * fmod(v[i], 1e6) + i);
	return loss;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pz_space *space = NULL;
	struct pz_history *hist = NULL;
	struct pz_tpe_config cfg;
	struct pz_error err = {0};
	struct pz_rng rng;
	double *v, *back;
	int rc;

	rc = pz_space_create_from_text((const char *)data, size, "space",
	                               &space, &err);
	if (rc != 0) {
		if (space != NULL || strncmp(err.msg, "space", 5) != 0)
			die(NULL, NULL, "a refusal without a path", err.msg);
		return 0;
	}
	v = malloc((size_t)(space->n_params + 1) * sizeof(double));
	back = malloc((size_t)(space->n_params + 1) * sizeof(double));
	if (v == NULL || back == NULL ||
	    pz_history_create(space, &hist) != 0)
		die(NULL, NULL, "out of memory", NULL);

	pz_rng_init(&rng, 42, 0);
	for (int k = 0; k < N_PRIOR; k++) {
		pz_sample_prior(space, &rng, v);
		check_point(space, v, back);
	}

	pz_tpe_config_default(&cfg);
	cfg.n_startup = 3;
	for (int n = 0; n < N_TPE; n++) {
		double loss;

		if (pz_suggest(space, hist, PZ_ALGO_TPE, &cfg, 7, (uint64_t)n,
		               v, &err) != 0)
			die(space, NULL, "pz_suggest failed", err.msg);
		check_point(space, v, back);
		loss = synthetic_loss(space, v);
		/* Every third trial fails, as workers' trials do. */
		if (n % 3 == 2)
			rc = pz_history_add(hist, (uint64_t)n, v, PZ_TRIAL_FAIL,
			                    NAN);
		else
			rc = pz_history_add(hist, (uint64_t)n, v, PZ_TRIAL_OK,
			                    loss);
		if (rc != 0)
			die(space, v, "pz_history_add failed", pz_strerror(rc));
	}

	pz_history_destroy(hist);
	free(back);
	free(v);
	pz_space_destroy(space);
	return 0;
}
