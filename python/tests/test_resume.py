"""Persistent studies: an fmin killed midway resumes when run again, and
two processes with the same Trials(study=...) share one search."""
import subprocess
import sys

from conftest import result_line, run_script

RESUMABLE = r'''
import json, os, signal, sys
from parzen import fmin, tpe, hp, Trials

study, kill_after = sys.argv[1], int(sys.argv[2])
calls = 0

def f(x):
    global calls
    calls += 1
    if kill_after and calls > kill_after:
        os.kill(os.getpid(), signal.SIGKILL)
    return x ** 2 - x + 1

trials = Trials(study=study)
best = fmin(f, hp.uniform('x', -2, 2), algo=tpe.suggest, max_evals=40,
            trials=trials, rstate=12345, show_progressbar=False)
print("RESULT " + json.dumps({"best": best, "calls": calls,
                              "n": len(trials),
                              "best_loss": min(trials.losses())}))
'''


def ok_params(client, study):
    return [(t["number"], t["params"], t["loss"])
            for t in client.iter_trials(study, state="ok")]


def test_killed_fmin_resumes_to_the_same_result(pzd):
    env = pzd.env()
    c = pzd.client()
    # Uninterrupted: 40 trials.
    full = result_line(run_script(RESUMABLE, "full", "0", env=env).stdout)
    assert full["calls"] == 40 and full["n"] == 40
    # Killed (SIGKILL, inside the objective) during its 21st trial...
    p = run_script(RESUMABLE, "resumed", "20", env=env, check=False)
    assert p.returncode == -9, p.stderr
    s = c.get_study("resumed")
    assert s["counts"] == {"queued": 0, "running": 1, "ok": 20, "fail": 0,
                           "pruned": 0, "total": 21}
    # ... and run again: it picks up the killed trial first and stops at
    # 40 in all.
    again = result_line(run_script(RESUMABLE, "resumed", "0",
                                   env=env).stdout)
    assert again["calls"] == 20
    assert again["n"] == 40
    s = c.get_study("resumed")
    assert s["counts"]["ok"] == 40 and s["counts"]["total"] == 40
    assert again["best"] == full["best"]
    assert again["best_loss"] == full["best_loss"]
    # Not only the best: every trial is the one the uninterrupted run had.
    assert ok_params(c, "resumed") == ok_params(c, "full")
    # The killed trial was handed out again (attempt 1), nothing else.
    attempts = [t["attempt"] for t in c.iter_trials("resumed")]
    assert attempts == [0] * 20 + [1] + [0] * 19
    # A third run has nothing left to do.
    third = result_line(run_script(RESUMABLE, "resumed", "0",
                                   env=env).stdout)
    assert third["calls"] == 0 and third["best"] == full["best"]


SHARED = r'''
import json, os, sys, time
from parzen import fmin, tpe, hp, Trials

xs = []

def f(args):
    xs.append(args["x"])
    time.sleep(0.015)
    return (args["x"] - 1) ** 2 + args["y"] ** 2

space = {"x": hp.uniform("x", -5, 5), "y": hp.uniform("y", -5, 5)}
sys.stdin.readline()  # start together
fmin(f, space, algo=tpe.suggest, max_evals=60,
     trials=Trials(study="shared"), rstate=7, show_progressbar=False)
print("RESULT " + json.dumps({"xs": xs, "pid": os.getpid()}))
'''


def test_two_processes_share_one_search(pzd):
    env = pzd.env()
    procs = [subprocess.Popen([sys.executable, "-c", SHARED], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.append(result_line(out))
    c = pzd.client()
    ok = list(c.iter_trials("shared", state="ok"))
    # Exactly 60 trials run, numbered 0..59, each once.
    assert sorted(t["number"] for t in ok) == list(range(60))
    ran = outs[0]["xs"] + outs[1]["xs"]
    assert len(ran) == 60
    assert sorted(ran) == sorted(t["params"]["x"] for t in ok)
    assert len(set(ran)) == 60
    # Both processes worked on it, under their own worker names.
    assert all(len(o["xs"]) > 0 for o in outs)
    pids = {o["pid"] for o in outs}
    assert {int(t["worker"].split(":")[2]) for t in ok} == pids
    # Nothing is left running or waiting below the budget.
    left = [t for t in c.iter_trials("shared")
            if t["state"] in ("queued", "running") and t["number"] < 60]
    assert left == []
