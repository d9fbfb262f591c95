"""Everyday use of a long search (issue 13), through the `parzen` tool
against the real daemon: choices shown and written by value, a budget
that grows (`set`), ask/tell/heartbeat from a shell, `status` and `stop`,
`backup` while workers run, `export` and `import` that resume exactly,
and the small things (the done state, tables aligned by characters, one
exact number printer, the README's example files).

Every command's errors and exit statuses are checked against
docs/cli.md. Waiting is done on events (a line on stderr, a trial's
state, a process's exit), never on a fixed sleep.
"""
import csv
import io
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile

import pytest

from daemon import Daemon
from test_cli import (CLI, FAIL, NOTFOUND, OK, USAGE, CONNECT, create, run,
                      script, spawn, trials, wait_for, wait_line)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
NONE = 5  # `ask`: no trial to give now

with open(os.path.join(HERE, "..", "data", "cifar100.json")) as f:
    CIFAR = json.load(f)

SMALL = {
    "x": {"$hp": "uniform", "label": "x", "low": -2, "high": 2},
    "opt": {"$hp": "choice", "label": "opt", "options": [
        {"name": "sgd"},
        {"name": "adam",
         "beta": {"$hp": "uniform", "label": "beta", "low": 0.8,
                  "high": 0.99}},
    ]},
}


def call(daemon, method, **params):
    c = daemon.connect()
    try:
        return c.call(method, **params)
    finally:
        c.close()


# --- the value form, as docs/space.md defines it (an independent reading)

def choices(space, out=None):
    """{label: [option node, ...]} for every choice of a space."""
    out = {} if out is None else out
    if isinstance(space, dict):
        if space.get("$hp") in ("choice", "pchoice"):
            out[space["label"]] = space["options"]
        for v in space.values():
            choices(v, out)
    elif isinstance(space, list):
        for v in space:
            choices(v, out)
    return out


def has_hp(node):
    if isinstance(node, dict):
        if "$hp" in node or "$fn" in node:
            return True
        return any(has_hp(v) for v in node.values())
    if isinstance(node, list):
        return any(has_hp(v) for v in node)
    return False


def first_label(node):
    if isinstance(node, dict):
        if "$hp" in node:
            return node["label"]
        vals = node.get("args", []) if "$fn" in node else node.values()
        for v in vals:
            got = first_label(v)
            if got:
                return got
    if isinstance(node, list):
        for v in node:
            got = first_label(v)
            if got:
                return got
    return None


def option_value(node, k):
    if isinstance(node, dict) and isinstance(node.get("name"), str):
        return node["name"]
    if not has_hp(node):
        return node
    return first_label(node) or "option %d" % k


def to_values(space, params):
    ch = choices(space)
    return {k: option_value(ch[k][v], v) if k in ch else v
            for k, v in params.items()}


# ------------------------------------------------------------- values

# The command records what it got, and its loss is a function of params.
RECORD_PY = r"""
import json, os, sys
out = os.path.join(os.environ["RECORD_DIR"], os.environ["PARZEN_TRIAL_ID"])
with open(out, "w") as f:
    json.dump({"params": json.loads(os.environ["PARZEN_PARAMS"]),
               "index": json.loads(os.environ["PARZEN_PARAMS_INDEX"]),
               "point": json.loads(os.environ["PARZEN_POINT"])}, f)
p = json.loads(os.environ["PARZEN_PARAMS_INDEX"])
print(sum(v for v in p.values()))
"""


def test_values_on_cifar100(daemon, tmp_path):
    """Tables, CSV, JSON and PARZEN_PARAMS carry values for the CIFAR-100
    space; PARZEN_PARAMS_INDEX the indices; enqueue by values
    round-trips."""
    create(daemon, tmp_path, "c100", "--max-trials", "12", "--seed", "5",
           space=CIFAR)
    rec = tmp_path / "rec"
    rec.mkdir()
    cmd = script(tmp_path, "rec.py", RECORD_PY, python=True)
    r = run(daemon, "worker", "c100", "--", cmd,
            env={"RECORD_DIR": str(rec)})
    assert r.returncode == OK, r.stderr
    done = trials(daemon, "c100")
    assert len(done) == 12
    seen = set()
    for t in done:
        want = to_values(CIFAR, t["params"])
        got = json.load(open(rec / str(t["id"])))
        assert got["params"] == want
        assert got["index"] == t["params"]
        assert got["point"] == t["point"]
        # Literal options come as themselves, sub-spaces by label.
        assert want["optimizer"] in ("Adam", "Nadam", "RMSprop")
        assert want["use_BN"] in (True, False)
        assert want["first_conv"] in (None, "first_conv_size")
        assert want["nb_conv_pool_layers"] in (2, 3)
        seen.add(want["optimizer"])
        # The worker's log line shows values too.
        assert ('"optimizer":"%s"' % want["optimizer"]) in r.stderr
    assert len(seen) > 1

    # The table: one line per trial, choices by value.
    r = run(daemon, "trials", "c100")
    lines = r.stdout.splitlines()[1:]
    for line, t in zip(lines, done):
        want = to_values(CIFAR, t["params"])
        assert " optimizer=%s " % want["optimizer"] in line
        assert " use_BN=%s " % str(want["use_BN"]).lower() in line
        assert " first_conv=%s " % (want["first_conv"] or "null") in line
        assert " pooling_type=%s " % want["pooling_type"] in line

    # CSV: values, a null option as "null", an inactive label empty.
    r = run(daemon, "trials", "c100", "--csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout, newline="")))
    for row, t in zip(rows, done):
        want = to_values(CIFAR, t["params"])
        assert row["params_optimizer"] == want["optimizer"]
        assert row["params_use_BN"] == str(want["use_BN"]).lower()
        assert row["params_first_conv"] == (want["first_conv"] or "null")
        assert row["params_first_conv_size"] == (
            "" if want["first_conv"] is None
            else str(want["first_conv_size"]))
        assert float(row["params_batch_size"]) == want["batch_size"]

    # JSON: values beside params; best and show by value.
    got = json.loads(run(daemon, "trials", "c100", "--json").stdout)
    for t in got["trials"]:
        assert t["values"] == to_values(CIFAR, t["params"])
    best = min((t for t in done if t["state"] == "ok"),
               key=lambda t: (t["loss"], t["number"]))
    bv = to_values(CIFAR, best["params"])
    r = run(daemon, "best", "c100")
    assert "optimizer=%s " % bv["optimizer"] in r.stdout
    b = json.loads(run(daemon, "best", "c100", "--json").stdout)["trial"]
    assert b["values"] == bv and b["params"] == best["params"]
    r = run(daemon, "show", "c100")
    assert "best params        " in r.stdout
    assert "optimizer=%s " % bv["optimizer"] in r.stdout

    # Enqueue by values: the trial's values, as `trials --json` shows
    # them, queue a trial with exactly its params (every bit).
    run(daemon, "set", "c100", "--max-trials", "15")
    bad = dict(got["trials"][0]["values"], optimizer="adam")
    r = run(daemon, "enqueue", "c100", json.dumps(bad))
    assert r.returncode == FAIL
    assert "params.values.optimizer" in r.stderr and '"Nadam"' in r.stderr
    for t in got["trials"][:2]:
        r = run(daemon, "enqueue", "c100", json.dumps(t["values"]),
                "--json")
        assert r.returncode == OK, r.stderr
        q = json.loads(r.stdout)["trial"]
        assert q["params"] == t["params"] and q["values"] == t["values"]
        assert q["point"] == t["point"]
    # The index form with --index.
    r = run(daemon, "enqueue", "c100", json.dumps(done[2]["params"]),
            "--index")
    assert r.returncode == OK
    again = trials(daemon, "c100")
    assert [t["params"] for t in again[12:]] == [
        t["params"] for t in done[:3]]
    r = run(daemon, "enqueue", "c100", json.dumps(done[0]["params"]),
            "--index")
    assert r.returncode == FAIL and "max_trials" in r.stderr


def test_exact_numbers_everywhere(daemon, tmp_path):
    """One printer: JSON output and CSV print the shortest text that
    reads back as the same double (Python's repr is that text)."""
    create(daemon, tmp_path, "n", "--max-trials", "5", space=SMALL)
    cmd = script(tmp_path, "loss.sh", "#!/bin/sh\necho 0.1234567890123\n")
    assert run(daemon, "worker", "n", "--", cmd).returncode == OK
    done = trials(daemon, "n")
    text = run(daemon, "trials", "n", "--json").stdout
    csv_text = run(daemon, "trials", "n", "--csv").stdout
    best = run(daemon, "best", "n").stdout
    for t in done:
        x = t["params"]["x"]
        assert repr(x) in text and repr(x) in csv_text
    point = [ln for ln in best.splitlines() if ln.startswith("point")][0]
    number = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")
    tokens = number.findall(text) + number.findall(csv_text) + \
        number.findall(point)
    assert len(tokens) > 20
    for tok in tokens:
        assert tok == repr(float(tok)), tok


# ------------------------------------------------------------------ set

def test_set_budget(daemon, tmp_path):
    create(daemon, tmp_path, "b", "--max-trials", "3", space=SMALL)
    cmd = script(tmp_path, "loss.sh", "#!/bin/sh\necho 1\n")
    assert run(daemon, "worker", "b", "--", cmd).returncode == OK
    r = run(daemon, "show", "b")
    assert "\nstate              done\n" in r.stdout
    assert run(daemon, "ask", "b").returncode == NONE

    # create --exist-ok with a different budget says what to use.
    (tmp_path / "b2.json").write_text(json.dumps(SMALL))
    r = run(daemon, "create", "b", "--space", str(tmp_path / "b2.json"),
            "--max-trials", "5", "--exist-ok")
    assert r.returncode == FAIL
    assert "max_trials" in r.stderr and "parzen set b --max-trials" in \
        r.stderr

    r = run(daemon, "set", "b", "--max-trials", "5")
    assert r.returncode == OK, r.stderr
    assert r.stdout == ("study b: max_trials 5, heartbeat_timeout 60 s, "
                        "pruner none, 3 trials, running\n")
    assert "\nstate              running\n" in run(daemon, "show",
                                                   "b").stdout
    r = run(daemon, "worker", "b", "--", cmd)
    assert r.returncode == OK and "ran 2 trials" in r.stderr
    assert len(trials(daemon, "b")) == 5

    r = run(daemon, "set", "b", "--heartbeat-timeout", "12.5", "--json")
    s = json.loads(r.stdout)["study"]
    assert s["heartbeat_timeout"] == 12.5 and s["max_trials"] == 5
    assert call(daemon, "study.get", study="b")["study"][
        "heartbeat_timeout"] == 12.5

    # Errors: below the trials there are (1), usage (2), no study (4).
    r = run(daemon, "set", "b", "--max-trials", "4")
    assert r.returncode == FAIL and "params.max_trials" in r.stderr
    assert run(daemon, "set", "b").returncode == USAGE
    assert run(daemon, "set", "b", "--max-trials", "0").returncode == USAGE
    assert run(daemon, "set", "b", "--max-trials", "x").returncode == USAGE
    assert run(daemon, "set", "b", "--heartbeat-timeout",
               "-1").returncode == USAGE
    assert run(daemon, "set", "b", "--seed", "3").returncode == USAGE
    assert run(daemon, "set", "--max-trials", "3").returncode == USAGE
    assert run(daemon, "set", "nope", "--max-trials",
               "9").returncode == NOTFOUND
    # What suggestions depend on is refused by parzend, with the reason.
    c = daemon.connect()
    with pytest.raises(Exception) as e:
        c.call("study.update", study="b", seed=4)
    assert e.value.code == -32602 and "exact" in e.value.message
    c.close()


def test_set_pruner(daemon, tmp_path):
    """`parzen set --pruner`: checked by parzend (paths), stored, shown;
    the new pruner judges the reports made after it, and a trial pruned
    before stays pruned."""
    create(daemon, tmp_path, "p", "--pruner",
           '{"kind": "threshold", "upper": 0.5}', space=SMALL)
    c = daemon.connect()
    a = c.call("trial.ask", study="p", worker="w")["trial"]
    assert c.call("trial.report", trial=a["id"], step=0,
                  value=0.9)["prune"] is True

    r = run(daemon, "set", "p", "--pruner", '{"kind": "none"}')
    assert r.returncode == OK, r.stderr
    assert r.stdout == ("study p: max_trials unlimited, heartbeat_timeout "
                        "60 s, pruner none, 1 trials, running\n")
    b = c.call("trial.ask", study="p", worker="w2")["trial"]
    assert c.call("trial.report", trial=b["id"], step=0,
                  value=0.9)["prune"] is False
    # a's decision was made: it stays.
    assert c.call("trial.report", trial=a["id"], step=0,
                  value=0.9)["prune"] is True

    r = run(daemon, "set", "p", "--pruner",
            '{"kind": "median", "n_startup_trials": 2}', "--max-trials",
            "9", "--json")
    assert r.returncode == OK, r.stderr
    s = json.loads(r.stdout)["study"]
    assert s["pruner"]["kind"] == "median" and s["max_trials"] == 9
    assert s["pruner"]["n_startup_trials"] == 2
    assert '"kind":"median"' in run(daemon, "show", "p").stdout

    # Refusals: not a JSON object (usage, 2), a bad pruner (parzend's
    # path, 1); nothing changed.
    r = run(daemon, "set", "p", "--pruner", "median")
    assert r.returncode == USAGE and "--pruner" in r.stderr
    r = run(daemon, "set", "p", "--pruner", '{"kind": "mean"}')
    assert r.returncode == FAIL and "params.pruner.kind" in r.stderr
    r = run(daemon, "set", "p", "--pruner",
            '{"kind": "percentile", "percentile": 101}')
    assert r.returncode == FAIL and "params.pruner.percentile" in r.stderr
    assert c.call("study.get", study="p")["study"]["pruner"]["kind"] == \
        "median"
    # Kept across a restart.
    c.close()
    assert daemon.stop() == 0
    daemon.start()
    assert call(daemon, "study.get", study="p")["study"]["pruner"] == \
        s["pruner"]


# ------------------------------------------------------------ ask, tell

def sh(daemon, body, env=None, timeout=30, cwd=None):
    """Run a shell snippet with `parzen` on PATH and the socket set."""
    bindir = os.path.dirname(os.path.abspath(CLI))
    e = dict(os.environ, PARZEN_SOCKET=daemon.socket,
             PATH=bindir + os.pathsep + os.environ["PATH"])
    for k in list(e):
        if k.startswith("PARZEN_") and k != "PARZEN_SOCKET":
            del e[k]
    e.update(env or {})
    return subprocess.run(["sh", "-c", body], env=e, capture_output=True,
                          text=True, timeout=timeout, cwd=cwd)


def test_ask_tell_from_a_shell(daemon, tmp_path):
    create(daemon, tmp_path, "a", "--max-trials", "3", "--seed", "2",
           space=SMALL)
    # eval "$(parzen ask)" gives the worker's variables.
    r = sh(daemon, 'set -e; eval "$(parzen ask a --worker job-1)"; '
                   'env | grep ^PARZEN_ | sort; '
                   'parzen tell "$PARZEN_TRIAL_ID" 0.5 '
                   '--result \'{"acc": 0.9}\'')
    assert r.returncode == OK, r.stderr
    env = dict(ln.split("=", 1) for ln in r.stdout.splitlines()
               if ln.startswith("PARZEN_"))
    t = call(daemon, "trial.get", trial=int(env["PARZEN_TRIAL_ID"]))[
        "trial"]
    assert t["state"] == "ok" and t["loss"] == 0.5
    assert t["result"] == {"acc": 0.9} and t["worker"] == "job-1"
    assert json.loads(env["PARZEN_PARAMS_INDEX"]) == t["params"]
    assert json.loads(env["PARZEN_PARAMS"]) == to_values(SMALL,
                                                         t["params"])
    assert json.loads(env["PARZEN_POINT"]) == t["point"]
    assert env["PARZEN_STUDY"] == "a" and env["PARZEN_ATTEMPT"] == "0"
    assert env["PARZEN_TRIAL_NUMBER"] == "0"
    assert "trial 0 (id %d) of study a: ok, loss 0.5" % t["id"] in r.stdout

    # --json: the daemon's reply with values.
    r = run(daemon, "ask", "a", "--json", "--worker", "job-2")
    assert r.returncode == OK
    t2 = json.loads(r.stdout)["trial"]
    assert t2["state"] == "running" and t2["number"] == 1
    assert t2["values"] == to_values(SMALL, t2["params"])
    # The same worker asking again gets the same trial back.
    r = run(daemon, "ask", "a", "--json", "--worker", "job-2")
    assert json.loads(r.stdout)["trial"]["id"] == t2["id"]
    assert "job-2" in run(daemon, "status").stdout
    # heartbeat, fail, and the errors of both.
    r = run(daemon, "heartbeat", str(t2["id"]))
    assert r.returncode == OK and "running" in r.stdout
    r = run(daemon, "heartbeat", str(t2["id"]), "--attempt", "0", "--json")
    assert r.returncode == OK
    beat = json.loads(r.stdout)["trial"]
    assert beat["id"] == t2["id"] and beat["state"] == "running"
    assert beat["attempt"] == 0 and beat["deadline"] > t2["started"]
    # An attempt it was not handed out with is refused.
    r = run(daemon, "heartbeat", str(t2["id"]), "--attempt", "3")
    assert r.returncode == FAIL
    r = run(daemon, "tell", str(t2["id"]), "--status", "fail",
            "--result", '{"error": "oom"}', "--attempt", "0", "--json")
    assert r.returncode == OK
    assert json.loads(r.stdout)["trial"]["state"] == "fail"
    assert call(daemon, "trial.get", trial=t2["id"])["trial"][
        "result"] == {"error": "oom"}
    r = run(daemon, "tell", str(t2["id"]), "0.1")
    assert r.returncode == FAIL and "already" in r.stderr
    r = run(daemon, "heartbeat", str(t2["id"]))
    assert r.returncode == FAIL
    assert run(daemon, "tell", "999", "0.1").returncode == NOTFOUND
    assert run(daemon, "heartbeat", "999").returncode == NOTFOUND
    for args in (["tell"], ["tell", "x", "1"], ["tell", "1"],
                 ["tell", "1", "nan"], ["tell", "1", "inf"],
                 ["tell", "1", "0.1", "--status", "done"],
                 ["tell", "1", "0.1", "--result", "[1]"],
                 ["tell", "1", "0.1", "--attempt", "-1"],
                 ["tell", "1", "2", "3"], ["heartbeat"],
                 ["heartbeat", "0"], ["heartbeat", "1", "--status", "ok"],
                 ["ask"], ["ask", "a", "b"], ["ask", "a", "--worker", ""]):
        assert run(daemon, *args).returncode == USAGE, args
    assert run(daemon, "ask", "nope").returncode == NOTFOUND

    # No trial now: paused, then max_trials. Status 5, the reason said.
    assert run(daemon, "pause", "a").returncode == OK
    r = run(daemon, "ask", "a", "--json")
    assert r.returncode == NONE and "paused" in r.stderr
    assert json.loads(r.stdout) == {"trial": None, "reason": "paused"}
    # --wait waits for the resume.
    p = spawn(daemon, "ask", "a", "--wait", "--json")
    wait_line(p.stderr, "waiting")
    assert run(daemon, "resume", "a").returncode == OK
    out, _ = p.communicate(timeout=20)
    assert p.returncode == OK and json.loads(out)["trial"]["number"] == 2
    t3 = json.loads(out)["trial"]
    r = run(daemon, "ask", "a")
    assert r.returncode == NONE and "--wait" in r.stderr
    # With --wait, it waits for the running trial, then says done.
    p = spawn(daemon, "ask", "a", "--wait")
    wait_line(p.stderr, "waiting")
    assert run(daemon, "tell", str(t3["id"]), "1").returncode == OK
    _, err = p.communicate(timeout=20)
    assert p.returncode == NONE and "nothing more to give" in err
    # SIGINT ends a wait as a signal does.
    run(daemon, "pause", "a")
    p = spawn(daemon, "ask", "a", "--wait")
    wait_line(p.stderr, "waiting")
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=20)
    assert p.returncode == -signal.SIGINT


def test_tell_refuses_a_reclaimed_trial(daemon, tmp_path):
    """The first holder of a trial that was handed out again cannot tell
    it: the attempt comes from its environment."""
    create(daemon, tmp_path, "r", "--heartbeat-timeout", "0.3",
           space=SMALL)
    r = sh(daemon, 'parzen ask r > first.env', cwd=str(tmp_path))
    assert r.returncode == OK, r.stderr
    tid = int(re.search(r"PARZEN_TRIAL_ID='(\d+)'",
                        (tmp_path / "first.env").read_text()).group(1))
    # Silent past its timeout: reclaimed, then handed out again.
    wait_for(lambda: call(daemon, "trial.get", trial=tid)["trial"][
        "state"] == "queued", what="a reclaim")
    again = json.loads(run(daemon, "ask", "r", "--json").stdout)["trial"]
    assert again["id"] == tid and again["attempt"] == 1
    r = sh(daemon, '. ./first.env; parzen tell "$PARZEN_TRIAL_ID" 0.3',
           cwd=str(tmp_path))
    assert r.returncode == FAIL, r.stdout
    assert "handed out again" in r.stderr or "attempt" in r.stderr
    r = sh(daemon, '. ./first.env; parzen heartbeat "$PARZEN_TRIAL_ID"',
           cwd=str(tmp_path))
    assert r.returncode == FAIL
    # The new holder can.
    r = run(daemon, "tell", str(tid), "0.3", "--attempt", "1")
    assert r.returncode == OK


# ---------------------------------------------------------- status, stop

def test_status_and_stop(tmp_path):
    d = Daemon(tmp_path).start()
    try:
        create(d, tmp_path, "s1", space=SMALL)
        create(d, tmp_path, "s2", "--max-trials", "4", space=SMALL)
        run(d, "ask", "s1", "--worker", "gpu-0")
        r = run(d, "status")
        assert r.returncode == OK, r.stderr
        out = r.stdout
        assert re.match(r"parzend \S+, pid %d, up " % d.proc.pid, out)
        assert "\nsocket       %s\n" % d.socket in out
        size = os.path.getsize(d.db) + os.path.getsize(d.db + "-wal")
        assert re.search(r"\ndatabase     %s \(\d" % re.escape(d.db), out)
        assert "\ndurability   full\n" in out
        assert "\ntrials       1 running, 0 queued\n" in out
        assert "\nworkers      1 with a running trial: gpu-0\n" in out
        assert "\nstudies      2\n" in out
        lines = out.split("\n\n")[1].splitlines()
        assert lines[0].split() == ["STUDY", "STATE", "DONE", "RUNNING",
                                    "QUEUED", "BEST"]
        assert lines[1].split()[:3] == ["s1", "running", "0"]
        assert lines[2].split()[:3] == ["s2", "running", "0/4"]
        j = json.loads(run(d, "status", "--json").stdout)
        assert j["server"]["database"] == d.db
        assert j["server"]["database_bytes"] >= size - 65536
        assert j["server"]["workers"] == ["gpu-0"]
        assert [s["name"] for s in j["studies"]] == ["s1", "s2"]
        assert run(d, "status", "x").returncode == USAGE
        assert run(d, "stop", "--timeout", "0").returncode == USAGE

        r = run(d, "stop", "--timeout", "60")
        assert r.returncode == OK, r.stderr
        assert re.fullmatch(r"parzend \S+ \(pid %d\) stopped; its data "
                            r"is in %s\n" % (d.proc.pid, re.escape(d.db)),
                            r.stdout)
        # Gone by the time stop returns, cleanly.
        assert d.proc.poll() == 0
        assert "server.stop: shutting down" in d.read_log()
        assert run(d, "status").returncode == CONNECT
        assert run(d, "stop").returncode == CONNECT
        # Its data is there for the next start.
        d.start()
        assert [s["name"] for s in json.loads(run(
            d, "status", "--json").stdout)["studies"]] == ["s1", "s2"]
    finally:
        if d.proc.poll() is None:
            d.stop()


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root and setpriv to act as another user")
def test_stop_and_backup_only_for_the_daemons_user():
    """Another user admitted by --group may work, not stop or back up."""
    import pathlib
    base = pathlib.Path(tempfile.mkdtemp(prefix="pz-users-"))
    os.chmod(str(base), 0o755)
    d = Daemon(base, "--group", "nogroup", "--socket-mode", "0666")
    d.start()
    try:
        os.chmod(os.path.dirname(d.socket), 0o755)
        create(d, base, "u", space=SMALL)
        nobody = ["setpriv", "--reuid=65534", "--regid=65534",
                  "--clear-groups"]
        # nobody's primary group is nogroup (65534), the one admitted.
        r = subprocess.run(nobody + [CLI, "--socket", d.socket, "ls"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == OK, r.stderr
        r = subprocess.run(nobody + [CLI, "--socket", d.socket, "stop"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == FAIL
        assert "allowed only to the user parzend runs as" in r.stderr
        r = subprocess.run(nobody + [CLI, "--socket", d.socket, "backup",
                                     "/tmp/pz-nobody.db"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == FAIL and not os.path.exists(
            "/tmp/pz-nobody.db")
        assert d.proc.poll() is None
    finally:
        d.stop()
        shutil.rmtree(str(base), ignore_errors=True)


# --------------------------------------------------------------- backup

SLOW_PY = r"""
import json, os, time
p = json.loads(os.environ["PARZEN_PARAMS"])
time.sleep(0.01)
print((p["x"] - 0.5) ** 2)
"""


def test_backup_during_a_run_of_four_workers(daemon, tmp_path):
    create(daemon, tmp_path, "bk", "--max-trials", "400", "--seed", "9",
           "--algo", "random", space=SMALL)
    cmd = script(tmp_path, "slow.py", SLOW_PY, python=True)
    workers = [spawn(daemon, "worker", "bk", "--", cmd) for _ in range(4)]
    try:
        wait_for(lambda: call(daemon, "study.get", study="bk")["study"][
            "counts"]["ok"] >= 40, timeout=60, what="40 trials")
        # Every trial acknowledged before the backup begins.
        before = [t for t in trials(daemon, "bk")
                  if t["state"] in ("ok", "fail")]
        path = tmp_path / "copy.db"
        r = run(daemon, "backup", str(path))
        assert r.returncode == OK, r.stderr
        assert r.stdout.startswith("backed up parzend's database to %s ("
                                   % path)
        after = call(daemon, "study.get", study="bk")["study"]["counts"]
        # The workers went on meanwhile and after.
        wait_for(lambda: call(daemon, "study.get", study="bk")["study"][
            "counts"]["ok"] > after["ok"] + 10, timeout=60,
            what="more trials after the backup")
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            w.communicate(timeout=30)
    db = sqlite3.connect(str(path))
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    rows = {n: (s, loss, json.loads(p)) for n, s, loss, p in db.execute(
        "SELECT t.number, t.state, t.loss, t.params FROM trial t JOIN "
        "study s ON s.id = t.study_id WHERE s.name = 'bk'")}
    db.close()
    assert len(rows) >= len(before)
    for t in before:
        assert rows[t["number"]] == (t["state"], t["loss"], t["params"])
    assert not os.path.exists(str(path) + "-wal")

    # An existing path needs --force; a relative path is ours, not
    # parzend's; the copy is a database parzend serves as it is.
    r = run(daemon, "backup", str(path))
    assert r.returncode == FAIL and "--force" in r.stderr
    r = run(daemon, "backup", str(path), "--force", "--json")
    assert r.returncode == OK and json.loads(r.stdout)["path"] == str(path)
    r = subprocess.run([os.path.abspath(CLI), "--socket", daemon.socket,
                        "backup", "rel.db"], cwd=str(tmp_path),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == OK and (tmp_path / "rel.db").exists()
    r = run(daemon, "backup", str(tmp_path / "no" / "dir.db"))
    assert r.returncode == FAIL and "does not exist" in r.stderr
    r = run(daemon, "backup", daemon.db, "--force")
    assert r.returncode == FAIL and "own database" in r.stderr
    assert run(daemon, "backup").returncode == USAGE
    other = Daemon(tmp_path / "restored")
    os.makedirs(other.workdir)
    shutil.copy(str(path), other.db)
    other.start()
    try:
        got = json.loads(run(other, "trials", "bk", "--json").stdout)
        n = {t["number"]: t for t in got["trials"]}
        for t in before:
            assert n[t["number"]]["params"] == t["params"]
    finally:
        other.stop()


# --------------------------------------------------------- export/import

def loss_of(params):
    """A deterministic loss of a trial's params (the same on both
    daemons), and a failure now and then."""
    if params["x"] > 1.8:
        return None
    return (params["x"] - 0.3) ** 2 + (0.1 if params["opt"] == 0 else
                                       (params["beta"] - 0.9) ** 2)


def step(daemon, study):
    t = json.loads(run(daemon, "ask", study, "--json").stdout)["trial"]
    loss = loss_of(t["params"])
    if loss is None:
        r = run(daemon, "tell", str(t["id"]), "--status", "fail")
    else:
        r = run(daemon, "tell", str(t["id"]), repr(loss))
    assert r.returncode == OK, r.stderr
    return t["params"]


def test_export_import_resumes_exactly(daemon, tmp_path):
    create(daemon, tmp_path, "ex", "--seed", "11", "--max-trials", "60",
           "--config", '{"n_startup": 6}', space=SMALL)
    for _ in range(12):
        step(daemon, "ex")
    r = run(daemon, "enqueue", "ex", '{"x": 0.25, "opt": "sgd"}')
    assert r.returncode == OK
    step(daemon, "ex")
    out = tmp_path / "ex.json"
    r = run(daemon, "export", "ex", "-o", str(out))
    assert r.returncode == OK and "13 trials" in r.stderr
    doc = json.loads(out.read_text())
    assert doc["format"] == "parzen-export" and doc["version"] == 1
    assert doc["study"]["name"] == "ex" and doc["study"]["seed"] == 11
    assert doc["study"]["space"] == SMALL
    assert len(doc["trials"]) == 13
    for t in doc["trials"]:
        assert t["values"] == to_values(SMALL, t["params"])
        for k in ("state", "loss", "result", "created", "started",
                  "finished", "point", "attempt", "worker"):
            assert k in t
    assert doc["trials"] == [dict(t, values=to_values(SMALL, t["params"]))
                             for t in trials(daemon, "ex")]
    # stdout, and the CSV of `trials --csv`.
    assert json.loads(run(daemon, "export", "ex").stdout)["trials"] == \
        doc["trials"]
    assert run(daemon, "export", "ex", "--csv").stdout == \
        run(daemon, "trials", "ex", "--csv").stdout

    # A fresh daemon: the imported study suggests what the original
    # suggests next, 20 times.
    fresh = Daemon(tmp_path / "fresh")
    os.makedirs(fresh.workdir)
    fresh.start()
    try:
        r = run(fresh, "import", str(out))
        assert r.returncode == OK, r.stderr
        assert r.stdout.startswith("imported study ex: 13 trials (")
        a = [step(daemon, "ex") for _ in range(20)]
        b = [step(fresh, "ex") for _ in range(20)]
        assert a == b
        assert json.dumps(a) == json.dumps(b)  # every bit, as text
        # Histories equal: params, states, losses.
        key = [(t["params"], t["state"], t["loss"])
               for t in trials(daemon, "ex")]
        assert key == [(t["params"], t["state"], t["loss"])
                       for t in trials(fresh, "ex")]

        # --as, an existing name, --exist-ok, a paused study.
        assert run(fresh, "import", str(out)).returncode == FAIL
        r = run(fresh, "import", str(out), "--as", "ex2", "--json")
        assert r.returncode == OK
        assert json.loads(r.stdout)["study"]["counts"]["total"] == 13
        r = run(fresh, "import", str(out), "--as", "ex2", "--exist-ok")
        assert r.returncode == OK
        run(daemon, "pause", "ex")
        r = run(daemon, "export", "ex", "-o", str(tmp_path / "p.json"))
        r = run(fresh, "import", str(tmp_path / "p.json"), "--as", "ex3")
        assert r.returncode == OK and r.stdout.rstrip().endswith("paused")
        # A history longer than a request line goes in parts; a trial
        # that does not fit one with the definition is refused, saying
        # what to do.
        small = Daemon(tmp_path / "small", "--max-line", "4096")
        os.makedirs(small.workdir)
        small.start()
        try:
            r = run(small, "import", str(tmp_path / "p.json"), "--json")
            assert r.returncode == OK, r.stderr
            assert json.loads(r.stdout)["study"]["counts"]["total"] == 33
            assert [(t["params"], t["state"], t["loss"])
                    for t in trials(small, "ex")] == key
        finally:
            small.stop()
        create(daemon, tmp_path, "big", space=SMALL)
        t = json.loads(run(daemon, "ask", "big", "--json").stdout)["trial"]
        assert run(daemon, "tell", str(t["id"]), "1", "--result",
                   json.dumps({"log": "x" * 1500})).returncode == OK
        run(daemon, "export", "big", "-o", str(tmp_path / "big.json"))
        tiny = Daemon(tmp_path / "tiny", "--max-line", "1024")
        os.makedirs(tiny.workdir)
        tiny.start()
        try:
            r = run(tiny, "import", str(tmp_path / "big.json"))
            assert r.returncode == FAIL and "--max-line" in r.stderr
            assert "trial 0 " in r.stderr
            assert json.loads(run(tiny, "ls", "--json").stdout)[
                "studies"] == []
        finally:
            tiny.stop()
    finally:
        fresh.stop()

    # Errors.
    assert run(daemon, "export", "nope").returncode == NOTFOUND
    assert run(daemon, "export").returncode == USAGE
    assert run(daemon, "import").returncode == USAGE
    assert run(daemon, "import", str(tmp_path / "none.json")).returncode \
        == FAIL
    (tmp_path / "bad.json").write_text("{not json")
    r = run(daemon, "import", str(tmp_path / "bad.json"))
    assert r.returncode == FAIL and "not JSON" in r.stderr
    (tmp_path / "other.json").write_text('{"a": 1}')
    r = run(daemon, "import", str(tmp_path / "other.json"), "--as", "z")
    assert r.returncode == FAIL and "not a parzen export" in r.stderr
    # A file that cannot be written leaves nothing behind.
    r = run(daemon, "export", "ex", "-o", str(tmp_path / "no" / "x.json"))
    assert r.returncode == FAIL


# -------------------------------------------------------- small things

def test_tables_align_by_characters(daemon, tmp_path):
    create(daemon, tmp_path, "études", space=SMALL)
    create(daemon, tmp_path, "ab", space=SMALL)
    for cmd in (["ls"], ["status"]):
        lines = [ln for ln in run(daemon, *cmd).stdout.splitlines()
                 if ln.startswith(("NAME", "STUDY", "études", "ab "))]
        assert len(lines) == 3
        # The second column starts at the same character in every line.
        starts = {len(ln) - len(ln[ln.index("  "):].lstrip())
                  for ln in lines}
        assert len(starts) == 1, lines


def test_readme_running_it_uses_files_that_exist():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    block = text.split("## Running it", 1)[1].split("```sh", 1)[1].split(
        "```", 1)[0]
    paths = re.findall(r"(examples/\S+)", block)
    assert paths, block
    for p in paths:
        assert os.path.exists(os.path.join(ROOT, p)), p


def test_python_autostart_says_how_to_see_and_stop(tmp_path):
    """Trials(study=...) starting a background daemon says once how to
    see it and stop it."""
    sock = tmp_path / "run" / "parzend.sock"
    env = dict(os.environ, PARZEN_SOCKET=str(sock),
               XDG_STATE_HOME=str(tmp_path / "state"))
    code = ("from parzen import daemon; daemon.ensure_default(); "
            "daemon.ensure_default()")
    r = subprocess.run([sys.executable, "-c", code], env=env,
                       capture_output=True, text=True, timeout=60)
    try:
        assert r.returncode == 0, r.stderr
        assert r.stderr.count("started parzend in the background") == 1
        assert "parzen status" in r.stderr and "parzen stop" in r.stderr
    finally:
        subprocess.run([CLI, "--socket", str(sock), "stop"],
                       capture_output=True, timeout=60)


def test_help_lists_the_new_commands():
    r = subprocess.run([CLI, "--help"], capture_output=True, text=True)
    assert r.returncode == OK
    for cmd in ("set", "ask", "tell", "heartbeat", "export", "import",
                "backup", "status", "stop"):
        assert "\n  %s " % cmd in r.stdout, cmd
        h = subprocess.run([CLI, cmd, "--help"], capture_output=True,
                           text=True)
        assert h.returncode == OK and h.stdout.startswith(
            "usage: parzen %s" % cmd), cmd
    assert "\n  5      `ask`: no trial to give now" in r.stdout
    for cmd in ("set", "ask", "tell", "heartbeat", "export", "import",
                "backup", "status", "stop"):
        assert subprocess.run([CLI, cmd, "--bogus"], capture_output=True,
                              text=True).returncode == USAGE, cmd


def test_cannot_connect_new_commands(tmp_path):
    sock = str(tmp_path / "none.sock")
    for argv in (["set", "s", "--max-trials", "3"], ["ask", "s"],
                 ["tell", "1", "0.5"], ["heartbeat", "1"], ["status"],
                 ["stop"], ["backup", str(tmp_path / "b.db")],
                 ["export", "s"], ["import", os.path.join(
                     HERE, "..", "data", "cifar100.json"), "--as", "x"]):
        r = subprocess.run([CLI, "--socket", sock] + argv,
                           capture_output=True, text=True, timeout=30)
        if argv[0] == "import":
            # Not an export: said before connecting.
            assert r.returncode == FAIL and "not a parzen export" in \
                r.stderr
            continue
        assert r.returncode == CONNECT, (argv, r.stderr)
        assert "is parzend running?" in r.stderr
