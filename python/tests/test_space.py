"""Spaces: the documents parzend gets, space_eval and argmin as hyperopt
documents them, and the daemon's points agreeing with Python's."""
import functools
import json

import pytest

from parzen import fmin, hp, rand, space_eval, tpe, Trials
from parzen.pyll import scope
from parzen.pyll.stochastic import sample
from parzen.space import compile_space

# docs/space.md, "The hyperopt tutorial's spaces", 3.
CLASSIFIER = {'type': hp.choice('classifier_type', [
    {'name': 'naive_bayes'},
    {'name': 'svm',
     'C': hp.uniform('svm_C', 0, 10),
     'kernel': hp.choice('svm_kernel', [
         {'ktype': 'linear'},
         {'ktype': 'rbf', 'width': hp.lognormal('svm_rbf_width', 0, 1)}])},
    {'name': 'dtree',
     'criterion': hp.choice('dtree_criterion', ['gini', 'entropy']),
     'max_depth': hp.choice('dtree_max_depth',
                            [None, hp.randint('dtree_max_depth_int', 1, 20)]),
     'min_samples_split':
         2 + scope.int(hp.qlognormal('dtree_min_samples_split', 2, 1, 1))},
])}

CLASSIFIER_DOC = json.loads('''
{"type": {"$hp": "choice", "label": "classifier_type", "options": [
  {"name": "naive_bayes"},
  {"name": "svm",
   "C": {"$hp": "uniform", "label": "svm_C", "low": 0, "high": 10},
   "kernel": {"$hp": "choice", "label": "svm_kernel", "options": [
     {"ktype": "linear"},
     {"ktype": "rbf",
      "width": {"$hp": "lognormal", "label": "svm_rbf_width", "mu": 0, "sigma": 1}}
   ]}},
  {"name": "dtree",
   "criterion": {"$hp": "choice", "label": "dtree_criterion", "options": ["gini", "entropy"]},
   "max_depth": {"$hp": "choice", "label": "dtree_max_depth", "options": [
     null,
     {"$hp": "randint", "label": "dtree_max_depth_int", "low": 1, "high": 20}
   ]},
   "min_samples_split": {"$fn": "add", "args": [2,
     {"$fn": "int", "args": [
       {"$hp": "qlognormal", "label": "dtree_min_samples_split", "mu": 2, "sigma": 1, "q": 1}
     ]}]}}
]}}
''')


def test_classifier_space_is_the_documented_document():
    assert compile_space(CLASSIFIER).document == CLASSIFIER_DOC


def test_hyperopt_fmin_wiki_example():
    # hyperopt's "FMin" page: a choice of tuples, space_eval of argmin.
    space = hp.choice('a', [
        ('case 1', 1 + hp.lognormal('c1', 0, 1)),
        ('case 2', hp.uniform('c2', -10, 10))])
    seen = []

    def objective(args):
        seen.append(args)
        case, val = args
        if case == 'case 1':
            return val
        return val ** 2

    best = fmin(objective, space, algo=tpe.suggest, max_evals=100,
                rstate=1, show_progressbar=False)
    assert all(isinstance(a, tuple) for a in seen)  # tuples stay tuples
    # argmin: the choice as its index, only the active labels.
    assert best['a'] == 1 and set(best) == {'a', 'c2'}
    assert isinstance(best['a'], int) and isinstance(best['c2'], float)
    assert space_eval(space, best) == ('case 2', best['c2'])
    # The documented values.
    assert space_eval(space, {'a': 1, 'c2': 0.01420615366247227}) == \
        ('case 2', 0.01420615366247227)
    # Inactive labels in the assignment are ignored; an hp's value is
    # taken as given and the function nodes above it are applied.
    assert space_eval(space, {'a': 0, 'c1': 2.0, 'c2': 5.0}) == \
        ('case 1', 3.0)


def test_space_eval_kinds():
    space = {
        'u': hp.uniform('u', 0, 1),
        'ui': hp.uniformint('ui', 1, 5),
        'r': hp.randint('r', 10),
        'q': scope.int(hp.quniform('q', 0, 10, 2)),
        'p': 2 ** hp.quniform('p', 4, 9, 1),
        'c': hp.pchoice('c', [(0.3, 'a'), (0.7, ['b', hp.normal('n', 0, 1)])]),
        'lit': (1, None, "s"),
    }
    point = space_eval(space, {'u': 1, 'ui': 3.0, 'r': 7, 'q': 4.0,
                               'p': 5.0, 'c': 1, 'n': -0.5})
    assert point == {'u': 1.0, 'ui': 3, 'r': 7, 'q': 4, 'p': 32.0,
                     'c': ('b', -0.5), 'lit': (1, None, "s")}
    assert isinstance(point['u'], float) and isinstance(point['ui'], int)
    with pytest.raises(KeyError, match="'n'"):
        space_eval(space, {'u': 1, 'ui': 3, 'r': 7, 'q': 4, 'p': 5, 'c': 1})


def test_argmin_types_follow_hyperopt():
    space = {'ui': hp.uniformint('ui', 1, 5), 'r': hp.randint('r', 3, 9),
             'c': hp.choice('c', ['x', 'y']), 'q': hp.quniform('q', 0, 4, 1)}
    trials = Trials()
    best = fmin(lambda p: p['ui'] + p['r'] + p['q'], space,
                algo=rand.suggest, max_evals=30, trials=trials,
                show_progressbar=False)
    # hyperopt keeps uniformint's raw value (a quniform) as a float,
    # randint and choice as ints.
    assert isinstance(best['ui'], float) and best['ui'] == int(best['ui'])
    assert isinstance(best['r'], int) and isinstance(best['c'], int)
    assert isinstance(best['q'], float)
    assert trials.vals['c'] == [t['misc']['vals']['c'][0]
                                for t in trials.trials]
    assert isinstance(space_eval(space, best)['ui'], int)


def test_daemon_points_equal_python_points(pzd):
    space = dict(CLASSIFIER, extra={
        'neg': -hp.normal('nrm', 1, 2),
        'ratio': hp.uniform('num', 1, 2) / (1 + hp.lognormal('den', 0, 1)),
        'diff': 10 - hp.quniform('qu', 0, 5, 0.5) * 3,
        'pw': 2 ** hp.quniform('log2_batch', 4, 9, 1),
        'ui': hp.uniformint('ui', -3, 3),
        'pc': hp.pchoice('pc', [(0.25, [1, 2]), (0.75, hp.qloguniform(
            'qlu', 0, 3, 1))]),
        'fl': scope.float(hp.randint('ri', 5)),
    })
    compiled = compile_space(space)
    c = pzd.client()
    c.create_study("parity", compiled.document, algo="random", seed=5)
    for _ in range(300):
        t = c.ask("parity")["trial"]
        local = compiled.evaluate(t["params"])
        # The same values; Python's point has hyperopt's tuples.
        assert json.loads(json.dumps(local)) == t["point"], t["params"]
        c.tell(t, "ok", loss=0.0)


def test_reused_node_and_local_functions(pzd):
    @scope.define
    def halve(a):
        return a / 2

    x = hp.uniform('x', 0, 8)
    space = {'x': x, 'twice': x * 2, 'half': scope.halve(x),
             'fd': hp.quniform('k', 0, 10, 1) // 3, 'm': abs(-x)}
    compiled = compile_space(space)
    assert compiled.document["twice"] == ["<python fn mul>",
                                          "<python ref x>", 2]
    assert compiled.document['half'][0] == "<python fn halve>"
    points = []
    fmin(lambda p: points.append(p) or p['x'], space,
         algo=rand.suggest, max_evals=20, show_progressbar=False)
    for p in points:
        assert p['twice'] == 2 * p['x'] and p['half'] == p['x'] / 2
        assert p['fd'] == p['fd'] // 1 and p['m'] == p['x']


def test_objects_in_the_space_reach_the_objective():
    class Model:
        pass

    def make(width):
        return ("made", width)

    space = {'cls': hp.choice('cls', [Model, dict]), 'fn': make,
             'w': hp.uniform('w', 0, 1)}
    doc = compile_space(space).document
    assert doc['fn'].startswith("<python ") and "make" in doc['fn']
    assert doc['cls']['options'][1] == "<python builtins.dict>"
    got = []
    fmin(lambda p: got.append(p) or p['w'], space, algo=rand.suggest,
         max_evals=10, show_progressbar=False)
    assert {p['cls'] for p in got} <= {Model, dict}
    assert all(p['fn'] is make for p in got)


def test_sample():
    for seed in range(20):
        p = sample(CLASSIFIER, rng=seed)
        assert p['type']['name'] in ('naive_bayes', 'svm', 'dtree')
        assert sample(CLASSIFIER, rng=seed) == p
    np = pytest.importorskip("numpy")
    p = sample(CLASSIFIER, np.random.default_rng(0))
    assert 'type' in p


def test_space_json_round_trips_through_the_daemon(pzd):
    # What parzend stores is the document, unchanged in meaning.
    c = pzd.client()
    doc = compile_space(CLASSIFIER).document
    s = c.create_study("doc", doc)
    assert s["space"] == CLASSIFIER_DOC


def test_partial_settings_reach_the_study():
    trials = Trials()
    algo = functools.partial(tpe.suggest, n_startup_jobs=5, gamma=0.2,
                             n_EI_candidates=12, prior_weight=0.5)
    fmin(lambda x: x, hp.uniform('x', 0, 1), algo=algo, max_evals=8,
         trials=trials, show_progressbar=False)
    cfg = trials.client.get_study(trials.study)["config"]
    assert cfg["n_startup"] == 5 and cfg["gamma"] == 0.2
    assert cfg["n_ei_candidates"] == 12 and cfg["prior_weight"] == 0.5
    # tpe.suggest alone is parzen's default TPE.
    t2 = Trials()
    fmin(lambda x: x, hp.uniform('x', 0, 1), algo=tpe.suggest, max_evals=2,
         trials=t2, show_progressbar=False)
    cfg = t2.client.get_study(t2.study)["config"]
    assert cfg["n_startup"] == 10 and cfg["multivariate"] is True
    with pytest.raises(TypeError, match="no setting"):
        fmin(lambda x: x, hp.uniform('x', 0, 1),
             algo=functools.partial(tpe.suggest, bogus=1), max_evals=1)
    with pytest.raises(TypeError, match="tpe.suggest, rand.suggest"):
        fmin(lambda x: x, hp.uniform('x', 0, 1), algo=max, max_evals=1)


def test_math_of_uniformint_is_uniform():
    # parzen draws every integer of [low, high] equally often.
    counts = {}
    fmin(lambda p: counts.__setitem__(p, counts.get(p, 0) + 1) or 0,
         hp.uniformint('k', 1, 3), algo=rand.suggest, max_evals=600,
         show_progressbar=False)
    assert set(counts) == {1, 2, 3}
    assert all(abs(v - 200) < 60 for v in counts.values())
