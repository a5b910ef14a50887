#!/usr/bin/env python3
"""Writes kmeans.csv: transactions of 90 customers in three behaviour groups (loyal big
spenders, regular mid spenders, lapsed one-off buyers), 30 each, for the k-means CLI tests.
Deterministic (seeded); run from this directory: python3 make_kmeans_csv.py > kmeans.csv"""
import random

rng = random.Random(8)
print("customer_id,time,amount,order_id")
groups = [  # (prefix, purchases, amount range, days before the end of the last purchase)
    ("L", (8, 14), (150, 400), (0, 20)),
    ("R", (3, 6), (40, 90), (20, 90)),
    ("X", (1, 1), (5, 25), (200, 330)),
]
order = 0
for prefix, (p0, p1), (a0, a1), (r0, r1) in groups:
    for c in range(30):
        cid = f"{prefix}{c:02d}"
        n = rng.randint(p0, p1)
        last = 334 - rng.randint(r0, r1)
        days = sorted({last} | {rng.randint(0, last) for _ in range(n - 1)})
        for d in days:
            order += 1
            month, day = divmod(d, 28)
            print(f"{cid},2011-{month + 1:02d}-{day + 1:02d} 10:00:00,"
                  f"{rng.uniform(a0, a1):.2f},o{order}")
