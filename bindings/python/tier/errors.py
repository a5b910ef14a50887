"""Exceptions raised by the tier package.

Every failing libtier call raises a subclass of :class:`Error` chosen by the C status code
(``tier_status`` in ``tier/common.h``). The exception's text is ``tier_last_error()``: the
library's message with its context ("rules:3:14: unknown column 'monetry' (did you mean
'monetary'?)"). Each subclass also derives from the closest built-in exception, so code that
catches ``ValueError``, ``KeyError``, ``OSError`` ... keeps working.
"""

__all__ = [
    "Error", "OutOfMemoryError", "InvalidArgumentError", "InputOutputError", "ParseError",
    "NotFoundError", "ColumnTypeError", "CorruptFileError", "VersionError", "StaleError",
    "EmptyError", "InconsistentError", "NotFittedError", "RangeError", "CallbackError",
    "CancelledError", "NotConvergedError", "ExistsError", "ClosedError", "error_for_status",
]


class Error(Exception):
    """A libtier failure. ``status`` is the C status code (negative), ``message`` the text."""

    #: The ``tier_status`` value this class stands for.
    status = -1

    def __init__(self, message="", status=None):
        # One positional argument only: several subclasses also derive from OSError, which
        # would read a second argument as (errno, strerror).
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    def __str__(self):
        # KeyError's __str__ would quote the message; the library's text reads better as is.
        return self.message


class OutOfMemoryError(Error, MemoryError):
    """``TIER_ENOMEM``: an allocation failed."""
    status = -2


class InvalidArgumentError(Error, ValueError):
    """``TIER_EINVAL``: an argument is invalid."""
    status = -3


class InputOutputError(Error, OSError):
    """``TIER_EIO``: reading or writing a file failed."""
    status = -4


class ParseError(Error, ValueError):
    """``TIER_EPARSE``: malformed input text (CSV row, date, number, rule)."""
    status = -5


class NotFoundError(Error, KeyError):
    """``TIER_ENOTFOUND``: a named column, customer, tier or file does not exist."""
    status = -6


class ColumnTypeError(Error, TypeError):
    """``TIER_ETYPE``: a column has the wrong type for the operation."""
    status = -7


class CorruptFileError(Error, ValueError):
    """``TIER_ECORRUPT``: a saved file is truncated, corrupted or not a libtier file."""
    status = -8


class VersionError(Error):
    """``TIER_EVERSION``: an options struct or file has a version this library lacks."""
    status = -9


class StaleError(Error):
    """``TIER_ESTALE``: feature columns are out of date; call ``compute_features()``."""
    status = -10


class EmptyError(Error, ValueError):
    """``TIER_EEMPTY``: the operation needs data and there is none."""
    status = -11


class InconsistentError(Error, ValueError):
    """``TIER_EINCONSISTENT``: AHP judgments exceed the consistency-ratio limit."""
    status = -12


class NotFittedError(Error):
    """``TIER_ENOTFITTED``: a model is used before it was fitted or loaded."""
    status = -13


class RangeError(Error, ValueError):
    """``TIER_ERANGE``: a value is NaN, infinite or outside its allowed range."""
    status = -14


class CallbackError(Error):
    """``TIER_ECALLBACK``: a callback reported failure.

    When the callback was Python code that raised, the original exception propagates instead
    of this one.
    """
    status = -15


class CancelledError(Error):
    """``TIER_ECANCELLED``: a progress callback asked to stop."""
    status = -16


class NotConvergedError(Error):
    """``TIER_ENOTCONVERGED``: an iterative method did not converge."""
    status = -17


class ExistsError(Error):
    """``TIER_EEXISTS``: an object with that name already exists."""
    status = -18


class ClosedError(Error, ValueError):
    """An operation on a handle after ``close()`` (or on a borrowed handle after its owner
    let go of it). Raised by the binding itself; the C library is never called."""
    status = -3


_BY_STATUS = {cls.status: cls for cls in (
    OutOfMemoryError, InvalidArgumentError, InputOutputError, ParseError, NotFoundError,
    ColumnTypeError, CorruptFileError, VersionError, StaleError, EmptyError, InconsistentError,
    NotFittedError, RangeError, CallbackError, CancelledError, NotConvergedError, ExistsError)}


def error_for_status(status, message):
    """The exception for a C status code (``Error`` itself for unknown codes)."""
    cls = _BY_STATUS.get(status, Error)
    return cls(message, status)
