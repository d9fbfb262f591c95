#!/usr/bin/python3
"""Does a big study stall everyone else? Writes the "stall" section of
bench/RESULTS.md.

usage: /usr/bin/python3 bench/stall.py [BUILD_DIR] [--baseline BUILD_DIR]
           [--trials 100000] [--seconds 10] [--cache DIR]

Two measurements, for this build and, with --baseline, an older build of
parzend side by side in the same run (e.g. one made from the commit
before the pipeline: `git worktree add /tmp/base d11e48f && meson setup
/tmp/base/build /tmp/base && ninja -C /tmp/base/build`):

1. Restart on a database holding a study of --trials finished trials on
   the CIFAR-100 space (after each build opened it once, so a schema
   migration is not counted as loading): the time its first use takes
   (loading the history), alone and while another client pings
   server.info without pause (its longest round trip), and VmRSS once
   loaded.
2. p50/p99/max of trial.tell on a small study while another client asks
   and tells on a TPE study of --trials finished trials (mixed10): each of
   its asks runs TPE over the whole history; and the p99 of the same tells
   with nobody asking on the big study, which tells what the disk (the
   WAL's fsyncs and checkpoints) costs apart from the big study.

The databases are made once with the build's own bench/throughput (prior
draws enqueued, asked and told, durability normal) and cached in
bench/out/ (--cache): making one takes about a minute per 100,000
trials. A benchmark, not a test: it fails only when a run fails.
Standard library only.
"""
import argparse
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from results import HERE, machine, markers, write_section

ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import daemon as daemon_module  # noqa: E402


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def start(build, workdir, db, *extra):
    daemon_module.PARZEND = os.path.join(build, "daemon", "parzend")
    d = daemon_module.Daemon(workdir, *extra)
    d.db = db
    return d.start(timeout=600)


def make_db(build, path, space, study, algo, trials):
    """A database with `trials` finished trials (cached at `path`)."""
    if os.path.exists(path):
        return
    log("stall: making %s (%d trials)" % (path, trials))
    work = tempfile.mkdtemp(prefix="parzen-stall-")
    d = start(build, work, path + ".tmp", "--durability", "normal")
    try:
        subprocess.run([os.path.join(build, "bench", "throughput"),
                        "--socket", d.socket, "--study", study,
                        "--workers", "8", "--trials", str(trials),
                        "--fill-prior", "--create", "--space", space,
                        "--algo", algo, "--seed", "1"],
                       check=True, stdout=subprocess.DEVNULL)
    finally:
        d.stop()
        shutil.rmtree(work, ignore_errors=True)
    os.rename(path + ".tmp", path)


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def first_use(build, db, pinger):
    """Start parzend on db; the time study.get of the big study takes
    (loading it), and with `pinger` the longest round trip another client
    saw meanwhile (pinging server.info without pause)."""
    work = tempfile.mkdtemp(prefix="parzen-stall-")
    d = start(build, work, db)
    try:
        c = d.connect(600)
        other = d.connect(600)
        res = {}

        def use():
            t = time.perf_counter()
            c.call("study.get", study="big")
            res["load"] = time.perf_counter() - t

        th = threading.Thread(target=use)
        th.start()
        worst, pings = 0.0, 0
        while pinger and th.is_alive():
            t = time.perf_counter()
            other.call("server.info")
            worst = max(worst, time.perf_counter() - t)
            pings += 1
        th.join()
        return {"load_s": res["load"], "others_worst_ms": worst * 1e3,
                "pings": pings, "rss_mib": rss_mib(d.proc.pid)}
    finally:
        d.stop()
        shutil.rmtree(work, ignore_errors=True)


def restart(build, cached_db):
    """A restart of each build on its own copy of the database, after the
    build opened it once (a newer parzend migrates an older file on its
    first start: an upgrade, timed apart). Loading alone is the median of
    three restarts; then one restart with a client pinging throughout."""
    work = tempfile.mkdtemp(prefix="parzen-stall-")
    db = os.path.join(work, "parzen.db")
    shutil.copy(cached_db, db)
    try:
        t = time.perf_counter()
        d = start(build, work, db)
        d.stop()
        upgrade = time.perf_counter() - t
        alone = sorted(first_use(build, db, False)["load_s"]
                       for _ in range(3))
        r = first_use(build, db, True)
        r["load_busy_s"] = r.pop("load_s")
        r["load_s"] = alone[1]
        r["open_s"] = upgrade
        return r
    finally:
        shutil.rmtree(work, ignore_errors=True)


def asker(d, fd):
    """Ask and tell on the big study until SIGTERM; the asks' times go to
    fd, one per line, as they happen."""
    big = d.connect(600)
    out = os.fdopen(fd, "w", buffering=1)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    while True:
        t0 = time.perf_counter()
        t = big.call("trial.ask", study="big", worker="a")["trial"]
        out.write("%r\n" % (time.perf_counter() - t0))
        big.call("trial.tell", trial=t["id"], status="ok", loss=1.0,
                 attempt=t["attempt"])


def tells_meanwhile(build, cached_db, seconds, durability, asking=True):
    work = tempfile.mkdtemp(prefix="parzen-stall-")
    db = os.path.join(work, "parzen.db")
    shutil.copy(cached_db, db)
    d = start(build, work, db, "--durability", durability)
    try:
        small = d.connect(600)
        small.call("study.get", study="big")     # loaded before timing
        small.call("study.create", name="small", algo="random", seed=1,
                   space={"x": {"$hp": "uniform", "label": "x", "low": 0,
                                "high": 1}})
        # The asker is its own process: in this one, its thread would hold
        # the GIL for up to 5 ms at a time and time itself into the tells.
        r, w = os.pipe()
        pid = os.fork() if asking else -1
        if pid == 0:
            os.close(r)
            try:
                asker(d, w)
            finally:
                os._exit(0)
        if asking:
            os.close(w)
        lat = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            t = small.call("trial.ask", study="small")["trial"]
            t0 = time.perf_counter()
            small.call("trial.tell", trial=t["id"], status="ok", loss=0.5)
            lat.append(time.perf_counter() - t0)
        if asking:
            os.kill(pid, signal.SIGTERM)
        else:
            os.close(w)
        with os.fdopen(r) as f:
            asks = [float(x) for x in f.read().split("\n")[:-1]]
        if asking:
            os.waitpid(pid, 0)
        lat.sort()
        asks.sort()
        q = lambda xs, p: (xs[min(len(xs) - 1, int(p * len(xs)))] * 1e3
                           if xs else float("nan"))
        return {"tells": len(lat), "tell_p50_ms": q(lat, 0.5),
                "tell_p99_ms": q(lat, 0.99), "tell_max_ms": lat[-1] * 1e3,
                "asks": len(asks), "ask_p50_ms": q(asks, 0.5)}
    finally:
        d.stop()
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--baseline", default=None)
    ap.add_argument("--trials", type=int, default=100000)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--cache", default=os.path.join(HERE, "out"))
    args = ap.parse_args()
    builds = [("this build", os.path.abspath(args.build))]
    if args.baseline:
        builds.append(("baseline", os.path.abspath(args.baseline)))
    os.makedirs(args.cache, exist_ok=True)
    spaces = os.path.join(HERE, "spaces")
    # The cached databases are made by the oldest build given, so that
    # every build can open them (a newer parzend migrates an older file).
    maker = builds[-1][1]
    cifar_db = os.path.join(args.cache, "stall-cifar-%d.db" % args.trials)
    mixed_db = os.path.join(args.cache, "stall-mixed-%d.db" % args.trials)
    make_db(maker, cifar_db, os.path.join(spaces, "cifar100.json"), "big",
            "random", args.trials)
    make_db(maker, mixed_db, os.path.join(spaces, "mixed10.json"), "big",
            "tpe", args.trials)
    results = {}
    for name, build in builds:
        log("stall: %s: restart" % name)
        r = restart(build, cifar_db)
        for durability in ("normal", "full"):
            log("stall: %s: tells meanwhile (%s)" % (name, durability))
            t = tells_meanwhile(build, mixed_db, args.seconds, durability)
            r.update({k + "_" + durability: v for k, v in t.items()})
            log("stall: %s: tells alone (%s)" % (name, durability))
            t = tells_meanwhile(build, mixed_db, args.seconds, durability,
                                asking=False)
            r.update({k + "_" + durability + "_alone": v
                      for k, v in t.items()})
        results[name] = r
        print(json.dumps(dict(r, build=name)))
    rows = [
        ("first start on the database (start to stop; this build "
         "migrates the baseline's schema once)", "open_s", "%.2f s"),
        ("first use after a restart (load %d trials, CIFAR-100 space; "
         "median of 3)" % args.trials, "load_s", "%.2f s"),
        ("the same while another client pings without pause",
         "load_busy_s", "%.2f s"),
        ("longest round trip of that client meanwhile",
         "others_worst_ms", "%.1f ms"),
        ("its round trips during the load", "pings", "%d"),
        ("VmRSS once loaded", "rss_mib", "%.1f MiB"),
    ]
    for dur, why in (("normal", "durability normal: the loop alone"),
                     ("full", "durability full: each tell waits for an "
                              "fsync")):
        rows += [
            ("trial.tell on a small study, p50 (%s)" % why,
             "tell_p50_ms_" + dur, "%.3f ms"),
            ("trial.tell on a small study, p99 (%s)" % why,
             "tell_p99_ms_" + dur, "%.3f ms"),
            ("trial.tell on a small study, max (%s)" % why,
             "tell_max_ms_" + dur, "%.1f ms"),
            ("the same p99 with no asks on the big study (%s)" % why,
             "tell_p99_ms_" + dur + "_alone", "%.3f ms"),
            ("meanwhile: asks on the %d-trial TPE study (mixed10), p50 "
             "(%s)" % (args.trials, dur), "ask_p50_ms_" + dur, "%.1f ms"),
        ]
    names = [n for n, _ in builds]
    lines = [markers("stall")[0], "## A big study and everyone else", "",
             "`/usr/bin/python3 bench/stall.py build%s` (%s; %s); one run."
             % (" --baseline BASE" if args.baseline else "",
                datetime.date.today().isoformat(), machine()), "",
             "| | " + " | ".join(names) + " |",
             "|---|" + "---|" * len(names)]
    for label, key, fmt in rows:
        lines.append("| %s | %s |" % (label, " | ".join(
            fmt % results[n][key] for n in names)))
    lines.append(markers("stall")[1])
    write_section("stall", "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
