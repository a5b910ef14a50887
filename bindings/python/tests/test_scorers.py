"""Scorers: RFM, AHP scorer, k-means, model files and user strategies in Python."""

import math
import os
import struct
import tempfile
import unittest

import helpers
from helpers import tier


def quantile7(values, p):
    """R's type-7 quantile (numpy.quantile's default)."""
    xs = sorted(values)
    h = (len(xs) - 1) * p
    lo = math.floor(h)
    return xs[lo] + (h - lo) * (xs[min(lo + 1, len(xs) - 1)] - xs[lo])


class RFMTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ds = helpers.orders_dataset()

    def test_quantile_cuts_match_type7_plus_one(self):
        rfm = tier.RFM(bins=5, mode="quantile").fit(self.ds)
        self.assertTrue(rfm.is_fitted)
        for dim in ("recency", "frequency", "monetary"):
            values = list(self.ds[dim])
            expected = [quantile7(values, k / 5) + 1 for k in range(1, 5)]
            for got, want in zip(rfm.cuts(dim), expected):
                self.assertAlmostEqual(got, want, places=9)

    def test_apply_scores_follow_the_edges(self):
        ds = helpers.orders_dataset()
        rfm = tier.RFM().fit_apply(ds)
        self.assertEqual(rfm.outputs, ["r_score", "f_score", "m_score", "rfm_code",
                                       "rfm_total", "rfm_segment"])
        self.assertEqual(rfm.output_types["rfm_segment"], "categorical")
        edges = rfm.cuts("monetary")
        mon, m = list(ds["monetary"]), list(ds["m_score"])
        for x, s in zip(mon, m):
            self.assertEqual(s, 1 + sum(x >= e for e in edges))
        rec, r = list(ds["recency"]), list(ds["r_score"])
        redges = rfm.cuts("recency")
        for x, s in zip(rec, r):
            self.assertEqual(s, 5 - sum(x >= e for e in redges))  # reversed
        codes = list(ds["rfm_code"])
        f = list(ds["f_score"])
        for i in range(len(ds)):
            self.assertEqual(codes[i], 100 * r[i] + 10 * f[i] + m[i])
        seg = ds["rfm_segment"]
        self.assertIn("Champions", seg.categories)
        summary = rfm.summarize(ds)
        self.assertEqual(sum(row["count"] for row in summary), len(ds))
        self.assertEqual([row["label"] for row in summary], list(seg.categories))
        by_r = rfm.summarize(ds, by="recency")
        self.assertEqual([row["r"] for row in by_r], [1, 2, 3, 4, 5])

    def test_options_and_errors(self):
        self.assertEqual(tier.RFM(bins=(3, 4, 5)).bins, (3, 4, 5))
        self.assertEqual(tier.RFM(bins={"monetary": 2}).bins, (5, 5, 2))
        with self.assertRaises(tier.InvalidArgumentError):
            tier.RFM(bins=11)
        with self.assertRaises(ValueError) as cm:
            tier.RFM(mode="quantil")
        self.assertIn("quantile", str(cm.exception))  # suggestion
        br = tier.RFM(mode="breaks", breaks=([30, 90], [2, 5], [100, 1000]))
        self.assertTrue(br.is_fitted)  # breaks everywhere need no fit
        self.assertEqual(br.bins, (3, 3, 3))
        ds = helpers.orders_dataset()
        br.apply(ds)
        self.assertEqual(set(ds["f_score"]) <= {1.0, 2.0, 3.0}, True)
        with self.assertRaises(tier.InvalidArgumentError):
            tier.RFM(mode="breaks", breaks=([90, 30], None, None))
        with self.assertRaises(tier.NotFittedError):
            tier.RFM().apply(ds)

    def test_nan_policy(self):
        ds = helpers.small_dataset()  # E never purchased: recency NaN
        with self.assertRaises(tier.RangeError) as cm:
            tier.RFM(bins=2).fit(ds)
        self.assertIn("'E'", str(cm.exception))
        tier.RFM(bins=2, nan="unscored").fit_apply(ds)
        self.assertTrue(math.isnan(ds["r_score"][4]))
        self.assertIsNone(ds["rfm_segment"][4])

    def test_segments_table(self):
        rfm = tier.RFM()
        self.assertEqual(rfm.segments[0], tier.Segment("Champions", (5, 5, 5), (5, 5, 5)))
        rfm.clear_segments()
        self.assertEqual(rfm.segments, [])
        rfm.add_segment("Top", (4, 4, 4), (5, 5, 5))
        rfm.insert_segment(0, "Best", (5, 5, 5), (5, 5, 5))
        self.assertEqual([s.name for s in rfm.segments], ["Best", "Top"])
        with self.assertRaises(tier.InvalidArgumentError):
            rfm.add_segment("Bad", (0, 1, 1), (5, 5, 5))
        rfm.remove_segment(0)
        self.assertEqual([s.name for s in rfm.segments], ["Top"])
        rfm.default_segments()
        self.assertEqual(len(rfm.segments), 10)

    def test_prefix_save_load(self):
        ds = helpers.orders_dataset()
        rfm = tier.RFM(mode="rank", prefix="q_").fit(ds)
        self.assertEqual(rfm.prefix, "q_")
        rfm.apply(ds)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "rfm.model")
            rfm.save(path)
            self.assertEqual(tier.model_kind(path), ("rfm", False))
            loaded = tier.Scorer.load(path, prefix="l_")
            self.assertIsInstance(loaded, tier.RFM)
            self.assertEqual(loaded.cuts("monetary"), rfm.cuts("monetary"))
            loaded.apply(ds)
            self.assertEqual(list(ds["l_rfm_code"]), list(ds["q_rfm_code"]))
            self.assertIsInstance(tier.load_model(path), tier.RFM)
        rfm.prefix = "w_"
        self.assertEqual(rfm.outputs[0], "w_r_score")
        with self.assertRaises(tier.InvalidArgumentError):
            rfm.prefix = "9bad"
        with self.assertRaises(tier.NotFittedError):
            tier.RFM().save(os.path.join(tempfile.gettempdir(), "never-written.model"))


class AHPScorerTest(unittest.TestCase):
    def test_weights_scorer_by_hand(self):
        ds = helpers.small_dataset()
        sc = tier.AHPScorer({"monetary": 3, "frequency": 1}, missing="error")
        self.assertEqual(sc.kind, "ahp")
        self.assertAlmostEqual(sc.weights["monetary"], 0.75)
        sc.fit_apply(ds)
        score = list(ds["ahp_score"])
        # min-max: monetary from -7 to 80, frequency from 0 to 2
        for i, (m, f) in enumerate(zip(ds["monetary"], ds["frequency"])):
            want = 100 * (0.75 * (m + 7) / 87 + 0.25 * f / 2)
            self.assertAlmostEqual(score[i], want, places=9)
        self.assertEqual(sc.params("monetary"), (-7.0, 80.0))

    def test_from_ahp_and_rfm(self):
        ahp = tier.AHP(["r", "f", "m"], {("m", "f"): 3, ("m", "r"): 5, ("f", "r"): 2}).compute()
        ds = helpers.orders_dataset()
        tier.RFM().fit_apply(ds)
        sc = tier.AHPScorer.rfm(ahp, bins=5)
        self.assertTrue(sc.is_fitted)
        sc.apply(ds)
        w = ahp.weights
        r, f, m = ds["r_score"], ds["f_score"], ds["m_score"]
        for i in range(0, len(ds), 97):
            want = 100 * (w["r"] * (r[i] - 1) + w["f"] * (f[i] - 1) + w["m"] * (m[i] - 1)) / 4
            self.assertAlmostEqual(ds["ahp_score"][i], want, places=9)
        sc2 = tier.AHPScorer(ahp, columns={"r": "recency", "f": "frequency", "m": "monetary"},
                             directions={"r": "lower"}, normalizations="percentile",
                             components=True)
        sc2.fit_apply(ds)
        self.assertIn("ahp_recency", ds)
        with self.assertRaises(TypeError):
            tier.AHPScorer([1, 2])


class KMeansTest(unittest.TestCase):
    def test_two_obvious_clusters(self):
        ids = ["a%d" % i for i in range(6)] + ["b%d" % i for i in range(6)]
        ds = tier.Dataset.from_transactions(ids, [helpers.T0] * 12, [1.0] * 12,
                                            as_of=helpers.T0 + helpers.DAY)
        ds["x"] = [0, 0.1, 0.2, 0.1, 0, 0.2, 10, 10.1, 10.2, 10, 10.1, 10.2]
        km = tier.KMeans(k=2, features=["x"], transforms="raw", seed=1, order_by="x")
        km.fit_apply(ds)
        clusters = list(ds["cluster"])
        self.assertEqual(clusters, [1.0] * 6 + [0.0] * 6)  # highest mean first
        inertia, iters, converged = km.fit_info
        self.assertTrue(converged)
        self.assertEqual(km.cluster_size(0)[0], 6)
        centers = km.centers()
        self.assertAlmostEqual(centers[0][0], 10.1, places=9)
        choice = tier.choose_k(ds, 2, 3, features=["x"], transforms="raw", seed=1)
        self.assertEqual(choice.ks, [2, 3])
        self.assertEqual(choice.best("silhouette"), 2)
        with self.assertRaises(ValueError):
            tier.KMeans(k=2, init="kmeans++")


class Spend(tier.Strategy):
    """Net spend per day of tenure, banded against the median learned by fit."""
    name = "spend_rate"
    inputs = ["monetary", "tenure"]
    outputs = {"spend_rate": "numeric", "spend_band": "categorical"}

    def __init__(self):
        self.median = None
        self.fits = 0

    def fit(self, ds):
        rates = sorted(m / max(t, 1.0) for m, t in zip(ds["monetary"], ds["tenure"]))
        n = len(rates)
        self.median = rates[n // 2] if n % 2 else (rates[n // 2 - 1] + rates[n // 2]) / 2
        self.fits += 1

    def apply(self, ds):
        rates = [m / max(t, 1.0) for m, t in zip(ds["monetary"], ds["tenure"])]
        return {"spend_rate": rates,
                "spend_band": ["above" if r >= self.median else "below" for r in rates]}

    def save(self):
        return struct.pack("<d", self.median)

    def load(self, data):
        (self.median,) = struct.unpack("<d", data)


class StrategyTest(unittest.TestCase):
    def test_custom_scorer_round_trip(self):
        ds = helpers.orders_dataset()
        strategy = Spend()
        sc = tier.CustomScorer(strategy, prefix="my_")
        self.assertTrue(sc.is_custom)
        self.assertFalse(sc.is_fitted)
        self.assertEqual(sc.kind, "spend_rate")
        self.assertEqual(sc.inputs, ["monetary", "tenure"])
        self.assertEqual(sc.outputs, ["my_spend_rate", "my_spend_band"])
        sc.fit_apply(ds)
        self.assertEqual(strategy.fits, 1)
        rate = list(ds["my_spend_rate"])
        band = ds["my_spend_band"].tolist()
        self.assertEqual(sum(b == "above" for b in band), sum(r >= strategy.median for r in rate))
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "spend.model")
            sc.save(path)
            self.assertEqual(tier.model_kind(path), ("spend_rate", True))
            fresh = Spend()
            loaded = tier.CustomScorer.load(path, fresh, prefix="re_")
            self.assertEqual(fresh.median, strategy.median)
            self.assertTrue(loaded.is_fitted)
            loaded.apply(ds)
            self.assertEqual(list(ds["re_spend_rate"]), rate)
            self.assertIsInstance(tier.load_model(path, Spend()), tier.CustomScorer)
            with self.assertRaises(tier.InvalidArgumentError):
                tier.load_model(path)  # needs the strategy
            with self.assertRaises(tier.NotFoundError):
                tier.Scorer.load(path)  # a user model is not a built-in kind

    def test_minimal_strategy_without_fit_or_save(self):
        class Double:
            name = "double_f"
            inputs = ["frequency"]
            outputs = ["f2"]

            def apply(self, ds):
                return [2 * f for f in ds["frequency"]]

        ds = helpers.small_dataset()
        sc = tier.CustomScorer(Double())
        self.assertTrue(sc.is_fitted)  # no fit callback: usable at once
        sc.apply(ds)
        self.assertEqual(list(ds["f2"]), [4.0, 2.0, 2.0, 4.0, 0.0])
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaises(tier.CallbackError):
                sc.save(os.path.join(d, "x.model"))  # no save callback

    @helpers.requires_numpy
    def test_numpy_outputs(self):
        np = helpers.numpy

        class LogSpend(tier.Strategy):
            name = "log_spend"
            outputs = ["log_spend"]

            def apply(self, ds):
                return np.log1p(np.maximum(ds["monetary"], 0))

        ds = helpers.small_dataset()
        tier.CustomScorer(LogSpend()).apply(ds)
        np.testing.assert_allclose(ds["log_spend"], np.log1p([40, 80, 5, 6, 0]))

    def test_bad_strategy_definitions(self):
        class NoName:
            outputs = ["x"]

            def apply(self, ds):
                return []

        with self.assertRaises(TypeError):
            tier.CustomScorer(NoName())

        class Builtin(NoName):
            name = "rfm"

        with self.assertRaises(tier.ExistsError):
            tier.CustomScorer(Builtin())

        class NoOutputs(NoName):
            name = "no_outputs"
            outputs = []

        with self.assertRaises(tier.InvalidArgumentError):
            tier.CustomScorer(NoOutputs())

    def test_gc_order_scorer_and_dataset(self):
        before = len(tier.scorers._registry)
        for order in ("scorer first", "dataset first"):
            ds = helpers.small_dataset()
            sc = tier.CustomScorer(type("S", (), {
                "name": "gc_probe", "outputs": ["g"],
                "apply": lambda self, d: [1.0] * len(d)})())
            sc.apply(ds)
            if order == "scorer first":
                del sc
                helpers.collect()
                self.assertEqual(list(ds["g"]), [1.0] * 5)
                del ds
            else:
                del ds
                helpers.collect()
                self.assertTrue(sc.is_fitted)
                del sc
            helpers.collect()
        self.assertEqual(len(tier.scorers._registry), before)


if __name__ == "__main__":
    helpers.main()
