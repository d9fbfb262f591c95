"""`parzen import-hyperopt`: a results.pkl that hyperopt 0.2.7 wrote
(python/tests/data) becomes a persistent study, which fmin then continues
with Trials(study=...) and the same space."""
import json
import os
import subprocess
import sys

CLI = os.environ.get("PARZEN_CLI", "parzen")
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
FIXTURE = os.path.join(TOP, "python", "tests", "data",
                       "hyperopt-0.2.7-results.pkl")

# The fixture's space (python/tests/data/README.md), as a Python script
# defines it.
SPACE_PY = '''
import math
from parzen import hp
from parzen.pyll import scope
space = {
    'lr': hp.loguniform('lr', math.log(1e-4), math.log(1e-1)),
    'units': scope.int(hp.quniform('units', 16, 128, 16)),
    'optimizer': hp.choice('optimizer', [
        {'name': 'adam', 'beta_1': hp.uniform('beta_1', 0.8, 0.99)},
        {'name': 'sgd', 'momentum': hp.uniform('momentum', 0.5, 0.99)},
    ]),
    'layers': hp.randint('layers', 1, 4),
    'dropout': hp.choice('dropout', [None,
                                     hp.uniform('dropout_rate', 0.0, 0.5)]),
}
if __name__ == "__main__":
    raise SystemExit("only imported")
'''


def env():
    e = dict(os.environ, PARZEN_PYTHON=sys.executable)
    e["PYTHONPATH"] = os.path.join(TOP, "python") + os.pathsep + \
        e.get("PYTHONPATH", "")
    e.pop("PARZEN_SOCKET", None)
    return e


def run(daemon, *args):
    return subprocess.run([CLI, "--socket", daemon.socket] + list(args),
                          env=env(), capture_output=True, text=True,
                          timeout=60)


def test_import_hyperopt_then_continue(daemon, tmp_path):
    script = tmp_path / "search.py"
    script.write_text(SPACE_PY)
    p = run(daemon, "import-hyperopt", FIXTURE, "--study", "h",
            "--space", "%s:space" % script)
    assert p.returncode == 0, p.stderr
    assert "imported 12 trials into study 'h' (10 ok, 2 failed" in p.stdout
    c = daemon.connect()
    trials = c.call("trial.list", study="h", limit=100)["trials"]
    assert [t["number"] for t in trials] == list(range(12))
    assert trials[10]["loss"] == 0.3194149540099341
    assert trials[3]["state"] == "fail" and trials[3]["result"]["raised"]
    assert trials[6]["result"]["err"] == "diverged"
    assert trials[4]["point"]["optimizer"]["name"] == "sgd"
    # Continue the search: 11 trials count (the one that raised does
    # not), so max_evals=14 evaluates 3 more.
    code = SPACE_PY.replace('if __name__', 'if False') + r'''
import json, sys
from parzen import fmin, tpe, Trials
t = Trials(study="h", socket=sys.argv[1])
seen = []
fmin(lambda p: seen.append(p) or (math.log10(p['lr']) + 2.5) ** 2, space,
     algo=tpe.suggest, trials=t, max_evals=14, show_progressbar=False)
print(json.dumps({"seen": len(seen), "len": len(t), "best": t.argmin}))
'''
    out = subprocess.run([sys.executable, "-c", code, daemon.socket],
                         env=env(), capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["seen"] == 3 and got["len"] == 14
    s = c.call("study.get", study="h")["study"]
    assert s["counts"]["total"] == 15 and s["algo"] == "tpe"
    c.close()


def test_import_hyperopt_refusals(daemon, tmp_path):
    doc = tmp_path / "space.json"
    doc.write_text(json.dumps({"x": {"$hp": "uniform", "label": "x",
                                     "low": 0, "high": 1}}))
    # A space the history does not fit: the bad label is named, nothing
    # is created.
    p = run(daemon, "import-hyperopt", FIXTURE, "--study", "bad",
            "--space", str(doc))
    assert p.returncode == 1
    assert "params.trials[0].params" in p.stderr
    c = daemon.connect()
    assert c.call("study.list")["studies"] == []
    c.close()
    p = run(daemon, "import-hyperopt", FIXTURE, "--space", str(doc))
    assert p.returncode == 2 and "--study" in p.stderr
    p = run(daemon, "import-hyperopt", str(tmp_path / "none.pkl"),
            "--study", "x", "--space", str(doc))
    assert p.returncode == 1 and "none.pkl" in p.stderr
    p = subprocess.run([CLI, "--socket", daemon.socket, "import-hyperopt",
                        FIXTURE], env=dict(env(), PARZEN_PYTHON="/nonexistent"),
                       capture_output=True, text=True)
    assert p.returncode == 1 and "PARZEN_PYTHON" in p.stderr
