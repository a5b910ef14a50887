/* Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves for
 * customer base analysis"; Fader & Hardie, "The Gamma-Gamma model of monetary value", 2013):
 * parameters (p, q, gamma). Purchase values of a customer are Gamma(p, ν) with ν ~ Gamma(q, γ),
 * independent of the purchase process. For the mean m of x purchase values the density is
 *   f(m | x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q m^(px−1) x^(px) / (γ + m x)^(px+q),
 * and the expected value of a customer's next purchases is
 *   E[M | m, x] = p (γ + m x) / (p x + q − 1),
 * a weighted mean of the population mean p γ / (q − 1) and the customer's own mean m. Customers
 * without repeat purchases (x = 0) or without a value get the population mean, which exists only
 * for q > 1 (else NaN). The x-only parts of log f are computed once per distinct x. */
#include <math.h>

#include "internal/clv.h"

double tier__gg_ll(const double *p, double x, double m)
{
    double pp = p[0], q = p[1], g = p[2], px = pp * x;
    return tier__lgamma(px + q) - tier__lgamma(px) - tier__lgamma(q) + q * log(g) + (px - 1.0) * log(m) +
           px * log(x) - (px + q) * log(g + m * x);
}

double tier__gg_expected(const double *p, double x, double m)
{
    double pp = p[0], q = p[1], g = p[2];
    if (!(x > 0.0) || !isfinite(m))
        return q > 1.0 ? pp * g / (q - 1.0) : NAN;
    return pp * (g + m * x) / (pp * x + q - 1.0);
}

enum { K_CONST, K_DP, K_DQ, N_K };

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
        double x = sp->x[k], m = sp->m[k], px = pp * x;
        double lgm = log(g + m * x);
        /* Σ (px − 1) log m is added per run (from sum_logm) in the objective. */
        sll += K[K_CONST] - (px + q) * lgm;
        if (o->grad) {
            gp += x * (K[K_DP] - lgm);
            gq += K[K_DQ] - lgm;
            gg += q / g - (px + q) / (g + m * x);
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
    double pp = o->p[0], q = o->p[1], g = o->p[2];
    double extra = 0.0, extra_p = 0.0;
    for (size_t i = 0; i < sp->n_runs; i++) {
        double x = sp->x[sp->run[i]], px = pp * x;
        double *K = o->run_terms + i * TIER__CLV_RUN_TERMS;
        double dpq = tier__digamma(px + q);
        K[K_CONST] = tier__lgamma(px + q) - tier__lgamma(px) - tier__lgamma(q) + q * log(g) + px * log(x);
        K[K_DP] = dpq - tier__digamma(px) + log(x);
        K[K_DQ] = dpq - tier__digamma(q) + log(g);
        /* the m^(px−1) factor, summed per run */
        extra += (px - 1.0) * sp->sum_logm[i];
        extra_p += x * sp->sum_logm[i];
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
    if (grad) {
        grad[0] = -(s[1] + extra_p) * pp / n;
        grad[1] = -s[2] * q / n;
        grad[2] = -s[3] * g / n;
    }
    return isfinite(f) ? f : INFINITY;
}
