"""Pickled Trials on disk: parzen's own, and those hyperopt wrote.

`load_hyperopt_trials(path)` reads a pickle of a Trials and returns a
parzen `Trials`: one that parzen pickled comes back as it was; one that
hyperopt pickled (the `results.pkl` of a hyperopt script) comes back as
a private parzen Trials with its history (params from `misc.vals`,
losses, statuses, results, times, attachments), ready for `fmin` to
continue with parzen's suggesters. hyperopt need not be installed: the
unpickler maps hyperopt's Trials class onto a stand-in, and when numpy is
missing too, numpy's scalars, dtypes and arrays (which hyperopt results
often hold) onto Python numbers and lists.

`save_trials(trials, path)` writes a pickle atomically: a temporary file
in the same directory, flushed and fsynced, renamed over `path`, and the
directory fsynced, so a crash at any moment leaves either the old file or
the new one.
"""
import io
import os
import pickle
import struct

from .trials import Trials, from_hyperopt, is_hyperopt_trials


class _HyperoptObject:
    """Stands in for a hyperopt class that is not importable here; keeps
    the pickled state (a Trials' __dict__) as its own."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2:
            state = dict(state[0] or {}, **(state[1] or {}))
        if isinstance(state, dict):
            self.__dict__.update(state)


def _hyperopt_class(module, name):
    return type(name, (_HyperoptObject,), {"__module__": module})


# --- numpy without numpy -----------------------------------------------------

_CODES = {"f8": "d", "f4": "f", "f2": "e", "i8": "q", "i4": "i", "i2": "h",
          "i1": "b", "u8": "Q", "u4": "I", "u2": "H", "u1": "B", "b1": "?"}


class _DType:
    """numpy.dtype's pickle: dtype('f8', False, True) then __setstate__
    with the byte order."""

    def __init__(self, spec, *args):
        self.spec = spec if isinstance(spec, str) else str(spec)
        self.order = "<"

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) > 1 and \
                state[1] in ("<", ">", "=", "|"):
            self.order = state[1]

    def struct_format(self):
        spec = self.spec.lstrip("<>=|")
        code = _CODES.get(spec)
        if code is None:
            return None
        order = {"<": "<", ">": ">", "=": "=", "|": "<"}[self.order]
        return order + code


def _scalar(dtype, data=None):
    """numpy.core.multiarray.scalar(dtype, bytes) -> a Python number."""
    fmt = dtype.struct_format() if isinstance(dtype, _DType) else None
    if fmt is None or not isinstance(data, (bytes, bytearray)):
        return data
    return struct.unpack(fmt, bytes(data))[0]


class _Array(list):
    """numpy.ndarray's pickle, read as (nested) lists of Python values."""

    def __setstate__(self, state):
        _, shape, dtype, _, raw = state[:5]
        if isinstance(raw, (bytes, bytearray)):
            fmt = dtype.struct_format() if isinstance(dtype, _DType) \
                else None
            if fmt is None:
                self.append(repr(raw))
                return
            size = struct.calcsize(fmt)
            flat = [struct.unpack(fmt, raw[i:i + size])[0]
                    for i in range(0, len(raw), size)]
        else:
            flat = list(raw)  # an object array: its items pickled as is
        self.extend(_reshape(flat, list(shape)))


def _reshape(flat, shape):
    if len(shape) <= 1:
        return flat
    step = len(flat) // shape[0] if shape[0] else 0
    return [_reshape(flat[i * step:(i + 1) * step], shape[1:])
            for i in range(shape[0])]


def _reconstruct(cls, shape, dtype):
    return _Array()


def _numpy_missing():
    try:
        import numpy  # noqa: F401
        return False
    except ImportError:
        return True


class _Unpickler(pickle.Unpickler):
    """An unpickler for Trials pickles that maps hyperopt's classes (and
    numpy's, when numpy is not installed) onto stand-ins."""

    def __init__(self, f):
        super().__init__(f)
        self._no_numpy = None

    def find_class(self, module, name):
        if module == "hyperopt" or module.startswith("hyperopt."):
            try:
                return super().find_class(module, name)
            except (ImportError, AttributeError):
                return _hyperopt_class(module, name)
        if module == "numpy" or module.startswith("numpy."):
            if self._no_numpy is None:
                self._no_numpy = _numpy_missing()
            if self._no_numpy:
                if name == "dtype":
                    return _DType
                if name == "scalar":
                    return _scalar
                if name == "_reconstruct":
                    return _reconstruct
                if name == "ndarray":
                    return _Array
        return super().find_class(module, name)


def _to_parzen(obj, what):
    if isinstance(obj, Trials):
        return obj
    if is_hyperopt_trials(obj) or (isinstance(obj, _HyperoptObject) and
                                   hasattr(obj, "_dynamic_trials")):
        return from_hyperopt(obj)
    raise TypeError("%s does not hold a Trials (it holds a %s.%s)"
                    % (what, type(obj).__module__, type(obj).__name__))


def loads_trials(data):
    """load_hyperopt_trials() for bytes."""
    return _to_parzen(_Unpickler(io.BytesIO(data)).load(), "the pickle")


def load_hyperopt_trials(path):
    """A parzen Trials from a pickle file (a path or a binary file object)
    written by parzen or by hyperopt (hyperopt need not be installed)."""
    if hasattr(path, "read"):
        return _to_parzen(_Unpickler(path).load(), "the pickle")
    with open(path, "rb") as f:
        return _to_parzen(_Unpickler(f).load(), repr(os.fspath(path)))


load_trials = load_hyperopt_trials


def save_trials(trials, path):
    """Pickle `trials` to `path` atomically (see the module)."""
    path = os.fspath(path)
    tmp = path + ".parzen-tmp"
    with open(tmp, "wb") as f:
        pickle.dump(trials, f, protocol=4)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


__all__ = ["load_hyperopt_trials", "save_trials"]
