#!/usr/bin/python3
"""Run bench/throughput against fresh daemons and Optuna on sqlite:///,
and write the "throughput" section of bench/RESULTS.md.

usage: /usr/bin/python3 bench/throughput.py [BUILD_DIR] [--seconds T]
           [--optuna-seconds T] [--no-optuna] [--tmpdir DIR]
           [--parzend PATH]

For durability full and normal, start a fresh parzend on a socket and
database in a temporary directory (on disk: under BUILD_DIR unless
--tmpdir says otherwise, since a tmpfs makes fsync free), then for algo
random and tpe and 1, 4 and 16 workers run bench/throughput on a new
mixed10 study for a window of T seconds. A tpe study starts empty, so its
history grows during the window. Then:

- TPE with 10,000 trials of history (durability full): a tpe study is
  filled with 10,000 finished trials by `throughput --fill-prior` (prior
  draws enqueued, asked and told, so nothing is suggested while filling),
  then asks and tells are timed with 4 and 16 workers: every ask now runs
  TPE over >= 10,000 finished trials.
- Memory: a fresh daemon (durability normal) holds one random study
  filled with 100,000 finished trials by 16 workers; VmRSS and VmHWM from
  /proc/PID/status, and the size of the database files. The daemon is then
  restarted and the study loaded again (one ask + tell) to read VmRSS of
  a daemon that read the history back from SQLite.
- Optuna (bench/optuna_throughput.py, python3-optuna) with sqlite:///
  storage, RandomSampler and TPESampler, 1, 4 and 16 worker processes.

Raw JSON lines go to bench/out/throughput-parzen.json and
bench/out/throughput-optuna.json. The benchmark reports what it measured
and never fails on time. Standard library only.
"""
import argparse
import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

from daemon import Daemon
from results import HERE, machine, markers, write_section

PYTHON = "/usr/bin/python3"
ALGOS = ("random", "tpe")
WORKERS = (1, 4, 16)
DURABILITY = ("full", "normal")
SPACE = os.path.join(HERE, "spaces", "mixed10.json")
# ANCHORS.md, "Parallel workers on persistent storage" (not measured here).
OPTUNA_REF = {"random": "36 to 50", "tpe": "23 to 30"}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Runner:
    def __init__(self, binary, out):
        self.binary = binary
        self.out = out
        self.count = 0

    def run(self, daemon, study, workers, seconds=None, trials=None,
            algo=None, fill=False):
        """One bench/throughput run; with `algo`, on a new study. A daemon
        that died under it (something outside killed it) is started again
        on the same database and the run repeated once."""
        for attempt in (0, 1):
            self.count += 1
            name = "%s-%d" % (study, self.count)
            cmd = [self.binary, "--socket", daemon.socket, "--study",
                   name if algo else study, "--workers", str(workers)]
            cmd += ["--seconds", str(seconds)] if seconds else \
                ["--trials", str(trials)]
            if fill:
                cmd.append("--fill-prior")
            if algo:
                cmd += ["--create", "--algo", algo, "--space", SPACE]
            p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
            lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
            if p.returncode == 0 and lines:
                r = json.loads(lines[-1])
                self.out.write(lines[-1] + "\n")
                self.out.flush()
                log("  %s" % lines[-1])
                return r, name if algo else study
            if daemon.alive() or attempt == 1:
                # A partial result still counts; errors are in the line.
                if lines:
                    r = json.loads(lines[-1])
                    self.out.write(lines[-1] + "\n")
                    return r, name if algo else study
                return None, None
            log("  parzend died under the run (exit %s); restarting"
                % daemon.proc.returncode)
            daemon.start()
        return None, None


def commit_ms(workdir):
    """Cost of one small SQLite commit (synchronous=FULL) on this disk, in
    rollback-journal mode (Optuna's default) and in WAL mode (parzend's)."""
    res = {}
    for mode in ("delete", "wal"):
        path = os.path.join(workdir, "commit-%s.db" % mode)
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=%s" % mode)
        db.execute("PRAGMA synchronous=FULL")
        db.execute("CREATE TABLE t (x)")
        t0 = time.monotonic()
        for i in range(50):
            db.execute("BEGIN")
            db.execute("INSERT INTO t VALUES (?)", (i,))
            db.execute("COMMIT")
        res[mode] = (time.monotonic() - t0) / 50 * 1e3
        db.close()
    return res


def fs_type(path):
    best, kind = "", "?"
    with open("/proc/mounts") as f:
        for line in f:
            dev, mnt, typ = line.split()[:3]
            if (path + "/").startswith(mnt.rstrip("/") + "/") and \
                    len(mnt) >= len(best):
                best, kind = mnt, typ
    return kind


def optuna_run(workdir, algo, workers, seconds, out):
    db = os.path.join(workdir, "optuna-%s-%d.db" % (algo, workers))
    cmd = [PYTHON, os.path.join(HERE, "optuna_throughput.py"), "--db", db,
           "--sampler", algo, "--workers", str(workers),
           "--seconds", str(seconds)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if not lines:
        log("  optuna %s x%d failed (exit %d)" % (algo, workers,
                                                   p.returncode))
        return None
    out.write(lines[-1] + "\n")
    out.flush()
    log("  %s" % lines[-1])
    return json.loads(lines[-1])


def mib(kib):
    return "%.1f MiB" % (kib / 1024.0) if kib is not None else "?"


def ms(x, fmt="%.3f"):
    return fmt % x if isinstance(x, (int, float)) else "–"


def rate(x):
    if not isinstance(x, (int, float)):
        return "–"
    return "{:,.0f}".format(x) if x >= 100 else "%.1f" % x


def section(args, ctx):
    res, opt = ctx["parzen"], ctx["optuna"]
    begin, end = markers("throughput")
    head = res.get(("full", "random", 16))
    ohead = opt.get(("random", 16))
    w = [begin, "## Throughput with parallel workers", "",
         "N worker processes on one machine loop ask -> tell with a "
         "zero-cost objective on the mixed10 space "
         "(bench/spaces/mixed10.json), each against a fresh study, for a "
         "%g s window (parzen) and a %g s window (Optuna). parzen: "
         "bench/throughput (C client, one connection per worker process), "
         "daemon started fresh per durability mode on %s. Optuna: "
         "bench/optuna_throughput.py, `sqlite:///` storage on the same "
         "disk, worker processes via multiprocessing, ask = `study.ask()` + "
         "the `suggest_*` calls, tell = `study.tell()`. Latencies are per "
         "call as one worker sees them (ms); tpe studies start empty, so "
         "their history grows during the window."
         % (args.seconds, args.optuna_seconds, ctx["fs"]), "",
         "- Command: `/usr/bin/python3 bench/throughput.py %s`; one run "
         "is `%s/bench/throughput --socket S --study NAME --workers 16 "
         "--seconds %g --create --algo random --space "
         "bench/spaces/mixed10.json`"
         % (" ".join(ctx["argv"]), args.build, args.seconds),
         "- Date: " + ctx["date"],
         "- Machine: %s; load average at start %s (the machine is shared: "
         "other jobs ran during the benchmark)" % (machine(), ctx["load"]),
         "- Disk: one small SQLite commit with synchronous=FULL costs "
         "%.2f ms in rollback-journal mode (Optuna's default) and %.2f ms "
         "in WAL mode (parzend's) on this disk"
         % (ctx["commit"]["delete"], ctx["commit"]["wal"]),
         "- Optuna: %s" % ctx["optuna_version"], ""]
    if head:
        ratio = (head["trials_per_s"] / ohead["trials_per_s"]
                 if ohead and ohead["trials_per_s"] else None)
        w += ["**Headline, random, 16 workers, durability full: %s "
              "trials/s** (target >= 10,000: %s); Optuna sqlite same run: "
              "%s trials/s; ratio %s (target >= 200x: %s)."
              % (rate(head["trials_per_s"]),
                 "met" if head["trials_per_s"] >= 10000 else "missed",
                 rate(ohead["trials_per_s"]) if ohead else "not run",
                 "%.0fx" % ratio if ratio else "–",
                 ("met" if ratio >= 200 else "missed") if ratio
                 else "–"), ""]
    w += ["| algo | workers | durability | parzen trials/s | ask p50 | "
          "ask p99 | tell p50 | tell p99 | ask+tell p50 | Optuna trials/s "
          "| Optuna ask+tell p50 | parzen / Optuna |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for algo in ALGOS:
        for n in WORKERS:
            o = opt.get((algo, n))
            for dur in DURABILITY:
                r = res.get((dur, algo, n))
                if r is None:
                    continue
                ratio = (r["trials_per_s"] / o["trials_per_s"]
                         if o and o["trials_per_s"] else None)
                w.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s | "
                         "%s | %s | %s |" % (
                             algo, n, dur, rate(r["trials_per_s"]),
                             ms(r["ask_p50_ms"]), ms(r["ask_p99_ms"]),
                             ms(r["tell_p50_ms"]), ms(r["tell_p99_ms"]),
                             ms(r.get("ask_tell_p50_ms")),
                             rate(o["trials_per_s"]) if o else "not run",
                             ms(o["ask_tell_p50_ms"], "%.1f") if o else "–",
                             "%.0fx" % ratio if ratio else "–"))
    w += ["", "Optuna reference (ANCHORS.md, another machine of the same "
          "kind, 20 s windows): random %s trials/s, TPE %s trials/s, flat "
          "from 1 to 16 workers." % (OPTUNA_REF["random"], OPTUNA_REF["tpe"])]
    errs = sum(r.get("errors", 0) for r in res.values()) + \
        sum(o.get("errors", 0) or 0 for o in opt.values())
    if errs:
        w.append("Failed calls during the runs: %d (see the raw lines)."
                 % errs)
    w.append("")
    t10 = ctx["tpe10k"]
    if t10:
        fill = t10["fill"]
        w += ["**TPE with 10,000 trials of history** (durability full): "
              "filled with %s finished trials by `--fill-prior` in %.1f s "
              "(%s trials/s, 3 calls per trial), then:" % (
                  "{:,}".format(fill["trials"]), fill["seconds"],
                  rate(fill["trials_per_s"])), ""]
        w += ["| workers | history at start | trials/s | ask p50 | ask p99 "
              "| tell p50 | tell p99 | target >= 500/s |",
              "|---|---|---|---|---|---|---|---|"]
        for r in t10["runs"]:
            w.append("| %d | %s | %s | %s | %s | %s | %s | %s |" % (
                r["workers"], "{:,}".format(r["history_before"]),
                rate(r["trials_per_s"]), ms(r["ask_p50_ms"]),
                ms(r["ask_p99_ms"]), ms(r["tell_p50_ms"]),
                ms(r["tell_p99_ms"]),
                "met" if r["trials_per_s"] >= 500 else "missed"))
        w.append("")
    m = ctx["memory"]
    if m:
        w += ["**Memory** (durability normal): a daemon holding one random "
              "study with %s finished trials (filled by 16 workers at %s "
              "trials/s): VmRSS %s, VmHWM %s (target VmRSS <= 64 MiB: %s); "
              "empty daemon at start %s; after a restart and loading the "
              "study back from SQLite (one ask + tell): VmRSS %s. Database "
              "files: %.1f MiB (%.0f bytes per trial)." % (
                  "{:,}".format(m["trials"]), rate(m["fill_rate"]),
                  mib(m["rss"]), mib(m["hwm"]),
                  "met" if m["rss"] <= 64 * 1024 else "missed",
                  mib(m["rss_empty"]), mib(m["rss_reload"]),
                  m["db"] / 1048576.0, m["db"] / max(1, m["trials"])), ""]
    w += ["Raw lines: bench/out/throughput-parzen.json, "
          "bench/out/throughput-optuna.json.", end]
    return "\n".join(w) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--optuna-seconds", type=float, default=12.0)
    ap.add_argument("--no-optuna", action="store_true")
    ap.add_argument("--tmpdir", default=None)
    ap.add_argument("--parzend", default=None,
                    help="daemon binary (default BUILD/daemon/parzend)")
    args = ap.parse_args()
    binary = os.path.abspath(os.path.join(args.build, "bench", "throughput"))
    parzend = os.path.abspath(args.parzend or
                              os.path.join(args.build, "daemon", "parzend"))
    base = tempfile.mkdtemp(prefix="throughput-",
                            dir=args.tmpdir or os.path.abspath(args.build))
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    pout = open(os.path.join(HERE, "out", "throughput-parzen.json"), "w")
    oout = open(os.path.join(HERE, "out", "throughput-optuna.json"), "w")
    runner = Runner(binary, pout)
    ctx = {"argv": sys.argv[1:], "parzen": {}, "optuna": {}, "tpe10k": None,
           "memory": None, "fs": fs_type(base),
           "load": "%.2f" % os.getloadavg()[0],
           "date": datetime.datetime.now(datetime.timezone.utc)
           .strftime("%Y-%m-%d %H:%M UTC"),
           "optuna_version": "not run"}
    started = time.monotonic()
    try:
        ctx["commit"] = commit_ms(base)
        for dur in DURABILITY:
            d = Daemon(parzend, tempfile.mkdtemp(dir=base), dur).start()
            log("parzend durability=%s (pid %d)" % (dur, d.proc.pid))
            try:
                for algo in ALGOS:
                    for n in WORKERS:
                        r, _ = runner.run(d, "%s-%s-%d" % (algo, dur, n), n,
                                          seconds=args.seconds, algo=algo)
                        if r:
                            ctx["parzen"][(dur, algo, n)] = r
                if dur == "full":
                    log("TPE with 10,000 trials of history")
                    fill, name = runner.run(d, "tpe10k", 16, trials=10000,
                                            algo="tpe", fill=True)
                    runs = []
                    for n in (4, 16):
                        r, _ = runner.run(d, name, n, seconds=args.seconds)
                        if r:
                            runs.append(r)
                    if fill:
                        ctx["tpe10k"] = {"fill": fill, "runs": runs}
            finally:
                d.stop()
        log("memory: 100,000 trials, durability normal")
        d = Daemon(parzend, tempfile.mkdtemp(dir=base), "normal").start()
        try:
            rss_empty = d.status("VmRSS")
            fill, name = runner.run(d, "mem100k", 16, trials=100000,
                                    algo="random")
            if fill:
                m = {"trials": fill["trials"], "fill_rate":
                     fill["trials_per_s"], "rss": d.status("VmRSS"),
                     "hwm": d.status("VmHWM"), "rss_empty": rss_empty}
                d.stop()
                m["db"] = d.db_bytes()
                d.start()
                runner.run(d, name, 1, trials=1)
                m["rss_reload"] = d.status("VmRSS")
                ctx["memory"] = m
        finally:
            d.stop()
        if not args.no_optuna:
            ctx["optuna_version"] = subprocess.run(
                [PYTHON, "-c", "import optuna; print(optuna.__version__)"],
                stdout=subprocess.PIPE, text=True).stdout.strip() or "?"
            log("Optuna %s, sqlite:///" % ctx["optuna_version"])
            for algo in ALGOS:
                for n in WORKERS:
                    o = optuna_run(base, algo, n, args.optuna_seconds, oout)
                    if o:
                        ctx["optuna"][(algo, n)] = o
    finally:
        pout.close()
        oout.close()
        shutil.rmtree(base, ignore_errors=True)
    write_section("throughput", section(args, ctx))
    log("done in %.0f s; wrote the throughput section of %s"
        % (time.monotonic() - started, os.path.join(HERE, "RESULTS.md")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
