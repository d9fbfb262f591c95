/*
 * The trial commands: `trials` lists a study's trials as a table, CSV or
 * the daemon's JSON, paging through trial.list (with their reports, for
 * the last step each reached); `enqueue` adds a trial with given params
 * (a warm start). People read and write choices by value (lib/params.h,
 * the value form): the table and the CSV show values, the JSON adds them
 * as "values" beside the daemon's "params" (the index form), and enqueue
 * sends values unless told they are indices.
 */
#include "cli.h"

#include <parzen/json.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Trials per trial.list call; the daemon allows up to 10000. */
#define PAGE 1000

struct trials_args {
	const char *name;
	const char *state;   /* NULL: every state */
	int64_t offset;
	int64_t limit;       /* -1: all */
	enum { OUT_TABLE, OUT_CSV, OUT_JSON } out;
};

static int parse_trials(struct cli *cli, int argc, char **argv,
                        struct trials_args *a)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "csv", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "limit", required_argument, NULL, 'l' },
		{ "offset", required_argument, NULL, 'o' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	static const char *const states[] = { "queued", "running", "ok",
	                                      "fail", "pruned" };
	bool csv = false, json = false, known;
	int opt, rc;

	memset(a, 0, sizeof(*a));
	a->limit = -1;
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts,
	                          NULL)) != -1) {
		switch (opt) {
		case 's':
			known = false;
			for (size_t i = 0; i < 5; i++)
				known = known || strcmp(optarg, states[i]) == 0;
			if (!known)
				return cli_usage_err(cli, "--state must be "
				                     "queued, running, ok, fail "
				                     "or pruned");
			a->state = optarg;
			break;
		case 'c':
			csv = true;
			break;
		case 'j':
			json = true;
			break;
		case 'l':
			if (cli_parse_int(optarg, 1, INT64_C(1) << 53,
			                  &a->limit))
				return cli_usage_err(cli, "--limit must be an "
				                     "integer > 0");
			break;
		case 'o':
			if (cli_parse_int(optarg, 0, INT64_C(1) << 53,
			                  &a->offset))
				return cli_usage_err(cli, "--offset must be an "
				                     "integer >= 0");
			break;
		default:
			rc = cli_common_opt(cli, opt, optarg);
			if (rc >= 0)
				return rc;
		}
	}
	if (csv && json)
		return cli_usage_err(cli, "--csv and --json exclude each "
		                     "other");
	if (argc - optind != 1)
		return cli_usage_err(cli, "expected one study NAME");
	a->name = argv[optind];
	a->out = csv ? OUT_CSV : json ? OUT_JSON : OUT_TABLE;
	return -1;
}

/*
 * Page through trial.list into one {"trials": [...], "total": n}, the
 * shape of a single reply.
 */
static int fetch(const struct cli *cli, const struct trials_args *a,
                 cJSON **out, struct pz_space **space)
{
	struct pz_client *c;
	cJSON *all = cJSON_CreateObject();
	cJSON *list = cJSON_AddArrayToObject(all, "trials"), *res;
	int64_t got = 0, offset = a->offset;
	double total = 0;
	int rc;

	*out = NULL;
	*space = NULL;
	if (list == NULL) {
		cJSON_Delete(all);
		return CLI_EXIT_FAIL;
	}
	rc = cli_connect(cli, &c);
	if (rc != 0)
		goto err_all;
	/* The space, to show choices by value. */
	rc = cli_call(cli, c, "study.get", cli_study_params(a->name), &res);
	if (rc != 0)
		goto err_client;
	*space = cli_study_space(cli_get(res, "study"));
	cJSON_Delete(res);
	for (;;) {
		int64_t want = a->limit < 0 || a->limit - got > PAGE ?
		               PAGE : a->limit - got;
		cJSON *params = cli_study_params(a->name), *res, *page, *t;
		int n = 0;

		if (params == NULL ||
		    (a->state != NULL &&
		     cJSON_AddStringToObject(params, "state", a->state) ==
		     NULL) ||
		    cJSON_AddNumberToObject(params, "offset",
		                            (double)offset) == NULL ||
		    cJSON_AddNumberToObject(params, "limit",
		                            (double)want) == NULL ||
		    cJSON_AddTrueToObject(params, "intermediate") == NULL) {
			cJSON_Delete(params);
			rc = CLI_EXIT_FAIL;
			goto err_client;
		}
		rc = cli_call(cli, c, "trial.list", params, &res);
		if (rc != 0)
			goto err_client;
		total = cli_get_num(res, "total", 0);
		page = cJSON_DetachItemFromObjectCaseSensitive(res, "trials");
		cJSON_Delete(res);
		while (cJSON_IsArray(page) && (t = page->child) != NULL) {
			t = cJSON_DetachItemViaPointer(page, t);
			cJSON_AddItemToArray(list, t);
			n++;
		}
		cJSON_Delete(page);
		got += n;
		offset += n;
		/* A page may be cut short at a size (next_offset): only an
		 * empty one ends the list early. */
		if (n == 0 || got == a->limit || (double)offset >= total)
			break;
	}
	pz_client_destroy(c);
	if (cJSON_AddNumberToObject(all, "total", total) == NULL) {
		cJSON_Delete(all);
		return CLI_EXIT_FAIL;
	}
	*out = all;
	return CLI_EXIT_OK;

err_client:
	pz_client_destroy(c);
err_all:
	cJSON_Delete(all);
	pz_space_destroy(*space);
	*space = NULL;
	return rc;
}

/* The last step a trial reported ("-": none) into buf. */
static char *fmt_last_step(char *buf, size_t len, const cJSON *trial)
{
	const cJSON *reports = cli_get(trial, "intermediate");
	const cJSON *last = NULL, *r;

	cJSON_ArrayForEach(r, reports)
		last = r;
	if (cJSON_IsArray(last) && cJSON_IsNumber(last->child))
		snprintf(buf, len, "%.0f", last->child->valuedouble);
	else
		snprintf(buf, len, "-");
	return buf;
}

static int print_table(const struct pz_space *space, const cJSON *trials)
{
	static const char *const head[] = { "NUMBER", "STATE", "LOSS",
	                                    "STEP", "PARAMS" };
	struct cli_table *t = cli_table_create(5, 1u << 0 | 1u << 2 |
	                                       1u << 3);
	const cJSON *tr;
	int rc = CLI_EXIT_FAIL;

	if (t == NULL || cli_table_add(t, head) != 0)
		goto out;
	cJSON_ArrayForEach(tr, trials) {
		char number[32], loss[64], step[32];
		cJSON *values = cli_values(space, cli_get(tr, "params"));
		char *params = values != NULL ? cli_fmt_params(space, values)
		                              : NULL;
		const char *row[] = { number, cli_get_str(tr, "state", "?"),
		                      loss, fmt_last_step(step, sizeof(step), tr),
		                      params };
		double l = cli_get_num(tr, "loss", NAN);
		int added;

		cJSON_Delete(values);
		if (params == NULL)
			goto out;
		snprintf(number, sizeof(number), "%.0f",
		         cli_get_num(tr, "number", NAN));
		if (isnan(l))
			snprintf(loss, sizeof(loss), "-");
		else
			cli_fmt_num(loss, sizeof(loss), l);
		added = cli_table_add(t, row);
		free(params);
		if (added != 0)
			goto out;
	}
	cli_table_print(t, stdout);
	rc = CLI_EXIT_OK;
out:
	cli_table_destroy(t);
	return rc;
}

/* One CSV field (RFC 4180): quoted when it holds , " CR or LF. */
static void csv_field(FILE *f, const char *s, bool first)
{
	if (!first)
		fputc(',', f);
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/*
 * A JSON value as a CSV cell: numbers exact, strings as they are, an
 * absent value empty, anything else compact JSON. A null is empty too,
 * unless it is a value (`null_text`: a choice's option can be null).
 */
static int csv_value(FILE *f, const cJSON *v, bool null_text)
{
	char num[64], *text;

	if (cJSON_IsNumber(v)) {
		pz_json_number(num, sizeof(num), v->valuedouble);
		csv_field(f, num, false);
	} else if (cJSON_IsString(v)) {
		csv_field(f, v->valuestring, false);
	} else if (v == NULL || (cJSON_IsNull(v) && !null_text)) {
		csv_field(f, "", false);
	} else {
		text = cli_json_compact(v);
		if (text == NULL)
			return CLI_EXIT_FAIL;
		csv_field(f, text, false);
		free(text);
	}
	return CLI_EXIT_OK;
}

/*
 * Columns: number, id, state, loss, worker, started, finished (Unix
 * seconds), last_step (the last step the trial reported; empty for
 * none), then params_<label> for every label any listed trial has, in
 * the order they are first seen, holding the label's value (a choice's
 * option by value); a label a trial does not have (inactive in its branch
 * of the space) is an empty cell.
 */
int cli_trials_csv(FILE *f, const struct pz_space *space,
                   const cJSON *trials)
{
	static const char *const fixed[] = { "id", "state", "loss", "worker",
	                                     "started", "finished" };
	cJSON *labels = cJSON_CreateArray();
	const cJSON *tr, *p, *l;
	int rc = CLI_EXIT_FAIL;

	if (labels == NULL)
		return rc;
	cJSON_ArrayForEach(tr, trials) {
		cJSON_ArrayForEach(p, cli_get(tr, "params")) {
			bool seen = false;

			cJSON_ArrayForEach(l, labels) {
				if (strcmp(l->valuestring, p->string) == 0) {
					seen = true;
					break;
				}
			}
			if (!seen && !cJSON_AddItemToArray(labels,
			                cJSON_CreateString(p->string)))
				goto out;
		}
	}
	csv_field(f, "number", true);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		csv_field(f, fixed[i], false);
	csv_field(f, "last_step", false);
	cJSON_ArrayForEach(l, labels) {
		char *name;

		if (asprintf(&name, "params_%s", l->valuestring) < 0)
			goto out;
		csv_field(f, name, false);
		free(name);
	}
	fputs("\r\n", f);
	cJSON_ArrayForEach(tr, trials) {
		cJSON *values = cli_values(space, cli_get(tr, "params"));
		char num[32];
		int bad = values == NULL;

		snprintf(num, sizeof(num), "%.0f",
		         cli_get_num(tr, "number", NAN));
		csv_field(f, num, true);
		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			bad = bad || csv_value(f, cli_get(tr, fixed[i]),
			                       false) != 0;
		fmt_last_step(num, sizeof(num), tr);
		csv_field(f, strcmp(num, "-") == 0 ? "" : num, false);
		cJSON_ArrayForEach(l, labels)
			bad = bad || csv_value(f, cli_get(values,
			                                  l->valuestring),
			                       true) != 0;
		cJSON_Delete(values);
		if (bad)
			goto out;
		fputs("\r\n", f);
	}
	rc = CLI_EXIT_OK;
out:
	cJSON_Delete(labels);
	return rc;
}

static int trials_exec(struct cli *cli, int argc, char **argv)
{
	struct trials_args a;
	struct pz_space *space;
	cJSON *trials, *t;
	cJSON *res;
	int rc, shown;

	rc = parse_trials(cli, argc, argv, &a);
	if (rc >= 0)
		return rc;
	rc = fetch(cli, &a, &res, &space);
	if (rc != 0)
		return rc;
	trials = cJSON_GetObjectItemCaseSensitive(res, "trials");
	switch (a.out) {
	case OUT_JSON:
		cJSON_ArrayForEach(t, trials) {
			if (cli_add_values(space, t) != 0) {
				rc = CLI_EXIT_FAIL;
				break;
			}
		}
		if (rc == 0)
			rc = cli_print_json(res);
		break;
	case OUT_CSV:
		rc = cli_trials_csv(stdout, space, trials);
		break;
	case OUT_TABLE:
		rc = print_table(space, trials);
		shown = cJSON_GetArraySize(trials);
		if (rc == 0 && (double)(a.offset + shown) <
		                       cli_get_num(res, "total", 0))
			fprintf(stderr, "(trials %lld to %lld of %.0f; see "
			        "--offset and --limit)\n",
			        (long long)a.offset,
			        (long long)a.offset + shown - 1,
			        cli_get_num(res, "total", 0));
		break;
	}
	cJSON_Delete(res);
	pz_space_destroy(space);
	return rc;
}

const struct cli_command cli_cmd_trials = {
	.name = "trials",
	.args = "NAME [--state S] [--csv|--json] [--limit N] [--offset N]",
	.summary = "list the trials of a study",
	.help =
	"By number: a table of number, state, loss, the last step the trial\n"
	"reported (trial.report; - for none) and the flat params, a choice by\n"
	"its option's value.\n"
	"\n"
	"  --state S    only trials in state S: queued, running, ok, fail,\n"
	"               pruned\n"
	"  --limit N    at most N trials (default: all)\n"
	"  --offset N   skip the first N (default 0)\n"
	"  --csv        CSV (RFC 4180): number, id, state, loss, worker,\n"
	"               started, finished, last_step, then one params_LABEL\n"
	"               column per label (by value); numbers exact, times in\n"
	"               Unix seconds\n"
	"  --json       the daemon's reply, {\"trials\": [...], \"total\": n}\n"
	"               (pages joined), each trial with \"values\" (choices\n"
	"               by value) beside \"params\" (choices by option index)\n"
	"               and its reports (\"intermediate\")\n",
	.exec = trials_exec,
};

static int enqueue_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "index", no_argument, NULL, 'i' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct pz_error err = { 0 };
	const char *end = NULL, *arg;
	const cJSON *trial;
	cJSON *params, *req = NULL, *res;
	char *text = NULL;
	bool json = false, index = false;
	int opt, rc;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts,
	                          NULL)) != -1) {
		if (opt == 'j') {
			json = true;
			continue;
		}
		if (opt == 'i') {
			index = true;
			continue;
		}
		rc = cli_common_opt(cli, opt, optarg);
		if (rc >= 0)
			return rc;
	}
	if (argc - optind != 2)
		return cli_usage_err(cli, "expected a study NAME and "
		                     "PARAMS_JSON");
	arg = argv[optind + 1];
	if (strcmp(arg, "-") == 0) {
		text = cli_read_file("-", &err);
		if (text == NULL) {
			cli_err(cli, "%s", err.msg);
			return CLI_EXIT_FAIL;
		}
		arg = text;
	}
	params = cJSON_ParseWithOpts(arg, &end, 1);
	if (!cJSON_IsObject(params)) {
		rc = cli_usage_err(cli, "PARAMS_JSON must be a JSON object "
		                   "such as '{\"lr\": 0.01}'%s",
		                   params == NULL ? " (not valid JSON)" : "");
		cJSON_Delete(params);
		goto out;
	}
	/* trial.enqueue takes the value form as "values", the index form
	 * (a trial's params, hyperopt's argmin) as "params". */
	req = cli_study_params(argv[optind]);
	if (req == NULL || !cJSON_AddItemToObject(req, index ? "params"
	                                                     : "values",
	                                          params)) {
		cJSON_Delete(params);
		cJSON_Delete(req);
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	rc = cli_rpc(cli, "trial.enqueue", req, &res);
	if (rc != 0)
		goto out;
	trial = cli_get(res, "trial");
	if (json) {
		struct pz_space *space = NULL;

		rc = cli_get_space(cli, argv[optind], &space);
		if (rc == 0 &&
		    cli_add_values(space, cJSON_GetObjectItemCaseSensitive(
		                           res, "trial")) != 0)
			rc = CLI_EXIT_FAIL;
		if (rc == 0)
			rc = cli_print_json(res);
		pz_space_destroy(space);
	} else {
		printf("enqueued trial %.0f (id %.0f) of study %s\n",
		       cli_get_num(trial, "number", NAN),
		       cli_get_num(trial, "id", NAN), argv[optind]);
	}
	cJSON_Delete(res);
out:
	free(text);
	return rc;
}

const struct cli_command cli_cmd_enqueue = {
	.name = "enqueue",
	.args = "NAME PARAMS_JSON [--index] [--json]",
	.summary = "queue a trial with given params (warm start)",
	.help =
	"PARAMS_JSON is a flat {label: value} object, a choice given by its\n"
	"option's value as `parzen trials` shows it ('{\"lr\": 0.01, \"opt\":\n"
	"\"adam\"}'), or by its index as {\"$index\": 1}; - reads it from\n"
	"stdin. The trial is handed to the next worker that asks.\n"
	"\n"
	"  --index  PARAMS_JSON is in index form: every choice is the index\n"
	"           of its option (a trial's \"params\", hyperopt's argmin)\n"
	"  --json   print the daemon's reply ({\"trial\": {...}})\n",
	.exec = enqueue_exec,
};
