#!/usr/bin/env python3
"""Fill a study on a running parzend the way a CIFAR-style search would,
for the dashboard's browser tests, its screenshots and its benchmark.

usage: fixture.py SOCKET STUDY [--space FILE] [--trials N] [--running K]
                  [--seed S] [--epochs E] [--algo random|tpe]
                  [--pruner JSON]

Creates STUDY (exist_ok) over the space (default: tests/data/
cifar_style.json, the space of examples/cifar_style), with a pruner if
given, then asks and tells N trials as four named workers: each trial
"trains" for a number of epochs, reporting a validation loss per epoch
with trial.report when the daemon has it (a learning curve that falls
towards a floor the params decide); a trial the pruner stops ends
"pruned" (its loss the last value it reported), the others end ok with
loss = their last value and a long result (a model description,
accuracy per epoch), or fail (about 1 in 25). The last K trials are left
running. Losses, params and times come from the daemon and a seeded RNG,
so the same arguments give the same study. Standard library only.
"""
import argparse
import json
import math
import os
import random
import socket

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SPACE = os.path.join(HERE, os.pardir, "data", "cifar_style.json")


class Conn:
    """A blocking JSON-RPC connection to parzend (one line per message)."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1

    def close(self):
        self.sock.close()

    def call(self, method, **params):
        msg_id = self.next_id
        self.next_id += 1
        self.sock.sendall((json.dumps({"jsonrpc": "2.0", "id": msg_id,
                                       "method": method,
                                       "params": params}) + "\n").encode())
        while True:
            while b"\n" not in self.buf:
                chunk = self.sock.recv(1 << 16)
                if not chunk:
                    raise ConnectionError("parzend closed the connection")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            reply = json.loads(line)
            if "id" in reply:
                break
        if "error" in reply:
            raise RuntimeError("%s: %s" % (method, reply["error"]))
        return reply["result"]

    def try_call(self, method, **params):
        """call(), or None when the daemon has no such method."""
        try:
            return self.call(method, **params)
        except RuntimeError as e:
            if "-32601" in str(e):
                return None
            raise


def floor_of(params):
    """The loss a trial's curve falls towards: best near lr 3e-3 with two
    hidden layers and tanh, a mild effect of alpha and the batch size."""
    lr = params.get("learning_rate_init", 1e-3)
    alpha = params.get("alpha", 1e-4)
    batch = params.get("batch_size", 64)
    layers = params.get("nb_hidden_layers", 1)
    act = params.get("activation", 0)
    return (0.03 + 0.12 * math.log10(lr / 3e-3) ** 2
            + 0.01 * abs(math.log10(alpha) + 4) + batch / 8000.0
            + 0.04 * abs(layers - 1) + 0.03 * (act != 1))


def run(conn, study, n, running, rng, epochs):
    report = True
    for k in range(n):
        worker = "gpu%d" % (k % 4)
        t = conn.call("trial.ask", study=study, worker=worker)["trial"]
        if t is None:
            break
        if k >= n - running:
            continue
        floor = floor_of(t["params"])
        start = 0.9 + 0.3 * rng.random()
        rate = 0.25 + 0.3 * rng.random()
        curve = []
        pruned = False
        for e in range(epochs):
            v = floor + (start - floor) * math.exp(-rate * e) \
                + 0.01 * rng.random()
            curve.append(v)
            if report:
                r = conn.try_call("trial.report", trial=t["id"],
                                  attempt=t["attempt"], step=e, value=v)
                if r is None:
                    report = False
                elif r.get("prune"):
                    pruned = True
                    break
        if pruned:
            conn.call("trial.tell", trial=t["id"], attempt=t["attempt"],
                      status="pruned")
            continue
        if rng.random() < 0.04:
            conn.call("trial.tell", trial=t["id"], attempt=t["attempt"],
                      status="fail",
                      result={"error": "CUDA out of memory while "
                              "allocating the activations of layer 3"})
            continue
        acc = [round(1 - v, 4) for v in curve]
        result = {
            "accuracy": acc[-1],
            "model": "MLP 64-%d-10 relu, adam(beta_1=0.900, beta_2=0.999),"
                     " lr %.3g, alpha %.3g, batch %d, trained %d epochs on "
                     "1,078 images, early stopping patience 5, kept the "
                     "weights of its best epoch" % (
                         t["params"].get("units_1_of_1", 64),
                         t["params"].get("learning_rate_init", 0),
                         t["params"].get("alpha", 0),
                         t["params"].get("batch_size", 0), len(curve)),
            "val_accuracy_per_epoch": acc,
        }
        conn.call("trial.tell", trial=t["id"], attempt=t["attempt"],
                  status="ok", loss=curve[-1], result=result)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("socket")
    ap.add_argument("study")
    ap.add_argument("--space", default=DEFAULT_SPACE)
    ap.add_argument("--trials", type=int, default=60)
    ap.add_argument("--running", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--algo", default="tpe")
    ap.add_argument("--max-trials", type=int, default=0)
    ap.add_argument("--pruner", type=json.loads, default=None,
                    help='a pruner, e.g. \'{"kind": "median"}\'')
    args = ap.parse_args()
    with open(args.space, encoding="utf-8") as f:
        space = json.load(f)
    conn = Conn(args.socket)
    create = dict(name=args.study, space=space, algo=args.algo,
                  seed=args.seed, exist_ok=True)
    if args.max_trials:
        create["max_trials"] = args.max_trials
    if args.pruner is not None:
        create["pruner"] = args.pruner
    conn.call("study.create", **create)
    run(conn, args.study, args.trials, args.running,
        random.Random(args.seed), args.epochs)
    conn.close()


if __name__ == "__main__":
    main()
