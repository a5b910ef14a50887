/* Adding a batch of transactions to a dataset, partition by partition.
 *
 * 1. Hash every customer id and order id (in parallel over fixed slices of the batch).
 * 2. Bucket the rows by partition (stable: file order is kept inside each bucket).
 * 3. Aggregate each partition's rows into that partition's tables; partitions are independent,
 *    so they run as parallel tasks. New customers get local numbers only.
 * 4. Number the new customers globally in order of their first transaction in the batch, so
 *    rows come out in order of first appearance whatever the thread count.
 * 5. Apply attribute values (latest transaction wins) in batch order.
 *
 * Every step is deterministic and the partition count is fixed, so results are bit-identical
 * for any number of threads, and identical to adding the transactions one by one. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal/dataset_impl.h"
#include "internal/error.h"
#include "internal/pool.h"

/* Accepted instants: 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z. */
#define TIME_MIN (-62167219200LL)
#define TIME_MAX (253402300799LL)
/* Below this many rows a batch is aggregated on the calling thread only. */
#define PARALLEL_MIN 32768
/* Rows per hashing task (a fixed slice: task boundaries never depend on the thread count). */
#define HASH_SLICE 16384
#define ERROR_CAP 512

typedef struct add_job {
    tier_dataset *ds;
    const tier__batch *b;
    uint64_t *id_hash;     /* per row */
    uint64_t *order_hash;  /* per row, 0 = no order id or a free item */
    uint32_t *rows;        /* row numbers bucketed by partition */
    size_t start[TIER__PARTS + 1];
    uint32_t *local;       /* per row: local number in its partition */
    uint8_t *is_new;       /* per row: 1 if it created its customer */
    char errors[TIER__PARTS][ERROR_CAP]; /* a failing task's message (thread-local elsewhere) */
} add_job;

static inline int same_view(tier__sv a, tier__sv b)
{
    return a.n == b.n && tier__bytes_equal(a.p, b.p, a.n);
}

int tier__check_transaction(size_t i, const char *id, size_t id_len, int64_t t, double amount)
{
    if (id_len == 0)
        return tier__error(TIER_EINVAL, "transaction %zu: customer id is NULL or empty", i);
    if (!isfinite(amount))
        return tier__error(TIER_ERANGE, "transaction %zu (customer '%.*s'): amount %g is not finite", i,
                           (int)id_len, id, amount);
    if (t < TIME_MIN || t > TIME_MAX)
        return tier__error(TIER_ERANGE, "transaction %zu (customer '%.*s'): time %lld is outside years 0..9999",
                           i, (int)id_len, id, (long long)t);
    return TIER_OK;
}

static int check_batch(const tier__batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        int rc = tier__check_transaction(i, b->ids[i].p, b->ids[i].n, b->times[i], b->amounts[i]);
        if (rc)
            return rc;
    }
    return TIER_OK;
}

/* Step 1: hashes of one slice. Repeated consecutive ids and orders reuse the previous hash. */
static int hash_slice(void *ctx, size_t task)
{
    add_job *job = ctx;
    const tier__batch *b = job->b;
    size_t from = task * HASH_SLICE, to = from + HASH_SLICE < b->n ? from + HASH_SLICE : b->n;
    for (size_t i = from; i < to; i++) {
        if (i > from && same_view(b->ids[i], b->ids[i - 1]))
            job->id_hash[i] = job->id_hash[i - 1];
        else
            job->id_hash[i] = tier__hash_bytes(b->ids[i].p, b->ids[i].n);
        uint64_t oh = 0;
        if (b->orders && b->orders[i].n && b->amounts[i] != 0.0) {
            if (i > from && job->order_hash[i - 1] && same_view(b->orders[i], b->orders[i - 1]))
                oh = job->order_hash[i - 1];
            else
                oh = tier__hash_bytes(b->orders[i].p, b->orders[i].n) | 1;
        }
        job->order_hash[i] = oh;
    }
    return TIER_OK;
}

/* Step 2: a stable counting sort of row numbers by partition. */
static void bucket_rows(add_job *job)
{
    size_t count[TIER__PARTS] = { 0 };
    for (size_t i = 0; i < job->b->n; i++)
        count[tier__part_of(job->id_hash[i])]++;
    job->start[0] = 0;
    for (size_t p = 0; p < TIER__PARTS; p++)
        job->start[p + 1] = job->start[p] + count[p];
    size_t next[TIER__PARTS];
    memcpy(next, job->start, sizeof next);
    for (size_t i = 0; i < job->b->n; i++)
        job->rows[next[tier__part_of(job->id_hash[i])]++] = (uint32_t)i;
}

static int bump(uint32_t *counter, const char *what, const tier__part *p, size_t l)
{
    if (*counter == UINT32_MAX)
        return tier__error(TIER_ERANGE, "customer '%s' has more than 4294967295 %s",
                           tier__strtab_get(&p->ids, l), what);
    (*counter)++;
    return TIER_OK;
}

/* What the previous transaction of this partition touched: consecutive lines of one order
 * skip the set lookups (the flag, or the day, is known to be recorded already). */
typedef struct prev_txn {
    size_t i;          /* batch row, SIZE_MAX before the first */
    uint32_t local;
    uint64_t order_hash;
    int sign;          /* +1 purchase, -1 return, 0 free item */
    uint64_t day_key;
} prev_txn;

static int count_order(tier__part *p, const tier__alloc *a, uint64_t h, uint32_t l, uint32_t flag,
                       uint32_t *counter)
{
    int fresh = tier__orderset_add(a, &p->orders, h, l, flag);
    if (fresh < 0)
        return TIER_ENOMEM;
    return fresh ? bump(counter, flag == ORDER_PURCHASE ? "orders" : "returns", p, l) : TIER_OK;
}

static int apply_txn(add_job *job, tier__part *p, size_t i, uint32_t l, prev_txn *prev)
{
    const tier__batch *b = job->b;
    const tier__alloc *a = &job->ds->alloc;
    const int64_t t = b->times[i];
    const double amount = b->amounts[i];
    const uint64_t oh = job->order_hash[i];
    tier__cust *c = &p->cust[l];
    const int sign = amount > 0 ? 1 : amount < 0 ? -1 : 0;
    const int same_order = prev->i != SIZE_MAX && oh && oh == prev->order_hash && prev->local == l &&
                           prev->sign == sign;
    prev->i = i;
    prev->local = l;
    prev->order_hash = oh;
    prev->sign = sign;
    if (t < c->first_seen)
        c->first_seen = t;
    if (sign == 0)
        return TIER_OK; /* a free item: neither purchase nor return */
    tier__dd_add(&c->net_hi, &c->net_lo, amount);
    if (sign < 0) {
        tier__dd_add(&c->ret_hi, &c->ret_lo, -amount);
        if (!oh)
            return bump(&p->n_returns[l], "returns", p, l);
        return same_order ? TIER_OK : count_order(p, a, oh, l, ORDER_RETURN, &p->n_returns[l]);
    }
    /* the first purchase day's value restarts when an earlier day arrives */
    const int32_t day = tier__day_of(t);
    const int32_t first_day = c->first_buy == INT64_MAX ? INT32_MAX : tier__day_of(c->first_buy);
    if (day < first_day) {
        p->first_day_hi[l] = amount;
        p->first_day_lo[l] = 0.0;
    } else if (day == first_day) {
        tier__dd_add(&p->first_day_hi[l], &p->first_day_lo[l], amount);
    }
    if (t < c->first_buy)
        c->first_buy = t;
    if (t > c->last_buy)
        c->last_buy = t;
    uint64_t key = tier__day_key(l, day);
    if (key != prev->day_key) {
        int fresh = tier__dayset_add(a, &p->days, key);
        if (fresh < 0)
            return TIER_ENOMEM;
        prev->day_key = key;
        if (fresh && bump(&c->n_days, "purchase days", p, l))
            return TIER_ERANGE;
    }
    if (!oh)
        return bump(&c->n_orders, "orders", p, l);
    return same_order ? TIER_OK : count_order(p, a, oh, l, ORDER_PURCHASE, &c->n_orders);
}

/* Step 3 for one partition: its rows in batch order. */
static int aggregate_partition(void *ctx, size_t part)
{
    add_job *job = ctx;
    const tier__batch *b = job->b;
    tier__part *p = &job->ds->parts[part];
    prev_txn prev = { SIZE_MAX, 0, 0, 0, 0 };
    size_t prev_id_row = SIZE_MAX;
    uint32_t l = 0;
    int rc = TIER_OK;
    for (size_t k = job->start[part]; k < job->start[part + 1] && !rc; k++) {
        size_t i = job->rows[k];
        if (k + 8 < job->start[part + 1])
            tier__strtab_prefetch(&p->ids, job->id_hash[job->rows[k + 8]]);
        if (prev_id_row == SIZE_MAX || job->id_hash[i] != job->id_hash[prev_id_row] ||
            !same_view(b->ids[i], b->ids[prev_id_row])) {
            rc = tier__part_reserve(job->ds, p, p->ids.n + 1);
            int created = 0;
            if (!rc)
                rc = tier__strtab_intern_hashed(&p->ids, b->ids[i].p, b->ids[i].n, job->id_hash[i], &l,
                                                &created);
            if (rc)
                break;
            if (created) {
                tier__part_init_local(p, l);
                job->is_new[i] = 1;
            }
            prev_id_row = i;
        }
        job->local[i] = l;
        rc = apply_txn(job, p, i, l, &prev);
    }
    if (rc)
        snprintf(job->errors[part], ERROR_CAP, "%s", tier_last_error());
    return rc;
}

static void free_job(const tier__alloc *a, add_job *job)
{
    tier__free(a, job->id_hash);
    tier__free(a, job->order_hash);
    tier__free(a, job->rows);
    tier__free(a, job->local);
    tier__free(a, job->is_new);
    tier__free(a, job);
}

static add_job *new_job(tier_dataset *ds, const tier__batch *b)
{
    const tier__alloc *a = &ds->alloc;
    add_job *job = tier__calloc(a, 1, sizeof *job);
    if (!job)
        return NULL;
    job->ds = ds;
    job->b = b;
    job->id_hash = tier__malloc(a, b->n * sizeof *job->id_hash);
    job->order_hash = tier__malloc(a, b->n * sizeof *job->order_hash);
    job->rows = tier__malloc(a, b->n * sizeof *job->rows);
    job->local = tier__malloc(a, b->n * sizeof *job->local);
    job->is_new = tier__calloc(a, b->n, 1);
    if (!job->id_hash || !job->order_hash || !job->rows || !job->local || !job->is_new) {
        free_job(a, job);
        return NULL;
    }
    return job;
}

/* Steps 4 and 5, and the dataset-wide counters for the rows that were aggregated. */
static int finish(add_job *job, const size_t *cat_cols, const size_t *num_cols, size_t done)
{
    tier_dataset *ds = job->ds;
    const tier__batch *b = job->b;
    for (size_t i = 0; i < b->n; i++)
        if (job->is_new[i])
            tier__dataset_assign_row(ds, tier__part_of(job->id_hash[i]), job->local[i]);
    int rc = TIER_OK;
    for (size_t i = 0; i < done && (b->n_cat || b->n_num) && !rc; i++) {
        const tier__part *p = &ds->parts[tier__part_of(job->id_hash[i])];
        rc = tier__dataset_take_attributes(ds, b, i, p->global[job->local[i]], cat_cols, num_cols, 1);
    }
    for (size_t i = 0; i < done; i++) {
        if (b->times[i] < ds->min_time)
            ds->min_time = b->times[i];
        if (b->times[i] > ds->max_time)
            ds->max_time = b->times[i];
    }
    ds->n_txn += done;
    if (b->n)
        ds->stale = 1;
    return rc;
}

int tier__dataset_add_batch(tier_dataset *ds, const tier__batch *b)
{
    if (b->n_cat > TIER__MAX_BATCH_ATTRIBUTES || b->n_num > TIER__MAX_BATCH_ATTRIBUTES)
        return tier__error(TIER_EINVAL, "at most %d attribute columns of each type per load",
                           TIER__MAX_BATCH_ATTRIBUTES);
    if (b->n > UINT32_MAX)
        return tier__error(TIER_EINVAL, "a batch holds at most 4294967295 transactions");
    int rc = check_batch(b);
    if (rc)
        return rc;
    size_t cat_cols[TIER__MAX_BATCH_ATTRIBUTES], num_cols[TIER__MAX_BATCH_ATTRIBUTES];
    rc = tier__dataset_batch_attributes(ds, b, cat_cols, num_cols, SRC_TXN);
    if (rc || b->n == 0) /* an empty batch still declares its attribute columns */
        return rc;
    /* Room for every row to be a new customer, so numbering new customers cannot fail. */
    rc = tier__dataset_reserve_rows(ds, ds->n_rows + b->n);
    if (rc)
        return rc;
    add_job *job = new_job(ds, b);
    if (!job)
        return tier__oom();
    unsigned threads = b->n < PARALLEL_MIN ? 1 : ds->n_threads;
    tier__parallel_for(tier__threads(threads, (b->n + HASH_SLICE - 1) / HASH_SLICE),
                       (b->n + HASH_SLICE - 1) / HASH_SLICE, hash_slice, job);
    bucket_rows(job);
    rc = tier__parallel_for(tier__threads(threads, TIER__PARTS), TIER__PARTS, aggregate_partition, job);
    if (rc) {
        /* Keep the dataset valid: number the customers that were created, then report the
         * lowest failing partition's message, which was recorded on a worker thread. */
        for (size_t p = 0; p < TIER__PARTS; p++)
            if (job->errors[p][0]) {
                tier__error(rc, "%s", job->errors[p]);
                break;
            }
        char saved[ERROR_CAP];
        snprintf(saved, sizeof saved, "%s", tier_last_error());
        finish(job, cat_cols, num_cols, 0);
        free_job(&ds->alloc, job);
        return tier__error(rc, "%s", saved);
    }
    rc = finish(job, cat_cols, num_cols, b->n);
    free_job(&ds->alloc, job);
    return rc;
}
