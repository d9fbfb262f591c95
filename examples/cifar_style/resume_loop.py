#!/usr/bin/env python3
"""The CIFAR-style job run the way hyperopt's tutorial runs its optimizer.

hyperopt_optimize.py (guillaume-chevalier/Hyperopt-Keras-CNN-CIFAR-100)
keeps its search in a pickle: each step loads results.pkl (or starts from
scratch), asks fmin for one more evaluation (`max_evals =
len(trials.trials) + 1`) and pickles the trials back. This is that loop
around optimize.py's network and space, with only the import saying
parzen:

    /usr/bin/python3 examples/cifar_style/resume_loop.py      # one trial
    /usr/bin/python3 examples/cifar_style/resume_loop.py --forever

Run it as often as you like, kill it at any moment: a private Trials
pickles the whole search (space, algorithm, seed, every trial), so the
runs continue exactly: after N runs results.pkl holds what one process
running N evaluations would have. (optimize.py is the other way: a
persistent study in parzend that several processes share.)
"""
import argparse
import os
import pickle
import sys

# optimize.py sits next to this file (and puts python/ on the path when
# run from the source tree).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from optimize import make_objective, space  # noqa: E402
from parzen import Trials, fmin, tpe  # noqa: E402


def run_a_trial(args):
    """One step of the tutorial's loop: load, one more evaluation, save."""
    try:
        with open(args.results, "rb") as f:
            trials = pickle.load(f)
        max_evals = len(trials.trials) + args.evals
        print("Found saved Trials; rerunning from %d trials to add %d"
              % (len(trials.trials), args.evals), flush=True)
    except FileNotFoundError:
        # The tutorial catches every exception here; a pickle that does
        # not load is better reported than silently started over.
        trials = Trials()
        max_evals = args.evals
        print("Starting from scratch: new trials.", flush=True)
    fmin(make_objective(args.max_epochs, args.patience, args.trial_seconds),
         space, algo=tpe.suggest, trials=trials, max_evals=max_evals,
         rstate=args.seed, show_progressbar=False)
    # Atomically, so that a kill during the write leaves the old file.
    tmp = args.results + ".tmp"
    with open(tmp, "wb") as f:
        pickle.dump(trials, f)
    os.replace(tmp, args.results)
    best = trials.best_trial
    print("%d trials; best %d: validation accuracy %.4f (%s)"
          % (len(trials.trials), best["tid"], best["result"]["accuracy"],
             best["result"]["model"]), flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="hyperopt's tutorial loop on the CIFAR-style job: add "
                    "evaluations to the search pickled in --results.")
    ap.add_argument("--results", default="results.pkl",
                    help="the pickled Trials (default results.pkl)")
    ap.add_argument("--evals", type=int, default=1,
                    help="evaluations per step (the tutorial's nb_evals, 1)")
    ap.add_argument("--forever", action="store_true",
                    help="run steps one after another, as the tutorial's "
                         "main loop (stop it with Ctrl-C)")
    ap.add_argument("--max-epochs", type=int, default=100)
    ap.add_argument("--patience", type=int, default=10)
    ap.add_argument("--trial-seconds", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=None,
                    help="the seed of a new search (default: drawn, then "
                         "kept in the pickle)")
    args = ap.parse_args(argv)
    run_a_trial(args)
    while args.forever:
        run_a_trial(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
