#!/usr/bin/python3
"""BG/NBD + Gamma-Gamma fit and predictions with numpy/scipy, the way the Python package
`lifetimes` does it (vectorised log-likelihood with gammaln/betaln/logaddexp, scipy.optimize.minimize
in log-parameters from one start of ones; predictions with scipy.special.hyp2f1), on the data
bench_clv wrote. `lifetimes` itself is not installable here; this is its computation, so the
timing is that of the numpy/scipy peer.

usage: clv_scipy.py DIR TAG [--runs R] [--periods P]
Prints "key value" lines like bench_clv."""
import sys
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

d, tag = sys.argv[1], sys.argv[2]
runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 3
periods = int(sys.argv[sys.argv.index("--periods") + 1]) if "--periods" in sys.argv else 12
load = lambda w: np.fromfile(f"{d}/{tag}.{w}.f64", dtype="<f8")
x, tx, T, m = load("x"), load("tx"), load("T"), load("m")
ok = ~np.isnan(x)
x, tx, T, m = x[ok], tx[ok], T[ok], m[ok]


def bg_nll(lp):
    r, al, a, b = np.exp(lp)
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(al)
    A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    A3 = -(r + x) * np.log(al + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(al + tx), -np.inf)
    return -np.mean(A1 + A2 + np.logaddexp(A3, A4))


rep = (x > 0) & np.isfinite(m) & (m > 0)
gx, gm = x[rep], m[rep]


def gg_nll(lp):
    p, q, v = np.exp(lp)
    return -np.mean(gammaln(p * gx + q) - gammaln(p * gx) - gammaln(q) + q * np.log(v) + (p * gx - 1) * np.log(gm)
                    + p * gx * np.log(gx) - (p * gx + q) * np.log(v + gm * gx))


def expected(params, t):
    r, al, a, b = params
    hyp = hyp2f1(r + x, b + x, a + b + x - 1, t / (al + T + t))
    first = (a + b + x - 1) / (a - 1) * (1 - hyp * ((al + T) / (al + t + T)) ** (r + x))
    with np.errstate(divide="ignore", invalid="ignore"):
        second = 1 + (x > 0) * (a / (b + x - 1)) * ((al + T) / (al + tx)) ** (r + x)
    return first / second


best_fit = best_pred = float("inf")
for _ in range(runs):
    t0 = time.perf_counter()
    res = minimize(bg_nll, np.zeros(4), method="BFGS")
    gres = minimize(gg_nll, np.zeros(3), method="BFGS")
    t1 = time.perf_counter()
    params = np.exp(res.x)
    gp = np.exp(gres.x)
    p, q, v = gp
    es = np.where(rep, p * (v + m * x) / (p * x + q - 1), p * v / (q - 1))
    year = 365.25 / 7
    prev = 0
    clv = 0
    for k in range(1, periods + 1):
        tk = 52.0 * k / periods
        e = expected(params, tk)
        clv = clv + (e - prev) * 1.1 ** (-tk / year)
        prev = e
    clv = clv * es
    t2 = time.perf_counter()
    best_fit = min(best_fit, t1 - t0)
    best_pred = min(best_pred, t2 - t1)
print("scipy_params", " ".join(f"{v:.6f}" for v in params))
print("scipy_spend_params", " ".join(f"{v:.4f}" for v in gp))
print(f"scipy_loglik {-res.fun * len(x):.4f}")
print(f"scipy_converged {int(res.success)}")
print(f"scipy_fit_s {best_fit:.4f}")
print(f"scipy_apply_s {best_pred:.4f}")
print(f"scipy_clv_sum {np.nansum(clv):.6g}")
