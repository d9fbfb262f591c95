"""parzend under valgrind: a working session leaks nothing and touches no
bad memory.

The daemon runs under memcheck with --error-exitcode, serves a study (ask,
tell, fail, heartbeat, release, enqueue, errors of every kind, a too-long
line, a peer that hangs up mid-line and one that leaves replies unread),
then gets SIGTERM. Exit status 0 means: orderly shutdown, every handle
closed, no definite or indirect leak, no invalid read or write.
"""
import json
import os
import shutil

import pytest

from daemon import Daemon, RPCError

VALGRIND = shutil.which("valgrind")

SPACE = {
    "lr": {"$hp": "loguniform", "label": "lr", "low": -9, "high": 0},
    "units": {"$hp": "quniform", "label": "units", "low": 16, "high": 256,
              "q": 16},
    "opt": {"$hp": "choice", "label": "opt", "options": [
        "sgd",
        {"beta": {"$hp": "uniform", "label": "beta", "low": 0.8,
                  "high": 0.999}},
    ]},
    "act": {"$fn": "int", "args": [
        {"$hp": "uniformint", "label": "depth", "low": 1, "high": 4}]},
}


def expect_rpc_error(fn, code):
    with pytest.raises(RPCError) as ei:
        fn()
    assert ei.value.code == code, ei.value


@pytest.mark.skipif(VALGRIND is None, reason="valgrind not installed")
@pytest.mark.skipif(os.environ.get("PARZEN_SANITIZE", "none") != "none",
                    reason="a sanitizer build checks memory itself")
def test_no_leaks_or_memory_errors(tmp_path):
    d = Daemon(tmp_path, "--max-line", "65536", "--log-level", "debug",
               durability="normal",
               wrapper=[VALGRIND, "--leak-check=full",
                        "--error-exitcode=3",
                        "--errors-for-leak-kinds=definite,indirect",
                        "--show-leak-kinds=definite,indirect"])
    d.start(timeout=120)
    try:
        c = d.connect(timeout=120)
        c.call("study.create", name="vg", space=SPACE, seed=5,
               config={"n_startup": 10})
        c.call("study.create", name="vg", space=SPACE, seed=5,
               config={"n_startup": 10}, exist_ok=True)
        c.call("trial.enqueue", study="vg",
               params={"lr": 0.01, "units": 64, "opt": 0, "depth": 2})
        for i in range(50):
            t = c.call("trial.ask", study="vg", worker="w%d" % (i % 3))
            t = t["trial"]
            if i % 10 == 3:
                c.call("trial.heartbeat", trial=t["id"],
                       attempt=t["attempt"])
            if i % 10 == 7:
                c.call("trial.release", trial=t["id"])
                t = c.call("trial.ask", study="vg")["trial"]
            if i % 5 == 4:
                c.call("trial.tell", trial=t["id"], status="fail",
                       attempt=t["attempt"],
                       result={"error": "diverged", "step": i})
            else:
                loss = abs(t["params"]["lr"] - 0.003) * t["params"]["units"]
                c.call("trial.tell", trial=t["id"], status="ok", loss=loss,
                       attempt=t["attempt"],
                       result={"acc": [0.1, 0.5, 0.9], "i": i})
        # A few errors of each kind.
        expect_rpc_error(lambda: c.call("trial.tell", trial=1, status="ok",
                                        loss=1), -32003)
        expect_rpc_error(lambda: c.call("trial.tell", trial=10 ** 9,
                                        status="ok", loss=1), -32001)
        expect_rpc_error(lambda: c.call("trial.ask", study="nope"), -32001)
        expect_rpc_error(lambda: c.call("study.create", name="bad",
                                        space={"x": {"$hp": "uniform",
                                                     "label": "x",
                                                     "low": 1, "high": 0}}),
                         -32004)
        expect_rpc_error(lambda: c.call("study.create", name="vg",
                                        space={}, exist_ok=True), -32002)
        expect_rpc_error(lambda: c.call("trial.enqueue", study="vg",
                                        params={"lr": 9}), -32004)
        expect_rpc_error(lambda: c.call("trial.tell", trial=1,
                                        status="ok"), -32602)
        expect_rpc_error(lambda: c.call("no.such"), -32601)
        expect_rpc_error(lambda: c.call("server.info", x=1), -32602)
        for bad in (b"{nope", b"[1]", b"42", b'{"jsonrpc": "2.0"}',
                    b"\xff", b'{"jsonrpc": "2.0", "id": 1, "method": 5}'):
            c.send_raw(bad + b"\n")
            assert "error" in c.read_line()
        # Notifications, a paused study, listing, best, delete.
        c.send_raw(b'{"jsonrpc": "2.0", "method": "study.pause",'
                   b' "params": {"study": "vg"}}\n')
        assert c.call("trial.ask", study="vg")["reason"] == "paused"
        c.call("study.resume", study="vg")
        c.call("trial.list", study="vg", state="ok", offset=3, limit=5)
        c.call("study.best", study="vg")
        c.call("study.list")
        c.call("study.create", name="gone", space=SPACE, algo="random")
        c.call("trial.ask", study="gone")
        c.call("study.delete", study="gone")
        # A too-long line closes that connection only.
        c2 = d.connect(timeout=120)
        try:
            c2.send_raw(b'{"x": "' + b"a" * 70000 + b'"}\n')
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert c2.read_line()["error"]["code"] == -32600
        c2.close()
        # Hang-ups: mid-line, and with replies (some held for the commit)
        # never read.
        c3 = d.connect(timeout=120)
        c3.send_raw(b'{"jsonrpc": "2.0", "id": 1, "meth')
        c3.close()
        c4 = d.connect(timeout=120)
        c4.send_raw(b'{"jsonrpc": "2.0", "id": 1, "method": "trial.ask",'
                    b' "params": {"study": "vg"}}\n' * 20)
        c4.close()
        # A connection still open at shutdown, with a running trial.
        c5 = d.connect(timeout=120)
        c5.call("trial.ask", study="vg", worker="left-open")
        info = c.call("server.info")
        assert info["name"] == "parzend"
        c.close()
        status = d.stop(timeout=120)
    finally:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
    log = d.read_log()
    assert status == 0, log
    assert "Memcheck" in log, log  # it really ran under valgrind
    assert "ERROR SUMMARY: 0 errors" in log, log
    assert "Invalid" not in log, log
    c5.close()
