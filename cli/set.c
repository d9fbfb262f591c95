/*
 * `parzen set NAME --max-trials N [--heartbeat-timeout S]`: change the
 * settings of a study that its suggestions do not depend on
 * (study.update). The space, the algorithm, its config and the seed
 * cannot change: every suggestion so far came from them, and a study
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
		/*
		 * PRUNER: `--pruner JSON` joins here once study.create takes
		 * a pruner (the pruning work): parse it as --config is in
		 * `create` and send it as "pruner" with the rest.
		 */
		{ "json", no_argument, NULL, 'j' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int64_t max_trials = 0;
	double heartbeat = 0;
	bool json = false;
	const cJSON *study;
	cJSON *params, *res;
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
	if (max_trials == 0 && heartbeat == 0)
		return cli_usage_err(cli, "nothing to set: give --max-trials "
		                     "or --heartbeat-timeout");
	params = cli_study_params(argv[optind]);
	if (params == NULL ||
	    (max_trials > 0 &&
	     cJSON_AddNumberToObject(params, "max_trials",
	                             (double)max_trials) == NULL) ||
	    (heartbeat > 0 &&
	     cJSON_AddNumberToObject(params, "heartbeat_timeout",
	                             heartbeat) == NULL)) {
		cJSON_Delete(params);
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
		printf("study %s: max_trials %s, heartbeat_timeout %s s, %.0f "
		       "trials, %s\n", cli_get_str(study, "name", "?"), max,
		       cli_fmt_num(num, sizeof(num),
		                   cli_get_num(study, "heartbeat_timeout",
		                               NAN)),
		       cli_get_num(cli_get(study, "counts"), "total", 0),
		       cli_get_str(study, "state", "?"));
	}
	cJSON_Delete(res);
	return rc;
}

const struct cli_command cli_cmd_set = {
	.name = "set",
	.args = "NAME [--max-trials N] [--heartbeat-timeout SECONDS]",
	.summary = "change a study's budget or heartbeat timeout",
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
	"  --json                       print the daemon's reply\n",
	.exec = set_exec,
};
