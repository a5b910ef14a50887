/* Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves for
 * customer base analysis"; Fader & Hardie, "The Gamma-Gamma model of monetary value", 2013):
 * parameters (p, q, gamma). Purchase values of a customer are Gamma(p, ν) with ν ~ Gamma(q, γ),
 * independent of the purchase process. For the mean m of x purchase values the density is
 *   f(m | x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q m^(px−1) x^(px) / (γ + m x)^(px+q),
 * and the expected value of a customer's next purchases is
 *   E[M | m, x] = p (γ + m x) / (p x + q − 1),
 * a weighted mean of the population mean p γ / (q − 1) and the customer's own mean m. Customers
 * without repeat purchases (x = 0) or without a value get the population mean, which exists only
 * for q > 1 (else NaN). The x-only parts of log f are computed once per distinct x.
 *
 * Written without differences of large terms, which a fit drifting to a limit would turn into
 * noise (q, γ -> infinity: the same mean value for every customer; p -> infinity with p γ fixed:
 * every purchase of a customer has the same value):
 *   log f = log Γ(px+q)/(Γ(px) Γ(q)) − q log1p(m x/γ) − p x log1p(γ/(m x)) − log m,
 * with the Γ ratio as a log-Pochhammer symbol on the larger of px and q. */
#include <math.h>

#include "internal/clv.h"

/* log Γ(px+q)/(Γ(px) Γ(q)) */
static double log_gamma_ratio(double px, double q)
{
    return px >= q ? tier__lpoch(px, q) - tier__lgamma(q) : tier__lpoch(q, px) - tier__lgamma(px);
}

double tier__gg_ll(const double *p, double x, double m)
{
    double pp = p[0], q = p[1], g = p[2], px = pp * x, mx = m * x;
    return log_gamma_ratio(px, q) - q * log1p(mx / g) - px * log1p(g / mx) - log(m);
}

double tier__gg_expected(const double *p, double x, double m)
{
    double pp = p[0], q = p[1], g = p[2];
    if (!(x > 0.0) || !isfinite(m))
        return q > 1.0 ? pp * g / (q - 1.0) : NAN;
    return pp * (g + m * x) / (pp * x + q - 1.0);
}

enum { K_CONST, K_DP, K_DQ, N_K };

/* Per run: the Γ ratio and its derivatives in p (per unit of x) and q. */

static int block(void *ctx, size_t bi)
{
    tier__clv_objctx *o = ctx;
    const tier__clv_spend *sp = o->spend;
    size_t k0 = bi * TIER__CLV_BLOCK, k1 = k0 + TIER__CLV_BLOCK < sp->n ? k0 + TIER__CLV_BLOCK : sp->n;
    double pp = o->p[0], q = o->p[1], g = o->p[2];
    double sll = 0.0, gp = 0.0, gq = 0.0, gg = 0.0;
    size_t run = tier__clv_run_of(sp->run, sp->n_runs, k0);
    for (size_t k = k0; k < k1; k++) {
        while (k >= sp->run[run + 1])
            run++;
        const double *K = o->run_terms + run * TIER__CLV_RUN_TERMS;
        double x = sp->x[k], m = sp->m[k], px = pp * x, mx = m * x;
        double lq = log1p(mx / g), lp = log1p(g / mx);
        /* Σ log m is added per run (from sum_logm) in the objective. */
        sll += K[K_CONST] - q * lq - px * lp;
        if (o->grad) { /* in log-parameters: p ∂/∂p, q ∂/∂q, γ ∂/∂γ */
            gp += px * (K[K_DP] - lp);
            gq += q * (K[K_DQ] - lq);
            gg += (q * mx - px * g) / (g + mx);
        }
    }
    double *out = o->partial + bi * TIER__CLV_PARTIAL;
    out[0] = sll;
    out[1] = gp;
    out[2] = gq;
    out[3] = gg;
    out[4] = 0.0;
    return 0;
}

double tier__gg_objective(void *ctx, const double *theta, double *grad, int *err)
{
    tier__clv_objctx *o = ctx;
    const tier__clv_spend *sp = o->spend;
    for (int j = 0; j < 3; j++)
        o->p[j] = exp(theta[j]);
    double pp = o->p[0], q = o->p[1];
    double extra = 0.0;
    for (size_t i = 0; i < sp->n_runs; i++) {
        double x = sp->x[sp->run[i]], px = pp * x;
        double *K = o->run_terms + i * TIER__CLV_RUN_TERMS;
        K[K_CONST] = log_gamma_ratio(px, q);
        /* ψ(px+q) − ψ(px) and ψ(px+q) − ψ(q) */
        K[K_DP] = tier__dpoch(px, q);
        K[K_DQ] = tier__dpoch(q, px);
        extra -= sp->sum_logm[i]; /* the 1/m factor, summed per run */
    }
    o->grad = grad != NULL;
    double s[TIER__CLV_PARTIAL];
    int rc = tier__clv_sum_blocks(s, o, block);
    if (rc) {
        *err = rc;
        return NAN;
    }
    double n = (double)sp->n;
    double f = -(s[0] + extra) / n;
    if (grad)
        for (int j = 0; j < 3; j++)
            grad[j] = -s[1 + j] / n;
    return isfinite(f) ? f : INFINITY;
}
