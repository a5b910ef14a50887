/* Private: the k-means engine behind include/tier/kmeans.h, shared by lib/kmeans*.c.
 *
 *   kmeans.c         options, the scorer kind, data preparation (transforms), fit orchestration,
 *                    renumbering, per-cluster statistics, apply, getters, save/load
 *   kmeans_init.c    seeded generator, greedy k-means++, random rows
 *   kmeans_lloyd.c   distance kernels, the iteration driver (stopping rule, M-step, empty-cluster
 *                    relocation, final labels and inertia) and Lloyd's assignment
 *   kmeans_hamerly.c Hamerly's bounded assignment, plugged into the same driver
 *   kmeans_choose.c  choosing k: inertia/elbow, silhouette, Calinski-Harabasz, Davies-Bouldin
 *
 * Determinism. Rows are processed in blocks of TIER__KM_BLOCK rows, whatever the thread count;
 * every sum is accumulated in one fixed order inside a block (the M-step sums and the inertia in
 * 8 lanes by row % 8, see kmeans_lloyd.c; others in row order) and blocks are combined in block
 * order. When an unweighted run's sums are updated by the rows that moved instead (few labels
 * changed), the moves are applied in row order inside a block, and the blocks' changes are
 * combined in block order and then added to the previous sums; the choice between the two
 * depends only on the previous iteration's changed-label count. Squared distances are computed in exactly one way (see tier__km_dist2): Σ_j (x_j − c_j)²,
 * features in order, t_0² for the first and then one fused multiply-add fma(t_j, t_j, acc) per
 * feature — d subtractions, 1 multiplication, d − 1 fused multiply-adds, each rounded once. A
 * fused multiply-add is correctly rounded by definition (IEEE 754), so the vectorised kernels
 * (AVX-512F and AVX2 with FMA3: their fmadd instructions) and the portable code (C99 fma() from
 * libm: one instruction on aarch64 and on x86-64 with FMA, a slower exact software routine on
 * older x86-64) give the same bits, whatever the instruction set, and every path (Lloyd,
 * Hamerly, k-means++, apply, the metrics of choose-k) compares the same numbers and picks the
 * same label (the lowest cluster index on exact ties). */
#ifndef TIER_INTERNAL_KMEANS_H
#define TIER_INTERNAL_KMEANS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "tier/kmeans.h"
#include "alloc.h"

/* Every fused multiply-add is written out (fma(), the kernels' fmadd intrinsics): one the compiler
 * chose by itself (contraction of a*b+c) would differ between paths and instruction sets. Clang
 * contracts by default; GCC does in GNU C modes where the target has FMA (the AVX-512 kernels
 * have), never in ISO modes such as the project's c11. */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__) && !defined(__STRICT_ANSI__)
#pragma GCC optimize("fp-contract=off")
#endif

/* Rows per task. Fixed: results must not depend on the thread count. */
#define TIER__KM_BLOCK 8192
/* Rows per call of the vectorised kernels (a multiple of 8: two vectors of four). */
#define TIER__KM_TILE 32
/* An unweighted run updates the M-step sums by the rows whose label changed (see "the sums of
 * the moved rows" in kmeans_lloyd.c) when at most n / TIER__KM_DELTA_SHARE labels changed in the
 * previous iteration; otherwise it sums every row. */
#define TIER__KM_DELTA_SHARE 16
/* ... and no cluster shrank below 1/TIER__KM_DELTA_SHRINK of its largest size since the sums
 * were last taken fresh (the rounding error of carried-over sums scales with that size). */
#define TIER__KM_DELTA_SHRINK 1024

/* The data a k-means run sees: n rows of d transformed features, column-major. */
typedef struct tier__km_data {
    size_t n, d;
    const double *x[TIER_KMEANS_MAX_FEATURES]; /* d columns of n finite values */
    const double *w;                           /* n finite weights >= 0, or NULL: all 1 */
    double absmax[TIER_KMEANS_MAX_FEATURES];   /* max |x_j| per column */
    unsigned n_threads;                        /* resolved (>= 1) */
    const tier__alloc *alloc;
} tier__km_data;

static inline size_t tier__km_blocks(size_t n) { return (n + TIER__KM_BLOCK - 1) / TIER__KM_BLOCK; }

/* The squared distance of row `row` to center `c` (d >= 1 values). THE definition: every other
 * distance routine must do the same operations in the same order. (fma(t, t, 0) would equal t * t:
 * the first term may be either.) */
static inline double tier__km_dist2(const tier__km_data *X, size_t row, const double *c)
{
    double t = X->x[0][row] - c[0], acc = t * t;
    for (size_t j = 1; j < X->d; j++) {
        t = X->x[j][row] - c[j];
        acc = fma(t, t, acc);
    }
    return acc;
}

/* The same for two d-vectors (d >= 1). */
static inline double tier__km_dist2_vec(const double *a, const double *c, size_t d)
{
    double t = a[0] - c[0], acc = t * t;
    for (size_t j = 1; j < d; j++) {
        t = a[j] - c[j];
        acc = fma(t, t, acc);
    }
    return acc;
}

/* Per-block partial sums that threads write row by row must not share cache lines (they would
 * bounce between cores): rounds *stride (doubles per block) up to whole 64-byte lines and
 * returns a 64-byte aligned array of blocks x *stride doubles, or NULL (TIER_ENOMEM recorded).
 * *mem receives the allocation to release with tier__free. */
double *tier__km_block_array(void **mem, const tier__alloc *a, size_t blocks, size_t *stride);

/* ---- vectorised kernels (kmeans_lloyd.c) ---------------------------------------------------- */

/* Points xj[j] at TILE consecutive values of feature j for rows r0 .. r0 + TILE - 1: straight
 * into the columns for a full tile (m == TILE), else into xt (d x TILE), where the m rows are
 * copied and the rest are zero. */
void tier__km_tile_rows(const double **xj, double *xt, const tier__km_data *X, size_t r0, size_t m);

/* For the first m (<= TILE) rows of xj: the nearest of k centers (lowest index on ties) and its
 * squared distance; with `second` non-NULL also the second smallest squared distance (+inf for
 * k = 1). Works in groups of 8 rows: xj must hold readable values up to m rounded up to 8, and
 * the outputs room for as many. */
void tier__km_tile_nearest(const double *const *xj, size_t m, size_t d, const double *centers,
                           size_t k, int32_t *label, double *best, double *second);

/* Squared distances of the first m rows of xj to one center (groups of 8, as above). */
void tier__km_tile_dist2(const double *const *xj, size_t m, size_t d, const double *center,
                         double *out);

/* Column statistics in 8 lanes (element i feeds lane i % 8) over x[0 .. n), n a multiple of 8:
 * adds to s the values, to z the values times 0, and keeps in lo / hi the lanes' minimum and
 * maximum (a NaN never replaces them); then adds to m2 the squared deviations from `mean`. */
void tier__km_lane_stats(double *s, double *z, double *lo, double *hi, const double *x, size_t n);
void tier__km_lane_m2(double *m2, const double *x, size_t n, double mean);

/* ---- one k-means run (kmeans_lloyd.c, kmeans_hamerly.c) ------------------------------------- */

typedef struct tier__km_params {
    unsigned k;
    unsigned max_iter;
    double tol_abs;  /* tol x mean feature variance */
    int hamerly;     /* 1: Hamerly's assignment, 0: Lloyd's */
} tier__km_params;

typedef struct tier__km_result {
    double inertia;
    unsigned n_iter;
    int converged;
} tier__km_result;

/* Runs k-means from `centers` (k x d, replaced by the final centers); writes the final labels
 * (nearest final center) to `labels` (n). Errors: TIER_ENOMEM. */
int tier__km_run(tier__km_result *res, const tier__km_data *X, const tier__km_params *p,
                 double *centers, int32_t *labels);

/* The state of one assignment pass, shared by the Lloyd and Hamerly block functions. */
typedef struct tier__km_pass {
    const tier__km_data *X;
    size_t k;
    const double *centers; /* the centers labels are computed against */
    int32_t *labels;
    int update;            /* accumulate per-block sums for the M-step */
    int delta;             /* with update: the sums' changes by the rows whose label changed */
    double *part;          /* blocks x stride: k*d weighted sums, then k weights */
    size_t stride;
    size_t *changed;       /* per block: labels that changed */
    double *inertia;       /* per block (Lloyd passes): sum of w x squared distance, row order */
    /* Hamerly only */
    int first;             /* set the bounds from scratch */
    double *upper, *lower; /* n each: bound on the distance to the own / to any other center */
    const double *shift;   /* k: distance each center moved since the bounds were last valid */
    const double *half;    /* k: half the distance to the nearest other center */
    double shift_max, shift_second;
    size_t shift_argmax;
    double slack;          /* absolute margin that covers rounding in the bounds */
} tier__km_pass;

/* The M-step sums of one block (k*d weighted sums, then k weights), taken in the one order of
 * every assignment pass (see kmeans_lloyd.c): begin, add the block's tiles in row order, end. */
#define TIER__KM_LANE_K 64
typedef struct tier__km_sums {
    _Alignas(64) double acc[8 * TIER__KM_LANE_K * 8]; /* lanes x clusters x row vector */
    double wl[8 * TIER__KM_LANE_K];                   /* lanes x clusters: weights, if not in acc */
    double *part;                                     /* where end() writes the sums */
    size_t k, d;
} tier__km_sums;

void tier__km_sums_begin(tier__km_sums *s, double *part, size_t k, size_t d);
/* Adds the m (<= TIER__KM_TILE) rows from t0, a multiple of TIER__KM_TILE rows from the block start. */
void tier__km_sums_add(tier__km_sums *s, const tier__km_data *X, const int32_t *labels, size_t t0, size_t m);
void tier__km_sums_end(tier__km_sums *s);

/* A row that moved from cluster `from` to cluster `to` in an unweighted run: its features
 * leave from's sums and join to's, and the counts follow (part: k*d sums, then k counts). */
void tier__km_delta_row(double *part, const tier__km_data *X, size_t k, size_t row, int32_t from, int32_t to);

/* Hamerly's assignment of one block (tier__parallel_for task). */
int tier__km_hamerly_block(void *ctx, size_t block);

/* Before a Hamerly pass: half distances between the centers and the two largest shifts. */
void tier__km_hamerly_prepare(tier__km_pass *p, double *half, const double *shift);

/* A bound on every distance a run can meet: 2 sqrt(sum_j M_j^2), where M_j bounds |coordinate
 * j| of the data and of the initial centers (later centers are weighted means of rows). */
double tier__km_diameter(const tier__km_data *X, const double *centers, size_t k);

/* The absolute margin for Hamerly's tests at iteration `iter` (see kmeans_hamerly.c). */
double tier__km_hamerly_slack(const tier__km_data *X, double diameter, unsigned iter);

/* ---- initialisation (kmeans_init.c) --------------------------------------------------------- */

typedef struct tier__km_rng {
    uint64_t s[4];
} tier__km_rng;

/* Seeds stream `stream` of `seed` (independent streams for runs, samples ...). */
void tier__km_rng_seed(tier__km_rng *r, uint64_t seed, uint64_t stream);
uint64_t tier__km_rng_next(tier__km_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double tier__km_rng_uniform(tier__km_rng *r);

/* Greedy k-means++ (scikit-learn's _kmeans_plusplus, with 2 + floor(ln k) local trials), drawing
 * from stream `run` of `seed`. Writes k x d centers. Errors: TIER_ENOMEM. */
int tier__km_init_plusplus(double *centers, const tier__km_data *X, unsigned k, uint64_t seed,
                           uint64_t run);

/* k distinct rows drawn without replacement with probability proportional to weight
 * (Efraimidis-Spirakis keys). Errors: TIER_EINVAL (fewer than k rows of positive weight),
 * TIER_ENOMEM. */
int tier__km_init_random(double *centers, const tier__km_data *X, unsigned k, uint64_t seed,
                         uint64_t run);

/* ---- configuration and prepared data (kmeans.c) --------------------------------------------- */

/* The validated, owned copy of tier_kmeans_options that a scorer keeps. */
typedef struct tier__km_config {
    size_t d;
    char *features[TIER_KMEANS_MAX_FEATURES];
    tier_kmeans_transform transforms[TIER_KMEANS_MAX_FEATURES];
    char *weights;  /* NULL: all 1 */
    char *order_by; /* NULL: no renumbering */
    int order_ascending;
    unsigned k, n_init, max_iter, n_threads;
    tier_kmeans_init init;
    tier_kmeans_units init_units;
    double *init_centers; /* k x d with TIER_KMEANS_INIT_GIVEN, else NULL */
    uint64_t seed;
    tier_kmeans_algorithm algorithm;
    double tol;
    tier_kmeans_nan_policy nan_policy;
} tier__km_config;

/* Validates `opts` (NULL: defaults) and copies it into `cfg`. */
int tier__km_config_init(tier__km_config *cfg, const tier__alloc *a, const tier_kmeans_options *opts);
void tier__km_config_free(tier__km_config *cfg, const tier__alloc *a);

/* A dataset's rows made ready for clustering: validated, transformed, compacted. */
typedef struct tier__km_prep {
    tier__km_data X;        /* the fitted rows, transformed */
    size_t n_rows;          /* rows of the dataset */
    size_t *rows;           /* X row -> dataset row when rows were skipped, else NULL */
    double *shift, *scale;  /* d each: the fitted transform */
    double *buf;            /* owned transformed columns */
    double *wbuf;           /* owned compacted weights */
    double tol_abs;         /* tol x mean variance of the transformed features */
    const double *raw[TIER_KMEANS_MAX_FEATURES]; /* the dataset's feature columns (borrowed) */
    const tier__alloc *alloc;
} tier__km_prep;

/* Reads, validates and transforms the feature columns of ds (fitting the transforms). Errors:
 * TIER_ENOTFOUND, TIER_ETYPE, TIER_ESTALE, TIER_ERANGE (naming the customer), TIER_EEMPTY,
 * TIER_ENOMEM. */
int tier__km_prepare(tier__km_prep *p, const tier__km_config *cfg, const tier_dataset *ds,
                     const tier__alloc *a);
void tier__km_prep_free(tier__km_prep *p);

/* The n_init runs for k clusters on prepared data, keeping the lowest inertia: centers (k x d)
 * and labels (X.n) of the kept run. */
int tier__km_fit_runs(tier__km_result *res, double *centers, int32_t *labels, const tier__km_prep *p,
                      const tier__km_config *cfg, unsigned k);

#endif
