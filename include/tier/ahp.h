/**
 * @file ahp.h
 * @brief Analytic Hierarchy Process: criteria weights from pairwise judgments, consistency,
 *        missing judgments, group decisions, hierarchies, and an AHP scoring strategy.
 *
 * A manager states how much more important one criterion is than another ("monetary value is
 * 3 times as important as frequency"). A ::tier_ahp holds these judgments for n criteria as a
 * positive reciprocal matrix A (a_ij = importance of i over j, a_ji = 1/a_ij, a_ii = 1) and
 * derives a priority vector w (the criteria weights, summing to 1) with a measure of how
 * consistent the judgments are.
 *
 * @par Priority vector
 * - ::TIER_AHP_EIGENVECTOR (default): the principal right eigenvector of A (Saaty 1977, 1980).
 *   It is computed by power iteration started from the row geometric mean. A positive matrix
 *   has a simple Perron root that strictly dominates every other eigenvalue, so the iteration
 *   converges; with judgments in [1/s, s] the Birkhoff–Hopf theorem bounds the contraction per
 *   step by tanh(ln(s^4)/4) (0.9756 for s = 9), so about 1,200 steps always suffice for
 *   1e-12 (near-consistent judgments need 5–15; random judgments on the full scale needed at
 *   most 110 over 2,000 matrices of size 3–32). The iteration stops when the change of the
 *   normalised vector, corrected for the observed convergence rate r as change·r/(1−r), is at
 *   most the convergence tolerance (default 1e-12), or when it reaches rounding noise.
 * - ::TIER_AHP_GEOMETRIC_MEAN: w_i proportional to the geometric mean of row i (Crawford &
 *   Williams 1985), computed in logarithms.
 *
 * @par Consistency
 * λmax is the principal eigenvalue of A (for both methods), CI = (λmax − n)/(n − 1) and
 * CR = CI/RI(n). λmax ≥ n in exact arithmetic; a value below n caused by rounding is reported
 * as n. For n ≤ 2 every reciprocal matrix is consistent: CI = CR = 0. RI is Saaty's random
 * index table for n ≤ 15 (Saaty, *The Analytic Hierarchy Process*, McGraw-Hill 1980; the same
 * values in Saaty, "How to make a decision", EJOR 48:9–26, 1990, for n ≤ 10):
 *
 * | n  | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 |
 * |----|---|---|---|---|---|---|---|---|---|----|----|----|----|----|----|
 * | RI | 0 | 0 |0.58|0.90|1.12|1.24|1.32|1.41|1.45|1.49|1.51|1.48|1.56|1.57|1.59|
 *
 * For 16 ≤ n ≤ 32, RI(n) = (1.7699 n − 4.3513)/(n − 1), the linear fit of the mean λmax of
 * random matrices by Alonso & Lamata ("Consistency in the analytic hierarchy process: a new
 * approach", IJUFKS 14(4):445–459, 2006); it gives 1.5855 at n = 15, next to Saaty's 1.59.
 * See tier_ahp_random_index(). The judgments are accepted when CR ≤ the limit (default 0.10;
 * Saaty suggests 0.05 for n = 3 and 0.08 for n = 4). The geometric consistency index GCI of
 * Aguarón & Moreno-Jiménez (EJOR 147:137–145, 2003) is also reported (tier_ahp_gci()).
 *
 * @par The worst judgment
 * When judgments are inconsistent, the one to revisit is the entered judgment a_ij whose error
 * ratio e_ij = a_ij·w_j/w_i is furthest from 1 in ratio terms (largest |ln e_ij|), the method
 * Saaty describes in "Decision-making with the AHP: why is the principal eigenvector
 * necessary", EJOR 145:85–91, 2003. tier_ahp_worst_judgment() reports it with the value the
 * weights suggest (w_i/w_j).
 *
 * @par Missing judgments
 * Judgments may be left out (at least n − 1, connecting every criterion to every other through
 * a chain of judgments). The weights then come from the entered judgments only:
 * - eigenvector method: Harker's method (Harker, "Incomplete pairwise comparisons in the
 *   analytic hierarchy process", Math. Modelling 9(11):837–848, 1987): the principal
 *   eigenvector of the matrix C with c_ij = a_ij for entered judgments, 0 for missing ones and
 *   c_ii = 1 + (number of missing judgments in row i);
 * - geometric-mean method: logarithmic least squares over the entered judgments (Kwiesielewicz
 *   1996; Bozóki, Fülöp & Rónyai, "On optimal completion of incomplete pairwise comparison
 *   matrices", Math. Comput. Modelling 52:318–333, 2010), which reduces to the row geometric
 *   mean for a complete matrix.
 * Either way a missing a_ij is filled with w_i/w_j (readable with tier_ahp_completed()), which
 * is exactly the completion that both methods reproduce, and λmax, CI and CR are those of the
 * completed matrix. (These are optimistic: the fills are perfectly consistent with w.)
 *
 * @par Criteria names
 * Each criterion has a name: 1–127 bytes, no control characters, unique within the matrix.
 * Names are how criteria are found (tier_ahp_find()), matched between judges
 * (tier_ahp_aggregate_judgments()) and mapped to dataset columns by the AHP scorer.
 *
 * @par More
 * Judgments can be read from a small text format (tier_ahp_parse(), tier_ahp_load_text()),
 * aggregated over several judges (tier_ahp_aggregate_judgments(),
 * tier_ahp_aggregate_priorities()) and organised in hierarchies (::tier_ahp_hierarchy). The
 * resulting weights drive the AHP scoring strategy (tier_ahp_scorer_new() and friends), which
 * writes a 0–100 `ahp_score` per customer, including AHP-weighted RFM
 * (tier_ahp_scorer_new_rfm()).
 *
 * @par Threads
 * A ::tier_ahp may be read from many threads at once; setting judgments or computing needs
 * external locking.
 */
#ifndef TIER_AHP_H
#define TIER_AHP_H

#include "common.h"
#include "dataset.h"
#include "scorer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The largest number of criteria one comparison matrix may compare. */
#define TIER_AHP_MAX_CRITERIA 32

/** An opaque pairwise comparison matrix of up to ::TIER_AHP_MAX_CRITERIA named criteria, with
 *  its computed priorities and consistency. */
typedef struct tier_ahp tier_ahp;

/** How the priority vector is derived from the judgments. */
typedef enum tier_ahp_method {
    /** Principal right eigenvector (Saaty); Harker's method for missing judgments. */
    TIER_AHP_EIGENVECTOR = 1,
    /** Row geometric mean; logarithmic least squares for missing judgments. */
    TIER_AHP_GEOMETRIC_MEAN = 2
} tier_ahp_method;

/** Options for tier_ahp_new(), tier_ahp_parse(), tier_ahp_load_text(),
 *  tier_ahp_aggregate_judgments() and tier_ahp_hierarchy_new(). */
typedef struct tier_ahp_options {
    /** Must be ::TIER_AHP_OPTIONS_VERSION (or an older version number). */
    unsigned int version;
    /** Allocator for the handle; NULL for the C library's. */
    const tier_allocator *allocator;
    /** Priority method (default ::TIER_AHP_EIGENVECTOR). */
    tier_ahp_method method;
    /** Acceptance limit of the consistency ratio (default 0.10). tier_ahp_compute() returns
     *  ::TIER_EINCONSISTENT when CR exceeds it. Must be ≥ 0; INFINITY accepts everything. */
    double cr_limit;
    /** Upper end s of the judgment scale (default 9, Saaty's scale): every judgment must lie
     *  in [1/s, s]. Must be finite and > 1. */
    double scale_max;
    /** Relative tolerance (default 0.01) for a full matrix's reciprocity (|a_ij·a_ji − 1|),
     *  its diagonal (|a_ii − 1|) and the ends of the scale, so that values typed as decimals
     *  ("0.333", "0.111") are accepted. In [0, 0.5). */
    double tolerance;
    /** Convergence tolerance of the power iteration on the normalised vector (default 1e-12).
     *  In [1e-15, 1e-3]. */
    double convergence;
    /** Iteration cap of the power iteration (default 10000; ≥ 1). Reaching it returns
     *  ::TIER_ENOTCONVERGED. */
    unsigned int max_iterations;
} tier_ahp_options;

/** Current version of ::tier_ahp_options. */
#define TIER_AHP_OPTIONS_VERSION 1
/** Static initialiser for ::tier_ahp_options with default values. */
#define TIER_AHP_OPTIONS_INIT \
    { TIER_AHP_OPTIONS_VERSION, NULL, TIER_AHP_EIGENVECTOR, 0.10, 9.0, 0.01, 1e-12, 10000u }

/**
 * @brief Initialises @p opts with default values, as ::TIER_AHP_OPTIONS_INIT does.
 * @param opts Caller-owned struct to fill.
 * @param version ::TIER_AHP_OPTIONS_VERSION.
 * @return ::TIER_OK, ::TIER_EINVAL if @p opts is NULL, ::TIER_EVERSION for an unknown version.
 */
TIER_API int tier_ahp_options_init(tier_ahp_options *opts, unsigned int version);

/**
 * @brief Creates a comparison matrix of @p n criteria with every judgment missing.
 *
 * @param out Receives the matrix, owned by the caller (tier_ahp_free()); NULL on failure.
 * @param n Number of criteria, 1 .. ::TIER_AHP_MAX_CRITERIA.
 * @param names @p n distinct criteria names (rules in the file comment), copied; or NULL for
 *        "c1" .. "cn".
 * @param opts Options, or NULL for defaults. Borrowed for the call only.
 * @return ::TIER_OK; ::TIER_EINVAL (bad @p n, bad or duplicate name, bad option value; the
 *         message names it); ::TIER_EVERSION; ::TIER_ENOMEM.
 */
TIER_API int tier_ahp_new(tier_ahp **out, size_t n, const char *const *names,
                          const tier_ahp_options *opts);

/**
 * @brief Copies a matrix with its judgments, options and computed results.
 * @param out Receives the copy, owned by the caller; NULL on failure.
 * @param ahp The matrix to copy. Borrowed.
 * @return ::TIER_OK, ::TIER_EINVAL or ::TIER_ENOMEM.
 */
TIER_API int tier_ahp_copy(tier_ahp **out, const tier_ahp *ahp);

/**
 * @brief Releases a matrix.
 * @param ahp The matrix, or NULL (then nothing happens).
 */
TIER_API void tier_ahp_free(tier_ahp *ahp);

/**
 * @brief Number of criteria.
 * @param ahp The matrix.
 * @return n, or 0 for NULL.
 */
TIER_API size_t tier_ahp_size(const tier_ahp *ahp);

/**
 * @brief The name of criterion @p index.
 * @param ahp The matrix.
 * @param index Criterion index, 0 .. n−1.
 * @return A string owned by the matrix, valid until it is freed; NULL if out of range.
 */
TIER_API const char *tier_ahp_name(const tier_ahp *ahp, size_t index);

/**
 * @brief Finds a criterion by name (exact, case-sensitive).
 * @param index Receives the criterion's index.
 * @param ahp The matrix.
 * @param name The name. Borrowed.
 * @return ::TIER_OK; ::TIER_ENOTFOUND (the message suggests the closest name); ::TIER_EINVAL.
 */
TIER_API int tier_ahp_find(size_t *index, const tier_ahp *ahp, const char *name);

/**
 * @brief Enters one judgment: criterion @p i is @p value times as important as @p j.
 *
 * Sets a_ij = @p value and a_ji = 1/@p value, replacing earlier judgments of the pair, and
 * clears computed results.
 *
 * @param ahp The matrix.
 * @param i Row criterion.
 * @param j Column criterion, != @p i.
 * @param value A ratio in [1/scale_max, scale_max] (within the tolerance at the ends).
 * @return ::TIER_OK; ::TIER_EINVAL (index out of range or @p i == @p j); ::TIER_ERANGE (zero,
 *         negative, NaN, infinite or off-scale value; the message names both criteria and
 *         says why).
 */
TIER_API int tier_ahp_set(tier_ahp *ahp, size_t i, size_t j, double value);

/**
 * @brief tier_ahp_set() by criteria names: @p row is @p value times as important as @p column.
 * @param ahp The matrix.
 * @param row Name of the row criterion. Borrowed.
 * @param column Name of the column criterion. Borrowed.
 * @param value The ratio, as for tier_ahp_set().
 * @return As tier_ahp_set(), and ::TIER_ENOTFOUND for an unknown name (with a suggestion).
 */
TIER_API int tier_ahp_set_by_name(tier_ahp *ahp, const char *row, const char *column,
                                  double value);

/**
 * @brief Marks the judgment of the pair (@p i, @p j) as missing (both a_ij and a_ji).
 * @param ahp The matrix. Clears computed results.
 * @param i One criterion.
 * @param j The other criterion, != @p i.
 * @return ::TIER_OK or ::TIER_EINVAL (index out of range or @p i == @p j).
 */
TIER_API int tier_ahp_unset(tier_ahp *ahp, size_t i, size_t j);

/**
 * @brief Enters all judgments from the upper triangle.
 *
 * @param ahp The matrix.
 * @param upper n(n−1)/2 values a_01, a_02, …, a_0(n−1), a_12, …, a_(n−2)(n−1) (row by row,
 *        left to right). NaN marks a missing judgment. Borrowed.
 * @return ::TIER_OK, or ::TIER_ERANGE for a bad value (the message names the cell and both
 *         criteria); on failure the matrix is unchanged.
 */
TIER_API int tier_ahp_set_upper(tier_ahp *ahp, const double *upper);

/**
 * @brief Enters all judgments from a full n × n matrix, checking reciprocity.
 *
 * For each pair i < j: if both a_ij and a_ji are given they must be reciprocal within the
 * tolerance (|a_ij·a_ji − 1| ≤ tolerance); the entry ≥ 1 is then kept exactly and the other
 * becomes its exact reciprocal (typed decimals such as 0.333 are usually the rounded ones). If
 * only one of them is given (the other NaN), its reciprocal fills the other; if both are NaN
 * the judgment is missing. Diagonal entries must be 1 (within the tolerance) or NaN.
 *
 * @param ahp The matrix.
 * @param matrix n·n values, row-major (matrix[i·n + j] = a_ij). Borrowed.
 * @return ::TIER_OK; ::TIER_ERANGE (bad value, non-reciprocal pair or diagonal ≠ 1: the
 *         message names the cell as matrix[i][j], both criteria and the values). On failure the
 *         matrix is unchanged.
 */
TIER_API int tier_ahp_set_matrix(tier_ahp *ahp, const double *matrix);

/**
 * @brief The entered judgment a_ij.
 * @param value Receives a_ij, 1 on the diagonal, or NaN if the judgment is missing.
 * @param ahp The matrix.
 * @param i Row criterion.
 * @param j Column criterion.
 * @return ::TIER_OK or ::TIER_EINVAL (NULL argument or index out of range).
 */
TIER_API int tier_ahp_judgment(double *value, const tier_ahp *ahp, size_t i, size_t j);

/**
 * @brief Number of missing judgments.
 * @param ahp The matrix.
 * @return The number of pairs i < j without a judgment; 0 for NULL.
 */
TIER_API size_t tier_ahp_missing_count(const tier_ahp *ahp);

/**
 * @brief Computes the priority vector, λmax, CI, CR and GCI, completing missing judgments.
 *
 * @param ahp The matrix. Mutated: needs external locking.
 * @return ::TIER_OK; ::TIER_EINCONSISTENT when CR exceeds the limit — the results are
 *         computed and readable all the same, and the message gives CR, the limit and the
 *         worst judgment with its suggested value; ::TIER_EINVAL when missing judgments leave
 *         the criteria disconnected (the message names the separated groups);
 *         ::TIER_ENOTCONVERGED if the iteration cap was reached (no results).
 */
TIER_API int tier_ahp_compute(tier_ahp *ahp);

/**
 * @brief Whether results are available.
 * @param ahp The matrix.
 * @return 1 if tier_ahp_compute() succeeded or returned ::TIER_EINCONSISTENT and no judgment
 *         changed since, else 0 (also for NULL).
 */
TIER_API int tier_ahp_is_computed(const tier_ahp *ahp);

/**
 * @brief Whether the judgments are acceptably consistent.
 * @param ahp The matrix.
 * @return 1 if computed and CR ≤ the limit, else 0.
 */
TIER_API int tier_ahp_is_consistent(const tier_ahp *ahp);

/**
 * @brief The priority vector (criteria weights, positive, summing to 1).
 * @param ahp The matrix.
 * @return tier_ahp_size() doubles owned by the matrix, valid until the next judgment change or
 *         compute; NULL when not computed.
 */
TIER_API const double *tier_ahp_weights(const tier_ahp *ahp);

/**
 * @brief An entry of the completed matrix: the judgment a_ij, or w_i/w_j where it is missing.
 * @param value Receives the value.
 * @param ahp A computed matrix.
 * @param i Row criterion.
 * @param j Column criterion.
 * @return ::TIER_OK; ::TIER_ENOTFITTED when not computed; ::TIER_EINVAL.
 */
TIER_API int tier_ahp_completed(double *value, const tier_ahp *ahp, size_t i, size_t j);

/**
 * @brief The principal eigenvalue λmax of the (completed) matrix.
 * @param ahp The matrix.
 * @return λmax (≥ n), or NaN when not computed.
 */
TIER_API double tier_ahp_lambda_max(const tier_ahp *ahp);

/**
 * @brief The consistency index.
 * @param ahp The matrix.
 * @return CI = (λmax − n)/(n − 1), 0 for n ≤ 2, or NaN when not computed.
 */
TIER_API double tier_ahp_ci(const tier_ahp *ahp);

/**
 * @brief The consistency ratio.
 * @param ahp The matrix.
 * @return CR = CI/RI(n), 0 for n ≤ 2, or NaN when not computed.
 */
TIER_API double tier_ahp_cr(const tier_ahp *ahp);

/**
 * @brief Geometric consistency index of Aguarón & Moreno-Jiménez (2003).
 *
 * GCI = Σ ln²(a_ij·v_j/v_i) / (m − n + 1) over the m entered judgments i < j, with v the row
 * geometric mean (LLS) weights; for a complete matrix this is their 2/((n−1)(n−2))·Σ. Their
 * thresholds are 0.31 (n = 3), 0.35 (n = 4), 0.37 (n > 4). 0 when m − n + 1 = 0 (no
 * redundant judgment) or n ≤ 2.
 * @param ahp The matrix.
 * @return The GCI, or NaN when not computed.
 */
TIER_API double tier_ahp_gci(const tier_ahp *ahp);

/**
 * @brief Power iterations used by the last compute.
 * @param ahp The matrix.
 * @return Iterations for the eigenvector (or, for the geometric-mean method, for λmax); 0 when
 *         not computed or n ≤ 2.
 */
TIER_API unsigned int tier_ahp_iterations(const tier_ahp *ahp);

/**
 * @brief The consistency-ratio limit in force.
 * @param ahp The matrix.
 * @return tier_ahp_options::cr_limit as given at creation; NaN for NULL.
 */
TIER_API double tier_ahp_cr_limit(const tier_ahp *ahp);

/**
 * @brief Random index RI(n) used for CR: Saaty's table for n ≤ 15, Alonso & Lamata's formula
 *        (1.7699 n − 4.3513)/(n − 1) beyond.
 * @param n Matrix size, 1 .. ::TIER_AHP_MAX_CRITERIA.
 * @return RI(n) (0 for n ≤ 2), or NaN for n outside the range.
 */
TIER_API double tier_ahp_random_index(size_t n);

/**
 * @brief The most inconsistent entered judgment (largest |ln(a_ij·w_j/w_i)|).
 *
 * The pair is oriented so that a_ij is larger than the weights suggest (a_ij ≥ w_i/w_j).
 * Ties go to the first pair in row-major order.
 *
 * @param i Receives the row criterion.
 * @param j Receives the column criterion.
 * @param suggested Receives w_i/w_j, the value consistent with the weights; may be NULL.
 * @param ahp A computed matrix with at least one entered judgment.
 * @return ::TIER_OK; ::TIER_ENOTFITTED; ::TIER_EEMPTY (n = 1); ::TIER_EINVAL.
 */
TIER_API int tier_ahp_worst_judgment(size_t *i, size_t *j, double *suggested,
                                     const tier_ahp *ahp);

/**
 * @brief Parses judgments from text.
 *
 * The format, line by line ('#' starts a comment; blank lines are ignored; tokens are
 * separated by spaces, tabs or commas):
 * - the first line lists the criteria names (names may not contain separators or '#', and
 *   may not start with a digit, '+', '-', '.' or '/');
 * - a pair line `a b value` says criterion a is `value` times as important as b;
 * - a row line `a v1 v2 … vn` gives row a of the matrix; a row line without the name
 *   (`v1 … vn`) gives the next row in order.
 * A value is a decimal number, a fraction `p/q` (such as `1/3`), or `-`, `?` or `NA` for a
 * missing judgment. Rows follow tier_ahp_set_matrix() (reciprocity checked, the entry ≥ 1
 * wins, a lone entry's reciprocal fills its mirror), so an upper triangle with `-` below the
 * diagonal is fine. A judgment given twice is an error.
 *
 * @code
 * # criteria of the customer score
 * monetary frequency recency
 * monetary  frequency 3
 * monetary  recency   5
 * frequency recency   2
 * @endcode
 *
 * @param out Receives the matrix (not yet computed), owned by the caller; NULL on failure.
 * @param text The text; need not be NUL-terminated. Borrowed.
 * @param len Its length in bytes.
 * @param source Name used in messages ("weights.txt"), or NULL for "<text>". Borrowed.
 * @param opts Options, or NULL. Borrowed.
 * @return ::TIER_OK; ::TIER_EPARSE (the message is "source:line:column: what", with a
 *         suggestion for a misspelt name); ::TIER_ERANGE (bad value or non-reciprocal pair,
 *         with its position); ::TIER_EINVAL; ::TIER_ENOMEM.
 */
TIER_API int tier_ahp_parse(tier_ahp **out, const char *text, size_t len, const char *source,
                            const tier_ahp_options *opts);

/**
 * @brief Reads judgments from a text file in the format of tier_ahp_parse().
 * @param out Receives the matrix, owned by the caller; NULL on failure.
 * @param path The file. Borrowed.
 * @param opts Options, or NULL. Borrowed.
 * @return As tier_ahp_parse(), and ::TIER_EIO (the message names the file and system error).
 */
TIER_API int tier_ahp_load_text(tier_ahp **out, const char *path, const tier_ahp_options *opts);

/* ---------------------------------------------------------------------------------------- */
/* Group decisions                                                                           */
/* ---------------------------------------------------------------------------------------- */

/** How priority vectors of several judges are averaged (tier_ahp_aggregate_priorities()). */
typedef enum tier_ahp_mean {
    /** Weighted geometric mean, renormalised to sum 1. */
    TIER_AHP_MEAN_GEOMETRIC = 1,
    /** Weighted arithmetic mean (sums to 1 up to rounding; renormalised all the same). */
    TIER_AHP_MEAN_ARITHMETIC = 2
} tier_ahp_mean;

/**
 * @brief Aggregation of individual judgments (AIJ): one matrix whose judgments are the
 *        weighted geometric means of the judges' judgments.
 *
 * The geometric mean is the aggregation that keeps the result reciprocal (Aczél & Saaty 1983;
 * Forman & Peniwati, "Aggregating individual judgments and priorities with the analytic
 * hierarchy process", EJOR 108:165–169, 1998): a_ij = Π_k a_ij(k)^λ_k with λ the judge weights
 * normalised to sum 1. A judgment missing for some judges is the weighted geometric mean of
 * the judges who gave it (their weights renormalised); missing for all, it stays missing.
 * Judges are matched by criteria names: every judge must have the same set of names, in any
 * order; the result has the first judge's order.
 *
 * @param out Receives the aggregate matrix (not yet computed), owned by the caller; NULL on
 *        failure.
 * @param judges @p n_judges matrices. Borrowed.
 * @param n_judges At least 1.
 * @param judge_weights @p n_judges finite weights ≥ 0 with a positive sum, or NULL for equal
 *        weights. Borrowed.
 * @param opts Options of the result (method, limit …), or NULL. Borrowed.
 * @return ::TIER_OK; ::TIER_EINVAL (NULL judge, no judges, different criteria — the message
 *         names the judge and criterion —, bad weight); ::TIER_ENOMEM.
 */
TIER_API int tier_ahp_aggregate_judgments(tier_ahp **out, const tier_ahp *const *judges,
                                          size_t n_judges, const double *judge_weights,
                                          const tier_ahp_options *opts);

/**
 * @brief Aggregation of individual priorities (AIP): the judges' priority vectors averaged.
 *
 * Each judge must be computed (inconsistent judges count as they are; check them first if that
 * matters). Criteria are matched by name to the first judge's order.
 *
 * @param weights Receives tier_ahp_size(judges[0]) weights summing to 1. Caller-owned.
 * @param judges @p n_judges computed matrices. Borrowed.
 * @param n_judges At least 1.
 * @param judge_weights @p n_judges finite weights ≥ 0 with a positive sum, or NULL for equal
 *        weights. Borrowed.
 * @param mean ::TIER_AHP_MEAN_GEOMETRIC or ::TIER_AHP_MEAN_ARITHMETIC.
 * @return ::TIER_OK; ::TIER_ENOTFITTED (a judge is not computed; the message gives its
 *         index); ::TIER_EINVAL.
 */
TIER_API int tier_ahp_aggregate_priorities(double *weights, const tier_ahp *const *judges,
                                           size_t n_judges, const double *judge_weights,
                                           tier_ahp_mean mean);

/* ---------------------------------------------------------------------------------------- */
/* Hierarchies                                                                               */
/* ---------------------------------------------------------------------------------------- */

/**
 * An opaque tree of criteria: a goal (node 0), criteria under it, sub-criteria under those, and
 * so on. Each node with two or more children gets a comparison matrix of its children (or
 * explicit local weights). The local weight of a node is its weight among its siblings; its
 * global weight is the product of the local weights on the path from the goal (the goal has
 * 1). The leaves' global weights sum to 1 and are what a scorer uses.
 */
typedef struct tier_ahp_hierarchy tier_ahp_hierarchy;

/**
 * @brief Creates a hierarchy with only its goal.
 * @param out Receives the hierarchy, owned by the caller (tier_ahp_hierarchy_free()).
 * @param goal Name of the goal node (rules of criteria names). Copied.
 * @param opts Options (only the allocator is used), or NULL. Borrowed.
 * @return ::TIER_OK, ::TIER_EINVAL, ::TIER_EVERSION or ::TIER_ENOMEM.
 */
TIER_API int tier_ahp_hierarchy_new(tier_ahp_hierarchy **out, const char *goal,
                                    const tier_ahp_options *opts);

/**
 * @brief Releases a hierarchy and its matrices.
 * @param h The hierarchy, or NULL (then nothing happens).
 */
TIER_API void tier_ahp_hierarchy_free(tier_ahp_hierarchy *h);

/**
 * @brief Adds a node under @p parent.
 * @param index Receives the new node's index; may be NULL. Indices never change.
 * @param h The hierarchy. Clears computed results.
 * @param parent Name of the parent node, or NULL for the goal.
 * @param name Name of the new node, unique in the whole hierarchy. Copied.
 * @return ::TIER_OK; ::TIER_ENOTFOUND (unknown parent, with a suggestion); ::TIER_EEXISTS
 *         (name taken); ::TIER_EINVAL (bad name, or the parent already has
 *         ::TIER_AHP_MAX_CRITERIA children); ::TIER_ENOMEM.
 */
TIER_API int tier_ahp_hierarchy_add(size_t *index, tier_ahp_hierarchy *h, const char *parent,
                                    const char *name);

/**
 * @brief Attaches the comparison matrix of a node's children.
 *
 * @param h The hierarchy. Clears computed results.
 * @param node Name of the node.
 * @param judgments A matrix whose criteria names are exactly the node's children, in any
 *        order. Copied (with its options), so later changes to it do not affect @p h.
 * @return ::TIER_OK; ::TIER_ENOTFOUND (unknown node); ::TIER_EINVAL (criteria differ from the
 *         children: the message names the first difference); ::TIER_ENOMEM.
 */
TIER_API int tier_ahp_hierarchy_set_judgments(tier_ahp_hierarchy *h, const char *node,
                                              const tier_ahp *judgments);

/**
 * @brief Gives a node's children explicit local weights instead of judgments.
 * @param h The hierarchy. Clears computed results.
 * @param node Name of the node.
 * @param weights One finite weight ≥ 0 per child, in the order the children were added,
 *        with a positive sum; normalised to sum 1. Borrowed.
 * @return ::TIER_OK; ::TIER_ENOTFOUND; ::TIER_EINVAL (node without children, bad weight);
 *         ::TIER_ENOMEM.
 */
TIER_API int tier_ahp_hierarchy_set_weights(tier_ahp_hierarchy *h, const char *node,
                                            const double *weights);

/**
 * @brief Computes every node's matrix, then local and global weights.
 *
 * A node with one child gives it local weight 1 without judgments.
 *
 * @param h The hierarchy. Mutated.
 * @return ::TIER_OK; ::TIER_EINCONSISTENT if some node's judgments exceed their CR limit (all
 *         weights are computed all the same; the message names the nodes);
 *         ::TIER_EINVAL (a node with two or more children has neither judgments nor weights,
 *         its judgments no longer match its children, or are disconnected);
 *         ::TIER_ENOTCONVERGED.
 */
TIER_API int tier_ahp_hierarchy_compute(tier_ahp_hierarchy *h);

/**
 * @brief Number of nodes.
 * @param h The hierarchy.
 * @return The node count, the goal included; 0 for NULL.
 */
TIER_API size_t tier_ahp_hierarchy_node_count(const tier_ahp_hierarchy *h);

/**
 * @brief Name of a node.
 * @param h The hierarchy.
 * @param index Node index (0 = the goal).
 * @return A string owned by the hierarchy, valid until it is freed; NULL if out of range.
 */
TIER_API const char *tier_ahp_hierarchy_node_name(const tier_ahp_hierarchy *h, size_t index);

/**
 * @brief Finds a node by name.
 * @param index Receives the node index.
 * @param h The hierarchy.
 * @param name The name. Borrowed.
 * @return ::TIER_OK, ::TIER_ENOTFOUND (with a suggestion) or ::TIER_EINVAL.
 */
TIER_API int tier_ahp_hierarchy_find(size_t *index, const tier_ahp_hierarchy *h,
                                     const char *name);

/**
 * @brief The parent of node @p index.
 * @param parent Receives the parent's index.
 * @param h The hierarchy.
 * @param index Node index.
 * @return ::TIER_OK; ::TIER_ENOTFOUND for the goal; ::TIER_EINVAL (out of range).
 */
TIER_API int tier_ahp_hierarchy_parent(size_t *parent, const tier_ahp_hierarchy *h,
                                       size_t index);

/**
 * @brief Number of children of a node.
 * @param h The hierarchy.
 * @param index Node index.
 * @return The number of children; 0 for a leaf or an index out of range.
 */
TIER_API size_t tier_ahp_hierarchy_child_count(const tier_ahp_hierarchy *h, size_t index);

/**
 * @brief The @p k-th child (in order of addition) of node @p index.
 * @param child Receives the child's node index.
 * @param h The hierarchy.
 * @param index Node index.
 * @param k Child position, 0 .. tier_ahp_hierarchy_child_count() − 1.
 * @return ::TIER_OK or ::TIER_EINVAL (out of range).
 */
TIER_API int tier_ahp_hierarchy_child(size_t *child, const tier_ahp_hierarchy *h, size_t index,
                                      size_t k);

/**
 * @brief Depth of a node.
 * @param h The hierarchy.
 * @param index Node index.
 * @return 0 for the goal, 1 for its children, …; 0 if out of range.
 */
TIER_API size_t tier_ahp_hierarchy_depth(const tier_ahp_hierarchy *h, size_t index);

/**
 * @brief Local weight of a node among its siblings.
 * @param h A computed hierarchy.
 * @param index Node index.
 * @return The local weight (1 for the goal and for an only child); NaN when not computed or out
 *         of range.
 */
TIER_API double tier_ahp_hierarchy_local_weight(const tier_ahp_hierarchy *h, size_t index);

/**
 * @brief Global weight of a node: the product of the local weights on its path from the goal.
 * @param h A computed hierarchy.
 * @param index Node index.
 * @return The global weight; NaN when not computed or out of range.
 */
TIER_API double tier_ahp_hierarchy_global_weight(const tier_ahp_hierarchy *h, size_t index);

/**
 * @brief The comparison matrix attached to node @p index (after tier_ahp_hierarchy_compute()
 *        it holds the node's CR, worst judgment …).
 * @param h The hierarchy.
 * @param index Node index.
 * @return A matrix owned by the hierarchy, valid until the node's judgments are replaced or the
 *         hierarchy is freed; NULL if the node has none.
 */
TIER_API const tier_ahp *tier_ahp_hierarchy_judgments(const tier_ahp_hierarchy *h,
                                                      size_t index);

/**
 * @brief Number of leaves.
 * @param h The hierarchy.
 * @return The number of nodes without children other than the goal; 0 for NULL.
 */
TIER_API size_t tier_ahp_hierarchy_leaf_count(const tier_ahp_hierarchy *h);

/**
 * @brief The node index of the @p k-th leaf, leaves in depth-first order of addition.
 * @param index Receives the node index.
 * @param h The hierarchy.
 * @param k Leaf position, 0 .. tier_ahp_hierarchy_leaf_count() − 1.
 * @return ::TIER_OK or ::TIER_EINVAL (out of range).
 */
TIER_API int tier_ahp_hierarchy_leaf(size_t *index, const tier_ahp_hierarchy *h, size_t k);

/* ---------------------------------------------------------------------------------------- */
/* The AHP scoring strategy                                                                  */
/* ---------------------------------------------------------------------------------------- */

/** Which end of a criterion's column is better. */
typedef enum tier_ahp_direction {
    TIER_AHP_HIGHER_IS_BETTER = 0, /**< Larger values score higher (monetary, frequency). */
    TIER_AHP_LOWER_IS_BETTER = 1   /**< Smaller values score higher (recency, returns). */
} tier_ahp_direction;

/** How a criterion's column is mapped to [0, 1] before weighting (see tier_ahp_scorer_new()). */
typedef enum tier_ahp_normalization {
    TIER_AHP_NORM_MINMAX = 0,     /**< (x − min)/(max − min), fitted min and max. */
    TIER_AHP_NORM_ZSCORE = 1,     /**< Φ((x − mean)/sd): the standard normal CDF of the z-score. */
    TIER_AHP_NORM_PERCENTILE = 2, /**< Mid-rank percentile in the fitted distribution. */
    TIER_AHP_NORM_RANGE = 3       /**< (x − lo)/(hi − lo) with a fixed, user-given range. */
} tier_ahp_normalization;

/** What the scorer does with a NaN input. */
typedef enum tier_ahp_missing {
    /** Fit and apply fail with ::TIER_ERANGE naming the customer and column (default). */
    TIER_AHP_MISSING_ERROR = 0,
    /** The customer's `ahp_score` is NaN (components of present criteria are still written). */
    TIER_AHP_MISSING_UNSCORED = 1,
    /** The criterion counts as the worst possible value: it contributes 0. */
    TIER_AHP_MISSING_WORST = 2,
    /** The score is the weighted mean over the criteria present (weights renormalised); NaN if
     *  none is present. */
    TIER_AHP_MISSING_REWEIGHT = 3
} tier_ahp_missing;

/** Options for the AHP scorer constructors. Arrays have one entry per criterion, in the order of
 *  the weights' source (matrix criteria, hierarchy leaves, or the names given). */
typedef struct tier_ahp_scorer_options {
    /** Must be ::TIER_AHP_SCORER_OPTIONS_VERSION (or an older version number). */
    unsigned int version;
    /** Allocator for the scorer; NULL for the C library's. */
    const tier_allocator *allocator;
    /** Prefix of the output column names; NULL or "" for none. Copied. */
    const char *output_prefix;
    /** Dataset column of each criterion; NULL (or a NULL entry) means the column named like the
     *  criterion. Copied. */
    const char *const *columns;
    /** Direction of each criterion; NULL means all ::TIER_AHP_HIGHER_IS_BETTER. Copied. */
    const tier_ahp_direction *directions;
    /** Normalisation of each criterion; NULL means all ::TIER_AHP_NORM_MINMAX. Copied. */
    const tier_ahp_normalization *normalizations;
    /** Lower ends of the fixed ranges of ::TIER_AHP_NORM_RANGE criteria (other entries are
     *  ignored); required if any criterion uses it. Copied. */
    const double *range_min;
    /** Upper ends, each > its lower end. Copied. */
    const double *range_max;
    /** NaN handling (default ::TIER_AHP_MISSING_ERROR). */
    tier_ahp_missing missing;
    /** Non-zero: also write each criterion's normalised, direction-adjusted value (0..1) as a
     *  column `ahp_<column>`, to show what makes up a score. Default 0. */
    int components;
    /** Non-zero: accept judgments whose CR exceeds their limit. Default 0 (such judgments are
     *  refused with ::TIER_EINCONSISTENT). */
    int allow_inconsistent;
} tier_ahp_scorer_options;

/** Current version of ::tier_ahp_scorer_options. */
#define TIER_AHP_SCORER_OPTIONS_VERSION 1
/** Static initialiser for ::tier_ahp_scorer_options with default values. */
#define TIER_AHP_SCORER_OPTIONS_INIT \
    { TIER_AHP_SCORER_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
      TIER_AHP_MISSING_ERROR, 0, 0 }

/**
 * @brief Initialises @p opts with default values, as ::TIER_AHP_SCORER_OPTIONS_INIT does.
 * @param opts Caller-owned struct to fill.
 * @param version ::TIER_AHP_SCORER_OPTIONS_VERSION.
 * @return ::TIER_OK, ::TIER_EINVAL if @p opts is NULL, ::TIER_EVERSION for an unknown version.
 */
TIER_API int tier_ahp_scorer_options_init(tier_ahp_scorer_options *opts, unsigned int version);

/**
 * @brief Creates an AHP scorer (kind "ahp") weighting the criteria of a computed matrix.
 *
 * The scorer is a ::tier_scorer (scorer.h): fit, apply, save and load it with the generic
 * functions. It writes
 *
 * ahp_score = 100 · Σ_k w_k · s_k
 *
 * (0 … 100) where w are the criteria weights and s_k ∈ [0, 1] is criterion k's column value,
 * normalised and turned so that 1 is best:
 * - ::TIER_AHP_NORM_MINMAX: (x − min)/(max − min) with the fitted min and max;
 * - ::TIER_AHP_NORM_ZSCORE: Φ((x − mean)/sd), the standard normal CDF, with the fitted mean and
 *   sample standard deviation (n − 1);
 * - ::TIER_AHP_NORM_PERCENTILE: (#{fitted < x} + ½·#{fitted = x}) / N, the mid-rank percentile
 *   among the N fitted values (ties share a value; the model stores the fitted distribution as
 *   distinct values with counts, so its size grows with the number of distinct values);
 * - ::TIER_AHP_NORM_RANGE: (x − lo)/(hi − lo) with the user's fixed range (no fit needed).
 * Values outside the fitted (or fixed) range are clamped to 0 or 1. For
 * ::TIER_AHP_LOWER_IS_BETTER, s = 1 − the above. A constant column (max = min, or sd = 0)
 * carries no information: it gives s = ½ to its fitted value, and 1 above / 0 below it
 * (before the direction is applied).
 *
 * @par Fit and missing values
 * Each criterion is fitted on the customers whose value is not NaN (so one missing column does
 * not shrink the others' fit). Infinite values are always an error (::TIER_ERANGE naming the
 * customer). NaN values follow tier_ahp_scorer_options::missing. A criterion with no usable
 * value fails with ::TIER_EEMPTY. Equal inputs always get equal scores. Scores are computed
 * row by row in a fixed criterion order, so they do not depend on the thread count, and a saved
 * and loaded model gives bit-identical output.
 *
 * @param out Receives the scorer, owned by the caller (tier_scorer_free()); NULL on failure.
 * @param ahp A computed matrix (tier_ahp_compute()). Borrowed: its names and weights are copied.
 * @param opts Options, or NULL for defaults. Borrowed.
 * @return ::TIER_OK; ::TIER_ENOTFITTED (@p ahp not computed); ::TIER_EINCONSISTENT (CR above the
 *         limit and not tier_ahp_scorer_options::allow_inconsistent); ::TIER_EINVAL (bad
 *         option, column name, range or output name); ::TIER_EVERSION; ::TIER_ENOMEM.
 */
TIER_API int tier_ahp_scorer_new(tier_scorer **out, const tier_ahp *ahp,
                                 const tier_ahp_scorer_options *opts);

/**
 * @brief Creates an AHP scorer from explicit weights (e.g. from tier_ahp_aggregate_priorities()).
 *
 * @param out Receives the scorer, owned by the caller; NULL on failure.
 * @param n Number of criteria, 1 … 4096.
 * @param criteria @p n distinct criteria names. Copied.
 * @param weights @p n finite weights ≥ 0 with a positive sum; normalised to sum 1. Copied.
 * @param opts Options, or NULL. Borrowed.
 * @return As tier_ahp_scorer_new() (without ::TIER_ENOTFITTED / ::TIER_EINCONSISTENT).
 */
TIER_API int tier_ahp_scorer_new_weights(tier_scorer **out, size_t n,
                                         const char *const *criteria, const double *weights,
                                         const tier_ahp_scorer_options *opts);

/**
 * @brief Creates an AHP scorer whose criteria are a computed hierarchy's leaves, weighted by
 *        their global weights (leaves in the order of tier_ahp_hierarchy_leaf()).
 * @param out Receives the scorer, owned by the caller; NULL on failure.
 * @param h A computed hierarchy with at least one leaf. Borrowed.
 * @param opts Options, or NULL. Borrowed.
 * @return As tier_ahp_scorer_new(); ::TIER_EINCONSISTENT names the first inconsistent node.
 */
TIER_API int tier_ahp_scorer_new_hierarchy(tier_scorer **out, const tier_ahp_hierarchy *h,
                                           const tier_ahp_scorer_options *opts);

/**
 * @brief AHP-weighted RFM: weights the R, F and M scores of an RFM scorer (rfm.h).
 *
 * The three criteria of @p ahp weigh, in order, the columns `r_score`, `f_score` and `m_score`
 * (override with tier_ahp_scorer_options::columns, e.g. for a prefixed RFM scorer). Each uses
 * ::TIER_AHP_NORM_RANGE over [1, @p bins] and ::TIER_AHP_HIGHER_IS_BETTER (r_score is already
 * reversed), so ahp_score = 100 · Σ w_k (score_k − 1)/(bins − 1): 0 for 1-1-1 and 100 for a
 * top customer in every dimension. The options' directions, normalizations and ranges are
 * ignored. Nothing is learnt from data: the scorer counts as fitted as soon as it is created
 * (apply and save work right away; fit only checks the columns). The same holds for any AHP
 * scorer whose criteria all use ::TIER_AHP_NORM_RANGE.
 *
 * @param out Receives the scorer, owned by the caller; NULL on failure.
 * @param ahp A computed 3-criteria matrix (recency, frequency, monetary importance). Borrowed.
 * @param bins The RFM bins per dimension, 2 … 10 (5 by default in rfm.h).
 * @param opts Options, or NULL. Borrowed.
 * @return As tier_ahp_scorer_new(); ::TIER_EINVAL if @p ahp does not have 3 criteria or
 *         @p bins is out of range.
 */
TIER_API int tier_ahp_scorer_new_rfm(tier_scorer **out, const tier_ahp *ahp, unsigned int bins,
                                     const tier_ahp_scorer_options *opts);

/**
 * @brief Number of criteria of an AHP scorer.
 * @param scorer The scorer.
 * @return The number of criteria; 0 for NULL or a scorer of another kind.
 */
TIER_API size_t tier_ahp_scorer_criteria_count(const tier_scorer *scorer);

/**
 * @brief Describes criterion @p k of an AHP scorer.
 * @param name Receives the criterion name (owned by the scorer, valid until it is freed); may be
 *        NULL.
 * @param column Receives its input column name (same ownership); may be NULL.
 * @param weight Receives its weight (the weights sum to 1); may be NULL.
 * @param scorer An AHP scorer.
 * @param k Criterion index.
 * @return ::TIER_OK; ::TIER_EINVAL (not an AHP scorer — the message names its kind — or @p k
 *         out of range).
 */
TIER_API int tier_ahp_scorer_criterion(const char **name, const char **column, double *weight,
                                       const tier_scorer *scorer, size_t k);

/**
 * @brief The fitted normalisation parameters of criterion @p k.
 * @param a Receives min (min-max, percentile), mean (z-score) or lo (range).
 * @param b Receives max, sample sd, max or hi respectively.
 * @param scorer An AHP scorer.
 * @param k Criterion index.
 * @return ::TIER_OK; ::TIER_ENOTFITTED; ::TIER_EINVAL.
 */
TIER_API int tier_ahp_scorer_params(double *a, double *b, const tier_scorer *scorer, size_t k);


#ifdef __cplusplus
}
#endif

#endif /* TIER_AHP_H */
