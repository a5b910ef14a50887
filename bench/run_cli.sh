#!/usr/bin/env bash
# run_cli.sh — the `tier` command line end to end (transaction CSV -> RFM scores CSV) against
# the same pipeline in pandas and in DuckDB.
#
# Every configuration is one or two whole processes, timed from process start to exit (the
# output file written and closed), interpreter start-up and imports included: wall time from
# the shell, peak RSS from /usr/bin/time -f %M (the process's ru_maxrss). Configurations:
#   tier features FILE --save DS -o features.csv   (step 1 of the two-step pipeline)
#   tier score --rfm --dataset DS -o scores.csv     (step 2)
#   tier, two steps                                 (step 1 + step 2 times; larger RSS)
#   tier score --rfm FILE -o scores.csv             (one step, from the transaction file)
#   pandas: cli_pandas.py FILE -o scores.csv        (single-threaded)
#   DuckDB: cli_duckdb.mjs FILE -o scores.csv --threads N
# tier and DuckDB run at 1 and 2 threads. Then every output is checked against tier's
# one-step scores, per customer (cli_pandas.py --compare: exits 1 loudly on any difference),
# and a table with seconds, peak RSS and the ratios peer / tier is printed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

customers=1000000
rows=4000000
seed=20240601
runs=1
warm=3
data_dir="$here/out"
build_dir=""
gen=""
tier=""
python=${PYTHON:-/usr/bin/python3}
node=${NODE:-node}

usage() {
    cat <<EOF
usage: run_cli.sh [options]
  --customers N     customers in the generated log (default $customers)
  --rows M          rows in the generated log (default $rows)
  --seed S          generator seed (default $seed)
  --runs K          timed runs per configuration; the best wall time is kept (default $runs)
  --warm GIB        touch and free this many GiB first, so that first-touch page faults of the
                    VM do not land in the first timed run (default $warm; 0: off)
  --data-dir DIR    where the generated CSV and the outputs are kept (default bench/out)
  --build-dir DIR   meson build directory holding bench/gen_transactions and tools/tier/tier
                    (default: build)
  --gen PATH        gen_transactions executable (overrides --build-dir)
  --tier PATH       tier executable (overrides --build-dir)
Environment: PYTHON (default /usr/bin/python3, needs pandas), NODE (default node).
EOF
}

. "$here/lib.sh"
bench_parse_args "customers rows seed runs warm data-dir build-dir gen tier" "$@"
warm_gib=$warm
bench_require_uint customers rows seed runs warm
[ "$runs" -ge 1 ] || die "--runs must be at least 1"
bench_exe gen gen_transactions generator
tier=${tier:-${build_dir:-$here/../build}/tools/tier/tier}
[ -x "$tier" ] || die "no tier at $tier (build it: meson setup build && ninja -C build; or pass --build-dir / --tier)"
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is needed for the peak RSS: apt-get install time"

mkdir -p "$data_dir"
data="$data_dir/transactions-c$customers-r$rows-s$seed.csv"
if [ -f "$data" ]; then
    echo "data: $data (already generated)"
else
    echo "data: generating $data"
    "$gen" --customers "$customers" --rows "$rows" --seed "$seed" --out "$data"
fi
bytes=$(stat -L -c %s "$data")
work="$data_dir/cli-c$customers-r$rows-s$seed"
mkdir -p "$work"

# ---- which tools can run ----
have_pandas=0
bench_python_peer pandas pandas numpy && have_pandas=1
have_duckdb=0
bench_duckdb_peer && have_duckdb=1

# ---- warm-up: first-touch page faults on this kind of VM are slow and would land in the first
# timed run; touch the memory once, then give it back.
if [ "$warm_gib" -gt 0 ]; then
    if [ $have_pandas = 1 ]; then
        "$python" -c "import numpy as np; a = np.ones($warm_gib << 27); a[::512] += 1; del a"
    else
        "$node" -e "const b = Buffer.alloc($warm_gib * 2 ** 30, 1);"
    fi
    echo "warmed: touched and freed $warm_gib GiB"
fi

# ---- timing ----
declare -a r_label r_threads r_seconds r_rss

# time_cmd CMD... : runs CMD once in its own process; sets t_seconds (wall, start to exit) and
# t_kib (peak RSS). CMD's output goes to $work/last.log, shown if it fails.
time_cmd() {
    local t0 t1
    t0=$(date +%s%N)
    if ! /usr/bin/time -f '%M' -o "$work/rss" "$@" >"$work/last.log" 2>&1; then
        cat "$work/last.log" >&2
        die "failed: $*"
    fi
    t1=$(date +%s%N)
    t_seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    t_kib=$(tail -n 1 "$work/rss")
}

# record LABEL THREADS SECONDS KIB
record() {
    r_label+=("$1"); r_threads+=("$2"); r_seconds+=("$3"); r_rss+=("$4")
    printf '  %-22s threads %s: %8.3f s  %7.1f MiB\n' "$1" "$2" "$3" "$(awk -v k="$4" 'BEGIN { print k / 1024 }')"
}

# best_of LABEL THREADS CMD... : $runs runs, keeps the best time and the largest RSS.
best_of() {
    local label=$1 threads=$2 best="" rss=0 i
    shift 2
    for ((i = 1; i <= runs; i++)); do
        time_cmd "$@"
        if [ -z "$best" ] || awk -v a="$t_seconds" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t_seconds; fi
        [ "$t_kib" -gt "$rss" ] && rss=$t_kib
    done
    record "$label" "$threads" "$best" "$rss"
}

# The two-step pipeline: each run times step 1 and step 2; the best run (by their sum) is kept.
two_step() {
    local th=$1 i b1="" k1=0 b2="" k2=0 best="" s1 s2
    for ((i = 1; i <= runs; i++)); do
        time_cmd "$tier" features "$data" --order order_id --columns recency,frequency,monetary \
            --threads "$th" -q --save "$work/dataset-t$th.bin" -o "$work/tier-features-t$th.csv"
        s1=$t_seconds; [ "$t_kib" -gt "$k1" ] && k1=$t_kib
        time_cmd "$tier" score --rfm --dataset "$work/dataset-t$th.bin" --threads "$th" -q \
            -o "$work/tier-2step-t$th.csv"
        s2=$t_seconds; [ "$t_kib" -gt "$k2" ] && k2=$t_kib
        if [ -z "$best" ] || awk -v a="$s1" -v b="$s2" -v c="$best" 'BEGIN { exit !(a + b < c) }'; then
            best=$(awk -v a="$s1" -v b="$s2" 'BEGIN { printf "%.3f", a + b }'); b1=$s1; b2=$s2
        fi
    done
    record "tier features" "$th" "$b1" "$k1"
    record "tier score (dataset)" "$th" "$b2" "$k2"
    record "tier, two steps" "$th" "$best" "$((k1 > k2 ? k1 : k2))"
}

load_before=$(uptime | sed 's/.*load average: *//')
echo "timing: best of $runs run(s) each, every run in its own process(es), start to exit"
for th in 1 2; do
    two_step "$th"
    best_of "tier score, one step" "$th" "$tier" score --rfm "$data" --order order_id --threads "$th" \
        -q -o "$work/tier-1step-t$th.csv"
done
outputs=("$work/tier-1step-t1.csv" "$work/tier-1step-t2.csv" "$work/tier-2step-t1.csv"
         "$work/tier-2step-t2.csv" "$work/tier-features-t1.csv" "$work/tier-features-t2.csv")
if [ $have_pandas = 1 ]; then
    best_of pandas 1 "$python" "$here/cli_pandas.py" "$data" -o "$work/pandas.csv"
    outputs+=("$work/pandas.csv")
fi
if [ $have_duckdb = 1 ]; then
    for th in 1 2; do
        best_of duckdb "$th" "$node" "$here/cli_duckdb.mjs" "$data" -o "$work/duckdb-t$th.csv" --threads "$th"
        outputs+=("$work/duckdb-t$th.csv")
    done
fi

# ---- agreement ----
echo
if [ $have_pandas = 1 ]; then
    echo "checking the outputs against tier's one-step scores (per customer, joined on customer_id):"
    "$python" "$here/cli_pandas.py" --compare "${outputs[@]}" || {
        echo "OUTPUT MISMATCH: the pipelines disagree (see above)." >&2
        exit 1
    }
else
    echo "outputs not compared (the comparison needs pandas)"
fi

# ---- report ----
lookup() { # lookup LABEL THREADS FIELD -> value or empty (replaces lib.sh's: rows here are r_label)
    local i
    for i in "${!r_label[@]}"; do
        if [ "${r_label[$i]}" = "$1" ] && [ "${r_threads[$i]}" = "$2" ]; then
            local -n arr="r_$3"
            echo "${arr[$i]}"
            return
        fi
    done
}

echo
echo "transaction CSV -> RFM scores CSV, whole processes"
echo "data: $(basename "$data"): $rows rows, $customers customers, $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB"
echo "machine: $(nproc) cores; load average (1, 5, 15 min) before timing: $load_before; after: $(uptime | sed 's/.*load average: *//')"
echo "wall time from process start to exit (best of $runs); RSS is the process peak"
echo
printf '%-22s %7s %9s %13s %19s %19s %19s\n' tool threads seconds "peak RSS MiB" "time/tier 1-step" \
    "time/tier 2-step" "RSS/tier 1-step"
# ratio_to LABEL THREADS FIELD BASE -> the row's FIELD / BASE's at the same thread count; pandas,
# single-threaded, against BASE at 1 and at 2 threads ("x@1 y@2")
ratio_to() {
    local out="" cmp v b
    for cmp in 1 2; do
        [ "$1" = pandas ] || [ "$cmp" = "$2" ] || continue
        v=$(lookup "$1" "$2" "$3") b=$(lookup "$4" "$cmp" "$3")
        out+=$(awk -v a="$v" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
        [ "$1" = pandas ] && out+="@$cmp "
    done
    echo "${out% }"
}
for i in "${!r_label[@]}"; do
    l=${r_label[$i]} th=${r_threads[$i]} s=${r_seconds[$i]} k=${r_rss[$i]}
    r1="" r2="" m1=""
    if [ "$l" != "tier score, one step" ]; then
        r1=$(ratio_to "$l" "$th" seconds "tier score, one step")
        m1=$(ratio_to "$l" "$th" rss "tier score, one step")
    fi
    case "$l" in
        pandas|duckdb) r2=$(ratio_to "$l" "$th" seconds "tier, two steps") ;;
    esac
    printf '%-22s %7s %9.3f %13.1f %19s %19s %19s\n' "$l" "$th" "$s" \
        "$(awk -v k="$k" 'BEGIN { print k / 1024 }')" "$r1" "$r2" "$m1"
done
echo "ratios: the row's value / tier's at the same thread count ('tier score, one step' or 'tier,"
echo "two steps'); > 1: tier is faster or smaller. pandas is single-threaded and is compared with"
echo "tier at 1 (@1) and 2 (@2) threads"
echo
echo "versions: $("$tier" --version 2>/dev/null | head -n 1 || echo tier)"
[ $have_pandas = 1 ] && echo "  pandas $("$python" -c 'import pandas; print(pandas.__version__)')"
[ $have_duckdb = 1 ] && echo "  duckdb $(cd "$here" && "$node" -e "import('@duckdb/node-api').then(async (d) => { const i = await d.DuckDBInstance.create(); const c = await i.connect(); console.log((await c.runAndReadAll('SELECT version()')).getRows()[0][0]); })")"
exit 0
