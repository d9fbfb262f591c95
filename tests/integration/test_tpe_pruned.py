"""The TPE learns from pruned trials, and resumes exactly (docs/space.md,
"Pruned trials"; docs/pruning.md): a study whose trials report, get
pruned (by the pruner, or told pruned with or without reports) or finish,
is run twice against the real parzend, once straight through and once
killed -9 and restarted in the middle (and once more with a clean stop);
every suggestion after the restart equals the straight run's, and a
study.import of the history suggests as the original does. The same
study with the pruned trials told as failed suggests otherwise, so the
suggestions do depend on what the history keeps of pruned trials (their
state, last step and value), which the restart must rebuild from SQLite.
"""
import pytest

from daemon import Daemon

SPACE = {"x": {"$hp": "uniform", "label": "x", "low": 0, "high": 1},
         "y": {"$hp": "uniform", "label": "y", "low": 0, "high": 1}}
# Few start-up trials, so that TPE decides most of the study; a pruner
# that stops a trial whose value goes above 1.5. The first EARLY trials all
# end pruned, so TPE's first suggestions come from pruned trials only
# (the good set is then the pruned trials that got furthest, docs/space.md)
# and the restart falls among them.
CONFIG = {"n_startup": 4}
PRUNER = {"kind": "threshold", "upper": 1.5}
EARLY = 9
N_BEFORE, N_AFTER = 7, 12


def curve(k, x, y):
    """Values of trial k at steps 0, 1, ... (an ok trial reports 6)."""
    base = (x - 0.7) ** 2 + (y - 0.2) ** 2
    return [base * 4 + 0.3 / (s + 1) + 0.01 * (k % 3) for s in range(6)]


def run_trial(c, study, k, as_failed):
    """Ask trial k and play it: reports, then pruned, failed or ok."""
    t = c.call("trial.ask", study=study, worker="w")["trial"]
    x, y = t["params"]["x"], t["params"]["y"]
    values = curve(k, x, y)
    # Some trials stop on their own at an early step, some report
    # nothing, some tell a loss of their own.
    if k < EARLY:
        stop_at = None if k == 2 else 1 + (k * 2) % 5
    else:
        stop_at = {0: 1, 1: None, 2: 3}.get(k % 5, len(values))
    status = "ok"
    for s, v in enumerate(values[:stop_at]):
        r = c.call("trial.report", trial=t["id"], attempt=t["attempt"],
                   step=s, value=v)
        if r["prune"]:
            status = "pruned"
            break
    else:
        if stop_at is None or stop_at < len(values):
            status = "pruned"
    params = dict(status="fail" if status == "pruned" and as_failed
                  else status)
    if status == "ok":
        params["loss"] = values[-1]
    elif status == "pruned" and k % 7 == 3:
        params["loss"] = 0.05 * k   # told, not the last value
    c.call("trial.tell", trial=t["id"], attempt=t["attempt"], **params)
    return (x, y), status


def study(tmp_path, name, restart=None, as_failed=False):
    """The suggestions of one run: before, and after the restart."""
    workdir = tmp_path / name
    workdir.mkdir()
    d = Daemon(workdir).start()
    c = d.connect()
    c.call("study.create", name="s", space=SPACE, seed=11, config=CONFIG,
           pruner=PRUNER)
    points, states = [], []
    for k in range(N_BEFORE + N_AFTER):
        if k == N_BEFORE and restart is not None:
            c.close()
            if restart == "kill9":
                d.kill9()
            else:
                assert d.stop() == 0, d.read_log()
            d.start()
            c = d.connect()
        p, st = run_trial(c, "s", k, as_failed)
        points.append(p)
        states.append(st)
    listed = [t["state"] for t in c.call("trial.list", study="s")["trials"]]
    c.close()
    assert d.stop() == 0, d.read_log()
    return points, states, listed


@pytest.mark.parametrize("restart", ["kill9", "stop"])
def test_next_suggestions_identical_after_restart(tmp_path, restart):
    straight = study(tmp_path, "straight")
    resumed = study(tmp_path, restart, restart=restart)
    assert resumed == straight
    points, states, listed = straight
    # Only pruned trials when it restarted; ok ones later.
    assert states[:EARLY] == ["pruned"] * EARLY, states
    assert states.count("ok") >= 2, states
    assert listed.count("pruned") == states.count("pruned")


def test_pruned_trials_are_not_failed_ones(tmp_path):
    """The same study with its pruned trials told as failed: the
    suggestions part ways once TPE sees a pruned trial."""
    pruned = study(tmp_path, "pruned")
    failed = study(tmp_path, "failed", as_failed=True)
    n = CONFIG["n_startup"]
    # The start-up draws are the same; TPE's differ from the first: with
    # the pruned trials failed, no trial is ranked yet and it would still
    # draw from the prior.
    assert pruned[0][:n] == failed[0][:n]
    assert pruned[0][n] != failed[0][n]


def test_import_of_pruned_trials_continues_exactly(tmp_path):
    """study.import of a history with pruned trials (their reports as
    "intermediate") gives the TPE the same history: the copy's next
    suggestions are the original's, before and after a kill -9."""
    workdir = tmp_path / "import"
    workdir.mkdir()
    d = Daemon(workdir).start()
    c = d.connect()
    c.call("study.create", name="orig", space=SPACE, seed=5, config=CONFIG,
           pruner=PRUNER)
    states = [run_trial(c, "orig", k, False)[1] for k in range(N_BEFORE)]
    assert states == ["pruned"] * N_BEFORE, states
    history = c.call("trial.list", study="orig", limit=10000,
                     intermediate=True)["trials"]
    c.call("study.import", name="copy", space=SPACE, seed=5, config=CONFIG,
           pruner=PRUNER, trials=history)

    def next_points(study, n):
        out = []
        for k in range(n):
            t = c.call("trial.ask", study=study, worker="w")["trial"]
            out.append((t["params"]["x"], t["params"]["y"]))
            c.call("trial.tell", trial=t["id"], attempt=t["attempt"],
                   status="pruned")
        return out

    assert next_points("copy", 3) == next_points("orig", 3)
    c.close()
    d.kill9()
    d.start()
    c = d.connect()
    assert next_points("copy", 3) == next_points("orig", 3)
    c.close()
    assert d.stop() == 0, d.read_log()
