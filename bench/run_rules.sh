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

. "$here/lib.sh"
bench_parse_args "customers runs build-dir bench" "$@"
bench_require_uint customers runs
[ "$runs" -ge 1 ] || die "--runs must be at least 1"
bench_exe bench bench_rules benchmark

have_numpy=0
bench_python_peer numpy numpy && have_numpy=1
have_duckdb=0
bench_duckdb_peer && have_duckdb=1

# run_one LABEL THREADS CMD... : one process, which times `runs` evaluations itself.
run_one() {
    local extra
    bench_run "$@"
    bench_check_sum "$1" "$2"
    extra=$(awk '$1 == "assign_seconds" { printf "  (tier_assignment_new: %.3f s)", $2 }' <<<"$run_out")
    printf '  %-8s threads %s: %8.4f s  %7.1f MiB%s\n' "$1" "$2" "$run_seconds" \
        "$(bench_div "$run_rss" 1024)" "$extra"
    bench_record "$1" "$2" "$run_seconds" "$run_rss" "$run_version"
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
        ratio="$(bench_div "$s" "$(lookup libtier 1 seconds)" %.2f)@1"
        ratio+=" $(bench_div "$s" "$(lookup libtier 2 seconds)" %.2f)@2"
    elif [ "$t" != libtier ]; then
        ratio=$(bench_div "$s" "$(lookup libtier "$th" seconds)" %.2f)
    fi
    printf '%-8s %7s %10.4f %16.0f %13.1f %18s\n' "$t" "$th" "$s" \
        "$(bench_div "$customers" "$s")" "$(bench_div "$k" 1024)" "$ratio"
done
echo "ratios are peer time / libtier time at the same thread count (> 1: libtier is faster);"
echo "numpy is single-threaded: @1 and @2 compare it with libtier at 1 and 2 threads."
echo "peak RSS includes building the data (libtier: a full dataset with customer ids)."
echo
bench_print_versions
