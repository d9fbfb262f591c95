"""Expression nodes of a search space, and hyperopt's `scope`.

A space is plain Python data (dicts, lists, tuples, numbers, strings,
any object) holding nodes:

- `Param`: a hyperparameter, made by the `hp.*` functions;
- `Fn`: a function of other spaces, made by `scope.int(...)`,
  `scope.float(...)`, arithmetic (`1 + hp.lognormal(...)`,
  `2 ** hp.quniform(...)`) or a function of your own declared with
  `@scope.define`.

parzen's space format (docs/space.md) has the function nodes int, float,
neg, add, sub, mul, div and pow; they travel to parzend as `{"$fn": ...}`
nodes. Other functions (`//`, `%`, `abs`, indexing, `scope.exp`,
`scope.sin`, `scope.min`, hyperopt's stochastic `scope.normal(mu, sigma,
rng=...)`, your own, with positional and keyword arguments) are evaluated
here only: parzend sees their arguments, so the hyperparameters inside are
still searched, and the point your objective receives is always computed
in Python from the trial's params (`parzen.space_eval`).
"""
import math
import operator
import random as _random


class Expr:
    """A node of a space: arithmetic on it builds function nodes."""

    __slots__ = ()

    def __add__(self, other):
        return Fn("add", (self, other))

    def __radd__(self, other):
        return Fn("add", (other, self))

    def __sub__(self, other):
        return Fn("sub", (self, other))

    def __rsub__(self, other):
        return Fn("sub", (other, self))

    def __mul__(self, other):
        return Fn("mul", (self, other))

    def __rmul__(self, other):
        return Fn("mul", (other, self))

    def __truediv__(self, other):
        return Fn("div", (self, other))

    def __rtruediv__(self, other):
        return Fn("div", (other, self))

    def __pow__(self, other):
        return Fn("pow", (self, other))

    def __rpow__(self, other):
        return Fn("pow", (other, self))

    def __neg__(self):
        return Fn("neg", (self,))

    def __pos__(self):
        return self

    def __floordiv__(self, other):
        return Fn("floordiv", (self, other))

    def __rfloordiv__(self, other):
        return Fn("floordiv", (other, self))

    def __mod__(self, other):
        return Fn("mod", (self, other))

    def __rmod__(self, other):
        return Fn("mod", (other, self))

    def __abs__(self):
        return Fn("abs", (self,))

    def __getitem__(self, key):
        # hyperopt: hp.choice('o', [(1, a), (2, b)])[0], as_apply(list)[i]
        return Fn("getitem", (self, key))

    def __iter__(self):
        # Without this, __getitem__ would make every node an endless
        # sequence for list(), `in` and unpacking.
        raise TypeError("a space node (%r) is not iterable; index it, "
                        "node[i], to build a node of one element" % (self,))


class Param(Expr):
    """A hyperparameter: `kind` (uniform, choice, ...), `label`, `args`
    (the numeric arguments by name, in the space format's names) and, for
    choice and pchoice, `options` (and `p`)."""

    __slots__ = ("kind", "label", "args", "options", "p")

    def __init__(self, kind, label, args=None, options=None, p=None):
        self.kind = kind
        self.label = label
        self.args = args or {}
        self.options = options
        self.p = p

    def __repr__(self):
        if self.options is not None:
            return "<hp.%s %r: %d options>" % (self.kind, self.label,
                                               len(self.options))
        return "<hp.%s %r %s>" % (self.kind, self.label, " ".join(
            "%s=%r" % kv for kv in self.args.items()))


def _div(a, b):
    return a / b


# Functions of the space format: name -> Python implementation.
NATIVE = {
    "int": int,
    "float": float,
    "neg": operator.neg,
    "add": lambda *a: sum(a[1:], a[0]),
    "mul": lambda *a: _product(a),
    "sub": operator.sub,
    "div": _div,
    "pow": operator.pow,
}

def _rng_call(rng, numpy_name, fallback, *args):
    """A draw from rng: a numpy Generator or RandomState (its method
    `numpy_name`), a random.Random or None (the `random` module) through
    `fallback(r, *args)`."""
    if rng is not None and not isinstance(rng, _random.Random) and \
            hasattr(rng, numpy_name):
        return getattr(rng, numpy_name)(*args)
    return fallback(rng or _random, *args)


def _q(x, q):
    return round(x / q) * q


def _uniform(low, high, rng=None, size=()):
    return _rng_call(rng, "uniform", lambda r, a, b: r.uniform(a, b),
                     low, high)


def _normal(mu, sigma, rng=None, size=()):
    return _rng_call(rng, "normal", lambda r, a, b: r.gauss(a, b),
                     mu, sigma)


def _randint(low, high=None, rng=None, size=()):
    if high is None:
        low, high = 0, low
    if rng is not None and hasattr(rng, "integers"):
        return int(rng.integers(low, high))
    return _rng_call(rng, "randint", lambda r, a, b: r.randrange(a, b),
                     low, high)


def _categorical(p, rng=None, size=()):
    u = _uniform(0.0, 1.0, rng)
    total = 0.0
    for i, w in enumerate(p):
        total += w
        if u < total:
            return i
    return len(p) - 1


def _switch(pos, *args):
    return args[pos]


def _one_of(*args):
    return args[_randint(len(args))]


# Evaluated in Python only. hyperopt's stochastic functions (uniform,
# normal, ...) take rng= and draw a new value at every evaluation.
LOCAL = {
    "floordiv": operator.floordiv,
    "mod": operator.mod,
    "abs": abs,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "maximum": max,
    "minimum": min,
    "max": lambda *a: max(a),
    "min": lambda *a: min(a),
    "sum": lambda x, axis=None: sum(x),
    "len": len,
    "getitem": operator.getitem,
    "identity": lambda x: x,
    "pos_args": lambda *a: a,
    "dict": lambda *a, **kw: dict(*a, **kw),
    "switch": _switch,
    "getattr": getattr,
    "call": lambda fn, args=(), kwargs=None: fn(*args, **(kwargs or {})),
    "call_method": lambda obj, name, *a, **kw: getattr(obj, name)(*a, **kw),
    "str_join": lambda sep, seq: sep.join(seq),
    "eq": operator.eq, "lt": operator.lt, "le": operator.le,
    "gt": operator.gt, "ge": operator.ge,
    "uniform": _uniform,
    "loguniform": lambda low, high, rng=None, size=():
        math.exp(_uniform(low, high, rng)),
    "quniform": lambda low, high, q, rng=None, size=():
        _q(_uniform(low, high, rng), q),
    "qloguniform": lambda low, high, q, rng=None, size=():
        _q(math.exp(_uniform(low, high, rng)), q),
    "normal": _normal,
    "qnormal": lambda mu, sigma, q, rng=None, size=():
        _q(_normal(mu, sigma, rng), q),
    "lognormal": lambda mu, sigma, rng=None, size=():
        math.exp(_normal(mu, sigma, rng)),
    "qlognormal": lambda mu, sigma, q, rng=None, size=():
        _q(math.exp(_normal(mu, sigma, rng)), q),
    "randint": _randint,
    "categorical": _categorical,
    "one_of": _one_of,
}

# hyperopt's stochastic functions: pyll.stochastic.sample gives them its
# rng when they have none.
STOCHASTIC = frozenset(("uniform", "loguniform", "quniform", "qloguniform",
                        "normal", "qnormal", "lognormal", "qlognormal",
                        "randint", "categorical"))

ARITY = {"int": 1, "float": 1, "neg": 1, "sub": 2, "div": 2, "pow": 2}


def _product(args):
    out = args[0]
    for a in args[1:]:
        out = out * a
    return out


class Fn(Expr):
    """A function node: `name`, `args` and `kwargs` (spaces) and `func`,
    the Python function that computes it. `native`: parzend knows it."""

    __slots__ = ("name", "args", "kwargs", "func", "native")

    def __init__(self, name, args, func=None, kwargs=None):
        self.name = name
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        if func is None:
            func = NATIVE.get(name) or LOCAL[name]
        self.func = func
        self.native = name in NATIVE and func is NATIVE[name] and \
            not self.kwargs
        want = ARITY.get(name) if self.native else None
        if want is not None and len(self.args) != want:
            raise TypeError("%s() takes %d argument%s (%d given)"
                            % (name, want, "" if want == 1 else "s",
                               len(self.args)))

    def __repr__(self):
        return "<scope.%s(%s)>" % (self.name, ", ".join(
            [repr(a) for a in self.args] +
            ["%s=%r" % kv for kv in self.kwargs.items()]))


class _Scope:
    """hyperopt's `scope`: `scope.int(x)`, `scope.float(x)`, the
    arithmetic functions, a few math functions, and `@scope.define` to
    declare a function of your own (evaluated in Python)."""

    def __init__(self):
        self._defined = {}

    def _native(name):
        def make(self, *args):
            return Fn(name, args)
        make.__name__ = name
        return make

    int = _native("int")
    float = _native("float")
    neg = _native("neg")
    sub = _native("sub")
    pow = _native("pow")
    div = _native("div")
    truediv = _native("div")

    def add(self, *args):
        if len(args) < 2:
            raise TypeError("add() takes 2 or more arguments")
        return Fn("add", args)

    def mul(self, *args):
        if len(args) < 2:
            raise TypeError("mul() takes 2 or more arguments")
        return Fn("mul", args)

    def define(self, f, o_len=None, pure=False):
        """Decorator: `@scope.define def f(a, b=1): ...` makes
        `scope.f(...)` build a node that calls f on the evaluated
        arguments (positional and keyword); `scope.define(SomeClass)`
        does the same for a class. Returns f, as hyperopt does."""
        name = f.__name__

        def make(*args, **kwargs):
            return Fn(name, args, func=f, kwargs=kwargs)
        make.__name__ = name
        make.__doc__ = f.__doc__
        self._defined[name] = make
        return f

    def define_pure(self, f):
        return self.define(f)

    define_if_new = define_pure

    def define_info(self, o_len=None, pure=False):
        """hyperopt's decorator factory: `@scope.define_info(o_len=2)`."""
        return self.define

    def undefine(self, f):
        self._defined.pop(f if isinstance(f, str) else f.__name__, None)

    def __dir__(self):
        return sorted(set(object.__dir__(self)) | set(LOCAL) |
                      set(self._defined))

    def __getattr__(self, name):
        defined = self.__dict__.get("_defined", {})
        if name in defined:
            return defined[name]
        if name in LOCAL:
            return lambda *args, **kwargs: Fn(name, args, kwargs=kwargs)
        raise AttributeError(
            "scope has no function %r (parzen has int, float, add, sub, "
            "mul, div, neg, pow, %s; declare others with @scope.define)"
            % (name, ", ".join(sorted(LOCAL))))

    del _native


scope = _Scope()


Apply = Expr  # hyperopt's name for the class of every node


class Literal(Fn):
    """hyperopt's Literal: a node holding a value (it evaluates as the
    value would in a space)."""

    __slots__ = ()

    def __init__(self, obj=None):
        Fn.__init__(self, "identity", (obj,))

    @property
    def obj(self):
        return self.args[0]


def as_apply(obj):
    """hyperopt's as_apply: a node for a list, tuple or dict (so that
    `as_apply([a, b])[hp.choice(...)]` indexes it; it evaluates as the
    space itself would: a tuple, a dict with sorted keys); nodes and other
    values are returned as they are."""
    if isinstance(obj, (list, tuple, dict)):
        return Fn("identity", (obj,))
    return obj


def rec_eval(expr, memo=None, **kwargs):
    """hyperopt's rec_eval for a space without hyperparameters (scope
    functions of constants): its value. A space with hyperparameters needs
    values for them: `parzen.space_eval(space, {label: value})`, or
    `pyll.stochastic.sample(space)` for a random point."""
    from ..space import evaluate
    if memo:
        raise NotImplementedError(
            "parzen's rec_eval takes no memo; use parzen.space_eval(space, "
            "{label: value})")
    return evaluate(expr, {})


from . import stochastic  # noqa: E402  (hyperopt.pyll.stochastic.sample)

__all__ = ["Apply", "Expr", "Param", "Fn", "Literal", "scope", "as_apply",
           "rec_eval", "stochastic"]
