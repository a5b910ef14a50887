#!/bin/sh
# Runs Doxygen on the public headers and fails, with a readable list, on any warning.
#
#   run-doxygen.sh DOXYGEN DOXYFILE SRCDIR [OUTDIR]
#
# DOXYFILE is the configured doc/Doxyfile (meson writes it to <build>/doc/Doxyfile). Without
# OUTDIR the HTML goes to a temporary directory that is removed afterwards: that is the 'doc'
# test, which makes undocumented public API fail `meson test`. With OUTDIR it is the `doc`
# build target (`meson compile -C build doc`, HTML in <build>/doc/html).
#
# Warnings are grouped by header so each owner sees theirs at a glance.
set -eu

if [ $# -lt 3 ]; then
    echo "usage: $0 DOXYGEN DOXYFILE SRCDIR [OUTDIR]" >&2
    exit 2
fi
doxygen=$1
doxyfile=$2
srcdir=$3
out=${4:-}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tier-doxygen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ -z "$out" ]; then
    out=$tmp/out
fi
mkdir -p "$out"
log=$tmp/warnings.txt

# The configured Doxyfile with the output directory overridden (later tags win).
status=0
{ cat "$doxyfile"; echo "OUTPUT_DIRECTORY = $out"; } | "$doxygen" - >"$tmp/stdout.txt" 2>"$log" ||
    status=$?

if [ "$status" -eq 0 ] && [ ! -s "$log" ]; then
    if [ -n "${4:-}" ]; then
        echo "doxygen: the public headers are fully documented; HTML in $out/html"
    else
        echo "doxygen: the public headers are fully documented"
    fi
    exit 0
fi

# Doxygen 1.9 reports members documented by a one-line comment as "<name>:1:"; point those at
# the declaration instead, so each warning names its header.
fixed=$tmp/warnings-located.txt
while IFS= read -r line; do
    case $line in
    '<'*'>:1:'*)
        name=${line#<}
        name=${name%%>*}
        where=$(grep -rn --include='*.h' "TIER_API.*[^A-Za-z0-9_]$name *(" \
                    "$srcdir/include/tier" | head -n 1 | cut -d: -f1,2)
        if [ -n "$where" ]; then
            line="$where:${line#*>:1:}"
        fi
        ;;
    esac
    printf '%s\n' "$line"
done <"$log" >"$fixed"
log=$fixed

# One warning may span several lines (e.g. the list of undocumented parameters); a line that
# starts with "<path>:<line>:" begins a new one. Paths are shown relative to the source tree.
n=$(grep -c '^[^[:space:]]' "$log" || true)
echo "doxygen: $n warning(s) in the public headers (exit status $status)."
echo "Every public type, function, enumerator, macro and parameter needs a Doxygen comment;"
echo "every non-void function needs @return. By header:"
echo
awk -v src="$srcdir/" '
    function flush() { if (cur != "") { body[file] = body[file] cur "\n"; cur = "" } }
    {
        sub(src, "")
        if (match($0, /^[^: ]+:[0-9]+:/)) {
            flush()
            file = substr($0, 1, index($0, ":") - 1)
            if (!(file in count)) order[++nfiles] = file
            count[file]++
            cur = "    " $0
        } else if (cur != "") {
            cur = cur "\n      " $0
        } else {
            file = "(no file)"
            if (!(file in count)) order[++nfiles] = file
            count[file]++
            cur = "    " $0
        }
    }
    END {
        flush()
        for (i = 1; i <= nfiles; i++) {
            f = order[i]
            printf "%s: %d warning(s)\n%s\n", f, count[f], body[f]
        }
        # Repeated last, as meson --print-errorlogs shows only the end of a long log.
        printf "Warnings per header:"
        for (i = 1; i <= nfiles; i++)
            printf " %s (%d)%s", order[i], count[order[i]], i < nfiles ? "," : "\n"
    }' "$log"
exit 1
