/**
 * @file csv.h
 * @brief Loading transaction logs and customer attribute files from CSV into a ::tier_dataset.
 *
 * The reader follows RFC 4180: fields may be quoted with `"`, quoted fields may contain the
 * delimiter, doubled quotes (`""` for one quote) and line ends; lines end with LF or CRLF (a
 * lone CR is data, except as the file's last byte, where it ends the line as a CRLF cut short
 * would); a UTF-8 byte-order mark is skipped; blank lines are ignored (they are not
 * rows). A quote may only open a field: a quote inside an unquoted field, or anything but the
 * delimiter or a line end after a closing quote, makes the row bad. Gzip-compressed files are
 * recognised by their magic bytes (not their name), concatenated gzip members included, and
 * decompressed on the fly. Plain files are memory-mapped; pipes are read too.
 *
 * Columns are chosen by header name (exact, case-sensitive) or by 1-based position written
 * `"#3"`; positions are the only way to name columns in a file without a header. Every row
 * must have as many fields as the header (or, without a header, as the first row).
 *
 * @par Values
 * - Customer ids are taken as text, trimmed of surrounding spaces and tabs; ids written as
 *   floats with a zero fraction (`17850.0`, `17850.000`, `17850.`) are normalised to `17850`;
 *   other text (`12.50`, `A1.0`, `1e5`) is kept as written. Rows with an empty id are counted
 *   (::TIER_CSV_ROWS_NO_CUSTOMER) and skipped without looking at their other fields (they are
 *   not bad rows).
 * - Times: ISO 8601 dates (`2011-12-09`, midnight) and date-times (`2011-12-09 12:50:00`, `T`
 *   separator, optional seconds, a fraction that is truncated, `Z`, `±HH:MM`, `±HHMM` or `±HH`
 *   offset), US `M/D/YYYY[ H:MM[:SS]]` (month, day and hour with 1 or 2 digits), or a user
 *   format (see tier_csv_options::time_format). Times without an offset are UTC. Every field is
 *   range-checked (month 1–12, day within the month including leap years, hour 0–23, minute
 *   and second 0–59, years 0000–9999); an impossible date is a bad row, never rolled over.
 * - Amounts are decimal numbers (optional sign, digits with an optional `.` fraction, optional
 *   exponent; surrounding blanks ignored; always `.` whatever the C locale), converted to the
 *   nearest double exactly as `strtod` would in the "C" locale. NaN, Inf, empty, unparsable
 *   and overflowing amounts are bad rows. With a quantity and a unit-price column the amount
 *   is their product (as a double multiplication); a non-finite product is a bad row.
 * - An amount of 0 (a free item) is a transaction that counts as neither a purchase nor a
 *   return (see dataset.h): it changes no money feature and no order count, but does count for
 *   `tenure`, the transaction count and the automatic `as_of`.
 * - Order ids are taken as written; an empty order id makes the row its own order.
 * - Attribute columns take the value of the customer's latest transaction. An empty
 *   categorical field is missing (::TIER_MISSING_CODE); an empty numeric field is NaN, any
 *   other numeric field must be a finite number (else the row is bad). An attribute column is
 *   named after its header name; without a header, after the reference as given (`"#4"`).
 *   The columns exist after a load even when no row was added.
 *
 * @par Bad rows and messages
 * A bad row (wrong field count, malformed quotes, unparsable time or number) either stops the
 * load (::TIER_BAD_ROWS_STRICT: ::TIER_EPARSE with the message of the first bad row in file
 * order) or is skipped, counted and described in the report (::TIER_BAD_ROWS_SKIP, the first
 * tier_csv_options::max_messages messages in file order). Messages read
 * `file:line:column: what`, e.g. `orders.csv:1042:3: amount 'abc' is not a number`, where
 * `line` is the physical line (1-based, counting every line end, also those inside quoted
 * fields) on which the row starts and `column` is the 1-based field number of the offending
 * field (for a wrong field count: the first missing or extra field). A row cut by the end of
 * the file says so. After a malformed quote, reading resumes on the line after the one where
 * the problem was found. A failed load (strict bad row, I/O error, cancel, out of memory)
 * adds nothing to the dataset.
 *
 * @par Threads
 * The file is cut into chunks of about 8 MiB at row boundaries (a quote-aware scan; chunk
 * boundaries depend only on the bytes), parsed on up to tier_csv_options::n_threads threads
 * and combined in file order, so the dataset, the report and every message are identical for
 * any thread count.
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
    /** A time format, or NULL to detect the formats above. Directives: `%Y` (4-digit year),
     *  `%y` (2 digits: 69–99 are 19xx, 00–68 20xx), `%m %d %H %M %S` (1 or 2 digits), `%z`
     *  (`Z` or `±HH[:MM]`), `%%`; every other character must match literally. Fields the
     *  format lacks default to January, day 1, 00:00:00. The whole (blank-trimmed) field
     *  must match. Borrowed for the call. */
    const char *time_format;
    /** Bad-row policy; default ::TIER_BAD_ROWS_STRICT. */
    tier_bad_row_policy bad_rows;
    /** How many bad-row messages the report keeps; default 20. */
    size_t max_messages;
    /** Analysis instant for tier_dataset_load_csv(); default ::TIER_AS_OF_AUTO. */
    int64_t as_of;
    /** Worker threads; 0 = the dataset's setting (tier_dataset_load_csv(): all cores). The
     *  result never depends on it. */
    unsigned int n_threads;
    /** Progress callback, or NULL. Called only on the thread that called the loader, with
     *  `done` never decreasing: first with 0, then as the file is processed, last with
     *  `done == total` just before the dataset is changed; returning non-zero cancels the load
     *  (::TIER_ECANCELLED, the dataset unchanged). `total` is the file size on disk and `done`
     *  counts bytes of it: for a gzip file these are compressed bytes; for a pipe `total` is 0
     *  (unknown). */
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
 * @param opts Caller-owned struct to fill.
 * @param version ::TIER_CSV_OPTIONS_VERSION.
 * @return ::TIER_OK, ::TIER_EINVAL (NULL @p opts) or ::TIER_EVERSION (unknown version).
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

/**
 * @brief A counter of the report.
 * @param report The report, or NULL. Borrowed.
 * @param which The counter.
 * @return Its value; 0 for an unknown counter or a NULL report.
 */
TIER_API uint64_t tier_csv_report_count(const tier_csv_report *report, tier_csv_count which);

/**
 * @brief Number of bad-row messages kept (at most the options' max_messages).
 * @param report The report, or NULL (0). Borrowed.
 * @return The number of messages.
 */
TIER_API size_t tier_csv_report_message_count(const tier_csv_report *report);

/**
 * @brief A kept bad-row message, `file:line:column: what`, in file order.
 * @param report The report, or NULL. Borrowed.
 * @param index 0 .. tier_csv_report_message_count() - 1.
 * @return A string owned by the report, valid until tier_csv_report_free(); NULL if @p index is
 *         out of range or @p report is NULL.
 */
TIER_API const char *tier_csv_report_message(const tier_csv_report *report, size_t index);

/**
 * @brief Releases a report and its messages.
 * @param report The report, or NULL (nothing happens).
 */
TIER_API void tier_csv_report_free(tier_csv_report *report);

/**
 * @brief Adds the transactions of a CSV file to @p ds.
 *
 * Like tier_dataset_add_transactions(), adds to existing customers and leaves the feature
 * columns stale. On any failure (including a strict bad row or a cancel from the progress
 * callback), @p ds is unchanged.
 *
 * Memory: an uncompressed file's size tells how many rows are still to come, and the
 * customer, order and day tables grow once, early, for what those rows would add at the rate
 * seen so far, instead of doubling (and copying) as they fill. The room is a guess, bounded
 * by the rows left in the file; with the C library's allocator, room never used is never
 * touched and costs address space only, but an allocator that commits memory when asked (or
 * a system without overcommit) pays for the guess.
 *
 * @param report Receives the load's report, owned by the caller (tier_csv_report_free()); may be
 *        NULL. Set whenever the arguments and options are valid, also when the load fails, so
 *        the caller can read the counts: after a failure they describe the rows read up to it
 *        (chunks after the failing one are not counted) although nothing was added.
 * @param ds The dataset; its allocator is used for the report and its thread setting when
 *        the options' n_threads is 0.
 * @param path File to read; "-" is not special. Borrowed.
 * @param opts Options, or NULL for defaults. Borrowed for the call.
 * @return ::TIER_OK; ::TIER_EINVAL (NULL @p ds or @p path, invalid options); ::TIER_EVERSION
 *         (options version); ::TIER_ENOTFOUND (no such file, or a named column is not in the
 *         header: the message suggests the closest name or lists the columns); ::TIER_EIO
 *         (unreadable file, a directory, corrupt or truncated gzip data); ::TIER_EEMPTY (no
 *         header where one is expected: empty file); ::TIER_EPARSE (strict bad row, or a
 *         malformed header); ::TIER_ECANCELLED; ::TIER_ENOMEM.
 */
TIER_API int tier_dataset_add_csv(tier_csv_report **report, tier_dataset *ds, const char *path,
                                  const tier_csv_options *opts);

/**
 * @brief Creates a dataset from a CSV transaction file and computes its features at
 * the options' `as_of`.
 *
 * The dataset gets the options' allocator and n_threads (0 = all cores).
 *
 * @param out Receives the new dataset, owned by the caller (tier_dataset_free()); NULL on failure.
 * @param report As for tier_dataset_add_csv(); may be NULL.
 * @param path File to read. Borrowed.
 * @param opts Options, or NULL for defaults. Borrowed for the call.
 * @return As tier_dataset_add_csv(), plus the errors of tier_dataset_compute_features(): in
 *         particular ::TIER_EEMPTY when the file has no usable transaction (e.g. only a
 *         header) and `as_of` is ::TIER_AS_OF_AUTO; with an explicit `as_of` such a file gives
 *         an empty dataset.
 */
TIER_API int tier_dataset_load_csv(tier_dataset **out, tier_csv_report **report,
                                   const char *path, const tier_csv_options *opts);

/**
 * @brief Joins attribute columns from a customer CSV file (one row per customer) into @p ds.
 *
 * Uses the options' `customer_column`, `categorical_columns`, `numeric_columns`, delimiter,
 * header, bad-row and progress settings; other column settings are ignored. Ids are
 * normalised as for transactions. Customers not in @p ds are skipped and counted as
 * ::TIER_CSV_ROWS_UNMATCHED; when an id appears more than once the last row wins; an empty
 * numeric field is NaN, an empty categorical field is missing. The whole file is read and
 * checked before anything is joined, so a bad row in strict mode joins nothing. Feature
 * columns are not affected (they do not become stale). ::TIER_CSV_ROWS_USED counts the
 * joined rows.
 *
 * @param report As for tier_dataset_add_csv(); may be NULL.
 * @param ds The dataset that receives the columns.
 * @param path File to read. Borrowed.
 * @param opts Options, or NULL for defaults. Borrowed for the call.
 * @return As tier_dataset_add_csv(); also ::TIER_ETYPE if a column already exists in @p ds
 *         with the other type.
 */
TIER_API int tier_dataset_join_csv(tier_csv_report **report, tier_dataset *ds, const char *path,
                                   const tier_csv_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* TIER_CSV_H */
