/* clv — customer lifetime value, churn and lifecycle stages from a transaction log.
 *
 *   clv <online_retail.csv.gz> [model.tiermodel]
 *
 * 1. Model check: fits BG/NBD on a calibration period (to 2011-09-01) with tier_clv_fit_csv()
 *    and compares its expected purchases in the holdout period with what customers did.
 * 2. Scoring: fits BG/NBD + Gamma-Gamma on the whole log, writes p_alive, expected_purchases,
 *    expected_spend, clv and p_no_purchase, saves the model, and lists the top customers by CLV.
 * 3. Churn and lifecycle: lifecycle stages, a churn flag from recency, churn rate per stage, and
 *    the first rows of the cohort retention table.
 * The input is the UCI Online Retail file bundled in examples/data (columns InvoiceNo, Quantity,
 * InvoiceDate, UnitPrice, CustomerID). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tier/tier.h"

static int fail(const char *what)
{
    fprintf(stderr, "clv: %s: %s\n", what, tier_last_error());
    return 1;
}

static tier_csv_options retail_csv(void)
{
    tier_csv_options o = TIER_CSV_OPTIONS_INIT;
    o.customer_column = "CustomerID";
    o.time_column = "InvoiceDate";
    o.quantity_column = "Quantity";
    o.price_column = "UnitPrice";
    o.order_column = "InvoiceNo";
    return o;
}

/* Step 1: calibration to 2011-09-01, holdout to the end of the log. */
static int model_check(const char *path)
{
    tier_csv_options csv = retail_csv();
    tier_clv_options o = TIER_CLV_OPTIONS_INIT; /* BG/NBD in weeks */
    int64_t cal_end = 1314835200;               /* 2011-09-01 00:00 UTC */
    tier_scorer *s = NULL;
    tier_dataset *ds = NULL;
    if (tier_clv_fit_csv(&s, &ds, path, &csv, cal_end, &o))
        return fail("calibration fit");
    double p[4], ll;
    size_t n;
    tier_clv_params(p, NULL, s);
    tier_clv_fit_info(&ll, NULL, NULL, &n, NULL, s, TIER_CLV_COUNTS);
    double holdout_weeks = (double)(tier_dataset_as_of(ds) - cal_end) / (7 * 86400.0);
    /* predict over exactly the holdout period */
    tier_clv_options h = o;
    h.x_column = "cal_repeat_count";
    h.t_x_column = "cal_t_x";
    h.T_column = "cal_T";
    h.horizon = holdout_weeks;
    tier_scorer *pred = NULL;
    const double *e, *actual;
    if (tier_clv_new(&pred, &h) || tier_scorer_fit_apply(pred, ds) ||
        tier_dataset_numeric(&e, ds, "expected_purchases") || tier_dataset_numeric(&actual, ds, "holdout_purchases"))
        return fail("holdout prediction");
    double se = 0.0, sa = 0.0;
    for (size_t i = 0; i < tier_dataset_size(ds); i++)
        if (!isnan(e[i])) {
            se += e[i];
            sa += actual[i];
        }
    printf("Calibration to 2011-09-01: %zu customers, BG/NBD r=%.3g alpha=%.3g a=%.3g b=%.3g (LL %.1f)\n", n, p[0],
           p[1], p[2], p[3], ll);
    printf("Holdout (%.1f weeks): predicted %.0f repeat purchase days, actual %.0f\n\n", holdout_weeks, se, sa);
    tier_scorer_free(pred);
    tier_scorer_free(s);
    tier_dataset_free(ds);
    return 0;
}

static int cmp_desc(const void *a, const void *b, const double *v)
{
    double x = v[*(const size_t *)a], y = v[*(const size_t *)b];
    return (y > x) - (y < x);
}
static const double *sort_key;
static int by_key(const void *a, const void *b) { return cmp_desc(a, b, sort_key); }

/* Step 2: the whole log, with spend. */
static int score(tier_dataset *ds, const char *model_path)
{
    tier_clv_options o = TIER_CLV_OPTIONS_INIT;
    /* The literature's spend input: each customer's mean value of REPEAT purchase days (the
     * first purchase excluded), kept by every dataset as repeat_spend. */
    o.spend_column = "repeat_spend";
    o.horizon = 52.0;        /* one year, in weeks */
    o.discount_rate = 0.10;  /* per year */
    tier_scorer *s = NULL;
    if (tier_clv_new(&s, &o) || tier_scorer_fit_apply(s, ds))
        return fail("fit");
    double g[3];
    tier_clv_spend_params(g, s);
    printf("Gamma-Gamma p=%.3f q=%.3f gamma=%.3f\n", g[0], g[1], g[2]);
    if (model_path && tier_scorer_save(s, model_path))
        return fail("save");
    const double *clv, *pa, *e;
    if (tier_dataset_numeric(&clv, ds, "clv") || tier_dataset_numeric(&pa, ds, "p_alive") ||
        tier_dataset_numeric(&e, ds, "expected_purchases"))
        return fail("outputs");
    size_t n = tier_dataset_size(ds), m = 0;
    size_t *idx = malloc(n * sizeof *idx);
    for (size_t i = 0; i < n; i++)
        if (!isnan(clv[i]))
            idx[m++] = i;
    sort_key = clv;
    qsort(idx, m, sizeof *idx, by_key);
    printf("Top customers by 1-year CLV:\n  %-10s %8s %10s %10s\n", "customer", "P(alive)", "E[purch.]", "CLV");
    for (size_t k = 0; k < 5 && k < m; k++)
        printf("  %-10s %8.3f %10.2f %10.2f\n", tier_dataset_customer_id(ds, idx[k]), pa[idx[k]], e[idx[k]],
               clv[idx[k]]);
    free(idx);
    tier_scorer_free(s);
    return 0;
}

/* Step 3: lifecycle stages, churn per stage, cohort retention. */
static int churn(tier_dataset *ds)
{
    double gap;
    if (tier_lifecycle_assign(&gap, ds, NULL))
        return fail("lifecycle");
    /* On this log the fitted dropout probability is tiny (P(alive) is near 1 for almost everyone),
     * so the flag uses the recency rule: churned after 90 days without a purchase. */
    tier_churn_options co = TIER_CHURN_OPTIONS_INIT;
    co.rule = TIER_CHURN_RECENCY;
    co.recency_days = 90.0;
    tier_churn_table *t = NULL;
    if (tier_churn_flag(ds, &co) || tier_churn_rates(&t, ds, NULL, "lifecycle"))
        return fail("churn");
    printf("\nLifecycle (default gap %.1f days) and churn rate (90 days without a purchase):\n", gap);
    for (size_t i = 0; i <= tier_churn_table_size(t); i++) {
        size_t n, c;
        double r;
        tier_churn_table_row(&n, &c, NULL, &r, t, i);
        const char *name = i == tier_churn_table_size(t) ? "all" : tier_churn_table_group(t, i);
        printf("  %-12s %6zu customers, churn rate %5.1f%%\n", name ? name : "(none)", n, 100.0 * r);
    }
    tier_churn_table_free(t);
    tier_cohort_table *ct = NULL;
    if (tier_cohort_retention(&ct, ds))
        return fail("cohorts");
    printf("\nCohort retention (share of each cohort buying k months later):\n");
    for (size_t c = 0; c < 4 && c < tier_cohort_table_cohorts(ct); c++) {
        size_t size;
        tier_cohort_table_cell(&size, NULL, NULL, ct, c, 0);
        printf("  %s %4zu:", tier_cohort_table_label(ct, c), size);
        for (size_t k = 1; k < 7; k++) {
            double r;
            tier_cohort_table_cell(NULL, NULL, &r, ct, c, k);
            printf(" %5.1f%%", 100.0 * r);
        }
        printf("\n");
    }
    tier_cohort_table_free(ct);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: clv <online_retail.csv.gz> [model.tiermodel]\n");
        return 2;
    }
    if (model_check(argv[1]))
        return 1;
    tier_csv_options csv = retail_csv();
    tier_dataset *ds = NULL;
    if (tier_dataset_load_csv(&ds, NULL, argv[1], &csv))
        return fail("load");
    int rc = score(ds, argc > 2 ? argv[2] : NULL) || churn(ds);
    tier_dataset_free(ds);
    return rc;
}
