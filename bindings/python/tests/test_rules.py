"""tier.Rules, tier.Assignment and tier.WhatIf: compile, assign over periods, events."""

import os
import tempfile
import unittest

import helpers
from helpers import DAY, T0, tier

RULES = """\
tier Gold when monetary >= 50
    label "Best"
    retain when monetary >= 30
tier Silver when monetary >= 5
otherwise Bronze
policy grace 1 evaluation
"""


def period2():
    """A rises, B falls but keeps Gold by retain, C falls, D stays, E is gone, F is new."""
    ids = ["A", "B", "C", "D", "F"]
    amounts = [60.0, 35.0, 1.0, 6.0, 10.0]
    return tier.Dataset.from_transactions(ids, [T0 + 150 * DAY] * 5, amounts,
                                          as_of=T0 + 200 * DAY)


class RulesTest(unittest.TestCase):
    def test_compile_and_describe(self):
        rules = tier.Rules(RULES, source="loyalty.tier")
        self.assertEqual(rules.tiers, ["Gold", "Silver", "Bronze"])
        self.assertEqual(rules.labels, ["Best", "Silver", "Bronze"])
        self.assertEqual(rules.columns, ["monetary"])
        self.assertEqual(rules.source, "loyalty.tier")
        self.assertEqual(rules.grace, 1)
        self.assertEqual(rules.max_downgrade, 0)
        self.assertTrue(rules.has_retain("Gold"))
        self.assertFalse(rules.has_retain(1))
        self.assertEqual(rules.tier_index("Bronze"), 2)
        with self.assertRaises(tier.NotFoundError):
            rules.tier_index("Platinum")
        pinned = tier.Rules(RULES + 'pin "C" to Gold until 2011-06-30\n')
        self.assertEqual(pinned.pins, [tier.Pin("C", "Gold", 1309478400)])

    def test_errors_point_at_the_text(self):
        ds = helpers.small_dataset()
        with self.assertRaises(tier.ParseError) as cm:
            tier.Rules("tier Gold when monetary >>= 5\notherwise X\n", source="r.tier")
        self.assertTrue(str(cm.exception).startswith("r.tier:1:"), str(cm.exception))
        with self.assertRaises(tier.NotFoundError) as cm:
            tier.Rules("tier Gold when monetry > 5\notherwise X\n", dataset=ds)
        self.assertIn("did you mean 'monetary'", str(cm.exception))
        rules = tier.Rules("tier Gold when monetry > 5\notherwise X\n")  # no dataset: later
        with self.assertRaises(tier.NotFoundError) as cm:
            rules.assign(ds)
        self.assertIn("rules:1:16", str(cm.exception))
        with self.assertRaises(tier.NotFoundError):
            rules.check(ds)

    def test_evaluate_and_first_assignment(self):
        ds = helpers.small_dataset()
        rules = tier.Rules(RULES)
        self.assertEqual(list(rules.evaluate(ds)), [1, 0, 1, 1, 2])
        a = rules.assign(ds)
        self.assertEqual(len(a), 5)
        self.assertEqual(a.time, ds.as_of)
        self.assertEqual(a.counts(), {"Gold": 1, "Silver": 3, "Bronze": 1})
        self.assertEqual(a.tier_of_rows(), ["Silver", "Gold", "Silver", "Silver", "Bronze"])
        self.assertEqual(a["B"], "Gold")
        with self.assertRaises(KeyError):
            a["nobody"]
        self.assertEqual({e.kind for e in a.events}, {"new"})
        a.to_column(ds, "tier")
        self.assertEqual(ds["tier"].tolist(), a.tier_of_rows())

    def test_periods_with_grace_retain_and_gone(self):
        rules = tier.Rules(RULES)
        first = rules.assign(helpers.small_dataset())
        ds2 = period2()
        second = rules.assign(ds2, previous=first)
        self.assertEqual(second.tier_of_rows(), ["Gold", "Gold", "Silver", "Silver", "Silver"])
        self.assertEqual(list(second.qualified), [0, 1, 2, 1, 1])
        self.assertEqual(list(second.grace), [0, 0, 1, 0, 0])
        events = {(e.customer_id, e.kind, e.old_tier, e.new_tier) for e in second.events}
        self.assertEqual(events, {("A", "upgrade", "Silver", "Gold"),
                                  ("C", "held", "Silver", "Silver"),
                                  ("F", "new", None, "Silver"),
                                  ("E", "gone", "Bronze", None)})
        third = rules.assign(ds2, previous=second, time=T0 + 300 * DAY)
        self.assertEqual(third["C"], "Bronze")
        self.assertIn(("C", "downgrade"), {(e.customer_id, e.kind) for e in third.events})
        moves = first.transitions(second)
        self.assertEqual(moves[("Silver", "Gold")], 1)
        self.assertEqual(moves[(None, "Silver")], 1)  # F is new
        self.assertEqual(moves[("Bronze", None)], 1)  # E is gone
        with self.assertRaises(tier.InvalidArgumentError):
            rules.assign(ds2, previous=third)  # time must move forward

    def test_overrides_and_save_load(self):
        rules = tier.Rules(RULES)
        ds = helpers.small_dataset()
        a = rules.assign(ds, overrides={"E": ("Gold", "2012-01-01")})
        self.assertEqual(a["E"], "Gold")
        self.assertEqual(a.overrides, [tier.Override("E", "Gold", 1325376000)])
        with self.assertRaises(tier.NotFoundError):
            rules.assign(ds, overrides=[("E", "Platinum", "2012-01-01")])
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "a.tierassign")
            a.save(path)
            back = tier.Assignment.load(path)
            self.assertEqual(back.tier_of_rows(), a.tier_of_rows())
            self.assertEqual(back.overrides, a.overrides)
            self.assertEqual(back.events, a.events)
            events = os.path.join(d, "events.csv")
            a.write_events(events)
            with open(events, encoding="utf-8") as f:
                self.assertEqual(f.readline().strip(), "customer_id,time,kind,old_tier,new_tier")
                self.assertEqual(len(f.readlines()), 5)

    def test_whatif(self):
        current = tier.Rules(RULES)
        candidate = tier.Rules("tier Top when monetary >= 6\notherwise Rest\n")
        ds = helpers.small_dataset()
        w = current.whatif(candidate, ds)
        self.assertEqual(w.current.counts(), {"Gold": 1, "Silver": 3, "Bronze": 1})
        self.assertEqual(w.candidate.counts(), {"Top": 3, "Rest": 2})
        self.assertEqual(w.changed, 5)  # no tier name in common
        self.assertEqual(w.transition("Silver", "Top"), 2)
        self.assertEqual(w.transitions()[("Silver", "Rest")], 1)

    def test_retail_rules(self):
        ds = helpers.retail_dataset()
        a = tier.Rules.load(os.path.join(helpers.RULES, "retail.tier"), dataset=ds).assign(ds)
        counts = a.counts()
        self.assertEqual(list(counts), ["Diamond", "Gold", "Silver", "Normal"])
        self.assertEqual(sum(counts.values()), len(ds))
        mon, freq, rec = ds["monetary"], ds["frequency"], ds["recency"]
        diamonds = sum(1 for i in range(len(ds))
                       if mon[i] >= 5000 and freq[i] >= 10 and rec[i] <= 90)
        self.assertEqual(counts["Diamond"], diamonds)


@helpers.requires_pandas
class PandasTest(unittest.TestCase):
    def test_assignment_to_pandas(self):
        a = tier.Rules(RULES).assign(helpers.small_dataset())
        df = a.to_pandas()
        self.assertEqual(df.loc["B", "tier"], "Gold")
        self.assertEqual(list(df["tier"].cat.categories), ["Gold", "Silver", "Bronze"])


if __name__ == "__main__":
    helpers.main()
