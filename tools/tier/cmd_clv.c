/* tier clv: fit the CLV models and print their parameters; with --calibration-end, the
 * literature's model check (fit on a calibration period, compare predicted and actual repeat
 * purchases in the holdout period), in one call of tier_clv_fit_csv(). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_CAL_END = 1, OPT_CUSTOMERS };

static const cli_opt options[] = {
    { "calibration-end", 0, "DATE", OPT_CAL_END, "fit on the purchases before DATE and compare "
      "the predicted repeat purchases after it with the actual ones" },
    { "customers", 'o', "FILE", OPT_CUSTOMERS, "also write one CSV row per customer (the fit's "
      "inputs and outputs; with --calibration-end the holdout columns)" },
    { NULL, 0, NULL, 0, NULL },
};

static const cli_opt *const tables[] = { options, clv_options, input_options, NULL };
static const char *const titles[] = { "Options", "CLV options", "Input options" };

/* Errors of tier_clv_fit_csv(): reading, then the data, then the fit. */
static _Noreturn void fit_csv_die(int rc)
{
    if (rc == TIER_ENOTCONVERGED || rc == TIER_ENOMEM)
        clv_die(rc);
    die_lib(rc, rc == TIER_EINVAL ? EXIT_USAGE : EXIT_DATA);
}

static double *column(const tier_dataset *ds, const char *name, double scale)
{
    const double *v;
    if (tier_dataset_numeric(&v, ds, name))
        die_lib(TIER_ERROR, EXIT_INTERNAL);
    size_t n = tier_dataset_size(ds);
    double *out = malloc((n ? n : 1) * sizeof *out);
    if (!out)
        die(EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++)
        out[i] = v[i] / scale;
    return out;
}

/* Predicted repeat purchases over the holdout, as column holdout_expected; prints the totals
 * and the means by calibration repeat purchases (Fader, Hardie & Lee 2005, figure 3). */
static void holdout_check(tier_dataset *ds, const tier_scorer *s, const clv_cfg *c,
                          int64_t cal_end)
{
    double scale = c->unit == TIER_CLV_WEEKS ? 7.0 : 1.0;
    double days = (double)(tier_dataset_as_of(ds) - cal_end) / 86400.0;
    double *x = column(ds, "cal_repeat_count", 1.0), *tx = column(ds, "cal_t_x", scale);
    double *T = column(ds, "cal_T", scale), *act = column(ds, "holdout_purchases", 1.0);
    size_t n = tier_dataset_size(ds);
    double *pred = malloc((n ? n : 1) * sizeof *pred);
    double p[4];
    tier_clv_model model;
    if (!pred)
        die(EXIT_INTERNAL, "out of memory");
    int rc = tier_clv_params(p, &model, s);
    if (rc == TIER_OK)
        rc = tier_clv_predict(pred, TIER_CLV_EXPECTED_PURCHASES, model, p, n, x, tx, T,
                              days / scale);
    if (rc == TIER_OK)
        rc = tier_dataset_set_numeric(ds, "holdout_expected", pred);
    if (rc)
        die_lib(rc, EXIT_INTERNAL);
    enum { GROUPS = 8 };
    double cnt[GROUPS] = { 0 }, sp[GROUPS] = { 0 }, sa[GROUPS] = { 0 }, tp = 0, ta = 0, tn = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(pred[i]) || isnan(act[i]))
            continue;
        size_t g = x[i] >= GROUPS - 1 ? GROUPS - 1 : (size_t)x[i];
        cnt[g]++, sp[g] += pred[i], sa[g] += act[i];
        tn++, tp += pred[i], ta += act[i];
    }
    char b1[48], b2[48], b3[48], d1[32], d2[32];
    printf("\nHoldout period %s to %s (%.1f %s), %s customers of the calibration period:\n",
           fmt_date(d1, cal_end), fmt_date(d2, tier_dataset_as_of(ds)), days / scale,
           c->unit == TIER_CLV_WEEKS ? "weeks" : "days", fmt_int(b1, tn));
    printf("  repeat purchase days: predicted %s, actual %s (%+.1f%%)\n", fmt_fixed(b2, tp, 1),
           fmt_int(b3, ta), ta > 0 ? 100.0 * (tp - ta) / ta : 0.0);
    text_table t;
    tt_init(&t, 4, 1);
    const char *head[] = { "calibration repeats", "customers", "predicted mean",
                           "actual mean" };
    tt_add(&t, head);
    for (size_t g = 0; g < GROUPS; g++) {
        if (!cnt[g])
            continue;
        char label[16], c1[48], c2[48], c3[48];
        snprintf(label, sizeof label, g == GROUPS - 1 ? "%zu+" : "%zu", g);
        const char *row[] = { label, fmt_int(c1, cnt[g]), fmt_fixed(c2, sp[g] / cnt[g], 3),
                              fmt_fixed(c3, sa[g] / cnt[g], 3) };
        tt_add(&t, row);
    }
    tt_print(stdout, &t, "  ");
    tt_free(&t);
    free(x), free(tx), free(T), free(act), free(pred);
}

static int run(int argc, char **argv)
{
    input_cfg in;
    input_init(&in);
    clv_cfg cc;
    clv_cfg_init(&cc);
    const char *customers = NULL;
    int64_t cal_end = 0;
    int calibrate = 0;
    cli_parser p;
    cli_init(&p, &cmd_clv, argc, argv);
    const char *arg;
    int id;
    while ((id = cli_next(&p, &arg)) != CLI_END) {
        if (input_option(&in, id, arg) || clv_option(&cc, id, arg))
            continue;
        switch (id) {
        case OPT_CAL_END:
            cal_end = arg_instant("--calibration-end", arg);
            calibrate = 1;
            break;
        case OPT_CUSTOMERS: customers = arg; break;
        case CLI_POSITIONAL:
            if (in.path)
                cli_usage_error(&cmd_clv, "unexpected argument '%s' (one input file only)", arg);
            in.path = arg;
            break;
        }
    }
    tier_scorer *s = NULL;
    tier_dataset *ds = NULL;
    int rc;
    if (calibrate) {
        if (in.dataset_path)
            cli_usage_error(&cmd_clv, "--calibration-end needs a transaction file, not --dataset");
        if (!in.path)
            cli_usage_error(&cmd_clv, "no input file");
        check_readable(in.path);
        in.csv.as_of = in.as_of;
        in.csv.categorical_columns = in.cats;
        in.csv.n_categorical_columns = in.n_cats;
        in.csv.numeric_columns = in.nums;
        in.csv.n_numeric_columns = in.n_nums;
        /* repeat_spend covers the holdout too: the check is of the count model only */
        cc.spend_column = NULL;
        tier_clv_options o;
        clv_options_of(&o, &cc);
        const char *path = strcmp(in.path, "-") == 0 ? "/dev/stdin" : in.path;
        if ((rc = tier_clv_fit_csv(&s, &ds, path, &in.csv, cal_end, &o)))
            fit_csv_die(rc);
        /* predictions at the calibration end, for --customers */
        if ((rc = tier_scorer_apply(s, ds)))
            die_lib(rc, EXIT_INTERNAL);
        char d[32];
        printf("Calibration period: purchases before %s\n", fmt_date(d, cal_end));
        print_clv_fit(stdout, s, &cc);
        holdout_check(ds, s, &cc, cal_end);
    } else {
        input_info info;
        ds = input_load(&in, &info);
        if ((rc = clv_fit(&s, ds, &cc)))
            clv_die(rc);
        print_clv_fit(stdout, s, &cc);
    }
    if (customers) {
        const char *names[32];
        size_t n = 0;
        static const char *const cal[] = { "cal_repeat_count", "cal_t_x", "cal_T",
                                           "holdout_purchases", "holdout_expected" };
        for (size_t i = 0; calibrate && i < 5; i++)
            names[n++] = cal[i];
        for (size_t i = 0; !calibrate && i < tier_scorer_input_count(s) && n < 16; i++)
            names[n++] = tier_scorer_input_name(s, i);
        for (size_t i = 0; i < tier_scorer_output_count(s) && n < 32; i++)
            names[n++] = tier_scorer_output_name(s, i);
        out_file out;
        out_open(&out, customers);
        write_customers_csv(out.f, ds, names, n);
        out_close(&out);
    }
    tier_scorer_free(s);
    tier_dataset_free(ds);
    return EXIT_OK;
}

const cli_cmd cmd_clv = {
    "clv", "[--calibration-end DATE] [OPTIONS] INPUT",
    "fit the CLV models; check them on a holdout period",
    "Fits the BG/NBD (or Pareto/NBD) model of repeat purchases and the Gamma-Gamma model of "
    "spend, as 'tier score --clv' does, and prints their parameters, log-likelihood and "
    "convergence. With --calibration-end DATE it runs the model check of Fader, Hardie & Lee "
    "(2005): features of the purchases before DATE (same-day purchases merged; customers whose "
    "first purchase is later are left out), the count model fitted on them, and its predicted "
    "repeat purchases from DATE to the analysis date against the actual ones, in total and by "
    "the number of calibration repeat purchases. For the literature's setting use --unit "
    "weeks (the default).",
    tables, titles, run,
};
