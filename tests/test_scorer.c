/* Tests for include/tier/scorer.h and include/tier/sys/scorer.h: the generic scorer handle, and
 * user-defined strategies through the vtable (fit, apply, save/load, failing callbacks,
 * ownership of the user pointer, validation). RFM itself is tested in test_rfm.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tier/sys/scorer.h"

#define DAY 86400
#define T0 1293840000LL /* 2011-01-01 */

/* ---- a user-defined strategy: monetary relative to the fitted mean ----------------------- */

typedef struct ratio_state {
    double mean;
    int *destroyed;     /* incremented by destroy */
    int fail_fit;       /* 1: fail with a message, 2: fail without one, 3: fail in a libtier call */
    int fail_apply;
    int skip_output;    /* do not write output 1 */
    int bad_code;       /* write an out-of-range category code */
    int fail_load;
} ratio_state;

static const char *const ratio_inputs[] = { "monetary" };
static const char *const ratio_outputs[] = { "ratio", "band" };
static const tier_column_type ratio_types[] = { TIER_COLUMN_NUMERIC, TIER_COLUMN_CATEGORICAL };

static int ratio_fit(void *user, const tier_dataset *ds)
{
    ratio_state *st = user;
    if (st->fail_fit == 1) {
        tier_scorer_set_error("no budget data for this quarter");
        return 1;
    }
    if (st->fail_fit == 2)
        return 42;
    const double *m;
    if (tier_dataset_numeric(&m, ds, st->fail_fit == 3 ? "monetray" : "monetary") != TIER_OK)
        return -1; /* the library's own message explains */
    size_t n = tier_dataset_size(ds);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += m[i];
    if (n == 0 || sum == 0) {
        tier_scorer_set_error("mean monetary value is zero");
        return 1;
    }
    st->mean = sum / (double)n;
    return 0;
}

static int ratio_apply(void *user, const tier_dataset *ds, tier_scorer_output *out)
{
    const ratio_state *st = user;
    if (st->fail_apply) {
        tier_scorer_set_error("scoring service unavailable");
        return 1;
    }
    const double *m;
    if (tier_dataset_numeric(&m, ds, "monetary") != TIER_OK)
        return -1;
    size_t n = tier_dataset_size(ds);
    double *ratio;
    if (tier_scorer_output_numeric(&ratio, out, 0) != TIER_OK)
        return -1;
    int32_t *codes = malloc((n ? n : 1) * sizeof *codes);
    for (size_t i = 0; i < n; i++) {
        ratio[i] = m[i] / st->mean;
        codes[i] = m[i] >= st->mean ? 1 : 0;
    }
    if (st->bad_code && n)
        codes[0] = 7;
    static const char *const dict[] = { "low", "high" };
    int rc = 0;
    if (!st->skip_output)
        rc = tier_scorer_output_categorical(out, 1, codes, dict, 2);
    free(codes);
    return rc;
}

static int ratio_save(void *user, tier_scorer_writer *w)
{
    const ratio_state *st = user;
    return tier_scorer_write(w, &st->mean, sizeof st->mean);
}

static int ratio_load(void *user, const void *data, size_t size)
{
    ratio_state *st = user;
    if (st->fail_load || size != sizeof st->mean) {
        tier_scorer_set_error("state must be 8 bytes");
        return 1;
    }
    memcpy(&st->mean, data, sizeof st->mean);
    return 0;
}

static void ratio_destroy(void *user)
{
    ratio_state *st = user;
    if (st->destroyed)
        (*st->destroyed)++;
    free(st);
}

static tier_scorer_vtable ratio_vtable(void)
{
    tier_scorer_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.version = TIER_SCORER_VTABLE_VERSION;
    vt.name = "spend_ratio";
    vt.n_inputs = 1;
    vt.inputs = ratio_inputs;
    vt.n_outputs = 2;
    vt.outputs = ratio_outputs;
    vt.output_types = ratio_types;
    vt.fit = ratio_fit;
    vt.apply = ratio_apply;
    vt.save = ratio_save;
    vt.load = ratio_load;
    vt.destroy = ratio_destroy;
    return vt;
}

static ratio_state *new_state(int *destroyed)
{
    ratio_state *st = calloc(1, sizeof *st);
    st->destroyed = destroyed;
    return st;
}

/* Customers a (spend 10), b (30), c (20) */
static tier_dataset *small_ds(void)
{
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, NULL));
    const char *ids[] = { "a", "b", "c", "b" };
    const int64_t t[] = { T0, T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY };
    const double amt[] = { 10, 20, 20, 10 };
    TIER_CHECK(tier_dataset_add_transactions(ds, 4, ids, t, amt, NULL));
    TIER_CHECK(tier_dataset_compute_features(ds, T0 + 10 * DAY));
    return ds;
}

static const double *num(const tier_dataset *ds, const char *name)
{
    const double *v = NULL;
    TIER_CHECK(tier_dataset_numeric(&v, ds, name));
    return v;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_custom_fit_apply(void **state)
{
    (void)state;
    int destroyed = 0;
    tier_scorer_vtable vt = ratio_vtable();
    tier_scorer *s = NULL;
    TIER_CHECK(tier_scorer_new_custom(&s, &vt, new_state(&destroyed), NULL));
    memset(&vt, 0xff, sizeof vt); /* the library copied it */
    assert_string_equal(tier_scorer_name(s), "spend_ratio");
    assert_true(tier_scorer_is_custom(s));
    assert_false(tier_scorer_is_fitted(s));
    assert_int_equal(tier_scorer_input_count(s), 1);
    assert_string_equal(tier_scorer_input_name(s, 0), "monetary");
    assert_int_equal(tier_scorer_output_count(s), 2);
    assert_string_equal(tier_scorer_output_name(s, 1), "band");
    tier_column_type t;
    TIER_CHECK(tier_scorer_output_type(&t, s, 1));
    assert_int_equal(t, TIER_COLUMN_CATEGORICAL);
    TIER_EXPECT_ERROR(tier_scorer_output_type(&t, s, 2), TIER_EINVAL, "out of range");

    tier_dataset *ds = small_ds();
    TIER_EXPECT_ERROR(tier_scorer_apply(s, ds), TIER_ENOTFITTED, "spend_ratio");
    TIER_CHECK(tier_scorer_fit_apply(s, ds));
    assert_true(tier_scorer_is_fitted(s));
    const double *ratio = num(ds, "ratio");
    assert_true(ratio[0] == 0.5 && ratio[1] == 1.5 && ratio[2] == 1.0);
    const int32_t *codes;
    const char *const *dict;
    size_t nd;
    TIER_CHECK(tier_dataset_categorical(&codes, &dict, &nd, ds, "band"));
    assert_int_equal(nd, 2);
    assert_string_equal(dict[codes[0]], "low");
    assert_string_equal(dict[codes[1]], "high");
    assert_string_equal(dict[codes[2]], "high");

    /* prefixes work for user strategies too */
    TIER_CHECK(tier_scorer_set_output_prefix(s, "u_"));
    TIER_CHECK(tier_scorer_apply(s, ds));
    assert_true(num(ds, "u_ratio")[1] == 1.5);
    assert_int_equal(destroyed, 0);
    tier_scorer_free(s);
    assert_int_equal(destroyed, 1);
    tier_dataset_free(ds);
}

static void test_custom_stateless(void **state)
{
    (void)state;
    tier_scorer_vtable vt = ratio_vtable();
    vt.fit = NULL; /* no fit needed: usable at once */
    vt.destroy = NULL;
    vt.save = NULL;
    ratio_state st = { 15.0, NULL, 0, 0, 0, 0, 0 };
    tier_scorer_options o = TIER_SCORER_OPTIONS_INIT;
    o.output_prefix = "p_";
    tier_scorer *s = NULL;
    TIER_CHECK(tier_scorer_new_custom(&s, &vt, &st, &o));
    assert_true(tier_scorer_is_fitted(s));
    tier_dataset *ds = small_ds();
    TIER_CHECK(tier_scorer_fit(s, ds)); /* a no-op */
    TIER_CHECK(tier_scorer_apply(s, ds));
    assert_true(num(ds, "p_ratio")[1] == 2.0);
    TIER_EXPECT_ERROR(tier_scorer_save(s, test_temp_path("x.model")), TIER_ECALLBACK, "no save callback");
    tier_scorer_free(s);
    tier_dataset_free(ds);
}

static void test_failing_callbacks(void **state)
{
    (void)state;
    int destroyed = 0;
    tier_scorer_vtable vt = ratio_vtable();
    ratio_state *st = new_state(&destroyed);
    tier_scorer *s = NULL;
    TIER_CHECK(tier_scorer_new_custom(&s, &vt, st, NULL));
    tier_dataset *ds = small_ds();

    st->fail_fit = 1;
    TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_ECALLBACK,
                      "scorer 'spend_ratio' fit: no budget data for this quarter");
    assert_false(tier_scorer_is_fitted(s));
    st->fail_fit = 2;
    TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_ECALLBACK, "returned 42");
    st->fail_fit = 3;
    TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_ECALLBACK, "did you mean 'monetary'");
    st->fail_fit = 0;
    TIER_CHECK(tier_scorer_fit(s, ds));

    /* a failing apply leaves the dataset unchanged */
    size_t ncols = tier_dataset_column_count(ds);
    st->fail_apply = 1;
    TIER_EXPECT_ERROR(tier_scorer_apply(s, ds), TIER_ECALLBACK, "scorer 'spend_ratio' apply: scoring service unavailable");
    assert_int_equal(tier_dataset_column_count(ds), ncols);
    st->fail_apply = 0;
    st->skip_output = 1;
    TIER_EXPECT_ERROR(tier_scorer_apply(s, ds), TIER_ECALLBACK, "output 'band' was not written");
    assert_int_equal(tier_dataset_column_count(ds), ncols);
    st->skip_output = 0;
    st->bad_code = 1;
    TIER_EXPECT_ERROR(tier_scorer_apply(s, ds), TIER_ECALLBACK, "row 0 has code 7");
    assert_int_equal(tier_dataset_column_count(ds), ncols);
    st->bad_code = 0;
    TIER_CHECK(tier_scorer_apply(s, ds));
    assert_int_equal(tier_dataset_column_count(ds), ncols + 2);

    /* a declared input the dataset lacks is reported before any callback runs */
    static const char *const spend[] = { "spend" };
    tier_scorer_vtable vt2 = ratio_vtable();
    vt2.inputs = spend;
    tier_scorer *s2 = NULL;
    ratio_state *st2 = new_state(&destroyed);
    st2->fail_fit = 1; /* would fail if called */
    TIER_CHECK(tier_scorer_new_custom(&s2, &vt2, st2, NULL));
    TIER_EXPECT_ERROR(tier_scorer_fit(s2, ds), TIER_ENOTFOUND, "spend_ratio: unknown column 'spend'");
    TIER_EXPECT_ERROR(tier_scorer_fit_apply(s2, ds), TIER_ENOTFOUND, "unknown column 'spend'");
    tier_scorer_free(s2);
    assert_int_equal(destroyed, 1);
    tier_scorer_free(s);
    assert_int_equal(destroyed, 2);
    tier_dataset_free(ds);
}

static void test_output_api_misuse(void **state)
{
    (void)state;
    assert_int_equal(tier_scorer_output_numeric(NULL, NULL, 0), TIER_EINVAL);
    double *v = (double *)1;
    TIER_EXPECT_ERROR(tier_scorer_output_numeric(&v, NULL, 0), TIER_EINVAL, "NULL output");
    assert_null(v);
    TIER_EXPECT_ERROR(tier_scorer_output_categorical(NULL, 0, NULL, NULL, 0), TIER_EINVAL, "NULL output");
    TIER_EXPECT_ERROR(tier_scorer_write(NULL, "x", 1), TIER_EINVAL, "NULL");
    tier_scorer_set_error("hello");
    assert_string_equal(tier_last_error(), "hello");
    assert_int_equal(tier_last_error_status(), TIER_ECALLBACK);
    tier_scorer_set_error(NULL);
    assert_string_equal(tier_last_error(), "");
}

static int wrong_type_apply(void *user, const tier_dataset *ds, tier_scorer_output *out)
{
    (void)user;
    double *v;
    int rc = tier_scorer_output_numeric(&v, out, 1); /* output 1 is categorical */
    if (rc != TIER_EINVAL)
        return 100;
    rc = tier_scorer_output_numeric(&v, out, 9);
    if (rc != TIER_EINVAL)
        return 101;
    const int32_t codes[3] = { 0, 1, 0 };
    static const char *const dup[] = { "x", "x" };
    if (tier_scorer_output_categorical(out, 1, codes, dup, 2) != TIER_EINVAL)
        return 102;
    if (tier_scorer_output_categorical(out, 0, codes, dup, 1) != TIER_EINVAL)
        return 103;
    if (tier_dataset_size(ds) != 3)
        return 104;
    tier_scorer_set_error("checked");
    return 1;
}

static void test_output_type_checks(void **state)
{
    (void)state;
    tier_scorer_vtable vt = ratio_vtable();
    vt.fit = NULL;
    vt.destroy = NULL;
    vt.apply = wrong_type_apply;
    tier_scorer *s = NULL;
    TIER_CHECK(tier_scorer_new_custom(&s, &vt, NULL, NULL));
    tier_dataset *ds = small_ds();
    TIER_EXPECT_ERROR(tier_scorer_apply(s, ds), TIER_ECALLBACK, "apply: checked");
    tier_scorer_free(s);
    tier_dataset_free(ds);
}

static void test_custom_save_load(void **state)
{
    (void)state;
    int destroyed = 0;
    tier_scorer_vtable vt = ratio_vtable();
    tier_scorer *s = NULL;
    TIER_CHECK(tier_scorer_new_custom(&s, &vt, new_state(&destroyed), NULL));
    tier_dataset *ds = small_ds();
    TIER_EXPECT_ERROR(tier_scorer_save(s, test_temp_path("r.model")), TIER_ENOTFITTED, "not fitted");
    TIER_CHECK(tier_scorer_fit(s, ds));
    TIER_CHECK(tier_scorer_set_output_prefix(s, "saved_"));
    const char *path = test_temp_path("ratio.model");
    TIER_CHECK(tier_scorer_save(s, path));
    char kind[64];
    int custom = 0;
    TIER_CHECK(tier_scorer_file_kind(kind, sizeof kind, &custom, path));
    assert_string_equal(kind, "spend_ratio");
    assert_int_equal(custom, 1);

    /* the generic loader refuses, pointing to the custom one */
    tier_scorer *l = (tier_scorer *)1;
    TIER_EXPECT_ERROR(tier_scorer_load(&l, path, NULL), TIER_ENOTFOUND, "tier_scorer_load_custom");
    assert_null(l);

    TIER_CHECK(tier_scorer_load_custom(&l, path, &vt, new_state(&destroyed), NULL));
    assert_true(tier_scorer_is_fitted(l));
    assert_string_equal(tier_scorer_output_name(l, 0), "saved_ratio");
    TIER_CHECK(tier_scorer_apply(s, ds));
    double want[3];
    memcpy(want, num(ds, "saved_ratio"), sizeof want);
    TIER_CHECK(tier_dataset_set_numeric(ds, "saved_ratio", (double[3]){ 0, 0, 0 }));
    TIER_CHECK(tier_scorer_apply(l, ds));
    assert_memory_equal(num(ds, "saved_ratio"), want, sizeof want);
    tier_scorer_free(l);
    assert_int_equal(destroyed, 1);

    /* every failure destroys the fresh user object exactly once */
    tier_scorer_vtable other = vt;
    other.name = "other_name";
    TIER_EXPECT_ERROR(tier_scorer_load_custom(&l, path, &other, new_state(&destroyed), NULL), TIER_ENOTFOUND,
                      "model of scorer 'spend_ratio', not 'other_name'");
    assert_int_equal(destroyed, 2);
    ratio_state *failing = new_state(&destroyed);
    failing->fail_load = 1;
    TIER_EXPECT_ERROR(tier_scorer_load_custom(&l, path, &vt, failing, NULL), TIER_ECALLBACK, "state must be 8 bytes");
    assert_int_equal(destroyed, 3);
    static const char *const more[] = { "ratio", "band", "extra" };
    static const tier_column_type more_types[] = { TIER_COLUMN_NUMERIC, TIER_COLUMN_CATEGORICAL, TIER_COLUMN_NUMERIC };
    tier_scorer_vtable changed = vt;
    changed.n_outputs = 3;
    changed.outputs = more;
    changed.output_types = more_types;
    TIER_EXPECT_ERROR(tier_scorer_load_custom(&l, path, &changed, new_state(&destroyed), NULL), TIER_ENOTFOUND,
                      "columns differ");
    assert_int_equal(destroyed, 4);
    TIER_EXPECT_ERROR(tier_scorer_load_custom(&l, test_temp_path("nope"), &vt, new_state(&destroyed), NULL),
                      TIER_ENOTFOUND, "nope");
    assert_int_equal(destroyed, 5);

    /* an RFM model through the custom loader */
    tier_scorer *rfm = NULL;
    TIER_CHECK(tier_rfm_new(&rfm, NULL));
    TIER_CHECK(tier_scorer_fit(rfm, ds));
    const char *rpath = test_temp_path("rfm.model");
    TIER_CHECK(tier_scorer_save(rfm, rpath));
    TIER_EXPECT_ERROR(tier_scorer_load_custom(&l, rpath, &vt, new_state(&destroyed), NULL), TIER_ENOTFOUND,
                      "built-in strategy 'rfm'");
    assert_int_equal(destroyed, 6);
    tier_scorer_free(rfm);
    tier_scorer_free(s);
    assert_int_equal(destroyed, 7);
    tier_dataset_free(ds);
}

static void test_vtable_validation(void **state)
{
    (void)state;
    int destroyed = 0;
    tier_scorer *s = (tier_scorer *)1;
    tier_scorer_vtable vt = ratio_vtable();

    TIER_EXPECT_ERROR(tier_scorer_new_custom(&s, NULL, NULL, NULL), TIER_EINVAL, "NULL vtable");
    assert_null(s);
    vt.version = 0;
    TIER_EXPECT_ERROR(tier_scorer_new_custom(&s, &vt, new_state(&destroyed), NULL), TIER_EVERSION, "version 0");
    assert_int_equal(destroyed, 1); /* ownership passed even on failure */
    vt.version = TIER_SCORER_VTABLE_VERSION + 1;
    TIER_EXPECT_ERROR(tier_scorer_new_custom(&s, &vt, new_state(&destroyed), NULL), TIER_EVERSION, "vtable");
    vt = ratio_vtable();
    vt.apply = NULL;
    TIER_EXPECT_ERROR(tier_scorer_new_custom(&s, &vt, new_state(&destroyed), NULL), TIER_EINVAL, "no apply callback");
    vt = ratio_vtable();
    vt.name = "rfm";
    TIER_EXPECT_ERROR(tier_scorer_new_custom(&s, &vt, new_state(&destroyed), NULL), TIER_EEXISTS, "built-in");
    vt.name = "has space";
    TIER_EXPECT_ERROR(tier_scorer_new_custom(&s, &vt, new_state(&destroyed), NULL), TIER_EINVAL, "has space");
    vt = ratio_vtable();
    static const char *const dup[] = { "a", "a" };
    vt.outputs = dup;
    TIER_EXPECT_ERROR(tier_scorer_new_custom(&s, &vt, new_state(&destroyed), NULL), TIER_EINVAL, "declared twice");
    static const char *const badname[] = { "ok", "9lives" };
    vt.outputs = badname;
    TIER_EXPECT_ERROR(tier_scorer_new_custom(&s, &vt, new_state(&destroyed), NULL), TIER_EINVAL, "'9lives'");
    static const char *const feature[] = { "ratio", "tenure" };
    vt.outputs = feature;
    TIER_EXPECT_ERROR(tier_scorer_new_custom(&s, &vt, new_state(&destroyed), NULL), TIER_EINVAL,
                      "output 'tenure' would replace a feature column");
    vt = ratio_vtable();
    vt.n_outputs = 0;
    TIER_EXPECT_ERROR(tier_scorer_new_custom(&s, &vt, new_state(&destroyed), NULL), TIER_EINVAL, "no output");
    vt = ratio_vtable();
    static const tier_column_type badtype[] = { TIER_COLUMN_NUMERIC, (tier_column_type)9 };
    vt.output_types = badtype;
    TIER_EXPECT_ERROR(tier_scorer_new_custom(&s, &vt, new_state(&destroyed), NULL), TIER_EINVAL, "unknown type 9");
    vt = ratio_vtable();
    tier_scorer_options o = TIER_SCORER_OPTIONS_INIT;
    o.output_prefix = "bad prefix";
    TIER_EXPECT_ERROR(tier_scorer_new_custom(&s, &vt, new_state(&destroyed), &o), TIER_EINVAL, "only letters");
    o.output_prefix = "a_very_long_prefix_that_is_just_too_long_for_any_column_name_";
    TIER_EXPECT_ERROR(tier_scorer_new_custom(&s, &vt, new_state(&destroyed), &o), TIER_EINVAL, "longer than 63");
    o = (tier_scorer_options)TIER_SCORER_OPTIONS_INIT;
    o.version = 2;
    TIER_EXPECT_ERROR(tier_scorer_new_custom(&s, &vt, new_state(&destroyed), &o), TIER_EVERSION, "version 2");
    assert_int_equal(destroyed, 13);
    TIER_EXPECT_ERROR(tier_scorer_new_custom(NULL, &vt, new_state(&destroyed), NULL), TIER_EINVAL, "NULL out");
    assert_int_equal(destroyed, 14);
    TIER_CHECK(tier_scorer_options_init(&o, TIER_SCORER_OPTIONS_VERSION));
    assert_null(o.allocator);
    assert_null(o.output_prefix);
    TIER_EXPECT_ERROR(tier_scorer_options_init(&o, 5), TIER_EVERSION, "version 5");
}

static void test_generic_null_and_prefix(void **state)
{
    (void)state;
    assert_null(tier_scorer_name(NULL));
    assert_int_equal(tier_scorer_input_count(NULL), 0);
    assert_int_equal(tier_scorer_output_count(NULL), 0);
    assert_null(tier_scorer_output_name(NULL, 0));
    assert_false(tier_scorer_is_fitted(NULL));
    assert_false(tier_scorer_is_custom(NULL));
    tier_scorer_free(NULL);
    TIER_EXPECT_ERROR(tier_scorer_fit(NULL, NULL), TIER_EINVAL, "NULL");
    TIER_EXPECT_ERROR(tier_scorer_apply(NULL, NULL), TIER_EINVAL, "NULL");
    TIER_EXPECT_ERROR(tier_scorer_fit_apply(NULL, NULL), TIER_EINVAL, "NULL");
    TIER_EXPECT_ERROR(tier_scorer_save(NULL, "x"), TIER_EINVAL, "NULL");
    TIER_EXPECT_ERROR(tier_scorer_load(NULL, "x", NULL), TIER_EINVAL, "NULL");
    TIER_EXPECT_ERROR(tier_scorer_set_output_prefix(NULL, "x"), TIER_EINVAL, "NULL");

    tier_scorer *s = NULL;
    TIER_CHECK(tier_rfm_new(&s, NULL));
    assert_false(tier_scorer_is_custom(s));
    TIER_EXPECT_ERROR(tier_scorer_set_output_prefix(s, "bad-prefix"), TIER_EINVAL, "only letters");
    assert_string_equal(tier_scorer_output_prefix(s), ""); /* unchanged */
    assert_string_equal(tier_scorer_output_name(s, 0), "r_score");
    TIER_CHECK(tier_scorer_set_output_prefix(s, "Q1_"));
    assert_string_equal(tier_scorer_output_name(s, 0), "Q1_r_score");
    TIER_CHECK(tier_scorer_set_output_prefix(s, ""));
    assert_string_equal(tier_scorer_output_name(s, 5), "rfm_segment");

    /* a prefix that would turn an output into a feature column name is refused */
    static const char *const x_out[] = { "x" };
    tier_scorer_vtable xv = ratio_vtable();
    xv.destroy = NULL;
    xv.n_outputs = 1;
    xv.outputs = x_out;
    xv.output_types = NULL;
    tier_scorer *xs = NULL;
    TIER_CHECK(tier_scorer_new_custom(&xs, &xv, NULL, NULL));
    TIER_EXPECT_ERROR(tier_scorer_set_output_prefix(xs, "t_"), TIER_EINVAL, "'t_x' would replace a feature column");
    assert_string_equal(tier_scorer_output_name(xs, 0), "x");
    tier_scorer_free(xs);

    /* RFM functions refuse a user-defined scorer */
    tier_scorer_vtable vt = ratio_vtable();
    vt.destroy = NULL;
    tier_scorer *c = NULL;
    TIER_CHECK(tier_scorer_new_custom(&c, &vt, NULL, NULL));
    const double *e;
    TIER_EXPECT_ERROR(tier_rfm_cuts(&e, NULL, c, TIER_RFM_RECENCY), TIER_EINVAL, "scorer is 'spend_ratio', not 'rfm'");
    assert_int_equal(tier_rfm_bins(c, TIER_RFM_RECENCY), 0);
    tier_scorer_free(c);
    tier_scorer_free(s);
}

/* Everything the scorer allocates goes through a user allocator and is given back. */
static void test_custom_allocator(void **state)
{
    (void)state;
    test_alloc cnt = { 0 };
    tier_allocator a = test_allocator_of(&cnt);
    tier_rfm_options o = TIER_RFM_OPTIONS_INIT;
    o.allocator = &a;
    tier_scorer *s = NULL;
    TIER_CHECK(tier_rfm_new(&s, &o));
    assert_true(cnt.calls > 0);
    tier_dataset *ds = small_ds();
    TIER_CHECK(tier_scorer_fit_apply(s, ds));
    const char *path = test_temp_path("alloc.model");
    TIER_CHECK(tier_scorer_save(s, path));
    tier_scorer_free(s);
    assert_int_equal(cnt.live, 0);
    tier_scorer_options lo = TIER_SCORER_OPTIONS_INIT;
    lo.allocator = &a;
    TIER_CHECK(tier_scorer_load(&s, path, &lo));
    TIER_CHECK(tier_scorer_apply(s, ds));
    tier_scorer_free(s);
    assert_int_equal(cnt.live, 0);
    tier_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_custom_fit_apply),
        cmocka_unit_test(test_custom_stateless),
        cmocka_unit_test(test_failing_callbacks),
        cmocka_unit_test(test_output_api_misuse),
        cmocka_unit_test(test_output_type_checks),
        cmocka_unit_test(test_custom_save_load),
        cmocka_unit_test(test_vtable_validation),
        cmocka_unit_test(test_generic_null_and_prefix),
        cmocka_unit_test(test_custom_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
