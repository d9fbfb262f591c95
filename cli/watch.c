/*
 * `parzen watch`: a study's progress. Where parzend has study.watch, the
 * line is updated when the daemon says the study changed (a trial
 * created, started, reported, ended; notifications that come in a burst
 * make one update), and at least every --interval seconds for the rate;
 * an older parzend is polled with study.get every --interval seconds. On
 * a terminal one line is redrawn in place; otherwise a line is printed
 * whenever the counts, the best loss or the state change, so that a log
 * stays short. Finished trials are ok, failed and pruned ones. The rate
 * is measured over the last few minutes of updates (finished trials per
 * minute), and the ETA divides what is left of max_trials by it.
 *
 * It ends by itself when the study has max_trials trials and none is
 * running or queued; across a daemon restart it keeps trying to
 * reconnect (and subscribes again).
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <parzen/utf8.h>

/* Rate window: polls kept, and how far back they count. */
#define RING 512
#define WINDOW 300.0

struct sample {
	double t, done;
};

struct rate {
	struct sample s[RING];
	size_t head, n;
};

/* Add a sample; return the finished trials per second, or NAN. */
static double rate_update(struct rate *r, double t, double done)
{
	const struct sample *old;

	while (r->n > 0 && t - r->s[r->head].t > WINDOW) {
		r->head = (r->head + 1) % RING;
		r->n--;
	}
	if (r->n == RING) {
		r->head = (r->head + 1) % RING;
		r->n--;
	}
	r->s[(r->head + r->n) % RING] = (struct sample){ t, done };
	r->n++;
	old = &r->s[r->head];
	if (t - old->t <= 0 || done < old->done)
		return NAN;
	return (done - old->done) / (t - old->t);
}

/*
 * Format the progress of `study` into `line`, and into `key` the part
 * that a non-terminal update prints on (everything but rate and ETA).
 * Returns true when the study is complete.
 */
static bool describe(const cJSON *study, double per_sec, char *line,
                     size_t len, char *key, size_t klen)
{
	const cJSON *counts = cli_get(study, "counts");
	const cJSON *best = cli_get(study, "best");
	const cJSON *maxv = cli_get(study, "max_trials");
	double ok = cli_get_num(counts, "ok", 0);
	double fail = cli_get_num(counts, "fail", 0);
	double pruned = cli_get_num(counts, "pruned", 0);
	double running = cli_get_num(counts, "running", 0);
	double queued = cli_get_num(counts, "queued", 0);
	double total = cli_get_num(counts, "total", 0);
	double done = ok + fail + pruned;
	bool paused = strcmp(cli_get_str(study, "state", ""), "paused") == 0;
	char progress[64], bestbuf[96], rate[32], eta[32], num[64];
	char pruning[48] = "";

	if (cJSON_IsNumber(maxv))
		snprintf(progress, sizeof(progress), "%.0f/%.0f done", done,
		         maxv->valuedouble);
	else
		snprintf(progress, sizeof(progress), "%.0f done", done);
	if (cJSON_IsObject(best))
		snprintf(bestbuf, sizeof(bestbuf), "best %s (trial %.0f)",
		         cli_fmt_num(num, sizeof(num),
		                     cli_get_num(best, "loss", NAN)),
		         cli_get_num(best, "number", NAN));
	else
		snprintf(bestbuf, sizeof(bestbuf), "best -");
	if (pruned > 0)
		snprintf(pruning, sizeof(pruning), "%.0f pruned, ", pruned);
	snprintf(key, klen, "%s: %s, %.0f running, %.0f queued, %.0f failed, "
	         "%s%s%s", cli_get_str(study, "name", "?"), progress, running,
	         queued, fail, pruning, bestbuf, paused ? ", paused" : "");
	if (isnan(per_sec))
		snprintf(rate, sizeof(rate), "-");
	else
		snprintf(rate, sizeof(rate), "%.3g/min", per_sec * 60);
	if (cJSON_IsNumber(maxv) && per_sec > 0)
		cli_fmt_duration(eta, sizeof(eta),
		                 (maxv->valuedouble - done) / per_sec);
	else
		snprintf(eta, sizeof(eta), "-");
	snprintf(line, len, "%s, rate %s, ETA %s", key, rate, eta);
	return cJSON_IsNumber(maxv) && total >= maxv->valuedouble &&
	       running == 0 && queued == 0;
}

/*
 * Show `line`: redrawn on a terminal (cut to its width in characters,
 * never inside one, since a wrapped line could not be redrawn in place),
 * else printed when `key` changed.
 */
static void show(bool tty, const char *line, const char *key, char *last,
                 size_t llen)
{
	struct winsize ws;
	size_t bytes = strlen(line);

	if (tty) {
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
		    ws.ws_col > 1)
			bytes = pz_utf8_prefix(line, (size_t)ws.ws_col - 1);
		printf("\r\033[K%.*s", (int)bytes, line);
	} else if (strcmp(key, last) != 0) {
		printf("%s\n", line);
		snprintf(last, llen, "%s", key);
	}
	fflush(stdout);
}

struct watch {
	const struct cli *cli;
	const char *name;
	double interval;
	bool tty;
	int sigfd;
	struct pz_client *c;  /* NULL while parzend is unreachable */
	bool watching;        /* c has a study.watch subscription */
	bool no_watch;        /* parzend has no study.watch: poll */
	struct rate rate;
	char line[1200], key[1024], last[1024];
};

/*
 * Ask parzend to notify this connection of the study's changes. A parzend
 * without study.watch is polled instead; returns 0 then too.
 */
static int subscribe(struct watch *w)
{
	struct pz_error err = { 0 };
	int rc;

	rc = pz_client_keep_notifications(w->c, 4096);
	if (rc == 0)
		rc = pz_client_call(w->c, "study.watch",
		                    cli_study_params(w->name), NULL, &err);
	w->watching = rc == 0;
	w->no_watch = pz_client_last_rpc_code(w->c) == -32601;
	return rc == PZ_EIO ? rc : 0;
}

/*
 * Wait up to `timeout` seconds for a stop signal or, when subscribed, a
 * notification about the study (then take every one that arrived, so a
 * burst makes one update). Returns the signal number, or 0.
 */
static int wait_change(struct watch *w, double timeout)
{
	double end = cli_monotonic() + timeout;

	if (!w->watching || w->c == NULL)
		return cli_signals_wait(w->sigfd, timeout);
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = w->sigfd, .events = POLLIN },
			{ .fd = pz_client_fd(w->c), .events = POLLIN },
		};
		struct pz_error err = { 0 };
		cJSON *note = NULL;
		bool any = false;
		double left = end - cli_monotonic();
		int sig;

		/* Notifications kept while a call waited come first. */
		while (pz_client_next_notification(w->c, 0, &note, &err) == 0 &&
		       note != NULL) {
			any = true;
			cJSON_Delete(note);
		}
		if (any)
			return 0;
		if (pz_client_fd(w->c) < 0 || left <= 0)
			return 0;
		if (poll(pfd, 2, (int)ceil(left * 1000)) < 0 && errno != EINTR)
			return 0;
		while ((sig = cli_signals_read(w->sigfd)) != 0)
			if (cli_is_stop_signal(sig))
				return sig;
		if (pfd[1].revents != 0) {
			if (pz_client_next_notification(w->c, 0, &note, &err) !=
			    0)
				return 0; /* lost: the next update says so */
			if (note != NULL) {
				cJSON_Delete(note);
				any = true;
				while (pz_client_next_notification(
					       w->c, 0, &note, &err) == 0 &&
				       note != NULL)
					cJSON_Delete(note);
				return 0;
			}
		}
	}
}

/*
 * One update. Returns -1 to go on, else the exit status. A lost
 * daemon is shown and retried; a study that is gone ends the watch.
 */
static int poll_once(struct watch *w)
{
	struct pz_error err = { 0 };
	const cJSON *study, *counts;
	cJSON *res = NULL;
	double per_sec;
	bool complete;
	int rc;

	if (w->c == NULL &&
	    pz_client_connect(w->cli->socket, &w->c, &err) != 0) {
		snprintf(w->key, sizeof(w->key), "%s: %s", w->name, err.msg);
		show(w->tty, w->key, w->key, w->last, sizeof(w->last));
		return -1;
	}
	if (!w->watching && !w->no_watch && subscribe(w) == PZ_EIO) {
		pz_client_destroy(w->c);
		w->c = NULL;
		return -1;
	}
	rc = pz_client_call(w->c, "study.get", cli_study_params(w->name),
	                    &res, &err);
	if (rc == PZ_EIO) {
		pz_client_destroy(w->c);
		w->c = NULL;
		w->watching = false;
		snprintf(w->key, sizeof(w->key), "%s: %s; reconnecting",
		         w->name, err.msg);
		show(w->tty, w->key, w->key, w->last, sizeof(w->last));
		return -1;
	}
	if (rc != 0) {
		if (w->tty)
			putchar('\n');
		cli_err(w->cli, "%s", err.msg);
		return cli_exit_status(rc);
	}
	study = cli_get(res, "study");
	counts = cli_get(study, "counts");
	per_sec = rate_update(&w->rate, cli_monotonic(),
	                      cli_get_num(counts, "ok", 0) +
	                      cli_get_num(counts, "fail", 0) +
	                      cli_get_num(counts, "pruned", 0));
	complete = describe(study, per_sec, w->line, sizeof(w->line), w->key,
	                    sizeof(w->key));
	cJSON_Delete(res);
	show(w->tty, w->line, w->key, w->last, sizeof(w->last));
	if (!complete)
		return -1;
	if (w->tty)
		putchar('\n');
	return CLI_EXIT_OK;
}

static int watch_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct watch *w;
	int opt, rc, sig;

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return CLI_EXIT_FAIL;
	w->cli = cli;
	w->interval = 2;
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts,
	                          NULL)) != -1) {
		if (opt == 'i') {
			if (cli_parse_seconds(optarg, &w->interval) == 0)
				continue;
			rc = cli_usage_err(cli, "--interval must be a number "
			                   "of seconds > 0");
			goto out_w;
		}
		rc = cli_common_opt(cli, opt, optarg);
		if (rc >= 0)
			goto out_w;
	}
	if (argc - optind != 1) {
		rc = cli_usage_err(cli, "expected one study NAME");
		goto out_w;
	}
	w->name = argv[optind];
	w->tty = isatty(STDOUT_FILENO);
	w->sigfd = cli_signals_open();
	if (w->sigfd < 0) {
		cli_err(cli, "cannot set up signals");
		rc = CLI_EXIT_FAIL;
		goto out_w;
	}
	rc = cli_connect(cli, &w->c);
	if (rc != 0)
		goto out_sig;
	while ((rc = poll_once(w)) < 0) {
		sig = wait_change(w, w->interval);
		if (sig != 0) {
			if (w->tty)
				putchar('\n');
			rc = CLI_EXIT_SIGNAL + sig;
			break;
		}
	}
	pz_client_destroy(w->c);
out_sig:
	close(w->sigfd);
out_w:
	free(w);
	return rc;
}

const struct cli_command cli_cmd_watch = {
	.name = "watch",
	.args = "NAME [--interval SECONDS]",
	.summary = "follow a study's progress",
	.help =
	"Finished/max trials (ok, failed, pruned), running, queued,\n"
	"failed, pruned, best loss, rate\n"
	"(finished trials per minute over the last 5 minutes) and ETA,\n"
	"updated as parzend reports changes (study.watch), or polled on a\n"
	"parzend without it. On a\n"
	"terminal the line is redrawn; otherwise a line is printed each\n"
	"time the counts, the best loss or the state change. Ends with\n"
	"status 0 when the study has max_trials trials and none is running\n"
	"or queued (never, without max_trials), else at SIGINT, SIGTERM or\n"
	"SIGHUP. If parzend goes away, watch says so and reconnects.\n"
	"\n"
	"  --interval SECONDS   time between polls, and the longest time\n"
	"                       between updates when watching (default 2)\n",
	.exec = watch_exec,
};
