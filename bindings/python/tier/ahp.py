"""Analytic Hierarchy Process (ahp.h): criteria weights from pairwise judgments.

>>> ahp = tier.AHP(["monetary", "frequency", "recency"])
>>> ahp["monetary", "frequency"] = 3      # monetary is 3 times as important as frequency
>>> ahp["monetary", "recency"] = 5
>>> ahp["frequency", "recency"] = 2
>>> ahp.compute()                          # raises InconsistentError if CR > the limit
>>> ahp.weights                            # {"monetary": 0.648, "frequency": 0.230, ...}
"""

import math
from ctypes import byref, c_double, c_size_t, c_void_p

from . import _buffers, errors
from ._lowlevel import (C, Core, AhpHandle, AhpHierarchyHandle, AhpOptions,
                        TIER_AHP_OPTIONS_VERSION, encode, free_ahp, free_ahp_hierarchy, fspath,
                        new_handle, string_array)
from .scorers import choice

__all__ = ["AHP", "AHPHierarchy", "aggregate_priorities", "random_index"]

_METHODS = {"eigenvector": 1, "geometric_mean": 2, "geometric": 2}
_MEANS = {"geometric": 1, "arithmetic": 2}


def _options(method="eigenvector", cr_limit=None, scale_max=None, tolerance=None,
             convergence=None, max_iterations=None):
    opts = AhpOptions()
    C.tier_ahp_options_init(byref(opts), TIER_AHP_OPTIONS_VERSION)
    opts.method = choice(method, _METHODS, "method")
    for field, value in (("cr_limit", cr_limit), ("scale_max", scale_max),
                         ("tolerance", tolerance), ("convergence", convergence)):
        if value is not None:
            setattr(opts, field, float(value))
    if max_iterations is not None:
        opts.max_iterations = int(max_iterations)
    return opts


def random_index(n):
    """Saaty's random index RI(n) (Alonso & Lamata's formula beyond 15); NaN out of range."""
    return C.tier_ahp_random_index(n)


def _judge_array(judges):
    judges = list(judges)
    if not judges:
        raise errors.InvalidArgumentError("at least one judge is needed")
    for j in judges:
        if not isinstance(j, AHP):
            raise TypeError("judges must be tier.AHP matrices, got %s" % type(j).__name__)
    return (c_void_p * len(judges))(*[j._live().ptr for j in judges]), judges


def aggregate_priorities(judges, weights=None, mean="geometric"):
    """Averages the weights of several computed judges (AIP): {criterion: weight}, criteria
    in the first judge's order."""
    arr, judges = _judge_array(judges)
    n = len(judges[0].names)
    jw = None
    if weights is not None:
        jw, _ = _buffers.double_array(weights, len(judges), "judge weights")
    out = (c_double * n)()
    C.tier_ahp_aggregate_priorities(out, arr, len(judges), jw, choice(mean, _MEANS, "mean"))
    return dict(zip(judges[0].names, out))


class AHP(AhpHandle):
    """A pairwise comparison matrix (``tier_ahp``) of named criteria.

    ``AHP(criteria, judgments=None, *, method="eigenvector", cr_limit=0.10, scale_max=9,
    tolerance=0.01, convergence=1e-12, max_iterations=10000)``: ``criteria`` is a list of
    names or a count (names "c1".."cn"); ``judgments`` optionally a dict {(row, column):
    value} or a full n x n matrix (nested lists, NaN/None = missing).
    """

    def __init__(self, criteria, judgments=None, **options):
        opts = _options(**options)
        if isinstance(criteria, int):
            ptr = new_handle(C.tier_ahp_new, criteria, None, byref(opts))
        else:
            names, n = string_array(list(criteria), "criterion name")
            ptr = new_handle(C.tier_ahp_new, n, names, byref(opts))
        super().__init__(Core(ptr, free_ahp))
        if judgments is not None:
            if isinstance(judgments, dict):
                for (a, b), v in judgments.items():
                    self[a, b] = v
            else:
                self.set_matrix(judgments)

    @classmethod
    def _from_ptr(cls, ptr):
        self = cls.__new__(cls)
        AhpHandle.__init__(self, Core(ptr, free_ahp))
        return self

    @classmethod
    def parse(cls, text, source=None, **options):
        """Judgments from text (see tier_ahp_parse(): a names line, then "a b value" pairs or
        matrix rows; fractions like 1/3; - ? NA for missing)."""
        opts = _options(**options)
        from .rules import _text_bytes
        data = _text_bytes(text, "judgment text")
        return cls._from_ptr(new_handle(C.tier_ahp_parse, data, len(data),
                                        encode(source, "source"), byref(opts)))

    @classmethod
    def load_text(cls, path, **options):
        """Judgments from a text file in the format of parse()."""
        opts = _options(**options)
        return cls._from_ptr(new_handle(C.tier_ahp_load_text, fspath(path), byref(opts)))

    @classmethod
    def aggregate(cls, judges, weights=None, **options):
        """One matrix whose judgments are the weighted geometric means of the judges' (AIJ);
        not yet computed."""
        arr, judges = _judge_array(judges)
        jw = None
        if weights is not None:
            jw, _ = _buffers.double_array(weights, len(judges), "judge weights")
        opts = _options(**options)
        return cls._from_ptr(new_handle(C.tier_ahp_aggregate_judgments, arr, len(judges), jw,
                                        byref(opts)))

    def copy(self):
        """An independent copy (judgments, options and results)."""
        return type(self)._from_ptr(new_handle(C.tier_ahp_copy, self))

    # ---- criteria and judgments --------------------------------------------------------

    def __len__(self):
        return C.tier_ahp_size(self)

    @property
    def names(self):
        return [C.tier_ahp_name(self, i) for i in range(len(self))]

    def index(self, criterion):
        """The index of a criterion given by name (or index)."""
        if isinstance(criterion, int) and not isinstance(criterion, bool):
            n = len(self)
            if not 0 <= criterion < n:
                raise IndexError("criterion %d out of range for %d criteria" % (criterion, n))
            return criterion
        i = c_size_t()
        C.tier_ahp_find(byref(i), self, encode(criterion, "criterion"))
        return i.value

    def set(self, row, column, value):
        """``row`` is ``value`` times as important as ``column`` (names or indexes)."""
        C.tier_ahp_set(self, self.index(row), self.index(column), float(value))

    def __setitem__(self, pair, value):
        row, column = pair
        if value is None or (isinstance(value, float) and math.isnan(value)):
            self.unset(row, column)
        else:
            self.set(row, column, value)

    def __getitem__(self, pair):
        """The entered judgment (NaN when missing, 1 on the diagonal)."""
        row, column = pair
        v = c_double()
        C.tier_ahp_judgment(byref(v), self, self.index(row), self.index(column))
        return v.value

    def unset(self, row, column):
        """Marks a judgment as missing."""
        C.tier_ahp_unset(self, self.index(row), self.index(column))

    def set_upper(self, values):
        """All judgments from the upper triangle, row by row (NaN/None = missing)."""
        n = len(self)
        ptr, _ = _buffers.double_array(values, n * (n - 1) // 2, "upper triangle")
        C.tier_ahp_set_upper(self, ptr)

    def set_matrix(self, matrix):
        """All judgments from a full matrix (nested rows or a flat row-major sequence);
        reciprocity is checked."""
        n = len(self)
        if len(matrix) == n and n > 0 and not isinstance(matrix[0], (int, float)):
            flat = []
            for row in matrix:
                if len(row) != n:
                    raise ValueError("matrix rows must have %d entries" % n)
                flat.extend(row)
        else:
            flat = matrix
        ptr, _ = _buffers.double_array(flat, n * n, "matrix")
        C.tier_ahp_set_matrix(self, ptr)

    @property
    def missing_count(self):
        return C.tier_ahp_missing_count(self)

    # ---- results -----------------------------------------------------------------------

    def compute(self, allow_inconsistent=False):
        """Computes weights, lambda_max, CI, CR and GCI. Raises InconsistentError when CR
        exceeds the limit (the results are readable all the same), unless
        ``allow_inconsistent``. Returns self."""
        try:
            C.tier_ahp_compute(self)
        except errors.InconsistentError:
            if not allow_inconsistent:
                raise
        return self

    @property
    def is_computed(self):
        return bool(C.tier_ahp_is_computed(self))

    @property
    def is_consistent(self):
        return bool(C.tier_ahp_is_consistent(self))

    @property
    def weights(self):
        """{criterion: weight} (summing to 1); NotFittedError before compute()."""
        ptr = C.tier_ahp_weights(self)
        if not ptr:
            raise errors.NotFittedError("the AHP matrix is not computed: call compute()", -13)
        return {name: ptr[i] for i, name in enumerate(self.names)}

    def completed(self, row, column):
        """The completed matrix entry (w_i/w_j where the judgment is missing)."""
        v = c_double()
        C.tier_ahp_completed(byref(v), self, self.index(row), self.index(column))
        return v.value

    lambda_max = property(lambda self: C.tier_ahp_lambda_max(self),
                          doc="Principal eigenvalue (NaN when not computed).")
    ci = property(lambda self: C.tier_ahp_ci(self), doc="Consistency index.")
    cr = property(lambda self: C.tier_ahp_cr(self), doc="Consistency ratio.")
    gci = property(lambda self: C.tier_ahp_gci(self), doc="Geometric consistency index.")
    iterations = property(lambda self: C.tier_ahp_iterations(self),
                          doc="Power iterations of the last compute.")
    cr_limit = property(lambda self: C.tier_ahp_cr_limit(self), doc="CR acceptance limit.")

    def worst_judgment(self):
        """(row name, column name, suggested value) of the most inconsistent judgment."""
        i, j, s = c_size_t(), c_size_t(), c_double()
        C.tier_ahp_worst_judgment(byref(i), byref(j), byref(s), self)
        return C.tier_ahp_name(self, i.value), C.tier_ahp_name(self, j.value), s.value

    def __repr__(self):
        if self.closed:
            return "<tier.AHP (closed)>"
        state = ("CR=%.4f" % self.cr) if self.is_computed else "not computed"
        return "<tier.AHP %r %s>" % (self.names, state)


class AHPHierarchy(AhpHierarchyHandle):
    """A tree of criteria under a goal (``tier_ahp_hierarchy``); node 0 is the goal."""

    def __init__(self, goal, **options):
        opts = _options(**options)
        ptr = new_handle(C.tier_ahp_hierarchy_new, encode(goal, "goal"), byref(opts))
        super().__init__(Core(ptr, free_ahp_hierarchy))

    def add(self, name, parent=None):
        """Adds a node under ``parent`` (None = the goal); returns its index."""
        i = c_size_t()
        C.tier_ahp_hierarchy_add(byref(i), self, encode(parent, "parent"),
                                 encode(name, "node name"))
        return i.value

    def set_judgments(self, node, ahp):
        """Attaches the comparison matrix of ``node``'s children (copied)."""
        if not isinstance(ahp, AHP):
            raise TypeError("set_judgments() needs a tier.AHP, got %s" % type(ahp).__name__)
        C.tier_ahp_hierarchy_set_judgments(self, encode(self._name(node), "node"), ahp)

    def set_weights(self, node, weights):
        """Gives ``node``'s children explicit local weights (in order of addition, or a dict
        by child name)."""
        node = self._name(node)
        if isinstance(weights, dict):
            children = self.children(node)
            weights = [weights[self.node_name(c)] for c in children]
        ptr, _ = _buffers.double_array(weights, what="weights")
        C.tier_ahp_hierarchy_set_weights(self, encode(node, "node"), ptr)

    def compute(self, allow_inconsistent=False):
        """Computes every node's matrix and the local and global weights; raises
        InconsistentError as AHP.compute() does. Returns self."""
        try:
            C.tier_ahp_hierarchy_compute(self)
        except errors.InconsistentError:
            if not allow_inconsistent:
                raise
        return self

    def _name(self, node):
        return self.node_name(node) if isinstance(node, int) else node

    def find(self, name):
        i = c_size_t()
        C.tier_ahp_hierarchy_find(byref(i), self, encode(name, "node name"))
        return i.value

    def _index(self, node):
        return self.find(node) if isinstance(node, str) else node

    def __len__(self):
        return C.tier_ahp_hierarchy_node_count(self)

    def node_name(self, index):
        name = C.tier_ahp_hierarchy_node_name(self, index)
        if name is None:
            raise IndexError("node %d out of range" % index)
        return name

    @property
    def nodes(self):
        return [self.node_name(i) for i in range(len(self))]

    def parent(self, node):
        """The parent's index (None for the goal)."""
        p = c_size_t()
        rc = C.tier_ahp_hierarchy_parent(byref(p), self, self._index(node))
        return None if rc != 0 else p.value

    def children(self, node=0):
        i = self._index(node)
        out, c = [], c_size_t()
        for k in range(C.tier_ahp_hierarchy_child_count(self, i)):
            C.tier_ahp_hierarchy_child(byref(c), self, i, k)
            out.append(c.value)
        return out

    def depth(self, node):
        return C.tier_ahp_hierarchy_depth(self, self._index(node))

    def local_weight(self, node):
        return C.tier_ahp_hierarchy_local_weight(self, self._index(node))

    def global_weight(self, node):
        return C.tier_ahp_hierarchy_global_weight(self, self._index(node))

    def judgments(self, node):
        """A copy of the comparison matrix attached to ``node`` (with its CR ...), or None.
        A copy, because the hierarchy's own matrix is replaced by set_judgments()."""
        ptr = C.tier_ahp_hierarchy_judgments(self, self._index(node))
        if not ptr:
            return None
        borrowed = AhpHandle(Core(ptr, parent=self._live()))
        return AHP._from_ptr(new_handle(C.tier_ahp_copy, borrowed))

    @property
    def leaves(self):
        """Node indexes of the leaves, depth first."""
        out, i = [], c_size_t()
        for k in range(C.tier_ahp_hierarchy_leaf_count(self)):
            C.tier_ahp_hierarchy_leaf(byref(i), self, k)
            out.append(i.value)
        return out

    @property
    def leaf_weights(self):
        """{leaf name: global weight}."""
        return {self.node_name(i): self.global_weight(i) for i in self.leaves}
