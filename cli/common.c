/*
 * Helpers every parzen subcommand uses: messages and exit statuses, one-shot
 * calls to parzend, inputs (files, numbers), formatting for people, and
 * signals through a signalfd so that no handler has to touch a global.
 */
#include "cli.h"

#include <parzen/json.h>
#include <parzen/params.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

int cli_common_opt(struct cli *cli, int opt, const char *arg)
{
	const char *summary = cli->cmd->summary;

	switch (opt) {
	case CLI_OPT_SOCKET:
		cli->socket = arg;
		return -1;
	case 'h':
		printf("usage: parzen %s %s\n\n%c%s.\n", cli->cmd->name,
		       cli->cmd->args, toupper((unsigned char)summary[0]),
		       summary + 1);
		if (cli->cmd->help[0] != '\0')
			printf("\n%s", cli->cmd->help);
		printf("\nCommon options: --socket PATH (default: "
		       "$PARZEN_SOCKET, else your\n"
		       "socket, else the system socket; see `parzen --help`), "
		       "-h/--help.\n"
		       "Exit status: see `parzen --help`.\n");
		return CLI_EXIT_OK;
	default:
		/* getopt has already said what was wrong. */
		fprintf(stderr, "Try '%s --help'.\n", cli->prog);
		return CLI_EXIT_USAGE;
	}
}

void cli_getopt_reset(void)
{
	/* 0 makes glibc's getopt start afresh, rereading its options. */
	optind = 0;
	opterr = 1;
}

static void verr(const struct cli *cli, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", cli->prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_err(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(cli, fmt, ap);
	va_end(ap);
}

int cli_usage_err(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(cli, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help'.\n", cli->prog);
	return CLI_EXIT_USAGE;
}

int cli_exit_status(int pz_rc)
{
	if (pz_rc == 0)
		return CLI_EXIT_OK;
	return pz_rc == PZ_ENOENT ? CLI_EXIT_NOTFOUND : CLI_EXIT_FAIL;
}

int cli_connect(const struct cli *cli, struct pz_client **out)
{
	struct pz_error err = { 0 };

	if (pz_client_connect(cli->socket, out, &err) != 0) {
		cli_err(cli, "%s", err.msg);
		return CLI_EXIT_CONNECT;
	}
	return CLI_EXIT_OK;
}

int cli_call(const struct cli *cli, struct pz_client *c, const char *method,
             cJSON *params, cJSON **result)
{
	struct pz_error err = { 0 };
	int rc = pz_client_call(c, method, params, result, &err);

	if (rc != 0)
		cli_err(cli, "%s", err.msg);
	return cli_exit_status(rc);
}

int cli_rpc(const struct cli *cli, const char *method, cJSON *params,
            cJSON **result)
{
	struct pz_client *c;
	int rc;

	if (result != NULL)
		*result = NULL;
	rc = cli_connect(cli, &c);
	if (rc != 0) {
		cJSON_Delete(params);
		return rc;
	}
	rc = cli_call(cli, c, method, params, result);
	pz_client_destroy(c);
	return rc;
}

cJSON *cli_study_params(const char *name)
{
	cJSON *p = cJSON_CreateObject();

	if (cJSON_AddStringToObject(p, "study", name) == NULL) {
		cJSON_Delete(p);
		return NULL;
	}
	return p;
}

static void write_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* JSON with two-space indentation; empty containers stay on one line. */
static void write_json(FILE *f, const cJSON *v, int depth)
{
	const cJSON *item;
	char num[64];

	if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
		bool obj = cJSON_IsObject(v);

		if (v->child == NULL) {
			fputs(obj ? "{}" : "[]", f);
			return;
		}
		fputc(obj ? '{' : '[', f);
		cJSON_ArrayForEach(item, v) {
			fprintf(f, "\n%*s", 2 * (depth + 1), "");
			if (obj) {
				write_string(f, item->string);
				fputs(": ", f);
			}
			write_json(f, item, depth + 1);
			if (item->next != NULL)
				fputc(',', f);
		}
		fprintf(f, "\n%*s%c", 2 * depth, "", obj ? '}' : ']');
	} else if (cJSON_IsString(v)) {
		write_string(f, v->valuestring);
	} else if (cJSON_IsNumber(v)) {
		pz_json_number(num, sizeof(num), v->valuedouble);
		fputs(num, f);
	} else if (cJSON_IsBool(v)) {
		fputs(cJSON_IsTrue(v) ? "true" : "false", f);
	} else {
		fputs("null", f);
	}
}

void cli_write_json(FILE *f, const cJSON *v, int depth)
{
	write_json(f, v, depth);
}

int cli_print_json(const cJSON *v)
{
	write_json(stdout, v, 0);
	putchar('\n');
	return CLI_EXIT_OK;
}

const cJSON *cli_get(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

double cli_get_num(const cJSON *obj, const char *key, double def)
{
	const cJSON *v = cli_get(obj, key);

	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

const char *cli_get_str(const cJSON *obj, const char *key, const char *def)
{
	const cJSON *v = cli_get(obj, key);

	return cJSON_IsString(v) ? v->valuestring : def;
}

char *cli_read_file(const char *path, struct pz_error *err)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	size_t len = 0, cap = 0;
	char *buf = NULL;

	if (f == NULL) {
		pz_error_set(err, PZ_EIO, "cannot open %s: %s", path,
		             strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *p;

			cap = cap == 0 ? 65536 : cap * 2;
			p = realloc(buf, cap + 1);
			if (p == NULL) {
				pz_error_set(err, PZ_ENOMEM, "out of memory "
				             "reading %s", path);
				goto err_buf;
			}
			buf = p;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		pz_error_set(err, PZ_EIO, "cannot read %s: %s", path,
		             strerror(errno));
		goto err_buf;
	}
	buf[len] = '\0';
	if (!is_stdin)
		fclose(f);
	return buf;

err_buf:
	free(buf);
	if (!is_stdin)
		fclose(f);
	return NULL;
}

int cli_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int cli_parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) ||
	    !(v > 0))
		return -1;
	*out = v;
	return 0;
}

char *cli_fmt_num(char *buf, size_t len, double v)
{
	/* Integers whole (seeds go up to 2^53), others to 6 digits. */
	if (isfinite(v) && v == trunc(v) && fabs(v) <= 9007199254740992.0)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.6g", v);
	return buf;
}

char *cli_fmt_time(char *buf, size_t len, double unix_seconds)
{
	time_t t = (time_t)unix_seconds;
	struct tm tm;

	if (!isfinite(unix_seconds) || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "-");
	return buf;
}

char *cli_fmt_duration(char *buf, size_t len, double seconds)
{
	long s;

	if (!isfinite(seconds) || seconds < 0 || seconds > 1e9) {
		snprintf(buf, len, "-");
		return buf;
	}
	s = lround(seconds);
	if (seconds < 9.95)
		snprintf(buf, len, "%.1fs", seconds);
	else if (s < 60)
		snprintf(buf, len, "%lds", s);
	else if (s < 3600)
		snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%ldh%02ldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%ldd%02ldh", s / 86400, s % 86400 / 3600);
	return buf;
}

char *cli_json_compact(const cJSON *v)
{
	return pz_json_print(v, NULL);
}

char *cli_fmt_value(char *buf, size_t len, const cJSON *v)
{
	char *text;

	if (cJSON_IsNumber(v))
		return cli_fmt_num(buf, len, v->valuedouble);
	if (cJSON_IsString(v)) {
		snprintf(buf, len, "%s", v->valuestring);
		return buf;
	}
	text = cli_json_compact(v);
	snprintf(buf, len, "%s", text != NULL ? text : "?");
	free(text);
	return buf;
}

char *cli_fmt_params(const struct pz_space *space, const cJSON *params)
{
	const cJSON *item;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	bool ok = true;

	if (f == NULL)
		return NULL;
	cJSON_ArrayForEach(item, params) {
		int l = space != NULL ? pz_space_find(space, item->string) : -1;
		char value[512], *text = NULL;

		if (l >= 0 && pz_space_kind_is_categorical(space->params[l].kind)) {
			text = pz_params_value_text(item);
			if (text == NULL)
				ok = false;
		} else {
			cli_fmt_value(value, sizeof(value), item);
		}
		if (fprintf(f, "%s%s=%s", item == params->child ? "" : " ",
		            item->string, text != NULL ? text : value) < 0)
			ok = false;
		free(text);
	}
	if (fclose(f) != 0 || !ok) {
		free(out);
		return NULL;
	}
	return out;
}

struct pz_space *cli_study_space(const cJSON *study)
{
	struct pz_space *space = NULL;
	const cJSON *doc = cli_get(study, "space");

	if (doc == NULL || pz_space_create(doc, "space", &space, NULL) != 0)
		return NULL;
	return space;
}

int cli_get_space(const struct cli *cli, const char *study,
                  struct pz_space **space)
{
	cJSON *res;
	int rc = cli_rpc(cli, "study.get", cli_study_params(study), &res);

	*space = rc == 0 ? cli_study_space(cli_get(res, "study")) : NULL;
	cJSON_Delete(res);
	return rc;
}

cJSON *cli_values(const struct pz_space *space, const cJSON *params)
{
	if (space == NULL)
		return cJSON_Duplicate(params, 1);
	return pz_params_json_to_values(space, params);
}

int cli_add_values(const struct pz_space *space, cJSON *trial)
{
	cJSON *params = cJSON_GetObjectItemCaseSensitive(trial, "params");
	cJSON *values, *after, *c;

	if (space == NULL || !cJSON_IsObject(params))
		return 0;
	values = pz_params_json_to_values(space, params);
	after = cJSON_CreateArray();
	if (values == NULL || after == NULL) {
		cJSON_Delete(values);
		cJSON_Delete(after);
		return PZ_ENOMEM;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(trial, "values");
	/* Right after "params", where a reader looks for it: the members
	 * after it move behind (keeping their keys). */
	while ((c = params->next) != NULL)
		cJSON_AddItemToArray(after, cJSON_DetachItemViaPointer(trial, c));
	cJSON_AddItemToObject(trial, "values", values);
	while ((c = after->child) != NULL)
		cJSON_AddItemToArray(trial, cJSON_DetachItemViaPointer(after, c));
	cJSON_Delete(after);
	return cJSON_GetObjectItemCaseSensitive(trial, "values") == values
	               ? 0
	               : PZ_ENOMEM;
}

double cli_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int cli_signals_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

bool cli_is_stop_signal(int sig)
{
	return sig == SIGINT || sig == SIGTERM || sig == SIGHUP;
}

int cli_signals_read(int sigfd)
{
	struct signalfd_siginfo si;
	ssize_t n;

	do {
		n = read(sigfd, &si, sizeof(si));
	} while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(si) ? (int)si.ssi_signo : 0;
}

int cli_signals_wait(int sigfd, double timeout)
{
	double end = cli_monotonic() + timeout;

	for (;;) {
		struct pollfd pfd = { .fd = sigfd, .events = POLLIN };
		int ms = -1, sig;

		if (timeout >= 0) {
			double left = end - cli_monotonic();

			if (left <= 0)
				return 0;
			ms = (int)ceil(left * 1000);
		}
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			return 0;
		while ((sig = cli_signals_read(sigfd)) != 0) {
			if (cli_is_stop_signal(sig))
				return sig;
		}
	}
}
