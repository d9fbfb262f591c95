/*
 * `parzen worker NAME -- CMD ARGS...`: ask parzend for a trial of the study,
 * run CMD on it, tell the outcome, and again, until the study has nothing
 * more to give, --count trials were run, or SIGINT/SIGTERM/SIGHUP.
 *
 * The command sees the trial in its environment (PARZEN_PARAMS, the flat
 * params with choices by value, PARZEN_PARAMS_INDEX, the same with
 * choices by option index, and PARZEN_POINT, the evaluated point, as
 * JSON; PARZEN_TRIAL_ID and friends) and the point as one JSON line on
 * its stdin. Its outcome is
 * the last non-empty line of its stdout: a number is the loss; a JSON
 * object is a hyperopt-style result dict, {"loss": .., "status": "ok" or
 * "fail", ...}, whose other keys are stored as the trial's result. A
 * non-zero exit, a death by signal or a last line that is neither fails
 * the trial, with the reason and the tail of stderr in its result.
 *
 * The command may report intermediate values (its validation loss after
 * each epoch, say) by writing lines "STEP VALUE" to the descriptor whose
 * number is in PARZEN_REPORT_FD; the worker sends each as trial.report.
 * When the study's pruner says stop, the worker stops the command
 * (SIGTERM to its process group, SIGKILL after --grace) and tells the
 * trial "pruned".
 *
 * While the command runs the worker heart-beats every third of the
 * study's heartbeat_timeout (child_wait() returns in time for it). The
 * connection may drop at any point, parzend being restarted: the worker
 * reconnects with backoff and repeats what it was doing. A repeated ask
 * under the same worker name (host:pid) gets the same trial back; a
 * repeated tell whose first copy was committed is refused as "already
 * finished", which is the expected outcome. On a stop signal the command
 * is stopped, its trial given back (trial.release), and the worker exits.
 */
#include "child.h"
#include "cli.h"

#include <parzen/sockdir.h>
#include <parzen/utf8.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Reconnect delays double from MIN to MAX seconds. */
#define BACKOFF_MIN 0.1
#define BACKOFF_MAX 5.0
/* Seconds between asks while the study is paused or others finish. */
#define IDLE_WAIT 2.0
/* Bytes of stderr put into a failed trial's result. */
#define STDERR_IN_RESULT 8192
/* Bytes of a bad output line quoted in the message. */
#define QUOTE_MAX 200
/* The descriptor a command reports on (PARZEN_REPORT_FD). */
#define REPORT_FD 3

extern char **environ;

struct worker {
	const struct cli *cli;
	const char *study;
	char *const *cmd;       /* argv of the command, NULL-terminated */
	int64_t count;          /* trials to run; -1: no limit */
	double grace;           /* seconds between SIGTERM and SIGKILL */
	int sigfd;
	struct pz_client *c;    /* NULL while disconnected */
	char socket[PZ_SOCKDIR_PATH_MAX + 1]; /* where the first connect
	                                       * went; "" before it */
	char name[320];         /* host:pid */
	double beat;            /* heartbeat period, seconds */
	double backoff;         /* next reconnect delay */
	bool lost;              /* "lost parzend" was said */
	const char *waiting;    /* the wait last announced, to say it once */
	struct pz_space *space; /* for params by value; NULL: by index */
};

/* What a run of the command amounts to, as a tell. */
struct outcome {
	bool ok;
	bool pruned;            /* stopped by the pruner ("pruned") */
	double loss;
	cJSON *result;          /* owned object, or NULL */
	char what[320];         /* for the log line */
};

/*
 * Connect to parzend. The first connection follows --socket or the
 * discovery order; later ones go to the same socket, so a worker whose
 * daemon restarts never drifts to another daemon meanwhile.
 */
static int worker_connect(struct worker *w, struct pz_error *err)
{
	int rc = pz_client_connect(w->socket[0] != '\0' ? w->socket
	                                                : w->cli->socket,
	                           &w->c, err);

	if (rc == 0 && w->socket[0] == '\0')
		snprintf(w->socket, sizeof(w->socket), "%s",
		         pz_client_socket_path(w->c));
	return rc;
}

static void disconnected(struct worker *w, const char *why)
{
	pz_client_destroy(w->c);
	w->c = NULL;
	if (!w->lost)
		cli_err(w->cli, "%s; reconnecting", why);
	w->lost = true;
}

static void connected(struct worker *w)
{
	if (w->lost)
		cli_err(w->cli, "reconnected to parzend");
	w->lost = false;
	w->backoff = BACKOFF_MIN;
}

static double next_backoff(struct worker *w)
{
	double d = w->backoff;

	w->backoff = fmin(w->backoff * 2, BACKOFF_MAX);
	return d;
}

/*
 * Wait out the backoff after a failure. Returns 0, or 128 + the signal
 * that ended the wait.
 */
static int back_off(struct worker *w)
{
	int sig = cli_signals_wait(w->sigfd, next_backoff(w));

	return sig == 0 ? 0 : CLI_EXIT_SIGNAL + sig;
}

/* Connect, retrying with backoff. Returns 0 or 128 + a signal. */
static int reconnect(struct worker *w)
{
	struct pz_error err = { 0 };
	int rc;

	while (w->c == NULL) {
		if (worker_connect(w, &err) == 0)
			return 0;
		disconnected(w, err.msg);
		rc = back_off(w);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Say once that the worker waits, and why. */
static void announce(struct worker *w, const char *why)
{
	if (w->waiting == why)
		return;
	w->waiting = why;
	cli_err(w->cli, "%s", why);
}

/*
 * study.get: the counts of queued and running trials, and the heartbeat
 * timeout. Returns 0 or the PZ_E* code (with `err` set).
 */
static int get_study(struct worker *w, double *pending, double *timeout,
                     struct pz_error *err)
{
	const cJSON *study, *counts;
	cJSON *res;
	int rc;

	rc = pz_client_call(w->c, "study.get", cli_study_params(w->study),
	                    &res, err);
	if (rc != 0)
		return rc;
	study = cli_get(res, "study");
	counts = cli_get(study, "counts");
	*pending = cli_get_num(counts, "queued", 0) +
	           cli_get_num(counts, "running", 0);
	*timeout = cli_get_num(study, "heartbeat_timeout", 60);
	if (w->space == NULL)
		w->space = cli_study_space(study);
	cJSON_Delete(res);
	return 0;
}

/*
 * Ask until there is a trial (returns 0) or the study has nothing more
 * to give (returns 0 with t->none set). Waits while the study is paused,
 * and, once max_trials are created, while trials are still running or
 * queued elsewhere: those may come back when their worker dies. Any other
 * return is the exit status.
 */
static int ask(struct worker *w, struct pz_trial_ticket *t)
{
	struct pz_error err = { 0 };
	double pending = 0, timeout;
	int rc;

	for (;;) {
		rc = reconnect(w);
		if (rc != 0)
			return rc;
		rc = pz_client_ask(w->c, w->study, w->name, t, &err);
		if (rc == 0 && t->none && strcmp(t->reason, "paused") != 0)
			rc = get_study(w, &pending, &timeout, &err);
		if (rc == PZ_EIO) {
			pz_client_ticket_finish(t);
			disconnected(w, err.msg);
			rc = back_off(w);
			if (rc != 0)
				return rc;
			continue;
		}
		if (rc != 0) {
			cli_err(w->cli, "%s", err.msg);
			return cli_exit_status(rc);
		}
		connected(w);
		if (!t->none) {
			w->waiting = NULL;
			return 0;
		}
		if (strcmp(t->reason, "paused") == 0)
			announce(w, "the study is paused; waiting");
		else if (pending == 0)
			return 0;
		else
			announce(w, "no new trials (max_trials); waiting "
			         "for the running ones, which may come back");
		pz_client_ticket_finish(t);
		rc = cli_signals_wait(w->sigfd, IDLE_WAIT);
		if (rc != 0)
			return CLI_EXIT_SIGNAL + rc;
	}
}

/*
 * A copy of s[0..n) fit for a JSON string: NUL bytes and invalid UTF-8
 * become '?' (parzend refuses lines that are not UTF-8). Free with free().
 */
static char *clean_utf8(const char *s, size_t n)
{
	char *out = malloc(n + 1);

	if (out == NULL)
		return NULL;
	memcpy(out, s, n);
	out[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (out[i] == '\0')
			out[i] = '?';
	pz_utf8_scrub(out, n, '?');
	return out;
}

/*
 * The last non-empty line of a tail, without surrounding white space;
 * *cut when its start may have been dropped (the tail overflowed).
 */
static void last_line(const struct child_tail *t, const char **line,
                      size_t *n, bool *cut)
{
	size_t end = t->len, start;

	while (end > 0 && isspace((unsigned char)t->buf[end - 1]))
		end--;
	start = end;
	while (start > 0 && t->buf[start - 1] != '\n')
		start--;
	*cut = start == 0 && end > 0 && t->total > t->len;
	while (start < end && isspace((unsigned char)t->buf[start]))
		start++;
	*line = t->buf + start;
	*n = end - start;
}

/* Add the end of stderr, from a line start if it was cut, as "stderr". */
static int add_stderr(cJSON *result, const struct child_tail *t)
{
	size_t start = t->len > STDERR_IN_RESULT ? t->len - STDERR_IN_RESULT :
	               0, end = t->len;
	char *text;
	bool ok;

	if (start > 0 || t->total > t->len) {
		const char *nl = memchr(t->buf + start, '\n', end - start);

		if (nl != NULL && nl + 1 < t->buf + end)
			start = (size_t)(nl + 1 - t->buf);
	}
	while (end > start && isspace((unsigned char)t->buf[end - 1]))
		end--;
	if (end == start)
		return 0;
	text = clean_utf8(t->buf + start, end - start);
	ok = text != NULL && cJSON_AddStringToObject(result, "stderr", text);
	free(text);
	return ok ? 0 : PZ_ENOMEM;
}

/*
 * Fail the outcome: `what` for the log, and as "error" in the result
 * unless the result has one, with the end of stderr.
 */
__attribute__((format(printf, 3, 4)))
static int fail(struct outcome *o, const struct child *ch,
                const char *fmt, ...)
{
	va_list ap;

	o->ok = false;
	va_start(ap, fmt);
	vsnprintf(o->what, sizeof(o->what), fmt, ap);
	va_end(ap);
	if (o->result == NULL)
		o->result = cJSON_CreateObject();
	if (o->result == NULL ||
	    (cli_get(o->result, "error") == NULL &&
	     cJSON_AddStringToObject(o->result, "error", o->what) == NULL))
		return PZ_ENOMEM;
	return add_stderr(o->result, &ch->err);
}

/*
 * A JSON result dict: status "ok" (the default when there is a loss) needs
 * a finite numeric loss; "fail" fails the trial as the command says. The
 * other keys are the trial's result.
 */
static int from_dict(struct outcome *o, const struct child *ch, cJSON *obj)
{
	cJSON *status = cJSON_DetachItemFromObjectCaseSensitive(obj, "status");
	cJSON *loss = cJSON_DetachItemFromObjectCaseSensitive(obj, "loss");
	const char *st = cJSON_IsString(status) ? status->valuestring :
	                 status == NULL && loss != NULL ? "ok" : NULL;
	int rc;

	o->result = obj->child != NULL ? obj : NULL;
	if (o->result == NULL)
		cJSON_Delete(obj);
	if (st != NULL && strcmp(st, "fail") == 0) {
		o->ok = false;
		snprintf(o->what, sizeof(o->what), "status fail");
		rc = 0;
	} else if (st != NULL && strcmp(st, "ok") == 0) {
		if (cJSON_IsNumber(loss) && isfinite(loss->valuedouble)) {
			o->ok = true;
			o->loss = loss->valuedouble;
			rc = 0;
		} else {
			rc = fail(o, ch, "the result's status is ok but its "
			          "loss is not a finite number");
		}
	} else if (status == NULL) {
		rc = fail(o, ch, "the JSON result has neither a loss nor a "
		          "status");
	} else {
		rc = fail(o, ch, "the result's status must be \"ok\" or "
		          "\"fail\"");
	}
	cJSON_Delete(status);
	cJSON_Delete(loss);
	return rc;
}

/* The outcome of a command that exited with status 0. */
static int from_output(struct outcome *o, const struct child *ch)
{
	const char *line, *end = NULL;
	char *text, *num_end;
	size_t n;
	bool cut;
	double v;
	cJSON *obj;
	int rc;

	last_line(&ch->out, &line, &n, &cut);
	if (n == 0)
		return fail(o, ch, "the command printed nothing on stdout; its "
		            "last line must be the loss or a JSON result");
	if (cut)
		return fail(o, ch, "the last line of stdout is longer than "
		            "%u bytes", CHILD_TAIL);
	/* Cleaned, so that its strings can travel (and NULs do not cut). */
	text = clean_utf8(line, n);
	if (text == NULL)
		return PZ_ENOMEM;

	errno = 0;
	v = strtod(text, &num_end);
	if (num_end == text + n && num_end != text) {
		if (isfinite(v)) {
			o->ok = true;
			o->loss = v;
			rc = 0;
		} else {
			rc = fail(o, ch, "the loss is not a finite number: %s",
			          text);
		}
		goto out;
	}
	obj = text[0] == '{' ?
	      cJSON_ParseWithLengthOpts(text, n, &end, 0) : NULL;
	if (cJSON_IsObject(obj) && end == text + n) {
		rc = from_dict(o, ch, obj);
		goto out;
	}
	cJSON_Delete(obj);
	rc = fail(o, ch, "the last line of stdout is neither a number nor a "
	          "JSON object: '%.*s%s'", n < QUOTE_MAX ? (int)n : QUOTE_MAX,
	          text, n > QUOTE_MAX ? "..." : "");
out:
	free(text);
	return rc;
}

/* Turn what the command did into an outcome; 0 or PZ_ENOMEM. */
static int outcome_make(struct outcome *o, const struct child *ch,
                        const char *cmd)
{
	int st = ch->status, rc;

	memset(o, 0, sizeof(*o));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return from_output(o, ch);
	if (WIFEXITED(st)) {
		rc = fail(o, ch, "%s exited with status %d", cmd,
		          WEXITSTATUS(st));
		if (rc == 0 && cJSON_AddNumberToObject(o->result, "exit_status",
		                                       WEXITSTATUS(st)) == NULL)
			rc = PZ_ENOMEM;
	} else {
		rc = fail(o, ch, "%s was killed by signal %d (%s)", cmd,
		          WTERMSIG(st), strsignal(WTERMSIG(st)));
		if (rc == 0 && cJSON_AddNumberToObject(o->result, "signal",
		                                       WTERMSIG(st)) == NULL)
			rc = PZ_ENOMEM;
	}
	return rc;
}

/*
 * Tell parzend, repeating across reconnects until it answers. An outcome
 * it refuses (a result it cannot store) is told once more as a failure
 * with the reason, so that the trial does not stay running. Returns 0 to
 * go on, else the exit status.
 */
static int tell(struct worker *w, const struct pz_trial_ticket *t,
                struct outcome *o)
{
	struct pz_error err = { 0 };
	bool repeated = false, refused = false;
	char *result = NULL;
	int rc;

	for (;;) {
		if (result == NULL && o->result != NULL) {
			result = cli_json_compact(o->result);
			if (result == NULL)
				return CLI_EXIT_FAIL;
		}
		rc = reconnect(w);
		if (rc != 0)
			break;
		rc = pz_client_tell_status(w->c, t->id, t->attempt,
		                           o->pruned ? "pruned"
		                           : o->ok   ? "ok"
		                                     : "fail",
		                           o->pruned ? NAN : o->loss, result,
		                           &err);
		if (rc == PZ_EIO) {
			disconnected(w, err.msg);
			repeated = true;
			rc = back_off(w);
			if (rc != 0)
				break;
			continue;
		}
		connected(w);
		if (rc == 0)
			break;
		if (rc == PZ_ESTATE) {
			/* After a drop: the first copy was committed. */
			if (!repeated)
				cli_err(w->cli, "trial %" PRId64 " was not "
				        "recorded: %s", t->number, err.msg);
			rc = 0;
			break;
		}
		if (rc == PZ_ENOENT) {
			cli_err(w->cli, "%s", err.msg);
			rc = CLI_EXIT_NOTFOUND;
			break;
		}
		if (refused) {
			cli_err(w->cli, "cannot report trial %" PRId64 ": %s",
			        t->number, err.msg);
			rc = 0;
			break;
		}
		refused = true;
		cli_err(w->cli, "parzend refused trial %" PRId64 "'s outcome "
		        "(%s); telling it failed", t->number, err.msg);
		cJSON_Delete(o->result);
		free(result);
		result = NULL;
		o->ok = false;
		o->pruned = false;
		o->result = cJSON_CreateObject();
		if (o->result == NULL ||
		    cJSON_AddStringToObject(o->result, "error",
		                            err.msg) == NULL) {
			rc = CLI_EXIT_FAIL;
			break;
		}
	}
	if (rc > CLI_EXIT_SIGNAL)
		cli_err(w->cli, "trial %" PRId64 "'s outcome was not "
		        "reported", t->number);
	free(result);
	return rc;
}

/* Give the trial back, on the way out; best effort. */
static void release(struct worker *w, const struct pz_trial_ticket *t)
{
	struct pz_error err = { 0 };

	if ((w->c != NULL ||
	     worker_connect(w, &err) == 0) &&
	    pz_client_release(w->c, t->id, t->attempt, &err) == 0) {
		cli_err(w->cli, "gave trial %" PRId64 " back", t->number);
		return;
	}
	cli_err(w->cli, "could not give trial %" PRId64 " back (%s); parzend "
	        "hands it out again after its heartbeat timeout", t->number,
	        err.msg);
}

/*
 * Heart-beat. Returns true when the trial is no longer this worker's
 * (taken back after a missed deadline, or deleted): stop working on it.
 * *next is when to beat again; sooner while parzend is away.
 */
static bool heartbeat(struct worker *w, const struct pz_trial_ticket *t,
                      double *next)
{
	struct pz_error err = { 0 };
	int rc = PZ_EIO;

	if (w->c != NULL ||
	    worker_connect(w, &err) == 0)
		rc = pz_client_heartbeat(w->c, t->id, t->attempt, &err);
	if (rc == PZ_EIO) {
		disconnected(w, err.msg);
		*next = cli_monotonic() + fmin(next_backoff(w), w->beat);
		return false;
	}
	connected(w);
	*next = cli_monotonic() + w->beat;
	if (rc == PZ_ESTATE || rc == PZ_ENOENT) {
		cli_err(w->cli, "trial %" PRId64 " is no longer ours (%s); "
		        "stopping its command", t->number, err.msg);
		return true;
	}
	if (rc != 0)
		cli_err(w->cli, "heartbeat of trial %" PRId64 ": %s",
		        t->number, err.msg);
	return false;
}

/*
 * The environment of a trial's command: ours without any PARZEN_* of the
 * eight below, then those eight. The first eight pointers are owned.
 */
#define N_TRIAL_VARS 8

static char **trial_env(const struct worker *w,
                        const struct pz_trial_ticket *t, const char *values,
                        const char *params, const char *point)
{
	static const char *const names[N_TRIAL_VARS] = {
		"PARZEN_STUDY=", "PARZEN_TRIAL_ID=", "PARZEN_TRIAL_NUMBER=",
		"PARZEN_ATTEMPT=", "PARZEN_PARAMS=", "PARZEN_POINT=",
		"PARZEN_PARAMS_INDEX=", "PARZEN_REPORT_FD=",
	};
	size_t n = 0, k = N_TRIAL_VARS;
	char **env;
	int r = 0;

	while (environ[n] != NULL)
		n++;
	env = calloc(n + N_TRIAL_VARS + 1, sizeof(*env));
	if (env == NULL)
		return NULL;
	r |= asprintf(&env[0], "%s%s", names[0], w->study) < 0;
	r |= asprintf(&env[1], "%s%" PRId64, names[1], t->id) < 0;
	r |= asprintf(&env[2], "%s%" PRId64, names[2], t->number) < 0;
	r |= asprintf(&env[3], "%s%d", names[3], t->attempt) < 0;
	r |= asprintf(&env[4], "%s%s", names[4], values) < 0;
	r |= asprintf(&env[5], "%s%s", names[5], point) < 0;
	r |= asprintf(&env[6], "%s%s", names[6], params) < 0;
	r |= asprintf(&env[7], "%s%d", names[7], REPORT_FD) < 0;
	if (r != 0) {
		/* asprintf leaves a failed pointer undefined. */
		free(env);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		bool ours = false;

		for (size_t j = 0; j < N_TRIAL_VARS && !ours; j++)
			ours = strncmp(environ[i], names[j],
			               strlen(names[j])) == 0;
		if (!ours)
			env[k++] = environ[i];
	}
	return env;
}

static void free_env(char **env)
{
	if (env == NULL)
		return;
	for (size_t i = 0; i < N_TRIAL_VARS; i++)
		free(env[i]);
	free(env);
}

/*
 * One report line "STEP VALUE" (white space around and between): 0 with
 * *step and *value, or -1.
 */
static int parse_report(const char *line, int64_t *step, double *value)
{
	char *end;
	long long s;

	errno = 0;
	while (isspace((unsigned char)*line))
		line++;
	if (!isdigit((unsigned char)*line))
		return -1;
	s = strtoll(line, &end, 10);
	if (errno != 0 || s > (INT64_C(1) << 53) - 1 ||
	    !isspace((unsigned char)*end))
		return -1;
	*value = strtod(end, &end);
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0' || errno != 0 || !isfinite(*value))
		return -1;
	*step = s;
	return 0;
}

/*
 * Send the report lines that are waiting, retrying across reconnects. A
 * line that is not "STEP VALUE", or a report parzend refuses, is said and
 * skipped. Returns 0, or 128 + a signal that came meanwhile; *decision
 * gets the pruner's word when it says stop (prune set).
 */
static int send_reports(struct worker *w, const struct pz_trial_ticket *t,
                        struct child *ch, struct pz_client_decision *decision)
{
	char line[CHILD_REPORT_LINE];
	struct pz_client_decision d;
	struct pz_error err = { 0 };
	int64_t step;
	double value;
	bool cut;
	int rc;

	while (!decision->prune && child_report_line(ch, line, &cut)) {
		if (cut || parse_report(line, &step, &value) != 0) {
			char *text = clean_utf8(line, strlen(line));

			cli_err(w->cli, "trial %" PRId64 ": ignoring the report "
			        "line '%s%s': expected STEP VALUE (an integer "
			        ">= 0 and a finite number)", t->number,
			        text != NULL ? text : "?", cut ? "..." : "");
			free(text);
			continue;
		}
		for (;;) {
			rc = reconnect(w);
			if (rc != 0)
				return rc;
			rc = pz_client_report(w->c, t->id, t->attempt, step,
			                      value, &d, &err);
			if (rc != PZ_EIO)
				break;
			disconnected(w, err.msg);
			rc = back_off(w);
			if (rc != 0)
				return rc;
		}
		connected(w);
		if (rc != 0) {
			cli_err(w->cli, "trial %" PRId64 ": report of step %"
			        PRId64 " refused: %s", t->number, step, err.msg);
			continue;
		}
		if (d.prune)
			*decision = d;
	}
	return 0;
}

/*
 * Run one trial: spawn, heart-beat and send its reports until the command
 * exits or the pruner stops it, tell. Returns 0 to go on, else the exit
 * status (after giving the trial back when interrupted).
 */
static int run_trial(struct worker *w, const struct pz_trial_ticket *t)
{
	struct pz_error err = { 0 };
	struct pz_client_decision pruned = { 0 };
	struct outcome o = { 0 };
	struct child ch;
	char *params, *point, *values = NULL, *in = NULL, **env = NULL;
	char took[32], num[64];
	cJSON *vj = cli_values(w->space, t->params);
	double start, next;
	int rc = CLI_EXIT_FAIL, r;

	params = cli_json_compact(t->params);
	point = cli_json_compact(t->point);
	if (vj != NULL)
		values = cli_json_compact(vj);
	cJSON_Delete(vj);
	if (params != NULL && point != NULL && values != NULL &&
	    asprintf(&in, "%s\n", point) < 0)
		in = NULL;
	if (in == NULL ||
	    (env = trial_env(w, t, values, params, point)) == NULL) {
		cli_err(w->cli, "out of memory");
		release(w, t);
		goto out;
	}
	if (t->attempt > 0)
		cli_err(w->cli, "trial %" PRId64 " (id %" PRId64 ", attempt "
		        "%d): %s", t->number, t->id, t->attempt, values);
	else
		cli_err(w->cli, "trial %" PRId64 " (id %" PRId64 "): %s",
		        t->number, t->id, values);
	if (child_spawn_reporting(&ch, w->cmd, env, in, strlen(in), true,
	                          REPORT_FD, &err) != 0) {
		cli_err(w->cli, "%s", err.msg);
		release(w, t);
		goto out;
	}
	start = cli_monotonic();
	next = start + w->beat;
	for (;;) {
		r = child_wait(&ch, w->sigfd, next - cli_monotonic());
		if (r == 0)
			break;
		if (r > 0) {
			cli_err(w->cli, "%s: stopping trial %" PRId64,
			        strsignal(r), t->number);
			child_stop(&ch, w->sigfd, w->grace);
			release(w, t);
			rc = CLI_EXIT_SIGNAL + r;
			goto out_child;
		}
		if (r == CHILD_REPORTS) {
			r = send_reports(w, t, &ch, &pruned);
			if (r != 0) {
				child_stop(&ch, w->sigfd, w->grace);
				release(w, t);
				rc = r;
				goto out_child;
			}
			if (pruned.prune)
				break;
			continue;
		}
		if (heartbeat(w, t, &next)) {
			r = child_stop(&ch, w->sigfd, w->grace);
			rc = r != 0 ? CLI_EXIT_SIGNAL + r : CLI_EXIT_OK;
			goto out_child;
		}
	}
	if (pruned.prune) {
		/* Stopped by the pruner: the command's end is ours. */
		cli_err(w->cli, "trial %" PRId64 ": pruned at step %" PRId64
		        " (%s); stopping its command", t->number, pruned.step,
		        pruned.reason);
		r = child_stop(&ch, w->sigfd, w->grace);
		o.pruned = true;
		o.result = cJSON_CreateObject();
		if (o.result == NULL ||
		    cJSON_AddNumberToObject(o.result, "pruned_at",
		                            (double)pruned.step) == NULL ||
		    cJSON_AddStringToObject(o.result, "reason",
		                            pruned.reason) == NULL) {
			cJSON_Delete(o.result);
			cli_err(w->cli, "out of memory");
			release(w, t);
			goto out_child;
		}
		rc = tell(w, t, &o);
		cJSON_Delete(o.result);
		if (rc == 0 && r != 0)
			rc = CLI_EXIT_SIGNAL + r;
		goto out_child;
	}
	/* What it reported just before its exit, before its outcome. */
	rc = send_reports(w, t, &ch, &pruned);
	if (rc != 0) {
		release(w, t);
		goto out_child;
	}
	rc = CLI_EXIT_FAIL;
	if (WIFEXITED(ch.status) && (WEXITSTATUS(ch.status) == 126 ||
	                             WEXITSTATUS(ch.status) == 127)) {
		/*
		 * The shell's "cannot execute" and "not found" (also what a
		 * failed exec looks like where posix_spawn cannot report
		 * it): every trial would fail the same way, so stop rather
		 * than burn through the study.
		 */
		cli_err(w->cli, "%s exited with status %d: it could not be "
		        "run (not found, or not executable?)", w->cmd[0],
		        WEXITSTATUS(ch.status));
		release(w, t);
		goto out_child;
	}
	if (outcome_make(&o, &ch, w->cmd[0]) != 0) {
		cli_err(w->cli, "out of memory");
		release(w, t);
		goto out_child;
	}
	cli_fmt_duration(took, sizeof(took), cli_monotonic() - start);
	if (o.ok)
		cli_err(w->cli, "trial %" PRId64 ": ok, loss %s (%s)",
		        t->number, cli_fmt_num(num, sizeof(num), o.loss), took);
	else
		cli_err(w->cli, "trial %" PRId64 ": fail: %s (%s)", t->number,
		        o.what, took);
	rc = tell(w, t, &o);
	cJSON_Delete(o.result);
out_child:
	child_finish(&ch);
out:
	free_env(env);
	free(in);
	free(params);
	free(values);
	free(point);
	return rc;
}

/* host:pid, a name no other live worker has. */
static void worker_name(char *buf, size_t len)
{
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(buf, len, "%s:%d", host, (int)getpid());
}

/*
 * Options end at "--"; what follows is the command. Without "--", the
 * command is what follows NAME (and may then have no options of its own).
 */
static int parse_worker(struct cli *cli, int argc, char **argv,
                        struct worker *w)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "grace", required_argument, NULL, 'g' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int dash = argc, opt, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			dash = i;
			break;
		}
	}
	cli_getopt_reset();
	while ((opt = getopt_long(dash, argv, CLI_SHORTOPTS, longopts,
	                          NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (cli_parse_int(optarg, 1, INT64_MAX, &w->count))
				return cli_usage_err(cli, "--count must be an "
				                     "integer > 0");
			break;
		case 'g':
			if (cli_parse_seconds(optarg, &w->grace))
				return cli_usage_err(cli, "--grace must be a "
				                     "number of seconds > 0");
			break;
		default:
			rc = cli_common_opt(cli, opt, optarg);
			if (rc >= 0)
				return rc;
		}
	}
	if (optind >= dash)
		return cli_usage_err(cli, "expected a study NAME, then -- "
		                     "and the command to run");
	w->study = argv[optind];
	if (dash < argc) {
		if (dash - optind != 1)
			return cli_usage_err(cli, "unexpected argument '%s' "
			                     "before --", argv[optind + 1]);
		w->cmd = argv + dash + 1;
	} else {
		w->cmd = argv + optind + 1;
	}
	if (w->cmd[0] == NULL)
		return cli_usage_err(cli, "expected the command to run after "
		                     "--");
	return -1;
}

static int worker_exec(struct cli *cli, int argc, char **argv)
{
	struct worker w = {
		.cli = cli,
		.count = -1,
		.grace = 10,
		.backoff = BACKOFF_MIN,
		.sigfd = -1,
	};
	struct pz_trial_ticket t;
	struct pz_error err = { 0 };
	double pending, timeout;
	int64_t ran = 0;
	int rc;

	rc = parse_worker(cli, argc, argv, &w);
	if (rc >= 0)
		return rc;
	worker_name(w.name, sizeof(w.name));
	/* A command that closes its stdin early must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	w.sigfd = cli_signals_open();
	if (w.sigfd < 0) {
		cli_err(cli, "cannot set up signals: %s", strerror(errno));
		return CLI_EXIT_FAIL;
	}
	rc = cli_connect(cli, &w.c);
	if (rc != 0)
		goto out_sig;
	rc = get_study(&w, &pending, &timeout, &err);
	if (rc != 0) {
		cli_err(cli, "%s", err.msg);
		rc = cli_exit_status(rc);
		goto out_client;
	}
	w.beat = fmax(timeout / 3, 0.05);

	pz_client_ticket_init(&t);
	while (w.count < 0 || ran < w.count) {
		rc = ask(&w, &t);
		if (rc != 0 || t.none)
			break;
		rc = run_trial(&w, &t);
		pz_client_ticket_finish(&t);
		if (rc != 0)
			break;
		ran++;
	}
	pz_client_ticket_finish(&t);
	if (rc == 0)
		cli_err(cli, "ran %" PRId64 " trial%s; %s", ran,
		        ran == 1 ? "" : "s",
		        w.count >= 0 && ran >= w.count ? "--count reached" :
		        "the study has nothing more to give");
out_client:
	pz_client_destroy(w.c);
	pz_space_destroy(w.space);
out_sig:
	close(w.sigfd);
	return rc;
}

const struct cli_command cli_cmd_worker = {
	.name = "worker",
	.args = "NAME [--count N] [--grace SECONDS] -- CMD [ARGS...]",
	.summary = "run a command for each trial of a study",
	.help =
	"Ask parzend for a trial of study NAME, run CMD for it, report the\n"
	"outcome, and again. CMD gets in its environment\n"
	"\n"
	"  PARZEN_PARAMS        the flat params as JSON, a choice by its\n"
	"                       option's value: {\"lr\": 0.01, \"opt\": \"adam\"}\n"
	"  PARZEN_PARAMS_INDEX  the same, a choice by its option's index\n"
	"                       (hyperopt's argmin): {\"lr\": 0.01, \"opt\": 1}\n"
	"  PARZEN_POINT         the evaluated point (the space with every\n"
	"                       hyperparameter replaced by its value), JSON\n"
	"  PARZEN_TRIAL_ID, PARZEN_TRIAL_NUMBER, PARZEN_ATTEMPT, PARZEN_STUDY\n"
	"  PARZEN_REPORT_FD     a descriptor (3) for intermediate values\n"
	"\n"
	"and the point as one JSON line on its stdin. The last non-empty\n"
	"line of its stdout is its outcome: a number is the loss, or a JSON\n"
	"object {\"loss\": 0.1, \"status\": \"ok\"|\"fail\", ...} (hyperopt's\n"
	"result dict) whose other keys are stored as the trial's result. A\n"
	"non-zero exit, a death by signal or any other last line fails the\n"
	"trial, with the reason and the end of stderr in its result. The\n"
	"command's output is passed through to ours.\n"
	"\n"
	"CMD may report intermediate values as it trains, one line\n"
	"\"STEP VALUE\" each (an integer step >= 0 and a finite value, lower\n"
	"is better) on the descriptor in PARZEN_REPORT_FD: in a shell\n"
	"echo \"$epoch $loss\" >&\"$PARZEN_REPORT_FD\", in Python\n"
	"parzen.report(loss, epoch). The worker sends each to parzend; when\n"
	"the study's pruner says stop, the worker stops CMD (as below) and\n"
	"tells the trial \"pruned\" (its loss: the last value reported).\n"
	"\n"
	"The worker heart-beats while CMD runs (every third of the study's\n"
	"heartbeat_timeout), reconnects with backoff if parzend restarts,\n"
	"and waits while the study is paused. On SIGINT, SIGTERM or SIGHUP it\n"
	"stops CMD (SIGTERM to its process group, SIGKILL after --grace\n"
	"seconds or at a second signal), gives the trial back and exits.\n"
	"\n"
	"  --count N          run at most N trials (default: until the study\n"
	"                     has max_trials trials and none is running or\n"
	"                     queued)\n"
	"  --grace SECONDS    between SIGTERM and SIGKILL (default 10)\n"
	"\n"
	"A command that cannot be started, or that exits with status 126 or\n"
	"127 (the shell's \"cannot execute\" and \"not found\"), ends the\n"
	"worker with status 1 and its trial is given back: every trial would\n"
	"fail the same way. Other failed trials do not stop the worker.\n",
	.exec = worker_exec,
};
