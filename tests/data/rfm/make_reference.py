#!/usr/bin/python3
"""Independent reference results for tests/test_rfm.c on examples/data/rfm_data_orders.csv.

Recomputes, with pandas/numpy only (no libtier), what the R package `rfm` documents for
rfm_table_order(rfm_data_orders, customer_id, order_date, revenue, as.Date("2006-12-31")):

* recency   = days between the analysis date and the customer's last order date
* frequency = number of orders (rows), monetary = sum of revenue
* quantile mode: interior cut = numpy.quantile(x, k/5, method="linear") (R type 7) + 1;
  bin i holds lower_i <= x < upper_i with lower = (min, cuts...), upper = (cuts..., max + 1);
  recency scores reversed (bin 1 -> score 5)
* segments: the R package's default table, first match wins, else "Others"
* rank mode: pandas qcut(x.rank(method="first"), 5) with customers in order of first appearance

Run:  /usr/bin/python3 tests/data/rfm/make_reference.py   (writes rfm_reference.csv next to it)
"""
import os

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ORDERS = os.path.join(HERE, "..", "..", "..", "examples", "data", "rfm_data_orders.csv")
ANALYSIS_DATE = pd.Timestamp("2006-12-31")
BINS = 5

SEGMENTS = [  # name, (r_lo, r_hi), (f_lo, f_hi), (m_lo, m_hi)
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


def quantile_scores(x, reverse):
    cuts = np.quantile(x, [k / BINS for k in range(1, BINS)], method="linear") + 1
    lower = np.concatenate([[x.min()], cuts])
    upper = np.concatenate([cuts, [x.max() + 1]])
    score = np.zeros(len(x), dtype=int)
    for i in range(BINS):
        inside = (x >= lower[i]) & (x < upper[i])
        score[inside] = BINS - i if reverse else i + 1
    assert (score > 0).all()
    return score, cuts


def rank_scores(x, reverse):
    b = pd.qcut(pd.Series(x).rank(method="first"), BINS, labels=False).to_numpy() + 1
    return BINS + 1 - b if reverse else b


def segment(r, f, m):
    for name, (rl, rh), (fl, fh), (ml, mh) in SEGMENTS:
        if rl <= r <= rh and fl <= f <= fh and ml <= m <= mh:
            return name
    return "Others"


def main():
    orders = pd.read_csv(ORDERS, parse_dates=["order_date"])
    g = orders.groupby("customer_id", sort=False).agg(
        last=("order_date", "max"), frequency=("revenue", "size"), monetary=("revenue", "sum"))
    g["recency"] = (ANALYSIS_DATE - g["last"]).dt.days.astype(float)
    out = pd.DataFrame({"customer_id": g.index, "recency": g["recency"].to_numpy(),
                        "frequency": g["frequency"].to_numpy(float),
                        "monetary": g["monetary"].to_numpy(float)})
    cuts = {}
    for col, letter, rev in (("recency", "r", True), ("frequency", "f", False), ("monetary", "m", False)):
        out[letter + "_score"], cuts[letter] = quantile_scores(out[col].to_numpy(), rev)
        out[letter + "_rank"] = rank_scores(out[col].to_numpy(), rev)
    out["rfm_code"] = 100 * out.r_score + 10 * out.f_score + out.m_score
    out["segment"] = [segment(*t) for t in zip(out.r_score, out.f_score, out.m_score)]
    # The counts the R package documents for this data.
    assert list(np.bincount(out.f_score)[1:]) == [268, 187, 176, 244, 120]
    assert list(np.bincount(out.r_score)[1:]) == [197, 200, 199, 199, 200]
    out.to_csv(os.path.join(HERE, "rfm_reference.csv"), index=False, float_format="%.17g")
    with open(os.path.join(HERE, "rfm_cuts.csv"), "w") as fh:
        fh.write("dim,cut1,cut2,cut3,cut4\n")
        for letter in "rfm":
            fh.write(letter + "," + ",".join("%.17g" % c for c in cuts[letter]) + "\n")
    print(len(out), "customers; segments:", out.segment.value_counts().to_dict())


if __name__ == "__main__":
    main()
