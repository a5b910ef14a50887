#!/usr/bin/python3
"""RFM scoring with pandas, the peer of bench_rfm (same numbers, same definitions).

    rfm_pandas.py --data FILE --customers N [--mode rank|quantile] [--runs K]

FILE holds raw little-endian doubles written by `bench_rfm --data-out`: recency[N],
frequency[N], monetary[N]. Loading them into a DataFrame is not timed; the timed part (best of
K) is what bench_rfm times, minus the segment lookup pandas is not asked to do:

* rank mode:      pd.qcut(s.rank(method="first"), 5, labels=False) + 1 per column
* quantile mode:  the R `rfm` rule, vectorised: edges = numpy.quantile(x, [.2,.4,.6,.8]) + 1,
                  bin = number of edges <= x, plus 1 (numpy.searchsorted side="right")
* recency reversed (6 - bin), rfm_code = 100 R + 10 F + M, rfm_total = R + F + M

Prints `key value` lines like bench_rfm: seconds, customers, peak_rss_kib, checksum.
"""
import argparse
import resource
import time

import numpy as np
import pandas as pd

BINS = 5


def rank_bins(s):
    return pd.qcut(s.rank(method="first"), BINS, labels=False).to_numpy() + 1


def quantile_bins(s):
    x = s.to_numpy()
    edges = np.quantile(x, [k / BINS for k in range(1, BINS)], method="linear") + 1
    return np.searchsorted(edges, x, side="right") + 1


def score(df, mode):
    bins = rank_bins if mode == "rank" else quantile_bins
    r = BINS + 1 - bins(df["recency"])
    f = bins(df["frequency"])
    m = bins(df["monetary"])
    out = pd.DataFrame({"r_score": r, "f_score": f, "m_score": m})
    out["rfm_code"] = 100 * r + 10 * f + m
    out["rfm_total"] = r + f + m
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--customers", type=int, required=True)
    ap.add_argument("--mode", choices=["rank", "quantile"], default="rank")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    raw = np.fromfile(a.data, dtype="<f8")
    n = a.customers
    if raw.size != 3 * n:
        raise SystemExit("rfm_pandas.py: %s holds %d values, expected %d" % (a.data, raw.size, 3 * n))
    df = pd.DataFrame({"recency": raw[:n], "frequency": raw[n:2 * n], "monetary": raw[2 * n:]})
    best = float("inf")
    for _ in range(a.runs):
        t0 = time.perf_counter()
        out = score(df, a.mode)
        best = min(best, time.perf_counter() - t0)
    code = out["rfm_code"].to_numpy().astype(np.int64)
    w = (np.arange(n, dtype=np.int64) % 1009) + 1
    fc = np.bincount(out["f_score"].to_numpy(), minlength=BINS + 1)[1:]
    print("seconds %.6f" % best)
    print("customers %d" % n)
    print("peak_rss_kib %d" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    print("checksum %d %d %s" % (code.sum(), (code * w).sum(), " ".join(str(int(c)) for c in fc)))


if __name__ == "__main__":
    main()
