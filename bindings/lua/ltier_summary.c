/* tier.summary: group-by tables, pivots, activity per time bucket and exports (summary.h). */
#include <math.h>
#include <string.h>

#include "ltier.h"

static void free_summary(void *p) { tier_summary_free(p); }

static tier_summary *summary(lua_State *L, int idx) { return lt_check(L, idx, LT_SUMMARY)->ptr; }

/* Options from the table at t; `by` is a column name or {first, second}. */
static tier_summary_options summary_options(lua_State *L, int t, int activity)
{
    tier_summary_options o;
    tier_summary_options_init(&o, TIER_SUMMARY_OPTIONS_VERSION);
    if (t && !lua_isnoneornil(L, t))
        luaL_checktype(L, t, LUA_TTABLE);
    else
        t = 0;
    int type = lt_field(L, t, "by");
    if (type == LUA_TSTRING) {
        o.by[0] = lua_tostring(L, -1);
    } else if (type == LUA_TTABLE) {
        for (int k = 0; k < 2; k++) {
            if (lua_geti(L, -1 - k, k + 1) == LUA_TSTRING)
                o.by[k] = lua_tostring(L, -1);
            else if (!lua_isnil(L, -1))
                luaL_error(L, "option 'by' must hold column names");
        }
    } else if (type != LUA_TNIL) {
        luaL_error(L, "option 'by' must be a column name or {first, second}");
    }
    /* the values stay on the stack (the option table keeps them alive anyway) */
    if (!activity && !o.by[0])
        luaL_error(L, "a summary needs option 'by' (a column name or {first, second})");
    o.value = lt_opt_field_string(L, t, "value", NULL);
    o.include_missing = lt_opt_field_boolean(L, t, "include_missing", 1);
    o.include_empty = lt_opt_field_boolean(L, t, "include_empty", 1);
    o.margins = lt_opt_field_boolean(L, t, "margins", 0);
    static const char *const shares[] = { "total", "first", "second", NULL };
    static const int share_values[] = { TIER_SHARE_OF_TOTAL, TIER_SHARE_OF_FIRST,
                                        TIER_SHARE_OF_SECOND };
    lt_field(L, t, "share");
    o.share = (tier_summary_share)lt_check_option(L, -1, "total", shares, share_values,
                                                  "share");
    static const char *const orders[] = { "key", "count", NULL };
    static const int order_values[] = { TIER_ORDER_KEY, TIER_ORDER_COUNT_DESC };
    lt_field(L, t, "order");
    o.order = (tier_summary_order)lt_check_option(L, -1, "key", orders, order_values, "order");
    o.missing_label = lt_opt_field_string(L, t, "missing_label", NULL);
    o.total_label = lt_opt_field_string(L, t, "total_label", NULL);
    return o;
}

/* tier.summary(ds, {by = ..., value = ..., margins = ...}) */
static int l_summary(lua_State *L)
{
    tier_dataset *ds = lt_dataset(L, 1);
    tier_summary_options o = summary_options(L, 2, 0);
    lt_handle *h = lt_push_handle(L, LT_SUMMARY, free_summary);
    tier_summary *s = NULL;
    LT_CHECK(L, tier_summary_new(&s, ds, &o));
    h->ptr = s;
    return 1;
}

/* tier.activity(ds [, bucket = "month" [, options]]) */
static int l_activity(lua_State *L)
{
    tier_dataset *ds = lt_dataset(L, 1);
    static const char *const buckets[] = { "day", "week", "month", "quarter", "year", NULL };
    static const int bucket_values[] = { TIER_BUCKET_DAY, TIER_BUCKET_WEEK, TIER_BUCKET_MONTH,
                                         TIER_BUCKET_QUARTER, TIER_BUCKET_YEAR };
    int bucket = lt_check_option(L, 2, "month", buckets, bucket_values, "bucket");
    tier_summary_options o = summary_options(L, 3, 1);
    lt_handle *h = lt_push_handle(L, LT_SUMMARY, free_summary);
    tier_summary *s = NULL;
    LT_CHECK(L, tier_summary_activity(&s, ds, (tier_time_bucket)bucket, &o));
    h->ptr = s;
    return 1;
}

static int s_size(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)tier_summary_row_count(summary(L, 1)));
    return 1;
}

static int s_columns(lua_State *L)
{
    tier_summary *s = summary(L, 1);
    size_t n = tier_summary_column_count(s);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, tier_summary_column_name(s, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static size_t column_of(lua_State *L, tier_summary *s, int idx)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        lua_Integer c = luaL_checkinteger(L, idx);
        luaL_argcheck(L, c >= 1 && (size_t)c <= tier_summary_column_count(s), idx,
                      "column out of range");
        return (size_t)c - 1;
    }
    size_t c;
    LT_CHECK(L, tier_summary_find_column(&c, s, luaL_checkstring(L, idx)));
    return c;
}

static void push_cell(lua_State *L, tier_summary *s, size_t r, size_t c)
{
    tier_column_type type = TIER_COLUMN_NUMERIC;
    tier_summary_column_type(&type, s, c);
    if (type == TIER_COLUMN_NUMERIC)
        lua_pushnumber(L, tier_summary_value(s, r, c));
    else
        lua_pushstring(L, tier_summary_label(s, r, c));
}

/* s:column(name | index) -> array (labels for a key column, numbers for a statistic) */
static int s_column(lua_State *L)
{
    tier_summary *s = summary(L, 1);
    size_t c = column_of(L, s, 2), n = tier_summary_row_count(s);
    lua_createtable(L, (int)n, 0);
    for (size_t r = 0; r < n; r++) {
        push_cell(L, s, r, c);
        lua_rawseti(L, -2, (lua_Integer)r + 1);
    }
    return 1;
}

/* s:value(row, column) with a 1-based row */
static int s_value(lua_State *L)
{
    tier_summary *s = summary(L, 1);
    lua_Integer r = luaL_checkinteger(L, 2);
    luaL_argcheck(L, r >= 1 && (size_t)r <= tier_summary_row_count(s), 2, "row out of range");
    push_cell(L, s, (size_t)r - 1, column_of(L, s, 3));
    return 1;
}

/* s:rows() -> array of tables keyed by column name */
static int s_rows(lua_State *L)
{
    tier_summary *s = summary(L, 1);
    size_t n = tier_summary_row_count(s), m = tier_summary_column_count(s);
    lua_createtable(L, (int)n, 0);
    for (size_t r = 0; r < n; r++) {
        lua_createtable(L, 0, (int)m);
        for (size_t c = 0; c < m; c++) {
            push_cell(L, s, r, c);
            lua_setfield(L, -2, tier_summary_column_name(s, c));
        }
        lua_rawseti(L, -2, (lua_Integer)r + 1);
    }
    return 1;
}

/* s:levels([key = 1]) -> array of {label=, kind= "value" | "missing" | "total"} */
static int s_levels(lua_State *L)
{
    tier_summary *s = summary(L, 1);
    lua_Integer k = luaL_optinteger(L, 2, 1);
    luaL_argcheck(L, k >= 1 && (size_t)k <= tier_summary_key_count(s), 2, "key out of range");
    static const char *const kinds[] = { "value", "missing", "total" };
    size_t n = tier_summary_level_count(s, (size_t)k - 1);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        int kind = tier_summary_level_kind(s, (size_t)k - 1, i);
        lua_createtable(L, 0, 2);
        lua_pushstring(L, tier_summary_level_label(s, (size_t)k - 1, i));
        lua_setfield(L, -2, "label");
        lua_pushstring(L, kind >= 0 && kind <= 2 ? kinds[kind] : "?");
        lua_setfield(L, -2, "kind");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int s_total(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)tier_summary_total(summary(L, 1)));
    return 1;
}

static int s_excluded(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)tier_summary_excluded(summary(L, 1)));
    return 1;
}

static int s_pivot(lua_State *L)
{
    tier_summary *s = summary(L, 1);
    const char *stat = luaL_optstring(L, 2, "count");
    lt_handle *h = lt_push_handle(L, LT_SUMMARY, free_summary);
    tier_summary *p = NULL;
    LT_CHECK(L, tier_summary_pivot(&p, s, stat));
    h->ptr = p;
    return 1;
}

/* Text collected by the export callback, in memory from the Lua state's allocator (the
 * callback must not raise). The guard frees it if pushing the result fails. */
typedef struct text_buf {
    char *data;
    size_t len, cap;
    lua_Alloc alloc;
    void *ud;
} text_buf;

static int append(void *user, const char *data, size_t len)
{
    text_buf *b = user;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len)
            cap *= 2;
        char *p = b->alloc(b->ud, b->data, b->cap, cap);
        if (!p)
            return 1;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

static void free_text(void *p)
{
    text_buf *b = p;
    if (b->data)
        b->alloc(b->ud, b->data, b->cap, 0);
    b->data = NULL;
}

static int export_text(lua_State *L, tier_export_format format)
{
    tier_summary *s = summary(L, 1);
    text_buf *b = lua_newuserdatauv(L, sizeof *b, 0);
    memset(b, 0, sizeof *b);
    b->alloc = lua_getallocf(L, &b->ud);
    void **guard = lt_push_guard(L, free_text);
    *guard = b; /* b itself is kept alive by the stack */
    tier_clear_error();
    int rc = tier_summary_export(s, format, append, b);
    if (rc < 0)
        lt_fail(L, rc); /* the guard frees the text */
    lua_pushlstring(L, b->data ? b->data : "", b->len);
    *guard = NULL;
    free_text(b);
    return 1;
}

static int s_csv(lua_State *L) { return export_text(L, TIER_EXPORT_CSV); }
static int s_json(lua_State *L) { return export_text(L, TIER_EXPORT_JSON); }

/* s:export(path [, "csv" | "json"]) */
static int s_export(lua_State *L)
{
    tier_summary *s = summary(L, 1);
    const char *path = luaL_checkstring(L, 2);
    static const char *const formats[] = { "csv", "json", NULL };
    static const int format_values[] = { TIER_EXPORT_CSV, TIER_EXPORT_JSON };
    int f = lt_check_option(L, 3, "csv", formats, format_values, "format");
    LT_CHECK(L, tier_summary_export_file(s, (tier_export_format)f, path));
    return 0;
}

void lt_open_summary(lua_State *L)
{
    static const luaL_Reg methods[] = {
        { "size", s_size },
        { "columns", s_columns },
        { "column", s_column },
        { "value", s_value },
        { "rows", s_rows },
        { "levels", s_levels },
        { "total", s_total },
        { "excluded", s_excluded },
        { "pivot", s_pivot },
        { "csv", s_csv },
        { "json", s_json },
        { "export", s_export },
        { NULL, NULL },
    };
    static const luaL_Reg meta[] = {
        { "__len", s_size },
        { NULL, NULL },
    };
    static const luaL_Reg funcs[] = {
        { "summary", l_summary },
        { "activity", l_activity },
        { NULL, NULL },
    };
    lt_new_type(L, LT_SUMMARY, methods, meta);
    luaL_setfuncs(L, funcs, 0);
}
