/*
 * Connections: framing, ordered replies, write coalescing, back-pressure
 * and the shared memory budget; see conn.h. A connection's memory is
 * freed only in its close callback.
 */
#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"
#include "log.h"
#include "rpc.h"

#define READ_CHUNK (64u << 10)
#define MIN_SHARE (64u << 10)   /* a connection's backlog share, at least */
#define MAX_SHARE (8u << 20)    /* and at most */
#define HARD_CAP (64u << 20)    /* a backlog past this closes the client */
#define MAX_IOV 64              /* replies per write */

struct pz_conn {
	uv_pipe_t pipe;  /* first: the handle's address is the conn's */
	const struct pz_conn_env *env;
	void *data;
	struct pz_frame frame;
	size_t counted_in;   /* frame bytes counted in budget->in_bytes */
	struct pz_call *head, *tail;
	size_t n_pending;    /* calls not finished yet */
	size_t backlog;      /* bytes of finished replies not written yet */
	int reading;
	int eof;             /* the peer sent all it will send */
	int no_input;        /* take no more lines (shutdown, line too long) */
	int processing;      /* inside process(): flush once, at its end */
	int closing;
	unsigned peer_uid;   /* SO_PEERCRED at accept */
};

struct write_req {
	uv_write_t req;
	struct pz_conn *conn;
	size_t len;
	char data[];
};

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b);
static void process(struct pz_conn *c);

void *pz_conn_data(const struct pz_conn *c)
{
	return c->data;
}

unsigned pz_conn_peer_uid(const struct pz_conn *c)
{
	return c->peer_uid;
}

size_t pz_conn_backlog(const struct pz_conn *c)
{
	return c->backlog;
}

static void count_out(struct pz_conn *c, size_t add, size_t sub)
{
	struct pz_budget *b = c->env->budget;

	c->backlog += add;
	c->backlog -= sub;
	b->out_bytes += add;
	b->out_bytes -= sub;
	if (b->out_bytes > b->peak_out)
		b->peak_out = b->out_bytes;
}

static void count_in(struct pz_conn *c)
{
	struct pz_budget *b = c->env->budget;

	b->in_bytes -= c->counted_in;
	c->counted_in = c->frame.cap;
	b->in_bytes += c->counted_in;
	if (b->in_bytes > b->peak_in)
		b->peak_in = b->in_bytes;
}

static void on_close(uv_handle_t *h)
{
	struct pz_conn *c = (struct pz_conn *)h;
	struct pz_call *call, *next;

	for (call = c->head; call != NULL; call = next) {
		next = call->next;
		if (call->pending)
			pz_call_detach(call); /* freed when it finishes */
		else
			pz_call_destroy(call);
	}
	count_out(c, 0, c->backlog);
	pz_frame_finish(&c->frame);
	count_in(c);
	c->env->budget->n_conns--;
	c->env->on_close(c->env->ctx, c);
	free(c);
}

void pz_conn_close(struct pz_conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	uv_close((uv_handle_t *)&c->pipe, on_close);
}

static void stop_reading(struct pz_conn *c)
{
	if (c->reading) {
		uv_read_stop((uv_stream_t *)&c->pipe);
		c->reading = 0;
	}
}

static void start_reading(struct pz_conn *c)
{
	if (!c->reading && !c->eof && !c->no_input && !c->closing &&
	    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) == 0)
		c->reading = 1;
}

/* Done with input and output: close. */
static void maybe_close(struct pz_conn *c)
{
	int more_input = !c->eof && !c->no_input;

	if (!c->closing && !more_input && c->head == NULL && c->backlog == 0)
		pz_conn_close(c);
}

static void on_write(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct pz_conn *c = w->conn;

	count_out(c, 0, w->len);
	free(w);
	if (c->closing)
		return;
	if (status < 0) {
		pz_log(PZ_LOG_DEBUG, "write failed: %s", uv_strerror(status));
		pz_conn_close(c);
		return;
	}
	process(c);
}

/* Is the head of the queue ready to go out? */
static int ready(const struct pz_conn *c, const struct pz_call *call)
{
	return !call->pending && call->batch <= *c->env->durable;
}

static struct pz_call *pop(struct pz_conn *c)
{
	struct pz_call *call = c->head;

	c->head = call->next;
	if (c->head == NULL)
		c->tail = NULL;
	return call;
}

/*
 * Write the ready replies at the head of the queue: as many as fit one
 * writev, first without blocking (uv_try_write), the rest queued in one
 * copy.
 */
static void send_ready(struct pz_conn *c)
{
	uv_buf_t bufs[MAX_IOV];
	struct pz_call *calls[MAX_IOV];
	struct write_req *w;
	size_t total = 0, sent = 0, at = 0;
	int n = 0, rc;

	while (!c->closing && c->head != NULL && ready(c, c->head)) {
		n = 0;
		total = 0;
		for (struct pz_call *call = c->head;
		     call != NULL && n < MAX_IOV && ready(c, call);
		     call = call->next) {
			calls[n] = call;
			bufs[n++] = uv_buf_init(call->text != NULL ? call->text
			                                           : (char *)"",
			                        (unsigned)call->len);
			total += call->len;
		}
		rc = uv_try_write((uv_stream_t *)&c->pipe, bufs,
		                  (unsigned)n);
		if (rc == UV_EAGAIN)
			rc = 0;
		if (rc < 0) {
			pz_conn_close(c);
			return;
		}
		sent = (size_t)rc;
		if (sent < total) {
			w = malloc(sizeof(*w) + total - sent);
			if (w == NULL) {
				pz_conn_close(c);
				return;
			}
			w->conn = c;
			w->len = total - sent;
			at = 0;
			for (int i = 0; i < n; i++) {
				size_t skip = sent > calls[i]->len ? calls[i]->len
				                                   : sent;

				memcpy(w->data + at, calls[i]->text + skip,
				       calls[i]->len - skip);
				at += calls[i]->len - skip;
				sent -= skip;
			}
			bufs[0] = uv_buf_init(w->data, (unsigned)w->len);
			if (uv_write(&w->req, (uv_stream_t *)&c->pipe, bufs, 1,
			             on_write) != 0) {
				free(w);
				pz_conn_close(c);
				return;
			}
		}
		/* What went out now leaves the backlog; what was queued
		 * leaves it in on_write. */
		count_out(c, 0, (size_t)rc);
		for (int i = 0; i < n; i++)
			pz_call_destroy(pop(c));
		if ((size_t)rc < total)
			break; /* the socket is full: on_write goes on */
	}
}

void pz_conn_flush(struct pz_conn *c)
{
	process(c);
}

static void on_call_ready(struct pz_call *call)
{
	struct pz_conn *c = call->owner;

	c->n_pending--;
	count_out(c, call->len, 0);
	if (!c->processing)
		process(c);
}

static size_t share(const struct pz_conn *c)
{
	const struct pz_budget *b = c->env->budget;
	size_t s = b->out_max / (b->n_conns ? b->n_conns : 1);

	return s < MIN_SHARE ? MIN_SHARE : s > MAX_SHARE ? MAX_SHARE : s;
}

/*
 * May the connection take its next line? Requests of one connection are
 * handled one after the other: a request whose answer is computed off the
 * loop (trial.ask) holds back the lines after it, so a client sees the
 * effect of each request in the next, as if each were answered at once.
 */
static int can_take(const struct pz_conn *c)
{
	if (c->closing || c->no_input || c->n_pending > 0)
		return 0;
	if (c->backlog == 0)
		return 1;
	return c->backlog < share(c) &&
	       c->env->budget->out_bytes < c->env->budget->out_max;
}

static void append(struct pz_conn *c, struct pz_call *call)
{
	call->next = NULL;
	if (c->tail != NULL)
		c->tail->next = call;
	else
		c->head = call;
	c->tail = call;
}

/* Queue an error reply without id and take no more input. */
static void refuse_input(struct pz_conn *c, const char *message)
{
	struct pz_call *call = pz_call_create(c, on_call_ready);
	size_t len = 0;
	char *line;

	c->no_input = 1;
	stop_reading(c);
	if (call == NULL) {
		pz_conn_close(c);
		return;
	}
	line = pz_rpc_error_line(NULL, PZ_RPC_INVALID_REQUEST, NULL, message,
	                         &len);
	append(c, call);
	c->n_pending++;
	pz_call_finish(call, line, len, 0);
}

/*
 * Take the lines the budget allows, send what is ready, and read on when
 * there is room for more.
 */
static void process(struct pz_conn *c)
{
	char msg[160];
	const char *line;
	size_t len;
	int rc;

	if (c->closing || c->processing)
		return;
	c->processing = 1;
	while (can_take(c)) {
		struct pz_call *call;

		rc = pz_frame_next(&c->frame, &line, &len);
		if (rc == 0)
			break;
		if (rc < 0) {
			snprintf(msg, sizeof(msg), "invalid request: line longer "
			         "than %zu bytes; closing the connection",
			         c->env->max_line);
			refuse_input(c, msg);
			break;
		}
		if (len == 0)
			continue;
		call = pz_call_create(c, on_call_ready);
		if (call == NULL) {
			pz_conn_close(c);
			break;
		}
		append(c, call);
		c->n_pending++;
		c->env->on_line(c->env->ctx, c, call, line, len);
	}
	c->processing = 0;
	if (c->closing)
		return;
	pz_frame_compact(&c->frame);
	count_in(c);
	send_ready(c);
	if (c->closing)
		return;
	if (c->backlog > HARD_CAP) {
		pz_log(PZ_LOG_WARN, "closing a client with %zu bytes of unread "
		       "replies", c->backlog);
		pz_conn_close(c);
		return;
	}
	/* Read on only when the lines read so far could be taken. */
	if (can_take(c))
		start_reading(c);
	else
		stop_reading(c);
	maybe_close(c);
}

void pz_conn_kick(struct pz_conn *c)
{
	process(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct pz_conn *c = (struct pz_conn *)h;
	const struct pz_budget *bud = c->env->budget;
	size_t room = c->frame.cap - c->frame.len, grow = 0;
	char *ptr;

	(void)suggested;
	if (room < READ_CHUNK)
		grow = c->frame.cap ? c->frame.cap : READ_CHUNK;
	/* A partial line that needs more memory than the budget has left
	 * is refused (on_read sees UV_ENOBUFS). */
	if (grow > 0 && pz_frame_pending(&c->frame) > 0 &&
	    bud->in_bytes + grow > bud->in_max) {
		*b = uv_buf_init(NULL, 0);
		return;
	}
	if (pz_frame_space(&c->frame, READ_CHUNK, &ptr, &room) != 0) {
		*b = uv_buf_init(NULL, 0);
		return;
	}
	*b = uv_buf_init(ptr, (unsigned)room);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct pz_conn *c = (struct pz_conn *)s;

	(void)b;
	if (nread == UV_EOF) {
		/* The peer may only have shut down its writing side (a script
		 * that sends its requests, then waits): answer what was read,
		 * then close. */
		c->eof = 1;
		stop_reading(c);
		process(c);
		return;
	}
	if (nread == UV_ENOBUFS) {
		pz_log(PZ_LOG_WARN, "refusing a client's partial line: "
		       "clients hold %zu bytes of unparsed input",
		       c->env->budget->in_bytes);
		refuse_input(c, "server busy: clients hold too much unparsed "
		                "input; send shorter lines or retry later");
		process(c);
		return;
	}
	if (nread < 0) {
		pz_log(PZ_LOG_DEBUG, "read: %s", uv_strerror((int)nread));
		pz_conn_close(c);
		return;
	}
	pz_frame_filled(&c->frame, (size_t)nread);
	process(c);
}

void pz_conn_fail_batch(struct pz_conn *c, uint64_t batch,
                        const char *message)
{
	for (struct pz_call *call = c->head; call != NULL; call = call->next) {
		char *line;
		size_t len = 0;

		if (call->pending || call->batch != batch)
			continue;
		line = call->id != NULL || !call->notification
		               ? pz_rpc_error_line(call->id, PZ_RPC_STORAGE,
		                                   NULL, message, &len)
		               : NULL;
		count_out(c, len, call->len);
		free(call->text);
		call->text = line;
		call->len = line != NULL ? len : 0;
		call->batch = 0;
	}
	process(c);
}

void pz_conn_notify(struct pz_conn *c, char *line, size_t len,
                    uint64_t batch)
{
	struct pz_call *call;

	if (c->closing) {
		free(line);
		return;
	}
	call = pz_call_create(c, on_call_ready);
	if (call == NULL) {
		free(line);
		pz_conn_close(c);
		return;
	}
	call->notification = 1;
	append(c, call);
	c->n_pending++;
	pz_call_finish(call, line, len, batch);
}

void pz_conn_refuse(struct pz_conn *c, const char *message)
{
	refuse_input(c, message);
	process(c);
}

void pz_conn_shutdown(struct pz_conn *c)
{
	c->no_input = 1;
	stop_reading(c);
	process(c);
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

static int peer_allowed(const struct pz_conn_env *env, uv_pipe_t *p,
                        unsigned *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uv_os_fd_t fd;

	if (uv_fileno((uv_handle_t *)p, &fd) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return 0;
	*uid = (unsigned)cred.uid;
	if (cred.uid == geteuid() || cred.uid == 0)
		return 1;
	if (env->allow_gid >= 0 &&
	    peer_in_group(fd, &cred, (gid_t)env->allow_gid))
		return 1;
	pz_log(PZ_LOG_WARN, "refused a connection from uid %u (pid %d)",
	       (unsigned)cred.uid, (int)cred.pid);
	return 0;
}

static void on_reject_close(uv_handle_t *h)
{
	free(h);
}

struct pz_conn *pz_conn_accept(uv_stream_t *listener,
                               const struct pz_conn_env *env, void *data)
{
	struct pz_conn *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		pz_log(PZ_LOG_ERROR, "out of memory accepting a connection");
		return NULL;
	}
	c->env = env;
	c->data = data;
	pz_frame_init(&c->frame, env->max_line);
	uv_pipe_init(listener->loop, &c->pipe, 0);
	if (uv_accept(listener, (uv_stream_t *)&c->pipe) != 0 ||
	    !peer_allowed(env, &c->pipe, &c->peer_uid)) {
		uv_close((uv_handle_t *)&c->pipe, on_reject_close);
		return NULL;
	}
	env->budget->n_conns++;
	start_reading(c);
	return c;
}
