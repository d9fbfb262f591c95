/*
 * bench/report_bench: draw the HTML report (or one figure) of a study, from
 * a running parzend or from a synthetic study built in-process, and time
 * it.
 *
 * From a daemon it fetches the Study object (study.get) and every trial
 * (trial.list, pages of 10,000), as `parzen report` does, and writes the
 * report to FILE. The integration tests and scripts/demo.sh use it so.
 *
 * Synthetic studies have N trials over a space file: params from the
 * prior (or from the TPE with --algo tpe, for pictures of a real search),
 * a loss that one label drives far more than the others (the space's
 * first), about 4% failed trials, a few running, queued and reclaimed
 * ones, and start and end times of W workers. For each N it prints one
 * JSON line:
 *
 *   {"bench":"report","space":...,"trials":N,"render_ms":...,
 *    "parse_ms":...,"trials_json_mb":...,"bytes":...}
 *
 * render_ms is the median time of pz_report_html() over --reps runs;
 * parse_ms the time to parse the trials' JSON text (what the CLI does
 * with the daemon's replies), for scale; bytes the size of the report.
 *
 * usage: report_bench [--socket PATH] --study NAME -o FILE [--plot KIND]
 *                     [--scale auto|linear|log] [--now T]
 *        (the socket defaults to $PARZEN_SOCKET, then parzend's default)
 *        report_bench --synthetic N[,N...] [--space FILE] [--algo A]
 *                     [--workers W] [--seed S] [--reps R] [-o FILE]
 *                     [--plot KIND] [--scale ...]
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <parzen/client.h>
#include <parzen/eval.h>
#include <parzen/history.h>
#include "report.h"
#include <parzen/rng.h>
#include <parzen/params.h>
#include <parzen/sample.h>
#include <parzen/space.h>
#include <parzen/suggest.h>
#include <parzen/tpe.h>

#define SIZES_MAX 16
#define T0 1764190000.0

struct options {
	const char *socket, *study, *out, *plot, *space, *algo;
	long sizes[SIZES_MAX];
	int n_sizes, workers, reps;
	uint64_t seed;
	struct pz_report_options report;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)n + 1))) {
		*len = fread(text, 1, (size_t)n, f);
		text[*len] = '\0';
	}
	fclose(f);
	return text;
}

static int write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (f == NULL)
		return -1;
	ok = fwrite(text, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* The report or the figure of `o` into *out. */
static int render(const struct options *o, const cJSON *study,
                  const cJSON *trials, char **out, size_t *len,
                  struct pz_error *err)
{
	if (o->plot != NULL)
		return pz_report_plot(study, trials, o->plot, &o->report, out,
		                      len, err);
	return pz_report_html(study, trials, &o->report, out, len, err);
}

/* --- from a daemon ------------------------------------------------------ */

static int fetch(const struct options *o, cJSON **study, cJSON **trials)
{
	struct pz_client *c = NULL;
	struct pz_error err = { 0 };
	int rc;

	rc = pz_client_connect(o->socket, &c, &err);
	if (rc == 0)
		rc = pz_client_fetch_study(c, o->study, study, trials, &err);
	pz_client_destroy(c);
	if (rc != 0)
		fprintf(stderr, "report_bench: %s\n", err.msg);
	return rc != 0;
}

static int from_daemon(const struct options *o)
{
	cJSON *study, *trials;
	struct pz_error err = { 0 };
	char *out;
	size_t len;
	double t;
	int rc;

	if (fetch(o, &study, &trials) != 0 || study == NULL) {
		cJSON_Delete(study);
		cJSON_Delete(trials);
		return 1;
	}
	t = now_ms();
	rc = render(o, study, trials, &out, &len, &err);
	t = now_ms() - t;
	if (rc == 0) {
		cJSON *line = cJSON_CreateObject();
		char *text;

		cJSON_AddStringToObject(line, "bench", "report");
		cJSON_AddStringToObject(line, "study", o->study);
		cJSON_AddNumberToObject(line, "trials",
		                        cJSON_GetArraySize(trials));
		cJSON_AddNumberToObject(line, "render_ms", round(t * 10) / 10);
		cJSON_AddNumberToObject(line, "bytes", (double)len);
		text = cJSON_PrintUnformatted(line);
		printf("%s\n", text ? text : "{}");
		free(text);
		cJSON_Delete(line);
		if (write_file(o->out, out, len) != 0) {
			fprintf(stderr, "report_bench: cannot write %s\n",
			        o->out);
			rc = 1;
		}
		free(out);
	} else {
		fprintf(stderr, "report_bench: %s\n", err.msg);
	}
	cJSON_Delete(study);
	cJSON_Delete(trials);
	return rc != 0;
}

/* --- synthetic studies -------------------------------------------------- */

/* Position of value v of parameter p in its prior's range, in [0, 1]. */
static double unit(const struct pz_param *p, double v)
{
	double lo, hi, t = v;

	if (pz_space_kind_is_categorical(p->kind))
		return p->n_options > 1 ? v / (p->n_options - 1) : 0;
	if (pz_space_kind_is_log(p->kind))
		t = v > 0 ? log(v) : -700;
	if (pz_space_kind_is_bounded(p->kind)) {
		lo = p->low;
		hi = p->high;
	} else {
		lo = p->mu - 3 * p->sigma;
		hi = p->mu + 3 * p->sigma;
	}
	t = (t - lo) / (hi - lo);
	return t < 0 ? 0 : t > 1 ? 1 : t;
}

/*
 * The synthetic objective: the first label matters most (weight 1), the
 * second and third some, the rest a little; each label's best value sits
 * somewhere inside its range. Returns NAN for a failed trial: most of the
 * top end of the first label fails, and 2% of the rest at random.
 */
static double objective(const struct pz_space *s, const double *v,
                        struct pz_rng *rng)
{
	double loss = 0.02;
	int first = 1;

	for (int l = 0; l < s->n_params; l++) {
		const struct pz_param *p = &s->params[l];
		double w = first ? 1.0 : l < 3 ? 0.2 : 0.03, u, c;

		if (isnan(v[l]))
			continue;
		u = unit(p, v[l]);
		c = 0.3 + 0.4 * fmod(l * 0.618, 1.0);
		if (first && u > 0.92 && pz_rng_uniform(rng) < 0.7)
			return NAN;
		if (pz_space_kind_is_categorical(p->kind))
			loss += w * ((int)v[l] == l % p->n_options ? 0 : 0.6);
		else
			loss += w * 4 * (u - c) * (u - c);
		first = 0;
	}
	if (pz_rng_uniform(rng) < 0.02)
		return NAN;
	return loss * exp(0.1 * pz_rng_normal(rng));
}

/* How long a trial runs grows with the second label (epochs, say). */
static double duration_share(const struct pz_space *s, const double *v)
{
	int l = s->n_params > 1 ? 1 : 0;

	if (s->n_params == 0 || isnan(v[l]))
		return 0.5;
	return unit(&s->params[l], v[l]);
}

static cJSON *num_or_null(double x)
{
	return isnan(x) ? cJSON_CreateNull() : cJSON_CreateNumber(x);
}

static int synth(const struct options *o, const struct pz_space *space,
                 const cJSON *space_doc, long n, cJSON **study_out,
                 cJSON **trials_out)
{
	struct pz_history *hist = NULL;
	struct pz_tpe_config cfg;
	struct pz_error err = { 0 };
	double *v = calloc((size_t)space->n_params + 1, sizeof(*v));
	double *free_at = calloc((size_t)o->workers, sizeof(*free_at));
	double best = INFINITY;
	long best_k = -1, counts[4] = { 0 };
	long n_running = n / 10 < o->workers ? n / 10 : o->workers;
	long n_queued = n >= 50 ? 2 : 0;
	enum pz_algo algo = strcmp(o->algo, "tpe") == 0 ? PZ_ALGO_TPE
	                                                : PZ_ALGO_RANDOM;
	cJSON *trials = cJSON_CreateArray(), *study, *c;

	pz_tpe_config_default(&cfg);
	if (v == NULL || free_at == NULL ||
	    pz_history_create(space, &hist) != 0)
		return -1;
	for (long k = 0; k < n; k++) {
		struct pz_rng rng;
		cJSON *t = cJSON_CreateObject(), *point = NULL;
		const char *state;
		double loss = NAN, start, end;
		int w = 0, queued = k >= n - n_queued;
		int running = !queued && k >= n - n_queued - n_running;
		int reclaimed;
		char worker[16];

		pz_rng_init(&rng, o->seed + 1, (uint64_t)k);
		if (pz_suggest(space, hist, algo, &cfg, o->seed, (uint64_t)k, v,
		               &err) != 0) {
			fprintf(stderr, "report_bench: %s\n", err.msg);
			return -1;
		}
		for (int i = 1; i < o->workers; i++)
			if (free_at[i] < free_at[w])
				w = i;
		reclaimed = pz_rng_uniform(&rng) < 0.01;
		start = free_at[w] + 0.2 - 2.0 * log(1 - pz_rng_uniform(&rng));
		end = start + 20 +
		      100 * duration_share(space, v) *
		              (0.7 + 0.6 * pz_rng_uniform(&rng));
		if (!queued && !running)
			loss = objective(space, v, &rng);
		state = queued        ? "queued"
		        : running     ? "running"
		        : isnan(loss) ? "fail"
		                      : "ok";
		counts[queued ? 0 : running ? 1 : isnan(loss) ? 3 : 2]++;
		if (!queued && !running)
			pz_history_add(hist, (uint64_t)k, v,
			               isnan(loss) ? PZ_TRIAL_FAIL
			                           : PZ_TRIAL_OK,
			               loss);
		if (!isnan(loss) && loss < best) {
			best = loss;
			best_k = k;
		}
		snprintf(worker, sizeof(worker), "w%d", w);
		cJSON_AddNumberToObject(t, "id", (double)k + 1);
		cJSON_AddStringToObject(t, "study", "synthetic");
		cJSON_AddNumberToObject(t, "number", (double)k);
		cJSON_AddStringToObject(t, "state", state);
		cJSON_AddItemToObject(t, "params", pz_params_to_json(space, v));
		if (pz_eval(space, v, &point, NULL) != 0)
			point = cJSON_CreateNull();
		cJSON_AddItemToObject(t, "point", point);
		cJSON_AddItemToObject(t, "loss", num_or_null(loss));
		if (!isnan(loss)) {
			c = cJSON_AddObjectToObject(t, "result");
			cJSON_AddNumberToObject(c, "accuracy", 1 / (1 + loss));
		} else {
			cJSON_AddNullToObject(t, "result");
		}
		if (queued)
			cJSON_AddNullToObject(t, "worker");
		else
			cJSON_AddStringToObject(t, "worker", worker);
		cJSON_AddNumberToObject(t, "attempt", reclaimed);
		cJSON_AddNumberToObject(t, "reclaims", reclaimed);
		cJSON_AddNumberToObject(t, "created", T0 + free_at[w]);
		cJSON_AddItemToObject(t, "started",
		                      num_or_null(queued ? NAN : T0 + start));
		cJSON_AddItemToObject(t, "finished",
		                      num_or_null(queued || running
		                                          ? NAN
		                                          : T0 + end));
		cJSON_AddItemToArray(trials, t);
		if (!queued)
			free_at[w] = running ? INFINITY : end;
	}
	study = cJSON_CreateObject();
	cJSON_AddStringToObject(study, "name", "synthetic");
	cJSON_AddStringToObject(study, "algo", o->algo);
	cJSON_AddNumberToObject(study, "seed", (double)o->seed);
	cJSON_AddItemToObject(study, "space", cJSON_Duplicate(space_doc, 1));
	cJSON_AddItemToObject(study, "config", pz_tpe_config_to_json(&cfg));
	cJSON_AddNullToObject(study, "max_trials");
	cJSON_AddNumberToObject(study, "heartbeat_timeout", 60);
	cJSON_AddStringToObject(study, "state", "running");
	cJSON_AddNumberToObject(study, "created", T0);
	c = cJSON_AddObjectToObject(study, "counts");
	cJSON_AddNumberToObject(c, "queued", (double)counts[0]);
	cJSON_AddNumberToObject(c, "running", (double)counts[1]);
	cJSON_AddNumberToObject(c, "ok", (double)counts[2]);
	cJSON_AddNumberToObject(c, "fail", (double)counts[3]);
	cJSON_AddNumberToObject(c, "total", (double)n);
	if (best_k >= 0) {
		c = cJSON_AddObjectToObject(study, "best");
		cJSON_AddNumberToObject(c, "id", (double)best_k + 1);
		cJSON_AddNumberToObject(c, "number", (double)best_k);
		cJSON_AddNumberToObject(c, "loss", best);
	} else {
		cJSON_AddNullToObject(study, "best");
	}
	pz_history_destroy(hist);
	free(v);
	free(free_at);
	*study_out = study;
	*trials_out = trials;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static int synthetic(const struct options *o)
{
	struct pz_error err = { 0 };
	struct pz_space *space = NULL;
	cJSON *doc;
	size_t len;
	char *text = read_file(o->space, &len);
	char name[64];

	if (text == NULL) {
		fprintf(stderr, "report_bench: cannot read %s\n", o->space);
		return 1;
	}
	doc = cJSON_ParseWithLength(text, len);
	free(text);
	if (doc == NULL || pz_space_create(doc, "space", &space, &err) != 0) {
		fprintf(stderr, "report_bench: %s: %s\n", o->space,
		        doc ? err.msg : "not JSON");
		cJSON_Delete(doc);
		return 1;
	}
	snprintf(name, sizeof(name), "%s", base_name(o->space));
	if (strchr(name, '.') != NULL)
		*strchr(name, '.') = '\0';
	for (int s = 0; s < o->n_sizes; s++) {
		cJSON *study, *trials, *parsed;
		double ms[32], parse_ms;
		char *out = NULL, *json;
		size_t out_len = 0, json_len;
		int reps = o->reps;

		if (synth(o, space, doc, o->sizes[s], &study, &trials) != 0)
			return 1;
		json = cJSON_PrintUnformatted(trials);
		json_len = json ? strlen(json) : 0;
		parse_ms = now_ms();
		parsed = cJSON_ParseWithLength(json, json_len);
		parse_ms = now_ms() - parse_ms;
		cJSON_Delete(parsed);
		free(json);
		for (int r = 0; r < reps; r++) {
			free(out);
			ms[r] = now_ms();
			if (render(o, study, trials, &out, &out_len, &err) !=
			    0) {
				fprintf(stderr, "report_bench: %s\n", err.msg);
				return 1;
			}
			ms[r] = now_ms() - ms[r];
		}
		qsort(ms, (size_t)reps, sizeof(ms[0]), cmp_double);
		printf("{\"bench\":\"report\",\"space\":\"%s\",\"trials\":%ld,"
		       "\"render_ms\":%.1f,\"parse_ms\":%.1f,"
		       "\"trials_json_mb\":%.1f,\"bytes\":%zu}\n",
		       name, o->sizes[s], ms[reps / 2], parse_ms,
		       json_len / 1e6, out_len);
		fflush(stdout);
		if (o->out != NULL && s == o->n_sizes - 1 &&
		    write_file(o->out, out, out_len) != 0) {
			fprintf(stderr, "report_bench: cannot write %s\n",
			        o->out);
			return 1;
		}
		free(out);
		cJSON_Delete(study);
		cJSON_Delete(trials);
	}
	pz_space_destroy(space);
	cJSON_Delete(doc);
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
	        "usage: report_bench [--socket PATH] --study NAME -o FILE "
	        "[--plot KIND] [--scale auto|linear|log] [--now T]\n"
	        "       report_bench --synthetic N[,N...] [--space FILE] "
	        "[--algo random|tpe] [--workers W] [--seed S] [--reps R] "
	        "[-o FILE] [--plot KIND]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "study", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "plot", required_argument, NULL, 'p' },
		{ "scale", required_argument, NULL, 'l' },
		{ "now", required_argument, NULL, 'n' },
		{ "synthetic", required_argument, NULL, 'N' },
		{ "space", required_argument, NULL, 'f' },
		{ "algo", required_argument, NULL, 'a' },
		{ "workers", required_argument, NULL, 'w' },
		{ "seed", required_argument, NULL, 'e' },
		{ "reps", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = {
		.space = PZ_BENCH_SPACES "/cifar100.json",
		.algo = "random",
		.workers = 8,
		.reps = 3,
		.seed = 7,
	};
	int ch;

	pz_report_options_init(&o.report);
	while ((ch = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		char *p;

		switch (ch) {
		case 'S':
			o.socket = optarg;
			break;
		case 's':
			o.study = optarg;
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'p':
			o.plot = optarg;
			break;
		case 'l':
			o.report.loss_scale = strcmp(optarg, "log") == 0
			                              ? PZ_REPORT_SCALE_LOG
			                      : strcmp(optarg, "linear") == 0
			                              ? PZ_REPORT_SCALE_LINEAR
			                              : PZ_REPORT_SCALE_AUTO;
			break;
		case 'n':
			o.report.now = atof(optarg);
			break;
		case 'N':
			for (p = optarg; *p != '\0' && o.n_sizes < SIZES_MAX;) {
				o.sizes[o.n_sizes++] = strtol(p, &p, 10);
				if (*p == ',')
					p++;
				else if (*p != '\0')
					return usage();
			}
			break;
		case 'f':
			o.space = optarg;
			break;
		case 'a':
			o.algo = optarg;
			break;
		case 'w':
			o.workers = atoi(optarg);
			break;
		case 'e':
			o.seed = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			o.reps = atoi(optarg);
			break;
		default:
			return usage();
		}
	}
	if (o.workers < 1 || o.reps < 1 || o.reps > 32 || optind != argc)
		return usage();
	if (o.n_sizes > 0)
		return synthetic(&o);
	if (o.study == NULL || o.out == NULL)
		return usage();
	return from_daemon(&o);
}
