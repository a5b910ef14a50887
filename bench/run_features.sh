#!/usr/bin/env bash
# run_features.sh — CSV → per-customer recency/frequency/monetary: libtier vs pandas vs DuckDB.
#
# Generates a reproducible transaction log (gen_transactions, fixed seed) if it is not there
# yet, then times, each in its own process and best of --runs (interleaved: one run of every
# configuration per round): libtier at 1 and 2 threads, pandas (single-threaded), DuckDB at 1
# and 2 threads. Checks that every run prints the same
# exact-integer checksum (exits 1 loudly if not), then prints a table with seconds, throughput,
# peak RSS and the time/memory ratios of each peer to libtier at the same thread count.
#
# A peer that is not installed is skipped with a message: pandas needs $PYTHON (default
# /usr/bin/python3) with pandas; DuckDB needs node and `npm ci` run in bench/.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

customers=1000000
rows=4000000
seed=20240601
runs=3
data_dir="$here/out"
build_dir=""
gen=""
bench=""
python=${PYTHON:-/usr/bin/python3}
node=${NODE:-node}

usage() {
    cat <<EOF
usage: run_features.sh [options]
  --customers N     customers in the generated log (default $customers)
  --rows M          rows in the generated log (default $rows)
  --seed S          generator seed (default $seed)
  --runs K          timed runs per configuration; the best wall time is kept (default $runs)
  --data-dir DIR    where the generated CSV is kept (default bench/out)
  --build-dir DIR   meson build directory holding bench/gen_transactions and
                    bench/bench_features (default: build)
  --gen PATH        gen_transactions executable (overrides --build-dir)
  --bench PATH      bench_features executable (overrides --build-dir)
Environment: PYTHON (default /usr/bin/python3), NODE (default node).
EOF
}

. "$here/lib.sh"
bench_parse_args "customers rows seed runs data-dir build-dir gen bench" "$@"
bench_require_uint customers rows seed runs
[ "$runs" -ge 1 ] || die "--runs must be at least 1"
bench_exe gen gen_transactions generator
bench_exe bench bench_features benchmark

mkdir -p "$data_dir"
data="$data_dir/transactions-c$customers-r$rows-s$seed.csv"
if [ -f "$data" ]; then
    echo "data: $data (already generated)"
else
    echo "data: generating $data"
    "$gen" --customers "$customers" --rows "$rows" --seed "$seed" --out "$data"
fi
bytes=$(stat -L -c %s "$data")

# ---- which tools can run ----
have_pandas=0
bench_python_peer pandas pandas && have_pandas=1
have_duckdb=0
bench_duckdb_peer && have_duckdb=1

# ---- timing ----
# Runs are interleaved, round by round (every configuration once per round), so that a change
# in the machine's load between rounds shifts every tool alike instead of one tool's figures.
configs=("libtier 1" "libtier 2")
[ $have_pandas = 1 ] && configs+=("pandas 1")
[ $have_duckdb = 1 ] && configs+=("duckdb 1" "duckdb 2")
declare -A best_s=() max_rss=() version=()

# command_of LABEL THREADS: the command line of one configuration, in the array `cmd`.
command_of() {
    case $1 in
    libtier) cmd=("$bench" "$data" --threads "$2") ;;
    pandas) cmd=("$python" "$here/features_pandas.py" "$data") ;;
    duckdb) cmd=("$node" "$here/features_duckdb.mjs" "$data" --threads "$2") ;;
    esac
}

load_before=$(uptime | sed 's/.*load average: *//')
echo "timing: $runs rounds, each configuration once per round, every run in its own process"
for ((i = 1; i <= runs; i++)); do
    for c in "${configs[@]}"; do
        set -- $c
        command_of "$1" "$2"
        bench_run "$1" "$2" "${cmd[@]}"
        bench_check_sum "$1" "$2" "$i"
        key="$1 $2"
        if [ -z "${best_s[$key]:-}" ] || awk -v a="$run_seconds" -v b="${best_s[$key]}" 'BEGIN { exit !(a < b) }'; then
            best_s[$key]=$run_seconds
        fi
        [ "$run_rss" -gt "${max_rss[$key]:-0}" ] && max_rss[$key]=$run_rss
        version[$key]=$run_version
        printf '  %-8s threads %s run %d/%d: %8.3f s  %7.1f MiB\n' "$1" "$2" "$i" "$runs" \
            "$run_seconds" "$(bench_div "$run_rss" 1024)"
    done
done
for c in "${configs[@]}"; do
    set -- $c
    bench_record "$1" "$2" "${best_s[$c]}" "${max_rss[$c]}" "${version[$c]}"
done
load_after=$(uptime | sed 's/.*load average: *//')

# ---- report ----
echo
echo "checksums agree: $reference"
echo
echo "CSV -> per-customer recency/frequency/monetary"
echo "data: $(basename "$data"): $rows rows, $customers customers, $(bench_div "$bytes" 1e6 %.1f) MB"
echo "machine: $(nproc) cores; wall time is the best of $runs runs; RSS is the process peak"
echo "load average (1, 5, 15 min) before timing: $load_before; after: $load_after"
echo
printf '%-8s %7s %9s %11s %8s %13s %15s %15s\n' tool threads seconds "rows/s" "MB/s" "peak RSS MiB" "time/libtier" "RSS/libtier"
for i in "${!r_tool[@]}"; do
    t=${r_tool[$i]} th=${r_threads[$i]} s=${r_seconds[$i]} k=${r_rss[$i]}
    # pandas has one thread only; it is compared with libtier at each thread count.
    ratio="" mratio=""
    if [ "$t" != libtier ]; then
        for cmp in 1 2; do
            [ "$t" = pandas ] || [ "$cmp" = "$th" ] || continue
            ls=$(lookup libtier "$cmp" seconds) lk=$(lookup libtier "$cmp" rss)
            ratio+=$(bench_div "$s" "$ls" %.2f)
            mratio+=$(bench_div "$k" "$lk" %.2f)
            if [ "$t" = pandas ]; then ratio+="@$cmp "; mratio+="@$cmp "; fi
        done
    fi
    printf '%-8s %7s %9.3f %11.0f %8.1f %13.1f %15s %15s\n' "$t" "$th" "$s" \
        "$(bench_div "$rows" "$s")" "$(awk -v b="$bytes" -v s="$s" 'BEGIN { print b / 1e6 / s }')" \
        "$(bench_div "$k" 1024)" "${ratio% }" "${mratio% }"
done
echo "ratios are peer / libtier at the same thread count (> 1: libtier is faster or smaller);"
echo "pandas is single-threaded, so it is compared with libtier at 1 thread (@1) and 2 threads (@2)"
echo
bench_print_versions

# Targets of issue 2, at 2 threads: >= 3x faster than DuckDB, >= 20x faster than pandas, and a
# lower peak RSS than both.
echo
echo "targets at 2 threads:"
l2s=$(lookup libtier 2 seconds) l2k=$(lookup libtier 2 rss)
check() { # check NAME PEER_SECONDS PEER_RSS FACTOR
    local speed mem
    speed=$(awk -v p="$2" -v l="$l2s" -v f="$4" 'BEGIN { r = p / l; printf "%.2fx faster (target %sx): %s", r, f, (r >= f ? "met" : "NOT met") }')
    mem=$(awk -v p="$3" -v l="$l2k" 'BEGIN { printf "peak RSS %.0f vs %.0f MiB: %s", l / 1024, p / 1024, (l < p ? "lower" : "NOT lower") }')
    echo "  vs $1: $speed; $mem"
}
if [ $have_duckdb = 1 ]; then check "DuckDB (2 threads)" "$(lookup duckdb 2 seconds)" "$(lookup duckdb 2 rss)" 3; fi
if [ $have_pandas = 1 ]; then check "pandas (1 thread)" "$(lookup pandas 1 seconds)" "$(lookup pandas 1 rss)" 20; fi
