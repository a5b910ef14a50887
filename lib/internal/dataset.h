/* Private: the fast path into a tier_dataset used by the CSV loader (no per-field copies:
 * string views point into the parse buffer), and helpers for building partial datasets on
 * worker threads and merging them in order. */
#ifndef TIER_INTERNAL_DATASET_H
#define TIER_INTERNAL_DATASET_H

#include "tier/dataset.h"
#include "alloc.h"
#include "compiler.h"
#include "strtab.h"

struct tier__help_desk;

/* A string view; not NUL-terminated. */
typedef struct tier__sv {
    const char *p;
    size_t n;
} tier__sv;

/* Whether two views hold the same bytes (consecutive rows repeat ids, orders and times). */
static inline int tier__sv_equal(tier__sv a, tier__sv b)
{
    return a.n == b.n && tier__bytes_equal(a.p, b.p, a.n);
}

/* Double-double accumulation: (*hi, *lo) += a, exactly while the sum fits 106 bits. */
static inline void tier__dd_add(double *hi, double *lo, double a)
{
    double s = *hi + a;
    double bp = s - *hi;
    double e = (*hi - (s - bp)) + (a - bp);
    *hi = s;
    *lo += e;
}

/* Customers live in TIER__PARTS partitions chosen by the top bits of their id hash (see
 * dataset_impl.h); a batch is aggregated partition by partition. */
#define TIER__PART_BITS 6
#define TIER__PARTS (1u << TIER__PART_BITS)

static inline size_t tier__part_of(uint64_t id_hash) { return (size_t)(id_hash >> (64 - TIER__PART_BITS)); }

/* One transaction as the aggregation reads it, in its partition's run: one row, or several
 * consecutive lines of one purchase (same customer, order and time, every amount > 0) that
 * the CSV parser added up as it read them (about half the rows of a log are such lines).
 * Ids of up to TIER__ID_INLINE bytes are copied in, so comparing and interning them never
 * touches the batch's text; a longer id is pointed to. Filled by tier__rec_id and
 * tier__rec_order. */
#define TIER__ID_INLINE 8
typedef struct tier__rec {
    uint64_t id_hash;      /* tier__hash_bytes of the id */
    uint64_t order_hash;   /* 0 = no order id, or a free item; else the order id's hash | 1 */
    uint64_t order_serial; /* see tier__order_serial() */
    int64_t time;
    double amount;         /* the amount, or the lines' sum rounded to a double... */
    double amount_lo;      /* ...and what that rounding left: amount + amount_lo is exact */
    uint32_t id_len;
    uint32_t row;          /* batch row (of the first line) */
    union {
        char inl[TIER__ID_INLINE]; /* id_len <= TIER__ID_INLINE */
        const char *text;          /* a longer id, in the batch's text */
    } id;
} tier__rec;
/* Runs are line-aligned (tier__aligned), so a record is one cache line. */
_Static_assert(sizeof(tier__rec) == 64, "a record fills one cache line");

/* The id of a record. */
static inline const char *tier__rec_id_text(const tier__rec *r)
{
    return r->id_len <= TIER__ID_INLINE ? r->id.inl : r->id.text;
}

/* An order id of 1 to 18 decimal digits, as a number + 1; 0 for any other id. Invoice
 * numbers usually grow with time, so in a time-ordered log a new order's number is above
 * every number recorded before, which proves it new without looking it up (dataset_add.c). */
static inline uint64_t tier__order_serial(tier__sv id)
{
    if (id.n == 0 || id.n > 18)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < id.n; i++) {
        unsigned d = (unsigned char)id.p[i] - (unsigned)'0';
        if (d > 9)
            return 0;
        v = v * 10 + d;
    }
    return v + 1;
}

/* The last order id hashed while filling records in row order: the lines of one order repeat
 * its id, and its hash is reused. Start with {0}. */
typedef struct tier__order_memo {
    tier__sv id;
    uint64_t hash, serial;
} tier__order_memo;

/* The order fields of a record: an order counts only with an id and a non-zero amount. */
TIER__ALWAYS_INLINE void tier__rec_order(tier__rec *r, tier__order_memo *m, tier__sv order, double amount)
{
    if (order.n == 0 || amount == 0.0) {
        r->order_hash = 0;
        r->order_serial = 0;
        return;
    }
    if (!m->id.p || !tier__sv_equal(order, m->id)) {
        m->id = order;
        m->hash = tier__hash_bytes(order.p, order.n) | 1;
        m->serial = tier__order_serial(order);
    }
    r->order_hash = m->hash;
    r->order_serial = m->serial;
}

/* The id fields of a record: an id of up to TIER__ID_INLINE bytes is copied with fixed-size
 * moves (a call to memcpy with a variable length cost more than the rest of a row's
 * scatter), reading only within the id; a longer one is pointed to, and must stay where it
 * is until the batch is added. */
TIER__ALWAYS_INLINE void tier__rec_id(tier__rec *r, tier__sv id, uint64_t id_hash, size_t row)
{
    const char *p = id.p;
    size_t n = id.n;
    r->id_hash = id_hash;
    r->id_len = (uint32_t)n;
    r->row = (uint32_t)row;
    if (n == 8) {
        memcpy(r->id.inl, p, 8);
    } else if (n > 8) {
        r->id.text = p;
    } else if (n >= 4) {
        memcpy(r->id.inl, p, 4);
        memcpy(r->id.inl + n - 4, p + n - 4, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            r->id.inl[i] = p[i];
    }
}

/* A batch of parsed transactions, columnar. All arrays have `n` entries.
 *
 * The transactions come either as columns (times, amounts, orders), which
 * tier__dataset_add_batch hashes and scatters into partition runs itself, or already as runs
 * (runs != NULL: the CSV parser writes each row's record to its partition as it parses, while
 * the row's text is in cache). */
typedef struct tier__batch {
    size_t n;
    const tier__sv *ids;          /* non-empty customer ids (with runs: NULL, unless the batch
                                     is a join's; the records hold or point to their ids) */
    const int64_t *times;         /* seconds since the epoch (with runs: NULL unless the batch
                                     has attribute columns) */
    const double *amounts;        /* finite (without runs) */
    const tier__sv *orders;       /* without runs: NULL, or views with n == 0 meaning "no order id" */
    const tier__rec *const *runs; /* NULL, or TIER__PARTS runs in batch order, together
                                     holding rows 0..n-1 once each; a record of several lines
                                     stands for them all, under its first row's number (a
                                     batch with attribute columns has one record per row) */
    const size_t *run_n;          /* with runs: records in each run */
    int64_t min_time, max_time;   /* with runs: the earliest and latest time */
    size_t rows_after;            /* rows the caller expects to add right after this batch
                                     (0: unknown); see reserve_ahead in dataset_add.c */
    unsigned threads;             /* threads for the aggregation; 0 = the dataset's setting */
    struct tier__help_desk *desk; /* NULL, or where the aggregation's partition tasks are
                                     offered to the caller's idle threads (pool.h) */
    size_t n_cat;                 /* categorical attribute columns from the transactions */
    const char *const *cat_names; /* n_cat column names */
    const tier__sv *const *cat_values; /* n_cat arrays of n views; p == NULL means missing */
    size_t n_num;                 /* numeric attribute columns from the transactions */
    const char *const *num_names;
    const double *const *num_values; /* n_num arrays of n values; NaN means missing */
} tier__batch;

/* Adds a batch (as tier_dataset_add_transactions does). Every row must pass
 * tier__check_transaction: callers check rows as they build a batch (the CSV parser, row by
 * row, so that the message can name the line), and a second pass here would be a serial pass
 * over every row of a load. Attribute columns are created on first
 * use; an attribute takes the value of the customer's latest transaction (equal times: later
 * row wins). On ENOMEM the dataset may hold part of the batch: callers that must leave the
 * target unchanged add to a scratch dataset and tier__dataset_absorb() it. */
int tier__dataset_add_batch(tier_dataset *ds, const tier__batch *b);

/* Joins attribute values by customer id (the batch's ids, cat_* and num_* are used; times and
 * amounts are ignored and may be NULL). Unknown ids are skipped and counted in *unmatched. */
int tier__dataset_join_batch(size_t *unmatched, tier_dataset *ds, const tier__batch *b);

/* Creates an empty dataset with ds's allocator and thread setting. */
int tier__dataset_new_like(tier_dataset **out, const tier_dataset *ds);

/* Merges `part` into `ds` and frees `part` (also on failure). When ds has no customers and
 * no columns beyond the features, part's storage is moved instead of copied. */
int tier__dataset_absorb(tier_dataset *ds, tier_dataset *part);

const tier__alloc *tier__dataset_alloc(const tier_dataset *ds);
unsigned tier__dataset_threads(const tier_dataset *ds);

/* Calls fn(ctx, row, day) once for every distinct (customer row, UTC purchase day) pair the
 * dataset has seen, in no particular order (day = days since 1970-01-01). Stops at and returns
 * the first non-zero value fn returns. This is what time-bucketed summaries ("customers who
 * bought, per month") are computed from: the dataset keeps purchase days, not transactions. */
int tier__dataset_purchase_days(const tier_dataset *ds, int (*fn)(void *ctx, size_t row, int32_t day),
                                void *ctx);

/* Whether prefix[0..prefix_len) followed by `name` spells a feature column's name (feature
 * columns cannot be replaced, so scorers refuse such output names up front). */
int tier__is_feature_name(const char *prefix, size_t prefix_len, const char *name);

/* Normalises a customer id view: trims ASCII spaces; "17850.0" / "17850.000" → "17850". */
tier__sv tier__normalize_id(tier__sv id);

#endif
