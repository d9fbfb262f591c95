"""study.import: a study created with a history, in one transaction.

The history of one study, read back with trial.list and imported under
another name, gives a study that continues exactly as the original: the
next suggestions are the same. Bad trials are refused with the path of
the bad value and leave nothing behind; a running trial comes back
queued; a resent import acts once; an acknowledged import survives
kill -9.
"""
import json

import pytest

from daemon import Daemon, RPCError

SPACE = {
    "x": {"$hp": "uniform", "label": "x", "low": -2, "high": 2},
    "lr": {"$hp": "loguniform", "label": "lr", "low": -9, "high": -1},
    "opt": {"$hp": "choice", "label": "opt", "options": [
        "sgd",
        {"momentum": {"$hp": "uniform", "label": "momentum", "low": 0.5,
                      "high": 0.99}},
    ]},
}


def loss_of(params):
    return (params["x"] - 0.3) ** 2 + params["opt"] * 0.1


def run_trials(c, study, n):
    for _ in range(n):
        t = c.call("trial.ask", study=study, worker="w")["trial"]
        if t["number"] % 7 == 3:
            c.call("trial.tell", trial=t["id"], status="fail",
                   result={"why": "odd"}, attempt=t["attempt"])
        else:
            c.call("trial.tell", trial=t["id"], status="ok",
                   loss=loss_of(t["params"]), result={"n": t["number"]},
                   attempt=t["attempt"])


def all_trials(c, study):
    return c.call("trial.list", study=study, limit=10000)["trials"]


def next_params(c, study, n):
    out = []
    for _ in range(n):
        t = c.call("trial.ask", study=study, worker="w")["trial"]
        out.append(t["params"])
        c.call("trial.tell", trial=t["id"], status="ok",
               loss=loss_of(t["params"]), attempt=t["attempt"])
    return out


def test_import_continues_exactly(daemon):
    c = daemon.connect()
    c.call("study.create", name="orig", space=SPACE, seed=11,
           config={"n_startup": 5})
    run_trials(c, "orig", 25)
    history = all_trials(c, "orig")
    # trial.list's objects import as they are (id, study, point ignored).
    got = c.call("study.import", name="copy", space=SPACE, seed=11,
                 config={"n_startup": 5}, trials=history)["study"]
    assert got["counts"] == c.call("study.get", study="orig")["study"][
        "counts"]
    copied = all_trials(c, "copy")
    keys = ("number", "state", "params", "loss", "result", "worker",
            "attempt", "created", "started", "finished", "point")
    assert [{k: t[k] for k in keys} for t in copied] == \
        [{k: t[k] for k in keys} for t in history]
    assert c.call("study.best", study="copy")["trial"]["number"] == \
        c.call("study.best", study="orig")["trial"]["number"]
    # The same history and seed: the same next suggestions, TPE included.
    assert next_params(c, "copy", 10) == next_params(c, "orig", 10)
    c.close()


def test_import_survives_kill9(tmp_path):
    d = Daemon(tmp_path).start()
    c = d.connect()
    trials = [{"number": i, "state": "ok", "params": {"x": i / 10, "lr":
              0.01, "opt": 0}, "loss": float(i)} for i in range(20)]
    c.call("study.import", name="s", space=SPACE, seed=3, trials=trials)
    d.kill9()
    d.start()
    c = d.connect()
    got = all_trials(c, "s")
    assert [t["loss"] for t in got] == [float(i) for i in range(20)]
    assert [t["params"]["x"] for t in got] == [i / 10 for i in range(20)]
    assert c.call("trial.ask", study="s")["trial"]["number"] == 20
    c.close()
    assert d.stop() == 0


def test_running_comes_back_queued(daemon):
    c = daemon.connect()
    c.call("study.import", name="s", space=SPACE, seed=1, trials=[
        {"number": 0, "state": "ok", "params": {"x": 0, "lr": 0.1, "opt": 0},
         "loss": 1.0, "worker": "a", "created": 100.0, "started": 101.0,
         "finished": 102.5, "result": {"acc": 0.5}},
        {"number": 1, "state": "running", "worker": "b", "attempt": 2,
         "params": {"x": 1, "lr": 0.01, "opt": 1, "momentum": 0.9},
         "created": 103.0, "started": 104.0},
    ])
    t0, t1 = all_trials(c, "s")
    assert (t0["worker"], t0["created"], t0["started"], t0["finished"],
            t0["result"]) == ("a", 100, 101, 102.5, {"acc": 0.5})
    assert t1["state"] == "queued" and t1["worker"] is None
    assert t1["attempt"] == 3 and t1["finished"] is None
    # It is handed out first, with its params.
    t = c.call("trial.ask", study="s", worker="c")["trial"]
    assert t["number"] == 1 and t["params"]["momentum"] == 0.9
    assert t["attempt"] == 3
    c.close()


BAD = [
    ({"number": 1, "state": "ok", "params": {"x": 0, "lr": 0.1, "opt": 0},
      "loss": 1}, -32602, "params.trials[0].number"),
    ({"number": 0, "state": "done", "params": {"x": 0, "lr": 0.1, "opt": 0}},
     -32602, "params.trials[0].state"),
    ({"number": 0, "state": "ok", "params": {"x": 0, "lr": 0.1, "opt": 0}},
     -32602, "params.trials[0].loss"),
    ({"number": 0, "state": "ok", "params": {"x": 0, "lr": 0.1, "opt": 0},
      "loss": 1, "colour": "red"}, -32602, "params.trials[0].colour"),
    ({"number": 0, "state": "fail", "params": {"x": 0, "lr": 0.1, "opt": 0},
      "started": "yesterday"}, -32602, "params.trials[0].started"),
    ({"number": 0, "state": "ok", "params": {"x": 0, "lr": 5.0, "opt": 0},
      "loss": 1}, -32004, "params.trials[0].params.lr"),
    ({"number": 0, "state": "ok", "params": {"x": 0, "lr": 0.1, "opt": 1},
      "loss": 1}, -32004, "params.trials[0].params.momentum"),
    ({"number": 0, "state": "queued", "params": {"x": 0, "lr": 0.1, "opt": 0,
                                                 "momentum": 0.6}},
     -32004, "params.trials[0].params.momentum"),
]


@pytest.mark.parametrize("bad,code,path", BAD)
def test_bad_trial_names_its_path_and_writes_nothing(daemon, bad, code, path):
    c = daemon.connect()
    good = [{"number": i, "state": "ok", "params": {"x": 0, "lr": 0.1,
             "opt": 0}, "loss": 1.0} for i in range(3)]
    bad = dict(bad, number=bad["number"] + 3)
    with pytest.raises(RPCError) as e:
        c.call("study.import", name="s", space=SPACE, trials=good + [bad])
    assert e.value.code == code
    assert e.value.data["path"] == path.replace("[0]", "[3]")
    assert e.value.message.startswith(path.replace("[0]", "[3]") + ": ")
    # Nothing of it exists.
    assert c.call("study.list")["studies"] == []
    c.close()


def test_resent_import_acts_once_and_conflicts_are_refused(daemon):
    c = daemon.connect()
    trials = [{"number": i, "state": "ok", "params": {"x": i / 10, "lr": 0.1,
               "opt": 0}, "loss": float(i)} for i in range(5)]
    kw = dict(name="s", space=SPACE, seed=2, trials=trials)
    c.call("study.import", **kw)
    # Without exist_ok a second import is a conflict; with it, the same
    # history is the same study (a retry after a lost reply).
    with pytest.raises(RPCError) as e:
        c.call("study.import", **kw)
    assert e.value.code == -32002
    again = c.call("study.import", exist_ok=True, **kw)["study"]
    assert again["counts"]["total"] == 5
    with pytest.raises(RPCError) as e:
        c.call("study.import", exist_ok=True, **dict(kw, trials=trials[:4]))
    assert e.value.code == -32002 and "history" in e.value.message
    with pytest.raises(RPCError) as e:
        c.call("study.import", exist_ok=True, **dict(kw, seed=3))
    assert e.value.code == -32002 and "seed" in e.value.message
    with pytest.raises(RPCError) as e:
        c.call("study.import", name="t", space=SPACE, max_trials=4,
               trials=trials)
    assert e.value.code == -32602 and e.value.data["path"] == "params.trials"
    with pytest.raises(RPCError) as e:
        c.call("study.import", name="t", space=SPACE, trials={"0": 1})
    assert e.value.data["path"] == "params.trials"
    assert len(all_trials(c, "s")) == 5
    # An empty history is a plain study.create.
    s = c.call("study.import", name="empty", space=SPACE, trials=[])["study"]
    assert s["counts"]["total"] == 0
    c.close()


def test_a_long_history_goes_in_parts(daemon):
    """More than one request line can hold (1 MiB): the client sends
    parts at increasing offsets; the study continues as the original."""
    from parzen.client import Client
    c = daemon.connect()
    c.call("study.create", name="orig", space=SPACE, seed=5,
           config={"n_startup": 5})
    for _ in range(60):
        t = c.call("trial.ask", study="orig", worker="w")["trial"]
        c.call("trial.tell", trial=t["id"], status="ok",
               loss=loss_of(t["params"]), result={"pad": "p" * 30000},
               attempt=t["attempt"])
    history = [dict(t) for t in all_trials(c, "orig")]
    assert len(json.dumps(history)) > (1 << 20)
    s = c.call("study.get", study="orig")["study"]
    py = Client(daemon.socket)
    kw = dict(name="copy", space=SPACE, seed=5, config=s["config"])
    study = py.import_study(history, **kw)
    assert study["counts"]["total"] == 60
    # Sent again (a retry after a failure): every part acts once.
    assert py.import_study(history, exist_ok=True,
                           **kw)["counts"]["total"] == 60
    copied = all_trials(c, "copy")
    assert [t["params"] for t in copied] == [t["params"] for t in history]
    assert [t["result"] for t in copied] == [t["result"] for t in history]
    assert next_params(c, "copy", 5) == next_params(c, "orig", 5)
    py.close()


def test_parts_must_follow_each_other(daemon):
    c = daemon.connect()
    trials = [{"number": i, "state": "ok", "params": {"x": i / 10, "lr": 0.1,
               "opt": 0}, "loss": float(i)} for i in range(6)]
    with pytest.raises(RPCError) as e:
        c.call("study.import", name="p", space=SPACE, seed=1,
               trials=trials[3:], offset=3)
    assert e.value.code == -32001 and e.value.data["path"] == "params.offset"
    c.call("study.import", name="p", space=SPACE, seed=1, trials=trials[:3])
    # Numbers must continue from the offset.
    with pytest.raises(RPCError) as e:
        c.call("study.import", name="p", space=SPACE, seed=1,
               trials=trials[3:], offset=4)
    assert e.value.code == -32602
    assert e.value.data["path"] == "params.trials[0].number"
    # A gap is refused; the next part is appended; resent, it acts once.
    with pytest.raises(RPCError) as e:
        c.call("study.import", name="p", space=SPACE, seed=1,
               trials=[dict(trials[5], number=5)], offset=5)
    assert e.value.code == -32002
    for _ in range(2):
        s = c.call("study.import", name="p", space=SPACE, seed=1,
                   trials=trials[3:], offset=3)["study"]
        assert s["counts"]["total"] == 6
    # A part with other params at those numbers is a conflict.
    other = [dict(t, params={"x": 0.9, "lr": 0.1, "opt": 0})
             for t in trials[3:]]
    with pytest.raises(RPCError) as e:
        c.call("study.import", name="p", space=SPACE, seed=1, trials=other,
               offset=3)
    assert e.value.code == -32002
    # And a different definition is one too.
    with pytest.raises(RPCError) as e:
        c.call("study.import", name="p", space=SPACE, seed=2,
               trials=trials[3:], offset=3)
    assert e.value.code == -32002
