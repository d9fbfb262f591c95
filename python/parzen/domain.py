"""hyperopt's Domain: an objective with its search space.

fmin does not need it (parzend makes the suggestions and fmin evaluates
the points itself); it is here for scripts that build one to evaluate a
configuration by hand, or to read `domain.params`.
"""
from .base import STATUS_NEW
from .results import interpret
from .space import compile_space


class Domain:
    """fn and its space `expr` (an hp space). `params`: label -> the hp
    node, in document order."""

    rec_eval_print_node_on_error = False

    def __init__(self, fn, expr, workdir=None, pass_expr_memo_ctrl=None,
                 name=None, loss_target=None):
        if pass_expr_memo_ctrl:
            raise NotImplementedError("parzen does not pass expr, memo and "
                                      "ctrl to the objective")
        self.fn = fn
        self.expr = expr
        self.workdir = workdir
        self.name = name
        self.loss_target = loss_target
        self.pass_expr_memo_ctrl = False
        self.compiled = compile_space(expr)
        self.params = dict(self.compiled.params)
        self.cmd = ("domain_attachment", "FMinIter_Domain")

    def memo_from_config(self, config):
        return dict(config)

    def evaluate(self, config, ctrl=None, attach_attachments=True):
        """Call fn on the point of `config` ({label: value}, a choice as
        its option index) and return hyperopt's result dict (attachments
        moved to ctrl.attachments)."""
        rv = self.fn(self.compiled.evaluate(config))
        _, _, _, result = interpret(rv)
        if attach_attachments and isinstance(result, dict):
            attachments = result.pop("attachments", {}) or {}
            if ctrl is not None:
                for k, v in attachments.items():
                    ctrl.attachments[k] = v
        return result

    def short_str(self):
        return "Domain{%s}" % str(self.fn)

    def loss(self, result, config=None):
        return result.get("loss", None)

    def loss_variance(self, result, config=None):
        return result.get("loss_variance", 0.0)

    def true_loss(self, result, config=None):
        return result.get("true_loss", self.loss(result, config))

    def true_loss_variance(self, config=None):
        raise NotImplementedError()

    def status(self, result, config=None):
        return result["status"]

    def new_result(self):
        return {"status": STATUS_NEW}


__all__ = ["Domain"]
