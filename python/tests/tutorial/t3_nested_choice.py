# The hyperopt tutorial, example 3: a nested choice of classifiers with
# their own parameters. Unchanged but for the import (the test replaces
# "from hyperopt" with "from parzen"). The objective scores the
# configuration with a made-up loss, so the example needs no data set.
from hyperopt import fmin, tpe, hp, space_eval
from hyperopt.pyll import scope

space = {'type': hp.choice('classifier_type', [
    {'name': 'naive_bayes'},
    {'name': 'svm',
     'C': hp.uniform('svm_C', 0, 10),
     'kernel': hp.choice('svm_kernel', [
         {'ktype': 'linear'},
         {'ktype': 'rbf', 'width': hp.lognormal('svm_rbf_width', 0, 1)}])},
    {'name': 'dtree',
     'criterion': hp.choice('dtree_criterion', ['gini', 'entropy']),
     'max_depth': hp.choice('dtree_max_depth',
                            [None, hp.randint('dtree_max_depth_int', 1, 20)]),
     'min_samples_split':
         2 + scope.int(hp.qlognormal('dtree_min_samples_split', 2, 1, 1))},
])}

seen = []

def objective(args):
    t = args['type']
    seen.append(t)
    if t['name'] == 'naive_bayes':
        return 0.30
    if t['name'] == 'svm':
        loss = 0.05 + abs(t['C'] - 4.0) / 40
        if t['kernel']['ktype'] == 'rbf':
            loss += abs(t['kernel']['width'] - 1.5) / 20
        else:
            loss += 0.1
        return loss
    depth = t['max_depth'] or 30
    return 0.15 + abs(depth - 8) / 100 + (t['criterion'] == 'gini') * 0.01

best = fmin(objective, space, algo=tpe.suggest, max_evals=150)
print(best)
print(space_eval(space, best))

import json  # noqa: E402  (for the test, not the tutorial)
print("RESULT " + json.dumps({"best": best,
                              "point": space_eval(space, best),
                              "seen": seen}))
