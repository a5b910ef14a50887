/* Tests for include/tier/rules.h: the rule language (every operator, precedence, NaN
 * semantics, every compile and binding error with its line:column), the compiled rule set's
 * accessors, and the vectorised evaluator checked against a straightforward row-by-row
 * evaluator written here, on random rule sets over random data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define T0 1293840000LL /* 2011-01-01T00:00:00Z */

/* ---- helpers ---------------------------------------------------------------------------------- */

static tier_rules *compile(const char *text)
{
    tier_rules *r = NULL;
    TIER_CHECK(tier_rules_compile(&r, text, strlen(text), "test.tier", NULL));
    return r;
}

/* A dataset of n customers ("c0", "c1", ...) with one purchase each, features computed. */
static tier_dataset *make_ds(size_t n, unsigned threads)
{
    tier_dataset_options o = TIER_DATASET_OPTIONS_INIT;
    o.n_threads = threads;
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, &o));
    char **ids = malloc((n + 1) * sizeof *ids);
    char *buf = malloc((n + 1) * 24);
    int64_t *t = malloc((n + 1) * sizeof *t);
    double *am = malloc((n + 1) * sizeof *am);
    for (size_t i = 0; i < n; i++) {
        ids[i] = buf + 24 * i;
        snprintf(ids[i], 24, "c%zu", i);
        t[i] = T0 + (int64_t)(i % 100) * 86400;
        am[i] = 10.0 + (double)(i % 7);
    }
    TIER_CHECK(tier_dataset_add_transactions(ds, n, (const char *const *)ids, t, am, NULL));
    TIER_CHECK(tier_dataset_compute_features(ds, T0 + 200 * 86400LL));
    free(ids);
    free(buf);
    free(t);
    free(am);
    return ds;
}

static void set_num(tier_dataset *ds, const char *name, const double *v)
{
    TIER_CHECK(tier_dataset_set_numeric(ds, name, v));
}

/* Evaluates a rule set and returns a malloc'd array of tiers. */
static int32_t *eval(const tier_rules *r, const tier_dataset *ds)
{
    size_t n = tier_dataset_size(ds);
    int32_t *t = malloc((n + 1) * sizeof *t);
    TIER_CHECK(tier_rules_evaluate(t, r, ds));
    return t;
}

/* Evaluates "tier Yes when COND otherwise No" and returns 1/0 per row as a string "1001...". */
static const char *truth(const char *cond, const tier_dataset *ds)
{
    static char out[64];
    char text[1024];
    snprintf(text, sizeof text, "tier Yes when %s\notherwise No", cond);
    tier_rules *r = compile(text);
    int32_t *t = eval(r, ds);
    size_t n = tier_dataset_size(ds);
    for (size_t i = 0; i < n && i < sizeof out - 1; i++)
        out[i] = t[i] == 0 ? '1' : '0';
    out[n < sizeof out - 1 ? n : sizeof out - 1] = '\0';
    free(t);
    tier_rules_free(r);
    return out;
}

/* A 6-row dataset with hand-picked values, including NaN, inf and a missing category. */
static tier_dataset *small_ds(void)
{
    tier_dataset *ds = make_ds(6, 1);
    const double a[6] = {1, 2, 3, NAN, -4, INFINITY};
    const double b[6] = {10, 0, 3, 5, NAN, 1e308};
    const double c[6] = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
    set_num(ds, "a", a);
    set_num(ds, "b", b);
    set_num(ds, "c", c);
    const int32_t codes[6] = {0, 1, 2, TIER_MISSING_CODE, 0, 1};
    const char *dict[3] = {"France", "Germany", "United Kingdom"};
    TIER_CHECK(tier_dataset_set_categorical(ds, "country", codes, dict, 3));
    return ds;
}

/* ---- the language ----------------------------------------------------------------------------- */

static void test_every_operator(void **state)
{
    (void)state;
    tier_dataset *ds = small_ds();
    /* a = 1 2 3 NaN -4 inf ; b = 10 0 3 5 NaN 1e308 ; country = F G UK - F G */
    assert_string_equal(truth("a > 2", ds), "001001");
    assert_string_equal(truth("a >= 2", ds), "011001");
    assert_string_equal(truth("a < 2", ds), "100010");
    assert_string_equal(truth("a <= 2", ds), "110010");
    assert_string_equal(truth("a = 3", ds), "001000");
    assert_string_equal(truth("a == 3", ds), "001000");
    assert_string_equal(truth("a != 3", ds), "110011");
    assert_string_equal(truth("a <> 3", ds), "110011");
    assert_string_equal(truth("a = b", ds), "001000");
    assert_string_equal(truth("a != b", ds), "110001");
    assert_string_equal(truth("a < b", ds), "100000");
    assert_string_equal(truth("a <= b", ds), "101000");
    assert_string_equal(truth("a + b > 5", ds), "101001");
    assert_string_equal(truth("b - a = 9", ds), "100000");
    assert_string_equal(truth("a * 2 = 6", ds), "001000");
    assert_string_equal(truth("b / a = 1", ds), "001000");
    assert_string_equal(truth("-a = 4", ds), "000010");
    assert_string_equal(truth("+a = 1", ds), "100000");
    assert_string_equal(truth("10 - a = 8", ds), "010000");
    assert_string_equal(truth("6 / a = 3", ds), "010000");
    assert_string_equal(truth("a between 2 and 3", ds), "011000");
    assert_string_equal(truth("a not between 2 and 3", ds), "100011");
    assert_string_equal(truth("a between 1 and b", ds), "101000");
    assert_string_equal(truth("a not between 1 and b", ds), "010011");
    assert_string_equal(truth("a in (1, 3, -4)", ds), "101010");
    assert_string_equal(truth("a not in (1, 3, -4)", ds), "010001");
    assert_string_equal(truth("a is missing", ds), "000100");
    assert_string_equal(truth("a is not missing", ds), "111011");
    assert_string_equal(truth("b is missing", ds), "000010");
    assert_string_equal(truth("a + b is missing", ds), "000110");
    assert_string_equal(truth("a > 1 and b > 1", ds), "001001");
    assert_string_equal(truth("a > 2 or b > 5", ds), "101001");
    assert_string_equal(truth("not a > 2", ds), "110110");
    assert_string_equal(truth("not (a > 2)", ds), "110110");
    assert_string_equal(truth("abs(a) = 4", ds), "000010");
    assert_string_equal(truth("log(a) > 1", ds), "001001");
    assert_string_equal(truth("log(a) is missing", ds), "000110");
    assert_string_equal(truth("min(a, b) = 0", ds), "010000");
    assert_string_equal(truth("max(a, b, 4) = 4", ds), "011000");
    assert_string_equal(truth("max(a, 2.5) = 2.5", ds), "110010");
    assert_string_equal(truth("min(a, b) is missing", ds), "000110");
    assert_string_equal(truth("country = \"France\"", ds), "100010");
    assert_string_equal(truth("\"France\" = country", ds), "100010");
    assert_string_equal(truth("country != \"France\"", ds), "011001");
    assert_string_equal(truth("country in ('Germany', \"United Kingdom\")", ds), "011001");
    assert_string_equal(truth("country not in ('Germany')", ds), "101010");
    assert_string_equal(truth("country = \"Atlantis\"", ds), "000000");
    assert_string_equal(truth("country != \"Atlantis\"", ds), "111011");
    assert_string_equal(truth("country is missing", ds), "000100");
    assert_string_equal(truth("country is not missing", ds), "111011");
    assert_string_equal(truth("`a` > 2", ds), "001001");
    assert_string_equal(truth("a > 2 AND b > 0 Or a IS Missing", ds), "001101");
    tier_dataset_free(ds);
}

static void test_missing_semantics(void **state)
{
    (void)state;
    tier_dataset *ds = small_ds();
    /* Row 3 has a = NaN: every comparison is false, in all its forms... */
    const char *false_for_nan[] = {"a > 0", "a < 0", "a = 0", "a != 0", "a between -1e9 and 1e9",
                                   "a not between 0 and 1", "a in (0)", "a not in (0)",
                                   "a + 1 > 0", "a * 0 = 0", "abs(a) >= 0", "min(a, 1) <= 1"};
    for (size_t i = 0; i < sizeof false_for_nan / sizeof *false_for_nan; i++)
        if (truth(false_for_nan[i], ds)[3] != '0')
            fail_msg("'%s' should be false for a missing value", false_for_nan[i]);
    /* ... while 'not' simply negates a condition. */
    assert_int_equal(truth("not (a > 0)", ds)[3], '1');
    assert_int_equal(truth("not (a in (0))", ds)[3], '1');
    /* Missing category: comparisons false, 'not' negates. */
    assert_int_equal(truth("country != \"France\"", ds)[3], '0');
    assert_int_equal(truth("country not in (\"France\")", ds)[3], '0');
    assert_int_equal(truth("not (country = \"France\")", ds)[3], '1');
    /* IEEE arithmetic: inf stays comparable, 0/0 and log of a negative are missing. */
    assert_string_equal(truth("a > 1e300", ds), "000001");
    assert_string_equal(truth("a / 0 > 0", ds), "111001");
    assert_string_equal(truth("0 / 0 is missing", ds), "111111");
    assert_string_equal(truth("log(-1) is missing", ds), "111111");
    assert_string_equal(truth("log(0) < -1e308", ds), "111111");
    tier_dataset_free(ds);
}

static void test_precedence(void **state)
{
    (void)state;
    tier_dataset *ds = small_ds();
    /* a = 1 2 3 NaN -4 inf; b = 10 0 3 5 NaN 1e308 */
    assert_string_equal(truth("a + 2 * 3 = 7", ds), "100000");   /* 1 + 6, not 9 */
    assert_string_equal(truth("(a + 2) * 3 = 9", ds), "100000");
    assert_string_equal(truth("b - a - 1 = 8", ds), "100000");   /* (10-1)-1, left assoc */
    assert_string_equal(truth("b - (a - 1) = 10", ds), "100000");
    assert_string_equal(truth("12 / 2 / a = 3", ds), "010000");  /* (12/2)/2 */
    assert_string_equal(truth("-a * 2 = -2", ds), "100000");
    assert_string_equal(truth("- -a = 1", ds), "100000");
    assert_string_equal(truth("2 * -a = -4", ds), "010000");
    assert_string_equal(truth("a + b * c > 5", ds), "100001");   /* 1 + 5 = 6 */
    /* and binds tighter than or; not tighter than and */
    assert_string_equal(truth("a = 1 or a = 2 and b = 5", ds), "100000");
    assert_string_equal(truth("(a = 1 or a = 2) and b = 0", ds), "010000");
    assert_string_equal(truth("not a = 1 and a > 0", ds), "011001");
    assert_string_equal(truth("not (a = 1 and a > 0)", ds), "011111");
    assert_string_equal(truth("a = 1 or not a > 0", ds), "100110");
    /* between's 'and' is its own, the next 'and' joins conditions */
    assert_string_equal(truth("a between 1 and 2 and b > 5", ds), "100000");
    assert_string_equal(truth("a between 1 and 1 + 1 or b = 3", ds), "111000");
    /* arithmetic inside comparisons and lists */
    assert_string_equal(truth("a * 2 in (2, 6)", ds), "101000");
    assert_string_equal(truth("a + 1 is missing or a < 0", ds), "000110");
    /* constant folding gives the same answers */
    assert_string_equal(truth("1 + 2 * 3 = 7", ds), "111111");
    assert_string_equal(truth("1 < 2 and a > 2", ds), "001001");
    assert_string_equal(truth("1 > 2 or a > 2", ds), "001001");
    assert_string_equal(truth("1 > 2 and a > 2", ds), "000000");
    assert_string_equal(truth("not 1 > 2", ds), "111111");
    assert_string_equal(truth("3 between 1 and 5", ds), "111111");
    assert_string_equal(truth("3 not in (1, 2)", ds), "111111");
    assert_string_equal(truth("max(1, 5, 3) = 5 and min(4, -1) = -1", ds), "111111");
    assert_string_equal(truth("abs(-2) = 2 and log(1) = 0", ds), "111111");
    tier_dataset_free(ds);
}

static void test_lexical_details(void **state)
{
    (void)state;
    tier_dataset *ds = small_ds();
    /* comments, blank lines, semicolons, case-insensitive keywords, numbers in all forms */
    const char *text = "# leading comment\n\n"
                       "TIER Big WHEN a >= 2.5e0 AND b <= .5e2 # trailing comment\n"
                       "  LABEL \"Big \\\"ones\\\"\" ;\n"
                       "tier 'Quoted name' when a = 2.;\n"
                       "Otherwise Rest\n";
    tier_rules *r = compile(text);
    assert_int_equal(tier_rules_tier_count(r), 3);
    assert_string_equal(tier_rules_tier_name(r, 0), "Big");
    assert_string_equal(tier_rules_tier_label(r, 0), "Big \"ones\"");
    assert_string_equal(tier_rules_tier_name(r, 1), "Quoted name");
    assert_string_equal(tier_rules_tier_label(r, 1), "Quoted name");
    int32_t *t = eval(r, ds);
    assert_int_equal(t[0], 2);
    assert_int_equal(t[1], 1);
    assert_int_equal(t[2], 0);
    free(t);
    tier_rules_free(r);
    /* dates are seconds since the epoch at midnight UTC, comparable with time columns */
    assert_string_equal(truth("last_purchase >= 2011-01-03", ds), "001111");
    assert_string_equal(truth("2011-01-02 - 2011-01-01 = 86400", ds), "111111");
    /* CRLF line ends and tabs */
    tier_rules *crlf = compile("tier A when a > 1\r\n\tlabel \"x\"\r\notherwise B\r\n");
    assert_int_equal(tier_rules_tier_count(crlf), 2);
    tier_rules_free(crlf);
    /* empty text value and text with a comma or '#' */
    assert_string_equal(truth("country != \"\" and country != \"a#b,c\"", ds), "111011");
    tier_dataset_free(ds);
}

static void test_structure_and_accessors(void **state)
{
    (void)state;
    const char *text =
        "tier Diamond when monetary > 5000 and frequency > 10\n"
        "    label \"Top customers\"\n"
        "    retain when monetary > 4000\n"
        "tier Gold when monetary between 1000 and 5000 or country in (\"France\", \"Germany\")\n"
        "tier Silver when recency <= 90 and not (returns is missing)\n"
        "otherwise Normal label \"Everyone else\"\n"
        "policy grace 2 evaluations\n"
        "policy max downgrade 1 step\n"
        "pin \"12347\" to Gold until 2011-12-31\n"
        "pin 12348 to Normal until 2012-01-15;\n";
    tier_rules *r = compile(text);
    assert_int_equal(tier_rules_tier_count(r), 4);
    const char *names[] = {"Diamond", "Gold", "Silver", "Normal"};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(tier_rules_tier_name(r, i), names[i]);
        size_t index = 99;
        TIER_CHECK(tier_rules_tier_index(&index, r, names[i]));
        assert_int_equal(index, i);
    }
    assert_null(tier_rules_tier_name(r, 4));
    assert_null(tier_rules_tier_label(r, 4));
    assert_string_equal(tier_rules_tier_label(r, 0), "Top customers");
    assert_string_equal(tier_rules_tier_label(r, 1), "Gold");
    assert_string_equal(tier_rules_tier_label(r, 3), "Everyone else");
    assert_true(tier_rules_tier_has_retain(r, 0));
    assert_false(tier_rules_tier_has_retain(r, 1));
    assert_false(tier_rules_tier_has_retain(r, 9));
    size_t index;
    TIER_EXPECT_ERROR(tier_rules_tier_index(&index, r, "Gld"), TIER_ENOTFOUND,
                      "unknown tier 'Gld' (did you mean 'Gold'?)");
    assert_int_equal(tier_rules_column_count(r), 5);
    const char *cols[] = {"monetary", "frequency", "country", "recency", "returns"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(tier_rules_column_name(r, i), cols[i]);
    assert_null(tier_rules_column_name(r, 5));
    assert_int_equal(tier_rules_policy_value(r, TIER_POLICY_GRACE), 2);
    assert_int_equal(tier_rules_policy_value(r, TIER_POLICY_MAX_DOWNGRADE), 1);
    assert_int_equal(tier_rules_policy_value(r, (tier_rules_policy)42), 0);
    assert_string_equal(tier_rules_source_name(r), "test.tier");
    assert_int_equal(tier_rules_pin_count(r), 2);
    const char *id;
    size_t tier;
    int64_t until;
    TIER_CHECK(tier_rules_pin(&id, &tier, &until, r, 0));
    assert_string_equal(id, "12347");
    assert_int_equal(tier, 1);
    assert_int_equal(until, 1325289600LL + 86400); /* through the whole of 2011-12-31 */
    TIER_CHECK(tier_rules_pin(&id, &tier, &until, r, 1));
    assert_string_equal(id, "12348");
    assert_int_equal(tier, 3);
    TIER_EXPECT_ERROR(tier_rules_pin(&id, &tier, &until, r, 2), TIER_EINVAL, "out of range");
    tier_rules_free(r);

    /* defaults: no policy lines, just the otherwise tier */
    r = compile("otherwise Everyone");
    assert_int_equal(tier_rules_tier_count(r), 1);
    assert_int_equal(tier_rules_policy_value(r, TIER_POLICY_GRACE), 0);
    assert_int_equal(tier_rules_policy_value(r, TIER_POLICY_MAX_DOWNGRADE), 0);
    assert_int_equal(tier_rules_column_count(r), 0);
    tier_dataset *ds = make_ds(3, 1);
    int32_t *t = eval(r, ds);
    assert_int_equal(t[0] + t[1] + t[2], 0);
    free(t);
    tier_dataset_free(ds);
    tier_rules_free(r);
    /* alternative spellings of the policies */
    r = compile("otherwise N policy grace 0; policy max_downgrade 3 steps");
    assert_int_equal(tier_rules_policy_value(r, TIER_POLICY_MAX_DOWNGRADE), 3);
    tier_rules_free(r);
}

/* Every compile-time error, with its exact position. */
static void test_compile_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int status;
        const char *message;
    } cases[] = {
        /* lexical */
        {"tier A when x > 1 $ otherwise B", TIER_EPARSE, "e.tier:1:19: unexpected character '$'"},
        {"tier A when x = \"abc\notherwise B", TIER_EPARSE,
         "e.tier:1:17: unterminated text value '\"abc'"},
        {"tier A when `x > 1\notherwise B", TIER_EPARSE, "e.tier:1:13: unterminated quoted name"},
        {"tier A when `` > 1 otherwise B", TIER_EPARSE, "e.tier:1:13: empty quoted name"},
        {"tier A when x > 5000k otherwise B", TIER_EPARSE, "e.tier:1:17: malformed number '5000k'"},
        {"tier A when x > 1.2.3 otherwise B", TIER_EPARSE, "e.tier:1:17: malformed number '1.2.3'"},
        {"tier A when x > 1e999 otherwise B", TIER_EPARSE, "e.tier:1:17: number out of range '1e999'"},
        {"tier A when x > 2011-13-01 otherwise B", TIER_EPARSE,
         "e.tier:1:17: invalid date '2011-13-01'"},
        {"tier A when x > 2011-02-29 otherwise B", TIER_EPARSE,
         "e.tier:1:17: invalid date '2011-02-29'"},
        {"tier A when x > 1\n\n   \xc3\xa9 otherwise B", TIER_EPARSE,
         "e.tier:3:4: unexpected character '\xc3\xa9'"},
        {"tier A when x > 1 \x01", TIER_EPARSE, "e.tier:1:19: unexpected character '\\x01'"},
        /* statements */
        {"", TIER_EPARSE, "e.tier:1:1: the rule set has no 'otherwise' tier; end the tiers with "
                          "e.g. 'otherwise Normal'"},
        {"tier A when x > 1\n", TIER_EPARSE, "e.tier:2:1: the rule set has no 'otherwise' tier"},
        {"teir A when x > 1", TIER_EPARSE,
         "e.tier:1:1: expected 'tier', 'otherwise', 'policy' or 'pin', found 'teir' (did you mean "
         "'tier'?)"},
        {"otherwise B\n42", TIER_EPARSE,
         "e.tier:2:1: expected 'tier', 'otherwise', 'policy' or 'pin', found '42'"},
        {"label \"x\" otherwise B", TIER_EPARSE, "e.tier:1:1: 'label' must follow the tier it "
                                                 "belongs to"},
        {"tier when x > 1 otherwise B", TIER_EPARSE,
         "e.tier:1:6: expected a tier name after 'tier', found 'when'"},
        {"tier A x > 1 otherwise B", TIER_EPARSE,
         "e.tier:1:8: expected 'when' and a condition after 'tier A', found 'x'"},
        {"tier \"\" when x > 1 otherwise B", TIER_EPARSE, "e.tier:1:6: a tier name cannot be empty"},
        {"tier A when x > 1\ntier A when y > 1\notherwise B", TIER_EPARSE,
         "e.tier:2:6: tier 'A' is defined twice (first at 1:6)"},
        {"tier A when x > 1 otherwise A", TIER_EPARSE,
         "e.tier:1:29: tier 'A' is defined twice (first at 1:6)"},
        {"otherwise B\ntier A when x > 1", TIER_EPARSE,
         "e.tier:2:1: tier 'A' comes after the otherwise tier (at 1:1); 'otherwise' must be the "
         "last tier"},
        {"otherwise B otherwise C", TIER_EPARSE,
         "e.tier:1:13: only one 'otherwise' tier is allowed (the first is at 1:1)"},
        {"otherwise B when x > 1", TIER_EPARSE,
         "e.tier:1:13: the otherwise tier takes no condition"},
        {"otherwise B retain when x > 1", TIER_EPARSE,
         "e.tier:1:13: the otherwise tier cannot have a retain condition"},
        {"tier A when x > 1 label \"a\" label \"b\" otherwise B", TIER_EPARSE,
         "e.tier:1:29: tier 'A' already has a label"},
        {"tier A when x > 1 label b otherwise B", TIER_EPARSE,
         "e.tier:1:25: expected a text value in quotes after 'label', found 'b'"},
        {"tier A when x > 1 retain when x > 0 retain when x > 0 otherwise B", TIER_EPARSE,
         "e.tier:1:37: tier 'A' already has a retain condition"},
        {"tier A when x > 1 retain x > 0 otherwise B", TIER_EPARSE,
         "e.tier:1:26: expected 'when' and a condition after 'retain', found 'x'"},
        /* policies */
        {"otherwise B policy grace two", TIER_EPARSE,
         "e.tier:1:26: expected a whole number of evaluations after 'policy grace', found 'two'"},
        {"otherwise B policy grace 1.5", TIER_EPARSE,
         "e.tier:1:26: expected a whole number of evaluations after 'policy grace', found '1.5'"},
        {"otherwise B policy grace 2 days", TIER_EPARSE,
         "e.tier:1:28: expected 'evaluations' or the next statement (e.g. 'policy grace 2 "
         "evaluations'), found 'days'"},
        {"otherwise B policy grace 1\npolicy grace 2", TIER_EPARSE,
         "e.tier:2:1: the grace policy is already set at 1:13"},
        {"otherwise B policy max 1", TIER_EPARSE,
         "e.tier:1:24: expected 'downgrade' after 'policy max', found '1'"},
        {"otherwise B policy max downgrade 1 tiers", TIER_EPARSE,
         "e.tier:1:36: expected 'steps' or the next statement"},
        {"otherwise B policy max downgrade 1 policy max_downgrade 2", TIER_EPARSE,
         "e.tier:1:36: the max downgrade policy is already set at 1:13"},
        {"otherwise B policy grase 2", TIER_EPARSE,
         "e.tier:1:20: unknown policy 'grase' (did you mean 'grace'?)"},
        {"otherwise B policy 2", TIER_EPARSE,
         "e.tier:1:20: expected 'grace' or 'max downgrade' after 'policy', found '2'"},
        /* pins */
        {"otherwise B pin to B until 2012-01-01", TIER_EPARSE,
         "e.tier:1:20: expected 'to' and a tier name after the customer id, found 'B'"},
        {"otherwise B pin (", TIER_EPARSE, "e.tier:1:17: expected a customer id after 'pin'"},
        {"otherwise B pin \"1\" B until 2012-01-01", TIER_EPARSE,
         "e.tier:1:21: expected 'to' and a tier name after the customer id, found 'B'"},
        {"otherwise B pin \"1\" to B 2012-01-01", TIER_EPARSE,
         "e.tier:1:26: expected 'until' and a date (YYYY-MM-DD) after the tier name"},
        {"otherwise B pin \"1\" to B until 2012", TIER_EPARSE,
         "e.tier:1:32: expected a date (YYYY-MM-DD) after 'until', found '2012'"},
        {"tier Gold when x > 1 otherwise B pin \"1\" to Gld until 2012-01-01", TIER_ENOTFOUND,
         "e.tier:1:45: unknown tier 'Gld' in pin (did you mean 'Gold'?)"},
        {"otherwise B pin 7 to B until 2012-01-01 pin \"7\" to B until 2012-01-02", TIER_EPARSE,
         "e.tier:1:45: customer '7' is already pinned at 1:13"},
        {"otherwise B pin \"\" to B until 2012-01-01", TIER_EPARSE,
         "e.tier:1:17: a customer id cannot be empty"},
        /* expressions */
        {"tier A when otherwise B", TIER_EPARSE,
         "e.tier:1:13: expected a value (a number, a column name, a text value in quotes or '('), "
         "found 'otherwise'"},
        {"tier A when x >\n", TIER_EPARSE, "e.tier:2:1: expected a value"},
        {"tier A when (x > 1 otherwise B", TIER_EPARSE,
         "e.tier:1:20: expected ')' to close the '(' at 1:13, found 'otherwise'"},
        {"tier A when x > 1) otherwise B", TIER_EPARSE,
         "e.tier:1:18: expected 'tier', 'otherwise', 'policy' or 'pin', found ')'"},
        {"tier A when 1 < x < 3 otherwise B", TIER_EPARSE,
         "e.tier:1:19: comparisons cannot be chained; write 'x between LOW and HIGH'"},
        {"tier A when x between 1 or 2 otherwise B", TIER_EPARSE,
         "e.tier:1:25: expected 'and' in 'between LOW and HIGH', found 'or'"},
        {"tier A when x not 3 otherwise B", TIER_EPARSE,
         "e.tier:1:19: expected 'between' or 'in' after 'not'"},
        {"tier A when x is 3 otherwise B", TIER_EPARSE,
         "e.tier:1:18: expected 'missing' or 'not missing' after 'is', found '3'"},
        {"tier A when x is not 3 otherwise B", TIER_EPARSE,
         "e.tier:1:22: expected 'missing' after 'is not', found '3'"},
        {"tier A when x in 1, 2 otherwise B", TIER_EPARSE,
         "e.tier:1:18: expected '(' and a list of values after 'in', found '1'"},
        {"tier A when x in () otherwise B", TIER_EPARSE,
         "e.tier:1:19: the list after 'in' is empty"},
        {"tier A when x in (1 2) otherwise B", TIER_EPARSE,
         "e.tier:1:21: expected ',' or ')' to close the list opened at 1:18, found '2'"},
        {"tier A when x in (y) otherwise B", TIER_EPARSE,
         "e.tier:1:19: expected a number or a text value in quotes in the list, found 'y'"},
        {"tier A when x in (-\"a\") otherwise B", TIER_EPARSE,
         "e.tier:1:20: expected a number after the sign"},
        {"tier A when c in (1, \"a\") otherwise B", TIER_ETYPE,
         "e.tier:1:22: a list cannot mix numbers and text values"},
        {"tier A when x + 1 in (\"a\") otherwise B", TIER_ETYPE,
         "e.tier:1:13: only a column can be compared with text values, not 'x + 1'"},
        {"tier A when lg(x) > 1 otherwise B", TIER_EPARSE,
         "e.tier:1:13: unknown function 'lg' (did you mean 'log'?)"},
        {"tier A when log(x, 2) > 1 otherwise B", TIER_EPARSE,
         "e.tier:1:13: log takes 1 argument, got 2"},
        {"tier A when max(x) > 1 otherwise B", TIER_EPARSE,
         "e.tier:1:13: max takes at least 2 arguments, got 1"},
        {"tier A when abs() > 1 otherwise B", TIER_EPARSE, "e.tier:1:13: abs takes 1 argument, got 0"},
        {"tier A when min(x y) > 1 otherwise B", TIER_EPARSE,
         "e.tier:1:19: expected ',' or ')' in the function's arguments, found 'y'"},
        {"tier A when x otherwise B", TIER_ETYPE,
         "e.tier:1:13: column 'x' is a value, not a condition; compare it, e.g. 'x > 0'"},
        {"tier A when x + 1 otherwise B", TIER_ETYPE,
         "e.tier:1:13: 'x + 1' is a number, not a condition"},
        {"tier A when \"gold\" otherwise B", TIER_ETYPE,
         "e.tier:1:13: text value '\"gold\"' is not a condition"},
        {"tier A when x > 1 and y otherwise B", TIER_ETYPE,
         "e.tier:1:23: column 'y' is a value, not a condition"},
        {"tier A when (x > 1) + 2 > 0 otherwise B", TIER_ETYPE,
         "e.tier:1:13: '(x > 1)' is a condition, not a number"},
        {"tier A when x + \"a\" > 0 otherwise B", TIER_ETYPE,
         "e.tier:1:17: text value '\"a\"' cannot be used as a number"},
        {"tier A when c > \"a\" otherwise B", TIER_ETYPE,
         "e.tier:1:15: text values can only be compared with '=', '!=' or 'in', not '>'"},
        {"tier A when \"a\" = \"b\" otherwise B", TIER_ETYPE,
         "e.tier:1:19: compare a column with a text value, not two text values"},
        {"tier A when x + 1 = \"b\" otherwise B", TIER_ETYPE,
         "e.tier:1:13: 'x + 1' cannot be compared with text value '\"b\"'"},
        {"tier A when c = \"a\" and c > 1 otherwise B", TIER_ETYPE,
         "e.tier:1:25: column 'c' is used as a number here but as text at 1:13"},
        {"tier A when x > 1 or x in (\"a\") otherwise B", TIER_ETYPE,
         "e.tier:1:22: column 'x' is used as text here but as a number at 1:13"},
        {"tier A when \"a\" is missing otherwise B", TIER_ETYPE,
         "e.tier:1:13: 'is missing' applies to a column or a number, not to '\"a\"'"},
        {"tier A when (x > 1) is missing otherwise B", TIER_ETYPE,
         "e.tier:1:13: 'is missing' applies to a column or a number"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tier_rules *r = (tier_rules *)1;
        int rc = tier_rules_compile(&r, cases[i].text, strlen(cases[i].text), "e.tier", NULL);
        if (rc != cases[i].status)
            fail_msg("case %zu (%s): status %d, expected %d; message: %s", i, cases[i].text, rc,
                     cases[i].status, tier_last_error());
        if (strstr(tier_last_error(), cases[i].message) != tier_last_error())
            fail_msg("case %zu (%s):\n  got      '%s'\n  expected '%s...'", i, cases[i].text,
                     tier_last_error(), cases[i].message);
        assert_null(r);
    }
}

static void test_depth_limits(void **state)
{
    (void)state;
    /* 300 nested parentheses, 300 'not's, a 300-term chain: errors, not stack overflows. */
    char *text = malloc(4096);
    size_t o = (size_t)sprintf(text, "tier A when ");
    for (int i = 0; i < 300; i++)
        text[o++] = '(';
    o += (size_t)sprintf(text + o, "x > 1");
    for (int i = 0; i < 300; i++)
        text[o++] = ')';
    sprintf(text + o, " otherwise B");
    tier_rules *r;
    TIER_EXPECT_ERROR(tier_rules_compile(&r, text, strlen(text), "deep", NULL), TIER_EPARSE,
                      "nested too deeply");
    o = (size_t)sprintf(text, "tier A when ");
    for (int i = 0; i < 300; i++)
        o += (size_t)sprintf(text + o, "not ");
    sprintf(text + o, "x > 1 otherwise B");
    TIER_EXPECT_ERROR(tier_rules_compile(&r, text, strlen(text), "deep", NULL), TIER_EPARSE,
                      "nested too deeply");
    o = (size_t)sprintf(text, "tier A when x");
    for (int i = 0; i < 300; i++)
        o += (size_t)sprintf(text + o, " + 1");
    sprintf(text + o, " > 1 otherwise B");
    TIER_EXPECT_ERROR(tier_rules_compile(&r, text, strlen(text), "deep", NULL), TIER_EPARSE,
                      "nested too deeply");
    /* 150 levels is fine and evaluates correctly */
    o = (size_t)sprintf(text, "tier A when ");
    for (int i = 0; i < 150; i++)
        text[o++] = '(';
    o += (size_t)sprintf(text + o, "a > 2");
    for (int i = 0; i < 150; i++)
        text[o++] = ')';
    sprintf(text + o, " otherwise B");
    TIER_CHECK(tier_rules_compile(&r, text, strlen(text), "deep", NULL));
    tier_dataset *ds = small_ds();
    int32_t *t = eval(r, ds);
    assert_int_equal(t[2], 0);
    assert_int_equal(t[0], 1);
    free(t);
    tier_rules_free(r);
    /* a long 'in' list is one node, not a deep chain */
    o = (size_t)sprintf(text, "tier A when a in (");
    for (int i = 0; i < 500; i++)
        o += (size_t)sprintf(text + o, "%s%d", i ? "," : "", i - 250);
    sprintf(text + o, ") otherwise B");
    TIER_CHECK(tier_rules_compile(&r, text, strlen(text), "list", NULL));
    t = eval(r, ds);
    assert_int_equal(t[0], 0);
    assert_int_equal(t[3], 1); /* NaN */
    assert_int_equal(t[5], 1); /* inf */
    free(t);
    tier_rules_free(r);
    tier_dataset_free(ds);
    free(text);
}

/* Size limits: long names and numbers, many tiers, many arguments. */
static void test_size_limits(void **state)
{
    (void)state;
    char *text = malloc(1 << 16);
    char name[260];
    memset(name, 'n', 250);
    name[250] = '\0';
    tier_rules *r;
    snprintf(text, 1 << 16, "tier A when %s > 1 otherwise B", name);
    TIER_EXPECT_ERROR(tier_rules_compile(&r, text, strlen(text), "lim", NULL), TIER_EPARSE,
                      "lim:1:13: column name longer than 200 bytes");
    snprintf(text, 1 << 16, "tier %s when x > 1 otherwise B", name);
    TIER_EXPECT_ERROR(tier_rules_compile(&r, text, strlen(text), "lim", NULL), TIER_EPARSE,
                      "lim:1:6: tier name longer than 200 bytes");
    memset(name, '1', 100);
    name[100] = '\0';
    snprintf(text, 1 << 16, "tier A when x > %s otherwise B", name);
    TIER_EXPECT_ERROR(tier_rules_compile(&r, text, strlen(text), "lim", NULL), TIER_EPARSE,
                      "lim:1:17: number too long");
    size_t o = (size_t)sprintf(text, "tier A when max(x");
    for (int i = 0; i < 1001; i++)
        o += (size_t)sprintf(text + o, ", %d", i);
    sprintf(text + o, ") > 1 otherwise B");
    TIER_EXPECT_ERROR(tier_rules_compile(&r, text, strlen(text), "lim", NULL), TIER_EPARSE,
                      "too many arguments");
    o = 0;
    for (int i = 0; i < 1001; i++)
        o += (size_t)sprintf(text + o, "tier T%d when x > %d\n", i, i);
    sprintf(text + o, "otherwise B");
    TIER_EXPECT_ERROR(tier_rules_compile(&r, text, strlen(text), "lim", NULL), TIER_EPARSE,
                      "lim:1001:6: too many tiers (at most 1000)");
    /* 999 tiers and an otherwise: fine, and evaluated in order */
    o = 0;
    for (int i = 0; i < 999; i++)
        o += (size_t)sprintf(text + o, "tier T%d when a >= %d\n", i, 999 - i);
    sprintf(text + o, "otherwise B");
    TIER_CHECK(tier_rules_compile(&r, text, strlen(text), "lim", NULL));
    assert_int_equal(tier_rules_tier_count(r), 1000);
    tier_dataset *ds = small_ds(); /* a = 1 2 3 NaN -4 inf */
    int32_t *t = eval(r, ds);
    assert_int_equal(t[0], 998);
    assert_int_equal(t[2], 996);
    assert_int_equal(t[3], 999);
    assert_int_equal(t[4], 999);
    assert_int_equal(t[5], 0);
    free(t);
    tier_rules_free(r);
    tier_dataset_free(ds);
    free(text);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    tier_rules *r = NULL;
    TIER_EXPECT_ERROR(tier_rules_compile(NULL, "otherwise A", 11, NULL, NULL), TIER_EINVAL, "out");
    TIER_EXPECT_ERROR(tier_rules_compile(&r, NULL, 3, NULL, NULL), TIER_EINVAL, "text");
    tier_rules_options o = TIER_RULES_OPTIONS_INIT;
    o.version = 99;
    TIER_EXPECT_ERROR(tier_rules_compile(&r, "otherwise A", 11, NULL, &o), TIER_EVERSION, "99");
    TIER_EXPECT_ERROR(tier_rules_options_init(NULL, 1), TIER_EINVAL, "NULL");
    TIER_EXPECT_ERROR(tier_rules_options_init(&o, 2), TIER_EVERSION, "version 2");
    TIER_CHECK(tier_rules_options_init(&o, TIER_RULES_OPTIONS_VERSION));
    assert_null(o.dataset);
    assert_null(o.allocator);
    /* length, not NUL, ends the text; an embedded NUL is an error */
    TIER_CHECK(tier_rules_compile(&r, "otherwise A garbage", 11, NULL, NULL));
    assert_string_equal(tier_rules_source_name(r), "rules");
    tier_rules_free(r);
    TIER_EXPECT_ERROR(tier_rules_compile(&r, "otherwise A\0x", 13, NULL, NULL), TIER_EPARSE,
                      "rules:1:12: unexpected character '\\x00'");
    /* NULL-safe accessors */
    tier_rules_free(NULL);
    assert_int_equal(tier_rules_tier_count(NULL), 0);
    assert_null(tier_rules_tier_name(NULL, 0));
    assert_int_equal(tier_rules_column_count(NULL), 0);
    assert_string_equal(tier_rules_source_name(NULL), "");
    r = compile("otherwise A");
    TIER_EXPECT_ERROR(tier_rules_check(r, NULL), TIER_EINVAL, "NULL");
    tier_dataset *ds = make_ds(2, 1);
    TIER_EXPECT_ERROR(tier_rules_evaluate(NULL, r, ds), TIER_EINVAL, "NULL");
    tier_dataset_free(ds);
    tier_rules_free(r);
}

/* ---- binding against a dataset ---------------------------------------------------------------- */

static void test_binding_errors(void **state)
{
    (void)state;
    tier_dataset *ds = small_ds();
    tier_rules *r = compile("tier A when a > 1\n  and monetry > 5 otherwise B");
    TIER_EXPECT_ERROR(tier_rules_check(r, ds), TIER_ENOTFOUND,
                      "test.tier:2:7: unknown column 'monetry' (did you mean 'monetary'?)");
    int32_t t[6];
    TIER_EXPECT_ERROR(tier_rules_evaluate(t, r, ds), TIER_ENOTFOUND,
                      "test.tier:2:7: unknown column 'monetry' (did you mean 'monetary'?)");
    tier_rules_free(r);
    r = compile("tier A when zzzzzz > 1 otherwise B");
    TIER_EXPECT_ERROR(tier_rules_check(r, ds), TIER_ENOTFOUND, "unknown column 'zzzzzz'");
    assert_null(strstr(tier_last_error(), "did you mean"));
    tier_rules_free(r);
    r = compile("tier A when a > 1 or country > 1 otherwise B");
    TIER_EXPECT_ERROR(tier_rules_check(r, ds), TIER_ETYPE,
                      "test.tier:1:22: column 'country' holds text (it is categorical), so it "
                      "cannot be used as a number");
    tier_rules_free(r);
    r = compile("tier A when\n\n  b = \"x\" otherwise B");
    TIER_EXPECT_ERROR(tier_rules_check(r, ds), TIER_ETYPE,
                      "test.tier:3:3: column 'b' is numeric, so it cannot be compared with text");
    tier_rules_free(r);
    /* 'is missing' accepts either type */
    r = compile("tier A when b is missing or country is missing otherwise B");
    TIER_CHECK(tier_rules_check(r, ds));
    tier_rules_free(r);
    /* stale features: the message says where the column is used */
    r = compile("tier A when monetary > 1 otherwise B");
    TIER_CHECK(tier_rules_check(r, ds));
    const char *id = "c0";
    int64_t when = T0;
    double amount = 5;
    TIER_CHECK(tier_dataset_add_transactions(ds, 1, &id, &when, &amount, NULL));
    TIER_EXPECT_ERROR(tier_rules_evaluate(t, r, ds), TIER_ESTALE, "test.tier:1:13: ");
    tier_rules_free(r);

    /* compiling against a dataset checks columns at once, and text values strictly */
    tier_dataset *fresh = small_ds();
    tier_rules_options o = TIER_RULES_OPTIONS_INIT;
    o.dataset = fresh;
    const char *typo = "tier A when country = \"Frnace\" otherwise B";
    TIER_EXPECT_ERROR(tier_rules_compile(&r, typo, strlen(typo), "x", &o), TIER_ENOTFOUND,
                      "x:1:13: 'Frnace' is not a value of column 'country' (did you mean "
                      "'France'?)");
    const char *typo2 = "tier A when country in (\"France\", \"Germny\") otherwise B";
    TIER_EXPECT_ERROR(tier_rules_compile(&r, typo2, strlen(typo2), "x", &o), TIER_ENOTFOUND,
                      "(did you mean 'Germany'?)");
    const char *other = "tier A when country = \"Atlantis\" otherwise B"; /* nothing close */
    TIER_CHECK(tier_rules_compile(&r, other, strlen(other), "x", &o));
    tier_rules_free(r);
    const char *unknown = "tier A when recncy < 5 otherwise B";
    TIER_EXPECT_ERROR(tier_rules_compile(&r, unknown, strlen(unknown), "x", &o), TIER_ENOTFOUND,
                      "x:1:13: unknown column 'recncy' (did you mean 'recency'?)");
    /* ...but applying stays lenient: the category may simply be absent this period */
    r = compile(typo);
    TIER_CHECK(tier_rules_check(r, fresh));
    tier_rules_free(r);
    tier_dataset_free(fresh);
    tier_dataset_free(ds);
}

static void test_empty_and_one_customer(void **state)
{
    (void)state;
    tier_dataset *empty = NULL;
    TIER_CHECK(tier_dataset_new(&empty, NULL));
    TIER_CHECK(tier_dataset_compute_features(empty, T0));
    tier_rules *r = compile("tier A when monetary > 1 otherwise B");
    TIER_CHECK(tier_rules_evaluate(NULL, r, empty));
    tier_dataset *one = make_ds(1, 1);
    int32_t t = -7;
    TIER_CHECK(tier_rules_evaluate(&t, r, one));
    assert_int_equal(t, 0); /* monetary 10 */
    tier_rules_free(r);
    tier_dataset_free(one);
    tier_dataset_free(empty);
}

static void test_load_files(void **state)
{
    (void)state;
    const char *path = test_write_file("r.tier", "# file\ntier A when\n  monetery > 1\notherwise B\n");
    tier_rules *r;
    TIER_CHECK(tier_rules_load(&r, test_write_file("ok.tier", "otherwise B\n"), NULL));
    assert_int_equal(tier_rules_tier_count(r), 1);
    tier_rules_free(r);
    TIER_CHECK(tier_rules_load(&r, path, NULL));
    tier_dataset *ds = make_ds(2, 1);
    char expect[600];
    snprintf(expect, sizeof expect, "%s:3:3: unknown column 'monetery' (did you mean "
             "'monetary'?)", path);
    TIER_EXPECT_ERROR(tier_rules_check(r, ds), TIER_ENOTFOUND, expect);
    tier_rules_free(r);
    tier_dataset_free(ds);
    TIER_EXPECT_ERROR(tier_rules_load(&r, test_temp_path("absent.tier"), NULL), TIER_ENOTFOUND,
                      "absent.tier: cannot open");
    assert_null(r);
    TIER_EXPECT_ERROR(tier_rules_load(&r, NULL, NULL), TIER_EINVAL, "path");
}

/* The example rule sets shipped in examples/rules all compile, and run on real data. */
static void test_examples(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/../rules", example_data_path(""));
    const char *files[] = {"retail.tier", "retail_candidate.tier", "rfm_segments.tier",
                           "regional.tier"};
    const size_t tiers[] = {4, 5, 11, 5};
    for (size_t i = 0; i < 4; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        tier_rules *r;
        TIER_CHECK(tier_rules_load(&r, path, NULL));
        assert_int_equal(tier_rules_tier_count(r), tiers[i]);
        tier_rules_free(r);
    }
}

/* ---- random differential test: vectorised vs row-by-row ------------------------------------- */

typedef struct rx {
    int kind;   /* see RX_* */
    int op;     /* operator character / code */
    int neg;
    double k;
    int col;
    int n;      /* list length / argument count */
    double list[4];
    int strs[3];
    struct rx *kid[4];
} rx;

enum {
    RX_CONST, RX_COL, RX_NEG, RX_BIN, RX_ABS, RX_LOG, RX_MIN, RX_MAX, /* numbers */
    RX_CMP, RX_BETWEEN, RX_IN, RX_MISSING, RX_CAT_CMP, RX_CAT_IN, RX_CAT_MISSING,
    RX_AND, RX_OR, RX_NOT                                                /* conditions */
};

static const char *const COLORS[] = {"red", "green", "blue", "black"}; /* black: not in data */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t next_u64(rng *g)
{
    g->s ^= g->s << 13;
    g->s ^= g->s >> 7;
    g->s ^= g->s << 17;
    return g->s;
}

static int pick(rng *g, int n) { return (int)(next_u64(g) % (uint64_t)n); }

static rx pool[4096];
static int pool_used;

static rx *new_rx(int kind)
{
    if (pool_used == (int)(sizeof pool / sizeof *pool))
        fail_msg("expression pool exhausted");
    rx *e = &pool[pool_used++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    return e;
}

static double rand_const(rng *g)
{
    static const double ks[] = {0, 1, 2, 3, 0.5, 2.5, 10, 100, 1e6, 1e300};
    return ks[pick(g, 10)];
}

static rx *gen_num(rng *g, int depth)
{
    int c = depth <= 0 ? pick(g, 2) : pick(g, 9);
    rx *e;
    switch (c) {
    case 0: e = new_rx(RX_CONST); e->k = rand_const(g); return e;
    case 1: case 8: e = new_rx(RX_COL); e->col = pick(g, 4); return e;
    case 2: e = new_rx(RX_NEG); e->kid[0] = gen_num(g, depth - 1); return e;
    case 3: case 4:
        e = new_rx(RX_BIN);
        e->op = "+-*/"[pick(g, 4)];
        e->kid[0] = gen_num(g, depth - 1);
        e->kid[1] = gen_num(g, depth - 1);
        return e;
    case 5: e = new_rx(pick(g, 2) ? RX_ABS : RX_LOG); e->kid[0] = gen_num(g, depth - 1); return e;
    default:
        e = new_rx(pick(g, 2) ? RX_MIN : RX_MAX);
        e->n = 2 + pick(g, 2);
        for (int i = 0; i < e->n; i++)
            e->kid[i] = gen_num(g, depth - 1);
        return e;
    }
}

static rx *gen_cond(rng *g, int depth)
{
    int c = depth <= 0 ? pick(g, 7) : pick(g, 10);
    rx *e;
    switch (c) {
    case 0: case 7:
        e = new_rx(RX_CMP);
        e->op = pick(g, 6);
        e->kid[0] = gen_num(g, depth - 1);
        e->kid[1] = gen_num(g, depth - 1);
        return e;
    case 1:
        e = new_rx(RX_BETWEEN);
        e->neg = pick(g, 2);
        for (int i = 0; i < 3; i++)
            e->kid[i] = gen_num(g, i == 0 ? depth - 1 : depth - 2);
        return e;
    case 2:
        e = new_rx(RX_IN);
        e->neg = pick(g, 2);
        e->kid[0] = gen_num(g, depth - 1);
        e->n = 1 + pick(g, 4);
        for (int i = 0; i < e->n; i++)
            e->list[i] = (double)(pick(g, 9) - 4);
        return e;
    case 3:
        e = new_rx(RX_MISSING);
        e->neg = pick(g, 2);
        e->kid[0] = gen_num(g, depth - 1);
        return e;
    case 4:
        e = new_rx(RX_CAT_CMP);
        e->neg = pick(g, 2);
        e->strs[0] = pick(g, 4);
        return e;
    case 5:
        e = new_rx(RX_CAT_IN);
        e->neg = pick(g, 2);
        e->n = 1 + pick(g, 3);
        for (int i = 0; i < e->n; i++)
            e->strs[i] = pick(g, 4);
        return e;
    case 6:
        e = new_rx(RX_CAT_MISSING);
        e->neg = pick(g, 2);
        return e;
    case 8:
        e = new_rx(pick(g, 2) ? RX_AND : RX_OR);
        e->kid[0] = gen_cond(g, depth - 1);
        e->kid[1] = gen_cond(g, depth - 1);
        return e;
    default:
        e = new_rx(RX_NOT);
        e->kid[0] = gen_cond(g, depth - 1);
        return e;
    }
}

/* Printing with the fewest parentheses the grammar allows, so random expressions exercise
 * precedence and associativity too. Levels: or 1, and 2, not 3, predicate 4, sum 5, term 6,
 * unary 7, primary 8. */
static int level(const rx *e)
{
    switch (e->kind) {
    case RX_OR: return 1;
    case RX_AND: return 2;
    case RX_NOT: return 3;
    case RX_CMP: case RX_BETWEEN: case RX_IN: case RX_MISSING: case RX_CAT_CMP: case RX_CAT_IN:
    case RX_CAT_MISSING: return 4;
    case RX_BIN: return e->op == '+' || e->op == '-' ? 5 : 6;
    case RX_NEG: return 7;
    default: return 8;
    }
}

static void put(char **o, const char *s)
{
    size_t n = strlen(s);
    memcpy(*o, s, n);
    *o += n;
}

static void print_rx(char **o, const rx *e, int min_level);

static void print_kid(char **o, const rx *k, int min_level)
{
    print_rx(o, k, min_level);
}

static void print_rx(char **o, const rx *e, int min_level)
{
    static const char *const cmp[] = {"<", "<=", ">", ">=", "=", "!="};
    static const char *const cols[] = {"x0", "x1", "x2", "x3"};
    char buf[64];
    int paren = level(e) < min_level;
    if (paren)
        put(o, "(");
    switch (e->kind) {
    case RX_CONST: snprintf(buf, sizeof buf, "%.17g", e->k); put(o, buf); break;
    case RX_COL: put(o, cols[e->col]); break;
    case RX_NEG: put(o, "- "); print_kid(o, e->kid[0], 7); break;
    case RX_BIN: {
        int l = level(e);
        print_kid(o, e->kid[0], l);
        snprintf(buf, sizeof buf, " %c ", e->op);
        put(o, buf);
        print_kid(o, e->kid[1], l + 1);
        break;
    }
    case RX_ABS: case RX_LOG: case RX_MIN: case RX_MAX: {
        static const char *const fn[] = {"abs", "log", "min", "max"};
        put(o, fn[e->kind - RX_ABS]);
        put(o, "(");
        int n = e->kind <= RX_LOG ? 1 : e->n;
        for (int i = 0; i < n; i++) {
            if (i)
                put(o, ", ");
            print_kid(o, e->kid[i], 1);
        }
        put(o, ")");
        break;
    }
    case RX_CMP:
        print_kid(o, e->kid[0], 5);
        put(o, " ");
        put(o, cmp[e->op]);
        put(o, " ");
        print_kid(o, e->kid[1], 5);
        break;
    case RX_BETWEEN:
        print_kid(o, e->kid[0], 5);
        put(o, e->neg ? " not between " : " between ");
        print_kid(o, e->kid[1], 5);
        put(o, " and ");
        print_kid(o, e->kid[2], 5);
        break;
    case RX_IN:
        print_kid(o, e->kid[0], 5);
        put(o, e->neg ? " not in (" : " in (");
        for (int i = 0; i < e->n; i++) {
            snprintf(buf, sizeof buf, "%s%g", i ? ", " : "", e->list[i]);
            put(o, buf);
        }
        put(o, ")");
        break;
    case RX_MISSING:
        print_kid(o, e->kid[0], 5);
        put(o, e->neg ? " is not missing" : " is missing");
        break;
    case RX_CAT_CMP:
        snprintf(buf, sizeof buf, "color %s \"%s\"", e->neg ? "!=" : "=", COLORS[e->strs[0]]);
        put(o, buf);
        break;
    case RX_CAT_IN:
        put(o, e->neg ? "color not in (" : "color in (");
        for (int i = 0; i < e->n; i++) {
            snprintf(buf, sizeof buf, "%s'%s'", i ? ", " : "", COLORS[e->strs[i]]);
            put(o, buf);
        }
        put(o, ")");
        break;
    case RX_CAT_MISSING: put(o, e->neg ? "color is not missing" : "color is missing"); break;
    case RX_AND: case RX_OR:
        print_kid(o, e->kid[0], level(e));
        put(o, e->kind == RX_AND ? " and " : " or ");
        print_kid(o, e->kid[1], level(e) + 1);
        break;
    case RX_NOT: put(o, "not "); print_kid(o, e->kid[0], 3); break;
    }
    if (paren)
        put(o, ")");
}

/* The reference: one row at a time, straight from the documented semantics. */
typedef struct rowdata {
    const double *x[4];
    const int32_t *color; /* codes into red, green, blue */
} rowdata;

static double ref_num(const rx *e, const rowdata *d, size_t i)
{
    switch (e->kind) {
    case RX_CONST: return e->k;
    case RX_COL: return d->x[e->col][i];
    case RX_NEG: return -ref_num(e->kid[0], d, i);
    case RX_BIN: {
        double a = ref_num(e->kid[0], d, i), b = ref_num(e->kid[1], d, i);
        return e->op == '+' ? a + b : e->op == '-' ? a - b : e->op == '*' ? a * b : a / b;
    }
    case RX_ABS: return fabs(ref_num(e->kid[0], d, i));
    case RX_LOG: return log(ref_num(e->kid[0], d, i));
    default: {
        double v = ref_num(e->kid[0], d, i);
        for (int k = 1; k < e->n; k++) {
            double w = ref_num(e->kid[k], d, i);
            if (isnan(v) || isnan(w))
                v = NAN;
            else if (e->kind == RX_MIN ? w < v : w > v)
                v = w;
        }
        return v;
    }
    }
}

static int ref_cond(const rx *e, const rowdata *d, size_t i)
{
    int code = d->color[i];
    switch (e->kind) {
    case RX_CMP: {
        double a = ref_num(e->kid[0], d, i), b = ref_num(e->kid[1], d, i);
        if (isnan(a) || isnan(b))
            return 0;
        switch (e->op) {
        case 0: return a < b;
        case 1: return a <= b;
        case 2: return a > b;
        case 3: return a >= b;
        case 4: return a == b;
        default: return a != b;
        }
    }
    case RX_BETWEEN: {
        double x = ref_num(e->kid[0], d, i), lo = ref_num(e->kid[1], d, i);
        double hi = ref_num(e->kid[2], d, i);
        if (isnan(x))
            return 0;
        return e->neg ? x < lo || x > hi : x >= lo && x <= hi;
    }
    case RX_IN: {
        double x = ref_num(e->kid[0], d, i);
        if (isnan(x))
            return 0;
        int found = 0;
        for (int k = 0; k < e->n; k++)
            found |= x == e->list[k];
        return e->neg ? !found : found;
    }
    case RX_MISSING: return isnan(ref_num(e->kid[0], d, i)) != e->neg;
    case RX_CAT_CMP:
        if (code < 0)
            return 0;
        return e->neg ? code != e->strs[0] : code == e->strs[0];
    case RX_CAT_IN: {
        if (code < 0)
            return 0;
        int found = 0;
        for (int k = 0; k < e->n; k++)
            found |= code == e->strs[k];
        return e->neg ? !found : found;
    }
    case RX_CAT_MISSING: return (code < 0) != e->neg;
    case RX_AND: return ref_cond(e->kid[0], d, i) && ref_cond(e->kid[1], d, i);
    case RX_OR: return ref_cond(e->kid[0], d, i) || ref_cond(e->kid[1], d, i);
    default: return !ref_cond(e->kid[0], d, i);
    }
}

static double rand_value(rng *g)
{
    switch (pick(g, 10)) {
    case 0: return NAN;
    case 1: return (double)(pick(g, 9) - 4);
    case 2: return (double)(pick(g, 9) - 4);
    case 3: return pick(g, 20) == 0 ? INFINITY : 0.0;
    case 4: return -(double)pick(g, 3);
    default: return ((double)(next_u64(g) % 2000001) - 1000000.0) / 1000.0;
    }
}

/* Fills x0..x3 and color with random values, returns their views. */
static void random_columns(tier_dataset *ds, rng *g, rowdata *d)
{
    size_t n = tier_dataset_size(ds);
    double *v = malloc((n + 1) * sizeof *v);
    char name[8];
    for (int c = 0; c < 4; c++) {
        for (size_t i = 0; i < n; i++)
            v[i] = rand_value(g);
        snprintf(name, sizeof name, "x%d", c);
        set_num(ds, name, v);
    }
    free(v);
    int32_t *codes = malloc((n + 1) * sizeof *codes);
    for (size_t i = 0; i < n; i++)
        codes[i] = pick(g, 4) - 1; /* -1 = missing */
    TIER_CHECK(tier_dataset_set_categorical(ds, "color", codes, COLORS, 3));
    free(codes);
    for (int c = 0; c < 4; c++) {
        snprintf(name, sizeof name, "x%d", c);
        TIER_CHECK(tier_dataset_numeric(&d->x[c], ds, name));
    }
    TIER_CHECK(tier_dataset_categorical(&d->color, NULL, NULL, ds, "color"));
}

/* Random rule sets of 1-4 conditioned tiers, compared row by row with the reference. */
static void differential(tier_dataset *ds, rng *g, int n_sets)
{
    rowdata d;
    random_columns(ds, g, &d);
    size_t n = tier_dataset_size(ds);
    int32_t *got = malloc((n + 1) * sizeof *got);
    char *text = malloc(1 << 16);
    for (int s = 0; s < n_sets; s++) {
        pool_used = 0;
        int n_tiers = 1 + pick(g, 4);
        rx *conds[4];
        char *o = text;
        for (int t = 0; t < n_tiers; t++) {
            conds[t] = gen_cond(g, 1 + pick(g, 4));
            o += sprintf(o, "tier T%d when ", t);
            print_rx(&o, conds[t], 1);
            *o++ = '\n';
        }
        o += sprintf(o, "otherwise Rest\n");
        tier_rules *r = NULL;
        int rc = tier_rules_compile(&r, text, (size_t)(o - text), "random", NULL);
        if (rc)
            fail_msg("set %d does not compile: %s\n%.*s", s, tier_last_error(), (int)(o - text),
                     text);
        TIER_CHECK(tier_rules_evaluate(got, r, ds));
        for (size_t i = 0; i < n; i++) {
            int want = n_tiers;
            for (int t = 0; t < n_tiers; t++) {
                if (ref_cond(conds[t], &d, i)) {
                    want = t;
                    break;
                }
            }
            if (got[i] != want)
                fail_msg("set %d row %zu: got tier %d, reference %d\n%.*s", s, i, got[i], want,
                         (int)(o - text), text);
        }
        tier_rules_free(r);
    }
    free(text);
    free(got);
}

static void test_vectorised_matches_row_by_row(void **state)
{
    (void)state;
    rng g = {0x9E3779B97F4A7C15ULL};
    /* 2,500 rows: two full blocks and a partial one */
    tier_dataset *ds = make_ds(2500, 1);
    differential(ds, &g, 400);
    tier_dataset_free(ds);
    /* odd sizes around the block edge */
    const size_t sizes[] = {1, 2, 1023, 1024, 1025};
    for (size_t i = 0; i < 5; i++) {
        ds = make_ds(sizes[i], 1);
        differential(ds, &g, 20);
        tier_dataset_free(ds);
    }
}

static void test_threads_do_not_change_results(void **state)
{
    (void)state;
    /* 150,000 rows = 3 parallel tasks; same random columns under 1 and 3 threads */
    const size_t n = 150000;
    tier_dataset *one = make_ds(n, 1), *three = make_ds(n, 3);
    rng g1 = {42}, g3 = {42};
    rowdata d1, d3;
    random_columns(one, &g1, &d1);
    random_columns(three, &g3, &d3);
    const char *text = "tier A when x0 > 500 and color in ('red', 'blue')\n"
                       "tier B when x1 + x2 between -10 and 10 or x3 is missing\n"
                       "tier C when log(abs(x0)) > 5\n"
                       "otherwise D";
    tier_rules *r = compile(text);
    int32_t *a = eval(r, one), *b = eval(r, three);
    assert_memory_equal(a, b, n * sizeof *a);
    /* and the multi-task run agrees with the reference */
    for (size_t i = 0; i < n; i++) {
        int want = 3;
        double x0 = d1.x[0][i];
        if (x0 > 500 && (d1.color[i] == 0 || d1.color[i] == 2))
            want = 0;
        else if ((d1.x[1][i] + d1.x[2][i] >= -10 && d1.x[1][i] + d1.x[2][i] <= 10) ||
                 isnan(d1.x[3][i]))
            want = 1;
        else if (log(fabs(x0)) > 5)
            want = 2;
        if (a[i] != want)
            fail_msg("row %zu: %d, expected %d", i, a[i], want);
    }
    free(a);
    free(b);
    tier_rules_free(r);
    tier_dataset_free(one);
    tier_dataset_free(three);
}

/* A user allocator receives every allocation and gets every byte back. */
static void test_custom_allocator(void **state)
{
    (void)state;
    test_alloc c = { 0 };
    tier_allocator al = test_allocator_of(&c);
    tier_rules_options o = TIER_RULES_OPTIONS_INIT;
    o.allocator = &al;
    const char *text = "tier A when a in (1, 2) and country in ('France') label \"x\"\n"
                       "  retain when b > 1\notherwise B pin \"c1\" to A until 2020-01-01";
    tier_rules *r = NULL;
    TIER_CHECK(tier_rules_compile(&r, text, strlen(text), "alloc", &o));
    assert_true(c.calls > 0);
    tier_dataset *ds = small_ds();
    int32_t t[6];
    TIER_CHECK(tier_rules_evaluate(t, r, ds));
    tier_rules_free(r);
    assert_int_equal(c.live, 0);
    /* failed compilations free everything too */
    const char *bad = "tier A when a > 1 and (b in (1, 2) or c = \"x\" ) otherwise";
    assert_int_equal(tier_rules_compile(&r, bad, strlen(bad), "alloc", &o), TIER_EPARSE);
    assert_int_equal(c.live, 0);
    tier_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_operator),
        cmocka_unit_test(test_missing_semantics),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_lexical_details),
        cmocka_unit_test(test_structure_and_accessors),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_depth_limits),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_binding_errors),
        cmocka_unit_test(test_empty_and_one_customer),
        cmocka_unit_test(test_load_files),
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_vectorised_matches_row_by_row),
        cmocka_unit_test(test_threads_do_not_change_results),
        cmocka_unit_test(test_custom_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
