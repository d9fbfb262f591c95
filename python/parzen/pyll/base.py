"""hyperopt's `pyll.base`: `scope`, `as_apply` and `Apply` (the class of
every node of a space: hyperparameters and function nodes)."""
from . import Expr, Fn, Param, as_apply, rec_eval, scope

Apply = Expr

__all__ = ["Apply", "Expr", "Fn", "Param", "as_apply", "rec_eval", "scope"]
