"""Stopping a search: early_stop_fn, loss_threshold, timeout, failures."""
import time

import numpy as np
from hyperopt import STATUS_FAIL, STATUS_OK, Trials, fmin, hp, rand, tpe
from hyperopt.early_stop import no_progress_loss

space = hp.uniform('x', -10, 10)
trials = Trials()
fmin(lambda v: 1.0, space, algo=tpe.suggest, max_evals=100, trials=trials,
     early_stop_fn=no_progress_loss(5), show_progressbar=False)
assert len(trials) == 5, len(trials)
calls = []


def stop(trials, count=0):
    calls.append(count)
    return count + 1 >= 4, [count + 1]


trials = Trials()
fmin(lambda v: v ** 2, space, algo=tpe.suggest, max_evals=100,
     trials=trials, early_stop_fn=stop, show_progressbar=False)
assert len(trials) == 4 and calls == [0, 1, 2, 3]
trials = Trials()
fmin(lambda v: v ** 2, space, algo=rand.suggest, max_evals=10000,
     trials=trials, loss_threshold=0.5, rstate=np.random.default_rng(0),
     show_progressbar=False)
assert trials.best_trial['result']['loss'] < 0.5 and len(trials) < 10000
trials = Trials()
fmin(lambda v: time.sleep(0.05) or v, space, algo=rand.suggest,
     max_evals=1000, timeout=0.5, trials=trials, show_progressbar=False)
assert 1 <= len(trials) <= 11


def flaky(v):
    if v > 5:
        raise RuntimeError("diverged")
    if v < -5:
        return {'status': STATUS_FAIL, 'reason': 'too small'}
    return {'loss': v ** 2, 'status': STATUS_OK}


trials = Trials()
fmin(flaky, space, algo=rand.suggest, max_evals=40, trials=trials,
     catch_eval_exceptions=True, rstate=np.random.default_rng(2),
     show_progressbar=False)
# Trials whose objective raised are left out of the views.
assert len(trials) < 40 and set(trials.statuses()) == {'ok', 'fail'}
errors = [d for d in trials._dynamic_trials if d['state'] == 3]
assert errors and all(d['misc']['error'][0] for d in errors)
assert all(r['reason'] == 'too small' for r in trials.results
           if r['status'] == 'fail')
print("OK")
