#!/usr/bin/python3
"""How fast the Python package's hyperopt-compatible fmin runs, and
Optuna's in-memory optimize beside it; writes the "fmin" section of
bench/RESULTS.md.

usage: /usr/bin/python3 bench/fmin_rate.py [BUILD_DIR] [--reps N]
           [--random-trials N] [--tpe-trials N] [--no-optuna] [--no-write]

Two workloads, each timed --reps times (the median is reported):

- random: `fmin(lambda x: 0.0, hp.uniform('x', -2, 2),
  algo=rand.suggest, max_evals=N)`, a zero-cost objective, so the rate is
  fmin's own overhead: the space, the round trips to parzend, the Trials
  bookkeeping.
- tpe: `fmin(lambda x: x ** 2 - x + 1, hp.uniform('x', -2, 2),
  algo=tpe.suggest, max_evals=1000)`, the tutorial's function; the
  history grows to 1,000 trials, so later suggestions cost more.

fmin runs with a fresh `Trials()` each time: the process's private
parzend (started once, before the clock starts; --durability normal,
database in a temporary directory), without the progress bar. Optuna
(python3-optuna, if importable) runs the same objectives with
`optuna.create_study()` in memory, RandomSampler and TPESampler. hyperopt
is not installed here: its rates are the issue's, measured on a machine
of the same kind.

JSON lines go to stdout and bench/out/fmin.json. Standard library only
(plus the package in python/). Benchmarks report; they never fail on
time.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time

from results import HERE, machine, write_section

ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))

# The issue's reference rates (hyperopt 0.2's in-memory fmin, Optuna in
# memory), trials per second, measured on a machine of the same kind.
REF = {"random": {"hyperopt": 290, "optuna": 940},
       "tpe": {"hyperopt": 112}}


def zero(x):
    return 0.0


def quad(x):
    return x ** 2 - x + 1


def time_fmin(algo_name, n):
    from parzen import Trials, fmin, hp, rand, tpe
    algo = rand.suggest if algo_name == "random" else tpe.suggest
    fn = zero if algo_name == "random" else quad
    trials = Trials()
    t0 = time.perf_counter()
    best = fmin(fn, hp.uniform("x", -2, 2), algo=algo, max_evals=n,
                trials=trials, show_progressbar=False)
    dt = time.perf_counter() - t0
    assert len(trials) == n
    return dt, min(trials.losses()), best


def time_optuna(algo_name, n, seed):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if algo_name == "random":
        sampler, fn = optuna.samplers.RandomSampler(seed=seed), zero
    else:
        sampler, fn = optuna.samplers.TPESampler(seed=seed), quad
    study = optuna.create_study(sampler=sampler)
    t0 = time.perf_counter()
    study.optimize(lambda t: fn(t.suggest_float("x", -2, 2)), n_trials=n)
    return time.perf_counter() - t0, study.best_value


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--random-trials", type=int, default=20000)
    ap.add_argument("--tpe-trials", type=int, default=1000)
    ap.add_argument("--optuna-random-trials", type=int, default=5000)
    ap.add_argument("--no-optuna", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    binary = os.path.join(os.path.abspath(args.build), "daemon", "parzend")
    if not os.environ.get("PARZEND"):
        os.environ["PARZEND"] = binary
    from parzen import daemon as pdaemon
    pdaemon.private()  # start it before the clock

    out_dir = os.path.join(HERE, "out")
    os.makedirs(out_dir, exist_ok=True)
    rows = []

    def emit(row):
        rows.append(row)
        print(json.dumps(row), flush=True)

    workloads = (("random", args.random_trials), ("tpe", args.tpe_trials))
    for algo, n in workloads:
        for rep in range(args.reps):
            dt, best, _ = time_fmin(algo, n)
            emit({"tool": "parzen", "algo": algo, "trials": n, "rep": rep,
                  "seconds": dt, "rate": n / dt, "best_loss": best})
    optuna_version = None
    if not args.no_optuna:
        try:
            import optuna
            optuna_version = optuna.__version__
        except ImportError:
            print("optuna not importable: skipped", file=sys.stderr)
    if optuna_version:
        for algo, n in (("random", args.optuna_random_trials),
                        ("tpe", args.tpe_trials)):
            for rep in range(args.reps):
                dt, best = time_optuna(algo, n, rep)
                emit({"tool": "optuna", "algo": algo, "trials": n,
                      "rep": rep, "seconds": dt, "rate": n / dt,
                      "best_loss": best})
    with open(os.path.join(out_dir, "fmin.json"), "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    if not args.no_write:
        write_section("fmin", section(args, rows, optuna_version))


def median_rate(rows, tool, algo):
    rates = [r["rate"] for r in rows if r["tool"] == tool
             and r["algo"] == algo]
    return statistics.median(rates) if rates else None


def fmt(x):
    return "%s" % format(int(round(x)), ",") if x is not None else "n/a"


def section(args, rows, optuna_version):
    when = datetime.datetime.now(datetime.timezone.utc)
    p = {a: median_rate(rows, "parzen", a) for a in ("random", "tpe")}
    o = {a: median_rate(rows, "optuna", a) for a in ("random", "tpe")}
    lines = [
        "<!-- fmin:begin -->",
        "## fmin (Python package)",
        "",
        "Trials per second of `parzen.fmin` (the hyperopt-compatible front "
        "in `python/parzen`, on the process's private parzend) and of "
        "Optuna's in-memory `optimize`, median of %d runs. random: a "
        "zero-cost objective, `rand.suggest`, %s trials (Optuna %s); tpe: "
        "the tutorial's `x ** 2 - x + 1` over `hp.uniform('x', -2, 2)`, "
        "`tpe.suggest`, %s trials."
        % (args.reps, format(args.random_trials, ","),
           format(args.optuna_random_trials, ","),
           format(args.tpe_trials, ",")),
        "",
        "- Command: `/usr/bin/python3 bench/fmin_rate.py %s`"
        % os.path.relpath(os.path.abspath(args.build), ROOT),
        "- Date: %s" % when.strftime("%Y-%m-%d %H:%M UTC"),
        "- Machine: %s; Python %s%s" % (
            machine(), platform.python_version(),
            "; Optuna %s" % optuna_version if optuna_version else ""),
        "",
        "| workload | parzen fmin | Optuna in memory (here) | hyperopt fmin "
        "(ref) | Optuna in memory (ref) | target | parzen / hyperopt |",
        "|---|---|---|---|---|---|---|",
    ]
    target = {"random": ">= 3,000/s", "tpe": ">= 10x hyperopt (1,120/s)"}
    for a in ("random", "tpe"):
        ok = (p[a] >= 3000) if a == "random" else \
            (p[a] >= 10 * REF["tpe"]["hyperopt"])
        lines.append("| %s | %s/s | %s | %s/s | %s | %s %s | %.1fx |" % (
            a, fmt(p[a]), fmt(o[a]) + "/s" if o[a] else "n/a",
            fmt(REF[a]["hyperopt"]),
            fmt(REF[a].get("optuna")) + "/s" if REF[a].get("optuna")
            else "n/a",
            target[a], "met" if ok else "NOT met",
            p[a] / REF[a]["hyperopt"]))
    lines += [
        "",
        "Columns marked (ref) are the issue's numbers for hyperopt's "
        "in-memory fmin and for Optuna in memory, measured on a machine of "
        "the same kind, not here (hyperopt is not installed). Raw runs: "
        "`bench/out/fmin.json`.",
        "<!-- fmin:end -->",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
