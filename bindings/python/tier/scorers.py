"""Scoring strategies (scorer.h, rfm.h, the AHP scorer of ahp.h, kmeans.h, sys/scorer.h).

Every strategy is a :class:`Scorer`: ``fit(ds)``, ``apply(ds)``, ``fit_apply(ds)``, ``save()``,
``Scorer.load()``. Built-ins: :class:`RFM`, :class:`AHPScorer`, :class:`KMeans`. Your own
strategy is a Python class plugged into the C vtable with :class:`CustomScorer` (see
:class:`Strategy`).
"""

import collections
import difflib
import itertools
import math
import threading
from ctypes import (byref, c_char_p, c_double, c_int, c_size_t, c_uint, create_string_buffer,
                    string_at)

from . import _buffers, _callbacks, errors
from ._lowlevel import (APPLY_FN, C, Core, DESTROY_FN, FIT_FN, LOAD_FN, SAVE_FN,
                        AhpScorerOptions, KMeansChooseOptions, KMeansChoiceHandle,
                        KMeansOptions, RfmOptions, RfmSummaryHandle, ScorerHandle,
                        ScorerOptions, ScorerVtable, TIER_AHP_SCORER_OPTIONS_VERSION,
                        TIER_COLUMN_CATEGORICAL, TIER_COLUMN_NUMERIC,
                        TIER_KMEANS_CHOOSE_OPTIONS_VERSION, TIER_KMEANS_OPTIONS_VERSION,
                        TIER_RFM_OPTIONS_VERSION, TIER_SCORER_OPTIONS_VERSION,
                        TIER_SCORER_VTABLE_VERSION, c_double_p, encode, free_kmeans_choice,
                        free_rfm_summary, free_scorer, fspath, new_handle, string_array)
from .dataset import Dataset, ctypes_address

__all__ = ["Scorer", "RFM", "AHPScorer", "KMeans", "Strategy", "CustomScorer", "load_model",
           "model_kind", "RFMSummary", "Segment", "KMeansChoice", "choose_k"]


def choice(value, mapping, what):
    """Maps an option string to its C enum value, suggesting the closest valid one."""
    if isinstance(value, int) and not isinstance(value, bool) and value in mapping.values():
        return value
    try:
        return mapping[value]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(value), list(mapping), n=1)
        hint = " (did you mean %r?)" % close[0] if close else ""
        raise ValueError("%s must be one of %s, got %r%s"
                         % (what, ", ".join(repr(k) for k in mapping), value, hint)) from None


def _check_dataset(ds):
    if not isinstance(ds, Dataset):
        raise TypeError("expected a tier.Dataset, got %s" % type(ds).__name__)
    ds._live()
    return ds


class Scorer(ScorerHandle):
    """Any scoring strategy (``tier_scorer``). Use a subclass's constructor or
    :meth:`Scorer.load`."""

    def __init__(self, *args, **kwargs):
        raise TypeError("tier.Scorer is abstract: use tier.RFM, tier.AHPScorer, tier.KMeans, "
                        "tier.CustomScorer or tier.Scorer.load()")

    def _setup(self, ptr):
        ScorerHandle.__init__(self, Core(ptr, free_scorer))

    @classmethod
    def _from_ptr(cls, ptr):
        self = cls.__new__(cls)
        self._setup(ptr)
        return self

    # ---- the life cycle ----------------------------------------------------------------

    def fit(self, ds):
        """Learns the model from ``ds`` (not modified). Returns self."""
        _check_dataset(ds)
        self._run(C.tier_scorer_fit, self, ds)
        return self

    def apply(self, ds):
        """Writes the output columns into ``ds``. Returns self."""
        _check_dataset(ds)
        self._live()
        self._run(C.tier_scorer_apply, self, ds._mutable())
        return self

    def fit_apply(self, ds):
        """fit(ds) then apply(ds). Returns self."""
        _check_dataset(ds)
        self._live()
        self._run(C.tier_scorer_fit_apply, self, ds._mutable())
        return self

    def _run(self, fn, *args):
        return fn(*args)

    def save(self, path):
        """Saves the fitted model (versioned, checksummed, atomic)."""
        self._run(C.tier_scorer_save, self, fspath(path))

    @classmethod
    def load(cls, path, prefix=None):
        """Loads a built-in model (an RFM, AHPScorer, KMeans ... by the kind in the file).
        Use CustomScorer.load() for a user-defined model."""
        opts = ScorerOptions()
        C.tier_scorer_options_init(byref(opts), TIER_SCORER_OPTIONS_VERSION)
        b = encode(prefix, "prefix")
        opts.output_prefix = b
        ptr = new_handle(C.tier_scorer_load, fspath(path), byref(opts))
        kind = C.tier_scorer_name(ScorerHandle(Core(ptr)))
        return _KINDS.get(kind, _Builtin)._from_ptr(ptr)

    # ---- description -------------------------------------------------------------------

    @property
    def kind(self):
        """The strategy's kind name ("rfm", "ahp", "kmeans" or a custom name)."""
        return C.tier_scorer_name(self)

    name = kind

    @property
    def is_fitted(self):
        return bool(C.tier_scorer_is_fitted(self))

    @property
    def is_custom(self):
        return bool(C.tier_scorer_is_custom(self))

    @property
    def inputs(self):
        """Input column names."""
        return [C.tier_scorer_input_name(self, i) for i in range(C.tier_scorer_input_count(self))]

    @property
    def outputs(self):
        """Output column names (prefix included)."""
        return [C.tier_scorer_output_name(self, i)
                for i in range(C.tier_scorer_output_count(self))]

    @property
    def output_types(self):
        """{output name: "numeric" | "categorical"}."""
        out = {}
        kind = c_int()
        for i, name in enumerate(self.outputs):
            C.tier_scorer_output_type(byref(kind), self, i)
            out[name] = "numeric" if kind.value == TIER_COLUMN_NUMERIC else "categorical"
        return out

    @property
    def prefix(self):
        """The output prefix ("" by default); assignable."""
        return C.tier_scorer_output_prefix(self)

    @prefix.setter
    def prefix(self, value):
        C.tier_scorer_set_output_prefix(self, encode(value or "", "prefix"))

    def __repr__(self):
        if self.closed:
            return "<tier.%s (closed)>" % type(self).__name__
        return "<tier.%s kind=%r outputs=%r%s>" % (type(self).__name__, self.kind,
                                                   self.outputs,
                                                   "" if self.is_fitted else " unfitted")


class _Builtin(Scorer):
    """A loaded model of a kind this binding has no class for."""


def model_kind(path):
    """(kind name, is_custom) recorded in a model file."""
    buf = create_string_buffer(64)
    custom = c_int()
    C.tier_scorer_file_kind(buf, 64, byref(custom), fspath(path))
    return buf.value.decode("utf-8"), bool(custom.value)


def load_model(path, strategy=None, prefix=None):
    """Loads any model: built-in kinds with Scorer.load(), user-defined ones into
    ``strategy`` (a fresh Strategy instance) with CustomScorer.load()."""
    kind, custom = model_kind(path)
    if custom:
        if strategy is None:
            raise errors.InvalidArgumentError(
                "%s holds a user-defined model of kind %r: pass the strategy object to load "
                "it into" % (path, kind))
        return CustomScorer.load(path, strategy, prefix=prefix)
    return Scorer.load(path, prefix=prefix)


# ------------------------------------------------------------------------------------------
# RFM
# ------------------------------------------------------------------------------------------

Segment = collections.namedtuple("Segment", "name lo hi")
Segment.__doc__ = """A named RFM segment: ``lo`` and ``hi`` are inclusive (R, F, M) score
bounds."""

_RFM_MODES = {"quantile": 0, "rank": 1, "breaks": 2}
_RFM_NAN = {"error": 0, "unscored": 1}
_RFM_DIMS = {"recency": 0, "frequency": 1, "monetary": 2, "r": 0, "f": 1, "m": 2}
_RFM_GROUPS = {"segment": 0, "recency": 1, "frequency": 2, "monetary": 3, "rf": 4, "rm": 5,
               "fm": 6, "code": 7}
_RFM_STATS = ("count", "share", "monetary_sum", "monetary_mean", "recency_mean",
              "frequency_mean")


def _three(value, what, convert):
    """A scalar for all three dimensions, a 3-sequence, or a dict by dimension name."""
    if value is None:
        return [None, None, None]
    if isinstance(value, dict):
        out = [None, None, None]
        for k, v in value.items():
            out[choice(k, _RFM_DIMS, what + " key")] = convert(v)
        return out
    if isinstance(value, (list, tuple)) and len(value) == 3:
        return [None if v is None else convert(v) for v in value]
    return [convert(value)] * 3


class RFM(Scorer):
    """RFM scoring (kind "rfm"): r_score, f_score, m_score, rfm_code, rfm_total, rfm_segment.

    ``bins``: 2..10 per dimension (an int, a 3-tuple or {"recency": 4, ...}); ``mode``:
    "quantile" (R package rfm compatible), "rank" (equal-size bins) or "breaks";
    ``breaks``: per dimension, increasing interior edges (a dict or a 3-tuple of sequences or
    None); ``columns``: input columns (default recency, frequency, monetary); ``nan``:
    "error" or "unscored"; ``prefix``: output prefix; ``other_segment``: name for customers
    in no segment ("Others").
    """

    def __init__(self, bins=5, mode="quantile", *, columns=None, breaks=None, nan="error",
                 prefix=None, other_segment=None):
        opts = RfmOptions()
        C.tier_rfm_options_init(byref(opts), TIER_RFM_OPTIONS_VERSION)
        keep = []
        for i, b in enumerate(_three(bins, "bins", int)):
            if b is not None:
                opts.bins[i] = b
        for i, col in enumerate(_three(columns, "columns", lambda c: encode(c, "column"))):
            if col is not None:
                keep.append(col)
                opts.columns[i] = col
        opts.mode = choice(mode, _RFM_MODES, "mode")
        for i, br in enumerate(_three(breaks, "breaks", list)):
            if br is not None:
                ptr, n = _buffers.double_array(br, what="breaks")
                keep.append(ptr)
                opts.breaks[i] = ptr
                opts.n_breaks[i] = n
        opts.nan_policy = choice(nan, _RFM_NAN, "nan")
        opts.output_prefix = encode(prefix, "prefix")
        opts.other_segment = encode(other_segment, "other_segment")
        self._setup(new_handle(C.tier_rfm_new, byref(opts)))

    @property
    def bins(self):
        """(recency, frequency, monetary) bins."""
        return tuple(C.tier_rfm_bins(self, d) for d in range(3))

    def cuts(self, dim):
        """The fitted interior edges of a dimension ("recency", "frequency", "monetary")."""
        edges = c_double_p()
        n = c_size_t()
        C.tier_rfm_cuts(byref(edges), byref(n), self, choice(dim, _RFM_DIMS, "dimension"))
        return [edges[i] for i in range(n.value)]

    @property
    def segments(self):
        """The segment table, in matching order (a list of Segment)."""
        out = []
        name = c_char_p()
        lo, hi = (c_uint * 3)(), (c_uint * 3)()
        for i in range(C.tier_rfm_segment_count(self)):
            C.tier_rfm_segment_get(byref(name), lo, hi, self, i)
            out.append(Segment(name.value.decode("utf-8"), tuple(lo), tuple(hi)))
        return out

    def insert_segment(self, index, name, lo, hi):
        """Inserts a segment (lo, hi: inclusive (R, F, M) bounds) before entry ``index``."""
        lo_a, hi_a = (c_uint * 3)(*lo), (c_uint * 3)(*hi)
        C.tier_rfm_segment_insert(self, index, encode(name, "segment name"), lo_a, hi_a)

    def add_segment(self, name, lo, hi):
        """Appends a segment to the table."""
        self.insert_segment(C.tier_rfm_segment_count(self), name, lo, hi)

    def remove_segment(self, index):
        C.tier_rfm_segment_remove(self, index)

    def clear_segments(self):
        C.tier_rfm_segments_clear(self)

    def default_segments(self):
        """Restores the R package's default table (needs 5 or more bins everywhere)."""
        C.tier_rfm_segments_default(self)

    def summarize(self, ds, by="segment"):
        """Per-group statistics of the scores this scorer wrote into ``ds``: an RFMSummary.
        ``by``: "segment", "recency", "frequency", "monetary", "rf", "rm", "fm" or "code"."""
        _check_dataset(ds)
        ptr = new_handle(C.tier_rfm_summarize, self, ds, choice(by, _RFM_GROUPS, "by"))
        return RFMSummary._read(ptr)


class _RfmSummaryOwner(RfmSummaryHandle):
    pass


class RFMSummary(list):
    """A list of rows (dicts: label, r, f, m scores (None when not grouped by them), count,
    share, monetary_sum, monetary_mean, recency_mean, frequency_mean). ``unscored``: customers
    left out (NaN scores)."""

    unscored = 0

    @classmethod
    def _read(cls, ptr):
        owner = _RfmSummaryOwner(Core(ptr, free_rfm_summary))
        try:
            n = C.tier_rfm_summary_size(owner)
            stats = {}
            for k, stat in enumerate(_RFM_STATS):
                values = C.tier_rfm_summary_values(owner, k)
                stats[stat] = [values[i] for i in range(n)] if values else [math.nan] * n
            self = cls()
            for i in range(n):
                row = {"label": C.tier_rfm_summary_label(owner, i)}
                for d, key in enumerate("rfm"):
                    s = C.tier_rfm_summary_score(owner, i, d)
                    row[key] = s or None
                for stat in _RFM_STATS:
                    row[stat] = stats[stat][i]
                row["count"] = int(row["count"])
                self.append(row)
            self.unscored = C.tier_rfm_summary_unscored(owner)
            return self
        finally:
            owner.close()

    def to_pandas(self):
        import pandas
        return pandas.DataFrame(list(self))


# ------------------------------------------------------------------------------------------
# AHP scorer
# ------------------------------------------------------------------------------------------

_AHP_DIRECTIONS = {"higher": 0, "lower": 1, "higher_is_better": 0, "lower_is_better": 1}
_AHP_NORMS = {"minmax": 0, "zscore": 1, "percentile": 2, "range": 3}
_AHP_MISSING = {"error": 0, "unscored": 1, "worst": 2, "reweight": 3}


def _per_criterion(value, names, what, convert):
    """None, one value for all, a sequence in criterion order, or a dict by criterion name."""
    if value is None:
        return None
    if isinstance(value, dict):
        unknown = set(value) - set(names)
        if unknown:
            raise KeyError("%s: unknown criteria %s (criteria: %s)"
                           % (what, sorted(unknown), ", ".join(names)))
        return [convert(value[n]) if n in value else None for n in names]
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise ValueError("%s has %d entries for %d criteria" % (what, len(value), len(names)))
        return [None if v is None else convert(v) for v in value]
    return [convert(value)] * len(names)


class AHPScorer(Scorer):
    """The AHP scoring strategy (kind "ahp"): ``ahp_score`` = 100 x sum of weight x normalised
    criterion value.

    ``source`` gives the criteria and weights: a computed :class:`tier.AHP`, a computed
    :class:`tier.AHPHierarchy` (its leaves), or a mapping {criterion: weight}. Per-criterion
    options take one value, a sequence in criterion order or a dict by criterion name:
    ``columns`` (dataset column of each criterion; default: the criterion's name),
    ``directions`` ("higher" or "lower" is better), ``normalizations`` ("minmax", "zscore",
    "percentile", "range"), ``ranges`` ((lo, hi) for "range"). ``missing``: "error",
    "unscored", "worst" or "reweight". ``components``: also write ``ahp_<column>``.
    """

    def __init__(self, source, *, columns=None, directions=None, normalizations=None,
                 ranges=None, missing="error", components=False, allow_inconsistent=False,
                 prefix=None):
        from .ahp import AHP, AHPHierarchy
        if isinstance(source, AHP):
            names = source.names
        elif isinstance(source, AHPHierarchy):
            names = [source.node_name(i) for i in source.leaves]
        elif isinstance(source, dict):
            names = list(source)
        else:
            raise TypeError("AHPScorer needs a tier.AHP, a tier.AHPHierarchy or a dict of "
                            "weights, got %s" % type(source).__name__)
        opts, keep = self._options(names, columns, directions, normalizations, ranges,
                                   missing, components, allow_inconsistent, prefix)
        if isinstance(source, AHP):
            ptr = new_handle(C.tier_ahp_scorer_new, source, byref(opts))
        elif isinstance(source, AHPHierarchy):
            ptr = new_handle(C.tier_ahp_scorer_new_hierarchy, source, byref(opts))
        else:
            crit, n = string_array(names, "criterion")
            weights, _ = _buffers.double_array([source[k] for k in names], n, "weights")
            ptr = new_handle(C.tier_ahp_scorer_new_weights, n, crit, weights, byref(opts))
        self._setup(ptr)

    @classmethod
    def rfm(cls, ahp, bins=5, *, columns=None, missing="error", components=False,
            allow_inconsistent=False, prefix=None):
        """AHP-weighted RFM: weighs r_score, f_score, m_score (or ``columns``) with a computed
        3-criteria AHP matrix (recency, frequency, monetary importance). Needs no fit."""
        names = ahp.names
        opts, keep = cls._options(names, columns, None, None, None, missing, components,
                                  allow_inconsistent, prefix)
        self = cls.__new__(cls)
        self._setup(new_handle(C.tier_ahp_scorer_new_rfm, ahp, int(bins), byref(opts)))
        return self

    @staticmethod
    def _options(names, columns, directions, normalizations, ranges, missing, components,
                 allow_inconsistent, prefix):
        opts = AhpScorerOptions()
        C.tier_ahp_scorer_options_init(byref(opts), TIER_AHP_SCORER_OPTIONS_VERSION)
        keep = []
        n = len(names)
        cols = _per_criterion(columns, names, "columns", lambda c: encode(c, "column"))
        if cols is not None:
            arr = (c_char_p * max(n, 1))(*cols)
            keep.append(arr)
            opts.columns = arr
        dirs = _per_criterion(directions, names, "directions",
                              lambda d: choice(d, _AHP_DIRECTIONS, "direction"))
        if dirs is not None:
            arr = (c_int * max(n, 1))(*[d or 0 for d in dirs])
            keep.append(arr)
            opts.directions = arr
        norms = _per_criterion(normalizations, names, "normalizations",
                               lambda v: choice(v, _AHP_NORMS, "normalization"))
        if norms is not None:
            arr = (c_int * max(n, 1))(*[v or 0 for v in norms])
            keep.append(arr)
            opts.normalizations = arr
        rng = None
        if ranges is not None:
            # One (lo, hi) pair for every criterion is a tuple of two numbers, not a sequence.
            if isinstance(ranges, tuple) and len(ranges) == 2 and \
                    all(isinstance(v, (int, float)) for v in ranges):
                ranges = [ranges] * n
            rng = _per_criterion(ranges, names, "ranges",
                                 lambda r: (float(r[0]), float(r[1])))
        if rng is not None:
            lo = (c_double * max(n, 1))(*[r[0] if r else math.nan for r in rng])
            hi = (c_double * max(n, 1))(*[r[1] if r else math.nan for r in rng])
            keep += [lo, hi]
            opts.range_min, opts.range_max = lo, hi
        opts.missing = choice(missing, _AHP_MISSING, "missing")
        opts.components = 1 if components else 0
        opts.allow_inconsistent = 1 if allow_inconsistent else 0
        b = encode(prefix, "prefix")
        keep.append(b)
        opts.output_prefix = b
        return opts, keep

    @property
    def criteria(self):
        """[(criterion, column, weight)] in criterion order."""
        out = []
        name, column, weight = c_char_p(), c_char_p(), c_double()
        for k in range(C.tier_ahp_scorer_criteria_count(self)):
            C.tier_ahp_scorer_criterion(byref(name), byref(column), byref(weight), self, k)
            out.append((name.value.decode("utf-8"), column.value.decode("utf-8"), weight.value))
        return out

    @property
    def weights(self):
        """{criterion: weight}."""
        return {name: w for name, _, w in self.criteria}

    def params(self, k):
        """The fitted normalisation parameters (a, b) of criterion ``k`` (index or name)."""
        if isinstance(k, str):
            names = [c[0] for c in self.criteria]
            k = names.index(k) if k in names else _missing(k, names)
        a, b = c_double(), c_double()
        C.tier_ahp_scorer_params(byref(a), byref(b), self, k)
        return a.value, b.value


def _missing(name, names):
    close = difflib.get_close_matches(name, names, n=1)
    raise errors.NotFoundError("no criterion %r%s" % (
        name, " (did you mean %r?)" % close[0] if close else ""), -6)


# ------------------------------------------------------------------------------------------
# K-means
# ------------------------------------------------------------------------------------------

_KM_TRANSFORMS = {"raw": 0, "log1p": 1, "zscore": 2, "minmax": 3, "log1p_zscore": 4,
                  "log1p_minmax": 5}
_KM_INIT = {"k-means++": 0, "plusplus": 0, "random": 1, "given": 2}
_KM_ALGORITHMS = {"auto": 0, "lloyd": 1, "hamerly": 2}
_KM_UNITS = {"original": 0, "transformed": 1}
_KM_NAN = {"error": 0, "skip": 1}
_KM_METRICS = {"inertia": 0, "silhouette": 1, "calinski_harabasz": 2, "davies_bouldin": 3,
               "iterations": 4}


def _kmeans_options(k=8, features=None, transforms=None, weights=None, init="k-means++",
                    init_centers=None, init_units="original", seed=0, n_init=0,
                    algorithm="auto", max_iter=300, tol=1e-4, n_threads=0, order_by=None,
                    order_ascending=False, nan="error", prefix=None):
    opts = KMeansOptions()
    C.tier_kmeans_options_init(byref(opts), TIER_KMEANS_OPTIONS_VERSION)
    keep = []
    if transforms is not None and features is None:
        features = ["recency", "frequency", "monetary"]  # the default, spelt out
    names = list(features) if features is not None else ["recency", "frequency", "monetary"]
    if isinstance(features, str):
        raise TypeError("features takes a list of column names")
    if features is not None:
        arr, n = string_array(names, "feature")
        keep.append(arr)
        opts.features, opts.n_features = arr, n
    if transforms is not None:
        tr = _per_criterion(transforms, names, "transforms",
                            lambda t: choice(t, _KM_TRANSFORMS, "transform"))
        arr = (c_int * len(names))(*[2 if t is None else t for t in tr])
        keep.append(arr)
        opts.transforms = arr
    opts.weights = encode(weights, "weights column")
    opts.k = int(k)
    opts.init = choice(init, _KM_INIT, "init")
    if init_centers is not None:
        flat = [float(v) for row in init_centers for v in row]
        arr = (c_double * len(flat))(*flat)
        keep.append(arr)
        opts.init_centers = arr
    opts.init_units = choice(init_units, _KM_UNITS, "init_units")
    opts.seed = int(seed)
    opts.n_init = int(n_init)
    opts.algorithm = choice(algorithm, _KM_ALGORITHMS, "algorithm")
    opts.max_iter = int(max_iter)
    opts.tol = float(tol)
    opts.n_threads = int(n_threads)
    opts.order_by = encode(order_by, "order_by")
    opts.order_ascending = 1 if order_ascending else 0
    opts.nan_policy = choice(nan, _KM_NAN, "nan")
    opts.output_prefix = encode(prefix, "prefix")
    keep += [opts.weights, opts.order_by, opts.output_prefix]
    return opts, keep


class KMeans(Scorer):
    """K-means segmentation (kind "kmeans"): outputs ``cluster`` and ``cluster_distance``.

    Options mirror tier_kmeans_options (kmeans.h): ``k``, ``features`` (default recency,
    frequency, monetary), ``transforms`` ("raw", "log1p", "zscore" (default), "minmax",
    "log1p_zscore", "log1p_minmax"; one for all, a list, or a dict by feature), ``weights``
    (column), ``init`` ("k-means++", "random", "given" with ``init_centers`` rows),
    ``init_units``, ``seed``, ``n_init``, ``algorithm`` ("auto", "lloyd", "hamerly"),
    ``max_iter``, ``tol``, ``n_threads``, ``order_by`` (column whose cluster means order the
    clusters, highest first unless ``order_ascending``), ``nan`` ("error" or "skip"),
    ``prefix``.
    """

    def __init__(self, k=8, **options):
        opts, keep = _kmeans_options(k, **options)
        self._setup(new_handle(C.tier_kmeans_new, byref(opts)))

    @property
    def k(self):
        return C.tier_kmeans_k(self)

    @property
    def feature_count(self):
        return C.tier_kmeans_feature_count(self)

    def _matrix(self, ptr, rows, cols):
        return [[ptr[r * cols + c] for c in range(cols)] for r in range(rows)]

    def centers(self, units="original"):
        """The fitted centers, one list per cluster."""
        ptr = c_double_p()
        C.tier_kmeans_centers(byref(ptr), self, choice(units, _KM_UNITS, "units"))
        return self._matrix(ptr, self.k, self.feature_count)

    def transform_params(self, feature):
        """(shift, scale) of a feature's fitted transform."""
        shift, scale = c_double(), c_double()
        C.tier_kmeans_transform_params(byref(shift), byref(scale), self, feature)
        return shift.value, scale.value

    @property
    def fit_info(self):
        """(inertia, iterations, converged)."""
        inertia, n_iter, conv = c_double(), c_uint(), c_int()
        C.tier_kmeans_fit_info(byref(inertia), byref(n_iter), byref(conv), self)
        return inertia.value, n_iter.value, bool(conv.value)

    def cluster_size(self, cluster):
        """(customers, share, total weight) of a cluster among the fitted customers."""
        size, share, weight = c_size_t(), c_double(), c_double()
        C.tier_kmeans_cluster_size(byref(size), byref(share), byref(weight), self, cluster)
        return size.value, share.value, weight.value

    @property
    def cluster_means(self):
        """Per-cluster means of the features in original units."""
        ptr = c_double_p()
        C.tier_kmeans_cluster_means(byref(ptr), self)
        return self._matrix(ptr, self.k, self.feature_count)

    @property
    def order_values(self):
        """Per-cluster means of the order_by column."""
        ptr = c_double_p()
        C.tier_kmeans_order_values(byref(ptr), self)
        return [ptr[i] for i in range(self.k)]

    @staticmethod
    def initial_centers(ds, units="original", k=8, **options):
        """The centers a fit of ``ds`` would start from (k lists of feature values)."""
        _check_dataset(ds)
        opts, keep = _kmeans_options(k, **options)
        nf = opts.n_features or 3
        buf = (c_double * (opts.k * nf))()
        C.tier_kmeans_initial_centers(buf, ds, byref(opts), choice(units, _KM_UNITS, "units"))
        return [[buf[r * nf + c] for c in range(nf)] for r in range(opts.k)]


class KMeansChoice(KMeansChoiceHandle):
    """Metrics of k-means fits for a range of k (from choose_k())."""

    def __init__(self, ptr):
        super().__init__(Core(ptr, free_kmeans_choice))

    @property
    def ks(self):
        return [C.tier_kmeans_choice_k(self, i) for i in range(C.tier_kmeans_choice_count(self))]

    def metric(self, name):
        """{k: value} of a metric ("inertia", "silhouette", "calinski_harabasz",
        "davies_bouldin", "iterations")."""
        m = choice(name, _KM_METRICS, "metric")
        v = c_double()
        out = {}
        for i, k in enumerate(self.ks):
            C.tier_kmeans_choice_metric(byref(v), self, i, m)
            out[k] = v.value
        return out

    def best(self, metric="silhouette"):
        """The k the metric recommends."""
        k = c_uint()
        C.tier_kmeans_choice_best(byref(k), self, choice(metric, _KM_METRICS, "metric"))
        return k.value


def choose_k(ds, k_min=2, k_max=10, *, silhouette_sample=5000, silhouette_seed=0, **options):
    """Fits k-means for every k in [k_min, k_max] (KMeans options apply) and measures each
    clustering: a KMeansChoice."""
    _check_dataset(ds)
    opts, keep = _kmeans_options(**options)
    copts = KMeansChooseOptions()
    C.tier_kmeans_choose_options_init(byref(copts), TIER_KMEANS_CHOOSE_OPTIONS_VERSION)
    copts.k_min, copts.k_max = int(k_min), int(k_max)
    copts.silhouette_sample, copts.silhouette_seed = int(silhouette_sample), int(silhouette_seed)
    return KMeansChoice(new_handle(C.tier_kmeans_choose_k, ds, byref(opts), byref(copts)))


# ------------------------------------------------------------------------------------------
# User-defined strategies
# ------------------------------------------------------------------------------------------


class Strategy:
    """Base class (optional) for a scoring strategy written in Python.

    Define ``name`` (1-63 bytes, not a built-in kind), ``inputs`` (column names checked to
    exist), ``outputs`` (names, all numeric; or a dict {name: "numeric" | "categorical"}) and

    * ``apply(self, ds)`` (required): return the output values for every customer of ``ds`` —
      a dict {output name: values}, or for a single output just its values, or a sequence of
      values per output in order. Numeric values: any sequence or array of numbers (None/NaN
      = missing). Categorical values: str/None per customer, a (codes, categories) pair or a
      pandas Categorical.
    * ``fit(self, ds)`` (optional; without it the scorer needs no fit): learn the state.
    * ``save(self) -> bytes`` and ``load(self, data)`` (optional): the fitted state, stored
      inside libtier's checksummed model file.

    ``ds`` is a read-only :class:`tier.Dataset` lent for the duration of the call (columns
    read from it are copies); it is closed when the callback returns. Any exception raised by
    these methods propagates out of fit()/apply()/save()/CustomScorer.load() unchanged.
    """

    name = None
    inputs = ()
    outputs = ()


class _Registry:
    """Maps the C ``user`` pointer (a small integer) to the Python strategy object.

    The ctypes trampolines below are module-level objects, alive as long as the module, so a
    C scorer can call them whenever it likes; the entry is removed by the destroy callback,
    which the library calls exactly once (tier_scorer_free() or a failing constructor)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = {}
        self._next = itertools.count(1)

    def add(self, entry):
        with self._lock:
            key = next(self._next)
            self._entries[key] = entry
        return key

    def get(self, key):
        return self._entries[key]

    def pop(self, key):
        with self._lock:
            return self._entries.pop(key, None)

    def __len__(self):
        return len(self._entries)


_registry = _Registry()


class _Entry:
    __slots__ = ("strategy", "outputs", "types")

    def __init__(self, strategy, outputs, types):
        self.strategy = strategy
        self.outputs = outputs
        self.types = types


def _fail(what, exc):
    """Records a callback exception and hands the library a message; returns non-zero."""
    _callbacks.record(exc)
    try:
        C.tier_scorer_set_error(("%s: %s: %s" % (what, type(exc).__name__, exc))
                                .encode("utf-8", "replace")[:900])
    except BaseException:  # noqa: B036 — never let anything escape into C
        pass
    return 1


def _with_borrowed(ds_ptr, fn):
    """Calls fn(ds) with a read-only Dataset for ``ds_ptr``; closes it afterwards so a stored
    reference raises ClosedError instead of reading freed memory."""
    ds = Dataset._borrow(ds_ptr)
    try:
        return fn(ds), len(ds)
    finally:
        ds.close()


def _fit_trampoline(user, ds_ptr):
    try:
        entry = _registry.get(user)
        _with_borrowed(ds_ptr, entry.strategy.fit)
        return 0
    except BaseException as e:  # noqa: B036
        return _fail("fit", e)


def _normalise_outputs(result, entry):
    names = entry.outputs
    if isinstance(result, dict):
        missing = [n for n in names if n not in result]
        if missing:
            raise KeyError("apply() returned no values for output %s" % ", ".join(
                repr(m) for m in missing))
        return [result[n] for n in names]
    if len(names) == 1:
        return [result]
    if result is None or isinstance(result, (str, bytes)):
        raise TypeError("apply() must return a dict {output: values} or one sequence per "
                        "output, got %s" % type(result).__name__)
    result = list(result)
    if len(result) != len(names):
        raise ValueError("apply() returned %d sequences for %d outputs" % (len(result),
                                                                          len(names)))
    return result


def _apply_trampoline(user, ds_ptr, out_ptr):
    try:
        entry = _registry.get(user)
        result, n = _with_borrowed(ds_ptr, entry.strategy.apply)
        for i, (name, values, kind) in enumerate(zip(entry.outputs,
                                                     _normalise_outputs(result, entry),
                                                     entry.types)):
            if kind == TIER_COLUMN_NUMERIC:
                buf = c_double_p()
                C.tier_scorer_output_numeric(byref(buf), out_ptr, i)
                _buffers.write_doubles(ctypes_address(buf), n, values,
                                       "values of output %r" % name)
            else:
                codes, cats, m = _buffers.factorize(values, "values of output %r" % name)
                if m != n:
                    raise ValueError("output %r needs %d values, got %d" % (name, n, m))
                dictionary, k = string_array(cats, "category")
                C.tier_scorer_output_categorical(out_ptr, i, codes, dictionary, k)
        return 0
    except BaseException as e:  # noqa: B036
        return _fail("apply", e)


def _save_trampoline(user, writer):
    try:
        data = _registry.get(user).strategy.save()
        data = bytes(memoryview(data))
        C.tier_scorer_write(writer, data, len(data))
        return 0
    except BaseException as e:  # noqa: B036
        return _fail("save", e)


def _load_trampoline(user, data, size):
    try:
        _registry.get(user).strategy.load(string_at(data, size) if size else b"")
        return 0
    except BaseException as e:  # noqa: B036
        return _fail("load", e)


def _destroy_trampoline(user):
    try:
        _registry.pop(user)
    except BaseException:  # noqa: B036 — called from tier_scorer_free(), maybe at exit
        pass


_FIT = FIT_FN(_fit_trampoline)
_APPLY = APPLY_FN(_apply_trampoline)
_SAVE = SAVE_FN(_save_trampoline)
_LOAD = LOAD_FN(_load_trampoline)
_DESTROY = DESTROY_FN(_destroy_trampoline)


def _vtable(strategy):
    """(ScorerVtable, keep-alive, _Entry) for a strategy object."""
    name = getattr(strategy, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError("a strategy needs a non-empty str attribute 'name'")
    if not callable(getattr(strategy, "apply", None)):
        raise TypeError("strategy %r has no apply(ds) method" % name)
    outputs = getattr(strategy, "outputs", ())
    if isinstance(outputs, str):
        outputs = [outputs]
    if isinstance(outputs, dict):
        names = list(outputs)
        types = [choice(t, {"numeric": TIER_COLUMN_NUMERIC,
                            "categorical": TIER_COLUMN_CATEGORICAL}, "output type")
                 for t in outputs.values()]
    else:
        names = list(outputs)
        types = [TIER_COLUMN_NUMERIC] * len(names)
    inputs = getattr(strategy, "inputs", ())
    if isinstance(inputs, str):
        inputs = [inputs]
    inputs = list(inputs)
    vt = ScorerVtable()
    vt.version = TIER_SCORER_VTABLE_VERSION
    vt.name = encode(name, "strategy name")
    in_arr, vt.n_inputs = string_array(inputs, "input column")
    out_arr, vt.n_outputs = string_array(names, "output column")
    types_arr = (c_int * max(len(types), 1))(*types)
    vt.inputs = in_arr if inputs else None
    vt.outputs = out_arr
    vt.output_types = types_arr
    vt.fit = _FIT if callable(getattr(strategy, "fit", None)) else FIT_FN()
    vt.apply = _APPLY
    vt.save = _SAVE if callable(getattr(strategy, "save", None)) else SAVE_FN()
    vt.load = _LOAD if callable(getattr(strategy, "load", None)) else LOAD_FN()
    vt.destroy = _DESTROY
    return vt, (in_arr, out_arr, types_arr, vt.name), _Entry(strategy, names, types)


def _scorer_options(prefix):
    opts = ScorerOptions()
    C.tier_scorer_options_init(byref(opts), TIER_SCORER_OPTIONS_VERSION)
    opts.output_prefix = encode(prefix, "prefix")
    return opts


class CustomScorer(Scorer):
    """A scorer driven by a Python strategy object (see :class:`Strategy`).

    The strategy's methods run on the thread that calls fit/apply/save, with the GIL held.
    While a callback runs, the dataset being scored cannot be changed from Python (that
    raises); the strategy object is kept alive as long as the C scorer exists.
    """

    def __init__(self, strategy, prefix=None):
        vt, keep, entry = _vtable(strategy)
        opts = _scorer_options(prefix)
        key = _registry.add(entry)
        # From here on the library owns `key`: it calls destroy (dropping the entry) also
        # when the constructor fails.
        self._setup(new_handle(C.tier_scorer_new_custom, byref(vt), key, byref(opts)))
        self.strategy = strategy

    @classmethod
    def load(cls, path, strategy, prefix=None):
        """Loads a model saved from a scorer of the same strategy kind into ``strategy`` (a
        fresh object; its load(data) method receives the saved bytes)."""
        vt, keep, entry = _vtable(strategy)
        opts = _scorer_options(prefix)
        key = _registry.add(entry)
        ptr = _callbacks.call(_new_loaded, vt, key, opts, path)
        self = cls.__new__(cls)
        self._setup(ptr)
        self.strategy = strategy
        return self

    def _run(self, fn, *args):
        # Mark datasets as busy so a callback cannot mutate what the library is reading.
        datasets = [a for a in args if isinstance(a, Dataset)]
        for ds in datasets:
            ds._busy += 1
        try:
            return _callbacks.call(fn, *args)
        finally:
            for ds in datasets:
                ds._busy -= 1


def _new_loaded(vt, key, opts, path):
    return new_handle(C.tier_scorer_load_custom, fspath(path), byref(vt), key, byref(opts))


_KINDS = {"rfm": RFM, "ahp": AHPScorer, "kmeans": KMeans}
