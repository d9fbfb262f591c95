#!/usr/bin/python3
"""Run the pruning benchmark and write its section of bench/RESULTS.md.

    /usr/bin/python3 bench/pruning/pruning.py [BUILD_DIR] [--seeds N]
        [--budget-trials N] [--tasks digits,synth]
        [--no-optuna | --reuse-optuna]

On each task's recorded learning curves (bench/pruning/curves-TASK.txt,
made by gen_curves.py from real sklearn training; see there), runs
sequential TPE searches at an equal total budget of epochs (default 100
full trials' worth, 2,700 epochs for 27-epoch curves), seeds 0..19:

  parzen   BUILD_DIR/bench/pruning/pruning with pruner none, median,
           asha and hyperband; each pruner four times: with pruned
           trials told to the TPE as parzend tells them (pruned at their
           last step with their last value, which the TPE ranks as
           Optuna's does), the same with the TPE's pruned_in_n (the good
           set's size taken of ok + pruned trials, Optuna's n), and, for
           comparison, as failed (what parzend did before) and as OK with
           their last value
  Optuna   bench/pruning/optuna_pruning.py: TPESampler with NopPruner,
           MedianPruner, SuccessiveHalvingPruner, HyperbandPruner

and reports, per task, medians over seeds of the best final validation
loss (of a trial that ran every epoch) at 25 %, 50 % and 100 % of the
budget, and of the epochs needed to reach the target: the median best
final loss of parzen without pruning at the full budget. Because the
curves are replayed from the table, 20 seeds of every method take
seconds for parzen and minutes for Optuna, instead of the hours the
training would. The raw runs go to bench/out/pruning-*.json;
--reuse-optuna takes Optuna's from there (they are seeded, so a re-run
gives the same numbers).

Standard library only. A benchmark, not a test: it fails only when a run
fails, never on the numbers.
"""
import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
from results import cpu_model, markers, write_section  # noqa: E402

PYTHON = "/usr/bin/python3"
BEGIN, END = markers("pruning")


def parzen_pruners(epochs):
    return [
        ("none", {"kind": "none"}),
        ("median", {"kind": "median"}),
        ("asha", {"kind": "asha", "min_resource": 1,
                  "reduction_factor": 3}),
        ("hyperband", {"kind": "hyperband", "min_resource": 1,
                       "max_resource": epochs, "reduction_factor": 3}),
    ]


# parzen pruner -> Optuna's matching one
MATCH = {"none": "none", "median": "median", "asha": "sha",
         "hyperband": "hyperband"}
OPTUNA_TITLES = {"none": "Optuna, no pruning",
                 "median": "Optuna MedianPruner",
                 "sha": "Optuna SuccessiveHalvingPruner",
                 "hyperband": "Optuna HyperbandPruner"}


def table_epochs(path):
    with open(path) as f:
        f.readline()
        return json.loads(f.readline())["epochs"]


# How a pruned trial is told to the TPE: --pruned-as of
# bench/pruning/pruning, and a TPE config. "pruned" is parzend's own
# behaviour; "optn" the same with pruned_in_n (Optuna's n); the others
# are comparisons.
AS_TITLES = {"pruned": None, "optn": "pruned_in_n: Optuna's n",
             "fail": "pruned as failed", "last": "pruned as last value"}
AS_ARGS = {"pruned": ["--pruned-as", "pruned"],
           "optn": ["--pruned-as", "pruned", "--config",
                    '{"pruned_in_n":true}'],
           "fail": ["--pruned-as", "fail"],
           "last": ["--pruned-as", "last"]}
AS_SHORT = {"pruned": "pruned: parzend", "optn": "pruned, Optuna's n",
            "fail": "failed", "last": "last value"}


def method_title(name, as_):
    if name == "none":
        return "parzen, no pruning"
    if AS_TITLES[as_] is None:
        return "parzen %s" % name
    return "parzen %s (%s)" % (name, AS_TITLES[as_])


def methods(build, task, curves, args):
    """(key, title, command) of every method on one task."""
    epochs = table_epochs(curves)
    budget = args.budget_trials * epochs
    driver = os.path.join(build, "bench", "pruning", "pruning")
    common = ["--curves", curves, "--seeds", str(args.seeds),
              "--budget", str(budget)]
    out = []
    for name, cfg in parzen_pruners(epochs):
        text = json.dumps(cfg, separators=(",", ":"))
        for as_ in (["pruned"] if name == "none"
                    else ["pruned", "optn", "fail", "last"]):
            key = "parzen-%s" % name if name == "none" else \
                "parzen-%s-%s" % (name, as_)
            out.append((key, method_title(name, as_),
                        [driver, "--pruner", text] + AS_ARGS[as_]
                        + common))
    if not args.no_optuna:
        script = os.path.join(HERE, "optuna_pruning.py")
        for name in ("none", "median", "sha", "hyperband"):
            out.append(("optuna-%s" % name, OPTUNA_TITLES[name],
                        [PYTHON, script, "--pruner", name] + common))
    return out


def run(key, cmd):
    print("== %s" % " ".join(shlex.quote(c) for c in cmd),
          file=sys.stderr, flush=True)
    t0 = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        sys.exit("pruning.py: %s failed (exit status %d)"
                 % (key, proc.returncode))
    print("   %s: %.1f s" % (key, wall), file=sys.stderr, flush=True)
    return wall, json.loads(proc.stdout.strip().splitlines()[-1])


def out_path(task, key, args):
    tag = ""
    if args.seeds != 20 or args.budget_trials != 100:
        tag = "-s%d-b%d" % (args.seeds, args.budget_trials)
    return os.path.join(BENCH, "out", "pruning-%s-%s%s.json"
                        % (task, key, tag))


def best_at(run_, epochs):
    """Best final loss of one seed's run after `epochs` epochs (None if
    no trial had finished by then)."""
    best = None
    for e, b in run_["trace"]:
        if e <= epochs:
            best = b
    return best


def epochs_to(run_, target):
    """Epochs a seed's run needed to reach `target` (None: never)."""
    for e, b in run_["trace"]:
        if b <= target:
            return e
    return None


def median_of(values):
    """Median with None as +infinity (a seed that never got there);
    None if the median itself is such a seed."""
    inf = float("inf")
    m = statistics.median([inf if v is None else v for v in values])
    return None if m == inf else m


def fmt(x, digits=4):
    return "—" if x is None else "%.*g" % (digits, x)


def sig(x):
    """x to 4 significant digits, the precision of the curve table."""
    return None if x is None else float("%.4g" % x)


def summarize(result, budget, target):
    runs = result["runs"]
    s = {}
    for frac in (0.25, 0.5, 1.0):
        s[frac] = median_of([best_at(r, int(budget * frac)) for r in runs])
    reach = [epochs_to(r, target) for r in runs]
    s["to_target"] = median_of(reach)
    s["reached"] = sum(e is not None for e in reach)
    s["trials"] = statistics.median(r["trials"] for r in runs)
    s["finished"] = statistics.median(r["finished"] for r in runs)
    s["bests"] = [best_at(r, budget) for r in runs]
    s["bests"] = [float("inf") if v is None else v for v in s["bests"]]
    return s


def versus_section(versus):
    """Learning from pruned trials against telling them as failed, per
    task and pruner: best at half and full budget (lower is better),
    epochs to the target (fewer is better)."""
    w = ["### Learning from pruned trials, against pruned as failed", ""]
    w.append("The same searches with pruned trials as parzend now tells "
             "them to the TPE (parzen's default, and with pruned_in_n, "
             "Optuna's n), against told as failed (parzend's behaviour "
             "before); medians over seeds, and per seed (paired: the same "
             "seed, the same start-up draws). \"better\" counts the three "
             "measures where learning from pruned trials is ahead (best "
             "at 50 %, best at 100 %, epochs to target; 4 significant "
             "digits), \"worse\" those where it is behind.")
    w.append("")
    w.append("| task | pruner | TPE | best at 50 % (learning vs failed) "
             "| best at 100 % | epochs to target | seeds reaching it | "
             "seeds ending better / worse | better / worse |")
    w.append("|---|---|---|---|---|---|---|---|---|")
    tot = {}
    for task, name, as_, a, b in versus:
        better = worse = 0
        for k in (0.5, 1.0):
            x, y = sig(a[k]), sig(b[k])
            if x is not None and (y is None or x < y):
                better += 1
            elif y is not None and (x is None or x > y):
                worse += 1
        x, y = a["to_target"], b["to_target"]
        if x is not None and (y is None or x < y):
            better += 1
        elif y is not None and (x is None or x > y):
            worse += 1
        t = tot.setdefault(as_, [0, 0, 0, 0, 0])
        t[0] += better
        t[1] += worse
        t[2] += 3
        sb = sum(p < q for p, q in zip(a["bests"], b["bests"]))
        sw = sum(p > q for p, q in zip(a["bests"], b["bests"]))
        t[3] += sb
        t[4] += sw
        w.append("| %s | %s | %s | %s vs %s | %s vs %s | %s vs %s | %d vs "
                 "%d | %d / %d | %d / %d |" % (
                     task, name, "default" if as_ == "pruned"
                     else "pruned_in_n", fmt(a[0.5]), fmt(b[0.5]),
                     fmt(a[1.0]), fmt(b[1.0]),
                     "—" if x is None else "%d" % x,
                     "—" if y is None else "%d" % y, a["reached"],
                     b["reached"], sb, sw, better, worse))
    w.append("")
    for as_, t in tot.items():
        w.append("- %s, against pruned trials told as failed: ahead on %d "
                 "measures and behind on %d of %d; %d seeds ended better "
                 "and %d worse." % (
                     "parzen's default" if as_ == "pruned"
                     else "With pruned_in_n (Optuna's n)",
                     t[0], t[1], t[2], t[3], t[4]))
    w.append("")
    return w


def section(args, tasks, ran, results, started, no_optuna):
    w = [BEGIN, "## Pruning", ""]
    w.append(
        "Sequential TPE searches over recorded learning curves, at an "
        "equal total budget of epochs (%d full trials' worth), medians "
        "over %d seeds (0..%d). Every configuration of each task's grid "
        "was trained once, epoch by epoch, with scikit-learn "
        "(`bench/pruning/gen_curves.py`); a search replays a "
        "configuration's curve one epoch at a time, reports each epoch's "
        "validation log-loss at step = epochs done, and stops it when the "
        "pruner says so, so a pruned trial costs the epochs it ran. "
        "Replaying instead of training makes 20 seeds of every method "
        "take seconds (parzen) or minutes (Optuna) instead of hours; the "
        "curves are deterministic per configuration (one training run "
        "each), so the seeds vary the searches, not the training. "
        "\"best\" is the lowest last-epoch loss of a trial that ran every "
        "epoch; the target is parzen's no-pruning median best at the "
        "full budget. parzen's rows without a note are parzend's own "
        "behaviour: a pruned trial is told to the TPE as pruned at its "
        "last reported step with its last value, and the TPE ranks it as "
        "Optuna 3.1's does, below every ok trial and every trial pruned "
        "at a later step, by its value among those pruned at the same "
        "step (docs/space.md, \"Pruned trials\"); its good set's size is "
        "taken of the trials finished ok (of the pruned ones while none "
        "has), or with the TPE setting pruned_in_n of ok plus pruned "
        "trials, as Optuna's is (rows \"pruned_in_n\"). For comparison, "
        "the rows \"pruned as failed\" (what parzend did before) and "
        "\"pruned as last value\" (told as OK) replay the same searches "
        "with pruned trials told otherwise. In these searches a trial had "
        "always finished ok before the TPE's first suggestion, so the "
        "default's good set is that of \"pruned as failed\" and the two "
        "searches are the same, seed for seed; the default differs only "
        "while every trial so far was pruned."
        % (args.budget_trials, args.seeds, args.seeds - 1))
    w.append("")
    w.append("- Command: `%s`" % " ".join(
        shlex.quote(a) for a in [PYTHON] + sys.argv))
    w.append("- Date: %s" % started.strftime("%Y-%m-%d %H:%M UTC"))
    w.append("- Machine: %d CPUs (nproc), %s; Linux %s; Python %s"
             % (os.cpu_count() or 0, cpu_model(), platform.release(),
                platform.python_version()))
    w.append("- parzen pruners: `median` = `{\"kind\":\"median\"}` "
             "(Optuna's defaults: 5 start-up trials, no warm-up); `asha` "
             "= `{\"kind\":\"asha\",\"min_resource\":1,"
             "\"reduction_factor\":3}`; `hyperband` = "
             "`{\"kind\":\"hyperband\",\"min_resource\":1,"
             "\"max_resource\":27,\"reduction_factor\":3}`. Optuna: "
             "`MedianPruner()`, `SuccessiveHalvingPruner(min_resource=1, "
             "reduction_factor=3)`, `HyperbandPruner(min_resource=1, "
             "max_resource=27, reduction_factor=3)`; both samplers at "
             "their defaults.")
    w.append("")
    verdicts, versus = [], []
    for task, curves in tasks:
        res = results[task]
        any_key = next(iter(res))
        budget = res[any_key][1]["budget"]
        epochs = res[any_key][1]["epochs_per_trial"]
        target = sig(median_of([r["best"] for r in
                                res["parzen-none"][1]["runs"]]))
        w.append("### %s" % task)
        w.append("")
        with open(curves) as f:
            f.readline()
            head = json.loads(f.readline())
        n = 1
        for p in head["params"]:
            n *= len(p["values"])
        w.append("%s: %d configurations (%s), %d epochs each; budget %d "
                 "epochs; target %s."
                 % (os.path.relpath(curves, ROOT), n,
                    ", ".join("%s %d" % (p["label"], len(p["values"]))
                              for p in head["params"]),
                    epochs, budget, fmt(target)))
        w.append("")
        w.append("| method | best at 25 % | best at 50 % | best at 100 % "
                 "| epochs to target (fraction of budget) | seeds "
                 "reaching it | trials started | trials finished | "
                 "wall time |")
        w.append("|---|---|---|---|---|---|---|---|---|")
        sums = {}
        for key, title, _ in ran[task]:
            wall, result, reused = res[key]
            s = summarize(result, budget, target)
            sums[key] = s
            to = s["to_target"]
            w.append("| %s | %s | %s | %s | %s | %d/%d | %g | %g | %s |" % (
                title, fmt(s[0.25]), fmt(s[0.5]), fmt(s[1.0]),
                "—" if to is None else "%d (%.0f %%)" % (
                    to, 100.0 * to / budget),
                s["reached"], len(result["runs"]), s["trials"],
                s["finished"],
                "%.2f s" % wall if not reused else "(reused)"))
        w.append("")
        # The two targets.
        for name in ("median", "asha", "hyperband"):
            b = sums.get("parzen-%s-fail" % name)
            for as_ in ("pruned", "optn"):
                a = sums.get("parzen-%s-%s" % (name, as_))
                if a is not None and b is not None:
                    versus.append((task, name, as_, a, b))
            for as_ in ("pruned", "optn", "fail", "last"):
                key = "parzen-%s-%s" % (name, as_)
                if key not in sums:
                    continue
                to = sums[key]["to_target"]
                half = to is not None and to <= budget / 2
                okey = "optuna-%s" % MATCH[name]
                mine = sig(sums[key][1.0])
                if okey in sums:
                    theirs = sig(sums[okey][1.0])
                    cmp_ = ("%s vs %s: %s" % (
                        fmt(mine), fmt(theirs),
                        "at or better" if mine is not None and
                        theirs is not None and mine <= theirs
                        else "worse"))
                else:
                    cmp_ = "Optuna not run"
                verdicts.append((task, name, as_, half, to, budget, cmp_,
                                 OPTUNA_TITLES[MATCH[name]]))
    w.append("### Targets")
    w.append("")
    w.append("Target 1: with pruning, reach the no-pruning search's final "
             "quality (median best at the full budget) with at most 50 % "
             "of its epochs (median over seeds). Target 2: at equal budget, "
             "median best at or below Optuna's matching pruner (4 "
             "significant digits, the table's precision).")
    w.append("")
    w.append("| task | parzen pruner (pruned trials told as) | target 1: "
             "epochs to target | target 2: median best vs Optuna's | "
             "Optuna's pruner |")
    w.append("|---|---|---|---|---|")
    for task, name, as_, half, to, budget, cmp_, otitle in verdicts:
        w.append("| %s | %s (%s) | %s %s | %s | %s |" % (
            task, name, AS_SHORT[as_],
            "✓" if half else "✗",
            "never" if to is None else "%d of %d (%.0f %%)" % (
                to, budget, 100.0 * to / budget),
            ("✓ " if "at or better" in cmp_ else
             "✗ " if "worse" in cmp_ else "") + cmp_, otitle))
    w.append("")
    if versus:
        w.extend(versus_section(versus))
    lat = results.get("latency")
    if lat is not None:
        w.append("### Cost of a decision at scale")
        w.append("")
        w.append("`%s`: a study of %d trials x %d steps (%d reports, "
                 "synthetic curves); adding them one at a time took %.0f "
                 "ns per report and the store holds %.1f MB (%.0f bytes "
                 "per report, with the slack of arrays that grow by "
                 "doubling). Then one more trial reports every step and "
                 "is judged each time (time per decision, microseconds; "
                 "a shared, loaded machine, so read the order of "
                 "magnitude):" % (
                     " ".join(lat["command"]), lat["trials"], lat["steps"],
                     lat["reports"], lat["add_ns_per_report"],
                     lat["bytes"] / 1e6, lat["bytes_per_report"]))
        w.append("")
        w.append("| pruner | mean | max |")
        w.append("|---|---|---|")
        for k, v in lat["decide_us_per_report"].items():
            w.append("| %s | %.1f | %.0f |" % (k, v["mean"], v["max"]))
        w.append("")
    w.append("Raw runs (every seed, with the trace of the best loss "
             "against epochs): `bench/out/pruning-*.json`.")
    w.append(END)
    return "\n".join(w) + "\n"


def main():
    ap = argparse.ArgumentParser(
        description="Run the pruning benchmark; write bench/RESULTS.md.")
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--budget-trials", type=int, default=100,
                    help="budget in full trials' worth of epochs")
    ap.add_argument("--tasks", default="digits,synth")
    ap.add_argument("--no-optuna", action="store_true")
    ap.add_argument("--reuse-optuna", action="store_true")
    ap.add_argument("--no-write", action="store_true",
                    help="print the section; leave RESULTS.md alone")
    args = ap.parse_args()
    build = args.build
    if not os.path.isdir(build) and os.path.isdir(os.path.join(ROOT, build)):
        build = os.path.join(ROOT, build)
    build = os.path.abspath(build)
    if not os.access(os.path.join(build, "bench", "pruning", "pruning"),
                     os.X_OK):
        sys.exit("pruning.py: no %s/bench/pruning/pruning; build first"
                 % build)
    tasks = []
    for t in args.tasks.split(","):
        path = os.path.join(HERE, "curves-%s.txt" % t)
        if not os.path.exists(path):
            sys.exit("pruning.py: no %s; make it with "
                     "/usr/bin/python3 bench/pruning/gen_curves.py %s"
                     % (os.path.relpath(path), t))
        tasks.append((t, path))
    started = datetime.datetime.now(datetime.timezone.utc)
    os.makedirs(os.path.join(BENCH, "out"), exist_ok=True)
    ran, results = {}, {}
    for task, curves in tasks:
        ran[task] = methods(build, task, curves, args)
        results[task] = {}
        for key, title, cmd in ran[task]:
            path = out_path(task, key, args)
            if args.reuse_optuna and key.startswith("optuna-") and \
                    os.path.exists(path):
                with open(path) as f:
                    saved = json.load(f)
                results[task][key] = (saved["wall_seconds"],
                                      saved["result"], True)
                continue
            wall, result = run(key, cmd)
            results[task][key] = (wall, result, False)
            with open(path, "w") as f:
                json.dump({"method": title, "command": cmd,
                           "date": started.isoformat(timespec="seconds"),
                           "wall_seconds": wall, "result": result}, f)
                f.write("\n")
    lat_cmd = [os.path.join(build, "bench", "pruning", "prune_latency")]
    _, lat = run("latency", lat_cmd)
    lat["command"] = [os.path.relpath(lat_cmd[0], ROOT)]
    results["latency"] = lat
    text = section(args, tasks, ran, results, started, args.no_optuna)
    sys.stdout.write(text)
    if not args.no_write:
        write_section("pruning", text, os.path.join(BENCH, "RESULTS.md"))
        print("wrote bench/RESULTS.md", file=sys.stderr)


if __name__ == "__main__":
    main()
