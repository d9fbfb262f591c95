"""hyperopt users' code under parzen: every module path they import, a
results.pkl written by hyperopt 0.2.7 (tests/data) loaded with and without
hyperopt and numpy and resumed, hyperopt's own Trials object given to
parzen's fmin, plotting, and the features parzen leaves out saying what to
use instead."""
import json
import math
import os
import pickle
import sys

import pytest

from conftest import HERE, result_line, run_script, script_env

import parzen
from parzen import (JOB_STATE_DONE, JOB_STATE_ERROR, STATUS_FAIL, STATUS_OK,
                    Trials, anneal, fmin, hp, load_hyperopt_trials, mix,
                    rand, space_eval, tpe)
from parzen.pyll import scope

FIXTURE = os.path.join(HERE, "data", "hyperopt-0.2.7-results.pkl")

# The fixture's space (data/README.md), written with parzen's hp.
SPACE = {
    'lr': hp.loguniform('lr', math.log(1e-4), math.log(1e-1)),
    'units': scope.int(hp.quniform('units', 16, 128, 16)),
    'optimizer': hp.choice('optimizer', [
        {'name': 'adam', 'beta_1': hp.uniform('beta_1', 0.8, 0.99)},
        {'name': 'sgd', 'momentum': hp.uniform('momentum', 0.5, 0.99)},
    ]),
    'layers': hp.randint('layers', 1, 4),
    'dropout': hp.choice('dropout', [None,
                                     hp.uniform('dropout_rate', 0.0, 0.5)]),
}

BEST_LOSS = 0.3194149540099341
ARGMIN = {'dropout': 1, 'dropout_rate': 0.14529108287017628, 'layers': 1,
          'lr': 0.0012360943195053528, 'momentum': 0.6533539444667129,
          'optimizer': 1, 'units': 64.0}


def objective(p):
    loss = (math.log10(p['lr']) + 2.5) ** 2 + abs(p['units'] - 64) / 64.0
    loss += 0.1 * p['layers'] + (0.05 if p['optimizer']['name'] == 'sgd'
                                 else 0.0)
    if p['dropout'] is not None:
        loss += (p['dropout'] - 0.2) ** 2
    return {'loss': loss, 'status': STATUS_OK}


# --- module paths ------------------------------------------------------------

def test_module_paths():
    from parzen.pyll.base import Apply, as_apply, scope as scope2
    from parzen.pyll.stochastic import sample
    from parzen.base import (JOB_STATE_NEW, JOB_STATE_RUNNING, STATUS_NEW,
                             Domain, Trials as T2, trials_from_docs)
    from parzen.fmin import (fmin as fmin2, generate_trials_to_calculate,
                             space_eval as se2)
    from parzen.early_stop import no_progress_loss
    from parzen.exceptions import AllTrialsFailed, DuplicateLabel
    from parzen.anneal import suggest as anneal_suggest
    from parzen.mix import suggest as mix_suggest
    from parzen import partial
    assert isinstance(hp.uniform('x', 0, 1), Apply)
    assert isinstance(scope2.int(hp.uniform('x', 0, 1)), Apply)
    assert as_apply(3) == 3 and scope2 is scope
    assert 0 <= sample(hp.uniform('x', 0, 1), rng=1) < 1
    assert T2 is Trials and fmin2 is fmin and se2 is space_eval
    assert (JOB_STATE_NEW, JOB_STATE_RUNNING, STATUS_NEW) == (0, 1, "new")
    assert callable(no_progress_loss(3))
    assert issubclass(DuplicateLabel, Exception)
    assert issubclass(AllTrialsFailed, Exception)
    assert anneal_suggest is anneal.suggest and mix_suggest is mix.suggest
    # Domain: hyperopt's evaluate, loss, status.
    d = Domain(lambda p: {'loss': p['x'], 'status': STATUS_OK, 'k': 1},
               {'x': hp.uniform('x', 0, 1)})
    r = d.evaluate({'x': 0.25}, None)
    assert r == {'loss': 0.25, 'status': STATUS_OK, 'k': 1}
    assert d.loss(r) == 0.25 and d.status(r) == STATUS_OK
    assert list(d.params) == ['x'] and d.new_result() == {'status': 'new'}
    # trials_from_docs and generate_trials_to_calculate.
    t = generate_trials_to_calculate([{'x': 0.5}])
    fmin(lambda x: x, hp.uniform('x', 0, 1), algo=partial(tpe.suggest,
                                                          n_startup_jobs=2),
         max_evals=2, trials=t, show_progressbar=False)
    t2 = trials_from_docs(t.trials)
    assert t2.vals == t.vals and t2.losses() == t.losses()
    # import parzen as hyperopt
    import parzen as hyperopt
    assert hyperopt.STATUS_OK == "ok" and hyperopt.hp is hp
    assert hyperopt.fmin is fmin and hyperopt.Trials is Trials


@pytest.mark.parametrize("what,match", [
    ("import parzen.atpe", "ATPE.*tpe.suggest"),
    ("from parzen import atpe", "ATPE.*tpe.suggest"),
    ("import parzen.mongoexp", "MongoTrials.*Trials\\(study=NAME\\).*"
                               "parzen worker"),
    ("from parzen.mongoexp import MongoTrials", "MongoTrials"),
    ("from parzen import SparkTrials", "SparkTrials.*Trials\\(study=NAME\\)"
                                       ".*parzen worker"),
    ("from parzen.spark import SparkTrials", "SparkTrials"),
])
def test_left_out_features_say_what_to_use(what, match):
    code = "try:\n    %s\nexcept ImportError as e:\n    print('ERR', e)\n" \
        % what
    out = run_script(code).stdout
    assert out.startswith("ERR ")
    import re
    assert re.search(match, out), out


def test_plotting_with_matplotlib(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from parzen import plotting
    t = Trials()
    fmin(objective, SPACE, algo=tpe.suggest, max_evals=15, trials=t,
         rstate=2, show_progressbar=False)
    for draw in (plotting.main_plot_history, plotting.main_plot_histogram,
                 plotting.main_plot_vars):
        plt.figure()
        fig = draw(t, do_show=False)
        path = tmp_path / (draw.__name__ + ".png")
        fig.savefig(path)
        assert path.stat().st_size > 1000
        plt.close(fig)
    plt.figure()
    fig = plotting.main_plot_vars(t, do_show=False, colorize_best=3)
    assert len(fig.axes) == len(t.vals)  # one panel per label
    plt.close(fig)


def test_plotting_without_matplotlib():
    out = run_script("import sys\nsys.modules['matplotlib'] = None\n"
                     "try:\n    import parzen.plotting\n"
                     "except ImportError as e:\n    print('ERR', e)\n").stdout
    assert out.startswith("ERR ") and "matplotlib" in out
    assert "pip install matplotlib" in out


# --- hyperopt's results.pkl ----------------------------------------------------

def check_fixture(t, numpy):
    assert isinstance(t, Trials)
    # 12 trials; tid 3 raised, so it is left out, as in hyperopt.
    assert len(t) == 11 and t.tids == [0, 1, 2] + list(range(4, 12))
    assert [d["state"] for d in t._dynamic_trials].count(JOB_STATE_ERROR) \
        == 1
    assert t._dynamic_trials[3]["misc"]["error"][1] == \
        "out of memory (simulated)"
    assert t.statuses().count(STATUS_FAIL) == 1
    assert t.trials[5]["result"]["err"] == "diverged"  # tid 6
    assert t.best_trial["tid"] == 10
    assert t.best_trial["result"]["loss"] == BEST_LOSS
    assert t.argmin == ARGMIN
    r = t.trials[3]["result"]  # tid 4, call 5
    assert r["model_name"] == "model_5" and r["epochs"] == 5
    assert r["curve"] == pytest.approx([0.5, 1.0, 1.5]) if not numpy else \
        list(r["curve"]) == pytest.approx([0.5, 1.0, 1.5])
    assert r["accuracy"] == pytest.approx(1.0 / (1.0 + r["loss"]))
    assert t.trial_attachments(t.trials[1])["weights"] == b"\x00\x01binary"
    assert all(d["state"] == JOB_STATE_DONE for d in t.trials)
    assert t.trials[0]["book_time"].year >= 2020


def test_hyperopt_pickle_loads_with_numpy():
    np = pytest.importorskip("numpy")
    t = load_hyperopt_trials(FIXTURE)
    check_fixture(t, numpy=True)
    assert isinstance(t.trials[3]["result"]["curve"], np.ndarray)


def test_hyperopt_pickle_loads_without_hyperopt_or_numpy():
    p = run_script(r'''
import json, sys
sys.modules["numpy"] = None      # neither numpy
sys.modules["hyperopt"] = None   # nor hyperopt is installed
import parzen
t = parzen.load_hyperopt_trials(sys.argv[1])
r = t.trials[3]["result"]
print("RESULT " + json.dumps({
    "len": len(t), "tids": t.tids, "argmin": t.argmin,
    "best": t.best_trial["result"]["loss"], "curve": r["curve"],
    "epochs": r["epochs"], "types": [type(r["curve"]).__name__,
                                     type(r["epochs"]).__name__,
                                     type(r["accuracy"]).__name__],
    "att": t.trial_attachments(t.trials[1])["weights"].decode("latin-1")}))
''', FIXTURE)
    got = result_line(p.stdout)
    assert got["len"] == 11 and got["tids"] == [0, 1, 2] + list(range(4, 12))
    assert got["argmin"] == ARGMIN and got["best"] == BEST_LOSS
    assert got["curve"] == pytest.approx([0.5, 1.0, 1.5])
    assert got["epochs"] == 5 and got["types"][1:] == ["int", "float"]
    assert got["att"] == "\x00\x01binary"


RESUME = r'''
import json, math, pickle, sys
sys.modules["hyperopt"] = None
sys.path.insert(0, %(tests)r)
from test_hyperopt_compat import SPACE, objective
from parzen import fmin, tpe
try:
    trials = pickle.load(open(sys.argv[1], "rb"))  # hyperopt's own
except Exception as e:
    print("plain pickle.load:", type(e).__name__, e)
    import parzen
    trials = parzen.load_hyperopt_trials(sys.argv[1])
seen = []
fmin(lambda p: seen.append(p) or objective(p), SPACE, algo=tpe.suggest,
     trials=trials, max_evals=len(trials.trials) + 6, rstate=5,
     show_progressbar=False)
print("RESULT " + json.dumps({"seen": len(seen), "len": len(trials),
                              "tids": trials.tids,
                              "losses": trials.losses()}))
'''


def test_hyperopt_results_pkl_resumes_under_parzen():
    p = run_script(RESUME % {"tests": HERE}, FIXTURE)
    assert "plain pickle.load: ModuleNotFoundError" in p.stdout
    got = result_line(p.stdout)
    # The history is the start of the search: 6 more evaluations, numbered
    # after hyperopt's 12 trials (the one that raised keeps its number).
    assert got["seen"] == 6 and got["len"] == 17
    assert got["tids"] == [0, 1, 2] + list(range(4, 18))
    t = load_hyperopt_trials(FIXTURE)
    assert got["losses"][:11] == t.losses()
    assert all(x is not None for x in got["losses"][11:])


def test_hyperopt_history_informs_the_search():
    # The imported trials are TPE's history: with 11 finished trials and
    # n_startup_jobs=5, the first new trial is already a TPE suggestion,
    # and it differs from what an empty study would suggest.
    from parzen import partial
    algo = partial(tpe.suggest, n_startup_jobs=5)
    t = load_hyperopt_trials(FIXTURE)
    fmin(objective, SPACE, algo=algo, trials=t, max_evals=12, rstate=5,
         show_progressbar=False)
    fresh = Trials()
    fmin(objective, SPACE, algo=algo, trials=fresh, max_evals=1, rstate=5,
         show_progressbar=False)
    assert t._doc_of(12)["misc"]["vals"] != fresh._doc_of(0)["misc"]["vals"]
    study = t.client.get_study(t.study)
    assert study["counts"] == {"queued": 0, "running": 0, "ok": 11,
                               "fail": 2, "pruned": 0, "total": 13}


# A stand-in for hyperopt's Trials class (module hyperopt.base, class
# Trials, its documents in _dynamic_trials), so that unpickling the fixture
# gives an object of "hyperopt's" class without hyperopt installed.
FAKE_HYPEROPT = '''
class Trials:
    asynchronous = False

    def __init__(self, exp_key=None, refresh=True):
        self._ids = set()
        self._dynamic_trials = []
        self._exp_key = exp_key
        self.attachments = {}
        self.refresh()

    def refresh(self):
        self._trials = [t for t in self._dynamic_trials
                        if t["state"] in (0, 1, 2)]
        self._ids.update(t["tid"] for t in self._trials)

    @property
    def trials(self):
        return self._trials

    def __len__(self):
        return len(self._trials)

    def fmin(self, *args, **kwargs):
        raise AssertionError("parzen's fmin must not call Trials.fmin")
'''


def test_hyperopts_trials_object_given_to_parzens_fmin(tmp_path):
    pkg = tmp_path / "hyperopt"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "base.py").write_text(FAKE_HYPEROPT)
    p = run_script(r'''
import json, pickle, sys
sys.path.insert(0, %(tests)r)
from test_hyperopt_compat import SPACE, objective
import hyperopt.base
from parzen import fmin, tpe
trials = pickle.load(open(sys.argv[1], "rb"))
assert type(trials) is hyperopt.base.Trials
best = fmin(objective, SPACE, algo=tpe.suggest, trials=trials,
            max_evals=len(trials.trials) + 4, rstate=1,
            show_progressbar=False)
# The caller's hyperopt object holds the whole search, and pickles.
again = pickle.loads(pickle.dumps(trials))
print("RESULT " + json.dumps({
    "len": len(trials), "tids": [t["tid"] for t in trials.trials],
    "dyn": len(trials._dynamic_trials), "again": len(again.trials),
    "best": best, "last": trials.trials[-1]["result"]["status"]}))
''' % {"tests": HERE}, FIXTURE,
                   env=script_env(PYTHONPATH=os.pathsep.join(
                       [str(tmp_path), os.path.dirname(HERE)])))
    got = result_line(p.stdout)
    assert got["len"] == 15 and got["dyn"] == 16 and got["again"] == 15
    assert got["tids"] == [0, 1, 2] + list(range(4, 16))
    assert got["last"] == "ok" and set(got["best"]) >= {"lr", "units"}


HYPEROPT_SRC = os.environ.get("PARZEN_HYPEROPT_SRC")


@pytest.mark.skipif(not HYPEROPT_SRC or not os.path.isdir(HYPEROPT_SRC or ""),
                    reason="set PARZEN_HYPEROPT_SRC to a hyperopt source tree "
                           "to run parzen's fmin on real hyperopt Trials")
def test_real_hyperopt_trials_given_to_parzens_fmin():
    p = run_script(r'''
import json, pickle, sys
sys.path.insert(0, %(tests)r)
from test_hyperopt_compat import SPACE, objective
import hyperopt
from parzen import fmin, tpe
trials = pickle.load(open(sys.argv[1], "rb"))
assert type(trials) is hyperopt.Trials
fmin(objective, SPACE, algo=tpe.suggest, trials=trials,
     max_evals=len(trials.trials) + 3, show_progressbar=False)
fresh = hyperopt.Trials()
fmin(objective, SPACE, algo=tpe.suggest, trials=fresh, max_evals=5,
     show_progressbar=False)
print("RESULT " + json.dumps({"len": len(trials), "fresh": len(fresh),
                              "best": fresh.best_trial["result"]["loss"]}))
''' % {"tests": HERE}, FIXTURE, env=script_env(PYTHONPATH=os.pathsep.join(
        [os.path.dirname(HERE), HYPEROPT_SRC])))
    got = result_line(p.stdout)
    assert got["len"] == 14 and got["fresh"] == 5


# --- anneal and mix through fmin ---------------------------------------------------

def quad(x):
    return x ** 2 - x + 1


def test_anneal_converges_is_deterministic_and_resumes():
    runs = []
    for _ in range(2):
        t = Trials()
        fmin(quad, hp.uniform('x', -2, 2), algo=anneal.suggest,
             max_evals=150, trials=t, rstate=3, show_progressbar=False)
        runs.append(t)
    assert runs[0].vals == runs[1].vals  # deterministic per (seed, number)
    assert min(runs[0].losses()) - 0.75 < 1e-3  # converges
    assert runs[0].client.get_study(runs[0].study)["algo"] == "anneal"
    # Resumed from a pickle after 40 trials: the same 150.
    t = Trials()
    fmin(quad, hp.uniform('x', -2, 2), algo=anneal.suggest, max_evals=40,
         trials=t, rstate=3, show_progressbar=False)
    t = pickle.loads(pickle.dumps(t))
    fmin(quad, hp.uniform('x', -2, 2), algo=anneal.suggest, max_evals=150,
         trials=t, show_progressbar=False)
    assert t.vals == runs[0].vals


def test_mix_is_deterministic_and_takes_settings():
    from parzen import partial
    algo = partial(mix.suggest, p_suggest=[
        (0.25, rand.suggest), (0.25, partial(anneal.suggest,
                                              shrink_coef=0.2)),
        (0.5, partial(tpe.suggest, n_startup_jobs=5))])
    a, b = Trials(), Trials()
    for t in (a, b):
        fmin(quad, hp.uniform('x', -2, 2), algo=algo, max_evals=40,
             trials=t, rstate=8, show_progressbar=False)
    assert a.vals == b.vals and min(a.losses()) - 0.75 < 1e-2
    cfg = a.client.get_study(a.study)["config"]
    assert [c["algo"] for c in cfg["components"]] == ["random", "anneal",
                                                      "tpe"]
    assert cfg["components"][1]["config"]["shrink_coef"] == 0.2
    assert cfg["components"][2]["config"]["n_startup"] == 5
    with pytest.raises(TypeError, match="p_suggest"):
        fmin(quad, hp.uniform('x', -2, 2), algo=mix.suggest, max_evals=1)
    with pytest.raises(Exception, match="sum to 1"):
        fmin(quad, hp.uniform('x', -2, 2), max_evals=1, algo=partial(
            mix.suggest, p_suggest=[(0.5, rand.suggest)]))


def test_a_trials_can_change_algorithm_between_calls():
    # hyperopt allows it: random first, then TPE on the same Trials.
    t = Trials()
    fmin(quad, hp.uniform('x', -2, 2), algo=rand.suggest, max_evals=10,
         trials=t, rstate=1, show_progressbar=False)
    first = list(t.vals['x'])
    fmin(quad, hp.uniform('x', -2, 2), algo=anneal.suggest, max_evals=20,
         trials=t, show_progressbar=False)
    assert t.vals['x'][:10] == first and len(t) == 20
    assert t.client.get_study(t.study)["algo"] == "anneal"


def test_parzen_version():
    assert isinstance(parzen.__version__, str)
    assert json.loads(json.dumps(parzen.__all__))
    assert sys.modules["parzen.fmin"].__name__ == "parzen.fmin"
