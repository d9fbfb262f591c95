/*
 * One trial's command as a child process, for `parzen worker`.
 *
 * The command runs in its own process group with its stdin, stdout and
 * stderr on pipes. The caller pumps it with child_wait(), which returns
 * when it exits, when a timeout passes (time to heart-beat) or when
 * a stop signal arrives on the caller's signalfd (cli_signals_open()). On
 * the way the given stdin bytes are written, and the last CHILD_TAIL bytes
 * of stdout and of stderr are kept; optionally both are also copied to
 * ours, so the command's output stays visible.
 *
 * Optionally the command also gets a report pipe: a descriptor of a
 * number chosen by the caller (PARZEN_REPORT_FD) on which it writes lines,
 * "STEP VALUE" for `parzen worker`; child_wait() returns when complete
 * lines have arrived, and child_report_line() hands them out one by one.
 *
 * Memory stays bounded whatever the command prints, and a command that
 * does not read its stdin, or leaves a background process holding the
 * pipes, cannot block the worker.
 */
#ifndef PZ_CLI_CHILD_H
#define PZ_CLI_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <parzen/error.h>

/* Bytes of stdout and of stderr kept. */
#define CHILD_TAIL (64u << 10)
/* Longest report line kept; longer ones are handed out cut, flagged. */
#define CHILD_REPORT_LINE 256
/* Report lines waiting to be handed out, at most (then reading waits). */
#define CHILD_REPORT_QUEUE 256
/* child_wait(): report lines are waiting. */
#define CHILD_REPORTS (-2)

/* The last bytes of a stream. */
struct child_tail {
	char *buf;          /* CHILD_TAIL bytes, buf[0..len) kept */
	size_t len;
	uint64_t total;     /* bytes seen, kept or not */
};

struct child {
	pid_t pid;          /* 0 once reaped */
	int status;         /* waitpid() status once reaped */
	int in_fd, out_fd, err_fd;      /* our ends; -1 once closed */
	const char *in;     /* borrowed: bytes still to write to stdin */
	size_t in_len;
	bool forward;       /* copy stdout/stderr to ours */
	struct child_tail out, err;
	int rep_fd;         /* our end of the report pipe, or -1 */
	struct child_line *rep_q;   /* a ring of CHILD_REPORT_QUEUE lines */
	size_t rep_head, rep_n;
	struct child_line *rep_cur; /* the line being read */
};

/* A report line. */
struct child_line {
	char text[CHILD_REPORT_LINE];
	size_t len;
	bool cut;           /* longer than CHILD_REPORT_LINE - 1 bytes */
};

/*
 * Start argv[0] (searched in $PATH) with `envp` and `in_len` bytes of
 * `in` (borrowed until the child is finished) on its stdin. With the
 * signals of cli_signals_open() unblocked and SIGPIPE default in the
 * child. On failure, including an argv[0] that cannot be executed, *ch
 * holds nothing to finish and `err` says why.
 */
int child_spawn(struct child *ch, char *const argv[], char *const envp[],
                const char *in, size_t in_len, bool forward,
                struct pz_error *err);

/*
 * child_spawn() with a report pipe whose writing end the child holds as
 * descriptor `report_fd` (>= 3).
 */
int child_spawn_reporting(struct child *ch, char *const argv[],
                          char *const envp[], const char *in, size_t in_len,
                          bool forward, int report_fd, struct pz_error *err);

/*
 * The next complete report line (without its '\n', NUL-terminated, cut
 * to CHILD_REPORT_LINE - 1 bytes with *cut set) into `line`; false when
 * none is waiting. After the child exited, a last line without '\n'
 * counts as complete.
 */
bool child_report_line(struct child *ch, char *line, bool *cut);

/*
 * Pump the pipes until the child exits (returns 0; ch->status is its wait
 * status and what it printed is in the tails), `timeout` seconds pass
 * (returns -1), a stop signal is read from `sigfd` (returns its number),
 * or complete report lines are waiting (returns CHILD_REPORTS).
 */
int child_wait(struct child *ch, int sigfd, double timeout);

/*
 * Stop the child: SIGTERM to its process group, SIGKILL after `grace`
 * seconds or as soon as a stop signal is read from `sigfd`, and reap
 * it. Returns the signal read meanwhile, or 0.
 */
int child_stop(struct child *ch, int sigfd, double grace);

/* Kill and reap the child if still there, close the pipes, free. */
void child_finish(struct child *ch);

#endif
