"""study.watch: a connection hears about every change once it is durable,
in order, numbered; requests on it keep working."""
import json

import pytest

from daemon import RPCError

SPACE = {"x": {"$hp": "uniform", "label": "x", "low": 0, "high": 1}}


def notifications(conn, n):
    """The next n notifications on conn (replies would fail the test)."""
    out = []
    while len(out) < n:
        msg = conn.read_line()
        assert "id" not in msg, msg
        assert msg["method"] == "study.event", msg
        out.append(msg["params"])
    return out


def test_watcher_sees_trials_start_and_end(daemon):
    c = daemon.connect()
    w = daemon.connect()
    c.call("study.create", name="s", space=SPACE, seed=1, algo="random")
    c.call("study.create", name="other", space=SPACE, seed=1)
    r = w.call("study.watch", study="s")
    assert r["watching"] == ["s"] and r["seq"] == 0

    t = c.call("trial.ask", study="s", worker="w1")["trial"]
    c.call("trial.ask", study="other", worker="w1")  # not watched
    c.call("trial.tell", trial=t["id"], status="ok", loss=0.5,
           attempt=t["attempt"])
    c.call("study.pause", study="s")
    ev = notifications(w, 3)
    assert [e["event"] for e in ev] == ["trial.created", "trial.ended",
                                        "study.changed"]
    assert [e["seq"] for e in ev] == [1, 2, 3]
    assert all(e["study"] == "s" for e in ev)
    assert ev[0]["trial"] == {"id": t["id"], "number": 0,
                              "state": "running", "loss": None,
                              "worker": "w1", "attempt": 0, "step": None}
    assert ev[1]["trial"]["state"] == "ok" and ev[1]["trial"]["loss"] == 0.5
    assert "trial" not in ev[2]

    # Requests keep working on a watching connection.
    assert w.call("study.get", study="s")["study"]["state"] == "paused"
    # unwatch: nothing more arrives (the next line is the reply).
    w.call("study.unwatch", study="s")
    c.call("study.resume", study="s")
    assert w.call("server.info")["name"] == "parzend"


def test_seq_has_no_gap_for_a_watcher_of_one_study(daemon):
    """A gap in seq means a notification was lost: it may not open for a
    watcher of one study because another connection was told about
    another study (parzen dashboard --study reloads everything on a
    gap)."""
    c = daemon.connect()
    wa, wb = daemon.connect(), daemon.connect()
    c.call("study.create", name="a", space=SPACE, seed=1, algo="random")
    c.call("study.create", name="b", space=SPACE, seed=1, algo="random")
    assert wa.call("study.watch", study="a")["seq"] == 0
    assert wb.call("study.watch", study="b")["seq"] == 0
    for name in ("a", "b", "a", "b", "a"):
        c.call("trial.enqueue", study=name, params={"x": 0.5})
    assert [e["seq"] for e in notifications(wa, 3)] == [1, 2, 3]
    assert [e["seq"] for e in notifications(wb, 2)] == [1, 2]
    # Watching more goes on counting for this connection.
    r = wb.call("study.watch", study="a")
    assert r["seq"] == 2
    c.call("trial.enqueue", study="a", params={"x": 0.5})
    assert [e["seq"] for e in notifications(wa, 1)] == [4]
    assert [e["seq"] for e in notifications(wb, 1)] == [3]


def test_watch_everything_and_deletion(daemon):
    c = daemon.connect()
    w = daemon.connect()
    assert w.call("study.watch")["watching"] == []
    c.call("study.create", name="a", space=SPACE, seed=1)
    c.call("trial.enqueue", study="a", params={"x": 0.25})
    c.call("study.delete", study="a")
    ev = notifications(w, 3)
    assert [(e["event"], e["study"]) for e in ev] == [
        ("study.changed", "a"), ("trial.created", "a"),
        ("study.deleted", "a")]
    assert ev[1]["trial"]["state"] == "queued"


def test_watch_errors(daemon):
    w = daemon.connect()
    with pytest.raises(RPCError) as e:
        w.call("study.watch", study="nope")
    assert e.value.code == -32001
    with pytest.raises(RPCError) as e:
        w.call("study.unwatch", study="nope")
    assert e.value.code == -32001


def test_a_watcher_that_goes_away_costs_nothing(daemon):
    c = daemon.connect()
    w = daemon.connect()
    c.call("study.create", name="s", space=SPACE, seed=1, algo="random")
    w.call("study.watch", study="s")
    w.close()
    for _ in range(20):
        t = c.call("trial.ask", study="s")["trial"]
        c.call("trial.tell", trial=t["id"], status="ok", loss=1.0)
    assert c.call("server.info")["connections"] == 1
