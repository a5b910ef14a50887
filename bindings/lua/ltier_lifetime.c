/* Customer lifetime value, churn and lifecycle stages (clv.h, churn.h, lifecycle.h).
 * tier.clv{...} makes a scorer (see ltier_scorer.c for the generic methods); the CLV-specific
 * methods are clv_params(), spend_params() and clv_fit_info(). */
#include <math.h>
#include <string.h>

#include "ltier.h"

static void free_scorer(void *p) { tier_scorer_free(p); }
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
