"""scikit-learn style spaces: estimators declared in scope and built with
keyword arguments (as hyperopt-sklearn does), numpy arrays as options,
scope.int, uniformint, randint with and without low, pchoice."""
import numpy as np
from hyperopt import STATUS_OK, Trials, fmin, hp, rand, space_eval, tpe
from hyperopt.pyll import scope
from hyperopt.pyll.stochastic import sample


class Estimator:
    def __init__(self, C=1.0, kernel='rbf', degree=3, layers=()):
        self.C, self.kernel, self.degree, self.layers = \
            C, kernel, degree, layers


class Forest:
    def __init__(self, n_estimators=10, max_depth=None):
        self.n_estimators, self.max_depth = n_estimators, max_depth


scope.define(Estimator)
scope.define(Forest)


@scope.define
def pipeline(scaler, estimator, pca=None):
    return {'scaler': scaler, 'estimator': estimator, 'pca': pca}


space = scope.pipeline(
    hp.choice('scaler', ['standard', 'minmax', None]),
    hp.pchoice('estimator', [
        # hyperopt takes probabilities that do not sum exactly to 1
        (0.33, scope.Estimator(
            C=hp.lognormal('svm_C', 0, 1),
            kernel=hp.choice('kernel', ['linear', 'rbf', 'poly']),
            degree=scope.int(hp.quniform('degree', 2, 5, 1)),
            layers=hp.choice('layers', [[64], [64, 32]]))),
        (0.33, scope.Forest(
            n_estimators=hp.choice('n_estimators',
                                   np.arange(50, 500, 50, dtype=int)),
            max_depth=hp.uniformint('max_depth', 2, 12))),
        (0.33, scope.Forest(n_estimators=hp.randint('small_n', 1, 10),
                            max_depth=hp.randint('small_depth', 4))),
    ]),
    pca=hp.choice('pca', [None, {'n': hp.randint('n_components', 2, 8),
                                 'whiten': hp.choice('whiten', [0, 1])}]),
)
kinds = set()


def objective(p):
    est = p['estimator']
    kinds.add(type(est).__name__)
    if isinstance(est, Estimator):
        assert isinstance(est.degree, int) and 2 <= est.degree <= 5
        assert est.layers in ((64,), (64, 32))   # lists come as tuples
        loss = abs(np.log(est.C))
    else:
        assert 1 <= est.n_estimators < 500 and 0 <= est.max_depth <= 12
        assert isinstance(est.max_depth, int)
        loss = 1.0 / est.n_estimators
    if p['pca'] is not None:
        assert list(p['pca']) == ['n', 'whiten'] and 2 <= p['pca']['n'] < 8
    return {'loss': loss, 'status': STATUS_OK, 'kind': type(est).__name__}


trials = Trials()
best = fmin(objective, space, algo=tpe.suggest, max_evals=40, trials=trials,
            rstate=np.random.default_rng(1), show_progressbar=False)
assert kinds == {'Estimator', 'Forest'}, kinds
assert list(best) == sorted(best) and 'estimator' in best
point = space_eval(space, best)
# pipeline's own dict, as it built it
assert list(point) == ['scaler', 'estimator', 'pca']
assert type(point['estimator']).__name__ == trials.best_trial['result']['kind']
fmin(objective, space, algo=rand.suggest, max_evals=50, trials=trials,
     show_progressbar=False)
assert len(trials) == 50
drawn = sample(space, rng=np.random.default_rng(3))
assert type(drawn['estimator']).__name__ in ('Estimator', 'Forest')
print("OK")
