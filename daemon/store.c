/*
 * SQLite store: schema migrations, a table of prepared statements, and
 * the few operations the daemon needs. See store.h.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

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
	ST_TRIAL_RANGE,
	ST_STUDY_UPDATE,
	ST_REPORT_INSERT,
	ST_REPORT_CLEAR,
	ST_TRIAL_PRUNE_STEP,
	ST_REPORT_RANGE,
	ST_TRIAL_PRUNED,
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
	    "heartbeat_timeout, paused, created, pruner) VALUES (?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?)",
	[ST_STUDY_PAUSE] = "UPDATE study SET paused = ? WHERE id = ?",
	[ST_STUDY_DELETE] = "DELETE FROM study WHERE id = ?",
	[ST_STUDY_ALL] =
	    "SELECT id, name, space, algo, seed, config, max_trials, "
	    "heartbeat_timeout, paused, created, pruner FROM study ORDER BY "
	    "name",
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
	[ST_TRIAL_RANGE] = "SELECT " TRIAL_COLUMNS
	                   " FROM trial WHERE study_id = ? AND number >= ? "
	                   "ORDER BY number LIMIT ?",
	[ST_TRIAL_LIST_STATE] = "SELECT " TRIAL_COLUMNS
	                        " FROM trial WHERE study_id = ? AND state = ? "
	                        "ORDER BY number LIMIT ? OFFSET ?",
	[ST_STUDY_UPDATE] = "UPDATE study SET max_trials = ?, "
	                    "heartbeat_timeout = ?, pruner = ? WHERE id = ?",
	[ST_REPORT_INSERT] =
	    "INSERT INTO report (trial_id, step, value) VALUES (?, ?, ?)",
	[ST_REPORT_CLEAR] = "DELETE FROM report WHERE trial_id = ?",
	[ST_TRIAL_PRUNE_STEP] = "UPDATE trial SET prune_step = ? WHERE id = ?",
	/* (number, step) after the given pair, in that order: the trials
	 * by the (study_id, number) index, each one's reports by the
	 * report table's key, so no sort. */
	[ST_REPORT_RANGE] =
	    "SELECT t.number, r.step, r.value FROM trial t "
	    "JOIN report r ON r.trial_id = t.id "
	    "WHERE t.study_id = ?1 AND t.number >= ?2 "
	    "AND (t.number > ?2 OR r.step > ?3) "
	    "ORDER BY t.number, r.step LIMIT ?4",
	[ST_TRIAL_PRUNED] = "SELECT number, prune_step FROM trial "
	                    "WHERE study_id = ? AND prune_step IS NOT NULL",
};

struct pz_store {
	sqlite3 *db;
	sqlite3_stmt *st[N_STMTS];
	int in_txn;
	char *path;
	dev_t dev;            /* the file opened, to notice a replaced one */
	ino_t ino;
	int lost;             /* the file was removed or replaced */
	int wal_fd;           /* PZ_STORE_SYNC_EXTERNAL: -1 until needed */
	long long max_bytes;  /* database + WAL; 0: no cap */
	int last_failure;     /* primary SQLite code of the last failure */
	char *reserve;        /* the reserve file's path; NULL: none */
	long long reserve_bytes;
	long long page_size;
};

static int db_error(struct pz_store *s, struct pz_error *err, const char *what)
{
	int code = sqlite3_extended_errcode(s->db);
	const char *hint = "";

	s->last_failure = code & 0xff;
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

static long long pragma_int(struct pz_store *s, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * The reserve: PZ_STORE_RESERVE bytes allocated beside the database. A
 * checkpoint copies the WAL's pages into the database file, which may
 * have to grow; when the WAL has filled the disk, there is no room for
 * that, and without a checkpoint the WAL never shrinks: every write
 * would fail for good. So the store keeps the room in reserve, lets it go
 * to checkpoint after a write failed for lack of space, and takes it back
 * when it can. Checkpoints run whenever the WAL reaches the reserve's
 * size, so the reserve is always enough for one.
 */
#define PZ_STORE_RESERVE_MAX (1 << 20)
#define PZ_STORE_RESERVE_MIN (64 << 10)

/* Bytes free for us on the file system of the database, or -1. */
static long long disk_free(const struct pz_store *s)
{
	struct statvfs st;

	if (statvfs(s->reserve, &st) != 0 && statvfs(s->path, &st) != 0)
		return -1;
	return (long long)st.f_bavail * (long long)st.f_frsize;
}

/*
 * Allocate the reserve, unless that would leave less than another
 * reserve's worth of room: a small disk must not be filled by it.
 */
static int take_reserve(struct pz_store *s)
{
	struct stat st;
	int fd, rc;

	if (s->reserve == NULL)
		return -1;
	if (stat(s->reserve, &st) == 0 && st.st_size >= s->reserve_bytes)
		return 0;
	if (disk_free(s) < 2 * s->reserve_bytes)
		return -1;
	fd = open(s->reserve, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	rc = posix_fallocate(fd, 0, s->reserve_bytes);
	close(fd);
	if (rc != 0)
		unlink(s->reserve); /* no half reserve */
	return rc == 0 ? 0 : -1;
}

static int checkpoint(struct pz_store *s)
{
	int busy = 0;

	return sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
	                                 NULL, &busy) == SQLITE_OK
	               ? 0
	               : -1;
}

int pz_store_checkpoint(struct pz_store *s)
{
	if (s->in_txn)
		return -1;
	if (checkpoint(s) == 0) {
		take_reserve(s);
		return 0;
	}
	/* No room for the pages the database must grow by: use the
	 * reserve, then take it back if the disk has room again. */
	if (s->reserve == NULL || unlink(s->reserve) != 0)
		return -1;
	if (checkpoint(s) != 0)
		return -1;
	take_reserve(s);
	return 0;
}

/* Bytes of the database and its WAL together. */
static long long stored_bytes(struct pz_store *s)
{
	char wal[4200];
	struct stat st;
	long long n = pragma_int(s, "PRAGMA page_count") * s->page_size;

	snprintf(wal, sizeof(wal), "%s-wal", s->path);
	if (stat(wal, &st) == 0)
		n += st.st_size;
	return n;
}

/* Is the file at s->path still the one we opened? */
static int same_file(struct pz_store *s)
{
	struct stat st;

	if (strcmp(s->path, ":memory:") == 0 || s->path[0] == '\0')
		return 1;
	return stat(s->path, &st) == 0 && st.st_dev == s->dev &&
	       st.st_ino == s->ino;
}

int pz_store_open(const char *path, enum pz_store_sync sync,
                  long long max_bytes, struct pz_store **out,
                  struct pz_error *err)
{
	static const char *const level[] = {
		[PZ_STORE_SYNC_FULL] = "FULL",
		[PZ_STORE_SYNC_EXTERNAL] = "NORMAL",
		[PZ_STORE_SYNC_NORMAL] = "NORMAL",
	};
	struct pz_store *s = calloc(1, sizeof(*s));
	struct stat st;
	char pragmas[256];
	int rc;

	*out = NULL;
	if (s == NULL || (s->path = strdup(path)) == NULL) {
		free(s);
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	}
	s->wal_fd = -1;
	s->max_bytes = max_bytes;
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
	         level[sync]);
	if (sqlite3_exec(s->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_error(s, err, path);
		goto fail;
	}
	if (stat(path, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	if ((rc = migrate(s, err)) != 0)
		goto fail;
	s->page_size = pragma_int(s, "PRAGMA page_size");
	if (s->page_size <= 0)
		s->page_size = 4096;
	if (strcmp(path, ":memory:") != 0 && path[0] != '\0' &&
	    asprintf(&s->reserve, "%s-reserve", path) < 0)
		s->reserve = NULL;
	/* An eighth of the free space, from 64 KiB to 1 MiB. */
	s->reserve_bytes = PZ_STORE_RESERVE_MAX;
	if (s->reserve != NULL) {
		long long avail = disk_free(s);

		if (stat(s->reserve, &st) == 0)
			avail += st.st_size; /* a reserve left by a crash */
		if (avail >= 0 && avail / 8 < s->reserve_bytes)
			s->reserve_bytes = avail / 8;
		if (s->reserve_bytes < PZ_STORE_RESERVE_MIN)
			s->reserve_bytes = PZ_STORE_RESERVE_MIN;
		s->reserve_bytes -= s->reserve_bytes % s->page_size;
	}
	snprintf(pragmas, sizeof(pragmas),
	         "PRAGMA wal_autocheckpoint = %lld; "
	         "PRAGMA journal_size_limit = %lld;",
	         s->reserve_bytes / s->page_size, s->reserve_bytes);
	if (sqlite3_exec(s->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_error(s, err, path);
		goto fail;
	}
	/* A WAL left large by a full disk or a crash: give the space back
	 * (and take the reserve). */
	pz_store_checkpoint(s);
	if (max_bytes > 0) {
		/* The database alone may not pass the cap within a batch; the
		 * WAL is counted at each batch's start (pz_store_begin). */
		snprintf(pragmas, sizeof(pragmas),
		         "PRAGMA max_page_count = %lld",
		         (max_bytes + s->page_size - 1) / s->page_size);
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
	if (s->wal_fd >= 0)
		close(s->wal_fd);
	if (s->reserve != NULL)
		unlink(s->reserve);
	free(s->reserve);
	free(s->path);
	free(s);
}

static int lost_error(struct pz_store *s, struct pz_error *err)
{
	return pz_error_set(err, PZ_EIO,
	                    "database: the file %s was removed or replaced "
	                    "while parzend ran; nothing more is stored until "
	                    "parzend restarts", s->path);
}

int pz_store_begin(struct pz_store *s, struct pz_error *err)
{
	int rc;

	if (s->in_txn)
		return 0;
	if (s->lost)
		return lost_error(s, err);
	if (s->max_bytes > 0 && stored_bytes(s) > s->max_bytes) {
		/* The WAL counts: give back what a checkpoint can. */
		pz_store_checkpoint(s);
		if (stored_bytes(s) > s->max_bytes)
			return pz_error_set(err, PZ_EIO,
			                    "database: %s and its WAL hold %lld "
			                    "bytes, more than --max-db-size (%lld)",
			                    s->path, stored_bytes(s), s->max_bytes);
	}
	if ((rc = exec_simple(s, ST_BEGIN, err)) != 0)
		return rc;
	s->in_txn = 1;
	return 0;
}

/* After a write failed for lack of space: give the WAL's space back, so
 * that writes work again once there is room, without a restart. */
static void after_failure(struct pz_store *s)
{
	int code = s->last_failure;

	s->last_failure = 0;
	if (code == SQLITE_FULL || code == SQLITE_IOERR)
		pz_store_checkpoint(s);
}

int pz_store_commit(struct pz_store *s, struct pz_error *err)
{
	int rc;

	if (!s->in_txn)
		return 0;
	if (!same_file(s)) {
		s->lost = 1;
		pz_store_rollback(s);
		return lost_error(s, err);
	}
	rc = exec_simple(s, ST_COMMIT, err);
	if (rc != 0) {
		pz_store_rollback(s);
		return rc;
	}
	s->in_txn = 0;
	return 0;
}

int pz_store_sync_fd(struct pz_store *s, struct pz_error *err)
{
	char wal[4200];

	if (s->wal_fd >= 0)
		return s->wal_fd;
	snprintf(wal, sizeof(wal), "%s-wal", s->path);
	s->wal_fd = open(wal, O_RDONLY | O_CLOEXEC);
	if (s->wal_fd < 0 && errno != ENOENT)
		return pz_error_set(err, PZ_EIO, "database: opening %s to "
		                    "sync it: %s", wal, strerror(errno));
	return s->wal_fd;
}

int pz_store_sync(int fd, struct pz_error *err)
{
	if (fd >= 0 && fdatasync(fd) != 0)
		return pz_error_set(err, PZ_EIO, "database: syncing the WAL: %s",
		                    strerror(errno));
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
	after_failure(s);
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
	bind_text_or_null(st, 10, r->pruner);
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
		r.pruner = col_text(st, 10);
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

int pz_store_trial_range(struct pz_store *s, int64_t study_id,
                         int64_t from, int64_t limit, pz_store_trial_cb cb,
                         void *ctx, int *rows, struct pz_error *err)
{
	sqlite3_stmt *st = s->st[ST_TRIAL_RANGE];

	sqlite3_bind_int64(st, 1, study_id);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, limit);
	return walk_trials(s, st, cb, ctx, rows, err);
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

/* --- settings and online backups ------------------------------------------- */

int pz_store_study_update(struct pz_store *s, int64_t id, int64_t max_trials,
                          double heartbeat_timeout, const char *pruner,
                          struct pz_error *err)
{
	sqlite3_stmt *st = s->st[ST_STUDY_UPDATE];
	int rc;

	if (max_trials > 0)
		sqlite3_bind_int64(st, 1, max_trials);
	else
		sqlite3_bind_null(st, 1);
	sqlite3_bind_double(st, 2, heartbeat_timeout);
	bind_text_or_null(st, 3, pruner);
	sqlite3_bind_int64(st, 4, id);
	rc = sqlite3_step(st);
	done(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, "updating a study");
}

struct pz_store_backup {
	struct pz_store *src;
	sqlite3 *dest;
	sqlite3_backup *b;
	char *path;
};

static int backup_error(struct pz_store_backup *b, int rc,
                        struct pz_error *err, const char *what)
{
	return pz_error_set(err, PZ_EIO, "backup to %s: %s: %s", b->path, what,
	                    b->dest != NULL ? sqlite3_errmsg(b->dest)
	                                    : sqlite3_errstr(rc));
}

int pz_store_backup_begin(struct pz_store *s, const char *path,
                          struct pz_store_backup **out, struct pz_error *err)
{
	struct pz_store_backup *b = calloc(1, sizeof(*b));
	int rc;

	*out = NULL;
	if (b == NULL || (b->path = strdup(path)) == NULL) {
		free(b);
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	}
	b->src = s;
	rc = sqlite3_open_v2(path, &b->dest,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                         SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK) {
		rc = backup_error(b, rc, err, "opening it");
		pz_store_backup_abort(b);
		return rc;
	}
	b->b = sqlite3_backup_init(b->dest, "main", s->db, "main");
	if (b->b == NULL) {
		rc = backup_error(b, SQLITE_ERROR, err, "starting the copy");
		pz_store_backup_abort(b);
		return rc;
	}
	*out = b;
	return 0;
}

int pz_store_backup_step(struct pz_store_backup *b, int pages,
                         struct pz_error *err)
{
	int rc;

	/* Reading the source inside a write transaction would copy changes
	 * that may still roll back. */
	if (b->src->in_txn)
		return 1;
	rc = sqlite3_backup_step(b->b, pages);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return 1;
	return backup_error(b, rc, err, "copying pages");
}

int pz_store_backup_pages(const struct pz_store_backup *b)
{
	return sqlite3_backup_pagecount(b->b);
}

int pz_store_backup_finish(struct pz_store_backup *b, struct pz_error *err)
{
	int rc = sqlite3_backup_finish(b->b);

	b->b = NULL;
	if (rc != SQLITE_OK) {
		rc = backup_error(b, rc, err, "finishing the copy");
		pz_store_backup_abort(b);
		return rc;
	}
	/* The copy carries the source's WAL mode in its header: make it one
	 * self-contained file, then close it (which syncs it). */
	if (sqlite3_exec(b->dest, "PRAGMA journal_mode = DELETE; "
	                 "PRAGMA synchronous = FULL", NULL, NULL,
	                 NULL) != SQLITE_OK) {
		rc = backup_error(b, SQLITE_ERROR, err,
		                  "leaving WAL mode");
		pz_store_backup_abort(b);
		return rc;
	}
	rc = sqlite3_close(b->dest);
	b->dest = NULL;
	if (rc != SQLITE_OK) {
		rc = backup_error(b, rc, err, "closing it");
		pz_store_backup_abort(b);
		return rc;
	}
	pz_store_backup_abort(b);
	return 0;
}

void pz_store_backup_abort(struct pz_store_backup *b)
{
	if (b == NULL)
		return;
	if (b->b != NULL)
		sqlite3_backup_finish(b->b);
	if (b->dest != NULL)
		sqlite3_close(b->dest);
	free(b->path);
	free(b);
}

/* --- intermediate values (trial.report) ------------------------------------ */

int pz_store_report_insert(struct pz_store *s, int64_t trial_id, int64_t step,
                           double value, struct pz_error *err)
{
	sqlite3_stmt *st = s->st[ST_REPORT_INSERT];
	int rc;

	sqlite3_bind_int64(st, 1, trial_id);
	sqlite3_bind_int64(st, 2, step);
	sqlite3_bind_double(st, 3, value);
	rc = sqlite3_step(st);
	done(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, "storing a report");
}

int pz_store_report_clear(struct pz_store *s, int64_t trial_id,
                          struct pz_error *err)
{
	sqlite3_stmt *st = s->st[ST_REPORT_CLEAR];
	int rc;

	sqlite3_bind_int64(st, 1, trial_id);
	rc = sqlite3_step(st);
	done(st);
	if (rc != SQLITE_DONE)
		return db_error(s, err, "clearing a trial's reports");
	return pz_store_trial_set_prune_step(s, trial_id, -1, err);
}

int pz_store_trial_set_prune_step(struct pz_store *s, int64_t trial_id,
                                  int64_t step, struct pz_error *err)
{
	sqlite3_stmt *st = s->st[ST_TRIAL_PRUNE_STEP];
	int rc;

	if (step >= 0)
		sqlite3_bind_int64(st, 1, step);
	else
		sqlite3_bind_null(st, 1);
	sqlite3_bind_int64(st, 2, trial_id);
	rc = sqlite3_step(st);
	done(st);
	return rc == SQLITE_DONE ? 0
	                         : db_error(s, err, "storing a prune decision");
}

int pz_store_report_range(struct pz_store *s, int64_t study_id,
                          int64_t number, int64_t step, int64_t limit,
                          pz_store_report_cb cb, void *ctx, int *rows,
                          struct pz_error *err)
{
	sqlite3_stmt *st = s->st[ST_REPORT_RANGE];
	int rc, stop = 0;

	*rows = 0;
	sqlite3_bind_int64(st, 1, study_id);
	sqlite3_bind_int64(st, 2, number);
	sqlite3_bind_int64(st, 3, step);
	sqlite3_bind_int64(st, 4, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		(*rows)++;
		stop = cb(ctx, sqlite3_column_int64(st, 0),
		          sqlite3_column_int64(st, 1),
		          sqlite3_column_double(st, 2));
		if (stop != 0)
			break;
	}
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_error(s, err, "reading reports");
	done(st);
	return stop;
}

int pz_store_pruned_foreach(struct pz_store *s, int64_t study_id,
                            pz_store_report_cb cb, void *ctx,
                            struct pz_error *err)
{
	sqlite3_stmt *st = s->st[ST_TRIAL_PRUNED];
	int rc, stop = 0;

	sqlite3_bind_int64(st, 1, study_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		stop = cb(ctx, sqlite3_column_int64(st, 0),
		          sqlite3_column_int64(st, 1), 0);
		if (stop != 0)
			break;
	}
	if (stop == 0 && rc != SQLITE_DONE)
		stop = db_error(s, err, "reading prune decisions");
	done(st);
	return stop;
}
