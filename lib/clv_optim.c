/* Minimisation for the CLV maximum-likelihood fits: BFGS in log-parameter space.
 *
 * Working with θ = log(parameter) keeps every parameter positive without constraints and makes
 * the problem scale-free. The objective is the mean negative log-likelihood, so tolerances do not
 * depend on the number of customers. Each iteration:
 *   - direction d = −H g (H: the inverse-Hessian estimate; reset to the identity when d is not a
 *     descent direction), its largest component capped at 3 (a factor e^3 per parameter);
 *   - backtracking line search from step 1, halving until the Armijo condition
 *     f(θ') <= f(θ) + 1e-4 g·(θ' − θ) holds for θ' = θ + t d clamped to the box (undefined
 *     objective values count as failures); trial points cost one evaluation each, the gradient is
 *     computed at the accepted point only;
 *   - the BFGS update of H when the curvature condition s·y > 0 holds (the first update first
 *     scales H to (s·y)/(y·y), as Nocedal & Wright suggest).
 * It stops when max |g| <= gtol over the free parameters (converged), when no step decreases f
 * even from a reset H (converged only if max |g| <= 100 gtol: progress is then limited by
 * rounding), after max_iter iterations, or when the run has used max_evals evaluations of the
 * objective (a numerical gradient counting 2 dim) — so the work of a run is bounded whatever the
 * data: at most max_evals evaluations, each of bounded cost.
 *
 * Box. θ is kept in [−TIER__CLV_THETA_BOUND, TIER__CLV_THETA_BOUND]. A parameter that reaches the
 * box while the gradient still pushes it outwards is frozen there (an active set: its gradient
 * component is ignored and H restarts) and the others are optimised on; the run then reports it
 * in at_bound and is not converged: the likelihood keeps rising towards a degenerate limit (a
 * parameter running to 0 or infinity). Without freezing, BFGS would crawl along the box for its
 * whole iteration budget. Gradients are analytic when the model provides them, else central
 * differences with step 1e-5 (one-sided at the edge of the feasible set). */
#include <math.h>
#include <string.h>

#include "internal/clv.h"

#define STEP_CAP 3.0
#define ARMIJO 1e-4
#define MAX_HALVINGS 40
#define FD_STEP 1e-5

static void clamp(double *theta, unsigned dim)
{
    for (unsigned j = 0; j < dim; j++) {
        if (theta[j] > TIER__CLV_THETA_BOUND)
            theta[j] = TIER__CLV_THETA_BOUND;
        if (theta[j] < -TIER__CLV_THETA_BOUND)
            theta[j] = -TIER__CLV_THETA_BOUND;
    }
}

/* One run: the objective, its evaluation count and budget, the first error. */
typedef struct run {
    const tier__clv_optim *o;
    tier__clv_objective fn;
    void *ctx;
    uint64_t n_evals;
    int err;
} run;

static int exhausted(const run *r) { return r->n_evals >= r->o->max_evals; }

static double call(run *r, const double *theta, double *grad)
{
    r->n_evals++;
    return r->fn(r->ctx, theta, grad, &r->err);
}

/* The gradient at theta where f = fn(theta) is known (central differences). */
static void fd_gradient(run *r, const double *theta, double f, double *grad)
{
    double t[TIER__CLV_MAX_PARAMS];
    for (unsigned j = 0; j < r->o->dim; j++) {
        memcpy(t, theta, r->o->dim * sizeof *t);
        t[j] = theta[j] + FD_STEP;
        double fp = call(r, t, NULL);
        t[j] = theta[j] - FD_STEP;
        double fm = call(r, t, NULL);
        if (r->err)
            return;
        if (isfinite(fp) && isfinite(fm))
            grad[j] = (fp - fm) / (2.0 * FD_STEP);
        else if (isfinite(fp))
            grad[j] = (fp - f) / FD_STEP;
        else if (isfinite(fm))
            grad[j] = (f - fm) / FD_STEP;
        else
            grad[j] = 0.0;
    }
}

/* f and its gradient at theta; returns f (inf/NaN where undefined). */
static double eval(run *r, const double *theta, double *grad)
{
    if (r->o->analytic)
        return call(r, theta, grad);
    double f = call(r, theta, NULL);
    if (!r->err && isfinite(f))
        fd_gradient(r, theta, f, grad);
    return f;
}

static double max_abs(const double *v, unsigned n)
{
    double m = 0.0;
    for (unsigned j = 0; j < n; j++)
        m = fmax(m, fabs(v[j]));
    return m;
}

static void identity(double *H, unsigned n, double scale)
{
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < n; j++)
            H[i * n + j] = i == j ? scale : 0.0;
}

/* H <- (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, ρ = 1/(yᵀs). */
static void bfgs_update(double *H, const double *s, const double *y, unsigned n)
{
    double sy = 0.0, Hy[TIER__CLV_MAX_PARAMS], yHy = 0.0;
    for (unsigned i = 0; i < n; i++)
        sy += s[i] * y[i];
    double rho = 1.0 / sy;
    for (unsigned i = 0; i < n; i++) {
        Hy[i] = 0.0;
        for (unsigned j = 0; j < n; j++)
            Hy[i] += H[i * n + j] * y[j];
        yHy += y[i] * Hy[i];
    }
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < n; j++)
            H[i * n + j] += -rho * (Hy[i] * s[j] + s[i] * Hy[j]) + (rho * rho * yHy + rho) * s[i] * s[j];
}

/* Freezes the parameters at the box that the gradient pushes outwards (bit j of the result);
 * their components of g are cleared into gf. */
static unsigned active_set(double *gf, const double *theta, const double *g, unsigned n)
{
    unsigned mask = 0;
    for (unsigned j = 0; j < n; j++) {
        int out = (theta[j] >= TIER__CLV_THETA_BOUND && g[j] < 0.0) ||
                  (theta[j] <= -TIER__CLV_THETA_BOUND && g[j] > 0.0);
        mask |= (unsigned)out << j;
        gf[j] = out ? 0.0 : g[j];
    }
    return mask;
}

/* Direction −H g, capped; returns g·d. */
static double direction(double *d, const double *H, const double *g, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        d[i] = 0.0;
        for (unsigned j = 0; j < n; j++)
            d[i] -= H[i * n + j] * g[j];
    }
    double m = max_abs(d, n);
    if (m > STEP_CAP)
        for (unsigned i = 0; i < n; i++)
            d[i] *= STEP_CAP / m;
    double gd = 0.0;
    for (unsigned i = 0; i < n; i++)
        gd += g[i] * d[i];
    return gd;
}

/* Backtracking line search; on success theta/f/g hold the new point and s, y the step taken
 * and the change of gradient. */
static int line_search(run *r, double *theta, double *f, double *g, const double *d, double *s, double *y)
{
    unsigned n = r->o->dim;
    double t = 1.0, trial[TIER__CLV_MAX_PARAMS], gt[TIER__CLV_MAX_PARAMS];
    for (int h = 0; h < MAX_HALVINGS && !exhausted(r); h++, t *= 0.5) {
        /* the Armijo condition on the step actually taken, which the box may have shortened */
        double gs = 0.0;
        for (unsigned j = 0; j < n; j++)
            trial[j] = theta[j] + t * d[j];
        clamp(trial, n);
        for (unsigned j = 0; j < n; j++)
            gs += g[j] * (trial[j] - theta[j]);
        if (!(gs < 0.0))
            return 0;
        double ft = call(r, trial, r->o->analytic ? gt : NULL);
        if (r->err)
            return 0;
        if (isfinite(ft) && ft <= *f + ARMIJO * gs) {
            int moved = 0;
            for (unsigned j = 0; j < n; j++)
                moved |= trial[j] != theta[j];
            if (!moved)
                return 0;
            if (!r->o->analytic) {
                fd_gradient(r, trial, ft, gt);
                if (r->err)
                    return 0;
            }
            for (unsigned j = 0; j < n; j++) {
                s[j] = trial[j] - theta[j];
                y[j] = gt[j] - g[j];
            }
            memcpy(theta, trial, n * sizeof *theta);
            memcpy(g, gt, n * sizeof *g);
            *f = ft;
            return 1;
        }
    }
    return 0;
}

int tier__clv_bfgs(tier__clv_optres *res, const tier__clv_optim *o, tier__clv_objective fn, void *ctx,
                   const double *theta0)
{
    unsigned n = o->dim;
    double theta[TIER__CLV_MAX_PARAMS], g[TIER__CLV_MAX_PARAMS], gf[TIER__CLV_MAX_PARAMS];
    double d[TIER__CLV_MAX_PARAMS], s[TIER__CLV_MAX_PARAMS], y[TIER__CLV_MAX_PARAMS];
    double H[TIER__CLV_MAX_PARAMS * TIER__CLV_MAX_PARAMS];
    run r = { o, fn, ctx, 0, 0 };
    int scaled = 0, resets = 0;
    memcpy(theta, theta0, n * sizeof *theta);
    clamp(theta, n);
    memset(res, 0, sizeof *res);
    double f = eval(&r, theta, g);
    if (r.err)
        return r.err;
    identity(H, n, 1.0);
    unsigned it = 0, frozen = 0;
    int converged = 0;
    while (isfinite(f) && it < o->max_iter && !exhausted(&r)) {
        unsigned mask = active_set(gf, theta, g, n);
        if (mask != frozen) { /* the free subspace changed: restart the curvature estimate */
            frozen = mask;
            identity(H, n, 1.0);
            scaled = 0;
        }
        if (max_abs(gf, n) <= o->gtol) {
            converged = 1;
            break;
        }
        double gd = direction(d, H, gf, n);
        if (!(gd < 0.0)) {
            identity(H, n, 1.0);
            gd = direction(d, H, gf, n);
        }
        for (unsigned j = 0; j < n; j++)
            if (frozen >> j & 1)
                d[j] = 0.0;
        it++;
        if (!line_search(&r, theta, &f, g, d, s, y)) {
            if (r.err)
                return r.err;
            if (exhausted(&r))
                break;
            if (resets++ < 1) { /* retry once along the steepest descent */
                identity(H, n, 1.0);
                scaled = 0;
                continue;
            }
            converged = max_abs(gf, n) <= 100.0 * o->gtol;
            break;
        }
        resets = 0;
        double sy = 0.0, yy = 0.0;
        for (unsigned j = 0; j < n; j++)
            if (!(frozen >> j & 1)) {
                sy += s[j] * y[j];
                yy += y[j] * y[j];
            } else
                y[j] = 0.0;
        if (sy > 1e-300 && yy > 0.0) {
            if (!scaled) {
                identity(H, n, sy / yy);
                scaled = 1;
            }
            bfgs_update(H, s, y, n);
        }
    }
    for (unsigned j = 0; j < n; j++)
        if (fabs(theta[j]) >= TIER__CLV_THETA_BOUND)
            res->at_bound |= 1u << j;
    memcpy(res->theta, theta, n * sizeof *theta);
    res->f = f;
    active_set(gf, theta, g, n);
    res->gmax = max_abs(gf, n);
    res->n_iter = it;
    res->n_evals = r.n_evals;
    res->converged = converged && isfinite(f);
    return 0;
}

static uint64_t splitmix(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void tier__clv_start(double *theta, const double *theta0, unsigned dim, uint64_t seed, unsigned k)
{
    uint64_t st = seed ^ (0xD1B54A32D192ED03ULL * (uint64_t)k);
    for (unsigned j = 0; j < dim; j++) {
        double u = (double)(splitmix(&st) >> 11) * 0x1.0p-53;
        theta[j] = theta0[j] + (k ? 3.0 * u - 1.5 : 0.0);
    }
}
