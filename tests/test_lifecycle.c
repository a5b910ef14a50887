/* Tests for include/tier/lifecycle.h: one hand-made customer per stage (and per boundary), option
 * checks, and the stage counts and default gap of the bundled Online Retail sample against an
 * independent pandas computation (tests/data/clv/online_retail_reference.py). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define DAY 86400
#define BASE 1293840000 /* 2011-01-01 */

typedef struct cust {
    const char *id;
    int n;
    int days[6];
    int want; /* stage code, or -1 */
} cust;

static const cust CUSTOMERS[] = {
    { "new", 1, { 390 }, TIER_STAGE_NEW },
    { "new_repeat", 2, { 372, 395 }, TIER_STAGE_NEW },                      /* T = 28 <= 30 */
    { "active", 5, { 300, 320, 340, 360, 380 }, TIER_STAGE_ACTIVE },         /* gap 20, R 20 <= 30 */
    { "active_edge", 3, { 330, 350, 370 }, TIER_STAGE_ACTIVE },              /* R 30 = 1.5 x 20 */
    { "at_risk", 3, { 300, 320, 340 }, TIER_STAGE_AT_RISK },                 /* R 60 = 3 x 20 */
    { "dormant", 5, { 200, 220, 240, 260, 280 }, TIER_STAGE_DORMANT },       /* R 120 = 6 x 20 */
    { "churned", 3, { 100, 120, 140 }, TIER_STAGE_CHURNED },                 /* R 260 */
    { "reactivated", 5, { 50, 60, 70, 80, 390 }, TIER_STAGE_REACTIVATED },   /* gap 85, last 310 > 3 x 10 */
    { "steady_back", 4, { 300, 330, 360, 390 }, TIER_STAGE_ACTIVE },         /* last gap 30 <= 3 x 30: no comeback */
    { "one_timer_old", 1, { 200 }, TIER_STAGE_CHURNED },                     /* default gap 30: R 200 > 180 */
    { "one_timer_mid", 1, { 350 }, TIER_STAGE_AT_RISK },                     /* R 50 in (45, 90] */
    { "daily", 4, { 200, 201, 202, 203 }, TIER_STAGE_CHURNED },              /* gap 1 -> 7: R 197 > 42 */
};
#define N_CUST (sizeof CUSTOMERS / sizeof CUSTOMERS[0])

static tier_dataset *hand_made(void)
{
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, NULL));
    for (size_t i = 0; i < N_CUST; i++)
        for (int j = 0; j < CUSTOMERS[i].n; j++) {
            int64_t t = BASE + (int64_t)CUSTOMERS[i].days[j] * DAY;
            double amt = 10.0;
            TIER_CHECK(tier_dataset_add_transactions(ds, 1, &CUSTOMERS[i].id, &t, &amt, NULL));
        }
    const char *ret = "returns_only";
    int64_t t = BASE + 100 * DAY;
    double amt = -10.0;
    TIER_CHECK(tier_dataset_add_transactions(ds, 1, &ret, &t, &amt, NULL));
    TIER_CHECK(tier_dataset_compute_features(ds, BASE + 400LL * DAY));
    return ds;
}

static void test_stages(void **state)
{
    (void)state;
    tier_dataset *ds = hand_made();
    tier_lifecycle_options o = TIER_LIFECYCLE_OPTIONS_INIT;
    o.default_gap_days = 30.0;
    double gap = 0.0;
    TIER_CHECK(tier_lifecycle_assign(&gap, ds, &o));
    assert_true(gap == 30.0);
    const int32_t *codes;
    const char *const *dict;
    size_t n_dict;
    TIER_CHECK(tier_dataset_categorical(&codes, &dict, &n_dict, ds, "lifecycle"));
    assert_int_equal(n_dict, 6);
    static const char *const names[6] = { "new", "active", "at-risk", "dormant", "churned", "reactivated" };
    for (int i = 0; i < 6; i++)
        assert_string_equal(dict[i], names[i]);
    for (size_t i = 0; i < N_CUST; i++) {
        size_t row;
        TIER_CHECK(tier_dataset_find(&row, ds, CUSTOMERS[i].id));
        if (codes[row] != CUSTOMERS[i].want)
            fail_msg("%s: stage %d, want %d", CUSTOMERS[i].id, codes[row], CUSTOMERS[i].want);
    }
    size_t row;
    TIER_CHECK(tier_dataset_find(&row, ds, "returns_only"));
    assert_int_equal(codes[row], TIER_MISSING_CODE);
    /* A stricter active line moves the edge customer to at-risk. */
    o.active_factor = 1.4;
    o.output = "stage2";
    TIER_CHECK(tier_lifecycle_assign(NULL, ds, &o));
    TIER_CHECK(tier_dataset_categorical(&codes, NULL, NULL, ds, "stage2"));
    TIER_CHECK(tier_dataset_find(&row, ds, "active_edge"));
    assert_int_equal(codes[row], TIER_STAGE_AT_RISK);
    tier_dataset_free(ds);
}

static void test_median_gap_and_errors(void **state)
{
    (void)state;
    tier_dataset *ds = hand_made();
    double gap = 0.0;
    TIER_CHECK(tier_lifecycle_assign(&gap, ds, NULL));
    /* typical gaps of the nine repeat customers: 23 20 20 20 20 20 85 30 1 -> median 20 */
    assert_true(gap == 20.0);
    tier_lifecycle_options o = TIER_LIFECYCLE_OPTIONS_INIT;
    o.at_risk_factor = 1.0; /* below active */
    TIER_EXPECT_ERROR(tier_lifecycle_assign(NULL, ds, &o), TIER_EINVAL, "factors");
    o = (tier_lifecycle_options)TIER_LIFECYCLE_OPTIONS_INIT;
    o.min_gap_days = 0;
    TIER_EXPECT_ERROR(tier_lifecycle_assign(NULL, ds, &o), TIER_EINVAL, "gaps");
    o = (tier_lifecycle_options)TIER_LIFECYCLE_OPTIONS_INIT;
    o.version = 7;
    TIER_EXPECT_ERROR(tier_lifecycle_assign(NULL, ds, &o), TIER_EVERSION, "version");
    TIER_EXPECT_ERROR(tier_lifecycle_assign(NULL, NULL, NULL), TIER_EINVAL, "NULL");
    const char *id = "late";
    int64_t t = BASE + 500LL * DAY;
    double amt = 1.0;
    TIER_CHECK(tier_dataset_add_transactions(ds, 1, &id, &t, &amt, NULL));
    TIER_EXPECT_ERROR(tier_lifecycle_assign(NULL, ds, NULL), TIER_ESTALE, "");
    tier_lifecycle_options init;
    TIER_CHECK(tier_lifecycle_options_init(&init, TIER_LIFECYCLE_OPTIONS_VERSION));
    assert_true(init.new_days == 30.0 && init.dormant_factor == 6.0);
    tier_dataset_free(ds);
}

static void test_online_retail(void **state)
{
    (void)state;
    tier_csv_options c = TIER_CSV_OPTIONS_INIT;
    c.quantity_column = "Quantity";
    c.price_column = "UnitPrice";
    c.customer_column = "CustomerID";
    c.time_column = "InvoiceDate";
    c.order_column = "InvoiceNo";
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_load_csv(&ds, NULL, example_data_path("online_retail.csv.gz"), &c));
    double gap;
    TIER_CHECK(tier_lifecycle_assign(&gap, ds, NULL));
    const int32_t *codes;
    const char *const *dict;
    TIER_CHECK(tier_dataset_categorical(&codes, &dict, NULL, ds, "lifecycle"));
    size_t count[6] = { 0 };
    for (size_t r = 0; r < tier_dataset_size(ds); r++)
        if (codes[r] >= 0)
            count[codes[r]]++;
    FILE *f = fopen(test_data_path("clv/online_retail_reference.txt"), "r");
    assert_non_null(f);
    char line[4096];
    int stages = 0;
    while (fgets(line, sizeof line, f)) {
        char name[64];
        size_t want;
        double g;
        if (sscanf(line, "stage %63s %zu", name, &want) == 2) {
            int k = 0;
            while (k < 6 && strcmp(dict[k], name) != 0)
                k++;
            assert_true(k < 6);
            if (count[k] != want)
                fail_msg("stage %s: %zu, want %zu", name, count[k], want);
            stages++;
        } else if (sscanf(line, "default_gap %lf", &g) == 1)
            assert_true(fabs(gap - g) <= 1e-9 * g);
    }
    fclose(f);
    assert_int_equal(stages, 6);
    tier_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stages),
        cmocka_unit_test(test_median_gap_and_errors),
        cmocka_unit_test(test_online_retail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
