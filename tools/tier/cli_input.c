/* The transaction input every command shares: column mapping and CSV options, loading with a
 * progress bar (only when stderr is a terminal), bad-row warnings, and saved datasets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

enum {
    OPT_CUSTOMER = 101, OPT_TIME, OPT_AMOUNT, OPT_QUANTITY, OPT_PRICE, OPT_ORDER, OPT_ATTR,
    OPT_NUM_ATTR, OPT_DATE_FORMAT, OPT_AS_OF, OPT_DELIMITER, OPT_NO_HEADER, OPT_BAD_ROWS,
    OPT_THREADS, OPT_PRESET, OPT_DATASET, OPT_QUIET
};

const cli_opt input_options[] = {
    { "customer", 'c', "COL", OPT_CUSTOMER, "customer id column (default: customer_id)" },
    { "time", 't', "COL", OPT_TIME, "transaction time column (default: time)" },
    { "amount", 'a', "COL", OPT_AMOUNT, "amount column (default: amount); negative amounts "
      "are returns" },
    { "quantity", 0, "COL", OPT_QUANTITY, "quantity column: the amount is quantity × price" },
    { "price", 0, "COL", OPT_PRICE, "unit price column, with --quantity" },
    { "order", 0, "COL", OPT_ORDER, "order or invoice id column; without it every row is an "
      "order" },
    { "attr", 0, "COL", OPT_ATTR, "keep a text attribute such as a country (the value of the "
      "customer's latest transaction); repeatable" },
    { "num-attr", 0, "COL", OPT_NUM_ATTR, "keep a numeric attribute; repeatable" },
    { "date-format", 0, "FMT", OPT_DATE_FORMAT, "time format with %Y %m %d %H %M %S, e.g. "
      "'%d/%m/%Y %H:%M' (default: ISO 8601 or M/D/YYYY H:MM, UTC)" },
    { "as-of", 0, "DATE", OPT_AS_OF, "analysis date, YYYY-MM-DD[THH:MM[:SS]] UTC (default: one "
      "day after the last transaction)" },
    { "delimiter", 0, "CHAR", OPT_DELIMITER, "field delimiter: one character, or 'tab' "
      "(default: ,)" },
    { "no-header", 0, NULL, OPT_NO_HEADER, "the file has no header line; name columns by "
      "position: #1, #2 ..." },
    { "bad-rows", 0, "POLICY", OPT_BAD_ROWS, "strict: stop at the first bad row (default); "
      "skip: skip bad rows, count them and warn" },
    { "threads", 0, "N", OPT_THREADS, "worker threads (default: all cores); results do not "
      "depend on it" },
    { "preset", 0, "NAME", OPT_PRESET, "column mapping of a known file: online-retail (the UCI "
      "Online Retail data of 'tier demo')" },
    { "dataset", 0, "FILE", OPT_DATASET, "read a dataset saved by 'tier features --save' instead "
      "of a transaction file" },
    { "quiet", 'q', NULL, OPT_QUIET, "no progress bar, warnings or summaries on stderr" },
    { NULL, 0, NULL, 0, NULL },
};

void input_init(input_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    tier_csv_options d = TIER_CSV_OPTIONS_INIT;
    cfg->csv = d;
    cfg->as_of = TIER_AS_OF_AUTO;
    cfg->progress = isatty(STDERR_FILENO);
}

static void add_column(const char **list, size_t *n, const char *col, const char *opt)
{
    if (*n >= 32)
        die(EXIT_USAGE, "%s: at most 32 columns", opt);
    list[(*n)++] = col;
}

void input_preset(input_cfg *cfg, const char *name)
{
    static const char *const presets[] = { "online-retail", NULL };
    switch (arg_choice("--preset", name, presets)) {
    case 0:
        cfg->csv.customer_column = "CustomerID";
        cfg->csv.time_column = "InvoiceDate";
        cfg->csv.quantity_column = "Quantity";
        cfg->csv.price_column = "UnitPrice";
        cfg->csv.order_column = "InvoiceNo";
        add_column(cfg->cats, &cfg->n_cats, "Country", "--preset");
        break;
    }
}

int input_option(input_cfg *cfg, int id, const char *arg)
{
    static const char *const policies[] = { "strict", "skip", NULL };
    switch (id) {
    case OPT_CUSTOMER: cfg->csv.customer_column = arg; return 1;
    case OPT_TIME: cfg->csv.time_column = arg; return 1;
    case OPT_AMOUNT: cfg->csv.amount_column = arg; return 1;
    case OPT_QUANTITY: cfg->csv.quantity_column = arg; return 1;
    case OPT_PRICE: cfg->csv.price_column = arg; return 1;
    case OPT_ORDER: cfg->csv.order_column = arg; return 1;
    case OPT_ATTR: add_column(cfg->cats, &cfg->n_cats, arg, "--attr"); return 1;
    case OPT_NUM_ATTR: add_column(cfg->nums, &cfg->n_nums, arg, "--num-attr"); return 1;
    case OPT_DATE_FORMAT: cfg->csv.time_format = arg; return 1;
    case OPT_AS_OF: cfg->as_of = arg_instant("--as-of", arg); return 1;
    case OPT_DELIMITER:
        if (strcmp(arg, "tab") == 0 || strcmp(arg, "\\t") == 0)
            cfg->csv.delimiter = '\t';
        else if (strlen(arg) == 1 && arg[0] != '"' && arg[0] != '\n' && arg[0] != '\r')
            cfg->csv.delimiter = arg[0];
        else
            die(EXIT_USAGE, "--delimiter: '%s' is not one character (use 'tab' for a tab)", arg);
        return 1;
    case OPT_NO_HEADER: cfg->csv.has_header = 0; return 1;
    case OPT_BAD_ROWS:
        cfg->csv.bad_rows = arg_choice("--bad-rows", arg, policies) ? TIER_BAD_ROWS_SKIP
                                                                     : TIER_BAD_ROWS_STRICT;
        return 1;
    case OPT_THREADS: cfg->csv.n_threads = (unsigned)arg_long("--threads", arg, 0, 1024); return 1;
    case OPT_PRESET: input_preset(cfg, arg); return 1;
    case OPT_DATASET: cfg->dataset_path = arg; return 1;
    case OPT_QUIET:
        cfg->quiet = 1;
        cfg->progress = 0;
        return 1;
    default: return 0;
    }
}

/* ---- progress bar --------------------------------------------------------------------------- */

typedef struct progress {
    const char *name;
    double last;
    int shown;
} progress;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int progress_cb(void *user, uint64_t done, uint64_t total)
{
    progress *p = user;
    double t = now();
    if (t - p->last < 0.1 && !(total && done >= total))
        return 0;
    p->last = t;
    p->shown = 1;
    char b1[48], b2[48];
    if (total) {
        int width = 30, fill = (int)((double)done / (double)total * width + 0.5);
        char bar[64];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[width] = '\0';
        fprintf(stderr, "\r\033[Kreading %s [%s] %3.0f%% of %s", p->name, bar,
                100.0 * (double)done / (double)total, fmt_bytes(b2, (double)total));
    } else {
        fprintf(stderr, "\r\033[Kreading %s: %s", p->name, fmt_bytes(b1, (double)done));
    }
    fflush(stderr);
    return 0;
}

/* ---- loading -------------------------------------------------------------------------------- */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static tier_dataset *load_saved(input_cfg *cfg, input_info *info)
{
    check_readable(cfg->dataset_path);
    tier_dataset_options o = TIER_DATASET_OPTIONS_INIT;
    o.n_threads = cfg->csv.n_threads;
    tier_dataset *ds = NULL;
    int rc = tier_dataset_load(&ds, cfg->dataset_path, &o);
    if (rc)
        die_lib(rc, rc == TIER_ECORRUPT || rc == TIER_EVERSION ? EXIT_MODEL : EXIT_DATA);
    info->source = cfg->dataset_path;
    info->from_dataset = 1;
    info->rows = info->rows_used = tier_dataset_transaction_count(ds);
    if (cfg->as_of != TIER_AS_OF_AUTO || tier_dataset_is_stale(ds) ||
        tier_dataset_as_of(ds) == TIER_AS_OF_AUTO) {
        rc = tier_dataset_compute_features(ds, cfg->as_of);
        if (rc)
            die_lib(rc, EXIT_DATA);
    }
    return ds;
}

tier_dataset *input_load(input_cfg *cfg, input_info *info)
{
    memset(info, 0, sizeof *info);
    double start = now();
    if (cfg->dataset_path) {
        if (cfg->path)
            die(EXIT_USAGE, "give either a transaction file or --dataset, not both");
        tier_dataset *ds = load_saved(cfg, info);
        info->seconds = now() - start;
        return ds;
    }
    if (!cfg->path)
        die(EXIT_USAGE, "no input file (give a transaction CSV, '-' for standard input, or "
            "--dataset FILE)");
    const char *path = strcmp(cfg->path, "-") == 0 ? "/dev/stdin" : cfg->path;
    check_readable(cfg->path);
    if (cfg->csv.quantity_column && !cfg->csv.price_column)
        die(EXIT_USAGE, "--quantity needs --price");
    if (cfg->csv.price_column && !cfg->csv.quantity_column)
        die(EXIT_USAGE, "--price needs --quantity");
    cfg->csv.categorical_columns = cfg->cats;
    cfg->csv.n_categorical_columns = cfg->n_cats;
    cfg->csv.numeric_columns = cfg->nums;
    cfg->csv.n_numeric_columns = cfg->n_nums;
    cfg->csv.as_of = cfg->as_of;
    progress p = { base_name(cfg->path), 0, 0 };
    if (cfg->progress) {
        cfg->csv.progress = progress_cb;
        cfg->csv.progress_user = &p;
    }
    tier_dataset *ds = NULL;
    tier_csv_report *rep = NULL;
    int rc = tier_dataset_load_csv(&ds, &rep, path, &cfg->csv);
    if (p.shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    info->source = cfg->path;
    info->rows = tier_csv_report_count(rep, TIER_CSV_ROWS);
    info->rows_used = tier_csv_report_count(rep, TIER_CSV_ROWS_USED);
    info->rows_no_customer = tier_csv_report_count(rep, TIER_CSV_ROWS_NO_CUSTOMER);
    info->rows_bad = tier_csv_report_count(rep, TIER_CSV_ROWS_BAD);
    info->bytes = tier_csv_report_count(rep, TIER_CSV_BYTES);
    if (tier_csv_report_message_count(rep) > 0)
        snprintf(info->first_bad, sizeof info->first_bad, "%s", tier_csv_report_message(rep, 0));
    if (rc) {
        tier_csv_report_free(rep);
        die_lib(rc, EXIT_DATA);
    }
    if (info->rows_bad && !cfg->quiet) {
        char b[48];
        warn("%s: skipped %s bad row%s", cfg->path, fmt_int(b, (double)info->rows_bad),
             info->rows_bad == 1 ? "" : "s");
        size_t n = tier_csv_report_message_count(rep);
        for (size_t i = 0; i < n && i < 5; i++)
            fprintf(stderr, "  %s\n", tier_csv_report_message(rep, i));
        if (n > 5)
            fprintf(stderr, "  ... (%zu more messages kept)\n", n - 5);
    }
    tier_csv_report_free(rep);
    if (tier_dataset_size(ds) == 0) {
        char b1[48], b2[48];
        die(EXIT_DATA, "%s: no customers (%s rows read, %s without a customer id)", cfg->path,
            fmt_int(b1, (double)info->rows), fmt_int(b2, (double)info->rows_no_customer));
    }
    info->seconds = now() - start;
    return ds;
}
