"""tier.Summary: group-by tables, pivots, activity and exports."""

import json
import os
import tempfile
import unittest

import helpers
from helpers import tier


def banded():
    ds = helpers.small_dataset()
    ds["band"] = ["hi", "hi", "lo", "lo", None]
    ds["region"] = ["n", "s", "n", "n", "s"]
    return ds


class SummaryTest(unittest.TestCase):
    def test_one_way_with_value_and_margins(self):
        s = tier.Summary(banded(), "band", value="monetary", margins=True)
        self.assertEqual(s.columns, ["band", "count", "share", "monetary_n", "monetary_sum",
                                     "monetary_mean", "monetary_median", "monetary_min",
                                     "monetary_max"])
        self.assertEqual(s.column("band"), ["hi", "lo", "(missing)", "Total"])
        self.assertEqual(s.column("count"), [2.0, 2.0, 1.0, 5.0])
        self.assertEqual(s.column("monetary_sum"), [120.0, 11.0, -7.0, 124.0])
        self.assertEqual(s.value(1, "monetary_median"), 5.5)
        self.assertEqual(s.levels(), [("hi", "value"), ("lo", "value"),
                                      ("(missing)", "missing"), ("Total", "total")])
        self.assertEqual(s.total, 5)
        rows = s.rows()
        self.assertEqual(rows[0]["band"], "hi")
        self.assertAlmostEqual(rows[0]["share"], 0.4)

    def test_two_way_pivot_and_exports(self):
        s = tier.Summary(banded(), "band", "region", include_missing=False)
        self.assertEqual(s.excluded, 1)
        grid = s.pivot("count")
        self.assertEqual(grid.columns, ["band", "n", "s"])
        self.assertEqual(grid.rows(), [{"band": "hi", "n": 1.0, "s": 1.0},
                                       {"band": "lo", "n": 2.0, "s": 0.0}])
        self.assertEqual(grid.to_csv().splitlines(), ["band,n,s", "hi,1,1", "lo,2,0"])
        doc = json.loads(grid.to_json())
        self.assertEqual(doc["rows"][1], {"band": "lo", "n": 2, "s": 0})
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "grid.json")
            grid.export(path, "json")
            with open(path, encoding="utf-8") as f:
                self.assertEqual(json.load(f), doc)
        with self.assertRaises(tier.NotFoundError):
            s.pivot("cnt")
        with self.assertRaises(tier.InvalidArgumentError):
            grid.pivot("n")  # a pivot has one key

    def test_activity(self):
        s = tier.Summary.activity(helpers.small_dataset(), "month")
        labels = s.column("month")
        self.assertEqual(labels, ["2011-01", "2011-02", "2011-03", "2011-04"])
        # A: Jan+Feb, B: Apr, C: Jan, D: Jan+Mar
        self.assertEqual(s.column("count"), [3.0, 1.0, 1.0, 1.0])
        self.assertEqual(s.bucket_start(0), helpers.T0)

    def test_errors(self):
        ds = banded()
        with self.assertRaises(tier.NotFoundError) as cm:
            tier.Summary(ds, "bnd")
        self.assertIn("band", str(cm.exception))
        with self.assertRaises(tier.ColumnTypeError):
            tier.Summary(ds, "band", value="region")
        with self.assertRaises(ValueError):
            tier.Summary(ds, "band", share="everything")
        with self.assertRaises(TypeError):
            tier.Summary("ds", "band")

    @helpers.requires_pandas
    def test_to_pandas(self):
        df = tier.Summary(banded(), "band").to_pandas()
        self.assertEqual(df["count"].tolist(), [2.0, 2.0, 1.0])


if __name__ == "__main__":
    helpers.main()
