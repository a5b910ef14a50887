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
 * ratio, is below one unit in the last place of the sum.
 *
 * The Pareto/NBD integral (tier__clv_log_powint) does not use that general route: its cost must
 * be bounded whatever the parameters, because an optimiser calls it thousands of times per
 * customer, also at the extreme parameters a degenerate data set leads it to. See the comment
 * above log_powint_quad() for the method and its worst-case cost. */
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

/* Stirling's series of log Γ(z) − [(z − ½) log z − z + ½ log 2π] and of
 * ψ(z) − [log z − 1/(2z)], for z >= 10 (truncation errors below 1e-18 and 1e-17 there). */
static double stirling_lgamma(double z)
{
    double inv = 1.0 / z, inv2 = inv * inv;
    return inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 * (1.0 / 1680 - inv2 * (1.0 / 1188 -
           inv2 * (691.0 / 360360 - inv2 * (1.0 / 156 - inv2 * 3617.0 / 122400)))))));
}

static double stirling_digamma(double z)
{
    double inv2 = 1.0 / (z * z);
    return -inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 * (1.0 / 132 -
           inv2 * (691.0 / 32760 - inv2 / 12.0))))));
}

#define POCH_SUM_MAX 16.0
#define POCH_STIRLING_MIN 10.0

double tier__lpoch(double r, double x)
{
    if (x == 0.0)
        return 0.0;
    if (x == floor(x) && x <= POCH_SUM_MAX) { /* Σ log(r + k): no cancellation whatever r */
        double s = 0.0;
        for (double k = 0.0; k < x; k += 1.0)
            s += log(r + k);
        return s;
    }
    if (r >= POCH_STIRLING_MIN) /* the large parts of both log Γ taken together */
        return (r - 0.5) * log1p(x / r) + x * log(r + x) - x + (stirling_lgamma(r + x) - stirling_lgamma(r));
    return tier__lgamma(r + x) - tier__lgamma(r); /* |log Γ(r)| is small: nothing to cancel */
}

double tier__dpoch(double r, double x)
{
    if (x == 0.0)
        return 0.0;
    if (x == floor(x) && x <= POCH_SUM_MAX) {
        double s = 0.0;
        for (double k = 0.0; k < x; k += 1.0)
            s += 1.0 / (r + k);
        return s;
    }
    if (r >= POCH_STIRLING_MIN)
        return log1p(x / r) + 0.5 * x / (r * (r + x)) + (stirling_digamma(r + x) - stirling_digamma(r));
    return tier__digamma(r + x) - tier__digamma(r);
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

/* The Maclaurin series of 2F1 at 0 <= |z| < 1, at most max_terms terms. *ok = 0 if that was not
 * enough. *mag receives Σ |term|: when it is much larger than |sum| the terms cancelled (a
 * negative c, as in the connection formula's series, makes them change sign) and the sum has
 * lost digits in proportion. */
static double series_mag(double a, double b, double c, double z, long max_terms, int *ok, double *mag)
{
    double term = 1.0, sum = 1.0;
    double az = fabs(z), lowest = fmin(a, fmin(b, c));
    *ok = 1;
    *mag = 1.0;
    for (long k = 0; k < max_terms; k++) {
        double ratio = (a + (double)k) * (b + (double)k) / ((c + (double)k) * (double)(k + 1)) * z;
        term *= ratio;
        sum += term;
        *mag += fabs(term);
        if (term == 0.0 && (a + (double)k == 0.0 || b + (double)k == 0.0))
            return sum; /* a or b is a non-positive integer: a polynomial (not a term that underflowed) */
        /* Tail bound: once a + k, b + k and c + k are all positive, later ratios lie between this
         * one and z (they tend to z monotonically); take the larger of the two. Before that a
         * small ratio says nothing: with c < 0 the terms grow again as c + k nears 0. */
        double rho = fabs(ratio) > az ? fabs(ratio) : az;
        if (lowest + (double)k + 1.0 > 0.0 && rho < 1.0 &&
            fabs(term) * rho / (1.0 - rho) <= DBL_EPSILON * 0.5 * fabs(sum))
            return sum;
        if (!isfinite(*mag))
            break;
    }
    *ok = 0;
    return NAN;
}

static double series_n(double a, double b, double c, double z, long max_terms, int *ok)
{
    double mag;
    return series_mag(a, b, c, z, max_terms, ok, &mag);
}

static double series(double a, double b, double c, double z, int *ok)
{
    return series_n(a, b, c, z, TIER__HYP2F1_MAX_TERMS, ok);
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

/* A&S 15.3.6 for 0.5 < z < 1, w = 1 − z (passed separately: the caller may know it more
 * accurately than 1 − z), series of at most max_terms terms; NaN when it cannot be trusted (poles,
 * cancellation beyond a factor `limit`). */
static double connection_w(double a, double b, double c, double w, double limit, long max_terms)
{
    double m = c - a - b;
    const conn_coef *k = coefficients(a, b, c);
    if (!k->s_c || !k->s_m || !k->s_nm)
        return NAN; /* c − a − b is an integer */
    int ok1 = 1, ok2 = 1;
    double t1 = 0.0, t2 = 0.0, mag1 = 0.0, mag2 = 0.0; /* the terms and Σ |their series' terms| */
    if (k->s_ca && k->s_cb) { /* 1/Γ at a pole is 0: the term vanishes */
        double g = exp(k->lc + k->lm - k->lca - k->lcb);
        double f1 = series_mag(a, b, 1.0 - m, w, max_terms, &ok1, &mag1);
        t1 = (double)(k->s_c * k->s_m * k->s_ca * k->s_cb) * g * f1;
        mag1 *= g;
    }
    if (k->s_a && k->s_b) {
        double g = exp(m * log(w) + k->lc + k->lnm - k->la - k->lb);
        double f2 = series_mag(c - a, c - b, m + 1.0, w, max_terms, &ok2, &mag2);
        t2 = (double)(k->s_c * k->s_nm * k->s_a * k->s_b) * g * f2;
        mag2 *= g;
    }
    double r = t1 + t2;
    /* Not trusted when the two terms, or the terms of either series, cancel beyond `limit`. */
    if (!ok1 || !ok2 || !isfinite(r) || mag1 + mag2 > limit * fabs(r))
        return NAN;
    return r;
}

static double connection_limit(double a, double b, double c, double z, double limit)
{
    return connection_w(a, b, c, 1.0 - z, limit, TIER__HYP2F1_MAX_TERMS);
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

/* ---- the Pareto/NBD integral ---------------------------------------------------------------- */

/* Up to this z the Maclaurin series of 2F1(1, b; c; z) (at most ~105 terms: ratios below z) is
 * used directly: the connection formula, a series of up to ~35 terms in 1 − z plus a few
 * logarithms, is cheaper only above (measured: fewest instructions for a whole fit at 0.7), and
 * it is rejected anyway when c − 1 − b is near an integer. */
#define MACLAURIN_MAX_Z 0.7
/* Largest estimated relative rounding error of the connection formula, in units of DBL_EPSILON. */
#define CONN_ERR 100.0

/* The Maclaurin series of 2F1(1, b; c; z) (a = 1 cancels the k! of the general series: term
 * ratios (b+k)/(c+k) z), at most TIER__PNBD_SERIES_TERMS terms; *ok = 0 if that was not enough.
 * *mag receives Σ |term| (the terms change sign while c + k < 0). The tail bound is that of
 * series_mag(), without its division. */
static double series_one(double b, double c, double z, int *ok, double *mag)
{
    double term = 1.0, sum = 1.0, az = fabs(z), lowest = fmin(b, c);
    *ok = 0;
    *mag = 1.0;
    if (!(lowest + TIER__PNBD_SERIES_TERMS > 0.0))
        return NAN; /* the terms grow again as c + k nears 0, beyond the budget */
    *ok = 1;
    for (long k = 0; k < TIER__PNBD_SERIES_TERMS; k++) {
        double ratio = (b + (double)k) / (c + (double)k) * z;
        term *= ratio;
        sum += term;
        *mag += fabs(term);
        double rho = fabs(ratio) > az ? fabs(ratio) : az;
        if (lowest + (double)k + 1.0 > 0.0 && rho < 1.0 &&
            fabs(term) * rho <= DBL_EPSILON * 0.5 * fabs(sum) * (1.0 - rho))
            return sum;
        if (!isfinite(*mag))
            break;
    }
    *ok = 0;
    return NAN;
}

/* log |Γ(−m) (b)_(m+1)| and its sign, for m > −1 not an integer, and the sum of the magnitudes of
 * the parts it was computed from (its absolute error is about DBL_EPSILON times that). For
 * m > 0 by the reflection formula, Γ(−m) = −π/(sin(πm) Γ(m+1)), so that
 *   Γ(−m) (b)_(m+1) = −π/sin(πm) · (m+1)_b / Γ(b),
 * whose parts stay small when m is large (log |Γ(−m)| and log (b)_(m+1) are each ~m log m and
 * nearly cancel); sin(πm) from the fractional part of m, where it is exact. */
static double gamma_coef(double b, double m, int *sign, double *parts)
{
    if (m < 0.0) {
        double lg = lgamma_sign(-m, sign), lp = tier__lpoch(b, m + 1.0);
        *parts = fabs(lg) + fabs(lp);
        return lg + lp;
    }
    double fl = floor(m), fr = m - fl;
    double sn = sin(3.14159265358979323846 * fmin(fr, 1.0 - fr)); /* |sin(πm)| */
    double ls = 1.1447298858494002 - log(sn), lp = tier__lpoch(m + 1.0, b), lg = tier__lgamma(b); /* log π */
    *sign = fmod(fl, 2.0) == 0.0 ? -1 : 1; /* −sign(sin(πm)) = (−1)^(floor(m)+1) */
    *parts = fabs(ls) + fabs(lp) + fabs(lg);
    return ls + lp - lg;
}

/* A&S 15.3.6 for 2F1(1, b; c; 1 − w), m = c − 1 − b > −1 not an integer, w <= 1/2. With a = 1
 * the general formula simplifies: Γ(c)/Γ(c−1) = c − 1, Γ(c)/Γ(b) = (b)_(m+1), and its second
 * series is 2F1(c−1, m+1; m+1; w) = (1 − w)^(1−c) in closed form, so
 *   2F1(1, b; c; 1 − w) = (c−1)/m · 2F1(1, b; 1−m; w) + w^m Γ(−m) (b)_(m+1) (1 − w)^(1−c).
 * m is passed rather than c (c − 1 − b computed from a large b would lose the digits of a small
 * m), and the Γ factor comes from gamma_coef(), so large b or m (a heavy buyer, a fit drifting
 * to r -> infinity) cost no digits where the general code's log Γ differences lose ~1e-16 c log c.
 * NaN where untrusted: the estimated rounding error — from the cancellation of the two terms and
 * of the terms of the series, and from the size of the exponent of the second term — is above
 * CONN_ERR, or the series did not converge within its budget. */
static double connection_one(double b, double m, double w)
{
    /* gamma_coef() for the last (b, m) of this thread: the customers of a fit come sorted by x,
     * so consecutive calls mostly share them */
    static _Thread_local double last_b = NAN, last_m = NAN, last_lg, last_parts;
    static _Thread_local int last_sg;
    if (m == floor(m))
        return NAN;
    if (b != last_b || m != last_m) {
        last_lg = gamma_coef(b, m, &last_sg, &last_parts);
        last_b = b;
        last_m = m;
    }
    int ok;
    double mag;
    double f1 = series_one(b, 1.0 - m, w, &ok, &mag);
    double e1 = m * log(w), e2 = (b + m) * log1p(-w);
    double g1 = (b + m) / m, t2 = (double)last_sg * exp(e1 + last_lg - e2);
    double r = g1 * f1 + t2, err = fabs(g1) * mag + fabs(t2) * (1.0 + fabs(e1) + fabs(e2) + last_parts);
    if (!ok || !isfinite(r) || err > CONN_ERR * fabs(r))
        return NAN;
    return r;
}

/* 2F1(1, b; c; z), c = b + m + 1, for b > 0, m > −1 and 0 <= z < 1, with w = 1 − z given
 * separately (computed by the caller without cancellation), no series longer than
 * TIER__PNBD_SERIES_TERMS terms; NaN when that does not suffice. The Maclaurin terms are
 * positive with ratios (b+k)/(c+k) z < z, so up to z = MACLAURIN_MAX_Z at most ~105 terms are
 * needed; above, the connection formula (one series in w) unless it cannot be trusted (m near an
 * integer), then the Maclaurin series within the budget (which covers w down to about 0.02). */
static double hyp2f1_one(double b, double m, double z, double w)
{
    int ok;
    double mag, c = b + m + 1.0;
    if (z > MACLAURIN_MAX_Z) {
        double r = connection_one(b, m, w);
        if (!isnan(r))
            return r;
        /* The series stops at the first term t_k with t_k z/w <= ε/2 · sum, and sum <= 1/w: if
         * even the last term of the budget, t_N = (b)_N/(c)_N z^N, is above ε/(2z), it cannot
         * stop in time — say so now rather than after N terms. */
        double n = TIER__PNBD_SERIES_TERMS;
        if (tier__lpoch(b, n) - tier__lpoch(c, n) + (n + 1.0) * log1p(-w) > log(0.5 * DBL_EPSILON))
            return NAN;
    }
    return series_one(b, c, z, &ok, &mag);
}

/* The logarithms a call needs at one end t: log1p(t/A) and log1p(t/B) (after orientation). */
typedef struct powint_end {
    double t, la, lb;
} powint_end;

/* log I(t) + p log A + q log B, q = m + 1 (see tier__clv_log_powint), logB = log B,
 * I(t) = ∫_t^∞ (A + u)^(−p) (B + u)^(−q) du, with A >= B: substituting v = 1/(A + u)
 * gives (A+t)^(1−p−q)/(p+q−1) · 2F1(p+q−1, q; p+q; z), z = (A−B)/(A+t), and Euler's
 * transformation turns the 2F1 into (1−z)^(1−q) 2F1(1, p; p+q; z), whose series has positive
 * terms with ratios below z and a value in [1, 1/(1 − z)] — no overflow whatever p and q.
 * NaN when hyp2f1_one() cannot deliver within its budget. */
static double log_tail(double p, double m, double A, double B, double logB, const powint_end *e)
{
    if (e->t == INFINITY)
        return -INFINITY;
    double z = (A - B) / (A + e->t), w = (B + e->t) / (A + e->t);
    double f = hyp2f1_one(p, m, z, w);
    /* log I(t) + p log A + q log B, with no large terms to cancel (log(B + t) = logB + lb) */
    return -p * e->la - m * e->lb + logB - log(p + m) + log(f);
}

/* The quadrature route (used where the 2F1 route is slow or inaccurate).
 *
 * Why quadrature and not another 2F1 transformation: the slow cases are z -> 1 with c − a − b =
 * m = q − 1 (the Pareto/NBD s, or r + x − 1 when alpha < beta) near an integer. Every closed route
 * then either cancels (the 1 − z connection formula, which has poles there), converges like
 * z^k (Maclaurin, ~37/(1 − z) terms: 4 million at 1 − z = 1e-5, and 1 − z reaches 1e-20 when a
 * fit drifts to beta/alpha = e^-50), or maps z back to the same z (Pfaff, Euler: the "other"
 * Pareto/NBD form with (beta − alpha)/(beta + t) is the Pfaff image of this one). The integral
 * itself is harmless: with u = (B + t0) e^v − B,
 *   J = ∫_{t0}^{t1} (A+u)^(−p) (B+u)^(−q) du
 *     = (A+t0)^(−p) (B+t0)^(1−q) ∫_0^V e^ψ(v) dv,   V = log1p((t1 − t0)/(B + t0)),
 *   ψ(v) = −p log1p(σ0 expm1(v)) + (1 − q) v,        σ0 = (B + t0)/(A + t0) in (0, 1],
 * where ψ is smooth (its nearest complex singularities are at distance π from the real axis),
 * concave (ψ'' = −p σ(1 − σ) with σ in [σ0, 1)) and of slope between 1 − q − p and 1 − q.
 * Its mode is known in closed form; by concavity the points where ψ has fallen 64 below the mode
 * bound the part of the integral that matters (the rest is below e^-64 of it) and are found by
 * bisection. On that interval, cut at the mode (one panel on each side), adaptive 15-point
 * Gauss–Kronrod bisects the panel with the largest error estimate (QUADPACK's qk15 estimate)
 * until the total estimate is below QUAD_TOL of the integral or TIER__PNBD_QUAD_PANELS panels
 * exist. Worst case per call: 15 × (2 + 2 × (TIER__PNBD_QUAD_PANELS − 2)) = 1,410 quadrature
 * points, plus the edge searches — about 60 steps for parameters inside the optimiser's box,
 * never more than 2 × 1,100 (the exponent range of a double) — each an evaluation of ψ (one
 * expm1 and one log1p). Typical calls need 15 to 60. Accuracy: within 1e-15 of mpmath on random
 * parameters over the whole box (e^±25); the combined routine within 2e-13. */

#define QUAD_DROP 64.0
#define QUAD_TOL 1e-13

/* QUADPACK's qk15: Kronrod abscissae (descending, the last one the centre) and weights, and the
 * weights of the 7-point Gauss rule on the odd-indexed abscissae. */
static const double gk_x[8] = { 0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
                                0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
                                0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
                                0.207784955007898467600689403773245, 0.0 };
static const double gk_w[8] = { 0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
                                0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
                                0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
                                0.204432940075298892414161999234649, 0.209482141084727828012999174891714 };
static const double g_w[4] = { 0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
                               0.381830050505118944950369775488975, 0.417959183673469387755102040816327 };

typedef struct powint {
    double p, q1; /* exponent of (A + u); 1 − q = −m */
    double s0;    /* σ0 = (B + t0)/(A + t0) */
    double top;   /* ψ at the mode, taken out before exp */
} powint;

static double psi(const powint *f, double v) { return -f->p * log1p(f->s0 * expm1(v)) + f->q1 * v; }

typedef struct panel {
    double a, b, val, err;
} panel;

static panel gk15(const powint *f, double a, double b)
{
    double c = 0.5 * (a + b), h = 0.5 * (b - a), fv1[7], fv2[7];
    double fc = exp(psi(f, c) - f->top), rk = fc * gk_w[7], rg = fc * g_w[3];
    for (int j = 0; j < 7; j++) {
        double x = h * gk_x[j];
        fv1[j] = exp(psi(f, c - x) - f->top);
        fv2[j] = exp(psi(f, c + x) - f->top);
        rk += gk_w[j] * (fv1[j] + fv2[j]);
        if (j & 1)
            rg += g_w[j / 2] * (fv1[j] + fv2[j]);
    }
    double half = 0.5 * rk, asc = gk_w[7] * fabs(fc - half);
    for (int j = 0; j < 7; j++)
        asc += gk_w[j] * (fabs(fv1[j] - half) + fabs(fv2[j] - half));
    panel p = { a, b, rk * h, fabs((rk - rg) * h) };
    asc *= h;
    if (asc != 0.0 && p.err != 0.0)
        p.err = asc * fmin(1.0, pow(200.0 * p.err / asc, 1.5));
    p.err = fmax(p.err, 50.0 * DBL_EPSILON * p.val); /* the integrand is positive */
    return p;
}

/* The outer end of where ψ falls below `floor` between `from` (ψ >= floor) and `to`, to within
 * 1e-3 of its distance from `from` (taking the outer point of the last bracket: more, never
 * less); `to` itself if ψ(to) >= floor. */
static double edge(const powint *f, double from, double to, double floor)
{
    if (psi(f, to) >= floor)
        return to;
    double in = from, out = to;
    for (int i = 0; i < 1100 && fabs(out - in) > 1e-3 * fabs(out - from); i++) {
        double mid = 0.5 * (in + out);
        if (psi(f, mid) >= floor)
            in = mid;
        else
            out = mid;
    }
    return out;
}

/* Adaptive Gauss–Kronrod over the panels between consecutive cuts. */
static double quad_adaptive(const powint *f, const double *cut, int n_cut)
{
    panel pan[TIER__PNBD_QUAD_PANELS];
    int n = 0;
    for (int i = 0; i + 1 < n_cut; i++)
        if (cut[i + 1] > cut[i])
            pan[n++] = gk15(f, cut[i], cut[i + 1]);
    for (;;) {
        double val = 0.0, err = 0.0;
        int worst = 0;
        for (int i = 0; i < n; i++) {
            val += pan[i].val;
            err += pan[i].err;
            if (pan[i].err > pan[worst].err)
                worst = i;
        }
        if (n == 0 || err <= QUAD_TOL * val || n == TIER__PNBD_QUAD_PANELS)
            return val;
        double a = pan[worst].a, b = pan[worst].b, m = 0.5 * (a + b);
        if (!(m > a && m < b))
            return val;
        pan[worst] = gk15(f, a, m);
        pan[n++] = gk15(f, m, b);
    }
}

/* log J + p log A + q log B, q = m + 1, by quadrature, A >= B (see above); logB = log B, e0 the
 * lower end. NaN if the integral diverges (t1 = inf, p + m <= 0). */
static double log_powint_quad(double p, double m, double A, double B, double logB, const powint_end *e0, double t1)
{
    double t0 = e0->t;
    double z0 = (A - B) / (A + t0), s0 = (B + t0) / (A + t0);
    double V = t1 == INFINITY ? INFINITY : log1p((t1 - t0) / (B + t0));
    powint f = { p, -m, s0, 0.0 };
    double vm = 0.0; /* the mode: ψ' = 1 − q − p σ(v) decreases from 1 − q − p σ0 */
    if (f.q1 - p * s0 > 0.0) {
        double rho = f.q1 / p;
        vm = rho >= 1.0 ? V : fmax(0.0, log(rho * z0 / (s0 * (1.0 - rho))));
        vm = fmin(vm, V);
    }
    if (vm == INFINITY)
        return NAN;
    f.top = psi(&f, vm);
    double floor = f.top - QUAD_DROP, lim = V;
    if (lim == INFINITY) { /* ψ ends with slope 1 − q − p; find a point below the floor */
        if (!(p + m > 0.0))
            return NAN;
        lim = vm + 1.0;
        for (int i = 0; i < 64 && psi(&f, lim) >= floor; i++)
            lim = vm + 2.0 * (lim - vm);
    }
    double lo = vm > 0.0 ? edge(&f, vm, 0.0, floor) : 0.0, hi = edge(&f, vm, lim, floor);
    double cut[3] = { lo, vm, hi }; /* one panel on each side of the mode to start with */
    double s = quad_adaptive(&f, cut, 3);
    return -p * e0->la - m * e0->lb + logB + f.top + log(s);
}

/* The tails route is used only where it keeps its digits: J/I(t0) >= 0.1 (I(t0) − I(t1) loses at
 * most one digit) and, in the connection formula, an estimated error of at most CONN_ERR units in
 * the last place. Both
 * bounds matter beyond accuracy: the optimiser's numerical gradient differences the objective at
 * points 1e-5 apart, and a customer whose route switches between them must not move it by more
 * than rounding (worst relative difference between the routes ~1e-13). */
#define LOG_CANCEL (-0.10536051565782628) /* log(1 − 0.1) */

static double log1p_ratio(double t, double A) { return t == 0.0 ? 0.0 : log1p(t / A); }

double tier__clv_log_powint_l(double r, double x, double s, double A, double B, double t0, double t1, double l1a,
                              double l1b)
{
    if (!(t1 > t0))
        return -INFINITY;
    /* exponents p of the factor with the larger scale A, and m = (the other exponent) − 1 */
    double p = r + x, m = s;
    powint_end e0 = { t0, log1p_ratio(t0, A), log1p_ratio(t0, B) }, e1 = { t1, l1a, l1b };
    if (A < B) {
        double t = A;
        A = B;
        B = t;
        p = s + 1.0;
        m = r + (x - 1.0);
        t = e0.la, e0.la = e0.lb, e0.lb = t;
        t = e1.la, e1.la = e1.lb, e1.lb = t;
    }
    double logB = log(B), l0 = log_tail(p, m, A, B, logB, &e0);
    if (!isnan(l0)) {
        double l1 = log_tail(p, m, A, B, logB, &e1);
        if (!isnan(l1) && l1 - l0 < LOG_CANCEL)
            return tier__logdiffexp(l0, l1);
    }
    return log_powint_quad(p, m, A, B, logB, &e0, t1);
}

double tier__clv_log_powint(double r, double x, double s, double A, double B, double t0, double t1)
{
    return tier__clv_log_powint_l(r, x, s, A, B, t0, t1, log1p_ratio(t1, A), log1p_ratio(t1, B));
}
