#!/usr/bin/python3
"""Evaluate the tabular problems of the quality suite once, on their grids.

    nice /usr/bin/python3 bench/quality/make_tables.py [TASK ...]

For every task of problems.GRIDS (all by default), trains the scikit-learn
model at every grid point of every branch and writes the metric (lower is
better; problems.METRICS says which) to bench/quality/tables/TASK.json,
rounded to 6 significant digits. The searches of the benchmark then
answer from these tables (problems.Table), so that 20+ seeds cost
microseconds per evaluation. Everything is seeded: a rerun on the same
scikit-learn gives the same tables. One core (OMP/BLAS threads = 1); the
whole set takes about 20 to 30 minutes on the project's 2-core machine.

Needs /usr/bin/python3 with scikit-learn (Debian's python3-sklearn).
"""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn import datasets  # noqa: E402
from sklearn.ensemble import (GradientBoostingRegressor,  # noqa: E402
                              HistGradientBoostingClassifier,
                              RandomForestClassifier)
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402
from sklearn.model_selection import (KFold, RepeatedStratifiedKFold,  # noqa
                                     StratifiedKFold, cross_val_score,
                                     train_test_split)
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import MinMaxScaler, StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import problems  # noqa: E402

warnings.filterwarnings("ignore")


def digits_subset(n):
    X, y = datasets.load_digits(return_X_y=True)
    X = X / 16.0
    if n >= len(y):
        return X, y
    X, _, y, _ = train_test_split(X, y, train_size=n, random_state=0,
                                  stratify=y)
    return X, y


def task_svm_digits():
    X, y = digits_subset(900)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)

    def cell(branch, c):
        kw = {"C": c["C"]}
        if branch != "linear":
            kw["gamma"] = c["gamma"]
        if branch == "poly":
            kw["degree"] = int(c["degree"])
            kw["coef0"] = c["coef0"]
        model = SVC(kernel=branch, max_iter=200000, cache_size=500, **kw)
        return 1.0 - cross_val_score(model, X, y, cv=cv).mean()
    return cell


def task_mlp_digits():
    X, y = datasets.load_digits(return_X_y=True)
    X = X / 16.0
    Xtr, Xva, ytr, yva = train_test_split(X, y, train_size=600,
                                          random_state=0, stratify=y)
    memo = {}

    def cell(branch, c):
        opt, act, depth = branch.split("|")
        if opt == "sgd_nesterov" and c["momentum"] == 0:
            opt = "sgd"  # Nesterov without momentum is plain SGD
        key = (opt, act, depth, tuple(sorted(c.items())))
        if key not in memo:
            memo[key] = fit(opt, act, depth, c)
        return memo[key]

    def fit(opt, act, depth, c):
        layers = (int(c["units1"]),) if depth == "1" else (
            int(c["units1"]), int(c["units2"]))
        kw = {"solver": "adam" if opt == "adam" else "sgd",
              "learning_rate_init": c["lr"]}
        if opt != "adam":
            kw["momentum"] = c["momentum"]
            kw["nesterovs_momentum"] = opt == "sgd_nesterov"
        model = MLPClassifier(hidden_layer_sizes=layers, activation=act,
                              alpha=c["alpha"], max_iter=30, random_state=0,
                              **kw)
        model.fit(Xtr, ytr)
        p = model.predict_proba(Xva)
        if not np.all(np.isfinite(p)):
            return float(np.log(10))  # diverged: a uniform guess
        return min(log_loss(yva, p, labels=model.classes_),
                   float(np.log(10)) * 2)
    return cell


def task_gbm_diabetes():
    X, y = datasets.load_diabetes(return_X_y=True)
    cv = KFold(3, shuffle=True, random_state=0)

    def cell(branch, c):
        model = GradientBoostingRegressor(
            learning_rate=c["learning_rate"],
            n_estimators=int(c["n_estimators"]),
            max_depth=int(c["max_depth"]), subsample=c["subsample"],
            random_state=0)
        return 1.0 - cross_val_score(model, X, y, cv=cv, scoring="r2").mean()
    return cell


def task_hgb_breast_cancer():
    X, y = datasets.load_breast_cancer(return_X_y=True)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)

    def cell(branch, c):
        model = HistGradientBoostingClassifier(
            learning_rate=c["learning_rate"],
            max_leaf_nodes=int(c["max_leaf_nodes"]),
            min_samples_leaf=int(c["min_samples_leaf"]),
            l2_regularization=c["l2_regularization"],
            class_weight=None if branch == "none" else "balanced",
            early_stopping=False, random_state=0)
        return -cross_val_score(model, X, y, cv=cv,
                                scoring="neg_log_loss").mean()
    return cell


def task_pipeline_wine():
    X, y = datasets.load_wine(return_X_y=True)
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=0)

    def cell(branch, c):
        scaler, model = branch.split("|")
        if model == "logreg":
            est = LogisticRegression(C=c["C"], max_iter=2000)
        elif model.startswith("knn"):
            est = KNeighborsClassifier(n_neighbors=int(c["k"]),
                                       weights=model[4:])
        elif model == "svm":
            est = SVC(C=c["C"], gamma=c["gamma"])
        else:
            est = RandomForestClassifier(
                n_estimators=int(c["n_estimators"]),
                max_depth=None if model == "rf_unlimited"
                else int(c["max_depth"]), random_state=0, n_jobs=1)
        steps = [] if scaler == "none" else [
            StandardScaler() if scaler == "standard" else MinMaxScaler()]
        return 1.0 - cross_val_score(make_pipeline(*steps, est), X, y,
                                     cv=cv).mean()
    return cell


TASKS = {
    "svm_digits": task_svm_digits,
    "mlp_digits": task_mlp_digits,
    "gbm_diabetes": task_gbm_diabetes,
    "hgb_breast_cancer": task_hgb_breast_cancer,
    "pipeline_wine": task_pipeline_wine,
}


def make(task):
    cell = TASKS[task]()
    grids = problems.GRIDS[task]
    total = sum(len(list(problems.grid_points(a))) for a in grids.values())
    out, done, t0 = {}, 0, time.monotonic()
    for branch, axes in grids.items():
        vals = []
        for c in problems.grid_points(axes):
            vals.append(float("%.6g" % cell(branch, c)))
            done += 1
            if done % 25 == 0 or done == total:
                print("%s: %d/%d cells, %.0f s" % (
                    task, done, total, time.monotonic() - t0),
                    file=sys.stderr, flush=True)
        out[branch] = vals
    doc = {
        "task": task,
        "metric": problems.METRICS[task],
        "made_by": "bench/quality/make_tables.py",
        "sklearn": sklearn.__version__,
        "seconds": round(time.monotonic() - t0),
        "axes": {b: [[n, s, list(v)] for n, s, v in a]
                 for b, a in grids.items()},
        "branches": out,
    }
    os.makedirs(problems.TABLES, exist_ok=True)
    path = os.path.join(problems.TABLES, task + ".json")
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    os.replace(path + ".tmp", path)
    print("wrote %s (%d cells, min %.6g)" % (
        os.path.relpath(path), total, min(min(v) for v in out.values())),
        file=sys.stderr)


def main():
    names = sys.argv[1:] or list(TASKS)
    for n in names:
        if n not in TASKS:
            sys.exit("make_tables.py: no task %s (known: %s)"
                     % (n, ", ".join(TASKS)))
    for n in names:
        make(n)


if __name__ == "__main__":
    main()
