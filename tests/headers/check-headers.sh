#!/bin/sh
# shellcheck disable=SC2086 # compiler and meson commands are command lines, split on purpose
# Compiles every public header on its own, as C99 and as C++11, warnings as errors (TAP output).
#
#   check-headers.sh SRCDIR CC [CXX]
#
# CC and CXX may hold several words (e.g. "ccache cc"). Headers are found at run time under
# SRCDIR/include/tier (recursively, so include/tier/sys is covered), so a new header is tested
# without touching this file. For each header:
#   - C99:  -std=c99 -Wall -Wextra -Wpedantic -Werror, included twice (include guard), alone;
#   - C99 with TIER_EXPERIMENTAL defined (the experimental API must compile too);
#   - C++11: -std=c++11 -Wall -Wextra -Wpedantic -Werror (needs an extern "C" block to link, which
#     tests/install checks by linking a C++ program).
# Also checks that the umbrella tier.h includes every header of include/tier (sys/ excepted: the
# extension API is included explicitly).
set -u

if [ $# -lt 2 ]; then
    echo "usage: $0 SRCDIR CC [CXX]" >&2
    exit 2
fi
srcdir=$1
cc=$2
cxx=${3:-}
inc=$srcdir/include

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tier-headers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

headers=$(cd "$inc" && find tier -name '*.h' | LC_ALL=C sort)
if [ -z "$headers" ]; then
    echo "Bail out! no headers under $inc/tier"
    exit 1
fi

n_c=$(echo "$headers" | wc -l)
plan=$((n_c * 2 + 1))
[ -n "$cxx" ] && plan=$((plan + n_c))
echo "1..$plan"

i=0
failed=0
# check DESCRIPTION COMMAND...: runs COMMAND with the test unit on stdin, prints a TAP line.
check() {
    desc=$1
    shift
    i=$((i + 1))
    if "$@" <"$tmp/unit" >"$tmp/out" 2>&1; then
        echo "ok $i - $desc"
    else
        failed=$((failed + 1))
        echo "not ok $i - $desc"
        # Details on stderr, which `meson test --print-errorlogs` shows.
        { echo "not ok $i - $desc:"; sed 's/^/    /' "$tmp/out"; } >&2
    fi
}

for h in $headers; do
    {
        echo "#include <$h>"
        echo "#include <$h>"
        echo "int main(void) { return 0; }"
    } >"$tmp/unit"
    check "$h alone as C99" $cc -std=c99 -Wall -Wextra -Wpedantic -Werror -I"$inc" \
        -x c -fsyntax-only -
    check "$h alone as C99 with TIER_EXPERIMENTAL" $cc -std=c99 -Wall -Wextra -Wpedantic \
        -Werror -DTIER_EXPERIMENTAL -I"$inc" -x c -fsyntax-only -
    if [ -n "$cxx" ]; then
        check "$h alone as C++11" $cxx -std=c++11 -Wall -Wextra -Wpedantic -Werror -I"$inc" \
            -x c++ -fsyntax-only -
    fi
done

# Every header of include/tier (not sys/) is reachable from the umbrella header.
missing=
for h in $headers; do
    case $h in
    tier/tier.h | tier/*/*) continue ;;
    esac
    base=${h#tier/}
    grep -q "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]\(tier/\)\?${base}[>\"]" \
        "$inc/tier/tier.h" || missing="$missing $h"
done
i=$((i + 1))
if [ -z "$missing" ]; then
    echo "ok $i - tier.h includes every header of include/tier"
else
    failed=$((failed + 1))
    echo "not ok $i - tier.h includes every header of include/tier"
    echo "not ok $i - not included by include/tier/tier.h (add them at its @umbrella-includes" \
        "anchor):$missing" >&2
fi

[ "$failed" -eq 0 ]
