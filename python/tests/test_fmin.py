"""fmin's options, Trials' views, the private daemon, progress output."""
import functools
import math
import os
import shutil
import signal
import time

import pytest

from conftest import result_line, run_script

from parzen import (JOB_STATE_DONE, JOB_STATE_ERROR, STATUS_FAIL, STATUS_OK,
                    AllTrialsFailed, Trials, early_stop, fmin,
                    generate_trials_to_calculate, hp, rand, space_eval, tpe)
from parzen.progress import Progress

QUAD = hp.uniform('x', -2, 2)


def quad(x):
    return x ** 2 - x + 1


def test_max_evals_is_a_total():
    trials = Trials()
    fmin(quad, QUAD, algo=tpe.suggest, max_evals=10, trials=trials,
         show_progressbar=False)
    assert len(trials) == 10
    fmin(quad, QUAD, algo=tpe.suggest, max_evals=25, trials=trials,
         show_progressbar=False)
    assert len(trials) == 25 and trials.tids == list(range(25))
    calls = []
    fmin(lambda x: calls.append(x) or quad(x), QUAD, algo=tpe.suggest,
         max_evals=25, trials=trials, show_progressbar=False)
    assert calls == [] and len(trials) == 25


def test_rstate_makes_runs_repeatable():
    np = pytest.importorskip("numpy")
    runs = []
    for rstate in (np.random.default_rng(7), np.random.default_rng(7), 7, 7):
        trials = Trials()
        fmin(quad, QUAD, algo=tpe.suggest, max_evals=30, trials=trials,
             rstate=rstate, show_progressbar=False)
        runs.append(trials.vals['x'])
    assert runs[0] == runs[1] and runs[2] == runs[3]
    assert runs[0] != runs[2]


def test_hyperopt_fmin_seed_environment(monkeypatch):
    monkeypatch.setenv("HYPEROPT_FMIN_SEED", "99")
    a, b = Trials(), Trials()
    for t in (a, b):
        fmin(quad, QUAD, algo=rand.suggest, max_evals=5, trials=t,
             show_progressbar=False)
    assert a.vals == b.vals


def test_points_to_evaluate_run_first():
    space = {'x': QUAD,
             'c': hp.choice('c', ['a', {'y': hp.uniform('y', 0, 1)}])}
    points = [{'x': 0.5, 'c': 0}, {'x': -1.0, 'c': 1, 'y': 0.25}]
    # As hyperopt: points_to_evaluate "only works if trials=None"; with a
    # Trials, generate_trials_to_calculate(points) is the way.
    trials = Trials()
    seen = []
    fmin(lambda p: seen.append(p) or quad(p['x']), space, algo=tpe.suggest,
         max_evals=3, trials=trials, show_progressbar=False,
         points_to_evaluate=points)
    assert len(trials) == 3 and {'x': 0.5, 'c': 'a'} not in seen
    trials = generate_trials_to_calculate(points)
    seen = []
    fmin(lambda p: seen.append(p) or quad(p['x']), space, algo=tpe.suggest,
         max_evals=6, trials=trials, show_progressbar=False)
    assert seen[0] == {'x': 0.5, 'c': 'a'}
    assert seen[1] == {'x': -1.0, 'c': {'y': 0.25}}
    # On top of max_evals, as in hyperopt.
    assert len(trials) == 8
    assert trials.argmin == {'x': 0.5, 'c': 0}


def test_timeout_and_loss_threshold():
    # The timeout stops the search between evaluations: with 0.1 s each
    # and a 0.5 s timeout, at most 6 run, however slow the machine (a
    # slow start only leaves fewer), far from max_evals.
    trials = Trials()
    fmin(lambda x: time.sleep(0.1) or quad(x), QUAD, algo=rand.suggest,
         max_evals=1000, timeout=0.5, trials=trials, show_progressbar=False)
    assert len([t for t in trials.trials
                if t['state'] == JOB_STATE_DONE]) <= 6
    trials = Trials()
    fmin(quad, QUAD, algo=tpe.suggest, max_evals=1000, loss_threshold=0.76,
         trials=trials, show_progressbar=False)
    assert min(trials.losses()) < 0.76
    assert len([x for x in trials.losses() if x is not None]) < 1000
    # What was asked for and not run went back (queued, never started).
    assert all(t['state'] in (0, JOB_STATE_DONE) for t in trials.trials)


def test_early_stop():
    trials = Trials()
    fmin(lambda x: 1.0, QUAD, algo=rand.suggest, max_evals=500, trials=trials,
         early_stop_fn=early_stop.no_progress_loss(10),
         show_progressbar=False)
    assert len([r for r in trials.results if r['status'] == STATUS_OK]) == 10


def test_exceptions_and_failures():
    def boom(x):
        if x > 0:
            raise ValueError("positive x=%r" % x)
        if x < -1:
            return {'status': STATUS_FAIL, 'why': 'negative'}
        return quad(x)

    trials = Trials()
    with pytest.raises(ValueError, match="positive"):
        fmin(boom, QUAD, algo=rand.suggest, max_evals=50, trials=trials,
             rstate=3, show_progressbar=False)
    # As in hyperopt, the trial that raised is not in trials.trials; it
    # is in _dynamic_trials with JOB_STATE_ERROR and parzend keeps it
    # as failed, with the traceback.
    assert all(t['state'] != JOB_STATE_ERROR for t in trials.trials)
    err = [t for t in trials._dynamic_trials
           if t['state'] == JOB_STATE_ERROR]
    assert len(err) == 1 and err[0]['misc']['error'][0] == 'ValueError'
    stored = trials.client.get_trial(
        trials._raw[err[0]['tid']]['id'])
    assert stored['state'] == 'fail'
    assert 'positive x=' in stored['result']['traceback']
    # catch_eval_exceptions: recorded and the search goes on.
    trials = Trials()
    fmin(boom, QUAD, algo=rand.suggest, max_evals=40, trials=trials, rstate=3,
         catch_eval_exceptions=True, show_progressbar=False)
    assert len(trials._dynamic_trials) == 40
    n_err = sum(t['state'] == JOB_STATE_ERROR
                for t in trials._dynamic_trials)
    assert n_err > 0 and len(trials.trials) == 40 - n_err
    fails = [t['result'] for t in trials.trials
             if t['result']['status'] == STATUS_FAIL and
             t['state'] == JOB_STATE_DONE]
    assert fails and all(r['why'] == 'negative' for r in fails)
    assert trials.best_trial['result']['loss'] == min(
        x for x in trials.losses() if x is not None)
    # Everything failed: no argmin, as in hyperopt.
    with pytest.raises(AllTrialsFailed):
        fmin(lambda x: {'status': STATUS_FAIL}, QUAD, algo=rand.suggest,
             max_evals=3, show_progressbar=False)


def test_hyperopt_result_rules():
    from parzen.exceptions import InvalidLoss, InvalidResultStatus
    with pytest.raises(InvalidResultStatus):
        fmin(lambda x: {'loss': 1.0, 'status': 'great'}, QUAD,
             algo=rand.suggest, max_evals=1, show_progressbar=False)
    with pytest.raises(InvalidLoss):
        fmin(lambda x: {'status': STATUS_OK}, QUAD, algo=rand.suggest,
             max_evals=1, show_progressbar=False)
    # A non-finite loss fails the trial (parzend keeps finite losses).
    trials = Trials()
    fmin(lambda x: math.inf if x > 0 else quad(x), QUAD, algo=rand.suggest,
         max_evals=20, trials=trials, rstate=1, show_progressbar=False,
         catch_eval_exceptions=True)
    infs = [r for r in trials.results if r['status'] == STATUS_FAIL]
    assert infs and all(r['loss'] == math.inf for r in infs)


def test_return_argmin_false_gives_the_point():
    space = {'c': hp.choice('c', [(1, 2), 'x']), 'x': QUAD}
    p = fmin(lambda p: quad(p['x']), space, algo=rand.suggest, max_evals=20,
             return_argmin=False, show_progressbar=False)
    assert p['c'] in ((1, 2), 'x') and -2 <= p['x'] < 2


def test_trials_views():
    trials = Trials()
    fmin(quad, QUAD, algo=tpe.suggest, max_evals=15, trials=trials,
         show_progressbar=False)
    docs = trials.trials
    assert [d['tid'] for d in docs] == list(range(15)) == trials.tids
    assert [d['result'] for d in docs] == trials.results
    assert trials.losses() == [r['loss'] for r in trials.results]
    assert trials.statuses() == ['ok'] * 15
    assert trials.idxs['x'] == list(range(15))
    assert len(trials.vals['x']) == 15 and len(list(trials)) == 15
    assert trials.count_by_state_unsynced(JOB_STATE_DONE) == 15
    best = trials.best_trial
    assert best['result']['loss'] == min(trials.losses())
    assert trials.argmin == {'x': best['misc']['vals']['x'][0]}
    assert trials.average_best_error() == best['result']['loss']
    assert space_eval(QUAD, trials.argmin) == trials.argmin['x']
    assert docs[0]['book_time'] <= docs[0]['refresh_time']
    trials.refresh()  # parzend's copy agrees with the local views
    assert trials.trials == docs
    trials.delete_all()
    assert len(trials) == 0


def test_trials_fmin_method():
    trials = Trials()
    best = trials.fmin(quad, QUAD, algo=functools.partial(
        tpe.suggest, n_startup_jobs=3), max_evals=5)
    assert set(best) == {'x'} and len(trials) == 5


def test_private_daemon_is_removed_at_exit():
    p = run_script(r'''
import json
from parzen import fmin, hp, rand, Trials, daemon
t = Trials()
fmin(lambda x: x, hp.uniform('x', 0, 1), algo=rand.suggest, max_evals=3,
     trials=t, show_progressbar=False)
d = daemon.private()
print("RESULT " + json.dumps({"dir": d.workdir, "pid": d.pid}))
''')
    r = result_line(p.stdout)
    assert not os.path.exists(r["dir"])
    with pytest.raises(ProcessLookupError):
        for _ in range(100):  # the daemon exits (reaped by init)
            os.kill(r["pid"], 0)
            time.sleep(0.05)


def test_private_daemon_stops_when_its_process_is_killed():
    """A process killed by SIGKILL runs no atexit; its private daemon,
    started here from a thread (which a parent-death signal does not
    cover: the kernel would watch that thread), must still stop rather
    than serve nobody forever: it reads end of file on --parent-fd."""
    p = run_script(r'''
import json, os, signal, sys, threading
from parzen import fmin, hp, rand, Trials, daemon
out = {}
def search():
    t = Trials()
    fmin(lambda x: x, hp.uniform('x', 0, 1), algo=rand.suggest,
         max_evals=3, trials=t, show_progressbar=False)
    d = daemon.private()
    out.update(dir=d.workdir, pid=d.pid)
th = threading.Thread(target=search)
th.start()
th.join()
print("RESULT " + json.dumps(out), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
''', check=False)
    assert p.returncode == -signal.SIGKILL, p.stderr
    r = result_line(p.stdout)
    with pytest.raises(ProcessLookupError):
        for _ in range(600):  # it stops (and init reaps it)
            os.kill(r["pid"], 0)
            time.sleep(0.05)
    shutil.rmtree(r["dir"], ignore_errors=True)


class FakeTty:
    def __init__(self):
        self.out = []

    def isatty(self):
        return True

    def write(self, s):
        self.out.append(s)

    def flush(self):
        pass


def test_progress_bar_on_a_terminal():
    tty = FakeTty()
    p = Progress(total=50, stream=tty)
    for i in range(1, 51):
        p.update(i, 1.0 / i, force=True)
    p.close()
    text = "".join(tty.out)
    assert "\r" in text and "50/50" in text and "100%|" in text
    assert "best loss: 0.02" in text and "trials/s" in text
    assert text.endswith("\n")


def test_progress_lines_otherwise(capsys):
    fmin(lambda x: time.sleep(0.001) or quad(x), QUAD, algo=rand.suggest,
         max_evals=30)
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("fmin:")]
    assert lines and "30/30" in lines[-1] and "best loss" in lines[-1]
    fmin(quad, QUAD, algo=rand.suggest, max_evals=5, show_progressbar=False)
    assert "fmin:" not in capsys.readouterr().err


def test_generate_trials_to_calculate():
    from parzen import generate_trials_to_calculate
    trials = generate_trials_to_calculate([{'x': 1.5}, {'x': -0.5}])
    fmin(quad, QUAD, algo=tpe.suggest, max_evals=4, trials=trials,
         show_progressbar=False)
    assert trials.vals['x'][:2] == [1.5, -0.5]


SLOW_FMIN = r'''
import sys, time
from parzen import fmin, hp, rand, Trials
fmin(lambda x: time.sleep(60) or x, hp.uniform('x', 0, 1), algo=rand.suggest,
     max_evals=5, trials=Trials(study="sig"), show_progressbar=False)
'''


def test_interrupted_fmin_gives_its_trials_back(pzd):
    import signal
    import subprocess
    import sys
    c = pzd.client()
    for signum, rc, text in ((signal.SIGINT, -signal.SIGINT,
                              "KeyboardInterrupt"),
                             (signal.SIGTERM, 128 + signal.SIGTERM, "")):
        p = subprocess.Popen([sys.executable, "-c", SLOW_FMIN],
                             env=pzd.env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        for _ in range(600):
            try:
                if c.get_study("sig")["counts"]["running"]:
                    break
            except Exception:
                pass
            time.sleep(0.02)
        time.sleep(0.2)
        p.send_signal(signum)
        out, err = p.communicate(timeout=30)
        assert p.returncode == rc, err
        assert text in err
        counts = c.get_study("sig")["counts"]
        assert counts["running"] == 0 and counts["ok"] == 0
    # Everything asked for went back to the queue and runs next time.
    trials = Trials(study="sig", socket=pzd.socket)
    fmin(lambda x: x, hp.uniform('x', 0, 1), algo=rand.suggest, max_evals=5,
         trials=trials, show_progressbar=False)
    assert trials.statuses() == ["ok"] * 5
