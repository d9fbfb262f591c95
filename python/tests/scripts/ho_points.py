"""Points to evaluate first: defaults a user knows are good."""
from hyperopt import Trials, fmin, hp, tpe
from hyperopt.fmin import generate_trials_to_calculate

space = {'x': hp.uniform('x', -5, 5), 'c': hp.choice('c', ['a', 'b']),
         'n': hp.quniform('n', 0, 10, 2)}
defaults = [{'x': 0.5, 'c': 1, 'n': 4.0}, {'x': -1.0, 'c': 0, 'n': 2.0}]
seen = []


def f(p):
    seen.append((p['x'], p['c'], p['n']))
    return p['x'] ** 2


# trials=None: the points first, on top of max_evals
fmin(f, space, algo=tpe.suggest, max_evals=5, points_to_evaluate=defaults,
     show_progressbar=False)
assert seen[:2] == [(0.5, 'b', 4.0), (-1.0, 'a', 2.0)] and len(seen) == 7
# With a Trials, points_to_evaluate are ignored ("only works if
# trials=None"); generate_trials_to_calculate is the way.
seen.clear()
trials = Trials()
fmin(f, space, algo=tpe.suggest, max_evals=5, trials=trials,
     points_to_evaluate=defaults, show_progressbar=False)
assert len(trials) == 5 and len(seen) == 5
seen.clear()
trials = generate_trials_to_calculate(defaults)
assert len(trials) == 0
fmin(f, space, algo=tpe.suggest, max_evals=6, trials=trials,
     show_progressbar=False)
assert seen[:2] == [(0.5, 'b', 4.0), (-1.0, 'a', 2.0)]
# on top of max_evals here too
assert len(trials) == 8 and trials.trials[0]['misc']['vals'] == {
    'c': [1], 'n': [4.0], 'x': [0.5]}
print("OK")
