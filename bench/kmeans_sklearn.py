#!/usr/bin/python3
"""scikit-learn side of the k-means benchmark (see bench_kmeans.c and run_kmeans.sh).

    kmeans_sklearn.py X_FILE INIT_FILE N D K [--runs R] [--max-iter M]

Reads the float64 files written by bench_kmeans, then times (best wall time of R runs, inside
the process, so interpreter start-up and imports are not counted):
    KMeans(n_clusters=K, init=<the given centers>, n_init=1, tol=1e-4, algorithm=A).fit(X)
for A in lloyd and elkan, and sklearn.cluster.kmeans_plusplus(X, K) alone.
The thread count is whatever OMP_NUM_THREADS / OPENBLAS_NUM_THREADS say (run_kmeans.sh sets
them per process); when threadpoolctl is installed it is also used to pin the pools.
Prints lines in bench_kmeans's format:
    fit sklearn ALGO THREADS SECONDS N_ITER INERTIA LABEL_HASH
    init sklearn kmeans++ THREADS SECONDS
    base_rss_kib KIB / peak_rss_kib KIB
"""
import argparse
import os
import resource
import sys
import time

import numpy as np
from sklearn.cluster import KMeans, kmeans_plusplus

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # the environment variables do the job
    threadpool_limits = None


def label_hash(labels):
    i = np.arange(len(labels), dtype=np.uint64)
    f = ((i * np.uint64(2654435761)) % np.uint64(1000003)).astype(np.int64)
    return int((labels.astype(np.int64) * f).sum())


def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def best_of(runs, fn):
    best, out = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("x")
    ap.add_argument("init")
    ap.add_argument("n", type=int)
    ap.add_argument("d", type=int)
    ap.add_argument("k", type=int)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--max-iter", type=int, default=300)
    a = ap.parse_args()
    x = np.fromfile(a.x, dtype="<f8").reshape(a.n, a.d)
    init = np.fromfile(a.init, dtype="<f8").reshape(a.k, a.d)
    threads = int(os.environ.get("OMP_NUM_THREADS", "0")) or os.cpu_count()
    print("base_rss_kib %d" % rss())
    ctx = threadpool_limits(threads) if threadpool_limits else None
    if ctx:
        ctx.__enter__()
    for algo in ("lloyd", "elkan"):
        km = KMeans(n_clusters=a.k, init=init, n_init=1, tol=1e-4, max_iter=a.max_iter,
                    algorithm=algo)
        sec, km = best_of(a.runs, lambda: km.fit(x))
        print("fit sklearn %s %d %.6f %d %.17g %d" % (algo, threads, sec, km.n_iter_,
                                                      km.inertia_, label_hash(km.labels_)))
        sys.stdout.flush()
    sec, _ = best_of(a.runs, lambda: kmeans_plusplus(x, a.k, random_state=0))
    print("init sklearn kmeans++ %d %.6f" % (threads, sec))
    if ctx:
        ctx.__exit__(None, None, None)
    print("peak_rss_kib %d" % rss())
    return 0


if __name__ == "__main__":
    sys.exit(main())
