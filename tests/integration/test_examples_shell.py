"""The shell examples that run a search with `parzen ask`/`tell`:
examples/slurm_array (a Slurm job array, run with the shell stand-ins
for sbatch and srun of examples/slurm_array/no-slurm, so that CI needs no
Slurm) and examples/makefile (make -j4), against the real daemon, as
their READMEs run them.
"""
import glob
import json
import os
import subprocess

from test_cli import CLI, OK, run, trials

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.normpath(os.path.join(HERE, "..", "..", "examples"))
SLURM = os.path.join(EXAMPLES, "slurm_array")
TRAIN = os.path.join(EXAMPLES, "shell_worker", "train.sh")


def env_for(daemon, **extra):
    bindir = os.path.dirname(os.path.abspath(CLI))
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("PARZEN_")}
    e.update(PARZEN_SOCKET=daemon.socket, TRAIN_SECONDS="0",
             PATH=os.pathsep.join([os.path.join(SLURM, "no-slurm"), bindir,
                                   os.environ["PATH"]]))
    e.update(extra)
    return e


def check_study(daemon, name, n):
    ts = trials(daemon, name)
    assert len(ts) == n
    for t in ts:
        assert t["state"] in ("ok", "fail"), t
        if t["state"] == "ok":
            assert t["loss"] >= 0
        else:
            assert "error" in t["result"], t
    assert any(t["state"] == "ok" for t in ts)
    return ts


def test_slurm_array_example(daemon, tmp_path):
    r = run(daemon, "create", "demo", "--space",
            os.path.join(EXAMPLES, "shell_worker", "space.json"),
            "--max-trials", "10")
    assert r.returncode == OK, r.stderr
    # 6 tasks, 3 at a time, 2 trials each: 12 asks for 10 trials, so two
    # tasks end with "nothing more to give".
    r = subprocess.run(["sbatch", "--array=0-5%3",
                        "--export=ALL,STUDY=demo,TRIALS_PER_TASK=2,"
                        "TRAIN=" + TRAIN,
                        os.path.join(SLURM, "search.sbatch")],
                       cwd=str(tmp_path), env=env_for(daemon),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == OK, r.stdout + r.stderr
    job = r.stdout.split()[-1]
    outs = sorted(glob.glob(str(tmp_path / ("slurm-%s_*.out" % job))))
    assert len(outs) == 6
    ts = check_study(daemon, "demo", 10)
    names = {t["worker"] for t in ts}
    assert names <= {"slurm-%s.%d" % (job, i) for i in range(6)}
    logs = "".join(open(o).read() for o in outs)
    assert logs.count("nothing more to give") >= 2
    # Each trial was told by the task that asked for it, with its loss.
    for t in ts:
        assert "trial %d (id %d) of study demo: %s" % (
            t["number"], t["id"], t["state"]) in logs
    assert not glob.glob(str(tmp_path / "train-*.log"))


def test_slurm_array_heartbeats_keep_long_trials(daemon, tmp_path):
    """With a heartbeat timeout shorter than a trial (3 s against 7 s),
    the task's heartbeats (every 0.3 s, so ten may be late before one
    counts) keep its trial: nothing is reclaimed."""
    r = run(daemon, "create", "hb", "--space",
            os.path.join(EXAMPLES, "shell_worker", "space.json"),
            "--max-trials", "2", "--heartbeat-timeout", "3.0")
    assert r.returncode == OK
    r = subprocess.run(["sbatch", "--array=0-1",
                        "--export=ALL,STUDY=hb,HEARTBEAT_EVERY=0.3,"
                        "TRAIN_SECONDS=7,TRAIN=" + TRAIN,
                        os.path.join(SLURM, "search.sbatch")],
                       cwd=str(tmp_path), env=env_for(daemon),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == OK, r.stdout + r.stderr
    ts = check_study(daemon, "hb", 2)
    assert all(t["reclaims"] == 0 and t["attempt"] == 0 for t in ts)


def test_makefile_example(daemon, tmp_path):
    def make(*args):
        return subprocess.run(
            ["make", "-C", os.path.join(EXAMPLES, "makefile"), "-j4",
             "STUDY=mk", "PARZEN=" + os.path.abspath(CLI),
             "RUNS=" + str(tmp_path / "runs")] + list(args),
            env=env_for(daemon), capture_output=True, text=True,
            timeout=300)

    r = make("TRIALS=8")
    assert r.returncode == OK, r.stdout + r.stderr
    ts = check_study(daemon, "mk", 8)
    assert {t["worker"] for t in ts} == {"make-mk-%d" % i
                                         for i in range(1, 9)}
    assert "\nloss      " in r.stdout  # `parzen best` at the end
    assert len(os.listdir(str(tmp_path / "runs"))) == 8
    # Made again: nothing to do, no new trial.
    r = make("TRIALS=8")
    assert r.returncode == OK and len(trials(daemon, "mk")) == 8
    # A raised budget adds the new targets only.
    r = make("TRIALS=11")
    assert r.returncode == OK, r.stderr
    check_study(daemon, "mk", 11)
    assert json.loads(run(daemon, "show", "mk", "--json").stdout)[
        "study"]["max_trials"] == 11
    # A target cut short (it asked, then make was killed) gets its trial
    # back when it is made again: the same worker name asks.
    assert run(daemon, "set", "mk", "--max-trials", "12").returncode == OK
    r = run(daemon, "ask", "mk", "--worker", "make-mk-12", "--json")
    cut = json.loads(r.stdout)["trial"]
    r = make("TRIALS=12")
    assert r.returncode == OK, r.stderr
    ts = check_study(daemon, "mk", 12)
    assert ts[cut["number"]]["id"] == cut["id"]
    assert ts[cut["number"]]["worker"] == "make-mk-12"
    assert ts[cut["number"]]["attempt"] == 0
