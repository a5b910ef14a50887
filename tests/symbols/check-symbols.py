#!/usr/bin/env python3
"""Checks the dynamic symbol table of libtier.so against the public headers and the version script.

    check-symbols.py --nm NM --library libtier.so --include include/tier --map lib/libtier.map

Fails (exit 1), listing every offender, when:
  * the library exports a symbol outside `tier_*` (internal `tier__*` helpers included), apart
    from the linker's _init/_fini/_edata/_end/__bss_start and the version-node symbols (TIER_0.1);
  * an exported symbol carries no version node, or a node that lib/libtier.map does not define;
  * a function declared with TIER_API in include/tier/**/*.h is not exported (declarations inside
    `#ifdef TIER_EXPERIMENTAL` are exempt: experimental API is not part of the promise);
  * an exported function or variable is not declared with TIER_API in a public header;
  * a symbol is exported as a function but declared as a variable, or the other way round;
  * the version script names symbols explicitly (no `tier_*` glob) and a declared function is
    missing from it, or it names something no header declares.
"""

import argparse
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tier_headers import IDENT, header_declarations, strip_comments  # noqa: E402,I100

LINKER_SYMBOLS = {"_init", "_fini", "_edata", "_end", "__bss_start"}
FUNCTION_TYPES = set("TtWwi")
DATA_TYPES = set("DdBbRrVvGgSsu")


def exported_symbols(nm, library):
    """Returns ({name: (type_letter, version or None)}, {version nodes})."""
    out = subprocess.run([nm, "-D", "--defined-only", library], check=True,
                         stdout=subprocess.PIPE, universal_newlines=True).stdout
    symbols = {}
    nodes = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        letter, full = parts[-2], parts[-1]
        name, _, version = full.partition("@")
        version = version.lstrip("@") or None
        if letter == "A" and version is None and re.match(r"^[A-Z][A-Z0-9_]*_[0-9][0-9.]*$", name):
            nodes.add(name)  # the version node itself, e.g. TIER_0.1
            continue
        symbols[name] = (letter, version)
    return symbols, nodes


def version_script(path):
    """Returns ({node: [patterns]}) for the global: sections of a GNU ld version script."""
    with open(path, encoding="utf-8") as f:
        text = strip_comments(f.read())
    nodes = {}
    for m in re.finditer(r"(" + IDENT + r"(?:\.[0-9]+)*)\s*\{(.*?)\}\s*(" + IDENT +
                         r"(?:\.[0-9]+)*)?\s*;", text, flags=re.S):
        node, body = m.group(1), m.group(2)
        patterns = []
        section = "global"
        for item in re.split(r";", body):
            item = item.strip()
            sec = re.match(r"(global|local)\s*:\s*(.*)", item, flags=re.S)
            if sec:
                section, item = sec.group(1), sec.group(2).strip()
            if item and section == "global":
                patterns.append(item)
        nodes[node] = patterns
    return nodes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nm", default="nm")
    ap.add_argument("--library", required=True)
    ap.add_argument("--include", required=True, help="include/tier of the source tree")
    ap.add_argument("--map", help="the linker version script (lib/libtier.map)")
    args = ap.parse_args()

    decls, errors = header_declarations(args.include)
    symbols, nodes = exported_symbols(args.nm, args.library)
    script = version_script(args.map) if args.map else None

    for name in sorted(symbols):
        letter, version = symbols[name]
        if name in LINKER_SYMBOLS:
            continue
        if name.startswith("tier__"):
            if letter == "i" or name.endswith(".resolver"):
                hint = ("GCC exports the ifunc of a target_clones function whatever its "
                        "visibility: make it static")
            else:
                hint = "no TIER_API on them"
            errors.append("exported internal symbol %s (%s): tier__ functions must stay hidden "
                          "(%s)" % (name, letter, hint))
            continue
        if not name.startswith("tier_"):
            errors.append("exported symbol outside the tier_ namespace: %s (%s)" % (name, letter))
            continue
        if version is None:
            errors.append("exported symbol %s has no version node (is lib/libtier.map applied?)"
                          % name)
        elif script is not None and version not in script:
            errors.append("exported symbol %s@%s: node %s is not in %s"
                          % (name, version, version, args.map))
        decl = decls.get(name)
        kind = "function" if letter in FUNCTION_TYPES else "variable"
        if decl is None:
            errors.append("exported %s %s is not declared with TIER_API in any public header"
                          % (kind, name))
        elif decl[0] != kind:
            errors.append("%s: %s is declared as a %s but exported as a %s (nm type %s)"
                          % (decl[2], name, decl[0], kind, letter))

    def by_place(name):
        path, _, line = decls[name][2].rpartition(":")
        return (path, int(line))

    for name in sorted(decls, key=by_place):
        kind, experimental, where = decls[name]
        if experimental:
            continue
        if name not in symbols:
            errors.append("%s: %s %s is declared TIER_API but not exported by %s "
                          "(not implemented, static, or missing from lib/meson.build?)"
                          % (where, kind, name, os.path.basename(args.library)))

    if script is not None:
        listed = {}
        globbed = False
        for node, patterns in script.items():
            for p in patterns:
                if any(c in p for c in "*?["):
                    globbed = True
                else:
                    listed[p] = node
        if not globbed:
            for name in sorted(decls):
                if not decls[name][1] and name not in listed:
                    errors.append("%s: %s is not listed in %s" % (decls[name][2], name, args.map))
            for name in sorted(listed):
                if name not in decls:
                    errors.append("%s lists %s (node %s), which no public header declares"
                                  % (args.map, name, listed[name]))

    n_exported = sum(1 for n in symbols if n.startswith("tier_"))
    n_declared = sum(1 for d in decls.values() if not d[1])
    if errors:
        print("FAIL: %d problem(s) with the exported symbols of %s:" % (len(errors), args.library))
        for e in errors:
            print("  " + e)
        # Repeated last, as meson --print-errorlogs shows only the end of a long log.
        per_file = {}
        for e in errors:
            m = re.match(r"(include/\S+\.h):\d+:", e)
            key = m.group(1) if m else "library"
            per_file[key] = per_file.get(key, 0) + 1
        print("Problems per header: " + ", ".join("%s (%d)" % kv for kv in sorted(per_file.items())))
        return 1
    print("ok: %d exported tier_* symbols, %d TIER_API declarations (+%d experimental), "
          "nodes %s" % (n_exported, n_declared, len(decls) - n_declared,
                        ", ".join(sorted(nodes)) or "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
