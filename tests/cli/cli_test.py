#!/usr/bin/env python3
"""Tests of the `tier` command-line program: golden outputs on small data, error messages and
exit codes, for every subcommand. Prints TAP.

    cli_test.py --tier PATH --data DIR --golden DIR GROUP

GROUP is one of: general features score assign whatif pivot report demo. Set
TIER_UPDATE_GOLDEN=1 to rewrite the golden files from the current output (then review the
diff before committing them).
"""
import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile

ARGS = None
TMP = None
UPDATE = os.environ.get("TIER_UPDATE_GOLDEN") == "1"

# exit codes documented in doc/tier.1
EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_READ, EXIT_DATA, EXIT_MODEL, EXIT_WRITE = range(7)


class Failure(Exception):
    pass


def data(name):
    return os.path.join(ARGS.data, name)


def tmp(name):
    return os.path.join(TMP, name)


def run(*args, stdin=None, cwd=None):
    env = dict(os.environ, LC_ALL="C")
    env.pop("TIER_DATA_DIR", None)
    p = subprocess.run([ARGS.tier] + list(args), input=stdin, capture_output=True, cwd=cwd,
                       env=env, timeout=300)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def expect(cond, what):
    if not cond:
        raise Failure(what)


def expect_code(got, want, out, err):
    if got != want:
        raise Failure(f"exit {got}, expected {want}\nstdout: {out[:2000]}\nstderr: {err[:2000]}")


def ok(*args, **kw):
    """Runs a command that must succeed with an empty stderr; returns stdout."""
    code, out, err = run(*args, **kw)
    expect_code(code, EXIT_OK, out, err)
    expect(err == "", f"unexpected stderr: {err}")
    return out


def fails(code_wanted, needle, *args, **kw):
    """Runs a command that must fail with `code_wanted`, a `tier` error line containing
    `needle`, and nothing on stdout."""
    code, out, err = run(*args, **kw)
    expect_code(code, code_wanted, out, err)
    expect(needle in err, f"stderr lacks {needle!r}: {err}")
    first = err.splitlines()[0] if err else ""
    expect(first.startswith("tier"), f"error line does not start with 'tier': {first!r}")
    expect(out == "", f"unexpected stdout on failure: {out[:500]}")
    return err


def golden(name, text):
    path = os.path.join(ARGS.golden, name)
    if UPDATE:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return
    with open(path, encoding="utf-8", newline="") as f:
        want = f.read()
    if text != want:
        diff = "".join(difflib.unified_diff(want.splitlines(True), text.splitlines(True),
                                            "golden/" + name, "output"))
        raise Failure("output differs from golden file:\n" + diff)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


SMALL = ["--order", "order_id", "--attr", "country"]

# ---- general ------------------------------------------------------------------------------

COMMANDS = ["features", "score", "assign", "whatif", "pivot", "report", "demo"]


def t_version():
    out = ok("--version")
    expect(out.startswith("tier 0.1.0 (libtier "), out)
    expect(ok("-V") == out, "-V differs from --version")


def t_help():
    out = ok("--help")
    for c in COMMANDS:
        expect(f"  {c} " in out, f"--help does not list {c}")
    expect(ok("help", "assign").startswith("Usage: tier assign RULES"), "tier help assign")


def t_help_every_command():
    for c in COMMANDS:
        for flag in ("--help", "-h"):
            out = ok(c, flag)
            expect(out.startswith(f"Usage: tier {c} "), f"{c} {flag}: {out[:80]}")
            expect("Exit status:" in out, f"{c} --help lacks the exit codes")
            for line in out.splitlines():
                expect(len(line) <= 80, f"{c} --help line longer than 80: {line!r}")


def t_no_command():
    code, out, err = run()
    expect_code(code, EXIT_USAGE, out, err)
    expect(err.startswith("Usage: tier COMMAND"), err)


def t_unknown_command():
    fails(EXIT_USAGE, "unknown command 'frobnicate'", "frobnicate")
    fails(EXIT_USAGE, "did you mean 'features'", "featurs")
    fails(EXIT_USAGE, "unknown option '--frob'", "--frob")


def t_unknown_option():
    err = fails(EXIT_USAGE, "unknown option '--as-off' (did you mean '--as-of'?)", "features",
                "--as-off", "2011-01-01", data("small.csv"))
    expect("Try 'tier features --help'" in err, err)
    fails(EXIT_USAGE, "option '--output' needs a value", "features", data("small.csv"), "-o")
    fails(EXIT_USAGE, "option '--no-header' takes no value", "features", "--no-header=1",
          data("small.csv"))
    fails(EXIT_USAGE, "unknown option '-Z'", "pivot", "-Z")


def t_bad_values():
    fails(EXIT_USAGE, "--as-of: 'yesterday' is not a date", "features", "--as-of", "yesterday",
          data("small.csv"))
    fails(EXIT_USAGE, "--as-of: '2011-02-30' is not a date", "features", "--as-of",
          "2011-02-30", data("small.csv"))
    fails(EXIT_USAGE, "--bad-rows: 'lenient' is not one of: strict, skip", "features",
          "--bad-rows", "lenient", data("small.csv"))
    fails(EXIT_USAGE, "--delimiter: ';;' is not one character", "features", "--delimiter", ";;",
          data("small.csv"))
    fails(EXIT_USAGE, "--bins: '11' is not a whole number from 2 to 10", "score", "--rfm",
          "--bins", "11", data("small.csv"))
    fails(EXIT_USAGE, "--preset: 'nope' is not one of: online-retail", "features", "--preset",
          "nope", data("small.csv"))


# ---- features ------------------------------------------------------------------------------


def t_features_golden():
    golden("features.csv", ok("features", *SMALL, data("small.csv")))


def t_features_stdin_stdout():
    with open(data("small.csv"), "rb") as f:
        text = f.read()
    out = ok("features", *SMALL, "-", stdin=text)
    golden("features.csv", out)
    ok("features", *SMALL, "-o", tmp("f.csv"), data("small.csv"))
    golden("features.csv", read(tmp("f.csv")))


def t_features_columns_as_of():
    out = ok("features", *SMALL, "--columns", "recency,monetary,country", "--as-of",
             "2011-04-30", data("small.csv"))
    golden("features_columns.csv", out)
    fails(EXIT_USAGE, "did you mean 'monetary'", "features", *SMALL, "--columns", "monetry",
          data("small.csv"))


def t_features_gzip_delimiter_no_header():
    import gzip
    with open(data("small.csv"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    # same data, ';' separated, no header (the quoted country keeps its comma), gzip-compressed
    rows = []
    for line in lines[1:]:
        rows.append(line.replace(",", ";").replace('"Korea; South"', '"Korea, South"'))
    with gzip.open(tmp("semi.csv.gz"), "wt", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    out = ok("features", "--no-header", "--delimiter", ";", "-c", "#1", "-t", "#2", "-a", "#3",
             "--order", "#4", "--attr", "#5", tmp("semi.csv.gz"))
    want = ok("features", *SMALL, data("small.csv")).replace("country\n", "#5\n", 1)
    expect(out == want, "gzip/;/no-header output differs:\n" + out)


def t_features_saved_dataset():
    ok("features", *SMALL, "--save", tmp("small.tierds"), "-o", tmp("x.csv"), data("small.csv"))
    golden("features.csv", ok("features", "--dataset", tmp("small.tierds")))
    fails(EXIT_USAGE, "not both", "features", "--dataset", tmp("small.tierds"), data("small.csv"))
    with open(tmp("corrupt.tierds"), "wb") as f:
        f.write(b"TIERDSET" + b"\x00" * 40)
    fails(EXIT_MODEL, "corrupt.tierds", "features", "--dataset", tmp("corrupt.tierds"))


def t_features_errors():
    fails(EXIT_READ, "nope.csv: No such file or directory", "features", tmp("nope.csv"))
    fails(EXIT_READ, "is a directory", "features", TMP)
    fails(EXIT_USAGE, "no input file", "features")
    fails(EXIT_USAGE, "unexpected argument", "features", data("small.csv"), data("small.csv"))
    # an unknown column in the mapping is a data error with a suggestion
    fails(EXIT_DATA, "did you mean 'customer_id'", "features", "--customer", "customerid",
          data("small.csv"))
    # strict: the first bad row stops everything, with file:line:column
    err = fails(EXIT_DATA, "bad_row.csv:4:", "features", "--order", "order_id", data("bad_row.csv"))
    expect("abc" in err, err)
    # skip: the rest is used, the bad row is counted in a warning
    code, out, err = run("features", "--order", "order_id", "--bad-rows", "skip",
                         data("bad_row.csv"))
    expect_code(code, EXIT_OK, out, err)
    expect(out.count("\n") == 4, out)  # header + A, B, D
    expect("tier: warning:" in err and "skipped 1 bad row" in err and "bad_row.csv:4:" in err, err)
    code, out, err = run("features", "--order", "order_id", "--bad-rows", "skip", "-q",
                         data("bad_row.csv"))
    expect(code == 0 and err == "", err)
    # an analysis date before the data
    fails(EXIT_DATA, "", "features", *SMALL, "--as-of", "2010-01-01", data("small.csv"))
    # nothing but a header
    with open(tmp("header.csv"), "w") as f:
        f.write("customer_id,time,amount\n")
    fails(EXIT_DATA, "", "features", tmp("header.csv"))
    # output cannot be written
    fails(EXIT_WRITE, "/nonexistent/dir/out.csv", "features", *SMALL, "-o",
          "/nonexistent/dir/out.csv", data("small.csv"))
    expect(not os.path.exists("/nonexistent/dir"), "")


def t_features_quantity_price():
    with open(tmp("qp.csv"), "w") as f:
        f.write("cust,when,qty,price\nx,2011-01-01,2,1.5\nx,2011-01-02,-1,1.5\ny,2011-01-03,4,2\n")
    out = ok("features", "-c", "cust", "-t", "when", "--quantity", "qty", "--price", "price",
             "--columns", "monetary,returns_value", tmp("qp.csv"))
    expect(out == "customer_id,monetary,returns_value\nx,1.5,1.5\ny,8,0\n", out)
    fails(EXIT_USAGE, "--quantity needs --price", "features", "--quantity", "qty", tmp("qp.csv"))


# ---- score ---------------------------------------------------------------------------------


def t_score_rfm_golden():
    golden("score_rfm.csv", ok("score", "--rfm", *SMALL, data("small.csv")))
    golden("score_rfm_rank.csv", ok("score", "--rfm", "--mode", "rank", "--bins", "3", *SMALL,
                                    data("small.csv")))


def t_score_model_roundtrip():
    first = ok("score", "--rfm", "--save-model", tmp("rfm.model"), *SMALL, data("small.csv"))
    again = ok("score", "--model", tmp("rfm.model"), *SMALL, data("small.csv"))
    expect(first == again, "applying the saved model gives other scores")
    fails(EXIT_USAGE, "--save-model saves", "score", "--model", tmp("rfm.model"), "--save-model",
          tmp("x"), data("small.csv"))
    fails(EXIT_READ, "missing.model", "score", "--model", tmp("missing.model"), data("small.csv"))


def t_score_summary():
    code, out, err = run("score", "--rfm", "--summary", *SMALL, data("small.csv"))
    expect_code(code, EXIT_OK, out, err)
    expect("Champions" in err and "1 customer without a purchase is not scored" in err, err)


def t_score_ahp():
    golden("score_ahp.csv", ok("score", "--ahp", data("weights.ahp"), *SMALL, data("small.csv")))
    err = fails(EXIT_MODEL, "consistency ratio", "score", "--ahp", data("inconsistent.ahp"),
                *SMALL, data("small.csv"))
    expect("revisit" in err, err)
    out = ok("score", "--ahp", data("inconsistent.ahp"), "--allow-inconsistent", *SMALL,
             data("small.csv"))
    expect(out.startswith("customer_id,monetary,frequency,recency,ahp_score\n"), out)


def t_score_usage():
    fails(EXIT_USAGE, "choose one of --rfm, --ahp FILE or --model FILE", "score", data("small.csv"))
    fails(EXIT_USAGE, "choose one of", "score", "--rfm", "--ahp", data("weights.ahp"),
          data("small.csv"))


# ---- assign --------------------------------------------------------------------------------


def t_assign_golden():
    golden("assign.csv", ok("assign", data("small.tier"), *SMALL, "--events", tmp("ev.csv"),
                            "--save-state", tmp("state.tier"), data("small.csv")))
    golden("assign_events.csv", read(tmp("ev.csv")))


def t_assign_dynamic():
    """Three periods: C falls below Gold in period 2 (held by the one-evaluation grace) and is
    downgraded in period 3; G disappears (gone); a pin keeps B in Gold."""
    ok("assign", data("small.tier"), *SMALL, "--save-state", tmp("s.tier"), "-o", tmp("p1.csv"),
       data("small.csv"))
    with open(tmp("p2.csv"), "w") as f:
        f.write("customer_id,time,amount,order_id,country\n"
                "A,2011-04-02,500,p1,FR\nA,2011-04-03,20,p2,FR\nC,2011-04-05,50,p3,UK\n"
                "H,2011-04-07,10,p4,UK\nB,2011-04-08,5,p5,DE\n")
    out2 = ok("assign", data("small.tier"), *SMALL, "--previous", tmp("s.tier"), "--save-state",
              tmp("s.tier"), "--events", tmp("e2.csv"), "--pin", "B=Gold,2011-06-30",
              tmp("p2.csv"))
    golden("assign_period2.csv", out2)
    golden("assign_period2_events.csv", read(tmp("e2.csv")))
    with open(tmp("p3.csv"), "w") as f:
        f.write("customer_id,time,amount,order_id,country\n"
                "C,2011-05-05,60,q1,UK\nB,2011-05-06,5,q2,DE\n")
    code, out3, err = run("assign", data("small.tier"), *SMALL, "--previous", tmp("s.tier"),
                          "--events", "-", "-o", tmp("p3out.csv"), tmp("p3.csv"))
    expect_code(code, EXIT_OK, out3, err)
    golden("assign_period3_events.csv", out3)


def t_assign_rfm_rules():
    golden("assign_rfm.csv", ok("assign", data("rfm.tier"), *SMALL, data("small.csv")))


def t_assign_errors():
    err = fails(EXIT_MODEL, "typo.tier:2:18: unknown column 'monetry' (did you mean 'monetary'?)",
                "assign", data("typo.tier"), *SMALL, data("small.csv"))
    fails(EXIT_READ, "none.tier", "assign", tmp("none.tier"), data("small.csv"))
    fails(EXIT_USAGE, "no rule file", "assign")
    with open(tmp("junk.state"), "wb") as f:
        f.write(b"not a state file at all")
    fails(EXIT_MODEL, "junk.state", "assign", data("small.tier"), "--previous", tmp("junk.state"),
          *SMALL, data("small.csv"))
    fails(EXIT_USAGE, "--pin: 'B' is not ID=TIER", "assign", data("small.tier"), "--pin", "B",
          *SMALL, data("small.csv"))
    fails(EXIT_USAGE, "Platinum", "assign", data("small.tier"), "--pin", "B=Platinum", *SMALL,
          data("small.csv"))
    fails(EXIT_USAGE, "--events - and the tiers both", "assign", data("small.tier"), "--events",
          "-", *SMALL, data("small.csv"))


# ---- whatif --------------------------------------------------------------------------------


def t_whatif_formats():
    base = ["whatif", data("small.tier"), data("candidate.tier"), *SMALL, data("small.csv")]
    golden("whatif.txt", ok(*base))
    golden("whatif.csv", ok(*base, "--format", "csv"))
    out = ok(*base, "--format", "json")
    doc = json.loads(out)
    expect(doc["changed"] == 2 and doc["customers"] == 8, out)
    expect(doc["transitions"] == [[1, 1, 0], [0, 1, 1], [0, 0, 4]], out)
    ok(*base, "--events", tmp("wev.csv"))
    expect(read(tmp("wev.csv")).startswith("customer_id,time,kind,old_tier,new_tier\n"), "")


def t_whatif_errors():
    fails(EXIT_USAGE, "give the current and the candidate", "whatif", data("small.tier"))
    fails(EXIT_MODEL, "typo.tier:2:18", "whatif", data("small.tier"), data("typo.tier"), *SMALL,
          data("small.csv"))


# ---- pivot ---------------------------------------------------------------------------------


def t_pivot_one_way():
    golden("pivot_country.txt", ok("pivot", "--rows", "country", "--value", "monetary", *SMALL,
                                   data("small.csv")))
    golden("pivot_country.csv", ok("pivot", "--rows", "country", "--value", "monetary",
                                   "--margins", "--sort", "count", "--format", "csv", *SMALL,
                                   data("small.csv")))


def t_pivot_grid():
    golden("pivot_tier_country.txt", ok("pivot", "--rows", "tier", "--cols", "country",
                                        "--rules", data("small.tier"), "--margins", *SMALL,
                                        data("small.csv")))
    golden("pivot_rf_mean.csv", ok("pivot", "--rows", "r_score", "--cols", "f_score", "--value",
                                   "monetary", "--stat", "mean", "--format", "csv", *SMALL,
                                   data("small.csv")))
    out = ok("pivot", "--rows", "country", "--cols", "tier", "--rules", data("small.tier"),
             "--long", "--sparse", "--share", "rows", "--format", "json", *SMALL,
             data("small.csv"))
    doc = json.loads(out)
    expect(doc["total"] == 8 and doc["columns"] == ["country", "tier", "count", "share"], out)
    fr = [r for r in doc["rows"] if r["country"] == "FR"]
    expect(fr == [{"country": "FR", "tier": "Gold", "count": 1, "share": 0.5},
                  {"country": "FR", "tier": "Silver", "count": 1, "share": 0.5}], out)


def t_pivot_by_month():
    golden("pivot_month_tier.txt", ok("pivot", "--by", "month", "--cols", "tier", "--rules",
                                      data("small.tier"), "--margins", *SMALL, data("small.csv")))
    golden("pivot_month.csv", ok("pivot", "--by", "month", "--value", "monetary", "--format",
                                 "csv", *SMALL, data("small.csv")))


def t_pivot_errors():
    fails(EXIT_USAGE, "give --rows COL", "pivot", data("small.csv"))
    fails(EXIT_USAGE, "--stat mean needs --value", "pivot", "--rows", "country", "--stat", "mean",
          *SMALL, data("small.csv"))
    fails(EXIT_USAGE, "did you mean 'country'", "pivot", "--rows", "contry", *SMALL,
          data("small.csv"))
    fails(EXIT_USAGE, "categorical", "pivot", "--rows", "country", "--value", "country", *SMALL,
          data("small.csv"))
    fails(EXIT_USAGE, "--by makes the periods the rows", "pivot", "--by", "month", "--rows",
          "country", *SMALL, data("small.csv"))


# ---- report and demo -----------------------------------------------------------------------


def t_report_small():
    ok("report", "--rules", data("small.tier"), *SMALL, "-o", tmp("r.html"), "--customers",
       tmp("r.csv"), data("small.csv"))
    html = read(tmp("r.html"))
    expect(html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>"), html[:200])
    expect("<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""), "the report must not load anything")
    expect(html.count('class="slice"') == 3, "one donut slice per non-empty tier")
    expect(html.count('class="cell"') == 25, "5 × 5 heat map cells")
    expect(html.count('class="pt"') == 7, "customers with a purchase and positive spend")
    # bars: one per (month, tier) with customers: Jan Silver+Basic, Feb Gold+Silver,
    # Mar Gold+Silver+Basic (golden/pivot_month_tier.txt)
    expect(html.count('class="bar"') == 7, html.count('class="bar"'))
    expect("Tiers by country" in html and "Korea, South" in html, "pivot table")
    customers = read(tmp("r.csv")).splitlines()
    expect(customers[0].startswith("customer_id,tier,rfm_segment,r_score"), customers[0])
    expect(len(customers) == 9, len(customers))
    # to stdout, grouped by RFM segment without rules
    out = ok("report", *SMALL, "-o", "-", data("small.csv"))
    expect("Customers per RFM segment" in out, "")
    fails(EXIT_USAGE, "--previous needs --rules", "report", "--previous", tmp("s.tier"),
          data("small.csv"))


def t_demo():
    out_dir = tmp("demo")
    os.mkdir(out_dir)
    code, out, err = run("demo", "--out-dir", out_dir)
    expect_code(code, EXIT_OK, out, err)
    for word in ("541,909 rows read", "4,372 customers", "analysis date 2011-12-10", "Diamond",
                 "Gold", "Silver", "Normal", "Total", "tier-report.html", "tier-customers.csv"):
        expect(word in out, f"demo output lacks {word!r}:\n{out}")
    html = read(os.path.join(out_dir, "tier-report.html"))
    expect(html.count('class="slice"') == 4 and html.count('class="cell"') == 25, "")
    expect(html.count('class="pt"') == 2000, html.count('class="pt"'))
    rows = read(os.path.join(out_dir, "tier-customers.csv")).splitlines()
    expect(len(rows) == 4373, len(rows))
    # no arguments at all, from another directory: writes into the current directory
    code, out, err = run("demo", "-q", cwd=out_dir)
    expect_code(code, EXIT_OK, out, err)
    expect(out == "./tier-report.html\n./tier-customers.csv\n", out)
    fails(EXIT_WRITE, "not a directory", "demo", "--out-dir", os.path.join(out_dir, "tier-report.html"))
    fails(EXIT_READ, "nothing.csv.gz", "demo", "--data", tmp("nothing.csv.gz"))
    fails(EXIT_USAGE, "takes no input file", "demo", "x.csv")


GROUPS = {
    "general": [t_version, t_help, t_help_every_command, t_no_command, t_unknown_command,
                t_unknown_option, t_bad_values],
    "features": [t_features_golden, t_features_stdin_stdout, t_features_columns_as_of,
                 t_features_gzip_delimiter_no_header, t_features_saved_dataset,
                 t_features_errors, t_features_quantity_price],
    "score": [t_score_rfm_golden, t_score_model_roundtrip, t_score_summary, t_score_ahp,
              t_score_usage],
    "assign": [t_assign_golden, t_assign_dynamic, t_assign_rfm_rules, t_assign_errors],
    "whatif": [t_whatif_formats, t_whatif_errors],
    "pivot": [t_pivot_one_way, t_pivot_grid, t_pivot_by_month, t_pivot_errors],
    "report": [t_report_small],
    "demo": [t_demo],
}


def main():
    global ARGS, TMP
    ap = argparse.ArgumentParser()
    ap.add_argument("--tier", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--golden", required=True)
    ap.add_argument("group", choices=sorted(GROUPS))
    ARGS = ap.parse_args()
    ARGS.tier = os.path.abspath(ARGS.tier)
    tests = GROUPS[ARGS.group]
    print(f"1..{len(tests)}")
    failed = 0
    with tempfile.TemporaryDirectory(prefix="tier-cli-") as d:
        TMP = d
        for i, t in enumerate(tests, 1):
            try:
                t()
                print(f"ok {i} - {t.__name__}")
            except Failure as e:
                failed += 1
                print(f"not ok {i} - {t.__name__}")
                for line in str(e).splitlines():
                    print("# " + line)
            sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
