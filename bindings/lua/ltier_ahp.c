/* tier.ahp and tier.ahp_hierarchy: pairwise judgments, weights and consistency (ahp.h).
 * Criteria are named by their names or by 1-based indexes. */
#include <math.h>
#include <string.h>

#include "ltier.h"

static void free_ahp(void *p) { tier_ahp_free(p); }
static void free_hierarchy(void *p) { tier_ahp_hierarchy_free(p); }

static tier_ahp *ahp(lua_State *L, int idx) { return lt_check(L, idx, LT_AHP)->ptr; }

static tier_ahp_options ahp_options(lua_State *L, int t)
{
    tier_ahp_options o;
    tier_ahp_options_init(&o, TIER_AHP_OPTIONS_VERSION);
    if (t && !lua_isnoneornil(L, t))
        luaL_checktype(L, t, LUA_TTABLE);
    else
        t = 0;
    static const char *const methods[] = { "eigenvector", "geometric_mean", NULL };
    static const int method_values[] = { TIER_AHP_EIGENVECTOR, TIER_AHP_GEOMETRIC_MEAN };
    lt_field(L, t, "method");
    o.method = (tier_ahp_method)lt_check_option(L, -1, "eigenvector", methods, method_values,
                                                "method");
    lua_pop(L, 1);
    o.cr_limit = (double)lt_opt_field_number(L, t, "cr_limit", o.cr_limit);
    o.scale_max = (double)lt_opt_field_number(L, t, "scale_max", o.scale_max);
    o.tolerance = (double)lt_opt_field_number(L, t, "tolerance", o.tolerance);
    o.convergence = (double)lt_opt_field_number(L, t, "convergence", o.convergence);
    lua_Integer mi = lt_opt_field_integer(L, t, "max_iterations", o.max_iterations);
    luaL_argcheck(L, mi >= 0 && mi <= 100000000, t, "max_iterations out of range");
    o.max_iterations = (unsigned int)mi;
    return o;
}

/* The 0-based index of the criterion at idx (a name or a 1-based index). */
static size_t criterion(lua_State *L, tier_ahp *a, int idx)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        lua_Integer i = luaL_checkinteger(L, idx);
        luaL_argcheck(L, i >= 1 && (size_t)i <= tier_ahp_size(a), idx,
                      "criterion index out of range");
        return (size_t)i - 1;
    }
    size_t i;
    LT_CHECK(L, tier_ahp_find(&i, a, luaL_checkstring(L, idx)));
    return i;
}

/* tier.ahp(names | n [, options]) */
static int l_ahp(lua_State *L)
{
    size_t n;
    lua_settop(L, 2);
    const char **names = NULL;
    if (lua_type(L, 1) == LUA_TNUMBER) {
        lua_Integer k = luaL_checkinteger(L, 1);
        luaL_argcheck(L, k >= 0 && k <= 100000, 1, "number of criteria out of range");
        n = (size_t)k;
    } else {
        n = lt_array_len(L, 1, "criteria");
        names = lt_string_array(L, 1, n, 0, 0, "criterion");
    }
    tier_ahp_options o = ahp_options(L, 2);
    lt_handle *h = lt_push_handle(L, LT_AHP, free_ahp);
    tier_ahp *a = NULL;
    LT_CHECK(L, tier_ahp_new(&a, n, names, &o));
    h->ptr = a;
    return 1;
}

/* tier.ahp_parse(text [, source [, options]]) */
static int l_ahp_parse(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    const char *source = luaL_optstring(L, 2, NULL);
    tier_ahp_options o = ahp_options(L, 3);
    lt_handle *h = lt_push_handle(L, LT_AHP, free_ahp);
    tier_ahp *a = NULL;
    LT_CHECK(L, tier_ahp_parse(&a, text, len, source, &o));
    h->ptr = a;
    return 1;
}

/* tier.ahp_load(path [, options]) */
static int l_ahp_load(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    tier_ahp_options o = ahp_options(L, 2);
    lt_handle *h = lt_push_handle(L, LT_AHP, free_ahp);
    tier_ahp *a = NULL;
    LT_CHECK(L, tier_ahp_load_text(&a, path, &o));
    h->ptr = a;
    return 1;
}

static const tier_ahp **judges(lua_State *L, int idx, size_t *n)
{
    *n = lt_array_len(L, idx, "judges");
    if (*n == 0)
        luaL_error(L, "at least one judge is needed");
    const tier_ahp **j = lt_scratch(L, *n, sizeof *j);
    for (size_t i = 0; i < *n; i++) {
        lua_geti(L, idx, (lua_Integer)i + 1);
        j[i] = lt_check(L, -1, LT_AHP)->ptr;
        lua_pop(L, 1); /* the judges table keeps it alive */
    }
    return j;
}

/* tier.ahp_aggregate({judges} [, {judge weights} [, options]]) -> a new (uncomputed) matrix */
static int l_ahp_aggregate(lua_State *L)
{
    size_t n;
    lua_settop(L, 3);
    const tier_ahp **j = judges(L, 1, &n);
    double *w = NULL;
    if (!lua_isnoneornil(L, 2)) {
        if (lt_array_len(L, 2, "judge weights") != n)
            return luaL_error(L, "%d judges need %d weights", (int)n, (int)n);
        w = lt_double_array(L, 2, n, "judge weight");
    }
    tier_ahp_options o = ahp_options(L, 3);
    lt_handle *h = lt_push_handle(L, LT_AHP, free_ahp);
    tier_ahp *a = NULL;
    LT_CHECK(L, tier_ahp_aggregate_judgments(&a, j, n, w, &o));
    h->ptr = a;
    return 1;
}

/* Pushes weights as an array in criterion order that also has the names as keys. */
static void push_weights(lua_State *L, const char *const *names, const double *w, size_t n)
{
    lua_createtable(L, (int)n, (int)n);
    for (size_t i = 0; i < n; i++) {
        lua_pushnumber(L, w[i]);
        lua_pushvalue(L, -1);
        lua_rawseti(L, -3, (lua_Integer)i + 1);
        lua_setfield(L, -2, names[i]);
    }
}

/* tier.ahp_priorities({judges} [, {judge weights} [, "geometric" | "arithmetic"]]) */
static int l_ahp_priorities(lua_State *L)
{
    size_t n;
    lua_settop(L, 3);
    const tier_ahp **j = judges(L, 1, &n);
    double *w = NULL;
    if (!lua_isnoneornil(L, 2)) {
        if (lt_array_len(L, 2, "judge weights") != n)
            return luaL_error(L, "%d judges need %d weights", (int)n, (int)n);
        w = lt_double_array(L, 2, n, "judge weight");
    }
    static const char *const means[] = { "geometric", "arithmetic", NULL };
    static const int mean_values[] = { TIER_AHP_MEAN_GEOMETRIC, TIER_AHP_MEAN_ARITHMETIC };
    int mean = lt_check_option(L, 3, "geometric", means, mean_values, "mean");
    size_t k = tier_ahp_size(j[0]);
    double *out = lt_scratch(L, k, sizeof *out);
    const char **names = lt_scratch(L, k, sizeof *names);
    LT_CHECK(L, tier_ahp_aggregate_priorities(out, j, n, w, (tier_ahp_mean)mean));
    for (size_t i = 0; i < k; i++)
        names[i] = tier_ahp_name(j[0], i);
    push_weights(L, names, out, k);
    return 1;
}

static int l_ahp_random_index(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    lua_pushnumber(L, tier_ahp_random_index(n < 0 ? 0 : (size_t)n));
    return 1;
}

/* ---- judgments ---------------------------------------------------------------------------- */

/* ahp:set(a, b, value): a is value times as important as b; nil/false value = missing */
static int m_set(lua_State *L)
{
    tier_ahp *a = ahp(L, 1);
    size_t i = criterion(L, a, 2), j = criterion(L, a, 3);
    if (lua_isnoneornil(L, 4) || (lua_isboolean(L, 4) && !lua_toboolean(L, 4)))
        LT_CHECK(L, tier_ahp_unset(a, i, j));
    else
        LT_CHECK(L, tier_ahp_set(a, i, j, (double)luaL_checknumber(L, 4)));
    lua_settop(L, 1);
    return 1;
}

static int m_unset(lua_State *L)
{
    tier_ahp *a = ahp(L, 1);
    size_t i = criterion(L, a, 2), j = criterion(L, a, 3);
    LT_CHECK(L, tier_ahp_unset(a, i, j));
    lua_settop(L, 1);
    return 1;
}

static int m_get(lua_State *L)
{
    tier_ahp *a = ahp(L, 1);
    double v;
    size_t i = criterion(L, a, 2), j = criterion(L, a, 3);
    LT_CHECK(L, tier_ahp_judgment(&v, a, i, j));
    lua_pushnumber(L, v);
    return 1;
}

static int m_set_upper(lua_State *L)
{
    tier_ahp *a = ahp(L, 1);
    size_t n = tier_ahp_size(a), k = n * (n - (n > 0)) / 2;
    if (lt_array_len(L, 2, "upper triangle") != k)
        return luaL_error(L, "the upper triangle of %d criteria has %d values", (int)n, (int)k);
    LT_CHECK(L, tier_ahp_set_upper(a, lt_double_array(L, 2, k, "judgment")));
    lua_settop(L, 1);
    return 1;
}

/* ahp:set_matrix(rows) with rows = { {a11, a12, ...}, ... } or a flat row-major array */
static int m_set_matrix(lua_State *L)
{
    tier_ahp *a = ahp(L, 1);
    size_t n = tier_ahp_size(a);
    size_t len = lt_array_len(L, 2, "matrix");
    double *m;
    int first = lua_geti(L, 2, 1);
    lua_pop(L, 1);
    if (first != LUA_TTABLE && len == n * n) {
        m = lt_double_array(L, 2, n * n, "judgment");
    } else if (first == LUA_TTABLE && len == n) {
        m = lt_scratch(L, n * n, sizeof *m);
        for (size_t r = 0; r < n; r++) {
            lua_geti(L, 2, (lua_Integer)r + 1);
            if (lt_array_len(L, -1, "matrix row") != n)
                return luaL_error(L, "matrix row %d must have %d values", (int)r + 1, (int)n);
            for (size_t c = 0; c < n; c++) {
                int type = lua_geti(L, -1, (lua_Integer)c + 1);
                m[r * n + c] = type == LUA_TNUMBER ? (double)lua_tonumber(L, -1) : NAN;
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
    } else {
        return luaL_error(L, "a matrix of %d criteria needs %d rows", (int)n, (int)n);
    }
    LT_CHECK(L, tier_ahp_set_matrix(a, m));
    lua_settop(L, 1);
    return 1;
}

/* ahp:compute([allow_inconsistent]) -> consistent (boolean); raises when inconsistent unless
 * allowed (the results are computed all the same). */
static int m_compute(lua_State *L)
{
    tier_ahp *a = ahp(L, 1);
    int allow = lua_toboolean(L, 2);
    tier_clear_error();
    int rc = tier_ahp_compute(a);
    if (rc < 0 && !(rc == TIER_EINCONSISTENT && allow))
        lt_fail(L, rc);
    lua_pushboolean(L, rc == TIER_OK);
    return 1;
}

/* ---- results ------------------------------------------------------------------------------ */

static int m_size(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)tier_ahp_size(ahp(L, 1)));
    return 1;
}

static int m_names(lua_State *L)
{
    tier_ahp *a = ahp(L, 1);
    size_t n = tier_ahp_size(a);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, tier_ahp_name(a, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int m_weights(lua_State *L)
{
    tier_ahp *a = ahp(L, 1);
    const double *w = tier_ahp_weights(a);
    if (!w)
        return luaL_error(L, "the AHP matrix is not computed: call compute() first");
    size_t n = tier_ahp_size(a);
    const char **names = lt_scratch(L, n, sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = tier_ahp_name(a, i);
    push_weights(L, names, w, n);
    return 1;
}

static int m_completed(lua_State *L)
{
    tier_ahp *a = ahp(L, 1);
    double v;
    size_t i = criterion(L, a, 2), j = criterion(L, a, 3);
    LT_CHECK(L, tier_ahp_completed(&v, a, i, j));
    lua_pushnumber(L, v);
    return 1;
}

#define NUMBER_GETTER(fname, call)                                                           \
    static int fname(lua_State *L)                                                           \
    {                                                                                        \
        lua_pushnumber(L, (lua_Number)call(ahp(L, 1)));                                      \
        return 1;                                                                            \
    }
NUMBER_GETTER(m_lambda_max, tier_ahp_lambda_max)
NUMBER_GETTER(m_ci, tier_ahp_ci)
NUMBER_GETTER(m_cr, tier_ahp_cr)
NUMBER_GETTER(m_gci, tier_ahp_gci)
NUMBER_GETTER(m_cr_limit, tier_ahp_cr_limit)

static int m_iterations(lua_State *L)
{
    lua_pushinteger(L, tier_ahp_iterations(ahp(L, 1)));
    return 1;
}

static int m_missing_count(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)tier_ahp_missing_count(ahp(L, 1)));
    return 1;
}

static int m_is_computed(lua_State *L)
{
    lua_pushboolean(L, tier_ahp_is_computed(ahp(L, 1)));
    return 1;
}

static int m_is_consistent(lua_State *L)
{
    lua_pushboolean(L, tier_ahp_is_consistent(ahp(L, 1)));
    return 1;
}

/* -> row name, column name, suggested value */
static int m_worst(lua_State *L)
{
    tier_ahp *a = ahp(L, 1);
    size_t i, j;
    double s;
    LT_CHECK(L, tier_ahp_worst_judgment(&i, &j, &s, a));
    lua_pushstring(L, tier_ahp_name(a, i));
    lua_pushstring(L, tier_ahp_name(a, j));
    lua_pushnumber(L, s);
    return 3;
}

static int m_copy(lua_State *L)
{
    tier_ahp *a = ahp(L, 1);
    lt_handle *h = lt_push_handle(L, LT_AHP, free_ahp);
    tier_ahp *c = NULL;
    LT_CHECK(L, tier_ahp_copy(&c, a));
    h->ptr = c;
    return 1;
}

/* ---- hierarchies -------------------------------------------------------------------------- */

static tier_ahp_hierarchy *hier(lua_State *L, int idx)
{
    return lt_check(L, idx, LT_HIERARCHY)->ptr;
}

/* The 0-based node index at idx (a name or a 1-based index; node 1 is the goal). */
static size_t node(lua_State *L, tier_ahp_hierarchy *h, int idx)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        lua_Integer i = luaL_checkinteger(L, idx);
        luaL_argcheck(L, i >= 1 && (size_t)i <= tier_ahp_hierarchy_node_count(h), idx,
                      "node index out of range");
        return (size_t)i - 1;
    }
    size_t i;
    LT_CHECK(L, tier_ahp_hierarchy_find(&i, h, luaL_checkstring(L, idx)));
    return i;
}

static int l_hierarchy(lua_State *L)
{
    const char *goal = luaL_checkstring(L, 1);
    tier_ahp_options o = ahp_options(L, 2);
    lt_handle *h = lt_push_handle(L, LT_HIERARCHY, free_hierarchy);
    tier_ahp_hierarchy *p = NULL;
    LT_CHECK(L, tier_ahp_hierarchy_new(&p, goal, &o));
    h->ptr = p;
    return 1;
}

/* h:add(name [, parent]) -> node index (1-based) */
static int h_add(lua_State *L)
{
    tier_ahp_hierarchy *h = hier(L, 1);
    size_t i;
    LT_CHECK(L, tier_ahp_hierarchy_add(&i, h, luaL_optstring(L, 3, NULL),
                                       luaL_checkstring(L, 2)));
    lua_pushinteger(L, (lua_Integer)i + 1);
    return 1;
}

static int h_set_judgments(lua_State *L)
{
    tier_ahp_hierarchy *h = hier(L, 1);
    const char *name = luaL_checkstring(L, 2);
    LT_CHECK(L, tier_ahp_hierarchy_set_judgments(h, name, ahp(L, 3)));
    lua_settop(L, 1);
    return 1;
}

/* h:set_weights(node, {w1, w2, ...}) in the order the children were added */
static int h_set_weights(lua_State *L)
{
    tier_ahp_hierarchy *h = hier(L, 1);
    const char *name = luaL_checkstring(L, 2);
    size_t idx = node(L, h, 2);
    size_t n = tier_ahp_hierarchy_child_count(h, idx);
    if (lt_array_len(L, 3, "weights") != n)
        return luaL_error(L, "node '%s' has %d children", name, (int)n);
    LT_CHECK(L, tier_ahp_hierarchy_set_weights(h, name, lt_double_array(L, 3, n, "weight")));
    lua_settop(L, 1);
    return 1;
}

static int h_compute(lua_State *L)
{
    tier_ahp_hierarchy *h = hier(L, 1);
    int allow = lua_toboolean(L, 2);
    tier_clear_error();
    int rc = tier_ahp_hierarchy_compute(h);
    if (rc < 0 && !(rc == TIER_EINCONSISTENT && allow))
        lt_fail(L, rc);
    lua_pushboolean(L, rc == TIER_OK);
    return 1;
}

static int h_nodes(lua_State *L)
{
    tier_ahp_hierarchy *h = hier(L, 1);
    size_t n = tier_ahp_hierarchy_node_count(h);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, tier_ahp_hierarchy_node_name(h, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int h_parent(lua_State *L)
{
    tier_ahp_hierarchy *h = hier(L, 1);
    size_t p;
    size_t i = node(L, h, 2);
    if (tier_ahp_hierarchy_parent(&p, h, i) == TIER_OK)
        lua_pushstring(L, tier_ahp_hierarchy_node_name(h, p));
    else
        lua_pushnil(L);
    return 1;
}

static int h_children(lua_State *L)
{
    tier_ahp_hierarchy *h = hier(L, 1);
    size_t i = lua_isnoneornil(L, 2) ? 0 : node(L, h, 2);
    size_t n = tier_ahp_hierarchy_child_count(h, i);
    lua_createtable(L, (int)n, 0);
    for (size_t k = 0; k < n; k++) {
        size_t c;
        LT_CHECK(L, tier_ahp_hierarchy_child(&c, h, i, k));
        lua_pushstring(L, tier_ahp_hierarchy_node_name(h, c));
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    return 1;
}

static int h_local_weight(lua_State *L)
{
    tier_ahp_hierarchy *h = hier(L, 1);
    lua_pushnumber(L, tier_ahp_hierarchy_local_weight(h, node(L, h, 2)));
    return 1;
}

static int h_global_weight(lua_State *L)
{
    tier_ahp_hierarchy *h = hier(L, 1);
    lua_pushnumber(L, tier_ahp_hierarchy_global_weight(h, node(L, h, 2)));
    return 1;
}

/* -> leaves' global weights: an array in leaf order that also has the names as keys */
static int h_leaf_weights(lua_State *L)
{
    tier_ahp_hierarchy *h = hier(L, 1);
    size_t n = tier_ahp_hierarchy_leaf_count(h);
    const char **names = lt_scratch(L, n, sizeof *names);
    double *w = lt_scratch(L, n, sizeof *w);
    for (size_t k = 0; k < n; k++) {
        size_t i;
        LT_CHECK(L, tier_ahp_hierarchy_leaf(&i, h, k));
        names[k] = tier_ahp_hierarchy_node_name(h, i);
        w[k] = tier_ahp_hierarchy_global_weight(h, i);
    }
    push_weights(L, names, w, n);
    return 1;
}

/* h:judgments(node) -> a copy of the node's matrix (with its CR ...), or nil. A copy, because
 * the hierarchy's own matrix is replaced by set_judgments(). */
static int h_judgments(lua_State *L)
{
    tier_ahp_hierarchy *h = hier(L, 1);
    const tier_ahp *m = tier_ahp_hierarchy_judgments(h, node(L, h, 2));
    if (!m) {
        lua_pushnil(L);
        return 1;
    }
    lt_handle *c = lt_push_handle(L, LT_AHP, free_ahp);
    tier_ahp *copy = NULL;
    LT_CHECK(L, tier_ahp_copy(&copy, m));
    c->ptr = copy;
    return 1;
}

/* ---- registration ------------------------------------------------------------------------- */

void lt_open_ahp(lua_State *L)
{
    static const luaL_Reg methods[] = {
        { "set", m_set },
        { "unset", m_unset },
        { "get", m_get },
        { "set_upper", m_set_upper },
        { "set_matrix", m_set_matrix },
        { "compute", m_compute },
        { "size", m_size },
        { "names", m_names },
        { "weights", m_weights },
        { "completed", m_completed },
        { "lambda_max", m_lambda_max },
        { "ci", m_ci },
        { "cr", m_cr },
        { "gci", m_gci },
        { "cr_limit", m_cr_limit },
        { "iterations", m_iterations },
        { "missing_count", m_missing_count },
        { "is_computed", m_is_computed },
        { "is_consistent", m_is_consistent },
        { "worst", m_worst },
        { "copy", m_copy },
        { NULL, NULL },
    };
    static const luaL_Reg meta[] = {
        { "__len", m_size },
        { NULL, NULL },
    };
    static const luaL_Reg hmethods[] = {
        { "add", h_add },
        { "set_judgments", h_set_judgments },
        { "set_weights", h_set_weights },
        { "compute", h_compute },
        { "nodes", h_nodes },
        { "parent", h_parent },
        { "children", h_children },
        { "local_weight", h_local_weight },
        { "global_weight", h_global_weight },
        { "leaf_weights", h_leaf_weights },
        { "judgments", h_judgments },
        { NULL, NULL },
    };
    static const luaL_Reg hmeta[] = {
        { NULL, NULL },
    };
    static const luaL_Reg funcs[] = {
        { "ahp", l_ahp },
        { "ahp_parse", l_ahp_parse },
        { "ahp_load", l_ahp_load },
        { "ahp_aggregate", l_ahp_aggregate },
        { "ahp_priorities", l_ahp_priorities },
        { "ahp_random_index", l_ahp_random_index },
        { "ahp_hierarchy", l_hierarchy },
        { NULL, NULL },
    };
    lt_new_type(L, LT_AHP, methods, meta);
    lt_new_type(L, LT_HIERARCHY, hmethods, hmeta);
    luaL_setfuncs(L, funcs, 0);
}
