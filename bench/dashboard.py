#!/usr/bin/env python3
"""Time the dashboard on a large study and write its section of
bench/RESULTS.md.

usage: /usr/bin/python3 bench/dashboard.py [BUILD_DIR] [--trials N]
                                           [--updates K] [--no-write]

1. A real parzend on a temporary socket, and a study over the CIFAR-style
   space of examples/cifar_style (16 labels, nested choices) filled with N
   trials (100,000 by default) through the socket, as four workers would
   (the random suggester, pipelined asks and tells; 1 in 25 failed; four
   left running).
2. `parzen dashboard --study NAME` on a free port; the time until it has
   loaded the study (its page answers) and its memory (VmRSS).
3. bench/dashboard.js in Debian's chromium (puppeteer-core, from
   tests/browser's npm install): the study page opened cold (first
   contentful paint; the first figure, the history, drawn; the trials
   table in), then K updates: a trial told through the socket, and the
   time until the page's counts change and until the history is redrawn
   with it.

Prints one JSON line and writes the "dashboard" section of RESULTS.md.
Numbers on a shared machine are noisy: medians are reported. Standard
library only (plus node and chromium for the browser part).
"""
import argparse
import datetime
import json
import math
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from results import HERE, machine, markers, write_section

ROOT = os.path.dirname(HERE)
SPACE = os.path.join(ROOT, "tests", "data", "cifar_style.json")
BROWSER = os.path.join(ROOT, "tests", "browser")
STUDY = "bench"


class Conn:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1

    def send(self, method, **params):
        i = self.next_id
        self.next_id += 1
        self.sock.sendall((json.dumps({"jsonrpc": "2.0", "id": i,
                                       "method": method,
                                       "params": params}) + "\n").encode())
        return i

    def read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("parzend closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        msg = json.loads(line)
        if "error" in msg:
            raise RuntimeError(msg["error"])
        return msg["result"]

    def call(self, method, **params):
        self.send(method, **params)
        return self.read()


def loss_of(params, rng):
    lr = params.get("learning_rate_init", 1e-3)
    layers = params.get("nb_hidden_layers", 1)
    return (0.03 + 0.12 * math.log10(lr / 3e-3) ** 2
            + 0.04 * abs(layers - 1) + 0.02 * rng.random())


def fill(sock, n, batch=4):
    """N trials: asks and tells pipelined, one trial per worker at a time
    (a named worker that asks again while it holds a trial gets that trial
    back); the last 4 left running."""
    c = Conn(sock)
    with open(SPACE, encoding="utf-8") as f:
        space = json.load(f)
    c.call("study.create", name=STUDY, space=space, algo="random", seed=1)
    rng = random.Random(1)
    done = 0
    while done < n:
        k = min(batch, n - done)
        for i in range(k):
            c.send("trial.ask", study=STUDY, worker="gpu%d" % i)
        trials = [c.read()["trial"] for _ in range(k)]
        tells = 0
        for t in trials:
            if t["number"] >= n - 4:
                continue
            if rng.random() < 0.04:
                c.send("trial.tell", trial=t["id"], attempt=t["attempt"],
                       status="fail")
            else:
                c.send("trial.tell", trial=t["id"], attempt=t["attempt"],
                       status="ok", loss=loss_of(t["params"], rng))
            tells += 1
        for _ in range(tells):
            c.read()
        done += k
    c.sock.close()


def start_daemon(build, tmp):
    sock = os.path.join(tmp, "parzend.sock")
    log = open(os.path.join(tmp, "parzend.log"), "wb")
    p = subprocess.Popen([os.path.join(build, "daemon", "parzend"),
                          "--socket", sock, "--db",
                          os.path.join(tmp, "parzen.db"),
                          "--durability", "normal"], stdout=log,
                         stderr=subprocess.STDOUT)
    for _ in range(300):
        if os.path.exists(sock):
            try:
                Conn(sock).call("server.info")
                return p, sock
            except OSError:
                pass
        time.sleep(0.05)
    raise RuntimeError("parzend did not start")


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def node_modules():
    """tests/browser's node_modules, installed with npm ci if missing."""
    nm = os.path.join(BROWSER, "node_modules")
    if not os.path.isdir(os.path.join(nm, "puppeteer-core")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"],
                       cwd=BROWSER, check=True)
    return nm


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--trials", type=int, default=100000)
    ap.add_argument("--updates", type=int, default=7)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="pz-dash-bench-")
    daemon = dash = None
    try:
        daemon, sock = start_daemon(args.build, tmp)
        t0 = time.monotonic()
        fill(sock, args.trials)
        fill_s = time.monotonic() - t0
        t0 = time.monotonic()
        dash = subprocess.Popen(
            [os.path.join(args.build, "cli", "parzen"), "--socket", sock,
             "dashboard", "--study", STUDY, "--listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE, text=True)
        url = dash.stdout.readline().split(": ", 1)[1].strip()
        # Loaded: the study's page answers (404 until then).
        import urllib.request
        import urllib.error
        while True:
            try:
                with urllib.request.urlopen(url + "summary?s=" + STUDY,
                                            timeout=60) as r:
                    if r.status == 200:
                        break
            except urllib.error.HTTPError:
                time.sleep(0.05)
        load_s = time.monotonic() - t0
        rss = rss_mb(dash.pid)
        env = dict(os.environ, NODE_PATH=node_modules())
        out = subprocess.run(
            ["node", os.path.join(HERE, "dashboard.js"), url, STUDY, sock,
             str(args.updates)], env=env, check=True,
            stdout=subprocess.PIPE, text=True, timeout=1800).stdout
        seen = json.loads(out.strip().splitlines()[-1])
        rss_after = rss_mb(dash.pid)
    finally:
        if dash is not None:
            dash.send_signal(signal.SIGTERM)
            dash.wait(60)
        if daemon is not None:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(60)
        shutil.rmtree(tmp, ignore_errors=True)
    row = {
        "bench": "dashboard", "trials": args.trials,
        "fill_s": round(fill_s, 1), "load_s": round(load_s, 2),
        "rss_mb": round(rss, 1), "rss_after_mb": round(rss_after, 1),
        "fcp_ms": seen["fcp"], "history_ms": seen["history"],
        "table_ms": seen["table"],
        "count_ms": statistics.median(seen["counts"]),
        "redraw_ms": statistics.median(seen["redraws"]),
        "counts": seen["counts"], "redraws": seen["redraws"],
    }
    print(json.dumps(row))
    if args.no_write:
        return
    begin, end = markers("dashboard")
    text = "\n".join([
        begin, "## Dashboard", "",
        "`parzen dashboard` following a study of %s trials over the "
        "CIFAR-style space (16 labels, nested choices; random "
        "suggester, 4%% failed, 4 running), driven by Debian's chromium "
        "(headless, puppeteer-core). First paint: the study page opened "
        "cold, first contentful paint, then the history figure (the first "
        "on screen) drawn from the full data, and the trials table (a "
        "page of 100, sorted) in. Update latency: a trial "
        "told through the socket, until the page's counts show it and "
        "until the history is redrawn with it; median of %d. The "
        "dashboard hears of the tell through study.watch."
        % ("{:,}".format(args.trials), args.updates), "",
        "- Command: `/usr/bin/python3 bench/dashboard.py build` (needs "
        "node, npm and chromium: `scripts/lib/deps.sh` test packages)",
        "- Date: " + datetime.datetime.now(datetime.timezone.utc)
        .strftime("%Y-%m-%d %H:%M UTC"),
        "- Machine: " + machine() + " (shared and noisy: read medians)",
        "",
        "| trials | dashboard loads the study | its memory: loaded, "
        "serving | first paint | history drawn | table in | tell -> "
        "counts | tell -> history |",
        "|---|---|---|---|---|---|---|---|",
        "| %s | %.1f s | %.0f MB, %.0f MB | %d ms | %d ms | %d ms | %d ms "
        "| %d ms |"
        % ("{:,}".format(args.trials), load_s, rss, rss_after, seen["fcp"],
           seen["history"], seen["table"], row["count_ms"],
           row["redraw_ms"]),
        "",
        "Loading is mostly parzend listing the trials. Memory: the "
        "store after loading, then while serving (a snapshot per change "
        "and the drawings kept for other tabs; freed blocks stay in the "
        "heap, see cli/dashboard.c). Every update redraws only the "
        "figures on screen; the others are drawn when scrolled to. A "
        "figure is drawn once per change whatever the number of tabs.",
        end])
    write_section("dashboard", text)


if __name__ == "__main__":
    sys.exit(main())
