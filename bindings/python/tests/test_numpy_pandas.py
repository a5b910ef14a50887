"""Zero-copy buffers in and out, numpy and pandas inputs (skipped when not installed)."""

import array
import ctypes
import unittest

import helpers
from helpers import T0, numpy as np, pandas as pd, tier
from tier import _buffers


def address_of(ptr):
    return ctypes.cast(ptr, ctypes.c_void_p).value


class BufferProtocol(unittest.TestCase):
    """Without numpy: array.array and writable buffers are passed by pointer."""

    def test_array_module_is_passed_without_copy(self):
        amounts = array.array("d", [1.0, 2.0, 3.0])
        ptr, n = _buffers.double_array(amounts, 3)
        self.assertEqual(n, 3)
        self.assertEqual(address_of(ptr), amounts.buffer_info()[0])
        times = array.array("q", [T0, T0, T0])
        ptr, n = _buffers.int64_times(times, 3)
        self.assertEqual(address_of(ptr), times.buffer_info()[0])
        codes = array.array("i", [0, 1, -1])
        ptr, n = _buffers.int32_array(codes, 3)
        self.assertEqual(address_of(ptr), codes.buffer_info()[0])

    def test_memoryview_fallback(self):
        previous = tier.use_numpy(False)
        try:
            ds = helpers.small_dataset()
            view = ds["monetary"]
            self.assertIsInstance(view, memoryview)
            self.assertTrue(view.readonly)
            self.assertEqual(view.format, "d")
            self.assertEqual(view.tolist(), [40.0, 80.0, 5.0, 6.0, -7.0])
            with self.assertRaises(TypeError):
                view[0] = 1.0
            copy = ds.column("monetary", copy=True)
            self.assertIsInstance(copy, array.array)
            self.assertIsInstance(tier.Rules("otherwise X\n").evaluate(ds), array.array)
        finally:
            tier.use_numpy(previous)


@helpers.requires_numpy
class Numpy(unittest.TestCase):
    def test_contiguous_arrays_are_passed_without_copy(self):
        amounts = np.array([1.0, 2.0, 3.0])
        ptr, _ = _buffers.double_array(amounts, 3)
        self.assertEqual(address_of(ptr), amounts.ctypes.data)
        times = np.array([T0, T0 + 1, T0 + 2], dtype=np.int64)
        ptr, _ = _buffers.int64_times(times, 3)
        self.assertEqual(address_of(ptr), times.ctypes.data)
        strided = np.arange(6, dtype=np.float64)[::2]
        ptr, _ = _buffers.double_array(strided, 3)  # not contiguous: one copy
        self.assertNotEqual(address_of(ptr), strided.ctypes.data)
        self.assertEqual(list((ctypes.c_double * 3).from_address(address_of(ptr))),
                         [0.0, 2.0, 4.0])

    def test_transactions_from_numpy(self):
        ids = np.array([1, 1, 2])
        times = np.array(["2011-01-01T00:00", "2011-01-11T00:00", "2011-01-05T12:00"],
                         dtype="datetime64[m]")
        amounts = np.array([10, 20, 5], dtype=np.int32)  # converted once
        ds = tier.Dataset.from_transactions(ids, times, amounts, as_of="2011-01-21")
        self.assertEqual(ds.customer_ids, ["1", "2"])
        np.testing.assert_array_equal(ds["recency"], [10.0, 15.5])
        np.testing.assert_array_equal(ds["monetary"], [30.0, 5.0])

    def test_views(self):
        ds = helpers.small_dataset()
        a, b = ds["monetary"], ds["monetary"]
        self.assertIsInstance(a, np.ndarray)
        self.assertEqual(a.dtype, np.float64)
        self.assertTrue(np.shares_memory(a, b))  # both point into the C column
        self.assertFalse(a.flags.writeable)
        with self.assertRaises(ValueError):
            a.flags.writeable = True
        with self.assertRaises(ValueError):
            a[0] = 1.0
        self.assertEqual(float(a.sum()), 124.0)
        codes = ds["tenure"]
        ds["band"] = np.array(["x", "y", "x", None, "y"], dtype=object)
        band = ds["band"]
        self.assertEqual(band.codes.dtype, np.int32)
        np.testing.assert_array_equal(band.codes, [0, 1, 0, -1, 1])
        ds["score"] = np.linspace(0, 1, 5)
        np.testing.assert_array_equal(ds["score"], np.linspace(0, 1, 5))
        self.assertEqual(codes[0], 100.0)

    def test_evaluate_returns_int32(self):
        out = tier.Rules("tier A when monetary > 10\notherwise B\n").evaluate(
            helpers.small_dataset())
        self.assertEqual(out.dtype, np.int32)
        np.testing.assert_array_equal(out, [0, 0, 1, 1, 1])


@helpers.requires_pandas
class Pandas(unittest.TestCase):
    def test_dataframe_columns(self):
        df = pd.DataFrame({
            "customer": [17850.0, 17850.0, 13047.0],
            "when": pd.to_datetime(["2011-01-01 10:00", "2011-01-03", "2011-01-02"]),
            "amount": [10.0, -2.5, 7.0],
            "invoice": ["1", "C2", None],
        })
        ptr, _ = _buffers.double_array(df["amount"], 3)
        self.assertTrue(np.shares_memory(df["amount"].to_numpy(),
                                         np.ctypeslib.as_array(
                                             ctypes.cast(ptr, ctypes.POINTER(ctypes.c_double)),
                                             (3,))))
        ds = tier.Dataset.from_transactions(df["customer"], df["when"], df["amount"],
                                            df["invoice"], as_of="2011-01-10")
        self.assertEqual(ds.customer_ids, ["17850", "13047"])
        self.assertEqual(list(ds["monetary"]), [7.5, 7.0])
        self.assertEqual(list(ds["returns"]), [1.0, 0.0])
        aware = df["when"].dt.tz_localize("Europe/Paris")  # 1 hour ahead of UTC in winter
        ds2 = tier.Dataset.from_transactions(df["customer"], aware, df["amount"],
                                             as_of="2011-01-10")
        self.assertEqual(ds2["last_purchase"][1], ds["last_purchase"][1] - 3600)

    def test_categorical_and_nullable_inputs(self):
        ds = helpers.small_dataset()
        ds["seg"] = pd.Categorical(["a", "b", None, "a", "b"], categories=["b", "a"])
        self.assertEqual(ds["seg"].categories, ("b", "a"))
        self.assertEqual(ds["seg"].tolist(), ["a", "b", None, "a", "b"])
        ds["n"] = pd.Series([1, None, 3, 4, 5], dtype="Int64")
        self.assertTrue(np.isnan(ds["n"][1]))
        ds["s"] = pd.Series(["p", None, "q", "p", "p"])
        self.assertEqual(ds["s"].tolist(), ["p", None, "q", "p", "p"])
        df = ds.to_pandas(["seg", "n", "monetary"])
        self.assertEqual(list(df.columns), ["seg", "n", "monetary"])
        self.assertEqual(df.loc["B", "seg"], "b")


if __name__ == "__main__":
    helpers.main()
