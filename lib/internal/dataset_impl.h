/* Private: the layout of struct tier_dataset, shared by dataset.c (building, features, columns),
 * dataset_merge.c and dataset_io.c (save/load). Nothing outside those files may include it. */
#ifndef TIER_INTERNAL_DATASET_IMPL_H
#define TIER_INTERNAL_DATASET_IMPL_H

#include "dataset.h"
#include "keyset.h"
#include "strtab.h"

/* Feature columns, always the first columns of a dataset, in this order. */
enum {
    FEAT_RECENCY, FEAT_FREQUENCY, FEAT_MONETARY, FEAT_AVG_ORDER_VALUE, FEAT_FIRST_PURCHASE,
    FEAT_LAST_PURCHASE, FEAT_TENURE, FEAT_PURCHASE_DAYS, FEAT_RETURNS, FEAT_RETURNS_VALUE,
    FEAT_REPEAT_COUNT, FEAT_T_X, FEAT_T, FEAT_REPEAT_SPEND, N_FEATURES
};

extern const char *const tier__feature_names[N_FEATURES];

/* Where a column's values come from; decides how merges combine them. */
typedef enum col_source {
    SRC_FEATURE = 0, /* computed by tier_dataset_compute_features */
    SRC_TXN = 1,     /* attribute of transactions: latest time wins */
    SRC_JOIN = 2,    /* joined by customer id */
    SRC_SET = 3      /* set whole by the caller (scores, segments) */
} col_source;

/* Order flags in the order set. */
#define ORDER_PURCHASE 1u
#define ORDER_RETURN 2u

/* Per-customer accumulators, 64 bytes. */
typedef struct tier__cust {
    int64_t first_seen;   /* first transaction of any kind */
    int64_t first_buy;    /* INT64_MAX when no purchase */
    int64_t last_buy;     /* INT64_MIN when no purchase */
    double net_hi, net_lo; /* net spend, double-double */
    double ret_hi, ret_lo; /* value returned (positive), double-double */
    uint32_t n_orders, n_days;
} tier__cust;

typedef struct tier__column {
    char *name;
    tier_column_type type;
    col_source source;
    double *num;          /* numeric values (capacity cap_rows; features: n_rows) */
    int32_t *codes;       /* categorical codes (capacity cap_rows) */
    tier__strtab dict;    /* categorical dictionary */
    int64_t *seen;        /* SRC_TXN: time of the transaction the value came from */
} tier__column;

/* Customers live in TIER__PARTS partitions chosen by the top bits of their id hash. Each
 * partition owns its id table, accumulators and order/day sets, indexed by a local number, so a
 * large batch is aggregated on several threads at once, one partition per task. Global rows
 * (the public row numbers, in order of first appearance) map to (partition, local) through
 * `where`. The partition count is fixed, so results never depend on the thread count. */
#define TIER__LOCAL_BITS 26
#define TIER__LOCAL_MAX ((1u << TIER__LOCAL_BITS) - 1u)

typedef struct tier__part {
    tier__strtab ids;       /* customer id <-> local number (ids.hashes[local] is the id hash) */
    uint32_t *global;       /* local -> global row */
    tier__cust *cust;       /* local -> accumulators: cust_block.data */
    tier__aligned cust_block;
    uint32_t *n_returns;    /* cold: touched by returns only */
    double *first_day_hi;   /* purchases on the first purchase day, double-double */
    double *first_day_lo;
    size_t cap;             /* capacity of global, cust and n_returns */
    tier__orderset orders;  /* (order-id hash, local) */
    uint64_t order_serial_max; /* largest order serial (dataset_add.c) recorded in `orders`;
                                  UINT64_MAX when unknown (entries read from a file) */
    tier__dayset days;      /* (local, UTC day) */
} tier__part;

/* Lazily filled feature columns (dataset_features.c). */
typedef struct tier__features tier__features;
int tier__features_new(tier__features **out, const tier__alloc *a);
void tier__features_free(tier__features *f, const tier__alloc *a);

struct tier_dataset {
    tier__alloc alloc;
    unsigned n_threads;
    tier__features *features; /* which feature columns hold values at as_of */

    tier__part parts[TIER__PARTS];
    uint32_t *where;      /* global row -> partition << TIER__LOCAL_BITS | local */
    size_t n_rows, cap_rows;

    uint64_t n_txn;
    int64_t min_time, max_time;

    tier__column *cols;   /* features first (N_FEATURES), then attributes / set columns */
    size_t n_cols, cap_cols;

    int stale;            /* features out of date (set by anything that changes customers) */
    int64_t as_of;        /* TIER_AS_OF_AUTO before the first computation */
};

static inline size_t tier__where_part(uint32_t w) { return w >> TIER__LOCAL_BITS; }
static inline size_t tier__where_local(uint32_t w) { return w & TIER__LOCAL_MAX; }

/* The accumulators and returns counter of global row r. */
static inline tier__cust *tier__row_cust(const tier_dataset *ds, size_t r)
{
    uint32_t w = ds->where[r];
    return &ds->parts[tier__where_part(w)].cust[tier__where_local(w)];
}
static inline uint32_t *tier__row_returns(const tier_dataset *ds, size_t r)
{
    uint32_t w = ds->where[r];
    return &ds->parts[tier__where_part(w)].n_returns[tier__where_local(w)];
}
static inline const char *tier__row_id(const tier_dataset *ds, size_t r)
{
    uint32_t w = ds->where[r];
    return tier__strtab_get(&ds->parts[tier__where_part(w)].ids, tier__where_local(w));
}

static inline int32_t tier__day_of(int64_t t)
{
    int64_t d = t / 86400;
    if (t % 86400 < 0)
        d--;
    return (int32_t)d;
}

/* Feature column k at as_of, filled on first use (features must not be stale). Returns
 * TIER_OK or TIER_ENOMEM. Safe to call from several threads at once. */
int tier__dataset_feature(const double **values, const tier_dataset *ds, size_t k);

/* Global row of a customer id, or -1. */
long tier__dataset_find_row(const tier_dataset *ds, const char *id, size_t len);
/* Validates transaction i (non-empty id, finite amount, time in years 0..9999); the message
 * names the index and the customer. Shared by the array API and the batch path. */
int tier__check_transaction(size_t i, const char *id, size_t id_len, int64_t t, double amount);
/* Makes room for `need` locals in partition `p`. */
int tier__part_reserve(tier_dataset *ds, tier__part *p, size_t need);
/* Initialises local `l` of a partition (no purchase, zero sums). */
void tier__part_init_local(tier__part *p, size_t l);
/* Initialises the non-feature column values of global row r (missing). */
void tier__dataset_init_row_columns(tier_dataset *ds, size_t r);
/* Records a new global row for (partition p, local l); rows must have been reserved. */
void tier__dataset_assign_row(tier_dataset *ds, size_t p, size_t l);
/* Releases a partition's storage. */
void tier__part_free(tier_dataset *ds, tier__part *p);
/* Resolves batch attribute columns (at most MAX per kind), creating them. */
#define TIER__MAX_BATCH_ATTRIBUTES 64
int tier__dataset_batch_attributes(tier_dataset *ds, const tier__batch *b, size_t *cat_cols,
                                   size_t *num_cols, col_source source);
/* Sets the attribute values of batch row i on global row r (by_time: only if not older than
 * the value held). */
int tier__dataset_take_attributes(tier_dataset *ds, const tier__batch *b, size_t i, size_t r,
                                  const size_t *cat_cols, const size_t *num_cols, int by_time);


/* Grows per-row arrays (state and non-feature columns) to hold `need` rows. */
int tier__dataset_reserve_rows(tier_dataset *ds, size_t need);
/* Finds or creates the customer `id` and returns its row (new rows are initialised). */
int tier__dataset_customer(tier_dataset *ds, const char *id, size_t len, uint32_t *row);
/* Column index by name, or -1. */
long tier__dataset_find_column(const tier_dataset *ds, const char *name);
/* Finds or creates an attribute column of a type and source; errors on type mismatch. */
int tier__dataset_attribute(tier_dataset *ds, const char *name, tier_column_type type,
                            col_source source, size_t *index);
/* Interns a category of column `c`, returning its code. */
int tier__dataset_category(tier__column *c, const char *s, size_t len, int32_t *code);
/* Checks a column name. */
int tier__dataset_check_name(const char *name);
void tier__dataset_free_column(tier_dataset *ds, tier__column *c);

#endif
