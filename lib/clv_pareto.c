/* Pareto/NBD (Schmittlein, Morrison & Colombo 1987): parameters (r, alpha, s, beta). While alive
 * a customer buys at rate λ ~ Gamma(r, alpha); lifetimes are exponential with rate
 * μ ~ Gamma(s, beta).
 *
 * Likelihood of (x, t_x, T) (Fader & Hardie, "A note on deriving the Pareto/NBD model and related
 * expressions", 2005, and "Implementing the Pareto/NBD model", eq. for L with A_0):
 *   L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^(−(r+x)) (β+T)^(−s) + s J ],
 *   J = ∫_{t_x}^{T} (α+τ)^(−(r+x)) (β+τ)^(−(s+1)) dτ,
 * where s J equals the note's s/(r+s+x) · A_0. J is computed in logs by tier__clv_log_powint
 * (2F1 at an argument in [0, 1), the note's α >= β / α < β branches, or quadrature where that
 * would be slow), and the bracket by log-sum-exp. The first term over the bracket is
 * P(alive | x, t_x, T).
 *
 * The factor α^(r+x) β^s is taken into both terms of the bracket, so that no large terms cancel
 * when a fit drifts to large parameters (r, α -> infinity is the limit of equal purchase rates):
 *   log L = log (r)_x − x log α + logaddexp(−(r+x) log1p(T/α) − s log1p(T/β), log(s/β) + log Ĵ),
 * with log Ĵ = log J + (r+x) log α + (s+1) log β from tier__clv_log_powint and log (r)_x from
 * tier__lpoch. A plain evaluation loses ~1e-16 r log α absolutely: at r = 1e9 the noise of 1e-6
 * defeats the numerical gradient (step 1e-5) and the optimiser crawls.
 *
 * Conditional expectation over (T, T+h]:
 *   E = P(alive) · (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+h))^(s−1)],
 * evaluated as P(alive) (r+x)(β+T)/(α+T) · (−expm1(−(s−1) log1p(h/(β+T))) / (s−1)), whose limit at
 * s = 1 is log1p(h/(β+T)).
 *
 * P(no purchase in (T, T+h]): given alive at T, λ ~ Gamma(r+x, α+T) and μ ~ Gamma(s, β+T)
 * independently, and the window passes without a purchase when death or the window's end comes
 * before the next purchase:
 *   P(0 | alive) = E[e^(−(λ+μ)h)] + ∫_0^h E[μ e^(−(λ+μ)u)] du
 *               = ((α+T)/(α+T+h))^(r+x) ((β+T)/(β+T+h))^s
 *                 + s (α+T)^(r+x) (β+T)^s ∫_0^h (α+T+u)^(−(r+x)) (β+T+u)^(−(s+1)) du,
 * and P0 = 1 − P(alive) + P(alive) · P(0 | alive). */
#include <math.h>

#include "internal/clv.h"

/* log of the bracket's terms times α^(r+x) β^s: the first term and s J; log_s_beta = log(s/β). */
static void bracket(double *l1, double *l2, const double *p, double log_s_beta, double x, double tx, double T)
{
    double r = p[0], alpha = p[1], s = p[2], beta = p[3];
    double la = log1p(T / alpha), lb = log1p(T / beta);
    *l1 = -(r + x) * la - s * lb;
    *l2 = log_s_beta + tier__clv_log_powint_l(r, x, s, alpha, beta, tx, T, la, lb);
}

static double log_s_beta(const double *p) { return log(p[2]) - log(p[3]); }

static double logaddexp(double a, double b)
{
    if (a < b) {
        double t = a;
        a = b;
        b = t;
    }
    return b == -INFINITY ? a : a + log1p(exp(b - a));
}

double tier__pnbd_ll(const double *p, double x, double tx, double T)
{
    double l1, l2;
    bracket(&l1, &l2, p, log_s_beta(p), x, tx, T);
    return tier__lpoch(p[0], x) - x * log(p[1]) + logaddexp(l1, l2);
}

/* ---- objective (gradient by central differences in clv_optim.c) ----------------------------- */

static int block(void *ctx, size_t bi)
{
    tier__clv_objctx *o = ctx;
    const tier__clv_counts *c = o->counts;
    size_t k0 = bi * TIER__CLV_BLOCK, k1 = k0 + TIER__CLV_BLOCK < c->n ? k0 + TIER__CLV_BLOCK : c->n;
    double sll = 0.0, lsb = log_s_beta(o->p);
    size_t run = tier__clv_run_of(c->run, c->n_runs, k0);
    for (size_t k = k0; k < k1; k++) {
        while (k >= c->run[run + 1])
            run++;
        double l1, l2;
        bracket(&l1, &l2, o->p, lsb, c->x[k], c->tx[k], c->T[k]);
        sll += c->w[k] * (o->run_terms[run * TIER__CLV_RUN_TERMS] + logaddexp(l1, l2));
    }
    double *out = o->partial + bi * TIER__CLV_PARTIAL;
    out[0] = sll;
    for (int j = 1; j < TIER__CLV_PARTIAL; j++)
        out[j] = 0.0;
    return 0;
}

double tier__pnbd_objective(void *ctx, const double *theta, double *grad, int *err)
{
    tier__clv_objctx *o = ctx;
    const tier__clv_counts *c = o->counts;
    (void)grad; /* always NULL: numerical gradient */
    for (int j = 0; j < 4; j++)
        o->p[j] = exp(theta[j]);
    double la = log(o->p[1]);
    for (size_t i = 0; i < c->n_runs; i++) {
        double x = c->x[c->run[i]];
        o->run_terms[i * TIER__CLV_RUN_TERMS] = tier__lpoch(o->p[0], x) - x * la;
    }
    o->grad = 0;
    double s[TIER__CLV_PARTIAL];
    int rc = tier__clv_sum_blocks(s, o, block);
    if (rc) {
        *err = rc;
        return NAN;
    }
    double f = -s[0] / c->total;
    return isfinite(f) ? f : INFINITY;
}

/* ---- predictions ---------------------------------------------------------------------------- */

void tier__pnbd_predict(tier__clv_pred *out, const double *p, double x, double tx, double T, double h,
                        unsigned which)
{
    double r = p[0], alpha = p[1], s = p[2], beta = p[3];
    double l1, l2;
    bracket(&l1, &l2, p, log_s_beta(p), x, tx, T);
    double pa = l2 == -INFINITY ? 1.0 : 1.0 / (1.0 + exp(l2 - l1));
    double dead = l2 == -INFINITY ? 0.0 : 1.0 / (1.0 + exp(l1 - l2)); /* 1 − pa without cancelling */
    out->p_alive = (which & 1) ? pa : NAN;
    out->expected = NAN;
    out->p_zero = NAN;
    if (which & 2) {
        double L = log1p(h / (beta + T)), sm1 = s - 1.0;
        double g = sm1 == 0.0 ? L : -expm1(-sm1 * L) / sm1;
        out->expected = pa * (r + x) * (beta + T) / (alpha + T) * g;
    }
    if (which & 4) {
        double A = alpha + T, B = beta + T;
        double stay = exp(-(r + x) * log1p(h / A) - s * log1p(h / B));
        double die = h > 0.0 ? exp(log(s) + tier__clv_log_powint(r, x, s, A, B, 0.0, h) - log(B)) : 0.0;
        out->p_zero = dead + pa * (stay + die);
    }
}
