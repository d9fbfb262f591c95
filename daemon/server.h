/*
 * The libuv side of parzend: the listening socket, the connections, the
 * group-commit hook, the reclaim timer and orderly shutdown.
 */
#ifndef PZ_SERVER_H
#define PZ_SERVER_H

#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

#include "core.h"
#include "listen.h"
#include "notify.h"
#include "rpc.h"

struct pz_conn;

struct pz_server_options {
	const char *socket_path;
	const char *db_path;
	int durable;
	long long max_db_bytes;  /* 0: unlimited */
	size_t max_line;
	unsigned socket_mode;
	int allow_gid;        /* -1: only the daemon's uid (and root) */
};

struct pz_server {
	uv_loop_t *loop;
	struct pz_server_options opt;
	uv_pipe_t listener;
	uv_check_t commit_check;
	uv_timer_t reclaim_timer;
	uv_signal_t sig_term, sig_int;
	struct pz_store *store;
	struct pz_core core;
	struct pz_rpc rpc;
	struct pz_conn *conns;
	int activated;        /* listener came from systemd */
	char activated_path[108]; /* its path, for server.info ("" if none) */
	struct pz_listen lsock;   /* the socket file we made, if any */
	struct pz_watchdog watchdog;
	int stopping;
};

/* Open the store, listen, install handlers. */
int pz_server_start(struct pz_server *srv, uv_loop_t *loop,
                    const struct pz_server_options *opt,
                    struct pz_error *err);
/* Begin the orderly shutdown (also what SIGTERM/SIGINT do). */
void pz_server_stop(struct pz_server *srv);
/* After uv_run returned: release the store and the core. */
void pz_server_finish(struct pz_server *srv);

/* Commit the batch and release (or fail) the replies waiting for it. */
void pz_server_commit(struct pz_server *srv);

#endif
