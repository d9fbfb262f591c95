"""The socket cannot be hijacked and --socket/--db never damage a file
(issue 8, items 3 and 4; --group of item 12).

Each test runs the real parzend, the real CLI and the Python client; the
hijack tests use throwaway users (users.py) and are skipped, with the
reason, where they cannot be created.
"""
import os
import socket
import stat
import subprocess
import sys
import time

import pytest

import parzen
from daemon import PARZEND, Daemon
from users import as_user, mode_of, shared, test_users  # noqa: F401

CLI = os.environ.get("PARZEN_CLI", "parzen")
SHIM = os.environ.get("PARZEN_BIND_SHIM", "")
# The Python package under test (the one on PYTHONPATH), copied for the
# test users.
PYDIR = os.path.dirname(os.path.dirname(os.path.abspath(parzen.__file__)))


def run_parzend(*args, env=None, timeout=30):
    """Run parzend expecting it to refuse to start: (status, output)."""
    p = subprocess.run([PARZEND, *args], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout, text=True,
                       check=False)
    return p.returncode, p.stdout


def stale_socket(path):
    """A socket file nobody listens on (what a crash leaves)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.close()


# --- --socket never deletes what is not its own stale socket ---------------


def test_socket_path_of_a_regular_file_is_not_deleted(tmp_path):
    thesis = tmp_path / "thesis.tex"
    thesis.write_text("chapter 1\n")
    rc, out = run_parzend("--socket", str(thesis), "--db",
                          str(tmp_path / "p.db"))
    assert rc == 1, out
    assert "is a regular file, not a socket" in out
    assert thesis.read_text() == "chapter 1\n"


def test_socket_path_of_a_symlink_is_not_deleted(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("keep\n")
    link = tmp_path / "parzend.sock"
    link.symlink_to(target)
    rc, out = run_parzend("--socket", str(link), "--db",
                          str(tmp_path / "p.db"))
    assert rc == 1, out
    assert "symbolic link" in out
    assert os.path.islink(link) and target.read_text() == "keep\n"


def test_socket_of_another_user_is_not_deleted(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to give a socket to another user")
    path = tmp_path / "parzend.sock"
    stale_socket(path)
    os.chown(path, 65534, 65534)
    rc, out = run_parzend("--socket", str(path), "--db",
                          str(tmp_path / "p.db"))
    assert rc == 1, out
    assert "not ours" in out
    st = os.lstat(path)
    assert stat.S_ISSOCK(st.st_mode) and st.st_uid == 65534


def test_live_socket_is_not_deleted(tmp_path):
    path = tmp_path / "parzend.sock"
    live = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    live.bind(str(path))
    live.listen(4)
    try:
        rc, out = run_parzend("--socket", str(path), "--db",
                              str(tmp_path / "p.db"))
        assert rc == 1, out
        assert "another parzend is listening" in out
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(str(path))  # still the same listener
        c.close()
    finally:
        live.close()


def test_own_stale_socket_is_replaced(tmp_path):
    stale_socket(tmp_path / "parzend.sock")
    d = Daemon(tmp_path).start()
    try:
        assert d.connect().call("server.info")["name"] == "parzend"
    finally:
        assert d.stop() == 0
    # Gone at exit: it was ours.
    assert not os.path.exists(tmp_path / "parzend.sock")


def test_socket_swapped_after_bind_is_not_followed(tmp_path):
    """Another writer swaps the fresh socket for a symlink right after
    bind (LD_PRELOAD shim): parzend must not chmod through it."""
    if not SHIM or not os.path.exists(SHIM):
        pytest.skip("bind_shim not built")
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    os.chmod(victim, 0o644)
    env = dict(os.environ, LD_PRELOAD=SHIM, PZ_SHIM_VICTIM=str(victim),
               PZ_SHIM_NAME="/swapped.sock",
               ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=0")
    sock = tmp_path / "swapped.sock"
    p = subprocess.Popen([PARZEND, "--socket", str(sock), "--db",
                          str(tmp_path / "p.db")], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    try:
        out, _ = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.terminate()
        out, _ = p.communicate()
        pytest.fail("parzend kept running on a swapped socket:\n" + out)
    assert mode_of(victim) == 0o644, "chmod followed the symlink"
    assert p.returncode == 1, out
    assert "replaced right after bind" in out
    assert os.path.islink(sock)  # not ours: left alone


def test_dangling_db_symlink_is_not_followed(tmp_path):
    target = tmp_path / "elsewhere" / "created.db"
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "parzen.db"
    link.symlink_to(target)
    rc, out = run_parzend("--socket", str(tmp_path / "s.sock"), "--db",
                          str(link))
    assert rc == 1, out
    assert "symbolic link" in out and "does not exist" in out
    assert not target.exists()
    assert not os.path.exists(tmp_path / "s.sock")


# --- unsafe socket directories ----------------------------------------------


@pytest.mark.parametrize("mode", [0o777, 0o770])
def test_daemon_refuses_a_directory_others_may_write(tmp_path, mode):
    d = tmp_path / "run"
    d.mkdir()
    os.chmod(d, mode)
    rc, out = run_parzend("--socket", str(d / "parzend.sock"), "--db",
                          str(tmp_path / "p.db"))
    assert rc == 1, out
    assert "unsafe socket directory %s" % d in out
    assert not os.path.exists(d / "parzend.sock")


def test_daemon_refuses_a_symlinked_directory(tmp_path):
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(real)
    rc, out = run_parzend("--socket", str(tmp_path / "link" / "p.sock"),
                          "--db", str(tmp_path / "p.db"))
    assert rc == 1, out
    assert "is a symbolic link" in out
    assert os.listdir(real) == []


def _cli(*args, env):
    return subprocess.run([CLI, *args], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=30,
                          check=False)


def _py(code, env):
    return subprocess.run([sys.executable, "-c", code], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=60, check=False)


def test_clients_refuse_a_directory_others_may_write(tmp_path):
    """A daemon is really listening, but in a directory anyone could have
    put their own socket in: neither client talks to it."""
    d = Daemon(tmp_path).start()
    try:
        os.chmod(tmp_path, 0o777)
        env = dict(os.environ, PARZEN_SOCKET=d.socket,
                   PYTHONPATH=PYDIR)
        r = _cli("ls", env=env)
        assert r.returncode == 3, r
        assert "unsafe socket directory %s" % tmp_path in r.stderr
        r = _py("import parzen\n"
                "try:\n"
                "    parzen.Client(retry_timeout=0).list_studies()\n"
                "except parzen.client.UnsafeSocket as e:\n"
                "    print('REFUSED', e)\n", env)
        assert "REFUSED unsafe socket directory %s" % tmp_path in r.stdout, r
    finally:
        os.chmod(tmp_path, 0o700)
        assert d.stop() == 0


# --- another user pre-creates the fallback directory (the hijack) ----------

LISTENER = r'''
import os, socket, sys
d = sys.argv[1]
os.mkdir(d)
os.chmod(d, 0o777)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(os.path.join(d, "parzend.sock"))
os.chmod(os.path.join(d, "parzend.sock"), 0o777)
s.listen(8)
print("READY", flush=True)
while True:
    c, _ = s.accept()
    c.settimeout(5)
    try:
        data = c.recv(65536)
    except OSError:
        data = b""
    print("GOT", data[:200], flush=True)
    c.close()
'''


@pytest.fixture
def hijacker(test_users, shared):
    """pzt-mallory owns /tmp/parzen-<victim uid> (mode 0777); with
    listen=True she also listens on parzend.sock there. Yields a
    function that starts her; the test reads what she received."""
    uid = test_users["pzt-victim"]
    d = "/tmp/parzen-%d" % uid
    if os.path.lexists(d):
        subprocess.run(["rm", "-rf", "--", d], check=True)
    procs = []

    def start(listen=True):
        if not listen:
            subprocess.run(as_user("pzt-mallory", [
                "sh", "-c", 'mkdir "$1" && chmod 0777 "$1"', "sh", d]),
                check=True)
            return None
        p = subprocess.Popen(as_user("pzt-mallory", [
            "/usr/bin/python3", "-c", LISTENER, d]),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            cwd="/")
        procs.append(p)
        assert p.stdout.readline().strip() == "READY"
        return p

    yield d, start
    for p in procs:
        p.kill()
        p.wait()
    subprocess.run(["rm", "-rf", "--", d], check=False)


def victim_env(shared, home):
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8",
           "PYTHONPATH": os.path.join(shared.root, "python"),
           "PYTHONDONTWRITEBYTECODE": "1",
           "ASAN_OPTIONS": "detect_leaks=0"}
    return env


def received(listener):
    listener.kill()
    out, _ = listener.communicate(timeout=10)
    return [line for line in out.splitlines() if line.startswith("GOT")]


def test_cli_refuses_a_hijacked_fallback_directory(test_users, shared,
                                                   hijacker):
    d, start = hijacker
    listener = start()
    cli = shared.copy(CLI, "parzen")
    home = shared.mkdir("home", 0o700, owner="pzt-victim")
    p = subprocess.run(as_user("pzt-victim", [cli, "ls"]),
                       env=victim_env(shared, home), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=30)
    assert received(listener) == [], "the CLI talked to the hijacker"
    assert p.returncode == 3, p
    assert "unsafe socket directory %s" % d in p.stderr
    assert "pzt-mallory" in p.stderr


def test_python_refuses_a_hijacked_fallback_directory(test_users, shared,
                                                      hijacker):
    d, start = hijacker
    listener = start()
    shared.copy(PYDIR, "python")
    home = shared.mkdir("home", 0o700, owner="pzt-victim")
    code = ("import parzen\n"
            "try:\n"
            "    parzen.Client(retry_timeout=0).list_studies()\n"
            "except parzen.client.UnsafeSocket as e:\n"
            "    print('REFUSED', e)\n")
    p = subprocess.run(as_user("pzt-victim", ["/usr/bin/python3", "-c",
                                              code]),
                       env=victim_env(shared, home), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60,
                       cwd="/")
    assert received(listener) == [], "Python talked to the hijacker"
    assert "REFUSED unsafe socket directory %s" % d in p.stdout, p


def test_daemon_refuses_a_hijacked_fallback_directory(test_users, shared,
                                                      hijacker):
    """The directory is there but nobody listens yet: the victim's
    parzend must not make its socket where mallory can replace it."""
    d, start = hijacker
    start(listen=False)
    binary = shared.copy(PARZEND, "parzend")
    home = shared.mkdir("home", 0o700, owner="pzt-victim")
    p = subprocess.Popen(as_user("pzt-victim", [binary]),
                         env=victim_env(shared, home), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, cwd="/")
    try:
        out, _ = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.terminate()
        out, _ = p.communicate()
        pytest.fail("parzend started in mallory's directory:\n" + out)
    assert p.returncode == 1, out
    assert "unsafe socket directory %s" % d in out
    assert not os.path.exists(os.path.join(d, "parzend.sock"))


# --- --group: a directory the daemon makes itself --------------------------


def test_group_works_when_the_daemon_creates_the_directory(test_users,
                                                           shared):
    """parzend (root here) makes the socket's directories with --group;
    a member of the group (pzt-member) connects, from the CLI and from
    Python, and someone outside it (pzt-mallory) cannot."""
    sock = os.path.join(shared.root, "new", "run", "parzend.sock")
    state = shared.mkdir("state", 0o700)
    notify = os.path.join(state, "notify.sock")
    n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    n.bind(notify)
    n.settimeout(30)
    p = subprocess.Popen([PARZEND, "--socket", sock, "--db",
                          os.path.join(state, "p.db"), "--group",
                          "pzt-peers"],
                         env=dict(os.environ, NOTIFY_SOCKET=notify),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    try:
        assert b"READY=1" in n.recv(4096)
        for d in (os.path.dirname(sock), os.path.dirname(os.path.dirname(
                sock))):
            st = os.stat(d)
            assert stat.S_IMODE(st.st_mode) == 0o750, oct(st.st_mode)
        cli = shared.copy(CLI, "parzen")
        shared.copy(PYDIR, "python")
        home = shared.mkdir("home", 0o755)
        env = dict(victim_env(shared, home), PARZEN_SOCKET=sock)
        r = subprocess.run(as_user("pzt-member", [cli, "ls"]), env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=30)
        assert r.returncode == 0, r
        r = subprocess.run(as_user("pzt-member", [
            "/usr/bin/python3", "-c",
            "import parzen; print(parzen.Client().server_info()['name'])"]),
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, timeout=30, cwd="/")
        assert r.stdout.strip() == "parzend", r
        r = subprocess.run(as_user("pzt-mallory", [cli, "ls"]), env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=30)
        assert r.returncode == 3, r
    finally:
        n.close()
        p.terminate()
        out, _ = p.communicate(timeout=30)
    assert p.returncode == 0, out
