"""parzen.Client: every protocol method, errors, pipelining, and resending
after a lost reply."""
import math
import os
import socket
import threading

import pytest

from parzen import Client, Error
from parzen.client import Unavailable

SPACE = {"x": {"$hp": "uniform", "label": "x", "low": -1, "high": 1},
         "c": {"$hp": "choice", "label": "c", "options": [
             "a", {"y": {"$hp": "randint", "label": "y", "high": 5}}]}}


def test_every_method(pzd):
    c = pzd.client()
    info = c.server_info()
    assert info["name"] == "parzend" and info["protocol"] == 1
    assert info["pid"] == pzd.handle.pid and info["socket"] == pzd.socket
    s = c.create_study("s", SPACE, algo="tpe", seed=11, max_trials=50,
                       config={"n_startup": 3}, heartbeat_timeout=30)
    assert s["name"] == "s" and s["seed"] == 11 and s["max_trials"] == 50
    assert s["config"]["n_startup"] == 3 and s["heartbeat_timeout"] == 30
    assert c.create_study("s", SPACE, algo="tpe", seed=11, max_trials=50,
                          config={"n_startup": 3}, heartbeat_timeout=30,
                          exist_ok=True)["created"] == s["created"]
    assert c.get_study("s")["counts"]["total"] == 0
    assert [x["name"] for x in c.list_studies()] == ["s"]
    assert c.pause("s")["state"] == "paused"
    assert c.ask("s", worker="w") == {"trial": None, "reason": "paused"}
    assert c.resume("s")["state"] == "running"
    t = c.ask("s", worker="w")["trial"]
    assert t["state"] == "running" and t["worker"] == "w"
    assert c.ask("s", worker="w")["trial"]["id"] == t["id"]  # same again
    hb = c.heartbeat(t["id"], attempt=0)
    assert hb["id"] == t["id"] and hb["deadline"] > 0
    assert c.release(t["id"], attempt=0)["state"] == "queued"
    t2 = c.ask("s", worker="v")["trial"]
    assert t2["id"] == t["id"] and t2["attempt"] == 1
    done = c.tell(t2["id"], "ok", loss=0.5, result={"k": [1, 2]}, attempt=1)
    assert done["state"] == "ok" and done["loss"] == 0.5
    assert c.get_trial(t2["id"])["result"] == {"k": [1, 2]}
    assert c.best("s")["id"] == t["id"]
    q = c.enqueue("s", {"x": 0.25, "c": 1, "y": 3})
    assert q["state"] == "queued" and q["point"] == {"x": 0.25,
                                                     "c": {"y": 3}}
    assert c.get_trial(q["id"])["number"] == 1
    for _ in range(5):  # the first gets the queued trial
        t = c.ask("s")["trial"]
        c.tell(t, "fail", result={"why": "test"})
    page = c.list_trials("s", offset=1, limit=2)
    assert page["total"] == 6 and [x["number"] for x in page["trials"]] == \
        [1, 2]
    assert [x["number"] for x in c.iter_trials("s", page=3)] == \
        list(range(6))
    assert len(list(c.iter_trials("s", state="fail"))) == 5
    assert c.delete_study("s") == {"deleted": "s", "trials": 6}
    assert c.list_studies() == []


def test_errors_carry_code_message_and_path(pzd):
    c = pzd.client()
    with pytest.raises(Error) as e:
        c.get_study("nope")
    assert e.value.code == -32001 and "nope" in e.value.message
    c.create_study("s", SPACE)
    with pytest.raises(Error) as e:
        c.create_study("s", SPACE)
    assert e.value.code == -32002
    with pytest.raises(Error) as e:
        c.create_study("bad", {"x": {"$hp": "uniform", "label": "x",
                                     "low": 1, "high": 0}})
    assert e.value.code == -32004 and e.value.path == "space.x"
    t = c.ask("s")["trial"]
    with pytest.raises(Error) as e:
        c.tell(t, "ok")
    assert e.value.code == -32602 and e.value.path == "params.loss"
    c.tell(t, "ok", loss=1.0)
    with pytest.raises(Error) as e:
        c.tell(t, "ok", loss=1.0)
    assert e.value.code == -32003 and "already finished" in e.value.message
    with pytest.raises(Error) as e:
        c.call("trial.bogus")
    assert e.value.code == -32601 and "trial.bogus" in str(e.value)
    # tell, heartbeat and release always carry the attempt (issue 8):
    # without it a late tell could act on another worker's run.
    for call in (lambda: c.tell(t["id"], "ok", loss=1.0),
                 lambda: c.heartbeat(t["id"]), lambda: c.release(t["id"])):
        with pytest.raises(TypeError, match="attempt"):
            call()
    with pytest.raises(ValueError, match="NaN"):
        c.tell(t, "ok", loss=math.nan)
    # The connection is still usable after all that.
    assert c.server_info()["name"] == "parzend"


def test_call_many_pipelines(pzd):
    c = pzd.client()
    c.create_study("p", SPACE, algo="random")
    got = c.call_many([("trial.ask", {"study": "p", "worker": "w%d" % i})
                       for i in range(20)] + [("study.get", {"study": "no"})])
    assert [t["trial"]["number"] for t in got[:20]] == list(range(20))
    assert isinstance(got[20], Error) and got[20].code == -32001
    told = c.call_many([("trial.tell", {"trial": t["trial"]["id"],
                                        "status": "ok", "loss": 1.0})
                        for t in got[:20]])
    assert all(t["trial"]["state"] == "ok" for t in told)


def test_unreachable_daemon(tmp_path):
    c = Client(str(tmp_path / "none.sock"), connect_timeout=0.3)
    with pytest.raises(Unavailable) as e:
        c.server_info()
    assert e.value.code is None and isinstance(e.value, ConnectionError)
    assert "none.sock" in str(e.value)


def test_reconnects_across_a_restart(pzd):
    c = pzd.client()
    c.create_study("r", SPACE)
    pid = c.server_info()["pid"]
    pzd.stop()
    pzd.start()
    info = c.server_info()  # reconnects transparently
    assert info["pid"] != pid
    assert c.get_study("r")["name"] == "r"
    d = Client(pzd.socket, retry_timeout=0)
    d.server_info()
    pzd.stop()
    with pytest.raises(Unavailable):
        d.server_info()  # no retries: fails at once
    pzd.start()


class DroppingProxy:
    """A Unix-socket proxy to parzend that, once armed with a method name,
    forwards the next such request but hangs up instead of forwarding its
    reply: the reply is lost after the daemon acted."""

    def __init__(self, target, path):
        self.target, self.path = target, path
        self.armed = None
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(8)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _serve(self, conn):
        up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        up.connect(self.target)
        cf, uf = conn.makefile("rb"), up.makefile("rb")
        try:
            while True:
                line = cf.readline()
                if not line:
                    return
                drop = self.armed is not None and \
                    ('"method":"%s"' % self.armed).encode() in line
                up.sendall(line)
                reply = uf.readline()
                if drop:
                    self.armed = None
                    return  # hang up: the reply is lost
                conn.sendall(reply)
        finally:
            conn.close()
            up.close()

    def close(self):
        self.listener.close()


def test_a_resent_request_acts_once(pzd, tmp_path):
    proxy = DroppingProxy(pzd.socket, str(tmp_path / "proxy.sock"))
    try:
        c = Client(proxy.path)
        direct = pzd.client()
        direct.create_study("once", SPACE)
        # ask: the first reply is lost; the resent ask (same worker) gets
        # the same trial instead of a second one.
        proxy.armed = "trial.ask"
        t = c.ask("once", worker="w")["trial"]
        assert direct.get_study("once")["counts"]["total"] == 1
        # tell: recorded by the first copy; the resent one is answered
        # with the trial, not with "already finished".
        proxy.armed = "trial.tell"
        done = c.tell(t, "ok", loss=0.25)
        assert done["state"] == "ok" and done["loss"] == 0.25
        # release likewise.
        t = c.ask("once", worker="w")["trial"]
        proxy.armed = "trial.release"
        assert c.release(t)["state"] == "queued"
        assert direct.get_trial(t["id"])["attempt"] == 1
    finally:
        proxy.close()


def test_fork_gets_its_own_connection(pzd):
    c = pzd.client()
    c.server_info()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            ok = c.server_info()["name"] == "parzend"
            os.write(w, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(r, 1) == b"1"
    assert c.server_info()["name"] == "parzend"  # the parent's still works
