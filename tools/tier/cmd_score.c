/* tier score: RFM or AHP scores, CLV predictions or k-means clusters per customer (fit, or
 * apply a saved model). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum {
    OPT_OUTPUT = 1, OPT_RFM, OPT_AHP, OPT_MODEL, OPT_SAVE_MODEL, OPT_BINS, OPT_MODE, OPT_PREFIX,
    OPT_COLUMNS, OPT_ALL, OPT_LOWER, OPT_HIGHER, OPT_NORM, OPT_MISSING, OPT_INCONSISTENT,
    OPT_SUMMARY, OPT_CLV, OPT_KMEANS
};

static const cli_opt options[] = {
    { "rfm", 0, NULL, OPT_RFM, "RFM scores: r_score, f_score, m_score (1..bins, the most recent "
      "customers get the highest R), rfm_code, rfm_total and the named rfm_segment" },
    { "ahp", 0, "FILE", OPT_AHP, "AHP score (0..100) weighting the columns named by the "
      "criteria of a pairwise judgments file (see tier(1))" },
    { "clv", 0, NULL, OPT_CLV, "CLV: fit BG/NBD (or Pareto/NBD) and Gamma-Gamma and write "
      "p_alive, expected_purchases, expected_spend, clv and p_no_purchase (see CLV options)" },
    { "kmeans", 0, "K", OPT_KMEANS, "k-means: K clusters of customers by behaviour, written as "
      "cluster (0..K-1) and cluster_distance (see K-means options)" },
    { "model", 'm', "FILE", OPT_MODEL, "apply a model saved with --save-model instead of fitting "
      "one (scores new customers exactly as the saved model would)" },
    { "save-model", 0, "FILE", OPT_SAVE_MODEL, "save the fitted model" },
    { "output", 'o', "FILE", OPT_OUTPUT, "write the CSV to FILE instead of standard output" },
    { "columns", 0, "LIST", OPT_COLUMNS, "columns to write after customer_id (default: the "
      "scorer's inputs and outputs)" },
    { "all", 0, NULL, OPT_ALL, "write every column of the dataset" },
    { "prefix", 0, "TEXT", OPT_PREFIX, "prefix of the output column names" },
    { "summary", 0, NULL, OPT_SUMMARY, "print a summary per RFM segment, the CLV fit or the "
      "k-means clusters on standard error" },
    { NULL, 0, NULL, 0, NULL },
};

static const cli_opt rfm_options[] = {
    { "bins", 0, "N", OPT_BINS, "bins per dimension, 2..10 (default 5)" },
    { "mode", 0, "MODE", OPT_MODE, "quantile: cut points as R package rfm (default); rank: "
      "equal-size groups by rank" },
    { NULL, 0, NULL, 0, NULL },
};

static const cli_opt ahp_options[] = {
    { "lower", 0, "COL", OPT_LOWER, "a criterion where lower values are better (repeatable; "
      "recency, returns and returns_value are by default)" },
    { "higher", 0, "COL", OPT_HIGHER, "a criterion where higher values are better (repeatable)" },
    { "norm", 0, "NAME", OPT_NORM, "how columns are scaled to 0..1: minmax (default), zscore, "
      "percentile" },
    { "missing", 0, "HOW", OPT_MISSING, "missing values: unscored (default: no score), worst, "
      "reweight, error" },
    { "allow-inconsistent", 0, NULL, OPT_INCONSISTENT, "use judgments whose consistency ratio "
      "exceeds 0.10" },
    { NULL, 0, NULL, 0, NULL },
};

static const cli_opt *const tables[] = { options, rfm_options, ahp_options, clv_options,
                                         kmeans_options, input_options, NULL };
static const char *const titles[] = { "Options", "RFM options", "AHP options", "CLV options",
                                      "K-means options", "Input options" };

typedef struct score_args {
    int rfm, clv;
    unsigned kmeans; /* k, 0: not asked */
    clv_cfg cc;
    kmeans_cfg kc;
    const char *ahp, *model, *save_model, *prefix;
    rfm_cfg rc;
    const char *lower[32], *higher[32];
    size_t n_lower, n_higher;
    int norm, missing, inconsistent;
} score_args;

static int listed(const char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return 1;
    return 0;
}

static tier_scorer *make_ahp(const score_args *a)
{
    check_readable(a->ahp);
    tier_ahp *ahp = NULL;
    int rc = tier_ahp_load_text(&ahp, a->ahp, NULL);
    if (rc)
        die_lib(rc, EXIT_MODEL);
    rc = tier_ahp_compute(ahp);
    if (rc && !(rc == TIER_EINCONSISTENT && a->inconsistent))
        die_lib(rc, EXIT_MODEL);
    size_t n = tier_ahp_size(ahp);
    tier_ahp_direction dir[TIER_AHP_MAX_CRITERIA];
    tier_ahp_normalization norm[TIER_AHP_MAX_CRITERIA];
    static const tier_ahp_normalization norms[] = { TIER_AHP_NORM_MINMAX, TIER_AHP_NORM_ZSCORE,
                                                    TIER_AHP_NORM_PERCENTILE };
    for (size_t i = 0; i < n; i++) {
        const char *name = tier_ahp_name(ahp, i);
        int lower = strcmp(name, "recency") == 0 || strcmp(name, "returns") == 0 ||
                    strcmp(name, "returns_value") == 0;
        if (listed(a->lower, a->n_lower, name))
            lower = 1;
        if (listed(a->higher, a->n_higher, name))
            lower = 0;
        dir[i] = lower ? TIER_AHP_LOWER_IS_BETTER : TIER_AHP_HIGHER_IS_BETTER;
        norm[i] = norms[a->norm];
    }
    static const tier_ahp_missing missing[] = { TIER_AHP_MISSING_UNSCORED, TIER_AHP_MISSING_WORST,
                                                TIER_AHP_MISSING_REWEIGHT, TIER_AHP_MISSING_ERROR };
    tier_ahp_scorer_options o = TIER_AHP_SCORER_OPTIONS_INIT;
    o.directions = dir;
    o.normalizations = norm;
    o.missing = missing[a->missing];
    o.allow_inconsistent = a->inconsistent;
    o.output_prefix = a->prefix;
    tier_scorer *s = NULL;
    rc = tier_ahp_scorer_new(&s, ahp, &o);
    tier_ahp_free(ahp);
    if (rc)
        die_lib(rc, EXIT_MODEL);
    return s;
}

static void print_segments(const tier_scorer *rfm, const tier_dataset *ds)
{
    tier_rfm_summary *sum = NULL;
    int rc = tier_rfm_summarize(&sum, rfm, ds, TIER_RFM_BY_SEGMENT);
    if (rc)
        die_lib(rc, EXIT_INTERNAL);
    text_table t;
    tt_init(&t, 6, 1);
    const char *head[] = { "segment", "customers", "share", "revenue", "mean spend",
                           "mean recency" };
    tt_add(&t, head);
    const double *cnt = tier_rfm_summary_values(sum, TIER_RFM_STAT_COUNT);
    const double *share = tier_rfm_summary_values(sum, TIER_RFM_STAT_SHARE);
    const double *msum = tier_rfm_summary_values(sum, TIER_RFM_STAT_MONETARY_SUM);
    const double *mmean = tier_rfm_summary_values(sum, TIER_RFM_STAT_MONETARY_MEAN);
    const double *rmean = tier_rfm_summary_values(sum, TIER_RFM_STAT_RECENCY_MEAN);
    for (size_t r = 0; r < tier_rfm_summary_size(sum); r++) {
        char b[5][48];
        const char *row[] = { tier_rfm_summary_label(sum, r), fmt_int(b[0], cnt[r]),
                              fmt_percent(b[1], share[r]), fmt_int(b[2], msum[r]),
                              fmt_fixed(b[3], mmean[r], 2), fmt_fixed(b[4], rmean[r], 1) };
        tt_add(&t, row);
    }
    tt_print(stderr, &t, "  ");
    if (tier_rfm_summary_unscored(sum))
        fprintf(stderr, "  (%zu customer%s without a purchase %s not scored)\n",
                tier_rfm_summary_unscored(sum), tier_rfm_summary_unscored(sum) == 1 ? "" : "s",
                tier_rfm_summary_unscored(sum) == 1 ? "is" : "are");
    tt_free(&t);
    tier_rfm_summary_free(sum);
}

static int run(int argc, char **argv)
{
    input_cfg in;
    input_init(&in);
    score_args a;
    memset(&a, 0, sizeof a);
    rfm_cfg_init(&a.rc);
    clv_cfg_init(&a.cc);
    kmeans_cfg_init(&a.kc);
    const char *output = "-";
    char *columns = NULL;
    int all = 0, summary = 0;
    static const char *const modes[] = { "quantile", "rank", NULL };
    static const char *const norms[] = { "minmax", "zscore", "percentile", NULL };
    static const char *const missing[] = { "unscored", "worst", "reweight", "error", NULL };
    cli_parser p;
    cli_init(&p, &cmd_score, argc, argv);
    const char *arg;
    int id;
    while ((id = cli_next(&p, &arg)) != CLI_END) {
        if (input_option(&in, id, arg) || clv_option(&a.cc, id, arg) ||
            kmeans_option(&a.kc, id, arg))
            continue;
        switch (id) {
        case OPT_RFM: a.rfm = 1; break;
        case OPT_CLV: a.clv = 1; break;
        case OPT_KMEANS: a.kmeans = (unsigned)arg_long("--kmeans", arg, 1, 1000000); break;
        case OPT_AHP: a.ahp = arg; break;
        case OPT_MODEL: a.model = arg; break;
        case OPT_SAVE_MODEL: a.save_model = arg; break;
        case OPT_OUTPUT: output = arg; break;
        case OPT_COLUMNS: columns = (char *)arg; break;
        case OPT_ALL: all = 1; break;
        case OPT_PREFIX: a.prefix = arg; break;
        case OPT_SUMMARY: summary = 1; break;
        case OPT_BINS: a.rc.bins = (unsigned)arg_long("--bins", arg, 2, 10); break;
        case OPT_MODE: a.rc.mode = arg_choice("--mode", arg, modes) ? TIER_RFM_RANK : TIER_RFM_QUANTILE; break;
        case OPT_LOWER:
            if (a.n_lower == 32)
                die(EXIT_USAGE, "--lower: at most 32 columns");
            a.lower[a.n_lower++] = arg;
            break;
        case OPT_HIGHER:
            if (a.n_higher == 32)
                die(EXIT_USAGE, "--higher: at most 32 columns");
            a.higher[a.n_higher++] = arg;
            break;
        case OPT_NORM: a.norm = arg_choice("--norm", arg, norms); break;
        case OPT_MISSING: a.missing = arg_choice("--missing", arg, missing); break;
        case OPT_INCONSISTENT: a.inconsistent = 1; break;
        case CLI_POSITIONAL:
            if (in.path)
                cli_usage_error(&cmd_score, "unexpected argument '%s' (one input file only)", arg);
            in.path = arg;
            break;
        }
    }
    if (a.rfm + a.clv + (a.kmeans > 0) + (a.ahp != NULL) + (a.model != NULL) != 1)
        cli_usage_error(&cmd_score,
                        "choose one of --rfm, --ahp FILE, --clv, --kmeans K or --model FILE");
    if (a.model && a.save_model)
        cli_usage_error(&cmd_score, "--save-model saves a fitted model; --model applies one");
    input_info info;
    tier_dataset *ds = input_load(&in, &info);
    tier_scorer *s = NULL;
    int rc;
    if (a.rfm) {
        a.rc.model_out = a.save_model;
        s = run_rfm(ds, &a.rc);
        if (a.prefix && (rc = tier_scorer_set_output_prefix(s, a.prefix)) == TIER_OK)
            rc = tier_scorer_apply(s, ds);
        else
            rc = TIER_OK;
        if (rc)
            die_lib(rc, EXIT_USAGE);
    } else if (a.clv) {
        if ((rc = clv_fit(&s, ds, &a.cc)))
            clv_die(rc);
        if (a.prefix && ((rc = tier_scorer_set_output_prefix(s, a.prefix)) ||
                         (rc = tier_scorer_apply(s, ds))))
            die_lib(rc, EXIT_USAGE);
        if (a.save_model && (rc = tier_scorer_save(s, a.save_model)))
            die_lib(rc, EXIT_WRITE);
    } else if (a.kmeans) {
        tier_kmeans_options ko;
        kmeans_options_of(&ko, &a.kc, a.kmeans);
        ko.output_prefix = a.prefix;
        if ((rc = tier_kmeans_new(&s, &ko)))
            kmeans_die(rc);
        if ((rc = tier_scorer_fit_apply(s, ds)))
            kmeans_die(rc);
        if (a.save_model && (rc = tier_scorer_save(s, a.save_model)))
            die_lib(rc, EXIT_WRITE);
    } else {
        if (a.model) {
            check_readable(a.model);
            tier_scorer_options so = TIER_SCORER_OPTIONS_INIT;
            so.output_prefix = a.prefix;
            rc = tier_scorer_load(&s, a.model, &so);
            if (rc)
                die_lib(rc, EXIT_MODEL);
        } else {
            s = make_ahp(&a);
            if ((rc = tier_scorer_fit(s, ds)))
                die_lib(rc, EXIT_DATA);
            if (a.save_model && (rc = tier_scorer_save(s, a.save_model)))
                die_lib(rc, EXIT_WRITE);
        }
        if ((rc = tier_scorer_apply(s, ds)))
            die_lib(rc, EXIT_DATA);
    }
    const char *names[512];
    size_t n = 0;
    if (columns) {
        n = split_columns(names, 512, columns, ds);
    } else if (!all) {
        for (size_t i = 0; i < tier_scorer_input_count(s) && n < 256; i++)
            names[n++] = tier_scorer_input_name(s, i);
        for (size_t i = 0; i < tier_scorer_output_count(s) && n < 512; i++)
            names[n++] = tier_scorer_output_name(s, i);
    }
    out_file out;
    out_open(&out, output);
    write_customers_csv(out.f, ds, all ? NULL : names, n);
    out_close(&out);
    if (!in.quiet && isatty(STDERR_FILENO))
        print_load_summary(ds, &info);
    if (summary) {
        if (strcmp(tier_scorer_name(s), "clv") == 0 && a.clv)
            print_clv_fit(stderr, s, &a.cc);
        else if (strcmp(tier_scorer_name(s), "kmeans") == 0)
            print_kmeans_summary(stderr, s);
        else if (strcmp(tier_scorer_name(s), "rfm") != 0)
            warn("--summary is for RFM scores, CLV fits and k-means clusters");
        else
            print_segments(s, ds);
    }
    tier_scorer_free(s);
    tier_dataset_free(ds);
    return EXIT_OK;
}

const cli_cmd cmd_score = {
    "score", "SCORER [OPTIONS] INPUT",
    "RFM or AHP scores, CLV or k-means clusters per customer, or a saved model's",
    "SCORER is one of --rfm, --ahp FILE, --clv, --kmeans K or --model FILE.\n"
    "Computes the features of INPUT (as 'tier features' does), fits the scorer on all customers "
    "and writes customer_id with the scorer's input and output columns as CSV. RFM bins are "
    "compatible with the R package rfm; customers who never bought (only returns) have no "
    "recency and are left unscored (empty fields). An AHP judgments file names its criteria "
    "after dataset columns, e.g.\n"
    "  monetary frequency recency\n"
    "  monetary frequency 3\n"
    "  monetary recency 5\n"
    "  frequency recency 2\n"
    "--clv fits the BG/NBD (or Pareto/NBD) model of repeat purchases on repeat_count, t_x and T "
    "(same-day purchases merged) and the Gamma-Gamma model of spend on repeat_spend (the mean "
    "value of repeat purchase days), then writes P(alive), the expected purchases and spend, "
    "the discounted CLV and P(no purchase) over the horizon. Data without any repeat buyer "
    "cannot be fitted (exit status 4). 'tier clv' checks the model on a holdout period.\n"
    "--kmeans K groups the customers into K clusters by the --features columns (after "
    "--transform; z-scores by default) with k-means++ and exact Lloyd/Hamerly iterations, and "
    "writes cluster and cluster_distance (Euclidean, in transformed units). --order-by monetary "
    "numbers the clusters from the highest mean spend down. 'tier kmeans choose-k' compares "
    "values of K.",
    tables, titles, run,
};
