#!/usr/bin/env bash
# run_clv.sh — CLV (BG/NBD + Gamma-Gamma) fit and predict: libtier vs numpy/scipy.
#
# bench_clv simulates N customers from BG/NBD with the CDNOW estimates (fixed seed; see
# bench_clv.c), builds a dataset from their transactions, and times tier_scorer_fit() and
# tier_scorer_apply() (p_alive, expected_purchases, expected_spend, 12-period discounted clv,
# p_no_purchase) at every thread count; it writes the count data to --data-dir. Then
# clv_scipy.py fits the same data the way the Python package `lifetimes` does (numpy
# log-likelihood, scipy BFGS, scipy hyp2f1 predictions; `lifetimes` itself is not installable
# here) and the script prints both, the speed-ups, and peak memory. The parameters of the two
# must agree to 4 significant digits — the script exits 1 otherwise.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
n=1000000
seed=20240611
runs=3
threads="1,2"
model=bgnbd
data_dir="$here/out"
build_dir=""
bench=""
python=${PYTHON:-/usr/bin/python3}

usage() {
    cat <<EOF2
usage: run_clv.sh [options]
  --n N            customers (default $n)
  --seed S         data seed (default $seed)
  --runs R         timed runs; the best is kept (default $runs)
  --threads LIST   thread counts, comma-separated (default $threads)
  --model M        bgnbd or pnbd (libtier only; the scipy peer is BG/NBD) (default $model)
  --data-dir DIR   where the generated data are written (default bench/out)
  --build-dir DIR  meson build directory holding bench/bench_clv (default: build)
  --bench PATH     bench_clv executable (overrides --build-dir)
Environment: PYTHON (default /usr/bin/python3, needs numpy and scipy for the peer).
EOF2
}

. "$here/lib.sh"
bench_parse_args "n seed runs threads model data-dir build-dir bench" "$@"
bench_exe bench bench_clv benchmark
mkdir -p "$data_dir"

echo "== libtier: $n customers, model $model, threads $threads =="
out=$("$bench" --n "$n" --seed "$seed" --runs "$runs" --threads "$threads" --model "$model" --data-dir "$data_dir")
echo "$out"
tag="clv-n$n-s$seed"

if [ "$model" = bgnbd ] && bench_python_has numpy scipy; then
    echo "== numpy/scipy (lifetimes' method), 1 thread =="
    peer=$(/usr/bin/time -f "scipy_peak_rss_kib %M" "$python" "$here/clv_scipy.py" "$data_dir" "$tag" --runs "$runs" 2>&1)
    echo "$peer"
    "$python" - "$out" "$peer" <<'PY'
import sys
lib = {}
for line in sys.argv[1].splitlines():
    k, *v = line.split()
    lib.setdefault(k, []).append(v)
peer = dict((l.split()[0], l.split()[1:]) for l in sys.argv[2].splitlines() if l.strip())
a = [float(v) for v in lib["params"][0]]
b = [float(v) for v in peer["scipy_params"]]
bad = [i for i in range(4) if abs(a[i] - b[i]) > 1e-4 * abs(b[i])]
if bad:
    print(f"MISMATCH: libtier {a} vs scipy {b}")
    sys.exit(1)
print("parameters agree to 4 significant digits")
sf, sa = float(peer["scipy_fit_s"][0]), float(peer["scipy_apply_s"][0])
for th, f, ap in zip(lib["threads"], lib["fit_s"], lib["apply_s"]):
    print(f"threads {th[0]}: fit {float(f[0]):.3f} s ({sf / float(f[0]):.1f}x faster than scipy {sf:.3f} s), "
          f"apply {float(ap[0]):.3f} s ({sa / float(ap[0]):.1f}x vs scipy {sa:.3f} s)")
print(f"peak RSS: libtier process {lib['peak_rss_kib'][0][0]} KiB (dataset {lib['rss_after_load_kib'][0][0]} KiB), "
      f"scorer allocations {int(lib['scorer_peak_bytes'][0][0]) / 2**20:.1f} MiB; scipy process {peer['scipy_peak_rss_kib'][0]} KiB")
PY
else
    echo "(numpy/scipy peer skipped: model $model or no numpy/scipy for $python)"
fi
