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


def mount_tmpfs(path, size):
    """A small tmpfs of our own, or skip (not root, no mount)."""
    import os
    import subprocess
    path.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d" % size,
                        "tmpfs", str(path)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + r.stderr.strip())
    return path


def test_a_wal_that_fills_the_disk_is_given_back(tmp_path):
    """The database on a 2 MiB tmpfs, small data, many commits: the WAL
    fills the disk (SQLite checkpoints at 4 MB). The failed write must
    give the WAL's space back, so that the next writes work, without a
    restart; and a restart on that disk works."""
    import subprocess
    mnt = mount_tmpfs(tmp_path / "mnt", 2 << 20)
    try:
        d = Daemon(tmp_path)
        d.db = str(mnt / "parzen.db")
        d.start()
        c = d.connect()
        c.call("study.create", name="s", space=SPACE, algo="random", seed=1)
        acked, failures = {}, 0
        for i in range(3000):
            try:
                t = c.call("trial.ask", study="s", worker="w")["trial"]
                c.call("trial.tell", trial=t["id"], status="ok",
                       loss=float(i), attempt=t["attempt"])
                acked[t["id"]] = float(i)
            except RPCError as e:
                assert e.code == -32005 and "full" in e.message
                failures += 1
                assert failures < 3, "writes keep failing"
        assert len(acked) > 2000
        assert d.stop() == 0, d.read_log()
        d.start()
        c = d.connect()
        t = c.call("trial.ask", study="s")["trial"]
        c.call("trial.tell", trial=t["id"], status="ok", loss=1.0)
        assert d.stop() == 0, d.read_log()
        db = sqlite3.connect(d.db)
        rows = dict(db.execute(
            "SELECT id, loss FROM trial WHERE state = 'ok'"))
        db.close()
        for tid, loss in acked.items():
            assert rows[tid] == loss
    finally:
        subprocess.run(["umount", "-l", str(mnt)])


def test_a_real_full_disk_recovers_without_a_restart(tmp_path):
    """The database on a 2 MiB tmpfs: the disk fills, writes are refused,
    reads go on; once space returns, writes work again without a restart;
    a restart on a full disk works too."""
    import os
    import subprocess
    mnt = mount_tmpfs(tmp_path / "mnt", 2 << 20)
    try:
        filler = mnt / "filler"
        with open(filler, "wb") as f:
            f.write(b"\0" * (900 << 10))
        d = Daemon(tmp_path)
        d.db = str(mnt / "parzen.db")
        d.start()
        c = d.connect()
        c.call("study.create", name="s", space=SPACE, algo="random", seed=1)
        acked, err = {}, None
        for i in range(500):
            try:
                t = c.call("trial.ask", study="s", worker="w")["trial"]
                c.call("trial.tell", trial=t["id"], status="ok",
                       loss=float(i), result=BLOB)
            except RPCError as e:
                err = e
                break
            acked[t["id"]] = float(i)
        assert err is not None and len(acked) >= 3
        assert err.code == -32005 and "full" in err.message
        # Reads are served while the disk is full.
        assert c.call("study.get", study="s")["study"]["counts"]["ok"] == \
            len(acked)
        # Space returns: the next writes work, no restart.
        os.unlink(filler)
        t = c.call("trial.ask", study="s", worker="w")["trial"]
        t = c.call("trial.tell", trial=t["id"], status="ok", loss=0.5,
                   attempt=t["attempt"], result=BLOB)["trial"]
        assert t["state"] == "ok"
        acked[t["id"]] = 0.5
        assert d.stop() == 0, d.read_log()
        # Fill the disk to the last byte, then start: the WAL is
        # truncated at start and the study loads and serves reads.
        try:
            with open(filler, "wb") as f:
                while True:
                    f.write(b"\0" * 4096)
                    f.flush()
        except OSError:
            pass    # full: the point
        d.start()
        c = d.connect()
        assert c.call("study.get", study="s")["study"]["counts"]["ok"] == \
            len(acked)
        if filler.exists():
            os.unlink(filler)
        t = c.call("trial.ask", study="s")["trial"]
        c.call("trial.tell", trial=t["id"], status="ok", loss=1.0)
        assert d.stop() == 0, d.read_log()
        db = sqlite3.connect(d.db)
        rows = dict(db.execute(
            "SELECT id, loss FROM trial WHERE state = 'ok'"))
        db.close()
        for tid, loss in acked.items():
            assert rows[tid] == loss
    finally:
        subprocess.run(["umount", "-l", str(mnt)])
