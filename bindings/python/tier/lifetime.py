"""Customer lifetime value, churn and lifecycle stages (clv.h, churn.h, lifecycle.h).

>>> clv = tier.CLV(model="bgnbd", spend="repeat_spend").fit_apply(ds)
>>> ds["clv"], ds["p_alive"]
>>> tier.churn_flag(ds, rule="recency", recency_days=90)
>>> tier.lifecycle_assign(ds)                 # categorical column "lifecycle"
>>> tier.churn_rates(ds, group_column="lifecycle")
"""

import array
import collections
from ctypes import POINTER, byref, c_double, c_int, c_size_t, c_uint, c_void_p

from . import _buffers
from ._lowlevel import (C, ChurnOptions, ChurnTableHandle, ClvOptions, CohortTableHandle, Core,
                        LifecycleOptions, TIER_CHURN_OPTIONS_VERSION, TIER_CLV_OPTIONS_VERSION,
                        TIER_LIFECYCLE_OPTIONS_VERSION, encode, free_churn_table,
                        free_cohort_table, fspath, new_handle, require)
from .dataset import Dataset, _csv_options, as_of_value
from .scorers import Scorer, _KINDS, _check_dataset, choice

__all__ = ["CLV", "churn_flag", "churn_rates", "ChurnRow", "cohort_retention", "CohortTable",
           "lifecycle_assign", "clv_calibration_split", "clv_holdout", "LIFECYCLE_STAGES"]

_MODELS = {"bgnbd": 0, "pareto_nbd": 1}
_UNITS = {"days": 0, "weeks": 1}
_PARTS = {"counts": 0, "spend": 1}
_PREDICTIONS = {"p_alive": 0, "expected_purchases": 1, "p_no_purchase": 2}
_PARAM_NAMES = {0: ("r", "alpha", "a", "b"), 1: ("r", "alpha", "s", "beta")}

#: The lifecycle column's dictionary, in code order (lifecycle.h).
LIFECYCLE_STAGES = ("new", "active", "at-risk", "dormant", "churned", "reactivated")

# ---- CLV -----------------------------------------------------------------------------------


def _clv_options(model="bgnbd", unit="weeks", x=None, t_x=None, T=None, spend=None,
                 horizon=None, discount_rate=None, discount_periods=None, margin=None,
                 n_starts=None, max_iter=None, tol=None, seed=None, n_threads=None,
                 accept_unconverged=False, prefix=None):
    opts = ClvOptions()
    require("tier_clv_options_init")(byref(opts), TIER_CLV_OPTIONS_VERSION)
    opts.model = choice(model, _MODELS, "model")
    opts.unit = choice(unit, _UNITS, "unit")
    for field, value in (("x_column", x), ("t_x_column", t_x), ("T_column", T),
                         ("spend_column", spend), ("output_prefix", prefix)):
        if value is not None:
            setattr(opts, field, encode(value, field))
    for field, value in (("horizon", horizon), ("discount_rate", discount_rate),
                         ("margin", margin), ("tol", tol)):
        if value is not None:
            setattr(opts, field, float(value))
    for field, value in (("discount_periods", discount_periods), ("n_starts", n_starts),
                         ("max_iter", max_iter), ("seed", seed), ("n_threads", n_threads)):
        if value is not None:
            setattr(opts, field, int(value))
    opts.accept_unconverged = 1 if accept_unconverged else 0
    return opts


class CLV(Scorer):
    """Customer lifetime value (kind "clv"): BG/NBD or Pareto/NBD purchase counts, optionally
    Gamma-Gamma spend. Outputs p_alive, expected_purchases, expected_spend, clv,
    p_no_purchase.

    Options (clv.h): ``model`` ("bgnbd" or "pareto_nbd"), ``unit`` ("weeks" or "days"),
    input columns ``x`` (default repeat_count), ``t_x``, ``T``, ``spend`` (mean repeat-purchase
    value, e.g. "repeat_spend"; none = no spend model), ``horizon`` (in the unit; 52),
    ``discount_rate`` (0.1 a year), ``discount_periods`` (12), ``margin`` (1), ``n_starts``,
    ``max_iter``, ``tol``, ``seed``, ``n_threads``, ``accept_unconverged``, ``prefix``.
    """

    def __init__(self, model="bgnbd", **options):
        opts = _clv_options(model, **options)
        self._setup(new_handle(require("tier_clv_new"), byref(opts)))

    @classmethod
    def fit_csv(cls, path, calibration_end, csv=None, **options):
        """Loads a transaction file (``csv``: the keyword options of Dataset.from_csv), splits
        it at ``calibration_end`` (clv_calibration_split) and fits a CLV model on the
        calibration columns: returns (CLV, Dataset)."""
        copts, keep = _csv_options(**(csv or {}))
        opts = _clv_options(**options)
        sc, ds = c_void_p(), c_void_p()
        require("tier_clv_fit_csv")(byref(sc), byref(ds), fspath(path), byref(copts),
                                    as_of_value(calibration_end, "calibration_end"),
                                    byref(opts))
        return cls._from_ptr(sc.value), Dataset._from_ptr(ds.value)

    @property
    def model(self):
        m = c_int()
        params = (c_double * 4)()
        require("tier_clv_params")(params, byref(m), self)
        return {v: k for k, v in _MODELS.items()}[m.value]

    @property
    def params(self):
        """Fitted count-model parameters: {r, alpha, a, b} (BG/NBD) or {r, alpha, s, beta}."""
        m = c_int()
        params = (c_double * 4)()
        require("tier_clv_params")(params, byref(m), self)
        return dict(zip(_PARAM_NAMES[m.value], params))

    @property
    def spend_params(self):
        """Fitted Gamma-Gamma parameters {p, q, gamma} (needs a spend column)."""
        params = (c_double * 3)()
        require("tier_clv_spend_params")(params, self)
        return dict(zip(("p", "q", "gamma"), params))

    def fit_info(self, part="counts"):
        """{loglik, n_iter, converged, n_customers, n_agree} of the "counts" or "spend" fit."""
        ll, it, conv, n, agree = c_double(), c_uint(), c_int(), c_size_t(), c_uint()
        require("tier_clv_fit_info")(byref(ll), byref(it), byref(conv), byref(n), byref(agree),
                                     self, choice(part, _PARTS, "part"))
        return {"loglik": ll.value, "n_iter": it.value, "converged": bool(conv.value),
                "n_customers": n.value, "n_agree": agree.value}

    # -- the models on plain arrays --

    @staticmethod
    def _arrays(*columns):
        ptrs, n = [], None
        for col in columns:
            p, m = _buffers.double_array(col, n, "values")
            n = m
            ptrs.append(p)
        return ptrs, n or 0

    @staticmethod
    def _params(model, params, count):
        if isinstance(params, dict):
            names = _PARAM_NAMES[model] if count == 4 else ("p", "q", "gamma")
            params = [params[k] for k in names]
        ptr, _ = _buffers.double_array(params, count, "params")
        return ptr

    @staticmethod
    def loglik(params, x, t_x, T, model="bgnbd"):
        """Per-customer log-likelihood of a count model (params: 4 values or the dict of
        ``CLV.params``; x, t_x, T in the unit of the params)."""
        m = choice(model, _MODELS, "model")
        (px, pt, pT), n = CLV._arrays(x, t_x, T)
        out, optr = _buffers_out(n)
        require("tier_clv_loglik")(optr, m, CLV._params(m, params, 4), n, px, pt, pT)
        return out

    @staticmethod
    def predict(what, params, x, t_x, T, horizon, model="bgnbd"):
        """Per-customer "p_alive", "expected_purchases" or "p_no_purchase" over
        (T, T + horizon]."""
        m = choice(model, _MODELS, "model")
        (px, pt, pT), n = CLV._arrays(x, t_x, T)
        out, optr = _buffers_out(n)
        require("tier_clv_predict")(optr, choice(what, _PREDICTIONS, "prediction"), m,
                                    CLV._params(m, params, 4), n, px, pt, pT, float(horizon))
        return out

    @staticmethod
    def spend_loglik(params, x, m):
        """Per-customer Gamma-Gamma log density of mean value m of x purchases."""
        (px, pm), n = CLV._arrays(x, m)
        out, optr = _buffers_out(n)
        require("tier_clv_spend_loglik")(optr, CLV._params(None, params, 3), n, px, pm)
        return out

    @staticmethod
    def spend_expected(params, x, m):
        """Per-customer Gamma-Gamma expected value of future purchases."""
        (px, pm), n = CLV._arrays(x, m)
        out, optr = _buffers_out(n)
        require("tier_clv_spend_expected")(optr, CLV._params(None, params, 3), n, px, pm)
        return out


_KINDS["clv"] = CLV


def _buffers_out(n):
    """(owned double array of n, pointer-like for C)."""
    np = _buffers.numpy_module()
    if np is not None:
        arr = np.empty(n, dtype=np.float64)
        return arr, arr.ctypes.data_as(POINTER(c_double))
    arr = array.array("d", bytes(8 * n))
    return arr, ((c_double * n).from_buffer(arr) if n else (c_double * 1)())


def clv_calibration_split(ds, calibration_end):
    """Adds cal_repeat_count, cal_t_x, cal_T and holdout_purchases (days) to ``ds``, splitting
    each customer's purchase days at ``calibration_end``."""
    _check_dataset(ds)
    require("tier_clv_calibration_split")(ds._mutable(),
                                          as_of_value(calibration_end, "calibration_end"))


def clv_holdout(calibration, full):
    """Adds holdout_purchases and holdout_spend to ``calibration`` from ``full``."""
    _check_dataset(calibration)
    _check_dataset(full)
    require("tier_clv_holdout")(calibration._mutable(), full)


# ---- churn ---------------------------------------------------------------------------------

_RULES = {"p_alive": 0, "recency": 1}

ChurnRow = collections.namedtuple("ChurnRow", "group customers churned unknown churn_rate")
ChurnRow.__doc__ = ("Churn counts of one group (group None: customers whose group is missing; "
                    "churn_rate = churned / customers, NaN when 0).")


def churn_flag(ds, rule="p_alive", column=None, p_alive_threshold=None, recency_days=None,
               output=None):
    """Writes a 0/1/NaN churn flag column (default "churned"): "p_alive" < threshold (0.5)
    or "recency" > recency_days (90)."""
    _check_dataset(ds)
    opts = ChurnOptions()
    require("tier_churn_options_init")(byref(opts), TIER_CHURN_OPTIONS_VERSION)
    opts.rule = choice(rule, _RULES, "rule")
    opts.column = encode(column, "column")
    opts.output = encode(output, "output")
    if p_alive_threshold is not None:
        opts.p_alive_threshold = float(p_alive_threshold)
    if recency_days is not None:
        opts.recency_days = float(recency_days)
    require("tier_churn_flag")(ds._mutable(), byref(opts))


class ChurnRates(list):
    """A list of ChurnRow per group; ``total`` is the row of all customers."""
    total = None


def churn_rates(ds, flag_column=None, group_column=None):
    """Churned and retained customers per category of ``group_column`` (None: one group
    "all"): a ChurnRates list with a ``total`` row."""
    _check_dataset(ds)
    owner = ChurnTableHandle(Core(new_handle(require("tier_churn_rates"), ds,
                                             encode(flag_column, "flag_column"),
                                             encode(group_column, "group_column")),
                                  free_churn_table))
    try:
        rows = ChurnRates()
        n = C.tier_churn_table_size(owner)
        cust, churned, unknown, rate = c_size_t(), c_size_t(), c_size_t(), c_double()
        for i in range(n + 1):
            C.tier_churn_table_row(byref(cust), byref(churned), byref(unknown), byref(rate),
                                   owner, i)
            row = ChurnRow(C.tier_churn_table_group(owner, i) if i < n else "total",
                           cust.value, churned.value, unknown.value, rate.value)
            if i < n:
                rows.append(row)
            else:
                rows.total = row
        return rows
    finally:
        owner.close()


class CohortTable:
    """Cohort retention by first-purchase month: ``labels`` ("YYYY-MM"), ``sizes``,
    ``active[c][k]`` (customers of cohort c with a purchase in month c + k) and
    ``rates[c][k]`` (NaN where not observed)."""

    def __init__(self, labels, sizes, active, rates):
        self.labels, self.sizes, self.active, self.rates = labels, sizes, active, rates

    def to_pandas(self, what="rates"):
        import pandas
        return pandas.DataFrame(getattr(self, what), index=self.labels)


def cohort_retention(ds):
    """The cohort retention table of ``ds`` (a CohortTable, copied)."""
    _check_dataset(ds)
    owner = CohortTableHandle(Core(new_handle(require("tier_cohort_retention"), ds),
                                   free_cohort_table))
    try:
        nc, no = C.tier_cohort_table_cohorts(owner), C.tier_cohort_table_offsets(owner)
        size, active, rate = c_size_t(), c_size_t(), c_double()
        labels, sizes, act, rates = [], [], [], []
        for c in range(nc):
            labels.append(C.tier_cohort_table_label(owner, c))
            row_a, row_r = [], []
            for k in range(no):
                C.tier_cohort_table_cell(byref(size), byref(active), byref(rate), owner, c, k)
                row_a.append(active.value)
                row_r.append(rate.value)
            sizes.append(size.value)
            act.append(row_a)
            rates.append(row_r)
        return CohortTable(labels, sizes, act, rates)
    finally:
        owner.close()


# ---- lifecycle -----------------------------------------------------------------------------


def lifecycle_assign(ds, output=None, **options):
    """Writes the lifecycle stage of every customer as a categorical column (default
    "lifecycle"; categories LIFECYCLE_STAGES). Options (lifecycle.h): new_days,
    active_factor, at_risk_factor, dormant_factor, default_gap_days, min_gap_days,
    max_gap_days. Returns the default gap used (days)."""
    _check_dataset(ds)
    opts = LifecycleOptions()
    require("tier_lifecycle_options_init")(byref(opts), TIER_LIFECYCLE_OPTIONS_VERSION)
    for name, value in options.items():
        if name not in ("new_days", "active_factor", "at_risk_factor", "dormant_factor",
                        "default_gap_days", "min_gap_days", "max_gap_days"):
            raise TypeError("lifecycle_assign() got an unexpected option %r" % name)
        setattr(opts, name, float(value))
    opts.output = encode(output, "output")
    gap = c_double()
    require("tier_lifecycle_assign")(byref(gap), ds._mutable(), byref(opts))
    return gap.value
