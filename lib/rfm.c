/* RFM scoring (include/tier/rfm.h): options, fitting bin edges (R-compatible quantiles, ranks or
 * user breaks), applying them, and the model state. Segments live in segment.c, summaries in
 * rfm_summary.c. */
#include <math.h>
#include <string.h>

#include "internal/dataset.h"
#include "internal/error.h"
#include "internal/pool.h"
#include "internal/quantile.h"
#include "internal/rfm.h"
#include "internal/scorer.h"

#define RFM_STATE_VERSION 1
#define APPLY_CHUNK 65536 /* rows per parallel task; fixed so results never depend on threads */

static const char *const default_columns[3] = { "recency", "frequency", "monetary" };
static const char *const dim_names[3] = { "recency", "frequency", "monetary" };
static const char *const output_names[RFM_N_OUT] = { "r_score", "f_score", "m_score",
                                                     "rfm_code", "rfm_total", "rfm_segment" };
static const tier_column_type output_types[RFM_N_OUT] = {
    TIER_COLUMN_NUMERIC, TIER_COLUMN_NUMERIC, TIER_COLUMN_NUMERIC,
    TIER_COLUMN_NUMERIC, TIER_COLUMN_NUMERIC, TIER_COLUMN_CATEGORICAL
};

/* ---- options and state ---------------------------------------------------------------------- */

int tier_rfm_options_init(tier_rfm_options *opts, unsigned int version)
{
    if (!opts)
        return tier__error(TIER_EINVAL, "tier_rfm_options_init: NULL options");
    if (version < 1 || version > TIER_RFM_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_rfm_options version %u is not 1..%d", version,
                           TIER_RFM_OPTIONS_VERSION);
    tier_rfm_options def = TIER_RFM_OPTIONS_INIT;
    *opts = def;
    opts->version = version;
    return TIER_OK;
}

static void state_free(void *p, const tier__alloc *a)
{
    rfm_state *st = p;
    for (int d = 0; d < 3; d++)
        tier__free(a, st->dim[d].column);
    tier__free(a, st->other);
    tier__rfm_segments_free(st, a);
    tier__free(a, st);
}

static int check_breaks(const double *b, size_t n, int d)
{
    if (n < 1 || n > RFM_MAX_BINS - 1)
        return tier__error(TIER_EINVAL, "rfm: %s has %zu breaks; 1..%d are allowed (2..%d bins)",
                           dim_names[d], n, RFM_MAX_BINS - 1, RFM_MAX_BINS);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(b[i]))
            return tier__error(TIER_EINVAL, "rfm: %s break %zu is %g; breaks must be finite",
                               dim_names[d], i, b[i]);
        if (i > 0 && !(b[i] > b[i - 1]))
            return tier__error(TIER_EINVAL,
                               "rfm: %s breaks must increase strictly, but break %zu (%g) follows %g",
                               dim_names[d], i, b[i], b[i - 1]);
    }
    return TIER_OK;
}

/* Validates one dimension of the options and fills st->dim[d]. */
static int setup_dim(rfm_state *st, const tier__alloc *a, const tier_rfm_options *o, int d)
{
    rfm_dim *dim = &st->dim[d];
    const char *col = o->columns[d] ? o->columns[d] : default_columns[d];
    if (!*col || strlen(col) > 255)
        return tier__error(TIER_EINVAL, "rfm: the %s column name is empty or too long", dim_names[d]);
    if (!(dim->column = tier__strdup(a, col)))
        return tier__oom();
    st->inputs[d] = dim->column;
    if (o->breaks[d] || o->mode == TIER_RFM_BREAKS) {
        if (!o->breaks[d])
            return tier__error(TIER_EINVAL, "rfm: mode TIER_RFM_BREAKS needs breaks for %s", dim_names[d]);
        int rc = check_breaks(o->breaks[d], o->n_breaks[d], d);
        if (rc)
            return rc;
        dim->has_breaks = 1;
        dim->bins = (unsigned)o->n_breaks[d] + 1;
        memcpy(dim->edges, o->breaks[d], o->n_breaks[d] * sizeof(double));
        return TIER_OK;
    }
    if (o->bins[d] < RFM_MIN_BINS || o->bins[d] > RFM_MAX_BINS)
        return tier__error(TIER_EINVAL, "rfm: %s bins must be %d..%d, got %u", dim_names[d], RFM_MIN_BINS,
                           RFM_MAX_BINS, o->bins[d]);
    dim->bins = o->bins[d];
    return TIER_OK;
}

static int all_breaks(const rfm_state *st)
{
    return st->dim[0].has_breaks && st->dim[1].has_breaks && st->dim[2].has_breaks;
}

static int setup(rfm_state *st, const tier__alloc *a, const tier_rfm_options *o)
{
    if ((unsigned)o->mode > TIER_RFM_BREAKS)
        return tier__error(TIER_EINVAL, "rfm: unknown mode %d", (int)o->mode);
    if ((unsigned)o->nan_policy > TIER_RFM_NAN_UNSCORED)
        return tier__error(TIER_EINVAL, "rfm: unknown NaN policy %d", (int)o->nan_policy);
    st->mode = o->mode;
    st->nan_policy = o->nan_policy;
    for (int d = 0; d < 3; d++) {
        int rc = setup_dim(st, a, o, d);
        if (rc)
            return rc;
    }
    const char *other = o->other_segment ? o->other_segment : "Others";
    if (!*other || strlen(other) > 255)
        return tier__error(TIER_EINVAL, "rfm: the other-segment name is empty or too long");
    if (!(st->other = tier__strdup(a, other)))
        return tier__oom();
    st->fitted = all_breaks(st); /* nothing to learn */
    if (st->dim[0].bins == 5 && st->dim[1].bins == 5 && st->dim[2].bins == 5)
        return tier__rfm_segments_install_default(st, a);
    return tier__rfm_segments_rebuild(st, a);
}

int tier_rfm_new(tier_scorer **out, const tier_rfm_options *opts)
{
    if (!out)
        return tier__error(TIER_EINVAL, "tier_rfm_new: NULL out");
    *out = NULL;
    tier_rfm_options def = TIER_RFM_OPTIONS_INIT;
    if (!opts)
        opts = &def;
    if (opts->version < 1 || opts->version > TIER_RFM_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_rfm_options version %u is not 1..%d", opts->version,
                           TIER_RFM_OPTIONS_VERSION);
    tier__alloc a;
    int rc = tier__alloc_init(&a, opts->allocator);
    if (rc)
        return rc;
    rfm_state *st = tier__calloc(&a, 1, sizeof *st);
    if (!st)
        return tier__oom();
    rc = setup(st, &a, opts);
    if (rc) {
        state_free(st, &a);
        return rc;
    }
    return tier__scorer_new(out, &tier__rfm_kind, st, opts->allocator, opts->output_prefix);
}

rfm_state *tier__rfm_state(const tier_scorer *s, const char *what)
{
    return tier__scorer_state(s, &tier__rfm_kind, what);
}

unsigned int tier_rfm_bins(const tier_scorer *rfm, tier_rfm_dim dim)
{
    const rfm_state *st = tier__rfm_state(rfm, "tier_rfm_bins");
    return (st && (unsigned)dim <= 2) ? st->dim[dim].bins : 0;
}

int tier_rfm_cuts(const double **edges, size_t *n_edges, const tier_scorer *rfm, tier_rfm_dim dim)
{
    if (!edges)
        return tier__error(TIER_EINVAL, "tier_rfm_cuts: NULL edges");
    *edges = NULL;
    const rfm_state *st = tier__rfm_state(rfm, "tier_rfm_cuts");
    if (!st)
        return TIER_EINVAL;
    if ((unsigned)dim > 2)
        return tier__error(TIER_EINVAL, "tier_rfm_cuts: dimension %d is not 0..2", (int)dim);
    if (!st->fitted)
        return tier__error(TIER_ENOTFITTED, "tier_rfm_cuts: the rfm scorer is not fitted");
    *edges = st->dim[dim].edges;
    if (n_edges)
        *n_edges = st->dim[dim].bins - 1;
    return TIER_OK;
}

/* ---- reading inputs ------------------------------------------------------------------------- */

/* Borrows the three input columns and checks them: infinities are always an error, NaN is one
 * under TIER_RFM_NAN_ERROR. The first offending row (lowest, then R before F before M) is named.
 * *any_nan (may be NULL) tells whether some row is left unscored. */
static int read_inputs(const double *v[3], int *any_nan, const rfm_state *st, const tier_dataset *ds)
{
    for (int d = 0; d < 3; d++) {
        int rc = tier_dataset_numeric(&v[d], ds, st->dim[d].column);
        if (rc) {
            tier__error_prefix("rfm");
            return rc;
        }
    }
    size_t n = tier_dataset_size(ds);
    int nan_seen = 0;
    for (size_t r = 0; r < n; r++) {
        if (isfinite(v[0][r]) && isfinite(v[1][r]) && isfinite(v[2][r]))
            continue;
        for (int d = 0; d < 3; d++) {
            double x = v[d][r];
            if (isfinite(x))
                continue;
            if (isnan(x) && st->nan_policy == TIER_RFM_NAN_UNSCORED) {
                nan_seen = 1;
                continue;
            }
            const char *id = tier_dataset_customer_id(ds, r);
            if (isnan(x))
                return tier__error(TIER_ERANGE,
                                   "rfm: %s is NaN for customer '%s' (row %zu); customers without "
                                   "purchases have no recency - filter them or use "
                                   "TIER_RFM_NAN_UNSCORED",
                                   st->dim[d].column, id ? id : "?", r);
            return tier__error(TIER_ERANGE, "rfm: %s is %s for customer '%s' (row %zu)", st->dim[d].column,
                               x > 0 ? "+inf" : "-inf", id ? id : "?", r);
        }
    }
    if (any_nan)
        *any_nan = nan_seen;
    return TIER_OK;
}

static int row_scored(const double *const v[3], size_t r)
{
    return !isnan(v[0][r]) && !isnan(v[1][r]) && !isnan(v[2][r]);
}

/* ---- fitting -------------------------------------------------------------------------------- */

/* What fitting one dimension learns. The tie information is used only by fit_apply in rank mode,
 * to split equal values that straddle a bin boundary by row order. */
typedef struct dim_fit {
    double edges[RFM_MAX_BINS - 1];
    size_t n;                             /* usable values */
    size_t n_ties;
    double tie_value[RFM_MAX_BINS - 1];   /* distinct values that straddle a boundary */
    size_t tie_below[RFM_MAX_BINS - 1];   /* number of usable values below each */
} dim_fit;

typedef struct fit_job {
    const rfm_state *st;
    const double *v[3];
    size_t n_rows, n_usable;
    int any_nan;
    const tier__alloc *alloc;
    dim_fit fit[3];
} fit_job;

static void sort_small(size_t *k, size_t m)
{
    for (size_t i = 1; i < m; i++) {
        size_t x = k[i], j = i;
        for (; j > 0 && k[j - 1] > x; j--)
            k[j] = k[j - 1];
        k[j] = x;
    }
}

/* The order statistics of src[0..n) at ranks[0..m) (any order), through one multi-select. */
static int order_stats(double *out, const double *src, size_t n, const size_t *ranks, size_t m,
                       const tier__alloc *a)
{
    size_t sorted[2 * RFM_MAX_BINS];
    double vals[2 * RFM_MAX_BINS];
    memcpy(sorted, ranks, m * sizeof *sorted);
    sort_small(sorted, m);
    int rc = tier__order_stats(vals, src, n, sorted, m, a);
    if (rc)
        return rc;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < m; j++)
            if (sorted[j] == ranks[i]) {
                out[i] = vals[j];
                break;
            }
    return TIER_OK;
}

/* R `rfm`: e(k) = type-7 quantile at k/b, plus 1. */
static int quantile_edges(dim_fit *f, const double *src, size_t n, unsigned bins, const tier__alloc *a)
{
    size_t ranks[2 * RFM_MAX_BINS] = { 0 };
    double index[RFM_MAX_BINS], x[2 * RFM_MAX_BINS];
    for (unsigned k = 1; k < bins; k++)
        tier__quantile7_ranks(n, tier__seq_prob(k, bins), &ranks[2 * (k - 1)], &ranks[2 * (k - 1) + 1],
                              &index[k - 1]);
    int rc = order_stats(x, src, n, ranks, 2 * (bins - 1), a);
    if (rc)
        return rc;
    for (unsigned k = 1; k < bins; k++)
        f->edges[k - 1] = tier__quantile7_from(x[2 * (k - 1)], x[2 * (k - 1) + 1], index[k - 1]) + 1.0;
    return TIER_OK;
}

/* First 1-based rank of bins >= j (2 <= j <= b) under bin(r) = max(1, ceil(b (r-1) / (n-1))). */
static size_t first_rank_of_bin(unsigned j, size_t n, unsigned bins)
{
    return (size_t)(((unsigned long long)(j - 1) * (n - 1)) / bins) + 2;
}

static unsigned bin_of_rank(size_t r, size_t n, unsigned bins)
{
    if (n < 2 || r < 2)
        return 1;
    unsigned long long num = (unsigned long long)bins * (r - 1);
    return (unsigned)((num + (n - 2)) / (n - 1)); /* ceil(num / (n - 1)) */
}

/* Rank bins: e(j-1) is the value at the first rank of bin j or above. Where the value just
 * before that rank is equal, ties straddle the boundary: remember the value and how many usable
 * values lie below it. */
static int rank_edges(dim_fit *f, const double *src, size_t n, unsigned bins, const tier__alloc *a)
{
    f->n_ties = 0;
    if (n < 2) {
        for (unsigned k = 0; k + 1 < bins; k++)
            f->edges[k] = (double)INFINITY; /* a single customer: everything in bin 1 */
        return TIER_OK;
    }
    size_t ranks[2 * RFM_MAX_BINS] = { 0 };
    double x[2 * RFM_MAX_BINS];
    for (unsigned j = 2; j <= bins; j++) {
        size_t r = first_rank_of_bin(j, n, bins);
        ranks[2 * (j - 2)] = r - 1;     /* 0-based rank of the first value of bin j */
        ranks[2 * (j - 2) + 1] = r - 2; /* the value before it */
    }
    int rc = order_stats(x, src, n, ranks, 2 * (bins - 1), a);
    if (rc)
        return rc;
    for (unsigned j = 2; j <= bins; j++) {
        double first = x[2 * (j - 2)], before = x[2 * (j - 2) + 1];
        f->edges[j - 2] = first;
        if (before == first && (f->n_ties == 0 || f->tie_value[f->n_ties - 1] != first))
            f->tie_value[f->n_ties++] = first;
    }
    for (size_t t = 0; t < f->n_ties; t++) {
        size_t below = 0;
        double w = f->tie_value[t];
        for (size_t i = 0; i < n; i++)
            below += src[i] < w;
        f->tie_below[t] = below;
    }
    return TIER_OK;
}

/* Task d of the fit: learns dimension d's edges (three tasks run in parallel). */
static int fit_dim(void *ctx, size_t d)
{
    fit_job *j = ctx;
    const rfm_dim *dim = &j->st->dim[d];
    dim_fit *f = &j->fit[d];
    f->n = j->n_usable;
    if (dim->has_breaks) {
        memcpy(f->edges, dim->edges, sizeof f->edges);
        return TIER_OK;
    }
    const double *src = j->v[d];
    double *buf = NULL;
    if (j->any_nan) { /* compact the scored customers' values */
        if (!(buf = tier__malloc(j->alloc, (j->n_usable ? j->n_usable : 1) * sizeof *buf)))
            return TIER_ENOMEM; /* recorded by the caller: this may run on a worker thread */
        size_t k = 0;
        for (size_t r = 0; r < j->n_rows; r++)
            if (row_scored(j->v, r))
                buf[k++] = j->v[d][r];
        src = buf;
    }
    int rc = j->st->mode == TIER_RFM_RANK ? rank_edges(f, src, j->n_usable, dim->bins, j->alloc)
                                          : quantile_edges(f, src, j->n_usable, dim->bins, j->alloc);
    tier__free(j->alloc, buf);
    return rc ? TIER_ENOMEM : TIER_OK;
}

/* Fits every dimension into job->fit (the state is not touched). */
static int fit_job_run(fit_job *job, const rfm_state *st, const tier_dataset *ds, const double *v[3], int any_nan)
{
    memset(job, 0, sizeof *job);
    job->st = st;
    job->n_rows = tier_dataset_size(ds);
    job->any_nan = any_nan;
    job->alloc = tier__dataset_alloc(ds);
    for (int d = 0; d < 3; d++)
        job->v[d] = v[d];
    size_t k = job->n_rows;
    if (any_nan) {
        k = 0;
        for (size_t r = 0; r < job->n_rows; r++)
            k += (size_t)row_scored(v, r);
    }
    job->n_usable = k;
    if (k == 0 && !all_breaks(st))
        return tier__error(TIER_EEMPTY, "rfm: no customer to fit on (%zu rows, none with all three inputs)",
                           job->n_rows);
    int rc = tier__parallel_for(tier__threads(tier__dataset_threads(ds), 3), 3, fit_dim, job);
    return rc ? tier__oom() : TIER_OK;
}

static void fit_commit(rfm_state *st, const fit_job *job)
{
    for (int d = 0; d < 3; d++)
        memcpy(st->dim[d].edges, job->fit[d].edges, sizeof st->dim[d].edges);
    st->fitted = 1;
}

static int rfm_fit(void *state, const tier_dataset *ds)
{
    rfm_state *st = state;
    const double *v[3];
    int any_nan = 0;
    int rc = read_inputs(v, &any_nan, st, ds);
    if (rc)
        return rc;
    fit_job job;
    rc = fit_job_run(&job, st, ds, v, any_nan);
    if (!rc)
        fit_commit(st, &job);
    return rc;
}

/* ---- applying ------------------------------------------------------------------------------- */

/* Bin 1..b of x: one more than the number of edges <= x. */
static inline unsigned bin_of(double x, const double *edges, unsigned bins)
{
    unsigned b = 1;
    for (unsigned k = 0; k + 1 < bins; k++)
        b += (x >= edges[k]);
    return b;
}

typedef struct apply_job {
    const rfm_state *st;
    const double *v[3];
    const uint8_t *rank_bin[3]; /* fit_apply in rank mode: precomputed bins, else NULL */
    double *out[5];
    int32_t *seg;
    size_t n;
} apply_job;

static int apply_chunk(void *ctx, size_t task)
{
    const apply_job *j = ctx;
    const rfm_state *st = j->st;
    size_t lo = task * APPLY_CHUNK, hi = lo + APPLY_CHUNK < j->n ? lo + APPLY_CHUNK : j->n;
    unsigned bf = st->dim[1].bins, bm = st->dim[2].bins, br = st->dim[0].bins;
    for (size_t r = lo; r < hi; r++) {
        if (!row_scored(j->v, r))
            continue; /* unscored: outputs stay NaN / missing */
        unsigned s[3];
        for (int d = 0; d < 3; d++)
            s[d] = j->rank_bin[d] ? j->rank_bin[d][r] : bin_of(j->v[d][r], st->dim[d].edges, st->dim[d].bins);
        s[0] = br + 1 - s[0]; /* recency: the most recent get the highest score */
        j->out[0][r] = s[0];
        j->out[1][r] = s[1];
        j->out[2][r] = s[2];
        j->out[3][r] = 100.0 * s[0] + 10.0 * s[1] + s[2];
        j->out[4][r] = (double)(s[0] + s[1] + s[2]);
        j->seg[r] = st->lut[((size_t)(s[0] - 1) * bf + (s[1] - 1)) * bm + (s[2] - 1)];
    }
    return 0;
}

static int score_rows(const rfm_state *st, const tier_dataset *ds, const double *v[3],
                      uint8_t *const rank_bin[3], tier_scorer_output *out)
{
    apply_job j;
    memset(&j, 0, sizeof j);
    j.st = st;
    j.n = tier__output_rows(out);
    for (int d = 0; d < 3; d++) {
        j.v[d] = v[d];
        j.rank_bin[d] = rank_bin ? rank_bin[d] : NULL;
    }
    for (int k = 0; k < 5; k++)
        if (!(j.out[k] = tier__output_numeric(out, (size_t)k)))
            return TIER_ENOMEM;
    if (!(j.seg = tier__output_codes(out, RFM_OUT_SEGMENT, st->dict, st->n_dict)))
        return TIER_ENOMEM;
    size_t tasks = (j.n + APPLY_CHUNK - 1) / APPLY_CHUNK;
    if (tasks)
        tier__parallel_for(tier__threads(tier__dataset_threads(ds), tasks), tasks, apply_chunk, &j);
    return TIER_OK;
}

static int rfm_apply(const void *state, const tier_dataset *ds, tier_scorer_output *out)
{
    const rfm_state *st = state;
    const double *v[3];
    int rc = read_inputs(v, NULL, st, ds);
    return rc ? rc : score_rows(st, ds, v, NULL, out);
}

/* fit_apply in rank mode: each fitted customer's bin from its rank, equal values ranked in row
 * order. Values that straddle no boundary are binned by the edges; the k-th customer (in row
 * order) holding a straddling value w has rank below(w) + k. */
typedef struct rank_job {
    const rfm_state *st;
    const double *v[3];
    const fit_job *fit;
    uint8_t *bins[3];
    size_t n;
} rank_job;

static int rank_bins_dim(void *ctx, size_t d)
{
    rank_job *j = ctx;
    if (!j->bins[d])
        return 0;
    const dim_fit *f = &j->fit->fit[d];
    unsigned nb = j->st->dim[d].bins;
    size_t seen[RFM_MAX_BINS - 1] = { 0 };
    for (size_t r = 0; r < j->n; r++) {
        if (!row_scored(j->v, r))
            continue;
        double x = j->v[d][r];
        unsigned b = bin_of(x, f->edges, nb);
        for (size_t t = 0; t < f->n_ties; t++)
            if (x == f->tie_value[t]) {
                b = bin_of_rank(f->tie_below[t] + ++seen[t], f->n, nb);
                break;
            }
        j->bins[d][r] = (uint8_t)b;
    }
    return 0;
}

static int rfm_fit_apply(void *state, const tier_dataset *ds, tier_scorer_output *out)
{
    rfm_state *st = state;
    const tier__alloc *a = tier__dataset_alloc(ds);
    const double *v[3];
    int any_nan = 0;
    int rc = read_inputs(v, &any_nan, st, ds);
    if (rc)
        return rc;
    fit_job job;
    rc = fit_job_run(&job, st, ds, v, any_nan);
    if (rc)
        return rc;
    fit_commit(st, &job);
    if (st->mode != TIER_RFM_RANK)
        return score_rows(st, ds, v, NULL, out);
    rank_job rj;
    memset(&rj, 0, sizeof rj);
    rj.st = st;
    rj.fit = &job;
    rj.n = tier_dataset_size(ds);
    for (int d = 0; d < 3 && !rc; d++) {
        rj.v[d] = v[d];
        if (!st->dim[d].has_breaks && !(rj.bins[d] = tier__malloc(a, rj.n ? rj.n : 1)))
            rc = tier__oom();
    }
    if (!rc) {
        tier__parallel_for(tier__threads(tier__dataset_threads(ds), 3), 3, rank_bins_dim, &rj);
        rc = score_rows(st, ds, v, rj.bins, out);
    }
    for (int d = 0; d < 3; d++)
        tier__free(a, rj.bins[d]);
    return rc;
}

/* ---- kind plumbing -------------------------------------------------------------------------- */

static void rfm_columns(const void *state, tier__scorer_columns *cols)
{
    const rfm_state *st = state;
    cols->n_inputs = 3;
    cols->inputs = st->inputs;
    cols->n_outputs = RFM_N_OUT;
    cols->outputs = output_names;
    cols->output_types = output_types;
}

static int rfm_is_fitted(const void *state) { return ((const rfm_state *)state)->fitted; }

static void rfm_save(const void *state, tier__wbuf *w)
{
    const rfm_state *st = state;
    tier__wbuf_u8(w, (uint8_t)st->mode);
    tier__wbuf_u8(w, (uint8_t)st->nan_policy);
    tier__wbuf_u8(w, (uint8_t)st->fitted);
    tier__wbuf_str(w, st->other);
    for (int d = 0; d < 3; d++) {
        const rfm_dim *dim = &st->dim[d];
        tier__wbuf_str(w, dim->column);
        tier__wbuf_u32(w, dim->bins);
        tier__wbuf_u8(w, (uint8_t)dim->has_breaks);
        tier__wbuf_f64s(w, dim->edges, dim->bins - 1);
    }
    tier__rfm_segments_save(st, w);
}

static int load_dim(rfm_dim *dim, const tier__alloc *a, tier__rbuf *r, const char *path)
{
    const char *col = tier__rbuf_str(r);
    dim->bins = tier__rbuf_u32(r);
    dim->has_breaks = tier__rbuf_u8(r);
    if (r->failed || !col || !*col || dim->bins < RFM_MIN_BINS || dim->bins > RFM_MAX_BINS ||
        dim->has_breaks > 1)
        return tier__error(TIER_ECORRUPT, "%s: invalid rfm dimension", path);
    tier__rbuf_f64s(r, dim->edges, dim->bins - 1);
    if (r->failed)
        return tier__error(TIER_ECORRUPT, "%s: truncated rfm edges", path);
    for (unsigned k = 0; k + 1 < dim->bins; k++)
        if (isnan(dim->edges[k]) || (k > 0 && dim->edges[k] < dim->edges[k - 1]))
            return tier__error(TIER_ECORRUPT, "%s: rfm edges are not sorted", path);
    return (dim->column = tier__strdup(a, col)) ? TIER_OK : tier__oom();
}

static int load_state(rfm_state *st, const tier__alloc *a, tier__rbuf *r, const char *path)
{
    st->mode = (tier_rfm_mode)tier__rbuf_u8(r);
    st->nan_policy = (tier_rfm_nan_policy)tier__rbuf_u8(r);
    st->fitted = tier__rbuf_u8(r);
    const char *other = tier__rbuf_str(r);
    if (r->failed || (unsigned)st->mode > TIER_RFM_BREAKS || (unsigned)st->nan_policy > TIER_RFM_NAN_UNSCORED ||
        st->fitted > 1 || !other || !*other)
        return tier__error(TIER_ECORRUPT, "%s: invalid rfm settings", path);
    if (!(st->other = tier__strdup(a, other)))
        return tier__oom();
    for (int d = 0; d < 3; d++) {
        int rc = load_dim(&st->dim[d], a, r, path);
        if (rc)
            return rc;
        st->inputs[d] = st->dim[d].column;
    }
    return tier__rfm_segments_load(st, a, r, path);
}

static int rfm_load(void **state, const tier__alloc *a, tier__rbuf *r, uint32_t version, const char *path)
{
    (void)version; /* only version 1 exists */
    *state = NULL;
    rfm_state *st = tier__calloc(a, 1, sizeof *st);
    if (!st)
        return tier__oom();
    int rc = load_state(st, a, r, path);
    if (rc) {
        state_free(st, a);
        return rc;
    }
    *state = st;
    return TIER_OK;
}

const tier__scorer_kind tier__rfm_kind = {
    .name = "rfm",
    .state_version = RFM_STATE_VERSION,
    .columns = rfm_columns,
    .is_fitted = rfm_is_fitted,
    .fit = rfm_fit,
    .apply = rfm_apply,
    .fit_apply = rfm_fit_apply,
    .save = rfm_save,
    .load = rfm_load,
    .free = state_free,
};
