#!/usr/bin/env bash
# run_rules.sh — a four-tier rule set over N customers: libtier vs numpy.select vs DuckDB CASE WHEN.
#
# Every tool rebuilds the same synthetic columns from the row index (see bench_rules.c), so no
# data file is shared. Each configuration runs in its own process; inside it the evaluation is
# timed best of --runs (data generation is not timed). Every run must print the same checksum
# (per tier: customers and the sum of their row indices), else the script fails loudly. Prints
# customers per second and the ratios of each peer's time to libtier's at the same thread
# count (> 1: libtier is faster).
#
# A peer that is not installed is skipped with a message: numpy needs $PYTHON (default
# /usr/bin/python3) with numpy; DuckDB needs node and `npm ci` run in bench/.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

customers=10000000
runs=3
build_dir=""
bench=""
python=${PYTHON:-/usr/bin/python3}
node=${NODE:-node}

usage() {
    cat <<EOF
usage: run_rules.sh [options]
  --customers N     customers (default $customers)
  --runs K          timed evaluations per process; the best is kept (default $runs)
  --build-dir DIR   meson build directory holding bench/bench_rules (default: build)
  --bench PATH      bench_rules executable (overrides --build-dir)
Environment: PYTHON (default /usr/bin/python3), NODE (default node).
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --customers) customers=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --build-dir) build_dir=$2; shift 2 ;;
        --bench) bench=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run_rules.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

die() { echo "run_rules.sh: $*" >&2; exit 1; }

for v in customers runs; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "--$v needs a non-negative integer, got '${!v}'"
done
[ "$runs" -ge 1 ] || die "--runs must be at least 1"
build_dir=${build_dir:-$here/../build}
bench=${bench:-$build_dir/bench/bench_rules}
[ -x "$bench" ] || die "no benchmark at $bench (build it: meson setup build && ninja -C build; or pass --build-dir / --bench)"

have_numpy=0
if command -v "$python" >/dev/null 2>&1 && "$python" -c 'import numpy' >/dev/null 2>&1; then
    have_numpy=1
else
    echo "skipped: numpy ($python with numpy not found; set PYTHON=...)"
fi
have_duckdb=0
if ! command -v "$node" >/dev/null 2>&1; then
    echo "skipped: DuckDB (node not found)"
elif ! (cd "$here" && "$node" -e "import('@duckdb/node-api').then(() => process.exit(0), () => process.exit(1))") \
        >/dev/null 2>&1; then
    echo "skipped: DuckDB (@duckdb/node-api not installed: run 'npm ci' in $here)"
else
    have_duckdb=1
fi

reference=""
reference_from=""
declare -a r_tool r_threads r_seconds r_rss r_version

# run_one LABEL THREADS CMD... : one process, which times `runs` evaluations itself.
run_one() {
    local label=$1 threads=$2 out
    shift 2
    if ! out=$("$@" 2>&1); then
        printf '%s\n' "$out" >&2
        die "$label (threads $threads) failed: $*"
    fi
    local s k sum ver extra
    s=$(awk '$1 == "seconds" { print $2 }' <<<"$out")
    k=$(awk '$1 == "peak_rss_kib" { print $2 }' <<<"$out")
    sum=$(awk '$1 == "checksum" { $1 = ""; sub(/^ /, ""); print }' <<<"$out")
    ver=$(awk '$1 == "tool" { $1 = ""; sub(/^ /, ""); print }' <<<"$out")
    [ -n "$s" ] && [ -n "$k" ] && [ -n "$sum" ] || { printf '%s\n' "$out" >&2; die "$label printed no result"; }
    if [ -z "$reference" ]; then
        reference=$sum
        reference_from="$label, $threads thread(s)"
    elif [ "$sum" != "$reference" ]; then
        {
            echo
            echo "CHECKSUM MISMATCH: the implementations disagree."
            echo "  $reference_from: $reference"
            echo "  $label, $threads thread(s): $sum"
        } >&2
        exit 1
    fi
    extra=$(awk '$1 == "assign_seconds" { printf "  (tier_assignment_new: %.3f s)", $2 }' <<<"$out")
    printf '  %-8s threads %s: %8.4f s  %7.1f MiB%s\n' "$label" "$threads" "$s" \
        "$(awk -v k="$k" 'BEGIN { print k / 1024 }')" "$extra"
    r_tool+=("$label"); r_threads+=("$threads"); r_seconds+=("$s"); r_rss+=("$k")
    r_version+=("$ver")
}

echo "four-tier rule set over $customers customers; each evaluation timed best of $runs"
echo "rules (bench_rules --rules):"
"$bench" --rules | sed 's/^/    /'
run_one libtier 1 "$bench" --customers "$customers" --threads 1 --runs "$runs"
run_one libtier 2 "$bench" --customers "$customers" --threads 2 --runs "$runs"
if [ $have_numpy = 1 ]; then
    run_one numpy 1 "$python" "$here/rules_numpy.py" --customers "$customers" --runs "$runs"
fi
if [ $have_duckdb = 1 ]; then
    run_one duckdb 1 "$node" "$here/rules_duckdb.mjs" --customers "$customers" --threads 1 --runs "$runs"
    run_one duckdb 2 "$node" "$here/rules_duckdb.mjs" --customers "$customers" --threads 2 --runs "$runs"
fi

lookup() { # lookup TOOL THREADS FIELD
    local i
    for i in "${!r_tool[@]}"; do
        if [ "${r_tool[$i]}" = "$1" ] && [ "${r_threads[$i]}" = "$2" ]; then
            local -n arr="r_$3"
            echo "${arr[$i]}"
            return
        fi
    done
}

echo
echo "checksums agree: $reference"
echo "machine: $(nproc) cores"
echo
printf '%-8s %7s %10s %16s %13s %18s\n' tool threads seconds "customers/s" "peak RSS MiB" "time / libtier"
for i in "${!r_tool[@]}"; do
    t=${r_tool[$i]} th=${r_threads[$i]} s=${r_seconds[$i]} k=${r_rss[$i]}
    ratio=""
    if [ "$t" = numpy ]; then
        # numpy is single-threaded: compared with libtier at 1 and at 2 threads.
        ratio="$(awk -v a="$s" -v b="$(lookup libtier 1 seconds)" 'BEGIN { printf "%.2f", a / b }')@1"
        ratio+=" $(awk -v a="$s" -v b="$(lookup libtier 2 seconds)" 'BEGIN { printf "%.2f", a / b }')@2"
    elif [ "$t" != libtier ]; then
        ratio=$(awk -v a="$s" -v b="$(lookup libtier "$th" seconds)" 'BEGIN { printf "%.2f", a / b }')
    fi
    printf '%-8s %7s %10.4f %16.0f %13.1f %18s\n' "$t" "$th" "$s" \
        "$(awk -v n="$customers" -v s="$s" 'BEGIN { print n / s }')" \
        "$(awk -v k="$k" 'BEGIN { print k / 1024 }')" "$ratio"
done
echo "ratios are peer time / libtier time at the same thread count (> 1: libtier is faster);"
echo "numpy is single-threaded: @1 and @2 compare it with libtier at 1 and 2 threads."
echo "peak RSS includes building the data (libtier: a full dataset with customer ids)."
echo
echo "versions:"
for i in "${!r_tool[@]}"; do
    [ "${r_threads[$i]}" = 1 ] && echo "  ${r_version[$i]}"
done
exit 0
