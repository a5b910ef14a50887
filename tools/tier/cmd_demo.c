/* tier demo: the whole flow on the bundled Online Retail sample, with no arguments. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

enum { OPT_DATA = 1, OPT_RULES, OPT_OUT_DIR, OPT_QUIET };

static const cli_opt options[] = {
    { "data", 0, "FILE", OPT_DATA, "transaction file to use instead of the bundled "
      "online_retail.csv.gz (same columns)" },
    { "rules", 0, "FILE", OPT_RULES, "rule set to use instead of the bundled retail.tier" },
    { "out-dir", 'd', "DIR", OPT_OUT_DIR, "where to write tier-report.html and "
      "tier-customers.csv (default: the current directory)" },
    { "quiet", 'q', NULL, OPT_QUIET, "print only the paths written" },
    { NULL, 0, NULL, 0, NULL },
};

static const cli_opt *const tables[] = { options, NULL };
static const char *const titles[] = { "Options" };

static const char *const attribution =
    "Data: UCI Machine Learning Repository, Online Retail (dataset 352), Daqing Chen, London "
    "South Bank University; Chen, Sain & Guo (2012), J. Database Marketing & Customer Strategy "
    "Management 19(3):197-208. CC BY 4.0.";

static char *locate(const char *given, const char *name, const char *subdir, const char *opt)
{
    if (given) {
        check_readable(given);
        return strdup(given);
    }
    char *p = find_data_file(name, subdir);
    if (!p)
        die(EXIT_READ, "cannot find the bundled %s (looked in $TIER_DATA_DIR, the source tree's "
            "examples/%s and <prefix>/share/tier); give it with %s FILE", name, subdir, opt);
    return p;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (!p)
        die(EXIT_INTERNAL, "out of memory");
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void print_summary(const pipeline *p)
{
    const tier_assignment *a = p->assignment;
    tier_summary_options o = TIER_SUMMARY_OPTIONS_INIT;
    o.by[0] = "tier";
    o.value = "monetary";
    o.margins = 1;
    tier_summary *s = NULL;
    int rc = tier_summary_new(&s, p->ds, &o);
    if (rc)
        die_lib(rc, EXIT_INTERNAL);
    size_t c_count, c_share, c_sum, c_mean;
    tier_summary_find_column(&c_count, s, "count");
    tier_summary_find_column(&c_share, s, "share");
    tier_summary_find_column(&c_sum, s, "monetary_sum");
    tier_summary_find_column(&c_mean, s, "monetary_mean");
    text_table t;
    tt_init(&t, 6, 3);
    const char *head[] = { "tier", "description", "customers", "share", "net revenue",
                           "mean spend" };
    tt_add(&t, head);
    /* tiers in rule order (best first), then the total */
    for (size_t k = 0; k <= tier_assignment_tier_count(a); k++) {
        const char *name = k < tier_assignment_tier_count(a) ? tier_assignment_tier_name(a, k) : "Total";
        for (size_t r = 0; r < tier_summary_row_count(s); r++) {
            if (strcmp(tier_summary_label(s, r, 0), name) != 0)
                continue;
            char b[4][48];
            const char *label = k < tier_assignment_tier_count(a) ? tier_assignment_tier_label(a, k) : "";
            const char *row[] = { name, strcmp(label, name) ? label : "",
                                  fmt_int(b[0], tier_summary_value(s, r, c_count)),
                                  fmt_percent(b[1], tier_summary_value(s, r, c_share)),
                                  fmt_int(b[2], tier_summary_value(s, r, c_sum)),
                                  fmt_fixed(b[3], tier_summary_value(s, r, c_mean), 2) };
            tt_add(&t, row);
        }
    }
    tt_print(stdout, &t, "  ");
    tt_free(&t);
    tier_summary_free(s);
}

static int run(int argc, char **argv)
{
    const char *data = NULL, *rules = NULL, *out_dir = ".";
    int quiet = 0;
    cli_parser ps;
    cli_init(&ps, &cmd_demo, argc, argv);
    const char *arg;
    int id;
    while ((id = cli_next(&ps, &arg)) != CLI_END) {
        switch (id) {
        case OPT_DATA: data = arg; break;
        case OPT_RULES: rules = arg; break;
        case OPT_OUT_DIR: out_dir = arg; break;
        case OPT_QUIET: quiet = 1; break;
        case CLI_POSITIONAL:
            cli_usage_error(&cmd_demo, "unexpected argument '%s' (the demo takes no input file; "
                            "see --data)", arg);
        }
    }
    struct stat st;
    if (stat(out_dir, &st) != 0)
        die(EXIT_WRITE, "%s: %s", out_dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        die(EXIT_WRITE, "%s: not a directory", out_dir);
    char *data_path = locate(data, "online_retail.csv.gz", "data", "--data");
    char *rules_path = locate(rules, "retail.tier", "rules", "--rules");

    pipeline p;
    pipeline_init(&p);
    input_preset(&p.in, "online-retail");
    p.in.path = data_path;
    p.in.quiet = quiet;
    if (quiet)
        p.in.progress = 0;
    p.rules_path = rules_path;
    p.clv = 1; /* BG/NBD + Gamma-Gamma; a failed fit is reported, not fatal */
    pipeline_run(&p);

    char *report = join(out_dir, "tier-report.html");
    char *customers = join(out_dir, "tier-customers.csv");
    report_cfg shown;
    memset(&shown, 0, sizeof shown);
    shown.title = data ? "Customer tiers" : "Customer tiers — Online Retail sample";
    shown.max_points = 2000;
    shown.data_note = data ? NULL : attribution;
    /* bundled files are named, not located: the report reads the same on every machine */
    shown.input_name = data ? NULL : "online_retail.csv.gz (bundled UCI Online Retail sample)";
    shown.rules_name = rules ? NULL : "retail.tier (bundled example rule set)";
    report_from_pipeline(report, &p, &shown);
    write_customer_file(customers, &p);

    if (!quiet) {
        char b1[48], b2[48], b3[48], d[32];
        printf("tier demo: %s\n", data ? data_path : "UCI Online Retail sample (CC BY 4.0)");
        printf("  %s rows read, %s with a customer id: %s customers, analysis date %s\n",
               fmt_int(b1, (double)p.info.rows), fmt_int(b2, (double)p.info.rows_used),
               fmt_int(b3, (double)tier_dataset_size(p.ds)), fmt_date(d, tier_dataset_as_of(p.ds)));
        printf("  features, RFM scores and segments, then the rule set %s\n", rules_path);
        if (p.clv_scorer)
            printf("  CLV: BG/NBD and Gamma-Gamma, one year ahead, 10%% annual discount rate\n\n");
        else
            printf("  CLV: not fitted (%s)\n\n", p.clv_note);
        print_summary(&p);
        int w = (int)(strlen(report) > strlen(customers) ? strlen(report) : strlen(customers));
        printf("\nWrote:\n  %-*s  the report: open it in a web browser\n"
               "  %-*s  one row per customer: tier, RFM segment and scores, features\n",
               w, report, w, customers);
    } else {
        printf("%s\n%s\n", report, customers);
    }
    free(report);
    free(customers);
    free(data_path);
    free(rules_path);
    pipeline_free(&p);
    return EXIT_OK;
}

const cli_cmd cmd_demo = {
    "demo", "[OPTIONS]",
    "run everything on the bundled sample data",
    "Needs no arguments: reads the UCI Online Retail transactions bundled with libtier "
    "(541,909 rows, 2010-12 to 2011-12), computes features, RFM scores and segments, applies "
    "the example rule set retail.tier (Diamond, Gold, Silver, Normal), writes "
    "tier-report.html and tier-customers.csv, and prints a summary per tier. It also fits the "
    "BG/NBD and Gamma-Gamma CLV models (a failed fit is explained in the report).",
    tables, titles, run,
};
