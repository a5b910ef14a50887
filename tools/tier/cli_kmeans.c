/* K-means options and output shared by `tier score --kmeans K` and `tier kmeans choose-k`
 * (kmeans.h): feature columns, their transforms, weights, seeding and cluster order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
    OPT_FEATURES = 401, OPT_TRANSFORM, OPT_WEIGHTS, OPT_SEED, OPT_N_INIT, OPT_ORDER_BY,
    OPT_ASCENDING, OPT_ALGORITHM, OPT_MAX_ITER, OPT_NAN
};

const cli_opt kmeans_options[] = {
    { "features", 0, "LIST", OPT_FEATURES, "comma-separated numeric columns to cluster on "
      "(default: recency,frequency,monetary)" },
    { "transform", 0, "T", OPT_TRANSFORM, "transform of the features before clustering: zscore "
      "(default), log1p-zscore, minmax, log1p-minmax, log1p or none; one for all features or a "
      "comma-separated list, one per feature" },
    { "weights", 0, "COL", OPT_WEIGHTS, "numeric column of customer weights (default: 1 each)" },
    { "seed", 0, "N", OPT_SEED, "seed of the k-means++ initialisation (default 0)" },
    { "n-init", 0, "N", OPT_N_INIT, "runs from different seeds, keeping the lowest inertia "
      "(default 1)" },
    { "order-by", 0, "COL", OPT_ORDER_BY, "number clusters by the mean of COL, highest first "
      "(e.g. monetary: cluster 0 is the most valuable); default: initialisation order" },
    { "ascending", 0, NULL, OPT_ASCENDING, "with --order-by: lowest mean first (e.g. recency)" },
    { "algorithm", 0, "NAME", OPT_ALGORITHM, "auto (default), lloyd or hamerly; the results are "
      "identical, only the speed differs" },
    { "max-iter", 0, "N", OPT_MAX_ITER, "iterations per run (default 300)" },
    { "nan", 0, "HOW", OPT_NAN, "customers whose features are missing (e.g. recency of a "
      "customer who never bought): skip (default: left out of the fit, empty cluster fields, as "
      "RFM leaves them unscored) or error" },
    { NULL, 0, NULL, 0, NULL },
};

static const char *const transform_names[] = { "none", "log1p", "zscore", "minmax",
                                               "log1p-zscore", "log1p-minmax", NULL };

void kmeans_cfg_init(kmeans_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->max_iter = 300;
}

/* Splits a comma-separated list in place into at most `cap` non-empty items. */
static size_t split_list(const char **out, size_t cap, char *list, const char *opt)
{
    size_t n = 0;
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        if (n == cap)
            die(EXIT_USAGE, "%s: at most %zu values", opt, cap);
        out[n++] = tok;
    }
    if (n == 0)
        die(EXIT_USAGE, "%s: the list is empty", opt);
    return n;
}

int kmeans_option(kmeans_cfg *c, int id, const char *arg)
{
    static const char *const algorithms[] = { "auto", "lloyd", "hamerly", NULL };
    static const char *const nan_policies[] = { "skip", "error", NULL };
    switch (id) {
    case OPT_FEATURES:
        /* split in place: the names live in argv until exit (as --columns does) */
        c->n_features = split_list(c->features, TIER_KMEANS_MAX_FEATURES, (char *)arg,
                                   "--features");
        return 1;
    case OPT_TRANSFORM: {
        char buf[1024];
        const char *items[TIER_KMEANS_MAX_FEATURES];
        snprintf(buf, sizeof buf, "%s", arg);
        c->n_transforms = split_list(items, TIER_KMEANS_MAX_FEATURES, buf, "--transform");
        for (size_t i = 0; i < c->n_transforms; i++)
            c->transforms[i] = (tier_kmeans_transform)arg_choice("--transform", items[i],
                                                                 transform_names);
        return 1;
    }
    case OPT_WEIGHTS: c->weights = arg; return 1;
    case OPT_SEED: c->seed = (uint64_t)arg_long("--seed", arg, 0, 0x7fffffffL); return 1;
    case OPT_N_INIT: c->n_init = (unsigned)arg_long("--n-init", arg, 1, 1000); return 1;
    case OPT_ORDER_BY: c->order_by = arg; return 1;
    case OPT_ASCENDING: c->ascending = 1; return 1;
    case OPT_ALGORITHM:
        c->algorithm = (tier_kmeans_algorithm)arg_choice("--algorithm", arg, algorithms);
        return 1;
    case OPT_MAX_ITER: c->max_iter = (unsigned)arg_long("--max-iter", arg, 1, 1000000); return 1;
    case OPT_NAN: c->nan_error = arg_choice("--nan", arg, nan_policies) == 1; return 1;
    default: return 0;
    }
}

void kmeans_options_of(tier_kmeans_options *o, kmeans_cfg *c, unsigned k)
{
    tier_kmeans_options_init(o, TIER_KMEANS_OPTIONS_VERSION);
    size_t d = c->n_features ? c->n_features : 3;
    if (c->n_transforms > 1 && c->n_transforms != d)
        die(EXIT_USAGE, "--transform: %zu transforms for %zu features (give one for all or one "
            "per feature)", c->n_transforms, d);
    if (c->ascending && !c->order_by)
        die(EXIT_USAGE, "--ascending needs --order-by COL");
    if (c->n_transforms == 1)
        for (size_t i = 1; i < d; i++)
            c->transforms[i] = c->transforms[0];
    o->n_features = c->n_features;
    o->features = c->n_features ? c->features : NULL;
    o->transforms = c->n_transforms ? c->transforms : NULL;
    o->weights = c->weights;
    o->k = k;
    o->seed = c->seed;
    o->n_init = c->n_init;
    o->algorithm = c->algorithm;
    o->max_iter = c->max_iter;
    o->order_by = c->order_by;
    o->order_ascending = c->ascending;
    o->nan_policy = c->nan_error ? TIER_KMEANS_NAN_ERROR : TIER_KMEANS_NAN_SKIP;
}

_Noreturn void kmeans_die(int rc)
{
    /* options that do not fit the data (unknown or non-numeric column, k above the number of
     * customers) are usage errors, as for CLV; values that cannot be clustered are data errors */
    if (rc == TIER_ERANGE) /* the library names its option; say the CLI's */
        die(EXIT_DATA, "%s [tier: --nan skip]", tier_last_error());
    die_lib(rc, rc == TIER_EINVAL || rc == TIER_ENOTFOUND || rc == TIER_ETYPE ? EXIT_USAGE
                                                                                : EXIT_DATA);
}

void print_kmeans_summary(FILE *f, const tier_scorer *s)
{
    unsigned k = tier_kmeans_k(s);
    size_t d = tier_kmeans_feature_count(s);
    double inertia;
    unsigned iter;
    int conv;
    const double *means;
    if (tier_kmeans_fit_info(&inertia, &iter, &conv, s) || tier_kmeans_cluster_means(&means, s))
        die_lib(TIER_ERROR, EXIT_INTERNAL);
    char b[4][48];
    fprintf(f, "k-means, k = %u on %zu feature%s: inertia %s, %u iteration%s, %s\n", k, d,
            d == 1 ? "" : "s", fmt_fixed(b[0], inertia, 4), iter, iter == 1 ? "" : "s",
            conv ? "converged" : "NOT converged (raise --max-iter)");
    text_table t;
    size_t cols = 3 + d;
    tt_init(&t, cols, 0);
    const char *head[3 + TIER_KMEANS_MAX_FEATURES];
    char names[TIER_KMEANS_MAX_FEATURES][80];
    head[0] = "cluster";
    head[1] = "customers";
    head[2] = "share";
    for (size_t j = 0; j < d; j++) {
        snprintf(names[j], sizeof names[j], "mean %s", tier_scorer_input_name(s, j));
        head[3 + j] = names[j];
    }
    tt_add(&t, head);
    char (*cells)[48] = malloc((3 + d) * sizeof *cells);
    if (!cells)
        die(EXIT_INTERNAL, "out of memory");
    for (unsigned c = 0; c < k; c++) {
        size_t size;
        double share;
        if (tier_kmeans_cluster_size(&size, &share, NULL, s, c))
            die_lib(TIER_ERROR, EXIT_INTERNAL);
        const char *row[3 + TIER_KMEANS_MAX_FEATURES];
        snprintf(cells[0], 48, "%u", c);
        row[0] = cells[0];
        row[1] = fmt_int(cells[1], (double)size);
        row[2] = fmt_percent(cells[2], share);
        for (size_t j = 0; j < d; j++)
            row[3 + j] = fmt_fixed(cells[3 + j], means[c * d + j], 2);
        tt_add(&t, row);
    }
    tt_print(f, &t, "  ");
    tt_free(&t);
    free(cells);
}
