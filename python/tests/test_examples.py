"""The examples in examples/: the CIFAR-style job (examples/cifar_style/
optimize.py) run by two processes that share its persistent study, on a
small budget, then resumed and extended; and its second entry point,
resume_loop.py, hyperopt's tutorial loop over a pickled Trials, run as
separate processes. (examples/tutorial.py is the meson test
`tutorial_py`, suite examples.) Needs scikit-learn."""
import os
import subprocess
import sys

import pytest

from conftest import PYTHON_DIR

pytest.importorskip("sklearn")

OPTIMIZE = os.path.join(os.path.dirname(PYTHON_DIR), "examples",
                        "cifar_style", "optimize.py")
# About a second per trial at most.
SMALL = ["--study", "digits", "--max-epochs", "8", "--patience", "3",
         "--trial-seconds", "1"]


def optimize(pzd, *args, socket_option=True):
    cmd = [sys.executable, OPTIMIZE] + SMALL + list(args)
    if socket_option:
        cmd += ["--socket", pzd.socket]
    env = pzd.env()  # $PARZEN_SOCKET: used without --socket
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def finish(p, timeout=180):
    out, _ = p.communicate(timeout=timeout)
    assert p.returncode == 0, out
    return out


def objective_runs(out):
    return sum(1 for line in out.splitlines() if line.startswith("MLP "))


def test_two_processes_share_the_study_then_resume(pzd):
    a = optimize(pzd, "--max-evals", "6", "--seed", "7", "--pruner", "none")
    b = optimize(pzd, "--max-evals", "6", "--seed", "7", "--pruner", "none",
                 socket_option=False)
    out_a, out_b = finish(a), finish(b)
    # Together they ran the study's 6 trials, each once.
    assert objective_runs(out_a) + objective_runs(out_b) == 6
    for out in (out_a, out_b):
        assert "best trial " in out

    c = pzd.client()
    study = c.get_study("digits")
    assert study["counts"] == {"queued": 0, "running": 0, "ok": 6,
                               "fail": 0, "pruned": 0, "total": 6}
    trials = list(c.iter_trials("digits"))
    assert sorted(t["number"] for t in trials) == list(range(6))
    for t in trials:
        assert t["state"] == "ok"
        assert t["attempt"] == 0 and t["reclaims"] == 0
        r = t["result"]
        assert 0.0 <= r["accuracy"] <= 1.0
        assert 0.0 <= r["test_accuracy"] <= 1.0
        assert t["loss"] == pytest.approx(1.0 - r["accuracy"])
        assert 1 <= r["n_iter"] <= 8
        assert len(r["val_accuracy_curve"]) == r["n_iter"]
        assert r["train_time"] >= 0
        assert r["model"].startswith("MLP 64-")
        # The point's nested choices: its own widths, its solver's keys.
        point = t["point"]
        assert 1 <= len(point["hidden_layers"]) <= 3
        assert set(point["solver"]) in ({"name", "beta_1", "beta_2"},
                                        {"name", "momentum",
                                         "nesterovs_momentum"})
        assert point["batch_size"] % 16 == 0
    best = c.best("digits")
    assert best["loss"] == min(t["loss"] for t in trials)

    # Run again: max_evals is a total, so nothing is left to do; a larger
    # one extends the same search.
    out = finish(optimize(pzd, "--max-evals", "6", "--pruner", "none"))
    assert objective_runs(out) == 0
    out = finish(optimize(pzd, "--max-evals", "8", "--pruner", "none"))
    assert objective_runs(out) == 2
    assert c.get_study("digits")["counts"]["ok"] == 8


def test_the_job_reports_every_epoch_and_prunes(pzd):
    """With a pruner (an aggressive one, so that a small budget shows
    it), the job reports its validation error after every epoch; pruned
    trials stop early with their last error as their loss."""
    pruner = '{"kind": "median", "n_startup_trials": 2, "n_warmup_steps": 1}'
    out = finish(optimize(pzd, "--max-evals", "12", "--seed", "3",
                          "--pruner", pruner, "--patience", "8"))
    assert objective_runs(out) == 12
    c = pzd.client()
    assert c.get_study("digits")["pruner"]["n_startup_trials"] == 2
    trials = list(c.iter_trials("digits", intermediate=True))
    states = [t["state"] for t in trials]
    assert states.count("ok") + states.count("pruned") == 12
    assert states.count("pruned") > 0, states
    for t in trials:
        steps = [s for s, _ in t["intermediate"]]
        assert steps == list(range(1, len(steps) + 1))
        errors = [v for _, v in t["intermediate"]]
        if t["state"] == "ok":
            # One report per epoch trained, the loss their minimum.
            curve = t["result"]["val_accuracy_curve"]
            assert len(steps) == t["result"]["n_iter"] == len(curve)
            assert t["loss"] == pytest.approx(min(errors))
        else:
            assert t["loss"] == errors[-1]
            assert 1 <= len(steps) < 8
    assert out.count(": pruned after ") == states.count("pruned")


RESUME_LOOP = os.path.join(os.path.dirname(PYTHON_DIR), "examples",
                           "cifar_style", "resume_loop.py")


def loop_step(tmp_path, *args):
    cmd = [sys.executable, RESUME_LOOP, "--max-epochs", "4", "--patience",
           "2", "--trial-seconds", "0.5", "--seed", "7"] + list(args)
    from conftest import script_env
    p = subprocess.run(cmd, env=script_env(), cwd=str(tmp_path),
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def test_the_tutorial_resume_loop(tmp_path):
    import pickle
    # Three runs of the second entry point, each adding one trial to
    # results.pkl...
    out = loop_step(tmp_path)
    assert "Starting from scratch" in out and "1 trials;" in out
    for n in (2, 3):
        out = loop_step(tmp_path)
        assert "rerunning from %d trials" % (n - 1) in out
        assert "%d trials;" % n in out
    with open(tmp_path / "results.pkl", "rb") as f:
        trials = pickle.load(f)
    assert trials.tids == [0, 1, 2]
    assert all(0 <= r["accuracy"] <= 1 for r in trials.results)
    # ... are the search of one process running three evaluations.
    loop_step(tmp_path, "--evals", "3", "--results", "one.pkl")
    with open(tmp_path / "one.pkl", "rb") as f:
        one = pickle.load(f)
    assert one.vals == trials.vals
