#!/usr/bin/python3
"""The crash soak: 8 workers tune a TPE study while parzend and the
workers are killed (-9) and frozen (SIGSTOP/SIGCONT) at random moments;
then an audit.

usage: /usr/bin/python3 tests/soak/soak.py [BUILD_DIR] [--kills N]
           [--workers 8] [--seed S] [--keep DIR]

Events, spread evenly over the search's progress: N kill -9 of parzend
(restarted at once), N/2 freezes of parzend for 0.2 to 2 s (longer than
the study's 1 s heartbeat timeout), N/2 freezes of a worker for 0.3 to
2.5 s (its trial is reclaimed and handed to another), N/4 kill -9 of a
worker (restarted under the same name: it asks for its own trial again).
Each worker appends every tell parzend acknowledged to a log it fsyncs
before its next request.

The audit, on the database after a clean stop:
  - trial numbers are 0..T-1, every trial is ok: none left running or
    queued, none lost;
  - every acknowledged tell in the workers' logs is stored, by id, with
    its number and exactly its loss; no trial was acknowledged twice;
  - every stored loss is the objective of the stored params;
  - the study's next suggestion equals that of a daemon that never ran
    it: its history imported (study.import) into a fresh parzend.
The last line prints the figures. Exit status 0 when the audit passes.
Not part of the default test run (it takes a few minutes); see README.
"""
import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "python"))

from daemon import Daemon  # noqa: E402

sys.path.insert(0, HERE)
from worker import objective  # noqa: E402

SPACE = {
    "x": {"$hp": "uniform", "label": "x", "low": -1, "high": 1},
    "lr": {"$hp": "loguniform", "label": "lr", "low": -9, "high": -1},
    "opt": {"$hp": "choice", "label": "opt", "options": [
        {"units": {"$hp": "quniform", "label": "units", "low": 16,
                   "high": 256, "q": 16}},
        "sgd"]},
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Workers:
    def __init__(self, daemon, study, n, logdir, cap):
        self.daemon, self.study, self.logdir = daemon, study, logdir
        self.cap = cap
        self.procs = {}
        self.env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
        for i in range(n):
            self.start("w%d" % i)

    def log_path(self, name):
        return os.path.join(self.logdir, name + ".log")

    def start(self, name):
        self.procs[name] = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "worker.py"),
             self.daemon.socket, self.study, name, self.log_path(name),
             str(self.cap)], env=self.env)

    def progress(self):
        n = 0
        for name in self.procs:
            try:
                with open(self.log_path(name)) as f:
                    n += sum(1 for _ in f)
            except FileNotFoundError:
                pass
        return n

    def any(self, rng):
        return rng.choice(sorted(self.procs))

    def wait(self, timeout):
        end = time.monotonic() + timeout
        for name, p in self.procs.items():
            rc = p.wait(max(1.0, end - time.monotonic()))
            if rc != 0:
                raise SystemExit("soak: worker %s exited with %d" % (name, rc))


def read_logs(workers):
    acked = {}
    for name in workers.procs:
        with open(workers.log_path(name)) as f:
            for line in f:
                tid, number, attempt, loss = line.split()
                tid = int(tid)
                if tid in acked:
                    raise SystemExit("soak: trial %d acknowledged twice "
                                     "(%s and %s)" % (tid, acked[tid][0],
                                                      name))
                acked[tid] = (name, int(number), int(attempt), float(loss))
    return acked


def audit(db_path, study, n_trials, acked):
    """Problems found (sentences), acknowledged tells lost, and trials
    not ok among the first n_trials (the audit asked one more)."""
    db = sqlite3.connect(db_path)
    sid = db.execute("SELECT id FROM study WHERE name = ?",
                     (study,)).fetchone()[0]
    rows = db.execute("SELECT id, number, state, loss, params FROM trial "
                      "WHERE study_id = ? ORDER BY number",
                      (sid,)).fetchall()
    db.close()
    problems = []
    if [r[1] for r in rows] != list(range(n_trials + 1)):
        problems.append("numbers are not 0..%d" % n_trials)
    rows = rows[:n_trials]
    states = {}
    for r in rows:
        states[r[2]] = states.get(r[2], 0) + 1
    not_ok = n_trials - states.get("ok", 0)
    if not_ok:
        problems.append("states %s" % states)
    by_id = {r[0]: r for r in rows}
    lost = 0
    for tid, (name, number, _, loss) in acked.items():
        r = by_id.get(tid)
        if r is None or r[1] != number or r[2] != "ok" or r[3] != loss:
            lost += 1
            if lost < 5:
                problems.append("acknowledged tell of trial %d by %s "
                                "(number %d, loss %r) stored as %r"
                                % (tid, name, number, loss, r))
    wrong = sum(1 for r in rows
                if r[2] == "ok" and r[3] != objective(json.loads(r[4])))
    if wrong:
        problems.append("%d losses differ from the objective" % wrong)
    return problems, lost, not_ok


def next_params(sock, study):
    from parzen.client import Client
    c = Client(sock, retry_timeout=60)
    t = c.ask(study, worker="audit")["trial"]
    c.close()
    return t["number"], t["params"]


def replay(build, workdir, sock, study):
    """The history, imported into a daemon that never ran the study."""
    from parzen.client import Client
    c = Client(sock, retry_timeout=60)
    s = c.get_study(study)
    trials = list(c.iter_trials(study))
    c.close()
    os.makedirs(os.path.join(workdir, "replay"), exist_ok=True)
    d = Daemon(os.path.join(workdir, "replay")).start()
    try:
        r = Client(d.socket, retry_timeout=60)
        r.import_study(trials, name=study, space=s["space"], algo=s["algo"],
                       seed=s["seed"], config=s["config"],
                       heartbeat_timeout=s["heartbeat_timeout"])
        r.close()
        return next_params(d.socket, study)
    finally:
        d.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
    ap.add_argument("--kills", type=int, default=100)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", default=None,
                    help="work in DIR and keep it (default: a temp dir)")
    args = ap.parse_args()
    os.environ["PARZEND"] = os.path.join(args.build, "daemon", "parzend")
    import daemon as daemon_module
    daemon_module.PARZEND = os.environ["PARZEND"]
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    events = (["kill9"] * args.kills + ["freeze"] * (args.kills // 2) +
              ["freeze_worker"] * (args.kills // 2) +
              ["kill_worker"] * (args.kills // 4))
    rng.shuffle(events)
    n_trials = max(2000, 30 * len(events))
    workdir = args.keep or tempfile.mkdtemp(prefix="parzen-soak-")
    os.makedirs(os.path.join(workdir, "d"), exist_ok=True)
    log("soak: seed %d, %d events over %d trials, in %s"
        % (seed, len(events), n_trials, workdir))
    d = Daemon(os.path.join(workdir, "d")).start()
    from parzen.client import Client
    c = Client(d.socket, retry_timeout=60)
    c.create_study("soak", SPACE, algo="tpe", seed=seed,
                   config={"n_startup": 20}, heartbeat_timeout=1.0)
    c.close()
    w = Workers(d, "soak", args.workers, workdir, n_trials)
    done = {k: 0 for k in ("kill9", "freeze", "freeze_worker",
                           "kill_worker")}
    start = time.monotonic()
    for i, ev in enumerate(events):
        target = (i + 1) * n_trials // (len(events) + 1)
        while w.progress() < target:
            for name, p in w.procs.items():
                if p.poll() not in (None, 0):
                    raise SystemExit("soak: worker %s died (%s)"
                                     % (name, p.returncode))
            time.sleep(0.01)
        if ev == "kill9":
            d.kill9()
            time.sleep(rng.uniform(0, 0.1))
            d.start()
        elif ev == "freeze":
            os.kill(d.proc.pid, signal.SIGSTOP)
            time.sleep(rng.uniform(0.2, 2.0))
            os.kill(d.proc.pid, signal.SIGCONT)
        elif ev == "freeze_worker":
            p = w.procs[w.any(rng)]
            os.kill(p.pid, signal.SIGSTOP)
            time.sleep(rng.uniform(0.3, 2.5))
            os.kill(p.pid, signal.SIGCONT)
        else:
            name = w.any(rng)
            w.procs[name].kill()
            w.procs[name].wait()
            w.start(name)
        done[ev] += 1
    w.wait(600)
    chaos = time.monotonic() - start
    acked = read_logs(w)
    # The next suggestion, from the study as the chaos left it, and from
    # its history in a daemon that never ran it.
    number, params = next_params(d.socket, "soak")
    r_number, r_params = replay(args.build, workdir, d.socket, "soak")
    if d.stop() != 0:
        raise SystemExit("soak: parzend did not stop cleanly:\n"
                         + d.read_log())
    problems, lost, not_ok = audit(d.db, "soak", n_trials, acked)
    if (number, params) != (r_number, r_params):
        problems.append("next suggestion differs: %r vs %r (never killed)"
                        % ((number, params), (r_number, r_params)))
    for p in problems:
        log("soak: FAIL: " + p)
    print("soak: %d kill -9 and %d freezes of parzend, %d freezes and %d "
          "kill -9 of workers over %.0f s; %d trials, %d acknowledged "
          "tells logged, %d lost, 0 acknowledged twice, %d not ok; "
          "next suggestion %s a never-killed daemon's"
          % (done["kill9"], done["freeze"], done["freeze_worker"],
             done["kill_worker"], chaos, n_trials, len(acked), lost,
             not_ok,
             "identical to" if (number, params) == (r_number, r_params)
             else "DIFFERENT from"))
    if not args.keep and not problems:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
