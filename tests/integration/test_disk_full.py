"""A full disk: writes are refused with a clear error, nothing acknowledged
is lost, and the daemon keeps serving.

The database is capped with --max-db-size, which makes SQLite fail writes
with SQLITE_FULL exactly as a full file system does.
"""
import sqlite3

import pytest

from daemon import Daemon, RPCError

SPACE = {"x": {"$hp": "uniform", "label": "x", "low": 0, "high": 1}}
BLOB = {"blob": "x" * 20000}


def fill_until_full(c):
    """Tell trials with large results until a tell is refused."""
    acked = {}
    for i in range(500):
        t = c.call("trial.ask", study="s")["trial"]
        try:
            c.call("trial.tell", trial=t["id"], status="ok", loss=float(i),
                   result=BLOB)
        except RPCError as e:
            return acked, t, e
        acked[t["id"]] = float(i)
    pytest.fail("the database never filled up")


def test_full_disk_refuses_and_loses_nothing(tmp_path):
    d = Daemon(tmp_path, "--max-db-size", "196608").start()
    c = d.connect()
    other = d.connect()
    c.call("study.create", name="s", space=SPACE, algo="random", seed=1)
    acked, refused, err = fill_until_full(c)
    assert len(acked) >= 3
    assert err.code == -32005
    assert "full" in err.message and "nothing" in err.message

    # Everyone else is still served, and the refused tell left its trial
    # running: a retry is refused the same way, not half-applied.
    assert other.call("server.info")["name"] == "parzend"
    counts = other.call("study.get", study="s")["study"]["counts"]
    assert counts["ok"] == len(acked)
    assert counts["running"] == 1
    with pytest.raises(RPCError) as again:
        c.call("trial.tell", trial=refused["id"], status="ok", loss=0.5,
               result=BLOB)
    assert again.value.code == -32005
    # Small writes may still fit; a failed one never breaks the daemon.
    t = other.call("trial.get", trial=refused["id"])["trial"]
    assert t["state"] == "running"
    assert d.stop() == 0

    db = sqlite3.connect(d.db)
    rows = dict(db.execute("SELECT id, loss FROM trial WHERE state = 'ok'"))
    db.close()
    assert rows == acked

    # With room again (no cap), the trial can be told after a restart.
    d2 = Daemon(tmp_path).start()
    c2 = d2.connect()
    c2.call("trial.tell", trial=refused["id"], status="ok", loss=0.5)
    counts = c2.call("study.get", study="s")["study"]["counts"]
    assert counts["ok"] == len(acked) + 1 and counts["running"] == 0
    assert d2.stop() == 0
