/* Tests for include/tier/rfm.h: conformance with the R package `rfm` on its own order data
 * (examples/data/rfm_data_orders.csv loaded with tier_dataset_load_csv(); every customer checked
 * against tests/data/rfm/rfm_reference.csv, made independently with numpy/pandas by
 * tests/data/rfm/make_reference.py), rank mode against pandas qcut on ranks, breaks mode, ties,
 * tiny and empty inputs, NaN and infinities, segments, summaries, prefixes, model files
 * (save/load/apply on new customers, every flipped byte), a randomised cross-check of edges and
 * scores against a brute-force implementation, and concurrent apply. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define DAY 86400
/* 2006-12-31T00:00:00Z, the analysis date the R package documents for rfm_data_orders */
#define AS_OF_2006_12_31 1167523200LL
#define T0 1293840000LL /* 2011-01-01 */

/* |a - b| <= eps, with both values in the failure message. */
#define assert_near(a, b, eps)                                                                   \
    do {                                                                                         \
        double near_a_ = (a), near_b_ = (b);                                                     \
        if (!(fabs(near_a_ - near_b_) <= (eps)))                                                 \
            fail_msg("%s = %.17g, expected %.17g", #a, near_a_, near_b_);                         \
    } while (0)

/* ---- helpers -------------------------------------------------------------------------------- */

static const double *num(const tier_dataset *ds, const char *name)
{
    const double *v = NULL;
    TIER_CHECK(tier_dataset_numeric(&v, ds, name));
    return v;
}

/* The R package's order table as a dataset, features at 2006-12-31 00:00 UTC. */
static tier_dataset *load_orders(void)
{
    tier_csv_options o = TIER_CSV_OPTIONS_INIT;
    o.customer_column = "customer_id";
    o.time_column = "order_date";
    o.amount_column = "revenue";
    o.as_of = AS_OF_2006_12_31;
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_load_csv(&ds, NULL, example_data_path("rfm_data_orders.csv"), &o));
    assert_int_equal(tier_dataset_transaction_count(ds), 4906);
    return ds;
}

/* A dataset of n customers "c0".."c<n-1>" (one purchase each) with numeric columns x, y, z set
 * to the given values (any of them may be NULL to skip). */
static tier_dataset *make_ds(size_t n, const double *x, const double *y, const double *z)
{
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, NULL));
    char (*names)[24] = calloc(n ? n : 1, sizeof *names);
    const char **ids = calloc(n ? n : 1, sizeof *ids);
    int64_t *t = calloc(n ? n : 1, sizeof *t);
    double *amt = calloc(n ? n : 1, sizeof *amt);
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "c%zu", i);
        ids[i] = names[i];
        t[i] = T0 + (int64_t)i;
        amt[i] = 1.0;
    }
    TIER_CHECK(tier_dataset_add_transactions(ds, n, ids, t, amt, NULL));
    TIER_CHECK(tier_dataset_compute_features(ds, TIER_AS_OF_AUTO));
    if (x)
        TIER_CHECK(tier_dataset_set_numeric(ds, "x", x));
    if (y)
        TIER_CHECK(tier_dataset_set_numeric(ds, "y", y));
    if (z)
        TIER_CHECK(tier_dataset_set_numeric(ds, "z", z));
    free(names);
    free(ids);
    free(t);
    free(amt);
    return ds;
}

/* RFM options reading columns x (recency), y (frequency), z (monetary). */
static tier_rfm_options xyz_options(tier_rfm_mode mode)
{
    tier_rfm_options o = TIER_RFM_OPTIONS_INIT;
    o.columns[TIER_RFM_RECENCY] = "x";
    o.columns[TIER_RFM_FREQUENCY] = "y";
    o.columns[TIER_RFM_MONETARY] = "z";
    o.mode = mode;
    return o;
}

static tier_scorer *new_rfm(const tier_rfm_options *o)
{
    tier_scorer *s = NULL;
    TIER_CHECK(tier_rfm_new(&s, o));
    assert_non_null(s);
    return s;
}

static const char *segment_of(const tier_dataset *ds, const char *column, size_t row)
{
    const int32_t *codes;
    const char *const *dict;
    size_t n;
    TIER_CHECK(tier_dataset_categorical(&codes, &dict, &n, ds, column));
    return codes[row] == TIER_MISSING_CODE ? NULL : dict[codes[row]];
}

static void count_scores(size_t counts[11], const double *v, size_t n)
{
    memset(counts, 0, 11 * sizeof *counts);
    for (size_t i = 0; i < n; i++) {
        assert_true(v[i] >= 1 && v[i] <= 10 && v[i] == floor(v[i]));
        counts[(int)v[i]]++;
    }
}

/* One row of rfm_reference.csv. */
typedef struct ref_row {
    char id[64];
    double recency, frequency, monetary;
    int r, r_rank, f, f_rank, m, m_rank, code;
    char segment[64];
} ref_row;

/* Reads the reference CSV (written by make_reference.py: plain fields, no quotes needed except
 * none occur). Returns the number of rows. */
static size_t read_reference(ref_row *rows, size_t cap)
{
    FILE *f = fopen(test_data_path("rfm/rfm_reference.csv"), "r");
    if (!f)
        fail_msg("cannot open %s", test_data_path("rfm/rfm_reference.csv"));
    char line[512];
    if (!fgets(line, sizeof line, f))
        fail_msg("empty reference");
    assert_string_equal(line, "customer_id,recency,frequency,monetary,r_score,r_rank,f_score,f_rank,"
                              "m_score,m_rank,rfm_code,segment\n");
    size_t n = 0;
    while (n < cap && fgets(line, sizeof line, f)) {
        ref_row *r = &rows[n];
        line[strcspn(line, "\r\n")] = '\0';
        char *fields[12];
        char *p = line;
        for (int k = 0; k < 12; k++) {
            fields[k] = p;
            char *c = strchr(p, ',');
            if (k < 11) {
                if (!c)
                    fail_msg("reference row %zu has too few fields", n + 1);
                *c = '\0';
                p = c + 1;
            }
        }
        snprintf(r->id, sizeof r->id, "%s", fields[0]);
        r->recency = strtod(fields[1], NULL);
        r->frequency = strtod(fields[2], NULL);
        r->monetary = strtod(fields[3], NULL);
        r->r = atoi(fields[4]);
        r->r_rank = atoi(fields[5]);
        r->f = atoi(fields[6]);
        r->f_rank = atoi(fields[7]);
        r->m = atoi(fields[8]);
        r->m_rank = atoi(fields[9]);
        r->code = atoi(fields[10]);
        snprintf(r->segment, sizeof r->segment, "%s", fields[11]);
        n++;
    }
    fclose(f);
    return n;
}

/* ---- conformance with the R package --------------------------------------------------------- */

static void test_r_package_conformance(void **state)
{
    (void)state;
    tier_dataset *ds = load_orders();
    size_t n = tier_dataset_size(ds);
    assert_int_equal(n, 995);
    tier_scorer *s = new_rfm(NULL);
    assert_string_equal(tier_scorer_name(s), "rfm");
    TIER_CHECK(tier_scorer_fit_apply(s, ds));

    /* the score counts the package publishes for this data */
    size_t c[11];
    count_scores(c, num(ds, "f_score"), n);
    assert_int_equal(c[1], 268);
    assert_int_equal(c[2], 187);
    assert_int_equal(c[3], 176);
    assert_int_equal(c[4], 244);
    assert_int_equal(c[5], 120);
    count_scores(c, num(ds, "r_score"), n);
    assert_int_equal(c[1], 197);
    assert_int_equal(c[2], 200);
    assert_int_equal(c[3], 199);
    assert_int_equal(c[4], 199);
    assert_int_equal(c[5], 200);

    /* every customer against the independent reference */
    static ref_row ref[1200];
    size_t nref = read_reference(ref, 1200);
    assert_int_equal(nref, n);
    const double *rec = num(ds, "recency"), *freq = num(ds, "frequency"), *mon = num(ds, "monetary");
    const double *r = num(ds, "r_score"), *f = num(ds, "f_score"), *m = num(ds, "m_score");
    const double *code = num(ds, "rfm_code"), *total = num(ds, "rfm_total");
    for (size_t i = 0; i < nref; i++) {
        size_t row;
        if (tier_dataset_find(&row, ds, ref[i].id) != TIER_OK)
            fail_msg("customer '%s' missing", ref[i].id);
        assert_int_equal(row, i); /* rows in order of first appearance, as in the reference */
        assert_true(rec[row] == ref[i].recency);
        assert_true(freq[row] == ref[i].frequency);
        assert_true(mon[row] == ref[i].monetary);
        if (r[row] != ref[i].r || f[row] != ref[i].f || m[row] != ref[i].m)
            fail_msg("%s: scores %g%g%g, reference %d%d%d", ref[i].id, r[row], f[row], m[row], ref[i].r,
                     ref[i].f, ref[i].m);
        assert_true(code[row] == ref[i].code);
        assert_true(total[row] == ref[i].r + ref[i].f + ref[i].m);
        assert_string_equal(segment_of(ds, "rfm_segment", row), ref[i].segment);
    }

    /* fitted edges = type-7 quantiles + 1: R's rfm_table_order() thresholds for this data are
     * 115/181/297.4/482 (recency), 4/5/6/8 (frequency), 255.8/382/506.4/666 (monetary); the
     * package's custom-threshold example quotes them rounded. Compared with numpy's too. */
    FILE *cf = fopen(test_data_path("rfm/rfm_cuts.csv"), "r");
    assert_non_null(cf);
    char line[256];
    assert_non_null(fgets(line, sizeof line, cf));
    for (int d = 0; d < 3; d++) {
        double want[4];
        char letter;
        assert_non_null(fgets(line, sizeof line, cf));
        assert_int_equal(sscanf(line, "%c,%lf,%lf,%lf,%lf", &letter, &want[0], &want[1], &want[2], &want[3]), 5);
        assert_int_equal(letter, "rfm"[d]);
        const double *e;
        size_t ne;
        TIER_CHECK(tier_rfm_cuts(&e, &ne, s, (tier_rfm_dim)d));
        assert_int_equal(ne, 4);
        for (int k = 0; k < 4; k++)
            assert_near(e[k], want[k], 1e-9 * fabs(want[k])); /* numpy and R round differently */
    }
    fclose(cf);
    const double *e;
    TIER_CHECK(tier_rfm_cuts(&e, NULL, s, TIER_RFM_RECENCY));
    assert_true(e[0] == 115.0 && e[1] == 181.0 && e[3] == 482.0);
    assert_near(e[2], 297.4, 1e-12);
    TIER_CHECK(tier_rfm_cuts(&e, NULL, s, TIER_RFM_FREQUENCY));
    assert_true(e[0] == 4.0 && e[1] == 5.0 && e[2] == 6.0 && e[3] == 8.0);
    TIER_CHECK(tier_rfm_cuts(&e, NULL, s, TIER_RFM_MONETARY));
    assert_near(e[0], 255.8, 1e-12);
    assert_true(e[1] == 382.0 && e[3] == 666.0);
    assert_near(e[2], 506.4, 1e-12);

    /* apply after a separate fit gives the same columns in quantile mode */
    tier_dataset *again = load_orders();
    tier_scorer *s2 = new_rfm(NULL);
    TIER_CHECK(tier_scorer_fit(s2, again));
    TIER_CHECK(tier_scorer_apply(s2, again));
    assert_memory_equal(num(again, "rfm_code"), code, n * sizeof(double));
    tier_scorer_free(s2);
    tier_dataset_free(again);
    tier_scorer_free(s);
    tier_dataset_free(ds);
}

/* Rank mode reproduces pandas qcut(x.rank(method="first"), 5) for every customer. */
static void test_rank_mode_matches_pandas(void **state)
{
    (void)state;
    tier_dataset *ds = load_orders();
    size_t n = tier_dataset_size(ds);
    tier_rfm_options o = TIER_RFM_OPTIONS_INIT;
    o.mode = TIER_RFM_RANK;
    tier_scorer *s = new_rfm(&o);
    TIER_CHECK(tier_scorer_fit_apply(s, ds));
    static ref_row ref[1200];
    assert_int_equal(read_reference(ref, 1200), n);
    const double *r = num(ds, "r_score"), *f = num(ds, "f_score"), *m = num(ds, "m_score");
    for (size_t i = 0; i < n; i++)
        if (r[i] != ref[i].r_rank || f[i] != ref[i].f_rank || m[i] != ref[i].m_rank)
            fail_msg("%s: rank scores %g%g%g, pandas %d%d%d", ref[i].id, r[i], f[i], m[i], ref[i].r_rank,
                     ref[i].f_rank, ref[i].m_rank);
    size_t c[11];
    count_scores(c, f, n); /* exactly equal groups although frequency has many ties */
    for (int b = 1; b <= 5; b++)
        assert_int_equal(c[b], 199);

    /* tier_scorer_apply() bins by the stored edges: ties at a boundary go up, so sizes differ */
    TIER_CHECK(tier_scorer_apply(s, ds));
    count_scores(c, num(ds, "f_score"), n);
    size_t total = 0;
    for (int b = 1; b <= 5; b++)
        total += c[b];
    assert_int_equal(total, n);
    assert_true(c[1] != 199); /* frequency ties straddle the boundaries */
    tier_scorer_free(s);
    tier_dataset_free(ds);
}

/* ---- ties and tiny inputs ------------------------------------------------------------------- */

static void test_all_equal(void **state)
{
    (void)state;
    double v[6] = { 7, 7, 7, 7, 7, 7 };
    tier_dataset *ds = make_ds(6, v, v, v);
    tier_rfm_options o = xyz_options(TIER_RFM_QUANTILE);
    tier_scorer *s = new_rfm(&o);
    TIER_CHECK(tier_scorer_fit_apply(s, ds));
    const double *r = num(ds, "r_score"), *f = num(ds, "f_score"), *m = num(ds, "m_score");
    for (int i = 0; i < 6; i++) {
        /* all cuts are 7 + 1 = 8: everyone in bin 1 (recency reversed: score 5) */
        assert_true(r[i] == 5 && f[i] == 1 && m[i] == 1);
        assert_true(num(ds, "rfm_code")[i] == 511);
        assert_string_equal(segment_of(ds, "rfm_segment", (size_t)i), "New Customers");
    }
    const double *e;
    TIER_CHECK(tier_rfm_cuts(&e, NULL, s, TIER_RFM_MONETARY));
    assert_true(e[0] == 8 && e[3] == 8);
    tier_scorer_free(s);

    /* rank mode splits the ties by row order: 2,1,1,1,1 (pandas qcut on ranks 1..6) */
    o = xyz_options(TIER_RFM_RANK);
    s = new_rfm(&o);
    TIER_CHECK(tier_scorer_fit_apply(s, ds));
    const double want_f[6] = { 1, 1, 2, 3, 4, 5 };
    const double want_r[6] = { 5, 5, 4, 3, 2, 1 };
    assert_memory_equal(num(ds, "f_score"), want_f, sizeof want_f);
    assert_memory_equal(num(ds, "r_score"), want_r, sizeof want_r);
    /* ... while the stored edges (all 7) put equal values together in the top bin */
    TIER_CHECK(tier_scorer_apply(s, ds));
    for (int i = 0; i < 6; i++)
        assert_true(num(ds, "f_score")[i] == 5 && num(ds, "r_score")[i] == 1);
    tier_scorer_free(s);
    tier_dataset_free(ds);
}

static void test_two_distinct_values(void **state)
{
    (void)state;
    /* 4 x 1 and 6 x 3: quantiles at .2/.4 are 1, at .6 ~ 3 (index 6.4 -> x[6]=3, x[7]=3), .8 = 3.
     * type 7: n = 10, index = 1 + 9p: p=.2 -> 2.8 (1,1) -> 1; p=.4 -> 4.6 (x4=1, x5=3) -> 2.2;
     * p=.6 -> 6.4 -> 3; p=.8 -> 8.2 -> 3.  Edges 2, 3.2, 4, 4: ones in bin 1, threes in bin 2. */
    double v[10] = { 1, 3, 1, 3, 3, 1, 3, 3, 1, 3 };
    tier_dataset *ds = make_ds(10, v, v, v);
    tier_rfm_options o = xyz_options(TIER_RFM_QUANTILE);
    tier_scorer *s = new_rfm(&o);
    TIER_CHECK(tier_scorer_fit_apply(s, ds));
    const double *e;
    TIER_CHECK(tier_rfm_cuts(&e, NULL, s, TIER_RFM_FREQUENCY));
    assert_true(e[0] == 2.0 && e[2] == 4.0 && e[3] == 4.0);
    assert_near(e[1], 3.2, 1e-12);
    const double *f = num(ds, "f_score"), *r = num(ds, "r_score");
    for (int i = 0; i < 10; i++) {
        assert_true(f[i] == (v[i] == 1 ? 1 : 2));
        assert_true(r[i] == (v[i] == 1 ? 5 : 4));
    }
    tier_scorer_free(s);
    tier_dataset_free(ds);
}

static void test_fewer_customers_than_bins(void **state)
{
    (void)state;
    double x[3] = { 10, 20, 30 };
    tier_dataset *ds = make_ds(3, x, x, x);
    tier_rfm_options o = xyz_options(TIER_RFM_QUANTILE);
    tier_scorer *s = new_rfm(&o);
    TIER_CHECK(tier_scorer_fit_apply(s, ds));
    /* n=3: index 1+2p: .2->1.4 (14), .4->1.8 (18), .6->2.2 (22), .8->2.6 (26); +1: 15 19 23 27.
     * 10 -> bin 1, 20 -> bin 3, 30 -> bin 5 */
    const double want_f[3] = { 1, 3, 5 }, want_r[3] = { 5, 3, 1 };
    assert_memory_equal(num(ds, "f_score"), want_f, sizeof want_f);
    assert_memory_equal(num(ds, "r_score"), want_r, sizeof want_r);
    tier_scorer_free(s);

    o = xyz_options(TIER_RFM_RANK);
    s = new_rfm(&o);
    TIER_CHECK(tier_scorer_fit_apply(s, ds));
    assert_memory_equal(num(ds, "f_score"), want_f, sizeof want_f); /* ranks 1..3 -> bins 1,3,5 */
    TIER_CHECK(tier_scorer_apply(s, ds));
    assert_memory_equal(num(ds, "f_score"), want_f, sizeof want_f);
    tier_scorer_free(s);
    tier_dataset_free(ds);

    /* a single customer: bin 1 in both modes */
    double one = 42;
    ds = make_ds(1, &one, &one, &one);
    for (int mode = TIER_RFM_QUANTILE; mode <= TIER_RFM_RANK; mode++) {
        o = xyz_options((tier_rfm_mode)mode);
        s = new_rfm(&o);
        TIER_CHECK(tier_scorer_fit_apply(s, ds));
        assert_true(num(ds, "f_score")[0] == 1 && num(ds, "r_score")[0] == 5);
        TIER_CHECK(tier_scorer_apply(s, ds));
        assert_true(num(ds, "m_score")[0] == 1 && num(ds, "r_score")[0] == 5);
        tier_scorer_free(s);
    }
    tier_dataset_free(ds);
}

static void test_empty_dataset(void **state)
{
    (void)state;
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, NULL));
    TIER_CHECK(tier_dataset_set_numeric(ds, "x", NULL));
    TIER_CHECK(tier_dataset_set_numeric(ds, "y", NULL));
    TIER_CHECK(tier_dataset_set_numeric(ds, "z", NULL));
    tier_rfm_options o = xyz_options(TIER_RFM_QUANTILE);
    tier_scorer *s = new_rfm(&o);
    TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_EEMPTY, "no customer");
    assert_false(tier_scorer_is_fitted(s));
    const double *e;
    TIER_EXPECT_ERROR(tier_rfm_cuts(&e, NULL, s, TIER_RFM_RECENCY), TIER_ENOTFITTED, "not fitted");
    TIER_EXPECT_ERROR(tier_scorer_apply(s, ds), TIER_ENOTFITTED, "tier_scorer_fit");
    /* a fitted model applied to an empty dataset writes empty columns */
    double v[2] = { 1, 2 };
    tier_dataset *two = make_ds(2, v, v, v);
    TIER_CHECK(tier_scorer_fit(s, two));
    TIER_CHECK(tier_scorer_apply(s, ds));
    tier_column_type t;
    TIER_CHECK(tier_dataset_column_type(&t, ds, "rfm_segment"));
    assert_int_equal(t, TIER_COLUMN_CATEGORICAL);
    tier_scorer_free(s);
    tier_dataset_free(two);
    tier_dataset_free(ds);
}

/* ---- NaN and infinity ----------------------------------------------------------------------- */

/* Customer "ret" has only a return: no purchase, so recency is NaN. */
static tier_dataset *ds_with_return_only(void)
{
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, NULL));
    const char *ids[] = { "a", "b", "ret", "c", "d", "e" };
    const int64_t t[] = { T0, T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY, T0 + 4 * DAY, T0 + 5 * DAY };
    const double amt[] = { 10, 20, -5, 30, 40, 50 };
    TIER_CHECK(tier_dataset_add_transactions(ds, 6, ids, t, amt, NULL));
    TIER_CHECK(tier_dataset_compute_features(ds, T0 + 10 * DAY));
    return ds;
}

static void test_nan_error(void **state)
{
    (void)state;
    tier_dataset *ds = ds_with_return_only();
    assert_true(isnan(num(ds, "recency")[2]));
    tier_scorer *s = new_rfm(NULL);
    TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_ERANGE, "recency is NaN for customer 'ret' (row 2)");
    assert_false(tier_scorer_is_fitted(s));
    TIER_EXPECT_ERROR(tier_scorer_fit_apply(s, ds), TIER_ERANGE, "TIER_RFM_NAN_UNSCORED");
    tier_column_type t;
    assert_int_equal(tier_dataset_column_type(&t, ds, "r_score"), TIER_ENOTFOUND); /* untouched */
    tier_scorer_free(s);
    tier_dataset_free(ds);
}

static void test_nan_unscored(void **state)
{
    (void)state;
    tier_dataset *ds = ds_with_return_only();
    tier_rfm_options o = TIER_RFM_OPTIONS_INIT;
    o.nan_policy = TIER_RFM_NAN_UNSCORED;
    tier_scorer *s = new_rfm(&o);
    TIER_CHECK(tier_scorer_fit_apply(s, ds));
    const double *r = num(ds, "r_score"), *code = num(ds, "rfm_code"), *total = num(ds, "rfm_total");
    assert_true(isnan(r[2]) && isnan(num(ds, "f_score")[2]) && isnan(code[2]) && isnan(total[2]));
    assert_null(segment_of(ds, "rfm_segment", 2));
    /* the others are scored on five customers only: recency 9,8,6,5? (days to as_of) */
    for (size_t i = 0; i < 6; i++)
        if (i != 2)
            assert_true(r[i] >= 1 && r[i] <= 5 && segment_of(ds, "rfm_segment", i) != NULL);
    /* the fit saw recency {10, 9, 7, 6, 5}: quantile index 1+4p: .2 -> 1.8 -> 5.8 + 1 = 6.8 */
    const double *e;
    TIER_CHECK(tier_rfm_cuts(&e, NULL, s, TIER_RFM_RECENCY));
    assert_near(e[0], 6.8, 1e-12);
    tier_rfm_summary *sum = NULL;
    TIER_CHECK(tier_rfm_summarize(&sum, s, ds, TIER_RFM_BY_RECENCY));
    assert_int_equal(tier_rfm_summary_unscored(sum), 1);
    double share = 0, count = 0;
    for (size_t g = 0; g < tier_rfm_summary_size(sum); g++) {
        share += tier_rfm_summary_values(sum, TIER_RFM_STAT_SHARE)[g];
        count += tier_rfm_summary_values(sum, TIER_RFM_STAT_COUNT)[g];
    }
    assert_near(share, 1.0, 1e-12);
    assert_true(count == 5);
    tier_rfm_summary_free(sum);
    tier_scorer_free(s);
    tier_dataset_free(ds);
}

static void test_infinity_and_huge_values(void **state)
{
    (void)state;
    double x[4] = { 1, 2, 3, 4 }, z[4] = { 1e300, -1e300, 5e299, 0 };
    double y[4] = { 1, 2, (double)INFINITY, 4 };
    tier_dataset *ds = make_ds(4, x, y, z);
    tier_rfm_options o = xyz_options(TIER_RFM_QUANTILE);
    o.nan_policy = TIER_RFM_NAN_UNSCORED; /* infinities are errors under every policy */
    tier_scorer *s = new_rfm(&o);
    TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_ERANGE, "y is +inf for customer 'c2' (row 2)");
    y[2] = 3;
    TIER_CHECK(tier_dataset_set_numeric(ds, "y", y));
    TIER_CHECK(tier_scorer_fit_apply(s, ds));
    /* huge money: -1e300 lowest, 1e300 highest; + 1 on the edges is lost in rounding, which is
     * harmless: the order is kept */
    const double *m = num(ds, "m_score");
    assert_true(m[1] == 1 && m[0] == 5);
    assert_true(m[3] < m[2]);
    tier_scorer_free(s);
    tier_dataset_free(ds);
}

/* ---- breaks --------------------------------------------------------------------------------- */

static void test_custom_breaks(void **state)
{
    (void)state;
    /* R's documented custom thresholds for rfm_data_orders, used as given (no +1) */
    const double rb[] = { 115, 181, 297, 482 }, fb[] = { 4, 5, 6, 8 }, mb[] = { 256, 382, 506, 666 };
    tier_rfm_options o = TIER_RFM_OPTIONS_INIT;
    o.mode = TIER_RFM_BREAKS;
    o.breaks[0] = rb;
    o.breaks[1] = fb;
    o.breaks[2] = mb;
    o.n_breaks[0] = o.n_breaks[1] = o.n_breaks[2] = 4;
    tier_scorer *s = new_rfm(&o);
    assert_true(tier_scorer_is_fitted(s)); /* nothing to learn */
    tier_dataset *ds = load_orders();
    TIER_CHECK(tier_scorer_apply(s, ds));
    static ref_row ref[1200];
    size_t n = read_reference(ref, 1200);
    const double *r = num(ds, "r_score"), *f = num(ds, "f_score"), *m = num(ds, "m_score");
    for (size_t i = 0; i < n; i++) {
        /* bin i holds breaks[i-1] <= x < breaks[i] */
        int rbin = 1 + (ref[i].recency >= 115) + (ref[i].recency >= 181) + (ref[i].recency >= 297) +
                   (ref[i].recency >= 482);
        int fbin = 1 + (ref[i].frequency >= 4) + (ref[i].frequency >= 5) + (ref[i].frequency >= 6) +
                   (ref[i].frequency >= 8);
        int mbin = 1 + (ref[i].monetary >= 256) + (ref[i].monetary >= 382) + (ref[i].monetary >= 506) +
                   (ref[i].monetary >= 666);
        assert_true(r[i] == 6 - rbin && f[i] == fbin && m[i] == mbin);
    }
    const double *e;
    TIER_CHECK(tier_rfm_cuts(&e, NULL, s, TIER_RFM_MONETARY));
    assert_memory_equal(e, mb, sizeof mb);
    /* fitting keeps user breaks */
    TIER_CHECK(tier_scorer_fit(s, ds));
    TIER_CHECK(tier_rfm_cuts(&e, NULL, s, TIER_RFM_MONETARY));
    assert_memory_equal(e, mb, sizeof mb);
    tier_scorer_free(s);

    /* mixed: quantile R and F, three monetary bins from breaks */
    const double m3[] = { 200, 600 };
    tier_rfm_options mix = TIER_RFM_OPTIONS_INIT;
    mix.breaks[2] = m3;
    mix.n_breaks[2] = 2;
    s = new_rfm(&mix);
    assert_false(tier_scorer_is_fitted(s));
    assert_int_equal(tier_rfm_bins(s, TIER_RFM_MONETARY), 3);
    assert_int_equal(tier_rfm_segment_count(s), 0); /* default table needs 5 bins everywhere */
    TIER_CHECK(tier_scorer_fit_apply(s, ds));
    m = num(ds, "m_score");
    for (size_t i = 0; i < n; i++)
        assert_true(m[i] == 1 + (ref[i].monetary >= 200) + (ref[i].monetary >= 600));
    assert_true(num(ds, "f_score")[0] == ref[0].f);
    assert_string_equal(segment_of(ds, "rfm_segment", 0), "Others");
    tier_scorer_free(s);
    tier_dataset_free(ds);
}

static void test_invalid_options(void **state)
{
    (void)state;
    tier_scorer *s = (tier_scorer *)1;
    tier_rfm_options o = TIER_RFM_OPTIONS_INIT;
    o.bins[1] = 1;
    TIER_EXPECT_ERROR(tier_rfm_new(&s, &o), TIER_EINVAL, "frequency bins must be 2..10, got 1");
    assert_null(s);
    o.bins[1] = 11;
    TIER_EXPECT_ERROR(tier_rfm_new(&s, &o), TIER_EINVAL, "got 11");
    o = (tier_rfm_options)TIER_RFM_OPTIONS_INIT;
    o.mode = TIER_RFM_BREAKS;
    TIER_EXPECT_ERROR(tier_rfm_new(&s, &o), TIER_EINVAL, "needs breaks for recency");
    const double bad[] = { 1, 3, 2 }, nan_b[] = { 1, (double)NAN }, ten[10] = { 0 };
    o = (tier_rfm_options)TIER_RFM_OPTIONS_INIT;
    o.breaks[0] = bad;
    o.n_breaks[0] = 3;
    TIER_EXPECT_ERROR(tier_rfm_new(&s, &o), TIER_EINVAL, "increase strictly");
    o.breaks[0] = nan_b;
    o.n_breaks[0] = 2;
    TIER_EXPECT_ERROR(tier_rfm_new(&s, &o), TIER_EINVAL, "finite");
    o.breaks[0] = ten;
    o.n_breaks[0] = 10;
    TIER_EXPECT_ERROR(tier_rfm_new(&s, &o), TIER_EINVAL, "1..9 are allowed");
    o.n_breaks[0] = 0;
    TIER_EXPECT_ERROR(tier_rfm_new(&s, &o), TIER_EINVAL, "has 0 breaks");
    o = (tier_rfm_options)TIER_RFM_OPTIONS_INIT;
    o.output_prefix = "9x";
    TIER_EXPECT_ERROR(tier_rfm_new(&s, &o), TIER_EINVAL, "starts with a digit");
    o.output_prefix = "a-b";
    TIER_EXPECT_ERROR(tier_rfm_new(&s, &o), TIER_EINVAL, "only letters");
    o = (tier_rfm_options)TIER_RFM_OPTIONS_INIT;
    o.mode = (tier_rfm_mode)7;
    TIER_EXPECT_ERROR(tier_rfm_new(&s, &o), TIER_EINVAL, "unknown mode");
    o = (tier_rfm_options)TIER_RFM_OPTIONS_INIT;
    o.columns[2] = "";
    TIER_EXPECT_ERROR(tier_rfm_new(&s, &o), TIER_EINVAL, "monetary column name");
    o = (tier_rfm_options)TIER_RFM_OPTIONS_INIT;
    o.version = 99;
    TIER_EXPECT_ERROR(tier_rfm_new(&s, &o), TIER_EVERSION, "version 99");
    TIER_EXPECT_ERROR(tier_rfm_options_init(&o, 0), TIER_EVERSION, "version 0");
    TIER_CHECK(tier_rfm_options_init(&o, TIER_RFM_OPTIONS_VERSION));
    assert_int_equal(o.bins[0], 5);
    assert_int_equal(o.mode, TIER_RFM_QUANTILE);
    TIER_EXPECT_ERROR(tier_rfm_new(NULL, &o), TIER_EINVAL, "NULL");
}

static void test_missing_input_column(void **state)
{
    (void)state;
    double v[3] = { 1, 2, 3 };
    tier_dataset *ds = make_ds(3, v, v, v);
    tier_rfm_options o = xyz_options(TIER_RFM_QUANTILE);
    o.columns[2] = "monetry";
    TIER_CHECK(tier_dataset_set_numeric(ds, "monetary_adj", v));
    tier_scorer *s = new_rfm(&o);
    assert_string_equal(tier_scorer_input_name(s, 2), "monetry");
    TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_ENOTFOUND, "did you mean 'monetary'");
    tier_scorer_free(s);
    /* a categorical input is a type error */
    o = xyz_options(TIER_RFM_QUANTILE);
    o.columns[0] = "rfm_segment";
    s = new_rfm(&o);
    tier_scorer *ok = NULL;
    tier_rfm_options xo = xyz_options(TIER_RFM_QUANTILE);
    TIER_CHECK(tier_rfm_new(&ok, &xo));
    TIER_CHECK(tier_scorer_fit_apply(ok, ds));
    TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_ETYPE, "categorical");
    tier_scorer_free(ok);
    tier_scorer_free(s);
    tier_dataset_free(ds);
}

/* ---- outputs, prefixes, segments, summaries ------------------------------------------------- */

static void test_outputs_and_prefix(void **state)
{
    (void)state;
    tier_dataset *ds = load_orders();
    tier_rfm_options o = TIER_RFM_OPTIONS_INIT;
    o.output_prefix = "q_";
    tier_scorer *q = new_rfm(&o);
    o.output_prefix = "k_";
    o.mode = TIER_RFM_RANK;
    tier_scorer *k = new_rfm(&o);
    static const char *const names[] = { "r_score", "f_score", "m_score", "rfm_code", "rfm_total", "rfm_segment" };
    assert_int_equal(tier_scorer_output_count(q), 6);
    assert_int_equal(tier_scorer_input_count(q), 3);
    assert_string_equal(tier_scorer_input_name(q, 0), "recency");
    assert_string_equal(tier_scorer_input_name(q, 1), "frequency");
    assert_string_equal(tier_scorer_input_name(q, 2), "monetary");
    assert_null(tier_scorer_input_name(q, 3));
    for (size_t i = 0; i < 6; i++) {
        char want[64];
        snprintf(want, sizeof want, "q_%s", names[i]);
        assert_string_equal(tier_scorer_output_name(q, i), want);
        tier_column_type t;
        TIER_CHECK(tier_scorer_output_type(&t, q, i));
        assert_int_equal(t, i == 5 ? TIER_COLUMN_CATEGORICAL : TIER_COLUMN_NUMERIC);
    }
    assert_string_equal(tier_scorer_output_prefix(q), "q_");
    TIER_CHECK(tier_scorer_fit_apply(q, ds));
    TIER_CHECK(tier_scorer_fit_apply(k, ds));
    tier_column_type t;
    TIER_CHECK(tier_dataset_column_type(&t, ds, "q_rfm_code"));
    TIER_CHECK(tier_dataset_column_type(&t, ds, "k_rfm_code"));
    assert_int_equal(tier_dataset_column_type(&t, ds, "rfm_code"), TIER_ENOTFOUND);
    /* re-applying replaces, it does not add columns */
    size_t ncols = tier_dataset_column_count(ds);
    TIER_CHECK(tier_scorer_apply(q, ds));
    assert_int_equal(tier_dataset_column_count(ds), ncols);
    TIER_CHECK(tier_scorer_set_output_prefix(q, NULL));
    assert_string_equal(tier_scorer_output_name(q, 3), "rfm_code");
    TIER_CHECK(tier_scorer_apply(q, ds));
    assert_int_equal(tier_dataset_column_count(ds), ncols + 6);
    tier_scorer_free(q);
    tier_scorer_free(k);
    tier_dataset_free(ds);
}

static void test_segments_table(void **state)
{
    (void)state;
    tier_scorer *s = new_rfm(NULL);
    assert_int_equal(tier_rfm_segment_count(s), 10);
    const char *name;
    unsigned lo[3], hi[3];
    TIER_CHECK(tier_rfm_segment_get(&name, lo, hi, s, 1));
    assert_string_equal(name, "Potential Loyalist");
    assert_true(lo[0] == 3 && hi[0] == 5 && lo[1] == 3 && hi[1] == 5 && lo[2] == 2 && hi[2] == 5);
    TIER_CHECK(tier_rfm_segment_get(&name, lo, hi, s, 9));
    assert_string_equal(name, "Lost");
    TIER_EXPECT_ERROR(tier_rfm_segment_get(&name, lo, hi, s, 10), TIER_EINVAL, "10");

    tier_dataset *ds = load_orders();
    TIER_CHECK(tier_scorer_fit_apply(s, ds));
    static ref_row ref[1200];
    size_t n = read_reference(ref, 1200);

    /* a VIP box before everything: first match wins */
    const unsigned vlo[3] = { 4, 4, 4 }, vhi[3] = { 5, 5, 5 };
    TIER_CHECK(tier_rfm_segment_insert(s, 0, "VIP", vlo, vhi));
    TIER_CHECK(tier_scorer_apply(s, ds));
    for (size_t i = 0; i < n; i++) {
        int vip = ref[i].r >= 4 && ref[i].f >= 4 && ref[i].m >= 4;
        assert_string_equal(segment_of(ds, "rfm_segment", i), vip ? "VIP" : ref[i].segment);
    }
    /* two boxes with one name are one category; removing restores the default */
    const unsigned alo[3] = { 1, 1, 1 }, ahi[3] = { 1, 1, 1 };
    TIER_CHECK(tier_rfm_segment_insert(s, tier_rfm_segment_count(s), "VIP", alo, ahi));
    TIER_CHECK(tier_rfm_segment_remove(s, tier_rfm_segment_count(s) - 1));
    TIER_CHECK(tier_rfm_segment_remove(s, 0));
    TIER_CHECK(tier_scorer_apply(s, ds));
    for (size_t i = 0; i < n; i++)
        assert_string_equal(segment_of(ds, "rfm_segment", i), ref[i].segment);
    const int32_t *codes;
    const char *const *dict;
    size_t ndict;
    TIER_CHECK(tier_dataset_categorical(&codes, &dict, &ndict, ds, "rfm_segment"));
    assert_int_equal(ndict, 11); /* ten names + Others, in table order */
    assert_string_equal(dict[0], "Champions");
    assert_string_equal(dict[10], "Others");

    /* bad edits are rejected and change nothing */
    const unsigned blo[3] = { 0, 1, 1 }, bhi[3] = { 5, 5, 6 }, rev_lo[3] = { 3, 1, 1 }, rev_hi[3] = { 2, 5, 5 };
    TIER_EXPECT_ERROR(tier_rfm_segment_insert(s, 0, "x", blo, vhi), TIER_EINVAL, "R range 0-5");
    TIER_EXPECT_ERROR(tier_rfm_segment_insert(s, 0, "x", vlo, bhi), TIER_EINVAL, "M range 4-6");
    TIER_EXPECT_ERROR(tier_rfm_segment_insert(s, 0, "x", rev_lo, rev_hi), TIER_EINVAL, "R range 3-2");
    TIER_EXPECT_ERROR(tier_rfm_segment_insert(s, 0, "", vlo, vhi), TIER_EINVAL, "empty name");
    TIER_EXPECT_ERROR(tier_rfm_segment_insert(s, 11, "x", vlo, vhi), TIER_EINVAL, "beyond");
    TIER_EXPECT_ERROR(tier_rfm_segment_remove(s, 10), TIER_EINVAL, "10");
    assert_int_equal(tier_rfm_segment_count(s), 10);

    /* cleared table: everyone scored is "Others"; default restores */
    TIER_CHECK(tier_rfm_segments_clear(s));
    assert_int_equal(tier_rfm_segment_count(s), 0);
    TIER_CHECK(tier_scorer_apply(s, ds));
    for (size_t i = 0; i < n; i += 97)
        assert_string_equal(segment_of(ds, "rfm_segment", i), "Others");
    TIER_CHECK(tier_rfm_segments_default(s));
    assert_int_equal(tier_rfm_segment_count(s), 10);
    tier_scorer_free(s);

    /* three bins: the table starts empty and the default does not fit */
    tier_rfm_options o = TIER_RFM_OPTIONS_INIT;
    o.bins[0] = o.bins[1] = o.bins[2] = 3;
    o.other_segment = "Rest";
    s = new_rfm(&o);
    assert_int_equal(tier_rfm_segment_count(s), 0);
    TIER_EXPECT_ERROR(tier_rfm_segments_default(s), TIER_EINVAL, "need at least 5 bins");
    const unsigned tlo[3] = { 3, 3, 3 }, thi[3] = { 3, 3, 3 };
    TIER_CHECK(tier_rfm_segment_insert(s, 0, "Top", tlo, thi));
    TIER_CHECK(tier_scorer_fit_apply(s, ds));
    const double *r = num(ds, "r_score"), *f = num(ds, "f_score"), *m = num(ds, "m_score");
    for (size_t i = 0; i < n; i++)
        assert_string_equal(segment_of(ds, "rfm_segment", i),
                            (r[i] == 3 && f[i] == 3 && m[i] == 3) ? "Top" : "Rest");
    tier_scorer_free(s);

    /* the table functions refuse other scorers */
    assert_int_equal(tier_rfm_segment_count(NULL), 0);
    TIER_EXPECT_ERROR(tier_rfm_segments_clear(NULL), TIER_EINVAL, "NULL scorer");
    tier_dataset_free(ds);
}

static void test_summary(void **state)
{
    (void)state;
    tier_dataset *ds = load_orders();
    tier_scorer *s = new_rfm(NULL);
    tier_rfm_summary *sum = NULL;
    TIER_EXPECT_ERROR(tier_rfm_summarize(&sum, s, ds, TIER_RFM_BY_SEGMENT), TIER_ENOTFOUND, "apply the scorer first");
    TIER_CHECK(tier_scorer_fit_apply(s, ds));
    static ref_row ref[1200];
    size_t n = read_reference(ref, 1200);

    /* per segment: counts, shares, sums and means recomputed here from the reference */
    TIER_CHECK(tier_rfm_summarize(&sum, s, ds, TIER_RFM_BY_SEGMENT));
    assert_int_equal(tier_rfm_summary_size(sum), 11);
    assert_int_equal(tier_rfm_summary_unscored(sum), 0);
    double total_share = 0;
    for (size_t g = 0; g < 11; g++) {
        const char *label = tier_rfm_summary_label(sum, g);
        double cnt = 0, mon = 0, rec = 0, frq = 0;
        for (size_t i = 0; i < n; i++)
            if (strcmp(ref[i].segment, label) == 0) {
                cnt++;
                mon += ref[i].monetary;
                rec += ref[i].recency;
                frq += ref[i].frequency;
            }
        assert_true(tier_rfm_summary_values(sum, TIER_RFM_STAT_COUNT)[g] == cnt);
        assert_near(tier_rfm_summary_values(sum, TIER_RFM_STAT_SHARE)[g], cnt / (double)n, 1e-15);
        assert_true(tier_rfm_summary_values(sum, TIER_RFM_STAT_MONETARY_SUM)[g] == mon); /* integers */
        if (cnt > 0) {
            assert_near(tier_rfm_summary_values(sum, TIER_RFM_STAT_MONETARY_MEAN)[g], mon / cnt, 1e-9);
            assert_near(tier_rfm_summary_values(sum, TIER_RFM_STAT_RECENCY_MEAN)[g], rec / cnt, 1e-9);
            assert_near(tier_rfm_summary_values(sum, TIER_RFM_STAT_FREQUENCY_MEAN)[g], frq / cnt, 1e-9);
        } else {
            assert_true(isnan(tier_rfm_summary_values(sum, TIER_RFM_STAT_MONETARY_MEAN)[g]));
        }
        assert_int_equal(tier_rfm_summary_score(sum, g, TIER_RFM_RECENCY), 0);
        total_share += tier_rfm_summary_values(sum, TIER_RFM_STAT_SHARE)[g];
    }
    assert_string_equal(tier_rfm_summary_label(sum, 0), "Champions");
    assert_true(tier_rfm_summary_values(sum, TIER_RFM_STAT_COUNT)[0] == 35);
    assert_true(tier_rfm_summary_values(sum, TIER_RFM_STAT_COUNT)[10] == 0); /* no "Others" here */
    assert_near(total_share, 1.0, 1e-12);
    assert_null(tier_rfm_summary_label(sum, 11));
    assert_null(tier_rfm_summary_values(sum, (tier_rfm_stat)17));
    tier_rfm_summary_free(sum);

    /* the R x F heat map grid: 25 cells, labels "R1 F1" .. "R5 F5", mean M per cell */
    TIER_CHECK(tier_rfm_summarize(&sum, s, ds, TIER_RFM_BY_RF));
    assert_int_equal(tier_rfm_summary_size(sum), 25);
    assert_string_equal(tier_rfm_summary_label(sum, 0), "R1 F1");
    assert_string_equal(tier_rfm_summary_label(sum, 7), "R2 F3");
    assert_int_equal(tier_rfm_summary_score(sum, 7, TIER_RFM_RECENCY), 2);
    assert_int_equal(tier_rfm_summary_score(sum, 7, TIER_RFM_FREQUENCY), 3);
    assert_int_equal(tier_rfm_summary_score(sum, 7, TIER_RFM_MONETARY), 0);
    for (size_t g = 0; g < 25; g++) {
        unsigned rr = tier_rfm_summary_score(sum, g, TIER_RFM_RECENCY), ff = tier_rfm_summary_score(sum, g, TIER_RFM_FREQUENCY);
        double cnt = 0, mon = 0;
        for (size_t i = 0; i < n; i++)
            if (ref[i].r == (int)rr && ref[i].f == (int)ff) {
                cnt++;
                mon += ref[i].monetary;
            }
        assert_true(tier_rfm_summary_values(sum, TIER_RFM_STAT_COUNT)[g] == cnt);
        if (cnt > 0)
            assert_near(tier_rfm_summary_values(sum, TIER_RFM_STAT_MONETARY_MEAN)[g], mon / cnt, 1e-9);
    }
    tier_rfm_summary_free(sum);

    /* per score and per code */
    TIER_CHECK(tier_rfm_summarize(&sum, s, ds, TIER_RFM_BY_FREQUENCY));
    assert_int_equal(tier_rfm_summary_size(sum), 5);
    assert_string_equal(tier_rfm_summary_label(sum, 4), "F5");
    assert_true(tier_rfm_summary_values(sum, TIER_RFM_STAT_COUNT)[0] == 268);
    assert_true(tier_rfm_summary_values(sum, TIER_RFM_STAT_COUNT)[4] == 120);
    tier_rfm_summary_free(sum);
    TIER_CHECK(tier_rfm_summarize(&sum, s, ds, TIER_RFM_BY_CODE));
    assert_int_equal(tier_rfm_summary_size(sum), 125);
    assert_string_equal(tier_rfm_summary_label(sum, 124), "555");
    assert_true(tier_rfm_summary_values(sum, TIER_RFM_STAT_COUNT)[124] == 35); /* Champions */
    tier_rfm_summary_free(sum);

    /* a damaged score column is reported */
    double *bad = malloc(n * sizeof *bad);
    memcpy(bad, num(ds, "r_score"), n * sizeof *bad);
    bad[3] = 2.5;
    TIER_CHECK(tier_dataset_set_numeric(ds, "r_score", bad));
    TIER_EXPECT_ERROR(tier_rfm_summarize(&sum, s, ds, TIER_RFM_BY_RF), TIER_ERANGE, "row 3 has r_score 2.5");
    assert_null(sum);
    free(bad);
    TIER_EXPECT_ERROR(tier_rfm_summarize(&sum, s, ds, (tier_rfm_group)99), TIER_EINVAL, "grouping");
    tier_rfm_summary_free(NULL);
    tier_scorer_free(s);
    tier_dataset_free(ds);
}

/* ---- model files ---------------------------------------------------------------------------- */

/* Fits on the first half of a synthetic population, saves, loads, and checks that the loaded
 * model gives bit-identical output on the other half (new customers, some out of range). */
static void test_save_load_apply_new_customers(void **state)
{
    (void)state;
    enum { N = 2000 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *z = malloc(N * sizeof *z);
    unsigned long long seed = 12345;
    for (int i = 0; i < N; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (double)((seed >> 33) % 400);
        y[i] = 1 + (double)((seed >> 20) % 12);
        z[i] = (double)((seed >> 11) % 100000) / 100.0;
    }
    x[N - 1] = 1e6;  /* beyond the fitted range: extends the last recency bin (score 1) */
    z[N - 2] = -50;  /* below the fitted minimum: monetary bin 1 */
    tier_dataset *train = make_ds(N / 2, x, y, z);
    tier_dataset *fresh = make_ds(N / 2, x + N / 2, y + N / 2, z + N / 2);
    for (int mode = TIER_RFM_QUANTILE; mode <= TIER_RFM_RANK; mode++) {
        tier_rfm_options o = xyz_options((tier_rfm_mode)mode);
        o.output_prefix = "s_";
        o.nan_policy = TIER_RFM_NAN_UNSCORED;
        tier_scorer *s = new_rfm(&o);
        const unsigned lo[3] = { 1, 1, 1 }, hi[3] = { 2, 2, 2 };
        TIER_CHECK(tier_rfm_segment_insert(s, 3, "Edited", lo, hi));
        TIER_EXPECT_ERROR(tier_scorer_save(s, test_temp_path("unfitted.tiermodel")), TIER_ENOTFITTED, "not fitted");
        TIER_CHECK(tier_scorer_fit(s, train));
        const char *path = test_temp_path("rfm.tiermodel");
        TIER_CHECK(tier_scorer_save(s, path));
        char kind[64];
        int custom = -1;
        TIER_CHECK(tier_scorer_file_kind(kind, sizeof kind, &custom, path));
        assert_string_equal(kind, "rfm");
        assert_int_equal(custom, 0);

        tier_scorer *l = NULL;
        TIER_CHECK(tier_scorer_load(&l, path, NULL));
        assert_true(tier_scorer_is_fitted(l));
        assert_string_equal(tier_scorer_name(l), "rfm");
        assert_string_equal(tier_scorer_output_name(l, 0), "s_r_score");
        assert_string_equal(tier_scorer_input_name(l, 2), "z");
        assert_int_equal(tier_rfm_segment_count(l), 11);
        const char *nm;
        TIER_CHECK(tier_rfm_segment_get(&nm, NULL, NULL, l, 3));
        assert_string_equal(nm, "Edited");
        for (int d = 0; d < 3; d++) {
            const double *e1, *e2;
            TIER_CHECK(tier_rfm_cuts(&e1, NULL, s, (tier_rfm_dim)d));
            TIER_CHECK(tier_rfm_cuts(&e2, NULL, l, (tier_rfm_dim)d));
            assert_memory_equal(e1, e2, 4 * sizeof *e1);
        }
        TIER_CHECK(tier_scorer_apply(s, fresh));
        double *want[5];
        static const char *const cols[5] = { "s_r_score", "s_f_score", "s_m_score", "s_rfm_code", "s_rfm_total" };
        for (int k = 0; k < 5; k++) {
            want[k] = malloc(N / 2 * sizeof(double));
            memcpy(want[k], num(fresh, cols[k]), N / 2 * sizeof(double));
        }
        TIER_CHECK(tier_scorer_apply(l, fresh));
        for (int k = 0; k < 5; k++) {
            assert_memory_equal(num(fresh, cols[k]), want[k], N / 2 * sizeof(double));
            free(want[k]);
        }
        assert_true(num(fresh, "s_r_score")[N / 2 - 1] == 1);
        assert_true(num(fresh, "s_m_score")[N / 2 - 2] == 1);
        /* a prefix override on load */
        tier_scorer_options lo_opts = TIER_SCORER_OPTIONS_INIT;
        lo_opts.output_prefix = "";
        tier_scorer *l2 = NULL;
        TIER_CHECK(tier_scorer_load(&l2, path, &lo_opts));
        assert_string_equal(tier_scorer_output_name(l2, 5), "rfm_segment");
        tier_scorer_free(l2);
        tier_scorer_free(l);
        tier_scorer_free(s);
    }
    tier_dataset_free(train);
    tier_dataset_free(fresh);
    free(x);
    free(y);
    free(z);
}

static void write_all(const char *path, const unsigned char *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    fclose(f);
}

static void test_corrupted_model(void **state)
{
    (void)state;
    double v[5] = { 1, 2, 3, 4, 5 };
    tier_dataset *ds = make_ds(5, v, v, v);
    tier_rfm_options o = xyz_options(TIER_RFM_QUANTILE);
    tier_scorer *s = new_rfm(&o);
    TIER_CHECK(tier_scorer_fit(s, ds));
    const char *path = test_temp_path("good.tiermodel");
    TIER_CHECK(tier_scorer_save(s, path));
    size_t len;
    unsigned char *good = test_read_file(path, &len);
    tier_scorer *l = (tier_scorer *)1;

    /* every single flipped byte is caught (header, payload or checksum) */
    unsigned char *bad = malloc(len);
    const char *bpath = test_temp_path("bad.tiermodel");
    for (size_t i = 0; i < len; i++) {
        memcpy(bad, good, len);
        bad[i] ^= 0x5a;
        write_all(bpath, bad, len);
        int rc = tier_scorer_load(&l, bpath, NULL);
        if (rc != TIER_ECORRUPT && rc != TIER_EVERSION)
            fail_msg("flipping byte %zu gave %d: %s", i, rc, tier_last_error());
        assert_null(l);
    }
    /* truncated */
    write_all(bpath, good, len - 3);
    TIER_EXPECT_ERROR(tier_scorer_load(&l, bpath, NULL), TIER_ECORRUPT, bpath);
    write_all(bpath, good, 10);
    TIER_EXPECT_ERROR(tier_scorer_load(&l, bpath, NULL), TIER_ECORRUPT, bpath);
    /* foreign */
    TIER_EXPECT_ERROR(tier_scorer_load(&l, example_data_path("rfm_data_orders.csv"), NULL), TIER_ECORRUPT,
                      "rfm_data_orders.csv");
    TIER_EXPECT_ERROR(tier_scorer_load(&l, test_temp_path("does-not-exist"), NULL), TIER_ENOTFOUND, "does-not-exist");
    char kind[3]; /* "rfm" needs 4 bytes */
    TIER_EXPECT_ERROR(tier_scorer_file_kind(kind, sizeof kind, NULL, path), TIER_EINVAL, "too small");
    /* the good file still loads */
    TIER_CHECK(tier_scorer_load(&l, path, NULL));
    tier_scorer_free(l);
    free(bad);
    free(good);
    tier_scorer_free(s);
    tier_dataset_free(ds);
}

/* ---- randomised cross-check against a brute-force implementation in this file -------------- */

typedef struct idx_val {
    double v;
    size_t row;
} idx_val;

static int cmp_idx_val(const void *a, const void *b)
{
    const idx_val *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row); /* equal values in row order */
}

/* R type 7 from a fully sorted copy. */
static double r_quantile7(const idx_val *sorted, size_t n, double p)
{
    double index = 1.0 + (double)(n - 1) * p, lo = floor(index), hi = ceil(index);
    double q = sorted[(size_t)lo - 1].v, h = sorted[(size_t)hi - 1].v;
    if (index > lo && h != q)
        q = (1.0 - (index - lo)) * q + (index - lo) * h;
    return q;
}

static double draw(unsigned long long *seed, int shape)
{
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    unsigned long long u = *seed >> 11;
    switch (shape) {
    case 0: return (double)(u % 7);                           /* heavy ties */
    case 1: return ((double)(u % 2000001) - 1000000.0) / 100.0; /* signed cents */
    case 2: return (u % 3 == 0) ? -0.0 : (u % 3 == 1 ? 0.0 : 1.0); /* signed zeros */
    default: return exp((double)(u % 100000) / 5000.0);         /* skewed */
    }
}

static void test_random_against_bruteforce(void **state)
{
    (void)state;
    static const size_t sizes[] = { 2, 3, 7, 50, 999, 4095, 4096, 5000, 70000 };
    unsigned long long seed = 99;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        for (int shape = 0; shape < 4; shape++) {
            double *v[3];
            for (int d = 0; d < 3; d++) {
                v[d] = malloc(n * sizeof(double));
                for (size_t i = 0; i < n; i++)
                    v[d][i] = draw(&seed, (shape + d) % 4);
            }
            tier_dataset *ds = make_ds(n, v[0], v[1], v[2]);
            unsigned bins = 2 + (unsigned)((si + shape) % 9);
            for (int mode = TIER_RFM_QUANTILE; mode <= TIER_RFM_RANK; mode++) {
                tier_rfm_options o = xyz_options((tier_rfm_mode)mode);
                o.bins[0] = o.bins[1] = o.bins[2] = bins;
                tier_scorer *s = new_rfm(&o);
                TIER_CHECK(tier_scorer_fit_apply(s, ds));
                static const char *const cols[3] = { "r_score", "f_score", "m_score" };
                for (int d = 0; d < 3; d++) {
                    idx_val *iv = malloc(n * sizeof *iv);
                    for (size_t i = 0; i < n; i++) {
                        iv[i].v = v[d][i];
                        iv[i].row = i;
                    }
                    qsort(iv, n, sizeof *iv, cmp_idx_val);
                    const double *e;
                    TIER_CHECK(tier_rfm_cuts(&e, NULL, s, (tier_rfm_dim)d));
                    const double *score = num(ds, cols[d]);
                    if (mode == TIER_RFM_QUANTILE) {
                        for (unsigned k = 1; k < bins; k++) {
                            double want = r_quantile7(iv, n, (double)k * (1.0 / bins)) + 1.0;
                            if (!(e[k - 1] == want))
                                fail_msg("n=%zu shape=%d d=%d k=%u: edge %.17g, want %.17g", n, shape, d, k,
                                         e[k - 1], want);
                        }
                        for (size_t i = 0; i < n; i++) {
                            unsigned b = 1;
                            for (unsigned k = 1; k < bins; k++)
                                b += v[d][i] >= r_quantile7(iv, n, (double)k * (1.0 / bins)) + 1.0;
                            if (d == 0)
                                b = bins + 1 - b;
                            if (score[i] != b)
                                fail_msg("n=%zu shape=%d d=%d row %zu: score %g, want %u", n, shape, d, i, score[i], b);
                        }
                    } else {
                        for (size_t r = 1; r <= n; r++) { /* pandas qcut on method="first" ranks */
                            unsigned b = 1;
                            if (n > 1 && r > 1)
                                b = (unsigned)((bins * (r - 1) + (n - 2)) / (n - 1));
                            if (d == 0)
                                b = bins + 1 - b;
                            size_t row = iv[r - 1].row;
                            if (score[row] != b)
                                fail_msg("n=%zu shape=%d d=%d rank %zu (row %zu): score %g, want %u", n, shape, d, r,
                                         row, score[row], b);
                        }
                    }
                    free(iv);
                }
                tier_scorer_free(s);
            }
            tier_dataset_free(ds);
            for (int d = 0; d < 3; d++)
                free(v[d]);
        }
    }
}

/* ---- threads -------------------------------------------------------------------------------- */

typedef struct thread_arg {
    const tier_scorer *s;
    tier_dataset *ds;
    int rc;
} thread_arg;

static void *apply_thread(void *p)
{
    thread_arg *a = p;
    for (int k = 0; k < 20 && a->rc == 0; k++)
        a->rc = tier_scorer_apply(a->s, a->ds);
    return NULL;
}

static void test_concurrent_apply(void **state)
{
    (void)state;
    tier_dataset *ref = load_orders();
    tier_scorer *s = new_rfm(NULL);
    TIER_CHECK(tier_scorer_fit_apply(s, ref));
    enum { T = 4 };
    pthread_t th[T];
    thread_arg args[T];
    for (int i = 0; i < T; i++) {
        args[i].s = s;
        args[i].ds = load_orders();
        args[i].rc = 0;
        assert_int_equal(pthread_create(&th[i], NULL, apply_thread, &args[i]), 0);
    }
    size_t n = tier_dataset_size(ref);
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].rc, 0);
        assert_memory_equal(num(args[i].ds, "rfm_code"), num(ref, "rfm_code"), n * sizeof(double));
        tier_dataset_free(args[i].ds);
    }
    tier_scorer_free(s);
    tier_dataset_free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_r_package_conformance),
        cmocka_unit_test(test_rank_mode_matches_pandas),
        cmocka_unit_test(test_all_equal),
        cmocka_unit_test(test_two_distinct_values),
        cmocka_unit_test(test_fewer_customers_than_bins),
        cmocka_unit_test(test_empty_dataset),
        cmocka_unit_test(test_nan_error),
        cmocka_unit_test(test_nan_unscored),
        cmocka_unit_test(test_infinity_and_huge_values),
        cmocka_unit_test(test_custom_breaks),
        cmocka_unit_test(test_invalid_options),
        cmocka_unit_test(test_missing_input_column),
        cmocka_unit_test(test_outputs_and_prefix),
        cmocka_unit_test(test_segments_table),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_save_load_apply_new_customers),
        cmocka_unit_test(test_corrupted_model),
        cmocka_unit_test(test_random_against_bruteforce),
        cmocka_unit_test(test_concurrent_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
