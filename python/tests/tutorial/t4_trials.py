# The hyperopt tutorial, example 4: recording the history with Trials and
# extra result keys. Unchanged but for the import (the test replaces
# "from hyperopt" with "from parzen").
import pickle
import time
from hyperopt import fmin, tpe, hp, STATUS_OK, Trials

def objective(x):
    return {
        'loss': x ** 2,
        'status': STATUS_OK,
        # -- store other results like this
        'eval_time': time.time(),
        'other_stuff': {'type': None, 'value': [0, 1, 2]},
        # -- attachments are handled differently
        'attachments':
            {'time_module': pickle.dumps(time.time)}
        }
trials = Trials()
best = fmin(objective,
    space=hp.uniform('x', -10, 10),
    algo=tpe.suggest,
    max_evals=100,
    trials=trials)

print(best)
print(trials.trials[:2])
print(trials.results[:2])
print(trials.losses()[:2])
print(trials.statuses()[:2])
msg = trials.trial_attachments(trials.trials[5])['time_module']
time_module = pickle.loads(msg)

import json  # noqa: E402  (for the test, not the tutorial)
print("RESULT " + json.dumps({
    "best": best,
    "n": len(trials.trials),
    "tids": [t['tid'] for t in trials.trials],
    "states": [t['state'] for t in trials.trials],
    "results": trials.results,
    "losses": trials.losses(),
    "statuses": trials.statuses(),
    "vals": trials.vals,
    "argmin": trials.argmin,
    "best_trial_tid": trials.best_trial['tid'],
    "has_times": all(t['book_time'] is not None and
                     t['refresh_time'] is not None for t in trials.trials),
    "time_module_is_time": time_module is time.time,
}))
