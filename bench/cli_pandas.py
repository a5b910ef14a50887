#!/usr/bin/python3
"""cli_pandas: the pandas peer of `tier score --rfm` (transaction CSV -> RFM scores CSV).

    /usr/bin/python3 cli_pandas.py FILE -o OUT.csv
    /usr/bin/python3 cli_pandas.py --compare REF.csv OTHER.csv ...

The first form is the whole job `tier score --rfm FILE --order order_id -o OUT.csv` does, with
the same definitions (see README.md, "bench-cli"), in one pandas process: read_csv,
groupby features, R-`rfm`-compatible quintile scores, named segments, to_csv. run_cli.sh times
the process from start to exit (interpreter start-up and imports included, as for every tool).

- features: as_of = latest time + 1 day; a purchase is amount > 0; recency = (as_of - last
  purchase) in days (seconds / 86400), empty without a purchase; frequency = distinct order ids
  with a purchase row; monetary = sum of all amounts.
- scores (libtier's default TIER_RFM_QUANTILE, the R package rfm rule, and `tier score`'s
  NaN policy): the fit uses the customers with a recency (purchasers) only; per dimension the
  edges are numpy.quantile(x, [.2, .4, .6, .8]) (R type 7) + 1, and the bin is 1 + the number
  of edges <= x. r_score = 6 - bin(recency), f_score, m_score, rfm_code = 100 R + 10 F + M,
  rfm_total = R + F + M, rfm_segment = the first matching entry of the default table of
  include/tier/rfm.h, else "Others". Customers without a purchase get empty score fields.

The second form checks that the output CSVs agree, per customer (files are joined on
customer_id, so row order does not matter): the set of customers, frequency, the five scores
and the segment exactly; recency and monetary to 1e-9 relative (the sum order differs between
tools). One exception, reported on its own line: a customer whose value lies within 1e-9 of a
bin edge may get the neighbouring score (see edge_tied()). Columns missing from a file (a features-only file) are skipped for it. Exits 1 on any
disagreement, printing which column of which file and a few customers.
"""
import sys

import numpy as np
import pandas as pd

BINS = 5
# include/tier/rfm.h, default table: (name, R lo-hi, F lo-hi, M lo-hi); the first match wins.
SEGMENTS = [
    ("Champions", (5, 5), (5, 5), (5, 5)),
    ("Potential Loyalist", (3, 5), (3, 5), (2, 5)),
    ("Loyal Customers", (2, 4), (2, 4), (2, 4)),
    ("Promising", (3, 4), (1, 3), (3, 5)),
    ("New Customers", (4, 5), (1, 3), (1, 5)),
    ("Can't Lose Them", (1, 2), (3, 4), (4, 5)),
    ("At Risk", (1, 2), (2, 5), (4, 5)),
    ("Need Attention", (1, 3), (3, 5), (3, 5)),
    ("About To Sleep", (2, 3), (1, 3), (1, 4)),
    ("Lost", (1, 1), (1, 5), (1, 5)),
]
SCORES = ["r_score", "f_score", "m_score", "rfm_code", "rfm_total"]


def features(path):
    df = pd.read_csv(
        path,
        usecols=["customer_id", "order_id", "time", "amount"],
        dtype={"customer_id": "int64", "order_id": "int64", "amount": "float64"},
        parse_dates=["time"],
    )
    as_of = df["time"].max() + pd.Timedelta(days=1)
    monetary = df.groupby("customer_id", sort=False)["amount"].sum()
    by_customer = df[df["amount"] > 0].groupby("customer_id", sort=False)
    out = pd.DataFrame(index=monetary.index)
    out["recency"] = (as_of - by_customer["time"].max()).dt.total_seconds() / 86400.0
    out["frequency"] = by_customer["order_id"].nunique().reindex(out.index, fill_value=0)
    out["monetary"] = monetary
    return out


def quantile_bins(x, fit):
    edges = np.quantile(x[fit], [k / BINS for k in range(1, BINS)], method="linear") + 1
    return np.searchsorted(edges, x, side="right") + 1


def score(f):
    rec = f["recency"].to_numpy()
    fit = ~np.isnan(rec)
    r = BINS + 1 - quantile_bins(rec, fit)
    fs = quantile_bins(f["frequency"].to_numpy(dtype=np.float64), fit)
    m = quantile_bins(f["monetary"].to_numpy(), fit)
    conds = [(r >= rl) & (r <= rh) & (fs >= fl) & (fs <= fh) & (m >= ml) & (m <= mh)
             for _, (rl, rh), (fl, fh), (ml, mh) in SEGMENTS]
    seg = np.select(conds, [s[0] for s in SEGMENTS], default="Others").astype(object)
    seg[~fit] = None
    cols = {"r_score": r, "f_score": fs, "m_score": m,
            "rfm_code": 100 * r + 10 * fs + m, "rfm_total": r + fs + m}
    for name, v in cols.items():
        f[name] = pd.array(np.where(fit, v, 0), dtype="Int64")
        f.loc[~fit, name] = pd.NA
    f["rfm_segment"] = seg
    return f


def run(path, out):
    f = score(features(path))
    f.to_csv(out, index_label="customer_id")


def load(path):
    return pd.read_csv(path, dtype={"customer_id": "int64", "rfm_segment": "object"},
                       keep_default_na=False, na_values=[""]).set_index("customer_id").sort_index()


def edge_tied(f):
    """Per score column, the customers whose value lies within 1e-9 (relative) of one of that
    dimension's fitted edges (frequency is an exact count: never tied). The edges are exact data values + 1 wherever the quantile falls on
    an order statistic, and monetary sums differ in the last bit between tools (summation order,
    pandas' compensated sums), so such a customer can fall on either side of the edge: a score
    difference there is a rounding tie, not a disagreement."""
    fit = f["recency"].notna().to_numpy()
    tied = {"f_score": np.zeros(len(f), dtype=bool)}
    for c, score_col in (("recency", "r_score"), ("monetary", "m_score")):
        x = f[c].to_numpy(dtype=np.float64)
        edges = np.quantile(x[fit], [k / BINS for k in range(1, BINS)], method="linear") + 1
        t = np.zeros(len(f), dtype=bool)
        for e in edges:
            t |= fit & (np.abs(x - e) <= 1e-9 * np.maximum(1.0, np.abs(e)))
        tied[score_col] = t
    return tied


def compare(paths):
    ref_path, ref = paths[0], load(paths[0])
    tied = edge_tied(ref) if "r_score" in ref.columns else None
    bad = 0
    any_ties = False
    for p in paths[1:]:
        o = load(p)
        if not ref.index.equals(o.index):
            print(f"MISMATCH {p}: customers differ from {ref_path} "
                  f"({len(o)} vs {len(ref)}; {len(ref.index.symmetric_difference(o.index))} differ)")
            bad += 1
            continue
        ties = np.zeros(len(ref), dtype=bool)  # customers with an allowed score difference
        for c in ref.columns:
            if c not in o.columns:
                continue
            a, b = ref[c], o[c]
            if c in ("recency", "monetary"):
                av, bv = a.to_numpy(dtype=np.float64), b.to_numpy(dtype=np.float64)
                same = (np.isnan(av) & np.isnan(bv)) | \
                    (np.abs(av - bv) <= 1e-9 * np.maximum(1.0, np.abs(av)))
            elif c == "rfm_segment":
                same = np.asarray(a.fillna("").to_numpy() == b.fillna("").to_numpy())
            else:
                av, bv = a.to_numpy(dtype=np.float64), b.to_numpy(dtype=np.float64)
                same = (np.isnan(av) & np.isnan(bv)) | (av == bv)
                if c in ("r_score", "f_score", "m_score"):
                    # a rounding tie moves a customer by one bin at most
                    same |= tied[c] & (np.abs(av - bv) == 1)
                    ties |= tied[c] & (av != bv)
            if c in ("rfm_code", "rfm_total", "rfm_segment"):
                same |= ties  # follows from an edge tie of r_score or m_score (columns come first)
            n = int((~same).sum())
            if n:
                bad += 1
                ids = ref.index[~same][:3].tolist()
                print(f"MISMATCH {p} column {c}: {n} customers differ from {ref_path}, e.g.")
                for i in ids:
                    print(f"    customer {i}: {a.loc[i]!r} vs {b.loc[i]!r}")
        any_ties |= bool(ties.any())
        if ties.any():
            ids = ref.index[ties][:3].tolist()
            print(f"edge ties: {int(ties.sum())} customers of {p.rsplit('/', 1)[-1]} sit on a bin edge "
                  f"(within 1e-9) and got the neighbouring score, e.g. customer {ids[0]}: "
                  f"monetary {ref.loc[ids[0], 'monetary']!r} vs {o.loc[ids[0], 'monetary']!r}")
    if bad:
        sys.exit(1)
    print(f"agree: {len(ref)} customers, {len(paths)} files, columns {', '.join(ref.columns)}"
          f"{' (apart from the edge ties above)' if any_ties else ''}")
    if tied is not None:
        print(f"  {int(tied['r_score'].sum())} recency and {int(tied['m_score'].sum())} monetary values "
              f"of {ref_path.rsplit('/', 1)[-1]} lie within 1e-9 of a bin edge")


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and a[0] == "--compare":
        compare(a[1:])
    elif len(a) == 3 and a[1] in ("-o", "--output"):
        run(a[0], a[2])
    else:
        sys.exit("usage: cli_pandas.py FILE -o OUT.csv | cli_pandas.py --compare REF OTHER...")


if __name__ == "__main__":
    main()
