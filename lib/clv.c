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

#define CLV_STATE_VERSION 1
/* Distinct customers above which the starts run on a sample (then refined on all data). */
#define START_SAMPLE 20000
#define AGREE_TOL 1e-6
#define MAX_STARTS 64
#define DAYS_PER_YEAR 365.25

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
static int multistart(tier__clv_optres *best, unsigned *n_agree, tier__clv_objective fn, tier__clv_objctx *ctx,
                      const tier__clv_optim *o, const double *theta0, const clv_config *cfg)
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
    tier__clv_optim o = { 4, cfg->max_iter, cfg->tol, cfg->model == TIER_CLV_BGNBD };
    double theta0[4];
    heuristic_counts(theta0, c);
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
    unsigned agree = 0;
    if (!rc) {
        ctx.counts = starts_on;
        rc = multistart(&best, &agree, fn, &ctx, &o, theta0, cfg);
    }
    tier__clv_objctx_free(&ctx);
    unsigned iters = best.n_iter;
    if (!rc && starts_on != c) {
        rc = tier__clv_objctx_init(&full, c->alloc, c->n_runs, c->n, c->n_threads);
        if (!rc) {
            full.counts = c;
            double theta[4];
            memcpy(theta, best.theta, sizeof theta);
            rc = tier__clv_bfgs(&best, &o, fn, &full, theta);
            iters += best.n_iter;
        }
        tier__clv_objctx_free(&full);
    }
    tier__clv_counts_free(&sample);
    if (rc)
        return rc;
    for (int j = 0; j < 4; j++)
        out->params[j] = exp(best.theta[j]);
    out->loglik = -best.f * c->total;
    out->n_iter = iters;
    out->n_agree = agree;
    out->converged = best.converged;
    out->n = (uint64_t)c->total;
    return TIER_OK;
}

static int fit_spend(clv_fit *out, const tier__clv_spend *s, const clv_config *cfg)
{
    tier__clv_optim o = { 3, cfg->max_iter, cfg->tol, 1 };
    double theta0[3] = { log(2.0), log(3.0), log(s->mean_m) };
    tier__clv_objctx ctx;
    int rc = tier__clv_objctx_init(&ctx, s->alloc, s->n_runs, s->n, s->n_threads);
    if (rc)
        return rc;
    ctx.spend = s;
    tier__clv_optres best;
    unsigned agree = 0;
    rc = multistart(&best, &agree, tier__gg_objective, &ctx, &o, theta0, cfg);
    tier__clv_objctx_free(&ctx);
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    for (int j = 0; j < 3; j++)
        out->params[j] = exp(best.theta[j]);
    out->loglik = -best.f * (double)s->n;
    out->n_iter = best.n_iter;
    out->n_agree = agree;
    out->converged = best.converged;
    out->n = s->n;
    return TIER_OK;
}

static int not_converged(const char *what, const clv_fit *f, unsigned dim)
{
    char p[160];
    int len = 0;
    for (unsigned j = 0; j < dim; j++)
        len += snprintf(p + len, sizeof p - (size_t)len, "%s%.6g", j ? ", " : "", f->params[j]);
    return tier__error(TIER_ENOTCONVERGED,
                       "clv: the %s fit did not converge (log-likelihood %.6f at parameters (%s) after "
                       "%u iterations); the data may not identify the model (a parameter running to 0 or "
                       "infinity), or set accept_unconverged",
                       what, f->loglik, p, f->n_iter);
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
        rc = not_converged(model_names[cfg->model], &counts, 4);
    if (!rc && col[IN_SPEND]) {
        tier__clv_spend s;
        rc = tier__clv_spend_build(&s, &st->alloc, n, col[IN_X], col[IN_SPEND], threads);
        if (!rc) {
            rc = fit_spend(&spend, &s, cfg);
            tier__clv_spend_free(&s);
        }
        if (!rc && !spend.converged && !cfg->accept_unconverged)
            rc = not_converged("Gamma-Gamma", &spend, 3);
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

static int load_fit(clv_fit *f, tier__rbuf *r, unsigned dim, const char *path)
{
    tier__rbuf_f64s(r, f->params, TIER__CLV_MAX_PARAMS);
    f->loglik = tier__rbuf_f64(r);
    f->n_iter = tier__rbuf_u32(r);
    f->n_agree = tier__rbuf_u32(r);
    f->converged = tier__rbuf_u8(r);
    f->n = tier__rbuf_u64(r);
    if (r->failed)
        return corrupt(path, "truncated fit");
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
    (void)version; /* only version 1 exists */
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
            rc = load_fit(&st->counts, r, 4, path);
            if (!rc && st->cfg.cols[IN_SPEND])
                rc = load_fit(&st->spend, r, 3, path);
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
