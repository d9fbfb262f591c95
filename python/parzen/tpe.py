"""hyperopt's `tpe` module: `tpe.suggest` selects parzend's TPE.

The `_default_*` names are hyperopt's defaults for its TPE arguments
(those of the `preset="hyperopt"` settings, docs/space.md), for scripts
that pass them on: `partial(tpe.suggest, gamma=tpe._default_gamma)`.
parzen's own TPE defaults differ; plain `tpe.suggest` uses those.
"""
from .algo import _tpe_suggest as suggest

_default_prior_weight = 1.0
_default_n_startup_jobs = 20
_default_n_EI_candidates = 24
_default_gamma = 0.25
_default_linear_forgetting = 25

__all__ = ["suggest"]
