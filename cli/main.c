/*
 * parzen: the global options and the table of subcommands. Each command
 * lives in the file of its group (study.c, trials.c, watch.c, worker.c) and
 * gets a struct cli with the global options; main() only finds it, runs
 * it, and turns an interrupted command's status back into death by the
 * same signal, so that a shell sees what it would have seen without us.
 */
#include "cli.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_command *const commands[] = {
	&cli_cmd_create, &cli_cmd_ls, &cli_cmd_show, &cli_cmd_best,
	&cli_cmd_trials, &cli_cmd_enqueue, &cli_cmd_set, &cli_cmd_pause,
	&cli_cmd_resume, &cli_cmd_rm, &cli_cmd_watch, &cli_cmd_worker,
	&cli_cmd_ask, &cli_cmd_tell, &cli_cmd_heartbeat, &cli_cmd_report,
	&cli_cmd_plot, &cli_cmd_dashboard, &cli_cmd_export, &cli_cmd_import,
	&cli_cmd_import_hyperopt, &cli_cmd_backup, &cli_cmd_status,
	&cli_cmd_stop,
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: parzen [--socket PATH] COMMAND [ARGS...]\n"
	           "\n"
	           "Manage parzend's hyperparameter studies and run their "
	           "trials.\n\nCommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-15s %s\n", commands[i]->name,
		        commands[i]->summary);
	fprintf(f,
	        "\n"
	        "`parzen COMMAND --help` describes a command's arguments.\n"
	        "\n"
	        "Options:\n"
	        "  --socket PATH  parzend's socket, also accepted after the "
	        "command.\n"
	        "                 Default: $PARZEN_SOCKET if set (only that); "
	        "else your\n"
	        "                 socket, $XDG_RUNTIME_DIR/parzen/parzend.sock "
	        "(without\n"
	        "                 XDG_RUNTIME_DIR: /run/user/UID/parzen/ if "
	        "that exists,\n"
	        "                 else /tmp/parzen-UID/), then the system "
	        "socket\n"
	        "                 /run/parzen/parzend.sock\n"
	        "  -h, --help     this text\n"
	        "  -V, --version  the version\n"
	        "\n"
	        "Exit status:\n"
	        "  0      success\n"
	        "  1      parzend refused the request, or an operation "
	        "failed\n"
	        "         (the message is on stderr)\n"
	        "  2      usage error; also `rm` without --yes\n"
	        "  3      cannot connect to parzend (is it running?)\n"
	        "  4      not found: no such study or trial; `best`: no "
	        "trial\n"
	        "         finished ok yet\n"
	        "  5      `ask`: no trial to give now (the study is paused "
	        "or has\n"
	        "         max_trials trials)\n"
	        "  128+N  interrupted by signal N: the command cleaned up "
	        "and then\n"
	        "         died of the signal (130 for SIGINT, 143 for "
	        "SIGTERM)\n");
}

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	}
	return NULL;
}

/* Die of `sig` the way we would have without handling it. */
static void die_of_signal(int sig)
{
	sigset_t set;

	fflush(NULL);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	raise(sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, CLI_OPT_SOCKET },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { 0 };
	int opt, rc;

	/* "+": stop at the command; its options are its own. */
	while ((opt = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (opt) {
		case CLI_OPT_SOCKET:
			cli.socket = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case 'V':
			printf("parzen %s\n", PZ_VERSION);
			return CLI_EXIT_OK;
		default:
			fprintf(stderr, "Try 'parzen --help'.\n");
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	cli.cmd = find_command(argv[optind]);
	if (cli.cmd == NULL) {
		fprintf(stderr, "parzen: no command '%s'.\nTry 'parzen "
		        "--help'.\n", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	snprintf(cli.prog, sizeof(cli.prog), "parzen %s", cli.cmd->name);
	argv[optind] = cli.prog;
	rc = cli.cmd->exec(&cli, argc - optind, argv + optind);
	if (fflush(stdout) != 0 && rc == CLI_EXIT_OK) {
		cli_err(&cli, "cannot write the output");
		rc = CLI_EXIT_FAIL;
	}
	if (rc > CLI_EXIT_SIGNAL)
		die_of_signal(rc - CLI_EXIT_SIGNAL);
	return rc;
}
