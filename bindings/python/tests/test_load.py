"""Finding the library, checking its version, and the exception classes."""

import ctypes.util
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import helpers
from helpers import tier
from tier import _lowlevel


def import_tier(env_changes, pythonpath=helpers.PACKAGE_DIR):
    env = dict(os.environ)
    env["PYTHONPATH"] = pythonpath
    for k, v in env_changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return subprocess.run([sys.executable, "-c", "import tier; print(tier.library_path)"],
                          capture_output=True, text=True, env=env, timeout=60)


class Loading(unittest.TestCase):
    def test_loaded_library_and_versions(self):
        self.assertTrue(os.path.exists(tier.library_path))
        self.assertEqual(tier.library_version, "%d.%d.%d" % (
            tier.library_version_number // 10000, tier.library_version_number // 100 % 100,
            tier.library_version_number % 100))
        self.assertEqual(tier.status_message(-2), "out of memory")

    def test_version_check_names_the_mismatch(self):
        self.assertEqual(_lowlevel.check_version(100, "x"), (0, 1, 0))
        self.assertEqual(_lowlevel.check_version(309, "x"), (0, 3, 9))
        for number, shown in ((10000, "1.0.0"), (9, "0.0.9"), (20105, "2.1.5")):
            with self.subTest(number=number):
                with self.assertRaises(ImportError) as cm:
                    _lowlevel.check_version(number, "/some/libtier.so")
                msg = str(cm.exception)
                self.assertIn(shown, msg)
                self.assertIn("/some/libtier.so", msg)
                self.assertIn("needs libtier 0.1", msg)

    def test_bad_tier_library(self):
        proc = import_tier({"TIER_LIBRARY": "/nonexistent/libtier.so"})
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("ImportError", proc.stderr)
        self.assertIn("/nonexistent/libtier.so (from $TIER_LIBRARY)", proc.stderr)
        libz = ctypes.util.find_library("z")
        if libz:
            proc = import_tier({"TIER_LIBRARY": libz})
            self.assertIn("is not libtier", proc.stderr)

    def test_package_directory_is_searched(self):
        with tempfile.TemporaryDirectory() as d:
            pkg = os.path.join(d, "tier")
            shutil.copytree(os.path.join(helpers.PACKAGE_DIR, "tier"), pkg,
                            ignore=shutil.ignore_patterns("__pycache__"))
            shutil.copy(tier.library_path, os.path.join(pkg, "libtier.so.0"))
            proc = import_tier({"TIER_LIBRARY": None}, pythonpath=d)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(proc.stdout.strip(), os.path.join(pkg, "libtier.so.0"))

    def test_import_needs_only_the_standard_library(self):
        script = ("import sys, tier; bad = [m for m in ('numpy', 'pandas') if m in sys.modules];"
                  "print(bad)")
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              env=dict(os.environ, PYTHONPATH=helpers.PACKAGE_DIR), timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), "[]")


class Errors(unittest.TestCase):
    def test_every_status_has_its_class(self):
        expected = {-1: tier.Error, -2: tier.OutOfMemoryError, -3: tier.InvalidArgumentError,
                    -4: tier.InputOutputError, -5: tier.ParseError, -6: tier.NotFoundError,
                    -7: tier.ColumnTypeError, -8: tier.CorruptFileError, -9: tier.VersionError,
                    -10: tier.StaleError, -11: tier.EmptyError, -12: tier.InconsistentError,
                    -13: tier.NotFittedError, -14: tier.RangeError, -15: tier.CallbackError,
                    -16: tier.CancelledError, -17: tier.NotConvergedError,
                    -18: tier.ExistsError, -99: tier.Error}
        for status, cls in expected.items():
            with self.subTest(status=status):
                exc = tier.errors.error_for_status(status, "msg")
                self.assertIs(type(exc), cls)
                self.assertEqual(exc.status, status)
                self.assertEqual(str(exc), "msg")
                self.assertIsInstance(exc, tier.Error)
        self.assertTrue(issubclass(tier.NotFoundError, KeyError))
        self.assertTrue(issubclass(tier.InputOutputError, OSError))
        self.assertTrue(issubclass(tier.ParseError, ValueError))
        self.assertTrue(issubclass(tier.ColumnTypeError, TypeError))

    def test_messages_come_from_the_library(self):
        with self.assertRaises(tier.InputOutputError) as cm:
            tier.Rules.load(helpers.DATA)  # a directory
        self.assertIn(helpers.DATA, str(cm.exception))
        self.assertEqual(cm.exception.status, -4)
        # A later failure without a message never shows an earlier one.
        ds = helpers.small_dataset()
        with self.assertRaises(tier.NotFoundError) as cm:
            ds["nope"]
        self.assertNotIn(helpers.DATA, str(cm.exception))


if __name__ == "__main__":
    helpers.main()
