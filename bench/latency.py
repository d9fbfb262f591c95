#!/usr/bin/env python3
"""Run bench/suggest_latency and write its section of bench/RESULTS.md.

usage: latency.py [BUILD_DIR] [--reps N]

Times one TPE suggestion against histories of 100 to 100,000 finished
trials on the mixed10 and CIFAR-100 spaces, with parzen's default config
and with the hyperopt preset, and compares the medians with hyperopt's and
Optuna's figures from shared/bench/ANCHORS.md (copied below, not measured
here: hyperopt is not installable on this machine, and Optuna's per-ask
time is dominated by its storage layer). Standard library only.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys

from results import HERE, machine, markers, write_section

# ANCHORS.md: median ms for one suggestion on mixed10 (ranges as given).
ANCHORS = {100: ("12", "26"), 1000: ("55 to 92", "85 to 142"),
           10000: ("500 to 650", "1,120 to 1,250")}
# Issue 11's targets for one suggestion on mixed10 (ms).
TARGET = {1000: 0.1, 10000: 0.5, 100000: 5.0}


def run(binary, config, reps, spaces):
    cmd = [binary, "--config", config, "--reps", str(reps)] + spaces
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                         text=True).stdout
    return cmd, [json.loads(l) for l in out.splitlines() if l.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--reps", type=int, default=200)
    args = ap.parse_args()
    binary = os.path.join(args.build, "bench", "suggest_latency")
    spaces = [os.path.join(HERE, "spaces", s)
              for s in ("mixed10.json", "cifar100.json")]
    rows, cmds = {}, []
    for name, config in (("default", "{}"),
                         ("hyperopt preset", '{"preset":"hyperopt"}')):
        cmd, res = run(binary, config, args.reps, spaces)
        cmds.append(" ".join(cmd[:2] + ["'%s'" % config] + cmd[3:5]
                             + ["bench/spaces/mixed10.json",
                                "bench/spaces/cifar100.json"]))
        for r in res:
            print(json.dumps(dict(r, config=name)))
            rows[(name, r["space"], r["n"])] = r
    begin, end = markers("latency")
    w = [begin, "## Suggestion latency", "",
         "Median and 99th percentile of one TPE suggestion (ms) against a "
         "history of n finished trials held in memory, %d suggestions per "
         "size, one core." % args.reps, "",
         "- Commands: " + "; ".join("`%s`" % c for c in cmds)
         + " (or `/usr/bin/python3 bench/latency.py BUILD_DIR`)",
         "- Date: " + datetime.datetime.now(datetime.timezone.utc)
         .strftime("%Y-%m-%d %H:%M UTC"),
         "- Machine: " + machine() + " (shared and noisy: read medians)", "",
         "| space | n | parzen default median | p99 | hyperopt preset median"
         " | p99 | hyperopt tpe (ref) | Optuna tpe (ref) | target |",
         "|---|---|---|---|---|---|---|---|---|"]
    for space in ("mixed10", "cifar100"):
        for n in (100, 1000, 10000, 100000):
            d = rows.get(("default", space, n))
            h = rows.get(("hyperopt preset", space, n))
            if d is None or h is None:
                continue
            ref = ANCHORS.get(n, ("", "")) if space == "mixed10" else ("", "")
            tgt = TARGET.get(n) if space == "mixed10" else None
            w.append("| %s | %d | %.3f | %.3f | %.3f | %.3f | %s | %s | %s |" % (
                space, n, d["median_ms"], d["p99_ms"], h["median_ms"],
                h["p99_ms"], ref[0], ref[1],
                "<= %g ms %s" % (tgt, "met" if d["median_ms"] <= tgt
                                 else "missed") if tgt else ""))
    w += ["", "Reference columns are ANCHORS.md's medians for hyperopt 0.3.0 "
          "and Optuna 3.1.0 on mixed10, measured on a machine of the same "
          "kind, not here.", end]
    write_section("latency", "\n".join(w) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
