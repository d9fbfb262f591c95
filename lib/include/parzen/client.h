/*
 * Blocking client for parzend: one Unix stream socket, one JSON-RPC 2.0
 * request at a time (docs/protocol.md), for C/C++ workers and the CLI.
 *
 * pz_client_call() sends one request line and reads lines until the reply
 * with the same id arrives. Lines that are notifications (a "method" and
 * no "id", as study.watch sends) are skipped, or kept for
 * pz_client_next_notification() when the client keeps them. An error reply with "id": null is taken as the
 * answer to the request in flight, since the daemon sends those for lines
 * it could not read and this client has only one request in flight. A
 * reply with any other id means the stream is out of step: the call fails
 * with PZ_EPROTO and the connection is dropped.
 *
 * After a failure that leaves the stream in an unknown place (connection
 * lost, a malformed or unexpected reply, a reply line over
 * PZ_CLIENT_MAX_LINE bytes) the client is disconnected and every later
 * call fails with PZ_EIO; destroy it and connect again. A JSON-RPC error
 * reply does not disconnect.
 *
 * Errors: every function returns 0 or a negative PZ_E* and, on failure,
 * writes a message to `err` (may be NULL). Daemon error codes map as
 *
 *   -32001 not found           PZ_ENOENT
 *   -32002 conflict            PZ_EEXIST
 *   -32003 wrong state         PZ_ESTATE
 *   -32004, -32602, -32600     PZ_EINVAL
 *   -32005 storage, -32006 shutting down    PZ_EIO (retry later)
 *   anything else              PZ_EPROTO
 *
 * with the daemon's message in err->msg; pz_client_last_rpc_code() and
 * pz_client_last_error_path() give the raw code and data.path.
 *
 * A client is not thread-safe: use one per thread. Nothing here raises
 * SIGPIPE or keeps global state. Link libparzen_client.
 */
#ifndef PZ_CLIENT_H
#define PZ_CLIENT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <parzen/error.h>

/* Longest reply line accepted, in bytes, without its '\n'. */
#define PZ_CLIENT_MAX_LINE (64u << 20)

struct pz_client;

/* The socket of the system service (parzend.socket). */
#define PZ_CLIENT_SYSTEM_SOCKET "/run/parzen/parzend.sock"

/*
 * Write this user's socket path into buf: $XDG_RUNTIME_DIR/parzen/
 * parzend.sock; without XDG_RUNTIME_DIR, /run/user/UID/parzen/parzend.sock
 * when /run/user/UID is a directory of this user, else
 * /tmp/parzen-UID/parzend.sock. parzend listens there by default (and
 * Python's parzen starts it there). Returns PZ_ERANGE when it does not
 * fit in `len` bytes (buf then holds a truncated string).
 */
int pz_client_user_socket(char *buf, size_t len);

/*
 * Write the first socket of the discovery order into buf: $PARZEN_SOCKET
 * if set and not empty, else this user's socket. PZ_ERANGE as above.
 */
int pz_client_default_socket(char *buf, size_t len);

/*
 * Connect to parzend at `socket_path`; on success *out is a new client
 * owned by the caller. The socket's directory is checked first
 * (<parzen/sockdir.h>): an unsafe one is PZ_EINVAL, with a message saying
 * why. Nobody listening, or no socket there, is PZ_EIO; a path too long
 * for a socket address is PZ_EINVAL.
 *
 * With socket_path NULL the daemon is looked for, in this order:
 *
 *   1. $PARZEN_SOCKET, when set and not empty: that socket only;
 *   2. this user's socket (pz_client_user_socket());
 *   3. the system socket PZ_CLIENT_SYSTEM_SOCKET, when it exists.
 *
 * The first that answers is used. An unsafe directory stops the search
 * (PZ_EINVAL); when none answers, PZ_EIO with a message listing each
 * place and what was found there.
 */
int pz_client_connect(const char *socket_path, struct pz_client **out,
                      struct pz_error *err);

/*
 * The path `c` is connected to (the one discovery chose). Valid while `c`
 * lives; pass it to the next pz_client_connect() to reach the same daemon
 * again.
 */
const char *pz_client_socket_path(const struct pz_client *c);

/* Close the connection and free the client. Accepts NULL. */
void pz_client_destroy(struct pz_client *c);

/*
 * Call `method` with `params` (an object, or NULL to send none) and wait
 * for the reply. `params` is consumed on every path. On success, when
 * `result` is not NULL, *result is the reply's result (owned by the
 * caller); on failure *result is NULL. Params holding a NaN or an infinity
 * are refused with PZ_EINVAL, naming the value's path, before anything is
 * sent.
 */
int pz_client_call(struct pz_client *c, const char *method, cJSON *params,
                   cJSON **result, struct pz_error *err);

/*
 * The JSON-RPC error code of the last call, or 0 when it did not end with
 * an error reply (success, or a failure on this side).
 */
int pz_client_last_rpc_code(const struct pz_client *c);

/*
 * The last error reply's data.path (e.g. "params.loss"), or NULL. Valid
 * until the next call on `c` or its destruction.
 */
const char *pz_client_last_error_path(const struct pz_client *c);

/*
 * A trial handed out by trial.ask. When the daemon has none to give,
 * `none` is true and `reason` says why ("paused", "max_trials"); the other
 * fields are then 0 and NULL.
 */
struct pz_trial_ticket {
	bool none;
	char reason[64];
	int64_t id;     /* unique across studies; pass to tell etc. */
	int64_t number; /* 0, 1, ... within the study */
	int attempt;    /* pass back to tell, heartbeat and release */
	cJSON *params;  /* owned: flat {label: value} */
	cJSON *point;   /* owned: the evaluated space */
};

/* Set every field to empty. */
void pz_client_ticket_init(struct pz_trial_ticket *t);

/* Free what the ticket owns and empty it; it may then be reused. */
void pz_client_ticket_finish(struct pz_trial_ticket *t);

/*
 * trial.ask for `study` as `worker` (NULL: anonymous). *t is overwritten
 * (finish a previous ticket first) and, whatever the outcome, may be passed
 * to pz_client_ticket_finish(). A reply without a usable trial is PZ_EPROTO.
 */
int pz_client_ask(struct pz_client *c, const char *study, const char *worker,
                  struct pz_trial_ticket *t, struct pz_error *err);

/*
 * trial.tell: status "ok" with `loss` when `ok`, else "fail" (loss is then
 * not sent). `attempt` < 0 is not sent. `result_json` is JSON text (an
 * object, stored with the trial) or NULL; bad JSON is PZ_EINVAL.
 */
int pz_client_tell(struct pz_client *c, int64_t trial, int attempt, bool ok,
                   double loss, const char *result_json, struct pz_error *err);

/*
 * trial.tell with any status: "ok" (a finite `loss` is required),
 * "fail" (`loss` not sent) or "pruned" (`loss` sent unless NAN; parzend
 * then takes the trial's last reported value). Otherwise as
 * pz_client_tell().
 */
int pz_client_tell_status(struct pz_client *c, int64_t trial, int attempt,
                          const char *status, double loss,
                          const char *result_json, struct pz_error *err);

/* The pruner's answer to a report (trial.report). */
struct pz_client_decision {
	bool prune;        /* stop the trial, and tell it "pruned" */
	int64_t step;      /* the step judged (the trial's last) */
	char reason[192];  /* for people and logs; may be cut */
};

/*
 * trial.report: the running trial's intermediate `value` (finite; lower
 * is better) at `step` (0 to 2^53 - 1). Counts as a heartbeat. *out (may
 * be NULL) receives the pruner's decision; a decision to prune is final.
 * A value or step out of range is PZ_EINVAL before anything is sent;
 * another value for a step already reported is PZ_EEXIST; a trial that is
 * finished, not held with `attempt`, or stopped by the pruner (a later
 * step) is PZ_ESTATE. A reply without a decision is PZ_EPROTO.
 */
int pz_client_report(struct pz_client *c, int64_t trial, int attempt,
                     int64_t step, double value,
                     struct pz_client_decision *out, struct pz_error *err);

/* trial.heartbeat: extend a running trial's deadline. */
int pz_client_heartbeat(struct pz_client *c, int64_t trial, int attempt,
                        struct pz_error *err);

/* trial.release: give a running trial back; it is queued at once. */
int pz_client_release(struct pz_client *c, int64_t trial, int attempt,
                      struct pz_error *err);

/*
 * study.create. `space_json` (required) and `config_json` (NULL: none) are
 * JSON texts; bad JSON is PZ_EINVAL before anything is sent. `algo` NULL
 * is the daemon's default, `seed` < 0 lets the daemon draw one (seeds
 * above 2^53 cannot travel as JSON numbers and are refused), `max_trials`
 * 0 is unlimited, `heartbeat_timeout` 0 (seconds) is the default. When
 * `study_out` is not NULL it receives the study object (owned by the
 * caller).
 */
int pz_client_create_study(struct pz_client *c, const char *name,
                           const char *space_json, const char *algo,
                           int64_t seed, int64_t max_trials,
                           const char *config_json, double heartbeat_timeout,
                           bool exist_ok, cJSON **study_out,
                           struct pz_error *err);

/*
 * study.create with every setting, pz_client_create_study()'s and the
 * pruner: `pruner_json` (NULL: none; with exist_ok, an existing study's
 * pruner is then not compared) is a pruner config, {"kind": "median",
 * ...} (docs/pruning.md), as JSON text.
 */
struct pz_client_study_def {
	const char *name;
	const char *space_json;
	const char *algo;          /* NULL: the daemon's default */
	int64_t seed;              /* < 0: drawn by the daemon */
	int64_t max_trials;        /* 0: unlimited */
	const char *config_json;   /* NULL: none */
	double heartbeat_timeout;  /* 0: the default */
	const char *pruner_json;   /* NULL: none */
	bool exist_ok;
};

int pz_client_create_study_def(struct pz_client *c,
                               const struct pz_client_study_def *def,
                               cJSON **study_out, struct pz_error *err);

/*
 * Keep up to `max` notifications that arrive (while a call waits for its
 * reply, or between calls) for pz_client_next_notification(); 0 (the
 * default) drops them. Past `max` unread ones the oldest are dropped and
 * counted. Returns 0 or PZ_ENOMEM.
 */
int pz_client_keep_notifications(struct pz_client *c, size_t max);

/* How many kept notifications were dropped for lack of room so far. */
size_t pz_client_notifications_dropped(const struct pz_client *c);

/*
 * The next notification: a kept one, else one read from the socket within
 * `timeout_ms` milliseconds (< 0: wait as long as it takes; 0: only what
 * was already received). On success *note is the whole message
 * ({"jsonrpc", "method", "params"}, owned by the caller), or NULL when
 * none came in time. A reply arriving here (no request is in flight) is
 * PZ_EPROTO and disconnects; a lost connection is PZ_EIO.
 */
int pz_client_next_notification(struct pz_client *c, int timeout_ms,
                                cJSON **note, struct pz_error *err);

/* The socket, for poll(); -1 once disconnected. Do not read from it. */
int pz_client_fd(const struct pz_client *c);

/*
 * The Study object (study.get) and every trial of study `name`, in number
 * order (trial.list, pages of 10,000, or shorter ones when parzend cuts a
 * reply at its size limit), with their reported values
 * ("intermediate") when parzend has them: what a report is drawn from.
 * Both outputs are owned by the caller; on failure they are NULL.
 */
int pz_client_fetch_study(struct pz_client *c, const char *name, cJSON **study,
                          cJSON **trials, struct pz_error *err);

#endif
