"""Workers on another host through an OpenSSH-forwarded Unix socket
(issue 14 item 6; README "Workers on other hosts").

A real sshd (Debian's openssh-server) listens on a loopback port with a
throwaway host key and accepts a throwaway user key; `ssh -N -L
LOCAL:REMOTE` forwards a local socket to parzend's, as on a worker host.
Two `parzen worker`s run a study through the forward; midway the forward
is killed and started again, the workers reconnect, and the study ends
with every trial told exactly once. Skipped, with the reason, without
sshd or ssh.
"""
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from daemon import Daemon

CLI = os.environ.get("PARZEN_CLI", "parzen")
SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
SSH = shutil.which("ssh") or "/usr/bin/ssh"
KEYGEN = shutil.which("ssh-keygen") or "/usr/bin/ssh-keygen"
N_TRIALS = 40

# Each trial: a loss from the params, after a short run, so that the
# forward breaks while trials are in flight.
JOB = r'''
import json, os, time
p = json.loads(os.environ["PARZEN_PARAMS"])
time.sleep(0.05)
print((p["x"] - 0.25) ** 2)
'''


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Lines:
    """Collect a pipe's lines in a thread; wait for one that matches."""

    def __init__(self, pipe):
        self.lines = []
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(pipe,),
                                       daemon=True)
        self.thread.start()

    def _read(self, pipe):
        for raw in pipe:
            line = raw.decode(errors="replace") if isinstance(raw, bytes) \
                else raw
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)  # end of file
            self.cond.notify_all()

    def wait_for(self, pattern, timeout=30.0, start=0):
        """Index of the first line from `start` matching `pattern`."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            i = start
            while True:
                while i < len(self.lines):
                    line = self.lines[i]
                    if line is None:
                        raise AssertionError(
                            "ended before /%s/:\n%s" % (pattern,
                                                        self.text()))
                    if rx.search(line):
                        return i
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no /%s/ within %ss:\n%s"
                                         % (pattern, timeout, self.text()))
                self.cond.wait(left)

    def text(self):
        return "\n".join(x for x in self.lines if x is not None)


class SshServer:
    def __init__(self, workdir):
        self.dir = workdir
        self.port = free_port()
        self.user = pwd.getpwuid(os.getuid()).pw_name
        host_key = os.path.join(workdir, "host_key")
        self.user_key = os.path.join(workdir, "user_key")
        for key in (host_key, self.user_key):
            subprocess.run([KEYGEN, "-q", "-t", "ed25519", "-N", "", "-f",
                            key], check=True)
        shutil.copy(self.user_key + ".pub",
                    os.path.join(workdir, "authorized_keys"))
        with open(host_key + ".pub") as f:
            pub = f.read().split()
        self.known_hosts = os.path.join(workdir, "known_hosts")
        with open(self.known_hosts, "w") as f:
            f.write("[127.0.0.1]:%d %s %s\n" % (self.port, pub[0], pub[1]))
        self.config = os.path.join(workdir, "sshd_config")
        with open(self.config, "w") as f:
            f.write("\n".join([
                "Port %d" % self.port,
                "ListenAddress 127.0.0.1",
                "HostKey " + host_key,
                "PidFile " + os.path.join(workdir, "sshd.pid"),
                "AuthorizedKeysFile " + os.path.join(workdir,
                                                     "authorized_keys"),
                "StrictModes no",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM yes",
                "PermitRootLogin prohibit-password",
                "AllowStreamLocalForwarding local",
                "AllowTcpForwarding local",  # else sshd denies every path
                "X11Forwarding no",
                "PermitTTY no",
                "LogLevel VERBOSE",
                ""]))

    def start(self):
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", self.config],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self.log = Lines(self.proc.stderr)
        self.log.wait_for(r"Server listening on 127\.0\.0\.1 port %d"
                          % self.port)
        return self

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(30)


class Forward:
    """`ssh -N -L local:remote`, ready once ssh says it listens."""

    def __init__(self, server, local, remote):
        self.server, self.local, self.remote = server, local, remote

    def start(self):
        s = self.server
        self.proc = subprocess.Popen(
            [SSH, "-N", "-v", "-F", "/dev/null",
             "-o", "BatchMode=yes",
             "-o", "StrictHostKeyChecking=yes",
             "-o", "UserKnownHostsFile=" + s.known_hosts,
             "-o", "IdentitiesOnly=yes", "-i", s.user_key,
             "-o", "ExitOnForwardFailure=yes",
             "-o", "StreamLocalBindUnlink=yes",
             "-o", "StreamLocalBindMask=0177",
             "-o", "ServerAliveInterval=5",
             "-p", str(s.port),
             "-L", "%s:%s" % (self.local, self.remote),
             "%s@127.0.0.1" % s.user],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        self.log = Lines(self.proc.stderr)
        try:
            self.log.wait_for(r"Local forwarding listening on path "
                              + re.escape(self.local))
        except AssertionError as e:
            self.stop()
            raise AssertionError("%s\nsshd:\n%s" % (e, s.log.text()))
        return self

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(30)


def missing():
    for tool in (SSHD, SSH, KEYGEN):
        if not os.access(tool, os.X_OK):
            return "%s not installed (Debian: openssh-server, " \
                   "openssh-client)" % tool
    return None


def test_workers_through_a_forwarded_socket(tmp_path):
    why = missing()
    if why:
        pytest.skip(why)
    remote = tmp_path / "remote"
    remote.mkdir(mode=0o700)
    d = Daemon(remote).start()
    ssh_dir = tmp_path / "ssh"
    ssh_dir.mkdir(mode=0o700)
    local_dir = tmp_path / "worker-host"
    local_dir.mkdir(mode=0o700)
    local = str(local_dir / "parzend.sock")
    server = SshServer(str(ssh_dir)).start()
    fwd = Forward(server, local, d.socket).start()
    workers = []
    try:
        env = dict(os.environ, PARZEN_SOCKET=local)
        space = {"x": {"$hp": "uniform", "label": "x", "low": 0, "high": 1}}
        r = subprocess.run([CLI, "create", "remote", "--space", "-",
                            "--max-trials", str(N_TRIALS), "--seed", "7"],
                           input=json.dumps(space), env=env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=30)
        assert r.returncode == 0, "%s\nssh:\n%s\nsshd:\n%s" % (
            r.stderr, fwd.log.text(), server.log.text())
        for _ in range(2):
            p = subprocess.Popen([CLI, "worker", "remote", "--",
                                  "/usr/bin/python3", "-c", JOB],
                                 env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
            workers.append((p, Lines(p.stderr)))
        c = d.connect()

        def finished():
            counts = c.call("study.get", study="remote")["study"]["counts"]
            return counts["ok"] + counts["fail"]

        # Midway (both workers have run trials), cut the forward.
        while finished() < N_TRIALS // 3:
            time.sleep(0.05)
        fwd.stop()
        for _, log in workers:
            log.wait_for(r"reconnecting")
        done_while_down = finished()
        # ... and bring it back: the workers find the daemon again.
        fwd = Forward(server, local, d.socket).start()
        for p, log in workers:
            log.wait_for(r"reconnected to parzend")
        for p, log in workers:
            assert p.wait(120) == 0, log.text()
        assert done_while_down < N_TRIALS
        trials = c.call("trial.list", study="remote", limit=1000)["trials"]
        assert sorted(t["number"] for t in trials) == list(range(N_TRIALS))
        assert all(t["state"] == "ok" for t in trials), trials
        assert len({t["worker"] for t in trials}) == 2
        c.close()
    finally:
        for p, _ in workers:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(30)
        fwd.stop()
        server.stop()
        assert d.stop() == 0, d.read_log()
