-- parzen schema, version 2.
--
-- The algorithm and the trial state are checked by the daemon, not by
-- CHECK constraints, so that a new suggester ("anneal", "mix") or state
-- needs no table rebuild; the state list is kept as a CHECK only for the
-- states (queued, running, ok, fail, and now pruned). Studies gain their
-- pruner (JSON, NULL = none); trials gain intermediate values
-- (trial.report: one row per reported step).
--
-- SQLite cannot drop a CHECK constraint, so both tables are rebuilt, ids
-- kept. The store runs migrations with foreign keys off (dropping the old
-- study table must not cascade into the trials) and checks them after.

CREATE TABLE study_v2 (
	id                INTEGER PRIMARY KEY,
	name              TEXT NOT NULL UNIQUE,
	space             TEXT NOT NULL,
	algo              TEXT NOT NULL,
	seed              INTEGER NOT NULL,
	config            TEXT NOT NULL,
	max_trials        INTEGER,
	heartbeat_timeout REAL NOT NULL,
	paused            INTEGER NOT NULL DEFAULT 0,
	created           REAL NOT NULL,
	pruner            TEXT
);

INSERT INTO study_v2 (id, name, space, algo, seed, config, max_trials,
                      heartbeat_timeout, paused, created)
	SELECT id, name, space, algo, seed, config, max_trials,
	       heartbeat_timeout, paused, created
	FROM study;

CREATE TABLE trial_v2 (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	study_id INTEGER NOT NULL REFERENCES study (id) ON DELETE CASCADE,
	number   INTEGER NOT NULL,
	state    TEXT NOT NULL
	         CHECK (state IN ('queued', 'running', 'ok', 'fail', 'pruned')),
	params   TEXT NOT NULL,
	loss     REAL,
	result   TEXT,
	worker   TEXT,
	attempt  INTEGER NOT NULL DEFAULT 0,
	reclaims INTEGER NOT NULL DEFAULT 0,
	created  REAL NOT NULL,
	started  REAL,
	finished REAL,
	UNIQUE (study_id, number)
);

INSERT INTO trial_v2 (id, study_id, number, state, params, loss, result,
                      worker, attempt, reclaims, created, started, finished)
	SELECT id, study_id, number, state, params, loss, result, worker,
	       attempt, reclaims, created, started, finished
	FROM trial;

-- Ids are never reused, also those of trials deleted with their study:
-- carry the old table's AUTOINCREMENT counter over.
UPDATE sqlite_sequence
	SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'trial')
	WHERE name = 'trial_v2'
	  AND (SELECT seq FROM sqlite_sequence WHERE name = 'trial') > seq;
INSERT INTO sqlite_sequence (name, seq)
	SELECT 'trial_v2', seq FROM sqlite_sequence
	WHERE name = 'trial'
	  AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'trial_v2');

DROP TABLE trial;
DROP TABLE study;
ALTER TABLE study_v2 RENAME TO study;
ALTER TABLE trial_v2 RENAME TO trial;

CREATE TABLE report (
	trial_id INTEGER NOT NULL REFERENCES trial (id) ON DELETE CASCADE,
	step     INTEGER NOT NULL CHECK (step >= 0),
	value    REAL NOT NULL,
	PRIMARY KEY (trial_id, step)
) WITHOUT ROWID;
