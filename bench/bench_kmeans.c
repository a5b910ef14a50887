/* bench_kmeans — k-means fit time of libtier, to compare with scikit-learn (kmeans_sklearn.py)
 * from the same data and the same initial centers. Driven by run_kmeans.sh.
 *
 *   bench_kmeans --n N --d D --k K [--seed S] --data-dir DIR [--threads 1,2] [--runs R]
 *                [--gen-only] [--max-iter M]
 *   bench_kmeans --warm MIB
 *
 * Data: N rows of D features around K Gaussian blobs (means ~ N(0, 16 * 3 / D) per feature,
 * spread 1.5, so the blobs overlap as real customer segments do, alike for every D), generated
 * with a fixed seed (xoshiro256**, Box-Muller) and written once to DIR as raw little-endian
 * float64 files that the Python side reads with numpy.fromfile:
 *   kmeans-nN-dD-kK-sS.x.f64      N x D, row-major
 *   kmeans-nN-dD-kK-sS.init.f64   K x D initial centers (K distinct rows chosen by the seed)
 *
 * --warm MIB only allocates, touches and frees MIB MiB, then exits: run_kmeans.sh runs it once
 * before the timed processes, because the first touch of memory on a fresh VM is slow and would
 * otherwise land in the timed runs (in its own process, so that it does not count in the peak RSS).
 *
 * Timed (best wall time of R runs), each through the public API on a tier_dataset whose columns
 * f0..f<D-1> hold the data (building the dataset is not timed), at every thread count T:
 *   fit      tier_scorer_fit(): validation, tolerance, iterations, labels, inertia, statistics —
 *            from the given centers, raw features, tol 1e-4, for algorithm lloyd, hamerly and
 *            auto; and the same fit stopped after one iteration (max_iter 1, "fit1"), so that
 *            (fit - fit1) / (iterations - 1) is the cost of one more iteration without the
 *            fixed costs (validation, statistics, the final labelling);
 *   kmeans++ tier_kmeans_initial_centers() with TIER_KMEANS_INIT_PLUSPLUS (data preparation +
 *            greedy k-means++, 2 + floor(ln K) trials);
 *   pass     one memory pass over the data as k-means reads it, the floor an iteration is
 *            compared with: T threads, each summing a contiguous share of the rows, 32 rows of
 *            every feature column at a time (the dataset's own columns, which k-means reads in
 *            place when the features are raw: the same memory, layout and order). Best of
 *            max(R, 10) runs after a warm-up run, so the data are as warm as an iteration finds
 *            them (every iteration follows another one over the same data).
 * Output: "key value ..." lines (see run_kmeans.sh), including a label checksum that
 * kmeans_sklearn.py computes the same way, the process's peak RSS before and after the timed work,
 * and the peak of the scorer's own allocations (a counting allocator): the working memory of
 * k-means beyond the dataset it reads. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "tier/dataset.h"
#include "tier/kmeans.h"
#include "tier/scorer.h"

static const char *FEATURES[8] = { "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7" };

static uint64_t s[4];

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next(void)
{
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

static void seed_rng(uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        s[i] = z ^ (z >> 31);
    }
}

static double uni(void) { return ((double)(next() >> 11) + 0.5) * 0x1.0p-53; }
static double gauss(void) { return sqrt(-2.0 * log(uni())) * cos(6.283185307179586 * uni()); }

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static long peak_rss_kib(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

/* A counting allocator for the k-means scorer: its peak is the exact working memory of a fit
 * (the process RSS is dominated by the dataset). A 16-byte header keeps the size. */
static size_t cur_bytes, peak_bytes;

static void *count_malloc(void *u, size_t size)
{
    (void)u;
    unsigned char *p = malloc(size + 16);
    if (!p)
        return NULL;
    memcpy(p, &size, sizeof size);
    cur_bytes += size;
    peak_bytes = cur_bytes > peak_bytes ? cur_bytes : peak_bytes;
    return p + 16;
}

static void count_free(void *u, void *ptr)
{
    (void)u;
    unsigned char *p = (unsigned char *)ptr - 16;
    size_t size;
    memcpy(&size, p, sizeof size);
    cur_bytes -= size;
    free(p);
}

static void *count_realloc(void *u, void *ptr, size_t size)
{
    if (!ptr)
        return count_malloc(u, size);
    unsigned char *p = (unsigned char *)ptr - 16;
    size_t old;
    memcpy(&old, p, sizeof old);
    unsigned char *q = realloc(p, size + 16);
    if (!q)
        return NULL;
    memcpy(q, &size, sizeof size);
    cur_bytes = cur_bytes - old + size;
    peak_bytes = cur_bytes > peak_bytes ? cur_bytes : peak_bytes;
    return q + 16;
}

static const tier_allocator counting = { count_malloc, count_realloc, count_free, NULL };

static void die(const char *what)
{
    fprintf(stderr, "bench_kmeans: %s: %s\n", what, tier_last_error());
    exit(1);
}

/* Writes the data files unless they exist; returns the row-major data and the centers. */
static void make_data(double *x, double *init, size_t n, size_t d, size_t k, uint64_t seed,
                      const char *xpath, const char *ipath)
{
    seed_rng(seed);
    double *means = malloc(k * d * sizeof *means);
    /* Blob means ~ N(0, sigma^2) with sigma = 4 sqrt(3 / D): the expected distance between two
     * means is the same for every D, so the blobs overlap alike at D = 3 and D = 8. */
    double sigma = 4.0 * sqrt(3.0 / (double)d);
    for (size_t i = 0; i < k * d; i++)
        means[i] = sigma * gauss();
    for (size_t i = 0; i < n; i++) {
        size_t c = (size_t)(uni() * (double)k);
        for (size_t j = 0; j < d; j++)
            x[i * d + j] = means[c * d + j] + 1.5 * gauss();
    }
    for (size_t c = 0; c < k; c++) {
        size_t row = (size_t)(uni() * (double)(n / k)) + c * (n / k); /* distinct: one per stripe */
        memcpy(init + c * d, x + row * d, d * sizeof *init);
    }
    free(means);
    FILE *f = fopen(xpath, "rb");
    if (f) { /* already there: it must be what this generator writes */
        fclose(f);
        return;
    }
    f = fopen(xpath, "wb");
    if (!f || fwrite(x, sizeof *x, n * d, f) != n * d || fclose(f) != 0) {
        perror(xpath);
        exit(1);
    }
    f = fopen(ipath, "wb");
    if (!f || fwrite(init, sizeof *init, k * d, f) != k * d || fclose(f) != 0) {
        perror(ipath);
        exit(1);
    }
}

/* One purchase per customer, then the feature columns. */
static tier_dataset *make_dataset(const double *x, size_t n, size_t d)
{
    tier_dataset *ds = NULL;
    if (tier_dataset_new(&ds, NULL))
        die("tier_dataset_new");
    char *names = malloc(n * 24);
    const char **ids = malloc(n * sizeof *ids);
    int64_t *t = malloc(n * sizeof *t);
    double *a = malloc(n * sizeof *a), *col = malloc(n * sizeof *col);
    for (size_t i = 0; i < n; i++) {
        snprintf(names + i * 24, 24, "c%zu", i);
        ids[i] = names + i * 24;
        t[i] = 1700000000;
        a[i] = 1.0;
    }
    if (tier_dataset_add_transactions(ds, n, ids, t, a, NULL))
        die("tier_dataset_add_transactions");
    for (size_t j = 0; j < d; j++) {
        for (size_t i = 0; i < n; i++)
            col[i] = x[i * d + j];
        if (tier_dataset_set_numeric(ds, FEATURES[j], col))
            die("tier_dataset_set_numeric");
    }
    free(names);
    free(ids);
    free(t);
    free(a);
    free(col);
    return ds;
}

/* Σ label_i * ((i * 2654435761) mod 1000003): the same in kmeans_sklearn.py. */
static long long label_hash(const double *cluster, size_t n)
{
    long long h = 0;
    for (size_t i = 0; i < n; i++)
        h += (long long)cluster[i] * (long long)(((unsigned long long)i * 2654435761ULL) % 1000003ULL);
    return h;
}

/* One memory pass over the feature columns with T threads (see the header comment). */
typedef struct pass_share {
    const double *const *col;
    size_t d, r0, r1;
    double sum;
} pass_share;

static void *pass_thread(void *arg)
{
    pass_share *ps = arg;
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (size_t t0 = ps->r0; t0 < ps->r1; t0 += 32) {
        size_t t1 = t0 + 32 < ps->r1 ? t0 + 32 : ps->r1;
        for (size_t j = 0; j < ps->d; j++) {
            const double *v = ps->col[j];
            size_t i = t0;
            for (; i + 4 <= t1; i += 4) { /* 4 chains: bound by memory, not by add latency */
                a0 += v[i];
                a1 += v[i + 1];
                a2 += v[i + 2];
                a3 += v[i + 3];
            }
            for (; i < t1; i++)
                a0 += v[i];
        }
    }
    ps->sum = a0 + a1 + a2 + a3;
    return NULL;
}

static double pass_seconds(const tier_dataset *ds, size_t n, size_t d, unsigned threads, int runs,
                           double *sink)
{
    const double *col[8];
    for (size_t j = 0; j < d; j++)
        if (tier_dataset_numeric(&col[j], ds, FEATURES[j]))
            die("tier_dataset_numeric");
    pass_share share[64];
    pthread_t tid[64];
    if (threads < 1 || threads > 64) {
        fprintf(stderr, "bench_kmeans: 1 to 64 threads\n");
        exit(2);
    }
    double best = INFINITY;
    for (int r = 0; r <= runs; r++) { /* run 0 warms up */
        double t0 = now();
        for (unsigned t = 0; t < threads; t++) {
            share[t] = (pass_share){ col, d, n * t / threads / 32 * 32, n * (t + 1) / threads / 32 * 32, 0.0 };
            if (t + 1 == threads)
                share[t].r1 = n;
            if (t > 0 && pthread_create(&tid[t], NULL, pass_thread, &share[t]) != 0) {
                fprintf(stderr, "bench_kmeans: pthread_create failed\n");
                exit(1);
            }
        }
        pass_thread(&share[0]);
        for (unsigned t = 1; t < threads; t++)
            pthread_join(tid[t], NULL);
        double dt = now() - t0;
        for (unsigned t = 0; t < threads; t++)
            *sink += share[t].sum;
        if (r > 0 && dt < best)
            best = dt;
    }
    return best;
}

/* Touches and frees `mib` MiB so that the memory the timed runs get is no longer fresh. */
static void warm_memory(size_t mib)
{
    size_t bytes = mib << 20;
    char *p = bytes ? malloc(bytes) : NULL;
    if (!p)
        return;
    for (size_t i = 0; i < bytes; i += 4096)
        p[i] = 1;
    free(p);
}

/* Best wall time of `runs` fits. */
static double fit_seconds(tier_scorer *sc, const tier_dataset *ds, int runs)
{
    double best = INFINITY;
    for (int r = 0; r < runs; r++) {
        double t0 = now();
        if (tier_scorer_fit(sc, ds))
            die("tier_scorer_fit");
        double dt = now() - t0;
        best = dt < best ? dt : best;
    }
    return best;
}

int main(int argc, char **argv)
{
    size_t n = 1000000, d = 3, k = 8;
    uint64_t seed = 20240611;
    const char *dir = ".";
    char threads_arg[64] = "1,2";
    int runs = 3, gen_only = 0;
    size_t warm_mib = 0;
    unsigned max_iter = 300;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--gen-only")) {
            gen_only = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "bench_kmeans: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--n")) n = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--d")) d = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--k")) k = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--data-dir")) dir = v;
        else if (!strcmp(a, "--threads")) snprintf(threads_arg, sizeof threads_arg, "%s", v);
        else if (!strcmp(a, "--runs")) runs = atoi(v);
        else if (!strcmp(a, "--max-iter")) max_iter = (unsigned)atoi(v);
        else if (!strcmp(a, "--warm")) warm_mib = strtoull(v, NULL, 10);
        else {
            fprintf(stderr, "bench_kmeans: unknown option %s\n", a);
            return 2;
        }
    }
    if (warm_mib) {
        warm_memory(warm_mib);
        return 0;
    }
    if (d < 1 || d > 8 || k < 1 || n < k || runs < 1) {
        fprintf(stderr, "bench_kmeans: need 1 <= d <= 8, 1 <= k <= n, runs >= 1\n");
        return 2;
    }
    char xpath[4096], ipath[4096];
    snprintf(xpath, sizeof xpath, "%s/kmeans-n%zu-d%zu-k%zu-s%llu.x.f64", dir, n, d, k, (unsigned long long)seed);
    snprintf(ipath, sizeof ipath, "%s/kmeans-n%zu-d%zu-k%zu-s%llu.init.f64", dir, n, d, k, (unsigned long long)seed);
    double *x = malloc(n * d * sizeof *x), *init = malloc(k * d * sizeof *init);
    make_data(x, init, n, d, k, seed, xpath, ipath);
    printf("data %s %s\n", xpath, ipath);
    if (gen_only)
        return 0;
    tier_dataset *ds = make_dataset(x, n, d);
    free(x);
    long base = peak_rss_kib();
    printf("base_rss_kib %ld\n", base);
    double *centers = malloc(k * d * sizeof *centers);
    double sink = 0.0;
    static const char *const ALGOS[3] = { "lloyd", "hamerly", "auto" };
    static const tier_kmeans_algorithm ALGO_IDS[3] = { TIER_KMEANS_LLOYD, TIER_KMEANS_HAMERLY, TIER_KMEANS_AUTO };
    for (char *tok = strtok(threads_arg, ","); tok; tok = strtok(NULL, ",")) {
        unsigned t = (unsigned)atoi(tok);
        printf("pass libtier %u %.6f\n", t, pass_seconds(ds, n, d, t, runs > 10 ? runs : 10, &sink));
        for (int alg = 0; alg < 3; alg++) {
            tier_kmeans_options o = TIER_KMEANS_OPTIONS_INIT;
            tier_kmeans_transform tr[8] = { TIER_KMEANS_RAW, TIER_KMEANS_RAW, TIER_KMEANS_RAW, TIER_KMEANS_RAW,
                                            TIER_KMEANS_RAW, TIER_KMEANS_RAW, TIER_KMEANS_RAW, TIER_KMEANS_RAW };
            o.n_features = d;
            o.features = FEATURES;
            o.transforms = tr;
            o.k = (unsigned)k;
            o.init = TIER_KMEANS_INIT_GIVEN;
            o.init_centers = init;
            o.algorithm = ALGO_IDS[alg];
            o.n_threads = t;
            o.max_iter = 1;
            o.allocator = &counting;
            tier_scorer *one = NULL, *sc = NULL;
            if (tier_kmeans_new(&one, &o))
                die("tier_kmeans_new");
            o.max_iter = max_iter;
            if (tier_kmeans_new(&sc, &o))
                die("tier_kmeans_new");
            double best = fit_seconds(sc, ds, runs), best1 = fit_seconds(one, ds, runs);
            double inertia;
            unsigned n_iter;
            int converged;
            tier_kmeans_fit_info(&inertia, &n_iter, &converged, sc);
            if (tier_scorer_apply(sc, ds))
                die("tier_scorer_apply");
            const double *cl = NULL;
            tier_dataset_numeric(&cl, ds, "cluster");
            printf("fit libtier %s %u %.6f %u %.17g %lld\n", ALGOS[alg], t, best, n_iter, inertia,
                   label_hash(cl, n));
            printf("fit1 libtier %s %u %.6f\n", ALGOS[alg], t, best1);
            tier_scorer_free(sc);
            tier_scorer_free(one);
        }
        tier_kmeans_options o = TIER_KMEANS_OPTIONS_INIT;
        o.n_features = d;
        o.features = FEATURES;
        tier_kmeans_transform tr[8] = { TIER_KMEANS_RAW, TIER_KMEANS_RAW, TIER_KMEANS_RAW, TIER_KMEANS_RAW,
                                        TIER_KMEANS_RAW, TIER_KMEANS_RAW, TIER_KMEANS_RAW, TIER_KMEANS_RAW };
        o.transforms = tr;
        o.k = (unsigned)k;
        o.n_threads = t;
        o.allocator = &counting;
        double best = INFINITY;
        for (int r = 0; r < runs; r++) {
            double t0 = now();
            if (tier_kmeans_initial_centers(centers, ds, &o, TIER_KMEANS_TRANSFORMED))
                die("tier_kmeans_initial_centers");
            double dt = now() - t0;
            best = dt < best ? dt : best;
        }
        printf("init libtier kmeans++ %u %.6f\n", t, best);
    }
    printf("peak_rss_kib %ld\n", peak_rss_kib());
    printf("sink %g\n", sink);
    printf("kmeans_peak_kib %zu\n", peak_bytes / 1024);
    free(centers);
    free(init);
    tier_dataset_free(ds);
    return 0;
}
