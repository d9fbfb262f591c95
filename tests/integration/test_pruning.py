"""Pruning against the real parzend (docs/protocol.md, trial.report;
docs/pruning.md): reports survive kill -9 once acknowledged, prune
decisions are the same after a resume as in a run straight through, bad
reports are refused with paths and store nothing, watchers hear of
reports, and `parzen worker` stops a command the pruner stops and records
it "pruned".

Reporters are separate processes (reporter.py's loop, inline below), so a
kill -9 of parzend is a real one: the kernel closes their sockets and
they see what a worker would. Waiting is on events (lines a process
prints, a file a command writes, a trial changing state), with deadlines.
"""
import json
import math
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

from daemon import Daemon, RPCError

CLI = os.environ.get("PARZEN_CLI", "parzen")
HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.join(HERE, "..", "..", "python")
SPACE = {"x": {"$hp": "uniform", "label": "x", "low": 0, "high": 1}}
BAD_PARAMS, CONFLICT, WRONG_STATE, NOT_FOUND = -32602, -32002, -32003, -32001
PARSE_ERROR = -32700

# A reporter: reports steps 0, 1, 2, ... of one trial as fast as it can
# and prints "ACK step" once each reply came (so after its commit); it
# dies with the connection when parzend is killed.
REPORTER = r"""
import json, socket, sys
sock, trial = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_UNIX); s.connect(sock)
f = s.makefile("rb")
for step in range(100000):
    msg = {"jsonrpc": "2.0", "id": step, "method": "trial.report",
           "params": {"trial": trial, "attempt": 0, "step": step,
                      "value": 1.0 / (step + 1) + trial}}
    try:
        s.sendall((json.dumps(msg) + "\n").encode())
        line = f.readline()
    except OSError:
        break
    if not line:
        break
    reply = json.loads(line)
    assert "result" in reply, reply
    print("ACK", step, flush=True)
"""


class Proc:
    """A child whose stdout lines arrive on a queue (a reader thread)."""

    def __init__(self, argv, **kw):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                     text=True, bufsize=1, **kw)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def line(self, timeout=30.0):
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no line from %r" % (self.proc.args,))


def wait_for(pred, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def curve(conn, trial_id):
    return [tuple(p) for p in
            conn.call("trial.get", trial=trial_id)["trial"]["intermediate"]]


# ------------------------------------------------------------- durability

def test_acknowledged_reports_survive_kill9(tmp_path):
    """Three reporters write as fast as they can; parzend is killed -9 in
    the middle. Every report a reporter saw acknowledged is there after
    the restart, with its value, and nothing else but possibly the one
    in flight."""
    d = Daemon(tmp_path).start()
    c = d.connect()
    c.call("study.create", name="k", space=SPACE, seed=1,
           pruner={"kind": "median", "n_startup_trials": 1000})
    ids = [c.call("trial.ask", study="k", worker="w%d" % i)["trial"]["id"]
           for i in range(3)]
    c.close()
    reporters = [Proc([sys.executable, "-c", REPORTER, d.socket, str(i)])
                 for i in ids]
    acked = {i: -1 for i in ids}
    # Let them run until each has a good number of acknowledged reports.
    for r, i in zip(reporters, ids):
        while acked[i] < 200:
            line = r.line()
            assert line is not None, "reporter died early"
            acked[i] = int(line.split()[1])
    d.kill9()
    for r, i in zip(reporters, ids):
        while True:
            line = r.line()
            if line is None:
                break
            acked[i] = int(line.split()[1])
        r.proc.wait(30)
    d.start()
    c = d.connect()
    for i in ids:
        got = curve(c, i)
        steps = [s for s, _ in got]
        # Every acknowledged step, in order, with its value; at most the
        # one whose reply was lost beyond.
        assert steps[:acked[i] + 1] == list(range(acked[i] + 1))
        assert len(steps) <= acked[i] + 2
        for s, v in got:
            assert v == 1.0 / (s + 1) + i
    # And they go on from there: the next step is accepted.
    t = c.call("trial.get", trial=ids[0])["trial"]
    nxt = len(curve(c, ids[0]))
    assert c.call("trial.report", trial=ids[0], attempt=t["attempt"],
                  step=nxt, value=0.5)["prune"] is False
    c.close()
    assert d.stop() == 0, d.read_log()


# A fixed history: trial 8 runs its 9 steps and finishes first; then 8
# trials report 9 steps each, interleaved, and some finish ok; the values
# make some of them bad early, some late. Returns (kind, trial, step,
# value) events. The crash comes halfway through step 2: each pruner
# below makes decisions on both sides of it.
N_TRIALS = 9
CUT = 10 + 8 + 4


def script():
    events = [("report", 8, s, 1.2 / s) for s in range(1, 10)]
    events.append(("tell", 8, None, 1.2 / 9))
    for rnd in range(9):
        for k in range(8):
            step = rnd + 1
            a = 0.6 + 0.25 * ((k * 5) % 8)
            b = 0.3 - 0.04 * ((k * 3) % 8)
            value = a / step + b
            events.append(("report", k, step, value))
            if step == 9 and k % 3 == 0:
                events.append(("tell", k, None, value))
    return events


def play(conn, ids, events, out, stopped):
    """Send the events; out gets (trial, step, prune) per report."""
    for kind, k, step, value in events:
        if kind == "tell":
            if k in stopped:
                continue
            conn.call("trial.tell", trial=ids[k], attempt=0, status="ok",
                      loss=value)
            continue
        if k in stopped:
            # A stopped trial takes no later step.
            with pytest.raises(RPCError) as e:
                conn.call("trial.report", trial=ids[k], attempt=0,
                          step=step, value=value)
            assert e.value.code == WRONG_STATE
            out.append((k, step, "refused"))
            continue
        r = conn.call("trial.report", trial=ids[k], attempt=0, step=step,
                      value=value)
        out.append((k, step, r["prune"]))
        if r["prune"]:
            stopped.add(k)


@pytest.mark.parametrize("pruner", [
    {"kind": "median", "n_startup_trials": 1, "n_warmup_steps": 2},
    {"kind": "hyperband", "min_resource": 1, "max_resource": 9,
     "reduction_factor": 3},
    {"kind": "asha", "min_resource": 1, "reduction_factor": 3},
])
def test_prune_decisions_identical_after_resume(tmp_path, pruner):
    """The same history gives the same decisions whether parzend ran
    straight through or was killed -9 and restarted in the middle (with
    the last acknowledged report sent again, as a worker whose reply was
    lost would)."""
    events = script()
    cut = CUT
    runs = []
    for crash in (False, True):
        workdir = tmp_path / ("crash" if crash else "straight")
        workdir.mkdir()
        d = Daemon(workdir).start()
        c = d.connect()
        c.call("study.create", name="p", space=SPACE, seed=7, pruner=pruner)
        ids = [c.call("trial.ask", study="p", worker="w%d" % k)["trial"]["id"]
               for k in range(N_TRIALS)]
        out, stopped = [], set()
        play(c, ids, events[:cut], out, stopped)
        mark = len(out)
        if crash:
            c.close()
            d.kill9()
            d.start()
            c = d.connect()
            # The last report again: same value, same answer.
            last = [e for e in events[:cut] if e[0] == "report"][-1]
            _, k, step, value = last
            if k not in stopped or (k, step, True) in out:
                r = c.call("trial.report", trial=ids[k], attempt=0,
                           step=step, value=value)
                assert r["prune"] == (k in stopped)
        play(c, ids, events[cut:], out, stopped)
        states = [t["state"] for t in
                  c.call("trial.list", study="p")["trials"]]
        curves = [curve(c, i) for i in ids]
        runs.append((out, sorted(stopped), states, curves, mark))
        c.close()
        assert d.stop() == 0, d.read_log()
    assert runs[0] == runs[1]
    out, stopped = runs[0][0], runs[0][1]
    # Trials stopped and trials going on, with decisions after the crash,
    # or the comparison says little.
    assert 0 < len(stopped) < 8, out
    assert any(p is True for _, _, p in out[:runs[0][4]]), out
    assert any(p is True for _, _, p in out[runs[0][4]:]), out


# ------------------------------------------------------------ refusals

def test_bad_reports_are_refused(daemon):
    c = daemon.connect()
    c.call("study.create", name="b", space=SPACE, seed=1,
           pruner={"kind": "threshold", "upper": 10})
    t = c.call("trial.ask", study="b", worker="w")["trial"]
    done = c.call("trial.ask", study="b", worker="v")["trial"]
    c.call("trial.report", trial=t["id"], attempt=0, step=3, value=0.5)

    def refused(code, path, **params):
        with pytest.raises(RPCError) as e:
            c.call("trial.report", **params)
        assert e.value.code == code, e.value.message
        assert e.value.data.get("path") == path, e.value.message
        return e.value.message

    tid = t["id"]
    refused(BAD_PARAMS, "params.step", trial=tid, step=-1, value=1)
    refused(BAD_PARAMS, "params.step", trial=tid, step=2.5, value=1)
    refused(BAD_PARAMS, "params.step", trial=tid, step=2 ** 53, value=1)
    refused(BAD_PARAMS, "params.step", trial=tid, value=1)
    refused(BAD_PARAMS, "params.value", trial=tid, step=4, value="0.5")
    refused(BAD_PARAMS, "params.value", trial=tid, step=4, value=None)
    refused(BAD_PARAMS, "params.attempt", trial=tid, step=4, value=1,
            attempt=-1)
    refused(BAD_PARAMS, "params.loss", trial=tid, step=4, value=1, loss=1)
    msg = refused(CONFLICT, "params.value", trial=tid, step=3, value=0.25)
    assert "0.5" in msg
    refused(WRONG_STATE, None, trial=tid, step=4, value=1, attempt=1)
    refused(NOT_FOUND, None, trial=123456, step=0, value=1)
    # A finished trial takes no report.
    c.call("trial.tell", trial=done["id"], attempt=0, status="fail")
    msg = refused(WRONG_STATE, None, trial=done["id"], step=0, value=1,
                  attempt=0)
    assert "finished" in msg
    # JSON has no NaN; a number too large for a double is infinite.
    for text in ('NaN', 'Infinity', '-1e999', '1e400'):
        c.send_raw(('{"jsonrpc":"2.0","id":9,"method":"trial.report",'
                    '"params":{"trial":%d,"step":4,"value":%s}}\n'
                    % (tid, text)).encode())
        reply = c.read_line()
        assert reply["error"]["code"] in (PARSE_ERROR, BAD_PARAMS), reply
        if reply["error"]["code"] == BAD_PARAMS:
            assert reply["error"]["data"]["path"] == "params.value"
    # Nothing of that was stored.
    assert curve(c, tid) == [(3, 0.5)]
    c.close()


# ------------------------------------------------------------- watching

def test_watchers_hear_reports_with_their_step(daemon):
    c = daemon.connect()
    w = daemon.connect()
    c.call("study.create", name="w", space=SPACE, seed=1)
    t = c.call("trial.ask", study="w", worker="x")["trial"]
    w.call("study.watch", study="w")
    c.call("trial.report", trial=t["id"], attempt=0, step=4, value=0.25)
    c.call("trial.report", trial=t["id"], attempt=0, step=4, value=0.25)
    c.call("trial.report", trial=t["id"], attempt=0, step=5, value=0.125)
    c.call("trial.tell", trial=t["id"], attempt=0, status="pruned")
    evs = []
    while len(evs) < 3:
        msg = w.read_line()
        assert msg.get("method") == "study.event", msg
        evs.append(msg["params"])
    # The resent report changed nothing and is not told.
    assert [e["event"] for e in evs] == ["trial.reported", "trial.reported",
                                         "trial.ended"]
    assert [(e["trial"]["step"], e["trial"].get("value")) for e in evs] == [
        (4, 0.25), (5, 0.125), (None, None)]
    assert evs[2]["trial"]["state"] == "pruned"
    assert evs[2]["trial"]["loss"] == 0.125
    c.close()
    w.close()


# ------------------------------------------------------ parzen worker

def run_cli(daemon, *args, timeout=60):
    return subprocess.run([CLI, "--socket", daemon.socket] + list(args),
                          capture_output=True, text=True, errors="replace",
                          timeout=timeout)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def command(tmp_path, name, body):
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


# Reports 0, 1, ... with x as the value (x > 0.5 is bad), records its pid
# and a TERM in files, and trains "forever" unless stopped.
TRAIN_SH = r"""
echo $$ > "$DIR/pid.$PARZEN_TRIAL_NUMBER"
if [ "$STUBBORN" = 1 ]; then
  trap '' TERM
else
  trap 'echo term > "$DIR/term.$PARZEN_TRIAL_NUMBER"; exit 143' TERM
fi
x=$(echo "$PARZEN_PARAMS" | sed 's/.*"x":\([0-9.e-]*\).*/\1/')
echo "bad line" >&"$PARZEN_REPORT_FD"
echo "1 nan" >&"$PARZEN_REPORT_FD"
step=0
while [ $step -lt 4 ]; do
  echo "$step $x" >&"$PARZEN_REPORT_FD"
  step=$((step + 1))
  sleep 0.05
done
# A bad trial (x > 0.5) trains on until it is stopped; a good one ends.
case $x in 0.[6-9]*) n=1200;; *) n=0;; esac
i=0
while [ $i -lt $n ]; do sleep 0.05; i=$((i + 1)); done
echo "$x"
"""


@pytest.mark.parametrize("stubborn", [False, True])
def test_cli_worker_stops_pruned_command(daemon, tmp_path, stubborn):
    """A threshold pruner stops every trial with x > 0.5 at step 0: the
    worker sends the command SIGTERM (SIGKILL after --grace for one that
    ignores it), and the trial ends "pruned" with its reports, while the
    good trials run to the end and end ok."""
    c = daemon.connect()
    c.call("study.create", name="cw", space=SPACE, seed=5, max_trials=6,
           algo="random", pruner={"kind": "threshold", "upper": 0.5})
    for x in (0.9, 0.25, 0.75):
        c.call("trial.enqueue", study="cw", params={"x": x})
    cmd = command(tmp_path, "train.sh", TRAIN_SH)
    env = dict(os.environ, DIR=str(tmp_path),
               STUBBORN="1" if stubborn else "0")
    start = time.monotonic()
    r = subprocess.run([CLI, "--socket", daemon.socket, "worker", "cw",
                        "--count", "3", "--grace", "0.5", "--", cmd],
                       capture_output=True, text=True, errors="replace",
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "ignoring the report line 'bad line'" in r.stderr
    assert "ignoring the report line '1 nan'" in r.stderr
    assert r.stderr.count("pruned at step 0") == 2, r.stderr
    got = {t["number"]: t for t in
           c.call("trial.list", study="cw", intermediate=True)["trials"]}
    for n, x in ((0, 0.9), (2, 0.75)):
        t = got[n]
        assert t["state"] == "pruned", t
        assert t["loss"] == x
        assert t["intermediate"] == [[0, x]]
        assert t["result"]["pruned_at"] == 0
        assert "upper" in t["result"]["reason"]
        # Stopped, and its process is gone.
        pid = int((tmp_path / ("pid.%d" % n)).read_text())
        assert not pid_alive(pid)
        assert (tmp_path / ("term.%d" % n)).exists() != stubborn
    ok = got[1]
    assert ok["state"] == "ok" and ok["loss"] == 0.25
    assert ok["intermediate"] == [[s, 0.25] for s in range(4)]
    assert not (tmp_path / "term.1").exists()
    # `parzen trials` shows the last step each reached.
    table = run_cli(daemon, "trials", "cw").stdout.splitlines()
    assert table[0].split()[:4] == ["NUMBER", "STATE", "LOSS", "STEP"]
    rows = {int(line.split()[0]): line.split() for line in table[1:]}
    assert rows[0][1:4] == ["pruned", "0.9", "0"]
    assert rows[1][1:4] == ["ok", "0.25", "3"]
    r2 = run_cli(daemon, "trials", "cw", "--state", "pruned", "--json")
    assert [t["number"] for t in json.loads(r2.stdout)["trials"]] == [0, 2]
    show = run_cli(daemon, "show", "cw").stdout
    assert "1 ok, 0 fail, 2 pruned" in show
    assert '"kind":"threshold"' in show
    c.close()


PY_TRAIN = r"""
import os, sys, time
import parzen
x = float(os.environ["PARZEN_PARAMS"].split(":")[1].rstrip("}"))
for epoch in range(5):
    parzen.report(x + 1.0 / (epoch + 1), epoch)
    time.sleep(0.05)
open(os.path.join(os.environ["DIR"], "done.%s"
                  % os.environ["PARZEN_TRIAL_NUMBER"]), "w").close()
print(x)
"""


def test_cli_worker_python_command_reports(daemon, tmp_path):
    """parzen.report() in a command run by `parzen worker` writes to
    PARZEN_REPORT_FD; a median pruner stops the bad trials."""
    c = daemon.connect()
    c.call("study.create", name="py", space=SPACE, seed=5, algo="random",
           pruner={"kind": "median", "n_startup_trials": 2})
    for x in (0.1, 0.2, 0.9, 0.12):
        c.call("trial.enqueue", study="py", params={"x": x})
    path = tmp_path / "train.py"
    path.write_text("#!%s\n%s" % (sys.executable, PY_TRAIN))
    path.chmod(0o755)
    env = dict(os.environ, DIR=str(tmp_path),
               PYTHONPATH=os.path.abspath(PYTHON_DIR))
    r = subprocess.run([CLI, "--socket", daemon.socket, "worker", "py",
                        "--count", "4", "--", str(path)],
                       capture_output=True, text=True, errors="replace",
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    got = c.call("trial.list", study="py", intermediate=True)["trials"]
    assert [t["state"] for t in got] == ["ok", "ok", "pruned", "ok"]
    assert got[2]["intermediate"] == [[0, 1.9]]
    assert not (tmp_path / "done.2").exists()
    assert [s for s, _ in got[3]["intermediate"]] == list(range(5))
    c.close()
