"""parzen: a client for parzend, and a hyperopt-compatible front.

    from parzen import hp, fmin, tpe, rand, Trials, STATUS_OK, space_eval
    # or: import parzen as hyperopt

runs hyperopt scripts unchanged, with the trials kept by parzend: a
private daemon for `Trials()`, a shared and resumable study for
`Trials(study="name")`. Objectives that train report as they go with
`report(value, step)`, and a study's pruner (`Trials(pruner=...)`,
`fmin(..., pruner=...)`) stops the bad ones early (`TrialPruned`). Below
that, `Client` speaks the protocol (docs/protocol.md) and
`worker(study, fn)` runs the ask -> run -> tell loop for a study. Standard library only; Python >= 3.9.
"""
from . import anneal, early_stop, exceptions, hp, mix, pyll, rand, tpe
from .base import (JOB_STATE_CANCEL, JOB_STATE_DONE, JOB_STATE_ERROR,
                   JOB_STATE_NEW, JOB_STATE_RUNNING, JOB_STATES,
                   JOB_VALID_STATES, STATUS_FAIL, STATUS_NEW, STATUS_OK,
                   STATUS_PRUNED, STATUS_RUNNING, STATUS_STRINGS,
                   STATUS_SUSPENDED)
from .base import Ctrl
from .client import Client, Error, Unavailable
from .domain import Domain
from .exceptions import AllTrialsFailed, DuplicateLabel
from .fmin import fmin, fmin_pass_expr_memo_ctrl, partial
from .pickling import load_hyperopt_trials, save_trials
from .pruning import TrialPruned, report, should_prune
from .space import space_eval
from .trials import Trials, generate_trials_to_calculate, trials_from_docs
from .worker import worker

__version__ = "0.1.0"


def __getattr__(name):
    # hyperopt's SparkTrials: a clear error with what to use instead.
    if name == "SparkTrials":
        from ._unsupported import SPARK, Unsupported
        raise Unsupported(SPARK)
    raise AttributeError("module 'parzen' has no attribute %r" % name)

__all__ = [
    "Client", "Error", "Unavailable", "worker",
    "hp", "fmin", "tpe", "rand", "anneal", "mix", "partial", "Trials",
    "fmin_pass_expr_memo_ctrl",
    "space_eval", "early_stop", "exceptions", "pyll", "Domain", "Ctrl",
    "generate_trials_to_calculate", "trials_from_docs",
    "load_hyperopt_trials", "save_trials", "AllTrialsFailed",
    "DuplicateLabel", "report", "should_prune", "TrialPruned",
    "STATUS_NEW", "STATUS_RUNNING", "STATUS_SUSPENDED", "STATUS_OK",
    "STATUS_FAIL", "STATUS_PRUNED", "STATUS_STRINGS",
    "JOB_STATE_NEW", "JOB_STATE_RUNNING", "JOB_STATE_DONE",
    "JOB_STATE_ERROR", "JOB_STATE_CANCEL", "JOB_STATES", "JOB_VALID_STATES",
]
