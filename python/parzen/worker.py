"""The worker loop: ask -> run -> tell, with heartbeats.

`worker(study, fn)` asks parzend for a trial, calls `fn(point)`, tells
the result, and goes on until the study has no more trials to hand out.
While `fn` runs, a thread sends heartbeats so the trial is not reclaimed.
A result is hyperopt's: a number (the loss) or a dict with `status`,
`loss` and extra keys, stored as the trial's result. An exception fails
the trial, with the traceback in its result, and the loop goes on. On
SIGINT or SIGTERM the running trial is given back (released, so another
worker runs it) and the loop ends. `fn` may report intermediate values
with `parzen.report(value, step)`; when the study's pruner says stop, the
report raises `parzen.TrialPruned` and the trial is told "pruned". The client reconnects across daemon
restarts, so a restart loses nothing: a resent ask gets the same trial
back and a resent tell is recorded once.

The pieces are shared with `fmin`: worker names that tell a dead
process's trials from a live one's (`release_orphans`), the heartbeat
thread, and the signal handling.
"""
import logging
import os
import signal
import socket as _socket
import threading
import time

from . import daemon as _daemon
from . import pruning as _pruning
from .client import WRONG_STATE, Client, Error
from .results import exception_result, interpret
from .space import compile_space, is_document

log = logging.getLogger("parzen")

_identity = None


def _proc_start(pid):
    """The process's start time in clock ticks since boot (Linux), to tell
    a reused pid from the process that had it; None elsewhere."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read()
        return int(stat[stat.rindex(b")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _machine():
    """Where this process's pids mean something: the boot (its random id,
    so two machines or two boots differ) and the pid namespace (so two
    containers of one machine differ), as "b<16 hex>n<inode>"; None when
    either cannot be read (not Linux)."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            boot = f.read().strip().replace("-", "")[:16]
        ns = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None
    if len(boot) != 16:
        return None
    return "b%sn%d" % (boot, ns)


def worker_name(slot=None):
    """This process's worker name, "py:HOST:PID:START:MACHINE": START is
    the process's start time (a later process with the same pid is not
    mistaken for this one), MACHINE the boot and pid namespace (a process
    of another machine or container with the same host name and pid is
    not either), "-" where unknown; with "#slot" for one of several
    trials held at once."""
    global _identity
    pid = os.getpid()
    if _identity is None or _identity[0] != pid:
        start = _proc_start(pid)
        _identity = (pid, "py:%s:%d:%s:%s" % (
            _socket.gethostname(), pid, "-" if start is None else start,
            _machine() or "-"))
    return _identity[1] if slot is None else "%s#%d" % (_identity[1], slot)


def _parse_name(name):
    """(host, pid, start, machine) of a worker name made by worker_name(),
    or None."""
    if not name or not name.startswith("py:"):
        return None
    base = name.split("#", 1)[0]
    parts = base[3:].rsplit(":", 3)
    if len(parts) != 4:
        return None
    host, pid, start, machine = parts
    try:
        return host, int(pid), (None if start == "-" else int(start)), \
            (None if machine == "-" else machine)
    except ValueError:
        return None


def _dead_here(who):
    """True only when the named process is certainly dead: it ran on this
    machine, in this pid namespace (same boot id and namespace), and that
    pid is gone or now belongs to a process that started later. A worker
    we cannot place (another machine or container, an old-style name, no
    /proc) is never called dead: its trial waits for the heartbeat
    timeout instead."""
    host, pid, start, machine = who
    here = _machine()
    if machine is None or here is None or machine != here or \
            host != _socket.gethostname() or start is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    now = _proc_start(pid)
    return now is not None and now != start


def release_orphans(client, study):
    """Give back the running trials of `study` held by Python workers of
    this machine and pid namespace whose process has died (killed
    mid-trial), so they run next instead of waiting for their heartbeat
    timeout. Returns how many were released."""
    n = 0
    for t in client.iter_trials(study, state="running"):
        who = _parse_name(t.get("worker"))
        if who is None or not _dead_here(who):
            continue
        try:
            client.release(t["id"], attempt=t["attempt"])
            n += 1
        except Error as e:
            if e.code != WRONG_STATE:  # someone else got there first
                raise
    if n:
        log.info("parzen: gave back %d trial(s) of study %r left running "
                 "by dead processes", n, study)
    return n


class Heartbeat:
    """A thread that sends trial.heartbeat for the trial being run, every
    `interval` seconds once it has run that long (short trials cost
    nothing). It has its own connection."""

    def __init__(self, socket, interval):
        self.socket = socket
        self.interval = interval
        self.lost = set()
        self._current = None
        self._cond = threading.Condition()
        self._closed = False
        self._thread = None
        self._client = None

    def begin(self, trial_id, attempt):
        self._current = (trial_id, attempt, time.monotonic())
        if self._thread is None:
            self._thread = threading.Thread(target=self._run,
                                            name="parzen-heartbeat",
                                            daemon=True)
            self._thread.start()

    def end(self):
        self._current = None

    def close(self):
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(5.0)
        if self._client is not None:
            self._client.close()

    def _run(self):
        while True:
            with self._cond:
                if self._closed:
                    return
                self._cond.wait(self.interval)
                if self._closed:
                    return
            cur = self._current
            if cur is None or time.monotonic() - cur[2] < self.interval:
                continue
            try:
                if self._client is None:
                    self._client = Client(self.socket,
                                          retry_timeout=self.interval * 3)
                self._client.heartbeat(cur[0], attempt=cur[1])
            except Error as e:
                if e.code == WRONG_STATE and self._current is cur:
                    self.lost.add(cur[0])
                    self._current = None
                    log.warning("parzen: trial %d is no longer this worker's "
                                "(%s); its result will be recorded only if "
                                "nobody else has run it", cur[0], e.message)
                else:
                    log.warning("parzen: heartbeat for trial %d: %s",
                                cur[0], e)
            except Exception as e:  # keep beating whatever happens
                log.warning("parzen: heartbeat for trial %d: %s", cur[0], e)


def heartbeat_interval(study):
    return max(0.2, float(study.get("heartbeat_timeout") or 60) / 4.0)


class _Stop(BaseException):
    """Raised inside the objective on SIGINT/SIGTERM."""


class Signals:
    """While active (main thread only), SIGINT and SIGTERM request a stop:
    inside the objective (`running` true) they raise _Stop at once,
    elsewhere the loop sees `requested` at its next safe point."""

    def __init__(self, enabled=True):
        self.enabled = (enabled and threading.current_thread()
                        is threading.main_thread())
        self.requested = None
        self.running = False
        self._old = {}

    def _handler(self, signum, frame):
        self.requested = signum
        if self.running:
            self.running = False
            raise _Stop()

    def __enter__(self):
        if self.enabled:
            for s in (signal.SIGINT, signal.SIGTERM):
                try:
                    self._old[s] = signal.signal(s, self._handler)
                except (ValueError, OSError):
                    pass
        return self

    def __exit__(self, *exc):
        for s, h in self._old.items():
            signal.signal(s, h)
        self._old.clear()


def worker(study, fn, space=None, algo=None, seed=None, max_trials=None,
           config=None, heartbeat_timeout=None, socket=None, client=None,
           name=None, max_evals=None, wait=False, poll_interval=1.0,
           pass_trial=False, handle_signals=True, pruner=None):
    """Run trials of `study` until it has none left; return how many ran.

    fn: called as fn(point) (or fn(point, trial) with pass_trial), returns
        a loss or a hyperopt result dict.
    space: a space built with `hp`, or a space document (JSON with "$hp"
        nodes). When given, the study is created if missing (with algo,
        seed, max_trials, config, heartbeat_timeout; an existing study
        must match; `pruner`, a pruner config as in docs/pruning.md, is
        the new study's). With an `hp` space fn gets the point evaluated in
        Python, so objects in the space arrive as they are; otherwise
        (a document, or no space: the study must exist) fn gets
        parzend's point.
    socket, client: where parzend is (default: $PARZEN_SOCKET or the
        default socket; with a space, parzend is started there if nothing
        listens).
    name: this worker's name (default: worker_name()).
    max_evals: stop after running this many trials.
    wait: when the study has nothing to hand out but trials of other
        workers are still running, wait (they may be given back) instead
        of returning. A paused study is always waited for.
    """
    if client is None:
        if space is not None:
            socket = _daemon.ensure_default(socket)
        client = Client(socket)
    compiled = None
    if space is not None:
        if is_document(space):
            document = space
        else:
            compiled = compile_space(space)
            document = compiled.document
        client.create_study(study, document, algo=algo, seed=seed,
                            max_trials=max_trials, config=config,
                            heartbeat_timeout=heartbeat_timeout,
                            exist_ok=True, pruner=pruner)
    info = client.get_study(study)
    release_orphans(client, study)
    name = name or worker_name()
    hb = Heartbeat(client.socket, heartbeat_interval(info))
    ran = 0
    with Signals(handle_signals) as sig:
        try:
            while max_evals is None or ran < max_evals:
                if sig.requested:
                    break
                reply = client.ask(study, worker=name)
                t = reply["trial"]
                if t is None:
                    if reply.get("reason") == "paused" or (
                            wait and client.get_study(study)["counts"]
                            ["running"] > 0):
                        _sleep(poll_interval, sig)
                        continue
                    break
                if not _run_one(client, t, fn, compiled, hb, sig, pass_trial):
                    break
                ran += 1
        finally:
            hb.close()
    return ran


def _sleep(seconds, sig):
    """Sleep, waking early for a stop request."""
    end = time.monotonic() + seconds
    while not sig.requested:
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(0.05, left))


def _run_one(client, t, fn, compiled, hb, sig, pass_trial):
    """Run trial t and tell its result. False when a signal stopped it
    (the trial was given back)."""
    hb.begin(t["id"], t["attempt"])
    try:
        try:
            point = compiled.evaluate(t["params"]) if compiled else t["point"]
            sig.running = True
            if sig.requested:
                raise _Stop()
            with _pruning.running(client, t):
                rv = fn(point, t) if pass_trial else fn(point)
        finally:
            sig.running = False
            hb.end()
        status, loss, result, _ = interpret(rv)
    except _pruning.TrialPruned as e:
        # Stopped early: parzend takes its last reported value as loss.
        status, loss, result = "pruned", None, None
        log.info("parzen: trial %d pruned: %s", t["number"], e)
    except _Stop:
        client.release(t["id"], attempt=t["attempt"])
        return False
    except Exception as e:
        status, loss, result = "fail", None, exception_result(e)
        log.warning("parzen: trial %d failed: %s: %s", t["number"],
                    type(e).__name__, e)
    except BaseException:
        # KeyboardInterrupt without our handlers, SystemExit: give the
        # trial back, then let it through.
        client.release(t["id"], attempt=t["attempt"])
        raise
    try:
        client.tell(t["id"], status, loss=loss, result=result,
                    attempt=t["attempt"])
    except Error as e:
        if e.code != WRONG_STATE:
            raise
        log.warning("parzen: the result of trial %d was not recorded: %s",
                    t["number"], e.message)
    return True
