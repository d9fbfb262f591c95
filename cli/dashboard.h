/*
 * `parzen dashboard`: a live page of parzend's studies in a browser.
 *
 * Three parts, one file each:
 *
 *   dashboard_hub.c    the parzend side: one connection that follows the
 *                      studies (study.watch notifications, or a poll of
 *                      study.get/trial.list where the daemon has no
 *                      study.watch) and keeps each study's trials in a
 *                      report store (lib/report); snapshots and figures
 *                      are made from it on demand and cached per version,
 *                      so any number of browser tabs cost one
 *                      subscription and one drawing per change.
 *   dashboard_http.c   the browser side: libmicrohttpd, one thread per
 *                      connection; routing, the token and Host/Origin
 *                      checks, Server-Sent Events, the actions (POST).
 *   dashboard_pages.c  the HTML: pages and the fragments their script
 *                      fetches again when a study changes. The figures
 *                      and the trials table are lib/report's.
 *
 * dashboard.c holds the command: options, the listening socket, the
 * token, signals. The page's script and stylesheet (dashboard.js,
 * dashboard.css) are embedded at build time (scripts/embed_assets.py).
 */
#ifndef PZ_DASHBOARD_H
#define PZ_DASHBOARD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cli.h"
#include "report.h"
#include "report_store.h"
#include "report_table.h"

/* The embedded assets (dashboard_assets.c, generated). */
extern const char pz_dash_js[];
extern const char pz_dash_css[];

/* --- hub ---------------------------------------------------------------- */

/* An immutable snapshot of a study, shared by reference. */
struct dash_snap {
	struct pz_report_data *d;
	uint64_t version; /* the study's version it was made at */
	uint64_t serial;  /* unique among the hub's snapshots */
	double made;      /* Unix time it was made at */
	int refs;
};

/* A figure drawn from some snapshot, kept for the other tabs. */
struct dash_figure {
	char key[256];    /* kind and options; "": free */
	uint64_t serial;  /* the snapshot `svg` was drawn from */
	uint64_t drawing; /* a snapshot it is being drawn from, or 0 */
	char *svg;
	size_t len;
	double used; /* monotonic time of the last use */
};

#define DASH_FIGURES 24

struct dash_study {
	char *name;
	struct pz_report_store *store; /* NULL until its trials are loaded */
	cJSON *study;                  /* the latest Study object */
	uint64_t version;              /* bumps at every change */
	uint64_t changed_seq;          /* the hub's seq at the last change */
	bool deleted;
	struct dash_snap *snap; /* the latest snapshot (one reference) */
	struct dash_figure figures[DASH_FIGURES];
	/* hub thread only: trials to fetch again, by number */
	int64_t *dirty;
	size_t n_dirty, cap_dirty;
	bool study_dirty, reload;
};

struct dash_hub {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* broadcast at every change, figure and stop */
	struct dash_study **studies;
	size_t n_studies, cap_studies;
	uint64_t seq;      /* bumps at every change of any study */
	uint64_t snap_serial; /* the last snapshot's serial */
	uint64_t status_seq; /* bumps when `status` changes */
	char status[300];  /* "": following parzend, else what is wrong */
	bool stop;
	bool poked;        /* an action changed a study: look now */
	bool ready;        /* the first load is done */

	/* Set before dash_hub_start, then read-only. */
	const char *socket; /* NULL: the client's default */
	const char *only;   /* --study NAME, or NULL: every study */
	double poll;        /* seconds between polls without study.watch */

	/* The hub thread's own. */
	pthread_t thread;
	struct pz_client *c;
	bool watching;        /* study.watch is on for c */
	int has_watch;        /* -1 unknown, 0 no, 1 yes */
	int has_intermediate; /* trial.list takes "intermediate": -1, 0, 1 */
};

/* Set up `h` (socket, only, poll filled by the caller) and start its
 * thread. Returns 0, or PZ_ENOMEM / PZ_EIO with a message. */
int dash_hub_start(struct dash_hub *h, struct pz_error *err);

/* Stop the thread and free everything. */
void dash_hub_stop(struct dash_hub *h);

/*
 * Wait up to `timeout` seconds until the studies are loaded, or the hub
 * says why not (parzend unreachable, no such study). Returns whether they
 * are loaded.
 */
bool dash_hub_wait_ready(struct dash_hub *h, double timeout);

/* The study named `name` (h->lock held), or NULL. */
struct dash_study *dash_hub_find(struct dash_hub *h, const char *name);

/*
 * A reference to the latest snapshot of study `name`, made if the study
 * changed since the last one; NULL when there is no such study or its
 * trials are not loaded yet. Release with dash_hub_release(). Takes the
 * lock itself.
 */
struct dash_snap *dash_hub_snapshot(struct dash_hub *h, const char *name);
void dash_hub_release(struct dash_hub *h, struct dash_snap *s);

/*
 * Figure `f` of study `name`: the cached text when it was drawn at the
 * study's current version, else drawn now (other requests for the same
 * figure wait for it). On success *svg is malloc'ed (the caller frees).
 * Errors: PZ_ENOENT (no such study, or not loaded yet), PZ_EINVAL (bad
 * kind or label), PZ_ENOMEM.
 */
int dash_hub_figure(struct dash_hub *h, const char *name,
                    const struct pz_figure *f, char **svg, size_t *len,
                    uint64_t *version, struct pz_error *err);

/* --- pages -------------------------------------------------------------- */

/*
 * Tell the hub that `name` changed because of an action (it fetches the
 * study at once instead of at the next poll).
 */
void dash_hub_poke(struct dash_hub *h, const char *name);

/* --- http --------------------------------------------------------------- */

struct MHD_Daemon;

struct dash_http {
	struct dash_hub *hub;
	struct MHD_Daemon *mhd;
	char token[65];      /* hex; always made, for the page's POSTs */
	bool token_required; /* every request needs it (off loopback) */
	bool loopback;       /* bound to a loopback address */
	char hosts[4][160];  /* Host values accepted on loopback */
	int n_hosts;
	bool closing; /* guarded by hub->lock: streams end */
};

/* `bytes` random bytes as 2 * bytes hex digits and a NUL into `out`. */
int dash_http_random_hex(char *out, size_t bytes);

/* Serve on the listening socket `fd` (taken). */
int dash_http_start(struct dash_http *s, int fd, struct pz_error *err);

/* End the event streams, close every connection, stop the threads. */
void dash_http_stop(struct dash_http *s);

/* --- pages -------------------------------------------------------------- */

/* What a page needs to know about the request. */
struct dash_page {
	struct dash_hub *hub;
	const char *token; /* for the page's POST requests */
	double now;        /* Unix time */
	const char *nonce; /* of the page's <script> (the CSP allows it) */
};

/* The studies page, and its table alone (what the page fetches again). */
void dash_page_studies(struct pz_buf *b, const struct dash_page *p);
void dash_fragment_studies(struct pz_buf *b, const struct dash_page *p);

/* A study's page and its header card; 404 (returns -1) when unknown. */
int dash_page_study(struct pz_buf *b, const struct dash_page *p,
                    const char *name);
int dash_fragment_summary(struct pz_buf *b, const struct dash_page *p,
                          const char *name);

/*
 * A trial's page, from its Trial object (trial.get) and its study's
 * snapshot (for option names; may be NULL). `fragment`: the body only.
 */
void dash_page_trial(struct pz_buf *b, const struct dash_page *p,
                     const cJSON *trial, const struct pz_report_data *d,
                     bool fragment);

/* A short page with a message (errors, the token refusal). */
void dash_page_message(struct pz_buf *b, const char *title, const char *text);

#endif
