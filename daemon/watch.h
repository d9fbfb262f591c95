/*
 * study.watch: connections that asked to hear about changes, and the
 * changes on their way to them.
 *
 * The core reports every change in the batch that makes it
 * (pz_watch_event); a change is told to watchers only once its batch is
 * durable (pz_watch_durable), never when the batch failed
 * (pz_watch_failed), so a watcher never sees a state that did not
 * happen. Each notification carries `seq`, counting the notifications
 * told to its watcher from 1, so a watcher can tell whether it missed
 * one. Nothing is recorded while nobody watches.
 *
 * A watcher is an opaque pointer (the server's connection) and a send
 * function; the registry does no I/O of its own.
 */
#ifndef PZ_WATCH_H
#define PZ_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include <parzen/error.h>

#include "core.h"

struct pz_watch;

/* Queue `line` (owned, '\n'-terminated) to `watcher`. */
typedef void (*pz_watch_send_fn)(void *watcher, char *line, size_t len);

int pz_watch_create(pz_watch_send_fn send, struct pz_watch **out);
void pz_watch_destroy(struct pz_watch *w);

/*
 * Subscriptions of one watcher at most: every change is matched against
 * all of them, and names of deleted studies stay subscribed (a study
 * created again under the name is heard of).
 */
#define PZ_WATCH_MAX 1024

/* `watcher` hears about study `study` (NULL: every study); PZ_EBUSY when
 * it has PZ_WATCH_MAX subscriptions already. */
int pz_watch_add(struct pz_watch *w, void *watcher, const char *study);
/* Stop: one study, or everything (`study` NULL). 0, or PZ_ENOENT when it
 * was not watching that. */
int pz_watch_remove(struct pz_watch *w, void *watcher, const char *study);
/* The notifications told to `watcher` so far (its next one has seq + 1;
 * 0 once it watches nothing). */
uint64_t pz_watch_seq(const struct pz_watch *w, const void *watcher);

/* A change in batch `batch` (core hook). */
void pz_watch_event(struct pz_watch *w, uint64_t batch,
                    const struct pz_core *core, const struct pz_study *s,
                    enum pz_event_kind kind, int64_t number);
/* Every batch up to `batch` is durable: tell its changes. */
void pz_watch_durable(struct pz_watch *w, uint64_t batch);
/* Batch `batch` failed: forget its changes. */
void pz_watch_failed(struct pz_watch *w, uint64_t batch);

#endif
