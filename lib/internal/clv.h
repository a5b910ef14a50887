/* Private: the "buy 'til you die" engine behind include/tier/clv.h, shared by lib/clv*.c.
 *
 *   clv_special.c     lgamma (thread-safe), digamma, log1p-exp helpers and the Gauss
 *                     hypergeometric function 2F1 for real parameters and z < 1
 *   clv_optim.c       minimisation in log-parameter space: BFGS with a backtracking line search,
 *                     analytic or central-difference gradients, several seeded starts
 *   clv_bgnbd.c       BG/NBD: log-likelihood (+ gradient), P(alive), conditional expectation,
 *                     P(no purchase)
 *   clv_pareto.c      Pareto/NBD: the same quantities, through 2F1
 *   clv_gammagamma.c  Gamma-Gamma spend model: log-likelihood (+ gradient), conditional mean
 *   clv.c             options, data preparation, the "clv" scorer kind, getters, save/load,
 *                     array-level public functions, calibration/holdout helpers
 *
 * Determinism. Sums over customers run over fixed blocks of TIER__CLV_BLOCK entries whatever the
 * thread count, and block results are added in block order, so every fit and prediction is
 * bit-identical for any n_threads. */
#ifndef TIER_INTERNAL_CLV_H
#define TIER_INTERNAL_CLV_H

#include <stddef.h>
#include <stdint.h>

#include "tier/clv.h"
#include "alloc.h"

/* Entries per task in parallel sums (fixed: results must not depend on the thread count). */
#define TIER__CLV_BLOCK 16384

/* ---- special functions (clv_special.c) ------------------------------------------------------ */

/* log Γ(x) for x > 0, without touching the global `signgam` (safe on many threads). */
double tier__lgamma(double x);
/* ψ(x) = d/dx log Γ(x), x > 0. Relative error ~1e-15. */
double tier__digamma(double x);
/* log Γ(r + x) − log Γ(r) = log of the rising factorial (r)_x, and ψ(r + x) − ψ(r), for r > 0,
 * x >= 0, without the cancellation of the plain differences when r is large (a fit drifting to
 * r -> infinity would otherwise see noise of ~1e-16 r log r). */
double tier__lpoch(double r, double x);
double tier__dpoch(double r, double x);
/* log(1 + exp(v)) without overflow. */
double tier__log1pexp(double v);
/* log(exp(a) - exp(b)) for a >= b (−inf when equal). */
double tier__logdiffexp(double a, double b);

/* Gauss hypergeometric 2F1(a, b; c; z) for real a, b, c (c not 0, −1, −2 ...) and z < 1:
 * Pfaff's transformation for z < 0, the Maclaurin series for 0 <= z <= 0.5, and for z > 0.5 the
 * 1 − z connection formula (A&S 15.3.6) unless its terms cancel (c − a − b near an integer), else
 * the series (which converges for every z < 1; capped at TIER__HYP2F1_MAX_TERMS terms), else the
 * connection formula at perturbed b with Richardson extrapolation. Returns NaN when it cannot
 * deliver (z >= 1, a pole of c, every route failed). */
#define TIER__HYP2F1_MAX_TERMS 4000000
double tier__hyp2f1(double a, double b, double c, double z);

/* log ∫_{t0}^{t1} (1 + u/A)^(−(r+x)) (1 + u/B)^(−(s+1)) du = log J + (r+x) log A + (s+1) log B
 * with J = ∫_{t0}^{t1} (A + u)^(−(r+x)) (B + u)^(−(s+1)) du, the integral of the Pareto/NBD
 * likelihood, for A, B, r, s > 0, x >= 0, 0 <= t0 <= t1 <= +inf (−inf when t0 == t1). The
 * normalised form keeps (r+x) log A and the like (huge when a fit drifts to large parameters) out
 * of the sums, and the exponents are passed apart so that s, and r + x − 1 (which take the role of
 * c − a − b below), keep their digits however small. Computed as the difference of two tails,
 * each written with 2F1(1, p; c; z) at z in [0, 1) (Fader & Hardie's form), where that 2F1 needs
 * no series longer than TIER__PNBD_SERIES_TERMS terms and the difference keeps its digits; else
 * by adaptive Gauss–Kronrod quadrature of the integral (a smooth log-concave integrand after a
 * change of variable) with at most TIER__PNBD_QUAD_PANELS panels. Bounded cost for every
 * argument: at most 4 series of TIER__PNBD_SERIES_TERMS terms and 1,410 quadrature points plus a
 * bisection of ~60 steps (clv_special.c has the exact bound). Relative accuracy ~1e-13. */
#define TIER__PNBD_SERIES_TERMS 2000
#define TIER__PNBD_QUAD_PANELS 48
double tier__clv_log_powint(double r, double x, double s, double A, double B, double t0, double t1);
/* The same, with l1a = log1p(t1/A) and l1b = log1p(t1/B), which the Pareto/NBD likelihood needs
 * anyway, passed in. */
double tier__clv_log_powint_l(double r, double x, double s, double A, double B, double t0, double t1, double l1a,
                              double l1b);

/* ---- optimisation (clv_optim.c) ------------------------------------------------------------- */

#define TIER__CLV_MAX_PARAMS 4
/* Log-parameters are kept in [−BOUND, BOUND]: a parameter that runs to e^±BOUND means the
 * likelihood has no finite maximum (reported as not converged). */
#define TIER__CLV_THETA_BOUND 25.0

/* Objective: mean negative log-likelihood at log-parameters theta (dim values). When grad is
 * non-NULL it also receives the gradient with respect to theta. Returns +inf or NaN where the
 * objective is undefined; a negative status in *err aborts (ENOMEM ...). */
typedef double (*tier__clv_objective)(void *ctx, const double *theta, double *grad, int *err);

typedef struct tier__clv_optim {
    unsigned dim;
    unsigned max_iter;   /* per start */
    double gtol;         /* convergence: max |gradient| <= gtol */
    int analytic;        /* 1: the objective fills grad; 0: central differences */
    uint64_t max_evals;  /* per start: objective evaluations (a numerical gradient counts 2 dim) */
} tier__clv_optim;

typedef struct tier__clv_optres {
    double theta[TIER__CLV_MAX_PARAMS];
    double f;            /* objective at theta */
    double gmax;         /* max |gradient| at theta over the parameters not frozen at the box */
    unsigned n_iter;
    int converged;       /* gradient criterion met (over the parameters not frozen at the box) */
    unsigned at_bound;   /* bit j: theta[j] ended at ±TIER__CLV_THETA_BOUND */
    uint64_t n_evals;    /* objective evaluations used (<= max_evals) */
} tier__clv_optres;

/* BFGS from theta0 (clv_optim.c has the details). Errors: a negative status from the
 * objective. */
int tier__clv_bfgs(tier__clv_optres *res, const tier__clv_optim *o, tier__clv_objective fn, void *ctx,
                   const double *theta0);

/* Start k (k >= 1) of a multi-start run: theta0 moved by seeded offsets in [−1.5, 1.5]. */
void tier__clv_start(double *theta, const double *theta0, unsigned dim, uint64_t seed, unsigned k);

/* ---- prepared data ------------------------------------------------------------------------- */

/* Count-model data: distinct (x, t_x, T) triples in the model's unit, sorted by x, with counts. */
typedef struct tier__clv_counts {
    size_t n;              /* distinct triples */
    double *x, *tx, *T, *w;
    size_t n_runs;         /* runs of equal x */
    size_t *run;           /* n_runs + 1 boundaries */
    double total;          /* Σ w (customers) */
    double repeaters;      /* Σ w over x > 0 */
    double mean_x, mean_T; /* weighted means (starting values) */
    unsigned n_threads;
    const tier__alloc *alloc;
} tier__clv_counts;

void tier__clv_counts_free(tier__clv_counts *c);
/* Builds counts from n validated rows (rows whose x is NaN are skipped; t_x is taken as 0 where
 * x = 0), dividing t_x and T by `unit` (1 for days, 7 for weeks). TIER_EEMPTY if no row is
 * left. */
int tier__clv_counts_build(tier__clv_counts *c, const tier__alloc *a, size_t n, const double *x,
                           const double *tx, const double *T, double unit, unsigned n_threads);
/* A seeded subsample of about m distinct triples (weights kept), for cheap multi-start. */
int tier__clv_counts_sample(tier__clv_counts *out, const tier__clv_counts *c, size_t m, uint64_t seed);

/* Spend data: (x, m) pairs with x >= 1 and finite m > 0 (other rows are left out), sorted by x
 * then m. */
typedef struct tier__clv_spend {
    size_t n;
    double *x, *m;
    size_t n_runs;
    size_t *run;
    double *sum_logm;      /* per run: Σ log m */
    double mean_m;
    unsigned n_threads;
    const tier__alloc *alloc;
} tier__clv_spend;

void tier__clv_spend_free(tier__clv_spend *s);
int tier__clv_spend_build(tier__clv_spend *s, const tier__alloc *a, size_t n, const double *x,
                          const double *m, unsigned n_threads);

/* ---- objective evaluation ------------------------------------------------------------------- */

/* Per-run (equal x) terms an objective precomputes before summing over entries. */
#define TIER__CLV_RUN_TERMS 8

/* What an objective reads and the scratch it sums into. */
typedef struct tier__clv_objctx {
    const tier__clv_counts *counts; /* count models */
    const tier__clv_spend *spend;   /* Gamma-Gamma */
    double *run_terms;              /* n_runs x TIER__CLV_RUN_TERMS */
    double *partial;                /* n_blocks x TIER__CLV_PARTIAL */
    size_t n_blocks;
    double p[TIER__CLV_MAX_PARAMS]; /* parameters of the current evaluation */
    int grad;                       /* the current evaluation wants the gradient */
    unsigned n_threads;
    const tier__alloc *alloc;
} tier__clv_objctx;

#define TIER__CLV_PARTIAL (1 + TIER__CLV_MAX_PARAMS)

/* Allocates scratch for n_runs runs and n entries (blocks of TIER__CLV_BLOCK). */
int tier__clv_objctx_init(tier__clv_objctx *o, const tier__alloc *a, size_t n_runs, size_t n,
                          unsigned n_threads);
void tier__clv_objctx_free(tier__clv_objctx *o);
/* Runs `block` over every block on the worker threads, then adds the partials in block order into
 * out[0 .. TIER__CLV_PARTIAL−1]. */
int tier__clv_sum_blocks(double *out, tier__clv_objctx *o, int (*block)(void *ctx, size_t b));
/* The run that holds entry k (run[] has n_runs + 1 boundaries). */
size_t tier__clv_run_of(const size_t *run, size_t n_runs, size_t k);

/* ---- models --------------------------------------------------------------------------------- */

/* Per-customer quantities at parameters p (model order: r, alpha, a, b or r, alpha, s, beta). */
typedef struct tier__clv_pred {
    double p_alive;
    double expected;   /* E[X(T, T + h)] */
    double p_zero;     /* P(X(T, T + h) = 0) */
} tier__clv_pred;

/* Log-likelihood of one customer (unit weight). */
double tier__bgnbd_ll(const double *p, double x, double tx, double T);
double tier__pnbd_ll(const double *p, double x, double tx, double T);
/* Mean negative log-likelihood over prepared counts, with the gradient in log-parameters when
 * grad is non-NULL (BG/NBD analytic; Pareto/NBD: grad must be NULL). */
double tier__bgnbd_objective(void *ctx, const double *theta, double *grad, int *err);
double tier__pnbd_objective(void *ctx, const double *theta, double *grad, int *err);

/* Expected purchases in (T, T + h] and the other predictions; `which` bits choose what to compute
 * (1 p_alive, 2 expected, 4 p_zero) — unrequested fields are NaN. */
void tier__bgnbd_predict(tier__clv_pred *out, const double *p, double x, double tx, double T, double h,
                         unsigned which);
void tier__pnbd_predict(tier__clv_pred *out, const double *p, double x, double tx, double T, double h,
                        unsigned which);

/* Gamma-Gamma: log density of the mean m of x purchases; conditional expected spend. */
double tier__gg_ll(const double *p, double x, double m);
double tier__gg_expected(const double *p, double x, double m);
double tier__gg_objective(void *ctx, const double *theta, double *grad, int *err);

#endif
