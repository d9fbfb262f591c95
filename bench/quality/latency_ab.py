#!/usr/bin/python3
"""Suggestion latency before and after a change of the TPE, in one run.

    /usr/bin/python3 bench/quality/latency_ab.py BEFORE_BUILD AFTER_BUILD
        [--reps N] [--rounds R] [--sizes 100,1000,...] [--write]

Runs BUILD/bench/suggest_latency of both builds on bench/spaces/mixed10.json
and bench/spaces/cifar100.json, with the default config and with the
hyperopt preset, size by size, alternating before / after for R rounds so
that both see the same load, and prints the median over rounds of each
build's median (and 99th percentile) time of one suggestion, and the
ratio after / before. bench/latency.py's own section of RESULTS.md is
left alone; --write puts this table in the section "quality-latency".
A benchmark, not a test.
"""
import argparse
import datetime
import json
import os
import shlex
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
sys.path.insert(0, BENCH)
from results import machine, markers, write_section  # noqa: E402

SPACES = [os.path.join(BENCH, "spaces", s) for s in ("mixed10.json",
                                                     "cifar100.json")]
CONFIGS = [("default", "{}"), ("hyperopt preset", '{"preset":"hyperopt"}')]


def once(build, config, size, reps):
    cmd = [os.path.join(build, "bench", "suggest_latency"), "--config",
           config, "--reps", str(reps), "--sizes", str(size)] + SPACES
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True)
    return {d["space"]: d for d in
            (json.loads(s) for s in out.stdout.splitlines() if s.strip())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sizes", default="100,1000,10000,100000")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    started = datetime.datetime.now(datetime.timezone.utc)
    rows = []
    for cname, config in CONFIGS:
        for size in sizes:
            got = {"before": [], "after": []}
            for _ in range(args.rounds):
                for which in ("before", "after"):
                    got[which].append(once(getattr(args, which), config,
                                           size, args.reps))
                    print("%s n=%d %s done" % (cname, size, which),
                          file=sys.stderr, flush=True)
            for space in ("mixed10", "cifar100"):
                med = {w: statistics.median(r[space]["median_ms"]
                                            for r in got[w])
                       for w in got}
                p99 = {w: statistics.median(r[space]["p99_ms"]
                                            for r in got[w])
                       for w in got}
                rows.append((cname, space, size, med, p99))
    begin, end = markers("quality-latency")
    w = [begin, "## Quality work: suggestion latency before and after", ""]
    w.append("One TPE suggestion against a history of n finished trials "
             "(bench/suggest_latency, %d suggestions per size), the build "
             "before this work and the build after it run alternately, "
             "%d rounds, the median of the rounds' medians (ms); the "
             "machine is shared, so read the ratios." % (args.reps,
                                                         args.rounds))
    w.append("")
    w.append("- Command: `%s`" % " ".join(
        shlex.quote(a) for a in ["/usr/bin/python3"] + sys.argv))
    w.append("- Date: %s; machine: %s" % (
        started.strftime("%Y-%m-%d %H:%M UTC"), machine()))
    w.append("")
    w.append("| config | space | n | before median | after median | "
             "after / before | before p99 | after p99 |")
    w.append("|---|---|---|---|---|---|---|---|")
    worst = 0
    for cname, space, size, med, p99 in rows:
        ratio = med["after"] / med["before"]
        worst = max(worst, ratio)
        w.append("| %s | %s | %d | %.3f | %.3f | %.2f | %.3f | %.3f |" % (
            cname, space, size, med["before"], med["after"], ratio,
            p99["before"], p99["after"]))
    w.append("")
    w.append("Largest ratio after / before: **%.2f** (target: at most 1.20)."
             % worst)
    w.append(end)
    text = "\n".join(w) + "\n"
    sys.stdout.write(text)
    if args.write:
        write_section("quality-latency", text,
                      os.path.join(BENCH, "RESULTS.md"))


if __name__ == "__main__":
    main()
