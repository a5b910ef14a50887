/* Radix sorts of doubles and R-compatible type-7 quantiles (see internal/quantile.h). */
#include <math.h>
#include <string.h>

#include "internal/error.h"
#include "internal/quantile.h"

#define RADIX_BITS 8
#define RADIX_SIZE (1u << RADIX_BITS)
#define RADIX_PASSES (64 / RADIX_BITS)

uint64_t tier__f64_key(double v)
{
    uint64_t u;
    v += 0.0; /* -0.0 + 0.0 == +0.0: one key for both zeros */
    memcpy(&u, &v, sizeof u);
    /* negative numbers: flip all bits (reverses their order); positive: set the sign bit */
    uint64_t mask = (uint64_t)(-(int64_t)(u >> 63)) | UINT64_C(0x8000000000000000);
    return u ^ mask;
}

double tier__f64_unkey(uint64_t key)
{
    uint64_t u = (key >> 63) ? (key & ~UINT64_C(0x8000000000000000)) : ~key;
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* One histogram per digit, gathered in a single pass. A pass whose digit is the same for every
 * key is skipped (typical for the high bytes of money and day counts). */
static void histograms(size_t hist[RADIX_PASSES][RADIX_SIZE], const uint64_t *keys, size_t n)
{
    memset(hist, 0, sizeof(size_t) * RADIX_PASSES * RADIX_SIZE);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = keys[i];
        for (int p = 0; p < RADIX_PASSES; p++)
            hist[p][(k >> (p * RADIX_BITS)) & (RADIX_SIZE - 1)]++;
    }
}

static int pass_is_trivial(const size_t hist[RADIX_SIZE], size_t n)
{
    for (unsigned d = 0; d < RADIX_SIZE; d++)
        if (hist[d] != 0)
            return hist[d] == n;
    return 1;
}

/* LSD radix sort of keys[0..n) using scratch tk (n slots); the result ends in keys. */
static void radix_sort(uint64_t *keys, uint64_t *tk, size_t n)
{
    size_t hist[RADIX_PASSES][RADIX_SIZE]; /* 16 KiB: fine on any thread stack */
    histograms(hist, keys, n);
    uint64_t *src = keys, *dst = tk;
    for (int p = 0; p < RADIX_PASSES; p++) {
        if (pass_is_trivial(hist[p], n))
            continue;
        size_t pos[RADIX_SIZE];
        size_t acc = 0;
        for (unsigned d = 0; d < RADIX_SIZE; d++) {
            pos[d] = acc;
            acc += hist[p][d];
        }
        int shift = p * RADIX_BITS;
        for (size_t i = 0; i < n; i++)
            dst[pos[(src[i] >> shift) & (RADIX_SIZE - 1)]++] = src[i];
        uint64_t *sw = src;
        src = dst;
        dst = sw;
    }
    if (src != keys)
        memcpy(keys, src, n * sizeof *keys);
}

int tier__sort_f64(double *v, size_t n, const tier__alloc *a)
{
    if (n < 2)
        return TIER_OK;
    size_t bytes;
    if (tier__mul_size(&bytes, n, 2 * sizeof(uint64_t)) != 0)
        return tier__oom();
    uint64_t *keys = tier__malloc(a, bytes);
    if (!keys)
        return tier__oom();
    for (size_t i = 0; i < n; i++)
        keys[i] = tier__f64_key(v[i]);
    radix_sort(keys, keys + n, n);
    for (size_t i = 0; i < n; i++)
        v[i] = tier__f64_unkey(keys[i]);
    tier__free(a, keys);
    return TIER_OK;
}

double tier__seq_prob(unsigned k, unsigned b)
{
    return (double)k * (1.0 / (double)b);
}

void tier__quantile7_ranks(size_t n, double p, size_t *lo, size_t *hi, double *index)
{
    double idx = 1.0 + (double)(n - 1) * p; /* 1-based, as in R */
    size_t l = (size_t)floor(idx), h = (size_t)ceil(idx);
    if (l < 1)
        l = 1;
    if (h > n)
        h = n;
    if (h < l)
        h = l;
    *lo = l - 1;
    *hi = h - 1;
    *index = idx;
}

double tier__quantile7_from(double x_lo, double x_hi, double index)
{
    double lo = floor(index);
    if (index > lo && x_hi != x_lo) {
        double frac = index - lo;
        return (1.0 - frac) * x_lo + frac * x_hi;
    }
    return x_lo;
}

double tier__quantile7(const double *sorted, size_t n, double p)
{
    size_t lo, hi;
    double index;
    tier__quantile7_ranks(n, p, &lo, &hi, &index);
    return tier__quantile7_from(sorted[lo], sorted[hi], index);
}

/* ---- selection ------------------------------------------------------------------------------ */

static void swap_d(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

static void sift_down(double *v, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && v[child + 1] > v[child])
            child++;
        if (!(v[child] > v[root]))
            return;
        swap_d(&v[root], &v[child]);
        root = child;
    }
}

static void heap_sort(double *v, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(v, i, n);
    for (size_t end = n; end > 1; end--) {
        swap_d(&v[0], &v[end - 1]);
        sift_down(v, 0, end - 1);
    }
}

static void insertion_sort(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

static double median3(double a, double b, double c)
{
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    return c <= a ? a : (c >= b ? b : c);
}

/* All ranks in ks[0..m) lie in [lo, hi). */
static void multiselect(double *v, size_t lo, size_t hi, const size_t *ks, size_t m, double *out, int depth)
{
    while (m > 0) {
        size_t n = hi - lo;
        if (n <= 24 || depth-- <= 0) {
            if (n <= 24)
                insertion_sort(v + lo, n);
            else
                heap_sort(v + lo, n);
            for (size_t i = 0; i < m; i++)
                out[i] = v[ks[i]];
            return;
        }
        size_t mid = lo + n / 2;
        double p = n > 1000 ? median3(median3(v[lo], v[lo + n / 8], v[lo + n / 4]),
                                      median3(v[mid - n / 8], v[mid], v[mid + n / 8]),
                                      median3(v[hi - 1 - n / 4], v[hi - 1 - n / 8], v[hi - 1]))
                            : median3(v[lo], v[mid], v[hi - 1]);
        /* three-way partition: [lo, lt) < p, [lt, gt) == p, [gt, hi) > p */
        size_t lt = lo, i = lo, gt = hi;
        while (i < gt) {
            double x = v[i];
            if (x < p)
                swap_d(&v[lt++], &v[i++]);
            else if (x > p)
                swap_d(&v[i], &v[--gt]);
            else
                i++;
        }
        size_t a = 0;
        while (a < m && ks[a] < lt)
            a++;
        size_t b = a;
        while (b < m && ks[b] < gt)
            out[b++] = p;
        /* recurse into the part with fewer wanted ranks, loop on the other */
        if (a > 0 && m - b > 0) {
            if (a <= m - b) {
                multiselect(v, lo, lt, ks, a, out, depth);
                ks += b;
                out += b;
                m -= b;
                lo = gt;
            } else {
                multiselect(v, gt, hi, ks + b, m - b, out + b, depth);
                m = a;
                hi = lt;
            }
        } else if (a > 0) {
            m = a;
            hi = lt;
        } else {
            ks += b;
            out += b;
            m -= b;
            lo = gt;
        }
    }
}

void tier__select_f64(double *v, size_t n, const size_t *ks, size_t m, double *out)
{
    int depth = 2;
    for (size_t k = n; k > 1; k >>= 1)
        depth += 2;
    multiselect(v, 0, n, ks, m, out, depth);
}

/* ---- histogram selection -------------------------------------------------------------------- */

#define SEL_BITS 16
#define SEL_BUCKETS (1u << SEL_BITS)
#define SEL_SMALL 4096

static int clz64(uint64_t x)
{
    int n = 0;
    while (!(x & UINT64_C(0x8000000000000000))) {
        x <<= 1;
        n++;
    }
    return n;
}

/* Small inputs: copy and quickselect. */
static int order_stats_small(double *out, const double *v, size_t n, const size_t *ks, size_t m,
                             const tier__alloc *a)
{
    double *copy = tier__malloc(a, (n ? n : 1) * sizeof *copy);
    if (!copy)
        return tier__oom();
    memcpy(copy, v, n * sizeof *copy);
    tier__select_f64(copy, n, ks, m, out);
    tier__free(a, copy);
    return TIER_OK;
}

int tier__order_stats(double *out, const double *v, size_t n, const size_t *ks, size_t m,
                      const tier__alloc *a)
{
    if (m == 0)
        return TIER_OK;
    if (n < SEL_SMALL || n > UINT32_MAX)
        return order_stats_small(out, v, n, ks, m, a);
    double lo = v[0], hi = v[0];
    for (size_t i = 1; i < n; i++) { /* plain min/max: vectorises */
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    uint64_t kmin = tier__f64_key(lo), kmax = tier__f64_key(hi);
    if (kmin == kmax) { /* all equal */
        for (size_t i = 0; i < m; i++)
            out[i] = v[0];
        return TIER_OK;
    }
    int bits = 64 - clz64(kmax - kmin);
    int shift = bits > SEL_BITS ? bits - SEL_BITS : 0;
    uint32_t *hist = tier__calloc(a, SEL_BUCKETS, sizeof *hist);
    if (!hist)
        return tier__oom();
    for (size_t i = 0; i < n; i++)
        hist[(tier__f64_key(v[i]) - kmin) >> shift]++;
    /* bucket and bucket start of every wanted rank (ks ascending, so one sweep) */
    size_t bucket[64], start[64], uniq[64], seg_start[64], n_uniq = 0, total = 0;
    if (m > 64) {
        tier__free(a, hist);
        return order_stats_small(out, v, n, ks, m, a);
    }
    size_t below = 0, b = 0;
    for (size_t i = 0; i < m; i++) {
        while (below + hist[b] <= ks[i]) {
            below += hist[b];
            b++;
        }
        bucket[i] = b;
        start[i] = below;
        if (n_uniq == 0 || uniq[n_uniq - 1] != b) {
            seg_start[n_uniq] = total;
            uniq[n_uniq++] = b;
            total += hist[b];
        }
    }
    /* reuse the histogram as a bucket -> segment map (0 = not wanted) and collect */
    memset(hist, 0, SEL_BUCKETS * sizeof *hist);
    for (size_t u = 0; u < n_uniq; u++)
        hist[uniq[u]] = (uint32_t)(u + 1);
    double *coll = tier__malloc(a, (total ? total : 1) * sizeof *coll);
    if (!coll) {
        tier__free(a, hist);
        return tier__oom();
    }
    size_t fill[64];
    memcpy(fill, seg_start, n_uniq * sizeof *fill);
    for (size_t i = 0; i < n; i++) {
        uint32_t u = hist[(tier__f64_key(v[i]) - kmin) >> shift];
        if (u)
            coll[fill[u - 1]++] = v[i];
    }
    /* select inside each wanted bucket */
    size_t i = 0;
    for (size_t u = 0; u < n_uniq; u++) {
        size_t j = i, local[64];
        while (j < m && bucket[j] == uniq[u]) {
            local[j - i] = ks[j] - start[j];
            j++;
        }
        size_t len = (u + 1 < n_uniq ? seg_start[u + 1] : total) - seg_start[u];
        tier__select_f64(coll + seg_start[u], len, local, j - i, out + i);
        i = j;
    }
    tier__free(a, coll);
    tier__free(a, hist);
    return TIER_OK;
}
