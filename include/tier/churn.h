/**
 * @file churn.h
 * @brief Churn: a churn flag per customer, churn and retention rates per group, and cohort
 *        retention by first-purchase month.
 *
 * @par Churn flag
 * tier_churn_flag() writes a numeric column (default `churned`): 1 for a churned customer, 0 for a
 * retained one, NaN where the rule's input is missing (NaN). Two rules:
 * - ::TIER_CHURN_P_ALIVE: churned when P(alive) < tier_churn_options::p_alive_threshold (read from
 *   a column, default `p_alive`, as written by a CLV scorer; see clv.h);
 * - ::TIER_CHURN_RECENCY: churned when recency > tier_churn_options::recency_days (default column
 *   `recency`, in days).
 * Values equal to the threshold count as retained.
 *
 * @par Rates per group
 * tier_churn_rates() counts, for every category of a categorical column (a tier, a segment, a
 * lifecycle stage, a region ...), the customers with a known flag, the churned ones and the
 * churn rate churned / customers (retention rate = 1 − churn rate), plus a total row.
 *
 * @par Cohort retention
 * tier_cohort_retention() groups customers by the calendar month (UTC) of their first purchase
 * and counts, for every later month, how many of each cohort made a purchase in it — the table
 * behind the usual retention heat map. It reads the dataset's distinct purchase days, so it
 * needs no transaction log beyond the dataset.
 */
#ifndef TIER_CHURN_H
#define TIER_CHURN_H

#include "common.h"
#include "dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How tier_churn_flag() decides. */
typedef enum tier_churn_rule {
    TIER_CHURN_P_ALIVE = 0, /**< churned if P(alive) < p_alive_threshold. */
    TIER_CHURN_RECENCY = 1  /**< churned if recency (days) > recency_days. */
} tier_churn_rule;

/** Options for tier_churn_flag(). */
typedef struct tier_churn_options {
    /** Must be ::TIER_CHURN_OPTIONS_VERSION (or an older version number). */
    unsigned int version;
    /** The rule; default ::TIER_CHURN_P_ALIVE. */
    tier_churn_rule rule;
    /** Input column; NULL for "p_alive" or "recency" according to the rule. Borrowed. */
    const char *column;
    /** Threshold of ::TIER_CHURN_P_ALIVE, in [0, 1]; default 0.5. */
    double p_alive_threshold;
    /** Threshold of ::TIER_CHURN_RECENCY in days, finite and >= 0; default 90. */
    double recency_days;
    /** Output column name; NULL for "churned". Borrowed. */
    const char *output;
} tier_churn_options;

/** Current version of ::tier_churn_options. */
#define TIER_CHURN_OPTIONS_VERSION 1
/** Static initialiser for ::tier_churn_options with default values. */
#define TIER_CHURN_OPTIONS_INIT { TIER_CHURN_OPTIONS_VERSION, TIER_CHURN_P_ALIVE, NULL, 0.5, 90.0, NULL }

/**
 * @brief Initialises @p opts with default values, as ::TIER_CHURN_OPTIONS_INIT does.
 * @param opts Caller-owned struct to fill.
 * @param version ::TIER_CHURN_OPTIONS_VERSION.
 * @return ::TIER_OK, ::TIER_EINVAL if @p opts is NULL, ::TIER_EVERSION for an unknown version.
 */
TIER_API int tier_churn_options_init(tier_churn_options *opts, unsigned int version);

/**
 * @brief Writes the churn flag column (1 churned, 0 retained, NaN unknown) into @p ds.
 * @param ds The dataset; the output column is replaced (pointers borrowed from @p ds are
 *        invalidated).
 * @param opts Options, or NULL for defaults. Borrowed.
 * @return ::TIER_OK; ::TIER_EINVAL (NULL, unknown rule, threshold out of range, bad output name);
 *         ::TIER_EVERSION; ::TIER_ENOTFOUND (no such input column; the message suggests the
 *         closest); ::TIER_ETYPE (not numeric); ::TIER_ESTALE; ::TIER_ENOMEM.
 */
TIER_API int tier_churn_flag(tier_dataset *ds, const tier_churn_options *opts);

/** An opaque table of churn counts per group, made by tier_churn_rates(). */
typedef struct tier_churn_table tier_churn_table;

/**
 * @brief Counts churned and retained customers per category of @p group_column.
 *
 * A customer whose flag is NaN is counted as unknown, not in the rate. Values of the flag other
 * than 0, 1 and NaN are an error. Customers whose group is missing form a last group whose name is
 * NULL (present only if there are such customers).
 *
 * @param out Receives the table, owned by the caller (tier_churn_table_free()); NULL on failure.
 * @param ds The dataset. Borrowed, not modified.
 * @param flag_column Numeric 0/1/NaN column, e.g. from tier_churn_flag(); NULL for "churned".
 * @param group_column Categorical column, or NULL for one group of all customers (named "all").
 * @return ::TIER_OK; ::TIER_EINVAL (NULL @p out or @p ds; a flag value not 0, 1 or NaN, naming the
 *         customer); ::TIER_ENOTFOUND; ::TIER_ETYPE; ::TIER_ESTALE; ::TIER_ENOMEM.
 */
TIER_API int tier_churn_rates(tier_churn_table **out, const tier_dataset *ds,
                              const char *flag_column, const char *group_column);

/**
 * @brief Releases a table.
 * @param table The table, or NULL (then nothing happens). Invalid after the call.
 */
TIER_API void tier_churn_table_free(tier_churn_table *table);

/**
 * @brief Number of groups (rows without the total).
 * @param table The table, or NULL.
 * @return The number of groups; 0 for NULL.
 */
TIER_API size_t tier_churn_table_size(const tier_churn_table *table);

/**
 * @brief The name of group @p index.
 * @param table The table, or NULL.
 * @param index 0 .. tier_churn_table_size() − 1.
 * @return A string owned by the table, valid until it is freed; NULL for the missing-group row,
 *         for the total row (@p index == size) and for an index out of range.
 */
TIER_API const char *tier_churn_table_group(const tier_churn_table *table, size_t index);

/**
 * @brief The counts of group @p index, or of all customers when @p index equals
 *        tier_churn_table_size().
 * @param customers Receives the customers with a known flag. May be NULL.
 * @param churned Receives the churned customers. May be NULL.
 * @param unknown Receives the customers whose flag is NaN. May be NULL.
 * @param churn_rate Receives churned / customers (NaN when customers is 0); the retention rate
 *        is 1 − churn_rate. May be NULL.
 * @param table The table.
 * @param index 0 .. tier_churn_table_size().
 * @return ::TIER_OK, or ::TIER_EINVAL (NULL table, index out of range).
 */
TIER_API int tier_churn_table_row(size_t *customers, size_t *churned, size_t *unknown,
                                  double *churn_rate, const tier_churn_table *table, size_t index);

/** An opaque cohort retention table, made by tier_cohort_retention(). */
typedef struct tier_cohort_table tier_cohort_table;

/**
 * @brief Builds the cohort retention table of @p ds by first-purchase month (UTC).
 *
 * Cohorts run from the month of the earliest first purchase to the month of the latest purchase
 * day (months without new customers are kept, with size 0). Offset k of cohort c is the calendar
 * month c + k; offset 0 is the cohort's own month, where every member is active. Offsets after
 * the last observed month are not observed.
 *
 * @param out Receives the table, owned by the caller (tier_cohort_table_free()); NULL on failure.
 * @param ds The dataset (its purchase days; features need not be current). Borrowed.
 * @return ::TIER_OK; ::TIER_EINVAL (NULL); ::TIER_EEMPTY (no purchase at all); ::TIER_ENOMEM.
 */
TIER_API int tier_cohort_retention(tier_cohort_table **out, const tier_dataset *ds);

/**
 * @brief Releases a table.
 * @param table The table, or NULL (then nothing happens). Invalid after the call.
 */
TIER_API void tier_cohort_table_free(tier_cohort_table *table);

/**
 * @brief Number of cohorts (months).
 * @param table The table, or NULL.
 * @return The number of cohorts; 0 for NULL.
 */
TIER_API size_t tier_cohort_table_cohorts(const tier_cohort_table *table);

/**
 * @brief Number of offsets, equal to the number of cohorts (the first cohort is observed at
 *        every offset).
 * @param table The table, or NULL.
 * @return The number of offsets; 0 for NULL.
 */
TIER_API size_t tier_cohort_table_offsets(const tier_cohort_table *table);

/**
 * @brief The label of cohort @p cohort, "YYYY-MM".
 * @param table The table, or NULL.
 * @param cohort 0 .. tier_cohort_table_cohorts() − 1.
 * @return A string owned by the table, valid until it is freed; NULL if out of range.
 */
TIER_API const char *tier_cohort_table_label(const tier_cohort_table *table, size_t cohort);

/**
 * @brief One cell of the table.
 * @param size Receives the cohort's size (customers whose first purchase is in that month). May
 *        be NULL.
 * @param active Receives the cohort's customers with a purchase in month cohort + offset (0 when
 *        not observed). May be NULL.
 * @param rate Receives active / size; NaN when the month is not observed or the cohort is empty.
 *        May be NULL.
 * @param table The table.
 * @param cohort 0 .. cohorts − 1.
 * @param offset 0 .. offsets − 1.
 * @return ::TIER_OK, or ::TIER_EINVAL (NULL table, index out of range).
 */
TIER_API int tier_cohort_table_cell(size_t *size, size_t *active, double *rate,
                                    const tier_cohort_table *table, size_t cohort, size_t offset);

#ifdef __cplusplus
}
#endif

#endif /* TIER_CHURN_H */
