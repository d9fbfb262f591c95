/*
 * The SQLite store: the only code that speaks SQL.
 *
 * One connection in WAL mode with exclusive locking (the daemon is the only
 * process that opens the file), statements prepared once and kept for the
 * store's life. Changes happen inside a transaction opened with
 * pz_store_begin() (BEGIN IMMEDIATE; a no-op when one is open) and made
 * durable by pz_store_commit(); the daemon commits once per loop iteration
 * (group commit). Every function reports SQLite failures as PZ_EIO with
 * SQLite's message in `err`.
 */
#ifndef PZ_STORE_H
#define PZ_STORE_H

#include <stdint.h>

#include <parzen/error.h>

struct pz_store;

struct pz_study_row {
	int64_t id;
	const char *name;
	const char *space;    /* JSON text */
	const char *algo;
	int64_t seed;
	const char *config;   /* JSON text */
	int64_t max_trials;   /* 0: unlimited */
	double heartbeat_timeout;
	int paused;
	double created;
	const char *pruner;   /* JSON text or NULL */
};

struct pz_trial_row {
	int64_t id;
	int64_t study_id;
	int64_t number;
	const char *state;    /* "queued", "running", "ok", "fail", "pruned" */
	const char *params;   /* JSON text */
	double loss;          /* NAN: NULL */
	const char *result;   /* JSON text or NULL */
	const char *worker;   /* or NULL */
	int64_t attempt;
	int64_t reclaims;
	double created;
	double started;       /* NAN: NULL */
	double finished;      /* NAN: NULL */
};

/* How commits reach the disk. */
enum pz_store_sync {
	PZ_STORE_SYNC_FULL,     /* SQLite fsyncs the WAL at every commit */
	PZ_STORE_SYNC_EXTERNAL, /* the caller does, with pz_store_sync(),
	                           possibly on another thread */
	PZ_STORE_SYNC_NORMAL,   /* at checkpoints only: a crash of the
	                           machine may lose the last commits */
};

/*
 * Open (create) the database and bring its schema up to date. max_bytes
 * > 0 caps the database and its WAL together: writes beyond it fail as on
 * a full disk. The WAL is checkpointed and truncated at open.
 */
int pz_store_open(const char *path, enum pz_store_sync sync,
                  long long max_bytes, struct pz_store **out,
                  struct pz_error *err);
void pz_store_close(struct pz_store *s);

/*
 * PZ_STORE_SYNC_EXTERNAL: make every commit so far durable. Open the WAL
 * with pz_store_sync_fd() on the store's thread first; pz_store_sync()
 * only calls fsync(2) on it and may run on any thread meanwhile. A
 * return of -1 from pz_store_sync_fd means nothing needs syncing yet.
 */
int pz_store_sync_fd(struct pz_store *s, struct pz_error *err);
int pz_store_sync(int fd, struct pz_error *err);

/*
 * Checkpoint the WAL into the database and truncate it (after a write
 * failed for lack of space, and at open): 0 when it could.
 */
int pz_store_checkpoint(struct pz_store *s);

int pz_store_begin(struct pz_store *s, struct pz_error *err);
int pz_store_commit(struct pz_store *s, struct pz_error *err);
void pz_store_rollback(struct pz_store *s);
int pz_store_in_txn(const struct pz_store *s);

int pz_store_study_insert(struct pz_store *s, const struct pz_study_row *r,
                          int64_t *id, struct pz_error *err);
int pz_store_study_set_paused(struct pz_store *s, int64_t id, int paused,
                              struct pz_error *err);
int pz_store_study_delete(struct pz_store *s, int64_t id,
                          struct pz_error *err);

/*
 * Call `cb` for every study (by name), or every trial of a study (by
 * number). Row strings are valid during the callback only. A non-zero
 * return from `cb` stops the walk and is returned.
 */
typedef int (*pz_store_study_cb)(void *ctx, const struct pz_study_row *r);
typedef int (*pz_store_trial_cb)(void *ctx, const struct pz_trial_row *r);
int pz_store_study_foreach(struct pz_store *s, pz_store_study_cb cb,
                           void *ctx, struct pz_error *err);
int pz_store_trial_foreach(struct pz_store *s, int64_t study_id,
                           pz_store_trial_cb cb, void *ctx,
                           struct pz_error *err);

int pz_store_trial_insert(struct pz_store *s, const struct pz_trial_row *r,
                          int64_t *id, struct pz_error *err);
/* Write every mutable column of trial r->id. */
int pz_store_trial_update(struct pz_store *s, const struct pz_trial_row *r,
                          struct pz_error *err);

/* One trial by id: PZ_ENOENT if absent. */
int pz_store_trial_get(struct pz_store *s, int64_t id, pz_store_trial_cb cb,
                       void *ctx, struct pz_error *err);
/* Trials of a study numbered `from` and up, at most `limit`, by number;
 * *rows gets how many there were. */
int pz_store_trial_range(struct pz_store *s, int64_t study_id,
                         int64_t from, int64_t limit, pz_store_trial_cb cb,
                         void *ctx, int *rows, struct pz_error *err);
/* Trials of a study by number, optionally of one state, paged. */
int pz_store_trial_list(struct pz_store *s, int64_t study_id,
                        const char *state, int64_t offset, int64_t limit,
                        pz_store_trial_cb cb, void *ctx,
                        struct pz_error *err);

/* Set a study's max_trials (0: unlimited), heartbeat_timeout and pruner
 * (JSON text; NULL: none). */
int pz_store_study_update(struct pz_store *s, int64_t id, int64_t max_trials,
                          double heartbeat_timeout, const char *pruner,
                          struct pz_error *err);

/*
 * Online backup (SQLite's backup API) of the store into a new database
 * file at `path`, made of the committed state. Begin, then step until it
 * returns 0 (each step copies up to `pages` pages; 1: more to do; a step
 * inside an open transaction copies nothing and returns 1), then finish.
 * The store may commit between steps: SQLite carries the changes its own
 * connection makes into the copy, so the copy, when finished, is the
 * database as of the last commit before it. The finished file is a
 * self-contained database (journal_mode DELETE), closed and synced;
 * moving it into place is the caller's. Abort drops a copy at any point
 * (the file stays; remove it).
 */
struct pz_store_backup;

int pz_store_backup_begin(struct pz_store *s, const char *path,
                          struct pz_store_backup **out, struct pz_error *err);
int pz_store_backup_step(struct pz_store_backup *b, int pages,
                         struct pz_error *err);
/* Pages of the source in the last step (its size then). */
int pz_store_backup_pages(const struct pz_store_backup *b);
/* Frees `b`, also on failure. */
int pz_store_backup_finish(struct pz_store_backup *b, struct pz_error *err);
void pz_store_backup_abort(struct pz_store_backup *b);
/*
 * Intermediate values (trial.report): one row per (trial, step), and the
 * pruner's final decision, the step a trial was stopped at (prune_step).
 */
int pz_store_report_insert(struct pz_store *s, int64_t trial_id, int64_t step,
                           double value, struct pz_error *err);
/* Delete a trial's reports and its prune decision (a new run). */
int pz_store_report_clear(struct pz_store *s, int64_t trial_id,
                          struct pz_error *err);
/* Keep the decision to stop a trial at `step` (< 0: no decision). */
int pz_store_trial_set_prune_step(struct pz_store *s, int64_t trial_id,
                                  int64_t step, struct pz_error *err);

/* A report (number, step, value), or a decision (number, prune_step, 0). */
typedef int (*pz_store_report_cb)(void *ctx, int64_t number, int64_t step,
                                  double value);
/*
 * Reports of a study's trials after (number, step), at most `limit`, by
 * number then step (pass (0, -1) to start); *rows gets how many there
 * were, so a loader reads them in chunks from where it stopped.
 */
int pz_store_report_range(struct pz_store *s, int64_t study_id,
                          int64_t number, int64_t step, int64_t limit,
                          pz_store_report_cb cb, void *ctx, int *rows,
                          struct pz_error *err);
/* The trials of a study with a prune decision, (number, step), any order. */
int pz_store_pruned_foreach(struct pz_store *s, int64_t study_id,
                            pz_store_report_cb cb, void *ctx,
                            struct pz_error *err);

#endif
