/* bench_rfm: times RFM scoring (fit + apply) of N customers with libtier's public API.
 *
 *   bench_rfm [--customers N] [--seed S] [--mode rank|quantile] [--threads T] [--runs K]
 *             [--data-out FILE]
 *
 * Generates recency, frequency and monetary values directly (fixed seed, no CSV), puts them into
 * a dataset as three numeric columns, and times tier_scorer_fit_apply() of a fresh 5×5×5 RFM
 * scorer (best of K runs): three sorts, binning, rfm_code, rfm_total and the named segment of
 * every customer, all written back into the dataset.
 *
 * --data-out writes the generated values as raw little-endian doubles (recency[N],
 * frequency[N], monetary[N]) so rfm_pandas.py scores exactly the same numbers.
 *
 * Prints `key value` lines: seconds (best fit+apply), customers, rss_before_kib (peak RSS after
 * building the dataset, before scoring), peak_rss_kib (after scoring; getrusage), and a
 * checksum of exact integers that rfm_pandas.py prints identically when the scores agree:
 *   Σ rfm_code, Σ rfm_code × ((row mod 1009) + 1), and the customer count of each F score.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tier/tier.h>

#include "bench_util.h"

static int fail(const char *what)
{
    fprintf(stderr, "bench_rfm: %s failed: %s\n", what, tier_last_error());
    return 1;
}

static double next_unit(uint64_t *s) /* (0, 1], from splitmix64 */
{
    return ((double)(bench_splitmix64(s) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

/* Shapes like real customer bases: recency in whole days (exponential, many ties), frequency a
 * small count (geometric-like, heavy ties), monetary log-normal in cents. */
static void generate(double *r, double *f, double *m, size_t n, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        double days = floor(-log(next_unit(&s)) * 120.0);
        r[i] = days > 1500 ? 1500 : days;
        f[i] = 1 + floor(-log(next_unit(&s)) * 3.0);
        double u1 = next_unit(&s), u2 = next_unit(&s);
        double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        m[i] = round(exp(4.0 + 1.2 * z) * 100.0) / 100.0;
    }
}

static int build_dataset(tier_dataset **out, const double *r, const double *f, const double *m, size_t n,
                         unsigned threads)
{
    tier_dataset_options o = TIER_DATASET_OPTIONS_INIT;
    o.n_threads = threads;
    if (tier_dataset_new(out, &o) != TIER_OK)
        return fail("tier_dataset_new");
    /* one purchase per customer creates the rows; the benchmark's values go in as columns */
    char *names = malloc(n * 24);
    const char **ids = malloc(n * sizeof *ids);
    int64_t *t = malloc(n * sizeof *t);
    double *amt = malloc(n * sizeof *amt);
    if (!names || !ids || !t || !amt) {
        fprintf(stderr, "bench_rfm: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(names + i * 24, 24, "c%zu", i);
        ids[i] = names + i * 24;
        t[i] = 1700000000 + (int64_t)i;
        amt[i] = 1.0;
    }
    int rc = tier_dataset_add_transactions(*out, n, ids, t, amt, NULL);
    free(names);
    free(ids);
    free(t);
    free(amt);
    if (rc != TIER_OK || tier_dataset_compute_features(*out, TIER_AS_OF_AUTO) != TIER_OK)
        return fail("building the dataset");
    if (tier_dataset_set_numeric(*out, "g_recency", r) != TIER_OK ||
        tier_dataset_set_numeric(*out, "g_frequency", f) != TIER_OK ||
        tier_dataset_set_numeric(*out, "g_monetary", m) != TIER_OK)
        return fail("tier_dataset_set_numeric");
    return 0;
}

static int write_raw(const char *path, const double *r, const double *f, const double *m, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(r, sizeof *r, n, fp) != n || fwrite(f, sizeof *f, n, fp) != n ||
        fwrite(m, sizeof *m, n, fp) != n || fclose(fp) != 0) {
        fprintf(stderr, "bench_rfm: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

static int score(double *best, tier_dataset *ds, tier_rfm_mode mode, int runs)
{
    *best = INFINITY;
    for (int k = 0; k < runs; k++) {
        tier_rfm_options o = TIER_RFM_OPTIONS_INIT;
        o.columns[TIER_RFM_RECENCY] = "g_recency";
        o.columns[TIER_RFM_FREQUENCY] = "g_frequency";
        o.columns[TIER_RFM_MONETARY] = "g_monetary";
        o.mode = mode;
        tier_scorer *s = NULL;
        if (tier_rfm_new(&s, &o) != TIER_OK)
            return fail("tier_rfm_new");
        double t0 = bench_now();
        int rc = tier_scorer_fit_apply(s, ds);
        double dt = bench_now() - t0;
        tier_scorer_free(s);
        if (rc != TIER_OK)
            return fail("tier_scorer_fit_apply");
        if (dt < *best)
            *best = dt;
    }
    return 0;
}

static int print_checksum(const tier_dataset *ds)
{
    const double *code, *f;
    if (tier_dataset_numeric(&code, ds, "rfm_code") != TIER_OK ||
        tier_dataset_numeric(&f, ds, "f_score") != TIER_OK)
        return fail("reading scores");
    size_t n = tier_dataset_size(ds);
    long long sum = 0, wsum = 0, fc[6] = { 0 };
    for (size_t i = 0; i < n; i++) {
        long long c = (long long)code[i];
        sum += c;
        wsum += c * (long long)(i % 1009 + 1);
        fc[(int)f[i]]++;
    }
    printf("checksum %lld %lld %lld %lld %lld %lld %lld\n", sum, wsum, fc[1], fc[2], fc[3], fc[4], fc[5]);
    return 0;
}

int main(int argc, char **argv)
{
    size_t n = 1000000;
    uint64_t seed = 20240601;
    tier_rfm_mode mode = TIER_RFM_RANK;
    unsigned threads = 1;
    int runs = 3;
    const char *data_out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (i + 1 >= argc) {
            fprintf(stderr, "bench_rfm: %s needs a value\n", argv[i]);
            return 2;
        }
        if (bench_opt(&v, argc, argv, &i, "--customers"))
            n = bench_u64(v);
        else if (bench_opt(&v, argc, argv, &i, "--seed"))
            seed = bench_u64(v);
        else if (bench_opt(&v, argc, argv, &i, "--threads"))
            threads = bench_uint(v);
        else if (bench_opt(&v, argc, argv, &i, "--runs"))
            runs = atoi(v);
        else if (bench_opt(&v, argc, argv, &i, "--data-out"))
            data_out = v;
        else if (bench_opt(&v, argc, argv, &i, "--mode") &&
                 (strcmp(v, "rank") == 0 || strcmp(v, "quantile") == 0))
            mode = strcmp(v, "rank") == 0 ? TIER_RFM_RANK : TIER_RFM_QUANTILE;
        else {
            fprintf(stderr, "usage: bench_rfm [--customers N] [--seed S] [--mode rank|quantile] "
                            "[--threads T] [--runs K] [--data-out FILE]\n");
            return 2;
        }
    }
    if (n == 0 || runs < 1) {
        fprintf(stderr, "bench_rfm: --customers and --runs must be positive\n");
        return 2;
    }
    double *r = malloc(n * sizeof *r), *f = malloc(n * sizeof *f), *m = malloc(n * sizeof *m);
    if (!r || !f || !m) {
        fprintf(stderr, "bench_rfm: out of memory\n");
        return 1;
    }
    generate(r, f, m, n, seed);
    if (data_out && write_raw(data_out, r, f, m, n))
        return 1;
    tier_dataset *ds = NULL;
    if (build_dataset(&ds, r, f, m, n, threads))
        return 1;
    free(r);
    free(f);
    free(m);
    long before = bench_peak_rss_kib();
    double best;
    if (score(&best, ds, mode, runs))
        return 1;
    printf("seconds %.6f\n", best);
    printf("customers %zu\n", n);
    printf("rss_before_kib %ld\n", before);
    printf("peak_rss_kib %ld\n", bench_peak_rss_kib());
    int rc = print_checksum(ds);
    tier_dataset_free(ds);
    return rc;
}
