/**
 * @file rfm.h
 * @brief RFM scoring: recency, frequency and monetary scores, RFM codes and named segments.
 *
 * An RFM scorer is a ::tier_scorer (scorer.h): create it with tier_rfm_new(), fit, apply,
 * save and load it with the generic functions. Its kind name is "rfm".
 *
 * @par Inputs
 * Three numeric columns, by default `recency` (days since the last purchase: lower is better),
 * `frequency` and `monetary` (higher is better), as computed by tier_dataset_compute_features().
 *
 * @par Outputs (numeric unless noted, in this order, each name after the output prefix)
 * | column | value |
 * |---|---|
 * | `r_score` | recency score 1..bins, **reversed**: the most recent customers get the highest |
 * | `f_score` | frequency score 1..bins |
 * | `m_score` | monetary score 1..bins |
 * | `rfm_code` | 100·R + 10·F + M (e.g. 543) |
 * | `rfm_total` | R + F + M |
 * | `rfm_segment` | categorical: the first matching named segment, else "Others" |
 *
 * @par Binning
 * Each dimension has b bins (2..10, default 5). The fit learns b − 1 interior edges
 * e1 ≤ … ≤ e(b−1) per dimension; a value x falls in bin i (1-based, counting from low values)
 * when e(i−1) ≤ x < e(i), with e0 = −∞ and eb = +∞. Recency's score is then b + 1 − i;
 * frequency's and monetary's is i. Equal values therefore always share a bin, except in
 * ::TIER_RFM_RANK mode. The edges are readable with tier_rfm_cuts(). The modes:
 *
 * - ::TIER_RFM_QUANTILE (default) — compatible with the R package `rfm`
 *   (`rfm_table_order`/`rfm_table_customer`): q(k) is R's type-7 quantile (linear interpolation
 *   between order statistics, `quantile(x, k/b)` in R, `numpy.quantile(x, k/b)`) of the fitted
 *   values at k/b, k = 1 … b−1, and e(k) = q(k) + 1. As in R, a bin whose edges coincide is empty
 *   and bins can be unequal. (R additionally leaves values below the fitted minimum or at/above
 *   maximum + 1 unscored; libtier extends the first and last bins instead, which matters only
 *   when a fitted model is applied to new customers.)
 * - ::TIER_RFM_RANK — equal-size bins by rank, for exactly b groups of sizes differing by at most
 *   one. The n fitted values are ranked 1..n by value, **equal values in row order** (the
 *   dataset's row order, i.e. first appearance), and rank r goes to bin
 *   max(1, ⌈b·(r−1)/(n−1)⌉) — exactly the bins of pandas `qcut(x.rank(method="first"), b)`.
 *   With n ≤ b ranks spread over 1..b (some bins stay empty); a single customer gets bin 1.
 *   tier_scorer_fit_apply() bins the fitted customers by these ranks, so the groups are
 *   exactly equal-size even where equal values straddle a boundary. The stored edges, used by
 *   tier_scorer_apply() (and so for new customers and loaded models), are the values at the
 *   boundaries: e(k) is the smallest value of bin k+1, so a value equal to a boundary value goes
 *   to the upper bin.
 * - ::TIER_RFM_BREAKS — the edges are given by the user (tier_rfm_options::breaks) and used as
 *   given (no +1); the fit only checks the input columns. b = number of breaks + 1. A dimension
 *   with breaks also uses them in the other modes, so modes can be mixed per dimension. A scorer
 *   whose three dimensions all have breaks is usable without a fit.
 *
 * @par Missing values (NaN) and infinities
 * With ::TIER_RFM_NAN_ERROR (the default), fit and apply fail with ::TIER_ERANGE naming the first
 * customer whose input is NaN ("rfm: recency is NaN for customer 'C042' (row 41); customers
 * without purchases have no recency — filter them or use TIER_RFM_NAN_UNSCORED"). With
 * ::TIER_RFM_NAN_UNSCORED, customers with a NaN input are left out of the fit, and apply gives
 * them NaN in all five numeric outputs and the missing code in `rfm_segment`. Infinite values are
 * always an error (::TIER_ERANGE). A fit with no usable customer fails with ::TIER_EEMPTY.
 *
 * @par Named segments
 * A segment table maps score ranges to names: (R lo–hi, F lo–hi, M lo–hi) → name, inclusive. The
 * first matching entry wins; a customer matching none gets the "other" name (default
 * "Others"). Several entries may share a name (a segment made of several boxes). When all three
 * dimensions have 5 bins the table starts as the R package's default list; otherwise it starts
 * empty. The table can be edited at any time (it does not depend on the fit) and is saved with
 * the model. `rfm_segment`'s dictionary lists the distinct names in table order, then the other
 * name.
 *
 * Default table (R lo–hi / F lo–hi / M lo–hi): Champions 5–5/5–5/5–5; Potential Loyalist
 * 3–5/3–5/2–5; Loyal Customers 2–4/2–4/2–4; Promising 3–4/1–3/3–5; New Customers 4–5/1–3/1–5;
 * Can't Lose Them 1–2/3–4/4–5; At Risk 1–2/2–5/4–5; Need Attention 1–3/3–5/3–5; About To Sleep
 * 2–3/1–3/1–4; Lost 1–1/1–5/1–5.
 */
#ifndef TIER_RFM_H
#define TIER_RFM_H

#include "common.h"
#include "dataset.h"
#include "scorer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The three RFM dimensions, used as indexes into the option arrays. */
typedef enum tier_rfm_dim {
    TIER_RFM_RECENCY = 0,   /**< Recency: lower values score higher. */
    TIER_RFM_FREQUENCY = 1, /**< Frequency. */
    TIER_RFM_MONETARY = 2   /**< Monetary value. */
} tier_rfm_dim;

/** Binning modes (see the file description). */
typedef enum tier_rfm_mode {
    TIER_RFM_QUANTILE = 0, /**< R `rfm` compatible type-7 quantile edges (+1); ties share bins. */
    TIER_RFM_RANK = 1,     /**< Equal-size bins by rank; ties in row order. */
    TIER_RFM_BREAKS = 2    /**< User-given edges for every dimension. */
} tier_rfm_mode;

/** What to do with NaN inputs. */
typedef enum tier_rfm_nan_policy {
    TIER_RFM_NAN_ERROR = 0,   /**< Fail with ::TIER_ERANGE naming the customer (default). */
    TIER_RFM_NAN_UNSCORED = 1 /**< Skip in the fit; NaN scores and missing segment on apply. */
} tier_rfm_nan_policy;

/** Options for tier_rfm_new(). Arrays are indexed by ::tier_rfm_dim. */
typedef struct tier_rfm_options {
    /** Must be ::TIER_RFM_OPTIONS_VERSION (or an older version number). */
    unsigned int version;
    /** Allocator for the scorer; NULL for the C library's. */
    const tier_allocator *allocator;
    /** Input column names; a NULL entry means the default ("recency", "frequency",
     *  "monetary"). Copied. */
    const char *columns[3];
    /** Bins per dimension, 2..10; default 5. Ignored for a dimension with breaks. */
    unsigned int bins[3];
    /** Binning mode; default ::TIER_RFM_QUANTILE. */
    tier_rfm_mode mode;
    /** Per dimension: NULL, or @ref n_breaks finite, strictly increasing interior edges (bin i
     *  holds breaks[i−2] ≤ x < breaks[i−1]). Required for all three in ::TIER_RFM_BREAKS mode.
     *  Copied. */
    const double *breaks[3];
    /** Number of entries in each @ref breaks array: 1..9. */
    size_t n_breaks[3];
    /** NaN handling; default ::TIER_RFM_NAN_ERROR. */
    tier_rfm_nan_policy nan_policy;
    /** Prefix of the output column names; NULL or "" for none. Copied. */
    const char *output_prefix;
    /** Name for customers matching no segment; NULL means "Others". Copied. */
    const char *other_segment;
} tier_rfm_options;

/** Current version of ::tier_rfm_options. */
#define TIER_RFM_OPTIONS_VERSION 1
/** Static initialiser for ::tier_rfm_options with default values. */
#define TIER_RFM_OPTIONS_INIT                                                                    \
    { TIER_RFM_OPTIONS_VERSION, NULL, { NULL, NULL, NULL }, { 5, 5, 5 }, TIER_RFM_QUANTILE,    \
      { NULL, NULL, NULL }, { 0, 0, 0 }, TIER_RFM_NAN_ERROR, NULL, NULL }

/**
 * @brief Initialises @p opts with default values, as ::TIER_RFM_OPTIONS_INIT does.
 * @param opts Caller-owned struct to fill.
 * @param version ::TIER_RFM_OPTIONS_VERSION.
 * @return ::TIER_OK, ::TIER_EINVAL if @p opts is NULL, ::TIER_EVERSION for an unknown version.
 */
TIER_API int tier_rfm_options_init(tier_rfm_options *opts, unsigned int version);

/**
 * @brief Creates an unfitted RFM scorer.
 * @param out Receives the scorer, owned by the caller (tier_scorer_free()); NULL on failure.
 * @param opts Options, or NULL for defaults. Borrowed (everything is copied).
 * @return ::TIER_OK; ::TIER_EINVAL (bins outside 2..10, bad or unsorted breaks, breaks missing in
 *         ::TIER_RFM_BREAKS mode, bad column name or prefix, unknown mode or policy; the message
 *         says which); ::TIER_EVERSION; ::TIER_ENOMEM.
 */
TIER_API int tier_rfm_new(tier_scorer **out, const tier_rfm_options *opts);

/**
 * @brief Number of bins of dimension @p dim.
 * @param rfm An RFM scorer.
 * @param dim The dimension.
 * @return 2..10, or 0 if @p rfm is not an RFM scorer or @p dim is invalid.
 */
TIER_API unsigned int tier_rfm_bins(const tier_scorer *rfm, tier_rfm_dim dim);

/**
 * @brief The fitted interior bin edges of dimension @p dim (see "Binning" above).
 * @param edges Receives tier_rfm_bins() − 1 non-decreasing values, owned by the scorer, valid
 *        until the next fit or until it is freed. For ::TIER_RFM_QUANTILE these are the type-7
 *        quantiles plus 1.
 * @param n_edges Receives tier_rfm_bins() − 1. May be NULL.
 * @param rfm A fitted RFM scorer.
 * @param dim The dimension.
 * @return ::TIER_OK; ::TIER_EINVAL (NULL, not an RFM scorer, bad @p dim); ::TIER_ENOTFITTED.
 */
TIER_API int tier_rfm_cuts(const double **edges, size_t *n_edges, const tier_scorer *rfm,
                           tier_rfm_dim dim);

/**
 * @brief Number of entries in the segment table.
 * @param rfm An RFM scorer.
 * @return The count (0 if @p rfm is NULL or not an RFM scorer).
 */
TIER_API size_t tier_rfm_segment_count(const tier_scorer *rfm);

/**
 * @brief Reads segment table entry @p index.
 * @param name Receives the segment name, owned by the scorer, valid until the table changes. May
 *        be NULL.
 * @param lo Receives the three lower score bounds (by ::tier_rfm_dim). May be NULL.
 * @param hi Receives the three upper score bounds, inclusive. May be NULL.
 * @param rfm An RFM scorer.
 * @param index 0 .. tier_rfm_segment_count() − 1; entries are matched in this order.
 * @return ::TIER_OK or ::TIER_EINVAL.
 */
TIER_API int tier_rfm_segment_get(const char **name, unsigned int lo[3], unsigned int hi[3],
                                  const tier_scorer *rfm, size_t index);

/**
 * @brief Inserts a segment before entry @p index (tier_rfm_segment_count() appends).
 * @param rfm An RFM scorer. Mutated: needs external locking.
 * @param index Position, 0 .. tier_rfm_segment_count().
 * @param name Segment name, 1–255 bytes. Copied. A name used by another entry (or equal to the
 *        "other" name) denotes the same category of `rfm_segment`.
 * @param lo Lower score bounds by ::tier_rfm_dim, each ≥ 1.
 * @param hi Upper score bounds, each ≥ lo and ≤ the dimension's bins.
 * @return ::TIER_OK; ::TIER_EINVAL (the message names the bad bound); ::TIER_ENOMEM.
 */
TIER_API int tier_rfm_segment_insert(tier_scorer *rfm, size_t index, const char *name,
                                     const unsigned int lo[3], const unsigned int hi[3]);

/**
 * @brief Removes segment table entry @p index.
 * @param rfm An RFM scorer. Mutated: needs external locking.
 * @param index 0 .. tier_rfm_segment_count() − 1.
 * @return ::TIER_OK or ::TIER_EINVAL.
 */
TIER_API int tier_rfm_segment_remove(tier_scorer *rfm, size_t index);

/**
 * @brief Empties the segment table (every scored customer becomes "Others").
 * @param rfm An RFM scorer. Mutated: needs external locking.
 * @return ::TIER_OK or ::TIER_EINVAL (not an RFM scorer).
 */
TIER_API int tier_rfm_segments_clear(tier_scorer *rfm);

/**
 * @brief Replaces the segment table with the R package's default list (see above).
 * @param rfm An RFM scorer. Mutated: needs external locking.
 * @return ::TIER_OK; ::TIER_EINVAL (not an RFM scorer, or a dimension has fewer than 5 bins, so
 *         the default ranges do not fit); ::TIER_ENOMEM.
 */
TIER_API int tier_rfm_segments_default(tier_scorer *rfm);

/** Grouping of an RFM summary. */
typedef enum tier_rfm_group {
    TIER_RFM_BY_SEGMENT = 0,   /**< One row per segment name, in `rfm_segment` dictionary order. */
    TIER_RFM_BY_RECENCY = 1,   /**< One row per R score 1..b. Labels "R1" … */
    TIER_RFM_BY_FREQUENCY = 2, /**< One row per F score. Labels "F1" … */
    TIER_RFM_BY_MONETARY = 3,  /**< One row per M score. Labels "M1" … */
    TIER_RFM_BY_RF = 4,        /**< Every (R, F) pair, R then F ascending (the heat map grid). */
    TIER_RFM_BY_RM = 5,        /**< Every (R, M) pair. */
    TIER_RFM_BY_FM = 6,        /**< Every (F, M) pair. */
    TIER_RFM_BY_CODE = 7       /**< Every (R, F, M) triple, R then F then M ascending. Labels
                                    are the `rfm_code` values ("543" …). */
} tier_rfm_group;

/** Statistics of an RFM summary row. */
typedef enum tier_rfm_stat {
    TIER_RFM_STAT_COUNT = 0,          /**< Customers in the group. */
    TIER_RFM_STAT_SHARE = 1,          /**< Count / scored customers (0..1). */
    TIER_RFM_STAT_MONETARY_SUM = 2,   /**< Sum of the monetary input column. */
    TIER_RFM_STAT_MONETARY_MEAN = 3,  /**< Mean monetary value (NaN for an empty group). */
    TIER_RFM_STAT_RECENCY_MEAN = 4,   /**< Mean recency (NaN for an empty group). */
    TIER_RFM_STAT_FREQUENCY_MEAN = 5  /**< Mean frequency (NaN for an empty group). */
} tier_rfm_stat;

/** An opaque table of per-group statistics computed by tier_rfm_summarize(). */
typedef struct tier_rfm_summary tier_rfm_summary;

/**
 * @brief Aggregates the scores that @p rfm wrote into @p ds, per group.
 *
 * Reads the scorer's output columns (`r_score`, `f_score`, `m_score`, `rfm_segment`, with its
 * prefix) and its three input columns from @p ds, so it summarises exactly what
 * tier_scorer_apply() or tier_scorer_fit_apply() wrote. Every group of the grouping appears, empty ones with count 0. Customers left unscored
 * (::TIER_RFM_NAN_UNSCORED) are counted apart (tier_rfm_summary_unscored()) and excluded from
 * shares. Sums are taken in row order with compensated summation, so results are reproducible.
 *
 * @param out Receives the summary, owned by the caller (tier_rfm_summary_free()); NULL on
 *        failure.
 * @param rfm An RFM scorer (for its bins, column names and segment table). Not modified.
 * @param ds A dataset the scorer was applied to. Borrowed.
 * @param by The grouping.
 * @return ::TIER_OK; ::TIER_EINVAL; ::TIER_ENOTFOUND (an output column is missing: apply the
 *         scorer first; or an input column is missing); ::TIER_ETYPE; ::TIER_ERANGE (a score
 *         column holds a value that is not a score of this scorer); ::TIER_ENOMEM.
 */
TIER_API int tier_rfm_summarize(tier_rfm_summary **out, const tier_scorer *rfm,
                                const tier_dataset *ds, tier_rfm_group by);

/**
 * @brief Number of groups (rows) in the summary.
 * @param summary The summary, or NULL (0).
 * @return The number of groups.
 */
TIER_API size_t tier_rfm_summary_size(const tier_rfm_summary *summary);

/**
 * @brief The label of group @p row: a segment name, "R5", "R5 F4", "543" ...
 * @param summary The summary.
 * @param row 0 .. tier_rfm_summary_size() − 1.
 * @return A string owned by the summary; NULL if @p row is out of range.
 */
TIER_API const char *tier_rfm_summary_label(const tier_rfm_summary *summary, size_t row);

/**
 * @brief The score of dimension @p dim that defines group @p row.
 * @param summary The summary.
 * @param row 0 .. tier_rfm_summary_size() − 1.
 * @param dim The dimension.
 * @return 1..b, or 0 when the grouping does not involve @p dim (or out of range).
 */
TIER_API unsigned int tier_rfm_summary_score(const tier_rfm_summary *summary, size_t row,
                                             tier_rfm_dim dim);

/**
 * @brief One statistic for every group.
 * @param summary The summary.
 * @param stat The statistic.
 * @return tier_rfm_summary_size() values owned by the summary; NULL for an unknown @p stat.
 */
TIER_API const double *tier_rfm_summary_values(const tier_rfm_summary *summary,
                                               tier_rfm_stat stat);

/**
 * @brief Number of customers that were left unscored (NaN scores) and are in no group.
 * @param summary The summary, or NULL (0).
 * @return The count.
 */
TIER_API size_t tier_rfm_summary_unscored(const tier_rfm_summary *summary);

/**
 * @brief Releases a summary.
 * @param summary The summary, or NULL (then nothing happens).
 */
TIER_API void tier_rfm_summary_free(tier_rfm_summary *summary);

#ifdef __cplusplus
}
#endif

#endif /* TIER_RFM_H */
