#!/usr/bin/python3
"""features_pandas: the pandas peer of bench_features (CSV -> recency, frequency, monetary).

    /usr/bin/python3 features_pandas.py FILE

Times pandas.read_csv + groupby computing, per customer, the same features as libtier:

- as_of     = the latest transaction time (any amount) + 1 day
- recency   = (as_of - last purchase) in days, exact seconds / 86400; a purchase is amount > 0;
              NaN for a customer without a purchase
- frequency = number of distinct order ids with a purchase row
- monetary  = sum of all amounts (returns subtract)

and prints the same `key value` lines as bench_features, including the exact-integer checksum
line (see bench_features.c). pandas is single-threaded: there is no thread option.
"""
import resource
import sys
import time

import numpy as np
import pandas as pd


def features(path):
    df = pd.read_csv(
        path,
        usecols=["customer_id", "order_id", "time", "amount"],
        dtype={"customer_id": "int64", "order_id": "int64", "amount": "float64"},
        parse_dates=["time"],
    )
    as_of = df["time"].max() + pd.Timedelta(days=1)
    monetary = df.groupby("customer_id", sort=False)["amount"].sum()
    purchases = df[df["amount"] > 0]
    by_customer = purchases.groupby("customer_id", sort=False)
    last_purchase = by_customer["time"].max()
    frequency = by_customer["order_id"].nunique()
    out = pd.DataFrame({"monetary": monetary})
    out["recency"] = (as_of - last_purchase).dt.total_seconds() / 86400.0
    out["frequency"] = frequency.reindex(out.index, fill_value=0)
    return out, len(df)


def checksum(f, rows):
    ids = f.index.to_numpy(dtype=np.int64)
    w = ids % 1009 + 1
    freq = np.rint(f["frequency"].to_numpy(dtype=np.float64)).astype(np.int64)
    mon = np.rint(f["monetary"].to_numpy() * 100.0).astype(np.int64)
    rec_all = f["recency"].to_numpy()
    has = ~np.isnan(rec_all)
    rec = np.rint(rec_all[has] * 86400.0).astype(np.int64)
    return (
        f"customers={len(f)} purchasers={int(has.sum())} rows={rows} "
        f"recency_s={int(rec.sum())} frequency={int(freq.sum())} monetary_c={int(mon.sum())} "
        f"w_recency_s={int((w[has] * rec).sum())} w_frequency={int((w * freq).sum())} "
        f"w_monetary_c={int((w * mon).sum())}"
    )


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: features_pandas.py FILE")
    t0 = time.perf_counter()
    f, rows = features(sys.argv[1])
    seconds = time.perf_counter() - t0
    print(f"tool pandas {pd.__version__}")
    print("threads 1")
    print(f"seconds {seconds:.6f}")
    print(f"rows {rows}")
    print(f"customers {len(f)}")
    print(f"checksum {checksum(f, rows)}")
    print(f"peak_rss_kib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")


if __name__ == "__main__":
    main()
