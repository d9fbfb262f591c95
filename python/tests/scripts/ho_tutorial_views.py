"""The README example of hyperopt and what people read off Trials."""
import datetime

import numpy as np
from hyperopt import STATUS_OK, Trials, fmin, hp, space_eval, tpe

space = hp.choice('a', [
    ('case 1', 1 + hp.lognormal('c1', 0, 1)),
    ('case 2', hp.uniform('c2', -10, 10)),
])
trials = Trials()
during = []


def objective(args):
    # What a script sees while its trial runs.
    doc = trials.trials[-1]
    during.append((len(trials.trials), doc['state'], doc['result']))
    case, val = args
    return val if case == 'case 1' else val ** 2


best = fmin(objective, space, algo=tpe.suggest, max_evals=25, trials=trials,
            rstate=np.random.default_rng(0), show_progressbar=False)

assert during[0] == (1, 1, {'status': 'new'}), during[0]
assert [n for n, _, _ in during] == list(range(1, 26))
assert len(trials) == len(trials.trials) == len(trials.results) == 25
assert trials.tids == list(range(25))
assert set(trials.statuses()) == {STATUS_OK}
doc = trials.trials[0]
assert sorted(doc) == ['book_time', 'exp_key', 'misc', 'owner',
                       'refresh_time', 'result', 'spec', 'state', 'tid',
                       'version'], sorted(doc)
assert sorted(doc['misc']) == ['cmd', 'idxs', 'tid', 'vals', 'workdir']
assert sorted(doc['result']) == ['loss', 'status']
assert doc['state'] == 2 and doc['spec'] is None
assert isinstance(doc['refresh_time'] - doc['book_time'],
                  datetime.timedelta)
# Labels come sorted, inactive ones as empty lists.
assert list(doc['misc']['vals']) == ['a', 'c1', 'c2']
for t in trials.trials:
    vals, idxs = t['misc']['vals'], t['misc']['idxs']
    active = 'c1' if vals['a'] == [0] else 'c2'
    assert len(vals[active]) == 1 and idxs[active] == [t['tid']]
    other = 'c2' if active == 'c1' else 'c1'
    assert vals[other] == [] and idxs[other] == []
assert list(trials.vals) == ['a', 'c1', 'c2'] == list(trials.idxs)
assert len(trials.vals['a']) == 25
assert len(trials.vals['c1']) + len(trials.vals['c2']) == 25
assert list(best) == sorted(best) and best == trials.argmin
assert trials.best_trial['result']['loss'] == min(trials.losses())
assert trials.average_best_error() == min(trials.losses())
point = space_eval(space, best)
assert type(point) is tuple and point[0] in ('case 1', 'case 2')
print("best", best, point)
print("OK")
