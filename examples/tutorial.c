/*
 * The hyperopt tutorial, run in-process through libparzen.
 *
 * Each example is a space document (docs/space.md), an objective that
 * receives the evaluated point (what a hyperopt objective receives from
 * space_eval) and a loop that does what hyperopt's fmin does:
 *
 *     for k in 0 .. n-1:
 *         values = pz_suggest(space, history, TPE, cfg, seed, k)
 *         point  = pz_eval(space, values)
 *         loss   = objective(point)
 *         pz_history_add(history, k, values, OK, loss)
 *
 * The examples: (1) a parabola in one variable, (2) a dict space of two
 * variables, (3) hyperopt's nested classifier space with a synthetic loss,
 * and (4) three prior samples of the CIFAR-100 space from bench/spaces.
 *
 * Usage: tutorial [CIFAR100_SPACE_JSON]
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <parzen/error.h>
#include <parzen/eval.h>
#include <parzen/history.h>
#include <parzen/params.h>
#include <parzen/sample.h>
#include <parzen/space.h>
#include <parzen/suggest.h>
#include <parzen/tpe.h>

#ifndef PZ_SOURCE_ROOT
#define PZ_SOURCE_ROOT "."
#endif

#define SEED 42

/* The loss of an evaluated point; NAN marks a failed trial. */
typedef double (*objective_fn)(const cJSON *point);

struct best {
	int trial;          /* -1 until a trial succeeded */
	double loss;
	double *values;     /* params vector of the best trial */
};

/* A number member of an object, NAN when absent. */
static double num(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* A string member of an object, "" when absent. */
static const char *str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static void print_json(const char *what, const cJSON *json)
{
	char *text = cJSON_PrintUnformatted(json);

	printf("  %-11s %s\n", what, text != NULL ? text : "(out of memory)");
	free(text);
}

/*
 * Run `n_trials` trials of `objective` over `space` with `algo` and keep
 * the best one in *best (best->values must hold n_params doubles).
 */
static int minimize(const struct pz_space *space, enum pz_algo algo,
                    objective_fn objective, int n_trials, struct best *best)
{
	struct pz_tpe_config cfg;
	struct pz_history *hist = NULL;
	struct pz_error err;
	double *values;
	cJSON *point = NULL;
	int rc;

	pz_tpe_config_default(&cfg);
	best->trial = -1;
	best->loss = INFINITY;
	values = calloc((size_t)space->n_params + 1, sizeof(*values));
	if (values == NULL)
		return PZ_ENOMEM;
	rc = pz_history_create(space, &hist);
	if (rc != 0)
		goto out_values;
	for (int k = 0; k < n_trials; k++) {
		enum pz_trial_state state = PZ_TRIAL_OK;
		double loss;

		rc = pz_suggest(space, hist, algo, &cfg, SEED, (uint64_t)k,
		                values, &err);
		if (rc != 0) {
			fprintf(stderr, "pz_suggest: %s\n", err.msg);
			goto out_history;
		}
		rc = pz_eval(space, values, &point, &err);
		if (rc != 0) {
			fprintf(stderr, "pz_eval: %s\n", err.msg);
			goto out_history;
		}
		loss = objective(point);
		cJSON_Delete(point);
		if (!isfinite(loss))
			state = PZ_TRIAL_FAIL;
		rc = pz_history_add(hist, (uint64_t)k, values, state,
		                    state == PZ_TRIAL_OK ? loss : NAN);
		if (rc != 0) {
			fprintf(stderr, "pz_history_add: %s\n",
			        pz_strerror(rc));
			goto out_history;
		}
		if (state == PZ_TRIAL_OK && loss < best->loss) {
			best->trial = k;
			best->loss = loss;
			memcpy(best->values, values,
			       (size_t)space->n_params * sizeof(*values));
		}
	}
out_history:
	pz_history_destroy(hist);
out_values:
	free(values);
	return rc;
}

/*
 * One tutorial example: parse the space, minimize with TPE, report the best
 * trial (loss, flat params, evaluated point) and, for comparison, the best
 * loss random search reaches with the same budget and seed.
 */
static int example(const char *title, const char *space_text,
                   objective_fn objective, int n_trials)
{
	struct pz_space *space = NULL;
	struct pz_error err;
	struct best tpe = { 0 }, rnd = { 0 };
	cJSON *params = NULL, *point = NULL;
	int rc;

	printf("\n== %s\n", title);
	rc = pz_space_create_from_text(space_text, strlen(space_text), "space",
	                               &space, &err);
	if (rc != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return rc;
	}
	tpe.values = calloc((size_t)space->n_params, sizeof(double));
	rnd.values = calloc((size_t)space->n_params, sizeof(double));
	if (tpe.values == NULL || rnd.values == NULL) {
		rc = PZ_ENOMEM;
		goto out;
	}
	printf("  space       %s\n", space_text);
	if ((rc = minimize(space, PZ_ALGO_TPE, objective, n_trials, &tpe)) ||
	    (rc = minimize(space, PZ_ALGO_RANDOM, objective, n_trials, &rnd)))
		goto out;
	if (tpe.trial < 0) {
		fprintf(stderr, "no trial succeeded\n");
		rc = PZ_ESTATE;
		goto out;
	}
	params = pz_params_to_json(space, tpe.values);
	if (params == NULL) {
		rc = PZ_ENOMEM;
		goto out;
	}
	rc = pz_eval(space, tpe.values, &point, &err);
	if (rc != 0) {
		fprintf(stderr, "pz_eval: %s\n", err.msg);
		goto out;
	}
	printf("  TPE, %d trials: best loss %.6g at trial %d\n", n_trials,
	       tpe.loss, tpe.trial);
	print_json("params", params);
	print_json("point", point);
	printf("  (random search, same budget: best loss %.6g)\n", rnd.loss);
out:
	if (rc != 0)
		fprintf(stderr, "example failed: %s\n", pz_strerror(rc));
	cJSON_Delete(point);
	cJSON_Delete(params);
	free(tpe.values);
	free(rnd.values);
	pz_space_destroy(space);
	return rc;
}

/* --- 1. a parabola ------------------------------------------------------- */

static const char parabola_space[] =
	"{\"$hp\": \"uniform\", \"label\": \"x\", \"low\": -2, \"high\": 2}";

/* hyperopt's first example: minimum 0.75 at x = 0.5. */
static double parabola(const cJSON *point)
{
	double x = point->valuedouble;

	return x * x - x + 1;
}

/* --- 2. a dict space ----------------------------------------------------- */

static const char dict_space[] =
	"{\"x\": {\"$hp\": \"uniform\", \"label\": \"x\", \"low\": -10, "
	"\"high\": 10}, "
	"\"y\": {\"$hp\": \"uniform\", \"label\": \"y\", \"low\": -10, "
	"\"high\": 10}}";

/* Minimum 0 at (0, 0). */
static double bowl(const cJSON *point)
{
	double x = num(point, "x"), y = num(point, "y");

	return x * x + y * y;
}

/* --- 3. hyperopt's nested classifier space -------------------------------- */

/*
 * The space of hyperopt's "Search spaces" tutorial: which classifier, and
 * each classifier's own hyperparameters, which exist only when it is
 * chosen. dtree's min_samples_split shows a function node: 2 plus the
 * integer part of a quantized log-normal.
 */
static const char classifier_space[] =
	"{\"type\": {\"$hp\": \"choice\", \"label\": \"classifier_type\", "
	"\"options\": ["
	"{\"name\": \"naive_bayes\"}, "
	"{\"name\": \"svm\", "
	"\"C\": {\"$hp\": \"uniform\", \"label\": \"svm_C\", \"low\": 0, "
	"\"high\": 10}, "
	"\"kernel\": {\"$hp\": \"choice\", \"label\": \"svm_kernel\", "
	"\"options\": [{\"ktype\": \"linear\"}, "
	"{\"ktype\": \"rbf\", \"width\": {\"$hp\": \"lognormal\", "
	"\"label\": \"svm_rbf_width\", \"mu\": 0, \"sigma\": 1}}]}}, "
	"{\"name\": \"dtree\", "
	"\"criterion\": {\"$hp\": \"choice\", \"label\": \"dtree_criterion\", "
	"\"options\": [\"gini\", \"entropy\"]}, "
	"\"max_depth\": {\"$hp\": \"choice\", \"label\": \"dtree_max_depth\", "
	"\"options\": [null, {\"$hp\": \"randint\", "
	"\"label\": \"dtree_max_depth_int\", \"low\": 1, \"high\": 20}]}, "
	"\"min_samples_split\": {\"$fn\": \"add\", \"args\": [2, "
	"{\"$fn\": \"int\", \"args\": [{\"$hp\": \"qlognormal\", "
	"\"label\": \"dtree_min_samples_split\", \"mu\": 2, \"sigma\": 1, "
	"\"q\": 1}]}]}}"
	"]}}";

/*
 * A made-up validation error: naive Bayes is a flat 0.35; a tree does best
 * at depth 8 with entropy and about 10 samples per split (0.19); an SVM
 * with an RBF kernel of width 1 and C = 3.5 is the best model (0.12).
 */
static double classifier_loss(const cJSON *point)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(point, "type");
	const char *name = str(m, "name");

	if (strcmp(name, "naive_bayes") == 0)
		return 0.35;
	if (strcmp(name, "svm") == 0) {
		const cJSON *kernel =
		    cJSON_GetObjectItemCaseSensitive(m, "kernel");
		double c = num(m, "C");
		double loss = 0.12 + 0.02 * (c - 3.5) * (c - 3.5);

		if (strcmp(str(kernel, "ktype"), "rbf") == 0) {
			double lw = log(num(kernel, "width"));

			return loss + 0.2 * lw * lw;
		}
		return loss + 0.06;
	}
	if (strcmp(name, "dtree") == 0) {
		const cJSON *depth =
		    cJSON_GetObjectItemCaseSensitive(m, "max_depth");
		double d = cJSON_IsNumber(depth) ? depth->valuedouble : NAN;
		double loss = isnan(d) ? 0.30 : 0.20 + 0.01 * (d - 8) * (d - 8);

		if (strcmp(str(m, "criterion"), "entropy") == 0)
			loss -= 0.01;
		return loss + 0.005 * fabs(num(m, "min_samples_split") - 10);
	}
	return NAN;
}

/* --- 4. the CIFAR-100 space ----------------------------------------------- */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		goto out;
	buf = malloc((size_t)size + 1);
	if (buf == NULL)
		goto out;
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[size] = '\0';
	*len = (size_t)size;
out:
	fclose(f);
	return buf;
}

/* Load the space unchanged and print three prior samples of it. */
static int cifar_samples(const char *path)
{
	struct pz_space *space = NULL;
	struct pz_error err;
	double *values = NULL;
	cJSON *point = NULL;
	size_t len = 0;
	char *text, *out;
	int rc, n_cond = 0;

	printf("\n== 4. the CIFAR-100 space (%s): 3 prior samples\n", path);
	text = read_file(path, &len);
	if (text == NULL) {
		perror(path);
		return PZ_EIO;
	}
	rc = pz_space_create_from_text(text, len, "cifar100", &space, &err);
	free(text);
	if (rc != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return rc;
	}
	for (int i = 0; i < space->n_params; i++)
		n_cond += space->params[i].parent >= 0;
	printf("  %d hyperparameters (%d conditional) in %d activation "
	       "groups\n", space->n_params, n_cond, space->n_groups);
	values = calloc((size_t)space->n_params, sizeof(*values));
	if (values == NULL) {
		rc = PZ_ENOMEM;
		goto out;
	}
	for (int k = 0; k < 3; k++) {
		rc = pz_suggest(space, NULL, PZ_ALGO_RANDOM, NULL, SEED,
		                (uint64_t)k, values, &err);
		if (rc == 0)
			rc = pz_eval(space, values, &point, &err);
		if (rc != 0) {
			fprintf(stderr, "%s\n", err.msg);
			goto out;
		}
		out = cJSON_Print(point);
		cJSON_Delete(point);
		if (out == NULL) {
			rc = PZ_ENOMEM;
			goto out;
		}
		printf("  sample %d (trial %d of seed %d):\n%s\n", k + 1, k,
		       SEED, out);
		free(out);
	}
out:
	free(values);
	pz_space_destroy(space);
	return rc;
}

int main(int argc, char **argv)
{
	const char *cifar = PZ_SOURCE_ROOT "/bench/spaces/cifar100.json";
	struct pz_tpe_config cfg;
	cJSON *cfg_json;
	char *cfg_text;
	int failed = 0;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: %s [CIFAR100_SPACE_JSON]\n", argv[0]);
		return 2;
	}
	if (argc == 2)
		cifar = argv[1];
	pz_tpe_config_default(&cfg);
	cfg_json = pz_tpe_config_to_json(&cfg);
	cfg_text = cfg_json != NULL ? cJSON_PrintUnformatted(cfg_json) : NULL;
	printf("parzen tutorial: hyperopt's examples with libparzen's TPE, "
	       "seed %d\nTPE config: %s\n", SEED,
	       cfg_text != NULL ? cfg_text : "(out of memory)");
	free(cfg_text);
	cJSON_Delete(cfg_json);

	failed |= example("1. f(x) = x^2 - x + 1, x ~ uniform(-2, 2) "
	                  "(optimum: x = 0.5, loss 0.75)",
	                  parabola_space, parabola, 100) != 0;
	failed |= example("2. f = x^2 + y^2, x, y ~ uniform(-10, 10) "
	                  "(optimum: x = y = 0, loss 0)",
	                  dict_space, bowl, 100) != 0;
	failed |= example("3. nested classifier space, synthetic loss "
	                  "(optimum: svm, rbf, C = 3.5, width = 1, loss 0.12)",
	                  classifier_space, classifier_loss, 100) != 0;
	failed |= cifar_samples(cifar) != 0;
	if (failed) {
		fprintf(stderr, "tutorial: an example failed\n");
		return 1;
	}
	printf("\ntutorial: all examples ran\n");
	return 0;
}
