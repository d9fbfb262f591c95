#!/usr/bin/python3
"""Optuna's TPE on the quality suite, for comparison with bench/quality.

Runs optuna.samplers.TPESampler (the Debian package python3-optuna, 3.1)
on the eight functions of the quality suite: 20 seeds x 100 evaluations
per function, in two variants, `TPESampler(seed=s)` ("default") and
`TPESampler(seed=s, **TPESampler.hyperopt_parameters())` ("hyperopt").

The spaces are the same parzen space documents bench/quality reads
(bench/spaces/quality/*.json). Optuna has no quantized log float and no
[low, high) integer, so a space is converted as ANCHORS.md describes:

    uniform(lo, hi)          suggest_float(lo, hi)
    quniform(lo, hi, q)      suggest_float(lo, hi, step=q)
    loguniform(lo, hi)       suggest_float(e^lo, e^hi, log=True)
    qloguniform(lo, hi, q)   suggest_float(e^lo, e^hi, log=True), rounded
                             to a multiple of q (half to even, as numpy)
                             when the point is built
    randint(lo, hi)          suggest_int(lo, hi - 1)
    choice(options)          suggest_categorical over the option indices;
                             the chosen option is then converted in turn,
                             so labels nested in other options are never
                             suggested (Optuna's define-by-run conditionals)

The objectives are those of bench/quality.c and take the same point
(hyperopt's space_eval result). Output: one JSON line per (variant,
function) in the format of bench/quality, on stdout; progress on stderr.
"""
import argparse
import json
import logging
import math
import os
import statistics
import sys
import time
import warnings

import optuna

SPACES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "spaces", "quality")
MARKS = (25, 50, 100)


def quad1d(x):
    return x ** 2 - x + 1


def sphere2d(p):
    return p["x"] ** 2 + p["y"] ** 2


def branin(p):
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return ((x2 - b * x1 ** 2 + c * x1 - 6) ** 2
            + 10 * (1 - t) * math.cos(x1) + 10)


_H_ALPHA = [1.0, 1.2, 3.0, 3.2]
_H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
_H_P = [[1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(p):
    x = [p["x%d" % i] for i in range(6)]
    total = 0.0
    for i in range(4):
        inner = sum(_H_A[i][j] * (x[j] - 1e-4 * _H_P[i][j]) ** 2
                    for j in range(6))
        total += _H_ALPHA[i] * math.exp(-inner)
    return -total


def rosenbrock4(p):
    x = [p["x%d" % i] for i in range(4)]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2
               for i in range(3))


def lr_momentum(p):
    return (math.log10(p["lr"]) + 3) ** 2 + 0.1 * (p["momentum"] - 0.9) ** 2


_CNN_ARCH = {1: (0.15, [96]), 2: (0.05, [64, 128]), 3: (0.08, [48, 96, 192])}
_CNN_LR = {"sgd": 1e-2, "adam": 1e-3, "rmsprop": 3e-4}


def cnn_conditional(p):
    a = p["arch"]
    base, wopt = _CNN_ARCH[int(a["n"])]
    scale = 0.1 / len(wopt)
    loss = 0.05 + base + sum(scale * math.log2(max(w, 1) / wo) ** 2
                             for w, wo in zip(a["w"], wopt))
    o = p["optimizer"]
    loss += 0.1 * (math.log10(p["lr"]) - math.log10(_CNN_LR[o["name"]])) ** 2
    if o["name"] == "sgd":
        loss += (0.02 + 0.2 * (o["momentum"] - 0.9) ** 2
                 - (0.01 if o["nesterov"] else 0.0))
    elif o["name"] == "adam":
        loss += 0.5 * (o["beta1"] - 0.9) ** 2
    else:
        loss += (0.03 + 0.3 * (o["rho"] - 0.9) ** 2
                 + (0.0 if o["centered"] else 0.01))
    loss += 0.2 * (p["dropout"] - 0.3) ** 2
    loss += 0.02 * math.log2(max(p["batch"], 1) / 64) ** 2
    loss += 0.3 / int(p["epochs"])
    return loss


def int_quantized(p):
    layers, units = int(p["layers"]), max(p["units"], 1)
    return (0.1 * (layers - 4) ** 2
            + 0.5 * math.log2(units * layers / 1280) ** 2
            + ((p["batch"] - 96) / 64) ** 2 + 0.05 * (p["k"] - 3) ** 2)


FUNCTIONS = {
    "quad1d": (quad1d, 0.75),
    "sphere2d": (sphere2d, 0.0),
    "branin": (branin, 0.397887),
    "hartmann6": (hartmann6, -3.32237),
    "rosenbrock4": (rosenbrock4, 0.0),
    "lr_momentum": (lr_momentum, 0.0),
    "cnn_conditional": (cnn_conditional, 0.106),
    "int_quantized": (int_quantized, 0.0),
}


def round_half_even(x, q):
    """hyperopt's quantization, numpy.round(x / q) * q."""
    return round(x / q) * q


def suggest(trial, node):
    """Build the point for `node` (a parzen space document) with `trial`."""
    if isinstance(node, list):
        return [suggest(trial, v) for v in node]
    if not isinstance(node, dict):
        return node
    if "$fn" in node:
        raise ValueError("function nodes are not used by the suite")
    if "$hp" not in node:
        return {k: suggest(trial, v) for k, v in node.items()}
    kind, label = node["$hp"], node["label"]
    if kind == "uniform":
        return trial.suggest_float(label, node["low"], node["high"])
    if kind == "quniform":
        return trial.suggest_float(label, node["low"], node["high"],
                                   step=node["q"])
    if kind == "loguniform":
        return trial.suggest_float(label, math.exp(node["low"]),
                                   math.exp(node["high"]), log=True)
    if kind == "qloguniform":
        x = trial.suggest_float(label, math.exp(node["low"]),
                                math.exp(node["high"]), log=True)
        return round_half_even(x, node["q"])
    if kind == "randint":
        return trial.suggest_int(label, int(node.get("low", 0)),
                                 int(node["high"]) - 1)
    if kind == "choice":
        options = node["options"]
        i = trial.suggest_categorical(label, list(range(len(options))))
        return suggest(trial, options[i])
    raise ValueError("%s: $hp %s is not used by the suite" % (label, kind))


def make_sampler(variant, seed):
    TPE = optuna.samplers.TPESampler
    if variant == "hyperopt":
        return TPE(seed=seed, **TPE.hyperopt_parameters())
    return TPE(seed=seed)


def run_seed(fn, space, variant, seed, evals, checkpoints):
    study = optuna.create_study(direction="minimize",
                                sampler=make_sampler(variant, seed))
    best, lowest = [], math.inf
    for k in range(evals):
        trial = study.ask()
        loss = fn(suggest(trial, space))
        study.tell(trial, loss)
        lowest = min(lowest, loss)
        if k + 1 in checkpoints:
            best.append(lowest)
    return best


def run_function(name, variant, seeds, evals):
    fn, fmin = FUNCTIONS[name]
    with open(os.path.join(SPACES, name + ".json")) as f:
        space = json.load(f)
    checkpoints = [m for m in MARKS if m <= evals]
    if not checkpoints or checkpoints[-1] != evals:
        checkpoints.append(evals)
    per_seed = []
    t0 = time.monotonic()
    for s in range(seeds):
        per_seed.append(run_seed(fn, space, variant, s, evals, checkpoints))
        print("optuna %s %s: seed %d/%d, %.1f s" % (
            variant, name, s + 1, seeds, time.monotonic() - t0),
            file=sys.stderr, flush=True)
    seconds = time.monotonic() - t0
    best = {str(c): [b[i] for b in per_seed]
            for i, c in enumerate(checkpoints)}
    return {
        "function": name,
        "fmin": fmin,
        "algo": "optuna-tpe",
        "config": {"variant": variant, "optuna": optuna.__version__},
        "seeds": seeds,
        "evals": evals,
        "checkpoints": checkpoints,
        "best": best,
        "median": {c: statistics.median(v) for c, v in best.items()},
        "seconds": seconds,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variant", choices=("default", "hyperopt", "both"),
                    default="both")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--evals", type=int, default=100)
    ap.add_argument("--only", default="",
                    help="comma-separated function names")
    args = ap.parse_args()
    names = [n for n in args.only.split(",") if n] or list(FUNCTIONS)
    for n in names:
        if n not in FUNCTIONS:
            ap.error("no function %s (known: %s)" % (n, ", ".join(FUNCTIONS)))
    if args.seeds < 1 or args.evals < 1:
        ap.error("--seeds and --evals must be at least 1")

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna.logging.disable_default_handler()
    logging.getLogger("optuna").setLevel(logging.ERROR)
    # hyperopt_parameters() and step= on a float warn as experimental.
    warnings.filterwarnings(
        "ignore", category=optuna.exceptions.ExperimentalWarning)

    variants = ("default", "hyperopt") if args.variant == "both" \
        else (args.variant,)
    for variant in variants:
        for name in names:
            line = run_function(name, variant, args.seeds, args.evals)
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
