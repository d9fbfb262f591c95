/*
 * The picture commands: `report` writes a study's self-contained HTML
 * report, `plot` one of its figures as SVG. Both fetch the study and all
 * its trials through the protocol and draw them with lib/report.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

struct report_args {
	const char *name;
	const char *kind;   /* plot only */
	const char *out;    /* NULL or "-": stdout */
	struct pz_report_options opt;
};

static int parse_report(struct cli *cli, int argc, char **argv, bool plot,
                        struct report_args *a)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "scale", required_argument, NULL, 's' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc, need = plot ? 2 : 1;

	memset(a, 0, sizeof(*a));
	pz_report_options_init(&a->opt);
	a->opt.now = (double)time(NULL);
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS "o:", longopts,
	                          NULL)) != -1) {
		switch (opt) {
		case 'o':
			a->out = optarg;
			break;
		case 's':
			if (strcmp(optarg, "auto") == 0)
				a->opt.loss_scale = PZ_REPORT_SCALE_AUTO;
			else if (strcmp(optarg, "linear") == 0)
				a->opt.loss_scale = PZ_REPORT_SCALE_LINEAR;
			else if (strcmp(optarg, "log") == 0)
				a->opt.loss_scale = PZ_REPORT_SCALE_LOG;
			else
				return cli_usage_err(cli, "--scale must be auto, "
				                     "linear or log");
			break;
		default:
			rc = cli_common_opt(cli, opt, optarg);
			if (rc >= 0)
				return rc;
		}
	}
	if (argc - optind != need)
		return cli_usage_err(cli, plot ? "expected a study NAME and a "
		                                 "figure KIND"
		                               : "expected one study NAME");
	a->name = argv[optind];
	if (plot) {
		a->kind = argv[optind + 1];
		for (int i = 0; pz_report_plot_kinds[i] != NULL; i++)
			if (strcmp(pz_report_plot_kinds[i], a->kind) == 0)
				return -1;
		return cli_usage_err(cli, "no figure '%s' (history, learning, "
		                     "importance, effects, priors, pairs, "
		                     "parallel, contour, edf, timeline)",
		                     a->kind);
	}
	return -1;
}

static int write_out(const struct cli *cli, const char *path,
                     const char *text, size_t len)
{
	FILE *f = path == NULL || strcmp(path, "-") == 0 ? stdout
	                                                  : fopen(path, "w");
	int bad;

	if (f == NULL) {
		cli_err(cli, "cannot write %s: %s", path, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	bad = fwrite(text, 1, len, f) != len;
	if (f != stdout)
		bad |= fclose(f) != 0;
	else
		bad |= fflush(f) != 0;
	if (bad) {
		cli_err(cli, "cannot write %s: %s", path ? path : "stdout",
		        strerror(errno));
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

static int draw(struct cli *cli, int argc, char **argv, bool plot)
{
	struct report_args a;
	struct pz_client *c;
	struct pz_error err = { 0 };
	cJSON *study = NULL, *trials = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = parse_report(cli, argc, argv, plot, &a);
	if (rc >= 0)
		return rc;
	if ((rc = cli_connect(cli, &c)) != 0)
		return rc;
	rc = pz_client_fetch_study(c, a.name, &study, &trials, &err);
	pz_client_destroy(c);
	if (rc != 0) {
		cli_err(cli, "%s", err.msg);
		return cli_exit_status(rc);
	}
	rc = plot ? pz_report_plot(study, trials, a.kind, &a.opt, &text, &len,
	                           &err)
	          : pz_report_html(study, trials, &a.opt, &text, &len, &err);
	if (rc != 0) {
		cli_err(cli, "drawing the report: %s", err.msg);
		rc = CLI_EXIT_FAIL;
	} else {
		rc = write_out(cli, a.out, text, len);
		if (rc == 0 && a.out != NULL && strcmp(a.out, "-") != 0)
			fprintf(stderr, "wrote %s (%d trials, %zu bytes)\n", a.out,
			        cJSON_GetArraySize(trials), len);
	}
	free(text);
	cJSON_Delete(study);
	cJSON_Delete(trials);
	return rc;
}

static int report_exec(struct cli *cli, int argc, char **argv)
{
	return draw(cli, argc, argv, false);
}

static int plot_exec(struct cli *cli, int argc, char **argv)
{
	return draw(cli, argc, argv, true);
}

const struct cli_command cli_cmd_report = {
	.name = "report",
	.args = "NAME [-o FILE] [--scale auto|linear|log]",
	.summary = "write a study's HTML report (plots, importance, table)",
	.help =
	"One self-contained HTML file (inline SVG, no network): the loss\n"
	"history, learning curves (when trials reported values), the effect\n"
	"of each hyperparameter, their importance, priors against what was\n"
	"sampled, a scatter matrix, parallel coordinates, a contour, the\n"
	"distribution of the losses, the workers' timeline, and a sortable\n"
	"trials table (docs/report.md).\n"
	"\n"
	"  -o, --output FILE   write here (default: stdout)\n"
	"  --scale S           loss axes: auto (log when losses span a\n"
	"                      decade or more), linear or log\n",
	.exec = report_exec,
};

const struct cli_command cli_cmd_plot = {
	.name = "plot",
	.args = "NAME KIND [-o FILE] [--scale auto|linear|log]",
	.summary = "write one figure of a study's report as SVG",
	.help =
	"KIND: history, learning, importance, effects, priors, pairs,\n"
	"parallel, contour, edf or timeline.\n"
	"\n"
	"  -o, --output FILE   write here (default: stdout)\n"
	"  --scale S           loss axes: auto, linear or log\n",
	.exec = plot_exec,
};
