/*
 * The blocking parzend client: socket set-up (through the checked
 * directory of sockdir.c; discovery is in discover.c), line framing on a
 * growable read buffer, the JSON-RPC envelope and error mapping, and thin
 * wrappers for the calls a worker makes. This is the only part of lib/
 * that does I/O, which is why it is built as its own library.
 *
 * Received bytes wait in one buffer, [head, len) unread. A line is split
 * off in place; reading more compacts the buffer once and grows it, up to
 * one maximal line. `scanned` remembers how much of a partial line was
 * already searched for '\n', so a long reply arriving in many pieces is
 * searched once, not once per piece.
 */
#include <parzen/client.h>
#include <parzen/json.h>
#include <parzen/sockdir.h>

#include "private.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* First buffer size, and the size above which an idle buffer is freed. */
#define BUF_MIN 4096
#define BUF_KEEP (1u << 20)

/* Integers beyond this lose precision as JSON numbers (doubles). */
#define JSON_INT_MAX 9007199254740992.0

struct pz_client {
	int fd;          /* -1 once disconnected */
	int64_t last_id; /* id of the latest request */
	char *buf;
	size_t head, len, cap;
	size_t scanned;   /* bytes from head known to hold no '\n' */
	int rpc_code;     /* last error reply's code, 0 if none */
	cJSON *rpc_error; /* last error reply's "error" object, or NULL */
	cJSON *notes;     /* notifications kept, oldest first, or NULL */
	size_t n_notes, max_notes, dropped;
	char path[PZ_SOCKDIR_PATH_MAX + 1]; /* the socket connected to */
};

/*
 * connect() that survives EINTR. An interrupted connect goes on in the
 * background (POSIX), and calling it again would fail with EALREADY, so
 * wait for the socket to become writable and read the outcome instead.
 */
static int connect_unix(int fd, const struct sockaddr_un *addr)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int e;

	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0)
		return 0;
	if (errno != EINTR)
		return -1;
	while (poll(&pfd, 1, -1) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		return -1;
	if (e != 0) {
		errno = e;
		return -1;
	}
	return 0;
}

int pz_client_connect_path(const char *socket_path, struct pz_client **out,
                           int *sys_errno, struct pz_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct pz_sockdir dir;
	struct pz_client *c;
	int fd, rc;

	*out = NULL;
	*sys_errno = 0;
	rc = pz_sockdir_open(&dir, socket_path, 0, -1, err);
	if (rc == 0)
		rc = pz_sockdir_check_socket(&dir, err);
	if (rc == PZ_ENOENT) {
		*sys_errno = ENOENT;
		rc = pz_error_set(err, PZ_EIO,
		                  "cannot connect to parzend at %s: %s (is "
		                  "parzend running?)",
		                  socket_path, strerror(ENOENT));
		goto err_dir;
	}
	if (rc != 0)
		goto err_dir;
	memcpy(addr.sun_path, dir.addr, strlen(dir.addr) + 1);

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
		goto err_dir;
	}
	memcpy(c->path, dir.path, sizeof(c->path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = pz_error_set(err, PZ_EIO, "cannot create a socket: %s",
		                  strerror(errno));
		goto err_free;
	}
	if (connect_unix(fd, &addr) != 0) {
		int e = errno;

		*sys_errno = e;
		rc = pz_error_set(err, PZ_EIO,
		                  "cannot connect to parzend at %s: %s%s",
		                  socket_path, strerror(e),
		                  e == ENOENT || e == ECONNREFUSED
		                          ? " (is parzend running?)"
		                          : "");
		goto err_close;
	}
	pz_sockdir_close(&dir);
	c->fd = fd;
	*out = c;
	return 0;

err_close:
	close(fd);
err_free:
	free(c);
err_dir:
	pz_sockdir_close(&dir);
	return rc;
}

int pz_client_connect(const char *socket_path, struct pz_client **out,
                      struct pz_error *err)
{
	int sys_errno;

	if (socket_path == NULL)
		return pz_client_discover(out, err);
	return pz_client_connect_path(socket_path, out, &sys_errno, err);
}

const char *pz_client_socket_path(const struct pz_client *c)
{
	return c->path;
}

static void disconnect(struct pz_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->head = c->len = c->scanned = 0;
}

void pz_client_destroy(struct pz_client *c)
{
	if (c == NULL)
		return;
	disconnect(c);
	cJSON_Delete(c->rpc_error);
	cJSON_Delete(c->notes);
	free(c->buf);
	free(c);
}

int pz_client_last_rpc_code(const struct pz_client *c)
{
	return c->rpc_code;
}

const char *pz_client_last_error_path(const struct pz_client *c)
{
	const cJSON *data, *path;

	data = cJSON_GetObjectItemCaseSensitive(c->rpc_error, "data");
	path = cJSON_GetObjectItemCaseSensitive(data, "path");
	return cJSON_IsString(path) ? path->valuestring : NULL;
}

/* Disconnect and fail with `code`: the stream can no longer be trusted. */
__attribute__((format(printf, 4, 5))) static int
fail_stream(struct pz_client *c, struct pz_error *err, int code,
            const char *fmt, ...)
{
	va_list ap;

	disconnect(c);
	if (err != NULL) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

static int send_all(struct pz_client *c, const char *p, size_t n,
                    struct pz_error *err)
{
	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return fail_stream(c, err, PZ_EIO,
			                   "lost the connection to parzend: %s",
			                   strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Compact the buffer, grow it when full, and read once into it. */
static int fill(struct pz_client *c, struct pz_error *err)
{
	ssize_t n;

	if (c->head > 0) {
		memmove(c->buf, c->buf + c->head, c->len - c->head);
		c->len -= c->head;
		c->head = 0;
	}
	if (c->len == c->cap) {
		size_t cap = c->cap == 0 ? BUF_MIN : c->cap * 2;
		char *buf;

		if (cap > PZ_CLIENT_MAX_LINE + 1)
			cap = PZ_CLIENT_MAX_LINE + 1;
		assert(cap > c->cap);
		buf = realloc(c->buf, cap);
		if (buf == NULL)
			return fail_stream(c, err, PZ_ENOMEM,
			                   "out of memory reading a reply");
		c->buf = buf;
		c->cap = cap;
	}
	do {
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return fail_stream(c, err, PZ_EIO,
		                   "lost the connection to parzend: %s",
		                   strerror(errno));
	if (n == 0)
		return fail_stream(
			c, err, PZ_EIO,
			c->len > 0 ? "parzend closed the connection in the "
				     "middle of a reply"
				   : "parzend closed the connection");
	c->len += (size_t)n;
	return 0;
}

/*
 * Split off the next line in the buffer, without its '\n': 1 and *line
 * (pointing into the buffer, valid until the next read), or 0 when no
 * whole line is there yet, or a PZ_E* code when the line is too long.
 */
static int take_line(struct pz_client *c, const char **line, size_t *n,
                     struct pz_error *err)
{
	size_t avail = c->len - c->head;
	char *nl = NULL;

	if (avail > c->scanned)
		nl = memchr(c->buf + c->head + c->scanned, '\n',
		            avail - c->scanned);
	if (nl != NULL) {
		*line = c->buf + c->head;
		*n = (size_t)(nl - *line);
		c->head += *n + 1;
		c->scanned = 0;
		return 1;
	}
	c->scanned = avail;
	if (c->scanned > PZ_CLIENT_MAX_LINE)
		return fail_stream(c, err, PZ_EPROTO,
		                   "parzend sent a reply line longer than %u "
		                   "bytes",
		                   PZ_CLIENT_MAX_LINE);
	return 0;
}

/* The next line, reading as needed (see take_line). */
static int read_line(struct pz_client *c, const char **line, size_t *n,
                     struct pz_error *err)
{
	for (;;) {
		int rc = take_line(c, line, n, err);

		if (rc != 0)
			return rc > 0 ? 0 : rc;
		rc = fill(c, err);
		if (rc != 0)
			return rc;
	}
}

static bool has(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key) != NULL;
}

/*
 * Keep notification `msg` (taken) when the client keeps them, else drop
 * it. Past max_notes the oldest is dropped and counted.
 */
static void keep_note(struct pz_client *c, cJSON *msg)
{
	if (c->max_notes == 0 || c->notes == NULL) {
		cJSON_Delete(msg);
		return;
	}
	if (c->n_notes == c->max_notes) {
		cJSON_Delete(cJSON_DetachItemFromArray(c->notes, 0));
		c->n_notes--;
		c->dropped++;
	}
	cJSON_AddItemToArray(c->notes, msg);
	c->n_notes++;
}

static cJSON *parse_line(const char *line, size_t n)
{
	const char *end = NULL;
	cJSON *msg = cJSON_ParseWithLengthOpts(line, n, &end, 0);

	if (msg == NULL)
		return NULL;
	while (end < line + n && (*end == ' ' || *end == '\t' || *end == '\r'))
		end++;
	if (end != line + n || !cJSON_IsObject(msg)) {
		cJSON_Delete(msg);
		return NULL;
	}
	return msg;
}

/*
 * Read messages until the reply to request c->last_id; see the header for
 * which lines are skipped and which end the connection.
 */
static int read_reply(struct pz_client *c, cJSON **out, struct pz_error *err)
{
	for (;;) {
		const cJSON *id;
		const char *line = NULL;
		cJSON *reply;
		size_t n = 0;
		int rc;

		rc = read_line(c, &line, &n, err);
		if (rc != 0)
			return rc;
		reply = parse_line(line, n);
		if (reply == NULL)
			return fail_stream(c, err, PZ_EPROTO,
			                   "parzend sent a line that is not a "
			                   "JSON object");
		id = cJSON_GetObjectItemCaseSensitive(reply, "id");
		if (id == NULL && has(reply, "method")) {
			keep_note(c, reply);
			continue;
		}
		if ((cJSON_IsNumber(id) &&
		     id->valuedouble == (double)c->last_id) ||
		    (cJSON_IsNull(id) && has(reply, "error"))) {
			*out = reply;
			return 0;
		}
		cJSON_Delete(reply);
		return fail_stream(c, err, PZ_EPROTO,
		                   "parzend sent a reply that does not belong "
		                   "to request %" PRId64 ", the only one in "
		                   "flight",
		                   c->last_id);
	}
}

static int map_code(int rpc)
{
	switch (rpc) {
	case -32001:
		return PZ_ENOENT;
	case -32002:
		return PZ_EEXIST;
	case -32003:
		return PZ_ESTATE;
	case -32004:
	case -32602:
	case -32600:
		return PZ_EINVAL;
	case -32005:
	case -32006:
		return PZ_EIO;
	default:
		return PZ_EPROTO;
	}
}

/* Turn a reply into *result or a mapped error; takes `reply`. */
static int take_reply(struct pz_client *c, cJSON *reply, cJSON **result,
                      struct pz_error *err)
{
	cJSON *error = cJSON_DetachItemFromObjectCaseSensitive(reply, "error");
	cJSON *res = cJSON_DetachItemFromObjectCaseSensitive(reply, "result");
	const cJSON *code, *message;
	int rc = 0;

	cJSON_Delete(reply);
	if ((error == NULL) == (res == NULL)) {
		rc = fail_stream(c, err, PZ_EPROTO,
		                 "parzend sent a reply with neither or both of "
		                 "result and error");
		goto out;
	}
	if (res != NULL) {
		if (result != NULL) {
			*result = res;
			res = NULL;
		}
		goto out;
	}
	code = cJSON_GetObjectItemCaseSensitive(error, "code");
	message = cJSON_GetObjectItemCaseSensitive(error, "message");
	if (!cJSON_IsNumber(code) || code->valuedouble != code->valueint) {
		rc = fail_stream(c, err, PZ_EPROTO,
		                 "parzend sent an error reply without an "
		                 "integer code");
		goto out;
	}
	c->rpc_code = code->valueint;
	rc = map_code(c->rpc_code);
	if (cJSON_IsString(message))
		pz_error_set(err, rc, "%s", message->valuestring);
	else
		pz_error_set(err, rc, "parzend error %d", c->rpc_code);
	c->rpc_error = error;
	error = NULL;
out:
	cJSON_Delete(error);
	cJSON_Delete(res);
	return rc;
}

/*
 * Find a non-finite number in `item`. `path` holds the item's path; on a
 * find it is extended to name the number, else left as it was.
 */
static bool find_nonfinite(const cJSON *item, char *path, size_t cap)
{
	size_t n = strlen(path);
	const cJSON *child;
	int i = 0;

	if (cJSON_IsNumber(item))
		return !isfinite(item->valuedouble);
	cJSON_ArrayForEach(child, item) {
		if (cJSON_IsArray(item))
			snprintf(path + n, cap - n, "[%d]", i++);
		else
			snprintf(path + n, cap - n, ".%s", child->string);
		if (find_nonfinite(child, path, cap))
			return true;
	}
	path[n] = '\0';
	return false;
}

static cJSON *build_request(int64_t id, const char *method, cJSON *params)
{
	cJSON *req = cJSON_CreateObject();

	if (cJSON_AddStringToObject(req, "jsonrpc", "2.0") == NULL ||
	    cJSON_AddNumberToObject(req, "id", (double)id) == NULL ||
	    cJSON_AddStringToObject(req, "method", method) == NULL)
		goto err_req;
	if (params != NULL && !cJSON_AddItemToObject(req, "params", params))
		goto err_req;
	return req;

err_req:
	cJSON_Delete(params);
	cJSON_Delete(req);
	return NULL;
}

int pz_client_call(struct pz_client *c, const char *method, cJSON *params,
                   cJSON **result, struct pz_error *err)
{
	char path[256] = "params";
	cJSON *req, *reply = NULL;
	char *text;
	int rc;

	assert(method != NULL);
	if (result != NULL)
		*result = NULL;
	c->rpc_code = 0;
	cJSON_Delete(c->rpc_error);
	c->rpc_error = NULL;
	if (c->fd < 0) {
		rc = pz_error_set(err, PZ_EIO,
		                  "not connected: the connection "
		                  "to parzend was lost earlier");
		goto err_params;
	}
	if (params != NULL && !cJSON_IsObject(params)) {
		rc = pz_error_set(err, PZ_EINVAL, "params must be an object");
		goto err_params;
	}
	if (params != NULL && find_nonfinite(params, path, sizeof(path))) {
		rc = pz_error_set(err, PZ_EINVAL, "%s: not a finite number",
		                  path);
		goto err_params;
	}
	/* An idle buffer that grew for a huge reply is given back. */
	if (c->head == c->len && c->cap > BUF_KEEP) {
		free(c->buf);
		c->buf = NULL;
		c->head = c->len = c->cap = c->scanned = 0;
	}

	req = build_request(++c->last_id, method, params);
	if (req == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	text = pz_json_print(req, NULL);
	if (text == NULL) {
		rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
		goto err_req;
	}
	/* Control characters are escaped, so text holds no '\n'. */
	rc = send_all(c, text, strlen(text), err);
	if (rc == 0)
		rc = send_all(c, "\n", 1, err);
	if (rc == 0)
		rc = read_reply(c, &reply, err);
	if (rc == 0)
		rc = take_reply(c, reply, result, err);
	cJSON_free(text);
err_req:
	cJSON_Delete(req);
	return rc;

err_params:
	cJSON_Delete(params);
	return rc;
}

void pz_client_ticket_init(struct pz_trial_ticket *t)
{
	memset(t, 0, sizeof(*t));
}

void pz_client_ticket_finish(struct pz_trial_ticket *t)
{
	cJSON_Delete(t->params);
	cJSON_Delete(t->point);
	pz_client_ticket_init(t);
}

/* An integral JSON number that a double holds exactly, into *out. */
static bool get_int(const cJSON *obj, const char *key, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(v) || v->valuedouble != trunc(v->valuedouble) ||
	    fabs(v->valuedouble) > JSON_INT_MAX)
		return false;
	*out = (int64_t)v->valuedouble;
	return true;
}

static int ticket_from_result(cJSON *res, struct pz_trial_ticket *t,
                              struct pz_error *err)
{
	cJSON *trial = cJSON_GetObjectItemCaseSensitive(res, "trial");
	const cJSON *reason;
	int64_t attempt;

	if (cJSON_IsNull(trial)) {
		reason = cJSON_GetObjectItemCaseSensitive(res, "reason");
		t->none = true;
		snprintf(t->reason, sizeof(t->reason), "%s",
		         cJSON_IsString(reason) ? reason->valuestring : "");
		return 0;
	}
	if (!get_int(trial, "id", &t->id) ||
	    !get_int(trial, "number", &t->number) ||
	    !get_int(trial, "attempt", &attempt) || attempt < 0 ||
	    attempt > INT32_MAX)
		return pz_error_set(err, PZ_EPROTO,
		                    "trial.ask reply has no "
		                    "trial with an integer id, number and "
		                    "attempt");
	t->attempt = (int)attempt;
	t->params = cJSON_DetachItemFromObjectCaseSensitive(trial, "params");
	t->point = cJSON_DetachItemFromObjectCaseSensitive(trial, "point");
	if (!cJSON_IsObject(t->params) || t->point == NULL)
		return pz_error_set(err, PZ_EPROTO,
		                    "trial.ask reply has no "
		                    "trial params object or point");
	return 0;
}

int pz_client_ask(struct pz_client *c, const char *study, const char *worker,
                  struct pz_trial_ticket *t, struct pz_error *err)
{
	cJSON *params = cJSON_CreateObject();
	cJSON *res;
	bool ok;
	int rc;

	assert(study != NULL);
	pz_client_ticket_init(t);
	ok = cJSON_AddStringToObject(params, "study", study) != NULL;
	if (ok && worker != NULL)
		ok = cJSON_AddStringToObject(params, "worker", worker) != NULL;
	if (!ok) {
		cJSON_Delete(params);
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	}
	rc = pz_client_call(c, "trial.ask", params, &res, err);
	if (rc != 0)
		return rc;
	rc = ticket_from_result(res, t, err);
	if (rc != 0)
		pz_client_ticket_finish(t);
	cJSON_Delete(res);
	return rc;
}

/*
 * Parse `text`, which the caller passed for `what`, rejecting trailing
 * bytes. *out is owned by the caller.
 */
static int parse_text(const char *what, const char *text, cJSON **out,
                      struct pz_error *err)
{
	const char *end = NULL;

	*out = cJSON_ParseWithOpts(text, &end, 1);
	if (*out == NULL)
		return pz_error_set(err, PZ_EINVAL,
		                    "%s: not valid JSON (at byte %td)", what,
		                    end != NULL ? end - text : (ptrdiff_t)0);
	return 0;
}

/*
 * Params {trial, attempt?} for the calls that name a trial; `attempt` < 0
 * is left out. NULL when out of memory.
 */
static cJSON *trial_params(int64_t trial, int attempt)
{
	cJSON *params = cJSON_CreateObject();

	if (cJSON_AddNumberToObject(params, "trial", (double)trial) == NULL ||
	    (attempt >= 0 &&
	     cJSON_AddNumberToObject(params, "attempt", attempt) == NULL)) {
		cJSON_Delete(params);
		return NULL;
	}
	return params;
}

int pz_client_tell(struct pz_client *c, int64_t trial, int attempt, bool ok,
                   double loss, const char *result_json, struct pz_error *err)
{
	cJSON *params, *result = NULL;
	int rc;

	if (result_json != NULL) {
		rc = parse_text("result", result_json, &result, err);
		if (rc != 0)
			return rc;
	}
	params = trial_params(trial, attempt);
	if (cJSON_AddStringToObject(params, "status", ok ? "ok" : "fail") ==
	            NULL ||
	    (ok && cJSON_AddNumberToObject(params, "loss", loss) == NULL) ||
	    (result != NULL &&
	     !cJSON_AddItemToObject(params, "result", result))) {
		cJSON_Delete(result);
		cJSON_Delete(params);
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	}
	return pz_client_call(c, "trial.tell", params, NULL, err);
}

int pz_client_tell_status(struct pz_client *c, int64_t trial, int attempt,
                          const char *status, double loss,
                          const char *result_json, struct pz_error *err)
{
	cJSON *params, *result = NULL;
	bool with_loss;
	int rc;

	assert(status != NULL);
	with_loss = strcmp(status, "ok") == 0 ||
	            (strcmp(status, "pruned") == 0 && !isnan(loss));
	if (result_json != NULL) {
		rc = parse_text("result", result_json, &result, err);
		if (rc != 0)
			return rc;
	}
	params = trial_params(trial, attempt);
	if (cJSON_AddStringToObject(params, "status", status) == NULL ||
	    (with_loss && cJSON_AddNumberToObject(params, "loss", loss) ==
	                          NULL) ||
	    (result != NULL &&
	     !cJSON_AddItemToObject(params, "result", result))) {
		cJSON_Delete(result);
		cJSON_Delete(params);
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	}
	return pz_client_call(c, "trial.tell", params, NULL, err);
}

int pz_client_report(struct pz_client *c, int64_t trial, int attempt,
                     int64_t step, double value,
                     struct pz_client_decision *out, struct pz_error *err)
{
	const cJSON *prune, *judged, *reason;
	cJSON *params, *res;
	int rc;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (step < 0 || (double)step > JSON_INT_MAX - 1)
		return pz_error_set(err, PZ_EINVAL, "step: must be an integer "
		                    "from 0 to 2^53 - 1");
	params = trial_params(trial, attempt);
	if (params == NULL ||
	    cJSON_AddNumberToObject(params, "step", (double)step) == NULL ||
	    cJSON_AddNumberToObject(params, "value", value) == NULL) {
		cJSON_Delete(params);
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	}
	rc = pz_client_call(c, "trial.report", params, &res, err);
	if (rc != 0)
		return rc;
	prune = cJSON_GetObjectItemCaseSensitive(res, "prune");
	judged = cJSON_GetObjectItemCaseSensitive(res, "step");
	reason = cJSON_GetObjectItemCaseSensitive(res, "reason");
	if (!cJSON_IsBool(prune)) {
		cJSON_Delete(res);
		return pz_error_set(err, PZ_EPROTO, "trial.report: a reply "
		                    "without \"prune\"");
	}
	if (out != NULL) {
		out->prune = cJSON_IsTrue(prune);
		out->step = cJSON_IsNumber(judged) ? (int64_t)judged->valuedouble
		                                   : step;
		if (cJSON_IsString(reason))
			snprintf(out->reason, sizeof(out->reason), "%s",
			         reason->valuestring);
	}
	cJSON_Delete(res);
	return 0;
}

static int trial_call(struct pz_client *c, const char *method, int64_t trial,
                      int attempt, struct pz_error *err)
{
	cJSON *params = trial_params(trial, attempt);

	if (params == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	return pz_client_call(c, method, params, NULL, err);
}

int pz_client_heartbeat(struct pz_client *c, int64_t trial, int attempt,
                        struct pz_error *err)
{
	return trial_call(c, "trial.heartbeat", trial, attempt, err);
}

int pz_client_release(struct pz_client *c, int64_t trial, int attempt,
                      struct pz_error *err)
{
	return trial_call(c, "trial.release", trial, attempt, err);
}

int pz_client_create_study(struct pz_client *c, const char *name,
                           const char *space_json, const char *algo,
                           int64_t seed, int64_t max_trials,
                           const char *config_json, double heartbeat_timeout,
                           bool exist_ok, cJSON **study_out,
                           struct pz_error *err)
{
	struct pz_client_study_def def = {
		.name = name,
		.space_json = space_json,
		.algo = algo,
		.seed = seed,
		.max_trials = max_trials,
		.config_json = config_json,
		.heartbeat_timeout = heartbeat_timeout,
		.exist_ok = exist_ok,
	};

	return pz_client_create_study_def(c, &def, study_out, err);
}

int pz_client_create_study_def(struct pz_client *c,
                               const struct pz_client_study_def *def,
                               cJSON **study_out, struct pz_error *err)
{
	const char *name = def->name, *space_json = def->space_json;
	const char *algo = def->algo, *config_json = def->config_json;
	int64_t seed = def->seed, max_trials = def->max_trials;
	double heartbeat_timeout = def->heartbeat_timeout;
	bool exist_ok = def->exist_ok;
	cJSON *params, *space = NULL, *config = NULL, *pruner = NULL, *res;
	bool ok;
	int rc;

	assert(name != NULL && space_json != NULL);
	if (study_out != NULL)
		*study_out = NULL;
	if ((double)seed > JSON_INT_MAX)
		return pz_error_set(err, PZ_EINVAL,
		                    "seed: must be at most "
		                    "2^53 to travel as a JSON number");
	rc = parse_text("space", space_json, &space, err);
	if (rc != 0)
		return rc;
	if (config_json != NULL) {
		rc = parse_text("config", config_json, &config, err);
		if (rc != 0)
			goto err_space;
	}
	if (def->pruner_json != NULL) {
		rc = parse_text("pruner", def->pruner_json, &pruner, err);
		if (rc != 0)
			goto err_config;
	}

	params = cJSON_CreateObject();
	ok = cJSON_AddStringToObject(params, "name", name) != NULL &&
	     cJSON_AddItemToObject(params, "space", space);
	space = ok ? NULL : space;
	if (ok && config != NULL) {
		ok = cJSON_AddItemToObject(params, "config", config);
		config = ok ? NULL : config;
	}
	if (ok && pruner != NULL) {
		ok = cJSON_AddItemToObject(params, "pruner", pruner);
		pruner = ok ? NULL : pruner;
	}
	if (ok && algo != NULL)
		ok = cJSON_AddStringToObject(params, "algo", algo) != NULL;
	if (ok && seed >= 0)
		ok = cJSON_AddNumberToObject(params, "seed", (double)seed) !=
		     NULL;
	if (ok && max_trials != 0)
		ok = cJSON_AddNumberToObject(params, "max_trials",
		                             (double)max_trials) != NULL;
	if (ok && heartbeat_timeout != 0)
		ok = cJSON_AddNumberToObject(params, "heartbeat_timeout",
		                             heartbeat_timeout) != NULL;
	if (ok && exist_ok)
		ok = cJSON_AddTrueToObject(params, "exist_ok") != NULL;
	if (!ok) {
		rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
		goto err_params;
	}

	rc = pz_client_call(c, "study.create", params, &res, err);
	if (rc != 0)
		return rc;
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(res, "study")))
		rc = pz_error_set(err, PZ_EPROTO,
		                  "study.create reply has no "
		                  "study object");
	else if (study_out != NULL)
		*study_out =
			cJSON_DetachItemFromObjectCaseSensitive(res, "study");
	cJSON_Delete(res);
	return rc;

err_params:
	cJSON_Delete(params);
	cJSON_Delete(pruner);
err_config:
	cJSON_Delete(config);
err_space:
	cJSON_Delete(space);
	return rc;
}

int pz_client_fetch_study(struct pz_client *c, const char *name, cJSON **study,
                          cJSON **trials, struct pz_error *err)
{
	enum { PAGE = 10000 };
	cJSON *res = NULL, *params;
	bool intermediate = true;
	long offset = 0;
	int rc;

	*study = NULL;
	*trials = cJSON_CreateArray();
	params = cJSON_CreateObject();
	if (*trials == NULL || params == NULL ||
	    cJSON_AddStringToObject(params, "study", name) == NULL) {
		cJSON_Delete(params);
		rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = pz_client_call(c, "study.get", params, &res, err)) != 0)
		goto fail;
	*study = cJSON_DetachItemFromObject(res, "study");
	cJSON_Delete(res);
	for (;;) {
		cJSON *page, *t;
		const cJSON *next;
		const char *path;
		long got = 0;

		params = cJSON_CreateObject();
		if (params == NULL ||
		    cJSON_AddStringToObject(params, "study", name) == NULL ||
		    cJSON_AddNumberToObject(params, "offset", (double)offset) ==
		            NULL ||
		    cJSON_AddNumberToObject(params, "limit", PAGE) == NULL ||
		    (intermediate &&
		     cJSON_AddTrueToObject(params, "intermediate") == NULL)) {
			cJSON_Delete(params);
			rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
			goto fail;
		}
		rc = pz_client_call(c, "trial.list", params, &res, err);
		path = rc == PZ_EINVAL ? pz_client_last_error_path(c) : NULL;
		if (rc != 0 && intermediate && path != NULL &&
		    strcmp(path, "params.intermediate") == 0) {
			/* A parzend from before trial.report. */
			intermediate = false;
			continue;
		}
		if (rc != 0)
			goto fail;
		page = cJSON_GetObjectItemCaseSensitive(res, "trials");
		while ((t = cJSON_DetachItemFromArray(page, 0)) != NULL) {
			cJSON_AddItemToArray(*trials, t);
			got++;
		}
		/* A reply cut at parzend's size limit says where to go on. */
		next = cJSON_GetObjectItemCaseSensitive(res, "next_offset");
		offset += got;
		if (got < PAGE && !(cJSON_IsNumber(next) && got > 0)) {
			cJSON_Delete(res);
			break;
		}
		cJSON_Delete(res);
	}
	if (*study == NULL) {
		rc = pz_error_set(err, PZ_EPROTO,
		                  "study.get: no study in reply");
		goto fail;
	}
	return 0;
fail:
	cJSON_Delete(*study);
	cJSON_Delete(*trials);
	*study = *trials = NULL;
	return rc;
}

/* --- notifications ------------------------------------------------------ */

int pz_client_keep_notifications(struct pz_client *c, size_t max)
{
	if (max > 0 && c->notes == NULL) {
		c->notes = cJSON_CreateArray();
		if (c->notes == NULL)
			return PZ_ENOMEM;
	}
	while (c->n_notes > max) {
		cJSON_Delete(cJSON_DetachItemFromArray(c->notes, 0));
		c->n_notes--;
		c->dropped++;
	}
	c->max_notes = max;
	return 0;
}

size_t pz_client_notifications_dropped(const struct pz_client *c)
{
	return c->dropped;
}

int pz_client_fd(const struct pz_client *c)
{
	return c->fd;
}

int pz_client_next_notification(struct pz_client *c, int timeout_ms,
                                cJSON **note, struct pz_error *err)
{
	struct timespec t0, t1;
	int left = timeout_ms;

	*note = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		const char *line = NULL;
		struct pollfd pfd;
		cJSON *msg;
		size_t n = 0;
		int rc;

		if (c->n_notes > 0) {
			*note = cJSON_DetachItemFromArray(c->notes, 0);
			c->n_notes--;
			return 0;
		}
		if (c->fd < 0)
			return pz_error_set(err, PZ_EIO,
			                    "not connected: the connection to "
			                    "parzend was lost earlier");
		rc = take_line(c, &line, &n, err);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			msg = parse_line(line, n);
			if (msg == NULL)
				return fail_stream(c, err, PZ_EPROTO,
				                   "parzend sent a line that is "
				                   "not a JSON object");
			if (has(msg, "id") || !has(msg, "method")) {
				cJSON_Delete(msg);
				return fail_stream(c, err, PZ_EPROTO,
				                   "parzend sent a reply while "
				                   "no request was in flight");
			}
			*note = msg;
			return 0;
		}
		/* What is left of the time (none: only what already came). */
		if (timeout_ms >= 0) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			left = timeout_ms -
			       (int)((t1.tv_sec - t0.tv_sec) * 1000 +
			             (t1.tv_nsec - t0.tv_nsec) / 1000000);
			left = left < 0 ? 0 : left;
		}
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, left);
		if (rc < 0 && errno != EINTR)
			return fail_stream(c, err, PZ_EIO,
			                   "waiting for parzend: %s",
			                   strerror(errno));
		if (rc == 0)
			return 0;
		if (rc > 0) {
			rc = fill(c, err);
			if (rc != 0)
				return rc;
		}
	}
}
