/*
 * The study commands: create, ls, show, best, pause, resume, rm. Each is
 * one or two calls to parzend; what is left is turning the replies
 * (docs/protocol.md, "Objects") into text for people. With --json a
 * command prints the daemon's result object unchanged instead.
 */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The arguments of the commands that take at most a NAME and flags. */
struct simple_args {
	const char *name;
	bool json;
	bool yes;
	bool names;
};

enum {
	ALLOW_JSON = 1,
	ALLOW_YES = 2,
	NEED_NAME = 4,
	ALLOW_NAMES = 8,
};

/*
 * Parse "[NAME] [--json] [--yes]" as `flags` allow. Returns -1 to go on,
 * else the exit status to return.
 */
static int parse_simple(struct cli *cli, int argc, char **argv,
                        unsigned flags, struct simple_args *a)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "yes", no_argument, NULL, 'y' },
		{ "names", no_argument, NULL, 'n' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc;

	memset(a, 0, sizeof(*a));
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts,
	                          NULL)) != -1) {
		if (opt == 'j' && (flags & ALLOW_JSON)) {
			a->json = true;
		} else if (opt == 'y' && (flags & ALLOW_YES)) {
			a->yes = true;
		} else if (opt == 'n' && (flags & ALLOW_NAMES)) {
			a->names = true;
		} else if (opt == 'j' || opt == 'y' || opt == 'n') {
			return cli_usage_err(cli, "no option --%s here",
			                     opt == 'j'   ? "json"
			                     : opt == 'y' ? "yes"
			                                  : "names");
		} else {
			rc = cli_common_opt(cli, opt, optarg);
			if (rc >= 0)
				return rc;
		}
	}
	if ((flags & NEED_NAME) && argc - optind != 1)
		return cli_usage_err(cli, "expected one study NAME");
	if (!(flags & NEED_NAME) && argc != optind)
		return cli_usage_err(cli, "unexpected argument '%s'",
		                     argv[optind]);
	if (flags & NEED_NAME)
		a->name = argv[optind];
	return -1;
}

/* "43/100" (finished/max), or "43" when unlimited. */
static void fmt_progress(char *buf, size_t len, const cJSON *study)
{
	const cJSON *counts = cli_get(study, "counts");
	double done = cli_get_num(counts, "ok", 0) +
	              cli_get_num(counts, "fail", 0) +
	              cli_get_num(counts, "pruned", 0);
	const cJSON *max = cli_get(study, "max_trials");

	if (cJSON_IsNumber(max))
		snprintf(buf, len, "%.0f/%.0f", done, max->valuedouble);
	else
		snprintf(buf, len, "%.0f", done);
}

/* The best loss of a study object, or "-". */
static char *fmt_best(char *buf, size_t len, const cJSON *study)
{
	const cJSON *best = cli_get(study, "best");
	double loss = cli_get_num(best, "loss", NAN);

	if (isnan(loss)) {
		snprintf(buf, len, "-");
		return buf;
	}
	return cli_fmt_num(buf, len, loss);
}

/*
 * `best_values`: the best trial's params by value ("lr=0.01 opt=adam"),
 * or NULL.
 */
static int print_study(const cJSON *s, const char *best_values)
{
	const cJSON *counts = cli_get(s, "counts"), *best = cli_get(s, "best");
	const cJSON *max = cli_get(s, "max_trials");
	const char *state = cli_get_str(s, "state", "?");
	char num[64], when[64], *config, *pruner = NULL;
	int rc = CLI_EXIT_FAIL;

	config = cli_json_compact(cli_get(s, "config"));
	if (config == NULL)
		goto out;
	if (cli_get(s, "pruner") != NULL &&
	    (pruner = cli_json_compact(cli_get(s, "pruner"))) == NULL)
		goto out;
	printf("name               %s\n", cli_get_str(s, "name", "?"));
	/* "done": max_trials trials, all finished (parzen set raises it). */
	printf("state              %s%s\n", state,
	       cJSON_IsTrue(cli_get(s, "paused")) &&
	                       strcmp(state, "paused") != 0
	               ? " (paused)"
	               : "");
	printf("algo               %s\n", cli_get_str(s, "algo", "?"));
	printf("seed               %s\n",
	       cli_fmt_num(num, sizeof(num), cli_get_num(s, "seed", NAN)));
	if (cJSON_IsNumber(max))
		printf("max_trials         %.0f\n", max->valuedouble);
	else
		printf("max_trials         unlimited\n");
	printf("heartbeat_timeout  %s s\n",
	       cli_fmt_num(num, sizeof(num),
	                   cli_get_num(s, "heartbeat_timeout", NAN)));
	printf("created            %s\n",
	       cli_fmt_time(when, sizeof(when),
	                    cli_get_num(s, "created", NAN)));
	printf("trials             %.0f: %.0f ok, %.0f fail, %.0f pruned, "
	       "%.0f running, %.0f queued\n", cli_get_num(counts, "total", 0),
	       cli_get_num(counts, "ok", 0), cli_get_num(counts, "fail", 0),
	       cli_get_num(counts, "pruned", 0),
	       cli_get_num(counts, "running", 0),
	       cli_get_num(counts, "queued", 0));
	if (cJSON_IsObject(best))
		printf("best               %s (trial %.0f, id %.0f)\n",
		       cli_fmt_num(num, sizeof(num),
		                   cli_get_num(best, "loss", NAN)),
		       cli_get_num(best, "number", NAN),
		       cli_get_num(best, "id", NAN));
	else
		printf("best               -\n");
	if (best_values != NULL)
		printf("best params        %s\n", best_values);
	printf("config             %s\n", config);
	if (pruner != NULL)
		printf("pruner             %s\n", pruner);
	printf("space\n");
	rc = cli_print_json(cli_get(s, "space"));
out:
	free(config);
	free(pruner);
	return rc;
}

static int create_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "space", required_argument, NULL, 's' },
		{ "algo", required_argument, NULL, 'a' },
		{ "seed", required_argument, NULL, 'S' },
		{ "max-trials", required_argument, NULL, 'm' },
		{ "heartbeat-timeout", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'c' },
		{ "pruner", required_argument, NULL, 'p' },
		{ "exist-ok", no_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	const char *space_path = NULL, *algo = NULL, *config = NULL;
	const char *pruner = NULL;
	int64_t seed = -1, max_trials = 0;
	double heartbeat = 0;
	bool exist_ok = false, json = false;
	struct pz_error err = { 0 };
	struct pz_client *c;
	cJSON *study = NULL;
	char *space;
	int opt, rc;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts,
	                          NULL)) != -1) {
		switch (opt) {
		case 's':
			space_path = optarg;
			break;
		case 'a':
			algo = optarg;
			break;
		case 'S':
			if (cli_parse_int(optarg, 0, INT64_C(1) << 53, &seed))
				return cli_usage_err(cli, "--seed must be an "
				                     "integer from 0 to 2^53");
			break;
		case 'm':
			if (cli_parse_int(optarg, 1, INT64_C(1) << 53,
			                  &max_trials))
				return cli_usage_err(cli, "--max-trials must "
				                     "be an integer > 0");
			break;
		case 't':
			if (cli_parse_seconds(optarg, &heartbeat))
				return cli_usage_err(cli, "--heartbeat-timeout "
				                     "must be a number of "
				                     "seconds > 0");
			break;
		case 'c':
			config = optarg;
			break;
		case 'p':
			pruner = optarg;
			break;
		case 'e':
			exist_ok = true;
			break;
		case 'j':
			json = true;
			break;
		default:
			rc = cli_common_opt(cli, opt, optarg);
			if (rc >= 0)
				return rc;
		}
	}
	if (argc - optind != 1)
		return cli_usage_err(cli, "expected one study NAME");
	if (space_path == NULL)
		return cli_usage_err(cli, "--space FILE is required");

	space = cli_read_file(space_path, &err);
	if (space == NULL) {
		cli_err(cli, "%s", err.msg);
		return CLI_EXIT_FAIL;
	}
	rc = cli_connect(cli, &c);
	if (rc != 0)
		goto out_space;
	{
		struct pz_client_study_def def = {
			.name = argv[optind],
			.space_json = space,
			.algo = algo,
			.seed = seed,
			.max_trials = max_trials,
			.config_json = config,
			.heartbeat_timeout = heartbeat,
			.pruner_json = pruner,
			.exist_ok = exist_ok,
		};

		rc = pz_client_create_study_def(c, &def, &study, &err);
	}
	if (rc != 0) {
		/* A space that is not JSON is refused before sending. */
		if (pz_client_last_rpc_code(c) == 0 &&
		    strncmp(err.msg, "space: ", 7) == 0)
			cli_err(cli, "%s%s", space_path, err.msg + 5);
		else
			cli_err(cli, "%s", err.msg);
		rc = cli_exit_status(rc);
		goto out_client;
	}
	if (json) {
		/* The reply's shape, as the other commands print it. */
		cJSON *reply = cJSON_CreateObject();

		if (reply != NULL && cJSON_AddItemToObject(reply, "study",
		                                           study)) {
			study = NULL;
			rc = cli_print_json(reply);
		} else {
			rc = CLI_EXIT_FAIL;
		}
		cJSON_Delete(reply);
	} else {
		char num[64], hb[64], max[64];
		const cJSON *m = cli_get(study, "max_trials");

		if (cJSON_IsNumber(m))
			snprintf(max, sizeof(max), "%.0f", m->valuedouble);
		else
			snprintf(max, sizeof(max), "unlimited");
		printf("study %s: %s, seed %s, max_trials %s, "
		       "heartbeat_timeout %s s, pruner %s, %.0f trials\n",
		       cli_get_str(study, "name", "?"),
		       cli_get_str(study, "algo", "?"),
		       cli_fmt_num(num, sizeof(num),
		                   cli_get_num(study, "seed", NAN)),
		       max,
		       cli_fmt_num(hb, sizeof(hb),
		                   cli_get_num(study, "heartbeat_timeout",
		                               NAN)),
		       cli_get_str(cli_get(study, "pruner"), "kind", "none"),
		       cli_get_num(cli_get(study, "counts"), "total", 0));
	}
	cJSON_Delete(study);
out_client:
	pz_client_destroy(c);
out_space:
	free(space);
	return rc;
}

const struct cli_command cli_cmd_create = {
	.name = "create",
	.args = "NAME --space FILE [OPTIONS]",
	.summary = "create a study",
	.help =
	"Create the study NAME over the space in FILE (a space document,\n"
	"docs/space.md; - reads stdin) and print it.\n"
	"\n"
	"  --space FILE               the search space (required)\n"
	"  --algo NAME                tpe, random, anneal or mix (default tpe)\n"
	"  --seed N                   the study's seed, 0 to 2^53 (default:\n"
	"                             drawn by parzend and stored)\n"
	"  --max-trials N             stop creating trials after N\n"
	"                             (default: unlimited)\n"
	"  --heartbeat-timeout SECS   a running trial whose worker is silent\n"
	"                             this long is handed out again\n"
	"                             (default 60)\n"
	"  --config JSON              suggester settings, a JSON object\n"
	"                             (docs/space.md)\n"
	"  --pruner JSON              a pruner, {\"kind\": \"median\", ...}:\n"
	"                             none, median, percentile, asha,\n"
	"                             hyperband, threshold or patient with\n"
	"                             Optuna's settings (docs/pruning.md)\n"
	"  --exist-ok                 if NAME exists with the same\n"
	"                             definition, use it (a different one is\n"
	"                             still an error)\n"
	"  --json                     print the daemon's reply\n",
	.exec = create_exec,
};

static int ls_exec(struct cli *cli, int argc, char **argv)
{
	static const char *const head[] = { "NAME", "STATE", "ALGO", "DONE",
	                                    "RUNNING", "FAILED", "BEST" };
	struct simple_args a;
	struct cli_table *t = NULL;
	const cJSON *s;
	cJSON *res;
	int rc;

	rc = parse_simple(cli, argc, argv, ALLOW_JSON | ALLOW_NAMES, &a);
	if (rc >= 0)
		return rc;
	rc = cli_rpc(cli, "study.list", NULL, &res);
	if (rc != 0)
		return rc;
	if (a.json) {
		rc = cli_print_json(res);
		goto out;
	}
	if (a.names) {
		/* For scripts and shell completion: names hold no control
		 * characters, so one per line is unambiguous. */
		cJSON_ArrayForEach(s, cli_get(res, "studies"))
			printf("%s\n", cli_get_str(s, "name", ""));
		rc = CLI_EXIT_OK;
		goto out;
	}
	rc = CLI_EXIT_FAIL;
	t = cli_table_create(7, 1u << 3 | 1u << 4 | 1u << 5 | 1u << 6);
	if (t == NULL || cli_table_add(t, head) != 0)
		goto out;
	cJSON_ArrayForEach(s, cli_get(res, "studies")) {
		const cJSON *counts = cli_get(s, "counts");
		char done[64], running[32], failed[32], best[64];
		const char *row[] = { cli_get_str(s, "name", "?"),
		                      cli_get_str(s, "state", "?"),
		                      cli_get_str(s, "algo", "?"), done,
		                      running, failed, best };

		fmt_progress(done, sizeof(done), s);
		snprintf(running, sizeof(running), "%.0f",
		         cli_get_num(counts, "running", 0));
		snprintf(failed, sizeof(failed), "%.0f",
		         cli_get_num(counts, "fail", 0));
		fmt_best(best, sizeof(best), s);
		if (cli_table_add(t, row) != 0)
			goto out;
	}
	cli_table_print(t, stdout);
	rc = CLI_EXIT_OK;
out:
	cli_table_destroy(t);
	cJSON_Delete(res);
	return rc;
}

const struct cli_command cli_cmd_ls = {
	.name = "ls",
	.args = "[--json|--names]",
	.summary = "list the studies",
	.help =
	"One line per study: name, state, algo, finished trials (of\n"
	"max_trials), running, failed, best loss.\n"
	"\n"
	"  --json    print the daemon's reply ({\"studies\": [...]})\n"
	"  --names   print only the names, one per line (for scripts and\n"
	"            shell completion)\n",
	.exec = ls_exec,
};

/* study.get for `name`; *study is the study object, owned by *res. */
static int get_study(const struct cli *cli, const char *name, cJSON **res,
                     const cJSON **study)
{
	int rc = cli_rpc(cli, "study.get", cli_study_params(name), res);

	*study = rc == 0 ? cli_get(*res, "study") : NULL;
	return rc;
}

/* The best trial's params by value, "lr=0.01 opt=adam", or NULL. */
static char *best_values(const struct cli *cli, const char *name,
                         const cJSON *study)
{
	struct pz_space *space;
	cJSON *res, *values;
	char *text = NULL;

	if (!cJSON_IsObject(cli_get(study, "best")) ||
	    cli_rpc(cli, "study.best", cli_study_params(name), &res) != 0)
		return NULL;
	space = cli_study_space(study);
	values = cli_values(space, cli_get(cli_get(res, "trial"), "params"));
	if (values != NULL)
		text = cli_fmt_params(space, values);
	cJSON_Delete(values);
	pz_space_destroy(space);
	cJSON_Delete(res);
	return text;
}

static int show_exec(struct cli *cli, int argc, char **argv)
{
	struct simple_args a;
	const cJSON *study;
	cJSON *res;
	int rc;

	rc = parse_simple(cli, argc, argv, NEED_NAME | ALLOW_JSON, &a);
	if (rc >= 0)
		return rc;
	rc = get_study(cli, a.name, &res, &study);
	if (rc != 0)
		return rc;
	if (a.json) {
		rc = cli_print_json(res);
	} else {
		char *values = best_values(cli, a.name, study);

		rc = print_study(study, values);
		free(values);
	}
	cJSON_Delete(res);
	return rc;
}

const struct cli_command cli_cmd_show = {
	.name = "show",
	.args = "NAME [--json]",
	.summary = "show a study: definition, counts, best",
	.help = "  --json   print the daemon's reply ({\"study\": {...}})\n",
	.exec = show_exec,
};

static int print_trial(const struct pz_space *space, const cJSON *t)
{
	const cJSON *result = cli_get(t, "result");
	char num[64], when[64], *params, *point, *res = NULL;
	int rc = CLI_EXIT_FAIL;

	params = cli_get(t, "values") != NULL
	                 ? cli_fmt_params(space, cli_get(t, "values"))
	                 : cli_fmt_params(NULL, cli_get(t, "params"));
	point = cli_json_compact(cli_get(t, "point"));
	if (params == NULL || point == NULL)
		goto out;
	if (result != NULL && !cJSON_IsNull(result)) {
		res = cli_json_compact(result);
		if (res == NULL)
			goto out;
	}
	printf("trial     %.0f (id %.0f)\n", cli_get_num(t, "number", NAN),
	       cli_get_num(t, "id", NAN));
	printf("loss      %s\n",
	       cli_fmt_num(num, sizeof(num), cli_get_num(t, "loss", NAN)));
	printf("params    %s\n", params);
	printf("point     %s\n", point);
	if (res != NULL)
		printf("result    %s\n", res);
	printf("worker    %s\n", cli_get_str(t, "worker", "-"));
	printf("finished  %s\n",
	       cli_fmt_time(when, sizeof(when),
	                    cli_get_num(t, "finished", NAN)));
	rc = CLI_EXIT_OK;
out:
	free(params);
	free(point);
	free(res);
	return rc;
}

static int best_exec(struct cli *cli, int argc, char **argv)
{
	struct simple_args a;
	struct pz_space *space = NULL;
	const cJSON *trial;
	cJSON *res;
	int rc;

	rc = parse_simple(cli, argc, argv, NEED_NAME | ALLOW_JSON, &a);
	if (rc >= 0)
		return rc;
	rc = cli_rpc(cli, "study.best", cli_study_params(a.name), &res);
	if (rc != 0)
		return rc;
	trial = cli_get(res, "trial");
	if (cJSON_IsObject(trial)) {
		rc = cli_get_space(cli, a.name, &space);
		if (rc == 0 &&
		    cli_add_values(space, cJSON_GetObjectItemCaseSensitive(
		                                  res, "trial")) != 0)
			rc = CLI_EXIT_FAIL;
		if (rc != 0) {
			pz_space_destroy(space);
			cJSON_Delete(res);
			return rc;
		}
	}
	if (a.json)
		rc = cli_print_json(res);
	else if (cJSON_IsObject(trial))
		rc = print_trial(space, trial);
	if (rc == 0 && !cJSON_IsObject(trial)) {
		cli_err(cli, "study %s has no trial that finished ok yet",
		        a.name);
		rc = CLI_EXIT_NOTFOUND;
	}
	pz_space_destroy(space);
	cJSON_Delete(res);
	return rc;
}

const struct cli_command cli_cmd_best = {
	.name = "best",
	.args = "NAME [--json]",
	.summary = "show the best trial of a study",
	.help =
	"The ok trial with the lowest loss: number, loss, params (a choice\n"
	"by its option's value), the evaluated point and the result. Exit\n"
	"status 4 when no trial has finished ok yet.\n"
	"\n"
	"  --json   print the daemon's reply ({\"trial\": {...}}, or\n"
	"           {\"trial\": null}), the trial with \"values\" beside\n"
	"           \"params\" (choices by option index)\n",
	.exec = best_exec,
};

static int set_state(struct cli *cli, int argc, char **argv,
                     const char *method)
{
	struct simple_args a;
	cJSON *res;
	int rc;

	rc = parse_simple(cli, argc, argv, NEED_NAME, &a);
	if (rc >= 0)
		return rc;
	rc = cli_rpc(cli, method, cli_study_params(a.name), &res);
	if (rc != 0)
		return rc;
	printf("study %s: %s\n", a.name,
	       cli_get_str(cli_get(res, "study"), "state", "?"));
	cJSON_Delete(res);
	return rc;
}

static int pause_exec(struct cli *cli, int argc, char **argv)
{
	return set_state(cli, argc, argv, "study.pause");
}

static int resume_exec(struct cli *cli, int argc, char **argv)
{
	return set_state(cli, argc, argv, "study.resume");
}

const struct cli_command cli_cmd_pause = {
	.name = "pause",
	.args = "NAME",
	.summary = "stop handing out trials of a study",
	.help =
	"Workers that ask get no trial (they wait); running trials can\n"
	"still finish and report.\n",
	.exec = pause_exec,
};

const struct cli_command cli_cmd_resume = {
	.name = "resume",
	.args = "NAME",
	.summary = "hand out trials of a paused study again",
	.help = "",
	.exec = resume_exec,
};

static int rm_exec(struct cli *cli, int argc, char **argv)
{
	struct simple_args a;
	const cJSON *study, *counts;
	cJSON *res;
	int rc;

	rc = parse_simple(cli, argc, argv, NEED_NAME | ALLOW_YES, &a);
	if (rc >= 0)
		return rc;
	if (a.yes) {
		rc = cli_rpc(cli, "study.delete", cli_study_params(a.name),
		             &res);
		if (rc != 0)
			return rc;
		printf("deleted study %s and its %.0f trials\n", a.name,
		       cli_get_num(res, "trials", 0));
		cJSON_Delete(res);
		return CLI_EXIT_OK;
	}
	rc = get_study(cli, a.name, &res, &study);
	if (rc != 0)
		return rc;
	counts = cli_get(study, "counts");
	cli_err(cli, "would delete study %s and its %.0f trials (%.0f ok, "
	        "%.0f fail, %.0f running, %.0f queued); run again with --yes "
	        "to delete it", a.name, cli_get_num(counts, "total", 0),
	        cli_get_num(counts, "ok", 0), cli_get_num(counts, "fail", 0),
	        cli_get_num(counts, "running", 0),
	        cli_get_num(counts, "queued", 0));
	cJSON_Delete(res);
	return CLI_EXIT_USAGE;
}

const struct cli_command cli_cmd_rm = {
	.name = "rm",
	.args = "NAME --yes",
	.summary = "delete a study and all its trials",
	.help =
	"Without --yes nothing is deleted: rm says what it would delete and\n"
	"exits with status 2.\n"
	"\n"
	"  --yes    really delete\n",
	.exec = rm_exec,
};
