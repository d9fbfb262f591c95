"""parzend under attack and bad luck (issue 8): each test reproduces one
defect found by an adversarial run and checks that it stays fixed.

Socket safety (the socket directory, --socket, --db symlinks) has its own
file, test_socket_safety.py; the full disk is test_disk_full.py."""
import json
import os
import signal
import socket
import sqlite3
import subprocess
import time

import pytest

from daemon import Daemon, RPCError

SPACE = {"x": {"$hp": "uniform", "label": "x", "low": 0, "high": 1}}


def rpc_error(conn, method, **params):
    with pytest.raises(RPCError) as e:
        conn.call(method, **params)
    return e.value


# --- 1. a space that cannot be evaluated -------------------------------------


def test_space_that_never_evaluates_is_refused(daemon):
    c = daemon.connect()
    e = rpc_error(c, "study.create", name="div",
                  space={"$fn": "div", "args": [1, 0]})
    assert e.code == -32004
    assert "no point of the space can be evaluated" in e.message
    assert "div() has no finite result" in e.message
    e = rpc_error(c, "study.create", name="div2", space={
        "a": {"$hp": "uniform", "label": "a", "low": 0, "high": 1},
        "b": {"$fn": "div", "args": [1, {"$fn": "sub", "args": [3, 3]}]}})
    assert e.code == -32004 and e.data["path"] == "space.b"
    assert c.call("study.list")["studies"] == []


def test_failed_suggestions_per_ask_are_bounded(daemon):
    # Option 0 divides by zero; option 1 (drawn 0.1% of the time) is fine.
    # The check at creation finds an evaluable point; an ask then meets
    # unevaluable suggestions in a row and must stop after 32 of them.
    space = {"c": {"$hp": "pchoice", "label": "c", "p": [0.999, 0.001],
                   "options": [{"$fn": "div", "args": [1, 0]}, 1]}}
    c = daemon.connect()
    c.call("study.create", name="rare", space=space, algo="random", seed=3)
    other = daemon.connect()
    other.call("study.create", name="fine", space=SPACE, seed=1)
    e = rpc_error(c, "trial.ask", study="rare", worker="w")
    assert e.code == -32004
    assert "32 suggestions in a row could not be evaluated" in e.message
    lst = c.call("trial.list", study="rare", state="fail", limit=100)
    assert lst["total"] == 32
    assert all("div() has no finite result" in t["result"]["error"]
               for t in lst["trials"])
    # Everyone else is served meanwhile and after.
    assert other.call("trial.ask", study="fine")["trial"]["number"] == 0
    # A second ask is bounded the same way (the study is not stuck for
    # good: it may reach an evaluable point on a later number).
    try:
        c.call("trial.ask", study="rare", worker="w")
    except RPCError as e2:
        assert e2.code == -32004
    total = c.call("study.get", study="rare")["study"]["counts"]["total"]
    assert total <= 64


# --- 2. bounds that overflow; a study that cannot be loaded ---------------------


@pytest.mark.parametrize("hp", [
    {"$hp": "uniform", "label": "x", "low": -1e308, "high": 1e308},
    {"$hp": "quniform", "label": "x", "low": 0, "high": 1e10, "q": 1e-300},
    {"$hp": "qloguniform", "label": "x", "low": 0, "high": 60, "q": 1e-9},
    {"$hp": "qnormal", "label": "x", "mu": 0, "sigma": 1e12, "q": 1e-6},
    {"$hp": "qlognormal", "label": "x", "mu": 40, "sigma": 3, "q": 1e-3},
])
def test_overflowing_bounds_are_refused(daemon, hp):
    c = daemon.connect()
    e = rpc_error(c, "study.create", name="big", space={"x": hp})
    assert e.code == -32004 and e.data["path"].startswith("space.x")


def test_damaged_study_does_not_take_the_others_down(tmp_path):
    d = Daemon(tmp_path).start()
    c = d.connect()
    c.call("study.create", name="good", space=SPACE, seed=1)
    c.call("study.create", name="bad", space=SPACE, seed=1)
    t = c.call("trial.ask", study="bad", worker="w")["trial"]
    c.call("trial.tell", trial=t["id"], status="ok", loss=1, attempt=0)
    c.close()
    assert d.stop() == 0
    # What an older parzend could store: bounds refused today, and a
    # trial whose params no longer fit.
    db = sqlite3.connect(d.db)
    db.execute("UPDATE study SET space = ? WHERE name = 'bad'", (json.dumps(
        {"x": {"$hp": "uniform", "label": "x", "low": -1e308,
               "high": 1e308}}),))
    db.commit()
    db.close()
    d.start()
    try:
        c = d.connect()
        studies = {s["name"]: s for s in c.call("study.list")["studies"]}
        assert studies["good"]["state"] == "running"
        assert studies["bad"]["state"] == "damaged"
        assert "high - low must be a finite number" in studies["bad"]["error"]
        # Work on it is refused with a permanent code, not -32005.
        e = rpc_error(c, "trial.ask", study="bad")
        assert e.code == -32007 and "damaged" in e.message
        e = rpc_error(c, "trial.get", trial=t["id"])
        assert e.code == -32007
        # The others work; the damaged one can still be seen and deleted.
        assert c.call("trial.ask", study="good")["trial"]["number"] == 0
        assert c.call("study.get", study="bad")["study"]["state"] == "damaged"
        assert c.call("study.delete", study="bad")["deleted"] == "bad"
        cli = subprocess.run([os.environ["PARZEN_CLI"], "--socket", d.socket,
                              "ls"], capture_output=True, text=True)
        assert cli.returncode == 0, cli.stderr
    finally:
        assert d.stop() == 0, d.read_log()


# --- 5. NUL and control characters -------------------------------------------


def test_nul_never_acts_on_another_object(daemon):
    c = daemon.connect()
    c.call("study.create", name="prod", space=SPACE, seed=1)
    c.send_raw(b'{"jsonrpc": "2.0", "id": 1, "method": "study.delete", '
               b'"params": {"study": "prod\\u0000-scratch"}}\n')
    r = c.read_line()
    assert r["error"]["code"] == -32600 and "\\u0000" in r["error"]["message"]
    # NUL in a key cannot slip past the unknown-key check either.
    c.send_raw(b'{"jsonrpc": "2.0", "id": 2, "method": "study.get", '
               b'"params": {"study": "prod", "x\\u0000": 1}}\n')
    assert c.read_line()["error"]["code"] == -32600
    assert [s["name"] for s in c.call("study.list")["studies"]] == ["prod"]
    # An escaped backslash followed by u0000 is just text.
    e = rpc_error(c, "study.get", study="a\\u0000")
    assert e.code == -32001


@pytest.mark.parametrize("name", ["a\u0001b", "a\u007fb", "a\u0085b",
                                  "a\u009fb"])
def test_control_characters_in_names_are_refused(daemon, name):
    c = daemon.connect()
    e = rpc_error(c, "study.create", name=name, space=SPACE)
    assert e.code == -32602 and e.data["path"] == "params.name"
    c.call("study.create", name="ok", space=SPACE)
    e = rpc_error(c, "trial.ask", study="ok", worker=name)
    assert e.data["path"] == "params.worker"
    e = rpc_error(c, "study.create", name="l", space={
        "x": {"$hp": "uniform", "label": name, "low": 0, "high": 1}})
    assert e.code == -32004 and e.data["path"] == "space.x.label"


# --- 7. stalls must not reclaim healthy trials; capped work ----------------


def test_sigstop_longer_than_the_timeout_reclaims_nothing(daemon):
    c = daemon.connect()
    c.call("study.create", name="s", space=SPACE, heartbeat_timeout=1.0,
           algo="random")
    t = c.call("trial.ask", study="s", worker="w")["trial"]
    os.kill(daemon.proc.pid, signal.SIGSTOP)
    try:
        # The worker heart-beats on time; parzend cannot read it.
        for _ in range(5):
            time.sleep(0.5)
            c.request("trial.heartbeat", trial=t["id"], attempt=0)
    finally:
        os.kill(daemon.proc.pid, signal.SIGCONT)
    for _ in range(5):
        assert "result" in c.read_line()
    got = c.call("trial.get", trial=t["id"])["trial"]
    assert (got["state"], got["attempt"], got["reclaims"]) == \
        ("running", 0, 0)
    assert "could not listen" in daemon.read_log()


def test_too_much_work_per_suggestion_is_refused(daemon):
    c = daemon.connect()
    space = {"p%d" % i: {"$hp": "uniform", "label": "p%d" % i, "low": 0,
                         "high": 1} for i in range(4096)}
    e = rpc_error(c, "study.create", name="huge", space=space,
                  config={"n_ei_candidates": 100000})
    assert e.code == -32602
    assert e.data["path"] == "params.config.n_ei_candidates"


def test_a_long_suggestion_does_not_stall_other_studies(daemon):
    # A big space with many candidates: each suggestion takes a while on
    # a worker thread; tells on another study are answered meanwhile.
    import threading
    c = daemon.connect()
    space = {"p%d" % i: {"$hp": "uniform", "label": "p%d" % i, "low": 0,
                         "high": 1} for i in range(400)}
    c.call("study.create", name="slow", space=space, seed=1,
           config={"n_startup": 2, "n_ei_candidates": 8000})
    for _ in range(3):
        t = c.call("trial.ask", study="slow")["trial"]
        c.call("trial.tell", trial=t["id"], status="ok", loss=1.0)
    fast = daemon.connect()
    fast.call("study.create", name="fast", space=SPACE, algo="random")
    arrived = {}

    def read_slow():
        arrived["reply"] = c.read_line()
        arrived["at"] = time.monotonic()

    reader = threading.Thread(target=read_slow)
    c.request("trial.ask", study="slow")
    reader.start()
    time.sleep(0.05)        # the slow ask is under way
    for _ in range(5):
        t = fast.call("trial.ask", study="fast")["trial"]
        fast.call("trial.tell", trial=t["id"], status="ok", loss=0.5)
    fast_done = time.monotonic()
    reader.join(120)
    assert arrived["reply"]["result"]["trial"]["number"] == 3
    # Order, not speed: the fast study's round trips were answered
    # before the slow suggestion was; a suggestion computed on the loop
    # would have held them back until it was done.
    assert fast_done < arrived["at"]


# --- 8. memory bounded in total ------------------------------------------------


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_clients_that_never_read_are_not_read(tmp_path):
    d = Daemon(tmp_path, "--max-memory", str(32 << 20)).start()
    try:
        c = d.connect()
        c.call("study.create", name="s", space=SPACE, seed=1,
               algo="random")
        for _ in range(200):
            t = c.call("trial.ask", study="s")["trial"]
            c.call("trial.tell", trial=t["id"], status="ok", loss=1.0,
                   result={"blob": "x" * 20000})
        req = (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "trial.list",
                           "params": {"study": "s", "limit": 200}})
               + "\n").encode()
        hogs = []
        for _ in range(8):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(d.socket)
            s.setblocking(False)
            hogs.append(s)
        base = rss_kb(d.proc.pid)
        # Each hog pipelines ~4 MB replies and never reads.
        for _ in range(50):
            for s in hogs:
                try:
                    s.send(req * 20)
                except BlockingIOError:
                    pass
            time.sleep(0.01)
        peak = rss_kb(d.proc.pid)
        # 8 x 50 x 20 requests of 4 MB would be 32 GB; the budget is
        # 32 MB plus one reply per connection.
        assert peak - base < 160 * 1024, (base, peak)
        # Everyone else is still served.
        assert c.call("server.info")["connections"] == 9
        for s in hogs:
            s.close()
        assert c.call("study.get", study="s")["study"]["counts"]["ok"] == 200
    finally:
        assert d.stop() == 0, d.read_log()


def test_too_much_unparsed_input_is_refused(tmp_path):
    d = Daemon(tmp_path, "--max-memory", str(8 << 20)).start()
    try:
        socks = []
        for _ in range(12):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(d.socket)
            s.settimeout(10)
            socks.append(s)
        # Each holds most of a 1 MB line, never finished.
        refused = 0
        for s in socks:
            try:
                s.sendall(b'{"jsonrpc": "2.0", "x": "' + b"a" * 900000)
            except OSError:
                refused += 1
        time.sleep(0.2)
        for s in socks:
            s.setblocking(False)
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            if b"too much unparsed input" in data:
                refused += 1
        assert refused >= 5
        c = d.connect()
        assert c.call("server.info")["name"] == "parzend"
        for s in socks:
            s.close()
    finally:
        assert d.stop() == 0, d.read_log()


def test_connection_limit(tmp_path):
    d = Daemon(tmp_path, "--max-connections", "3").start()
    try:
        keep = [d.connect() for _ in range(3)]
        extra = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        extra.settimeout(10)
        extra.connect(d.socket)
        data = extra.recv(4096)
        assert b"server busy" in data and b"--max-connections" in data
        assert extra.recv(4096) == b""      # closed after the message
        assert keep[0].call("server.info")["connections"] == 3
    finally:
        assert d.stop() == 0, d.read_log()


# --- 9. shutdown with a client that never reads -------------------------------


def test_shutdown_has_a_deadline(tmp_path):
    d = Daemon(tmp_path, "--shutdown-timeout", "1").start()
    c = d.connect()
    c.call("study.create", name="s", space=SPACE, algo="random")
    for _ in range(50):
        t = c.call("trial.ask", study="s")["trial"]
        c.call("trial.tell", trial=t["id"], status="ok", loss=1.0,
               result={"blob": "x" * 50000})
    hog = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    hog.connect(d.socket)
    req = (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "trial.list",
                       "params": {"study": "s"}}) + "\n").encode()
    hog.setblocking(False)
    for _ in range(40):
        try:
            hog.send(req)
        except BlockingIOError:
            break
    time.sleep(0.2)
    start = time.monotonic()
    d.proc.send_signal(signal.SIGTERM)
    assert d.proc.wait(20) == 0
    assert time.monotonic() - start < 10
    assert "were not read within 1 s" in d.read_log()
    hog.close()


# --- 10. a stale tell ---------------------------------------------------------------


def test_stale_tell_without_attempt_cannot_override(daemon):
    c = daemon.connect()
    c.call("study.create", name="s", space=SPACE, heartbeat_timeout=0.5,
           algo="random")
    a = c.call("trial.ask", study="s", worker="A")["trial"]
    time.sleep(1.5)     # A stops heart-beating: reclaimed
    b = c.call("trial.ask", study="s", worker="B")["trial"]
    assert (b["id"], b["attempt"]) == (a["id"], 1)
    e = rpc_error(c, "trial.tell", trial=a["id"], status="ok", loss=9.0)
    assert e.code == -32003 and "attempt" in e.message
    e = rpc_error(c, "trial.heartbeat", trial=a["id"])
    assert e.code == -32003
    t = c.call("trial.tell", trial=b["id"], status="ok", loss=1.0,
               attempt=1)["trial"]
    assert (t["state"], t["loss"]) == ("ok", 1.0)


# --- 12. the smaller things -----------------------------------------------------


def test_duplicate_keys_are_refused(daemon):
    c = daemon.connect()
    c.send_raw(b'{"jsonrpc": "2.0", "id": 1, "method": "study.create", '
               b'"params": {"name": "d", "space": {"x": {"$hp": "uniform", '
               b'"label": "x", "low": 0, "high": 1, "high": 5}}}}\n')
    r = c.read_line()
    assert r["error"]["code"] == -32600
    assert r["error"]["data"]["path"] == "params.space.x.high"
    c.send_raw(b'{"jsonrpc": "2.0", "id": 1, "id": 2, "method": '
               b'"server.info"}\n')
    assert c.read_line()["error"]["code"] == -32600
    assert c.call("study.list")["studies"] == []


def test_signals_do_not_kill(tmp_path):
    log = tmp_path / "parzend.file.log"
    d = Daemon(tmp_path, "--log-file", str(log)).start()
    try:
        for sig in (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
            d.proc.send_signal(sig)
        os.rename(log, str(log) + ".1")       # a log rotation
        d.proc.send_signal(signal.SIGHUP)
        c = d.connect()
        assert c.call("server.info")["name"] == "parzend"
        assert os.path.exists(d.socket)
        time.sleep(0.2)
        both = open(str(log) + ".1").read() + open(log).read()
        assert "SIGUSR1: 0 connections" in both or \
            "SIGUSR1: 1 connections" in both
        assert "SIGUSR2: ignored" in both
        # After the rotation, the daemon writes to the new file.
        assert "SIGHUP: reopened" in open(log).read()
    finally:
        assert d.stop() == 0


def test_log_prefixes_only_for_the_journal(tmp_path):
    d = Daemon(tmp_path).start()
    d.stop()
    text = d.read_log()
    assert "<6>" not in text and "listening on" in text
    env = dict(os.environ)
    st = os.fstat(2)
    # Under systemd, stderr is the journal: JOURNAL_STREAM names it.
    with open(tmp_path / "j.log", "wb") as f:
        st = os.fstat(f.fileno())
        p = subprocess.run(
            [os.environ["PARZEND"], "--socket", str(tmp_path / "j.sock"),
             "--db", str(tmp_path / "j.db"), "--version"],
            stderr=f, env=env)
    assert p.returncode == 0
    with open(tmp_path / "j.log", "wb") as f:
        st = os.fstat(f.fileno())
        env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
        p = subprocess.Popen(
            [os.environ["PARZEND"], "--socket", str(tmp_path / "j.sock"),
             "--db", str(tmp_path / "j.db")], stderr=f, env=env)
        time.sleep(0.5)
        p.send_signal(signal.SIGTERM)
        assert p.wait(20) == 0
    assert open(tmp_path / "j.log").read().startswith("<6>")


def test_replaced_database_stops_writes_loudly(daemon):
    c = daemon.connect()
    c.call("study.create", name="s", space=SPACE, algo="random")
    os.rename(daemon.db, daemon.db + ".moved")
    e = rpc_error(c, "trial.ask", study="s")
    assert e.code == -32005 and "removed or replaced" in e.message
    # Reads are served from memory.
    assert c.call("study.get", study="s")["study"]["name"] == "s"
    e = rpc_error(c, "study.pause", study="s")
    assert "removed or replaced" in e.message
    assert "removed or replaced" in daemon.read_log()
