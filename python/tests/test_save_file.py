"""fmin(..., trials_save_file=PATH): loaded when it exists, written
atomically after every evaluation. kill -9 at 20 random moments of a
search: the file always loads, every evaluation it held is still there
in the next one, and the search finishes with exactly the trials of one
that was never killed."""
import json
import os
import random
import signal
import subprocess
import sys
import time

from conftest import HERE, result_line, run_script, script_env

from parzen import load_hyperopt_trials

SEARCH = r'''
import json, sys, time
import numpy as np
sys.path.insert(0, %(tests)r)
from cifar_hp import space, optimize_cnn
from parzen import fmin, tpe

def objective(p):
    time.sleep(0.05)
    return optimize_cnn(p)

fmin(objective, space, algo=tpe.suggest, max_evals=200,
     trials_save_file=sys.argv[1], rstate=np.random.default_rng(11),
     show_progressbar=False)
print("DONE")
'''


def history(path):
    t = load_hyperopt_trials(path)
    return [(d["tid"], json.dumps(d["misc"]["vals"], sort_keys=True),
             d["result"]["loss"]) for d in t.trials]


def test_kill9_during_fmin_keeps_every_saved_evaluation(tmp_path):
    env = script_env()
    code = SEARCH % {"tests": HERE}
    path = str(tmp_path / "trials.pkl")
    rng = random.Random(20240609)
    snapshots = []
    kills = 0
    while kills < 20:
        p = subprocess.Popen([sys.executable, "-c", code, path], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        time.sleep(rng.uniform(0.15, 1.2))
        if p.poll() is not None:
            out, err = p.communicate()
            assert "DONE" in out, err
            break  # finished before this kill: it can only end here
        p.send_signal(signal.SIGKILL)
        p.communicate()
        kills += 1
        if not os.path.exists(path):
            continue  # killed before its first evaluation was saved
        h = history(path)  # always loads
        assert [tid for tid, _, _ in h] == list(range(len(h)))
        if snapshots:
            assert h[:len(snapshots[-1])] == snapshots[-1]
        snapshots.append(h)
    assert kills == 20 and len(snapshots) >= 10
    # Finish the search.
    out = run_script(code, path, env=env, timeout=300).stdout
    assert "DONE" in out
    final = history(path)
    assert len(final) == 200
    for h in snapshots:
        assert final[:len(h)] == h
    # Exactly the search that was never interrupted.
    other = str(tmp_path / "uninterrupted.pkl")
    run_script(code, other, env=env, timeout=300)
    assert history(other) == final
    assert not os.path.exists(path + ".parzen-tmp") or \
        os.path.getsize(path) > 0


def test_the_save_file_holds_the_search_after_every_evaluation(tmp_path):
    path = str(tmp_path / "t.pkl")
    p = run_script(r'''
import json, sys
sys.path.insert(0, %(tests)r)
from parzen import fmin, hp, rand, load_hyperopt_trials
sizes = []

def stop(trials, *state):
    sizes.append(len(load_hyperopt_trials(sys.argv[1]).trials))
    return False, state

fmin(lambda x: x, hp.uniform('x', 0, 1), algo=rand.suggest, max_evals=5,
     trials_save_file=sys.argv[1], early_stop_fn=stop,
     show_progressbar=False)
print("RESULT " + json.dumps(sizes))
''' % {"tests": HERE}, path)
    # Saved before early_stop_fn sees the trial, as hyperopt does.
    assert result_line(p.stdout) == [1, 2, 3, 4, 5]
