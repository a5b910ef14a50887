/**
 * @file dataset.h
 * @brief tier_dataset: one row of behaviour features per customer, built from transactions.
 *
 * A dataset accumulates transactions (from C arrays or CSV files, in any number of batches) into
 * per-customer state, and fixes feature columns at an explicit analysis instant with
 * tier_dataset_compute_features(). Scorers and rule sets read its columns and add their own.
 *
 * @par Rows
 * Rows are customers in order of first appearance. tier_dataset_merge() appends the second
 * dataset's new customers after the first's, so splitting a log in order and merging the parts
 * reproduces the whole log's row order.
 *
 * @par Transactions
 * A transaction is (customer id, time, amount[, order id]). Times are seconds since the Unix
 * epoch (UTC). An amount > 0 is a purchase; an amount < 0 is a return or cancellation, which
 * reduces monetary value and never counts as a purchase; an amount of 0 (a free item) changes no
 * money feature and counts as neither. Transactions may arrive in any time order.
 *
 * @par Feature columns (numeric, always present, in this order)
 * | name | meaning |
 * |---|---|
 * | `recency` | days from the last purchase to `as_of` |
 * | `frequency` | distinct orders with a purchase (without order ids: purchase rows) |
 * | `monetary` | net spend: sum of all amounts, returns subtracting |
 * | `avg_order_value` | monetary / frequency |
 * | `first_purchase` | time of the first purchase, seconds since the epoch |
 * | `last_purchase` | time of the last purchase, seconds since the epoch |
 * | `tenure` | days from the customer's first transaction of any kind to `as_of` |
 * | `purchase_days` | distinct UTC calendar days with a purchase |
 * | `returns` | distinct orders with a return (without order ids: return rows) |
 * | `returns_value` | total value returned, as a positive number |
 * | `repeat_count` | purchase_days − 1 (repeat purchases, same-day purchases merged) |
 * | `t_x` | days from the first to the last purchase day's purchase |
 * | `T` | days from the first purchase to `as_of` |
 * | `repeat_spend` | mean value of a repeat purchase day: purchases (gross of returns) after the first purchase day, divided by repeat_count — the spend input of the Gamma-Gamma model |
 *
 * A customer with no purchase has NaN for `recency`, `avg_order_value`, `first_purchase`,
 * `last_purchase`, `repeat_count`, `t_x` and `T`, and 0 for the counts; `repeat_spend` is NaN
 * unless the customer bought on at least two days. Monetary sums are
 * accumulated in double-double arithmetic, so they do not depend on the order in which
 * transactions arrive or on how a log was split before tier_dataset_merge() (exactly so for any
 * amounts whose binary digits span fewer than 106 bits, which covers all money data).
 *
 * @par Attribute columns
 * Numeric (double, NaN when missing) or categorical (int32 codes into a dictionary, code -1 when
 * missing). They come from transaction files (value of the customer's latest transaction; on
 * equal times, the one added later) or are joined by customer id from arrays or files.
 *
 * @par Threads
 * A dataset may be read from many threads at once. Any mutating call needs external locking.
 */
#ifndef TIER_DATASET_H
#define TIER_DATASET_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An opaque set of customers with their feature and attribute columns. */
typedef struct tier_dataset tier_dataset;

/** Column types. */
typedef enum tier_column_type {
    TIER_COLUMN_NUMERIC = 1,     /**< `double` per row, NaN when missing. */
    TIER_COLUMN_CATEGORICAL = 2  /**< `int32_t` code per row into a dictionary, -1 when missing. */
} tier_column_type;

/** The categorical code of a missing value. */
#define TIER_MISSING_CODE (-1)

/** Options for tier_dataset_new(). */
typedef struct tier_dataset_options {
    /** Must be ::TIER_DATASET_OPTIONS_VERSION (or an older version number). */
    unsigned int version;
    /** Allocator for the dataset and everything derived from it; NULL for the C library's. */
    const tier_allocator *allocator;
    /** Worker threads for parallel loading and computation; 0 = all cores. Results never depend
     *  on it. */
    unsigned int n_threads;
} tier_dataset_options;

/** Current version of ::tier_dataset_options. */
#define TIER_DATASET_OPTIONS_VERSION 1
/** Static initialiser for ::tier_dataset_options with default values. */
#define TIER_DATASET_OPTIONS_INIT { TIER_DATASET_OPTIONS_VERSION, NULL, 0 }

/**
 * @brief Initialises @p opts with default values, as ::TIER_DATASET_OPTIONS_INIT does.
 * @param opts Caller-owned struct to fill.
 * @param version ::TIER_DATASET_OPTIONS_VERSION.
 * @return ::TIER_OK, ::TIER_EINVAL if @p opts is NULL, ::TIER_EVERSION for an unknown version.
 */
TIER_API int tier_dataset_options_init(tier_dataset_options *opts, unsigned int version);

/**
 * @brief Creates an empty dataset.
 * @param out Receives the new dataset, owned by the caller (release with tier_dataset_free()).
 *            Set to NULL on failure.
 * @param opts Options, or NULL for defaults. Borrowed for the call only.
 * @return ::TIER_OK, ::TIER_EINVAL, ::TIER_EVERSION or ::TIER_ENOMEM.
 */
TIER_API int tier_dataset_new(tier_dataset **out, const tier_dataset_options *opts);

/**
 * @brief Releases a dataset and every column it owns.
 * @param ds The dataset, or NULL (then nothing happens). Pointers borrowed from it become
 *        invalid.
 */
TIER_API void tier_dataset_free(tier_dataset *ds);

/**
 * @brief Adds a batch of transactions, creating customers as they first appear.
 *
 * Updates per-customer state only; the feature columns become stale until the next
 * tier_dataset_compute_features(). Every entry is validated before any is added, so invalid
 * input adds nothing; after ::TIER_ENOMEM the dataset is valid but may hold part of the batch.
 * Times must lie in years 0..9999.
 *
 * @param ds The dataset.
 * @param n Number of transactions (0 is allowed and does nothing).
 * @param customer_ids @p n NUL-terminated customer ids, none NULL or empty. Borrowed: the
 *        dataset copies them.
 * @param times @p n instants in seconds since the Unix epoch (UTC).
 * @param amounts @p n amounts; must be finite.
 * @param order_ids NULL, or @p n NUL-terminated order ids (NULL or "" entries mean "no order":
 *        the row counts as its own order). Borrowed.
 * @return ::TIER_OK; ::TIER_EINVAL for a NULL or empty id or NULL array; ::TIER_ERANGE for a
 *         non-finite amount or a time outside years 0..9999 (the message gives the index and
 *         the customer); ::TIER_ENOMEM.
 */
TIER_API int tier_dataset_add_transactions(tier_dataset *ds, size_t n,
                                           const char *const *customer_ids,
                                           const int64_t *times, const double *amounts,
                                           const char *const *order_ids);

/**
 * @brief Fixes the feature columns at the analysis instant @p as_of.
 *
 * Checks every customer's totals and records @p as_of; each feature column is then computed
 * when it is first read (tier_dataset_numeric()), so a caller that reads three features does
 * not pay for fourteen. Values never depend on which columns were read, in which order, or on
 * how many threads read them.
 *
 * @param ds The dataset.
 * @param as_of Seconds since the epoch, or ::TIER_AS_OF_AUTO for one day (86,400 s) after the
 *        latest transaction. The value used is readable with tier_dataset_as_of().
 * @return ::TIER_OK; ::TIER_EINVAL if @p as_of is earlier than the latest transaction (the
 *         message gives both instants); ::TIER_EEMPTY with ::TIER_AS_OF_AUTO on a dataset without
 *         transactions; ::TIER_ERANGE if a customer's total overflows a double (the message
 *         names the customer; features stay stale); ::TIER_ENOMEM.
 */
TIER_API int tier_dataset_compute_features(tier_dataset *ds, int64_t as_of);

/**
 * @brief The analysis instant of the current feature columns.
 * @param ds The dataset (NULL gives ::TIER_AS_OF_AUTO).
 * @return Seconds since the epoch, or ::TIER_AS_OF_AUTO if features were never computed.
 */
TIER_API int64_t tier_dataset_as_of(const tier_dataset *ds);

/**
 * @brief Whether feature columns are out of date (transactions were added or merged since the
 *        last tier_dataset_compute_features()).
 * @param ds The dataset (NULL counts as stale).
 * @return 1 if stale, 0 if the feature columns are current.
 */
TIER_API int tier_dataset_is_stale(const tier_dataset *ds);

/**
 * @brief Number of customers (rows).
 * @param ds The dataset (NULL gives 0).
 * @return The number of rows; every column has this many values.
 */
TIER_API size_t tier_dataset_size(const tier_dataset *ds);

/**
 * @brief Number of transactions added so far (all batches, all sources, merges included).
 * @param ds The dataset (NULL gives 0).
 * @return The count.
 */
TIER_API uint64_t tier_dataset_transaction_count(const tier_dataset *ds);

/**
 * @brief The id of the customer in row @p row.
 * @param ds The dataset.
 * @param row A row number below tier_dataset_size().
 * @return A string owned by the dataset, valid until the dataset is freed; NULL if @p row is out
 *         of range.
 */
TIER_API const char *tier_dataset_customer_id(const tier_dataset *ds, size_t row);

/**
 * @brief Finds a customer's row in O(1).
 * @param row Receives the row.
 * @param ds The dataset.
 * @param customer_id NUL-terminated id. Borrowed.
 * @return ::TIER_OK or ::TIER_ENOTFOUND (no error message is set for a plain miss).
 */
TIER_API int tier_dataset_find(size_t *row, const tier_dataset *ds, const char *customer_id);

/**
 * @brief Number of columns (features first, then attributes and added columns).
 * @param ds The dataset (NULL gives 0).
 * @return The count.
 */
TIER_API size_t tier_dataset_column_count(const tier_dataset *ds);

/**
 * @brief The name of column @p index.
 * @param ds The dataset.
 * @param index A column index below tier_dataset_column_count().
 * @return A string owned by the dataset, valid until the column is replaced or the dataset is
 *         freed; NULL if @p index is out of range.
 */
TIER_API const char *tier_dataset_column_name(const tier_dataset *ds, size_t index);

/**
 * @brief The type of a named column.
 * @param type Receives the type.
 * @param ds The dataset.
 * @param name Column name. Borrowed.
 * @return ::TIER_OK or ::TIER_ENOTFOUND (message suggests the closest name).
 */
TIER_API int tier_dataset_column_type(tier_column_type *type, const tier_dataset *ds,
                                      const char *name);

/**
 * @brief Borrows a numeric column.
 * @param values Receives tier_dataset_size() doubles owned by the dataset, valid until the next
 *        mutating call on @p ds; NULL on failure.
 * @param ds The dataset.
 * @param name Column name. Borrowed.
 * A feature column is computed on its first read after tier_dataset_compute_features() (on
 * the dataset's threads); later reads return the same array. Several threads may read at once:
 * the first reader of a column computes it and the others wait for it.
 *
 * @return ::TIER_OK; ::TIER_ENOTFOUND (message suggests the closest name); ::TIER_ETYPE for a
 *         categorical column; ::TIER_ESTALE for a feature column while features are stale;
 *         ::TIER_ENOMEM if a feature column's first read cannot allocate it (a later read
 *         tries again).
 */
TIER_API int tier_dataset_numeric(const double **values, const tier_dataset *ds,
                                  const char *name);

/**
 * @brief Borrows a categorical column and its dictionary.
 * @param ds The dataset.
 * @param name Column name. Borrowed.
 * @param codes Receives tier_dataset_size() codes (::TIER_MISSING_CODE or an index into the
 *        dictionary), owned by the dataset, valid until the next mutating call on @p ds.
 * @param dictionary Receives the category names, owned by the dataset, valid as @p codes. May be
 *        NULL if not wanted.
 * @param n_categories Receives the dictionary size. May be NULL.
 * @return ::TIER_OK, ::TIER_ENOTFOUND or ::TIER_ETYPE.
 */
TIER_API int tier_dataset_categorical(const int32_t **codes, const char *const **dictionary,
                                      size_t *n_categories, const tier_dataset *ds,
                                      const char *name);

/**
 * @brief Adds or replaces a numeric column computed by the caller (e.g. a score).
 * @param ds The dataset.
 * @param name Column name: 1–255 bytes of UTF-8 without control characters. Feature column
 *        names are reserved. Borrowed.
 * @param values tier_dataset_size() doubles (NaN = missing), copied. Borrowed.
 * @return ::TIER_OK, ::TIER_EINVAL (bad or reserved name) or ::TIER_ENOMEM.
 */
TIER_API int tier_dataset_set_numeric(tier_dataset *ds, const char *name, const double *values);

/**
 * @brief Adds or replaces a categorical column computed by the caller (e.g. a segment).
 * @param ds The dataset.
 * @param name Column name, as for tier_dataset_set_numeric(). Borrowed.
 * @param codes tier_dataset_size() codes, each ::TIER_MISSING_CODE or < @p n_categories. Copied.
 * @param dictionary @p n_categories distinct non-NULL names. Copied.
 * @param n_categories Dictionary size.
 * @return ::TIER_OK, ::TIER_EINVAL (bad name, code out of range, duplicate category) or
 *         ::TIER_ENOMEM.
 */
TIER_API int tier_dataset_set_categorical(tier_dataset *ds, const char *name,
                                          const int32_t *codes, const char *const *dictionary,
                                          size_t n_categories);

/**
 * @brief Joins numeric attribute values by customer id (later entries win on repeated ids).
 *
 * Creates the column (all NaN) if it does not exist. Ids that are not customers of @p ds are
 * skipped and counted.
 *
 * @param n_unmatched Receives the number of skipped ids; may be NULL.
 * @param ds The dataset.
 * @param name Attribute column name (rules of tier_dataset_set_numeric()). Borrowed.
 * @param n Number of entries.
 * @param customer_ids @p n ids. Borrowed.
 * @param values @p n values (NaN = missing). Borrowed.
 * @return ::TIER_OK, ::TIER_EINVAL, ::TIER_ETYPE (existing column is categorical), ::TIER_ENOMEM.
 */
TIER_API int tier_dataset_join_numeric(size_t *n_unmatched, tier_dataset *ds, const char *name,
                                       size_t n, const char *const *customer_ids,
                                       const double *values);

/**
 * @brief Joins categorical attribute values by customer id (later entries win on repeated ids).
 *
 * Creates the column (all missing) if it does not exist; new category names extend the
 * dictionary in order of first appearance. A NULL value means missing.
 *
 * @param n_unmatched Receives the number of skipped ids; may be NULL.
 * @param ds The dataset.
 * @param name Attribute column name. Borrowed.
 * @param n Number of entries.
 * @param customer_ids @p n ids. Borrowed.
 * @param values @p n NUL-terminated values or NULL. Borrowed.
 * @return ::TIER_OK, ::TIER_EINVAL, ::TIER_ETYPE (existing column is numeric), ::TIER_ENOMEM.
 */
TIER_API int tier_dataset_join_categorical(size_t *n_unmatched, tier_dataset *ds,
                                           const char *name, size_t n,
                                           const char *const *customer_ids,
                                           const char *const *values);

/**
 * @brief Merges @p other into @p ds.
 *
 * For datasets built from disjoint parts of one transaction log (in any split, the same order id
 * may even appear in both), the result equals the dataset built from the whole log: customer
 * state, distinct orders and days, and transaction-sourced attributes (latest time wins; on equal
 * times @p other wins). Joined and set columns: @p other's non-missing values overwrite @p ds's for
 * @p other's customers. Features become stale.
 *
 * @param ds The dataset that receives the merge.
 * @param other Borrowed and left unchanged.
 * @return ::TIER_OK; ::TIER_EINVAL (NULL, or @p ds == @p other); ::TIER_ETYPE if a column
 *         has different types in the two (then nothing is merged); ::TIER_ENOMEM (then @p ds is
 *         valid but may hold part of @p other).
 */
TIER_API int tier_dataset_merge(tier_dataset *ds, const tier_dataset *other);

/**
 * @brief Saves the whole dataset (customer state, columns, as_of) to @p path.
 * @param ds The dataset. Not modified.
 * @param path Destination file. Borrowed.
 *
 * The file is versioned and checksummed, and is written to a temporary file in the same
 * directory then renamed, so @p path holds either the old or the new content, never a mix.
 *
 * @return ::TIER_OK, ::TIER_EIO (message names the file and the system error), ::TIER_ENOMEM.
 */
TIER_API int tier_dataset_save(const tier_dataset *ds, const char *path);

/**
 * @brief Loads a dataset saved by tier_dataset_save().
 *
 * The result is indistinguishable from the saved dataset: adding transactions and recomputing
 * gives the same columns as building from scratch.
 *
 * @param out Receives the dataset, owned by the caller; NULL on failure.
 * @param path File to read. Borrowed.
 * @param opts Options (allocator, threads) or NULL. Borrowed.
 * @return ::TIER_OK; ::TIER_EIO; ::TIER_ECORRUPT for a truncated, corrupted or foreign file;
 *         ::TIER_EVERSION for a newer format; ::TIER_ENOMEM.
 */
TIER_API int tier_dataset_load(tier_dataset **out, const char *path,
                               const tier_dataset_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* TIER_DATASET_H */
