#!/bin/sh
# Regenerates the ABI baseline tests/abi/libtier.abi from a build of libtier.
#
#   tests/abi/update-baseline.sh [BUILDDIR]      (default: build)
#
# Run it at release time, from a clean build of the release commit with the default buildtype
# (debugoptimized: the DWARF debug information is what abidw reads types from) and GCC, then
# commit the new baseline together with the release. See doc/abi.md for when (and when not) to
# do this: updating the baseline is how a deliberate ABI change is accepted.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
builddir=${1:-build}
baseline=$here/libtier.abi

case $builddir in
/*) ;;
*) builddir=$srcdir/$builddir ;;
esac
if [ ! -f "$builddir/build.ninja" ]; then
    echo "error: $builddir is not a configured build directory (meson setup $builddir)" >&2
    exit 1
fi

python=$(command -v python3)
ninja -C "$builddir" >/dev/null

# The real file (libtier.so.MAJOR.MINOR.PATCH), not the soname or dev symlinks.
library=
for f in "$builddir"/lib/libtier.so.*.*.*; do
    [ -f "$f" ] && [ ! -L "$f" ] && library=$f
done
if [ -z "$library" ]; then
    echo "error: no shared libtier in $builddir/lib (configured with -Ddefault_library=static?)" >&2
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tier-abi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$python" "$here/check-abi.py" --library "$library" --include "$srcdir/include/tier" \
    --dump "$tmp/new.abi" >/dev/null || {
    echo "error: abidw failed or is not installed (Debian: apt-get install abigail-tools)" >&2
    exit 1
}

if [ -f "$baseline" ]; then
    echo "Changes from the old baseline (review them: removals and changes break the ABI):"
    abidiff "$baseline" "$tmp/new.abi" || true
fi
cp "$tmp/new.abi" "$baseline"
echo "wrote $baseline from $library"
