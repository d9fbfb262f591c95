"""hyperopt scripts as people write them (tests/scripts/, see its README),
ported the way a user ports them: only the imports change. Each script
checks with `assert` what hyperopt does and prints OK; here it runs
against parzen (a private parzend per script). With PARZEN_HYPEROPT_SRC
set to a hyperopt source tree that runs with the installed numpy, the
unchanged scripts also run under hyperopt."""
import os
import re

import pytest

from conftest import HERE, run_script, script_env

SCRIPTS = os.path.join(HERE, "scripts")
NAMES = sorted(n for n in os.listdir(SCRIPTS)
               if n.startswith("ho_") and n.endswith(".py"))
HYPEROPT_SRC = os.environ.get("PARZEN_HYPEROPT_SRC")
NEEDS = {"ho_plotting.py": "matplotlib"}


def port(source):
    """The one change a user makes: hyperopt's imports become parzen's."""
    out = []
    for line in source.splitlines():
        m = re.match(r"^(\s*)import hyperopt((?:\.\w+)*)\s*$", line)
        if m:
            indent, sub = m.groups()
            if sub:
                out.append("%simport parzen%s" % (indent, sub))
            out.append("%simport parzen as hyperopt" % indent)
            continue
        out.append(re.sub(r"^(\s*)from hyperopt(?=[.\s])", r"\1from parzen",
                          line))
    return "\n".join(out) + "\n"


def test_port_changes_the_imports_only():
    src = ("import hyperopt\nimport hyperopt.pyll.stochastic\n"
           "from hyperopt import fmin\nfrom hyperopt.pyll import scope\n"
           "x = 'from hyperopt import'\n")
    assert port(src) == (
        "import parzen as hyperopt\nimport parzen.pyll.stochastic\n"
        "import parzen as hyperopt\nfrom parzen import fmin\n"
        "from parzen.pyll import scope\nx = 'from hyperopt import'\n")


def _needs(name):
    mod = NEEDS.get(name)
    if mod:
        pytest.importorskip(mod)


@pytest.mark.parametrize("name", NAMES)
def test_script_under_parzen(name, tmp_path):
    _needs(name)
    with open(os.path.join(SCRIPTS, name)) as f:
        ported = tmp_path / name
        ported.write_text(port(f.read()))
    p = run_script(str(ported), cwd=str(tmp_path), timeout=120)
    assert p.stdout.splitlines()[-1] == "OK", p.stdout


@pytest.mark.skipif(not HYPEROPT_SRC or not os.path.isdir(HYPEROPT_SRC or ""),
                    reason="set PARZEN_HYPEROPT_SRC to a hyperopt source tree "
                           "to check the scripts against hyperopt itself")
@pytest.mark.parametrize("name", NAMES)
def test_script_under_hyperopt(name, tmp_path):
    _needs(name)
    env = script_env()
    env["PYTHONPATH"] = HYPEROPT_SRC
    p = run_script(os.path.join(SCRIPTS, name), env=env, cwd=str(tmp_path),
                   timeout=300)
    assert p.stdout.splitlines()[-1] == "OK", p.stdout
