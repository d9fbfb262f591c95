"""Spaces written with pyll's scope, as hyperopt's own test domains are."""
import numpy as np
from hyperopt import Trials, fmin, hp, rand, tpe
from hyperopt.pyll import as_apply, scope
from hyperopt.pyll.stochastic import sample

rng = np.random.default_rng(123)
arm = hp.choice('arm', [0, 1])
mus = as_apply([-1, 0])
noisy = {'loss': scope.normal(mus[arm], 1, rng=rng), 'status': 'ok'}
lognormal = {'loss': scope.min(0.1 * (hp.lognormal('ln', 0, 2) - 10) ** 2,
                               10), 'status': 'ok'}
pair = hp.choice('o_x', [(-3, hp.uniform('x_neg', -5, 5)),
                         (3, hp.uniform('x_pos', -5, 5))])
indexed = {'loss': (pair[0] - pair[1]) ** 2, 'status': 'ok'}
many = (hp.choice('a', [0, 1, 2]) + hp.randint('b', 10) +
        hp.randint('bb', 12, 25) + hp.uniform('c', 4, 7) +
        hp.loguniform('d', -2, 0) + hp.quniform('e', 0, 10, 3) +
        hp.qloguniform('f', 0, 3, 2) + hp.normal('g', 4, 7) +
        hp.lognormal('h', -2, 2) + hp.qnormal('i', 0, 10, 2) +
        hp.qlognormal('j', 0, 2, 1) + hp.pchoice('k', [(0.1, 0), (0.9, 1)]))
many = {'loss': scope.float(scope.log(1e-12 + many ** 2)), 'status': 'ok'}
for domain in (noisy, lognormal, indexed, many):
    for algo in (rand.suggest, tpe.suggest):
        trials = Trials()
        fmin(lambda d: d, domain, algo=algo, max_evals=30, trials=trials,
             rstate=np.random.default_rng(4), show_progressbar=False)
        assert len(trials) == 30 and all(
            isinstance(v, float) for v in trials.losses())
point = sample(indexed, rng=np.random.default_rng(0))
assert list(point) == ['loss', 'status'] and point['loss'] >= 0
assert sample(many, np.random.default_rng(1))['status'] == 'ok'
print("OK")
