-- parzen schema, version 1.
--
-- One row per study and one per trial. A trial's params are the flat JSON
-- object {label: value} the suggester produced (or a user enqueued); its
-- loss and result are set when it is told. Numbers count a study's trials
-- from 0; ids are unique across studies and never reused (AUTOINCREMENT),
-- so a worker holding the id of a deleted study's trial cannot touch another.

CREATE TABLE study (
	id                INTEGER PRIMARY KEY,
	name              TEXT NOT NULL UNIQUE,
	space             TEXT NOT NULL,
	algo              TEXT NOT NULL CHECK (algo IN ('tpe', 'random')),
	seed              INTEGER NOT NULL,
	config            TEXT NOT NULL,
	max_trials        INTEGER,
	heartbeat_timeout REAL NOT NULL,
	paused            INTEGER NOT NULL DEFAULT 0,
	created           REAL NOT NULL
);

CREATE TABLE trial (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	study_id INTEGER NOT NULL REFERENCES study (id) ON DELETE CASCADE,
	number   INTEGER NOT NULL,
	state    TEXT NOT NULL
	         CHECK (state IN ('queued', 'running', 'ok', 'fail')),
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
