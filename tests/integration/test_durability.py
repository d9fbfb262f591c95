"""Durability: kill -9, SIGTERM, restarts, reclaim and heartbeats.

Workers here are real processes (worker.py) that talk to the daemon over
its socket, so a killed worker or daemon behaves as it would in a lab: the
kernel closes its sockets, and nothing is shared in memory. Waiting is
done on events (a line from a worker, a log reaching a size, a trial
changing state), never on a fixed sleep; the heartbeat tests poll a
trial's state with a deadline because a timeout is what they test.
"""
import json
import os
import queue
import random
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from daemon import Daemon, RPCError
from worker import objective

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "worker.py")
WRONG_STATE = -32003

SPACE = {
    "x": {"$hp": "uniform", "label": "x", "low": -5, "high": 5},
    "lr": {"$hp": "loguniform", "label": "lr", "low": -9.2, "high": -2.3},
    "units": {"$hp": "quniform", "label": "units", "low": 16, "high": 256,
              "q": 16},
    "optimizer": {"$hp": "choice", "label": "opt", "options": [
        {"name": "adam"},
        {"name": "sgd",
         "momentum": {"$hp": "uniform", "label": "mom", "low": 0.5,
                      "high": 0.99}},
    ]},
    "epochs": 30,
}


class WorkerProc:
    """worker.py in a child process; its stdout lines arrive on a queue
    (a reader thread), so waiting for one has a timeout."""

    def __init__(self, daemon, mode, study, name, *args):
        cmd = [sys.executable, WORKER, mode, "--socket", daemon.socket,
               "--study", study, "--worker", name] + list(args)
        self.name = name
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True,
                                     bufsize=1)
        self.lines = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def line(self, timeout=30.0):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("worker %s said nothing for %.0f s"
                                 % (self.name, timeout))
        assert line is not None, "worker %s exited with %s" % (
            self.name, self.proc.wait())
        return line

    def expect(self, prefix, timeout=30.0):
        line = self.line(timeout)
        assert line.startswith(prefix), (self.name, line)
        return line[len(prefix):].strip()

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def wait(self, timeout=60.0):
        return self.proc.wait(timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


@pytest.fixture
def spawn():
    """Start WorkerProcs; any left running are killed after the test."""
    procs = []

    def start(*args):
        w = WorkerProc(*args)
        procs.append(w)
        return w

    yield start
    for w in procs:
        w.kill()
        w.proc.stdin.close()


def fresh_daemon(path):
    path.mkdir()
    return Daemon(path).start()


def finish(daemon):
    """SIGTERM a daemon that a test started itself; it must exit 0."""
    if daemon.proc.poll() is None:
        assert daemon.stop() == 0, daemon.read_log()


def wait_trial(conn, trial_id, pred, timeout=10.0, poll=0.05):
    """Poll trial.get until pred(trial) holds; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        t = conn.call("trial.get", trial=trial_id)["trial"]
        if pred(t):
            return t
        assert time.monotonic() < deadline, t
        time.sleep(poll)


def read_logs(paths):
    """{trial id: (worker index, number, loss, acked)} from worker logs;
    fails on a trial logged twice (two workers, or one worker twice)."""
    seen = {}
    for i, path in enumerate(paths):
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for line in f:
                parts = line.split()
                acked = parts[0] != "dup"
                if not acked:
                    parts = parts[1:]
                tid, number, loss = int(parts[0]), int(parts[1]), \
                    float(parts[2])
                assert tid not in seen, ("trial told twice", tid,
                                         seen[tid], i)
                seen[tid] = (i, number, loss, acked)
    return seen


def count_lines(paths):
    n = 0
    for path in paths:
        try:
            with open(path, "rb") as f:
                n += f.read().count(b"\n")
        except FileNotFoundError:
            pass
    return n


def wait_progress(paths, n, workers, timeout=60.0):
    """Wait until the workers' logs hold n tells in all."""
    deadline = time.monotonic() + timeout
    while count_lines(paths) < n:
        for w in workers:
            assert w.proc.poll() is None, "worker %s exited early" % w.name
        assert time.monotonic() < deadline, "no progress to %d tells" % n
        time.sleep(0.005)


def db_trials(db_path, study):
    db = sqlite3.connect(db_path)
    try:
        return db.execute(
            "SELECT t.id, t.number, t.state, t.loss, t.params, t.worker "
            "FROM trial t JOIN study s ON s.id = t.study_id "
            "WHERE s.name = ? ORDER BY t.number", (study,)).fetchall()
    finally:
        db.close()


# --- 1. exact resume across kill -9 ------------------------------------------


def run_tpe_study(daemon, spawn, kill_after):
    """60 TPE trials with one worker; kill -9 and restart the daemon after
    the trials numbered in kill_after are told. Returns trial.list."""
    c = daemon.connect()
    c.call("study.create", name="resume", space=SPACE, algo="tpe",
           seed=20240611, max_trials=60)
    c.close()
    w = spawn(daemon, "loop", "resume", "w0", "--reconnect",
              "--pause-after", ",".join(map(str, kill_after)))
    for n in kill_after:
        assert w.expect("told") == str(n)
        daemon.kill9()
        daemon.start()
        w.send("go")
    done = json.loads(w.expect("done", timeout=60))
    assert w.wait() == 0
    assert done["told"] == 60
    assert done["reconnects"] == len(kill_after)
    c = daemon.connect()
    listed = c.call("trial.list", study="resume", limit=1000)
    c.close()
    assert listed["total"] == 60
    return listed["trials"]


def test_exact_resume_after_kill9(tmp_path, spawn):
    straight = fresh_daemon(tmp_path / "straight")
    try:
        a = run_tpe_study(straight, spawn, [])
    finally:
        finish(straight)
    killed = fresh_daemon(tmp_path / "killed")
    try:
        b = run_tpe_study(killed, spawn, [10, 25, 40])
    finally:
        finish(killed)
    assert [t["number"] for t in a] == list(range(60))
    assert [t["number"] for t in b] == list(range(60))
    for ta, tb in zip(a, b):
        assert ta["params"] == tb["params"], (ta["number"], ta["params"],
                                              tb["params"])
        assert ta["state"] == tb["state"] == "ok"
        assert ta["loss"] == tb["loss"] == objective(ta["params"])
        assert tb["attempt"] == 0 and tb["reclaims"] == 0
    # The nested label is really conditional (both branches were taken).
    assert {("mom" in t["params"]) for t in a} == {True, False}
    assert all(("mom" in t["params"]) == (t["params"]["opt"] == 1)
               for t in a)


# --- 2. crash storm ----------------------------------------------------------


def test_crash_storm(tmp_path, spawn):
    seed = int(os.environ.get("PARZEN_STORM_SEED", random.randrange(1 << 30)))
    print("PARZEN_STORM_SEED=%d" % seed)
    rng = random.Random(seed)
    n_trials, n_workers = 2000, 8
    daemon = fresh_daemon(tmp_path / "d")
    try:
        c = daemon.connect()
        # A long heartbeat timeout: no trial may come back by reclaim, so
        # an orphaned trial (an ask whose reply was lost and that the
        # worker's retry did not get back) leaves the study undrained.
        c.call("study.create", name="storm", space=SPACE, algo="tpe",
               seed=seed, max_trials=n_trials, heartbeat_timeout=3600)
        c.close()
        logs = [str(tmp_path / ("w%d.log" % i)) for i in range(n_workers)]
        workers = [spawn(daemon, "loop", "storm", "w%d" % i,
                         "--reconnect", "--log", logs[i],
                         *(["--pipeline"] if i % 2 else []))
                   for i in range(n_workers)]
        for at in sorted(rng.sample(range(150, 1750), 3)):
            wait_progress(logs, at, workers)
            time.sleep(rng.uniform(0, 0.02))
            daemon.kill9()
            daemon.start()
        done = [json.loads(w.expect("done", timeout=60)) for w in workers]
        assert [w.wait() for w in workers] == [0] * n_workers
        assert sum(d["reconnects"] for d in done) >= 3
        c = daemon.connect()
        counts = c.call("study.get", study="storm")["study"]["counts"]
        c.close()
        assert counts == {"queued": 0, "running": 0, "ok": n_trials,
                          "fail": 0, "pruned": 0, "total": n_trials}
        assert daemon.stop() == 0, daemon.read_log()
    finally:
        finish(daemon)

    rows = db_trials(daemon.db, "storm")
    assert [r[1] for r in rows] == list(range(n_trials))
    assert len({r[0] for r in rows}) == n_trials
    assert {r[2] for r in rows} == {"ok"}
    by_id = {r[0]: r for r in rows}
    for r in rows:
        assert r[3] == objective(json.loads(r[4])), r
    told = read_logs(logs)
    # Every trial was told by exactly one worker (the one it was handed
    # to), and every acknowledged tell is stored with exactly its loss.
    assert set(told) == set(by_id)
    for tid, (wi, number, loss, acked) in told.items():
        r = by_id[tid]
        assert (r[1], r[2], r[3], r[5]) == (number, "ok", loss, "w%d" % wi)
    assert sum(acked for *_, acked in told.values()) >= n_trials - 3 * 8


# --- 3. reclaim, retried asks, release ---------------------------------------


def test_reclaim_after_worker_killed(daemon, spawn):
    c = daemon.connect()
    c.call("study.create", name="rc", space=SPACE, algo="random", seed=1,
           heartbeat_timeout=1)
    a = spawn(daemon, "hold", "rc", "A")
    ta = json.loads(a.line())
    assert ta["state"] == "running" and ta["attempt"] == 0
    a.kill()
    t = wait_trial(c, ta["id"], lambda t: t["state"] != "running")
    assert time.time() - ta["started"] >= 1.0  # not before its deadline
    assert t["state"] == "queued"
    assert (t["attempt"], t["reclaims"], t["worker"]) == (1, 1, None)

    tb = c.call("trial.ask", study="rc", worker="B")["trial"]
    assert tb["id"] == ta["id"] and tb["number"] == ta["number"]
    assert tb["params"] == ta["params"] and tb["point"] == ta["point"]
    assert (tb["state"], tb["attempt"], tb["reclaims"], tb["worker"]) == \
        ("running", 1, 1, "B")

    # A's late result (attempt 0) must not overwrite B's run.
    with pytest.raises(RPCError) as e:
        c.call("trial.tell", trial=ta["id"], status="ok", loss=123.0,
               attempt=0)
    assert e.value.code == WRONG_STATE
    t = c.call("trial.get", trial=ta["id"])["trial"]
    assert (t["state"], t["loss"], t["worker"]) == ("running", None, "B")

    done = c.call("trial.tell", trial=tb["id"], status="ok", loss=0.5,
                  attempt=1)["trial"]
    assert (done["state"], done["loss"]) == ("ok", 0.5)
    t = c.call("trial.get", trial=ta["id"])["trial"]
    assert (t["state"], t["loss"], t["attempt"], t["reclaims"]) == \
        ("ok", 0.5, 1, 1)
    c.close()


def test_late_tell_accepted_while_still_queued(daemon, spawn):
    c = daemon.connect()
    c.call("study.create", name="late", space=SPACE, algo="random", seed=2,
           heartbeat_timeout=1)
    a = spawn(daemon, "hold", "late", "A")
    ta = json.loads(a.line())
    a.kill()
    wait_trial(c, ta["id"], lambda t: t["state"] == "queued")
    # Reclaimed but not handed out again: the late result is taken once.
    t = c.call("trial.tell", trial=ta["id"], status="ok", loss=2.0,
               attempt=0)["trial"]
    assert (t["state"], t["loss"]) == ("ok", 2.0)
    with pytest.raises(RPCError) as e:
        c.call("trial.tell", trial=ta["id"], status="ok", loss=3.0,
               attempt=0)
    assert e.value.code == WRONG_STATE
    counts = c.call("study.get", study="late")["study"]["counts"]
    assert (counts["queued"], counts["running"], counts["ok"]) == (0, 0, 1)
    # The next ask makes a new trial, not the told one.
    tn = c.call("trial.ask", study="late", worker="B")["trial"]
    assert tn["id"] != ta["id"] and tn["number"] == ta["number"] + 1
    c.close()


def test_same_worker_asks_twice_gets_same_trial(daemon):
    c = daemon.connect()
    c.call("study.create", name="twice", space=SPACE, algo="random", seed=3)
    t1 = c.call("trial.ask", study="twice", worker="gpu0")["trial"]
    # A retried ask after a lost reply comes on a new connection.
    c2 = daemon.connect()
    t2 = c2.call("trial.ask", study="twice", worker="gpu0")["trial"]
    assert (t2["id"], t2["params"], t2["attempt"]) == \
        (t1["id"], t1["params"], 0)
    other = c2.call("trial.ask", study="twice", worker="gpu1")["trial"]
    assert other["id"] != t1["id"]
    counts = c.call("study.get", study="twice")["study"]["counts"]
    assert (counts["total"], counts["running"]) == (2, 2)
    # Once told, the same name gets a new trial.
    c.call("trial.tell", trial=t1["id"], status="ok", loss=1.0)
    t3 = c.call("trial.ask", study="twice", worker="gpu0")["trial"]
    assert t3["id"] not in (t1["id"], other["id"])
    c.close()
    c2.close()


def test_release_requeues_at_once(daemon):
    c = daemon.connect()
    c.call("study.create", name="rel", space=SPACE, algo="random", seed=4)
    t = c.call("trial.ask", study="rel", worker="D")["trial"]
    c.call("trial.ask", study="rel", worker="X")  # a later trial, running
    r = c.call("trial.release", trial=t["id"], attempt=0)["trial"]
    assert (r["state"], r["attempt"], r["reclaims"], r["worker"]) == \
        ("queued", 1, 0, None)
    t2 = c.call("trial.ask", study="rel", worker="E")["trial"]
    assert (t2["id"], t2["params"], t2["state"], t2["attempt"],
            t2["worker"]) == (t["id"], t["params"], "running", 1, "E")
    with pytest.raises(RPCError) as e:
        c.call("trial.tell", trial=t["id"], status="ok", loss=1.0, attempt=0)
    assert e.value.code == WRONG_STATE
    t3 = c.call("trial.tell", trial=t["id"], status="ok", loss=1.5,
                attempt=1)["trial"]
    assert (t3["state"], t3["loss"]) == ("ok", 1.5)
    c.close()


# --- 4. heartbeats -----------------------------------------------------------


def test_heartbeats_keep_trial_running(daemon, spawn):
    c = daemon.connect()
    c.call("study.create", name="hb", space=SPACE, algo="random", seed=5,
           heartbeat_timeout=1)
    w = spawn(daemon, "hold", "hb", "H", "--heartbeat-every", "0.3",
              "--heartbeat-for", "3")
    th = json.loads(w.line())
    # A control trial nobody heart-beats: the timeout is live meanwhile.
    ctl = c.call("trial.ask", study="hb", worker="idle")["trial"]
    ctl_reclaimed = False
    while w.lines.empty():
        t = c.call("trial.get", trial=th["id"])["trial"]
        assert (t["state"], t["attempt"], t["reclaims"], t["worker"]) == \
            ("running", 0, 0, "H"), t
        ctl_reclaimed = ctl_reclaimed or \
            c.call("trial.get", trial=ctl["id"])["trial"]["reclaims"] == 1
        time.sleep(0.1)
    beats = int(w.expect("beats"))
    assert beats >= 8
    assert ctl_reclaimed
    w.send("tell")
    r = json.loads(w.line())
    assert r["result"]["trial"]["state"] == "ok", r
    assert r["result"]["trial"]["loss"] == objective(th["params"])
    c.close()


# --- 5. SIGTERM with requests in flight --------------------------------------


def test_sigterm_under_load(tmp_path, spawn):
    daemon = fresh_daemon(tmp_path / "d")
    try:
        c = daemon.connect()
        c.call("study.create", name="term", space=SPACE, algo="random",
               seed=6, heartbeat_timeout=3600)
        c.close()
        logs = [str(tmp_path / ("w%d.log" % i)) for i in range(4)]
        workers = [spawn(daemon, "loop", "term", "w%d" % i, "--log",
                         logs[i], *(["--pipeline"] if i % 2 else []))
                   for i in range(4)]
        wait_progress(logs, 300, workers)
        assert daemon.stop() == 0, daemon.read_log()
        assert not os.path.exists(daemon.socket)
        for w in workers:
            assert w.expect("disconnected") == ""
            assert w.wait() == 0
    finally:
        finish(daemon)

    told = read_logs(logs)
    assert len(told) >= 300
    assert not any(not acked for *_, acked in told.values())
    rows = db_trials(daemon.db, "term")
    assert [r[1] for r in rows] == list(range(len(rows)))
    ok = {r[0]: r for r in rows if r[2] == "ok"}
    assert {r[2] for r in rows} <= {"ok", "running"}
    # Every acknowledged tell is stored; and every stored result was
    # acknowledged: the replies of the last commit were flushed.
    assert set(told) == set(ok)
    for tid, (wi, number, loss, _) in told.items():
        assert (ok[tid][1], ok[tid][3], ok[tid][5]) == \
            (number, loss, "w%d" % wi)


# --- 6. trials survive a restart ---------------------------------------------


@pytest.mark.parametrize("how", ["sigterm", "kill9"])
def test_trial_survives_restart(daemon, spawn, how):
    c = daemon.connect()
    c.call("study.create", name="rs", space=SPACE, algo="random", seed=7)
    c.close()
    w = spawn(daemon, "hold", "rs", "R", "--reconnect")
    t = json.loads(w.line())
    if how == "sigterm":
        assert daemon.stop() == 0
    else:
        daemon.kill9()
    restarted = time.time()
    daemon.start()
    c = daemon.connect()
    held = c.call("trial.get", trial=t["id"])["trial"]
    assert (held["state"], held["worker"], held["attempt"], held["params"]) \
        == ("running", "R", 0, t["params"])
    # A fresh heartbeat deadline: the worker had no daemon to beat to.
    assert held["deadline"] >= restarted + 60
    w.send("tell")
    r = json.loads(w.line())
    assert r["reconnects"] == 1
    assert r["result"]["trial"]["id"] == t["id"]
    got = c.call("trial.get", trial=t["id"])["trial"]
    assert (got["state"], got["loss"], got["attempt"]) == \
        ("ok", objective(t["params"]), 0)
    c.close()
    w.send("exit")
    assert w.wait() == 0
