"""hyperopt's `base`: trial statuses and job states, and (imported from
their modules) Trials, Domain and trials_from_docs.

A result's `status` is one of the STATUS_* strings; a trial document's
`state` is one of the JOB_STATE_* numbers. parzen's trial states map onto
them as queued -> JOB_STATE_NEW, running -> JOB_STATE_RUNNING, ok, fail
and pruned -> JOB_STATE_DONE, and a trial whose objective raised ->
JOB_STATE_ERROR. STATUS_PRUNED is parzen's own: the result status of a
trial the pruner stopped (parzen.report, docs/pruning.md).
"""

from .exceptions import (AllTrialsFailed, DuplicateLabel, InvalidLoss,
                         InvalidResultStatus, InvalidTrial)

STATUS_NEW = "new"
STATUS_RUNNING = "running"
STATUS_SUSPENDED = "suspended"
STATUS_OK = "ok"
STATUS_FAIL = "fail"
STATUS_PRUNED = "pruned"   # parzen's: stopped early by the pruner
STATUS_STRINGS = ("new", "running", "suspended", "ok", "fail", "pruned")

JOB_STATE_NEW = 0
JOB_STATE_RUNNING = 1
JOB_STATE_DONE = 2
JOB_STATE_ERROR = 3
JOB_STATE_CANCEL = 4
JOB_STATES = [JOB_STATE_NEW, JOB_STATE_RUNNING, JOB_STATE_DONE,
              JOB_STATE_ERROR, JOB_STATE_CANCEL]
JOB_VALID_STATES = {JOB_STATE_NEW, JOB_STATE_RUNNING, JOB_STATE_DONE}

TRIAL_KEYS = ["tid", "spec", "result", "misc", "state", "owner", "book_time",
              "refresh_time", "exp_key"]
TRIAL_MISC_KEYS = ["tid", "cmd", "idxs", "vals"]


def miscs_to_idxs_vals(miscs, keys=None):
    """hyperopt's: ({label: [tid, ...]}, {label: [value, ...]}) of the
    misc dicts of trial documents."""
    if keys is None:
        keys = list(miscs[0]["idxs"].keys()) if miscs else []
    idxs = {k: [] for k in keys}
    vals = {k: [] for k in keys}
    for misc in miscs:
        for k in misc["idxs"]:
            idxs.setdefault(k, []).extend(misc["idxs"][k])
            vals.setdefault(k, []).extend(misc["vals"][k])
    return idxs, vals


def SONify(arg, memo=None):
    """hyperopt's: a copy of arg with numpy scalars and arrays as Python
    numbers and lists (what a document store can hold); other values as
    they are."""
    if isinstance(arg, dict):
        return {SONify(k): SONify(v) for k, v in arg.items()}
    if isinstance(arg, (list, tuple)):
        return type(arg)(SONify(v) for v in arg)
    if isinstance(arg, (str, bytes, int, float, type(None))):
        return arg
    tolist = getattr(arg, "tolist", None)  # numpy scalars and arrays
    if callable(tolist):
        return SONify(tolist())
    return arg


def spec_from_misc(misc):
    """hyperopt's: {label: value} of the labels active in a trial."""
    return {k: v[0] for k, v in misc["vals"].items() if len(v)}


class Ctrl:
    """hyperopt's Ctrl, for objectives that take one: the trials and the
    current trial's attachments."""

    def __init__(self, trials, current_trial=None):
        if trials is None:
            from .trials import Trials
            trials = Trials()
        self.trials = trials
        self.current_trial = current_trial

    @property
    def attachments(self):
        return self.trials.trial_attachments(self.current_trial)


# Trials, Domain and trials_from_docs live in their own modules (which
# import the constants above); hyperopt users import them from here.
def __getattr__(name):
    if name in ("Trials", "trials_from_docs"):
        from . import trials
        return getattr(trials, name)
    if name == "Domain":
        from .domain import Domain
        return Domain
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


__all__ = [
    "STATUS_NEW", "STATUS_RUNNING", "STATUS_SUSPENDED", "STATUS_OK",
    "STATUS_FAIL", "STATUS_STRINGS", "JOB_STATE_NEW", "JOB_STATE_RUNNING",
    "JOB_STATE_DONE", "JOB_STATE_ERROR", "JOB_STATE_CANCEL", "JOB_STATES",
    "JOB_VALID_STATES", "TRIAL_KEYS", "TRIAL_MISC_KEYS", "Ctrl",
    "miscs_to_idxs_vals", "spec_from_misc", "SONify", "Trials", "Domain",
    "trials_from_docs", "AllTrialsFailed", "DuplicateLabel", "InvalidLoss",
    "InvalidResultStatus", "InvalidTrial"]
