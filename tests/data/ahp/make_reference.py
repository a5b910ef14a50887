#!/usr/bin/env python3
"""Independent reference values for tests/test_ahp.c, computed with numpy (LAPACK eigensolver,
least squares), not with libtier. Run: /usr/bin/python3 tests/data/ahp/make_reference.py
It prints C initialisers that are pasted into test_ahp.c, and writes wholesale_expected.csv."""
import numpy as np
import pandas as pd
from pathlib import Path

RI = [0, 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59]


def full(upper, n):
    a = np.eye(n)
    k = 0
    for i in range(n):
        for j in range(i + 1, n):
            if upper[k] is not None:
                a[i, j] = upper[k]
                a[j, i] = 1 / upper[k]
            else:
                a[i, j] = a[j, i] = np.nan
            k += 1
    return a


def eig(a):
    w, v = np.linalg.eig(a)
    k = np.argmax(w.real)
    x = np.abs(v[:, k].real)
    return x / x.sum(), w[k].real


def rgm(a):
    g = np.exp(np.log(a).mean(axis=1))
    return g / g.sum()


def consistency(lam, n):
    ci = (lam - n) / (n - 1)
    return ci, ci / RI[n]


def harker(a):
    n = len(a)
    c = np.where(np.isnan(a), 0.0, a)
    for i in range(n):
        c[i, i] = 1 + np.isnan(a[i]).sum()
    return eig(c)


def lls(a):
    n = len(a)
    rows, rhs = [], []
    for i in range(n):
        for j in range(i + 1, n):
            if not np.isnan(a[i, j]):
                r = np.zeros(n); r[i] = 1; r[j] = -1
                rows.append(r); rhs.append(np.log(a[i, j]))
    rows.append(np.ones(n)); rhs.append(0.0)
    x = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)[0]
    w = np.exp(x)
    return w / w.sum()


def gci(a, v):
    n = len(a)
    s, m = 0.0, 0
    for i in range(n):
        for j in range(i + 1, n):
            if not np.isnan(a[i, j]):
                s += np.log(a[i, j] * v[j] / v[i]) ** 2
                m += 1
    return s / (m - n + 1)


def fmt(v):
    return "{ " + ", ".join("%.17g" % x for x in v) + " }"


def report(name, a):
    n = len(a)
    w, lam = eig(a)
    ci, cr = consistency(lam, n)
    g = rgm(a)
    _, lam_g = eig(a)
    print(f"/* {name} */")
    print(f"static const double {name}_ev[] = {fmt(w)};")
    print(f"static const double {name}_gm[] = {fmt(g)};")
    print(f"#define {name.upper()}_LAMBDA {lam:.17g}")
    print(f"#define {name.upper()}_CR {cr:.17g}")
    print(f"#define {name.upper()}_GCI {gci(a, g):.17g}")
    e = a * np.outer(1 / w, w)  # a_ij w_j / w_i
    iu = np.triu_indices(n, 1)
    k = np.argmax(np.abs(np.log(e[iu])))
    i, j = iu[0][k], iu[1][k]
    if a[i, j] < w[i] / w[j]:
        i, j = j, i
    print(f"/* worst judgment: ({i}, {j}) suggested {w[i]/w[j]:.17g} */")


# Wikipedia, "Analytic hierarchy process - leader example": criteria Experience, Education,
# Charisma, Age; alternatives Tom, Dick, Harry under each criterion.
leader = full([4, 3, 7, 1/3, 3, 5], 4)
exp_ = full([1/4, 4, 9], 3)
edu = full([3, 1/5, 1/7], 3)
cha = full([5, 9, 4], 3)
age = full([1/3, 5, 9], 3)
for nm, a in [("leader", leader), ("leader_exp", exp_), ("leader_edu", edu),
              ("leader_cha", cha), ("leader_age", age)]:
    report(nm, a)
wc, _ = eig(leader)
alts = np.array([eig(x)[0] for x in (exp_, edu, cha, age)])
print("/* leader overall */ static const double leader_overall[] =", fmt(wc @ alts), ";")

# Saaty (1990), "How to make a decision: the analytic hierarchy process", EJOR 48:9-26,
# Table 2: the house example (8 criteria).
house_upper = [5, 3, 7, 6, 6, 1/3, 1/4,
               1/3, 5, 3, 3, 1/5, 1/7,
               6, 3, 4, 6, 1/5,
               1/3, 1/4, 1/7, 1/8,
               1/2, 1/5, 1/6,
               1/5, 1/6,
               1/2]
house = full(house_upper, 8)
report("house", house)

# Incomplete: the house matrix without 4 judgments.
inc = house.copy()
for (i, j) in [(0, 3), (1, 6), (2, 7), (4, 5)]:
    inc[i, j] = inc[j, i] = np.nan
wh, lh = harker(inc)
wl = lls(inc)
print("/* house incomplete: (0,3) (1,6) (2,7) (4,5) missing */")
print("static const double inc_harker[] =", fmt(wh), ";")
print("static const double inc_lls[] =", fmt(wl), ";")
print(f"#define INC_HARKER_LAMBDA {lh:.17g}")
filled = np.where(np.isnan(inc), np.outer(wl, 1 / wl), inc)
wf, lf = eig(filled)
print(f"#define INC_LLS_LAMBDA {lf:.17g}")
print(f"#define INC_GCI {gci(inc, wl):.17g}")

# Group: three judges on 4 criteria, weights 0.5, 0.3, 0.2.
j1 = full([3, 5, 7, 2, 3, 2], 4)
j2 = full([2, 4, 9, 3, 5, 1], 4)
j3 = full([1/2, 3, 5, 5, 7, 3], 4)
lam = np.array([0.5, 0.3, 0.2])
aij = np.exp(lam[0] * np.log(j1) + lam[1] * np.log(j2) + lam[2] * np.log(j3))
w_aij, l_aij = eig(aij)
print("static const double group_aij_ev[] =", fmt(w_aij), ";")
print(f"#define GROUP_AIJ_A01 {aij[0,1]:.17g}")
ws = np.array([eig(j)[0] for j in (j1, j2, j3)])
geo = np.exp(lam @ np.log(ws)); geo /= geo.sum()
ari = lam @ ws
print("static const double group_aip_geo[] =", fmt(geo), ";")
print("static const double group_aip_ari[] =", fmt(ari), ";")

# Wholesale customers (UCI): six spending categories weighted by an AHP matrix.
cats = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
ws_upper = [1/2, 1/3, 2, 1/2, 3,
            1/2, 3, 2, 4,
            4, 2, 5,
            1/3, 2,
            4]
wm = full(ws_upper, 6)
w6, l6 = eig(wm)
print("/* wholesale */ static const double wholesale_w[] =", fmt(w6), ";")
print(f"#define WHOLESALE_CR {consistency(l6, 6)[1]:.17g}")
root = Path(__file__).resolve().parents[3]
df = pd.read_csv(root / "examples/data/wholesale_customers.csv")
x = df[cats].to_numpy(float)
mm = (x - x.min(0)) / (x.max(0) - x.min(0))
mm[:, 3] = 1 - mm[:, 3]  # Frozen: lower is better, to exercise the direction
z = (x - x.mean(0)) / x.std(0, ddof=1)
from math import erf, sqrt
phi = np.vectorize(lambda t: 0.5 * (1 + erf(t / sqrt(2))))(z)
phi[:, 3] = 1 - phi[:, 3]
pr = np.empty_like(x)
for c in range(6):
    col = x[:, c]
    less = (col[None, :] < col[:, None]).sum(1)
    eq = (col[None, :] == col[:, None]).sum(1)
    pr[:, c] = (less + 0.5 * eq) / len(col)
pr[:, 3] = 1 - pr[:, 3]
out = pd.DataFrame({"id": np.arange(1, len(df) + 1),
                    "minmax": 100 * mm @ w6,
                    "zscore": 100 * phi @ w6,
                    "percentile": 100 * pr @ w6})
out.to_csv(Path(__file__).with_name("wholesale_expected.csv"), index=False, float_format="%.17g")
print("/* wrote wholesale_expected.csv */")
