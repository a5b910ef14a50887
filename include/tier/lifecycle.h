/**
 * @file lifecycle.h
 * @brief Lifecycle stages — new, active, at-risk, dormant, churned, reactivated — as a
 *        categorical column, from recency, tenure and each customer's own rhythm of purchases.
 *
 * @par The customer's gap
 * A customer's typical gap g is the mean time between their purchase days, t_x / repeat_count
 * (days), for customers with at least one repeat purchase day; others get the default gap
 * (tier_lifecycle_options::default_gap_days, or when that is 0 the median typical gap of the
 * dataset's repeat customers, or 30 days if there are none). Every gap is clamped to
 * [min_gap_days, max_gap_days], so that a customer who bought twice in one week is not called
 * churned after a fortnight.
 *
 * @par Stages (the first that applies)
 * With recency R (days since the last purchase) and T (days since the first purchase):
 * 1. **new**: T <= new_days — the first purchase is recent;
 * 2. **reactivated**: R <= active_factor · g, and before the last purchase the customer had been
 *    away longer than at_risk_factor · g' — the last gap between purchase days exceeded that
 *    limit, where g' is the typical gap before the last purchase ((previous purchase day − first
 *    purchase day) / (purchase days − 2), or the default gap with fewer than three purchase days),
 *    clamped like g;
 * 3. **active**: R <= active_factor · g;
 * 4. **at-risk**: R <= at_risk_factor · g;
 * 5. **dormant**: R <= dormant_factor · g;
 * 6. **churned**: otherwise.
 * Customers without a purchase get the missing code. The dictionary is always, in this order:
 * "new", "active", "at-risk", "dormant", "churned", "reactivated" (codes 0..5).
 *
 * Reactivation needs history beyond the dataset's features: it is read from the dataset's
 * distinct purchase days (the last two and the first), which every dataset keeps.
 */
#ifndef TIER_LIFECYCLE_H
#define TIER_LIFECYCLE_H

#include "common.h"
#include "dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Codes of the stages in the lifecycle column's dictionary. */
typedef enum tier_lifecycle_stage {
    TIER_STAGE_NEW = 0,        /**< "new" */
    TIER_STAGE_ACTIVE = 1,     /**< "active" */
    TIER_STAGE_AT_RISK = 2,    /**< "at-risk" */
    TIER_STAGE_DORMANT = 3,    /**< "dormant" */
    TIER_STAGE_CHURNED = 4,    /**< "churned" */
    TIER_STAGE_REACTIVATED = 5 /**< "reactivated" */
} tier_lifecycle_stage;

/** Options for tier_lifecycle_assign(). */
typedef struct tier_lifecycle_options {
    /** Must be ::TIER_LIFECYCLE_OPTIONS_VERSION (or an older version number). */
    unsigned int version;
    /** "new" while the first purchase is at most this many days old; >= 0, default 30. */
    double new_days;
    /** Active while recency <= this × gap; > 0, default 1.5. */
    double active_factor;
    /** At-risk while recency <= this × gap; >= active_factor, default 3. */
    double at_risk_factor;
    /** Dormant while recency <= this × gap, churned beyond; >= at_risk_factor, default 6. */
    double dormant_factor;
    /** Gap of customers without a repeat purchase day, days > 0; 0 (default) = the median
     *  typical gap of the dataset's repeat customers. */
    double default_gap_days;
    /** Smallest gap used, days > 0; default 7. */
    double min_gap_days;
    /** Largest gap used, days >= min_gap_days; default 365. */
    double max_gap_days;
    /** Output column name; NULL for "lifecycle". Borrowed. */
    const char *output;
} tier_lifecycle_options;

/** Current version of ::tier_lifecycle_options. */
#define TIER_LIFECYCLE_OPTIONS_VERSION 1
/** Static initialiser for ::tier_lifecycle_options with default values. */
#define TIER_LIFECYCLE_OPTIONS_INIT \
    { TIER_LIFECYCLE_OPTIONS_VERSION, 30.0, 1.5, 3.0, 6.0, 0.0, 7.0, 365.0, NULL }

/**
 * @brief Initialises @p opts with default values, as ::TIER_LIFECYCLE_OPTIONS_INIT does.
 * @param opts Caller-owned struct to fill.
 * @param version ::TIER_LIFECYCLE_OPTIONS_VERSION.
 * @return ::TIER_OK, ::TIER_EINVAL if @p opts is NULL, ::TIER_EVERSION for an unknown version.
 */
TIER_API int tier_lifecycle_options_init(tier_lifecycle_options *opts, unsigned int version);

/**
 * @brief Writes the lifecycle stage of every customer as a categorical column.
 * @param default_gap Receives the default gap used, in days (after clamping); may be NULL.
 * @param ds A dataset with current features; the output column is replaced.
 * @param opts Options, or NULL for defaults. Borrowed.
 * @return ::TIER_OK; ::TIER_EINVAL (NULL dataset, thresholds out of order or range, bad output
 *         name); ::TIER_EVERSION; ::TIER_ESTALE; ::TIER_ENOMEM.
 */
TIER_API int tier_lifecycle_assign(double *default_gap, tier_dataset *ds,
                                   const tier_lifecycle_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* TIER_LIFECYCLE_H */
