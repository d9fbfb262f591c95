"""hyperopt's `anneal` module: `anneal.suggest` selects parzend's
annealing suggester (docs/space.md, "Suggesters"): sample near one of the
best trials so far, in a neighbourhood that shrinks as a label gets more
observations. `functools.partial(anneal.suggest, avg_best_idx=2.0,
shrink_coef=0.1)` sets hyperopt's two knobs."""
from .algo import _anneal_suggest as suggest

__all__ = ["suggest"]
