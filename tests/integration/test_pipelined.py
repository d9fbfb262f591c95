"""Requests pipelined on one connection behind a request whose reply is
deferred (a backup, a suggestion): parzend takes the next line the moment
the reply is ready, from inside the code that finished it; every request
must still be answered, in order."""
import json
import os
import select
import sqlite3
import time

import pytest

from daemon import Daemon

SPACE = {"x": {"$hp": "uniform", "label": "x", "low": 0, "high": 1}}


def line(msg_id, method, **params):
    return (json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method,
                        "params": params}) + "\n").encode()


def test_two_backups_pipelined_on_one_connection(daemon, tmp_path):
    c = daemon.connect(timeout=20)
    c.call("study.create", name="s", space=SPACE, seed=1)
    paths = [tmp_path / "a.db", tmp_path / "b.db", tmp_path / "c.db"]
    # The second backup is read while the first one runs, and handled
    # when the first one's reply is ready (its task is being run then).
    c.send_raw(b"".join(line(i + 1, "server.backup", path=str(p))
                        for i, p in enumerate(paths)))
    for i, p in enumerate(paths):
        r = c.read_line()
        assert r["id"] == i + 1, r
        assert r.get("result", {}).get("path") == str(p), r
        db = sqlite3.connect(p)
        try:
            assert db.execute("SELECT name FROM study").fetchall() == [
                ("s",)]
        finally:
            db.close()
    assert c.call("server.info")["name"] == "parzend"


def test_backups_then_stop_pipelined(daemon, tmp_path):
    c = daemon.connect(timeout=20)
    c.call("study.create", name="s", space=SPACE, seed=1)
    c.send_raw(line(1, "server.backup", path=str(tmp_path / "a.db")) +
               line(2, "server.backup", path=str(tmp_path / "b.db")) +
               line(3, "server.stop"))
    replies = [c.read_line() for _ in range(3)]
    assert [r["id"] for r in replies] == [1, 2, 3], replies
    assert all("result" in r for r in replies), replies
    assert replies[2]["result"]["stopping"] is True
    assert daemon.proc.wait(timeout=20) == 0, daemon.read_log()


# --- durability: what is told while a commit waits for its fsync ----------

SHIM = os.environ.get("PARZEN_SYNC_SHIM", "")


@pytest.fixture
def held_daemon(tmp_path, monkeypatch):
    """parzend (--durability full) whose WAL syncs can be held or failed
    (sync_shim.c)."""
    if not SHIM or not os.path.exists(SHIM):
        pytest.skip("sync_shim not built")
    files = {k: str(tmp_path / k) for k in ("hold", "held", "fail")}
    monkeypatch.setenv("LD_PRELOAD", SHIM)
    monkeypatch.setenv("ASAN_OPTIONS",
                       "verify_asan_link_order=0:detect_leaks=0")
    monkeypatch.setenv("PZ_SHIM_SYNC_HOLD", files["hold"])
    monkeypatch.setenv("PZ_SHIM_SYNC_HELD", files["held"])
    monkeypatch.setenv("PZ_SHIM_SYNC_FAIL", files["fail"])
    (tmp_path / "d").mkdir()
    d = Daemon(tmp_path / "d", durability="full").start()
    d.files = files
    yield d
    for f in files.values():
        if os.path.exists(f):
            os.unlink(f)
    if d.proc.poll() is None:
        d.kill9()


def touch(path):
    open(path, "w").close()


def wait_for(path):
    """The shim's signal (no timing: it exists once a sync waits)."""
    deadline = time.monotonic() + 30
    while not os.path.exists(path):
        assert time.monotonic() < deadline, "no sync was held"
        time.sleep(0.01)


def nothing_to_read(conn, seconds=1.0):
    r, _, _ = select.select([conn.sock], [], [], seconds)
    return not r and b"\n" not in conn.buf


def test_retried_ask_waits_for_the_fsync_of_its_trial(held_daemon):
    """A worker's ask creates its trial; the commit is waiting for its
    fsync when the worker (its reply lost) asks again on a new
    connection. The second reply confirms the same trial, so it may not
    leave before the first one's fsync either: a crash then would leave
    the worker holding a trial that never was."""
    d = held_daemon
    c = d.connect(timeout=20)
    c.call("study.create", name="s", space=SPACE, seed=1)
    touch(d.files["hold"])
    first = c.request("trial.ask", study="s", worker="w1")
    wait_for(d.files["held"])
    retry = d.connect(timeout=20)
    again = retry.request("trial.ask", study="s", worker="w1")
    assert nothing_to_read(retry), "confirmed before its fsync"
    assert nothing_to_read(c, 0.1)
    os.unlink(d.files["hold"])
    r1, r2 = c.read_line(), retry.read_line()
    assert r1["id"] == first and r2["id"] == again
    assert r1["result"]["trial"]["id"] == r2["result"]["trial"]["id"]
    assert d.stop() == 0, d.read_log()


def wal_size(d):
    return os.path.getsize(d.db + "-wal")


def test_nothing_is_confirmed_after_a_failed_fsync(held_daemon):
    """The fsync of batch N fails while batch N+1 committed behind it:
    both are unconfirmed (-32005 at once, not left waiting), no watcher
    hears of them, and parzend exits with status 1."""
    d = held_daemon
    c, c2, w = (d.connect(timeout=20) for _ in range(3))
    c.call("study.create", name="s", space=SPACE, seed=1)
    t0 = c.call("trial.ask", study="s", worker="w0")["trial"]
    t1 = c2.call("trial.ask", study="s", worker="w1")["trial"]
    w.call("study.watch", study="s")
    touch(d.files["hold"])
    touch(d.files["fail"])
    c.request("trial.tell", trial=t0["id"], status="ok", loss=0.5)
    wait_for(d.files["held"])
    size = wal_size(d)
    c2.request("trial.tell", trial=t1["id"], status="ok", loss=0.25)
    # The database is parzend's alone (exclusive lock); its commit of
    # batch N+1 shows as the frames it appends to the WAL.
    deadline = time.monotonic() + 30
    while wal_size(d) <= size:
        assert time.monotonic() < deadline, "batch N+1 never committed"
        time.sleep(0.01)
    os.unlink(d.files["hold"])
    for conn in (c, c2):
        r = conn.read_line()
        assert r.get("error", {}).get("code") == -32005, r
        assert "could not be made durable" in r["error"]["message"]
    events = []
    try:
        while True:
            events.append(w.read_line())
    except ConnectionError:
        pass
    assert not [e for e in events if e.get("method") == "study.event"], \
        events
    assert d.proc.wait(timeout=30) == 1, d.read_log()
