"""parzend under systemd's protocols, and its command line.

Socket activation runs the real parzend through systemd-socket-activate
(which listens, and on the first connection execs parzend with the
listening socket as fd 3 and LISTEN_FDS/LISTEN_PID set, as PID 1 does for
parzend.socket). An unusable fd 3 must stop parzend at start with a clear
message and exit status 1. The command line: --help, bad options, the
socket file's mode, and who may connect (SO_PEERCRED, --group).
"""
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

import pytest

from daemon import PARZEND, Connection, Daemon

if os.sep in PARZEND:
    PARZEND = os.path.abspath(PARZEND)  # some tests run in another cwd

ACTIVATE = shutil.which("systemd-socket-activate") or \
    "/usr/bin/systemd-socket-activate"

SPACE = {"x": {"$hp": "uniform", "label": "x", "low": -5, "high": 5},
         "k": {"$hp": "choice", "label": "k", "options": [1, 2, 3]}}


def wait_ready(notify, proc, timeout=30.0):
    """Wait for READY=1 on the bound datagram socket `notify`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        notify.settimeout(0.1)
        try:
            if b"READY=1" in notify.recv(4096):
                return
        except socket.timeout:
            pass
        if proc.poll() is not None:
            raise RuntimeError("exited with %s" % proc.returncode)
    raise RuntimeError("no READY=1 within %ss" % timeout)


def wait_listening(path, proc, timeout=30.0):
    """Wait until something accepts connections on `path`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return
        if proc.poll() is not None:
            raise RuntimeError("exited with %s" % proc.returncode)
        time.sleep(0.01)
    raise RuntimeError("%s did not appear" % path)


# --- socket activation -------------------------------------------------------


@pytest.mark.skipif(not os.access(ACTIVATE, os.X_OK),
                    reason="systemd-socket-activate not installed")
def test_socket_activation(tmp_path):
    sock = str(tmp_path / "activated.sock")
    db = str(tmp_path / "parzen.db")
    notify_path = str(tmp_path / "notify.sock")
    log_path = tmp_path / "parzend.log"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    # The activator passes on no environment but what -E names.
    cmd = [ACTIVATE, "-l", sock, "-E", "NOTIFY_SOCKET=" + notify_path,
           PARZEND, "--db", db, "--log-level", "debug"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_listening(sock, proc)
        # This connection waits in the backlog while parzend starts. (The
        # activator binds before it listens: a connection in between is
        # refused, so try again.)
        deadline = time.monotonic() + 30
        while True:
            try:
                c = Connection(sock, 30)
                break
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        wait_ready(notify, proc)
        info = c.call("server.info")
        assert info["name"] == "parzend" and info["protocol"] == 1
        assert info["pid"] == proc.pid  # the activator exec'd parzend
        assert info["database"] == db
        assert info["socket"] == sock
        st = c.call("study.create", name="act", space=SPACE, algo="tpe",
                    seed=3)["study"]
        assert st["name"] == "act"
        for i in range(25):
            t = c.call("trial.ask", study="act", worker="w")["trial"]
            loss = (t["params"]["x"] - 1) ** 2 + t["params"]["k"]
            c.call("trial.tell", trial=t["id"], status="ok", loss=loss)
        c2 = Connection(sock, 30)
        assert c2.call("study.get", study="act")["study"]["counts"]["ok"] \
            == 25
        assert c2.call("server.info")["connections"] == 2
        c2.close()
        c.close()
        proc.send_signal(15)
        assert proc.wait(30) == 0, log_path.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        notify.close()
    log = log_path.read_text()
    assert "the socket passed by systemd" in log, log
    # parzend did not bind a socket of its own, and did not remove the
    # activator's (systemd owns it; RemoveOnStop= is its business).
    assert os.path.exists(sock)
    assert "/tmp/parzen-" not in log


# A stand-in for PID 1: put `kind` on fd 3, set LISTEN_FDS/LISTEN_PID for
# this very process, and exec parzend (exec keeps the pid).
ACTIVATOR = r"""
import os, socket, sys
kind, n_fds, workdir, parzend = sys.argv[1:5]
if kind == "file":
    fd = os.open(os.path.join(workdir, "regular"), os.O_RDWR | os.O_CREAT)
elif kind == "dgram":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(os.path.join(workdir, "dgram.sock"))
    fd = s.detach()
elif kind == "unlistened":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(os.path.join(workdir, "quiet.sock"))
    fd = s.detach()
elif kind == "tcp":
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen()
    fd = s.detach()
else:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(os.path.join(workdir, "good.sock"))
    s.listen()
    fd = s.detach()
if fd != 3:
    os.dup2(fd, 3)
    os.close(fd)
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = n_fds
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(parzend, [parzend, "--db", os.path.join(workdir, "p.db"),
                   "--socket", os.path.join(workdir, "own.sock")])
"""


@pytest.mark.parametrize("kind, n_fds, words", [
    ("file", "1", "(fd 3) is not a Unix stream socket"),
    ("dgram", "1", "(fd 3) is not a Unix stream socket"),
    ("tcp", "1", "(fd 3) is not a Unix stream socket"),
    ("unlistened", "1", "(fd 3) is not listening"),
    ("good", "2", "passed 2 sockets; parzend takes one"),
])
def test_unusable_passed_fd_refuses_to_start(tmp_path, kind, n_fds, words):
    p = subprocess.run([sys.executable, "-c", ACTIVATOR, kind, n_fds,
                        str(tmp_path), PARZEND],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30, check=False)
    err = p.stderr.decode()
    assert p.returncode == 1, (p.returncode, err)
    assert words in err, err
    assert "error" in err
    # It neither fell back to a socket of its own nor said it was ready.
    assert not os.path.exists(tmp_path / "own.sock")
    assert "listening on" not in err


def test_passed_fd_for_another_pid_is_ignored(tmp_path):
    # LISTEN_PID names some other process: the variables are not for us,
    # so parzend listens on --socket as usual.
    env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID="1")
    d = Daemon(tmp_path)
    old = os.environ.copy()
    os.environ.update(env)
    try:
        d.start()
    finally:
        os.environ.clear()
        os.environ.update(old)
    try:
        c = d.connect()
        assert c.call("server.info")["socket"] == d.socket
        c.close()
    finally:
        assert d.stop() == 0, d.read_log()


# --- command line ------------------------------------------------------------


def run(*args, **kw):
    return subprocess.run([PARZEND] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=30, check=False,
                          **kw)


def test_help_and_version():
    p = run("--help")
    assert p.returncode == 0
    out = p.stdout.decode()
    assert out.startswith("usage: parzend")
    for opt in ("--socket", "--db", "--durability", "--max-line",
                "--socket-mode", "--group", "--log-level"):
        assert opt in out
    assert p.stderr == b""
    assert run("-h").returncode == 0
    p = run("--version")
    assert p.returncode == 0 and p.stdout.decode().startswith("parzend ")


@pytest.mark.parametrize("args, words", [
    (["--bogus"], "usage: parzend"),
    (["-x"], "usage: parzend"),
    (["extra"], "unexpected argument 'extra'"),
    (["--durability", "maybe"], "--durability must be full or normal"),
    (["--max-line", "5"], "--max-line must be"),
    (["--max-line", "12ab"], "--max-line must be"),
    (["--socket-mode", "0999"], "--socket-mode must be"),
    (["--socket-mode", "1777"], "--socket-mode must be"),
    (["--group", "no-such-group-here"], "no group named"),
    (["--log-level", "loud"], "--log-level must be"),
    (["--db"], "usage: parzend"),
])
def test_usage_errors_exit_2(tmp_path, args, words):
    p = run(*args, cwd=tmp_path)
    assert p.returncode == 2, (args, p.returncode, p.stderr)
    assert words in p.stderr.decode(), p.stderr
    assert p.stdout == b""
    assert os.listdir(tmp_path) == []  # nothing was created


def test_start_up_error_exits_1(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    # The database's directory cannot be made: a file is in the way.
    p = run("--socket", str(tmp_path / "s.sock"),
            "--db", str(blocker / "sub" / "p.db"))
    assert p.returncode == 1, p.stderr
    assert b"error" in p.stderr


def test_second_daemon_on_the_same_socket_exits_1(daemon, tmp_path):
    p = run("--socket", daemon.socket, "--db", str(tmp_path / "other.db"))
    assert p.returncode == 1
    assert b"another parzend is listening on" in p.stderr
    c = daemon.connect()
    assert c.call("server.info")["name"] == "parzend"
    c.close()


def test_socket_mode_default_0600(tmp_path):
    nested = tmp_path / "run" / "parzen"
    d = Daemon(tmp_path, "--socket", str(nested / "p.sock"))
    d.start()
    try:
        mode = stat.S_IMODE(os.stat(nested / "p.sock").st_mode)
        assert mode == 0o600, oct(mode)
        assert stat.S_ISSOCK(os.stat(nested / "p.sock").st_mode)
        # Directories parzend creates are private too.
        assert stat.S_IMODE(os.stat(nested).st_mode) == 0o700
        c = Connection(str(nested / "p.sock"))
        assert c.call("server.info")["socket"] == str(nested / "p.sock")
        c.close()
    finally:
        assert d.stop() == 0, d.read_log()
    assert not os.path.exists(nested / "p.sock")


def test_socket_mode_option(tmp_path):
    d = Daemon(tmp_path, "--socket-mode", "0660").start()
    try:
        mode = stat.S_IMODE(os.stat(d.socket).st_mode)
        assert mode == 0o660, oct(mode)
    finally:
        assert d.stop() == 0, d.read_log()


# --- who may connect -----------------------------------------------------------

PEER = r"""
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(sys.argv[1])
data = b""
try:
    s.sendall(b'{"jsonrpc": "2.0", "id": 1, "method": "server.info"}\n')
    while not data.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except (BrokenPipeError, ConnectionResetError):
    pass
print("ANSWERED" if b'"parzend"' in data else "REFUSED")
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch uid")
def test_group_admits_supplementary_members():
    """--group admits a peer whose primary group differs but who is a
    member (usermod -aG), as a worker of the systemd unit would be; a peer
    of another uid without the group is refused."""
    import grp
    try:
        gid = grp.getgrnam("users").gr_gid
    except KeyError:
        pytest.skip("no group 'users'")
    nobody = 65534
    work = tempfile.mkdtemp(prefix="pz-peer-")
    try:
        os.chmod(work, 0o755)
        d = Daemon(work, "--group", "users", "--socket-mode", "0666")
        d.start()
        try:
            def peer(**kw):
                p = subprocess.run(
                    [sys.executable, "-c", PEER, d.socket],
                    user=nobody, group=nobody, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, timeout=30, check=False, **kw)
                return p.stdout.decode().strip() or p.stderr.decode()
            assert peer(extra_groups=[gid]) == "ANSWERED", d.read_log()
            assert peer(extra_groups=[]) == "REFUSED"
            assert "refused a connection from uid 65534" in d.read_log()
        finally:
            assert d.stop() == 0, d.read_log()
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch uid")
def test_other_uid_refused_without_group(tmp_path):
    work = tempfile.mkdtemp(prefix="pz-peer-")
    try:
        os.chmod(work, 0o755)
        d = Daemon(work, "--socket-mode", "0666").start()
        try:
            p = subprocess.run([sys.executable, "-c", PEER, d.socket],
                               user=65534, group=65534, extra_groups=[],
                               stdout=subprocess.PIPE, timeout=30,
                               check=False)
            assert p.stdout.decode().strip() == "REFUSED"
            c = d.connect()  # root is always admitted
            assert c.call("server.info")["name"] == "parzend"
            c.close()
        finally:
            assert d.stop() == 0, d.read_log()
    finally:
        shutil.rmtree(work, ignore_errors=True)
