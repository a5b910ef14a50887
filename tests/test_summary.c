/* Tests for include/tier/summary.h: group-by tables (one and two keys, numeric and categorical
 * keys, missing values, margins, shares, orders), activity per time bucket, pivots, CSV/JSON
 * export, errors, allocators, and figures on the Online Retail data checked against pandas. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define DAY 86400

/* Days from 1970-01-01 to y-m-d, written independently of the library (the classic
 * "days before year" formula). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    static const int before[] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
    int64_t yy = y - 1; /* years before y, counted from year 1 */
    int64_t days = yy * 365 + yy / 4 - yy / 100 + yy / 400 + before[m - 1] + d - 1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (leap && m > 2)
        days++;
    return days - 719162; /* 1970-01-01 is day 719162 counted from 0001-01-01 */
}

static int64_t T(int y, int m, int d) { return days_from_civil(y, m, d) * DAY + 12 * 3600; }

/* The small dataset of most tests:
 *   c1: 2011-01-05 +100, 2011-01-20 +50, 2011-03-01 +30   monetary 180, FR, score 2
 *   c2: 2011-01-10 +200, 2011-01-15 -50 (return)          monetary 150, DE, score 1
 *   c3: 2011-02-01 -20 (return only: never active)         monetary -20, FR, score NaN
 *   c4: 2011-03-31 +400                                    monetary 400, missing, score 2
 *   c5: 2011-03-02 +10                                     monetary  10, FR, score 1 */
static tier_dataset *small_ds(void)
{
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, NULL));
    const char *ids[] = { "c1", "c1", "c1", "c2", "c2", "c3", "c4", "c5" };
    const int64_t t[] = { T(2011, 1, 5), T(2011, 1, 20), T(2011, 3, 1), T(2011, 1, 10),
                          T(2011, 1, 15), T(2011, 2, 1), T(2011, 3, 31), T(2011, 3, 2) };
    const double amt[] = { 100, 50, 30, 200, -50, -20, 400, 10 };
    TIER_CHECK(tier_dataset_add_transactions(ds, 8, ids, t, amt, NULL));
    TIER_CHECK(tier_dataset_compute_features(ds, TIER_AS_OF_AUTO));
    const char *cid[] = { "c1", "c2", "c3", "c4", "c5" };
    const char *country[] = { "FR", "DE", "FR", NULL, "FR" };
    TIER_CHECK(tier_dataset_join_categorical(NULL, ds, "country", 5, cid, country));
    const double score[] = { 2, 1, NAN, 2, 1 };
    TIER_CHECK(tier_dataset_set_numeric(ds, "score", score));
    return ds;
}

static size_t colidx(const tier_summary *s, const char *name)
{
    size_t c = 0;
    TIER_CHECK(tier_summary_find_column(&c, s, name));
    return c;
}

static double cell(const tier_summary *s, size_t row, const char *name)
{
    return tier_summary_value(s, row, colidx(s, name));
}

/* Row whose keys have the given labels (second may be NULL for one key). */
static size_t find_row(const tier_summary *s, const char *k0, const char *k1)
{
    for (size_t r = 0; r < tier_summary_row_count(s); r++)
        if (strcmp(tier_summary_label(s, r, 0), k0) == 0 &&
            (!k1 || strcmp(tier_summary_label(s, r, 1), k1) == 0))
            return r;
    fail_msg("no row %s/%s", k0, k1 ? k1 : "-");
    return 0;
}

/* A string sink for tier_summary_export(). */
typedef struct sink {
    char buf[65536];
    size_t len;
    int fail_after; /* fail on this call (1-based); 0 = never */
    int calls;
} sink;

static int sink_write(void *user, const char *data, size_t len)
{
    sink *k = user;
    if (k->fail_after && ++k->calls >= k->fail_after)
        return -1;
    assert_true(k->len + len < sizeof k->buf);
    memcpy(k->buf + k->len, data, len);
    k->len += len;
    k->buf[k->len] = '\0';
    return 0;
}

/* ---- group-by --------------------------------------------------------------------------------- */

static void test_options(void **state)
{
    (void)state;
    tier_summary_options o;
    TIER_CHECK(tier_summary_options_init(&o, TIER_SUMMARY_OPTIONS_VERSION));
    assert_int_equal(o.version, TIER_SUMMARY_OPTIONS_VERSION);
    assert_null(o.by[0]);
    assert_int_equal(o.include_missing, 1);
    assert_int_equal(o.include_empty, 1);
    assert_int_equal(o.margins, 0);
    TIER_EXPECT_ERROR(tier_summary_options_init(&o, 7), TIER_EVERSION, "version 7");
    TIER_EXPECT_ERROR(tier_summary_options_init(NULL, 1), TIER_EINVAL, "NULL");
}

static void test_one_way(void **state)
{
    (void)state;
    tier_dataset *ds = small_ds();
    tier_summary_options o = TIER_SUMMARY_OPTIONS_INIT;
    o.by[0] = "country";
    o.value = "monetary";
    tier_summary *s = NULL;
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    assert_int_equal(tier_summary_key_count(s), 1);
    assert_int_equal(tier_summary_row_count(s), 3);
    assert_int_equal(tier_summary_column_count(s), 1 + 8);
    const char *names[] = { "country", "count", "share", "monetary_n", "monetary_sum",
                            "monetary_mean", "monetary_median", "monetary_min", "monetary_max" };
    for (size_t c = 0; c < 9; c++)
        assert_string_equal(tier_summary_column_name(s, c), names[c]);
    assert_null(tier_summary_column_name(s, 9));
    tier_column_type type;
    TIER_CHECK(tier_summary_column_type(&type, s, 0));
    assert_int_equal(type, TIER_COLUMN_CATEGORICAL);
    TIER_CHECK(tier_summary_column_type(&type, s, 4));
    assert_int_equal(type, TIER_COLUMN_NUMERIC);

    /* dictionary order (first appearance): FR, DE, then the missing group */
    assert_string_equal(tier_summary_label(s, 0, 0), "FR");
    assert_string_equal(tier_summary_label(s, 1, 0), "DE");
    assert_string_equal(tier_summary_label(s, 2, 0), "(missing)");
    assert_int_equal(tier_summary_level_kind(s, 0, 2), TIER_LEVEL_MISSING);
    assert_int_equal(tier_summary_level_kind(s, 0, 0), TIER_LEVEL_VALUE);
    assert_int_equal(tier_summary_key(s, 2, 0), 2);

    /* FR = c1 (180), c3 (-20), c5 (10) */
    assert_true(cell(s, 0, "count") == 3);
    assert_true(cell(s, 0, "share") == 3.0 / 5.0);
    assert_true(cell(s, 0, "monetary_n") == 3);
    assert_true(cell(s, 0, "monetary_sum") == 170);
    assert_true(cell(s, 0, "monetary_mean") == 170.0 / 3.0);
    assert_true(cell(s, 0, "monetary_median") == 10);
    assert_true(cell(s, 0, "monetary_min") == -20);
    assert_true(cell(s, 0, "monetary_max") == 180);
    assert_true(cell(s, 1, "monetary_sum") == 150);
    assert_true(cell(s, 2, "monetary_median") == 400);
    assert_int_equal(tier_summary_total(s), 5);
    assert_int_equal(tier_summary_excluded(s), 0);

    const double *counts = NULL;
    TIER_CHECK(tier_summary_numeric(&counts, s, 1));
    assert_true(counts[0] == 3 && counts[1] == 1 && counts[2] == 1);
    TIER_EXPECT_ERROR(tier_summary_numeric(&counts, s, 0), TIER_ETYPE, "key column");
    TIER_EXPECT_ERROR(tier_summary_numeric(&counts, s, 99), TIER_EINVAL, "out of range");
    assert_true(isnan(tier_summary_value(s, 0, 0)));
    assert_true(isnan(tier_summary_value(s, 3, 1)));
    assert_null(tier_summary_label(s, 3, 0));
    assert_int_equal(tier_summary_key(s, 0, 1), -1);
    tier_summary_free(s);

    /* leave the missing group out: counted apart, shares over the rest */
    o.include_missing = 0;
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    assert_int_equal(tier_summary_row_count(s), 2);
    assert_int_equal(tier_summary_total(s), 4);
    assert_int_equal(tier_summary_excluded(s), 1);
    assert_true(cell(s, 0, "share") == 0.75);
    tier_summary_free(s);

    /* without a value column: counts and shares only */
    o.value = NULL;
    o.include_missing = 1;
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    assert_int_equal(tier_summary_column_count(s), 3);
    size_t c;
    TIER_EXPECT_ERROR(tier_summary_find_column(&c, s, "cout"), TIER_ENOTFOUND, "did you mean 'count'");
    tier_summary_free(s);
    tier_dataset_free(ds);
}

/* Medians of even-sized groups, NaN values, numeric keys. */
static void test_numeric_key_and_nan_values(void **state)
{
    (void)state;
    tier_dataset *ds = small_ds();
    tier_summary_options o = TIER_SUMMARY_OPTIONS_INIT;
    o.by[0] = "score";
    o.value = "recency"; /* NaN for c3, who never bought */
    tier_summary *s = NULL;
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    assert_int_equal(tier_summary_level_count(s, 0), 3);
    assert_string_equal(tier_summary_level_label(s, 0, 0), "1");
    assert_string_equal(tier_summary_level_label(s, 0, 1), "2");
    assert_string_equal(tier_summary_level_label(s, 0, 2), "(missing)");
    assert_null(tier_summary_level_label(s, 0, 3));
    assert_int_equal(tier_summary_level_kind(s, 0, 3), -1);
    /* as_of = 2011-04-01 12:00; score 1 = c2 (last buy 01-10 → 81 days), c5 (03-02 → 30) */
    const double *rec = NULL;
    TIER_CHECK(tier_dataset_numeric(&rec, ds, "recency"));
    size_t r2, r5;
    TIER_CHECK(tier_dataset_find(&r2, ds, "c2"));
    TIER_CHECK(tier_dataset_find(&r5, ds, "c5"));
    assert_true(cell(s, 0, "recency_median") == (rec[r2] + rec[r5]) / 2);
    assert_true(cell(s, 0, "recency_n") == 2);
    /* the missing-score group is c3 alone, whose recency is NaN */
    assert_true(cell(s, 2, "count") == 1);
    assert_true(cell(s, 2, "recency_n") == 0);
    assert_true(cell(s, 2, "recency_sum") == 0);
    assert_true(isnan(cell(s, 2, "recency_mean")));
    assert_true(isnan(cell(s, 2, "recency_median")));
    assert_true(isnan(cell(s, 2, "recency_min")));
    tier_summary_free(s);

    /* non-integer and negative numeric keys: shortest labels, ascending */
    const double v[] = { 0.1, -2.5, 0.1, 1e300, -0.0 };
    TIER_CHECK(tier_dataset_set_numeric(ds, "x", v));
    o.by[0] = "x";
    o.value = NULL;
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    assert_int_equal(tier_summary_row_count(s), 4);
    assert_string_equal(tier_summary_label(s, 0, 0), "-2.5");
    assert_string_equal(tier_summary_label(s, 1, 0), "0");
    assert_string_equal(tier_summary_label(s, 2, 0), "0.1");
    assert_string_equal(tier_summary_label(s, 3, 0), "1e+300");
    assert_true(cell(s, 2, "count") == 2);
    tier_summary_free(s);
    tier_dataset_free(ds);
}

static void test_two_way_margins(void **state)
{
    (void)state;
    tier_dataset *ds = small_ds();
    tier_summary_options o = TIER_SUMMARY_OPTIONS_INIT;
    o.by[0] = "country";
    o.by[1] = "score";
    o.value = "monetary";
    o.margins = 1;
    tier_summary *s = NULL;
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    assert_int_equal(tier_summary_key_count(s), 2);
    assert_string_equal(tier_summary_column_name(s, 0), "country");
    assert_string_equal(tier_summary_column_name(s, 1), "score");
    /* country: FR, DE, (missing), Total; score: 1, 2, (missing), Total → a full 4 × 4 grid */
    assert_int_equal(tier_summary_level_count(s, 0), 4);
    assert_int_equal(tier_summary_level_count(s, 1), 4);
    assert_int_equal(tier_summary_level_kind(s, 1, 3), TIER_LEVEL_TOTAL);
    assert_int_equal(tier_summary_row_count(s), 16);
    /* rows run first key major, second key minor */
    assert_string_equal(tier_summary_label(s, 1, 0), "FR");
    assert_string_equal(tier_summary_label(s, 1, 1), "2");
    assert_string_equal(tier_summary_label(s, 4, 0), "DE");

    assert_true(cell(s, find_row(s, "FR", "1"), "monetary_sum") == 10);
    assert_true(cell(s, find_row(s, "FR", "2"), "monetary_sum") == 180);
    assert_true(cell(s, find_row(s, "FR", "(missing)"), "monetary_sum") == -20);
    assert_true(cell(s, find_row(s, "DE", "2"), "count") == 0);
    assert_true(cell(s, find_row(s, "DE", "2"), "monetary_sum") == 0);
    assert_true(isnan(cell(s, find_row(s, "DE", "2"), "monetary_mean")));
    /* margins: totals per country, per score, and everything; medians from the customers */
    size_t fr = find_row(s, "FR", "Total");
    assert_true(cell(s, fr, "count") == 3);
    assert_true(cell(s, fr, "monetary_sum") == 170);
    assert_true(cell(s, fr, "monetary_median") == 10);
    size_t s2 = find_row(s, "Total", "2");
    assert_true(cell(s, s2, "count") == 2); /* c1, c4 */
    assert_true(cell(s, s2, "monetary_median") == 290);
    size_t all = find_row(s, "Total", "Total");
    assert_true(cell(s, all, "count") == 5);
    assert_true(cell(s, all, "monetary_sum") == 720);
    assert_true(cell(s, all, "monetary_median") == 150);
    assert_true(cell(s, all, "monetary_min") == -20);
    assert_true(cell(s, all, "share") == 1);
    assert_true(cell(s, find_row(s, "FR", "1"), "share") == 0.2);
    tier_summary_free(s);

    /* share within the first key: FR's customers split 1/3 per score */
    o.share = TIER_SHARE_OF_FIRST;
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    assert_true(cell(s, find_row(s, "FR", "1"), "share") == 1.0 / 3.0);
    assert_true(cell(s, find_row(s, "FR", "Total"), "share") == 1);
    assert_true(cell(s, find_row(s, "Total", "2"), "share") == 2.0 / 5.0);
    tier_summary_free(s);

    /* share within the second key: of the two score-2 customers one is French */
    o.share = TIER_SHARE_OF_SECOND;
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    assert_true(cell(s, find_row(s, "FR", "2"), "share") == 0.5);
    assert_true(cell(s, find_row(s, "Total", "2"), "share") == 1);
    assert_true(cell(s, find_row(s, "FR", "Total"), "share") == 3.0 / 5.0);
    tier_summary_free(s);

    /* sparse: only combinations with customers (margins always have some here) */
    o.share = TIER_SHARE_OF_TOTAL;
    o.include_empty = 0;
    o.margins = 0;
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    assert_int_equal(tier_summary_row_count(s), 5);
    double sum = 0;
    for (size_t r = 0; r < 5; r++)
        sum += cell(s, r, "count");
    assert_true(sum == 5);
    tier_summary_free(s);

    /* the same column twice, or a categorical value */
    o.by[1] = "country";
    TIER_EXPECT_ERROR(tier_summary_new(&s, ds, &o), TIER_EINVAL, "given twice");
    assert_null(s);
    o.by[1] = NULL;
    o.value = "country";
    TIER_EXPECT_ERROR(tier_summary_new(&s, ds, &o), TIER_ETYPE, "categorical");
    tier_dataset_free(ds);
}

static void test_order_and_labels(void **state)
{
    (void)state;
    tier_dataset *ds = small_ds();
    tier_summary_options o = TIER_SUMMARY_OPTIONS_INIT;
    o.by[0] = "country";
    o.order = TIER_ORDER_COUNT_DESC;
    o.margins = 1;
    tier_summary *s = NULL;
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    /* FR (3) before DE (1); missing and total stay last */
    assert_string_equal(tier_summary_label(s, 0, 0), "FR");
    assert_string_equal(tier_summary_label(s, 1, 0), "DE");
    assert_string_equal(tier_summary_label(s, 2, 0), "(missing)");
    assert_string_equal(tier_summary_label(s, 3, 0), "Total");
    tier_summary_free(s);

    /* a DE-heavy dataset: DE first, ties in dictionary order */
    const char *cid[] = { "c1", "c3" };
    const char *de[] = { "DE", "DE" };
    TIER_CHECK(tier_dataset_join_categorical(NULL, ds, "country", 2, cid, de));
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    assert_string_equal(tier_summary_label(s, 0, 0), "DE");
    assert_true(cell(s, 0, "count") == 3);
    tier_summary_free(s);

    /* labels that collide with a real value are refused */
    o.total_label = "FR";
    TIER_EXPECT_ERROR(tier_summary_new(&s, ds, &o), TIER_EEXISTS, "total label");
    o.total_label = "All";
    o.missing_label = "DE";
    TIER_EXPECT_ERROR(tier_summary_new(&s, ds, &o), TIER_EEXISTS, "missing label");
    o.missing_label = "none";
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    assert_string_equal(tier_summary_label(s, 2, 0), "none");
    assert_string_equal(tier_summary_label(s, 3, 0), "All");
    tier_summary_free(s);
    tier_dataset_free(ds);
}

static void test_errors(void **state)
{
    (void)state;
    tier_dataset *ds = small_ds();
    tier_summary *s = (tier_summary *)1;
    tier_summary_options o = TIER_SUMMARY_OPTIONS_INIT;
    TIER_EXPECT_ERROR(tier_summary_new(&s, ds, &o), TIER_EINVAL, "by[0]");
    assert_null(s);
    TIER_EXPECT_ERROR(tier_summary_new(&s, ds, NULL), TIER_EINVAL, "by[0]");
    TIER_EXPECT_ERROR(tier_summary_new(NULL, ds, &o), TIER_EINVAL, "out");
    TIER_EXPECT_ERROR(tier_summary_new(&s, NULL, &o), TIER_EINVAL, "ds");
    o.by[0] = "contry";
    TIER_EXPECT_ERROR(tier_summary_new(&s, ds, &o), TIER_ENOTFOUND, "did you mean 'country'");
    TIER_EXPECT_ERROR(tier_summary_new(&s, ds, &o), TIER_ENOTFOUND, "summary");
    o.by[0] = "country";
    o.value = "monetory";
    TIER_EXPECT_ERROR(tier_summary_new(&s, ds, &o), TIER_ENOTFOUND, "did you mean 'monetary'");
    o.value = NULL;
    o.share = (tier_summary_share)9;
    TIER_EXPECT_ERROR(tier_summary_new(&s, ds, &o), TIER_EINVAL, "share");
    o.share = TIER_SHARE_OF_TOTAL;
    o.order = (tier_summary_order)9;
    TIER_EXPECT_ERROR(tier_summary_new(&s, ds, &o), TIER_EINVAL, "order");
    o.order = TIER_ORDER_KEY;
    o.version = 2;
    TIER_EXPECT_ERROR(tier_summary_new(&s, ds, &o), TIER_EVERSION, "version 2");
    o.version = TIER_SUMMARY_OPTIONS_VERSION;

    /* stale features are not summarised */
    const char *id[] = { "c9" };
    const int64_t t[] = { T(2011, 4, 1) };
    const double a[] = { 5 };
    TIER_CHECK(tier_dataset_add_transactions(ds, 1, id, t, a, NULL));
    o.value = "monetary";
    TIER_EXPECT_ERROR(tier_summary_new(&s, ds, &o), TIER_ESTALE, "");

    /* NULL handles are harmless */
    tier_summary_free(NULL);
    assert_int_equal(tier_summary_row_count(NULL), 0);
    assert_int_equal(tier_summary_column_count(NULL), 0);
    assert_null(tier_summary_column_name(NULL, 0));
    assert_true(isnan(tier_summary_value(NULL, 0, 0)));
    assert_int_equal(tier_summary_bucket_start(NULL, 0), TIER_AS_OF_AUTO);
    tier_dataset_free(ds);
}

/* No customers at all: dictionary groups with count 0 and undefined shares. */
static void test_empty_dataset(void **state)
{
    (void)state;
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, NULL));
    const char *dict[] = { "Gold", "Silver" };
    TIER_CHECK(tier_dataset_set_categorical(ds, "tier", NULL, dict, 2));
    tier_summary_options o = TIER_SUMMARY_OPTIONS_INIT;
    o.by[0] = "tier";
    o.margins = 1;
    tier_summary *s = NULL;
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    assert_int_equal(tier_summary_row_count(s), 3);
    assert_true(cell(s, 0, "count") == 0);
    assert_true(isnan(cell(s, 0, "share")));
    assert_string_equal(tier_summary_label(s, 2, 0), "Total");
    tier_summary_free(s);
    o.include_empty = 0;
    o.margins = 0;
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    assert_int_equal(tier_summary_row_count(s), 0);
    const double *v = (const double *)1;
    TIER_CHECK(tier_summary_numeric(&v, s, 1));
    assert_null(v);
    sink k = { .len = 0 };
    TIER_CHECK(tier_summary_export(s, TIER_EXPORT_CSV, sink_write, &k));
    assert_string_equal(k.buf, "tier,count,share\n");
    tier_summary_free(s);
    /* activity needs purchases */
    TIER_EXPECT_ERROR(tier_summary_activity(&s, ds, TIER_BUCKET_MONTH, NULL), TIER_EEMPTY,
                      "no customer has a purchase");
    tier_dataset_free(ds);
}

/* ---- activity ---------------------------------------------------------------------------------- */

static void test_activity_month(void **state)
{
    (void)state;
    tier_dataset *ds = small_ds();
    tier_summary *s = NULL;
    TIER_CHECK(tier_summary_activity(&s, ds, TIER_BUCKET_MONTH, NULL));
    assert_string_equal(tier_summary_column_name(s, 0), "month");
    /* January: c1, c2; February: nobody (c3 only returned); March: c1, c4, c5 */
    assert_int_equal(tier_summary_row_count(s), 3);
    assert_string_equal(tier_summary_label(s, 0, 0), "2011-01");
    assert_string_equal(tier_summary_label(s, 1, 0), "2011-02");
    assert_string_equal(tier_summary_label(s, 2, 0), "2011-03");
    assert_true(cell(s, 0, "count") == 2);
    assert_true(cell(s, 1, "count") == 0);
    assert_true(cell(s, 2, "count") == 3);
    assert_int_equal(tier_summary_total(s), 5);
    assert_int_equal(tier_summary_bucket_start(s, 1), days_from_civil(2011, 2, 1) * DAY);
    assert_int_equal(tier_summary_bucket_start(s, 3), TIER_AS_OF_AUTO);
    tier_summary_free(s);

    /* split by country, with the mean monetary value of the active customers */
    tier_summary_options o = TIER_SUMMARY_OPTIONS_INIT;
    o.by[0] = "country";
    o.value = "monetary";
    o.include_empty = 0;
    o.share = TIER_SHARE_OF_FIRST;
    TIER_CHECK(tier_summary_activity(&s, ds, TIER_BUCKET_MONTH, &o));
    assert_int_equal(tier_summary_key_count(s), 2);
    assert_int_equal(tier_summary_level_count(s, 0), 3); /* February stays a level */
    assert_int_equal(tier_summary_row_count(s), 4);
    size_t r = find_row(s, "2011-03", "FR");
    assert_true(cell(s, r, "count") == 2);
    assert_true(cell(s, r, "monetary_mean") == 95);
    assert_true(cell(s, r, "share") == 2.0 / 3.0);
    assert_true(cell(s, find_row(s, "2011-03", "(missing)"), "monetary_sum") == 400);
    assert_true(cell(s, find_row(s, "2011-01", "DE"), "count") == 1);

    /* the pivot shows every month, February as zeros */
    tier_summary *p = NULL;
    TIER_CHECK(tier_summary_pivot(&p, s, "count"));
    assert_int_equal(tier_summary_row_count(p), 3);
    assert_int_equal(tier_summary_key_count(p), 1);
    assert_string_equal(tier_summary_column_name(p, 0), "month");
    assert_string_equal(tier_summary_column_name(p, 1), "FR");
    assert_string_equal(tier_summary_column_name(p, 2), "DE");
    assert_string_equal(tier_summary_column_name(p, 3), "(missing)");
    assert_true(tier_summary_value(p, 0, 1) == 1);  /* Jan FR: c1 */
    assert_true(tier_summary_value(p, 1, 1) == 0);  /* Feb FR */
    assert_true(tier_summary_value(p, 2, 3) == 1);  /* Mar missing: c4 */
    assert_int_equal(tier_summary_bucket_start(p, 2), days_from_civil(2011, 3, 1) * DAY);
    tier_summary_free(p);
    TIER_CHECK(tier_summary_pivot(&p, s, "monetary_mean"));
    assert_true(isnan(tier_summary_value(p, 1, 1))); /* nobody active: unknown mean */
    assert_true(tier_summary_value(p, 2, 1) == 95);
    tier_summary_free(p);
    TIER_EXPECT_ERROR(tier_summary_pivot(&p, s, "country"), TIER_ETYPE, "key column");
    TIER_EXPECT_ERROR(tier_summary_pivot(&p, s, "monetary_meen"), TIER_ENOTFOUND,
                      "did you mean 'monetary_mean'");
    tier_summary_free(s);

    o.by[1] = "score";
    TIER_EXPECT_ERROR(tier_summary_activity(&s, ds, TIER_BUCKET_MONTH, &o), TIER_EINVAL, "by[1]");
    o.by[1] = NULL;
    TIER_EXPECT_ERROR(tier_summary_activity(&s, ds, (tier_time_bucket)12, &o), TIER_EINVAL,
                      "bucket");
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    TIER_EXPECT_ERROR(tier_summary_pivot(&p, s, "count"), TIER_EINVAL, "two keys");
    assert_int_equal(tier_summary_bucket_start(s, 0), TIER_AS_OF_AUTO); /* not an activity table */
    tier_summary_free(s);
    tier_dataset_free(ds);
}

/* Calendar edge cases of every bucket: ISO weeks across year ends, days before 1970. */
static void test_activity_buckets(void **state)
{
    (void)state;
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, NULL));
    /* a: 1969-12-31 (Wednesday of ISO week 1970-W01) and 1970-01-01 — same week, two days
     * b: 2009-12-31 (Thursday, 2009-W53), 2010-01-03 (Sunday, 2009-W53), 2010-01-04 (2010-W01)
     *    and two purchases on one day */
    const char *ids[] = { "a", "a", "b", "b", "b", "b" };
    const int64_t t[] = { T(1969, 12, 31), T(1970, 1, 1), T(2009, 12, 31), T(2010, 1, 3),
                          T(2010, 1, 4), T(2010, 1, 4) + 60 };
    const double amt[] = { 1, 1, 1, 1, 1, 1 };
    TIER_CHECK(tier_dataset_add_transactions(ds, 6, ids, t, amt, NULL));
    tier_summary *s = NULL;

    TIER_CHECK(tier_summary_activity(&s, ds, TIER_BUCKET_WEEK, NULL));
    assert_string_equal(tier_summary_label(s, 0, 0), "1970-W01");
    assert_int_equal(tier_summary_bucket_start(s, 0), days_from_civil(1969, 12, 29) * DAY);
    assert_true(cell(s, 0, "count") == 1); /* a, once for two days */
    size_t n = tier_summary_row_count(s);
    assert_string_equal(tier_summary_label(s, n - 2, 0), "2009-W53");
    assert_string_equal(tier_summary_label(s, n - 1, 0), "2010-W01");
    assert_true(cell(s, n - 2, "count") == 1);
    assert_int_equal(tier_summary_bucket_start(s, n - 1), days_from_civil(2010, 1, 4) * DAY);
    /* weeks without gaps from 1969-12-29 to 2010-01-04 */
    assert_int_equal(n, (days_from_civil(2010, 1, 4) - days_from_civil(1969, 12, 29)) / 7 + 1);
    tier_summary_free(s);

    TIER_CHECK(tier_summary_activity(&s, ds, TIER_BUCKET_DAY, NULL));
    assert_string_equal(tier_summary_label(s, 0, 0), "1969-12-31");
    assert_int_equal(tier_summary_bucket_start(s, 0), -DAY);
    n = tier_summary_row_count(s);
    assert_string_equal(tier_summary_label(s, n - 1, 0), "2010-01-04");
    assert_true(cell(s, n - 1, "count") == 1);
    tier_summary_free(s);

    TIER_CHECK(tier_summary_activity(&s, ds, TIER_BUCKET_QUARTER, NULL));
    assert_string_equal(tier_summary_label(s, 0, 0), "1969-Q4");
    assert_string_equal(tier_summary_label(s, 1, 0), "1970-Q1");
    n = tier_summary_row_count(s);
    assert_string_equal(tier_summary_label(s, n - 1, 0), "2010-Q1");
    assert_int_equal(n, 40 * 4 + 2);
    assert_int_equal(tier_summary_bucket_start(s, n - 2), days_from_civil(2009, 10, 1) * DAY);
    tier_summary_free(s);

    TIER_CHECK(tier_summary_activity(&s, ds, TIER_BUCKET_YEAR, NULL));
    n = tier_summary_row_count(s);
    assert_int_equal(n, 42);
    assert_string_equal(tier_summary_label(s, 0, 0), "1969");
    assert_string_equal(tier_summary_label(s, 41, 0), "2010");
    assert_true(cell(s, 0, "count") == 1 && cell(s, 1, "count") == 1);
    assert_true(cell(s, 40, "count") == 1 && cell(s, 41, "count") == 1);
    assert_true(cell(s, 20, "count") == 0);
    tier_summary_free(s);

    TIER_CHECK(tier_summary_activity(&s, ds, TIER_BUCKET_MONTH, NULL));
    assert_string_equal(tier_summary_label(s, 0, 0), "1969-12");
    assert_int_equal(tier_summary_bucket_start(s, 0), days_from_civil(1969, 12, 1) * DAY);
    tier_summary_free(s);
    tier_dataset_free(ds);
}

/* ---- export ------------------------------------------------------------------------------------ */

static void test_export(void **state)
{
    (void)state;
    tier_dataset *ds = small_ds();
    tier_summary_options o = TIER_SUMMARY_OPTIONS_INIT;
    o.by[0] = "country";
    o.value = "monetary";
    tier_summary *s = NULL;
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    sink k = { .len = 0 };
    TIER_CHECK(tier_summary_export(s, TIER_EXPORT_CSV, sink_write, &k));
    assert_string_equal(k.buf,
        "country,count,share,monetary_n,monetary_sum,monetary_mean,monetary_median,monetary_min,"
        "monetary_max\n"
        "FR,3,0.6,3,170,56.666666666666664,10,-20,180\n"
        "DE,1,0.2,1,150,150,150,150,150\n"
        "(missing),1,0.2,1,400,400,400,400,400\n");
    k.len = 0;
    o.value = NULL;
    tier_summary_free(s);
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    TIER_CHECK(tier_summary_export(s, TIER_EXPORT_JSON, sink_write, &k));
    assert_string_equal(k.buf,
        "{\"columns\": [\"country\", \"count\", \"share\"], \"total\": 5, \"excluded\": 0, \"rows\": [\n"
        "  {\"country\": \"FR\", \"count\": 3, \"share\": 0.6},\n"
        "  {\"country\": \"DE\", \"count\": 1, \"share\": 0.2},\n"
        "  {\"country\": \"(missing)\", \"count\": 1, \"share\": 0.2}\n"
        "]}\n");

    /* a failing callback stops the export */
    k = (sink){ .len = 0, .fail_after = 1 };
    TIER_EXPECT_ERROR(tier_summary_export(s, TIER_EXPORT_CSV, sink_write, &k), TIER_ECALLBACK,
                      "callback");
    TIER_EXPECT_ERROR(tier_summary_export(s, (tier_export_format)5, sink_write, &k), TIER_EINVAL,
                      "format");
    TIER_EXPECT_ERROR(tier_summary_export(s, TIER_EXPORT_CSV, NULL, &k), TIER_EINVAL, "write");

    /* to a file, atomically; a missing directory is an I/O error naming the file */
    const char *path = test_temp_path("summary.csv");
    TIER_CHECK(tier_summary_export_file(s, TIER_EXPORT_CSV, path));
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char buf[256] = { 0 };
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    assert_true(got > 0);
    assert_string_equal(buf, "country,count,share\nFR,3,0.6\nDE,1,0.2\n(missing),1,0.2\n");
    TIER_EXPECT_ERROR(tier_summary_export_file(s, TIER_EXPORT_JSON, "/nonexistent/dir/x.json"),
                      TIER_EIO, "/nonexistent/dir/x.json");
    tier_summary_free(s);
    tier_dataset_free(ds);
}

/* Labels that need CSV quoting and JSON escaping, invalid UTF-8, NaN and infinities. */
static void test_export_escaping(void **state)
{
    (void)state;
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, NULL));
    const char *ids[] = { "a", "b", "c" };
    const int64_t t[] = { T(2011, 1, 1), T(2011, 1, 1), T(2011, 1, 1) };
    const double amt[] = { 1, 2, 3 };
    TIER_CHECK(tier_dataset_add_transactions(ds, 3, ids, t, amt, NULL));
    const char *dict[] = { "Korea, \"South\"", "line\nbreak", "bad\xff" };
    const int32_t codes[] = { 0, 1, 2 };
    TIER_CHECK(tier_dataset_set_categorical(ds, "k", codes, dict, 3));
    const double v[] = { INFINITY, NAN, 0.1 };
    TIER_CHECK(tier_dataset_set_numeric(ds, "v", v));
    tier_summary_options o = TIER_SUMMARY_OPTIONS_INIT;
    o.by[0] = "k";
    o.value = "v";
    tier_summary *s = NULL;
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    sink k = { .len = 0 };
    TIER_CHECK(tier_summary_export(s, TIER_EXPORT_CSV, sink_write, &k));
    assert_non_null(strstr(k.buf, "\n\"Korea, \"\"South\"\"\",1,"));
    assert_non_null(strstr(k.buf, "\n\"line\nbreak\",1,0.3333333333333333,0,0,,,,\n"));
    assert_non_null(strstr(k.buf, ",1,inf,inf,inf,inf,inf\n"));
    k.len = 0;
    TIER_CHECK(tier_summary_export(s, TIER_EXPORT_JSON, sink_write, &k));
    assert_non_null(strstr(k.buf, "\"k\": \"Korea, \\\"South\\\"\""));
    assert_non_null(strstr(k.buf, "\"k\": \"line\\u000abreak\""));
    assert_non_null(strstr(k.buf, "\"k\": \"bad\xEF\xBF\xBD\""));
    assert_non_null(strstr(k.buf, "\"v_sum\": null"));
    assert_non_null(strstr(k.buf, "\"v_mean\": 0.1,"));
    tier_summary_free(s);
    tier_dataset_free(ds);
}

/* ---- allocator ---------------------------------------------------------------------------------- */

static void test_allocator(void **state)
{
    (void)state;
    tier_dataset *ds = small_ds();
    test_alloc c = { 0 };
    tier_allocator a = test_allocator_of(&c);
    tier_summary_options o = TIER_SUMMARY_OPTIONS_INIT;
    o.allocator = &a;
    o.by[0] = "country";
    o.by[1] = "score";
    o.value = "monetary";
    o.margins = 1;
    tier_summary *s = NULL, *p = NULL;
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    TIER_CHECK(tier_summary_pivot(&p, s, "monetary_median"));
    assert_true(c.calls > 0);
    assert_true(c.live > 0);
    tier_summary_free(s);
    tier_summary_free(p);
    assert_int_equal(c.live, 0);
    o.by[1] = NULL;
    TIER_CHECK(tier_summary_activity(&s, ds, TIER_BUCKET_WEEK, &o));
    sink k = { .len = 0 };
    TIER_CHECK(tier_summary_export(s, TIER_EXPORT_JSON, sink_write, &k));
    tier_summary_free(s);
    assert_int_equal(c.live, 0);
    /* failure paths free everything too */
    o.by[0] = "nope";
    assert_int_equal(tier_summary_new(&s, ds, &o), TIER_ENOTFOUND);
    assert_int_equal(c.live, 0);
    tier_allocator bad = test_allocator_of(&c);
    bad.realloc_fn = NULL;
    o.allocator = &bad;
    TIER_EXPECT_ERROR(tier_summary_new(&s, ds, &o), TIER_EINVAL, "allocator");
    tier_dataset_free(ds);
}

/* ---- real data --------------------------------------------------------------------------------- */

static tier_dataset *online_retail(void)
{
    tier_csv_options co = TIER_CSV_OPTIONS_INIT;
    co.customer_column = "CustomerID";
    co.time_column = "InvoiceDate";
    co.quantity_column = "Quantity";
    co.price_column = "UnitPrice";
    co.order_column = "InvoiceNo";
    const char *cat[] = { "Country" };
    co.categorical_columns = cat;
    co.n_categorical_columns = 1;
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_load_csv(&ds, NULL, example_data_path("online_retail.csv.gz"), &co));
    return ds;
}

static void near(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("got %.17g, want %.17g", got, want);
}

/* Figures computed independently with pandas (tests/test_summary.c header comment of each
 * number): customers by country (country of the latest transaction) with their net spend. */
static void test_online_retail_country(void **state)
{
    (void)state;
    tier_dataset *ds = online_retail();
    assert_int_equal(tier_dataset_size(ds), 4372);
    tier_summary_options o = TIER_SUMMARY_OPTIONS_INIT;
    o.by[0] = "Country";
    o.value = "monetary";
    o.order = TIER_ORDER_COUNT_DESC;
    o.margins = 1;
    tier_summary *s = NULL;
    TIER_CHECK(tier_summary_new(&s, ds, &o));
    /* 37 countries among customers with an id (the 38th appears only on rows without one) */
    assert_int_equal(tier_summary_row_count(s), 37 + 1);
    assert_string_equal(tier_summary_label(s, 0, 0), "United Kingdom");
    assert_string_equal(tier_summary_label(s, 1, 0), "Germany");
    assert_string_equal(tier_summary_label(s, 2, 0), "France");
    assert_string_equal(tier_summary_label(s, 3, 0), "Spain");
    assert_true(cell(s, 0, "count") == 3950);
    assert_true(cell(s, 1, "count") == 95);
    assert_true(cell(s, 2, "count") == 87);
    near(cell(s, 0, "monetary_sum"), 6767873.394, 1e-12);
    near(cell(s, 0, "monetary_mean"), 1713.3856693670887, 1e-12);
    near(cell(s, 0, "monetary_median"), 627.06, 1e-12);
    near(cell(s, 0, "monetary_min"), -4287.63, 1e-12);
    near(cell(s, 0, "monetary_max"), 256438.49, 1e-12);
    near(cell(s, 1, "monetary_sum"), 221698.21, 1e-12);
    near(cell(s, 1, "monetary_median"), 1013.26, 1e-12);
    near(cell(s, 2, "monetary_median"), 862.81, 1e-12);
    near(cell(s, 3, "monetary_median"), 951.375, 1e-12);
    size_t r = find_row(s, "Unspecified", NULL);
    assert_true(cell(s, r, "count") == 4);
    near(cell(s, r, "monetary_median"), 549.215, 1e-12);
    size_t all = find_row(s, "Total", NULL);
    assert_true(cell(s, all, "count") == 4372);
    near(cell(s, all, "share"), 1, 0);
    tier_summary_free(s);
    tier_dataset_free(ds);
}

/* Distinct customers with a purchase per month, quarter and ISO week (pandas: nunique of
 * CustomerID over rows with Quantity × UnitPrice > 0). */
static void test_online_retail_activity(void **state)
{
    (void)state;
    tier_dataset *ds = online_retail();
    tier_summary *s = NULL;
    TIER_CHECK(tier_summary_activity(&s, ds, TIER_BUCKET_MONTH, NULL));
    static const double month[] = { 885, 741, 758, 974, 856, 1056, 991, 949, 935, 1266, 1364,
                                    1664, 615 };
    assert_int_equal(tier_summary_row_count(s), 13);
    assert_string_equal(tier_summary_label(s, 0, 0), "2010-12");
    assert_string_equal(tier_summary_label(s, 12, 0), "2011-12");
    for (size_t i = 0; i < 13; i++)
        assert_true(cell(s, i, "count") == month[i]);
    tier_summary_free(s);

    TIER_CHECK(tier_summary_activity(&s, ds, TIER_BUCKET_QUARTER, NULL));
    static const double quarter[] = { 885, 1776, 1991, 2161, 2560 };
    assert_int_equal(tier_summary_row_count(s), 5);
    for (size_t i = 0; i < 5; i++)
        assert_true(cell(s, i, "count") == quarter[i]);
    tier_summary_free(s);

    TIER_CHECK(tier_summary_activity(&s, ds, TIER_BUCKET_WEEK, NULL));
    /* 53 weeks with purchases and the Christmas week 2010-W52 without any */
    assert_int_equal(tier_summary_row_count(s), 54);
    assert_string_equal(tier_summary_label(s, 0, 0), "2010-W48");
    assert_true(cell(s, 0, "count") == 303);
    assert_true(cell(s, 1, "count") == 406);
    assert_string_equal(tier_summary_label(s, 4, 0), "2010-W52");
    assert_true(cell(s, 4, "count") == 0);
    assert_string_equal(tier_summary_label(s, 5, 0), "2011-W01");
    assert_string_equal(tier_summary_label(s, 53, 0), "2011-W49");
    assert_true(cell(s, 53, "count") == 416);
    tier_summary_free(s);

    /* split by country: March 2011 */
    tier_summary_options o = TIER_SUMMARY_OPTIONS_INIT;
    o.by[0] = "Country";
    TIER_CHECK(tier_summary_activity(&s, ds, TIER_BUCKET_MONTH, &o));
    assert_true(cell(s, find_row(s, "2011-03", "United Kingdom"), "count") == 880);
    assert_true(cell(s, find_row(s, "2011-03", "Germany"), "count") == 24);
    assert_true(cell(s, find_row(s, "2011-03", "France"), "count") == 17);
    tier_summary_free(s);
    tier_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_one_way),
        cmocka_unit_test(test_numeric_key_and_nan_values),
        cmocka_unit_test(test_two_way_margins),
        cmocka_unit_test(test_order_and_labels),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_empty_dataset),
        cmocka_unit_test(test_activity_month),
        cmocka_unit_test(test_activity_buckets),
        cmocka_unit_test(test_export),
        cmocka_unit_test(test_export_escaping),
        cmocka_unit_test(test_allocator),
        cmocka_unit_test(test_online_retail_country),
        cmocka_unit_test(test_online_retail_activity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
