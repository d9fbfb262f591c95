"""`parzen watch` on study.watch: it updates when parzend says the study
changed, not at its poll interval. With --interval 3600 a polling watch
would print its first line and then nothing for an hour; this one prints
a line per change and ends as soon as the study is complete."""
import json
import os
import socket
import subprocess

CLI = os.environ.get("PARZEN_CLI", "parzen")
SPACE = {"x": {"$hp": "uniform", "label": "x", "low": 0, "high": 1}}


def test_watch_follows_notifications(daemon):
    c = daemon.connect()
    c.call("study.create", name="n", space=SPACE, seed=1, algo="random",
           max_trials=5)
    watch = subprocess.Popen([CLI, "--socket", daemon.socket, "watch", "n",
                              "--interval", "3600"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    assert watch.stdout.readline().startswith("n: 0/5 done, 0 running")
    seen = []
    for k in range(5):
        t = c.call("trial.ask", study="n", worker="w")["trial"]
        # The start of the trial shows before it ends.
        line = watch.stdout.readline()
        assert line.startswith("n: %d/5 done, 1 running" % k), line
        c.call("trial.tell", trial=t["id"], status="ok", loss=k,
               attempt=t["attempt"])
        seen.append(watch.stdout.readline())
    out, err = watch.communicate(timeout=30)
    assert watch.returncode == 0, err
    assert seen[-1].startswith("n: 5/5 done, 0 running, 0 queued, "
                               "0 failed, best 0 (trial 0)")
    assert out == ""
    c.close()
