"""Pruning from inside an objective: `report()`, `should_prune()`,
`TrialPruned`.

An objective run by `fmin` or `worker` reports its intermediate values as
it trains, e.g. its validation loss after every epoch:

    def objective(point):
        model = build(point)
        for epoch in range(30):
            train_one_epoch(model)
            parzen.report(validation_loss(model), step=epoch)
        return validation_loss(model)

    fmin(objective, space, max_evals=100,
         pruner={"kind": "median", "n_warmup_steps": 3})

Each report is stored by parzend (trial.report, docs/protocol.md) and
judged by the study's pruner (docs/pruning.md). When the pruner says stop,
`report()` raises `TrialPruned`; fmin and worker catch it and tell the
trial "pruned" (its loss is its last reported value). Code that would
rather ask passes `raise_pruned=False` and looks at the result, or calls
`should_prune()`. An objective may also raise `TrialPruned` itself.

`report()` knows the trial it belongs to: fmin and worker set the current
trial around each call of the objective (in its thread; a report from
another thread of the process goes to the one trial running, if there is
exactly one). In a command run by `parzen worker`, where there is no such
trial, it writes "STEP VALUE" to the file descriptor in
$PARZEN_REPORT_FD instead: the worker reports it, and stops the command
(SIGTERM) when the pruner says so.
"""
import math
import numbers
import os
import threading

__all__ = ["TrialPruned", "report", "should_prune"]


class TrialPruned(Exception):
    """The pruner stopped the current trial (or the objective says so).
    fmin and worker tell the trial "pruned" when the objective raises it.
    """


class _Current:
    """The trial an objective is running: where its reports go, and what
    the pruner said about them."""

    def __init__(self, client, trial):
        self.client = client
        self.trial_id = trial["id"]
        self.attempt = trial["attempt"]
        self.number = trial.get("number")
        self.reports = {}       # step -> value, as sent
        self.prune = False
        self.reason = None

    def intermediate(self):
        """[[step, value], ...] by step, as parzend shows them."""
        return [[s, self.reports[s]] for s in sorted(self.reports)]

    def last_value(self):
        if not self.reports:
            return None
        return self.reports[max(self.reports)]


_local = threading.local()
_lock = threading.Lock()
_running = []   # every _Current of the process, for other threads


class running:
    """Context manager: `current` is the trial being run in this thread
    (fmin and worker use it around the objective)."""

    def __init__(self, client, trial):
        self.current = _Current(client, trial)

    def __enter__(self):
        self._outer = getattr(_local, "current", None)
        _local.current = self.current
        with _lock:
            _running.append(self.current)
        return self.current

    def __exit__(self, *exc):
        _local.current = self._outer
        with _lock:
            _running.remove(self.current)


def _current():
    cur = getattr(_local, "current", None)
    if cur is not None:
        return cur
    with _lock:
        return _running[0] if len(_running) == 1 else None


def _check(value, step):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError("parzen.report: value must be a number, got %r"
                        % (value,))
    value = float(value)
    if not math.isfinite(value):
        raise ValueError("parzen.report: value must be a finite number, "
                         "got %r (report a large loss for a diverged run, "
                         "or let the trial fail)" % value)
    if isinstance(step, bool) or not isinstance(step, numbers.Integral) \
            or step < 0 or step > 2 ** 53 - 1:
        raise ValueError("parzen.report: step must be an integer from 0 "
                         "to 2**53 - 1, got %r" % (step,))
    return value, int(step)


def report(value, step, raise_pruned=True):
    """Report the current trial's intermediate `value` (a loss: lower is
    better) at integer `step` >= 0 (an epoch, or any count of resource).

    Returns the pruner's decision: False to go on. When it says stop,
    raises `TrialPruned` (or returns True with raise_pruned=False; the
    trial then takes no further step, so later reports are not sent and
    answer True again). The same step reported again with the same value
    is harmless; another value for a step already reported is refused by
    parzend (`Error`, code CONFLICT).

    Outside an fmin objective or a worker function: in a command run by
    `parzen worker` ($PARZEN_REPORT_FD set) the report is written there
    and False returned (the worker stops the command if it must);
    elsewhere RuntimeError.
    """
    value, step = _check(value, step)
    cur = _current()
    if cur is None:
        fd = os.environ.get("PARZEN_REPORT_FD")
        if fd:
            os.write(int(fd), ("%d %r\n" % (step, value)).encode())
            return False
        raise RuntimeError(
            "parzen.report() belongs inside an objective run by "
            "parzen.fmin or parzen.worker (or a command run by `parzen "
            "worker`, which sets PARZEN_REPORT_FD)")
    if cur.prune and step not in cur.reports:
        if raise_pruned:
            raise TrialPruned(cur.reason)
        return True
    r = cur.client.report(cur.trial_id, step, value, attempt=cur.attempt)
    cur.reports[step] = value
    cur.prune = bool(r.get("prune"))
    cur.reason = r.get("reason")
    if cur.prune and raise_pruned:
        raise TrialPruned(cur.reason)
    return cur.prune


def should_prune():
    """The pruner's last word on the current trial: True once it said
    stop (a decision is final), False before any report. Outside a trial,
    False."""
    cur = _current()
    return bool(cur is not None and cur.prune)
