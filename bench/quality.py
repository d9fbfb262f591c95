#!/usr/bin/python3
"""Run the quality benchmark and write its section of bench/RESULTS.md.

    /usr/bin/python3 bench/quality.py [BUILD_DIR] [--seeds N] [--evals N]
                                      [--only NAME,...]
                                      [--no-optuna | --reuse-optuna]

Runs, in turn: BUILD_DIR/bench/quality with parzen's default TPE config,
with {"preset": "hyperopt"}, and with --algo random; then
bench/optuna_quality.py for Optuna's TPESampler, default and with
hyperopt_parameters(). Every method searches the same eight functions
with seeds 0..19 and 100 evaluations each. The raw lines go to
bench/out/quality-<method>.json; the medians of the best loss so far at
25, 50 and 100 evaluations go to bench/RESULTS.md between the markers
<!-- quality:begin --> and <!-- quality:end --> (the rest of the file is
kept). Optuna's runs take minutes and, being seeded, give the same
numbers every time: --reuse-optuna takes them from the files a previous
full run saved, for a quick loop while tuning parzen. hyperopt cannot be
installed here, so its numbers, and those of
Optuna 5.0.0rc1, are the reference numbers of ANCHORS.md, copied below.

Standard library only. A benchmark, not a test: it fails only when a run
fails, never on the numbers.
"""
import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import time

from results import cpu_model, markers, write_section

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PYTHON = "/usr/bin/python3"
BEGIN, END = markers("quality")

# name, known minimum (as ANCHORS.md prints it), in suite order
FUNCTIONS = [
    ("quad1d", "0.75"), ("sphere2d", "0"), ("branin", "0.398"),
    ("hartmann6", "-3.322"), ("rosenbrock4", "0"), ("lr_momentum", "0"),
    ("cnn_conditional", "0.106"), ("int_quantized", "0"),
]

# Reference numbers from ANCHORS.md (median best loss after 100
# evaluations, 20 seeds), not measured here: hyperopt 0.3.0 tpe, hyperopt
# random, Optuna 3.1 tpe with hyperopt params, Optuna 3.1 tpe default,
# Optuna 5.0.0rc1 tpe (default, multivariate).
ANCHORS = {
    "quad1d": (0.75, 0.7503, 0.75, 0.75, 0.75),
    "sphere2d": (0.165, 1.30, 0.082, 0.019, 0.0119),
    "branin": (0.666, 0.758, 0.523, 0.410, 0.417),
    "hartmann6": (-2.68, -2.12, -2.96, -3.07, -3.23),
    "rosenbrock4": (393, 1553, 163, 61, 24.1),
    "lr_momentum": (0.00155, 0.0049, 0.00101, 0.0046, 0.00027),
    "cnn_conditional": (0.151, 0.164, 0.134, 0.126, 0.143),
    "int_quantized": (0.321, 0.884, 0.319, 0.070, 0.068),
}
A_HO_TPE, A_HO_RANDOM, A_OPT_HO, A_OPT_DEFAULT, A_OPT5 = range(5)


def methods(build, args):
    """(key, column title, command) of every measured method."""
    quality = os.path.join(build, "bench", "quality")
    common = ["--seeds", str(args.seeds), "--evals", str(args.evals)]
    if args.only:
        common += ["--only", args.only]
    out = [
        ("parzen-default", "parzen tpe (default)",
         [quality, "--config", "{}"] + common),
        ("parzen-hyperopt", "parzen tpe (hyperopt preset)",
         [quality, "--config", '{"preset":"hyperopt"}'] + common),
        ("parzen-random", "parzen random",
         [quality, "--algo", "random"] + common),
    ]
    if not args.no_optuna:
        script = os.path.join(HERE, "optuna_quality.py")
        out += [
            ("optuna-default", "Optuna tpe (default)",
             [PYTHON, script, "--variant", "default"] + common),
            ("optuna-hyperopt", "Optuna tpe (hyperopt params)",
             [PYTHON, script, "--variant", "hyperopt"] + common),
        ]
    return out


def run(key, cmd):
    """Run one method; return (wall seconds, {function: result line})."""
    print("== %s: %s" % (key, " ".join(shlex.quote(c) for c in cmd)),
          file=sys.stderr, flush=True)
    t0 = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        sys.exit("quality.py: %s failed (exit status %d)"
                 % (key, proc.returncode))
    lines = [json.loads(s) for s in proc.stdout.splitlines() if s.strip()]
    print("   %s: %.1f s" % (key, wall), file=sys.stderr, flush=True)
    return wall, {d["function"]: d for d in lines}


def out_path(key, args):
    """bench/out/quality-KEY.json for a full run; partial runs are named
    apart so that they do not replace it."""
    tag = ""
    if args.only or args.seeds != 20 or args.evals != 100:
        tag = "-s%d-e%d%s" % (args.seeds, args.evals,
                              "-" + args.only.replace(",", "+")
                              if args.only else "")
    return os.path.join(HERE, "out", "quality-%s%s.json" % (key, tag))


def load_saved(key, args, names):
    """A saved run of `key` with the same seeds, evals and functions."""
    full = os.path.join(HERE, "out", "quality-%s.json" % key)
    for path in (out_path(key, args), full):
        try:
            with open(path) as f:
                saved = json.load(f)
        except (OSError, ValueError):
            continue
        lines = {d["function"]: d for d in saved.get("results", [])}
        if all(n in lines and lines[n]["seeds"] == args.seeds
               and lines[n]["evals"] == args.evals for n in names):
            saved["path"] = os.path.relpath(path, ROOT)
            return saved
    return None


def fmt(x):
    if x is None:
        return "—"
    if abs(x) >= 1000:
        return "%.0f" % x
    return "%.4g" % x


def sig3(x):
    """x rounded to 3 significant digits, the precision of ANCHORS.md."""
    return float("%.3g" % x)


def at_or_below(a, b):
    return a is not None and b is not None and sig3(a) <= sig3(b)


def optuna_version():
    try:
        out = subprocess.run(
            [PYTHON, "-c", "import optuna; print(optuna.__version__)"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        return out.stdout.strip() or "not installed"
    except OSError:
        return "not installed"


def median(results, key, name, mark):
    line = results.get(key, {}).get(name)
    if line is None:
        return None
    return line["median"].get(str(mark))


def section(args, ran, results, names, marks, started, no_optuna):
    cols = [(k, title) for k, title, _ in ran]
    w = []
    w.append(BEGIN)
    w.append("## Quality")
    w.append("")
    w.append("Median over %d seeds of the best loss after 25, 50 and %d "
             "evaluations of a sequential search (lower is better), on the "
             "eight functions of the public suite (spaces in "
             "`bench/spaces/quality/`, objectives in `bench/quality.c` and "
             "`bench/optuna_quality.py`). Optuna ran with the conversions "
             "of ANCHORS.md (quniform -> `suggest_float(step=q)`, "
             "qloguniform -> log float rounded in the objective, "
             "randint(lo, hi) -> `suggest_int(lo, hi-1)`, choice -> "
             "categorical over option indices)." % (args.seeds, args.evals))
    w.append("")
    w.append("- Command: `%s`" % " ".join(
        shlex.quote(a) for a in [PYTHON] + sys.argv))
    w.append("- Date: %s" % started.strftime("%Y-%m-%d %H:%M UTC"))
    w.append("- Machine: %d CPUs (nproc), %s; %s %s; Python %s; Optuna %s"
             % (os.cpu_count() or 0, cpu_model(), platform.system(),
                platform.release(), platform.python_version(),
                "not run" if no_optuna else optuna_version()))
    w.append("")
    w.append("| method | wall time | command |")
    w.append("|---|---|---|")
    for key, title, cmd in ran:
        shown = [os.path.relpath(c, ROOT) if os.path.isabs(c)
                 and c.startswith(ROOT) else c for c in cmd]
        wall, _, reused = results[key]
        w.append("| %s | %s s%s | `%s` |" % (
            title, "%.2f" % wall if wall < 10 else "%.0f" % wall,
            " (saved run of %s, reused)" % reused if reused else "",
            " ".join(shlex.quote(c) for c in shown)))
    w.append("")
    res = {k: v[1] for k, v in results.items()}
    summary = None
    for mark in marks:
        final = mark == 100
        w.append("### Median best loss after %d evaluations" % mark)
        w.append("")
        head = ["function (known min)"] + [t for _, t in cols]
        if final:
            head += ["hyperopt tpe (ref)", "hyperopt random (ref)",
                     "Optuna 5.0.0rc1 tpe (ref)",
                     "parzen <= Optuna default", "parzen <= hyperopt tpe"]
        w.append("| " + " | ".join(head) + " |")
        w.append("|" + "---|" * len(head))
        k_opt = m_ho = 0
        for name, fmin in FUNCTIONS:
            if name not in names:
                continue
            vals = [median(res, k, name, mark) for k, _ in cols]
            row = ["%s (%s)" % (name, fmin)] + [fmt(v) for v in vals]
            if final:
                a = ANCHORS[name]
                mine = median(res, "parzen-default", name, mark)
                opt = median(res, "optuna-default", name, mark)
                le_opt = at_or_below(mine, opt)
                le_ho = at_or_below(mine, a[A_HO_TPE])
                k_opt += le_opt
                m_ho += le_ho
                row += [fmt(a[A_HO_TPE]), fmt(a[A_HO_RANDOM]),
                        fmt(a[A_OPT5]),
                        "—" if opt is None else ("✓" if le_opt else "✗"),
                        "✓" if le_ho else "✗"]
            w.append("| " + " | ".join(row) + " |")
        w.append("")
        if final:
            w.append("Columns marked (ref) are reference numbers copied "
                     "from ANCHORS.md (hyperopt 0.3.0 and Optuna 5.0.0rc1 "
                     "on a machine of the same kind), not measured here. "
                     "The marks compare the medians of parzen tpe (default) "
                     "after 100 evaluations, rounded to 3 significant "
                     "digits (the precision of ANCHORS.md); a tie counts "
                     "as at or below.")
            w.append("")
            summary = ("parzen default at or below Optuna default on "
                       "%d/%d, at or below hyperopt tpe on %d/%d"
                       % (k_opt, len(names), m_ho, len(names)))
            if no_optuna:
                summary += " (Optuna not run)"
            w.append("**%s**" % summary)
            w.append("")
    if 100 in marks and not no_optuna:
        w.append("### Check: Optuna 3.1 measured here vs ANCHORS.md")
        w.append("")
        w.append("| function | Optuna default (here) | (ANCHORS.md) | "
                 "Optuna hyperopt params (here) | (ANCHORS.md) |")
        w.append("|---|---|---|---|---|")
        for name, _ in FUNCTIONS:
            if name in names:
                a = ANCHORS[name]
                w.append("| %s | %s | %s | %s | %s |" % (
                    name, fmt(median(res, "optuna-default", name, 100)),
                    fmt(a[A_OPT_DEFAULT]),
                    fmt(median(res, "optuna-hyperopt", name, 100)),
                    fmt(a[A_OPT_HO])))
        w.append("")
    w.append("Raw results (every seed): `bench/out/quality-*.json`.")
    w.append(END)
    return "\n".join(w) + "\n", summary


def main():
    ap = argparse.ArgumentParser(
        description="Run the quality benchmark; write bench/RESULTS.md.")
    ap.add_argument("build", nargs="?", default="build",
                    help="meson build directory (default: build)")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--evals", type=int, default=100)
    ap.add_argument("--only", default="",
                    help="comma-separated function names")
    ap.add_argument("--no-optuna", action="store_true",
                    help="skip the Optuna runs (minutes) for a quick look")
    ap.add_argument("--reuse-optuna", action="store_true",
                    help="take Optuna's results from bench/out when a "
                    "saved run has the same seeds and evals")
    args = ap.parse_args()
    if args.no_optuna and args.reuse_optuna:
        ap.error("--no-optuna and --reuse-optuna exclude each other")
    build = args.build
    if not os.path.isdir(build) and os.path.isdir(os.path.join(ROOT, build)):
        build = os.path.join(ROOT, build)
    build = os.path.abspath(build)
    if not os.access(os.path.join(build, "bench", "quality"), os.X_OK):
        sys.exit("quality.py: no %s/bench/quality; build first: "
                 "meson setup %s && ninja -C %s" % (build, build, build))
    known = [n for n, _ in FUNCTIONS]
    names = [n for n in args.only.split(",") if n] or known
    for n in names:
        if n not in known:
            ap.error("no function %s (known: %s)" % (n, ", ".join(known)))

    started = datetime.datetime.now(datetime.timezone.utc)
    ran = methods(build, args)
    results = {}
    outdir = os.path.join(HERE, "out")
    os.makedirs(outdir, exist_ok=True)
    for key, title, cmd in ran:
        saved = None
        if args.reuse_optuna and key.startswith("optuna-"):
            saved = load_saved(key, args, names)
        if saved is not None:
            print("== %s: reusing %s of %s"
                  % (key, saved["path"], saved["date"]), file=sys.stderr)
            lines = {d["function"]: d for d in saved["results"]}
            results[key] = (sum(lines[n]["seconds"] for n in names), lines,
                            saved["date"])
            continue
        wall, lines = run(key, cmd)
        results[key] = (wall, lines, None)
        with open(out_path(key, args), "w") as f:
            json.dump({"method": title, "command": cmd,
                       "date": started.isoformat(timespec="seconds"),
                       "wall_seconds": wall,
                       "results": [lines[n] for n in names if n in lines]},
                      f, indent=1)
            f.write("\n")

    marks = [m for m in (25, 50, 100) if m <= args.evals]
    if not marks or marks[-1] != args.evals:
        marks.append(args.evals)
    text, summary = section(args, ran, results, names, marks, started,
                            args.no_optuna)
    path = os.path.join(HERE, "RESULTS.md")
    write_section("quality", text, path)
    sys.stdout.write(text)
    if summary:
        print(summary)
    print("wrote %s" % os.path.relpath(path))


if __name__ == "__main__":
    main()
