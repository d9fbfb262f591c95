/*
 * parzend's event loop: listen, accept, commit once per loop iteration,
 * reclaim silent workers' trials, and shut down in order.
 *
 * Group commit: handlers change the store inside one open transaction; a
 * uv_check handle, which runs after the loop has processed all the I/O of
 * an iteration, commits it and releases the replies that waited for it.
 * So N requests that arrive together cost one fsync, and no reply that
 * confirms a change leaves before its commit.
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"
#include "listen.h"
#include "log.h"
#include "notify.h"

#define RECLAIM_INTERVAL_MS 250

void pz_server_commit(struct pz_server *srv)
{
	struct pz_error err = {0};
	char msg[PZ_ERROR_MSG_MAX + 64];
	int rc;

	if (!pz_core_dirty(&srv->core))
		return;
	rc = pz_core_commit(&srv->core, &err);
	if (rc != 0) {
		pz_log(PZ_LOG_ERROR, "commit failed: %s", err.msg);
		snprintf(msg, sizeof(msg),
		         "storage failure, nothing from this request was recorded: "
		         "%s", err.msg);
	}
	for (struct pz_conn *c = srv->conns, *next; c != NULL; c = next) {
		next = pz_conn_next(c);
		pz_conn_release_held(c, rc == 0, msg);
	}
}

static void on_check(uv_check_t *h)
{
	pz_server_commit(h->data);
}

static void on_reclaim(uv_timer_t *t)
{
	struct pz_server *srv = t->data;
	size_t n = pz_core_reclaim(&srv->core, pz_clock());

	if (n > 0)
		pz_log(PZ_LOG_INFO, "reclaimed %zu trial%s whose worker stopped "
		       "heart-beating", n, n == 1 ? "" : "s");
	/* The check handle commits in this same iteration. */
}

static void on_connection(uv_stream_t *listener, int status)
{
	struct pz_server *srv = listener->data;

	if (status < 0) {
		pz_log(PZ_LOG_WARN, "accept: %s", uv_strerror(status));
		return;
	}
	pz_conn_accept(srv);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct pz_server *srv = h->data;

	pz_log(PZ_LOG_INFO, "%s: shutting down",
	       signum == SIGTERM ? "SIGTERM" : "SIGINT");
	pz_server_stop(srv);
}

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
			srv->rpc.socket_path = srv->activated_path;
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

int pz_server_start(struct pz_server *srv, uv_loop_t *loop,
                    const struct pz_server_options *opt,
                    struct pz_error *err)
{
	int rc;

	memset(srv, 0, sizeof(*srv));
	pz_listen_init(&srv->lsock);
	srv->loop = loop;
	srv->opt = *opt;
	if ((rc = pz_store_open(opt->db_path, opt->durable, opt->max_db_bytes,
	                        &srv->store, err)) != 0)
		return rc;
	if ((rc = pz_core_init(&srv->core, srv->store, err)) != 0) {
		pz_store_close(srv->store);
		srv->store = NULL;
		return rc;
	}
	srv->rpc.core = &srv->core;
	srv->rpc.socket_path = opt->socket_path;
	srv->rpc.db_path = opt->db_path;
	srv->rpc.durable = opt->durable;
	srv->rpc.max_line = opt->max_line;
	srv->rpc.started = pz_now();

	uv_check_init(loop, &srv->commit_check);
	srv->commit_check.data = srv;
	uv_check_start(&srv->commit_check, on_check);
	uv_timer_init(loop, &srv->reclaim_timer);
	srv->reclaim_timer.data = srv;
	uv_timer_start(&srv->reclaim_timer, on_reclaim, RECLAIM_INTERVAL_MS,
	               RECLAIM_INTERVAL_MS);
	uv_signal_init(loop, &srv->sig_term);
	uv_signal_init(loop, &srv->sig_int);
	srv->sig_term.data = srv->sig_int.data = srv;
	uv_signal_start(&srv->sig_term, on_signal, SIGTERM);
	uv_signal_start(&srv->sig_int, on_signal, SIGINT);

	if ((rc = listen_socket(srv, err)) != 0) {
		pz_server_stop(srv);
		return rc;
	}
	pz_log(PZ_LOG_INFO, "parzend %s listening on %s, database %s (%s)",
	       PZ_VERSION, srv->activated ? "the socket passed by systemd"
	                                   : opt->socket_path,
	       opt->db_path, opt->durable ? "synchronous=FULL"
	                                  : "synchronous=NORMAL");
	pz_notify("READY=1");
	pz_watchdog_start(&srv->watchdog, loop);
	return 0;
}

void pz_server_stop(struct pz_server *srv)
{
	if (srv->stopping)
		return;
	srv->stopping = 1;
	srv->rpc.shutting_down = 1;
	pz_notify("STOPPING=1");
	if (!uv_is_closing((uv_handle_t *)&srv->listener) &&
	    srv->listener.type == UV_NAMED_PIPE)
		uv_close((uv_handle_t *)&srv->listener, NULL);
	pz_listen_close(&srv->lsock);
	pz_watchdog_stop(&srv->watchdog);
	/* Everything already read has been handled: commit it, let its
	 * replies go, then close each connection once they are written. */
	pz_server_commit(srv);
	for (struct pz_conn *c = srv->conns, *next; c != NULL; c = next) {
		next = pz_conn_next(c);
		pz_conn_shutdown(c);
	}
	uv_close((uv_handle_t *)&srv->commit_check, NULL);
	uv_close((uv_handle_t *)&srv->reclaim_timer, NULL);
	uv_close((uv_handle_t *)&srv->sig_term, NULL);
	uv_close((uv_handle_t *)&srv->sig_int, NULL);
}

void pz_server_finish(struct pz_server *srv)
{
	pz_core_finish(&srv->core);
	pz_store_close(srv->store);
	srv->store = NULL;
}
