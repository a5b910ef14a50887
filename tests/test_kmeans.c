/* Tests for include/tier/kmeans.h.
 *
 * Conformance: tests/data/kmeans/case_*.txt hold data, initial centers and scikit-learn's result
 * from those centers (written by tests/data/kmeans/gen_reference.py). From the same centers both
 * algorithms must reproduce scikit-learn's labels and iteration count exactly and its inertia and
 * centers to a relative 1e-9. The other tests check behaviour against values computed here
 * independently (means, sums), edge cases, errors, determinism and saved models. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* ---- helpers -------------------------------------------------------------------------------- */

static const char *const FEATURE_NAMES[12] = { "f0", "f1", "f2", "f3", "f4",  "f5",
                                                "f6", "f7", "f8", "f9", "f10", "f11" };

/* n customers "c0".. (one purchase each) with numeric columns f0..f<d-1> from column-major x
 * (d x n) and, if w is non-NULL, a column "w". */
static tier_dataset *make_ds(size_t n, size_t d, const double *x, const double *w)
{
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, NULL));
    char (*names)[24] = calloc(n ? n : 1, sizeof *names);
    const char **ids = calloc(n ? n : 1, sizeof *ids);
    int64_t *t = calloc(n ? n : 1, sizeof *t);
    double *amt = calloc(n ? n : 1, sizeof *amt);
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "c%zu", i);
        ids[i] = names[i];
        t[i] = 1700000000;
        amt[i] = 1.0;
    }
    TIER_CHECK(tier_dataset_add_transactions(ds, n, ids, t, amt, NULL));
    for (size_t j = 0; j < d; j++)
        TIER_CHECK(tier_dataset_set_numeric(ds, FEATURE_NAMES[j], x + j * n));
    if (w)
        TIER_CHECK(tier_dataset_set_numeric(ds, "w", w));
    free(names);
    free(ids);
    free(t);
    free(amt);
    return ds;
}

static const double *col(const tier_dataset *ds, const char *name)
{
    const double *v = NULL;
    TIER_CHECK(tier_dataset_numeric(&v, ds, name));
    return v;
}

/* Options over features f0..f<d-1> with one transform for all. */
static tier_kmeans_options opts_for(size_t d, unsigned k, tier_kmeans_transform t)
{
    static tier_kmeans_transform tr[12];
    for (size_t j = 0; j < 12; j++)
        tr[j] = t;
    tier_kmeans_options o = TIER_KMEANS_OPTIONS_INIT;
    o.n_features = d;
    o.features = FEATURE_NAMES;
    o.transforms = tr;
    o.k = k;
    return o;
}

static tier_scorer *fit_new(tier_dataset *ds, const tier_kmeans_options *o)
{
    tier_scorer *s = NULL;
    TIER_CHECK(tier_kmeans_new(&s, o));
    TIER_CHECK(tier_scorer_fit_apply(s, ds));
    return s;
}

/* A deterministic generator for data made here (splitmix64 + Box-Muller). */
static uint64_t rng_state = 12345;
static double uni(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) * 0x1.0p-53;
}
static double gauss(void) { return sqrt(-2.0 * log(uni())) * cos(6.283185307179586 * uni()); }

/* n rows of d features (column-major) around k random means. */
static double *blobs(size_t n, size_t d, size_t k, double spread, double sep, uint64_t seed)
{
    rng_state = seed;
    double *means = malloc(k * d * sizeof *means), *x = malloc(n * d * sizeof *x);
    for (size_t i = 0; i < k * d; i++)
        means[i] = sep * gauss();
    for (size_t i = 0; i < n; i++) {
        size_t c = (size_t)(uni() * (double)k);
        for (size_t j = 0; j < d; j++)
            x[j * n + i] = means[c * d + j] + spread * gauss();
    }
    free(means);
    return x;
}

static int rel_close(double a, double b, double tol) { return fabs(a - b) <= tol * fmax(1.0, fabs(b)); }

/* ---- reference cases ------------------------------------------------------------------------ */

typedef struct kcase {
    size_t n, d, k;
    unsigned max_iter, n_iter;
    double tol, inertia;
    int weighted, log_zscore, has_metrics;
    double sil, ch, db;
    double *init, *centers, *x, *w; /* x column-major */
    int32_t *labels;
} kcase;

/* Next whitespace-separated token, skipping '#' comment lines. */
static char *next_token(char **p)
{
    for (;;) {
        while (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n')
            (*p)++;
        if (**p == '#') {
            while (**p && **p != '\n')
                (*p)++;
            continue;
        }
        if (!**p)
            return NULL;
        char *start = *p;
        while (**p && **p != ' ' && **p != '\t' && **p != '\r' && **p != '\n')
            (*p)++;
        if (**p)
            *(*p)++ = '\0';
        return start;
    }
}

static void expect_word(char **p, const char *w)
{
    char *t = next_token(p);
    if (!t || strcmp(t, w) != 0)
        fail_msg("case file: expected '%s', got '%s'", w, t ? t : "(end)");
}

static double num_token(char **p)
{
    char *t = next_token(p), *end;
    if (!t)
        fail_msg("case file: truncated");
    double v = strtod(t, &end);
    if (*end)
        fail_msg("case file: '%s' is not a number", t);
    return v;
}

static char *read_file(const char *path)
{
    return (char *)test_read_file(path, NULL);
}

static void read_case(kcase *c, const char *name)
{
    char file[64];
    snprintf(file, sizeof file, "kmeans/case_%s.txt", name);
    char *text = read_file(test_data_path(file)), *p = text;
    memset(c, 0, sizeof *c);
    expect_word(&p, "case");
    assert_string_equal(next_token(&p), name);
    expect_word(&p, "size");
    c->n = (size_t)num_token(&p);
    c->d = (size_t)num_token(&p);
    c->k = (size_t)num_token(&p);
    expect_word(&p, "params");
    c->max_iter = (unsigned)num_token(&p);
    c->tol = num_token(&p);
    c->weighted = (int)num_token(&p);
    char *kind = next_token(&p);
    c->log_zscore = strcmp(kind, "log1p_zscore") == 0;
    expect_word(&p, "result");
    c->n_iter = (unsigned)num_token(&p);
    c->inertia = num_token(&p);
    expect_word(&p, "metrics");
    char *m = next_token(&p);
    if (strcmp(m, "none") != 0) {
        c->has_metrics = 1;
        c->sil = strtod(m, NULL);
        c->ch = num_token(&p);
        c->db = num_token(&p);
    }
    c->init = malloc(c->k * c->d * sizeof(double));
    c->centers = malloc(c->k * c->d * sizeof(double));
    c->x = malloc(c->n * c->d * sizeof(double));
    c->w = c->weighted ? malloc(c->n * sizeof(double)) : NULL;
    c->labels = malloc(c->n * sizeof(int32_t));
    expect_word(&p, "init");
    for (size_t i = 0; i < c->k * c->d; i++)
        c->init[i] = num_token(&p);
    expect_word(&p, "centers");
    for (size_t i = 0; i < c->k * c->d; i++)
        c->centers[i] = num_token(&p);
    expect_word(&p, "data");
    for (size_t i = 0; i < c->n; i++) {
        for (size_t j = 0; j < c->d; j++)
            c->x[j * c->n + i] = num_token(&p);
        if (c->weighted)
            c->w[i] = num_token(&p);
        c->labels[i] = (int32_t)num_token(&p);
    }
    assert_null(next_token(&p));
    free(text);
}

static void free_case(kcase *c)
{
    free(c->init);
    free(c->centers);
    free(c->x);
    free(c->w);
    free(c->labels);
}

static tier_kmeans_options case_options(const kcase *c, tier_kmeans_algorithm alg)
{
    tier_kmeans_options o = opts_for(c->d, (unsigned)c->k, c->log_zscore ? TIER_KMEANS_LOG1P_ZSCORE : TIER_KMEANS_RAW);
    o.init = TIER_KMEANS_INIT_GIVEN;
    o.init_centers = c->init;
    o.init_units = TIER_KMEANS_ORIGINAL;
    o.max_iter = c->max_iter;
    o.tol = c->tol;
    o.algorithm = alg;
    o.weights = c->weighted ? "w" : NULL;
    return o;
}

/* Fits the case with one algorithm and checks it against scikit-learn. */
static void check_case(const char *name, tier_kmeans_algorithm alg, unsigned threads)
{
    kcase c;
    read_case(&c, name);
    tier_dataset *ds = make_ds(c.n, c.d, c.x, c.w);
    tier_kmeans_options o = case_options(&c, alg);
    o.n_threads = threads;
    tier_scorer *s = fit_new(ds, &o);
    const double *cl = col(ds, "cluster");
    size_t wrong = 0;
    for (size_t i = 0; i < c.n; i++)
        wrong += cl[i] != (double)c.labels[i];
    if (wrong)
        fail_msg("%s (algorithm %d): %zu of %zu labels differ from scikit-learn", name, (int)alg, wrong, c.n);
    double inertia;
    unsigned n_iter;
    int converged;
    TIER_CHECK(tier_kmeans_fit_info(&inertia, &n_iter, &converged, s));
    assert_int_equal(n_iter, c.n_iter);
    if (!rel_close(inertia, c.inertia, 1e-9) || fabs(inertia - c.inertia) > 1e-9 * c.inertia)
        fail_msg("%s: inertia %.17g, scikit-learn %.17g", name, inertia, c.inertia);
    assert_int_equal(converged, c.n_iter < c.max_iter || strcmp(name, "maxiter") != 0);
    const double *centers;
    TIER_CHECK(tier_kmeans_centers(&centers, s, TIER_KMEANS_TRANSFORMED));
    for (size_t i = 0; i < c.k * c.d; i++)
        if (!rel_close(centers[i], c.centers[i], 1e-9))
            fail_msg("%s: center value %zu is %.17g, scikit-learn %.17g", name, i, centers[i], c.centers[i]);
    tier_scorer_free(s);
    tier_dataset_free(ds);
    free_case(&c);
}

static void test_conformance_lloyd(void **state)
{
    (void)state;
    const char *names[] = { "sep3", "overlap3", "sep8", "overlap8", "weighted", "empty", "maxiter",
                            "wholesale" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        check_case(names[i], TIER_KMEANS_LLOYD, 1);
}

static void test_conformance_hamerly(void **state)
{
    (void)state;
    const char *names[] = { "sep3", "overlap3", "sep8", "overlap8", "weighted", "empty", "maxiter",
                            "wholesale" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        check_case(names[i], TIER_KMEANS_HAMERLY, 1);
        check_case(names[i], TIER_KMEANS_AUTO, 2);
    }
}

/* Silhouette, Calinski-Harabasz and Davies-Bouldin of scikit-learn's labelling. */
static void test_conformance_metrics(void **state)
{
    (void)state;
    const char *names[] = { "sep3", "overlap3", "sep8", "wholesale" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        kcase c;
        read_case(&c, names[i]);
        assert_true(c.has_metrics);
        tier_dataset *ds = make_ds(c.n, c.d, c.x, c.w);
        tier_kmeans_options o = case_options(&c, TIER_KMEANS_AUTO);
        tier_kmeans_choose_options co = TIER_KMEANS_CHOOSE_OPTIONS_INIT;
        co.k_min = co.k_max = (unsigned)c.k;
        co.silhouette_sample = 0; /* every row, as silhouette_score without sample_size */
        tier_kmeans_choice *ch = NULL;
        TIER_CHECK(tier_kmeans_choose_k(&ch, ds, &o, &co));
        assert_int_equal(tier_kmeans_choice_count(ch), 1);
        assert_int_equal(tier_kmeans_choice_k(ch, 0), c.k);
        double v;
        TIER_CHECK(tier_kmeans_choice_metric(&v, ch, 0, TIER_KMEANS_INERTIA));
        assert_true(rel_close(v, c.inertia, 1e-9));
        TIER_CHECK(tier_kmeans_choice_metric(&v, ch, 0, TIER_KMEANS_ITERATIONS));
        assert_true(v == (double)c.n_iter);
        TIER_CHECK(tier_kmeans_choice_metric(&v, ch, 0, TIER_KMEANS_SILHOUETTE));
        if (!rel_close(v, c.sil, 1e-9))
            fail_msg("%s: silhouette %.17g, scikit-learn %.17g", names[i], v, c.sil);
        TIER_CHECK(tier_kmeans_choice_metric(&v, ch, 0, TIER_KMEANS_CALINSKI_HARABASZ));
        if (!rel_close(v, c.ch, 1e-9))
            fail_msg("%s: Calinski-Harabasz %.17g, scikit-learn %.17g", names[i], v, c.ch);
        TIER_CHECK(tier_kmeans_choice_metric(&v, ch, 0, TIER_KMEANS_DAVIES_BOULDIN));
        if (!rel_close(v, c.db, 1e-9))
            fail_msg("%s: Davies-Bouldin %.17g, scikit-learn %.17g", names[i], v, c.db);
        tier_kmeans_choice_free(ch);
        tier_dataset_free(ds);
        free_case(&c);
    }
}

/* ---- determinism ---------------------------------------------------------------------------- */

typedef struct snapshot {
    double *cluster, *distance, *centers;
    double inertia;
    unsigned n_iter;
} snapshot;

static snapshot take(tier_dataset *ds, const tier_scorer *s, size_t n, size_t kd)
{
    snapshot sn;
    sn.cluster = malloc(n * sizeof(double));
    sn.distance = malloc(n * sizeof(double));
    sn.centers = malloc(kd * sizeof(double));
    memcpy(sn.cluster, col(ds, "cluster"), n * sizeof(double));
    memcpy(sn.distance, col(ds, "cluster_distance"), n * sizeof(double));
    const double *c;
    TIER_CHECK(tier_kmeans_centers(&c, s, TIER_KMEANS_TRANSFORMED));
    memcpy(sn.centers, c, kd * sizeof(double));
    TIER_CHECK(tier_kmeans_fit_info(&sn.inertia, &sn.n_iter, NULL, s));
    return sn;
}

static void assert_same(const snapshot *a, const snapshot *b, size_t n, size_t kd, const char *what)
{
    if (memcmp(a->cluster, b->cluster, n * sizeof(double)) != 0 ||
        memcmp(a->distance, b->distance, n * sizeof(double)) != 0 ||
        memcmp(a->centers, b->centers, kd * sizeof(double)) != 0 || a->n_iter != b->n_iter ||
        memcmp(&a->inertia, &b->inertia, sizeof(double)) != 0)
        fail_msg("%s: results are not bit-identical (inertia %.17g vs %.17g, n_iter %u vs %u)", what,
                 a->inertia, b->inertia, a->n_iter, b->n_iter);
}

static void drop(snapshot *s)
{
    free(s->cluster);
    free(s->distance);
    free(s->centers);
}

/* 1, 2 and 3 threads, Lloyd and Hamerly, k-means++ and random init: all bit-identical. Enough
 * rows for several blocks of 8192. */
static void test_thread_count_independence(void **state)
{
    (void)state;
    const size_t n = 50000, d = 3, k = 8;
    double *x = blobs(n, d, 6, 1.3, 3.0, 777);
    tier_dataset *ds = make_ds(n, d, x, NULL);
    tier_kmeans_init inits[2] = { TIER_KMEANS_INIT_PLUSPLUS, TIER_KMEANS_INIT_RANDOM };
    for (int ii = 0; ii < 2; ii++) {
        snapshot ref;
        int have = 0;
        tier_kmeans_algorithm algs[2] = { TIER_KMEANS_LLOYD, TIER_KMEANS_HAMERLY };
        for (int ai = 0; ai < 2; ai++)
            for (unsigned t = 1; t <= 3; t++) {
                tier_kmeans_options o = opts_for(d, (unsigned)k, TIER_KMEANS_ZSCORE);
                o.init = inits[ii];
                o.n_init = 2;
                o.seed = 99;
                o.algorithm = algs[ai];
                o.n_threads = t;
                tier_scorer *s = fit_new(ds, &o);
                snapshot sn = take(ds, s, n, k * d);
                assert_true(sn.n_iter > 2); /* a real run, not a trivial one */
                if (!have) {
                    ref = sn;
                    have = 1;
                } else {
                    char what[64];
                    snprintf(what, sizeof what, "init %d algorithm %d threads %u", ii, ai, t);
                    assert_same(&ref, &sn, n, k * d, what);
                    drop(&sn);
                }
                tier_scorer_free(s);
            }
        drop(&ref);
    }
    tier_dataset_free(ds);
    free(x);
}

/* A plain Lloyd iteration written here, as the library documents it (lib/internal/kmeans.h and
 * lib/kmeans_lloyd.c), from given centers with tol 0: labels (lowest index on ties), weighted
 * means, stop when no label changes; final labels and inertia from the final centers. Returns
 * the iteration count, or 0 if a cluster emptied (the data are made so that none does). Every
 * number is computed with the library's operations in the library's order, so that labels,
 * centers, inertia and distances agree to the bit with whatever instruction set the library
 * chose (builds with -DTIER_NO_AVX512 or -DTIER_NO_CLONES run this test against the narrower
 * kernels):
 * - a squared distance is t_0 * t_0, then fma(t_j, t_j, sum) for j = 1 .. d - 1, t_j = x_j - c_j;
 * - rows are taken in blocks of 8192; with k <= 64 and d <= 8 a block's sums (weight x value and
 *   weight, or value and 1) go to 8 lanes by row % 8, each in row order, and the lanes are added
 *   in order 0..7 (starting from lane 0's value); otherwise a block sums in plain row order; the
 *   blocks are added in order, from 0;
 * - a center is sum x (1 / weight sum);
 * - the inertia is summed the same way (8 lanes of weight x squared distance per block). */
#define REF_BLOCK 8192

/* fp-contract stays off here too: the reference fuses only where it says fma. */
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

static double ref_dist2(const double *const *x, size_t i, const double *c, size_t d)
{
    double t = x[0][i] - c[0], acc = t * t;
    for (size_t j = 1; j < d; j++) {
        t = x[j][i] - c[j];
        acc = fma(t, t, acc);
    }
    return acc;
}

static size_t nearest_plain(double *d2, const double *const *x, size_t i, const double *centers, size_t d,
                            size_t k)
{
    size_t best = 0;
    double bd = INFINITY;
    for (size_t c = 0; c < k; c++) {
        double dd = ref_dist2(x, i, centers + c * d, d);
        if (dd < bd) {
            bd = dd;
            best = c;
        }
    }
    *d2 = bd;
    return best;
}

/* The sums of rows [r0, r1) (one block) into part (k x (d + 1): d sums, then the weight). */
static void ref_block_sums(double *part, const double *const *x, const double *w, const int32_t *labels,
                           size_t r0, size_t r1, size_t d, size_t k)
{
    memset(part, 0, k * (d + 1) * sizeof *part);
    if (k > 64 || d > 8) {
        for (size_t i = r0; i < r1; i++) {
            double *s = part + (size_t)labels[i] * (d + 1), wi = w ? w[i] : 1.0;
            for (size_t j = 0; j < d; j++)
                s[j] += w ? x[j][i] * wi : x[j][i];
            s[d] += wi;
        }
        return;
    }
    double *lane = calloc(8 * k * (d + 1), sizeof *lane);
    for (size_t i = r0; i < r1; i++) {
        double *s = lane + ((i - r0) % 8 * k + (size_t)labels[i]) * (d + 1), wi = w ? w[i] : 1.0;
        for (size_t j = 0; j < d; j++)
            s[j] += w ? x[j][i] * wi : x[j][i];
        s[d] += wi;
    }
    for (size_t c = 0; c < k * (d + 1); c++) {
        double sum = lane[c];
        for (size_t l = 1; l < 8; l++)
            sum = sum + lane[l * k * (d + 1) + c];
        part[c] = sum;
    }
    free(lane);
}

/* The inertia of rows [r0, r1) (one block) in 8 lanes. */
static double ref_block_inertia(const double *const *x, const double *w, const double *centers,
                                const int32_t *labels, size_t r0, size_t r1, size_t d)
{
    double lane[8] = { 0 };
    for (size_t i = r0; i < r1; i++) {
        double d2 = ref_dist2(x, i, centers + (size_t)labels[i] * d, d);
        lane[(i - r0) % 8] += w ? d2 * w[i] : d2;
    }
    double s = lane[0];
    for (size_t l = 1; l < 8; l++)
        s += lane[l];
    return s;
}

/* The change of the sums of rows [r0, r1) (one block) when the labels went from `from` to `to`,
 * in row order: +x to the new cluster, -x to the old one, counts +-1 (unweighted). */
static void ref_block_deltas(double *part, const double *const *x, const int32_t *from, const int32_t *to,
                             size_t r0, size_t r1, size_t d, size_t k)
{
    memset(part, 0, k * (d + 1) * sizeof *part);
    for (size_t i = r0; i < r1; i++) {
        if (from[i] == to[i])
            continue;
        double *sf = part + (size_t)from[i] * (d + 1), *st = part + (size_t)to[i] * (d + 1);
        for (size_t j = 0; j < d; j++) {
            st[j] += x[j][i];
            sf[j] -= x[j][i];
        }
        st[d] += 1.0;
        sf[d] -= 1.0;
    }
}

/* Lloyd's algorithm written plainly, with the library's order of every sum: fresh sums (block
 * by block, blocks in order) in the first iterations, and, in an unweighted run once at most
 * n / REF_DELTA_SHARE labels changed in the previous iteration and no cluster has shrunk below
 * 1 / REF_DELTA_SHRINK of its largest size since the last fresh sums, the previous sums plus the
 * change the moved rows make (block by block, blocks in order, then added). Returns the
 * iterations, or 0 if a cluster emptied (the library would relocate: change the data);
 * *delta_iters counts the iterations that carried the sums over. */
#define REF_DELTA_SHARE 16    /* TIER__KM_DELTA_SHARE */
#define REF_DELTA_SHRINK 1024 /* TIER__KM_DELTA_SHRINK */
static unsigned plain_lloyd(double *centers, int32_t *labels, double *inertia, const double *const *x,
                            const double *w, size_t n, size_t d, size_t k, unsigned max_iter,
                            unsigned *delta_iters)
{
    size_t width = k * (d + 1);
    double *sum = malloc(width * sizeof *sum), *part = malloc(width * sizeof *part), d2;
    double *tot = malloc(width * sizeof *tot);
    int32_t *old = malloc(n * sizeof *old);
    double *peak = malloc(k * sizeof *peak);
    unsigned it = 0;
    int carry = 0;
    *delta_iters = 0;
    for (size_t i = 0; i < n; i++)
        labels[i] = -1;
    for (int changed = 1; changed && it < max_iter; it++) {
        memcpy(old, labels, n * sizeof *old);
        size_t count = 0;
        for (size_t i = 0; i < n; i++) {
            int32_t best = (int32_t)nearest_plain(&d2, x, i, centers, d, k);
            count += labels[i] != best;
            labels[i] = best;
        }
        changed = count > 0;
        int delta = carry;
        *delta_iters += (unsigned)delta;
        double *into = delta ? tot : sum;
        memset(into, 0, width * sizeof *into);
        for (size_t r0 = 0; r0 < n; r0 += REF_BLOCK) {
            size_t r1 = r0 + REF_BLOCK < n ? r0 + REF_BLOCK : n;
            if (delta)
                ref_block_deltas(part, x, old, labels, r0, r1, d, k);
            else
                ref_block_sums(part, x, w, labels, r0, r1, d, k);
            for (size_t c = 0; c < width; c++)
                into[c] += part[c];
        }
        if (delta)
            for (size_t c = 0; c < width; c++)
                sum[c] += tot[c];
        int shrunk = 0;
        for (size_t c = 0; c < k; c++) {
            double size = sum[c * (d + 1) + d];
            if (!delta || size > peak[c])
                peak[c] = size;
            shrunk |= size * REF_DELTA_SHRINK < peak[c];
        }
        carry = !w && !shrunk && count <= n / REF_DELTA_SHARE;
        for (size_t c = 0; c < k; c++) {
            double ws = sum[c * (d + 1) + d];
            if (ws == 0.0) {
                it = 0;
                goto out;
            }
            double alpha = 1.0 / ws;
            for (size_t j = 0; j < d; j++)
                centers[c * d + j] = sum[c * (d + 1) + j] * alpha;
        }
    }
    for (size_t i = 0; i < n; i++)
        labels[i] = (int32_t)nearest_plain(&d2, x, i, centers, d, k);
    *inertia = 0.0;
    for (size_t r0 = 0; r0 < n; r0 += REF_BLOCK)
        *inertia += ref_block_inertia(x, w, centers, labels, r0, r0 + REF_BLOCK < n ? r0 + REF_BLOCK : n, d);
out:
    free(sum);
    free(part);
    free(tot);
    free(old);
    free(peak);
    return it;
}

/* Every way the library takes the M-step sums (rows of 4 or 8 values with the weight inside or
 * apart, plain row order for more than 8 features or more than 64 clusters), over several
 * blocks and a partial tile, weighted or not (unweighted runs also carry their sums over, see
 * plain_lloyd): Lloyd at 1 thread, Hamerly at 3 and auto at 2 are
 * bit-identical, and all agree to the bit with the plain Lloyd above (labels, iterations,
 * centers, inertia, and each customer's distance). */
static void test_sum_paths_against_plain_lloyd(void **state)
{
    (void)state;
    static const struct {
        size_t d, k;
        int weighted;
    } cfg[] = { { 1, 3, 0 }, { 2, 5, 1 }, { 3, 8, 1 }, { 4, 6, 0 }, { 5, 4, 1 }, { 7, 9, 0 },
                { 8, 8, 1 }, { 8, 3, 0 }, { 9, 5, 0 }, { 12, 7, 1 }, { 3, 70, 0 } };
    const size_t n = 3 * 8192 + 45; /* three full blocks, then a full and a partial tile */
    unsigned carried[2] = { 0, 0 }; /* iterations that carried the sums over: lanes, row order */
    for (size_t t = 0; t < sizeof cfg / sizeof *cfg; t++) {
        size_t d = cfg[t].d, k = cfg[t].k;
        double *x = blobs(n, d, k, 0.4, 10.0, 1000 + t), *w = NULL;
        if (cfg[t].weighted) {
            w = malloc(n * sizeof *w);
            for (size_t i = 0; i < n; i++)
                w[i] = 0.25 + uni();
        }
        tier_dataset *ds = make_ds(n, d, x, w);
        tier_kmeans_options o = opts_for(d, (unsigned)k, TIER_KMEANS_RAW);
        o.weights = w ? "w" : NULL;
        o.seed = 7;
        o.tol = 0.0;
        o.max_iter = 100;
        double *init = malloc(k * d * sizeof *init), *ref = malloc(k * d * sizeof *ref);
        TIER_CHECK(tier_kmeans_initial_centers(init, ds, &o, TIER_KMEANS_TRANSFORMED));
        o.init = TIER_KMEANS_INIT_GIVEN;
        o.init_centers = init;
        o.init_units = TIER_KMEANS_TRANSFORMED;
        snapshot sn[3];
        static const tier_kmeans_algorithm algs[3] = { TIER_KMEANS_LLOYD, TIER_KMEANS_HAMERLY, TIER_KMEANS_AUTO };
        static const unsigned threads[3] = { 1, 3, 2 };
        for (int a = 0; a < 3; a++) {
            o.algorithm = algs[a];
            o.n_threads = threads[a];
            tier_scorer *s = fit_new(ds, &o);
            sn[a] = take(ds, s, n, k * d);
            tier_scorer_free(s);
        }
        char what[80];
        snprintf(what, sizeof what, "d = %zu, k = %zu, weighted %d", d, k, cfg[t].weighted);
        assert_same(&sn[0], &sn[1], n, k * d, what);
        assert_same(&sn[0], &sn[2], n, k * d, what);
        /* the plain Lloyd on the dataset's own columns */
        const double *xc[12];
        for (size_t j = 0; j < d; j++)
            xc[j] = col(ds, FEATURE_NAMES[j]);
        int32_t *lab = malloc(n * sizeof *lab);
        double inertia = 0.0;
        memcpy(ref, init, k * d * sizeof *ref);
        unsigned delta_iters;
        unsigned it = plain_lloyd(ref, lab, &inertia, xc, w ? col(ds, "w") : NULL, n, d, k, o.max_iter, &delta_iters);
        if (it == 0)
            fail_msg("%s: a cluster emptied in the plain Lloyd; change the data", what);
        carried[d > 8 || k > 64] += delta_iters;
        assert_int_equal(sn[0].n_iter, it);
        size_t wrong = 0;
        for (size_t i = 0; i < n; i++)
            wrong += sn[0].cluster[i] != (double)lab[i];
        if (wrong)
            fail_msg("%s: %zu labels differ from the plain Lloyd", what, wrong);
        if (memcmp(&sn[0].inertia, &inertia, sizeof inertia) != 0)
            fail_msg("%s: inertia %.17g, plain Lloyd %.17g", what, sn[0].inertia, inertia);
        for (size_t i = 0; i < k * d; i++)
            if (memcmp(&sn[0].centers[i], &ref[i], sizeof ref[i]) != 0)
                fail_msg("%s: center value %zu is %.17g, plain Lloyd %.17g", what, i, sn[0].centers[i], ref[i]);
        for (size_t i = 0; i < n; i++) {
            double d2, dist;
            (void)nearest_plain(&d2, xc, i, ref, d, k);
            dist = sqrt(d2);
            if (memcmp(&sn[0].distance[i], &dist, sizeof dist) != 0)
                fail_msg("%s: customer %zu at distance %.17g, plain Lloyd %.17g", what, i, sn[0].distance[i], dist);
        }
        for (int a = 0; a < 3; a++)
            drop(&sn[a]);
        free(lab);
        free(init);
        free(ref);
        free(w);
        free(x);
        tier_dataset_free(ds);
    }
    /* both ways of taking the sums also ran with the sums carried over */
    assert_true(carried[0] > 0);
    assert_true(carried[1] > 0);
}

/* Points on an integer grid with many duplicates have exact distance ties: both algorithms must
 * break them the same way (lowest cluster index). */
static void test_lloyd_hamerly_identical_with_ties(void **state)
{
    (void)state;
    const size_t n = 3000, d = 2;
    double *x = malloc(n * d * sizeof *x);
    rng_state = 4242;
    for (size_t i = 0; i < n; i++) {
        x[i] = (double)(int)(uni() * 6.0);
        x[n + i] = (double)(int)(uni() * 6.0);
    }
    tier_dataset *ds = make_ds(n, d, x, NULL);
    for (unsigned k = 2; k <= 9; k++)
        for (uint64_t seed = 0; seed < 3; seed++) {
            snapshot sn[2];
            for (int a = 0; a < 2; a++) {
                tier_kmeans_options o = opts_for(d, k, TIER_KMEANS_RAW);
                o.seed = seed;
                o.tol = 0.0;
                o.algorithm = a ? TIER_KMEANS_HAMERLY : TIER_KMEANS_LLOYD;
                tier_scorer *s = fit_new(ds, &o);
                sn[a] = take(ds, s, n, k * d);
                tier_scorer_free(s);
            }
            assert_same(&sn[0], &sn[1], n, k * d, "grid data, Lloyd vs Hamerly");
            drop(&sn[0]);
            drop(&sn[1]);
        }
    tier_dataset_free(ds);
    free(x);
}

static void test_seed_and_n_init(void **state)
{
    (void)state;
    const size_t n = 4000, d = 3;
    double *x = blobs(n, d, 10, 1.5, 2.5, 31);
    tier_dataset *ds = make_ds(n, d, x, NULL);
    double first[18];
    int differs = 0;
    for (uint64_t seed = 0; seed < 4; seed++) {
        tier_kmeans_options o = opts_for(d, 6, TIER_KMEANS_RAW);
        o.seed = seed;
        o.algorithm = TIER_KMEANS_LLOYD;
        tier_scorer *s = fit_new(ds, &o);
        const double *c;
        TIER_CHECK(tier_kmeans_centers(&c, s, TIER_KMEANS_TRANSFORMED));
        if (seed == 0)
            memcpy(first, c, sizeof first);
        else
            differs |= memcmp(first, c, sizeof first) != 0;
        tier_scorer_free(s);
    }
    assert_true(differs); /* the seed drives the initialisation */
    /* n_init keeps the lowest inertia; run 0 is the single run with the same seed */
    double single, multi;
    tier_kmeans_options o = opts_for(d, 6, TIER_KMEANS_RAW);
    tier_scorer *s = fit_new(ds, &o);
    TIER_CHECK(tier_kmeans_fit_info(&single, NULL, NULL, s));
    tier_scorer_free(s);
    o.n_init = 6;
    s = fit_new(ds, &o);
    TIER_CHECK(tier_kmeans_fit_info(&multi, NULL, NULL, s));
    tier_scorer_free(s);
    assert_true(multi <= single);
    tier_dataset_free(ds);
    free(x);
}

/* tier_kmeans_initial_centers(): k-means++ picks rows; fed back as given centers (transformed
 * units) they reproduce the fit bit for bit. Rows of weight 0 are never drawn. */
static void test_initial_centers(void **state)
{
    (void)state;
    const size_t n = 3000, d = 3;
    double *x = blobs(n, d, 5, 1.2, 3.0, 123);
    double *w = malloc(n * sizeof *w);
    for (size_t i = 0; i < n; i++) {
        w[i] = (i % 10 == 0) ? 0.0 : 1.0;
        if (i % 10 == 0)
            x[i] = 1e3 + (double)i; /* far away: k-means++ would love them, but they weigh 0 */
    }
    tier_dataset *ds = make_ds(n, d, x, w);
    tier_kmeans_init inits[2] = { TIER_KMEANS_INIT_PLUSPLUS, TIER_KMEANS_INIT_RANDOM };
    for (int ii = 0; ii < 2; ii++) {
        tier_kmeans_options o = opts_for(d, 6, TIER_KMEANS_ZSCORE);
        o.init = inits[ii];
        o.weights = "w";
        o.seed = 17;
        double c0[18], c1[18];
        TIER_CHECK(tier_kmeans_initial_centers(c0, ds, &o, TIER_KMEANS_ORIGINAL));
        o.n_threads = 3;
        TIER_CHECK(tier_kmeans_initial_centers(c1, ds, &o, TIER_KMEANS_ORIGINAL));
        assert_memory_equal(c0, c1, sizeof c0);
        for (size_t c = 0; c < 6; c++) {
            size_t hits = 0;
            for (size_t i = 0; i < n; i++)
                if (rel_close(x[i], c0[c * 3], 1e-12) && rel_close(x[n + i], c0[c * 3 + 1], 1e-12) &&
                    rel_close(x[2 * n + i], c0[c * 3 + 2], 1e-12)) {
                    assert_true(w[i] > 0.0);
                    hits++;
                }
            assert_int_equal(hits, 1); /* a data row, of positive weight */
        }
        /* the same centers, given in transformed units, reproduce the run */
        TIER_CHECK(tier_kmeans_initial_centers(c1, ds, &o, TIER_KMEANS_TRANSFORMED));
        tier_scorer *a = fit_new(ds, &o);
        snapshot sa = take(ds, a, n, 18);
        tier_kmeans_options g = o;
        g.init = TIER_KMEANS_INIT_GIVEN;
        g.init_centers = c1;
        g.init_units = TIER_KMEANS_TRANSFORMED;
        tier_scorer *b = fit_new(ds, &g);
        snapshot sb = take(ds, b, n, 18);
        assert_same(&sa, &sb, n, 18, "k-means++ vs its centers given back");
        drop(&sa);
        drop(&sb);
        tier_scorer_free(a);
        tier_scorer_free(b);
    }
    tier_dataset_free(ds);
    free(x);
    free(w);
}

/* ---- edge cases ----------------------------------------------------------------------------- */

static void test_k1(void **state)
{
    (void)state;
    const size_t n = 500, d = 3;
    double *x = blobs(n, d, 3, 1.0, 4.0, 5);
    double *w = malloc(n * sizeof *w);
    for (size_t i = 0; i < n; i++)
        w[i] = 0.5 + (double)(i % 7);
    tier_dataset *ds = make_ds(n, d, x, w);
    for (int weighted = 0; weighted < 2; weighted++) {
        tier_kmeans_options o = opts_for(d, 1, TIER_KMEANS_RAW);
        o.weights = weighted ? "w" : NULL;
        tier_scorer *s = fit_new(ds, &o);
        double mean[3], wsum = 0.0;
        for (size_t i = 0; i < n; i++)
            wsum += weighted ? w[i] : 1.0;
        for (size_t j = 0; j < d; j++) {
            double sum = 0.0;
            for (size_t i = 0; i < n; i++)
                sum += x[j * n + i] * (weighted ? w[i] : 1.0);
            mean[j] = sum / wsum;
        }
        double inertia = 0.0;
        for (size_t i = 0; i < n; i++) {
            double d2 = 0.0;
            for (size_t j = 0; j < d; j++)
                d2 += (x[j * n + i] - mean[j]) * (x[j * n + i] - mean[j]);
            inertia += d2 * (weighted ? w[i] : 1.0);
        }
        const double *c;
        TIER_CHECK(tier_kmeans_centers(&c, s, TIER_KMEANS_ORIGINAL));
        for (size_t j = 0; j < d; j++)
            assert_true(rel_close(c[j], mean[j], 1e-12));
        double got;
        int converged;
        TIER_CHECK(tier_kmeans_fit_info(&got, NULL, &converged, s));
        assert_true(rel_close(got, inertia, 1e-12));
        assert_int_equal(converged, 1);
        const double *cl = col(ds, "cluster");
        for (size_t i = 0; i < n; i++)
            assert_true(cl[i] == 0.0);
        size_t size;
        double share;
        TIER_CHECK(tier_kmeans_cluster_size(&size, &share, NULL, s, 0));
        assert_int_equal(size, n);
        assert_true(share == 1.0);
        tier_scorer_free(s);
    }
    tier_dataset_free(ds);
    free(x);
    free(w);
}

/* k = N: every customer is its own cluster; inertia and every distance are 0. */
static void test_k_equals_n(void **state)
{
    (void)state;
    const size_t n = 40, d = 3;
    double *x = blobs(n, d, 4, 1.0, 3.0, 8);
    tier_dataset *ds = make_ds(n, d, x, NULL);
    tier_kmeans_init inits[2] = { TIER_KMEANS_INIT_PLUSPLUS, TIER_KMEANS_INIT_RANDOM };
    for (int ii = 0; ii < 2; ii++) {
        tier_kmeans_options o = opts_for(d, (unsigned)n, TIER_KMEANS_RAW);
        o.init = inits[ii];
        tier_scorer *s = fit_new(ds, &o);
        double inertia;
        TIER_CHECK(tier_kmeans_fit_info(&inertia, NULL, NULL, s));
        assert_true(inertia == 0.0);
        const double *cl = col(ds, "cluster"), *dist = col(ds, "cluster_distance");
        int seen[40] = { 0 };
        for (size_t i = 0; i < n; i++) {
            assert_true(dist[i] == 0.0);
            seen[(int)cl[i]]++;
        }
        for (size_t c = 0; c < n; c++) {
            assert_int_equal(seen[c], 1);
            size_t size;
            TIER_CHECK(tier_kmeans_cluster_size(&size, NULL, NULL, s, (unsigned)c));
            assert_int_equal(size, 1);
        }
        tier_scorer_free(s);
    }
    /* k > N is an error */
    tier_kmeans_options o = opts_for(d, (unsigned)n + 1, TIER_KMEANS_RAW);
    tier_scorer *s = NULL;
    TIER_CHECK(tier_kmeans_new(&s, &o));
    TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_EINVAL, "more than the 40 customers");
    assert_false(tier_scorer_is_fitted(s));
    tier_scorer_free(s);
    tier_dataset_free(ds);
    free(x);
}

/* Three distinct points, ten copies each. */
static void test_duplicate_points(void **state)
{
    (void)state;
    const size_t n = 30, d = 2;
    double x[60];
    const double px[3] = { 0.0, 5.0, 0.0 }, py[3] = { 0.0, 0.0, 7.0 };
    for (size_t i = 0; i < n; i++) {
        x[i] = px[i % 3];
        x[n + i] = py[i % 3];
    }
    tier_dataset *ds = make_ds(n, d, x, NULL);
    for (unsigned k = 3; k <= 5; k++) {
        for (int a = 0; a < 2; a++) {
            tier_kmeans_options o = opts_for(d, k, TIER_KMEANS_RAW);
            o.algorithm = a ? TIER_KMEANS_HAMERLY : TIER_KMEANS_LLOYD;
            tier_scorer *s = fit_new(ds, &o);
            double inertia;
            int converged;
            TIER_CHECK(tier_kmeans_fit_info(&inertia, NULL, &converged, s));
            assert_true(inertia == 0.0);
            assert_int_equal(converged, 1);
            size_t total = 0, nonempty = 0;
            for (unsigned c = 0; c < k; c++) {
                size_t size;
                TIER_CHECK(tier_kmeans_cluster_size(&size, NULL, NULL, s, c));
                assert_true(size == 0 || size == 10);
                total += size;
                nonempty += size > 0;
            }
            assert_int_equal(total, n);
            assert_int_equal(nonempty, 3); /* more clusters than distinct points: some stay empty */
            const double *cl = col(ds, "cluster");
            for (size_t i = 3; i < n; i++)
                assert_true(cl[i] == cl[i % 3]);
            tier_scorer_free(s);
        }
    }
    tier_dataset_free(ds);
}

/* A constant feature gets scale 1 and changes no label. */
static void test_constant_feature(void **state)
{
    (void)state;
    const size_t n = 2000;
    double *x2 = blobs(n, 2, 4, 1.0, 3.0, 11);
    double *x3 = malloc(3 * n * sizeof *x3);
    memcpy(x3, x2, 2 * n * sizeof *x3);
    for (size_t i = 0; i < n; i++)
        x3[2 * n + i] = 5.25;
    tier_kmeans_transform ts[3] = { TIER_KMEANS_ZSCORE, TIER_KMEANS_MINMAX, TIER_KMEANS_RAW };
    for (int ti = 0; ti < 3; ti++) {
        tier_dataset *d2 = make_ds(n, 2, x2, NULL), *d3 = make_ds(n, 3, x3, NULL);
        tier_kmeans_options o = opts_for(2, 4, ts[ti]);
        o.tol = 0.0; /* the tolerance scales with the mean variance, which the constant halves */
        tier_scorer *s2 = fit_new(d2, &o);
        o = opts_for(3, 4, ts[ti]);
        o.tol = 0.0;
        tier_scorer *s3 = fit_new(d3, &o);
        assert_memory_equal(col(d2, "cluster"), col(d3, "cluster"), n * sizeof(double));
        double shift, scale;
        TIER_CHECK(tier_kmeans_transform_params(&shift, &scale, s3, 2));
        assert_true(scale == 1.0);
        assert_true(shift == (ts[ti] == TIER_KMEANS_RAW ? 0.0 : 5.25));
        const double *c;
        TIER_CHECK(tier_kmeans_centers(&c, s3, TIER_KMEANS_ORIGINAL));
        for (size_t k = 0; k < 4; k++) /* exact when scaled; a mean of 5.25s may round */
            assert_true(ts[ti] == TIER_KMEANS_RAW ? rel_close(c[k * 3 + 2], 5.25, 1e-15)
                                                  : c[k * 3 + 2] == 5.25);
        tier_scorer_free(s2);
        tier_scorer_free(s3);
        tier_dataset_free(d2);
        tier_dataset_free(d3);
    }
    /* all features constant: one distinct point */
    double same[2 * 10];
    for (size_t i = 0; i < 20; i++)
        same[i] = 3.0;
    tier_dataset *ds = make_ds(10, 2, same, NULL);
    tier_kmeans_options o = opts_for(2, 2, TIER_KMEANS_ZSCORE);
    tier_scorer *s = fit_new(ds, &o);
    double inertia;
    TIER_CHECK(tier_kmeans_fit_info(&inertia, NULL, NULL, s));
    assert_true(inertia == 0.0);
    tier_scorer_free(s);
    tier_dataset_free(ds);
    free(x2);
    free(x3);
}

static void test_nan_features(void **state)
{
    (void)state;
    const size_t n = 100;
    double *x = blobs(n, 2, 2, 1.0, 4.0, 3);
    x[7] = NAN;          /* f0 of c7 */
    x[n + 40] = INFINITY; /* f1 of c40 */
    tier_dataset *ds = make_ds(n, 2, x, NULL);
    tier_kmeans_options o = opts_for(2, 2, TIER_KMEANS_ZSCORE);
    tier_scorer *s = NULL;
    TIER_CHECK(tier_kmeans_new(&s, &o));
    TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_ERANGE, "feature 'f0' is NaN for customer 'c7' (row 7)");
    assert_false(tier_scorer_is_fitted(s));
    tier_scorer_free(s);

    /* skip policy: fitted without them, NaN outputs for them */
    o.nan_policy = TIER_KMEANS_NAN_SKIP;
    s = fit_new(ds, &o);
    const double *cl = col(ds, "cluster"), *dist = col(ds, "cluster_distance");
    assert_true(isnan(cl[7]) && isnan(dist[7]) && isnan(cl[40]) && isnan(dist[40]));
    size_t total = 0;
    for (unsigned c = 0; c < 2; c++) {
        size_t size;
        TIER_CHECK(tier_kmeans_cluster_size(&size, NULL, NULL, s, c));
        total += size;
    }
    assert_int_equal(total, n - 2);
    for (size_t i = 0; i < n; i++)
        if (i != 7 && i != 40)
            assert_true(cl[i] == 0.0 || cl[i] == 1.0);
    /* a saved skip-policy model keeps its policy */
    const char *path = test_temp_path("skip.tkm");
    TIER_CHECK(tier_scorer_save(s, path));
    tier_scorer *ls = NULL;
    TIER_CHECK(tier_scorer_load(&ls, path, NULL));
    double *before = malloc(2 * n * sizeof *before);
    memcpy(before, cl, n * sizeof *before);
    memcpy(before + n, dist, n * sizeof *before);
    TIER_CHECK(tier_scorer_apply(ls, ds));
    assert_memory_equal(before, col(ds, "cluster"), n * sizeof *before);
    assert_memory_equal(before + n, col(ds, "cluster_distance"), n * sizeof *before);
    free(before);
    tier_scorer_free(ls);
    /* the same model, refitted on the rows without NaN, gives the same clusters */
    double *clean = malloc(2 * (n - 2) * sizeof *clean);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (i != 7 && i != 40) {
            clean[m] = x[i];
            clean[(n - 2) + m] = x[n + i];
            m++;
        }
    tier_dataset *dc = make_ds(n - 2, 2, clean, NULL);
    o.nan_policy = TIER_KMEANS_NAN_ERROR;
    tier_scorer *sc = fit_new(dc, &o);
    const double *c1, *c2;
    TIER_CHECK(tier_kmeans_centers(&c1, s, TIER_KMEANS_ORIGINAL));
    TIER_CHECK(tier_kmeans_centers(&c2, sc, TIER_KMEANS_ORIGINAL));
    assert_memory_equal(c1, c2, 4 * sizeof(double));
    /* applying an error-policy model to the dataset with NaN names the customer */
    TIER_EXPECT_ERROR(tier_scorer_apply(sc, ds), TIER_ERANGE, "customer 'c7'");
    tier_scorer_free(sc);
    tier_scorer_free(s);
    tier_dataset_free(dc);

    /* log1p of a value <= -1 */
    double y[4] = { 1.0, 2.0, -1.0, 3.0 };
    tier_dataset *dl = make_ds(4, 1, y, NULL);
    o = opts_for(1, 2, TIER_KMEANS_LOG1P);
    TIER_CHECK(tier_kmeans_new(&s, &o));
    TIER_EXPECT_ERROR(tier_scorer_fit(s, dl), TIER_ERANGE, "customer 'c2' (row 2) (log1p needs values > -1)");
    tier_scorer_free(s);
    tier_dataset_free(dl);

    /* every row unusable */
    double all_nan[3] = { NAN, NAN, NAN };
    tier_dataset *dn = make_ds(3, 1, all_nan, NULL);
    o = opts_for(1, 1, TIER_KMEANS_RAW);
    o.nan_policy = TIER_KMEANS_NAN_SKIP;
    TIER_CHECK(tier_kmeans_new(&s, &o));
    TIER_EXPECT_ERROR(tier_scorer_fit(s, dn), TIER_EEMPTY, "none of the 3 customers");
    tier_scorer_free(s);
    tier_dataset_free(dn);
    tier_dataset_free(ds);
    free(clean);
    free(x);
}

static void test_empty_dataset(void **state)
{
    (void)state;
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, NULL));
    double dummy = 0.0;
    TIER_CHECK(tier_dataset_set_numeric(ds, "f0", &dummy));
    tier_kmeans_options o = opts_for(1, 1, TIER_KMEANS_RAW);
    tier_scorer *s = NULL;
    TIER_CHECK(tier_kmeans_new(&s, &o));
    TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_EEMPTY, "no customers");
    tier_scorer_free(s);
    tier_dataset_free(ds);
}

/* Weights: all ones equal no weights (to rounding: an unweighted run carries its sums over,
 * a weighted one takes them fresh); integer weights equal repeated rows. */
static void test_weights(void **state)
{
    (void)state;
    const size_t n = 3000, d = 3;
    double *x = blobs(n, d, 5, 1.4, 2.5, 21);
    double *ones = malloc(n * sizeof *ones), *w = malloc(n * sizeof *w);
    size_t rep = 0;
    for (size_t i = 0; i < n; i++) {
        ones[i] = 1.0;
        w[i] = (double)(1 + i % 3);
        rep += (size_t)w[i];
    }
    tier_dataset *ds = make_ds(n, d, x, ones);
    tier_kmeans_options o = opts_for(d, 5, TIER_KMEANS_RAW);
    tier_scorer *a = fit_new(ds, &o);
    snapshot sa = take(ds, a, n, 5 * d);
    o.weights = "w";
    tier_scorer *b = fit_new(ds, &o);
    snapshot sb = take(ds, b, n, 5 * d);
    assert_int_equal(sa.n_iter, sb.n_iter);
    assert_memory_equal(sa.cluster, sb.cluster, n * sizeof(double));
    assert_true(rel_close(sa.inertia, sb.inertia, 1e-13));
    for (size_t i = 0; i < 5 * d; i++)
        assert_true(rel_close(sa.centers[i], sb.centers[i], 1e-13));
    for (size_t i = 0; i < n; i++)
        assert_true(rel_close(sa.distance[i], sb.distance[i], 1e-12));
    drop(&sa);
    drop(&sb);
    tier_scorer_free(a);
    tier_scorer_free(b);
    tier_dataset_free(ds);

    /* integer weights vs repeated rows, from the same given centers */
    double *xr = malloc(rep * d * sizeof *xr);
    size_t r = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < (size_t)w[i]; t++, r++)
            for (size_t j = 0; j < d; j++)
                xr[j * rep + r] = x[j * n + i];
    double init[15];
    for (size_t c = 0; c < 5; c++)
        for (size_t j = 0; j < d; j++)
            init[c * d + j] = x[j * n + c * 97];
    tier_dataset *dw = make_ds(n, d, x, w), *dr = make_ds(rep, d, xr, NULL);
    o = opts_for(d, 5, TIER_KMEANS_RAW);
    o.init = TIER_KMEANS_INIT_GIVEN;
    o.init_centers = init;
    o.tol = 0.0;
    tier_scorer *sr = fit_new(dr, &o);
    o.weights = "w";
    tier_scorer *sw = fit_new(dw, &o);
    double iw, ir;
    unsigned nw, nr;
    TIER_CHECK(tier_kmeans_fit_info(&iw, &nw, NULL, sw));
    TIER_CHECK(tier_kmeans_fit_info(&ir, &nr, NULL, sr));
    assert_true(rel_close(iw, ir, 1e-12));
    assert_int_equal(nw, nr);
    const double *cw = col(dw, "cluster"), *cr = col(dr, "cluster");
    r = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < (size_t)w[i]; t++, r++)
            assert_true(cw[i] == cr[r]);
    double wt;
    size_t size;
    TIER_CHECK(tier_kmeans_cluster_size(&size, NULL, &wt, sw, 0));
    double expect = 0.0;
    size_t expect_n = 0;
    for (size_t i = 0; i < n; i++)
        if (cw[i] == 0.0) {
            expect += w[i];
            expect_n++;
        }
    assert_true(wt == expect);
    assert_int_equal(size, expect_n);
    tier_scorer_free(sw);
    tier_scorer_free(sr);
    tier_dataset_free(dr);

    /* bad weights */
    w[17] = -1.0;
    TIER_CHECK(tier_dataset_set_numeric(dw, "w", w));
    tier_scorer *s = NULL;
    TIER_CHECK(tier_kmeans_new(&s, &o));
    TIER_EXPECT_ERROR(tier_scorer_fit(s, dw), TIER_ERANGE, "customer 'c17'");
    w[17] = NAN;
    TIER_CHECK(tier_dataset_set_numeric(dw, "w", w));
    TIER_EXPECT_ERROR(tier_scorer_fit(s, dw), TIER_ERANGE, "is nan for customer 'c17'");
    for (size_t i = 0; i < n; i++)
        w[i] = 0.0;
    TIER_CHECK(tier_dataset_set_numeric(dw, "w", w));
    TIER_EXPECT_ERROR(tier_scorer_fit(s, dw), TIER_ERANGE, "sum to 0");
    tier_scorer_free(s);
    tier_dataset_free(dw);
    free(x);
    free(xr);
    free(ones);
    free(w);
}

/* ---- outputs, ordering and statistics ------------------------------------------------------- */

static void test_order_and_statistics(void **state)
{
    (void)state;
    const size_t n = 5000, d = 3;
    double *x = blobs(n, d, 5, 0.8, 4.0, 55);
    for (size_t i = 0; i < 2 * n; i++)
        x[i] = fabs(x[i]) * 10.0; /* f0, f1 >= 0 for log1p */
    double *value = malloc(n * sizeof *value);
    for (size_t i = 0; i < n; i++)
        value[i] = x[i] * 3.0 + x[2 * n + i]; /* a "monetary" column, not a feature */
    tier_dataset *ds = make_ds(n, d, x, NULL);
    TIER_CHECK(tier_dataset_set_numeric(ds, "value", value));
    tier_kmeans_transform tr[3] = { TIER_KMEANS_LOG1P_ZSCORE, TIER_KMEANS_LOG1P_MINMAX, TIER_KMEANS_ZSCORE };
    for (int asc = 0; asc < 2; asc++) {
        tier_kmeans_options o = opts_for(d, 5, TIER_KMEANS_RAW);
        o.transforms = tr;
        o.order_by = "value";
        o.order_ascending = asc;
        tier_scorer *s = fit_new(ds, &o);
        const double *cl = col(ds, "cluster"), *dist = col(ds, "cluster_distance");
        double sum[5] = { 0 }, cnt[5] = { 0 }, fsum[5][3] = { { 0 } };
        for (size_t i = 0; i < n; i++) {
            int c = (int)cl[i];
            sum[c] += value[i];
            cnt[c] += 1.0;
            for (size_t j = 0; j < d; j++)
                fsum[c][j] += x[j * n + i];
        }
        const double *ov, *means, *ct, *co;
        TIER_CHECK(tier_kmeans_order_values(&ov, s));
        TIER_CHECK(tier_kmeans_cluster_means(&means, s));
        TIER_CHECK(tier_kmeans_centers(&ct, s, TIER_KMEANS_TRANSFORMED));
        TIER_CHECK(tier_kmeans_centers(&co, s, TIER_KMEANS_ORIGINAL));
        for (int c = 0; c < 5; c++) {
            assert_true(cnt[c] > 0);
            assert_true(rel_close(ov[c], sum[c] / cnt[c], 1e-12));
            if (c > 0)
                assert_true(asc ? ov[c] > ov[c - 1] : ov[c] < ov[c - 1]);
            size_t size;
            double share;
            TIER_CHECK(tier_kmeans_cluster_size(&size, &share, NULL, s, (unsigned)c));
            assert_int_equal(size, (size_t)cnt[c]);
            assert_true(share == cnt[c] / (double)n);
            for (size_t j = 0; j < d; j++) {
                assert_true(rel_close(means[c * 3 + j], fsum[c][j] / cnt[c], 1e-12));
                double sh, sc;
                TIER_CHECK(tier_kmeans_transform_params(&sh, &sc, s, j));
                double v = ct[c * 3 + j] * sc + sh;
                assert_true(rel_close(co[c * 3 + j], j < 2 ? expm1(v) : v, 1e-12));
            }
        }
        /* the distance column is the distance to the own center in transformed units */
        for (size_t i = 0; i < n; i += 97) {
            double sh, sc, d2 = 0.0;
            for (size_t j = 0; j < d; j++) {
                TIER_CHECK(tier_kmeans_transform_params(&sh, &sc, s, j));
                double v = j < 2 ? log1p(x[j * n + i]) : x[j * n + i];
                double t = (v - sh) / sc - ct[(int)cl[i] * 3 + j];
                d2 += t * t;
            }
            assert_true(rel_close(dist[i], sqrt(d2), 1e-12));
        }
        tier_scorer_free(s);
    }
    tier_dataset_free(ds);
    free(x);
    free(value);
}

/* New customers placed exactly on the centers get those clusters at distance 0. */
static void test_apply_new_customers(void **state)
{
    (void)state;
    const size_t n = 2000, d = 2;
    double *x = blobs(n, d, 4, 0.5, 5.0, 66);
    tier_dataset *ds = make_ds(n, d, x, NULL);
    tier_kmeans_options o = opts_for(d, 4, TIER_KMEANS_RAW);
    tier_scorer *s = fit_new(ds, &o);
    const double *c;
    TIER_CHECK(tier_kmeans_centers(&c, s, TIER_KMEANS_ORIGINAL));
    double nx[8];
    for (size_t k = 0; k < 4; k++)
        for (size_t j = 0; j < d; j++)
            nx[j * 4 + k] = c[k * d + j];
    tier_dataset *dn = make_ds(4, d, nx, NULL);
    TIER_CHECK(tier_scorer_apply(s, dn));
    const double *cl = col(dn, "cluster"), *dist = col(dn, "cluster_distance");
    for (size_t k = 0; k < 4; k++) {
        assert_true(cl[k] == (double)k);
        assert_true(dist[k] == 0.0);
    }
    /* an unfitted scorer cannot be applied; a missing column is named with a suggestion */
    tier_scorer *u = NULL;
    TIER_CHECK(tier_kmeans_new(&u, &o));
    TIER_EXPECT_ERROR(tier_scorer_apply(u, dn), TIER_ENOTFITTED, "not fitted");
    tier_scorer_free(u);
    const char *feats[2] = { "f0", "f01" };
    o.features = feats;
    TIER_CHECK(tier_kmeans_new(&u, &o));
    TIER_EXPECT_ERROR(tier_scorer_fit(u, ds), TIER_ENOTFOUND, "f01");
    tier_scorer_free(u);
    tier_scorer_free(s);
    tier_dataset_free(dn);
    tier_dataset_free(ds);
    free(x);
}

/* ---- saved models --------------------------------------------------------------------------- */

static void test_save_load_apply(void **state)
{
    (void)state;
    const size_t n = 20000, d = 3;
    double *x = blobs(n, d, 6, 1.0, 3.0, 91);
    for (size_t i = 0; i < n; i++)
        x[i] = fabs(x[i]);
    double *w = malloc(n * sizeof *w);
    for (size_t i = 0; i < n; i++)
        w[i] = 1.0 + (double)(i % 5) * 0.25;
    tier_dataset *ds = make_ds(n, d, x, w);
    tier_kmeans_transform tr[3] = { TIER_KMEANS_LOG1P_ZSCORE, TIER_KMEANS_MINMAX, TIER_KMEANS_ZSCORE };
    tier_kmeans_options o = opts_for(d, 6, TIER_KMEANS_RAW);
    o.transforms = tr;
    o.weights = "w";
    o.order_by = "f2";
    o.output_prefix = "km_";
    o.seed = 5;
    tier_scorer *s = fit_new(ds, &o);
    assert_string_equal(tier_scorer_name(s), "kmeans");
    assert_string_equal(tier_scorer_output_name(s, 0), "km_cluster");
    assert_string_equal(tier_scorer_output_name(s, 1), "km_cluster_distance");
    assert_int_equal(tier_scorer_input_count(s), 3);
    assert_int_equal(tier_kmeans_k(s), 6);
    assert_int_equal(tier_kmeans_feature_count(s), 3);
    const char *path = test_temp_path("model.tkm");
    TIER_CHECK(tier_scorer_save(s, path));
    tier_scorer *l = NULL;
    TIER_CHECK(tier_scorer_load(&l, path, NULL));
    assert_string_equal(tier_scorer_output_prefix(l), "km_");
    tier_dataset *d2 = make_ds(n, d, x, NULL);
    TIER_CHECK(tier_scorer_apply(l, d2));
    assert_memory_equal(col(ds, "km_cluster"), col(d2, "km_cluster"), n * sizeof(double));
    assert_memory_equal(col(ds, "km_cluster_distance"), col(d2, "km_cluster_distance"), n * sizeof(double));
    /* every getter agrees bit for bit */
    const double *a, *b;
    for (int u = 0; u < 2; u++) {
        TIER_CHECK(tier_kmeans_centers(&a, s, (tier_kmeans_units)u));
        TIER_CHECK(tier_kmeans_centers(&b, l, (tier_kmeans_units)u));
        assert_memory_equal(a, b, 6 * d * sizeof(double));
    }
    TIER_CHECK(tier_kmeans_cluster_means(&a, s));
    TIER_CHECK(tier_kmeans_cluster_means(&b, l));
    assert_memory_equal(a, b, 6 * d * sizeof(double));
    TIER_CHECK(tier_kmeans_order_values(&a, s));
    TIER_CHECK(tier_kmeans_order_values(&b, l));
    assert_memory_equal(a, b, 6 * sizeof(double));
    double i1, i2;
    unsigned n1, n2;
    TIER_CHECK(tier_kmeans_fit_info(&i1, &n1, NULL, s));
    TIER_CHECK(tier_kmeans_fit_info(&i2, &n2, NULL, l));
    assert_memory_equal(&i1, &i2, sizeof i1);
    assert_int_equal(n1, n2);
    for (unsigned c = 0; c < 6; c++) {
        size_t z1, z2;
        double w1, w2;
        TIER_CHECK(tier_kmeans_cluster_size(&z1, NULL, &w1, s, c));
        TIER_CHECK(tier_kmeans_cluster_size(&z2, NULL, &w2, l, c));
        assert_int_equal(z1, z2);
        assert_true(w1 == w2);
    }
    /* the loaded configuration refits to the same model */
    TIER_CHECK(tier_scorer_fit(l, ds));
    TIER_CHECK(tier_kmeans_centers(&a, s, TIER_KMEANS_TRANSFORMED));
    TIER_CHECK(tier_kmeans_centers(&b, l, TIER_KMEANS_TRANSFORMED));
    assert_memory_equal(a, b, 6 * d * sizeof(double));
    tier_scorer_free(l);

    /* corrupted and truncated files are rejected */
    size_t len;
    unsigned char *buf = test_read_file(path, &len);
    buf[len / 2] ^= 0x40;
    const char *bad = test_temp_path("corrupt.tkm");
    test_write_bytes(bad, buf, len);
    TIER_EXPECT_ERROR(tier_scorer_load(&l, bad, NULL), TIER_ECORRUPT, "corrupt.tkm");
    assert_null(l);
    buf[len / 2] ^= 0x40;
    test_write_bytes(bad, buf, len - 9);
    TIER_EXPECT_ERROR(tier_scorer_load(&l, bad, NULL), TIER_ECORRUPT, "corrupt.tkm");
    free(buf);

    /* an unfitted scorer cannot be saved */
    tier_scorer *u = NULL;
    TIER_CHECK(tier_kmeans_new(&u, &o));
    TIER_EXPECT_ERROR(tier_scorer_save(u, test_temp_path("u.tkm")), TIER_ENOTFITTED, "not fitted");
    tier_scorer_free(u);
    tier_scorer_free(s);
    tier_dataset_free(ds);
    tier_dataset_free(d2);
    free(x);
    free(w);
}

/* ---- choosing k ----------------------------------------------------------------------------- */

static void test_choose_k(void **state)
{
    (void)state;
    const size_t n = 6000, d = 2;
    rng_state = 2024;
    double *x = malloc(n * d * sizeof *x);
    const double mx[4] = { 0, 10, 0, 10 }, my[4] = { 0, 0, 10, 10 };
    for (size_t i = 0; i < n; i++) {
        x[i] = mx[i % 4] + 0.8 * gauss();
        x[n + i] = my[i % 4] + 0.8 * gauss();
    }
    tier_dataset *ds = make_ds(n, d, x, NULL);
    tier_kmeans_options o = opts_for(d, 0, TIER_KMEANS_RAW);
    tier_kmeans_choose_options co = TIER_KMEANS_CHOOSE_OPTIONS_INIT;
    co.k_min = 1;
    co.k_max = 8;
    co.silhouette_sample = 1500;
    tier_kmeans_choice *ch = NULL;
    TIER_CHECK(tier_kmeans_choose_k(&ch, ds, &o, &co));
    assert_int_equal(tier_kmeans_choice_count(ch), 8);
    unsigned k;
    TIER_CHECK(tier_kmeans_choice_best(&k, ch, TIER_KMEANS_INERTIA));
    assert_int_equal(k, 4);
    TIER_CHECK(tier_kmeans_choice_best(&k, ch, TIER_KMEANS_SILHOUETTE));
    assert_int_equal(k, 4);
    TIER_CHECK(tier_kmeans_choice_best(&k, ch, TIER_KMEANS_CALINSKI_HARABASZ));
    assert_int_equal(k, 4);
    TIER_CHECK(tier_kmeans_choice_best(&k, ch, TIER_KMEANS_DAVIES_BOULDIN));
    assert_int_equal(k, 4);
    double v, prev = INFINITY;
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(tier_kmeans_choice_k(ch, i), i + 1);
        TIER_CHECK(tier_kmeans_choice_metric(&v, ch, i, TIER_KMEANS_INERTIA));
        assert_true(v < prev);
        prev = v;
    }
    /* k = 1: the other metrics are undefined */
    TIER_CHECK(tier_kmeans_choice_metric(&v, ch, 0, TIER_KMEANS_SILHOUETTE));
    assert_true(isnan(v));
    TIER_CHECK(tier_kmeans_choice_metric(&v, ch, 0, TIER_KMEANS_CALINSKI_HARABASZ));
    assert_true(isnan(v));
    /* a k fitted alone gives the same inertia as in the range */
    TIER_CHECK(tier_kmeans_choice_metric(&v, ch, 3, TIER_KMEANS_INERTIA));
    o.k = 4;
    tier_scorer *s = fit_new(ds, &o);
    double in;
    TIER_CHECK(tier_kmeans_fit_info(&in, NULL, NULL, s));
    assert_memory_equal(&in, &v, sizeof v);
    tier_scorer_free(s);
    /* the same seed gives the same silhouette, for any thread count */
    double sil;
    TIER_CHECK(tier_kmeans_choice_metric(&sil, ch, 3, TIER_KMEANS_SILHOUETTE));
    assert_true(sil > 0.7 && sil < 1.0);
    tier_kmeans_choice_free(ch);
    o.n_threads = 3;
    co.k_min = co.k_max = 4;
    TIER_CHECK(tier_kmeans_choose_k(&ch, ds, &o, &co));
    TIER_CHECK(tier_kmeans_choice_metric(&v, ch, 0, TIER_KMEANS_SILHOUETTE));
    assert_memory_equal(&v, &sil, sizeof v);
    tier_kmeans_choice_free(ch);
    /* errors */
    co.k_min = 5;
    co.k_max = 4;
    TIER_EXPECT_ERROR(tier_kmeans_choose_k(&ch, ds, &o, &co), TIER_EINVAL, "range 5..4");
    assert_null(ch);
    co.k_min = (unsigned)n - 10;
    co.k_max = (unsigned)n + 1;
    TIER_EXPECT_ERROR(tier_kmeans_choose_k(&ch, ds, &o, &co), TIER_EINVAL, "more than the 6000");
    co.k_max = 2;
    co.k_min = 1;
    TIER_CHECK(tier_kmeans_choose_k(&ch, ds, &o, &co));
    TIER_EXPECT_ERROR(tier_kmeans_choice_best(&k, ch, TIER_KMEANS_ITERATIONS), TIER_EINVAL, "does not recommend");
    TIER_CHECK(tier_kmeans_choice_best(&k, ch, TIER_KMEANS_INERTIA));
    assert_int_equal(k, 1); /* fewer than 3 points: no elbow */
    tier_kmeans_choice_free(ch);
    tier_dataset_free(ds);
    free(x);
}

/* ---- options -------------------------------------------------------------------------------- */

static void test_options(void **state)
{
    (void)state;
    tier_kmeans_options o;
    TIER_CHECK(tier_kmeans_options_init(&o, TIER_KMEANS_OPTIONS_VERSION));
    assert_int_equal(o.k, 8);
    assert_int_equal(o.max_iter, 300);
    assert_true(o.tol == 1e-4);
    TIER_EXPECT_ERROR(tier_kmeans_options_init(&o, 99), TIER_EVERSION, "version");
    tier_scorer *s = NULL;
    TIER_CHECK(tier_kmeans_new(&s, NULL));
    assert_int_equal(tier_scorer_input_count(s), 3);
    assert_string_equal(tier_scorer_input_name(s, 0), "recency");
    assert_string_equal(tier_scorer_input_name(s, 2), "monetary");
    assert_false(tier_scorer_is_fitted(s));
    const double *c;
    TIER_EXPECT_ERROR(tier_kmeans_centers(&c, s, TIER_KMEANS_ORIGINAL), TIER_ENOTFITTED, "not fitted");
    tier_scorer_free(s);

    tier_kmeans_options bad = opts_for(2, 0, TIER_KMEANS_RAW);
    TIER_EXPECT_ERROR(tier_kmeans_new(&s, &bad), TIER_EINVAL, "k must be");
    assert_null(s);
    bad = opts_for(2, 2, TIER_KMEANS_RAW);
    const char *dup[2] = { "f0", "f0" };
    bad.features = dup;
    TIER_EXPECT_ERROR(tier_kmeans_new(&s, &bad), TIER_EINVAL, "listed twice");
    bad = opts_for(2, 2, (tier_kmeans_transform)17);
    TIER_EXPECT_ERROR(tier_kmeans_new(&s, &bad), TIER_EINVAL, "unknown transform");
    bad = opts_for(2, 2, TIER_KMEANS_RAW);
    bad.max_iter = 0;
    TIER_EXPECT_ERROR(tier_kmeans_new(&s, &bad), TIER_EINVAL, "max_iter");
    bad = opts_for(2, 2, TIER_KMEANS_RAW);
    bad.tol = -1.0;
    TIER_EXPECT_ERROR(tier_kmeans_new(&s, &bad), TIER_EINVAL, "tol");
    bad = opts_for(2, 2, TIER_KMEANS_RAW);
    bad.init = TIER_KMEANS_INIT_GIVEN;
    TIER_EXPECT_ERROR(tier_kmeans_new(&s, &bad), TIER_EINVAL, "init_centers is NULL");
    double nanc[4] = { 0, 1, NAN, 2 };
    bad.init_centers = nanc;
    TIER_EXPECT_ERROR(tier_kmeans_new(&s, &bad), TIER_EINVAL, "initial center 1, feature 'f0'");
    bad = opts_for(TIER_KMEANS_MAX_FEATURES + 1, 2, TIER_KMEANS_RAW);
    TIER_EXPECT_ERROR(tier_kmeans_new(&s, &bad), TIER_EINVAL, "at most 64");
    bad = opts_for(2, 2, TIER_KMEANS_RAW);
    bad.output_prefix = "9x";
    TIER_EXPECT_ERROR(tier_kmeans_new(&s, &bad), TIER_EINVAL, "prefix");
    assert_null(s);

    /* the getters refuse other strategies */
    tier_scorer *r = NULL;
    TIER_CHECK(tier_rfm_new(&r, NULL));
    assert_int_equal(tier_kmeans_k(r), 0);
    TIER_EXPECT_ERROR(tier_kmeans_centers(&c, r, TIER_KMEANS_ORIGINAL), TIER_EINVAL, "not 'kmeans'");
    tier_scorer_free(r);

    /* a given center outside log1p's domain */
    double y[6] = { 1, 2, 3, 4, 5, 6 };
    tier_dataset *ds = make_ds(6, 1, y, NULL);
    tier_kmeans_options g = opts_for(1, 2, TIER_KMEANS_LOG1P);
    double gc[2] = { 1.0, -3.0 };
    g.init = TIER_KMEANS_INIT_GIVEN;
    g.init_centers = gc;
    TIER_CHECK(tier_kmeans_new(&s, &g));
    TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_ERANGE, "initial center 1");
    /* the same centers given in transformed units are fine */
    tier_scorer_free(s);
    g.init_units = TIER_KMEANS_TRANSFORMED;
    s = fit_new(ds, &g);
    tier_scorer_free(s);
    /* random init needs k rows of positive weight */
    double zw[6] = { 1, 0, 0, 0, 0, 1 };
    TIER_CHECK(tier_dataset_set_numeric(ds, "w", zw));
    tier_kmeans_options ri = opts_for(1, 3, TIER_KMEANS_RAW);
    ri.init = TIER_KMEANS_INIT_RANDOM;
    ri.weights = "w";
    TIER_CHECK(tier_kmeans_new(&s, &ri));
    TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_EINVAL, "positive weight, found 2");
    tier_scorer_free(s);
    tier_dataset_free(ds);
}

/* End to end on real orders: RFM features, log1p + z-score, clusters ordered by monetary. */
static void test_rfm_orders(void **state)
{
    (void)state;
    tier_csv_options co = TIER_CSV_OPTIONS_INIT;
    co.customer_column = "customer_id";
    co.time_column = "order_date";
    co.amount_column = "revenue";
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_load_csv(&ds, NULL, example_data_path("rfm_data_orders.csv"), &co));
    tier_kmeans_options o = TIER_KMEANS_OPTIONS_INIT; /* recency, frequency, monetary */
    tier_kmeans_transform tr[3] = { TIER_KMEANS_LOG1P_ZSCORE, TIER_KMEANS_LOG1P_ZSCORE,
                                    TIER_KMEANS_LOG1P_ZSCORE };
    o.transforms = tr;
    o.k = 4;
    o.order_by = "monetary";
    tier_scorer *s = fit_new(ds, &o);
    size_t n = tier_dataset_size(ds), total = 0;
    const double *cl = col(ds, "cluster"), *m = col(ds, "monetary");
    double sum[4] = { 0 }, cnt[4] = { 0 };
    for (size_t i = 0; i < n; i++) {
        sum[(int)cl[i]] += m[i];
        cnt[(int)cl[i]] += 1;
    }
    for (int c = 0; c < 4; c++) {
        size_t size;
        TIER_CHECK(tier_kmeans_cluster_size(&size, NULL, NULL, s, (unsigned)c));
        total += size;
        if (c > 0)
            assert_true(sum[c] / cnt[c] < sum[c - 1] / cnt[c - 1]); /* cluster 0 spends most */
    }
    assert_int_equal(total, n);
    tier_scorer_free(s);
    tier_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conformance_lloyd),
        cmocka_unit_test(test_conformance_hamerly),
        cmocka_unit_test(test_conformance_metrics),
        cmocka_unit_test(test_thread_count_independence),
        cmocka_unit_test(test_sum_paths_against_plain_lloyd),
        cmocka_unit_test(test_lloyd_hamerly_identical_with_ties),
        cmocka_unit_test(test_seed_and_n_init),
        cmocka_unit_test(test_initial_centers),
        cmocka_unit_test(test_k1),
        cmocka_unit_test(test_k_equals_n),
        cmocka_unit_test(test_duplicate_points),
        cmocka_unit_test(test_constant_feature),
        cmocka_unit_test(test_nan_features),
        cmocka_unit_test(test_empty_dataset),
        cmocka_unit_test(test_weights),
        cmocka_unit_test(test_order_and_statistics),
        cmocka_unit_test(test_apply_new_customers),
        cmocka_unit_test(test_save_load_apply),
        cmocka_unit_test(test_choose_k),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_rfm_orders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
