#!/usr/bin/env python3
"""Runs an example program and compares its standard output with an expected file.

Usage: check_output.py EXPECTED -- PROGRAM [ARG ...]
Exit status 0 when the program succeeds and prints exactly the expected text; otherwise the
program's stderr and a unified diff are shown and the status is 1. Used by `meson test
--suite examples` for examples/flow.py and examples/flow.lua, which must print the same lines.
"""

import difflib
import subprocess
import sys


def main(argv):
    if len(argv) < 4 or argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        expected = f.read()
    proc = subprocess.run(argv[3:], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        print("%s exited with status %d" % (argv[3:], proc.returncode), file=sys.stderr)
        return 1
    if proc.stdout != expected:
        sys.stdout.writelines(difflib.unified_diff(
            expected.splitlines(True), proc.stdout.splitlines(True), argv[1], "output"))
        return 1
    sys.stdout.write(proc.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
