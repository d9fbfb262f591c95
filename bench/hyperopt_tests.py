#!/usr/bin/python3
"""hyperopt's own unit tests, run against parzen's hyperopt front.

    /usr/bin/python3 bench/hyperopt_tests.py HYPEROPT_SRC [BUILD_DIR]

HYPEROPT_SRC is a hyperopt source tree (hyperopt/tests/ in it); nothing
of it is copied into parzen. Its tests are copied to a temporary
directory and run with pytest, `hyperopt` and `hyperopt.X` being parzen's
modules (what a user who ports by changing imports gets), `hyperopt.tests`
the copy. Tests of hyperopt internals parzen does not offer (its numpy TPE
math, pyll graph utilities, criteria, utils, tqdm callback, MongoDB's
BSON, ATPE, an exact random stream of rand.suggest called as a function)
are counted apart as out of scope; the names they import are stubbed so
that the in-scope tests of the same files run. Prints the counts and the
in-scope failures; never fails (a measurement, not a test).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.join(os.path.dirname(HERE), "python")

FILES = ["test_base.py", "unit/test_fmin.py", "unit/test_pchoice.py",
         "unit/test_criteria.py", "unit/test_plotting.py",
         "unit/test_rand.py", "unit/test_anneal.py",
         "unit/test_pyll_utils.py", "unit/test_randint.py",
         "unit/test_domains.py", "unit/test_tpe.py", "unit/test_utils.py",
         "unit/test_progress.py"]

# Out of scope, with the reason.
OUT_OF_SCOPE = [
    (r"test_criteria", "hyperopt.criteria: numpy EI formulas"),
    (r"test_pyll_utils", "pyll_utils: pyll graph internals"),
    (r"test_utils", "hyperopt.utils: internal helpers"),
    (r"test_progress", "tqdm progress callback"),
    (r"TestSONify::test_(int|float|np_)", "BSON (MongoDB) encoding"),
    (r"adaptive_parzen|GMM1|OptQUniform", "hyperopt's numpy TPE internals"),
    (r"TestSuggestAtpe", "ATPE (left out, see python/README.md)"),
    (r"test_rand.py::TestRand::test_seeding",
     "rand.suggest called as a function, hyperopt's exact random stream"),
]

CONFTEST = r'''
import importlib, importlib.abc, importlib.util, pkgutil, sys, types
sys.path.insert(0, %(python)r)
sys.path.insert(0, %(here)r)


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def _target(self, name):
        if name == "hyperopt.tests" or name.startswith("hyperopt.tests."):
            return "tests" + name[len("hyperopt.tests"):]
        return "parzen" + name[len("hyperopt"):]

    def find_spec(self, name, path, target=None):
        if name != "hyperopt" and not name.startswith("hyperopt."):
            return None
        if importlib.util.find_spec(self._target(name)) is None:
            return None
        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec):
        return importlib.import_module(self._target(spec.name))

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _Alias())
import parzen
for m in pkgutil.walk_packages(parzen.__path__, "parzen."):
    try:
        importlib.import_module(m.name)
    except ImportError:
        pass


def _stub(name):
    def f(*a, **k):
        raise NotImplementedError("out of scope: hyperopt's " + name)
    return f


def _module(name, **attrs):
    m = types.ModuleType("hyperopt." + name)
    m.__getattr__ = lambda n: _stub(name + "." + n)
    for k, v in attrs.items():
        setattr(m, k, v)
    sys.modules["parzen." + name] = m
    setattr(parzen, name, m)


for n in ("adaptive_parzen_normal_orig", "GMM1", "GMM1_lpdf", "LGMM1",
          "LGMM1_lpdf"):
    setattr(sys.modules["parzen.tpe"], n, _stub("tpe." + n))
sys.modules["parzen.progress"].tqdm_progress_callback = \
    _stub("tqdm_progress_callback")
_module("atpe", suggest=_stub("atpe.suggest"))
for name in ("utils", "criteria", "pyll_utils", "vectorize"):
    _module(name)
bson = types.ModuleType("bson")
bson.BSON = types.SimpleNamespace(encode=_stub("bson"))
sys.modules["bson"] = bson
for name, mod in list(sys.modules.items()):
    if name == "parzen" or name.startswith("parzen."):
        sys.modules["hyperopt" + name[len("parzen"):]] = mod
'''


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    src = os.path.join(sys.argv[1], "hyperopt", "tests")
    build = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(HERE), "build")
    env = dict(os.environ)
    env.setdefault("PARZEND", os.path.join(build, "daemon", "parzend"))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(src, os.path.join(tmp, "tests"))
        with open(os.path.join(tmp, "conftest.py"), "w") as f:
            f.write(CONFTEST % {"python": PYTHON_DIR, "here": tmp})
        p = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
             "-rA", "--continue-on-collection-errors"] +
            ["tests/" + f for f in FILES],
            cwd=tmp, env=env, capture_output=True, text=True)
    counts = {}
    failures = []
    for line in p.stdout.splitlines():
        m = re.match(r"^(PASSED|FAILED|ERROR) (tests/\S+)", line)
        if not m:
            continue
        status, name = m.groups()
        reason = next((r for pat, r in OUT_OF_SCOPE
                       if re.search(pat, name)), None)
        key = ("out of scope" if reason else "in scope", status)
        counts[key] = counts.get(key, 0) + 1
        if not reason and status != "PASSED":
            failures.append(line)
    for scope in ("in scope", "out of scope"):
        print("%-13s %s" % (scope, ", ".join(
            "%d %s" % (counts.get((scope, s), 0), s.lower())
            for s in ("PASSED", "FAILED", "ERROR"))))
    for line in failures:
        print("  " + line)
    print("out of scope: " + "; ".join(sorted({r for _, r in OUT_OF_SCOPE})))


if __name__ == "__main__":
    main()
