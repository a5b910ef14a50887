#!/usr/bin/env bash
# run_kmeans.sh — k-means fit: libtier (Lloyd, Hamerly, auto) vs scikit-learn (lloyd, elkan).
#
# For each feature count D (default 3 and 8): generates N rows around K Gaussian blobs and K
# initial centers with bench_kmeans (fixed seed, written once to --data-dir), then times in the
# same run, each tool in its own process, at every thread count (default 1 and 2):
#   scikit-learn  KMeans(init=<those centers>, n_init=1, algorithm="lloyd" / "elkan").fit(X)
#                 and kmeans_plusplus(X, K)                     (bench/kmeans_sklearn.py)
#   libtier       tier_scorer_fit() from the same centers, TIER_KMEANS_LLOYD / _HAMERLY / _AUTO,
#                 the same fits stopped after one iteration, one memory pass over the data, and
#                 tier_kmeans_initial_centers() with k-means++  (bench_kmeans)
# Every fit must agree with scikit-learn's: same iteration count, same labels (checksum) and
# inertia within a relative 1e-9 — the script exits 1 loudly otherwise. Then it prints a table
# of best-of---runs wall times, the speed-up of libtier's TIER_KMEANS_AUTO (and of its faster
# algorithm) over scikit-learn's faster one, the cost of an iteration in memory passes (see
# bench/README.md), and peak memory (process peak RSS and its growth over the RSS after
# loading). The load average is printed before and after: the machine's other work shows in
# the timings, the 2-thread ones first.
#
# scikit-learn's threads are set per process with OMP_NUM_THREADS / OPENBLAS_NUM_THREADS (and
# threadpoolctl when installed); libtier's with n_threads.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

n=1000000
dims="3 8"
k=8
seed=20240611
runs=3
threads="1 2"
data_dir="$here/out"
build_dir=""
bench=""
python=${PYTHON:-/usr/bin/python3}
warm=2

usage() {
    cat <<EOF
usage: run_kmeans.sh [options]
  --n N            rows (default $n)
  --dims "D ..."   feature counts, each 1..8 (default "$dims")
  --k K            clusters (default $k)
  --seed S         data seed (default $seed)
  --runs R         timed runs per configuration; the best is kept (default $runs)
  --threads "T ..." thread counts (default "$threads")
  --data-dir DIR   where the generated data are kept (default bench/out)
  --build-dir DIR  meson build directory holding bench/bench_kmeans (default: build)
  --bench PATH     bench_kmeans executable (overrides --build-dir)
  --warm GIB       touch this much memory once before timing (default $warm; 0: no)
Environment: PYTHON (default /usr/bin/python3, needs numpy and scikit-learn).
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --n) n=$2; shift 2 ;;
        --dims) dims=$2; shift 2 ;;
        --k) k=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --data-dir) data_dir=$2; shift 2 ;;
        --build-dir) build_dir=$2; shift 2 ;;
        --bench) bench=$2; shift 2 ;;
        --warm) warm=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run_kmeans.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

die() { echo "run_kmeans.sh: $*" >&2; exit 1; }

for v in n k seed runs warm; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "--$v needs a non-negative integer, got '${!v}'"
done
build_dir=${build_dir:-$here/../build}
bench=${bench:-$build_dir/bench/bench_kmeans}
[ -x "$bench" ] || die "no benchmark at $bench (build it: meson setup build && ninja -C build; or pass --build-dir / --bench)"
"$python" -c 'import numpy, sklearn' 2>/dev/null || die "$python lacks numpy or scikit-learn (Debian: apt install python3-sklearn)"
sk_version=$("$python" -c 'import sklearn; print(sklearn.__version__)')
mkdir -p "$data_dir"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
thread_list=$(echo $threads | tr ' ' ',')

echo "k-means: N=$n K=$k seed=$seed, best of $runs; scikit-learn $sk_version; $(nproc) cores"
echo "before: $(uptime)"
# First-touch page faults of a fresh VM are slow: take them here, in a process of their own.
[ "$warm" -eq 0 ] || "$bench" --warm $((warm * 1024))
for d in $dims; do
    line=$("$bench" --n "$n" --d "$d" --k "$k" --seed "$seed" --data-dir "$data_dir" --gen-only)
    read -r _ xfile ifile <<<"$line"
    for t in $threads; do
        OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t MKL_NUM_THREADS=$t \
            "$python" "$here/kmeans_sklearn.py" "$xfile" "$ifile" "$n" "$d" "$k" --runs "$runs" \
            >"$out/sk-$d-$t.txt"
    done
    "$bench" --n "$n" --d "$d" --k "$k" --seed "$seed" --data-dir "$data_dir" --runs "$runs" \
        --threads "$thread_list" >"$out/tier-$d.txt"
    awk -v d="$d" -v k="$k" -v threads="$threads" '
        function rel(a, b) { return (a > b ? a - b : b - a) / (b > 0 ? b : 1) }
        $1 == "fit" { key = $2 " " $3 " " $4; sec[key] = $5; it[key] = $6; inertia[key] = $7;
                      hash[key] = $8; next }
        $1 == "fit1" { sec1[$2 " " $3 " " $4] = $5; next }
        $1 == "init" { key = $2 " " $3 " " $4; sec[key] = $5; next }
        $1 == "pass" { pass[$3] = $4; next }
        $1 == "base_rss_kib" { base[FILENAME] = $2; next }
        $1 == "peak_rss_kib" { peak[FILENAME] = $2; next }
        $1 == "kmeans_peak_kib" { kpeak = $2; next }
        END {
            ref = "sklearn lloyd 1"; bad = 0
            for (key in hash) {
                if (it[key] != it[ref] || hash[key] != hash[ref] || rel(inertia[key], inertia[ref]) > 1e-9) {
                    printf "MISMATCH d=%s %s: n_iter %s labels %s inertia %.17g; %s: n_iter %s labels %s inertia %.17g\n",
                        d, key, it[key], hash[key], inertia[key], ref, it[ref], hash[ref], inertia[ref]
                    bad = 1
                }
            }
            printf "\nd = %s: %s iterations, inertia %.10g, labels identical in every run\n", d, it[ref], inertia[ref]
            printf "speed-up = scikit-learn'"'"'s faster algorithm / libtier'"'"'s TIER_KMEANS_AUTO; best = / libtier'"'"'s faster algorithm\n"
            printf "%-8s %10s %10s %10s %10s %10s %9s %7s | %12s %12s %7s\n", "threads", "skl lloyd", "skl elkan",
                "tier lloyd", "tier hamrl", "tier auto", "speed-up", "best", "skl k-means++", "tier k-means++", "ratio"
            n = split(threads, ts, " ")
            for (i = 1; i <= n; i++) {
                t = ts[i]
                sl = sec["sklearn lloyd " t]; se = sec["sklearn elkan " t]
                tl = sec["libtier lloyd " t]; th = sec["libtier hamerly " t]; ta = sec["libtier auto " t]
                skbest = sl < se ? sl : se; tbest = tl < th ? tl : th
                pk = sec["sklearn kmeans++ " t]; tk = sec["libtier kmeans++ " t]
                printf "%-8s %9.3fs %9.3fs %9.3fs %9.3fs %9.3fs %8.1fx %6.1fx | %11.3fs %11.3fs %6.1fx\n", t, sl, se, tl, th,
                    ta, skbest / ta, skbest / tbest, pk, tk, pk / tk
            }
            printf "cost of an iteration in passes (1 pass = the threads reading the %s feature columns once, see bench/README.md):\n", d
            printf "  fit/it = whole fit / iterations; marginal = (fit - fit stopped after 1 iteration) / (iterations - 1)\n"
            printf "%-8s %9s | %-20s | %-20s | %-20s\n", "threads", "pass", "lloyd fit/it marginal", "hamerly fit/it marg.",
                "auto fit/it marginal"
            for (i = 1; i <= n; i++) {
                t = ts[i]; p = pass[t]
                line = sprintf("%-8s %8.3fms", t, p * 1000)
                split("lloyd hamerly auto", al, " ")
                for (a = 1; a <= 3; a++) {
                    key = "libtier " al[a] " " t; m = it[key]
                    whole = sec[key] / m / p; marg = m > 1 ? (sec[key] - sec1[key]) / (m - 1) / p : whole
                    line = line sprintf(" | %9.1f %9.2f", whole, marg)
                }
                print line
            }
            for (f in peak)
                if (f !~ /tier-/)
                    printf "memory: scikit-learn (%s thread%s) peak RSS %.1f MiB, +%.1f MiB over the RSS with the data loaded\n",
                        substr(f, length(f) - 4, 1), substr(f, length(f) - 4, 1) == "1" ? "" : "s",
                        peak[f] / 1024, (peak[f] - base[f]) / 1024
            for (f in peak)
                if (f ~ /tier-/)
                    printf "memory: libtier peak RSS %.1f MiB (with its 1-row-per-customer dataset); k-means working memory (counting allocator) %.1f MiB\n",
                        peak[f] / 1024, kpeak / 1024
            exit bad
        }' "$out"/sk-$d-*.txt "$out/tier-$d.txt" || die "results differ from scikit-learn (see MISMATCH lines)"
done
echo "after: $(uptime)"
