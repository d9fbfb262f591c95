"""Parts of hyperopt's API that its own tests and the scripts of
tests/scripts/ use, checked one by one: inserted trial documents,
pyll's nodes and scope, points outside the space, the defaults of
hyperopt's TPE arguments."""
import functools
import pickle

import pytest

from parzen import (JOB_STATE_DONE, STATUS_OK, Trials, fmin,
                    fmin_pass_expr_memo_ctrl, generate_trials_to_calculate,
                    hp, rand, space_eval, tpe)
from parzen.base import InvalidTrial, SONify
from parzen.pyll import Apply, Literal, as_apply, rec_eval, scope
from parzen.pyll.stochastic import sample

X = hp.uniform('x', -2, 2)


def done_doc(trials, x, loss):
    tid, = trials.new_trial_ids(1)
    return {'tid': tid, 'spec': None, 'state': JOB_STATE_DONE,
            'result': {'loss': loss, 'status': STATUS_OK, 'src': 'old'},
            'misc': {'tid': tid, 'cmd': None, 'workdir': None,
                     'idxs': {'x': [tid]}, 'vals': {'x': [x]}},
            'exp_key': None, 'owner': None, 'version': 0,
            'book_time': None, 'refresh_time': None}


def test_documents_inserted_after_a_search_join_its_history():
    # The private study in parzend lacks them: the next fmin imports the
    # history again, and the search goes on from all of it.
    trials = Trials()
    fmin(lambda x: x ** 2, X, algo=rand.suggest, max_evals=3, trials=trials,
         rstate=1, show_progressbar=False)
    ids = trials.insert_trial_docs([done_doc(trials, 0.5, 0.25),
                                    done_doc(trials, -0.1, 0.01)])
    assert ids == [3, 4] and len(trials) == 3
    trials.refresh()
    assert len(trials) == 5 and trials.losses()[3:] == [0.25, 0.01]
    assert trials.best_trial['result']['loss'] == min(trials.losses())
    fmin(lambda x: x ** 2, X, algo=rand.suggest, max_evals=7, trials=trials,
         show_progressbar=False)
    assert trials.tids == list(range(7)) and trials.results[3]['src'] == 'old'
    study = trials.client.get_study(trials.study)
    assert study["counts"]["total"] == 7
    # Inserted, not refreshed, pickled: still there once loaded.
    trials.insert_trial_doc(done_doc(trials, 1.0, 1.0))
    again = pickle.loads(pickle.dumps(trials))
    assert len(again) == 7
    again.refresh()
    assert len(again) == 8 and again.losses()[7] == 1.0


def test_trial_documents_are_checked_as_hyperopt_checks_them():
    trials = Trials()
    good = done_doc(trials, 0.5, 0.25)
    for key in ('tid', 'misc', 'exp_key', 'state'):
        bad = dict(good)
        del bad[key]
        with pytest.raises(InvalidTrial):
            trials.insert_trial_doc(bad)
    with pytest.raises(InvalidTrial, match="tid mismatch"):
        trials.insert_trial_doc(dict(good, tid=9))
    with pytest.raises(NotImplementedError, match="import-hyperopt"):
        Trials(study="s", socket="/nonexistent").insert_trial_doc(good)
    assert trials.aname(good, 'f') == 'ATTACH::0::f'
    assert trials.view() is trials
    assert SONify({'a': (1, 2.5), 'b': [True, None]}) == \
        {'a': (1, 2.5), 'b': [True, None]}


def test_points_outside_the_space_are_refused_before_anything_runs():
    seen = []
    for kw in (dict(points_to_evaluate=[{'x': 0.5}, {'x': 7.5}]),
               dict(trials=generate_trials_to_calculate([{'x': 7.5}]))):
        with pytest.raises(ValueError, match=r"points_to_evaluate\[\d\]: "
                           "'x': 7.5 is outside the prior's range"):
            fmin(seen.append, X, algo=rand.suggest, max_evals=3,
                 show_progressbar=False, **kw)
    assert seen == []


def test_nodes_index_and_do_not_iterate():
    pair = hp.choice('p', [(1, hp.uniform('a', 0, 1)), (2, 'b')])
    assert space_eval(pair[0] * 10, {'p': 1}) == 20
    assert space_eval(as_apply([5, 6, 7])[hp.randint('i', 3)], {'i': 2}) == 7
    assert isinstance(pair, Apply) and isinstance(Literal(3), Apply)
    with pytest.raises(TypeError, match="not iterable"):
        list(pair)
    with pytest.raises(TypeError, match="not iterable"):
        a, b = pair


def test_scope_functions_of_hyperopt():
    def area(w, h=1.0):
        return w * h
    assert scope.define(area) is area        # returns f, as hyperopt
    node = scope.area(hp.uniform('w', 1, 2), h=scope.max(3, 4))
    assert space_eval(node, {'w': 1.5}) == 6.0
    assert rec_eval(scope.min(scope.sin(0.0), 1) + scope.len([1, 2])) == 2.0
    assert rec_eval(Literal((1, [2]))) == (1, (2,))
    assert rec_eval(scope.call(max, (1, 5))) == 5
    assert {'sin', 'normal', 'area'} <= set(dir(scope))
    assert rec_eval({'b': scope.switch(1, 'x', 'y'), 'a': 1}) == \
        {'a': 1, 'b': 'y'}
    # sample's rng reaches scope's stochastic functions without one.
    draws = [sample(scope.randint(3), rng) for rng in range(30)]
    assert set(draws) == {0, 1, 2}
    assert draws == [sample(scope.randint(3), rng) for rng in range(30)]
    assert sample(scope.normal(0, 1), 3) == sample(scope.normal(0, 1), 3)


def test_hyperopts_tpe_defaults():
    assert (tpe._default_gamma, tpe._default_n_startup_jobs,
            tpe._default_n_EI_candidates, tpe._default_prior_weight,
            tpe._default_linear_forgetting) == (0.25, 20, 24, 1.0, 25)
    trials = Trials()
    algo = functools.partial(tpe.suggest, gamma=tpe._default_gamma,
                             n_startup_jobs=tpe._default_n_startup_jobs)
    fmin(lambda x: x ** 2, X, algo=algo, max_evals=3, trials=trials,
         show_progressbar=False)
    config = trials.client.get_study(trials.study)["config"]
    assert config["gamma"] == 0.25 and config["n_startup"] == 20


def test_objectives_taking_expr_memo_ctrl_are_refused():
    @fmin_pass_expr_memo_ctrl
    def objective(expr, memo, ctrl):
        return 0.0
    with pytest.raises(NotImplementedError, match="expr, memo and ctrl"):
        fmin(objective, X, algo=rand.suggest, max_evals=1,
             show_progressbar=False)
