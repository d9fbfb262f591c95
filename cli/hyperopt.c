/*
 * parzen import-hyperopt: a search that hyperopt pickled (its results.pkl)
 * becomes a persistent study.
 *
 * Reading a pickle takes Python, so this command hands its arguments to
 * the Python package's importer (`python3 -m parzen import-hyperopt`,
 * python/parzen/__main__.py), which sends one study.import to parzend. It
 * replaces this process, so the importer's messages and exit status are
 * the command's. $PARZEN_PYTHON names the interpreter (default python3),
 * which must be able to import the parzen package.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int import_exec(struct cli *cli, int argc, char **argv)
{
	const char *py = getenv("PARZEN_PYTHON");
	char **args = calloc((size_t)argc + 7, sizeof(*args));
	int n = 0;

	if (py == NULL || py[0] == '\0')
		py = "python3";
	if (args == NULL) {
		cli_err(cli, "out of memory");
		return CLI_EXIT_FAIL;
	}
	args[n++] = (char *)py;
	args[n++] = "-m";
	args[n++] = "parzen";
	args[n++] = "import-hyperopt";
	if (cli->socket != NULL) {
		args[n++] = "--socket";
		args[n++] = (char *)cli->socket;
	}
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];
	execvp(py, args);
	cli_err(cli, "cannot run %s (%s): install Python 3 and the parzen "
	        "package, or name the interpreter in $PARZEN_PYTHON", py,
	        strerror(errno));
	free(args);
	return CLI_EXIT_FAIL;
}

const struct cli_command cli_cmd_import_hyperopt = {
	.name = "import-hyperopt",
	.args = "RESULTS.PKL --study NAME --space SPACE [--algo A] [--seed N]",
	.summary = "import a search hyperopt pickled into a new study",
	.help =
	"RESULTS.PKL: a pickled hyperopt Trials (hyperopt need not be\n"
	"installed). Runs `$PARZEN_PYTHON -m parzen import-hyperopt` (python3).\n"
	"\n"
	"  --study NAME        the new study\n"
	"  --space SPACE       FILE.json (a space document), or PATH.py:NAME /\n"
	"                      module:NAME (the hp space a script defines)\n"
	"  --algo A            tpe (default), random or anneal\n"
	"  --config JSON       the suggester's settings\n"
	"  --seed N            the study's seed (default: drawn)\n"
	"  --exist-ok          succeed if the study exists with this history\n",
	.exec = import_exec,
};
