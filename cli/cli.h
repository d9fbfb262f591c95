/*
 * parzen, the command-line tool: what its subcommands share.
 *
 * main.c parses the global options into a struct cli and runs one entry of
 * its command table; each command file (study.c, trials.c, watch.c,
 * worker.c) defines its entries. common.c holds the helpers below: error
 * messages and exit statuses, talking to parzend through lib/client,
 * reading inputs, formatting numbers and times, and signals; table.c
 * prints aligned tables.
 *
 * Nothing here keeps global state: signals are read from a signalfd, and a
 * command that was interrupted returns 128 + the signal number so that
 * main() can die of the same signal after stdout is flushed.
 */
#ifndef PZ_CLI_H
#define PZ_CLI_H

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <parzen/client.h>
#include <parzen/space.h>

/* Exit statuses; `parzen --help` and docs/cli.md list them. */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAIL = 1,     /* parzend refused, or an operation failed */
	CLI_EXIT_USAGE = 2,    /* bad command line */
	CLI_EXIT_CONNECT = 3,  /* cannot connect to parzend */
	CLI_EXIT_NOTFOUND = 4, /* no such study or trial, or no best yet */
	CLI_EXIT_NONE = 5,     /* ask: no trial to give now */
	CLI_EXIT_SIGNAL = 128, /* + signal number: interrupted */
};

struct cli_command;

/* What every command gets: the global options and its own table entry. */
struct cli {
	const char *socket;   /* --socket, or NULL: the client's default */
	const struct cli_command *cmd;
	char prog[64];        /* "parzen NAME", for messages and getopt */
};

/*
 * One subcommand. `exec` gets the arguments after the global options,
 * argv[0] being cli->prog, and returns an exit status.
 */
struct cli_command {
	const char *name;
	const char *args;     /* synopsis after the name */
	const char *summary;  /* one line for `parzen --help` */
	const char *help;     /* the options, for `parzen NAME --help` */
	int (*exec)(struct cli *cli, int argc, char **argv);
};

extern const struct cli_command cli_cmd_create, cli_cmd_ls, cli_cmd_show,
	cli_cmd_best, cli_cmd_pause, cli_cmd_resume, cli_cmd_rm,
	cli_cmd_trials, cli_cmd_enqueue, cli_cmd_watch, cli_cmd_worker,
	cli_cmd_report, cli_cmd_plot, cli_cmd_import_hyperopt, cli_cmd_set,
	cli_cmd_ask, cli_cmd_tell, cli_cmd_heartbeat, cli_cmd_status,
	cli_cmd_stop, cli_cmd_backup, cli_cmd_export, cli_cmd_import,
	cli_cmd_dashboard;

/*
 * Options every command takes. Put CLI_COMMON_LONGOPTS in a command's
 * getopt_long table and hand every option it does not know itself to
 * cli_common_opt(), which returns -1 to go on parsing, else the exit
 * status to return at once (after --help, or a usage error). The short
 * options string should start with CLI_SHORTOPTS.
 *
 * Commands call cli_getopt_reset() first, since main() parsed the global
 * options with the same getopt state. Options may then follow positional
 * arguments (GNU permutation); "--" ends them.
 */
#define CLI_OPT_SOCKET 0x100
#define CLI_SHORTOPTS "h"
#define CLI_COMMON_LONGOPTS                                             \
	{ "socket", required_argument, NULL, CLI_OPT_SOCKET },          \
	{ "help", no_argument, NULL, 'h' }
int cli_common_opt(struct cli *cli, int opt, const char *arg);
void cli_getopt_reset(void);

/* "parzen NAME: <message>" on stderr. */
void cli_err(const struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* cli_err() plus a pointer to --help; returns CLI_EXIT_USAGE. */
int cli_usage_err(const struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The exit status for a failed pz_client_* call's PZ_E* code. */
int cli_exit_status(int pz_rc);

/* Connect to parzend; on failure says why and returns CLI_EXIT_CONNECT. */
int cli_connect(const struct cli *cli, struct pz_client **out);

/*
 * One call on `c` (see pz_client_call: `params` is consumed). On failure
 * the daemon's message goes to stderr and the exit status is returned.
 */
int cli_call(const struct cli *cli, struct pz_client *c, const char *method,
             cJSON *params, cJSON **result);

/* Connect, call once, disconnect. */
int cli_rpc(const struct cli *cli, const char *method, cJSON *params,
            cJSON **result);

/* {"study": name}; NULL when out of memory. */
cJSON *cli_study_params(const char *name);

/*
 * Print a JSON value, indented by two spaces, and a newline on stdout.
 * Numbers are exact, in their shortest form (pz_json_number).
 * cli_write_json() writes the same to `f`, as if nested `depth` levels
 * deep, without the newline.
 */
int cli_print_json(const cJSON *v);
void cli_write_json(FILE *f, const cJSON *v, int depth);

/* A member of an object, or NULL. */
const cJSON *cli_get(const cJSON *obj, const char *key);

/* A number member, or `def` when absent or not a number. */
double cli_get_num(const cJSON *obj, const char *key, double def);

/* A string member, or `def`. */
const char *cli_get_str(const cJSON *obj, const char *key, const char *def);

/*
 * The whole of a file, or of stdin when `path` is "-", NUL-terminated;
 * NULL with a message in `err` on failure. Free with free().
 */
char *cli_read_file(const char *path, struct pz_error *err);

/* Whole-string parsing: 0, or -1 when `s` is not a number in range. */
int cli_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);
int cli_parse_seconds(const char *s, double *out);

/*
 * Formatting for people. A number: an integer as one, else 6 significant
 * digits. A value: numbers as above, a string as it is, anything else
 * compact JSON (true, null, {"name":"sgd"}). A time: local "YYYY-mm-dd
 * HH:MM:SS". A duration: "45s", "12m05s", "3h20m", "2d04h". Each writes
 * into `buf` and returns it.
 */
char *cli_fmt_num(char *buf, size_t len, double v);
char *cli_fmt_value(char *buf, size_t len, const cJSON *v);
char *cli_fmt_time(char *buf, size_t len, double unix_seconds);
char *cli_fmt_duration(char *buf, size_t len, double seconds);

/*
 * Flat params in the value form as "label=value label=value": a choice's
 * value as pz_params_value_text() gives it (the report and the dashboard
 * name its option so), other values as cli_fmt_value. `space` may be
 * NULL (then every value as cli_fmt_value). A malloc'd string (free()),
 * NULL when out of memory.
 */
char *cli_fmt_params(const struct pz_space *space, const cJSON *params);

/*
 * Values, not indices (lib/params.h, "the value form"): what people read
 * and write. cli_study_space() parses a Study object's space (NULL when
 * it cannot: the callers then show the index form). cli_values() is the
 * value form of a trial's "params" (a new object; NULL when out of
 * memory). cli_add_values() adds it to a Trial object as "values", right
 * after "params" (0, or PZ_ENOMEM; nothing without a space).
 */
struct pz_space *cli_study_space(const cJSON *study);
/* study.get of `study`, for its space (*space NULL when it has none). */
int cli_get_space(const struct cli *cli, const char *study,
                  struct pz_space **space);
cJSON *cli_values(const struct pz_space *space, const cJSON *params);
int cli_add_values(const struct pz_space *space, cJSON *trial);

/* Compact JSON of `v`, numbers exact (free with free()), or NULL. */
char *cli_json_compact(const cJSON *v);

/* Monotonic seconds. */
double cli_monotonic(void);

/*
 * Block the stop signals (SIGINT, SIGTERM, SIGHUP) and SIGCHLD and return
 * a non-blocking, close-on-exec signalfd that reports them, or -1 (errno
 * set). Child processes must unblock them again (child.c does, in
 * posix_spawn).
 */
int cli_signals_open(void);

/* Whether `sig` asks us to stop: SIGINT, SIGTERM or SIGHUP. */
bool cli_is_stop_signal(int sig);

/*
 * Wait up to `timeout` seconds (< 0: forever) for a stop signal on
 * `sigfd`. Returns the signal number, or 0 when the time is up.
 */
int cli_signals_wait(int sigfd, double timeout);

/* Read one pending signal from `sigfd`: its number, or 0 if none. */
int cli_signals_read(int sigfd);

/*
 * An aligned text table. Add the header, then rows; every row has
 * `ncols` cells, copied. Columns whose bit is set in `right` are aligned
 * right; the last column is never padded.
 */
struct cli_table;

struct cli_table *cli_table_create(size_t ncols, unsigned right);
void cli_table_destroy(struct cli_table *t);
int cli_table_add(struct cli_table *t, const char *const *cells);
void cli_table_print(const struct cli_table *t, FILE *f);

/*
 * Trials as CSV (RFC 4180) on `f`: number, id, state, loss, worker,
 * started, finished, then params_LABEL per label, by value (trials.c).
 * `space` (may be NULL) turns choices' indices into values.
 */
int cli_trials_csv(FILE *f, const struct pz_space *space,
                   const cJSON *trials);

#endif
