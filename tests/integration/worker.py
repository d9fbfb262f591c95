"""A parzen worker for the durability tests, run as a separate process.

It speaks raw JSON-RPC (daemon.Connection), so the tests see exactly what
the daemon does, and it survives daemon restarts the way a real worker
must: on a broken connection it reconnects with backoff and repeats the
request it was making (an ask with its stable worker name gets the same
trial back; a repeated tell of a trial whose first tell was committed is
refused with -32003 "already finished", which is the expected outcome
when a reply was lost).

Two modes:

loop   ask -> objective -> tell until the study is drained: ask answers
       {trial: null, reason: "max_trials"} and study.get shows no trial
       queued or running. Every tell the daemon acknowledged is appended to
       --log as "id number loss" and flushed after the reply arrived; a
       tell refused because its trial was already finished is logged as
       "dup id number loss". --pause-after N,M prints "told N" after the
       tell of trial number N and waits for a line on stdin (the test
       restarts the daemon meanwhile). --pipeline sends each tell together
       with the next ask. Without --reconnect a lost connection ends the
       worker (exit 0, "disconnected" on stdout).

hold   ask once and print the trial as one JSON line; with --heartbeat-every
       S --heartbeat-for T heart-beat for T seconds and print "beats N";
       then obey stdin lines: "tell" (reconnecting if the daemon restarted;
       prints the reply or error as JSON), "exit".

Exit status: 0 done, 3 past --deadline, 4 an unexpected RPC error, 5 the
study cannot drain: no trial to ask for, some still running, and the
counts unchanged for --stall seconds.
"""
import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from daemon import Connection, RPCError  # noqa: E402

WRONG_STATE = -32003
SHUTTING_DOWN = -32006


def objective(params):
    """A deterministic loss of the flat params, with structure for TPE."""
    loss = 0.0
    for i, label in enumerate(sorted(params)):
        v = float(params[label])
        if label == "lr":
            v = math.log(v)
        loss += (v - (i % 3) + 1.0) ** 2 + 0.25 * math.sin(3.0 * v)
    return loss


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Disconnected(Exception):
    """The connection broke and --reconnect was not given. `replies`: the
    replies of a pipelined batch that did arrive."""

    def __init__(self, replies=()):
        super().__init__("disconnected")
        self.replies = list(replies)


class Worker:
    def __init__(self, args):
        self.args = args
        self.conn = None
        self.reconnects = 0
        self.deadline = time.monotonic() + args.deadline

    def check_deadline(self):
        if time.monotonic() > self.deadline:
            out("deadline")
            sys.exit(3)

    def connect(self):
        """Connect, retrying with backoff while the daemon is away."""
        delay = 0.005
        while True:
            self.check_deadline()
            try:
                self.conn = Connection(self.args.socket, timeout=30.0)
                return
            except OSError:
                if not self.args.reconnect:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def drop(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def lost(self):
        """The connection broke (or the daemon is shutting down)."""
        self.drop()
        if not self.args.reconnect:
            raise Disconnected()
        self.reconnects += 1
        self.connect()

    def call(self, method, **params):
        """One request, repeated on a new connection until it is answered."""
        while True:
            try:
                if self.conn is None:
                    self.connect()
                return self.conn.call(method, **params)
            except RPCError as e:
                if e.code != SHUTTING_DOWN:
                    raise
                self.lost()
            except (OSError, ConnectionError):
                self.lost()

    def calls(self, requests):
        """Pipelined requests; each reply is a result or an RPCError.
        If the connection breaks, the requests not yet answered are sent
        again on a new one, so they must be safe to repeat."""
        replies = []
        while True:
            try:
                if self.conn is None:
                    self.connect()
                ids = [self.conn.request(m, **p)
                       for m, p in requests[len(replies):]]
                for msg_id in ids:
                    r = self.conn.read_line()
                    assert r.get("id") == msg_id, r
                    if "error" in r:
                        if r["error"].get("code") == SHUTTING_DOWN:
                            raise ConnectionError("shutting down")
                        replies.append(RPCError(r["error"]))
                    else:
                        replies.append(r["result"])
                return replies
            except (OSError, ConnectionError):
                try:
                    self.lost()
                except Disconnected:
                    raise Disconnected(replies)


def tell_params(trial, loss):
    return {"trial": trial["id"], "status": "ok", "loss": loss,
            "attempt": trial["attempt"]}


def run_loop(w, args):
    log = open(args.log, "a") if args.log else None
    pause = {int(n) for n in args.pause_after.split(",") if n}
    told = 0

    def record(trial, loss, reply):
        nonlocal told
        if isinstance(reply, RPCError):
            if reply.code != WRONG_STATE or "already finished" not in \
                    reply.message:
                out("error " + json.dumps({"code": reply.code,
                                           "message": reply.message}))
                sys.exit(4)
            line = "dup %d %d %r\n" % (trial["id"], trial["number"], loss)
        else:
            t = reply["trial"]
            assert t["id"] == trial["id"] and t["state"] == "ok", t
            line = "%d %d %r\n" % (trial["id"], trial["number"], loss)
            told += 1
        if log is not None:
            log.write(line)
            log.flush()
        if trial["number"] in pause:
            out("told %d" % trial["number"])
            sys.stdin.readline()

    ask = {"study": args.study, "worker": args.worker}
    last_counts, stalled_since = None, 0.0
    reply = w.calls([("trial.ask", ask)])[0]
    while True:
        w.check_deadline()
        if isinstance(reply, RPCError):
            out("error " + json.dumps({"code": reply.code,
                                       "message": reply.message}))
            sys.exit(4)
        trial = reply["trial"]
        if trial is None:
            counts = w.call("study.get", study=args.study)["study"]["counts"]
            if counts["running"] == 0 and counts["queued"] == 0:
                break
            # Other workers still hold trials, and one may come back
            # (reclaimed): ask again shortly, unless nothing changes for
            # --stall seconds (a trial nobody is running: an orphan).
            if counts != last_counts:
                last_counts, stalled_since = counts, time.monotonic()
            elif time.monotonic() - stalled_since > args.stall:
                out("stalled " + json.dumps(counts))
                sys.exit(5)
            time.sleep(0.02)
            reply = w.calls([("trial.ask", ask)])[0]
            continue
        loss = objective(trial["params"])
        if args.pipeline:
            try:
                tell_reply, reply = w.calls([("trial.tell",
                                              tell_params(trial, loss)),
                                             ("trial.ask", ask)])
            except Disconnected as e:
                if e.replies:
                    record(trial, loss, e.replies[0])
                raise
            record(trial, loss, tell_reply)
        else:
            try:
                tell_reply = w.call("trial.tell", **tell_params(trial, loss))
            except RPCError as e:
                tell_reply = e
            record(trial, loss, tell_reply)
            reply = w.calls([("trial.ask", ask)])[0]
    if log is not None:
        log.close()
    out("done " + json.dumps({"told": told, "reconnects": w.reconnects}))


def run_hold(w, args):
    trial = w.call("trial.ask", study=args.study, worker=args.worker)["trial"]
    out(json.dumps(trial))
    if args.heartbeat_every > 0:
        beats = 0
        end = time.monotonic() + args.heartbeat_for
        while time.monotonic() < end:
            time.sleep(args.heartbeat_every)
            w.call("trial.heartbeat", trial=trial["id"],
                   attempt=trial["attempt"])
            beats += 1
        out("beats %d" % beats)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "exit":
            break
        if cmd == "tell":
            try:
                r = w.call("trial.tell", **tell_params(
                    trial, objective(trial["params"])))
                out(json.dumps({"result": r, "reconnects": w.reconnects}))
            except RPCError as e:
                out(json.dumps({"error": {"code": e.code,
                                          "message": e.message}}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["loop", "hold"])
    p.add_argument("--socket", required=True)
    p.add_argument("--study", required=True)
    p.add_argument("--worker", required=True)
    p.add_argument("--log")
    p.add_argument("--reconnect", action="store_true")
    p.add_argument("--pipeline", action="store_true")
    p.add_argument("--pause-after", default="")
    p.add_argument("--heartbeat-every", type=float, default=0.0)
    p.add_argument("--heartbeat-for", type=float, default=0.0)
    p.add_argument("--deadline", type=float, default=120.0)
    p.add_argument("--stall", type=float, default=5.0)
    args = p.parse_args()
    w = Worker(args)
    w.connect()
    try:
        if args.mode == "loop":
            run_loop(w, args)
        else:
            run_hold(w, args)
    except Disconnected:
        out("disconnected")


if __name__ == "__main__":
    main()
