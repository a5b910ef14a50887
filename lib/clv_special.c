/* Special functions for the CLV models: a thread-safe lgamma, digamma, log-sum helpers and the
 * Gauss hypergeometric function 2F1 (with the integral the Pareto/NBD likelihood needs).
 *
 * 2F1 strategy (real parameters, z < 1):
 *   - z < 0: Pfaff's transformation 2F1(a,b;c;z) = (1−z)^(−a) 2F1(a, c−b; c; z/(z−1)) maps z
 *     into [0, 1).
 *   - 0 <= z <= 0.5: the Maclaurin series; it converges at least like 2^(−k).
 *   - z > 0.5: the connection formula to 1 − z (Abramowitz & Stegun 15.3.6), whose two series
 *     converge like (1 − z)^k. Its two terms have poles when c − a − b is an integer and can
 *     cancel each other; whenever the terms are more than 1000 times larger than their sum (or
 *     not finite) the result is not trusted and the Maclaurin series is summed instead, which
 *     converges for every z < 1, only more slowly (about 37/(1 − z) terms; capped). Beyond the
 *     cap (z within ~1e-5 of 1 with c − a − b near an integer) the connection formula is
 *     evaluated at b ± δ, b ± 2δ and extrapolated to b (Richardson), 2F1 being analytic in b.
 * The series stops when the remaining tail, bounded by a geometric series of the current term
 * ratio, is below one unit in the last place of the sum. */
#if defined(__linux__) || defined(__GLIBC__)
#define _DEFAULT_SOURCE 1 /* lgamma_r */
#endif
#include <float.h>
#include <math.h>

#include "internal/clv.h"

#if defined(__GLIBC__) || defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
    defined(__NetBSD__)
#define HAVE_LGAMMA_R 1
#endif

double tier__lgamma(double x)
{
#ifdef HAVE_LGAMMA_R
    int sign;
    return lgamma_r(x, &sign);
#else
    return lgamma(x);
#endif
}

/* log |Γ(x)| and its sign (0 at the poles, where the log is +inf). */
static double lgamma_sign(double x, int *sign)
{
    if (x <= 0.0 && x == floor(x)) {
        *sign = 0;
        return INFINITY;
    }
#ifdef HAVE_LGAMMA_R
    return lgamma_r(x, sign);
#else
    /* Γ(x) < 0 exactly when x < 0 and floor(x) is odd. */
    *sign = (x > 0.0 || ((long long)floor(x)) % 2 == 0) ? 1 : -1;
    return lgamma(x);
#endif
}

double tier__digamma(double x)
{
    /* Recurrence ψ(x) = ψ(x + 1) − 1/x up to x >= 10, then the asymptotic series. */
    double acc = 0.0;
    while (x < 10.0) {
        acc -= 1.0 / x;
        x += 1.0;
    }
    double inv = 1.0 / x, inv2 = inv * inv;
    double series = inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 -
                    inv2 * (1.0 / 132 - inv2 * (691.0 / 32760 - inv2 / 12.0))))));
    return acc + log(x) - 0.5 * inv - series;
}

double tier__log1pexp(double v)
{
    if (v > 36.0)
        return v + exp(-v);
    return log1p(exp(v));
}

double tier__logdiffexp(double a, double b)
{
    if (b == -INFINITY)
        return a;
    if (!(a > b))
        return a == b ? -INFINITY : NAN;
    double d = b - a;
    return a + (d > -0.6931471805599453 ? log(-expm1(d)) : log1p(-exp(d)));
}

/* The Maclaurin series of 2F1 at 0 <= |z| < 1. *ok = 0 if the cap was reached. */
static double series(double a, double b, double c, double z, int *ok)
{
    double term = 1.0, sum = 1.0;
    double az = fabs(z);
    *ok = 1;
    for (long k = 0; k < TIER__HYP2F1_MAX_TERMS; k++) {
        double ratio = (a + (double)k) * (b + (double)k) / ((c + (double)k) * (double)(k + 1)) * z;
        term *= ratio;
        sum += term;
        if (term == 0.0)
            return sum; /* a or b is a non-positive integer: a polynomial */
        /* Tail bound: later ratios tend to z; take the larger of the two. */
        double rho = fabs(ratio) > az ? fabs(ratio) : az;
        if (rho < 1.0 && fabs(term) * rho / (1.0 - rho) <= DBL_EPSILON * 0.5 * fabs(sum))
            return sum;
        if (!isfinite(sum))
            break;
    }
    *ok = 0;
    return NAN;
}

/* The log-gamma values the connection formula needs for (a, b, c). Predictions over several
 * horizons call 2F1 with the same parameters and different z, so each thread keeps the last two
 * sets (the lgamma calls cost more than the two short series). */
typedef struct conn_coef {
    double a, b, c;
    double lc, lm, lnm, lca, lcb, la, lb;
    int s_c, s_m, s_nm, s_ca, s_cb, s_a, s_b;
} conn_coef;

static const conn_coef *coefficients(double a, double b, double c)
{
    static _Thread_local conn_coef cache[2];
    static _Thread_local int filled[2], next;
    for (int i = 0; i < 2; i++)
        if (filled[i] && cache[i].a == a && cache[i].b == b && cache[i].c == c)
            return &cache[i];
    conn_coef *k = &cache[next];
    filled[next] = 1;
    next ^= 1;
    double m = c - a - b;
    k->a = a;
    k->b = b;
    k->c = c;
    k->lc = lgamma_sign(c, &k->s_c);
    k->lm = lgamma_sign(m, &k->s_m);
    k->lnm = lgamma_sign(-m, &k->s_nm);
    k->lca = lgamma_sign(c - a, &k->s_ca);
    k->lcb = lgamma_sign(c - b, &k->s_cb);
    k->la = lgamma_sign(a, &k->s_a);
    k->lb = lgamma_sign(b, &k->s_b);
    return k;
}

/* A&S 15.3.6 for 0.5 < z < 1; NaN when it cannot be trusted (poles, cancellation beyond a
 * factor `limit`). */
static double connection_limit(double a, double b, double c, double z, double limit)
{
    double m = c - a - b, w = 1.0 - z;
    const conn_coef *k = coefficients(a, b, c);
    if (!k->s_c || !k->s_m || !k->s_nm)
        return NAN; /* c − a − b is an integer */
    int ok1 = 1, ok2 = 1;
    double t1 = 0.0, t2 = 0.0;
    if (k->s_ca && k->s_cb) { /* 1/Γ at a pole is 0: the term vanishes */
        double f1 = series(a, b, 1.0 - m, w, &ok1);
        t1 = (double)(k->s_c * k->s_m * k->s_ca * k->s_cb) * exp(k->lc + k->lm - k->lca - k->lcb) * f1;
    }
    if (k->s_a && k->s_b) {
        double f2 = series(c - a, c - b, m + 1.0, w, &ok2);
        t2 = (double)(k->s_c * k->s_nm * k->s_a * k->s_b) * exp(m * log(w) + k->lc + k->lnm - k->la - k->lb) * f2;
    }
    double r = t1 + t2;
    if (!ok1 || !ok2 || !isfinite(r) || fmax(fabs(t1), fabs(t2)) > limit * fabs(r))
        return NAN;
    return r;
}

static double connection(double a, double b, double c, double z) { return connection_limit(a, b, c, z, 1e3); }

/* 2F1 is analytic in b: when c − a − b is (nearly) an integer and z is too close to 1 for the
 * series, evaluate the connection formula at b ± δ and b ± 2δ, where it is defined, and remove the
 * O(δ²) error of the symmetric means by Richardson extrapolation: error O(δ⁴) plus rounding
 * amplified about 1/δ by the cancelling terms (δ = 1e-3: both near 1e-12 relative). */
static double connection_near_pole(double a, double b, double c, double z)
{
    double d = 1e-3 * fmax(1.0, fabs(b));
    double p1 = connection_limit(a, b + d, c, z, 1e6), m1 = connection_limit(a, b - d, c, z, 1e6);
    double p2 = connection_limit(a, b + 2 * d, c, z, 1e6), m2 = connection_limit(a, b - 2 * d, c, z, 1e6);
    double a1 = 0.5 * (p1 + m1), a2 = 0.5 * (p2 + m2);
    return (4.0 * a1 - a2) / 3.0; /* NaN if any evaluation failed */
}

double tier__hyp2f1(double a, double b, double c, double z)
{
    if (!(z < 1.0) || isnan(a) || isnan(b) || isnan(c) || (c <= 0.0 && c == floor(c)))
        return NAN;
    if (z == 0.0 || a == 0.0 || b == 0.0)
        return 1.0;
    if (z < 0.0) {
        /* Pfaff: z/(z − 1) lies in (0, 1). */
        double w = z / (z - 1.0);
        return pow(1.0 - z, -a) * tier__hyp2f1(a, c - b, c, w);
    }
    int ok;
    if (z <= 0.5)
        return series(a, b, c, z, &ok);
    double r = connection(a, b, c, z);
    if (!isnan(r))
        return r;
    r = series(a, b, c, z, &ok);
    return ok ? r : connection_near_pole(a, b, c, z);
}

/* log I(t), I(t) = ∫_t^∞ (A + u)^(−p) (B + u)^(−q) du, with A >= B: substituting v = 1/(A + u)
 * gives (A+t)^(1−p−q)/(p+q−1) · 2F1(p+q−1, q; p+q; z), z = (A−B)/(A+t), and Euler's
 * transformation turns the 2F1 into (1−z)^(1−q) 2F1(1, p; p+q; z), whose series has positive
 * terms with ratios below z and a value in [1, 1/(1 − z)] — no overflow whatever p and q. */
static double log_tail(double p, double q, double A, double B, double t)
{
    if (t == INFINITY)
        return -INFINITY;
    double z = (A - B) / (A + t);
    double f = tier__hyp2f1(1.0, p, p + q, z);
    return -p * log(A + t) - (q - 1.0) * log(B + t) - log(p + q - 1.0) + log(f);
}

double tier__clv_log_powint(double p, double q, double A, double B, double t0, double t1)
{
    if (!(t1 > t0))
        return -INFINITY;
    double l0, l1;
    if (A >= B) {
        l0 = log_tail(p, q, A, B, t0);
        l1 = log_tail(p, q, A, B, t1);
    } else {
        l0 = log_tail(q, p, B, A, t0);
        l1 = log_tail(q, p, B, A, t1);
    }
    if (isnan(l0) || isnan(l1))
        return NAN;
    return tier__logdiffexp(l0, l1);
}
