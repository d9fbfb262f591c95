/*
 * The quality benchmark's search driver: how low does a suggester drive
 * each problem of the quality suite in a fixed budget of evaluations,
 * alone or with parallel workers?
 *
 * The problems (spaces and objectives) live in one place,
 * bench/quality/problems.py; this program starts
 * bench/quality/evaluate.py for each problem, takes the space document
 * from its first line and sends it evaluated points (pz_eval, hyperopt's
 * space_eval) in batches, one line per batch, getting (observed loss,
 * true loss) pairs back. All seeds of a problem run in lockstep so that a
 * batch holds one trial of every seed.
 *
 * Parallel workers are simulated in a fixed order: with W workers, trial
 * k is asked when trials 0..k-1 have been asked and 0..k-W told, so it
 * sees the W-1 trials before it as pending (the constant liar puts them
 * in g(x)); then the oldest pending trial is told. W = 1 is the
 * sequential search. Trial k draws pz_suggest(..., seed, k).
 *
 * The figure recorded at each checkpoint c (25, 50, 100 evaluations, and
 * the budget) is the true loss of the trial with the lowest observed loss
 * among trials 0..c-1 (the two differ only for the noisy problems).
 *
 * Output: one JSON line per problem with, per checkpoint, the figure of
 * every seed (in seed order). bench/quality.py runs this next to Optuna
 * and hyperopt and writes bench/RESULTS.md. A benchmark, not a test: it
 * prints numbers and fails only on errors.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include <parzen/error.h>
#include <parzen/eval.h>
#include <parzen/history.h>
#include <parzen/space.h>
#include <parzen/suggest.h>
#include <parzen/tpe.h>

#ifndef PZ_QUALITY_EVALUATOR
#define PZ_QUALITY_EVALUATOR "bench/quality/evaluate.py"
#endif
#ifndef PZ_QUALITY_PYTHON
#define PZ_QUALITY_PYTHON "/usr/bin/python3"
#endif

#define MAX_CHECKPOINTS 4
#define MAX_PROBLEMS 256

extern char **environ;

struct options {
	enum pz_algo algo;
	struct pz_tpe_config cfg;
	cJSON *cfg_json; /* effective config, for the output */
	int seeds;
	int seed0;
	int evals;
	int workers;
	const char *only;
	const char *half;
	const char *python;
	const char *evaluator;
	int checkpoints[MAX_CHECKPOINTS];
	int n_checkpoints;
};

/* One evaluator process and its pipes. */
struct evaluator {
	pid_t pid;
	FILE *to;   /* its stdin */
	FILE *from; /* its stdout */
	char *line;
	size_t cap;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of n values (the mean of the middle two for even n). */
static double median(const double *v, int n)
{
	double *s = malloc((size_t)n * sizeof(*s)), m;

	if (s == NULL)
		return NAN;
	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

/* --- the evaluator process ------------------------------------------------ */

static int evaluator_close(struct evaluator *ev)
{
	int status = 0, rc = 0;

	if (ev->to != NULL)
		fclose(ev->to);
	if (ev->from != NULL)
		fclose(ev->from);
	if (ev->pid > 0) {
		if (waitpid(ev->pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			rc = -1;
	}
	free(ev->line);
	memset(ev, 0, sizeof(*ev));
	return rc;
}

/* Start `python evaluator arg`, with pipes to its stdin and stdout. */
static int evaluator_open(struct evaluator *ev, const struct options *o,
                          const char *arg)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	char *argv[] = {(char *)o->python, (char *)o->evaluator, (char *)arg,
	                NULL};
	int rc;

	memset(ev, 0, sizeof(*ev));
	if (pipe(in) != 0 || pipe(out) != 0)
		goto fail;
	if (posix_spawn_file_actions_init(&fa) != 0)
		goto fail;
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	rc = posix_spawn(&ev->pid, o->python, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		errno = rc;
		goto fail;
	}
	close(in[0]);
	close(out[1]);
	ev->to = fdopen(in[1], "w");
	ev->from = fdopen(out[0], "r");
	if (ev->to == NULL || ev->from == NULL) {
		evaluator_close(ev);
		return -1;
	}
	return 0;
fail:
	fprintf(stderr, "quality: cannot start %s %s: %s\n", o->python,
	        o->evaluator, strerror(errno));
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	return -1;
}

/* Read one line as JSON; NULL (after a message) at EOF or on bad JSON. */
static cJSON *evaluator_read(struct evaluator *ev)
{
	ssize_t n = getline(&ev->line, &ev->cap, ev->from);
	cJSON *j;

	if (n <= 0) {
		fprintf(stderr, "quality: the evaluator ended early\n");
		return NULL;
	}
	j = cJSON_ParseWithLength(ev->line, (size_t)n);
	if (j == NULL) {
		fprintf(stderr, "quality: the evaluator wrote: %s", ev->line);
		return NULL;
	}
	if (cJSON_IsObject(j) &&
	    cJSON_GetObjectItemCaseSensitive(j, "error") != NULL) {
		fprintf(stderr, "quality: the evaluator failed: %s", ev->line);
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static int evaluator_write(struct evaluator *ev, const cJSON *j)
{
	char *text = cJSON_PrintUnformatted(j);
	int ok = text != NULL && fputs(text, ev->to) >= 0 &&
	         fputc('\n', ev->to) != EOF && fflush(ev->to) == 0;

	free(text);
	if (!ok)
		fprintf(stderr, "quality: cannot write to the evaluator\n");
	return ok ? 0 : -1;
}

/* --- one problem ---------------------------------------------------------- */

struct problem {
	char name[128];
	char half[16];
	char group[32];
	double fmin;
	struct pz_space *space;
};

struct seed_run {
	struct pz_history *h;
	double *values; /* evals x n_params */
	double *obs;    /* per trial */
	double *truth;  /* per trial */
};

/* Take the header line {"problem", "space", "fmin", ...}. */
static int read_header(struct evaluator *ev, struct problem *p)
{
	cJSON *j = evaluator_read(ev), *v;
	struct pz_error err;
	char *text;
	int rc = -1;

	if (j == NULL)
		return -1;
	memset(p, 0, sizeof(*p));
	v = cJSON_GetObjectItemCaseSensitive(j, "problem");
	if (cJSON_IsString(v))
		snprintf(p->name, sizeof(p->name), "%s", v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(j, "half");
	if (cJSON_IsString(v))
		snprintf(p->half, sizeof(p->half), "%s", v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(j, "group");
	if (cJSON_IsString(v))
		snprintf(p->group, sizeof(p->group), "%s", v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(j, "fmin");
	p->fmin = cJSON_IsNumber(v) ? v->valuedouble : NAN;
	text = cJSON_PrintUnformatted(
	    cJSON_GetObjectItemCaseSensitive(j, "space"));
	if (text == NULL) {
		fprintf(stderr, "quality: no space from the evaluator\n");
		goto out;
	}
	pz_error_clear(&err);
	if (pz_space_create_from_text(text, strlen(text), "space", &p->space,
	                              &err) != 0)
		fprintf(stderr, "quality: %s: %s\n", p->name, err.msg);
	else
		rc = 0;
	free(text);
out:
	cJSON_Delete(j);
	return rc;
}

static void seed_runs_free(struct seed_run *r, int n)
{
	for (int s = 0; r != NULL && s < n; s++) {
		pz_history_destroy(r[s].h);
		free(r[s].values);
		free(r[s].obs);
		free(r[s].truth);
	}
	free(r);
}

static struct seed_run *seed_runs_new(const struct pz_space *space, int n,
                                      int evals)
{
	struct seed_run *r = calloc((size_t)n, sizeof(*r));
	size_t np = (size_t)(space->n_params > 0 ? space->n_params : 1);

	if (r == NULL)
		return NULL;
	for (int s = 0; s < n; s++) {
		r[s].values = malloc((size_t)evals * np * sizeof(double));
		r[s].obs = malloc((size_t)evals * sizeof(double));
		r[s].truth = malloc((size_t)evals * sizeof(double));
		if (r[s].values == NULL || r[s].obs == NULL ||
		    r[s].truth == NULL || pz_history_create(space, &r[s].h) != 0) {
			seed_runs_free(r, n);
			return NULL;
		}
	}
	return r;
}

/* Ask trial k of every seed and append [seed, k, point] to `batch`. */
static int ask_all(const struct problem *p, const struct options *o,
                   struct seed_run *r, int k, cJSON *batch,
                   double *suggest_s)
{
	struct pz_error err;
	size_t np = (size_t)p->space->n_params;

	pz_error_clear(&err);
	for (int s = 0; s < o->seeds; s++) {
		uint64_t seed = (uint64_t)(o->seed0 + s);
		double *v = r[s].values + (size_t)k * np;
		cJSON *point = NULL, *item;
		double t0;
		int e;

		/* The oldest pending trial finishes first. */
		if (k >= o->workers) {
			e = pz_history_set(r[s].h, (uint64_t)(k - o->workers),
			                   PZ_TRIAL_OK, r[s].obs[k - o->workers]);
			if (e != 0)
				goto history_failed;
		}
		t0 = now();
		e = pz_suggest(p->space, r[s].h, o->algo, &o->cfg, seed,
		               (uint64_t)k, v, &err);
		*suggest_s += now() - t0;
		if (e == 0)
			e = pz_eval(p->space, v, &point, &err);
		if (e != 0) {
			fprintf(stderr, "quality: %s seed %llu trial %d: %s: %s\n",
			        p->name, (unsigned long long)seed, k,
			        pz_strerror(e), err.msg);
			return -1;
		}
		e = pz_history_add(r[s].h, (uint64_t)k, v, PZ_TRIAL_PENDING,
		                   NAN);
		if (e != 0) {
			cJSON_Delete(point);
			goto history_failed;
		}
		item = cJSON_CreateArray();
		if (item == NULL) {
			cJSON_Delete(point);
			return -1;
		}
		cJSON_AddItemToArray(batch, item);
		cJSON_AddItemToArray(item, cJSON_CreateNumber((double)seed));
		cJSON_AddItemToArray(item, cJSON_CreateNumber(k));
		cJSON_AddItemToArray(item, point);
		continue;
history_failed:
		fprintf(stderr, "quality: %s seed %llu trial %d: history: %s\n",
		        p->name, (unsigned long long)seed, k, pz_strerror(e));
		return -1;
	}
	return 0;
}

/* Store the [observed, true] pairs of trial k. */
static int take_losses(const struct problem *p, const struct options *o,
                       struct seed_run *r, int k, const cJSON *reply)
{
	if (!cJSON_IsArray(reply) || cJSON_GetArraySize(reply) != o->seeds) {
		fprintf(stderr, "quality: %s: bad reply from the evaluator\n",
		        p->name);
		return -1;
	}
	for (int s = 0; s < o->seeds; s++) {
		const cJSON *pair = cJSON_GetArrayItem(reply, s);
		const cJSON *a = cJSON_GetArrayItem(pair, 0);
		const cJSON *b = cJSON_GetArrayItem(pair, 1);

		if (!cJSON_IsNumber(a) || !cJSON_IsNumber(b) ||
		    !isfinite(a->valuedouble) || !isfinite(b->valuedouble)) {
			fprintf(stderr, "quality: %s seed %d trial %d: loss is not "
			        "a finite number\n", p->name, o->seed0 + s, k);
			return -1;
		}
		r[s].obs[k] = a->valuedouble;
		r[s].truth[k] = b->valuedouble;
	}
	return 0;
}

static cJSON *number_array(const double *v, int n)
{
	cJSON *a = cJSON_CreateArray();

	for (int i = 0; a != NULL && i < n; i++) {
		cJSON *x = cJSON_CreateNumber(v[i]);

		if (x == NULL) {
			cJSON_Delete(a);
			return NULL;
		}
		cJSON_AddItemToArray(a, x);
	}
	return a;
}

/* best[c * seeds + s]: the figure of seed s at checkpoint c. */
static int report(const struct problem *p, const struct options *o,
                  const double *best, double suggest_s, double seconds)
{
	cJSON *line = cJSON_CreateObject(), *cps, *b, *m, *a;
	char key[16], *text = NULL;
	int ok = 0;

	if (line == NULL)
		return -1;
	cJSON_AddStringToObject(line, "problem", p->name);
	cJSON_AddStringToObject(line, "group", p->group);
	cJSON_AddStringToObject(line, "half", p->half);
	if (isfinite(p->fmin))
		cJSON_AddNumberToObject(line, "fmin", p->fmin);
	else
		cJSON_AddNullToObject(line, "fmin");
	cJSON_AddStringToObject(line, "algo",
	                        o->algo == PZ_ALGO_TPE ? "tpe" : "random");
	if (o->algo == PZ_ALGO_TPE)
		cJSON_AddItemToObject(line, "config",
		                      cJSON_Duplicate(o->cfg_json, 1));
	else
		cJSON_AddNullToObject(line, "config");
	cJSON_AddNumberToObject(line, "workers", o->workers);
	cJSON_AddNumberToObject(line, "seeds", o->seeds);
	cJSON_AddNumberToObject(line, "seed0", o->seed0);
	cJSON_AddNumberToObject(line, "evals", o->evals);
	cps = cJSON_AddArrayToObject(line, "checkpoints");
	b = cJSON_AddObjectToObject(line, "best");
	m = cJSON_AddObjectToObject(line, "median");
	if (cps == NULL || b == NULL || m == NULL)
		goto delete_line;
	for (int c = 0; c < o->n_checkpoints; c++) {
		const double *v = best + (size_t)c * o->seeds;

		snprintf(key, sizeof(key), "%d", o->checkpoints[c]);
		a = number_array(v, o->seeds);
		if (a == NULL)
			goto delete_line;
		cJSON_AddItemToObject(b, key, a);
		cJSON_AddItemToArray(cps,
		                     cJSON_CreateNumber(o->checkpoints[c]));
		cJSON_AddNumberToObject(m, key, median(v, o->seeds));
	}
	cJSON_AddNumberToObject(line, "suggest_seconds", suggest_s);
	cJSON_AddNumberToObject(line, "seconds", seconds);
	text = cJSON_PrintUnformatted(line);
	ok = text != NULL && printf("%s\n", text) > 0 && fflush(stdout) == 0;
	free(text);
delete_line:
	cJSON_Delete(line);
	return ok ? 0 : -1;
}

static int run_problem(const char *name, const struct options *o)
{
	struct evaluator ev;
	struct problem p = {0};
	struct seed_run *r = NULL;
	double *best = NULL, suggest_s = 0, t0 = now();
	int rc = -1;

	if (evaluator_open(&ev, o, name) != 0)
		return -1;
	if (read_header(&ev, &p) != 0)
		goto close_evaluator;
	r = seed_runs_new(p.space, o->seeds, o->evals);
	best = malloc((size_t)o->seeds * o->n_checkpoints * sizeof(*best));
	if (r == NULL || best == NULL) {
		fprintf(stderr, "quality: out of memory\n");
		goto free_runs;
	}
	for (int k = 0; k < o->evals; k++) {
		cJSON *batch = cJSON_CreateArray(), *reply;
		int e;

		if (batch == NULL)
			goto free_runs;
		e = ask_all(&p, o, r, k, batch, &suggest_s);
		if (e == 0)
			e = evaluator_write(&ev, batch);
		cJSON_Delete(batch);
		if (e != 0)
			goto free_runs;
		reply = evaluator_read(&ev);
		if (reply == NULL)
			goto free_runs;
		e = take_losses(&p, o, r, k, reply);
		cJSON_Delete(reply);
		if (e != 0)
			goto free_runs;
	}
	for (int s = 0; s < o->seeds; s++) {
		int c = 0, arg = 0;

		for (int k = 0; k < o->evals && c < o->n_checkpoints; k++) {
			if (r[s].obs[k] < r[s].obs[arg])
				arg = k;
			if (k + 1 == o->checkpoints[c])
				best[(size_t)c++ * o->seeds + s] = r[s].truth[arg];
		}
	}
	rc = report(&p, o, best, suggest_s, now() - t0);
	if (rc != 0)
		fprintf(stderr, "quality: cannot write the result\n");
free_runs:
	free(best);
	seed_runs_free(r, o->seeds);
	pz_space_destroy(p.space);
close_evaluator:
	if (evaluator_close(&ev) != 0 && rc == 0) {
		fprintf(stderr, "quality: the evaluator of %s failed\n", name);
		rc = -1;
	}
	return rc;
}

/* --- the problem list ----------------------------------------------------- */

/* Names from `evaluate.py --list` ({"problem", "half", ...} per line),
 * filtered by --only and --half. */
static int list_problems(const struct options *o, char **names, int *n)
{
	struct evaluator ev;
	int rc = 0;

	*n = 0;
	if (evaluator_open(&ev, o, "--list") != 0)
		return -1;
	fclose(ev.to);
	ev.to = NULL;
	for (;;) {
		ssize_t len = getline(&ev.line, &ev.cap, ev.from);
		const cJSON *name, *half;
		cJSON *j;

		if (len <= 0)
			break;
		j = cJSON_ParseWithLength(ev.line, (size_t)len);
		name = cJSON_GetObjectItemCaseSensitive(j, "problem");
		half = cJSON_GetObjectItemCaseSensitive(j, "half");
		if (!cJSON_IsString(name) || !cJSON_IsString(half) ||
		    *n == MAX_PROBLEMS) {
			cJSON_Delete(j);
			rc = -1;
			break;
		}
		if ((o->half == NULL || strcmp(o->half, half->valuestring) == 0) &&
		    (o->only == NULL ||
		     strstr(o->only, name->valuestring) != NULL)) {
			/* --only is matched name by name below. */
			names[(*n)++] = strdup(name->valuestring);
		}
		cJSON_Delete(j);
	}
	if (evaluator_close(&ev) != 0 || rc != 0) {
		fprintf(stderr, "quality: cannot list the problems\n");
		return -1;
	}
	if (o->only != NULL) {
		/* Keep exact matches only, and report unknown names. */
		const char *s = o->only;
		int m = 0;

		while (*s != '\0') {
			size_t len = strcspn(s, ",");
			int found = 0;

			for (int i = 0; i < *n; i++)
				if (names[i] != NULL && strlen(names[i]) == len &&
				    strncmp(names[i], s, len) == 0)
					found = 1;
			if (!found && len > 0) {
				fprintf(stderr, "quality: --only: no problem %.*s%s\n",
				        (int)len, s, o->half ? " in that half" : "");
				return -1;
			}
			s += len + (s[len] == ',');
		}
		for (int i = 0; i < *n; i++) {
			const char *t = o->only;
			int keep = 0;

			while (*t != '\0') {
				size_t len = strcspn(t, ",");

				if (strlen(names[i]) == len &&
				    strncmp(names[i], t, len) == 0)
					keep = 1;
				t += len + (t[len] == ',');
			}
			if (keep)
				names[m++] = names[i];
			else
				free(names[i]);
		}
		*n = m;
	}
	return 0;
}

/* --- arguments ------------------------------------------------------------ */

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: quality [--algo tpe|random] [--config JSON] "
	        "[--seeds N] [--seed0 S]\n"
	        "               [--evals N] [--workers W] [--only NAME,...] "
	        "[--half tuning|validation]\n"
	        "               [--python PATH] [--evaluator PATH]\n"
	        "\n"
	        "Runs seeds S..S+N-1 of a search with W simulated workers on "
	        "each problem of\n"
	        "the quality suite (bench/quality/problems.py) and prints one "
	        "JSON line per\n"
	        "problem with the best loss at 25, 50 and 100 evaluations.\n"
	        "Defaults: 20 seeds from 0, 100 evaluations, 1 worker, %s %s.\n",
	        PZ_QUALITY_PYTHON, PZ_QUALITY_EVALUATOR);
}

static int parse_count(const char *s, const char *what, int lo, int max,
                       int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > max) {
		fprintf(stderr, "quality: %s: must be an integer in [%d, %d]\n",
		        what, lo, max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int parse_config(const char *text, struct options *o)
{
	struct pz_error err;
	cJSON *json = NULL;

	if (text != NULL) {
		/* The length counts the NUL, which must end the document:
		 * trailing bytes are refused. */
		json = cJSON_ParseWithLengthOpts(text, strlen(text) + 1, NULL,
		                                 1);
		if (json == NULL) {
			fprintf(stderr, "quality: --config: not valid JSON\n");
			return -1;
		}
	}
	pz_error_clear(&err);
	if (pz_tpe_config_from_json(&o->cfg, json, &err) != 0) {
		fprintf(stderr, "quality: --config: %s\n", err.msg);
		cJSON_Delete(json);
		return -1;
	}
	cJSON_Delete(json);
	o->cfg_json = pz_tpe_config_to_json(&o->cfg);
	if (o->cfg_json == NULL) {
		fprintf(stderr, "quality: out of memory\n");
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"algo", required_argument, NULL, 'a'},
		{"config", required_argument, NULL, 'c'},
		{"seeds", required_argument, NULL, 's'},
		{"seed0", required_argument, NULL, 'S'},
		{"evals", required_argument, NULL, 'e'},
		{"workers", required_argument, NULL, 'w'},
		{"only", required_argument, NULL, 'o'},
		{"half", required_argument, NULL, 'H'},
		{"python", required_argument, NULL, 'p'},
		{"evaluator", required_argument, NULL, 'E'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const int marks[] = {25, 50, 100};
	const char *config = NULL;
	int ch;

	memset(o, 0, sizeof(*o));
	o->algo = PZ_ALGO_TPE;
	o->seeds = 20;
	o->evals = 100;
	o->workers = 1;
	o->python = PZ_QUALITY_PYTHON;
	o->evaluator = PZ_QUALITY_EVALUATOR;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			if (strcmp(optarg, "tpe") == 0) {
				o->algo = PZ_ALGO_TPE;
			} else if (strcmp(optarg, "random") == 0) {
				o->algo = PZ_ALGO_RANDOM;
			} else {
				fprintf(stderr, "quality: --algo: tpe or random\n");
				return -1;
			}
			break;
		case 'c':
			config = optarg;
			break;
		case 's':
			if (parse_count(optarg, "--seeds", 1, 100000, &o->seeds))
				return -1;
			break;
		case 'S':
			if (parse_count(optarg, "--seed0", 0, 1000000000, &o->seed0))
				return -1;
			break;
		case 'e':
			if (parse_count(optarg, "--evals", 1, 1000000, &o->evals))
				return -1;
			break;
		case 'w':
			if (parse_count(optarg, "--workers", 1, 1024, &o->workers))
				return -1;
			break;
		case 'o':
			o->only = optarg;
			break;
		case 'H':
			if (strcmp(optarg, "tuning") != 0 &&
			    strcmp(optarg, "validation") != 0) {
				fprintf(stderr,
				        "quality: --half: tuning or validation\n");
				return -1;
			}
			o->half = optarg;
			break;
		case 'p':
			o->python = optarg;
			break;
		case 'E':
			o->evaluator = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	/* 25, 50 and 100 where the budget reaches them, and the budget. */
	for (int i = 0; i < 3 && marks[i] <= o->evals; i++)
		o->checkpoints[o->n_checkpoints++] = marks[i];
	if (o->n_checkpoints == 0 ||
	    o->checkpoints[o->n_checkpoints - 1] != o->evals)
		o->checkpoints[o->n_checkpoints++] = o->evals;
	return parse_config(config, o);
}

int main(int argc, char **argv)
{
	struct options o;
	char *names[MAX_PROBLEMS];
	int n = 0, rc = 0;

	/* A dead evaluator must show up as a write error, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (parse_args(argc, argv, &o) != 0) {
		cJSON_Delete(o.cfg_json);
		return 2;
	}
	if (list_problems(&o, names, &n) != 0) {
		cJSON_Delete(o.cfg_json);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (rc == 0)
			rc = run_problem(names[i], &o);
		free(names[i]);
	}
	cJSON_Delete(o.cfg_json);
	return rc == 0 ? 0 : 1;
}
