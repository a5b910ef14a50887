/**
 * @file scorer.h
 * @brief tier_scorer: one handle for every scoring strategy (RFM, AHP, K-means, user-defined).
 *
 * A scorer reads input columns of a ::tier_dataset and writes its output columns into it. Every
 * strategy follows the same life cycle:
 *
 * 1. create it — built-ins with their own constructor and versioned options struct
 *    (tier_rfm_new() in rfm.h, ...), user-defined strategies with tier_scorer_new_custom()
 *    (sys/scorer.h);
 * 2. tier_scorer_fit() on a dataset (learns cut points, weights, centroids ...);
 * 3. tier_scorer_apply() to the same or any other dataset with the input columns — as often as
 *    wanted, from many threads at once;
 * 4. optionally tier_scorer_save() the fitted model and tier_scorer_load() it elsewhere (e.g.
 *    inside a backend): applying a loaded model gives bit-identical output;
 * 5. tier_scorer_free().
 *
 * @par Output columns
 * A scorer has a fixed list of output columns, known as soon as it is created (see
 * tier_scorer_output_name()). tier_scorer_apply() adds them to the dataset, replacing columns of
 * the same name. Every output name is prefixed with the scorer's output prefix (default ""), so
 * two scorers of the same kind can write to one dataset side by side ("q_r_score",
 * "w_r_score").
 *
 * @par Model files
 * tier_scorer_save() writes a versioned, checksummed file (magic "TIERMODL") that records the
 * strategy's kind name ("rfm", ...), its state version, the output prefix and the fitted state.
 * It is written atomically (temporary file + rename). tier_scorer_load() reads any built-in kind;
 * a model of a user-defined strategy is loaded with tier_scorer_load_custom().
 *
 * @par Threads
 * A scorer that is fitted (or loaded) is immutable while only tier_scorer_apply() and the getters
 * are called: apply may run on many threads at once, with the same or different datasets.
 * tier_scorer_fit() and tier_scorer_set_output_prefix() mutate it and need external locking.
 * (A user-defined strategy inherits this promise only if its apply callback keeps it.)
 */
#ifndef TIER_SCORER_H
#define TIER_SCORER_H

#include "common.h"
#include "dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An opaque scoring strategy: configuration, fitted state and output column names. */
typedef struct tier_scorer tier_scorer;

/** Generic options for tier_scorer_load(), tier_scorer_load_custom() and
 *  tier_scorer_new_custom(). */
typedef struct tier_scorer_options {
    /** Must be ::TIER_SCORER_OPTIONS_VERSION (or an older version number). */
    unsigned int version;
    /** Allocator for the scorer and its state; NULL for the C library's. */
    const tier_allocator *allocator;
    /** Output prefix to use instead of the default ("" for a new custom scorer, the saved prefix
     *  for a loaded model); NULL keeps the default. Rules of tier_scorer_set_output_prefix(). */
    const char *output_prefix;
} tier_scorer_options;

/** Current version of ::tier_scorer_options. */
#define TIER_SCORER_OPTIONS_VERSION 1
/** Static initialiser for ::tier_scorer_options with default values. */
#define TIER_SCORER_OPTIONS_INIT { TIER_SCORER_OPTIONS_VERSION, NULL, NULL }

/**
 * @brief Initialises @p opts with default values, as ::TIER_SCORER_OPTIONS_INIT does.
 * @param opts Caller-owned struct to fill.
 * @param version ::TIER_SCORER_OPTIONS_VERSION.
 * @return ::TIER_OK, ::TIER_EINVAL if @p opts is NULL, ::TIER_EVERSION for an unknown version.
 */
TIER_API int tier_scorer_options_init(tier_scorer_options *opts, unsigned int version);

/**
 * @brief Releases a scorer (and, for a user-defined one, calls its destroy callback once).
 * @param scorer The scorer, or NULL (then nothing happens). Invalid after the call.
 */
TIER_API void tier_scorer_free(tier_scorer *scorer);

/**
 * @brief Fits the scorer on @p ds (learns cut points, weights ...), replacing any earlier fit.
 *
 * Every input column must exist in @p ds. What a strategy does with missing values (NaN) is
 * documented with its constructor; rfm.h, for one, either rejects them naming the customer or
 * leaves those customers unscored. On failure the scorer keeps its earlier fit (if any).
 *
 * @param scorer The scorer. Mutated: needs external locking against concurrent use.
 * @param ds The dataset to learn from. Borrowed, not modified.
 * @return ::TIER_OK; ::TIER_EINVAL (NULL argument); ::TIER_ENOTFOUND (an input column is missing;
 *         the message suggests the closest name); ::TIER_ETYPE (input is not numeric);
 *         ::TIER_ESTALE (feature columns out of date); ::TIER_EEMPTY (no usable rows);
 *         ::TIER_ERANGE (a NaN/infinite input the strategy rejects; the message names the
 *         customer); ::TIER_ECALLBACK (a user-defined fit callback failed); ::TIER_ENOMEM.
 */
TIER_API int tier_scorer_fit(tier_scorer *scorer, const tier_dataset *ds);

/**
 * @brief Scores every customer of @p ds and writes the output columns into it.
 *
 * Output columns replace same-named columns. All outputs are computed before any is written, so
 * a failing apply (bad input, callback failure) leaves @p ds unchanged; only ::TIER_ENOMEM while
 * writing may leave some outputs written. A dataset with no customers gets empty columns.
 *
 * @param scorer A fitted (or loaded) scorer. Not modified; safe to call from many threads.
 * @param ds The dataset to score: needs the input columns. Its columns are replaced, so
 *        pointers borrowed from it are invalidated.
 * @return ::TIER_OK; ::TIER_EINVAL; ::TIER_ENOTFITTED; ::TIER_ENOTFOUND; ::TIER_ETYPE;
 *         ::TIER_ESTALE; ::TIER_ERANGE; ::TIER_ECALLBACK; ::TIER_ENOMEM.
 */
TIER_API int tier_scorer_apply(const tier_scorer *scorer, tier_dataset *ds);

/**
 * @brief tier_scorer_fit() then tier_scorer_apply() on the same dataset.
 *
 * For most strategies exactly the two calls. A strategy may score the fitted rows themselves
 * more precisely than its stored model can (RFM's rank mode splits equal values at a bin boundary
 * by row order, see rfm.h); its documentation says so.
 *
 * @param scorer The scorer. Mutated: needs external locking.
 * @param ds The dataset to learn from and to score; its output columns are replaced.
 * @return As the two calls; if fit fails, @p ds is not touched.
 */
TIER_API int tier_scorer_fit_apply(tier_scorer *scorer, tier_dataset *ds);

/**
 * @brief Whether the scorer can be applied: fitted, loaded, or a strategy that needs no fit.
 * @param scorer The scorer, or NULL.
 * @return 1 or 0 (0 for NULL).
 */
TIER_API int tier_scorer_is_fitted(const tier_scorer *scorer);

/**
 * @brief The strategy's kind name: "rfm", "ahp", "kmeans" ..., or a user-defined scorer's
 *        vtable name.
 * @param scorer The scorer, or NULL.
 * @return A string owned by the scorer, valid until it is freed; NULL for NULL.
 */
TIER_API const char *tier_scorer_name(const tier_scorer *scorer);

/**
 * @brief Whether the scorer is user-defined (created by tier_scorer_new_custom() or
 *        tier_scorer_load_custom()).
 * @param scorer The scorer, or NULL.
 * @return 1 or 0 (0 for NULL).
 */
TIER_API int tier_scorer_is_custom(const tier_scorer *scorer);

/**
 * @brief Number of input columns the scorer reads.
 * @param scorer The scorer, or NULL.
 * @return The count, fixed for the scorer's lifetime (0 for NULL).
 */
TIER_API size_t tier_scorer_input_count(const tier_scorer *scorer);

/**
 * @brief The name of input column @p index.
 * @param scorer The scorer.
 * @param index 0 .. tier_scorer_input_count() − 1.
 * @return A string owned by the scorer, valid until it is freed; NULL if out of range.
 */
TIER_API const char *tier_scorer_input_name(const tier_scorer *scorer, size_t index);

/**
 * @brief Number of output columns the scorer writes.
 * @param scorer The scorer, or NULL.
 * @return The count, fixed for the scorer's lifetime (0 for NULL).
 */
TIER_API size_t tier_scorer_output_count(const tier_scorer *scorer);

/**
 * @brief The full name (prefix included) of output column @p index, as written by
 *        tier_scorer_apply().
 * @param scorer The scorer.
 * @param index 0 .. tier_scorer_output_count() − 1, in the strategy's documented order.
 * @return A string owned by the scorer, valid until the prefix changes or the scorer is freed;
 *         NULL if out of range.
 */
TIER_API const char *tier_scorer_output_name(const tier_scorer *scorer, size_t index);

/**
 * @brief The type of output column @p index.
 * @param type Receives ::TIER_COLUMN_NUMERIC or ::TIER_COLUMN_CATEGORICAL.
 * @param scorer The scorer.
 * @param index 0 .. tier_scorer_output_count() − 1.
 * @return ::TIER_OK, or ::TIER_EINVAL if an argument is NULL or @p index is out of range.
 */
TIER_API int tier_scorer_output_type(tier_column_type *type, const tier_scorer *scorer,
                                     size_t index);

/**
 * @brief The output prefix ("" by default).
 * @param scorer The scorer, or NULL.
 * @return A string owned by the scorer, valid until the prefix changes or the scorer is freed;
 *         NULL for NULL.
 */
TIER_API const char *tier_scorer_output_prefix(const tier_scorer *scorer);

/**
 * @brief Sets the prefix put before every output column name (saved with the model).
 * @param scorer The scorer. Mutated: needs external locking.
 * @param prefix "" or NULL for none, else letters, digits and '_' not starting with a digit;
 *        every prefixed output name must stay within 63 bytes. Copied.
 * @return ::TIER_OK; ::TIER_EINVAL for a bad prefix (the scorer keeps its old one); ::TIER_ENOMEM.
 */
TIER_API int tier_scorer_set_output_prefix(tier_scorer *scorer, const char *prefix);

/**
 * @brief Saves the fitted model to @p path (versioned, checksummed, written atomically).
 *
 * @param scorer A fitted scorer. A user-defined scorer needs a save callback.
 * @param path Destination file. Borrowed.
 * @return ::TIER_OK; ::TIER_EINVAL; ::TIER_ENOTFITTED; ::TIER_ECALLBACK (save callback failed or
 *         missing); ::TIER_EIO (the message names the file and system error); ::TIER_ENOMEM.
 */
TIER_API int tier_scorer_save(const tier_scorer *scorer, const char *path);

/**
 * @brief Loads a model of a built-in kind saved by tier_scorer_save(). The result is fitted.
 *
 * @param out Receives the scorer, owned by the caller (tier_scorer_free()); NULL on failure.
 * @param path File to read. Borrowed.
 * @param opts Allocator and optional prefix override, or NULL. Borrowed.
 * @return ::TIER_OK; ::TIER_ENOTFOUND (no such file; an unknown kind; a user-defined model:
 *         use tier_scorer_load_custom()); ::TIER_EIO (the file cannot be read); ::TIER_ECORRUPT
 *         (truncated, corrupted, not a model file, or inconsistent state; the message names the
 *         file); ::TIER_EVERSION (a newer file format or state version); ::TIER_EINVAL;
 *         ::TIER_ENOMEM.
 */
TIER_API int tier_scorer_load(tier_scorer **out, const char *path,
                              const tier_scorer_options *opts);

/**
 * @brief Reads only the kind name recorded in a model file (to choose how to load it).
 * @param kind Caller buffer that receives the NUL-terminated kind name.
 * @param size Size of @p kind in bytes (64 is always enough).
 * @param is_custom Receives 1 for a user-defined model, 0 for a built-in; may be NULL.
 * @param path File to read. Borrowed.
 * @return ::TIER_OK; ::TIER_ENOTFOUND (no such file); ::TIER_EIO; ::TIER_ECORRUPT;
 *         ::TIER_EVERSION; ::TIER_EINVAL (NULL argument or @p size too small).
 */
TIER_API int tier_scorer_file_kind(char *kind, size_t size, int *is_custom, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* TIER_SCORER_H */
