"""Throwaway local users and groups for the tests that need a second user
(a hijacker, a victim, a group member), and running commands as them.

Creating users needs root and useradd; `need_users()` skips a test with
the reason otherwise. Users are made once per test session with fixed
names (pzt-*), reused if a killed run left them, and removed at the end.
"""
import os
import pwd
import grp
import shutil
import stat
import subprocess
import tempfile

import pytest

USERS = ("pzt-mallory", "pzt-victim", "pzt-member")
GROUP = "pzt-peers"


def reason_no_users():
    if os.geteuid() != 0:
        return "needs root to create a second user (useradd)"
    for tool in ("useradd", "userdel", "groupadd", "groupdel", "setpriv"):
        if shutil.which(tool) is None and \
                not os.path.exists("/usr/sbin/" + tool):
            return "needs %s" % tool
    return None


def _run(*cmd):
    subprocess.run(list(cmd), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def create():
    """Create the group and the users (pzt-member and pzt-victim in the
    group); return {name: uid}."""
    try:
        grp.getgrnam(GROUP)
    except KeyError:
        _run("groupadd", GROUP)
    out = {}
    for name in USERS:
        try:
            pwd.getpwnam(name)
        except KeyError:
            extra = ["-G", GROUP] if name != "pzt-mallory" else []
            _run("useradd", "--no-create-home", "--home-dir", "/nonexistent",
                 "--shell", "/usr/sbin/nologin", *extra, name)
        out[name] = pwd.getpwnam(name).pw_uid
    return out


def remove():
    for name in USERS:
        subprocess.run(["userdel", name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
    subprocess.run(["groupdel", GROUP], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)


def as_user(name, cmd):
    """`cmd` run as user `name` with its groups, the environment kept."""
    return ["setpriv", "--reuid=" + name, "--regid=" + name,
            "--init-groups", "--"] + list(cmd)


class Shared:
    """A directory every test user can read and enter (0755, root's),
    holding copies of the programs under test: the build tree may sit
    below a directory other users cannot enter."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="pzt-shared-", dir="/tmp")
        os.chmod(self.root, 0o755)

    def copy(self, path, name=None):
        dst = os.path.join(self.root, name or os.path.basename(path))
        if os.path.isdir(path):
            shutil.copytree(path, dst, ignore=shutil.ignore_patterns(
                "__pycache__"))
            for d, dirs, files in os.walk(dst):
                os.chmod(d, 0o755)
                for f in files:
                    os.chmod(os.path.join(d, f), 0o644)
        else:
            shutil.copy2(path, dst)
            os.chmod(dst, 0o755)
        return dst

    def mkdir(self, name, mode=0o755, owner=None):
        d = os.path.join(self.root, name)
        os.mkdir(d)
        os.chmod(d, mode)
        if owner is not None:
            os.chown(d, pwd.getpwnam(owner).pw_uid, -1)
        return d

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def test_users():
    why = reason_no_users()
    if why:
        pytest.skip(why)
    try:
        uids = create()
    except (subprocess.CalledProcessError, OSError) as e:
        pytest.skip("cannot create test users: %s" % (
            getattr(e, "stderr", b"") or e))
    yield uids
    remove()


@pytest.fixture
def shared():
    s = Shared()
    yield s
    s.remove()


def mode_of(path):
    return stat.S_IMODE(os.lstat(path).st_mode)
