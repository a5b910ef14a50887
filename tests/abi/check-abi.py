#!/usr/bin/env python3
"""Compares the ABI of the built libtier.so with the stored baseline (tests/abi/libtier.abi).

    check-abi.py --library libtier.so.X --include include/tier --baseline tests/abi/libtier.abi
    check-abi.py --library libtier.so.X --include include/tier --dump OUT.abi

Passes when the only differences are additions: new functions, new variables, new types, new
enumerators, and new members appended at the end of a versioned public struct (one whose first
member is `version`: the option structs and the scorer vtable, see doc/abi.md). Anything else
fails: a removed or changed function or variable, a changed type (member removed, reordered,
retyped or inserted before the end, an enumerator renamed or renumbered, a typedef changed), a
changed soname.

Declarations inside `#ifdef TIER_EXPERIMENTAL` are not part of the promise and are ignored, and
so are changes to types that no public header defines: the opaque handles (`typedef struct
tier_dataset tier_dataset;` and its kind) and the private types their members use. Callers only
ever hold pointers to those, so their layout is the library's own business; abidw still records
it because the debug information describes the handle's definition.

Exit status: 0 pass, 1 ABI break (or a tool failure), 77 skip (abidw/abidiff not installed, or
the library has no debug information to read types from).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "symbols"))
from tier_headers import header_declarations, strip_comments  # noqa: E402

SKIP = 77

# The baseline and the fresh dump are written with the same options, so that they differ only
# where the ABI does. Private types (not defined in a public header), locations, paths and
# DT_NEEDED entries are left out: none is part of the ABI and each would make noisy diffs.
ABIDW_OPTIONS = ["--drop-private-types", "--no-corpus-path", "--no-comp-dir-path",
                 "--no-show-locs", "--no-elf-needed", "--exported-interfaces-only"]

# abidiff's exit status is a bit field.
ABIDIFF_ERROR = 1
ABIDIFF_USAGE_ERROR = 2
ABIDIFF_ABI_CHANGE = 4
ABIDIFF_ABI_INCOMPATIBLE_CHANGE = 8


def run(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)


def has_debug_info(library):
    readelf = shutil.which("readelf")
    if readelf is None:
        return True  # cannot tell; abidw will complain if it finds nothing
    out = run([readelf, "-S", "-W", library]).stdout
    return ".debug_info" in out


def dump(abidw, library, include, out):
    """Writes the ABI of `library` as abixml to `out`."""
    proc = run([abidw, "--headers-dir", include] + ABIDW_OPTIONS + ["--out-file", out, library])
    if proc.returncode != 0:
        print(proc.stdout)
        print("FAIL: abidw exited with status %d" % proc.returncode)
        sys.exit(1)


def versioned_structs(abi_path):
    """{struct name: [(member name, offset in bits)]} for structs whose first member is `version`.

    Both the struct tag ('struct tier_x_options') and its typedef name appear in diffs; the
    typedefs of anonymous structs take the struct's place.
    """
    root = ET.parse(abi_path).getroot()
    structs = {}
    by_id = {}
    for cls in root.iter("class-decl"):
        members = []
        for dm in cls.findall("data-member"):
            var = dm.find("var-decl")
            if var is not None:
                members.append((var.get("name"), int(dm.get("layout-offset-in-bits", "-1"))))
        if members and members[0][0] == "version":
            if cls.get("name") and not cls.get("is-anonymous") == "yes":
                structs[cls.get("name")] = members
            if cls.get("id"):
                by_id[cls.get("id")] = members
    for td in root.iter("typedef-decl"):
        if td.get("type-id") in by_id:
            structs.setdefault(td.get("name"), by_id[td.get("type-id")])
    return structs


def public_struct_names(include):
    """Names of the structs and unions a public header defines (tags and typedef names)."""
    names = set()
    for root, _, files in os.walk(include):
        for fname in files:
            if not fname.endswith(".h"):
                continue
            with open(os.path.join(root, fname), encoding="utf-8") as f:
                text = strip_comments(f.read())
            for m in re.finditer(r"\b(?:struct|union)\s+(\w+)\s*\{", text):
                names.add(m.group(1))
            # typedef struct [tag] { ... } name;  (anonymous or tagged)
            for m in re.finditer(r"\btypedef\s+(?:struct|union)\s*\w*\s*\{", text):
                depth, i = 0, m.end() - 1
                while i < len(text):
                    depth += {"{": 1, "}": -1}.get(text[i], 0)
                    if depth == 0:
                        break
                    i += 1
                tail = re.match(r"\s*(\w+)", text[i + 1:])
                if tail:
                    names.add(tail.group(1))
    return names


def parse_leaf_report(text):
    """Splits `abidiff --leaf-changes-only` output into (summary lines, {artifact: block})."""
    summary = []
    blocks = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"^'(.+)' changed:$", line)
        if m:
            current = m.group(1)
            blocks[current] = []
        elif current is not None and (line.startswith(" ") or not line.strip()):
            if line.strip():
                blocks[current].append(line.strip())
        else:
            current = None
            if line.strip():
                summary.append(line.strip())
    return summary, blocks


def appended_only(block, old_members, new_members):
    """Whether a struct's change block shows members appended at the end and nothing else."""
    if len(new_members) <= len(old_members) or new_members[:len(old_members)] != old_members:
        return False
    for line in block:
        if re.match(r"^type size (changed from \d+ to \d+|hasn't changed)", line):
            continue
        if re.match(r"^\d+ data member insertions?:$", line):
            continue
        m = re.match(r"^'.*', at offset (\d+) \(in bits\)", line)
        if m and int(m.group(1)) > old_members[-1][1]:
            continue
        return False
    return True


def compare(abidiff, baseline, current, drop_regex, public):
    """Returns (ok, report text)."""
    common = ["--no-added-syms"]
    if drop_regex:
        common += ["--drop", drop_regex]
    proc = run([abidiff] + common + [baseline, current])
    rc = proc.returncode
    if rc == 0:
        return True, ""
    if rc & (ABIDIFF_ERROR | ABIDIFF_USAGE_ERROR):
        return False, proc.stdout + "\nabidiff failed with status %d" % rc
    # Look at each leaf change: accept versioned structs that grew at the end and types that no
    # public header defines; anything else (including what abidiff calls incompatible on its
    # own: removed functions, changed parameters) fails.
    leaf = run([abidiff, "--leaf-changes-only"] + common + [baseline, current])
    summary, blocks = parse_leaf_report(leaf.stdout)
    old_structs = versioned_structs(baseline)
    new_structs = versioned_structs(current)
    problems = []
    for line in summary:
        m = re.search(r"(\d+) Removed, (\d+) Changed", line)
        if m and (int(m.group(1)) or int(m.group(2))):
            problems.append(line)
    for artifact, block in blocks.items():
        name = re.sub(r"^(struct|union|typedef) ", "", artifact)
        if artifact.startswith(("struct ", "union ", "typedef ")) and name not in public:
            continue  # an opaque handle's insides, or a private type
        if (artifact.startswith(("struct ", "typedef ")) and name in old_structs
                and name in new_structs
                and appended_only(block, old_structs[name], new_structs[name])):
            continue
        problems.append("'%s' changed" % artifact)
    if not blocks and not problems:
        problems.append("abidiff reports a change that is not a type change (exit status %d)" % rc)
    if problems:
        return False, leaf.stdout + "\nNot an addition:\n  " + "\n  ".join(problems)
    return True, leaf.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--abidw", default="abidw")
    ap.add_argument("--abidiff", default="abidiff")
    ap.add_argument("--library", required=True, help="the built libtier.so.X.Y.Z")
    ap.add_argument("--include", required=True, help="include/tier of the source tree")
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--baseline", help="compare with this abixml file")
    group.add_argument("--dump", metavar="OUT", help="write the library's abixml to OUT")
    args = ap.parse_args()

    abidw = shutil.which(args.abidw)
    abidiff = shutil.which(args.abidiff)
    if abidw is None or (args.baseline and abidiff is None):
        print("SKIP: libabigail's abidw/abidiff not found (Debian: apt-get install abigail-tools; "
              ".ci/run installs it, so CI never skips this test)")
        return SKIP
    if not has_debug_info(args.library):
        print("SKIP: %s has no DWARF debug information, so its types cannot be compared; build "
              "with -g (the default buildtype debugoptimized has it)" % args.library)
        return SKIP

    if args.dump:
        dump(abidw, args.library, args.include, args.dump)
        print("wrote %s" % args.dump)
        return 0

    if not os.path.exists(args.baseline):
        print("FAIL: no baseline %s; create it with tests/abi/update-baseline.sh" % args.baseline)
        return 1

    decls, _ = header_declarations(args.include)
    experimental = sorted(n for n, d in decls.items() if d[1])
    drop_regex = "^(%s)$" % "|".join(experimental) if experimental else None

    with tempfile.TemporaryDirectory(prefix="tier-abi.") as tmp:
        current = os.path.join(tmp, "current.abi")
        dump(abidw, args.library, args.include, current)
        ok, report = compare(abidiff, args.baseline, current, drop_regex,
                             public_struct_names(args.include))
        added = run([abidiff, "--added-fns", "--added-vars", args.baseline, current]).stdout
    n_added = len(re.findall(r"^\s*\[A\] ", added, flags=re.M))

    if not ok:
        print(report.rstrip())
        print("\nFAIL: the ABI of %s differs from %s by more than additions."
              % (os.path.basename(args.library), args.baseline))
        print("If this break is deliberate, it needs a new soname and a new baseline: see "
              "doc/abi.md ('Breaking the ABI').")
        return 1
    if report.strip():
        print(report.rstrip())
        print()
    print("ok: no ABI change other than additions (%d function(s)/variable(s) added since the "
          "baseline)" % n_added)
    if n_added:
        print(added.rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
