"""parzen: a client for parzend, and a hyperopt-compatible front.

    from parzen import hp, fmin, tpe, rand, Trials, STATUS_OK, space_eval

runs hyperopt scripts unchanged, with the trials kept by parzend: a
private daemon for `Trials()`, a shared and resumable study for
`Trials(study="name")`. Below that, `Client` speaks the protocol
(docs/protocol.md) and `worker(study, fn)` runs the ask -> run -> tell
loop for a study. Standard library only; Python >= 3.9.
"""
from . import early_stop, hp, pyll, rand, tpe
from .base import (JOB_STATE_CANCEL, JOB_STATE_DONE, JOB_STATE_ERROR,
                   JOB_STATE_NEW, JOB_STATE_RUNNING, JOB_STATES,
                   JOB_VALID_STATES, STATUS_FAIL, STATUS_NEW, STATUS_OK,
                   STATUS_RUNNING, STATUS_STRINGS, STATUS_SUSPENDED)
from .client import Client, Error, Unavailable
from .exceptions import AllTrialsFailed, DuplicateLabel
from .fmin import fmin
from .space import space_eval
from .trials import Trials, generate_trials_to_calculate
from .worker import worker

__version__ = "0.1.0"

__all__ = [
    "Client", "Error", "Unavailable", "worker",
    "hp", "fmin", "tpe", "rand", "Trials", "space_eval", "early_stop",
    "pyll", "generate_trials_to_calculate", "AllTrialsFailed",
    "DuplicateLabel",
    "STATUS_NEW", "STATUS_RUNNING", "STATUS_SUSPENDED", "STATUS_OK",
    "STATUS_FAIL", "STATUS_STRINGS",
    "JOB_STATE_NEW", "JOB_STATE_RUNNING", "JOB_STATE_DONE",
    "JOB_STATE_ERROR", "JOB_STATE_CANCEL", "JOB_STATES", "JOB_VALID_STATES",
]
