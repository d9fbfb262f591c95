"""The dashboard in a real browser (meson suite "browser").

A real parzend on a temporary socket (tests/integration/daemon.py), a
CIFAR-style study with a median pruner filled through the socket
(fixture.py: 40 trials by four named workers reporting a value per
epoch, the pruned ones told "pruned", two left running), and `parzen
dashboard` on a free port; each test runs one check of dashboard_test.js, which drives Debian's
chromium headless through puppeteer-core. puppeteer-core is installed
with `npm ci` from package-lock.json into the build directory (the source
tree keeps no node_modules).

Paths come from meson: $PARZEND, $PARZEN_CLI, $PARZEN_BUILD; $NODE and
$CHROMIUM name the programs.
"""
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir, "integration"))
sys.path.insert(0, HERE)

from daemon import Daemon  # noqa: E402
import fixture  # noqa: E402

CLI = os.environ.get("PARZEN_CLI", "parzen")
NODE = os.environ.get("NODE", "node")
BUILD = os.environ.get("PARZEN_BUILD", os.path.join(HERE, "build"))
STUDY = "cifar style"
PRUNER = {"kind": "median", "n_startup_trials": 5, "n_warmup_steps": 2}


@pytest.fixture(scope="session")
def node_path():
    """npm ci into BUILD/browser-node once per package-lock.json."""
    where = os.path.join(BUILD, "browser-node")
    lock = os.path.join(HERE, "package-lock.json")
    stamp = os.path.join(where, "node_modules", ".package-lock.json")
    os.makedirs(where, exist_ok=True)
    if not os.path.exists(stamp) or \
            os.path.getmtime(stamp) < os.path.getmtime(lock):
        for name in ("package.json", "package-lock.json"):
            shutil.copy(os.path.join(HERE, name), where)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund",
                        "--loglevel=error"], cwd=where, check=True,
                       timeout=600)
    return os.path.join(where, "node_modules")


def node(node_path, *args, timeout=120):
    """Run a check of dashboard_test.js; its JSON line."""
    env = dict(os.environ, NODE_PATH=node_path)
    p = subprocess.run([NODE, os.path.join(HERE, "dashboard_test.js")]
                       + list(args), env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout)
    assert p.returncode == 0, p.stderr + p.stdout
    return json.loads(p.stdout.strip().splitlines()[-1])


class Dashboard:
    """`parzen dashboard` on a free port; url is what it printed."""

    def __init__(self, socket, *args):
        self.proc = subprocess.Popen(
            [CLI, "--socket", socket, "dashboard", "--poll", "0.25"]
            + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        first = self.proc.stdout.readline()
        assert first.startswith("parzen dashboard: http://"), \
            first + self.proc.stderr.read()
        self.url = first.split(": ", 1)[1].strip()

    def base(self, host="127.0.0.1"):
        """http://HOST:PORT/ for the printed URL's port."""
        port = self.url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1]
        return "http://%s:%s/" % (host, port)

    def stop(self):
        """Stop it; its stderr must hold no sanitizer report."""
        self.proc.terminate()
        self.proc.wait(30)
        err = self.proc.stderr.read()
        assert "Sanitizer" not in err and "runtime error" not in err, err
        return err


@pytest.fixture
def search(tmp_path):
    """parzend with the CIFAR-style study; yields the daemon."""
    d = Daemon(tmp_path).start()
    conn = fixture.Conn(d.socket)
    with open(fixture.DEFAULT_SPACE, encoding="utf-8") as f:
        space = json.load(f)
    conn.call("study.create", name=STUDY, space=space, algo="tpe", seed=3,
              max_trials=200, pruner=PRUNER)
    import random
    fixture.run(conn, STUDY, 40, 2, random.Random(3), 6)
    conn.close()
    yield d
    assert d.stop() == 0, d.read_log()


@pytest.fixture
def dashboard(search):
    dash = Dashboard(search.socket)
    yield dash
    dash.stop()


def option_text(v):
    """A value-form value as people read it (lib/params'
    pz_params_value_text): a string as it is, else compact JSON."""
    if isinstance(v, str):
        return v
    return json.dumps(v, separators=(",", ":"))


def test_pages_figures_and_table(search, dashboard, node_path):
    seen = node(node_path, "load", dashboard.url, STUDY, search.socket)
    c = search.connect()
    study = c.call("study.get", study=STUDY)["study"]
    trials = c.call("trial.list", study=STUDY, limit=1000,
                    intermediate=True)["trials"]
    c.close()
    # Every figure of the report is there, learning curves included.
    for kind in ("history", "learning", "importance", "effects", "priors",
                 "pairs", "parallel", "contour", "edf", "timeline"):
        assert kind in seen["kinds"], kind
        assert not seen["figures"][kind]["empty"], kind
    assert seen["figures"]["history"]["points"] >= study["counts"]["ok"]
    # The counts and the table are the daemon's.
    assert study["counts"]["pruned"] > 0, study["counts"]
    for state in ("ok", "fail", "running", "queued", "pruned"):
        assert seen["summary"][state] == study["counts"][state]
    # A learning curve per trial that reported, as long as its reports;
    # the pruned ones marked where they stopped, the best one on top.
    reported = {t["number"]: t for t in trials if t["intermediate"]}
    curves = seen["curves"]
    assert curves["n"] == len(reported)
    assert sorted(p["trial"] for p in curves["drawn"]) == sorted(reported)
    for p in curves["drawn"]:
        t = reported[p["trial"]]
        assert p["state"] == t["state"]
        assert p["steps"] == len(t["intermediate"])
    pruned = sorted(n for n, t in reported.items()
                    if t["state"] == "pruned")
    assert len(pruned) == study["counts"]["pruned"]
    assert sorted(curves["ends"]) == pruned
    assert [p["trial"] for p in curves["drawn"] if p["best"]] == \
        [study["best"]["number"]]
    assert seen["table"]["total"] == len(trials)
    assert seen["table"]["rows"] == min(100, len(trials))
    assert seen["table"]["first"] == str(len(trials) - 1)  # newest first
    ok = [t for t in trials if t["state"] == "ok"]
    best = min(ok, key=lambda t: (t["loss"], t["number"]))
    assert seen["best"] == str(best["number"]) == seen["bestRow"]
    # Filtered by a choice's value: every row shows that value.
    assert seen["tanh"] and set(seen["tanh"]) == {"tanh"}
    # The trial page shows values, not indices, named as the CLI names
    # them (`parzen best`, and its JSON's values).
    act = ["relu", "tanh", "logistic"][best["params"]["activation"]]
    assert seen["params"]["activation"] == act
    assert seen["params"]["solver"] in ("adam", "sgd")
    assert seen["params"]["nb_hidden_layers"].startswith("units_1_of_")
    r = subprocess.run([CLI, "--socket", search.socket, "best", STUDY,
                        "--json"], capture_output=True, text=True,
                       check=True)
    values = json.loads(r.stdout)["trial"]["values"]
    r = subprocess.run([CLI, "--socket", search.socket, "best", STUDY],
                       capture_output=True, text=True, check=True)
    line = [x for x in r.stdout.splitlines() if x.startswith("params ")][0]
    printed = dict(kv.split("=", 1) for kv in line.split()[1:])
    for label in ("nb_hidden_layers", "activation", "solver",
                  "adam_beta_2", "sgd_nesterov"):
        if label in values:
            assert seen["params"][label] == option_text(values[label]) \
                == printed[label], label


def test_a_tell_shows_within_two_seconds(search, dashboard, node_path):
    seen = node(node_path, "live", dashboard.url, STUDY, search.socket)
    assert seen["after"]["ok"] == seen["before"]["ok"] + 1
    assert seen["after"]["running"] == seen["before"]["running"] - 1
    print("tell -> counts %d ms, -> history %d ms"
          % (seen["counted"], seen["drawn"]))


def test_pause_resume_enqueue(search, dashboard, node_path):
    seen = node(node_path, "pause", dashboard.url, STUDY, search.socket)
    assert seen["paused"] == "paused"
    assert seen["resumed"] == "running"
    assert seen["enqueue"] == "done: enqueue"
    c = search.connect()
    queued = c.call("trial.list", study=STUDY, state="queued")["trials"]
    c.close()
    # The choices given by value arrived as the right options.
    mine = [t for t in queued if t["params"].get("units_1_of_1") == 64
            and t["params"].get("learning_rate_init") == 0.003]
    assert len(mine) == 1
    assert mine[0]["params"]["nb_hidden_layers"] == 0
    assert mine[0]["params"]["activation"] == 1
    assert mine[0]["params"]["adam_beta_2"] == 1
    # A value that names no option: parzend's message, path first.
    assert len(queued) == 1
    assert seen["refused"]["cls"] == "err"
    assert seen["refused"]["path"] == "params.values.activation"
    assert seen["refused"]["text"].startswith(
        'params.values.activation: "swish" is not the value of any '
        'option ("relu", "tanh", "logistic")'), seen["refused"]


def test_budget_of_a_done_study(search, dashboard, node_path):
    """study.update from the page: a done study runs again, and the
    trials asked for after it show up."""
    c = fixture.Conn(search.socket)
    with open(fixture.DEFAULT_SPACE, encoding="utf-8") as f:
        space = json.load(f)
    c.call("study.create", name="small", space=space, algo="random",
           seed=5, max_trials=6)
    import random
    fixture.run(c, "small", 6, 0, random.Random(5), 3)
    assert c.call("study.get", study="small")["study"]["state"] == "done"
    seen = node(node_path, "budget", dashboard.url, "small", search.socket)
    study = c.call("study.get", study="small")["study"]
    c.close()
    assert seen["before"] == "done"
    assert seen["refusedAsk"] == {"trial": None, "reason": "max_trials"}
    assert seen["answer"] == "done: budget"
    assert seen["raised"] == {"state": "running", "max_trials": 9}
    assert seen["told"] == [6, 7, 8]
    assert seen["after"]["ok"] + seen["after"].get("fail", 0) == 9
    assert seen["end"] == "done"
    assert study["max_trials"] == 9 and study["counts"]["total"] == 9


def test_off_loopback_needs_the_token(search, node_path):
    dash = Dashboard(search.socket, "--listen", "0.0.0.0:0")
    try:
        assert "?token=" in dash.url
        token = dash.url.rsplit("?token=", 1)[1]
        base = dash.base()
        seen = node(node_path, "token", base, STUDY, search.socket,
                    base + "?token=" + token)
    finally:
        dash.stop()
    assert seen["bare"] == 403 and "token" in seen["bareText"]
    assert seen["studyBare"] == 403
    assert seen["figure"] == 403
    assert seen["post"] == 403
    assert seen["ok"] == 200 and seen["landed"] == base
    assert seen["studyOk"] == 200
    assert seen["cookieOnly"] == 403
    assert seen["state"] == "running"


def test_http_gate(search):
    """Without a browser: Host, Origin, methods, and no change by GET."""
    dash = Dashboard(search.socket)
    try:
        base = dash.base()

        def status(path, method="GET", headers=None, data=None):
            req = urllib.request.Request(base + path, method=method,
                                         headers=headers or {}, data=data)
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    return r.status, r.read().decode()
            except urllib.error.HTTPError as e:
                return e.code, e.read().decode()

        assert status("")[0] == 200
        # DNS rebinding: a page on another name cannot read us.
        assert status("", headers={"Host": "evil.example:80"})[0] == 403
        page = status("study?s=" + urllib.request.quote(STUDY))[1]
        token = page.split('name="parzen-token" content="', 1)[1][:48]
        post = {"Content-Type": "application/json",
                "X-Parzen-Token": token}
        path = "action?s=" + urllib.request.quote(STUDY) + "&do=pause"
        # GET never changes anything.
        assert status(path)[0] == 404
        assert status(path, "POST", {"Content-Type": "application/json"},
                      b"{}")[0] == 403
        assert status(path, "POST", dict(post, Origin="http://evil"),
                      b"{}")[0] == 403
        assert status(path, "POST", dict(post, **{
            "Content-Type": "text/plain"}), b"{}")[0] == 415
        c = search.connect()
        assert c.call("study.get", study=STUDY)["study"]["state"] == \
            "running"
        code, body = status(path, "POST", post, b"{}")
        assert code == 200 and json.loads(body)["ok"] is True
        assert c.call("study.get", study=STUDY)["study"]["state"] == \
            "paused"
        c.close()
        # Figures are SVG from lib/report, by name; a bad name is refused.
        code, svg = status("figure?s=" + urllib.request.quote(STUDY)
                           + "&kind=contour&x=alpha&y=batch_size")
        assert code == 200 and 'data-x="alpha"' in svg
        assert status("figure?s=" + urllib.request.quote(STUDY)
                      + "&kind=nope")[0] == 400
        assert status("trials?s=" + urllib.request.quote(STUDY)
                      + "&q=nolabel<3")[0] == 400
    finally:
        dash.stop()
