"""The resume habits: pickle.dump / pickle.load between runs, a larger
max_evals, trials_save_file."""
import os
import pickle
import tempfile

import numpy as np
from hyperopt import Trials, fmin, hp, tpe

space = {'x': hp.uniform('x', -5, 5), 'y': hp.choice('y', [0, 1, 2])}


def f(p):
    return (p['x'] - 1) ** 2 + p['y']


d = tempfile.mkdtemp()
path = os.path.join(d, 'results.pkl')
trials = Trials()
fmin(f, space, algo=tpe.suggest, max_evals=5, trials=trials,
     rstate=np.random.default_rng(3), show_progressbar=False)
with open(path, 'wb') as fh:
    pickle.dump(trials, fh)
for _ in range(3):
    with open(path, 'rb') as fh:
        trials = pickle.load(fh)
    fmin(f, space, algo=tpe.suggest, max_evals=len(trials.trials) + 2,
         trials=trials, show_progressbar=False)
    with open(path, 'wb') as fh:
        pickle.dump(trials, fh)
assert len(trials) == 11 and trials.tids == list(range(11))
fmin(f, space, algo=tpe.suggest, max_evals=11, trials=trials,
     show_progressbar=False)
assert len(trials) == 11
saved = os.path.join(d, 'search.hyperopt')
fmin(f, space, algo=tpe.suggest, max_evals=4, trials_save_file=saved,
     show_progressbar=False)
best = fmin(f, space, algo=tpe.suggest, max_evals=7, trials_save_file=saved,
            show_progressbar=False)
with open(saved, 'rb') as fh:
    again = pickle.load(fh)
assert len(again) == 7 and again.argmin == best
copy = pickle.loads(pickle.dumps(again))
assert copy.losses() == again.losses() and copy.vals == again.vals
print("OK")
