"""hyperopt's `tpe` module: `tpe.suggest` selects parzend's TPE."""
from .algo import _tpe_suggest as suggest

__all__ = ["suggest"]
