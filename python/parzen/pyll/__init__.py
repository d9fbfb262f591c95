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
nodes. Other functions (`//`, `%`, `abs`, `scope.exp`, your own) are
evaluated here only: parzend sees their arguments, so the hyperparameters
inside are still searched, and the point your objective receives is always
computed in Python from the trial's params (`parzen.space_eval`).
"""
import math
import operator


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

# Evaluated in Python only.
LOCAL = {
    "floordiv": operator.floordiv,
    "mod": operator.mod,
    "abs": abs,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "maximum": max,
    "minimum": min,
}

ARITY = {"int": 1, "float": 1, "neg": 1, "sub": 2, "div": 2, "pow": 2}


def _product(args):
    out = args[0]
    for a in args[1:]:
        out = out * a
    return out


class Fn(Expr):
    """A function node: `name`, `args` (spaces) and `func`, the Python
    function that computes it. `native`: parzend knows it."""

    __slots__ = ("name", "args", "func", "native")

    def __init__(self, name, args, func=None):
        self.name = name
        self.args = tuple(args)
        if func is None:
            func = NATIVE.get(name) or LOCAL[name]
        self.func = func
        self.native = name in NATIVE and func is NATIVE[name]
        want = ARITY.get(name) if self.native else None
        if want is not None and len(self.args) != want:
            raise TypeError("%s() takes %d argument%s (%d given)"
                            % (name, want, "" if want == 1 else "s",
                               len(self.args)))

    def __repr__(self):
        return "<scope.%s(%s)>" % (self.name,
                                   ", ".join(repr(a) for a in self.args))


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

    def define(self, f):
        """Decorator: `@scope.define def f(a, b): ...` makes `scope.f(...)`
        build a node that calls f on the evaluated arguments."""
        name = f.__name__

        def make(*args):
            return Fn(name, args, func=f)
        make.__name__ = name
        make.__doc__ = f.__doc__
        self._defined[name] = make
        return f

    define_pure = define

    def __getattr__(self, name):
        defined = self.__dict__.get("_defined", {})
        if name in defined:
            return defined[name]
        if name in LOCAL:
            return lambda *args: Fn(name, args)
        raise AttributeError(
            "scope has no function %r (parzen has int, float, add, sub, "
            "mul, div, neg, pow, %s; declare others with @scope.define)"
            % (name, ", ".join(sorted(LOCAL))))

    del _native


scope = _Scope()


def as_apply(obj):
    """hyperopt's as_apply, for scripts that call it: spaces are plain
    data here, so it returns its argument."""
    return obj


from . import stochastic  # noqa: E402  (hyperopt.pyll.stochastic.sample)

__all__ = ["Expr", "Param", "Fn", "scope", "as_apply", "stochastic"]
