"""Warm-starting a search with results known from elsewhere, through
hyperopt's trial documents."""
import copy

from hyperopt import (JOB_STATE_DONE, STATUS_OK, Trials, fmin, hp,
                      space_eval, tpe)
from hyperopt.base import JOB_STATE_NEW, TRIAL_KEYS
from hyperopt.exceptions import InvalidTrial

space = {'x': hp.uniform('x', -5, 5), 'kind': hp.choice('kind', ['a', 'b'])}
known = [({'x': 1.0, 'kind': 0}, 0.5), ({'x': -2.0, 'kind': 1}, 9.0)]


def document(trials, tid, params, result, state):
    return {'tid': tid, 'spec': None, 'result': result, 'state': state,
            'misc': {'tid': tid, 'cmd': ('domain_attachment',
                                         'FMinIter_Domain'),
                     'workdir': None,
                     'idxs': {k: [tid] for k in params},
                     'vals': {k: [v] for k, v in params.items()}},
            'exp_key': None, 'owner': None, 'version': 0,
            'book_time': None, 'refresh_time': None}


trials = Trials()
for params, loss in known:
    tid, = trials.new_trial_ids(1)
    trials.insert_trial_doc(document(trials, tid, params,
                                     {'loss': loss, 'status': STATUS_OK},
                                     JOB_STATE_DONE))
assert len(trials) == 0          # not before refresh(), as in hyperopt
trials.refresh()
assert len(trials) == 2 and trials.losses() == [0.5, 9.0]
assert trials.tids == [0, 1] and trials.argmin == {'kind': 0, 'x': 1.0}

seen = []
best = fmin(lambda p: seen.append(p) or (p['x'] - 1.5) ** 2, space,
            algo=tpe.suggest, max_evals=8, trials=trials,
            show_progressbar=False)
assert len(seen) == 6 and len(trials) == 8 and trials.tids == list(range(8))
assert trials.losses()[:2] == [0.5, 9.0]
assert space_eval(space, best)['kind'] in ('a', 'b')

# New documents (hyperopt's new_trial_docs) are evaluated first.
t2 = Trials()
tids = t2.new_trial_ids(2)
miscs = [{'tid': tid, 'cmd': None, 'workdir': None,
          'idxs': {'x': [tid], 'kind': [tid]}, 'vals': v}
         for tid, v in zip(tids, [{'x': [0.25], 'kind': [1]},
                                  {'x': [-0.75], 'kind': [0]}])]
docs = t2.new_trial_docs(tids, [None, None], [{'status': 'new'}] * 2, miscs)
assert docs[0]['state'] == JOB_STATE_NEW and sorted(docs[0]) == sorted(
    TRIAL_KEYS + ['version'])
assert t2.insert_trial_docs(docs) == tids
assert len(t2._dynamic_trials) == 2 and len(t2) == 0
seen = []
fmin(lambda p: seen.append(p) or p['x'] ** 2, space, algo=tpe.suggest,
     max_evals=4, trials=t2, show_progressbar=False)
assert seen[:2] == [{'kind': 'b', 'x': 0.25}, {'kind': 'a', 'x': -0.75}]
# Not refreshed before fmin: they run on top of max_evals, as
# generate_trials_to_calculate's points do.
assert len(t2) == 6

# A document without a mandatory key is refused.
bad = copy.deepcopy(docs[0])
del bad['misc']['vals']
try:
    Trials().insert_trial_doc(bad)
except InvalidTrial:
    pass
else:
    raise AssertionError("InvalidTrial expected")
print("OK")
