"""hyperopt's fmin, run against parzend.

`fmin(fn, space, algo=tpe.suggest, max_evals=100, trials=...)` builds
the space document, opens the trials' study (creating it the first time),
and runs the ask -> run -> tell loop until the study has `max_evals`
trials finished. `max_evals` is a total, as in hyperopt: a script run
again with the same `Trials(study=...)` resumes where it stopped, and
running it with a larger `max_evals` extends the search. The study itself
is created without a `max_trials`, so `max_evals` may change between
runs; each fmin stops asking for new trials once the study holds
`max_evals` of them, then waits for the ones still running elsewhere.
Processes sharing a study pass `max_evals` to each ask (`max_trials`,
docs/protocol.md), so together they stop at exactly `max_evals`; with an
older parzend that refuses the parameter, the count is checked before
each batch instead, and a trial numbered past `max_evals` is given back
unrun.

Speed comes from round trips: the tell of one trial and the ask of the
next travel in one write; with random search, which does not depend on
results, up to 16 trials are asked for at once.

Deviations from hyperopt, by necessity: the objective runs in this
process but the trials live in parzend; a trial whose objective raised is
kept (state JOB_STATE_ERROR, the traceback in its result) and counts
towards `max_evals`; a non-finite loss fails the trial; `max_queue_len`
and `trials_save_file` are accepted and ignored (every trial is saved by
parzend as it finishes).
"""
import collections
import logging
import os
import signal
import sys
import time

from . import algo as _algo
from .client import CONFLICT, INVALID_PARAMS, NOT_FOUND, WRONG_STATE, Error
from .progress import Progress
from .results import exception_result, interpret
from .space import compile_space, space_eval
from .trials import Trials
from .worker import (Heartbeat, Signals, _Stop, heartbeat_interval,
                     release_orphans, worker_name)

log = logging.getLogger("parzen")

_RANDOM_BATCH = 16


def _seed(rstate):
    """The study seed for hyperopt's rstate: an int, a numpy Generator or
    RandomState, a random.Random; None: $HYPEROPT_FMIN_SEED or none (parzend
    draws one and keeps it with the study)."""
    if rstate is None:
        env = os.environ.get("HYPEROPT_FMIN_SEED", "")
        return int(env) if env else None
    if isinstance(rstate, bool):
        raise TypeError("rstate must be an int or a random generator")
    if isinstance(rstate, int) or hasattr(rstate, "__index__"):
        seed = int(rstate.__index__())
        if seed < 0:
            raise ValueError("rstate: a seed must be >= 0, got %d" % seed)
        return seed % (2 ** 53)
    if hasattr(rstate, "integers"):          # numpy Generator
        return int(rstate.integers(2 ** 31 - 1))
    if hasattr(rstate, "randint"):
        if hasattr(rstate, "getrandbits"):   # random.Random
            return rstate.getrandbits(31)
        return int(rstate.randint(2 ** 31 - 1))  # numpy RandomState
    raise TypeError("rstate must be an int, a numpy Generator or "
                    "RandomState, or a random.Random; got %r" % (rstate,))


def _open_study(trials, compiled, algo, config, seed):
    """Create the trials' study, or check that the existing one has this
    definition. A seed is only given to a new study: an existing one keeps
    its own."""
    c = trials.client
    kw = dict(name=trials.study, space=compiled.document, algo=algo,
              config=config, exist_ok=True)
    try:
        c.get_study(trials.study)
        existed = True
    except Error as e:
        if e.code != NOT_FOUND:
            raise
        existed = False
    if existed or seed is None:
        study = c.create_study(**kw)
    else:
        try:
            study = c.create_study(seed=seed, **kw)
        except Error as e:
            if e.code != CONFLICT:  # another process created it first
                raise
            study = c.create_study(**kw)
    trials._set_space_document(compiled.document)
    if not trials.persistent:
        # Only this Trials writes to its private study, and it records
        # every reply: its views are complete without reading them back.
        trials._loaded = True
    return study


class _Run:
    """One fmin call's loop state."""

    def __init__(self, fn, compiled, trials, study, max_evals, algo):
        self.fn = fn
        self.compiled = compiled
        self.trials = trials
        self.client = trials.client
        self.name = trials.study
        self.max_evals = max_evals
        self.batch = _RANDOM_BATCH if algo == "random" else 1
        counts = study["counts"]
        self.total = counts["total"]        # trials known to exist
        self.done = counts["ok"] + counts["fail"]
        best = study.get("best")
        self.best = best["loss"] if best else None
        self.queue = collections.deque()    # asked, not yet run
        self.tells = []                     # told here, not yet sent
        self.full = self.total >= max_evals  # no new trials to ask for
        # Whether parzend takes trial.ask's max_trials (None: not known
        # yet). Without it, processes sharing a study check the count
        # before asking, and give back a trial past max_evals.
        self.ask_limit = None
        self.shared = trials.persistent
        self.hb = Heartbeat(self.client.socket, heartbeat_interval(study))

    # --- talking to parzend ------------------------------------------------

    def _ask_call(self, slot):
        p = {"study": self.name, "worker": worker_name(slot)}
        if self.ask_limit is not False and self.max_evals < sys.maxsize:
            p["max_trials"] = self.max_evals
        return ("trial.ask", p)

    def exchange(self, n_ask):
        """Send the pending tells and n_ask asks in one write. Returns the
        ask replies' (trial, reason) pairs."""
        calls = self.tells + [self._ask_call(k) for k in range(n_ask)]
        n_tells = len(self.tells)
        self.tells = []
        replies = self.client.call_many(calls) if calls else []
        for r in replies[:n_tells]:
            if isinstance(r, Error):
                if r.code != WRONG_STATE:
                    raise r
                log.warning("parzen: a result was not recorded: %s",
                            r.message)
            else:
                self.trials._update(r["trial"])
        asks = replies[n_tells:]
        if asks and isinstance(asks[0], Error) and \
                asks[0].code == INVALID_PARAMS and "max_trials" in \
                (asks[0].path or asks[0].message) and \
                self.ask_limit is None:
            # parzend without the per-ask limit: ask again without it and
            # watch the trial numbers instead.
            self.ask_limit = False
            return self.exchange(n_ask)
        if asks and self.ask_limit is None and self.max_evals < sys.maxsize:
            self.ask_limit = True
        out = []
        for r in asks:
            if isinstance(r, Error):
                raise r
            out.append((r["trial"], r.get("reason")))
        return out

    def give_back(self, trials):
        calls = [("trial.release", {"trial": t["id"],
                                    "attempt": t["attempt"]})
                 for t in trials]
        for r in self.client.call_many(calls):
            if isinstance(r, Error):
                if r.code != WRONG_STATE:
                    raise r
            else:
                self.trials._update(r["trial"])

    def flush(self):
        if self.tells:
            self.exchange(0)

    def unfinished(self):
        """(queued, running) trials numbered below max_evals."""
        c, name, m = self.client, self.name, self.max_evals
        queued = [t for t in c.iter_trials(name, state="queued")
                  if t["number"] < m]
        running = [t for t in c.iter_trials(name, state="running")
                   if t["number"] < m]
        return queued, running

    # --- the loop ----------------------------------------------------------

    def refill(self, sig):
        """Ask for the next trial(s). False when there is nothing left to
        run."""
        while not self.queue:
            if sig.requested:
                return False
            if self.full:
                self.flush()
                queued, running = self.unfinished()
                if not queued and not running:
                    return False
                if not queued:
                    # Other workers' trials; wait for them to finish or
                    # be given back.
                    time.sleep(0.2)
                    continue
                n = 1
            else:
                if self.shared and not self.ask_limit:
                    # Others may be adding trials: look before asking.
                    self.flush()
                    counts = self.client.get_study(self.name)["counts"]
                    self.total = max(self.total, counts["total"])
                    if self.total >= self.max_evals:
                        self.full = True
                        continue
                    # A quarter of what is left: two processes that saw
                    # the same count together stay within it.
                    n = max(1, min(self.batch,
                                   (self.max_evals - self.total) // 4))
                else:
                    n = max(1, min(self.batch, self.max_evals - self.total))
            over = []
            for t, reason in self.exchange(n):
                if t is None:
                    if reason == "paused":
                        time.sleep(0.5)
                    else:
                        self.full = True
                    continue
                if t["number"] >= self.max_evals:
                    over.append(t)
                    self.full = True
                    continue
                self.total = max(self.total, t["number"] + 1)
                if self.total >= self.max_evals:
                    self.full = True
                self.queue.append(t)
            if over:
                self.give_back(over)
                if not self.queue:
                    time.sleep(0.05)
        return True

    def run_one(self, sig):
        """Run the next trial; returns the exception the objective raised
        (after recording the trial), or None."""
        t = self.queue.popleft()
        self.trials._update(t)  # running, in the views
        self.hb.begin(t["id"], t["attempt"])
        exc = None
        try:
            point = self.compiled.evaluate(t["params"])
            sig.running = True
            if sig.requested:
                raise _Stop()
            rv = self.fn(point)
            sig.running = False
            self.hb.end()
            status, loss, result = interpret(rv)
        except _Stop:
            self.queue.appendleft(t)
            raise
        except Exception as e:
            sig.running = False
            self.hb.end()
            exc = e
            status, loss, result = "fail", None, exception_result(e)
        except BaseException:
            sig.running = False
            self.hb.end()
            self.queue.appendleft(t)
            raise
        p = {"trial": t["id"], "status": status, "attempt": t["attempt"]}
        if loss is not None:
            p["loss"] = loss
        if result is not None:
            p["result"] = result
        self.tells.append(("trial.tell", p))
        # The views see the trial finished now; the tell's reply replaces
        # this with parzend's copy.
        done = dict(t, state=status, loss=loss, result=result,
                    finished=time.time())
        self.trials._update(done)
        self.done += 1
        if status == "ok" and (self.best is None or loss < self.best):
            self.best = loss
        return exc

    def close(self):
        """Send what is pending and give back what was not run."""
        try:
            self.flush()
            if self.queue:
                self.give_back(list(self.queue))
                self.queue.clear()
        finally:
            self.hb.close()


def fmin(fn, space, algo=None, max_evals=None, timeout=None,
         loss_threshold=None, trials=None, rstate=None,
         allow_trials_fmin=True, pass_expr_memo_ctrl=None,
         catch_eval_exceptions=False, verbose=True, return_argmin=True,
         points_to_evaluate=None, max_queue_len=1, show_progressbar=True,
         early_stop_fn=None, trials_save_file=""):
    """Minimize `fn` over `space` (hyperopt's fmin; see the module).

    fn: called with a point of the space; returns a loss or a dict with
        `status`, `loss` and extra keys.
    algo: tpe.suggest (default), rand.suggest, or a functools.partial of
        one with settings.
    max_evals: how many trials the study should have, in total.
    timeout: seconds; no new trial starts after that.
    loss_threshold: stop once the best loss is below it.
    trials: Trials() (private, the default) or Trials(study=NAME).
    rstate: int seed, numpy Generator/RandomState or random.Random; sets
        the seed of a new study (default: $HYPEROPT_FMIN_SEED, else one
        drawn by parzend).
    points_to_evaluate: [{label: value}, ...] run first (a choice as its
        option index), when the study is new.
    early_stop_fn: called as early_stop_fn(trials, *state) after each
        trial; returns (stop, state).
    Returns trials.argmin ({label: value}, a choice as its index), or with
    return_argmin=False the best point (space_eval of it), or None.
    """
    if allow_trials_fmin and trials is not None and hasattr(trials, "fmin"):
        return trials.fmin(
            fn, space, algo=algo, max_evals=max_evals, timeout=timeout,
            loss_threshold=loss_threshold, max_queue_len=max_queue_len,
            rstate=rstate, verbose=verbose,
            pass_expr_memo_ctrl=pass_expr_memo_ctrl,
            catch_eval_exceptions=catch_eval_exceptions,
            return_argmin=return_argmin, show_progressbar=show_progressbar,
            early_stop_fn=early_stop_fn, trials_save_file=trials_save_file,
            points_to_evaluate=points_to_evaluate)
    if pass_expr_memo_ctrl:
        raise NotImplementedError("parzen's fmin does not pass expr, memo "
                                  "and ctrl to the objective")
    if max_evals is None:
        max_evals = sys.maxsize
    max_evals = int(max_evals)
    algo_name, config = _algo.resolve(algo)
    compiled = compile_space(space)
    if trials is None:
        trials = Trials()
    seed = _seed(rstate)
    study = _open_study(trials, compiled, algo_name, config, seed)
    if trials.persistent:
        release_orphans(trials.client, trials.study)
    points = list(getattr(trials, "_pending_points", None) or []) + \
        list(points_to_evaluate or [])
    if points and study["counts"]["total"] == 0:
        for point in points:
            trials._update(trials.client.enqueue(
                trials.study, compiled.active(point)))
        study = trials.client.get_study(trials.study)
    trials._pending_points = None
    if trials.persistent:
        trials.refresh()

    run = _Run(fn, compiled, trials, study, max_evals, algo_name)
    start = time.monotonic()
    state = []
    progress = Progress(total=max_evals, initial=run.done,
                        enabled=bool(show_progressbar))
    sig = Signals()
    try:
        with sig:
            while True:
                if timeout is not None and time.monotonic() - start >= timeout:
                    break
                if loss_threshold is not None and run.best is not None and \
                        run.best < loss_threshold:
                    break
                if not run.refill(sig):
                    break
                exc = run.run_one(sig)
                progress.update(run.done, run.best)
                if exc is not None and not catch_eval_exceptions:
                    raise exc
                if early_stop_fn is not None:
                    stop, state = early_stop_fn(trials, *state)
                    if stop:
                        log.info("parzen: early stop after %d trials",
                                 run.done)
                        break
    except _Stop:
        pass
    finally:
        # Send the last results and give back what was not run, also on
        # an exception or a signal.
        run.close()
        progress.close(run.done, run.best)
    if sig.requested == signal.SIGINT:
        raise KeyboardInterrupt()
    if sig.requested is not None:
        raise SystemExit(128 + sig.requested)
    if trials.persistent:
        trials.refresh()
    if return_argmin:
        if len(trials.trials) == 0:
            raise Exception("There are no evaluation tasks, cannot return "
                            "argmin of task losses.")
        return trials.argmin
    if len(trials) > 0:
        return space_eval(space, trials.argmin)
    return None


__all__ = ["fmin", "space_eval"]
