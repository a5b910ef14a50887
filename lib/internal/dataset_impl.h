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
    FEAT_REPEAT_COUNT, FEAT_T_X, FEAT_T, N_FEATURES
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

struct tier_dataset {
    tier__alloc alloc;
    unsigned n_threads;

    tier__strtab ids;     /* customer id <-> row */
    size_t n_rows, cap_rows;

    /* per-customer state: one cache line per customer, because transactions update customers
     * in random order and one line is one memory access (capacity cap_rows) */
    tier__cust *cust;     /* 64-byte aligned inside cust_block */
    void *cust_block;
    uint32_t *n_returns;  /* cold: touched by returns only */

    tier__orderset orders;
    tier__dayset days;

    uint64_t n_txn;
    int64_t min_time, max_time;

    tier__column *cols;   /* features first (N_FEATURES), then attributes / set columns */
    size_t n_cols, cap_cols;

    int stale;            /* features out of date */
    int64_t as_of;        /* TIER_AS_OF_AUTO before the first computation */
};

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
/* Double-double accumulation: (*hi, *lo) += a, exactly while the sum fits 106 bits. */
static inline void tier__dd_add(double *hi, double *lo, double a)
{
    double s = *hi + a;
    double bp = s - *hi;
    double e = (*hi - (s - bp)) + (a - bp);
    *hi = s;
    *lo += e;
}
void tier__dataset_free_column(tier_dataset *ds, tier__column *c);

#endif
