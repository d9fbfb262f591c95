"""hyperopt's fmin semantics, one by one (issue 9, item 6), checked
against what hyperopt 0.3.0 does with the same calls (its figures are in
the comments)."""
import math

import pytest

from parzen import (JOB_STATE_ERROR, STATUS_OK, Trials, early_stop, fmin, hp,
                    partial, rand, space_eval, tpe)
from parzen.pyll.stochastic import sample

X = hp.uniform('x', -2, 2)


def quad(x):
    return x ** 2 - x + 1


def study_counts(trials):
    return trials.client.get_study(trials.study)["counts"]


# --- early_stop_fn ---------------------------------------------------------

def test_early_stop_stops_right_after_the_evaluation():
    calls = []
    seen = []

    def stop_at_3(trials, *state):
        calls.append(len(trials))
        return len(trials) >= 3, state
    trials = Trials()
    fmin(lambda x: seen.append(x) or quad(x), X, algo=tpe.suggest,
         max_evals=10, trials=trials, early_stop_fn=stop_at_3,
         show_progressbar=False)
    # hyperopt: evals 3, calls [1, 2, 3]
    assert len(seen) == 3 and calls == [1, 2, 3]
    # Nothing was asked after the stop: parzend holds 3 trials, all done.
    assert study_counts(trials) == {"queued": 0, "running": 0, "ok": 3,
                                    "fail": 0, "pruned": 0, "total": 3}


def test_early_stop_state_is_passed_along():
    trials = Trials()
    fmin(lambda x: 1.0, X, algo=rand.suggest, max_evals=500, trials=trials,
         early_stop_fn=early_stop.no_progress_loss(10),
         show_progressbar=False)
    assert len(trials) == 10  # as hyperopt 0.3.0
    assert study_counts(trials)["total"] == 10


# --- argument checks -------------------------------------------------------

# hyperopt's own messages, word for word (its tests compare them).
TIMEOUT = ("^The timeout argument should be None or a positive value. "
           "Given value: %s$")
LOSS_THRESHOLD = ("^The loss_threshold argument should be None or a numeric "
                  "value. Given value: %s$")

BAD_ARGS = [
    (dict(timeout=-1), ValueError, TIMEOUT % "-1"),
    (dict(timeout=0), ValueError, TIMEOUT % "0"),
    (dict(timeout=True), TypeError, TIMEOUT % "True"),
    (dict(timeout="1"), TypeError, TIMEOUT % "1"),
    (dict(loss_threshold="a"), TypeError, LOSS_THRESHOLD % "a"),
    (dict(loss_threshold=True), TypeError, LOSS_THRESHOLD % "True"),
    (dict(loss_threshold=math.nan), ValueError, LOSS_THRESHOLD % "nan"),
    (dict(max_evals=-1), ValueError, "max_evals.*-1"),
    (dict(max_evals="3"), TypeError, "max_evals.*'3'"),
    (dict(max_evals=True), TypeError, "max_evals.*True"),
    (dict(max_evals=2.5), TypeError, "max_evals.*2.5"),
]


@pytest.mark.parametrize("kw,exc,match", BAD_ARGS)
def test_bad_arguments_are_refused_before_any_evaluation(kw, exc, match):
    seen = []
    trials = Trials()
    args = dict(max_evals=3)
    args.update(kw)
    with pytest.raises(exc, match=match):
        fmin(lambda x: seen.append(x) or quad(x), X, algo=rand.suggest,
             trials=trials, show_progressbar=False, **args)
    assert seen == [] and len(trials._raw) == 0 and not trials._opened


def test_good_arguments_of_other_types():
    np = pytest.importorskip("numpy")
    trials = Trials()
    fmin(quad, X, algo=rand.suggest, max_evals=np.int64(3), timeout=60.0,
         loss_threshold=np.float64(-5), trials=trials,
         show_progressbar=False)
    assert len(trials) == 3
    trials = Trials()
    fmin(quad, X, algo=rand.suggest, max_evals=0, trials=trials,
         return_argmin=False, show_progressbar=False)
    assert len(trials) == 0


# --- nothing asked that is not evaluated -----------------------------------

@pytest.mark.parametrize("stop", ["timeout", "loss_threshold", "early",
                                  "exception"])
def test_no_trial_is_asked_that_is_not_evaluated(stop):
    import time
    seen = []

    def obj(x):
        seen.append(x)
        if stop == "exception" and len(seen) == 4:
            raise RuntimeError("boom")
        if stop == "timeout":
            time.sleep(0.05)
        return quad(x) if stop != "loss_threshold" else 5.0 - len(seen)
    kw = {"timeout": dict(timeout=0.3),
          "loss_threshold": dict(loss_threshold=0.5),
          "early": dict(early_stop_fn=lambda t, *s: (len(t) >= 6, s)),
          "exception": {}}[stop]
    trials = Trials()
    try:
        fmin(obj, X, algo=rand.suggest, max_evals=1000, trials=trials,
             show_progressbar=False, **kw)
    except RuntimeError:
        assert stop == "exception"
    c = study_counts(trials)
    # Every trial parzend made was evaluated: none queued, none running.
    assert c["total"] == len(seen) and c["queued"] == 0 and \
        c["running"] == 0
    if stop == "loss_threshold":
        assert len(seen) == 5  # losses 4, 3, 2, 1, 0 < 0.5


# --- exceptions ------------------------------------------------------------

def test_an_exception_propagates_and_leaves_no_running_trial():
    trials = Trials()
    calls = []

    def obj(x):
        calls.append(x)
        raise ValueError("x=%r" % x)
    with pytest.raises(ValueError, match="x="):
        fmin(obj, X, algo=tpe.suggest, max_evals=10, trials=trials,
             show_progressbar=False)
    # hyperopt: evals 1, len 0, the trial in _dynamic_trials as ERROR.
    assert len(calls) == 1 and len(trials) == 0 and trials.trials == []
    assert [d["state"] for d in trials._dynamic_trials] == [JOB_STATE_ERROR]
    assert study_counts(trials) == {"queued": 0, "running": 0, "ok": 0,
                                    "fail": 1, "pruned": 0, "total": 1}


def test_catch_eval_exceptions_counts_as_hyperopt():
    def obj(x):
        if x > 0:
            raise ValueError("pos")
        return x * x
    trials = Trials()
    fmin(obj, X, algo=rand.suggest, max_evals=10, trials=trials, rstate=0,
         catch_eval_exceptions=True, show_progressbar=False)
    # hyperopt: 10 evaluations; only those that did not raise are in
    # trials.trials, which keeps its tids (with gaps).
    n_raised = sum(d["state"] == JOB_STATE_ERROR
                   for d in trials._dynamic_trials)
    assert len(trials._dynamic_trials) == 10 and n_raised > 0
    assert len(trials) == len(trials.trials) == 10 - n_raised
    assert trials.tids == [d["tid"] for d in trials._dynamic_trials
                           if d["state"] != JOB_STATE_ERROR]
    # A second call evaluates max_evals - len(trials) more, as hyperopt.
    before = len(trials._dynamic_trials)
    visible = len(trials)
    fmin(obj, X, algo=rand.suggest, max_evals=10, trials=trials,
         catch_eval_exceptions=True, show_progressbar=False)
    assert len(trials._dynamic_trials) - before == 10 - visible


def test_the_len_plus_one_loop_skips_raised_trials():
    # hyperopt's resume loop: each step adds one evaluation; a step whose
    # objective raised adds nothing to len(trials), so the next step
    # evaluates again.
    trials = Trials()
    n = [0]

    def obj(x):
        n[0] += 1
        if n[0] in (2, 5):
            raise RuntimeError("flaky")
        return quad(x)
    for _ in range(8):
        try:
            fmin(obj, X, algo=tpe.suggest, trials=trials,
                 max_evals=len(trials.trials) + 1, show_progressbar=False)
        except RuntimeError:
            pass
    assert n[0] == 8 and len(trials) == 6


# --- points_to_evaluate ------------------------------------------------------

def test_points_to_evaluate_first_in_order_on_top_of_max_evals():
    space = {'x': X, 'c': hp.choice('c', ['a', {'y': hp.uniform('y', 0, 1)}])}
    pts = [{'x': 0.5, 'c': 0}, {'x': -1.0, 'c': 1, 'y': 0.25},
           {'x': 1.5, 'c': 0}]
    seen = []
    # trials=None, as hyperopt documents it: 3 points + 5 evaluations.
    best = fmin(lambda p: seen.append(p) or quad(p['x']), space,
                algo=tpe.suggest, max_evals=5, points_to_evaluate=pts,
                show_progressbar=False)
    assert len(seen) == 8
    assert seen[:3] == [{'x': 0.5, 'c': 'a'}, {'x': -1.0, 'c': {'y': 0.25}},
                        {'x': 1.5, 'c': 'a'}]
    assert best['x'] == 0.5 or quad(best['x']) <= 0.75 + 1e-12
    # generate_trials_to_calculate does the same.
    from parzen.fmin import generate_trials_to_calculate
    seen.clear()
    trials = generate_trials_to_calculate(pts)
    fmin(lambda p: seen.append(p) or quad(p['x']), space, algo=tpe.suggest,
         max_evals=5, trials=trials, show_progressbar=False)
    assert len(seen) == 8 and trials.vals['x'][:3] == [0.5, -1.0, 1.5]
    # A Trials that already has trials ignores them (as hyperopt).
    seen.clear()
    fmin(lambda p: seen.append(p) or quad(p['x']), space, algo=tpe.suggest,
         max_evals=10, trials=trials, points_to_evaluate=pts,
         show_progressbar=False)
    assert len(seen) == 2 and {'x': 0.5, 'c': 'a'} not in seen


# --- tuples and lists ----------------------------------------------------------

def test_points_are_built_as_hyperopt_builds_them():
    # hyperopt's pyll makes every list and tuple of a space a tuple, and
    # every dict a dict with sorted keys: in the point given to the
    # objective, in space_eval and in pyll.stochastic.sample alike.
    space = {'t': (hp.uniform('a', 0, 1), 'k', [hp.choice('c', [(1, 2),
                                                              [3, 4]])]),
             'l': [hp.uniform('b', 0, 1), ('z',)], 'b': {'y': 1, 'x': 2}}
    got = []
    trials = Trials()
    fmin(lambda p: got.append(p) or p['t'][0], space, algo=rand.suggest,
         max_evals=20, trials=trials, rstate=1, show_progressbar=False)
    assert {p['t'][2][0] for p in got} == {(1, 2), (3, 4)}
    for p in got + [space_eval(space, trials.argmin), sample(space, 1)]:
        assert list(p) == ['b', 'l', 't'] and list(p['b']) == ['x', 'y']
        assert type(p['t']) is tuple and type(p['t'][2]) is tuple
        assert type(p['l']) is tuple and p['l'][1] == ('z',)
    best = fmin(lambda p: p['t'][0], space, algo=rand.suggest, max_evals=5,
                rstate=1, return_argmin=False, show_progressbar=False)
    assert type(best['l']) is tuple


# --- hyperopt's README example -------------------------------------------------

README_SPACE = hp.choice('a', [
    ('case 1', 1 + hp.lognormal('c1', 0, 1)),
    ('case 2', hp.uniform('c2', -10, 10)),
])


def readme_objective(args):
    case, val = args
    if case == 'case 1':
        return val
    return val ** 2


def test_hyperopts_readme_example_finds_case_2():
    # With hyperopt's TPE semantics (preset "hyperopt"), 100 evaluations,
    # 20 fixed seeds: case 2 in at least 19 (hyperopt's own TPE: 59 of 60).
    # parzen's default TPE finds it in 14 of these 20 today; issue 10
    # raises that to 19.
    found = 0
    for seed in range(20):
        best = fmin(readme_objective, README_SPACE,
                    algo=partial(tpe.suggest, preset="hyperopt"),
                    max_evals=100, rstate=seed, show_progressbar=False)
        point = space_eval(README_SPACE, best)
        assert type(point) is tuple
        found += best['a'] == 1 and point[0] == 'case 2'
    assert found >= 19, found


def test_results_of_status_ok_keep_extra_keys():
    trials = Trials()
    fmin(lambda x: {'loss': quad(x), 'status': STATUS_OK, 'k': [x]}, X,
         algo=rand.suggest, max_evals=3, trials=trials,
         show_progressbar=False)
    assert all(r['k'] == [r['k'][0]] for r in trials.results)
