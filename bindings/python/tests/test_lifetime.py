"""tier.CLV, churn, cohort retention and lifecycle stages on the bundled retail sample."""

import math
import os
import tempfile
import unittest

import helpers
from helpers import tier


class CLVTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ds = helpers.retail_dataset()
        cls.clv = tier.CLV(spend="repeat_spend", discount_rate=0).fit_apply(cls.ds)

    def test_fit(self):
        info = self.clv.fit_info()
        self.assertTrue(info["converged"])
        self.assertEqual(info["n_customers"], 4338)  # customers with a purchase
        self.assertEqual(set(self.clv.params), {"r", "alpha", "a", "b"})
        self.assertTrue(all(v > 0 for v in self.clv.params.values()))
        self.assertEqual(set(self.clv.spend_params), {"p", "q", "gamma"})
        self.assertTrue(self.clv.fit_info("spend")["converged"])
        self.assertEqual(self.clv.model, "bgnbd")
        self.assertEqual(self.clv.kind, "clv")

    def test_outputs_agree_with_the_model_functions(self):
        ds, clv = self.ds, self.clv
        x = list(ds["repeat_count"])
        t_x = [v / 7 for v in ds["t_x"]]  # the model works in weeks
        T = [v / 7 for v in ds["T"]]
        for what in ("p_alive", "expected_purchases", "p_no_purchase"):
            direct = list(tier.CLV.predict(what, clv.params, x, t_x, T, 52))
            for a, b in zip(direct, ds[what]):
                if math.isnan(b):
                    self.assertTrue(math.isnan(a))
                else:
                    self.assertAlmostEqual(a, b, delta=1e-12 * max(1.0, abs(b)))
        spend = list(tier.CLV.spend_expected(clv.spend_params, x, ds["repeat_spend"]))
        for a, b in zip(spend, ds["expected_spend"]):
            if not math.isnan(b):
                self.assertAlmostEqual(a, b, delta=1e-9 * abs(b))
        # without discounting, clv = expected spend x expected purchases (margin 1)
        for c, s, e in zip(ds["clv"], ds["expected_spend"], ds["expected_purchases"]):
            if not math.isnan(c):
                self.assertAlmostEqual(c, s * e, delta=1e-9 * max(1.0, abs(c)))
        ll = tier.CLV.loglik(clv.params, x, t_x, T)
        total = sum(v for v in ll if not math.isnan(v))
        self.assertAlmostEqual(total, clv.fit_info()["loglik"], delta=1e-6 * abs(total))

    def test_save_load_and_errors(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "clv.model")
            self.clv.save(path)
            loaded = tier.Scorer.load(path)
            self.assertIsInstance(loaded, tier.CLV)
            self.assertEqual(loaded.params, self.clv.params)
        with self.assertRaises(ValueError):
            tier.CLV(model="pareto")
        with self.assertRaises(tier.InvalidArgumentError):
            tier.CLV(horizon=-1)
        with self.assertRaises(tier.NotFittedError):
            tier.CLV().params
        with self.assertRaises(tier.InvalidArgumentError):
            tier.CLV().fit(self.ds).spend_params  # no spend model

    def test_calibration_split(self):
        sc, cal = tier.CLV.fit_csv(os.path.join(helpers.DATA, "online_retail.csv.gz"),
                                   "2011-09-01", csv=dict(
                                       customer="CustomerID", time="InvoiceDate",
                                       quantity="Quantity", price="UnitPrice",
                                       order="InvoiceNo"))
        self.assertIsInstance(cal, tier.Dataset)
        for col in ("cal_repeat_count", "cal_t_x", "cal_T", "holdout_purchases"):
            self.assertIn(col, cal)
        self.assertEqual(sc.inputs, ["cal_repeat_count", "cal_t_x", "cal_T"])
        ds = helpers.retail_dataset()
        tier.clv_calibration_split(ds, "2011-09-01")
        self.assertEqual(str(list(ds["cal_T"])), str(list(cal["cal_T"])))
        with self.assertRaises(tier.InvalidArgumentError):
            tier.clv_calibration_split(ds, "2012-01-01")  # after as_of


class ChurnLifecycleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ds = helpers.retail_dataset()

    def test_lifecycle(self):
        gap = tier.lifecycle_assign(self.ds)
        self.assertGreaterEqual(gap, 7.0)
        self.assertLessEqual(gap, 365.0)
        stages = self.ds["lifecycle"]
        self.assertEqual(stages.categories, tier.LIFECYCLE_STAGES)
        for stage, first, rec in zip(stages, self.ds["T"], self.ds["recency"]):
            if math.isnan(rec):
                self.assertIsNone(stage)
            elif first <= 30:
                self.assertEqual(stage, "new")
        with self.assertRaises(tier.InvalidArgumentError):
            tier.lifecycle_assign(self.ds, active_factor=5, at_risk_factor=3)
        with self.assertRaises(TypeError):
            tier.lifecycle_assign(self.ds, speed=3)

    def test_churn_flag_and_rates(self):
        ds = self.ds
        tier.churn_flag(ds, rule="recency", recency_days=90, output="lapsed")
        for flag, rec in zip(ds["lapsed"], ds["recency"]):
            if math.isnan(rec):
                self.assertTrue(math.isnan(flag))
            else:
                self.assertEqual(flag, 1.0 if rec > 90 else 0.0)
        rates = tier.churn_rates(ds, flag_column="lapsed")
        self.assertEqual([r.group for r in rates], ["all"])
        total = rates.total
        self.assertEqual(total.customers + total.unknown, len(ds))
        self.assertEqual(total.churned, sum(1 for f in ds["lapsed"] if f == 1.0))
        self.assertAlmostEqual(total.churn_rate, total.churned / total.customers)
        tier.lifecycle_assign(ds)
        by_stage = tier.churn_rates(ds, "lapsed", "lifecycle")
        self.assertEqual(sum(r.customers for r in by_stage), total.customers)
        with self.assertRaises(tier.NotFoundError):
            tier.churn_flag(ds)  # no p_alive column yet

    def test_cohort_retention(self):
        table = tier.cohort_retention(self.ds)
        self.assertEqual(table.labels[0], "2010-12")
        self.assertEqual(table.labels[-1], "2011-12")
        self.assertEqual(sum(table.sizes), 4338)
        for c, size in enumerate(table.sizes):
            if size:
                self.assertEqual(table.active[c][0], size)  # everyone is active in month 0
                self.assertEqual(table.rates[c][0], 1.0)
        self.assertTrue(math.isnan(table.rates[-1][1]))  # not observed yet
        with self.assertRaises(tier.EmptyError):
            tier.cohort_retention(tier.Dataset())


if __name__ == "__main__":
    helpers.main()
