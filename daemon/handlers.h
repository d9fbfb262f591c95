/*
 * The method table and the handlers behind it.
 *
 * Each method declares its target (none, a study, a trial), its flags and
 * its params schema (the fields of codec.h it accepts and requires). The
 * dispatcher (rpc.c) decodes the params, resolves the target and calls
 * the handler with everything in a struct pz_hctx, so a handler only does
 * its method's work. Adding a method: write its handler here, add a row
 * to the table in handlers.c, document it in docs/protocol.md.
 */
#ifndef PZ_HANDLERS_H
#define PZ_HANDLERS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include <parzen/error.h>

#include "call.h"
#include "codec.h"
#include "core.h"
#include "rpc.h"

enum pz_target { PZ_TARGET_NONE, PZ_TARGET_STUDY, PZ_TARGET_TRIAL };

enum {
	PZ_M_WHILE_STOPPING = 1 << 0, /* also served during shutdown */
	PZ_M_DAMAGED_OK = 1 << 1,     /* a damaged study is a valid target */
};

/* A request on its way through a handler. */
struct pz_hctx {
	struct pz_rpc *rpc;
	struct pz_call *call;
	const struct pz_method *method;
	struct pz_req req;
	struct pz_study *study;   /* TARGET_STUDY, TARGET_TRIAL */
	uint32_t number;          /* TARGET_TRIAL */
	/* The error, when a handler returns -1. `code` 0: from err.code. */
	int code;
	struct pz_error err;
};

/*
 * A handler returns 0 with *result set, -1 with h->err (and maybe
 * h->code) set, PZ_HANDLER_LATER when it has taken the call over and
 * will finish it itself (pz_rpc_finish), or PZ_HANDLER_LOAD (below).
 */
#define PZ_HANDLER_LATER 1
/* The handler needs h->study loaded first: the request waits for it and
 * runs again from the start. */
#define PZ_HANDLER_LOAD 2
typedef int (*pz_handler_fn)(struct pz_hctx *h, cJSON **result);

struct pz_method {
	const char *name;
	pz_handler_fn fn;
	enum pz_target target;
	unsigned flags;
	uint64_t fields;      /* accepted params (PZ_FIELD bits) */
	uint64_t required;    /* of those, required */
};

/* The method table, sorted by name, and its size. */
extern const struct pz_method pz_methods[];
extern const size_t pz_n_methods;

const struct pz_method *pz_method_find(const char *name);

#endif
