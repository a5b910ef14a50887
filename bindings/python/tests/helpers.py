"""Shared helpers of the Python binding's tests (standard library only).

Run a test file directly (``python3 test_dataset.py``) or all of them through ``meson test
--suite python``; the package is found through $PYTHONPATH (or the source tree next to this
directory) and the library through $TIER_LIBRARY.
"""

import gc
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_DIR = os.path.dirname(HERE)
if PACKAGE_DIR not in sys.path:
    sys.path.insert(0, PACKAGE_DIR)

REPO = os.path.normpath(os.path.join(PACKAGE_DIR, "..", ".."))
EXAMPLES = os.path.join(REPO, "examples")
DATA = os.path.join(EXAMPLES, "data")
RULES = os.path.join(EXAMPLES, "rules")

import tier  # noqa: E402

try:
    import numpy
except ImportError:
    numpy = None
try:
    import pandas
except ImportError:
    pandas = None

requires_numpy = unittest.skipIf(numpy is None, "numpy is not installed")
requires_pandas = unittest.skipIf(pandas is None, "pandas is not installed")

DAY = 86400
T0 = 1293840000  # 2011-01-01T00:00:00Z


def small_dataset(**kw):
    """Five customers with hand-checkable features (as_of = T0 + 100 days).

    A: purchases on days 0 and 50 (two orders), spend 10 + 30
    B: purchase on day 90, 100, and a return of 20 on day 95
    C: purchase on day 10, 5
    D: purchases on days 20, 20 (same order o1), 60: 1 + 2 + 3
    E: only a return (never purchased)
    """
    ids = ["A", "A", "B", "B", "C", "D", "D", "D", "E"]
    times = [T0, T0 + 50 * DAY, T0 + 90 * DAY, T0 + 95 * DAY, T0 + 10 * DAY, T0 + 20 * DAY,
             T0 + 20 * DAY + 60, T0 + 60 * DAY, T0 + 30 * DAY]
    amounts = [10.0, 30.0, 100.0, -20.0, 5.0, 1.0, 2.0, 3.0, -7.0]
    orders = ["a1", "a2", "b1", "b2", None, "o1", "o1", "o2", "e1"]
    return tier.Dataset.from_transactions(ids, times, amounts, orders,
                                          as_of=T0 + 100 * DAY, **kw)


def retail_dataset():
    """The bundled Online Retail sample with the CLI's column mapping."""
    return tier.Dataset.from_csv(
        os.path.join(DATA, "online_retail.csv.gz"), customer="CustomerID", time="InvoiceDate",
        quantity="Quantity", price="UnitPrice", order="InvoiceNo", categorical=["Country"])


def orders_dataset():
    """The R package rfm's order table, as of its documented analysis date 2006-12-31."""
    return tier.Dataset.from_csv(os.path.join(DATA, "rfm_data_orders.csv"),
                                 time="order_date", amount="revenue", as_of="2006-12-31")


def probe(core):
    """Something that tells whether a C handle was freed, without keeping it alive: the
    handle's finalizer (alive = not yet freed)."""
    return core._finalizer


def collect():
    """Runs the cycle collector a few times (finalizers may free more garbage)."""
    for _ in range(3):
        gc.collect()


def main():
    unittest.main(verbosity=2)
