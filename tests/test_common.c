/* Tests for include/tier/common.h: versions, status strings, the thread-local last error. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

static void test_version(void **state)
{
    (void)state;
    assert_int_equal(tier_version_number(), TIER_VERSION_NUMBER);
    assert_string_equal(tier_version_string(), TIER_VERSION_STRING);
    assert_int_equal(TIER_VERSION_NUMBER,
                     TIER_VERSION_MAJOR * 10000 + TIER_VERSION_MINOR * 100 + TIER_VERSION_PATCH);
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", TIER_VERSION_MAJOR, TIER_VERSION_MINOR, TIER_VERSION_PATCH);
    assert_string_equal(tier_version_string(), expect);
}

static void test_status_strings(void **state)
{
    (void)state;
    assert_string_equal(tier_status_str(TIER_OK), "success");
    assert_string_equal(tier_status_str(TIER_ENOMEM), "out of memory");
    assert_string_equal(tier_status_str(12345), "unknown status");
    /* every code from 0 to the last has its own text */
    for (int s = TIER_OK; s >= TIER_EEXISTS; s--) {
        assert_non_null(tier_status_str(s));
        assert_string_not_equal(tier_status_str(s), "unknown status");
        for (int t = s - 1; t >= TIER_EEXISTS; t--)
            assert_string_not_equal(tier_status_str(s), tier_status_str(t));
    }
    /* explicit, never reused values */
    assert_int_equal(TIER_EPARSE, -5);
    assert_int_equal(TIER_ECORRUPT, -8);
    assert_int_equal(TIER_EEXISTS, -18);
}

static void test_last_error(void **state)
{
    (void)state;
    tier_clear_error();
    assert_string_equal(tier_last_error(), "");
    assert_int_equal(tier_last_error_status(), TIER_OK);
    tier_dataset *ds = NULL;
    assert_int_equal(tier_dataset_new(NULL, NULL), TIER_EINVAL);
    assert_non_null(strstr(tier_last_error(), "out is NULL"));
    assert_int_equal(tier_last_error_status(), TIER_EINVAL);
    /* a success does not clear it */
    TIER_CHECK(tier_dataset_new(&ds, NULL));
    assert_non_null(strstr(tier_last_error(), "out is NULL"));
    tier_dataset_free(ds);
    tier_clear_error();
    assert_string_equal(tier_last_error(), "");
}

static void *other_thread(void *arg)
{
    (void)arg;
    /* a fresh thread starts with an empty message, whatever the main thread holds */
    const char *before = tier_last_error();
    int clean = before[0] == '\0';
    tier_dataset_new(NULL, NULL);
    return (void *)(intptr_t)clean;
}

static void test_last_error_is_thread_local(void **state)
{
    (void)state;
    assert_int_equal(tier_dataset_options_init(NULL, 1), TIER_EINVAL);
    char mine[256];
    snprintf(mine, sizeof mine, "%s", tier_last_error());
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
    void *clean;
    pthread_join(t, &clean);
    assert_true((intptr_t)clean);
    assert_string_equal(tier_last_error(), mine);
}

static void test_free_accepts_null(void **state)
{
    (void)state;
    tier_dataset_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_status_strings),
        cmocka_unit_test(test_last_error),
        cmocka_unit_test(test_last_error_is_thread_local),
        cmocka_unit_test(test_free_accepts_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
