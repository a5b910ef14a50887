/* Tests for include/tier/assignment.h: dynamic tiers over simulated periods (upgrades, grace,
 * soft landing, retain conditions, overrides from the API and the text, new and gone
 * customers, rule changes), the audit trail, transitions, save/load with corruption, and a
 * what-if comparison on the Online Retail sample checked against counts computed here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define DAY 86400LL
#define T0 1293840000LL /* 2011-01-01T00:00:00Z */

/* ---- helpers ---------------------------------------------------------------------------------- */

static tier_rules *compile(const char *text)
{
    tier_rules *r = NULL;
    TIER_CHECK(tier_rules_compile(&r, text, strlen(text), "policy.tier", NULL));
    return r;
}

/* One period: customers `ids` with column "score", evaluated at day `day` after T0. */
static tier_dataset *period(const char *const *ids, const double *scores, size_t n, int day)
{
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, NULL));
    int64_t *t = malloc((n + 1) * sizeof *t);
    double *am = malloc((n + 1) * sizeof *am);
    for (size_t i = 0; i < n; i++) {
        t[i] = T0 + day * DAY;
        am[i] = 1;
    }
    TIER_CHECK(tier_dataset_add_transactions(ds, n, ids, t, am, NULL));
    TIER_CHECK(tier_dataset_compute_features(ds, T0 + (day + 1) * DAY));
    TIER_CHECK(tier_dataset_set_numeric(ds, "score", scores));
    free(t);
    free(am);
    return ds;
}

static const char *tier_of(const tier_assignment *a, const char *id)
{
    size_t row;
    if (tier_assignment_find(&row, a, id) != TIER_OK)
        return NULL;
    return tier_assignment_tier_name(a, (size_t)tier_assignment_tiers(a)[row]);
}

static int grace_of(const tier_assignment *a, const char *id)
{
    size_t row;
    TIER_CHECK(tier_assignment_find(&row, a, id));
    return tier_assignment_grace(a)[row];
}

/* The event of customer `id`, as "kind old->new" ("none" when there is none). */
static const char *event_of(const tier_assignment *a, const char *id)
{
    static char buf[128];
    snprintf(buf, sizeof buf, "none");
    for (size_t i = 0; i < tier_assignment_event_count(a); i++) {
        const char *c, *o, *n;
        int kind;
        int64_t when;
        TIER_CHECK(tier_assignment_event(&c, &kind, &o, &n, &when, a, i));
        assert_int_equal(when, tier_assignment_time(a));
        if (strcmp(c, id) == 0)
            snprintf(buf, sizeof buf, "%s %s->%s", tier_event_kind_name(kind), o ? o : "-",
                     n ? n : "-");
    }
    return buf;
}

/* Runs one period for a single customer "a" with `score`; replaces *prev. */
static void step(tier_assignment **prev, const tier_rules *r, double score, int day,
                 const char *want_tier, const char *want_event, int want_grace)
{
    const char *id = "a";
    tier_dataset *ds = period(&id, &score, 1, day);
    tier_assignment *a = NULL;
    TIER_CHECK(tier_assignment_new(&a, r, ds, *prev, NULL));
    if (strcmp(tier_of(a, "a"), want_tier) != 0 || strcmp(event_of(a, "a"), want_event) != 0 ||
        grace_of(a, "a") != want_grace)
        fail_msg("day %d, score %g: got %s / %s / grace %d, expected %s / %s / grace %d", day,
                 score, tier_of(a, "a"), event_of(a, "a"), grace_of(a, "a"), want_tier,
                 want_event, want_grace);
    tier_assignment_free(*prev);
    *prev = a;
    tier_dataset_free(ds);
}

static const char *LADDER = "tier Gold when score >= 300\n"
                            "tier Silver when score >= 200\n"
                            "tier Bronze when score >= 100\n"
                            "otherwise Basic\n";

/* ---- movement policies ------------------------------------------------------------------------ */

static void test_no_policy_moves_at_once(void **state)
{
    (void)state;
    tier_rules *r = compile(LADDER);
    tier_assignment *a = NULL;
    step(&a, r, 350, 0, "Gold", "new -->Gold", 0);
    step(&a, r, 50, 30, "Basic", "downgrade Gold->Basic", 0);
    step(&a, r, 50, 60, "Basic", "none", 0);
    step(&a, r, 210, 90, "Silver", "upgrade Basic->Silver", 0);
    step(&a, r, 999, 120, "Gold", "upgrade Silver->Gold", 0);
    tier_assignment_free(a);
    tier_rules_free(r);
}

static void test_grace_and_soft_landing(void **state)
{
    (void)state;
    char text[512];
    snprintf(text, sizeof text, "%spolicy grace 2 evaluations\npolicy max downgrade 1 step\n",
             LADDER);
    tier_rules *r = compile(text);
    tier_assignment *a = NULL;
    step(&a, r, 350, 0, "Gold", "new -->Gold", 0);
    /* below Gold: kept for two evaluations, then one tier down, and each tier on the way down
     * gets its own grace period */
    step(&a, r, 50, 30, "Gold", "held Gold->Gold", 1);
    step(&a, r, 50, 60, "Gold", "held Gold->Gold", 2);
    step(&a, r, 50, 90, "Silver", "downgrade Gold->Silver", 0);
    step(&a, r, 50, 120, "Silver", "held Silver->Silver", 1);
    /* qualifying again resets the counter */
    step(&a, r, 250, 150, "Silver", "none", 0);
    step(&a, r, 50, 180, "Silver", "held Silver->Silver", 1);
    step(&a, r, 50, 210, "Silver", "held Silver->Silver", 2);
    step(&a, r, 50, 240, "Bronze", "downgrade Silver->Bronze", 0);
    /* upgrades are immediate, several tiers at once, and clear the counter */
    step(&a, r, 50, 270, "Bronze", "held Bronze->Bronze", 1);
    step(&a, r, 400, 300, "Gold", "upgrade Bronze->Gold", 0);
    /* a missing score qualifies for nothing: the grace still applies */
    step(&a, r, NAN, 330, "Gold", "held Gold->Gold", 1);
    tier_assignment_free(a);
    tier_rules_free(r);

    /* max downgrade alone: 2 tiers per evaluation, no grace */
    snprintf(text, sizeof text, "tier T1 when score >= 5\ntier T2 when score >= 4\n"
             "tier T3 when score >= 3\ntier T4 when score >= 2\ntier T5 when score >= 1\n"
             "otherwise T6 policy max downgrade 2 steps");
    r = compile(text);
    a = NULL;
    step(&a, r, 5, 0, "T1", "new -->T1", 0);
    step(&a, r, 0, 1, "T3", "downgrade T1->T3", 0);
    step(&a, r, 0, 2, "T5", "downgrade T3->T5", 0);
    step(&a, r, 0, 3, "T6", "downgrade T5->T6", 0);
    step(&a, r, 4.5, 4, "T2", "upgrade T6->T2", 0);
    step(&a, r, 3, 5, "T3", "downgrade T2->T3", 0); /* within the limit: straight there */
    tier_assignment_free(a);
    tier_rules_free(r);

    /* grace alone: the downgrade goes all the way */
    snprintf(text, sizeof text, "%spolicy grace 1 evaluation", LADDER);
    r = compile(text);
    a = NULL;
    step(&a, r, 300, 0, "Gold", "new -->Gold", 0);
    step(&a, r, 0, 1, "Gold", "held Gold->Gold", 1);
    step(&a, r, 0, 2, "Basic", "downgrade Gold->Basic", 0);
    tier_assignment_free(a);
    tier_rules_free(r);
}

static void test_retain_hysteresis(void **state)
{
    (void)state;
    const char *text = "tier Gold when score >= 300\n"
                       "    retain when score >= 250\n"
                       "tier Silver when score >= 200 retain when score >= 150\n"
                       "otherwise Basic\n";
    tier_rules *r = compile(text);
    tier_assignment *a = NULL;
    /* reaching Gold needs 300; keeping it needs 250 */
    step(&a, r, 260, 0, "Silver", "new -->Silver", 0);
    step(&a, r, 300, 1, "Gold", "upgrade Silver->Gold", 0);
    step(&a, r, 260, 2, "Gold", "none", 0);
    step(&a, r, 250, 3, "Gold", "none", 0);
    step(&a, r, 249, 4, "Silver", "downgrade Gold->Silver", 0);
    step(&a, r, 160, 5, "Silver", "none", 0);
    step(&a, r, NAN, 6, "Basic", "downgrade Silver->Basic", 0);
    tier_assignment_free(a);
    tier_rules_free(r);
    /* retain plus grace: retaining does not use up grace */
    r = compile("tier Gold when score >= 300 retain when score >= 250\notherwise Basic\n"
                "policy grace 1");
    a = NULL;
    step(&a, r, 300, 0, "Gold", "new -->Gold", 0);
    step(&a, r, 100, 1, "Gold", "held Gold->Gold", 1);
    step(&a, r, 260, 2, "Gold", "none", 0);
    step(&a, r, 100, 3, "Gold", "held Gold->Gold", 1);
    step(&a, r, 100, 4, "Basic", "downgrade Gold->Basic", 0);
    tier_assignment_free(a);
    tier_rules_free(r);
}

static void test_new_and_gone_customers(void **state)
{
    (void)state;
    tier_rules *r = compile(LADDER);
    const char *ids1[] = {"a", "b", "c"};
    const double s1[] = {350, 150, 10};
    tier_dataset *d1 = period(ids1, s1, 3, 0);
    tier_assignment *p1 = NULL, *p2 = NULL, *p3 = NULL;
    TIER_CHECK(tier_assignment_new(&p1, r, d1, NULL, NULL));
    assert_int_equal(tier_assignment_event_count(p1), 3);
    assert_string_equal(event_of(p1, "b"), "new -->Bronze");
    assert_int_equal(tier_assignment_count(p1, 0), 1);
    assert_int_equal(tier_assignment_count(p1, 2), 1);
    assert_int_equal(tier_assignment_count(p1, 3), 1);
    assert_int_equal(tier_assignment_count(p1, 4), 0);
    /* period 2: "b" is gone, "d" is new, customers in another order */
    const char *ids2[] = {"d", "c", "a"};
    const double s2[] = {220, 120, 350};
    tier_dataset *d2 = period(ids2, s2, 3, 30);
    TIER_CHECK(tier_assignment_new(&p2, r, d2, p1, NULL));
    assert_int_equal(tier_assignment_event_count(p2), 3);
    assert_string_equal(event_of(p2, "d"), "new -->Silver");
    assert_string_equal(event_of(p2, "c"), "upgrade Basic->Bronze");
    assert_string_equal(event_of(p2, "a"), "none");
    assert_string_equal(event_of(p2, "b"), "gone Bronze->-");
    /* events come in row order, then gone customers */
    const char *id;
    int kind;
    TIER_CHECK(tier_assignment_event(&id, &kind, NULL, NULL, NULL, p2, 0));
    assert_string_equal(id, "d");
    TIER_CHECK(tier_assignment_event(&id, &kind, NULL, NULL, NULL, p2, 2));
    assert_string_equal(id, "b");
    assert_int_equal(kind, TIER_EVENT_GONE);
    TIER_EXPECT_ERROR(tier_assignment_event(&id, &kind, NULL, NULL, NULL, p2, 3), TIER_EINVAL,
                      "out of range");
    /* transitions, matched by id: rows = p1 tiers + new, columns = p2 tiers + gone */
    uint64_t m[5 * 5];
    TIER_CHECK(tier_assignment_transitions(m, p1, p2));
    uint64_t total = 0;
    for (int i = 0; i < 25; i++)
        total += m[i];
    assert_int_equal(total, 4);
    assert_int_equal(m[0 * 5 + 0], 1); /* a: Gold -> Gold */
    assert_int_equal(m[3 * 5 + 2], 1); /* c: Basic -> Bronze */
    assert_int_equal(m[4 * 5 + 1], 1); /* d: new -> Silver */
    assert_int_equal(m[2 * 5 + 4], 1); /* b: Bronze -> gone */
    /* period 3: "b" is back, as a new customer */
    const char *ids3[] = {"b"};
    const double s3[] = {500};
    tier_dataset *d3 = period(ids3, s3, 1, 60);
    TIER_CHECK(tier_assignment_new(&p3, r, d3, p2, NULL));
    assert_string_equal(event_of(p3, "b"), "new -->Gold");
    assert_int_equal(tier_assignment_event_count(p3), 4); /* b new, a c d gone */
    tier_assignment_free(p1);
    tier_assignment_free(p2);
    tier_assignment_free(p3);
    tier_dataset_free(d1);
    tier_dataset_free(d2);
    tier_dataset_free(d3);
    tier_rules_free(r);
}

static void test_overrides(void **state)
{
    (void)state;
    char text[512];
    snprintf(text, sizeof text, "%spolicy grace 1\npin \"t\" to Silver until 2011-01-31\n", LADDER);
    tier_rules *r = compile(text);
    const char *ids[] = {"a", "b", "t"};
    const double low[] = {10, 10, 10};
    tier_assign_options o = TIER_ASSIGN_OPTIONS_INIT;
    const char *oc[] = {"a", "nobody"};
    const char *ot[] = {"Gold", "Bronze"};
    const int64_t ou[] = {T0 + 40 * DAY, T0 + 400 * DAY};
    o.n_overrides = 2;
    o.override_customers = oc;
    o.override_tiers = ot;
    o.override_until = ou;
    /* day 0: "a" pinned by the API, "t" by the text */
    tier_dataset *ds = period(ids, low, 3, 0);
    tier_assignment *p = NULL, *q = NULL;
    TIER_CHECK(tier_assignment_new(&p, r, ds, NULL, &o));
    assert_string_equal(tier_of(p, "a"), "Gold");
    assert_string_equal(event_of(p, "a"), "override -->Gold");
    assert_string_equal(tier_of(p, "t"), "Silver");
    assert_string_equal(event_of(p, "t"), "override -->Silver");
    assert_string_equal(event_of(p, "b"), "new -->Basic");
    assert_int_equal(tier_assignment_qualified(p)[0], 3); /* the rules alone say Basic */
    /* API pins are carried (also for customers not present); text pins stay in the text */
    assert_int_equal(tier_assignment_override_count(p), 2);
    const char *c, *t;
    int64_t until;
    TIER_CHECK(tier_assignment_override(&c, &t, &until, p, 0));
    assert_string_equal(c, "a");
    assert_string_equal(t, "Gold");
    assert_int_equal(until, T0 + 40 * DAY);
    TIER_EXPECT_ERROR(tier_assignment_override(&c, &t, &until, p, 2), TIER_EINVAL, "range");
    tier_dataset_free(ds);
    /* day 20: both pins still hold, no event since nothing changes */
    ds = period(ids, low, 3, 20);
    TIER_CHECK(tier_assignment_new(&q, r, ds, p, NULL));
    assert_string_equal(tier_of(q, "a"), "Gold");
    assert_string_equal(event_of(q, "a"), "none");
    assert_int_equal(grace_of(q, "a"), 0);
    assert_string_equal(tier_of(q, "t"), "Silver");
    tier_assignment_free(p);
    p = q;
    tier_dataset_free(ds);
    /* day 35: the text pin has ended (through Jan 31): normal policy from Silver, with grace */
    ds = period(ids, low, 3, 35);
    TIER_CHECK(tier_assignment_new(&q, r, ds, p, NULL));
    assert_string_equal(tier_of(q, "t"), "Silver");
    assert_string_equal(event_of(q, "t"), "held Silver->Silver");
    assert_string_equal(tier_of(q, "a"), "Gold");
    tier_assignment_free(p);
    p = q;
    tier_dataset_free(ds);
    /* day 45: the API pin has ended too; it is no longer carried */
    ds = period(ids, low, 3, 45);
    TIER_CHECK(tier_assignment_new(&q, r, ds, p, NULL));
    assert_string_equal(event_of(q, "a"), "held Gold->Gold");
    assert_string_equal(event_of(q, "t"), "downgrade Silver->Basic");
    assert_int_equal(tier_assignment_override_count(q), 1);
    TIER_CHECK(tier_assignment_override(&c, NULL, NULL, q, 0));
    assert_string_equal(c, "nobody");
    tier_assignment_free(p);
    p = q;
    tier_dataset_free(ds);
    /* day 50: a new pin replaces nothing, a past end date removes "nobody"'s pin; a pin
     * moving a customer down is an override, not a downgrade */
    const char *oc2[] = {"b", "nobody", "a"};
    const char *ot2[] = {"Silver", NULL, "Bronze"};
    const int64_t ou2[] = {T0 + 100 * DAY, T0, T0 + 100 * DAY};
    o.n_overrides = 3;
    o.override_customers = oc2;
    o.override_tiers = ot2;
    o.override_until = ou2;
    ds = period(ids, low, 3, 50);
    TIER_CHECK(tier_assignment_new(&q, r, ds, p, &o));
    assert_string_equal(event_of(q, "b"), "override Basic->Silver");
    assert_string_equal(event_of(q, "a"), "override Gold->Bronze");
    assert_int_equal(tier_assignment_override_count(q), 2);
    /* unknown tier names in overrides are errors with a suggestion */
    const char *bad_tier[] = {"Gld"};
    const int64_t later[] = {T0 + 400 * DAY};
    o.n_overrides = 1;
    o.override_customers = oc;
    o.override_tiers = bad_tier;
    o.override_until = later;
    tier_assignment *x = (tier_assignment *)1;
    TIER_EXPECT_ERROR(tier_assignment_new(&x, r, ds, p, &o), TIER_ENOTFOUND,
                      "override 0 (customer 'a'): unknown tier 'Gld' (did you mean 'Gold'?)");
    assert_null(x);
    const char *empty_id[] = {""};
    o.override_customers = empty_id;
    TIER_EXPECT_ERROR(tier_assignment_new(&x, r, ds, p, &o), TIER_EINVAL, "override 0");
    o.override_until = NULL;
    TIER_EXPECT_ERROR(tier_assignment_new(&x, r, ds, p, &o), TIER_EINVAL, "array is NULL");
    tier_dataset_free(ds);
    /* a carried pin to a tier the new rule set lacks: error, or dropped on request */
    tier_rules *renamed = compile("tier Platinum when score >= 300\ntier Silver when score >= 200"
                                  "\notherwise Basic");
    ds = period(ids, low, 3, 60);
    TIER_EXPECT_ERROR(tier_assignment_new(&x, renamed, ds, q, NULL), TIER_ENOTFOUND,
                      "pin of customer 'a' carried from the previous assignment: unknown tier "
                      "'Bronze'");
    tier_assign_options drop = TIER_ASSIGN_OPTIONS_INIT;
    drop.drop_unknown_overrides = 1;
    TIER_CHECK(tier_assignment_new(&x, renamed, ds, q, &drop));
    assert_int_equal(tier_assignment_override_count(x), 1); /* b's Silver pin survives */
    assert_string_equal(tier_of(x, "b"), "Silver");
    assert_string_equal(event_of(x, "b"), "none");
    /* "a" was Bronze, which no longer exists: a fresh start under the new rules */
    assert_string_equal(event_of(x, "a"), "new Bronze->Basic");
    tier_assignment_free(x);
    tier_dataset_free(ds);
    tier_rules_free(renamed);
    tier_assignment_free(p);
    tier_assignment_free(q);
    tier_rules_free(r);
}

static void test_rule_change_between_periods(void **state)
{
    (void)state;
    tier_rules *old_rules = compile(LADDER);
    tier_rules *new_rules = compile("tier Platinum when score >= 500\n"
                                    "tier Gold when score >= 300\n"
                                    "tier Standard when score >= 100\n"
                                    "otherwise Basic\npolicy grace 1");
    const char *ids[] = {"a", "b", "c", "d"};
    const double s1[] = {350, 250, 150, 50};
    const double s2[] = {150, 250, 150, 50};
    tier_dataset *d1 = period(ids, s1, 4, 0), *d2 = period(ids, s2, 4, 30);
    tier_assignment *p1, *p2;
    TIER_CHECK(tier_assignment_new(&p1, old_rules, d1, NULL, NULL));
    TIER_CHECK(tier_assignment_new(&p2, new_rules, d2, p1, NULL));
    /* Gold exists in both (matched by name, so grace applies); Silver and Bronze do not */
    assert_string_equal(event_of(p2, "a"), "held Gold->Gold");
    assert_string_equal(event_of(p2, "b"), "new Silver->Standard");
    assert_string_equal(event_of(p2, "c"), "new Bronze->Standard");
    assert_string_equal(event_of(p2, "d"), "none");
    assert_int_equal(tier_assignment_tier_count(p2), 4);
    assert_string_equal(tier_assignment_tier_name(p2, 0), "Platinum");
    uint64_t m[5 * 5];
    TIER_CHECK(tier_assignment_transitions(m, p1, p2));
    assert_int_equal(m[0 * 5 + 1], 1); /* Gold -> Gold */
    assert_int_equal(m[1 * 5 + 2], 1); /* Silver -> Standard */
    assert_int_equal(m[2 * 5 + 2], 1); /* Bronze -> Standard */
    assert_int_equal(m[3 * 5 + 3], 1); /* Basic -> Basic */
    tier_assignment_free(p1);
    tier_assignment_free(p2);
    tier_dataset_free(d1);
    tier_dataset_free(d2);
    tier_rules_free(old_rules);
    tier_rules_free(new_rules);
}

static void test_times_and_arguments(void **state)
{
    (void)state;
    tier_rules *r = compile(LADDER);
    const char *ids[] = {"a"};
    const double s[] = {1};
    tier_dataset *ds = period(ids, s, 1, 10);
    tier_assignment *p = NULL, *x = (tier_assignment *)1;
    TIER_CHECK(tier_assignment_new(&p, r, ds, NULL, NULL));
    assert_int_equal(tier_assignment_time(p), T0 + 11 * DAY); /* the dataset's as_of */
    TIER_EXPECT_ERROR(tier_assignment_new(&x, r, ds, p, NULL), TIER_EINVAL,
                      "is not later than the previous assignment's");
    assert_null(x);
    tier_assign_options o;
    TIER_CHECK(tier_assign_options_init(&o, TIER_ASSIGN_OPTIONS_VERSION));
    o.time = T0 + 12 * DAY;
    TIER_CHECK(tier_assignment_new(&x, r, ds, p, &o));
    assert_int_equal(tier_assignment_time(x), T0 + 12 * DAY);
    tier_assignment_free(x);
    o.version = 7;
    TIER_EXPECT_ERROR(tier_assignment_new(&x, r, ds, NULL, &o), TIER_EVERSION, "version 7");
    TIER_EXPECT_ERROR(tier_assign_options_init(&o, 0), TIER_EVERSION, "version 0");
    TIER_EXPECT_ERROR(tier_assign_options_init(NULL, 1), TIER_EINVAL, "NULL");
    TIER_EXPECT_ERROR(tier_assignment_new(&x, NULL, ds, NULL, NULL), TIER_EINVAL, "rules");
    TIER_EXPECT_ERROR(tier_assignment_new(NULL, r, ds, NULL, NULL), TIER_EINVAL, "out");
    /* a dataset whose features were never computed has no time */
    tier_dataset *raw = NULL;
    TIER_CHECK(tier_dataset_new(&raw, NULL));
    TIER_EXPECT_ERROR(tier_assignment_new(&x, r, raw, NULL, NULL), TIER_EINVAL,
                      "no evaluation time");
    /* ...but an empty dataset with an explicit time works */
    o.version = TIER_ASSIGN_OPTIONS_VERSION;
    o.time = T0;
    tier_rules *plain = compile("otherwise All");
    TIER_CHECK(tier_assignment_new(&x, plain, raw, NULL, &o));
    assert_int_equal(tier_assignment_size(x), 0);
    assert_null(tier_assignment_tiers(x));
    assert_int_equal(tier_assignment_event_count(x), 0);
    tier_assignment_free(x);
    /* binding errors come through with their position */
    tier_rules *typo = compile("tier A when scor > 1 otherwise B");
    TIER_EXPECT_ERROR(tier_assignment_new(&x, typo, ds, NULL, NULL), TIER_ENOTFOUND,
                      "policy.tier:1:13: unknown column 'scor' (did you mean 'score'?)");
    /* NULL-safe accessors */
    assert_int_equal(tier_assignment_size(NULL), 0);
    assert_null(tier_assignment_tier_name(p, 4));
    assert_null(tier_assignment_customer_id(p, 1));
    assert_string_equal(tier_assignment_customer_id(p, 0), "a");
    assert_string_equal(tier_assignment_tier_label(p, 0), "Gold");
    assert_int_equal(tier_assignment_count(p, 99), 0);
    size_t row;
    assert_int_equal(tier_assignment_find(&row, p, "zz"), TIER_ENOTFOUND);
    assert_string_equal(tier_event_kind_name(99), "unknown");
    tier_assignment_free(NULL);
    tier_whatif_free(NULL);
    tier_rules_free(typo);
    tier_rules_free(plain);
    tier_dataset_free(raw);
    tier_assignment_free(p);
    tier_dataset_free(ds);
    tier_rules_free(r);
}

static void test_events_csv(void **state)
{
    (void)state;
    tier_rules *r = compile("tier \"Gold, plus\" when score >= 300\notherwise Basic");
    const char *ids[] = {"a\"1", "b"};
    const double s[] = {400, 1};
    tier_dataset *ds = period(ids, s, 2, 0);
    tier_assignment *p;
    TIER_CHECK(tier_assignment_new(&p, r, ds, NULL, NULL));
    const char *path = test_temp_path("events.csv");
    TIER_CHECK(tier_assignment_write_events(p, path));
    FILE *f = fopen(path, "rb");
    char buf[512] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    assert_string_equal(buf, "customer_id,time,kind,old_tier,new_tier\n"
                             "\"a\"\"1\",2011-01-02T00:00:00Z,new,,\"Gold, plus\"\n"
                             "b,2011-01-02T00:00:00Z,new,,Basic\n");
    TIER_EXPECT_ERROR(tier_assignment_write_events(p, "/nonexistent-dir/e.csv"), TIER_EIO,
                      "/nonexistent-dir/e.csv");
    tier_assignment_free(p);
    tier_dataset_free(ds);
    tier_rules_free(r);
}

static void test_to_column(void **state)
{
    (void)state;
    tier_rules *r = compile(LADDER);
    const char *ids[] = {"a", "b", "c"};
    const double s[] = {350, 250, 1};
    tier_dataset *ds = period(ids, s, 2, 0), *more = period(ids, s, 3, 0);
    tier_assignment *p;
    TIER_CHECK(tier_assignment_new(&p, r, ds, NULL, NULL));
    TIER_CHECK(tier_assignment_to_column(p, more, "tier"));
    const int32_t *codes;
    const char *const *dict;
    size_t n_cat;
    TIER_CHECK(tier_dataset_categorical(&codes, &dict, &n_cat, more, "tier"));
    assert_int_equal(n_cat, 4);
    assert_string_equal(dict[codes[0]], "Gold");
    assert_string_equal(dict[codes[1]], "Silver");
    assert_int_equal(codes[2], TIER_MISSING_CODE); /* "c" was not assigned */
    /* a rule set can read it, e.g. to build a tier on top of the last one */
    /* ("tier" is a reserved word: as a column name it is written in backquotes) */
    tier_rules *r2 = compile("tier Top when `tier` in (\"Gold\", \"Silver\") and score > 300\n"
                             "otherwise Rest");
    int32_t t[3];
    TIER_CHECK(tier_rules_evaluate(t, r2, more));
    assert_int_equal(t[0], 0);
    assert_int_equal(t[1], 1);
    assert_int_equal(t[2], 1);
    TIER_EXPECT_ERROR(tier_assignment_to_column(p, more, "monetary"), TIER_EINVAL, "monetary");
    tier_rules_free(r2);
    tier_assignment_free(p);
    tier_dataset_free(ds);
    tier_dataset_free(more);
    tier_rules_free(r);
}

/* ---- save / load ------------------------------------------------------------------------------ */

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

static void write_all(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* Rewrites the trailing CRC so that only the content check can catch a change. */
static void fix_crc(unsigned char *b, size_t n)
{
    uint32_t c = crc32_of(b, n - 4);
    for (int i = 0; i < 4; i++)
        b[n - 4 + (size_t)i] = (unsigned char)(c >> (8 * i));
}

static void assert_same(const tier_assignment *a, const tier_assignment *b)
{
    assert_int_equal(tier_assignment_size(a), tier_assignment_size(b));
    assert_int_equal(tier_assignment_time(a), tier_assignment_time(b));
    assert_int_equal(tier_assignment_tier_count(a), tier_assignment_tier_count(b));
    for (size_t i = 0; i < tier_assignment_tier_count(a); i++) {
        assert_string_equal(tier_assignment_tier_name(a, i), tier_assignment_tier_name(b, i));
        assert_string_equal(tier_assignment_tier_label(a, i), tier_assignment_tier_label(b, i));
        assert_int_equal(tier_assignment_count(a, i), tier_assignment_count(b, i));
    }
    size_t n = tier_assignment_size(a);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(tier_assignment_customer_id(a, i), tier_assignment_customer_id(b, i));
    if (n) {
        assert_memory_equal(tier_assignment_tiers(a), tier_assignment_tiers(b), n * 4);
        assert_memory_equal(tier_assignment_qualified(a), tier_assignment_qualified(b), n * 4);
        assert_memory_equal(tier_assignment_grace(a), tier_assignment_grace(b), n * 4);
    }
    assert_int_equal(tier_assignment_event_count(a), tier_assignment_event_count(b));
    for (size_t i = 0; i < tier_assignment_event_count(a); i++) {
        const char *c1, *o1, *n1, *c2, *o2, *n2;
        int k1, k2;
        TIER_CHECK(tier_assignment_event(&c1, &k1, &o1, &n1, NULL, a, i));
        TIER_CHECK(tier_assignment_event(&c2, &k2, &o2, &n2, NULL, b, i));
        assert_string_equal(c1, c2);
        assert_int_equal(k1, k2);
        assert_true((o1 == NULL) == (o2 == NULL));
        assert_true((n1 == NULL) == (n2 == NULL));
        if (o1)
            assert_string_equal(o1, o2);
        if (n1)
            assert_string_equal(n1, n2);
    }
    assert_int_equal(tier_assignment_override_count(a), tier_assignment_override_count(b));
    for (size_t i = 0; i < tier_assignment_override_count(a); i++) {
        const char *c1, *t1, *c2, *t2;
        int64_t u1, u2;
        TIER_CHECK(tier_assignment_override(&c1, &t1, &u1, a, i));
        TIER_CHECK(tier_assignment_override(&c2, &t2, &u2, b, i));
        assert_string_equal(c1, c2);
        assert_string_equal(t1, t2);
        assert_int_equal(u1, u2);
    }
}

static void test_save_load(void **state)
{
    (void)state;
    tier_rules *r = compile("tier Gold when score >= 300 label \"The best\"\n"
                            "tier Silver when score >= 200\notherwise Basic\n"
                            "policy grace 2");
    const char *ids1[] = {"a", "b", "gone"};
    const double s1[] = {350, 250, 250};
    const char *ids2[] = {"a", "b", "new"};
    const double s2[] = {10, 10, 10};
    tier_assign_options o = TIER_ASSIGN_OPTIONS_INIT;
    const char *oc[] = {"new"};
    const char *ot[] = {"Silver"};
    const int64_t ou[] = {T0 + 300 * DAY};
    o.n_overrides = 1;
    o.override_customers = oc;
    o.override_tiers = ot;
    o.override_until = ou;
    tier_dataset *d1 = period(ids1, s1, 3, 0), *d2 = period(ids2, s2, 3, 30);
    tier_dataset *d3 = period(ids2, s2, 3, 60);
    tier_assignment *p1, *p2, *loaded = NULL, *next_mem, *next_disk;
    TIER_CHECK(tier_assignment_new(&p1, r, d1, NULL, NULL));
    TIER_CHECK(tier_assignment_new(&p2, r, d2, p1, &o)); /* held, gone, override events */
    const char *path = test_temp_path("period2.tasg");
    TIER_CHECK(tier_assignment_save(p2, path));
    TIER_CHECK(tier_assignment_load(&loaded, path, NULL));
    assert_same(p2, loaded);
    assert_int_equal(grace_of(loaded, "a"), 1);
    /* the loaded state drives the next evaluation exactly like the in-memory one */
    TIER_CHECK(tier_assignment_new(&next_mem, r, d3, p2, NULL));
    TIER_CHECK(tier_assignment_new(&next_disk, r, d3, loaded, NULL));
    assert_same(next_mem, next_disk);
    assert_int_equal(grace_of(next_disk, "a"), 2);
    assert_string_equal(tier_of(next_disk, "new"), "Silver");
    /* save/load of an empty assignment */
    tier_dataset *empty = NULL;
    TIER_CHECK(tier_dataset_new(&empty, NULL));
    TIER_CHECK(tier_dataset_compute_features(empty, T0));
    TIER_CHECK(tier_dataset_set_numeric(empty, "score", NULL));
    tier_assignment *e1, *e2;
    TIER_CHECK(tier_assignment_new(&e1, r, empty, NULL, NULL));
    const char *epath = test_temp_path("empty.tasg");
    TIER_CHECK(tier_assignment_save(e1, epath));
    TIER_CHECK(tier_assignment_load(&e2, epath, NULL));
    assert_same(e1, e2);
    tier_assignment_free(e1);
    tier_assignment_free(e2);

    /* damaged files are rejected */
    size_t n;
    unsigned char *good = test_read_file(path, &n);
    unsigned char *b = malloc(n);
    const char *bad = test_temp_path("bad.tasg");
    tier_assignment *x = (tier_assignment *)1;
    for (size_t at_byte = 0; at_byte < n; at_byte += n / 17 + 1) {
        memcpy(b, good, n);
        b[at_byte] ^= 0x20;
        write_all(bad, b, n);
        int rc = tier_assignment_load(&x, bad, NULL);
        if (rc != TIER_ECORRUPT && rc != TIER_EVERSION)
            fail_msg("flipping byte %zu gave %d: %s", at_byte, rc, tier_last_error());
        assert_null(x);
    }
    write_all(bad, good, n - 9);
    TIER_EXPECT_ERROR(tier_assignment_load(&x, bad, NULL), TIER_ECORRUPT, bad);
    write_all(bad, good, 10);
    TIER_EXPECT_ERROR(tier_assignment_load(&x, bad, NULL), TIER_ECORRUPT, bad);
    /* a newer format version, with a valid checksum */
    memcpy(b, good, n);
    b[8] = 2;
    fix_crc(b, n);
    write_all(bad, b, n);
    TIER_EXPECT_ERROR(tier_assignment_load(&x, bad, NULL), TIER_EVERSION, bad);
    /* a valid checksum over impossible content: tier count 0, then a tier index past the end */
    memcpy(b, good, n);
    memset(b + 24 + 16, 0, 4);
    fix_crc(b, n);
    write_all(bad, b, n);
    TIER_EXPECT_ERROR(tier_assignment_load(&x, bad, NULL), TIER_ECORRUPT, "tier count");
    memcpy(b, good, n);
    /* find the first per-row tier: after the id table, three int32 arrays of 3 entries */
    const unsigned char needle[] = {'n', 'e', 'w', 0};
    unsigned char *pos = NULL;
    for (size_t i = 0; i + 4 <= n && !pos; i++)
        if (memcmp(b + i, needle, 4) == 0)
            pos = b + i + 4;
    assert_non_null(pos);
    pos[0] = 9; /* tier of row 0: 9 of 3 */
    fix_crc(b, n);
    write_all(bad, b, n);
    TIER_EXPECT_ERROR(tier_assignment_load(&x, bad, NULL), TIER_ECORRUPT,
                      "tier or grace counter out of range");
    /* another libtier file kind */
    const char *dpath = test_temp_path("dataset.tds");
    TIER_CHECK(tier_dataset_save(d1, dpath));
    TIER_EXPECT_ERROR(tier_assignment_load(&x, dpath, NULL), TIER_ECORRUPT, dpath);
    TIER_EXPECT_ERROR(tier_assignment_load(&x, test_temp_path("missing.tasg"), NULL), TIER_ENOTFOUND,
                      "missing.tasg");
    TIER_EXPECT_ERROR(tier_assignment_save(p2, "/nonexistent-dir/x.tasg"), TIER_EIO,
                      "/nonexistent-dir");
    free(b);
    free(good);
    tier_assignment_free(p1);
    tier_assignment_free(p2);
    tier_assignment_free(loaded);
    tier_assignment_free(next_mem);
    tier_assignment_free(next_disk);
    tier_dataset_free(d1);
    tier_dataset_free(d2);
    tier_dataset_free(d3);
    tier_dataset_free(empty);
    tier_rules_free(r);
}

/* ---- many customers, many periods: the policy against a reference written here ------------- */

typedef struct ref_state {
    int tier, grace;
} ref_state;

static void test_random_periods_match_reference(void **state)
{
    (void)state;
    /* 5 tiers on one score with retain conditions on two of them; grace 2; max 2 steps */
    tier_rules *r = compile("tier A when score >= 80 retain when score >= 70\n"
                            "tier B when score >= 60\n"
                            "tier C when score >= 40 retain when score >= 30\n"
                            "tier D when score >= 20\n"
                            "otherwise E\npolicy grace 2 evaluations\npolicy max downgrade 2 steps");
    const double qual[4] = {80, 60, 40, 20}, keep[4] = {70, -1, 30, -1};
    enum { N = 3000, PERIODS = 8 };
    static char idbuf[N][16];
    const char *ids[N];
    double score[N];
    ref_state ref[N];
    for (int i = 0; i < N; i++) {
        snprintf(idbuf[i], sizeof idbuf[i], "k%d", i);
        ids[i] = idbuf[i];
    }
    uint64_t seed = 12345;
    tier_assignment *prev = NULL;
    for (int per = 0; per < PERIODS; per++) {
        for (int i = 0; i < N; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            score[i] = (double)((seed >> 33) % 100);
            if ((seed >> 20) % 50 == 0)
                score[i] = NAN;
        }
        tier_dataset *ds = period(ids, score, N, per * 30);
        tier_assignment *a;
        TIER_CHECK(tier_assignment_new(&a, r, ds, prev, NULL));
        const int32_t *t = tier_assignment_tiers(a), *g = tier_assignment_grace(a);
        size_t held = 0, moved = 0;
        for (int i = 0; i < N; i++) {
            int q = 4;
            for (int k = 0; k < 4; k++)
                if (score[i] >= qual[k]) {
                    q = k;
                    break;
                }
            ref_state s = ref[i];
            if (per == 0) {
                s.tier = q;
                s.grace = 0;
            } else if (q <= s.tier) {
                s.tier = q;
                s.grace = 0;
            } else if (s.tier < 4 && keep[s.tier] >= 0 && score[i] >= keep[s.tier]) {
                s.grace = 0;
            } else if (s.grace < 2) {
                s.grace++;
                held++;
            } else {
                s.tier = q - s.tier > 2 ? s.tier + 2 : q;
                s.grace = 0;
            }
            moved += s.tier != ref[i].tier && per > 0;
            ref[i] = s;
            if (t[i] != s.tier || g[i] != s.grace)
                fail_msg("period %d customer %d (score %g): tier %d grace %d, reference %d %d",
                         per, i, score[i], t[i], g[i], s.tier, s.grace);
        }
        if (per > 0)
            assert_int_equal(tier_assignment_event_count(a), held + moved);
        tier_assignment_free(prev);
        prev = a;
        tier_dataset_free(ds);
    }
    tier_assignment_free(prev);
    tier_rules_free(r);
}

/* ---- what-if on the Online Retail sample -------------------------------------------------- */

static tier_dataset *online_retail(void)
{
    tier_csv_options o = TIER_CSV_OPTIONS_INIT;
    const char *cats[] = {"Country"};
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

static tier_rules *example_rules(const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/../rules/%s", example_data_path(""), name);
    tier_rules *r = NULL;
    TIER_CHECK(tier_rules_load(&r, path, NULL));
    return r;
}

/* examples/rules/retail.tier, by hand: 0 Diamond, 1 Gold, 2 Silver, 3 Normal */
static int retail_tier(double m, double f, double rec)
{
    if (m >= 5000 && f >= 10 && rec <= 90)
        return 0;
    if (m >= 2000 && f >= 5 && rec <= 180)
        return 1;
    if (m >= 500 && rec <= 365)
        return 2;
    return 3;
}

/* examples/rules/retail_candidate.tier: 0 Platinum 1 Diamond 2 Gold 3 Silver 4 Normal */
static int candidate_tier(double m, double f, double rec)
{
    if (m >= 20000 && f >= 20)
        return 0;
    if (m >= 5000 && f >= 10 && rec <= 90)
        return 1;
    if ((m >= 2000 && f >= 5 && rec <= 180) || (m >= 3000 && rec <= 30))
        return 2;
    if (m >= 750 && rec <= 270)
        return 3;
    return 4;
}

static int candidate_retains(int tier, double m, double f)
{
    return (tier == 1 && m >= 4000 && f >= 8) || (tier == 2 && m >= 1500 && f >= 4);
}

static void test_whatif_online_retail(void **state)
{
    (void)state;
    tier_dataset *ds = online_retail();
    size_t n = tier_dataset_size(ds);
    assert_int_equal(n, 4372);
    const double *m, *f, *rec;
    TIER_CHECK(tier_dataset_numeric(&m, ds, "monetary"));
    TIER_CHECK(tier_dataset_numeric(&f, ds, "frequency"));
    TIER_CHECK(tier_dataset_numeric(&rec, ds, "recency"));
    tier_rules *cur = example_rules("retail.tier"), *cand = example_rules("retail_candidate.tier");
    TIER_CHECK(tier_rules_check(cur, ds));

    /* last month's assignment under the current rules */
    tier_assign_options o = TIER_ASSIGN_OPTIONS_INIT;
    o.time = tier_dataset_as_of(ds) - 30 * DAY;
    tier_assignment *prev;
    TIER_CHECK(tier_assignment_new(&prev, cur, ds, NULL, &o));
    uint64_t ref_counts[4] = {0};
    for (size_t i = 0; i < n; i++)
        ref_counts[retail_tier(m[i], f[i], rec[i])]++;
    for (size_t k = 0; k < 4; k++)
        assert_int_equal(tier_assignment_count(prev, k), ref_counts[k]);
    /* the sample has customers in every tier */
    assert_true(ref_counts[0] > 100 && ref_counts[1] > 300 && ref_counts[2] > 1000);

    tier_whatif *w;
    TIER_CHECK(tier_whatif_new(&w, cur, cand, ds, prev, NULL));
    const tier_assignment *wc = tier_whatif_current(w), *wd = tier_whatif_candidate(w);
    assert_int_equal(tier_assignment_size(wc), n);
    assert_int_equal(tier_assignment_tier_count(wd), 5);
    /* every cell of the matrix against an independent count; the candidate's policy
     * (grace 2, retain) decides where customers would actually be */
    uint64_t cell[4][5] = {{0}}, changed = 0, held = 0, up = 0, down = 0;
    static const int cand_rank_of_cur[4] = {1, 2, 3, 4}; /* Diamond Gold Silver Normal */
    const int32_t *ct = tier_assignment_tiers(wc), *dt = tier_assignment_tiers(wd);
    for (size_t i = 0; i < n; i++) {
        int was = retail_tier(m[i], f[i], rec[i]); /* previous and current agree */
        int p = cand_rank_of_cur[was];
        int q = candidate_tier(m[i], f[i], rec[i]);
        int t = q;
        if (q < p) {
            up++;
        } else if (q > p && candidate_retains(p, m[i], f[i])) {
            t = p;
        } else if (q > p) {
            t = p; /* first evaluation below: held by grace */
            held++;
        }
        cell[was][t]++;
        static const char *const cn[4] = {"Diamond", "Gold", "Silver", "Normal"};
        static const char *const dn[5] = {"Platinum", "Diamond", "Gold", "Silver", "Normal"};
        changed += strcmp(cn[was], dn[t]) != 0;
        assert_int_equal(ct[i], was);
        if (dt[i] != t)
            fail_msg("customer %s: candidate tier %d, expected %d",
                     tier_assignment_customer_id(wd, i), dt[i], t);
    }
    uint64_t total = 0;
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 5; j++) {
            assert_int_equal(tier_whatif_transition(w, i, j), cell[i][j]);
            total += tier_whatif_transition(w, i, j);
        }
    assert_int_equal(total, n);
    assert_int_equal(tier_whatif_transition(w, 4, 0), 0);
    assert_int_equal(tier_whatif_changed(w), changed);
    assert_true(changed > 0 && up > 0 && held > 0);
    /* the candidate's events: upgrades and holds, each counted above; no downgrade yet */
    size_t ev[7] = {0};
    for (size_t i = 0; i < tier_assignment_event_count(wd); i++) {
        int kind;
        TIER_CHECK(tier_assignment_event(NULL, &kind, NULL, NULL, NULL, wd, i));
        ev[kind]++;
    }
    assert_int_equal(ev[TIER_EVENT_UPGRADE], up);
    assert_int_equal(ev[TIER_EVENT_HELD], held);
    assert_int_equal(ev[TIER_EVENT_DOWNGRADE] + down, 0);
    assert_int_equal(ev[TIER_EVENT_NEW] + ev[TIER_EVENT_GONE], 0);
    /* the current rules, re-evaluated, change nothing */
    assert_int_equal(tier_assignment_event_count(wc), 0);
    /* what-if commits nothing: the previous assignment is untouched */
    for (size_t k = 0; k < 4; k++)
        assert_int_equal(tier_assignment_count(prev, k), ref_counts[k]);
    /* the general transitions API agrees with the what-if matrix */
    uint64_t *tm = calloc(5 * 6, sizeof *tm);
    TIER_CHECK(tier_assignment_transitions(tm, wc, wd));
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 5; j++)
            assert_int_equal(tm[i * 6 + j], cell[i][j]);
    free(tm);
    tier_whatif_free(w);

    /* the demo's flow: tiers as a column, then a pivot-ready categorical */
    TIER_CHECK(tier_assignment_to_column(prev, ds, "tier"));
    const int32_t *codes;
    TIER_CHECK(tier_dataset_categorical(&codes, NULL, NULL, ds, "tier"));
    for (size_t i = 0; i < n; i++)
        assert_int_equal(codes[i], retail_tier(m[i], f[i], rec[i]));
    /* the regional example uses Country and the rest of the language on the same data */
    tier_rules *reg = example_rules("regional.tier");
    tier_assignment *ra;
    TIER_CHECK(tier_assignment_new(&ra, reg, ds, NULL, NULL));
    uint64_t sum = 0;
    for (size_t k = 0; k < 5; k++)
        sum += tier_assignment_count(ra, k);
    assert_int_equal(sum, n);
    assert_true(tier_assignment_count(ra, 1) > 0); /* some EU customers */
    tier_assignment_free(ra);
    tier_rules_free(reg);
    tier_assignment_free(prev);
    tier_rules_free(cur);
    tier_rules_free(cand);
    tier_dataset_free(ds);
}

static void test_whatif_errors(void **state)
{
    (void)state;
    tier_rules *r = compile(LADDER), *bad = compile("tier X when nope > 1 otherwise Y");
    const char *ids[] = {"a"};
    const double s[] = {1};
    tier_dataset *ds = period(ids, s, 1, 0);
    tier_whatif *w = (tier_whatif *)1;
    TIER_EXPECT_ERROR(tier_whatif_new(&w, r, bad, ds, NULL, NULL), TIER_ENOTFOUND,
                      "unknown column 'nope'");
    assert_null(w);
    TIER_EXPECT_ERROR(tier_whatif_new(&w, r, NULL, ds, NULL, NULL), TIER_EINVAL, "NULL");
    TIER_CHECK(tier_whatif_new(&w, r, r, ds, NULL, NULL));
    assert_int_equal(tier_whatif_changed(w), 0);
    assert_int_equal(tier_whatif_transition(w, 3, 3), 1);
    assert_int_equal(tier_whatif_transition(w, 9, 0), 0);
    tier_whatif_free(w);
    tier_dataset_free(ds);
    tier_rules_free(r);
    tier_rules_free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_policy_moves_at_once),
        cmocka_unit_test(test_grace_and_soft_landing),
        cmocka_unit_test(test_retain_hysteresis),
        cmocka_unit_test(test_new_and_gone_customers),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_rule_change_between_periods),
        cmocka_unit_test(test_times_and_arguments),
        cmocka_unit_test(test_events_csv),
        cmocka_unit_test(test_to_column),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_random_periods_match_reference),
        cmocka_unit_test(test_whatif_online_retail),
        cmocka_unit_test(test_whatif_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
