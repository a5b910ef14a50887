/**
 * @file csv.h
 * @brief Loading transaction logs and customer attribute files from CSV into a ::tier_dataset.
 *
 * The reader follows RFC 4180: fields may be quoted with `"`, quoted fields may contain the
 * delimiter, doubled quotes and newlines; lines end with LF or CRLF; a UTF-8 byte-order mark is
 * skipped. Gzip-compressed files are recognised by their magic bytes and decompressed on the fly.
 *
 * Columns are chosen by header name (exact, case-sensitive) or by 1-based position written
 * `"#3"`; positions are the only way to name columns in a file without a header.
 *
 * @par Values
 * - Customer ids are taken as text, trimmed of surrounding spaces; ids written as floats with a
 *   zero fraction (`17850.0`) are normalised to `17850`. Rows with an empty id are counted and
 *   skipped (they are not bad rows).
 * - Times: ISO 8601 dates (`2011-12-09`) and date-times (`2011-12-09 12:50:00`, `T` separator,
 *   optional seconds, fraction, `Z` or `±HH:MM` offset), US `M/D/YYYY H:MM[:SS]`, or a user
 *   format with `%Y %m %d %H %M %S` and literal characters. Times without an offset are UTC.
 * - Amounts are decimal numbers (leading sign, fraction, exponent); NaN, Inf and empty amounts
 *   are bad rows. With a quantity and a unit-price column the amount is their product.
 *
 * @par Bad rows
 * A bad row (wrong field count, unparsable time or number, unterminated quote) either stops the
 * load (::TIER_BAD_ROWS_STRICT: ::TIER_EPARSE, message `file:line:column: what`) or is skipped,
 * counted and described in the report (::TIER_BAD_ROWS_SKIP). A strict failure adds nothing
 * to the dataset.
 */
#ifndef TIER_CSV_H
#define TIER_CSV_H

#include "dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What to do with a row that cannot be read. */
typedef enum tier_bad_row_policy {
    TIER_BAD_ROWS_STRICT = 0, /**< Stop at the first bad row with `file:line:column: message`. */
    TIER_BAD_ROWS_SKIP = 1    /**< Skip bad rows, count them, keep the first messages. */
} tier_bad_row_policy;

/** Options for tier_dataset_add_csv() and tier_dataset_load_csv(). */
typedef struct tier_csv_options {
    /** Must be ::TIER_CSV_OPTIONS_VERSION (or an older version number). */
    unsigned int version;
    /** Allocator for a new dataset (tier_dataset_load_csv() only); NULL for the C library's. */
    const tier_allocator *allocator;
    /** Field delimiter; default ','. Must not be '"', CR or LF. */
    char delimiter;
    /** 1 (default) if the first line holds column names. */
    int has_header;
    /** Customer id column; default "customer_id". */
    const char *customer_column;
    /** Time column; default "time". */
    const char *time_column;
    /** Amount column; default "amount". Ignored when @ref quantity_column is set. */
    const char *amount_column;
    /** Quantity column; when set, amount = quantity × @ref price_column. Default NULL. */
    const char *quantity_column;
    /** Unit-price column, required with @ref quantity_column. Default NULL. */
    const char *price_column;
    /** Optional order/invoice id column; default NULL (each row is its own order). */
    const char *order_column;
    /** Columns kept as categorical attributes (value of the latest transaction). May be NULL. */
    const char *const *categorical_columns;
    /** Number of entries in @ref categorical_columns. */
    size_t n_categorical_columns;
    /** Columns kept as numeric attributes (value of the latest transaction). May be NULL. */
    const char *const *numeric_columns;
    /** Number of entries in @ref numeric_columns. */
    size_t n_numeric_columns;
    /** strptime-like time format (`%Y %m %d %H %M %S`), or NULL to detect the formats above. */
    const char *time_format;
    /** Bad-row policy; default ::TIER_BAD_ROWS_STRICT. */
    tier_bad_row_policy bad_rows;
    /** How many bad-row messages the report keeps; default 20. */
    size_t max_messages;
    /** Analysis instant for tier_dataset_load_csv(); default ::TIER_AS_OF_AUTO. */
    int64_t as_of;
    /** Worker threads; 0 = the dataset's setting (tier_dataset_load_csv(): all cores). */
    unsigned int n_threads;
    /** Called with bytes read so far and the file size; NULL for none. */
    tier_progress_fn progress;
    /** Passed to @ref progress. Borrowed. */
    void *progress_user;
} tier_csv_options;

/** Current version of ::tier_csv_options. */
#define TIER_CSV_OPTIONS_VERSION 1
/** Static initialiser for ::tier_csv_options with default values. */
#define TIER_CSV_OPTIONS_INIT                                                                   \
    { TIER_CSV_OPTIONS_VERSION, NULL, ',', 1, "customer_id", "time", "amount", NULL, NULL,     \
      NULL, NULL, 0, NULL, 0, NULL, TIER_BAD_ROWS_STRICT, 20, TIER_AS_OF_AUTO, 0, NULL, NULL }

/**
 * @brief Initialises @p opts with default values, as ::TIER_CSV_OPTIONS_INIT does.
 * @return ::TIER_OK, ::TIER_EINVAL (NULL) or ::TIER_EVERSION.
 */
TIER_API int tier_csv_options_init(tier_csv_options *opts, unsigned int version);

/** An opaque account of one load: row counts and the first bad-row messages. */
typedef struct tier_csv_report tier_csv_report;

/** Counters kept in a ::tier_csv_report. */
typedef enum tier_csv_count {
    TIER_CSV_ROWS = 0,             /**< Data rows read (header excluded). */
    TIER_CSV_ROWS_USED = 1,        /**< Rows added to the dataset. */
    TIER_CSV_ROWS_NO_CUSTOMER = 2, /**< Rows skipped for an empty customer id. */
    TIER_CSV_ROWS_BAD = 3,         /**< Rows skipped as bad (::TIER_BAD_ROWS_SKIP). */
    TIER_CSV_BYTES = 4,            /**< Bytes of (decompressed) input read. */
    TIER_CSV_ROWS_UNMATCHED = 5    /**< tier_dataset_join_csv(): rows whose customer is not in
                                        the dataset, skipped. */
} tier_csv_count;

/** @brief A counter of the report; 0 for an unknown counter or NULL report. */
TIER_API uint64_t tier_csv_report_count(const tier_csv_report *report, tier_csv_count which);

/** @brief Number of bad-row messages kept (at most the options' max_messages). */
TIER_API size_t tier_csv_report_message_count(const tier_csv_report *report);

/**
 * @brief A kept bad-row message, `file:line:column: what`.
 * @return A string owned by the report; NULL if @p index is out of range.
 */
TIER_API const char *tier_csv_report_message(const tier_csv_report *report, size_t index);

/** @brief Releases a report. Accepts NULL. */
TIER_API void tier_csv_report_free(tier_csv_report *report);

/**
 * @brief Adds the transactions of a CSV file to @p ds.
 *
 * Like tier_dataset_add_transactions(), leaves the feature columns stale. On any failure
 * (including a strict bad row or a cancel from the progress callback), @p ds is unchanged.
 *
 * @param report Receives the load's report, owned by the caller (tier_csv_report_free()); may be
 *        NULL. Also set when the load fails on a bad row, so the caller can read the counts.
 * @param ds The dataset.
 * @param path File to read; "-" is not special. Borrowed.
 * @param opts Options, or NULL for defaults. Borrowed.
 * @return ::TIER_OK; ::TIER_EIO; ::TIER_ENOTFOUND (a named column is not in the header; message
 *         suggests the closest); ::TIER_EPARSE (strict bad row); ::TIER_EEMPTY (no header where
 *         one is expected); ::TIER_ECANCELLED; ::TIER_EVERSION; ::TIER_ENOMEM.
 */
TIER_API int tier_dataset_add_csv(tier_csv_report **report, tier_dataset *ds, const char *path,
                                  const tier_csv_options *opts);

/**
 * @brief Creates a dataset from a CSV transaction file and computes its features at
 * the options' `as_of`.
 *
 * @param out Receives the new dataset, owned by the caller (tier_dataset_free()); NULL on failure.
 * @param report As for tier_dataset_add_csv(); may be NULL.
 * @param path File to read. Borrowed.
 * @param opts Options, or NULL for defaults. Borrowed.
 * @return As tier_dataset_add_csv(), plus the errors of tier_dataset_compute_features().
 */
TIER_API int tier_dataset_load_csv(tier_dataset **out, tier_csv_report **report,
                                   const char *path, const tier_csv_options *opts);

/**
 * @brief Joins attribute columns from a customer CSV file (one row per customer) into @p ds.
 *
 * Uses the options' `customer_column`, `categorical_columns`, `numeric_columns`, delimiter,
 * header and bad-row settings; other column settings are ignored. Customers not in @p ds are
 * skipped and counted as ::TIER_CSV_ROWS_UNMATCHED; an empty numeric field is NaN, an empty
 * categorical field is missing.
 *
 * @return As tier_dataset_add_csv().
 */
TIER_API int tier_dataset_join_csv(tier_csv_report **report, tier_dataset *ds, const char *path,
                                   const tier_csv_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* TIER_CSV_H */
