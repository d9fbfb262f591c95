/*
 * What the server offers the administrative methods (handlers_admin.c)
 * beyond the request path: who is on the other end of a call, an orderly
 * stop, and tasks that run on the loop between batches (an online backup).
 *
 * The server fills a struct pz_admin and points pz_rpc.admin at it. A
 * dispatcher without a server (unit tests, the fuzzer) leaves it NULL,
 * and the methods that need it refuse; a test may install its own.
 */
#ifndef PZ_ADMIN_H
#define PZ_ADMIN_H

#include "call.h"

/*
 * A task: work done in slices by the loop, each slice run while no batch
 * is open. `run` returns 1 to be run again, 0 when finished; after 0 the
 * server forgets the task (which may have freed itself). With `stopping`
 * set the server is shutting down: the task gives up (or finishes) now
 * and returns 0.
 */
struct pz_task {
	struct pz_task *next;      /* the server's list */
	int (*run)(struct pz_task *t, int stopping);
};

struct pz_admin {
	void *ctx;
	/* The uid of the process at the other end of `call`'s connection:
	 * 0 with *uid set, or -1 when there is none (a detached call). */
	int (*peer_uid)(void *ctx, const struct pz_call *call, unsigned *uid);
	/* Begin the orderly shutdown: requests already taken are answered,
	 * the last batch commits, then the daemon exits with status 0. */
	void (*stop)(void *ctx);
	/* Run `t` between batches until it finishes. */
	void (*add_task)(void *ctx, struct pz_task *t);
};

#endif
