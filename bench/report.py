#!/usr/bin/env python3
"""Time the study report and write its section of bench/RESULTS.md.

usage: report.py [BUILD_DIR] [--reps N]

Runs bench/report_bench on synthetic studies of 1,000, 10,000 and 100,000
trials over the CIFAR-100 space (22 hyperparameters, 3 of them
conditional; random params, so the points fill the figures as densely as
they can) and reports the median time of pz_report_html() and the size of
the page. The targets are the issue's: under two seconds for 100,000
trials, a page of a few MB. Standard library only.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys

from results import HERE, machine, markers, write_section

SIZES = [1000, 10000, 100000]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    binary = os.path.join(args.build, "bench", "report_bench")
    space = os.path.join(HERE, "spaces", "cifar100.json")
    cmd = [binary, "--synthetic", ",".join(map(str, SIZES)), "--reps",
           str(args.reps), "--space", space]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                         text=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    for r in rows:
        print(json.dumps(r))
    begin, end = markers("report")
    w = [begin, "## Study report", "",
         "Time to draw the HTML report (`pz_report_html()`: every figure "
         "and the trials table) of a synthetic study over the CIFAR-100 "
         "space, median of %d runs, one core; the size of the page; and, "
         "for scale, the size of the trials as the daemon sends them and "
         "the time cJSON takes to parse that text." % args.reps, "",
         "- Command: `build/bench/report_bench --synthetic %s --reps %d "
         "--space bench/spaces/cifar100.json` (or `/usr/bin/python3 "
         "bench/report.py BUILD_DIR`)" % (",".join(map(str, SIZES)),
                                          args.reps),
         "- Date: " + datetime.datetime.now(datetime.timezone.utc)
         .strftime("%Y-%m-%d %H:%M UTC"),
         "- Machine: " + machine() + " (shared and noisy: read medians)", "",
         "| trials | report time (ms) | report size (MB) | trials JSON (MB) "
         "| parsing it (ms) | target |",
         "|---|---|---|---|---|---|"]
    for r in rows:
        met = r["render_ms"] < 2000 and r["bytes"] < 5e6
        w.append("| %d | %.0f | %.2f | %.1f | %.0f | < 2,000 ms, a few MB: "
                 "%s |" % (r["trials"], r["render_ms"], r["bytes"] / 1e6,
                           r["trials_json_mb"], r["parse_ms"],
                           "met" if met else "missed"))
    w += ["", "Past a few hundred points a panel, points are binned into "
          "pixel cells and only the best trials stay points, so the page "
          "stops growing; the trials table lists the 500 best and the 500 "
          "latest trials of a study larger than 1,000.", end]
    write_section("report", "\n".join(w) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
