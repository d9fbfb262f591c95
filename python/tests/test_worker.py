"""parzen.worker: the ask -> run -> tell loop, heartbeats, signals, and a
daemon restarted under a running loop."""
import signal
import subprocess
import sys
import time

from conftest import result_line

from parzen import hp, worker
from parzen.client import Client

SPACE = {"x": hp.uniform("x", -2, 2), "opt": hp.choice("opt", [
    {"name": "sgd", "lr": hp.loguniform("lr", -7, 0)},
    {"name": "adam"}])}


def test_worker_runs_the_study(pzd):
    seen = []

    def fn(point):
        seen.append(point)
        if point["opt"]["name"] == "adam":
            return {"status": "ok", "loss": point["x"] ** 2, "note": "adam",
                    "curve": (1, 2.5, float("inf"))}
        if point["x"] > 1.5:
            raise RuntimeError("diverged at x=%g" % point["x"])
        return point["x"] ** 2 + point["opt"]["lr"]

    n = worker("w", fn, space=SPACE, algo="random", seed=3, max_trials=30,
               client=pzd.client())
    assert n == 30 and len(seen) == 30
    c = pzd.client()
    trials = list(c.iter_trials("w"))
    assert [t["state"] for t in trials].count("running") == 0
    for t, point in zip(trials, seen):
        assert t["point"] == point  # parzend's point = the local one
        if point["opt"]["name"] == "adam":
            assert t["state"] == "ok"
            assert t["result"]["note"] == "adam"
            assert t["result"]["curve"] == [1, 2.5, {"$float": "inf"}]
        elif point["x"] > 1.5:
            assert t["state"] == "fail"
            assert t["result"]["error"][0] == "RuntimeError"
            assert "diverged at" in t["result"]["traceback"]
            assert "Traceback (most recent call last)" in \
                t["result"]["traceback"]
        else:
            assert t["state"] == "ok" and t["result"] is None
            assert abs(t["loss"] - (point["x"] ** 2 + point["opt"]["lr"])) \
                < 1e-12
    # Nothing more to do: a second worker returns at once.
    assert worker("w", fn, client=pzd.client()) == 0


def test_worker_without_space_gets_parzends_point(pzd):
    c = pzd.client()
    c.create_study("doc", {"a": {"$hp": "uniform", "label": "a", "low": 0,
                                 "high": 1}, "k": 3}, max_trials=5)
    got = []
    assert worker("doc", lambda p: got.append(p) or p["a"],
                  client=pzd.client(), max_evals=3) == 3
    assert len(got) == 3 and all(p["k"] == 3 for p in got)
    # A space document works as the space too.
    doc = {"b": {"$hp": "randint", "label": "b", "high": 4}}
    got = []
    assert worker("doc2", lambda p: got.append(p) or p["b"], space=doc,
                  max_trials=4, client=pzd.client()) == 4
    assert all(p["b"] in range(4) for p in got)


def test_heartbeats_keep_a_long_trial(pzd):
    c = pzd.client()
    c.create_study("hb", {"$hp": "uniform", "label": "x", "low": 0,
                          "high": 1}, max_trials=1, heartbeat_timeout=1.5)
    # Without heartbeats a trial is reclaimed after its timeout...
    t = c.ask("hb", worker="silent")["trial"]
    end = time.monotonic() + 30
    while c.get_trial(t["id"])["state"] != "queued":
        assert time.monotonic() < end, "never reclaimed"
        time.sleep(0.1)
    # ... a worker's trial that lasts more than twice as long is not (it
    # heart-beats every third of the timeout).
    assert worker("hb", lambda x: time.sleep(4.0) or x,
                  client=pzd.client()) == 1
    t = c.get_trial(t["id"])
    assert t["state"] == "ok" and t["reclaims"] == 1 and t["attempt"] == 1


SLOW = r'''
import json, sys, time
from parzen import worker
ran = worker("slow", lambda x: time.sleep(60) or x)
print("RESULT " + json.dumps({"ran": ran}))
'''


def _wait_running(c, study, n=1, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if c.get_study(study)["counts"]["running"] >= n:
            return
        time.sleep(0.02)
    raise AssertionError("no running trial")


def test_signals_give_the_trial_back(pzd):
    c = pzd.client()
    c.create_study("slow", {"$hp": "uniform", "label": "x", "low": 0,
                            "high": 1}, max_trials=3)
    for signum in (signal.SIGTERM, signal.SIGINT):
        p = subprocess.Popen([sys.executable, "-c", SLOW], env=pzd.env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        _wait_running(c, "slow")
        time.sleep(0.2)  # well inside the objective
        t0 = time.monotonic()
        p.send_signal(signum)
        out, err = p.communicate(timeout=30)
        assert time.monotonic() - t0 < 10
        assert p.returncode == 0, err
        assert result_line(out) == {"ran": 0}
        s = c.get_study("slow")
        assert s["counts"]["running"] == 0
        assert s["counts"]["queued"] == 1
    t = c.list_trials("slow")["trials"][0]
    assert t["state"] == "queued" and t["attempt"] == 2


RESTARTED = r'''
import json, sys, time
from parzen import worker

log = []

def fn(point, trial):
    time.sleep(0.02)
    log.append([trial["number"], point["x"]])
    return point["x"] ** 2

ran = worker("restart", fn, pass_trial=True)
print("RESULT " + json.dumps({"ran": ran, "log": log}))
'''


def test_daemon_restart_under_a_worker_loses_nothing(durable_pzd):
    d = durable_pzd
    c = d.client()
    c.create_study("restart", {"x": {"$hp": "uniform", "label": "x",
                                     "low": -1, "high": 1}},
                   algo="random", max_trials=80)
    p = subprocess.Popen([sys.executable, "-c", RESTARTED], env=d.env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    done = lambda: c.get_study("restart")["counts"]["ok"]  # noqa: E731
    for how in ("term", "kill9", "kill9"):
        target = done() + 12
        while done() < target:
            assert p.poll() is None, p.communicate()
            time.sleep(0.01)
        if how == "term":
            d.stop()
        else:
            d.kill9()
        time.sleep(0.3)  # the worker finds no daemon for a while
        d.start()
        c = d.client()
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    r = result_line(out)
    assert "lost parzend" in err  # it noticed, and carried on
    trials = list(c.iter_trials("restart"))
    assert [t["state"] for t in trials] == ["ok"] * 80
    # Every trial ran exactly once and its result is the one recorded.
    assert r["ran"] == 80
    assert sorted(n for n, _ in r["log"]) == list(range(80))
    for n, x in r["log"]:
        assert trials[n]["params"]["x"] == x
        assert trials[n]["loss"] == x ** 2


def test_client_socket_from_environment(pzd, monkeypatch):
    monkeypatch.setenv("PARZEN_SOCKET", pzd.socket)
    assert Client().server_info()["pid"] == pzd.handle.pid



def test_release_orphans_only_releases_what_is_certainly_dead(pzd):
    # Issue 8, item 11: a worker in another pid namespace (a container)
    # or on another machine with the same host name and a pid that does
    # not exist here is alive as far as we know; only a process of this
    # boot and pid namespace that is gone (or whose pid was reused) is.
    import socket
    from parzen.worker import _machine, release_orphans, worker_name
    c = pzd.client()
    c.create_study("orph", {"x": {"$hp": "uniform", "label": "x", "low": 0,
                                  "high": 1}})
    host = socket.gethostname()
    here = _machine()
    assert here is not None and worker_name().endswith(":" + here)
    gone = 4194304 + 7  # above pid_max: no such process
    me = worker_name().split(":")
    names = {
        "dead here": "py:%s:%d:12345:%s" % (host, gone, here),
        "pid reused": "py:%s:%s:1:%s" % (host, me[2], here),
        "other namespace": "py:%s:%d:12345:%sx" % (host, gone, here[:-1]),
        "other machine": "py:%s:%d:12345:b0000000000000000n%s"
                         % (host, gone, here.split("n")[1]),
        "other host": "py:elsewhere:%d:12345:%s" % (gone, here),
        "old style": "py:%s:%d:12345" % (host, gone),
        "alive": worker_name(),
        "not python": "gpu0",
    }
    held = {}
    for why, name in names.items():
        held[why] = c.ask("orph", worker=name)["trial"]
    assert release_orphans(c, "orph") == 2
    states = {why: c.get_trial(t["id"])["state"] for why, t in held.items()}
    assert states == {"dead here": "queued", "pid reused": "queued",
                      "other namespace": "running",
                      "other machine": "running", "other host": "running",
                      "old style": "running", "alive": "running",
                      "not python": "running"}
