/* Private: sorting doubles and R type-7 quantiles, shared by the scoring strategies (RFM, AHP
 * percentile normalisation, K-means, summaries).
 *
 * The sort is an LSD radix sort over an order-preserving 64-bit key (O(n)); order statistics
 * come from a histogram pass plus quickselect (no full sort). -0.0 and +0.0 are equal keys.
 * NaN must not be passed (callers decide what missing values mean and filter them first). */
#ifndef TIER_INTERNAL_QUANTILE_H
#define TIER_INTERNAL_QUANTILE_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"

/* Order-preserving key: a < b  <=>  key(a) < key(b) for non-NaN doubles (±inf included);
 * key(-0.0) == key(+0.0). */
uint64_t tier__f64_key(double v);
/* Inverse of tier__f64_key (gives +0.0 for a zero key). */
double tier__f64_unkey(uint64_t key);

/* Sorts v[0..n) ascending. Needs n * 16 bytes of scratch from `a`.
 * Returns TIER_OK or TIER_ENOMEM (recorded; v unchanged). */
int tier__sort_f64(double *v, size_t n, const tier__alloc *a);

/* R's type-7 quantile of sorted[0..n) (n >= 1) at probability p in [0, 1], computed exactly as
 * R's quantile.default does: index = 1 + (n - 1) p, lo = floor(index), hi = ceiling(index),
 * h = index - lo, and (1 - h) x[lo] + h x[hi] unless h == 0 or x[lo] == x[hi] (then x[lo]).
 * numpy.quantile(method="linear") agrees up to rounding in the last bit. */
double tier__quantile7(const double *sorted, size_t n, double p);

/* Order statistics without a full sort: for m ascending 0-based ranks ks[0..m) (duplicates
 * allowed, all < n), out[i] receives the ks[i]-th smallest of v[0..n). v is permuted (it is the
 * caller's scratch copy). Expected O(n) (3-way quickselect that only descends into parts holding a
 * wanted rank, heavy ties cost nothing); a depth limit falls back to heapsort, so the worst case
 * is O(n log n). No allocation. */
void tier__select_f64(double *v, size_t n, const size_t *ks, size_t m, double *out);

/* The same from a read-only array, faster on large inputs: one pass for the key range, one
 * histogram pass over the top 16 bits of the range, one pass collecting the values of the
 * buckets that hold a wanted rank, then tier__select_f64() inside those buckets. ks ascending.
 * Needs scratch from `a`: 256 KiB plus the collected values. TIER_OK or TIER_ENOMEM (recorded). */
int tier__order_stats(double *out, const double *v, size_t n, const size_t *ks, size_t m,
                      const tier__alloc *a);

/* Where R's type-7 quantile of n sorted values at probability p looks: the 0-based ranks lo, hi
 * of the two order statistics and the 1-based `index` = 1 + (n - 1) p. */
void tier__quantile7_ranks(size_t n, double p, size_t *lo, size_t *hi, double *index);

/* R's type-7 value from the two order statistics found by tier__quantile7_ranks(). */
double tier__quantile7_from(double x_lo, double x_hi, double index);

/* The probabilities R's seq(0, 1, length.out = b + 1) produces: k * (1 / b). */
double tier__seq_prob(unsigned k, unsigned b);

/* Neumaier-compensated running sum, for reproducible group sums. */
typedef struct tier__ksum {
    double sum, c;
} tier__ksum;

static inline void tier__ksum_add(tier__ksum *s, double x)
{
    double t = s->sum + x;
    if ((s->sum >= 0 ? s->sum : -s->sum) >= (x >= 0 ? x : -x))
        s->c += (s->sum - t) + x;
    else
        s->c += (x - t) + s->sum;
    s->sum = t;
}

static inline double tier__ksum_value(const tier__ksum *s) { return s->sum + s->c; }

#endif
