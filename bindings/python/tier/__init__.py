"""tier — Python binding of libtier, the customer tiering and segmentation library.

Pure Python over ctypes; only the standard library is imported. numpy is used (imported on
first need) for zero-copy column views when it is installed, pandas for ``to_pandas()``.

The shared library is looked up in this order: ``$TIER_LIBRARY`` (a path), the package
directory (``libtier.so*``), then the system linker (``ctypes.util.find_library("tier")``).
Its version is checked at import: this binding needs libtier 0.1 or a later 0.x.

>>> import tier
>>> ds = tier.Dataset.from_csv("orders.csv")
>>> tier.RFM(bins=5, mode="quantile").fit_apply(ds)
>>> ds["r_score"]                            # zero-copy, read-only
>>> rules = tier.Rules.load("retail.tier")
>>> rules.assign(ds).counts()
"""

from . import errors
from ._buffers import use_numpy
from ._lowlevel import C as _C, library_path
from .errors import (CallbackError, CancelledError, ClosedError, ColumnTypeError,
                     CorruptFileError, EmptyError, Error, ExistsError, InconsistentError,
                     InputOutputError, InvalidArgumentError, NotConvergedError, NotFittedError,
                     NotFoundError, OutOfMemoryError, ParseError, RangeError, StaleError,
                     VersionError)
from .dataset import CategoricalColumn, CsvReport, Dataset
from .scorers import (AHPScorer, CustomScorer, KMeans, KMeansChoice, RFM, RFMSummary, Scorer,
                      Segment, Strategy, choose_k, load_model, model_kind)
from .ahp import AHP, AHPHierarchy, aggregate_priorities, random_index
from .rules import Assignment, Event, Override, Pin, Rules, WhatIf
from .summary import Summary
from .lifetime import (CLV, LIFECYCLE_STAGES, ChurnRow, CohortTable, churn_flag, churn_rates,
                       clv_calibration_split, clv_holdout, cohort_retention, lifecycle_assign)

#: Version of the loaded C library, "MAJOR.MINOR.PATCH".
library_version = _C.tier_version_string()
#: The same as a number, major * 10000 + minor * 100 + patch.
library_version_number = _C.tier_version_number()
#: Version of this Python package (it follows the C library's version).
__version__ = "0.1.0"


def status_message(status):
    """The short description of a C status code ("out of memory" ...)."""
    from ._lowlevel import _lib
    return _lib.tier_status_str(status).decode("utf-8")


__all__ = [
    "Dataset", "CategoricalColumn", "CsvReport",
    "Scorer", "RFM", "RFMSummary", "Segment", "AHPScorer", "KMeans", "KMeansChoice", "choose_k",
    "Strategy", "CustomScorer", "load_model", "model_kind",
    "AHP", "AHPHierarchy", "aggregate_priorities", "random_index",
    "Rules", "Assignment", "WhatIf", "Event", "Pin", "Override",
    "Summary", "CLV", "clv_calibration_split", "clv_holdout", "churn_flag", "churn_rates",
    "ChurnRow", "cohort_retention", "CohortTable", "lifecycle_assign", "LIFECYCLE_STAGES",
    "use_numpy", "library_path", "library_version", "library_version_number",
    "status_message", "errors",
    "Error", "OutOfMemoryError", "InvalidArgumentError", "InputOutputError", "ParseError",
    "NotFoundError", "ColumnTypeError", "CorruptFileError", "VersionError", "StaleError",
    "EmptyError", "InconsistentError", "NotFittedError", "RangeError", "CallbackError",
    "CancelledError", "NotConvergedError", "ExistsError", "ClosedError",
]
