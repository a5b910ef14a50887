#!/usr/bin/env bash
# run_rfm.sh — RFM scoring (fit + apply) of N customers: libtier vs pandas, same data, same run.
#
# bench_rfm generates recency/frequency/monetary for N customers (fixed seed), writes them as raw
# doubles for pandas, and times tier_scorer_fit_apply() (best of --runs) in rank mode (the peer
# of pandas qcut on ranks) and in quantile mode (the R `rfm` rule; pandas does it with
# numpy.quantile + searchsorted), at 1 and 2 threads. rfm_pandas.py times the same scoring.
# Every run prints an exact-integer checksum of the scores; the script fails loudly if libtier
# and pandas disagree. Prints a table with seconds, customers/s, peak RSS and pandas/libtier.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

customers=1000000
seed=20240601
runs=3
data_dir="$here/out"
build_dir=""
bench=""
python=${PYTHON:-/usr/bin/python3}

usage() {
    cat <<USAGE
usage: run_rfm.sh [options]
  --customers N     customers (default $customers)
  --seed S          generator seed (default $seed)
  --runs K          timed runs per configuration, best kept (default $runs)
  --data-dir DIR    where the raw data file is written (default bench/out)
  --build-dir DIR   meson build directory holding bench/bench_rfm (default: build)
  --bench PATH      bench_rfm executable (overrides --build-dir)
Environment: PYTHON (default /usr/bin/python3, needs numpy and pandas).
USAGE
}

. "$here/lib.sh"
bench_parse_args "customers seed runs data-dir build-dir bench" "$@"
bench_require_uint customers seed runs
[ "$customers" -ge 1 ] && [ "$runs" -ge 1 ] || die "--customers and --runs must be at least 1"
bench_exe bench bench_rfm benchmark
have_pandas=0
bench_python_peer pandas pandas numpy && have_pandas=1

mkdir -p "$data_dir"
data="$data_dir/rfm-c$customers-s$seed.f64"

rows=()
for mode in rank quantile; do
    declare -A sum=()
    for threads in 1 2; do
        out=$("$bench" --customers "$customers" --seed "$seed" --mode "$mode" --threads "$threads" \
              --runs "$runs" --data-out "$data")
        sum[$threads]=$(bench_field checksum "$out")
        rows+=("libtier|$mode|$threads|$(bench_field seconds "$out")|$(bench_field peak_rss_kib "$out")|$(bench_field rss_before_kib "$out")")
        [ "${sum[$threads]}" = "${sum[1]}" ] || die "libtier $mode checksum differs between 1 and $threads threads"
    done
    if [ $have_pandas = 1 ]; then
        out=$("$python" "$here/rfm_pandas.py" --data "$data" --customers "$customers" --mode "$mode" --runs "$runs")
        psum=$(bench_field checksum "$out")
        if [ "$psum" != "${sum[1]}" ]; then
            echo "libtier: ${sum[1]}" >&2
            echo "pandas:  $psum" >&2
            die "pandas and libtier disagree in $mode mode"
        fi
        rows+=("pandas|$mode|1|$(bench_field seconds "$out")|$(bench_field peak_rss_kib "$out")|-")
    fi
    echo "$mode mode: checksums agree (${sum[1]})"
    unset sum
done
rm -f "$data"

echo
echo "RFM fit+apply, $customers customers, seed $seed, best of $runs"
printf '%-8s %-9s %7s %10s %14s %13s %14s %15s\n' tool mode threads seconds customers/s peak_RSS_MiB "scoring_+MiB" "pandas/libtier"
for mode in rank quantile; do
    pandas_s=""
    for row in "${rows[@]}"; do
        IFS='|' read -r tool m t s rss before <<<"$row"
        [ "$m" = "$mode" ] && [ "$tool" = pandas ] && pandas_s=$s
    done
    for row in "${rows[@]}"; do
        IFS='|' read -r tool m t s rss before <<<"$row"
        [ "$m" = "$mode" ] || continue
        ratio="-"
        [ -n "$pandas_s" ] && [ "$tool" = libtier ] && ratio=$(bench_div "$pandas_s" "$s" %.1fx)
        extra="-"
        [ "$before" != "-" ] && extra=$(awk -v a="$rss" -v b="$before" 'BEGIN { printf "%.1f", (a - b) / 1024 }')
        printf '%-8s %-9s %7s %10.4f %14.0f %13.1f %14s %15s\n' "$tool" "$m" "$t" "$s" \
            "$(bench_div "$customers" "$s")" "$(bench_div "$rss" 1024)" "$extra" "$ratio"
    done
done
echo "(peak RSS is the whole process: libtier's includes the dataset of $customers customers with"
echo " its ids, per-customer state and 13 feature columns; scoring_+MiB is the growth of libtier's"
echo " peak during scoring, i.e. what fit+apply itself needs. pandas' peak includes the"
echo " interpreter, numpy and pandas, and a DataFrame of just the three input columns.)"
