/* The k-means iteration: vectorised distance kernels, Lloyd's assignment, and the driver shared
 * with Hamerly's assignment (kmeans_hamerly.c) — M-step, empty-cluster relocation, scikit-learn's
 * stopping rule, final labels and inertia. See lib/internal/kmeans.h for the determinism rules. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "internal/error.h"
#include "internal/kmeans.h"
#include "internal/pool.h"

#define TILE TIER__KM_TILE

/* ---- kernels -------------------------------------------------------------------------------- */

/* The kernels work on 8 or 16 rows at a time in vectors of four doubles (GCC/Clang generic
 * vectors), one lane per row, so every row still sees exactly the operations of tier__km_dist2
 * and lanes never mix. On x86-64 Linux an AVX2 clone is chosen at load time (AVX2 without FMA:
 * the same results as the SSE2 default). */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__) && !defined(TIER_NO_CLONES)
#define KM_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define KM_CLONES
#endif

void tier__km_tile_rows(const double **xj, double *xt, const tier__km_data *X, size_t r0, size_t m)
{
    for (size_t j = 0; j < X->d; j++) {
        const double *src = X->x[j] + r0;
        if (m == TILE) {
            xj[j] = src;
            continue;
        }
        double *dst = xt + j * TILE;
        size_t r = 0;
        for (; r < m; r++)
            dst[r] = src[r];
        for (; r < TILE; r++)
            dst[r] = 0.0;
        xj[j] = dst;
    }
}

/* Four doubles. Generic vectors: SSE2 code in the default clone, AVX2 in the other. The
 * helpers are forced inline so that each clone compiles them for its own instruction set. */
typedef double km_v4 __attribute__((vector_size(32)));

#define KM_INLINE static inline __attribute__((always_inline))
#define VLOAD(dst, p) memcpy(&(dst), (p), sizeof(km_v4))
#define VSTORE(p, v) memcpy((p), &(v), sizeof(km_v4))

/* Lanes of `a` where `m` is set, else lanes of `b` (m from a comparison: all ones or zero). */
#define VSELECT(m, a, b) ((km_v4)(((__typeof__(m))(a) & (m)) | ((__typeof__(m))(b) & ~(m))))

/* Squared distances of 8 rows (from offset r of every xj) to center c. */
KM_INLINE void dist8(km_v4 *a0, km_v4 *a1, const double *const *xj, size_t r, size_t d,
                     const double *c)
{
    km_v4 s0 = { 0.0, 0.0, 0.0, 0.0 }, s1 = s0;
    for (size_t j = 0; j < d; j++) {
        km_v4 x0, x1;
        VLOAD(x0, xj[j] + r);
        VLOAD(x1, xj[j] + r + 4);
        km_v4 t0 = x0 - c[j];
        km_v4 t1 = x1 - c[j];
        t0 = t0 * t0;
        t1 = t1 * t1;
        s0 = s0 + t0;
        s1 = s1 + t1;
    }
    *a0 = s0;
    *a1 = s1;
}

KM_CLONES
static void tile_dist2(const double *const *xj, size_t m, size_t d, const double *center, double *out)
{
    for (size_t r = 0; r < m; r += 8) {
        km_v4 a0, a1;
        dist8(&a0, &a1, xj, r, d, center);
        VSTORE(out + r, a0);
        VSTORE(out + r + 4, a1);
    }
}

/* Nearest center of 8 rows; strictly smaller replaces, so the lowest index wins a tie. Labels
 * are carried as doubles so that the selects stay in one vector type. */
KM_INLINE void nearest8(const double *const *xj, size_t r, size_t d, const double *centers,
                        size_t k, int32_t *label, double *best, double *second)
{
    const double inf = (double)INFINITY;
    km_v4 b0 = { inf, inf, inf, inf }, b1 = b0, s0 = b0, s1 = b0;
    km_v4 l0 = { 0.0, 0.0, 0.0, 0.0 }, l1 = l0;
    for (size_t c = 0; c < k; c++) {
        km_v4 a0, a1;
        dist8(&a0, &a1, xj, r, d, centers + c * d);
        const double fc = (double)c;
        km_v4 f = { fc, fc, fc, fc };
        __typeof__(a0 < b0) m0 = a0 < b0, m1 = a1 < b1;
        if (second) {
            __typeof__(a0 < s0) n0 = a0 < s0, n1 = a1 < s1;
            s0 = VSELECT(m0, b0, VSELECT(n0, a0, s0));
            s1 = VSELECT(m1, b1, VSELECT(n1, a1, s1));
        }
        l0 = VSELECT(m0, f, l0);
        l1 = VSELECT(m1, f, l1);
        b0 = VSELECT(m0, a0, b0);
        b1 = VSELECT(m1, a1, b1);
    }
    double lab[8];
    VSTORE(lab, l0);
    VSTORE(lab + 4, l1);
    for (size_t i = 0; i < 8; i++)
        label[r + i] = (int32_t)lab[i];
    VSTORE(best + r, b0);
    VSTORE(best + r + 4, b1);
    if (second) {
        VSTORE(second + r, s0);
        VSTORE(second + r + 4, s1);
    }
}

/* Nearest center of 16 rows, without the second distance: four vectors of accumulators fit the
 * registers and amortise each center coordinate's broadcast over more rows. */
KM_INLINE void nearest16(const double *const *xj, size_t r, size_t d, const double *centers,
                         size_t k, int32_t *label, double *best)
{
    const double inf = (double)INFINITY;
    km_v4 b0 = { inf, inf, inf, inf }, b1 = b0, b2 = b0, b3 = b0;
    km_v4 l0 = { 0.0, 0.0, 0.0, 0.0 }, l1 = l0, l2 = l0, l3 = l0;
    for (size_t c = 0; c < k; c++) {
        const double *cc = centers + c * d;
        km_v4 a0 = { 0.0, 0.0, 0.0, 0.0 }, a1 = a0, a2 = a0, a3 = a0;
        for (size_t j = 0; j < d; j++) {
            const double *x = xj[j] + r;
            km_v4 x0, x1, x2, x3;
            VLOAD(x0, x);
            VLOAD(x1, x + 4);
            VLOAD(x2, x + 8);
            VLOAD(x3, x + 12);
            km_v4 t0 = x0 - cc[j], t1 = x1 - cc[j], t2 = x2 - cc[j], t3 = x3 - cc[j];
            t0 = t0 * t0;
            t1 = t1 * t1;
            t2 = t2 * t2;
            t3 = t3 * t3;
            a0 = a0 + t0;
            a1 = a1 + t1;
            a2 = a2 + t2;
            a3 = a3 + t3;
        }
        const double fc = (double)c;
        km_v4 f = { fc, fc, fc, fc };
        __typeof__(a0 < b0) m0 = a0 < b0, m1 = a1 < b1, m2 = a2 < b2, m3 = a3 < b3;
        l0 = VSELECT(m0, f, l0);
        l1 = VSELECT(m1, f, l1);
        l2 = VSELECT(m2, f, l2);
        l3 = VSELECT(m3, f, l3);
        b0 = VSELECT(m0, a0, b0);
        b1 = VSELECT(m1, a1, b1);
        b2 = VSELECT(m2, a2, b2);
        b3 = VSELECT(m3, a3, b3);
    }
    double lab[16];
    VSTORE(lab, l0);
    VSTORE(lab + 4, l1);
    VSTORE(lab + 8, l2);
    VSTORE(lab + 12, l3);
    for (size_t i = 0; i < 16; i++)
        label[r + i] = (int32_t)lab[i];
    VSTORE(best + r, b0);
    VSTORE(best + r + 4, b1);
    VSTORE(best + r + 8, b2);
    VSTORE(best + r + 12, b3);
}

/* The loops over a tile for one (possibly constant) feature count. */
KM_INLINE void nearest_tile(const double *const *xj, size_t m, size_t d, const double *centers,
                            size_t k, int32_t *label, double *best, double *second)
{
    size_t r = 0;
    if (second) {
        for (; r < m; r += 8)
            nearest8(xj, r, d, centers, k, label, best, second);
        return;
    }
    for (; r + 16 <= m; r += 16)
        nearest16(xj, r, d, centers, k, label, best);
    for (; r < m; r += 8)
        nearest8(xj, r, d, centers, k, label, best, NULL);
}

KM_CLONES
static void tile_nearest(const double *const *xj, size_t m, size_t d, const double *centers, size_t k,
                         int32_t *label, double *best, double *second)
{
    /* Constant feature counts let the compiler unroll the loop over features. */
    switch (d) {
    case 1: nearest_tile(xj, m, 1, centers, k, label, best, second); break;
    case 2: nearest_tile(xj, m, 2, centers, k, label, best, second); break;
    case 3: nearest_tile(xj, m, 3, centers, k, label, best, second); break;
    case 4: nearest_tile(xj, m, 4, centers, k, label, best, second); break;
    case 5: nearest_tile(xj, m, 5, centers, k, label, best, second); break;
    case 6: nearest_tile(xj, m, 6, centers, k, label, best, second); break;
    case 8: nearest_tile(xj, m, 8, centers, k, label, best, second); break;
    default: nearest_tile(xj, m, d, centers, k, label, best, second); break;
    }
}

/* GCC exports the ifunc of a target_clones function whatever its visibility, so the clones are
 * static and reached through these plain functions. */
void tier__km_tile_dist2(const double *const *xj, size_t m, size_t d, const double *center, double *out)
{
    tile_dist2(xj, m, d, center, out);
}

void tier__km_tile_nearest(const double *const *xj, size_t m, size_t d, const double *centers,
                           size_t k, int32_t *label, double *best, double *second)
{
    tile_nearest(xj, m, d, centers, k, label, best, second);
}

/* ---- M-step sums --------------------------------------------------------------------------- */

KM_INLINE void accumulate_rows(double *part, const tier__km_data *X, size_t k, const int32_t *labels,
                               size_t r0, size_t r1, size_t d)
{
    const double *x[TIER_KMEANS_MAX_FEATURES];
    for (size_t j = 0; j < d; j++)
        x[j] = X->x[j];
    double *wsum = part + k * d;
    if (X->w) {
        for (size_t i = r0; i < r1; i++) {
            size_t l = (size_t)labels[i];
            double w = X->w[i], *s = part + l * d;
            for (size_t j = 0; j < d; j++)
                s[j] += x[j][i] * w;
            wsum[l] += w;
        }
    } else {
        for (size_t i = r0; i < r1; i++) {
            size_t l = (size_t)labels[i];
            double *s = part + l * d;
            for (size_t j = 0; j < d; j++)
                s[j] += x[j][i];
            wsum[l] += 1.0;
        }
    }
}

void tier__km_accumulate(double *part, const tier__km_data *X, size_t k, const int32_t *labels,
                         size_t r0, size_t r1)
{
    switch (X->d) { /* constant feature counts unroll the inner loop */
    case 1: accumulate_rows(part, X, k, labels, r0, r1, 1); break;
    case 2: accumulate_rows(part, X, k, labels, r0, r1, 2); break;
    case 3: accumulate_rows(part, X, k, labels, r0, r1, 3); break;
    case 4: accumulate_rows(part, X, k, labels, r0, r1, 4); break;
    case 5: accumulate_rows(part, X, k, labels, r0, r1, 5); break;
    case 6: accumulate_rows(part, X, k, labels, r0, r1, 6); break;
    case 8: accumulate_rows(part, X, k, labels, r0, r1, 8); break;
    default: accumulate_rows(part, X, k, labels, r0, r1, X->d); break;
    }
}

/* ---- Lloyd's assignment --------------------------------------------------------------------- */

static inline size_t block_end(const tier__km_data *X, size_t b)
{
    size_t end = (b + 1) * TIER__KM_BLOCK;
    return end < X->n ? end : X->n;
}

/* Assigns every row of block b to its nearest center; accumulates the block's sums. */
static int lloyd_block(void *ctx, size_t b)
{
    tier__km_pass *p = ctx;
    const tier__km_data *X = p->X;
    size_t r0 = b * TIER__KM_BLOCK, r1 = block_end(X, b);
    double *part = p->update ? p->part + b * p->stride : NULL;
    if (part)
        memset(part, 0, p->stride * sizeof *part);
    double xt[TIER_KMEANS_MAX_FEATURES * TILE];
    const double *xj[TIER_KMEANS_MAX_FEATURES];
    int32_t lab[TILE];
    double best[TILE];
    size_t changed = 0;
    double inertia = 0.0;
    for (size_t t0 = r0; t0 < r1; t0 += TILE) {
        size_t m = r1 - t0 < TILE ? r1 - t0 : TILE;
        tier__km_tile_rows(xj, xt, X, t0, m);
        tier__km_tile_nearest(xj, m, X->d, p->centers, p->k, lab, best, NULL);
        for (size_t r = 0; r < m; r++) {
            size_t i = t0 + r;
            changed += p->labels[i] != lab[r];
            p->labels[i] = lab[r];
            /* the inertia as inertia_block sums it (same distances, same order) */
            inertia += X->w ? best[r] * X->w[i] : best[r];
        }
        if (part)
            tier__km_accumulate(part, X, p->k, p->labels, t0, t0 + m);
    }
    p->changed[b] = changed;
    p->inertia[b] = inertia;
    return 0;
}

/* ---- inertia -------------------------------------------------------------------------------- */

typedef struct inertia_ctx {
    const tier__km_data *X;
    const double *centers;
    const int32_t *labels;
    double *part; /* per block */
} inertia_ctx;

static int inertia_block(void *ctx, size_t b)
{
    inertia_ctx *c = ctx;
    const tier__km_data *X = c->X;
    double sum = 0.0;
    for (size_t i = b * TIER__KM_BLOCK, end = block_end(X, b); i < end; i++) {
        double d2 = tier__km_dist2(X, i, c->centers + (size_t)c->labels[i] * X->d);
        sum += X->w ? d2 * X->w[i] : d2; /* as lloyd_block sums it */
    }
    c->part[b] = sum;
    return 0;
}

/* ---- empty clusters ------------------------------------------------------------------------- */

/* A candidate for refilling an empty cluster: farther first, then lower row. */
typedef struct far_row {
    double d2;
    size_t row;
} far_row;

static int farther(far_row a, far_row b) { return a.d2 > b.d2 || (a.d2 == b.d2 && a.row < b.row); }

/* Inserts `f` into the sorted list `top` of at most `m` entries (*n in use). */
static void far_insert(far_row *top, size_t *n, size_t m, far_row f)
{
    if (*n == m && !farther(f, top[m - 1]))
        return;
    size_t at = *n < m ? (*n)++ : m - 1;
    while (at > 0 && farther(f, top[at - 1])) {
        top[at] = top[at - 1];
        at--;
    }
    top[at] = f;
}

typedef struct far_ctx {
    const tier__km_data *X;
    const double *centers;
    const int32_t *labels;
    size_t m;
    far_row *top; /* blocks x m */
    size_t *count;
} far_ctx;

/* The m rows of block b (positive weight) farthest from their own center. */
static int far_block(void *ctx, size_t b)
{
    far_ctx *c = ctx;
    const tier__km_data *X = c->X;
    far_row *top = c->top + b * c->m;
    size_t n = 0;
    for (size_t i = b * TIER__KM_BLOCK, end = block_end(X, b); i < end; i++) {
        if (X->w && !(X->w[i] > 0.0))
            continue;
        far_row f = { tier__km_dist2(X, i, c->centers + (size_t)c->labels[i] * X->d), i };
        far_insert(top, &n, c->m, f);
    }
    c->count[b] = n;
    return 0;
}

/* scikit-learn's _relocate_empty_clusters_dense, made deterministic: the empty clusters, in
 * increasing order, take the rows farthest from their centers (the labels do not change; the
 * next assignment moves them). Updates the sums (k*d, then k weights). */
static int relocate(double *sums, const tier__km_data *X, size_t k, const double *centers,
                    const int32_t *labels, const size_t *empty, size_t n_empty)
{
    size_t blocks = tier__km_blocks(X->n), all = 0;
    far_ctx c = { X, centers, labels, n_empty, NULL, NULL };
    c.top = tier__calloc(X->alloc, blocks * n_empty, sizeof *c.top);
    c.count = tier__calloc(X->alloc, blocks, sizeof *c.count);
    far_row *top = tier__calloc(X->alloc, n_empty, sizeof *top);
    if (!c.top || !c.count || !top) {
        tier__free(X->alloc, c.top);
        tier__free(X->alloc, c.count);
        tier__free(X->alloc, top);
        return tier__oom();
    }
    tier__parallel_for(X->n_threads, blocks, far_block, &c);
    for (size_t b = 0; b < blocks; b++)
        for (size_t i = 0; i < c.count[b]; i++)
            far_insert(top, &all, n_empty, c.top[b * n_empty + i]);
    /* Every row sits on its center (more clusters than distinct rows): nothing to gain. */
    if (all > 0 && top[0].d2 > 0.0) {
        size_t d = X->d;
        double *wsum = sums + k * d;
        for (size_t e = 0; e < all; e++) {
            size_t row = top[e].row, to = empty[e], from = (size_t)labels[row];
            double w = X->w ? X->w[row] : 1.0;
            for (size_t j = 0; j < d; j++) {
                double v = X->w ? X->x[j][row] * w : X->x[j][row];
                sums[from * d + j] -= v;
                sums[to * d + j] = v;
            }
            wsum[to] = w;
            wsum[from] -= w;
        }
    }
    tier__free(X->alloc, c.top);
    tier__free(X->alloc, c.count);
    tier__free(X->alloc, top);
    return TIER_OK;
}

double *tier__km_block_array(void **mem, const tier__alloc *a, size_t blocks, size_t *stride)
{
    *stride = (*stride + 7) & ~(size_t)7;
    size_t cells;
    if (tier__mul_size(&cells, blocks, *stride) || cells > (size_t)-1 / sizeof(double) - 8 ||
        !(*mem = tier__malloc(a, (cells + 8) * sizeof(double)))) {
        *mem = NULL;
        tier__oom();
        return NULL;
    }
    return (double *)(((uintptr_t)*mem + 63) & ~(uintptr_t)63);
}

/* ---- the driver ----------------------------------------------------------------------------- */

typedef struct km_work {
    tier__km_pass pass;
    size_t blocks;
    void *part_mem; /* allocation behind pass.part */
    double *sums;   /* stride */
    double *next;   /* k x d: the M-step's centers */
    double *used;   /* k x d: the centers the current labels were computed against */
    double *shift;  /* k */
    double *half;   /* k */
    size_t *empty;  /* k */
} km_work;

static void work_free(km_work *w, const tier__alloc *a)
{
    tier__free(a, w->part_mem);
    tier__free(a, w->pass.changed);
    tier__free(a, w->pass.inertia);
    tier__free(a, w->pass.upper);
    tier__free(a, w->pass.lower);
    tier__free(a, w->sums);
    tier__free(a, w->next);
    tier__free(a, w->used);
    tier__free(a, w->shift);
    tier__free(a, w->half);
    tier__free(a, w->empty);
}

static int work_init(km_work *w, const tier__km_data *X, size_t k, int hamerly, int32_t *labels)
{
    const tier__alloc *a = X->alloc;
    memset(w, 0, sizeof *w);
    w->blocks = tier__km_blocks(X->n);
    tier__km_pass *p = &w->pass;
    p->X = X;
    p->k = k;
    p->labels = labels;
    p->stride = k * X->d + k;
    void *mem = NULL;
    p->part = tier__km_block_array(&mem, a, w->blocks ? w->blocks : 1, &p->stride);
    w->part_mem = mem;
    p->changed = tier__calloc(a, w->blocks ? w->blocks : 1, sizeof *p->changed);
    p->inertia = tier__calloc(a, w->blocks ? w->blocks : 1, sizeof *p->inertia);
    w->sums = tier__malloc(a, p->stride * sizeof *w->sums);
    w->next = tier__malloc(a, k * X->d * sizeof *w->next);
    w->used = tier__malloc(a, k * X->d * sizeof *w->used);
    w->shift = tier__calloc(a, k, sizeof *w->shift);
    w->half = tier__calloc(a, k, sizeof *w->half);
    w->empty = tier__calloc(a, k, sizeof *w->empty);
    if (hamerly) {
        p->upper = tier__malloc(a, (X->n ? X->n : 1) * sizeof *p->upper);
        p->lower = tier__malloc(a, (X->n ? X->n : 1) * sizeof *p->lower);
    }
    if (!p->part || !p->changed || !p->inertia || !w->sums || !w->next || !w->used || !w->shift || !w->half ||
        !w->empty || (hamerly && (!p->upper || !p->lower))) {
        work_free(w, a);
        return tier__oom();
    }
    return TIER_OK;
}

/* Sums the block partials in block order; returns the number of changed labels. */
static size_t combine(km_work *w)
{
    tier__km_pass *p = &w->pass;
    size_t changed = 0;
    memset(w->sums, 0, p->stride * sizeof *w->sums);
    for (size_t b = 0; b < w->blocks; b++) {
        const double *part = p->part + b * p->stride;
        for (size_t s = 0; s < p->stride; s++)
            w->sums[s] += part[s];
        changed += p->changed[b];
    }
    return changed;
}

/* The M-step: new centers from the sums (after refilling empty clusters), each center's shift,
 * and the total squared shift that the tolerance is compared with. */
static int mstep(double *shift_tot, km_work *w, const double *old)
{
    const tier__km_data *X = w->pass.X;
    size_t k = w->pass.k, d = X->d, n_empty = 0;
    double *wsum = w->sums + k * d;
    for (size_t c = 0; c < k; c++)
        if (wsum[c] == 0.0)
            w->empty[n_empty++] = c;
    if (n_empty) {
        int rc = relocate(w->sums, X, k, old, w->pass.labels, w->empty, n_empty);
        if (rc)
            return rc;
    }
    double tot = 0.0;
    for (size_t c = 0; c < k; c++) {
        double *nc = w->next + c * d;
        if (wsum[c] > 0.0) {
            /* scikit-learn's _average_centers multiplies by the reciprocal. */
            double alpha = 1.0 / wsum[c];
            for (size_t j = 0; j < d; j++)
                nc[j] = w->sums[c * d + j] * alpha;
        } else {
            memcpy(nc, old + c * d, d * sizeof *nc);
        }
        w->shift[c] = sqrt(tier__km_dist2_vec(nc, old + c * d, d));
        tot += w->shift[c] * w->shift[c];
    }
    *shift_tot = tot;
    return TIER_OK;
}

/* One assignment pass over all blocks against `centers`. */
static void assign(km_work *w, const double *centers, int update, int hamerly)
{
    tier__km_pass *p = &w->pass;
    p->centers = centers;
    p->update = update;
    tier__parallel_for(p->X->n_threads, w->blocks, hamerly ? tier__km_hamerly_block : lloyd_block, p);
}

static double total_inertia(const tier__km_data *X, const double *centers, const int32_t *labels,
                            double *part)
{
    size_t blocks = tier__km_blocks(X->n);
    inertia_ctx c = { X, centers, labels, part };
    tier__parallel_for(X->n_threads, blocks, inertia_block, &c);
    double sum = 0.0;
    for (size_t b = 0; b < blocks; b++)
        sum += part[b];
    return sum;
}

int tier__km_run(tier__km_result *res, const tier__km_data *X, const tier__km_params *prm,
                 double *centers, int32_t *labels)
{
    size_t k = prm->k, d = X->d;
    int hamerly = prm->hamerly && k > 1;
    km_work w;
    int rc = work_init(&w, X, k, hamerly, labels);
    if (rc)
        return rc;
    for (size_t i = 0; i < X->n; i++)
        labels[i] = -1; /* as scikit-learn: the first iteration never counts as converged */
    int strict = 0, converged = 0;
    unsigned it = 0;
    double diameter = hamerly ? tier__km_diameter(X, centers, k) : 0.0;
    while (it < prm->max_iter) {
        if (hamerly) {
            w.pass.first = it == 0;
            w.pass.centers = centers;
            if (it > 0) /* the bounds move with the centers' last shift */
                tier__km_hamerly_prepare(&w.pass, w.half, w.shift);
            w.pass.slack = tier__km_hamerly_slack(X, diameter, it);
        }
        assign(&w, centers, 1, hamerly);
        size_t changed = combine(&w);
        double shift_tot;
        if ((rc = mstep(&shift_tot, &w, centers)) != TIER_OK)
            break;
        memcpy(w.used, centers, k * d * sizeof *centers);
        memcpy(centers, w.next, k * d * sizeof *centers);
        it++;
        if (changed == 0) {
            strict = converged = 1;
            break;
        }
        if (shift_tot <= prm->tol_abs) {
            converged = 1;
            break;
        }
    }
    if (!rc) {
        /* Labels must be those of the final centers. After strict convergence they already are
         * unless a relocation moved a center in the last step. */
        int lloyd_last = !hamerly; /* Lloyd passes leave the inertia of their centers */
        if (!strict || memcmp(w.used, centers, k * d * sizeof *centers) != 0) {
            assign(&w, centers, 0, 0);
            lloyd_last = 1;
        }
        if (lloyd_last) {
            res->inertia = 0.0;
            for (size_t b = 0; b < w.blocks; b++)
                res->inertia += w.pass.inertia[b];
        } else {
            res->inertia = total_inertia(X, centers, labels, w.pass.part);
        }
        res->n_iter = it;
        res->converged = converged;
    }
    work_free(&w, X->alloc);
    return rc;
}
