/* The k-means scoring strategy (include/tier/kmeans.h): options, data preparation and
 * transforms, fit orchestration (n_init runs), renumbering, per-cluster statistics, apply, getters
 * and the saved state. The iteration itself lives in kmeans_lloyd.c / kmeans_hamerly.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal/dataset.h"
#include "internal/error.h"
#include "internal/kmeans.h"
#include "internal/pool.h"
#include "internal/scorer.h"

#define KM_STATE_VERSION 1
#define TILE TIER__KM_TILE

static const char *const default_features[3] = { "recency", "frequency", "monetary" };
static const char *const output_names[2] = { "cluster", "cluster_distance" };

/* ---- options -------------------------------------------------------------------------------- */

int tier_kmeans_options_init(tier_kmeans_options *opts, unsigned int version)
{
    if (!opts)
        return tier__error(TIER_EINVAL, "tier_kmeans_options_init: NULL options");
    if (version < 1 || version > TIER_KMEANS_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_kmeans_options version %u is not 1..%d", version,
                           TIER_KMEANS_OPTIONS_VERSION);
    tier_kmeans_options def = TIER_KMEANS_OPTIONS_INIT;
    *opts = def;
    opts->version = version;
    return TIER_OK;
}

static int is_log(tier_kmeans_transform t)
{
    return t == TIER_KMEANS_LOG1P || t == TIER_KMEANS_LOG1P_ZSCORE || t == TIER_KMEANS_LOG1P_MINMAX;
}

static const char *transform_name(tier_kmeans_transform t)
{
    static const char *const names[] = { "raw", "log1p", "zscore", "minmax", "log1p+zscore",
                                         "log1p+minmax" };
    return (unsigned)t <= TIER_KMEANS_LOG1P_MINMAX ? names[t] : "?";
}

void tier__km_config_free(tier__km_config *cfg, const tier__alloc *a)
{
    for (size_t j = 0; j < cfg->d; j++)
        tier__free(a, cfg->features[j]);
    tier__free(a, cfg->weights);
    tier__free(a, cfg->order_by);
    tier__free(a, cfg->init_centers);
    memset(cfg, 0, sizeof *cfg);
}

/* Checks the enum fields and numbers of the options. */
static int check_scalars(const tier_kmeans_options *o)
{
    if (o->k == 0)
        return tier__error(TIER_EINVAL, "kmeans: k must be at least 1");
    if ((unsigned)o->init > TIER_KMEANS_INIT_GIVEN)
        return tier__error(TIER_EINVAL, "kmeans: unknown init %d", (int)o->init);
    if ((unsigned)o->init_units > TIER_KMEANS_TRANSFORMED)
        return tier__error(TIER_EINVAL, "kmeans: unknown init_units %d", (int)o->init_units);
    if ((unsigned)o->algorithm > TIER_KMEANS_HAMERLY)
        return tier__error(TIER_EINVAL, "kmeans: unknown algorithm %d", (int)o->algorithm);
    if ((unsigned)o->nan_policy > TIER_KMEANS_NAN_SKIP)
        return tier__error(TIER_EINVAL, "kmeans: unknown NaN policy %d", (int)o->nan_policy);
    if (o->max_iter == 0)
        return tier__error(TIER_EINVAL, "kmeans: max_iter must be at least 1");
    if (!isfinite(o->tol) || o->tol < 0.0)
        return tier__error(TIER_EINVAL, "kmeans: tol must be finite and >= 0, got %g", o->tol);
    if (o->weights && !*o->weights)
        return tier__error(TIER_EINVAL, "kmeans: the weight column name is empty");
    if (o->order_by && !*o->order_by)
        return tier__error(TIER_EINVAL, "kmeans: the order_by column name is empty");
    return TIER_OK;
}

/* Copies the feature names and transforms. */
static int copy_features(tier__km_config *cfg, const tier__alloc *a, const tier_kmeans_options *o)
{
    size_t d = o->n_features ? o->n_features : 3;
    const char *const *names = o->n_features ? o->features : default_features;
    if (d > TIER_KMEANS_MAX_FEATURES)
        return tier__error(TIER_EINVAL, "kmeans: %zu features; at most %d are supported", d,
                           TIER_KMEANS_MAX_FEATURES);
    if (!names)
        return tier__error(TIER_EINVAL, "kmeans: n_features is %zu but features is NULL", d);
    for (size_t j = 0; j < d; j++) {
        if (!names[j] || !*names[j])
            return tier__error(TIER_EINVAL, "kmeans: feature %zu has no name", j);
        for (size_t i = 0; i < j; i++)
            if (strcmp(names[i], names[j]) == 0)
                return tier__error(TIER_EINVAL, "kmeans: feature '%s' is listed twice", names[j]);
        tier_kmeans_transform t = o->transforms ? o->transforms[j] : TIER_KMEANS_ZSCORE;
        if ((unsigned)t > TIER_KMEANS_LOG1P_MINMAX)
            return tier__error(TIER_EINVAL, "kmeans: feature '%s' has unknown transform %d", names[j],
                               (int)t);
        cfg->transforms[j] = t;
    }
    for (size_t j = 0; j < d; j++) {
        if (!(cfg->features[j] = tier__strdup(a, names[j])))
            return tier__oom();
        cfg->d = j + 1;
    }
    return TIER_OK;
}

static int copy_init_centers(tier__km_config *cfg, const tier__alloc *a, const tier_kmeans_options *o)
{
    if (o->init != TIER_KMEANS_INIT_GIVEN)
        return TIER_OK;
    if (!o->init_centers)
        return tier__error(TIER_EINVAL, "kmeans: init is TIER_KMEANS_INIT_GIVEN but init_centers is NULL");
    size_t n;
    if (tier__mul_size(&n, o->k, cfg->d) || !(cfg->init_centers = tier__malloc(a, n * sizeof(double))))
        return tier__oom();
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(o->init_centers[i]))
            return tier__error(TIER_EINVAL, "kmeans: initial center %zu, feature '%s' is not finite",
                               i / cfg->d, cfg->features[i % cfg->d]);
        cfg->init_centers[i] = o->init_centers[i];
    }
    return TIER_OK;
}

int tier__km_config_init(tier__km_config *cfg, const tier__alloc *a, const tier_kmeans_options *opts)
{
    memset(cfg, 0, sizeof *cfg);
    tier_kmeans_options def = TIER_KMEANS_OPTIONS_INIT;
    const tier_kmeans_options *o = opts ? opts : &def;
    if (o->version < 1 || o->version > TIER_KMEANS_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_kmeans_options version %u is not 1..%d", o->version,
                           TIER_KMEANS_OPTIONS_VERSION);
    int rc = check_scalars(o);
    if (!rc)
        rc = copy_features(cfg, a, o);
    if (!rc)
        rc = copy_init_centers(cfg, a, o);
    if (!rc && o->weights && !(cfg->weights = tier__strdup(a, o->weights)))
        rc = tier__oom();
    if (!rc && o->order_by && !(cfg->order_by = tier__strdup(a, o->order_by)))
        rc = tier__oom();
    if (rc) {
        tier__km_config_free(cfg, a);
        return rc;
    }
    cfg->order_ascending = o->order_ascending != 0;
    cfg->k = o->k;
    cfg->init = o->init;
    cfg->init_units = o->init_units;
    cfg->seed = o->seed;
    cfg->n_init = o->init == TIER_KMEANS_INIT_GIVEN ? 1
                  : o->n_init                       ? o->n_init
                  : o->init == TIER_KMEANS_INIT_RANDOM ? 10 : 1;
    cfg->algorithm = o->algorithm;
    cfg->max_iter = o->max_iter;
    cfg->tol = o->tol;
    cfg->n_threads = o->n_threads;
    cfg->nan_policy = o->nan_policy;
    return TIER_OK;
}

/* ---- the state ------------------------------------------------------------------------------ */

/* A fitted model; every array in cluster (output) order. */
typedef struct km_model {
    double *shift, *scale;   /* d */
    double *centers;         /* k x d, transformed units */
    double *centers_orig;    /* k x d, original units */
    double inertia;
    unsigned n_iter;
    int converged;
    uint64_t n_fit;          /* customers the model was fitted on */
    uint64_t *sizes;         /* k */
    double *weights;         /* k */
    double *means;           /* k x d, original units */
    double *order_values;    /* k, or NULL without order_by */
} km_model;

typedef struct km_state {
    tier__alloc alloc;
    tier__km_config cfg;
    int fitted;
    km_model m;
} km_state;

static void model_free(km_model *m, const tier__alloc *a)
{
    tier__free(a, m->shift);
    tier__free(a, m->scale);
    tier__free(a, m->centers);
    tier__free(a, m->centers_orig);
    tier__free(a, m->sizes);
    tier__free(a, m->weights);
    tier__free(a, m->means);
    tier__free(a, m->order_values);
    memset(m, 0, sizeof *m);
}

static int model_alloc(km_model *m, const tier__alloc *a, size_t k, size_t d, int with_order)
{
    memset(m, 0, sizeof *m);
    m->shift = tier__malloc(a, d * sizeof *m->shift);
    m->scale = tier__malloc(a, d * sizeof *m->scale);
    m->centers = tier__malloc(a, k * d * sizeof *m->centers);
    m->centers_orig = tier__malloc(a, k * d * sizeof *m->centers_orig);
    m->sizes = tier__calloc(a, k, sizeof *m->sizes);
    m->weights = tier__calloc(a, k, sizeof *m->weights);
    m->means = tier__malloc(a, k * d * sizeof *m->means);
    m->order_values = with_order ? tier__malloc(a, k * sizeof *m->order_values) : NULL;
    if (!m->shift || !m->scale || !m->centers || !m->centers_orig || !m->sizes || !m->weights ||
        !m->means || (with_order && !m->order_values)) {
        model_free(m, a);
        return tier__oom();
    }
    return TIER_OK;
}

static void state_free(void *state, const tier__alloc *a)
{
    km_state *st = state;
    model_free(&st->m, a);
    tier__km_config_free(&st->cfg, a);
    tier__free(a, st);
}

static void km_columns(const void *state, tier__scorer_columns *cols)
{
    const km_state *st = state;
    cols->n_inputs = st->cfg.d;
    cols->inputs = (const char *const *)st->cfg.features;
    cols->n_outputs = 2;
    cols->outputs = output_names;
    cols->output_types = NULL;
}

static int km_is_fitted(const void *state) { return ((const km_state *)state)->fitted; }

/* ---- preparing the data --------------------------------------------------------------------- */

static inline double transform_value(double x, int log, double shift, double scale)
{
    double v = log ? log1p(x) : x;
    return (v - shift) / scale;
}

/* Names the customer of dataset row `row` whose feature j holds `x` in an error message. */
static int bad_value(const tier_dataset *ds, const tier__km_config *cfg, size_t row, size_t j, double x,
                     const char *when)
{
    const char *id = tier_dataset_customer_id(ds, row);
    char val[64];
    if (isnan(x))
        snprintf(val, sizeof val, "NaN");
    else if (isinf(x))
        snprintf(val, sizeof val, "%s", x > 0 ? "+inf" : "-inf");
    else
        snprintf(val, sizeof val, "%.17g", x);
    const char *hint = "";
    if (isnan(x))
        hint = " (customers without purchases have no recency: filter them or use "
               "TIER_KMEANS_NAN_SKIP)";
    else if (isfinite(x) && is_log(cfg->transforms[j]) && !(x > -1.0))
        hint = " (log1p needs values > -1)";
    else if (isfinite(x))
        hint = " (not finite after the transform)";
    return tier__error(TIER_ERANGE, "kmeans%s: feature '%s' is %s for customer '%s' (row %zu)%s", when,
                       cfg->features[j], val, id ? id : "?", row, hint);
}

/* ---- column statistics in one pass ---------------------------------------------------------
 *
 * Per block, in cache: the sum, min and max with 8 interleaved partial sums (element i of the
 * block feeds lane i % 8, so the additions do not wait on one another), then the squared
 * deviations from the block mean. Blocks are merged in block order with Chan's formula. A fixed
 * order, so the results never depend on the thread count. `z` = sum of x * 0 is NaN exactly when
 * some value is NaN or infinite. */

typedef struct col_stats {
    double n, mean, m2, lo, hi, z;
} col_stats;

static void block_stats(col_stats *st, const double *x, size_t n)
{
    double s[8] = { 0 }, z[8] = { 0 }, lo[8], hi[8], m2[8] = { 0 };
    for (size_t l = 0; l < 8; l++)
        lo[l] = hi[l] = x[0];
    size_t i = n & ~(size_t)7;
    tier__km_lane_stats(s, z, lo, hi, x, i); /* vectorised, the same operations lane by lane */
    for (size_t l = 0; i + l < n; l++) {
        double v = x[i + l];
        s[l] += v;
        z[l] += v * 0.0;
        lo[l] = v < lo[l] ? v : lo[l];
        hi[l] = v > hi[l] ? v : hi[l];
    }
    double sum = 0.0;
    st->z = 0.0;
    st->lo = lo[0];
    st->hi = hi[0];
    for (size_t l = 0; l < 8; l++) {
        sum += s[l];
        st->z += z[l];
        st->lo = lo[l] < st->lo ? lo[l] : st->lo;
        st->hi = hi[l] > st->hi ? hi[l] : st->hi;
    }
    st->n = (double)n;
    st->mean = sum / (double)n;
    const double m = st->mean;
    i = n & ~(size_t)7;
    tier__km_lane_m2(m2, x, i, m);
    for (size_t l = 0; i + l < n; l++) {
        double t = x[i + l] - m;
        m2[l] += t * t;
    }
    st->m2 = 0.0;
    for (size_t l = 0; l < 8; l++)
        st->m2 += m2[l];
}

/* Merges block statistics into `acc` (Chan, Golub and LeVeque). */
static void merge_stats(col_stats *acc, const col_stats *b)
{
    if (acc->n == 0.0) {
        *acc = *b;
        return;
    }
    double n = acc->n + b->n, delta = b->mean - acc->mean;
    acc->mean += delta * (b->n / n);
    acc->m2 += b->m2 + delta * delta * (acc->n * b->n / n);
    acc->n = n;
    acc->lo = b->lo < acc->lo ? b->lo : acc->lo;
    acc->hi = b->hi > acc->hi ? b->hi : acc->hi;
    acc->z += b->z;
}

typedef struct stats_pass {
    const double *const *col;
    size_t d, n;
    col_stats *part; /* blocks x d */
} stats_pass;

static int stats_pass_block(void *ctx, size_t b)
{
    stats_pass *c = ctx;
    size_t r0 = b * TIER__KM_BLOCK, r1 = r0 + TIER__KM_BLOCK < c->n ? r0 + TIER__KM_BLOCK : c->n;
    for (size_t j = 0; j < c->d; j++)
        block_stats(&c->part[b * c->d + j], c->col[j] + r0, r1 - r0);
    return 0;
}

/* Per-block statistics of d columns of n rows (n >= 1); *part (blocks x d) is owned by the
 * caller. */
static int column_blocks(col_stats **part, const double *const *col, size_t d, size_t n, unsigned threads,
                         const tier__alloc *a)
{
    size_t blocks = tier__km_blocks(n);
    stats_pass c = { col, d, n, tier__malloc(a, blocks * d * sizeof(col_stats)) };
    if (!c.part)
        return tier__oom();
    tier__parallel_for(threads, blocks, stats_pass_block, &c);
    *part = c.part;
    return TIER_OK;
}

static void merge_blocks(col_stats *out, const col_stats *part, size_t d, size_t n)
{
    for (size_t j = 0; j < d; j++) {
        memset(&out[j], 0, sizeof out[j]);
        for (size_t b = 0, blocks = tier__km_blocks(n); b < blocks; b++)
            merge_stats(&out[j], &part[b * d + j]);
    }
}

/* Merged statistics of d columns. */
static int column_stats(col_stats *out, const double *const *col, size_t d, size_t n, unsigned threads,
                        const tier__alloc *a)
{
    col_stats *part;
    int rc = column_blocks(&part, col, d, n, threads, a);
    if (rc)
        return rc;
    merge_blocks(out, part, d, n);
    tier__free(a, part);
    return TIER_OK;
}

/* ---- validating rows ------------------------------------------------------------------------ */

static inline int value_ok(double x, int log) { return isfinite(x) && (!log || x > -1.0); }

/* Whether block statistics show a value that is not finite or outside log1p's domain. */
static int block_suspect(const col_stats *st, int log) { return !(st->z == 0.0) || (log && !(st->lo > -1.0)); }

/* The rows of a block, one by one: the first bad row (and its feature), the valid rows. */
typedef struct scan_ctx {
    const tier__km_config *cfg;
    const double *const *raw;
    size_t n;
    const unsigned char *suspect; /* per block: 1 if it must be scanned */
    size_t *bad_row;              /* per block: first bad row (n if none) */
    size_t *bad_col;
    size_t *valid;                /* per block: rows without a bad value */
    size_t *rows;                 /* when non-NULL: the valid rows, block b from offset[b] */
    const size_t *offset;
} scan_ctx;

static int scan_block(void *ctx, size_t b)
{
    scan_ctx *c = ctx;
    size_t r0 = b * TIER__KM_BLOCK, r1 = r0 + TIER__KM_BLOCK < c->n ? r0 + TIER__KM_BLOCK : c->n;
    size_t out = c->offset ? c->offset[b] : 0;
    c->bad_row[b] = c->n;
    if (!c->suspect[b]) {
        c->valid[b] = r1 - r0;
        for (size_t i = r0; c->rows && i < r1; i++)
            c->rows[out++] = i;
        return 0;
    }
    size_t valid = 0;
    for (size_t i = r0; i < r1; i++) {
        int ok = 1;
        for (size_t j = 0; j < c->cfg->d && ok; j++)
            if (!value_ok(c->raw[j][i], is_log(c->cfg->transforms[j]))) {
                ok = 0;
                if (c->bad_row[b] == c->n) {
                    c->bad_row[b] = i;
                    c->bad_col[b] = j;
                }
            }
        if (ok && c->rows)
            c->rows[out++] = i;
        valid += (size_t)ok;
    }
    c->valid[b] = valid;
    return 0;
}

/* Checks every feature value. Returns the per-block statistics of the raw columns in *raw_part
 * (owned by the caller) and, under TIER_KMEANS_NAN_SKIP when rows are skipped, builds p->rows.
 * The statistics are one pass over the data and describe the raw columns only when no row is
 * skipped. */
static int check_rows(col_stats **raw_part, tier__km_prep *p, const tier__km_config *cfg,
                      const tier_dataset *ds)
{
    size_t n = p->n_rows, d = cfg->d, blocks = tier__km_blocks(n);
    unsigned threads = p->X.n_threads;
    const tier__alloc *a = p->alloc;
    *raw_part = NULL;
    if (n == 0)
        return tier__error(TIER_EEMPTY, "kmeans: the dataset has no customers");
    int rc = column_blocks(raw_part, p->raw, d, n, threads, a);
    if (rc)
        return rc;
    unsigned char *suspect = tier__calloc(a, blocks, 1);
    if (!suspect)
        return tier__oom();
    int any = 0;
    for (size_t b = 0; b < blocks; b++)
        for (size_t j = 0; j < d; j++)
            if (block_suspect(&(*raw_part)[b * d + j], is_log(cfg->transforms[j])))
                suspect[b] = 1, any = 1;
    if (!any) {
        tier__free(a, suspect);
        p->X.n = n;
        return TIER_OK;
    }
    scan_ctx c = { cfg, p->raw, n, suspect, NULL, NULL, NULL, NULL, NULL };
    c.bad_row = tier__malloc(a, blocks * sizeof *c.bad_row);
    c.bad_col = tier__malloc(a, blocks * sizeof *c.bad_col);
    c.valid = tier__malloc(a, blocks * sizeof *c.valid);
    size_t *offset = tier__malloc(a, blocks * sizeof *offset);
    rc = (!c.bad_row || !c.bad_col || !c.valid || !offset) ? tier__oom() : TIER_OK;
    if (!rc)
        tier__parallel_for(threads, blocks, scan_block, &c);
    size_t total = 0;
    for (size_t b = 0; !rc && b < blocks; b++) {
        if (c.bad_row[b] < n && cfg->nan_policy == TIER_KMEANS_NAN_ERROR) {
            size_t row = c.bad_row[b], j = c.bad_col[b];
            rc = bad_value(ds, cfg, row, j, p->raw[j][row], "");
        }
        offset[b] = total;
        total += c.valid[b];
    }
    if (!rc && total == 0)
        rc = tier__error(TIER_EEMPTY, "kmeans: none of the %zu customers has usable features", n);
    if (!rc && total < n) {
        if (!(p->rows = tier__malloc(a, total * sizeof *p->rows)))
            rc = tier__oom();
        else {
            c.rows = p->rows;
            c.offset = offset;
            tier__parallel_for(threads, blocks, scan_block, &c);
        }
    }
    p->X.n = total;
    tier__free(a, suspect);
    tier__free(a, c.bad_row);
    tier__free(a, c.bad_col);
    tier__free(a, c.valid);
    tier__free(a, offset);
    return rc;
}

/* Borrows (and, when rows are skipped, compacts) the weight column and checks it. */
static int read_weights(tier__km_prep *p, const tier__km_config *cfg, const tier_dataset *ds)
{
    if (!cfg->weights)
        return TIER_OK;
    const double *w;
    int rc = tier_dataset_numeric(&w, ds, cfg->weights);
    if (rc) {
        tier__error_prefix("kmeans: weights");
        return rc;
    }
    for (size_t i = 0; i < p->n_rows; i++)
        if (!(isfinite(w[i]) && w[i] >= 0.0)) {
            const char *id = tier_dataset_customer_id(ds, i);
            return tier__error(TIER_ERANGE,
                               "kmeans: weight '%s' is %g for customer '%s' (row %zu); weights must be "
                               "finite and >= 0",
                               cfg->weights, w[i], id ? id : "?", i);
        }
    if (p->rows) {
        if (!(p->wbuf = tier__malloc(p->alloc, p->X.n * sizeof *p->wbuf)))
            return tier__oom();
        for (size_t i = 0; i < p->X.n; i++)
            p->wbuf[i] = w[p->rows[i]];
        w = p->wbuf;
    }
    double total = 0.0;
    for (size_t i = 0; i < p->X.n; i++)
        total += w[i];
    if (!(total > 0.0))
        return tier__error(TIER_ERANGE, "kmeans: the weights '%s' of the fitted customers sum to 0",
                           cfg->weights);
    p->X.w = w;
    return TIER_OK;
}

/* Filling and scaling the owned transformed columns, per block. */
typedef struct fill_ctx {
    const tier__km_prep *p;
    const tier__km_config *cfg;
    double *const *dst;  /* d columns (NULL: borrowed, nothing to do) */
    int scale_pass;      /* 0: copy (log1p) the raw values, 1: (v - shift) / scale in place */
    size_t *bad;         /* per block: first X row that overflowed (n if none); scale pass */
    size_t *bad_col;
} fill_ctx;

static int fill_block(void *ctx, size_t b)
{
    fill_ctx *c = ctx;
    const tier__km_prep *p = c->p;
    size_t n = p->X.n, r0 = b * TIER__KM_BLOCK, r1 = r0 + TIER__KM_BLOCK < n ? r0 + TIER__KM_BLOCK : n;
    if (c->scale_pass)
        c->bad[b] = n;
    for (size_t j = 0; j < c->cfg->d; j++) {
        double *x = c->dst[j];
        if (!x)
            continue;
        if (!c->scale_pass) {
            const double *raw = p->raw[j];
            int log = is_log(c->cfg->transforms[j]);
            for (size_t i = r0; i < r1; i++) {
                double v = raw[p->rows ? p->rows[i] : i];
                x[i] = log ? log1p(v) : v;
            }
            continue;
        }
        double shift = p->shift[j], scale = p->scale[j];
        for (size_t i = r0; i < r1; i++) {
            x[i] = (x[i] - shift) / scale;
            if (!isfinite(x[i]) && i < c->bad[b]) {
                c->bad[b] = i;
                c->bad_col[b] = j;
            }
        }
    }
    return 0;
}

static int needs_stats(tier_kmeans_transform t) { return t != TIER_KMEANS_RAW && t != TIER_KMEANS_LOG1P; }

/* Fits shift and scale of each transform on the statistics of the (log1p'd) values. */
static void fit_transform(tier__km_prep *p, const tier__km_config *cfg, const col_stats *st)
{
    for (size_t j = 0; j < cfg->d; j++) {
        tier_kmeans_transform t = cfg->transforms[j];
        double var = st[j].m2 / st[j].n;
        p->shift[j] = 0.0;
        p->scale[j] = 1.0;
        if (t == TIER_KMEANS_ZSCORE || t == TIER_KMEANS_LOG1P_ZSCORE) {
            p->shift[j] = st[j].mean;
            /* A constant feature keeps scale 1 (min == max is exact; the variance may not be 0). */
            p->scale[j] = st[j].lo < st[j].hi && var > 0.0 ? sqrt(var) : 1.0;
        } else if (t == TIER_KMEANS_MINMAX || t == TIER_KMEANS_LOG1P_MINMAX) {
            p->shift[j] = st[j].lo;
            p->scale[j] = st[j].hi - st[j].lo > 0.0 ? st[j].hi - st[j].lo : 1.0;
        }
    }
}

/* Builds X — borrowed raw columns where possible, else owned (log1p'd, compacted, scaled)
 * copies — and leaves the statistics of X's columns in xs. `raw` holds the raw columns'
 * statistics when no row was skipped (else NULL). */
static int transform_columns(col_stats *xs, tier__km_prep *p, const tier__km_config *cfg,
                             const tier_dataset *ds, const col_stats *raw)
{
    size_t n = p->X.n, d = cfg->d, blocks = tier__km_blocks(n), owned = 0;
    double *dst[TIER_KMEANS_MAX_FEATURES];
    for (size_t j = 0; j < d; j++) {
        p->shift[j] = 0.0;
        p->scale[j] = 1.0;
        owned += p->rows || cfg->transforms[j] != TIER_KMEANS_RAW;
    }
    if (!owned) { /* the common case: raw features, every row — nothing to copy or compute */
        for (size_t j = 0; j < d; j++)
            p->X.x[j] = p->raw[j];
        memcpy(xs, raw, d * sizeof *xs);
        return TIER_OK;
    }
    if (!(p->buf = tier__malloc(p->alloc, owned * n * sizeof *p->buf)))
        return tier__oom();
    for (size_t j = 0, o = 0; j < d; j++) {
        int own = p->rows || cfg->transforms[j] != TIER_KMEANS_RAW;
        dst[j] = own ? p->buf + (o++) * n : NULL;
        p->X.x[j] = own ? dst[j] : p->raw[j];
    }
    fill_ctx c = { p, cfg, dst, 0, NULL, NULL };
    tier__parallel_for(p->X.n_threads, blocks, fill_block, &c);
    int rc = column_stats(xs, p->X.x, d, n, p->X.n_threads, p->alloc);
    if (rc)
        return rc;
    fit_transform(p, cfg, xs);
    int scaling = 0;
    for (size_t j = 0; j < d; j++) {
        if (!needs_stats(cfg->transforms[j]))
            dst[j] = NULL; /* shift 0, scale 1: (v - 0) / 1 == v, nothing to do */
        scaling |= dst[j] != NULL;
    }
    if (!scaling)
        return TIER_OK;
    c.scale_pass = 1;
    c.bad = tier__malloc(p->alloc, blocks * sizeof *c.bad);
    c.bad_col = tier__malloc(p->alloc, blocks * sizeof *c.bad_col);
    if (!c.bad || !c.bad_col)
        rc = tier__oom();
    else
        tier__parallel_for(p->X.n_threads, blocks, fill_block, &c);
    for (size_t b = 0; !rc && b < blocks; b++)
        if (c.bad[b] < n) {
            size_t row = p->rows ? p->rows[c.bad[b]] : c.bad[b], j = c.bad_col[b];
            rc = bad_value(ds, cfg, row, j, p->raw[j][row], "");
        }
    tier__free(p->alloc, c.bad);
    tier__free(p->alloc, c.bad_col);
    if (!rc)
        rc = column_stats(xs, p->X.x, d, n, p->X.n_threads, p->alloc);
    return rc;
}

void tier__km_prep_free(tier__km_prep *p)
{
    if (!p->alloc)
        return;
    tier__free(p->alloc, p->rows);
    tier__free(p->alloc, p->shift);
    tier__free(p->alloc, p->scale);
    tier__free(p->alloc, p->buf);
    tier__free(p->alloc, p->wbuf);
    memset(p, 0, sizeof *p);
}

static unsigned resolve_threads(const tier__km_config *cfg, const tier_dataset *ds, size_t n)
{
    unsigned want = cfg->n_threads ? cfg->n_threads : tier__dataset_threads(ds);
    return tier__threads(want, tier__km_blocks(n));
}

int tier__km_prepare(tier__km_prep *p, const tier__km_config *cfg, const tier_dataset *ds,
                     const tier__alloc *a)
{
    memset(p, 0, sizeof *p);
    p->alloc = a;
    p->X.alloc = a;
    p->X.d = cfg->d;
    p->n_rows = tier_dataset_size(ds);
    p->X.n_threads = resolve_threads(cfg, ds, p->n_rows);
    for (size_t j = 0; j < cfg->d; j++) {
        int rc = tier_dataset_numeric(&p->raw[j], ds, cfg->features[j]);
        if (rc) {
            tier__error_prefix("kmeans");
            return rc;
        }
    }
    p->shift = tier__malloc(a, cfg->d * sizeof *p->shift);
    p->scale = tier__malloc(a, cfg->d * sizeof *p->scale);
    int rc = (!p->shift || !p->scale) ? tier__oom() : TIER_OK;
    col_stats *raw_part = NULL, raw[TIER_KMEANS_MAX_FEATURES], xs[TIER_KMEANS_MAX_FEATURES];
    if (!rc)
        rc = check_rows(&raw_part, p, cfg, ds);
    if (!rc)
        rc = read_weights(p, cfg, ds);
    if (!rc && !p->rows)
        merge_blocks(raw, raw_part, cfg->d, p->X.n);
    tier__free(a, raw_part);
    if (!rc)
        rc = transform_columns(xs, p, cfg, ds, p->rows ? NULL : raw);
    if (rc) {
        tier__km_prep_free(p);
        return rc;
    }
    double var_sum = 0.0;
    for (size_t j = 0; j < cfg->d; j++) {
        var_sum += xs[j].m2 / xs[j].n;
        p->X.absmax[j] = fabs(xs[j].lo) > fabs(xs[j].hi) ? fabs(xs[j].lo) : fabs(xs[j].hi);
    }
    /* scikit-learn's _tolerance: tol x mean of the per-feature (population) variances; 0 stays 0. */
    p->tol_abs = cfg->tol == 0.0 ? 0.0 : var_sum / (double)cfg->d * cfg->tol;
    return TIER_OK;
}

/* ---- the runs ------------------------------------------------------------------------------- */

/* Given centers in transformed units. */
static int given_centers(double *centers, const tier__km_prep *p, const tier__km_config *cfg)
{
    size_t d = cfg->d;
    for (size_t c = 0; c < cfg->k; c++)
        for (size_t j = 0; j < d; j++) {
            double v = cfg->init_centers[c * d + j];
            if (cfg->init_units == TIER_KMEANS_ORIGINAL)
                v = transform_value(v, is_log(cfg->transforms[j]), p->shift[j], p->scale[j]);
            if (!isfinite(v))
                return tier__error(TIER_ERANGE,
                                   "kmeans: initial center %zu, feature '%s' = %g is outside the "
                                   "domain of its %s transform",
                                   c, cfg->features[j], cfg->init_centers[c * d + j],
                                   transform_name(cfg->transforms[j]));
            centers[c * d + j] = v;
        }
    return TIER_OK;
}

/* Hamerly's bookkeeping (bounds read and written per row, scattered recomputations) costs about
 * as much per row as Lloyd's vectorised distances to ~32 centers (bench/README.md, measured with
 * 3 to 8 features): beyond that its skipped distances pay. */
static int use_hamerly(tier_kmeans_algorithm alg, unsigned k)
{
    if (alg == TIER_KMEANS_AUTO)
        return k >= 32;
    return alg == TIER_KMEANS_HAMERLY;
}

int tier__km_fit_runs(tier__km_result *res, double *centers, int32_t *labels, const tier__km_prep *p,
                      const tier__km_config *cfg, unsigned k)
{
    const tier__km_data *X = &p->X;
    if (k > X->n)
        return tier__error(TIER_EINVAL, "kmeans: k = %u is more than the %zu customers to fit", k, X->n);
    tier__km_params prm = { k, cfg->max_iter, p->tol_abs, use_hamerly(cfg->algorithm, k) };
    size_t kd = (size_t)k * X->d;
    double *c = tier__malloc(X->alloc, kd * sizeof *c);
    int32_t *l = cfg->n_init > 1 ? tier__malloc(X->alloc, X->n * sizeof *l) : labels;
    if (!c || !l) {
        tier__free(X->alloc, c);
        if (l != labels)
            tier__free(X->alloc, l);
        return tier__oom();
    }
    int rc = TIER_OK;
    for (unsigned r = 0; r < cfg->n_init && !rc; r++) {
        if (cfg->init == TIER_KMEANS_INIT_GIVEN)
            rc = given_centers(c, p, cfg);
        else if (cfg->init == TIER_KMEANS_INIT_RANDOM)
            rc = tier__km_init_random(c, X, k, cfg->seed, r);
        else
            rc = tier__km_init_plusplus(c, X, k, cfg->seed, r);
        tier__km_result rr;
        if (!rc)
            rc = tier__km_run(&rr, X, &prm, c, l);
        if (!rc && (r == 0 || rr.inertia < res->inertia)) {
            *res = rr;
            memcpy(centers, c, kd * sizeof *c);
            if (l != labels)
                memcpy(labels, l, X->n * sizeof *l);
        }
    }
    tier__free(X->alloc, c);
    if (l != labels)
        tier__free(X->alloc, l);
    return rc;
}

/* ---- per-cluster statistics and renumbering ------------------------------------------------- */

typedef struct stats_ctx {
    const tier__km_prep *p;
    const int32_t *labels;
    const double *order;  /* order_by column of the dataset, or NULL */
    size_t k, stride;     /* per block: k counts, k weights, k*d sums, k order sums, k order counts */
    double *part;
} stats_ctx;

static int stats_block(void *ctx, size_t b)
{
    stats_ctx *c = ctx;
    const tier__km_prep *p = c->p;
    size_t n = p->X.n, d = p->X.d, k = c->k;
    size_t r0 = b * TIER__KM_BLOCK, r1 = r0 + TIER__KM_BLOCK < n ? r0 + TIER__KM_BLOCK : n;
    double *cnt = c->part + b * c->stride, *wt = cnt + k, *sum = wt + k, *osum = sum + k * d,
           *ocnt = osum + k;
    memset(cnt, 0, c->stride * sizeof *cnt);
    for (size_t i = r0; i < r1; i++) {
        size_t l = (size_t)c->labels[i], row = p->rows ? p->rows[i] : i;
        cnt[l] += 1.0;
        wt[l] += p->X.w ? p->X.w[i] : 1.0;
        for (size_t j = 0; j < d; j++)
            sum[l * d + j] += p->raw[j][row];
        if (c->order && !isnan(c->order[row])) {
            osum[l] += c->order[row];
            ocnt[l] += 1.0;
        }
    }
    return 0;
}

/* perm[new] = old: by order value (NaN last), equal values in algorithm order. */
static void order_clusters(size_t *perm, const double *value, size_t k, int ascending)
{
    for (size_t i = 0; i < k; i++) {
        size_t at = i;
        while (at > 0) {
            double a = value[i], b = value[perm[at - 1]];
            int before = !isnan(a) && (isnan(b) || (ascending ? a < b : a > b));
            if (!before)
                break;
            perm[at] = perm[at - 1];
            at--;
        }
        perm[at] = i;
    }
}

/* The inverse transform of k x d centers. */
static void inverse_transform(double *out, const double *centers, const double *shift,
                              const double *scale, const tier__km_config *cfg, size_t k)
{
    size_t d = cfg->d;
    for (size_t c = 0; c < k; c++)
        for (size_t j = 0; j < d; j++) {
            double v = centers[c * d + j] * scale[j];
            v = v + shift[j];
            out[c * d + j] = is_log(cfg->transforms[j]) ? expm1(v) : v;
        }
}

/* Centers in original units. */
static void original_units(km_model *m, const tier__km_config *cfg, size_t k)
{
    inverse_transform(m->centers_orig, m->centers, m->shift, m->scale, cfg, k);
}

/* Builds the model from the kept run: renumbering and statistics. */
static int build_model(km_model *m, const km_state *st, const tier__km_prep *p, const double *centers,
                       const int32_t *labels, const tier__km_result *res, const double *order)
{
    const tier__km_config *cfg = &st->cfg;
    const tier__alloc *a = &st->alloc;
    size_t k = cfg->k, d = cfg->d, blocks = tier__km_blocks(p->X.n);
    int rc = model_alloc(m, a, k, d, order != NULL);
    if (rc)
        return rc;
    stats_ctx c = { p, labels, order, k, k * (d + 4), NULL };
    void *part_mem = NULL;
    c.part = tier__km_block_array(&part_mem, a, blocks, &c.stride);
    double *tot = tier__calloc(a, c.stride, sizeof *tot);
    size_t *perm = tier__malloc(a, k * sizeof *perm);
    double *ovals = tier__malloc(a, k * sizeof *ovals);
    if (!tot || !perm || !ovals || !c.part) {
        rc = tier__oom();
        goto done;
    }
    tier__parallel_for(p->X.n_threads, blocks, stats_block, &c);
    for (size_t b = 0; b < blocks; b++)
        for (size_t s = 0; s < c.stride; s++)
            tot[s] += c.part[b * c.stride + s];
    const double *cnt = tot, *wt = cnt + k, *sum = wt + k, *osum = sum + k * d, *ocnt = osum + k;
    for (size_t i = 0; i < k; i++)
        ovals[i] = ocnt[i] > 0.0 ? osum[i] / ocnt[i] : (double)NAN;
    for (size_t i = 0; i < k; i++)
        perm[i] = i;
    if (order)
        order_clusters(perm, ovals, k, cfg->order_ascending);
    memcpy(m->shift, p->shift, d * sizeof *m->shift);
    memcpy(m->scale, p->scale, d * sizeof *m->scale);
    for (size_t c2 = 0; c2 < k; c2++) {
        size_t o = perm[c2];
        memcpy(m->centers + c2 * d, centers + o * d, d * sizeof *centers);
        m->sizes[c2] = (uint64_t)cnt[o];
        m->weights[c2] = wt[o];
        for (size_t j = 0; j < d; j++)
            m->means[c2 * d + j] = cnt[o] > 0.0 ? sum[o * d + j] / cnt[o] : (double)NAN;
        if (order)
            m->order_values[c2] = ovals[o];
    }
    original_units(m, cfg, k);
    m->inertia = res->inertia;
    m->n_iter = res->n_iter;
    m->converged = res->converged;
    m->n_fit = p->X.n;
done:
    tier__free(a, tot);
    tier__free(a, perm);
    tier__free(a, ovals);
    tier__free(a, part_mem);
    if (rc)
        model_free(m, a);
    return rc;
}

static int km_fit(void *state, const tier_dataset *ds)
{
    km_state *st = state;
    const tier__km_config *cfg = &st->cfg;
    const tier__alloc *a = &st->alloc;
    const double *order = NULL;
    if (cfg->order_by) {
        int rc = tier_dataset_numeric(&order, ds, cfg->order_by);
        if (rc) {
            tier__error_prefix("kmeans: order_by");
            return rc;
        }
    }
    tier__km_prep p;
    int rc = tier__km_prepare(&p, cfg, ds, a);
    if (rc)
        return rc;
    double *centers = tier__malloc(a, (size_t)cfg->k * cfg->d * sizeof *centers);
    int32_t *labels = tier__malloc(a, (p.X.n ? p.X.n : 1) * sizeof *labels);
    tier__km_result res = { 0.0, 0, 0 };
    km_model m;
    memset(&m, 0, sizeof m);
    rc = (!centers || !labels) ? tier__oom() : TIER_OK;
    if (!rc)
        rc = tier__km_fit_runs(&res, centers, labels, &p, cfg, cfg->k);
    if (!rc)
        rc = build_model(&m, st, &p, centers, labels, &res, order);
    if (!rc) {
        model_free(&st->m, a);
        st->m = m;
        st->fitted = 1;
    }
    tier__free(a, centers);
    tier__free(a, labels);
    tier__km_prep_free(&p);
    return rc;
}

int tier_kmeans_initial_centers(double *centers, const tier_dataset *ds, const tier_kmeans_options *opts,
                                tier_kmeans_units units)
{
    if (!centers || !ds)
        return tier__error(TIER_EINVAL, "tier_kmeans_initial_centers: NULL argument");
    if ((unsigned)units > TIER_KMEANS_TRANSFORMED)
        return tier__error(TIER_EINVAL, "tier_kmeans_initial_centers: unknown units %d", (int)units);
    tier__alloc a;
    int rc = tier__alloc_init(&a, opts ? opts->allocator : NULL);
    if (rc)
        return rc;
    tier__km_config cfg;
    if ((rc = tier__km_config_init(&cfg, &a, opts)) != TIER_OK)
        return rc;
    tier__km_prep p;
    rc = tier__km_prepare(&p, &cfg, ds, &a);
    if (!rc) {
        if (cfg.k > p.X.n)
            rc = tier__error(TIER_EINVAL, "kmeans: k = %u is more than the %zu customers to fit", cfg.k,
                             p.X.n);
        else if (cfg.init == TIER_KMEANS_INIT_GIVEN)
            rc = given_centers(centers, &p, &cfg);
        else if (cfg.init == TIER_KMEANS_INIT_RANDOM)
            rc = tier__km_init_random(centers, &p.X, cfg.k, cfg.seed, 0);
        else
            rc = tier__km_init_plusplus(centers, &p.X, cfg.k, cfg.seed, 0);
        if (!rc && units == TIER_KMEANS_ORIGINAL)
            inverse_transform(centers, centers, p.shift, p.scale, &cfg, cfg.k);
        tier__km_prep_free(&p);
    }
    tier__km_config_free(&cfg, &a);
    return rc;
}

/* ---- apply ---------------------------------------------------------------------------------- */

typedef struct apply_ctx {
    const km_state *st;
    const double *raw[TIER_KMEANS_MAX_FEATURES];
    size_t n;
    double *cluster, *distance;
    size_t *bad_row, *bad_col; /* per block: first row with an unusable value (n if none) */
} apply_ctx;

/* Transforms a tile of rows into xt; returns a bit mask of unusable rows. */
static uint64_t load_tile(double *xt, const apply_ctx *c, size_t t0, size_t m, size_t *bad_col)
{
    const km_state *st = c->st;
    uint64_t bad = 0;
    for (size_t j = 0; j < st->cfg.d; j++) {
        int log = is_log(st->cfg.transforms[j]);
        double shift = st->m.shift[j], scale = st->m.scale[j];
        double *dst = xt + j * TILE;
        for (size_t r = 0; r < TILE; r++) {
            double v = r < m ? transform_value(c->raw[j][t0 + r], log, shift, scale) : 0.0;
            if (!isfinite(v)) {
                if (!(bad & (1ULL << r)))
                    bad_col[r] = j;
                bad |= 1ULL << r;
                v = 0.0;
            }
            dst[r] = v;
        }
    }
    return bad;
}

static int apply_block(void *ctx, size_t b)
{
    apply_ctx *c = ctx;
    const km_state *st = c->st;
    size_t r0 = b * TIER__KM_BLOCK, r1 = r0 + TIER__KM_BLOCK < c->n ? r0 + TIER__KM_BLOCK : c->n;
    double xt[TIER_KMEANS_MAX_FEATURES * TILE], best[TILE];
    int32_t lab[TILE];
    size_t bad_col[TILE];
    c->bad_row[b] = c->n;
    for (size_t t0 = r0; t0 < r1; t0 += TILE) {
        size_t m = r1 - t0 < TILE ? r1 - t0 : TILE;
        uint64_t bad = load_tile(xt, c, t0, m, bad_col);
        if (bad && st->cfg.nan_policy == TIER_KMEANS_NAN_ERROR) {
            size_t r = 0;
            while (!(bad & (1ULL << r)))
                r++;
            c->bad_row[b] = t0 + r;
            c->bad_col[b] = bad_col[r];
            return 0;
        }
        const double *xj[TIER_KMEANS_MAX_FEATURES];
        for (size_t j = 0; j < st->cfg.d; j++)
            xj[j] = xt + j * TILE;
        tier__km_tile_nearest(xj, m, st->cfg.d, st->m.centers, st->cfg.k, lab, best, NULL);
        for (size_t r = 0; r < m; r++) {
            if (bad & (1ULL << r))
                continue; /* stays NaN */
            c->cluster[t0 + r] = (double)lab[r];
            c->distance[t0 + r] = sqrt(best[r]);
        }
    }
    return 0;
}

static int km_apply(const void *state, const tier_dataset *ds, tier_scorer_output *out)
{
    const km_state *st = state;
    const tier__alloc *a = &st->alloc;
    apply_ctx c;
    memset(&c, 0, sizeof c);
    c.st = st;
    c.n = tier__output_rows(out);
    for (size_t j = 0; j < st->cfg.d; j++) {
        int rc = tier_dataset_numeric(&c.raw[j], ds, st->cfg.features[j]);
        if (rc) {
            tier__error_prefix("kmeans");
            return rc;
        }
    }
    if (!(c.cluster = tier__output_numeric(out, 0)) || !(c.distance = tier__output_numeric(out, 1)))
        return TIER_ENOMEM;
    size_t blocks = tier__km_blocks(c.n);
    c.bad_row = tier__malloc(a, (blocks + 1) * sizeof *c.bad_row);
    c.bad_col = tier__malloc(a, (blocks + 1) * sizeof *c.bad_col);
    int rc = (!c.bad_row || !c.bad_col) ? tier__oom() : TIER_OK;
    if (!rc)
        tier__parallel_for(resolve_threads(&st->cfg, ds, c.n), blocks, apply_block, &c);
    for (size_t b = 0; !rc && b < blocks; b++)
        if (c.bad_row[b] < c.n) {
            size_t row = c.bad_row[b], j = c.bad_col[b];
            rc = bad_value(ds, &st->cfg, row, j, c.raw[j][row], " apply");
        }
    tier__free(a, c.bad_row);
    tier__free(a, c.bad_col);
    return rc;
}

/* ---- saved state ---------------------------------------------------------------------------- */

static void km_save(const void *state, tier__wbuf *w)
{
    const km_state *st = state;
    const tier__km_config *cfg = &st->cfg;
    size_t k = cfg->k, d = cfg->d;
    tier__wbuf_u32(w, (uint32_t)d);
    for (size_t j = 0; j < d; j++) {
        tier__wbuf_str(w, cfg->features[j]);
        tier__wbuf_u8(w, (uint8_t)cfg->transforms[j]);
    }
    tier__wbuf_str(w, cfg->weights);
    tier__wbuf_str(w, cfg->order_by);
    tier__wbuf_u8(w, (uint8_t)cfg->order_ascending);
    tier__wbuf_u32(w, cfg->k);
    tier__wbuf_u8(w, (uint8_t)cfg->init);
    tier__wbuf_u8(w, (uint8_t)cfg->init_units);
    tier__wbuf_u64(w, cfg->seed);
    tier__wbuf_u32(w, cfg->n_init);
    tier__wbuf_u8(w, (uint8_t)cfg->algorithm);
    tier__wbuf_u32(w, cfg->max_iter);
    tier__wbuf_f64(w, cfg->tol);
    tier__wbuf_u32(w, cfg->n_threads);
    tier__wbuf_u8(w, (uint8_t)cfg->nan_policy);
    tier__wbuf_u64(w, cfg->init_centers ? k * d : 0);
    if (cfg->init_centers)
        tier__wbuf_f64s(w, cfg->init_centers, k * d);
    tier__wbuf_u8(w, (uint8_t)st->fitted);
    if (!st->fitted)
        return;
    const km_model *m = &st->m;
    tier__wbuf_f64s(w, m->shift, d);
    tier__wbuf_f64s(w, m->scale, d);
    tier__wbuf_f64s(w, m->centers, k * d);
    tier__wbuf_f64(w, m->inertia);
    tier__wbuf_u32(w, m->n_iter);
    tier__wbuf_u8(w, (uint8_t)m->converged);
    tier__wbuf_u64(w, m->n_fit);
    for (size_t c = 0; c < k; c++)
        tier__wbuf_u64(w, m->sizes[c]);
    tier__wbuf_f64s(w, m->weights, k);
    tier__wbuf_f64s(w, m->means, k * d);
    if (m->order_values)
        tier__wbuf_f64s(w, m->order_values, k);
}

static int corrupt(const char *path, const char *what)
{
    return tier__error(TIER_ECORRUPT, "%s: not a valid kmeans model (%s)", path, what);
}

/* Reads the configuration into options pointing into the buffer (validated by config_init). */
static int load_config(tier__km_config *cfg, const tier__alloc *a, tier__rbuf *r, const char *path)
{
    tier_kmeans_options o = TIER_KMEANS_OPTIONS_INIT;
    const char *names[TIER_KMEANS_MAX_FEATURES];
    tier_kmeans_transform tr[TIER_KMEANS_MAX_FEATURES];
    uint32_t d = tier__rbuf_u32(r);
    if (r->failed || d == 0 || d > TIER_KMEANS_MAX_FEATURES)
        return corrupt(path, "bad feature count");
    for (uint32_t j = 0; j < d; j++) {
        names[j] = tier__rbuf_str(r);
        tr[j] = (tier_kmeans_transform)tier__rbuf_u8(r);
    }
    o.n_features = d;
    o.features = names;
    o.transforms = tr;
    o.weights = tier__rbuf_str(r);
    o.order_by = tier__rbuf_str(r);
    o.order_ascending = tier__rbuf_u8(r);
    o.k = tier__rbuf_u32(r);
    o.init = (tier_kmeans_init)tier__rbuf_u8(r);
    o.init_units = (tier_kmeans_units)tier__rbuf_u8(r);
    o.seed = tier__rbuf_u64(r);
    o.n_init = tier__rbuf_u32(r);
    o.algorithm = (tier_kmeans_algorithm)tier__rbuf_u8(r);
    o.max_iter = tier__rbuf_u32(r);
    o.tol = tier__rbuf_f64(r);
    o.n_threads = tier__rbuf_u32(r);
    o.nan_policy = (tier_kmeans_nan_policy)tier__rbuf_u8(r);
    uint64_t n_init_centers = tier__rbuf_count(r, sizeof(double));
    if (r->failed)
        return corrupt(path, "truncated configuration");
    if (n_init_centers != (o.init == TIER_KMEANS_INIT_GIVEN ? (uint64_t)o.k * d : 0))
        return corrupt(path, "bad initial centers");
    double *given = NULL;
    if (n_init_centers) {
        if (!(given = tier__malloc(a, (size_t)n_init_centers * sizeof *given)))
            return tier__oom();
        tier__rbuf_f64s(r, given, (size_t)n_init_centers);
        o.init_centers = given;
    }
    int rc = tier__km_config_init(cfg, a, &o);
    tier__free(a, given);
    if (rc) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", tier_last_error());
        return corrupt(path, msg);
    }
    return TIER_OK;
}

static int load_model(km_model *m, const tier__km_config *cfg, const tier__alloc *a, tier__rbuf *r,
                      const char *path)
{
    size_t k = cfg->k, d = cfg->d;
    if ((uint64_t)k * d > (r->len - r->pos) / sizeof(double))
        return corrupt(path, "truncated model");
    int rc = model_alloc(m, a, k, d, cfg->order_by != NULL);
    if (rc)
        return rc;
    tier__rbuf_f64s(r, m->shift, d);
    tier__rbuf_f64s(r, m->scale, d);
    tier__rbuf_f64s(r, m->centers, k * d);
    m->inertia = tier__rbuf_f64(r);
    m->n_iter = tier__rbuf_u32(r);
    m->converged = tier__rbuf_u8(r);
    m->n_fit = tier__rbuf_u64(r);
    for (size_t c = 0; c < k && !r->failed; c++)
        m->sizes[c] = tier__rbuf_u64(r);
    tier__rbuf_f64s(r, m->weights, k);
    tier__rbuf_f64s(r, m->means, k * d);
    if (m->order_values)
        tier__rbuf_f64s(r, m->order_values, k);
    int ok = !r->failed;
    for (size_t j = 0; ok && j < d; j++)
        ok = isfinite(m->shift[j]) && isfinite(m->scale[j]) && m->scale[j] > 0.0;
    for (size_t i = 0; ok && i < k * d; i++)
        ok = isfinite(m->centers[i]);
    if (!ok) {
        model_free(m, a);
        return corrupt(path, "bad fitted state");
    }
    original_units(m, cfg, k);
    return TIER_OK;
}

static int km_load(void **state, const tier__alloc *a, tier__rbuf *r, uint32_t version, const char *path)
{
    (void)version; /* only version 1 exists */
    *state = NULL;
    km_state *st = tier__calloc(a, 1, sizeof *st);
    if (!st)
        return tier__oom();
    st->alloc = *a;
    int rc = load_config(&st->cfg, a, r, path);
    if (!rc) {
        uint8_t fitted = tier__rbuf_u8(r);
        if (r->failed || fitted > 1)
            rc = corrupt(path, "bad fitted flag");
        else if (fitted && !(rc = load_model(&st->m, &st->cfg, a, r, path)))
            st->fitted = 1;
    }
    if (rc) {
        state_free(st, a);
        return rc;
    }
    *state = st;
    return TIER_OK;
}

const tier__scorer_kind tier__kmeans_kind = {
    .name = "kmeans",
    .state_version = KM_STATE_VERSION,
    .columns = km_columns,
    .is_fitted = km_is_fitted,
    .fit = km_fit,
    .apply = km_apply,
    .fit_apply = NULL,
    .save = km_save,
    .load = km_load,
    .free = state_free,
};

/* ---- public constructor and getters --------------------------------------------------------- */

int tier_kmeans_new(tier_scorer **out, const tier_kmeans_options *opts)
{
    if (!out)
        return tier__error(TIER_EINVAL, "tier_kmeans_new: NULL out");
    *out = NULL;
    tier__alloc a;
    int rc = tier__alloc_init(&a, opts ? opts->allocator : NULL);
    if (rc)
        return rc;
    km_state *st = tier__calloc(&a, 1, sizeof *st);
    if (!st)
        return tier__oom();
    st->alloc = a;
    rc = tier__km_config_init(&st->cfg, &a, opts);
    if (rc) {
        state_free(st, &a);
        return rc;
    }
    return tier__scorer_new(out, &tier__kmeans_kind, st, opts ? opts->allocator : NULL,
                            opts ? opts->output_prefix : NULL);
}

static const km_state *fitted_state(const tier_scorer *km, const char *fn, int *rc)
{
    const km_state *st = tier__scorer_state(km, &tier__kmeans_kind, fn);
    if (!st) {
        *rc = TIER_EINVAL;
        return NULL;
    }
    if (!st->fitted) {
        *rc = tier__error(TIER_ENOTFITTED, "%s: the kmeans scorer is not fitted", fn);
        return NULL;
    }
    *rc = TIER_OK;
    return st;
}

unsigned int tier_kmeans_k(const tier_scorer *km)
{
    const km_state *st = tier__scorer_state(km, &tier__kmeans_kind, "tier_kmeans_k");
    return st ? st->cfg.k : 0;
}

size_t tier_kmeans_feature_count(const tier_scorer *km)
{
    const km_state *st = tier__scorer_state(km, &tier__kmeans_kind, "tier_kmeans_feature_count");
    return st ? st->cfg.d : 0;
}

int tier_kmeans_centers(const double **centers, const tier_scorer *km, tier_kmeans_units units)
{
    if (!centers)
        return tier__error(TIER_EINVAL, "tier_kmeans_centers: NULL centers");
    *centers = NULL;
    int rc;
    const km_state *st = fitted_state(km, "tier_kmeans_centers", &rc);
    if (!st)
        return rc;
    if ((unsigned)units > TIER_KMEANS_TRANSFORMED)
        return tier__error(TIER_EINVAL, "tier_kmeans_centers: unknown units %d", (int)units);
    *centers = units == TIER_KMEANS_TRANSFORMED ? st->m.centers : st->m.centers_orig;
    return TIER_OK;
}

int tier_kmeans_transform_params(double *shift, double *scale, const tier_scorer *km, size_t feature)
{
    int rc;
    const km_state *st = fitted_state(km, "tier_kmeans_transform_params", &rc);
    if (!st)
        return rc;
    if (feature >= st->cfg.d)
        return tier__error(TIER_EINVAL, "tier_kmeans_transform_params: feature %zu is not 0..%zu", feature,
                           st->cfg.d - 1);
    if (shift)
        *shift = st->m.shift[feature];
    if (scale)
        *scale = st->m.scale[feature];
    return TIER_OK;
}

int tier_kmeans_fit_info(double *inertia, unsigned int *n_iter, int *converged, const tier_scorer *km)
{
    int rc;
    const km_state *st = fitted_state(km, "tier_kmeans_fit_info", &rc);
    if (!st)
        return rc;
    if (inertia)
        *inertia = st->m.inertia;
    if (n_iter)
        *n_iter = st->m.n_iter;
    if (converged)
        *converged = st->m.converged;
    return TIER_OK;
}

int tier_kmeans_cluster_size(size_t *size, double *share, double *weight, const tier_scorer *km,
                             unsigned int cluster)
{
    int rc;
    const km_state *st = fitted_state(km, "tier_kmeans_cluster_size", &rc);
    if (!st)
        return rc;
    if (cluster >= st->cfg.k)
        return tier__error(TIER_EINVAL, "tier_kmeans_cluster_size: cluster %u is not 0..%u", cluster,
                           st->cfg.k - 1);
    if (size)
        *size = (size_t)st->m.sizes[cluster];
    if (share)
        *share = st->m.n_fit ? (double)st->m.sizes[cluster] / (double)st->m.n_fit : 0.0;
    if (weight)
        *weight = st->m.weights[cluster];
    return TIER_OK;
}

int tier_kmeans_cluster_means(const double **means, const tier_scorer *km)
{
    if (!means)
        return tier__error(TIER_EINVAL, "tier_kmeans_cluster_means: NULL means");
    *means = NULL;
    int rc;
    const km_state *st = fitted_state(km, "tier_kmeans_cluster_means", &rc);
    if (!st)
        return rc;
    *means = st->m.means;
    return TIER_OK;
}

int tier_kmeans_order_values(const double **values, const tier_scorer *km)
{
    if (!values)
        return tier__error(TIER_EINVAL, "tier_kmeans_order_values: NULL values");
    *values = NULL;
    int rc;
    const km_state *st = fitted_state(km, "tier_kmeans_order_values", &rc);
    if (!st)
        return rc;
    if (!st->m.order_values)
        return tier__error(TIER_EINVAL, "tier_kmeans_order_values: the scorer has no order_by column");
    *values = st->m.order_values;
    return TIER_OK;
}
