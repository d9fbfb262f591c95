/*
 * The pruning benchmark's parzen side: TPE searches over a grid of
 * training configurations whose learning curves were recorded once
 * (gen_curves.py), with a pruner judging every epoch, at a fixed total
 * budget of epochs.
 *
 * For each seed the program runs a sequential search as a worker and
 * the daemon would: trial k gets params from pz_suggest(..., seed, k)
 * over the history of the trials before it, "trains" by reading the
 * curve of its configuration one epoch at a time, reports each epoch's
 * validation loss at step = epochs done (1..E) to the reports store, and
 * asks pz_prune_decide() whether to go on. A trial that runs all E epochs
 * finishes OK with its last value as its loss; a pruned trial is told to
 * the suggester as parzend tells it (--pruned-as pruned, the default):
 * pruned at its last reported step with its last value, which the TPE
 * ranks below every ok trial and every trial pruned later (history.h).
 * For comparison it may instead be told as failed (--pruned-as fail, what
 * parzend did before the TPE learnt from pruned trials) or as OK with its
 * last reported value (--pruned-as last). Every epoch run counts
 * against the budget, pruned or not; the search stops when the budget is
 * spent, and a trial cut off by the budget finishes nothing.
 *
 * Output: one JSON line for the run: the settings, and per seed the
 * trials started, finished and pruned, and the trace of the best final
 * loss (the lowest last-epoch loss of a trial that ran every epoch)
 * against epochs spent, from which bench/pruning/pruning.py reads the
 * best loss at the budget and the epochs needed to reach a target. A
 * benchmark, not a test: it fails only on errors.
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
#include <parzen/history.h>
#include <parzen/json.h>
#include <parzen/prune.h>
#include <parzen/reports.h>
#include <parzen/space.h>
#include <parzen/suggest.h>
#include <parzen/tpe.h>

#define MAGIC "# parzen pruning curves 1"
#define MAX_PARAMS 16

/* The recorded curves of one task. */
struct table {
	char task[64];
	int epochs;
	int n_params;
	int n_values[MAX_PARAMS]; /* grid size of each param */
	long n_configs;
	double *loss; /* n_configs x epochs; NAN where a row is missing */
	cJSON *space; /* the parzen space over the grid indices */
};

struct options {
	const char *curves;
	const char *pruner_text;
	struct pz_pruner *pruner;
	struct pz_tpe_config cfg;
	enum { AS_PRUNED, AS_FAIL, AS_LAST } pruned_as;
	int seeds;
	long budget; /* epochs; 0: 100 full trials */
};

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			char *b = realloc(buf, cap + (1 << 20));

			if (b == NULL)
				goto fail;
			buf = b;
			cap += 1 << 20;
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

/*
 * The space: an ordinal param is a uniformint over its value indices
 * (its grids are log-spaced or ordered, so the index is the natural
 * scale), a categorical one a choice over them. Params hold indices.
 */
static cJSON *grid_space(const cJSON *params)
{
	cJSON *space = cJSON_CreateObject();
	const cJSON *p;

	cJSON_ArrayForEach(p, params)
	{
		const char *label = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(p, "label"));
		const char *kind = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(p, "kind"));
		int n = cJSON_GetArraySize(
			cJSON_GetObjectItemCaseSensitive(p, "values"));
		cJSON *hp = cJSON_CreateObject();

		cJSON_AddItemToObject(space, label, hp);
		cJSON_AddStringToObject(hp, "label", label);
		if (strcmp(kind, "categorical") == 0) {
			cJSON *opts = cJSON_AddArrayToObject(hp, "options");

			cJSON_AddStringToObject(hp, "$hp", "choice");
			for (int i = 0; i < n; i++)
				cJSON_AddItemToArray(opts,
				                     cJSON_CreateNumber(i));
		} else {
			cJSON_AddStringToObject(hp, "$hp", "uniformint");
			cJSON_AddNumberToObject(hp, "low", 0);
			cJSON_AddNumberToObject(hp, "high", n - 1);
		}
	}
	return space;
}

static int load_table(const char *path, struct table *t)
{
	char *text, *line, *next, *end;
	cJSON *head = NULL;
	const cJSON *params, *p;
	size_t len;
	long rows = 0;

	memset(t, 0, sizeof(*t));
	text = read_file(path, &len);
	if (text == NULL) {
		fprintf(stderr, "pruning: %s: %s\n", path, strerror(errno));
		return -1;
	}
	line = text;
	next = strchr(line, '\n');
	if (next == NULL || (size_t)(next - line) != strlen(MAGIC) ||
	    strncmp(line, MAGIC, strlen(MAGIC)) != 0)
		goto bad;
	line = next + 1;
	next = strchr(line, '\n');
	if (next == NULL)
		goto bad;
	*next = '\0';
	head = cJSON_Parse(line);
	params = cJSON_GetObjectItemCaseSensitive(head, "params");
	if (head == NULL || !cJSON_IsArray(params) ||
	    cJSON_GetArraySize(params) > MAX_PARAMS)
		goto bad;
	snprintf(t->task, sizeof(t->task), "%s",
	         cJSON_GetStringValue(
			 cJSON_GetObjectItemCaseSensitive(head, "task")));
	t->epochs = (int)cJSON_GetNumberValue(
		cJSON_GetObjectItemCaseSensitive(head, "epochs"));
	if (t->epochs < 1)
		goto bad;
	t->n_configs = 1;
	cJSON_ArrayForEach(p, params)
	{
		int n = cJSON_GetArraySize(
			cJSON_GetObjectItemCaseSensitive(p, "values"));

		if (n < 1)
			goto bad;
		t->n_values[t->n_params++] = n;
		t->n_configs *= n;
	}
	t->loss = malloc((size_t)t->n_configs * t->epochs * sizeof(double));
	if (t->loss == NULL)
		goto bad;
	for (long i = 0; i < t->n_configs * t->epochs; i++)
		t->loss[i] = NAN;
	for (line = next + 1; *line != '\0'; line = next) {
		long index = strtol(line, &end, 10);

		if (end == line || index < 0 || index >= t->n_configs)
			goto bad;
		for (int e = 0; e < t->epochs; e++) {
			char *s = end;

			t->loss[index * t->epochs + e] = strtod(s, &end);
			if (end == s)
				goto bad;
		}
		while (*end == ' ' || *end == '\r')
			end++;
		if (*end != '\n' && *end != '\0')
			goto bad;
		next = *end == '\n' ? end + 1 : end;
		rows++;
	}
	if (rows != t->n_configs)
		fprintf(stderr,
		        "pruning: %s: %ld of %ld configurations (the table is "
		        "incomplete; a missing one fails the run if drawn)\n",
		        path, rows, t->n_configs);
	t->space = grid_space(params);
	cJSON_Delete(head);
	free(text);
	return 0;
bad:
	fprintf(stderr, "pruning: %s: not a curves table (see "
	                "gen_curves.py)\n",
	        path);
	cJSON_Delete(head);
	free(text);
	free(t->loss);
	t->loss = NULL;
	return -1;
}

/* The grid index of a params vector (mixed radix, first param high). */
static long config_index(const struct table *t, const double *values)
{
	long index = 0;

	for (int i = 0; i < t->n_params; i++)
		index = index * t->n_values[i] + (long)values[i];
	return index;
}

struct trace {
	long *epochs; /* epochs spent when ... */
	double *best; /* ... the best final loss became this */
	int n, cap;
};

static int trace_add(struct trace *tr, long epochs, double best)
{
	if (tr->n == tr->cap) {
		int cap = tr->cap ? 2 * tr->cap : 64;
		long *e = realloc(tr->epochs, (size_t)cap * sizeof(*e));
		double *b;

		if (e == NULL)
			return -1;
		tr->epochs = e;
		b = realloc(tr->best, (size_t)cap * sizeof(*b));
		if (b == NULL)
			return -1;
		tr->best = b;
		tr->cap = cap;
	}
	tr->epochs[tr->n] = epochs;
	tr->best[tr->n++] = best;
	return 0;
}

struct seed_result {
	long trials, finished, pruned, epochs;
	double best;
	struct trace trace;
};

static int run_seed(const struct table *t, const struct pz_space *space,
                    const struct options *o, uint64_t seed,
                    struct seed_result *res)
{
	struct pz_history *h = NULL;
	struct pz_reports *r = NULL;
	struct pz_error err;
	double values[MAX_PARAMS];
	long budget = o->budget;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	res->best = INFINITY;
	if (pz_history_create(space, &h) != 0 || pz_reports_create(&r) != 0) {
		fprintf(stderr, "pruning: out of memory\n");
		goto destroy;
	}
	pz_error_clear(&err);
	for (uint64_t k = 0; res->epochs < budget; k++) {
		const double *curve;
		double last = NAN;
		long index;
		int e, pruned = 0;

		if (pz_suggest(space, h, PZ_ALGO_TPE, &o->cfg, seed, k, values,
		               &err) != 0 ||
		    pz_history_add(h, k, values, PZ_TRIAL_PENDING, 0) != 0) {
			fprintf(stderr, "pruning: seed %llu trial %llu: %s\n",
			        (unsigned long long)seed,
			        (unsigned long long)k, err.msg);
			goto destroy;
		}
		index = config_index(t, values);
		curve = t->loss + index * t->epochs;
		if (isnan(curve[0])) {
			fprintf(stderr, "pruning: configuration %ld is not in "
			                "the table\n",
			        index);
			goto destroy;
		}
		res->trials++;
		for (e = 1; e <= t->epochs && res->epochs < budget; e++) {
			struct pz_prune_decision d;

			res->epochs++;
			last = curve[e - 1];
			if (pz_reports_add(r, k, e, last, NULL, &err) != 0 ||
			    pz_prune_decide(o->pruner, r, seed, k, &d) != 0) {
				fprintf(stderr, "pruning: report: %s\n",
				        err.msg);
				goto destroy;
			}
			if (d.prune) {
				pz_reports_set_pruned(r, k, e);
				pruned = 1;
				break;
			}
		}
		if (pruned) {
			res->pruned++;
			pz_reports_set_state(r, k, PZ_REPORT_PRUNED);
			if (o->pruned_as == AS_LAST)
				pz_history_set(h, k, PZ_TRIAL_OK, last);
			else if (o->pruned_as == AS_FAIL)
				pz_history_set(h, k, PZ_TRIAL_FAIL, 0);
			else /* as parzend: its last step and value */
				pz_history_set_pruned(h, k, e, last);
		} else if (e > t->epochs) {
			res->finished++;
			pz_reports_set_state(r, k, PZ_REPORT_OK);
			pz_history_set(h, k, PZ_TRIAL_OK, last);
			if (last < res->best) {
				res->best = last;
				if (trace_add(&res->trace, res->epochs,
				              last) != 0)
					goto destroy;
			}
		}
		/* else: cut off by the budget; it finishes nothing. */
	}
	rc = 0;
destroy:
	pz_reports_destroy(r);
	pz_history_destroy(h);
	return rc;
}

static int report(const struct table *t, const struct options *o,
                  struct seed_result *res, double seconds)
{
	cJSON *line = cJSON_CreateObject(), *runs;
	char *text;
	int ok;

	cJSON_AddStringToObject(line, "task", t->task);
	cJSON_AddNumberToObject(line, "epochs_per_trial", t->epochs);
	cJSON_AddItemToObject(line, "pruner", pz_prune_to_json(o->pruner));
	cJSON_AddStringToObject(line, "pruned_as",
	                        o->pruned_as == AS_LAST   ? "last"
	                        : o->pruned_as == AS_FAIL ? "fail"
	                                                  : "pruned");
	cJSON_AddItemToObject(line, "tpe", pz_tpe_config_to_json(&o->cfg));
	cJSON_AddNumberToObject(line, "budget", (double)o->budget);
	cJSON_AddNumberToObject(line, "seeds", o->seeds);
	runs = cJSON_AddArrayToObject(line, "runs");
	for (int s = 0; s < o->seeds; s++) {
		cJSON *run = cJSON_CreateObject(), *tr;

		cJSON_AddItemToArray(runs, run);
		cJSON_AddNumberToObject(run, "seed", s);
		cJSON_AddNumberToObject(run, "trials", (double)res[s].trials);
		cJSON_AddNumberToObject(run, "finished",
		                        (double)res[s].finished);
		cJSON_AddNumberToObject(run, "pruned", (double)res[s].pruned);
		cJSON_AddNumberToObject(run, "epochs", (double)res[s].epochs);
		if (isfinite(res[s].best))
			cJSON_AddNumberToObject(run, "best", res[s].best);
		else
			cJSON_AddNullToObject(run, "best");
		tr = cJSON_AddArrayToObject(run, "trace");
		for (int i = 0; i < res[s].trace.n; i++) {
			cJSON *pt = cJSON_CreateArray();

			cJSON_AddItemToArray(
				pt,
				cJSON_CreateNumber((double)res[s].trace.epochs[i]));
			cJSON_AddItemToArray(
				pt, cJSON_CreateNumber(res[s].trace.best[i]));
			cJSON_AddItemToArray(tr, pt);
		}
	}
	cJSON_AddNumberToObject(line, "seconds", seconds);
	text = pz_json_print(line, NULL);
	ok = text != NULL && printf("%s\n", text) > 0 && fflush(stdout) == 0;
	free(text);
	cJSON_Delete(line);
	return ok ? 0 : -1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: pruning --curves FILE [--pruner JSON] "
	        "[--pruned-as pruned|fail|last]\n"
	        "               [--config JSON] [--seeds N] "
	        "[--budget EPOCHS]\n"
	        "\n"
	        "Runs seeds 0..N-1 (default 20) of a sequential TPE search "
	        "over the\n"
	        "configurations of a curves table (gen_curves.py), with the "
	        "pruner judging\n"
	        "every epoch, until the budget of epochs (default: 100 "
	        "trials' worth) is\n"
	        "spent. Prints one JSON line.\n");
}

static int parse_json_arg(const char *text, const char *what, cJSON **out)
{
	*out = cJSON_ParseWithLengthOpts(text, strlen(text) + 1, NULL, 1);
	if (*out == NULL) {
		fprintf(stderr, "pruning: %s: not valid JSON\n", what);
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"curves", required_argument, NULL, 'f'},
		{"pruner", required_argument, NULL, 'p'},
		{"pruned-as", required_argument, NULL, 'a'},
		{"config", required_argument, NULL, 'c'},
		{"seeds", required_argument, NULL, 's'},
		{"budget", required_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = NULL;
	struct pz_error err;
	cJSON *json = NULL;
	int ch, rc;

	memset(o, 0, sizeof(*o));
	o->seeds = 20;
	o->pruner_text = "{\"kind\": \"none\"}";
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			o->curves = optarg;
			break;
		case 'p':
			o->pruner_text = optarg;
			break;
		case 'a':
			if (strcmp(optarg, "pruned") == 0) {
				o->pruned_as = AS_PRUNED;
			} else if (strcmp(optarg, "fail") == 0) {
				o->pruned_as = AS_FAIL;
			} else if (strcmp(optarg, "last") == 0) {
				o->pruned_as = AS_LAST;
			} else {
				fprintf(stderr, "pruning: --pruned-as: pruned, "
				                "fail or last\n");
				return -1;
			}
			break;
		case 'c':
			config = optarg;
			break;
		case 's':
			o->seeds = atoi(optarg);
			break;
		case 'b':
			o->budget = atol(optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || o->curves == NULL || o->seeds < 1 ||
	    o->budget < 0) {
		usage(stderr);
		return -1;
	}
	pz_error_clear(&err);
	if (config != NULL && parse_json_arg(config, "--config", &json) != 0)
		return -1;
	rc = pz_tpe_config_from_json(&o->cfg, json, &err);
	cJSON_Delete(json);
	if (rc != 0) {
		fprintf(stderr, "pruning: --config: %s\n", err.msg);
		return -1;
	}
	if (parse_json_arg(o->pruner_text, "--pruner", &json) != 0)
		return -1;
	rc = pz_prune_create(json, "pruner", &o->pruner, &err);
	cJSON_Delete(json);
	if (rc != 0) {
		fprintf(stderr, "pruning: --pruner: %s\n", err.msg);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct table t;
	struct pz_space *space = NULL;
	struct seed_result *res = NULL;
	struct pz_error err;
	double t0;
	int rc = 1;

	if (parse_args(argc, argv, &o) != 0) {
		pz_prune_destroy(o.pruner);
		return 2;
	}
	if (load_table(o.curves, &t) != 0)
		goto destroy_pruner;
	if (o.budget == 0)
		o.budget = 100L * t.epochs;
	pz_error_clear(&err);
	if (pz_space_create(t.space, "space", &space, &err) != 0) {
		fprintf(stderr, "pruning: space: %s\n", err.msg);
		goto free_table;
	}
	res = calloc((size_t)o.seeds, sizeof(*res));
	if (res == NULL)
		goto destroy_space;
	t0 = now();
	for (int s = 0; s < o.seeds; s++)
		if (run_seed(&t, space, &o, (uint64_t)s, &res[s]) != 0)
			goto free_results;
	rc = report(&t, &o, res, now() - t0) == 0 ? 0 : 1;
free_results:
	for (int s = 0; s < o.seeds; s++) {
		free(res[s].trace.epochs);
		free(res[s].trace.best);
	}
	free(res);
destroy_space:
	pz_space_destroy(space);
free_table:
	cJSON_Delete(t.space);
	free(t.loss);
destroy_pruner:
	pz_prune_destroy(o.pruner);
	return rc;
}
