"""Finds the TIER_API declarations of the public headers (shared by tests/symbols and tests/abi)."""

import os
import re

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments(text):
    """Removes C comments, keeping newlines so that line numbers stay right."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    return re.sub(r"/\*.*?\*/|//[^\n]*", blank, text, flags=re.S)


def header_declarations(include_dir):
    """Returns ({name: (kind, experimental, 'file:line')}, [problems]) for every TIER_API
    declaration under include_dir (kind is "function" or "variable"; experimental is True inside
    an #if/#ifdef that mentions TIER_EXPERIMENTAL)."""
    decls = {}
    problems = []
    srcdir = os.path.dirname(os.path.dirname(os.path.abspath(include_dir)))
    for root, _, files in os.walk(include_dir):
        for fname in sorted(files):
            if not fname.endswith(".h"):
                continue
            path = os.path.join(root, fname)
            rel = os.path.relpath(path, srcdir)
            with open(path, encoding="utf-8") as f:
                text = strip_comments(f.read())
            # Blank out preprocessor lines (the TIER_API definition itself, includes, macros),
            # remembering for each line whether it sits inside an #if mentioning TIER_EXPERIMENTAL.
            lines = text.split("\n")
            stack = []
            experimental_line = []
            continued = False
            for i, line in enumerate(lines):
                stripped = line.strip()
                if continued or stripped.startswith("#"):
                    directive = stripped.lstrip("#").strip()
                    if not continued:
                        if re.match(r"if(n?def)?\b", directive):
                            stack.append("TIER_EXPERIMENTAL" in directive)
                        elif re.match(r"(elif|else)\b", directive) and stack:
                            stack[-1] = stack[-1] or "TIER_EXPERIMENTAL" in directive
                        elif re.match(r"endif\b", directive) and stack:
                            stack.pop()
                    continued = line.rstrip().endswith("\\")
                    lines[i] = ""
                experimental_line.append(any(stack))
            body = "\n".join(lines)
            for m in re.finditer(r"\bTIER_API\b([^;{]*)[;{]", body):
                decl = m.group(1)
                lineno = body.count("\n", 0, m.start()) + 1
                where = "%s:%d" % (rel, lineno)
                paren = decl.find("(")
                if paren >= 0:
                    # Function: the identifier just before the parameter list. A declaration like
                    # "int (*tier_f(void))(int)" has its name after "(*".
                    head = decl[:paren]
                    names = re.findall(IDENT, head)
                    if not names or names[-1] in ("const", "volatile"):
                        inner = re.match(r"\s*\*\s*(" + IDENT + r")\s*\(", decl[paren + 1:])
                        names = [inner.group(1)] if inner else []
                    kind = "function"
                else:
                    names = re.findall(IDENT + r"(?=\s*(?:\[|=|$))", decl.strip())
                    kind = "variable"
                if not names:
                    problems.append("%s: cannot parse TIER_API declaration: %s"
                                    % (where, " ".join(decl.split())))
                    continue
                # A redeclaration (e.g. in another header) keeps the first place.
                decls.setdefault(names[-1], (kind, experimental_line[lineno - 1], where))
    return decls, problems
