"""hyperopt's `hp`: the twelve kinds of hyperparameter, with hyperopt's
signatures and its conventions (docs/space.md):

    hp.choice(label, options)            hp.pchoice(label, [(p, option), ...])
    hp.randint(label, upper)             hp.randint(label, low, high)
    hp.uniformint(label, low, high)      hp.uniform(label, low, high)
    hp.quniform(label, low, high, q)     hp.loguniform(label, low, high)
    hp.qloguniform(label, low, high, q)  hp.normal(label, mu, sigma)
    hp.qnormal(label, mu, sigma, q)      hp.lognormal(label, mu, sigma)
    hp.qlognormal(label, mu, sigma, q)

The log kinds take their bounds as logarithms, as in hyperopt
(`hp.loguniform('lr', math.log(1e-4), math.log(1e-1))`). `randint`
excludes its upper bound, `uniformint` includes it.

Bad arguments raise at once, with hyperopt's kind of exception and
message: TypeError("require string label") for a label that is not a
string, ValueError("low should be less than high: ...") for empty ranges,
TypeError for missing or unknown arguments.
"""
import math
import numbers

from .pyll import Param

_LABEL_MAX = 256
_INT_MAX = 2 ** 53
_LOG_MAX = 700.0


def _label(label):
    if isinstance(label, bytes):
        label = label.decode()
    if not isinstance(label, str):
        raise TypeError("require string label")
    if not label:
        raise ValueError("label must be a non-empty string")
    if len(label.encode()) > _LABEL_MAX:
        raise ValueError("label %r is longer than %d bytes"
                         % (label[:40] + "...", _LABEL_MAX))
    return label


def _number(kind, label, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        # numpy scalars are numbers.Real; anything else (a string, a
        # None, another hyperparameter) cannot be a bound here.
        raise TypeError("hp.%s(%r): %s must be a number, got %r"
                        % (kind, label, name, value))
    x = float(value)
    if not math.isfinite(x):
        raise ValueError("hp.%s(%r): %s must be a finite number, got %r"
                         % (kind, label, name, value))
    return x


def _integer(kind, label, name, value):
    x = _number(kind, label, name, value)
    if x != int(x):
        raise ValueError("hp.%s(%r): %s must be an integer, got %r"
                         % (kind, label, name, value))
    if abs(x) > _INT_MAX:
        raise ValueError("hp.%s(%r): %s must be at most 2**53 in magnitude"
                         % (kind, label, name))
    return int(x)


def _range(low, high):
    if not low < high:
        raise ValueError("low should be less than high: %s is not smaller "
                         "than %s" % (low, high))


def _log_bounds(kind, label, low, high):
    if low < -_LOG_MAX or high > _LOG_MAX:
        raise ValueError(
            "hp.%s(%r): low and high are logarithms, as in hyperopt "
            "(hp.%s(label, math.log(1e-4), math.log(1e-1))); they must lie "
            "in [-700, 700], got %s and %s" % (kind, label, kind, low, high))


def _positive(kind, label, name, x):
    if not x > 0:
        raise ValueError("hp.%s(%r): %s must be > 0, got %s"
                         % (kind, label, name, x))


def _bounded(kind, label, low, high, q=None):
    low = _number(kind, label, "low", low)
    high = _number(kind, label, "high", high)
    _range(low, high)
    if kind in ("loguniform", "qloguniform"):
        _log_bounds(kind, label, low, high)
    args = {"low": low, "high": high}
    if q is not None:
        args["q"] = _number(kind, label, "q", q)
        _positive(kind, label, "q", args["q"])
    return Param(kind, label, args)


def _gaussian(kind, label, mu, sigma, q=None):
    args = {"mu": _number(kind, label, "mu", mu),
            "sigma": _number(kind, label, "sigma", sigma)}
    _positive(kind, label, "sigma", args["sigma"])
    if q is not None:
        args["q"] = _number(kind, label, "q", q)
        _positive(kind, label, "q", args["q"])
    return Param(kind, label, args)


def uniform(label, low, high):
    """A float uniform on [low, high)."""
    return _bounded("uniform", _label(label), low, high)


def quniform(label, low, high, q):
    """round(uniform(low, high) / q) * q."""
    return _bounded("quniform", _label(label), low, high, q)


def loguniform(label, low, high):
    """exp(uniform(low, high)): low and high are logarithms."""
    return _bounded("loguniform", _label(label), low, high)


def qloguniform(label, low, high, q):
    """round(exp(uniform(low, high)) / q) * q: low and high are logs."""
    return _bounded("qloguniform", _label(label), low, high, q)


def normal(label, mu, sigma):
    """A Gaussian."""
    return _gaussian("normal", _label(label), mu, sigma)


def qnormal(label, mu, sigma, q):
    """round(normal(mu, sigma) / q) * q."""
    return _gaussian("qnormal", _label(label), mu, sigma, q)


def lognormal(label, mu, sigma):
    """exp(normal(mu, sigma))."""
    return _gaussian("lognormal", _label(label), mu, sigma)


def qlognormal(label, mu, sigma, q):
    """round(exp(normal(mu, sigma)) / q) * q."""
    return _gaussian("qlognormal", _label(label), mu, sigma, q)


_NO = object()


def randint(label, *args, **kwargs):
    """An integer in [0, upper) (`randint(label, upper)`) or in
    [low, high) (`randint(label, low, high)`), as numpy's integers."""
    label = _label(label)
    upper = kwargs.pop("upper", _NO)
    low = kwargs.pop("low", _NO)
    high = kwargs.pop("high", _NO)
    if kwargs:
        raise TypeError("randint() got an unexpected keyword argument %r"
                        % next(iter(kwargs)))
    if len(args) > 2:
        raise TypeError("randint() takes from 2 to 3 positional arguments "
                        "but %d were given" % (len(args) + 1))
    pos = list(args)
    if upper is not _NO:
        if pos or low is not _NO or high is not _NO:
            raise TypeError("randint(): give either upper or low and high")
        low, high = 0, upper
    elif len(pos) == 2:
        if low is not _NO or high is not _NO:
            raise TypeError("randint() got multiple values for low/high")
        low, high = pos
    elif len(pos) == 1:
        if high is not _NO:
            if low is not _NO:
                raise TypeError("randint() got multiple values for low")
            low = pos[0]
        elif low is not _NO:
            raise TypeError("randint() got multiple values for low")
        else:
            low, high = 0, pos[0]
    elif low is not _NO and high is not _NO:
        pass
    elif low is not _NO:
        low, high = 0, low  # numpy: integers(low) is [0, low)
    else:
        raise TypeError("randint() missing 1 required positional argument: "
                        "'upper'")
    low = _integer("randint", label, "low", low)
    high = _integer("randint", label, "high", high)
    _range(low, high)
    return Param("randint", label, {"low": low, "high": high})


def uniformint(label, low, high, q=1):
    """An integer in [low, high], every value equally likely (hyperopt
    builds it from quniform(low, high, 1), whose two ends come up half as
    often)."""
    label = _label(label)
    if q != 1:
        raise TypeError("uniformint does not take q (it is always 1)")
    lo = _integer("uniformint", label, "low", low)
    hi = _integer("uniformint", label, "high", high)
    _range(lo, hi)
    return Param("uniformint", label, {"low": lo, "high": hi})


def _options(kind, label, options):
    if isinstance(options, (str, bytes, dict)) or \
            not hasattr(options, "__len__"):
        raise TypeError("hp.%s(%r): options must be a list or a tuple, got "
                        "%s" % (kind, label, type(options).__name__))
    options = list(options)
    if not options:
        raise ValueError("hp.%s(%r): options must not be empty"
                         % (kind, label))
    return options


def choice(label, options):
    """One of `options` (spaces), each equally likely. The trial's params
    hold the option's index."""
    label = _label(label)
    return Param("choice", label, options=_options("choice", label, options))


def pchoice(label, p_options):
    """One of the options of [(probability, option), ...]; probabilities
    that do not sum to 1 (0.33 three times) are taken relative to their
    sum."""
    label = _label(label)
    pairs = _options("pchoice", label, p_options)
    probs, options = [], []
    for pair in pairs:
        p, option = pair  # ValueError/TypeError as in hyperopt's zip(*...)
        probs.append(_number("pchoice", label, "probability", p))
        options.append(option)
    if any(p < 0 or p > 1 for p in probs):
        raise ValueError("probabilities are not non-negative")
    total = sum(probs)
    if not total > 0:
        raise ValueError("hp.pchoice(%r): the probabilities sum to 0"
                         % label)
    if abs(total - 1.0) > 1e-9:
        # hyperopt takes [(0.33, a), (0.33, b), (0.33, c)] as it is;
        # parzend wants a distribution, so weigh them by their sum.
        probs = [p / total for p in probs]
    return Param("pchoice", label, options=options, p=probs)


__all__ = ["choice", "pchoice", "randint", "uniformint", "uniform",
           "quniform", "loguniform", "qloguniform", "normal", "qnormal",
           "lognormal", "qlognormal"]
