#!/usr/bin/env python3
"""Renders the demo report in headless Chromium, as a person would open it, and checks it.

    render_report.py --tier PATH --data FILE --rules FILE [--keep-screenshot PNG]
                     [--height PIXELS]

1. `tier demo` writes tier-report.html (and tier-customers.csv) into a scratch directory.
2. Chromium loads the file with --dump-dom: the parsed document must hold the seven charts
   with the right numbers of marks: one donut slice per tier that has customers, one heat-map
   cell per R × F pair (25), one scatter point per sampled customer, one bar segment per month
   and tier with customers; and from the CLV models: one quantile box per tier with CLV values,
   one P(alive) point per sampled customer, one retention cell per cohort and later observed
   month (m (m − 1) / 2 for m months of data). The expected numbers are computed
   independently, from the customer CSV and from `tier pivot`.
3. Chromium takes a screenshot; the PNG is decoded (standard library only) and must show the
   report: many colours, the tier colours of the charts, a light page background.
4. The browser log must show no page (console) errors.

Exit status: 0 pass, 1 fail, 77 skip (no Chromium installed).
"""
import argparse
import csv
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--hide-scrollbars", "--disable-extensions", "--mute-audio"]


def find_chromium():
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def chromium(exe, workdir, *args):
    profile = tempfile.mkdtemp(prefix="profile-", dir=workdir)  # fresh every run
    cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
           *args]
    p = subprocess.run(cmd, capture_output=True, timeout=120)
    if p.returncode != 0:
        raise SystemExit(f"FAIL: chromium exited {p.returncode}: {p.stderr.decode()[-2000:]}")
    return p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def png_pixels(path):
    """Decodes an 8-bit RGB or RGBA non-interlaced PNG: returns (width, height, rows of bytes,
    bytes per pixel)."""
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("FAIL: the screenshot is not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(blob):
        n, kind = struct.unpack(">I4s", blob[pos:pos + 8])
        body = blob[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, color, _, _, interlace = header
    if depth != 8 or color not in (2, 6) or interlace:
        raise SystemExit(f"FAIL: unexpected PNG format (depth {depth}, colour type {color})")
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, rows, bpp


def expected_counts(tier, data, rules, out_dir):
    with open(os.path.join(out_dir, "tier-customers.csv"), newline="", encoding="utf-8") as f:
        customers = list(csv.DictReader(f))
    tiers = {c["tier"] for c in customers if c["tier"]}
    eligible = sum(1 for c in customers
                   if c["tier"] and float(c["frequency"]) >= 1 and float(c["monetary"]) > 0)
    p = subprocess.run([tier, "pivot", "--by", "month", "--cols", "tier", "--rules", rules,
                        "--preset", "online-retail", "--format", "csv", "-q", data],
                       capture_output=True, check=True)
    grid = list(csv.reader(p.stdout.decode().splitlines()))
    bars = sum(1 for row in grid[1:] for v in row[1:] if v and float(v) > 0)
    boxes = len({c["tier"] for c in customers if c["tier"] and c["clv"]})
    alive = sum(1 for c in customers if c["tier"] and c["p_alive"] and c["recency"])
    # months from the earliest first purchase to the latest purchase (UTC)
    import datetime
    def month(t):
        d = datetime.datetime.fromtimestamp(float(t), datetime.timezone.utc)
        return d.year * 12 + d.month - 1
    firsts = [month(c["first_purchase"]) for c in customers if c["first_purchase"]]
    lasts = [month(c["last_purchase"]) for c in customers if c["last_purchase"]]
    m = max(lasts) - min(firsts) + 1
    return {"slice": len(tiers), "cell": 25, "pt": min(2000, eligible), "bar": bars,
            "box": boxes, "apt": min(2000, alive), "rcell": m * (m - 1) // 2}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tier", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--rules", required=True)
    ap.add_argument("--keep-screenshot")
    ap.add_argument("--height", type=int, default=2600)
    args = ap.parse_args()
    exe = find_chromium()
    if not exe:
        print("SKIP: no chromium found (install Debian's 'chromium' package)")
        return 77
    with tempfile.TemporaryDirectory(prefix="tier-browser-") as d:
        subprocess.run([args.tier, "demo", "-q", "--out-dir", d, "--data", args.data, "--rules",
                        args.rules], check=True, capture_output=True)
        report = os.path.join(d, "tier-report.html")
        url = "file://" + report
        want = expected_counts(args.tier, args.data, args.rules, d)

        dom, log = chromium(exe, d, "--dump-dom", url)
        failures = []
        if dom.count("<svg") != 7:
            failures.append(f"{dom.count('<svg')} svg charts in the DOM, expected 7")
        for cls, n in want.items():
            got = dom.count(f'class="{cls}"')
            if got != n:
                failures.append(f'{got} elements of class "{cls}", expected {n}')
        for text in ("Customers per tier", "Active customers per month, by tier",
                     "Frequency and spend", "Mean spend by recency and frequency score",
                     "RFM segments", "Tiers by Country", "Run parameters and data",
                     "Customer lifetime value per tier (next 52 weeks)",
                     "Probability of being alive and recency", "Cohort retention"):
            if text not in dom:
                failures.append(f"the page lacks {text!r}")
        if "CONSOLE" in log or "Uncaught" in log:
            failures.append("page errors in the browser log:\n" + log[-2000:])

        shot = os.path.join(d, "shot.png")
        chromium(exe, d, f"--screenshot={shot}", f"--window-size=1280,{args.height}", url)
        w, h, rows, bpp = png_pixels(shot)
        if (w, h) != (1280, args.height):
            failures.append(f"screenshot is {w}×{h}")
        colours = set()
        for y in range(0, h, 3):
            row = rows[y]
            for x in range(0, w * bpp, 3 * bpp):
                colours.add(bytes(row[x:x + 3]))
        if len(colours) < 200:
            failures.append(f"the screenshot has only {len(colours)} colours: not rendered?")
        # the Gold and Diamond tier colours of the charts, and the page background
        for name, rgb in (("Gold", b"\xe2\xa4\x00"), ("Diamond", b"\x2f\x6f\xd6"),
                          ("background", b"\xf8\xfa\xfc")):
            if rgb not in colours:
                failures.append(f"no {name} pixels ({rgb.hex()}) in the screenshot")
        if args.keep_screenshot:
            shutil.copyfile(shot, args.keep_screenshot)
        if failures:
            for f in failures:
                print("FAIL: " + f)
            return 1
        print(f"ok: rendered {w}×{h}, {len(colours)} colours; marks " +
              ", ".join(f"{k}={v}" for k, v in want.items()))
        return 0


if __name__ == "__main__":
    sys.exit(main())
