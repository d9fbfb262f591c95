#!/usr/bin/python3
"""trial.report through a real parzend, and a study with a million reports
loaded back; writes the "pruning-daemon" section of bench/RESULTS.md.

usage: /usr/bin/python3 bench/pruning/report_daemon.py [BUILD_DIR]
           [--seconds T] [--trials N] [--steps S] [--tmpdir DIR]

1. Report rate. For durability full and normal, a fresh parzend (socket
   and database on disk, under BUILD_DIR unless --tmpdir says otherwise)
   holds a random-search study with a median pruner (Optuna's defaults)
   and 200 finished trials of 20 reports each. Then 1, 4 and 16 worker
   processes run for T seconds what a training worker does: ask a trial,
   report steps 0..19 (one request at a time, each waiting for its reply,
   so after its commit; values that keep the trial going, so every report
   is judged against the 200 others at its step), tell it ok, again. The
   rate counts reports; the latency is one report's round trip.
2. Loading. A study of N trials (default 10,000) x S reports (100) is
   written straight into a stopped parzend's database (SQLite, one
   transaction), plus one running trial; parzend is started and the first
   request that needs the study (trial.get) is timed: the trials and
   reports are read back (in chunks, on the loop), the history and the
   reports store built (off the loop). Then a report of the running trial
   at step S - 1 is judged against the N others (median), and VmRSS is
   read before and after the load.

Numbers from a loaded machine vary: the section gives medians of what was
measured, once. Standard library only; never fails on time.
"""
import argparse
import datetime
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from daemon import Daemon  # noqa: E402
from results import machine, markers, write_section  # noqa: E402

SPACE = {"x": {"$hp": "uniform", "label": "x", "low": 0, "high": 1}}
STEPS_PER_TRIAL = 20

# One worker: ask, report steps 0..19, tell, for `seconds`; prints
# {"reports": n, "lat": [seconds, ...]}.
WORKER = r"""
import json, socket, sys, time
path, study, seconds, name = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
s = socket.socket(socket.AF_UNIX); s.connect(path)
f = s.makefile("rb")
n = [0]
def call(method, **params):
    n[0] += 1
    s.sendall((json.dumps({"jsonrpc": "2.0", "id": n[0], "method": method,
                           "params": params}) + "\n").encode())
    r = json.loads(f.readline())
    if "error" in r:
        raise SystemExit("%s: %s" % (method, r["error"]))
    return r["result"]
lat = []
end = time.monotonic() + seconds
while time.monotonic() < end:
    t = call("trial.ask", study=study, worker=name)["trial"]
    for step in range(STEPS):
        t0 = time.perf_counter()
        r = call("trial.report", trial=t["id"], attempt=t["attempt"],
                 step=step, value=-1.0 - 0.001 * step)
        lat.append(time.perf_counter() - t0)
        if r["prune"]:
            raise SystemExit("pruned: " + r["reason"])
    call("trial.tell", trial=t["id"], attempt=t["attempt"], status="ok",
         loss=0.001)
print(json.dumps({"reports": len(lat), "lat": lat}))
""".replace("STEPS", str(STEPS_PER_TRIAL))


def log(msg):
    print("report_daemon: " + msg, file=sys.stderr, flush=True)


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.f = self.s.makefile("rb")
        self.n = 0

    def call(self, method, **params):
        self.n += 1
        self.s.sendall((json.dumps({"jsonrpc": "2.0", "id": self.n,
                                    "method": method, "params": params})
                        + "\n").encode())
        r = json.loads(self.f.readline())
        if "error" in r:
            raise RuntimeError("%s: %s" % (method, r["error"]))
        return r["result"]

    def pipeline(self, calls):
        lines = []
        for method, params in calls:
            self.n += 1
            lines.append(json.dumps({"jsonrpc": "2.0", "id": self.n,
                                     "method": method, "params": params}))
        self.s.sendall(("\n".join(lines) + "\n").encode())
        out = []
        for _ in calls:
            r = json.loads(self.f.readline())
            if "error" in r:
                raise RuntimeError(str(r["error"]))
            out.append(r["result"])
        return out

    def close(self):
        self.s.close()


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return (xs[n // 2] + xs[(n - 1) // 2]) / 2 if n else float("nan")


def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def fill(conn, study, n_trials):
    """n finished trials of STEPS_PER_TRIAL reports each, pipelined."""
    for k in range(n_trials):
        t = conn.call("trial.ask", study=study, worker="fill")["trial"]
        calls = [("trial.report", {"trial": t["id"], "attempt": 0,
                                   "step": s, "value": 1.0 / (s + 1) - k
                                   * 1e-6})
                 for s in range(STEPS_PER_TRIAL)]
        calls.append(("trial.tell", {"trial": t["id"], "attempt": 0,
                                     "status": "ok", "loss": 0.5}))
        conn.pipeline(calls)


def report_rate(binary, tmp, seconds):
    rows = []
    for durability in ("full", "normal"):
        for workers in (1, 4, 16):
            wd = tempfile.mkdtemp(prefix="rate-", dir=tmp)
            d = Daemon(binary, wd, durability).start()
            c = Conn(d.socket)
            c.call("study.create", name="r", space=SPACE, algo="random",
                   seed=1, pruner={"kind": "median"})
            fill(c, "r", 200)
            c.close()
            procs = [subprocess.Popen(
                [sys.executable, "-c", WORKER, d.socket, "r", str(seconds),
                 "w%d" % i], stdout=subprocess.PIPE, text=True)
                for i in range(workers)]
            lat, n = [], 0
            for p in procs:
                out, _ = p.communicate(timeout=seconds + 120)
                if p.returncode != 0:
                    raise RuntimeError("a worker failed")
                r = json.loads(out)
                n += r["reports"]
                lat += r["lat"]
            d.stop()
            shutil.rmtree(wd, ignore_errors=True)
            rows.append({"durability": durability, "workers": workers,
                         "reports": n, "rate": n / seconds,
                         "lat_p50": median(lat), "lat_p99":
                         quantile(lat, 0.99)})
            log("durability %s, %d workers: %.0f reports/s, p50 %.3f ms"
                % (durability, workers, n / seconds, median(lat) * 1e3))
    return rows


def load(binary, tmp, n_trials, steps):
    wd = tempfile.mkdtemp(prefix="load-", dir=tmp)
    d = Daemon(binary, wd, "normal").start()
    c = Conn(d.socket)
    c.call("study.create", name="big", space=SPACE, algo="random", seed=1,
           pruner={"kind": "median"})
    c.close()
    d.stop()
    rng = random.Random(7)
    db = sqlite3.connect(d.db)
    study_id = db.execute("SELECT id FROM study WHERE name = 'big'"
                          ).fetchone()[0]
    t0 = time.monotonic()
    with db:
        for k in range(n_trials + 1):
            running = k == n_trials
            cur = db.execute(
                "INSERT INTO trial (study_id, number, state, params, loss, "
                "created, started, finished) VALUES (?, ?, ?, ?, ?, 1, 1, "
                "?)", (study_id, k, "running" if running else "ok",
                       json.dumps({"x": rng.random()}),
                       None if running else rng.random(),
                       None if running else 2.0))
            if running:
                running_id = cur.lastrowid
                continue
            a = rng.uniform(0.5, 2.0)
            db.executemany(
                "INSERT INTO report (trial_id, step, value) VALUES "
                "(?, ?, ?)", ((cur.lastrowid, s, a / (s + 1))
                              for s in range(steps)))
    db.close()
    log("wrote %d trials x %d reports in %.1f s"
        % (n_trials, steps, time.monotonic() - t0))
    db_bytes = sum(os.path.getsize(os.path.join(wd, f))
                   for f in os.listdir(wd) if f.startswith("parzen.db"))
    d.start()
    rss0 = d.rss_kib()
    c = Conn(d.socket)
    t0 = time.perf_counter()
    c.call("trial.get", trial=running_id)
    load_s = time.perf_counter() - t0
    rss1 = d.rss_kib()
    lat = []
    for s in range(steps):
        t0 = time.perf_counter()
        r = c.call("trial.report", trial=running_id, attempt=0, step=s,
                   value=1e-6)
        lat.append(time.perf_counter() - t0)
        assert not r["prune"], r
    t0 = time.perf_counter()
    c.call("trial.list", study="big", limit=1000, intermediate=True)
    list_s = time.perf_counter() - t0
    c.close()
    d.stop()
    shutil.rmtree(wd, ignore_errors=True)
    return {"trials": n_trials, "steps": steps, "load_s": load_s,
            "rss0_kib": rss0, "rss1_kib": rss1, "db_bytes": db_bytes,
            "report_p50": median(lat), "report_max": max(lat),
            "list_s": list_s}


def section(args, rows, ld):
    begin, end = markers("pruning-daemon")
    out = [begin, "### trial.report in parzend", ""]
    out.append(
        "A worker's reports through the real daemon (bench/pruning/"
        "report_daemon.py): each report is stored, committed and judged by "
        "a median pruner (Optuna's defaults) against the 200 finished "
        "trials that reported at its step, one request at a time per "
        "worker (a worker training an epoch between reports sends far "
        "fewer). Workers are processes that ask a trial, report 20 steps "
        "and tell it, for %g s per row; latency is one report's round "
        "trip. Then a study of %d trials x %d reports (%d reports) written "
        "into the database of a stopped parzend is loaded by the first "
        "request that needs it." % (args.seconds, ld["trials"], ld["steps"],
                                    ld["trials"] * ld["steps"]))
    out.append("")
    out.append("- Command: `/usr/bin/python3 bench/pruning/report_daemon.py"
               " %s --seconds %g`" % (args.build, args.seconds))
    out.append("- Date: %s" % datetime.datetime.now(datetime.timezone.utc)
               .strftime("%Y-%m-%d %H:%M UTC"))
    out.append("- Machine: %s; database on %s (a shared machine: read the "
               "order of magnitude)" % (machine(), args.tmpdir))
    out.append("")
    out.append("| durability | workers | reports/s | latency p50 | "
               "latency p99 |")
    out.append("|---|---|---|---|---|")
    for r in rows:
        out.append("| %s | %d | %.0f | %.2f ms | %.2f ms |"
                   % (r["durability"], r["workers"], r["rate"],
                      r["lat_p50"] * 1e3, r["lat_p99"] * 1e3))
    out.append("")
    out.append(
        "Loading %d reports of %d trials (database %.0f MB): the first "
        "request waited %.2f s; parzend's VmRSS went from %.1f MB to %.1f "
        "MB. Then each report of a trial judged against the %d others at "
        "its step took %.2f ms (median; max %.2f ms), and a trial.list page "
        "of 1,000 trials with their reports %.2f s."
        % (ld["trials"] * ld["steps"], ld["trials"], ld["db_bytes"] / 1e6,
           ld["load_s"], ld["rss0_kib"] / 1024.0, ld["rss1_kib"] / 1024.0,
           ld["trials"], ld["report_p50"] * 1e3, ld["report_max"] * 1e3,
           ld["list_s"]))
    out.append(end)
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--trials", type=int, default=10000)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--tmpdir", default=None)
    args = ap.parse_args()
    binary = os.path.join(args.build, "daemon", "parzend")
    args.tmpdir = os.path.abspath(args.tmpdir or args.build)
    tmp = tempfile.mkdtemp(prefix="report-daemon-", dir=args.tmpdir)
    try:
        rows = report_rate(binary, tmp, args.seconds)
        ld = load(binary, tmp, args.trials, args.steps)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    write_section("pruning-daemon", section(args, rows, ld))
    log("wrote the pruning-daemon section of bench/RESULTS.md")


if __name__ == "__main__":
    main()
