"""tier.Dataset: construction from arrays and CSV, columns, views, copy on mutation, I/O."""

import array
import datetime
import math
import os
import tempfile
import unittest

import helpers
from helpers import DAY, T0, tier


def as_list(view):
    return list(view)


def naive_iso(t):
    """ISO text without a zone (read as UTC)."""
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).replace(
        tzinfo=None).isoformat()


class FromTransactions(unittest.TestCase):
    def test_features_by_hand(self):
        ds = helpers.small_dataset()
        self.assertEqual(len(ds), 5)
        self.assertEqual(ds.customer_ids, ["A", "B", "C", "D", "E"])
        self.assertEqual(ds.transaction_count, 9)
        self.assertEqual(ds.as_of, T0 + 100 * DAY)
        self.assertFalse(ds.is_stale)
        self.assertEqual(ds.columns[:13], [
            "recency", "frequency", "monetary", "avg_order_value", "first_purchase",
            "last_purchase", "tenure", "purchase_days", "returns", "returns_value",
            "repeat_count", "t_x", "T"])  # features first (more may follow in later versions)
        self.assertEqual(as_list(ds["recency"])[:4], [50.0, 10.0, 90.0, 40.0])
        self.assertTrue(math.isnan(ds["recency"][4]))  # never purchased
        self.assertEqual(as_list(ds["frequency"]), [2.0, 1.0, 1.0, 2.0, 0.0])
        self.assertEqual(as_list(ds["monetary"]), [40.0, 80.0, 5.0, 6.0, -7.0])
        self.assertEqual(as_list(ds["returns_value"]), [0.0, 20.0, 0.0, 0.0, 7.0])
        self.assertEqual(as_list(ds["tenure"]), [100.0, 10.0, 90.0, 80.0, 70.0])

    def test_inputs_of_every_kind_give_the_same_dataset(self):
        ref = helpers.small_dataset()
        ids = ["A", "A", "B", "B", "C", "D", "D", "D", "E"]
        times = [T0, T0 + 50 * DAY, T0 + 90 * DAY, T0 + 95 * DAY, T0 + 10 * DAY, T0 + 20 * DAY,
                 T0 + 20 * DAY + 60, T0 + 60 * DAY, T0 + 30 * DAY]
        amounts = [10.0, 30.0, 100.0, -20.0, 5.0, 1.0, 2.0, 3.0, -7.0]
        orders = ["a1", "a2", "b1", "b2", None, "o1", "o1", "o2", "e1"]
        variants = [
            (ids, array.array("q", times), array.array("d", amounts)),
            (ids, memoryview(array.array("q", times)), memoryview(array.array("d", amounts))),
            (ids, [datetime.datetime.fromtimestamp(t, datetime.timezone.utc) for t in times],
             amounts),
            (ids, [naive_iso(t) for t in times], [int(a) for a in amounts]),
            (tuple(ids), tuple(times),
             memoryview(array.array("d", amounts)).toreadonly()),  # read-only buffer
            (ids, bytes(array.array("q", times)), bytes(array.array("d", amounts))),  # raw
        ]
        for i, (a, t, m) in enumerate(variants):
            with self.subTest(variant=i):
                ds = tier.Dataset.from_transactions(a, t, m, orders, as_of=T0 + 100 * DAY)
                for col in ("recency", "frequency", "monetary", "tenure"):
                    self.assertEqual(str(as_list(ds[col])), str(as_list(ref[col])), col)

    def test_ids_are_normalised_like_the_csv_loader(self):
        ds = tier.Dataset.from_transactions([17850, 17850.0, "17850", 12.5], [T0] * 4,
                                            [1, 2, 3, 4], as_of=T0 + DAY)
        self.assertEqual(ds.customer_ids, ["17850", "12.5"])
        self.assertEqual(ds.find(17850.0), 0)
        self.assertEqual(ds.row("12.5"), 1)
        self.assertIsNone(ds.find("nobody"))
        with self.assertRaises(KeyError):
            ds.row("nobody")

    def test_many_ids_take_the_packed_path(self):
        # 64 or more strings are packed into one buffer (see _buffers.c_string_array).
        n = 300
        ids = [i % 100 for i in range(n)]  # ints
        orders = [None if i % 7 == 0 else "o%d" % (i // 2) for i in range(n)]
        ds = tier.Dataset.from_transactions(ids, [T0 + i for i in range(n)], [1.0] * n,
                                            orders, as_of=T0 + DAY)
        self.assertEqual(ds.customer_ids, [str(i) for i in range(100)])
        by_str = tier.Dataset.from_transactions([str(i) for i in ids],
                                                [T0 + i for i in range(n)], [1.0] * n,
                                                orders, as_of=T0 + DAY)
        self.assertEqual(as_list(by_str["frequency"]), as_list(ds["frequency"]))
        # each customer has 3 transactions (i, i + 100, i + 200), all in different orders
        self.assertEqual(as_list(ds["frequency"]), [3.0] * 100)
        self.assertEqual(ds.transaction_count, n)
        with self.assertRaises(ValueError):
            tier.Dataset.from_transactions(["a\0b"] * 100, [T0] * 100, [1.0] * 100)

    def test_invalid_input_adds_nothing_and_names_the_entry(self):
        ds = tier.Dataset()
        with self.assertRaises(tier.RangeError) as cm:
            ds.add_transactions(["a", "b"], [T0, T0], [1.0, float("inf")])
        self.assertIn("1", str(cm.exception))  # the index of the bad amount
        self.assertEqual(ds.transaction_count, 0)
        with self.assertRaises(tier.InvalidArgumentError):
            ds.add_transactions(["a", ""], [T0, T0], [1.0, 2.0])
        with self.assertRaises(ValueError):
            ds.add_transactions(["a", "b"], [T0], [1.0, 2.0])  # length mismatch
        with self.assertRaises(TypeError):
            ds.add_transactions(["a"], [T0], ["lots"])
        with self.assertRaises(ValueError):
            ds.add_transactions([float("nan")], [T0], [1.0])
        self.assertEqual(len(ds), 0)

    def test_empty_and_stale(self):
        ds = tier.Dataset()
        self.assertEqual(len(ds), 0)
        self.assertIsNone(ds.as_of)
        with self.assertRaises(tier.EmptyError):
            ds.compute_features()  # automatic as_of needs a transaction
        ds.compute_features(T0)  # explicit as_of on an empty dataset is fine
        self.assertEqual(as_list(ds["recency"]), [])
        ds.add_transactions(["x"], [T0 - DAY], [3.0])
        self.assertTrue(ds.is_stale)
        with self.assertRaises(tier.StaleError):
            ds["recency"]
        with self.assertRaises(tier.InvalidArgumentError):
            ds.compute_features(T0 - 2 * DAY)  # before the last transaction
        ds.compute_features(datetime.date(2011, 1, 1))
        self.assertEqual(as_list(ds["recency"]), [1.0])

    def test_unknown_column_suggests_the_closest_name(self):
        ds = helpers.small_dataset()
        with self.assertRaises(tier.NotFoundError) as cm:
            ds["monetry"]
        self.assertIn("monetary", str(cm.exception))
        self.assertIsInstance(cm.exception, KeyError)
        self.assertNotIn("monetry", ds)
        self.assertIn("monetary", ds)
        self.assertEqual(list(ds), ds.columns)


class Columns(unittest.TestCase):
    def test_set_numeric_and_categorical(self):
        ds = helpers.small_dataset()
        ds["score"] = [1, 2.5, None, float("nan"), -1]
        s = as_list(ds["score"])
        self.assertEqual(s[:2] + s[4:], [1.0, 2.5, -1.0])
        self.assertTrue(math.isnan(s[2]) and math.isnan(s[3]))
        ds["band"] = ["hi", "lo", None, "hi", "mid"]
        band = ds["band"]
        self.assertEqual(ds.column_type("band"), "categorical")
        self.assertEqual(band.categories, ("hi", "lo", "mid"))
        self.assertEqual(band.tolist(), ["hi", "lo", None, "hi", "mid"])
        self.assertEqual(list(band.codes), [0, 1, -1, 0, 2])
        ds["pair"] = ([1, 0, 0, -1, 1], ["x", "y"])
        self.assertEqual(ds["pair"].tolist(), ["y", "x", "x", None, "y"])
        with self.assertRaises(ValueError):
            ds["short"] = [1.0, 2.0]
        with self.assertRaises(tier.InvalidArgumentError):
            ds["recency"] = [0.0] * 5  # feature names are reserved
        with self.assertRaises(tier.InvalidArgumentError):
            ds["bad"] = ([7, 0, 0, 0, 0], ["x"])  # code out of range

    def test_join(self):
        ds = helpers.small_dataset()
        self.assertEqual(ds.join("age", ["B", "A", "Z"], [30, 40, 50]), 1)
        age = as_list(ds["age"])
        self.assertEqual(age[:2], [40.0, 30.0])
        self.assertTrue(math.isnan(age[2]))
        self.assertEqual(ds.join("city", ["C", "A", "C"], ["Paris", None, "Rome"]), 0)
        self.assertEqual(ds["city"].tolist(), [None, None, "Rome", None, None])
        with self.assertRaises(tier.ColumnTypeError):
            ds.join("age", ["A"], ["text"])

    def test_views_are_read_only(self):
        ds = helpers.small_dataset()
        view = ds["monetary"]
        with self.assertRaises((TypeError, ValueError)):
            view[0] = 1.0
        copy = ds.column("monetary", copy=True)
        copy[0] = 99.0
        self.assertEqual(ds["monetary"][0], 40.0)


class CopyOnMutation(unittest.TestCase):
    """Views are snapshots: a mutation moves the dataset to a copy, views keep the old one."""

    def test_view_survives_every_mutation(self):
        ds = helpers.small_dataset()
        rec = ds["recency"]
        mon = ds["monetary"]
        old_core = ds._core
        ds.add_transactions(["A"], [T0 + 99 * DAY], [1000.0])
        self.assertIsNot(ds._core, old_core)  # detached
        ds.compute_features(T0 + 100 * DAY)
        ds["x"] = [0.0] * 5
        tier.RFM(nan="unscored").fit_apply(ds)
        self.assertEqual(as_list(rec)[:4], [50.0, 10.0, 90.0, 40.0])
        self.assertEqual(as_list(mon)[0], 40.0)
        self.assertEqual(as_list(ds["monetary"])[0], 1040.0)
        self.assertEqual(ds["recency"][0], 1.0)

    def test_no_copy_without_views(self):
        ds = helpers.small_dataset()
        core = ds._core
        ds["x"] = [1.0] * 5
        self.assertIs(ds._core, core)
        view = ds["x"]
        del view
        helpers.collect()
        ds["x"] = [2.0] * 5
        self.assertIs(ds._core, core)

    def test_old_copy_is_freed_with_its_last_view(self):
        ds = helpers.small_dataset()
        view = ds["recency"]
        tail = view[1:3]  # a derived view keeps the memory alive too
        old = helpers.probe(ds._core)
        ds["x"] = [1.0] * 5
        self.assertTrue(old.alive)
        del view
        helpers.collect()
        self.assertTrue(old.alive)
        self.assertEqual(as_list(tail), [10.0, 90.0])
        del tail
        helpers.collect()
        self.assertFalse(old.alive)

    def test_close_is_deferred_while_views_live(self):
        ds = helpers.small_dataset()
        view = ds["frequency"]
        core = helpers.probe(ds._core)
        ds.close()
        self.assertTrue(ds.closed)
        self.assertTrue(core.alive)
        self.assertEqual(as_list(view), [2.0, 1.0, 1.0, 2.0, 0.0])
        with self.assertRaises(tier.ClosedError):
            ds["frequency"]
        del view
        helpers.collect()
        self.assertFalse(core.alive)

    def test_close_without_views_frees_at_once(self):
        ds = helpers.small_dataset()
        core = helpers.probe(ds._core)
        with ds:
            pass
        self.assertFalse(core.alive)
        ds.close()  # idempotent


class Csv(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_retail_sample(self):
        ds = helpers.retail_dataset()
        rep = ds.csv_report
        self.assertEqual(rep.rows, 541909)
        self.assertEqual(rep.rows_no_customer, 135080)
        self.assertEqual(rep.rows_used, 541909 - 135080)
        self.assertEqual(len(ds), 4372)
        self.assertEqual(ds.column_type("Country"), "categorical")
        self.assertEqual(len(ds["Country"].categories), 37)
        self.assertEqual(ds.as_of_datetime.date(), datetime.date(2011, 12, 10))

    def test_strict_error_names_file_line_and_column(self):
        path = self.write("t.csv", "customer_id,time,amount\na,2011-01-01,1\nb,2011-01-02,abc\n")
        with self.assertRaises(tier.ParseError) as cm:
            tier.Dataset.from_csv(path)
        self.assertIn("t.csv:3:3", str(cm.exception))
        self.assertIn("abc", str(cm.exception))
        self.assertEqual(cm.exception.report.rows, 2)  # counted up to the failure

    def test_skip_policy_reports(self):
        path = self.write("t.csv", "id;when;amt;kind\na;2011-01-01;1;x\nb;nope;2;y\n"
                                   "c;2011-01-03;3;\n")
        ds = tier.Dataset.from_csv(path, customer="id", time="when", amount="amt",
                                   delimiter=";", bad_rows="skip", categorical=["kind"])
        self.assertEqual(ds.csv_report.rows_bad, 1)
        self.assertEqual(len(ds.csv_report.messages), 1)
        self.assertIn(":3:", ds.csv_report.messages[0])
        self.assertEqual(ds.customer_ids, ["a", "c"])
        self.assertEqual(ds["kind"].tolist(), ["x", None])

    def test_unknown_column_and_missing_file(self):
        path = self.write("t.csv", "customer_id,time,amount\na,2011-01-01,1\n")
        with self.assertRaises(tier.NotFoundError) as cm:
            tier.Dataset.from_csv(path, amount="amout")
        self.assertIn("amount", str(cm.exception))
        with self.assertRaises(tier.NotFoundError):
            tier.Dataset.from_csv(os.path.join(self.tmp.name, "none.csv"))

    def test_add_and_join_csv(self):
        ds = tier.Dataset()
        rep = ds.add_csv(self.write("a.csv", "customer_id,time,amount\na,2011-01-01,5\n"
                                             "b,2011-01-02,7\n"))
        self.assertEqual(rep.rows_used, 2)
        self.assertTrue(ds.is_stale)
        ds.compute_features()
        rep = ds.join_csv(self.write("c.csv", "customer_id,segment,age\nb,gold,41\nz,x,1\n"),
                          categorical=["segment"], numeric=["age"])
        self.assertEqual(rep.rows_unmatched, 1)
        self.assertEqual(ds["segment"].tolist(), [None, "gold"])
        self.assertEqual(ds["age"][1], 41.0)
        with self.assertRaises(TypeError):
            ds.add_csv("x.csv", as_of=0)

    def test_progress_cancel_and_exception(self):
        path = os.path.join(helpers.DATA, "rfm_data_orders.csv")
        calls = []
        ds = tier.Dataset.from_csv(path, time="order_date", amount="revenue",
                                   progress=lambda d, t: calls.append((d, t)))
        self.assertEqual(calls[0][0], 0)
        self.assertEqual(calls[-1][0], calls[-1][1])
        self.assertEqual(len(ds), 995)
        with self.assertRaises(tier.CancelledError):
            tier.Dataset.from_csv(path, time="order_date", amount="revenue",
                                  progress=lambda d, t: True)

        class Stop(Exception):
            pass

        def boom(done, total):
            raise Stop("from the progress callback")
        target = tier.Dataset()
        with self.assertRaises(Stop):
            target.add_csv(path, time="order_date", amount="revenue", progress=boom)
        self.assertEqual(target.transaction_count, 0)  # a cancelled load adds nothing


class SaveLoadMerge(unittest.TestCase):
    def test_save_load_round_trip(self):
        ds = helpers.small_dataset()
        ds["band"] = ["a", "b", None, "a", "b"]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "ds.tier")
            ds.save(path)
            back = tier.Dataset.load(path)
            self.assertEqual(back.customer_ids, ds.customer_ids)
            self.assertEqual(back.as_of, ds.as_of)
            self.assertEqual(str(as_list(back["recency"])), str(as_list(ds["recency"])))
            self.assertEqual(back["band"].tolist(), ds["band"].tolist())
            with open(path, "r+b") as f:
                f.seek(40)
                f.write(b"\xff\xfe")
            with self.assertRaises(tier.CorruptFileError):
                tier.Dataset.load(path)
            with self.assertRaises(tier.Error):
                tier.Dataset.load(os.path.join(d, "missing"))

    def test_merge_equals_whole_log(self):
        ids = ["a", "b", "a", "c", "b"]
        times = [T0, T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY, T0 + 4 * DAY]
        amounts = [1.0, 2.0, 3.0, 4.0, 5.0]
        whole = tier.Dataset.from_transactions(ids, times, amounts, as_of=T0 + 10 * DAY)
        left = tier.Dataset.from_transactions(ids[:2], times[:2], amounts[:2])
        right = tier.Dataset.from_transactions(ids[2:], times[2:], amounts[2:])
        left.merge(right).compute_features(T0 + 10 * DAY)
        self.assertEqual(left.customer_ids, whole.customer_ids)
        self.assertEqual(as_list(left["monetary"]), as_list(whole["monetary"]))
        with self.assertRaises(tier.InvalidArgumentError):
            left.merge(left)
        with self.assertRaises(TypeError):
            left.merge("not a dataset")


class Pandas(unittest.TestCase):
    @helpers.requires_pandas
    def test_to_pandas(self):
        ds = helpers.small_dataset()
        ds["band"] = ["a", "b", None, "a", "b"]
        df = ds.to_pandas()
        self.assertEqual(list(df.index), ["A", "B", "C", "D", "E"])
        self.assertEqual(df.index.name, "customer_id")
        self.assertEqual(df["monetary"].tolist(), [40.0, 80.0, 5.0, 6.0, -7.0])
        self.assertEqual(str(df["band"].dtype), "category")
        self.assertTrue(df["band"].isna().iloc[2])
        # the frame is a copy: mutating the dataset afterwards does not touch it
        ds["monetary_x"] = [0.0] * 5
        df.loc["A", "monetary"] = -1.0
        self.assertEqual(ds["monetary"][0], 40.0)


if __name__ == "__main__":
    helpers.main()
