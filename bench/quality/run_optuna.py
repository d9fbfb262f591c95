#!/usr/bin/python3
"""Optuna's TPE on the quality suite, in bench/quality's output format.

    /usr/bin/python3 bench/quality/run_optuna.py --variant default|hyperopt|liar
        [--seeds N] [--seed0 S] [--evals N] [--workers W]
        [--only NAME,...] [--half tuning|validation]

Variants: `TPESampler(seed=s)` ("default", Optuna 3.1's default, univariate),
`TPESampler(seed=s, **TPESampler.hyperopt_parameters())` ("hyperopt") and
`TPESampler(seed=s, constant_liar=True)` ("liar", for parallel workers).
With --workers W the ask/tell protocol keeps W trials in flight in the
fixed order of bench/quality: before trial k (k >= W) is asked, trial k - W
is told.

The objectives are those of problems.py, given the same point (hyperopt's
space_eval result). Optuna has no unbounded priors, no quantized log float
and no [low, high) integer, so a parzen space is converted, define by run:

    uniform(lo, hi)          suggest_float(lo, hi)
    quniform(lo, hi, q)      suggest_float(lo, hi, step=q)
    loguniform(lo, hi)       suggest_float(e^lo, e^hi, log=True)
    qloguniform(lo, hi, q)   suggest_float(e^lo, e^hi, log=True), rounded
                             to a multiple of q (half to even) in the point
    normal(mu, s)            suggest_float(mu - 4s, mu + 4s)
    qnormal(mu, s, q)        suggest_float on the multiples of q within
                             mu -/+ 4s, step=q
    lognormal(mu, s)         suggest_float(e^(mu-4s), e^(mu+4s), log=True)
    qlognormal(mu, s, q)     the same, rounded to a multiple of q
    randint(lo, hi)          suggest_int(lo, hi - 1)
    uniformint(lo, hi)       suggest_int(lo, hi)
    choice, pchoice          suggest_categorical over the option indices
                             (pchoice's probabilities are dropped); the
                             chosen option is converted in turn, so labels
                             of other options are never suggested
    $fn nodes                computed from their converted arguments

Output: one JSON line per problem on stdout; progress on stderr.
"""
import argparse
import json
import logging
import math
import os
import sys
import time
import warnings

import optuna

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import problems  # noqa: E402

SIGMAS = 4.0  # the half-width of an unbounded prior's range, in sigmas


def _q_round(x, q):
    return round(x / q) * q  # Python's round is half to even, as numpy's


def _fn(name, a):
    if name == "int":
        return int(a[0])
    if name == "float":
        return float(a[0])
    if name == "neg":
        return -a[0]
    if name == "add":
        return sum(a)
    if name == "mul":
        return math.prod(a)
    if name == "sub":
        return a[0] - a[1]
    if name == "div":
        return a[0] / a[1]
    if name == "pow":
        return a[0] ** a[1]
    raise ValueError("unknown $fn %s" % name)


def suggest(trial, node):
    """The point for `node` (a parzen space document), built with
    `trial`."""
    if isinstance(node, list):
        return [suggest(trial, v) for v in node]
    if not isinstance(node, dict):
        return node
    if "$fn" in node:
        return _fn(node["$fn"], [suggest(trial, v) for v in node["args"]])
    if "$hp" not in node:
        return {k: suggest(trial, v) for k, v in node.items()}
    kind, label = node["$hp"], node["label"]
    sf = trial.suggest_float
    if kind == "uniform":
        return sf(label, node["low"], node["high"])
    if kind == "quniform":
        return sf(label, node["low"], node["high"], step=node["q"])
    if kind == "loguniform":
        return sf(label, math.exp(node["low"]), math.exp(node["high"]),
                  log=True)
    if kind == "qloguniform":
        return _q_round(sf(label, math.exp(node["low"]),
                           math.exp(node["high"]), log=True), node["q"])
    if kind in ("normal", "qnormal"):
        lo = node["mu"] - SIGMAS * node["sigma"]
        hi = node["mu"] + SIGMAS * node["sigma"]
        if kind == "normal":
            return sf(label, lo, hi)
        q = node["q"]
        lo = math.ceil(lo / q) * q
        return sf(label, lo, lo + math.floor((hi - lo) / q) * q, step=q)
    if kind in ("lognormal", "qlognormal"):
        x = sf(label, math.exp(node["mu"] - SIGMAS * node["sigma"]),
               math.exp(node["mu"] + SIGMAS * node["sigma"]), log=True)
        return x if kind == "lognormal" else _q_round(x, node["q"])
    if kind == "randint":
        return trial.suggest_int(label, int(node.get("low", 0)),
                                 int(node["high"]) - 1)
    if kind == "uniformint":
        return trial.suggest_int(label, int(node["low"]), int(node["high"]))
    if kind in ("choice", "pchoice"):
        options = node["options"]
        i = trial.suggest_categorical(label, list(range(len(options))))
        return suggest(trial, options[i])
    raise ValueError("%s: unknown $hp %s" % (label, kind))


def make_sampler(variant, seed):
    TPE = optuna.samplers.TPESampler
    if variant == "hyperopt":
        return TPE(seed=seed, **TPE.hyperopt_parameters())
    if variant == "liar":
        return TPE(seed=seed, constant_liar=True)
    return TPE(seed=seed)


def run_seed(p, variant, seed, evals, workers):
    study = optuna.create_study(direction="minimize",
                                sampler=make_sampler(variant, seed))
    obs, true, flight = [], [], []
    for k in range(evals):
        if len(flight) == workers:
            t, loss = flight.pop(0)
            study.tell(t, loss)
        trial = study.ask()
        o, v = p.evaluate(suggest(trial, p.space), seed, trial.number)
        obs.append(o)
        true.append(v)
        flight.append((trial, o))
    for t, loss in flight:
        study.tell(t, loss)
    return common.figures(obs, true, common.checkpoints(evals))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variant", choices=("default", "hyperopt", "liar"),
                    default="default")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--seed0", type=int, default=0)
    ap.add_argument("--evals", type=int, default=100)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--only", default="")
    ap.add_argument("--half", choices=("tuning", "validation"))
    args = ap.parse_args()
    if args.seeds < 1 or args.evals < 1 or args.workers < 1:
        ap.error("--seeds, --evals and --workers must be at least 1")
    try:
        chosen = problems.select(args.only, args.half)
    except KeyError as e:
        ap.error(str(e))

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna.logging.disable_default_handler()
    logging.getLogger("optuna").setLevel(logging.ERROR)
    # hyperopt_parameters(), constant_liar and step= warn as experimental.
    warnings.filterwarnings(
        "ignore", category=optuna.exceptions.ExperimentalWarning)
    # quniform(0, 10, 3) has the grid 0..9 in both conventions.
    warnings.filterwarnings("ignore", message="The distribution is "
                            "specified by")

    config = {"variant": args.variant, "optuna": optuna.__version__}
    for p in chosen:
        t0 = time.monotonic()
        per_seed = []
        for s in range(args.seeds):
            per_seed.append(run_seed(p, args.variant, args.seed0 + s,
                                     args.evals, args.workers))
        seconds = time.monotonic() - t0
        print("optuna %s w%d %s: %d seeds, %.1f s" % (
            args.variant, args.workers, p.name, args.seeds, seconds),
            file=sys.stderr, flush=True)
        print(json.dumps(common.result_line(
            p, "optuna-tpe", config, args.workers, args.seeds, args.seed0,
            args.evals, per_seed, seconds)), flush=True)


if __name__ == "__main__":
    main()
