"""What an objective returns, as parzend stores it, and back.

An objective returns hyperopt's kinds of result: a number (the loss) or
a dict with `status` ("ok" or "fail"; hyperopt's other status strings
count as "fail"), `loss` (required for "ok") and any other keys.
`interpret()` turns that into a tell: status, loss, and the result
object stored with the trial.

Results are JSON in parzend. What JSON cannot hold is tagged on the way
in and restored on the way out (`encode()` / `decode()`):
non-finite floats as {"$float": "inf"}, bytes (hyperopt's pickled
attachments) as {"$bytes": base64}; tuples become lists, numpy scalars
and arrays become numbers and lists, other objects their repr as
{"$repr": ...}.
"""
import base64
import json
import math
import numbers
import traceback

from .base import STATUS_OK, STATUS_STRINGS
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
    """Undo encode()'s tags for non-finite floats and bytes."""
    if isinstance(x, dict):
        if len(x) == 1:
            if "$float" in x:
                return float(x["$float"])
            if "$bytes" in x:
                return base64.b64decode(x["$bytes"])
        return {k: decode(v) for k, v in x.items()}
    if isinstance(x, list):
        return [decode(v) for v in x]
    return x


def interpret(rv):
    """hyperopt's result rules: returns (status, loss, result) for a tell,
    result being the dict to store (None for a plain number).

    Raises InvalidResultStatus or InvalidLoss as hyperopt does."""
    if isinstance(rv, numbers.Real) and not isinstance(rv, bool):
        loss = float(rv)
        if math.isfinite(loss):
            return "ok", loss, None
        return "fail", None, {"status": "fail", "loss": encode(loss),
                              "error": ["InvalidLoss",
                                        "the loss is not a finite number"]}
    try:
        d = dict(rv)
    except (TypeError, ValueError):
        raise InvalidResultStatus(rv) from None
    if "status" not in d:
        raise InvalidResultStatus(d)
    status = d["status"]
    if status not in STATUS_STRINGS:
        raise InvalidResultStatus(d)
    if status != STATUS_OK:
        return "fail", None, encode_result(d)
    try:
        loss = float(d["loss"])
    except (TypeError, KeyError, ValueError):
        raise InvalidLoss(d) from None
    if not math.isfinite(loss):
        d = dict(d, status="fail",
                 error=["InvalidLoss", "the loss is not a finite number"])
        return "fail", None, encode_result(d)
    d["loss"] = loss
    return "ok", loss, encode_result(d)


def exception_result(exc):
    """The stored result of a trial whose objective raised `exc`."""
    return {"status": "fail",
            "error": [type(exc).__name__, str(exc)],
            "traceback": "".join(traceback.format_exception(
                type(exc), exc, exc.__traceback__))}
