"""hyperopt's `rand` module: `rand.suggest` selects random search."""
from .algo import _rand_suggest as suggest

__all__ = ["suggest"]
