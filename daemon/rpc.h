/*
 * JSON-RPC 2.0 over lines: the envelope and dispatch through the method
 * table (handlers.h), with no socket involved.
 *
 * pz_rpc_dispatch() takes one request line and a pending call (call.h)
 * and finishes the call with the reply, at once or later: a handler may
 * keep the call while its answer is computed off the loop (trial.ask).
 * The connection layer, unit tests, the fuzzer and the benchmarks all go
 * through it; pz_rpc_handle() is the synchronous form for tests.
 *
 * The envelope refuses, before any handler runs: lines that are not
 * UTF-8, malformed JSON and trailing bytes, "\u0000" in any string (C
 * strings would cut it short and act on another object), an object with
 * a key twice (readers disagree on which one counts), batches, a bad
 * "jsonrpc", "method" or "params", and ids that cannot be echoed exactly
 * (an id is a string, null, or an integer of magnitude below 2^53).
 */
#ifndef PZ_RPC_H
#define PZ_RPC_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "call.h"
#include "core.h"
#include "exec.h"

enum {
	PZ_RPC_PARSE_ERROR = -32700,
	PZ_RPC_INVALID_REQUEST = -32600,
	PZ_RPC_NO_METHOD = -32601,
	PZ_RPC_BAD_PARAMS = -32602,
	PZ_RPC_INTERNAL = -32603,
	PZ_RPC_NOT_FOUND = -32001,
	PZ_RPC_CONFLICT = -32002,
	PZ_RPC_WRONG_STATE = -32003,
	PZ_RPC_INVALID_SPACE = -32004,
	PZ_RPC_STORAGE = -32005,
	PZ_RPC_SHUTTING_DOWN = -32006,
	PZ_RPC_DAMAGED = -32007,
	PZ_RPC_BUSY = -32008,
	PZ_RPC_FORBIDDEN = -32009,
};

struct pz_rpc;

/*
 * What the server offers to handlers of server-side methods; every
 * member may be NULL/0 (tests), and the methods then say so.
 */
struct pz_rpc_server {
	const char *socket_path;
	const char *db_path;
	int durable;
	size_t max_line;
	double started;          /* wall clock */
	size_t n_connections;
	int shutting_down;
};

struct pz_watch;
struct pz_admin;

struct pz_rpc {
	struct pz_core *core;
	const struct pz_exec *exec;   /* NULL: suggestions run inline */
	struct pz_rpc_server server;
	/* study.watch registers a call's owner (its connection) here; NULL:
	 * no watching without a server. */
	struct pz_watch *watch;
	/* The server's side of the administrative methods (admin.h); NULL:
	 * they refuse. */
	const struct pz_admin *admin;
	uint64_t n_requests;
};

/*
 * Handle `line` (without its '\n') for `call`, a pending call from
 * pz_call_create(). The call is finished exactly once, possibly before
 * this returns; a notification (no "id") finishes it with no text.
 */
void pz_rpc_dispatch(struct pz_rpc *rpc, const char *line, size_t len,
                     struct pz_call *call);

/*
 * Synchronous dispatch for tests: the reply object (owned by the caller),
 * or NULL for a notification. The core's executor must be inline.
 */
cJSON *pz_rpc_handle(struct pz_rpc *rpc, const char *line, size_t len);

/*
 * Finish `call` with a result (taken over; NULL means out of memory) or
 * with an error. The reply waits for the open batch, if any, else for
 * the last committed one to be durable (pz_core_reply_batch).
 */
void pz_rpc_finish(struct pz_rpc *rpc, struct pz_call *call, cJSON *result);
void pz_rpc_finish_error(struct pz_rpc *rpc, struct pz_call *call, int code,
                         const char *path, const char *message);

/*
 * A complete error reply line ('\n'-terminated, malloc'ed) for the id
 * `id_text` (JSON text; NULL: null); NULL on allocation failure.
 */
char *pz_rpc_error_line(const char *id_text, int code, const char *path,
                        const char *message, size_t *len);

/* JSON-RPC code for a PZ_E* code; `invalid` is used for PZ_EINVAL and
 * PZ_ERANGE. */
int pz_rpc_code(int rc, int invalid);

#endif
