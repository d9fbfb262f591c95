"""hyperopt's `pyll.stochastic.sample`: a random point of a space, drawn
from the priors in Python (no daemon).

`rng` may be a `random.Random`, a numpy Generator or RandomState, an int
seed, or None (a fresh `random.Random()`).
"""
import math
import random as _random

from ..space import evaluate


def _uniform01(rng):
    return rng.random() if hasattr(rng, "random") else rng.random_sample()


def _gauss(rng):
    if isinstance(rng, _random.Random):
        return rng.gauss(0.0, 1.0)
    return float(rng.standard_normal())


def _below(rng, n):
    if isinstance(rng, _random.Random):
        return rng.randrange(n)
    if hasattr(rng, "integers"):
        return int(rng.integers(n))
    return int(rng.randint(n))


def _q(x, q):
    return round(x / q) * q


def draw(p, rng):
    """One prior draw of a Param's raw value (a choice: an index)."""
    a = p.args
    k = p.kind
    if k == "choice":
        return _below(rng, len(p.options))
    if k == "pchoice":
        u, acc = _uniform01(rng), 0.0
        for i, w in enumerate(p.p):
            acc += w
            if u < acc:
                return i
        return len(p.p) - 1
    if k == "randint":
        return a["low"] + _below(rng, a["high"] - a["low"])
    if k == "uniformint":
        return a["low"] + _below(rng, a["high"] - a["low"] + 1)
    if k in ("uniform", "quniform", "loguniform", "qloguniform"):
        x = a["low"] + (a["high"] - a["low"]) * _uniform01(rng)
        if k in ("loguniform", "qloguniform"):
            x = math.exp(x)
    else:
        x = a["mu"] + a["sigma"] * _gauss(rng)
        if k in ("lognormal", "qlognormal"):
            x = math.exp(x)
    if k.startswith("q"):
        x = float(_q(x, a["q"]))
    return x


def sample(expr, rng=None):
    """A random point of the space `expr`."""
    if rng is None or isinstance(rng, int):
        rng = _random.Random(rng)
    return evaluate(expr, {}, draw=lambda p: draw(p, rng), rng=rng)


__all__ = ["sample"]
