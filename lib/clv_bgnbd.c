/* BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): parameters
 * (r, alpha, a, b). While alive a customer buys at rate λ ~ Gamma(r, alpha); after each purchase
 * they drop out with probability p ~ Beta(a, b).
 *
 * Likelihood of (x, t_x, T), written as one term times a correction so that it stays finite in
 * logs for any x:
 *   L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x)) · (1 + ρ),
 *   ρ = [x > 0] · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x),
 * and 1/(1 + ρ) is P(alive | x, t_x, T) (FHL 2005 eq. 11 rearranged). The x-only part of log L
 * is computed once per distinct x. Written so that nothing large cancels when a fit drifts to
 * large parameters (r, α -> infinity: equal purchase rates; a, b -> infinity): α^r/(α+T)^(r+x) as
 * exp(−r log1p(T/α) − x log(α+T)), the Γ ratios as log-Pochhammer symbols (tier__lpoch), the
 * digamma differences of the gradient as tier__dpoch.
 *
 * Conditional expectation (FHL 2005 eq. 10) over (T, T+h]:
 *   E = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+h))^(r+x) 2F1(r+x, b+x; a+b+x−1; h/(α+T+h))] · P(alive).
 The bracket is computed as published unless that cancels badly; then
 * Euler's transformation turns it into 1 − (1−z)^(a−1) 2F1(a+b−1−r, a−1; a+b+x−1; z),
 * z = h/(α+T+h), whose ratio to a − 1 has a finite limit at a = 1; for |a − 1| < 0.01 that ratio
 * is summed directly as −expm1((a−1) log(1−z))/(a−1) − (1−z)^(a−1) S, with
 * S = Σ_{k>=1} (a+b−1−r)_k (a)_(k−1) / ((a+b+x−1)_k k!) z^k, so there is no 0/0.
 *
 * P(no purchase in (T, T+h]): a customer who is alive at T does not drop out without buying, so
 *   P0 = 1 − P(alive) + P(alive) · ((α+T)/(α+T+h))^(r+x)
 * (the posterior of λ given alive at T is Gamma(r+x, α+T)). */
#include <float.h>
#include <math.h>

#include "internal/clv.h"

/* log of the x-only factor: log Γ(r+x)/Γ(r) + log B(a, b+x)/B(a, b). */
static double run_constant(const double *p, double x)
{
    double r = p[0], a = p[2], b = p[3];
    return tier__lpoch(r, x) + tier__lpoch(b, x) - tier__lpoch(a + b, x);
}

/* log α^r/(α+T)^(r+x). */
static double log_scale(double r, double alpha, double x, double T)
{
    return -r * log1p(T / alpha) - x * log(alpha + T);
}

/* log ((α+T)/(α+t_x)) */
static double log_span(double alpha, double tx, double T) { return log1p((T - tx) / (alpha + tx)); }

/* log ρ (−inf for x = 0). */
static double log_rho(const double *p, double x, double tx, double T)
{
    if (x <= 0.0)
        return -INFINITY;
    double r = p[0], alpha = p[1], a = p[2], b = p[3];
    return log(a) - log(b + x - 1.0) + (r + x) * log_span(alpha, tx, T);
}

double tier__bgnbd_ll(const double *p, double x, double tx, double T)
{
    double lr = log_rho(p, x, tx, T);
    return run_constant(p, x) + log_scale(p[0], p[1], x, T) + (x > 0.0 ? tier__log1pexp(lr) : 0.0);
}

/* ---- objective ------------------------------------------------------------------------------ */

enum { K_CONST, K_DR, K_DA, K_DB, K_LOGA_B, N_K };

static void run_terms(double *k, const double *p, double x)
{
    double r = p[0], a = p[2], b = p[3];
    k[K_CONST] = run_constant(p, x);
    if (x > 0.0) {
        double pab = -tier__dpoch(a + b, x);
        k[K_DR] = tier__dpoch(r, x);
        k[K_DA] = pab;
        k[K_DB] = tier__dpoch(b, x) + pab;
        k[K_LOGA_B] = log(a) - log(b + x - 1.0);
    } else {
        k[K_DR] = 0.0;
        k[K_DA] = k[K_DB] = 0.0;
        k[K_LOGA_B] = -INFINITY;
    }
}

static int block(void *ctx, size_t bi)
{
    tier__clv_objctx *o = ctx;
    const tier__clv_counts *c = o->counts;
    size_t k0 = bi * TIER__CLV_BLOCK, k1 = k0 + TIER__CLV_BLOCK < c->n ? k0 + TIER__CLV_BLOCK : c->n;
    double r = o->p[0], alpha = o->p[1], a = o->p[2], b = o->p[3];
    double sll = 0.0, gr = 0.0, ga = 0.0, gA = 0.0, gb = 0.0;
    size_t run = tier__clv_run_of(c->run, c->n_runs, k0);
    for (size_t k = k0; k < k1; k++) {
        while (k >= c->run[run + 1])
            run++;
        const double *K = o->run_terms + run * TIER__CLV_RUN_TERMS;
        double x = c->x[k], w = c->w[k], T = c->T[k], tx = c->tx[k], l1T = log1p(T / alpha);
        double ll = K[K_CONST] - r * l1T - x * log(alpha + T), sig = 0.0, span = 0.0;
        if (x > 0.0) {
            span = log_span(alpha, tx, T);
            double lr = K[K_LOGA_B] + (r + x) * span;
            ll += tier__log1pexp(lr);
            sig = 1.0 / (1.0 + exp(-lr));
        }
        sll += w * ll;
        if (o->grad) {
            /* d/dα of −r log1p(T/α) − x log(α+T) + log1pexp(lr): (r T/α − x)/(α+T) and
             * −σ (r+x) (T − t_x)/((α+T)(α+t_x)), written without differences of large terms */
            double iT = 1.0 / (alpha + T);
            gr += w * (K[K_DR] - l1T + sig * span);
            ga += w * ((r * T / alpha - x) * iT - (x > 0.0 ? sig * (r + x) * (T - tx) * iT / (alpha + tx) : 0.0));
            gA += w * (K[K_DA] + sig / a);
            gb += w * (K[K_DB] - (x > 0.0 ? sig / (b + x - 1.0) : 0.0));
        }
    }
    double *out = o->partial + bi * TIER__CLV_PARTIAL;
    out[0] = sll;
    out[1] = gr;
    out[2] = ga;
    out[3] = gA;
    out[4] = gb;
    return 0;
}

double tier__bgnbd_objective(void *ctx, const double *theta, double *grad, int *err)
{
    tier__clv_objctx *o = ctx;
    const tier__clv_counts *c = o->counts;
    for (int j = 0; j < 4; j++)
        o->p[j] = exp(theta[j]);
    for (size_t i = 0; i < c->n_runs; i++)
        run_terms(o->run_terms + i * TIER__CLV_RUN_TERMS, o->p, c->x[c->run[i]]);
    o->grad = grad != NULL;
    double s[TIER__CLV_PARTIAL];
    int rc = tier__clv_sum_blocks(s, o, block);
    if (rc) {
        *err = rc;
        return NAN;
    }
    double f = -s[0] / c->total;
    if (grad)
        for (int j = 0; j < 4; j++)
            grad[j] = -s[1 + j] * o->p[j] / c->total;
    return isfinite(f) ? f : INFINITY;
}

/* ---- predictions ---------------------------------------------------------------------------- */

/* The bracket of the expectation divided by a − 1 (see the file comment): the published form
 * 1 − (1−z)^(r+x) 2F1(r+x, b+x; a+b+x−1; z) when it does not cancel badly (it is well conditioned
 * when a and b are large, where the Euler form's parameters explode), else the Euler form
 * 1 − (1−z)^(a−1) 2F1(a+b−1−r, a−1; a+b+x−1; z), and near a = 1 the Euler form's series with the
 * factor a − 1 taken out. */
static double bracket_over_eps(double r, double a, double b, double x, double z)
{
    double eps = a - 1.0, L = log1p(-z), ca = a + b - 1.0 - r, cc = a + b + x - 1.0;
    if (fabs(eps) >= 0.01) {
        double f1 = tier__hyp2f1(r + x, b + x, cc, z);
        if (isfinite(f1) && f1 > 0.0) {
            double l = (r + x) * L + log(f1), n = -expm1(l);
            if (exp(l) <= 1e3 * fabs(n))
                return n / eps;
        }
        double f = tier__hyp2f1(ca, eps, cc, z);
        return f > 0.0 ? -expm1(eps * L + log(f)) / eps : (1.0 - exp(eps * L) * f) / eps;
    }
    double term = ca / cc * z, S = term;
    for (long k = 1; k < TIER__HYP2F1_MAX_TERMS; k++) {
        double ratio = (ca + (double)k) * (eps + (double)k) / ((cc + (double)k) * (double)(k + 1)) * z;
        term *= ratio;
        S += term;
        double rho = fabs(ratio) > z ? fabs(ratio) : z;
        if (term == 0.0 || (rho < 1.0 && fabs(term) * rho / (1.0 - rho) <= DBL_EPSILON * 0.5 * fabs(S)))
            return (eps == 0.0 ? -L : -expm1(eps * L) / eps) - exp(eps * L) * S;
    }
    return NAN;
}

void tier__bgnbd_predict(tier__clv_pred *out, const double *p, double x, double tx, double T, double h,
                         unsigned which)
{
    double r = p[0], alpha = p[1], a = p[2], b = p[3];
    double lr = log_rho(p, x, tx, T);
    double pa = x > 0.0 ? 1.0 / (1.0 + exp(lr)) : 1.0;
    out->p_alive = (which & 1) ? pa : NAN;
    out->expected = NAN;
    out->p_zero = NAN;
    if (which & 2) {
        if (h == 0.0)
            out->expected = 0.0;
        else {
            double z = h / (alpha + T + h);
            out->expected = (a + b + x - 1.0) * bracket_over_eps(r, a, b, x, z) * pa;
        }
    }
    if (which & 4) {
        double stay = exp(-(r + x) * log1p(h / (alpha + T)));
        double dead = x > 0.0 ? 1.0 / (1.0 + exp(-lr)) : 0.0; /* 1 − pa without cancelling */
        out->p_zero = dead + pa * stay;
    }
}
