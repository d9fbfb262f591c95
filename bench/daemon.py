"""parzend for the benchmarks: started on a socket and database in a
directory of their own, ready when it says READY=1 (no sleeps)."""

import os
import socket
import subprocess
import time


class Daemon:
    """parzend on a socket and database in `workdir`; start() waits for
    READY=1 on $NOTIFY_SOCKET (the sd_notify protocol), never sleeps."""

    def __init__(self, binary, workdir, durability):
        self.binary = binary
        self.workdir = workdir
        self.durability = durability
        self.socket = os.path.join(workdir, "s")
        self.db = os.path.join(workdir, "bench.db")
        self.proc = None

    def start(self, timeout=120.0):
        path = os.path.join(self.workdir, "notify")
        if os.path.exists(path):
            os.unlink(path)
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(path)
        env = dict(os.environ, NOTIFY_SOCKET=path)
        with open(os.path.join(self.workdir, "log"), "ab") as f:
            self.proc = subprocess.Popen(
                [self.binary, "--socket", self.socket, "--db", self.db,
                 "--durability", self.durability],
                env=env, stdout=f, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        try:
            while True:
                notify.settimeout(max(0.05, deadline - time.monotonic()))
                try:
                    if b"READY=1" in notify.recv(4096):
                        return self
                except socket.timeout:
                    pass
                if self.proc.poll() is not None or \
                        time.monotonic() > deadline:
                    raise RuntimeError("parzend did not become ready")
        finally:
            notify.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.alive():
            self.proc.terminate()
            self.proc.wait(60)

    def status(self, key):
        """A /proc/PID/status field in KiB (VmRSS, VmHWM)."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return None

    def rss_kib(self):
        return self.status("VmRSS") or 0

    def db_bytes(self):
        return sum(os.path.getsize(self.db + s) for s in ("", "-wal", "-shm")
                   if os.path.exists(self.db + s))
