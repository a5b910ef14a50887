"""tier.AHP and tier.AHPHierarchy on the published "leader" example."""

import math
import os
import unittest

import helpers
from helpers import tier

LEADER = os.path.join(helpers.DATA, "ahp", "leader.txt")
# Published priorities (Wikipedia "AHP - leader example"), CR 0.044.
LEADER_W = {"experience": 0.547, "education": 0.127, "charisma": 0.270, "age": 0.056}


class AHPTest(unittest.TestCase):
    def test_leader_example_from_file(self):
        ahp = tier.AHP.load_text(LEADER).compute()
        self.assertEqual(ahp.names, list(LEADER_W))
        for name, w in ahp.weights.items():
            self.assertAlmostEqual(w, LEADER_W[name], delta=0.001)  # as published (3 decimals, truncated)
        self.assertAlmostEqual(ahp.weights["experience"], 0.54756923896183007, places=12)
        self.assertAlmostEqual(sum(ahp.weights.values()), 1.0, places=12)
        self.assertAlmostEqual(ahp.cr, 0.044, places=3)
        self.assertTrue(ahp.is_consistent)
        self.assertGreater(ahp.lambda_max, 4.0)
        self.assertAlmostEqual(ahp.ci, (ahp.lambda_max - 4) / 3, places=12)
        self.assertAlmostEqual(ahp["experience", "charisma"], 3.0)
        self.assertAlmostEqual(ahp["charisma", "experience"], 1 / 3)

    def test_same_judgments_by_setters(self):
        ahp = tier.AHP(["experience", "education", "charisma", "age"])
        self.assertEqual(ahp.missing_count, 6)
        ahp.set_upper([4, 3, 7, 1 / 3, 3, 5])
        ahp.compute()
        ref = tier.AHP.load_text(LEADER).compute()
        for k in LEADER_W:
            self.assertAlmostEqual(ahp.weights[k], ref.weights[k], places=12)
        m = tier.AHP(4)
        self.assertEqual(m.names, ["c1", "c2", "c3", "c4"])
        m.set_matrix([[1, 4, 3, 7], [None, 1, 1 / 3, 3], [None, None, 1, 5],
                      [None, None, None, 1]])
        m.compute()
        self.assertAlmostEqual(m.weights["c1"], ref.weights["experience"], places=12)
        gm = tier.AHP.load_text(LEADER, method="geometric_mean").compute()
        self.assertAlmostEqual(gm.weights["experience"], 0.54624029765584603, places=12)

    def test_missing_judgments_are_completed(self):
        ahp = tier.AHP(["a", "b", "c"], {("a", "b"): 2, ("b", "c"): 3})
        self.assertEqual(ahp.missing_count, 1)
        self.assertTrue(math.isnan(ahp["a", "c"]))
        ahp.compute()
        w = ahp.weights
        self.assertAlmostEqual(ahp.completed("a", "c"), w["a"] / w["c"], places=12)
        self.assertAlmostEqual(w["a"] / w["c"], 6.0, places=9)  # consistent chain
        ahp["a", "b"] = None  # unset: now disconnected
        with self.assertRaises(tier.InvalidArgumentError):
            ahp.compute()

    def test_inconsistency(self):
        ahp = tier.AHP(["a", "b", "c"], {("a", "b"): 9, ("b", "c"): 9, ("c", "a"): 9})
        with self.assertRaises(tier.InconsistentError) as cm:
            ahp.compute()
        self.assertIn("consistency ratio", str(cm.exception))
        self.assertTrue(ahp.is_computed)  # results readable all the same
        self.assertFalse(ahp.is_consistent)
        ahp.compute(allow_inconsistent=True)
        row, col, suggested = ahp.worst_judgment()
        self.assertIn(row, ahp.names)
        self.assertGreater(ahp.cr, 0.1)
        with self.assertRaises(tier.InconsistentError):
            tier.AHPScorer(ahp)
        tier.AHPScorer(ahp, allow_inconsistent=True)

    def test_errors(self):
        ahp = tier.AHP(["a", "b"])
        with self.assertRaises(tier.RangeError):
            ahp["a", "b"] = 20  # off Saaty's scale
        with self.assertRaises(tier.RangeError):
            ahp["a", "b"] = -1
        with self.assertRaises(tier.NotFoundError) as cm:
            ahp["a", "bb"] = 2
        with self.assertRaises(tier.InvalidArgumentError):
            ahp["a", "a"] = 2
        with self.assertRaises(tier.NotFittedError):
            ahp.weights
        with self.assertRaises(tier.InvalidArgumentError):
            tier.AHP(["x", "x"])
        with self.assertRaises(tier.ParseError) as cm:
            tier.AHP.parse("a b\na c 3\n", source="mine.txt")
        self.assertIn("mine.txt:2", str(cm.exception))
        self.assertTrue(math.isnan(tier.random_index(0)))
        self.assertAlmostEqual(tier.random_index(3), 0.58)

    def test_group_decisions(self):
        j1 = tier.AHP(["a", "b"], {("a", "b"): 2})
        j2 = tier.AHP(["b", "a"], {("a", "b"): 8})
        agg = tier.AHP.aggregate([j1, j2]).compute()
        self.assertAlmostEqual(agg["a", "b"], 4.0, places=12)  # geometric mean of 2 and 8
        j1.compute()
        j2.compute()
        w = tier.aggregate_priorities([j1, j2], mean="arithmetic")
        self.assertAlmostEqual(w["a"], (2 / 3 + 8 / 9) / 2, places=12)
        with self.assertRaises(TypeError):
            tier.AHP.aggregate([j1, "judge"])

    def test_copy_is_independent(self):
        a = tier.AHP.load_text(LEADER).compute()
        b = a.copy()
        a["age", "experience"] = 1
        self.assertFalse(a.is_computed)
        self.assertTrue(b.is_computed)


class HierarchyTest(unittest.TestCase):
    def test_two_levels(self):
        h = tier.AHPHierarchy("value")
        h.add("behaviour")
        h.add("profile")
        h.add("monetary", "behaviour")
        h.add("frequency", "behaviour")
        h.add("tenure", "profile")
        top = tier.AHP(["behaviour", "profile"], {("behaviour", "profile"): 3})
        h.set_judgments("value", top)
        h.set_weights("behaviour", {"monetary": 2, "frequency": 1})
        h.compute()
        weights = h.leaf_weights
        self.assertAlmostEqual(weights["monetary"], 0.75 * 2 / 3, places=12)
        self.assertAlmostEqual(weights["frequency"], 0.75 / 3, places=12)
        self.assertAlmostEqual(weights["tenure"], 0.25, places=12)
        self.assertEqual(h.parent("monetary"), h.find("behaviour"))
        self.assertIsNone(h.parent(0))
        self.assertEqual(h.depth("tenure"), 2)
        copy = h.judgments("value")
        self.assertAlmostEqual(copy.weights["behaviour"], 0.75)
        h.set_judgments("value", tier.AHP(["profile", "behaviour"], {("profile", "behaviour"): 1}))
        self.assertAlmostEqual(copy.weights["behaviour"], 0.75)  # a copy: unaffected
        with self.assertRaises(tier.NotFoundError):
            h.add("x", "nowhere")
        with self.assertRaises(tier.ExistsError):
            h.add("tenure", "profile")
        sc = tier.AHPScorer(h.compute())
        self.assertEqual([c[0] for c in sc.criteria], ["monetary", "frequency", "tenure"])


if __name__ == "__main__":
    helpers.main()
