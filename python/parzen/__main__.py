"""`python3 -m parzen import-hyperopt RESULTS.PKL --study NAME --space SPACE`:
a search that hyperopt pickled becomes a persistent parzen study.

The pickle (hyperopt's Trials, or a parzen one) is read without hyperopt
(parzen.load_hyperopt_trials); its trials are imported in one
transaction (study.import, docs/protocol.md) into the study NAME of the
parzend on --socket / $PARZEN_SOCKET / the default socket, started in
the background if nothing listens there. hyperopt's pickles do not hold
the search space, so --space gives it: a JSON space document (FILE.json,
docs/space.md), or PATH.py:NAME / module:NAME, the hp space a script
defines (the script is imported; its `if __name__ == "__main__"` part
does not run). The study continues with fmin(..., trials=Trials(study=
NAME)) and the same space, or with `parzen worker`. `parzen
import-hyperopt` runs this.
"""
import argparse
import importlib
import importlib.util
import json
import os
import sys

from . import daemon as _daemon
from .client import Client, Error
from .pickling import load_hyperopt_trials
from .space import compile_space, is_document


def _load_space(spec):
    """A space document from FILE.json, PATH.py:NAME or module:NAME."""
    if ":" not in spec or spec.endswith(".json"):
        with open(spec, encoding="utf-8") as f:
            return json.load(f)
    where, name = spec.rsplit(":", 1)
    if where.endswith(".py") or os.sep in where:
        path = os.path.abspath(where)
        sys.path.insert(0, os.path.dirname(path))
        mod_spec = importlib.util.spec_from_file_location(
            "_parzen_space_source", path)
        module = importlib.util.module_from_spec(mod_spec)
        mod_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(where)
    space = getattr(module, name)
    return space if is_document(space) else compile_space(space).document


def import_hyperopt(path, study, space, socket=None, algo="tpe",
                    config=None, seed=None, exist_ok=False):
    """Import the trials pickled in `path` into a new persistent study.
    Returns the study object."""
    trials = load_hyperopt_trials(path)
    sock = _daemon.ensure_default(socket)
    c = Client(sock)
    p = dict(name=study, space=space, algo=algo)
    if config is not None:
        p["config"] = config
    if seed is None and trials._definition is not None:
        seed = trials._definition.get("seed")  # a parzen pickle's own
    if seed is not None:
        p["seed"] = int(seed)
    if exist_ok:
        p["exist_ok"] = True
    return c.import_study(trials._export(), **p)


_ALGOS = {"tpe": "tpe", "random": "random", "rand": "random",
          "anneal": "anneal"}


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="parzen import-hyperopt",
        description="Import a search pickled by hyperopt (its results.pkl) "
                    "into a persistent parzen study.")
    ap.add_argument("command", choices=["import-hyperopt"])
    ap.add_argument("results", help="the pickled Trials")
    ap.add_argument("--study", required=True, help="the new study's name")
    ap.add_argument("--space", required=True,
                    help="FILE.json (a space document), or PATH.py:NAME or "
                         "module:NAME (the hp space a script defines)")
    ap.add_argument("--algo", default="tpe", choices=sorted(_ALGOS),
                    help="the suggester that continues the search (tpe)")
    ap.add_argument("--config", default=None,
                    help="the suggester's settings as JSON")
    ap.add_argument("--seed", type=int, default=None,
                    help="the study's seed (default: drawn)")
    ap.add_argument("--socket", default=None,
                    help="parzend's socket (default: $PARZEN_SOCKET, else "
                         "the default socket)")
    ap.add_argument("--exist-ok", action="store_true",
                    help="succeed if the study exists with this history")
    args = ap.parse_args(argv)
    try:
        space = _load_space(args.space)
        config = json.loads(args.config) if args.config else None
        study = import_hyperopt(args.results, args.study, space,
                                socket=args.socket, algo=_ALGOS[args.algo],
                                config=config, seed=args.seed,
                                exist_ok=args.exist_ok)
    except (OSError, ValueError, TypeError, Error, ImportError,
            AttributeError) as e:
        sys.stderr.write("parzen import-hyperopt: %s\n" % (e,))
        return 1
    c = study["counts"]
    print("imported %d trials into study '%s' (%d ok, %d failed, %d queued); "
          "continue with fmin(..., trials=Trials(study=%r)) and the same "
          "space" % (c["total"], study["name"], c["ok"], c["fail"],
                     c["queued"], study["name"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["import_hyperopt", "main"]
