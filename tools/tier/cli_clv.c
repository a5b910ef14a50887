/* CLV options and fitting shared by `tier score --clv`, `tier clv`, `tier report --clv` and the
 * demo: BG/NBD or Pareto/NBD for purchase counts plus Gamma-Gamma for spend (clv.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
    OPT_CLV_MODEL = 301, OPT_UNIT, OPT_HORIZON, OPT_DISCOUNT, OPT_MARGIN, OPT_SPEND,
    OPT_UNCONVERGED
};

const cli_opt clv_options[] = {
    { "clv-model", 0, "MODEL", OPT_CLV_MODEL, "purchase-count model: bgnbd (BG/NBD, default) or "
      "pareto (Pareto/NBD)" },
    { "unit", 0, "UNIT", OPT_UNIT, "time unit of the model and the horizon: weeks (default) or "
      "days" },
    { "horizon", 0, "N", OPT_HORIZON, "prediction horizon in units (default: one year, 52 weeks "
      "or 365 days)" },
    { "discount-rate", 0, "D", OPT_DISCOUNT, "annual discount rate of the CLV, e.g. 0.1 for 10% "
      "(default 0.1)" },
    { "margin", 0, "M", OPT_MARGIN, "share of spend that is profit, multiplied into the CLV "
      "(default 1)" },
    { "spend", 0, "COL", OPT_SPEND, "mean repeat-purchase value for the Gamma-Gamma spend model "
      "(default: repeat_spend; 'none' for no spend model)" },
    { "accept-unconverged", 0, NULL, OPT_UNCONVERGED, "use the best point of a fit that did not "
      "converge instead of failing" },
    { NULL, 0, NULL, 0, NULL },
};

void clv_cfg_init(clv_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->model = TIER_CLV_BGNBD;
    c->unit = TIER_CLV_WEEKS;
    c->horizon = NAN;
    c->discount_rate = 0.1;
    c->margin = 1.0;
    c->spend_column = "repeat_spend";
}

static double arg_double(const char *opt, const char *s, double lo, double hi)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !(v >= lo && v <= hi))
        die(EXIT_USAGE, "%s: '%s' is not a number from %g to %g", opt, s, lo, hi);
    return v;
}

int clv_option(clv_cfg *c, int id, const char *arg)
{
    static const char *const models[] = { "bgnbd", "pareto", NULL };
    static const char *const units[] = { "days", "weeks", NULL };
    switch (id) {
    case OPT_CLV_MODEL:
        c->model = arg_choice("--clv-model", arg, models) ? TIER_CLV_PARETO_NBD : TIER_CLV_BGNBD;
        return 1;
    case OPT_UNIT:
        c->unit = arg_choice("--unit", arg, units) ? TIER_CLV_WEEKS : TIER_CLV_DAYS;
        return 1;
    case OPT_HORIZON: c->horizon = arg_double("--horizon", arg, 0, 1e6); return 1;
    case OPT_DISCOUNT: c->discount_rate = arg_double("--discount-rate", arg, 0, 100); return 1;
    case OPT_MARGIN: c->margin = arg_double("--margin", arg, -1e6, 1e6); return 1;
    case OPT_SPEND: c->spend_column = strcmp(arg, "none") == 0 ? NULL : arg; return 1;
    case OPT_UNCONVERGED: c->accept_unconverged = 1; return 1;
    default: return 0;
    }
}

double clv_horizon(const clv_cfg *c)
{
    if (!isnan(c->horizon))
        return c->horizon;
    return c->unit == TIER_CLV_WEEKS ? 52.0 : 365.0;
}

void clv_options_of(tier_clv_options *o, const clv_cfg *c)
{
    tier_clv_options_init(o, TIER_CLV_OPTIONS_VERSION);
    o->model = c->model;
    o->unit = c->unit;
    o->horizon = clv_horizon(c);
    o->discount_rate = c->discount_rate;
    o->margin = c->margin;
    o->spend_column = c->spend_column;
    o->accept_unconverged = c->accept_unconverged;
}

int clv_fit(tier_scorer **out, tier_dataset *ds, const clv_cfg *c)
{
    *out = NULL;
    tier_clv_options o;
    clv_options_of(&o, c);
    tier_scorer *s = NULL;
    int rc = tier_clv_new(&s, &o);
    if (rc == TIER_OK)
        rc = tier_scorer_fit_apply(s, ds);
    if (rc) {
        tier_scorer_free(s);
        return rc;
    }
    *out = s;
    return TIER_OK;
}

_Noreturn void clv_die(int rc)
{
    if (rc == TIER_ENOTCONVERGED)
        die(EXIT_DATA, "%s (--accept-unconverged uses the best point found)", tier_last_error());
    die_lib(rc, rc == TIER_EINVAL || rc == TIER_ENOTFOUND || rc == TIER_ETYPE ? EXIT_USAGE
                                                                                : EXIT_DATA);
}

static const char *unit_name(tier_clv_unit u)
{
    return u == TIER_CLV_WEEKS ? "weeks" : "days";
}

/* A fit whose likelihood is largest at 0 or infinity says so: converged, that is the no-dropout
 * limit (the NBD model); kept unconverged, the parameters only approximate the limit. */
static void print_limits(FILE *f, const tier_scorer *s, tier_clv_part part,
                         const char *const *names, int converged)
{
    unsigned limits = 0;
    if (tier_clv_fit_diagnostics(NULL, &limits, s, part) != TIER_OK || !limits)
        return;
    fprintf(f, "  note: the likelihood is largest at a limit of the model (");
    const char *sep = "";
    for (unsigned j = 0; j < (part == TIER_CLV_SPEND ? 3u : 4u); j++)
        if (limits & (1u << j)) {
            fprintf(f, "%s%s", sep, names[j]);
            sep = ", ";
        }
    fprintf(f, " -> 0 or infinity)%s\n",
            converged ? ": no dropout, the NBD model" : "; the values shown approximate it");
}

void print_clv_fit(FILE *f, const tier_scorer *s, const clv_cfg *c)
{
    double p[4], ll;
    tier_clv_model model;
    unsigned iter, agree;
    int conv;
    size_t n;
    if (tier_clv_params(p, &model, s) ||
        tier_clv_fit_info(&ll, &iter, &conv, &n, &agree, s, TIER_CLV_COUNTS))
        die_lib(TIER_ERROR, EXIT_INTERNAL);
    static const char *const bg[] = { "r", "alpha", "a", "b" }, *const pn[] = { "r", "alpha", "s",
                                                                                 "beta" };
    char b[48];
    tier_clv_options o;
    clv_options_of(&o, c);
    fprintf(f, "%s (time unit: %s), fitted on %s customers\n",
            model == TIER_CLV_BGNBD ? "BG/NBD" : "Pareto/NBD", unit_name(c->unit),
            fmt_int(b, (double)n));
    for (int i = 0; i < 4; i++)
        fprintf(f, "  %-6s %.6g\n", (model == TIER_CLV_BGNBD ? bg : pn)[i], p[i]);
    fprintf(f, "  log-likelihood %.4f, %u iterations, %s (%u of %u starts agree)\n", ll, iter,
            conv ? "converged" : "NOT converged", agree, o.n_starts);
    print_limits(f, s, TIER_CLV_COUNTS, model == TIER_CLV_BGNBD ? bg : pn, conv);
    double g[3];
    if (c->spend_column && tier_clv_spend_params(g, s) == TIER_OK &&
        tier_clv_fit_info(&ll, &iter, &conv, &n, &agree, s, TIER_CLV_SPEND) == TIER_OK) {
        fprintf(f, "Gamma-Gamma spend model on %s, fitted on %s customers\n", c->spend_column,
                fmt_int(b, (double)n));
        fprintf(f, "  p      %.6g\n  q      %.6g\n  gamma  %.6g\n", g[0], g[1], g[2]);
        fprintf(f, "  log-likelihood %.4f, %u iterations, %s (%u of %u starts agree)\n", ll,
                iter, conv ? "converged" : "NOT converged", agree, o.n_starts);
        static const char *const gg[] = { "p", "q", "gamma" };
        print_limits(f, s, TIER_CLV_SPEND, gg, conv);
    }
    tier_clear_error();
}
