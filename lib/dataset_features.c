/* Feature columns: fixed at an analysis instant by tier_dataset_compute_features(), computed
 * column by column when first read.
 *
 * tier_dataset_compute_features() validates (as_of, totals that overflow) and records the
 * instant; each feature column is filled on its first tier_dataset_numeric(). A caller that
 * reads recency, frequency and monetary does not pay for fourteen columns: on a million
 * customers each column is a pass of cache misses over the accumulators plus 8 MB of fresh
 * memory, so computing all of them up front was ~10% of a CSV load.
 *
 * Reads may be concurrent (tier/dataset.h promises it), so the first reader of a column fills
 * it under the dataset's feature lock and publishes it with a release store; every reader
 * checks with an acquire load before handing the values out. Values are the same bits as an
 * eager computation: every row is independent and computed by the same expressions. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal/dataset_impl.h"
#include "internal/error.h"
#include "internal/pool.h"

#define SECONDS_PER_DAY 86400
/* Rows per task: fixed, so that the result does not depend on the thread count. */
#define FEATURE_BLOCK 65536
/* Rows ahead whose accumulators are prefetched: rows are in order of first appearance, so
 * their accumulators are scattered over the partitions. Reading three columns of 1M
 * customers took 37.5 ms at 16 rows ahead, 33 at 32, 31 at 48, 32.5 at 96 (1 thread). */
#define AHEAD 48

struct tier__features {
    pthread_mutex_t lock;
    atomic_uchar ready[N_FEATURES]; /* column holds the values at ds->as_of */
};

int tier__features_new(tier__features **out, const tier__alloc *a)
{
    tier__features *f = tier__malloc(a, sizeof *f);
    if (!f)
        return tier__oom();
    if (pthread_mutex_init(&f->lock, NULL) != 0) {
        tier__free(a, f);
        return tier__error(TIER_ENOMEM, "cannot create a mutex");
    }
    for (size_t k = 0; k < N_FEATURES; k++)
        atomic_init(&f->ready[k], 0);
    *out = f;
    return TIER_OK;
}

void tier__features_free(tier__features *f, const tier__alloc *a)
{
    if (!f)
        return;
    pthread_mutex_destroy(&f->lock);
    tier__free(a, f);
}

static void format_time(char *buf, size_t size, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm))
        strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
    else
        snprintf(buf, size, "%lld", (long long)t);
}

/* Value of the purchases after the first purchase day: gross purchases (net spend plus the
 * value returned) minus the first day's purchases, summed in double-double and rounded once. */
static double repeat_spend(const tier__part *p, size_t l, const tier__cust *c)
{
    double hi = c->net_hi, lo = c->net_lo;
    tier__dd_add(&hi, &lo, c->ret_hi);
    lo += c->ret_lo;
    tier__dd_add(&hi, &lo, -p->first_day_hi[l]);
    lo -= p->first_day_lo[l];
    return hi + lo;
}

/* Feature k of the customer (partition p, local l) at as_of. */
static double feature_value(size_t k, const tier__part *p, size_t l, int64_t as_of)
{
    const double day = SECONDS_PER_DAY;
    const tier__cust *c = &p->cust[l];
    const int bought = c->last_buy != INT64_MIN;
    switch (k) {
    case FEAT_RECENCY: return bought ? (double)(as_of - c->last_buy) / day : NAN;
    case FEAT_FREQUENCY: return c->n_orders;
    case FEAT_MONETARY: return c->net_hi + c->net_lo;
    case FEAT_AVG_ORDER_VALUE: return c->n_orders ? (c->net_hi + c->net_lo) / c->n_orders : NAN;
    case FEAT_FIRST_PURCHASE: return bought ? (double)c->first_buy : NAN;
    case FEAT_LAST_PURCHASE: return bought ? (double)c->last_buy : NAN;
    case FEAT_TENURE: return (double)(as_of - c->first_seen) / day;
    case FEAT_PURCHASE_DAYS: return c->n_days;
    case FEAT_RETURNS: return p->n_returns[l];
    case FEAT_RETURNS_VALUE: return c->ret_hi + c->ret_lo;
    case FEAT_REPEAT_COUNT: return bought ? (double)c->n_days - 1.0 : NAN;
    case FEAT_T_X: return bought ? (double)(c->last_buy - c->first_buy) / day : NAN;
    case FEAT_T: return bought ? (double)(as_of - c->first_buy) / day : NAN;
    case FEAT_REPEAT_SPEND:
        return c->n_days > 1 ? repeat_spend(p, l, c) / (double)(c->n_days - 1) : NAN;
    default: return NAN;
    }
}

typedef struct column_job {
    const tier_dataset *ds;
    size_t k;
    double *out;
} column_job;

static int column_block(void *ctx, size_t task)
{
    const column_job *job = ctx;
    const tier_dataset *ds = job->ds;
    const size_t from = task * FEATURE_BLOCK;
    const size_t to = from + FEATURE_BLOCK < ds->n_rows ? from + FEATURE_BLOCK : ds->n_rows;
    for (size_t r = from; r < to; r++) {
#if defined(__GNUC__)
        if (r + AHEAD < to)
            __builtin_prefetch(tier__row_cust(ds, r + AHEAD));
#endif
        uint32_t w = ds->where[r];
        job->out[r] = feature_value(job->k, &ds->parts[tier__where_part(w)], tier__where_local(w), ds->as_of);
    }
    return TIER_OK;
}

/* Fills column k. The caller holds the feature lock; the column is not ready, so no reader
 * holds its values. */
static int fill_column(tier_dataset *ds, size_t k)
{
    size_t bytes;
    if (tier__mul_size(&bytes, ds->n_rows ? ds->n_rows : 1, sizeof(double)))
        return tier__oom();
    double *p = tier__realloc(&ds->alloc, ds->cols[k].num, bytes);
    if (!p)
        return tier__oom();
    ds->cols[k].num = p;
    column_job job = { ds, k, p };
    size_t tasks = (ds->n_rows + FEATURE_BLOCK - 1) / FEATURE_BLOCK;
    return tier__parallel_for(tier__threads(ds->n_threads, tasks), tasks, column_block, &job);
}

int tier__dataset_feature(const double **values, const tier_dataset *cds, size_t k)
{
    /* Filling a column on a const dataset: the column is a cache of values determined by the
     * (unchanging) accumulators and as_of, and the lock serialises the fillers. */
    tier_dataset *ds = (tier_dataset *)cds;
    tier__features *f = ds->features;
    if (!atomic_load_explicit(&f->ready[k], memory_order_acquire)) {
        pthread_mutex_lock(&f->lock);
        int rc = TIER_OK;
        if (!atomic_load_explicit(&f->ready[k], memory_order_relaxed)) {
            rc = fill_column(ds, k);
            if (!rc)
                atomic_store_explicit(&f->ready[k], 1, memory_order_release);
        }
        pthread_mutex_unlock(&f->lock);
        if (rc)
            return rc;
    }
    *values = ds->cols[k].num;
    return TIER_OK;
}

/* Overflow check, per partition: the lowest global row whose net spend or value returned is
 * not finite, or SIZE_MAX. Reading the accumulators in partition order is a stream. */
typedef struct overflow_job {
    const tier_dataset *ds;
    size_t first[TIER__PARTS];
} overflow_job;

static int overflow_part(void *ctx, size_t part)
{
    overflow_job *job = ctx;
    const tier__part *p = &job->ds->parts[part];
    size_t first = SIZE_MAX;
    for (size_t l = 0; l < p->ids.n; l++) {
        const tier__cust *c = &p->cust[l];
        if ((!isfinite(c->net_hi + c->net_lo) || !isfinite(c->ret_hi + c->ret_lo)) && p->global[l] < first)
            first = p->global[l];
    }
    job->first[part] = first;
    return TIER_OK;
}

/* The lowest row whose totals overflow a double, or SIZE_MAX. */
static size_t first_overflow(const tier_dataset *ds)
{
    overflow_job job;
    job.ds = ds;
    tier__parallel_for(tier__threads(ds->n_threads, TIER__PARTS), TIER__PARTS, overflow_part, &job);
    size_t first = SIZE_MAX;
    for (size_t p = 0; p < TIER__PARTS; p++)
        if (job.first[p] < first)
            first = job.first[p];
    return first;
}

int tier_dataset_compute_features(tier_dataset *ds, int64_t as_of)
{
    if (!ds)
        return tier__error(TIER_EINVAL, "tier_dataset_compute_features: ds is NULL");
    if (as_of == TIER_AS_OF_AUTO) {
        if (ds->n_txn == 0)
            return tier__error(TIER_EEMPTY, "cannot choose as_of automatically: the dataset has no transactions");
        as_of = ds->max_time + SECONDS_PER_DAY;
    } else if (ds->n_txn && as_of < ds->max_time) {
        char a[40], m[40];
        format_time(a, sizeof a, as_of);
        format_time(m, sizeof m, ds->max_time);
        return tier__error(TIER_EINVAL, "as_of %s is before the latest transaction (%s)", a, m);
    }
    /* a mutating call: no reader runs, so plain stores will do */
    ds->stale = 1;
    for (size_t k = 0; k < N_FEATURES; k++)
        atomic_store_explicit(&ds->features->ready[k], 0, memory_order_relaxed);
    size_t bad = first_overflow(ds);
    if (bad != SIZE_MAX)
        return tier__error(TIER_ERANGE, "customer '%s': total amount overflows a double", tier__row_id(ds, bad));
    ds->as_of = as_of;
    ds->stale = 0;
    return TIER_OK;
}

int64_t tier_dataset_as_of(const tier_dataset *ds) { return ds ? ds->as_of : TIER_AS_OF_AUTO; }

int tier_dataset_is_stale(const tier_dataset *ds) { return ds ? ds->stale : 1; }
