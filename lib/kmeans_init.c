/* Initial centers: a seeded generator, greedy k-means++ and weighted random rows.
 *
 * Like everything in k-means, the draws depend on the seed only, never on the thread count:
 * cumulative sums are taken per block of rows in row order and combined in block order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal/error.h"
#include "internal/kmeans.h"
#include "internal/pool.h"

#define TILE TIER__KM_TILE

/* ---- generator: splitmix64 seeding, xoshiro256** stream -------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void tier__km_rng_seed(tier__km_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed;
    uint64_t mixed = splitmix64(&x) ^ (stream * 0xD1B54A32D192ED03ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&mixed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t tier__km_rng_next(tier__km_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double tier__km_rng_uniform(tier__km_rng *r)
{
    return (double)(tier__km_rng_next(r) >> 11) * 0x1.0p-53;
}

static void copy_row(double *dst, const tier__km_data *X, size_t row)
{
    for (size_t j = 0; j < X->d; j++)
        dst[j] = X->x[j][row];
}

static inline size_t block_end(const tier__km_data *X, size_t b)
{
    size_t end = (b + 1) * TIER__KM_BLOCK;
    return end < X->n ? end : X->n;
}

/* ---- k-means++ ------------------------------------------------------------------------------ */

#define MAX_TRIALS 64

typedef struct pp_ctx {
    const tier__km_data *X;
    double *closest;          /* n: squared distance to the nearest chosen center */
    double *block_sum;        /* per block: sum of w * closest (the sampling mass) */
    const double *cand;       /* trials x d candidate centers */
    size_t trials;
    double *trial_sum;        /* blocks x trials: sum of w * min(closest, d2(candidate)) */
    const double *center;     /* the center just added */
    int first;                /* `center` is the first one: closest starts from it */
} pp_ctx;

static inline double weight(const tier__km_data *X, size_t i) { return X->w ? X->w[i] : 1.0; }

/* Adds a tile's masses (zero beyond m) to 8 interleaved partial sums: the additions do not wait
 * on each other, and the order is fixed (lane = row % 8 within the block). */
static inline void add_lanes(double *lane, const double *mass)
{
    for (size_t g = 0; g < TILE; g += 8)
        for (size_t l = 0; l < 8; l++)
            lane[l] += mass[g + l];
}

static inline double sum_lanes(const double *lane)
{
    double s = 0.0;
    for (size_t l = 0; l < 8; l++)
        s += lane[l];
    return s;
}

/* closest = min(closest, d2(row, center)) (or = d2 for the first center); block mass. */
static int pp_update_block(void *ctx, size_t b)
{
    pp_ctx *c = ctx;
    const tier__km_data *X = c->X;
    double xt[TIER_KMEANS_MAX_FEATURES * TILE], d2[TILE], mass[TILE], lane[8] = { 0 };
    const double *xj[TIER_KMEANS_MAX_FEATURES];
    int first = c->first;
    for (size_t t0 = b * TIER__KM_BLOCK, r1 = block_end(X, b); t0 < r1; t0 += TILE) {
        size_t m = r1 - t0 < TILE ? r1 - t0 : TILE;
        tier__km_tile_rows(xj, xt, X, t0, m);
        tier__km_tile_dist2(xj, m, X->d, c->center, d2);
        double *cl = c->closest + t0;
        for (size_t r = 0; r < m; r++) {
            double v = (first || d2[r] < cl[r]) ? d2[r] : cl[r];
            cl[r] = v;
            mass[r] = X->w ? v * X->w[t0 + r] : v;
        }
        for (size_t r = m; r < TILE; r++)
            mass[r] = 0.0;
        add_lanes(lane, mass);
    }
    c->block_sum[b] = sum_lanes(lane);
    return 0;
}

/* For each candidate: the block's mass if that candidate were added. */
static int pp_trials_block(void *ctx, size_t b)
{
    pp_ctx *c = ctx;
    const tier__km_data *X = c->X;
    double xt[TIER_KMEANS_MAX_FEATURES * TILE], d2[TILE], mass[TILE];
    double lane[MAX_TRIALS][8];
    const double *xj[TIER_KMEANS_MAX_FEATURES];
    memset(lane, 0, sizeof lane);
    for (size_t t0 = b * TIER__KM_BLOCK, r1 = block_end(X, b); t0 < r1; t0 += TILE) {
        size_t m = r1 - t0 < TILE ? r1 - t0 : TILE;
        tier__km_tile_rows(xj, xt, X, t0, m);
        const double *cl = c->closest + t0;
        for (size_t t = 0; t < c->trials; t++) {
            tier__km_tile_dist2(xj, m, X->d, c->cand + t * X->d, d2);
            for (size_t r = 0; r < m; r++) {
                double v = d2[r] < cl[r] ? d2[r] : cl[r];
                mass[r] = X->w ? v * X->w[t0 + r] : v;
            }
            for (size_t r = m; r < TILE; r++)
                mass[r] = 0.0;
            add_lanes(lane[t], mass);
        }
    }
    for (size_t t = 0; t < c->trials; t++)
        c->trial_sum[b * c->trials + t] = sum_lanes(lane[t]);
    return 0;
}

/* numpy.searchsorted(cumsum(mass), r, side="left") over the rows, where mass(i) is w_i (when
 * `closest` is NULL) or w_i * closest_i: the block is found from the block masses (summed in
 * block order), then the rows of that block are summed in row order on top of the prefix.
 * Rounding (the block masses are summed in lanes) can leave r beyond that running sum: then the
 * block's last row of positive mass is taken (numpy clips to the last index similarly). */
static size_t search_mass(const tier__km_data *X, const double *closest, const double *block_sum,
                          double r)
{
    size_t blocks = tier__km_blocks(X->n);
    double prefix = 0.0;
    size_t b = 0;
    for (; b + 1 < blocks; b++) {
        if (prefix + block_sum[b] >= r)
            break;
        prefix += block_sum[b];
    }
    double acc = prefix;
    size_t last_positive = b * TIER__KM_BLOCK, end = block_end(X, b);
    for (size_t i = b * TIER__KM_BLOCK; i < end; i++) {
        double mass = closest ? (X->w ? closest[i] * X->w[i] : closest[i]) : weight(X, i);
        acc += mass;
        if (mass > 0.0)
            last_positive = i;
        if (acc >= r)
            return i;
    }
    return last_positive;
}

/* Mass of every block when each row weighs w (for the first draw). */
static double weight_blocks(const tier__km_data *X, double *block_sum)
{
    double total = 0.0;
    for (size_t b = 0, blocks = tier__km_blocks(X->n); b < blocks; b++) {
        double s = 0.0;
        for (size_t i = b * TIER__KM_BLOCK, end = block_end(X, b); i < end; i++)
            s += weight(X, i);
        block_sum[b] = s;
        total += s;
    }
    return total;
}

static double total_of(const double *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return s;
}

/* Picks center c (>= 1): the best of `trials` candidates drawn by mass. Returns the new pot. */
static double pp_step(pp_ctx *c, double *centers, size_t ci, double *cand, size_t trials,
                      double pot, tier__km_rng *rng)
{
    const tier__km_data *X = c->X;
    size_t blocks = tier__km_blocks(X->n), rows[MAX_TRIALS];
    for (size_t t = 0; t < trials; t++) {
        double r = tier__km_rng_uniform(rng) * pot;
        rows[t] = search_mass(X, c->closest, c->block_sum, r);
        copy_row(cand + t * X->d, X, rows[t]);
    }
    c->cand = cand;
    c->trials = trials;
    tier__parallel_for(X->n_threads, blocks, pp_trials_block, c);
    size_t best = 0;
    double best_pot = 0.0;
    for (size_t t = 0; t < trials; t++) {
        double s = 0.0;
        for (size_t b = 0; b < blocks; b++)
            s += c->trial_sum[b * trials + t];
        if (t == 0 || s < best_pot) { /* numpy.argmin: the first minimum */
            best = t;
            best_pot = s;
        }
    }
    memcpy(centers + ci * X->d, cand + best * X->d, X->d * sizeof *centers);
    c->center = centers + ci * X->d;
    tier__parallel_for(X->n_threads, blocks, pp_update_block, c);
    return total_of(c->block_sum, blocks);
}

int tier__km_init_plusplus(double *centers, const tier__km_data *X, unsigned k, uint64_t seed,
                           uint64_t run)
{
    const tier__alloc *a = X->alloc;
    size_t blocks = tier__km_blocks(X->n);
    size_t trials = 2 + (size_t)log((double)k); /* scikit-learn: 2 + int(np.log(n_clusters)) */
    if (trials > MAX_TRIALS)
        trials = MAX_TRIALS;
    pp_ctx c;
    memset(&c, 0, sizeof c);
    c.X = X;
    c.closest = tier__malloc(a, X->n * sizeof *c.closest);
    c.block_sum = tier__malloc(a, blocks * sizeof *c.block_sum);
    c.trial_sum = tier__malloc(a, blocks * trials * sizeof *c.trial_sum);
    double *cand = tier__malloc(a, trials * X->d * sizeof *cand);
    if (!c.closest || !c.block_sum || !c.trial_sum || !cand) {
        tier__free(a, c.closest);
        tier__free(a, c.block_sum);
        tier__free(a, c.trial_sum);
        tier__free(a, cand);
        return tier__oom();
    }
    tier__km_rng rng;
    tier__km_rng_seed(&rng, seed, run);
    /* First center: a row drawn by weight. */
    double wtotal = weight_blocks(X, c.block_sum);
    size_t first = search_mass(X, NULL, c.block_sum, tier__km_rng_uniform(&rng) * wtotal);
    copy_row(centers, X, first);
    c.center = centers;
    c.first = 1;
    tier__parallel_for(X->n_threads, blocks, pp_update_block, &c);
    c.first = 0;
    double pot = total_of(c.block_sum, blocks);
    for (size_t ci = 1; ci < k; ci++)
        pot = pp_step(&c, centers, ci, cand, trials, pot, &rng);
    tier__free(a, c.closest);
    tier__free(a, c.block_sum);
    tier__free(a, c.trial_sum);
    tier__free(a, cand);
    return TIER_OK;
}

/* ---- random rows ---------------------------------------------------------------------------- */

/* A row's key: the k smallest keys are a weighted sample without replacement (Efraimidis and
 * Spirakis: key = -ln(u) / w, u uniform in (0, 1]). */
typedef struct keyed {
    double key;
    size_t row;
} keyed;

static int key_less(keyed a, keyed b) { return a.key < b.key || (a.key == b.key && a.row < b.row); }

/* Max-heap by key of the k smallest keys seen. */
static void sift_down(keyed *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, big = i;
        if (l < n && key_less(h[big], h[l]))
            big = l;
        if (r < n && key_less(h[big], h[r]))
            big = r;
        if (big == i)
            return;
        keyed t = h[i];
        h[i] = h[big];
        h[big] = t;
        i = big;
    }
}

static void heap_push(keyed *h, size_t *n, size_t cap, keyed v)
{
    if (*n == cap) {
        if (key_less(v, h[0])) {
            h[0] = v;
            sift_down(h, cap, 0);
        }
        return;
    }
    size_t i = (*n)++;
    while (i > 0 && key_less(h[(i - 1) / 2], v)) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = v;
}

static int cmp_keyed(const void *pa, const void *pb)
{
    keyed a = *(const keyed *)pa, b = *(const keyed *)pb;
    return key_less(a, b) ? -1 : key_less(b, a) ? 1 : 0;
}

int tier__km_init_random(double *centers, const tier__km_data *X, unsigned k, uint64_t seed,
                         uint64_t run)
{
    tier__km_rng rng;
    tier__km_rng_seed(&rng, seed, run);
    uint64_t base = tier__km_rng_next(&rng);
    keyed *heap = tier__malloc(X->alloc, (size_t)k * sizeof *heap);
    if (!heap)
        return tier__oom();
    size_t n = 0;
    for (size_t i = 0; i < X->n; i++) {
        double w = weight(X, i);
        if (!(w > 0.0))
            continue;
        uint64_t x = base + (uint64_t)i * 0x9E3779B97F4A7C15ULL;
        double u = (double)((splitmix64(&x) >> 11) + 1) * 0x1.0p-53; /* (0, 1] */
        keyed v = { -log(u) / w, i };
        heap_push(heap, &n, k, v);
    }
    if (n < k) {
        tier__free(X->alloc, heap);
        return tier__error(TIER_EINVAL,
                           "kmeans: random initialisation needs k = %u customers with a positive "
                           "weight, found %zu",
                           k, n);
    }
    qsort(heap, n, sizeof *heap, cmp_keyed);
    for (size_t c = 0; c < k; c++)
        copy_row(centers + c * X->d, X, heap[c].row);
    tier__free(X->alloc, heap);
    return TIER_OK;
}
