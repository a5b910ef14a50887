/* tier.dataset: customers and columns (dataset.h, csv.h), and column objects.
 *
 * A column object (ds:column(name)) is a live, indexable view: col[i] reads row i of the
 * dataset's current column. It keeps the dataset alive, and re-borrows the C pointer after
 * every mutation of the dataset (the C library only promises a column pointer until the next
 * mutating call), so it never reads freed memory; after ds:close() it raises. */
#include <math.h>
#include <string.h>

#include "ltier.h"

static void free_dataset(void *p) { tier_dataset_free(p); }
static void free_report(void *p) { tier_csv_report_free(p); }

tier_dataset *lt_dataset(lua_State *L, int idx)
{
    return lt_check(L, idx, LT_DATASET)->ptr;
}

tier_dataset *lt_dataset_mutable(lua_State *L, int idx)
{
    lt_handle *h = lt_check(L, idx, LT_DATASET);
    if (h->readonly)
        luaL_error(L, "the dataset given to a strategy callback is read-only");
    if (h->busy)
        luaL_error(L, "this dataset is being scored; a strategy callback must not change it");
    h->generation++;
    return h->ptr;
}

lt_handle *lt_push_lent_dataset(lua_State *L, const tier_dataset *ds)
{
    lt_handle *h = lt_push_handle(L, LT_DATASET, NULL);
    h->ptr = (void *)ds; /* never written through: readonly */
    h->readonly = 1;
    return h;
}

static tier_dataset_options dataset_options(lua_State *L, lua_Integer n_threads)
{
    tier_dataset_options o;
    tier_dataset_options_init(&o, TIER_DATASET_OPTIONS_VERSION);
    luaL_argcheck(L, n_threads >= 0 && n_threads <= 4096, 1, "n_threads out of range");
    o.n_threads = (unsigned int)n_threads;
    return o;
}

/* ---- CSV options and reports -------------------------------------------------------------- */

/* Runs in the library's call: never raises (lua_pcall). */
static int progress_trampoline(void *user, uint64_t done, uint64_t total)
{
    lt_progress *c = user;
    lua_State *L = c->L;
    lua_pushvalue(L, c->fn);
    lua_pushinteger(L, (lua_Integer)done);
    lua_pushinteger(L, (lua_Integer)total);
    if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
        lt_record_callback_error(L);
        return 1;
    }
    int stop = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return stop;
}

void lt_csv_options(lua_State *L, int t, tier_csv_options *o, lt_progress *pc, int load)
{
    tier_csv_options_init(o, TIER_CSV_OPTIONS_VERSION);
    if (t && !lua_isnoneornil(L, t))
        luaL_checktype(L, t, LUA_TTABLE);
    else
        t = 0;
    o->customer_column = lt_opt_field_string(L, t, "customer", o->customer_column);
    o->time_column = lt_opt_field_string(L, t, "time", o->time_column);
    o->amount_column = lt_opt_field_string(L, t, "amount", o->amount_column);
    o->quantity_column = lt_opt_field_string(L, t, "quantity", NULL);
    o->price_column = lt_opt_field_string(L, t, "price", NULL);
    o->order_column = lt_opt_field_string(L, t, "order", NULL);
    o->time_format = lt_opt_field_string(L, t, "time_format", NULL);
    const char *delim = lt_opt_field_string(L, t, "delimiter", ",");
    if (strlen(delim) != 1)
        luaL_error(L, "option 'delimiter' must be one character, got '%s'", delim);
    o->delimiter = delim[0];
    o->has_header = lt_opt_field_boolean(L, t, "header", 1);
    static const char *const policies[] = { "strict", "skip", NULL };
    static const int policy_values[] = { TIER_BAD_ROWS_STRICT, TIER_BAD_ROWS_SKIP };
    lt_field(L, t, "bad_rows");
    o->bad_rows = (tier_bad_row_policy)lt_check_option(L, -1, "strict", policies,
                                                       policy_values, "bad_rows");
    lua_pop(L, 1);
    lua_Integer mm = lt_opt_field_integer(L, t, "max_messages", 20);
    luaL_argcheck(L, mm >= 0, t, "max_messages must be >= 0");
    o->max_messages = (size_t)mm;
    lua_Integer nt = lt_opt_field_integer(L, t, "n_threads", 0);
    luaL_argcheck(L, nt >= 0 && nt <= 4096, t, "n_threads out of range");
    o->n_threads = (unsigned int)nt;
    if (lt_field(L, t, "as_of") != LUA_TNIL) {
        if (!load)
            luaL_error(L, "option 'as_of' is for tier.load_csv; call ds:compute_features(as_of)");
        o->as_of = lt_check_time(L, -1, "as_of");
    }
    lua_pop(L, 1);
    static const char *const lists[] = { "categorical", "numeric" };
    for (int k = 0; k < 2; k++) {
        if (lt_field(L, t, lists[k]) == LUA_TNIL) {
            lua_pop(L, 1);
            continue;
        }
        int idx = lua_gettop(L);
        size_t n = lt_array_len(L, idx, lists[k]);
        const char **names = lt_string_array(L, idx, n, 0, 0, lists[k]);
        if (k == 0) {
            o->categorical_columns = names;
            o->n_categorical_columns = n;
        } else {
            o->numeric_columns = names;
            o->n_numeric_columns = n;
        }
        /* the list table, its anchor and the array stay on the stack for the call */
    }
    pc->L = L;
    pc->fn = 0;
    int type = lt_field(L, t, "progress");
    if (type == LUA_TFUNCTION) {
        pc->fn = lua_gettop(L);
        o->progress = progress_trampoline;
        o->progress_user = pc;
    } else if (type != LUA_TNIL) {
        luaL_error(L, "option 'progress' must be a function, got %s", luaL_typename(L, -1));
    }
    luaL_checkstack(L, 8, "progress callback");
}

/* Pushes the report as a table and frees it (guard slot cleared). */
static void push_report(lua_State *L, void **slot)
{
    tier_csv_report *r = *slot;
    static const char *const names[] = { "rows", "rows_used", "rows_no_customer", "rows_bad",
                                         "bytes", "rows_unmatched" };
    lua_createtable(L, 0, 7);
    for (int k = 0; k < 6; k++) {
        lua_pushinteger(L, (lua_Integer)tier_csv_report_count(r, (tier_csv_count)k));
        lua_setfield(L, -2, names[k]);
    }
    size_t n = tier_csv_report_message_count(r);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, tier_csv_report_message(r, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "messages");
    *slot = NULL;
    tier_csv_report_free(r);
}

/* After a CSV call: raises the callback's or the library's error, else pushes the report. */
static void finish_csv(lua_State *L, int rc, void **report)
{
    if (rc < 0) {
        tier_csv_report_free(*report);
        *report = NULL;
        lt_rethrow_callback_error(L);
        lt_fail(L, rc);
    }
    lt_clear_callback_error(L);
    push_report(L, report);
}

/* ---- constructors ------------------------------------------------------------------------- */

static int l_dataset(lua_State *L)
{
    tier_dataset_options o = dataset_options(L, luaL_optinteger(L, 1, 0));
    lt_handle *h = lt_push_handle(L, LT_DATASET, free_dataset);
    tier_dataset *ds = NULL;
    LT_CHECK(L, tier_dataset_new(&ds, &o));
    h->ptr = ds;
    h->n_threads = o.n_threads;
    return 1;
}

/* tier.load_csv(path [, options]) -> dataset, report */
static int l_load_csv(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    tier_csv_options o;
    lt_progress pc;
    lt_csv_options(L, 2, &o, &pc, 1);
    lt_handle *h = lt_push_handle(L, LT_DATASET, free_dataset);
    int hidx = lua_gettop(L);
    void **report = lt_push_guard(L, free_report);
    tier_dataset *ds = NULL;
    tier_csv_report *rep = NULL;
    lt_clear_callback_error(L);
    tier_clear_error();
    int rc = tier_dataset_load_csv(&ds, &rep, path, &o);
    *report = rep;
    h->ptr = ds;
    h->n_threads = o.n_threads;
    finish_csv(L, rc, report);
    lua_pushvalue(L, hidx);
    lua_insert(L, -2);
    return 2;
}

static int add_transactions(lua_State *L, int self, int first)
{
    size_t n = lt_array_len(L, first, "customer ids");
    if (lt_array_len(L, first + 1, "times") != n || lt_array_len(L, first + 2, "amounts") != n)
        return luaL_error(L, "customer ids, times and amounts must have the same length (%d)",
                          (int)n);
    const char **ids = lt_string_array(L, first, n, 0, 1, "customer id");
    int64_t *times = lt_time_array(L, first + 1, n, "time");
    double *amounts = lt_double_array(L, first + 2, n, "amount");
    const char **orders = NULL;
    if (!lua_isnoneornil(L, first + 3)) {
        if (lt_array_len(L, first + 3, "order ids") > n)
            return luaL_error(L, "more order ids than transactions");
        orders = lt_string_array(L, first + 3, n, 1, 1, "order id");
    }
    LT_CHECK(L, tier_dataset_add_transactions(lt_dataset_mutable(L, self), n, ids, times,
                                              amounts, orders));
    return 0;
}

/* tier.from_transactions(ids, times, amounts [, orders [, {as_of=, n_threads=}]]) */
static int l_from_transactions(lua_State *L)
{
    /* The options may also come 4th when there are no order ids: a table with no array
     * part and an option key. */
    lua_settop(L, 5);
    if (lua_istable(L, 4) && lua_isnil(L, 5) && luaL_len(L, 4) == 0) {
        int is_opts = lua_getfield(L, 4, "as_of") != LUA_TNIL;
        is_opts |= lua_getfield(L, 4, "n_threads") != LUA_TNIL;
        lua_pop(L, 2);
        if (is_opts) {
            lua_pushvalue(L, 4);
            lua_replace(L, 5);
            lua_pushnil(L);
            lua_replace(L, 4);
        }
    }
    int opts = lua_istable(L, 5) ? 5 : 0;
    int64_t as_of = TIER_AS_OF_AUTO;
    if (opts && lt_field(L, opts, "as_of") != LUA_TNIL)
        as_of = lt_check_time(L, -1, "as_of");
    if (opts)
        lua_pop(L, 1);
    tier_dataset_options o = dataset_options(L, lt_opt_field_integer(L, opts, "n_threads", 0));
    lua_settop(L, 5);
    lt_handle *h = lt_push_handle(L, LT_DATASET, free_dataset);
    tier_dataset *ds = NULL;
    LT_CHECK(L, tier_dataset_new(&ds, &o));
    h->ptr = ds;
    h->n_threads = o.n_threads;
    add_transactions(L, 6, 1);
    LT_CHECK(L, tier_dataset_compute_features(ds, as_of));
    lua_settop(L, 6);
    return 1;
}

static int l_load_dataset(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    tier_dataset_options o = dataset_options(L, luaL_optinteger(L, 2, 0));
    lt_handle *h = lt_push_handle(L, LT_DATASET, free_dataset);
    tier_dataset *ds = NULL;
    LT_CHECK(L, tier_dataset_load(&ds, path, &o));
    h->ptr = ds;
    h->n_threads = o.n_threads;
    return 1;
}

/* ---- mutation ----------------------------------------------------------------------------- */

static int m_add_transactions(lua_State *L)
{
    lt_check(L, 1, LT_DATASET);
    lua_settop(L, 5);
    add_transactions(L, 1, 2);
    lua_settop(L, 1);
    return 1;
}

static int csv_into(lua_State *L, int join)
{
    lt_check(L, 1, LT_DATASET);
    const char *path = luaL_checkstring(L, 2);
    tier_csv_options o;
    lt_progress pc;
    lt_csv_options(L, 3, &o, &pc, 0);
    tier_dataset *ds = lt_dataset_mutable(L, 1);
    void **report = lt_push_guard(L, free_report);
    tier_csv_report *rep = NULL;
    lt_clear_callback_error(L);
    tier_clear_error();
    int rc = join ? tier_dataset_join_csv(&rep, ds, path, &o)
                  : tier_dataset_add_csv(&rep, ds, path, &o);
    *report = rep;
    finish_csv(L, rc, report);
    return 1;
}

static int m_add_csv(lua_State *L) { return csv_into(L, 0); }
static int m_join_csv(lua_State *L) { return csv_into(L, 1); }

static int m_compute_features(lua_State *L)
{
    lt_check(L, 1, LT_DATASET);
    int64_t as_of = lt_opt_time(L, 2, "as_of");
    LT_CHECK(L, tier_dataset_compute_features(lt_dataset_mutable(L, 1), as_of));
    lua_settop(L, 1);
    return 1;
}

/* Whether the values at t (1..n) are categorical: the first non-missing one is a string. */
static int looks_categorical(lua_State *L, int t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int type = lua_geti(L, t, (lua_Integer)i + 1);
        lua_pop(L, 1);
        if (type == LUA_TSTRING)
            return 1;
        if (type == LUA_TNUMBER)
            return 0;
    }
    return 0;
}

static int column_kind(lua_State *L, int idx, int t, size_t n)
{
    static const char *const kinds[] = { "auto", "numeric", "categorical", NULL };
    static const int values[] = { 0, TIER_COLUMN_NUMERIC, TIER_COLUMN_CATEGORICAL };
    int k = lt_check_option(L, idx, "auto", kinds, values, "column type");
    if (k == 0)
        k = looks_categorical(L, t, n) ? TIER_COLUMN_CATEGORICAL : TIER_COLUMN_NUMERIC;
    return k;
}

/* Codes (and a dictionary in order of first appearance) for strings at t; pushes 3 values. */
int32_t *lt_factorize(lua_State *L, int t, size_t n, const char ***dict, size_t *n_dict)
{
    t = lua_absindex(L, t);
    lua_newtable(L); /* value -> code */
    int index = lua_gettop(L);
    int32_t *codes = lt_scratch(L, n, sizeof *codes);
    const char **d = lt_scratch(L, n, sizeof *d);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int type = lua_geti(L, t, (lua_Integer)i + 1);
        if (type == LUA_TNIL || (type == LUA_TBOOLEAN && !lua_toboolean(L, -1))) {
            codes[i] = TIER_MISSING_CODE;
        } else if (type == LUA_TSTRING) {
            lua_pushvalue(L, -1);
            if (lua_rawget(L, index) == LUA_TNUMBER) {
                codes[i] = (int32_t)lua_tointeger(L, -1);
            } else {
                if (k >= (size_t)INT32_MAX)
                    luaL_error(L, "too many categories");
                codes[i] = (int32_t)k;
                d[k++] = lua_tostring(L, -2); /* t keeps the string alive */
                lua_pushvalue(L, -2);
                lua_pushinteger(L, codes[i]);
                lua_rawset(L, index);
            }
            lua_pop(L, 1);
        } else {
            luaL_error(L, "value #%d must be a string (or nil/false for missing), got %s",
                       (int)i + 1, luaL_typename(L, -1));
        }
        lua_pop(L, 1);
    }
    *dict = d;
    *n_dict = k;
    return codes;
}

/* ds:set(name, values [, "numeric" | "categorical"]) */
static int m_set(lua_State *L)
{
    tier_dataset *ds = lt_dataset(L, 1);
    const char *name = luaL_checkstring(L, 2);
    size_t n = tier_dataset_size(ds);
    size_t m = lt_array_len(L, 3, "values");
    if (m != n)
        return luaL_error(L, "column '%s' needs %d values, got %d (use false or 0/0 for "
                          "missing values)", name, (int)n, (int)m);
    int kind = column_kind(L, 4, 3, n);
    if (kind == TIER_COLUMN_NUMERIC) {
        double *v = lt_double_array(L, 3, n, "value");
        LT_CHECK(L, tier_dataset_set_numeric(lt_dataset_mutable(L, 1), name, v));
    } else {
        const char **dict;
        size_t k;
        int32_t *codes = lt_factorize(L, 3, n, &dict, &k);
        LT_CHECK(L, tier_dataset_set_categorical(lt_dataset_mutable(L, 1), name, codes, dict, k));
    }
    lua_settop(L, 1);
    return 1;
}

/* ds:join(name, ids, values [, type]) -> number of unmatched ids */
static int m_join(lua_State *L)
{
    lt_check(L, 1, LT_DATASET);
    const char *name = luaL_checkstring(L, 2);
    size_t n = lt_array_len(L, 3, "customer ids");
    if (lt_array_len(L, 4, "values") > n)
        return luaL_error(L, "more values than customer ids");
    int kind = column_kind(L, 5, 4, n);
    lua_settop(L, 5);
    const char **ids = lt_string_array(L, 3, n, 0, 1, "customer id");
    size_t unmatched = 0;
    if (kind == TIER_COLUMN_NUMERIC) {
        double *v = lt_double_array(L, 4, n, "value");
        LT_CHECK(L, tier_dataset_join_numeric(&unmatched, lt_dataset_mutable(L, 1), name, n, ids,
                                              v));
    } else {
        const char **v = lt_string_array(L, 4, n, 1, 0, "value");
        LT_CHECK(L, tier_dataset_join_categorical(&unmatched, lt_dataset_mutable(L, 1), name, n,
                                                  ids, v));
    }
    lua_pushinteger(L, (lua_Integer)unmatched);
    return 1;
}

static int m_merge(lua_State *L)
{
    lt_handle *other = lt_check(L, 2, LT_DATASET);
    lt_check(L, 1, LT_DATASET);
    if (lua_touserdata(L, 1) == lua_touserdata(L, 2))
        return luaL_error(L, "cannot merge a dataset into itself");
    LT_CHECK(L, tier_dataset_merge(lt_dataset_mutable(L, 1), other->ptr));
    lua_settop(L, 1);
    return 1;
}

static int m_save(lua_State *L)
{
    LT_CHECK(L, tier_dataset_save(lt_dataset(L, 1), luaL_checkstring(L, 2)));
    return 0;
}

/* ---- reading ------------------------------------------------------------------------------ */

static int m_size(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)tier_dataset_size(lt_dataset(L, 1)));
    return 1;
}

static int m_transaction_count(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)tier_dataset_transaction_count(lt_dataset(L, 1)));
    return 1;
}

static int m_as_of(lua_State *L)
{
    int64_t t = tier_dataset_as_of(lt_dataset(L, 1));
    if (t == TIER_AS_OF_AUTO)
        lua_pushnil(L);
    else
        lua_pushinteger(L, (lua_Integer)t);
    return 1;
}

static int m_is_stale(lua_State *L)
{
    lua_pushboolean(L, tier_dataset_is_stale(lt_dataset(L, 1)));
    return 1;
}

static int m_columns(lua_State *L)
{
    tier_dataset *ds = lt_dataset(L, 1);
    size_t n = tier_dataset_column_count(ds);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, tier_dataset_column_name(ds, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int m_column_type(lua_State *L)
{
    tier_column_type type;
    LT_CHECK(L, tier_dataset_column_type(&type, lt_dataset(L, 1), luaL_checkstring(L, 2)));
    lua_pushstring(L, type == TIER_COLUMN_NUMERIC ? "numeric" : "categorical");
    return 1;
}

static int m_has_column(lua_State *L)
{
    tier_column_type type;
    lua_pushboolean(L, tier_dataset_column_type(&type, lt_dataset(L, 1),
                                                luaL_checkstring(L, 2)) == TIER_OK);
    return 1;
}

static int m_customer_id(lua_State *L)
{
    tier_dataset *ds = lt_dataset(L, 1);
    lua_Integer row = luaL_checkinteger(L, 2);
    const char *id = row >= 1 ? tier_dataset_customer_id(ds, (size_t)row - 1) : NULL;
    if (id)
        lua_pushstring(L, id);
    else
        lua_pushnil(L);
    return 1;
}

static int m_customer_ids(lua_State *L)
{
    tier_dataset *ds = lt_dataset(L, 1);
    size_t n = tier_dataset_size(ds);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, tier_dataset_customer_id(ds, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int m_find(lua_State *L)
{
    tier_dataset *ds = lt_dataset(L, 1);
    lua_settop(L, 2);
    lua_newtable(L);
    const char *id = lt_id_string(L, 2, 3, 1);
    size_t row;
    if (tier_dataset_find(&row, ds, id) == TIER_OK)
        lua_pushinteger(L, (lua_Integer)row + 1);
    else
        lua_pushnil(L);
    return 1;
}

/* ds:totable(name) -> Lua array (numbers, NaN when missing; strings, false when missing) */
static int m_totable(lua_State *L)
{
    tier_dataset *ds = lt_dataset(L, 1);
    const char *name = luaL_checkstring(L, 2);
    tier_column_type type;
    LT_CHECK(L, tier_dataset_column_type(&type, ds, name));
    size_t n = tier_dataset_size(ds);
    if (type == TIER_COLUMN_NUMERIC) {
        const double *v;
        LT_CHECK(L, tier_dataset_numeric(&v, ds, name));
        lt_push_doubles(L, v, n);
        return 1;
    }
    const int32_t *codes;
    const char *const *dict;
    size_t k;
    LT_CHECK(L, tier_dataset_categorical(&codes, &dict, &k, ds, name));
    /* Push each category once and reuse it: the strings are interned anyway, but this also
     * keeps the loop free of anything that could mutate the dataset. */
    lua_createtable(L, (int)k, 0);
    int cats = lua_gettop(L);
    for (size_t i = 0; i < k; i++) {
        lua_pushstring(L, dict[i]);
        lua_rawseti(L, cats, (lua_Integer)i + 1);
    }
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        if (codes[i] < 0)
            lua_pushboolean(L, 0);
        else
            lua_rawgeti(L, cats, (lua_Integer)codes[i] + 1);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int ds_tostring(lua_State *L)
{
    lt_handle *h = luaL_checkudata(L, 1, LT_DATASET);
    if (!lt_is_open(h)) {
        lua_pushstring(L, "tier.dataset (closed)");
        return 1;
    }
    lua_pushfstring(L, "tier.dataset (%d customers, %d columns%s%s)",
                    (int)tier_dataset_size(h->ptr), (int)tier_dataset_column_count(h->ptr),
                    tier_dataset_is_stale(h->ptr) ? ", stale" : "",
                    h->readonly ? ", lent" : "");
    return 1;
}

/* ---- column objects ----------------------------------------------------------------------- */

typedef struct lt_column {
    lt_handle *ds;               /* user value 1 keeps the dataset userdata alive */
    unsigned long generation;    /* of the dataset when the pointers were taken */
    int valid;                   /* pointers taken at least once */
    tier_column_type type;
    size_t n;
    const double *values;
    const int32_t *codes;
    const char *const *dict;
    size_t n_dict;
} lt_column;

/* The column with pointers valid now (re-borrowed after any mutation). */
static lt_column *column_live(lua_State *L, int idx)
{
    lt_column *c = luaL_checkudata(L, idx, LT_COLUMN);
    if (!lt_is_open(c->ds))
        luaL_error(L, "attempt to use a column of a closed tier.dataset");
    if (!c->valid || c->generation != c->ds->generation) {
        lua_getiuservalue(L, idx, 2);
        const char *name = lua_tostring(L, -1);
        tier_dataset *ds = c->ds->ptr;
        tier_column_type type;
        c->valid = 0;
        LT_CHECK(L, tier_dataset_column_type(&type, ds, name));
        if (type == TIER_COLUMN_NUMERIC)
            LT_CHECK(L, tier_dataset_numeric(&c->values, ds, name));
        else
            LT_CHECK(L, tier_dataset_categorical(&c->codes, &c->dict, &c->n_dict, ds, name));
        lua_pop(L, 1);
        c->type = type;
        c->n = tier_dataset_size(ds);
        c->generation = c->ds->generation;
        c->valid = 1;
    }
    return c;
}

static int m_column(lua_State *L)
{
    lt_handle *h = lt_check(L, 1, LT_DATASET);
    luaL_checkstring(L, 2);
    lt_column *c = lua_newuserdatauv(L, sizeof *c, 2);
    memset(c, 0, sizeof *c);
    c->ds = h;
    luaL_setmetatable(L, LT_COLUMN);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, -2, 2);
    column_live(L, -1); /* raises now for an unknown or stale column */
    return 1;
}

static void push_cell(lua_State *L, const lt_column *c, size_t i)
{
    if (c->type == TIER_COLUMN_NUMERIC)
        lua_pushnumber(L, (lua_Number)c->values[i]);
    else if (c->codes[i] < 0)
        lua_pushnil(L);
    else
        lua_pushstring(L, c->dict[c->codes[i]]);
}

static int col_index(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TNUMBER) {
        lt_column *c = column_live(L, 1);
        int ok;
        lua_Integer i = lua_tointegerx(L, 2, &ok);
        if (ok && i >= 1 && (size_t)i <= c->n)
            push_cell(L, c, (size_t)i - 1);
        else
            lua_pushnil(L);
        return 1;
    }
    luaL_getmetatable(L, LT_COLUMN);
    lua_getfield(L, -1, "methods");
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
}

static int col_newindex(lua_State *L)
{
    return luaL_error(L, "a tier.column is read-only; use ds:set(name, values)");
}

static int col_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)column_live(L, 1)->n);
    return 1;
}

static int col_totable(lua_State *L)
{
    lt_column *c = column_live(L, 1);
    lua_createtable(L, (int)c->n, 0);
    for (size_t i = 0; i < c->n; i++) {
        if (c->type == TIER_COLUMN_CATEGORICAL && c->codes[i] < 0)
            lua_pushboolean(L, 0);
        else
            push_cell(L, c, i);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int col_name(lua_State *L)
{
    luaL_checkudata(L, 1, LT_COLUMN);
    lua_getiuservalue(L, 1, 2);
    return 1;
}

static int col_type(lua_State *L)
{
    lt_column *c = column_live(L, 1);
    lua_pushstring(L, c->type == TIER_COLUMN_NUMERIC ? "numeric" : "categorical");
    return 1;
}

static int col_categories(lua_State *L)
{
    lt_column *c = column_live(L, 1);
    if (c->type != TIER_COLUMN_CATEGORICAL)
        return luaL_error(L, "column is numeric: it has no categories");
    lua_createtable(L, (int)c->n_dict, 0);
    for (size_t i = 0; i < c->n_dict; i++) {
        lua_pushstring(L, c->dict[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* Categorical codes, 0-based, -1 for missing (the C encoding). */
static int col_code(lua_State *L)
{
    lt_column *c = column_live(L, 1);
    lua_Integer i = luaL_checkinteger(L, 2);
    if (c->type != TIER_COLUMN_CATEGORICAL)
        return luaL_error(L, "column is numeric: it has no codes");
    luaL_argcheck(L, i >= 1 && (size_t)i <= c->n, 2, "row out of range");
    lua_pushinteger(L, c->codes[i - 1]);
    return 1;
}

static int col_tostring(lua_State *L)
{
    lt_column *c = luaL_checkudata(L, 1, LT_COLUMN);
    lua_getiuservalue(L, 1, 2);
    lua_pushfstring(L, "tier.column '%s'%s", lua_tostring(L, -1),
                    lt_is_open(c->ds) ? "" : " (dataset closed)");
    return 1;
}

static void open_column(lua_State *L)
{
    static const luaL_Reg methods[] = {
        { "totable", col_totable },
        { "name", col_name },
        { "type", col_type },
        { "categories", col_categories },
        { "code", col_code },
        { NULL, NULL },
    };
    static const luaL_Reg meta[] = {
        { "__index", col_index },
        { "__newindex", col_newindex },
        { "__len", col_len },
        { "__tostring", col_tostring },
        { NULL, NULL },
    };
    luaL_newmetatable(L, LT_COLUMN);
    luaL_setfuncs(L, meta, 0);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "methods");
    lua_pop(L, 1);
}

/* ---- registration ------------------------------------------------------------------------- */

void lt_open_dataset(lua_State *L)
{
    static const luaL_Reg methods[] = {
        { "add_transactions", m_add_transactions },
        { "add_csv", m_add_csv },
        { "join_csv", m_join_csv },
        { "compute_features", m_compute_features },
        { "set", m_set },
        { "join", m_join },
        { "merge", m_merge },
        { "save", m_save },
        { "size", m_size },
        { "transaction_count", m_transaction_count },
        { "as_of", m_as_of },
        { "is_stale", m_is_stale },
        { "columns", m_columns },
        { "column_type", m_column_type },
        { "has_column", m_has_column },
        { "customer_id", m_customer_id },
        { "customer_ids", m_customer_ids },
        { "find", m_find },
        { "column", m_column },
        { "totable", m_totable },
        { NULL, NULL },
    };
    static const luaL_Reg meta[] = {
        { "__len", m_size },
        { "__tostring", ds_tostring },
        { NULL, NULL },
    };
    static const luaL_Reg funcs[] = {
        { "dataset", l_dataset },
        { "load_csv", l_load_csv },
        { "from_transactions", l_from_transactions },
        { "load_dataset", l_load_dataset },
        { NULL, NULL },
    };
    lt_new_type(L, LT_DATASET, methods, meta);
    open_column(L);
    luaL_setfuncs(L, funcs, 0);
}
