/*
 * One client connection: bytes in, lines out.
 *
 * Reads go into a per-connection buffer; every complete line is handed to
 * the RPC layer and the buffer is compacted once per read. A line longer
 * than max_line gets an error reply and the connection closes after it.
 * Replies go out in request order: those produced while a transaction is
 * open are held until pz_server_commit() releases them (or turns them into
 * storage errors). Writes try uv_try_write first and queue the rest; above
 * a high-water mark of queued bytes the connection stops reading, above a
 * hard cap it is closed.
 */
#ifndef PZ_CONN_H
#define PZ_CONN_H

#include <stddef.h>
#include <uv.h>

struct pz_server;
struct pz_conn;

/* Accept one pending connection on the listener. */
void pz_conn_accept(struct pz_server *srv);

/* Release held replies: as they are (ok) or as storage errors. */
void pz_conn_release_held(struct pz_conn *c, int ok, const char *message);

/* Stop reading; close once every queued reply is written. */
void pz_conn_shutdown(struct pz_conn *c);

struct pz_conn *pz_conn_next(struct pz_conn *c);

#endif
