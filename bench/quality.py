#!/usr/bin/python3
"""Run the quality suite and write its sections of bench/RESULTS.md.

    /usr/bin/python3 bench/quality.py [BUILD_DIR] [--part sequential|parallel|all]
        [--seeds N] [--evals N] [--half tuning|validation] [--only NAME,...]
        [--hyperopt-src DIR] [--no-peers | --reuse-peers] [--no-write]

The suite is bench/quality/ (30 problems, README.md there says which and
how they split into a tuning and a validation half).

--part sequential (about 40 minutes on the 2-core machine) runs, one after
the other: BUILD_DIR/bench/quality with parzen's default TPE, with
{"preset": "hyperopt"} and with --algo random; bench/quality/run_optuna.py
for Optuna's TPESampler, default and with hyperopt_parameters(); and
bench/quality/run_hyperopt.py for hyperopt 0.3.0's TPE, imported from
--hyperopt-src or $HYPEROPT_SRC (the column is skipped with a note when
neither is given). It writes the section "quality" of RESULTS.md:
median and interquartile range of the best loss after 25, 50 and 100
evaluations, and a win / tie / loss of parzen's default against each
peer by a two-sided Mann-Whitney U test at p < 0.05, validation half
first, with the issue's targets and whether they are met.

--part parallel (about 35 minutes) runs parzen's default with 4 and 8
simulated workers and Optuna with constant_liar=True with 4 and 8
workers, next to the sequential runs (taken from a saved sequential run
with the same seeds when there is one, else run), and writes the section
"quality-parallel".

Every run's raw lines go to bench/out/quality-KEY.json. Optuna and
hyperopt are seeded, so they give the same numbers every time:
--reuse-peers takes them from saved files with the same seeds, evals and
problems, for a quick loop while tuning parzen. --no-write prints the
tables without touching RESULTS.md. A benchmark, not a test: it fails
only when a run fails, never on the numbers.

Needs /usr/bin/python3 with scipy and Optuna (Debian packages).
"""
import argparse
import datetime
import json
import math
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time

from results import cpu_model, markers, write_section

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "quality"))
import problems  # noqa: E402

PYTHON = "/usr/bin/python3"
QDIR = os.path.join(HERE, "quality")
ALPHA = 0.05

# Optuna 5.0.0rc1's default TPE (multivariate), median best@100 over 20
# seeds: ANCHORS.md (../shared/bench/ANCHORS.md), measured elsewhere on a
# machine of the same kind; it has figures for the public suite only.
OPTUNA5 = {
    "quad1d": 0.75, "sphere2d": 0.0119, "branin": 0.417,
    "hartmann6": -3.23, "rosenbrock4": 24.1, "lr_momentum": 0.00027,
    "cnn_conditional": 0.143, "int_quantized": 0.068,
}

# key, title, kind, arguments
SEQUENTIAL = [
    ("parzen-default", "parzen (default)", "parzen", ["--config", "{}"]),
    ("parzen-hyperopt", "parzen (hyperopt preset)", "parzen",
     ["--config", '{"preset":"hyperopt"}']),
    ("parzen-random", "parzen random", "parzen", ["--algo", "random"]),
    ("optuna-default", "Optuna 3.1 (default)", "optuna",
     ["--variant", "default"]),
    ("optuna-hyperopt", "Optuna 3.1 (hyperopt params)", "optuna",
     ["--variant", "hyperopt"]),
    ("hyperopt-tpe", "hyperopt 0.3.0 tpe", "hyperopt", ["--algo", "tpe"]),
]
PARALLEL = [
    ("parzen-default-w4", "parzen, 4 workers", "parzen",
     ["--config", "{}", "--workers", "4"]),
    ("parzen-default-w8", "parzen, 8 workers", "parzen",
     ["--config", "{}", "--workers", "8"]),
    ("optuna-liar-w4", "Optuna liar, 4 workers", "optuna",
     ["--variant", "liar", "--workers", "4"]),
    ("optuna-liar-w8", "Optuna liar, 8 workers", "optuna",
     ["--variant", "liar", "--workers", "8"]),
]
# The peers parzen's default is judged against, in table order.
ANCHORS = [("optuna-default", "Optuna default"),
           ("optuna-hyperopt", "Optuna hyperopt params"),
           ("hyperopt-tpe", "hyperopt")]


# --- running -----------------------------------------------------------------

def command(kind, extra, build, args):
    common = ["--seeds", str(args.seeds), "--evals", str(args.evals)]
    if args.only:
        common += ["--only", args.only]
    if args.half:
        common += ["--half", args.half]
    if kind == "parzen":
        return [os.path.join(build, "bench", "quality")] + extra + common
    if kind == "optuna":
        return [PYTHON, os.path.join(QDIR, "run_optuna.py")] + extra + common
    return ([PYTHON, os.path.join(QDIR, "run_hyperopt.py")] + extra + common
            + ["--hyperopt-src", args.hyperopt_src or ""])


def out_path(key, args):
    """bench/out/quality-KEY.json for full runs; partial runs are named
    apart so that they never replace one."""
    tag = ""
    if args.only or args.half or args.seeds != 20 or args.evals != 100:
        tag = "-s%d-e%d%s%s" % (args.seeds, args.evals,
                                "-" + args.half if args.half else "",
                                "-" + args.only.replace(",", "+")
                                if args.only else "")
    return os.path.join(HERE, "out", "quality-%s%s.json" % (key, tag))


def load_saved(key, args, names):
    """A saved run of `key` covering `names` with these seeds and evals:
    the file of this selection, the full run's, or the two halves' run
    apart (--half tuning, --half validation) taken together."""
    def ok(lines):
        return all(n in lines and lines[n]["seeds"] == args.seeds
                   and lines[n]["evals"] == args.evals for n in names)

    docs = []
    for path in (out_path(key, args),
                 os.path.join(HERE, "out", "quality-%s.json" % key)):
        try:
            with open(path) as f:
                saved = json.load(f)
        except (OSError, ValueError):
            continue
        lines = {d["problem"]: d for d in saved.get("results", [])}
        if ok(lines):
            return saved, lines, os.path.relpath(path, ROOT)
    for half in ("tuning", "validation"):
        path = os.path.join(HERE, "out", "quality-%s-s%d-e%d-%s.json"
                            % (key, args.seeds, args.evals, half))
        try:
            with open(path) as f:
                docs.append((path, json.load(f)))
        except (OSError, ValueError):
            return None
    lines = {d["problem"]: d for _, doc in docs for d in doc["results"]}
    if not ok(lines):
        return None
    merged = {"date": "tuning half %s, validation half %s" % tuple(
                  doc["date"][:16] for _, doc in docs),
              "wall_seconds": sum(doc["wall_seconds"] for _, doc in docs)}
    return merged, lines, " + ".join(os.path.relpath(p, ROOT)
                                     for p, _ in docs)


def run(key, cmd):
    """Run one method: (wall seconds, {problem: line}) or None when the
    method is unavailable (exit status 3)."""
    print("== %s: %s" % (key, " ".join(shlex.quote(c) for c in cmd)),
          file=sys.stderr, flush=True)
    t0 = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    if proc.returncode == 3:
        return None
    if proc.returncode != 0:
        sys.exit("quality.py: %s failed (exit status %d)"
                 % (key, proc.returncode))
    lines = [json.loads(s) for s in proc.stdout.splitlines() if s.strip()]
    print("   %s: %.1f s" % (key, wall), file=sys.stderr, flush=True)
    return wall, {d["problem"]: d for d in lines}


def gather(methods, build, args, names, started, reuse, only_saved=None):
    """{key: (title, wall, lines, reused-from or None, command)}; methods
    that could not run are left out, with a note in `skipped`. A method
    for which reuse(key) takes a saved run when there is one; one for
    which only_saved(key) is never run here."""
    results, skipped = {}, {}
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    for key, title, kind, extra in methods:
        cmd = command(kind, extra, build, args)
        if kind == "hyperopt" and not args.hyperopt_src:
            skipped[key] = "no hyperopt source given (--hyperopt-src)"
            continue
        if reuse(key):
            saved = load_saved(key, args, names)
            if saved is not None:
                doc, lines, path = saved
                print("== %s: reusing %s of %s" % (key, path, doc["date"]),
                      file=sys.stderr)
                date = doc["date"] if "half" in doc["date"] \
                    else doc["date"][:16]
                results[key] = (title, doc["wall_seconds"], lines,
                                "%s; %s" % (path, date), cmd)
                continue
        if only_saved is not None and only_saved(key):
            skipped[key] = ("no saved run with these seeds and problems "
                            "(run it with --methods %s)" % key)
            continue
        got = run(key, cmd)
        if got is None:
            skipped[key] = "hyperopt could not be imported from %s" % (
                args.hyperopt_src)
            continue
        wall, lines = got
        results[key] = (title, wall, lines, None, cmd)
        with open(out_path(key, args), "w") as f:
            json.dump({"method": title, "command": cmd,
                       "date": started.isoformat(timespec="seconds"),
                       "wall_seconds": wall,
                       "results": [lines[n] for n in names if n in lines]},
                      f, indent=1)
            f.write("\n")
    return results, skipped


# --- statistics --------------------------------------------------------------

def quantile(v, q):
    """Linear-interpolation quantile (numpy's default)."""
    s = sorted(v)
    x = q * (len(s) - 1)
    i = int(math.floor(x))
    if i + 1 >= len(s):
        return s[-1]
    return s[i] + (x - i) * (s[i + 1] - s[i])


def summary(v):
    return statistics.median(v), quantile(v, 0.25), quantile(v, 0.75)


def mwu(a, b):
    """'W', 'T' or 'L' for sample a (parzen) against b, two-sided
    Mann-Whitney U at ALPHA; the direction comes from U."""
    from scipy.stats import mannwhitneyu
    if a == b or len(set(a) | set(b)) == 1:
        return "T", 1.0
    res = mannwhitneyu(a, b, alternative="two-sided")
    p = float(res.pvalue)
    if not (p < ALPHA):
        return "T", p
    # U counts pairs where a > b (plus half the ties): small U, a lower.
    return ("W" if res.statistic < len(a) * len(b) / 2 else "L"), p


def same4(a, b):
    return float("%.4g" % a) == float("%.4g" % b)


def at_or_below(a, b):
    return a <= b or same4(a, b)


def fmt(x):
    if x is None:
        return "—"
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 1e-3):
        return "%.3g" % x
    if abs(x) >= 1000:
        return "%.0f" % x
    return "%.4g" % x


def cell(v):
    m, lo, hi = summary(v)
    return "%s [%s, %s]" % (fmt(m), fmt(lo), fmt(hi))


def best(results, key, name, mark):
    r = results.get(key)
    if r is None or name not in r[2]:
        return None
    return r[2][name]["best"].get(str(mark))


# --- the sequential section --------------------------------------------------

def tags(p):
    if p.conditional():
        return "conditional"
    if p.categorical():
        return "categorical"
    return ""


def half_tables(w, results, plist, half, marks, skipped):
    """Tables of one half; returns the targets' verdicts."""
    cols = [k for k, _, _, _ in SEQUENTIAL if k in results]
    titles = {k: t for k, t, _, _ in SEQUENTIAL}
    n = len(plist)
    verdict = {}
    w.append("### %s half (%d problems)" % (half.capitalize(), n))
    w.append("")
    # best@100: medians and IQRs
    w.append("Median [interquartile range] of the best loss after 100 "
             "evaluations:")
    w.append("")
    head = ["problem (known min)", "kind"] + [titles[k] for k in cols]
    if any(p.name in OPTUNA5 for p in plist):
        head.append("Optuna 5.0.0rc1 (ANCHORS.md)")
    w.append("| " + " | ".join(head) + " |")
    w.append("|" + "---|" * len(head))
    for p in plist:
        row = ["%s (%s)" % (p.name, fmt(p.fmin)), tags(p)]
        for k in cols:
            v = best(results, k, p.name, 100)
            row.append(cell(v) if v else "—")
        if "Optuna 5.0.0rc1 (ANCHORS.md)" in head:
            row.append(fmt(OPTUNA5.get(p.name)))
        w.append("| " + " | ".join(row) + " |")
    w.append("")
    # marks against each anchor at 100
    if "parzen-default" not in results:
        return verdict
    anchors = [(k, t) for k, t in ANCHORS if k in results]
    w.append("parzen (default) against each peer after 100 evaluations: "
             "W/T/L = significantly lower / no significant difference / "
             "significantly higher (two-sided Mann-Whitney U, p < 0.05, "
             "p in parentheses); ≤ = parzen's median at or below the "
             "peer's (or equal to 4 significant digits).")
    w.append("")
    head = ["problem"]
    for _, t in anchors:
        head += ["vs %s" % t, "≤ %s" % t]
    w.append("| " + " | ".join(head) + " |")
    w.append("|" + "---|" * len(head))
    count = {k: {"W": 0, "T": 0, "L": 0, "le": 0} for k, _ in anchors}
    cat_losses = []
    for p in plist:
        mine = best(results, "parzen-default", p.name, 100)
        row = [p.name]
        for k, t in anchors:
            other = best(results, k, p.name, 100)
            r, pv = mwu(mine, other)
            le = at_or_below(statistics.median(mine),
                             statistics.median(other))
            count[k][r] += 1
            count[k]["le"] += le
            if r == "L" and p.categorical() and k in ("optuna-default",
                                                      "hyperopt-tpe"):
                cat_losses.append("%s vs %s" % (p.name, t))
            row += ["%s (%.2g)" % (r, pv), "✓" if le else "✗"]
        w.append("| " + " | ".join(row) + " |")
    w.append("| **total** | " + " | ".join(
        "**%d/%d/%d** | **%d/%d**" % (c["W"], c["T"], c["L"], c["le"], n)
        for c in (count[k] for k, _ in anchors)) + " |")
    w.append("")
    # W/T/L at every checkpoint
    w.append("Win/tie/loss of parzen (default) at each checkpoint:")
    w.append("")
    w.append("| evaluations | " + " | ".join("vs %s" % t for _, t in anchors)
             + " |")
    w.append("|" + "---|" * (len(anchors) + 1))
    for mark in marks:
        row = [str(mark)]
        for k, _ in anchors:
            c = {"W": 0, "T": 0, "L": 0}
            for p in plist:
                r, _ = mwu(best(results, "parzen-default", p.name, mark),
                           best(results, k, p.name, mark))
                c[r] += 1
            row.append("%d/%d/%d" % (c["W"], c["T"], c["L"]))
        w.append("| " + " | ".join(row) + " |")
    w.append("")
    # the targets
    if "optuna-default" in count:
        c = count["optuna-default"]
        verdict["optuna"] = (c["le"], n, c["le"] >= 0.75 * n)
    if "hyperopt-tpe" in count:
        c = count["hyperopt-tpe"]
        verdict["hyperopt"] = (c["le"], n, c["le"] == n)
    verdict["cat_losses"] = cat_losses
    return verdict


def median_tables(w, results, plist, mark):
    cols = [k for k, _, _, _ in SEQUENTIAL if k in results]
    titles = {k: t for k, t, _, _ in SEQUENTIAL}
    w.append("Median [interquartile range] after %d evaluations:" % mark)
    w.append("")
    head = ["problem"] + [titles[k] for k in cols]
    w.append("| " + " | ".join(head) + " |")
    w.append("|" + "---|" * len(head))
    for p in plist:
        row = [p.name]
        for k in cols:
            v = best(results, k, p.name, mark)
            row.append(cell(v) if v else "—")
        w.append("| " + " | ".join(row) + " |")
    w.append("")


def readme_rate(results, key, evals):
    v = best(results, key, "ho_readme", evals)
    if v is None:
        return None
    return sum(1 for x in v if x < 1.0), len(v)


def sequential_section(args, results, skipped, plist, marks, started):
    begin, end = markers("quality")
    w = [begin, "## Quality", ""]
    w.append(
        "The quality suite of `bench/quality/` (README.md there): %d "
        "problems, each a parzen space and a Python objective that every "
        "method evaluates alike. %d seeds per problem and method, %d "
        "evaluations each, sequential. The suite is split by a fixed rule "
        "(written down before any run) into a **validation half**, "
        "reported first, and a **tuning half**; parzen's defaults were "
        "chosen on the tuning half only. The figure per seed is the best "
        "loss found after 25, 50 and 100 evaluations (for the two noisy "
        "problems, the true loss of the trial with the lowest noisy loss). "
        "The tabular problems answer from tables of scikit-learn runs made "
        "once (`bench/quality/make_tables.py`), so their figures are those "
        "of the interpolated tables. Optuna converts unbounded priors to "
        "ranges of ±4 sigma (`bench/quality/run_optuna.py`); hyperopt runs "
        "from its 0.3.0 source with one fix (`run_hyperopt.py`). Seeded, "
        "Optuna and hyperopt give the same numbers on every run; when they "
        "ran in runs of their own (`--methods`, on the same machine and "
        "problem code), the table below names those runs."
        % (len(plist), args.seeds, args.evals))
    w.append("")
    w.append("- Command: `%s`" % " ".join(
        shlex.quote(a) for a in [PYTHON] + sys.argv))
    w.append("- Date: %s" % started.strftime("%Y-%m-%d %H:%M UTC"))
    w.append("- Machine: %d CPUs (nproc), %s; Linux %s; Python %s"
             % (os.cpu_count() or 0, cpu_model(), platform.release(),
                platform.python_version()))
    w.append("")
    w.append("| method | wall time | command |")
    w.append("|---|---|---|")
    for key, title, _, _ in SEQUENTIAL:
        if key in skipped:
            w.append("| %s | not run: %s | |" % (title, skipped[key]))
            continue
        _, wall, _, reused, cmd = results[key]
        shown = [os.path.relpath(c, ROOT) if os.path.isabs(c)
                 and c.startswith(ROOT) else c for c in cmd]
        w.append("| %s | %s s%s | `%s` |" % (
            title, "%.1f" % wall if wall < 100 else "%.0f" % wall,
            " (run on its own: %s)" % reused if reused else "",
            " ".join(shlex.quote(c) for c in shown)))
    w.append("")
    verdicts = {}
    for half in ("validation", "tuning"):
        hl = [p for p in plist if p.half == half]
        if hl:
            verdicts[half] = half_tables(w, results, hl, half, marks,
                                         skipped)
    if "parzen-default" not in results:
        w.append(end)
        return "\n".join(w) + "\n", verdicts
    # targets
    v = verdicts.get("validation")
    if v is not None:
        w.append("### Targets (validation half, best after 100 evaluations)")
        w.append("")
        if "optuna" in v:
            k, n, ok = v["optuna"]
            w.append("- At or below Optuna 3.1 default's median on ≥ 75%% "
                     "of problems: %d/%d (%.0f%%): **%s**."
                     % (k, n, 100.0 * k / n, "met" if ok else "missed"))
        if "hyperopt" in v:
            k, n, ok = v["hyperopt"]
            w.append("- At or below hyperopt's TPE median on all: %d/%d: "
                     "**%s**." % (k, n, "met" if ok else "missed"))
        else:
            w.append("- At or below hyperopt's TPE: not measured (%s)."
                     % skipped.get("hyperopt-tpe", "not run"))
        losses = v["cat_losses"]
        w.append("- No significant loss against Optuna default or hyperopt "
                 "on a problem with a categorical or conditional label: "
                 "**%s**%s." % ("met" if not losses else "missed",
                                "" if not losses else " (" + ", ".join(
                                    losses) + ")"))
        w.append("")
    if "parzen-hyperopt" in results and "hyperopt-tpe" in results:
        c = {"W": 0, "T": 0, "L": 0}
        diff = []
        for p in plist:
            r, _ = mwu(best(results, "parzen-hyperopt", p.name, 100),
                       best(results, "hyperopt-tpe", p.name, 100))
            c[r] += 1
            if r != "T":
                diff.append("%s (%s)" % (p.name, "lower" if r == "W"
                                         else "higher"))
        w.append("**The hyperopt preset against hyperopt 0.3.0** (best "
                 "after 100 evaluations, all %d problems, two-sided "
                 "Mann-Whitney U, p < 0.05): no significant difference on "
                 "%d; the preset lower on %d and higher on %d%s."
                 % (len(plist), c["T"], c["W"], c["L"],
                    ": " + ", ".join(diff) if diff else ""))
        w.append("")
    rates = [(t, readme_rate(results, k, args.evals))
             for k, t, _, _ in SEQUENTIAL if k in results]
    rates = [(t, r) for t, r in rates if r is not None]
    if rates:
        w.append("**hyperopt's README example** (`ho_readme`): seeds that "
                 "end in case 2 (best loss < 1) after %d evaluations: %s."
                 % (args.evals, "; ".join("%s %d/%d" % (t, r[0], r[1])
                                          for t, r in rates)))
        w.append("")
    w.append("### Earlier checkpoints")
    w.append("")
    for mark in marks:
        if mark == 100:
            continue
        for half in ("validation", "tuning"):
            hl = [p for p in plist if p.half == half]
            if hl:
                w.append("**%s half.** " % half.capitalize())
                median_tables(w, results, hl, mark)
    w.append("Raw results (every seed): `bench/out/quality-*.json`.")
    w.append(end)
    return "\n".join(w) + "\n", verdicts


# --- the parallel section ----------------------------------------------------

def close_enough(par, seq):
    """Median with workers within 10 % of the sequential median, or within
    one sequential IQR, or better."""
    m1, q1, q3 = summary(seq)
    mw = statistics.median(par)
    return mw <= m1 or mw - m1 <= 0.1 * abs(m1) or mw - m1 <= q3 - q1


def parallel_section(args, results, plist, started):
    begin, end = markers("quality-parallel")
    w = [begin, "## Quality with parallel workers", ""]
    w.append(
        "The same suite, %d seeds, best loss after %d finished trials, "
        "with W workers simulated in a fixed order: trial k is asked when "
        "trials 0..k-1 have been asked and 0..k-W told, so it sees W-1 "
        "pending trials (parzen: `bench/quality --workers W`, the constant "
        "liar of `pending: \"liar\"`; Optuna: ask/tell with "
        "`TPESampler(constant_liar=True)`, the same order). W = 1 is the "
        "sequential run (for Optuna its default sampler, which is the same "
        "with no trial pending). \"close\" = the median with 8 workers is "
        "at or below the sequential median, or above it by at most 10 %% "
        "of its absolute value or by at most one sequential interquartile "
        "range." % (args.seeds, args.evals))
    w.append("")
    w.append("- Command: `%s`" % " ".join(
        shlex.quote(a) for a in [PYTHON] + sys.argv))
    w.append("- Date: %s" % started.strftime("%Y-%m-%d %H:%M UTC"))
    w.append("")
    cols = [("parzen-default", "parzen W=1"), ("parzen-default-w4", "W=4"),
            ("parzen-default-w8", "W=8"),
            ("optuna-default", "Optuna W=1"), ("optuna-liar-w4", "W=4"),
            ("optuna-liar-w8", "W=8")]
    cols = [(k, t) for k, t in cols if k in results]
    verdicts = {}
    for half in ("validation", "tuning"):
        hl = [p for p in plist if p.half == half]
        if not hl:
            continue
        w.append("### %s half" % half.capitalize())
        w.append("")
        head = ["problem"] + [t for _, t in cols] + ["parzen W=8 close",
                                                     "Optuna W=8 close"]
        w.append("| " + " | ".join(head) + " |")
        w.append("|" + "---|" * len(head))
        ok = {"parzen": 0, "optuna": 0}
        for p in hl:
            row = [p.name]
            for k, _ in cols:
                v = best(results, k, p.name, args.evals)
                row.append(cell(v) if v else "—")
            for who, k1, k8 in (("parzen", "parzen-default",
                                 "parzen-default-w8"),
                                ("optuna", "optuna-default",
                                 "optuna-liar-w8")):
                s, par = (best(results, k1, p.name, args.evals),
                          best(results, k8, p.name, args.evals))
                if s and par:
                    c = close_enough(par, s)
                    ok[who] += c
                    row.append("✓" if c else "✗")
                else:
                    row.append("—")
            w.append("| " + " | ".join(row) + " |")
        n = len(hl)
        w.append("")
        w.append("**8 workers close to sequential: parzen %d/%d (%.0f%%), "
                 "Optuna %d/%d (%.0f%%).**" % (
                     ok["parzen"], n, 100.0 * ok["parzen"] / n,
                     ok["optuna"], n, 100.0 * ok["optuna"] / n))
        w.append("")
        verdicts[half] = (ok["parzen"], n)
    tot = sum(v[0] for v in verdicts.values())
    n = sum(v[1] for v in verdicts.values())
    if n:
        w.append("Target: with 8 workers, within 10%% (or one IQR) of the "
                 "sequential median on ≥ 80%% of problems: %d/%d (%.0f%%) "
                 "over both halves: **%s**." % (
                     tot, n, 100.0 * tot / n,
                     "met" if tot >= 0.8 * n else "missed"))
        w.append("")
    w.append(end)
    return "\n".join(w) + "\n", verdicts


# --- main --------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build", nargs="?", default="build",
                    help="meson build directory (default: build)")
    ap.add_argument("--part", choices=("sequential", "parallel", "all"),
                    default="sequential")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--evals", type=int, default=100)
    ap.add_argument("--half", choices=("tuning", "validation"))
    ap.add_argument("--only", default="")
    ap.add_argument("--hyperopt-src", default=os.environ.get("HYPEROPT_SRC"))
    ap.add_argument("--no-peers", action="store_true",
                    help="parzen only (no Optuna, no hyperopt)")
    ap.add_argument("--reuse-peers", action="store_true",
                    help="take Optuna's and hyperopt's results from saved "
                    "runs with the same seeds, evals and problems")
    ap.add_argument("--methods", default="",
                    help="comma-separated method keys to run now (e.g. "
                    "optuna-hyperopt,hyperopt-tpe); the other methods of "
                    "the part come from saved runs with the same seeds, "
                    "evals and problems (bench/out), so that a long "
                    "comparison can run in pieces")
    ap.add_argument("--no-write", action="store_true",
                    help="print the section, leave RESULTS.md alone")
    args = ap.parse_args()
    build = args.build
    if not os.path.isdir(build) and os.path.isdir(os.path.join(ROOT, build)):
        build = os.path.join(ROOT, build)
    build = os.path.abspath(build)
    if not os.access(os.path.join(build, "bench", "quality"), os.X_OK):
        sys.exit("quality.py: no %s/bench/quality; build first: "
                 "meson setup %s && meson compile -C %s" % (build, build,
                                                            build))
    try:
        plist = problems.select(args.only, args.half)
    except KeyError as e:
        ap.error(str(e))
    missing = [p.name for p in plist if p.fmin is None]
    if missing:
        sys.exit("quality.py: no table for %s: run "
                 "bench/quality/make_tables.py" % ", ".join(missing))
    names = [p.name for p in plist]
    started = datetime.datetime.now(datetime.timezone.utc)
    marks = [m for m in (25, 50, 100) if m <= args.evals]

    def peer(key):
        return not key.startswith("parzen")

    chosen = [k for k in args.methods.split(",") if k]
    known = [m[0] for m in SEQUENTIAL + PARALLEL]
    for k in chosen:
        if k not in known:
            ap.error("--methods: no method %s (known: %s)"
                     % (k, ", ".join(known)))

    def reuse(key):
        if chosen:
            return key not in chosen
        return args.reuse_peers and peer(key)

    seq = [m for m in SEQUENTIAL if not (args.no_peers and peer(m[0]))]
    par = [m for m in PARALLEL if not (args.no_peers and peer(m[0]))]
    texts = []
    if args.part in ("sequential", "all"):
        results, skipped = gather(seq, build, args, names, started, reuse,
                                  lambda k: bool(chosen) and k not in chosen)
        text, _ = sequential_section(args, results, skipped, plist, marks,
                                     started)
        texts.append(("quality", text))
    if args.part in ("parallel", "all"):
        base = [m for m in seq if m[0] in ("parzen-default",
                                           "optuna-default")]
        # parzen is rerun (seconds); a saved sequential peer run is
        # reused (seeded, it would give the same numbers).
        results, _ = gather(base, build, args, names, started, peer,
                            lambda k: bool(chosen) and peer(k))
        more, _ = gather(par, build, args, names, started, reuse,
                         lambda k: bool(chosen) and k not in chosen)
        results.update(more)
        text, _ = parallel_section(args, results, plist, started)
        texts.append(("quality-parallel", text))
    for name, text in texts:
        sys.stdout.write(text)
        if not args.no_write:
            write_section(name, text, os.path.join(HERE, "RESULTS.md"))
    if not args.no_write:
        print("wrote bench/RESULTS.md")


if __name__ == "__main__":
    main()
