/**
 * @file sys/scorer.h
 * @brief Extension API: user-defined scoring strategies behind the ::tier_scorer handle.
 *
 * A backend (or a language binding) plugs its own scoring into libtier by filling a
 * ::tier_scorer_vtable — the SQLite `sqlite3_module` pattern: a `version` field first, plain C
 * types only, fields only ever appended — and creating a scorer with tier_scorer_new_custom().
 * The result is an ordinary ::tier_scorer: tier_scorer_fit(), tier_scorer_apply(),
 * tier_scorer_save() and the getters of scorer.h work on it, and rule sets and summaries see its
 * output columns like any other.
 *
 * @par Data flow
 * - `fit(user, ds)` reads whatever columns it wants from @p ds (tier_dataset_numeric() ...) and
 *   keeps its fitted state inside `user`.
 * - `apply(user, ds, out)` computes one value per customer of @p ds for every declared output and
 *   hands them over through @p out: tier_scorer_output_numeric() lends a buffer to fill,
 *   tier_scorer_output_categorical() copies codes and a dictionary. The library applies the
 *   output prefix and writes the columns after the callback succeeded, so a failing callback
 *   leaves the dataset unchanged. Every declared output must be written.
 * - `save(user, writer)` appends the fitted state as bytes with tier_scorer_write(); `load(user,
 *   data, size)` restores it into a fresh user object (tier_scorer_load_custom()). The bytes are
 *   stored inside the library's checksummed model file; their layout is the user's business.
 *
 * @par Errors
 * A callback reports failure by returning non-zero; the library call then returns
 * ::TIER_ECALLBACK. The message is the one the callback set with tier_scorer_set_error() (or, if it
 * set none, the last error of a libtier call it made), prefixed with the scorer and callback
 * name: "scorer 'churn' apply: model not trained for region 'X'".
 *
 * @par Threads
 * Every callback runs on the thread that made the library call, never on the library's worker
 * threads (so an interpreter lock held by the caller is held in the callback). The library calls
 * `fit`, `save` and `destroy` only from calls that need external locking.
 * `apply` may be called from several threads at once on a fitted scorer; a callback that mutates
 * `user` in apply must lock, or the caller must not apply concurrently.
 */
#ifndef TIER_SYS_SCORER_H
#define TIER_SYS_SCORER_H

#include "../common.h"
#include "../dataset.h"
#include "../scorer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque: where an apply callback puts its output columns (valid during the callback only). */
typedef struct tier_scorer_output tier_scorer_output;

/** Opaque: where a save callback appends its state bytes (valid during the callback only). */
typedef struct tier_scorer_writer tier_scorer_writer;

/**
 * @brief The callbacks and column declarations of a user-defined strategy.
 *
 * The struct and every string and array it points to are copied by tier_scorer_new_custom() and
 * tier_scorer_load_custom(): they need not outlive the call.
 */
typedef struct tier_scorer_vtable {
    /** Must be ::TIER_SCORER_VTABLE_VERSION (or an older version number). */
    unsigned int version;
    /** Kind name, 1–63 bytes, not the name of a built-in kind ("rfm" ...). Recorded in saved
     *  models and checked when they are loaded. */
    const char *name;
    /** Number of input columns (informational and checked: each must exist in a dataset given
     *  to fit and apply). May be 0. */
    size_t n_inputs;
    /** @ref n_inputs column names, or NULL when @ref n_inputs is 0. */
    const char *const *inputs;
    /** Number of output columns, at least 1. */
    size_t n_outputs;
    /** @ref n_outputs output column names (before the prefix), distinct, valid column names. */
    const char *const *outputs;
    /** @ref n_outputs output types, or NULL for all ::TIER_COLUMN_NUMERIC. */
    const tier_column_type *output_types;
    /**
     * Learns the state from @p ds. NULL if the strategy needs no fit (then a new scorer counts as
     * fitted). Returns 0 on success, non-zero on failure (message: tier_scorer_set_error()).
     */
    int (*fit)(void *user, const tier_dataset *ds);
    /**
     * Required. Computes the outputs for every customer of @p ds (tier_dataset_size() rows) and
     * passes them to @p out. Returns 0 on success, non-zero on failure.
     */
    int (*apply)(void *user, const tier_dataset *ds, tier_scorer_output *out);
    /** Appends the fitted state with tier_scorer_write(). NULL: the scorer cannot be saved.
     *  Returns 0 on success, non-zero on failure. */
    int (*save)(void *user, tier_scorer_writer *writer);
    /** Restores the state saved by @ref save into @p user; @p data (borrowed, valid during the
     *  call) holds @p size bytes. NULL: models cannot be loaded. Returns 0 or non-zero. */
    int (*load)(void *user, const void *data, size_t size);
    /** Releases @p user; called exactly once, by tier_scorer_free() or by a failing constructor.
     *  May be NULL. */
    void (*destroy)(void *user);
} tier_scorer_vtable;

/** Current version of ::tier_scorer_vtable. */
#define TIER_SCORER_VTABLE_VERSION 1

/**
 * @brief Creates a scorer driven by user callbacks.
 *
 * @param out Receives the scorer, owned by the caller (tier_scorer_free()); NULL on failure.
 * @param vtable The callbacks and declarations. Copied (see ::tier_scorer_vtable).
 * @param user Passed to every callback. Ownership passes to the library in every case: on
 *        failure, too, `vtable->destroy(user)` is called (if both are non-NULL).
 * @param opts Allocator and output prefix, or NULL for defaults. Borrowed.
 * @return ::TIER_OK; ::TIER_EINVAL (NULL vtable or apply, bad or duplicate names, no outputs,
 *         bad output type); ::TIER_EEXISTS (name of a built-in kind); ::TIER_EVERSION;
 *         ::TIER_ENOMEM.
 */
TIER_API int tier_scorer_new_custom(tier_scorer **out, const tier_scorer_vtable *vtable,
                                    void *user, const tier_scorer_options *opts);

/**
 * @brief Loads a model saved from a user-defined scorer, restoring its state through
 *        `vtable->load`.
 *
 * The file's kind name must equal `vtable->name`, and its recorded inputs and outputs must equal
 * the vtable's.
 *
 * @param out Receives the fitted scorer, owned by the caller; NULL on failure.
 * @param path File to read. Borrowed.
 * @param vtable As for tier_scorer_new_custom(); must have a load callback.
 * @param user A fresh user object that receives the state; owned by the library in every case
 *        (destroyed on failure).
 * @param opts Allocator and prefix override (NULL keeps the saved prefix), or NULL. Borrowed.
 * @return ::TIER_OK; ::TIER_ENOTFOUND (no such file; a built-in model; another kind name,
 *         other inputs or outputs); ::TIER_EIO; ::TIER_ECORRUPT; ::TIER_EVERSION;
 *         ::TIER_ECALLBACK (the load callback failed); ::TIER_EINVAL; ::TIER_ENOMEM.
 */
TIER_API int tier_scorer_load_custom(tier_scorer **out, const char *path,
                                     const tier_scorer_vtable *vtable, void *user,
                                     const tier_scorer_options *opts);

/**
 * @brief Lends the buffer of numeric output @p index to an apply callback.
 *
 * @param values Receives tier_dataset_size() doubles to fill, initialised to NaN (missing),
 *        owned by the library and valid until the callback returns. The same buffer is returned
 *        on every call for the same output.
 * @param out The output handle passed to the apply callback.
 * @param index Output index in the vtable's declaration order.
 * @return ::TIER_OK, or ::TIER_EINVAL (NULL, index out of range, output is categorical),
 *         ::TIER_ENOMEM.
 */
TIER_API int tier_scorer_output_numeric(double **values, tier_scorer_output *out, size_t index);

/**
 * @brief Sets categorical output @p index from an apply callback.
 *
 * @param out The output handle passed to the apply callback.
 * @param index Output index in the vtable's declaration order.
 * @param codes tier_dataset_size() codes, each ::TIER_MISSING_CODE or < @p n_categories. Copied.
 * @param dictionary @p n_categories distinct non-NULL names. Copied.
 * @param n_categories Dictionary size (may be 0 if every code is missing).
 * @return ::TIER_OK, or ::TIER_EINVAL (NULL, index out of range, output is numeric, code out of
 *         range, duplicate category), ::TIER_ENOMEM. Calling it again replaces the values.
 */
TIER_API int tier_scorer_output_categorical(tier_scorer_output *out, size_t index,
                                            const int32_t *codes, const char *const *dictionary,
                                            size_t n_categories);

/**
 * @brief Appends @p size bytes of state from a save callback.
 * @param writer The writer passed to the save callback.
 * @param data @p size bytes, copied. May be NULL when @p size is 0.
 * @param size Number of bytes; successive calls append.
 * @return ::TIER_OK, ::TIER_EINVAL or ::TIER_ENOMEM.
 */
TIER_API int tier_scorer_write(tier_scorer_writer *writer, const void *data, size_t size);

/**
 * @brief Sets the calling thread's error message from inside a callback (then return non-zero).
 *
 * The library reports it as "scorer 'NAME' CALLBACK: message" with ::TIER_ECALLBACK.
 * @param message NUL-terminated text, copied (truncated to about 1000 bytes). NULL clears it.
 */
TIER_API void tier_scorer_set_error(const char *message);

#ifdef __cplusplus
}
#endif

#endif /* TIER_SYS_SCORER_H */
