/* Tests for include/tier/churn.h: flags on hand-made values (ties, NaN), rates per group, the
 * cohort table of a hand-made log, and churn rates per country and the full cohort retention
 * table of the bundled Online Retail sample against an independent pandas computation
 * (tests/data/clv/online_retail_reference.py). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define DAY 86400
#define JAN1_2011 1293840000

static tier_dataset *online_retail(void)
{
    tier_csv_options o = TIER_CSV_OPTIONS_INIT;
    const char *cats[] = { "Country" };
    o.quantity_column = "Quantity";
    o.price_column = "UnitPrice";
    o.customer_column = "CustomerID";
    o.time_column = "InvoiceDate";
    o.order_column = "InvoiceNo";
    o.categorical_columns = cats;
    o.n_categorical_columns = 1;
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_load_csv(&ds, NULL, example_data_path("online_retail.csv.gz"), &o));
    return ds;
}

/* Customers a..d: purchases on the given days after 2011-01-01 (negative amount = return). */
static tier_dataset *small_log(void)
{
    const char *ids[] = { "a", "a", "a", "b", "b", "c", "d", "d" };
    int64_t days[] = { 0, 31, 60, 40, 100, 70, 5, 90 };
    double amt[] = { 5, 5, 5, 3, 3, 9, -2, 4 };
    int64_t t[8];
    for (int i = 0; i < 8; i++)
        t[i] = JAN1_2011 + days[i] * DAY + 3600;
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, NULL));
    TIER_CHECK(tier_dataset_add_transactions(ds, 8, ids, t, amt, NULL));
    TIER_CHECK(tier_dataset_compute_features(ds, JAN1_2011 + 120 * DAY));
    return ds;
}

static void test_flag_rules(void **state)
{
    (void)state;
    tier_dataset *ds = small_log();
    double pa[4] = { 0.1, 0.5, 0.9, NAN };
    TIER_CHECK(tier_dataset_set_numeric(ds, "p_alive", pa));
    TIER_CHECK(tier_churn_flag(ds, NULL));
    const double *f;
    TIER_CHECK(tier_dataset_numeric(&f, ds, "churned"));
    assert_true(f[0] == 1.0 && f[1] == 0.0 && f[2] == 0.0 && isnan(f[3])); /* tie at 0.5 retained */
    tier_churn_options o = TIER_CHURN_OPTIONS_INIT;
    o.rule = TIER_CHURN_RECENCY;
    o.recency_days = 50.0; /* recencies: a 60, b 20, c 50, d 30 (days, minus the hour) */
    o.output = "lost";
    TIER_CHECK(tier_churn_flag(ds, &o));
    TIER_CHECK(tier_dataset_numeric(&f, ds, "lost"));
    assert_true(f[0] == 1.0 && f[1] == 0.0 && f[2] == 0.0 && f[3] == 0.0);
    o.recency_days = -1;
    TIER_EXPECT_ERROR(tier_churn_flag(ds, &o), TIER_EINVAL, "recency threshold");
    o = (tier_churn_options)TIER_CHURN_OPTIONS_INIT;
    o.column = "p_alvie";
    TIER_EXPECT_ERROR(tier_churn_flag(ds, &o), TIER_ENOTFOUND, "p_alive");
    o.column = NULL;
    o.p_alive_threshold = 1.5;
    TIER_EXPECT_ERROR(tier_churn_flag(ds, &o), TIER_EINVAL, "[0, 1]");
    tier_churn_options init;
    TIER_CHECK(tier_churn_options_init(&init, TIER_CHURN_OPTIONS_VERSION));
    assert_true(init.p_alive_threshold == 0.5 && init.recency_days == 90.0);
    tier_dataset_free(ds);
}

static void test_rates_by_group(void **state)
{
    (void)state;
    tier_dataset *ds = small_log();
    double flag[4] = { 1, 0, NAN, 1 };
    int32_t grp[4] = { 0, 0, 1, TIER_MISSING_CODE };
    const char *dict[2] = { "gold", "silver" };
    TIER_CHECK(tier_dataset_set_numeric(ds, "churned", flag));
    TIER_CHECK(tier_dataset_set_categorical(ds, "tier", grp, dict, 2));
    tier_churn_table *t = NULL;
    TIER_CHECK(tier_churn_rates(&t, ds, NULL, "tier"));
    assert_int_equal(tier_churn_table_size(t), 3);
    assert_string_equal(tier_churn_table_group(t, 0), "gold");
    assert_null(tier_churn_table_group(t, 2)); /* missing group */
    size_t n, c, u;
    double r;
    TIER_CHECK(tier_churn_table_row(&n, &c, &u, &r, t, 0));
    assert_true(n == 2 && c == 1 && u == 0 && r == 0.5);
    TIER_CHECK(tier_churn_table_row(&n, &c, &u, &r, t, 1));
    assert_true(n == 0 && c == 0 && u == 1 && isnan(r));
    TIER_CHECK(tier_churn_table_row(&n, &c, &u, &r, t, 3)); /* total */
    assert_true(n == 3 && c == 2 && u == 1 && fabs(r - 2.0 / 3.0) < 1e-15);
    TIER_EXPECT_ERROR(tier_churn_table_row(&n, &c, &u, &r, t, 4), TIER_EINVAL, "out of range");
    tier_churn_table_free(t);
    TIER_CHECK(tier_churn_rates(&t, ds, "churned", NULL));
    assert_int_equal(tier_churn_table_size(t), 1);
    assert_string_equal(tier_churn_table_group(t, 0), "all");
    tier_churn_table_free(t);
    double bad[4] = { 1, 2, 0, 0 };
    TIER_CHECK(tier_dataset_set_numeric(ds, "churned", bad));
    TIER_EXPECT_ERROR(tier_churn_rates(&t, ds, NULL, NULL), TIER_EINVAL, "customer 'b'");
    assert_null(t);
    TIER_EXPECT_ERROR(tier_churn_rates(&t, ds, NULL, "churned"), TIER_ETYPE, "");
    tier_dataset_free(ds);
}

static void test_cohorts_small(void **state)
{
    (void)state;
    /* a: Jan (day 0), Feb (31), Mar (60); b: Feb (40), Apr (100); c: Mar (70); d: return in Jan,
     * purchase Apr (90): d's cohort is April. */
    tier_dataset *ds = small_log();
    tier_cohort_table *t = NULL;
    TIER_CHECK(tier_cohort_retention(&t, ds));
    assert_int_equal(tier_cohort_table_cohorts(t), 4);
    assert_string_equal(tier_cohort_table_label(t, 0), "2011-01");
    assert_string_equal(tier_cohort_table_label(t, 3), "2011-04");
    assert_null(tier_cohort_table_label(t, 4));
    static const size_t size[4] = { 1, 1, 1, 1 };
    static const size_t active[4][4] = { { 1, 1, 1, 0 }, { 1, 0, 1, 0 }, { 1, 0, 0, 0 }, { 1, 0, 0, 0 } };
    for (size_t c = 0; c < 4; c++)
        for (size_t k = 0; k < 4; k++) {
            size_t s, a;
            double r;
            TIER_CHECK(tier_cohort_table_cell(&s, &a, &r, t, c, k));
            assert_int_equal(s, size[c]);
            assert_int_equal(a, active[c][k]);
            if (c + k < 4)
                assert_true(r == (double)active[c][k]);
            else
                assert_true(isnan(r));
        }
    tier_cohort_table_free(t);
    tier_dataset *empty = NULL;
    TIER_CHECK(tier_dataset_new(&empty, NULL));
    TIER_EXPECT_ERROR(tier_cohort_retention(&t, empty), TIER_EEMPTY, "no purchase");
    tier_dataset_free(empty);
    tier_dataset_free(ds);
}

static void test_online_retail(void **state)
{
    (void)state;
    tier_dataset *ds = online_retail();
    tier_churn_options o = TIER_CHURN_OPTIONS_INIT;
    o.rule = TIER_CHURN_RECENCY;
    TIER_CHECK(tier_churn_flag(ds, &o));
    tier_churn_table *ct = NULL;
    TIER_CHECK(tier_churn_rates(&ct, ds, NULL, "Country"));
    tier_cohort_table *cohorts = NULL;
    TIER_CHECK(tier_cohort_retention(&cohorts, ds));
    FILE *f = fopen(test_data_path("clv/online_retail_reference.txt"), "r");
    assert_non_null(f);
    char line[4096];
    size_t n_churn = 0, n_cohort = 0;
    while (fgets(line, sizeof line, f)) {
        char name[128];
        int pos = 0;
        if (sscanf(line, "churn %127s %n", name, &pos) == 1) {
            for (char *p = name; *p; p++)
                if (*p == '_')
                    *p = ' ';
            size_t want_n, want_c, want_u, i;
            assert_int_equal(sscanf(line + pos, "%zu %zu %zu", &want_n, &want_c, &want_u), 3);
            for (i = 0; i < tier_churn_table_size(ct); i++)
                if (tier_churn_table_group(ct, i) && strcmp(tier_churn_table_group(ct, i), name) == 0)
                    break;
            assert_true(i < tier_churn_table_size(ct));
            size_t n, c, u;
            TIER_CHECK(tier_churn_table_row(&n, &c, &u, NULL, ct, i));
            if (n != want_n || c != want_c || u != want_u)
                fail_msg("%s: %zu %zu %zu, want %zu %zu %zu", name, n, c, u, want_n, want_c, want_u);
            n_churn++;
        } else if (sscanf(line, "cohort %127s %n", name, &pos) == 1) {
            assert_string_equal(tier_cohort_table_label(cohorts, n_cohort), name);
            size_t want, got, used = 0;
            int u;
            assert_int_equal(sscanf(line + pos, "%zu%n", &want, &u), 1);
            pos += u;
            TIER_CHECK(tier_cohort_table_cell(&got, NULL, NULL, cohorts, n_cohort, 0));
            assert_int_equal(got, want);
            while (sscanf(line + pos, "%zu%n", &want, &u) == 1) {
                pos += u;
                TIER_CHECK(tier_cohort_table_cell(NULL, &got, NULL, cohorts, n_cohort, used));
                if (got != want)
                    fail_msg("cohort %s offset %zu: %zu, want %zu", name, used, got, want);
                used++;
            }
            assert_int_equal(used, tier_cohort_table_cohorts(cohorts) - n_cohort);
            n_cohort++;
        }
    }
    fclose(f);
    assert_int_equal(n_churn, tier_churn_table_size(ct));
    assert_int_equal(n_cohort, tier_cohort_table_cohorts(cohorts));
    assert_int_equal(n_cohort, 13);
    tier_churn_table_free(ct);
    tier_cohort_table_free(cohorts);
    tier_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flag_rules),
        cmocka_unit_test(test_rates_by_group),
        cmocka_unit_test(test_cohorts_small),
        cmocka_unit_test(test_online_retail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
