/* The HTML report: one self-contained file (inline CSS and SVG, no script, no network) with
 * key figures, the tier distribution, customers per tier per month, frequency vs monetary,
 * the R × F heat map, tier and segment tables, a tier × country pivot and the run's
 * parameters; with CLV columns (tier report --clv, tier demo) also the CLV distribution per
 * tier, P(alive) against recency and the cohort retention heat map. Every number comes from
 * the library (summaries, RFM summaries, CLV predictions and cohort tables). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "svg_chart.h"

#define MAX_GROUPS 64
#define PIVOT_ROWS 15

static const char *const css =
    ":root{--ink:#1e293b;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:var(--bg);color:var(--ink);"
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}"
    "main{max-width:1200px;margin:0 auto;padding:24px}"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:16px;margin:0 0 10px}"
    ".sub{color:var(--muted);margin:0 0 20px}"
    ".kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;"
    "margin-bottom:16px}"
    ".kpi{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px}"
    ".kpi .v{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums}"
    ".kpi .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}"
    ".charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:16px;"
    "margin-bottom:16px}"
    ".card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px;"
    "margin:0 0 16px}"
    "figure.card{margin:0}"
    "figcaption{color:var(--muted);font-size:12px;margin-top:6px}"
    "svg.chart{width:100%;height:auto;display:block}"
    ".chart-title{font-size:15px;font-weight:600;fill:var(--ink)}"
    ".tick{font-size:11px;fill:#475569;font-variant-numeric:tabular-nums}"
    ".axis-title{font-size:12px;fill:#334155}"
    ".legend{font-size:12px;fill:#334155}"
    ".legend.num,.legend.share{text-anchor:end;font-variant-numeric:tabular-nums}"
    ".legend.share{fill:var(--muted)}"
    "line.grid{stroke:#e2e8f0}line.grid.minor{stroke:#f1f5f9}line.axis{stroke:#94a3b8}"
    ".center-value{font-size:28px;font-weight:700;text-anchor:middle;fill:var(--ink)}"
    ".center-label{font-size:12px;text-anchor:middle;fill:var(--muted)}"
    ".cell-value{font-size:12px;text-anchor:middle;font-variant-numeric:tabular-nums}"
    ".note{font-size:11px;fill:var(--muted)}"
    ".pt{fill-opacity:.75}"
    ".table-wrap{overflow-x:auto}"
    "table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}"
    "th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:right;"
    "white-space:nowrap}"
    "th:first-child,td:first-child{text-align:left}"
    "td.text,th.text{text-align:left;white-space:normal}"
    "th{font-size:12px;color:var(--muted);font-weight:600}"
    "tr.total td{font-weight:650;border-top:2px solid #cbd5e1}"
    ".sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:7px}"
    "dl.params{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:0}"
    "dt{color:var(--muted)}dd{margin:0}"
    "pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:10px;"
    "overflow-x:auto;font-size:12px}"
    "footer{color:var(--muted);font-size:12px;margin-top:8px}"
    "@media print{body{background:#fff}.card,.kpi{break-inside:avoid}}";

/* ---- groups (tiers or segments) and their colours ------------------------------------------ */

typedef struct groups {
    size_t n;
    const char *names[MAX_GROUPS];
    const char *labels[MAX_GROUPS];
    const char *colors[MAX_GROUPS];
    const int32_t *codes;       /* per customer, the column's dictionary codes */
    int32_t map[4096];          /* dictionary code -> group (-1 none) */
    size_t n_dict;
    const char *column;
} groups;

static const char *const palette[] = { "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                       "#edc948", "#b07aa1", "#ff9da7", "#9c755f" };
#define NEUTRAL "#c3cad4"

/* Metal tier names get their colours; others take the palette in order. */
static const char *tier_color(const char *name, size_t *next)
{
    static const struct { const char *name, *color; } metals[] = {
        { "Diamond", "#2f6fd6" }, { "Platinum", "#6d5fb0" }, { "Gold", "#e2a400" },
        { "Silver", "#6f7f95" }, { "Bronze", "#b8733a" },
    };
    for (size_t i = 0; i < sizeof metals / sizeof metals[0]; i++)
        if (strcmp(name, metals[i].name) == 0)
            return metals[i].color;
    return palette[(*next)++ % (sizeof palette / sizeof palette[0])];
}

static void load_groups(groups *g, const tier_dataset *ds, const report_cfg *cfg)
{
    memset(g, 0, sizeof *g);
    g->column = cfg->group_column;
    const char *const *dict;
    int rc = tier_dataset_categorical(&g->codes, &dict, &g->n_dict, ds, g->column);
    if (rc)
        die_lib(rc, EXIT_INTERNAL);
    if (g->n_dict > 4096)
        die(EXIT_DATA, "%s has %zu values: too many to chart", g->column, g->n_dict);
    size_t n = cfg->rules ? tier_rules_tier_count(cfg->rules) : g->n_dict;
    if (n > MAX_GROUPS)
        n = MAX_GROUPS;
    size_t next = 0;
    for (size_t i = 0; i < n; i++) {
        g->names[i] = cfg->rules ? tier_rules_tier_name(cfg->rules, i) : dict[i];
        g->labels[i] = cfg->rules ? tier_rules_tier_label(cfg->rules, i) : dict[i];
        int last = i + 1 == n;
        int neutral = last && (cfg->rules || strcmp(g->names[i], "Others") == 0);
        g->colors[i] = neutral ? NEUTRAL : tier_color(g->names[i], &next);
    }
    g->n = n;
    for (size_t c = 0; c < g->n_dict; c++) {
        g->map[c] = -1;
        for (size_t i = 0; i < n; i++)
            if (strcmp(dict[c], g->names[i]) == 0)
                g->map[c] = (int32_t)i;
    }
}

static int group_of(const groups *g, size_t row)
{
    int32_t c = g->codes[row];
    return c < 0 || (size_t)c >= g->n_dict ? -1 : g->map[c];
}

static chart_groups chart_of(const groups *g)
{
    chart_groups c = { g->n, g->names, g->colors };
    return c;
}

/* One statistic per group, from a summary grouped by the group column. */
static void group_stat(double *out, const groups *g, const tier_dataset *ds, const char *value,
                       const char *stat)
{
    tier_summary_options o = TIER_SUMMARY_OPTIONS_INIT;
    o.by[0] = g->column;
    o.value = value;
    tier_summary *s = NULL;
    int rc = tier_summary_new(&s, ds, &o);
    if (rc)
        die_lib(rc, EXIT_INTERNAL);
    char name[96];
    if (value)
        snprintf(name, sizeof name, "%s_%s", value, stat);
    else
        snprintf(name, sizeof name, "%s", stat);
    size_t col;
    if ((rc = tier_summary_find_column(&col, s, name)))
        die_lib(rc, EXIT_INTERNAL);
    for (size_t i = 0; i < g->n; i++)
        out[i] = strcmp(stat, "count") == 0 || strcmp(stat, "sum") == 0 ? 0 : NAN;
    for (size_t r = 0; r < tier_summary_row_count(s); r++) {
        const char *label = tier_summary_label(s, r, 0);
        for (size_t i = 0; i < g->n; i++)
            if (tier_summary_level_kind(s, 0, (size_t)tier_summary_key(s, r, 0)) == TIER_LEVEL_VALUE &&
                strcmp(label, g->names[i]) == 0)
                out[i] = tier_summary_value(s, r, col);
    }
    tier_summary_free(s);
}

/* ---- small HTML helpers --------------------------------------------------------------------- */

static void swatch(FILE *f, const char *color)
{
    fprintf(f, "<span class=\"sw\" style=\"background:%s\"></span>", color);
}

static void td_num(FILE *f, const char *s)
{
    fputs("<td>", f);
    xml_text(f, s);
    fputs("</td>", f);
}

static void kpi(FILE *f, const char *value, const char *label)
{
    fputs("<div class=\"kpi\"><div class=\"v\">", f);
    xml_text(f, value);
    fputs("</div><div class=\"l\">", f);
    xml_text(f, label);
    fputs("</div></div>\n", f);
}

static double column_sum(const tier_dataset *ds, const char *name, double *min, double *max)
{
    const double *v;
    double s = 0, c = 0;
    *min = INFINITY;
    *max = -INFINITY;
    if (tier_dataset_numeric(&v, ds, name) != TIER_OK)
        return NAN;
    for (size_t i = 0; i < tier_dataset_size(ds); i++) {
        if (isnan(v[i]))
            continue;
        double t = s + v[i]; /* Neumaier: exact enough for money totals */
        c += fabs(s) >= fabs(v[i]) ? (s - t) + v[i] : (v[i] - t) + s;
        s = t;
        *min = fmin(*min, v[i]);
        *max = fmax(*max, v[i]);
    }
    return s + c;
}

/* ---- sections ------------------------------------------------------------------------------- */

static void header(FILE *f, const tier_dataset *ds, const report_cfg *cfg)
{
    char b[6][48], d1[32], d2[32], d3[32];
    double mn, mx, mn2, mx2;
    double revenue = column_sum(ds, "monetary", &mn, &mx);
    double orders = column_sum(ds, "frequency", &mn2, &mx2);
    double first_min, first_max, last_min, last_max;
    column_sum(ds, "first_purchase", &first_min, &first_max);
    column_sum(ds, "last_purchase", &last_min, &last_max);
    fputs("<header><h1>", f);
    xml_text(f, cfg->title);
    fputs("</h1><p class=\"sub\">", f);
    if (cfg->info && cfg->info->source) {
        const char *base = strrchr(cfg->info->source, '/');
        xml_text(f, base ? base + 1 : cfg->info->source);
        fputs(" · ", f);
    }
    if (isfinite(first_min) && isfinite(last_max))
        fprintf(f, "purchases from %s to %s · ", fmt_date(d1, (int64_t)first_min),
                fmt_date(d2, (int64_t)last_max));
    fprintf(f, "analysis date %s", fmt_date(d3, tier_dataset_as_of(ds)));
    if (cfg->rules_path) {
        fputs(" · rules ", f);
        const char *base = strrchr(cfg->rules_path, '/');
        xml_text(f, base ? base + 1 : cfg->rules_path);
    }
    fputs("</p></header>\n<section class=\"kpis\">\n", f);
    kpi(f, fmt_int(b[0], (double)tier_dataset_size(ds)), "customers");
    kpi(f, fmt_int(b[1], orders), "orders");
    kpi(f, fmt_int(b[2], revenue), "net revenue");
    kpi(f, fmt_fixed(b[3], orders > 0 ? revenue / orders : NAN, 2), "average order value");
    kpi(f, fmt_fixed(b[4], revenue / (double)tier_dataset_size(ds), 2), "revenue per customer");
    if (cfg->info && !cfg->info->from_dataset)
        kpi(f, fmt_int(b[5], (double)cfg->info->rows_used), "transaction rows");
    fputs("</section>\n", f);
}

static void donut(FILE *f, const tier_dataset *ds, const groups *g, const report_cfg *cfg)
{
    double counts[MAX_GROUPS];
    group_stat(counts, g, ds, NULL, "count");
    double total = 0;
    for (size_t i = 0; i < g->n; i++)
        total += counts[i];
    chart_groups cg = chart_of(g);
    char b[48];
    fputs("<figure class=\"card\">", f);
    svg_donut(f, cfg->rules ? "Customers per tier" : "Customers per RFM segment", &cg, counts,
              fmt_int(b, total), "customers");
    double missing = (double)tier_dataset_size(ds) - total;
    fputs("<figcaption>", f);
    if (cfg->rules)
        fputs("Tier of every customer at the analysis date (first matching rule, then the "
              "movement policy).", f);
    else
        fputs("Named RFM segment of every scored customer.", f);
    if (missing > 0)
        fprintf(f, " %s customers have none (not scored).", fmt_int(b, missing));
    fputs("</figcaption></figure>\n", f);
}

static void monthly(FILE *f, const tier_dataset *ds, const groups *g)
{
    tier_summary_options o = TIER_SUMMARY_OPTIONS_INIT;
    o.by[0] = g->column;
    tier_summary *s = NULL, *grid = NULL;
    int rc = tier_summary_activity(&s, ds, TIER_BUCKET_MONTH, &o);
    if (rc == TIER_OK)
        rc = tier_summary_pivot(&grid, s, "count");
    if (rc)
        die_lib(rc, EXIT_INTERNAL);
    size_t n_x = tier_summary_row_count(grid);
    const char **labels = calloc(n_x ? n_x : 1, sizeof *labels);
    double *values = calloc((n_x ? n_x : 1) * g->n, sizeof *values);
    if (!labels || !values)
        die(EXIT_INTERNAL, "out of memory");
    for (size_t x = 0; x < n_x; x++)
        labels[x] = tier_summary_label(grid, x, 0);
    for (size_t c = 1; c < tier_summary_column_count(grid); c++)
        for (size_t k = 0; k < g->n; k++)
            if (strcmp(tier_summary_column_name(grid, c), g->names[k]) == 0)
                for (size_t x = 0; x < n_x; x++)
                    values[k * n_x + x] = tier_summary_value(grid, x, c);
    chart_groups cg = chart_of(g);
    fputs("<figure class=\"card\">", f);
    svg_stacked_bars(f, g->column && strcmp(g->column, "tier") == 0
                            ? "Active customers per month, by tier"
                            : "Active customers per month, by segment",
                     "month", "customers with a purchase", n_x, labels, &cg,
                     values);
    fputs("<figcaption>A customer counts in every month in which it bought something (returns "
          "do not count), in the colour of its current tier.", f);
    /* the last month is partial when the data ends before the month does */
    if (n_x > 0) {
        int64_t start = tier_summary_bucket_start(grid, n_x - 1);
        double mn, last;
        column_sum(ds, "last_purchase", &mn, &last);
        char d[32];
        if (isfinite(last) && (int64_t)last - start < 27 * 86400)
            fprintf(f, " The last month is partial: the data ends on %s.", fmt_date(d, (int64_t)last));
    }
    fputs("</figcaption></figure>\n", f);
    free(labels);
    free(values);
    tier_summary_free(s);
    tier_summary_free(grid);
}

static uint64_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    h ^= h >> 33; /* finalise so that similar ids spread */
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void scatter(FILE *f, const tier_dataset *ds, const groups *g, const report_cfg *cfg)
{
    const double *freq, *mon;
    if (tier_dataset_numeric(&freq, ds, "frequency") || tier_dataset_numeric(&mon, ds, "monetary"))
        die_lib(TIER_ERROR, EXIT_INTERNAL);
    size_t n = tier_dataset_size(ds), eligible = 0, hidden = 0;
    uint64_t *h = malloc((n ? n : 1) * sizeof *h);
    if (!h)
        die(EXIT_INTERNAL, "out of memory");
    for (size_t r = 0; r < n; r++) {
        if (group_of(g, r) < 0)
            continue;
        if (freq[r] >= 1 && mon[r] > 0)
            h[eligible++] = hash_id(tier_dataset_customer_id(ds, r));
        else
            hidden++;
    }
    /* a deterministic uniform sample: the customers with the smallest id hashes */
    uint64_t cut = UINT64_MAX;
    size_t max = cfg->max_points ? cfg->max_points : 2000;
    if (eligible > max) {
        qsort(h, eligible, sizeof *h, cmp_u64);
        cut = h[max - 1];
    }
    size_t m = eligible < max ? eligible : max;
    double *x = malloc((m ? m : 1) * sizeof *x), *y = malloc((m ? m : 1) * sizeof *y);
    int *grp = malloc((m ? m : 1) * sizeof *grp);
    if (!x || !y || !grp)
        die(EXIT_INTERNAL, "out of memory");
    size_t k = 0;
    for (size_t r = 0; r < n && k < m; r++) {
        int gi = group_of(g, r);
        if (gi < 0 || !(freq[r] >= 1 && mon[r] > 0) || hash_id(tier_dataset_customer_id(ds, r)) > cut)
            continue;
        x[k] = freq[r];
        y[k] = mon[r];
        grp[k++] = gi;
    }
    char note[160] = "", b1[48], b2[48];
    if (eligible > max)
        snprintf(note, sizeof note, "random sample of %s of %s customers", fmt_int(b1, (double)k),
                 fmt_int(b2, (double)eligible));
    chart_groups cg = chart_of(g);
    fputs("<figure class=\"card\">", f);
    /* order counts are whole numbers: spread each column of dots a little sideways */
    svg_scatter(f, "Frequency and spend", "orders (log scale)", "net spend (log scale)", k, x, y,
                grp, &cg, note[0] ? note : NULL, 4.0);
    fprintf(f, "<figcaption>One dot per customer, coloured by %s; both axes are logarithmic "
            "and dots are spread slightly sideways so that equal order counts do not hide each "
            "other.", cfg->rules ? "tier" : "segment");
    if (hidden)
        fprintf(f, " %s customers with no purchase or a net spend of zero or less are not shown.",
                fmt_int(b1, (double)hidden));
    fputs("</figcaption></figure>\n", f);
    free(h);
    free(x);
    free(y);
    free(grp);
}

static void heatmap(FILE *f, const tier_dataset *ds, const report_cfg *cfg)
{
    tier_rfm_summary *s = NULL;
    int rc = tier_rfm_summarize(&s, cfg->rfm, ds, TIER_RFM_BY_RF);
    if (rc)
        die_lib(rc, EXIT_INTERNAL);
    unsigned nr = tier_rfm_bins(cfg->rfm, TIER_RFM_RECENCY), nf = tier_rfm_bins(cfg->rfm, TIER_RFM_FREQUENCY);
    double values[100], counts[100];
    const char *xl[10], *yl[10];
    static const char *const digits[] = { "1", "2", "3", "4", "5", "6", "7", "8", "9", "10" };
    for (unsigned i = 0; i < 10; i++)
        xl[i] = yl[i] = digits[i];
    for (size_t i = 0; i < 100; i++)
        values[i] = NAN, counts[i] = 0;
    const double *mean = tier_rfm_summary_values(s, TIER_RFM_STAT_MONETARY_MEAN);
    const double *cnt = tier_rfm_summary_values(s, TIER_RFM_STAT_COUNT);
    for (size_t r = 0; r < tier_rfm_summary_size(s); r++) {
        unsigned R = tier_rfm_summary_score(s, r, TIER_RFM_RECENCY);
        unsigned F = tier_rfm_summary_score(s, r, TIER_RFM_FREQUENCY);
        if (R < 1 || F < 1 || R > nr || F > nf)
            continue;
        values[(F - 1) * nr + (R - 1)] = mean[r];
        counts[(F - 1) * nr + (R - 1)] = cnt[r];
    }
    fputs("<figure class=\"card\">", f);
    svg_heatmap(f, "Mean spend by recency and frequency score", "R score", "F score", nr, xl, nf,
                yl, values, counts, "mean spend");
    fputs("<figcaption>Mean net spend of the customers in each R × F cell (R: 5 = bought most "
          "recently; F: 5 = most orders); the colour scale is logarithmic, empty cells have "
          "no customers.</figcaption></figure>\n", f);
    tier_rfm_summary_free(s);
}

/* ---- CLV, churn and cohorts ------------------------------------------------------------------ */

static int has_numeric(const tier_dataset *ds, const char *name)
{
    tier_column_type type;
    int yes = tier_dataset_column_type(&type, ds, name) == TIER_OK && type == TIER_COLUMN_NUMERIC;
    tier_clear_error();
    return yes;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Linear-interpolation quantile of sorted v[0..n-1] (n > 0), as numpy's default. */
static double quantile(const double *v, size_t n, double p)
{
    double h = p * (double)(n - 1);
    size_t i = (size_t)h;
    return i + 1 < n ? v[i] + (h - (double)i) * (v[i + 1] - v[i]) : v[n - 1];
}

static void clv_boxes(FILE *f, const tier_dataset *ds, const groups *g, const report_cfg *cfg)
{
    const double *clv;
    if (tier_dataset_numeric(&clv, ds, "clv"))
        die_lib(TIER_ERROR, EXIT_INTERNAL);
    size_t n = tier_dataset_size(ds);
    double *v = malloc((n ? n : 1) * sizeof *v);
    double q[5 * MAX_GROUPS], counts[MAX_GROUPS];
    if (!v)
        die(EXIT_INTERNAL, "out of memory");
    static const double ps[] = { 0.10, 0.25, 0.50, 0.75, 0.90 };
    for (size_t gi = 0; gi < g->n; gi++) {
        size_t m = 0;
        for (size_t r = 0; r < n; r++)
            if (group_of(g, r) == (int)gi && !isnan(clv[r]))
                v[m++] = clv[r];
        qsort(v, m, sizeof *v, cmp_double);
        counts[gi] = (double)m;
        for (int k = 0; k < 5; k++)
            q[5 * gi + k] = m ? quantile(v, m, ps[k]) : NAN;
    }
    free(v);
    chart_groups cg = chart_of(g);
    char title[96];
    double h = clv_horizon(cfg->clv_cfg);
    snprintf(title, sizeof title, "Customer lifetime value per %s (next %g %s)",
             cfg->rules ? "tier" : "segment", h,
             cfg->clv_cfg->unit == TIER_CLV_WEEKS ? "weeks" : "days");
    fputs("<figure class=\"card\">", f);
    svg_quantile_boxes(f, title, "CLV (log scale)", &cg, q, counts);
    fprintf(f, "<figcaption>Discounted value of each customer's expected purchases over the "
            "horizon (BG/NBD or Pareto/NBD × Gamma-Gamma, annual discount rate %g%%): boxes "
            "from the 25th to the 75th percentile with the median, whiskers from the 10th to "
            "the 90th.</figcaption></figure>\n", 100 * cfg->clv_cfg->discount_rate);
}

static void alive_scatter(FILE *f, const tier_dataset *ds, const groups *g, const report_cfg *cfg)
{
    const double *pa, *rec;
    if (tier_dataset_numeric(&pa, ds, "p_alive") || tier_dataset_numeric(&rec, ds, "recency"))
        die_lib(TIER_ERROR, EXIT_INTERNAL);
    size_t n = tier_dataset_size(ds), eligible = 0;
    uint64_t *h = malloc((n ? n : 1) * sizeof *h);
    if (!h)
        die(EXIT_INTERNAL, "out of memory");
    for (size_t r = 0; r < n; r++)
        if (group_of(g, r) >= 0 && !isnan(pa[r]) && !isnan(rec[r]))
            h[eligible++] = hash_id(tier_dataset_customer_id(ds, r));
    uint64_t cut = UINT64_MAX;
    size_t max = cfg->max_points ? cfg->max_points : 2000;
    if (eligible > max) {
        qsort(h, eligible, sizeof *h, cmp_u64);
        cut = h[max - 1];
    }
    size_t m = eligible < max ? eligible : max, k = 0;
    double *x = malloc((m ? m : 1) * sizeof *x), *y = malloc((m ? m : 1) * sizeof *y);
    int *grp = malloc((m ? m : 1) * sizeof *grp);
    if (!x || !y || !grp)
        die(EXIT_INTERNAL, "out of memory");
    for (size_t r = 0; r < n && k < m; r++) {
        int gi = group_of(g, r);
        if (gi < 0 || isnan(pa[r]) || isnan(rec[r]) ||
            hash_id(tier_dataset_customer_id(ds, r)) > cut)
            continue;
        x[k] = rec[r];
        y[k] = pa[r];
        grp[k++] = gi;
    }
    char note[160] = "", b1[48], b2[48];
    if (eligible > max)
        snprintf(note, sizeof note, "random sample of %s of %s customers", fmt_int(b1, (double)k),
                 fmt_int(b2, (double)eligible));
    chart_groups cg = chart_of(g);
    fputs("<figure class=\"card\">", f);
    svg_scatter_linear(f, "Probability of being alive and recency", "days since the last purchase",
                       "P(alive)", k, x, y, grp, &cg, note[0] ? note : NULL, 1.0);
    fputs("<figcaption>One dot per customer: the model's probability that the customer is "
          "still active, against the days since their last purchase.", f);
    double p[4];
    tier_clv_model model;
    if (cfg->clv && tier_clv_params(p, &model, cfg->clv) == TIER_OK && model == TIER_CLV_BGNBD)
        fprintf(f, " Under BG/NBD customers with a single purchase day have P(alive) = 1 (they "
                "can drop out only after a repeat purchase); here the fitted chance of dropping "
                "out after a purchase is %.2g%% on average, so most customers stay near 1.",
                100 * p[2] / (p[2] + p[3]));
    tier_clear_error();
    fputs("</figcaption></figure>\n", f);
    free(h);
    free(x);
    free(y);
    free(grp);
}

static void retention(FILE *f, const tier_dataset *ds)
{
    tier_cohort_table *t = NULL;
    int rc = tier_cohort_retention(&t, ds);
    if (rc == TIER_EEMPTY) {
        tier_clear_error();
        return;
    }
    if (rc)
        die_lib(rc, EXIT_INTERNAL);
    size_t nc = tier_cohort_table_cohorts(t), no = tier_cohort_table_offsets(t);
    double *rates = malloc((nc * no > 0 ? nc * no : 1) * sizeof *rates);
    double *sizes = malloc((nc ? nc : 1) * sizeof *sizes);
    const char **labels = malloc((nc ? nc : 1) * sizeof *labels);
    if (!rates || !sizes || !labels)
        die(EXIT_INTERNAL, "out of memory");
    for (size_t c = 0; c < nc; c++) {
        size_t size;
        labels[c] = tier_cohort_table_label(t, c);
        for (size_t k = 0; k < no; k++)
            tier_cohort_table_cell(&size, NULL, &rates[c * no + k], t, c, k);
        sizes[c] = (double)size;
    }
    fputs("<figure class=\"card\">", f);
    svg_retention(f, "Cohort retention", nc, labels, no, rates, sizes);
    fputs("<figcaption>Customers grouped by the month of their first purchase; each cell is the "
          "share of the cohort that bought in a later month (in %). Empty cells lie after the "
          "end of the data.</figcaption></figure>\n", f);
    free(rates);
    free(sizes);
    free(labels);
    tier_cohort_table_free(t);
}

static void clv_summary_table(FILE *f, const tier_dataset *ds, const groups *g,
                              const report_cfg *cfg)
{
    double count[MAX_GROUPS], clv_sum[MAX_GROUPS], clv_mean[MAX_GROUPS], pa[MAX_GROUPS],
        ep[MAX_GROUPS];
    group_stat(count, g, ds, NULL, "count");
    group_stat(clv_sum, g, ds, "clv", "sum");
    group_stat(clv_mean, g, ds, "clv", "mean");
    group_stat(pa, g, ds, "p_alive", "mean");
    group_stat(ep, g, ds, "expected_purchases", "mean");
    fprintf(f, "<section class=\"card\"><h2>Customer lifetime value per %s</h2>"
            "<div class=\"table-wrap\"><table>\n<tr><th>%s</th><th>customers</th>"
            "<th>mean P(alive)</th><th>expected purchases</th><th>mean CLV</th>"
            "<th>total CLV</th></tr>\n", cfg->rules ? "tier" : "segment",
            cfg->rules ? "tier" : "segment");
    for (size_t i = 0; i < g->n; i++) {
        char b[5][48];
        fputs("<tr><td>", f);
        swatch(f, g->colors[i]);
        xml_text(f, g->names[i]);
        fprintf(f, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                fmt_int(b[0], count[i]), fmt_fixed(b[1], pa[i], 3), fmt_fixed(b[2], ep[i], 2),
                fmt_fixed(b[3], clv_mean[i], 2), fmt_int(b[4], clv_sum[i]));
    }
    fputs("</table></div>\n", f);
    /* the fitted parameters, for whoever checks the model */
    double p[4], gg[3], ll;
    tier_clv_model model;
    int conv;
    if (cfg->clv && tier_clv_params(p, &model, cfg->clv) == TIER_OK &&
        tier_clv_fit_info(&ll, NULL, &conv, NULL, NULL, cfg->clv, TIER_CLV_COUNTS) == TIER_OK) {
        fprintf(f, "<p class=\"sub\">%s (unit: %s): r = %.4g, α = %.4g, %s = %.4g, %s = %.4g; "
                "log-likelihood %.1f%s.", model == TIER_CLV_BGNBD ? "BG/NBD" : "Pareto/NBD",
                cfg->clv_cfg->unit == TIER_CLV_WEEKS ? "weeks" : "days", p[0], p[1],
                model == TIER_CLV_BGNBD ? "a" : "s", p[2], model == TIER_CLV_BGNBD ? "b" : "β",
                p[3], ll, conv ? "" : " (not converged)");
        if (tier_clv_spend_params(gg, cfg->clv) == TIER_OK)
            fprintf(f, " Gamma-Gamma on %s: p = %.4g, q = %.4g, γ = %.4g.",
                    cfg->clv_cfg->spend_column, gg[0], gg[1], gg[2]);
        fputs("</p>", f);
    }
    tier_clear_error();
    fputs("</section>\n", f);
}

/* The CLV charts when the columns exist, else (CLV asked for but not fitted) why not; the
 * cohort heat map needs only the purchase days. */
static void clv_sections(FILE *f, const tier_dataset *ds, const groups *g, const report_cfg *cfg)
{
    int have = cfg->clv_cfg && has_numeric(ds, "clv") && has_numeric(ds, "p_alive") &&
               has_numeric(ds, "expected_purchases");
    if (!have && !cfg->clv_note)
        return;
    if (!have) {
        fputs("<section class=\"card\" id=\"clv-missing\"><h2>Customer lifetime value</h2><p>"
              "The CLV models could not be fitted on this data: ", f);
        xml_text(f, cfg->clv_note);
        fputs("</p></section>\n", f);
    }
    fputs("<section class=\"charts\">\n", f);
    if (have) {
        clv_boxes(f, ds, g, cfg);
        alive_scatter(f, ds, g, cfg);
    }
    retention(f, ds);
    fputs("</section>\n", f);
    if (have)
        clv_summary_table(f, ds, g, cfg);
}

static void tier_table(FILE *f, const tier_dataset *ds, const groups *g, const report_cfg *cfg)
{
    double count[MAX_GROUPS], sum[MAX_GROUPS], mean[MAX_GROUPS], rec[MAX_GROUPS],
        freq[MAX_GROUPS];
    group_stat(count, g, ds, NULL, "count");
    group_stat(sum, g, ds, "monetary", "sum");
    group_stat(mean, g, ds, "monetary", "mean");
    group_stat(rec, g, ds, "recency", "mean");
    group_stat(freq, g, ds, "frequency", "mean");
    double total = 0, revenue = 0;
    for (size_t i = 0; i < g->n; i++) {
        total += count[i];
        revenue += sum[i];
    }
    fputs("<section class=\"card\"><h2>Tiers</h2><div class=\"table-wrap\"><table>\n<tr>"
          "<th>tier</th><th class=\"text\">description</th><th>customers</th><th>share</th>"
          "<th>net revenue</th><th>revenue share</th><th>mean spend</th>"
          "<th>mean recency (days)</th><th>mean orders</th></tr>\n", f);
    char b[8][48];
    for (size_t i = 0; i < g->n; i++) {
        fputs("<tr><td>", f);
        swatch(f, g->colors[i]);
        xml_text(f, g->names[i]);
        fputs("</td><td class=\"text\">", f);
        if (strcmp(g->labels[i], g->names[i]) != 0)
            xml_text(f, g->labels[i]);
        fputs("</td>", f);
        td_num(f, fmt_int(b[0], count[i]));
        td_num(f, fmt_percent(b[1], total > 0 ? count[i] / total : NAN));
        td_num(f, fmt_int(b[2], sum[i]));
        td_num(f, fmt_percent(b[3], revenue != 0 ? sum[i] / revenue : NAN));
        td_num(f, fmt_fixed(b[4], mean[i], 2));
        td_num(f, fmt_fixed(b[5], rec[i], 1));
        td_num(f, fmt_fixed(b[6], freq[i], 1));
        fputs("</tr>\n", f);
    }
    fprintf(f, "<tr class=\"total\"><td>Total</td><td></td><td>%s</td><td>100.0%%</td><td>%s</td>"
            "<td>100.0%%</td><td>%s</td><td></td><td></td></tr>\n",
            fmt_int(b[0], total), fmt_int(b[1], revenue),
            fmt_fixed(b[2], total > 0 ? revenue / total : NAN, 2));
    fputs("</table></div>", f);
    if (cfg->assignment && cfg->rules) {
        unsigned grace = tier_rules_policy_value(cfg->rules, TIER_POLICY_GRACE);
        unsigned down = tier_rules_policy_value(cfg->rules, TIER_POLICY_MAX_DOWNGRADE);
        fprintf(f, "<p class=\"sub\" style=\"margin:8px 0 0\">Movement policy: upgrades at once; "
                "a customer below its tier keeps it for %u evaluation%s, then moves down %s.</p>",
                grace, grace == 1 ? "" : "s",
                down ? (down == 1 ? "one tier at a time" : "a few tiers at a time")
                     : "to the tier it qualifies for");
    }
    fputs("</section>\n", f);
}

static void segment_table(FILE *f, const tier_dataset *ds, const report_cfg *cfg)
{
    tier_rfm_summary *s = NULL;
    int rc = tier_rfm_summarize(&s, cfg->rfm, ds, TIER_RFM_BY_SEGMENT);
    if (rc)
        die_lib(rc, EXIT_INTERNAL);
    const double *cnt = tier_rfm_summary_values(s, TIER_RFM_STAT_COUNT);
    const double *share = tier_rfm_summary_values(s, TIER_RFM_STAT_SHARE);
    const double *sum = tier_rfm_summary_values(s, TIER_RFM_STAT_MONETARY_SUM);
    const double *mean = tier_rfm_summary_values(s, TIER_RFM_STAT_MONETARY_MEAN);
    const double *rec = tier_rfm_summary_values(s, TIER_RFM_STAT_RECENCY_MEAN);
    const double *freq = tier_rfm_summary_values(s, TIER_RFM_STAT_FREQUENCY_MEAN);
    fputs("<section class=\"card\"><h2>RFM segments</h2><div class=\"table-wrap\"><table>\n<tr>"
          "<th>segment</th><th class=\"text\">scores (R / F / M)</th><th>customers</th>"
          "<th>share</th><th>net revenue</th><th>mean spend</th><th>mean recency (days)</th>"
          "<th>mean orders</th></tr>\n", f);
    char b[6][48];
    for (size_t r = 0; r < tier_rfm_summary_size(s); r++) {
        const char *label = tier_rfm_summary_label(s, r);
        fputs("<tr><td>", f);
        xml_text(f, label);
        fputs("</td><td class=\"text\">", f);
        /* the score box of the segment (the first table entry with this name) */
        for (size_t k = 0; k < tier_rfm_segment_count(cfg->rfm); k++) {
            const char *name;
            unsigned lo[3], hi[3];
            if (tier_rfm_segment_get(&name, lo, hi, cfg->rfm, k) == TIER_OK &&
                strcmp(name, label) == 0) {
                fprintf(f, "%u–%u / %u–%u / %u–%u", lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]);
                break;
            }
        }
        fputs("</td>", f);
        td_num(f, fmt_int(b[0], cnt[r]));
        td_num(f, fmt_percent(b[1], share[r]));
        td_num(f, fmt_int(b[2], sum[r]));
        td_num(f, fmt_fixed(b[3], mean[r], 2));
        td_num(f, fmt_fixed(b[4], rec[r], 1));
        td_num(f, fmt_fixed(b[5], freq[r], 1));
        fputs("</tr>\n", f);
    }
    fputs("</table></div>", f);
    if (tier_rfm_summary_unscored(s))
        fprintf(f, "<p class=\"sub\" style=\"margin:8px 0 0\">%s customer%s without a purchase "
                "%s not scored.</p>", fmt_int(b[0], (double)tier_rfm_summary_unscored(s)),
                tier_rfm_summary_unscored(s) == 1 ? "" : "s",
                tier_rfm_summary_unscored(s) == 1 ? "is" : "are");
    fputs("</section>\n", f);
    tier_rfm_summary_free(s);
}

/* The attribute to pivot tiers against: the configured one, else Country, else the first
 * categorical attribute that is not the grouping itself. */
static const char *pivot_column(const tier_dataset *ds, const report_cfg *cfg)
{
    tier_column_type type;
    if (cfg->pivot_column)
        return cfg->pivot_column;
    static const char *const likely[] = { "Country", "country", "region", "Region", "channel",
                                          "Channel" };
    for (size_t i = 0; i < sizeof likely / sizeof likely[0]; i++)
        if (tier_dataset_column_type(&type, ds, likely[i]) == TIER_OK &&
            type == TIER_COLUMN_CATEGORICAL)
            return likely[i];
    for (size_t c = 0; c < tier_dataset_column_count(ds); c++) {
        const char *name = tier_dataset_column_name(ds, c);
        if (tier_dataset_column_type(&type, ds, name) == TIER_OK && type == TIER_COLUMN_CATEGORICAL &&
            strcmp(name, "tier") != 0 && strcmp(name, "rfm_segment") != 0)
            return name;
    }
    tier_clear_error();
    return NULL;
}

static void pivot_table(FILE *f, const tier_dataset *ds, const groups *g, const report_cfg *cfg)
{
    const char *col = pivot_column(ds, cfg);
    if (!col)
        return;
    tier_summary_options o = TIER_SUMMARY_OPTIONS_INIT;
    o.by[0] = col;
    o.by[1] = g->column;
    o.margins = 1;
    o.order = TIER_ORDER_COUNT_DESC;
    o.include_empty = 0;
    tier_summary *s = NULL, *grid = NULL;
    int rc = tier_summary_new(&s, ds, &o);
    if (rc == TIER_OK)
        rc = tier_summary_pivot(&grid, s, "count");
    if (rc)
        die_lib(rc, cfg->pivot_column ? EXIT_USAGE : EXIT_INTERNAL);
    /* value columns in group order, then the total */
    size_t cols[MAX_GROUPS + 1], n_cols = 0;
    for (size_t k = 0; k < g->n; k++)
        for (size_t c = 1; c < tier_summary_column_count(grid); c++)
            if (strcmp(tier_summary_column_name(grid, c), g->names[k]) == 0)
                cols[n_cols++] = c;
    size_t total_col = tier_summary_column_count(grid) - 1;
    cols[n_cols++] = total_col;
    fputs("<section class=\"card\"><h2>", f);
    xml_text(f, cfg->rules ? "Tiers by " : "Segments by ");
    xml_text(f, col);
    fputs("</h2><div class=\"table-wrap\"><table>\n<tr><th>", f);
    xml_text(f, col);
    fputs("</th>", f);
    for (size_t i = 0; i < n_cols; i++) {
        fputs("<th>", f);
        xml_text(f, tier_summary_column_name(grid, cols[i]));
        fputs("</th>", f);
    }
    fputs("<th>share</th></tr>\n", f);
    size_t rows = tier_summary_row_count(grid);
    double grand = tier_summary_value(grid, rows - 1, total_col);
    double other[MAX_GROUPS + 1] = { 0 };
    size_t n_other = 0;
    char b[48];
    for (size_t r = 0; r + 1 < rows; r++) {
        if (r >= PIVOT_ROWS) {
            for (size_t i = 0; i < n_cols; i++)
                other[i] += tier_summary_value(grid, r, cols[i]);
            n_other++;
            continue;
        }
        fputs("<tr><td>", f);
        xml_text(f, tier_summary_label(grid, r, 0));
        fputs("</td>", f);
        for (size_t i = 0; i < n_cols; i++)
            td_num(f, fmt_int(b, tier_summary_value(grid, r, cols[i])));
        td_num(f, fmt_percent(b, grand > 0 ? tier_summary_value(grid, r, total_col) / grand : NAN));
        fputs("</tr>\n", f);
    }
    if (n_other) {
        fprintf(f, "<tr><td>%zu other values</td>", n_other);
        for (size_t i = 0; i < n_cols; i++)
            td_num(f, fmt_int(b, other[i]));
        td_num(f, fmt_percent(b, grand > 0 ? other[n_cols - 1] / grand : NAN));
        fputs("</tr>\n", f);
    }
    fputs("<tr class=\"total\"><td>Total</td>", f);
    for (size_t i = 0; i < n_cols; i++)
        td_num(f, fmt_int(b, tier_summary_value(grid, rows - 1, cols[i])));
    fputs("<td>100.0%</td></tr>\n</table></div></section>\n", f);
    tier_summary_free(s);
    tier_summary_free(grid);
}

static void param(FILE *f, const char *name, const char *value)
{
    fputs("<dt>", f);
    xml_text(f, name);
    fputs("</dt><dd>", f);
    xml_text(f, value);
    fputs("</dd>\n", f);
}

static void rules_text(FILE *f, const char *path)
{
    FILE *r = fopen(path, "r");
    if (!r)
        return;
    fputs("<details><summary>Rule set</summary><pre>", f);
    char line[1024];
    while (fgets(line, sizeof line, r))
        xml_text(f, line);
    fputs("</pre></details>\n", f);
    fclose(r);
}

static void parameters(FILE *f, const tier_dataset *ds, const report_cfg *cfg)
{
    char v[512], b1[48], b2[48], b3[48], d[48];
    fputs("<section class=\"card\"><h2>Run parameters and data</h2><dl class=\"params\">\n", f);
    const input_info *in = cfg->info;
    if (in) {
        param(f, "input", cfg->input_name ? cfg->input_name : in->source ? in->source : "");
        if (!in->from_dataset) {
            char b4[48];
            snprintf(v, sizeof v, "%s rows read, %s used, %s without a customer id, %s bad rows "
                     "skipped (%s)", fmt_int(b1, (double)in->rows), fmt_int(b2, (double)in->rows_used),
                     fmt_int(b3, (double)in->rows_no_customer), fmt_int(d, (double)in->rows_bad),
                     fmt_bytes(b4, (double)in->bytes));
            param(f, "rows", v);
            if (in->first_bad[0])
                param(f, "first bad row", in->first_bad);
        }
    }
    snprintf(v, sizeof v, "%s customers, %s transactions", fmt_int(b1, (double)tier_dataset_size(ds)),
             fmt_int(b2, (double)tier_dataset_transaction_count(ds)));
    param(f, "dataset", v);
    snprintf(v, sizeof v, "%s (recency counts days back from here)", fmt_datetime(d, tier_dataset_as_of(ds)));
    param(f, "analysis date (UTC)", v);
    if (cfg->rfm) {
        static const char *const dims[] = { "recency", "frequency", "monetary" };
        snprintf(v, sizeof v, "%u × %u × %u bins, quantile cut points as the R package rfm; "
                 "customers without a purchase unscored", tier_rfm_bins(cfg->rfm, TIER_RFM_RECENCY),
                 tier_rfm_bins(cfg->rfm, TIER_RFM_FREQUENCY), tier_rfm_bins(cfg->rfm, TIER_RFM_MONETARY));
        param(f, "RFM", v);
        for (int dim = 0; dim < 3; dim++) {
            const double *cuts;
            size_t n;
            if (tier_rfm_cuts(&cuts, &n, cfg->rfm, (tier_rfm_dim)dim) != TIER_OK)
                continue;
            size_t len = 0;
            v[0] = '\0';
            for (size_t i = 0; i < n && len < sizeof v - 64; i++)
                len += (size_t)snprintf(v + len, sizeof v - len, "%s%s", i ? ", " : "",
                                        fmt_fixed(b1, cuts[i], 2));
            char name[64];
            snprintf(name, sizeof name, "%s cut points", dims[dim]);
            param(f, name, v);
        }
    }
    if (cfg->rules) {
        param(f, "rule set", cfg->rules_name ? cfg->rules_name
                             : cfg->rules_path ? cfg->rules_path : tier_rules_source_name(cfg->rules));
        size_t len = 0;
        for (size_t i = 0; i < tier_rules_tier_count(cfg->rules) && len < sizeof v - 80; i++)
            len += (size_t)snprintf(v + len, sizeof v - len, "%s%s", i ? " › " : "",
                                    tier_rules_tier_name(cfg->rules, i));
        param(f, "tiers (best first)", v);
    }
    if (cfg->assignment && tier_assignment_event_count(cfg->assignment)) {
        size_t kinds[8] = { 0 };
        for (size_t i = 0; i < tier_assignment_event_count(cfg->assignment); i++) {
            int kind = 0;
            tier_assignment_event(NULL, &kind, NULL, NULL, NULL, cfg->assignment, i);
            if (kind > 0 && kind < 8)
                kinds[kind]++;
        }
        size_t len = 0;
        v[0] = '\0';
        for (int k = TIER_EVENT_NEW; k <= TIER_EVENT_GONE; k++)
            if (kinds[k])
                len += (size_t)snprintf(v + len, sizeof v - len, "%s%s %s", len ? ", " : "",
                                        fmt_int(b1, (double)kinds[k]), tier_event_kind_name(k));
        param(f, "events", v);
    }
    snprintf(v, sizeof v, "tier %s (libtier %s)", TIER_VERSION_STRING, tier_version_string());
    param(f, "generated by", v);
    fputs("</dl>\n", f);
    if (cfg->rules_path)
        rules_text(f, cfg->rules_path);
    fputs("</section>\n", f);
}

const char *report_css(void)
{
    return css;
}

void write_report(FILE *f, const tier_dataset *ds, const report_cfg *cfg)
{
    groups *g = malloc(sizeof *g);
    if (!g)
        die(EXIT_INTERNAL, "out of memory");
    load_groups(g, ds, cfg);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"tier " TIER_VERSION_STRING "\">\n<title>", f);
    xml_text(f, cfg->title);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", css);
    header(f, ds, cfg);
    fputs("<section class=\"charts\">\n", f);
    donut(f, ds, g, cfg);
    monthly(f, ds, g);
    scatter(f, ds, g, cfg);
    heatmap(f, ds, cfg);
    fputs("</section>\n", f);
    clv_sections(f, ds, g, cfg);
    if (cfg->rules)
        tier_table(f, ds, g, cfg);
    segment_table(f, ds, cfg);
    pivot_table(f, ds, g, cfg);
    parameters(f, ds, cfg);
    fputs("<footer>", f);
    if (cfg->data_note)
        xml_text(f, cfg->data_note);
    fputs(" Report made by libtier's <code>tier report</code>; it needs no network and no "
          "script.</footer>\n</main>\n</body>\n</html>\n", f);
    free(g);
}
