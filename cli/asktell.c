/*
 * Ask and tell from a shell: `parzen ask`, `parzen tell`, `parzen
 * heartbeat`. They are the protocol's trial.ask, trial.tell and
 * trial.heartbeat as commands, for job arrays, Makefiles and shell loops
 * that run a trial per process instead of a `parzen worker` loop
 * (examples/slurm_array, examples/makefile).
 *
 * `ask` prints the trial as shell assignments of the variables `parzen
 * worker` gives its command (PARZEN_TRIAL_ID, PARZEN_PARAMS, ...), so a
 * script can `eval "$(parzen ask STUDY)"` and run what it would run
 * under a worker; `tell` then takes the attempt from the environment
 * when it is the same trial, so that a trial handed out again after a
 * reclaim cannot be told by its first holder.
 */
#include "cli.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Seconds between asks while --wait waits. */
#define WAIT_PERIOD 2.0

/* `s` single-quoted for a POSIX shell. */
static void put_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

static void put_var(FILE *f, const char *name, const char *value)
{
	fprintf(f, "export %s=", name);
	put_quoted(f, value);
	fputc('\n', f);
}

/* The trial of an ask's reply as shell assignments on stdout. */
static int print_env(const char *study, const cJSON *trial,
                     const struct pz_space *space)
{
	cJSON *values = cli_values(space, cli_get(trial, "params"));
	char *v = values != NULL ? cli_json_compact(values) : NULL;
	char *p = cli_json_compact(cli_get(trial, "params"));
	char *point = cli_json_compact(cli_get(trial, "point"));
	char num[3][32];
	int rc = CLI_EXIT_FAIL;

	if (v == NULL || p == NULL || point == NULL)
		goto out;
	snprintf(num[0], sizeof(num[0]), "%.0f", cli_get_num(trial, "id", 0));
	snprintf(num[1], sizeof(num[1]), "%.0f",
	         cli_get_num(trial, "number", 0));
	snprintf(num[2], sizeof(num[2]), "%.0f",
	         cli_get_num(trial, "attempt", 0));
	put_var(stdout, "PARZEN_STUDY", study);
	put_var(stdout, "PARZEN_TRIAL_ID", num[0]);
	put_var(stdout, "PARZEN_TRIAL_NUMBER", num[1]);
	put_var(stdout, "PARZEN_ATTEMPT", num[2]);
	put_var(stdout, "PARZEN_PARAMS", v);
	put_var(stdout, "PARZEN_PARAMS_INDEX", p);
	put_var(stdout, "PARZEN_POINT", point);
	rc = CLI_EXIT_OK;
out:
	cJSON_Delete(values);
	free(v);
	free(p);
	free(point);
	return rc;
}

/* Queued + running trials of `study` (which may come back), or -1. */
static double pending(const struct cli *cli, struct pz_client *c,
                      const char *study)
{
	const cJSON *counts;
	cJSON *res;
	double n;

	if (cli_call(cli, c, "study.get", cli_study_params(study), &res) != 0)
		return -1;
	counts = cli_get(cli_get(res, "study"), "counts");
	n = cli_get_num(counts, "queued", 0) + cli_get_num(counts, "running",
	                                                   0);
	cJSON_Delete(res);
	return n;
}

static int ask_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "worker", required_argument, NULL, 'w' },
		{ "wait", no_argument, NULL, 'W' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	const char *worker = NULL, *study, *reason = "";
	bool json = false, wait = false, said = false;
	struct pz_space *space = NULL;
	struct pz_client *c = NULL;
	cJSON *res = NULL, *params, *trial;
	int opt, rc, sigfd = -1;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts,
	                          NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'w':
			if (optarg[0] == '\0' || strlen(optarg) > 200)
				return cli_usage_err(cli, "--worker must be 1 "
				                     "to 200 bytes");
			worker = optarg;
			break;
		case 'W':
			wait = true;
			break;
		default:
			rc = cli_common_opt(cli, opt, optarg);
			if (rc >= 0)
				return rc;
		}
	}
	if (argc - optind != 1)
		return cli_usage_err(cli, "expected one study NAME");
	study = argv[optind];
	if (wait && (sigfd = cli_signals_open()) < 0) {
		cli_err(cli, "cannot set up signals");
		return CLI_EXIT_FAIL;
	}
	rc = cli_connect(cli, &c);
	if (rc != 0)
		goto out;
	for (;;) {
		double n;
		int sig;

		params = cli_study_params(study);
		if (params == NULL || (worker != NULL &&
		                       cJSON_AddStringToObject(params, "worker",
		                                               worker) == NULL)) {
			cJSON_Delete(params);
			rc = CLI_EXIT_FAIL;
			goto out;
		}
		rc = cli_call(cli, c, "trial.ask", params, &res);
		if (rc != 0)
			goto out;
		trial = cJSON_GetObjectItemCaseSensitive(res, "trial");
		if (cJSON_IsObject(trial))
			break;
		reason = cli_get_str(res, "reason", "");
		n = strcmp(reason, "paused") == 0 ? 1 : pending(cli, c, study);
		if (n < 0) {
			rc = CLI_EXIT_FAIL;
			goto out;
		}
		if (!wait || n == 0) {
			if (json)
				cli_print_json(res);
			if (strcmp(reason, "paused") == 0)
				cli_err(cli, "study %s is paused: no trial now",
				        study);
			else if (n > 0)
				cli_err(cli, "study %s has max_trials trials: no "
				        "new trial now (%.0f running or queued "
				        "may come back; --wait waits for them)",
				        study, n);
			else
				cli_err(cli, "study %s has nothing more to give "
				        "(max_trials trials, all finished)",
				        study);
			rc = CLI_EXIT_NONE;
			goto out;
		}
		if (!said)
			cli_err(cli, "%s", strcmp(reason, "paused") == 0
			        ? "the study is paused; waiting"
			        : "no new trials (max_trials); waiting for the "
			          "running ones, which may come back");
		said = true;
		cJSON_Delete(res);
		res = NULL;
		sig = cli_signals_wait(sigfd, WAIT_PERIOD);
		if (sig != 0) {
			rc = CLI_EXIT_SIGNAL + sig;
			goto out;
		}
	}
	rc = cli_call(cli, c, "study.get", cli_study_params(study), &params);
	if (rc == 0) {
		space = cli_study_space(cli_get(params, "study"));
		cJSON_Delete(params);
	}
	if (rc == 0 && json)
		rc = cli_add_values(space, trial) != 0 ? CLI_EXIT_FAIL
		                                       : cli_print_json(res);
	else if (rc == 0)
		rc = print_env(study, trial, space);
out:
	cJSON_Delete(res);
	pz_space_destroy(space);
	pz_client_destroy(c);
	if (sigfd >= 0)
		close(sigfd);
	return rc;
}

const struct cli_command cli_cmd_ask = {
	.name = "ask",
	.args = "NAME [--json] [--worker NAME] [--wait]",
	.summary = "take the next trial of a study (for shell scripts)",
	.help =
	"Take the next trial of study NAME (a queued one, else a new\n"
	"suggestion) and print it as the shell variables `parzen worker`\n"
	"gives its command, one `export NAME='value'` line each:\n"
	"PARZEN_STUDY, PARZEN_TRIAL_ID, PARZEN_TRIAL_NUMBER, PARZEN_ATTEMPT,\n"
	"PARZEN_PARAMS (choices by value), PARZEN_PARAMS_INDEX (choices by\n"
	"option index) and PARZEN_POINT. So\n"
	"\n"
	"    eval \"$(parzen ask demo)\" && ./train.sh\n"
	"\n"
	"runs a trial as a worker would; report it with `parzen tell`, and\n"
	"heart-beat a long one with `parzen heartbeat`. Exit status 5 when\n"
	"there is no trial to give now (the study is paused, or has\n"
	"max_trials trials); the reason is on stderr.\n"
	"\n"
	"  --json          print the daemon's reply, {\"trial\": {...}} with\n"
	"                  \"values\" beside \"params\" ({\"trial\": null,\n"
	"                  \"reason\": ...} when there is none)\n"
	"  --worker NAME   who asks: shown in `parzen status` and the trial;\n"
	"                  an ask under a name that already holds a running\n"
	"                  trial of the study gets that trial back (a\n"
	"                  retried job does not orphan it)\n"
	"  --wait          while the study is paused, or has max_trials\n"
	"                  trials of which some are still running or queued\n"
	"                  (they come back if their worker dies), ask again\n"
	"                  every 2 s instead of exiting with status 5\n",
	.exec = ask_exec,
};

/* The attempt to send for `trial`: --attempt, else $PARZEN_ATTEMPT when
 * $PARZEN_TRIAL_ID is this trial, else -1 (none). */
static int64_t env_attempt(int64_t trial)
{
	const char *id = getenv("PARZEN_TRIAL_ID");
	const char *attempt = getenv("PARZEN_ATTEMPT");
	int64_t v;

	if (id == NULL || attempt == NULL ||
	    cli_parse_int(id, 1, INT64_MAX, &v) != 0 || v != trial ||
	    cli_parse_int(attempt, 0, INT32_MAX, &v) != 0)
		return -1;
	return v;
}

struct trial_args {
	int64_t trial;
	int64_t attempt;   /* -1: from the environment, or none */
	const char *status;
	const char *loss;  /* NULL: none */
	const char *result;
	bool json;
};

static int parse_trial_args(struct cli *cli, int argc, char **argv,
                            bool tell, struct trial_args *a)
{
	static const struct option longopts[] = {
		{ "status", required_argument, NULL, 's' },
		{ "result", required_argument, NULL, 'r' },
		{ "attempt", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc, npos;

	memset(a, 0, sizeof(*a));
	a->attempt = -1;
	a->status = "ok";
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts,
	                          NULL)) != -1) {
		switch (opt) {
		case 's':
		case 'r':
			if (!tell)
				return cli_usage_err(cli, "no option --%s here",
				                     opt == 's' ? "status"
				                                : "result");
			if (opt == 'r') {
				a->result = optarg;
				break;
			}
			if (strcmp(optarg, "ok") != 0 &&
			    strcmp(optarg, "fail") != 0 &&
			    strcmp(optarg, "pruned") != 0)
				return cli_usage_err(cli, "--status must be ok, "
				                     "fail or pruned");
			a->status = optarg;
			break;
		case 'a':
			if (cli_parse_int(optarg, 0, INT32_MAX, &a->attempt))
				return cli_usage_err(cli, "--attempt must be an "
				                     "integer >= 0");
			break;
		case 'j':
			a->json = true;
			break;
		default:
			rc = cli_common_opt(cli, opt, optarg);
			if (rc >= 0)
				return rc;
		}
	}
	npos = argc - optind;
	if (npos < 1 || npos > (tell ? 2 : 1))
		return cli_usage_err(cli, tell ? "expected a TRIAL id and its "
		                              "LOSS"
		                               : "expected one TRIAL id");
	if (cli_parse_int(argv[optind], 1, INT64_C(9007199254740991),
	                  &a->trial))
		return cli_usage_err(cli, "TRIAL must be a trial id, an "
		                     "integer > 0 ($PARZEN_TRIAL_ID)");
	if (npos == 2)
		a->loss = argv[optind + 1];
	if (tell && a->loss == NULL && strcmp(a->status, "ok") == 0)
		return cli_usage_err(cli, "expected the LOSS of trial %s (or "
		                     "--status fail)", argv[optind]);
	if (a->attempt < 0)
		a->attempt = env_attempt(a->trial);
	return -1;
}

/* {"trial": id, "attempt": n?} */
static cJSON *trial_params(const struct trial_args *a)
{
	cJSON *p = cJSON_CreateObject();

	if (p == NULL ||
	    cJSON_AddNumberToObject(p, "trial", (double)a->trial) == NULL ||
	    (a->attempt >= 0 &&
	     cJSON_AddNumberToObject(p, "attempt", (double)a->attempt) ==
	             NULL)) {
		cJSON_Delete(p);
		return NULL;
	}
	return p;
}

static int tell_exec(struct cli *cli, int argc, char **argv)
{
	struct trial_args a;
	const cJSON *t;
	cJSON *p, *result = NULL, *res;
	char *end, num[64];
	double loss = NAN;
	int rc;

	rc = parse_trial_args(cli, argc, argv, true, &a);
	if (rc >= 0)
		return rc;
	if (a.loss != NULL && strcmp(a.status, "fail") != 0) {
		loss = strtod(a.loss, &end);
		if (end == a.loss || *end != '\0' || !isfinite(loss))
			return cli_usage_err(cli, "LOSS must be a finite "
			                     "number, not '%s'", a.loss);
	}
	if (a.result != NULL) {
		result = cJSON_Parse(a.result);
		if (!cJSON_IsObject(result)) {
			cJSON_Delete(result);
			return cli_usage_err(cli, "--result must be a JSON "
			                     "object such as '{\"acc\": 0.9}'");
		}
	}
	p = trial_params(&a);
	if (p == NULL ||
	    cJSON_AddStringToObject(p, "status", a.status) == NULL ||
	    (!isnan(loss) && cJSON_AddNumberToObject(p, "loss", loss) == NULL) ||
	    (result != NULL && !cJSON_AddItemToObject(p, "result", result))) {
		cJSON_Delete(result);
		cJSON_Delete(p);
		return CLI_EXIT_FAIL;
	}
	rc = cli_rpc(cli, "trial.tell", p, &res);
	if (rc != 0)
		return rc;
	t = cli_get(res, "trial");
	if (a.json) {
		rc = cli_print_json(res);
	} else if (cJSON_IsNumber(cli_get(t, "loss"))) {
		printf("trial %.0f (id %.0f) of study %s: %s, loss %s\n",
		       cli_get_num(t, "number", NAN), cli_get_num(t, "id", NAN),
		       cli_get_str(t, "study", "?"), cli_get_str(t, "state", "?"),
		       cli_fmt_num(num, sizeof(num), cli_get_num(t, "loss", 0)));
	} else {
		printf("trial %.0f (id %.0f) of study %s: %s\n",
		       cli_get_num(t, "number", NAN), cli_get_num(t, "id", NAN),
		       cli_get_str(t, "study", "?"), cli_get_str(t, "state", "?"));
	}
	cJSON_Delete(res);
	return rc;
}

const struct cli_command cli_cmd_tell = {
	.name = "tell",
	.args = "TRIAL [LOSS] [--status ok|fail|pruned] [--result JSON] "
	        "[--attempt N]",
	.summary = "report the outcome of a trial (for shell scripts)",
	.help =
	"Report trial TRIAL (its id, $PARZEN_TRIAL_ID): ok with LOSS (a\n"
	"finite number), or --status fail (LOSS then not needed).\n"
	"\n"
	"  --status S     ok (default), fail or pruned\n"
	"  --result JSON  a JSON object stored with the trial, such as\n"
	"                 '{\"accuracy\": 0.93}'\n"
	"  --attempt N    the attempt the trial was handed out with\n"
	"                 (default: $PARZEN_ATTEMPT when $PARZEN_TRIAL_ID is\n"
	"                 TRIAL, else 0). A trial that was reclaimed and\n"
	"                 handed to someone else refuses the first holder's\n"
	"                 tell (status 1).\n"
	"  --json         print the daemon's reply\n"
	"\n"
	"Status 1 when parzend refuses (the trial is already finished, or\n"
	"was handed to another worker), 4 when there is no such trial.\n",
	.exec = tell_exec,
};

static int heartbeat_exec(struct cli *cli, int argc, char **argv)
{
	struct trial_args a;
	const cJSON *t;
	cJSON *p, *res;
	char when[64];
	int rc;

	rc = parse_trial_args(cli, argc, argv, false, &a);
	if (rc >= 0)
		return rc;
	p = trial_params(&a);
	if (p == NULL)
		return CLI_EXIT_FAIL;
	rc = cli_rpc(cli, "trial.heartbeat", p, &res);
	if (rc != 0)
		return rc;
	t = cli_get(res, "trial");
	if (a.json)
		rc = cli_print_json(res);
	else
		printf("trial id %.0f: %s, attempt %.0f, deadline %s\n",
		       cli_get_num(t, "id", NAN), cli_get_str(t, "state", "?"),
		       cli_get_num(t, "attempt", NAN),
		       cli_fmt_time(when, sizeof(when),
		                    cli_get_num(t, "deadline", NAN)));
	cJSON_Delete(res);
	return rc;
}

const struct cli_command cli_cmd_heartbeat = {
	.name = "heartbeat",
	.args = "TRIAL [--attempt N] [--json]",
	.summary = "keep a running trial from being reclaimed",
	.help =
	"Extend the deadline of running trial TRIAL (its id) to now + the\n"
	"study's heartbeat_timeout. Call it more often than that while the\n"
	"trial runs. Status 1 when the trial is no longer running as this\n"
	"attempt (it was reclaimed and handed out again, or is finished):\n"
	"stop working on it.\n"
	"\n"
	"  --attempt N   as for `parzen tell`\n"
	"  --json        print the daemon's reply\n",
	.exec = heartbeat_exec,
};
