/* tier.rules, tier.assignment and tier.whatif (rules.h, assignment.h). Tiers are named by
 * their names; rows and tier positions in tables are 1-based. */
#include <string.h>

#include "ltier.h"

static void free_rules(void *p) { tier_rules_free(p); }
static void free_assignment(void *p) { tier_assignment_free(p); }
static void free_whatif(void *p) { tier_whatif_free(p); }

static tier_rules *rules(lua_State *L, int idx) { return lt_check(L, idx, LT_RULES)->ptr; }

static tier_assignment *assignment(lua_State *L, int idx)
{
    return lt_check(L, idx, LT_ASSIGNMENT)->ptr;
}

static tier_rules_options rules_options(lua_State *L, int ds_idx)
{
    tier_rules_options o;
    tier_rules_options_init(&o, TIER_RULES_OPTIONS_VERSION);
    if (!lua_isnoneornil(L, ds_idx))
        o.dataset = lt_dataset(L, ds_idx);
    return o;
}

/* tier.rules(text [, source [, dataset]]) */
static int l_rules(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    const char *source = luaL_optstring(L, 2, NULL);
    tier_rules_options o = rules_options(L, 3);
    lt_handle *h = lt_push_handle(L, LT_RULES, free_rules);
    tier_rules *r = NULL;
    LT_CHECK(L, tier_rules_compile(&r, text, len, source, &o));
    h->ptr = r;
    return 1;
}

/* tier.load_rules(path [, dataset]) */
static int l_load_rules(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    tier_rules_options o = rules_options(L, 2);
    lt_handle *h = lt_push_handle(L, LT_RULES, free_rules);
    tier_rules *r = NULL;
    LT_CHECK(L, tier_rules_load(&r, path, &o));
    h->ptr = r;
    return 1;
}

/* ---- rule sets ---------------------------------------------------------------------------- */

static int r_tiers(lua_State *L)
{
    tier_rules *r = rules(L, 1);
    size_t n = tier_rules_tier_count(r);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, tier_rules_tier_name(r, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int r_labels(lua_State *L)
{
    tier_rules *r = rules(L, 1);
    size_t n = tier_rules_tier_count(r);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, tier_rules_tier_label(r, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static size_t tier_of(lua_State *L, tier_rules *r, int idx)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        lua_Integer i = luaL_checkinteger(L, idx);
        luaL_argcheck(L, i >= 1 && (size_t)i <= tier_rules_tier_count(r), idx,
                      "tier position out of range");
        return (size_t)i - 1;
    }
    size_t i;
    LT_CHECK(L, tier_rules_tier_index(&i, r, luaL_checkstring(L, idx)));
    return i;
}

static int r_tier_index(lua_State *L)
{
    tier_rules *r = rules(L, 1);
    lua_pushinteger(L, (lua_Integer)tier_of(L, r, 2) + 1);
    return 1;
}

static int r_has_retain(lua_State *L)
{
    tier_rules *r = rules(L, 1);
    lua_pushboolean(L, tier_rules_tier_has_retain(r, tier_of(L, r, 2)));
    return 1;
}

static int r_columns(lua_State *L)
{
    tier_rules *r = rules(L, 1);
    size_t n = tier_rules_column_count(r);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, tier_rules_column_name(r, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int r_source(lua_State *L)
{
    lua_pushstring(L, tier_rules_source_name(rules(L, 1)));
    return 1;
}

/* -> grace, max_downgrade */
static int r_policy(lua_State *L)
{
    tier_rules *r = rules(L, 1);
    lua_pushinteger(L, tier_rules_policy_value(r, TIER_POLICY_GRACE));
    lua_pushinteger(L, tier_rules_policy_value(r, TIER_POLICY_MAX_DOWNGRADE));
    return 2;
}

static int r_pins(lua_State *L)
{
    tier_rules *r = rules(L, 1);
    size_t n = tier_rules_pin_count(r);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        const char *id;
        size_t t;
        int64_t until;
        LT_CHECK(L, tier_rules_pin(&id, &t, &until, r, i));
        lua_createtable(L, 0, 3);
        lua_pushstring(L, id);
        lua_setfield(L, -2, "customer");
        lua_pushstring(L, tier_rules_tier_name(r, t));
        lua_setfield(L, -2, "tier");
        lua_pushinteger(L, (lua_Integer)until);
        lua_setfield(L, -2, "until");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int r_check(lua_State *L)
{
    LT_CHECK(L, tier_rules_check(rules(L, 1), lt_dataset(L, 2)));
    return 0;
}

/* rules:evaluate(ds) -> tier name per customer (the conditions alone) */
static int r_evaluate(lua_State *L)
{
    tier_rules *r = rules(L, 1);
    tier_dataset *ds = lt_dataset(L, 2);
    size_t n = tier_dataset_size(ds);
    int32_t *t = lt_scratch(L, n, sizeof *t);
    LT_CHECK(L, tier_rules_evaluate(t, r, ds));
    size_t k = tier_rules_tier_count(r);
    lua_createtable(L, (int)k, 0);
    int names = lua_gettop(L);
    for (size_t i = 0; i < k; i++) {
        lua_pushstring(L, tier_rules_tier_name(r, i));
        lua_rawseti(L, names, (lua_Integer)i + 1);
    }
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, names, (lua_Integer)t[i] + 1);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* Assignment options from the table at t: time, overrides, drop_unknown_overrides.
 * overrides = { {customer, tier, until}, ... } (until: time or date string). */
static tier_assign_options assign_options(lua_State *L, int t)
{
    tier_assign_options o;
    tier_assign_options_init(&o, TIER_ASSIGN_OPTIONS_VERSION);
    if (lua_isnoneornil(L, t))
        return o;
    luaL_checktype(L, t, LUA_TTABLE);
    if (lt_field(L, t, "time") != LUA_TNIL)
        o.time = lt_check_time(L, -1, "time");
    lua_pop(L, 1);
    o.drop_unknown_overrides = lt_opt_field_boolean(L, t, "drop_unknown_overrides", 0);
    if (lt_field(L, t, "overrides") == LUA_TNIL) {
        lua_pop(L, 1);
        return o;
    }
    int ov = lua_gettop(L);
    size_t n = lt_array_len(L, ov, "overrides");
    lua_createtable(L, 0, 0);
    int anchor = lua_gettop(L);
    const char **ids = lt_scratch(L, n, sizeof *ids);
    const char **tiers = lt_scratch(L, n, sizeof *tiers);
    int64_t *until = lt_scratch(L, n, sizeof *until);
    for (size_t i = 0; i < n; i++) {
        lua_geti(L, ov, (lua_Integer)i + 1);
        int e = lua_gettop(L);
        if (!lua_istable(L, e))
            luaL_error(L, "override #%d must be {customer, tier, until}", (int)i + 1);
        lua_geti(L, e, 1);
        ids[i] = lt_id_string(L, -1, anchor, (lua_Integer)i + 1);
        lua_geti(L, e, 2);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "override #%d: the tier must be a name", (int)i + 1);
        tiers[i] = lua_tostring(L, -1);
        lua_geti(L, e, 3);
        until[i] = lt_check_time(L, -1, "override until");
        lua_settop(L, e - 1); /* the overrides table keeps the strings alive */
    }
    o.n_overrides = n;
    o.override_customers = ids;
    o.override_tiers = tiers;
    o.override_until = until;
    return o;
}

/* rules:assign(ds [, previous [, {time=, overrides=, drop_unknown_overrides=}]]) */
static int r_assign(lua_State *L)
{
    tier_rules *r = rules(L, 1);
    tier_dataset *ds = lt_dataset(L, 2);
    lt_handle *prev = lt_opt(L, 3, LT_ASSIGNMENT);
    tier_assign_options o = assign_options(L, 4);
    lt_handle *h = lt_push_handle(L, LT_ASSIGNMENT, free_assignment);
    tier_assignment *a = NULL;
    LT_CHECK(L, tier_assignment_new(&a, r, ds, prev ? prev->ptr : NULL, &o));
    h->ptr = a;
    return 1;
}

/* rules:whatif(candidate, ds [, previous [, options]]) */
static int r_whatif(lua_State *L)
{
    tier_rules *r = rules(L, 1);
    tier_rules *c = rules(L, 2);
    tier_dataset *ds = lt_dataset(L, 3);
    lt_handle *prev = lt_opt(L, 4, LT_ASSIGNMENT);
    tier_assign_options o = assign_options(L, 5);
    lt_handle *h = lt_push_handle(L, LT_WHATIF, free_whatif);
    tier_whatif *w = NULL;
    LT_CHECK(L, tier_whatif_new(&w, r, c, ds, prev ? prev->ptr : NULL, &o));
    h->ptr = w;
    return 1;
}

/* ---- assignments -------------------------------------------------------------------------- */

static int l_load_assignment(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lt_handle *h = lt_push_handle(L, LT_ASSIGNMENT, free_assignment);
    tier_assignment *a = NULL;
    LT_CHECK(L, tier_assignment_load(&a, path, NULL));
    h->ptr = a;
    return 1;
}

static int a_size(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)tier_assignment_size(assignment(L, 1)));
    return 1;
}

static int a_time(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)tier_assignment_time(assignment(L, 1)));
    return 1;
}

static int a_tiers(lua_State *L)
{
    tier_assignment *a = assignment(L, 1);
    size_t n = tier_assignment_tier_count(a);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, tier_assignment_tier_name(a, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int a_labels(lua_State *L)
{
    tier_assignment *a = assignment(L, 1);
    size_t n = tier_assignment_tier_count(a);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, tier_assignment_tier_label(a, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int a_customer_ids(lua_State *L)
{
    tier_assignment *a = assignment(L, 1);
    size_t n = tier_assignment_size(a);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, tier_assignment_customer_id(a, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* The 0-based row of the customer at idx (a 1-based row number or an id); -1 if none. */
static long row_of(lua_State *L, tier_assignment *a, int idx, int by_row)
{
    if (by_row && lua_isinteger(L, idx)) {
        lua_Integer r = lua_tointeger(L, idx);
        return r >= 1 && (size_t)r <= tier_assignment_size(a) ? (long)r - 1 : -1;
    }
    lua_newtable(L);
    const char *id = lt_id_string(L, idx, lua_gettop(L), 1);
    size_t row;
    long result = tier_assignment_find(&row, a, id) == TIER_OK ? (long)row : -1;
    lua_pop(L, 1);
    return result;
}

static int a_find(lua_State *L)
{
    tier_assignment *a = assignment(L, 1);
    long r = row_of(L, a, 2, 0);
    if (r < 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, r + 1);
    return 1;
}

/* a:tier(customer id | row) -> tier name, or nil for an unknown customer */
static int a_tier(lua_State *L)
{
    tier_assignment *a = assignment(L, 1);
    long r = row_of(L, a, 2, 1);
    if (r < 0) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushstring(L, tier_assignment_tier_name(a, (size_t)tier_assignment_tiers(a)[r]));
    return 1;
}

/* Pushes an array with the tier name of every row from a per-row index array. */
static void push_tier_names(lua_State *L, tier_assignment *a, const int32_t *t)
{
    size_t n = tier_assignment_size(a), k = tier_assignment_tier_count(a);
    lua_createtable(L, (int)k, 0);
    int names = lua_gettop(L);
    for (size_t i = 0; i < k; i++) {
        lua_pushstring(L, tier_assignment_tier_name(a, i));
        lua_rawseti(L, names, (lua_Integer)i + 1);
    }
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, names, (lua_Integer)t[i] + 1);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_remove(L, names);
}

/* -> the tier name of every customer, in row order */
static int a_column(lua_State *L)
{
    tier_assignment *a = assignment(L, 1);
    push_tier_names(L, a, tier_assignment_tiers(a));
    return 1;
}

static int a_qualified(lua_State *L)
{
    tier_assignment *a = assignment(L, 1);
    push_tier_names(L, a, tier_assignment_qualified(a));
    return 1;
}

static int a_grace(lua_State *L)
{
    tier_assignment *a = assignment(L, 1);
    size_t n = tier_assignment_size(a);
    const int32_t *g = tier_assignment_grace(a);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushinteger(L, g[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* -> {tier name = customers}, and the tier names in order */
static int a_counts(lua_State *L)
{
    tier_assignment *a = assignment(L, 1);
    size_t k = tier_assignment_tier_count(a);
    lua_createtable(L, 0, (int)k);
    lua_createtable(L, (int)k, 0);
    for (size_t i = 0; i < k; i++) {
        const char *name = tier_assignment_tier_name(a, i);
        lua_pushinteger(L, (lua_Integer)tier_assignment_count(a, i));
        lua_setfield(L, -3, name);
        lua_pushstring(L, name);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 2;
}

static int a_events(lua_State *L)
{
    tier_assignment *a = assignment(L, 1);
    size_t n = tier_assignment_event_count(a);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        const char *id, *old_tier, *new_tier;
        int kind;
        int64_t t;
        LT_CHECK(L, tier_assignment_event(&id, &kind, &old_tier, &new_tier, &t, a, i));
        lua_createtable(L, 0, 5);
        lua_pushstring(L, id);
        lua_setfield(L, -2, "customer");
        lua_pushstring(L, tier_event_kind_name(kind));
        lua_setfield(L, -2, "kind");
        if (old_tier) {
            lua_pushstring(L, old_tier);
            lua_setfield(L, -2, "old");
        }
        if (new_tier) {
            lua_pushstring(L, new_tier);
            lua_setfield(L, -2, "new");
        }
        lua_pushinteger(L, (lua_Integer)t);
        lua_setfield(L, -2, "time");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int a_write_events(lua_State *L)
{
    LT_CHECK(L, tier_assignment_write_events(assignment(L, 1), luaL_checkstring(L, 2)));
    return 0;
}

static int a_overrides(lua_State *L)
{
    tier_assignment *a = assignment(L, 1);
    size_t n = tier_assignment_override_count(a);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        const char *id, *tier;
        int64_t until;
        LT_CHECK(L, tier_assignment_override(&id, &tier, &until, a, i));
        lua_createtable(L, 0, 3);
        lua_pushstring(L, id);
        lua_setfield(L, -2, "customer");
        lua_pushstring(L, tier);
        lua_setfield(L, -2, "tier");
        lua_pushinteger(L, (lua_Integer)until);
        lua_setfield(L, -2, "until");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* a:transitions(later) -> array of {from=, to=, count=} (from nil: new, to nil: gone) */
static int a_transitions(lua_State *L)
{
    tier_assignment *a = assignment(L, 1), *b = assignment(L, 2);
    size_t f = tier_assignment_tier_count(a), t = tier_assignment_tier_count(b);
    uint64_t *counts = lt_scratch(L, (f + 1) * (t + 1), sizeof *counts);
    LT_CHECK(L, tier_assignment_transitions(counts, a, b));
    lua_newtable(L);
    lua_Integer k = 0;
    for (size_t i = 0; i <= f; i++)
        for (size_t j = 0; j <= t; j++) {
            uint64_t c = counts[i * (t + 1) + j];
            if (!c)
                continue;
            lua_createtable(L, 0, 3);
            if (i < f) {
                lua_pushstring(L, tier_assignment_tier_name(a, i));
                lua_setfield(L, -2, "from");
            }
            if (j < t) {
                lua_pushstring(L, tier_assignment_tier_name(b, j));
                lua_setfield(L, -2, "to");
            }
            lua_pushinteger(L, (lua_Integer)c);
            lua_setfield(L, -2, "count");
            lua_rawseti(L, -2, ++k);
        }
    return 1;
}

/* a:to_column(ds [, name = "tier"]) */
static int a_to_column(lua_State *L)
{
    tier_assignment *a = assignment(L, 1);
    lt_check(L, 2, LT_DATASET);
    const char *name = luaL_optstring(L, 3, "tier");
    LT_CHECK(L, tier_assignment_to_column(a, lt_dataset_mutable(L, 2), name));
    return 0;
}

static int a_save(lua_State *L)
{
    LT_CHECK(L, tier_assignment_save(assignment(L, 1), luaL_checkstring(L, 2)));
    return 0;
}

/* ---- what-if ------------------------------------------------------------------------------ */

static tier_whatif *whatif(lua_State *L, int idx) { return lt_check(L, idx, LT_WHATIF)->ptr; }

/* The assignments are borrowed from the comparison: they keep it alive, and raise once it
 * is closed. */
static int w_current(lua_State *L)
{
    tier_whatif *w = whatif(L, 1);
    lt_push_borrowed(L, LT_ASSIGNMENT, (void *)tier_whatif_current(w), 1);
    return 1;
}

static int w_candidate(lua_State *L)
{
    tier_whatif *w = whatif(L, 1);
    lt_push_borrowed(L, LT_ASSIGNMENT, (void *)tier_whatif_candidate(w), 1);
    return 1;
}

/* w:transition(current tier, candidate tier) by names */
static int w_transition(lua_State *L)
{
    tier_whatif *w = whatif(L, 1);
    const tier_assignment *cur = tier_whatif_current(w), *cand = tier_whatif_candidate(w);
    const char *from = luaL_checkstring(L, 2), *to = luaL_checkstring(L, 3);
    size_t i = 0, j = 0, nf = tier_assignment_tier_count(cur), nt = tier_assignment_tier_count(cand);
    while (i < nf && strcmp(tier_assignment_tier_name(cur, i), from) != 0)
        i++;
    while (j < nt && strcmp(tier_assignment_tier_name(cand, j), to) != 0)
        j++;
    if (i == nf)
        return luaL_error(L, "no tier '%s' in the current rules", from);
    if (j == nt)
        return luaL_error(L, "no tier '%s' in the candidate rules", to);
    lua_pushinteger(L, (lua_Integer)tier_whatif_transition(w, i, j));
    return 1;
}

static int w_changed(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)tier_whatif_changed(whatif(L, 1)));
    return 1;
}

/* ---- registration ------------------------------------------------------------------------- */

void lt_open_rules(lua_State *L)
{
    static const luaL_Reg rmethods[] = {
        { "tiers", r_tiers },
        { "labels", r_labels },
        { "tier_index", r_tier_index },
        { "has_retain", r_has_retain },
        { "columns", r_columns },
        { "source", r_source },
        { "policy", r_policy },
        { "pins", r_pins },
        { "check", r_check },
        { "evaluate", r_evaluate },
        { "assign", r_assign },
        { "whatif", r_whatif },
        { NULL, NULL },
    };
    static const luaL_Reg amethods[] = {
        { "size", a_size },
        { "time", a_time },
        { "tiers", a_tiers },
        { "labels", a_labels },
        { "customer_ids", a_customer_ids },
        { "find", a_find },
        { "tier", a_tier },
        { "column", a_column },
        { "qualified", a_qualified },
        { "grace", a_grace },
        { "counts", a_counts },
        { "events", a_events },
        { "write_events", a_write_events },
        { "overrides", a_overrides },
        { "transitions", a_transitions },
        { "to_column", a_to_column },
        { "save", a_save },
        { NULL, NULL },
    };
    static const luaL_Reg ameta[] = {
        { "__len", a_size },
        { NULL, NULL },
    };
    static const luaL_Reg wmethods[] = {
        { "current", w_current },
        { "candidate", w_candidate },
        { "transition", w_transition },
        { "changed", w_changed },
        { NULL, NULL },
    };
    static const luaL_Reg none[] = {
        { NULL, NULL },
    };
    static const luaL_Reg funcs[] = {
        { "rules", l_rules },
        { "load_rules", l_load_rules },
        { "load_assignment", l_load_assignment },
        { NULL, NULL },
    };
    lt_new_type(L, LT_RULES, rmethods, none);
    lt_new_type(L, LT_ASSIGNMENT, amethods, ameta);
    lt_new_type(L, LT_WHATIF, wmethods, none);
    luaL_setfuncs(L, funcs, 0);
}
