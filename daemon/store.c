/*
 * SQLite store: schema migrations, a table of prepared statements, and
 * the few operations the daemon needs. See store.h.
 */
#include "store.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_STUDY_INSERT,
	ST_STUDY_PAUSE,
	ST_STUDY_DELETE,
	ST_STUDY_ALL,
	ST_TRIAL_INSERT,
	ST_TRIAL_UPDATE,
	ST_TRIAL_OF_STUDY,
	ST_TRIAL_GET,
	ST_TRIAL_LIST,
	ST_TRIAL_LIST_STATE,
	N_STMTS
};

#define TRIAL_COLUMNS \
	"id, study_id, number, state, params, loss, result, worker, attempt, " \
	"reclaims, created, started, finished"

static const char *const sql_text[N_STMTS] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_STUDY_INSERT] =
	    "INSERT INTO study (name, space, algo, seed, config, max_trials, "
	    "heartbeat_timeout, paused, created) VALUES (?, ?, ?, ?, ?, ?, ?, "
	    "?, ?)",
	[ST_STUDY_PAUSE] = "UPDATE study SET paused = ? WHERE id = ?",
	[ST_STUDY_DELETE] = "DELETE FROM study WHERE id = ?",
	[ST_STUDY_ALL] =
	    "SELECT id, name, space, algo, seed, config, max_trials, "
	    "heartbeat_timeout, paused, created FROM study ORDER BY name",
	[ST_TRIAL_INSERT] =
	    "INSERT INTO trial (study_id, number, state, params, loss, result, "
	    "worker, attempt, reclaims, created, started, finished) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_TRIAL_UPDATE] =
	    "UPDATE trial SET state = ?, loss = ?, result = ?, worker = ?, "
	    "attempt = ?, reclaims = ?, started = ?, finished = ? WHERE id = ?",
	[ST_TRIAL_OF_STUDY] = "SELECT " TRIAL_COLUMNS
	                      " FROM trial WHERE study_id = ? ORDER BY number",
	[ST_TRIAL_GET] = "SELECT " TRIAL_COLUMNS " FROM trial WHERE id = ?",
	[ST_TRIAL_LIST] = "SELECT " TRIAL_COLUMNS
	                  " FROM trial WHERE study_id = ? ORDER BY number "
	                  "LIMIT ? OFFSET ?",
	[ST_TRIAL_LIST_STATE] = "SELECT " TRIAL_COLUMNS
	                        " FROM trial WHERE study_id = ? AND state = ? "
	                        "ORDER BY number LIMIT ? OFFSET ?",
};

struct pz_store {
	sqlite3 *db;
	sqlite3_stmt *st[N_STMTS];
	int in_txn;
};

static int db_error(struct pz_store *s, struct pz_error *err, const char *what)
{
	int code = sqlite3_extended_errcode(s->db);
	const char *hint = "";

	if ((code & 0xff) == SQLITE_FULL)
		hint = " (the disk is full, or the database reached --max-db-size)";
	else if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
		hint = " (is another parzend using this database?)";
	return pz_error_set(err, PZ_EIO, "database: %s: %s%s", what,
	                    sqlite3_errmsg(s->db), hint);
}

/* Reset and clear a statement: every use of one ends here. */
static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int exec_simple(struct pz_store *s, enum stmt which,
                       struct pz_error *err)
{
	int rc = sqlite3_step(s->st[which]);

	done(s->st[which]);
	if (rc != SQLITE_DONE)
		return db_error(s, err, sql_text[which]);
	return 0;
}

/* Does `PRAGMA foreign_key_check` find no violation? */
static int foreign_keys_hold(struct pz_store *s)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &st,
	                       NULL) != SQLITE_OK)
		return 0;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE;
}

/*
 * Apply the migrations the file lacks, each in its own transaction with
 * user_version. Foreign keys are off meanwhile (a migration that rebuilds
 * a table must not cascade deletes into the rows that reference it; the
 * pragma cannot change inside a transaction) and checked before each
 * commit.
 */
static int migrate(struct pz_store *s, struct pz_error *err)
{
	sqlite3_stmt *st;
	int version = 0, rc = 0;
	char sql[64];

	rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_error(s, err, "reading the schema version");
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > pz_schema_n_migrations)
		return pz_error_set(err, PZ_EIO,
		                    "database: schema version %d is newer than "
		                    "this parzend understands (%d); upgrade parzend",
		                    version, pz_schema_n_migrations);
	if (version == pz_schema_n_migrations)
		return 0;
	if (sqlite3_exec(s->db, "PRAGMA foreign_keys = OFF", NULL, NULL,
	                 NULL) != SQLITE_OK)
		return db_error(s, err, "preparing a schema migration");
	for (int i = version; i < pz_schema_n_migrations && rc == 0; i++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", i + 1);
		if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
		        SQLITE_OK ||
		    sqlite3_exec(s->db, pz_schema_migrations[i], NULL, NULL,
		                 NULL) != SQLITE_OK ||
		    sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			rc = db_error(s, err, "applying a schema migration");
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		} else if (!foreign_keys_hold(s)) {
			rc = pz_error_set(err, PZ_EIO,
			                  "database: schema migration %d broke a "
			                  "foreign key; nothing was changed", i + 1);
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		} else if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) !=
		           SQLITE_OK) {
			rc = db_error(s, err, "committing a schema migration");
		}
	}
	if (sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL,
	                 NULL) != SQLITE_OK && rc == 0)
		rc = db_error(s, err, "after a schema migration");
	return rc;
}

int pz_store_open(const char *path, int durable, long long max_bytes,
                  struct pz_store **out, struct pz_error *err)
{
	struct pz_store *s = calloc(1, sizeof(*s));
	char pragmas[256];
	int rc;

	*out = NULL;
	if (s == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	rc = sqlite3_open_v2(path, &s->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                         SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK) {
		rc = s->db != NULL ? db_error(s, err, path)
		                   : pz_error_set(err, PZ_ENOMEM, "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	/* Exclusive locking: the daemon owns the file; a second daemon on the
	 * same database fails here instead of interleaving writes. */
	snprintf(pragmas, sizeof(pragmas),
	         "PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; "
	         "PRAGMA synchronous = %s; PRAGMA foreign_keys = ON; "
	         "BEGIN IMMEDIATE; COMMIT;",
	         durable ? "FULL" : "NORMAL");
	if (sqlite3_exec(s->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_error(s, err, path);
		goto fail;
	}
	if ((rc = migrate(s, err)) != 0)
		goto fail;
	if (max_bytes > 0) {
		/* Pages are 4096 bytes unless the file says otherwise. */
		snprintf(pragmas, sizeof(pragmas),
		         "PRAGMA max_page_count = %lld",
		         (max_bytes + 4095) / 4096);
		if (sqlite3_exec(s->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
			rc = db_error(s, err, "setting --max-db-size");
			goto fail;
		}
	}
	for (int i = 0; i < N_STMTS; i++) {
		if (sqlite3_prepare_v3(s->db, sql_text[i], -1,
		                       SQLITE_PREPARE_PERSISTENT, &s->st[i],
		                       NULL) != SQLITE_OK) {
			rc = db_error(s, err, sql_text[i]);
			goto fail;
		}
	}
	*out = s;
	return 0;
fail:
	pz_store_close(s);
	return rc;
}

void pz_store_close(struct pz_store *s)
{
	if (s == NULL)
		return;
	if (s->in_txn)
		pz_store_rollback(s);
	for (int i = 0; i < N_STMTS; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

int pz_store_begin(struct pz_store *s, struct pz_error *err)
{
	int rc;

	if (s->in_txn)
		return 0;
	if ((rc = exec_simple(s, ST_BEGIN, err)) != 0)
		return rc;
	s->in_txn = 1;
	return 0;
}

int pz_store_commit(struct pz_store *s, struct pz_error *err)
{
	int rc;

	if (!s->in_txn)
		return 0;
	rc = exec_simple(s, ST_COMMIT, err);
	if (rc != 0) {
		pz_store_rollback(s);
		return rc;
	}
	s->in_txn = 0;
	return 0;
}

void pz_store_rollback(struct pz_store *s)
{
	if (!s->in_txn)
		return;
	/* A failed COMMIT may already have rolled back; only roll back an
	 * open transaction. */
	if (!sqlite3_get_autocommit(s->db)) {
		sqlite3_step(s->st[ST_ROLLBACK]);
		done(s->st[ST_ROLLBACK]);
	}
	s->in_txn = 0;
}

int pz_store_in_txn(const struct pz_store *s)
{
	return s->in_txn;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void bind_real_or_null(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

int pz_store_study_insert(struct pz_store *s, const struct pz_study_row *r,
                          int64_t *id, struct pz_error *err)
{
	sqlite3_stmt *st = s->st[ST_STUDY_INSERT];
	int rc;

	sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->space, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->algo, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->seed);
	sqlite3_bind_text(st, 5, r->config, -1, SQLITE_STATIC);
	if (r->max_trials > 0)
		sqlite3_bind_int64(st, 6, r->max_trials);
	else
		sqlite3_bind_null(st, 6);
	sqlite3_bind_double(st, 7, r->heartbeat_timeout);
	sqlite3_bind_int(st, 8, r->paused);
	sqlite3_bind_double(st, 9, r->created);
	rc = sqlite3_step(st);
	done(st);
	if (rc != SQLITE_DONE)
		return db_error(s, err, "inserting a study");
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int pz_store_study_set_paused(struct pz_store *s, int64_t id, int paused,
                              struct pz_error *err)
{
	sqlite3_stmt *st = s->st[ST_STUDY_PAUSE];
	int rc;

	sqlite3_bind_int(st, 1, paused);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	done(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, "updating a study");
}

int pz_store_study_delete(struct pz_store *s, int64_t id,
                          struct pz_error *err)
{
	sqlite3_stmt *st = s->st[ST_STUDY_DELETE];
	int rc;

	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	done(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, "deleting a study");
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static double col_real(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL
	           ? NAN
	           : sqlite3_column_double(st, i);
}

int pz_store_study_foreach(struct pz_store *s, pz_store_study_cb cb,
                           void *ctx, struct pz_error *err)
{
	sqlite3_stmt *st = s->st[ST_STUDY_ALL];
	struct pz_study_row r;
	int rc, stop = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.id = sqlite3_column_int64(st, 0);
		r.name = col_text(st, 1);
		r.space = col_text(st, 2);
		r.algo = col_text(st, 3);
		r.seed = sqlite3_column_int64(st, 4);
		r.config = col_text(st, 5);
		r.max_trials = sqlite3_column_int64(st, 6);
		r.heartbeat_timeout = sqlite3_column_double(st, 7);
		r.paused = sqlite3_column_int(st, 8);
		r.created = sqlite3_column_double(st, 9);
		if ((stop = cb(ctx, &r)) != 0)
			break;
	}
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_error(s, err, "reading studies");
	done(st);
	return stop;
}

static int walk_trials(struct pz_store *s, sqlite3_stmt *st,
                       pz_store_trial_cb cb, void *ctx, int *rows,
                       struct pz_error *err)
{
	struct pz_trial_row r;
	int rc, stop = 0;

	*rows = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.id = sqlite3_column_int64(st, 0);
		r.study_id = sqlite3_column_int64(st, 1);
		r.number = sqlite3_column_int64(st, 2);
		r.state = col_text(st, 3);
		r.params = col_text(st, 4);
		r.loss = col_real(st, 5);
		r.result = col_text(st, 6);
		r.worker = col_text(st, 7);
		r.attempt = sqlite3_column_int64(st, 8);
		r.reclaims = sqlite3_column_int64(st, 9);
		r.created = sqlite3_column_double(st, 10);
		r.started = col_real(st, 11);
		r.finished = col_real(st, 12);
		(*rows)++;
		if ((stop = cb(ctx, &r)) != 0)
			break;
	}
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_error(s, err, "reading trials");
	done(st);
	return stop;
}

int pz_store_trial_foreach(struct pz_store *s, int64_t study_id,
                           pz_store_trial_cb cb, void *ctx,
                           struct pz_error *err)
{
	int rows;

	sqlite3_bind_int64(s->st[ST_TRIAL_OF_STUDY], 1, study_id);
	return walk_trials(s, s->st[ST_TRIAL_OF_STUDY], cb, ctx, &rows, err);
}

int pz_store_trial_get(struct pz_store *s, int64_t id, pz_store_trial_cb cb,
                       void *ctx, struct pz_error *err)
{
	int rows, rc;

	sqlite3_bind_int64(s->st[ST_TRIAL_GET], 1, id);
	rc = walk_trials(s, s->st[ST_TRIAL_GET], cb, ctx, &rows, err);
	if (rc == 0 && rows == 0)
		return pz_error_set(err, PZ_ENOENT, "no trial with id %lld",
		                    (long long)id);
	return rc;
}

int pz_store_trial_list(struct pz_store *s, int64_t study_id,
                        const char *state, int64_t offset, int64_t limit,
                        pz_store_trial_cb cb, void *ctx,
                        struct pz_error *err)
{
	sqlite3_stmt *st = s->st[state ? ST_TRIAL_LIST_STATE : ST_TRIAL_LIST];
	int i = 1, rows;

	sqlite3_bind_int64(st, i++, study_id);
	if (state != NULL)
		sqlite3_bind_text(st, i++, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, i++, limit);
	sqlite3_bind_int64(st, i++, offset);
	return walk_trials(s, st, cb, ctx, &rows, err);
}

int pz_store_trial_insert(struct pz_store *s, const struct pz_trial_row *r,
                          int64_t *id, struct pz_error *err)
{
	sqlite3_stmt *st = s->st[ST_TRIAL_INSERT];
	int rc;

	sqlite3_bind_int64(st, 1, r->study_id);
	sqlite3_bind_int64(st, 2, r->number);
	sqlite3_bind_text(st, 3, r->state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->params, -1, SQLITE_STATIC);
	bind_real_or_null(st, 5, r->loss);
	bind_text_or_null(st, 6, r->result);
	bind_text_or_null(st, 7, r->worker);
	sqlite3_bind_int64(st, 8, r->attempt);
	sqlite3_bind_int64(st, 9, r->reclaims);
	sqlite3_bind_double(st, 10, r->created);
	bind_real_or_null(st, 11, r->started);
	bind_real_or_null(st, 12, r->finished);
	rc = sqlite3_step(st);
	done(st);
	if (rc != SQLITE_DONE)
		return db_error(s, err, "inserting a trial");
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int pz_store_trial_update(struct pz_store *s, const struct pz_trial_row *r,
                          struct pz_error *err)
{
	sqlite3_stmt *st = s->st[ST_TRIAL_UPDATE];
	int rc;

	sqlite3_bind_text(st, 1, r->state, -1, SQLITE_STATIC);
	bind_real_or_null(st, 2, r->loss);
	bind_text_or_null(st, 3, r->result);
	bind_text_or_null(st, 4, r->worker);
	sqlite3_bind_int64(st, 5, r->attempt);
	sqlite3_bind_int64(st, 6, r->reclaims);
	bind_real_or_null(st, 7, r->started);
	bind_real_or_null(st, 8, r->finished);
	sqlite3_bind_int64(st, 9, r->id);
	rc = sqlite3_step(st);
	done(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, "updating a trial");
}
