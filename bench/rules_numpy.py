#!/usr/bin/python3
"""rules_numpy: the numpy peer of bench_rules (a four-tier rule set with numpy.select).

    /usr/bin/python3 rules_numpy.py [--customers N] [--runs K]

Rebuilds bench_rules' synthetic columns from the row index (see bench_rules.c for the
formulas), then times numpy.select over the same four-tier rule set, best of K runs, and
prints the same `key value` lines as bench_rules, including the checksum line. numpy is
single-threaded here.
"""
import argparse
import resource
import time

import numpy as np

A_SPEND, B_SPEND = 2654435761, 12345
A_ORDERS, B_ORDERS = 2246822519, 374761393
A_RECENCY, B_RECENCY = 3266489917, 668265263


def weyl(i, a, b):
    return ((i * np.uint64(a) + np.uint64(b)) & np.uint64(0xFFFFFFFF)).astype(np.float64) / 4294967296.0


def columns(n):
    i = np.arange(n, dtype=np.uint64)
    u = weyl(i, A_SPEND, B_SPEND)
    spend = u * u * 20000.0
    u = weyl(i, A_ORDERS, B_ORDERS)
    orders = np.floor(u * u * u * 50.0) + 1.0
    recency = np.floor(weyl(i, A_RECENCY, B_RECENCY) * 365.0)
    recency[i % np.uint64(97) == 0] = np.nan
    return spend, orders, recency


def tiers(spend, orders, recency):
    # tier Diamond when spend > 10000 and orders >= 20 and recency_days <= 60
    # tier Gold when (spend > 4000 and spend / orders > 300) or spend > 12000
    # tier Silver when spend between 1000 and 4000 and recency_days <= 180
    # otherwise Normal
    conditions = [
        (spend > 10000) & (orders >= 20) & (recency <= 60),
        ((spend > 4000) & (spend / orders > 300)) | (spend > 12000),
        (spend >= 1000) & (spend <= 4000) & (recency <= 180),
    ]
    return np.select(conditions, [0, 1, 2], default=3)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--customers", type=int, default=10_000_000)
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args()
    spend, orders, recency = columns(a.customers)
    best = float("inf")
    with np.errstate(invalid="ignore"):
        for _ in range(max(1, a.runs)):
            t0 = time.perf_counter()
            t = tiers(spend, orders, recency)
            best = min(best, time.perf_counter() - t0)
    count = np.bincount(t, minlength=4)
    sums = np.bincount(t, weights=np.arange(a.customers, dtype=np.float64), minlength=4)
    print(f"tool numpy {np.__version__}")
    print(f"customers {a.customers}")
    print(f"seconds {best:.6f}")
    print(f"peak_rss_kib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")
    print("checksum " + " ".join(f"{int(c)}:{int(s)}" for c, s in zip(count, sums)))


if __name__ == "__main__":
    main()
