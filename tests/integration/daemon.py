"""Start and stop the real parzend for integration tests.

A Daemon runs the built parzend binary (path from $PARZEND, set by meson)
on a socket and database in a temporary directory, and waits for its
readiness notification (READY=1 on $NOTIFY_SOCKET, the sd_notify protocol)
instead of sleeping. The same directory and database survive restarts, so
a test can kill -9 the daemon and start it again on the same state.
"""
import json
import os
import signal
import socket
import subprocess
import time

PARZEND = os.environ.get("PARZEND", "parzend")


class Daemon:
    def __init__(self, workdir, *extra_args, durability="full",
                 wrapper=None):
        """`wrapper`: a command prefix to run parzend under (valgrind)."""
        self.workdir = str(workdir)
        self.wrapper = list(wrapper or [])
        self.socket = os.path.join(self.workdir, "parzend.sock")
        self.db = os.path.join(self.workdir, "parzen.db")
        self.log = os.path.join(self.workdir, "parzend.log")
        self.extra = list(extra_args)
        self.durability = durability
        self.proc = None

    def start(self, timeout=30.0):
        notify_path = os.path.join(self.workdir, "notify.sock")
        if os.path.exists(notify_path):
            os.unlink(notify_path)
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.settimeout(timeout)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        cmd = self.wrapper + [PARZEND, "--socket", self.socket,
                              "--db", self.db,
                              "--durability", self.durability] + self.extra
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, env=env, stdout=log,
                                         stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                notify.settimeout(min(0.2, max(0.05, deadline - time.monotonic())))
                try:
                    msg = notify.recv(4096).decode()
                except socket.timeout:
                    msg = ""
                if "READY=1" in msg:
                    break
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("parzend did not become ready:\n"
                                       + self.read_log())
        finally:
            notify.close()
        return self

    def read_log(self):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout=30.0):
        """SIGTERM and wait; returns the exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def connect(self, timeout=30.0):
        return Connection(self.socket, timeout)


class RPCError(Exception):
    def __init__(self, error):
        super().__init__("%s: %s" % (error.get("code"), error.get("message")))
        self.code = error.get("code")
        self.message = error.get("message")
        self.data = error.get("data") or {}


class Connection:
    """A raw line-oriented JSON-RPC connection (no retries: tests see
    exactly what the daemon does)."""

    def __init__(self, path, timeout=30.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def read_line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("connection closed by parzend")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def request(self, method, **params):
        msg_id = self.next_id
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": msg_id, "method": method,
               "params": params}
        self.send_raw((json.dumps(msg) + "\n").encode())
        return msg_id

    def call(self, method, **params):
        msg_id = self.request(method, **params)
        reply = self.read_line()
        assert reply.get("id") == msg_id, reply
        if "error" in reply:
            raise RPCError(reply["error"])
        return reply["result"]
