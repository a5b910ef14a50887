#!/usr/bin/env python3
"""The whole libtier flow from Python, on the bundled Online Retail sample.

    load transactions -> features -> RFM scores and segments -> tier rules -> assignment

Usage: flow.py [transactions.csv[.gz] [rules-directory]]
  defaults: examples/data/online_retail.csv.gz and examples/rules/ next to this script.
Needs the `tier` package (bindings/python) on PYTHONPATH and libtier through $TIER_LIBRARY,
the package directory or the system library path. Prints counts; examples/flow.lua prints
exactly the same lines.

Data: UCI Machine Learning Repository, Online Retail (dataset 352), Daqing Chen, London South
Bank University. CC BY 4.0.
"""

import os
import sys

import tier

HERE = os.path.dirname(os.path.abspath(__file__))


def show(title, counts):
    print(title)
    for name, n in counts.items():
        print("  %-20s %6d" % (name, n))


def main(argv):
    data = argv[1] if len(argv) > 1 else os.path.join(HERE, "data", "online_retail.csv.gz")
    rules_dir = argv[2] if len(argv) > 2 else os.path.join(HERE, "rules")

    # 1. Load: the Online Retail columns, invoices as orders, Country kept per customer.
    ds = tier.Dataset.from_csv(data, customer="CustomerID", time="InvoiceDate",
                               quantity="Quantity", price="UnitPrice", order="InvoiceNo",
                               categorical=["Country"])
    report = ds.csv_report
    print("rows %d, used %d, without customer %d" % (report.rows, report.rows_used,
                                                    report.rows_no_customer))
    print("customers %d, as of %s" % (len(ds), ds.as_of_datetime.strftime("%Y-%m-%d")))

    # 2. RFM: quantile bins as in R's rfm package; customers who never bought stay unscored.
    rfm = tier.RFM(bins=5, mode="quantile", nan="unscored").fit_apply(ds)
    summary = rfm.summarize(ds)
    show("rfm segments (%d unscored)" % summary.unscored,
         {row["label"]: row["count"] for row in summary})

    # 3. Rules: loyalty tiers on the features, then the segment table as a rule set.
    retail = tier.Rules.load(os.path.join(rules_dir, "retail.tier"), dataset=ds)
    assignment = retail.assign(ds)
    show("tiers (retail.tier)", assignment.counts())
    segments = tier.Rules.load(os.path.join(rules_dir, "rfm_segments.tier"), dataset=ds)
    show("segments as rules (rfm_segments.tier)", segments.assign(ds).counts())

    # 4. Use the assignment: a tier column, and a summary of spend per tier.
    assignment.to_column(ds, "tier")
    table = tier.Summary(ds, "tier", value="monetary")
    print("net revenue per tier")
    for row in table.rows():
        print("  %-20s %12.2f" % (row["tier"], row["monetary_sum"]))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except tier.Error as e:
        print("flow.py: %s" % e, file=sys.stderr)
        sys.exit(1)
