#!/usr/bin/env python3
"""A real tuning job in the shape of hyperopt's CIFAR-100 optimizer.

The architecture and training of a neural network are searched with TPE:
a scikit-learn multi-layer perceptron (MLPClassifier) learns the 8x8
handwritten digits that ship with scikit-learn (load_digits: 1,797 images,
no download). The space is nested like the CIFAR-100 one: the number of
hidden layers is a choice whose options carry their own per-layer width
labels; the solver is a choice whose options carry their own parameters
(SGD: momentum, Nesterov; Adam: beta_1, beta_2); the learning rate and
the weight decay are log-uniform; the batch size is quantized.

Each trial trains epoch by epoch (at most --max-epochs, stopping after
--patience epochs without a better validation accuracy, or when its
--trial-seconds budget is spent), keeps the weights of its best epoch,
and reports loss = 1 - validation accuracy with extra keys: the accuracy,
the test accuracy of the kept weights, the epochs trained, the training
time, why it stopped, the validation accuracy per epoch and a description
of the model.

After every epoch it reports its validation error (1 - accuracy, the
quantity its loss is the minimum of) with parzen.report(); the study's
pruner (--pruner, a median pruner by default) stops the trials that are
clearly worse than the others at the same epoch, which saves their
remaining epochs. A pruned trial ends "pruned" with its last error as
its loss.

The trials live in parzend's persistent study "cifar_style"
(`Trials(study=...)`): run this script in several processes and they work
on the same search; kill them (or the daemon) and run it again and it
resumes; --max-evals is the study's total. See README.md.

    PYTHONPATH=python /usr/bin/python3 examples/cifar_style/optimize.py
"""
import argparse
import json
import math
import os
import sys
import time
import warnings

# One BLAS thread per process: workers run side by side, one per core.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

# For running from the source tree: import the package from python/ two
# directories up (an installed package needs no path).
_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                    os.pardir, "python")
if os.path.isdir(os.path.join(_SRC, "parzen")):
    sys.path.insert(0, _SRC)

import parzen  # noqa: E402
from parzen import STATUS_OK, Trials, fmin, hp, space_eval, tpe  # noqa: E402
from parzen.pyll import scope  # noqa: E402

STUDY = "cifar_style"
# Judged from epoch 3 on, once 5 trials finished: a trial whose best
# validation error so far is worse than the median of the other trials'
# errors at the same epoch stops there (docs/pruning.md, "median").
PRUNER = {"kind": "median", "n_startup_trials": 5, "n_warmup_steps": 3}


# --- the search space --------------------------------------------------------

def first_layer(label):
    """Units of a first hidden layer: 16 to 256 in steps of 16, log-scaled."""
    return scope.int(hp.qloguniform(label, math.log(16), math.log(256), 16))


def next_layer(label):
    """Units of a later hidden layer: 16 to 128 in steps of 16."""
    return scope.int(hp.quniform(label, 16, 128, 16))


space = {
    # Each option has its own width labels, as the CIFAR-100 space's
    # optional layers do: a width is only searched where it exists.
    'hidden_layers': hp.choice('nb_hidden_layers', [
        [first_layer('units_1_of_1')],
        [first_layer('units_1_of_2'), next_layer('units_2_of_2')],
        [first_layer('units_1_of_3'), next_layer('units_2_of_3'),
         next_layer('units_3_of_3')],
    ]),
    'activation': hp.choice('activation', ['relu', 'tanh', 'logistic']),
    'solver': hp.choice('solver', [
        {'name': 'adam',
         'beta_1': hp.uniform('adam_beta_1', 0.8, 0.99),
         'beta_2': hp.choice('adam_beta_2', [0.99, 0.999])},
        {'name': 'sgd',
         'momentum': hp.uniform('sgd_momentum', 0.5, 0.99),
         'nesterovs_momentum': hp.choice('sgd_nesterov', [False, True])},
    ]),
    'learning_rate_init': hp.loguniform('learning_rate_init',
                                        math.log(1e-4), math.log(0.3)),
    'alpha': hp.loguniform('alpha', math.log(1e-6), math.log(1e-1)),
    'batch_size': scope.int(hp.quniform('batch_size', 16, 256, 16)),
}


# --- the data ----------------------------------------------------------------

def load_data():
    """Digits split 60/20/20 into train, validation and test, stratified,
    always the same way; pixels scaled from 0..16 to 0..1."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, test_size=0.4, stratify=y, random_state=0)
    X_val, X_test, y_val, y_test = train_test_split(
        X_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=0)
    return X_train, y_train, X_val, y_val, X_test, y_test


X_TRAIN, Y_TRAIN, X_VAL, Y_VAL, X_TEST, Y_TEST = load_data()
CLASSES = np.unique(Y_TRAIN)


# --- one trial ---------------------------------------------------------------

def describe(p):
    """A one-line description of the model of point p."""
    s = p['solver']
    if s['name'] == 'adam':
        opt = "adam(beta_1=%.3f, beta_2=%g)" % (s['beta_1'], s['beta_2'])
    else:
        opt = "sgd(momentum=%.3f%s)" % (
            s['momentum'], ", nesterov" if s['nesterovs_momentum'] else "")
    sizes = [X_TRAIN.shape[1]] + list(p['hidden_layers']) + [len(CLASSES)]
    return "MLP %s %s, %s, lr %.3g, alpha %.3g, batch %d" % (
        "-".join(str(n) for n in sizes), p['activation'], opt,
        p['learning_rate_init'], p['alpha'], p['batch_size'])


def make_model(p):
    s = p['solver']
    kw = dict(hidden_layer_sizes=tuple(p['hidden_layers']),
              activation=p['activation'], solver=s['name'],
              alpha=p['alpha'], batch_size=p['batch_size'],
              learning_rate_init=p['learning_rate_init'], random_state=0)
    if s['name'] == 'adam':
        kw.update(beta_1=s['beta_1'], beta_2=s['beta_2'])
    else:
        kw.update(momentum=s['momentum'],
                  nesterovs_momentum=s['nesterovs_momentum'])
    return MLPClassifier(**kw)


def make_objective(max_epochs, patience, seconds):
    def objective(p):
        model = make_model(p)
        curve = []
        best_acc, best_epoch, weights = -1.0, 0, None
        stopped = "max epochs"
        start = time.monotonic()
        # A diverging SGD overflows in numpy; that is a result, not an
        # error: the trial keeps its best epoch before it.
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            for epoch in range(1, max_epochs + 1):
                model.partial_fit(X_TRAIN, Y_TRAIN, classes=CLASSES)
                acc = model.score(X_VAL, Y_VAL)
                curve.append(round(acc, 4))
                try:
                    # Step = epochs trained; may stop the trial here.
                    parzen.report(1.0 - acc, epoch)
                except parzen.TrialPruned as e:
                    print("%s: pruned after %d epochs (val acc %.4f): %s"
                          % (describe(p), epoch, max(best_acc, acc), e),
                          flush=True)
                    raise
                if acc > best_acc:
                    best_acc, best_epoch = acc, epoch
                    weights = ([w.copy() for w in model.coefs_],
                               [b.copy() for b in model.intercepts_])
                if not math.isfinite(model.loss_):
                    stopped = "diverged"
                    break
                if epoch - best_epoch >= patience:
                    stopped = "no progress for %d epochs" % patience
                    break
                if time.monotonic() - start >= seconds:
                    stopped = "time budget"
                    break
            train_time = time.monotonic() - start
            model.coefs_, model.intercepts_ = weights
            test_acc = model.score(X_TEST, Y_TEST)
        desc = describe(p)
        print("%s: val acc %.4f, test acc %.4f, %d epochs (%s), %.1f s"
              % (desc, best_acc, test_acc, len(curve), stopped, train_time),
              flush=True)
        return {
            'loss': 1.0 - best_acc,
            'status': STATUS_OK,
            'accuracy': best_acc,
            'test_accuracy': test_acc,
            'n_iter': len(curve),
            'best_epoch': best_epoch,
            'train_time': round(train_time, 3),
            'stopped': stopped,
            'val_accuracy_curve': curve,
            'model': desc,
        }
    return objective


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Tune an MLP on the digits data set with parzen; run "
                    "it in several processes to search in parallel, again "
                    "to resume.")
    ap.add_argument("--max-evals", type=int, default=40,
                    help="trials in the study, in total (default 40)")
    ap.add_argument("--socket", default=None,
                    help="parzend's socket (default: $PARZEN_SOCKET or "
                         "parzend's default socket, where parzend is "
                         "started if nothing listens)")
    ap.add_argument("--study", default=STUDY,
                    help="the study's name (default %s)" % STUDY)
    ap.add_argument("--max-epochs", type=int, default=100,
                    help="epochs per trial at most (default 100)")
    ap.add_argument("--patience", type=int, default=10,
                    help="stop a trial after this many epochs without a "
                         "better validation accuracy (default 10)")
    ap.add_argument("--trial-seconds", type=float, default=3.0,
                    help="stop a trial's training after the epoch that "
                         "passes this many seconds (default 3)")
    ap.add_argument("--seed", type=int, default=None,
                    help="the seed of a new study (default: parzend draws "
                         "one and keeps it with the study)")
    ap.add_argument("--pruner", default=json.dumps(PRUNER),
                    help="the pruner of a new study, as JSON, or \"none\" "
                         "(default: %s)" % json.dumps(PRUNER))
    args = ap.parse_args(argv)
    pruner = None if args.pruner == "none" else json.loads(args.pruner)

    trials = Trials(study=args.study, socket=args.socket, pruner=pruner)
    best = fmin(make_objective(args.max_epochs, args.patience,
                               args.trial_seconds),
                space, algo=tpe.suggest, max_evals=args.max_evals,
                trials=trials, rstate=args.seed)
    print("best:", best)
    print("best point:", space_eval(space, best))
    r = trials.best_trial['result']
    print("best trial %d: validation accuracy %.4f, test accuracy %.4f, %s"
          % (trials.best_trial['tid'], r['accuracy'], r['test_accuracy'],
             r['model']))
    return 0


if __name__ == "__main__":
    sys.exit(main())
