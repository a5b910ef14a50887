#!/usr/bin/env bash
# run_features.sh — CSV → per-customer recency/frequency/monetary: libtier vs pandas vs DuckDB.
#
# Generates a reproducible transaction log (gen_transactions, fixed seed) if it is not there
# yet, then times, each in its own process and best of --runs: libtier at 1 and 2 threads,
# pandas (single-threaded), DuckDB at 1 and 2 threads. Checks that every run prints the same
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

while [ $# -gt 0 ]; do
    case "$1" in
        --customers) customers=$2; shift 2 ;;
        --rows) rows=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --data-dir) data_dir=$2; shift 2 ;;
        --build-dir) build_dir=$2; shift 2 ;;
        --gen) gen=$2; shift 2 ;;
        --bench) bench=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run_features.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

die() { echo "run_features.sh: $*" >&2; exit 1; }

for v in customers rows seed runs; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "--$v needs a non-negative integer, got '${!v}'"
done
[ "$runs" -ge 1 ] || die "--runs must be at least 1"

build_dir=${build_dir:-$here/../build}
gen=${gen:-$build_dir/bench/gen_transactions}
bench=${bench:-$build_dir/bench/bench_features}
[ -x "$gen" ] || die "no generator at $gen (build it: meson setup build && ninja -C build; or pass --build-dir / --gen)"
[ -x "$bench" ] || die "no benchmark at $bench (build it: meson setup build && ninja -C build; or pass --build-dir / --bench)"

mkdir -p "$data_dir"
data="$data_dir/transactions-c$customers-r$rows-s$seed.csv"
if [ -f "$data" ]; then
    echo "data: $data (already generated)"
else
    echo "data: generating $data"
    "$gen" --customers "$customers" --rows "$rows" --seed "$seed" --out "$data"
fi
bytes=$(stat -c %s "$data")

# ---- which tools can run ----
have_pandas=0
if command -v "$python" >/dev/null 2>&1 && "$python" -c 'import pandas' >/dev/null 2>&1; then
    have_pandas=1
else
    echo "skipped: pandas ($python with pandas not found; set PYTHON=...)"
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

# ---- timing ----
reference=""     # checksum line every run must print
reference_from=""
declare -a r_tool r_threads r_seconds r_rss r_version

# run_one LABEL THREADS CMD... : runs CMD $runs times, keeps the best time and the largest RSS.
run_one() {
    local label=$1 threads=$2
    shift 2
    local best="" rss=0 version="" out i
    for ((i = 1; i <= runs; i++)); do
        if ! out=$("$@" 2>&1); then
            printf '%s\n' "$out" >&2
            die "$label (threads $threads) failed: $*"
        fi
        local s k sum ver
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
                echo "  $reference_from:"
                echo "    $reference"
                echo "  $label, $threads thread(s), run $i:"
                echo "    $sum"
                echo "  differing fields:"
                diff <(tr ' ' '\n' <<<"$reference") <(tr ' ' '\n' <<<"$sum") | sed -n 's/^[<>]/    &/p'
            } >&2
            exit 1
        fi
        if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$s; fi
        [ "$k" -gt "$rss" ] && rss=$k
        version=$ver
        printf '  %-8s threads %s run %d/%d: %8.3f s  %7.1f MiB\n' "$label" "$threads" "$i" "$runs" \
            "$s" "$(awk -v k="$k" 'BEGIN { print k / 1024 }')"
    done
    r_tool+=("$label"); r_threads+=("$threads"); r_seconds+=("$best"); r_rss+=("$rss")
    r_version+=("$version")
}

echo "timing: best of $runs runs each, every run in its own process"
run_one libtier 1 "$bench" "$data" --threads 1
run_one libtier 2 "$bench" "$data" --threads 2
if [ $have_pandas = 1 ]; then
    run_one pandas 1 "$python" "$here/features_pandas.py" "$data"
fi
if [ $have_duckdb = 1 ]; then
    run_one duckdb 1 "$node" "$here/features_duckdb.mjs" "$data" --threads 1
    run_one duckdb 2 "$node" "$here/features_duckdb.mjs" "$data" --threads 2
fi

# ---- report ----
lookup() { # lookup TOOL THREADS FIELD -> value or empty
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
echo
echo "CSV -> per-customer recency/frequency/monetary"
echo "data: $(basename "$data"): $rows rows, $customers customers, $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB"
echo "machine: $(nproc) cores; wall time is the best of $runs runs; RSS is the process peak"
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
            ratio+=$(awk -v a="$s" -v b="$ls" 'BEGIN { printf "%.2f", a / b }')
            mratio+=$(awk -v a="$k" -v b="$lk" 'BEGIN { printf "%.2f", a / b }')
            if [ "$t" = pandas ]; then ratio+="@$cmp "; mratio+="@$cmp "; fi
        done
    fi
    printf '%-8s %7s %9.3f %11.0f %8.1f %13.1f %15s %15s\n' "$t" "$th" "$s" \
        "$(awk -v r="$rows" -v s="$s" 'BEGIN { print r / s }')" \
        "$(awk -v b="$bytes" -v s="$s" 'BEGIN { print b / 1e6 / s }')" \
        "$(awk -v k="$k" 'BEGIN { print k / 1024 }')" "${ratio% }" "${mratio% }"
done
echo "ratios are peer / libtier at the same thread count (> 1: libtier is faster or smaller);"
echo "pandas is single-threaded, so it is compared with libtier at 1 thread (@1) and 2 threads (@2)"
echo
echo "versions:"
for i in "${!r_tool[@]}"; do
    [ "${r_threads[$i]}" = 1 ] && echo "  ${r_version[$i]}"
done

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
