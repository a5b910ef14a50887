/* The CLV scoring strategy (include/tier/clv.h): options, input validation, the multi-start
 * maximum-likelihood fits, apply (predictions and the discounted CLV), getters, the saved state,
 * and the models on plain arrays. The models themselves live in clv_bgnbd.c, clv_pareto.c and
 * clv_gammagamma.c; the optimiser in clv_optim.c; data grouping in clv_data.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal/clv.h"
#include "internal/dataset.h"
#include "internal/error.h"
#include "internal/pool.h"
#include "internal/scorer.h"

/* 2: each fit also keeps its evaluation count and limit mask. */
#define CLV_STATE_VERSION 2
/* Distinct customers above which the starts run on a sample (then refined on all data). */
#define START_SAMPLE 20000
#define AGREE_TOL 1e-6
#define MAX_STARTS 64
#define DAYS_PER_YEAR 365.25
/* Objective evaluations per BFGS iteration a run may use on average (its budget is this times
 * max_iter; see clv_optim.c). A numerical-gradient iteration needs 9 (1 + 2 × 4), an analytic one
 * 1 to 2; the rest is room for line searches. */
#define EVALS_PER_ITER 20
/* A limit probe moves log-parameters by LIMIT_STEP and counts as "no worse" within LIMIT_TOL
 * (relative) of the mean objective. */
#define LIMIT_STEP 10.0
#define LIMIT_TOL 1e-9
/* A parameter beyond e^±FAR_OUT is named as running off in the message of a fit that did not
 * converge (the optimiser's box is e^±25; real estimates stay far inside). */
#define FAR_OUT 18.0

enum { IN_X, IN_TX, IN_T, IN_SPEND };
enum { OUT_P_ALIVE, OUT_EXPECTED, OUT_SPEND, OUT_CLV, OUT_P_ZERO, N_OUT };

static const char *const output_names[N_OUT] = { "p_alive", "expected_purchases", "expected_spend", "clv",
                                                 "p_no_purchase" };
static const char *const default_inputs[3] = { "repeat_count", "t_x", "T" };
static const char *const model_names[2] = { "BG/NBD", "Pareto/NBD" };

typedef struct clv_config {
    tier_clv_model model;
    tier_clv_unit unit;
    char *cols[4]; /* x, t_x, T, spend (NULL: no spend model) */
    double horizon, discount_rate, margin, tol;
    unsigned periods, n_starts, max_iter, n_threads;
    uint64_t seed;
    int accept_unconverged;
} clv_config;

typedef struct clv_fit {
    double params[TIER__CLV_MAX_PARAMS];
    double loglik;
    unsigned n_iter, n_agree;
    int converged;
    uint64_t n;
    uint64_t n_evals;    /* objective evaluations of all runs and the limit probes */
    unsigned limits;     /* bit j: parameter j runs to 0 or infinity (see find_limits) */
    uint32_t limit_dirs; /* the directions found by find_limits (not saved: for the message) */
} clv_fit;

typedef struct clv_state {
    tier__alloc alloc;
    clv_config cfg;
    const char *inputs[4];
    size_t n_inputs;
    int fitted;
    clv_fit counts, spend;
} clv_state;

static double unit_days(tier_clv_unit u) { return u == TIER_CLV_WEEKS ? 7.0 : 1.0; }

/* A (x, m) pair the spend model can use; others get the population mean. */
static int spend_usable(double x, double m) { return x >= 1.0 && isfinite(m) && m > 0.0; }

/* ---- options -------------------------------------------------------------------------------- */

int tier_clv_options_init(tier_clv_options *opts, unsigned int version)
{
    if (!opts)
        return tier__error(TIER_EINVAL, "tier_clv_options_init: NULL options");
    if (version < 1 || version > TIER_CLV_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_clv_options version %u is not 1..%d", version,
                           TIER_CLV_OPTIONS_VERSION);
    tier_clv_options def = TIER_CLV_OPTIONS_INIT;
    *opts = def;
    opts->version = version;
    return TIER_OK;
}

static void config_free(clv_config *cfg, const tier__alloc *a)
{
    for (int i = 0; i < 4; i++)
        tier__free(a, cfg->cols[i]);
    memset(cfg, 0, sizeof *cfg);
}

static int check_numbers(const tier_clv_options *o)
{
    if ((unsigned)o->model > TIER_CLV_PARETO_NBD)
        return tier__error(TIER_EINVAL, "clv: unknown model %d", (int)o->model);
    if ((unsigned)o->unit > TIER_CLV_WEEKS)
        return tier__error(TIER_EINVAL, "clv: unknown time unit %d", (int)o->unit);
    if (!isfinite(o->horizon) || o->horizon < 0.0)
        return tier__error(TIER_EINVAL, "clv: horizon %g is not a finite number >= 0", o->horizon);
    if (!isfinite(o->discount_rate) || o->discount_rate < 0.0)
        return tier__error(TIER_EINVAL, "clv: discount rate %g is not a finite number >= 0", o->discount_rate);
    if (!isfinite(o->margin))
        return tier__error(TIER_EINVAL, "clv: margin %g is not finite", o->margin);
    if (o->discount_periods == 0 || o->max_iter == 0)
        return tier__error(TIER_EINVAL, "clv: discount_periods and max_iter must be >= 1");
    if (o->n_starts == 0 || o->n_starts > MAX_STARTS)
        return tier__error(TIER_EINVAL, "clv: n_starts %u is not 1..%d", o->n_starts, MAX_STARTS);
    if (!(o->tol > 0.0) || !isfinite(o->tol))
        return tier__error(TIER_EINVAL, "clv: tol %g is not a finite number > 0", o->tol);
    return TIER_OK;
}

static int config_init(clv_config *cfg, const tier__alloc *a, const tier_clv_options *opts)
{
    tier_clv_options def = TIER_CLV_OPTIONS_INIT;
    const tier_clv_options *o = opts ? opts : &def;
    memset(cfg, 0, sizeof *cfg);
    if (o->version < 1 || o->version > TIER_CLV_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_clv_options version %u is not 1..%d", o->version,
                           TIER_CLV_OPTIONS_VERSION);
    int rc = check_numbers(o);
    if (rc)
        return rc;
    const char *names[4] = { o->x_column ? o->x_column : default_inputs[0],
                             o->t_x_column ? o->t_x_column : default_inputs[1],
                             o->T_column ? o->T_column : default_inputs[2], o->spend_column };
    for (int i = 0; i < 4; i++) {
        if (!names[i])
            continue;
        if (!*names[i])
            return tier__error(TIER_EINVAL, "clv: empty input column name");
        for (int j = 0; j < i; j++)
            if (names[j] && strcmp(names[i], names[j]) == 0)
                return tier__error(TIER_EINVAL, "clv: column '%s' is given for two inputs", names[i]);
    }
    for (int i = 0; i < 4; i++)
        if (names[i] && !(cfg->cols[i] = tier__strdup(a, names[i]))) {
            config_free(cfg, a);
            return tier__oom();
        }
    cfg->model = o->model;
    cfg->unit = o->unit;
    cfg->horizon = o->horizon;
    cfg->discount_rate = o->discount_rate;
    cfg->margin = o->margin;
    cfg->tol = o->tol;
    cfg->periods = o->discount_periods;
    cfg->n_starts = o->n_starts;
    cfg->max_iter = o->max_iter;
    cfg->n_threads = o->n_threads;
    cfg->seed = o->seed;
    cfg->accept_unconverged = o->accept_unconverged != 0;
    return TIER_OK;
}

/* ---- the scorer kind ------------------------------------------------------------------------ */

static void state_free(void *state, const tier__alloc *a)
{
    clv_state *st = state;
    config_free(&st->cfg, a);
    tier__free(a, st);
}

static void set_inputs(clv_state *st)
{
    st->n_inputs = st->cfg.cols[IN_SPEND] ? 4 : 3;
    for (size_t i = 0; i < st->n_inputs; i++)
        st->inputs[i] = st->cfg.cols[i];
}

static void clv_columns(const void *state, tier__scorer_columns *cols)
{
    const clv_state *st = state;
    cols->n_inputs = st->n_inputs;
    cols->inputs = st->inputs;
    cols->n_outputs = N_OUT;
    cols->outputs = output_names;
    cols->output_types = NULL;
}

static int clv_is_fitted(const void *state) { return ((const clv_state *)state)->fitted; }

/* ---- inputs --------------------------------------------------------------------------------- */

/* 0: valid; 1: no purchase (all NaN, skipped); −1: invalid, with the reason in `why`. */
static int check_row(double x, double tx, double T, const char **why)
{
    if (isnan(x) && isnan(tx) && isnan(T))
        return 1;
    if (!isfinite(x) || !isfinite(tx) || !isfinite(T)) {
        *why = "x, t_x and T must all be finite, or all be NaN (no purchase)";
        return -1;
    }
    if (x < 0.0 || x != floor(x) || x > 1e9) {
        *why = "x must be a whole number >= 0";
        return -1;
    }
    if (T < 0.0 || (x > 0.0 && (tx < 0.0 || tx > T * (1.0 + 1e-12) + 1e-9))) {
        *why = "0 <= t_x <= T must hold";
        return -1;
    }
    return 0;
}

static int bad_row(const tier_dataset *ds, size_t row, double x, double tx, double T, const char *why)
{
    const char *id = ds ? tier_dataset_customer_id(ds, row) : NULL;
    if (id)
        return tier__error(TIER_ERANGE, "clv: customer '%s' (row %zu): x = %g, t_x = %g, T = %g: %s", id, row,
                           x, tx, T, why);
    return tier__error(TIER_ERANGE, "clv: row %zu: x = %g, t_x = %g, T = %g: %s", row, x, tx, T, why);
}

static int check_rows(const tier_dataset *ds, size_t n, const double *x, const double *tx, const double *T)
{
    for (size_t i = 0; i < n; i++) {
        const char *why = NULL;
        if (check_row(x[i], tx[i], T[i], &why) < 0)
            return bad_row(ds, i, x[i], tx[i], T[i], why);
    }
    return TIER_OK;
}

static int read_columns(const double **col, const clv_state *st, const tier_dataset *ds)
{
    for (size_t i = 0; i < st->n_inputs; i++) {
        int rc = tier_dataset_numeric(&col[i], ds, st->cfg.cols[i]);
        if (rc) {
            tier__error_prefix("clv");
            return rc;
        }
    }
    if (st->n_inputs == 3)
        col[IN_SPEND] = NULL;
    return check_rows(ds, tier_dataset_size(ds), col[IN_X], col[IN_TX], col[IN_T]);
}

static unsigned threads_for(const clv_config *cfg, const tier_dataset *ds)
{
    return cfg->n_threads ? cfg->n_threads : tier__dataset_threads(ds);
}

/* ---- fitting -------------------------------------------------------------------------------- */

/* The starts on `ctx`: the best result, the starts that agree with it, and its iterations. */
static int multistart(tier__clv_optres *best, unsigned *n_agree, uint64_t *n_evals, tier__clv_objective fn,
                      tier__clv_objctx *ctx, const tier__clv_optim *o, const double *theta0, const clv_config *cfg)
{
    double f[MAX_STARTS];
    unsigned n = cfg->n_starts;
    int have = 0;
    *n_agree = 0;
    for (unsigned k = 0; k < n; k++) {
        double start[TIER__CLV_MAX_PARAMS];
        tier__clv_optres res;
        tier__clv_start(start, theta0, o->dim, cfg->seed, k);
        int rc = tier__clv_bfgs(&res, o, fn, ctx, start);
        if (rc)
            return rc;
        *n_evals += res.n_evals;
        f[k] = res.f;
        if (isfinite(res.f) && (!have || res.f < best->f)) {
            *best = res;
            have = 1;
        }
    }
    if (!have)
        return tier__error(TIER_ENOTCONVERGED, "clv: the likelihood is not finite at any starting point");
    for (unsigned k = 0; k < n; k++)
        *n_agree += fabs(f[k] - best->f) <= AGREE_TOL * fmax(1.0, fabs(best->f));
    return TIER_OK;
}

/* ---- limits: where the likelihood has no maximum at finite parameters ------------------------ */

/* A direction in log-parameter space along which a model degenerates into a simpler one, and what
 * that says about the data. Every single parameter towards 0 and towards infinity is probed too
 * (with a generic description). */
typedef struct clv_limit {
    signed char dir[TIER__CLV_MAX_PARAMS];
    const char *why;
    int proper; /* the limit is a proper model the fit may end at (see finish_fit) */
} clv_limit;

typedef struct clv_model_desc {
    const char *name;
    unsigned dim;
    const char *params[TIER__CLV_MAX_PARAMS];
    clv_limit limits[4];
    unsigned n_limits;
} clv_model_desc;

static const char no_dropout[] = "the data show no dropout";
static const clv_model_desc desc_bgnbd = {
    "BG/NBD", 4, { "r", "alpha", "a", "b" },
    { { { 0, 0, -1, 0 }, no_dropout, 1 },
      { { 0, 0, 0, 1 }, no_dropout, 1 },
      { { 1, 1, 0, 0 }, "every customer buys at the same rate", 0 },
      { { 0, 0, 1, 1 }, "every customer has the same dropout probability", 0 } },
    4
};
static const clv_model_desc desc_pareto = {
    "Pareto/NBD", 4, { "r", "alpha", "s", "beta" },
    { { { 0, 0, -1, 0 }, no_dropout, 1 },
      { { 0, 0, 0, 1 }, no_dropout, 1 },
      { { 1, 1, 0, 0 }, "every customer buys at the same rate", 0 },
      { { 0, 0, 1, 1 }, "every customer has the same dropout rate", 0 } },
    4
};
static const clv_model_desc desc_gg = {
    "Gamma-Gamma", 3, { "p", "q", "gamma" },
    { { { 0, 1, 1, 0 }, "every customer has the same mean purchase value", 0 },
      { { 1, 0, -1, 0 }, "the purchases of each customer all have the same value", 0 } },
    2
};

/* 1 if the objective a factor e^LIMIT_STEP further along `dir` from theta (mean objective f) is no
 * worse than at theta: at a maximum it would be clearly worse; no worse means the likelihood's
 * supremum lies at that limit (or the parameters are not identified), not at theta. The probe may
 * leave the optimiser's box: the objective is defined there. */
static int probe(tier__clv_objective fn, tier__clv_objctx *ctx, const double *theta, double f, unsigned dim,
                 const signed char *dir, int *err)
{
    double t[TIER__CLV_MAX_PARAMS];
    for (unsigned j = 0; j < dim; j++)
        t[j] = theta[j] + LIMIT_STEP * dir[j];
    double fp = fn(ctx, t, NULL, err);
    return isfinite(fp) && fp <= f + LIMIT_TOL * fmax(1.0, fabs(f));
}

/* The limits the best point lies on: a bit per direction of d->limits, then two bits per parameter
 * (towards 0, towards infinity) from bit 8. A parameter the optimiser left at its box is on a
 * limit, even when no straight probe finds the likelihood flat (the supremum may lie along a
 * curve, as s -> 0 with s log(1/beta) fixed). The probes (one objective evaluation per direction)
 * run only from a point where BFGS converged: elsewhere some direction improves the likelihood
 * anyway, and "no worse" would say nothing about a limit. */
static int find_limits(uint32_t *found, const clv_model_desc *d, tier__clv_objective fn, tier__clv_objctx *ctx,
                       const tier__clv_optres *best)
{
    int err = 0;
    *found = 0;
    for (unsigned j = 0; j < d->dim; j++)
        if (best->at_bound >> j & 1)
            *found |= 1u << (8 + 2 * j + (best->theta[j] > 0.0));
    if (!best->converged)
        return 0;
    for (unsigned k = 0; k < d->n_limits && !err; k++)
        *found |= (uint32_t)probe(fn, ctx, best->theta, best->f, d->dim, d->limits[k].dir, &err) << k;
    for (unsigned j = 0; j < d->dim && !err; j++)
        for (int sgn = 0; sgn < 2 && !err; sgn++) {
            signed char dir[TIER__CLV_MAX_PARAMS] = { 0 };
            dir[j] = (signed char)(sgn ? 1 : -1);
            *found |= (uint32_t)probe(fn, ctx, best->theta, best->f, d->dim, dir, &err) << (8 + 2 * j + sgn);
        }
    return err;
}

/* Parameters involved in the limits found (bit j: parameter j); only those of proper limits when
 * `proper`. */
static unsigned limit_params(const clv_model_desc *d, uint32_t found, int proper)
{
    unsigned mask = 0;
    for (unsigned k = 0; k < d->n_limits; k++)
        if ((found >> k & 1) && (!proper || d->limits[k].proper))
            for (unsigned j = 0; j < d->dim && j < TIER__CLV_MAX_PARAMS; j++)
                mask |= (unsigned)(d->limits[k].dir[j] != 0) << j;
    for (unsigned j = 0; j < d->dim && j < TIER__CLV_MAX_PARAMS && !proper; j++)
        mask |= (unsigned)((found >> (8 + 2 * j)) & 3 ? 1 : 0) << j;
    return mask;
}

/* Appends "name -> 0 (value)" for the parameters of one direction. */
static int describe_dir(char *buf, size_t cap, const clv_model_desc *d, const signed char *dir, const double *p)
{
    int len = 0, first = 1;
    for (unsigned j = 0; j < d->dim; j++) {
        if (!dir[j] || len < 0 || (size_t)len >= cap)
            continue;
        len += snprintf(buf + len, cap - (size_t)len, "%s%s -> %s (%.3g)", first ? "" : " and ", d->params[j],
                        dir[j] < 0 ? "0" : "infinity", p[j]);
        first = 0;
    }
    return len;
}

/* "a -> 0 (4.6e-06) and b -> infinity (1.9e+06): the data show no dropout; ..." for the limits
 * found: the named directions in the model's order, those with the same meaning said together,
 * then single parameters not named yet. */
static void describe_limits(char *buf, size_t cap, const clv_model_desc *d, uint32_t found, const double *p)
{
    size_t len = 0;
    unsigned named = 0, done = 0;
    buf[0] = '\0';
    for (unsigned k = 0; k < d->n_limits; k++) {
        const char *why = d->limits[k].why;
        int first = 1;
        for (unsigned i = k; i < d->n_limits; i++) { /* the directions with this meaning */
            const signed char *dir = d->limits[i].dir;
            unsigned params = 0;
            for (unsigned j = 0; j < d->dim; j++)
                params |= (unsigned)(dir[j] != 0) << j;
            if ((done >> i & 1) || d->limits[i].why != why)
                continue;
            done |= 1u << i;
            if (!(found >> i & 1) || (params & named) == params || len >= cap)
                continue;
            named |= params;
            len += (size_t)snprintf(buf + len, cap - len, "%s", first ? (len ? "; " : "") : " and ");
            if (len < cap)
                len += (size_t)describe_dir(buf + len, cap - len, d, dir, p);
            first = 0;
        }
        if (!first && len < cap)
            len += (size_t)snprintf(buf + len, cap - len, ": %s", why);
    }
    for (unsigned j = 0; j < d->dim; j++)
        for (int sgn = 0; sgn < 2; sgn++) {
            if (!(found >> (8 + 2 * j + sgn) & 1) || (named >> j & 1) || len >= cap)
                continue;
            signed char dir[TIER__CLV_MAX_PARAMS] = { 0 };
            dir[j] = (signed char)(sgn ? 1 : -1);
            named |= 1u << j;
            len += (size_t)snprintf(buf + len, cap - len, "%s", len ? "; " : "");
            if (len < cap)
                len += (size_t)describe_dir(buf + len, cap - len, d, dir, p);
        }
}

/* The fit of one part from the best run: parameters, limits, and whether it converged.
 *
 * When the likelihood has no maximum at finite parameters, is that a failed fit? It depends on
 * the limit. "No dropout" (BG/NBD a -> 0 or b -> infinity, Pareto/NBD s -> 0 or beta ->
 * infinity) turns the model into the NBD model — Gamma-distributed Poisson purchase rates and no
 * churn — a proper model that real data often support over a short period (the bundled Online
 * Retail sample does, for BG/NBD): the fit converges onto it, its predictions are those of the
 * limit, and tier_clv_fit_diagnostics() reports the limit. Every other limit — rates without
 * heterogeneity (r, alpha -> infinity and the like), a spend model without variation, a single
 * parameter running off — is what small or degenerate data produce: the fit is not converged and
 * fails with a message naming the limit (unless accept_unconverged). Either way no plateau is
 * reported as an ordinary maximum. */
static int finish_fit(clv_fit *out, const clv_model_desc *d, tier__clv_objective fn, tier__clv_objctx *ctx,
                      const tier__clv_optres *best, double n)
{
    uint32_t found;
    int rc = find_limits(&found, d, fn, ctx, best);
    if (rc)
        return rc;
    for (unsigned j = 0; j < d->dim; j++)
        out->params[j] = exp(best->theta[j]);
    out->loglik = -best->f * n;
    out->limits = limit_params(d, found, 0);
    unsigned proper = limit_params(d, found, 1);
    out->converged = best->converged && !(out->limits & ~proper) && !(best->at_bound & ~proper);
    out->n = (uint64_t)n;
    out->limit_dirs = found;
    if (best->converged)
        out->n_evals += d->n_limits + 2u * d->dim; /* the probes */
    return TIER_OK;
}

static void heuristic_counts(double *theta, const tier__clv_counts *c)
{
    double T = c->mean_T > 1e-6 ? c->mean_T : 1.0;
    theta[0] = 0.0;                           /* r = 1 */
    theta[1] = log(T / (c->mean_x + 0.5));    /* alpha: rate r/alpha ~ purchases per unit time */
    theta[2] = 0.0;                           /* a = 1 or s = 1 */
    theta[3] = log(T);                        /* b ~ T or beta ~ T */
}

static int fit_counts(clv_fit *out, const tier__clv_counts *c, const clv_config *cfg)
{
    tier__clv_objective fn = cfg->model == TIER_CLV_BGNBD ? tier__bgnbd_objective : tier__pnbd_objective;
    tier__clv_optim o = { 4, cfg->max_iter, cfg->tol, cfg->model == TIER_CLV_BGNBD,
                          (uint64_t)cfg->max_iter * EVALS_PER_ITER };
    double theta0[4];
    heuristic_counts(theta0, c);
    memset(out, 0, sizeof *out);
    tier__clv_counts sample;
    memset(&sample, 0, sizeof sample);
    const tier__clv_counts *starts_on = c;
    int rc = TIER_OK;
    if (c->n > START_SAMPLE && cfg->n_starts > 1) {
        rc = tier__clv_counts_sample(&sample, c, START_SAMPLE, cfg->seed);
        if (rc)
            return rc;
        if (sample.repeaters > 0.0 && sample.n > 0)
            starts_on = &sample;
    }
    tier__clv_objctx ctx, full;
    memset(&full, 0, sizeof full);
    rc = tier__clv_objctx_init(&ctx, c->alloc, starts_on->n_runs, starts_on->n, c->n_threads);
    tier__clv_optres best;
    memset(&best, 0, sizeof best);
    if (!rc) {
        ctx.counts = starts_on;
        rc = multistart(&best, &out->n_agree, &out->n_evals, fn, &ctx, &o, theta0, cfg);
    }
    out->n_iter = best.n_iter;
    tier__clv_objctx *on_all = &ctx;
    if (!rc && starts_on != c) {
        rc = tier__clv_objctx_init(&full, c->alloc, c->n_runs, c->n, c->n_threads);
        if (!rc) {
            full.counts = c;
            on_all = &full;
            double theta[4];
            memcpy(theta, best.theta, sizeof theta);
            rc = tier__clv_bfgs(&best, &o, fn, &full, theta);
            out->n_iter += best.n_iter;
            out->n_evals += best.n_evals;
        }
    }
    if (!rc)
        rc = finish_fit(out, cfg->model == TIER_CLV_BGNBD ? &desc_bgnbd : &desc_pareto, fn, on_all, &best,
                        c->total);
    tier__clv_objctx_free(&ctx);
    tier__clv_objctx_free(&full);
    tier__clv_counts_free(&sample);
    return rc;
}

static int fit_spend(clv_fit *out, const tier__clv_spend *s, const clv_config *cfg)
{
    tier__clv_optim o = { 3, cfg->max_iter, cfg->tol, 1, (uint64_t)cfg->max_iter * EVALS_PER_ITER };
    double theta0[3] = { log(2.0), log(3.0), log(s->mean_m) };
    memset(out, 0, sizeof *out);
    tier__clv_objctx ctx;
    int rc = tier__clv_objctx_init(&ctx, s->alloc, s->n_runs, s->n, s->n_threads);
    if (rc)
        return rc;
    ctx.spend = s;
    tier__clv_optres best;
    rc = multistart(&best, &out->n_agree, &out->n_evals, tier__gg_objective, &ctx, &o, theta0, cfg);
    if (!rc) {
        out->n_iter = best.n_iter;
        rc = finish_fit(out, &desc_gg, tier__gg_objective, &ctx, &best, (double)s->n);
    }
    tier__clv_objctx_free(&ctx);
    return rc;
}

static int not_converged(const clv_model_desc *d, const clv_fit *f, const clv_config *cfg)
{
    char p[160], lim[400];
    int len = 0;
    for (unsigned j = 0; j < d->dim && len >= 0 && (size_t)len < sizeof p; j++)
        len += snprintf(p + len, sizeof p - (size_t)len, "%s%.6g", j ? ", " : "", f->params[j]);
    if (f->limit_dirs) {
        describe_limits(lim, sizeof lim, d, f->limit_dirs, f->params);
        return tier__error(TIER_ENOTCONVERGED,
                           "clv: the %s fit did not converge: the likelihood keeps increasing as %s (log-likelihood "
                           "%.6f at parameters (%s) after %u iterations); the data do not identify the model, or "
                           "set accept_unconverged",
                           d->name, lim, f->loglik, p, f->n_iter);
    }
    /* No limit established (BFGS stopped before its gradient test); name the parameters that are
     * far out anyway: they are what kept it from converging. */
    signed char far[TIER__CLV_MAX_PARAMS] = { 0 };
    int n_far = 0;
    for (unsigned j = 0; j < d->dim; j++)
        if (fabs(log(f->params[j])) >= FAR_OUT) {
            far[j] = (signed char)(f->params[j] > 1.0 ? 1 : -1);
            n_far++;
        }
    lim[0] = '\0';
    if (n_far) {
        int at = snprintf(lim, sizeof lim, " while ");
        describe_dir(lim + at, sizeof lim - (size_t)at, d, far, f->params);
    }
    uint64_t budget = (uint64_t)cfg->max_iter * EVALS_PER_ITER;
    return tier__error(TIER_ENOTCONVERGED,
                       "clv: the %s fit did not converge%s (log-likelihood %.6f at parameters (%s) after %u "
                       "iterations and %llu log-likelihood evaluations, max_iter %u and %llu per start); the data "
                       "may not identify the model, or set accept_unconverged",
                       d->name, lim, f->loglik, p, f->n_iter, (unsigned long long)f->n_evals, cfg->max_iter,
                       (unsigned long long)budget);
}

static int clv_fit_state(void *state, const tier_dataset *ds)
{
    clv_state *st = state;
    const clv_config *cfg = &st->cfg;
    const double *col[4];
    int rc = read_columns(col, st, ds);
    if (rc)
        return rc;
    size_t n = tier_dataset_size(ds);
    unsigned threads = threads_for(cfg, ds);
    tier__clv_counts c;
    rc = tier__clv_counts_build(&c, &st->alloc, n, col[IN_X], col[IN_TX], col[IN_T], unit_days(cfg->unit), threads);
    if (rc)
        return rc;
    clv_fit counts, spend;
    memset(&spend, 0, sizeof spend);
    if (c.repeaters == 0.0)
        rc = tier__error(TIER_EEMPTY,
                         "clv: none of the %.0f customers has a repeat purchase (x > 0): the %s model "
                         "cannot be fitted",
                         c.total, model_names[cfg->model]);
    else
        rc = fit_counts(&counts, &c, cfg);
    tier__clv_counts_free(&c);
    if (!rc && !counts.converged && !cfg->accept_unconverged)
        rc = not_converged(cfg->model == TIER_CLV_BGNBD ? &desc_bgnbd : &desc_pareto, &counts, cfg);
    if (!rc && col[IN_SPEND]) {
        tier__clv_spend s;
        rc = tier__clv_spend_build(&s, &st->alloc, n, col[IN_X], col[IN_SPEND], threads);
        if (!rc) {
            rc = fit_spend(&spend, &s, cfg);
            tier__clv_spend_free(&s);
        }
        if (!rc && !spend.converged && !cfg->accept_unconverged)
            rc = not_converged(&desc_gg, &spend, cfg);
    }
    if (rc)
        return rc;
    st->counts = counts;
    st->spend = spend;
    st->fitted = 1;
    return TIER_OK;
}

/* ---- apply ---------------------------------------------------------------------------------- */

typedef struct apply_ctx {
    const clv_state *st;
    size_t n;
    const double *col[4];
    double *out[N_OUT];
    double unit;
    size_t *bad; /* per block: first row whose prediction failed, or SIZE_MAX */
} apply_ctx;

static void predict(const clv_state *st, tier__clv_pred *p, double x, double tx, double T, double h, unsigned which)
{
    if (st->cfg.model == TIER_CLV_BGNBD)
        tier__bgnbd_predict(p, st->counts.params, x, tx, T, h, which);
    else
        tier__pnbd_predict(p, st->counts.params, x, tx, T, h, which);
}

/* margin · spend · Σ_k ΔE_k (1 + d)^(−t_k / year) (see clv.h). */
static double lifetime_value(const clv_state *st, double x, double tx, double T, double spend, double e_h,
                             double unit)
{
    const clv_config *cfg = &st->cfg;
    if (cfg->discount_rate == 0.0 || cfg->horizon == 0.0)
        return cfg->margin * spend * e_h;
    double year = DAYS_PER_YEAR / unit, lr = log1p(cfg->discount_rate), prev = 0.0, sum = 0.0;
    for (unsigned k = 1; k <= cfg->periods; k++) {
        double t = k == cfg->periods ? cfg->horizon : cfg->horizon * (double)k / (double)cfg->periods;
        double e = e_h;
        if (k < cfg->periods) {
            tier__clv_pred p;
            predict(st, &p, x, tx, T, t, 2);
            e = p.expected;
        }
        sum += (e - prev) * exp(-lr * t / year);
        prev = e;
    }
    return cfg->margin * spend * sum;
}

static int apply_block(void *vctx, size_t b)
{
    apply_ctx *c = vctx;
    const clv_state *st = c->st;
    size_t r0 = b * TIER__CLV_BLOCK, r1 = r0 + TIER__CLV_BLOCK < c->n ? r0 + TIER__CLV_BLOCK : c->n;
    c->bad[b] = SIZE_MAX;
    for (size_t r = r0; r < r1; r++) {
        double x = c->col[IN_X][r];
        if (isnan(x))
            continue; /* no purchase: outputs stay NaN */
        double tx = x > 0.0 ? c->col[IN_TX][r] / c->unit : 0.0, T = c->col[IN_T][r] / c->unit;
        tier__clv_pred p;
        predict(st, &p, x, tx, T, st->cfg.horizon, 7);
        c->out[OUT_P_ALIVE][r] = p.p_alive;
        c->out[OUT_EXPECTED][r] = p.expected;
        c->out[OUT_P_ZERO][r] = p.p_zero;
        int ok = !isnan(p.p_alive) && !isnan(p.expected) && !isnan(p.p_zero);
        if (c->col[IN_SPEND]) {
            double m = c->col[IN_SPEND][r];
            double es = tier__gg_expected(st->spend.params, spend_usable(x, m) ? x : 0.0, m);
            double v = lifetime_value(st, x, tx, T, es, p.expected, c->unit);
            c->out[OUT_SPEND][r] = es;
            c->out[OUT_CLV][r] = v;
            ok = ok && (isnan(es) || !isnan(v));
        }
        if (!ok && c->bad[b] == SIZE_MAX)
            c->bad[b] = r;
    }
    return 0;
}

static int clv_apply(const void *state, const tier_dataset *ds, tier_scorer_output *out)
{
    const clv_state *st = state;
    apply_ctx c;
    memset(&c, 0, sizeof c);
    int rc = read_columns(c.col, st, ds);
    if (rc)
        return rc;
    c.st = st;
    c.n = tier_dataset_size(ds);
    c.unit = unit_days(st->cfg.unit);
    for (int j = 0; j < N_OUT; j++)
        if (!(c.out[j] = tier__output_numeric(out, (size_t)j)))
            return TIER_ENOMEM;
    size_t blocks = (c.n + TIER__CLV_BLOCK - 1) / TIER__CLV_BLOCK;
    if (blocks == 0)
        return TIER_OK;
    c.bad = tier__malloc(&st->alloc, blocks * sizeof *c.bad);
    if (!c.bad)
        return tier__oom();
    rc = tier__parallel_for(tier__threads(threads_for(&st->cfg, ds), blocks), blocks, apply_block, &c);
    for (size_t b = 0; !rc && b < blocks; b++)
        if (c.bad[b] != SIZE_MAX) {
            size_t r = c.bad[b];
            rc = tier__error(TIER_ENOTCONVERGED,
                             "clv: the predictions for customer '%s' (row %zu, x = %g, t_x = %g, T = %g) "
                             "could not be computed to full precision (a 2F1 series did not converge)",
                             tier_dataset_customer_id(ds, r), r, c.col[IN_X][r], c.col[IN_TX][r], c.col[IN_T][r]);
        }
    tier__free(&st->alloc, c.bad);
    return rc;
}

/* ---- saved state ---------------------------------------------------------------------------- */

static void save_fit(tier__wbuf *w, const clv_fit *f)
{
    tier__wbuf_f64s(w, f->params, TIER__CLV_MAX_PARAMS);
    tier__wbuf_f64(w, f->loglik);
    tier__wbuf_u32(w, f->n_iter);
    tier__wbuf_u32(w, f->n_agree);
    tier__wbuf_u8(w, (uint8_t)f->converged);
    tier__wbuf_u64(w, f->n);
    tier__wbuf_u64(w, f->n_evals); /* state version 2 */
    tier__wbuf_u32(w, f->limits);
}

static void clv_save(const void *state, tier__wbuf *w)
{
    const clv_state *st = state;
    const clv_config *cfg = &st->cfg;
    tier__wbuf_u8(w, (uint8_t)cfg->model);
    tier__wbuf_u8(w, (uint8_t)cfg->unit);
    for (int i = 0; i < 4; i++)
        tier__wbuf_str(w, cfg->cols[i]);
    tier__wbuf_f64(w, cfg->horizon);
    tier__wbuf_f64(w, cfg->discount_rate);
    tier__wbuf_f64(w, cfg->margin);
    tier__wbuf_f64(w, cfg->tol);
    tier__wbuf_u32(w, cfg->periods);
    tier__wbuf_u32(w, cfg->n_starts);
    tier__wbuf_u32(w, cfg->max_iter);
    tier__wbuf_u32(w, cfg->n_threads);
    tier__wbuf_u64(w, cfg->seed);
    tier__wbuf_u8(w, (uint8_t)cfg->accept_unconverged);
    tier__wbuf_u8(w, (uint8_t)st->fitted);
    if (!st->fitted)
        return;
    save_fit(w, &st->counts);
    if (cfg->cols[IN_SPEND])
        save_fit(w, &st->spend);
}

static int corrupt(const char *path, const char *what)
{
    return tier__error(TIER_ECORRUPT, "%s: not a valid clv model (%s)", path, what);
}

static int load_fit(clv_fit *f, tier__rbuf *r, unsigned dim, uint32_t version, const char *path)
{
    memset(f, 0, sizeof *f);
    tier__rbuf_f64s(r, f->params, TIER__CLV_MAX_PARAMS);
    f->loglik = tier__rbuf_f64(r);
    f->n_iter = tier__rbuf_u32(r);
    f->n_agree = tier__rbuf_u32(r);
    f->converged = tier__rbuf_u8(r);
    f->n = tier__rbuf_u64(r);
    if (version >= 2) { /* version 1 files did not keep them: 0 */
        f->n_evals = tier__rbuf_u64(r);
        f->limits = tier__rbuf_u32(r);
    }
    if (r->failed)
        return corrupt(path, "truncated fit");
    if (f->limits >> dim)
        return corrupt(path, "bad limit mask");
    for (unsigned j = 0; j < dim; j++)
        if (!isfinite(f->params[j]) || !(f->params[j] > 0.0))
            return corrupt(path, "bad parameter");
    return TIER_OK;
}

static int load_config(clv_config *cfg, const tier__alloc *a, tier__rbuf *r, const char *path)
{
    tier_clv_options o = TIER_CLV_OPTIONS_INIT;
    o.model = (tier_clv_model)tier__rbuf_u8(r);
    o.unit = (tier_clv_unit)tier__rbuf_u8(r);
    o.x_column = tier__rbuf_str(r);
    o.t_x_column = tier__rbuf_str(r);
    o.T_column = tier__rbuf_str(r);
    o.spend_column = tier__rbuf_str(r);
    o.horizon = tier__rbuf_f64(r);
    o.discount_rate = tier__rbuf_f64(r);
    o.margin = tier__rbuf_f64(r);
    o.tol = tier__rbuf_f64(r);
    o.discount_periods = tier__rbuf_u32(r);
    o.n_starts = tier__rbuf_u32(r);
    o.max_iter = tier__rbuf_u32(r);
    o.n_threads = tier__rbuf_u32(r);
    o.seed = tier__rbuf_u64(r);
    o.accept_unconverged = tier__rbuf_u8(r);
    if (r->failed || !o.x_column || !o.t_x_column || !o.T_column)
        return corrupt(path, "truncated configuration");
    int rc = config_init(cfg, a, &o);
    if (rc) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", tier_last_error());
        return corrupt(path, msg);
    }
    return TIER_OK;
}

static int clv_load(void **state, const tier__alloc *a, tier__rbuf *r, uint32_t version, const char *path)
{
    *state = NULL;
    clv_state *st = tier__calloc(a, 1, sizeof *st);
    if (!st)
        return tier__oom();
    st->alloc = *a;
    int rc = load_config(&st->cfg, a, r, path);
    if (!rc) {
        set_inputs(st);
        uint8_t fitted = tier__rbuf_u8(r);
        if (r->failed || fitted > 1)
            rc = corrupt(path, "bad fitted flag");
        else if (fitted) {
            rc = load_fit(&st->counts, r, 4, version, path);
            if (!rc && st->cfg.cols[IN_SPEND])
                rc = load_fit(&st->spend, r, 3, version, path);
            st->fitted = !rc;
        }
    }
    if (rc) {
        state_free(st, a);
        return rc;
    }
    *state = st;
    return TIER_OK;
}

const tier__scorer_kind tier__clv_kind = {
    .name = "clv",
    .state_version = CLV_STATE_VERSION,
    .columns = clv_columns,
    .is_fitted = clv_is_fitted,
    .fit = clv_fit_state,
    .apply = clv_apply,
    .fit_apply = NULL,
    .save = clv_save,
    .load = clv_load,
    .free = state_free,
};

/* ---- public constructor and getters --------------------------------------------------------- */

int tier_clv_new(tier_scorer **out, const tier_clv_options *opts)
{
    if (!out)
        return tier__error(TIER_EINVAL, "tier_clv_new: NULL out");
    *out = NULL;
    tier__alloc a;
    int rc = tier__alloc_init(&a, opts ? opts->allocator : NULL);
    if (rc)
        return rc;
    clv_state *st = tier__calloc(&a, 1, sizeof *st);
    if (!st)
        return tier__oom();
    st->alloc = a;
    rc = config_init(&st->cfg, &a, opts);
    if (rc) {
        state_free(st, &a);
        return rc;
    }
    set_inputs(st);
    return tier__scorer_new(out, &tier__clv_kind, st, opts ? opts->allocator : NULL,
                            opts ? opts->output_prefix : NULL);
}

static const clv_state *fitted_state(const tier_scorer *s, const char *fn, int *rc)
{
    const clv_state *st = tier__scorer_state(s, &tier__clv_kind, fn);
    if (!st) {
        *rc = TIER_EINVAL;
        return NULL;
    }
    if (!st->fitted) {
        *rc = tier__error(TIER_ENOTFITTED, "%s: the clv scorer is not fitted", fn);
        return NULL;
    }
    *rc = TIER_OK;
    return st;
}

int tier_clv_params(double *params, tier_clv_model *model, const tier_scorer *clv)
{
    int rc;
    if (!params)
        return tier__error(TIER_EINVAL, "tier_clv_params: NULL params");
    const clv_state *st = fitted_state(clv, "tier_clv_params", &rc);
    if (!st)
        return rc;
    memcpy(params, st->counts.params, 4 * sizeof *params);
    if (model)
        *model = st->cfg.model;
    return TIER_OK;
}

int tier_clv_spend_params(double *params, const tier_scorer *clv)
{
    int rc;
    if (!params)
        return tier__error(TIER_EINVAL, "tier_clv_spend_params: NULL params");
    const clv_state *st = fitted_state(clv, "tier_clv_spend_params", &rc);
    if (!st)
        return rc;
    if (!st->cfg.cols[IN_SPEND])
        return tier__error(TIER_EINVAL, "tier_clv_spend_params: the scorer has no spend model (no spend_column)");
    memcpy(params, st->spend.params, 3 * sizeof *params);
    return TIER_OK;
}

int tier_clv_fit_info(double *loglik, unsigned int *n_iter, int *converged, size_t *n_customers,
                      unsigned int *n_agree, const tier_scorer *clv, tier_clv_part part)
{
    int rc;
    const clv_state *st = fitted_state(clv, "tier_clv_fit_info", &rc);
    if (!st)
        return rc;
    if ((unsigned)part > TIER_CLV_SPEND)
        return tier__error(TIER_EINVAL, "tier_clv_fit_info: unknown part %d", (int)part);
    if (part == TIER_CLV_SPEND && !st->cfg.cols[IN_SPEND])
        return tier__error(TIER_EINVAL, "tier_clv_fit_info: the scorer has no spend model (no spend_column)");
    const clv_fit *f = part == TIER_CLV_SPEND ? &st->spend : &st->counts;
    if (loglik)
        *loglik = f->loglik;
    if (n_iter)
        *n_iter = f->n_iter;
    if (converged)
        *converged = f->converged;
    if (n_customers)
        *n_customers = (size_t)f->n;
    if (n_agree)
        *n_agree = f->n_agree;
    return TIER_OK;
}

int tier_clv_fit_diagnostics(uint64_t *n_evals, unsigned int *limits, const tier_scorer *clv, tier_clv_part part)
{
    int rc;
    const clv_state *st = fitted_state(clv, "tier_clv_fit_diagnostics", &rc);
    if (!st)
        return rc;
    if ((unsigned)part > TIER_CLV_SPEND)
        return tier__error(TIER_EINVAL, "tier_clv_fit_diagnostics: unknown part %d", (int)part);
    if (part == TIER_CLV_SPEND && !st->cfg.cols[IN_SPEND])
        return tier__error(TIER_EINVAL, "tier_clv_fit_diagnostics: the scorer has no spend model (no spend_column)");
    const clv_fit *f = part == TIER_CLV_SPEND ? &st->spend : &st->counts;
    if (n_evals)
        *n_evals = f->n_evals;
    if (limits)
        *limits = f->limits;
    return TIER_OK;
}

/* ---- the models on plain arrays ------------------------------------------------------------- */

static int check_params(const double *p, unsigned dim, const char *fn)
{
    if (!p)
        return tier__error(TIER_EINVAL, "%s: NULL params", fn);
    for (unsigned j = 0; j < dim; j++)
        if (!isfinite(p[j]) || !(p[j] > 0.0))
            return tier__error(TIER_EINVAL, "%s: parameter %u is %g, not a finite number > 0", fn, j, p[j]);
    return TIER_OK;
}

static int check_arrays(const char *fn, tier_clv_model model, const double *params, void *out, size_t n,
                        const double *x, const double *tx, const double *T)
{
    if (!out || (n && (!x || !tx || !T)))
        return tier__error(TIER_EINVAL, "%s: NULL argument", fn);
    if ((unsigned)model > TIER_CLV_PARETO_NBD)
        return tier__error(TIER_EINVAL, "%s: unknown model %d", fn, (int)model);
    int rc = check_params(params, 4, fn);
    return rc ? rc : check_rows(NULL, n, x, tx, T);
}

static int failed_row(const char *fn, size_t i)
{
    return tier__error(TIER_ENOTCONVERGED, "%s: row %zu could not be computed to full precision", fn, i);
}

int tier_clv_loglik(double *out, tier_clv_model model, const double *params, size_t n, const double *x,
                    const double *t_x, const double *T)
{
    int rc = check_arrays("tier_clv_loglik", model, params, out, n, x, t_x, T);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) {
            out[i] = NAN;
            continue;
        }
        double tx = x[i] > 0.0 ? t_x[i] : 0.0;
        out[i] = model == TIER_CLV_BGNBD ? tier__bgnbd_ll(params, x[i], tx, T[i])
                                         : tier__pnbd_ll(params, x[i], tx, T[i]);
        if (isnan(out[i]))
            return failed_row("tier_clv_loglik", i);
    }
    return TIER_OK;
}

int tier_clv_predict(double *out, tier_clv_prediction what, tier_clv_model model, const double *params, size_t n,
                     const double *x, const double *t_x, const double *T, double horizon)
{
    int rc = check_arrays("tier_clv_predict", model, params, out, n, x, t_x, T);
    if (rc)
        return rc;
    if ((unsigned)what > TIER_CLV_P_NO_PURCHASE)
        return tier__error(TIER_EINVAL, "tier_clv_predict: unknown prediction %d", (int)what);
    if (!isfinite(horizon) || horizon < 0.0)
        return tier__error(TIER_EINVAL, "tier_clv_predict: horizon %g is not a finite number >= 0", horizon);
    unsigned which = 1u << (unsigned)what;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) {
            out[i] = NAN;
            continue;
        }
        double tx = x[i] > 0.0 ? t_x[i] : 0.0;
        tier__clv_pred p;
        if (model == TIER_CLV_BGNBD)
            tier__bgnbd_predict(&p, params, x[i], tx, T[i], horizon, which);
        else
            tier__pnbd_predict(&p, params, x[i], tx, T[i], horizon, which);
        out[i] = what == TIER_CLV_P_ALIVE ? p.p_alive : what == TIER_CLV_EXPECTED_PURCHASES ? p.expected : p.p_zero;
        if (isnan(out[i]))
            return failed_row("tier_clv_predict", i);
    }
    return TIER_OK;
}

int tier_clv_spend_loglik(double *out, const double *params, size_t n, const double *x, const double *m)
{
    if (!out || (n && (!x || !m)))
        return tier__error(TIER_EINVAL, "tier_clv_spend_loglik: NULL argument");
    int rc = check_params(params, 3, "tier_clv_spend_loglik");
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        out[i] = spend_usable(x[i], m[i]) ? tier__gg_ll(params, x[i], m[i]) : NAN;
    return TIER_OK;
}

int tier_clv_spend_expected(double *out, const double *params, size_t n, const double *x, const double *m)
{
    if (!out || (n && (!x || !m)))
        return tier__error(TIER_EINVAL, "tier_clv_spend_expected: NULL argument");
    int rc = check_params(params, 3, "tier_clv_spend_expected");
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        out[i] = tier__gg_expected(params, spend_usable(x[i], m[i]) ? x[i] : 0.0, m[i]);
    return TIER_OK;
}
