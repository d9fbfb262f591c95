#!/usr/bin/python3
"""Optuna's side of the pruning benchmark, on the same recorded curves.

    /usr/bin/python3 bench/pruning/optuna_pruning.py --curves FILE
        --pruner none|median|hyperband|sha [--seeds N] [--budget EPOCHS]

Runs optuna.samplers.TPESampler(seed=s) (Debian's python3-optuna, 3.1)
with one of Optuna's pruners over the configurations of a curves table
(gen_curves.py), exactly as bench/pruning/pruning.c runs parzen: a
sequential search; trial k picks a configuration (an ordinal param is
suggest_int over its value indices, a categorical one
suggest_categorical over them, the same space parzen searches),
"trains" by reading its curve one epoch at a time, reports the epoch's
validation loss at step = epochs done (1..E) and asks should_prune();
every epoch counts against the budget, and the search stops when it is
spent. A pruned trial is told PRUNED (Optuna's TPE then uses its
intermediate values as it always does); a finished one is told its last
value.

Pruners, with the settings pruning.py gives parzen's matching ones:
  none       NopPruner()
  median     MedianPruner()  (n_startup_trials 5, n_warmup_steps 0,
             interval_steps 1)
  hyperband  HyperbandPruner(min_resource=1, max_resource=E,
             reduction_factor=3)
  sha        SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)

Output: one JSON line in the format of bench/pruning/pruning.c.
"""
import argparse
import json
import logging
import math
import sys
import time
import warnings

import optuna
from optuna.trial import TrialState

MAGIC = "# parzen pruning curves 1"


def load_table(path):
    with open(path) as f:
        lines = f.read().splitlines()
    if len(lines) < 2 or lines[0] != MAGIC:
        sys.exit("optuna_pruning.py: %s: not a curves table" % path)
    head = json.loads(lines[1])
    rows = {}
    for s in lines[2:]:
        if s.strip():
            parts = s.split()
            rows[int(parts[0])] = [float(x) for x in parts[1:]]
    return head, rows


def make_pruner(name, epochs):
    if name == "none":
        return optuna.pruners.NopPruner()
    if name == "median":
        return optuna.pruners.MedianPruner()
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=epochs, reduction_factor=3)
    if name == "sha":
        return optuna.pruners.SuccessiveHalvingPruner(
            min_resource=1, reduction_factor=3)
    raise ValueError(name)


def run_seed(head, rows, pruner_name, seed, budget):
    epochs_per_trial = head["epochs"]
    params = head["params"]
    study = optuna.create_study(
        study_name="pruning-%d" % seed,
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=make_pruner(pruner_name, epochs_per_trial))
    spent = 0
    best = math.inf
    trace = []
    trials = finished = pruned = 0
    while spent < budget:
        trial = study.ask()
        index = 0
        for p in params:
            n = len(p["values"])
            if p["kind"] == "categorical":
                i = trial.suggest_categorical(p["label"], list(range(n)))
            else:
                i = trial.suggest_int(p["label"], 0, n - 1)
            index = index * n + i
        curve = rows[index]
        trials += 1
        stopped = False
        e = 0
        while e < epochs_per_trial and spent < budget:
            e += 1
            spent += 1
            trial.report(curve[e - 1], e)
            if trial.should_prune():
                stopped = True
                break
        if stopped:
            pruned += 1
            study.tell(trial, state=TrialState.PRUNED)
        elif e == epochs_per_trial:
            finished += 1
            last = curve[-1]
            study.tell(trial, last)
            if last < best:
                best = last
                trace.append([spent, last])
        else:
            study.tell(trial, state=TrialState.FAIL)  # cut off by budget
    return {"seed": seed, "trials": trials, "finished": finished,
            "pruned": pruned, "epochs": spent,
            "best": best if math.isfinite(best) else None, "trace": trace}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--curves", required=True)
    ap.add_argument("--pruner", required=True,
                    choices=["none", "median", "hyperband", "sha"])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--budget", type=int, default=0,
                    help="epochs (default: 100 trials' worth)")
    args = ap.parse_args()
    optuna.logging.set_verbosity(logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.
                            ExperimentalWarning)
    head, rows = load_table(args.curves)
    budget = args.budget or 100 * head["epochs"]
    t0 = time.monotonic()
    runs = []
    for seed in range(args.seeds):
        runs.append(run_seed(head, rows, args.pruner, seed, budget))
        print("optuna %s %s seed %d: %d trials, best %s" % (
            head["task"], args.pruner, seed, runs[-1]["trials"],
            runs[-1]["best"]), file=sys.stderr, flush=True)
    print(json.dumps({
        "task": head["task"], "epochs_per_trial": head["epochs"],
        "pruner": args.pruner, "optuna": optuna.__version__,
        "budget": budget, "seeds": args.seeds, "runs": runs,
        "seconds": time.monotonic() - t0}))


if __name__ == "__main__":
    main()
