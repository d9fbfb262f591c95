"""A blocking JSON-RPC client for parzend (docs/protocol.md).

`Client` holds one Unix-socket connection and sends one JSON object per
line. Every protocol method has a method here (`create_study`, `ask`,
`tell`, ...); `call(method, **params)` sends any other. Requests may be
pipelined with `call_many`: all lines go out in one write and the replies
are read back in order.

A daemon that goes away (restart, crash, "shutting down", a failed
commit) is waited for: the client reconnects with exponential backoff and
sends again whatever did not get a reply, for up to `retry_timeout`
seconds. Resending is safe for the requests a worker makes: an `ask` that
names its worker gets the same trial back, and a resent `tell` or
`release` whose first copy was already recorded is answered with the
trial as it stands instead of a "wrong state" error. `enqueue` and a
`create_study` without `exist_ok` may act twice when a reply is lost.

Errors from the daemon are raised as `Error` (code, message, path);
a daemon that stays unreachable is `Unavailable`, an `Error` and a
`ConnectionError` with code None. A client may be shared by threads (one
request batch at a time); after a fork the child opens its own connection.
"""
import errno
import json
import logging
import os
import socket as _socket
import threading
import time

log = logging.getLogger("parzen")

# Codes of docs/protocol.md.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
NOT_FOUND = -32001
CONFLICT = -32002
WRONG_STATE = -32003
INVALID_SPACE = -32004
STORAGE = -32005
SHUTTING_DOWN = -32006

# Worth sending again after a pause: nothing was recorded.
_RETRY_CODES = (STORAGE, SHUTTING_DOWN)

_encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False,
                           ensure_ascii=False).encode


class Error(Exception):
    """An error reply from parzend, or (code None) no daemon to talk to.

    `code` is the JSON-RPC code (see the constants of this module),
    `message` the daemon's sentence, `path` the JSON path of the bad value
    when the daemon names one (`params.loss`, `space.lr.high`), `data` the
    error's whole `data` object.
    """

    def __init__(self, code, message, path=None, data=None, method=None):
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.path = path
        self.data = data or {}
        self.method = method

    def __str__(self):
        where = "%s: " % self.method if self.method else ""
        if self.code is None:
            return where + self.message
        return "%s%s (%d)" % (where, self.message, self.code)


class Unavailable(Error, ConnectionError):
    """parzend could not be reached within the retry budget."""

    def __init__(self, message, method=None):
        Error.__init__(self, None, message, method=method)


def default_socket():
    """The socket a client uses when none is given: $PARZEN_SOCKET, else
    $XDG_RUNTIME_DIR/parzen/parzend.sock, else /run/user/UID/parzen/ when
    /run/user/UID exists, else parzend's own fallback
    /tmp/parzen-UID/parzend.sock."""
    env = os.environ.get("PARZEN_SOCKET")
    if env:
        return env
    rt = os.environ.get("XDG_RUNTIME_DIR")
    if rt and rt.startswith("/"):
        return os.path.join(rt, "parzen", "parzend.sock")
    uid = os.getuid()
    run_user = "/run/user/%d" % uid
    if os.path.isdir(run_user):
        return os.path.join(run_user, "parzen", "parzend.sock")
    return "/tmp/parzen-%d/parzend.sock" % uid


class Client:
    """A connection to parzend.

    socket: the socket path (None: `default_socket()`).
    retry_timeout: how long to keep reconnecting and resending while the
        daemon is unreachable, shutting down or failing to commit, in
        seconds; 0 gives up at once (errors are raised immediately).
    connect_timeout: the same budget while this client has never been
        connected: a daemon that was never there is reported sooner than
        one that is restarting.
    timeout: socket timeout for one reply, in seconds (None: wait forever;
        a TPE suggestion or a long list may take a while).
    """

    def __init__(self, socket=None, retry_timeout=300.0, connect_timeout=10.0,
                 timeout=None):
        self.socket = socket or default_socket()
        self.retry_timeout = retry_timeout
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self._connected_once = False
        self._sock = None
        self._rfile = None
        self._pid = None
        self._next_id = 1
        self._lock = threading.RLock()

    # --- connection ---------------------------------------------------------

    def connect(self):
        """Connect now (calls connect lazily otherwise). Raises OSError."""
        with self._lock:
            self._ensure()
        return self

    def _ensure(self):
        if self._sock is not None and self._pid == os.getpid():
            return
        self._drop()
        s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            s.settimeout(self.timeout)
            s.connect(self.socket)
        except BaseException:
            s.close()
            raise
        self._sock = s
        self._rfile = s.makefile("rb", buffering=1 << 16)
        self._pid = os.getpid()
        self._connected_once = True

    def _drop(self):
        if self._rfile is not None:
            try:
                self._rfile.close()
            except OSError:
                pass
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        self._sock = self._rfile = None

    def close(self):
        with self._lock:
            self._drop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self._drop()
        except Exception:
            pass

    # --- requests -----------------------------------------------------------

    def _exchange(self, lines, replies):
        """Send the request lines in one write and append one reply per
        line to `replies` (partial on a failure)."""
        self._ensure()
        self._sock.sendall(b"".join(lines))
        readline = self._rfile.readline
        while len(replies) < len(lines):
            raw = readline()
            if not raw:
                raise ConnectionError("parzend closed the connection")
            msg = json.loads(raw)
            if "method" in msg and "id" not in msg:
                continue  # a notification
            replies.append(msg)

    def _roundtrip(self, calls):
        """Run [(method, params)] and return [(result_or_Error, resent)].

        Connection failures and the retryable error codes are handled
        here: the calls without a usable reply are sent again after a
        backoff, until retry_timeout has passed.
        """
        n = len(calls)
        out = [None] * n
        resent = [False] * n
        with self._lock:
            lines = []
            ids = []
            for method, params in calls:
                msg = {"jsonrpc": "2.0", "id": self._next_id, "method": method}
                ids.append(self._next_id)
                self._next_id += 1
                if params:
                    msg["params"] = params
                try:
                    lines.append((_encode(msg) + "\n").encode())
                except ValueError as e:
                    raise ValueError("%s: params hold a NaN or an infinity, "
                                     "which JSON cannot carry (%s)"
                                     % (method, e)) from None
            todo = list(range(n))
            deadline = None
            delay = 0.05
            warned = False
            while todo:
                got = []
                problem = None
                try:
                    self._exchange([lines[i] for i in todo], got)
                except (OSError, ValueError) as e:
                    # ValueError: a reply that is not JSON; the stream is
                    # out of step, so start over on a new connection.
                    self._drop()
                    problem = e
                except BaseException:
                    self._drop()  # interrupted mid-reply: out of step
                    raise
                again = []
                for k, i in enumerate(todo):
                    if k >= len(got):
                        again.append(i)
                        continue
                    reply = got[k]
                    if reply.get("id") not in (ids[i], None):
                        self._drop()
                        problem = problem or ConnectionError(
                            "reply out of order (id %r, expected %r)"
                            % (reply.get("id"), ids[i]))
                        again.extend(todo[k:])
                        break
                    err = reply.get("error")
                    if err is None:
                        out[i] = reply.get("result")
                        continue
                    data = err.get("data") or {}
                    e = Error(err.get("code"), err.get("message", ""),
                              data.get("path"), data, calls[i][0])
                    if e.code in _RETRY_CODES and self.retry_timeout:
                        again.append(i)
                        problem = problem or e
                        if e.code == SHUTTING_DOWN:
                            self._drop()
                    else:
                        out[i] = e
                if not again:
                    break
                for i in again:
                    resent[i] = True
                todo = again
                now = time.monotonic()
                if deadline is None:
                    budget = self.retry_timeout or 0
                    if not self._connected_once:
                        budget = min(budget, self.connect_timeout)
                    deadline = now + budget
                if now >= deadline:
                    if isinstance(problem, Error):
                        raise problem
                    raise Unavailable("cannot reach parzend at %s: %s"
                                      % (self.socket, problem),
                                      calls[todo[0]][0]) from problem
                if not warned:
                    log.warning("parzen: lost parzend at %s (%s); retrying "
                                "for up to %gs", self.socket, problem,
                                self.retry_timeout)
                    warned = True
                time.sleep(min(delay, max(0.0, deadline - now)))
                delay = min(delay * 2, 2.0)
            if warned:
                log.warning("parzen: reconnected to parzend at %s",
                            self.socket)
        for i in range(n):
            if resent[i] and isinstance(out[i], Error):
                out[i] = self._recover(calls[i][0], calls[i][1], out[i])
        return list(zip(out, resent))

    def _recover(self, method, params, err):
        """The answer to a request that was sent twice (its first reply
        was lost) and whose second copy failed because the first had
        already acted; `err` itself when that is not what happened."""
        params = params or {}
        if err.code == WRONG_STATE and method == "trial.tell":
            t = self.get_trial(params["trial"])
            mine = t["state"] == params["status"] and (
                params.get("attempt") is None or
                t["attempt"] == params["attempt"]) and (
                params["status"] != "ok" or t["loss"] == params.get("loss"))
            return {"trial": t} if mine else err
        if err.code == WRONG_STATE and method == "trial.release":
            t = self.get_trial(params["trial"])
            mine = params.get("attempt") is None or \
                t["attempt"] > params["attempt"]
            return {"trial": t} if mine else err
        if err.code == NOT_FOUND and method == "study.delete":
            return {"deleted": params["study"], "trials": None}
        if err.code == CONFLICT and method == "study.create" and \
                not params.get("exist_ok"):
            return {"study": self.get_study(params["name"])}
        return err

    def call(self, method, **params):
        """Call `method` and return its result; raise `Error` on an error
        reply."""
        result = self._roundtrip([(method, params)])[0][0]
        if isinstance(result, Error):
            raise result
        return result

    def call_many(self, calls):
        """Pipeline [(method, params), ...]: one write, replies in order.
        Returns a list with each call's result, or its `Error` (not
        raised)."""
        return [r for r, _ in self._roundtrip(list(calls))]

    # --- one method per protocol method --------------------------------------

    def create_study(self, name, space, algo=None, seed=None,
                     max_trials=None, config=None, heartbeat_timeout=None,
                     exist_ok=False, pruner=None):
        """study.create -> the study object. `pruner`: a pruner config,
        {"kind": "median", ...} (docs/pruning.md); None gives none, or
        with exist_ok leaves an existing study's as it is."""
        p = {"name": name, "space": space}
        if algo is not None:
            p["algo"] = algo
        if seed is not None:
            p["seed"] = int(seed)
        if max_trials is not None:
            p["max_trials"] = int(max_trials)
        if config is not None:
            p["config"] = config
        if heartbeat_timeout is not None:
            p["heartbeat_timeout"] = heartbeat_timeout
        if pruner is not None:
            p["pruner"] = pruner
        if exist_ok:
            p["exist_ok"] = True
        return self.call("study.create", **p)["study"]

    def get_study(self, study):
        """study.get -> the study object."""
        return self.call("study.get", study=study)["study"]

    def list_studies(self):
        """study.list -> [study, ...] by name."""
        return self.call("study.list")["studies"]

    def pause(self, study):
        """study.pause -> the study."""
        return self.call("study.pause", study=study)["study"]

    def resume(self, study):
        """study.resume -> the study."""
        return self.call("study.resume", study=study)["study"]

    def delete_study(self, study):
        """study.delete -> {"deleted": name, "trials": n}."""
        return self.call("study.delete", study=study)

    def best(self, study):
        """study.best -> the best ok trial, or None."""
        return self.call("study.best", study=study)["trial"]

    def ask(self, study, worker=None, **extra):
        """trial.ask -> {"trial": trial or None, "reason": ...}.

        Name the worker: a resent ask then gets the same trial back instead
        of orphaning one."""
        p = {"study": study}
        if worker is not None:
            p["worker"] = worker
        p.update(extra)
        return self.call("trial.ask", **p)

    @staticmethod
    def _attempt(method, trial, attempt):
        """(trial id, attempt): a trial object from ask gives both."""
        if isinstance(trial, dict):
            if attempt is None:
                attempt = trial.get("attempt")
            trial = trial["id"]
        if attempt is None:
            raise TypeError(
                "%s: give the trial's attempt (from trial.ask), or pass the "
                "trial object itself: a %s without it could act on a run "
                "of the trial that another worker was handed since"
                % (method, method.split(".")[1]))
        return trial, int(attempt)

    def tell(self, trial, status, loss=None, result=None, attempt=None):
        """trial.tell -> the finished trial (a summary). `trial`: the trial
        object from ask, or its id with `attempt`."""
        trial, attempt = self._attempt("trial.tell", trial, attempt)
        p = {"trial": trial, "status": status, "attempt": attempt}
        if loss is not None:
            p["loss"] = loss
        if result is not None:
            p["result"] = result
        return self.call("trial.tell", **p)["trial"]

    def report(self, trial, step, value, attempt=None):
        """trial.report -> {"prune": bool, "reason": str, "step": n}:
        the running trial's intermediate `value` at `step`, and the
        pruner's decision. `trial`: the trial object, or its id with
        `attempt`. (Inside an objective, `parzen.report()` does this.)"""
        trial, attempt = self._attempt("trial.report", trial, attempt)
        return self.call("trial.report", trial=trial, attempt=attempt,
                         step=int(step), value=float(value))

    def heartbeat(self, trial, attempt=None):
        """trial.heartbeat -> {"id", "state", "attempt", "deadline"}.
        `trial`: the trial object, or its id with `attempt`."""
        trial, attempt = self._attempt("trial.heartbeat", trial, attempt)
        return self.call("trial.heartbeat", trial=trial,
                         attempt=attempt)["trial"]

    def release(self, trial, attempt=None):
        """trial.release -> the trial, queued again. `trial`: the trial
        object, or its id with `attempt`."""
        trial, attempt = self._attempt("trial.release", trial, attempt)
        return self.call("trial.release", trial=trial,
                         attempt=attempt)["trial"]

    def enqueue(self, study, params):
        """trial.enqueue -> the queued trial."""
        return self.call("trial.enqueue", study=study, params=params)["trial"]

    def list_trials(self, study, state=None, offset=0, limit=100,
                    intermediate=False):
        """trial.list -> {"trials": [...], "total": n} (one page); with
        `intermediate`, each trial carries its reports."""
        p = {"study": study, "offset": offset, "limit": limit}
        if state is not None:
            p["state"] = state
        if intermediate:
            p["intermediate"] = True
        return self.call("trial.list", **p)

    def iter_trials(self, study, state=None, page=10000, intermediate=False):
        """Every trial of a study (or in one state), by number, paging
        through trial.list."""
        offset = 0
        while True:
            got = self.list_trials(study, state=state, offset=offset,
                                   limit=page, intermediate=intermediate)
            for t in got["trials"]:
                yield t
            offset = got.get("next_offset", offset + len(got["trials"]))
            if not got["trials"] or offset >= got["total"]:
                return

    def get_trial(self, trial):
        """trial.get -> the trial."""
        return self.call("trial.get", trial=trial)["trial"]

    def server_info(self):
        """server.info -> {name, version, protocol, pid, ...}."""
        return self.call("server.info")


def is_listening(path):
    """True when something accepts connections on the Unix socket."""
    s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        s.settimeout(5.0)
        s.connect(path)
        return True
    except OSError as e:
        if e.errno not in (errno.ENOENT, errno.ECONNREFUSED, errno.ENOTSOCK,
                           errno.EACCES, errno.ENOTDIR):
            log.debug("parzen: connect %s: %s", path, e)
        return False
    finally:
        s.close()
