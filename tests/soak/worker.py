#!/usr/bin/python3
"""A soak worker: asks, "trains" for a few milliseconds while
heart-beating, tells, and appends every acknowledged tell to its log,
fsync'd before it asks again, so the log holds exactly what parzend
acknowledged, whatever kills whom.

usage: worker.py SOCKET STUDY NAME LOG CAP

CAP: trials numbered below it only (trial.ask's max_trials), so the
study can take one more trial after the soak, for the audit.

The objective is a fixed function of the params, so the audit can check
every stored loss. Standard library and the parzen package only.
"""
import os
import random
import sys
import time

from parzen.client import Client, Error

WRONG_STATE = -32003


def objective(p):
    x = p["x"] - 0.3
    lr = p["lr"]
    return x * x + abs(lr - 0.01) + 0.1 * p["opt"] + p.get("units", 64) / 1e4


def main():
    sock, study, name, log_path = sys.argv[1:5]
    cap = int(sys.argv[5])
    rng = random.Random(hash(name) ^ os.getpid())
    c = Client(sock, retry_timeout=3600, connect_timeout=3600)
    log = open(log_path, "a")
    while True:
        reply = c.ask(study, worker=name, max_trials=cap)
        t = reply["trial"]
        if t is None:
            s = c.get_study(study)["counts"]
            if s["running"] == 0 and s["queued"] == 0:
                break
            time.sleep(0.05)    # others hold trials that may come back
            continue
        abandoned = False
        for _ in range(rng.randint(0, 3)):
            time.sleep(rng.uniform(0.002, 0.02))
            try:
                c.heartbeat(t["id"], attempt=t["attempt"])
            except Error as e:
                if e.code != WRONG_STATE:
                    raise
                abandoned = True    # reclaimed while this one slept
                break
        if abandoned:
            continue
        loss = objective(t["params"])
        try:
            c.tell(t["id"], "ok", loss=loss, attempt=t["attempt"])
        except Error as e:
            if e.code != WRONG_STATE:
                raise
            continue                # handed to another worker meanwhile
        log.write("%d %d %d %r\n" % (t["id"], t["number"], t["attempt"],
                                     loss))
        log.flush()
        os.fsync(log.fileno())
    log.close()


if __name__ == "__main__":
    main()
