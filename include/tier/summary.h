/**
 * @file summary.h
 * @brief tier_summary: group-by tables and pivots over a dataset's columns (tier × country,
 *        segment × channel, R × F ...), customers active per month, and CSV/JSON export.
 *
 * A summary groups the customers of a ::tier_dataset by one or two columns and computes, for
 * every group, the number of customers, their share, and the sum, mean, median, minimum and
 * maximum of a numeric column. The result is an immutable table: one row per group, key
 * columns first, then statistics. tier_summary_pivot() turns a two-way table into a grid
 * (first key down, second key across) and the export functions write any table as CSV or JSON.
 *
 * @par Grouping columns
 * A grouping column is categorical or numeric. A categorical column's groups are its
 * dictionary entries in dictionary order; a numeric column's groups are its distinct values in
 * ascending order (meant for small sets of values such as scores 1..5), labelled with the
 * shortest decimal text that reads back as the same double ("5", "0.25"). NaN and
 * ::TIER_MISSING_CODE form the *missing* group, labelled tier_summary_options::missing_label
 * (default "(missing)"), placed after the ordinary groups and present only when some key is
 * missing; with
 * tier_summary_options::include_missing = 0 missing customers are left out and counted apart
 * (tier_summary_excluded()).
 *
 * @par Statistics (columns of the result, in this order)
 * | column | value |
 * |---|---|
 * | `count` | customers in the group |
 * | `share` | count / denominator (see ::tier_summary_share), 0..1; NaN if the denominator is 0 |
 * | `<value>_n` | customers of the group whose value is not NaN |
 * | `<value>_sum` | sum of the value column over the group's customers |
 * | `<value>_mean` | mean |
 * | `<value>_median` | median; the mean of the two middle values for an even count |
 * | `<value>_min`, `<value>_max` | extremes |
 *
 * The six value statistics exist only when tier_summary_options::value names a numeric
 * column. They ignore NaN values: the sum of a group without a non-NaN value is 0, its
 * mean, median, minimum and maximum are NaN. Sums are taken in row order with compensated (Neumaier)
 * summation, so results are reproducible and exact to within one rounding for money data.
 *
 * @par Margins
 * With tier_summary_options::margins = 1 every grouping dimension gets a final *total* level
 * (label tier_summary_options::total_label, default "Total") that aggregates all its groups:
 * a one-way table ends with a total row; a two-way table has a total row for every level of
 * the first key, a total block for the second, and a grand total. Medians of totals are
 * computed from the customers, not from group medians.
 *
 * @par Activity per time bucket
 * tier_summary_activity() counts, for every calendar month (or day, ISO week, quarter, year),
 * the customers with at least one purchase in it — optionally split by a grouping column, e.g.
 * "customers per tier per month". A customer active in several months counts once in each.
 * It needs no extra pass over the transactions: the dataset keeps the distinct purchase days
 * of every customer (the `purchase_days` feature), and those are bucketed. Values of the
 * grouping column are the customers' current values (the tier assigned now, not the tier the
 * customer had in that month).
 *
 * @par Threads
 * A summary is immutable once made and may be read from many threads at once.
 */
#ifndef TIER_SUMMARY_H
#define TIER_SUMMARY_H

#include "common.h"
#include "dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An opaque, immutable result table: groups with their statistics. */
typedef struct tier_summary tier_summary;

/** What the `share` column divides by. */
typedef enum tier_summary_share {
    /** All customers counted in the table (for an activity table: all customer-buckets). */
    TIER_SHARE_OF_TOTAL = 0,
    /** The customers with the same first key (e.g. share of each tier within a country). */
    TIER_SHARE_OF_FIRST = 1,
    /** The customers with the same second key (a two-way table only; else as
     *  ::TIER_SHARE_OF_TOTAL). */
    TIER_SHARE_OF_SECOND = 2
} tier_summary_share;

/** Order of the first dimension's groups. The second dimension is always in key order. */
typedef enum tier_summary_order {
    /** Dictionary order (categorical), ascending value (numeric) or time (buckets). */
    TIER_ORDER_KEY = 0,
    /** Descending number of customers; ties in key order. Missing and total stay last. */
    TIER_ORDER_COUNT_DESC = 1
} tier_summary_order;

/** Options for tier_summary_new() and tier_summary_activity(). */
typedef struct tier_summary_options {
    /** Must be ::TIER_SUMMARY_OPTIONS_VERSION (or an older version number). */
    unsigned int version;
    /** Allocator for the summary; NULL for the C library's. */
    const tier_allocator *allocator;
    /** Grouping columns. tier_summary_new(): `by[0]` is required, `by[1]` optional (NULL).
     *  tier_summary_activity(): the time bucket is the first key, `by[0]` an optional second
     *  key and `by[1]` must be NULL. Borrowed for the call only. */
    const char *by[2];
    /** Numeric column for the value statistics, or NULL for counts and shares only.
     *  Borrowed for the call only. */
    const char *value;
    /** 1 (default): missing keys form their own group. 0: such customers are left out and
     *  counted in tier_summary_excluded(). */
    int include_missing;
    /** 1 (default): every combination of levels gets a row, empty ones with count 0. 0: only
     *  groups with customers (and margins) appear. */
    int include_empty;
    /** 1: add total levels (see "Margins"). Default 0. */
    int margins;
    /** Denominator of `share`; default ::TIER_SHARE_OF_TOTAL. */
    tier_summary_share share;
    /** Order of the first dimension; default ::TIER_ORDER_KEY. */
    tier_summary_order order;
    /** Label of the missing group; NULL for "(missing)". Copied. */
    const char *missing_label;
    /** Label of the total level; NULL for "Total". Copied. */
    const char *total_label;
} tier_summary_options;

/** Current version of ::tier_summary_options. */
#define TIER_SUMMARY_OPTIONS_VERSION 1
/** Static initialiser for ::tier_summary_options with default values. */
#define TIER_SUMMARY_OPTIONS_INIT                                                                \
    { TIER_SUMMARY_OPTIONS_VERSION, NULL, { NULL, NULL }, NULL, 1, 1, 0, TIER_SHARE_OF_TOTAL,  \
      TIER_ORDER_KEY, NULL, NULL }

/**
 * @brief Initialises @p opts with default values, as ::TIER_SUMMARY_OPTIONS_INIT does.
 * @param opts Caller-owned struct to fill.
 * @param version ::TIER_SUMMARY_OPTIONS_VERSION.
 * @return ::TIER_OK, ::TIER_EINVAL if @p opts is NULL, ::TIER_EVERSION for an unknown version.
 */
TIER_API int tier_summary_options_init(tier_summary_options *opts, unsigned int version);

/**
 * @brief Groups the customers of @p ds by one or two columns and computes the statistics.
 *
 * @param out Receives the table, owned by the caller (tier_summary_free()); NULL on failure.
 * @param ds The dataset. Borrowed; the table copies what it needs and does not reference it.
 * @param opts Options; `by[0]` must be set. Borrowed.
 * @return ::TIER_OK; ::TIER_EINVAL (NULL argument, no `by[0]`, the same column twice, unknown
 *         share or order value); ::TIER_ENOTFOUND (a named column does not exist; the message
 *         suggests the closest name); ::TIER_ETYPE (the value column is categorical);
 *         ::TIER_ESTALE (a feature column is out of date); ::TIER_EEXISTS (a group's label
 *         equals the missing or total label: choose another label); ::TIER_EVERSION;
 *         ::TIER_ENOMEM.
 */
TIER_API int tier_summary_new(tier_summary **out, const tier_dataset *ds,
                              const tier_summary_options *opts);

/** Time buckets for tier_summary_activity(). Buckets are UTC calendar periods. */
typedef enum tier_time_bucket {
    TIER_BUCKET_DAY = 0,     /**< Calendar day, label "2011-03-31". */
    TIER_BUCKET_WEEK = 1,    /**< ISO 8601 week (Monday first), label "2011-W13". */
    TIER_BUCKET_MONTH = 2,   /**< Calendar month, label "2011-03". */
    TIER_BUCKET_QUARTER = 3, /**< Calendar quarter, label "2011-Q1". */
    TIER_BUCKET_YEAR = 4     /**< Calendar year, label "2011". */
} tier_time_bucket;

/**
 * @brief Counts the customers with at least one purchase in each time bucket, optionally split
 *        by a grouping column (`opts->by[0]`).
 *
 * The first key is the bucket, named "day", "week", "month", "quarter" or "year"; its levels
 * run without gaps from the bucket of the first purchase to that of the last, so a pivot shows
 * every bucket (rows with count 0 are kept or left out by tier_summary_options::include_empty
 * like any other). A purchase is a
 * transaction with a positive amount (see dataset.h); returns never make a customer active.
 * Each row's `count` is the number of distinct active customers; value statistics are over
 * those customers' values of `opts->value` (e.g. the mean monetary value of the customers
 * active in March). tier_summary_bucket_start() gives each bucket's first instant.
 *
 * @param out Receives the table, owned by the caller (tier_summary_free()); NULL on failure.
 * @param ds The dataset. Borrowed.
 * @param bucket The time bucket.
 * @param opts Options, or NULL for a plain count per bucket. Borrowed.
 * @return As tier_summary_new(); ::TIER_EEMPTY if no customer has a purchase; ::TIER_EINVAL for
 *         an unknown @p bucket or a set `by[1]`.
 */
TIER_API int tier_summary_activity(tier_summary **out, const tier_dataset *ds,
                                   tier_time_bucket bucket, const tier_summary_options *opts);

/**
 * @brief Releases a table.
 * @param s The table, or NULL (then nothing happens).
 */
TIER_API void tier_summary_free(tier_summary *s);

/**
 * @brief Number of rows (groups) of the table.
 * @param s The table, or NULL.
 * @return The row count; 0 for NULL.
 */
TIER_API size_t tier_summary_row_count(const tier_summary *s);

/**
 * @brief Number of columns: the key columns (tier_summary_key_count()) then the statistics.
 * @param s The table, or NULL.
 * @return The column count; 0 for NULL.
 */
TIER_API size_t tier_summary_column_count(const tier_summary *s);

/**
 * @brief The name of a column: a key column is named after its grouping column (or the time
 *        bucket), a statistic as in the file description ("count", "monetary_mean"); a
 *        pivot's value columns are named after the second key's levels.
 * @param s The table.
 * @param col Column index, 0 .. tier_summary_column_count() − 1.
 * @return A string owned by the table, valid until it is freed; NULL if @p s is NULL or
 *         @p col is out of range.
 */
TIER_API const char *tier_summary_column_name(const tier_summary *s, size_t col);

/**
 * @brief Finds a column by name (exact).
 * @param col Receives the column index.
 * @param s The table.
 * @param name The name. Borrowed.
 * @return ::TIER_OK; ::TIER_ENOTFOUND (the message suggests the closest name); ::TIER_EINVAL.
 */
TIER_API int tier_summary_find_column(size_t *col, const tier_summary *s, const char *name);

/**
 * @brief The type of a column: key columns are ::TIER_COLUMN_CATEGORICAL, statistics
 *        ::TIER_COLUMN_NUMERIC.
 * @param type Receives the type.
 * @param s The table.
 * @param col Column index.
 * @return ::TIER_OK, or ::TIER_EINVAL for NULL arguments or @p col out of range.
 */
TIER_API int tier_summary_column_type(tier_column_type *type, const tier_summary *s, size_t col);

/**
 * @brief Borrows a numeric column.
 * @param values Receives tier_summary_row_count() doubles owned by the table, valid until it
 *        is freed (NULL for an empty table).
 * @param s The table.
 * @param col Column index.
 * @return ::TIER_OK; ::TIER_ETYPE for a key column; ::TIER_EINVAL (NULL, out of range).
 */
TIER_API int tier_summary_numeric(const double **values, const tier_summary *s, size_t col);

/**
 * @brief One numeric cell.
 * @param s The table.
 * @param row Row index.
 * @param col Column index of a statistic.
 * @return The value (NaN where the statistic is undefined, e.g. the mean of an empty group);
 *         also NaN when @p s is NULL, @p row or @p col is out of range, or @p col is a key
 *         column.
 */
TIER_API double tier_summary_value(const tier_summary *s, size_t row, size_t col);

/**
 * @brief Number of key columns (grouping dimensions).
 * @param s The table, or NULL.
 * @return 1 or 2 (a pivot has 1); 0 for NULL.
 */
TIER_API size_t tier_summary_key_count(const tier_summary *s);

/** Kinds of levels of a key column. */
typedef enum tier_level_kind {
    TIER_LEVEL_VALUE = 0,   /**< An ordinary value: a category, a number or a time bucket. */
    TIER_LEVEL_MISSING = 1, /**< The missing group. */
    TIER_LEVEL_TOTAL = 2    /**< The total level added by tier_summary_options::margins. */
} tier_level_kind;

/**
 * @brief Number of levels of a key column (ordinary, missing and total levels).
 * @param s The table.
 * @param key Key column index, 0 .. tier_summary_key_count() − 1.
 * @return The level count; 0 if @p s is NULL or @p key is out of range.
 */
TIER_API size_t tier_summary_level_count(const tier_summary *s, size_t key);

/**
 * @brief The label of a level of a key column, levels in table order.
 * @param s The table.
 * @param key Key column index.
 * @param level Level index, 0 .. tier_summary_level_count() − 1.
 * @return A string owned by the table, valid until it is freed; NULL if out of range.
 */
TIER_API const char *tier_summary_level_label(const tier_summary *s, size_t key, size_t level);

/**
 * @brief The kind of a level of a key column.
 * @param s The table.
 * @param key Key column index.
 * @param level Level index.
 * @return A ::tier_level_kind value; -1 if out of range.
 */
TIER_API int tier_summary_level_kind(const tier_summary *s, size_t key, size_t level);

/**
 * @brief The level of a key column in a row (an index for tier_summary_level_label()).
 * @param s The table.
 * @param row Row index.
 * @param key Key column index.
 * @return The level index; -1 if out of range.
 */
TIER_API long tier_summary_key(const tier_summary *s, size_t row, size_t key);

/**
 * @brief Shorthand for the label of a row's level of a key column.
 * @param s The table.
 * @param row Row index.
 * @param key Key column index.
 * @return A string owned by the table, valid until it is freed; NULL if out of range.
 */
TIER_API const char *tier_summary_label(const tier_summary *s, size_t row, size_t key);

/**
 * @brief The first instant of a time bucket of an activity table's first key.
 * @param s An activity table (or a pivot of one).
 * @param level Level index of the first key.
 * @return Seconds since the epoch (UTC); ::TIER_AS_OF_AUTO (INT64_MIN) if @p s is not an
 *         activity table, or @p level is out of range or not a bucket (a total level).
 */
TIER_API int64_t tier_summary_bucket_start(const tier_summary *s, size_t level);

/**
 * @brief Customers counted in the table (for an activity table: customer-buckets).
 * @param s The table, or NULL.
 * @return The count; 0 for NULL.
 */
TIER_API uint64_t tier_summary_total(const tier_summary *s);

/**
 * @brief Customers left out because a key was missing and include_missing was 0.
 * @param s The table, or NULL.
 * @return The count; 0 for NULL.
 */
TIER_API uint64_t tier_summary_excluded(const tier_summary *s);

/**
 * @brief Turns a two-way table into a grid of one statistic: one row per level of the first
 *        key, one numeric column per level of the second key (named by its label).
 *
 * The result has one key column (the first key, same levels and order) followed by the value
 * columns; it can be read and exported like any table. A combination missing from @p s (with
 * include_empty = 0) is 0 for `count`, `share`, `<value>_n` and `<value>_sum`, NaN otherwise.
 *
 * @param out Receives the grid, owned by the caller (tier_summary_free()); NULL on failure.
 * @param s A two-way table. Borrowed.
 * @param stat Name of a statistic column of @p s ("count", "share", "monetary_mean" ...).
 * @return ::TIER_OK; ::TIER_EINVAL (NULL argument, or @p s has one key); ::TIER_ENOTFOUND
 *         (no such statistic; the message suggests one); ::TIER_ETYPE (@p stat is a key
 *         column); ::TIER_ENOMEM.
 */
TIER_API int tier_summary_pivot(tier_summary **out, const tier_summary *s, const char *stat);

/** Export formats. */
typedef enum tier_export_format {
    /** RFC 4180 CSV with a header line; fields quoted when needed; NaN is an empty field. */
    TIER_EXPORT_CSV = 0,
    /** A JSON object: `{"columns": [...], "total": N, "excluded": N, "rows": [{...}, ...]}`,
     *  one object per row keyed by column name; NaN is `null`. */
    TIER_EXPORT_JSON = 1
} tier_export_format;

/**
 * @brief Receives exported text in pieces.
 * @param user The pointer given to tier_summary_export().
 * @param data @p len bytes (not NUL-terminated), valid for the call only.
 * @param len Number of bytes, > 0.
 * @return 0 to continue; non-zero stops the export with ::TIER_ECALLBACK.
 */
typedef int (*tier_write_fn)(void *user, const char *data, size_t len);

/**
 * @brief Writes the table as CSV or JSON through a callback (to a stream, socket, buffer ...).
 *
 * Numbers are written with the fewest digits that read back as the same double (so exports
 * round-trip exactly) and without locale effects; counts are integers.
 *
 * @param s The table.
 * @param format ::TIER_EXPORT_CSV or ::TIER_EXPORT_JSON.
 * @param write Called with consecutive pieces of the text.
 * @param user Passed to @p write. Borrowed.
 * @return ::TIER_OK; ::TIER_EINVAL (NULL argument, unknown format); ::TIER_ECALLBACK;
 *         ::TIER_ENOMEM.
 */
TIER_API int tier_summary_export(const tier_summary *s, tier_export_format format,
                                 tier_write_fn write, void *user);

/**
 * @brief Writes the table as CSV or JSON to a file, atomically (temporary file + rename).
 * @param s The table.
 * @param format ::TIER_EXPORT_CSV or ::TIER_EXPORT_JSON.
 * @param path Destination file. Borrowed.
 * @return ::TIER_OK; ::TIER_EINVAL; ::TIER_EIO (the message names the file and the system
 *         error); ::TIER_ENOMEM.
 */
TIER_API int tier_summary_export_file(const tier_summary *s, tier_export_format format,
                                      const char *path);

#ifdef __cplusplus
}
#endif

#endif /* TIER_SUMMARY_H */
