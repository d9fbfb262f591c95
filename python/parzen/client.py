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
import grp as _grp
import json
import logging
import os
import pwd as _pwd
import socket as _socket
import stat as _stat
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


SYSTEM_SOCKET = "/run/parzen/parzend.sock"
_PATH_MAX = 107  # sockaddr_un.sun_path, without its NUL


class UnsafeSocket(Error):
    """The socket's directory is one that another user could control
    (docs/cli.md, "Where parzen looks for parzend"): nothing was sent."""

    def __init__(self, message):
        Error.__init__(self, None, message)


class NoDaemon(ConnectionError):
    """No parzend answered at any place of the discovery order; the
    message lists each place and what was there (`looked`: that list)."""

    def __init__(self, message, looked=""):
        super().__init__(message)
        self.looked = looked


def user_socket():
    """This user's socket, where parzend listens by default:
    $XDG_RUNTIME_DIR/parzen/parzend.sock; without XDG_RUNTIME_DIR,
    /run/user/UID/parzen/parzend.sock when /run/user/UID is this user's
    directory, else /tmp/parzen-UID/parzend.sock. The same rule as the C
    client's pz_client_user_socket() and parzend's default."""
    rt = os.environ.get("XDG_RUNTIME_DIR")
    if rt and rt.startswith("/"):
        return os.path.join(rt, "parzen", "parzend.sock")
    uid = os.getuid()
    run_user = "/run/user/%d" % uid
    try:
        st = os.lstat(run_user)
        if _stat.S_ISDIR(st.st_mode) and st.st_uid == uid:
            return os.path.join(run_user, "parzen", "parzend.sock")
    except OSError:
        pass
    return "/tmp/parzen-%d/parzend.sock" % uid


def default_socket():
    """The first place of the discovery order: $PARZEN_SOCKET when set,
    else `user_socket()`. (A `Client()` given no socket also tries the
    system socket, SYSTEM_SOCKET, when the user's does not answer.)"""
    return os.environ.get("PARZEN_SOCKET") or user_socket()


def _who(uid):
    try:
        return "user %s (uid %d)" % (_pwd.getpwuid(uid).pw_name, uid)
    except KeyError:
        return "uid %d" % uid


def _group(gid):
    try:
        return "group %s (gid %d)" % (_grp.getgrgid(gid).gr_name, gid)
    except KeyError:
        return "gid %d" % gid


class _SocketDir:
    """The checked directory of a socket path, held open (O_PATH) so that
    the socket is reached through it (/proc/self/fd/N/NAME): what was
    checked is what is used. The rules are those of <parzen/sockdir.h>;
    `daemon` applies parzend's (for the directory a daemon is started
    in), `gid` is its --group."""

    def __init__(self, path, daemon=False, gid=-1):
        if not path or len(os.fsencode(path)) > _PATH_MAX:
            raise Error(None, "socket path must be 1 to %d bytes: %r"
                        % (_PATH_MAX, path))
        d, self.name = os.path.split(path)
        d = d or "."
        if not self.name or self.name in (".", ".."):
            raise Error(None, "socket path names a directory: %r" % path)
        self.path = path
        self.dir = d
        self.shared = False
        try:
            self.fd = os.open(d, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW |
                              os.O_CLOEXEC)
        except FileNotFoundError:
            raise  # nobody there: the caller's "not found"
        except OSError as e:
            if e.errno in (errno.ENOTDIR, errno.ELOOP) and os.path.islink(d):
                raise UnsafeSocket(
                    "unsafe socket directory %s: it is a symbolic link, "
                    "which could be pointed elsewhere; use the real "
                    "directory" % d) from None
            raise
        try:
            self._judge(os.fstat(self.fd), daemon, gid)
        except BaseException:
            os.close(self.fd)
            raise
        proc = "/proc/self/fd/%d" % self.fd
        self.addr = path
        try:
            via = os.stat(proc)
            st = os.fstat(self.fd)
            if (via.st_dev, via.st_ino) == (st.st_dev, st.st_ino) and \
                    len(os.fsencode(proc + "/" + self.name)) <= _PATH_MAX:
                self.addr = proc + "/" + self.name
        except OSError:
            pass

    def _judge(self, st, daemon, gid):
        d = self.dir
        me = os.geteuid()
        if st.st_uid not in (me, 0):
            placed = False
            if not daemon:
                try:
                    p = os.stat("..", dir_fd=self.fd)
                    placed = p.st_uid == 0 and not p.st_mode & 0o022
                except OSError:
                    pass
            if not placed:
                raise UnsafeSocket(
                    "unsafe socket directory %s: it belongs to %s, not to "
                    "you or root, who could listen there in parzend's "
                    "place; remove it, or choose another socket (socket=, "
                    "PARZEN_SOCKET)" % (d, _who(st.st_uid)))
        mode = _stat.S_IMODE(st.st_mode)
        if mode & 0o002:
            if not mode & _stat.S_ISVTX or st.st_uid != 0:
                raise UnsafeSocket(
                    "unsafe socket directory %s: every user may write to "
                    "it (mode %04o), so anyone could put a socket of their "
                    "own there; use a directory only you can write to "
                    "(chmod o-w %s)" % (d, mode, d))
            self.shared = True
        if mode & 0o020 and not self.shared:
            if daemon:
                ok = gid >= 0 and st.st_gid == gid
            else:
                ok = st.st_gid == os.getegid() or st.st_gid in os.getgroups()
            if not ok:
                raise UnsafeSocket(
                    "unsafe socket directory %s: %s may write to it (mode "
                    "%04o), and %s; use a directory only you can write to "
                    "(chmod g-w %s)" % (
                        d, _group(st.st_gid), mode,
                        "parzend was not given --group for it" if daemon
                        else "you are not one of its members", d))

    def check_socket(self):
        """In a shared (sticky) directory, only a socket of yours or
        root's. FileNotFoundError when there is none."""
        st = os.stat(self.name, dir_fd=self.fd, follow_symlinks=False)
        if not self.shared:
            return
        if not _stat.S_ISSOCK(st.st_mode):
            raise UnsafeSocket("%s is not a socket" % self.path)
        if st.st_uid not in (os.geteuid(), 0):
            raise UnsafeSocket(
                "refusing %s: it belongs to %s, in a directory every user "
                "may write to; use a socket in a directory of your own"
                % (self.path, _who(st.st_uid)))

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def check_socket_dir(path, daemon=False, gid=-1):
    """Raise UnsafeSocket if the directory of the socket `path` fails the
    rules of docs/cli.md; FileNotFoundError when it does not exist."""
    _SocketDir(path, daemon, gid).close()


def connect_unix(path, timeout=None):
    """A connected socket to `path`, after checking its directory.
    Raises UnsafeSocket, or OSError (FileNotFoundError,
    ConnectionRefusedError, PermissionError, ...) when nobody answers."""
    d = _SocketDir(path)
    try:
        d.check_socket()
        s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            s.settimeout(timeout)
            s.connect(d.addr)
        except BaseException:
            s.close()
            raise
        return s
    finally:
        d.close()


def _why(e):
    """What an OSError says, without its errno number and path."""
    return os.strerror(e.errno) if getattr(e, "errno", None) else str(e)


def locate(timeout=None):
    """Find parzend by the discovery order (docs/cli.md): $PARZEN_SOCKET
    alone when set; else this user's socket, then the system socket.
    Returns (connected socket, path); raises NoDaemon, listing where it
    looked, when none answers, and UnsafeSocket at an unsafe directory."""
    env = os.environ.get("PARZEN_SOCKET")
    if env:
        try:
            return connect_unix(env, timeout), env
        except OSError as e:
            where = "%s ($PARZEN_SOCKET: %s)" % (env, _why(e))
            raise NoDaemon("no parzend answers at " + where, where) from None
    looked = []
    for path in (user_socket(), SYSTEM_SOCKET):
        try:
            return connect_unix(path, timeout), path
        except PermissionError as e:
            why = _why(e)
            if path == SYSTEM_SOCKET:
                why = ("permission denied: the system service admits members "
                       "of its group; ask for `usermod -aG parzen $USER` and "
                       "log in again")
            looked.append("%s (%s)" % (path, why))
        except OSError as e:
            looked.append("%s (%s)" % (path, _why(e)))
    where = "$PARZEN_SOCKET (not set), " + ", ".join(looked)
    raise NoDaemon("no parzend answers; looked at %s. Start one (parzend &, "
                   "or systemctl --user start parzend.socket) or set "
                   "PARZEN_SOCKET" % where, where)


class Client:
    """A connection to parzend.

    socket: the socket path (None: the discovery order of `locate()`,
        resolved at the first connection and kept from then on, so a
        client never drifts to another daemon).
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
        self._discover = not socket and not os.environ.get("PARZEN_SOCKET")
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
        if self._discover and not self._connected_once:
            s, self.socket = locate(self.timeout)
        else:
            s = connect_unix(self.socket, self.timeout)
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
                    if isinstance(problem, NoDaemon):
                        raise Unavailable(str(problem), calls[todo[0]][0]) \
                            from problem
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

    # A request line may hold 1 MiB (parzend's default --max-line): a
    # history is imported in parts of at most this many bytes each.
    IMPORT_PART_BYTES = 512 * 1024

    def import_study(self, trials, **params):
        """study.import -> the study object: `trials` (numbered 0..n-1)
        with the study's definition in `params` (name, space, algo, seed,
        config, ...). A long history goes in parts (study.import's
        `offset`), each answered after its commit; a part that arrived
        twice acts once, so with exist_ok=True the whole import can be
        sent again after a failure and goes on where it stopped."""
        parts, part, size = [], [], 0
        for t in trials:
            n = len(_encode(t))
            if part and size + n > self.IMPORT_PART_BYTES:
                parts.append(part)
                part, size = [], 0
            part.append(t)
            size += n + 1
        parts.append(part)
        offset = 0
        for part in parts:
            p = dict(params, trials=part)
            if len(parts) > 1:
                p["offset"] = offset  # one part of a longer history
            study = self.call("study.import", **p)["study"]
            offset += len(part)
        return study

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
    """True when something accepts connections on the Unix socket `path`
    (after the directory check: UnsafeSocket propagates)."""
    try:
        connect_unix(path, 5.0).close()
        return True
    except OSError as e:
        if e.errno not in (errno.ENOENT, errno.ECONNREFUSED, errno.ENOTSOCK,
                           errno.EACCES, errno.ENOTDIR):
            log.debug("parzen: connect %s: %s", path, e)
        return False
