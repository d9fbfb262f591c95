/*
 * JSON-RPC 2.0 over lines: the envelope, the method table and the
 * handlers (docs/protocol.md).
 *
 * pz_rpc_handle() takes one request line and returns the reply, with no
 * socket involved: the connection layer, unit tests, the fuzzer and the
 * benchmarks all call it. Whether the reply may be sent at once or only
 * after the next commit is the caller's business (pz_core_dirty()).
 */
#ifndef PZ_RPC_H
#define PZ_RPC_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "core.h"

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
};

struct pz_rpc {
	struct pz_core *core;
	/* For server.info; may be zero/NULL. */
	const char *socket_path;
	const char *db_path;
	int durable;
	size_t max_line;
	double started;
	size_t n_connections;
	int shutting_down;
	uint64_t n_requests;
};

/*
 * Handle one request (the line without its '\n'). Returns the reply
 * object, or NULL for a notification (a request without "id"). Never
 * fails: an allocation failure yields a static internal-error reply built
 * by the caller from pz_rpc_error().
 */
cJSON *pz_rpc_handle(struct pz_rpc *rpc, const char *line, size_t len);

/* An error reply for `id` (borrowed, may be NULL). */
cJSON *pz_rpc_error(const cJSON *id, int code, const char *message,
                    const char *path);

#endif
