"""Python code called from C: exceptions must come back out as themselves.

A ctypes callback that lets an exception escape only prints it and returns 0 — which the C
library would read as success. So every callback in this package catches everything
(``BaseException``: KeyboardInterrupt too), records the exception for the calling thread with
:func:`record`, reports failure to the library (non-zero return, plus a message where the API
has one), and :func:`call` — wrapped around the C call that invoked the callback — re-raises
the recorded exception once the library has returned and cleaned up. Callbacks always run on
the thread that made the C call (documented in sys/scorer.h and csv.h), so a thread-local
slot is exact; nested calls save and restore the outer slot.
"""

import threading

from . import errors
from ._lowlevel import PROGRESS_FN

_tls = threading.local()


def record(exc):
    """Remembers the first exception raised by a callback during the current C call."""
    if getattr(_tls, "exc", None) is None:
        _tls.exc = exc


def call(fn, *args):
    """Calls C function ``fn``; re-raises the exception of a failed Python callback."""
    outer = getattr(_tls, "exc", None)
    _tls.exc = None
    error = None
    try:
        result = fn(*args)
    except errors.Error as e:
        error = e
    finally:
        pending = _tls.exc
        _tls.exc = outer
    if pending is not None:
        # Raised outside the except block, so the library's CallbackError does not show up
        # as the context of the user's own exception.
        raise pending
    if error is not None:
        raise error
    return result


def progress_callback(progress):
    """A PROGRESS_FN for a Python ``progress(done, total)`` (truthy return cancels), or None.
    The caller keeps the returned object alive for the duration of the C call."""
    if progress is None:
        return PROGRESS_FN()
    if not callable(progress):
        raise TypeError("progress must be callable, got %s" % type(progress).__name__)

    def trampoline(user, done, total):
        try:
            return 1 if progress(done, total) else 0
        except BaseException as e:  # noqa: B036 — recorded and re-raised by call()
            record(e)
            return 1

    return PROGRESS_FN(trampoline)
