#!/usr/bin/python3
"""Reference values for tests/test_clv.c, computed independently with mpmath at 50 digits.

Run:  /usr/bin/python3 tests/data/clv/reference.py > tests/data/clv/reference.txt

Every line is  <kind> <model> <params...> | <inputs...> | <value>  with whitespace separators:
  ll    bgnbd|pnbd   r alpha a|s b|beta   | x t_x T        | log-likelihood
  palive bgnbd|pnbd  ...                  | x t_x T        | P(alive)
  exp   bgnbd|pnbd   ...                  | x t_x T h      | E[X(T, T+h)]
  p0    bgnbd|pnbd   ...                  | x t_x T h      | P(no purchase in (T, T+h])
  ggll  gg           p q gamma            | x m            | Gamma-Gamma log density of the mean
  ggexp gg           p q gamma            | x m            | E[M | x, m]
  dclv  bgnbd|pnbd   ... delta            | x t_x T h      | ∫_0^h e^(-delta u) dE[X(T, T+u)]
  nbdmax <data>      r alpha              | n              | max log-likelihood of the NBD model
  pnbdat <data>      r alpha s beta       | n              | Pareto/NBD log-likelihood at a point
(the last two for tests/test_clv.c's degenerate data sets, defined below; test_reference_values
skips them).
The formulas are the published ones, written straight from the papers with mpmath's own
special functions (hyp2f1, beta, gamma, quad) — not the library's rearrangements:
  BG/NBD: Fader, Hardie & Lee (2005) eqs. (6), (10) and the P(alive) expression;
  Pareto/NBD: Fader & Hardie's notes (likelihood with A_0 via 2F1, both branches; E[Y(t)]);
  P(no purchase) = L(x, t_x, T + h) / L(x, t_x, T) (the likelihood is the probability of the
  observed history with no purchase after t_x), an identity independent of the library's
  derivation; the Pareto/NBD likelihood is also checked against direct numerical integration.
Pareto/NBD at extreme parameters (where a fit on degenerate data drifts: alpha/beta up to e^50,
s or r down to 1e-11, r and alpha up to 1e10) uses the integral, evaluated by quadrature in
w = log(beta + u), where the integrand is smooth, and checked against quadrature in u with
breakpoints at geometric distances from t_x (mpmath's hyp2f1 is not reliable at such parameters).
"""
import mpmath as mp

mp.mp.dps = 50


def bgnbd_ll(r, al, a, b, x, tx, T):
    A = mp.beta(a, b + x) / mp.beta(a, b) * mp.gamma(r + x) * al**r / (mp.gamma(r) * (al + T)**(r + x))
    B = 0
    if x > 0:
        B = mp.beta(a + 1, b + x - 1) / mp.beta(a, b) * mp.gamma(r + x) * al**r / (mp.gamma(r) * (al + tx)**(r + x))
    return mp.log(A + B)


def bgnbd_palive(r, al, a, b, x, tx, T):
    if x == 0:
        return mp.mpf(1)
    return 1 / (1 + a / (b + x - 1) * ((al + T) / (al + tx))**(r + x))


def bgnbd_exp(r, al, a, b, x, tx, T, h):
    num = (a + b + x - 1) / (a - 1) * (1 - ((al + T) / (al + T + h))**(r + x) *
                                       mp.hyp2f1(r + x, b + x, a + b + x - 1, h / (al + T + h)))
    den = 1 + (a / (b + x - 1) * ((al + T) / (al + tx))**(r + x) if x > 0 else 0)
    return num / den


def pnbd_ll(r, al, s, be, x, tx, T):
    if al >= be:
        F = lambda t: mp.hyp2f1(r + s + x, s + 1, r + s + x + 1, (al - be) / (al + t)) / (al + t)**(r + s + x)
    else:
        F = lambda t: mp.hyp2f1(r + s + x, r + x, r + s + x + 1, (be - al) / (be + t)) / (be + t)**(r + s + x)
    A0 = F(tx) - F(T)
    L = mp.gamma(r + x) * al**r * be**s / mp.gamma(r) * (1 / ((al + T)**(r + x) * (be + T)**s) + s / (r + s + x) * A0)
    return mp.log(L)


def pnbd_ll_quad(r, al, s, be, x, tx, T):
    J = mp.quad(lambda u: (al + u)**(-(r + x)) * (be + u)**(-(s + 1)), [tx, T]) if T > tx else 0
    L = mp.gamma(r + x) * al**r * be**s / mp.gamma(r) * ((al + T)**(-(r + x)) * (be + T)**(-s) + s * J)
    return mp.log(L)


def pnbd_J_log(r, al, s, be, x, tx, T):
    """J α^(r+x) β^(s+1) = ∫ (1 + u/α)^(−(r+x)) (1 + u/β)^(−(s+1)) du over [t_x, T], in w = log(β + u).
    mp.quad's tolerance is absolute: the integrand is scaled to 1 at the lower end."""
    if T == tx:
        return mp.mpf(0)
    lf = lambda w: w - (r + x) * mp.log1p((mp.exp(w) - be) / al) - (s + 1) * mp.log1p((mp.exp(w) - be) / be)
    w0 = mp.log(be + tx)
    c = lf(w0)
    return mp.exp(c) * mp.quad(lambda w: mp.exp(lf(w) - c), mp.linspace(w0, mp.log(be + T), 41))


def pnbd_J_u(r, al, s, be, x, tx, T):
    """The same in u, with breakpoints at geometric distances from t_x."""
    if T == tx:
        return mp.mpf(0)
    geo = [tx + d for d in (min(al, be) * mp.mpf(10)**k for k in range(-2, 40)) if tx + d < T]
    pts = sorted(set(geo + list(mp.linspace(tx, T, 11))))
    lg = lambda u: -(r + x) * mp.log1p(u / al) - (s + 1) * mp.log1p(u / be)
    c = lg(tx)
    return mp.exp(c) * mp.quad(lambda u: mp.exp(lg(u) - c), pts)


def pnbd_ll_ext(r, al, s, be, x, tx, T):
    J = pnbd_J_log(r, al, s, be, x, tx, T)
    J2 = pnbd_J_u(r, al, s, be, x, tx, T)
    assert abs(J - J2) <= mp.mpf(10)**-25 * J, (r, al, s, be, x, tx, T, J, J2)
    # L = Γ(r+x)/Γ(r) α^(−x) [(1 + T/α)^(−(r+x)) (1 + T/β)^(−s) + s J α^(r+x) β^(s+1) / β]
    first = mp.exp(-(r + x) * mp.log1p(T / al) - s * mp.log1p(T / be))
    return mp.loggamma(r + x) - mp.loggamma(r) - x * mp.log(al) + mp.log(first + s * J / be)


def pnbd_palive_ext(r, al, s, be, x, tx, T):
    first = mp.loggamma(r + x) - mp.loggamma(r) - x * mp.log(al) - (r + x) * mp.log1p(T / al) - s * mp.log1p(T / be)
    return mp.exp(first - pnbd_ll_ext(r, al, s, be, x, tx, T))


def pnbd_palive(r, al, s, be, x, tx, T):
    first = mp.gamma(r + x) * al**r * be**s / mp.gamma(r) / ((al + T)**(r + x) * (be + T)**s)
    return first / mp.exp(pnbd_ll(r, al, s, be, x, tx, T))


def pnbd_exp(r, al, s, be, x, tx, T, h):
    pa = pnbd_palive(r, al, s, be, x, tx, T)
    if s == 1:
        g = mp.log((be + T + h) / (be + T))
    else:
        g = (1 - ((be + T) / (be + T + h))**(s - 1)) / (s - 1)
    return pa * (r + x) * (be + T) / (al + T) * g


def gg_ll(p, q, g, x, m):
    return (mp.loggamma(p * x + q) - mp.loggamma(p * x) - mp.loggamma(q) + q * mp.log(g) + (p * x - 1) * mp.log(m)
            + p * x * mp.log(x) - (p * x + q) * mp.log(g + m * x))


def gg_exp(p, q, g, x, m):
    return p * (g + m * x) / (p * x + q - 1)



def line(kind, model, params, inputs, value):
    print(kind, model, " ".join(repr(float(p)) for p in params), "|",
          " ".join(repr(float(i)) for i in inputs), "|", mp.nstr(value, 20))


BG = [  # (r, alpha, a, b): CDNOW estimates, a near 1 (limit case), large/small values
    (0.243, 4.414, 0.793, 2.426),
    (1.5, 20.0, 2.5, 7.0),
    (0.5, 3.0, 1.0 + 1e-7, 1.8),
    (0.8, 0.5, 1.004, 0.9),
    (2.0, 100.0, 0.3, 0.5),
]
PN = [  # (r, alpha, s, beta): CDNOW estimates; alpha >> beta (2F1 argument near 1); s = 1 and
        # near-integer s (poles of the 1 - z connection formula); beta > alpha
    (0.553, 10.578, 0.606, 11.669),
    (1.2, 40.0, 1.0, 0.3),
    (0.7, 25.0, 2.0000001, 0.05),
    (0.4, 2.0, 0.8, 30.0),
    (3.0, 200.0, 0.25, 1.0),
    (0.9, 5.0, 1.7, 5.0),
    (0.5, 1e6, 2.0, 0.01),   # 2F1 argument within 1e-6 of 1 with an integer c - a - b
    (0.5, 1e6, 1.0, 0.01),
]
CUST = [  # (x, t_x, T): one-timers, T = 0, heavy buyers, t_x = T
    (0, 0.0, 30.0), (0, 0.0, 0.0), (1, 2.5, 38.0), (2, 30.43, 38.86), (7, 35.0, 36.0), (25, 30.0, 31.0),
    (150, 51.0, 52.0), (3, 10.0, 10.0),
]
H = [0.0, 1.0, 39.0, 520.0]

for p in BG:
    for (x, tx, T) in CUST:
        line("ll", "bgnbd", p, (x, tx, T), bgnbd_ll(*map(mp.mpf, p), x, mp.mpf(tx), mp.mpf(T)))
        line("palive", "bgnbd", p, (x, tx, T), bgnbd_palive(*map(mp.mpf, p), x, mp.mpf(tx), mp.mpf(T)))
        for h in H:
            mpp = list(map(mp.mpf, p))
            if h == 0:
                e = mp.mpf(0)
            else:
                e = bgnbd_exp(*mpp, x, mp.mpf(tx), mp.mpf(T), mp.mpf(h))
            line("exp", "bgnbd", p, (x, tx, T, h), e)
            p0 = mp.exp(bgnbd_ll(*mpp, x, mp.mpf(tx), mp.mpf(T + h)) - bgnbd_ll(*mpp, x, mp.mpf(tx), mp.mpf(T)))
            line("p0", "bgnbd", p, (x, tx, T, h), p0)

for p in PN:
    mpp = list(map(mp.mpf, p))
    for (x, tx, T) in CUST:
        ll = pnbd_ll(*mpp, x, mp.mpf(tx), mp.mpf(T))
        llq = pnbd_ll_quad(*mpp, x, mp.mpf(tx), mp.mpf(T))
        assert abs(ll - llq) < mp.mpf(10)**-9 * max(1, abs(ll)), (p, x, tx, T, ll, llq)
        line("ll", "pnbd", p, (x, tx, T), ll)
        line("palive", "pnbd", p, (x, tx, T), pnbd_palive(*mpp, x, mp.mpf(tx), mp.mpf(T)))
        for h in H:
            line("exp", "pnbd", p, (x, tx, T, h), pnbd_exp(*mpp, x, mp.mpf(tx), mp.mpf(T), mp.mpf(h)))
            p0 = mp.exp(pnbd_ll(*mpp, x, mp.mpf(tx), mp.mpf(T + h)) - ll)
            line("p0", "pnbd", p, (x, tx, T, h), p0)

PN_EXT = [  # where fits on degenerate data drift (tests/test_clv.c): the small.csv limit (r, alpha
            # -> inf, beta -> 0); s -> 0 with beta/alpha = 2e-22; r -> 0 with alpha/beta = 2e-22;
            # s, beta -> inf (equal dropout rates)
    (1.47127e10, 7.15829e10, 0.011986, 1.38879e-11),
    (0.5, 7.2e10, 1e-11, 1.4e-11),
    (1e-11, 1.4e-11, 2.5, 7.2e10),
    (2.0, 1.0, 2.5e6, 1.9e8),
]
for p in PN_EXT:
    mpp = list(map(mp.mpf, p))
    for (x, tx, T) in CUST:
        ll = pnbd_ll_ext(*mpp, x, mp.mpf(tx), mp.mpf(T))
        line("ll", "pnbd", p, (x, tx, T), ll)
        pa = pnbd_palive_ext(*mpp, x, mp.mpf(tx), mp.mpf(T))
        line("palive", "pnbd", p, (x, tx, T), pa)
        for h in H[1:]:
            r, al, s, be = mpp
            if s == 1:
                g = mp.log((be + T + h) / (be + T))
            else:
                g = (1 - ((be + T) / (be + T + h))**(s - 1)) / (s - 1)
            line("exp", "pnbd", p, (x, tx, T, h), pa * (r + x) * (be + T) / (al + T) * g)
            p0 = mp.exp(pnbd_ll_ext(*mpp, x, mp.mpf(tx), mp.mpf(T + h)) - ll)
            line("p0", "pnbd", p, (x, tx, T, h), p0)

GG = [(6.25, 3.74, 15.44), (0.5, 1.5, 200.0), (20.0, 10.0, 1.0)]
for p in GG:
    mpp = list(map(mp.mpf, p))
    for (x, m) in [(1, 10.0), (2, 35.5), (10, 4.2), (60, 1000.0)]:
        line("ggll", "gg", p, (x, m), gg_ll(*mpp, x, mp.mpf(m)))
        line("ggexp", "gg", p, (x, m), gg_exp(*mpp, x, mp.mpf(m)))

# Continuously discounted expected purchases, for the many-period limit of the CLV formula.
for model, p, f in [("bgnbd", BG[0], bgnbd_exp), ("pnbd", PN[0], pnbd_exp)]:
    mpp = list(map(mp.mpf, p))
    delta = mp.log(mp.mpf("1.1")) * 7 / mp.mpf("365.25")  # 10% a year, in weeks
    for (x, tx, T) in [(2, 30.43, 38.86), (0, 0.0, 30.0)]:
        h = mp.mpf(52)
        E = lambda u: f(*mpp, x, mp.mpf(tx), mp.mpf(T), u) if u > 0 else mp.mpf(0)
        v = mp.quad(lambda u: mp.exp(-delta * u) * mp.diff(E, u), [0, h])
        print("dclv", model, " ".join(repr(float(q)) for q in p), repr(float(delta)), "|",
              x, tx, T, float(h), "|", mp.nstr(v, 20))

# ---- degenerate data sets of tests/test_clv.c -----------------------------------------------

# tests/cli/data/small.csv with order ids (same-day purchases merged; as_of = last transaction + 1
# day = 2011-03-31 00:00): (x, t_x, T) in days of the customers with a purchase, A C G H with
# repeats, B D E without (B's -10 is a return; F only returned something; the row without an id is
# skipped). A: 2011-01-05 10:00, 02-10 09:30, 03-20 12:00; B: 01-15; C: 02-01, 02-15, 03-01,
# 03-28; D: 03-30; E: 01-02; G: 03-15, 03-16; H: 01-10, 02-10, 03-10.
SMALL = [(2, 74 + mp.mpf(2) / 24, 84 + mp.mpf(14) / 24), (0, 0, 75), (3, 55, 58), (0, 0, 1), (0, 0, 88),
         (1, 1, 16), (2, 59, 80)]
SMALL = [(x, mp.mpf(tx) / 7, mp.mpf(T) / 7) for (x, tx, T) in SMALL]  # weeks
# Every customer bought last at the end of the window (t_x = T = 10 weeks), counts overdispersed:
# the likelihood is largest without dropout, so BG/NBD and Pareto/NBD fits both end on the NBD
# model, whose maximum is computed here.
TXT = [(x, mp.mpf(10), mp.mpf(10)) for x in (1, 1, 2, 8, 12)]


def nbd_ll(lr, la, data):
    r, al = mp.exp(lr), mp.exp(la)
    return sum(mp.loggamma(r + x) - mp.loggamma(r) + r * la - (r + x) * mp.log(al + T) for (x, tx, T) in data)


def nbd_max(data):
    import scipy.optimize
    f = lambda v: -float(nbd_ll(mp.mpf(v[0]), mp.mpf(v[1]), data))
    v = scipy.optimize.minimize(f, [0.0, 1.0], method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-13}).x
    g = lambda a, b: [mp.diff(lambda t: nbd_ll(t, b, data), a), mp.diff(lambda t: nbd_ll(a, t, data), b)]
    lr, la = mp.findroot(g, (mp.mpf(v[0]), mp.mpf(v[1])))
    return mp.exp(lr), mp.exp(la), nbd_ll(lr, la, data)


for name, data in (("small", SMALL), ("txT", TXT)):
    r, al, v = nbd_max(data)
    print("nbdmax", name, repr(float(r)), repr(float(al)), "|", len(data), "|", mp.nstr(v, 20))

# A point of the Pareto/NBD likelihood of small.csv better than the NBD maximum, found by a
# Nelder-Mead search in log-parameters from (1.37, 3.3, -3, -3): the fit must do at least as well.
PT = tuple(float(mp.exp(t)) for t in (26.01326504, 27.60036717, -3.51376695, -9.46566754))
v = sum(pnbd_ll_ext(*map(mp.mpf, PT), x, tx, T) for (x, tx, T) in SMALL)
print("pnbdat", "small", " ".join(repr(q) for q in PT), "|", len(SMALL), "|", mp.nstr(v, 20))
