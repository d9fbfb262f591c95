"""hyperopt's `mix` module: a mixture of suggesters.

    fmin(..., algo=functools.partial(mix.suggest, p_suggest=[
        (0.1, rand.suggest), (0.2, anneal.suggest), (0.7, tpe.suggest)]))

Each trial is suggested by one of them, drawn with these probabilities;
the draw for trial number k depends only on the study's seed and k, so a
study resumes exactly (docs/space.md, "Suggesters").
"""
from .algo import _mix_suggest as suggest

__all__ = ["suggest"]
