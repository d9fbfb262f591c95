"""What hyperopt raises for the usual mistakes, and the messages tests
compare."""
import numpy as np
from hyperopt import STATUS_FAIL, Trials, fmin, hp, space_eval, tpe
from hyperopt.exceptions import (AllTrialsFailed, DuplicateLabel,
                                 InvalidLoss, InvalidResultStatus)

x = hp.uniform('x', -1, 1)


def raises(exc, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc as e:
        return e
    raise AssertionError("%s not raised" % exc.__name__)


def run(fn, space=x, **kw):
    kw.setdefault('max_evals', 3)
    return fmin(fn, space, algo=tpe.suggest, show_progressbar=False, **kw)


for bad in (-1, True, 'a', 0):
    e = raises(Exception, run, lambda v: v, timeout=bad)
    assert str(e) == ("The timeout argument should be None or a positive "
                      "value. Given value: %s" % bad), str(e)
for bad in ('a', True):
    e = raises(Exception, run, lambda v: v, loss_threshold=bad)
    assert str(e) == ("The loss_threshold argument should be None or a "
                      "numeric value. Given value: %s" % bad), str(e)
raises(DuplicateLabel, run, lambda p: 0, {'a': hp.uniform('x', 0, 1),
                                          'b': hp.normal('x', 0, 1)})
raises(KeyError, run, lambda v: {'loss': v})              # no status
raises(InvalidResultStatus, run, lambda v: {'loss': v, 'status': 'great'})
raises(InvalidLoss, run, lambda v: {'status': 'ok'})
raises(TypeError, run, lambda v: None)
raises(ValueError, run, lambda v: 'high')
raises(ZeroDivisionError, run, lambda v: 1 / 0)
raises(IndexError, space_eval, hp.choice('c', ['a', 'b']), {'c': 2})
assert space_eval(hp.choice('c', ['a', 'b']), {'c': np.int64(1)}) == 'b'
trials = Trials()
raises(AllTrialsFailed, run, lambda v: {'status': STATUS_FAIL},
       trials=trials)
raises(AllTrialsFailed, lambda: trials.best_trial)
assert trials.statuses() == ['fail'] * 3 and trials.losses() == [None] * 3
# A bool or a numpy number is a loss.
trials = Trials()
run(lambda v: np.float32(0.5), trials=trials)
assert trials.losses() == [0.5] * 3
assert type(trials.losses()[0]) is float
print("OK")
