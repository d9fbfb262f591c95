/*
 * One client connection: bytes in, lines out, and its life cycle.
 *
 * A connection reads into a frame buffer (frame.h), hands each complete
 * line to its owner with a pending call (call.h), and writes the replies
 * back in request order, each only once the batch it waits for is
 * durable. It knows nothing of the server: it is started with a
 * struct pz_conn_env (limits, the shared memory budget, callbacks) and
 * tells its owner when it has closed.
 *
 * Memory is bounded in total, not only per connection (STYLE.md, event
 * loop): bytes of replies waiting to be written and bytes of unparsed
 * input are counted in a budget shared by all connections. A connection
 * takes its next line only while its own backlog is below its share of
 * the budget (or empty: every client always gets one reply at a time),
 * and stops reading while it cannot take lines, so a client that does
 * not read its replies stops being read. A connection whose backlog
 * passes a hard cap, or whose partial line would push the total input
 * over budget, is closed.
 */
#ifndef PZ_CONN_H
#define PZ_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "call.h"

struct pz_conn;

/* Memory shared by all connections of a server. */
struct pz_budget {
	size_t out_bytes;      /* replies not yet written */
	size_t in_bytes;       /* frame buffers */
	size_t out_max;        /* soft: shares are out_max / connections */
	size_t in_max;         /* hard: a line that needs more is refused */
	size_t n_conns;
	size_t peak_out, peak_in;
};

struct pz_conn_env {
	size_t max_line;
	struct pz_budget *budget;
	/* Replies whose batch is at most *durable may be sent. */
	const uint64_t *durable;
	int allow_gid;         /* -1: only the daemon's uid and root */
	/* A line to handle with `call` (pending, owned by the connection). */
	void (*on_line)(void *ctx, struct pz_conn *c, struct pz_call *call,
	                const char *line, size_t len);
	/* The connection closed; its memory goes after this returns. */
	void (*on_close)(void *ctx, struct pz_conn *c);
	void *ctx;
};

/*
 * Accept a pending connection on `listener` and start reading. Returns
 * NULL when there is none, the peer is refused (its credentials), or
 * memory runs out. `data` is the owner's, see pz_conn_data().
 */
struct pz_conn *pz_conn_accept(uv_stream_t *listener,
                               const struct pz_conn_env *env, void *data);

void *pz_conn_data(const struct pz_conn *c);

/* The uid of the peer process, from SO_PEERCRED when it was accepted. */
unsigned pz_conn_peer_uid(const struct pz_conn *c);

/* Send what is ready (after durability advanced). */
void pz_conn_flush(struct pz_conn *c);

/* Replies that waited for `batch`, which failed, become storage errors
 * carrying `message`; notifications of it are dropped. */
void pz_conn_fail_batch(struct pz_conn *c, uint64_t batch,
                        const char *message);

/* Queue a notification line (owned) that waits for `batch`. A client
 * that lets them pile up past the hard cap is disconnected. */
void pz_conn_notify(struct pz_conn *c, char *line, size_t len,
                    uint64_t batch);

/* Answer `message` as an error, take no more lines, close when sent. */
void pz_conn_refuse(struct pz_conn *c, const char *message);

/* Take no more lines; close once every reply is written. */
void pz_conn_shutdown(struct pz_conn *c);
/* Close now (replies not yet written are dropped). */
void pz_conn_close(struct pz_conn *c);

/* The connection may take lines again (the shared budget has room). */
void pz_conn_kick(struct pz_conn *c);

/* Bytes of replies waiting in this connection. */
size_t pz_conn_backlog(const struct pz_conn *c);

#endif
