/* user_scorer.c — plugging your own scoring strategy into libtier.
 *
 * A backend often has a score of its own (a house formula, a call to a model server ...). Fill
 * a tier_scorer_vtable (include/tier/sys/scorer.h) and it becomes an ordinary tier_scorer: fit,
 * apply, save, load, prefix — and its columns sit next to the built-in RFM scores for rules and
 * summaries.
 *
 * The strategy here, "spend_rate", scores each customer's net spend per day of tenure and labels
 * it against the median learned at fit time:
 *   spend_rate  = monetary / max(tenure, 1)          (numeric)
 *   spend_band  = "above median" | "below median"    (categorical)
 *
 * Usage: user_scorer [orders.csv [model-file]]
 *   orders.csv  the R package rfm's order table (default examples/data/rfm_data_orders.csv)
 *   model-file  where to save the fitted model (default user_scorer.tiermodel)
 * Exit status 0 on success, 1 on any error (with libtier's message on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tier/tier.h>
#include <tier/sys/scorer.h>

/* ---- the strategy ---------------------------------------------------------------------- */

typedef struct spend_rate {
    double median; /* learned by fit; the whole fitted state */
} spend_rate;

static const char *const inputs[] = { "monetary", "tenure" };
static const char *const outputs[] = { "spend_rate", "spend_band" };
static const tier_column_type output_types[] = { TIER_COLUMN_NUMERIC, TIER_COLUMN_CATEGORICAL };

/* Reads both inputs; libtier has already checked that the columns exist. */
static int read_inputs(const double **monetary, const double **tenure, const tier_dataset *ds)
{
    if (tier_dataset_numeric(monetary, ds, "monetary") != TIER_OK ||
        tier_dataset_numeric(tenure, ds, "tenure") != TIER_OK)
        return -1; /* libtier's own message (e.g. "features are out of date") is reported */
    return 0;
}

static double rate(double monetary, double tenure)
{
    return monetary / (tenure > 1.0 ? tenure : 1.0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int sr_fit(void *user, const tier_dataset *ds)
{
    spend_rate *sr = user;
    const double *monetary, *tenure;
    if (read_inputs(&monetary, &tenure, ds) != 0)
        return -1;
    size_t n = tier_dataset_size(ds);
    if (n == 0) {
        tier_scorer_set_error("cannot learn a median from no customers");
        return 1;
    }
    double *r = malloc(n * sizeof *r);
    if (!r) {
        tier_scorer_set_error("out of memory");
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        r[i] = rate(monetary[i], tenure[i]);
    qsort(r, n, sizeof *r, cmp_double);
    sr->median = n % 2 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2.0;
    free(r);
    return 0;
}

/* Called concurrently if the backend applies from several threads: reads `user` only. */
static int sr_apply(void *user, const tier_dataset *ds, tier_scorer_output *out)
{
    const spend_rate *sr = user;
    const double *monetary, *tenure;
    if (read_inputs(&monetary, &tenure, ds) != 0)
        return -1;
    size_t n = tier_dataset_size(ds);
    double *values;
    if (tier_scorer_output_numeric(&values, out, 0) != TIER_OK) /* library-owned buffer */
        return -1;
    int32_t *band = malloc((n ? n : 1) * sizeof *band);
    if (!band) {
        tier_scorer_set_error("out of memory");
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        values[i] = rate(monetary[i], tenure[i]);
        band[i] = values[i] >= sr->median ? 0 : 1;
    }
    static const char *const names[] = { "above median", "below median" };
    int rc = tier_scorer_output_categorical(out, 1, band, names, 2); /* copied */
    free(band);
    return rc;
}

static int sr_save(void *user, tier_scorer_writer *w)
{
    const spend_rate *sr = user;
    return tier_scorer_write(w, &sr->median, sizeof sr->median);
}

static int sr_load(void *user, const void *data, size_t size)
{
    spend_rate *sr = user;
    if (size != sizeof sr->median) {
        tier_scorer_set_error("spend_rate state must be one double");
        return 1;
    }
    memcpy(&sr->median, data, sizeof sr->median);
    return 0;
}

static void sr_destroy(void *user) { free(user); }

static const tier_scorer_vtable spend_rate_vtable = {
    TIER_SCORER_VTABLE_VERSION,
    "spend_rate",
    2, inputs,
    2, outputs, output_types,
    sr_fit, sr_apply, sr_save, sr_load, sr_destroy,
};

/* ---- the backend ----------------------------------------------------------------------- */

static int fail(const char *what)
{
    fprintf(stderr, "user_scorer: %s: %s\n", what, tier_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    const char *orders = argc > 1 ? argv[1] : "examples/data/rfm_data_orders.csv";
    const char *model = argc > 2 ? argv[2] : "user_scorer.tiermodel";

    tier_csv_options csv = TIER_CSV_OPTIONS_INIT;
    csv.time_column = "order_date";
    csv.amount_column = "revenue";
    csv.as_of = 1167523200; /* 2006-12-31T00:00:00Z */
    tier_dataset *ds = NULL;
    if (tier_dataset_load_csv(&ds, NULL, orders, &csv) != TIER_OK)
        return fail(orders);

    /* 1. our strategy next to the built-in RFM */
    tier_scorer *mine = NULL, *rfm = NULL;
    spend_rate *state = calloc(1, sizeof *state);
    if (tier_scorer_new_custom(&mine, &spend_rate_vtable, state, NULL) != TIER_OK) /* owns state */
        return fail("new custom scorer");
    if (tier_rfm_new(&rfm, NULL) != TIER_OK)
        return fail("new rfm scorer");
    if (tier_scorer_fit_apply(mine, ds) != TIER_OK || tier_scorer_fit_apply(rfm, ds) != TIER_OK)
        return fail("fit and apply");

    const double *r, *code;
    const int32_t *band, *seg;
    const char *const *band_names, *const *seg_names;
    if (tier_dataset_numeric(&r, ds, "spend_rate") != TIER_OK ||
        tier_dataset_numeric(&code, ds, "rfm_code") != TIER_OK ||
        tier_dataset_categorical(&band, &band_names, NULL, ds, "spend_band") != TIER_OK ||
        tier_dataset_categorical(&seg, &seg_names, NULL, ds, "rfm_segment") != TIER_OK)
        return fail("read columns");
    printf("%-22s %10s %-13s %4s %s\n", "customer", "spend/day", "band", "rfm", "segment");
    for (size_t i = 0; i < 5; i++)
        printf("%-22s %10.3f %-13s %4.0f %s\n", tier_dataset_customer_id(ds, i), r[i],
               band_names[band[i]], code[i], seg_names[seg[i]]);

    /* 2. save the fitted model, load it as a backend would, and check it scores identically */
    size_t n = tier_dataset_size(ds);
    double *before = malloc(n * sizeof *before);
    memcpy(before, r, n * sizeof *before);
    if (tier_scorer_save(mine, model) != TIER_OK)
        return fail("save");
    tier_scorer *loaded = NULL;
    if (tier_scorer_load_custom(&loaded, model, &spend_rate_vtable, calloc(1, sizeof(spend_rate)),
                                NULL) != TIER_OK)
        return fail("load");
    if (tier_scorer_set_output_prefix(loaded, "reloaded_") != TIER_OK ||
        tier_scorer_apply(loaded, ds) != TIER_OK)
        return fail("apply loaded model");
    const double *after;
    if (tier_dataset_numeric(&after, ds, "reloaded_spend_rate") != TIER_OK)
        return fail("read reloaded column");
    int same = memcmp(before, after, n * sizeof *before) == 0;
    printf("%zu customers scored; reloaded model identical: %s\n", n, same ? "yes" : "NO");

    free(before);
    tier_scorer_free(loaded);
    tier_scorer_free(mine);
    tier_scorer_free(rfm);
    tier_dataset_free(ds);
    return same ? 0 : 1;
}
