/*
 * One request's reply on its way out: the unit that connects the request
 * path (rpc, handlers) with the connection that must send the reply, in
 * request order, and only once the changes it confirms are durable.
 *
 * A call is created by its connection for each request line and filled by
 * the request path, at once or later (a suggestion computed on a worker
 * thread, a study still loading): pz_call_finish() stores the reply and
 * tells the owner through `on_ready`. The reply waits for `batch`, the
 * group-commit generation whose durability it confirms (0: none); if that
 * batch fails, the reply is replaced by a storage error for the same id.
 *
 * Ownership: the owner (a connection) frees a finished call when it has
 * sent it. If the owner goes away while the call is still pending, it
 * detaches the call (pz_call_detach) and whoever finishes it frees it.
 */
#ifndef PZ_CALL_H
#define PZ_CALL_H

#include <stddef.h>
#include <stdint.h>

struct pz_call;

typedef void (*pz_call_ready_fn)(struct pz_call *call);

struct pz_call {
	struct pz_call *next;    /* in the owner's queue */
	void *owner;             /* NULL once detached */
	pz_call_ready_fn on_ready;
	char *id;                /* the request id as JSON text; NULL: none */
	int notification;        /* a request without id: nothing to send */
	int pending;             /* 1 until pz_call_finish */
	char *text;              /* the reply line, '\n'-terminated */
	size_t len;
	uint64_t batch;          /* durability it waits for; 0: none */
	void *waiter;            /* request path's state while pending */
};

/* A new pending call for `owner`; NULL on allocation failure. */
struct pz_call *pz_call_create(void *owner, pz_call_ready_fn on_ready);
void pz_call_destroy(struct pz_call *call);

/*
 * Store the reply line `text` (owned, '\n'-terminated, `len` bytes; NULL
 * for nothing to send) that waits for `batch`, and tell the owner; a
 * detached call is freed instead.
 */
void pz_call_finish(struct pz_call *call, char *text, size_t len,
                    uint64_t batch);

/* The owner gives up a pending call (its connection closed). */
void pz_call_detach(struct pz_call *call);

#endif
