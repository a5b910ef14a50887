/* Private: the fast path into a tier_dataset used by the CSV loader (no per-field copies:
 * string views point into the parse buffer), and helpers for building partial datasets on
 * worker threads and merging them in order. */
#ifndef TIER_INTERNAL_DATASET_H
#define TIER_INTERNAL_DATASET_H

#include "tier/dataset.h"
#include "alloc.h"
#include "strtab.h"

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

/* A batch of parsed transactions, columnar. All arrays have `n` entries. */
typedef struct tier__batch {
    size_t n;
    const tier__sv *ids;          /* non-empty customer ids */
    const uint64_t *id_hashes;    /* NULL, or tier__hash_bytes of each id (the CSV parser
                                     computes them while the id is in cache) */
    const int64_t *times;         /* seconds since the epoch */
    const double *amounts;        /* finite */
    const tier__sv *orders;       /* NULL, or views with n == 0 meaning "no order id" */
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
