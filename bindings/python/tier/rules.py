"""Tier rules, assignments and what-if comparisons (rules.h, assignment.h).

>>> rules = tier.Rules(open("retail.tier").read(), source="retail.tier")
>>> now = rules.assign(ds)                       # first evaluation
>>> later = rules.assign(ds2, previous=now)      # grace periods, max downgrade, pins
>>> later.counts()                               # {"Diamond": 12, "Gold": 80, ...}
"""

import collections
import datetime
from ctypes import byref, c_char_p, c_int, c_int64, c_size_t, c_uint64

from . import _buffers, errors
from ._lowlevel import (C, Core, AssignmentHandle, AssignOptions, RulesHandle, RulesOptions,
                        TIER_ASSIGN_OPTIONS_VERSION, TIER_OK,
                        TIER_RULES_OPTIONS_VERSION, WhatIfHandle, encode, free_assignment,
                        free_rules, free_whatif, fspath, new_handle, string_array)
from .dataset import Dataset, as_of_value, ctypes_address

__all__ = ["Rules", "Assignment", "WhatIf", "Event", "Pin", "Override"]

Event = collections.namedtuple("Event", "customer_id kind old_tier new_tier time")
Event.__doc__ = ("A tier change: kind is 'new', 'upgrade', 'downgrade', 'held', 'override' or "
                 "'gone'; old_tier is None for a new customer, new_tier None when gone.")
Pin = collections.namedtuple("Pin", "customer_id tier until")
Override = collections.namedtuple("Override", "customer_id tier until")


def _text_bytes(text, what):
    if isinstance(text, str):
        return text.encode("utf-8")
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    raise TypeError("%s must be str or bytes, got %s" % (what, type(text).__name__))


def _check_dataset(ds):
    if not isinstance(ds, Dataset):
        raise TypeError("expected a tier.Dataset, got %s" % type(ds).__name__)
    ds._live()
    return ds


def _rules_options(dataset):
    opts = RulesOptions()
    C.tier_rules_options_init(byref(opts), TIER_RULES_OPTIONS_VERSION)
    if dataset is not None:
        opts.dataset = Dataset.from_param(_check_dataset(dataset))
    return opts


def _assign_options(time, overrides, drop_unknown_overrides):
    opts = AssignOptions()
    C.tier_assign_options_init(byref(opts), TIER_ASSIGN_OPTIONS_VERSION)
    opts.time = as_of_value(time, "time")
    keep = []
    if overrides:
        # {customer: (tier, until)} or [(customer, tier, until)]
        items = list(overrides.items()) if isinstance(overrides, dict) else list(overrides)
        customers, tiers, until = [], [], []
        for item in items:
            if isinstance(overrides, dict):
                customer, (tier, end) = item
            else:
                customer, tier, end = item
            customers.append(_buffers.customer_id(customer))
            tiers.append(tier)
            until.append(_buffers.to_epoch(end, "override until"))
        c_arr, n = string_array(customers, "customer id")
        t_arr, _ = string_array(tiers, "tier name")
        u_arr = (c_int64 * n)(*until)
        keep += [c_arr, t_arr, u_arr]
        opts.n_overrides = n
        opts.override_customers, opts.override_tiers, opts.override_until = c_arr, t_arr, u_arr
    opts.drop_unknown_overrides = 1 if drop_unknown_overrides else 0
    return opts, keep


class Rules(RulesHandle):
    """A compiled rule set (``tier_rules``): ordered tiers with conditions, the movement
    policy and pins. ``Rules(text, source="rules", dataset=None)``: with a dataset, column
    names and types are checked at compile time. Compile errors raise ParseError,
    ColumnTypeError or NotFoundError with ``source:line:column`` in the message."""

    def __init__(self, text, source=None, dataset=None):
        data = _text_bytes(text, "rule text")
        opts = _rules_options(dataset)
        ptr = new_handle(C.tier_rules_compile, data, len(data), encode(source, "source"),
                         byref(opts))
        super().__init__(Core(ptr, free_rules))

    @classmethod
    def load(cls, path, dataset=None):
        """Reads and compiles a rule file (its path is the source name in messages)."""
        opts = _rules_options(dataset)
        self = cls.__new__(cls)
        RulesHandle.__init__(self, Core(new_handle(C.tier_rules_load, fspath(path),
                                                   byref(opts)), free_rules))
        return self

    @property
    def tiers(self):
        """Tier names, best first; the last is the ``otherwise`` tier."""
        return [C.tier_rules_tier_name(self, i) for i in range(C.tier_rules_tier_count(self))]

    @property
    def labels(self):
        return [C.tier_rules_tier_label(self, i) for i in range(C.tier_rules_tier_count(self))]

    def tier_index(self, name):
        i = c_size_t()
        C.tier_rules_tier_index(byref(i), self, encode(name, "tier name"))
        return i.value

    def has_retain(self, tier):
        i = self.tier_index(tier) if isinstance(tier, str) else tier
        return bool(C.tier_rules_tier_has_retain(self, i))

    @property
    def columns(self):
        """Columns the rules read, in order of first use."""
        return [C.tier_rules_column_name(self, i) for i in range(C.tier_rules_column_count(self))]

    @property
    def source(self):
        return C.tier_rules_source_name(self)

    @property
    def grace(self):
        """``policy grace N evaluations`` (0 by default)."""
        return C.tier_rules_policy_value(self, 0)

    @property
    def max_downgrade(self):
        """``policy max downgrade K steps`` (0 = no limit)."""
        return C.tier_rules_policy_value(self, 1)

    @property
    def pins(self):
        """The ``pin`` statements: [Pin(customer_id, tier name, until)]."""
        out = []
        customer, tier, until = c_char_p(), c_size_t(), c_int64()
        for i in range(C.tier_rules_pin_count(self)):
            C.tier_rules_pin(byref(customer), byref(tier), byref(until), self, i)
            out.append(Pin(customer.value.decode("utf-8"),
                           C.tier_rules_tier_name(self, tier.value), until.value))
        return out

    def check(self, ds):
        """Raises unless every column the rules read exists in ``ds`` with a suitable type."""
        C.tier_rules_check(self, _check_dataset(ds))

    def evaluate(self, ds):
        """The tier index (0 = best) each customer qualifies for by the conditions alone:
        a new int32 numpy array (array.array('i') without numpy)."""
        _check_dataset(ds)
        out, ptr = _buffers.new_int32(len(ds))
        C.tier_rules_evaluate(ptr, self, ds)
        return out

    def assign(self, ds, previous=None, *, time=None, overrides=None,
               drop_unknown_overrides=False):
        """Assigns tiers to every customer of ``ds``: an Assignment.

        ``previous``: the previous period's Assignment (grace, downgrade limits, carried
        overrides); ``time``: evaluation instant (default: the dataset's as_of); ``overrides``:
        manual pins, {customer: (tier, until)} or [(customer, tier, until)]."""
        _check_dataset(ds)
        opts, keep = _assign_options(time, overrides, drop_unknown_overrides)
        ptr = new_handle(C.tier_assignment_new, self, ds, previous, byref(opts))
        return Assignment(ptr)

    def whatif(self, candidate, ds, previous=None, *, time=None, overrides=None,
               drop_unknown_overrides=False):
        """Evaluates ``candidate`` rules beside these on ``ds`` without committing: WhatIf."""
        _check_dataset(ds)
        opts, keep = _assign_options(time, overrides, drop_unknown_overrides)
        ptr = new_handle(C.tier_whatif_new, self, candidate, ds, previous, byref(opts))
        return WhatIf(ptr)

    def __repr__(self):
        if self.closed:
            return "<tier.Rules (closed)>"
        return "<tier.Rules %r tiers=%r>" % (self.source, self.tiers)


class Assignment(AssignmentHandle):
    """The tier of every customer at one evaluation, the events that led there and the state
    the next evaluation needs. Immutable: ``tiers``, ``qualified`` and ``grace`` are zero-copy
    read-only views (they keep the assignment's memory alive)."""

    def __init__(self, ptr, parent=None):
        if parent is None:
            core = Core(ptr, free_assignment)
        else:  # borrowed from a WhatIf: its memory lives as long as the WhatIf's
            core = Core(ptr, parent=parent)
            parent.dependents.add(core)
        super().__init__(core)

    @classmethod
    def load(cls, path):
        return cls(new_handle(C.tier_assignment_load, fspath(path), None))

    def save(self, path):
        C.tier_assignment_save(self, fspath(path))

    def __len__(self):
        return C.tier_assignment_size(self)

    @property
    def time(self):
        """Evaluation instant (seconds since the epoch)."""
        return C.tier_assignment_time(self)

    @property
    def tier_names(self):
        return [C.tier_assignment_tier_name(self, i)
                for i in range(C.tier_assignment_tier_count(self))]

    @property
    def tier_labels(self):
        return [C.tier_assignment_tier_label(self, i)
                for i in range(C.tier_assignment_tier_count(self))]

    @property
    def customer_ids(self):
        return [C.tier_assignment_customer_id(self, i) for i in range(len(self))]

    def find(self, customer_id):
        """The row of a customer, or None."""
        row = c_size_t()
        rc = C.tier_assignment_find(byref(row), self,
                                    encode(_buffers.customer_id(customer_id)))
        return row.value if rc == TIER_OK else None

    def _view(self, fn):
        core = self._live()
        ptr = fn(self)
        return _buffers.view(ctypes_address(ptr) if ptr else 0, len(self),
                             _buffers.c_int32, core)

    @property
    def tiers(self):
        """Tier index per customer (row order), after policy and overrides."""
        return self._view(C.tier_assignment_tiers)

    @property
    def qualified(self):
        """Tier index per customer by the conditions alone."""
        return self._view(C.tier_assignment_qualified)

    @property
    def grace(self):
        """Evaluations each customer has been held above its qualifying tier."""
        return self._view(C.tier_assignment_grace)

    def __getitem__(self, customer_id):
        """The tier name of a customer; NotFoundError (a KeyError) if unknown."""
        row = self.find(customer_id)
        if row is None:
            raise errors.NotFoundError("no customer %r in this assignment" % (customer_id,),
                                       -6)
        return C.tier_assignment_tier_name(self, self.tiers[row])

    def tier_of_rows(self):
        """Tier name per customer, in row order (a list)."""
        names = self.tier_names
        return [names[t] for t in self.tiers]

    def counts(self):
        """{tier name: customers}, tiers best first."""
        return {name: C.tier_assignment_count(self, i) for i, name in enumerate(self.tier_names)}

    @property
    def events(self):
        """[Event] in row order, then gone customers."""
        out = []
        cid, kind, old, new, t = c_char_p(), c_int(), c_char_p(), c_char_p(), c_int64()
        for i in range(C.tier_assignment_event_count(self)):
            C.tier_assignment_event(byref(cid), byref(kind), byref(old), byref(new), byref(t),
                                    self, i)
            out.append(Event(cid.value.decode("utf-8"), C.tier_event_kind_name(kind.value),
                             old.value.decode("utf-8") if old.value is not None else None,
                             new.value.decode("utf-8") if new.value is not None else None,
                             t.value))
        return out

    def write_events(self, path):
        """Writes the events as CSV (atomically)."""
        C.tier_assignment_write_events(self, fspath(path))

    @property
    def overrides(self):
        """Manual overrides carried to the next evaluation: [Override]."""
        out = []
        cid, tier, until = c_char_p(), c_char_p(), c_int64()
        for i in range(C.tier_assignment_override_count(self)):
            C.tier_assignment_override(byref(cid), byref(tier), byref(until), self, i)
            out.append(Override(cid.value.decode("utf-8"), tier.value.decode("utf-8"),
                                until.value))
        return out

    def transitions(self, later):
        """Customers moved from each tier here to each tier in ``later``:
        {(from tier or None, to tier or None): count}; None stands for new/gone customers.
        Zero counts are left out."""
        if not isinstance(later, Assignment):
            raise TypeError("transitions() needs a tier.Assignment, got %s"
                            % type(later).__name__)
        f, t = self.tier_names, later.tier_names
        counts = (c_uint64 * ((len(f) + 1) * (len(t) + 1)))()
        C.tier_assignment_transitions(counts, self, later)
        out = {}
        for i, a in enumerate(f + [None]):
            for j, b in enumerate(t + [None]):
                c = counts[i * (len(t) + 1) + j]
                if c:
                    out[(a, b)] = c
        return out

    def to_column(self, ds, name="tier"):
        """Adds a categorical column with each customer's tier name to ``ds``."""
        _check_dataset(ds)
        self._live()
        C.tier_assignment_to_column(self, ds._mutable(), encode(name, "column name"))

    def to_pandas(self):
        """DataFrame indexed by customer id: tier, qualified (tier names), grace."""
        import pandas
        names = self.tier_names
        cats = pandas.CategoricalDtype(names, ordered=True)
        return pandas.DataFrame({
            "tier": pandas.Categorical.from_codes(list(self.tiers), dtype=cats),
            "qualified": pandas.Categorical.from_codes(list(self.qualified), dtype=cats),
            "grace": list(self.grace),
        }, index=pandas.Index(self.customer_ids, name="customer_id"))

    def __repr__(self):
        if self.closed:
            return "<tier.Assignment (closed)>"
        return "<tier.Assignment %d customers at %s: %r>" % (
            len(self), datetime.datetime.fromtimestamp(self.time, datetime.timezone.utc)
            .strftime("%Y-%m-%d %H:%M:%S"), self.counts())


class WhatIf(WhatIfHandle):
    """Two rule sets applied to the same customers (``tier_whatif``)."""

    def __init__(self, ptr):
        super().__init__(Core(ptr, free_whatif))

    @property
    def current(self):
        """The Assignment under the current rules (keeps this comparison alive)."""
        return Assignment(C.tier_whatif_current(self), parent=self._live())

    @property
    def candidate(self):
        """The Assignment under the candidate rules, with the events it would record."""
        return Assignment(C.tier_whatif_candidate(self), parent=self._live())

    def transition(self, from_tier, to_tier):
        """Customers in ``from_tier`` now that would be in ``to_tier`` (names or indexes)."""
        if isinstance(from_tier, str):
            from_tier = self.current.tier_names.index(from_tier)
        if isinstance(to_tier, str):
            to_tier = self.candidate.tier_names.index(to_tier)
        return C.tier_whatif_transition(self, from_tier, to_tier)

    def transitions(self):
        """{(current tier, candidate tier): count}, zero counts left out."""
        cur, cand = self.current.tier_names, self.candidate.tier_names
        out = {}
        for i, a in enumerate(cur):
            for j, b in enumerate(cand):
                c = C.tier_whatif_transition(self, i, j)
                if c:
                    out[(a, b)] = c
        return out

    @property
    def changed(self):
        """Customers whose tier name differs between the two rule sets."""
        return C.tier_whatif_changed(self)
