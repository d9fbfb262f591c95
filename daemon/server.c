/*
 * parzend's event loop: listen, accept, commit once per loop iteration,
 * make commits durable off the loop, run suggestions on worker threads,
 * reclaim silent workers' trials, and shut down in order.
 *
 * Group commit: handlers change the store inside one open batch; a
 * uv_check handle, which runs after the loop has processed the I/O of an
 * iteration, commits it. With --durability full the commit is made
 * durable by an fsync of the WAL on a worker thread while the loop goes
 * on with the next batch (SQLite's own fsync at COMMIT would stop the
 * loop); replies that confirm a batch leave only once it is durable. N
 * requests that arrive together cost one fsync, and fsyncs overlap the
 * work of the next batch.
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "listen.h"
#include "log.h"
#include "notify.h"
#include "trial.h"
#include "watch.h"

#define TICK_MS 250
/* A gap between ticks longer than this is time the loop was stuck. */
#define STALL_GAP 1.0

struct pz_server_conn {
	struct pz_server_conn *prev, *next;
	struct pz_server *srv;
	struct pz_conn *conn;
};

static void maybe_finish(struct pz_server *srv);
static void stop_tasks(struct pz_server *srv);

/* --- the executor: suggestions on libuv's thread pool ----------------------- */

struct work {
	uv_work_t req;
	struct pz_server *srv;
	struct pz_job *job;
};

static void work_cb(uv_work_t *req)
{
	struct work *w = req->data;

	w->job->work(w->job);
}

static void after_work_cb(uv_work_t *req, int status)
{
	struct work *w = req->data;
	struct pz_server *srv = w->srv;

	(void)status; /* never cancelled */
	srv->n_jobs--;
	w->job->done(w->job);
	free(w);
	maybe_finish(srv);
}

static int exec_submit(void *ctx, struct pz_job *job)
{
	struct pz_server *srv = ctx;
	struct work *w = malloc(sizeof(*w));

	if (w == NULL)
		return PZ_ENOMEM;
	w->srv = srv;
	w->job = job;
	w->req.data = w;
	if (uv_queue_work(srv->loop, &w->req, work_cb, after_work_cb) != 0) {
		free(w);
		return PZ_ENOMEM;
	}
	srv->n_jobs++;
	return 0;
}

/* --- the batch pipeline ------------------------------------------------------ */

static void for_each_conn(struct pz_server *srv,
                          void (*fn)(struct pz_conn *c, void *arg), void *arg)
{
	for (struct pz_server_conn *n = srv->conns, *next; n != NULL;
	     n = next) {
		next = n->next;
		fn(n->conn, arg);
	}
}

static void flush_one(struct pz_conn *c, void *arg)
{
	(void)arg;
	pz_conn_flush(c);
}

/* Batches up to `batch` are durable: their replies may go. */
static void advance(struct pz_server *srv, uint64_t batch)
{
	if (batch <= srv->durable_batch)
		return;
	srv->durable_batch = batch;
	pz_watch_durable(srv->watch, batch);
	for_each_conn(srv, flush_one, NULL);
}

struct failed_batch {
	uint64_t batch;
	const char *message;
};

static void fail_one(struct pz_conn *c, void *arg)
{
	const struct failed_batch *f = arg;

	pz_conn_fail_batch(c, f->batch, f->message);
}

struct sync_job {
	uv_work_t req;
	struct pz_server *srv;
	int fd;
	uint64_t batch;       /* durable once the fsync returns */
	int rc;
	struct pz_error err;
};

static void start_sync(struct pz_server *srv);

static void sync_work(uv_work_t *req)
{
	struct sync_job *j = req->data;

	j->rc = pz_store_sync(j->fd, &j->err);
}

/*
 * A commit could not be made durable: its changes are in the WAL but
 * maybe not on the disk, and a WAL that lost pages loses every commit
 * after them too. No reply or notification that waits for durability
 * may go out any more (a later fsync may well succeed: Linux reports a
 * write-back error once), and a store that cannot sync must not go on as
 * if it could: parzend stops.
 */
static void sync_failed(struct pz_server *srv, const char *why)
{
	char msg[PZ_ERROR_MSG_MAX + 128];

	snprintf(msg, sizeof(msg), "storage failure: the commit could "
	         "not be made durable (%s); parzend stops", why);
	pz_log(PZ_LOG_ERROR, "%s", msg);
	srv->sync_failed = 1;
	for (uint64_t b = srv->durable_batch + 1; b <= srv->committed_batch;
	     b++) {
		struct failed_batch f = {b, msg};

		pz_watch_failed(srv->watch, b);
		for_each_conn(srv, fail_one, &f);
	}
	srv->exit_code = 1;
	pz_server_stop(srv);
}

static void sync_after(uv_work_t *req, int status)
{
	struct sync_job *j = req->data;
	struct pz_server *srv = j->srv;

	(void)status;
	srv->syncing = 0;
	srv->n_jobs--;
	if (j->rc != 0) {
		sync_failed(srv, j->err.msg);
		free(j);
		maybe_finish(srv);
		return;
	}
	advance(srv, j->batch);
	free(j);
	if (srv->committed_batch > srv->durable_batch)
		start_sync(srv);
	maybe_finish(srv);
}

/* Sync on the loop (no thread to do it): durable, or failed. */
static void sync_here(struct pz_server *srv, int fd)
{
	struct pz_error err = {0};

	if (pz_store_sync(fd, &err) == 0)
		advance(srv, srv->committed_batch);
	else
		sync_failed(srv, err.msg);
}

static void start_sync(struct pz_server *srv)
{
	struct sync_job *j;
	struct pz_error err = {0};
	int fd;

	if (srv->syncing)
		return; /* sync_after starts the next one */
	if (srv->sync_failed) {
		sync_failed(srv, "an earlier sync failed");
		return;
	}
	fd = pz_store_sync_fd(srv->store, &err);
	if (fd < -1) {
		/* No file to sync is no sync: nothing may be confirmed. */
		sync_failed(srv, err.msg);
		return;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		/* Sync here rather than acknowledge an unsynced commit. */
		sync_here(srv, fd);
		return;
	}
	j->srv = srv;
	j->fd = fd;
	j->batch = srv->committed_batch;
	j->req.data = j;
	if (uv_queue_work(srv->loop, &j->req, sync_work, sync_after) != 0) {
		free(j);
		sync_here(srv, fd);
		return;
	}
	srv->syncing = 1;
	srv->n_jobs++;
}

static void commit(struct pz_server *srv)
{
	struct pz_error err = {0};
	char msg[PZ_ERROR_MSG_MAX + 64];
	uint64_t batch = srv->core.batch;

	if (!pz_core_dirty(&srv->core))
		return;
	if (pz_core_commit(&srv->core, &err) != 0) {
		struct failed_batch f = {batch, msg};

		pz_log(PZ_LOG_ERROR, "commit failed: %s", err.msg);
		snprintf(msg, sizeof(msg), "storage failure, nothing from this "
		         "request was recorded: %s", err.msg);
		pz_watch_failed(srv->watch, batch);
		for_each_conn(srv, fail_one, &f);
		return;
	}
	srv->committed_batch = batch;
	if (srv->opt.durable)
		start_sync(srv);
	else
		advance(srv, batch);
}

static void on_check(uv_check_t *h)
{
	struct pz_server *srv = h->data;

	commit(srv);
	maybe_finish(srv);
}

/* --- liveness and reclaim ------------------------------------------------------ */

static double liveness(void *ctx)
{
	const struct pz_server *srv = ctx;

	return pz_clock_mono() - srv->stalled;
}

static void on_tick(uv_timer_t *t)
{
	struct pz_server *srv = t->data;
	double now = pz_clock_mono(), gap = now - srv->last_tick;
	size_t n;

	/* Timers run before the loop reads its sockets: a heartbeat that
	 * waited in a socket while the loop was stuck (a long request, a
	 * SIGSTOP) must not lose its trial. That time does not count. */
	if (gap > STALL_GAP) {
		srv->stalled += gap - TICK_MS / 1000.0;
		pz_log(PZ_LOG_INFO, "the loop could not listen for %.1f s; "
		       "deadlines were moved by as much", gap);
	}
	srv->last_tick = now;
	if (srv->stopping)
		return;
	n = pz_trial_reclaim(&srv->core, liveness(srv));
	if (n > 0)
		pz_log(PZ_LOG_INFO, "reclaimed %zu trial%s whose worker stopped "
		       "heart-beating", n, n == 1 ? "" : "s");
	/* After a burst, give freed memory back to the system. */
	if (srv->budget.out_bytes == 0 && srv->budget.in_bytes == 0 &&
	    srv->budget.peak_out + srv->budget.peak_in > (16u << 20)) {
		malloc_trim(0);
		srv->budget.peak_out = srv->budget.peak_in = 0;
	}
}

/* --- watchers ------------------------------------------------------------------ */

static void watch_send(void *watcher, char *line, size_t len)
{
	pz_conn_notify(watcher, line, len, 0);
}

static void on_event(void *ctx, const struct pz_study *s,
                     enum pz_event_kind kind, int64_t number)
{
	struct pz_server *srv = ctx;

	pz_watch_event(srv->watch, srv->core.batch, &srv->core, s, kind,
	               number);
}

/* --- connections --------------------------------------------------------------- */

static void on_line(void *ctx, struct pz_conn *c, struct pz_call *call,
                    const char *line, size_t len)
{
	struct pz_server *srv = ctx;

	(void)c;
	pz_rpc_dispatch(&srv->rpc, line, len, call);
}

static void on_conn_close(void *ctx, struct pz_conn *c)
{
	struct pz_server *srv = ctx;
	struct pz_server_conn *n = pz_conn_data(c);

	pz_watch_remove(srv->watch, c, NULL);
	if (n->prev != NULL)
		n->prev->next = n->next;
	else
		srv->conns = n->next;
	if (n->next != NULL)
		n->next->prev = n->prev;
	srv->n_conns--;
	srv->rpc.server.n_connections = srv->n_conns;
	free(n);
	maybe_finish(srv);
}

static void on_connection(uv_stream_t *listener, int status)
{
	struct pz_server *srv = listener->data;
	struct pz_server_conn *n;
	char msg[128];

	if (status < 0) {
		pz_log(PZ_LOG_WARN, "accept: %s", uv_strerror(status));
		return;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL) {
		pz_log(PZ_LOG_ERROR, "out of memory accepting a connection");
		return;
	}
	n->srv = srv;
	n->conn = pz_conn_accept(listener, &srv->env, n);
	if (n->conn == NULL) {
		free(n);
		return;
	}
	n->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = n;
	srv->conns = n;
	srv->n_conns++;
	srv->rpc.server.n_connections = srv->n_conns;
	if (srv->n_conns > srv->opt.max_connections) {
		snprintf(msg, sizeof(msg), "server busy: %zu connections is the "
		         "limit (--max-connections); retry later",
		         srv->opt.max_connections);
		pz_conn_refuse(n->conn, msg);
	}
}

/* --- signals ----------------------------------------------------------------------- */

static void on_signal(uv_signal_t *h, int signum)
{
	struct pz_server *srv = h->data;

	switch (signum) {
	case SIGHUP:
		if (srv->opt.log_path != NULL) {
			pz_log_reopen(srv->opt.log_path);
			pz_log(PZ_LOG_INFO, "SIGHUP: reopened %s", srv->opt.log_path);
		} else {
			pz_log(PZ_LOG_INFO, "SIGHUP: logging to stderr, nothing "
			       "to reopen");
		}
		return;
	case SIGUSR1:
		pz_log(PZ_LOG_INFO, "SIGUSR1: %zu connections, %zu bytes of "
		       "replies and %zu of input queued, %zu jobs, %llu "
		       "commits", srv->n_conns, srv->budget.out_bytes,
		       srv->budget.in_bytes, srv->n_jobs,
		       (unsigned long long)srv->core.n_commits);
		return;
	case SIGUSR2:
		pz_log(PZ_LOG_INFO, "SIGUSR2: ignored");
		return;
	default:
		pz_log(PZ_LOG_INFO, "%s: shutting down",
		       signum == SIGTERM ? "SIGTERM" : "SIGINT");
		pz_server_stop(srv);
	}
}

/* --- the parent's pipe (--parent-fd) ----------------------------------------------- */

/*
 * A process that starts parzend for itself alone (Python's private
 * Trials()) holds the write end of a pipe whose read end is parent_fd.
 * The kernel closes it when that process ends, however it ends, and
 * parzend stops as on SIGTERM instead of serving nobody forever.
 */
static void parent_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	static char sink[64];

	(void)h;
	(void)size;
	*buf = uv_buf_init(sink, sizeof(sink));
}

static void parent_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct pz_server *srv = s->data;

	(void)buf;
	if (n >= 0)
		return; /* bytes mean nothing; only the end does */
	uv_read_stop(s);
	pz_log(PZ_LOG_INFO, "--parent-fd %d: %s, shutting down",
	       srv->opt.parent_fd,
	       n == UV_EOF ? "the parent is gone" : uv_strerror((int)n));
	pz_server_stop(srv);
}

static int watch_parent(struct pz_server *srv, struct pz_error *err)
{
	int rc;

	uv_pipe_init(srv->loop, &srv->parent, 0);
	srv->parent.data = srv;
	rc = uv_pipe_open(&srv->parent, srv->opt.parent_fd);
	if (rc == 0)
		rc = uv_read_start((uv_stream_t *)&srv->parent, parent_alloc,
		                   parent_read);
	if (rc != 0)
		return pz_error_set(err, PZ_EINVAL, "--parent-fd %d: %s",
		                    srv->opt.parent_fd, uv_strerror(rc));
	return 0;
}

/* --- administrative methods (admin.h) ---------------------------------------------- */

/*
 * Tasks run from an idle handle: after the previous iteration's batch was
 * committed (check phase) and before the next one's requests are read
 * (poll phase), so no transaction is open, and the loop does not block
 * in poll while a task has work left.
 */
static void on_task_idle(uv_idle_t *h)
{
	struct pz_server *srv = h->data;
	struct pz_task *list = srv->tasks, *keep = NULL, **tail = &keep;

	/*
	 * A task that finishes answers its request, and that connection
	 * takes its next line right then: a request that adds a task (on
	 * srv->tasks, meanwhile), opens a batch or stops the server. So the
	 * tasks of the list as it was are run from a list of their own, and
	 * none while a batch is open.
	 */
	srv->tasks = NULL;
	while (list != NULL) {
		struct pz_task *t = list;

		list = t->next;
		t->next = NULL;
		if (srv->stopping || pz_core_dirty(&srv->core) ||
		    t->run(t, 0) != 0) {
			*tail = t; /* else t may be freed */
			tail = &t->next;
		}
	}
	*tail = srv->tasks;
	srv->tasks = keep;
	if (srv->stopping)
		stop_tasks(srv);
	if (srv->tasks == NULL)
		uv_idle_stop(&srv->task_idle);
	maybe_finish(srv);
}

static void stop_tasks(struct pz_server *srv)
{
	while (srv->tasks != NULL) {
		struct pz_task *t = srv->tasks;

		srv->tasks = t->next;
		t->run(t, 1);
	}
	uv_idle_stop(&srv->task_idle);
}

static void admin_add_task(void *ctx, struct pz_task *t)
{
	struct pz_server *srv = ctx;

	if (srv->stopping) {
		t->run(t, 1);
		return;
	}
	t->next = srv->tasks;
	srv->tasks = t;
	uv_idle_start(&srv->task_idle, on_task_idle);
}

static int admin_peer_uid(void *ctx, const struct pz_call *call,
                          unsigned *uid)
{
	(void)ctx;
	if (call->owner == NULL)
		return -1;
	*uid = pz_conn_peer_uid(call->owner);
	return 0;
}

static void admin_stop(void *ctx)
{
	struct pz_server *srv = ctx;

	pz_log(PZ_LOG_INFO, "server.stop: shutting down");
	pz_server_stop(srv);
}

/* --- the listening socket -------------------------------------------------------- */

static int listen_socket(struct pz_server *srv, struct pz_error *err)
{
	char msg[256];
	int fd = pz_listen_fd(msg, sizeof(msg)), rc;

	uv_pipe_init(srv->loop, &srv->listener, 0);
	srv->listener.data = srv;
	if (fd == -2)
		return pz_error_set(err, PZ_EINVAL, "%s", msg);
	if (fd >= 0) {
		struct sockaddr_un sa;
		socklen_t sa_len = sizeof(sa);

		srv->activated = 1;
		/* server.info reports where clients reach us, not --socket. */
		memset(&sa, 0, sizeof(sa));
		if (getsockname(fd, (struct sockaddr *)&sa, &sa_len) == 0 &&
		    sa.sun_path[0] == '/') {
			snprintf(srv->activated_path, sizeof(srv->activated_path),
			         "%.*s", (int)sizeof(sa.sun_path), sa.sun_path);
			srv->rpc.server.socket_path = srv->activated_path;
		}
		rc = uv_pipe_open(&srv->listener, fd);
		if (rc != 0)
			return pz_error_set(err, PZ_EIO, "socket activation: %s",
			                    uv_strerror(rc));
		rc = uv_listen((uv_stream_t *)&srv->listener, SOMAXCONN,
		               on_connection);
		if (rc != 0)
			return pz_error_set(err, PZ_EIO, "listen (fd 3): %s",
			                    uv_strerror(rc));
		return 0;
	}
	fd = pz_listen_open(&srv->lsock, srv->opt.socket_path,
	                    srv->opt.socket_mode, srv->opt.allow_gid, err);
	if (fd < 0)
		return fd;
	rc = uv_pipe_open(&srv->listener, fd);
	if (rc != 0) {
		close(fd);
		return pz_error_set(err, PZ_EIO, "uv_pipe_open %s: %s",
		                    srv->opt.socket_path, uv_strerror(rc));
	}
	rc = uv_listen((uv_stream_t *)&srv->listener, SOMAXCONN, on_connection);
	if (rc != 0)
		return pz_error_set(err, PZ_EIO, "listen %s: %s",
		                    srv->opt.socket_path, uv_strerror(rc));
	return 0;
}

/* --- start and stop ----------------------------------------------------------- */

int pz_server_start(struct pz_server *srv, uv_loop_t *loop,
                    const struct pz_server_options *opt,
                    struct pz_error *err)
{
	int rc;

	memset(srv, 0, sizeof(*srv));
	pz_listen_init(&srv->lsock);
	srv->loop = loop;
	srv->opt = *opt;
	if (srv->opt.max_connections == 0)
		srv->opt.max_connections = 1024;
	if (srv->opt.max_memory == 0)
		srv->opt.max_memory = 256u << 20;
	if (srv->opt.shutdown_timeout <= 0)
		srv->opt.shutdown_timeout = 10;
	if ((rc = pz_store_open(opt->db_path,
	                        opt->durable ? PZ_STORE_SYNC_EXTERNAL
	                                     : PZ_STORE_SYNC_NORMAL,
	                        opt->max_db_bytes, &srv->store, err)) != 0)
		return rc;
	if ((rc = pz_core_init(&srv->core, srv->store, err)) != 0) {
		pz_store_close(srv->store);
		srv->store = NULL;
		return rc;
	}
	if (pz_watch_create(watch_send, &srv->watch) != 0) {
		pz_core_finish(&srv->core);
		pz_store_close(srv->store);
		srv->store = NULL;
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	}
	srv->core.hooks.liveness = liveness;
	srv->core.hooks.event = on_event;
	srv->core.hooks.ctx = srv;
	srv->rpc.watch = srv->watch;
	srv->exec.submit = exec_submit;
	srv->exec.ctx = srv;
	srv->rpc.core = &srv->core;
	srv->rpc.exec = &srv->exec;
	srv->rpc.server.socket_path = opt->socket_path;
	srv->rpc.server.db_path = opt->db_path;
	srv->rpc.server.durable = opt->durable;
	srv->rpc.server.max_line = opt->max_line;
	srv->rpc.server.started = pz_clock_wall();
	srv->budget.out_max = srv->opt.max_memory / 2;
	srv->budget.in_max = srv->opt.max_memory / 2;
	srv->env.max_line = opt->max_line;
	srv->env.budget = &srv->budget;
	srv->env.durable = &srv->durable_batch;
	srv->env.allow_gid = opt->allow_gid;
	srv->env.on_line = on_line;
	srv->env.on_close = on_conn_close;
	srv->env.ctx = srv;
	srv->last_tick = pz_clock_mono();

	uv_idle_init(loop, &srv->task_idle);
	srv->task_idle.data = srv;
	srv->admin.ctx = srv;
	srv->admin.peer_uid = admin_peer_uid;
	srv->admin.stop = admin_stop;
	srv->admin.add_task = admin_add_task;
	srv->rpc.admin = &srv->admin;
	uv_check_init(loop, &srv->commit_check);
	srv->commit_check.data = srv;
	uv_check_start(&srv->commit_check, on_check);
	uv_timer_init(loop, &srv->tick);
	srv->tick.data = srv;
	uv_timer_start(&srv->tick, on_tick, TICK_MS, TICK_MS);
	uv_timer_init(loop, &srv->deadline);
	srv->deadline.data = srv;
	uv_signal_init(loop, &srv->sig_term);
	uv_signal_init(loop, &srv->sig_int);
	uv_signal_init(loop, &srv->sig_hup);
	uv_signal_init(loop, &srv->sig_usr1);
	uv_signal_init(loop, &srv->sig_usr2);
	srv->sig_term.data = srv->sig_int.data = srv->sig_hup.data = srv;
	srv->sig_usr1.data = srv->sig_usr2.data = srv;
	uv_signal_start(&srv->sig_term, on_signal, SIGTERM);
	uv_signal_start(&srv->sig_int, on_signal, SIGINT);
	uv_signal_start(&srv->sig_hup, on_signal, SIGHUP);
	uv_signal_start(&srv->sig_usr1, on_signal, SIGUSR1);
	uv_signal_start(&srv->sig_usr2, on_signal, SIGUSR2);

	if ((srv->opt.parent_fd > 2 && (rc = watch_parent(srv, err)) != 0) ||
	    (rc = listen_socket(srv, err)) != 0) {
		srv->exit_code = 1;
		pz_server_stop(srv);
		return rc;
	}
	pz_log(PZ_LOG_INFO, "parzend %s listening on %s, database %s (%s)",
	       PZ_VERSION, srv->activated ? "the socket passed by systemd"
	                                   : opt->socket_path,
	       opt->db_path, opt->durable ? "durability full"
	                                  : "durability normal");
	pz_notify("READY=1");
	pz_watchdog_start(&srv->watchdog, loop);
	return 0;
}

static void close_handle(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* Everything is done: close the loop's last handles. */
static void maybe_finish(struct pz_server *srv)
{
	if (!srv->stopping || srv->closed || srv->n_jobs > 0 ||
	    pz_core_dirty(&srv->core) || srv->n_conns > 0 ||
	    srv->tasks != NULL)
		return;
	srv->closed = 1;
	close_handle((uv_handle_t *)&srv->task_idle);
	/* The watchdog pinged until now: the loop was alive while draining. */
	pz_watchdog_stop(&srv->watchdog);
	close_handle((uv_handle_t *)&srv->commit_check);
	close_handle((uv_handle_t *)&srv->tick);
	close_handle((uv_handle_t *)&srv->deadline);
	close_handle((uv_handle_t *)&srv->sig_term);
	close_handle((uv_handle_t *)&srv->sig_int);
	close_handle((uv_handle_t *)&srv->sig_hup);
	close_handle((uv_handle_t *)&srv->sig_usr1);
	close_handle((uv_handle_t *)&srv->sig_usr2);
	if (srv->opt.parent_fd > 2)
		close_handle((uv_handle_t *)&srv->parent);
}

static void close_conn(struct pz_conn *c, void *arg)
{
	(void)arg;
	pz_conn_close(c);
}

static void on_deadline(uv_timer_t *t)
{
	struct pz_server *srv = t->data;

	if (srv->n_conns > 0)
		pz_log(PZ_LOG_WARN, "shutdown: closing %zu connection%s whose "
		       "replies were not read within %.0f s", srv->n_conns,
		       srv->n_conns == 1 ? "" : "s", srv->opt.shutdown_timeout);
	for_each_conn(srv, close_conn, NULL);
}

static void shutdown_conn(struct pz_conn *c, void *arg)
{
	(void)arg;
	pz_conn_shutdown(c);
}

void pz_server_stop(struct pz_server *srv)
{
	if (srv->stopping)
		return;
	srv->stopping = 1;
	srv->rpc.server.shutting_down = 1;
	pz_notify("STOPPING=1");
	if (srv->listener.type == UV_NAMED_PIPE)
		close_handle((uv_handle_t *)&srv->listener);
	pz_listen_close(&srv->lsock);
	/* Take no more requests; what was taken is answered: suggestions
	 * under way finish, the last batch commits (on_check) and syncs,
	 * replies are written, then connections close. A client that does
	 * not read its replies is closed at the deadline. */
	for_each_conn(srv, shutdown_conn, NULL);
	stop_tasks(srv);
	uv_timer_start(&srv->deadline, on_deadline,
	               (uint64_t)(srv->opt.shutdown_timeout * 1000), 0);
	maybe_finish(srv);
}

void pz_server_finish(struct pz_server *srv)
{
	pz_watch_destroy(srv->watch);
	srv->watch = NULL;
	pz_core_finish(&srv->core);
	pz_store_close(srv->store);
	srv->store = NULL;
}
