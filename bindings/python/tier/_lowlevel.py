"""Low-level ctypes declarations of libtier's public C API.

Everything here mirrors include/tier/*.h one to one; the Pythonic classes live in the other
modules. Modelled on openslide-python's lowlevel.py:

* the library is found through ``$TIER_LIBRARY``, then the package directory, then the system
  linker (``ctypes.util.find_library``), and its ``tier_version_number()`` is checked at import;
* every C function gets ``argtypes``, ``restype`` and an ``errcheck`` (status codes become
  :mod:`tier.errors` exceptions carrying ``tier_last_error()``);
* handle arguments are typed by :class:`Handle` subclasses whose ``from_param`` rejects the
  wrong kind of handle and closed handles, so a Python mistake raises instead of crashing.

Lifetime model (see :class:`Core`): a C handle is owned by one ``Core`` object, which frees it
exactly once — when the Python handle is closed and nothing depends on it any more, or when it
is garbage collected. Zero-copy views of C memory and borrowed child handles hold a strong
reference to the ``Core`` they point into, so the memory outlives every view.
"""

import ctypes
import ctypes.util
import glob
import os
import threading
import weakref
from ctypes import (CFUNCTYPE, POINTER, Structure, byref, c_char, c_char_p, c_double, c_int,
                    c_int32, c_int64, c_long, c_size_t, c_uint, c_uint64, c_void_p)

from . import errors

# The C API this binding is written against: libtier 0.1 or any later 0.x (minor versions only
# add API, see doc/abi.md). A different major version is an incompatible library.
BINDING_MAJOR = 0
BINDING_MINOR = 1

# ------------------------------------------------------------------------------------------
# Finding and checking the library
# ------------------------------------------------------------------------------------------


def _candidates():
    """Paths or names to try, in order, each with a note of where it came from."""
    env = os.environ.get("TIER_LIBRARY")
    if env:
        yield env, "$TIER_LIBRARY"
        return  # an explicit choice must not silently fall back to another library
    here = os.path.dirname(os.path.abspath(__file__))
    for pattern in ("libtier.so", "libtier.so.*", "libtier.*.dylib", "libtier.dylib",
                    "tier.dll", "libtier.dll", "libtier-*.dll"):
        for path in sorted(glob.glob(os.path.join(here, pattern))):
            yield path, "the package directory"
    name = ctypes.util.find_library("tier")
    if name:
        yield name, "the system library path"


def check_version(number, where):
    """Raises ImportError naming both versions unless ``number`` is a compatible libtier."""
    major, minor, patch = number // 10000, number // 100 % 100, number % 100
    if major != BINDING_MAJOR or minor < BINDING_MINOR:
        raise ImportError(
            "tier: %s is libtier %d.%d.%d, but this Python binding needs libtier %d.%d or a "
            "later %d.x; point $TIER_LIBRARY at a matching libtier.so"
            % (where, major, minor, patch, BINDING_MAJOR, BINDING_MINOR, BINDING_MAJOR))
    return major, minor, patch


def _load():
    tried = []
    for path, origin in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (from %s): %s" % (path, origin, e))
            continue
        try:
            version = lib.tier_version_number
        except AttributeError:
            raise ImportError("tier: %s (from %s) is not libtier: it has no "
                              "tier_version_number()" % (path, origin)) from None
        version.argtypes = []
        version.restype = c_uint
        check_version(version(), "%s (from %s)" % (path, origin))
        return lib, path
    raise ImportError("tier: cannot load libtier; tried " + ("; ".join(tried) or "nothing")
                      + ". Set $TIER_LIBRARY to the path of libtier.so, put the library "
                      "next to the package, or install it on the system library path")


_lib, library_path = _load()

# ------------------------------------------------------------------------------------------
# Status codes and enums (values from the headers; they are part of the ABI)
# ------------------------------------------------------------------------------------------

TIER_OK = 0
TIER_ENOTFOUND = -6
TIER_AS_OF_AUTO = -(2 ** 63)
TIER_MISSING_CODE = -1
TIER_COLUMN_NUMERIC = 1
TIER_COLUMN_CATEGORICAL = 2

# Versions of the option structs declared below (the library accepts these or newer).
TIER_DATASET_OPTIONS_VERSION = 1
TIER_CSV_OPTIONS_VERSION = 1
TIER_SCORER_OPTIONS_VERSION = 1
TIER_RFM_OPTIONS_VERSION = 1
TIER_AHP_OPTIONS_VERSION = 1
TIER_AHP_SCORER_OPTIONS_VERSION = 1
TIER_RULES_OPTIONS_VERSION = 1
TIER_ASSIGN_OPTIONS_VERSION = 1
TIER_SUMMARY_OPTIONS_VERSION = 1
TIER_KMEANS_OPTIONS_VERSION = 1
TIER_KMEANS_CHOOSE_OPTIONS_VERSION = 1
TIER_SCORER_VTABLE_VERSION = 1
TIER_CLV_OPTIONS_VERSION = 1
TIER_CHURN_OPTIONS_VERSION = 1
TIER_LIFECYCLE_OPTIONS_VERSION = 1

# ------------------------------------------------------------------------------------------
# Errors: argument conversion failures and status codes
# ------------------------------------------------------------------------------------------

_tls = threading.local()


def fail_argument(exc):
    """Raises ``exc`` from a ``from_param``; ctypes wraps it in ArgumentError, which
    :class:`Function` unwraps again so the caller sees the original exception."""
    _tls.arg_exc = exc
    raise exc


def _last_error(status):
    # A function may fail without setting a message; never report a stale one.
    if _lib.tier_last_error_status() == status:
        message = _lib.tier_last_error().decode("utf-8", "replace")
    else:
        message = ""
    return message or _lib.tier_status_str(status).decode("utf-8", "replace")


def _check_status(result, func, args):
    if result < 0:
        raise errors.error_for_status(result, _last_error(result))
    return result


def _check_status_or_notfound(result, func, args):
    """For lookups (tier_dataset_find ...) where a plain miss is an answer, not an error."""
    if result < 0 and result != TIER_ENOTFOUND:
        raise errors.error_for_status(result, _last_error(result))
    return result


def _check_string(result, func, args):
    return None if result is None else result.decode("utf-8", "replace")


def _check_value(result, func, args):
    return result


class Function:
    """A C function with argtypes/restype/errcheck, plus two services ctypes lacks: the
    exception raised by a ``from_param`` comes out as itself (not as ctypes.ArgumentError), and
    the thread's last error is cleared before a fallible call so its message is never stale."""

    __slots__ = ("cfunc", "name", "fallible")

    def __init__(self, name, restype, argtypes, errcheck):
        cfunc = getattr(_lib, name)
        cfunc.argtypes = argtypes
        cfunc.restype = restype
        cfunc.errcheck = errcheck
        self.cfunc = cfunc
        self.name = name
        self.fallible = errcheck in (_check_status, _check_status_or_notfound)

    def __call__(self, *args):
        _tls.arg_exc = None
        if self.fallible:
            _clear_error()
        try:
            return self.cfunc(*args)
        except ctypes.ArgumentError:
            exc = _tls.arg_exc
            if exc is None:
                raise
            _tls.arg_exc = None
            raise exc from None

    def __repr__(self):
        return "<tier C function %s>" % self.name


def _raw(name, restype, argtypes):
    f = getattr(_lib, name)
    f.argtypes = argtypes
    f.restype = restype
    return f


# The error functions themselves are used by the errchecks, so they are plain ctypes calls.
_raw("tier_last_error", c_char_p, [])
_raw("tier_last_error_status", c_int, [])
_raw("tier_status_str", c_char_p, [c_int])
_clear_error = _raw("tier_clear_error", None, [])

# ------------------------------------------------------------------------------------------
# Handles
# ------------------------------------------------------------------------------------------


class Dependents:
    """A set of weak references to live objects (which need not be hashable: ctypes arrays
    are not, so weakref.WeakSet cannot hold them). True while any of them is alive."""

    __slots__ = ("_refs",)

    def __init__(self):
        self._refs = {}

    def add(self, obj):
        refs = self._refs
        key = id(obj)
        # The callback removes the entry when obj dies (before its id can be reused).
        refs[key] = weakref.ref(obj, lambda _ref, key=key: refs.pop(key, None))

    def __len__(self):
        return len(self._refs)

    def __bool__(self):
        return bool(self._refs)


class Core:
    """Owns one C handle and frees it exactly once.

    ``free`` is None for a borrowed handle (memory owned by ``parent``, kept alive through the
    strong reference). ``dependents`` holds weak references to everything that points into
    this handle's memory (zero-copy views, borrowed children); each of them holds a strong
    reference back, so while any is alive the handle is not freed.
    """

    __slots__ = ("ptr", "param", "parent", "dependents", "_finalizer", "__weakref__")

    def __init__(self, ptr, free=None, parent=None):
        self.ptr = ptr
        self.param = c_void_p(ptr)
        self.parent = parent
        self.dependents = Dependents()
        self._finalizer = weakref.finalize(self, free, ptr) if free is not None else None

    def release(self):
        """Frees the handle now (no-op when borrowed or already freed)."""
        if self._finalizer is not None:
            self._finalizer()

    @property
    def alive(self):
        return self._finalizer is None or self._finalizer.alive


class Handle:
    """Base of every Python object that stands for a C handle.

    ``from_param`` makes the class usable in ``argtypes``: it accepts only instances of the
    class (or subclasses) that are still open. ``close()`` releases the C object at once unless
    views or borrowed children still point into it; then it is released when the last of them
    goes. Closing twice is harmless.
    """

    _kind = "handle"  # used in messages
    _core = None

    def __init__(self, core):
        self._core = core

    @classmethod
    def from_param(cls, obj):
        if not isinstance(obj, cls):
            fail_argument(TypeError("expected a tier.%s, got %s"
                                    % (cls.__name__, type(obj).__name__)))
        core = obj._core
        if core is None:
            fail_argument(errors.ClosedError("this %s is closed" % obj._kind))
        return core.param

    def _live(self):
        """The core of an open handle; raises ClosedError otherwise."""
        core = self._core
        if core is None:
            raise errors.ClosedError("this %s is closed" % self._kind)
        return core

    def close(self):
        """Releases the C object (deferred while views into it are alive). Idempotent."""
        core, self._core = self._core, None
        if core is not None and not core.dependents:
            core.release()

    @property
    def closed(self):
        """True after close()."""
        return self._core is None

    def __enter__(self):
        self._live()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        state = "closed" if self._core is None else "at 0x%x" % self._core.ptr
        return "<tier.%s (%s)>" % (type(self).__name__, state)


class Nullable:
    """``Nullable(Cls)`` in argtypes accepts an open ``Cls`` or None (passed as NULL)."""

    def __init__(self, cls):
        self.cls = cls

    def from_param(self, obj):
        return None if obj is None else self.cls.from_param(obj)


class DatasetHandle(Handle):
    _kind = "dataset"


class ScorerHandle(Handle):
    _kind = "scorer"


class CsvReportHandle(Handle):
    _kind = "CSV report"


class RfmSummaryHandle(Handle):
    _kind = "RFM summary"


class AhpHandle(Handle):
    _kind = "AHP matrix"


class AhpHierarchyHandle(Handle):
    _kind = "AHP hierarchy"


class RulesHandle(Handle):
    _kind = "rule set"


class AssignmentHandle(Handle):
    _kind = "assignment"


class WhatIfHandle(Handle):
    _kind = "what-if comparison"


class SummaryHandle(Handle):
    _kind = "summary"


class KMeansChoiceHandle(Handle):
    _kind = "k-means choice"


class ChurnTableHandle(Handle):
    _kind = "churn table"


class CohortTableHandle(Handle):
    _kind = "cohort table"


# ------------------------------------------------------------------------------------------
# Callback types and option structs
# ------------------------------------------------------------------------------------------

PROGRESS_FN = CFUNCTYPE(c_int, c_void_p, c_uint64, c_uint64)
WRITE_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t)
FIT_FN = CFUNCTYPE(c_int, c_void_p, c_void_p)
APPLY_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_void_p)
SAVE_FN = CFUNCTYPE(c_int, c_void_p, c_void_p)
LOAD_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t)
DESTROY_FN = CFUNCTYPE(None, c_void_p)

c_char_pp = POINTER(c_char_p)
c_double_p = POINTER(c_double)
c_int32_p = POINTER(c_int32)
c_int64_p = POINTER(c_int64)


class DatasetOptions(Structure):
    _fields_ = [("version", c_uint), ("allocator", c_void_p), ("n_threads", c_uint)]


class CsvOptions(Structure):
    _fields_ = [
        ("version", c_uint), ("allocator", c_void_p), ("delimiter", c_char),
        ("has_header", c_int), ("customer_column", c_char_p), ("time_column", c_char_p),
        ("amount_column", c_char_p), ("quantity_column", c_char_p), ("price_column", c_char_p),
        ("order_column", c_char_p), ("categorical_columns", c_char_pp),
        ("n_categorical_columns", c_size_t), ("numeric_columns", c_char_pp),
        ("n_numeric_columns", c_size_t), ("time_format", c_char_p), ("bad_rows", c_int),
        ("max_messages", c_size_t), ("as_of", c_int64), ("n_threads", c_uint),
        ("progress", PROGRESS_FN), ("progress_user", c_void_p)]


class ScorerOptions(Structure):
    _fields_ = [("version", c_uint), ("allocator", c_void_p), ("output_prefix", c_char_p)]


class RfmOptions(Structure):
    _fields_ = [
        ("version", c_uint), ("allocator", c_void_p), ("columns", c_char_p * 3),
        ("bins", c_uint * 3), ("mode", c_int), ("breaks", c_double_p * 3),
        ("n_breaks", c_size_t * 3), ("nan_policy", c_int), ("output_prefix", c_char_p),
        ("other_segment", c_char_p)]


class AhpOptions(Structure):
    _fields_ = [
        ("version", c_uint), ("allocator", c_void_p), ("method", c_int), ("cr_limit", c_double),
        ("scale_max", c_double), ("tolerance", c_double), ("convergence", c_double),
        ("max_iterations", c_uint)]


class AhpScorerOptions(Structure):
    _fields_ = [
        ("version", c_uint), ("allocator", c_void_p), ("output_prefix", c_char_p),
        ("columns", c_char_pp), ("directions", POINTER(c_int)),
        ("normalizations", POINTER(c_int)), ("range_min", c_double_p),
        ("range_max", c_double_p), ("missing", c_int), ("components", c_int),
        ("allow_inconsistent", c_int)]


class RulesOptions(Structure):
    _fields_ = [("version", c_uint), ("allocator", c_void_p), ("dataset", c_void_p)]


class AssignOptions(Structure):
    _fields_ = [
        ("version", c_uint), ("time", c_int64), ("n_overrides", c_size_t),
        ("override_customers", c_char_pp), ("override_tiers", c_char_pp),
        ("override_until", c_int64_p), ("drop_unknown_overrides", c_int)]


class SummaryOptions(Structure):
    _fields_ = [
        ("version", c_uint), ("allocator", c_void_p), ("by", c_char_p * 2), ("value", c_char_p),
        ("include_missing", c_int), ("include_empty", c_int), ("margins", c_int),
        ("share", c_int), ("order", c_int), ("missing_label", c_char_p),
        ("total_label", c_char_p)]


class KMeansOptions(Structure):
    _fields_ = [
        ("version", c_uint), ("allocator", c_void_p), ("n_features", c_size_t),
        ("features", c_char_pp), ("transforms", POINTER(c_int)), ("weights", c_char_p),
        ("k", c_uint), ("init", c_int), ("init_centers", c_double_p), ("init_units", c_int),
        ("seed", c_uint64), ("n_init", c_uint), ("algorithm", c_int), ("max_iter", c_uint),
        ("tol", c_double), ("n_threads", c_uint), ("order_by", c_char_p),
        ("order_ascending", c_int), ("nan_policy", c_int), ("output_prefix", c_char_p)]


class KMeansChooseOptions(Structure):
    _fields_ = [
        ("version", c_uint), ("k_min", c_uint), ("k_max", c_uint),
        ("silhouette_sample", c_size_t), ("silhouette_seed", c_uint64)]


class ClvOptions(Structure):
    _fields_ = [
        ("version", c_uint), ("allocator", c_void_p), ("model", c_int), ("unit", c_int),
        ("x_column", c_char_p), ("t_x_column", c_char_p), ("T_column", c_char_p),
        ("spend_column", c_char_p), ("horizon", c_double), ("discount_rate", c_double),
        ("discount_periods", c_uint), ("margin", c_double), ("n_starts", c_uint),
        ("max_iter", c_uint), ("tol", c_double), ("seed", c_uint64), ("n_threads", c_uint),
        ("accept_unconverged", c_int), ("output_prefix", c_char_p)]


class ChurnOptions(Structure):
    _fields_ = [("version", c_uint), ("rule", c_int), ("column", c_char_p),
                ("p_alive_threshold", c_double), ("recency_days", c_double),
                ("output", c_char_p)]


class LifecycleOptions(Structure):
    _fields_ = [("version", c_uint), ("new_days", c_double), ("active_factor", c_double),
                ("at_risk_factor", c_double), ("dormant_factor", c_double),
                ("default_gap_days", c_double), ("min_gap_days", c_double),
                ("max_gap_days", c_double), ("output", c_char_p)]


class ScorerVtable(Structure):
    _fields_ = [
        ("version", c_uint), ("name", c_char_p), ("n_inputs", c_size_t), ("inputs", c_char_pp),
        ("n_outputs", c_size_t), ("outputs", c_char_pp), ("output_types", POINTER(c_int)),
        ("fit", FIT_FN), ("apply", APPLY_FN), ("save", SAVE_FN), ("load", LOAD_FN),
        ("destroy", DESTROY_FN)]


# ------------------------------------------------------------------------------------------
# Function declarations
# ------------------------------------------------------------------------------------------

_S, _NF, _STR, _V = (_check_status, _check_status_or_notfound, _check_string, _check_value)
_out = POINTER(c_void_p)
_Ds, _Sc, _Rep, _RfmS = DatasetHandle, ScorerHandle, CsvReportHandle, RfmSummaryHandle
_Ahp, _H, _Ru, _As, _Wi = AhpHandle, AhpHierarchyHandle, RulesHandle, AssignmentHandle, \
    WhatIfHandle
_Su, _Kc = SummaryHandle, KMeansChoiceHandle
_Ch, _Co, _dp = ChurnTableHandle, CohortTableHandle, POINTER(c_double)

_DECLARATIONS = [
    # common.h
    ("tier_version_number", c_uint, [], _V),
    ("tier_version_string", c_char_p, [], _STR),
    # dataset.h
    ("tier_dataset_options_init", c_int, [POINTER(DatasetOptions), c_uint], _S),
    ("tier_dataset_new", c_int, [_out, POINTER(DatasetOptions)], _S),
    ("tier_dataset_free", None, [c_void_p], _V),
    ("tier_dataset_add_transactions", c_int,
     [_Ds, c_size_t, c_char_pp, c_int64_p, c_double_p, c_char_pp], _S),
    ("tier_dataset_compute_features", c_int, [_Ds, c_int64], _S),
    ("tier_dataset_as_of", c_int64, [_Ds], _V),
    ("tier_dataset_is_stale", c_int, [_Ds], _V),
    ("tier_dataset_size", c_size_t, [_Ds], _V),
    ("tier_dataset_transaction_count", c_uint64, [_Ds], _V),
    ("tier_dataset_customer_id", c_char_p, [_Ds, c_size_t], _STR),
    ("tier_dataset_find", c_int, [POINTER(c_size_t), _Ds, c_char_p], _NF),
    ("tier_dataset_column_count", c_size_t, [_Ds], _V),
    ("tier_dataset_column_name", c_char_p, [_Ds, c_size_t], _STR),
    ("tier_dataset_column_type", c_int, [POINTER(c_int), _Ds, c_char_p], _S),
    ("tier_dataset_numeric", c_int, [POINTER(c_double_p), _Ds, c_char_p], _S),
    ("tier_dataset_categorical", c_int,
     [POINTER(c_int32_p), POINTER(c_char_pp), POINTER(c_size_t), _Ds, c_char_p], _S),
    ("tier_dataset_set_numeric", c_int, [_Ds, c_char_p, c_double_p], _S),
    ("tier_dataset_set_categorical", c_int, [_Ds, c_char_p, c_int32_p, c_char_pp, c_size_t],
     _S),
    ("tier_dataset_join_numeric", c_int,
     [POINTER(c_size_t), _Ds, c_char_p, c_size_t, c_char_pp, c_double_p], _S),
    ("tier_dataset_join_categorical", c_int,
     [POINTER(c_size_t), _Ds, c_char_p, c_size_t, c_char_pp, c_char_pp], _S),
    ("tier_dataset_merge", c_int, [_Ds, _Ds], _S),
    ("tier_dataset_save", c_int, [_Ds, c_char_p], _S),
    ("tier_dataset_load", c_int, [_out, c_char_p, POINTER(DatasetOptions)], _S),
    # csv.h
    ("tier_csv_options_init", c_int, [POINTER(CsvOptions), c_uint], _S),
    ("tier_csv_report_count", c_uint64, [_Rep, c_int], _V),
    ("tier_csv_report_message_count", c_size_t, [_Rep], _V),
    ("tier_csv_report_message", c_char_p, [_Rep, c_size_t], _STR),
    ("tier_csv_report_free", None, [c_void_p], _V),
    ("tier_dataset_add_csv", c_int, [_out, _Ds, c_char_p, POINTER(CsvOptions)], _S),
    ("tier_dataset_load_csv", c_int, [_out, _out, c_char_p, POINTER(CsvOptions)], _S),
    ("tier_dataset_join_csv", c_int, [_out, _Ds, c_char_p, POINTER(CsvOptions)], _S),
    # scorer.h and sys/scorer.h
    ("tier_scorer_options_init", c_int, [POINTER(ScorerOptions), c_uint], _S),
    ("tier_scorer_free", None, [c_void_p], _V),
    ("tier_scorer_fit", c_int, [_Sc, _Ds], _S),
    ("tier_scorer_apply", c_int, [_Sc, _Ds], _S),
    ("tier_scorer_fit_apply", c_int, [_Sc, _Ds], _S),
    ("tier_scorer_is_fitted", c_int, [_Sc], _V),
    ("tier_scorer_name", c_char_p, [_Sc], _STR),
    ("tier_scorer_is_custom", c_int, [_Sc], _V),
    ("tier_scorer_input_count", c_size_t, [_Sc], _V),
    ("tier_scorer_input_name", c_char_p, [_Sc, c_size_t], _STR),
    ("tier_scorer_output_count", c_size_t, [_Sc], _V),
    ("tier_scorer_output_name", c_char_p, [_Sc, c_size_t], _STR),
    ("tier_scorer_output_type", c_int, [POINTER(c_int), _Sc, c_size_t], _S),
    ("tier_scorer_output_prefix", c_char_p, [_Sc], _STR),
    ("tier_scorer_set_output_prefix", c_int, [_Sc, c_char_p], _S),
    ("tier_scorer_save", c_int, [_Sc, c_char_p], _S),
    ("tier_scorer_load", c_int, [_out, c_char_p, POINTER(ScorerOptions)], _S),
    ("tier_scorer_file_kind", c_int, [c_char_p, c_size_t, POINTER(c_int), c_char_p], _S),
    ("tier_scorer_new_custom", c_int,
     [_out, POINTER(ScorerVtable), c_void_p, POINTER(ScorerOptions)], _S),
    ("tier_scorer_load_custom", c_int,
     [_out, c_char_p, POINTER(ScorerVtable), c_void_p, POINTER(ScorerOptions)], _S),
    # The next four take handles that exist only inside a callback: raw pointers.
    ("tier_scorer_output_numeric", c_int, [POINTER(c_double_p), c_void_p, c_size_t], _S),
    ("tier_scorer_output_categorical", c_int,
     [c_void_p, c_size_t, c_int32_p, c_char_pp, c_size_t], _S),
    ("tier_scorer_write", c_int, [c_void_p, c_void_p, c_size_t], _S),
    ("tier_scorer_set_error", None, [c_char_p], _V),
    # rfm.h
    ("tier_rfm_options_init", c_int, [POINTER(RfmOptions), c_uint], _S),
    ("tier_rfm_new", c_int, [_out, POINTER(RfmOptions)], _S),
    ("tier_rfm_bins", c_uint, [_Sc, c_int], _V),
    ("tier_rfm_cuts", c_int, [POINTER(c_double_p), POINTER(c_size_t), _Sc, c_int], _S),
    ("tier_rfm_segment_count", c_size_t, [_Sc], _V),
    ("tier_rfm_segment_get", c_int,
     [POINTER(c_char_p), POINTER(c_uint), POINTER(c_uint), _Sc, c_size_t], _S),
    ("tier_rfm_segment_insert", c_int,
     [_Sc, c_size_t, c_char_p, POINTER(c_uint), POINTER(c_uint)], _S),
    ("tier_rfm_segment_remove", c_int, [_Sc, c_size_t], _S),
    ("tier_rfm_segments_clear", c_int, [_Sc], _S),
    ("tier_rfm_segments_default", c_int, [_Sc], _S),
    ("tier_rfm_summarize", c_int, [_out, _Sc, _Ds, c_int], _S),
    ("tier_rfm_summary_size", c_size_t, [_RfmS], _V),
    ("tier_rfm_summary_label", c_char_p, [_RfmS, c_size_t], _STR),
    ("tier_rfm_summary_score", c_uint, [_RfmS, c_size_t, c_int], _V),
    ("tier_rfm_summary_values", c_double_p, [_RfmS, c_int], _V),
    ("tier_rfm_summary_unscored", c_size_t, [_RfmS], _V),
    ("tier_rfm_summary_free", None, [c_void_p], _V),
    # ahp.h
    ("tier_ahp_options_init", c_int, [POINTER(AhpOptions), c_uint], _S),
    ("tier_ahp_new", c_int, [_out, c_size_t, c_char_pp, POINTER(AhpOptions)], _S),
    ("tier_ahp_copy", c_int, [_out, _Ahp], _S),
    ("tier_ahp_free", None, [c_void_p], _V),
    ("tier_ahp_size", c_size_t, [_Ahp], _V),
    ("tier_ahp_name", c_char_p, [_Ahp, c_size_t], _STR),
    ("tier_ahp_find", c_int, [POINTER(c_size_t), _Ahp, c_char_p], _S),
    ("tier_ahp_set", c_int, [_Ahp, c_size_t, c_size_t, c_double], _S),
    ("tier_ahp_set_by_name", c_int, [_Ahp, c_char_p, c_char_p, c_double], _S),
    ("tier_ahp_unset", c_int, [_Ahp, c_size_t, c_size_t], _S),
    ("tier_ahp_set_upper", c_int, [_Ahp, c_double_p], _S),
    ("tier_ahp_set_matrix", c_int, [_Ahp, c_double_p], _S),
    ("tier_ahp_judgment", c_int, [c_double_p, _Ahp, c_size_t, c_size_t], _S),
    ("tier_ahp_missing_count", c_size_t, [_Ahp], _V),
    ("tier_ahp_compute", c_int, [_Ahp], _S),
    ("tier_ahp_is_computed", c_int, [_Ahp], _V),
    ("tier_ahp_is_consistent", c_int, [_Ahp], _V),
    ("tier_ahp_weights", c_double_p, [_Ahp], _V),
    ("tier_ahp_completed", c_int, [c_double_p, _Ahp, c_size_t, c_size_t], _S),
    ("tier_ahp_lambda_max", c_double, [_Ahp], _V),
    ("tier_ahp_ci", c_double, [_Ahp], _V),
    ("tier_ahp_cr", c_double, [_Ahp], _V),
    ("tier_ahp_gci", c_double, [_Ahp], _V),
    ("tier_ahp_iterations", c_uint, [_Ahp], _V),
    ("tier_ahp_cr_limit", c_double, [_Ahp], _V),
    ("tier_ahp_random_index", c_double, [c_size_t], _V),
    ("tier_ahp_worst_judgment", c_int,
     [POINTER(c_size_t), POINTER(c_size_t), c_double_p, _Ahp], _S),
    ("tier_ahp_parse", c_int, [_out, c_char_p, c_size_t, c_char_p, POINTER(AhpOptions)], _S),
    ("tier_ahp_load_text", c_int, [_out, c_char_p, POINTER(AhpOptions)], _S),
    ("tier_ahp_aggregate_judgments", c_int,
     [_out, POINTER(c_void_p), c_size_t, c_double_p, POINTER(AhpOptions)], _S),
    ("tier_ahp_aggregate_priorities", c_int,
     [c_double_p, POINTER(c_void_p), c_size_t, c_double_p, c_int], _S),
    ("tier_ahp_hierarchy_new", c_int, [_out, c_char_p, POINTER(AhpOptions)], _S),
    ("tier_ahp_hierarchy_free", None, [c_void_p], _V),
    ("tier_ahp_hierarchy_add", c_int, [POINTER(c_size_t), _H, c_char_p, c_char_p], _S),
    ("tier_ahp_hierarchy_set_judgments", c_int, [_H, c_char_p, _Ahp], _S),
    ("tier_ahp_hierarchy_set_weights", c_int, [_H, c_char_p, c_double_p], _S),
    ("tier_ahp_hierarchy_compute", c_int, [_H], _S),
    ("tier_ahp_hierarchy_node_count", c_size_t, [_H], _V),
    ("tier_ahp_hierarchy_node_name", c_char_p, [_H, c_size_t], _STR),
    ("tier_ahp_hierarchy_find", c_int, [POINTER(c_size_t), _H, c_char_p], _S),
    ("tier_ahp_hierarchy_parent", c_int, [POINTER(c_size_t), _H, c_size_t], _NF),
    ("tier_ahp_hierarchy_child_count", c_size_t, [_H, c_size_t], _V),
    ("tier_ahp_hierarchy_child", c_int, [POINTER(c_size_t), _H, c_size_t, c_size_t], _S),
    ("tier_ahp_hierarchy_depth", c_size_t, [_H, c_size_t], _V),
    ("tier_ahp_hierarchy_local_weight", c_double, [_H, c_size_t], _V),
    ("tier_ahp_hierarchy_global_weight", c_double, [_H, c_size_t], _V),
    ("tier_ahp_hierarchy_judgments", c_void_p, [_H, c_size_t], _V),
    ("tier_ahp_hierarchy_leaf_count", c_size_t, [_H], _V),
    ("tier_ahp_hierarchy_leaf", c_int, [POINTER(c_size_t), _H, c_size_t], _S),
    ("tier_ahp_scorer_options_init", c_int, [POINTER(AhpScorerOptions), c_uint], _S),
    ("tier_ahp_scorer_new", c_int, [_out, _Ahp, POINTER(AhpScorerOptions)], _S),
    ("tier_ahp_scorer_new_weights", c_int,
     [_out, c_size_t, c_char_pp, c_double_p, POINTER(AhpScorerOptions)], _S),
    ("tier_ahp_scorer_new_hierarchy", c_int, [_out, _H, POINTER(AhpScorerOptions)], _S),
    ("tier_ahp_scorer_new_rfm", c_int, [_out, _Ahp, c_uint, POINTER(AhpScorerOptions)], _S),
    ("tier_ahp_scorer_criteria_count", c_size_t, [_Sc], _V),
    ("tier_ahp_scorer_criterion", c_int,
     [POINTER(c_char_p), POINTER(c_char_p), c_double_p, _Sc, c_size_t], _S),
    ("tier_ahp_scorer_params", c_int, [c_double_p, c_double_p, _Sc, c_size_t], _S),
    # rules.h
    ("tier_rules_options_init", c_int, [POINTER(RulesOptions), c_uint], _S),
    ("tier_rules_compile", c_int, [_out, c_char_p, c_size_t, c_char_p, POINTER(RulesOptions)],
     _S),
    ("tier_rules_load", c_int, [_out, c_char_p, POINTER(RulesOptions)], _S),
    ("tier_rules_free", None, [c_void_p], _V),
    ("tier_rules_tier_count", c_size_t, [_Ru], _V),
    ("tier_rules_tier_name", c_char_p, [_Ru, c_size_t], _STR),
    ("tier_rules_tier_label", c_char_p, [_Ru, c_size_t], _STR),
    ("tier_rules_tier_index", c_int, [POINTER(c_size_t), _Ru, c_char_p], _S),
    ("tier_rules_tier_has_retain", c_int, [_Ru, c_size_t], _V),
    ("tier_rules_column_count", c_size_t, [_Ru], _V),
    ("tier_rules_column_name", c_char_p, [_Ru, c_size_t], _STR),
    ("tier_rules_source_name", c_char_p, [_Ru], _STR),
    ("tier_rules_policy_value", c_uint, [_Ru, c_int], _V),
    ("tier_rules_pin_count", c_size_t, [_Ru], _V),
    ("tier_rules_pin", c_int,
     [POINTER(c_char_p), POINTER(c_size_t), c_int64_p, _Ru, c_size_t], _S),
    ("tier_rules_check", c_int, [_Ru, _Ds], _S),
    ("tier_rules_evaluate", c_int, [c_int32_p, _Ru, _Ds], _S),
    # assignment.h
    ("tier_event_kind_name", c_char_p, [c_int], _STR),
    ("tier_assign_options_init", c_int, [POINTER(AssignOptions), c_uint], _S),
    ("tier_assignment_new", c_int,
     [_out, _Ru, _Ds, Nullable(_As), POINTER(AssignOptions)], _S),
    ("tier_assignment_free", None, [c_void_p], _V),
    ("tier_assignment_size", c_size_t, [_As], _V),
    ("tier_assignment_time", c_int64, [_As], _V),
    ("tier_assignment_customer_id", c_char_p, [_As, c_size_t], _STR),
    ("tier_assignment_find", c_int, [POINTER(c_size_t), _As, c_char_p], _NF),
    ("tier_assignment_tier_count", c_size_t, [_As], _V),
    ("tier_assignment_tier_name", c_char_p, [_As, c_size_t], _STR),
    ("tier_assignment_tier_label", c_char_p, [_As, c_size_t], _STR),
    ("tier_assignment_tiers", c_int32_p, [_As], _V),
    ("tier_assignment_qualified", c_int32_p, [_As], _V),
    ("tier_assignment_grace", c_int32_p, [_As], _V),
    ("tier_assignment_count", c_uint64, [_As, c_size_t], _V),
    ("tier_assignment_event_count", c_size_t, [_As], _V),
    ("tier_assignment_event", c_int,
     [POINTER(c_char_p), POINTER(c_int), POINTER(c_char_p), POINTER(c_char_p), c_int64_p,
      _As, c_size_t], _S),
    ("tier_assignment_write_events", c_int, [_As, c_char_p], _S),
    ("tier_assignment_override_count", c_size_t, [_As], _V),
    ("tier_assignment_override", c_int,
     [POINTER(c_char_p), POINTER(c_char_p), c_int64_p, _As, c_size_t], _S),
    ("tier_assignment_transitions", c_int, [POINTER(c_uint64), _As, _As], _S),
    ("tier_assignment_to_column", c_int, [_As, _Ds, c_char_p], _S),
    ("tier_assignment_save", c_int, [_As, c_char_p], _S),
    ("tier_assignment_load", c_int, [_out, c_char_p, c_void_p], _S),
    ("tier_whatif_new", c_int,
     [_out, _Ru, _Ru, _Ds, Nullable(_As), POINTER(AssignOptions)], _S),
    ("tier_whatif_free", None, [c_void_p], _V),
    ("tier_whatif_current", c_void_p, [_Wi], _V),
    ("tier_whatif_candidate", c_void_p, [_Wi], _V),
    ("tier_whatif_transition", c_uint64, [_Wi, c_size_t, c_size_t], _V),
    ("tier_whatif_changed", c_uint64, [_Wi], _V),
    # summary.h
    ("tier_summary_options_init", c_int, [POINTER(SummaryOptions), c_uint], _S),
    ("tier_summary_new", c_int, [_out, _Ds, POINTER(SummaryOptions)], _S),
    ("tier_summary_activity", c_int, [_out, _Ds, c_int, POINTER(SummaryOptions)], _S),
    ("tier_summary_free", None, [c_void_p], _V),
    ("tier_summary_row_count", c_size_t, [_Su], _V),
    ("tier_summary_column_count", c_size_t, [_Su], _V),
    ("tier_summary_column_name", c_char_p, [_Su, c_size_t], _STR),
    ("tier_summary_find_column", c_int, [POINTER(c_size_t), _Su, c_char_p], _S),
    ("tier_summary_column_type", c_int, [POINTER(c_int), _Su, c_size_t], _S),
    ("tier_summary_numeric", c_int, [POINTER(c_double_p), _Su, c_size_t], _S),
    ("tier_summary_value", c_double, [_Su, c_size_t, c_size_t], _V),
    ("tier_summary_key_count", c_size_t, [_Su], _V),
    ("tier_summary_level_count", c_size_t, [_Su, c_size_t], _V),
    ("tier_summary_level_label", c_char_p, [_Su, c_size_t, c_size_t], _STR),
    ("tier_summary_level_kind", c_int, [_Su, c_size_t, c_size_t], _V),
    ("tier_summary_key", c_long, [_Su, c_size_t, c_size_t], _V),
    ("tier_summary_label", c_char_p, [_Su, c_size_t, c_size_t], _STR),
    ("tier_summary_bucket_start", c_int64, [_Su, c_size_t], _V),
    ("tier_summary_total", c_uint64, [_Su], _V),
    ("tier_summary_excluded", c_uint64, [_Su], _V),
    ("tier_summary_pivot", c_int, [_out, _Su, c_char_p], _S),
    ("tier_summary_export", c_int, [_Su, c_int, WRITE_FN, c_void_p], _S),
    ("tier_summary_export_file", c_int, [_Su, c_int, c_char_p], _S),
    # kmeans.h
    ("tier_kmeans_options_init", c_int, [POINTER(KMeansOptions), c_uint], _S),
    ("tier_kmeans_new", c_int, [_out, POINTER(KMeansOptions)], _S),
    ("tier_kmeans_k", c_uint, [_Sc], _V),
    ("tier_kmeans_feature_count", c_size_t, [_Sc], _V),
    ("tier_kmeans_centers", c_int, [POINTER(c_double_p), _Sc, c_int], _S),
    ("tier_kmeans_transform_params", c_int, [c_double_p, c_double_p, _Sc, c_size_t], _S),
    ("tier_kmeans_fit_info", c_int, [c_double_p, POINTER(c_uint), POINTER(c_int), _Sc], _S),
    ("tier_kmeans_cluster_size", c_int,
     [POINTER(c_size_t), c_double_p, c_double_p, _Sc, c_uint], _S),
    ("tier_kmeans_cluster_means", c_int, [POINTER(c_double_p), _Sc], _S),
    ("tier_kmeans_order_values", c_int, [POINTER(c_double_p), _Sc], _S),
    ("tier_kmeans_initial_centers", c_int,
     [c_double_p, _Ds, POINTER(KMeansOptions), c_int], _S),
    ("tier_kmeans_choose_options_init", c_int, [POINTER(KMeansChooseOptions), c_uint], _S),
    ("tier_kmeans_choose_k", c_int,
     [_out, _Ds, POINTER(KMeansOptions), POINTER(KMeansChooseOptions)], _S),
    ("tier_kmeans_choice_free", None, [c_void_p], _V),
    ("tier_kmeans_choice_count", c_size_t, [_Kc], _V),
    ("tier_kmeans_choice_k", c_uint, [_Kc, c_size_t], _V),
    ("tier_kmeans_choice_metric", c_int, [c_double_p, _Kc, c_size_t, c_int], _S),
    ("tier_kmeans_choice_best", c_int, [POINTER(c_uint), _Kc, c_int], _S),
    # clv.h
    ("tier_clv_options_init", c_int, [POINTER(ClvOptions), c_uint], _S),
    ("tier_clv_new", c_int, [_out, POINTER(ClvOptions)], _S),
    ("tier_clv_params", c_int, [_dp, POINTER(c_int), _Sc], _S),
    ("tier_clv_spend_params", c_int, [_dp, _Sc], _S),
    ("tier_clv_fit_info", c_int,
     [_dp, POINTER(c_uint), POINTER(c_int), POINTER(c_size_t), POINTER(c_uint), _Sc, c_int],
     _S),
    ("tier_clv_loglik", c_int, [_dp, c_int, _dp, c_size_t, _dp, _dp, _dp], _S),
    ("tier_clv_predict", c_int, [_dp, c_int, c_int, _dp, c_size_t, _dp, _dp, _dp, c_double],
     _S),
    ("tier_clv_spend_loglik", c_int, [_dp, _dp, c_size_t, _dp, _dp], _S),
    ("tier_clv_spend_expected", c_int, [_dp, _dp, c_size_t, _dp, _dp], _S),
    ("tier_clv_calibration_split", c_int, [_Ds, c_int64], _S),
    ("tier_clv_holdout", c_int, [_Ds, _Ds], _S),
    ("tier_clv_fit_csv", c_int,
     [_out, _out, c_char_p, POINTER(CsvOptions), c_int64, POINTER(ClvOptions)], _S),
    # churn.h
    ("tier_churn_options_init", c_int, [POINTER(ChurnOptions), c_uint], _S),
    ("tier_churn_flag", c_int, [_Ds, POINTER(ChurnOptions)], _S),
    ("tier_churn_rates", c_int, [_out, _Ds, c_char_p, c_char_p], _S),
    ("tier_churn_table_free", None, [c_void_p], _V),
    ("tier_churn_table_size", c_size_t, [_Ch], _V),
    ("tier_churn_table_group", c_char_p, [_Ch, c_size_t], _STR),
    ("tier_churn_table_row", c_int,
     [POINTER(c_size_t), POINTER(c_size_t), POINTER(c_size_t), _dp, _Ch, c_size_t], _S),
    ("tier_cohort_retention", c_int, [_out, _Ds], _S),
    ("tier_cohort_table_free", None, [c_void_p], _V),
    ("tier_cohort_table_cohorts", c_size_t, [_Co], _V),
    ("tier_cohort_table_offsets", c_size_t, [_Co], _V),
    ("tier_cohort_table_label", c_char_p, [_Co, c_size_t], _STR),
    ("tier_cohort_table_cell", c_int,
     [POINTER(c_size_t), POINTER(c_size_t), _dp, _Co, c_size_t, c_size_t], _S),
    # lifecycle.h
    ("tier_lifecycle_options_init", c_int, [POINTER(LifecycleOptions), c_uint], _S),
    ("tier_lifecycle_assign", c_int, [_dp, _Ds, POINTER(LifecycleOptions)], _S),
]


class _Namespace:
    """Holds the declared functions as attributes: ``C.tier_dataset_new(...)``."""


C = _Namespace()
missing_functions = []
for _name, _restype, _argtypes, _errcheck in _DECLARATIONS:
    try:
        setattr(C, _name, Function(_name, _restype, _argtypes, _errcheck))
    except AttributeError:
        # An older 0.x library without this function: the features that need it raise
        # NotImplementedError-like errors when used (see require()).
        missing_functions.append(_name)

# The free functions are also needed as plain ctypes functions by finalizers.
free_dataset = _lib.tier_dataset_free
free_scorer = _lib.tier_scorer_free
free_csv_report = _lib.tier_csv_report_free
free_rfm_summary = _lib.tier_rfm_summary_free
free_ahp = _lib.tier_ahp_free
free_ahp_hierarchy = _lib.tier_ahp_hierarchy_free
free_rules = _lib.tier_rules_free
free_assignment = getattr(_lib, "tier_assignment_free", None)
free_whatif = getattr(_lib, "tier_whatif_free", None)
free_summary = getattr(_lib, "tier_summary_free", None)
free_kmeans_choice = getattr(_lib, "tier_kmeans_choice_free", None)
free_churn_table = getattr(_lib, "tier_churn_table_free", None)
free_cohort_table = getattr(_lib, "tier_cohort_table_free", None)


def require(name):
    """The declared function ``name``; raises NotImplementedError for an older library."""
    f = getattr(C, name, None)
    if f is None:
        raise NotImplementedError("%s is not in %s (libtier %s)"
                                  % (name, library_path, C.tier_version_string()))
    return f


def new_handle(fn, *args):
    """Calls a constructor ``fn(&out, *args)`` and returns the new pointer (never NULL)."""
    out = c_void_p()
    fn(byref(out), *args)
    if not out.value:  # defensive: the API promises a handle on success
        raise errors.Error("%s returned no handle" % fn.name)
    return out.value


def encode(text, what="name"):
    """str (or bytes) to bytes for a ``const char *`` argument; None stays None."""
    if text is None or isinstance(text, bytes):
        return text
    if not isinstance(text, str):
        raise TypeError("%s must be a str, got %s" % (what, type(text).__name__))
    if "\0" in text:
        raise ValueError("%s must not contain NUL characters" % what)
    return text.encode("utf-8")


def fspath(path):
    """A path-like object as bytes for the C library."""
    return os.fsencode(os.fspath(path))


def string_array(items, what="names"):
    """A ``const char *[]`` (ctypes array) from an iterable of str; keeps the bytes alive."""
    encoded = [encode(s, what) for s in items]
    return (c_char_p * max(len(encoded), 1))(*encoded), len(encoded)


