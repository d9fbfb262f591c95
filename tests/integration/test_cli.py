"""The command-line tool `parzen` (path in $PARZEN_CLI, set by meson)
against the real daemon: every subcommand, its output formats and exit
statuses, and `parzen worker` running shell and Python commands that
succeed, print a result dict, fail, print garbage, outlive the heartbeat
timeout, are interrupted, or see parzend restart under them.

Waiting is done on events (a file the command writes, a line on the
worker's stderr, a trial changing state), with deadlines, never on a fixed
sleep.
"""
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest

CLI = os.environ.get("PARZEN_CLI", "parzen")
HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "..", "examples", "shell_worker")

SPACE = {
    "x": {"$hp": "uniform", "label": "x", "low": -2, "high": 2},
    "opt": {"$hp": "choice", "label": "opt", "options": [
        {"name": "sgd"},
        {"name": "adam",
         "beta": {"$hp": "uniform", "label": "beta", "low": 0.8,
                  "high": 0.99}},
    ]},
}

# Exit statuses (docs/cli.md).
OK, FAIL, USAGE, CONNECT, NOTFOUND = 0, 1, 2, 3, 4


def run(daemon, *args, env=None, timeout=30, socket_env=False, stdin=None):
    """Run parzen; the socket comes from --socket or $PARZEN_SOCKET."""
    e = dict(os.environ)
    e.pop("PARZEN_SOCKET", None)
    e.update(env or {})
    argv = [CLI]
    if socket_env:
        e["PARZEN_SOCKET"] = daemon.socket
    else:
        argv += ["--socket", daemon.socket]
    return subprocess.run(argv + list(args), env=e, capture_output=True,
                          text=True, errors="replace", timeout=timeout,
                          input=stdin)


def spawn(daemon, *args, env=None):
    e = dict(os.environ, **(env or {}))
    return subprocess.Popen([CLI, "--socket", daemon.socket] + list(args),
                            env=e, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            errors="replace")


def create(daemon, tmp_path, name, *extra, space=SPACE):
    path = tmp_path / ("%s.json" % name)
    path.write_text(json.dumps(space))
    r = run(daemon, "create", name, "--space", str(path), *extra)
    assert r.returncode == OK, r.stderr
    return r


def script(tmp_path, name, body, python=False):
    """An executable command for `parzen worker`."""
    path = tmp_path / name
    shebang = "#!%s\n" % sys.executable if python else "#!/bin/sh\n"
    path.write_text(shebang + body)
    path.chmod(0o755)
    return str(path)


def trials(daemon, study):
    c = daemon.connect()
    try:
        return c.call("trial.list", study=study, limit=10000,
                      intermediate=True)["trials"]
    finally:
        c.close()


def wait_for(pred, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def wait_line(stream, needle, timeout=20.0):
    """Read `stream` until a line holds `needle`; return the lines read."""
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError("no line with %r in %r" % (needle, lines))


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


# A Python command: the loss is a function of the params, and it checks
# that the point arrives both on stdin and in $PARZEN_POINT.
LOSS_PY = r"""
import json, os, sys
params = json.loads(os.environ["PARZEN_PARAMS"])
point = json.loads(os.environ["PARZEN_POINT"])
assert json.loads(sys.stdin.readline()) == point, "stdin != PARZEN_POINT"
assert os.environ["PARZEN_STUDY"] == "loss"
int(os.environ["PARZEN_TRIAL_ID"]); int(os.environ["PARZEN_TRIAL_NUMBER"])
print("training...")
print("  %r" % (point,), file=sys.stderr)
print((params["x"] - 0.5) ** 2)
print()
"""


# ---------------------------------------------------------------- basics

def test_help_and_usage_errors(daemon):
    r = subprocess.run([CLI, "--help"], capture_output=True, text=True)
    assert r.returncode == OK
    for cmd in ("create", "ls", "show", "best", "trials", "pause",
                "resume", "rm", "enqueue", "watch", "worker"):
        assert "\n  %s " % cmd in r.stdout
    assert "Exit status" in r.stdout and "128+N" in r.stdout
    for cmd in ("create", "worker", "trials", "watch"):
        r = subprocess.run([CLI, cmd, "--help"], capture_output=True,
                           text=True)
        assert r.returncode == OK and r.stdout.startswith("usage: parzen")
    assert run(daemon, "frobnicate").returncode == USAGE
    assert run(daemon).returncode == USAGE
    r = run(daemon, "ls", "--bogus")
    assert r.returncode == USAGE and "--help" in r.stderr
    assert run(daemon, "show").returncode == USAGE
    assert run(daemon, "create", "x").returncode == USAGE  # no --space
    assert run(daemon, "create", "x", "--space", "f",
               "--seed", "-1").returncode == USAGE
    assert run(daemon, "trials", "x", "--csv", "--json").returncode == USAGE
    assert run(daemon, "trials", "x", "--state", "done").returncode == USAGE
    assert run(daemon, "worker", "x").returncode == USAGE
    assert run(daemon, "worker", "x", "--").returncode == USAGE
    assert run(daemon, "worker", "x", "--count", "0", "--",
               "true").returncode == USAGE
    assert run(daemon, "watch", "x", "--interval", "0").returncode == USAGE


def test_cannot_connect(tmp_path):
    for argv in (["ls"], ["show", "s"], ["worker", "s", "--", "true"],
                 ["watch", "s"]):
        r = subprocess.run([CLI, "--socket", str(tmp_path / "none.sock")]
                           + argv, capture_output=True, text=True,
                           timeout=10)
        assert r.returncode == CONNECT, (argv, r.stderr)
        assert "is parzend running?" in r.stderr


# ------------------------------------------------------- study commands

def test_create_ls_show(daemon, tmp_path):
    r = create(daemon, tmp_path, "s1", "--seed", "42", "--max-trials", "7",
               "--heartbeat-timeout", "12.5", "--config",
               '{"n_startup": 3}', "--json")
    study = json.loads(r.stdout)["study"]
    assert study["seed"] == 42 and study["max_trials"] == 7
    assert study["heartbeat_timeout"] == 12.5
    assert study["config"]["n_startup"] == 3
    c = daemon.connect()
    assert c.call("study.get", study="s1")["study"]["space"] == SPACE
    c.close()

    # The socket from $PARZEN_SOCKET; --socket after the command.
    (tmp_path / "r.json").write_text(json.dumps(SPACE))
    r = run(daemon, "create", "s2", "--space", str(tmp_path / "r.json"),
            "--algo", "random", socket_env=True)
    assert r.returncode == OK and "study s2: random" in r.stdout
    r = subprocess.run([CLI, "ls", "--socket", daemon.socket],
                       capture_output=True, text=True)
    assert r.returncode == OK
    rows = [line.split() for line in r.stdout.splitlines()]
    assert rows[0] == ["NAME", "STATE", "ALGO", "DONE", "RUNNING",
                       "FAILED", "BEST"]
    assert rows[1] == ["s1", "running", "tpe", "0/7", "0", "0", "-"]
    assert rows[2] == ["s2", "running", "random", "0", "0", "0", "-"]
    listing = json.loads(run(daemon, "ls", "--json").stdout)
    assert [s["name"] for s in listing["studies"]] == ["s1", "s2"]

    r = run(daemon, "show", "s1")
    assert r.returncode == OK
    assert "seed               42" in r.stdout
    assert "max_trials         7" in r.stdout
    assert "heartbeat_timeout  12.5 s" in r.stdout
    assert "trials             0: 0 ok, 0 fail, 0 pruned, 0 running, " \
        "0 queued" in r.stdout
    assert 'pruner             {"kind":"none"}' in r.stdout
    assert '"$hp": "uniform"' in r.stdout
    assert json.loads(run(daemon, "show", "s1", "--json").stdout)[
        "study"]["name"] == "s1"

    # Conflicts, --exist-ok, a bad space, a missing study.
    r = run(daemon, "create", "s1", "--space", str(tmp_path / "s1.json"),
            "--seed", "42", "--max-trials", "7", "--heartbeat-timeout",
            "12.5", "--config", '{"n_startup": 3}')
    assert r.returncode == FAIL and "exists" in r.stderr
    r = run(daemon, "create", "s1", "--space", str(tmp_path / "s1.json"),
            "--seed", "42", "--max-trials", "7", "--heartbeat-timeout",
            "12.5", "--config", '{"n_startup": 3}', "--exist-ok")
    assert r.returncode == OK
    bad = dict(SPACE, x={"$hp": "quniform", "label": "x", "low": 0,
                         "high": 1, "q": 0})
    r = run(daemon, "create", "bad", "--space", "-", stdin=json.dumps(bad))
    assert r.returncode == FAIL and "space.x" in r.stderr
    (tmp_path / "junk.json").write_text("{nope")
    r = run(daemon, "create", "bad", "--space", str(tmp_path / "junk.json"))
    assert r.returncode == FAIL and "junk.json: not valid JSON" in r.stderr
    r = run(daemon, "create", "bad", "--space", str(tmp_path / "none"))
    assert r.returncode == FAIL and "cannot open" in r.stderr
    r = run(daemon, "show", "nope")
    assert r.returncode == NOTFOUND and "nope" in r.stderr

    # --pruner: validated by parzend with a path, kept, shown.
    r = run(daemon, "create", "pr", "--space", str(tmp_path / "s1.json"),
            "--pruner", '{"kind": "percentile", "percentile": 101}')
    assert r.returncode == FAIL and "pruner.percentile" in r.stderr
    r = run(daemon, "create", "pr", "--space", str(tmp_path / "s1.json"),
            "--pruner", '{"kind": "median"')
    assert r.returncode == FAIL and "pruner: not valid JSON" in r.stderr
    r = run(daemon, "create", "pr", "--space", str(tmp_path / "s1.json"),
            "--pruner", '{"kind": "hyperband", "max_resource": 27}')
    assert r.returncode == OK and "pruner hyperband" in r.stdout
    study = json.loads(run(daemon, "show", "pr", "--json").stdout)["study"]
    assert study["pruner"] == {"kind": "hyperband", "min_resource": 1,
                               "max_resource": 27, "reduction_factor": 3}


def test_pause_resume_rm(daemon, tmp_path):
    create(daemon, tmp_path, "p")
    r = run(daemon, "pause", "p")
    assert r.returncode == OK and r.stdout == "study p: paused\n"
    assert "state              paused" in run(daemon, "show", "p").stdout
    r = run(daemon, "resume", "p")
    assert r.returncode == OK and r.stdout == "study p: running\n"
    assert run(daemon, "pause", "nope").returncode == NOTFOUND

    # rm refuses without --yes, and says what it would delete.
    r = run(daemon, "rm", "p")
    assert r.returncode == USAGE
    assert "would delete study p and its 0 trials" in r.stderr
    assert "--yes" in r.stderr
    assert run(daemon, "show", "p").returncode == OK
    r = run(daemon, "rm", "p", "--yes")
    assert r.returncode == OK and "deleted study p" in r.stdout
    assert run(daemon, "show", "p").returncode == NOTFOUND
    assert run(daemon, "rm", "p", "--yes").returncode == NOTFOUND
    assert run(daemon, "rm", "p").returncode == NOTFOUND


def test_best_before_any_trial(daemon, tmp_path):
    create(daemon, tmp_path, "e")
    r = run(daemon, "best", "e")
    assert r.returncode == NOTFOUND and "no trial" in r.stderr
    r = run(daemon, "best", "e", "--json")
    assert r.returncode == NOTFOUND and json.loads(r.stdout) == \
        {"trial": None}
    assert run(daemon, "best", "nope").returncode == NOTFOUND


def test_enqueue(daemon, tmp_path):
    create(daemon, tmp_path, "q", "--max-trials", "3")
    # --index: a choice by its option's index (a trial's params).
    r = run(daemon, "enqueue", "q", '{"x": 0.5, "opt": 0}', "--index")
    assert r.returncode == OK and "enqueued trial 0" in r.stdout
    # By default by value: a sub-space option by its "name".
    r = run(daemon, "enqueue", "q", "-", "--json",
            stdin='{"x": -1, "opt": "adam", "beta": 0.9}')
    assert r.returncode == OK
    t = json.loads(r.stdout)["trial"]
    assert t["state"] == "queued" and t["number"] == 1
    assert t["point"] == {"x": -1, "opt": {"name": "adam", "beta": 0.9}}
    assert t["params"] == {"x": -1, "opt": 1, "beta": 0.9}
    assert t["values"] == {"x": -1, "opt": "adam", "beta": 0.9}
    # A number is a value, never an index: {"$index": N} says one.
    r = run(daemon, "enqueue", "q", '{"x": 0.5, "opt": 0}')
    assert r.returncode == FAIL and "params.values.opt" in r.stderr
    assert '{"$index": N}' in r.stderr and '"adam"' in r.stderr
    r = run(daemon, "enqueue", "q", '{"x": 5, "opt": {"$index": 0}}')
    assert r.returncode == FAIL and "params.values.x" in r.stderr
    r = run(daemon, "enqueue", "q", '{"x": 5, "opt": 0}', "--index")
    assert r.returncode == FAIL and "params.params.x" in r.stderr
    r = run(daemon, "enqueue", "q", "[1]")
    assert r.returncode == USAGE
    assert run(daemon, "enqueue", "nope", '{"x": 0}').returncode == NOTFOUND

    # A worker runs the enqueued trials first, in order.
    cmd = script(tmp_path, "loss.py", LOSS_PY.replace('"loss"', '"q"'),
                 python=True)
    r = run(daemon, "worker", "q", "--count", "2", "--", cmd)
    assert r.returncode == OK, r.stderr
    done = trials(daemon, "q")
    assert [t["params"] for t in done[:2]] == [
        {"x": 0.5, "opt": 0}, {"x": -1, "opt": 1, "beta": 0.9}]
    assert done[0]["loss"] == 0.0 and done[1]["loss"] == 2.25


def test_report_and_plot(daemon, tmp_path):
    import xml.etree.ElementTree as ET
    create(daemon, tmp_path, "rp", "--max-trials", "12")
    cmd = script(tmp_path, "loss.py", LOSS_PY.replace('"loss"', '"rp"'),
                 python=True)
    assert run(daemon, "worker", "rp", "--", cmd).returncode == OK
    out = tmp_path / "r.html"
    r = run(daemon, "report", "rp", "-o", str(out))
    assert r.returncode == OK, r.stderr
    assert "12 trials" in r.stderr
    page = ET.parse(str(out)).getroot()
    points = [e for e in page.iter() if e.get("data-trial") is not None]
    assert {int(e.get("data-trial")) for e in points} >= set(range(12))
    r = run(daemon, "plot", "rp", "history")
    assert r.returncode == OK and r.stdout.lstrip().startswith("<")
    assert ET.fromstring(r.stdout).tag.endswith("svg")
    assert run(daemon, "plot", "rp", "nope").returncode == USAGE
    assert run(daemon, "report", "nope").returncode == NOTFOUND


# --------------------------------------------------------------- worker

def test_worker_runs_study_to_the_end(daemon, tmp_path):
    create(daemon, tmp_path, "loss", "--max-trials", "6", "--seed", "1")
    cmd = script(tmp_path, "loss.py", LOSS_PY, python=True)
    r = run(daemon, "worker", "loss", "--", cmd)
    assert r.returncode == OK, r.stderr
    assert "ran 6 trials" in r.stderr
    assert r.stdout.count("training...") == 6  # output passed through
    done = trials(daemon, "loss")
    assert len(done) == 6
    host = os.uname().nodename
    for t in done:
        assert t["state"] == "ok", t
        assert t["loss"] == pytest.approx((t["params"]["x"] - 0.5) ** 2)
        assert t["result"] is None
        assert t["worker"].startswith(host + ":")
    best = min(done, key=lambda t: (t["loss"], t["number"]))

    r = run(daemon, "best", "loss")
    assert r.returncode == OK
    assert r.stdout.startswith("trial     %d (id %d)\n" % (best["number"],
                                                            best["id"]))
    assert "point     " in r.stdout
    assert json.loads(run(daemon, "best", "loss", "--json").stdout)[
        "trial"]["id"] == best["id"]

    # The table: aligned columns number, state, loss, last step, params.
    r = run(daemon, "trials", "loss")
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["NUMBER", "STATE", "LOSS", "STEP",
                                "PARAMS"]
    assert len(lines) == 7
    assert len({line.index(" ok ") for line in lines[1:]}) == 1
    assert "x=" in lines[1]

    # CSV: exact values, one column per label, inactive labels empty.
    r = run(daemon, "trials", "loss", "--csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout, newline="")))
    assert len(rows) == 6
    for row, t in zip(rows, done):
        assert int(row["number"]) == t["number"]
        assert row["state"] == "ok"
        assert float(row["loss"]) == t["loss"]
        assert row["last_step"] == ""
        assert float(row["params_x"]) == t["params"]["x"]
        if "beta" in t["params"]:
            assert float(row["params_beta"]) == t["params"]["beta"]
        else:
            assert row["params_beta"] == ""
        # A choice by value: an option by its "name".
        assert row["params_opt"] == ("sgd" if t["params"]["opt"] == 0
                                     else "adam")

    # JSON is the daemon's, each trial with "values" beside "params";
    # --limit and --offset page it.
    def without_values(reply):
        for t in reply["trials"]:
            keys = list(t)
            assert keys[keys.index("params") + 1] == "values"
            v = t.pop("values")
            assert v == dict(t["params"], opt="sgd"
                             if t["params"]["opt"] == 0 else "adam")
        return reply

    r = run(daemon, "trials", "loss", "--json")
    assert without_values(json.loads(r.stdout)) == {"trials": done,
                                                    "total": 6}
    r = run(daemon, "trials", "loss", "--json", "--limit", "2",
            "--offset", "3")
    assert without_values(json.loads(r.stdout)) == {"trials": done[3:5],
                                                    "total": 6}
    r = run(daemon, "trials", "loss", "--limit", "2")
    assert len(r.stdout.splitlines()) == 3 and "of 6" in r.stderr
    r = run(daemon, "trials", "loss", "--state", "fail", "--json")
    assert json.loads(r.stdout) == {"trials": [], "total": 0}
    assert run(daemon, "trials", "nope").returncode == NOTFOUND

    r = run(daemon, "ls")
    assert r.stdout.splitlines()[1].split()[:6] == [
        "loss", "done", "tpe", "6/6", "0", "0"]
    # Nothing more to give: a second worker ends at once.
    r = run(daemon, "worker", "loss", "--", cmd)
    assert r.returncode == OK and "ran 0 trials" in r.stderr


def test_worker_outcomes(daemon, tmp_path):
    """A result dict, status fail, a failing exit with its stderr, death
    by a signal, garbage, no output, a non-finite loss, no loss, CRLF,
    bytes that are not UTF-8."""
    create(daemon, tmp_path, "o")
    cases = [
        ("dict.sh", 'echo "epoch 1"\n'
                    'echo \'{"loss": 0.25, "status": "ok", "acc": 0.9, '
                    '"model": "m1"}\'\n'),
        ("hfail.sh", 'echo \'{"status": "fail", "reason": "diverged"}\'\n'),
        ("exit3.sh", 'echo 0.5\necho "Traceback: boom \xe9" >&2\n'
                     'printf "bad \\377 byte\\n" >&2\nexit 3\n'),
        ("killed.sh", 'echo "dying" >&2\nkill -KILL $$\n'),
        ("garbage.sh", 'echo 0.5\necho "loss is low"\n'),
        ("silent.sh", 'true\n'),
        ("nan.sh", 'echo nan\n'),
        ("lossless.sh", 'echo \'{"status": "ok", "acc": 1}\'\n'),
        ("crlf.sh", 'printf "0.75\\r\\n\\r\\n"\n'),
        ("latin1.sh", 'printf \'{"loss": 2, "note": "caf\\351"}\\n\'\n'),
    ]
    for name, body in cases:
        r = run(daemon, "worker", "o", "--count", "1", "--",
                script(tmp_path, name, body))
        assert r.returncode == OK, (name, r.stderr)
    ts = trials(daemon, "o")
    assert len(ts) == len(cases)
    by = {name: t for (name, _), t in zip(cases, ts)}

    t = by["dict.sh"]
    assert t["state"] == "ok" and t["loss"] == 0.25
    assert t["result"] == {"acc": 0.9, "model": "m1"}
    t = by["hfail.sh"]
    assert t["state"] == "fail" and t["result"] == {"reason": "diverged"}
    t = by["exit3.sh"]
    assert t["state"] == "fail" and t["loss"] is None
    assert t["result"]["exit_status"] == 3
    assert "exited with status 3" in t["result"]["error"]
    assert t["result"]["stderr"] == "Traceback: boom \xe9\nbad ? byte"
    t = by["killed.sh"]
    assert t["state"] == "fail" and t["result"]["signal"] == 9
    assert "killed by signal 9" in t["result"]["error"]
    assert t["result"]["stderr"] == "dying"
    t = by["garbage.sh"]
    assert t["state"] == "fail"
    assert t["result"]["error"] == ("the last line of stdout is neither a "
                                    "number nor a JSON object: "
                                    "'loss is low'")
    assert "printed nothing" in by["silent.sh"]["result"]["error"]
    assert "not a finite number" in by["nan.sh"]["result"]["error"]
    t = by["lossless.sh"]
    assert t["state"] == "fail" and t["result"]["acc"] == 1
    assert "loss" in t["result"]["error"]
    assert by["crlf.sh"]["state"] == "ok" and by["crlf.sh"]["loss"] == 0.75
    # Bytes that are not UTF-8 would not travel: they become '?'.
    t = by["latin1.sh"]
    assert t["state"] == "ok" and t["result"] == {"note": "caf?"}


def test_worker_keeps_bounded_tails(daemon, tmp_path):
    """Megabytes of output: the result keeps the end of stderr from a
    line start, and a last stdout line is still found after them."""
    create(daemon, tmp_path, "big")
    body = ("import sys\n"
            "for i in range(40000):\n"
            "    print('line %d' % i, file=sys.stderr)\n"
            "    print('noise %d' % i)\n")
    for name, end in (("ok.py", "print(1.25)\n"), ("bad.py", "exit(1)\n")):
        r = run(daemon, "worker", "big", "--count", "1", "--",
                script(tmp_path, name, body + end, python=True))
        assert r.returncode == OK
    ok, bad = trials(daemon, "big")
    assert ok["state"] == "ok" and ok["loss"] == 1.25
    err = bad["result"]["stderr"]
    assert err.endswith("line 39999") and err.startswith("line ")
    assert 4000 < len(err) <= 8192


def test_worker_heartbeats_keep_long_trial(daemon, tmp_path):
    """A command that runs 3 heartbeat timeouts is not reclaimed."""
    create(daemon, tmp_path, "hb", "--heartbeat-timeout", "0.8",
           "--max-trials", "1")
    cmd = script(tmp_path, "slow.sh", "sleep 2.4\necho 2\n")
    r = run(daemon, "worker", "hb", "--", cmd)
    assert r.returncode == OK, r.stderr
    (t,) = trials(daemon, "hb")
    assert t["state"] == "ok" and t["reclaims"] == 0 and t["attempt"] == 0


def test_worker_sigint_stops_command_and_releases(daemon, tmp_path):
    create(daemon, tmp_path, "int")
    pidfile = tmp_path / "pid"
    # The command starts a background job too: its process group goes.
    cmd = script(tmp_path, "hang.sh",
                 'sleep 60 &\necho $$ $! > "%s.tmp"\nmv "%s.tmp" "%s"\n'
                 'wait\n' % (pidfile, pidfile, pidfile))
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        w = spawn(daemon, "worker", "int", "--", cmd)
        wait_for(pidfile.exists, what="the command to start")
        pids = [int(p) for p in pidfile.read_text().split()]
        pidfile.unlink()
        w.send_signal(sig)
        _, err = w.communicate(timeout=20)
        assert w.returncode == -sig, err
        assert "gave trial 0 back" in err
        for pid in pids:
            wait_for(lambda: not pid_alive(pid), timeout=5,
                     what="pid %d to die" % pid)
        (t,) = trials(daemon, "int")
        assert t["state"] == "queued"


def test_worker_stops_command_of_reclaimed_trial(daemon, tmp_path):
    """A worker frozen past the heartbeat timeout finds its trial taken
    back: it stops the command and runs the next trial (the same one)."""
    create(daemon, tmp_path, "rc", "--heartbeat-timeout", "0.5",
           "--max-trials", "1")
    started = tmp_path / "started"
    cmd = script(tmp_path, "once.sh",
                 'if [ "$PARZEN_ATTEMPT" = 0 ]; then\n'
                 '  echo $$ > "%s"; sleep 60\nfi\necho 3\n' % started)
    w = spawn(daemon, "worker", "rc", "--", cmd)
    # The shell creates the file before it writes the pid: wait for both.
    wait_for(lambda: started.exists() and started.read_text().strip(),
             what="the command to start")
    child = int(started.read_text())
    w.send_signal(signal.SIGSTOP)
    try:
        wait_for(lambda: trials(daemon, "rc")[0]["state"] == "queued",
                 what="the trial to be reclaimed")
    finally:
        w.send_signal(signal.SIGCONT)
    _, err = w.communicate(timeout=20)
    assert w.returncode == OK, err
    assert "no longer ours" in err
    assert not pid_alive(child)
    (t,) = trials(daemon, "rc")
    assert t["state"] == "ok" and t["loss"] == 3
    assert t["attempt"] == 1 and t["reclaims"] == 1


def test_worker_survives_daemon_restart(daemon, tmp_path):
    """kill -9 parzend while a trial runs; the worker heart-beats into the
    void, reconnects once it is back, and tells the outcome."""
    create(daemon, tmp_path, "rs", "--max-trials", "2",
           "--heartbeat-timeout", "1.5")
    started, go = tmp_path / "started", tmp_path / "go"
    cmd = script(tmp_path, "wait.sh",
                 'if [ "$PARZEN_TRIAL_NUMBER" = 0 ]; then\n'
                 '  touch "%s"\n'
                 '  while [ ! -e "%s" ]; do sleep 0.05; done\n'
                 'fi\necho 0.5\n' % (started, go))
    w = spawn(daemon, "worker", "rs", "--", cmd)
    wait_for(started.exists, what="the command to start")
    daemon.kill9()
    wait_line(w.stderr, "reconnecting")
    daemon.start()
    go.touch()
    _, err = w.communicate(timeout=30)
    assert w.returncode == OK, err
    ts = trials(daemon, "rs")
    assert [(t["number"], t["state"], t["attempt"]) for t in ts] == [
        (0, "ok", 0), (1, "ok", 0)]


def test_worker_waits_while_paused(daemon, tmp_path):
    create(daemon, tmp_path, "pw", "--max-trials", "1")
    assert run(daemon, "pause", "pw").returncode == OK
    w = spawn(daemon, "worker", "pw", "--", script(tmp_path, "one.sh",
                                                   "echo 1\n"))
    wait_line(w.stderr, "paused; waiting")
    assert trials(daemon, "pw") == []
    assert run(daemon, "resume", "pw").returncode == OK
    _, err = w.communicate(timeout=20)
    assert w.returncode == OK, err
    assert [t["state"] for t in trials(daemon, "pw")] == ["ok"]


def test_worker_command_not_found(daemon, tmp_path):
    create(daemon, tmp_path, "nf")
    r = run(daemon, "worker", "nf", "--", str(tmp_path / "missing"))
    assert r.returncode == FAIL and "cannot run" in r.stderr
    (t,) = trials(daemon, "nf")
    assert t["state"] == "queued"
    # A command a shell cannot find (status 127): stop, do not burn
    # the study's trials.
    r = run(daemon, "worker", "nf", "--", "sh", "-c", "no-such-cmd-here")
    assert r.returncode == FAIL and "status 127" in r.stderr
    (t,) = trials(daemon, "nf")
    assert t["state"] == "queued"
    assert run(daemon, "worker", "nope", "--", "true").returncode == \
        NOTFOUND


# ---------------------------------------------------------------- watch

def test_watch_non_terminal(daemon, tmp_path):
    create(daemon, tmp_path, "w", "--max-trials", "4")
    watch = spawn(daemon, "watch", "w", "--interval", "0.05")
    # The first line appears before any trial ran.
    assert watch.stdout.readline().startswith("w: 0/4 done, 0 running")
    cmd = script(tmp_path, "t.sh", "sleep 0.1\necho $PARZEN_TRIAL_NUMBER\n")
    r = run(daemon, "worker", "w", "--", cmd)
    assert r.returncode == OK, r.stderr
    out, err = watch.communicate(timeout=20)
    assert watch.returncode == OK, err
    lines = out.splitlines()
    # A line per change, not per poll; the last one: the study complete.
    changes = [line.split(", rate ")[0] for line in lines]
    assert all(a != b for a, b in zip(changes, changes[1:])), lines
    assert lines[-1].startswith("w: 4/4 done, 0 running, 0 queued, "
                                "0 failed, best 0 (trial 0), rate ")
    assert "\r" not in out and "\033" not in out

    # A complete study: one line and done; a missing one: status 4.
    r = run(daemon, "watch", "w")
    assert r.returncode == OK and len(r.stdout.splitlines()) == 1
    assert run(daemon, "watch", "nope").returncode == NOTFOUND


def test_watch_terminal_cuts_by_characters(daemon, tmp_path):
    """On a terminal the line is cut to its width in characters, never
    inside a multi-byte one; pruned trials count as done and show."""
    import fcntl
    import pty
    import struct
    import termios

    name = "\u00e9" * 12 + "\u65e5\u672c" * 6  # 2-byte, then 3-byte ones
    create(daemon, tmp_path, name, "--max-trials", "2")
    c = daemon.connect()
    for k, status in enumerate(("ok", "pruned")):
        t = c.call("trial.ask", study=name, worker="w%d" % k)["trial"]
        c.call("trial.tell", trial=t["id"], attempt=t["attempt"],
               status=status, loss=0.5)
    c.close()
    full = run(daemon, "watch", name)
    assert full.returncode == OK, full.stderr
    assert full.stdout.startswith(name + ": 2/2 done, 0 running, 0 queued, "
                                  "0 failed, 1 pruned, best 0.5 (trial 0)")
    for cols in (20, 25, 31, 200):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ,
                    struct.pack("HHHH", 24, cols, 0, 0))
        p = subprocess.Popen([CLI, "--socket", daemon.socket, "watch", name],
                             stdout=slave, stderr=subprocess.PIPE)
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        assert p.wait(30) == OK, p.stderr.read()
        p.stderr.close()
        assert out.startswith(b"\r\x1b[K") and out.endswith(b"\r\n"), out
        shown = out[len(b"\r\x1b[K"):-2].decode("utf-8")  # strict
        assert shown == full.stdout.rstrip("\n")[:cols - 1], (cols, shown)


def test_watch_sigint(daemon, tmp_path):
    create(daemon, tmp_path, "wi")  # unlimited: never completes
    watch = spawn(daemon, "watch", "wi", "--interval", "0.05")
    assert watch.stdout.readline().startswith("wi: 0 done")
    watch.send_signal(signal.SIGINT)
    watch.communicate(timeout=10)
    assert watch.returncode == -signal.SIGINT


# -------------------------------------------------------------- example

def test_shell_worker_example(daemon, tmp_path):
    """examples/shell_worker as its README runs it."""
    r = run(daemon, "create", "demo", "--space",
            os.path.join(EXAMPLE, "space.json"), "--max-trials", "8")
    assert r.returncode == OK, r.stderr
    r = run(daemon, "worker", "demo", "--", os.path.join(EXAMPLE,
                                                         "train.sh"),
            env={"TRAIN_SECONDS": "0"})
    assert r.returncode == OK, r.stderr
    ts = trials(daemon, "demo")
    assert len(ts) == 8
    import math
    for t in ts:
        if t["state"] == "ok":
            # train.sh read every value from $PARZEN_PARAMS, the
            # optimizer by its name ("sgd" costs 0.3).
            p = t["params"]
            x = math.log10(p["lr"]) + 2
            want = (x * x + (p["layers"] - 4) ** 2 / 8
                    + 4 * (p["dropout"] - 0.2) ** 2
                    + (0.3 if p["optimizer"] == 0 else 0))
            assert t["loss"] == pytest.approx(want, abs=2e-6)
            assert "val_accuracy" in t["result"]
        else:
            assert "diverged" in t["result"]["stderr"]
    assert any(t["state"] == "ok" for t in ts)
    assert run(daemon, "best", "demo").returncode == OK
