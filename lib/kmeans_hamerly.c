/* Hamerly's k-means assignment (G. Hamerly, "Making k-means even faster", SDM 2010), plugged into
 * the driver of kmeans_lloyd.c.
 *
 * Each row keeps an upper bound u on the distance to its own center a and a lower bound l on the
 * distance to every other center. When the centers move by p(c), u grows by p(a) and l shrinks by
 * the largest p(c) of the other centers. With s(a) half the distance from a to its nearest other
 * center, u < max(s(a), l) proves that a is still the nearest center, and the row is skipped.
 * Otherwise every distance of the row is computed — by Lloyd's own vectorised kernel, 32 failing
 * rows at a time, so the label is exactly Lloyd's — and both bounds become exact. (Hamerly first
 * tightens u to the true distance and retests; with a vectorised full assignment that scalar
 * step costs more than it saves.)
 *
 * Exactness under rounding. The bounds are sums of rounded distances, so the test is made strict
 * by an absolute slack that covers their rounding error: every distance a run meets is below the
 * diameter bound D (tier__km_diameter), each rounded distance or bound update is off by at most a
 * few ulps of D, and a bound updated in t iterations has absorbed t of them. A row is skipped only
 * if u + slack < max(s(a), l) with slack = 8 eps (t + d + 8) D, which implies that the exact and the
 * computed distance to a are both smaller than those to every other center by more than their
 * rounding: Lloyd would pick a too, even on exact ties (a tie never passes the strict test). */
#include <float.h>
#include <math.h>
#include <string.h>

#include "internal/kmeans.h"

double tier__km_diameter(const tier__km_data *X, const double *centers, size_t k)
{
    double sum = 0.0;
    for (size_t j = 0; j < X->d; j++) {
        double m = X->absmax[j];
        for (size_t c = 0; c < k; c++) {
            double v = fabs(centers[c * X->d + j]);
            if (v > m)
                m = v;
        }
        sum += m * m;
    }
    return 2.0 * sqrt(sum);
}

double tier__km_hamerly_slack(const tier__km_data *X, double diameter, unsigned iter)
{
    return 8.0 * DBL_EPSILON * ((double)iter + (double)X->d + 8.0) * diameter;
}

void tier__km_hamerly_prepare(tier__km_pass *p, double *half, const double *shift)
{
    size_t k = p->k, d = p->X->d;
    for (size_t c = 0; c < k; c++)
        half[c] = (double)INFINITY;
    for (size_t c = 0; c < k; c++)
        for (size_t o = c + 1; o < k; o++) {
            double h = 0.5 * sqrt(tier__km_dist2_vec(p->centers + c * d, p->centers + o * d, d));
            if (h < half[c])
                half[c] = h;
            if (h < half[o])
                half[o] = h;
        }
    double m1 = 0.0, m2 = 0.0;
    size_t arg = 0;
    for (size_t c = 0; c < k; c++) {
        if (shift[c] > m1) {
            m2 = m1;
            m1 = shift[c];
            arg = c;
        } else if (shift[c] > m2) {
            m2 = shift[c];
        }
    }
    p->half = half;
    p->shift = shift;
    p->shift_max = m1;
    p->shift_second = m2;
    p->shift_argmax = arg;
}

/* First iteration: every distance, vectorised; the bounds start exact. */
static void first_block(tier__km_pass *p, size_t r0, size_t r1, double *part, size_t *changed)
{
    const tier__km_data *X = p->X;
    double xt[TIER_KMEANS_MAX_FEATURES * TIER__KM_TILE];
    const double *xj[TIER_KMEANS_MAX_FEATURES];
    int32_t lab[TIER__KM_TILE];
    double best[TIER__KM_TILE], second[TIER__KM_TILE];
    for (size_t t0 = r0; t0 < r1; t0 += TIER__KM_TILE) {
        size_t m = r1 - t0 < TIER__KM_TILE ? r1 - t0 : TIER__KM_TILE;
        tier__km_tile_rows(xj, xt, X, t0, m);
        tier__km_tile_nearest(xj, m, X->d, p->centers, p->k, lab, best, second);
        for (size_t r = 0; r < m; r++) {
            size_t i = t0 + r;
            *changed += p->labels[i] != lab[r];
            p->labels[i] = lab[r];
            p->upper[i] = sqrt(best[r]);
            p->lower[i] = sqrt(second[r]);
        }
        tier__km_accumulate(part, X, p->k, p->labels, t0, t0 + m);
    }
}

/* Rows whose bounds failed, waiting for a vectorised full assignment. */
typedef struct pending {
    size_t n;
    size_t row[TIER__KM_TILE];
    double xt[TIER_KMEANS_MAX_FEATURES * TIER__KM_TILE];
} pending;

/* Every distance of the pending rows, computed exactly as Lloyd's assignment computes them (same
 * kernel), so each gets Lloyd's label; the bounds become exact again. */
static size_t flush(tier__km_pass *p, pending *q)
{
    const tier__km_data *X = p->X;
    size_t d = X->d, changed = 0, padded = (q->n + 7) & ~(size_t)7;
    const double *xj[TIER_KMEANS_MAX_FEATURES];
    int32_t lab[TIER__KM_TILE];
    double best[TIER__KM_TILE], second[TIER__KM_TILE];
    for (size_t j = 0; j < d; j++) {
        double *dst = q->xt + j * TIER__KM_TILE;
        const double *src = X->x[j];
        size_t r = 0;
        for (; r < q->n; r++)
            dst[r] = src[q->row[r]];
        for (; r < padded; r++)
            dst[r] = 0.0;
        xj[j] = dst;
    }
    tier__km_tile_nearest(xj, q->n, d, p->centers, p->k, lab, best, second);
    for (size_t r = 0; r < q->n; r++) {
        size_t i = q->row[r];
        changed += p->labels[i] != lab[r];
        p->labels[i] = lab[r];
        p->upper[i] = sqrt(best[r]);
        p->lower[i] = sqrt(second[r]);
    }
    q->n = 0;
    return changed;
}

int tier__km_hamerly_block(void *ctx, size_t block)
{
    tier__km_pass *p = ctx;
    const tier__km_data *X = p->X;
    size_t r0 = block * TIER__KM_BLOCK, r1 = r0 + TIER__KM_BLOCK;
    if (r1 > X->n)
        r1 = X->n;
    double *part = p->part + block * p->stride;
    memset(part, 0, p->stride * sizeof *part);
    size_t changed = 0;
    if (p->first) {
        first_block(p, r0, r1, part, &changed);
        p->changed[block] = changed;
        return 0;
    }
    /* Locals: the stores to the bounds could otherwise alias the fields of *p. */
    const double slack = p->slack, smax = p->shift_max, ssecond = p->shift_second;
    const size_t argmax = p->shift_argmax;
    const double *shift = p->shift, *half = p->half;
    const int32_t *labels = p->labels;
    double *upper = p->upper, *lower = p->lower;
    pending q;
    q.n = 0;
    /* Branch-free: every row is written into the pending list, and kept there (q.n advanced)
     * only if its bounds failed; skipping and recomputing rows are mixed unpredictably, so a
     * branch per row would cost more than the store. Failing rows go straight to the full
     * vectorised assignment (no scalar tightening step). */
    for (size_t i = r0; i < r1; i++) {
        size_t a = (size_t)labels[i];
        double u = upper[i] + shift[a];
        double l = lower[i] - (a == argmax ? ssecond : smax);
        double m = half[a] > l ? half[a] : l;
        upper[i] = u;
        lower[i] = l;
        q.row[q.n] = i;
        q.n += !(u + slack < m);
        if (q.n == TIER__KM_TILE)
            changed += flush(p, &q);
    }
    if (q.n)
        changed += flush(p, &q);
    /* The sums, in row order like Lloyd's, once every label of the block is final. */
    tier__km_accumulate(part, X, p->k, p->labels, r0, r1);
    p->changed[block] = changed;
    return 0;
}
