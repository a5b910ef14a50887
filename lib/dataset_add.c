/* Adding a batch of transactions to a dataset, partition by partition.
 *
 * 1. Hash every customer id and count the rows of each partition, in parallel over fixed
 *    slices of the batch.
 * 2. Scatter the rows, as compact records (tier__rec: hashes, time, amount, the id inline
 *    when short), into one run per partition (stable: file order is kept inside each run),
 *    again in parallel over the slices, each slice writing to positions fixed by the counts.
 *    A batch from the CSV parser comes as runs already (the parser writes each row's record
 *    while the row is in cache), and skips steps 1 and 2.
 * 3. Aggregate each partition's run into that partition's tables; partitions are independent,
 *    so they run as parallel tasks. New customers get local numbers only. A run is read
 *    front to back, so the only random accesses left are those to the partition's own
 *    tables (copying the rows into runs was measured to be much cheaper than reading the
 *    batch's columns in partition order, which cost a cache miss per column per row).
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

typedef struct add_job {
    tier_dataset *ds;
    const tier__batch *b;
    /* a batch of columns is hashed and scattered into runs here (steps 1 and 2) */
    size_t n_slices;
    uint64_t *id_hash;     /* per row */
    size_t *slice_count;   /* [slice][partition]: rows, then (prefix summed) first position */
    int64_t *slice_min, *slice_max; /* per slice: earliest and latest time */
    tier__aligned recs;    /* rows in runs by partition: tier__rec, one per cache line */
    /* the runs: the batch's own, or inside recs */
    const tier__rec *run[TIER__PARTS];
    size_t run_n[TIER__PARTS];
    uint32_t *new_local;   /* per row: where code + 1 if the row created its customer, else 0 */
    uint32_t *local;       /* per row: where code of its customer; only when the batch has attributes */
    char errors[TIER__PARTS][ERROR_CAP]; /* a failing task's message (thread-local elsewhere) */
} add_job;

static void slice_bounds(const add_job *job, size_t task, size_t *from, size_t *to)
{
    *from = task * HASH_SLICE;
    *to = *from + HASH_SLICE < job->b->n ? *from + HASH_SLICE : job->b->n;
}

/* Step 1 for one slice: id hashes, rows per partition, time range. A repeated consecutive id
 * reuses the previous hash. */
static int hash_slice(void *ctx, size_t task)
{
    add_job *job = ctx;
    const tier__batch *b = job->b;
    size_t from, to;
    slice_bounds(job, task, &from, &to);
    size_t *count = &job->slice_count[task * TIER__PARTS];
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = from; i < to; i++) {
        if (i > from && tier__sv_equal(b->ids[i], b->ids[i - 1]))
            job->id_hash[i] = job->id_hash[i - 1];
        else
            job->id_hash[i] = tier__hash_bytes(b->ids[i].p, b->ids[i].n);
        count[tier__part_of(job->id_hash[i])]++;
        lo = b->times[i] < lo ? b->times[i] : lo;
        hi = b->times[i] > hi ? b->times[i] : hi;
    }
    job->slice_min[task] = lo;
    job->slice_max[task] = hi;
    return TIER_OK;
}

/* Between steps 1 and 2: where each slice's rows of each partition go. Partition runs are
 * laid out in partition order; inside a run, slices in batch order. */
static void place_slices(add_job *job)
{
    size_t pos = 0;
    for (size_t p = 0; p < TIER__PARTS; p++) {
        const size_t first = pos;
        for (size_t s = 0; s < job->n_slices; s++) {
            size_t *c = &job->slice_count[s * TIER__PARTS + p];
            size_t n = *c;
            *c = pos;
            pos += n;
        }
        job->run[p] = (const tier__rec *)job->recs.data + first;
        job->run_n[p] = pos - first;
    }
}

/* Step 2 for one slice: its rows, as records, to their runs. */
static int scatter_slice(void *ctx, size_t task)
{
    add_job *job = ctx;
    const tier__batch *b = job->b;
    size_t from, to;
    slice_bounds(job, task, &from, &to);
    size_t *next = &job->slice_count[task * TIER__PARTS];
    tier__order_memo memo = { { NULL, 0 }, 0, 0 };
    const tier__sv none = { NULL, 0 };
    for (size_t i = from; i < to; i++) {
        tier__rec *r = (tier__rec *)job->recs.data + next[tier__part_of(job->id_hash[i])]++;
        tier__rec_id(r, b->ids[i], job->id_hash[i], i);
        r->time = b->times[i];
        r->amount = b->amounts[i];
        r->amount_lo = 0.0;
        tier__rec_order(r, &memo, b->orders ? b->orders[i] : none, r->amount);
    }
    return TIER_OK;
}

static inline int same_customer(const tier__rec *a, const tier__rec *b)
{
    return a->id_hash == b->id_hash && a->id_len == b->id_len &&
           tier__bytes_equal(tier__rec_id_text(a), tier__rec_id_text(b), a->id_len);
}

/* A customer as a (partition, local number) pair in one word, as the dataset's `where`. */
static inline uint32_t where_code(size_t part, uint32_t local)
{
    return (uint32_t)(part << TIER__LOCAL_BITS) | local;
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
    int started;
    uint32_t local;
    uint64_t order_hash;
    int sign;          /* +1 purchase, -1 return, 0 free item */
    int64_t time;
    int on_first_day;  /* a purchase: its day is the customer's first purchase day */
    uint64_t day_key;
} prev_txn;

/* Records order (r's order, customer l) with `flag`, counting it if the flag is new. Three
 * ways, cheapest first: the order is the one recorded last (another line of it, such as a
 * discount line inside a purchase); its number is above every number recorded in the
 * partition, so it is new; otherwise the set is asked. */
static inline int count_order(tier__part *p, const tier__alloc *a, const tier__rec *r, uint32_t l, uint32_t flag,
                       uint32_t *counter)
{
    tier__order_entry *last = tier__orderset_last(&p->orders);
    int fresh;
    if (last && last->hash == r->order_hash && last->row == l) {
        fresh = (int)(flag & ~last->flags);
        last->flags |= flag;
    } else if (r->order_serial > p->order_serial_max) {
        fresh = tier__orderset_append_new(a, &p->orders, r->order_hash, l, flag);
        p->order_serial_max = r->order_serial;
    } else {
        fresh = tier__orderset_add(a, &p->orders, r->order_hash, l, flag);
    }
    if (fresh < 0)
        return TIER_ENOMEM;
    return fresh ? bump(counter, flag == ORDER_PURCHASE ? "orders" : "returns", p, l) : TIER_OK;
}

/* (*hi, *lo) += the record's amount: a record may hold several lines' exact sum as a pair
 * (only purchase lines are merged; a return's or free item's low part is 0). */
static inline void add_amount(double *hi, double *lo, const tier__rec *r)
{
    tier__dd_add(hi, lo, r->amount);
    *lo += r->amount_lo;
}

static int apply_txn(add_job *job, tier__part *p, const tier__rec *r, uint32_t l, prev_txn *prev)
{
    const tier__alloc *a = &job->ds->alloc;
    const int64_t t = r->time;
    const double amount = r->amount;
    const uint64_t oh = r->order_hash;
    tier__cust *c = &p->cust[l];
    const int sign = amount > 0 ? 1 : amount < 0 ? -1 : 0;
    const int same_order = prev->started && oh && oh == prev->order_hash && prev->local == l &&
                           prev->sign == sign;
    const int same_time = prev->started && t == prev->time;
    prev->started = 1;
    prev->local = l;
    prev->order_hash = oh;
    prev->sign = sign;
    prev->time = t;
    if (sign > 0 && same_order && same_time) {
        /* Another line of the purchase just applied, at its time: the times, the day (and
         * whether it is the first purchase day), the day set and the order count are as that
         * line left them; only the sums take this line. About half the rows of a log. */
        add_amount(&c->net_hi, &c->net_lo, r);
        if (prev->on_first_day)
            add_amount(&p->first_day_hi[l], &p->first_day_lo[l], r);
        return TIER_OK;
    }
    if (t < c->first_seen)
        c->first_seen = t;
    if (sign == 0)
        return TIER_OK; /* a free item: neither purchase nor return */
    add_amount(&c->net_hi, &c->net_lo, r);
    if (sign < 0) {
        tier__dd_add(&c->ret_hi, &c->ret_lo, -amount);
        if (!oh)
            return bump(&p->n_returns[l], "returns", p, l);
        return same_order ? TIER_OK : count_order(p, a, r, l, ORDER_RETURN, &p->n_returns[l]);
    }
    /* the first purchase day's value restarts when an earlier day arrives */
    const int32_t day = tier__day_of(t);
    const int32_t first_day = c->first_buy == INT64_MAX ? INT32_MAX : tier__day_of(c->first_buy);
    if (day < first_day) {
        p->first_day_hi[l] = amount;
        p->first_day_lo[l] = r->amount_lo;
    } else if (day == first_day) {
        add_amount(&p->first_day_hi[l], &p->first_day_lo[l], r);
    }
    prev->on_first_day = day <= first_day;
    /* Every recorded purchase day is at most the last purchase's: a later day is new, that
     * day is known, and only an earlier one (a log out of time order) needs the set. */
    const int32_t last_day = c->last_buy == INT64_MIN ? INT32_MIN : tier__day_of(c->last_buy);
    if (t < c->first_buy)
        c->first_buy = t;
    if (t > c->last_buy)
        c->last_buy = t;
    uint64_t key = tier__day_key(l, day);
    if (key != prev->day_key && day != last_day) {
        int fresh = day > last_day ? tier__dayset_append_new(a, &p->days, key)
                                   : tier__dayset_add(a, &p->days, key);
        if (fresh < 0)
            return TIER_ENOMEM;
        prev->day_key = key;
        if (fresh && bump(&c->n_days, "purchase days", p, l))
            return TIER_ERANGE;
    }
    if (!oh)
        return bump(&c->n_orders, "orders", p, l);
    return same_order ? TIER_OK : count_order(p, a, r, l, ORDER_PURCHASE, &c->n_orders);
}

/* A partition's tables are too large to stay in cache between batches, so each row of a run
 * would stall on a chain of misses: the id's slot, its length and string, the accumulators,
 * the day's slot. Rows ahead are prefetched in stages instead, each stage using what the
 * previous one brought in: the slots (and a long id's text) first, then (the slot names the
 * customer's local number, when its tag matches) the customer's entries (length, first 8
 * bytes, accumulators), then, for ids longer than 8 bytes, the rest of the id string. */
#define AHEAD_SLOTS 16
#define AHEAD_ENTRIES 8
#define AHEAD_STRING 4
/* The run itself: its records were scattered there from the batch, 64 bytes each, so a new
 * 4 KiB page every 64 rows, where the hardware's stream prefetch stops. 128 rows ahead was
 * 2-4% faster than no prefetch, 32 or 64 ahead about half of that. */
#define AHEAD_RECS 128
#if defined(__GNUC__)
#define PREFETCH(addr) __builtin_prefetch(addr)
#else
#define PREFETCH(addr) ((void)(addr))
#endif

static inline void prefetch_slots(const tier__part *p, const tier__rec *r)
{
    tier__strtab_prefetch(&p->ids, r->id_hash);
    if (r->id_len > TIER__ID_INLINE) /* the id itself, in the batch's text */
        PREFETCH(r->id.text);
    /* the sets have an index only once the log asked a question in time order never asks
     * (keyset.h): until then there is nothing to fetch, and no call to make */
    if (r->order_hash && p->orders.index)
        tier__orderset_prefetch(&p->orders, r->order_hash);
}

static inline void prefetch_entries(const tier__part *p, const tier__rec *r)
{
    long l = tier__strtab_peek(&p->ids, r->id_hash);
    if (l < 0)
        return;
    PREFETCH(&p->ids.lens[l]);
    PREFETCH(&p->ids.heads[l]);
    if (r->id_len > 8)
        PREFETCH(&p->ids.strs[l]);
    PREFETCH(&p->cust[l]);
    if (r->amount > 0 && p->days.index)
        tier__dayset_prefetch(&p->days, tier__day_key((uint32_t)l, tier__day_of(r->time)));
}

static inline void prefetch_string(const tier__part *p, const tier__rec *r)
{
    long l = r->id_len > 8 ? tier__strtab_peek(&p->ids, r->id_hash) : -1;
    if (l >= 0)
        PREFETCH(p->ids.strs[l] + 8);
}

/* What the rows to come would bring a count from `before` to `n` in this batch to, at this
 * batch's rate, with a quarter more: a later batch's projection a little above this one
 * would otherwise double the table. Saturated. */
static size_t projected(size_t n, size_t before, double scale)
{
    double v = (double)n + (double)(n - before) * scale * 1.25;
    return v < (double)(SIZE_MAX / 4) ? (size_t)v : SIZE_MAX / 4;
}

/* When the caller expects more rows right after this batch (the CSV loader, from the bytes
 * left in the file), the partition's tables grow now, once, for what those rows would add
 * at this batch's rate of new customers, orders and days, instead of doubling as they fill:
 * each doubling copied a table into new memory and faulted its pages in again (a load of 4M
 * rows, 1M customers: 10% faster at 1 thread, 8% at 2). The capacity is a guess: room never
 * used is never touched, a table whose rate slows just has room left, one whose rate grows
 * goes on doubling, and a failure to reserve is not an error. Not for the set indexes and
 * the id slots, which are touched all over as they fill. */
static void reserve_ahead(tier_dataset *ds, tier__part *p, const tier__batch *b, size_t n0,
                          size_t orders0, size_t days0)
{
    const double scale = (double)b->rows_after / (double)b->n;
    size_t customers = projected(p->ids.n, n0, scale);
    customers = customers < TIER__LOCAL_MAX ? customers : TIER__LOCAL_MAX;
    if (customers > p->cap && tier__part_reserve(ds, p, customers) == TIER_OK)
        tier__strtab_reserve_entries(&p->ids, customers);
    if (!p->orders.index)
        tier__orderset_reserve(&ds->alloc, &p->orders, projected(p->orders.n, orders0, scale));
    if (!p->days.index)
        tier__dayset_reserve(&ds->alloc, &p->days, projected(p->days.n, days0, scale));
}

/* Step 3 for one partition: its run, in batch order. */
static int aggregate_partition(void *ctx, size_t part)
{
    add_job *job = ctx;
    tier__part *p = &job->ds->parts[part];
    const tier__rec *run = job->run[part];
    const size_t n = job->run_n[part];
    prev_txn prev = { 0, 0, 0, 0, 0, 0, 0 };
    const tier__rec *prev_id = NULL;
    const size_t n0 = p->ids.n, orders0 = p->orders.n, days0 = p->days.n;
    uint32_t l = 0;
    int rc = TIER_OK;
    for (size_t k = 0; k < n && !rc; k++) {
        const tier__rec *r = &run[k];
        if (k + AHEAD_RECS < n)
            PREFETCH(&run[k + AHEAD_RECS]);
        if (k + AHEAD_SLOTS < n)
            prefetch_slots(p, &run[k + AHEAD_SLOTS]);
        if (k + AHEAD_ENTRIES < n)
            prefetch_entries(p, &run[k + AHEAD_ENTRIES]);
        if (k + AHEAD_STRING < n)
            prefetch_string(p, &run[k + AHEAD_STRING]);
        if (!prev_id || !same_customer(r, prev_id)) {
            const char *id = tier__rec_id_text(r);
            size_t slot;
            long found = tier__strtab_lookup(&p->ids, id, r->id_len, r->id_hash, &slot);
            if (found >= 0) { /* the usual case, inline */
                l = (uint32_t)found;
            } else { /* a new customer, where the lookup stopped */
                rc = tier__part_reserve(job->ds, p, p->ids.n + 1);
                if (!rc)
                    rc = tier__strtab_insert(&p->ids, id, r->id_len, r->id_hash, slot, &l);
                if (rc)
                    break;
                tier__part_init_local(p, l);
                job->new_local[r->row] = where_code(part, l) + 1;
            }
            prev_id = r;
        }
        if (job->local)
            job->local[r->row] = where_code(part, l);
        rc = apply_txn(job, p, r, l, &prev);
    }
    if (rc)
        snprintf(job->errors[part], ERROR_CAP, "%s", tier_last_error());
    else if (job->b->rows_after)
        reserve_ahead(job->ds, p, job->b, n0, orders0, days0);
    return rc;
}

static void free_job(const tier__alloc *a, add_job *job)
{
    tier__free(a, job->id_hash);
    tier__free(a, job->slice_count);
    tier__free(a, job->slice_min);
    tier__free(a, job->slice_max);
    tier__aligned_free(a, &job->recs);
    tier__free(a, job->new_local);
    tier__free(a, job->local);
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
    int ok = 1;
    if (b->runs) {
        memcpy(job->run, b->runs, sizeof job->run);
        memcpy(job->run_n, b->run_n, sizeof job->run_n);
    } else {
        job->n_slices = (b->n + HASH_SLICE - 1) / HASH_SLICE;
        job->id_hash = tier__malloc(a, b->n * sizeof *job->id_hash);
        job->slice_count = tier__calloc(a, job->n_slices * TIER__PARTS, sizeof *job->slice_count);
        job->slice_min = tier__malloc(a, job->n_slices * sizeof *job->slice_min);
        job->slice_max = tier__malloc(a, job->n_slices * sizeof *job->slice_max);
        ok = job->id_hash && job->slice_count && job->slice_min && job->slice_max &&
             tier__aligned_resize(a, &job->recs, b->n * sizeof(tier__rec), 0) == TIER_OK;
    }
    job->new_local = tier__calloc(a, b->n, sizeof *job->new_local);
    if (b->n_cat || b->n_num)
        job->local = tier__malloc(a, b->n * sizeof *job->local);
    if (!ok || !job->new_local || ((b->n_cat || b->n_num) && !job->local)) {
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
        if (job->new_local[i]) {
            uint32_t w = job->new_local[i] - 1;
            tier__dataset_assign_row(ds, tier__where_part(w), tier__where_local(w));
        }
    int rc = TIER_OK;
    for (size_t i = 0; i < done && job->local && !rc; i++) {
        uint32_t w = job->local[i];
        const tier__part *p = &ds->parts[tier__where_part(w)];
        rc = tier__dataset_take_attributes(ds, b, i, p->global[tier__where_local(w)], cat_cols, num_cols, 1);
    }
    int64_t lo = b->runs ? b->min_time : INT64_MAX, hi = b->runs ? b->max_time : INT64_MIN;
    for (size_t s = 0; s < job->n_slices; s++) {
        lo = job->slice_min[s] < lo ? job->slice_min[s] : lo;
        hi = job->slice_max[s] > hi ? job->slice_max[s] : hi;
    }
    if (done) {
        ds->min_time = lo < ds->min_time ? lo : ds->min_time;
        ds->max_time = hi > ds->max_time ? hi : ds->max_time;
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
    int rc;
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
    unsigned threads = b->n < PARALLEL_MIN ? 1 : b->threads ? b->threads : ds->n_threads;
    if (!b->runs) {
        unsigned slice_threads = tier__threads(threads, job->n_slices);
        tier__parallel_for(slice_threads, job->n_slices, hash_slice, job);
        place_slices(job);
        tier__parallel_for(slice_threads, job->n_slices, scatter_slice, job);
    }
    rc = tier__parallel_for_offered(b->desk, tier__threads(threads, TIER__PARTS), TIER__PARTS,
                                    aggregate_partition, job);
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
