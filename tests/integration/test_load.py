"""Loading a study after a restart, in chunks of 4,096 trials: parzend
reads one chunk on its loop while a worker thread parses the one before.

A study of three chunks and a bit comes back exactly (every trial's
params, state, loss and worker, and the same next suggestion as a daemon
that never restarted); a bad row in a later chunk, whether the loop finds
it while reading or the worker thread while parsing, makes the study
damaged with a reason naming the trial, and the others keep working.
"""
import sqlite3

import pytest

from daemon import Daemon, RPCError
from parzen.client import Client

SPACE = {
    "x": {"$hp": "uniform", "label": "x", "low": -2, "high": 2},
    "opt": {"$hp": "choice", "label": "opt", "options": [
        "sgd",
        {"momentum": {"$hp": "uniform", "label": "momentum", "low": 0.5,
                      "high": 0.99}},
    ]},
}
N = 3 * 4096 + 123


def history():
    out = []
    for i in range(N):
        params = {"x": -2 + 4 * i / N, "opt": i % 2}
        if i % 2:
            params["momentum"] = 0.5 + 0.49 * ((i * 7919) % N) / N
        t = {"number": i, "params": params, "worker": "w%d" % (i % 5)}
        if i % 11 == 3:
            t["state"] = "fail"
        else:
            t.update(state="ok", loss=(params["x"] - 0.3) ** 2 + i * 1e-9)
        out.append(t)
    return out


def trials_of(c, study):
    got, offset = [], 0
    while True:
        r = c.call("trial.list", study=study, offset=offset, limit=5000)
        got += r["trials"]
        offset = r.get("next_offset", offset + len(r["trials"]))
        if not r["trials"] or len(got) >= r["total"]:
            return got


def strip(t):
    return (t["number"], t["state"], t["params"], t["loss"], t["worker"])


@pytest.fixture
def loaded(tmp_path):
    d = Daemon(tmp_path).start()
    c = Client(d.socket)
    c.import_study(history(), name="big", space=SPACE, seed=5)
    c.call("study.create", name="small", space=SPACE, seed=1)
    c.close()
    yield d
    d.stop()


def test_a_study_of_several_chunks_comes_back_exactly(loaded):
    d = loaded
    c = d.connect()
    before = [strip(t) for t in trials_of(c, "big")]
    assert len(before) == N
    assert d.stop() == 0
    d.start()
    c = d.connect()
    after = [strip(t) for t in trials_of(c, "big")]
    assert after == before
    s = c.call("study.get", study="big")["study"]
    assert s["counts"]["total"] == N
    assert s["counts"]["fail"] == sum(1 for i in range(N) if i % 11 == 3)
    assert s["best"]["number"] == min(
        (t for t in before if t[1] == "ok"), key=lambda t: t[3])[0]


def test_the_next_suggestion_is_the_unrestarted_ones(tmp_path):
    hist = history()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = Daemon(tmp_path / "a").start()
    b = Daemon(tmp_path / "b").start()
    try:
        for d in (a, b):
            c = Client(d.socket)
            c.import_study(hist, name="big", space=SPACE, seed=5)
            c.close()
        assert a.stop() == 0
        a.start()
        asks = []
        for d in (a, b):
            c = d.connect()
            asks.append(c.call("trial.ask", study="big",
                               worker="w")["trial"]["params"])
        assert asks[0] == asks[1]
    finally:
        a.stop()
        b.stop()


@pytest.mark.parametrize("where,sql,reason", [
    # Found by the loop while it reads ahead (a gap in the numbers) ...
    ("read", "UPDATE trial SET number = 99999 WHERE number = 9000",
     "trial numbers are not contiguous at 9001"),
    # ... and by the worker thread while it parses (params that do not fit;
    # trial ids count from 1).
    ("parse", "UPDATE trial SET params = '{\"x\": 7, \"opt\": 0}' "
              "WHERE number = 12000",
     "trial 12001 has params that do not fit the space (params.x: 7 is "),
])
def test_a_bad_row_in_a_later_chunk_damages_only_its_study(loaded, where,
                                                            sql, reason):
    d = loaded
    assert d.stop() == 0
    db = sqlite3.connect(d.db)
    db.execute(sql)
    db.commit()
    db.close()
    d.start()
    c = d.connect()
    with pytest.raises(RPCError) as e:
        c.call("trial.ask", study="big")
    assert e.value.code == -32007 and reason in e.value.message
    studies = {s["name"]: s for s in c.call("study.list")["studies"]}
    assert studies["big"]["state"] == "damaged"
    assert reason in studies["big"]["error"]
    assert c.call("trial.ask", study="small")["trial"]["number"] == 0
