/*
 * The quality benchmark: how low does a suggester drive eight synthetic
 * objectives in a fixed budget of evaluations?
 *
 * The functions and their spaces are the public suite (quad1d, sphere2d,
 * branin, hartmann6, rosenbrock4, lr_momentum, cnn_conditional,
 * int_quantized). The spaces are parzen space documents under
 * bench/spaces/quality/; the objectives are written here and read the
 * evaluated point (pz_eval, hyperopt's space_eval) exactly as the Python
 * originals read theirs. For every function and seed the program runs a
 * sequential search, trial k drawn by pz_suggest(..., seed, k) from the
 * history of trials 0..k-1, and records the best loss so far at 25, 50
 * and 100 evaluations (those within the budget, plus the last one).
 *
 * Output: one JSON line per function with, per checkpoint, the best loss
 * of every seed (in seed order) and their median. bench/quality.py runs
 * this next to Optuna and writes bench/RESULTS.md. This is a benchmark,
 * not a test: it prints numbers and fails only on errors.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include <parzen/error.h>
#include <parzen/eval.h>
#include <parzen/history.h>
#include <parzen/space.h>
#include <parzen/suggest.h>
#include <parzen/tpe.h>

#ifndef PZ_QUALITY_SPACES
#define PZ_QUALITY_SPACES "bench/spaces/quality"
#endif

#define MAX_CHECKPOINTS 4

/*
 * Reading the point. The objectives index it like Python dicts; the first
 * key that is missing or of the wrong type is remembered, the objective
 * returns a meaningless value, and the caller reports the key and stops.
 */
struct reader {
	const char *bad_key;
};

static const cJSON *get(struct reader *r, const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (v == NULL && r->bad_key == NULL)
		r->bad_key = key;
	return v;
}

static double num(struct reader *r, const cJSON *v, const char *key)
{
	if (cJSON_IsNumber(v))
		return v->valuedouble;
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	if (r->bad_key == NULL)
		r->bad_key = key;
	return NAN;
}

static double get_num(struct reader *r, const cJSON *o, const char *key)
{
	return num(r, get(r, o, key), key);
}

/* Python truthiness of a bool or number. */
static int get_truth(struct reader *r, const cJSON *o, const char *key)
{
	const cJSON *v = get(r, o, key);

	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	return num(r, v, key) != 0;
}

static const char *get_str(struct reader *r, const cJSON *o, const char *key)
{
	const cJSON *v = get(r, o, key);

	if (cJSON_IsString(v))
		return v->valuestring;
	if (r->bad_key == NULL)
		r->bad_key = key;
	return "";
}

static double sq(double x)
{
	return x * x;
}

/* 1. The tutorial's function, on a bare (non-dict) space. */
static double quad1d(const cJSON *p, struct reader *r)
{
	double x = num(r, p, "(point)");

	return x * x - x + 1;
}

/* 2. The tutorial's dict space. */
static double sphere2d(const cJSON *p, struct reader *r)
{
	return sq(get_num(r, p, "x")) + sq(get_num(r, p, "y"));
}

/* 3. Branin. */
static double branin(const cJSON *p, struct reader *r)
{
	double x1 = get_num(r, p, "x1"), x2 = get_num(r, p, "x2");
	double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);

	return sq(x2 - b * x1 * x1 + c * x1 - 6) + 10 * (1 - t) * cos(x1) +
	       10;
}

/* 4. Hartmann6 on [0, 1]^6. */
static double hartmann6(const cJSON *p, struct reader *r)
{
	static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
	static const double a[4][6] = {
		{10, 3, 17, 3.5, 1.7, 8},
		{0.05, 10, 17, 0.1, 8, 14},
		{3, 3.5, 1.7, 10, 17, 8},
		{17, 8, 0.05, 10, 0.1, 14},
	};
	static const double pp[4][6] = {
		{1312, 1696, 5569, 124, 8283, 5886},
		{2329, 4135, 8307, 3736, 1004, 9991},
		{2348, 1451, 3522, 2883, 3047, 6650},
		{4047, 8828, 8732, 5743, 1091, 381},
	};
	static const char *keys[6] = {"x0", "x1", "x2", "x3", "x4", "x5"};
	double x[6], total = 0;

	for (int j = 0; j < 6; j++)
		x[j] = get_num(r, p, keys[j]);
	for (int i = 0; i < 4; i++) {
		double inner = 0;

		for (int j = 0; j < 6; j++)
			inner += a[i][j] * sq(x[j] - 1e-4 * pp[i][j]);
		total += alpha[i] * exp(-inner);
	}
	return -total;
}

/* 5. Rosenbrock 4-D on [-5, 10]^4. */
static double rosenbrock4(const cJSON *p, struct reader *r)
{
	static const char *keys[4] = {"x0", "x1", "x2", "x3"};
	double x[4], total = 0;

	for (int i = 0; i < 4; i++)
		x[i] = get_num(r, p, keys[i]);
	for (int i = 0; i < 3; i++)
		total += 100 * sq(x[i + 1] - x[i] * x[i]) + sq(1 - x[i]);
	return total;
}

/* 6. A learning-rate-like function on a log scale. */
static double lr_momentum(const cJSON *p, struct reader *r)
{
	return sq(log10(get_num(r, p, "lr")) + 3) +
	       0.1 * sq(get_num(r, p, "momentum") - 0.9);
}

/*
 * 7. A nested conditional CNN-like configuration with a smooth synthetic
 * loss (min 0.106: 2 conv layers w = (64, 128), adam lr = 1e-3 beta1 =
 * 0.9, dropout 0.3, batch 64, epochs 50).
 */
static double cnn_conditional(const cJSON *p, struct reader *r)
{
	static const double arch_base[3] = {0.15, 0.05, 0.08};
	static const double arch_w[3][3] = {
		{96}, {64, 128}, {48, 96, 192},
	};
	const cJSON *a = get(r, p, "arch"), *o = get(r, p, "optimizer");
	const cJSON *ws, *w;
	const char *name;
	double loss, scale, lr_opt;
	int n, i = 0;

	n = (int)trunc(get_num(r, a, "n"));
	ws = get(r, a, "w");
	if (n < 1 || n > 3 || !cJSON_IsArray(ws)) {
		r->bad_key = r->bad_key != NULL ? r->bad_key : "arch";
		return NAN;
	}
	scale = 0.1 / n;
	loss = 0.05 + arch_base[n - 1];
	/* zip(a["w"], wopt): the shorter of the two. */
	cJSON_ArrayForEach(w, ws)
	{
		if (i == n)
			break;
		loss += scale * sq(log2(fmax(num(r, w, "w"), 1) /
		                        arch_w[n - 1][i]));
		i++;
	}
	name = get_str(r, o, "name");
	if (strcmp(name, "sgd") == 0) {
		lr_opt = 1e-2;
		loss += 0.02 + 0.2 * sq(get_num(r, o, "momentum") - 0.9) -
		        (get_truth(r, o, "nesterov") ? 0.01 : 0.0);
	} else if (strcmp(name, "adam") == 0) {
		lr_opt = 1e-3;
		loss += 0.5 * sq(get_num(r, o, "beta1") - 0.9);
	} else if (strcmp(name, "rmsprop") == 0) {
		lr_opt = 3e-4;
		loss += 0.03 + 0.3 * sq(get_num(r, o, "rho") - 0.9) +
		        (get_truth(r, o, "centered") ? 0.0 : 0.01);
	} else {
		r->bad_key = r->bad_key != NULL ? r->bad_key : "name";
		return NAN;
	}
	loss += 0.1 * sq(log10(get_num(r, p, "lr")) - log10(lr_opt));
	loss += 0.2 * sq(get_num(r, p, "dropout") - 0.3);
	loss += 0.02 * sq(log2(fmax(get_num(r, p, "batch"), 1) / 64));
	loss += 0.3 / trunc(get_num(r, p, "epochs"));
	return loss;
}

/*
 * 8. Integer and quantized parameters with an interaction (min 0 at
 * layers = 4, units = 320, batch = 96, k = 3).
 */
static double int_quantized(const cJSON *p, struct reader *r)
{
	double layers = trunc(get_num(r, p, "layers"));
	double units = fmax(get_num(r, p, "units"), 1);

	return 0.1 * sq(layers - 4) + 0.5 * sq(log2(units * layers / 1280)) +
	       sq((get_num(r, p, "batch") - 96) / 64) +
	       0.05 * sq(get_num(r, p, "k") - 3);
}

struct function {
	const char *name;
	double fmin;  /* known global minimum (or best known value) */
	double (*fn)(const cJSON *point, struct reader *r);
};

static const struct function functions[] = {
	{"quad1d", 0.75, quad1d},
	{"sphere2d", 0.0, sphere2d},
	{"branin", 0.397887, branin},
	{"hartmann6", -3.32237, hartmann6},
	{"rosenbrock4", 0.0, rosenbrock4},
	{"lr_momentum", 0.0, lr_momentum},
	{"cnn_conditional", 0.106, cnn_conditional},
	{"int_quantized", 0.0, int_quantized},
};

#define N_FUNCTIONS ((int)(sizeof(functions) / sizeof(functions[0])))

struct options {
	enum pz_algo algo;
	struct pz_tpe_config cfg;
	cJSON *cfg_json;      /* effective config, for the output */
	int seeds;
	int evals;
	int only[N_FUNCTIONS];
	const char *spaces;
	int checkpoints[MAX_CHECKPOINTS];
	int n_checkpoints;
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

/* Read a whole file into a new NUL-terminated buffer. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			char *b = realloc(buf, cap + 65536);

			if (b == NULL)
				goto fail;
			buf = b;
			cap += 65536;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
		goto fail;
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}

static int load_space(const char *dir, const char *name,
                      struct pz_space **out)
{
	char path[4096];
	struct pz_error err;
	size_t len;
	char *text;
	int rc;

	snprintf(path, sizeof(path), "%s/%s.json", dir, name);
	text = read_file(path, &len);
	if (text == NULL) {
		fprintf(stderr, "quality: %s: %s\n", path, strerror(errno));
		return -1;
	}
	pz_error_clear(&err);
	rc = pz_space_create_from_text(text, len, "space", out, &err);
	free(text);
	if (rc != 0) {
		fprintf(stderr, "quality: %s: %s\n", path, err.msg);
		return -1;
	}
	return 0;
}

static void trial_error(const struct function *f, uint64_t seed, int k,
                        const char *what, const char *detail)
{
	fprintf(stderr, "quality: %s seed %llu trial %d: %s%s%s\n", f->name,
	        (unsigned long long)seed, k, what, *detail ? ": " : "", detail);
}

/*
 * One search: `evals` sequential trials with the given seed. Writes the
 * best loss so far at each checkpoint into best[]. Returns 0 or -1 after
 * printing what failed.
 */
static int run_seed(const struct function *f, const struct pz_space *space,
                    const struct options *o, uint64_t seed, double *best)
{
	struct pz_history *h = NULL;
	struct pz_error err;
	double *values, lowest = INFINITY;
	int rc = -1, c = 0;

	values = malloc((size_t)(space->n_params > 0 ? space->n_params : 1) *
	                sizeof(*values));
	if (values == NULL || pz_history_create(space, &h) != 0) {
		fprintf(stderr, "quality: out of memory\n");
		goto free_values;
	}
	pz_error_clear(&err);
	for (int k = 0; k < o->evals; k++) {
		struct reader r = {NULL};
		cJSON *point = NULL;
		double loss;
		int e;

		e = pz_suggest(space, h, o->algo, &o->cfg, seed, (uint64_t)k,
		               values, &err);
		if (e == 0)
			e = pz_eval(space, values, &point, &err);
		if (e != 0) {
			trial_error(f, seed, k, pz_strerror(e), err.msg);
			goto destroy_history;
		}
		loss = f->fn(point, &r);
		cJSON_Delete(point);
		if (r.bad_key != NULL) {
			trial_error(f, seed, k, "point: bad key", r.bad_key);
			goto destroy_history;
		}
		if (!isfinite(loss)) {
			trial_error(f, seed, k, "loss is not finite", "");
			goto destroy_history;
		}
		e = pz_history_add(h, (uint64_t)k, values, PZ_TRIAL_OK, loss);
		if (e != 0) {
			trial_error(f, seed, k, "history", pz_strerror(e));
			goto destroy_history;
		}
		lowest = fmin(lowest, loss);
		if (c < o->n_checkpoints && k + 1 == o->checkpoints[c])
			best[c++] = lowest;
	}
	rc = 0;
destroy_history:
	pz_history_destroy(h);
free_values:
	free(values);
	return rc;
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

/*
 * Print the result line of one function. best[c * seeds + s] is the best
 * loss of seed s at checkpoint c.
 */
static int report(const struct function *f, const struct options *o,
                  const double *best, double seconds)
{
	cJSON *line = cJSON_CreateObject(), *cps, *b, *m, *a;
	char key[16], *text = NULL;
	int ok = 0;

	if (line == NULL)
		return -1;
	cJSON_AddStringToObject(line, "function", f->name);
	cJSON_AddNumberToObject(line, "fmin", f->fmin);
	cJSON_AddStringToObject(line, "algo",
	                        o->algo == PZ_ALGO_TPE ? "tpe" : "random");
	if (o->algo == PZ_ALGO_TPE)
		cJSON_AddItemToObject(line, "config",
		                      cJSON_Duplicate(o->cfg_json, 1));
	else
		cJSON_AddNullToObject(line, "config");
	cJSON_AddNumberToObject(line, "seeds", o->seeds);
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
	cJSON_AddNumberToObject(line, "seconds", seconds);
	text = cJSON_PrintUnformatted(line);
	ok = text != NULL && printf("%s\n", text) > 0 && fflush(stdout) == 0;
	free(text);
delete_line:
	cJSON_Delete(line);
	return ok ? 0 : -1;
}

static int run_function(const struct function *f, const struct options *o)
{
	struct pz_space *space = NULL;
	double *best, cp[MAX_CHECKPOINTS], t0;
	int rc = -1;

	best = malloc((size_t)o->seeds * o->n_checkpoints * sizeof(*best));
	if (best == NULL) {
		fprintf(stderr, "quality: out of memory\n");
		return -1;
	}
	if (load_space(o->spaces, f->name, &space) != 0)
		goto free_best;
	t0 = now();
	for (int s = 0; s < o->seeds; s++) {
		if (run_seed(f, space, o, (uint64_t)s, cp) != 0)
			goto destroy_space;
		for (int c = 0; c < o->n_checkpoints; c++)
			best[(size_t)c * o->seeds + s] = cp[c];
	}
	rc = report(f, o, best, now() - t0);
	if (rc != 0)
		fprintf(stderr, "quality: cannot write the result\n");
destroy_space:
	pz_space_destroy(space);
free_best:
	free(best);
	return rc;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: quality [--algo tpe|random] [--config JSON] "
	        "[--seeds N] [--evals N]\n"
	        "               [--only NAME[,NAME...]] [--spaces DIR]\n"
	        "\n"
	        "Runs seeds 0..N-1 of a sequential search on each function of "
	        "the quality\n"
	        "suite and prints one JSON line per function with the best "
	        "loss so far at\n"
	        "25, 50 and 100 evaluations. Functions:\n");
	for (int i = 0; i < N_FUNCTIONS; i++)
		fprintf(out, "  %s\n", functions[i].name);
	fprintf(out, "Spaces are read from %s by default.\n",
	        PZ_QUALITY_SPACES);
}

static int parse_count(const char *s, const char *what, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > max) {
		fprintf(stderr, "quality: %s: must be an integer in [1, %d]\n",
		        what, max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* Mark the functions named in a comma-separated list. */
static int parse_algo(const char *s, enum pz_algo *out)
{
	if (strcmp(s, "tpe") == 0) {
		*out = PZ_ALGO_TPE;
		return 0;
	}
	if (strcmp(s, "random") == 0) {
		*out = PZ_ALGO_RANDOM;
		return 0;
	}
	fprintf(stderr, "quality: --algo: tpe or random\n");
	return -1;
}

static int parse_only(const char *list, int *only)
{
	const char *s = list;

	while (*s != '\0') {
		size_t n = strcspn(s, ",");
		int found = 0;

		for (int i = 0; i < N_FUNCTIONS; i++) {
			if (strlen(functions[i].name) == n &&
			    strncmp(functions[i].name, s, n) == 0) {
				only[i] = 1;
				found = 1;
			}
		}
		if (!found && n > 0) {
			fprintf(stderr, "quality: --only: no function %.*s\n",
			        (int)n, s);
			return -1;
		}
		s += n + (s[n] == ',');
	}
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
		{"evals", required_argument, NULL, 'e'},
		{"only", required_argument, NULL, 'o'},
		{"spaces", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const int marks[] = {25, 50, 100};
	const char *config = NULL;
	int ch, any = 0;

	memset(o, 0, sizeof(*o));
	o->algo = PZ_ALGO_TPE;
	o->seeds = 20;
	o->evals = 100;
	o->spaces = PZ_QUALITY_SPACES;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			if (parse_algo(optarg, &o->algo) != 0)
				return -1;
			break;
		case 'c':
			config = optarg;
			break;
		case 's':
			if (parse_count(optarg, "--seeds", 1000000, &o->seeds))
				return -1;
			break;
		case 'e':
			if (parse_count(optarg, "--evals", 1000000, &o->evals))
				return -1;
			break;
		case 'o':
			if (parse_only(optarg, o->only) != 0)
				return -1;
			break;
		case 'd':
			o->spaces = optarg;
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
	for (int i = 0; i < N_FUNCTIONS; i++)
		any |= o->only[i];
	for (int i = 0; !any && i < N_FUNCTIONS; i++)
		o->only[i] = 1;
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
	int rc = 0;

	if (parse_args(argc, argv, &o) != 0) {
		cJSON_Delete(o.cfg_json);
		return 2;
	}
	for (int i = 0; rc == 0 && i < N_FUNCTIONS; i++)
		if (o.only[i])
			rc = run_function(&functions[i], &o);
	cJSON_Delete(o.cfg_json);
	return rc == 0 ? 0 : 1;
}
