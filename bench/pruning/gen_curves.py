#!/usr/bin/python3
"""Train every configuration of a grid epoch by epoch; write learning curves.

    /usr/bin/python3 bench/pruning/gen_curves.py TASK [--out FILE]
                                                 [--limit N]

The pruning benchmark (bench/pruning/) replays learning curves instead of
training during the search, so that 20 seeds of several searches run in
minutes: every configuration of a grid was trained once, here, with
scikit-learn, and its validation loss after each epoch was written to a
table. A search then "trains" a configuration by reading its row one
epoch at a time, so a pruned trial costs the epochs it ran, exactly as
a real one would, and every method sees the same curves.

Tasks (the grid of each is TASKS below):

  digits  sklearn MLPClassifier (SGD, Nesterov momentum) on the 8x8
          digits (1,797 images; 70 % train, 30 % validation, stratified,
          standardized), one hidden layer; 27 epochs of partial_fit.
  synth   MLPClassifier (Adam) on a fixed make_classification problem
          (3,000 samples, 40 features, 12 informative, 5 classes, 5 %
          flipped labels; 2/3 train, 1/3 validation), one or two hidden
          layers; 27 epochs.

The curve value is the validation log-loss after each epoch (clipped to
[0, 20] so that diverged runs stay finite). Weights are initialized with
random_state 0 and minibatches shuffled with the same generator, so a
configuration's curve is a deterministic function of the configuration:
the benchmark's seeds vary the searches, not the training.

Output: a text table, by default bench/pruning/curves-TASK.txt. Line 1
is "# parzen pruning curves 1", line 2 a JSON object describing the grid
({"task", "epochs", "metric", "params": [{"label", "kind", "values"}]}),
then one line per configuration: its index in the grid (mixed radix over
the params in order, the first param most significant) and the loss after
epochs 1..E, with 4 significant digits. A re-run appends only the missing
configurations, so an interrupted generation resumes. It took 20 minutes
(digits) and 11 minutes (synth) on a shared 2-core machine; the tables
are committed (240 KB of text together), so the benchmark itself needs
no scikit-learn.
"""
import argparse
import itertools
import json
import os
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
MAGIC = "# parzen pruning curves 1"
EPOCHS = 27


def log_grid(lo, hi, step):
    n = int(round((hi - lo) / step)) + 1
    return [float("%.6g" % 10 ** (lo + i * step)) for i in range(n)]


# kind "ordinal": ordered values (searched as an integer index);
# "categorical": unordered (searched as a choice).
TASKS = {
    "digits": {
        "metric": "validation log-loss",
        "params": [
            {"label": "lr", "kind": "ordinal",
             "values": log_grid(-3.5, 0.0, 0.5)},
            {"label": "momentum", "kind": "ordinal",
             "values": [0.0, 0.8, 0.9, 0.98]},
            {"label": "alpha", "kind": "ordinal",
             "values": log_grid(-5, -1, 1)},
            {"label": "hidden", "kind": "ordinal",
             "values": [16, 64, 256]},
            {"label": "batch", "kind": "categorical",
             "values": [32, 128]},
        ],
    },
    "synth": {
        "metric": "validation log-loss",
        "params": [
            {"label": "lr", "kind": "ordinal",
             "values": log_grid(-4, -1, 0.5)},
            {"label": "alpha", "kind": "ordinal",
             "values": log_grid(-5, -1, 1)},
            {"label": "width", "kind": "ordinal", "values": [8, 32, 128]},
            {"label": "depth", "kind": "categorical", "values": [1, 2]},
            {"label": "batch", "kind": "categorical", "values": [32, 256]},
        ],
    },
}


def data(task):
    if task == "digits":
        X, y = load_digits(return_X_y=True)
        Xtr, Xva, ytr, yva = train_test_split(
            X, y, test_size=0.3, random_state=0, stratify=y)
    else:
        X, y = make_classification(
            n_samples=3000, n_features=40, n_informative=12,
            n_redundant=8, n_classes=5, n_clusters_per_class=2,
            class_sep=0.8, flip_y=0.05, random_state=0)
        Xtr, Xva, ytr, yva = train_test_split(
            X, y, test_size=1 / 3, random_state=0, stratify=y)
    scaler = StandardScaler().fit(Xtr)
    return scaler.transform(Xtr), scaler.transform(Xva), ytr, yva


def model(task, cfg):
    if task == "digits":
        return MLPClassifier(
            hidden_layer_sizes=(cfg["hidden"],), solver="sgd",
            learning_rate_init=cfg["lr"], momentum=cfg["momentum"],
            nesterovs_momentum=cfg["momentum"] > 0, alpha=cfg["alpha"],
            batch_size=cfg["batch"], random_state=0)
    return MLPClassifier(
        hidden_layer_sizes=(cfg["width"],) * cfg["depth"], solver="adam",
        learning_rate_init=cfg["lr"], alpha=cfg["alpha"],
        batch_size=cfg["batch"], random_state=0)


def curve(task, cfg, Xtr, Xva, ytr, yva, classes):
    m = model(task, cfg)
    out = []
    for _ in range(EPOCHS):
        with np.errstate(all="ignore"):
            m.partial_fit(Xtr, ytr, classes=classes)
            p = m.predict_proba(Xva)
        if not np.all(np.isfinite(p)):
            loss = 20.0
        else:
            loss = min(log_loss(yva, p, labels=classes), 20.0)
        out.append(loss)
    return out


def done_indices(path, header):
    """Indices already in `path` (after checking its header matches)."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        lines = f.read().splitlines()
    if len(lines) < 2 or lines[0] != MAGIC or json.loads(lines[1]) != header:
        sys.exit("gen_curves.py: %s exists with another grid; remove it"
                 % path)
    return {int(s.split()[0]) for s in lines[2:] if s.strip()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("task", choices=sorted(TASKS))
    ap.add_argument("--out", help="default: bench/pruning/curves-TASK.txt")
    ap.add_argument("--limit", type=int, default=0,
                    help="stop after N new configurations (for a test)")
    args = ap.parse_args()
    spec = TASKS[args.task]
    header = {"task": args.task, "epochs": EPOCHS, "metric": spec["metric"],
              "params": spec["params"]}
    path = args.out or os.path.join(HERE, "curves-%s.txt" % args.task)
    done = done_indices(path, header)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    Xtr, Xva, ytr, yva = data(args.task)
    classes = np.unique(ytr)
    labels = [p["label"] for p in spec["params"]]
    grid = list(itertools.product(*[p["values"] for p in spec["params"]]))
    t0 = time.monotonic()
    n_new = 0
    with open(path, "a") as f:
        if done is None:
            f.write(MAGIC + "\n" + json.dumps(header) + "\n")
            done = set()
        for index, values in enumerate(grid):
            if index in done:
                continue
            cfg = dict(zip(labels, values))
            losses = curve(args.task, cfg, Xtr, Xva, ytr, yva, classes)
            f.write("%d %s\n" % (index, " ".join("%.4g" % v
                                                  for v in losses)))
            f.flush()
            n_new += 1
            if n_new % 50 == 0:
                print("%s: %d/%d configurations, %.0f s"
                      % (args.task, len(done) + n_new, len(grid),
                         time.monotonic() - t0), file=sys.stderr)
            if args.limit and n_new >= args.limit:
                break
    print("%s: %d configurations in %s (%d new, %.0f s)"
          % (args.task, len(done) + n_new, path, n_new,
             time.monotonic() - t0), file=sys.stderr)


if __name__ == "__main__":
    main()
