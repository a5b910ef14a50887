#!/bin/sh
# shellcheck disable=SC2086 # compiler and meson commands are command lines, split on purpose
# Installs the build into a staging directory and builds a program against it with pkg-config,
# as a user of the installed library would (TAP output).
#
# Environment (set by tests/install/meson.build):
#   MESON        the meson command          BUILD_ROOT / SOURCE_ROOT   the two trees
#   TIER_CC      C compiler command line    TIER_CXX   C++ compiler command line (may be empty)
#   TIER_VERSION project version            TIER_SANITIZE  b_sanitize value ("none" or a list)
#   PKG_CONFIG   pkg-config command (default pkg-config)
#
# Steps: `meson install --destdir`; every public header of the source tree is installed; tier.pc
# is found and reports the version; tests/install/consumer.c compiles against the staged tree
# with `pkg-config --cflags --libs tier` (PKG_CONFIG_SYSROOT_DIR points it into the staging
# directory), links against the staged libtier.so (checked with ldd), and prints the expected
# line; the same as C++; and, when a static libtier.a is installed (-Ddefault_library=both or
# static), a program linked with `pkg-config --static --libs tier` against it.
set -u

: "${MESON:?}" "${BUILD_ROOT:?}" "${SOURCE_ROOT:?}" "${TIER_CC:?}" "${TIER_VERSION:?}"
TIER_CXX=${TIER_CXX:-}
TIER_SANITIZE=${TIER_SANITIZE:-none}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tier-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest

echo "1..7"
i=0
failed=0
ok() { i=$((i + 1)); echo "ok $i - $1"; }
not_ok() {
    i=$((i + 1))
    failed=$((failed + 1))
    echo "not ok $i - $1"
    # Details on stderr, which `meson test --print-errorlogs` shows.
    { echo "not ok $i - $1:"; [ -s "$tmp/log" ] && sed 's/^/    /' "$tmp/log"; } >&2
}
skip() { i=$((i + 1)); echo "ok $i - $1 # SKIP $2"; }
bail() {
    echo "Bail out! $1"
    { echo "$1:"; [ -s "$tmp/log" ] && sed 's/^/    /' "$tmp/log"; } >&2
    exit 1
}

# 1. Install.
if $MESON install -C "$BUILD_ROOT" --no-rebuild --destdir "$dest" >"$tmp/log" 2>&1; then
    ok "meson install --destdir"
else
    bail "meson install --destdir $dest failed"
fi

pc=$(find "$dest" -name tier.pc -path '*/pkgconfig/*' | head -n 1)
tier_h=$(find "$dest" -path '*/include/tier/tier.h' | head -n 1)
[ -n "$pc" ] || bail "no pkgconfig/tier.pc installed"
[ -n "$tier_h" ] || bail "no include/tier/tier.h installed"
incdir=$(dirname "$tier_h")

# 2. Every header of include/tier (recursively) is installed, at the same relative path.
: >"$tmp/log"
for h in $(cd "$SOURCE_ROOT/include/tier" && find . -name '*.h' | sed 's|^\./||' | LC_ALL=C sort); do
    if [ ! -f "$incdir/$h" ]; then
        case $h in
        */*) how="install_headers(..., subdir : 'tier/${h%/*}') in include/tier/meson.build" ;;
        *) how="list it at the @public-headers anchor of include/tier/meson.build" ;;
        esac
        echo "include/tier/$h is not installed as <includedir>/tier/$h ($how)" >>"$tmp/log"
    elif ! cmp -s "$SOURCE_ROOT/include/tier/$h" "$incdir/$h"; then
        echo "installed tier/$h differs from the source tree" >>"$tmp/log"
    fi
done
if [ -s "$tmp/log" ]; then not_ok "all public headers installed"; else ok "all public headers installed"; fi

# 3. pkg-config sees the staged tier.pc, with the project version.
PKG_CONFIG_PATH=$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
PKG_CONFIG_SYSROOT_DIR=$dest
# With --prefix=/usr the staged -I/-L would otherwise be dropped as "system" directories.
PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1
PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_ALLOW_SYSTEM_CFLAGS PKG_CONFIG_ALLOW_SYSTEM_LIBS
modversion=$($PKG_CONFIG --modversion tier 2>"$tmp/log") || bail "pkg-config --modversion tier failed"
if [ "$modversion" = "$TIER_VERSION" ]; then
    ok "pkg-config --modversion tier = $modversion"
else
    echo "expected $TIER_VERSION, got $modversion" >"$tmp/log"
    not_ok "pkg-config --modversion tier"
fi
cflags=$($PKG_CONFIG --cflags tier 2>"$tmp/log") || bail "pkg-config --cflags tier failed"
libs=$($PKG_CONFIG --libs tier 2>"$tmp/log") || bail "pkg-config --libs tier failed"
echo "# pkg-config --cflags --libs tier: $cflags $libs"

san=
if [ "$TIER_SANITIZE" != none ] && [ -n "$TIER_SANITIZE" ]; then
    # An instrumented libtier needs the sanitizer runtimes in the program that loads it.
    san="-fsanitize=$TIER_SANITIZE"
fi

expected="libtier $TIER_VERSION: 2 customers; alice monetary=15.00 frequency=2 recency=25; bob monetary=4.25 frequency=1 recency=20"
libdir=
# run_consumer DESC EXE: runs EXE against the staged library and compares its output.
run_consumer() {
    if ! LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$2" >"$tmp/out" 2>"$tmp/log"; then
        not_ok "$1: runs"
        return
    fi
    if [ "$(cat "$tmp/out")" = "$expected" ]; then
        ok "$1: prints the expected figures"
    else
        { echo "expected: $expected"; echo "got:      $(cat "$tmp/out")"; } >"$tmp/log"
        not_ok "$1: prints the expected figures"
    fi
}

# 4-5. Shared library, C: compile with pkg-config flags only, check that the staged libtier.so
# is the one loaded, and run.
shared_lib=$(find "$dest" -name 'libtier.so*' | head -n 1)
if [ -z "$shared_lib" ]; then
    skip "C consumer against libtier.so" "no shared library (default_library=static)"
    skip "C consumer run" "no shared library"
elif $TIER_CC -std=c99 -Wall -Wextra -Werror $san "$SOURCE_ROOT/tests/install/consumer.c" \
    $cflags $libs -o "$tmp/consumer" >"$tmp/log" 2>&1; then
    libdir=$(echo " $libs" | sed -n 's/.* -L\([^ ]*\).*/\1/p')
    LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} ldd "$tmp/consumer" >"$tmp/ldd" 2>&1
    if grep -q "libtier\.so.* => $dest/" "$tmp/ldd"; then
        ok "C consumer builds with pkg-config flags and loads the installed libtier.so"
    else
        cp "$tmp/ldd" "$tmp/log"
        not_ok "C consumer builds with pkg-config flags and loads the installed libtier.so"
    fi
    run_consumer "C consumer" "$tmp/consumer"
else
    not_ok "C consumer builds with pkg-config flags"
    skip "C consumer run" "does not build"
fi

# 6. The same program as C++: links only if the headers declare C linkage.
if [ -z "$TIER_CXX" ]; then
    skip "C++ consumer" "no C++ compiler"
elif [ -z "$shared_lib" ]; then
    skip "C++ consumer" "no shared library"
else
    if $TIER_CXX -std=c++11 -Wall -Wextra -Werror $san -x c++ \
        "$SOURCE_ROOT/tests/install/consumer.c" -x none $cflags $libs -o "$tmp/consumer++" \
        >"$tmp/log" 2>&1; then
        run_consumer "C++ consumer" "$tmp/consumer++"
    else
        not_ok "C++ consumer builds and links (extern \"C\" in every header?)"
    fi
fi

# 7. Static library, when one is installed.
static_lib=$(find "$dest" -name libtier.a | head -n 1)
if [ -z "$static_lib" ]; then
    skip "static consumer" "no libtier.a installed (configure with -Ddefault_library=both)"
else
    static_libs=$($PKG_CONFIG --static --libs tier 2>"$tmp/log") ||
        bail "pkg-config --static --libs tier failed"
    # -l:libtier.a picks the archive even next to libtier.so; the rest (-lm -lz -lpthread)
    # comes from Libs.private.
    static_libs=$(echo " $static_libs " | sed 's/ -ltier / -l:libtier.a /')
    if $TIER_CC -std=c99 -Wall -Wextra -Werror $san "$SOURCE_ROOT/tests/install/consumer.c" \
        $cflags $static_libs -o "$tmp/consumer-static" >"$tmp/log" 2>&1; then
        if readelf -d "$tmp/consumer-static" | grep -q 'NEEDED.*libtier'; then
            echo "consumer-static still needs libtier.so" >"$tmp/log"
            not_ok "static consumer links libtier.a"
        else
            libdir=/nonexistent run_consumer "static consumer" "$tmp/consumer-static"
        fi
    else
        not_ok "static consumer builds with pkg-config --static flags"
    fi
fi

[ "$failed" -eq 0 ]
