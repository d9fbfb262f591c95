#!/usr/bin/python3
"""Optuna on sqlite:/// with parallel worker processes, for comparison
with bench/throughput.

usage: optuna_throughput.py --db PATH --sampler random|tpe --workers N
                            [--seconds T]

Creates a fresh study in the SQLite file PATH (storage "sqlite:///PATH",
Optuna's default journal mode and synchronous setting), forks N worker
processes that load it and wait at a start barrier, then loop
study.ask() -> suggest the mixed10 space -> study.tell(loss) with a
zero-cost objective until the window closes. "ask" is study.ask() plus
the suggest_* calls (Optuna samples when a parameter is suggested), "tell"
is study.tell(). Prints one JSON line in bench/throughput's format on
stdout. Failed calls (e.g. "database is locked") are counted, not fatal.

mixed10 (bench/spaces/mixed10.json) converted as in ANCHORS.md:
uniform -> suggest_float; loguniform(lo, hi) -> suggest_float(e^lo, e^hi,
log=True); quniform(lo, hi, q) -> suggest_float(lo, hi, step=q); choice
-> suggest_categorical over option indices; Optuna has no normal prior,
so normal(mu, sigma) -> suggest_float(mu - 3 sigma, mu + 3 sigma).
"""
import argparse
import json
import logging
import math
import multiprocessing as mp
import os
import statistics
import sys
import time
import warnings

import optuna


def quiet():
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    optuna.logging.disable_default_handler()
    logging.getLogger("sqlalchemy").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")


def suggest(trial):
    p = [trial.suggest_float("x1", -5, 5),
         trial.suggest_float("x2", 0, 1),
         trial.suggest_float("lr", math.exp(-11.512925464970229), 1.0,
                             log=True),
         trial.suggest_float("wd", math.exp(-18.420680743952367),
                             math.exp(-2.302585092994046), log=True),
         trial.suggest_float("units", 16, 512, step=16),
         trial.suggest_float("layers", 1, 8, step=1),
         trial.suggest_categorical("act", [0, 1, 2, 3]),
         trial.suggest_categorical("opt", [0, 1, 2]),
         trial.suggest_float("init", -3, 3),
         trial.suggest_float("bias", -1.5, 1.5)]
    # The same cheap objective as bench/throughput.c.
    return sum(math.sin(0.37 * i + v) for i, v in enumerate(p))


def sampler(name, seed):
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def create(storage, name):
    quiet()
    optuna.create_study(study_name=name, storage=storage,
                        load_if_exists=True)


def work(storage, name, algo, w, ready, go, t_end, out):
    quiet()
    asks, tells, pairs, errors, t_last = [], [], [], 0, 0.0
    study = optuna.load_study(study_name=name, storage=storage,
                              sampler=sampler(algo, 1000 + w))
    ready.wait()
    go.wait()
    end = t_end.value
    while time.monotonic() < end:
        t0 = time.monotonic()
        try:
            trial = study.ask()
            loss = suggest(trial)
            t1 = time.monotonic()
            study.tell(trial, loss)
        except Exception:  # e.g. sqlite3 "database is locked"
            errors += 1
            continue
        t2 = time.monotonic()
        asks.append((t1 - t0) * 1e3)
        tells.append((t2 - t1) * 1e3)
        pairs.append((t2 - t0) * 1e3)
        t_last = t2
    out.put((asks, tells, pairs, errors, t_last))


def r3(x):
    return round(x, 3) if x is not None else None


def pct(v, p):
    v = sorted(v)
    return v[max(0, math.ceil(p * len(v)) - 1)] if v else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--sampler", choices=("random", "tpe"), required=True)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    storage = "sqlite:///" + os.path.abspath(args.db)
    name = "throughput-%s-%d" % (args.sampler, args.workers)
    ctx = mp.get_context("fork")
    # Create the study in a child so that no SQLAlchemy engine or SQLite
    # connection is open in the parent when the workers are forked.
    p = ctx.Process(target=create, args=(storage, name))
    p.start()
    p.join()
    ready = ctx.Barrier(args.workers + 1)
    go = ctx.Event()
    t_end = ctx.Value("d", 0.0)
    out = ctx.Queue()
    procs = [ctx.Process(target=work, args=(storage, name, args.sampler, w,
                                            ready, go, t_end, out))
             for w in range(args.workers)]
    for p in procs:
        p.start()
    ready.wait()
    t_start = time.monotonic()
    t_end.value = t_start + args.seconds
    go.set()
    res = [out.get() for _ in procs]
    for p in procs:
        p.join()
    asks = [x for r in res for x in r[0]]
    tells = [x for r in res for x in r[1]]
    pairs = [x for r in res for x in r[2]]
    elapsed = max(r[4] for r in res) - t_start if pairs else args.seconds
    print(json.dumps({
        "bench": "throughput", "system": "optuna " + optuna.__version__,
        "storage": "sqlite", "algo": args.sampler, "workers": args.workers,
        "trials": len(pairs), "seconds": round(elapsed, 3),
        "trials_per_s": round(len(pairs) / elapsed, 1),
        "ask_p50_ms": r3(pct(asks, 0.5)), "ask_p99_ms": r3(pct(asks, 0.99)),
        "tell_p50_ms": r3(pct(tells, 0.5)),
        "tell_p99_ms": r3(pct(tells, 0.99)),
        "ask_tell_p50_ms": r3(statistics.median(pairs)) if pairs else None,
        "errors": sum(r[3] for r in res)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
