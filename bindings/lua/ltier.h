/* Shared declarations of the Lua 5.4 module `tier` (bindings/lua/ltier*.c).
 *
 * Model: Lua's own liolib.c. Every libtier handle is a full userdata holding an lt_handle;
 * its metatable (named "tier.<type>") has the methods in __index and one idempotent close
 * function for close(), __gc and __close. Functions check their handles with lt_check()
 * (luaL_checkudata plus a "closed" check) and raise the library's message on failure.
 *
 * Rules that keep the library safe from Lua errors:
 * - A Lua error (longjmp) must never cross a libtier frame. So everything that can raise —
 *   allocation of userdata, strings or tables, conversions — happens before or after a
 *   library call, never in a callback except inside lua_pcall (see ltier_scorer.c).
 * - Userdata are allocated before the C object they will hold, so a memory error cannot
 *   leak a freshly created handle.
 * - Scratch arrays for a call are userdata on the stack: collected even after an error.
 * - A handle borrowed from another (a what-if's assignment, a dataset lent to a callback)
 *   keeps its owner alive through its user value and checks, on every use, that the owner
 *   is still open: using it after the owner was closed raises instead of reading freed
 *   memory.
 */
#ifndef LTIER_H
#define LTIER_H

#include <stddef.h>
#include <stdint.h>

#include <lauxlib.h>
#include <lua.h>

#include <tier/tier.h>

/* Metatable names. */
#define LT_DATASET "tier.dataset"
#define LT_COLUMN "tier.column"
#define LT_SCORER "tier.scorer"
#define LT_AHP "tier.ahp"
#define LT_HIERARCHY "tier.ahp_hierarchy"
#define LT_RULES "tier.rules"
#define LT_ASSIGNMENT "tier.assignment"
#define LT_WHATIF "tier.whatif"
#define LT_SUMMARY "tier.summary"

struct lt_strategy;

/* The content of every handle userdata. */
typedef struct lt_handle {
    void *ptr;                  /* the libtier object; NULL once closed */
    void (*free_fn)(void *);    /* releases ptr; NULL for a borrowed object */
    struct lt_handle *owner;    /* for a borrowed object: the owner (kept alive by the user
                                   value); it must still be open for this one to be used */
    const char *tname;          /* metatable name, for messages */
    unsigned long generation;   /* dataset: incremented by every mutation (column views) */
    int busy;                   /* dataset: read by a running scorer; scorer: running */
    int readonly;               /* dataset lent to a callback */
    unsigned int n_threads;     /* dataset: its thread setting */
    struct lt_strategy *strategy; /* scorer: the Lua strategy behind a custom scorer */
} lt_handle;

/* ---- ltier.c: handles, errors, conversions ----------------------------------------------- */

/* Pushes a new handle userdata of type tname holding nothing yet (ptr NULL); 1 user value. */
lt_handle *lt_push_handle(lua_State *L, const char *tname, void (*free_fn)(void *));
/* Pushes a handle borrowed from the owner at stack index owner_idx. */
lt_handle *lt_push_borrowed(lua_State *L, const char *tname, void *ptr, int owner_idx);
/* The open handle at idx of type tname, or raises. */
lt_handle *lt_check(lua_State *L, int idx, const char *tname);
/* The same for an optional argument: NULL when none or nil. */
lt_handle *lt_opt(lua_State *L, int idx, const char *tname);
/* Whether a handle (and its owner, transitively) is open. */
int lt_is_open(const lt_handle *h);
/* Closes a handle (frees an owned object); idempotent. */
void lt_close_handle(lua_State *L, lt_handle *h);
/* The shared close/__gc/__close function: closes the handle at index 1 of any tier type. */
int lt_close(lua_State *L);
/* Registers metatable tname with methods (also __index) and metamethods. */
void lt_new_type(lua_State *L, const char *tname, const luaL_Reg *methods,
                 const luaL_Reg *metamethods);

/* Raises the library's message for status rc (< 0). */
int lt_fail(lua_State *L, int rc);
/* Raises unless rc is TIER_OK; returns rc otherwise. */
#define LT_CHECK(L, call)                                                                    \
    do {                                                                                     \
        int lt_rc_;                                                                          \
        tier_clear_error();                                                                  \
        lt_rc_ = (call);                                                                     \
        if (lt_rc_ < 0)                                                                      \
            lt_fail((L), lt_rc_);                                                            \
    } while (0)
/* Re-raises a Lua error recorded by a failed callback, if any; call after a library call
 * that may run callbacks (before raising the library's own error). */
void lt_rethrow_callback_error(lua_State *L);
/* Records the error object on top of the stack (popping it) as the pending callback error.
 * Never raises. */
void lt_record_callback_error(lua_State *L);
/* Clears the pending callback error. Never raises. */
void lt_clear_callback_error(lua_State *L);

/* Picks an enum value by name from names[] (NULL-terminated); values[] parallel. */
int lt_check_option(lua_State *L, int idx, const char *def, const char *const names[],
                    const int values[], const char *what);
/* Seconds since the epoch from an integer, an integral float, or "YYYY-MM-DD[ HH:MM[:SS]]"
 * (UTC; 'T' also separates). */
int64_t lt_check_time(lua_State *L, int idx, const char *what);
/* As lt_check_time(); nil/none gives TIER_AS_OF_AUTO. */
int64_t lt_opt_time(lua_State *L, int idx, const char *what);
/* A customer id from a string or a number (integral floats lose their ".0"); the string is
 * stored in the anchor table at anchor_idx[key] so the pointer stays valid. */
const char *lt_id_string(lua_State *L, int value_idx, int anchor_idx, lua_Integer key);

/* Pushes a guard: a userdata whose __gc calls free_fn(*slot) unless *slot is NULL. Store a
 * library object in *slot right after creating it, so that a Lua error (e.g. out of memory
 * while converting it) cannot leak it; set *slot = NULL after releasing it yourself. */
void **lt_push_guard(lua_State *L, void (*free_fn)(void *));

/* Scratch arrays (userdata pushed on the stack, collected by the GC). */
void *lt_scratch(lua_State *L, size_t n, size_t size);
/* Array of n C strings from table t (1..n); nil/false entries become NULL when allow_null,
 * else raise. Numbers become strings (ids normalised when ids != 0). Pushes 2 values (the
 * anchor table and the array). */
const char **lt_string_array(lua_State *L, int t, size_t n, int allow_null, int ids,
                             const char *what);
/* Array of n doubles from table t; nil/false become NaN. Pushes 1 value. */
double *lt_double_array(lua_State *L, int t, size_t n, const char *what);
/* Array of n times from table t. Pushes 1 value. */
int64_t *lt_time_array(lua_State *L, int t, size_t n, const char *what);
/* The length of the array at t, which must be a table. */
size_t lt_array_len(lua_State *L, int t, const char *what);
/* Pushes a Lua array of n doubles / strings. */
void lt_push_doubles(lua_State *L, const double *v, size_t n);
/* Field helpers for option tables (t may be 0 = no table). */
const char *lt_opt_field_string(lua_State *L, int t, const char *key, const char *def);
lua_Number lt_opt_field_number(lua_State *L, int t, const char *key, lua_Number def);
lua_Integer lt_opt_field_integer(lua_State *L, int t, const char *key, lua_Integer def);
int lt_opt_field_boolean(lua_State *L, int t, const char *key, int def);
/* Pushes t[key] (any type); returns its type. */
int lt_field(lua_State *L, int t, const char *key);

/* ---- registration of each part (ltier_*.c) ----------------------------------------------- */

/* A Lua progress function for a CSV load. */
typedef struct lt_progress {
    lua_State *L;
    int fn; /* stack index of the Lua function, 0 for none */
} lt_progress;

/* Fills o from the CSV option table at t (0 = none; `as_of` only when load is set); leaves
 * helper arrays on the stack for the duration of the call. */
void lt_csv_options(lua_State *L, int t, tier_csv_options *o, lt_progress *pc, int load);

void lt_open_dataset(lua_State *L);   /* module table at -1 */
void lt_open_scorer(lua_State *L);
void lt_open_ahp(lua_State *L);
void lt_open_rules(lua_State *L);
void lt_open_summary(lua_State *L);
void lt_open_lifetime(lua_State *L); /* after lt_open_scorer */

/* ---- ltier_dataset.c, used by the other parts -------------------------------------------- */

/* The dataset at idx for reading (open). */
tier_dataset *lt_dataset(lua_State *L, int idx);
/* The dataset at idx for a mutation: open, not lent to a callback, not being scored; bumps
 * its generation so column views re-read their data. */
tier_dataset *lt_dataset_mutable(lua_State *L, int idx);
/* Pushes a read-only dataset lent to a callback (close it after the callback). */
lt_handle *lt_push_lent_dataset(lua_State *L, const tier_dataset *ds);

/* Codes (0-based, TIER_MISSING_CODE for nil/false) and a dictionary in order of first
 * appearance for the strings at t[1..n]; pushes 3 values. */
int32_t *lt_factorize(lua_State *L, int t, size_t n, const char ***dict, size_t *n_dict);

/* ---- ltier_scorer.c, used by lt_close_handle() ------------------------------------------- */

/* Tells a Lua strategy which thread the next callbacks (destroy included) run on. */
void lt_strategy_set_thread(struct lt_strategy *s, lua_State *L);

/* The module entry point, the only exported symbol (the module is built with hidden
 * visibility). */
#if defined(__GNUC__)
#define LT_EXPORT __attribute__((visibility("default")))
#else
#define LT_EXPORT
#endif
LT_EXPORT LUAMOD_API int luaopen_tier(lua_State *L);

#endif /* LTIER_H */
