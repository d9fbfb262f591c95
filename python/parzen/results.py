"""What an objective returns, as parzend stores it, and back.

An objective returns hyperopt's kinds of result: a number (the loss) or
a dict with `status` ("ok" or "fail"; hyperopt's other status strings
count as "fail"; parzen's "pruned" is a trial stopped early, its loss
optional), `loss` (required for "ok") and any other keys.
`interpret()` turns that into a tell: status, loss, the result object
stored with the trial, and the result as hyperopt keeps it in memory.

Results are JSON in parzend. In the process that ran the objective,
`Trials.results` gives the objective's own objects; elsewhere (after a
restart, from another process, from a study read back) they come back
through `encode()` / `decode()`:

| returned | stored | read back |
| --- | --- | --- |
| str, int, float, bool, None, dict with str keys, list | as is | as is |
| inf, -inf, nan | {"$float": "inf"} | the float |
| bytes (hyperopt's pickled attachments) | {"$bytes": base64} | the bytes |
| tuple, set | list | list |
| numpy scalar | number (bool) | int, float (bool) |
| numpy array | nested lists | nested lists |
| dict key that is not a str | str(key) | the str |
| anything else (datetime, a model, ...) | {"$repr": repr(x)} | repr(x), a str |
"""
import base64
import json
import math
import numbers
import traceback

from .base import STATUS_OK, STATUS_PRUNED, STATUS_STRINGS
from .exceptions import InvalidLoss, InvalidResultStatus

_dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def encode(x):
    """A JSON-safe copy of x (see the module's docstring)."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, float) or (isinstance(x, numbers.Real) and
                                not isinstance(x, numbers.Integral)):
        f = float(x)
        return f if math.isfinite(f) else {"$float": repr(f)}
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, dict):
        return {k if isinstance(k, str) else str(k): encode(v)
                for k, v in x.items()}
    if isinstance(x, (list, tuple, set, frozenset)):
        return [encode(v) for v in x]
    if isinstance(x, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(x)).decode("ascii")}
    tolist = getattr(x, "tolist", None)  # numpy arrays and scalars
    if callable(tolist):
        try:
            return encode(tolist())
        except Exception:
            pass
    return {"$repr": repr(x)}


def encode_result(result):
    """result (a dict) as a JSON object parzend accepts."""
    try:
        _dumps(result)
        return result
    except (TypeError, ValueError):
        return encode(result)


def decode(x):
    """Undo encode()'s tags: non-finite floats and bytes come back as
    they were, other objects as their repr (a str)."""
    if isinstance(x, dict):
        if len(x) == 1:
            if "$float" in x:
                return float(x["$float"])
            if "$bytes" in x:
                return base64.b64decode(x["$bytes"])
            if "$repr" in x and isinstance(x["$repr"], str):
                return x["$repr"]
        return {k: decode(v) for k, v in x.items()}
    if isinstance(x, list):
        return [decode(v) for v in x]
    return x


def interpret(rv):
    """hyperopt's result rules: returns (status, loss, stored, own).

    status and loss are the tell's; `stored` is the JSON object to store
    with the trial (None for a plain number); `own` is the result as
    hyperopt keeps it in memory: a copy of the objective's dict (its values
    the objective's own objects, `loss` made a float) or {"loss", "status"}
    for a plain number.

    Raises what hyperopt raises: TypeError or ValueError for a value that
    is neither a number nor a dict, KeyError('status') for a dict without
    a status, InvalidResultStatus, InvalidLoss."""
    if isinstance(rv, numbers.Real):
        loss = float(rv)  # a bool too, as in hyperopt
        if math.isfinite(loss):
            return "ok", loss, None, {"loss": loss, "status": STATUS_OK}
        own = {"status": "fail", "loss": loss,
               "error": ["InvalidLoss", "the loss is not a finite number"]}
        return "fail", None, encode(own), own
    d = dict(rv)        # TypeError, ValueError: as hyperopt
    status = d["status"]  # KeyError without one: as hyperopt
    if status not in STATUS_STRINGS:
        raise InvalidResultStatus(d)
    if status == STATUS_PRUNED:
        # Its loss, when it gives a finite one; else parzend takes the
        # last reported value.
        try:
            loss = float(d.get("loss"))
        except (TypeError, ValueError):
            loss = None
        if loss is not None and not math.isfinite(loss):
            loss = None
        return STATUS_PRUNED, loss, encode_result(d), d
    if status != STATUS_OK:
        return "fail", None, encode_result(d), d
    try:
        loss = float(d["loss"])
    except (TypeError, KeyError, ValueError):
        raise InvalidLoss(d) from None
    d["loss"] = loss
    if not math.isfinite(loss):
        d["status"] = "fail"
        d["error"] = ["InvalidLoss", "the loss is not a finite number"]
        return "fail", None, encode_result(d), d
    return "ok", loss, encode_result(d), d


def exception_result(exc):
    """The stored result of a trial whose objective raised `exc`.
    `raised: true` marks it: hyperopt's views leave such trials out
    (JOB_STATE_ERROR), as hyperopt does."""
    return {"status": "fail",
            "error": [type(exc).__name__, str(exc)],
            "traceback": "".join(traceback.format_exception(
                type(exc), exc, exc.__traceback__)),
            "raised": True}


def raised(stored):
    """True for the stored result of a trial whose objective raised."""
    return isinstance(stored, dict) and stored.get("raised") is True
