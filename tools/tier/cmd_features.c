/* tier features: transactions in, one CSV row of behaviour features per customer out. */
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_OUTPUT = 1, OPT_COLUMNS, OPT_SAVE };

static const cli_opt options[] = {
    { "output", 'o', "FILE", OPT_OUTPUT, "write the CSV to FILE instead of standard output "
      "('-')" },
    { "columns", 0, "LIST", OPT_COLUMNS, "comma-separated columns to write after customer_id "
      "(default: all features and attributes)" },
    { "save", 0, "FILE", OPT_SAVE, "also save the dataset (binary, checksummed) for later "
      "commands' --dataset" },
    { NULL, 0, NULL, 0, NULL },
};

static const cli_opt *const tables[] = { options, input_options, NULL };
static const char *const titles[] = { "Options", "Input options" };

/* One line on stderr about the load, for people at a terminal. */
void print_load_summary(const tier_dataset *ds, const input_info *info)
{
    char b1[48], b2[48], b3[48], b4[32];
    if (info->from_dataset) {
        fprintf(stderr, "tier: %s customers from %s (saved dataset), as of %s\n",
                fmt_int(b1, (double)tier_dataset_size(ds)), info->source,
                fmt_date(b4, tier_dataset_as_of(ds)));
        return;
    }
    fprintf(stderr, "tier: %s customers from %s rows of %s", fmt_int(b1, (double)tier_dataset_size(ds)),
            fmt_int(b2, (double)info->rows_used), info->source);
    if (info->rows_no_customer)
        fprintf(stderr, " (%s rows without a customer id)", fmt_int(b3, (double)info->rows_no_customer));
    fprintf(stderr, ", as of %s, in %.2f s\n", fmt_date(b4, tier_dataset_as_of(ds)), info->seconds);
}

static int run(int argc, char **argv)
{
    input_cfg in;
    input_init(&in);
    const char *output = "-", *save = NULL;
    char *columns = NULL;
    cli_parser p;
    cli_init(&p, &cmd_features, argc, argv);
    const char *arg;
    int id;
    while ((id = cli_next(&p, &arg)) != CLI_END) {
        if (input_option(&in, id, arg))
            continue;
        switch (id) {
        case OPT_OUTPUT: output = arg; break;
        case OPT_COLUMNS: columns = (char *)arg; break;
        case OPT_SAVE: save = arg; break;
        case CLI_POSITIONAL:
            if (in.path)
                cli_usage_error(&cmd_features, "unexpected argument '%s' (one input file only)", arg);
            in.path = arg;
            break;
        }
    }
    input_info info;
    tier_dataset *ds = input_load(&in, &info);
    const char *names[256];
    size_t n = columns ? split_columns(names, 256, columns, ds) : 0;
    if (save) {
        int rc = tier_dataset_save(ds, save);
        if (rc)
            die_lib(rc, EXIT_WRITE);
    }
    out_file out;
    out_open(&out, output);
    write_customers_csv(out.f, ds, columns ? names : NULL, n);
    out_close(&out);
    if (!in.quiet && isatty(STDERR_FILENO))
        print_load_summary(ds, &info);
    tier_dataset_free(ds);
    return EXIT_OK;
}

const cli_cmd cmd_features = {
    "features", "[OPTIONS] INPUT",
    "per-customer behaviour features from a transaction file",
    "Reads a CSV of transactions (customer id, time, amount or quantity × price, optional order "
    "id; gzip-compressed files are read as they are; '-' reads standard input) and writes one "
    "CSV row per customer: recency (days since the last purchase), frequency (orders), monetary "
    "(net spend; returns subtract), avg_order_value, first_purchase and last_purchase (seconds "
    "since 1970, UTC), tenure, purchase_days, returns, returns_value, repeat_count, t_x, T, and "
    "the attributes kept with --attr and --num-attr.",
    tables, titles, run,
};
