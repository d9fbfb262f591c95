"""The Debian packages, end to end (the `slow` suite; issue 14 item 3).

scripts/build-deb.sh builds the .debs from this checkout with
`dpkg-buildpackage -us -uc -b` (DEB_BUILD_OPTIONS=nocheck: CI runs the
unit tests on its own) and runs lintian, which must report no error. The
packages are then installed on this machine with apt-get, the system
daemon is started (its socket unit when systemd runs; else by hand, as the
unit would: user parzen, --group parzen, /run/parzen/parzend.sock), and a
user in group parzen runs a search with the installed `parzen` (two
workers) and with the installed Python package, both finding the system
socket by themselves. Everything installed is purged at the end.

Needs root (it installs packages); skipped, with the reason, otherwise or
when parzen's packages are already installed here.
"""
import glob
import json
import os
import pwd
import grp
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

SOURCE = os.environ["PARZEN_SOURCE"]
VERSION = os.environ["PARZEN_VERSION"]
PACKAGES = ["parzend", "parzen", "libparzen0", "libparzen-client0",
            "libparzen-dev", "python3-parzen"]
USER = "pzt-debuser"
SYSTEM_SOCKET = "/run/parzen/parzend.sock"

JOB = r'''
import json, os
p = json.loads(os.environ["PARZEN_PARAMS"])
print((p["x"] - 0.3) ** 2 + (0.1 if p["k"] == 1 else 0.0))
'''

FMIN = r'''
from parzen import fmin, hp, tpe, Trials
t = Trials(study="deb-py")
best = fmin(lambda a: (a["x"] - 0.3) ** 2, {"x": hp.uniform("x", 0, 1)},
            algo=tpe.suggest, max_evals=15, trials=t,
            show_progressbar=False, rstate=3)
print("BEST", best["x"], len(t), t.client.socket)
'''

SPACE = {"x": {"$hp": "uniform", "label": "x", "low": 0, "high": 1},
         "k": {"$hp": "choice", "label": "k", "options": [0, 1]}}


def run(cmd, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 600)
    return subprocess.run(cmd, check=False, **kw)


def installed(pkg):
    r = run(["dpkg-query", "-W", "-f=${Status}", pkg])
    return r.returncode == 0 and r.stdout == "install ok installed"


def skip_reason():
    if os.geteuid() != 0:
        return "installs packages: needs root"
    for tool in ("dpkg-buildpackage", "lintian", "apt-get", "setpriv",
                 "useradd"):
        if shutil.which(tool) is None and \
                not os.path.exists("/usr/sbin/" + tool):
            return "needs %s (scripts/lib/deps.sh)" % tool
    if any(installed(p) for p in PACKAGES):
        return "parzen's packages are already installed here"
    if os.path.lexists("/run/parzen") or os.path.lexists("/var/lib/parzen"):
        return "/run/parzen or /var/lib/parzen exists here"
    return None


def as_user(cmd):
    return ["setpriv", "--reuid=" + USER, "--regid=" + USER,
            "--init-groups", "--"] + cmd


class Timer:
    def __init__(self):
        self.t0 = time.monotonic()
        self.marks = []

    def mark(self, what):
        now = time.monotonic()
        self.marks.append("%s %.0f s" % (what, now - self.t0))
        self.t0 = now


def start_by_hand(workdir):
    """parzend as the unit runs it, without systemd; waits for READY=1."""
    ndir = tempfile.mkdtemp(prefix="pzt-notify-", dir=workdir)
    os.chmod(ndir, 0o755)
    npath = os.path.join(ndir, "notify.sock")
    n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    n.bind(npath)
    os.chmod(npath, 0o666)
    n.settimeout(60)
    log = open(os.path.join(workdir, "parzend.log"), "wb")
    proc = subprocess.Popen(
        ["setpriv", "--reuid=parzen", "--regid=parzen", "--init-groups",
         "--", "/usr/sbin/parzend", "--log-level", "info", "--group",
         "parzen", "--socket", SYSTEM_SOCKET, "--db",
         "/var/lib/parzen/parzen.db"],
        env={"PATH": "/usr/bin:/bin", "NOTIFY_SOCKET": npath},
        stdout=log, stderr=subprocess.STDOUT, cwd="/")
    try:
        assert b"READY=1" in n.recv(4096)
    finally:
        n.close()
    return proc


def test_debs_build_install_and_search(tmp_path):
    why = skip_reason()
    if why:
        pytest.skip(why)
    timer = Timer()
    out = str(tmp_path / "debs")
    r = run(["bash", os.path.join(SOURCE, "scripts", "build-deb.sh"), out],
            env=dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=2"),
            timeout=2400)
    tail = "\n".join(r.stdout.splitlines()[-40:])
    assert r.returncode == 0, tail + r.stderr[-3000:]
    summary = r.stdout.strip().splitlines()[-1]
    assert summary.startswith("lintian: 0 errors"), tail
    print("\n" + summary)
    timer.mark("build+lintian")
    debs = sorted(p for p in glob.glob(os.path.join(out, "*.deb"))
                  if "-dbgsym_" not in p)
    names = sorted(os.path.basename(p).split("_")[0] for p in debs)
    assert names == sorted(PACKAGES), names

    had_parzen_user = True
    try:
        pwd.getpwnam("parzen")
    except KeyError:
        had_parzen_user = False
    proc = None
    workdir = tempfile.mkdtemp(prefix="pzt-deb-", dir="/tmp")
    os.chmod(workdir, 0o755)
    try:
        r = run(["apt-get", "install", "-y", "--no-install-recommends",
                 *debs], env=dict(os.environ,
                                  DEBIAN_FRONTEND="noninteractive"),
                stdin=subprocess.DEVNULL)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        timer.mark("install")
        # What the packages put in place.
        for path in ("/usr/sbin/parzend", "/usr/bin/parzen",
                     "/usr/include/parzen/space.h",
                     "/usr/include/parzen/client.h"):
            assert os.path.exists(path), path
        assert run(["man", "-w", "parzen"]).returncode == 0
        assert run(["man", "-w", "8", "parzend"]).returncode == 0
        r = run(["pkg-config", "--modversion", "parzen", "parzen-client"])
        assert r.stdout.split() == [VERSION, VERSION], r.stderr
        assert grp.getgrnam("parzen")  # sysusers ran
        st = os.stat("/run/parzen")  # tmpfiles ran
        assert st.st_uid == pwd.getpwnam("parzen").pw_uid
        assert os.path.exists(
            "/usr/share/bash-completion/completions/parzen")

        if os.path.isdir("/run/systemd/system"):
            r = run(["systemctl", "start", "parzend.socket"])
            assert r.returncode == 0, r.stderr
            how = "the socket unit"
        else:
            proc = start_by_hand(workdir)
            how = "by hand (no systemd)"
        print("parzend started " + how)
        timer.mark("start")

        # A user in group parzen, with nothing of their own: both clients
        # must find the system socket.
        try:
            pwd.getpwnam(USER)
        except KeyError:
            r = run(["useradd", "--no-create-home", "--home-dir",
                     "/nonexistent", "--shell", "/usr/sbin/nologin", "-G",
                     "parzen", USER])
            assert r.returncode == 0, r.stderr
        home = os.path.join(workdir, "home")
        os.mkdir(home, 0o700)
        os.chown(home, pwd.getpwnam(USER).pw_uid, -1)
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8",
               "PYTHONDONTWRITEBYTECODE": "1"}
        r = run(as_user(["/usr/bin/parzen", "create", "deb", "--space",
                         "-", "--max-trials", "20", "--seed", "1"]),
                input=json.dumps(SPACE), env=env, cwd=home)
        assert r.returncode == 0, r.stderr
        workers = [subprocess.Popen(
            as_user(["/usr/bin/parzen", "worker", "deb", "--",
                     "/usr/bin/python3", "-c", JOB]),
            env=env, cwd=home, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True) for _ in range(2)]
        for w in workers:
            _, err = w.communicate(timeout=300)
            assert w.returncode == 0, err
        r = run(as_user(["/usr/bin/parzen", "best", "deb", "--json"]),
                env=env, cwd=home)
        assert r.returncode == 0, r.stderr
        best = json.loads(r.stdout)["trial"]
        assert best["state"] == "ok" and best["loss"] < 0.1, best
        r = run(as_user(["/usr/bin/parzen", "trials", "deb", "--json"]),
                env=env, cwd=home)
        trials = json.loads(r.stdout)["trials"]
        assert sorted(t["number"] for t in trials) == list(range(20))
        # The installed Python package, hyperopt-style, on the same daemon.
        r = run(as_user(["/usr/bin/python3", "-c", FMIN]), env=env,
                cwd=home)
        assert r.returncode == 0, r.stderr
        assert "started parzend" not in r.stderr
        line = [x for x in r.stdout.splitlines() if x.startswith("BEST")]
        assert line and line[0].split()[2:] == ["15", SYSTEM_SOCKET], \
            r.stdout
        r = run(as_user(["/usr/bin/parzen", "ls", "--names"]), env=env,
                cwd=home)
        assert r.stdout.split() == ["deb", "deb-py"], r
        timer.mark("search")
        print("slow suite: " + ", ".join(timer.marks))
    finally:
        if proc is not None:
            proc.terminate()
            assert proc.wait(60) == 0
        elif os.path.isdir("/run/systemd/system"):
            run(["systemctl", "stop", "parzend.socket", "parzend.service"])
        run(["apt-get", "purge", "-y", *PACKAGES],
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
            stdin=subprocess.DEVNULL)
        run(["userdel", USER])
        if not had_parzen_user:
            run(["userdel", "parzen"])
            run(["groupdel", "parzen"])
        shutil.rmtree("/run/parzen", ignore_errors=True)
        shutil.rmtree("/var/lib/parzen", ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)
