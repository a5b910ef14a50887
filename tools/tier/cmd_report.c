/* tier report: one self-contained HTML file with the charts and tables a manager reads. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_OUTPUT = 1, OPT_RULES, OPT_PREVIOUS, OPT_TITLE, OPT_PIVOT, OPT_SAMPLE, OPT_BINS,
       OPT_CUSTOMERS, OPT_CLV };

static const cli_opt options[] = {
    { "rules", 0, "FILE", OPT_RULES, "tier rule set; without one, customers are grouped by RFM "
      "segment" },
    { "previous", 'p', "FILE", OPT_PREVIOUS, "previous evaluation's state (see 'tier assign')" },
    { "output", 'o', "FILE", OPT_OUTPUT, "HTML file to write (default: tier-report.html; '-' for "
      "standard output)" },
    { "customers", 0, "FILE", OPT_CUSTOMERS, "also write one CSV row per customer (tier, "
      "segment, scores, features)" },
    { "title", 0, "TEXT", OPT_TITLE, "report title" },
    { "pivot", 0, "COL", OPT_PIVOT, "attribute for the tier pivot table (default: Country, or "
      "the first text attribute)" },
    { "sample", 0, "N", OPT_SAMPLE, "at most N customers in the scatter plot (default 2000)" },
    { "bins", 0, "N", OPT_BINS, "RFM bins per dimension, 2..10 (default 5)" },
    { "clv", 0, NULL, OPT_CLV, "also fit the CLV models (see CLV options): CLV per tier, "
      "P(alive) against recency and cohort retention" },
    { NULL, 0, NULL, 0, NULL },
};

static const cli_opt *const tables[] = { options, clv_options, input_options, NULL };
static const char *const titles[] = { "Options", "CLV options", "Input options" };

/* The per-customer CSV of the report and the demo. */
void write_customer_file(const char *path, const pipeline *p)
{
    static const char *const wanted[] = { "tier", "rfm_segment", "r_score", "f_score", "m_score",
                                          "rfm_code", "recency", "frequency", "monetary",
                                          "avg_order_value", "first_purchase", "last_purchase",
                                          "returns", "returns_value", "p_alive",
                                          "expected_purchases", "expected_spend", "clv",
                                          "p_no_purchase" };
    const char *names[64];
    size_t n = 0;
    tier_column_type type;
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
        if (tier_dataset_column_type(&type, p->ds, wanted[i]) == TIER_OK)
            names[n++] = wanted[i];
    for (size_t i = 0; i < p->in.n_cats && n < 64; i++)
        names[n++] = p->in.cats[i];
    for (size_t i = 0; i < p->in.n_nums && n < 64; i++)
        names[n++] = p->in.nums[i];
    tier_clear_error();
    out_file out;
    out_open(&out, path);
    write_customers_csv(out.f, p->ds, names, n);
    out_close(&out);
}

void report_from_pipeline(const char *path, const pipeline *p, const report_cfg *shown)
{
    report_cfg rc = *shown;
    rc.group_column = p->rules ? "tier" : "rfm_segment";
    rc.rules_path = p->rules_path;
    rc.rules = p->rules;
    rc.rfm = p->scorer;
    rc.assignment = p->assignment;
    rc.info = &p->info;
    rc.clv = p->clv_scorer;
    rc.clv_cfg = p->clv ? &p->clv_cfg : NULL;
    rc.clv_note = p->clv && !p->clv_scorer ? p->clv_note : NULL;
    out_file out;
    out_open(&out, path);
    write_report(out.f, p->ds, &rc);
    out_close(&out);
}

static int run(int argc, char **argv)
{
    pipeline p;
    pipeline_init(&p);
    const char *output = "tier-report.html", *title = "Customer tiers", *pivot = NULL;
    const char *customers = NULL;
    size_t sample = 2000;
    cli_parser ps;
    cli_init(&ps, &cmd_report, argc, argv);
    const char *arg;
    int id;
    while ((id = cli_next(&ps, &arg)) != CLI_END) {
        if (input_option(&p.in, id, arg) || clv_option(&p.clv_cfg, id, arg))
            continue;
        switch (id) {
        case OPT_OUTPUT: output = arg; break;
        case OPT_RULES: p.rules_path = arg; break;
        case OPT_PREVIOUS: p.previous_path = arg; break;
        case OPT_TITLE: title = arg; break;
        case OPT_PIVOT: pivot = arg; break;
        case OPT_SAMPLE: sample = (size_t)arg_long("--sample", arg, 1, 100000); break;
        case OPT_BINS: p.rfm.bins = (unsigned)arg_long("--bins", arg, 2, 10); break;
        case OPT_CUSTOMERS: customers = arg; break;
        case OPT_CLV: p.clv = 1; break;
        case CLI_POSITIONAL:
            if (p.in.path)
                cli_usage_error(&cmd_report, "unexpected argument '%s' (one input file only)", arg);
            p.in.path = arg;
            break;
        }
    }
    if (p.previous_path && !p.rules_path)
        cli_usage_error(&cmd_report, "--previous needs --rules");
    pipeline_run(&p);
    if (pivot) {
        tier_column_type type;
        if (tier_dataset_column_type(&type, p.ds, pivot) != TIER_OK)
            die(EXIT_USAGE, "--pivot: %s", tier_last_error());
    }
    report_cfg shown;
    memset(&shown, 0, sizeof shown);
    shown.title = title;
    shown.pivot_column = pivot;
    shown.max_points = sample;
    report_from_pipeline(output, &p, &shown);
    if (customers)
        write_customer_file(customers, &p);
    if (!p.in.quiet && isatty(STDERR_FILENO)) {
        print_load_summary(p.ds, &p.info);
        if (strcmp(output, "-") != 0)
            fprintf(stderr, "tier: wrote %s\n", output);
    }
    pipeline_free(&p);
    return EXIT_OK;
}

const cli_cmd cmd_report = {
    "report", "[OPTIONS] INPUT",
    "a self-contained HTML report with charts and tables",
    "Computes features and RFM scores (and tiers with --rules) and writes one HTML file with "
    "inline SVG charts, no script and no network access, to open in any browser or attach to "
    "an e-mail: key figures, the tier distribution, active customers per tier per month, "
    "frequency against spend, the R × F heat map of mean spend, tier and segment tables, a "
    "tier × country pivot and the run's parameters. With --clv also the CLV models' charts "
    "(as 'tier score --clv' fits them): CLV per tier, P(alive) against recency and the cohort "
    "retention heat map; if the models cannot be fitted the report says why.",
    tables, titles, run,
};
