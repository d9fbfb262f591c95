#!/usr/bin/python3
"""hyperopt's TPE on the quality suite, in bench/quality's output format.

    HYPEROPT_SRC=/work/hyperopt-src /usr/bin/python3 bench/quality/run_hyperopt.py
        [--hyperopt-src DIR] [--algo tpe|rand] [--seeds N] [--seed0 S]
        [--evals N] [--only NAME,...] [--half tuning|validation]

hyperopt is not a Debian package: this imports it from a source tree
given by --hyperopt-src or $HYPEROPT_SRC (hyperopt 0.3.0 unpacked, with
numpy from Debian), and exits with status 3 when neither is set or the
import fails, so that bench/quality.py can skip the column with a note.
Nothing of hyperopt is copied here.

Each seed is one `fmin(objective, space, algo=tpe.suggest,
max_evals=EVALS, trials=Trials(), rstate=numpy.random.default_rng(seed))`
with hyperopt's defaults, sequential. The parzen space document is built
into hp.* expressions with the same arguments (hyperopt's own
conventions: log bounds in log space, randint [low, high)); `$fn` nodes
become pyll arithmetic. One change: the index of a choice goes through
scope.int before scope.switch, as hyperopt's upstream fix for numpy >=
1.24 does (commit 7a0bf58, "Convert hp.choice to native integer"); without
it hyperopt 0.3.0 fails on any choice with numpy 1.24.

Output: one JSON line per problem on stdout; progress on stderr.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import problems  # noqa: E402


def import_hyperopt(src):
    if not src:
        print("run_hyperopt.py: no hyperopt source (--hyperopt-src or "
              "HYPEROPT_SRC)", file=sys.stderr)
        sys.exit(3)
    sys.path.insert(0, src)
    try:
        import hyperopt  # noqa: F401
    except ImportError as e:
        print("run_hyperopt.py: cannot import hyperopt from %s: %s"
              % (src, e), file=sys.stderr)
        sys.exit(3)
    return hyperopt


def build(node, hp, scope):
    """hp.* expression for a parzen space document."""
    if isinstance(node, list):
        return [build(v, hp, scope) for v in node]
    if not isinstance(node, dict):
        return node
    if "$fn" in node:
        a = [build(v, hp, scope) for v in node["args"]]
        name = node["$fn"]
        if name == "int":
            return scope.int(a[0])
        if name == "float":
            return scope.float(a[0])
        if name == "neg":
            return -a[0]
        if name in ("add", "mul"):
            out = a[0]
            for x in a[1:]:
                out = out + x if name == "add" else out * x
            return out
        if name == "sub":
            return a[0] - a[1]
        if name == "div":
            return a[0] / a[1]
        if name == "pow":
            return a[0] ** a[1]
        raise ValueError("unknown $fn %s" % name)
    if "$hp" not in node:
        return {k: build(v, hp, scope) for k, v in node.items()}
    kind, label = node["$hp"], node["label"]
    if kind in ("uniform", "loguniform"):
        return getattr(hp, kind)(label, node["low"], node["high"])
    if kind in ("quniform", "qloguniform"):
        return getattr(hp, kind)(label, node["low"], node["high"], node["q"])
    if kind in ("normal", "lognormal"):
        return getattr(hp, kind)(label, node["mu"], node["sigma"])
    if kind in ("qnormal", "qlognormal"):
        return getattr(hp, kind)(label, node["mu"], node["sigma"], node["q"])
    if kind == "randint":
        return hp.randint(label, int(node.get("low", 0)), int(node["high"]))
    if kind == "uniformint":
        return hp.uniformint(label, int(node["low"]), int(node["high"]))
    options = [build(o, hp, scope) for o in node["options"]]
    if kind == "choice":
        index = scope.randint(len(options))
    elif kind == "pchoice":
        index = scope.categorical(node["p"])
    else:
        raise ValueError("%s: unknown $hp %s" % (label, kind))
    return scope.switch(scope.int(scope.hyperopt_param(label, index)),
                        *options)


def run_seed(ho, p, space, algo, seed, evals):
    import numpy as np

    count = [0]

    def objective(point):
        obs, true = p.evaluate(point, seed, count[0])
        count[0] += 1
        return {"loss": obs, "true_loss": true, "status": ho.STATUS_OK}

    trials = ho.Trials()
    ho.fmin(objective, space, algo=algo, max_evals=evals, trials=trials,
            rstate=np.random.default_rng(seed), show_progressbar=False)
    results = trials.results
    return common.figures([r["loss"] for r in results],
                          [r["true_loss"] for r in results],
                          common.checkpoints(evals))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hyperopt-src", default=os.environ.get("HYPEROPT_SRC"))
    ap.add_argument("--algo", choices=("tpe", "rand"), default="tpe")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--seed0", type=int, default=0)
    ap.add_argument("--evals", type=int, default=100)
    ap.add_argument("--only", default="")
    ap.add_argument("--half", choices=("tuning", "validation"))
    args = ap.parse_args()
    try:
        chosen = problems.select(args.only, args.half)
    except KeyError as e:
        ap.error(str(e))
    ho = import_hyperopt(args.hyperopt_src)
    import logging
    logging.getLogger("hyperopt").setLevel(logging.WARNING)
    from hyperopt import hp, rand, tpe
    from hyperopt.pyll import scope

    algo = tpe.suggest if args.algo == "tpe" else rand.suggest
    config = {"algo": args.algo, "hyperopt": ho.__version__,
              "source": os.path.abspath(args.hyperopt_src)}
    for p in chosen:
        space = build(p.space, hp, scope)
        t0 = time.monotonic()
        per_seed = [run_seed(ho, p, space, algo, args.seed0 + s, args.evals)
                    for s in range(args.seeds)]
        seconds = time.monotonic() - t0
        print("hyperopt %s %s: %d seeds, %.1f s" % (
            args.algo, p.name, args.seeds, seconds), file=sys.stderr,
            flush=True)
        print(json.dumps(common.result_line(
            p, "hyperopt-" + args.algo, config, 1, args.seeds, args.seed0,
            args.evals, per_seed, seconds)), flush=True)


if __name__ == "__main__":
    main()
