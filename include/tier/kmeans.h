/**
 * @file kmeans.h
 * @brief K-means segmentation: exact Lloyd and Hamerly k-means over chosen feature columns.
 *
 * A k-means scorer is a ::tier_scorer (scorer.h): create it with tier_kmeans_new(), then fit,
 * apply, save and load it with the generic functions. Its kind name is "kmeans". Use it when the
 * tiers are not known in advance: it groups customers by behaviour (e.g. log recency, frequency,
 * monetary, tenure) into k clusters.
 *
 * @par Features and transforms
 * The inputs are numeric columns chosen by name (default `recency`, `frequency`, `monetary`),
 * each with a ::tier_kmeans_transform. A transform first optionally takes log(1 + x), then
 * optionally standardises: z-score (x − mean) / sd with the population standard deviation, or
 * min–max (x − min) / (max − min). A feature whose fitted values are all equal gets scale 1 (so
 * it becomes 0 after a z-score). The fitted shift and scale are saved with the model and used
 * unchanged by tier_scorer_apply(), so new customers are placed in the same space (read them with
 * tier_kmeans_transform_params()). Statistics are unweighted. Clustering happens in the
 * transformed space ("transformed units"); tier_kmeans_centers() also returns the centers mapped
 * back through the inverse transform ("original units").
 *
 * @par Weights
 * An optional weight column gives each customer a weight ≥ 0 (e.g. to cluster a sample that
 * stands for a population). Weights scale each customer's share of the center means, of the
 * inertia and of the k-means++ sampling, exactly like scikit-learn's `sample_weight`; they do not
 * change the transforms or the tolerance. Customers of weight 0 still get a cluster.
 *
 * @par Initialisation
 * - ::TIER_KMEANS_INIT_PLUSPLUS (default): greedy k-means++ exactly as scikit-learn does it — the
 *   first center is a row drawn with probability proportional to its weight; each further center
 *   is the best (lowest resulting inertia, first on ties) of 2 + ⌊ln k⌋ candidate rows drawn with
 *   probability proportional to weight × squared distance to the nearest center so far. libtier
 *   draws from its own seeded generator (xoshiro256**), so the centers equal scikit-learn's only
 *   in distribution; the result depends on the seed and never on the thread count.
 * - ::TIER_KMEANS_INIT_RANDOM: k distinct rows drawn without replacement with probability
 *   proportional to their weight (at least k rows need a positive weight).
 * - ::TIER_KMEANS_INIT_GIVEN: the caller's k centers (tier_kmeans_options::init_centers), in the
 *   units chosen by tier_kmeans_options::init_units.
 *
 * With n_init > 1 the whole fit runs n_init times from different seeds and keeps the run with the
 * lowest inertia (the earliest on ties). Run r draws from seed tier_kmeans_options::seed mixed
 * with r, so run 0 is the run a single fit with the same seed would do.
 *
 * @par Algorithm and stopping rule
 * Both algorithms are exact: from the same initial centers, ::TIER_KMEANS_LLOYD and
 * ::TIER_KMEANS_HAMERLY (Hamerly's bounds, which skip distance computations that cannot change a
 * label) give bit-identical labels, centers, iteration counts and inertia. An iteration assigns
 * every customer to the nearest center by squared Euclidean distance (the lowest cluster index
 * wins an exact tie), then moves each center to the weighted mean of its customers. Without a
 * weight column, once few labels change (at most 1 in 16 in the previous iteration) the sums
 * behind the means are carried over and updated by the customers that changed cluster instead
 * of being summed again: the counts stay exact and the means differ from freshly summed ones by
 * rounding only (fresh sums are taken again whenever a cluster has shrunk a thousandfold). The
 * fit stops as scikit-learn's does:
 * - when no label changed in an iteration ("strict convergence"), or
 * - when the sum over centers of the squared center shift is ≤ tol × the mean over features of
 *   the (unweighted, population) variance of the transformed feature, or
 * - after max_iter iterations (then tier_kmeans_fit_info() reports converged = 0).
 *
 * If it stopped for another reason than strict convergence, labels are recomputed once against
 * the final centers, so labels are always those of the nearest final center and applying the
 * model to the fitted dataset reproduces them. The reported inertia is Σ weight × squared
 * distance to the assigned center. From the same initial centers this reproduces scikit-learn's
 * `KMeans(init=centers, n_init=1, algorithm="lloyd")` labels, iteration count and inertia (to
 * rounding: libtier computes distances as Σ (x − c)², scikit-learn as ‖x‖² − 2x·c + ‖c‖²).
 *
 * @par Empty clusters
 * After an assignment, every cluster with total weight 0 is refilled with one of the customers
 * (of positive weight) farthest from their own center — the farthest for the lowest-numbered
 * empty cluster, and so on; equal distances go to the lower row — which is scikit-learn's
 * relocation rule made deterministic. If every customer sits exactly on its center, nothing can
 * be refilled and an empty cluster keeps its previous center.
 *
 * @par Threads and processors
 * Work is split into blocks of rows whose boundaries do not depend on the thread count, and
 * partial sums are combined in block order: labels, centers, inertia and every reported number
 * are bit-identical for any tier_kmeans_options::n_threads. They do not depend on the
 * processor's instruction set either: a squared distance is always Σ_j (x_j − c_j)² computed the
 * same way — the first term a product, each later one added by a fused multiply-add (one
 * rounding, as C99 `fma()`) — so whichever vector code the library picks at run time (AVX-512,
 * AVX2 with FMA, or portable C) computes the same bits. The portable code calls the C library's
 * `fma()`: one instruction on aarch64 and on x86-64 with FMA, a slower exact software routine
 * on older x86-64 processors. (Across platforms, ::TIER_KMEANS_LOG1P uses the C library's
 * `log1p()`, which is not correctly rounded everywhere.)
 *
 * @par Outputs (numeric, in this order, each name after the output prefix)
 * | column | value |
 * |---|---|
 * | `cluster` | 0 .. k − 1, renumbered by tier_kmeans_options::order_by (see below) |
 * | `cluster_distance` | Euclidean distance to the cluster's center, in transformed units |
 *
 * @par Cluster order
 * Without tier_kmeans_options::order_by, clusters are numbered in the order of their initial
 * centers. With it, clusters are renumbered by the mean of that numeric column over each cluster's
 * fitted customers (NaN values skipped; a cluster with no value sorts last), highest mean first
 * (or lowest with tier_kmeans_options::order_ascending), so that with order_by = "monetary"
 * cluster 0 is the most valuable. Equal means keep their algorithm order. The column is read at
 * fit time only; it need not be a feature.
 *
 * @par Missing values (NaN) and infinities
 * With ::TIER_KMEANS_NAN_ERROR (the default) fit and apply fail with ::TIER_ERANGE naming the
 * first customer (lowest row, then first feature) whose feature is NaN or infinite, or becomes
 * so through the transform (log1p of a value ≤ −1): "kmeans: feature 'recency' is NaN for
 * customer 'C042' (row 41)". With ::TIER_KMEANS_NAN_SKIP such customers are left out of the fit
 * and apply gives them NaN in both outputs. A NaN, infinite or negative weight is always an
 * error.
 *
 * @par Limits
 * 1 to ::TIER_KMEANS_MAX_FEATURES features; 1 ≤ k ≤ number of fitted customers. k = 1 puts
 * everyone in one cluster; k = number of customers gives every distinct customer its own center.
 */
#ifndef TIER_KMEANS_H
#define TIER_KMEANS_H

#include "common.h"
#include "dataset.h"
#include "scorer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The largest number of feature columns a k-means scorer accepts. */
#define TIER_KMEANS_MAX_FEATURES 64

/** Per-feature transform applied before clustering (see the file description). */
typedef enum tier_kmeans_transform {
    TIER_KMEANS_RAW = 0,          /**< The value as it is. */
    TIER_KMEANS_LOG1P = 1,        /**< log(1 + x); needs x > −1. */
    TIER_KMEANS_ZSCORE = 2,       /**< (x − mean) / population sd. */
    TIER_KMEANS_MINMAX = 3,       /**< (x − min) / (max − min), into [0, 1] on the fitted data. */
    TIER_KMEANS_LOG1P_ZSCORE = 4, /**< log(1 + x), then z-score. */
    TIER_KMEANS_LOG1P_MINMAX = 5  /**< log(1 + x), then min–max. */
} tier_kmeans_transform;

/** How the initial centers are chosen. */
typedef enum tier_kmeans_init {
    TIER_KMEANS_INIT_PLUSPLUS = 0, /**< Greedy k-means++ (scikit-learn's), seeded. */
    TIER_KMEANS_INIT_RANDOM = 1,   /**< k distinct rows, drawn by weight, seeded. */
    TIER_KMEANS_INIT_GIVEN = 2     /**< tier_kmeans_options::init_centers. */
} tier_kmeans_init;

/** The k-means iteration. Both give identical results; they differ in speed only. */
typedef enum tier_kmeans_algorithm {
    TIER_KMEANS_AUTO = 0,   /**< Hamerly when k ≥ 32, else Lloyd (measured: bench/README.md). */
    TIER_KMEANS_LLOYD = 1,  /**< Every distance in every iteration, vectorised over rows. */
    TIER_KMEANS_HAMERLY = 2 /**< Hamerly's bounds: skips distances that cannot change a label. */
} tier_kmeans_algorithm;

/** Units of centers. */
typedef enum tier_kmeans_units {
    TIER_KMEANS_ORIGINAL = 0,   /**< The units of the dataset columns (inverse transform). */
    TIER_KMEANS_TRANSFORMED = 1 /**< The space the clustering works in. */
} tier_kmeans_units;

/** What to do with customers whose features are NaN or infinite. */
typedef enum tier_kmeans_nan_policy {
    TIER_KMEANS_NAN_ERROR = 0, /**< Fail with ::TIER_ERANGE naming the customer (default). */
    TIER_KMEANS_NAN_SKIP = 1   /**< Leave them out of the fit; NaN outputs on apply. */
} tier_kmeans_nan_policy;

/** Options for tier_kmeans_new() and tier_kmeans_choose_k(). */
typedef struct tier_kmeans_options {
    /** Must be ::TIER_KMEANS_OPTIONS_VERSION (or an older version number). */
    unsigned int version;
    /** Allocator for the scorer; NULL for the C library's. */
    const tier_allocator *allocator;
    /** Number of feature columns, 1..::TIER_KMEANS_MAX_FEATURES; 0 means the default three
     *  (`recency`, `frequency`, `monetary`). */
    size_t n_features;
    /** @ref n_features distinct column names (ignored when @ref n_features is 0). Copied. */
    const char *const *features;
    /** One transform per feature (3 when @ref n_features is 0), or NULL for ::TIER_KMEANS_ZSCORE
     *  on every feature. Copied. */
    const tier_kmeans_transform *transforms;
    /** Name of a numeric weight column, or NULL for weight 1 everywhere. Copied. */
    const char *weights;
    /** Number of clusters, ≥ 1; default 8. */
    unsigned int k;
    /** Initialisation; default ::TIER_KMEANS_INIT_PLUSPLUS. */
    tier_kmeans_init init;
    /** With ::TIER_KMEANS_INIT_GIVEN: k × n_features finite values, row-major (center 0's
     *  features first). Copied. Ignored otherwise. */
    const double *init_centers;
    /** Units of @ref init_centers; default ::TIER_KMEANS_ORIGINAL (they are transformed with the
     *  transform fitted on the data; a center must lie inside a log1p feature's domain). */
    tier_kmeans_units init_units;
    /** Seed of the random initialisation; default 0. */
    uint64_t seed;
    /** Number of runs keeping the lowest inertia; 0 (default) means 1, or 10 with
     *  ::TIER_KMEANS_INIT_RANDOM (scikit-learn's "auto"). Always 1 with given centers. */
    unsigned int n_init;
    /** Algorithm; default ::TIER_KMEANS_AUTO. */
    tier_kmeans_algorithm algorithm;
    /** Maximum iterations per run, ≥ 1; default 300. */
    unsigned int max_iter;
    /** Relative tolerance of the stopping rule, finite and ≥ 0; default 1e-4. */
    double tol;
    /** Worker threads for fit and apply; 0 (default) uses the dataset's setting. Results never
     *  depend on it. */
    unsigned int n_threads;
    /** Numeric column whose per-cluster mean orders the clusters, or NULL to keep the algorithm's
     *  order. Copied. */
    const char *order_by;
    /** Non-zero: lowest mean of @ref order_by first (e.g. recency). Default 0: highest first. */
    int order_ascending;
    /** NaN handling; default ::TIER_KMEANS_NAN_ERROR. */
    tier_kmeans_nan_policy nan_policy;
    /** Prefix of the output column names; NULL or "" for none. Copied. */
    const char *output_prefix;
} tier_kmeans_options;

/** Current version of ::tier_kmeans_options. */
#define TIER_KMEANS_OPTIONS_VERSION 1
/** Static initialiser for ::tier_kmeans_options with default values. */
#define TIER_KMEANS_OPTIONS_INIT                                                                 \
    { TIER_KMEANS_OPTIONS_VERSION, NULL, 0, NULL, NULL, NULL, 8, TIER_KMEANS_INIT_PLUSPLUS,    \
      NULL, TIER_KMEANS_ORIGINAL, 0, 0, TIER_KMEANS_AUTO, 300, 1e-4, 0, NULL, 0,               \
      TIER_KMEANS_NAN_ERROR, NULL }

/**
 * @brief Initialises @p opts with default values, as ::TIER_KMEANS_OPTIONS_INIT does.
 * @param opts Caller-owned struct to fill.
 * @param version ::TIER_KMEANS_OPTIONS_VERSION.
 * @return ::TIER_OK, ::TIER_EINVAL if @p opts is NULL, ::TIER_EVERSION for an unknown version.
 */
TIER_API int tier_kmeans_options_init(tier_kmeans_options *opts, unsigned int version);

/**
 * @brief Creates an unfitted k-means scorer.
 * @param out Receives the scorer, owned by the caller (tier_scorer_free()); NULL on failure.
 * @param opts Options, or NULL for defaults. Borrowed (everything is copied).
 * @return ::TIER_OK; ::TIER_EINVAL (k = 0, too many or repeated features, a NULL or empty name,
 *         an unknown enum value, max_iter = 0, a negative or non-finite tol, given centers missing
 *         or not finite, a bad output prefix; the message says which); ::TIER_EVERSION;
 *         ::TIER_ENOMEM.
 */
TIER_API int tier_kmeans_new(tier_scorer **out, const tier_kmeans_options *opts);

/**
 * @brief Number of clusters k.
 * @param km A k-means scorer (fitted or not).
 * @return k, or 0 if @p km is NULL or not a k-means scorer (then ::TIER_EINVAL is recorded).
 */
TIER_API unsigned int tier_kmeans_k(const tier_scorer *km);

/**
 * @brief Number of feature columns.
 * @param km A k-means scorer (fitted or not).
 * @return 1..::TIER_KMEANS_MAX_FEATURES, or 0 if @p km is NULL or not a k-means scorer (then
 *         ::TIER_EINVAL is recorded).
 */
TIER_API size_t tier_kmeans_feature_count(const tier_scorer *km);

/**
 * @brief The fitted centers, in cluster order (after renumbering).
 * @param centers Receives k × tier_kmeans_feature_count() values, row-major (cluster 0's
 *        features first), owned by the scorer, valid until the next fit or until it is freed.
 *        Original units are the inverse transform of the transformed centers (so a log1p
 *        feature's center is a geometric-type mean, not the arithmetic mean of its customers:
 *        see tier_kmeans_cluster_means()).
 * @param km A fitted k-means scorer.
 * @param units ::TIER_KMEANS_TRANSFORMED or ::TIER_KMEANS_ORIGINAL.
 * @return ::TIER_OK; ::TIER_EINVAL (NULL, not a k-means scorer, unknown units);
 *         ::TIER_ENOTFITTED.
 */
TIER_API int tier_kmeans_centers(const double **centers, const tier_scorer *km,
                                 tier_kmeans_units units);

/**
 * @brief The fitted transform of feature @p feature: transformed = (v − shift) / scale, where v
 *        is the value, or log(1 + value) for the log1p transforms.
 * @param shift Receives the shift (0 for ::TIER_KMEANS_RAW and ::TIER_KMEANS_LOG1P). May be NULL.
 * @param scale Receives the scale (1 for ::TIER_KMEANS_RAW and ::TIER_KMEANS_LOG1P). May be NULL.
 * @param km A fitted k-means scorer.
 * @param feature 0 .. tier_kmeans_feature_count() − 1.
 * @return ::TIER_OK; ::TIER_EINVAL; ::TIER_ENOTFITTED.
 */
TIER_API int tier_kmeans_transform_params(double *shift, double *scale, const tier_scorer *km,
                                          size_t feature);

/**
 * @brief How the fit went (the kept run when n_init > 1).
 * @param inertia Receives Σ weight × squared distance to the assigned center (transformed
 *        units). May be NULL.
 * @param n_iter Receives the number of iterations. May be NULL.
 * @param converged Receives 1 if a stopping rule was met, 0 if max_iter ended the fit. May be
 *        NULL.
 * @param km A fitted k-means scorer.
 * @return ::TIER_OK; ::TIER_EINVAL; ::TIER_ENOTFITTED.
 */
TIER_API int tier_kmeans_fit_info(double *inertia, unsigned int *n_iter, int *converged,
                                  const tier_scorer *km);

/**
 * @brief Size of cluster @p cluster among the fitted customers.
 * @param size Receives the number of customers. May be NULL.
 * @param share Receives size / number of fitted customers (0..1). May be NULL.
 * @param weight Receives the total weight (= size without a weight column). May be NULL.
 * @param km A fitted k-means scorer.
 * @param cluster 0 .. k − 1.
 * @return ::TIER_OK; ::TIER_EINVAL; ::TIER_ENOTFITTED.
 */
TIER_API int tier_kmeans_cluster_size(size_t *size, double *share, double *weight,
                                      const tier_scorer *km, unsigned int cluster);

/**
 * @brief Per-cluster means of the features in original units (unweighted, over the fitted
 *        customers of each cluster; NaN for an empty cluster).
 * @param means Receives k × tier_kmeans_feature_count() values, row-major, owned by the scorer,
 *        valid until the next fit or until it is freed.
 * @param km A fitted k-means scorer.
 * @return ::TIER_OK; ::TIER_EINVAL; ::TIER_ENOTFITTED.
 */
TIER_API int tier_kmeans_cluster_means(const double **means, const tier_scorer *km);

/**
 * @brief Per-cluster means of the tier_kmeans_options::order_by column, which ordered the
 *        clusters (NaN where a cluster had no value).
 * @param values Receives k values owned by the scorer, valid until the next fit or until it is
 *        freed.
 * @param km A fitted k-means scorer created with an order_by column.
 * @return ::TIER_OK; ::TIER_EINVAL (also when the scorer has no order_by column);
 *         ::TIER_ENOTFITTED.
 */
TIER_API int tier_kmeans_order_values(const double **values, const tier_scorer *km);

/**
 * @brief The initial centers a fit of @p ds with @p opts starts from, without iterating.
 *
 * The counterpart of scikit-learn's `kmeans_plusplus()`: the data are prepared exactly as
 * tier_scorer_fit() prepares them (transforms fitted on @p ds, NaN policy, weights), then the
 * centers of run 0 are drawn (k-means++ or random rows with @p opts->seed) or taken from
 * @p opts->init_centers. Passing them back as ::TIER_KMEANS_INIT_GIVEN centers in transformed
 * units reproduces that run exactly (original units go through the inverse transform and back,
 * which may round). The result never depends on the thread count.
 *
 * @param centers Caller buffer of k × n_features doubles; receives the centers row-major.
 * @param ds The dataset. Borrowed, not modified.
 * @param opts Options as for tier_kmeans_new(), or NULL for defaults. Borrowed.
 * @param units ::TIER_KMEANS_TRANSFORMED or ::TIER_KMEANS_ORIGINAL for @p centers.
 * @return ::TIER_OK; the errors of tier_kmeans_new() and tier_scorer_fit().
 */
TIER_API int tier_kmeans_initial_centers(double *centers, const tier_dataset *ds,
                                         const tier_kmeans_options *opts, tier_kmeans_units units);

/* ---- choosing k ----------------------------------------------------------------------------- */

/** Options for tier_kmeans_choose_k(). */
typedef struct tier_kmeans_choose_options {
    /** Must be ::TIER_KMEANS_CHOOSE_OPTIONS_VERSION (or an older version number). */
    unsigned int version;
    /** Smallest k tried, ≥ 1; default 2. */
    unsigned int k_min;
    /** Largest k tried, ≥ k_min and ≤ the number of fitted customers; default 10. */
    unsigned int k_max;
    /** Customers in the silhouette sample (drawn without replacement, seeded); 0 means all
     *  customers (cost grows with the square). Default 5000. */
    size_t silhouette_sample;
    /** Seed of the silhouette sample; default 0. */
    uint64_t silhouette_seed;
} tier_kmeans_choose_options;

/** Current version of ::tier_kmeans_choose_options. */
#define TIER_KMEANS_CHOOSE_OPTIONS_VERSION 1
/** Static initialiser for ::tier_kmeans_choose_options with default values. */
#define TIER_KMEANS_CHOOSE_OPTIONS_INIT { TIER_KMEANS_CHOOSE_OPTIONS_VERSION, 2, 10, 5000, 0 }

/**
 * @brief Initialises @p opts with default values, as ::TIER_KMEANS_CHOOSE_OPTIONS_INIT does.
 * @param opts Caller-owned struct to fill.
 * @param version ::TIER_KMEANS_CHOOSE_OPTIONS_VERSION.
 * @return ::TIER_OK, ::TIER_EINVAL if @p opts is NULL, ::TIER_EVERSION for an unknown version.
 */
TIER_API int tier_kmeans_choose_options_init(tier_kmeans_choose_options *opts,
                                             unsigned int version);

/** Quality measures of a clustering, computed by tier_kmeans_choose_k() in transformed units
 *  over the fitted customers (unweighted except the inertia). */
typedef enum tier_kmeans_metric {
    /** The fit's inertia; lower is better, but it always falls with k: its pick is the elbow. */
    TIER_KMEANS_INERTIA = 0,
    /** Mean silhouette on the seeded sample, −1..1, higher is better (scikit-learn's
     *  `silhouette_score` on the same rows). NaN when the sample has fewer than 2 or as many
     *  distinct clusters as rows. */
    TIER_KMEANS_SILHOUETTE = 1,
    /** Calinski–Harabasz index, higher is better; NaN with fewer than 2 distinct clusters. */
    TIER_KMEANS_CALINSKI_HARABASZ = 2,
    /** Davies–Bouldin index, lower is better; NaN with fewer than 2 distinct clusters. */
    TIER_KMEANS_DAVIES_BOULDIN = 3,
    /** The fit's number of iterations (as a double). */
    TIER_KMEANS_ITERATIONS = 4
} tier_kmeans_metric;

/** An opaque table of metrics per k, computed by tier_kmeans_choose_k(). */
typedef struct tier_kmeans_choice tier_kmeans_choice;

/**
 * @brief Fits k-means for every k in [k_min, k_max] and measures each clustering.
 *
 * Every fit uses @p opts (features, transforms, weights, init, seed, n_init, algorithm ...) with
 * its own k; the transforms are fitted once. With ::TIER_KMEANS_INIT_GIVEN only one k can be
 * tried (k_min = k_max = opts->k). One silhouette sample is drawn for all k, so the curves are
 * comparable. Like a fit, the result never depends on the thread count.
 *
 * @param out Receives the table, owned by the caller (tier_kmeans_choice_free()); NULL on
 *        failure.
 * @param ds The dataset to cluster. Borrowed, not modified.
 * @param opts K-means options (its k is ignored unless init is given), or NULL for defaults.
 *        Borrowed.
 * @param copts Range and silhouette options, or NULL for defaults. Borrowed.
 * @return ::TIER_OK; the errors of tier_kmeans_new() and tier_scorer_fit(); ::TIER_EINVAL for a
 *         bad range.
 */
TIER_API int tier_kmeans_choose_k(tier_kmeans_choice **out, const tier_dataset *ds,
                                  const tier_kmeans_options *opts,
                                  const tier_kmeans_choose_options *copts);

/**
 * @brief Releases a table from tier_kmeans_choose_k().
 * @param choice The table, or NULL (nothing happens).
 */
TIER_API void tier_kmeans_choice_free(tier_kmeans_choice *choice);

/**
 * @brief Number of rows (k values) in the table.
 * @param choice The table, or NULL.
 * @return k_max − k_min + 1, or 0 for NULL.
 */
TIER_API size_t tier_kmeans_choice_count(const tier_kmeans_choice *choice);

/**
 * @brief The k of row @p index.
 * @param choice The table.
 * @param index 0 .. tier_kmeans_choice_count() − 1.
 * @return k_min + @p index, or 0 if @p choice is NULL or @p index is out of range.
 */
TIER_API unsigned int tier_kmeans_choice_k(const tier_kmeans_choice *choice, size_t index);

/**
 * @brief A metric of row @p index.
 * @param value Receives the value (NaN where undefined, see ::tier_kmeans_metric).
 * @param choice The table.
 * @param index 0 .. tier_kmeans_choice_count() − 1.
 * @param metric The measure.
 * @return ::TIER_OK or ::TIER_EINVAL.
 */
TIER_API int tier_kmeans_choice_metric(double *value, const tier_kmeans_choice *choice,
                                       size_t index, tier_kmeans_metric metric);

/**
 * @brief The k a metric recommends.
 *
 * ::TIER_KMEANS_SILHOUETTE and ::TIER_KMEANS_CALINSKI_HARABASZ pick the highest value,
 * ::TIER_KMEANS_DAVIES_BOULDIN the lowest (NaN values never win; ties go to the smaller k).
 * ::TIER_KMEANS_INERTIA picks the elbow (knee): after scaling k and inertia to [0, 1] over the
 * range, the k whose point lies farthest below the straight line from the first to the last point
 * (the "kneedle" rule; smaller k on ties). With fewer than 3 k values, or a curve that never falls
 * below that line, the elbow is k_min.
 *
 * @param k Receives the recommended k.
 * @param choice The table.
 * @param metric Any metric but ::TIER_KMEANS_ITERATIONS.
 * @return ::TIER_OK; ::TIER_EINVAL (NULL, bad metric); ::TIER_ERANGE (the metric is NaN for every
 *         k, e.g. silhouette with k_min = k_max = 1).
 */
TIER_API int tier_kmeans_choice_best(unsigned int *k, const tier_kmeans_choice *choice,
                                     tier_kmeans_metric metric);

#ifdef __cplusplus
}
#endif

#endif /* TIER_KMEANS_H */
