"""Misuse must raise, never crash: wrong types, closed handles, freed parents, exceptions in
user strategies, garbage-collection order, interpreter exit with live objects, threads."""

import os
import subprocess
import sys
import tempfile
import threading
import unittest
import weakref

import helpers
from helpers import tier
from tier._lowlevel import C

RULES = "tier Gold when monetary >= 50\ntier Silver when monetary >= 5\notherwise Bronze\n"


class WrongTypes(unittest.TestCase):
    def test_handles_of_the_wrong_kind(self):
        ds = helpers.small_dataset()
        rfm = tier.RFM(nan="unscored")
        rules = tier.Rules(RULES)
        with self.assertRaises(TypeError):
            rfm.fit("not a dataset")
        with self.assertRaises(TypeError):
            rfm.apply(rules)
        with self.assertRaises(TypeError):
            rules.assign(rfm)
        with self.assertRaises(TypeError):
            rules.assign(ds, previous="last month")
        with self.assertRaises(TypeError):
            rules.whatif("candidate", ds)
        with self.assertRaises(TypeError):
            tier.Summary(rules, "tier")
        # The low-level layer checks too, and raises the real exception (not ArgumentError).
        with self.assertRaises(TypeError):
            C.tier_dataset_size(rfm)
        with self.assertRaises(TypeError):
            C.tier_scorer_fit(rfm, rules)
        with self.assertRaises(TypeError):
            C.tier_dataset_size(None)

    def test_values_of_the_wrong_type(self):
        ds = helpers.small_dataset()
        with self.assertRaises(TypeError):
            ds.column(5)
        with self.assertRaises(TypeError):
            ds["x"] = [object()] * 5
        with self.assertRaises(TypeError):
            ds["x"] = 3.0
        with self.assertRaises(TypeError):
            tier.Rules(123)
        with self.assertRaises(TypeError):
            tier.AHP.parse(None)
        with self.assertRaises(ValueError):
            ds.compute_features("yesterday")
        with self.assertRaises(TypeError):
            ds.compute_features(True)
        with self.assertRaises(ValueError):
            ds.column("mone\0tary")
        with self.assertRaises(TypeError):
            tier.Dataset.from_csv(os.path.join(helpers.DATA, "rfm_data_orders.csv"),
                                  categorical="first_name")
        with self.assertRaises(TypeError):
            tier.Dataset.from_csv(os.path.join(helpers.DATA, "rfm_data_orders.csv"),
                                  progress=42)
        with self.assertRaises(ValueError):
            tier.RFM(nan="skip")
        with self.assertRaises(tier.InvalidArgumentError):
            tier.Dataset(n_threads=-1) if False else tier.RFM(bins=1)
        with self.assertRaises(ValueError):
            tier.Dataset(n_threads=-1)


class ClosedHandles(unittest.TestCase):
    def test_every_handle_raises_after_close(self):
        ds = helpers.small_dataset()
        rfm = tier.RFM(nan="unscored")
        rules = tier.Rules(RULES)
        a = rules.assign(ds)
        ahp = tier.AHP(["a", "b"], {("a", "b"): 2})
        h = tier.AHPHierarchy("goal")
        s = tier.Summary(ds, "frequency")
        w = rules.whatif(rules, ds)
        for obj, call in [(ds, lambda: len(ds)), (ds, lambda: ds["recency"]),
                          (rfm, lambda: rfm.outputs), (rules, lambda: rules.tiers),
                          (a, lambda: a.counts()), (ahp, lambda: ahp.compute()),
                          (h, lambda: h.add("x")), (s, lambda: s.rows()),
                          (w, lambda: w.changed)]:
            with self.subTest(obj=type(obj).__name__):
                obj.close()
                self.assertTrue(obj.closed)
                with self.assertRaises(tier.ClosedError):
                    call()
                obj.close()  # idempotent
                with self.assertRaises(tier.ClosedError):
                    with obj:
                        pass
                self.assertIn("closed", repr(obj))

    def test_closed_handles_as_arguments(self):
        ds = helpers.small_dataset()
        rules = tier.Rules(RULES)
        prev = rules.assign(ds)
        prev.close()
        with self.assertRaises(tier.ClosedError):
            rules.assign(ds, previous=prev)
        closed = helpers.small_dataset()
        closed.close()
        for call in (lambda: tier.RFM().fit(closed), lambda: rules.assign(closed),
                     lambda: rules.evaluate(closed), lambda: ds.merge(closed),
                     lambda: tier.Summary(closed, "recency"), lambda: tier.choose_k(closed),
                     lambda: tier.Rules(RULES, dataset=closed)):
            with self.assertRaises(tier.ClosedError):
                call()
        ahp = tier.AHP(["a", "b"], {("a", "b"): 2})
        ahp.close()
        with self.assertRaises(tier.ClosedError):
            tier.AHPScorer(ahp)
        with self.assertRaises(tier.ClosedError):
            tier.AHP.aggregate([ahp])

    def test_context_managers_close(self):
        with helpers.small_dataset() as ds, tier.RFM(nan="unscored") as rfm:
            rfm.fit_apply(ds)
        self.assertTrue(ds.closed and rfm.closed)


class FreedParents(unittest.TestCase):
    def test_view_outlives_its_dataset(self):
        ds = helpers.small_dataset()
        view, codes = ds["monetary"], None
        ds["band"] = ["a", "b", "a", "b", None]
        codes = ds["band"]
        probe = helpers.probe(ds._core)
        del ds
        helpers.collect()
        self.assertTrue(probe.alive)  # the views keep the C dataset
        self.assertEqual(list(view), [40.0, 80.0, 5.0, 6.0, -7.0])
        self.assertEqual(codes.tolist(), ["a", "b", "a", "b", None])
        del view, codes
        helpers.collect()
        self.assertFalse(probe.alive)

    def test_scorer_and_assignment_outlive_their_inputs(self):
        ds = helpers.small_dataset()
        rfm = tier.RFM(bins=2, nan="unscored").fit(ds)
        rules = tier.Rules(RULES)
        a = rules.assign(ds)
        tiers = a.tiers
        del ds, rules
        helpers.collect()
        other = helpers.small_dataset()
        rfm.apply(other)
        self.assertEqual(a.counts(), {"Gold": 1, "Silver": 3, "Bronze": 1})
        a_probe = helpers.probe(a._core)
        a.close()
        self.assertTrue(a_probe.alive)  # the tiers view still points into it
        self.assertEqual(list(tiers), [1, 0, 1, 1, 2])
        del tiers
        helpers.collect()
        self.assertFalse(a_probe.alive)

    def test_whatif_children_outlive_the_comparison(self):
        ds = helpers.small_dataset()
        rules = tier.Rules(RULES)
        w = rules.whatif(tier.Rules("tier T when frequency >= 2\notherwise R\n"), ds)
        cand = w.candidate
        view = cand.tiers
        probe = helpers.probe(w._core)
        w.close()
        del w
        helpers.collect()
        self.assertTrue(probe.alive)
        self.assertEqual(cand.counts(), {"T": 2, "R": 3})
        self.assertEqual(list(view), [0, 1, 1, 0, 1])
        cand.close()
        self.assertTrue(probe.alive)  # the view still needs it
        del view
        helpers.collect()
        self.assertFalse(probe.alive)

    def test_hierarchy_judgments_are_a_copy(self):
        h = tier.AHPHierarchy("g")
        h.add("a")
        h.add("b")
        h.set_judgments("g", tier.AHP(["a", "b"], {("a", "b"): 3}))
        h.compute()
        m = h.judgments("g")
        h.close()
        del h
        helpers.collect()
        self.assertAlmostEqual(m.weights["a"], 0.75)


class Boom(Exception):
    pass


class Failing(tier.Strategy):
    name = "failing"
    inputs = ["monetary"]
    outputs = ["out"]

    def __init__(self, where, exc=None):
        self.where = where
        self.exc = exc or Boom("failed in " + where)
        self.seen = []

    def _maybe(self, where):
        if self.where == where:
            raise self.exc

    def fit(self, ds):
        self.seen.append(ds)
        self._maybe("fit")

    def apply(self, ds):
        self.seen.append(ds)
        self._maybe("apply")
        return [1.0] * len(ds)

    def save(self):
        self._maybe("save")
        return b"state"

    def load(self, data):
        self._maybe("load")


class StrategyExceptions(unittest.TestCase):
    def test_exceptions_propagate_as_themselves(self):
        ds = helpers.small_dataset()
        columns = ds.columns
        for where in ("fit", "apply"):
            with self.subTest(where=where):
                sc = tier.CustomScorer(Failing(where))
                with self.assertRaises(Boom) as cm:
                    sc.fit_apply(ds)
                self.assertEqual(str(cm.exception), "failed in " + where)
                self.assertEqual(ds.columns, columns)  # a failing scorer writes nothing
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.model")
            sc = tier.CustomScorer(Failing("save")).fit(ds)
            with self.assertRaises(Boom):
                sc.save(path)
            self.assertFalse(os.path.exists(path))
            tier.CustomScorer(Failing("none")).fit(ds).save(path)
            before = len(tier.scorers._registry)
            with self.assertRaises(Boom):
                tier.CustomScorer.load(path, Failing("load"))
            self.assertEqual(len(tier.scorers._registry), before)  # destroyed on failure
            with self.assertRaises(tier.NotFoundError):
                tier.CustomScorer.load(path, type("Other", (Failing,), {"name": "other"})("x"))

    def test_keyboard_interrupt_and_system_exit(self):
        ds = helpers.small_dataset()
        for exc in (KeyboardInterrupt(), SystemExit(3)):
            with self.subTest(exc=type(exc).__name__):
                with self.assertRaises(type(exc)):
                    tier.CustomScorer(Failing("apply", exc)).fit_apply(ds)

    def test_bad_return_values(self):
        ds = helpers.small_dataset()
        cases = [([1.0, 2.0], ValueError), ({"other": [1.0] * 5}, KeyError),
                 (["x"] * 5, TypeError), (None, TypeError)]
        for result, exc in cases:
            with self.subTest(result=result):
                strat = type("R", (), {"name": "ret", "outputs": ["out"],
                                       "apply": lambda self, d, r=result: r})()
                with self.assertRaises(exc):
                    tier.CustomScorer(strat).apply(ds)
        two = type("T", (), {"name": "two", "outputs": {"a": "numeric", "b": "categorical"},
                             "apply": lambda self, d: [[1.0] * len(d), ["x"] * 4]})()
        with self.assertRaises(ValueError):
            tier.CustomScorer(two).apply(ds)

    def test_borrowed_dataset_is_closed_after_the_callback(self):
        ds = helpers.small_dataset()
        strat = Failing("none")
        tier.CustomScorer(strat).fit_apply(ds)
        kept = strat.seen[0]
        self.assertTrue(kept.closed)
        with self.assertRaises(tier.ClosedError):
            kept["monetary"]
        with self.assertRaises(tier.ClosedError):
            len(kept)

    def test_callbacks_cannot_mutate_the_dataset(self):
        class Mutating(tier.Strategy):
            name = "mutating"
            outputs = ["m"]

            def __init__(self, target):
                self.target = target

            def apply(self, ds):
                with_columns = ds.column("monetary")  # a copy: allowed
                ds["x"] = with_columns  # the lent dataset is read-only
                return with_columns

        ds = helpers.small_dataset()
        with self.assertRaises(tier.InvalidArgumentError):
            tier.CustomScorer(Mutating(ds)).apply(ds)

        class MutatingOwner(Mutating):
            def apply(self, ds):
                self.target["x"] = [0.0] * len(ds)  # the caller's own dataset: busy
                return [0.0] * len(ds)

        with self.assertRaises(tier.InvalidArgumentError) as cm:
            tier.CustomScorer(MutatingOwner(ds)).apply(ds)
        self.assertIn("being scored", str(cm.exception))
        self.assertNotIn("x", ds)
        ds["x"] = [1.0] * 5  # usable again afterwards

    def test_nested_custom_scorers(self):
        inner = tier.CustomScorer(Failing("apply")).fit(helpers.small_dataset())

        class Outer(tier.Strategy):
            name = "outer"
            outputs = ["o"]

            def apply(self, ds):
                other = helpers.small_dataset()
                try:
                    inner.apply(other)
                except Boom:
                    return [7.0] * len(ds)
                raise AssertionError("inner failure was swallowed")

        ds = helpers.small_dataset()
        tier.CustomScorer(Outer()).apply(ds)
        self.assertEqual(list(ds["o"]), [7.0] * 5)

    def test_no_leaks_over_many_failures(self):
        ds = helpers.small_dataset()
        before = len(tier.scorers._registry)
        strat = Failing("apply")
        ref = weakref.ref(strat)
        sc = tier.CustomScorer(strat).fit(ds)
        del strat
        for _ in range(200):
            with self.assertRaises(Boom):
                sc.apply(ds)
        self.assertEqual(len(tier.scorers._registry), before + 1)
        del sc
        helpers.collect()
        self.assertIsNone(ref())  # the registry and the C scorer let go of it
        self.assertEqual(len(tier.scorers._registry), before)

    def test_threads_keep_their_own_exceptions(self):
        class Picky(tier.Strategy):
            name = "picky"
            outputs = ["p"]

            def apply(self, ds):
                if threading.current_thread().name.startswith("bad"):
                    raise Boom(threading.current_thread().name)
                return [1.0] * len(ds)

        sc = tier.CustomScorer(Picky())
        results = {}

        def work(name):
            ds = helpers.small_dataset()
            try:
                for _ in range(50):
                    sc.apply(ds)
                results[name] = "ok"
            except Boom as e:
                results[name] = "boom:" + str(e)

        threads = [threading.Thread(target=work, args=(n,), name=n)
                   for n in ("good-1", "bad-1", "good-2", "bad-2")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results, {"good-1": "ok", "good-2": "ok", "bad-1": "boom:bad-1",
                                   "bad-2": "boom:bad-2"})


class GarbageCollection(unittest.TestCase):
    def test_any_deletion_order(self):
        import gc
        import random
        names = ["ds", "view", "rfm", "custom", "rules", "assignment", "whatif", "child",
                 "summary"]
        rng = random.Random(20111209)
        orders = [list(range(len(names))), list(reversed(range(len(names))))]
        for _ in range(10):
            orders.append(rng.sample(range(len(names)), len(names)))
        for perm in orders:
            objs = {}
            objs["ds"] = helpers.small_dataset()
            objs["view"] = objs["ds"]["monetary"]
            objs["rfm"] = tier.RFM(bins=2, nan="unscored").fit_apply(objs["ds"])
            objs["custom"] = tier.CustomScorer(Failing("none")).fit_apply(objs["ds"])
            objs["rules"] = tier.Rules(RULES)
            objs["assignment"] = objs["rules"].assign(objs["ds"])
            objs["whatif"] = objs["rules"].whatif(objs["rules"], objs["ds"])
            objs["child"] = objs["whatif"].current.tiers
            objs["summary"] = tier.Summary(objs["ds"], "r_score")
            for i in perm:
                del objs[names[i]]
                gc.collect()
        self.assertEqual(len(tier.scorers._registry), 0)

    def test_cycles_through_strategies(self):
        ds = helpers.small_dataset()
        strat = Failing("none")
        sc = tier.CustomScorer(strat)
        strat.scorer = sc  # a cycle through the registry-held strategy
        strat.dataset = ds
        sc.fit_apply(ds)
        ref = weakref.ref(sc)
        del sc, strat
        helpers.collect()
        # The registry keeps the strategy (and so the scorer) until the C scorer is freed:
        # close it explicitly to break such a cycle.
        leftover = ref()
        if leftover is not None:
            leftover.close()
            del leftover
            helpers.collect()
        self.assertIsNone(ref())

    def test_interpreter_exit_with_live_objects(self):
        script = r"""
import sys
sys.path.insert(0, sys.argv[1])
import helpers, tier
class S(tier.Strategy):
    name = "exit_probe"
    outputs = ["e"]
    def apply(self, ds):
        return [1.0] * len(ds)
ds = helpers.small_dataset()
view = ds["monetary"]
sc = tier.CustomScorer(S())
sc.apply(ds)
keep = [ds, view, sc, tier.Rules("otherwise All\n").assign(ds), ds["e"]]
ds.close()
print("done")
"""
        proc = subprocess.run([sys.executable, "-c", script, helpers.HERE],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), "done")
        self.assertEqual(proc.stderr, "")


if __name__ == "__main__":
    helpers.main()
