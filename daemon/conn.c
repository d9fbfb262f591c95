/*
 * Connections: framing, ordered replies, write queueing and back-pressure.
 * See conn.h. A connection's memory is freed only in its close callback.
 */
#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <parzen/json.h>
#include "log.h"
#include "rpc.h"
#include "server.h"

#define READ_CHUNK (64 * 1024)
#define HIGH_WATER (8u << 20)   /* stop reading above this many bytes */
#define LOW_WATER (1u << 20)    /* resume below this */
#define HARD_CAP (256u << 20)   /* close a peer that never reads */

struct held {
	char *line;      /* reply with '\n' */
	size_t len;
	char *id;        /* the request id as JSON, for a failure reply */
};

struct pz_conn {
	uv_pipe_t pipe;  /* first: the handle's address is the conn's */
	struct pz_server *srv;
	struct pz_conn *prev, *next;
	char *buf;
	size_t len, cap;
	struct held *held;
	size_t n_held, cap_held;
	size_t queued;   /* bytes handed to uv_write, not yet written */
	int reading;
	int closing;
	int close_when_flushed;
};

struct write_req {
	uv_write_t req;
	struct pz_conn *conn;
	size_t len;
	char data[];
};

struct pz_conn *pz_conn_next(struct pz_conn *c)
{
	return c->next;
}

static void on_close(uv_handle_t *h)
{
	struct pz_conn *c = (struct pz_conn *)h;

	for (size_t i = 0; i < c->n_held; i++) {
		free(c->held[i].line);
		free(c->held[i].id);
	}
	free(c->held);
	free(c->buf);
	free(c);
}

static void conn_close(struct pz_conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->srv->rpc.n_connections--;
	uv_close((uv_handle_t *)&c->pipe, on_close);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b);

static void on_write(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct pz_conn *c = w->conn;

	c->queued -= w->len;
	free(w);
	if (c->closing)
		return;
	if (status < 0) {
		pz_log(PZ_LOG_DEBUG, "write failed: %s", uv_strerror(status));
		conn_close(c);
		return;
	}
	if (c->close_when_flushed && c->queued == 0) {
		conn_close(c);
		return;
	}
	if (!c->reading && !c->close_when_flushed && !c->srv->stopping &&
	    c->queued < LOW_WATER) {
		uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
		c->reading = 1;
	}
}

/* Write `len` bytes now if the socket takes them, else queue the rest. */
static void send_bytes(struct pz_conn *c, const char *data, size_t len)
{
	struct write_req *w;
	uv_buf_t b;
	int n = 0;

	if (c->closing || len == 0)
		return;
	if (c->queued == 0) {
		b = uv_buf_init((char *)data, (unsigned)len);
		n = uv_try_write((uv_stream_t *)&c->pipe, &b, 1);
		if (n == UV_EAGAIN)
			n = 0;
		if (n < 0) {
			conn_close(c);
			return;
		}
		if ((size_t)n == len)
			return;
	}
	if (c->queued + len - (size_t)n > HARD_CAP) {
		pz_log(PZ_LOG_WARN,
		       "closing a connection with %zu bytes of unread replies",
		       c->queued);
		conn_close(c);
		return;
	}
	w = malloc(sizeof(*w) + len - (size_t)n);
	if (w == NULL) {
		conn_close(c);
		return;
	}
	w->conn = c;
	w->len = len - (size_t)n;
	memcpy(w->data, data + n, w->len);
	b = uv_buf_init(w->data, (unsigned)w->len);
	if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_write) != 0) {
		free(w);
		conn_close(c);
		return;
	}
	c->queued += w->len;
	if (c->reading && c->queued > HIGH_WATER) {
		uv_read_stop((uv_stream_t *)&c->pipe);
		c->reading = 0;
	}
}

static void hold(struct pz_conn *c, char *line, size_t len, char *id)
{
	if (c->n_held == c->cap_held) {
		size_t cap = c->cap_held ? 2 * c->cap_held : 16;
		struct held *h = realloc(c->held, cap * sizeof(*h));

		if (h == NULL) {
			free(line);
			free(id);
			conn_close(c);
			return;
		}
		c->held = h;
		c->cap_held = cap;
	}
	c->held[c->n_held].line = line;
	c->held[c->n_held].len = len;
	c->held[c->n_held].id = id;
	c->n_held++;
}

static char *to_line(cJSON *reply, size_t *len)
{
	char *text = pz_json_print(reply, NULL);
	size_t n;
	char *line;

	if (text == NULL)
		return NULL;
	n = strlen(text);
	line = realloc(text, n + 2);
	if (line == NULL) {
		free(text);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*len = n + 1;
	return line;
}

static const char oom_reply[] =
    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,"
    "\"message\":\"internal error: out of memory\"}}\n";

/* Send or hold a reply; replies keep request order either way. */
static void reply(struct pz_conn *c, cJSON *r)
{
	const cJSON *idj = cJSON_GetObjectItemCaseSensitive(r, "id");
	char *id = NULL, *line;
	size_t len = 0;

	line = to_line(r, &len);
	if (line == NULL) {
		send_bytes(c, oom_reply, sizeof(oom_reply) - 1);
		return;
	}
	if (!pz_core_dirty(&c->srv->core) && c->n_held == 0) {
		send_bytes(c, line, len);
		free(line);
		return;
	}
	id = idj != NULL ? pz_json_print(idj, NULL) : NULL;
	hold(c, line, len, id);
}

void pz_conn_release_held(struct pz_conn *c, int ok, const char *message)
{
	for (size_t i = 0; i < c->n_held; i++) {
		struct held *h = &c->held[i];

		if (ok) {
			send_bytes(c, h->line, h->len);
		} else {
			cJSON *id = h->id != NULL ? cJSON_Parse(h->id) : NULL;
			cJSON *r = pz_rpc_error(id, PZ_RPC_STORAGE, message, NULL);
			size_t len;
			char *line = r != NULL ? to_line(r, &len) : NULL;

			if (line != NULL)
				send_bytes(c, line, len);
			else
				send_bytes(c, oom_reply, sizeof(oom_reply) - 1);
			free(line);
			cJSON_Delete(r);
			cJSON_Delete(id);
		}
		free(h->line);
		free(h->id);
	}
	c->n_held = 0;
	if (c->close_when_flushed && c->queued == 0)
		conn_close(c);
}

static void handle_line(struct pz_conn *c, const char *line, size_t len)
{
	cJSON *r;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return;
	r = pz_rpc_handle(&c->srv->rpc, line, len);
	if (r == NULL) {
		/* A notification; or out of memory, which we cannot tell apart
		 * here and which leaves nothing sensible to answer. */
		return;
	}
	reply(c, r);
	cJSON_Delete(r);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct pz_conn *c = (struct pz_conn *)h;

	(void)suggested;
	if (c->cap - c->len < READ_CHUNK) {
		size_t cap = c->cap ? c->cap : READ_CHUNK;
		char *nb;

		while (cap - c->len < READ_CHUNK)
			cap *= 2;
		nb = realloc(c->buf, cap);
		if (nb == NULL) {
			*b = uv_buf_init(NULL, 0);
			return;
		}
		c->buf = nb;
		c->cap = cap;
	}
	*b = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void too_long(struct pz_conn *c)
{
	char msg[128];
	cJSON *r;

	snprintf(msg, sizeof(msg),
	         "invalid request: line longer than %zu bytes; closing the "
	         "connection", c->srv->opt.max_line);
	r = pz_rpc_error(NULL, PZ_RPC_INVALID_REQUEST, msg, NULL);
	if (r != NULL)
		reply(c, r);
	cJSON_Delete(r);
	pz_conn_shutdown(c);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct pz_conn *c = (struct pz_conn *)s;
	size_t start = 0, scan;

	(void)b;
	if (nread == UV_EOF) {
		/* The peer may only have shut down its writing side (a script
		 * that sends its requests and then waits): answer what was
		 * read, including replies still waiting for the commit, then
		 * close. A peer that is fully gone makes those writes fail. */
		pz_conn_shutdown(c);
		return;
	}
	if (nread < 0) {
		pz_log(PZ_LOG_DEBUG, "read: %s", uv_strerror((int)nread));
		conn_close(c);
		return;
	}
	if (nread == 0)
		return;
	scan = c->len;
	c->len += (size_t)nread;
	for (;;) {
		char *nl = memchr(c->buf + scan, '\n', c->len - scan);

		if (nl == NULL)
			break;
		if ((size_t)(nl - (c->buf + start)) > c->srv->opt.max_line) {
			too_long(c);
			return;
		}
		handle_line(c, c->buf + start, (size_t)(nl - (c->buf + start)));
		if (c->closing || c->close_when_flushed)
			return;
		start = scan = (size_t)(nl - c->buf) + 1;
	}
	if (c->len - start > c->srv->opt.max_line) {
		too_long(c);
		return;
	}
	if (start > 0) {
		memmove(c->buf, c->buf + start, c->len - start);
		c->len -= start;
	}
}

/*
 * Is `gid` one of the peer's groups? SO_PEERCRED has only its primary
 * group; a worker admitted by --group is normally a member through a
 * supplementary group (usermod -aG), which SO_PEERGROUPS lists.
 */
static int peer_in_group(int fd, const struct ucred *cred, gid_t gid)
{
	gid_t some[64], *groups = some;
	socklen_t len = sizeof(some);
	int found = 0;

	if (cred->gid == gid)
		return 1;
#ifdef SO_PEERGROUPS
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) != 0) {
		if (errno != ERANGE || (groups = malloc(len)) == NULL)
			return 0;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) != 0)
			len = 0;
	}
	for (size_t i = 0; i < len / sizeof(gid_t) && !found; i++)
		found = groups[i] == gid;
	if (groups != some)
		free(groups);
#else
	(void)fd;
#endif
	return found;
}

static int peer_allowed(struct pz_server *srv, uv_pipe_t *p)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uv_os_fd_t fd;

	if (uv_fileno((uv_handle_t *)p, &fd) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return 0;
	if (cred.uid == geteuid() || cred.uid == 0)
		return 1;
	if (srv->opt.allow_gid >= 0 &&
	    peer_in_group(fd, &cred, (gid_t)srv->opt.allow_gid))
		return 1;
	pz_log(PZ_LOG_WARN, "refused a connection from uid %u (pid %d)",
	       (unsigned)cred.uid, (int)cred.pid);
	return 0;
}

static void on_reject_close(uv_handle_t *h)
{
	free(h);
}

void pz_conn_accept(struct pz_server *srv)
{
	struct pz_conn *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		pz_log(PZ_LOG_ERROR, "out of memory accepting a connection");
		return;
	}
	c->srv = srv;
	uv_pipe_init(srv->loop, &c->pipe, 0);
	if (uv_accept((uv_stream_t *)&srv->listener, (uv_stream_t *)&c->pipe) !=
	        0 ||
	    !peer_allowed(srv, &c->pipe)) {
		uv_close((uv_handle_t *)&c->pipe, on_reject_close);
		return;
	}
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	srv->rpc.n_connections++;
	uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
	c->reading = 1;
}

void pz_conn_shutdown(struct pz_conn *c)
{
	if (c->closing)
		return;
	if (c->reading) {
		uv_read_stop((uv_stream_t *)&c->pipe);
		c->reading = 0;
	}
	c->close_when_flushed = 1;
	if (c->queued == 0 && c->n_held == 0)
		conn_close(c);
}
