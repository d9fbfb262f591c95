"""Schema migrations: a database written by an older parzend opens in this
one with every study and trial intact, ids kept and never reused."""
import os
import sqlite3

from daemon import Daemon

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SPACE = '{"x": {"$hp": "uniform", "label": "x", "low": 0, "high": 1}}'


def make_v1_database(path):
    """A version-1 database as parzend 0.1 left it: two studies, one of
    them deleted after its trials took ids 3 and 4."""
    with open(os.path.join(ROOT, "sql", "001_init.sql")) as f:
        schema = f.read()
    db = sqlite3.connect(path)
    db.executescript(schema)
    db.execute("PRAGMA user_version = 1")
    for sid, name in ((1, "kept"), (2, "gone")):
        db.execute("INSERT INTO study (id, name, space, algo, seed, config, "
                   "max_trials, heartbeat_timeout, paused, created) VALUES "
                   "(?, ?, ?, 'tpe', 7, '{}', NULL, 60, 0, 1.0)",
                   (sid, name, SPACE))
    rows = [(1, 0, "ok", '{"x":0.25}', 0.5), (1, 1, "fail", '{"x":0.75}',
                                               None),
            (2, 0, "ok", '{"x":0.5}', 1.0), (2, 1, "ok", '{"x":0.1}', 2.0)]
    for study, number, state, params, loss in rows:
        db.execute("INSERT INTO trial (study_id, number, state, params, "
                   "loss, created, started, finished) VALUES "
                   "(?, ?, ?, ?, ?, 1.0, 1.0, 2.0)",
                   (study, number, state, params, loss))
    db.commit()
    db.execute("PRAGMA foreign_keys = ON")  # outside a transaction
    db.execute("DELETE FROM study WHERE id = 2")
    db.commit()
    db.close()


def test_v1_database_migrates(tmp_path):
    d = Daemon(tmp_path)
    make_v1_database(d.db)
    d.start()
    try:
        c = d.connect()
        [study] = c.call("study.list")["studies"]
        assert study["name"] == "kept"
        assert study["counts"]["ok"] == 1 and study["counts"]["fail"] == 1
        trials = c.call("trial.list", study="kept")["trials"]
        assert [(t["id"], t["state"], t["params"], t["loss"])
                for t in trials] == [(1, "ok", {"x": 0.25}, 0.5),
                                     (2, "fail", {"x": 0.75}, None)]
        # Ids 3 and 4 belonged to the deleted study's trials.
        new = c.call("trial.ask", study="kept", worker="w")["trial"]
        assert new["id"] == 5 and new["number"] == 2
        c.close()
    finally:
        assert d.stop() == 0, d.read_log()
    db = sqlite3.connect(d.db)
    assert db.execute("PRAGMA user_version").fetchone()[0] >= 2
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    tables = {r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"study", "trial", "report"} <= tables
    assert not any(t.endswith("_v2") for t in tables)
    db.close()
