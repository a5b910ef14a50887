"""tier.Dataset: customers with behaviour features and attribute columns (dataset.h, csv.h).

Column views and mutation
-------------------------
``ds["recency"]`` returns a read-only, zero-copy view of the C column (a numpy array, or a
``memoryview`` without numpy). The C library only promises such a pointer "until the next
mutating call" on the dataset, so the binding does **copy on mutation**: when a mutating call
(adding transactions, computing features, setting or joining columns, applying a scorer,
``Assignment.to_column`` ...) finds views of the dataset still alive, it first moves the
dataset to a private copy and mutates that; the old C dataset stays exactly as it was for as
long as any view points into it, and is freed when the last view goes. A view therefore never
dangles and never changes under you: it is a snapshot of the column when it was taken. Drop
views you no longer need (``del``) to avoid the copy, or take ``ds.column(name, copy=True)``.
The same holds for ``close()``: the C dataset is freed at once, or when its last view goes.
"""

import collections
import datetime
import os
import tempfile
from ctypes import byref, c_double, c_int, c_int32, c_size_t, c_void_p

from . import _buffers, _callbacks, errors
from ._lowlevel import (C, Core, DatasetHandle, CsvReportHandle, CsvOptions, DatasetOptions,
                        TIER_AS_OF_AUTO, TIER_COLUMN_NUMERIC,
                        TIER_CSV_OPTIONS_VERSION, TIER_DATASET_OPTIONS_VERSION, TIER_OK,
                        c_char_pp, c_double_p, c_int32_p, encode, free_csv_report,
                        free_dataset, fspath, new_handle, string_array)

__all__ = ["Dataset", "CategoricalColumn", "CsvReport", "as_of_value"]

def as_of_value(as_of, what="as_of"):
    """None -> TIER_AS_OF_AUTO; anything to_epoch() accepts -> seconds."""
    return TIER_AS_OF_AUTO if as_of is None else _buffers.to_epoch(as_of, what)


def _dataset_options(n_threads):
    opts = DatasetOptions()
    C.tier_dataset_options_init(byref(opts), TIER_DATASET_OPTIONS_VERSION)
    opts.n_threads = _count(n_threads, "n_threads")
    return opts


def _count(value, what):
    value = int(value)
    if value < 0:
        raise ValueError("%s must be >= 0, got %d" % (what, value))
    return value


class CsvReport(collections.namedtuple("CsvReport", "rows rows_used rows_no_customer "
                                       "rows_bad bytes rows_unmatched messages")):
    """Counts and the first bad-row messages of one CSV load (a copy of tier_csv_report).

    rows: data rows read; rows_used: rows added (or joined); rows_no_customer: rows skipped
    for an empty customer id; rows_bad: rows skipped as bad (bad_rows="skip"); bytes: bytes
    of (decompressed) input; rows_unmatched: join_csv rows of unknown customers; messages:
    "file:line:column: what" strings, in file order."""

    __slots__ = ()


class _CsvReportOwner(CsvReportHandle):
    pass


def _read_report(ptr):
    """Copies a tier_csv_report into a CsvReport and frees it."""
    if not ptr:
        return None
    owner = _CsvReportOwner(Core(ptr, free_csv_report))
    try:
        counts = [C.tier_csv_report_count(owner, k) for k in range(6)]
        messages = [C.tier_csv_report_message(owner, i)
                    for i in range(C.tier_csv_report_message_count(owner))]
        return CsvReport(*counts, messages=messages)
    finally:
        owner.close()


_BAD_ROWS = {"strict": 0, "skip": 1}


def _csv_options(customer=None, time=None, amount=None, quantity=None, price=None, order=None,
                 categorical=(), numeric=(), delimiter=None, header=True, time_format=None,
                 bad_rows="strict", max_messages=None, as_of=None, n_threads=0, progress=None):
    """(CsvOptions, keep-alive list). None keeps the library default."""
    opts = CsvOptions()
    C.tier_csv_options_init(byref(opts), TIER_CSV_OPTIONS_VERSION)
    keep = []
    for field, value in (("customer_column", customer), ("time_column", time),
                         ("amount_column", amount), ("quantity_column", quantity),
                         ("price_column", price), ("order_column", order),
                         ("time_format", time_format)):
        if value is not None:
            b = encode(value, field)
            keep.append(b)
            setattr(opts, field, b)
    if delimiter is not None:
        d = encode(delimiter, "delimiter")
        if len(d) != 1:
            raise ValueError("delimiter must be one character, got %r" % (delimiter,))
        opts.delimiter = d
    opts.has_header = 1 if header else 0
    if isinstance(categorical, str) or isinstance(numeric, str):
        raise TypeError("categorical and numeric take a list of column names")
    if categorical:
        arr, n = string_array(categorical, "categorical column")
        keep.append(arr)
        opts.categorical_columns = arr
        opts.n_categorical_columns = n
    if numeric:
        arr, n = string_array(numeric, "numeric column")
        keep.append(arr)
        opts.numeric_columns = arr
        opts.n_numeric_columns = n
    if bad_rows not in _BAD_ROWS:
        raise ValueError("bad_rows must be 'strict' or 'skip', got %r" % (bad_rows,))
    opts.bad_rows = _BAD_ROWS[bad_rows]
    if max_messages is not None:
        opts.max_messages = _count(max_messages, "max_messages")
    opts.as_of = as_of_value(as_of)
    opts.n_threads = _count(n_threads, "n_threads")
    cb = _callbacks.progress_callback(progress)
    keep.append(cb)
    opts.progress = cb
    return opts, keep


def _csv_call(fn, report_out, *args):
    """Runs a CSV loader; the report (also after a failure) is attached to the exception."""
    try:
        _callbacks.call(fn, *args)
    except BaseException as e:
        if isinstance(e, errors.Error):
            e.report = _read_report(report_out.value)
        else:
            _read_report(report_out.value)
        raise
    return _read_report(report_out.value)


class CategoricalColumn:
    """A categorical column: int32 ``codes`` (-1 = missing) into ``categories``.

    Indexing gives the category text, or None for a missing value. ``codes`` is the same kind
    of read-only view as a numeric column (see the module description)."""

    __slots__ = ("codes", "categories")

    def __init__(self, codes, categories):
        self.codes = codes
        self.categories = tuple(categories)

    def __len__(self):
        return len(self.codes)

    def __getitem__(self, i):
        code = self.codes[i]
        return None if code < 0 else self.categories[code]

    def __iter__(self):
        cats = self.categories
        for code in self.codes:
            yield None if code < 0 else cats[code]

    def tolist(self):
        """The values as a list of str (None for missing)."""
        return list(self)

    def to_pandas(self):
        """A pandas.Categorical (copies the codes)."""
        import pandas
        import numpy
        return pandas.Categorical.from_codes(numpy.array(self.codes, dtype=numpy.int32),
                                             categories=list(self.categories))

    def __repr__(self):
        return "CategoricalColumn(%d values, categories=%r)" % (len(self), self.categories)


class Dataset(DatasetHandle):
    """An owned ``tier_dataset``: one row per customer, feature and attribute columns.

    ``Dataset(n_threads=0)`` creates an empty dataset; the class methods ``from_csv``,
    ``from_transactions`` and ``load`` build one. ``len(ds)`` is the number of customers,
    iteration and ``in`` work on column names (as in pandas), ``ds[name]`` reads a column
    (zero-copy, see the module description) and ``ds[name] = values`` sets one.
    """

    _borrowed = False
    _busy = 0
    csv_report = None

    def __init__(self, n_threads=0):
        opts = _dataset_options(n_threads)
        ptr = new_handle(C.tier_dataset_new, byref(opts))
        self._setup(ptr, n_threads)

    def _setup(self, ptr, n_threads):
        super().__init__(Core(ptr, free_dataset))
        self._n_threads = n_threads

    @classmethod
    def _from_ptr(cls, ptr, n_threads=0):
        self = cls.__new__(cls)
        self._setup(ptr, n_threads)
        return self

    @classmethod
    def _borrow(cls, ptr):
        """A read-only stand-in for a dataset lent to a callback (closed afterwards)."""
        self = cls.__new__(cls)
        DatasetHandle.__init__(self, Core(ptr))
        self._n_threads = 0
        self._borrowed = True
        return self

    # ---- construction ------------------------------------------------------------------

    @classmethod
    def from_csv(cls, path, *, customer=None, time=None, amount=None, quantity=None,
                 price=None, order=None, categorical=(), numeric=(), delimiter=None,
                 header=True, time_format=None, bad_rows="strict", max_messages=None,
                 as_of=None, n_threads=0, progress=None):
        """Loads a CSV transaction file (gzip recognised) and computes the features.

        Column arguments name CSV columns (header names, or ``"#3"`` for a position):
        ``customer`` (default "customer_id"), ``time`` ("time"), ``amount`` ("amount") or
        ``quantity`` and ``price`` (amount = quantity x price), ``order`` (invoice id; default
        none), ``categorical``/``numeric``: attribute columns kept per customer. ``bad_rows``:
        "strict" stops at the first bad row, "skip" counts and skips them (see
        ``ds.csv_report``). ``as_of``: analysis instant (None = one day after the last
        transaction). ``progress(done, total)``: called with bytes read; a truthy return
        cancels (CancelledError), an exception propagates. Errors carry ``.report``.
        """
        opts, keep = _csv_options(customer, time, amount, quantity, price, order, categorical,
                                  numeric, delimiter, header, time_format, bad_rows,
                                  max_messages, as_of, n_threads, progress)
        out, report = c_void_p(), c_void_p()
        rep = _csv_call(C.tier_dataset_load_csv, report, byref(out), byref(report),
                        fspath(path), byref(opts))
        self = cls._from_ptr(out.value, n_threads)
        self.csv_report = rep
        return self

    @classmethod
    def from_transactions(cls, customer_ids, times, amounts, orders=None, *, as_of=None,
                          n_threads=0):
        """Builds a dataset from transaction arrays and computes the features.

        ``customer_ids``: str or int ids (integral floats lose their ``.0``); ``times``:
        seconds since the epoch (int64 arrays are passed without copying), datetimes (naive =
        UTC), dates, ISO strings or numpy/pandas datetimes; ``amounts``: numbers (float64
        arrays are passed without copying); ``orders``: optional order ids (None = no order).
        """
        self = cls(n_threads)
        try:
            self.add_transactions(customer_ids, times, amounts, orders)
            self.compute_features(as_of)
        except BaseException:
            self.close()
            raise
        return self

    @classmethod
    def load(cls, path, n_threads=0):
        """Loads a dataset written by save()."""
        opts = _dataset_options(n_threads)
        return cls._from_ptr(new_handle(C.tier_dataset_load, fspath(path), byref(opts)),
                             n_threads)

    # ---- mutation ----------------------------------------------------------------------

    def _mutable(self):
        """Call before any C call that mutates the dataset (see the module description)."""
        core = self._live()
        if self._borrowed:
            raise errors.InvalidArgumentError(
                "the dataset given to a strategy callback is read-only")
        if self._busy:
            raise errors.InvalidArgumentError(
                "this dataset is being scored; a strategy callback must not change it")
        if core.dependents:
            self._detach()
        return self

    def _detach(self):
        """Moves this object to a private copy of the C dataset; views keep the old one."""
        fd, path = tempfile.mkstemp(prefix="tier-detach-", suffix=".tierdata")
        os.close(fd)
        try:
            C.tier_dataset_save(self, fspath(path))
            opts = _dataset_options(self._n_threads)
            ptr = new_handle(C.tier_dataset_load, fspath(path), byref(opts))
        finally:
            os.unlink(path)
        # The old core is now referenced only by the views; it is freed after the last one.
        self._core = Core(ptr, free_dataset)

    def add_transactions(self, customer_ids, times, amounts, orders=None):
        """Adds a batch of transactions (features become stale). Inputs as from_transactions().
        Invalid input adds nothing."""
        self._live()
        ids, n = _buffers.id_array(customer_ids)
        t, _ = _buffers.int64_times(times, n)
        a, _ = _buffers.double_array(amounts, n, "amounts")
        o = None
        if orders is not None:
            o, _ = _buffers.optional_string_array(orders, n, "orders")
        C.tier_dataset_add_transactions(self._mutable(), n, ids, t, a, o)
        return self

    def add_csv(self, path, **options):
        """Adds the transactions of a CSV file (options as from_csv() but ``as_of``).
        Returns the CsvReport. On failure nothing is added."""
        if "as_of" in options:
            raise TypeError("add_csv() takes no as_of; call compute_features(as_of)")
        opts, keep = _csv_options(**options)
        report = c_void_p()
        return _csv_call(C.tier_dataset_add_csv, report, byref(report), self._mutable(),
                         fspath(path), byref(opts))

    def join_csv(self, path, *, customer=None, categorical=(), numeric=(), delimiter=None,
                 header=True, bad_rows="strict", max_messages=None, progress=None):
        """Joins attribute columns from a customer file (one row per customer). Returns the
        CsvReport (rows_unmatched: ids that are not customers here)."""
        opts, keep = _csv_options(customer=customer, categorical=categorical, numeric=numeric,
                                  delimiter=delimiter, header=header, bad_rows=bad_rows,
                                  max_messages=max_messages, progress=progress)
        report = c_void_p()
        return _csv_call(C.tier_dataset_join_csv, report, byref(report), self._mutable(),
                         fspath(path), byref(opts))

    def compute_features(self, as_of=None):
        """Fixes the feature columns at ``as_of`` (None: one day after the last
        transaction); each column is computed when first read. Returns self."""
        C.tier_dataset_compute_features(self._mutable(), as_of_value(as_of))
        return self

    def __setitem__(self, name, values):
        """Adds or replaces a column: numbers make a numeric column (None/NaN = missing);
        str/None values, a (codes, categories) pair or a pandas Categorical make a categorical
        one."""
        self.set_column(name, values)

    def set_column(self, name, values, categorical=None):
        """As ``ds[name] = values``; ``categorical`` forces the column type."""
        self._live()
        n = len(self)
        bname = encode(name, "column name")
        if categorical is None:
            categorical = _buffers.is_categorical_input(values)
        if categorical:
            codes, cats, m = _buffers.factorize(values, "values")
            if m != n:
                raise ValueError("column %r needs %d values, got %d" % (name, n, m))
            dictionary, k = string_array(cats, "category")
            C.tier_dataset_set_categorical(self._mutable(), bname, codes, dictionary, k)
        else:
            ptr, _ = _buffers.double_array(values, n, "values of %r" % name)
            C.tier_dataset_set_numeric(self._mutable(), bname, ptr)

    def join(self, name, customer_ids, values, categorical=None):
        """Joins attribute values by customer id (later entries win; unknown ids skipped).
        Returns the number of ids that are not customers of this dataset."""
        self._live()
        ids, n = _buffers.id_array(customer_ids)
        if categorical is None:
            categorical = _buffers.is_categorical_input(values)
        unmatched = c_size_t()
        bname = encode(name, "column name")
        if categorical:
            vals, _ = _buffers.optional_string_array(values, n, "values")
            C.tier_dataset_join_categorical(byref(unmatched), self._mutable(), bname, n, ids,
                                            vals)
        else:
            vals, _ = _buffers.double_array(values, n, "values")
            C.tier_dataset_join_numeric(byref(unmatched), self._mutable(), bname, n, ids, vals)
        return unmatched.value

    def merge(self, other):
        """Merges ``other`` (unchanged) into this dataset; features become stale."""
        if not isinstance(other, Dataset):
            raise TypeError("merge() needs a tier.Dataset, got %s" % type(other).__name__)
        other._live()
        if other is self:
            raise errors.InvalidArgumentError("cannot merge a dataset into itself")
        C.tier_dataset_merge(self._mutable(), other)
        return self

    # ---- reading -----------------------------------------------------------------------

    def __len__(self):
        return C.tier_dataset_size(self)

    @property
    def size(self):
        """Number of customers (rows)."""
        return len(self)

    @property
    def transaction_count(self):
        """Transactions added so far."""
        return C.tier_dataset_transaction_count(self)

    @property
    def as_of(self):
        """Analysis instant of the features (seconds since the epoch), None if never computed."""
        v = C.tier_dataset_as_of(self)
        return None if v == TIER_AS_OF_AUTO else v

    @property
    def as_of_datetime(self):
        """as_of as an aware UTC datetime (None if never computed)."""
        v = self.as_of
        return None if v is None else datetime.datetime.fromtimestamp(v, datetime.timezone.utc)

    @property
    def is_stale(self):
        """Whether transactions were added since the last compute_features()."""
        return bool(C.tier_dataset_is_stale(self))

    @property
    def columns(self):
        """Column names: features first, then attributes and added columns."""
        return [C.tier_dataset_column_name(self, i)
                for i in range(C.tier_dataset_column_count(self))]

    def __iter__(self):
        return iter(self.columns)

    def __contains__(self, name):
        if not isinstance(name, str):
            return False
        kind = c_int()
        try:
            C.tier_dataset_column_type(byref(kind), self, encode(name))
        except errors.NotFoundError:
            return False
        return True

    def column_type(self, name):
        """"numeric" or "categorical"; NotFoundError (a KeyError) suggests the closest name."""
        kind = c_int()
        C.tier_dataset_column_type(byref(kind), self, encode(name, "column name"))
        return "numeric" if kind.value == TIER_COLUMN_NUMERIC else "categorical"

    def customer_id(self, row):
        """The id of the customer in ``row`` (negative rows count from the end)."""
        n = len(self)
        if row < 0:
            row += n
        if not 0 <= row < n:
            raise IndexError("row %d out of range for %d customers" % (row, n))
        return C.tier_dataset_customer_id(self, row)

    @property
    def customer_ids(self):
        """All customer ids in row order (a list)."""
        return [C.tier_dataset_customer_id(self, i) for i in range(len(self))]

    def find(self, customer_id):
        """The row of a customer, or None."""
        row = c_size_t()
        rc = C.tier_dataset_find(byref(row), self,
                                 encode(_buffers.customer_id(customer_id)))
        return row.value if rc == TIER_OK else None

    def row(self, customer_id):
        """The row of a customer; NotFoundError (a KeyError) if there is none."""
        r = self.find(customer_id)
        if r is None:
            raise errors.NotFoundError("no customer %r" % (customer_id,), -6)
        return r

    def __getitem__(self, name):
        return self.column(name)

    def column(self, name, copy=False):
        """A column: a read-only view (numpy float64 array or memoryview) for a numeric
        column, a CategoricalColumn for a categorical one. ``copy=True`` returns owned,
        writable copies instead (numpy array or array.array). In a strategy callback the
        dataset is only lent, so columns are always copies there."""
        core = self._live()
        bname = encode(name, "column name")
        kind = c_int()
        C.tier_dataset_column_type(byref(kind), self, bname)
        n = len(self)
        copy = copy or self._borrowed
        if kind.value == TIER_COLUMN_NUMERIC:
            ptr = c_double_p()
            C.tier_dataset_numeric(byref(ptr), self, bname)
            address = ctypes_address(ptr)
            if copy:
                return _buffers.copy_out(address, n, c_double)
            return _buffers.view(address, n, c_double, core)
        codes = c_int32_p()
        dictionary = c_char_pp()
        k = c_size_t()
        C.tier_dataset_categorical(byref(codes), byref(dictionary), byref(k), self, bname)
        cats = [dictionary[i].decode("utf-8", "replace") for i in range(k.value)]
        address = ctypes_address(codes)
        if copy:
            return CategoricalColumn(_buffers.copy_out(address, n, c_int32), cats)
        return CategoricalColumn(_buffers.view(address, n, c_int32, core), cats)

    def to_pandas(self, columns=None):
        """A pandas DataFrame (copied), indexed by customer id, one column per dataset column
        (categorical columns as pandas.Categorical). Feature columns must be up to date."""
        import pandas
        names = self.columns if columns is None else list(columns)
        data = {}
        for name in names:
            col = self.column(name, copy=True)
            data[name] = col.to_pandas() if isinstance(col, CategoricalColumn) else col
        index = pandas.Index(self.customer_ids, name="customer_id")
        return pandas.DataFrame(data, index=index, columns=names)

    def to_dict(self, columns=None):
        """{column name: list of values} (copies; categorical values as str/None)."""
        names = self.columns if columns is None else list(columns)
        out = {}
        for name in names:
            col = self.column(name, copy=True)
            out[name] = col.tolist()
        return out

    def save(self, path):
        """Saves the whole dataset (atomically, checksummed); Dataset.load() reads it."""
        C.tier_dataset_save(self, fspath(path))

    def __repr__(self):
        if self.closed:
            return "<tier.Dataset (closed)>"
        as_of = self.as_of_datetime
        return "<tier.Dataset %d customers, %d columns, as_of %s%s%s>" % (
            len(self), C.tier_dataset_column_count(self),
            as_of.strftime("%Y-%m-%d %H:%M:%S") if as_of else "never",
            ", stale" if self.is_stale else "", ", borrowed" if self._borrowed else "")


def ctypes_address(ptr):
    """The integer address held by a ctypes pointer (0 for NULL)."""
    return c_void_p.from_buffer(ptr).value or 0
