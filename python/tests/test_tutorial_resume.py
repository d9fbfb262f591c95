"""The resume loop of hyperopt's tutorial optimizer (hyperopt_optimize.py
in guillaume-chevalier/Hyperopt-Keras-CNN-CIFAR-100), run as 30 separate
processes on its CIFAR-100 space: each loads results.pkl or starts from
scratch, runs `max_evals = len(trials.trials) + 1` (one evaluation) and
pickles the trials. The 30 points must be those of one process running 30
evaluations with the same rstate: the pickle carries the whole search, and
the resumed TPE suggests exactly what the uninterrupted one did."""
import json
import os
import pickle

from conftest import HERE, run_script, script_env

from cifar_hp import space
from parzen.space import compile_space

LOOP = r'''
import json, pickle, sys
import numpy as np
sys.path.insert(0, %(tests)r)
from cifar_hp import space, optimize_cnn
from parzen import fmin, tpe, Trials

def objective(p):
    print("POINT " + json.dumps(p, sort_keys=True), flush=True)
    return optimize_cnn(p)

try:
    trials = pickle.load(open("results.pkl", "rb"))
    max_evals = len(trials.trials) + 1
except Exception:
    trials = Trials()
    max_evals = 1
fmin(objective, space, algo=tpe.suggest, trials=trials, max_evals=max_evals,
     rstate=np.random.default_rng(2017), show_progressbar=False)
pickle.dump(trials, open("results.pkl", "wb"))
'''

ONE = r'''
import json, sys
import numpy as np
sys.path.insert(0, %(tests)r)
from cifar_hp import space, optimize_cnn
from parzen import fmin, tpe, Trials

def objective(p):
    print("POINT " + json.dumps(p, sort_keys=True), flush=True)
    return optimize_cnn(p)

trials = Trials()
fmin(objective, space, algo=tpe.suggest, trials=trials, max_evals=30,
     rstate=np.random.default_rng(2017), show_progressbar=False)
print("RESULT " + json.dumps({"losses": trials.losses(),
                              "vals": trials.vals}))
'''


def points(stdout):
    return [json.loads(line[6:]) for line in stdout.splitlines()
            if line.startswith("POINT ")]


def test_the_space_is_the_tutorials():
    with open(os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests",
                           "data", "cifar100.json")) as f:
        doc = json.load(f)
    assert compile_space(space).document == doc


def test_thirty_processes_resume_exactly(tmp_path):
    env = script_env()
    loop = LOOP % {"tests": HERE}
    seen = []
    for i in range(30):
        p = run_script(loop, env=env, cwd=str(tmp_path))
        got = points(p.stdout)
        assert len(got) == 1, (i, p.stdout, p.stderr)
        seen.extend(got)
    one = run_script(ONE % {"tests": HERE}, env=env)
    expected = points(one.stdout)
    assert len(expected) == 30
    assert seen == expected
    # The pickle holds the whole search, as the uninterrupted run's Trials.
    with open(tmp_path / "results.pkl", "rb") as f:
        trials = pickle.load(f)
    result = json.loads([ln for ln in one.stdout.splitlines()
                         if ln.startswith("RESULT ")][0][7:])
    assert len(trials.trials) == 30 and trials.tids == list(range(30))
    assert trials.losses() == result["losses"]
    assert json.loads(json.dumps(trials.vals)) == result["vals"]
    assert trials.best_trial["result"]["model_name"].startswith("model_")
