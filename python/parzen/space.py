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
- a hyperparameter used in several places (the same `hp` object, which
  hyperopt allows) is defined once, under the conditions all its places
  share, and is a placeholder at the other places: at its first place
  with these conditions, or else beside the innermost option that holds
  all its places (a learning rate shared by two options of a choice is
  defined beside the choice), as ["<python hoisted>", doc, definitions].
"""
import math
import numbers

from .exceptions import BadSearchSpace, DuplicateLabel
from .pyll import LOCAL, STOCHASTIC, Expr, Fn, Param

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
        self._places = {}   # label -> [(enclosing label, option) or None]
        self._found = {}    # label -> Param, in the order first met
        self._collect(space, None)
        self._defcond = {}  # label -> conditions of its definition
        for label in self._found:
            self._condition(label)
        # A label none of whose places has the conditions of its
        # definition (one used in two options of a choice) is defined
        # beside the innermost option that holds all its places.
        self._hoisted = {}  # conditions -> [Param]
        for label, p in self._found.items():
            d = self._defcond[label]
            if not any(self._place_cond(e) == d
                       for e in self._places[label]):
                self._hoisted.setdefault(d, []).append(p)
        self.document = self._hoist(self._walk(space, (), "space"), (),
                                    "space")

    # --- where each hyperparameter is defined ------------------------------

    def _collect(self, x, encl):
        """Record every place of every hyperparameter: the option that
        encloses it, (label, index), or None at the top."""
        if isinstance(x, Param):
            label = x.label
            known = self._found.get(label)
            if known is not None and known is not x:
                raise DuplicateLabel(label)
            self._places.setdefault(label, []).append(encl)
            if known is None:
                self._found[label] = x
                for i, o in enumerate(x.options or ()):
                    self._collect(o, (label, i))
        elif isinstance(x, Fn):
            for a in x.args:
                self._collect(a, encl)
            for v in x.kwargs.values():
                self._collect(v, encl)
        elif isinstance(x, dict):
            for v in x.values():
                self._collect(v, encl)
        elif isinstance(x, (list, tuple)):
            for v in x:
                self._collect(v, encl)

    def _place_cond(self, encl):
        if encl is None:
            return ()
        return self._condition(encl[0]) + (encl,)

    def _condition(self, label):
        """The conditions under which `label` is active: those every one
        of its places shares (hyperopt makes it active where any of its
        places is; this is the nearest superset parzen's format holds)."""
        d = self._defcond.get(label)
        if d is None:
            conds = [self._place_cond(e) for e in self._places[label]]
            d = conds[0]
            for c in conds[1:]:
                n = 0
                while n < min(len(d), len(c)) and d[n] == c[n]:
                    n += 1
                d = d[:n]
            self._defcond[label] = d
        return d

    def _hoist(self, doc, cond, path):
        """doc, carrying the definitions of the hyperparameters hoisted to
        `cond` (parzend reads them there; the point never uses this)."""
        hoisted = self._hoisted.get(cond)
        if not hoisted:
            return doc
        return ["<python hoisted>", doc] + [
            self._param(p, cond, "%s.<%s>" % (path, p.label))[0]
            for p in hoisted]

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
            doc = ["<python fn %s>" % x.name] + [a for a, _ in args]
            if x.kwargs:
                doc.append(self._walk(x.kwargs, cond, "%s.kwargs" % path))
            return doc, False
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
        if label in self.params or cond != self._defcond[label]:
            return "<python ref %s>" % label, False
        self.params[label] = p
        doc = {"$hp": p.kind, "label": label}
        if p.options is None:
            doc.update(p.args)
            return doc, True
        options = []
        for i, o in enumerate(p.options):
            c = cond + ((label, i),)
            where = "%s.options[%d]" % (path, i)
            d, numeric = self._node_doc(o, c, where)
            hoisted = self._hoist(d, c, where)
            options.append((hoisted, numeric and hoisted is d))
        doc["options"] = [o for o, _ in options]
        if p.p is not None:
            doc["p"] = list(p.p)
        return doc, all(numeric for _, numeric in options)

    def unused(self, params):
        """Labels of `params` that the point does not use: hoisted labels
        parzend has active where none of their places is (hyperopt has
        them inactive there, and leaves them out of a trial's vals)."""
        if not self._hoisted:
            return ()
        memo = {}

        def used(label):
            if label not in memo:
                memo[label] = False  # a cycle cannot make itself active
                memo[label] = any(
                    e is None or (used(e[0]) and params.get(e[0]) == e[1])
                    for e in self._places.get(label, ()))
            return memo[label]
        return [k for k in params if k in self._places and not used(k)]

    # --- params <-> values -----------------------------------------------

    def evaluate(self, params):
        """The point for flat params {label: value} (a choice's value is
        its option index)."""
        return evaluate(self.space, params)

    def active(self, params):
        """The params of the labels active in this assignment, values
        typed as parzend wants them (what trial.enqueue takes): labels of
        options not chosen are dropped; a missing label that the point
        uses raises KeyError. (A hoisted label active where the point
        does not use it, and not given, gets its prior's draw: hyperopt
        has it inactive there.)"""
        used = {}

        def typed(p, v):
            return int(v) if p.kind in INT_KINDS or \
                p.kind == "uniformint" else float(v)

        def draw(p):
            if p.label not in params:
                raise KeyError("no value for hyperparameter %r, which is "
                               "active in this point" % p.label)
            v = params[p.label]
            used[p.label] = typed(p, v)
            return v
        evaluate(self.space, {}, draw=draw)
        from .pyll.stochastic import draw as prior_draw
        import random
        rng = random.Random(0)
        for label in sorted(self.params,
                            key=lambda k: len(self._defcond[k])):
            if label in used or not all(
                    used.get(c) == i for c, i in self._defcond[label]):
                continue
            p = self.params[label]
            used[label] = typed(p, params[label] if label in params
                                else prior_draw(p, rng))
        return used


def compile_space(space):
    return Space(space)


def _value(p, v):
    kind = p.kind
    if kind in ("randint", "uniformint"):
        return int(v)
    return float(v)


def _sorted_keys(d):
    """d's keys sorted, as hyperopt's as_apply orders them (insertion
    order when they do not compare, e.g. str and int keys together)."""
    try:
        return sorted(d)
    except TypeError:
        return list(d)


def evaluate(space, params, draw=None, rng=None):
    """Evaluate `space` with the hyperparameter values in `params`
    ({label: value}; a choice's value is the index of its option).
    `draw(param)`, when given, supplies values for labels missing from
    params; otherwise a missing active label raises KeyError. `rng`, when
    given, is passed to hyperopt's stochastic scope functions
    (scope.normal(...), ...) that have no rng of their own.

    The point is built as hyperopt builds it: every dict of the space
    (a subclass too) becomes a plain dict with its keys sorted, every
    list or tuple a tuple."""
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
                    if i != v:  # hyperopt: TypeError, IndexError
                        raise TypeError("%r: %r is not an option index of "
                                        "%s (an integer)" % (x.label, v,
                                                             x.kind))
                    if not 0 <= i < len(x.options):
                        raise IndexError("%r: %r is not an option index of "
                                         "%s (0 to %d)"
                                         % (x.label, v, x.kind,
                                            len(x.options) - 1))
                    return ev(x.options[i])
                return _value(x, v)
            kwargs = {k: ev(v) for k, v in x.kwargs.items()}
            if rng is not None and x.name in STOCHASTIC and \
                    x.func is LOCAL[x.name] and kwargs.get("rng") is None:
                kwargs["rng"] = rng
            return x.func(*[ev(a) for a in x.args], **kwargs)
        if isinstance(x, dict):
            return {k: ev(x[k]) for k in _sorted_keys(x)}
        if isinstance(x, (list, tuple)):
            return tuple(ev(v) for v in x)
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
