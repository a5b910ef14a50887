/**
 * @file common.h
 * @brief Versions, status codes, error messages and allocators shared by every libtier handle.
 *
 * Conventions that hold for the whole library:
 *
 * - Fallible functions return `int`: ::TIER_OK (0) or a negative ::tier_status. The values are
 *   explicit and never reused, so they may be stored or sent over a wire.
 * - Out-parameters come first. On failure an out-parameter handle is set to NULL.
 * - After a failure, tier_last_error() describes what went wrong with context
 *   ("orders.csv:1042:7: amount 'abc' is not a number").
 * - Functions named `_new`, `_load` or `_copy` return owned handles released with the matching
 *   `_free`, which accepts NULL. Getters return borrowed pointers, valid until the next mutating
 *   call on the same handle.
 * - The library never aborts, exits or prints.
 */
#ifndef TIER_COMMON_H
#define TIER_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && defined(TIER_BUILDING_LIBRARY) && !defined(TIER_STATIC)
#define TIER_API __declspec(dllexport)
#elif defined(_WIN32) && !defined(TIER_STATIC)
#define TIER_API __declspec(dllimport)
#elif defined(__GNUC__) && defined(TIER_BUILDING_LIBRARY)
#define TIER_API __attribute__((visibility("default")))
#else
/** Marks a declaration as part of the exported, stable ABI. */
#define TIER_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Major version: changes on an incompatible API change. */
#define TIER_VERSION_MAJOR 0
/** Minor version: changes when API is added compatibly. */
#define TIER_VERSION_MINOR 1
/** Patch version: changes for fixes only. */
#define TIER_VERSION_PATCH 0
/** The version as one comparable number: major * 10000 + minor * 100 + patch. */
#define TIER_VERSION_NUMBER \
    (TIER_VERSION_MAJOR * 10000 + TIER_VERSION_MINOR * 100 + TIER_VERSION_PATCH)
/** The version as a string, "MAJOR.MINOR.PATCH". */
#define TIER_VERSION_STRING "0.1.0"

/**
 * @brief The version of the library actually linked, as ::TIER_VERSION_NUMBER.
 *
 * Compare it with ::TIER_VERSION_NUMBER to detect a program compiled against other headers.
 * @return The run-time version number. Never fails.
 */
TIER_API unsigned int tier_version_number(void);

/**
 * @brief The version of the library actually linked, as "MAJOR.MINOR.PATCH".
 * @return A static string owned by the library. Never NULL.
 */
TIER_API const char *tier_version_string(void);

/**
 * @brief Result of a fallible libtier call. Values are explicit and never reused.
 */
typedef enum tier_status {
    TIER_OK = 0,                /**< Success. */
    TIER_ERROR = -1,            /**< An error with no more specific code. */
    TIER_ENOMEM = -2,           /**< An allocation failed. */
    TIER_EINVAL = -3,           /**< An argument is invalid (NULL where not allowed, out of range). */
    TIER_EIO = -4,              /**< Reading or writing a file failed. */
    TIER_EPARSE = -5,           /**< Malformed input text (CSV row, date, number, rule). */
    TIER_ENOTFOUND = -6,        /**< A named column, customer or file does not exist. */
    TIER_ETYPE = -7,            /**< A column has the wrong type for the operation. */
    TIER_ECORRUPT = -8,         /**< A saved file is truncated, corrupted or not a libtier file. */
    TIER_EVERSION = -9,         /**< An options struct or file has a version this library lacks. */
    TIER_ESTALE = -10,          /**< Features are out of date: recompute them first. */
    TIER_EEMPTY = -11,          /**< The operation needs data and there is none. */
    TIER_EINCONSISTENT = -12,   /**< Judgments are too inconsistent (AHP consistency ratio). */
    TIER_ENOTFITTED = -13,      /**< A model is used before it was fitted or loaded. */
    TIER_ERANGE = -14,          /**< A value is NaN, infinite or outside its allowed range. */
    TIER_ECALLBACK = -15,       /**< A user callback reported failure. */
    TIER_ECANCELLED = -16,      /**< A progress callback asked to stop. */
    TIER_ENOTCONVERGED = -17,   /**< An iterative method did not converge. */
    TIER_EEXISTS = -18          /**< An object with that name already exists. */
} tier_status;

/**
 * @brief A short constant description of a status code, e.g. "out of memory".
 * @param status Any value; unknown values give "unknown status".
 * @return A static string. Never NULL.
 */
TIER_API const char *tier_status_str(int status);

/**
 * @brief The message of the most recent failure in the calling thread.
 *
 * Messages carry context: file, line and column for input errors, the offending value, and a
 * suggestion where one exists. Successful calls do not clear it.
 *
 * @return A thread-local string owned by the library, valid until the next libtier call in this
 *         thread. Never NULL: "" when no error has occurred.
 */
TIER_API const char *tier_last_error(void);

/**
 * @brief The status code of the most recent failure in the calling thread.
 * @return A ::tier_status value; ::TIER_OK if no error has occurred or since tier_clear_error().
 */
TIER_API int tier_last_error_status(void);

/** @brief Forgets the calling thread's last error. */
TIER_API void tier_clear_error(void);

/**
 * @brief A custom allocator, inherited by every handle created from the one that received it.
 *
 * All three functions must be set. The library never calls them with size 0. `realloc_fn` with a
 * NULL pointer must behave as `malloc_fn`. The struct is copied: it need not outlive the call
 * that received it, but `user` must outlive every handle that uses the allocator.
 */
typedef struct tier_allocator {
    /** Returns `size` bytes aligned for any type, or NULL. */
    void *(*malloc_fn)(void *user, size_t size);
    /** Resizes `ptr` (possibly NULL) to `size` bytes, or returns NULL leaving `ptr` valid. */
    void *(*realloc_fn)(void *user, void *ptr, size_t size);
    /** Releases `ptr`; never called with NULL. */
    void (*free_fn)(void *user, void *ptr);
    /** Passed unchanged to the three functions. Borrowed. */
    void *user;
} tier_allocator;

/** Analysis date: "one day after the last transaction" (see tier_dataset_compute_features()). */
#define TIER_AS_OF_AUTO INT64_MIN

/**
 * @brief Progress callback for long operations.
 * @param user The pointer given with the callback.
 * @param done Units (bytes for loaders) processed so far.
 * @param total Total units, or 0 when unknown (e.g. compressed input).
 * @return 0 to continue, non-zero to cancel the operation with ::TIER_ECANCELLED.
 */
typedef int (*tier_progress_fn)(void *user, uint64_t done, uint64_t total);

#ifdef __cplusplus
}
#endif

#endif /* TIER_COMMON_H */
