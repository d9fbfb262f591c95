"""Finding and starting parzend.

`find_parzend()` locates the binary. `start()` runs it on a socket and a
database and waits for its readiness notification (READY=1 on
$NOTIFY_SOCKET, the sd_notify protocol), never a sleep.

Two daemons are started from here:

- `private()`: one per process, for `Trials()` (hyperopt's in-memory
  Trials): a temporary directory holds its socket, database and log; it
  runs with --durability normal, is stopped and its directory removed at
  exit, and (on Linux) gets SIGTERM if this process dies first.
- `ensure_default()`: for `Trials(study=...)`: when nothing listens on the
  default socket, parzend is started in the background on the default
  paths and outlives this process; a lock file keeps two processes from
  starting two daemons.
"""
import atexit
import fcntl
import glob
import os
import shlex
import shutil
import signal
import socket as _socket
import subprocess
import sys
import tempfile
import threading
import time

from .client import (Error, NoDaemon, check_socket_dir, is_listening, locate,
                     user_socket)

_HERE = os.path.dirname(os.path.abspath(__file__))


def find_parzend():
    """Path of the parzend binary: $PARZEND; a build tree next to the
    package (../build/daemon/parzend, ../build-*/daemon/parzend, newest
    first); PREFIX/sbin/parzend for an installed package; PATH;
    /usr/local/sbin; /usr/sbin. Raises FileNotFoundError."""
    env = os.environ.get("PARZEND")
    if env:
        return env
    root = os.path.dirname(os.path.dirname(_HERE))  # python/parzen -> top
    builds = [os.path.join(root, "build", "daemon", "parzend")]
    builds += sorted(glob.glob(os.path.join(root, "build-*", "daemon",
                                            "parzend")),
                     key=lambda p: -os.path.getmtime(p))
    for p in builds:
        if os.access(p, os.X_OK):
            return p
    up = _HERE
    for _ in range(6):
        up = os.path.dirname(up)
        p = os.path.join(up, "sbin", "parzend")
        if os.access(p, os.X_OK):
            return p
    p = shutil.which("parzend")
    if p:
        return p
    for p in ("/usr/local/sbin/parzend", "/usr/sbin/parzend"):
        if os.access(p, os.X_OK):
            return p
    raise FileNotFoundError(
        "parzen: cannot find the parzend binary (set $PARZEND, build it "
        "with meson, or install it)")


def default_db():
    """parzend's default database: $XDG_STATE_HOME/parzen/parzen.db, else
    ~/.local/state/parzen/parzen.db."""
    st = os.environ.get("XDG_STATE_HOME")
    if st and st.startswith("/"):
        return os.path.join(st, "parzen", "parzen.db")
    return os.path.join(os.path.expanduser("~"), ".local", "state",
                        "parzen", "parzen.db")


class Daemon:
    """A parzend process started by `start()`."""

    def __init__(self, proc, socket, db, log, workdir=None):
        self.proc = proc
        self.pid = proc.pid
        self.socket = socket
        self.db = db
        self.log = log
        self.workdir = workdir
        self.parent_w = None  # our end of --parent-fd's pipe, if any

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=30.0):
        """SIGTERM, wait (SIGKILL after `timeout`), remove a private
        daemon's directory. Returns the exit status."""
        rc = self.proc.poll()
        if rc is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
            except OSError:
                rc = self.proc.poll()
        if self.parent_w is not None:
            os.close(self.parent_w)
            self.parent_w = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
        return rc

    def read_log(self):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""


def _pdeathsig():
    # Runs in the child between fork and exec: one system call through a
    # function pointer loaded before the fork.
    _prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


try:
    if sys.platform.startswith("linux"):
        import ctypes
        _prctl = ctypes.CDLL(None, use_errno=True).prctl
    else:
        _prctl = None
except (OSError, AttributeError, ImportError):
    _prctl = None


def start(socket, db, log, durability="full", detach=False, args=(),
          timeout=30.0, workdir=None, die_with_parent=False):
    """Run parzend on `socket` and `db`, appending its output to `log`, and
    wait until it is ready. `detach`: in its own session, to outlive this
    process. `die_with_parent`: it stops when this process ends, however
    it ends (it is given the read end of a pipe whose write end only this
    process holds, `--parent-fd`; and, from the main thread on Linux, a
    parent-death SIGTERM too). Raises Error (code None) with the log's
    tail on failure."""
    binary = find_parzend()
    deathsig = (die_with_parent and _prctl is not None and
                threading.current_thread() is threading.main_thread())
    for p in (socket, db, log):
        os.makedirs(os.path.dirname(os.path.abspath(p)), mode=0o700,
                    exist_ok=True)
    ndir = tempfile.mkdtemp(prefix="parzen-notify-")
    npath = os.path.join(ndir, "notify.sock")
    notify = _socket.socket(_socket.AF_UNIX, _socket.SOCK_DGRAM)
    try:
        notify.bind(npath)
        env = dict(os.environ, NOTIFY_SOCKET=npath)
        for k in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
            env.pop(k, None)
        cmd = [binary, "--socket", socket, "--db", db,
               "--durability", durability] + list(args)
        pipe_r = pipe_w = None
        if die_with_parent:
            pipe_r, pipe_w = os.pipe()  # both close-on-exec
            cmd += ["--parent-fd", str(pipe_r)]
        try:
            with open(log, "ab") as out:
                proc = subprocess.Popen(
                    cmd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                    stderr=subprocess.STDOUT, close_fds=True,
                    pass_fds=(pipe_r,) if pipe_r is not None else (),
                    start_new_session=detach,
                    preexec_fn=_pdeathsig if deathsig else None)
        except BaseException:
            if pipe_w is not None:
                os.close(pipe_w)
            raise
        finally:
            if pipe_r is not None:
                os.close(pipe_r)
        d = Daemon(proc, socket, db, log, workdir)
        d.parent_w = pipe_w
        deadline = time.monotonic() + timeout
        while True:
            notify.settimeout(max(0.05, min(0.5, deadline - time.monotonic())))
            try:
                msg = notify.recv(4096).decode(errors="replace")
            except _socket.timeout:
                msg = ""
            if "READY=1" in msg:
                return d
            if proc.poll() is not None or time.monotonic() > deadline:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                if d.parent_w is not None:
                    os.close(d.parent_w)
                    d.parent_w = None
                tail = d.read_log()[-2000:]
                raise Error(None, "parzend (%s) did not start:\n%s"
                            % (binary, tail))
    finally:
        notify.close()
        shutil.rmtree(ndir, ignore_errors=True)


# --- the private daemon ------------------------------------------------------

_private = None
_private_lock = threading.Lock()


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep_stale():
    """Remove private directories left by processes that were killed."""
    for d in glob.glob(os.path.join(tempfile.gettempdir(),
                                    "parzen-private-*-*")):
        try:
            pid = int(os.path.basename(d).split("-")[2])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not _pid_alive(pid):
            shutil.rmtree(d, ignore_errors=True)


def private():
    """This process's private daemon (started on first use): a handle with
    `.socket`. Stopped and removed at exit."""
    global _private
    with _private_lock:
        d = _private
        if d is not None and d.alive() and d.owner == os.getpid():
            return d
        if d is not None and d.owner == os.getpid():
            d.stop()
        _sweep_stale()
        workdir = tempfile.mkdtemp(prefix="parzen-private-%d-" % os.getpid())
        d = start(os.path.join(workdir, "parzend.sock"),
                  os.path.join(workdir, "parzen.db"),
                  os.path.join(workdir, "parzend.log"),
                  durability="normal", args=("--log-level", "warn"),
                  workdir=workdir, die_with_parent=True)
        d.owner = os.getpid()
        _private = d
        return d


def start_private():
    """A new private daemon, not shared: the caller stops it
    (`handle.stop()`), or it is stopped at exit."""
    workdir = tempfile.mkdtemp(prefix="parzen-private-%d-" % os.getpid())
    d = start(os.path.join(workdir, "parzend.sock"),
              os.path.join(workdir, "parzen.db"),
              os.path.join(workdir, "parzend.log"),
              durability="normal", args=("--log-level", "warn"),
              workdir=workdir, die_with_parent=True)
    d.owner = os.getpid()
    _extra.append(d)
    return d


_extra = []


@atexit.register
def _stop_private():
    for d in [_private] + _extra:
        if d is not None and getattr(d, "owner", None) == os.getpid():
            d.stop()


# --- the default daemon ------------------------------------------------------


def ensure_default(socket=None, quiet=False):
    """Make sure a parzend answers, and return its socket path.

    With `socket` (or $PARZEN_SOCKET) that socket only; otherwise the
    discovery order of `client.locate()`: this user's socket, then the
    system socket, so a system service is used rather than a second,
    per-user daemon with another database. When none answers, parzend is
    started in the background on this user's socket and the default
    database, logging to parzend.log next to the database; stderr says
    where it looked, what it started, and how to see it and stop it
    (`parzen status`, `parzen stop`), since it outlives this process. A
    socket directory that fails the safety rules raises UnsafeSocket
    (nothing is started there).
    """
    explicit = socket or os.environ.get("PARZEN_SOCKET")
    if explicit:
        path = explicit
        if is_listening(path):
            return path
        looked = "%s (nothing answers)" % path
    else:
        try:
            s, path = locate(5.0)
            s.close()
            return path
        except NoDaemon as e:
            looked = e.looked
        path = user_socket()
    rundir = os.path.dirname(os.path.abspath(path))
    os.makedirs(rundir, mode=0o700, exist_ok=True)
    check_socket_dir(path, daemon=True)
    lock_path = path + ".lock"
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if is_listening(path):
                return path
            db = default_db()
            log = os.path.join(os.path.dirname(db), "parzend.log")
            d = start(path, db, log, detach=True)
            if not quiet:
                # Said once, when it starts: it outlives this process.
                sock = "" if not socket or \
                    socket == os.environ.get("PARZEN_SOCKET") else \
                    " --socket %s" % shlex.quote(path)
                sys.stderr.write(
                    "parzen: no parzend answered (looked at %s); started "
                    "parzend in the background (pid %d): socket %s, "
                    "database %s, log %s; it keeps running after this "
                    "program: `parzen%s status` shows it, `parzen%s stop` "
                    "stops it\n" % (looked, d.pid, path, db, log, sock, sock))
            return path
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
