"""One hyperparameter used in several options of a choice: a learning
rate shared by two optimizers, and hyperopt's gauss_wave test domain."""
import numpy as np
from hyperopt import Trials, fmin, hp, rand, space_eval, tpe
from hyperopt.pyll import scope

lr = hp.loguniform('lr', np.log(1e-4), np.log(1e-1))
space = {'optimizer': hp.choice('optimizer', [
    {'name': 'adam', 'lr': lr},
    {'name': 'sgd', 'lr': lr, 'momentum': hp.uniform('momentum', 0.5, 0.99)},
    {'name': 'constant'},
])}


def objective(p):
    opt = p['optimizer']
    if opt['name'] == 'constant':
        return 1.0
    return abs(np.log10(opt['lr']) + 2.5) + opt.get('momentum', 0.9) - 0.9


for algo in (rand.suggest, tpe.suggest):
    trials = Trials()
    fmin(objective, space, algo=algo, max_evals=40, trials=trials,
         rstate=np.random.default_rng(5), show_progressbar=False)
    chosen = {t['misc']['vals']['optimizer'][0] for t in trials.trials}
    assert chosen == {0, 1, 2}, chosen
    for t in trials.trials:
        vals = t['misc']['vals']
        # active exactly where one of its places is chosen
        assert bool(vals['lr']) == (vals['optimizer'][0] in (0, 1)), vals
        assert bool(vals['momentum']) == (vals['optimizer'][0] == 1)
    point = space_eval(space, trials.argmin)
    assert point['optimizer']['name'] in ('adam', 'sgd', 'constant')

# hyperopt's gauss_wave: the node x sits in both options of `curve`.
x = hp.uniform('x', -20, 20)
t = hp.choice('curve', [x, x + np.pi])
wave = {'loss': -(scope.sin(t) + 2 * scope.exp(-(t / 5) ** 2)),
        'status': 'ok'}
trials = Trials()
fmin(lambda d: d, wave, algo=tpe.suggest, max_evals=60, trials=trials,
     rstate=np.random.default_rng(4), show_progressbar=False)
assert len(trials.vals['x']) == 60 and min(trials.losses()) < -2.0
print("OK")
