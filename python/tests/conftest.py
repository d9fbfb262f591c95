"""Fixtures for the parzen package's tests: a real parzend on a temporary
socket (started with the package's own `parzen.daemon.start`, which waits
for the readiness notification), and a way to run scripts in a fresh
interpreter that imports the package from the source tree."""
import os
import signal
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(HERE)
sys.path.insert(0, PYTHON_DIR)

from parzen import daemon as _daemon  # noqa: E402
from parzen.client import Client  # noqa: E402


class PzDaemon:
    """parzend on a socket and database in a directory; start() again
    after stop() or kill9() reopens the same database."""

    def __init__(self, workdir, durability="normal"):
        self.workdir = str(workdir)
        self.socket = os.path.join(self.workdir, "parzend.sock")
        self.db = os.path.join(self.workdir, "parzen.db")
        self.log = os.path.join(self.workdir, "parzend.log")
        self.durability = durability
        self.handle = None

    def start(self):
        self.handle = _daemon.start(self.socket, self.db, self.log,
                                    durability=self.durability)
        return self

    def stop(self):
        return self.handle.stop() if self.handle else None

    def kill9(self):
        self.handle.proc.send_signal(signal.SIGKILL)
        self.handle.proc.wait()

    def client(self, **kw):
        return Client(self.socket, **kw)

    def env(self, **extra):
        """Environment for a script that uses this daemon."""
        env = dict(os.environ)
        env["PARZEN_SOCKET"] = self.socket
        env["PYTHONPATH"] = PYTHON_DIR + os.pathsep + env.get("PYTHONPATH",
                                                              "")
        env.update(extra)
        return env


@pytest.fixture
def pzd(tmp_path):
    d = PzDaemon(tmp_path).start()
    yield d
    d.stop()


@pytest.fixture
def durable_pzd(tmp_path):
    d = PzDaemon(tmp_path, durability="full").start()
    yield d
    d.stop()


def script_env(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = PYTHON_DIR + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def run_script(code_or_path, *args, env=None, timeout=120, check=True,
               cwd=None):
    """Run Python code (a string) or a script file in a new interpreter
    (in `cwd`); returns the CompletedProcess (text)."""
    if os.path.exists(code_or_path):
        cmd = [sys.executable, code_or_path] + list(args)
    else:
        cmd = [sys.executable, "-c", code_or_path] + list(args)
    p = subprocess.run(cmd, env=env or script_env(), capture_output=True,
                       text=True, timeout=timeout, cwd=cwd)
    if check and p.returncode != 0:
        raise AssertionError("script failed (%d):\nstdout:\n%s\nstderr:\n%s"
                             % (p.returncode, p.stdout, p.stderr))
    return p


def result_line(stdout):
    import json
    for line in stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise AssertionError("no RESULT line in:\n" + stdout)
