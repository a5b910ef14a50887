/* Shared helpers for the cmocka tests. */
#ifndef TIER_TESTUTIL_H
#define TIER_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tier/tier.h"

/* Fails the test with tier_last_error() when `expr` is not TIER_OK. */
#define TIER_CHECK(expr)                                                                         \
    do {                                                                                         \
        int tier_check_rc_ = (expr);                                                             \
        if (tier_check_rc_ != TIER_OK)                                                           \
            fail_msg("%s -> %d (%s): %s", #expr, tier_check_rc_, tier_status_str(tier_check_rc_), \
                     tier_last_error());                                                         \
    } while (0)

/* Asserts that `expr` returns `status` and that the last error contains `needle`. */
#define TIER_EXPECT_ERROR(expr, status, needle)                                                  \
    do {                                                                                         \
        int tier_expect_rc_ = (expr);                                                            \
        if (tier_expect_rc_ != (status))                                                         \
            fail_msg("%s -> %d, expected %d; last error: %s", #expr, tier_expect_rc_, (status),  \
                     tier_last_error());                                                         \
        if (strstr(tier_last_error(), (needle)) == NULL)                                         \
            fail_msg("%s: error '%s' lacks '%s'", #expr, tier_last_error(), (needle));           \
    } while (0)

/* Path of a file in tests/data (TIER_TEST_DATA), in a static buffer. */
const char *test_data_path(const char *name);
/* Path of a file in examples/data (TIER_EXAMPLES_DATA), in a static buffer. */
const char *example_data_path(const char *name);
/* A fresh path in a per-process temporary directory, in a static ring of buffers. */
const char *test_temp_path(const char *name);
/* Writes `text` to a new temporary file and returns its path. */
const char *test_write_file(const char *name, const char *text);
/* A user allocator for tests (see test_allocator_of), safe on the library's worker threads:
 * counts every malloc and realloc call and the blocks still live. With fail_at > 0 the
 * fail_at-th call (1-based) returns NULL, and with `sticky` every call after it too (memory
 * that stays short rather than one failure). Read the counts while no library call runs. */
typedef struct test_alloc {
    size_t calls, fail_at;
    int sticky;
    long live;
} test_alloc;
/* The tier_allocator of `t` (borrowed: it must outlive every handle that uses the allocator). */
tier_allocator test_allocator_of(test_alloc *t);

/* The whole file at `path` in a new buffer the caller frees, with a NUL after its *len bytes
 * (len may be NULL). Fails the test if the file cannot be read. */
unsigned char *test_read_file(const char *path, size_t *len);
/* Writes n bytes to `path`, replacing it. Fails the test on error. */
void test_write_bytes(const char *path, const void *bytes, size_t n);

#endif
