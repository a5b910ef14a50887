/* libFuzzer target for the rule compiler: arbitrary bytes must never crash, hang or leak.
 *
 * Input that compiles is also bound and evaluated against a small dataset (numeric columns with
 * NaN and infinities, a categorical column with a missing value), assigned twice so that the
 * movement policy and pins run, and compared with itself in a what-if. Errors are fine; every
 * failure must leave a message. The same file is linked into fuzz_rules_replay (tests/fuzz/
 * replay.c), which runs the corpus in every build, with or without libFuzzer. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tier/tier.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROWS 40

static tier_dataset *fuzz_dataset(void)
{
    static tier_dataset *ds;
    if (ds)
        return ds;
    char idbuf[ROWS][8];
    const char *ids[ROWS];
    int64_t times[ROWS];
    double amounts[ROWS], x[ROWS], y[ROWS];
    int32_t codes[ROWS];
    for (int i = 0; i < ROWS; i++) {
        snprintf(idbuf[i], sizeof idbuf[i], "%d", 12340 + i);
        ids[i] = idbuf[i];
        times[i] = 1293840000 + (int64_t)i * 86400 * 7;
        amounts[i] = (i % 5 == 4) ? -10.0 * i : 37.5 * i + 1;
        x[i] = i % 7 == 0 ? NAN : i % 11 == 0 ? INFINITY : (double)(i * 13 % 17) - 8;
        y[i] = i % 3 == 0 ? -0.0 : 1e300 / (i + 1);
        codes[i] = i % 6 == 5 ? TIER_MISSING_CODE : i % 3;
    }
    const char *dict[3] = {"France", "Germany", "United Kingdom"};
    if (tier_dataset_new(&ds, NULL) ||
        tier_dataset_add_transactions(ds, ROWS, ids, times, amounts, NULL) ||
        tier_dataset_compute_features(ds, TIER_AS_OF_AUTO) ||
        tier_dataset_set_numeric(ds, "x", x) || tier_dataset_set_numeric(ds, "y", y) ||
        tier_dataset_set_numeric(ds, "score", x) ||
        tier_dataset_set_categorical(ds, "country", codes, dict, 3)) {
        fprintf(stderr, "fuzz: cannot build the dataset: %s\n", tier_last_error());
        abort();
    }
    return ds;
}

static void check_message(int rc)
{
    if (rc != TIER_OK && tier_last_error()[0] == '\0')
        abort(); /* a failure without a message */
}

static void exercise(const tier_rules *r, const tier_dataset *ds)
{
    int32_t tiers[ROWS];
    int rc = tier_rules_evaluate(tiers, r, ds);
    check_message(rc);
    if (rc != TIER_OK)
        return;
    for (int i = 0; i < ROWS; i++)
        if (tiers[i] < 0 || (size_t)tiers[i] >= tier_rules_tier_count(r))
            abort();
    tier_assign_options o = TIER_ASSIGN_OPTIONS_INIT;
    tier_assignment *first = NULL, *second = NULL;
    o.time = 1293840000; /* before the text's pins usually end */
    check_message(rc = tier_assignment_new(&first, r, ds, NULL, &o));
    if (rc == TIER_OK) {
        o.time += 86400 * 400;
        check_message(tier_assignment_new(&second, r, ds, first, &o));
    }
    tier_whatif *w = NULL;
    check_message(tier_whatif_new(&w, r, r, ds, first, NULL));
    if (w && tier_whatif_changed(w) != 0)
        abort(); /* a rule set compared with itself changes nothing */
    tier_whatif_free(w);
    tier_assignment_free(first);
    tier_assignment_free(second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const tier_dataset *ds = fuzz_dataset();
    tier_rules *r = NULL;
    tier_rules_options o = TIER_RULES_OPTIONS_INIT;
    /* Half of the inputs also take the strict compile-time column check. */
    o.dataset = size > 0 && (data[size - 1] & 1) ? ds : NULL;
    int rc = tier_rules_compile(&r, (const char *)data, size, "fuzz", &o);
    check_message(rc);
    if (rc == TIER_OK) {
        if (tier_rules_tier_count(r) == 0)
            abort();
        exercise(r, ds);
    } else if (r != NULL) {
        abort();
    }
    tier_rules_free(r);
    return 0;
}
