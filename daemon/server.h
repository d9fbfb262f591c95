/*
 * The libuv side of parzend: the listening socket, the connections, the
 * batch pipeline (group commit, then fsync on a worker thread), the
 * suggestion executor, reclaim on a clock that stops while the loop
 * cannot listen, signals, and an orderly shutdown with a deadline.
 */
#ifndef PZ_SERVER_H
#define PZ_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "admin.h"
#include "conn.h"
#include "core.h"
#include "exec.h"
#include "listen.h"
#include "notify.h"
#include "rpc.h"

struct pz_server_options {
	const char *socket_path;
	const char *db_path;
	int durable;
	long long max_db_bytes;   /* 0: unlimited */
	size_t max_line;
	unsigned socket_mode;
	int allow_gid;            /* -1: only the daemon's uid (and root) */
	size_t max_connections;
	size_t max_memory;        /* queued replies of all clients, bytes */
	double shutdown_timeout;  /* seconds */
	const char *log_path;     /* NULL: stderr only */
	int parent_fd;            /* > 2: stop once it reads end of file */
};

struct pz_server_conn;

struct pz_server {
	uv_loop_t *loop;
	struct pz_server_options opt;
	uv_pipe_t listener;
	uv_check_t commit_check;
	uv_timer_t tick;          /* reclaim, stall detection */
	uv_timer_t deadline;      /* shutdown */
	uv_signal_t sig_term, sig_int, sig_hup, sig_usr1, sig_usr2;
	uv_pipe_t parent;         /* --parent-fd, if given */
	struct pz_store *store;
	struct pz_core core;
	struct pz_rpc rpc;
	struct pz_exec exec;
	struct pz_conn_env env;
	struct pz_budget budget;
	struct pz_watch *watch;
	struct pz_server_conn *conns;
	size_t n_conns;
	/* The batch pipeline. */
	uint64_t durable_batch;   /* replies up to this batch may go out */
	uint64_t committed_batch; /* committed, maybe not synced yet */
	int syncing;              /* an fsync is running */
	int sync_failed;          /* one did not: nothing is durable now */
	int wal_fd;
	size_t n_jobs;            /* suggestions and syncs under way */
	/* Liveness: the clock of deadlines skips time the loop was stuck. */
	double last_tick;
	double stalled;
	int activated;            /* listener came from systemd */
	char activated_path[108]; /* its path, for server.info ("" if none) */
	struct pz_listen lsock;   /* the socket file we made, if any */
	struct pz_watchdog watchdog;
	/* Administrative methods (admin.h): tasks run between batches. */
	struct pz_admin admin;
	struct pz_task *tasks;
	uv_idle_t task_idle;
	int stopping;
	int closed;               /* every handle is closing */
	int exit_code;
};

/* Open the store, listen, install handlers. */
int pz_server_start(struct pz_server *srv, uv_loop_t *loop,
                    const struct pz_server_options *opt,
                    struct pz_error *err);
/* Begin the orderly shutdown (also what SIGTERM/SIGINT do). */
void pz_server_stop(struct pz_server *srv);
/* After uv_run returned: release the store and the core. */
void pz_server_finish(struct pz_server *srv);

#endif
