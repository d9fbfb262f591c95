"""Spaces built with `hp` as parzen space documents, and evaluated back.

`compile_space(space)` walks a space once and returns a `Space`: the JSON
document parzend validates and searches (docs/space.md), the table of
hyperparameters by label, and `evaluate(params)`, the point for a trial's
params, computed in Python so that objects JSON cannot hold (classes,
functions, tuples, numpy values) reach the objective as they are in the
space. `space_eval(space, assignment)` is hyperopt's.

What parzend gets for the parts it cannot hold:

- a literal that is not JSON (a class, a function, any object) becomes a
  stable placeholder string, "<python module.Name>";
- a function parzend does not know (`//`, `@scope.define`), or one of
  an argument parzend cannot compute as a number, becomes a literal
  array ["<python fn name>", args...]: the hyperparameters in its
  arguments are still searched, under the same conditions;
- a hyperparameter used twice (the same `hp` object, which hyperopt
  allows) is defined at its first place and a placeholder at the others;
  this needs the first place to be active whenever a later one is.
"""
import math
import numbers

from .exceptions import BadSearchSpace, DuplicateLabel
from .pyll import Expr, Fn, Param

INT_KINDS = frozenset(("randint", "choice", "pchoice"))


def _placeholder(obj):
    if isinstance(obj, type) or callable(obj):
        mod = getattr(obj, "__module__", None) or "?"
        name = getattr(obj, "__qualname__", None) or \
            getattr(obj, "__name__", None) or type(obj).__name__
        return "<python %s.%s>" % (mod, name)
    t = type(obj)
    return "<python %s.%s>" % (t.__module__, t.__qualname__)


def _json_literal(obj):
    """The JSON form of a literal leaf, or a placeholder string."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        x = float(obj)
        return x if math.isfinite(x) else "<python float %r>" % x
    return _placeholder(obj)


class Space:
    """A compiled space: `document` (JSON-ready), `params` (label ->
    Param, in document order), `space` (the original)."""

    def __init__(self, space):
        self.space = space
        self.params = {}
        self._where = {}    # label -> condition path of its definition
        self._node = {}     # id(Param) -> label, for reuse
        self.document = self._walk(space, (), "space")

    # --- to JSON ---------------------------------------------------------

    def _walk(self, x, cond, path):
        return self._node_doc(x, cond, path)[0]

    def _node_doc(self, x, cond, path):
        """(JSON for x, whether parzend can compute x as a number)."""
        if isinstance(x, Param):
            return self._param(x, cond, path)
        if isinstance(x, Fn):
            args = [self._node_doc(a, cond, "%s.args[%d]" % (path, i))
                    for i, a in enumerate(x.args)]
            if x.native and all(numeric for _, numeric in args):
                return {"$fn": x.name, "args": [a for a, _ in args]}, True
            return ["<python fn %s>" % x.name] + [a for a, _ in args], False
        if isinstance(x, dict):
            out = {}
            for k, v in x.items():
                key = k if isinstance(k, str) else str(k)
                if key.startswith("$"):
                    raise BadSearchSpace(
                        "%s: key %r is reserved (keys starting with '$' "
                        "mark nodes in parzen's space format)" % (path, key))
                if key in out:
                    raise BadSearchSpace("%s: two keys read %r" % (path, key))
                out[key] = self._walk(v, cond, "%s.%s" % (path, key))
            return out, False
        if isinstance(x, (list, tuple)):
            return [self._walk(v, cond, "%s[%d]" % (path, i))
                    for i, v in enumerate(x)], False
        doc = _json_literal(x)
        return doc, isinstance(doc, (int, float))

    def _param(self, p, cond, path):
        label = p.label
        if label in self.params:
            if self.params[label] is not p:
                raise DuplicateLabel(label)
            first = self._where[label]
            if cond[:len(first)] != first:
                raise BadSearchSpace(
                    "%s: hyperparameter %r is used again in a place that can "
                    "be active without its first place; parzen needs each "
                    "hyperparameter defined once, so define it outside the "
                    "choices that use it" % (path, label))
            return "<python ref %s>" % label, False
        self.params[label] = p
        self._where[label] = cond
        doc = {"$hp": p.kind, "label": label}
        if p.options is None:
            doc.update(p.args)
            return doc, True
        options = [self._node_doc(o, cond + ((label, i),),
                                  "%s.options[%d]" % (path, i))
                   for i, o in enumerate(p.options)]
        doc["options"] = [o for o, _ in options]
        if p.p is not None:
            doc["p"] = list(p.p)
        return doc, all(numeric for _, numeric in options)

    # --- params <-> values -----------------------------------------------

    def evaluate(self, params):
        """The point for flat params {label: value} (a choice's value is
        its option index)."""
        return evaluate(self.space, params)

    def active(self, params):
        """The params of the labels active in this assignment, values
        typed as parzend wants them (what trial.enqueue takes): labels of
        options not chosen are dropped; a missing active label raises
        KeyError."""
        used = {}

        def draw(p):
            if p.label not in params:
                raise KeyError("no value for hyperparameter %r, which is "
                               "active in this point" % p.label)
            v = params[p.label]
            used[p.label] = int(v) if p.kind in INT_KINDS or \
                p.kind == "uniformint" else float(v)
            return v
        evaluate(self.space, {}, draw=draw)
        return used


def compile_space(space):
    return Space(space)


def _value(p, v):
    kind = p.kind
    if kind in ("randint", "uniformint"):
        return int(v)
    return float(v)


def evaluate(space, params, draw=None):
    """Evaluate `space` with the hyperparameter values in `params`
    ({label: value}; a choice's value is the index of its option).
    `draw(param)`, when given, supplies values for labels missing from
    params; otherwise a missing active label raises KeyError."""
    memo = {}

    def get(p):
        if p.label in params:
            return params[p.label]
        if draw is not None:
            if p.label not in memo:
                memo[p.label] = draw(p)
            return memo[p.label]
        raise KeyError("no value for hyperparameter %r, which is active in "
                       "this point" % p.label)

    def ev(x):
        if isinstance(x, Expr):
            if isinstance(x, Param):
                v = get(x)
                if x.options is not None:
                    i = int(v)
                    if not 0 <= i < len(x.options) or i != v:
                        raise ValueError("%r: %r is not an option index of "
                                         "%s (0 to %d)"
                                         % (x.label, v, x.kind,
                                            len(x.options) - 1))
                    return ev(x.options[i])
                return _value(x, v)
            return x.func(*[ev(a) for a in x.args])
        t = type(x)
        if t is dict:
            return {k: ev(v) for k, v in x.items()}
        if t is list:
            return [ev(v) for v in x]
        if t is tuple:
            return tuple(ev(v) for v in x)
        if isinstance(x, dict):
            return t((k, ev(v)) for k, v in x.items())
        if isinstance(x, tuple) and hasattr(x, "_fields"):
            return t(*[ev(v) for v in x])  # a namedtuple
        if isinstance(x, (list, tuple)):
            return t(ev(v) for v in x)
        return x

    return ev(space)


def space_eval(space, hp_assignment):
    """hyperopt's space_eval: the point of `space` for an assignment
    {label: value} such as `fmin`'s argmin (a choice's value is the index
    of its option). Labels that are not active in that point are
    ignored. No daemon is involved."""
    return evaluate(space, hp_assignment)


def is_document(x):
    """True when x is a space document already (JSON holding "$hp" or
    "$fn" nodes) rather than a space built with `hp`."""
    if isinstance(x, dict):
        return "$hp" in x or "$fn" in x or any(is_document(v)
                                               for v in x.values())
    if isinstance(x, list):
        return any(is_document(v) for v in x)
    return False
