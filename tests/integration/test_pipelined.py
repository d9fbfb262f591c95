"""Requests pipelined on one connection behind a request whose reply is
deferred (a backup, a suggestion): parzend takes the next line the moment
the reply is ready, from inside the code that finished it; every request
must still be answered, in order."""
import json
import sqlite3

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
