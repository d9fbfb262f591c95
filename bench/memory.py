#!/usr/bin/python3
"""Peak memory of parzend when 64 clients pipeline requests and never
read the replies; writes the "memory" section of bench/RESULTS.md.

usage: /usr/bin/python3 bench/memory.py [BUILD_DIR] [--clients 64]
           [--max-memory BYTES]

A fresh parzend (default --max-memory, 256 MiB: half for replies waiting
to be read, half for unparsed input) holds one study of 500 finished
trials with 4 KB results each, so a trial.list reply is about 2 MB. Then
C clients each send the same trial.list request 200 times in a row and
never read: without a budget that would be 64 x 200 x 2 MB = 25 GB of
replies. Another client meanwhile asks and tells (it must still be
served). Printed: VmRSS before, the peak (VmHWM), VmRSS after the
clients went away (freed memory goes back to the system), and the
budget they are checked against: --max-memory plus one reply per
connection. A benchmark, not a test: it fails only if a run fails.
Standard library only.
"""
import argparse
import datetime
import json
import os
import socket
import sys
import tempfile
import time

from results import HERE, machine, markers, write_section

ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import daemon as daemon_module  # noqa: E402

SPACE = {"x": {"$hp": "uniform", "label": "x", "low": 0, "high": 1}}


def status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key] = int(value.split()[0])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--max-memory", type=int, default=256 << 20)
    args = ap.parse_args()
    daemon_module.PARZEND = os.path.join(os.path.abspath(args.build),
                                         "daemon", "parzend")
    work = tempfile.mkdtemp(prefix="parzen-memory-")
    d = daemon_module.Daemon(work, "--max-memory",
                             str(args.max_memory)).start()
    try:
        c = d.connect(120)
        c.call("study.create", name="m", space=SPACE, algo="random", seed=1)
        blob = "x" * 4000
        for _ in range(500):
            t = c.call("trial.ask", study="m")["trial"]
            c.call("trial.tell", trial=t["id"], status="ok", loss=1.0,
                   result={"blob": blob})
        reply = c.call("trial.list", study="m", limit=500)
        reply_bytes = len(json.dumps(reply))
        before = status(d.proc.pid)
        req = (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "trial.list",
                           "params": {"study": "m", "limit": 500}})
               + "\n").encode()
        hogs = []
        for _ in range(args.clients):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(d.socket)
            s.setblocking(False)
            hogs.append([s, args.requests])
        served = 0
        end = time.monotonic() + 20
        while time.monotonic() < end and any(h[1] for h in hogs):
            for h in hogs:
                if h[1] == 0:
                    continue
                try:
                    h[0].send(req)
                    h[1] -= 1
                except BlockingIOError:
                    pass
            t = c.call("trial.ask", study="m")["trial"]
            c.call("trial.tell", trial=t["id"], status="ok", loss=2.0)
            served += 1
        time.sleep(1)
        peak = status(d.proc.pid)
        sent = sum(args.requests - h[1] for h in hogs)
        for h in hogs:
            h[0].close()
        time.sleep(1.5)   # a tick of the daemon gives memory back
        after = status(d.proc.pid)
        c.close()
    finally:
        d.stop()
    budget = args.max_memory + args.clients * reply_bytes
    line = {"bench": "memory", "clients": args.clients,
            "requests_sent": sent, "reply_bytes": reply_bytes,
            "unbounded_bytes": sent * reply_bytes,
            "rss_before_kib": before["VmRSS"], "peak_kib": peak["VmHWM"],
            "rss_after_kib": after["VmRSS"], "budget_kib": budget >> 10,
            "other_client_round_trips": served}
    print(json.dumps(line))
    text = "\n".join([
        markers("memory")[0],
        "## Memory with clients that never read",
        "",
        "`/usr/bin/python3 bench/memory.py build` (%s; %s)."
        % (datetime.date.today().isoformat(), machine()),
        "",
        "%d clients pipeline `trial.list` requests (replies of %.1f MB "
        "each) without reading: %d requests sent, %.1f GB of replies had "
        "they all been kept. parzend runs with `--max-memory` %d MiB "
        "(half for replies waiting to be read, half for unparsed input)."
        % (args.clients, reply_bytes / 1e6, sent,
           sent * reply_bytes / 1e9, args.max_memory >> 20),
        "",
        "| | MiB |",
        "|---|---|",
        "| VmRSS before | %.1f |" % (before["VmRSS"] / 1024),
        "| peak (VmHWM) | %.1f |" % (peak["VmHWM"] / 1024),
        "| VmRSS after the clients closed | %.1f |"
        % (after["VmRSS"] / 1024),
        "| budget: --max-memory + one reply per connection | %.1f |"
        % (budget / 2 ** 20),
        "",
        "Meanwhile another client completed %d ask/tell round trips: "
        "clients that do not read stop being read, everyone else is "
        "served." % served,
        markers("memory")[1],
    ])
    write_section("memory", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
