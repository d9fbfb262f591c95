"""One discovery order in the CLI (C client) and Python (issue 14 item 5):
$PARZEN_SOCKET alone when set; else the user's socket (where parzend
listens by default); else the system socket /run/parzen/parzend.sock; and
a message listing each place when none answers. The systemd watchdog is
here too: WATCHDOG=1 comes from the loop.

The system-socket tests make /run/parzen themselves and need root; they
are skipped, with the reason, when they cannot or when /run/parzen is
already there (a real service).
"""
import json
import os
import socket
import subprocess
import sys

import pytest

import parzen
from daemon import PARZEND
from users import as_user, shared, test_users  # noqa: F401

CLI = os.environ.get("PARZEN_CLI", "parzen")
PYDIR = os.path.dirname(os.path.dirname(os.path.abspath(parzen.__file__)))
SYSTEM = "/run/parzen/parzend.sock"

WHICH = r'''
import json, sys
import parzen
try:
    info = parzen.Client(retry_timeout=0, connect_timeout=0).server_info()
    print(json.dumps({"socket": info["socket"]}))
except parzen.Error as e:
    print(json.dumps({"error": str(e)}))
'''


class Parzend:
    """parzend started with `args` and `env`, waited for (READY=1)."""

    def __init__(self, workdir, *args, env=None, wrapper=()):
        self.notify_path = os.path.join(str(workdir), "notify-%d.sock"
                                        % id(self))
        n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        n.bind(self.notify_path)
        n.settimeout(30)
        self.notify = n
        env = dict(env if env is not None else os.environ,
                   NOTIFY_SOCKET=self.notify_path)
        self.proc = subprocess.Popen(list(wrapper) + [PARZEND, *args],
                                     env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        try:
            msg = n.recv(4096)
        except socket.timeout:
            msg = b""
        if b"READY=1" not in msg:
            self.stop()
            raise RuntimeError("parzend did not start:\n" + self.out)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.out, _ = self.proc.communicate(timeout=30)
        self.notify.close()
        os.unlink(self.notify_path)
        return self.proc.returncode


def clean_env(**extra):
    env = dict(os.environ)
    for k in ("PARZEN_SOCKET", "XDG_RUNTIME_DIR", "LISTEN_PID",
              "LISTEN_FDS", "NOTIFY_SOCKET", "WATCHDOG_USEC",
              "WATCHDOG_PID"):
        env.pop(k, None)
    env.update(extra)
    return env


def which_py(env, wrapper=()):
    r = subprocess.run(list(wrapper) + ["/usr/bin/python3", "-c", WHICH],
                       env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60,
                       cwd="/")
    assert r.returncode == 0, r
    return json.loads(r.stdout)


def cli(env, *args, wrapper=(), binary=CLI):
    return subprocess.run(list(wrapper) + [binary, *args], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=30)


def test_default_socket_is_where_clients_look_first(tmp_path):
    """parzend with no --socket listens on the user's socket, and the
    CLI and Python both find it there."""
    rt = tmp_path / "rt"
    rt.mkdir(mode=0o700)
    env = clean_env(XDG_RUNTIME_DIR=str(rt),
                    XDG_STATE_HOME=str(tmp_path / "state"))
    d = Parzend(tmp_path, env=env)
    try:
        want = str(rt / "parzen" / "parzend.sock")
        assert which_py(env) == {"socket": want}
        space = json.dumps({"x": {"$hp": "uniform", "label": "x",
                                  "low": 0, "high": 1}})
        r = subprocess.run([CLI, "create", "found", "--space", "-"],
                           input=space, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30)
        assert r.returncode == 0, r
        names = [s["name"] for s in
                 parzen.Client(want).list_studies()]
        assert names == ["found"]
    finally:
        assert d.stop() == 0, d.out


def test_parzen_socket_alone_is_tried(tmp_path):
    """A daemon answers on the user's socket, but $PARZEN_SOCKET names
    another place: both clients fail there instead of drifting."""
    rt = tmp_path / "rt"
    rt.mkdir(mode=0o700)
    env = clean_env(XDG_RUNTIME_DIR=str(rt),
                    XDG_STATE_HOME=str(tmp_path / "state"))
    d = Parzend(tmp_path, env=env)
    try:
        env["PARZEN_SOCKET"] = str(tmp_path / "elsewhere.sock")
        r = cli(env, "ls")
        assert r.returncode == 3, r
        assert "elsewhere.sock" in r.stderr
        got = which_py(env)
        assert "elsewhere.sock" in got.get("error", ""), got
    finally:
        assert d.stop() == 0, d.out


def no_system_socket():
    if os.path.lexists("/run/parzen"):
        pytest.skip("/run/parzen exists here (a real service?)")


def test_message_lists_where_it_looked(tmp_path):
    no_system_socket()
    rt = tmp_path / "rt"
    rt.mkdir(mode=0o700)
    env = clean_env(XDG_RUNTIME_DIR=str(rt))
    places = ("$PARZEN_SOCKET (not set), %s/parzen/parzend.sock (No such "
              "file or directory), %s (No such file or directory)"
              % (rt, SYSTEM))
    r = cli(env, "ls")
    assert r.returncode == 3, r
    assert places in r.stderr, r.stderr
    got = which_py(env)
    assert places in got.get("error", ""), got


@pytest.fixture
def system_dir():
    """/run/parzen made for the test (root only), removed after."""
    if os.geteuid() != 0:
        pytest.skip("needs root to make /run/parzen")
    no_system_socket()
    os.makedirs("/run/parzen", mode=0o755)
    os.chmod("/run/parzen", 0o755)
    yield "/run/parzen"
    subprocess.run(["rm", "-rf", "--", "/run/parzen"], check=False)


def test_system_socket_comes_after_the_users(tmp_path, system_dir):
    rt = tmp_path / "rt"
    rt.mkdir(mode=0o700)
    env = clean_env(XDG_RUNTIME_DIR=str(rt), HOME=str(tmp_path),
                    XDG_STATE_HOME=str(tmp_path / "state"))
    sysd = Parzend(tmp_path, "--socket", SYSTEM, "--db",
                   str(tmp_path / "system.db"), "--socket-mode", "0666",
                   env=clean_env())
    try:
        # No user daemon: both clients reach the system one ...
        assert which_py(env) == {"socket": SYSTEM}
        r = cli(env, "ls", "--json")
        assert r.returncode == 0, r
        # ... and Python's autostart uses it instead of starting a
        # second daemon with another database.
        r = subprocess.run(
            ["/usr/bin/python3", "-c",
             "import parzen.daemon as d; print(d.ensure_default())"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, timeout=60)
        assert r.stdout.strip() == SYSTEM, r
        assert "started parzend" not in r.stderr
        assert not (rt / "parzen").exists()
        # A user daemon comes first once it runs.
        user = Parzend(tmp_path, env=env)
        try:
            want = str(rt / "parzen" / "parzend.sock")
            assert which_py(env) == {"socket": want}
        finally:
            assert user.stop() == 0, user.out
    finally:
        assert sysd.stop() == 0, sysd.out


def test_system_socket_without_permission_says_why(tmp_path, system_dir,
                                                   test_users, shared):
    sysd = Parzend(tmp_path, "--socket", SYSTEM, "--db",
                   str(tmp_path / "system.db"), env=clean_env())
    try:
        binary = shared.copy(CLI, "parzen")
        shared.copy(PYDIR, "python")
        home = shared.mkdir("home", 0o700, owner="pzt-victim")
        env = {"PATH": "/usr/bin:/bin", "HOME": home,
               "PYTHONPATH": os.path.join(shared.root, "python"),
               "PYTHONDONTWRITEBYTECODE": "1",
               "ASAN_OPTIONS": "detect_leaks=0"}
        me = as_user("pzt-victim", [])
        r = cli(env, "ls", wrapper=me, binary=binary)
        assert r.returncode == 3, r
        assert "%s (permission denied" % SYSTEM in r.stderr
        assert "usermod -aG parzen" in r.stderr
        got = which_py(env, wrapper=me)
        assert "%s (permission denied" % SYSTEM in got.get("error", ""), got
    finally:
        assert sysd.stop() == 0, sysd.out


def test_python_autostart_says_where_it_looked(tmp_path):
    no_system_socket()
    rt = tmp_path / "rt"
    rt.mkdir(mode=0o700)
    env = clean_env(XDG_RUNTIME_DIR=str(rt), HOME=str(tmp_path),
                    XDG_STATE_HOME=str(tmp_path / "state"),
                    PARZEND=os.path.abspath(PARZEND))
    r = subprocess.run(
        ["/usr/bin/python3", "-c",
         "import parzen.daemon as d, parzen\n"
         "p = d.ensure_default()\n"
         "c = parzen.Client(p)\n"
         "print(p, c.server_info()['pid'])\n"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        timeout=60)
    assert r.returncode == 0, r
    path, pid = r.stdout.split()
    try:
        assert path == str(rt / "parzen" / "parzend.sock")
        assert "no parzend answered (looked at $PARZEN_SOCKET (not set), " \
            "%s (No such file or directory), %s (No such file or " \
            "directory)); started parzend in the background" % (path, SYSTEM) \
            in r.stderr, r.stderr
    finally:
        os.kill(int(pid), 15)


def test_watchdog_pings_come_from_the_loop(tmp_path):
    """With WATCHDOG_USEC set (as systemd does for WatchdogSec=), parzend
    sends WATCHDOG=1 after READY=1, again and again."""
    notify_path = str(tmp_path / "notify.sock")
    n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    n.bind(notify_path)
    n.settimeout(30)
    env = clean_env(NOTIFY_SOCKET=notify_path, WATCHDOG_USEC="200000")
    p = subprocess.Popen([PARZEND, "--socket", str(tmp_path / "p.sock"),
                          "--db", str(tmp_path / "p.db")], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    try:
        seen = []
        while seen.count("WATCHDOG=1") < 5:
            seen.append(n.recv(4096).decode())
        assert seen[0] == "READY=1", seen
    finally:
        p.terminate()
        out, _ = p.communicate(timeout=30)
        n.close()
    assert p.returncode == 0, out
