#!/usr/bin/env python3
"""Regenerates the small CSV fixtures of tests/test_csv.c (run from this directory with
/usr/bin/python3 make_fixtures.py). The gzip files use mtime 0, so they are reproducible."""
import gzip
import io

SMALL = ("customer_id,time,amount,order,country,age\n"
         "C1,2011-01-01 10:00:00,10.50,o1,UK,30\n"
         "C2,2011-01-02,20,o2,France,\n"
         "C1,2011-01-03T12:00:00Z,-5.25,r1,Germany,31\n"
         "C3,1/4/2011 8:26,7,o3,,40\n")

CUSTOMERS = ("id;segment;score;note\r\n"
             "C1;gold;1.5;\"likes \"\"tea\"\"; and cake\"\r\n"
             "C2;;2.25;x\r\n"
             "C9;silver;3;not in the dataset\r\n"
             "C3;bronze;;empty score\r\n"
             ";gold;4;no id\r\n"
             "C1;platinum;5.5;later rows win\r\n")


def gz(data):
    b = io.BytesIO()
    with gzip.GzipFile(fileobj=b, mode="wb", mtime=0) as f:
        f.write(data)
    return b.getvalue()


def main():
    raw = SMALL.encode()
    open("small.csv", "wb").write(raw)
    full = gz(raw)
    open("small.csv.gz", "wb").write(full)
    half = raw.index(b"\n", len(raw) // 2) + 1
    open("multi_member.csv.gz", "wb").write(gz(raw[:half]) + gz(raw[half:]))
    open("truncated.csv.gz", "wb").write(full[: len(full) - 12])
    bad = bytearray(full)
    for i in range(20, 40):
        bad[i] ^= 0x5A
    open("corrupt.csv.gz", "wb").write(bytes(bad))
    open("customers.csv", "wb").write(CUSTOMERS.encode())


if __name__ == "__main__":
    main()
