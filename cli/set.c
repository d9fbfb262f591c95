/*
 * `parzen set NAME [--max-trials N] [--heartbeat-timeout S] [--pruner
 * JSON]`: change the settings of a study that its suggestions do not
 * depend on (study.update). The space, the algorithm, its config and the
 * seed cannot change: every suggestion so far came from them, and a study
 * resumes exactly only with what made them (docs/cli.md, "set").
 */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int set_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "max-trials", required_argument, NULL, 'm' },
		{ "heartbeat-timeout", required_argument, NULL, 't' },
		{ "pruner", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int64_t max_trials = 0;
	double heartbeat = 0;
	bool json = false;
	const cJSON *study;
	cJSON *params, *res, *pruner = NULL;
	const char *end;
	char num[64];
	int opt, rc;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts,
	                          NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (cli_parse_int(optarg, 1, INT64_C(4294967294),
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
		case 'p':
			/* The daemon checks the pruner; here only that it is
			 * a JSON object. */
			cJSON_Delete(pruner);
			pruner = cJSON_ParseWithOpts(optarg, &end, 1);
			if (!cJSON_IsObject(pruner)) {
				cJSON_Delete(pruner);
				return cli_usage_err(cli, "--pruner must be a "
				                     "JSON object, {\"kind\": "
				                     "\"median\", ...}");
			}
			break;
		case 'j':
			json = true;
			break;
		default:
			rc = cli_common_opt(cli, opt, optarg);
			if (rc >= 0) {
				cJSON_Delete(pruner);
				return rc;
			}
		}
	}
	if (argc - optind != 1 ||
	    (max_trials == 0 && heartbeat == 0 && pruner == NULL)) {
		cJSON_Delete(pruner);
		if (argc - optind != 1)
			return cli_usage_err(cli, "expected one study NAME");
		return cli_usage_err(cli, "nothing to set: give --max-trials, "
		                     "--heartbeat-timeout or --pruner");
	}
	params = cli_study_params(argv[optind]);
	if (params == NULL ||
	    (max_trials > 0 &&
	     cJSON_AddNumberToObject(params, "max_trials",
	                             (double)max_trials) == NULL) ||
	    (heartbeat > 0 &&
	     cJSON_AddNumberToObject(params, "heartbeat_timeout",
	                             heartbeat) == NULL) ||
	    (pruner != NULL &&
	     !cJSON_AddItemToObject(params, "pruner", pruner))) {
		cJSON_Delete(params);
		cJSON_Delete(pruner);
		return CLI_EXIT_FAIL;
	}
	rc = cli_rpc(cli, "study.update", params, &res);
	if (rc != 0)
		return rc;
	study = cli_get(res, "study");
	if (json) {
		rc = cli_print_json(res);
	} else {
		const cJSON *m = cli_get(study, "max_trials");
		char max[64];

		if (cJSON_IsNumber(m))
			snprintf(max, sizeof(max), "%.0f", m->valuedouble);
		else
			snprintf(max, sizeof(max), "unlimited");
		printf("study %s: max_trials %s, heartbeat_timeout %s s, "
		       "pruner %s, %.0f trials, %s\n",
		       cli_get_str(study, "name", "?"), max,
		       cli_fmt_num(num, sizeof(num),
		                   cli_get_num(study, "heartbeat_timeout",
		                               NAN)),
		       cli_get_str(cli_get(study, "pruner"), "kind", "none"),
		       cli_get_num(cli_get(study, "counts"), "total", 0),
		       cli_get_str(study, "state", "?"));
	}
	cJSON_Delete(res);
	return rc;
}

const struct cli_command cli_cmd_set = {
	.name = "set",
	.args = "NAME [--max-trials N] [--heartbeat-timeout SECONDS] "
	        "[--pruner JSON]",
	.summary = "change a study's budget, heartbeat timeout or pruner",
	.help =
	"Change the settings that suggestions do not depend on. A raised\n"
	"--max-trials lets workers and asks go on where the study stopped\n"
	"(a done study is running again); it may be lowered, but not below\n"
	"the trials the study already has. The space, algo, config and seed\n"
	"cannot change: the study resumes exactly only with what made its\n"
	"suggestions (export it and import it under another name instead).\n"
	"\n"
	"  --max-trials N               the study's budget of trials\n"
	"  --heartbeat-timeout SECONDS  a running trial whose worker is\n"
	"                               silent this long is handed out again\n"
	"                               (from each trial's next heartbeat;\n"
	"                               `parzen worker` reads it when it\n"
	"                               starts)\n"
	"  --pruner JSON                a new pruner, {\"kind\": \"median\",\n"
	"                               ...} as `create --pruner` takes it\n"
	"                               ({\"kind\": \"none\"} for none); it\n"
	"                               judges the reports made from now on,\n"
	"                               and trials pruned so far stay pruned\n"
	"  --json                       print the daemon's reply\n",
	.exec = set_exec,
};
