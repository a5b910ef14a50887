/* bench_clv — CLV fit and predict time of libtier on simulated customers. Driven by run_clv.sh.
 *
 *   bench_clv --n N [--model bgnbd|pnbd] [--seed S] [--threads 1,2] [--runs R]
 *             [--data-dir DIR] [--periods P]
 *
 * Data: N customers simulated from BG/NBD with the CDNOW estimates of Fader, Hardie & Lee (2005)
 * (r 0.243, alpha 4.414, a 0.793, b 2.426, weeks), first purchases on a day of the first 12 weeks
 * and an analysis date 39 weeks after the start (CDNOW's calibration period), purchase values
 * Gamma-Gamma (p 6.25, q 3.74, gamma 15.44), seeded (xoshiro256**). Same-day purchases merge, as
 * in the dataset. The transactions go through tier_dataset_add_transactions() (not timed: see
 * bench_features for that) and a column `sim_repeat_spend` holds each customer's mean repeat-purchase
 * value (known to the simulator).
 *
 * Timed (best wall time of R runs), through the public API:
 *   fit     tier_scorer_fit(): validation, grouping of equal (x, t_x, T), 4 starts (on a sample
 *           of 20,000 distinct customers, then refined on all), Gamma-Gamma fit;
 *   apply   tier_scorer_apply(): p_alive, expected_purchases over 52 weeks, expected_spend,
 *           clv (12 discount periods by default), p_no_purchase for every customer.
 * Output: "key value" lines: the fitted parameters, log-likelihood and iterations, the times,
 * the process peak RSS, and the peak of the scorer's own allocations (a counting allocator).
 * With --data-dir the count data (x, t_x and T in weeks, the mean repeat spend) are written as
 * raw little-endian float64 files clv-nN-sS.{x,tx,T,m}.f64 for clv_scipy.py. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tier/tier.h"

#include "bench_util.h"

static bench_xoshiro rng;
static double uni(void) { return bench_xoshiro_uniform(&rng); }
static double gauss(void) { return sqrt(-2.0 * log(uni())) * cos(6.283185307179586 * uni()); }
static double gamma1(double k)
{
    if (k < 1.0)
        return gamma1(k + 1.0) * pow(uni(), 1.0 / k);
    double d = k - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double z = gauss(), v = 1.0 + c * z;
        if (v <= 0.0)
            continue;
        v = v * v * v;
        if (log(uni()) < 0.5 * z * z + d - d * v + d * log(v))
            return d * v;
    }
}

/* Counts the scorer's allocations (it allocates on the calling thread only). */
static bench_counter scorer_mem;

static void die(const char *what)
{
    fprintf(stderr, "bench_clv: %s: %s\n", what, tier_last_error());
    exit(1);
}

#define DAY 86400
#define ORIGIN 852076800 /* 1997-01-01 */
#define BATCH 65536

/* Simulates the customers into a new dataset (features at week 39, column sim_repeat_spend). */
static tier_dataset *simulate(size_t n, uint64_t seed)
{
    static const double bg[4] = { 0.243, 4.414, 0.793, 2.426 }, gg[3] = { 6.25, 3.74, 15.44 };
    bench_xoshiro_seed(&rng, seed);
    tier_dataset *ds = NULL;
    if (tier_dataset_new(&ds, NULL))
        die("dataset");
    char (*names)[24] = malloc(n * sizeof *names);
    double *rspend = malloc(n * sizeof *rspend);
    const char **ids = malloc((BATCH + 512) * sizeof *ids);
    int64_t *t = malloc((BATCH + 512) * sizeof *t);
    double *amt = malloc((BATCH + 512) * sizeof *amt);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "c%zu", i);
        double lambda = gamma1(bg[0]) / bg[1], ga = gamma1(bg[2]), gb = gamma1(bg[3]), drop = ga / (ga + gb);
        double nu = gamma1(gg[1]) / gg[2], T = 39.0, tw = 0.0, sum = 0.0;
        int first = (int)(uni() * 84.0), last_day = first, repeats = 0;
        ids[k] = names[i];
        t[k] = ORIGIN + (int64_t)first * DAY;
        amt[k++] = gamma1(gg[0]) / nu;
        for (int j = 0; j < 400; j++) {
            tw += -log(uni()) / lambda;
            int day = first + (int)(tw * 7.0);
            if (first / 7.0 + tw > T)
                break;
            double v = gamma1(gg[0]) / nu;
            ids[k] = names[i];
            t[k] = ORIGIN + (int64_t)day * DAY;
            amt[k++] = v;
            if (day != last_day) { /* same-day purchases merge: their values add up */
                repeats++;
                last_day = day;
            }
            sum += v;
            if (uni() < drop)
                break;
        }
        rspend[i] = repeats ? sum / repeats : NAN;
        if (k >= BATCH || i + 1 == n) {
            if (tier_dataset_add_transactions(ds, k, ids, t, amt, NULL))
                die("add");
            k = 0;
        }
    }
    if (tier_dataset_compute_features(ds, ORIGIN + (int64_t)39 * 7 * DAY))
        die("features");
    if (tier_dataset_set_numeric(ds, "sim_repeat_spend", rspend))
        die("column");
    free(names);
    free(rspend);
    free(ids);
    free(t);
    free(amt);
    return ds;
}

static void write_f64(const char *dir, const char *tag, const char *what, const double *v, size_t n, double div)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s.f64", dir, tag, what);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        double x = v[i] / div;
        fwrite(&x, sizeof x, 1, f);
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    size_t n = 1000000;
    uint64_t seed = 20240611;
    const char *threads = "1,2", *data_dir = NULL;
    tier_clv_model model = TIER_CLV_BGNBD;
    tier_allocator counting = bench_counting_allocator(&scorer_mem);
    int runs = 3;
    unsigned periods = 12;
    /* options come in pairs; a trailing lone word is ignored */
    for (int i = 1; i + 1 < argc; i++) {
        const char *v;
        if (bench_opt(&v, argc, argv, &i, "--n"))
            n = bench_u64(v);
        else if (bench_opt(&v, argc, argv, &i, "--seed"))
            seed = bench_u64(v);
        else if (bench_opt(&v, argc, argv, &i, "--threads"))
            threads = v;
        else if (bench_opt(&v, argc, argv, &i, "--runs"))
            runs = atoi(v);
        else if (bench_opt(&v, argc, argv, &i, "--periods"))
            periods = (unsigned)atoi(v);
        else if (bench_opt(&v, argc, argv, &i, "--data-dir"))
            data_dir = v;
        else if (bench_opt(&v, argc, argv, &i, "--model"))
            model = !strcmp(v, "pnbd") ? TIER_CLV_PARETO_NBD : TIER_CLV_BGNBD;
        else {
            fprintf(stderr, "bench_clv: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    double t0 = bench_now();
    tier_dataset *ds = simulate(n, seed);
    printf("customers %zu\ntransactions %llu\nsimulate_s %.3f\nrss_after_load_kib %ld\n", tier_dataset_size(ds),
           (unsigned long long)tier_dataset_transaction_count(ds), bench_now() - t0, bench_peak_rss_kib());
    if (data_dir) {
        const double *x, *tx, *T, *m;
        if (tier_dataset_numeric(&x, ds, "repeat_count") || tier_dataset_numeric(&tx, ds, "t_x") ||
            tier_dataset_numeric(&T, ds, "T") || tier_dataset_numeric(&m, ds, "sim_repeat_spend"))
            die("columns");
        char tag[128];
        snprintf(tag, sizeof tag, "clv-n%zu-s%llu", n, (unsigned long long)seed);
        write_f64(data_dir, tag, "x", x, n, 1.0);
        write_f64(data_dir, tag, "tx", tx, n, 7.0);
        write_f64(data_dir, tag, "T", T, n, 7.0);
        write_f64(data_dir, tag, "m", m, n, 1.0);
    }
    for (const char *p = threads; *p;) {
        unsigned th = (unsigned)strtoul(p, (char **)&p, 10);
        if (*p == ',')
            p++;
        double best_fit = INFINITY, best_apply = INFINITY;
        tier_scorer *sc = NULL;
        for (int r = 0; r < runs; r++) {
            tier_clv_options o = TIER_CLV_OPTIONS_INIT;
            o.allocator = &counting;
            o.model = model;
            o.spend_column = "sim_repeat_spend";
            o.discount_periods = periods;
            o.n_threads = th;
            tier_scorer_free(sc);
            sc = NULL;
            if (tier_clv_new(&sc, &o))
                die("new");
            double a = bench_now();
            if (tier_scorer_fit(sc, ds))
                die("fit");
            double b = bench_now();
            if (tier_scorer_apply(sc, ds))
                die("apply");
            double c = bench_now();
            best_fit = fmin(best_fit, b - a);
            best_apply = fmin(best_apply, c - b);
        }
        double p4[4], g3[3], ll;
        unsigned it, agree;
        int conv;
        tier_clv_params(p4, NULL, sc);
        tier_clv_spend_params(g3, sc);
        tier_clv_fit_info(&ll, &it, &conv, NULL, &agree, sc, TIER_CLV_COUNTS);
        printf("threads %u\nparams %.6f %.6f %.6f %.6f\nspend_params %.4f %.4f %.4f\nloglik %.4f\n"
               "iterations %u\nconverged %d\nagreeing_starts %u\nfit_s %.4f\napply_s %.4f\n",
               th, p4[0], p4[1], p4[2], p4[3], g3[0], g3[1], g3[2], ll, it, conv, agree, best_fit, best_apply);
        tier_scorer_free(sc);
    }
    printf("peak_rss_kib %ld\nscorer_peak_bytes %zu\n", bench_peak_rss_kib(), scorer_mem.peak_bytes);
    tier_dataset_free(ds);
    return 0;
}
