/* Tests for include/tier/csv.h: the CSV loader (RFC 4180 edge cases, dates, numbers, bad-row
 * policies, gzip, progress and cancel, thread-count independence) and the real Online Retail
 * log against figures computed independently (tests/data/online_retail_reference.py). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define DAY 86400
/* 2011-01-01T00:00:00Z */
#define T0 1293840000LL

/* ---- helpers -------------------------------------------------------------------------------- */

static tier_csv_options opts_default(void)
{
    tier_csv_options o = TIER_CSV_OPTIONS_INIT;
    return o;
}

/* Writes `text` to a temporary file and loads it; fails the test on error. */
static tier_dataset *load_text(const char *name, const char *text, const tier_csv_options *o,
                               tier_csv_report **rep)
{
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_load_csv(&ds, rep, test_write_file(name, text), o));
    assert_non_null(ds);
    return ds;
}

static size_t row_of(const tier_dataset *ds, const char *id)
{
    size_t row;
    if (tier_dataset_find(&row, ds, id) != TIER_OK)
        fail_msg("customer '%s' not found", id);
    return row;
}

static double num(const tier_dataset *ds, const char *id, const char *column)
{
    const double *v = NULL;
    TIER_CHECK(tier_dataset_numeric(&v, ds, column));
    return v[row_of(ds, id)];
}

/* The category name of a customer in a categorical column, or NULL when missing. */
static const char *cat(const tier_dataset *ds, const char *id, const char *column)
{
    const int32_t *codes = NULL;
    const char *const *dict = NULL;
    size_t n = 0;
    TIER_CHECK(tier_dataset_categorical(&codes, &dict, &n, ds, column));
    int32_t c = codes[row_of(ds, id)];
    if (c == TIER_MISSING_CODE)
        return NULL;
    assert_true((size_t)c < n);
    return dict[c];
}

/* Every customer, column, value and dictionary equal, bit for bit. */
static void assert_same_dataset(const tier_dataset *a, const tier_dataset *b)
{
    assert_int_equal(tier_dataset_size(a), tier_dataset_size(b));
    assert_int_equal(tier_dataset_transaction_count(a), tier_dataset_transaction_count(b));
    assert_int_equal(tier_dataset_as_of(a), tier_dataset_as_of(b));
    size_t n = tier_dataset_size(a);
    for (size_t r = 0; r < n; r++)
        assert_string_equal(tier_dataset_customer_id(a, r), tier_dataset_customer_id(b, r));
    assert_int_equal(tier_dataset_column_count(a), tier_dataset_column_count(b));
    for (size_t k = 0; k < tier_dataset_column_count(a); k++) {
        const char *name = tier_dataset_column_name(a, k);
        assert_string_equal(name, tier_dataset_column_name(b, k));
        tier_column_type ta, tb;
        TIER_CHECK(tier_dataset_column_type(&ta, a, name));
        TIER_CHECK(tier_dataset_column_type(&tb, b, name));
        assert_int_equal(ta, tb);
        if (ta == TIER_COLUMN_NUMERIC) {
            const double *va, *vb;
            TIER_CHECK(tier_dataset_numeric(&va, a, name));
            TIER_CHECK(tier_dataset_numeric(&vb, b, name));
            if (n && memcmp(va, vb, n * sizeof *va) != 0)
                fail_msg("column '%s' differs", name);
        } else {
            const int32_t *ca, *cb;
            const char *const *da, *const *db;
            size_t na, nb;
            TIER_CHECK(tier_dataset_categorical(&ca, &da, &na, a, name));
            TIER_CHECK(tier_dataset_categorical(&cb, &db, &nb, b, name));
            assert_int_equal(na, nb);
            for (size_t i = 0; i < na; i++)
                assert_string_equal(da[i], db[i]);
            if (n && memcmp(ca, cb, n * sizeof *ca) != 0)
                fail_msg("column '%s' differs", name);
        }
    }
}

/* A dataset with one customer "x" (to check that failed loads leave it unchanged). */
static tier_dataset *one_customer_ds(unsigned threads)
{
    tier_dataset_options o = TIER_DATASET_OPTIONS_INIT;
    o.n_threads = threads;
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, &o));
    const char *ids[] = { "x" };
    const int64_t t[] = { T0 };
    const double a[] = { 1.0 };
    TIER_CHECK(tier_dataset_add_transactions(ds, 1, ids, t, a, NULL));
    return ds;
}

static void assert_unchanged(tier_dataset *ds)
{
    assert_int_equal(tier_dataset_size(ds), 1);
    assert_int_equal(tier_dataset_transaction_count(ds), 1);
    assert_int_equal(tier_dataset_column_count(ds), 14);
}

/* ---- options, report ------------------------------------------------------------------------ */

static void test_options(void **state)
{
    (void)state;
    tier_csv_options o;
    memset(&o, 0xff, sizeof o);
    TIER_CHECK(tier_csv_options_init(&o, TIER_CSV_OPTIONS_VERSION));
    tier_csv_options d = TIER_CSV_OPTIONS_INIT;
    assert_int_equal(o.version, TIER_CSV_OPTIONS_VERSION);
    assert_int_equal(o.delimiter, ',');
    assert_int_equal(o.has_header, 1);
    assert_string_equal(o.customer_column, "customer_id");
    assert_string_equal(o.time_column, "time");
    assert_string_equal(o.amount_column, "amount");
    assert_null(o.quantity_column);
    assert_int_equal(o.bad_rows, TIER_BAD_ROWS_STRICT);
    assert_int_equal(o.max_messages, 20);
    assert_true(o.as_of == TIER_AS_OF_AUTO);
    assert_int_equal(o.n_threads, d.n_threads);
    TIER_EXPECT_ERROR(tier_csv_options_init(&o, 99), TIER_EVERSION, "version 99");
    TIER_EXPECT_ERROR(tier_csv_options_init(NULL, 1), TIER_EINVAL, "NULL");

    /* Bad option structs are refused before the file is touched. */
    tier_dataset *ds = NULL;
    tier_csv_report *rep = (tier_csv_report *)1;
    const char *path = test_data_path("csv/small.csv");
    o = opts_default();
    o.version = 7;
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, &rep, path, &o), TIER_EVERSION, "version 7");
    assert_null(ds);
    assert_null(rep);
    o = opts_default();
    o.delimiter = '"';
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, NULL, path, &o), TIER_EINVAL, "delimiter");
    o = opts_default();
    o.quantity_column = "q";
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, NULL, path, &o), TIER_EINVAL, "price_column");
    o = opts_default();
    o.time_format = "%Y-%q";
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, NULL, path, &o), TIER_EINVAL, "time format");
    o = opts_default();
    o.n_categorical_columns = 1;
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, NULL, path, &o), TIER_EINVAL, "NULL");
    o = opts_default();
    o.bad_rows = (tier_bad_row_policy)5;
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, NULL, path, &o), TIER_EINVAL, "bad_rows");
    TIER_EXPECT_ERROR(tier_dataset_load_csv(NULL, NULL, path, NULL), TIER_EINVAL, "NULL");
    TIER_EXPECT_ERROR(tier_dataset_add_csv(NULL, NULL, path, NULL), TIER_EINVAL, "NULL");

    /* The report accessors accept NULL and out-of-range arguments. */
    assert_int_equal(tier_csv_report_count(NULL, TIER_CSV_ROWS), 0);
    assert_int_equal(tier_csv_report_message_count(NULL), 0);
    assert_null(tier_csv_report_message(NULL, 0));
    tier_csv_report_free(NULL);
}

/* ---- the basic path ------------------------------------------------------------------------- */

static void test_small_file(void **state)
{
    (void)state;
    tier_csv_options o = opts_default();
    const char *cats[] = { "country" };
    const char *nums[] = { "age" };
    o.order_column = "order";
    o.categorical_columns = cats;
    o.n_categorical_columns = 1;
    o.numeric_columns = nums;
    o.n_numeric_columns = 1;
    tier_csv_report *rep = NULL;
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_load_csv(&ds, &rep, test_data_path("csv/small.csv"), &o));
    assert_int_equal(tier_dataset_size(ds), 3);
    assert_string_equal(tier_dataset_customer_id(ds, 0), "C1");
    assert_string_equal(tier_dataset_customer_id(ds, 1), "C2");
    assert_string_equal(tier_dataset_customer_id(ds, 2), "C3");
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS), 4);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_USED), 4);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_BAD), 0);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_NO_CUSTOMER), 0);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_BYTES), 178);
    assert_int_equal(tier_csv_report_message_count(rep), 0);
    tier_csv_report_free(rep);

    /* 2011-01-04 08:26 (US format) is the latest time; as_of is one day later. */
    const int64_t last = T0 + 3 * DAY + 8 * 3600 + 26 * 60;
    assert_int_equal(tier_dataset_as_of(ds), last + DAY);
    assert_true(num(ds, "C1", "monetary") == 5.25);
    assert_true(num(ds, "C1", "frequency") == 1);
    assert_true(num(ds, "C1", "returns") == 1);
    assert_true(num(ds, "C1", "returns_value") == 5.25);
    assert_true(num(ds, "C1", "last_purchase") == (double)(T0 + 10 * 3600));
    assert_true(num(ds, "C2", "first_purchase") == (double)(T0 + DAY));
    assert_true(num(ds, "C3", "last_purchase") == (double)last);
    assert_true(num(ds, "C3", "recency") == 1.0);
    /* Attributes: value of the latest transaction; empty fields are missing. */
    assert_string_equal(cat(ds, "C1", "country"), "Germany"); /* the return is later */
    assert_string_equal(cat(ds, "C2", "country"), "France");
    assert_null(cat(ds, "C3", "country"));
    assert_true(num(ds, "C1", "age") == 31);
    assert_true(isnan(num(ds, "C2", "age")));
    assert_true(num(ds, "C3", "age") == 40);
    tier_dataset_free(ds);
}

/* add_csv adds to existing customers, like add_transactions. */
static void test_add_incremental(void **state)
{
    (void)state;
    tier_dataset *ds = one_customer_ds(0);
    tier_csv_options o = opts_default();
    const char *p1 = test_write_file("inc1.csv", "customer_id,time,amount\nx,2011-01-02,2\ny,2011-01-03,3\n");
    const char *p2 = test_write_file("inc2.csv", "customer_id,time,amount\ny,2011-01-05,4\nx,2011-01-04,-1\n");
    TIER_CHECK(tier_dataset_add_csv(NULL, ds, p1, &o));
    assert_true(tier_dataset_is_stale(ds));
    TIER_CHECK(tier_dataset_add_csv(NULL, ds, p2, &o));
    TIER_CHECK(tier_dataset_compute_features(ds, TIER_AS_OF_AUTO));
    assert_int_equal(tier_dataset_size(ds), 2);
    assert_int_equal(tier_dataset_transaction_count(ds), 5);
    assert_true(num(ds, "x", "monetary") == 2.0);
    assert_true(num(ds, "x", "frequency") == 2);
    assert_true(num(ds, "x", "returns") == 1);
    assert_true(num(ds, "y", "monetary") == 7.0);
    tier_dataset_free(ds);
}

/* ---- edge cases of issue 2 ------------------------------------------------------------------- */

static void test_empty_file(void **state)
{
    (void)state;
    tier_dataset *ds = NULL;
    tier_csv_report *rep = NULL;
    const char *path = test_write_file("empty.csv", "");
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, &rep, path, NULL), TIER_EEMPTY, "empty.csv: the file is empty");
    assert_null(ds);
    assert_non_null(rep);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS), 0);
    tier_csv_report_free(rep);
    /* Only blank lines: still no header. */
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, NULL, test_write_file("blank.csv", "\n\r\n\n"), NULL),
                      TIER_EEMPTY, "empty");
    /* Without a header an empty file is just no rows; adding it changes nothing. */
    tier_dataset *x = one_customer_ds(0);
    tier_csv_options o = opts_default();
    o.has_header = 0;
    o.customer_column = "#1";
    o.time_column = "#2";
    o.amount_column = "#3";
    TIER_CHECK(tier_dataset_add_csv(NULL, x, path, &o));
    assert_unchanged(x);
    tier_dataset_free(x);
}

static void test_header_only(void **state)
{
    (void)state;
    tier_csv_options o = opts_default();
    const char *cats[] = { "country" };
    o.categorical_columns = cats;
    o.n_categorical_columns = 1;
    const char *path = test_write_file("header.csv", "customer_id,time,amount,country\n");
    tier_dataset *ds = NULL;
    tier_csv_report *rep = NULL;
    /* Nothing to compute an automatic as_of from. */
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, &rep, path, &o), TIER_EEMPTY, "header.csv");
    assert_null(ds);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS), 0);
    tier_csv_report_free(rep);
    /* With an explicit as_of the result is an empty dataset with its columns. */
    o.as_of = T0;
    TIER_CHECK(tier_dataset_load_csv(&ds, NULL, path, &o));
    assert_int_equal(tier_dataset_size(ds), 0);
    tier_column_type type;
    TIER_CHECK(tier_dataset_column_type(&type, ds, "country"));
    assert_int_equal(type, TIER_COLUMN_CATEGORICAL);
    tier_dataset_free(ds);
    /* A header without a final line end is a header too. */
    o.as_of = T0;
    TIER_CHECK(tier_dataset_load_csv(&ds, NULL, test_write_file("header2.csv", "customer_id,time,amount,country"), &o));
    assert_int_equal(tier_dataset_size(ds), 0);
    tier_dataset_free(ds);
}

static void test_one_customer(void **state)
{
    (void)state;
    tier_dataset *ds = load_text("one.csv",
                                 "customer_id,time,amount\n"
                                 "42,2011-01-01 00:00:00,10\n"
                                 "42,2011-01-01 12:00:00,5\n"
                                 "42,2011-01-11 00:00:00,2.5\n",
                                 NULL, NULL);
    assert_int_equal(tier_dataset_size(ds), 1);
    assert_true(num(ds, "42", "monetary") == 17.5);
    assert_true(num(ds, "42", "frequency") == 3); /* no order column: every row is an order */
    assert_true(num(ds, "42", "purchase_days") == 2);
    assert_true(num(ds, "42", "repeat_count") == 1);
    assert_true(num(ds, "42", "recency") == 1.0);
    assert_true(num(ds, "42", "t_x") == 10.0);
    assert_true(num(ds, "42", "T") == 11.0);
    tier_dataset_free(ds);
}

static void test_all_returns(void **state)
{
    (void)state;
    tier_csv_options o = opts_default();
    o.order_column = "invoice";
    tier_dataset *ds = load_text("returns.csv",
                                 "customer_id,invoice,time,amount\n"
                                 "r,C1,2011-01-01,-10\n"
                                 "r,C1,2011-01-01,-5\n"
                                 "r,C2,2011-01-03,-2.5\n"
                                 "p,9,2011-01-02,3\n",
                                 &o, NULL);
    assert_true(num(ds, "r", "monetary") == -17.5);
    assert_true(num(ds, "r", "frequency") == 0);
    assert_true(num(ds, "r", "returns") == 2);
    assert_true(num(ds, "r", "returns_value") == 17.5);
    assert_true(isnan(num(ds, "r", "recency")));
    assert_true(isnan(num(ds, "r", "first_purchase")));
    assert_true(isnan(num(ds, "r", "avg_order_value")));
    assert_true(num(ds, "r", "tenure") == 3.0); /* first transaction of any kind */
    assert_true(num(ds, "p", "frequency") == 1);
    tier_dataset_free(ds);
}

/* Amount 0 (a free item) counts as neither purchase nor return but is a transaction. */
static void test_zero_amount(void **state)
{
    (void)state;
    tier_dataset *ds = load_text("zero.csv",
                                 "customer_id,time,amount\n"
                                 "z,2011-01-01,0\n"
                                 "z,2011-01-05,0.00\n"
                                 "w,2011-01-02,1\n",
                                 NULL, NULL);
    assert_int_equal(tier_dataset_transaction_count(ds), 3);
    assert_true(num(ds, "z", "monetary") == 0.0);
    assert_true(num(ds, "z", "frequency") == 0);
    assert_true(num(ds, "z", "returns") == 0);
    assert_true(isnan(num(ds, "z", "recency")));
    assert_true(num(ds, "z", "tenure") == 5.0); /* as_of = 2011-01-06 */
    tier_dataset_free(ds);
}

/* Strict: first bad row stops with file:line:field; skip: counted, messages in file order. */
static void test_malformed_quotes(void **state)
{
    (void)state;
    const char *text = "customer_id,time,amount\n"      /* line 1 */
                       "a,2011-01-01,1\n"                /* 2 */
                       "\"b\"x,2011-01-01,2\n"           /* 3: text after a closing quote */
                       "c,2011-01-01,3\n"                /* 4 */
                       "d\"d,2011-01-01,4\n"             /* 5: quote inside an unquoted field */
                       "\"e\",\"2011-01-01\",\"5\"\n"    /* 6: fine */
                       "f,2011-01-01,\"6\n";             /* 7: unterminated */
    const char *path = test_write_file("quotes.csv", text);
    tier_dataset *ds = one_customer_ds(0);
    tier_csv_report *rep = NULL;
    TIER_EXPECT_ERROR(tier_dataset_add_csv(&rep, ds, path, NULL), TIER_EPARSE, "quotes.csv:3:1: malformed quoted field");
    assert_unchanged(ds);
    /* The report of a failed load still has the counts up to the bad row. */
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS), 2);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_BAD), 1);
    assert_int_equal(tier_csv_report_message_count(rep), 1);
    assert_non_null(strstr(tier_csv_report_message(rep, 0), "quotes.csv:3:1:"));
    tier_csv_report_free(rep);

    tier_csv_options o = opts_default();
    o.bad_rows = TIER_BAD_ROWS_SKIP;
    TIER_CHECK(tier_dataset_add_csv(&rep, ds, path, &o));
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS), 6);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_BAD), 3);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_USED), 3);
    assert_int_equal(tier_csv_report_message_count(rep), 3);
    assert_non_null(strstr(tier_csv_report_message(rep, 0), "quotes.csv:3:1: malformed quoted field"));
    assert_non_null(strstr(tier_csv_report_message(rep, 1), "quotes.csv:5:1: malformed field (a quote inside an unquoted field"));
    assert_non_null(strstr(tier_csv_report_message(rep, 2), "quotes.csv:7:3: unterminated quoted field"));
    assert_null(tier_csv_report_message(rep, 3));
    tier_csv_report_free(rep);
    assert_int_equal(tier_dataset_size(ds), 1 + 3);
    size_t row;
    TIER_CHECK(tier_dataset_find(&row, ds, "e"));
    assert_int_equal(tier_dataset_find(&row, ds, "b"), TIER_ENOTFOUND);
    tier_dataset_free(ds);
}

/* Quoted ids with delimiters, doubled quotes and line ends; line numbers stay physical. */
static void test_quoted_ids(void **state)
{
    (void)state;
    tier_csv_options o = opts_default();
    o.bad_rows = TIER_BAD_ROWS_SKIP;
    tier_csv_report *rep = NULL;
    tier_dataset *ds = load_text("ids.csv",
                                 "customer_id,time,amount\n"
                                 "\"Smith, John\",2011-01-01,1\n"
                                 "\"say \"\"hi\"\"\",2011-01-01,2\n"
                                 "\"two\nlines\",2011-01-01,3\n"
                                 "\"\",2011-01-01,4\n"
                                 "\"  17850.0 \",2011-01-01,5\n"
                                 "17850,2011-01-02,6\n"
                                 "\"Smith, John\",bad,7\n",
                                 &o, &rep);
    assert_int_equal(tier_dataset_size(ds), 4);
    assert_true(num(ds, "Smith, John", "monetary") == 1);
    assert_true(num(ds, "say \"hi\"", "monetary") == 2);
    assert_true(num(ds, "two\nlines", "monetary") == 3);
    assert_true(num(ds, "17850", "monetary") == 11);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_NO_CUSTOMER), 1);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_BAD), 1);
    /* The bad row is on physical line 9 (the quoted id spans lines 4-5). */
    assert_non_null(strstr(tier_csv_report_message(rep, 0), "ids.csv:9:2: time 'bad'"));
    tier_csv_report_free(rep);
    tier_dataset_free(ds);
}

static void test_id_normalisation(void **state)
{
    (void)state;
    tier_dataset *ds = load_text("norm.csv",
                                 "customer_id,time,amount\n"
                                 "17850.0,2011-01-01,1\n"
                                 " 17850 ,2011-01-01,1\n"
                                 "17850.000,2011-01-01,1\n"
                                 "12.50,2011-01-01,1\n"
                                 "-3.0,2011-01-01,1\n"
                                 "A1.0,2011-01-01,1\n"
                                 "1e5,2011-01-01,1\n"
                                 "   ,2011-01-01,1\n",
                                 NULL, NULL);
    assert_int_equal(tier_dataset_size(ds), 5);
    assert_true(num(ds, "17850", "monetary") == 3);
    assert_true(num(ds, "12.50", "monetary") == 1);
    assert_true(num(ds, "-3", "monetary") == 1);
    assert_true(num(ds, "A1.0", "monetary") == 1);
    assert_true(num(ds, "1e5", "monetary") == 1);
    tier_dataset_free(ds);
}

/* Consecutive rows that differ in one middle byte of a long id or of the time: the parser
 * reuses the previous row's hash and time only for identical bytes. */
static void test_repeated_fields(void **state)
{
    (void)state;
    tier_dataset *ds = load_text("repeat.csv",
                                 "customer_id,time,amount\n"
                                 "customer-0000000001-x,2011-12-09 12:50:00,1\n"
                                 "customer-0000000001-x,2011-12-09 12:50:00,2\n"
                                 "customer-0000000101-x,2011-12-09 12:50:00,4\n"
                                 "customer-0000000101-x,2011-12-09 13:50:00,8\n"
                                 "customer-0000000101-x,2011-12-08 13:50:00,16\n"
                                 "customer-0000000001-x,2011-12-08 13:50:00,32\n",
                                 NULL, NULL);
    assert_int_equal(tier_dataset_size(ds), 2);
    assert_true(num(ds, "customer-0000000001-x", "monetary") == 35);
    assert_true(num(ds, "customer-0000000101-x", "monetary") == 28);
    assert_true(num(ds, "customer-0000000101-x", "purchase_days") == 2);
    /* as_of = 2011-12-10 13:50: the last purchases were 1 day, and 1 day 1 hour, before */
    assert_true(num(ds, "customer-0000000101-x", "recency") == 1.0);
    assert_true(fabs(num(ds, "customer-0000000001-x", "recency") - 25.0 / 24) < 1e-12);
    assert_true(num(ds, "customer-0000000001-x", "first_purchase") == 1323352200.0); /* 12-08 13:50 */
    tier_dataset_free(ds);
}

/* Every allocation of a load fails in turn: each such load either fails with ENOMEM and a
 * message, leaving nothing allocated, or (an allocation whose failure is absorbed) gives the
 * normal result; none may succeed with less. */
static void test_allocation_failures(void **state)
{
    (void)state;
    const char *path = test_write_file("oom.csv",
                                       "customer_id,order_id,time,amount,country\n"
                                       "a,o1,2011-01-01 10:00:00,10,FR\n"
                                       "a,o1,2011-01-01 10:00:00,5,FR\n"
                                       "b,o2,2011-01-02 11:00:00,-3,DE\n"
                                       "\"c,1\",o3,2011-01-03 12:00:00,7.5,\n"
                                       "a,o4,2011-01-09 09:00:00,1,UK\n");
    tier_csv_options o = TIER_CSV_OPTIONS_INIT;
    o.order_column = "order_id";
    const char *cats[] = { "country" };
    o.categorical_columns = cats;
    o.n_categorical_columns = 1;
    o.n_threads = 1;
    tier_dataset *want = NULL;
    TIER_CHECK(tier_dataset_load_csv(&want, NULL, path, &o));
    size_t failures = 0;
    for (size_t k = 1;; k++) {
        test_alloc f = { .fail_at = k };
        tier_allocator a = test_allocator_of(&f);
        o.allocator = &a;
        tier_dataset *ds = NULL;
        tier_csv_report *rep = NULL;
        int rc = tier_dataset_load_csv(&ds, &rep, path, &o);
        if (rc == TIER_OK) {
            /* feature columns are filled when first read: no failure is armed for that */
            const int untouched = f.calls < k;
            f.fail_at = 0;
            assert_non_null(ds);
            assert_same_dataset(want, ds);
            tier_dataset_free(ds);
            tier_csv_report_free(rep);
            assert_int_equal(f.live, 0);
            if (untouched)
                break; /* no allocation was failed: every one has been tried */
            continue;
        }
        failures++;
        if (rc != TIER_ENOMEM)
            fail_msg("allocation %zu: status %d (%s), not ENOMEM", k, rc, tier_last_error());
        assert_true(tier_last_error()[0] != '\0');
        assert_null(ds);
        tier_csv_report_free(rep);
        assert_int_equal(f.live, 0);
    }
    assert_true(failures > 10);
    tier_dataset_free(want);
}

static void test_bad_dates(void **state)
{
    (void)state;
    tier_csv_options o = opts_default();
    o.bad_rows = TIER_BAD_ROWS_SKIP;
    o.max_messages = 100;
    tier_csv_report *rep = NULL;
    tier_dataset *ds = load_text("dates.csv",
                                 "customer_id,time,amount\n"
                                 "ok,2012-02-29,1\n"              /* leap day */
                                 "a,2011-02-29,1\n"               /* 3: not a leap year */
                                 "b,2011-13-01,1\n"               /* 4 */
                                 "c,2011-04-31,1\n"               /* 5 */
                                 "d,2011-01-01 24:00:00,1\n"      /* 6 */
                                 "e,2011-01-01 10:60,1\n"         /* 7 */
                                 "f,yesterday,1\n"                /* 8 */
                                 "g,,1\n"                         /* 9 */
                                 "h,2011-01-01 10:00:00+25:00,1\n"/* 10 */
                                 "i,1900-02-29,1\n"               /* 11: not a leap year */
                                 "j,2011-00-10,1\n"               /* 12 */
                                 "k,13/1/2011 10:00,1\n"          /* 13: month 13 (M/D/Y) */
                                 "l,2011-01-01x,1\n"              /* 14 */
                                 "ok,2000-02-29 23:59:59,1\n",    /* 15: leap (400 rule) */
                                 &o, &rep);
    assert_int_equal(tier_dataset_size(ds), 1);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_BAD), 12);
    assert_int_equal(tier_csv_report_message_count(rep), 12);
    const char *expect[] = {
        "dates.csv:3:2: time '2011-02-29': day out of range",
        "dates.csv:4:2: time '2011-13-01': month out of range",
        "dates.csv:5:2: time '2011-04-31': day out of range",
        "dates.csv:6:2: time '2011-01-01 24:00:00': hour out of range",
        "dates.csv:7:2: time '2011-01-01 10:60': minute out of range",
        "dates.csv:8:2: time 'yesterday': not a recognised time",
        "dates.csv:9:2: time '': time is empty",
        "dates.csv:10:2: time '2011-01-01 10:00:00+25:00': UTC offset out of range",
        "dates.csv:11:2: time '1900-02-29': day out of range",
        "dates.csv:12:2: time '2011-00-10': month out of range",
        "dates.csv:13:2: time '13/1/2011 10:00': month out of range",
        "dates.csv:14:2: time '2011-01-01x': not a recognised time",
    };
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++)
        if (!strstr(tier_csv_report_message(rep, i), expect[i]))
            fail_msg("message %zu: '%s' lacks '%s'", i, tier_csv_report_message(rep, i), expect[i]);
    tier_csv_report_free(rep);
    assert_true(num(ds, "ok", "first_purchase") == 951782400.0 + 86399);
    assert_true(num(ds, "ok", "last_purchase") == 1330473600.0);
    tier_dataset_free(ds);

    /* Strict: the first one stops the load. */
    ds = NULL;
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, NULL, test_temp_path("dates.csv"), NULL),
                      TIER_EPARSE, "dates.csv:3:2: time '2011-02-29': day out of range for the month");
    assert_null(ds);
}

static void test_time_formats(void **state)
{
    (void)state;
    tier_dataset *ds = load_text("times.csv",
                                 "customer_id,time,amount\n"
                                 "a,2011-01-01,1\n"
                                 "b,2011-01-01T10:20:30,1\n"
                                 "c,2011-01-01t10:20:30.999Z,1\n"
                                 "d,2011-01-01 10:20,1\n"
                                 "e,2011-01-01T10:20:30+02:00,1\n"
                                 "f,2011-01-01T10:20:30-0130,1\n"
                                 "g,2011-01-01 10:20:30+05,1\n"
                                 "h,1/2/2011 8:26,1\n"
                                 "i,12/31/2010 23:59:59,1\n"
                                 "j,  2011-01-01 10:20:30  ,1\n"
                                 "k,1/2/2011,1\n"
                                 "l,1969-12-31 23:59:59,1\n"
                                 "m,0001-01-01,1\n"
                                 "n,2011-01-01t10:20:30,1\n"
                                 "o,9999-12-31 23:59:59,1\n",
                                 NULL, NULL);
    const double base = (double)T0, clock = 10 * 3600 + 20 * 60 + 30;
    assert_true(num(ds, "a", "first_purchase") == base);
    assert_true(num(ds, "b", "first_purchase") == base + clock);
    assert_true(num(ds, "c", "first_purchase") == base + clock); /* fraction truncated */
    assert_true(num(ds, "d", "first_purchase") == base + clock - 30);
    assert_true(num(ds, "e", "first_purchase") == base + clock - 2 * 3600);
    assert_true(num(ds, "f", "first_purchase") == base + clock + 90 * 60);
    assert_true(num(ds, "g", "first_purchase") == base + clock - 5 * 3600);
    assert_true(num(ds, "h", "first_purchase") == base + DAY + 8 * 3600 + 26 * 60);
    assert_true(num(ds, "i", "first_purchase") == base - 1);
    assert_true(num(ds, "j", "first_purchase") == base + clock);
    assert_true(num(ds, "k", "first_purchase") == base + DAY);
    assert_true(num(ds, "l", "first_purchase") == -1.0);
    assert_true(num(ds, "m", "first_purchase") == -62135596800.0);
    assert_true(num(ds, "n", "first_purchase") == base + clock);
    assert_true(num(ds, "o", "first_purchase") == 253402300799.0);
    tier_dataset_free(ds);

    /* A user format. */
    tier_csv_options o = opts_default();
    o.time_format = "%d.%m.%y %H.%M.%S%%";
    o.bad_rows = TIER_BAD_ROWS_SKIP;
    tier_csv_report *rep = NULL;
    ds = load_text("fmt.csv",
                   "customer_id,time,amount\n"
                   "a,01.01.11 10.20.30%,1\n"
                   "b,2.1.11 0.0.0%,1\n"
                   "c,31.12.69 0.0.0%,1\n"
                   "d,2011-01-01,1\n"
                   "e,30.02.11 0.0.0%,1\n",
                   &o, &rep);
    assert_true(num(ds, "a", "first_purchase") == base + clock);
    assert_true(num(ds, "b", "first_purchase") == base + DAY);
    assert_true(num(ds, "c", "first_purchase") == -86400.0); /* %y: 69 is 1969 */
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_BAD), 2);
    assert_non_null(strstr(tier_csv_report_message(rep, 0), "fmt.csv:5:2: time '2011-01-01': does not match"));
    assert_non_null(strstr(tier_csv_report_message(rep, 1), "fmt.csv:6:2: time '30.02.11 0.0.0%': day out of range"));
    tier_csv_report_free(rep);
    tier_dataset_free(ds);
}

static void test_bad_amounts(void **state)
{
    (void)state;
    tier_csv_options o = opts_default();
    o.bad_rows = TIER_BAD_ROWS_SKIP;
    tier_csv_report *rep = NULL;
    tier_dataset *ds = load_text("amounts.csv",
                                 "customer_id,time,amount\n"
                                 "a,2011-01-01,NaN\n"
                                 "b,2011-01-01,inf\n"
                                 "c,2011-01-01,-Infinity\n"
                                 "d,2011-01-01,\n"
                                 "e,2011-01-01,1e999\n"
                                 "f,2011-01-01,12abc\n"
                                 "g,2011-01-01,\"1,5\"\n"
                                 "h,2011-01-01, -2.5e1 \n"
                                 "i,2011-01-01,+.5\n"
                                 "j,2011-01-01,5.\n"
                                 "k,2011-01-01,.\n"
                                 "l,2011-01-01,1e\n",
                                 &o, &rep);
    assert_int_equal(tier_dataset_size(ds), 3);
    assert_true(num(ds, "h", "monetary") == -25.0);
    assert_true(num(ds, "i", "monetary") == 0.5);
    assert_true(num(ds, "j", "monetary") == 5.0);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_BAD), 9);
    const char *expect[] = {
        "amounts.csv:2:3: amount 'NaN' is not finite",
        "amounts.csv:3:3: amount 'inf' is not finite",
        "amounts.csv:4:3: amount '-Infinity' is not finite",
        "amounts.csv:5:3: amount is empty",
        "amounts.csv:6:3: amount '1e999' is out of range",
        "amounts.csv:7:3: amount '12abc' is not a number",
        "amounts.csv:8:3: amount '1,5' is not a number",
        "amounts.csv:12:3: amount '.' is not a number",
        "amounts.csv:13:3: amount '1e' is not a number",
    };
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++)
        if (!strstr(tier_csv_report_message(rep, i), expect[i]))
            fail_msg("message %zu: '%s' lacks '%s'", i, tier_csv_report_message(rep, i), expect[i]);
    tier_csv_report_free(rep);
    tier_dataset_free(ds);

    /* quantity x price: both must be numbers, the product must be finite. */
    o = opts_default();
    o.quantity_column = "q";
    o.price_column = "p";
    o.bad_rows = TIER_BAD_ROWS_SKIP;
    ds = load_text("qp.csv",
                   "customer_id,time,q,p\n"
                   "a,2011-01-01,3,0.1\n"
                   "a,2011-01-02,-1,0.1\n"
                   "b,2011-01-01,1e200,1e200\n"
                   "c,2011-01-01,x,1\n"
                   "d,2011-01-01,2,nan\n",
                   &o, &rep);
    assert_true(num(ds, "a", "monetary") == 3 * 0.1 + -1 * 0.1);
    assert_true(num(ds, "a", "returns_value") == 0.1);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_BAD), 3);
    assert_non_null(strstr(tier_csv_report_message(rep, 0), "qp.csv:4:3: amount q x p overflows"));
    assert_non_null(strstr(tier_csv_report_message(rep, 1), "qp.csv:5:3: q 'x' is not a number"));
    assert_non_null(strstr(tier_csv_report_message(rep, 2), "qp.csv:6:4: p 'nan' is not finite"));
    tier_csv_report_free(rep);
    tier_dataset_free(ds);
}

/* Every amount must be the correctly rounded double of its text (compared with strtod). */
/* Customer <prefix><i> has the one amount `text`: its monetary value is strtod's, bit for
 * bit. */
static void assert_amount_exact(const tier_dataset *ds, const char *prefix, size_t i, const char *text)
{
    char id[24];
    snprintf(id, sizeof id, "%s%zu", prefix, i);
    double want = strtod(text, NULL), got = num(ds, id, "monetary");
    if (memcmp(&want, &got, sizeof got) != 0)
        fail_msg("'%s' -> %.17g, expected %.17g", text, got, want);
}

static void test_number_rounding(void **state)
{
    (void)state;
    static const char *texts[] = {
        "0.1", "0.3", "2.55", "4.35", "17.85", "123456.789", "9007199254740993",
        "9007199254740992", "1e22", "1e23", "8.5e-5", "1.7976931348623157e308",
        "2.2250738585072011e-308", "4.9406564584124654e-324", "123456789012345678901234567890",
        "0.1000000000000000055511151231257827021181583404541015625",
        "0.10000000000000000555111512312578270211815834045410156250000000001",
        "1.00000000000000011102230246251565404236316680908203125",
        "1.000000000000000111022302462515654042363166809082031250000000001",
        "3.14159265358979323846264338327950288419716939937510", "0.000001", "1E-7",
        "00012.5000", "7.", "1e-400",
    };
    size_t n = sizeof texts / sizeof *texts;
    char *csv = malloc(64 + n * 160);
    size_t k = (size_t)sprintf(csv, "customer_id,time,amount\n");
    for (size_t i = 0; i < n; i++)
        k += (size_t)sprintf(csv + k, "n%zu,2011-01-01,%s\n", i, texts[i]);
    tier_dataset *ds = load_text("numbers.csv", csv, NULL, NULL);
    free(csv);
    for (size_t i = 0; i < n; i++)
        assert_amount_exact(ds, "n", i, texts[i]);
    tier_dataset_free(ds);

    /* Plain decimals of 1 to 17 digits (the loader's inline path takes up to 15), signs and
     * points anywhere: the value strtod gives, bit for bit. */
    enum { RANDOM = 20000 };
    static char amounts[RANDOM][24];
    csv = malloc(64 + RANDOM * 48);
    k = (size_t)sprintf(csv, "customer_id,time,amount\n");
    unsigned s = 7;
    for (size_t i = 0; i < RANDOM; i++) {
        char *a = amounts[i];
        size_t len = 0, digits = 1 + i % 17;
        s = s * 1103515245u + 12345u;
        if (s >> 31)
            a[len++] = '-';
        size_t point = (s >> 8) % (digits + 2); /* digits + 1: no point */
        for (size_t d = 0; d < digits; d++) {
            if (d == point)
                a[len++] = '.';
            s = s * 1103515245u + 12345u;
            a[len++] = (char)('0' + (d == 0 ? 1 + (s >> 16) % 9 : (s >> 16) % 10));
        }
        if (point == digits)
            a[len++] = '.';
        a[len] = '\0';
        k += (size_t)sprintf(csv + k, "r%zu,2011-01-01,%s\n", i, a);
    }
    ds = load_text("plain_numbers.csv", csv, NULL, NULL);
    free(csv);
    for (size_t i = 0; i < RANDOM; i++)
        assert_amount_exact(ds, "r", i, amounts[i]);
    tier_dataset_free(ds);
}

/* A file cut in the middle of a row or of a quoted field. */
static void test_cut_file(void **state)
{
    (void)state;
    tier_dataset *ds = NULL;
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, NULL,
                                            test_write_file("cut.csv", "customer_id,time,amount\na,2011-01-01,1\nb,2011-01-0"),
                                            NULL),
                      TIER_EPARSE, "cut.csv:3:3: row has 2 fields, expected 3 (the file ends in the middle of a row)");
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, NULL,
                                            test_write_file("cut2.csv", "customer_id,time,amount\na,2011-01-01,1\nb,2011-01-01,1e"),
                                            NULL),
                      TIER_EPARSE, "cut2.csv:3:3: amount '1e' is not a number");
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, NULL,
                                            test_write_file("cut3.csv", "customer_id,time,amount\na,2011-01-01,1\n\"b\nxx,2011"),
                                            NULL),
                      TIER_EPARSE, "cut3.csv:3:1: unterminated quoted field");
    assert_null(ds);
    /* A last row without a line end is fine when complete. */
    ds = load_text("nolf.csv", "customer_id,time,amount\na,2011-01-01,1", NULL, NULL);
    assert_int_equal(tier_dataset_size(ds), 1);
    tier_dataset_free(ds);
}

static void test_ragged_rows(void **state)
{
    (void)state;
    tier_csv_options o = opts_default();
    o.bad_rows = TIER_BAD_ROWS_SKIP;
    tier_csv_report *rep = NULL;
    tier_dataset *ds = load_text("ragged.csv",
                                 "customer_id,time,amount\n"
                                 "a,2011-01-01,1,extra\n"
                                 "b,2011-01-01\n"
                                 "c\n"
                                 "d,2011-01-01,1,\n"
                                 "\n"
                                 "e,2011-01-01,1\n",
                                 &o, &rep);
    assert_int_equal(tier_dataset_size(ds), 1);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS), 5); /* the blank line is no row */
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_BAD), 4);
    assert_non_null(strstr(tier_csv_report_message(rep, 0), "ragged.csv:2:4: row has 4 fields, expected 3"));
    assert_non_null(strstr(tier_csv_report_message(rep, 1), "ragged.csv:3:3: row has 2 fields, expected 3"));
    assert_non_null(strstr(tier_csv_report_message(rep, 2), "ragged.csv:4:2: row has 1 field, expected 3"));
    assert_non_null(strstr(tier_csv_report_message(rep, 3), "ragged.csv:5:4: row has 4 fields"));
    tier_csv_report_free(rep);
    tier_dataset_free(ds);
}

static void test_crlf_bom_delimiter(void **state)
{
    (void)state;
    const char *lf = "customer_id,time,amount,order\n"
                     "a,2011-01-01 10:00,1.5,o1\n"
                     "\"b\",2011-01-02,2,\"o2\"\n"
                     "a,2011-01-03,-1,\n";
    const char *crlf = "\xEF\xBB\xBF" "customer_id,time,amount,order\r\n"
                       "a,2011-01-01 10:00,1.5,o1\r\n"
                       "\"b\",2011-01-02,2,\"o2\"\r\n"
                       "a,2011-01-03,-1,\r\n";
    const char *semi = "customer_id;time;amount;order\r\n"
                       "a;2011-01-01 10:00;1.5;o1\r\n"
                       "b;2011-01-02;2;o2\r\n"
                       "a;2011-01-03;-1;\r\n";
    const char *tab = "customer_id\ttime\tamount\torder\n"
                      "a\t2011-01-01 10:00\t1.5\to1\n"
                      "b\t2011-01-02\t2\to2\n"
                      "a\t2011-01-03\t-1\t\n";
    tier_csv_options o = opts_default();
    o.order_column = "order";
    tier_dataset *a = load_text("lf.csv", lf, &o, NULL);
    tier_dataset *b = load_text("crlf.csv", crlf, &o, NULL);
    o.delimiter = ';';
    tier_dataset *c = load_text("semi.csv", semi, &o, NULL);
    o.delimiter = '\t';
    tier_dataset *d = load_text("tab.csv", tab, &o, NULL);
    assert_true(num(a, "a", "monetary") == 0.5);
    assert_true(num(a, "a", "returns") == 1); /* an empty order id: the row is its own order */
    assert_same_dataset(a, b);
    assert_same_dataset(a, c);
    assert_same_dataset(a, d);
    tier_dataset_free(a);
    tier_dataset_free(b);
    tier_dataset_free(c);
    tier_dataset_free(d);
}

static void test_no_header(void **state)
{
    (void)state;
    tier_csv_options o = opts_default();
    o.has_header = 0;
    o.customer_column = "#2";
    o.time_column = "#1";
    o.amount_column = "#3";
    const char *cats[] = { "#4" };
    o.categorical_columns = cats;
    o.n_categorical_columns = 1;
    tier_dataset *ds = load_text("nohdr.csv", "2011-01-01,a,1,x\n2011-01-02,b,2,y\n", &o, NULL);
    assert_int_equal(tier_dataset_size(ds), 2);
    assert_true(num(ds, "b", "monetary") == 2);
    assert_string_equal(cat(ds, "a", "#4"), "x"); /* without a header the column keeps its reference */
    tier_dataset_free(ds);
    o.amount_column = "amount";
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, NULL, test_temp_path("nohdr.csv"), &o),
                      TIER_ENOTFOUND, "the file has no header");
    o.amount_column = "#5";
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, NULL, test_temp_path("nohdr.csv"), &o),
                      TIER_ENOTFOUND, "'#5' is out of range (the rows have 4 fields");
    /* With a header, positions name the header's columns. */
    o = opts_default();
    o.customer_column = "#1";
    const char *cat2[] = { "#4" };
    o.categorical_columns = cat2;
    o.n_categorical_columns = 1;
    ds = load_text("pos.csv", "customer_id,time,amount,Country\na,2011-01-01,1,UK\n", &o, NULL);
    assert_string_equal(cat(ds, "a", "Country"), "UK");
    tier_dataset_free(ds);
}

static void test_unknown_column(void **state)
{
    (void)state;
    tier_csv_options o = opts_default();
    o.customer_column = "CustomerId";
    o.time_column = "InvoiceDate";
    o.quantity_column = "Quantity";
    o.price_column = "UnitPrice";
    tier_dataset *ds = NULL;
    const char *path = example_data_path("online_retail.csv.gz");
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, NULL, path, &o), TIER_ENOTFOUND,
                      "no customer id column 'CustomerId' in the header (did you mean 'CustomerID'?)");
    o.customer_column = "CustomerID";
    o.order_column = "zzzzzzzzzzzz";
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, NULL, path, &o), TIER_ENOTFOUND,
                      "no order id column 'zzzzzzzzzzzz' in the header (columns: 'InvoiceNo', 'StockCode'");
    assert_null(ds);
    /* Missing files and directories. */
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, NULL, test_temp_path("nope.csv"), NULL),
                      TIER_ENOTFOUND, "nope.csv: no such file");
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, NULL, test_data_path("csv"), NULL), TIER_EIO,
                      "is a directory");
}

static void test_gzip(void **state)
{
    (void)state;
    tier_csv_options o = opts_default();
    const char *cats[] = { "country" };
    o.order_column = "order";
    o.categorical_columns = cats;
    o.n_categorical_columns = 1;
    tier_dataset *plain = NULL, *gz = NULL, *multi = NULL;
    tier_csv_report *rep = NULL;
    TIER_CHECK(tier_dataset_load_csv(&plain, NULL, test_data_path("csv/small.csv"), &o));
    TIER_CHECK(tier_dataset_load_csv(&gz, &rep, test_data_path("csv/small.csv.gz"), &o));
    TIER_CHECK(tier_dataset_load_csv(&multi, NULL, test_data_path("csv/multi_member.csv.gz"), &o));
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_BYTES), 178); /* decompressed */
    tier_csv_report_free(rep);
    assert_same_dataset(plain, gz);
    assert_same_dataset(plain, multi);
    tier_dataset_free(plain);
    tier_dataset_free(gz);
    tier_dataset_free(multi);

    tier_dataset *ds = one_customer_ds(0);
    TIER_EXPECT_ERROR(tier_dataset_add_csv(NULL, ds, test_data_path("csv/truncated.csv.gz"), &o),
                      TIER_EIO, "truncated gzip data");
    TIER_EXPECT_ERROR(tier_dataset_add_csv(NULL, ds, test_data_path("csv/corrupt.csv.gz"), &o),
                      TIER_EIO, "corrupt gzip data");
    assert_unchanged(ds);
    tier_dataset_free(ds);
}

static void test_join(void **state)
{
    (void)state;
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_load_csv(&ds, NULL, test_data_path("csv/small.csv"), NULL));
    tier_csv_options o = opts_default();
    o.delimiter = ';';
    o.customer_column = "id";
    const char *cats[] = { "segment", "note" };
    const char *nums[] = { "#3" };
    o.categorical_columns = cats;
    o.n_categorical_columns = 2;
    o.numeric_columns = nums;
    o.n_numeric_columns = 1;
    tier_csv_report *rep = NULL;
    TIER_CHECK(tier_dataset_join_csv(&rep, ds, test_data_path("csv/customers.csv"), &o));
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS), 6);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_USED), 4);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_UNMATCHED), 1);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_NO_CUSTOMER), 1);
    tier_csv_report_free(rep);
    assert_string_equal(cat(ds, "C1", "segment"), "platinum"); /* later rows win */
    assert_null(cat(ds, "C2", "segment"));
    assert_string_equal(cat(ds, "C3", "segment"), "bronze");
    assert_true(num(ds, "C1", "score") == 5.5);
    assert_true(num(ds, "C2", "score") == 2.25);
    assert_true(isnan(num(ds, "C3", "score")));
    assert_string_equal(cat(ds, "C2", "note"), "x");
    /* Features are untouched by a join. */
    assert_false(tier_dataset_is_stale(ds));
    assert_true(num(ds, "C1", "monetary") == 5.25);

    /* A bad row in strict mode joins nothing. */
    const char *bad = test_write_file("cust_bad.csv", "id;score\r\nC1;7\r\nC2;abc\r\n");
    const char *one[] = { "score" };
    o.categorical_columns = NULL;
    o.n_categorical_columns = 0;
    o.numeric_columns = one;
    TIER_EXPECT_ERROR(tier_dataset_join_csv(NULL, ds, bad, &o), TIER_EPARSE, "cust_bad.csv:3:2: score 'abc' is not a number");
    assert_true(num(ds, "C1", "score") == 5.5);
    tier_dataset_free(ds);
}

/* Wholesale customers (real data, CRLF) has no customer id: name columns by position. Here the
 * "customers" are the three regions and Fresh is joined; the last row of each region wins. */
static void test_join_wholesale(void **state)
{
    (void)state;
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, NULL));
    const char *ids[] = { "1", "2", "3", "4" };
    const int64_t t[] = { T0, T0, T0, T0 };
    const double a[] = { 1, 1, 1, 1 };
    TIER_CHECK(tier_dataset_add_transactions(ds, 4, ids, t, a, NULL));
    tier_csv_options o = opts_default();
    o.customer_column = "#2";
    const char *nums[] = { "#3", "Milk" };
    const char *cats[] = { "#1" };
    o.numeric_columns = nums;
    o.n_numeric_columns = 2;
    o.categorical_columns = cats;
    o.n_categorical_columns = 1;
    tier_csv_report *rep = NULL;
    TIER_CHECK(tier_dataset_join_csv(&rep, ds, example_data_path("wholesale_customers.csv"), &o));
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS), 440);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_USED), 440);
    tier_csv_report_free(rep);
    /* Last rows per region (computed with /usr/bin/python3, csv.DictReader: last Fresh/Milk/Channel per Region). */
    assert_true(num(ds, "1", "Fresh") == 514);
    assert_true(num(ds, "2", "Fresh") == 2617);
    assert_true(num(ds, "3", "Fresh") == 2787);
    assert_true(num(ds, "3", "Milk") == 1698);
    assert_true(isnan(num(ds, "4", "Fresh")));
    assert_string_equal(cat(ds, "3", "Channel"), "1");
    tier_dataset_free(ds);
}

/* ---- a multi-chunk generated file: threads, line numbers, progress, cancel ----------------- */

#define GEN_ROWS 420000
#define GEN_CUSTOMERS 5000
#define GEN_BAD_EVERY 99991

typedef struct gen {
    char path[4096];
    uint64_t size;
    size_t bad;
    uint64_t first_bad_line;
    double monetary[GEN_CUSTOMERS];
    int purchases[GEN_CUSTOMERS];
} gen;

/* About 20 MB: three 8 MiB chunks at least, quoted fields with delimiters, doubled quotes and
 * line ends (so physical lines differ from rows), CRLF on some rows, a few bad rows. */
static void generate(gen *g)
{
    memset(g, 0, sizeof *g);
    snprintf(g->path, sizeof g->path, "%s", test_temp_path("gen.csv"));
    FILE *f = fopen(g->path, "wb");
    assert_non_null(f);
    fputs("customer_id,note,time,amount\n", f);
    uint64_t line = 2;
    for (long i = 0; i < GEN_ROWS; i++) {
        long c = (i * 7919) % GEN_CUSTOMERS;
        long sec = (i * 37) % (365L * DAY);
        int amount4 = (int)(i % 400) - 40; /* quarters: sums are exact */
        int bad = i % GEN_BAD_EVERY == 12345;
        if (bad) {
            g->bad++;
            if (!g->first_bad_line)
                g->first_bad_line = line;
        }
        const char *note = "plain";
        int lines = 0;
        if (i % 10 == 3) {
            note = "\"a note, with \"\"quotes\"\"\nand a line end\"";
            lines = 1;
        } else if (i % 10 == 7) {
            note = "\"x,y\"";
        }
        long d = sec / DAY, s = sec % DAY;
        fprintf(f, "c%ld,%s,2011-%02ld-%02ld %02ld:%02ld:%02ld,%s%d.%02d%s", c, note,
                1 + d / 31 % 12, 1 + d % 28, s / 3600, s / 60 % 60, s % 60,
                amount4 < 0 ? "-" : "", abs(amount4) / 4, abs(amount4) % 4 * 25,
                bad ? "x" : "");
        fputs(i % 5 == 1 ? "\r\n" : "\n", f);
        line += 1 + lines;
        if (!bad) {
            g->monetary[c] += amount4 / 4.0;
            g->purchases[c] += amount4 > 0;
        }
    }
    g->size = (uint64_t)ftell(f);
    fclose(f);
}

static gen *the_gen;

static tier_dataset *load_gen(unsigned threads, tier_bad_row_policy policy, tier_csv_report **rep,
                              int expect)
{
    tier_csv_options o = opts_default();
    o.n_threads = threads;
    o.bad_rows = policy;
    o.max_messages = 3;
    tier_dataset *ds = NULL;
    int rc = tier_dataset_load_csv(&ds, rep, the_gen->path, &o);
    if (rc != expect)
        fail_msg("load with %u threads -> %d: %s", threads, rc, tier_last_error());
    return ds;
}

static void test_threads_generated(void **state)
{
    (void)state;
    gen *g = the_gen;
    assert_true(g->size > 2 * (8u << 20));
    tier_csv_report *r1 = NULL, *r2 = NULL;
    tier_dataset *a = load_gen(1, TIER_BAD_ROWS_SKIP, &r1, TIER_OK);
    tier_dataset *b = load_gen(2, TIER_BAD_ROWS_SKIP, &r2, TIER_OK);
    tier_dataset *c = load_gen(3, TIER_BAD_ROWS_SKIP, NULL, TIER_OK);
    assert_same_dataset(a, b);
    assert_same_dataset(a, c);
    for (int k = TIER_CSV_ROWS; k <= TIER_CSV_ROWS_UNMATCHED; k++)
        assert_int_equal(tier_csv_report_count(r1, (tier_csv_count)k),
                         tier_csv_report_count(r2, (tier_csv_count)k));
    assert_int_equal(tier_csv_report_count(r1, TIER_CSV_ROWS), GEN_ROWS);
    assert_int_equal(tier_csv_report_count(r1, TIER_CSV_ROWS_BAD), g->bad);
    assert_int_equal(tier_csv_report_count(r1, TIER_CSV_BYTES), g->size);
    assert_int_equal(tier_csv_report_message_count(r1), 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(tier_csv_report_message(r1, i), tier_csv_report_message(r2, i));
    char want[256];
    snprintf(want, sizeof want, "gen.csv:%llu:4: amount", (unsigned long long)g->first_bad_line);
    if (!strstr(tier_csv_report_message(r1, 0), want))
        fail_msg("'%s' lacks '%s'", tier_csv_report_message(r1, 0), want);
    tier_csv_report_free(r1);
    tier_csv_report_free(r2);
    assert_int_equal(tier_dataset_size(a), GEN_CUSTOMERS);
    for (long c2 = 0; c2 < GEN_CUSTOMERS; c2 += 97) {
        char id[16];
        snprintf(id, sizeof id, "c%ld", c2);
        assert_true(num(a, id, "monetary") == g->monetary[c2]);
        assert_true(num(a, id, "frequency") == g->purchases[c2]);
    }
    tier_dataset_free(a);
    tier_dataset_free(b);
    tier_dataset_free(c);

    /* Strict: the same first bad row whatever the thread count. */
    char e1[1024];
    load_gen(1, TIER_BAD_ROWS_STRICT, NULL, TIER_EPARSE);
    snprintf(e1, sizeof e1, "%s", tier_last_error());
    assert_non_null(strstr(e1, want));
    load_gen(2, TIER_BAD_ROWS_STRICT, NULL, TIER_EPARSE);
    assert_string_equal(e1, tier_last_error());
}

typedef struct progress_log {
    uint64_t done[4096], total[4096];
    size_t n;
    size_t cancel_at; /* cancel on this call (1-based); 0 = never */
} progress_log;

static int on_progress(void *user, uint64_t done, uint64_t total)
{
    progress_log *p = user;
    if (p->n < 4096) {
        p->done[p->n] = done;
        p->total[p->n] = total;
    }
    p->n++;
    return p->cancel_at && p->n >= p->cancel_at;
}

static void check_progress(const progress_log *p, uint64_t total)
{
    assert_true(p->n >= 2);
    assert_int_equal(p->done[0], 0);
    for (size_t i = 0; i < p->n && i < 4096; i++) {
        assert_int_equal(p->total[i], total);
        if (i)
            assert_true(p->done[i] >= p->done[i - 1]);
    }
    assert_int_equal(p->done[p->n - 1], total);
}

static void test_progress_and_cancel(void **state)
{
    (void)state;
    static progress_log log;
    tier_csv_options o = opts_default();
    o.progress = on_progress;
    o.progress_user = &log;
    o.bad_rows = TIER_BAD_ROWS_SKIP;
    for (unsigned threads = 1; threads <= 2; threads++) {
        memset(&log, 0, sizeof log);
        o.n_threads = threads;
        tier_dataset *ds = one_customer_ds(threads);
        TIER_CHECK(tier_dataset_add_csv(NULL, ds, the_gen->path, &o));
        check_progress(&log, the_gen->size);
        if (threads == 1)
            assert_true(log.n >= 4); /* start, one per chunk, end */
        tier_dataset_free(ds);

        /* Cancel at the first call, then in the middle: the dataset is unchanged. */
        for (size_t at = 1; at <= 2; at++) {
            memset(&log, 0, sizeof log);
            log.cancel_at = at;
            ds = one_customer_ds(threads);
            tier_csv_report *rep = NULL;
            TIER_EXPECT_ERROR(tier_dataset_add_csv(&rep, ds, the_gen->path, &o), TIER_ECANCELLED,
                              "cancelled");
            assert_int_equal(log.n, at);
            assert_unchanged(ds);
            tier_csv_report_free(rep);
            tier_dataset_free(ds);
        }
    }
    /* Gzip: bytes are compressed bytes of the file; total is the compressed size. */
    memset(&log, 0, sizeof log);
    o = opts_default();
    o.customer_column = "CustomerID";
    o.time_column = "InvoiceDate";
    o.quantity_column = "Quantity";
    o.price_column = "UnitPrice";
    o.progress = on_progress;
    o.progress_user = &log;
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_load_csv(&ds, NULL, example_data_path("online_retail.csv.gz"), &o));
    check_progress(&log, 7611836);
    assert_true(log.n >= 8);
    tier_dataset_free(ds);
    memset(&log, 0, sizeof log);
    log.cancel_at = 4;
    TIER_EXPECT_ERROR(tier_dataset_load_csv(&ds, NULL, example_data_path("online_retail.csv.gz"), &o),
                      TIER_ECANCELLED, "cancelled");
    assert_null(ds);
    assert_int_equal(log.n, 4);
}

/* ---- repeats compared by bytes, the repeated-time value, rows rejected before adding ------- */

/* The parser reuses the previous row's id hash and time value when the field's bytes compare
 * equal (tier__bytes_equal, with no hash in front of it), so an equality that missed a byte
 * would merge two customers or give a row its neighbour's time. Consecutive ids of every
 * length 1..40 that differ in one byte, at every position, must stay apart: the customers and
 * their sums are those of a brute-force count. */
static void test_repeated_ids_differ_by_one_byte(void **state)
{
    (void)state;
    enum { MAXLEN = 40, ROWS = MAXLEN * (MAXLEN + 1) };
    static char ids[ROWS][MAXLEN + 1];
    size_t n = 0;
    for (size_t len = 1; len <= MAXLEN; len++)
        for (size_t k = 0; k < len; k++) {
            for (size_t i = 0; i < len; i++)
                ids[n][i] = (char)('a' + (i * 7 + len * 3 + k) % 26);
            ids[n][len] = '\0';
            memcpy(ids[n + 1], ids[n], len + 1);
            ids[n + 1][k] = ids[n][k] == 'z' ? 'y' : (char)(ids[n][k] + 1);
            n += 2;
        }
    size_t cap = n * (MAXLEN + 40) + 64, used = 0;
    char *text = malloc(cap);
    used += (size_t)snprintf(text + used, cap - used, "customer_id,time,amount\n");
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(text + used, cap - used, "%s,2011-01-01,%zu\n", ids[i], i + 1);
    tier_dataset *ds = load_text("one_byte_ids.csv", text, NULL, NULL);
    free(text);
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++) {
        int first = 1;
        double sum = 0;
        for (size_t j = 0; j < n; j++)
            if (strcmp(ids[i], ids[j]) == 0) {
                first &= j >= i;
                sum += (double)(j + 1);
            }
        distinct += first;
        if (num(ds, ids[i], "monetary") != sum)
            fail_msg("customer '%s': monetary %g, expected %g", ids[i], num(ds, ids[i], "monetary"), sum);
    }
    assert_int_equal(tier_dataset_size(ds), distinct);
    tier_dataset_free(ds);
}

/* Times of every length 10..40 (blank-padded: blanks around a time are ignored), each
 * followed by the same text with one byte changed, at every position; a changed digit gives
 * another time or an invalid one. Each row has its own customer, so first_purchase is the
 * row's time. The reference loads the same rows with a time of another length in between,
 * so no row's text is ever compared with a text of its own length. */
static void test_repeated_times_differ_by_one_byte(void **state)
{
    (void)state;
    const char *base = "2011-03-04 05:06:07";
    size_t cap = 4 << 20, used[2] = { 0, 0 };
    char *text[2] = { malloc(cap), malloc(cap) };
    for (int v = 0; v < 2; v++)
        used[v] += (size_t)snprintf(text[v], cap, "customer_id,time,amount\n");
    size_t rows = 0;
    for (size_t len = 10; len <= 40; len++) {
        char t[64];
        if (len < strlen(base)) /* a date and a shorter clock: "2011-03-04", "2011-03-04 05:06" */
            snprintf(t, sizeof t, "%.*s", (int)len, base);
        else
            snprintf(t, sizeof t, "%*s", (int)len, base);
        for (size_t k = 0; k < len; k++) {
            char u[64];
            memcpy(u, t, len + 1);
            u[k] = u[k] >= '0' && u[k] <= '8' ? (char)(u[k] + 1) : u[k] == '9' ? '0' : '1';
            const char *pair[2] = { t, u };
            for (int p = 0; p < 2; p++, rows++)
                for (int v = 0; v < 2; v++) {
                    if (v == 1)
                        used[v] += (size_t)snprintf(text[v] + used[v], cap - used[v],
                                                    "breaker,2011-01-01T00:00:00.5Z,1\n");
                    used[v] += (size_t)snprintf(text[v] + used[v], cap - used[v], "r%zu,%s,1\n", rows,
                                                pair[p]);
                }
        }
    }
    tier_csv_options o = opts_default();
    o.bad_rows = TIER_BAD_ROWS_SKIP;
    tier_csv_report *rep[2] = { NULL, NULL };
    tier_dataset *ds[2];
    ds[0] = load_text("one_byte_times.csv", text[0], &o, &rep[0]);
    ds[1] = load_text("one_byte_times_ref.csv", text[1], &o, &rep[1]);
    assert_int_equal(tier_csv_report_count(rep[0], TIER_CSV_ROWS_BAD),
                     tier_csv_report_count(rep[1], TIER_CSV_ROWS_BAD));
    assert_true(tier_csv_report_count(rep[0], TIER_CSV_ROWS_BAD) > 0);
    assert_int_equal(tier_dataset_size(ds[0]) + 1, tier_dataset_size(ds[1]));
    for (size_t r = 0; r < rows; r++) {
        char id[32];
        snprintf(id, sizeof id, "r%zu", r);
        size_t row[2];
        int found[2] = { tier_dataset_find(&row[0], ds[0], id) == TIER_OK,
                         tier_dataset_find(&row[1], ds[1], id) == TIER_OK };
        if (found[0] != found[1])
            fail_msg("row %s: taken %d times out of 1 by the reference, %d here", id, found[1], found[0]);
        if (found[0] && num(ds[0], id, "first_purchase") != num(ds[1], id, "first_purchase"))
            fail_msg("row %s: time %.0f, expected %.0f", id, num(ds[0], id, "first_purchase"),
                     num(ds[1], id, "first_purchase"));
    }
    for (int v = 0; v < 2; v++) {
        tier_csv_report_free(rep[v]);
        tier_dataset_free(ds[v]);
        free(text[v]);
    }
}

/* A repeated time is taken from the previous row only when that row's time was accepted: a
 * rejected time stays rejected on the next row, out-of-range instants (years 0..9999 after
 * the offset) are rejected every time, and a row rejected for its amount does not lose its
 * time for the next. Strict mode stops at the first of them and adds nothing; the same bytes
 * under another time format are parsed by that format. */
static void test_repeated_time_after_bad_rows(void **state)
{
    (void)state;
    const char *text = "customer_id,time,amount\n"
                       "p1,2011-02-28 10:00:00,1\n"
                       "p2,2011-02-29 10:00:00,1\n"         /* 3: not a leap year */
                       "p3,2011-02-29 10:00:00,1\n"         /* 4: the same text again */
                       "p4,2011-02-28 10:00:00,x\n"         /* 5: bad amount */
                       "p5,2011-02-28 10:00:00,2\n"
                       "p6,0000-01-01T00:00:00+01:00,1\n"   /* 7: before year 0 in UTC */
                       "p7,0000-01-01T00:00:00+01:00,1\n"   /* 8 */
                       "p8,9999-12-31T23:59:59-00:01,1\n"   /* 9: after year 9999 in UTC */
                       "p9,9999-12-31T23:59:59-00:01,1\n"   /* 10 */
                       "pa,9999-12-31T23:59:59Z,1\n"
                       "pb,0000-01-01T00:00:00Z,nan\n"      /* 12 */
                       "pc,0000-01-01T00:00:00Z,1\n";
    tier_csv_options o = opts_default();
    o.bad_rows = TIER_BAD_ROWS_SKIP;
    o.max_messages = 20;
    tier_csv_report *rep = NULL;
    tier_dataset *ds = load_text("repeat_bad.csv", text, &o, &rep);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_BAD), 8);
    const char *expect[] = { ":3:2: time", ":4:2: time", ":5:3: amount", ":7:2: time", ":8:2: time",
                             ":9:2: time", ":10:2: time", ":12:3: amount" };
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++)
        if (!strstr(tier_csv_report_message(rep, i), expect[i]))
            fail_msg("message %zu: '%s' lacks '%s'", i, tier_csv_report_message(rep, i), expect[i]);
    tier_csv_report_free(rep);
    assert_int_equal(tier_dataset_size(ds), 4);
    assert_true(num(ds, "p5", "first_purchase") == num(ds, "p1", "first_purchase"));
    assert_true(num(ds, "p1", "first_purchase") == 1298887200.0);
    assert_true(num(ds, "pa", "first_purchase") == 253402300799.0);
    assert_true(num(ds, "pc", "first_purchase") == -62167219200.0);
    tier_dataset_free(ds);

    /* strict: each kind of bad row, first in the file, adds nothing to a dataset */
    const char *bad[] = { "2011-02-29 10:00:00,1", "0000-01-01T00:00:00+01:00,1",
                          "9999-12-31T23:59:59-00:01,1", "2011-02-28 10:00:00,inf",
                          "2011-02-28 10:00:00,1e999", "2011-02-28 10:00:00,-NaN" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char file[256];
        snprintf(file, sizeof file, "customer_id,time,amount\nq,2011-02-28 10:00:00,1\nq,%s\n", bad[i]);
        tier_dataset *one = one_customer_ds(1);
        TIER_EXPECT_ERROR(tier_dataset_add_csv(NULL, one, test_write_file("strict_bad.csv", file), NULL),
                          TIER_EPARSE, "strict_bad.csv:3:");
        assert_unchanged(one);
        tier_dataset_free(one);
    }

    /* the same bytes, read as M/D/Y by default and as D/M/Y with a format */
    const char *dm = "customer_id,time,amount\nd,01/02/2011 00:00,1\n";
    ds = load_text("dm.csv", dm, NULL, NULL);
    assert_true(num(ds, "d", "first_purchase") == (double)(T0 + DAY));
    tier_dataset_free(ds);
    o = opts_default();
    o.time_format = "%d/%m/%Y %H:%M";
    ds = load_text("dm.csv", dm, &o, NULL);
    assert_true(num(ds, "d", "first_purchase") == (double)(T0 + 31 * DAY));
    tier_dataset_free(ds);
}

/* ---- plain rows (the fast path) and every other form of the same rows ---------------------- */

/* Field i of row r of the plain-rows log: ids of 1 to 79 bytes (so some rows are longer than
 * the 64 bytes the fast path looks at at once), some with a ".0" tail or blanks around them;
 * times in the fixed form, with 'T', as dates, in M/D/Y and blank-padded; amounts as integers,
 * decimals, exponents and with blanks. */
static void plain_field(char *buf, size_t size, size_t r, int i)
{
    uint64_t s = (r + 1) * 0x9E3779B97F4A7C15ULL;
    s ^= s >> 29;
    unsigned v = (unsigned)(s % 1000003);
    if (i == 0) {
        size_t len = 1 + (v * 7 + r) % 79;
        unsigned cust = v % 400;
        int n = snprintf(buf, size, "%s%u", v % 23 == 0 ? " c" : "c", cust);
        for (size_t k = (size_t)n; k < len && k + 3 < size; k++)
            buf[k] = (char)('a' + cust % 26);
        size_t end = len > (size_t)n ? len : (size_t)n;
        buf[end] = '\0';
        if (v % 31 == 0 && cust % 2 == 0)
            snprintf(buf, size, "%u.0", cust); /* "17850.0" is customer "17850" */
    } else if (i == 1) {
        snprintf(buf, size, "%u", 5000 + (unsigned)(r / 3));
    } else if (i == 2) {
        unsigned day = 1 + (unsigned)(r / 40) % 28, h = v % 24, m = v % 60, sec = v % 59;
        switch (v % 6) {
        case 0: snprintf(buf, size, "2011-03-%02u %02u:%02u", day, h, m); break;
        case 1: snprintf(buf, size, "2011-03-%02uT%02u:%02u:%02u", day, h, m, sec); break;
        case 2: snprintf(buf, size, "2011-03-%02u", day); break;
        case 3: snprintf(buf, size, "3/%u/2011 %u:%02u", day, h, m); break;
        case 4: snprintf(buf, size, " 2011-03-%02u %02u:%02u:%02u ", day, h, m, sec); break;
        default: snprintf(buf, size, "2011-03-%02u %02u:%02u:%02u", day, h, m, sec); break;
        }
    } else {
        int cents = (int)(v % 40000) - 4000;
        switch (v % 5) {
        case 0: snprintf(buf, size, "%d", cents / 100); break;
        case 1: snprintf(buf, size, "%de-2", cents); break;
        case 2: snprintf(buf, size, " %d.5 ", cents / 100); break;
        default: snprintf(buf, size, "%s%d.%02d", cents < 0 ? "-" : "", abs(cents) / 100, abs(cents) % 100); break;
        }
    }
}

/* Writes the log in one form: 0 plain, 1 every field quoted, 2 CRLF line ends, 3 no line end
 * after the last row. Rows in `bad` (form 0 and 2 only) get a fault the general path words. */
static const char *write_plain_log(const char *name, int form, size_t rows, int with_bad)
{
    const char *path = test_temp_path(name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    const char *eol = form == 2 ? "\r\n" : "\n";
    fprintf(f, "customer_id,order_id,time,amount%s", eol);
    for (size_t r = 0; r < rows; r++) {
        char field[4][96];
        for (int i = 0; i < 4; i++)
            plain_field(field[i], sizeof field[i], r, i);
        if (with_bad && r % 97 == 50) {
            static const char *const faults[] = { "x\"y,1,2011-03-01,1", "x,1,2011-03-01",
                                                  "x,1,2011-03-01,1,9", "x,1,2011-02-30 10:00:00,1",
                                                  "x,1,2011-03-01 10:00:60,1", "x,1,2011-03-0a 10:00:00,1" };
            fprintf(f, "%s%s", faults[(r / 97) % 6], eol);
            continue;
        }
        if (r % 211 == 7)
            fputs(eol, f); /* a blank line */
        for (int i = 0; i < 4; i++) {
            if (form == 1)
                fprintf(f, "%s\"%s\"", i ? "," : "", field[i]);
            else
                fprintf(f, "%s%s", i ? "," : "", field[i]);
        }
        if (form != 3 || r + 1 < rows)
            fputs(eol, f);
    }
    fclose(f);
    return path;
}

/* Ids of 1 to 20 bytes with a NUL at every position are bad rows (a C string cannot hold
 * them); ids of the same lengths made of the bytes next to NUL (0x01, 0x80, 0xff), which word
 * tests for a zero byte could mistake, are customers. */
static void test_nul_in_ids(void **state)
{
    (void)state;
    const char *path = test_temp_path("nul_ids.csv");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("customer_id,time,amount\n", f);
    size_t bad = 0, good = 0;
    for (size_t len = 1; len <= 20; len++) {
        for (size_t k = 0; k < len; k++) {
            char id[20];
            for (size_t i = 0; i < len; i++)
                id[i] = (char)('a' + i);
            id[k] = '\0';
            fwrite(id, 1, len, f);
            fputs(",2011-01-01,1\n", f);
            bad++;
        }
        static const unsigned char near[] = { 0x01, 0x80, 0xff };
        for (size_t v = 0; v < 3; v++) {
            char id[20];
            for (size_t i = 0; i < len; i++)
                id[i] = (char)(i % 2 ? near[v] : 'a' + v);
            fwrite(id, 1, len, f);
            fputs(",2011-01-01,1\n", f);
            good++;
        }
    }
    fclose(f);
    tier_csv_options o = opts_default();
    o.bad_rows = TIER_BAD_ROWS_SKIP;
    o.max_messages = 1000;
    tier_dataset *ds = NULL;
    tier_csv_report *rep = NULL;
    TIER_CHECK(tier_dataset_load_csv(&ds, &rep, path, &o));
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_BAD), bad);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_USED), good);
    assert_int_equal(tier_dataset_size(ds), good);
    for (size_t k = 0; k < tier_csv_report_message_count(rep); k++)
        assert_non_null(strstr(tier_csv_report_message(rep, k), ":1: customer id contains a NUL byte"));
    tier_csv_report_free(rep);
    tier_dataset_free(ds);
    remove(path);
}

/* Days from 1970-01-01 to y-m-d, by counting (the test's own arithmetic, not the library's). */
static int64_t civil_days(int y, int m, int d)
{
    static const int before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
    int64_t days = 0;
    for (int k = 1970; k < y; k++)
        days += 365 + (k % 4 == 0 && (k % 100 != 0 || k % 400 == 0));
    for (int k = y; k < 1970; k++)
        days -= 365 + (k % 4 == 0 && (k % 100 != 0 || k % 400 == 0));
    int leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    return days + before[m - 1] + (m > 2 && leap) + d - 1;
}

/* Rows whose times share their date with the row before (the loader reuses the date's day
 * count), with clocks now and then out of range, dates before 1970 and far from it: each
 * row's value is the test's own arithmetic, and a bad clock gets the message a lone time
 * gets. */
static void test_times_sharing_a_date(void **state)
{
    (void)state;
    static const int dates[][3] = { { 1969, 12, 31 }, { 1970, 1, 1 }, { 2000, 2, 29 }, { 2011, 3, 27 },
                                    { 1, 1, 1 }, { 9999, 12, 31 }, { 1900, 3, 1 } };
    enum { ROWS = 4000 };
    size_t cap = ROWS * 64 + 64, used = 0;
    char *text = malloc(cap);
    used += (size_t)snprintf(text + used, cap - used, "customer_id,time,amount\n");
    int64_t want[ROWS];
    int bad[ROWS];
    unsigned s = 5;
    size_t date = 0, n_bad = 0;
    for (size_t r = 0; r < ROWS; r++) {
        s = s * 1103515245u + 12345u;
        if ((s >> 16) % 7 == 0)
            date = (s >> 8) % 7;
        unsigned h = (s >> 3) % 26, m = (s >> 9) % 62, sec = (s >> 15) % 62;
        const int *d = dates[date];
        used += (size_t)snprintf(text + used, cap - used, "r%zu,%04d-%02d-%02d%c%02u:%02u:%02u,1\n", r,
                                 d[0], d[1], d[2], (s >> 21) % 2 ? 'T' : ' ', h, m, sec);
        bad[r] = h > 23 ? 1 : m > 59 ? 2 : sec > 59 ? 3 : 0;
        n_bad += bad[r] != 0;
        want[r] = civil_days(d[0], d[1], d[2]) * 86400 + h * 3600 + m * 60 + sec;
    }
    tier_csv_options o = opts_default();
    o.bad_rows = TIER_BAD_ROWS_SKIP;
    o.max_messages = ROWS;
    tier_csv_report *rep = NULL;
    tier_dataset *ds = load_text("same_dates.csv", text, &o, &rep);
    free(text);
    assert_true(n_bad > 100 && n_bad < ROWS / 2);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_BAD), n_bad);
    static const char *const why[] = { "", "hour out of range", "minute out of range", "second out of range" };
    size_t k = 0;
    for (size_t r = 0; r < ROWS; r++) {
        char id[16];
        snprintf(id, sizeof id, "r%zu", r);
        size_t row;
        if (bad[r]) {
            char line[32];
            snprintf(line, sizeof line, ":%zu:2: ", r + 2);
            const char *msg = tier_csv_report_message(rep, k++);
            if (!strstr(msg, line) || !strstr(msg, why[bad[r]]))
                fail_msg("row %zu: message '%s', expected line %s and '%s'", r, msg, line, why[bad[r]]);
            assert_int_equal(tier_dataset_find(&row, ds, id), TIER_ENOTFOUND);
        } else if (num(ds, id, "first_purchase") != (double)want[r]) {
            fail_msg("row %zu: %.0f, expected %lld", r, num(ds, id, "first_purchase"), (long long)want[r]);
        }
    }
    tier_csv_report_free(rep);
    tier_dataset_free(ds);
}

/* The line of row r in write_plain_log's file (the header is line 1; a blank line goes
 * before each good row r with r % 211 == 7). */
static size_t plain_log_line(size_t r, int with_bad)
{
    size_t blanks = 0;
    for (size_t k = 0; k <= r; k++)
        blanks += k % 211 == 7 && !(with_bad && k % 97 == 50);
    return r + 2 + blanks;
}

/* The fast path takes the rows that are plain and leaves every other row to the general
 * tokenizer: the same log loads to the same dataset whether its rows are plain, all quoted
 * (no row plain), CRLF-ended (no row plain) or missing the last line end, and its bad rows get
 * the same messages, at 1 and 2 threads and with a chunk end inside the log. */
static void test_plain_rows_equal_other_forms(void **state)
{
    (void)state;
    const size_t rows = 300000; /* ~11 MB: two chunks */
    tier_csv_options o = opts_default();
    o.order_column = "order_id";
    o.bad_rows = TIER_BAD_ROWS_SKIP;
    o.max_messages = 50;
    o.n_threads = 1;
    tier_dataset *good = NULL, *bad = NULL;
    tier_csv_report *good_rep = NULL, *bad_rep = NULL;
    TIER_CHECK(tier_dataset_load_csv(&good, &good_rep, write_plain_log("plain_good.csv", 0, rows, 0), &o));
    TIER_CHECK(tier_dataset_load_csv(&bad, &bad_rep, write_plain_log("plain_bad.csv", 0, rows, 1), &o));
    assert_int_equal(tier_csv_report_count(good_rep, TIER_CSV_ROWS_BAD), 0);
    assert_true(tier_csv_report_count(good_rep, TIER_CSV_ROWS_USED) > rows / 2);
    assert_true(tier_dataset_size(good) > 300);
    assert_int_equal(tier_csv_report_count(bad_rep, TIER_CSV_ROWS_BAD), (rows + 46) / 97);
    static const char *const expect[] = {
        "malformed field (a quote inside an unquoted field",
        "row has 3 fields, expected 4",
        "row has 5 fields, expected 4",
        "time '2011-02-30 10:00:00': day out of range for the month",
        "time '2011-03-01 10:00:60': second out of range",
        "time '2011-03-0a 10:00:00': not a recognised time",
    };
    static const size_t column[] = { 1, 4, 5, 3, 3, 3 };
    for (size_t i = 0; i < 6; i++) {
        size_t r = 50 + 97 * i;
        char want[200];
        snprintf(want, sizeof want, "plain_bad.csv:%zu:%zu: %s", plain_log_line(r, 1), column[i], expect[i]);
        int found = 0;
        for (size_t k = 0; k < tier_csv_report_message_count(bad_rep) && !found; k++)
            found = strstr(tier_csv_report_message(bad_rep, k), want) != NULL;
        if (!found)
            fail_msg("no message '%s'", want);
    }
    for (int form = 0; form < 4; form++)
        for (unsigned threads = 1; threads <= 2; threads++) {
            const int with_bad = form == 0 || form == 2;
            const tier_dataset *ref = with_bad ? bad : good;
            const tier_csv_report *ref_rep = with_bad ? bad_rep : good_rep;
            char name[32];
            snprintf(name, sizeof name, "plain_form%d.csv", form);
            tier_dataset *ds = NULL;
            tier_csv_report *rep = NULL;
            o.n_threads = threads;
            TIER_CHECK(tier_dataset_load_csv(&ds, &rep, write_plain_log(name, form, rows, with_bad), &o));
            assert_same_dataset(ref, ds);
            static const tier_csv_count rows_counts[] = { TIER_CSV_ROWS, TIER_CSV_ROWS_USED,
                                                          TIER_CSV_ROWS_NO_CUSTOMER, TIER_CSV_ROWS_BAD };
            for (size_t k = 0; k < 4; k++) /* bytes differ: quotes and CRs */
                assert_int_equal(tier_csv_report_count(rep, rows_counts[k]),
                                 tier_csv_report_count(ref_rep, rows_counts[k]));
            assert_int_equal(tier_csv_report_message_count(rep), tier_csv_report_message_count(ref_rep));
            for (size_t k = 0; k < tier_csv_report_message_count(rep); k++) /* after the file name */
                assert_string_equal(strchr(tier_csv_report_message(rep, k), ':'),
                                    strchr(tier_csv_report_message(ref_rep, k), ':'));
            tier_csv_report_free(rep);
            tier_dataset_free(ds);
            remove(test_temp_path(name));
        }
    tier_csv_report_free(good_rep);
    tier_csv_report_free(bad_rep);
    tier_dataset_free(good);
    tier_dataset_free(bad);
    remove(test_temp_path("plain_good.csv"));
    remove(test_temp_path("plain_bad.csv"));
}

/* ---- the chunk pipeline: order ids across chunks, and parsing ahead of the adding ---------- */

/* A two-chunk log with invoice numbers (growing, revisited, zero-led, non-numeric), lines of
 * one order sharing their time text (but a twelfth of the orders have lines a second apart),
 * orders of one customer in one second,
 * some rows out of time order, amounts in cents (sums a double cannot hold exactly): loaded
 * with 1 and 2 threads it must give exactly what tier_dataset_add_transactions gives for the
 * same rows, which hashes the ids itself, takes the whole log as one batch and adds every
 * row on its own (the parser adds up the lines of a purchase as it reads them). Ids of 2-5
 * bytes, of 9-12 (longer than a record holds: read from the chunk) and of 29-32. */
/* Customer ids of one of three lengths (see chunks_with_orders_equal_arrays). */
static void format_id(char *buf, size_t size, int style, unsigned cust)
{
    if (style == 0)
        snprintf(buf, size, "u%u", cust);
    else if (style == 1)
        snprintf(buf, size, "customer%u", cust);
    else
        snprintf(buf, size, "customer-of-the-shop-%011u", cust);
}

static void chunks_with_orders_equal_arrays(int id_style)
{
    enum { ROWS = 260000, CUSTOMERS = 3001 };
    char (*ids)[40] = malloc(ROWS * sizeof *ids);
    char (*orders)[12] = malloc(ROWS * sizeof *orders);
    const char **id_ptrs = malloc(ROWS * sizeof *id_ptrs), **order_ptrs = malloc(ROWS * sizeof *order_ptrs);
    int64_t *times = malloc(ROWS * sizeof *times);
    double *amounts = malloc(ROWS * sizeof *amounts);
    const char *path = test_temp_path("chunks_orders.csv");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("customer_id,order_id,time,amount\n", f);
    uint64_t s = 12345;
    unsigned invoice = 100000, last_cust = 0;
    int64_t t = T0;
    for (size_t i = 0; i < ROWS;) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned r = (unsigned)(s >> 33);
        /* now and then the customer of the order before places another in the same second */
        const int again = r % 40 == 7;
        unsigned cust = again ? last_cust : r % CUSTOMERS;
        last_cust = cust;
        char order[12];
        if (r % 50 == 0 && i > 0)
            snprintf(order, sizeof order, "%s", orders[(r / 50) % i]);
        else if (r % 50 == 1)
            snprintf(order, sizeof order, "0%u", invoice);
        else if (r % 50 == 2)
            snprintf(order, sizeof order, "C%u", invoice);
        else
            snprintf(order, sizeof order, "%u", ++invoice);
        t += again ? 0 : r % 61;
        int64_t when = r % 97 == 0 ? t - (int64_t)(r % (3 * DAY)) : t;
        const int spread = r % 12 == 5; /* this order's lines a second apart */
        for (unsigned k = 0, lines = 1 + r % 4; k < lines && i < ROWS; k++, i++) {
            format_id(ids[i], sizeof ids[i], id_style, cust);
            snprintf(orders[i], sizeof orders[i], "%s", order);
            id_ptrs[i] = ids[i];
            order_ptrs[i] = orders[i];
            times[i] = when + (spread ? k : 0);
            time_t tt = (time_t)times[i];
            struct tm tm;
            gmtime_r(&tt, &tm);
            char ts[32], amount[24];
            strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
            int cents = (int)((r >> (k + 3)) % 20000) - 1500; /* some returns, some zero */
            snprintf(amount, sizeof amount, "%s%d.%02d", cents < 0 ? "-" : "", abs(cents) / 100,
                     abs(cents) % 100);
            amounts[i] = strtod(amount, NULL); /* the loader's numbers are strtod's */
            fprintf(f, "%s,%s,%s,%s\n", ids[i], order, ts, amount);
        }
    }
    long size = ftell(f);
    fclose(f);
    assert_true(size > (long)(8u << 20)); /* at least two chunks */

    tier_dataset *arrays = NULL;
    TIER_CHECK(tier_dataset_new(&arrays, NULL));
    TIER_CHECK(tier_dataset_add_transactions(arrays, ROWS, id_ptrs, times, amounts, order_ptrs));
    TIER_CHECK(tier_dataset_compute_features(arrays, TIER_AS_OF_AUTO));
    for (unsigned threads = 1; threads <= 2; threads++) {
        tier_csv_options o = opts_default();
        o.order_column = "order_id";
        o.n_threads = threads;
        tier_dataset *csv = NULL;
        TIER_CHECK(tier_dataset_load_csv(&csv, NULL, path, &o));
        assert_same_dataset(arrays, csv);
        tier_dataset_free(csv);
    }
    tier_dataset_free(arrays);
    remove(path);
    free(ids);
    free(orders);
    free(id_ptrs);
    free(order_ptrs);
    free(times);
    free(amounts);
}

static void test_chunks_with_orders_equal_arrays(void **state)
{
    (void)state;
    for (int style = 0; style < 3; style++)
        chunks_with_orders_equal_arrays(style);
}

/* An allocator that holds the first large fresh block (a chunk's partition runs, 128 KiB or
 * more each here; nothing else in a load of a memory-mapped file asks for that much before
 * the first chunk is parsed) until another thread asks for one too, for at most 10 s: it
 * tells whether a second chunk can be parsed while the first still is. */
typedef struct overlap_alloc {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int held, released;
    pthread_t holder;
    int overlapped;
} overlap_alloc;

static void watch_block(overlap_alloc *a, size_t size)
{
    if (size < ((size_t)128 << 10))
        return;
    pthread_mutex_lock(&a->mu);
    if (!a->held) {
        a->held = 1;
        a->holder = pthread_self();
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 10;
        while (!a->overlapped && pthread_cond_timedwait(&a->cv, &a->mu, &until) == 0)
            ;
        a->released = 1; /* a block asked for later proves nothing */
    } else if (!a->released && !pthread_equal(a->holder, pthread_self())) {
        a->overlapped = 1;
        pthread_cond_broadcast(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
}

static void *ov_malloc(void *user, size_t size)
{
    watch_block(user, size);
    return malloc(size);
}

static void *ov_realloc(void *user, void *ptr, size_t size)
{
    if (!ptr)
        watch_block(user, size);
    return realloc(ptr, size);
}

static void ov_free(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

/* n_threads = 0 means every core, for the loader as for the dataset: the chunks after the
 * first are parsed while the first is, not one at a time behind the adding. */
static void test_default_threads_parse_ahead(void **state)
{
    (void)state;
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        skip(); /* one core: nothing can overlap */
    overlap_alloc a;
    memset(&a, 0, sizeof a);
    pthread_mutex_init(&a.mu, NULL);
    pthread_cond_init(&a.cv, NULL);
    tier_allocator alloc = { ov_malloc, ov_realloc, ov_free, &a };
    tier_dataset_options dopts = TIER_DATASET_OPTIONS_INIT;
    dopts.allocator = &alloc;
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, &dopts));
    tier_csv_options o = opts_default();
    o.bad_rows = TIER_BAD_ROWS_SKIP;
    TIER_CHECK(tier_dataset_add_csv(NULL, ds, the_gen->path, &o));
    assert_int_equal(tier_dataset_size(ds), GEN_CUSTOMERS);
    assert_true(a.held);
    if (!a.overlapped)
        fail_msg("with n_threads = 0 no second chunk was parsed while the first was");
    tier_dataset_free(ds);
    pthread_cond_destroy(&a.cv);
    pthread_mutex_destroy(&a.mu);
}

/* ---- real data: UCI Online Retail ----------------------------------------------------------- */

static tier_dataset *load_retail(unsigned threads, tier_csv_report **rep)
{
    tier_csv_options o = opts_default();
    o.customer_column = "CustomerID";
    o.time_column = "InvoiceDate";
    o.quantity_column = "Quantity";
    o.price_column = "UnitPrice";
    o.order_column = "InvoiceNo";
    const char *cats[] = { "Country" };
    o.categorical_columns = cats;
    o.n_categorical_columns = 1;
    o.n_threads = threads;
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_load_csv(&ds, rep, example_data_path("online_retail.csv.gz"), &o));
    return ds;
}

typedef struct retail_ref {
    const char *id;
    size_t row;
    double frequency, monetary, recency, first, last, tenure, purchase_days, returns,
        returns_value;
    const char *country;
} retail_ref;

/* Output of `/usr/bin/python3 tests/data/online_retail_reference.py
 * examples/data/online_retail.csv.gz` (standard library csv/gzip only, not libtier). */
static const retail_ref retail[] = {
    { "12346", 1169, 1, 0.0, 326.1173611111111, 1295344860, 1295344860, 326.1173611111111, 1, 1, 77183.6, "United Kingdom" },
    { "12347", 438, 7, 4310.0, 2.873611111111111, 1291733820, 1323273120, 367.91180555555553, 7, 0, 0.0, "Iceland" },
    { "17850", 0, 34, 5288.63, 372.8909722222222, 1291191960, 1291303620, 374.18333333333334, 2, 1, 102.58, "United Kingdom" },
    { "14911", 67, 201, 132572.62, 1.8722222222222222, 1291212300, 1323359640, 373.9479166666667, 132, 47, 11252.44, "EIRE" },
    { "18102", 450, 60, 256438.49, 1.0416666666666667, 1291740120, 1323431400, 367.8388888888889, 26, 2, 3218.81, "United Kingdom" },
    { "12748", 48, 209, 29072.1, 1.0208333333333333, 1291207680, 1323433200, 374.00138888888887, 113, 14, 4647.63, "United Kingdom" },
    { "16446", 2653, 2, 2.9, 1.1493055555555556, 1305712320, 1323422100, 206.1236111111111, 2, 1, 168469.6, "United Kingdom" },
    { "13047", 1, 10, 3079.1, 32.03055555555556, 1291192440, 1320753960, 374.1777777777778, 8, 8, 158.44, "United Kingdom" },
};

static void test_online_retail(void **state)
{
    (void)state;
    tier_csv_report *rep = NULL;
    tier_dataset *ds = load_retail(0, &rep);
    /* reference: rows 541909, rows_without_id 135080, rows_used 406829, customers 4372 */
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS), 541909);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_NO_CUSTOMER), 135080);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_USED), 406829);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_ROWS_BAD), 0);
    assert_int_equal(tier_csv_report_count(rep, TIER_CSV_BYTES), 48039726);
    tier_csv_report_free(rep);
    assert_int_equal(tier_dataset_size(ds), 4372);
    assert_int_equal(tier_dataset_transaction_count(ds), 406829);
    assert_string_equal(tier_dataset_customer_id(ds, 0), "17850");
    assert_string_equal(tier_dataset_customer_id(ds, 4371), "12713");
    /* reference: as_of 1323521400 */
    assert_int_equal(tier_dataset_as_of(ds), 1323521400);
    /* 38 countries in the file (countries_all), 37 among rows with a customer id
     * (countries_with_id): the dictionary only sees rows that were added. */
    const int32_t *codes;
    const char *const *dict;
    size_t n_countries;
    TIER_CHECK(tier_dataset_categorical(&codes, &dict, &n_countries, ds, "Country"));
    assert_int_equal(n_countries, 37);
    /* reference: total_monetary 8300065.814 */
    const double *m;
    TIER_CHECK(tier_dataset_numeric(&m, ds, "monetary"));
    double total = 0;
    for (size_t r = 0; r < tier_dataset_size(ds); r++)
        total += m[r];
    assert_true(fabs(total - 8300065.814) < 1e-3);
    for (size_t i = 0; i < sizeof retail / sizeof *retail; i++) {
        const retail_ref *c = &retail[i];
        assert_int_equal(row_of(ds, c->id), c->row);
        assert_true(num(ds, c->id, "frequency") == c->frequency);
        if (fabs(num(ds, c->id, "monetary") - c->monetary) > 1e-6)
            fail_msg("%s: monetary %.10f, expected %.10f", c->id, num(ds, c->id, "monetary"), c->monetary);
        assert_true(fabs(num(ds, c->id, "recency") - c->recency) < 1e-9);
        assert_true(num(ds, c->id, "first_purchase") == c->first);
        assert_true(num(ds, c->id, "last_purchase") == c->last);
        assert_true(fabs(num(ds, c->id, "tenure") - c->tenure) < 1e-9);
        assert_true(num(ds, c->id, "purchase_days") == c->purchase_days);
        assert_true(num(ds, c->id, "returns") == c->returns);
        if (fabs(num(ds, c->id, "returns_value") - c->returns_value) > 1e-6)
            fail_msg("%s: returns_value %.10f, expected %.10f", c->id, num(ds, c->id, "returns_value"), c->returns_value);
        assert_string_equal(cat(ds, c->id, "Country"), c->country);
    }

    /* Thread-count independence on real data (six 8 MiB chunks). */
    tier_dataset *one = load_retail(1, NULL);
    tier_dataset *two = load_retail(2, NULL);
    assert_same_dataset(one, two);
    assert_same_dataset(ds, two);
    tier_dataset_free(one);
    tier_dataset_free(two);
    tier_dataset_free(ds);
}

static int setup_gen(void **state)
{
    (void)state;
    the_gen = malloc(sizeof *the_gen);
    if (!the_gen)
        return -1;
    generate(the_gen);
    return 0;
}

static int teardown_gen(void **state)
{
    (void)state;
    remove(the_gen->path);
    free(the_gen);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_small_file),
        cmocka_unit_test(test_add_incremental),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_one_customer),
        cmocka_unit_test(test_all_returns),
        cmocka_unit_test(test_zero_amount),
        cmocka_unit_test(test_malformed_quotes),
        cmocka_unit_test(test_quoted_ids),
        cmocka_unit_test(test_id_normalisation),
        cmocka_unit_test(test_repeated_fields),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_bad_dates),
        cmocka_unit_test(test_time_formats),
        cmocka_unit_test(test_bad_amounts),
        cmocka_unit_test(test_number_rounding),
        cmocka_unit_test(test_cut_file),
        cmocka_unit_test(test_ragged_rows),
        cmocka_unit_test(test_crlf_bom_delimiter),
        cmocka_unit_test(test_no_header),
        cmocka_unit_test(test_unknown_column),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_join),
        cmocka_unit_test(test_join_wholesale),
        cmocka_unit_test(test_threads_generated),
        cmocka_unit_test(test_progress_and_cancel),
        cmocka_unit_test(test_repeated_ids_differ_by_one_byte),
        cmocka_unit_test(test_repeated_times_differ_by_one_byte),
        cmocka_unit_test(test_repeated_time_after_bad_rows),
        cmocka_unit_test(test_plain_rows_equal_other_forms),
        cmocka_unit_test(test_nul_in_ids),
        cmocka_unit_test(test_times_sharing_a_date),
        cmocka_unit_test(test_chunks_with_orders_equal_arrays),
        cmocka_unit_test(test_default_threads_parse_ahead),
        cmocka_unit_test(test_online_retail),
    };
    return cmocka_run_group_tests_name("csv", tests, setup_gen, teardown_gen);
}
