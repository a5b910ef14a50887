/* tier pivot: group-by tables and pivots over any columns (tier × country, segment × channel,
 * R × F ...) and customers active per month, as a table, CSV or JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
    OPT_OUTPUT = 1, OPT_ROWS, OPT_COLS, OPT_BY, OPT_VALUE, OPT_STAT, OPT_SHARE, OPT_MARGINS,
    OPT_SORT, OPT_NO_MISSING, OPT_SPARSE, OPT_LONG, OPT_RULES, OPT_RFM, OPT_FORMAT
};

static const cli_opt options[] = {
    { "rows", 'r', "COL", OPT_ROWS, "group customers by this column (tier, rfm_segment, Country, "
      "r_score ...)" },
    { "cols", 'c', "COL", OPT_COLS, "and by this one: a grid with one column per value" },
    { "by", 0, "PERIOD", OPT_BY, "count the customers with a purchase in each day, week, month, "
      "quarter or year (rows), split by --cols" },
    { "value", 'v', "COL", OPT_VALUE, "numeric column for sum, mean, median, min and max "
      "(e.g. monetary)" },
    { "stat", 's', "NAME", OPT_STAT, "statistic in a grid: count (default), share, n, sum, "
      "mean, median, min, max" },
    { "share", 0, "OF", OPT_SHARE, "what shares divide by: total (default), rows, cols" },
    { "margins", 'm', NULL, OPT_MARGINS, "add totals" },
    { "sort", 0, "ORDER", OPT_SORT, "order of the rows: key (default) or count (largest first)" },
    { "no-missing", 0, NULL, OPT_NO_MISSING, "leave out customers whose group is missing" },
    { "sparse", 0, NULL, OPT_SPARSE, "only groups that have customers" },
    { "long", 0, NULL, OPT_LONG, "with --cols: one row per combination with every statistic, "
      "instead of a grid" },
    { "rules", 0, "FILE", OPT_RULES, "assign tiers with this rule set first (column 'tier')" },
    { "rfm", 0, NULL, OPT_RFM, "compute RFM scores first (automatic when a column needs them)" },
    { "format", 'f', "FMT", OPT_FORMAT, "table (default), csv or json" },
    { "output", 'o', "FILE", OPT_OUTPUT, "write to FILE instead of standard output" },
    { NULL, 0, NULL, 0, NULL },
};

static const cli_opt *const tables[] = { options, input_options, NULL };
static const char *const titles[] = { "Options", "Input options" };

static int write_file(void *user, const char *data, size_t len)
{
    return fwrite(data, 1, len, (FILE *)user) == len ? 0 : -1;
}

/* How a statistic column is shown in a terminal table. */
static const char *fmt_stat(char *buf, const char *name, double v)
{
    size_t n = strlen(name);
    if (strcmp(name, "share") == 0)
        return fmt_percent(buf, v);
    if (strcmp(name, "count") == 0 || (n >= 2 && strcmp(name + n - 2, "_n") == 0))
        return fmt_int(buf, v);
    return fmt_fixed(buf, v, 2);
}

static void print_summary_table(FILE *f, const tier_summary *s, const char *grid_stat)
{
    size_t n_cols = tier_summary_column_count(s), keys = tier_summary_key_count(s);
    text_table t;
    tt_init(&t, n_cols, keys == 2 ? 3u : 1u);
    const char **row = calloc(n_cols, sizeof *row);
    char (*buf)[48] = calloc(n_cols, sizeof *buf);
    if (!row || !buf)
        die(EXIT_INTERNAL, "out of memory");
    for (size_t c = 0; c < n_cols; c++)
        row[c] = tier_summary_column_name(s, c);
    tt_add(&t, row);
    for (size_t r = 0; r < tier_summary_row_count(s); r++) {
        for (size_t c = 0; c < n_cols; c++) {
            const char *name = grid_stat ? grid_stat : tier_summary_column_name(s, c);
            row[c] = c < keys ? tier_summary_label(s, r, c)
                              : fmt_stat(buf[c], name, tier_summary_value(s, r, c));
        }
        tt_add(&t, row);
    }
    tt_print(f, &t, "");
    tt_free(&t);
    free(row);
    free(buf);
}

static int needs_rfm_column(const char *col)
{
    static const char *const names[] = { "r_score", "f_score", "m_score", "rfm_code",
                                         "rfm_total", "rfm_segment", NULL };
    for (int i = 0; col && names[i]; i++)
        if (strcmp(col, names[i]) == 0)
            return 1;
    return 0;
}

static int run(int argc, char **argv)
{
    input_cfg in;
    input_init(&in);
    const char *rows = NULL, *cols = NULL, *value = NULL, *stat = "count", *rules_path = NULL;
    const char *output = "-";
    int by = -1, share = 0, margins = 0, sort = 0, no_missing = 0, sparse = 0, lng = 0;
    int want_rfm = 0, format = 0;
    static const char *const periods[] = { "day", "week", "month", "quarter", "year", NULL };
    static const char *const shares[] = { "total", "rows", "cols", NULL };
    static const char *const sorts[] = { "key", "count", NULL };
    static const char *const formats[] = { "table", "csv", "json", NULL };
    static const char *const stats[] = { "count", "share", "n", "sum", "mean", "median", "min",
                                         "max", NULL };
    cli_parser p;
    cli_init(&p, &cmd_pivot, argc, argv);
    const char *arg;
    int id;
    while ((id = cli_next(&p, &arg)) != CLI_END) {
        if (input_option(&in, id, arg))
            continue;
        switch (id) {
        case OPT_ROWS: rows = arg; break;
        case OPT_COLS: cols = arg; break;
        case OPT_BY: by = arg_choice("--by", arg, periods); break;
        case OPT_VALUE: value = arg; break;
        case OPT_STAT: stat = stats[arg_choice("--stat", arg, stats)]; break;
        case OPT_SHARE: share = arg_choice("--share", arg, shares); break;
        case OPT_MARGINS: margins = 1; break;
        case OPT_SORT: sort = arg_choice("--sort", arg, sorts); break;
        case OPT_NO_MISSING: no_missing = 1; break;
        case OPT_SPARSE: sparse = 1; break;
        case OPT_LONG: lng = 1; break;
        case OPT_RULES: rules_path = arg; break;
        case OPT_RFM: want_rfm = 1; break;
        case OPT_FORMAT: format = arg_choice("--format", arg, formats); break;
        case OPT_OUTPUT: output = arg; break;
        case CLI_POSITIONAL:
            if (in.path)
                cli_usage_error(&cmd_pivot, "unexpected argument '%s' (one input file only)", arg);
            in.path = arg;
            break;
        }
    }
    if (by < 0 && !rows)
        cli_usage_error(&cmd_pivot, "give --rows COL (and optionally --cols COL), or --by PERIOD");
    if (by >= 0 && rows)
        cli_usage_error(&cmd_pivot, "--by makes the periods the rows: split them with --cols, "
                        "not --rows");
    int is_value_stat = strcmp(stat, "count") != 0 && strcmp(stat, "share") != 0;
    if (is_value_stat && !value)
        cli_usage_error(&cmd_pivot, "--stat %s needs --value COL", stat);

    tier_rules *rules = rules_path ? load_rules(rules_path) : NULL;
    input_info info;
    tier_dataset *ds = input_load(&in, &info);
    tier_scorer *rfm = NULL;
    if (want_rfm || needs_rfm_column(rows) || needs_rfm_column(cols) || needs_rfm_column(value) ||
        (rules && rules_need_rfm(rules, ds))) {
        rfm_cfg c;
        rfm_cfg_init(&c);
        rfm = run_rfm(ds, &c);
    }
    int rc;
    if (rules) {
        check_rules(rules, ds);
        tier_assignment *a = NULL;
        if ((rc = tier_assignment_new(&a, rules, ds, NULL, NULL)))
            die_lib(rc, EXIT_MODEL);
        if ((rc = tier_assignment_to_column(a, ds, "tier")))
            die_lib(rc, EXIT_INTERNAL);
        tier_assignment_free(a);
    }

    tier_summary_options o = TIER_SUMMARY_OPTIONS_INIT;
    o.value = value;
    o.margins = margins;
    o.include_missing = !no_missing;
    o.include_empty = !sparse;
    o.order = sort ? TIER_ORDER_COUNT_DESC : TIER_ORDER_KEY;
    o.share = share == 1 ? TIER_SHARE_OF_FIRST : share == 2 ? TIER_SHARE_OF_SECOND
                                                            : TIER_SHARE_OF_TOTAL;
    tier_summary *s = NULL;
    if (by >= 0) {
        o.by[0] = cols;
        rc = tier_summary_activity(&s, ds, (tier_time_bucket)by, &o);
    } else {
        o.by[0] = rows;
        o.by[1] = cols;
        rc = tier_summary_new(&s, ds, &o);
    }
    if (rc)
        die_lib(rc, rc == TIER_ENOTFOUND || rc == TIER_ETYPE || rc == TIER_EEXISTS ? EXIT_USAGE
                                                                                    : EXIT_DATA);
    const char *grid_stat = NULL;
    if (tier_summary_key_count(s) == 2 && !lng) {
        char name[128];
        if (is_value_stat)
            snprintf(name, sizeof name, "%s_%s", value, stat);
        else
            snprintf(name, sizeof name, "%s", stat);
        tier_summary *grid = NULL;
        if ((rc = tier_summary_pivot(&grid, s, name)))
            die_lib(rc, EXIT_INTERNAL);
        tier_summary_free(s);
        s = grid;
        grid_stat = stat;
    }
    out_file out;
    out_open(&out, output);
    if (format == 0) {
        print_summary_table(out.f, s, grid_stat);
    } else if ((rc = tier_summary_export(s, format == 1 ? TIER_EXPORT_CSV : TIER_EXPORT_JSON,
                                         write_file, out.f))) {
        die(EXIT_WRITE, "cannot write the table");
    }
    out_close(&out);
    tier_summary_free(s);
    tier_scorer_free(rfm);
    tier_rules_free(rules);
    tier_dataset_free(ds);
    return EXIT_OK;
}

const cli_cmd cmd_pivot = {
    "pivot", "(--rows COL | --by PERIOD) [--cols COL] [OPTIONS] INPUT",
    "group-by tables, pivots and active customers per month",
    "Counts customers per group with their share, and with --value the n, sum, mean, median, "
    "min and max of a numeric column. Groups are the values of a text column, the distinct "
    "values of a numeric column (scores), and a '(missing)' group. Two grouping columns give a "
    "grid of one statistic (--stat), first column down, second across. With --by month the "
    "rows are calendar months and a customer counts in every month with a purchase, in the "
    "group of its current value (e.g. --by month --cols tier --rules FILE: customers per tier "
    "per month).",
    tables, titles, run,
};
