"""Conformance with the literature on the CDNOW sample (examples/data/cdnow_sample.csv).

The published figures (Fader, Hardie & Lee 2005 for BG/NBD and Pareto/NBD; Fader & Hardie's
2013 note for Gamma-Gamma) were reproduced independently by tests/data/clv/cdnow_reference.py
(numpy/scipy, no libtier) before this test was written; the test asserts libtier's one-call
fit against the PUBLISHED values to their printed precision (|fit - published| <= half a unit
of the last printed digit) and the log-likelihoods within 0.05.

How the literature's definitions map onto libtier (checked against Hardie's own calibration
summary of this file: x, t_x, T and mean repeat spend agree for all 2,357 customers):
  * The literature counts every record as a purchase; eight one-time buyers have a record of
    value 0.00, which libtier (csv.h, dataset.h) counts as neither a purchase nor a return, so
    the count models read the number of CDs (always >= 1) as the amount: the models use only
    purchase days, never amounts.
  * The calibration period is 1997-01-01 .. 1997-09-30 inclusive, with T measured to the START
    of 1997-09-30 (a 1997-01-01 customer has T = 38.86 weeks, a 1997-09-30 purchase has
    t_x = T): tier_clv_calibration_split() with the end 1997-10-01T00:00Z does exactly that
    (purchases count at the start of their day; T ends at the start of the last calibration
    day).
"""

import csv
import math
import os
import tempfile
import unittest

import helpers
from helpers import tier

CDNOW = os.path.join(helpers.DATA, "cdnow_sample.csv")
CSV = {"time": "date", "amount": "cds", "time_format": "%Y%m%d"}
CAL_END = "1997-10-01T00:00:00Z"  # the period ends with 1997-09-30, included

PUB_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUB_BGNBD_LL = -9582.4
PUB_PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
PUB_PARETO_LL = -9595.0
PUB_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


class CdnowTest(unittest.TestCase):
    def assertPublished(self, fitted, published, decimals):
        half = 0.5 * 10.0 ** -decimals + 1e-12
        for k, v in published.items():
            self.assertLessEqual(abs(fitted[k] - v), half,
                                 "%s = %.6f, published %s" % (k, fitted[k], v))

    @classmethod
    def setUpClass(cls):
        cls.bg, cls.bg_ds = tier.CLV.fit_csv(CDNOW, CAL_END, csv=CSV, model="bgnbd",
                                             unit="weeks", horizon=39)

    def test_calibration_summary(self):
        ds = self.bg_ds
        self.assertEqual(len(ds), 2357)
        x = list(ds["cal_repeat_count"])
        self.assertEqual(sum(1 for v in x if v > 0), 946)
        self.assertEqual(sum(x), 2457)  # repeat purchase days in the calibration period
        self.assertEqual(sum(ds["holdout_purchases"]), 1882)
        r = ds.find("0001")  # ids are kept as written, zero padding included
        self.assertEqual(x[r], 2)
        self.assertAlmostEqual(ds["cal_t_x"][r] / 7, 30.43, delta=0.005)
        self.assertAlmostEqual(ds["cal_T"][r] / 7, 38.86, delta=0.005)

    def test_bgnbd(self):
        info = self.bg.fit_info()
        self.assertTrue(info["converged"])
        self.assertEqual(info["n_customers"], 2357)
        self.assertEqual(self.bg.model, "bgnbd")
        self.assertPublished(self.bg.params, PUB_BGNBD, 3)
        self.assertLessEqual(abs(info["loglik"] - PUB_BGNBD_LL), 0.05, info["loglik"])

    def test_bgnbd_conditional_expectation(self):
        """FHL 2005: a customer with x = 2, t_x = 30.43, T = 38.86 is expected to make 1.226
        purchases in the next 39 weeks."""
        args = ([2.0], [30.43], [38.86], 39.0)
        for params in (self.bg.params, PUB_BGNBD):
            e = tier.CLV.predict("expected_purchases", params, *args)[0]
            self.assertLessEqual(abs(e - 1.226), 0.0005, e)
        # customer 0001 of the file is that customer: the scorer's own output over 39 weeks
        self.bg.apply(self.bg_ds)
        e = self.bg_ds["expected_purchases"][self.bg_ds.find("0001")]
        self.assertLessEqual(abs(e - 1.226), 0.0005, e)

    def test_pareto_nbd(self):
        clv, ds = tier.CLV.fit_csv(CDNOW, CAL_END, csv=CSV, model="pareto_nbd", unit="weeks")
        info = clv.fit_info()
        self.assertTrue(info["converged"])
        self.assertEqual(info["n_customers"], 2357)
        self.assertEqual(clv.model, "pareto_nbd")
        self.assertPublished(clv.params, PUB_PARETO, 3)
        self.assertLessEqual(abs(info["loglik"] - PUB_PARETO_LL), 0.05, info["loglik"])

    def test_gamma_gamma(self):
        """Spend model on the calibration period's repeat purchases: the one-call fit's spend
        column (repeat_spend) would cover the whole log, so the calibration transactions are
        loaded on their own, with their dollar values as amounts."""
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "cdnow_calibration.csv")
            with open(CDNOW, newline="") as fin, open(path, "w", newline="") as fout:
                rows = csv.reader(fin)
                w = csv.writer(fout)
                w.writerow(next(rows))
                w.writerows(r for r in rows if r[2] <= "19970930")
            ds = tier.Dataset.from_csv(path, time="date", amount="value",
                                       time_format="%Y%m%d")
        clv = tier.CLV(spend="repeat_spend", unit="weeks").fit(ds)
        info = clv.fit_info("spend")
        self.assertTrue(info["converged"])
        self.assertEqual(info["n_customers"], 946)
        self.assertPublished(clv.spend_params, PUB_GG, 2)
        # the reference script's maximum (same 946 customers, numpy/scipy): -4055.918
        self.assertAlmostEqual(info["loglik"], -4055.918, delta=0.01)

    def test_any_instant_of_the_day_after_ends_the_same_period(self):
        """The split works at day resolution: an end anywhere inside 1997-09-30 (after its
        start) keeps that day in the calibration period and gives the same summary as the end
        1997-10-01T00:00Z; the end 1997-09-30T00:00Z leaves that day out."""
        for end in ("1997-09-30T00:00:01Z", "1997-09-30T23:59:59Z"):
            _, ds = tier.CLV.fit_csv(CDNOW, end, csv=CSV, unit="weeks")
            for col in ("cal_repeat_count", "cal_t_x", "cal_T"):
                self.assertEqual(list(ds[col]), list(self.bg_ds[col]), (end, col))
        _, ds = tier.CLV.fit_csv(CDNOW, "1997-09-30T00:00:00Z", csv=CSV, unit="weeks")
        r = ds.find("0001")
        self.assertEqual(ds["cal_T"][r], 271.0)  # 1997-01-01 .. 1997-09-29
        self.assertEqual(ds["cal_T"][r] + 1, self.bg_ds["cal_T"][r])


if __name__ == "__main__":
    unittest.main()
