"""hyperopt's fmin, run against parzend.

`fmin(fn, space, algo=tpe.suggest, max_evals=100, trials=...)` builds
the space document, opens the trials' study (creating it, or importing
the history an unpickled Trials holds), and runs ask -> evaluate -> tell
until it has evaluated what hyperopt would have:

- `max_evals` counts the trials in `trials.trials` as hyperopt does: a
  call evaluates `max_evals - len(trials.trials)` new trials (and runs
  first any queued one, e.g. a trial that was running when the process
  was killed). A trial whose objective raised is not in `trials.trials`
  (hyperopt's JOB_STATE_ERROR), so it does not count, also with
  `catch_eval_exceptions=True`. So `max_evals` is a total for a script
  run again (with a persistent `Trials(study=...)`, or a pickled one),
  and `max_evals = len(trials.trials) + 1` adds one evaluation.
  Processes that share a persistent study pass the resulting bound on
  trial numbers with each ask (`max_trials`, docs/protocol.md), so
  together they stop at exactly that total.
- Arguments are checked before anything is evaluated: `max_evals`,
  `timeout` and `loss_threshold` of the wrong type or range raise an
  error naming the argument and the value.
- fmin asks parzend for a trial only when it is about to evaluate it, so
  a stop (early_stop_fn, timeout, loss_threshold, an exception) leaves
  nothing asked and not run. The tell of one trial and the ask of the
  next travel in one write.
- An exception in the objective propagates after its trial is recorded
  as failed (kept by parzend, left out of the views); none stays running.
- `early_stop_fn(trials, *state)` is called after every evaluation; when
  it says stop, fmin returns without starting another.
- `points_to_evaluate` run first, in order, on top of `max_evals`, with
  `trials=None`; given trials, they are ignored with a warning, as in
  hyperopt ("only works if trials=None"; give
  `trials=generate_trials_to_calculate(points)` instead). A point outside
  the space (a value out of range or off the q grid, which hyperopt
  would evaluate) is refused before anything runs.
- `trials_save_file`: loaded if it exists (when `trials` is None), and
  the trials are saved there after every evaluation, atomically.

Deviations from hyperopt, by necessity: a non-finite loss fails the
trial (parzend keeps finite losses), `pass_expr_memo_ctrl` is not
supported, `max_queue_len` is ignored.
"""
import inspect
import logging
import numbers
import os
import signal
import sys
import time

from . import algo as _algo
from . import pruning as _pruning
from .client import CONFLICT, INVALID_SPACE, NOT_FOUND, WRONG_STATE, Error
from .pickling import load_trials, save_trials
from .progress import Progress
from .results import exception_result, interpret, raised
from .space import compile_space, space_eval
from .trials import (Trials, from_hyperopt, generate_trials_to_calculate,
                     is_hyperopt_trials)
from .worker import (Heartbeat, Signals, _Stop, heartbeat_interval,
                     release_orphans, worker_name)

log = logging.getLogger("parzen")

# trial.ask's max_trials is an integer below 2^32 - 1.
_ASK_CAP_MAX = 4294967294


def _check_max_evals(max_evals):
    if max_evals is None:
        return sys.maxsize
    if isinstance(max_evals, bool) or not hasattr(max_evals, "__index__"):
        raise TypeError("fmin: max_evals must be an integer >= 0 (or None "
                        "for no limit), got %r" % (max_evals,))
    n = max_evals.__index__()
    if n < 0:
        raise ValueError("fmin: max_evals must be >= 0, got %d" % n)
    return n


# hyperopt's messages, word for word: scripts and test suites compare
# them (the exception classes are subclasses of hyperopt's Exception).
_TIMEOUT_MSG = ("The timeout argument should be None or a positive value. "
                "Given value: %s")
_LOSS_THRESHOLD_MSG = ("The loss_threshold argument should be None or a "
                       "numeric value. Given value: %s")


def _check_timeout(timeout):
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise TypeError(_TIMEOUT_MSG % (timeout,))
    if not timeout > 0:
        raise ValueError(_TIMEOUT_MSG % (timeout,))


def _check_loss_threshold(loss_threshold):
    if loss_threshold is None:
        return
    if isinstance(loss_threshold, bool) or \
            not isinstance(loss_threshold, numbers.Real):
        raise TypeError(_LOSS_THRESHOLD_MSG % (loss_threshold,))
    if loss_threshold != loss_threshold:
        raise ValueError(_LOSS_THRESHOLD_MSG % (loss_threshold,))


def _seed(rstate):
    """The study seed for hyperopt's rstate: an int, a numpy Generator or
    RandomState, a random.Random; None: $HYPEROPT_FMIN_SEED or none (parzend
    draws one and keeps it with the study)."""
    if rstate is None:
        env = os.environ.get("HYPEROPT_FMIN_SEED", "")
        return int(env) if env else None
    if isinstance(rstate, bool):
        raise TypeError("fmin: rstate must be an int or a random generator, "
                        "got %r" % (rstate,))
    if isinstance(rstate, int) or hasattr(rstate, "__index__"):
        seed = int(rstate.__index__())
        if seed < 0:
            raise ValueError("fmin: rstate: a seed must be >= 0, got %d"
                             % seed)
        return seed % (2 ** 53)
    if hasattr(rstate, "integers"):          # numpy Generator
        return int(rstate.integers(2 ** 31 - 1))
    if hasattr(rstate, "randint"):
        if hasattr(rstate, "getrandbits"):   # random.Random
            return rstate.getrandbits(31)
        return int(rstate.randint(2 ** 31 - 1))  # numpy RandomState
    raise TypeError("fmin: rstate must be an int, a numpy Generator or "
                    "RandomState, or a random.Random; got %r" % (rstate,))


def _open_persistent(trials, compiled, algo, config, seed):
    """Create the trials' study, or check that the existing one has this
    definition. A seed is only given to a new study: an existing one keeps
    its own."""
    c = trials.client
    kw = dict(name=trials.study, space=compiled.document, algo=algo,
              config=config, exist_ok=True, pruner=trials.pruner)
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
    return study


class _Run:
    """One fmin call's loop: ask, evaluate, tell."""

    def __init__(self, fn, compiled, trials, study, cap):
        self.fn = fn
        self.compiled = compiled
        self.trials = trials
        self.client = trials.client
        self.name = trials.study
        self.cap = cap                  # hand out trials numbered below it
        self.shared = trials.persistent
        best = study.get("best")
        self.best = best["loss"] if best else None
        self.tells = []                 # told here, not yet sent
        self.held = None                # asked, not evaluated (a signal)
        self.hb = Heartbeat(self.client.socket, heartbeat_interval(study))

    def _send_tells(self, calls):
        n_tells = len(self.tells)
        replies = self.client.call_many(self.tells + calls)
        self.tells = []
        for r in replies[:n_tells]:
            if isinstance(r, Error):
                if r.code != WRONG_STATE:
                    raise r
                log.warning("parzen: a result was not recorded: %s",
                            r.message)
            else:
                self.trials._update(r["trial"])
        return replies[n_tells:]

    def next(self, sig):
        """The next trial to evaluate (asked now, with the pending tells in
        the same write), or None when there is none left."""
        if self.cap <= 0:
            return None
        ask = {"study": self.name, "worker": worker_name()}
        if self.cap <= _ASK_CAP_MAX:
            ask["max_trials"] = self.cap
        while not sig.requested:
            r = self._send_tells([("trial.ask", ask)])[0]
            if isinstance(r, Error):
                raise r
            t = r["trial"]
            if t is not None:
                return t
            if r.get("reason") == "paused":
                time.sleep(0.5)
                continue
            if self.shared and self._others_running():
                # Trials of other processes below the bound: they may be
                # given back, and then they are ours to run.
                time.sleep(0.2)
                continue
            return None
        return None

    def _others_running(self):
        return any(t["number"] < self.cap for t in
                   self.client.iter_trials(self.name, state="running"))

    def run_one(self, t, sig):
        """Evaluate trial t and queue its tell; returns the exception the
        objective raised (after recording the trial), or None."""
        n = t["number"]
        self.trials._update(t)  # running, in the views
        self.hb.begin(t["id"], t["attempt"])
        exc = None
        own = None
        cur = None
        try:
            point = self.compiled.evaluate(t["params"])
            sig.running = True
            if sig.requested:
                raise _Stop()
            with _pruning.running(self.client, t) as cur:
                rv = self.fn(point)
            sig.running = False
            self.hb.end()
            status, loss, stored, own = interpret(rv)
        except _pruning.TrialPruned:
            # Stopped early: told "pruned" without a loss, which parzend
            # takes from the last report.
            sig.running = False
            self.hb.end()
            status, loss, stored = "pruned", None, None
            own = {"status": "pruned", "loss": cur.last_value()
                   if cur is not None else None}
        except _Stop:
            self.held = t
            raise
        except Exception as e:
            sig.running = False
            self.hb.end()
            exc = e
            status, loss, stored = "fail", None, exception_result(e)
        except BaseException:
            sig.running = False
            self.hb.end()
            self.held = t
            raise
        if isinstance(own, dict) and "attachments" in own:
            # hyperopt keeps attachments beside the result; parzend keeps
            # them in it (stored), so they outlive the process.
            att = own.pop("attachments")
            if isinstance(att, dict):
                for k, v in att.items():
                    self.trials.attachments["ATTACH::%s::%s" % (n, k)] = v
        p = {"trial": t["id"], "status": status, "attempt": t["attempt"]}
        if loss is not None:
            p["loss"] = loss
        if stored is not None:
            p["result"] = stored
        self.tells.append(("trial.tell", p))
        # The views see the trial finished now; the tell's reply updates
        # this with parzend's copy.
        done = dict(t, state=status, loss=loss, result=stored,
                    finished=time.time())
        if cur is not None:
            done["intermediate"] = cur.intermediate()
            if status == "pruned" and loss is None:
                done["loss"] = cur.last_value()
        self.trials._update(done, own=own)
        if status == "ok" and (self.best is None or loss < self.best):
            self.best = loss
        return exc

    def close(self):
        """Send what is pending and give back a trial asked and not run."""
        try:
            if self.held is not None:
                t, self.held = self.held, None
                self.tells.append(("trial.release", {
                    "trial": t["id"], "attempt": t["attempt"]}))
            if self.tells:
                self._send_tells([])
        finally:
            self.hb.close()


class _HyperoptSync:
    """Keeps a hyperopt Trials object given to fmin up to date: the
    documents of the trials parzen runs are written into it as they
    finish, so the caller's object (and its pickle) holds the search."""

    def __init__(self, htrials, ptrials):
        self.htrials = htrials
        self.ptrials = ptrials
        self.docs = {}
        for d in getattr(htrials, "_dynamic_trials", []):
            self.docs[d["tid"]] = d

    def trial(self, n):
        doc = self.ptrials._doc_of(n)
        new = dict(doc, misc=dict(doc["misc"]))
        old = self.docs.get(n)
        if old is not None:
            old.update(new)
        else:
            self.htrials._dynamic_trials.append(new)
            self.docs[n] = new
        for k, v in self.ptrials.attachments.items():
            if k.startswith("ATTACH::%d::" % n):
                self.htrials.attachments[k] = v
        self.htrials.refresh()


def _annotated(fn):
    """hyperopt's space="annotated": the space from fn's annotations."""
    from .pyll import Expr
    space = dict(inspect.getfullargspec(fn).annotations)
    space.pop("return", None)
    for name, node in space.items():
        if not isinstance(node, Expr):
            from .exceptions import InvalidAnnotatedParameter
            raise InvalidAnnotatedParameter(
                "When using `space=\"annotated\"`, annotate the objective's "
                "arguments with hp nodes (%r is not one)" % name)

    def objective(kwargs):
        return fn(**kwargs)
    return objective, space


def fmin(fn, space, algo=None, max_evals=None, timeout=None,
         loss_threshold=None, trials=None, rstate=None,
         allow_trials_fmin=True, pass_expr_memo_ctrl=None,
         catch_eval_exceptions=False, verbose=True, return_argmin=True,
         points_to_evaluate=None, max_queue_len=1, show_progressbar=True,
         early_stop_fn=None, trials_save_file="", pruner=None):
    """Minimize `fn` over `space` (hyperopt's fmin; see the module).

    fn: called with a point of the space; returns a loss or a dict with
        `status`, `loss` and extra keys.
    algo: tpe.suggest (default), rand.suggest, anneal.suggest,
        mix.suggest, or a functools.partial of one with settings.
    max_evals: evaluate until trials.trials holds this many (None: no
        limit).
    timeout: seconds; no new trial starts after that.
    loss_threshold: stop once the best loss is below it.
    trials: Trials() (private, the default), Trials(study=NAME), an
        unpickled Trials, or hyperopt's own Trials (its history is
        imported; the trials run here are written back into it).
    rstate: int seed, numpy Generator/RandomState or random.Random; sets
        the seed of a new study (default: $HYPEROPT_FMIN_SEED, else one
        drawn by parzend). A study with a history keeps its seed.
    points_to_evaluate: [{label: value}, ...] run first (a choice as its
        option index), on top of max_evals, when trials is None.
    early_stop_fn: called as early_stop_fn(trials, *state) after each
        evaluation; returns (stop, state).
    trials_save_file: a path; loaded when it exists and trials is None,
        written (atomically) after every evaluation.
    pruner: a pruner config, {"kind": "median", ...} (docs/pruning.md),
        for the trials' study (as Trials(pruner=...)); `fn` reports with
        parzen.report(value, step), and a trial the pruner stops ends
        "pruned" (parzen.TrialPruned).
    Returns trials.argmin ({label: value}, a choice as its index), or with
    return_argmin=False the best point (space_eval of it), or None.
    """
    max_evals = _check_max_evals(max_evals)
    _check_timeout(timeout)
    _check_loss_threshold(loss_threshold)
    if isinstance(space, str) and space == "annotated":
        fn, space = _annotated(fn)
    if not callable(fn):
        raise TypeError("fmin: fn must be callable, got %r" % (fn,))
    if early_stop_fn is not None and not callable(early_stop_fn):
        raise TypeError("fmin: early_stop_fn must be callable, got %r"
                        % (early_stop_fn,))
    if points_to_evaluate is not None and \
            not isinstance(points_to_evaluate, (list, tuple)):
        raise TypeError("fmin: points_to_evaluate must be a list of dicts "
                        "{label: value}, got %r" % (points_to_evaluate,))
    if trials is not None and not isinstance(trials, Trials) and \
            not is_hyperopt_trials(trials):
        if allow_trials_fmin and hasattr(trials, "fmin"):
            return trials.fmin(
                fn, space, algo=algo, max_evals=max_evals, timeout=timeout,
                loss_threshold=loss_threshold, max_queue_len=max_queue_len,
                rstate=rstate, verbose=verbose,
                pass_expr_memo_ctrl=pass_expr_memo_ctrl,
                catch_eval_exceptions=catch_eval_exceptions,
                return_argmin=return_argmin,
                show_progressbar=show_progressbar,
                early_stop_fn=early_stop_fn,
                trials_save_file=trials_save_file,
                points_to_evaluate=points_to_evaluate,
                **({"pruner": pruner} if pruner is not None else {}))
        raise TypeError("fmin: trials must be a parzen Trials (or "
                        "hyperopt's), got %r" % (trials,))
    if pass_expr_memo_ctrl or getattr(fn, "fmin_pass_expr_memo_ctrl",
                                      False):
        raise NotImplementedError("parzen's fmin does not pass expr, memo "
                                  "and ctrl to the objective")
    algo_name, config = _algo.resolve(algo)
    compiled = compile_space(space)
    save_path = os.fspath(trials_save_file) if trials_save_file else None
    seed = _seed(rstate)

    if trials is None:
        if save_path and os.path.exists(save_path):
            trials = load_trials(save_path)
        else:
            trials = Trials()
            if points_to_evaluate:
                trials._pending_points = list(points_to_evaluate)
        points_to_evaluate = None
    user_trials = trials
    sync = None
    if is_hyperopt_trials(trials):
        ptrials = from_hyperopt(trials)
        sync = _HyperoptSync(trials, ptrials)
    else:
        ptrials = trials
    if pruner is not None:
        ptrials.pruner = _pruning_config(pruner)

    if ptrials.persistent:
        study = _open_persistent(ptrials, compiled, algo_name, config, seed)
        release_orphans(ptrials.client, ptrials.study)
        ptrials.refresh()
        n_numbers = study["counts"]["total"]
        visible = len(ptrials.trials)
    else:
        # As hyperopt, max_evals counts the trials there were before
        # documents inserted and not refreshed yet join them (those run
        # on top, like generate_trials_to_calculate's points).
        visible = len(ptrials.trials)
        study = ptrials._open_private(compiled.document, algo_name, config,
                                      seed)
        n_numbers = len(ptrials._raw)
    ptrials._compiled = compiled
    ptrials._invalidate()
    points = ptrials._pending_points
    if points_to_evaluate:
        # As hyperopt ("only works if trials=None"): with trials given,
        # generate_trials_to_calculate(points) is the way.
        log.warning("parzen: points_to_evaluate ignored: they are run "
                    "with trials=None, or give "
                    "trials=generate_trials_to_calculate(points) (as in "
                    "hyperopt)")
    if points and n_numbers == 0:
        for i, point in enumerate(points):
            try:
                t = ptrials.client.enqueue(ptrials.study,
                                           compiled.active(point))
            except Error as e:
                if e.code != INVALID_SPACE:
                    raise
                msg = e.message
                if e.path and msg.startswith(e.path + ": "):
                    msg = "%r: %s" % (e.path.rsplit(".", 1)[-1],
                                      msg[len(e.path) + 2:])
                raise ValueError(
                    "points_to_evaluate[%d]: %s (parzend runs points of the "
                    "space only: values in range and on the q grid)"
                    % (i, msg)) from None
            ptrials._update(t)
        n_numbers = len(points)
        study = ptrials.client.get_study(ptrials.study)
    ptrials._pending_points = None

    left = max(0, max_evals - visible)
    cap = n_numbers + left
    done_before = sum(1 for d in ptrials.trials
                      if d["result"].get("status") in ("ok", "fail",
                                                       "pruned"))
    run = _Run(fn, compiled, ptrials, study, cap)
    start = time.monotonic()
    state = []
    progress = Progress(
        total=done_before + (cap - n_numbers) if left < sys.maxsize // 2
        else None,
        initial=done_before, enabled=bool(show_progressbar and verbose))
    done = done_before
    sig = Signals()
    try:
        with sig:
            while True:
                if timeout is not None and \
                        time.monotonic() - start >= timeout:
                    break
                if loss_threshold is not None and run.best is not None \
                        and run.best < loss_threshold:
                    break
                t = run.next(sig)
                if t is None:
                    break
                exc = run.run_one(t, sig)
                done += exc is None
                progress.update(done, run.best)
                if exc is not None and not catch_eval_exceptions:
                    raise exc
                if sync is not None:
                    sync.trial(t["number"])
                if save_path:
                    save_trials(user_trials, save_path)
                if early_stop_fn is not None:
                    stop, state = early_stop_fn(user_trials, *state)
                    if stop:
                        log.info("parzen: early stop after %d trials", done)
                        break
    except _Stop:
        pass
    finally:
        # Send the last results and give back what was not run, also on
        # an exception or a signal.
        run.close()
        progress.close(done, run.best)
    if sig.requested == signal.SIGINT:
        raise KeyboardInterrupt()
    if sig.requested is not None:
        raise SystemExit(128 + sig.requested)
    if ptrials.persistent:
        ptrials.refresh()
    if return_argmin:
        if len(ptrials.trials) == 0:
            raise Exception("There are no evaluation tasks, cannot return "
                            "argmin of task losses.")
        return ptrials.argmin
    if len(ptrials) > 0:
        return space_eval(space, ptrials.argmin)
    return None


def _pruning_config(pruner):
    if not isinstance(pruner, dict) or not isinstance(pruner.get("kind"),
                                                      str):
        raise TypeError("fmin: pruner must be a pruner config, a dict such "
                        "as {\"kind\": \"median\"} (docs/pruning.md), got %r"
                        % (pruner,))
    return dict(pruner)


def fmin_pass_expr_memo_ctrl(f):
    """hyperopt's decorator for objectives that take (expr, memo, ctrl);
    parzen's fmin refuses them (NotImplementedError): the objective gets
    the point."""
    f.fmin_pass_expr_memo_ctrl = True
    return f


def partial(fn, **kwargs):
    """hyperopt's `partial`: functools.partial for suggest functions."""
    import functools
    return functools.partial(fn, **kwargs)


__all__ = ["fmin", "space_eval", "generate_trials_to_calculate", "partial",
           "fmin_pass_expr_memo_ctrl", "raised"]
