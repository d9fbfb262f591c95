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
};

struct pz_trial_row {
	int64_t id;
	int64_t study_id;
	int64_t number;
	const char *state;    /* "queued", "running", "ok", "fail" */
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

/*
 * durable: synchronous=FULL (else NORMAL). max_bytes > 0 caps the database
 * file (SQLite's max_page_count): writes beyond it fail as on a full disk.
 */
int pz_store_open(const char *path, int durable, long long max_bytes,
                  struct pz_store **out, struct pz_error *err);
void pz_store_close(struct pz_store *s);

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
/* Trials of a study by number, optionally of one state, paged. */
int pz_store_trial_list(struct pz_store *s, int64_t study_id,
                        const char *state, int64_t offset, int64_t limit,
                        pz_store_trial_cb cb, void *ctx,
                        struct pz_error *err);

#endif
