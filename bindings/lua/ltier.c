/* The Lua 5.4 module `tier`: handles, errors, conversions, tier.safe and luaopen_tier.
 * See ltier.h for the rules every part follows. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ltier.h"

/* Registry keys (addresses of these statics): the pending callback error, and the status of
 * the last library failure (read by tier.safe). */
static const char cb_error_key = 'e';
static const char status_key = 's';

/* ---- handles ------------------------------------------------------------------------------ */

lt_handle *lt_push_handle(lua_State *L, const char *tname, void (*free_fn)(void *))
{
    lt_handle *h = lua_newuserdatauv(L, sizeof *h, 1);
    memset(h, 0, sizeof *h);
    h->free_fn = free_fn;
    h->tname = tname;
    luaL_setmetatable(L, tname);
    return h;
}

lt_handle *lt_push_borrowed(lua_State *L, const char *tname, void *ptr, int owner_idx)
{
    owner_idx = lua_absindex(L, owner_idx);
    lt_handle *owner = lua_touserdata(L, owner_idx);
    lt_handle *h = lt_push_handle(L, tname, NULL);
    h->ptr = ptr;
    h->owner = owner;
    lua_pushvalue(L, owner_idx); /* the user value keeps the owner alive */
    lua_setiuservalue(L, -2, 1);
    return h;
}

int lt_is_open(const lt_handle *h)
{
    for (; h; h = h->owner)
        if (!h->ptr)
            return 0;
    return 1;
}

static lt_handle *check_type(lua_State *L, int idx, const char *tname)
{
    return luaL_checkudata(L, idx, tname);
}

lt_handle *lt_check(lua_State *L, int idx, const char *tname)
{
    lt_handle *h = check_type(L, idx, tname);
    if (!h->ptr)
        luaL_error(L, "attempt to use a closed %s", tname);
    if (!lt_is_open(h))
        luaL_error(L, "attempt to use a %s whose owner (%s) is closed", tname, h->owner->tname);
    return h;
}

lt_handle *lt_opt(lua_State *L, int idx, const char *tname)
{
    return lua_isnoneornil(L, idx) ? NULL : lt_check(L, idx, tname);
}

void lt_close_handle(lua_State *L, lt_handle *h)
{
    void *p = h->ptr;
    h->ptr = NULL;
    if (p && h->strategy)
        lt_strategy_set_thread(h->strategy, L); /* destroy runs now, on this thread */
    if (p && h->free_fn)
        h->free_fn(p);
    h->strategy = NULL; /* freed by the destroy callback */
}

int lt_close(lua_State *L)
{
    lt_handle *h = lua_touserdata(L, 1);
    if (!h || !lua_getmetatable(L, 1))
        return luaL_argerror(L, 1, "a tier handle expected");
    lua_getfield(L, -1, "__name");
    const char *name = lua_tostring(L, -1);
    if (!name || strncmp(name, "tier.", 5) != 0)
        return luaL_argerror(L, 1, "a tier handle expected");
    lua_pop(L, 2);
    if (h->busy && h->ptr)
        return luaL_error(L, "cannot close a %s while the library is using it", h->tname);
    lt_close_handle(L, h);
    return 0;
}

static int lt_closed(lua_State *L)
{
    lt_handle *h = lua_touserdata(L, 1);
    luaL_argcheck(L, h != NULL, 1, "a tier handle expected");
    lua_pushboolean(L, !lt_is_open(h));
    return 1;
}

static int lt_tostring(lua_State *L)
{
    lt_handle *h = lua_touserdata(L, 1);
    if (!lt_is_open(h))
        lua_pushfstring(L, "%s (closed)", h->tname);
    else
        lua_pushfstring(L, "%s (%p)", h->tname, h->ptr);
    return 1;
}

void lt_new_type(lua_State *L, const char *tname, const luaL_Reg *methods,
                 const luaL_Reg *metamethods)
{
    luaL_newmetatable(L, tname);
    luaL_setfuncs(L, metamethods, 0);
    lua_pushcfunction(L, lt_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, lt_close);
    lua_setfield(L, -2, "__close");
    lua_getfield(L, -1, "__tostring");
    if (lua_isnil(L, -1)) {
        lua_pushcfunction(L, lt_tostring);
        lua_setfield(L, -3, "__tostring");
    }
    lua_pop(L, 1);
    lua_getfield(L, -1, "__index");
    int has_index = !lua_isnil(L, -1);
    lua_pop(L, 1);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_pushcfunction(L, lt_close);
    lua_setfield(L, -2, "close");
    lua_pushcfunction(L, lt_closed);
    lua_setfield(L, -2, "is_closed");
    if (!has_index) {
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, "__index");
    }
    lua_setfield(L, -2, "methods"); /* metatable.methods */
    lua_pop(L, 1);
}

/* ---- errors ------------------------------------------------------------------------------- */

int lt_fail(lua_State *L, int rc)
{
    const char *msg = tier_last_error_status() == rc ? tier_last_error() : "";
    if (!msg[0])
        msg = tier_status_str(rc);
    lua_pushinteger(L, rc);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &status_key);
    lua_pushstring(L, msg);
    return lua_error(L);
}

void lt_record_callback_error(lua_State *L)
{
    /* Only the first error of a call is kept: later ones are consequences. */
    lua_rawgetp(L, LUA_REGISTRYINDEX, &cb_error_key);
    int pending = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (pending || lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    lua_rawsetp(L, LUA_REGISTRYINDEX, &cb_error_key); /* the key exists: no allocation */
}

void lt_clear_callback_error(lua_State *L)
{
    lua_pushboolean(L, 0);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &cb_error_key);
}

void lt_rethrow_callback_error(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &cb_error_key);
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    lt_clear_callback_error(L);
    lua_error(L); /* the user's own error object, unchanged */
}

/* ---- options and conversions -------------------------------------------------------------- */

int lt_check_option(lua_State *L, int idx, const char *def, const char *const names[],
                    const int values[], const char *what)
{
    const char *name = def ? luaL_optstring(L, idx, def) : luaL_checkstring(L, idx);
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], name) == 0)
            return values[i];
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 0; names[i]; i++) {
        luaL_addstring(&b, i ? ", '" : "'");
        luaL_addstring(&b, names[i]);
        luaL_addchar(&b, '\'');
    }
    luaL_pushresult(&b);
    return luaL_error(L, "invalid %s '%s' (expected one of %s)", what, name,
                      lua_tostring(L, -1));
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    /* Howard Hinnant's algorithm: days since 1970-01-01 of a proleptic Gregorian date. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int parse_time(const char *s, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return 0;
    s += n;
    if (*s == ' ' || *s == 'T') {
        int m2 = 0;
        if (sscanf(s + 1, "%2d:%2d%n", &h, &mi, &m2) != 2 || m2 != 5)
            return 0;
        s += 1 + m2;
        if (*s == ':') {
            if (sscanf(s + 1, "%2d%n", &sec, &m2) != 1 || m2 != 2)
                return 0;
            s += 3;
        }
    }
    if (*s == 'Z')
        s++;
    if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
        return 0;
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
        return 0;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    return 1;
}

int64_t lt_check_time(lua_State *L, int idx, const char *what)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        if (lua_isinteger(L, idx))
            return (int64_t)lua_tointeger(L, idx);
        lua_Number x = lua_tonumber(L, idx);
        if (x != floor(x) || fabs(x) > 9.2e18)
            luaL_error(L, "%s %f is not a whole number of seconds", what, (double)x);
        return (int64_t)x;
    }
    if (lua_type(L, idx) == LUA_TSTRING) {
        int64_t t;
        if (parse_time(lua_tostring(L, idx), &t))
            return t;
        luaL_error(L, "%s '%s' is not a date (YYYY-MM-DD[ HH:MM[:SS]], UTC)", what,
                   lua_tostring(L, idx));
    }
    luaL_error(L, "%s must be seconds since the epoch or a date string, got %s", what,
               luaL_typename(L, idx));
    return 0;
}

int64_t lt_opt_time(lua_State *L, int idx, const char *what)
{
    return lua_isnoneornil(L, idx) ? TIER_AS_OF_AUTO : lt_check_time(L, idx, what);
}

const char *lt_id_string(lua_State *L, int value_idx, int anchor_idx, lua_Integer key)
{
    value_idx = lua_absindex(L, value_idx);
    anchor_idx = lua_absindex(L, anchor_idx);
    switch (lua_type(L, value_idx)) {
    case LUA_TSTRING:
        return lua_tostring(L, value_idx);
    case LUA_TNUMBER:
        if (lua_isinteger(L, value_idx)) {
            lua_pushfstring(L, "%I", lua_tointeger(L, value_idx));
        } else {
            lua_Number x = lua_tonumber(L, value_idx);
            if (x != x)
                luaL_error(L, "customer id #%I is NaN", key);
            if (x == floor(x) && fabs(x) < 9.0e15)
                lua_pushfstring(L, "%I", (lua_Integer)x);
            else
                lua_pushfstring(L, "%f", x);
        }
        lua_pushvalue(L, -1);
        lua_rawseti(L, anchor_idx, key); /* keeps the string alive */
        {
            const char *s = lua_tostring(L, -1);
            lua_pop(L, 1);
            return s;
        }
    default:
        luaL_error(L, "customer id #%I must be a string or a number, got %s", key,
                   luaL_typename(L, value_idx));
        return NULL;
    }
}

typedef struct lt_guard {
    void *ptr;
    void (*free_fn)(void *);
} lt_guard;

static int guard_gc(lua_State *L)
{
    lt_guard *g = lua_touserdata(L, 1);
    void *p = g->ptr;
    g->ptr = NULL;
    if (p)
        g->free_fn(p);
    return 0;
}

void **lt_push_guard(lua_State *L, void (*free_fn)(void *))
{
    lt_guard *g = lua_newuserdatauv(L, sizeof *g, 0);
    g->ptr = NULL;
    g->free_fn = free_fn;
    if (luaL_newmetatable(L, "tier.guard")) {
        lua_pushcfunction(L, guard_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return &g->ptr;
}

void *lt_scratch(lua_State *L, size_t n, size_t size)
{
    if (n && size > (size_t)-1 / n)
        luaL_error(L, "array too large");
    return lua_newuserdatauv(L, n ? n * size : 1, 0);
}

size_t lt_array_len(lua_State *L, int t, const char *what)
{
    if (lua_type(L, t) != LUA_TTABLE)
        luaL_error(L, "%s must be a table (array), got %s", what, luaL_typename(L, t));
    return (size_t)luaL_len(L, t);
}

const char **lt_string_array(lua_State *L, int t, size_t n, int allow_null, int ids,
                             const char *what)
{
    t = lua_absindex(L, t);
    lua_createtable(L, 0, 0); /* anchor for converted strings */
    int anchor = lua_gettop(L);
    const char **a = lt_scratch(L, n, sizeof *a);
    for (size_t i = 0; i < n; i++) {
        lua_geti(L, t, (lua_Integer)i + 1);
        if (lua_isnil(L, -1) || (lua_isboolean(L, -1) && !lua_toboolean(L, -1))) {
            if (!allow_null)
                luaL_error(L, "%s #%d is missing", what, (int)i + 1);
            a[i] = NULL;
        } else if (lua_type(L, -1) == LUA_TSTRING) {
            a[i] = lua_tostring(L, -1); /* the table t keeps it alive */
        } else if (lua_type(L, -1) == LUA_TNUMBER) {
            if (ids) {
                a[i] = lt_id_string(L, -1, anchor, (lua_Integer)i + 1);
            } else {
                luaL_tolstring(L, -1, NULL);
                lua_pushvalue(L, -1);
                lua_rawseti(L, anchor, (lua_Integer)i + 1);
                a[i] = lua_tostring(L, -1);
                lua_pop(L, 1);
            }
        } else {
            luaL_error(L, "%s #%d must be a string, got %s", what, (int)i + 1,
                       luaL_typename(L, -1));
        }
        lua_pop(L, 1);
    }
    return a;
}

double *lt_double_array(lua_State *L, int t, size_t n, const char *what)
{
    t = lua_absindex(L, t);
    double *a = lt_scratch(L, n, sizeof *a);
    for (size_t i = 0; i < n; i++) {
        int type = lua_geti(L, t, (lua_Integer)i + 1);
        if (type == LUA_TNUMBER)
            a[i] = (double)lua_tonumber(L, -1);
        else if (type == LUA_TNIL || (type == LUA_TBOOLEAN && !lua_toboolean(L, -1)))
            a[i] = NAN;
        else
            luaL_error(L, "%s #%d must be a number, got %s", what, (int)i + 1,
                       luaL_typename(L, -1));
        lua_pop(L, 1);
    }
    return a;
}

int64_t *lt_time_array(lua_State *L, int t, size_t n, const char *what)
{
    t = lua_absindex(L, t);
    int64_t *a = lt_scratch(L, n, sizeof *a);
    for (size_t i = 0; i < n; i++) {
        lua_geti(L, t, (lua_Integer)i + 1);
        a[i] = lt_check_time(L, -1, what);
        lua_pop(L, 1);
    }
    return a;
}

void lt_push_doubles(lua_State *L, const double *v, size_t n)
{
    lua_createtable(L, (int)(n < 0x7fffffff ? n : 0), 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushnumber(L, (lua_Number)v[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

int lt_field(lua_State *L, int t, const char *key)
{
    if (!t) {
        lua_pushnil(L);
        return LUA_TNIL;
    }
    return lua_getfield(L, t, key);
}

const char *lt_opt_field_string(lua_State *L, int t, const char *key, const char *def)
{
    int type = lt_field(L, t, key);
    const char *s = def;
    if (type == LUA_TSTRING)
        s = lua_tostring(L, -1); /* the option table keeps it alive */
    else if (type != LUA_TNIL)
        luaL_error(L, "option '%s' must be a string, got %s", key, luaL_typename(L, -1));
    lua_pop(L, 1);
    return s;
}

lua_Number lt_opt_field_number(lua_State *L, int t, const char *key, lua_Number def)
{
    int type = lt_field(L, t, key);
    lua_Number x = def;
    if (type == LUA_TNUMBER)
        x = lua_tonumber(L, -1);
    else if (type != LUA_TNIL)
        luaL_error(L, "option '%s' must be a number, got %s", key, luaL_typename(L, -1));
    lua_pop(L, 1);
    return x;
}

lua_Integer lt_opt_field_integer(lua_State *L, int t, const char *key, lua_Integer def)
{
    int type = lt_field(L, t, key);
    lua_Integer x = def;
    if (type != LUA_TNIL) {
        int ok = 0;
        x = lua_tointegerx(L, -1, &ok);
        if (!ok)
            luaL_error(L, "option '%s' must be an integer, got %s", key, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    return x;
}

int lt_opt_field_boolean(lua_State *L, int t, const char *key, int def)
{
    int type = lt_field(L, t, key);
    int b = type == LUA_TNIL ? def : lua_toboolean(L, -1);
    lua_pop(L, 1);
    return b;
}

/* ---- tier.safe ---------------------------------------------------------------------------- */

/* Calls upvalue 1 with the arguments; on error returns nil, message[, status]. */
static int safe_call(lua_State *L)
{
    int n = lua_gettop(L);
    lua_pushnil(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &status_key);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    if (lua_pcall(L, n, LUA_MULTRET, 0) == LUA_OK)
        return lua_gettop(L);
    lua_pushnil(L);
    lua_insert(L, -2);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &status_key);
    return 3;
}

/* Copies the functions of the table at src into a new table of safe wrappers. */
static void push_safe_table(lua_State *L, int src)
{
    src = lua_absindex(L, src);
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, src)) {
        if (lua_type(L, -2) == LUA_TSTRING && lua_iscfunction(L, -1)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_pushcclosure(L, safe_call, 1);
            lua_settable(L, -4);
        } else {
            lua_pop(L, 1);
        }
    }
}

/* tier.safe.call(obj, "method", ...): obj:method(...), or nil, message[, status] on error. */
static int safe_method(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_checkany(L, 1);
    const char *name = luaL_checkstring(L, 2);
    lua_pushnil(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &status_key);
    if (lua_getfield(L, 1, name) != LUA_TFUNCTION) { /* through __index: the methods */
        lua_pushnil(L);
        lua_pushfstring(L, "%s has no method '%s'", luaL_typename(L, 1), name);
        return 2;
    }
    lua_replace(L, 2); /* method, obj, args... */
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_replace(L, 1);
    lua_replace(L, 2);
    if (lua_pcall(L, n - 1, LUA_MULTRET, 0) == LUA_OK)
        return lua_gettop(L);
    lua_pushnil(L);
    lua_insert(L, -2);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &status_key);
    return 3;
}

static void add_safe(lua_State *L)
{
    int mod = lua_gettop(L);
    push_safe_table(L, mod);
    lua_pushcfunction(L, safe_method);
    lua_setfield(L, -2, "call");
    lua_setfield(L, mod, "safe");
}

/* ---- module ------------------------------------------------------------------------------- */

static int l_status_string(lua_State *L)
{
    lua_pushstring(L, tier_status_str((int)luaL_checkinteger(L, 1)));
    return 1;
}

LT_EXPORT LUAMOD_API int luaopen_tier(lua_State *L)
{
    unsigned int v = tier_version_number();
    if (v / 10000 != TIER_VERSION_MAJOR || v / 100 % 100 < TIER_VERSION_MINOR)
        return luaL_error(L, "tier: the loaded libtier is %s but this module was built for "
                          "%s (same major version, same or later minor needed)",
                          tier_version_string(), TIER_VERSION_STRING);
    lt_clear_callback_error(L);
    lua_pushnil(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &status_key);

    static const luaL_Reg funcs[] = {
        { "status_string", l_status_string },
        { NULL, NULL },
    };
    luaL_newlib(L, funcs);
    lua_pushstring(L, tier_version_string());
    lua_setfield(L, -2, "version");
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, "version_number");
    lua_pushnumber(L, (lua_Number)NAN);
    lua_setfield(L, -2, "nan");

    lt_open_dataset(L);
    lt_open_scorer(L);
    lt_open_ahp(L);
    lt_open_rules(L);
    lt_open_summary(L);
    lt_open_lifetime(L);
    add_safe(L);
    return 1;
}
