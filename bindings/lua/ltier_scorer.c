/* tier.scorer: RFM, AHP and k-means scorers, model files, and strategies written in Lua
 * (scorer.h, rfm.h, ahp.h, kmeans.h, sys/scorer.h).
 *
 * A Lua strategy is a table with name, inputs, outputs and functions fit/apply/save/load.
 * libtier calls them through C trampolines while one of its functions runs. A Lua error must
 * not longjmp through libtier, so each trampoline runs the Lua side in lua_pcall; a failure
 * records the error object in the registry, tells the library (tier_scorer_set_error() and a
 * non-zero return) and, once the library call has returned and cleaned up, the method that
 * made it re-raises the original error object. The dataset handed to a callback is a
 * read-only userdata closed (as a to-be-closed variable) when the callback ends, so keeping
 * it raises instead of reading freed memory. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <tier/sys/scorer.h>

#include "ltier.h"

static void free_scorer(void *p) { tier_scorer_free(p); }

static tier_scorer *scorer(lua_State *L, int idx)
{
    return lt_check(L, idx, LT_SCORER)->ptr;
}

/* ---- Lua strategies ----------------------------------------------------------------------- */

typedef struct lt_strategy {
    lua_State *L;              /* the thread of the library call in progress */
    int ref;                   /* registry reference of the strategy table */
    lua_Alloc alloc;           /* this block was allocated with the state's allocator */
    void *alloc_ud;
    size_t block_size;
    size_t n_outputs;
    tier_column_type *types;   /* n_outputs, inside the block */
    const char **names;        /* n_outputs output names (before the prefix), inside the block */
} lt_strategy;

void lt_strategy_set_thread(lt_strategy *s, lua_State *L)
{
    s->L = L;
}

/* Called by libtier exactly once, from tier_scorer_free() or a failing constructor. */
static void cb_destroy(void *user)
{
    lt_strategy *s = user;
    luaL_unref(s->L, LUA_REGISTRYINDEX, s->ref); /* an existing slot: no allocation */
    s->alloc(s->alloc_ud, s, s->block_size, 0);
}

/* The error object is on top of the stack: hand its text to the library, keep the object. */
static int callback_failed(lua_State *L, const char *what)
{
    if (lua_type(L, -1) == LUA_TSTRING) {
        tier_scorer_set_error(lua_tostring(L, -1));
    } else {
        char msg[96];
        snprintf(msg, sizeof msg, "%s raised a %s value", what, luaL_typename(L, -1));
        tier_scorer_set_error(msg);
    }
    lt_record_callback_error(L);
    return 1;
}

/* Pushes the strategy's function `name` and the strategy table (self). */
static void push_method(lua_State *L, lt_strategy *s, const char *name)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->ref);
    if (lua_getfield(L, -1, name) != LUA_TFUNCTION)
        luaL_error(L, "strategy has no function '%s'", name);
    lua_insert(L, -2);
}

/* Pushes a lent dataset as a to-be-closed variable and leaves a copy on top. */
static void push_lent(lua_State *L, const tier_dataset *ds)
{
    lt_push_lent_dataset(L, ds);
    lua_toclose(L, -1);
    lua_pushvalue(L, -1);
}

static int protected_fit(lua_State *L)
{
    lt_strategy *s = lua_touserdata(L, 1);
    const tier_dataset *ds = lua_touserdata(L, 2);
    lua_settop(L, 2);
    push_lent(L, ds);          /* 3: closed when this function ends, 4: argument */
    push_method(L, s, "fit");  /* 5: fit, 6: self */
    lua_rotate(L, 4, 2);       /* fit, self, ds */
    lua_call(L, 2, 0);
    return 0;
}

static int cb_fit(void *user, const tier_dataset *ds)
{
    lt_strategy *s = user;
    lua_State *L = s->L;
    lua_pushcfunction(L, protected_fit);
    lua_pushlightuserdata(L, s);
    lua_pushlightuserdata(L, (void *)ds);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK)
        return callback_failed(L, "fit");
    return 0;
}

/* The values of output i from the apply result at index r, pushed. */
static void push_output_values(lua_State *L, lt_strategy *s, int r, size_t i, size_t n)
{
    if (lua_type(L, r) != LUA_TTABLE)
        luaL_error(L, "apply must return a table, got %s", luaL_typename(L, r));
    if (lua_getfield(L, r, s->names[i]) != LUA_TNIL)
        return;
    lua_pop(L, 1);
    /* An array per output, in declaration order ... */
    int first = lua_geti(L, r, (lua_Integer)i + 1);
    if (first == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    /* ... or, for a single output, the values themselves. */
    if (s->n_outputs == 1 && (first != LUA_TNIL || n == 0)) {
        lua_pushvalue(L, r);
        return;
    }
    luaL_error(L, "apply returned no values for output '%s'", s->names[i]);
}

static int protected_apply(lua_State *L)
{
    lt_strategy *s = lua_touserdata(L, 1);
    const tier_dataset *ds = lua_touserdata(L, 2);
    tier_scorer_output *out = lua_touserdata(L, 3);
    lua_settop(L, 3);
    size_t n = tier_dataset_size(ds);
    push_lent(L, ds);           /* 4 (to be closed), 5 */
    push_method(L, s, "apply"); /* 6, 7 */
    lua_rotate(L, 5, 2);
    lua_call(L, 2, 1);          /* result at 5 */
    int r = lua_gettop(L);
    for (size_t i = 0; i < s->n_outputs; i++) {
        push_output_values(L, s, r, i, n);
        int v = lua_gettop(L);
        if (lua_type(L, v) != LUA_TTABLE)
            luaL_error(L, "values of output '%s' must be a table, got %s", s->names[i],
                       luaL_typename(L, v));
        size_t m = (size_t)luaL_len(L, v);
        if (m != n)
            luaL_error(L, "output '%s' needs %d values, got %d (use 0/0 or false for "
                       "missing values)", s->names[i], (int)n, (int)m);
        if (s->types[i] == TIER_COLUMN_NUMERIC) {
            double *buf;
            LT_CHECK(L, tier_scorer_output_numeric(&buf, out, i));
            for (size_t k = 0; k < n; k++) {
                int type = lua_geti(L, v, (lua_Integer)k + 1);
                if (type == LUA_TNUMBER)
                    buf[k] = (double)lua_tonumber(L, -1);
                else if (type == LUA_TNIL || (type == LUA_TBOOLEAN && !lua_toboolean(L, -1)))
                    buf[k] = NAN;
                else
                    luaL_error(L, "output '%s' value #%d must be a number, got %s",
                               s->names[i], (int)k + 1, luaL_typename(L, -1));
                lua_pop(L, 1);
            }
        } else {
            const char **dict;
            size_t k;
            int32_t *codes = lt_factorize(L, v, n, &dict, &k);
            LT_CHECK(L, tier_scorer_output_categorical(out, i, codes, dict, k));
        }
        lua_settop(L, r);
    }
    return 0;
}

static int cb_apply(void *user, const tier_dataset *ds, tier_scorer_output *out)
{
    lt_strategy *s = user;
    lua_State *L = s->L;
    lua_pushcfunction(L, protected_apply);
    lua_pushlightuserdata(L, s);
    lua_pushlightuserdata(L, (void *)ds);
    lua_pushlightuserdata(L, out);
    if (lua_pcall(L, 3, 0, 0) != LUA_OK)
        return callback_failed(L, "apply");
    return 0;
}

static int protected_save(lua_State *L)
{
    lt_strategy *s = lua_touserdata(L, 1);
    tier_scorer_writer *w = lua_touserdata(L, 2);
    push_method(L, s, "save");
    lua_call(L, 1, 1);
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "save must return a string, got %s", luaL_typename(L, -1));
    size_t len;
    const char *data = lua_tolstring(L, -1, &len);
    LT_CHECK(L, tier_scorer_write(w, data, len));
    return 0;
}

static int cb_save(void *user, tier_scorer_writer *w)
{
    lt_strategy *s = user;
    lua_State *L = s->L;
    lua_pushcfunction(L, protected_save);
    lua_pushlightuserdata(L, s);
    lua_pushlightuserdata(L, w);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK)
        return callback_failed(L, "save");
    return 0;
}

static int protected_load(lua_State *L)
{
    lt_strategy *s = lua_touserdata(L, 1);
    const char *data = lua_touserdata(L, 2);
    size_t size = (size_t)lua_tointeger(L, 3);
    push_method(L, s, "load");
    lua_pushlstring(L, size ? data : "", size);
    lua_call(L, 2, 0);
    return 0;
}

static int cb_load(void *user, const void *data, size_t size)
{
    lt_strategy *s = user;
    lua_State *L = s->L;
    lua_pushcfunction(L, protected_load);
    lua_pushlightuserdata(L, s);
    lua_pushlightuserdata(L, (void *)data);
    lua_pushinteger(L, (lua_Integer)size);
    if (lua_pcall(L, 3, 0, 0) != LUA_OK)
        return callback_failed(L, "load");
    return 0;
}

/* Reads the strategy table at t into a vtable; pushes scratch values it needs (names). */
static void strategy_vtable(lua_State *L, int t, tier_scorer_vtable *vt, size_t *n_outputs,
                            const char ***outputs, tier_column_type **types)
{
    luaL_checktype(L, t, LUA_TTABLE);
    memset(vt, 0, sizeof *vt);
    vt->version = TIER_SCORER_VTABLE_VERSION;
    if (lua_getfield(L, t, "name") != LUA_TSTRING)
        luaL_error(L, "a strategy needs a string field 'name'");
    vt->name = lua_tostring(L, -1);
    lua_pop(L, 1); /* the strategy table keeps the string */
    if (lt_field(L, t, "inputs") != LUA_TNIL) {
        int idx = lua_gettop(L);
        vt->n_inputs = lt_array_len(L, idx, "inputs");
        vt->inputs = lt_string_array(L, idx, vt->n_inputs, 0, 0, "input");
    }
    if (lt_field(L, t, "outputs") == LUA_TNIL)
        luaL_error(L, "a strategy needs a field 'outputs'");
    int o = lua_gettop(L);
    size_t n = lt_array_len(L, o, "outputs");
    const char **names = lt_scratch(L, n, sizeof *names);
    tier_column_type *ty = lt_scratch(L, n, sizeof *ty);
    for (size_t i = 0; i < n; i++) {
        int type = lua_geti(L, o, (lua_Integer)i + 1);
        ty[i] = TIER_COLUMN_NUMERIC;
        if (type == LUA_TSTRING) {
            names[i] = lua_tostring(L, -1);
        } else if (type == LUA_TTABLE) { /* { name, type } or { name = , type = } */
            if (lua_geti(L, -1, 1) != LUA_TSTRING) {
                lua_pop(L, 1);
                lua_getfield(L, -1, "name");
            }
            if (lua_type(L, -1) != LUA_TSTRING)
                luaL_error(L, "output #%d needs a name", (int)i + 1);
            names[i] = lua_tostring(L, -1);
            lua_pop(L, 1);
            if (lua_geti(L, -1, 2) == LUA_TNIL) {
                lua_pop(L, 1);
                lua_getfield(L, -1, "type");
            }
            static const char *const kinds[] = { "numeric", "categorical", NULL };
            static const int values[] = { TIER_COLUMN_NUMERIC, TIER_COLUMN_CATEGORICAL };
            ty[i] = (tier_column_type)lt_check_option(L, -1, "numeric", kinds, values,
                                                      "output type");
            lua_pop(L, 1);
        } else {
            luaL_error(L, "output #%d must be a name or {name, type}", (int)i + 1);
        }
        lua_pop(L, 1); /* the outputs table keeps the strings */
    }
    vt->n_outputs = n;
    vt->outputs = names;
    vt->output_types = ty;
    lua_getfield(L, t, "apply");
    if (!lua_isfunction(L, -1))
        luaL_error(L, "a strategy needs a function 'apply'");
    lua_pop(L, 1);
    vt->apply = cb_apply;
    static const char *const optional[] = { "fit", "save", "load" };
    for (int k = 0; k < 3; k++) {
        int type = lua_getfield(L, t, optional[k]);
        lua_pop(L, 1);
        if (type == LUA_TNIL)
            continue;
        if (type != LUA_TFUNCTION)
            luaL_error(L, "strategy field '%s' must be a function", optional[k]);
        if (k == 0)
            vt->fit = cb_fit;
        else if (k == 1)
            vt->save = cb_save;
        else
            vt->load = cb_load;
    }
    vt->destroy = cb_destroy;
    *n_outputs = n;
    *outputs = names;
    *types = ty;
}

/* Allocates the strategy block (never raises: NULL when out of memory). */
static lt_strategy *new_strategy(lua_State *L, int ref, size_t n, const char **names,
                                 const tier_column_type *types)
{
    size_t size = sizeof(lt_strategy) + n * (sizeof(tier_column_type) + sizeof(char *));
    for (size_t i = 0; i < n; i++)
        size += strlen(names[i]) + 1;
    void *ud;
    lua_Alloc alloc = lua_getallocf(L, &ud);
    lt_strategy *s = alloc(ud, NULL, 0, size);
    if (!s)
        return NULL;
    memset(s, 0, sizeof *s);
    s->L = L;
    s->ref = ref;
    s->alloc = alloc;
    s->alloc_ud = ud;
    s->block_size = size;
    s->n_outputs = n;
    s->names = (const char **)(s + 1);
    s->types = (tier_column_type *)(s->names + n);
    char *text = (char *)(s->types + n);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]) + 1;
        memcpy(text, names[i], len);
        s->names[i] = text;
        s->types[i] = types[i];
        text += len;
    }
    return s;
}

static tier_scorer_options scorer_options(lua_State *L, int idx)
{
    tier_scorer_options o;
    tier_scorer_options_init(&o, TIER_SCORER_OPTIONS_VERSION);
    o.output_prefix = luaL_optstring(L, idx, NULL);
    return o;
}

/* Creates (path == NULL) or loads a custom scorer from the strategy at index 1 or 2. */
static int custom_scorer(lua_State *L, const char *path, int t, int prefix)
{
    tier_scorer_options o = scorer_options(L, prefix);
    tier_scorer_vtable vt;
    size_t n;
    const char **names;
    tier_column_type *types;
    strategy_vtable(L, t, &vt, &n, &names, &types);
    lt_handle *h = lt_push_handle(L, LT_SCORER, free_scorer);
    int hidx = lua_gettop(L);
    luaL_checkstack(L, 24, "strategy callbacks");
    lua_pushvalue(L, t);
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lt_strategy *s = new_strategy(L, ref, n, names, types);
    if (!s) {
        luaL_unref(L, LUA_REGISTRYINDEX, ref);
        return luaL_error(L, "not enough memory");
    }
    /* From here on the library owns s: it calls cb_destroy also when it fails. */
    tier_scorer *sc = NULL;
    lt_clear_callback_error(L);
    tier_clear_error();
    int rc = path ? tier_scorer_load_custom(&sc, path, &vt, s, &o)
                  : tier_scorer_new_custom(&sc, &vt, s, &o);
    if (rc < 0) {
        lt_rethrow_callback_error(L);
        lt_fail(L, rc);
    }
    h->ptr = sc;
    h->strategy = s;
    lua_settop(L, hidx);
    return 1;
}

/* tier.scorer(strategy [, prefix]) */
static int l_scorer(lua_State *L)
{
    return custom_scorer(L, NULL, 1, 2);
}

/* tier.load_custom_model(path, strategy [, prefix]) */
static int l_load_custom_model(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    return custom_scorer(L, path, 2, 3);
}

/* ---- the life cycle ----------------------------------------------------------------------- */

enum { RUN_FIT, RUN_APPLY, RUN_FIT_APPLY };

static int run(lua_State *L, int what)
{
    lt_handle *sh = lt_check(L, 1, LT_SCORER);
    lt_handle *dh = lt_check(L, 2, LT_DATASET);
    if (sh->busy)
        return luaL_error(L, "this scorer is already running (called from its own callback?)");
    tier_dataset *ds = what == RUN_FIT ? dh->ptr : lt_dataset_mutable(L, 2);
    if (dh->busy)
        return luaL_error(L, "this dataset is being scored already");
    if (sh->strategy)
        lt_strategy_set_thread(sh->strategy, L);
    luaL_checkstack(L, 24, "strategy callbacks");
    lt_clear_callback_error(L);
    sh->busy++;
    dh->busy++;
    tier_clear_error();
    int rc = what == RUN_FIT ? tier_scorer_fit(sh->ptr, ds)
             : what == RUN_APPLY ? tier_scorer_apply(sh->ptr, ds)
                                 : tier_scorer_fit_apply(sh->ptr, ds);
    sh->busy--;
    dh->busy--;
    if (rc < 0) {
        lt_rethrow_callback_error(L);
        lt_fail(L, rc);
    }
    lt_clear_callback_error(L);
    lua_settop(L, 1);
    return 1;
}

static int m_fit(lua_State *L) { return run(L, RUN_FIT); }
static int m_apply(lua_State *L) { return run(L, RUN_APPLY); }
static int m_fit_apply(lua_State *L) { return run(L, RUN_FIT_APPLY); }

static int m_save(lua_State *L)
{
    lt_handle *sh = lt_check(L, 1, LT_SCORER);
    const char *path = luaL_checkstring(L, 2);
    if (sh->busy)
        return luaL_error(L, "this scorer is already running");
    if (sh->strategy)
        lt_strategy_set_thread(sh->strategy, L);
    luaL_checkstack(L, 24, "strategy callbacks");
    lt_clear_callback_error(L);
    sh->busy++;
    tier_clear_error();
    int rc = tier_scorer_save(sh->ptr, path);
    sh->busy--;
    if (rc < 0) {
        lt_rethrow_callback_error(L);
        lt_fail(L, rc);
    }
    return 0;
}

/* tier.load_model(path [, prefix]) */
static int l_load_model(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    tier_scorer_options o = scorer_options(L, 2);
    lt_handle *h = lt_push_handle(L, LT_SCORER, free_scorer);
    tier_scorer *sc = NULL;
    LT_CHECK(L, tier_scorer_load(&sc, path, &o));
    h->ptr = sc;
    return 1;
}

/* tier.model_kind(path) -> kind, is_custom */
static int l_model_kind(lua_State *L)
{
    char kind[64];
    int custom = 0;
    LT_CHECK(L, tier_scorer_file_kind(kind, sizeof kind, &custom, luaL_checkstring(L, 1)));
    lua_pushstring(L, kind);
    lua_pushboolean(L, custom);
    return 2;
}

/* ---- description -------------------------------------------------------------------------- */

static int m_kind(lua_State *L)
{
    lua_pushstring(L, tier_scorer_name(scorer(L, 1)));
    return 1;
}

static int m_is_fitted(lua_State *L)
{
    lua_pushboolean(L, tier_scorer_is_fitted(scorer(L, 1)));
    return 1;
}

static int m_is_custom(lua_State *L)
{
    lua_pushboolean(L, tier_scorer_is_custom(scorer(L, 1)));
    return 1;
}

static int m_inputs(lua_State *L)
{
    tier_scorer *sc = scorer(L, 1);
    size_t n = tier_scorer_input_count(sc);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, tier_scorer_input_name(sc, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* -> array of names, and a table name -> "numeric" | "categorical" */
static int m_outputs(lua_State *L)
{
    tier_scorer *sc = scorer(L, 1);
    size_t n = tier_scorer_output_count(sc);
    lua_createtable(L, (int)n, 0);
    lua_createtable(L, 0, (int)n);
    for (size_t i = 0; i < n; i++) {
        tier_column_type type = TIER_COLUMN_NUMERIC;
        tier_scorer_output_type(&type, sc, i);
        lua_pushstring(L, tier_scorer_output_name(sc, i));
        lua_pushvalue(L, -1);
        lua_rawseti(L, -4, (lua_Integer)i + 1);
        lua_pushstring(L, type == TIER_COLUMN_NUMERIC ? "numeric" : "categorical");
        lua_rawset(L, -3);
    }
    return 2;
}

static int m_prefix(lua_State *L)
{
    lua_pushstring(L, tier_scorer_output_prefix(scorer(L, 1)));
    return 1;
}

static int m_set_prefix(lua_State *L)
{
    LT_CHECK(L, tier_scorer_set_output_prefix(scorer(L, 1), luaL_optstring(L, 2, "")));
    lua_settop(L, 1);
    return 1;
}

static int sc_tostring(lua_State *L)
{
    lt_handle *h = luaL_checkudata(L, 1, LT_SCORER);
    if (!lt_is_open(h))
        lua_pushstring(L, "tier.scorer (closed)");
    else
        lua_pushfstring(L, "tier.scorer '%s'%s", tier_scorer_name(h->ptr),
                        tier_scorer_is_fitted(h->ptr) ? "" : " (not fitted)");
    return 1;
}

/* ---- RFM ---------------------------------------------------------------------------------- */

static int dim_of(const char *name)
{
    static const char *const names[] = { "recency", "frequency", "monetary", "r", "f", "m" };
    for (int i = 0; i < 6; i++)
        if (strcmp(name, names[i]) == 0)
            return i % 3;
    return -1;
}

static int check_dim(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        lua_Integer d = luaL_checkinteger(L, idx);
        luaL_argcheck(L, d >= 1 && d <= 3, idx, "dimension must be 1..3");
        return (int)d - 1;
    }
    int d = dim_of(luaL_checkstring(L, idx));
    luaL_argcheck(L, d >= 0, idx, "dimension must be 'recency', 'frequency' or 'monetary'");
    return d;
}

/* Counts the keys of table v that are not in names[0..n). */
static int unknown_keys(lua_State *L, int v, const char *const *names, size_t n)
{
    int unknown = 0;
    lua_pushnil(L);
    while (lua_next(L, v)) {
        lua_pop(L, 1);
        int known = 0;
        if (lua_type(L, -1) == LUA_TSTRING)
            for (size_t i = 0; i < n && !known; i++)
                known = strcmp(lua_tostring(L, -1), names[i]) == 0;
        unknown += !known;
    }
    return unknown;
}

/* Option key of t for the three dimensions: one value for all, an array of three, or a table
 * by dimension name ("recency" or "r" ...). When list_value, a table of numbers is one value
 * (a list of breaks) for all three. visit() may leave values on the stack. */
static void per_dim(lua_State *L, int t, const char *key, int list_value,
                    void (*visit)(lua_State *L, int dim, int vidx, void *ctx), void *ctx)
{
    static const char *const names[] = { "recency", "frequency", "monetary", "r", "f", "m" };
    int type = lt_field(L, t, key);
    int v = lua_gettop(L);
    if (type == LUA_TNIL)
        return;
    int first = type == LUA_TTABLE ? lua_geti(L, v, 1) : LUA_TNIL;
    if (type == LUA_TTABLE)
        lua_pop(L, 1);
    if (type != LUA_TTABLE || (list_value && first == LUA_TNUMBER)) {
        for (int d = 0; d < 3; d++)
            visit(L, d, v, ctx);
        return;
    }
    if (luaL_len(L, v) == 3) {
        for (int d = 0; d < 3; d++) {
            lua_geti(L, v, d + 1);
            visit(L, d, lua_gettop(L), ctx);
        }
        return;
    }
    if (unknown_keys(L, v, names, 6))
        luaL_error(L, "option '%s': give one value, three values, or a table with keys "
                   "recency, frequency, monetary", key);
    for (int d = 0; d < 3; d++)
        for (int a = 0; a < 2; a++) {
            if (lua_getfield(L, v, names[d + 3 * a]) == LUA_TNIL) {
                lua_pop(L, 1);
                continue;
            }
            visit(L, d, lua_gettop(L), ctx);
            break;
        }
}

static void visit_bins(lua_State *L, int d, int v, void *ctx)
{
    tier_rfm_options *o = ctx;
    lua_Integer b = luaL_checkinteger(L, v);
    luaL_argcheck(L, b >= 0 && b <= 1000, 1, "bins out of range");
    o->bins[d] = (unsigned int)b;
}

static void visit_columns(lua_State *L, int d, int v, void *ctx)
{
    tier_rfm_options *o = ctx;
    o->columns[d] = luaL_checkstring(L, v); /* the value stays on the stack */
}

static void visit_breaks(lua_State *L, int d, int v, void *ctx)
{
    tier_rfm_options *o = ctx;
    if (lua_isnil(L, v))
        return;
    size_t n = lt_array_len(L, v, "breaks");
    o->breaks[d] = lt_double_array(L, v, n, "break");
    o->n_breaks[d] = n;
}

/* tier.rfm{bins=, mode=, columns=, breaks=, nan=, prefix=, other_segment=} */
static int l_rfm(lua_State *L)
{
    int t = lua_istable(L, 1) ? 1 : 0;
    if (!t && !lua_isnoneornil(L, 1))
        luaL_checktype(L, 1, LUA_TTABLE);
    tier_rfm_options o;
    tier_rfm_options_init(&o, TIER_RFM_OPTIONS_VERSION);
    per_dim(L, t, "bins", 0, visit_bins, &o);
    per_dim(L, t, "columns", 0, visit_columns, &o);
    per_dim(L, t, "breaks", 1, visit_breaks, &o);
    static const char *const modes[] = { "quantile", "rank", "breaks", NULL };
    static const int mode_values[] = { TIER_RFM_QUANTILE, TIER_RFM_RANK, TIER_RFM_BREAKS };
    lt_field(L, t, "mode");
    o.mode = (tier_rfm_mode)lt_check_option(L, -1, "quantile", modes, mode_values, "mode");
    static const char *const nans[] = { "error", "unscored", NULL };
    static const int nan_values[] = { TIER_RFM_NAN_ERROR, TIER_RFM_NAN_UNSCORED };
    lt_field(L, t, "nan");
    o.nan_policy = (tier_rfm_nan_policy)lt_check_option(L, -1, "error", nans, nan_values,
                                                        "nan");
    o.output_prefix = lt_opt_field_string(L, t, "prefix", NULL);
    o.other_segment = lt_opt_field_string(L, t, "other_segment", NULL);
    lt_handle *h = lt_push_handle(L, LT_SCORER, free_scorer);
    tier_scorer *sc = NULL;
    LT_CHECK(L, tier_rfm_new(&sc, &o));
    h->ptr = sc;
    return 1;
}

static int m_bins(lua_State *L)
{
    tier_scorer *sc = scorer(L, 1);
    for (int d = 0; d < 3; d++)
        lua_pushinteger(L, tier_rfm_bins(sc, (tier_rfm_dim)d));
    return 3;
}

static int m_cuts(lua_State *L)
{
    const double *e;
    size_t n;
    LT_CHECK(L, tier_rfm_cuts(&e, &n, scorer(L, 1), (tier_rfm_dim)check_dim(L, 2)));
    lt_push_doubles(L, e, n);
    return 1;
}

static void push_bounds(lua_State *L, const unsigned int v[3])
{
    lua_createtable(L, 3, 0);
    for (int d = 0; d < 3; d++) {
        lua_pushinteger(L, v[d]);
        lua_rawseti(L, -2, d + 1);
    }
}

static int m_segments(lua_State *L)
{
    tier_scorer *sc = scorer(L, 1);
    size_t n = tier_rfm_segment_count(sc);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        const char *name;
        unsigned int lo[3], hi[3];
        LT_CHECK(L, tier_rfm_segment_get(&name, lo, hi, sc, i));
        lua_createtable(L, 0, 3);
        lua_pushstring(L, name);
        lua_setfield(L, -2, "name");
        push_bounds(L, lo);
        lua_setfield(L, -2, "lo");
        push_bounds(L, hi);
        lua_setfield(L, -2, "hi");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static void check_bounds(lua_State *L, int idx, unsigned int v[3])
{
    luaL_checktype(L, idx, LUA_TTABLE);
    for (int d = 0; d < 3; d++) {
        lua_geti(L, idx, d + 1);
        int ok;
        lua_Integer x = lua_tointegerx(L, -1, &ok);
        if (!ok || x < 0 || x > 1000)
            luaL_argerror(L, idx, "score bounds must be three integers {r, f, m}");
        v[d] = (unsigned int)x;
        lua_pop(L, 1);
    }
}

/* rfm:add_segment(name, {r_lo, f_lo, m_lo}, {r_hi, f_hi, m_hi} [, position]) */
static int m_add_segment(lua_State *L)
{
    tier_scorer *sc = scorer(L, 1);
    const char *name = luaL_checkstring(L, 2);
    unsigned int lo[3], hi[3];
    check_bounds(L, 3, lo);
    check_bounds(L, 4, hi);
    size_t n = tier_rfm_segment_count(sc);
    lua_Integer pos = luaL_optinteger(L, 5, (lua_Integer)n + 1);
    luaL_argcheck(L, pos >= 1 && (size_t)pos <= n + 1, 5, "position out of range");
    LT_CHECK(L, tier_rfm_segment_insert(sc, (size_t)pos - 1, name, lo, hi));
    return 0;
}

static int m_remove_segment(lua_State *L)
{
    tier_scorer *sc = scorer(L, 1);
    lua_Integer i = luaL_checkinteger(L, 2);
    luaL_argcheck(L, i >= 1, 2, "position out of range");
    LT_CHECK(L, tier_rfm_segment_remove(sc, (size_t)i - 1));
    return 0;
}

static int m_clear_segments(lua_State *L)
{
    LT_CHECK(L, tier_rfm_segments_clear(scorer(L, 1)));
    return 0;
}

static int m_default_segments(lua_State *L)
{
    LT_CHECK(L, tier_rfm_segments_default(scorer(L, 1)));
    return 0;
}

static void free_rfm_summary(void *p) { tier_rfm_summary_free(p); }

/* rfm:summarize(ds [, by]) -> array of rows, with field `unscored` */
static int m_summarize(lua_State *L)
{
    tier_scorer *sc = scorer(L, 1);
    tier_dataset *ds = lt_dataset(L, 2);
    static const char *const groups[] = { "segment", "recency", "frequency", "monetary", "rf",
                                          "rm", "fm", "code", NULL };
    static const int group_values[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
    int by = lt_check_option(L, 3, "segment", groups, group_values, "grouping");
    void **guard = lt_push_guard(L, free_rfm_summary);
    tier_rfm_summary *s = NULL;
    LT_CHECK(L, tier_rfm_summarize(&s, sc, ds, (tier_rfm_group)by));
    *guard = s;
    static const char *const stats[] = { "count", "share", "monetary_sum", "monetary_mean",
                                         "recency_mean", "frequency_mean" };
    size_t n = tier_rfm_summary_size(s);
    lua_createtable(L, (int)n, 1);
    for (size_t i = 0; i < n; i++) {
        lua_createtable(L, 0, 10);
        lua_pushstring(L, tier_rfm_summary_label(s, i));
        lua_setfield(L, -2, "label");
        static const char *const dims[] = { "r", "f", "m" };
        for (int d = 0; d < 3; d++) {
            unsigned int score = tier_rfm_summary_score(s, i, (tier_rfm_dim)d);
            if (score) {
                lua_pushinteger(L, score);
                lua_setfield(L, -2, dims[d]);
            }
        }
        for (int k = 0; k < 6; k++) {
            const double *v = tier_rfm_summary_values(s, (tier_rfm_stat)k);
            if (!v)
                continue;
            if (k == 0)
                lua_pushinteger(L, (lua_Integer)v[i]);
            else
                lua_pushnumber(L, v[i]);
            lua_setfield(L, -2, stats[k]);
        }
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_pushinteger(L, (lua_Integer)tier_rfm_summary_unscored(s));
    lua_setfield(L, -2, "unscored");
    *guard = NULL;
    tier_rfm_summary_free(s);
    return 1;
}

/* ---- AHP scorer --------------------------------------------------------------------------- */

/* Pushes the criterion names of the source at idx (AHP matrix, hierarchy or names array). */
static size_t criteria_names(lua_State *L, int idx, const char ***names)
{
    size_t n = 0;
    const char **a;
    if (luaL_testudata(L, idx, LT_AHP)) {
        tier_ahp *ahp = lt_check(L, idx, LT_AHP)->ptr;
        n = tier_ahp_size(ahp);
        a = lt_scratch(L, n, sizeof *a);
        for (size_t i = 0; i < n; i++)
            a[i] = tier_ahp_name(ahp, i);
    } else if (luaL_testudata(L, idx, LT_HIERARCHY)) {
        tier_ahp_hierarchy *hh = lt_check(L, idx, LT_HIERARCHY)->ptr;
        n = tier_ahp_hierarchy_leaf_count(hh);
        a = lt_scratch(L, n, sizeof *a);
        for (size_t i = 0; i < n; i++) {
            size_t node = 0;
            tier_ahp_hierarchy_leaf(&node, hh, i);
            a[i] = tier_ahp_hierarchy_node_name(hh, node);
        }
    } else {
        n = lt_array_len(L, idx, "criteria");
        a = lt_string_array(L, idx, n, 0, 0, "criterion");
    }
    *names = a;
    return n;
}

/* Option key of t per criterion: one value for all, an array in criterion order, or a table
 * by criterion name. When pair_value, a table whose first entry is a number is one value (a
 * {lo, hi} range) for all. visit() may leave values on the stack. */
static void per_criterion(lua_State *L, int t, const char *key, const char **names, size_t n,
                          void (*visit)(lua_State *L, size_t i, int v, void *ctx), void *ctx,
                          int pair_value)
{
    int type = lt_field(L, t, key);
    int v = lua_gettop(L);
    if (type == LUA_TNIL)
        return;
    int first = type == LUA_TTABLE ? lua_geti(L, v, 1) : LUA_TNIL;
    if (type == LUA_TTABLE)
        lua_pop(L, 1);
    if (type != LUA_TTABLE || (pair_value && first == LUA_TNUMBER)) {
        for (size_t i = 0; i < n; i++)
            visit(L, i, v, ctx);
        return;
    }
    if (n > 0 && (size_t)luaL_len(L, v) == n) {
        for (size_t i = 0; i < n; i++) {
            lua_geti(L, v, (lua_Integer)i + 1);
            visit(L, i, lua_gettop(L), ctx);
        }
        return;
    }
    if (unknown_keys(L, v, names, n))
        luaL_error(L, "option '%s': give one value, one per criterion in order, or a table "
                   "keyed by criterion name", key);
    for (size_t i = 0; i < n; i++) {
        if (lua_getfield(L, v, names[i]) == LUA_TNIL) {
            lua_pop(L, 1);
            continue;
        }
        visit(L, i, lua_gettop(L), ctx);
    }
}

typedef struct ahp_opts_ctx {
    const char **columns;
    tier_ahp_direction *directions;
    tier_ahp_normalization *norms;
    double *lo, *hi;
} ahp_opts_ctx;

static void visit_column(lua_State *L, size_t i, int v, void *ctx)
{
    ((ahp_opts_ctx *)ctx)->columns[i] = luaL_checkstring(L, v);
}

static void visit_direction(lua_State *L, size_t i, int v, void *ctx)
{
    static const char *const names[] = { "higher", "lower", NULL };
    static const int values[] = { TIER_AHP_HIGHER_IS_BETTER, TIER_AHP_LOWER_IS_BETTER };
    ((ahp_opts_ctx *)ctx)->directions[i] =
        (tier_ahp_direction)lt_check_option(L, v, NULL, names, values, "direction");
}

static void visit_norm(lua_State *L, size_t i, int v, void *ctx)
{
    static const char *const names[] = { "minmax", "zscore", "percentile", "range", NULL };
    static const int values[] = { TIER_AHP_NORM_MINMAX, TIER_AHP_NORM_ZSCORE,
                                  TIER_AHP_NORM_PERCENTILE, TIER_AHP_NORM_RANGE };
    ((ahp_opts_ctx *)ctx)->norms[i] =
        (tier_ahp_normalization)lt_check_option(L, v, NULL, names, values, "normalization");
}

static void visit_range(lua_State *L, size_t i, int v, void *ctx)
{
    ahp_opts_ctx *c = ctx;
    luaL_checktype(L, v, LUA_TTABLE);
    lua_geti(L, v, 1);
    lua_geti(L, v, 2);
    c->lo[i] = luaL_checknumber(L, -2);
    c->hi[i] = luaL_checknumber(L, -1);
    lua_pop(L, 2);
}

static void ahp_scorer_options(lua_State *L, int t, const char **names, size_t n,
                               tier_ahp_scorer_options *o)
{
    tier_ahp_scorer_options_init(o, TIER_AHP_SCORER_OPTIONS_VERSION);
    if (t && !lua_isnoneornil(L, t))
        luaL_checktype(L, t, LUA_TTABLE);
    else
        t = 0;
    ahp_opts_ctx c;
    c.columns = lt_scratch(L, n, sizeof *c.columns);
    c.directions = lt_scratch(L, n, sizeof *c.directions);
    c.norms = lt_scratch(L, n, sizeof *c.norms);
    c.lo = lt_scratch(L, n, sizeof *c.lo);
    c.hi = lt_scratch(L, n, sizeof *c.hi);
    for (size_t i = 0; i < n; i++) {
        c.columns[i] = NULL;
        c.directions[i] = TIER_AHP_HIGHER_IS_BETTER;
        c.norms[i] = TIER_AHP_NORM_MINMAX;
        c.lo[i] = c.hi[i] = NAN;
    }
    if (lt_field(L, t, "columns") != LUA_TNIL)
        o->columns = c.columns;
    lua_pop(L, 1);
    per_criterion(L, t, "columns", names, n, visit_column, &c, 0);
    if (lt_field(L, t, "directions") != LUA_TNIL)
        o->directions = c.directions;
    lua_pop(L, 1);
    per_criterion(L, t, "directions", names, n, visit_direction, &c, 0);
    if (lt_field(L, t, "normalizations") != LUA_TNIL)
        o->normalizations = c.norms;
    lua_pop(L, 1);
    per_criterion(L, t, "normalizations", names, n, visit_norm, &c, 0);
    if (lt_field(L, t, "ranges") != LUA_TNIL) {
        o->range_min = c.lo;
        o->range_max = c.hi;
    }
    lua_pop(L, 1);
    per_criterion(L, t, "ranges", names, n, visit_range, &c, 1);
    static const char *const missing[] = { "error", "unscored", "worst", "reweight", NULL };
    static const int missing_values[] = { TIER_AHP_MISSING_ERROR, TIER_AHP_MISSING_UNSCORED,
                                          TIER_AHP_MISSING_WORST, TIER_AHP_MISSING_REWEIGHT };
    lt_field(L, t, "missing");
    o->missing = (tier_ahp_missing)lt_check_option(L, -1, "error", missing, missing_values,
                                                   "missing");
    o->components = lt_opt_field_boolean(L, t, "components", 0);
    o->allow_inconsistent = lt_opt_field_boolean(L, t, "allow_inconsistent", 0);
    o->output_prefix = lt_opt_field_string(L, t, "prefix", NULL);
}

/* tier.ahp_scorer(ahp | hierarchy [, options]) */
static int l_ahp_scorer(lua_State *L)
{
    const char **names;
    lua_settop(L, 2);
    if (!luaL_testudata(L, 1, LT_AHP) && !luaL_testudata(L, 1, LT_HIERARCHY))
        return luaL_argerror(L, 1, "a tier.ahp matrix or tier.ahp_hierarchy expected");
    size_t n = criteria_names(L, 1, &names);
    tier_ahp_scorer_options o;
    ahp_scorer_options(L, 2, names, n, &o);
    lt_handle *h = lt_push_handle(L, LT_SCORER, free_scorer);
    tier_scorer *sc = NULL;
    if (luaL_testudata(L, 1, LT_AHP))
        LT_CHECK(L, tier_ahp_scorer_new(&sc, lt_check(L, 1, LT_AHP)->ptr, &o));
    else
        LT_CHECK(L, tier_ahp_scorer_new_hierarchy(&sc, lt_check(L, 1, LT_HIERARCHY)->ptr, &o));
    h->ptr = sc;
    return 1;
}

/* tier.weights_scorer({criterion names}, {weights} [, options]) */
static int l_weights_scorer(lua_State *L)
{
    const char **names;
    lua_settop(L, 3);
    size_t n = criteria_names(L, 1, &names);
    if (lt_array_len(L, 2, "weights") != n)
        return luaL_error(L, "%d criteria need %d weights", (int)n, (int)n);
    double *w = lt_double_array(L, 2, n, "weight");
    tier_ahp_scorer_options o;
    ahp_scorer_options(L, 3, names, n, &o);
    lt_handle *h = lt_push_handle(L, LT_SCORER, free_scorer);
    tier_scorer *sc = NULL;
    LT_CHECK(L, tier_ahp_scorer_new_weights(&sc, n, names, w, &o));
    h->ptr = sc;
    return 1;
}

/* tier.ahp_rfm_scorer(ahp [, bins [, options]]) */
static int l_ahp_rfm_scorer(lua_State *L)
{
    tier_ahp *ahp = lt_check(L, 1, LT_AHP)->ptr;
    lua_Integer bins = luaL_optinteger(L, 2, 5);
    luaL_argcheck(L, bins >= 0 && bins <= 1000, 2, "bins out of range");
    lua_settop(L, 3);
    const char **names;
    size_t n = criteria_names(L, 1, &names);
    tier_ahp_scorer_options o;
    ahp_scorer_options(L, 3, names, n, &o);
    lt_handle *h = lt_push_handle(L, LT_SCORER, free_scorer);
    tier_scorer *sc = NULL;
    LT_CHECK(L, tier_ahp_scorer_new_rfm(&sc, ahp, (unsigned int)bins, &o));
    h->ptr = sc;
    return 1;
}

/* scorer:criteria() -> array of {name=, column=, weight=} */
static int m_criteria(lua_State *L)
{
    tier_scorer *sc = scorer(L, 1);
    size_t n = tier_ahp_scorer_criteria_count(sc);
    lua_createtable(L, (int)n, 0);
    for (size_t k = 0; k < n; k++) {
        const char *name, *column;
        double w;
        LT_CHECK(L, tier_ahp_scorer_criterion(&name, &column, &w, sc, k));
        lua_createtable(L, 0, 3);
        lua_pushstring(L, name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, column);
        lua_setfield(L, -2, "column");
        lua_pushnumber(L, w);
        lua_setfield(L, -2, "weight");
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    return 1;
}

static int m_params(lua_State *L)
{
    tier_scorer *sc = scorer(L, 1);
    lua_Integer k = luaL_checkinteger(L, 2);
    luaL_argcheck(L, k >= 1, 2, "criterion out of range");
    double a, b;
    LT_CHECK(L, tier_ahp_scorer_params(&a, &b, sc, (size_t)k - 1));
    lua_pushnumber(L, a);
    lua_pushnumber(L, b);
    return 2;
}

/* ---- k-means ------------------------------------------------------------------------------ */

static void kmeans_options(lua_State *L, int t, tier_kmeans_options *o)
{
    tier_kmeans_options_init(o, TIER_KMEANS_OPTIONS_VERSION);
    if (t && !lua_isnoneornil(L, t))
        luaL_checktype(L, t, LUA_TTABLE);
    else
        t = 0;
    lua_Integer k = lt_opt_field_integer(L, t, "k", 8);
    luaL_argcheck(L, k >= 0 && k <= 1000000, t, "k out of range");
    o->k = (unsigned int)k;
    static const char *const transforms[] = { "raw", "log1p", "zscore", "minmax",
                                              "log1p_zscore", "log1p_minmax", NULL };
    static const int transform_values[] = { 0, 1, 2, 3, 4, 5 };
    static const char *const defaults[] = { "recency", "frequency", "monetary" };
    size_t nf = 3;
    const char **features = (const char **)defaults;
    if (lt_field(L, t, "features") != LUA_TNIL) {
        int idx = lua_gettop(L);
        nf = lt_array_len(L, idx, "features");
        features = lt_string_array(L, idx, nf, 0, 0, "feature");
        o->n_features = nf;
        o->features = features;
    }
    int tt = lt_field(L, t, "transforms");
    if (tt != LUA_TNIL) {
        int idx = lua_gettop(L);
        tier_kmeans_transform *tr = lt_scratch(L, nf, sizeof *tr);
        for (size_t i = 0; i < nf; i++) {
            if (tt == LUA_TTABLE)
                lua_geti(L, idx, (lua_Integer)i + 1);
            else
                lua_pushvalue(L, idx);
            tr[i] = (tier_kmeans_transform)lt_check_option(L, -1, "zscore", transforms,
                                                           transform_values, "transform");
            lua_pop(L, 1);
        }
        o->n_features = nf;
        o->features = features;
        o->transforms = tr;
    }
    o->weights = lt_opt_field_string(L, t, "weights", NULL);
    static const char *const inits[] = { "k-means++", "random", "given", NULL };
    static const int init_values[] = { 0, 1, 2 };
    lt_field(L, t, "init");
    o->init = (tier_kmeans_init)lt_check_option(L, -1, "k-means++", inits, init_values, "init");
    if (lt_field(L, t, "init_centers") != LUA_TNIL) {
        int idx = lua_gettop(L);
        size_t rows = lt_array_len(L, idx, "init_centers");
        double *c = lt_scratch(L, rows * nf, sizeof *c);
        for (size_t r = 0; r < rows; r++) {
            lua_geti(L, idx, (lua_Integer)r + 1);
            if (lt_array_len(L, -1, "center") != nf)
                luaL_error(L, "every initial center needs %d values", (int)nf);
            for (size_t f = 0; f < nf; f++) {
                lua_geti(L, -1, (lua_Integer)f + 1);
                c[r * nf + f] = (double)luaL_checknumber(L, -1);
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
        o->init_centers = c;
    }
    static const char *const units[] = { "original", "transformed", NULL };
    static const int unit_values[] = { 0, 1 };
    lt_field(L, t, "init_units");
    o->init_units = (tier_kmeans_units)lt_check_option(L, -1, "original", units, unit_values,
                                                       "init_units");
    o->seed = (uint64_t)lt_opt_field_integer(L, t, "seed", 0);
    o->n_init = (unsigned int)lt_opt_field_integer(L, t, "n_init", 0);
    static const char *const algorithms[] = { "auto", "lloyd", "hamerly", NULL };
    static const int algorithm_values[] = { 0, 1, 2 };
    lt_field(L, t, "algorithm");
    o->algorithm = (tier_kmeans_algorithm)lt_check_option(L, -1, "auto", algorithms,
                                                          algorithm_values, "algorithm");
    lua_Integer mi = lt_opt_field_integer(L, t, "max_iter", 300);
    luaL_argcheck(L, mi >= 0 && mi <= 100000000, t, "max_iter out of range");
    o->max_iter = (unsigned int)mi;
    o->tol = (double)lt_opt_field_number(L, t, "tol", 1e-4);
    o->n_threads = (unsigned int)lt_opt_field_integer(L, t, "n_threads", 0);
    o->order_by = lt_opt_field_string(L, t, "order_by", NULL);
    o->order_ascending = lt_opt_field_boolean(L, t, "order_ascending", 0);
    static const char *const nans[] = { "error", "skip", NULL };
    static const int nan_values[] = { 0, 1 };
    lt_field(L, t, "nan");
    o->nan_policy = (tier_kmeans_nan_policy)lt_check_option(L, -1, "error", nans, nan_values,
                                                            "nan");
    o->output_prefix = lt_opt_field_string(L, t, "prefix", NULL);
}

static int l_kmeans(lua_State *L)
{
    tier_kmeans_options o;
    kmeans_options(L, 1, &o);
    lt_handle *h = lt_push_handle(L, LT_SCORER, free_scorer);
    tier_scorer *sc = NULL;
    LT_CHECK(L, tier_kmeans_new(&sc, &o));
    h->ptr = sc;
    return 1;
}

static void push_matrix(lua_State *L, const double *v, size_t rows, size_t cols)
{
    lua_createtable(L, (int)rows, 0);
    for (size_t r = 0; r < rows; r++) {
        lt_push_doubles(L, v + r * cols, cols);
        lua_rawseti(L, -2, (lua_Integer)r + 1);
    }
}

static int m_centers(lua_State *L)
{
    tier_scorer *sc = scorer(L, 1);
    static const char *const units[] = { "original", "transformed", NULL };
    static const int unit_values[] = { 0, 1 };
    int u = lt_check_option(L, 2, "original", units, unit_values, "units");
    const double *c;
    LT_CHECK(L, tier_kmeans_centers(&c, sc, (tier_kmeans_units)u));
    push_matrix(L, c, tier_kmeans_k(sc), tier_kmeans_feature_count(sc));
    return 1;
}

static int m_cluster_means(lua_State *L)
{
    tier_scorer *sc = scorer(L, 1);
    const double *c;
    LT_CHECK(L, tier_kmeans_cluster_means(&c, sc));
    push_matrix(L, c, tier_kmeans_k(sc), tier_kmeans_feature_count(sc));
    return 1;
}

static int m_fit_info(lua_State *L)
{
    double inertia;
    unsigned int iters;
    int converged;
    LT_CHECK(L, tier_kmeans_fit_info(&inertia, &iters, &converged, scorer(L, 1)));
    lua_pushnumber(L, inertia);
    lua_pushinteger(L, iters);
    lua_pushboolean(L, converged);
    return 3;
}

/* km:cluster_size(c) with c 0-based, as in the `cluster` column -> size, share, weight */
static int m_cluster_size(lua_State *L)
{
    tier_scorer *sc = scorer(L, 1);
    lua_Integer c = luaL_checkinteger(L, 2);
    luaL_argcheck(L, c >= 0 && c <= 0x7fffffff, 2, "cluster out of range");
    size_t size;
    double share, weight;
    LT_CHECK(L, tier_kmeans_cluster_size(&size, &share, &weight, sc, (unsigned int)c));
    lua_pushinteger(L, (lua_Integer)size);
    lua_pushnumber(L, share);
    lua_pushnumber(L, weight);
    return 3;
}

static int m_k(lua_State *L)
{
    lua_pushinteger(L, tier_kmeans_k(scorer(L, 1)));
    return 1;
}

static void free_choice(void *p) { tier_kmeans_choice_free(p); }

/* tier.choose_k(ds, {k_min=, k_max=, silhouette_sample=, silhouette_seed=, <k-means options>})
 * -> {ks = {...}, inertia = {...}, silhouette = {...}, ..., best = {silhouette = k, ...}} */
static int l_choose_k(lua_State *L)
{
    tier_dataset *ds = lt_dataset(L, 1);
    int t = lua_istable(L, 2) ? 2 : 0;
    tier_kmeans_options o;
    kmeans_options(L, t, &o);
    tier_kmeans_choose_options co;
    tier_kmeans_choose_options_init(&co, TIER_KMEANS_CHOOSE_OPTIONS_VERSION);
    co.k_min = (unsigned int)lt_opt_field_integer(L, t, "k_min", co.k_min);
    co.k_max = (unsigned int)lt_opt_field_integer(L, t, "k_max", co.k_max);
    co.silhouette_sample = (size_t)lt_opt_field_integer(L, t, "silhouette_sample",
                                                        (lua_Integer)co.silhouette_sample);
    co.silhouette_seed = (uint64_t)lt_opt_field_integer(L, t, "silhouette_seed", 0);
    void **guard = lt_push_guard(L, free_choice);
    tier_kmeans_choice *c = NULL;
    LT_CHECK(L, tier_kmeans_choose_k(&c, ds, &o, &co));
    *guard = c;
    static const char *const metrics[] = { "inertia", "silhouette", "calinski_harabasz",
                                           "davies_bouldin", "iterations" };
    size_t n = tier_kmeans_choice_count(c);
    lua_createtable(L, 0, 7);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushinteger(L, tier_kmeans_choice_k(c, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "ks");
    lua_createtable(L, 0, 4);
    for (int m = 0; m < 5; m++) {
        lua_createtable(L, (int)n, 0);
        for (size_t i = 0; i < n; i++) {
            double v = NAN;
            tier_kmeans_choice_metric(&v, c, i, (tier_kmeans_metric)m);
            lua_pushnumber(L, v);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        lua_setfield(L, -3, metrics[m]);
        unsigned int best;
        if (m < 4 && tier_kmeans_choice_best(&best, c, (tier_kmeans_metric)m) == TIER_OK) {
            lua_pushinteger(L, best);
            lua_setfield(L, -2, metrics[m]);
        }
    }
    lua_setfield(L, -2, "best");
    *guard = NULL;
    tier_kmeans_choice_free(c);
    return 1;
}

/* ---- registration ------------------------------------------------------------------------- */

void lt_open_scorer(lua_State *L)
{
    static const luaL_Reg methods[] = {
        { "fit", m_fit },
        { "apply", m_apply },
        { "fit_apply", m_fit_apply },
        { "save", m_save },
        { "kind", m_kind },
        { "is_fitted", m_is_fitted },
        { "is_custom", m_is_custom },
        { "inputs", m_inputs },
        { "outputs", m_outputs },
        { "prefix", m_prefix },
        { "set_prefix", m_set_prefix },
        /* RFM */
        { "bins", m_bins },
        { "cuts", m_cuts },
        { "segments", m_segments },
        { "add_segment", m_add_segment },
        { "remove_segment", m_remove_segment },
        { "clear_segments", m_clear_segments },
        { "default_segments", m_default_segments },
        { "summarize", m_summarize },
        /* AHP */
        { "criteria", m_criteria },
        { "params", m_params },
        /* k-means */
        { "k", m_k },
        { "centers", m_centers },
        { "cluster_means", m_cluster_means },
        { "fit_info", m_fit_info },
        { "cluster_size", m_cluster_size },
        { NULL, NULL },
    };
    static const luaL_Reg meta[] = {
        { "__tostring", sc_tostring },
        { NULL, NULL },
    };
    static const luaL_Reg funcs[] = {
        { "rfm", l_rfm },
        { "ahp_scorer", l_ahp_scorer },
        { "weights_scorer", l_weights_scorer },
        { "ahp_rfm_scorer", l_ahp_rfm_scorer },
        { "kmeans", l_kmeans },
        { "choose_k", l_choose_k },
        { "scorer", l_scorer },
        { "load_model", l_load_model },
        { "load_custom_model", l_load_custom_model },
        { "model_kind", l_model_kind },
        { NULL, NULL },
    };
    lt_new_type(L, LT_SCORER, methods, meta);
    luaL_setfuncs(L, funcs, 0);
}
