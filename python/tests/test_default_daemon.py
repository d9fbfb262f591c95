"""Trials(study=...) with no daemon running: parzend is started in the
background on the default paths, once, and later runs use it."""
import os
import signal
import subprocess
import sys
import time

from conftest import result_line, script_env

SCRIPT = r'''
import json, sys
from parzen import fmin, hp, rand, Trials
sys.stdin.readline()
trials = Trials(study="bg")
fmin(lambda x: (x - 0.3) ** 2, hp.uniform("x", 0, 1), algo=rand.suggest,
     max_evals=int(sys.argv[1]), trials=trials, rstate=5,
     show_progressbar=False)
info = trials.client.server_info()
print("RESULT " + json.dumps({"n": len(trials), "pid": info["pid"],
                              "ok": trials.statuses().count("ok"),
                              "db": info["database"],
                              "socket": info["socket"]}))
'''


def _start(env, max_evals):
    p = subprocess.Popen([sys.executable, "-c", SCRIPT, str(max_evals)],
                         env=env, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    return p


def test_background_daemon_on_default_paths(tmp_path):
    env = script_env(PARZEN_SOCKET=str(tmp_path / "run" / "parzend.sock"),
                     XDG_STATE_HOME=str(tmp_path / "state"),
                     HOME=str(tmp_path))
    pid = None
    try:
        # Two processes at once: one daemon is started, both use it.
        procs = [_start(env, 30) for _ in range(2)]
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        outs = [p.communicate(timeout=60) + (p.returncode,) for p in procs]
        for out, err, rc in outs:
            assert rc == 0, err
        results = [result_line(out) for out, _, _ in outs]
        pid = results[0]["pid"]
        assert results[1]["pid"] == pid
        started = [err for _, err, _ in outs if "started parzend" in err]
        assert len(started) == 1
        log = str(tmp_path / "state" / "parzen" / "parzend.log")
        assert "log " + log in started[0]
        assert results[0]["db"] == str(tmp_path / "state" / "parzen" /
                                       "parzen.db")
        assert os.path.exists(log) and os.path.exists(results[0]["db"])
        # Exactly 30 trials: each ask carries max_trials, so the two
        # processes cannot both create a 31st. (The process that ends
        # first may see the other's last trial still running.)
        assert all(r["n"] == 30 for r in results), results
        from parzen.client import Client
        c = Client(results[0]["socket"])
        counts = c.get_study("bg")["counts"]
        c.close()
        assert (counts["ok"], counts["total"]) == (30, 30), counts
        # The daemon outlives its starter; a later run extends the study.
        p = _start(env, 45)
        out, err = p.communicate("go\n", timeout=60)
        assert p.returncode == 0, err
        assert "started parzend" not in err
        r = result_line(out)
        assert r["pid"] == pid and r["ok"] == 45
    finally:
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            for _ in range(200):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
