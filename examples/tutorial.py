"""The hyperopt tutorial, run by parzen.

Every example of hyperopt's tutorial ("FMin" in the hyperopt wiki), as a
hyperopt user writes it; only the import changed from `hyperopt` to
`parzen`. Each `fmin` below keeps its trials in a private parzend (started
on a temporary socket on first use, removed at exit), like hyperopt's
in-memory Trials.

    PYTHONPATH=python /usr/bin/python3 examples/tutorial.py

(1) a parabola in one variable; (2) a dict space of two variables;
(3) a nested choice of classifiers, scored by 5-fold cross-validation on
scikit-learn's iris data set (needs scikit-learn: Debian's python3-sklearn
for /usr/bin/python3); (4) the history of a search in a Trials object,
with extra keys and an attachment in the result. A few seconds in all.
PARZEN_EXAMPLE_QUICK=1 runs each search with a fifth of the evaluations
(the test suite does that).
"""
import os
import pickle
import sys
import time

# For running from the source tree: import the package from python/ next
# to this directory (an installed package needs no path).
_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                    "python")
if os.path.isdir(os.path.join(_SRC, "parzen")):
    sys.path.insert(0, _SRC)

from parzen import fmin, tpe, hp, STATUS_OK, Trials, space_eval  # noqa: E402

QUICK = os.environ.get("PARZEN_EXAMPLE_QUICK", "") not in ("", "0")


def evals(n):
    """The tutorial's number of evaluations (a fifth of it when quick)."""
    return max(10, n // 5) if QUICK else n


def section(title):
    print()
    print("=" * 72)
    print(title)
    print("=" * 72)


# --- 1. A function of one variable -----------------------------------------

section("1. minimize x ** 2 - x + 1 over x in [-2, 2]")

best = fmin(fn=lambda x: x ** 2 - x + 1,
            space=hp.uniform('x', -2, 2),
            algo=tpe.suggest,
            max_evals=evals(100))
print(best)   # {'x': 0.5...}: the minimum is at x = 0.5


# --- 2. A dict space --------------------------------------------------------

section("2. minimize x ** 2 + y ** 2 over a dict space")

space = {
    'x': hp.uniform('x', -10, 10),
    'y': hp.uniform('y', -10, 10),
}


def objective(params):
    x, y = params['x'], params['y']
    return x ** 2 + y ** 2


best = fmin(objective, space, algo=tpe.suggest, max_evals=evals(100))
print(best)


# --- 3. A nested space: which classifier, and its parameters ---------------

section("3. a nested choice of classifiers, 5-fold CV on iris")

from sklearn.datasets import load_iris  # noqa: E402
from sklearn.model_selection import cross_val_score  # noqa: E402
from sklearn.naive_bayes import GaussianNB  # noqa: E402
from sklearn.svm import SVC  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

X, y = load_iris(return_X_y=True)

space = hp.choice('classifier_type', [
    {
        'type': 'naive_bayes',
    },
    {
        'type': 'svm',
        'C': hp.lognormal('svm_C', 0, 1),
        'kernel': hp.choice('svm_kernel', [
            {'ktype': 'linear'},
            {'ktype': 'RBF', 'width': hp.lognormal('svm_rbf_width', 0, 1)},
        ]),
    },
    {
        'type': 'dtree',
        'criterion': hp.choice('dtree_criterion', ['gini', 'entropy']),
        'max_depth': hp.choice('dtree_max_depth',
                               [None, hp.qlognormal('dtree_max_depth_int',
                                                    3, 1, 1)]),
        'min_samples_split': hp.qlognormal('dtree_min_samples_split',
                                           2, 1, 1),
    },
])


def make_classifier(args):
    if args['type'] == 'naive_bayes':
        return GaussianNB()
    if args['type'] == 'svm':
        kernel = args['kernel']
        if kernel['ktype'] == 'linear':
            return SVC(C=args['C'], kernel='linear')
        # An RBF kernel of width w: exp(-|a - b|^2 / (2 w^2)).
        return SVC(C=args['C'], kernel='rbf',
                   gamma=1.0 / (2.0 * kernel['width'] ** 2))
    # The q-lognormal priors can draw 0 or 1, which a tree refuses.
    depth = args['max_depth']
    return DecisionTreeClassifier(
        criterion=args['criterion'],
        max_depth=None if depth is None else max(1, int(depth)),
        min_samples_split=max(2, int(args['min_samples_split'])),
        random_state=0)


def objective(args):
    accuracy = cross_val_score(make_classifier(args), X, y, cv=5).mean()
    return 1 - accuracy


best = fmin(objective, space, algo=tpe.suggest, max_evals=evals(100))
print(best)
print(space_eval(space, best))


# --- 4. Recording the history with Trials ----------------------------------

section("4. the history of a search: Trials and extra result keys")


def objective(x):
    return {
        'loss': x ** 2,
        'status': STATUS_OK,
        # -- store other results like this
        'eval_time': time.time(),
        'other_stuff': {'type': None, 'value': [0, 1, 2]},
        # -- attachments are handled differently
        'attachments':
            {'time_module': pickle.dumps(time.time)},
    }


trials = Trials()
best = fmin(objective,
            space=hp.uniform('x', -10, 10),
            algo=tpe.suggest,
            max_evals=evals(100),
            trials=trials)
print(best)

print("trials.trials[0]['result']:", trials.trials[0]['result'])
print("trials.trials[1]['result']:", trials.trials[1]['result'])
print("trials.losses()[:5]:", trials.losses()[:5])
print("trials.statuses()[:5]:", trials.statuses()[:5])
print("len(trials.trials):", len(trials.trials))
print("best trial:", trials.best_trial['tid'],
      trials.best_trial['result']['loss'])

msg = trials.trial_attachments(trials.trials[5])['time_module']
time_module = pickle.loads(msg)
print("attachment of trial 5 unpickles to time.time:",
      time_module is time.time)
