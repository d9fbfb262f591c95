"""`tpe.suggest`, `rand.suggest`, `anneal.suggest` and `mix.suggest`:
markers that tell fmin which of parzend's suggesters to use.

Suggestions are made by parzend, so these are not called; fmin reads
them, also through `functools.partial(tpe.suggest, n_startup_jobs=...,
gamma=..., n_EI_candidates=...)`. hyperopt's argument names map to
parzen's TPE knobs (docs/space.md, "Suggesters"); parzen's own knob names
(`n_startup`, `bandwidth`, `multivariate`, `preset`, ...) are accepted
too. `tpe.suggest` uses parzen's default TPE; add `preset="hyperopt"` for
hyperopt 0.2's choices. `anneal.suggest` takes hyperopt's
`avg_best_idx` and `shrink_coef`; `mix.suggest` takes `p_suggest`, a list
of (probability, suggester) pairs (docs/space.md, "Suggesters").
"""
import functools

# hyperopt's argument -> parzen's knob (None: accepted and ignored).
_HYPEROPT_NAMES = {
    "n_startup_jobs": "n_startup",
    "gamma": "gamma",
    "n_EI_candidates": "n_ei_candidates",
    "prior_weight": "prior_weight",
    "linear_forgetting": "linear_forgetting",
    "verbose": None,
}
_PARZEN_KNOBS = ("preset", "gamma", "gamma_sqrt", "gamma_cap", "n_startup",
                 "n_ei_candidates", "prior_weight", "linear_forgetting",
                 "forget_below", "multivariate", "bandwidth",
                 "int_categorical", "pruned_in_n", "pending", "failed")


class Suggest:
    """A suggester marker: `algo` is parzend's name for it."""

    def __init__(self, algo, module):
        self.algo = algo
        self.__module__ = module
        self.__name__ = self.__qualname__ = "suggest"

    def __call__(self, *args, **kwargs):
        raise TypeError("parzen's %s.suggest is not called: pass it to fmin "
                        "as algo=, where parzend makes the suggestions"
                        % self.__module__.rsplit(".", 1)[-1])

    def __repr__(self):
        return "<%s.suggest: parzend's %s suggester>" % (self.__module__,
                                                         self.algo)


_ANNEAL_KNOBS = ("avg_best_idx", "shrink_coef")


def _unwrap(algo):
    """(base marker, keyword settings) of a suggester or partial."""
    kwargs = {}
    base = algo
    while isinstance(base, functools.partial):
        if base.args:
            raise TypeError("algo: give the suggester's settings by keyword "
                            "(functools.partial(tpe.suggest, gamma=0.2))")
        kwargs = dict(base.keywords, **kwargs)
        base = base.func
    if base is None:
        base = _tpe_suggest
    if not isinstance(base, Suggest):
        raise TypeError("algo must be parzen's tpe.suggest, rand.suggest, "
                        "anneal.suggest or mix.suggest (or a "
                        "functools.partial of one), got %r" % (algo,))
    return base, kwargs


def resolve(algo):
    """(parzend algo name, config or None) for fmin's `algo`."""
    base, kwargs = _unwrap(algo)
    if base.algo == "random":
        if kwargs:
            raise TypeError("rand.suggest takes no settings (got %s)"
                            % ", ".join(sorted(kwargs)))
        return "random", None
    if base.algo == "anneal":
        for k in kwargs:
            if k not in _ANNEAL_KNOBS:
                raise TypeError("anneal.suggest has no setting %r (it has: "
                                "%s)" % (k, ", ".join(_ANNEAL_KNOBS)))
        return "anneal", dict(kwargs) or None
    if base.algo == "mix":
        return "mix", _mix_config(kwargs)
    config = {}
    for k, v in kwargs.items():
        if k in _HYPEROPT_NAMES:
            if _HYPEROPT_NAMES[k] is not None:
                config[_HYPEROPT_NAMES[k]] = v
        elif k in _PARZEN_KNOBS:
            config[k] = v
        else:
            raise TypeError("tpe.suggest has no setting %r (hyperopt's: %s; "
                            "parzen's: %s)" % (k, ", ".join(_HYPEROPT_NAMES),
                                               ", ".join(_PARZEN_KNOBS)))
    return "tpe", config


def _mix_config(kwargs):
    """mix.suggest's p_suggest=[(p, suggest), ...] as parzend's config
    {"components": [{"p", "algo", "config"}, ...]}."""
    extra = set(kwargs) - {"p_suggest"}
    if extra:
        raise TypeError("mix.suggest takes p_suggest only (got %s)"
                        % ", ".join(sorted(extra)))
    pairs = kwargs.get("p_suggest")
    if not pairs:
        raise TypeError("mix.suggest needs p_suggest: functools.partial("
                        "mix.suggest, p_suggest=[(0.2, rand.suggest), (0.8, "
                        "tpe.suggest)])")
    components = []
    for i, pair in enumerate(pairs):
        try:
            p, suggest = pair
        except (TypeError, ValueError):
            raise TypeError("mix.suggest: p_suggest[%d] must be a pair "
                            "(probability, suggest)" % i) from None
        name, config = resolve(suggest)
        if name == "mix":
            raise TypeError("mix.suggest: p_suggest[%d] is a mix itself"
                            % i)
        c = {"p": float(p), "algo": name}
        if config:
            c["config"] = config
        components.append(c)
    return {"components": components}


_tpe_suggest = Suggest("tpe", "parzen.tpe")
_rand_suggest = Suggest("random", "parzen.rand")
_anneal_suggest = Suggest("anneal", "parzen.anneal")
_mix_suggest = Suggest("mix", "parzen.mix")
