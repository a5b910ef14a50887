#!/usr/bin/python3
"""Independent reference for tests/test_churn.c and tests/test_lifecycle.c on the bundled UCI
Online Retail sample, computed with pandas straight from the CSV (not through libtier).

Run:  /usr/bin/python3 tests/data/clv/online_retail_reference.py > tests/data/clv/online_retail_reference.txt

Definitions (those of include/tier/dataset.h, churn.h and lifecycle.h):
  amount = Quantity * UnitPrice; a purchase is a row with amount > 0; rows without CustomerID are
  dropped; ids "17850.0" -> "17850"; as_of = latest InvoiceDate (any row) + 1 day.
  cohort   = calendar month of a customer's first purchase; active in month m = a purchase in m.
  churned  = recency (days from the last purchase to as_of) > 90; NaN without a purchase.
  Country  = the value on the customer's latest row (any amount; equal times: the later row).
  lifecycle: rules of lifecycle.h with the default options.
Output lines:
  cohort <YYYY-MM> <size> <active at offset 0> <offset 1> ... (observed offsets only)
  churn <country> <customers with a known flag> <churned> <unknown>
  stage <name> <customers>
  default_gap <days>
"""
import sys

import numpy as np
import pandas as pd

path = sys.argv[1] if len(sys.argv) > 1 else "examples/data/online_retail.csv.gz"
df = pd.read_csv(path, dtype={"CustomerID": str, "InvoiceNo": str, "StockCode": str})
as_of = pd.to_datetime(df["InvoiceDate"]).max() + pd.Timedelta(days=1)
df = df[df["CustomerID"].notna() & (df["CustomerID"].str.strip() != "")].copy()
df["id"] = df["CustomerID"].str.strip().str.replace(r"\.0*$", "", regex=True)
df["t"] = pd.to_datetime(df["InvoiceDate"])
df["amount"] = df["Quantity"].astype(float) * df["UnitPrice"].astype(float)
df["row"] = np.arange(len(df))
buy = df[df["amount"] > 0].copy()
buy["day"] = buy["t"].dt.floor("D")
buy["month"] = buy["t"].dt.to_period("M")

first = buy.groupby("id")["t"].min()
last = buy.groupby("id")["t"].max()
first_month = buy.groupby("id")["month"].min()

# cohorts
months = pd.period_range(buy["month"].min(), buy["month"].max(), freq="M")
act = buy[["id", "month"]].drop_duplicates()
act = act.join(first_month.rename("cohort"), on="id")
for i, c in enumerate(months):
    size = int((first_month == c).sum())
    cells = []
    for k in range(len(months) - i):
        cells.append(int(((act["cohort"] == c) & (act["month"] == months[i + k])).sum()))
    print("cohort", str(c), size, " ".join(map(str, cells)))

# churn by country
recency = (as_of - last).dt.total_seconds() / 86400.0
latest = df.sort_values(["t", "row"], kind="stable").groupby("id").tail(1).set_index("id")["Country"]
ids = pd.Index(df["id"].unique())
flag = pd.Series(np.nan, index=ids)
flag.loc[recency.index] = (recency > 90).astype(float)
country = latest.reindex(ids)
for name, g in flag.groupby(country, sort=False):
    known = g.notna()
    print("churn", name.replace(" ", "_"), int(known.sum()), int((g[known] == 1).sum()), int((~known).sum()))

# lifecycle (default options)
days = buy[["id", "day"]].drop_duplicates().sort_values(["id", "day"])
n_days = days.groupby("id").size()
rep = n_days - 1
t_x = (last - first).dt.total_seconds() / 86400.0
T = (as_of - first).dt.total_seconds() / 86400.0
gaps = (t_x / rep)[rep >= 1]
g = gaps.to_numpy()
g.sort()
med = g[len(g) // 2] if len(g) % 2 else 0.5 * (g[len(g) // 2 - 1] + g[len(g) // 2])
clamp = lambda v: min(max(v, 7.0), 365.0)
default = clamp(med)
print("default_gap", repr(default))
day_lists = days.groupby("id")["day"].apply(list)
counts = {s: 0 for s in ["new", "active", "at-risk", "dormant", "churned", "reactivated"]}
for cid in first.index:
    R = recency[cid]
    if T[cid] <= 30.0:
        counts["new"] += 1
        continue
    gap = clamp(t_x[cid] / rep[cid] if rep[cid] >= 1 else default)
    if R <= 1.5 * gap:
        dl = day_lists[cid]
        st = "active"
        if len(dl) >= 2:
            before = (dl[-2] - dl[0]).days / (len(dl) - 2) if len(dl) >= 3 else default
            if (dl[-1] - dl[-2]).days > 3.0 * clamp(before):
                st = "reactivated"
        counts[st] += 1
    elif R <= 3.0 * gap:
        counts["at-risk"] += 1
    elif R <= 6.0 * gap:
        counts["dormant"] += 1
    else:
        counts["churned"] += 1
for k, v in counts.items():
    print("stage", k, v)
