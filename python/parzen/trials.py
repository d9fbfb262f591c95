"""hyperopt's Trials, kept by parzend.

`Trials()` is private to the process, as hyperopt's in-memory Trials:
its trials live in a study of this process's private parzend (a
temporary socket and database, removed at exit). `Trials(study="name")`
is persistent: the study "name" of the parzend on $PARZEN_SOCKET or the
default socket, started in the background when nothing listens there. A
second process with the same study name works on the same search, and a
script run again resumes it.

The views are hyperopt's: `.trials` (documents with `tid`, `state`,
`result`, `misc.idxs`/`misc.vals` as lists, `book_time`,
`refresh_time`), `.results`, `.losses()`, `.statuses()`, `.best_trial`,
`.argmin` (a choice as its option index), `.vals`, `.idxs`, `.tids`,
`len()`, iteration, `trial_attachments()`. parzen adds the reports of
`parzen.report()`: the `intermediate` of each document with reports,
`[[step, value], ...]` by step, and `.intermediate` (one such list per
document, empty without reports). A trial
the pruner stopped (`Trials(pruner=...)`, docs/pruning.md) is done, with
result `{"status": "pruned", "loss": its last reported value}`; it is
never the best trial. As in hyperopt, a trial whose
objective raised is left out of them (it keeps its number; parzend keeps
it as failed, `_dynamic_trials` shows it with JOB_STATE_ERROR). They
reflect the trials as of the last `refresh()` (done by `fmin` when it
returns, and on first use of a persistent Trials) plus what this process
did since. In the process that ran the objective, `results` are the
objective's own objects; elsewhere they are read back from JSON
(results.py says how).

Pickling (format version 2, see `FORMAT_VERSION`; version 1 is read
too): a private Trials pickles its state, not a connection: the study's
definition (space document, algorithm, effective config, seed, heartbeat
timeout, pruner), every trial (number, state, params, loss, result as
stored, worker, attempt, reclaims, times, reports), the objective's own result objects where they pickle,
attachments and points still to evaluate. Unpickling restores it lazily:
the views work at once, without a daemon; the first `fmin` starts the
private parzend and imports the history (study.import), after which the
search continues exactly as an uninterrupted one would (a suggestion
depends only on the space, algorithm, config, seed, trial number and
history). A trial that was running when it was pickled runs first. A
persistent Trials pickles as its study's address and reconnects on first
use. A pickle of a newer format is refused with a message saying so.
"""
import calendar
import datetime
import itertools
import logging
import math
import os
import pickle

from . import daemon as _daemon
from .base import (JOB_STATE_CANCEL, JOB_STATE_DONE, JOB_STATE_ERROR,
                   JOB_STATE_NEW, JOB_STATE_RUNNING, STATUS_FAIL, STATUS_NEW,
                   STATUS_OK, STATUS_PRUNED, TRIAL_KEYS, TRIAL_MISC_KEYS)
from .client import CONFLICT, NOT_FOUND, Client, Error
from .exceptions import AllTrialsFailed, InvalidTrial
from .results import decode, encode, encode_result, raised

log = logging.getLogger("parzen")

FORMAT = "parzen.Trials"
FORMAT_VERSION = 2

_JOB_STATE = {"queued": JOB_STATE_NEW, "running": JOB_STATE_RUNNING,
              "ok": JOB_STATE_DONE, "fail": JOB_STATE_DONE,
              "pruned": JOB_STATE_DONE}
_INT_KINDS = ("choice", "pchoice", "randint")
# What a trial carries into an import (study.import).
_IMPORT_FIELDS = ("number", "state", "params", "loss", "result", "worker",
                  "attempt", "reclaims", "created", "started", "finished",
                  "intermediate")
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


def _seconds(dt):
    """Unix seconds of hyperopt's naive-UTC datetime (None stays None)."""
    if not isinstance(dt, datetime.datetime):
        return None
    if dt.tzinfo is not None:
        return dt.timestamp()
    return calendar.timegm(dt.timetuple()) + dt.microsecond / 1e6


class Trials:
    """Trials of one parzen study, with hyperopt's views.

    exp_key, refresh: hyperopt's arguments, accepted for compatibility.
    study: a study name for a persistent, shareable search (None: private
        to this process).
    socket: parzend's socket for a persistent study (None: $PARZEN_SOCKET
        or the default one; parzend is started there if nothing listens).
    client: a `Client` to use instead of connecting.
    pruner: a pruner config, {"kind": "median", ...} (docs/pruning.md),
        given to the study when it is created (a persistent study that
        exists must have this one; None leaves its own).
    """

    asynchronous = False

    def __init__(self, exp_key=None, refresh=True, study=None, socket=None,
                 client=None, pruner=None):
        if pruner is not None and (not isinstance(pruner, dict) or
                                   not isinstance(pruner.get("kind"), str)):
            raise TypeError("Trials: pruner must be a pruner config, a "
                            "dict such as {\"kind\": \"median\"} "
                            "(docs/pruning.md), got %r" % (pruner,))
        self.pruner = dict(pruner) if pruner is not None else None
        self._exp_key = exp_key
        self.persistent = study is not None
        self._study = study
        self._socket = socket
        self._client = client
        self._raw = {}          # number -> trial object (parzend's form)
        self._own = {}          # number -> the objective's result object
        self._own_blobs = {}    # number -> pickled own result (or None)
        self._docs = {}         # number -> hyperopt document (cache)
        self._list = None       # visible documents by number (cache)
        self._kinds = None      # label -> kind
        self._labels = None     # labels, sorted (as hyperopt)
        self._compiled = None   # the space fmin was given (space.Space)
        self._loaded = False
        self._opened = False    # a private study exists in the daemon
        self._definition = None  # private: the study's definition
        self._pending_points = None  # generate_trials_to_calculate()
        self._inserted = []     # insert_trial_docs(), until refresh()
        self._stale = False     # private: parzend's study lacks trials
        self._next_tid = 0      # new_trial_ids() handed out below this
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
        self._labels = sorted(self._kinds)  # hyperopt sorts labels
        self._docs.clear()
        self._list = None

    def refresh(self):
        """Take in the documents inserted since the last refresh, and read
        every trial of the study from parzend. (A private Trials whose
        study is not in parzend yet, e.g. just unpickled, or lacks inserted
        trials, has nothing to read: the next fmin sends them.)"""
        self._absorb_inserted()
        if not self.persistent and (not self._opened or self._stale):
            return
        c = self.client
        try:
            study = c.get_study(self.study)
        except Error as e:
            if e.code != NOT_FOUND:
                raise
            self._raw.clear()
            self._invalidate()
            self._loaded = True
            return
        if self._kinds is None:
            self._set_space_document(study["space"])
        raw = {}
        for t in c.iter_trials(self.study, intermediate=True):
            raw[t["number"]] = t
        self._raw = raw
        self._invalidate()
        self._loaded = True

    def _invalidate(self):
        self._docs.clear()
        self._list = None

    def _ensure_loaded(self):
        if not self._loaded and self.persistent:
            self.refresh()

    def _update(self, trial, own=None):
        """Record a trial object from a reply, or made locally. A partial
        one (trial.tell answers with a summary) updates the fields it
        has. `own`: the objective's result, kept for the views."""
        n = trial["number"]
        old = self._raw.get(n)
        if old is not None and ("params" not in trial or
                                "result" not in trial):
            trial = dict(old, **trial)
        self._raw[n] = trial
        if own is not None:
            self._own[n] = own
            self._own_blobs.pop(n, None)
        self._docs.pop(n, None)
        self._list = None

    # --- the private study ----------------------------------------------

    def _export(self):
        """The trials as study.import takes them, by number."""
        out = []
        for n in sorted(self._raw):
            t = self._raw[n]
            out.append({k: t.get(k) for k in _IMPORT_FIELDS})
        return out

    def _open_private(self, space, algo, config, seed):
        """Make sure this private Trials' study exists in the private
        parzend with this definition, importing the history it holds (an
        unpickled Trials, a changed algorithm or space). Returns the
        study object."""
        c = self.client
        kw = dict(space=space, algo=algo, config=config)
        if self.pruner is not None:
            kw["pruner"] = self.pruner
        self._absorb_inserted()
        if self._opened and not self._stale:
            try:
                study = c.create_study(self.study, exist_ok=True, **kw)
                self._remember(study)
                return study
            except Error as e:
                if e.code != CONFLICT:
                    raise
        if self._opened:
            # hyperopt lets one Trials go on with another algorithm or
            # space, or with documents inserted: carry the history over
            # into a study with the new definition, keeping the seed.
            history = self._export()
            old = self.study
            seed = self._definition["seed"]
            self._study = None
            study = self._import(kw, seed, history)
            try:
                c.delete_study(old)
            except Error as e:
                if e.code != NOT_FOUND:
                    raise
            return study
        if self._definition is not None and \
                self._definition.get("seed") is not None:
            seed = self._definition["seed"]  # the history's own seed
        return self._import(kw, seed, self._export())

    def _import(self, kw, seed, history):
        p = dict(kw, name=self.study)
        if seed is not None:
            p["seed"] = int(seed)
        if p.get("config") is None:
            p.pop("config")
        try:
            study = self.client.import_study(history, **p)
        except Error as e:
            if e.path and e.path.startswith("params.trials["):
                raise ValueError(
                    "these trials do not fit this search: %s (a trial's "
                    "params must be valid in the space given to fmin)"
                    % e.message) from None
            raise
        self._opened = True
        self._stale = False
        self._remember(study)
        if history:
            self.refresh()  # parzend's copies, with their ids
        return study

    def _remember(self, study):
        self._definition = {
            "space": study["space"], "algo": study["algo"],
            "config": study["config"], "seed": study["seed"],
            "heartbeat_timeout": study.get("heartbeat_timeout"),
            "pruner": study.get("pruner")}
        self._set_space_document(study["space"])

    # --- hyperopt's documents -------------------------------------------

    def _own_result(self, n):
        own = self._own.get(n)
        if own is None and self._own_blobs.get(n) is not None:
            try:
                own = pickle.loads(self._own_blobs[n])
            except Exception as e:  # a class this process cannot import
                log.debug("parzen: trial %d's result object does not load "
                          "here (%s); using its JSON form", n, e)
                self._own_blobs[n] = None
                return None
            self._own[n] = own
        return own

    def _doc(self, t):
        n = t["number"]
        state = t["state"]
        js = _JOB_STATE[state]
        misc = {"tid": n, "cmd": ("domain_attachment", "FMinIter_Domain"),
                "workdir": None, "idxs": {}, "vals": {}}
        if state in ("queued", "running"):
            # hyperopt's result of a trial not done yet, running too.
            result = {"status": STATUS_NEW}
        else:
            stored = t.get("result")
            own = self._own_result(n)
            if raised(stored):
                js = JOB_STATE_ERROR
                misc["error"] = tuple(stored.get("error") or ("", ""))
            if own is not None:
                result = own
            elif state in ("ok", "pruned"):
                loss = t.get("loss")
                loss = float(loss) if loss is not None else None
                status = STATUS_OK if state == "ok" else STATUS_PRUNED
                if isinstance(stored, dict):
                    result = decode(stored)
                    result["loss"] = loss
                    result["status"] = status
                else:
                    result = {"loss": loss, "status": status}
            else:
                result = decode(stored) if isinstance(stored, dict) else {}
                if result.get("status") in (None, STATUS_OK):
                    result["status"] = STATUS_FAIL
            if own is None and isinstance(result, dict):
                att = result.pop("attachments", None)
                if isinstance(att, dict):
                    for k, v in att.items():
                        self.attachments["ATTACH::%s::%s" % (n, k)] = v
        params = t.get("params") or {}
        if self._compiled is not None:
            unused = self._compiled.unused(params)
            if unused:
                params = {k: v for k, v in params.items()
                          if k not in unused}
        kinds = self._kinds or {}
        labels = self._labels if self._labels is not None else \
            sorted(params)
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
        doc = {"state": js, "tid": n, "spec": None, "result": result,
               "misc": misc, "exp_key": self._exp_key,
               "owner": t.get("worker"), "version": t.get("attempt", 0),
               "book_time": _utc(started), "refresh_time": _utc(refreshed)}
        if t.get("intermediate"):
            # Only where there are reports: hyperopt's documents have
            # exactly hyperopt's keys.
            doc["intermediate"] = [list(p) for p in t["intermediate"]]
        return doc

    def _doc_of(self, n):
        d = self._docs.get(n)
        if d is None:
            d = self._docs[n] = self._doc(self._raw[n])
        return d

    def _visible(self, n):
        t = self._raw[n]
        return not (t["state"] == "fail" and raised(t.get("result")))

    @property
    def trials(self):
        """hyperopt's trial documents, by tid (= parzen's trial number);
        trials whose objective raised are left out, as in hyperopt."""
        self._ensure_loaded()
        if self._list is None:
            self._list = [self._doc_of(n) for n in sorted(self._raw)
                          if self._visible(n)]
        return self._list

    _trials = trials

    @property
    def _dynamic_trials(self):
        """Every trial's document, those whose objective raised included
        (state JOB_STATE_ERROR), as hyperopt's attribute of that name."""
        self._ensure_loaded()
        return [self._doc_of(n) for n in sorted(self._raw)] + \
            list(self._inserted)

    def __iter__(self):
        return iter(self.trials)

    def __len__(self):
        return len(self.trials)

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

    @property
    def intermediate(self):
        """The reports of each trial of `trials` (parzen.report()), as
        [[step, value], ...] by step: learning curves."""
        return [t.get("intermediate", []) for t in self.trials]

    def statuses(self, bandit=None):
        return [r.get("status") for r in self.results]

    def count_by_state_unsynced(self, arg):
        states = [arg] if isinstance(arg, int) else list(arg)
        return sum(1 for t in self.trials if t["state"] in states)

    count_by_state_synced = count_by_state_unsynced

    def new_trial_ids(self, n):
        """hyperopt's: n new tids, each handed out once (parzend numbers
        trials itself; these are the numbers the next trials get)."""
        self._ensure_loaded()
        start = max(self._raw) + 1 if self._raw else 0
        start = max(start + len(self._inserted), self._next_tid)
        self._next_tid = start + n
        return list(range(start, start + n))

    # --- hyperopt's trial documents, inserted by hand ---------------------

    def assert_valid_trial(self, trial):
        """hyperopt's checks of a trial document (InvalidTrial)."""
        if not (hasattr(trial, "keys") and hasattr(trial, "values")):
            raise InvalidTrial("trial should be dict-like", trial)
        for key in TRIAL_KEYS:
            if key not in trial:
                raise InvalidTrial("trial missing key %s" % key, trial)
        for key in TRIAL_MISC_KEYS:
            if key not in trial["misc"]:
                raise InvalidTrial('trial["misc"] missing key %s' % key,
                                   trial)
        if trial["tid"] != trial["misc"]["tid"]:
            raise InvalidTrial("tid mismatch between root and misc", trial)
        if trial["exp_key"] != self._exp_key:
            raise InvalidTrial("wrong exp_key", (trial["exp_key"],
                                                 self._exp_key))
        return trial

    def _insert_trial_docs(self, docs):
        """Insert documents without checks; returns their tids."""
        if self.persistent:
            raise NotImplementedError(
                "inserting trial documents into a persistent Trials: "
                "import them with `parzen import-hyperopt` or queue points "
                "with Client.enqueue (docs/protocol.md)")
        docs = list(docs)
        self._inserted.extend(docs)
        return [d["tid"] for d in docs]

    def insert_trial_doc(self, doc):
        """Insert one checked document (hyperopt's: it shows in the views
        after refresh(), or when fmin starts). A done one is history; a
        new one is evaluated first by the next fmin."""
        return self.insert_trial_docs([doc])[0]

    def insert_trial_docs(self, docs):
        return self._insert_trial_docs(
            [self.assert_valid_trial(d) for d in docs])

    def new_trial_docs(self, tids, specs, results, miscs):
        """hyperopt's: documents in state JOB_STATE_NEW."""
        assert len(tids) == len(specs) == len(results) == len(miscs)
        return [{"state": JOB_STATE_NEW, "tid": tid, "spec": spec,
                 "result": result, "misc": misc, "exp_key": self._exp_key,
                 "owner": None, "version": 0, "book_time": None,
                 "refresh_time": None}
                for tid, spec, result, misc in zip(tids, specs, results,
                                                   miscs)]

    def source_trial_docs(self, tids, specs, results, miscs, sources):
        """hyperopt's: new_trial_docs that record where each came from."""
        assert len(sources) == len(tids)
        docs = self.new_trial_docs(tids, specs, results, miscs)
        for doc, source in zip(docs, sources):
            doc["misc"] = dict(doc["misc"], from_tid=source["tid"])
            doc["exp_key"] = source["exp_key"]
            doc["owner"] = source["owner"]
        return docs

    def _absorb_inserted(self):
        """The inserted documents become trials, numbered after the last
        one (as parzend numbers them; a document's tid is kept when it is
        that number). A private study in parzend gets them at the next
        fmin."""
        if not self._inserted:
            return
        docs, self._inserted = self._inserted, []
        by_tid = _attachments_by_tid(self.attachments)
        for doc in docs:
            n = max(self._raw) + 1 if self._raw else 0
            extra = by_tid.get(str(doc["tid"])) or {}
            if str(doc["tid"]) != str(n):
                for name in extra:
                    self.attachments.pop("ATTACH::%s::%s" % (doc["tid"],
                                                             name), None)
            raw, own, att = _raw_of_doc(doc, n, extra)
            self._raw[n] = raw
            if own is not None:
                self._own[n] = own
            self.attachments.update(att)
        self._stale = self._opened
        self._invalidate()

    def view(self, exp_key=None, refresh=True):
        """hyperopt's view of one experiment: parzen keeps one search per
        Trials, so this is the Trials itself."""
        if exp_key is not None and exp_key != self._exp_key:
            raise NotImplementedError("parzen keeps one experiment per "
                                      "Trials (exp_key %r)" % self._exp_key)
        if refresh:
            self.refresh()
        return self

    def aname(self, trial, name):
        """The attachments key of `name` for `trial`."""
        return "ATTACH::%s::%s" % (trial["tid"], name)

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
        return self._doc_of(best_n)

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
        """The attachments of `trial` (a document), by name: a dict view
        onto `attachments` (hyperopt's ATTACH::tid::name keys)."""
        self.trials
        return _Attachments(self.attachments, trial["tid"])

    def delete_all(self):
        """Delete the study and its trials."""
        if self.persistent or self._opened:
            try:
                self.client.delete_study(self.study)
            except Error as e:
                if e.code != NOT_FOUND:
                    raise
        self._opened = False
        self._stale = False
        self._inserted = []
        self._raw.clear()
        self._own.clear()
        self._own_blobs.clear()
        self._invalidate()
        self.attachments.clear()

    def fmin(self, fn, space, algo=None, max_evals=None, timeout=None,
             loss_threshold=None, max_queue_len=1, rstate=None, verbose=False,
             pass_expr_memo_ctrl=None, catch_eval_exceptions=False,
             return_argmin=True, show_progressbar=True, early_stop_fn=None,
             trials_save_file="", points_to_evaluate=None, pruner=None):
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
                    points_to_evaluate=points_to_evaluate, pruner=pruner)

    # --- pickling ---------------------------------------------------------

    def __getstate__(self):
        base = {"format": FORMAT, "version": FORMAT_VERSION,
                "exp_key": self._exp_key}
        if self.persistent:
            return dict(base, kind="study", study=self._study,
                        socket=self._socket, pruner=self.pruner)
        blobs = {}
        for n in self._raw:
            if n in self._own_blobs:
                blob = self._own_blobs[n]
            elif n in self._own:
                try:
                    blob = pickle.dumps(self._own[n], protocol=4)
                except Exception:
                    blob = None  # the JSON form stands in for it
                self._own_blobs[n] = blob
            else:
                continue
            if blob is not None:
                blobs[n] = blob
        return dict(base, kind="private", definition=self._definition,
                    trials=self._export(), own=blobs,
                    attachments=dict(self.attachments),
                    pending_points=self._pending_points,
                    inserted=list(self._inserted))

    def __setstate__(self, state):
        if not isinstance(state, dict):
            raise TypeError("not a parzen Trials state: %r" % (type(state),))
        version = state.get("version", 0)
        if state.get("format", FORMAT) != FORMAT or not isinstance(
                version, int):
            raise ValueError("not a parzen Trials pickle (format %r)"
                             % (state.get("format"),))
        if version > FORMAT_VERSION:
            from . import __version__
            raise ValueError(
                "this Trials was saved by a newer parzen (pickle format "
                "version %d); parzen %s reads versions up to %d: upgrade "
                "parzen to load it" % (version, __version__,
                                       FORMAT_VERSION))
        if state.get("kind", "study") == "study":
            # Version 0 (parzen 0.1.0) pickled persistent Trials only.
            self.__init__(exp_key=state.get("exp_key"), study=state["study"],
                          socket=state.get("socket"),
                          pruner=state.get("pruner"))
            return
        self.__init__(exp_key=state.get("exp_key"))
        self._definition = state.get("definition")
        if self._definition is not None:
            self._set_space_document(self._definition["space"])
            pruner = self._definition.get("pruner")
            if isinstance(pruner, dict) and pruner.get("kind") != "none":
                self.pruner = dict(pruner)
        for t in state.get("trials") or []:
            self._raw[t["number"]] = dict(t, id=None)
        self._own_blobs = dict(state.get("own") or {})
        self.attachments = dict(state.get("attachments") or {})
        self._pending_points = state.get("pending_points")
        self._inserted = list(state.get("inserted") or [])
        self._loaded = True

    def __repr__(self):
        where = "study %r" % self._study if self.persistent else "private"
        return "<parzen.Trials %s, %d trials>" % (where, len(self._raw))


class _Attachments(dict):
    """trial_attachments(trial): name -> value, written through to the
    Trials' attachments."""

    def __init__(self, store, tid):
        prefix = "ATTACH::%s::" % tid
        super().__init__((k[len(prefix):], v) for k, v in store.items()
                         if k.startswith(prefix))
        self._store = store
        self._prefix = prefix

    def __setitem__(self, name, value):
        super().__setitem__(name, value)
        self._store[self._prefix + name] = value

    def __delitem__(self, name):
        super().__delitem__(name)
        del self._store[self._prefix + name]


def generate_trials_to_calculate(points):
    """hyperopt's helper: a Trials whose first trials are `points`
    (dicts {label: value}, a choice as its option index); `fmin` runs
    them before suggesting, on top of its max_evals."""
    t = Trials()
    t._pending_points = list(points)
    return t


# --- hyperopt's trial documents -> parzen ------------------------------------

def _plain(v):
    """A JSON number for a hyperopt value (numpy scalars included)."""
    item = getattr(v, "item", None)
    if callable(item):
        v = item()
    if isinstance(v, bool):
        return int(v)
    return v


def _attachments_by_tid(attachments):
    """hyperopt's attachments {ATTACH::tid::name: value} as
    {str(tid): {name: value}}."""
    by_tid = {}
    for key, value in (attachments or {}).items():
        parts = key.split("::", 2) if isinstance(key, str) else ()
        if len(parts) == 3 and parts[0] == "ATTACH":
            by_tid.setdefault(parts[1], {})[parts[2]] = value
    return by_tid


def _raw_of_doc(doc, number, extra):
    """A hyperopt trial document as trial `number` of a parzen Trials:
    (trial object, the result object to keep or None, its attachments
    keyed for that number). `extra`: the document's attachments, {name:
    value} or None."""
    extra = extra or {}
    misc = doc.get("misc") or {}
    vals = misc.get("vals") or {}
    params = {k: _plain(v[0]) for k, v in vals.items()
              if v is not None and len(v)}
    result = doc.get("result") or {}
    state = doc.get("state")
    own = None
    loss = None
    if state == JOB_STATE_DONE:
        own = result
        status = result.get("status")
        try:
            loss = float(result.get("loss"))
        except (TypeError, ValueError):
            loss = None
        if status == STATUS_OK and loss is not None and math.isfinite(loss):
            pstate = "ok"
        else:
            pstate, loss = "fail", None
        stored = encode_result(dict(result))
        if extra:
            stored = dict(stored, attachments=encode(extra))
    elif state in (JOB_STATE_ERROR, JOB_STATE_CANCEL):
        pstate = "fail"
        err = misc.get("error") or ("cancelled" if state == JOB_STATE_CANCEL
                                    else "error", "")
        stored = {"status": "fail", "error": [str(x) for x in err],
                  "traceback": None, "raised": True}
    elif state == JOB_STATE_RUNNING:
        pstate, stored = "running", None
    else:
        pstate, stored = "queued", None
    started = _seconds(doc.get("book_time"))
    finished = _seconds(doc.get("refresh_time")) \
        if pstate in ("ok", "fail") else None
    owner = doc.get("owner")
    raw = {"id": None, "number": number, "state": pstate, "params": params,
           "loss": loss, "result": stored,
           "worker": str(owner)[:200] if owner else None, "attempt": 0,
           "reclaims": 0, "created": started, "started": started,
           "finished": finished}
    att = {"ATTACH::%d::%s" % (number, name): value
           for name, value in extra.items()}
    return raw, own, att


def trials_from_docs(docs, validate=True, attachments=None, exp_key=None,
                     **kwargs):
    """A private Trials holding hyperopt trial documents (hyperopt's
    `trials_from_docs`): params from `misc.vals`, losses, statuses,
    results, times. Documents are numbered in tid order; a trial that
    raised (JOB_STATE_ERROR) or was cancelled is kept as failed and left
    out of the views, as in hyperopt; a new or running one is queued and
    runs first. The space is the one the next `fmin` gets."""
    docs = sorted(docs, key=lambda d: d["tid"])
    t = Trials(exp_key=exp_key)
    by_tid = _attachments_by_tid(attachments)
    for number, doc in enumerate(docs):
        if validate:
            for key in ("tid", "state", "result", "misc"):
                if key not in doc:
                    raise InvalidTrial("trial missing key %s" % key, doc)
        raw, own, att = _raw_of_doc(doc, number,
                                    by_tid.get(str(doc["tid"])))
        t._raw[number] = raw
        if own is not None:
            t._own[number] = own
        t.attachments.update(att)
    t._loaded = True
    return t


def from_hyperopt(trials):
    """A private parzen Trials with the history of a hyperopt Trials
    object (or of its pickled state, a dict)."""
    state = trials if isinstance(trials, dict) else vars(trials)
    docs = state.get("_dynamic_trials") or []
    exp_key = state.get("_exp_key")
    if exp_key is not None:
        docs = [d for d in docs if d.get("exp_key") == exp_key]
    return trials_from_docs(docs, validate=False,
                            attachments=state.get("attachments"),
                            exp_key=exp_key)


def is_hyperopt_trials(obj):
    """True for an instance of hyperopt's Trials (or a subclass)."""
    for cls in type(obj).__mro__:
        if cls.__name__ == "Trials" and \
                (cls.__module__ or "").startswith("hyperopt"):
            return True
    return False
