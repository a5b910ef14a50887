/* The k-means iteration: vectorised distance kernels, Lloyd's assignment, the M-step sums, and
 * the driver shared with Hamerly's assignment (kmeans_hamerly.c) — M-step, empty-cluster
 * relocation, scikit-learn's stopping rule, final labels and inertia. See lib/internal/kmeans.h
 * for the determinism rules.
 *
 * The kernels are written once for vectors of KM_WIDTH doubles (GCC/Clang generic vectors) in
 * the second half of this file, which the first half includes once per width: 8 for AVX-512F, 4
 * for AVX2 with FMA3 (x86-64 with GCC or Clang), 2 (SSE2, NEON ...) everywhere; the widest one the
 * machine runs is chosen at run time. Each width uses the registers of its own instruction set (a
 * wider generic vector than the hardware's is compiled into scalar code), and every row sees
 * exactly the operations of tier__km_dist2 whatever the width — its fused multiply-adds are the
 * fmadd instructions of AVX-512F and FMA3 at widths 8 and 4, and C99 fma() at width 2 (one
 * instruction on aarch64; a call into libm on x86-64, exact but slow without FMA hardware) — so
 * all give the same results. */
#ifndef KM_WIDTH /* ============================ the file proper ============================ */

#include <float.h>
#include <math.h>
#include <string.h>

#include "internal/error.h"
#include "internal/kmeans.h"
#include "internal/pool.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(TIER_NO_CLONES)
#include <immintrin.h>
#endif

#define TILE TIER__KM_TILE

#define KM_INLINE static inline __attribute__((always_inline))
/* Fully unrolls the short loop that follows (GCC does not at -O2; Clang does by itself). */
#if defined(__GNUC__) && !defined(__clang__)
#define KM_UNROLL _Pragma("GCC unroll 8")
#else
#define KM_UNROLL
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

static inline size_t block_end(const tier__km_data *X, size_t b)
{
    size_t end = (b + 1) * TIER__KM_BLOCK;
    return end < X->n ? end : X->n;
}

/* ---- the order of the sums ------------------------------------------------------------------ */

/* The second half of the determinism rule. With up to LANE_K clusters and up to 8 features, a
 * block's M-step sums are taken in 8 lanes: lane L adds, in row order, the rows r0 + L, r0 + L +
 * 8, r0 + L + 16, ... of the block (r0 its first row, a multiple of 8) to its per-cluster sums; at
 * the end of the block the lanes are added in order 0, 1, ..., 7. Each row is added as one row
 * vector of lane_width(d) doubles: its features, then its weight (or 1) when it fits, else the
 * weights have lanes of their own. The AVX-512 kernels transpose 8 rows in registers and add each
 * row vector with one vector addition; the others add one value at a time, with the same result
 * (the same additions, lane by lane). The inertia is summed in the same 8 lanes. With more
 * clusters or features the sums are taken in plain row order instead. */
#define LANE_K TIER__KM_LANE_K

static int use_lanes(size_t k, size_t d) { return k <= LANE_K && d <= 8; }

/* Doubles per row vector of the lane sums: the features, then (when it fits) the weight. */
static inline size_t lane_width(size_t d) { return d <= 3 ? 4 : 8; }

static void lanes_zero(tier__km_sums *s, size_t k, size_t d)
{
    memset(s->acc, 0, 8 * k * lane_width(d) * sizeof *s->acc);
    memset(s->wl, 0, 8 * k * sizeof *s->wl);
}

/* Adds rows [r, m) of a tile (labels lab, weights w or NULL, features xj) to the lanes one value
 * at a time. The tile starts at a multiple of 8 rows from the block start, so its row r belongs
 * to lane r % 8. */
KM_INLINE void lanes_add_rows(tier__km_sums *s, const double *const *xj, const double *w,
                              const int32_t *lab, size_t r, size_t m, size_t d, size_t k)
{
    const size_t v = lane_width(d);
    for (; r < m; r++) {
        size_t l = (size_t)lab[r], lane = r & 7;
        double *a = s->acc + (lane * k + l) * v, wr = w ? w[r] : 1.0;
        KM_UNROLL
        for (size_t j = 0; j < d; j++)
            a[j] += w ? xj[j][r] * wr : xj[j][r];
        if (d < v)
            a[d] += wr;
        else
            s->wl[lane * k + l] += wr;
    }
}

/* The lanes of a block added in order: k*d sums, then k weights. */
static void lanes_reduce(double *part, const tier__km_sums *s, size_t k, size_t d)
{
    const size_t v = lane_width(d);
    for (size_t c = 0; c < k; c++)
        for (size_t j = 0; j <= d; j++) {
            double sum = 0.0;
            for (size_t lane = 0; lane < 8; lane++) {
                double a = j < v ? s->acc[(lane * k + c) * v + j] : s->wl[lane * k + c];
                sum = lane ? sum + a : a;
            }
            if (j < d)
                part[c * d + j] = sum;
            else
                part[k * d + c] = sum;
        }
}

static double lane_sum(const double *lane)
{
    double s = lane[0];
    for (size_t l = 1; l < 8; l++)
        s += lane[l];
    return s;
}

/* Rows [r0, r1) added to the sums in plain row order (many clusters or features). */
KM_INLINE void accumulate_rows(double *part, const tier__km_data *X, size_t k, const int32_t *labels,
                               size_t r0, size_t r1, size_t d)
{
    double *wsum = part + k * d;
    for (size_t i = r0; i < r1; i++) {
        size_t l = (size_t)labels[i];
        double w = X->w ? X->w[i] : 1.0, *s = part + l * d;
        for (size_t j = 0; j < d; j++)
            s[j] += X->w ? X->x[j][i] * w : X->x[j][i];
        wsum[l] += w;
    }
}

/* ---- the sums of the moved rows ------------------------------------------------------------ */

/* Late in a run few labels change, yet summing every row costs about a third of an iteration
 * at d = 3. An unweighted run therefore carries its sums over: when at most n / 16 labels
 * changed in the previous iteration (TIER__KM_DELTA_SHARE), each block sums, in row order, the
 * changes its moved rows make (+x to the new cluster, -x to the old one, counts +-1), the
 * blocks' changes are added in block order, and the total is added to the previous sums. The
 * counts stay exact integers, so an emptied cluster is seen exactly; its feature sums, left
 * with rounding residue, are reset to zero (mstep). The features' sums differ from a fresh sum
 * by rounding only (a few ulps of the sums; scikit-learn's own summation order differs from
 * both), and the rule depends on nothing but the changed-label counts, so results stay
 * identical for every thread count and between Lloyd and Hamerly. Weighted runs always take
 * fresh sums: weight sums do not cancel exactly, and an emptied cluster must be recognised. A
 * relocation of empty clusters edits the sums without moving labels, so the next iteration
 * takes fresh sums too. */
/* Inlined into each width's kernel: a call from AVX-512 code into SSE code would pay for the
 * transition between the two on every moved row (measured: ~140 ns a row). */
KM_INLINE void delta_row(double *part, const tier__km_data *X, size_t k, size_t row, int32_t from, int32_t to)
{
    size_t d = X->d;
    double *sf = part + (size_t)from * d, *st = part + (size_t)to * d;
    for (size_t j = 0; j < d; j++) {
        double v = X->x[j][row];
        st[j] += v;
        sf[j] -= v;
    }
    part[k * d + (size_t)to] += 1.0;
    part[k * d + (size_t)from] -= 1.0;
}

void tier__km_delta_row(double *part, const tier__km_data *X, size_t k, size_t row, int32_t from, int32_t to)
{
    delta_row(part, X, k, row, from, to);
}

/* ---- the kernels, once per vector width ----------------------------------------------------- */

/* The kernels of one width, reached through a table (the width is chosen at run time). */
typedef struct km_kernels {
    void (*nearest)(const double *const *xj, size_t m, size_t d, const double *centers, size_t k,
                    int32_t *label, double *best, double *second);
    void (*dist2)(const double *const *xj, size_t m, size_t d, const double *center, double *out);
    void (*lloyd)(tier__km_pass *p, size_t b, double *part);
    void (*sums)(tier__km_sums *s, const tier__km_data *X, const int32_t *labels, size_t t0, size_t m);
    void (*stats)(double *s, double *z, double *lo, double *hi, const double *x, size_t n);
    void (*m2)(double *m2, const double *x, size_t n, double mean);
} km_kernels;

#define KN(name) KN_(name, KM_WIDTH)
#define KN_(name, w) KN__(name, w)
#define KN__(name, w) name##_w##w

#if defined(__x86_64__) && defined(__GNUC__) && !defined(TIER_NO_CLONES)
#define KM_X86 1
#if !defined(TIER_NO_AVX512)
#define KM_WIDTH 8
#define KM_TARGET __attribute__((target("avx512f")))
#include "kmeans_lloyd.c"
#undef KM_WIDTH
#undef KM_TARGET
#endif
#define KM_WIDTH 4
#define KM_TARGET __attribute__((target("avx2,fma")))
#include "kmeans_lloyd.c"
#undef KM_WIDTH
#undef KM_TARGET
#endif
#define KM_WIDTH 2
#define KM_TARGET
#include "kmeans_lloyd.c"
#undef KM_WIDTH
#undef KM_TARGET

static const km_kernels *kernels(void)
{
#if defined(KM_X86)
    /* The CPU's features as libgcc / compiler-rt read them at start-up (OS support included).
     * Building with -DTIER_NO_AVX512 (or -DTIER_NO_CLONES: width 2 only) tests the others. */
#if !defined(TIER_NO_AVX512)
    if (__builtin_cpu_supports("avx512f"))
        return &kernels_w8;
#endif
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return &kernels_w4;
#endif
    return &kernels_w2;
}

void tier__km_tile_dist2(const double *const *xj, size_t m, size_t d, const double *center, double *out)
{
    kernels()->dist2(xj, m, d, center, out);
}

void tier__km_tile_nearest(const double *const *xj, size_t m, size_t d, const double *centers,
                           size_t k, int32_t *label, double *best, double *second)
{
    kernels()->nearest(xj, m, d, centers, k, label, best, second);
}

void tier__km_lane_stats(double *s, double *z, double *lo, double *hi, const double *x, size_t n)
{
    kernels()->stats(s, z, lo, hi, x, n);
}

void tier__km_lane_m2(double *m2, const double *x, size_t n, double mean)
{
    kernels()->m2(m2, x, n, mean);
}

/* ---- the sums of a block, tile by tile (Hamerly's pass) ------------------------------------- */

void tier__km_sums_begin(tier__km_sums *s, double *part, size_t k, size_t d)
{
    s->part = part;
    s->k = k;
    s->d = d;
    if (use_lanes(k, d))
        lanes_zero(s, k, d);
    else
        memset(part, 0, (k * d + k) * sizeof *part);
}

void tier__km_sums_add(tier__km_sums *s, const tier__km_data *X, const int32_t *labels, size_t t0, size_t m)
{
    if (use_lanes(s->k, s->d))
        kernels()->sums(s, X, labels, t0, m);
    else
        accumulate_rows(s->part, X, s->k, labels, t0, t0 + m, s->d);
}

void tier__km_sums_end(tier__km_sums *s)
{
    if (use_lanes(s->k, s->d))
        lanes_reduce(s->part, s, s->k, s->d);
}

/* ---- Lloyd's assignment --------------------------------------------------------------------- */

/* Assigns every row of block b to its nearest center; accumulates the block's sums. */
static int lloyd_block(void *ctx, size_t b)
{
    tier__km_pass *p = ctx;
    kernels()->lloyd(p, b, p->update ? p->part + b * p->stride : NULL);
    return 0;
}

/* ---- inertia -------------------------------------------------------------------------------- */

typedef struct inertia_ctx {
    const tier__km_data *X;
    const double *centers;
    const int32_t *labels;
    double *part; /* per block */
} inertia_ctx;

/* The inertia of a block as lloyd_rows sums it: the same distances in the same lanes. */
static int inertia_block(void *ctx, size_t b)
{
    inertia_ctx *c = ctx;
    const tier__km_data *X = c->X;
    double lane[8] = { 0 };
    size_t r0 = b * TIER__KM_BLOCK, end = block_end(X, b);
    for (size_t i = r0; i < end; i++) {
        double d2 = tier__km_dist2(X, i, c->centers + (size_t)c->labels[i] * X->d);
        lane[(i - r0) & 7] += X->w ? d2 * X->w[i] : d2;
    }
    c->part[b] = lane_sum(lane);
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
    double *sums;   /* stride: the M-step sums (k*d, then k weights) */
    double *total;  /* stride: the change of the sums in a delta pass */
    double *peak;   /* k: largest size of each cluster since the sums were last taken fresh */
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
    tier__free(a, w->total);
    tier__free(a, w->peak);
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
    w->total = tier__malloc(a, p->stride * sizeof *w->total);
    w->peak = tier__malloc(a, k * sizeof *w->peak);
    w->next = tier__malloc(a, k * X->d * sizeof *w->next);
    w->used = tier__malloc(a, k * X->d * sizeof *w->used);
    w->shift = tier__calloc(a, k, sizeof *w->shift);
    w->half = tier__calloc(a, k, sizeof *w->half);
    w->empty = tier__calloc(a, k, sizeof *w->empty);
    if (hamerly) {
        p->upper = tier__malloc(a, (X->n ? X->n : 1) * sizeof *p->upper);
        p->lower = tier__malloc(a, (X->n ? X->n : 1) * sizeof *p->lower);
    }
    if (!p->part || !p->changed || !p->inertia || !w->sums || !w->total || !w->peak || !w->next || !w->used || !w->shift || !w->half ||
        !w->empty || (hamerly && (!p->upper || !p->lower))) {
        work_free(w, a);
        return tier__oom();
    }
    return TIER_OK;
}

/* Sums the block partials in block order (into `total`); with p->delta the total is the
 * change of the sums, added to the previous ones. Returns the number of changed labels. */
static size_t combine(km_work *w)
{
    tier__km_pass *p = &w->pass;
    size_t changed = 0, width = p->k * p->X->d + p->k;
    double *total = p->delta ? w->total : w->sums;
    memset(total, 0, width * sizeof *total);
    for (size_t b = 0; b < w->blocks; b++) {
        const double *part = p->part + b * p->stride;
        for (size_t s = 0; s < width; s++)
            total[s] += part[s];
        changed += p->changed[b];
    }
    if (p->delta)
        for (size_t s = 0; s < width; s++)
            w->sums[s] += total[s];
    return changed;
}

/* Whether the next pass may carry the sums over (see "the sums of the moved rows"), given the
 * labels changed by this one; tracks the clusters' sizes since the sums were last fresh. */
static int may_carry(km_work *w, size_t changed)
{
    const tier__km_pass *p = &w->pass;
    size_t k = p->k;
    const double *size = w->sums + k * p->X->d; /* unweighted: the counts, exact */
    int shrunk = 0;
    for (size_t c = 0; c < k; c++) {
        if (!p->delta || size[c] > w->peak[c])
            w->peak[c] = size[c];
        shrunk |= size[c] * TIER__KM_DELTA_SHRINK < w->peak[c];
    }
    return !p->X->w && !shrunk && changed <= p->X->n / TIER__KM_DELTA_SHARE;
}

/* The M-step: new centers from the sums (after refilling empty clusters), each center's shift,
 * and the total squared shift that the tolerance is compared with. *relocated tells whether
 * empty clusters were refilled (the sums then no longer match the labels). */
static int mstep(double *shift_tot, int *relocated, km_work *w, const double *old)
{
    const tier__km_data *X = w->pass.X;
    size_t k = w->pass.k, d = X->d, n_empty = 0;
    double *wsum = w->sums + k * d;
    for (size_t c = 0; c < k; c++)
        if (wsum[c] == 0.0) {
            w->empty[n_empty++] = c;
            /* exactly zero, not the rounding residue of a delta pass */
            memset(w->sums + c * d, 0, d * sizeof *w->sums);
        }
    *relocated = n_empty > 0;
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
    int strict = 0, converged = 0, relocated = 0, carry = 0; /* (no sums to carry over yet) */
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
        w.pass.delta = carry;
        assign(&w, centers, 1, hamerly);
        size_t changed = combine(&w);
        carry = may_carry(&w, changed);
        double shift_tot;
        if ((rc = mstep(&shift_tot, &relocated, &w, centers)) != TIER_OK)
            break;
        carry &= !relocated;
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

#else /* ================= the kernels for vectors of KM_WIDTH doubles (see the top) ================= */

#define W KM_WIDTH
#define V KN(km_v)
typedef double V __attribute__((vector_size(W * sizeof(double))));
typedef int32_t KN(km_i) __attribute__((vector_size(W * sizeof(int32_t)))); /* labels */
#define VL(dst, p) memcpy(&(dst), (p), sizeof(V))
#define VS(p, v) memcpy((p), &(v), sizeof(V))
/* Lanes of `a` where `m` is set, else lanes of `b` (m from a comparison: all ones or zero). */
#define VSEL(m, a, b) ((V)(((__typeof__(m))(a) & (m)) | ((__typeof__(m))(b) & ~(m))))
/* Vectors of accumulators per step of the nearest-center search for d features: as many as the
 * registers hold with the rows' features (independent chains keep the vector units busy and
 * amortise each center coordinate and label); at most GMAX. Written as d - 1 > 3 (d > 4, size_t)
 * so that the compiler also folds it in KM_BY_D's default case (d > 8), where it knows d is not
 * 1..8. */
#define GMAX 4
#define GD(d) (W == 8 && (size_t)(d) - 1 > 3 ? 2 : 4)

/* a * b + c rounded once, lane by lane: the instruction set's fused multiply-add, or C99 fma()
 * (correctly rounded by definition, so every width gives the same bits). */
#if KM_WIDTH == 8
#define VFMA(a, b, c) ((V)_mm512_fmadd_pd((__m512d)(a), (__m512d)(b), (__m512d)(c)))
/* Comparisons into mask registers, selects as masked moves (a vector-valued comparison and a
 * bitwise select cost extra instructions and register copies). */
#define VMASK __mmask8
#define VLT(a, b) _mm512_cmp_pd_mask((__m512d)(a), (__m512d)(b), _CMP_LT_OQ)
#define VMSEL(m, a, b) ((V)_mm512_mask_blend_pd((m), (__m512d)(b), (__m512d)(a)))
#elif KM_WIDTH == 4
#define VFMA(a, b, c) ((V)_mm256_fmadd_pd((__m256d)(a), (__m256d)(b), (__m256d)(c)))
#else
KM_INLINE KM_TARGET V KN(fma)(V a, V b, V c)
{
    V r;
    KM_UNROLL
    for (size_t i = 0; i < W; i++)
        r[i] = fma(a[i], b[i], c[i]);
    return r;
}
#define VFMA(a, b, c) KN(fma)((a), (b), (c))
#endif
#if KM_WIDTH != 8
#define VMASK __typeof__((V){ 0 } < (V){ 0 })
#define VLT(a, b) ((a) < (b))
#define VMSEL(m, a, b) VSEL(m, a, b)
#endif

/* Squared distances of W rows (from offset r of every xj) to center c: tier__km_dist2's
 * operations, t_0 * t_0, then fma(t_j, t_j, sum). */
KM_INLINE KM_TARGET void KN(dist)(V *out, const double *const *xj, size_t r, size_t d, const double *c)
{
    V x, s;
    VL(x, xj[0] + r);
    s = x - c[0];
    s = s * s;
    KM_UNROLL
    for (size_t j = 1; j < d; j++) {
        VL(x, xj[j] + r);
        V t = x - c[j];
        s = VFMA(t, t, s);
    }
    *out = s;
}

/* Nearest center of the n (a constant <= 4) vectors of rows from offset r: labels l[], best
 * distances b[] and, with `second`, the second smallest s[] (always written: distinct arrays).
 * Strictly smaller replaces, so the lowest index wins a tie. Labels are doubles so that the
 * selects stay in one vector type. */
KM_INLINE KM_TARGET void KN(nearest_rows)(V *l, V *b, V *s, const double *const *xj, size_t r, size_t d,
                                const double *centers, size_t k, const int second, const size_t n)
{
    const V zero = { 0 }, one = zero + 1.0, inf = zero + (double)INFINITY;
    V f = one;
    /* Center 0 as a scan from +inf would leave it: its distance (or +inf if it overflowed). */
    KM_UNROLL
    for (size_t g = 0; g < n; g++) {
        KN(dist)(&b[g], xj, r + g * W, d, centers);
        s[g] = inf;
        l[g] = zero;
    }
    for (size_t c = 1; c < k; c++, f = f + one) {
        KM_UNROLL
        for (size_t g = 0; g < n; g++) {
            V a;
            KN(dist)(&a, xj, r + g * W, d, centers + c * d);
            VMASK m = VLT(a, b[g]);
            if (second) {
                VMASK nm = VLT(a, s[g]);
                s[g] = VMSEL(m, b[g], VMSEL(nm, a, s[g]));
            }
            l[g] = VMSEL(m, f, l[g]);
            b[g] = VMSEL(m, a, b[g]);
        }
    }
}

KM_INLINE void KN(store)(size_t r, const V *l, const V *b, const V *s, const size_t n, int32_t *label,
                         double *best, double *second)
{
    KM_UNROLL
    for (size_t g = 0; g < n; g++) {
        double lab[W];
        VS(lab, l[g]);
        for (size_t i = 0; i < W; i++)
            label[r + g * W + i] = (int32_t)lab[i];
        VS(best + r + g * W, b[g]);
        if (second)
            VS(second + r + g * W, s[g]);
    }
}

/* The first m rows of a tile (m rounded up to 8 readable), GD(d) vectors at a time, then 8 rows. */
KM_INLINE KM_TARGET void KN(nearest_tile)(const double *const *xj, size_t m, size_t d, const double *centers,
                                size_t k, int32_t *label, double *best, double *second, const int sec)
{
    V l[GMAX], b[GMAX], s[GMAX];
    const size_t ng = GD(d);
    size_t r = 0;
    for (; r + ng * W <= m; r += ng * W) {
        KN(nearest_rows)(l, b, s, xj, r, d, centers, k, sec, ng);
        KN(store)(r, l, b, s, ng, label, best, second);
    }
    for (; r < m; r += 8) {
        KN(nearest_rows)(l, b, s, xj, r, d, centers, k, sec, 8 / W);
        KN(store)(r, l, b, s, 8 / W, label, best, second);
    }
}

/* Constant feature counts let the compiler unroll the loops over features. */
#define KM_BY_D(d, call)                                                                           \
    switch (d) {                                                                                   \
    case 1: call(1); break;                                                                        \
    case 2: call(2); break;                                                                        \
    case 3: call(3); break;                                                                        \
    case 4: call(4); break;                                                                        \
    case 5: call(5); break;                                                                        \
    case 6: call(6); break;                                                                        \
    case 7: call(7); break;                                                                        \
    case 8: call(8); break;                                                                        \
    default: call(d); break;                                                                       \
    }

KM_TARGET
static void KN(tile_nearest)(const double *const *xj, size_t m, size_t d, const double *centers, size_t k,
                             int32_t *label, double *best, double *second)
{
#define CALL(dd)                                                                                   \
    do {                                                                                           \
        if (second)                                                                                \
            KN(nearest_tile)(xj, m, dd, centers, k, label, best, second, 1);                      \
        else                                                                                       \
            KN(nearest_tile)(xj, m, dd, centers, k, label, best, NULL, 0);                        \
    } while (0)
    KM_BY_D(d, CALL)
#undef CALL
}

KM_TARGET
static void KN(tile_dist2)(const double *const *xj, size_t m, size_t d, const double *center, double *out)
{
    for (size_t r = 0; r < m; r += W) {
        V a;
        KN(dist)(&a, xj, r, d, center);
        VS(out + r, a);
    }
}

/* ---- sums of a full tile (see "the order of the sums") ---- */

#if KM_WIDTH == 8
/* Shuffles of two vectors of eight doubles by constant indices (GCC and Clang spellings). */
#if defined(__clang__)
#define SHUF(a, b, ...) __builtin_shufflevector((a), (b), __VA_ARGS__)
#else
typedef int64_t km_l8 __attribute__((vector_size(64)));
#define SHUF(a, b, ...) __builtin_shuffle((a), (b), (km_l8){ __VA_ARGS__ })
#endif
#define SHUF_LO(a, b) SHUF(a, b, 0, 8, 2, 10, 4, 12, 6, 14)
#define SHUF_HI(a, b) SHUF(a, b, 1, 9, 3, 11, 5, 13, 7, 15)

typedef double km_v4 __attribute__((vector_size(32)));

/* Adds 8 rows (labels lab[0..7], row i in lane i), given as columns c[0..3] (features, weight,
 * zeros), to the lane sums as rows of four doubles (d <= 3). */
KM_INLINE void lanes_add8_4(double *acc, const V *c, const int32_t *lab, size_t k)
{
    V t0 = SHUF_LO(c[0], c[1]), t1 = SHUF_HI(c[0], c[1]);
    V t2 = SHUF_LO(c[2], c[3]), t3 = SHUF_HI(c[2], c[3]);
    V pr[4]; /* rows (0, 2), (4, 6), (1, 3), (5, 7) */
    pr[0] = SHUF(t0, t2, 0, 1, 8, 9, 2, 3, 10, 11);
    pr[1] = SHUF(t0, t2, 4, 5, 12, 13, 6, 7, 14, 15);
    pr[2] = SHUF(t1, t3, 0, 1, 8, 9, 2, 3, 10, 11);
    pr[3] = SHUF(t1, t3, 4, 5, 12, 13, 6, 7, 14, 15);
    KM_UNROLL
    for (size_t i = 0; i < 8; i++) {
        km_v4 row, a;
        memcpy(&row, (const double *)&pr[(i & 1) * 2 + (i >> 2)] + ((i >> 1) & 1) * 4, sizeof row);
        double *dst = acc + (i * k + (size_t)lab[i]) * 4;
        memcpy(&a, dst, sizeof a);
        a = a + row;
        memcpy(dst, &a, sizeof a);
    }
}

/* The same for 4 <= d <= 8: columns c[0..7], rows of eight doubles (an 8 x 8 transposition). */
KM_INLINE void lanes_add8_8(double *acc, const V *c, const int32_t *lab, size_t k)
{
    V t[8], u[8];
    KM_UNROLL
    for (size_t p = 0; p < 4; p++) {
        t[2 * p] = SHUF_LO(c[2 * p], c[2 * p + 1]);     /* c0_0 c1_0 c0_2 c1_2 ... */
        t[2 * p + 1] = SHUF_HI(c[2 * p], c[2 * p + 1]); /* c0_1 c1_1 c0_3 c1_3 ... */
    }
    KM_UNROLL
    for (size_t h = 0; h < 2; h++) { /* features 4h .. 4h + 3 */
        KM_UNROLL
        for (size_t o = 0; o < 2; o++) { /* even / odd rows */
            V a = t[4 * h + o], b = t[4 * h + 2 + o];
            u[4 * h + 2 * o] = SHUF(a, b, 0, 1, 8, 9, 4, 5, 12, 13);       /* rows o, o + 4 */
            u[4 * h + 2 * o + 1] = SHUF(a, b, 2, 3, 10, 11, 6, 7, 14, 15); /* rows o + 2, o + 6 */
        }
    }
    KM_UNROLL
    for (size_t q = 0; q < 4; q++) { /* u[q]: rows (0,4) (2,6) (1,5) (3,7) of features 0-3 */
        static const size_t first[4] = { 0, 2, 1, 3 };
        size_t r = first[q];
        V lo = SHUF(u[q], u[4 + q], 0, 1, 2, 3, 8, 9, 10, 11);
        V hi = SHUF(u[q], u[4 + q], 4, 5, 6, 7, 12, 13, 14, 15);
        double *d0 = acc + (r * k + (size_t)lab[r]) * 8, *d1 = acc + ((r + 4) * k + (size_t)lab[r + 4]) * 8;
        V a;
        VL(a, d0);
        a = a + lo;
        VS(d0, a);
        VL(a, d1);
        a = a + hi;
        VS(d1, a);
    }
}

/* A full tile: 8 rows at a time, transposed in registers into row vectors. */
KM_INLINE void KN(lanes_tile)(tier__km_sums *s, const double *const *xj, const double *w,
                              const int32_t *lab, size_t d, size_t k)
{
    const V zero = { 0 }, one = zero + 1.0;
    KM_UNROLL
    for (size_t g = 0; g < TILE; g += 8) {
        V c[8], wv = one;
        if (w)
            VL(wv, w + g);
        KM_UNROLL
        for (size_t j = 0; j < 8; j++) {
            if (j < d) {
                VL(c[j], xj[j] + g);
                if (w)
                    c[j] = c[j] * wv;
            } else {
                c[j] = j == d ? wv : zero;
            }
        }
        if (lane_width(d) == 4) {
            lanes_add8_4(s->acc, c, lab + g, k);
        } else {
            lanes_add8_8(s->acc, c, lab + g, k);
            if (d == 8)
                for (size_t i = 0; i < 8; i++)
                    s->wl[i * k + (size_t)lab[g + i]] += w ? w[g + i] : 1.0;
        }
    }
}

#undef SHUF
#undef SHUF_LO
#undef SHUF_HI
#elif KM_WIDTH == 4
#if defined(__clang__)
#define SHUF(a, b, ...) __builtin_shufflevector((a), (b), __VA_ARGS__)
#else
typedef int64_t km_l4 __attribute__((vector_size(32)));
#define SHUF(a, b, ...) __builtin_shuffle((a), (b), (km_l4){ __VA_ARGS__ })
#endif

/* 4 rows given as columns c[0..3] (4 values each) become rows r[0..3] (a 4 x 4 transposition). */
KM_INLINE void transpose4(V *r, const V *c)
{
    V t0 = SHUF(c[0], c[1], 0, 4, 2, 6), t1 = SHUF(c[0], c[1], 1, 5, 3, 7);
    V t2 = SHUF(c[2], c[3], 0, 4, 2, 6), t3 = SHUF(c[2], c[3], 1, 5, 3, 7);
    r[0] = SHUF(t0, t2, 0, 1, 4, 5);
    r[1] = SHUF(t1, t3, 0, 1, 4, 5);
    r[2] = SHUF(t0, t2, 2, 3, 6, 7);
    r[3] = SHUF(t1, t3, 2, 3, 6, 7);
}

/* A full tile, 4 rows at a time, transposed in registers into row vectors (of one or two
 * vectors: features 0-3, then 4-7). */
KM_INLINE void KN(lanes_tile)(tier__km_sums *s, const double *const *xj, const double *w,
                              const int32_t *lab, size_t d, size_t k)
{
    const V zero = { 0 }, one = zero + 1.0;
    const size_t v = lane_width(d);
    KM_UNROLL
    for (size_t g = 0; g < TILE; g += 4) {
        V c[8], lo[4], hi[4], wv = one;
        if (w)
            VL(wv, w + g);
        KM_UNROLL
        for (size_t j = 0; j < 8; j++) { /* (c[4..7] are dead when v == 4) */
            if (j < d) {
                VL(c[j], xj[j] + g);
                if (w)
                    c[j] = c[j] * wv;
            } else {
                c[j] = j == d ? wv : zero;
            }
        }
        transpose4(lo, c);
        if (v == 8)
            transpose4(hi, c + 4);
        KM_UNROLL
        for (size_t i = 0; i < 4; i++) {
            size_t lane = (g + i) & 7, l = (size_t)lab[g + i];
            double *a = s->acc + (lane * k + l) * v;
            V t;
            VL(t, a);
            t = t + lo[i];
            VS(a, t);
            if (v == 8) {
                VL(t, a + 4);
                t = t + hi[i];
                VS(a + 4, t);
            }
            if (d == 8)
                s->wl[lane * k + l] += w ? w[g + i] : 1.0;
        }
    }
}

#undef SHUF
#else
/* Narrower vectors gain little from transposing: one value at a time. */
KM_INLINE void KN(lanes_tile)(tier__km_sums *s, const double *const *xj, const double *w,
                              const int32_t *lab, size_t d, size_t k)
{
    lanes_add_rows(s, xj, w, lab, 0, TILE, d, k);
}
#endif

KM_INLINE void KN(sums_rows)(tier__km_sums *s, const tier__km_data *X, const int32_t *labels, size_t t0,
                             size_t m, size_t d)
{
    double xt[8 * TILE];
    const double *xj[8];
    tier__km_tile_rows(xj, xt, X, t0, m);
    if (m == TILE)
        KN(lanes_tile)(s, xj, X->w ? X->w + t0 : NULL, labels + t0, d, s->k);
    else
        lanes_add_rows(s, xj, X->w ? X->w + t0 : NULL, labels + t0, 0, m, d, s->k);
}

/* The rows [t0, t0 + m) of a tile added to the lane sums (d <= 8: use_lanes). */
KM_TARGET
static void KN(sums_add)(tier__km_sums *s, const tier__km_data *X, const int32_t *labels, size_t t0, size_t m)
{
#define CALL(dd) KN(sums_rows)(s, X, labels, t0, m, dd)
    KM_BY_D(s->d, CALL)
#undef CALL
}

/* ---- Lloyd's pass over a block ---- */

/* The lanes where two label vectors differ, as a bit mask (lane l: bit l). */
#if KM_WIDTH == 8
#define VMOVED(old, now) ((unsigned)_mm256_movemask_ps((__m256)((old) != (now))))
#elif KM_WIDTH == 4
#define VMOVED(old, now) ((unsigned)_mm_movemask_ps((__m128)((old) != (now))))
#else
KM_INLINE KM_TARGET unsigned KN(moved)(KN(km_i) old, KN(km_i) now)
{
    unsigned m = 0;
    KM_UNROLL
    for (size_t l = 0; l < W; l++)
        m |= (unsigned)(old[l] != now[l]) << l;
    return m;
}
#define VMOVED(old, now) KN(moved)((old), (now))
#endif

/* In a single sweep: per tile of rows, the nearest centers, the labels, the inertia and (with
 * `part`) the M-step sums, while the tile is in the L1 cache. */
KM_INLINE KM_TARGET void KN(lloyd_rows)(tier__km_pass *p, size_t b, double *part, size_t d)
{
    const tier__km_data *X = p->X;
    const size_t k = p->k, r0 = b * TIER__KM_BLOCK, r1 = block_end(X, b);
    const double *w = X->w;
    const int delta = part && p->delta; /* part receives the moved rows' changes */
    const int lanes_on = part && !delta && use_lanes(k, d);
    int32_t *labels = p->labels, lab[TILE];
    tier__km_sums ls;
    double xt[TIER_KMEANS_MAX_FEATURES * TILE], best[TILE], il[8];
    const double *xj[TIER_KMEANS_MAX_FEATURES];
    V iv[8 / W], vl[GMAX], vb[GMAX], vs[GMAX]; /* (vs: unused second distances) */
    const size_t ng = GD(d);
    KN(km_i) same = { 0 }; /* minus the labels of full tiles that did not change, per lane */
    size_t changed = 0, full = 0;
    KM_UNROLL
    for (size_t q = 0; q < 8 / W; q++)
        iv[q] = (V){ 0 };
    if (lanes_on)
        lanes_zero(&ls, k, d);
    else if (part)
        memset(part, 0, (k * d + k) * sizeof *part);
    for (size_t t0 = r0; t0 < r1; t0 += TILE) {
        size_t m = r1 - t0 < TILE ? r1 - t0 : TILE;
        if (m == TILE) {
            KM_UNROLL
            for (size_t j = 0; j < d; j++)
                xj[j] = X->x[j] + t0;
            for (size_t r = 0; r < TILE; r += ng * W) {
                KN(nearest_rows)(vl, vb, vs, xj, r, d, p->centers, k, 0, ng);
                KM_UNROLL
                for (size_t g = 0; g < ng; g++) { /* rows i .. i + W - 1: lanes i % 8 ... */
                    size_t i = r + g * W;
                    KN(km_i) now = __builtin_convertvector(vl[g], KN(km_i)), old;
                    memcpy(&old, labels + t0 + i, sizeof old);
                    same += (KN(km_i))(old == now); /* a comparison is -1 where true */
                    if (delta) /* the moved rows, in row order */
                        for (unsigned mv = VMOVED(old, now); mv; mv &= mv - 1) {
                            unsigned l = (unsigned)__builtin_ctz(mv);
                            delta_row(part, X, k, t0 + i + l, old[l], now[l]);
                        }
                    memcpy(labels + t0 + i, &now, sizeof now);
                    if (w) {
                        V wv;
                        VL(wv, w + t0 + i);
                        vb[g] = vb[g] * wv;
                    }
                    iv[(i % 8) / W] = iv[(i % 8) / W] + vb[g];
                }
            }
            if (lanes_on)
                KN(lanes_tile)(&ls, xj, w ? w + t0 : NULL, labels + t0, d, k);
            full += TILE;
        } else { /* the last tile of the data: the same operations, one row at a time */
            tier__km_tile_rows(xj, xt, X, t0, m);
            KN(tile_nearest)(xj, m, d, p->centers, k, lab, best, NULL);
            KM_UNROLL
            for (size_t q = 0; q < 8 / W; q++)
                VS(il + q * W, iv[q]);
            for (size_t r = 0; r < m; r++) {
                changed += labels[t0 + r] != lab[r];
                if (delta && labels[t0 + r] != lab[r])
                    delta_row(part, X, k, t0 + r, labels[t0 + r], lab[r]);
                labels[t0 + r] = lab[r];
                il[r & 7] += w ? best[r] * w[t0 + r] : best[r];
            }
            KM_UNROLL
            for (size_t q = 0; q < 8 / W; q++)
                VL(iv[q], il + q * W);
            if (lanes_on)
                lanes_add_rows(&ls, xj, w ? w + t0 : NULL, labels + t0, 0, m, d, k);
        }
        if (part && !delta && !lanes_on)
            accumulate_rows(part, X, k, labels, t0, t0 + m, d);
    }
    if (lanes_on)
        lanes_reduce(part, &ls, k, d);
    KM_UNROLL
    for (size_t q = 0; q < 8 / W; q++)
        VS(il + q * W, iv[q]);
    for (size_t i = 0; i < W; i++)
        full -= (size_t)-same[i];
    changed += full;
    p->changed[b] = changed;
    p->inertia[b] = lane_sum(il);
}

KM_TARGET
static void KN(lloyd_block)(tier__km_pass *p, size_t b, double *part)
{
#define CALL(dd) KN(lloyd_rows)(p, b, part, dd)
    KM_BY_D(p->X->d, CALL)
#undef CALL
}

/* ---- column statistics (tier__km_lane_stats) ---- */

KM_TARGET
static void KN(stats)(double *s, double *z, double *lo, double *hi, const double *x, size_t n)
{
    V vs[8 / W], vz[8 / W], vlo[8 / W], vhi[8 / W];
    KM_UNROLL
    for (size_t q = 0; q < 8 / W; q++) {
        VL(vs[q], s + q * W);
        VL(vz[q], z + q * W);
        VL(vlo[q], lo + q * W);
        VL(vhi[q], hi + q * W);
    }
    for (size_t i = 0; i < n; i += 8) {
        KM_UNROLL
        for (size_t q = 0; q < 8 / W; q++) {
            V v;
            VL(v, x + i + q * W);
            vs[q] = vs[q] + v;
            vz[q] = vz[q] + v * 0.0;
            vlo[q] = VSEL(v < vlo[q], v, vlo[q]);
            vhi[q] = VSEL(v > vhi[q], v, vhi[q]);
        }
    }
    KM_UNROLL
    for (size_t q = 0; q < 8 / W; q++) {
        VS(s + q * W, vs[q]);
        VS(z + q * W, vz[q]);
        VS(lo + q * W, vlo[q]);
        VS(hi + q * W, vhi[q]);
    }
}

KM_TARGET
static void KN(m2)(double *m2, const double *x, size_t n, double mean)
{
    V acc[8 / W];
    KM_UNROLL
    for (size_t q = 0; q < 8 / W; q++)
        VL(acc[q], m2 + q * W);
    for (size_t i = 0; i < n; i += 8) {
        KM_UNROLL
        for (size_t q = 0; q < 8 / W; q++) {
            V t;
            VL(t, x + i + q * W);
            t = t - mean;
            acc[q] = acc[q] + t * t;
        }
    }
    KM_UNROLL
    for (size_t q = 0; q < 8 / W; q++)
        VS(m2 + q * W, acc[q]);
}

static const km_kernels KN(kernels) = { KN(tile_nearest), KN(tile_dist2), KN(lloyd_block), KN(sums_add),
                                        KN(stats),        KN(m2) };

#undef KM_BY_D
#undef W
#undef V
#undef VL
#undef VS
#undef VSEL
#undef VFMA
#undef VMASK
#undef VLT
#undef VMOVED
#undef VMSEL
#undef GMAX
#undef GD

#endif /* KM_WIDTH */
