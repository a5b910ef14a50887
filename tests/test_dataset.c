/* Tests for include/tier/dataset.h: building customers from transactions, features, columns,
 * joins, merge, save/load, allocators and bad input. */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "testutil.h"

#define DAY 86400
/* 2011-01-01T00:00:00Z */
#define T0 1293840000LL

static tier_dataset *new_ds(void)
{
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, NULL));
    return ds;
}

static const double *col(const tier_dataset *ds, const char *name)
{
    const double *v = NULL;
    TIER_CHECK(tier_dataset_numeric(&v, ds, name));
    return v;
}

static double feat(const tier_dataset *ds, const char *id, const char *name)
{
    size_t row;
    if (tier_dataset_find(&row, ds, id) != TIER_OK)
        fail_msg("customer %s not found", id);
    return col(ds, name)[row];
}

static void test_options(void **state)
{
    (void)state;
    tier_dataset_options o;
    TIER_CHECK(tier_dataset_options_init(&o, TIER_DATASET_OPTIONS_VERSION));
    assert_int_equal(o.version, TIER_DATASET_OPTIONS_VERSION);
    assert_null(o.allocator);
    TIER_EXPECT_ERROR(tier_dataset_options_init(&o, 99), TIER_EVERSION, "version 99");
    o.version = 99;
    tier_dataset *ds = (tier_dataset *)1;
    TIER_EXPECT_ERROR(tier_dataset_new(&ds, &o), TIER_EVERSION, "not supported");
    assert_null(ds);
}

/* Two customers, hand-computed features. */
static void test_features_by_hand(void **state)
{
    (void)state;
    tier_dataset *ds = new_ds();
    const char *ids[] = { "a", "b", "a", "a", "a", "b" };
    const int64_t t[] = { T0, T0 + 3600, T0 + 10 * DAY, T0 + 10 * DAY + 60, T0 + 20 * DAY, T0 + 5 * DAY };
    const double amt[] = { 100.0, 5.5, 50.0, 25.0, -30.0, 0.0 };
    const char *orders[] = { "o1", "o2", "o3", "o3", "c3", "o4" };
    TIER_CHECK(tier_dataset_add_transactions(ds, 6, ids, t, amt, orders));
    assert_int_equal(tier_dataset_size(ds), 2);
    assert_int_equal(tier_dataset_transaction_count(ds), 6);
    assert_true(tier_dataset_is_stale(ds));
    const double *v;
    TIER_EXPECT_ERROR(tier_dataset_numeric(&v, ds, "recency"), TIER_ESTALE, "tier_dataset_compute_features");
    TIER_CHECK(tier_dataset_compute_features(ds, TIER_AS_OF_AUTO));
    assert_false(tier_dataset_is_stale(ds));
    /* as_of = latest transaction (T0 + 20 days) + 1 day */
    assert_int_equal(tier_dataset_as_of(ds), T0 + 21 * DAY);
    /* customer a: purchases at T0 and T0+10d (two lines of o3), a return at T0+20d */
    assert_true(feat(ds, "a", "recency") == (double)(11 * DAY - 60) / DAY);
    assert_true(feat(ds, "a", "frequency") == 2.0);
    assert_true(feat(ds, "a", "monetary") == 145.0);
    assert_true(feat(ds, "a", "avg_order_value") == 72.5);
    assert_true(feat(ds, "a", "first_purchase") == (double)T0);
    assert_true(feat(ds, "a", "last_purchase") == (double)(T0 + 10 * DAY + 60));
    assert_true(feat(ds, "a", "tenure") == 21.0);
    assert_true(feat(ds, "a", "purchase_days") == 2.0);
    assert_true(feat(ds, "a", "returns") == 1.0);
    assert_true(feat(ds, "a", "returns_value") == 30.0);
    assert_true(feat(ds, "a", "repeat_count") == 1.0);
    assert_true(feat(ds, "a", "t_x") == (double)(10 * DAY + 60) / DAY);
    assert_true(feat(ds, "a", "T") == 21.0);
    /* one repeat day (day 10) worth 50 + 25; the return does not reduce it */
    assert_true(feat(ds, "a", "repeat_spend") == 75.0);
    /* customer b: one purchase, one free item (counts as neither) */
    assert_true(feat(ds, "b", "frequency") == 1.0);
    assert_true(feat(ds, "b", "monetary") == 5.5);
    assert_true(feat(ds, "b", "returns") == 0.0);
    assert_true(feat(ds, "b", "repeat_count") == 0.0);
    assert_true(feat(ds, "b", "t_x") == 0.0);
    assert_true(isnan(feat(ds, "b", "repeat_spend")));
    /* the free item at T0+5d does not move recency */
    assert_true(feat(ds, "b", "recency") == (double)(21 * DAY - 3600) / DAY);
    tier_dataset_free(ds);
}

static void test_without_order_ids_rows_are_orders(void **state)
{
    (void)state;
    tier_dataset *ds = new_ds();
    const char *ids[] = { "x", "x", "x" };
    const int64_t t[] = { T0, T0, T0 + DAY };
    const double amt[] = { 1.0, 2.0, -1.0 };
    TIER_CHECK(tier_dataset_add_transactions(ds, 3, ids, t, amt, NULL));
    TIER_CHECK(tier_dataset_compute_features(ds, T0 + 2 * DAY));
    assert_true(feat(ds, "x", "frequency") == 2.0);
    assert_true(feat(ds, "x", "purchase_days") == 1.0); /* same day merged */
    assert_true(feat(ds, "x", "returns") == 1.0);
    assert_true(feat(ds, "x", "monetary") == 2.0);
    tier_dataset_free(ds);
}

static void test_all_returns(void **state)
{
    (void)state;
    tier_dataset *ds = new_ds();
    const char *ids[] = { "r", "r" };
    const int64_t t[] = { T0, T0 + DAY };
    const double amt[] = { -10.0, -2.5 };
    const char *orders[] = { "C1", "C2" };
    TIER_CHECK(tier_dataset_add_transactions(ds, 2, ids, t, amt, orders));
    TIER_CHECK(tier_dataset_compute_features(ds, TIER_AS_OF_AUTO));
    assert_true(feat(ds, "r", "frequency") == 0.0);
    assert_true(feat(ds, "r", "monetary") == -12.5);
    assert_true(feat(ds, "r", "returns") == 2.0);
    assert_true(feat(ds, "r", "returns_value") == 12.5);
    assert_true(isnan(feat(ds, "r", "recency")));
    assert_true(isnan(feat(ds, "r", "avg_order_value")));
    assert_true(isnan(feat(ds, "r", "first_purchase")));
    assert_true(isnan(feat(ds, "r", "repeat_count")));
    assert_true(isnan(feat(ds, "r", "T")));
    assert_true(feat(ds, "r", "tenure") == 2.0);
    tier_dataset_free(ds);
}

static void test_bad_input_adds_nothing(void **state)
{
    (void)state;
    tier_dataset *ds = new_ds();
    const char *ids[] = { "a", "b", "" };
    const int64_t t[] = { T0, T0, T0 };
    double amt[] = { 1.0, NAN, 1.0 };
    TIER_EXPECT_ERROR(tier_dataset_add_transactions(ds, 2, ids, t, amt, NULL), TIER_ERANGE, "transaction 1");
    assert_int_equal(tier_dataset_size(ds), 0);
    amt[1] = INFINITY;
    TIER_EXPECT_ERROR(tier_dataset_add_transactions(ds, 2, ids, t, amt, NULL), TIER_ERANGE, "not finite");
    amt[1] = 1.0;
    TIER_EXPECT_ERROR(tier_dataset_add_transactions(ds, 3, ids, t, amt, NULL), TIER_EINVAL, "transaction 2");
    const char *nullid[] = { "a", NULL };
    TIER_EXPECT_ERROR(tier_dataset_add_transactions(ds, 2, nullid, t, amt, NULL), TIER_EINVAL, "NULL or empty");
    const int64_t far[] = { 400000000000LL };
    TIER_EXPECT_ERROR(tier_dataset_add_transactions(ds, 1, ids, far, amt, NULL), TIER_ERANGE, "years 0..9999");
    TIER_EXPECT_ERROR(tier_dataset_add_transactions(ds, 1, ids, NULL, amt, NULL), TIER_EINVAL, "must not be NULL");
    assert_int_equal(tier_dataset_size(ds), 0);
    assert_int_equal(tier_dataset_transaction_count(ds), 0);
    TIER_CHECK(tier_dataset_add_transactions(ds, 0, NULL, NULL, NULL, NULL));
    TIER_EXPECT_ERROR(tier_dataset_compute_features(ds, TIER_AS_OF_AUTO), TIER_EEMPTY, "no transactions");
    /* an explicit as_of on an empty dataset is fine: zero rows */
    TIER_CHECK(tier_dataset_compute_features(ds, T0));
    assert_non_null(col(ds, "monetary"));
    TIER_CHECK(tier_dataset_add_transactions(ds, 1, ids, t, amt, NULL));
    TIER_EXPECT_ERROR(tier_dataset_compute_features(ds, T0 - 1), TIER_EINVAL, "before the latest transaction (2011-01-01 00:00:00)");
    tier_dataset_free(ds);
}

static void test_huge_amounts(void **state)
{
    (void)state;
    tier_dataset *ds = new_ds();
    const char *ids[] = { "h", "h", "h", "o", "o" };
    const int64_t t[] = { T0, T0, T0, T0, T0 };
    /* 1e16 + 1 + 1 is not representable step by step in plain doubles (1e16 + 1 == 1e16), but
     * double-double accumulation keeps the exact 1e16 + 2. */
    const double amt[] = { 1e16, 1.0, 1.0, 1e308, 1e308 };
    TIER_CHECK(tier_dataset_add_transactions(ds, 3, ids, t, amt, NULL));
    TIER_CHECK(tier_dataset_compute_features(ds, TIER_AS_OF_AUTO));
    assert_true(feat(ds, "h", "monetary") == 1e16 + 2.0);
    /* an overflowing total is an error, not a silent infinity */
    TIER_CHECK(tier_dataset_add_transactions(ds, 2, ids + 3, t + 3, amt + 3, NULL));
    TIER_EXPECT_ERROR(tier_dataset_compute_features(ds, TIER_AS_OF_AUTO), TIER_ERANGE, "customer 'o'");
    tier_dataset_free(ds);
}

/* The overflow check skips a partition whose amounts add up to less than 2^1020 in
 * magnitude: that bound must follow a customer's sums through merges and save/load. DBL_MAX
 * + 2^970 rounds to infinity, while 2^970 alone is far below the bound. */
static void test_overflow_through_merge_and_load(void **state)
{
    (void)state;
    const char *id[] = { "o" };
    const int64_t t[] = { T0 };
    const double big[] = { DBL_MAX }, small[] = { 0x1p970 };
    tier_dataset *a = new_ds(), *b = new_ds();
    TIER_CHECK(tier_dataset_add_transactions(a, 1, id, t, small, NULL));
    TIER_CHECK(tier_dataset_add_transactions(b, 1, id, t, big, NULL));
    TIER_CHECK(tier_dataset_compute_features(a, TIER_AS_OF_AUTO));
    TIER_CHECK(tier_dataset_compute_features(b, TIER_AS_OF_AUTO));
    TIER_CHECK(tier_dataset_merge(a, b)); /* the big total comes from the other dataset */
    TIER_EXPECT_ERROR(tier_dataset_compute_features(a, TIER_AS_OF_AUTO), TIER_ERANGE, "customer 'o'");

    const char *path = test_temp_path("overflow.tds");
    TIER_CHECK(tier_dataset_save(b, path));
    tier_dataset *loaded = NULL;
    TIER_CHECK(tier_dataset_load(&loaded, path, NULL)); /* the big total comes from the file */
    TIER_CHECK(tier_dataset_add_transactions(loaded, 1, id, t, small, NULL));
    TIER_EXPECT_ERROR(tier_dataset_compute_features(loaded, TIER_AS_OF_AUTO), TIER_ERANGE, "customer 'o'");
    remove(path);
    tier_dataset_free(loaded);
    tier_dataset_free(a);
    tier_dataset_free(b);
}

static void test_lookup_and_columns(void **state)
{
    (void)state;
    tier_dataset *ds = new_ds();
    const char *ids[] = { "c1", "c2", "c3", "c2" };
    const int64_t t[] = { T0, T0, T0, T0 };
    const double amt[] = { 1, 2, 3, 4 };
    TIER_CHECK(tier_dataset_add_transactions(ds, 4, ids, t, amt, NULL));
    TIER_CHECK(tier_dataset_compute_features(ds, TIER_AS_OF_AUTO));
    size_t row;
    TIER_CHECK(tier_dataset_find(&row, ds, "c3"));
    assert_int_equal(row, 2);
    assert_string_equal(tier_dataset_customer_id(ds, 1), "c2");
    assert_null(tier_dataset_customer_id(ds, 3));
    assert_int_equal(tier_dataset_find(&row, ds, "nobody"), TIER_ENOTFOUND);
    /* features first, in the documented order */
    static const char *const names[] = { "recency", "frequency", "monetary", "avg_order_value",
                                         "first_purchase", "last_purchase", "tenure", "purchase_days",
                                         "returns", "returns_value", "repeat_count", "t_x", "T",
                                         "repeat_spend" };
    assert_int_equal(tier_dataset_column_count(ds), 14);
    for (size_t i = 0; i < 14; i++)
        assert_string_equal(tier_dataset_column_name(ds, i), names[i]);
    assert_null(tier_dataset_column_name(ds, 14));
    const double *v;
    TIER_EXPECT_ERROR(tier_dataset_numeric(&v, ds, "monetry"), TIER_ENOTFOUND, "did you mean 'monetary'");
    TIER_EXPECT_ERROR(tier_dataset_numeric(&v, ds, "zzzzzzzzzz"), TIER_ENOTFOUND, "unknown column 'zzzzzzzzzz'");
    tier_column_type type;
    TIER_CHECK(tier_dataset_column_type(&type, ds, "tenure"));
    assert_int_equal(type, TIER_COLUMN_NUMERIC);

    /* set columns: numeric and categorical, replacing, reserved names, bad codes */
    const double score[] = { 0.5, NAN, 2.0 };
    TIER_CHECK(tier_dataset_set_numeric(ds, "score", score));
    assert_true(col(ds, "score")[0] == 0.5);
    const double score2[] = { 7, 8, 9 };
    TIER_CHECK(tier_dataset_set_numeric(ds, "score", score2));
    assert_true(col(ds, "score")[2] == 9.0);
    assert_int_equal(tier_dataset_column_count(ds), 15);
    TIER_EXPECT_ERROR(tier_dataset_set_numeric(ds, "monetary", score), TIER_EINVAL, "feature column");
    TIER_EXPECT_ERROR(tier_dataset_set_numeric(ds, "", score), TIER_EINVAL, "empty");
    TIER_EXPECT_ERROR(tier_dataset_set_numeric(ds, "bad\nname", score), TIER_EINVAL, "control character");
    const int32_t codes[] = { 1, TIER_MISSING_CODE, 0 };
    const char *const dict[] = { "Gold", "Silver" };
    TIER_CHECK(tier_dataset_set_categorical(ds, "tier", codes, dict, 2));
    const int32_t *c;
    const char *const *d;
    size_t nd;
    TIER_CHECK(tier_dataset_categorical(&c, &d, &nd, ds, "tier"));
    assert_int_equal(nd, 2);
    assert_string_equal(d[c[0]], "Silver");
    assert_int_equal(c[1], TIER_MISSING_CODE);
    TIER_EXPECT_ERROR(tier_dataset_numeric(&v, ds, "tier"), TIER_ETYPE, "categorical");
    TIER_EXPECT_ERROR(tier_dataset_categorical(&c, NULL, NULL, ds, "score"), TIER_ETYPE, "numeric");
    const int32_t bad[] = { 2, 0, 0 };
    TIER_EXPECT_ERROR(tier_dataset_set_categorical(ds, "tier2", bad, dict, 2), TIER_EINVAL, "code 2");
    const char *const dup[] = { "A", "A" };
    TIER_EXPECT_ERROR(tier_dataset_set_categorical(ds, "tier2", codes, dup, 2), TIER_EINVAL, "appears twice");
    assert_int_equal(tier_dataset_column_type(&type, ds, "tier2"), TIER_ENOTFOUND);
    /* a numeric column can be replaced by a categorical one of the same name */
    TIER_CHECK(tier_dataset_set_categorical(ds, "score", codes, dict, 2));
    TIER_CHECK(tier_dataset_column_type(&type, ds, "score"));
    assert_int_equal(type, TIER_COLUMN_CATEGORICAL);
    tier_dataset_free(ds);
}

static void test_joins(void **state)
{
    (void)state;
    tier_dataset *ds = new_ds();
    const char *ids[] = { "c1", "c2", "c3" };
    const int64_t t[] = { T0, T0, T0 };
    const double amt[] = { 1, 2, 3 };
    TIER_CHECK(tier_dataset_add_transactions(ds, 3, ids, t, amt, NULL));
    const char *jids[] = { "c3", "zz", "c1", "c3" };
    const double age[] = { 30, 99, 41, 31 };
    size_t unmatched = 99;
    TIER_CHECK(tier_dataset_join_numeric(&unmatched, ds, "age", 4, jids, age));
    assert_int_equal(unmatched, 1);
    const double *a = col(ds, "age"); /* attribute columns are readable while features are stale */
    assert_true(a[0] == 41 && isnan(a[1]) && a[2] == 31); /* later entries win */
    const char *country[] = { "FR", "UK", NULL, "DE" };
    TIER_CHECK(tier_dataset_join_categorical(&unmatched, ds, "country", 4, jids, country));
    const int32_t *c;
    const char *const *d;
    size_t nd;
    TIER_CHECK(tier_dataset_categorical(&c, &d, &nd, ds, "country"));
    assert_int_equal(nd, 2); /* FR, DE in order of first appearance; the unmatched UK is not kept */
    assert_int_equal(c[0], TIER_MISSING_CODE);
    assert_int_equal(c[1], TIER_MISSING_CODE);
    assert_string_equal(d[c[2]], "DE");
    TIER_EXPECT_ERROR(tier_dataset_join_numeric(NULL, ds, "country", 1, jids, age), TIER_ETYPE, "categorical");
    /* new customers get missing attributes */
    const char *nid[] = { "c4" };
    TIER_CHECK(tier_dataset_add_transactions(ds, 1, nid, t, amt, NULL));
    assert_true(isnan(col(ds, "age")[3]));
    TIER_CHECK(tier_dataset_categorical(&c, NULL, NULL, ds, "country"));
    assert_int_equal(c[3], TIER_MISSING_CODE);
    tier_dataset_free(ds);
}

/* ---- a reproducible random log, used for merge, order and save/load tests ----------------- */

typedef struct log {
    size_t n;
    char (*ids)[16];
    char (*orders)[24];
    const char **id_ptrs, **order_ptrs;
    int64_t *times;
    double *amounts;
} log_t;

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The arrays of an n-row log, zeroed. */
static log_t alloc_log(size_t n)
{
    log_t L;
    L.n = n;
    L.ids = calloc(n, sizeof *L.ids);
    L.orders = calloc(n, sizeof *L.orders);
    L.id_ptrs = calloc(n, sizeof *L.id_ptrs);
    L.order_ptrs = calloc(n, sizeof *L.order_ptrs);
    L.times = calloc(n, sizeof *L.times);
    L.amounts = calloc(n, sizeof *L.amounts);
    return L;
}

static log_t make_log(size_t n, uint64_t seed)
{
    log_t L = alloc_log(n);
    rng_state = seed;
    for (size_t i = 0; i < n; i++) {
        unsigned cust = (unsigned)(rnd() % 97);
        snprintf(L.ids[i], 16, "cust%u", cust);
        /* orders are shared by a few consecutive lines and may repeat */
        snprintf(L.orders[i], 16, "o%u", (unsigned)(rnd() % 400));
        L.id_ptrs[i] = L.ids[i];
        L.order_ptrs[i] = (rnd() % 10) ? L.orders[i] : NULL;
        L.times[i] = T0 + (int64_t)(rnd() % (400 * DAY));
        /* cents, a few returns, a few free items */
        int64_t cents = (int64_t)(rnd() % 100000);
        unsigned kind = (unsigned)(rnd() % 20);
        L.amounts[i] = kind == 0 ? -(double)cents / 100.0 : kind == 1 ? 0.0 : (double)cents / 100.0;
    }
    return L;
}

static void free_log(log_t *L)
{
    free(L->ids);
    free(L->orders);
    free(L->id_ptrs);
    free(L->order_ptrs);
    free(L->times);
    free(L->amounts);
}

static void add_range(tier_dataset *ds, const log_t *L, size_t from, size_t to)
{
    TIER_CHECK(tier_dataset_add_transactions(ds, to - from, L->id_ptrs + from, L->times + from,
                                             L->amounts + from, L->order_ptrs + from));
    /* a categorical and a numeric attribute taken from the transactions, via the join API of
     * a second dataset is not possible here; attributes by time are covered in test_csv */
}

/* Asserts that two datasets hold the same customers with bit-identical feature columns. */
static void assert_same(const tier_dataset *a, const tier_dataset *b, int same_order)
{
    assert_int_equal(tier_dataset_size(a), tier_dataset_size(b));
    assert_int_equal(tier_dataset_transaction_count(a), tier_dataset_transaction_count(b));
    assert_int_equal(tier_dataset_column_count(a), tier_dataset_column_count(b));
    size_t n = tier_dataset_size(a);
    for (size_t k = 0; k < tier_dataset_column_count(a); k++) {
        const char *name = tier_dataset_column_name(a, k);
        assert_string_equal(name, tier_dataset_column_name(b, k));
        tier_column_type type;
        TIER_CHECK(tier_dataset_column_type(&type, a, name));
        if (type != TIER_COLUMN_NUMERIC)
            continue;
        const double *va = col(a, name), *vb = col(b, name);
        for (size_t r = 0; r < n; r++) {
            const char *id = tier_dataset_customer_id(a, r);
            size_t rb = r;
            if (same_order)
                assert_string_equal(id, tier_dataset_customer_id(b, r));
            else
                TIER_CHECK(tier_dataset_find(&rb, b, id));
            if (memcmp(&va[r], &vb[rb], sizeof(double)) != 0)
                fail_msg("column %s, customer %s: %.17g vs %.17g", name, id, va[r], vb[rb]);
        }
    }
}

static void test_merge_equals_whole(void **state)
{
    (void)state;
    log_t L = make_log(20000, 42);
    tier_dataset *whole = new_ds();
    add_range(whole, &L, 0, L.n);
    TIER_CHECK(tier_dataset_compute_features(whole, TIER_AS_OF_AUTO));
    /* several split points, including ones that cut through shared orders and days */
    const size_t cuts[] = { 1, 7, 9999, 19999 };
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        tier_dataset *a = new_ds(), *b = new_ds();
        add_range(a, &L, 0, cuts[c]);
        add_range(b, &L, cuts[c], L.n);
        TIER_CHECK(tier_dataset_merge(a, b));
        assert_true(tier_dataset_is_stale(a));
        TIER_CHECK(tier_dataset_compute_features(a, TIER_AS_OF_AUTO));
        assert_same(whole, a, 1);
        tier_dataset_free(a);
        tier_dataset_free(b);
    }
    /* interleaved parts (every other transaction) merge to the same features */
    tier_dataset *even = new_ds(), *odd = new_ds();
    for (size_t i = 0; i < L.n; i++)
        add_range(i % 2 ? odd : even, &L, i, i + 1);
    TIER_CHECK(tier_dataset_merge(even, odd));
    TIER_CHECK(tier_dataset_compute_features(even, TIER_AS_OF_AUTO));
    assert_same(whole, even, 0);
    TIER_EXPECT_ERROR(tier_dataset_merge(even, even), TIER_EINVAL, "itself");
    tier_dataset_free(even);
    tier_dataset_free(odd);
    tier_dataset_free(whole);
    free_log(&L);
}

static void test_transaction_order_does_not_matter(void **state)
{
    (void)state;
    log_t L = make_log(5000, 7);
    tier_dataset *fwd = new_ds(), *rev = new_ds();
    add_range(fwd, &L, 0, L.n);
    for (size_t i = L.n; i-- > 0;)
        add_range(rev, &L, i, i + 1);
    TIER_CHECK(tier_dataset_compute_features(fwd, T0 + 500 * DAY));
    TIER_CHECK(tier_dataset_compute_features(rev, T0 + 500 * DAY));
    assert_same(fwd, rev, 0);
    tier_dataset_free(fwd);
    tier_dataset_free(rev);
    free_log(&L);
}

/* ---- a time-ordered log with invoice numbers: the sets' append-only paths ----------------- */

/* Invoice numbers that grow with time, as real logs have them, with the exceptions the fast
 * paths must not get wrong: an earlier invoice of the customer seen again later, the same
 * number written with a leading zero (a different id), a number shared with another customer,
 * non-numeric ids, discount lines inside purchases, and a few rows out of time order. */
static log_t make_invoice_log(size_t n, uint64_t seed)
{
    log_t L = make_log(n, seed); /* allocations; every row is rewritten below */
    rng_state = seed;
    unsigned invoice = 500000;
    int64_t t = T0;
    size_t i = 0;
    while (i < n) {
        unsigned cust = (unsigned)(rnd() % 61);
        unsigned kind = (unsigned)(rnd() % 100);
        char order[16];
        if (kind < 6 && i > 0) { /* an older invoice again (this customer's or another's) */
            size_t j = (size_t)(rnd() % i);
            snprintf(order, sizeof order, "%s", L.orders[j]);
            if (kind < 3)
                cust = (unsigned)strtoul(L.ids[j] + 4, NULL, 10);
        } else if (kind < 9) {
            snprintf(order, sizeof order, "0%u", invoice - (unsigned)(rnd() % 50));
        } else if (kind < 12) {
            snprintf(order, sizeof order, "C%u", ++invoice);
        } else {
            snprintf(order, sizeof order, "%u", ++invoice);
        }
        t += (int64_t)(rnd() % (6 * 3600));
        size_t lines = 1 + (size_t)(rnd() % 4);
        for (size_t k = 0; k < lines && i < n; k++, i++) {
            snprintf(L.ids[i], 16, "cust%u", cust);
            snprintf(L.orders[i], 16, "%s", order);
            L.id_ptrs[i] = L.ids[i];
            L.order_ptrs[i] = L.orders[i];
            /* out of time order now and then: up to four days back */
            L.times[i] = rnd() % 50 == 0 ? t - (int64_t)(rnd() % (4 * DAY)) : t;
            int64_t cents = 1 + (int64_t)(rnd() % 50000);
            unsigned a = (unsigned)(rnd() % 20);
            L.amounts[i] = a < 2 ? -(double)cents / 100.0 : a == 2 ? 0.0 : (double)cents / 100.0;
        }
    }
    return L;
}

static int64_t day_of(int64_t t)
{
    return t >= 0 ? t / DAY : -((-t + DAY - 1) / DAY);
}

/* Distinct purchase orders, return orders and purchase days of each customer, by brute force
 * over the log: the definition, with none of the dataset's sets. */
static void assert_distinct_counts(const tier_dataset *ds, const log_t *L)
{
    for (unsigned c = 0; c < 61; c++) {
        char id[16];
        snprintf(id, sizeof id, "cust%u", c);
        size_t row;
        if (tier_dataset_find(&row, ds, id) != TIER_OK)
            continue;
        double orders = 0, returns = 0, days = 0;
        for (size_t i = 0; i < L->n; i++) {
            if (strcmp(L->ids[i], id) != 0 || L->amounts[i] == 0.0)
                continue;
            int buy = L->amounts[i] > 0, first_order = 1, first_day = 1;
            for (size_t j = 0; j < i; j++) {
                if (strcmp(L->ids[j], id) != 0 || (L->amounts[j] > 0) != buy || L->amounts[j] == 0.0)
                    continue;
                if (strcmp(L->orders[j], L->orders[i]) == 0)
                    first_order = 0;
                if (buy && day_of(L->times[j]) == day_of(L->times[i]))
                    first_day = 0;
            }
            orders += buy && first_order;
            returns += !buy && first_order;
            days += buy && first_day;
        }
        assert_true(col(ds, "frequency")[row] == orders);
        assert_true(col(ds, "returns")[row] == returns);
        assert_true(col(ds, "purchase_days")[row] == days);
    }
}

static void test_invoice_log_any_order(void **state)
{
    (void)state;
    log_t L = make_invoice_log(6000, 99);
    const int64_t as_of = L.times[L.n - 1] + 30 * DAY;
    tier_dataset *whole = new_ds();
    add_range(whole, &L, 0, L.n);
    TIER_CHECK(tier_dataset_compute_features(whole, as_of));
    assert_distinct_counts(whole, &L);

    /* row by row, backwards: every row is out of order */
    tier_dataset *rev = new_ds();
    for (size_t i = L.n; i-- > 0;)
        add_range(rev, &L, i, i + 1);
    TIER_CHECK(tier_dataset_compute_features(rev, as_of));
    assert_same(whole, rev, 0);

    /* two halves merged, and a saved first half continued */
    tier_dataset *a = new_ds(), *b = new_ds();
    add_range(a, &L, 0, 2500);
    add_range(b, &L, 2500, L.n);
    const char *path = test_temp_path("invoices.tds");
    TIER_CHECK(tier_dataset_save(a, path));
    TIER_CHECK(tier_dataset_merge(a, b));
    TIER_CHECK(tier_dataset_compute_features(a, as_of));
    assert_same(whole, a, 1);
    tier_dataset *loaded = NULL;
    TIER_CHECK(tier_dataset_load(&loaded, path, NULL));
    add_range(loaded, &L, 2500, L.n);
    TIER_CHECK(tier_dataset_compute_features(loaded, as_of));
    assert_same(whole, loaded, 1);

    tier_dataset_free(loaded);
    tier_dataset_free(a);
    tier_dataset_free(b);
    tier_dataset_free(rev);
    tier_dataset_free(whole);
    free_log(&L);
}

/* ---- order ids the serial fast path must tell apart, through merges and loads ---------------- */

/* Order ids whose numeric reading is ambiguous or out of reach: leading zeros (a different id
 * with the same number), 18 digits (the largest serial), 19 and 20 digits (no serial), values
 * around 2^64, signs and blanks (not numbers), and "no order id" (NULL or empty: every purchase
 * line is an order of its own). */
static const char *const odd_orders[] = {
    "7", "007", "0007", "8", "70", "999999999999999999", "999999999999999998",
    "1000000000000000000", "0000000000000000007", "18446744073709551615",
    "18446744073709551616", "18446744073709551617", "99999999999999999999", "-5", "+5", "5",
    " 5", "5 ", "C7", "", NULL,
};
#define N_ODD (sizeof odd_orders / sizeof odd_orders[0])
#define SERIAL_CUSTOMERS 23

/* Invoice numbers that mostly grow (the fast path), revisits of older orders by the same or
 * another customer, returns of an order before or after its purchase, odd ids, and times that
 * now and then go back by up to five days. */
static log_t make_serial_log(size_t n, uint64_t seed)
{
    log_t L = alloc_log(n);
    rng_state = seed;
    unsigned invoice = 4000;
    int64_t t = T0;
    for (size_t i = 0; i < n;) {
        unsigned cust = (unsigned)(rnd() % SERIAL_CUSTOMERS), kind = (unsigned)(rnd() % 100);
        const char *order;
        char buf[24];
        if (kind < 10 && i > 0) {
            size_t j = (size_t)(rnd() % i);
            order = L.order_ptrs[j];
            if (kind < 6)
                cust = (unsigned)atoi(L.ids[j] + 1);
        } else if (kind < 25) {
            order = odd_orders[rnd() % N_ODD];
        } else if (kind < 30) {
            snprintf(buf, sizeof buf, "0%u", invoice + 1 + (unsigned)(rnd() % 3)); /* a zero-led future number */
            order = buf;
        } else {
            snprintf(buf, sizeof buf, "%u", ++invoice);
            order = buf;
        }
        char copy[24] = "";
        int has = order != NULL;
        if (has)
            snprintf(copy, sizeof copy, "%s", order);
        t += (int64_t)(rnd() % (9 * 3600));
        int sign = rnd() % 6 == 0 ? -1 : 1;
        for (size_t k = 0, lines = 1 + (size_t)(rnd() % 3); k < lines && i < n; k++, i++) {
            snprintf(L.ids[i], sizeof L.ids[i], "c%u", cust);
            L.id_ptrs[i] = L.ids[i];
            snprintf(L.orders[i], sizeof L.orders[i], "%s", copy);
            L.order_ptrs[i] = has ? L.orders[i] : NULL;
            L.times[i] = rnd() % 25 == 0 ? t - (int64_t)(rnd() % (5 * DAY)) : t;
            unsigned a = (unsigned)(rnd() % 16);
            double cents = (double)(1 + rnd() % 9999);
            L.amounts[i] = a == 0 ? 0.0 : a == 1 ? -sign * cents / 100 : sign * cents / 100;
        }
    }
    return L;
}

/* The definition, by brute force over the log: distinct purchase orders, return orders and
 * purchase days per customer (a row without an order id is an order of its own). */
static void assert_serial_counts(const tier_dataset *ds, const log_t *L, const char *what)
{
    TIER_CHECK(tier_dataset_compute_features((tier_dataset *)ds, L->times[0] + 400 * DAY));
    for (unsigned c = 0; c < SERIAL_CUSTOMERS; c++) {
        char id[8];
        snprintf(id, sizeof id, "c%u", c);
        size_t row;
        if (tier_dataset_find(&row, ds, id) != TIER_OK)
            continue;
        double orders = 0, returns = 0, days = 0;
        for (size_t i = 0; i < L->n; i++) {
            if (strcmp(L->ids[i], id) != 0 || L->amounts[i] == 0.0)
                continue;
            int buy = L->amounts[i] > 0, new_order = 1, new_day = 1;
            for (size_t j = 0; j < i; j++) {
                if (strcmp(L->ids[j], id) != 0 || L->amounts[j] == 0.0 || (L->amounts[j] > 0) != buy)
                    continue;
                if (L->order_ptrs[i] && L->order_ptrs[j] && L->orders[i][0] &&
                    strcmp(L->orders[j], L->orders[i]) == 0)
                    new_order = 0;
                if (buy && day_of(L->times[j]) == day_of(L->times[i]))
                    new_day = 0;
            }
            orders += buy && new_order;
            returns += !buy && new_order;
            days += buy && new_day;
        }
        if (col(ds, "frequency")[row] != orders || col(ds, "returns")[row] != returns ||
            col(ds, "purchase_days")[row] != days)
            fail_msg("%s, customer %s: orders/returns/days %g/%g/%g, expected %g/%g/%g", what, id,
                     col(ds, "frequency")[row], col(ds, "returns")[row], col(ds, "purchase_days")[row],
                     orders, returns, days);
    }
}

/* Every way a partition's orders and days can be recorded (one batch, row by row backwards,
 * random batches, merges in both directions, a saved and loaded part, merging into an empty
 * dataset), each followed by more rows that revisit what was recorded: the counts are the
 * brute-force ones. A merge or load that left the partition's largest order number behind
 * would count a revisited order again. */
static void test_order_serials_merges_loads(void **state)
{
    (void)state;
    log_t L = make_serial_log(3000, 1234);
    const size_t a = 1000, b = 2000;

    tier_dataset *whole = new_ds();
    add_range(whole, &L, 0, L.n);
    assert_serial_counts(whole, &L, "one batch");

    tier_dataset *rev = new_ds();
    for (size_t i = L.n; i-- > 0;)
        add_range(rev, &L, i, i + 1);
    assert_serial_counts(rev, &L, "row by row backwards");

    tier_dataset *pieces = new_ds();
    rng_state = 77;
    for (size_t i = 0; i < L.n;) {
        size_t m = 1 + (size_t)(rnd() % 97);
        m = m < L.n - i ? m : L.n - i;
        add_range(pieces, &L, i, i + m);
        i += m;
    }
    assert_serial_counts(pieces, &L, "random batches");

    /* later part merged into the earlier one, then the rest */
    tier_dataset *p1 = new_ds(), *p2 = new_ds();
    add_range(p1, &L, 0, a);
    add_range(p2, &L, a, b);
    TIER_CHECK(tier_dataset_merge(p1, p2));
    add_range(p1, &L, b, L.n);
    assert_serial_counts(p1, &L, "merge later into earlier");
    tier_dataset_free(p1);
    tier_dataset_free(p2);

    /* earlier part merged into the later one (its numbers are all below the target's) */
    p1 = new_ds();
    p2 = new_ds();
    add_range(p1, &L, 0, a);
    add_range(p2, &L, a, b);
    TIER_CHECK(tier_dataset_merge(p2, p1));
    add_range(p2, &L, b, L.n);
    assert_serial_counts(p2, &L, "merge earlier into later");
    tier_dataset_free(p2);

    /* a saved part: loaded and continued, merged into an empty dataset and continued, and
     * merged into a dataset holding higher numbers and continued */
    const char *path = test_temp_path("serials.tds");
    TIER_CHECK(tier_dataset_save(p1, path));
    tier_dataset_free(p1);
    tier_dataset *loaded = NULL;
    TIER_CHECK(tier_dataset_load(&loaded, path, NULL));
    add_range(loaded, &L, a, L.n);
    assert_serial_counts(loaded, &L, "loaded and continued");
    tier_dataset_free(loaded);

    TIER_CHECK(tier_dataset_load(&loaded, path, NULL));
    tier_dataset *empty = new_ds();
    TIER_CHECK(tier_dataset_merge(empty, loaded));
    add_range(empty, &L, a, L.n);
    assert_serial_counts(empty, &L, "loaded, merged into an empty dataset, continued");
    tier_dataset_free(empty);

    p2 = new_ds();
    add_range(p2, &L, a, b);
    TIER_CHECK(tier_dataset_merge(p2, loaded));
    add_range(p2, &L, b, L.n);
    assert_serial_counts(p2, &L, "loaded merged into the later part, continued");
    tier_dataset_free(p2);
    tier_dataset_free(loaded);

    tier_dataset_free(pieces);
    tier_dataset_free(rev);
    tier_dataset_free(whole);
    free_log(&L);
}

/* The array API is the one caller that validates a whole batch itself: a bad row anywhere,
 * also past the first 65,536-row slice it adds in, must add nothing, to an empty dataset or to
 * one that holds customers already. */
static void test_bad_row_deep_in_a_large_batch(void **state)
{
    (void)state;
    enum { N = 70001 };
    log_t L = alloc_log(N);
    const char **ids = L.id_ptrs;
    int64_t *t = L.times;
    double *amt = L.amounts;
    char (*names)[16] = L.ids;
    for (size_t i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "k%zu", i % 5000);
        ids[i] = names[i];
        t[i] = T0 + (int64_t)i;
        amt[i] = 1.0;
    }
    tier_dataset *ds = new_ds();
    const char *pre_ids[] = { "x" };
    const int64_t pre_t[] = { T0 };
    const double pre_amt[] = { 2.0 };
    for (int pass = 0; pass < 2; pass++) {
        const size_t at[] = { N - 1, 65536, 65535 };
        for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
            size_t i = at[k];
            const size_t before = tier_dataset_size(ds);
            const uint64_t txn = tier_dataset_transaction_count(ds);
            amt[i] = NAN;
            TIER_EXPECT_ERROR(tier_dataset_add_transactions(ds, N, ids, t, amt, NULL), TIER_ERANGE, "not finite");
            amt[i] = -INFINITY;
            TIER_EXPECT_ERROR(tier_dataset_add_transactions(ds, N, ids, t, amt, NULL), TIER_ERANGE, "not finite");
            amt[i] = 1.0;
            t[i] = -62167219200LL - 1; /* a second before year 0 */
            TIER_EXPECT_ERROR(tier_dataset_add_transactions(ds, N, ids, t, amt, NULL), TIER_ERANGE, "years 0..9999");
            t[i] = 253402300799LL + 1; /* a second after year 9999 */
            TIER_EXPECT_ERROR(tier_dataset_add_transactions(ds, N, ids, t, amt, NULL), TIER_ERANGE, "years 0..9999");
            t[i] = T0 + (int64_t)i;
            ids[i] = "";
            TIER_EXPECT_ERROR(tier_dataset_add_transactions(ds, N, ids, t, amt, NULL), TIER_EINVAL, "empty");
            ids[i] = NULL;
            TIER_EXPECT_ERROR(tier_dataset_add_transactions(ds, N, ids, t, amt, NULL), TIER_EINVAL, "NULL or empty");
            ids[i] = names[i];
            assert_int_equal(tier_dataset_size(ds), before);
            assert_int_equal(tier_dataset_transaction_count(ds), txn);
        }
        TIER_CHECK(tier_dataset_add_transactions(ds, 1, pre_ids, pre_t, pre_amt, NULL));
    }
    TIER_CHECK(tier_dataset_compute_features(ds, TIER_AS_OF_AUTO));
    assert_int_equal(tier_dataset_size(ds), 1);
    assert_true(feat(ds, "x", "monetary") == 4.0);
    /* the same batch, valid, is taken whole */
    TIER_CHECK(tier_dataset_add_transactions(ds, N, ids, t, amt, NULL));
    assert_int_equal(tier_dataset_size(ds), 5001);
    tier_dataset_free(ds);
    free_log(&L);
}

static void test_merge_columns(void **state)
{
    (void)state;
    tier_dataset *a = new_ds(), *b = new_ds();
    const char *ids[] = { "p", "q" };
    const int64_t t[] = { T0, T0 };
    const double amt[] = { 1, 1 };
    TIER_CHECK(tier_dataset_add_transactions(a, 2, ids, t, amt, NULL));
    TIER_CHECK(tier_dataset_add_transactions(b, 1, ids + 1, t, amt, NULL));
    const double av[] = { 1, 2 }, bv[] = { NAN };
    const char *seg_a[] = { "x", "y" }, *seg_b[] = { "z" };
    TIER_CHECK(tier_dataset_join_numeric(NULL, a, "v", 2, ids, av));
    TIER_CHECK(tier_dataset_join_numeric(NULL, b, "v", 1, ids + 1, bv));
    TIER_CHECK(tier_dataset_join_categorical(NULL, a, "seg", 2, ids, seg_a));
    TIER_CHECK(tier_dataset_join_categorical(NULL, b, "seg", 1, ids + 1, seg_b));
    TIER_CHECK(tier_dataset_merge(a, b));
    assert_true(col(a, "v")[1] == 2.0); /* other's missing value does not overwrite */
    const int32_t *c;
    const char *const *d;
    TIER_CHECK(tier_dataset_categorical(&c, &d, NULL, a, "seg"));
    assert_string_equal(d[c[1]], "z");
    assert_string_equal(d[c[0]], "x");
    /* type clash changes nothing */
    tier_dataset *e = new_ds();
    TIER_CHECK(tier_dataset_add_transactions(e, 1, ids, t, amt, NULL));
    TIER_CHECK(tier_dataset_join_categorical(NULL, e, "v", 1, ids, seg_a));
    size_t before = tier_dataset_column_count(a);
    TIER_EXPECT_ERROR(tier_dataset_merge(a, e), TIER_ETYPE, "'v'");
    assert_int_equal(tier_dataset_column_count(a), before);
    tier_dataset_free(a);
    tier_dataset_free(b);
    tier_dataset_free(e);
}

/* Adds rows [from, n) of L to both datasets, recomputes both and requires them equal: a
 * dataset that was saved and loaded goes on as the one that never was. */
static void assert_same_after(tier_dataset *want, tier_dataset *got, const log_t *L, size_t from)
{
    add_range(got, L, from, L->n);
    add_range(want, L, from, L->n);
    TIER_CHECK(tier_dataset_compute_features(got, TIER_AS_OF_AUTO));
    TIER_CHECK(tier_dataset_compute_features(want, TIER_AS_OF_AUTO));
    assert_same(want, got, 1);
}

static void test_save_load(void **state)
{
    (void)state;
    log_t L = make_log(8000, 99);
    tier_dataset *ds = new_ds();
    add_range(ds, &L, 0, 6000);
    const char *jid[] = { "cust1", "cust2" };
    const char *jv[] = { "UK", "FR" };
    TIER_CHECK(tier_dataset_join_categorical(NULL, ds, "country", 2, jid, jv));
    TIER_CHECK(tier_dataset_compute_features(ds, TIER_AS_OF_AUTO));
    const char *path = test_temp_path("ds.tier");
    TIER_CHECK(tier_dataset_save(ds, path));
    tier_dataset *back = NULL;
    TIER_CHECK(tier_dataset_load(&back, path, NULL));
    assert_false(tier_dataset_is_stale(back));
    assert_int_equal(tier_dataset_as_of(back), tier_dataset_as_of(ds));
    assert_same(ds, back, 1);
    const int32_t *c;
    const char *const *d;
    TIER_CHECK(tier_dataset_categorical(&c, &d, NULL, back, "country"));
    size_t row;
    TIER_CHECK(tier_dataset_find(&row, back, "cust2"));
    assert_string_equal(d[c[row]], "FR");
    /* load, add the next part, recompute == built from scratch */
    assert_same_after(ds, back, &L, 6000);
    tier_dataset_free(back);

    /* corruption: every truncation and a flipped byte anywhere are rejected */
    size_t size;
    unsigned char *bytes = test_read_file(path, &size);
    const char *bad = test_temp_path("bad.tier");
    const size_t cuts[] = { 0, 5, 23, 24, size / 2, size - 1 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        test_write_bytes(bad, bytes, cuts[i]);
        tier_dataset *x = (tier_dataset *)1;
        TIER_EXPECT_ERROR(tier_dataset_load(&x, bad, NULL), TIER_ECORRUPT, "bad.tier");
        assert_null(x);
    }
    const size_t flips[] = { 3, 30, size / 3, size - 2 };
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        bytes[flips[i]] ^= 0x20;
        test_write_bytes(bad, bytes, size);
        tier_dataset *x = NULL;
        int rc = tier_dataset_load(&x, bad, NULL);
        assert_true(rc == TIER_ECORRUPT);
        assert_null(x);
        bytes[flips[i]] ^= 0x20;
    }
    /* a newer format version is named as such */
    bytes[8] = 9;
    test_write_bytes(bad, bytes, size);
    tier_dataset *x = NULL;
    TIER_EXPECT_ERROR(tier_dataset_load(&x, bad, NULL), TIER_EVERSION, "version 9");
    free(bytes);
    TIER_EXPECT_ERROR(tier_dataset_load(&x, test_temp_path("missing.tier"), NULL), TIER_ENOTFOUND, "missing.tier");
    TIER_EXPECT_ERROR(tier_dataset_save(ds, "/nonexistent-dir/x.tier"), TIER_EIO, "/nonexistent-dir/x.tier");
    tier_dataset_free(ds);
    free_log(&L);
}

/* ---- allocators ------------------------------------------------------------------------------ */

static int build_with(test_alloc *c, const log_t *L)
{
    tier_allocator a = test_allocator_of(c);
    tier_dataset_options o = TIER_DATASET_OPTIONS_INIT;
    o.allocator = &a;
    tier_dataset *ds = NULL, *other = NULL;
    int rc = tier_dataset_new(&ds, &o);
    if (!rc)
        rc = tier_dataset_new(&other, &o);
    if (!rc)
        rc = tier_dataset_add_transactions(ds, L->n / 2, L->id_ptrs, L->times, L->amounts, L->order_ptrs);
    if (!rc)
        rc = tier_dataset_add_transactions(other, L->n - L->n / 2, L->id_ptrs + L->n / 2,
                                           L->times + L->n / 2, L->amounts + L->n / 2,
                                           L->order_ptrs + L->n / 2);
    if (!rc)
        rc = tier_dataset_join_categorical(NULL, ds, "k", 1, L->id_ptrs, L->id_ptrs);
    if (!rc)
        rc = tier_dataset_merge(ds, other);
    if (!rc)
        rc = tier_dataset_compute_features(ds, TIER_AS_OF_AUTO);
    tier_dataset_free(ds);
    tier_dataset_free(other);
    return rc;
}

static void test_custom_allocator(void **state)
{
    (void)state;
    log_t L = make_log(3000, 5);
    test_alloc c = { 0 };
    TIER_CHECK(build_with(&c, &L));
    assert_int_equal(c.live, 0);
    /* fail every allocation in turn, and every one after it: a clean ENOMEM, no leak, no crash */
    const size_t total = c.calls;
    assert_true(total > 10);
    for (size_t k = 1; k <= total; k++) {
        test_alloc f = { .fail_at = k, .sticky = 1 };
        int rc = build_with(&f, &L);
        assert_int_equal(rc, TIER_ENOMEM);
        assert_int_equal(f.live, 0);
    }
    tier_allocator broken = test_allocator_of(&c);
    broken.realloc_fn = NULL;
    tier_dataset_options o = TIER_DATASET_OPTIONS_INIT;
    o.allocator = &broken;
    tier_dataset *ds = NULL;
    TIER_EXPECT_ERROR(tier_dataset_new(&ds, &o), TIER_EINVAL, "realloc_fn");
    free_log(&L);
}

static void test_one_customer_many_rows(void **state)
{
    (void)state;
    enum { N = 200000 };
    log_t L = alloc_log(N);
    const char **ids = L.id_ptrs;
    int64_t *t = L.times;
    double *amt = L.amounts;
    for (size_t i = 0; i < N; i++) {
        ids[i] = "solo";
        t[i] = T0 + (int64_t)i * 3600;
        amt[i] = 0.01;
    }
    tier_dataset *ds = new_ds();
    TIER_CHECK(tier_dataset_add_transactions(ds, N, ids, t, amt, NULL));
    TIER_CHECK(tier_dataset_compute_features(ds, TIER_AS_OF_AUTO));
    assert_int_equal(tier_dataset_size(ds), 1);
    assert_true(feat(ds, "solo", "frequency") == N);
    /* 200000 * 0.01 accumulated exactly then rounded once */
    assert_true(fabs(feat(ds, "solo", "monetary") - 2000.0) < 1e-9);
    assert_true(feat(ds, "solo", "purchase_days") == 8334.0); /* ceil(200000 h / 24) */
    tier_dataset_free(ds);
    free_log(&L);
}

/* Ids whose 64-bit hashes agree in the upper 32 bits (the slot tag) and the lower 16 (the home
 * slot of any table up to 65,536 slots), found by birthday searches over "C%08u", "%08x" and
 * "customer%08u" (2^25 ids each): a table that trusted the tag would merge them. They must
 * stay two customers, and two categories. */
static void test_colliding_hashes(void **state)
{
    (void)state;
    /* The string table keeps each string's first 8 bytes beside its length: the third pair
     * (8 bytes) differs only there, the fourth only after them. */
    static const char *const pairs[4][2] = { { "C08667478", "C24518916" }, { "C12858615", "C22829763" },
                                             { "9fd8874d", "2e963408" },
                                             { "customer04496949", "customer05170527" } };
    for (int k = 0; k < 4; k++) {
        const char *ids[4] = { pairs[k][0], pairs[k][1], pairs[k][1], pairs[k][0] };
        int64_t t[4] = { T0, T0 + 86400, T0 + 2 * 86400, T0 + 3 * 86400 };
        double amt[4] = { 10.0, 20.0, 40.0, 5.0 };
        tier_dataset *ds = new_ds();
        TIER_CHECK(tier_dataset_add_transactions(ds, 4, ids, t, amt, NULL));
        TIER_CHECK(tier_dataset_compute_features(ds, TIER_AS_OF_AUTO));
        assert_int_equal(tier_dataset_size(ds), 2);
        assert_true(feat(ds, pairs[k][0], "monetary") == 15.0);
        assert_true(feat(ds, pairs[k][1], "monetary") == 60.0);
        assert_true(feat(ds, pairs[k][0], "frequency") == 2.0);
        int32_t codes[2] = { 1, 0 };
        TIER_CHECK(tier_dataset_set_categorical(ds, "segment", codes, pairs[k], 2));
        const int32_t *got;
        const char *const *dict;
        size_t n_cat;
        TIER_CHECK(tier_dataset_categorical(&got, &dict, &n_cat, ds, "segment"));
        assert_int_equal(n_cat, 2);
        assert_string_equal(dict[0], pairs[k][0]);
        assert_string_equal(dict[1], pairs[k][1]);
        tier_dataset_free(ds);
    }
}

/* Rewrites the 8-byte little-endian value `from` (once in the file) to `to`, then the file's
 * CRC-32 trailer, as a writer with a bug (or a forger) would: the checksum cannot object. */
static void rewrite_with_crc(const char *src, const char *dst, uint64_t from, uint64_t to)
{
    size_t size;
    unsigned char *b = test_read_file(src, &size);
    unsigned char pat[8], rep[8];
    for (int i = 0; i < 8; i++) {
        pat[i] = (unsigned char)(from >> (8 * i));
        rep[i] = (unsigned char)(to >> (8 * i));
    }
    size_t at = 0, hits = 0;
    for (size_t i = 0; i + 8 + 4 <= size; i++)
        if (memcmp(b + i, pat, 8) == 0) {
            at = i;
            hits++;
        }
    assert_int_equal(hits, 1);
    memcpy(b + at, rep, 8);
    uLong crc = crc32(crc32(0L, Z_NULL, 0), b, (uInt)(size - 4));
    for (int i = 0; i < 4; i++)
        b[size - 4 + i] = (unsigned char)(crc >> (8 * i));
    test_write_bytes(dst, b, size);
    free(b);
}

/* A file whose checksum is right but whose purchase days contradict the customer (a day after
 * the last purchase, the last purchase's day missing) is rejected: adding to it would count
 * days wrongly. The same rewrite that changes nothing loads, so the CRC is rebuilt right. */
static void test_load_rejects_inconsistent_days(void **state)
{
    (void)state;
    const char *ids[2] = { "A", "A" };
    const int64_t t[2] = { T0, T0 + 2 * DAY };
    const double amt[2] = { 10.0, 20.0 };
    tier_dataset *ds = new_ds();
    TIER_CHECK(tier_dataset_add_transactions(ds, 2, ids, t, amt, NULL));
    const char *path = test_temp_path("days.tier"), *bad = test_temp_path("days_bad.tier");
    TIER_CHECK(tier_dataset_save(ds, path));
    tier_dataset_free(ds);
    /* the day entry of row 0 for the last purchase: row << 32 | (UTC day + 2^31) */
    const uint64_t day0 = (uint64_t)(T0 / DAY), last = ((day0 + 2) + 0x80000000ULL);
    tier_dataset *x = NULL;
    rewrite_with_crc(path, bad, last, last);
    TIER_CHECK(tier_dataset_load(&x, bad, NULL));
    tier_dataset_free(x);
    x = NULL;
    rewrite_with_crc(path, bad, last, last + 5); /* after the last purchase */
    TIER_EXPECT_ERROR(tier_dataset_load(&x, bad, NULL), TIER_ECORRUPT, "days_bad.tier");
    assert_null(x);
    rewrite_with_crc(path, bad, last, last - 1); /* in range, but the last day is missing */
    TIER_EXPECT_ERROR(tier_dataset_load(&x, bad, NULL), TIER_ECORRUPT, "days_bad.tier");
    assert_null(x);
}

/* A file saved by libtier 0.1.0 (format version 1): the first 6,000 rows of make_log(8000, 99)
 * with features at the automatic as_of. It must load as the same dataset built now, and keep
 * counting after more rows: the file holds hashes of order ids, so a changed hash function
 * would count an order of the file again when it reappears. TIER_REWRITE_GOLDEN=1 in the
 * environment rewrites the file, for a new format version only. */
static void test_load_file_of_0_1_0(void **state)
{
    (void)state;
    const char *golden = test_data_path("dataset/make_log_8000_99_first_6000.tier");
    log_t L = make_log(8000, 99);
    tier_dataset *ds = new_ds();
    add_range(ds, &L, 0, 6000);
    TIER_CHECK(tier_dataset_compute_features(ds, TIER_AS_OF_AUTO));
    const char *rewrite = getenv("TIER_REWRITE_GOLDEN");
    if (rewrite && strcmp(rewrite, "1") == 0)
        TIER_CHECK(tier_dataset_save(ds, golden));
    tier_dataset *old = NULL;
    TIER_CHECK(tier_dataset_load(&old, golden, NULL));
    assert_same(ds, old, 1);
    assert_same_after(ds, old, &L, 6000);
    tier_dataset_free(old);
    tier_dataset_free(ds);
    free_log(&L);
}

/* ---- feature columns are filled when first read ---- */

#define FILL_CUSTOMERS 150000 /* three blocks of the parallel fill */
#define FILL_READERS 4

static const char *const all_features[] = {
    "recency", "frequency", "monetary", "avg_order_value", "first_purchase", "last_purchase", "tenure",
    "purchase_days", "returns", "returns_value", "repeat_count", "t_x", "T", "repeat_spend",
};
#define N_ALL_FEATURES (sizeof all_features / sizeof *all_features)

/* One purchase per customer: customer i buys (i % 977) + 0.25 at T0 + (i % 1000) hours. */
static tier_dataset *one_purchase_each(const tier_allocator *alloc)
{
    char (*idbuf)[16] = malloc(FILL_CUSTOMERS * sizeof *idbuf);
    const char **ids = malloc(FILL_CUSTOMERS * sizeof *ids);
    int64_t *t = malloc(FILL_CUSTOMERS * sizeof *t);
    double *amt = malloc(FILL_CUSTOMERS * sizeof *amt);
    assert_non_null(idbuf);
    assert_non_null(ids);
    assert_non_null(t);
    assert_non_null(amt);
    for (size_t i = 0; i < FILL_CUSTOMERS; i++) {
        snprintf(idbuf[i], sizeof idbuf[i], "c%zu", i);
        ids[i] = idbuf[i];
        t[i] = T0 + (int64_t)(i % 1000) * 3600;
        amt[i] = (double)(i % 977) + 0.25;
    }
    tier_dataset_options o = TIER_DATASET_OPTIONS_INIT;
    o.allocator = alloc;
    o.n_threads = 2;
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, &o));
    TIER_CHECK(tier_dataset_add_transactions(ds, FILL_CUSTOMERS, ids, t, amt, NULL));
    free(idbuf);
    free(ids);
    free(t);
    free(amt);
    return ds;
}

/* Checks the columns of one_purchase_each() at as_of, by formula. */
static void assert_one_purchase_features(const tier_dataset *ds, int64_t as_of)
{
    assert_int_equal(tier_dataset_size(ds), FILL_CUSTOMERS);
    const double *rec = col(ds, "recency"), *freq = col(ds, "frequency"), *mon = col(ds, "monetary");
    const double *T = col(ds, "T"), *tx = col(ds, "t_x"), *rs = col(ds, "repeat_spend");
    for (size_t i = 0; i < FILL_CUSTOMERS; i++) {
        const double want_rec = (double)(as_of - (T0 + (int64_t)(i % 1000) * 3600)) / DAY;
        if (rec[i] != want_rec || T[i] != want_rec || freq[i] != 1.0 || mon[i] != (double)(i % 977) + 0.25 ||
            tx[i] != 0.0 || !isnan(rs[i]))
            fail_msg("customer c%zu: recency %g (want %g), frequency %g, monetary %g", i, rec[i], want_rec,
                     freq[i], mon[i]);
    }
}

typedef struct reader {
    const tier_dataset *ds;
    size_t first;                        /* reads the columns starting here, cyclically */
    const double *got[N_ALL_FEATURES];
    int rc;
} reader;

static void *read_features(void *arg)
{
    reader *r = arg;
    for (size_t j = 0; j < N_ALL_FEATURES && !r->rc; j++) {
        size_t k = (r->first + j) % N_ALL_FEATURES;
        r->rc = tier_dataset_numeric(&r->got[k], r->ds, all_features[k]);
    }
    return NULL;
}

static void test_features_filled_on_read(void **state)
{
    (void)state;
    tier_dataset *ds = one_purchase_each(NULL);
    const int64_t as_of = T0 + 1000 * DAY;
    TIER_CHECK(tier_dataset_compute_features(ds, as_of));
    /* readers race for the first read of every column: each column is filled once, and every
     * reader gets the same values */
    pthread_t th[FILL_READERS];
    reader rd[FILL_READERS];
    for (size_t i = 0; i < FILL_READERS; i++) {
        rd[i] = (reader){ .ds = ds, .first = i * 5 };
        assert_int_equal(pthread_create(&th[i], NULL, read_features, &rd[i]), 0);
    }
    for (size_t i = 0; i < FILL_READERS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (size_t i = 0; i < FILL_READERS; i++) {
        assert_int_equal(rd[i].rc, TIER_OK);
        for (size_t k = 0; k < N_ALL_FEATURES; k++)
            assert_ptr_equal(rd[i].got[k], rd[0].got[k]);
    }
    assert_one_purchase_features(ds, as_of);

    /* a new instant refills the columns that were read */
    TIER_CHECK(tier_dataset_compute_features(ds, as_of + 2 * DAY));
    assert_one_purchase_features(ds, as_of + 2 * DAY);

    /* new transactions make features stale until computed again, then the columns are longer */
    const char *id[] = { "newcomer" };
    const int64_t t[] = { T0 };
    const double amt[] = { 3.0 };
    TIER_CHECK(tier_dataset_add_transactions(ds, 1, id, t, amt, NULL));
    const double *v;
    TIER_EXPECT_ERROR(tier_dataset_numeric(&v, ds, "recency"), TIER_ESTALE, "recency");
    TIER_CHECK(tier_dataset_compute_features(ds, as_of));
    assert_true(feat(ds, "newcomer", "recency") == 1000.0);
    assert_true(feat(ds, "newcomer", "monetary") == 3.0);
    assert_true(feat(ds, "c1", "monetary") == 1.25);
    tier_dataset_free(ds);
}

static void test_feature_read_out_of_memory(void **state)
{
    (void)state;
    test_alloc c = { 0 };
    tier_allocator a = test_allocator_of(&c);
    tier_dataset *ds = one_purchase_each(&a);
    TIER_CHECK(tier_dataset_compute_features(ds, T0 + 1000 * DAY));
    /* the first read of a column allocates it: that failing is an error, not a NULL column */
    c.fail_at = c.calls + 1;
    const double *v = (const double *)&c;
    TIER_EXPECT_ERROR(tier_dataset_numeric(&v, ds, "monetary"), TIER_ENOMEM, "memory");
    assert_null(v);
    /* nothing was left half filled: the next read fills the column */
    assert_one_purchase_features(ds, T0 + 1000 * DAY);
    tier_dataset_free(ds);
    assert_int_equal(c.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_features_by_hand),
        cmocka_unit_test(test_without_order_ids_rows_are_orders),
        cmocka_unit_test(test_all_returns),
        cmocka_unit_test(test_bad_input_adds_nothing),
        cmocka_unit_test(test_huge_amounts),
        cmocka_unit_test(test_overflow_through_merge_and_load),
        cmocka_unit_test(test_lookup_and_columns),
        cmocka_unit_test(test_joins),
        cmocka_unit_test(test_merge_equals_whole),
        cmocka_unit_test(test_transaction_order_does_not_matter),
        cmocka_unit_test(test_invoice_log_any_order),
        cmocka_unit_test(test_order_serials_merges_loads),
        cmocka_unit_test(test_bad_row_deep_in_a_large_batch),
        cmocka_unit_test(test_merge_columns),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_load_file_of_0_1_0),
        cmocka_unit_test(test_custom_allocator),
        cmocka_unit_test(test_one_customer_many_rows),
        cmocka_unit_test(test_colliding_hashes),
        cmocka_unit_test(test_load_rejects_inconsistent_days),
        cmocka_unit_test(test_features_filled_on_read),
        cmocka_unit_test(test_feature_read_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
