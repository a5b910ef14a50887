/* A program outside the project that uses the installed libtier, as a backend would:
 * compiled with the flags of `pkg-config --cflags --libs tier` only (tests/install/check-install.sh).
 * Written in the common subset of C99 and C++11 so that the same file also checks, compiled as
 * C++, that the public headers give their functions C linkage.
 *
 * Prints one line that the test compares with the figures worked out by hand below. */
#include <tier/tier.h>

#include <stdio.h>
#include <string.h>

#define DAY 86400

static int fail(const char *what, int rc)
{
    fprintf(stderr, "consumer: %s failed: %d (%s): %s\n", what, rc, tier_status_str(rc),
            tier_last_error());
    return 1;
}

int main(void)
{
    /* 2011-12-01 00:00:00 UTC. */
    const int64_t t0 = 1322697600;
    const char *const ids[] = { "alice", "bob", "alice", "alice" };
    const int64_t times[] = { t0, t0 + 10 * DAY, t0 + 5 * DAY, t0 + 20 * DAY };
    const double amounts[] = { 10.5, 4.25, 7.0, -2.5 };
    const char *const orders[] = { "A1", "B1", "A2", "C1" };
    tier_dataset *ds = NULL;
    const double *monetary = NULL, *recency = NULL, *frequency = NULL;
    size_t alice = 0, bob = 0;
    int rc;

    if (strcmp(tier_version_string(), TIER_VERSION_STRING) != 0 ||
        tier_version_number() != TIER_VERSION_NUMBER) {
        fprintf(stderr, "consumer: headers %s but library %s\n", TIER_VERSION_STRING,
                tier_version_string());
        return 1;
    }
    if ((rc = tier_dataset_new(&ds, NULL)) != TIER_OK)
        return fail("tier_dataset_new", rc);
    if ((rc = tier_dataset_add_transactions(ds, 4, ids, times, amounts, orders)) != TIER_OK)
        return fail("tier_dataset_add_transactions", rc);
    /* Analysis date: 30 days after t0. */
    if ((rc = tier_dataset_compute_features(ds, t0 + 30 * DAY)) != TIER_OK)
        return fail("tier_dataset_compute_features", rc);
    if ((rc = tier_dataset_numeric(&monetary, ds, "monetary")) != TIER_OK ||
        (rc = tier_dataset_numeric(&recency, ds, "recency")) != TIER_OK ||
        (rc = tier_dataset_numeric(&frequency, ds, "frequency")) != TIER_OK)
        return fail("tier_dataset_numeric", rc);
    if ((rc = tier_dataset_find(&alice, ds, "alice")) != TIER_OK ||
        (rc = tier_dataset_find(&bob, ds, "bob")) != TIER_OK)
        return fail("tier_dataset_find", rc);

    /* alice: purchases of 10.50 (day 0) and 7.00 (day 5), a return of 2.50 (day 20):
     *   monetary 15.00, frequency 2 (returns are not purchases), recency 30 - 5 = 25 days.
     * bob: one purchase of 4.25 on day 10: monetary 4.25, frequency 1, recency 20 days. */
    printf("libtier %s: %lu customers; alice monetary=%.2f frequency=%.0f recency=%.0f; "
           "bob monetary=%.2f frequency=%.0f recency=%.0f\n",
           tier_version_string(), (unsigned long)tier_dataset_size(ds), monetary[alice],
           frequency[alice], recency[alice], monetary[bob], frequency[bob], recency[bob]);
    tier_dataset_free(ds);
    return 0;
}
