"""Group-by tables, pivots and activity per time bucket (summary.h).

>>> s = tier.Summary(ds, "tier", value="monetary", margins=True)
>>> s.rows()          # [{"tier": "Diamond", "count": 12.0, "share": ..., ...}, ...]
>>> s.to_csv()        # the table as CSV text
"""

from ctypes import byref, c_int, c_size_t, string_at

from . import _callbacks
from ._lowlevel import (C, Core, SummaryHandle, SummaryOptions, TIER_COLUMN_NUMERIC,
                        TIER_SUMMARY_OPTIONS_VERSION, WRITE_FN, encode, free_summary, fspath,
                        new_handle)
from .dataset import Dataset
from .scorers import choice

__all__ = ["Summary"]

_SHARE = {"total": 0, "first": 1, "second": 2}
_ORDER = {"key": 0, "count": 1, "count_desc": 1}
_BUCKETS = {"day": 0, "week": 1, "month": 2, "quarter": 3, "year": 4}
_FORMATS = {"csv": 0, "json": 1}
_LEVEL_KINDS = {0: "value", 1: "missing", 2: "total"}


def _options(by, by2, value, include_missing, include_empty, margins, share, order,
             missing_label, total_label):
    opts = SummaryOptions()
    C.tier_summary_options_init(byref(opts), TIER_SUMMARY_OPTIONS_VERSION)
    opts.by[0] = encode(by, "by")
    opts.by[1] = encode(by2, "by2")
    opts.value = encode(value, "value")
    opts.include_missing = 1 if include_missing else 0
    opts.include_empty = 1 if include_empty else 0
    opts.margins = 1 if margins else 0
    opts.share = choice(share, _SHARE, "share")
    opts.order = choice(order, _ORDER, "order")
    opts.missing_label = encode(missing_label, "missing_label")
    opts.total_label = encode(total_label, "total_label")
    return opts


class Summary(SummaryHandle):
    """An immutable result table (``tier_summary``): key columns, then statistics
    (count, share, <value>_n, _sum, _mean, _median, _min, _max).

    ``Summary(ds, by, by2=None, *, value=None, include_missing=True, include_empty=True,
    margins=False, share="total", order="key", missing_label=None, total_label=None)``
    groups the customers of ``ds`` by one or two columns. ``Summary.activity(ds, bucket,
    ...)`` counts active customers per "day", "week", "month", "quarter" or "year".
    """

    def __init__(self, ds, by, by2=None, *, value=None, include_missing=True,
                 include_empty=True, margins=False, share="total", order="key",
                 missing_label=None, total_label=None):
        if not isinstance(ds, Dataset):
            raise TypeError("expected a tier.Dataset, got %s" % type(ds).__name__)
        opts = _options(by, by2, value, include_missing, include_empty, margins, share, order,
                        missing_label, total_label)
        super().__init__(Core(new_handle(C.tier_summary_new, ds, byref(opts)), free_summary))

    @classmethod
    def _from_ptr(cls, ptr):
        self = cls.__new__(cls)
        SummaryHandle.__init__(self, Core(ptr, free_summary))
        return self

    @classmethod
    def activity(cls, ds, bucket="month", by=None, *, value=None, include_missing=True,
                 include_empty=True, margins=False, share="total", order="key",
                 missing_label=None, total_label=None):
        """Customers with a purchase in each time bucket, optionally split by column ``by``."""
        if not isinstance(ds, Dataset):
            raise TypeError("expected a tier.Dataset, got %s" % type(ds).__name__)
        opts = _options(by, None, value, include_missing, include_empty, margins, share, order,
                        missing_label, total_label)
        return cls._from_ptr(new_handle(C.tier_summary_activity, ds,
                                        choice(bucket, _BUCKETS, "bucket"), byref(opts)))

    def pivot(self, stat="count"):
        """A grid of one statistic: first key down, second key across."""
        return type(self)._from_ptr(new_handle(C.tier_summary_pivot, self,
                                               encode(stat, "statistic")))

    def __len__(self):
        return C.tier_summary_row_count(self)

    @property
    def columns(self):
        return [C.tier_summary_column_name(self, i)
                for i in range(C.tier_summary_column_count(self))]

    @property
    def key_count(self):
        return C.tier_summary_key_count(self)

    def _col(self, column):
        if isinstance(column, int):
            return column
        i = c_size_t()
        C.tier_summary_find_column(byref(i), self, encode(column, "column"))
        return i.value

    def column(self, column):
        """A column as a list: labels (str) for a key column, floats for a statistic."""
        c = self._col(column)
        kind = c_int()
        C.tier_summary_column_type(byref(kind), self, c)
        n = len(self)
        if kind.value == TIER_COLUMN_NUMERIC:
            return [C.tier_summary_value(self, r, c) for r in range(n)]
        return [C.tier_summary_label(self, r, c) for r in range(n)]

    def value(self, row, column):
        return C.tier_summary_value(self, row, self._col(column))

    def levels(self, key=0):
        """[(label, kind)] of a key column; kind is "value", "missing" or "total"."""
        return [(C.tier_summary_level_label(self, key, i),
                 _LEVEL_KINDS.get(C.tier_summary_level_kind(self, key, i), "?"))
                for i in range(C.tier_summary_level_count(self, key))]

    def bucket_start(self, level):
        """First instant of an activity table's time bucket level (None otherwise)."""
        v = C.tier_summary_bucket_start(self, level)
        return None if v == -(2 ** 63) else v

    @property
    def total(self):
        return C.tier_summary_total(self)

    @property
    def excluded(self):
        return C.tier_summary_excluded(self)

    def rows(self):
        """The table as a list of dicts keyed by column name."""
        cols = self.columns
        data = [self.column(i) for i in range(len(cols))]
        return [dict(zip(cols, values)) for values in zip(*data)] if cols else []

    def _export(self, fmt):
        chunks = []

        def write(user, data, size):
            try:
                chunks.append(string_at(data, size))
                return 0
            except BaseException as e:  # noqa: B036 — re-raised by _callbacks.call
                _callbacks.record(e)
                return 1

        cb = WRITE_FN(write)
        _callbacks.call(C.tier_summary_export, self, choice(fmt, _FORMATS, "format"), cb, None)
        return b"".join(chunks).decode("utf-8")

    def to_csv(self):
        """The table as RFC 4180 CSV text (NaN as an empty field)."""
        return self._export("csv")

    def to_json(self):
        """The table as JSON text ({"columns", "total", "excluded", "rows"})."""
        return self._export("json")

    def export(self, path, format="csv"):
        """Writes the table to a file atomically ("csv" or "json")."""
        C.tier_summary_export_file(self, choice(format, _FORMATS, "format"), fspath(path))

    def to_pandas(self):
        import pandas
        return pandas.DataFrame(self.rows(), columns=self.columns)

    def __repr__(self):
        if self.closed:
            return "<tier.Summary (closed)>"
        return "<tier.Summary %d rows, columns %r>" % (len(self), self.columns)
