/* Hamerly's k-means assignment (G. Hamerly, "Making k-means even faster", SDM 2010), plugged into
 * the driver of kmeans_lloyd.c.
 *
 * Each row keeps an upper bound u on the distance to its own center a and a lower bound l on the
 * distance to every other center. When the centers move by p(c), u grows by p(a) and l shrinks by
 * the largest p(c) of the other centers. With s(a) half the distance from a to its nearest other
 * center, u < max(s(a), l) proves that a is still the nearest center, and the row is skipped.
 * Otherwise every distance of the row is computed — by Lloyd's own vectorised kernel, 32 failing
 * rows at a time (or a whole tile in place when most of its rows failed), so the label is exactly
 * Lloyd's — and both bounds become exact. (Hamerly first tightens u to the true distance and
 * retests; with a vectorised full assignment that scalar step costs more than it saves.) The
 * M-step sums are then taken exactly as Lloyd's pass takes them (tier__km_sums), a few tiles at a
 * time while their rows are still in the cache.
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

/* Rows in groups of SPAN (a few tiles): the bounds of a group are tested, its failing rows get
 * every distance, then its rows are added to the sums while they are still in the L1 cache. */
#define SPAN (4 * TIER__KM_TILE)
/* A tile with at least this many failing rows is assigned whole, in place (copying the failing
 * rows out would cost more than computing the others too). */
#define DENSE (3 * TIER__KM_TILE / 4)

/* Rows whose bounds failed, waiting for a vectorised full assignment. */
typedef struct pending {
    size_t n;
    size_t row[TIER__KM_TILE];
    double xt[TIER_KMEANS_MAX_FEATURES * TIER__KM_TILE];
} pending;

/* The rows of a span whose label changed, with their old label, for a delta pass (see "the sums
 * of the moved rows" in kmeans_lloyd.c): rows settle out of order, the changes are applied in
 * row order once the span is final. */
typedef struct moves {
    size_t n;
    size_t row[SPAN];
    int32_t from[SPAN];
} moves;

static void moves_apply(moves *mv, const tier__km_pass *p, double *part)
{
    for (size_t a = 1; a < mv->n; a++) { /* insertion sort: nearly sorted, and short */
        size_t r = mv->row[a], b = a;
        int32_t f = mv->from[a];
        for (; b > 0 && mv->row[b - 1] > r; b--) {
            mv->row[b] = mv->row[b - 1];
            mv->from[b] = mv->from[b - 1];
        }
        mv->row[b] = r;
        mv->from[b] = f;
    }
    for (size_t a = 0; a < mv->n; a++)
        tier__km_delta_row(part, p->X, p->k, mv->row[a], mv->from[a], p->labels[mv->row[a]]);
    mv->n = 0;
}

/* Exact labels and bounds from the m rows' distances to every center (by Lloyd's kernel, so each
 * row gets Lloyd's label); rows i0 + r, or row[r] with `row`. Records the moves in `mv` (NULL:
 * not a delta pass). Returns the labels that changed. */
static size_t settle(tier__km_pass *p, const double *const *xj, size_t m, size_t i0, const size_t *row, moves *mv)
{
    int32_t lab[TIER__KM_TILE];
    double best[TIER__KM_TILE], second[TIER__KM_TILE];
    size_t changed = 0;
    tier__km_tile_nearest(xj, m, p->X->d, p->centers, p->k, lab, best, second);
    for (size_t r = 0; r < m; r++) {
        size_t i = row ? row[r] : i0 + r;
        changed += p->labels[i] != lab[r];
        if (mv && p->labels[i] != lab[r]) {
            mv->row[mv->n] = i;
            mv->from[mv->n++] = p->labels[i];
        }
        p->labels[i] = lab[r];
        p->upper[i] = sqrt(best[r]);
        p->lower[i] = sqrt(second[r]);
    }
    return changed;
}

/* The whole tile at t0 (m rows), in place. */
static size_t settle_tile(tier__km_pass *p, size_t t0, size_t m, moves *mv)
{
    double xt[TIER_KMEANS_MAX_FEATURES * TIER__KM_TILE];
    const double *xj[TIER_KMEANS_MAX_FEATURES];
    tier__km_tile_rows(xj, xt, p->X, t0, m);
    return settle(p, xj, m, t0, NULL, mv);
}

/* The pending rows, copied into a tile (zeros up to a multiple of 8 rows). */
static size_t flush(tier__km_pass *p, pending *q, moves *mv)
{
    const tier__km_data *X = p->X;
    size_t d = X->d, padded = (q->n + 7) & ~(size_t)7;
    const double *xj[TIER_KMEANS_MAX_FEATURES];
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
    size_t changed = settle(p, xj, q->n, 0, q->row, mv);
    q->n = 0;
    return changed;
}

/* Moves the bounds of rows [t0, t1) with the centers and lists in fail[] the rows whose bounds
 * no longer prove their label; returns how many. Branch-free: every row is written to the list
 * and kept there only if its bounds failed (skipped and failing rows mix unpredictably). */
static size_t test_bounds(const tier__km_pass *p, size_t t0, size_t t1, size_t *fail)
{
    /* Locals: the stores to the bounds could otherwise alias the fields of *p. */
    const double slack = p->slack, smax = p->shift_max, ssecond = p->shift_second;
    const size_t argmax = p->shift_argmax;
    const double *shift = p->shift, *half = p->half;
    const int32_t *labels = p->labels;
    double *upper = p->upper, *lower = p->lower;
    size_t n = 0;
    for (size_t i = t0; i < t1; i++) {
        size_t a = (size_t)labels[i];
        double u = upper[i] + shift[a];
        double l = lower[i] - (a == argmax ? ssecond : smax);
        double m = half[a] > l ? half[a] : l;
        upper[i] = u;
        lower[i] = l;
        fail[n] = i;
        n += !(u + slack < m);
    }
    return n;
}

int tier__km_hamerly_block(void *ctx, size_t block)
{
    tier__km_pass *p = ctx;
    const tier__km_data *X = p->X;
    size_t r0 = block * TIER__KM_BLOCK, r1 = r0 + TIER__KM_BLOCK;
    if (r1 > X->n)
        r1 = X->n;
    tier__km_sums sums;
    double *part = p->part + block * p->stride;
    moves mv, *mvp = p->delta ? &mv : NULL;
    mv.n = 0;
    if (p->delta)
        memset(part, 0, (p->k * X->d + p->k) * sizeof *part);
    else
        tier__km_sums_begin(&sums, part, p->k, X->d);
    size_t changed = 0, fail[TIER__KM_TILE];
    pending q;
    q.n = 0;
    for (size_t s0 = r0; s0 < r1; s0 += SPAN) {
        size_t s1 = s0 + SPAN < r1 ? s0 + SPAN : r1;
        for (size_t t0 = s0; t0 < s1; t0 += TIER__KM_TILE) {
            size_t m = s1 - t0 < TIER__KM_TILE ? s1 - t0 : TIER__KM_TILE;
            /* The first pass has no bounds yet: every row is assigned. */
            size_t nf = p->first ? m : test_bounds(p, t0, t0 + m, fail);
            if (nf >= DENSE || (p->first && nf)) {
                changed += settle_tile(p, t0, m, mvp);
                continue;
            }
            for (size_t r = 0; r < nf; r++) {
                q.row[q.n++] = fail[r];
                if (q.n == TIER__KM_TILE)
                    changed += flush(p, &q, mvp);
            }
        }
        if (q.n)
            changed += flush(p, &q, mvp);
        /* The sums, in row order like Lloyd's, once every label of the span is final. */
        if (mvp)
            moves_apply(mvp, p, part);
        else
            for (size_t t0 = s0; t0 < s1; t0 += TIER__KM_TILE)
                tier__km_sums_add(&sums, X, p->labels, t0, s1 - t0 < TIER__KM_TILE ? s1 - t0 : TIER__KM_TILE);
    }
    if (!mvp)
        tier__km_sums_end(&sums);
    p->changed[block] = changed;
    return 0;
}
