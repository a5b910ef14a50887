#!/usr/bin/env python3
"""Independent reference figures for tests/test_csv.c (real-data test on Online Retail).

Uses only the standard csv/gzip/datetime/math modules, not libtier, so the C test checks the
loader and the dataset against a second route. Run from the repository root:

    /usr/bin/python3 tests/data/online_retail_reference.py examples/data/online_retail.csv.gz

Semantics (include/tier/dataset.h): amount = Quantity * UnitPrice; amount > 0 is a purchase,
amount < 0 a return, amount 0 neither; orders are InvoiceNo; rows without CustomerID are
skipped; as_of = one day after the latest transaction with a customer id.
"""
import csv
import gzip
import math
import sys
from datetime import datetime, timezone

CUSTOMERS = ["12346", "12347", "17850", "14911", "18102", "12748", "16446", "13047"]


def epoch(text):
    dt = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    return int(dt.timestamp())


def norm_id(text):
    text = text.strip()
    if text.endswith(".0"):
        text = text[:-2]
    return text


def main(path):
    rows = no_id = 0
    cust = {}
    countries_all = set()
    countries_used = set()
    order = []
    latest = None
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        r = csv.reader(f)
        header = next(r)
        ix = {name: i for i, name in enumerate(header)}
        for rec in r:
            rows += 1
            countries_all.add(rec[ix["Country"]])
            cid = norm_id(rec[ix["CustomerID"]])
            if not cid:
                no_id += 1
                continue
            t = epoch(rec[ix["InvoiceDate"]])
            amount = float(rec[ix["Quantity"]]) * float(rec[ix["UnitPrice"]])
            inv = rec[ix["InvoiceNo"]]
            countries_used.add(rec[ix["Country"]])
            c = cust.get(cid)
            if c is None:
                c = cust[cid] = {"amounts": [], "buy_orders": set(), "ret_orders": set(),
                                 "buy_times": [], "first_any": t, "days": set(),
                                 "ret_value": [], "country": None, "country_t": None}
                order.append(cid)
            c["amounts"].append(amount)
            c["first_any"] = min(c["first_any"], t)
            if amount > 0:
                c["buy_orders"].add(inv)
                c["buy_times"].append(t)
                c["days"].add(t // 86400)
            elif amount < 0:
                c["ret_orders"].add(inv)
                c["ret_value"].append(-amount)
            if c["country_t"] is None or t >= c["country_t"]:
                c["country"], c["country_t"] = rec[ix["Country"]], t
            latest = t if latest is None else max(latest, t)
    as_of = latest + 86400
    print(f"rows {rows}")
    print(f"rows_without_id {no_id}")
    print(f"rows_used {rows - no_id}")
    print(f"customers {len(cust)}")
    print(f"countries_all {len(countries_all)}")
    print(f"countries_with_id {len(countries_used)}")
    print(f"first_customer {order[0]} last_customer {order[-1]}")
    print(f"as_of {as_of}")
    total = math.fsum(a for c in cust.values() for a in c["amounts"])
    print(f"total_monetary {total!r}")
    for cid in CUSTOMERS:
        c = cust[cid]
        monetary = math.fsum(c["amounts"])
        freq = len(c["buy_orders"])
        bt = c["buy_times"]
        recency = (as_of - max(bt)) / 86400 if bt else float("nan")
        first = min(bt) if bt else float("nan")
        last = max(bt) if bt else float("nan")
        print(f"customer {cid} row {order.index(cid)} frequency {freq} monetary {monetary!r} "
              f"recency {recency!r} first {first} last {last} "
              f"tenure {(as_of - c['first_any']) / 86400!r} purchase_days {len(c['days'])} "
              f"returns {len(c['ret_orders'])} returns_value {math.fsum(c['ret_value'])!r} "
              f"country {c['country']!r}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "examples/data/online_retail.csv.gz")
