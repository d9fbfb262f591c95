"""hyperopt's Trials, kept by parzend.

`Trials()` is private to the process, as hyperopt's in-memory Trials:
its trials live in a study of this process's private parzend (a
temporary socket and database, removed at exit). `Trials(study="name")`
is persistent: the study "name" of the parzend on $PARZEN_SOCKET or the
default socket, started in the background when nothing listens there. A
second process with the same study name works on the same search, and a
script run again resumes it (`max_evals` is a total).

The views are hyperopt's: `.trials` (documents with `tid`, `state`,
`result`, `misc.idxs`/`misc.vals` as lists, `book_time`,
`refresh_time`), `.results`, `.losses()`, `.statuses()`, `.best_trial`,
`.argmin` (a choice as its option index), `.vals`, `.idxs`, `.tids`,
`len()`, iteration, `trial_attachments()`. They reflect the trials as
of the last `refresh()` (done by `fmin` when it returns, and on first
use of a persistent Trials) plus what this process did since.
"""
import datetime
import itertools
import os

from . import daemon as _daemon
from .base import (JOB_STATE_DONE, JOB_STATE_ERROR, JOB_STATE_NEW,
                   JOB_STATE_RUNNING, STATUS_FAIL, STATUS_NEW, STATUS_OK,
                   STATUS_RUNNING)
from .client import NOT_FOUND, Client, Error
from .exceptions import AllTrialsFailed
from .results import decode

_JOB_STATE = {"queued": JOB_STATE_NEW, "running": JOB_STATE_RUNNING,
              "ok": JOB_STATE_DONE, "fail": JOB_STATE_DONE}
_INT_KINDS = ("choice", "pchoice", "randint")
_private_names = itertools.count()


def kinds_of_document(doc):
    """{label: kind} of a space document, in document order."""
    out = {}

    def walk(x):
        if isinstance(x, dict):
            kind = x.get("$hp")
            if isinstance(kind, str) and "label" in x:
                out[x["label"]] = kind
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    walk(doc)
    return out


def _utc(t):
    if t is None:
        return None
    dt = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    # hyperopt's coarse_utcnow(): naive UTC, millisecond resolution.
    return dt.replace(tzinfo=None, microsecond=dt.microsecond // 1000 * 1000)


class Trials:
    """Trials of one parzen study, with hyperopt's views.

    exp_key, refresh: hyperopt's arguments, accepted for compatibility.
    study: a study name for a persistent, shareable search (None: private
        to this process).
    socket: parzend's socket for a persistent study (None: $PARZEN_SOCKET
        or the default one; parzend is started there if nothing listens).
    client: a `Client` to use instead of connecting.
    """

    asynchronous = False

    def __init__(self, exp_key=None, refresh=True, study=None, socket=None,
                 client=None):
        self._exp_key = exp_key
        self.persistent = study is not None
        self._study = study
        self._socket = socket
        self._client = client
        self._raw = {}          # number -> trial object from parzend
        self._docs = {}         # number -> hyperopt document (cache)
        self._list = None       # documents by number (cache)
        self._kinds = None      # label -> kind
        self._labels = None     # labels in document order
        self._loaded = False
        self._pending_points = None  # generate_trials_to_calculate()
        self.attachments = {}

    # --- where the trials are -------------------------------------------

    @property
    def client(self):
        if self._client is None:
            if self.persistent:
                sock = _daemon.ensure_default(self._socket)
            else:
                sock = _daemon.private().socket
            self._client = Client(sock)
        return self._client

    @property
    def study(self):
        """The study's name (a private Trials gets one on first use)."""
        if self._study is None:
            self._study = "trials-%d-%d" % (os.getpid(),
                                             next(_private_names))
        return self._study

    def _set_space_document(self, doc):
        self._kinds = kinds_of_document(doc)
        self._labels = list(self._kinds)
        self._docs.clear()
        self._list = None

    def refresh(self):
        """Read every trial of the study from parzend."""
        c = self.client
        try:
            study = c.get_study(self.study)
        except Error as e:
            if e.code != NOT_FOUND:
                raise
            self._raw.clear()
            self._docs.clear()
            self._list = None
            self._loaded = True
            return
        if self._kinds is None:
            self._set_space_document(study["space"])
        raw = {}
        for t in c.iter_trials(self.study):
            raw[t["number"]] = t
        self._raw = raw
        self._docs.clear()
        self._list = None
        self._loaded = True

    def _ensure_loaded(self):
        if not self._loaded and (self.persistent or self._raw):
            self.refresh()

    def _update(self, trial):
        """Record a trial object from a reply, or made locally. A partial
        one (trial.tell answers with a summary) updates the fields it
        has."""
        n = trial["number"]
        old = self._raw.get(n)
        if old is not None and ("params" not in trial or
                                "result" not in trial):
            trial = dict(old, **trial)
        self._raw[n] = trial
        self._docs.pop(n, None)
        self._list = None

    # --- hyperopt's documents -------------------------------------------

    def _doc(self, t):
        n = t["number"]
        state = t["state"]
        js = _JOB_STATE[state]
        misc = {"tid": n, "cmd": ("domain_attachment", "FMinIter_Domain"),
                "workdir": None, "idxs": {}, "vals": {}}
        if state == "queued":
            result = {"status": STATUS_NEW}
        elif state == "running":
            result = {"status": STATUS_RUNNING}
        else:
            stored = t.get("result")
            if state == "ok":
                loss = t.get("loss")
                loss = float(loss) if loss is not None else None
                if isinstance(stored, dict):
                    result = decode(stored)
                    result["loss"] = loss
                    result["status"] = STATUS_OK
                else:
                    result = {"loss": loss, "status": STATUS_OK}
            else:
                result = decode(stored) if isinstance(stored, dict) else {}
                if result.get("status") in (None, STATUS_OK):
                    result["status"] = STATUS_FAIL
                if "traceback" in result and "error" in result:
                    js = JOB_STATE_ERROR
                    misc["error"] = tuple(result["error"])
            att = result.pop("attachments", None)
            if isinstance(att, dict):
                for k, v in att.items():
                    self.attachments["ATTACH::%s::%s" % (n, k)] = v
        params = t.get("params") or {}
        kinds = self._kinds or {}
        labels = self._labels if self._labels is not None else list(params)
        for label in labels:
            if label in params:
                v = params[label]
                kind = kinds.get(label)
                if kind is not None:
                    v = int(v) if kind in _INT_KINDS else float(v)
                misc["idxs"][label] = [n]
                misc["vals"][label] = [v]
            else:
                misc["idxs"][label] = []
                misc["vals"][label] = []
        started = t.get("started")
        refreshed = t.get("finished") or t.get("heartbeat") or started
        return {"state": js, "tid": n, "spec": None, "result": result,
                "misc": misc, "exp_key": self._exp_key,
                "owner": t.get("worker"), "version": t.get("attempt", 0),
                "book_time": _utc(started), "refresh_time": _utc(refreshed)}

    @property
    def trials(self):
        """hyperopt's trial documents, by tid (= parzen's trial number)."""
        self._ensure_loaded()
        if self._list is None:
            docs = self._docs
            out = []
            for n in sorted(self._raw):
                d = docs.get(n)
                if d is None:
                    d = docs[n] = self._doc(self._raw[n])
                out.append(d)
            self._list = out
        return self._list

    _trials = trials
    _dynamic_trials = trials

    def __iter__(self):
        return iter(self.trials)

    def __len__(self):
        self._ensure_loaded()
        return len(self._raw)

    def __getitem__(self, item):
        raise NotImplementedError("index trials.trials instead")

    @property
    def tids(self):
        return [t["tid"] for t in self.trials]

    @property
    def specs(self):
        return [t["spec"] for t in self.trials]

    @property
    def results(self):
        return [t["result"] for t in self.trials]

    @property
    def miscs(self):
        return [t["misc"] for t in self.trials]

    @property
    def idxs_vals(self):
        idxs, vals = {}, {}
        for t in self.trials:
            for k, v in t["misc"]["idxs"].items():
                idxs.setdefault(k, []).extend(v)
            for k, v in t["misc"]["vals"].items():
                vals.setdefault(k, []).extend(v)
        return idxs, vals

    @property
    def idxs(self):
        return self.idxs_vals[0]

    @property
    def vals(self):
        return self.idxs_vals[1]

    def losses(self, bandit=None):
        return [r.get("loss") for r in self.results]

    def statuses(self, bandit=None):
        return [r.get("status") for r in self.results]

    def count_by_state_unsynced(self, arg):
        states = [arg] if isinstance(arg, int) else list(arg)
        return sum(1 for t in self.trials if t["state"] in states)

    count_by_state_synced = count_by_state_unsynced

    @property
    def best_trial(self):
        """The ok trial with the lowest loss (ties: the lower tid)."""
        self._ensure_loaded()
        best_n, best_loss = None, None
        for n, t in self._raw.items():
            loss = t.get("loss")
            if t["state"] != "ok" or loss is None or loss != loss:
                continue
            if best_n is None or loss < best_loss or \
                    (loss == best_loss and n < best_n):
                best_n, best_loss = n, loss
        if best_n is None:
            raise AllTrialsFailed
        d = self._docs.get(best_n)
        if d is None:
            d = self._docs[best_n] = self._doc(self._raw[best_n])
        return d

    @property
    def argmin(self):
        """{label: value} of the best trial; a choice as its option index,
        inactive labels left out (hyperopt's argmin)."""
        vals = self.best_trial["misc"]["vals"]
        return {k: v[0] for k, v in vals.items() if v}

    def average_best_error(self, bandit=None):
        """hyperopt's: the mean true loss of the trials tied for the best
        loss (the loss itself when there is no true_loss)."""
        ok = [r for r in self.results if r.get("status") == STATUS_OK]
        if not ok:
            raise AllTrialsFailed
        best = min(float(r["loss"]) for r in ok)
        tied = [float(r.get("true_loss", r["loss"])) for r in ok
                if float(r["loss"]) == best]
        return sum(tied) / len(tied)

    def trial_attachments(self, trial):
        """The attachments the objective returned for `trial` (a
        document), by name."""
        self.trials
        prefix = "ATTACH::%s::" % trial["tid"]
        return {k[len(prefix):]: v for k, v in self.attachments.items()
                if k.startswith(prefix)}

    def delete_all(self):
        """Delete the study and its trials."""
        try:
            self.client.delete_study(self.study)
        except Error as e:
            if e.code != NOT_FOUND:
                raise
        self._raw.clear()
        self._docs.clear()
        self._list = None
        self.attachments.clear()

    def fmin(self, fn, space, algo=None, max_evals=None, timeout=None,
             loss_threshold=None, max_queue_len=1, rstate=None, verbose=False,
             pass_expr_memo_ctrl=None, catch_eval_exceptions=False,
             return_argmin=True, show_progressbar=True, early_stop_fn=None,
             trials_save_file="", points_to_evaluate=None):
        """`fmin` with these trials (hyperopt's Trials.fmin)."""
        from .fmin import fmin
        return fmin(fn, space, algo=algo, max_evals=max_evals,
                    timeout=timeout, loss_threshold=loss_threshold,
                    trials=self, rstate=rstate, verbose=verbose,
                    max_queue_len=max_queue_len, allow_trials_fmin=False,
                    pass_expr_memo_ctrl=pass_expr_memo_ctrl,
                    catch_eval_exceptions=catch_eval_exceptions,
                    return_argmin=return_argmin,
                    show_progressbar=show_progressbar,
                    early_stop_fn=early_stop_fn,
                    trials_save_file=trials_save_file,
                    points_to_evaluate=points_to_evaluate)

    def __getstate__(self):
        # Pickling a persistent Trials keeps the study's address only.
        if not self.persistent:
            raise TypeError("a private Trials() lives in this process's "
                            "parzend and cannot be pickled; use "
                            "Trials(study=NAME) for a search that outlives "
                            "the process")
        return {"study": self._study, "socket": self._socket,
                "exp_key": self._exp_key}

    def __setstate__(self, state):
        self.__init__(exp_key=state.get("exp_key"), study=state["study"],
                      socket=state.get("socket"))

    def __repr__(self):
        where = "study %r" % self._study if self.persistent else "private"
        return "<parzen.Trials %s, %d trials>" % (where, len(self._raw))


def generate_trials_to_calculate(points):
    """hyperopt's helper: a Trials whose first trials are `points`
    (dicts {label: value}, a choice as its option index); `fmin` runs
    them before suggesting."""
    t = Trials()
    t._pending_points = list(points)
    return t
