"""Moving arrays between Python and C: zero-copy where the buffer protocol allows.

Inputs (``double_array``, ``int64_array``, ``int32_array``) accept lists, ``array.array``,
``memoryview``/bytes-like objects, numpy arrays and pandas columns. A C-contiguous buffer of the
right element type is passed to C by pointer (numpy through ``ndarray.ctypes``, writable
buffers through ``ctypes.from_buffer``); anything else is converted once.

Outputs (``view``) are read-only zero-copy views of C memory — a numpy array when numpy is
installed (and not disabled with :func:`use_numpy`), else a ``memoryview`` — whose base keeps
the owning :class:`~tier._lowlevel.Core` alive and is registered as one of its dependents.

numpy and pandas are never imported at package import time: numpy is imported on first need,
and an input is recognised as a numpy/pandas object only if that module is already loaded.
"""

import array
import ctypes
import datetime
import itertools
import math
import os
import sys
from ctypes import c_double, c_int32, c_int64

_numpy_enabled = os.environ.get("TIER_PYTHON_NUMPY", "1") != "0"
_numpy_module = None
_numpy_tried = False

_FLOAT64 = ("d", "<d", "=d", "@d") if sys.byteorder == "little" else ("d", ">d", "=d", "@d")


def use_numpy(flag=None):
    """Whether column views are numpy arrays (True, the default when numpy is installed) or
    memoryviews. With an argument, sets it; returns the previous setting."""
    global _numpy_enabled
    previous = _numpy_enabled and numpy_module() is not None
    if flag is not None:
        _numpy_enabled = bool(flag)
    return previous


def numpy_module():
    """numpy, imported on first use; None when missing or disabled."""
    global _numpy_module, _numpy_tried
    if not _numpy_enabled:
        return None
    if not _numpy_tried:
        _numpy_tried = True
        try:
            import numpy
            _numpy_module = numpy
        except ImportError:
            _numpy_module = None
    return _numpy_module


def _loaded_numpy():
    """numpy if the caller's objects could be numpy objects (i.e. it is already imported)."""
    return sys.modules.get("numpy")


def _is_ndarray(obj):
    np = _loaded_numpy()
    return np is not None and isinstance(obj, np.ndarray)


def _is_pandas(obj):
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(obj, (pd.Series, pd.Index, pd.Categorical))


def _length(values, what):
    try:
        return len(values)
    except TypeError:
        raise TypeError("%s must be a sequence or array, got %s"
                        % (what, type(values).__name__)) from None


def _check_length(n, expected, what):
    if expected is not None and n != expected:
        raise ValueError("%s has %d entries, expected %d" % (what, n, expected))


# ------------------------------------------------------------------------------------------
# Inputs
# ------------------------------------------------------------------------------------------


def _from_numpy(arr, dtype, ctype, what):
    np = _loaded_numpy()
    if arr.ndim != 1:
        raise ValueError("%s must be one-dimensional, got shape %s" % (what, arr.shape))
    if arr.dtype != np.dtype(dtype) or not arr.flags.c_contiguous:
        if dtype == "float64" and arr.dtype.kind not in "fiub":
            raise TypeError("%s must be numeric, got dtype %s" % (what, arr.dtype))
        arr = np.ascontiguousarray(arr, dtype=dtype)  # the one copy
    # data_as keeps a reference to the array for as long as the pointer object lives.
    return arr.ctypes.data_as(ctypes.POINTER(ctype)), arr.shape[0]


def _from_buffer(values, formats, itemsize, ctype):
    """A zero-copy ctypes array over a matching C-contiguous buffer, else None."""
    try:
        mv = memoryview(values)
    except TypeError:
        return None
    if mv.ndim == 1 and mv.format in ("B", "b", "c") and mv.c_contiguous \
            and mv.nbytes % itemsize == 0:
        # Raw bytes (bytes, bytearray, mmap ...): machine-order values, as array.frombytes.
        mv = mv.cast("B").cast(formats[0])
    if mv.ndim != 1 or mv.itemsize != itemsize or mv.format not in formats \
            or not mv.c_contiguous:
        return None
    n = mv.shape[0]
    if n == 0:
        return (ctype * 1)(), 0
    if mv.readonly:
        return (ctype * n).from_buffer_copy(mv), n
    return (ctype * n).from_buffer(mv), n


def _pandas_to_numpy(values, kind):
    np = _loaded_numpy()
    dtype = getattr(values, "dtype", None)
    if kind == "time" and str(dtype).startswith("datetime64"):
        if getattr(dtype, "tz", None) is not None:
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        return values.to_numpy()
    if kind == "float64":
        arr = values.to_numpy()
        if arr.dtype == np.float64:
            return arr
        return values.to_numpy(dtype="float64", na_value=float("nan"))
    return values.to_numpy()


def double_array(values, expected=None, what="values"):
    """(pointer-like object for ``const double *``, n). None entries become NaN."""
    if _is_pandas(values):
        values = _pandas_to_numpy(values, "float64")
    if _is_ndarray(values):
        ptr, n = _from_numpy(values, "float64", c_double, what)
        _check_length(n, expected, what)
        return ptr, n
    got = _from_buffer(values, _FLOAT64, 8, c_double)
    if got is None:
        n = _length(values, what)
        try:
            buf = array.array("d", values)
        except TypeError:
            buf = array.array("d", (_to_float(v, i, what) for i, v in enumerate(values)))
        got = (c_double * max(n, 1)).from_buffer(buf) if n else (c_double * 1)(), n
    _check_length(got[1], expected, what)
    return got


def _to_float(v, i, what):
    if v is None:
        return math.nan
    try:
        return float(v)
    except (TypeError, ValueError):
        raise TypeError("%s[%d] is not a number: %r" % (what, i, v)) from None


def int32_array(values, expected=None, what="codes"):
    """(pointer-like object for ``const int32_t *``, n)."""
    if _is_pandas(values):
        values = values.to_numpy()
    if _is_ndarray(values):
        ptr, n = _from_numpy(values, "int32", c_int32, what)
        _check_length(n, expected, what)
        return ptr, n
    got = _from_buffer(values, ("i", "<i", "=i", "@i", "l", "=l"), 4, c_int32)
    if got is None:
        n = _length(values, what)
        got = (c_int32 * max(n, 1))(*[int(v) for v in values]), n
    _check_length(got[1], expected, what)
    return got


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def to_epoch(value, what="time"):
    """Seconds since the Unix epoch from an int, an integral float, a datetime (naive means
    UTC), a date (midnight UTC), an ISO 8601 string or a numpy datetime64."""
    if isinstance(value, bool):
        raise TypeError("%s must be a time, got a bool" % what)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("%s %r is not a whole number of seconds" % (what, value))
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            value = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("%s %r is not an ISO 8601 date or date-time" % (what, value)) \
                from None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        delta = value - _EPOCH
        return delta.days * 86400 + delta.seconds
    if isinstance(value, datetime.date):
        return (value - _EPOCH.date()).days * 86400
    np = _loaded_numpy()
    if np is not None and isinstance(value, (np.datetime64, np.integer)):
        if isinstance(value, np.integer):
            return int(value)
        return int(value.astype("datetime64[s]").astype("int64"))
    raise TypeError("%s must be seconds since the epoch, a datetime, a date or an ISO 8601 "
                    "string, got %s" % (what, type(value).__name__))


def int64_times(values, expected=None, what="times"):
    """(pointer-like object for ``const int64_t *``, n) from any time representation."""
    np = _loaded_numpy()
    if _is_pandas(values):
        values = _pandas_to_numpy(values, "time")
    if _is_ndarray(values):
        if values.dtype.kind == "M":
            values = values.astype("datetime64[s]").astype("int64")
        elif values.dtype.kind == "f":
            if not np.all(np.isfinite(values)) or not np.all(values == np.floor(values)):
                raise ValueError("%s must be whole numbers of seconds" % what)
        elif values.dtype.kind == "O":
            values = np.array([to_epoch(v, what) for v in values.tolist()], dtype="int64")
        elif values.dtype.kind not in "iu":
            raise TypeError("%s must be times, got dtype %s" % (what, values.dtype))
        ptr, n = _from_numpy(values, "int64", c_int64, what)
        _check_length(n, expected, what)
        return ptr, n
    got = _from_buffer(values, ("q", "<q", "=q", "@q", "l", "<l", "=l", "@l"), 8, c_int64)
    if got is None:
        n = _length(values, what)
        try:
            buf = array.array("q", values)
        except TypeError:
            buf = array.array("q", (to_epoch(v, "%s[%d]" % (what, i))
                                    for i, v in enumerate(values)))
        got = (c_int64 * n).from_buffer(buf) if n else (c_int64 * 1)(), n
    _check_length(got[1], expected, what)
    return got


def customer_id(value, i=None, what="customer id"):
    """A customer id as text: str as is, ints and integral floats without a fraction (as the
    CSV loader normalises ``17850.0``)."""
    where = what if i is None else "%s[%d]" % (what, i)
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, bool) or value is None:
        raise TypeError("%s is %r, not an id" % (where, value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            raise ValueError("%s is missing (NaN)" % where)
        return str(int(value)) if value.is_integer() else repr(value)
    np = _loaded_numpy()
    if np is not None and isinstance(value, np.generic):
        return customer_id(value.item(), i, what)
    return str(value)


def _as_list(values):
    if _is_pandas(values) or _is_ndarray(values):
        return values.tolist()
    return values


def id_array(values, expected=None, what="customer ids"):
    """(``const char *[]``, n) of customer ids (see customer_id())."""
    values = _as_list(values)
    n = _length(values, what)
    _check_length(n, expected, what)
    encoded = None
    # Fast paths for the common homogeneous cases (all str, all int); the general path
    # below gives the same result and the precise error messages.
    first = values[0] if n else None
    if type(first) is str:
        try:
            encoded = list(map(str.encode, values))
        except TypeError:
            encoded = None
    elif type(first) is int and all(type(v) is int for v in values):
        encoded = [b"%d" % v for v in values]
    if encoded is None:
        encoded = [customer_id(v, i, what).encode("utf-8") for i, v in enumerate(values)]
    return c_string_array(encoded, what), n


def c_string_array(encoded, what="strings"):
    """A ``const char *[]`` for a list of bytes (None entries become NULL).

    ctypes' own ``(c_char_p * n)(*items)`` keeps one Python reference per entry and costs
    about a microsecond each; for millions of ids this packs all strings into one buffer and
    fills the pointer array from their offsets instead."""
    n = len(encoded)
    if n < 64:
        return (ctypes.c_char_p * max(n, 1))(*encoded)
    missing = [i for i, e in enumerate(encoded) if e is None] if None in encoded else []
    if missing:
        encoded = [b"" if e is None else e for e in encoded]
    joined = b"\0".join(encoded) + b"\0"
    if joined.count(b"\0") != n:
        raise ValueError("%s must not contain NUL characters" % what)
    store = ctypes.create_string_buffer(joined, len(joined))
    base = ctypes.addressof(store)
    starts = itertools.accumulate(map(len, encoded), lambda a, b: a + b + 1, initial=0)
    ptrs = array.array("Q" if ctypes.sizeof(ctypes.c_void_p) == 8 else "I",
                       map(base.__add__, starts))
    ptrs.pop()  # accumulate yields n + 1 values
    for i in missing:
        ptrs[i] = 0
    out = (ctypes.c_char_p * n).from_buffer(ptrs)
    out._tier_strings = store  # the pointers point into it
    return out


def optional_string_array(values, expected=None, what="values"):
    """(``const char *[]``, n) where None (and NaN from pandas) becomes NULL."""
    values = _as_list(values)
    n = _length(values, what)
    _check_length(n, expected, what)
    encoded = []
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            encoded.append(None)
        else:
            encoded.append((v if isinstance(v, str) else str(v)).encode("utf-8"))
    return c_string_array(encoded, what), n


def factorize(values, what="values"):
    """(codes int32 ctypes array, categories list, n) from a categorical input: a
    (codes, categories) pair, a pandas Categorical/Series of category dtype, or a sequence of
    str/None (categories in order of first appearance)."""
    if isinstance(values, tuple) and len(values) == 2:
        codes, categories = values
        ptr, n = int32_array(codes, what=what)
        return ptr, [str(c) for c in categories], n
    pd = sys.modules.get("pandas")
    if pd is not None:
        if isinstance(values, pd.Series) and str(values.dtype) == "category":
            values = values.array
        if isinstance(values, pd.Categorical):
            ptr, n = int32_array(values.codes.astype("int32"), what=what)
            return ptr, [str(c) for c in values.categories], n
    values = _as_list(values)
    n = _length(values, what)
    index = {}
    codes = (c_int32 * max(n, 1))()
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            codes[i] = -1
            continue
        if not isinstance(v, str):
            raise TypeError("%s[%d] is not a str or None: %r" % (what, i, v))
        code = index.get(v)
        if code is None:
            code = index[v] = len(index)
        codes[i] = code
    return codes, list(index), n


def is_categorical_input(values):
    """Whether values look categorical (text) rather than numeric."""
    if isinstance(values, tuple) and len(values) == 2 and not isinstance(values[1], (int, float)):
        return True
    pd = sys.modules.get("pandas")
    if pd is not None:
        if isinstance(values, pd.Categorical):
            return True
        if isinstance(values, pd.Series):
            return str(values.dtype) in ("category", "object", "string")
    if _is_ndarray(values):
        return values.dtype.kind in "OUS"
    if isinstance(values, (array.array, memoryview, bytes, bytearray)):
        return False
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        return isinstance(v, str)
    return False


# ------------------------------------------------------------------------------------------
# Outputs
# ------------------------------------------------------------------------------------------


def view(address, n, ctype, core):
    """A read-only zero-copy view of ``n`` C values at ``address``, owned by ``core``.

    The view's base is a ctypes array that holds ``core``; the array is registered in
    ``core.dependents`` so that the owner knows the memory is still in use."""
    np = numpy_module()
    fmt = {c_double: "d", c_int32: "i"}[ctype]
    if n == 0 or not address:
        empty = memoryview(array.array(fmt)).toreadonly()
        return np.frombuffer(empty, dtype=np.dtype(fmt)) if np is not None else empty
    exporter = (ctype * n).from_address(address)
    exporter._tier_owner = core
    core.dependents.add(exporter)
    # Through a read-only memoryview, so not even numpy's flags can make it writable.
    mv = memoryview(exporter).cast("B").cast(fmt).toreadonly()
    if np is not None:
        return np.frombuffer(mv, dtype=np.dtype(fmt))
    return mv


def copy_out(address, n, ctype):
    """An owned copy of ``n`` C values: a numpy array, or an ``array.array`` without numpy."""
    np = numpy_module()
    fmt = {c_double: "d", c_int32: "i", c_int64: "q"}[ctype]
    if n == 0 or not address:
        return np.empty(0, dtype=np.dtype(fmt)) if np is not None else array.array(fmt)
    raw = ctypes.string_at(address, n * ctypes.sizeof(ctype))
    if np is not None:
        return np.frombuffer(raw, dtype=np.dtype(fmt)).copy()
    out = array.array(fmt)
    out.frombytes(raw)
    return out


def new_int32(n):
    """(owned int32 array of n zeros, pointer-like for C): numpy or array.array."""
    np = numpy_module()
    if np is not None:
        arr = np.zeros(n, dtype=np.int32)
        return arr, arr.ctypes.data_as(ctypes.POINTER(c_int32))
    arr = array.array("i", bytes(4 * n))
    ptr = (c_int32 * n).from_buffer(arr) if n else (c_int32 * 1)()
    return arr, ptr


def write_doubles(address, n, values, what):
    """Copies ``values`` (any input double_array accepts) into C memory of ``n`` doubles."""
    src, m = double_array(values, n, what)
    if n:
        ctypes.memmove(address, src, n * 8)
