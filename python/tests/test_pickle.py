"""Pickled Trials (python/parzen/trials.py, "Pickling"): a private Trials
pickles its whole state and resumes exactly in another process, lazily;
a persistent one pickles as its study's address; a newer format is
refused; results keep the objective's own objects where they can."""
import json
import pickle

import pytest

from conftest import result_line, run_script

import parzen.trials as trials_mod
from parzen import (STATUS_OK, Trials, anneal, fmin, hp, load_hyperopt_trials,
                    rand, tpe)

SPACE = {'x': hp.uniform('x', -2, 2),
         'opt': hp.choice('opt', [
             {'name': 'sgd', 'lr': hp.loguniform('lr', -7, 0)},
             {'name': 'adam', 'beta': hp.uniform('beta', 0.8, 0.99)}]),
         'pair': (hp.quniform('q', 0, 10, 2), 'tag')}


def f(p):
    extra = p['opt']['lr'] if p['opt']['name'] == 'sgd' else p['opt']['beta']
    return (p['x'] - 0.3) ** 2 + extra + p['pair'][0] / 100


RESUME = r'''
import json, pickle, sys
from parzen import fmin, tpe, anneal, rand, hp
import test_pickle
algo = {"tpe": tpe.suggest, "anneal": anneal.suggest,
        "rand": rand.suggest}[sys.argv[2]]
with open(sys.argv[1], "rb") as fh:
    trials = pickle.load(fh)
seen = []
fmin(lambda p: seen.append(p) or test_pickle.f(p), test_pickle.SPACE,
     algo=algo, trials=trials, max_evals=int(sys.argv[3]),
     show_progressbar=False)
print("RESULT " + json.dumps({"vals": trials.vals, "losses": trials.losses(),
                              "n_seen": len(seen)}))
'''


def env_with_tests():
    from conftest import HERE, script_env
    import os
    return script_env(PYTHONPATH=os.pathsep.join(
        [os.path.dirname(HERE), HERE]))


@pytest.mark.parametrize("algo_name,algo", [("tpe", tpe.suggest),
                                            ("anneal", anneal.suggest),
                                            ("rand", rand.suggest)])
def test_pickled_trials_resume_exactly_in_another_process(tmp_path,
                                                          algo_name, algo):
    # No rstate: the seed parzend drew travels in the pickle.
    first = Trials()
    fmin(f, SPACE, algo=algo, trials=first, max_evals=12,
         show_progressbar=False)
    path = tmp_path / "t.pkl"
    with open(path, "wb") as fh:
        pickle.dump(first, fh)
    # The uninterrupted run: the same Trials goes on to 30 here.
    fmin(f, SPACE, algo=algo, trials=first, max_evals=30,
         show_progressbar=False)
    got = result_line(run_script(RESUME, str(path), algo_name, "30",
                                 env=env_with_tests()).stdout)
    assert got["n_seen"] == 18
    assert got["losses"] == first.losses()
    assert got["vals"] == json.loads(json.dumps(first.vals))


def test_unpickled_views_need_no_daemon(tmp_path):
    t = Trials()
    fmin(f, SPACE, algo=tpe.suggest, trials=t, max_evals=8, rstate=4,
         show_progressbar=False)
    path = tmp_path / "t.pkl"
    path.write_bytes(pickle.dumps(t))
    p = run_script(r'''
import json, pickle, sys
from parzen import daemon
t = pickle.load(open(sys.argv[1], "rb"))
out = {"len": len(t), "tids": t.tids, "losses": t.losses(),
       "argmin": t.argmin, "best": t.best_trial["result"]["loss"],
       "again": len(pickle.loads(pickle.dumps(t)).trials),
       "daemon": daemon._private is not None}
print("RESULT " + json.dumps(out))
''', str(path), env=env_with_tests())
    got = result_line(p.stdout)
    assert got["len"] == 8 and got["tids"] == list(range(8))
    assert got["losses"] == t.losses()
    assert got["argmin"] == json.loads(json.dumps(t.argmin))
    assert got["best"] == min(t.losses()) and got["again"] == 8
    # Lazily: nothing started a daemon.
    assert got["daemon"] is False


def test_a_trial_running_when_pickled_runs_first():
    blob = []
    trials = Trials()

    def obj(p):
        if len(trials._raw) == 5 and not blob:
            blob.append(pickle.dumps(trials))  # trial 4 is running
        return f(p)
    fmin(obj, SPACE, algo=tpe.suggest, trials=trials, max_evals=8,
         rstate=9, show_progressbar=False)
    loaded = pickle.loads(blob[0])
    assert len(loaded) == 5  # the running one counts, as in hyperopt
    assert loaded.trials[4]["state"] == 1  # JOB_STATE_RUNNING
    seen = []
    fmin(lambda p: seen.append(p) or f(p), SPACE, algo=tpe.suggest,
         trials=loaded, max_evals=8, show_progressbar=False)
    assert len(seen) == 4
    assert loaded.vals == trials.vals and loaded.losses() == trials.losses()
    assert loaded._raw[4]["attempt"] == 1  # handed out again


def test_persistent_trials_pickle_as_a_reference(pzd):
    t = Trials(study="ref", socket=pzd.socket)
    fmin(f, SPACE, algo=tpe.suggest, trials=t, max_evals=5,
         show_progressbar=False)
    data = pickle.dumps(t)
    assert b"params" not in data  # the address, not the trials
    back = pickle.loads(data)
    assert back.persistent and back.study == "ref"
    assert back.losses() == t.losses()
    fmin(f, SPACE, algo=tpe.suggest, trials=back, max_evals=7,
         show_progressbar=False)
    assert pzd.client().get_study("ref")["counts"]["ok"] == 7


def test_a_newer_format_is_refused(monkeypatch):
    t = Trials()
    fmin(f, SPACE, algo=rand.suggest, trials=t, max_evals=2,
         show_progressbar=False)
    monkeypatch.setattr(trials_mod, "FORMAT_VERSION", 3)
    data = pickle.dumps(t)
    monkeypatch.setattr(trials_mod, "FORMAT_VERSION", 2)
    with pytest.raises(ValueError, match="newer parzen.*version 3.*up to 2"):
        pickle.loads(data)
    assert len(pickle.loads(pickle.dumps(t))) == 2


def test_results_keep_the_objectives_objects(tmp_path):
    np = pytest.importorskip("numpy")
    arr = np.arange(3.0)
    kept = []

    def obj(p):
        r = {'loss': float(p), 'status': STATUS_OK, 'arr': arr,
             'acc': np.float64(0.5), 'n': np.int64(3), 'pair': (1, 2),
             'fn': len, 'attachments': {'w': b'\x00\x01'}}
        kept.append(r)
        return r
    t = Trials()
    fmin(obj, hp.uniform('x', 0, 1), algo=rand.suggest, trials=t,
         max_evals=2, show_progressbar=False)
    # In this process: the objective's own objects.
    r = t.results[0]
    assert r['arr'] is arr and r['pair'] == (1, 2) and r['fn'] is len
    assert isinstance(r['n'], np.int64) and 'attachments' not in r
    assert t.trial_attachments(t.trials[0])['w'] == b'\x00\x01'
    # Through a pickle: the objects that pickle (len does: a builtin).
    back = pickle.loads(pickle.dumps(t))
    assert back.results[0]['arr'].tolist() == [0.0, 1.0, 2.0]
    assert back.results[0]['pair'] == (1, 2)
    assert back.trial_attachments(back.trials[0])['w'] == b'\x00\x01'
    # Read back from parzend (another process, a restart): JSON, with the
    # documented conversions.
    t.refresh()
    t._own.clear()
    t._own_blobs.clear()
    t._invalidate()
    r = t.results[0]
    assert r['arr'] == [0.0, 1.0, 2.0] and r['acc'] == 0.5 and r['n'] == 3
    assert type(r['n']) is int and r['pair'] == [1, 2]
    assert r['fn'] == repr(len)
    assert t.trial_attachments(t.trials[0])['w'] == b'\x00\x01'


def test_unpicklable_results_fall_back_to_json():
    t = Trials()
    fmin(lambda x: {'loss': x, 'status': STATUS_OK, 'f': lambda: 1},
         hp.uniform('x', 0, 1), algo=rand.suggest, trials=t, max_evals=2,
         show_progressbar=False)
    back = pickle.loads(pickle.dumps(t))  # hyperopt would fail here
    assert back.results[0]['f'].startswith("<function ")
    assert "<lambda>" in back.results[0]['f']
    assert back.losses() == t.losses()


def test_load_hyperopt_trials_reads_parzen_pickles(tmp_path):
    t = Trials()
    fmin(f, SPACE, algo=rand.suggest, trials=t, max_evals=3,
         show_progressbar=False)
    path = tmp_path / "t.pkl"
    path.write_bytes(pickle.dumps(t))
    back = load_hyperopt_trials(str(path))
    assert isinstance(back, Trials) and back.losses() == t.losses()
