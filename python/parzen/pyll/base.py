"""hyperopt's `pyll.base`: `scope`, `as_apply`, `Apply` (the class of
every node of a space: hyperparameters and function nodes), `Literal` and
`rec_eval`."""
from . import Apply, Expr, Fn, Literal, Param, as_apply, rec_eval, scope

__all__ = ["Apply", "Expr", "Fn", "Literal", "Param", "as_apply", "rec_eval",
           "scope"]
