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

/* mkdir -p for the socket's and database's directories, mode 0700. */
static int make_parent(const char *path, struct pz_error *err)
{
	char dir[4096];
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return pz_error_set(err, PZ_EINVAL, "path too long: %s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return pz_error_set(err, PZ_EIO, "mkdir %s: %s", dir,
			                    strerror(errno));
		*p = '/';
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return pz_error_set(err, PZ_EIO, "mkdir %s: %s", dir,
		                    strerror(errno));
	return 0;
}

/* Is some process accepting connections on `path`? */
static int socket_alive(const char *path)
{
	struct sockaddr_un sa;
	int fd, alive;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	alive = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return alive;
}

static int listen_socket(struct pz_server *srv, struct pz_error *err)
{
	char msg[256];
	int fd = pz_listen_fd(msg, sizeof(msg)), rc;
	mode_t old;

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
	if (strlen(srv->opt.socket_path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return pz_error_set(err, PZ_EINVAL,
		                    "socket path too long (at most %zu bytes): %s",
		                    sizeof(((struct sockaddr_un *)0)->sun_path) - 1,
		                    srv->opt.socket_path);
	if ((rc = make_parent(srv->opt.socket_path, err)) != 0)
		return rc;
	if (socket_alive(srv->opt.socket_path))
		return pz_error_set(err, PZ_EEXIST,
		                    "another parzend is listening on %s",
		                    srv->opt.socket_path);
	unlink(srv->opt.socket_path); /* a stale socket from a crash */
	/* Bind with a umask that leaves no window with a looser mode. */
	old = umask(0777 & ~srv->opt.socket_mode);
	rc = uv_pipe_bind(&srv->listener, srv->opt.socket_path);
	umask(old);
	if (rc != 0)
		return pz_error_set(err, PZ_EIO, "bind %s: %s",
		                    srv->opt.socket_path, uv_strerror(rc));
	srv->bound = 1;
	chmod(srv->opt.socket_path, srv->opt.socket_mode);
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
	srv->loop = loop;
	srv->opt = *opt;
	if ((rc = make_parent(opt->db_path, err)) != 0)
		return rc;
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
	if (srv->bound)
		unlink(srv->opt.socket_path);
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
