/* Private: recording errors in the thread-local last-error slot. */
#ifndef TIER_INTERNAL_ERROR_H
#define TIER_INTERNAL_ERROR_H

#include "tier/common.h"

#if defined(__GNUC__)
#define TIER_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TIER_PRINTF(f, a)
#endif

/* Records `status` with a printf-formatted message and returns `status`, so callers can write
 * `return tier__error(TIER_EINVAL, "bins must be 2..10, got %d", bins);`. */
int tier__error(int status, const char *fmt, ...) TIER_PRINTF(2, 3);

/* Records TIER_ENOMEM with a generic message and returns TIER_ENOMEM. */
int tier__oom(void);

/* Prefixes the current last-error message with "prefix: " (e.g. a file name). */
void tier__error_prefix(const char *prefix);

/* Index of the candidate closest to `name` by edit distance, or -1 if none is close enough
 * (distance > max(2, len/3)). Used for "did you mean" suggestions. */
long tier__closest(const char *name, const char *const *candidates, size_t n);

#endif
