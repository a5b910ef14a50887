/* bench_features: times CSV → per-customer features with libtier's public API.
 *
 *   bench_features FILE [--threads N]
 *
 * Loads a transaction log written by gen_transactions (columns customer_id, order_id, time,
 * amount) with tier_dataset_load_csv(), which parses the file and fixes the features at the
 * default as_of (one day after the last transaction), and reads the recency, frequency and
 * monetary columns (computed on that first read). Prints, one `key value` per line: the wall
 * seconds of the load and the reads, the counts, a checksum line that features_pandas.py and
 * features_duckdb.mjs print identically when all three agree, and the peak RSS of the process.
 *
 * The checksum is made of exact integers, so it does not depend on summation order:
 *   customers, purchasers (customers with a purchase), rows,
 *   recency_s = Σ round(recency × 86400)   over purchasers (recency is NaN for the others),
 *   frequency = Σ frequency,
 *   monetary_c = Σ round(monetary × 100),
 * and the same three sums weighted by w = (customer_id mod 1009) + 1, which catches values
 * attached to the wrong customer.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tier/tier.h>

#include "bench_util.h"

static int fail(const char *what, int rc)
{
    fprintf(stderr, "bench_features: %s failed: %s (%s)\n", what, tier_last_error(),
            tier_status_str(rc));
    return 1;
}

typedef struct checksum {
    int64_t customers, purchasers;
    int64_t recency_s, frequency, monetary_c;
    int64_t w_recency_s, w_frequency, w_monetary_c;
} checksum;

typedef struct rfm {
    const double *recency, *frequency, *monetary;
} rfm;

/* The three columns the peers compute. Feature columns are filled when first read, so this
 * is part of the timed work. */
static int read_rfm(rfm *v, const tier_dataset *ds)
{
    int rc;
    if ((rc = tier_dataset_numeric(&v->recency, ds, "recency")) != TIER_OK ||
        (rc = tier_dataset_numeric(&v->frequency, ds, "frequency")) != TIER_OK ||
        (rc = tier_dataset_numeric(&v->monetary, ds, "monetary")) != TIER_OK)
        return fail("tier_dataset_numeric", rc);
    return 0;
}

static int compute_checksum(checksum *c, const tier_dataset *ds, const rfm *cols)
{
    const double *recency = cols->recency, *frequency = cols->frequency, *monetary = cols->monetary;
    memset(c, 0, sizeof *c);
    size_t n = tier_dataset_size(ds);
    c->customers = (int64_t)n;
    for (size_t i = 0; i < n; i++) {
        const char *id = tier_dataset_customer_id(ds, i);
        char *end;
        errno = 0;
        unsigned long long v = strtoull(id, &end, 10);
        if (errno || *end) {
            fprintf(stderr, "bench_features: customer id '%s' is not an integer\n", id);
            return 1;
        }
        int64_t w = (int64_t)(v % 1009) + 1;
        int64_t f = llround(frequency[i]);
        int64_t m = llround(monetary[i] * 100.0);
        c->frequency += f;
        c->monetary_c += m;
        c->w_frequency += w * f;
        c->w_monetary_c += w * m;
        if (!isnan(recency[i])) {
            int64_t r = llround(recency[i] * 86400.0);
            c->purchasers++;
            c->recency_s += r;
            c->w_recency_s += w * r;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    unsigned threads = 1;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (bench_opt(&v, argc, argv, &i, "--threads")) {
            threads = bench_uint(v);
        } else if (argv[i][0] != '-' && !path) {
            path = argv[i];
        } else {
            fprintf(stderr, "usage: bench_features FILE [--threads N]\n");
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "usage: bench_features FILE [--threads N]\n");
        return 2;
    }

    tier_csv_options opts = TIER_CSV_OPTIONS_INIT;
    opts.customer_column = "customer_id";
    opts.time_column = "time";
    opts.amount_column = "amount";
    opts.order_column = "order_id";
    opts.n_threads = threads;

    tier_dataset *ds = NULL;
    tier_csv_report *report = NULL;
    double t0 = bench_now();
    int rc = tier_dataset_load_csv(&ds, &report, path, &opts);
    rfm v;
    int unread = rc == TIER_OK ? read_rfm(&v, ds) : 0;
    double seconds = bench_now() - t0;
    if (rc != TIER_OK) {
        for (size_t i = 0; i < tier_csv_report_message_count(report); i++)
            fprintf(stderr, "  %s\n", tier_csv_report_message(report, i));
        tier_csv_report_free(report);
        return fail("tier_dataset_load_csv", rc);
    }

    checksum c;
    if (unread || compute_checksum(&c, ds, &v) != 0) {
        tier_dataset_free(ds);
        tier_csv_report_free(report);
        return 1;
    }
    uint64_t rows = tier_csv_report_count(report, TIER_CSV_ROWS_USED);

    printf("tool libtier %s\n", tier_version_string());
    printf("threads %u\n", threads);
    printf("seconds %.6f\n", seconds);
    printf("rows %llu\n", (unsigned long long)rows);
    printf("customers %lld\n", (long long)c.customers);
    printf("checksum customers=%lld purchasers=%lld rows=%llu recency_s=%lld frequency=%lld "
           "monetary_c=%lld w_recency_s=%lld w_frequency=%lld w_monetary_c=%lld\n",
           (long long)c.customers, (long long)c.purchasers, (unsigned long long)rows,
           (long long)c.recency_s, (long long)c.frequency, (long long)c.monetary_c,
           (long long)c.w_recency_s, (long long)c.w_frequency, (long long)c.w_monetary_c);
    printf("peak_rss_kib %ld\n", bench_peak_rss_kib());

    tier_dataset_free(ds);
    tier_csv_report_free(report);
    return 0;
}
