/* Customer lifetime value, churn and lifecycle stages (clv.h, churn.h, lifecycle.h).
 * tier.clv{...} makes a scorer (see ltier_scorer.c for the generic methods); the CLV-specific
 * methods are clv_params(), spend_params() and clv_fit_info(). tier.clv_fit_csv() is the
 * one-call calibration fit; tier.clv_loglik(), clv_predict(), clv_spend_loglik() and
 * clv_spend_expected() evaluate a model with given parameters on plain arrays. */
#include <math.h>
#include <string.h>

#include "ltier.h"

static void free_scorer(void *p) { tier_scorer_free(p); }
static void free_dataset(void *p) { tier_dataset_free(p); }
static void free_churn(void *p) { tier_churn_table_free(p); }
static void free_cohort(void *p) { tier_cohort_table_free(p); }

static tier_clv_options clv_options(lua_State *L, int t)
{
    tier_clv_options o;
    tier_clv_options_init(&o, TIER_CLV_OPTIONS_VERSION);
    if (t && !lua_isnoneornil(L, t))
        luaL_checktype(L, t, LUA_TTABLE);
    else
        t = 0;
    static const char *const models[] = { "bgnbd", "pareto_nbd", NULL };
    static const int model_values[] = { TIER_CLV_BGNBD, TIER_CLV_PARETO_NBD };
    lt_field(L, t, "model");
    o.model = (tier_clv_model)lt_check_option(L, -1, "bgnbd", models, model_values, "model");
    static const char *const units[] = { "weeks", "days", NULL };
    static const int unit_values[] = { TIER_CLV_WEEKS, TIER_CLV_DAYS };
    lt_field(L, t, "unit");
    o.unit = (tier_clv_unit)lt_check_option(L, -1, "weeks", units, unit_values, "unit");
    o.x_column = lt_opt_field_string(L, t, "x", NULL);
    o.t_x_column = lt_opt_field_string(L, t, "t_x", NULL);
    o.T_column = lt_opt_field_string(L, t, "T", NULL);
    o.spend_column = lt_opt_field_string(L, t, "spend", NULL);
    o.horizon = (double)lt_opt_field_number(L, t, "horizon", o.horizon);
    o.discount_rate = (double)lt_opt_field_number(L, t, "discount_rate", o.discount_rate);
    lua_Integer dp = lt_opt_field_integer(L, t, "discount_periods", o.discount_periods);
    lua_Integer ns = lt_opt_field_integer(L, t, "n_starts", o.n_starts);
    lua_Integer mi = lt_opt_field_integer(L, t, "max_iter", o.max_iter);
    lua_Integer nt = lt_opt_field_integer(L, t, "n_threads", 0);
    luaL_argcheck(L, dp >= 0 && dp <= 0x7fffffff && ns >= 0 && ns <= 0x7fffffff && mi >= 0 &&
                  mi <= 0x7fffffff && nt >= 0 && nt <= 4096, t, "option out of range");
    o.discount_periods = (unsigned int)dp;
    o.n_starts = (unsigned int)ns;
    o.max_iter = (unsigned int)mi;
    o.n_threads = (unsigned int)nt;
    o.margin = (double)lt_opt_field_number(L, t, "margin", o.margin);
    o.tol = (double)lt_opt_field_number(L, t, "tol", o.tol);
    o.seed = (uint64_t)lt_opt_field_integer(L, t, "seed", 0);
    o.accept_unconverged = lt_opt_field_boolean(L, t, "accept_unconverged", 0);
    o.output_prefix = lt_opt_field_string(L, t, "prefix", NULL);
    return o;
}

/* tier.clv{model=, unit=, x=, t_x=, T=, spend=, horizon=, discount_rate=, ...} */
static int l_clv(lua_State *L)
{
    tier_clv_options o = clv_options(L, 1);
    lt_handle *h = lt_push_handle(L, LT_SCORER, free_scorer);
    tier_scorer *sc = NULL;
    LT_CHECK(L, tier_clv_new(&sc, &o));
    h->ptr = sc;
    return 1;
}

static tier_scorer *clv(lua_State *L, int idx) { return lt_check(L, idx, LT_SCORER)->ptr; }

/* sc:clv_params() -> {r=, alpha=, a=, b=} or {r=, alpha=, s=, beta=}, model name */
static int m_clv_params(lua_State *L)
{
    double p[4];
    tier_clv_model model;
    LT_CHECK(L, tier_clv_params(p, &model, clv(L, 1)));
    static const char *const bg[] = { "r", "alpha", "a", "b" };
    static const char *const pn[] = { "r", "alpha", "s", "beta" };
    lua_createtable(L, 0, 4);
    for (int i = 0; i < 4; i++) {
        lua_pushnumber(L, p[i]);
        lua_setfield(L, -2, model == TIER_CLV_BGNBD ? bg[i] : pn[i]);
    }
    lua_pushstring(L, model == TIER_CLV_BGNBD ? "bgnbd" : "pareto_nbd");
    return 2;
}

static int m_spend_params(lua_State *L)
{
    double p[3];
    LT_CHECK(L, tier_clv_spend_params(p, clv(L, 1)));
    static const char *const names[] = { "p", "q", "gamma" };
    lua_createtable(L, 0, 3);
    for (int i = 0; i < 3; i++) {
        lua_pushnumber(L, p[i]);
        lua_setfield(L, -2, names[i]);
    }
    return 1;
}

/* sc:clv_fit_info(["counts" | "spend"]) -> {loglik=, n_iter=, converged=, n_customers=, n_agree=} */
static int m_clv_fit_info(lua_State *L)
{
    tier_scorer *sc = clv(L, 1);
    static const char *const parts[] = { "counts", "spend", NULL };
    static const int part_values[] = { TIER_CLV_COUNTS, TIER_CLV_SPEND };
    int part = lt_check_option(L, 2, "counts", parts, part_values, "part");
    double ll;
    unsigned int iters, agree;
    int converged;
    size_t n;
    LT_CHECK(L, tier_clv_fit_info(&ll, &iters, &converged, &n, &agree, sc, (tier_clv_part)part));
    lua_createtable(L, 0, 5);
    lua_pushnumber(L, ll);
    lua_setfield(L, -2, "loglik");
    lua_pushinteger(L, iters);
    lua_setfield(L, -2, "n_iter");
    lua_pushboolean(L, converged);
    lua_setfield(L, -2, "converged");
    lua_pushinteger(L, (lua_Integer)n);
    lua_setfield(L, -2, "n_customers");
    lua_pushinteger(L, agree);
    lua_setfield(L, -2, "n_agree");
    return 1;
}

/* tier.clv_calibration_split(ds, calibration_end) */
static int l_calibration_split(lua_State *L)
{
    lt_check(L, 1, LT_DATASET);
    int64_t end = lt_check_time(L, 2, "calibration_end");
    LT_CHECK(L, tier_clv_calibration_split(lt_dataset_mutable(L, 1), end));
    return 0;
}

/* tier.clv_holdout(calibration, full) */
static int l_holdout(lua_State *L)
{
    lt_check(L, 1, LT_DATASET);
    tier_dataset *full = lt_dataset(L, 2);
    LT_CHECK(L, tier_clv_holdout(lt_dataset_mutable(L, 1), full));
    return 0;
}

/* tier.churn_flag(ds [, {rule=, column=, p_alive_threshold=, recency_days=, output=}]) */
static int l_churn_flag(lua_State *L)
{
    lt_check(L, 1, LT_DATASET);
    int t = lua_istable(L, 2) ? 2 : 0;
    if (!t && !lua_isnoneornil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    tier_churn_options o;
    tier_churn_options_init(&o, TIER_CHURN_OPTIONS_VERSION);
    static const char *const rules[] = { "p_alive", "recency", NULL };
    static const int rule_values[] = { TIER_CHURN_P_ALIVE, TIER_CHURN_RECENCY };
    lt_field(L, t, "rule");
    o.rule = (tier_churn_rule)lt_check_option(L, -1, "p_alive", rules, rule_values, "rule");
    o.column = lt_opt_field_string(L, t, "column", NULL);
    o.output = lt_opt_field_string(L, t, "output", NULL);
    o.p_alive_threshold = (double)lt_opt_field_number(L, t, "p_alive_threshold",
                                                      o.p_alive_threshold);
    o.recency_days = (double)lt_opt_field_number(L, t, "recency_days", o.recency_days);
    LT_CHECK(L, tier_churn_flag(lt_dataset_mutable(L, 1), &o));
    return 0;
}

static void push_churn_row(lua_State *L, const tier_churn_table *c, size_t i, const char *group)
{
    size_t customers, churned, unknown;
    double rate;
    LT_CHECK(L, tier_churn_table_row(&customers, &churned, &unknown, &rate, c, i));
    lua_createtable(L, 0, 5);
    if (group) {
        lua_pushstring(L, group);
        lua_setfield(L, -2, "group");
    }
    lua_pushinteger(L, (lua_Integer)customers);
    lua_setfield(L, -2, "customers");
    lua_pushinteger(L, (lua_Integer)churned);
    lua_setfield(L, -2, "churned");
    lua_pushinteger(L, (lua_Integer)unknown);
    lua_setfield(L, -2, "unknown");
    lua_pushnumber(L, rate);
    lua_setfield(L, -2, "churn_rate");
}

/* tier.churn_rates(ds [, flag_column [, group_column]]) -> array of rows ({group=, customers=,
 * churned=, unknown=, churn_rate=}; group nil for customers without a group), with `total` */
static int l_churn_rates(lua_State *L)
{
    tier_dataset *ds = lt_dataset(L, 1);
    const char *flag = luaL_optstring(L, 2, NULL);
    const char *group = luaL_optstring(L, 3, NULL);
    void **guard = lt_push_guard(L, free_churn);
    tier_churn_table *c = NULL;
    LT_CHECK(L, tier_churn_rates(&c, ds, flag, group));
    *guard = c;
    size_t n = tier_churn_table_size(c);
    lua_createtable(L, (int)n, 1);
    for (size_t i = 0; i < n; i++) {
        push_churn_row(L, c, i, tier_churn_table_group(c, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    push_churn_row(L, c, n, "total");
    lua_setfield(L, -2, "total");
    *guard = NULL;
    tier_churn_table_free(c);
    return 1;
}

/* tier.cohort_retention(ds) -> {labels=, sizes=, active={{...}}, rates={{...}}} */
static int l_cohort_retention(lua_State *L)
{
    tier_dataset *ds = lt_dataset(L, 1);
    void **guard = lt_push_guard(L, free_cohort);
    tier_cohort_table *c = NULL;
    LT_CHECK(L, tier_cohort_retention(&c, ds));
    *guard = c;
    size_t nc = tier_cohort_table_cohorts(c), no = tier_cohort_table_offsets(c);
    lua_createtable(L, 0, 4);
    int out = lua_gettop(L);
    lua_createtable(L, (int)nc, 0); /* labels */
    lua_createtable(L, (int)nc, 0); /* sizes */
    lua_createtable(L, (int)nc, 0); /* active */
    lua_createtable(L, (int)nc, 0); /* rates */
    for (size_t k = 0; k < nc; k++) {
        lua_pushstring(L, tier_cohort_table_label(c, k));
        lua_rawseti(L, out + 1, (lua_Integer)k + 1);
        lua_createtable(L, (int)no, 0);
        lua_createtable(L, (int)no, 0);
        size_t size = 0;
        for (size_t j = 0; j < no; j++) {
            size_t active;
            double rate;
            LT_CHECK(L, tier_cohort_table_cell(&size, &active, &rate, c, k, j));
            lua_pushinteger(L, (lua_Integer)active);
            lua_rawseti(L, -3, (lua_Integer)j + 1);
            lua_pushnumber(L, rate);
            lua_rawseti(L, -2, (lua_Integer)j + 1);
        }
        lua_rawseti(L, out + 4, (lua_Integer)k + 1);
        lua_rawseti(L, out + 3, (lua_Integer)k + 1);
        lua_pushinteger(L, (lua_Integer)size);
        lua_rawseti(L, out + 2, (lua_Integer)k + 1);
    }
    lua_setfield(L, out, "rates");
    lua_setfield(L, out, "active");
    lua_setfield(L, out, "sizes");
    lua_setfield(L, out, "labels");
    *guard = NULL;
    tier_cohort_table_free(c);
    return 1;
}

/* tier.lifecycle(ds [, {new_days=, active_factor=, ..., output=}]) -> default gap (days) */
static int l_lifecycle(lua_State *L)
{
    lt_check(L, 1, LT_DATASET);
    int t = lua_istable(L, 2) ? 2 : 0;
    if (!t && !lua_isnoneornil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    tier_lifecycle_options o;
    tier_lifecycle_options_init(&o, TIER_LIFECYCLE_OPTIONS_VERSION);
    o.new_days = (double)lt_opt_field_number(L, t, "new_days", o.new_days);
    o.active_factor = (double)lt_opt_field_number(L, t, "active_factor", o.active_factor);
    o.at_risk_factor = (double)lt_opt_field_number(L, t, "at_risk_factor", o.at_risk_factor);
    o.dormant_factor = (double)lt_opt_field_number(L, t, "dormant_factor", o.dormant_factor);
    o.default_gap_days = (double)lt_opt_field_number(L, t, "default_gap_days",
                                                     o.default_gap_days);
    o.min_gap_days = (double)lt_opt_field_number(L, t, "min_gap_days", o.min_gap_days);
    o.max_gap_days = (double)lt_opt_field_number(L, t, "max_gap_days", o.max_gap_days);
    o.output = lt_opt_field_string(L, t, "output", NULL);
    double gap;
    LT_CHECK(L, tier_lifecycle_assign(&gap, lt_dataset_mutable(L, 1), &o));
    lua_pushnumber(L, gap);
    return 1;
}

/* tier.clv_fit_csv(path, calibration_end [, csv_options [, clv_options]]) -> scorer, dataset */
static int l_fit_csv(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    int64_t end = lt_check_time(L, 2, "calibration_end");
    tier_csv_options csv;
    lt_progress pc;
    lt_csv_options(L, 3, &csv, &pc, 1);
    tier_clv_options o = clv_options(L, 4);
    lt_handle *sh = lt_push_handle(L, LT_SCORER, free_scorer);
    int sidx = lua_gettop(L);
    lt_handle *dh = lt_push_handle(L, LT_DATASET, free_dataset);
    int didx = lua_gettop(L);
    tier_scorer *sc = NULL;
    tier_dataset *ds = NULL;
    lt_clear_callback_error(L);
    tier_clear_error();
    int rc = tier_clv_fit_csv(&sc, &ds, path, &csv, end, &o);
    sh->ptr = sc;
    dh->ptr = ds;
    dh->n_threads = csv.n_threads;
    if (rc < 0) {
        lt_rethrow_callback_error(L);
        lt_fail(L, rc);
    }
    lua_pushvalue(L, sidx);
    lua_pushvalue(L, didx);
    return 2;
}

/* Reads model parameters at idx: an array of `count` numbers, or a table by name. */
static void model_params(lua_State *L, int idx, double *p, size_t count, tier_clv_model model)
{
    static const char *const bgnbd[] = { "r", "alpha", "a", "b" };
    static const char *const pareto[] = { "r", "alpha", "s", "beta" };
    static const char *const spend[] = { "p", "q", "gamma" };
    const char *const *names = count == 3 ? spend : model == TIER_CLV_PARETO_NBD ? pareto : bgnbd;
    luaL_checktype(L, idx, LUA_TTABLE);
    int by_name = lua_geti(L, idx, 1) == LUA_TNIL;
    lua_pop(L, 1);
    for (size_t k = 0; k < count; k++) {
        int type = by_name ? lua_getfield(L, idx, names[k]) : lua_geti(L, idx, (lua_Integer)k + 1);
        if (type != LUA_TNUMBER)
            luaL_error(L, "parameter '%s' must be a number, got %s", names[k], luaL_typename(L, -1));
        p[k] = (double)lua_tonumber(L, -1);
        lua_pop(L, 1);
    }
}

/* Reads `k` arrays of one length starting at stack index first; returns the length. */
static size_t model_arrays(lua_State *L, int first, size_t k, const double **out)
{
    static const char *const names[] = { "x", "t_x", "T" };
    static const char *const spend[] = { "x", "m" };
    const char *const *what = k == 2 ? spend : names;
    size_t n = lt_array_len(L, first, what[0]);
    for (size_t j = 0; j < k; j++) {
        if (lt_array_len(L, first + (int)j, what[j]) != n)
            luaL_error(L, "%s and %s must have the same length", what[0], what[j]);
        out[j] = lt_double_array(L, first + (int)j, n, what[j]);
    }
    return n;
}

static tier_clv_model opt_model(lua_State *L, int idx)
{
    static const char *const models[] = { "bgnbd", "pareto_nbd", NULL };
    static const int model_values[] = { TIER_CLV_BGNBD, TIER_CLV_PARETO_NBD };
    return (tier_clv_model)lt_check_option(L, idx, "bgnbd", models, model_values, "model");
}

/* A count model on plain arrays: the parameters at params_idx, then x, t_x and T. */
static int count_model_call(lua_State *L, int params_idx, tier_clv_model model, int predict,
                            tier_clv_prediction what, double horizon)
{
    double p[4];
    model_params(L, params_idx, p, 4, model);
    const double *a[3];
    size_t n = model_arrays(L, params_idx + 1, 3, a);
    double *out = lt_scratch(L, n, sizeof *out);
    LT_CHECK(L, predict ? tier_clv_predict(out, what, model, p, n, a[0], a[1], a[2], horizon)
                        : tier_clv_loglik(out, model, p, n, a[0], a[1], a[2]));
    lt_push_doubles(L, out, n);
    return 1;
}

/* tier.clv_loglik(params, x, t_x, T [, model]) -> {log-likelihood per customer} */
static int l_loglik(lua_State *L)
{
    return count_model_call(L, 1, opt_model(L, 5), 0, TIER_CLV_P_ALIVE, 0.0);
}

/* tier.clv_predict(what, params, x, t_x, T, horizon [, model]) -> {value per customer} */
static int l_predict(lua_State *L)
{
    static const char *const whats[] = { "p_alive", "expected_purchases", "p_no_purchase", NULL };
    static const int what_values[] = { TIER_CLV_P_ALIVE, TIER_CLV_EXPECTED_PURCHASES,
                                       TIER_CLV_P_NO_PURCHASE };
    tier_clv_prediction what =
        (tier_clv_prediction)lt_check_option(L, 1, NULL, whats, what_values, "prediction");
    double horizon = (double)luaL_checknumber(L, 6);
    return count_model_call(L, 2, opt_model(L, 7), 1, what, horizon);
}

/* tier.clv_spend_loglik(params, x, m) and tier.clv_spend_expected(params, x, m) */
static int spend_call(lua_State *L, int expected)
{
    double p[3];
    model_params(L, 1, p, 3, TIER_CLV_BGNBD);
    const double *a[2];
    size_t n = model_arrays(L, 2, 2, a);
    double *out = lt_scratch(L, n, sizeof *out);
    LT_CHECK(L, expected ? tier_clv_spend_expected(out, p, n, a[0], a[1])
                         : tier_clv_spend_loglik(out, p, n, a[0], a[1]));
    lt_push_doubles(L, out, n);
    return 1;
}
static int l_spend_loglik(lua_State *L) { return spend_call(L, 0); }
static int l_spend_expected(lua_State *L) { return spend_call(L, 1); }

void lt_open_lifetime(lua_State *L)
{
    static const luaL_Reg scorer_methods[] = {
        { "clv_params", m_clv_params },
        { "spend_params", m_spend_params },
        { "clv_fit_info", m_clv_fit_info },
        { NULL, NULL },
    };
    static const luaL_Reg funcs[] = {
        { "clv", l_clv },
        { "clv_calibration_split", l_calibration_split },
        { "clv_holdout", l_holdout },
        { "clv_fit_csv", l_fit_csv },
        { "clv_loglik", l_loglik },
        { "clv_predict", l_predict },
        { "clv_spend_loglik", l_spend_loglik },
        { "clv_spend_expected", l_spend_expected },
        { "churn_flag", l_churn_flag },
        { "churn_rates", l_churn_rates },
        { "cohort_retention", l_cohort_retention },
        { "lifecycle", l_lifecycle },
        { NULL, NULL },
    };
    /* the CLV methods join the scorer's method table */
    luaL_getmetatable(L, LT_SCORER);
    lua_getfield(L, -1, "methods");
    luaL_setfuncs(L, scorer_methods, 0);
    lua_pop(L, 2);
    luaL_setfuncs(L, funcs, 0);
}
