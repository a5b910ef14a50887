/* bench_rules: a four-tier rule set over N synthetic customers (default 10,000,000).
 *
 * Prints, for bench/run_rules.sh, lines of "key value":
 *   tool       libtier VERSION
 *   seconds    wall time of tier_rules_evaluate() (the CASE WHEN equivalent), best of --runs
 *   assign_seconds  wall time of tier_assignment_new() (ids copied, events recorded)
 *   peak_rss_kib    peak resident memory of the process
 *   checksum   per tier "count:sum-of-row-indices", identical in every peer
 *
 * The data are a pure function of the row index, so that the numpy and DuckDB peers
 * (rules_numpy.py, rules_duckdb.mjs) rebuild exactly the same columns without sharing files:
 *   u_c(i)      = ((i * A_c + B_c) mod 2^32) / 2^32                      (a Weyl sequence)
 *   spend       = u_s * u_s * 20000
 *   orders      = floor(u_o * u_o * u_o * 50) + 1
 *   recency_days= floor(u_r * 365), missing when i mod 97 = 0
 * Only multiplications, additions and floor: exact and identical in IEEE double everywhere. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tier/tier.h"

#include "bench_util.h"

#define A_SPEND 2654435761ULL
#define B_SPEND 12345ULL
#define A_ORDERS 2246822519ULL
#define B_ORDERS 374761393ULL
#define A_RECENCY 3266489917ULL
#define B_RECENCY 668265263ULL

static const char RULES[] =
    "tier Diamond when spend > 10000 and orders >= 20 and recency_days <= 60\n"
    "tier Gold when (spend > 4000 and spend / orders > 300) or spend > 12000\n"
    "tier Silver when spend between 1000 and 4000 and recency_days <= 180\n"
    "otherwise Normal\n";

static double weyl(uint64_t i, uint64_t a, uint64_t b)
{
    return (double)((i * a + b) & 0xFFFFFFFFULL) / 4294967296.0;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_rules: %s: %s\n", what, tier_last_error());
    exit(1);
}

/* N customers with one transaction each: the cheapest way to a dataset of N rows. */
static tier_dataset *build(size_t n, unsigned threads)
{
    tier_dataset_options o = TIER_DATASET_OPTIONS_INIT;
    o.n_threads = threads;
    tier_dataset *ds;
    if (tier_dataset_new(&ds, &o))
        die("tier_dataset_new");
    const size_t batch = 1000000;
    char *buf = malloc(batch * 12);
    const char **ids = malloc(batch * sizeof *ids);
    int64_t *times = malloc(batch * sizeof *times);
    double *amounts = malloc(batch * sizeof *amounts);
    for (size_t start = 0; start < n; start += batch) {
        size_t m = n - start < batch ? n - start : batch;
        for (size_t k = 0; k < m; k++) {
            ids[k] = buf + 12 * k;
            snprintf(buf + 12 * k, 12, "%zu", start + k);
            times[k] = 1293840000;
            amounts[k] = 1;
        }
        if (tier_dataset_add_transactions(ds, m, ids, times, amounts, NULL))
            die("tier_dataset_add_transactions");
    }
    free(buf);
    free(ids);
    free(times);
    free(amounts);
    if (tier_dataset_compute_features(ds, TIER_AS_OF_AUTO))
        die("tier_dataset_compute_features");
    double *v = malloc((n + 1) * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        double u = weyl(i, A_SPEND, B_SPEND);
        v[i] = u * u * 20000.0;
    }
    if (tier_dataset_set_numeric(ds, "spend", v))
        die("spend");
    for (size_t i = 0; i < n; i++) {
        double u = weyl(i, A_ORDERS, B_ORDERS);
        v[i] = floor(u * u * u * 50.0) + 1.0;
    }
    if (tier_dataset_set_numeric(ds, "orders", v))
        die("orders");
    for (size_t i = 0; i < n; i++)
        v[i] = i % 97 == 0 ? NAN : floor(weyl(i, A_RECENCY, B_RECENCY) * 365.0);
    if (tier_dataset_set_numeric(ds, "recency_days", v))
        die("recency_days");
    free(v);
    return ds;
}

int main(int argc, char **argv)
{
    size_t n = 10000000;
    unsigned threads = 0;
    int runs = 3;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (bench_opt(&v, argc, argv, &i, "--customers"))
            n = (size_t)bench_u64(v);
        else if (bench_opt(&v, argc, argv, &i, "--threads"))
            threads = bench_uint(v);
        else if (bench_opt(&v, argc, argv, &i, "--runs"))
            runs = atoi(v);
        else if (strcmp(argv[i], "--rules") == 0) {
            fputs(RULES, stdout);
            return 0;
        } else {
            fprintf(stderr, "usage: bench_rules [--customers N] [--threads T] [--runs K] "
                            "[--rules]\n");
            return 2;
        }
    }
    if (runs < 1)
        runs = 1;
    double t0 = bench_now();
    tier_dataset *ds = build(n, threads);
    double t_build = bench_now() - t0;
    tier_rules *rules;
    if (tier_rules_compile(&rules, RULES, strlen(RULES), "bench", NULL))
        die("compile");
    int32_t *tiers = malloc((n + 1) * sizeof *tiers);
    double best = 1e300;
    for (int r = 0; r < runs; r++) {
        t0 = bench_now();
        if (tier_rules_evaluate(tiers, rules, ds))
            die("evaluate");
        double s = bench_now() - t0;
        best = s < best ? s : best;
    }
    t0 = bench_now();
    tier_assignment *a;
    if (tier_assignment_new(&a, rules, ds, NULL, NULL))
        die("assign");
    double t_assign = bench_now() - t0;
    if (memcmp(tier_assignment_qualified(a), tiers, n * sizeof *tiers) != 0) {
        fprintf(stderr, "bench_rules: assignment and evaluation disagree\n");
        return 1;
    }
    uint64_t count[4] = {0}, sum[4] = {0};
    for (size_t i = 0; i < n; i++) {
        count[tiers[i]]++;
        sum[tiers[i]] += i;
    }
    printf("tool libtier %s\n", tier_version_string());
    printf("customers %zu\n", n);
    printf("build_seconds %.3f\n", t_build);
    printf("seconds %.6f\n", best);
    printf("assign_seconds %.6f\n", t_assign);
    printf("peak_rss_kib %ld\n", bench_peak_rss_kib());
    printf("checksum");
    for (int k = 0; k < 4; k++)
        printf(" %llu:%llu", (unsigned long long)count[k], (unsigned long long)sum[k]);
    printf("\n");
    tier_assignment_free(a);
    free(tiers);
    tier_rules_free(rules);
    tier_dataset_free(ds);
    return 0;
}
