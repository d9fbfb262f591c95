"""Pruning from Python: parzen.report() inside fmin objectives and worker
functions, TrialPruned, should_prune(), Trials(pruner=...),
fmin(pruner=...), STATUS_PRUNED, and the reports in trial documents and
pickles (python/parzen/pruning.py)."""
import math
import pickle

import pytest

import parzen
from parzen import (STATUS_OK, STATUS_PRUNED, Trials, TrialPruned, fmin, hp,
                    rand, tpe, worker)
from parzen.client import CONFLICT, Error

SPACE = hp.uniform("x", 0, 1)
MEDIAN = {"kind": "median", "n_startup_trials": 3, "n_warmup_steps": 1}


def curve(x, epoch):
    """A learning curve: x far from 0.3 is worse at every epoch."""
    return (x - 0.3) ** 2 + 1.0 / (epoch + 1)


def training(epochs=8):
    def objective(x):
        for epoch in range(epochs):
            parzen.report(curve(x, epoch), epoch)
        return curve(x, epochs - 1)
    return objective


def test_fmin_ends_pruned_trials_as_pruned():
    t = Trials(pruner=MEDIAN)
    fmin(training(), SPACE, algo=rand.suggest, max_evals=30, trials=t,
         rstate=4, show_progressbar=False)
    statuses = t.statuses()
    assert len(statuses) == 30
    assert 0 < statuses.count(STATUS_PRUNED) < 27, statuses
    assert statuses.count(STATUS_OK) + statuses.count(STATUS_PRUNED) == 30
    # parzend's view: the same trials pruned, with their reports.
    stored = {s["number"]: s for s in
              t.client.iter_trials(t.study, intermediate=True)}
    for doc in t.trials:
        s = stored[doc["tid"]]
        x = doc["misc"]["vals"]["x"][0]
        assert s["state"] == doc["result"]["status"]
        steps = [st for st, _ in doc["intermediate"]]
        assert doc["intermediate"] == s["intermediate"]
        assert doc["intermediate"] == [[e, curve(x, e)] for e in steps]
        if s["state"] == "pruned":
            # Stopped at the decision: its loss is its last value.
            assert steps == list(range(len(steps))) and len(steps) < 8
            assert s["loss"] == curve(x, steps[-1])
            assert doc["result"]["loss"] == s["loss"]
        else:
            assert steps == list(range(8))
    assert t.best_trial["result"]["status"] == STATUS_OK
    assert t.intermediate == [d["intermediate"] for d in t.trials]
    # The study keeps the effective pruner.
    study = t.client.get_study(t.study)
    assert study["pruner"]["kind"] == "median"
    assert study["pruner"]["n_warmup_steps"] == 1
    assert study["counts"]["pruned"] == statuses.count(STATUS_PRUNED)


def test_fmin_pruner_argument_and_a_pickle_resume():
    t = Trials()
    fmin(training(), SPACE, algo=tpe.suggest, max_evals=20, trials=t,
         rstate=2, show_progressbar=False, pruner=MEDIAN)
    n_pruned = t.statuses().count(STATUS_PRUNED)
    assert n_pruned > 0
    # A pickle keeps the reports and the pruner, and the search goes on
    # from it with the same pruner.
    back = pickle.loads(pickle.dumps(t))
    assert back.pruner["kind"] == "median"
    assert [d["intermediate"] for d in back.trials] == \
        [d["intermediate"] for d in t.trials]
    assert back.statuses() == t.statuses()
    fmin(training(), SPACE, algo=tpe.suggest, max_evals=25, trials=back,
         show_progressbar=False)
    assert len(back) == 25
    assert back.client.get_study(back.study)["pruner"]["kind"] == "median"
    assert back.trials[0]["intermediate"] == t.trials[0]["intermediate"]


def test_persistent_trials_with_a_pruner(pzd):
    t = Trials(study="p", socket=pzd.socket, pruner=MEDIAN)
    fmin(training(), SPACE, algo=rand.suggest, max_evals=12, trials=t,
         rstate=1, show_progressbar=False)
    c = pzd.client()
    assert c.get_study("p")["pruner"]["kind"] == "median"
    # Another process's Trials without a pruner works on the same study;
    # one with another pruner is refused.
    again = Trials(study="p", socket=pzd.socket)
    assert again.statuses() == t.statuses()
    fmin(training(), SPACE, algo=rand.suggest, max_evals=14, trials=again,
         show_progressbar=False)
    assert c.get_study("p")["counts"]["total"] == 14
    other = Trials(study="p", socket=pzd.socket, pruner={"kind": "asha"})
    with pytest.raises(Error) as e:
        fmin(training(), SPACE, algo=rand.suggest, max_evals=15,
             trials=other, show_progressbar=False)
    assert e.value.code == CONFLICT and e.value.path == "params.pruner"


def test_should_prune_and_raising_it_yourself():
    decisions = []

    def objective(x):
        for epoch in range(6):
            stop = parzen.report(curve(x, epoch), epoch, raise_pruned=False)
            assert stop == parzen.should_prune()
            if stop:
                decisions.append(epoch)
                # Later reports are not sent, and say stop again.
                assert parzen.report(9.0, epoch + 1,
                                     raise_pruned=False) is True
                raise TrialPruned("my own words")
        return curve(x, 5)

    t = Trials(pruner={"kind": "threshold", "upper": 1.05})
    fmin(objective, SPACE, algo=rand.suggest, max_evals=15, trials=t,
         rstate=6, show_progressbar=False)
    pruned = [d for d in t.trials if d["result"]["status"] == STATUS_PRUNED]
    assert len(pruned) == len(decisions) > 0
    for d in pruned:
        # Not the 9.0: it was never sent.
        assert d["intermediate"][-1][1] > 1.05
        assert d["intermediate"][-1][1] != 9.0
    # Outside a trial there is nothing to prune.
    assert parzen.should_prune() is False


def test_objective_may_return_pruned():
    def objective(x):
        parzen.report(x, 0)
        if x > 0.5:
            return {"status": STATUS_PRUNED, "loss": x, "why": "mine"}
        return x

    t = Trials()
    fmin(objective, SPACE, algo=rand.suggest, max_evals=12, trials=t,
         rstate=3, show_progressbar=False)
    for d in t.trials:
        x = d["misc"]["vals"]["x"][0]
        assert d["result"]["status"] == (STATUS_PRUNED if x > 0.5
                                         else STATUS_OK)
    stored = list(t.client.iter_trials(t.study))
    assert {s["state"] for s in stored} == {"ok", "pruned"}
    for s in stored:
        if s["state"] == "pruned":
            assert s["result"]["why"] == "mine"


def test_worker_function_reports_and_is_pruned(pzd):
    def fn(point):
        for epoch in range(5):
            parzen.report(curve(point, epoch), epoch)
        return curve(point, 4)

    n = worker("w", fn, space=SPACE, algo="random", seed=5, max_trials=16,
               client=pzd.client(), pruner=MEDIAN)
    assert n == 16
    c = pzd.client()
    states = [t["state"] for t in c.iter_trials("w", intermediate=True)]
    assert states.count("running") == 0
    assert 0 < states.count("pruned") < 13, states
    for t in c.iter_trials("w", intermediate=True):
        if t["state"] == "pruned":
            assert t["loss"] == t["intermediate"][-1][1]
            assert len(t["intermediate"]) < 5


def test_bad_reports_are_refused_before_sending():
    seen = []

    def objective(x):
        for value, step, exc in ((math.nan, 0, ValueError),
                                 (math.inf, 0, ValueError),
                                 ("0.5", 0, TypeError),
                                 (0.5, -1, ValueError),
                                 (0.5, 1.5, ValueError),
                                 (0.5, True, ValueError)):
            with pytest.raises(exc):
                parzen.report(value, step)
        parzen.report(0.5, 3)
        # Another value for a stored step: parzend refuses it.
        with pytest.raises(Error) as e:
            parzen.report(0.25, 3)
        assert e.value.code == CONFLICT and e.value.path == "params.value"
        seen.append(x)
        return x

    t = Trials()
    fmin(objective, SPACE, algo=rand.suggest, max_evals=2, trials=t,
         show_progressbar=False)
    assert len(seen) == 2
    assert [d["intermediate"] for d in t.trials] == [[[3, 0.5]]] * 2


def test_report_outside_a_trial():
    with pytest.raises(RuntimeError, match="inside an objective"):
        parzen.report(0.5, 1)


def test_report_through_parzen_report_fd(monkeypatch):
    import os
    r, w = os.pipe()
    monkeypatch.setenv("PARZEN_REPORT_FD", str(w))
    try:
        assert parzen.report(0.1, 2) is False
        assert parzen.report(1e-300, 3) is False
        os.close(w)
        assert os.read(r, 100) == b"2 0.1\n3 1e-300\n"
    finally:
        os.close(r)


def test_bad_pruner_configs():
    with pytest.raises(TypeError):
        Trials(pruner="median")
    with pytest.raises(TypeError):
        fmin(training(), SPACE, max_evals=1, pruner={"n_startup": 2},
             show_progressbar=False)
    t = Trials(pruner={"kind": "percentile", "percentile": 101})
    with pytest.raises(Error) as e:
        fmin(training(), SPACE, max_evals=1, trials=t,
             show_progressbar=False)
    assert e.value.path == "params.pruner.percentile"
