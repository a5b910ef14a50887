/* Choosing k: one k-means fit per k on data prepared once, and the measures that compare them —
 * inertia with an elbow pick, silhouette on a seeded sample, Calinski-Harabasz and Davies-Bouldin
 * (scikit-learn's definitions in sklearn.metrics). Deterministic for any thread count: per-row
 * work in fixed blocks, sums in row then block order. */
#include <math.h>
#include <string.h>

#include "internal/error.h"
#include "internal/kmeans.h"
#include "internal/pool.h"

#define N_METRICS 5

struct tier_kmeans_choice {
    tier__alloc alloc;
    unsigned k_min;
    size_t count;
    double *values; /* count x N_METRICS, by tier_kmeans_metric */
};

int tier_kmeans_choose_options_init(tier_kmeans_choose_options *opts, unsigned int version)
{
    if (!opts)
        return tier__error(TIER_EINVAL, "tier_kmeans_choose_options_init: NULL options");
    if (version < 1 || version > TIER_KMEANS_CHOOSE_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_kmeans_choose_options version %u is not 1..%d", version,
                           TIER_KMEANS_CHOOSE_OPTIONS_VERSION);
    tier_kmeans_choose_options def = TIER_KMEANS_CHOOSE_OPTIONS_INIT;
    *opts = def;
    opts->version = version;
    return TIER_OK;
}

/* ---- Calinski-Harabasz and Davies-Bouldin --------------------------------------------------- */

static inline size_t block_end(size_t n, size_t b)
{
    size_t end = (b + 1) * TIER__KM_BLOCK;
    return end < n ? end : n;
}

/* Per block: pass 0 sums k*d coordinates and k counts; pass 1 sums k squared and k plain
 * distances to the cluster means. */
typedef struct disp_ctx {
    const tier__km_data *X;
    const int32_t *labels;
    size_t k;
    const double *means; /* pass 1 */
    double *part;        /* blocks x stride */
    size_t stride;
} disp_ctx;

static int disp_block(void *ctx, size_t b)
{
    disp_ctx *c = ctx;
    const tier__km_data *X = c->X;
    size_t d = X->d, k = c->k;
    double *part = c->part + b * c->stride;
    memset(part, 0, c->stride * sizeof *part);
    for (size_t i = b * TIER__KM_BLOCK, end = block_end(X->n, b); i < end; i++) {
        size_t l = (size_t)c->labels[i];
        if (!c->means) {
            for (size_t j = 0; j < d; j++)
                part[l * d + j] += X->x[j][i];
            part[k * d + l] += 1.0;
        } else {
            double d2 = tier__km_dist2(X, i, c->means + l * d);
            part[l] += d2;
            part[k + l] += sqrt(d2);
        }
    }
    return 0;
}

static void combine(double *tot, const double *part, size_t blocks, size_t stride)
{
    memset(tot, 0, stride * sizeof *tot);
    for (size_t b = 0; b < blocks; b++)
        for (size_t s = 0; s < stride; s++)
            tot[s] += part[b * stride + s];
}

/* numpy.allclose(v, 0): every |v| <= 1e-8. */
static int all_near_zero(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fabs(v[i]) > 1e-8)
            return 0;
    return 1;
}

/* Davies-Bouldin over the m present clusters (intra: mean distance to the mean; cent: their
 * means, m x d). */
static double davies_bouldin(const double *intra, const double *cent, size_t m, size_t d,
                             double *cdist /* m x m scratch */)
{
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < m; b++)
            cdist[a * m + b] = sqrt(tier__km_dist2_vec(cent + a * d, cent + b * d, d));
    if (all_near_zero(intra, m) || all_near_zero(cdist, m * m))
        return 0.0;
    double total = 0.0;
    for (size_t a = 0; a < m; a++) {
        double worst = -(double)INFINITY;
        for (size_t b = 0; b < m; b++) {
            double cd = cdist[a * m + b] == 0.0 ? (double)INFINITY : cdist[a * m + b];
            double r = (intra[a] + intra[b]) / cd;
            worst = r > worst ? r : worst;
        }
        total += worst;
    }
    return total / (double)m;
}

/* Calinski-Harabasz and Davies-Bouldin of one labelling (unweighted, over the m present
 * clusters in label order, as scikit-learn's LabelEncoder sees them). NaN when m < 2. */
static int dispersion_scores(double *ch, double *db, const tier__km_data *X, const int32_t *labels,
                             size_t k)
{
    const tier__alloc *a = X->alloc;
    size_t d = X->d, blocks = tier__km_blocks(X->n), stride = k * d + k;
    void *part_mem = NULL;
    double *part = tier__km_block_array(&part_mem, a, blocks, &stride);
    disp_ctx c = { X, labels, k, NULL, part, stride };
    double *tot = tier__malloc(a, stride * sizeof *tot);
    double *means = tier__calloc(a, k * d, sizeof *means);
    double *cnt = tier__malloc(a, k * sizeof *cnt);
    double *cent = tier__malloc(a, k * d * sizeof *cent);
    double *intra = tier__malloc(a, k * sizeof *intra);
    double *cdist = tier__malloc(a, k * k * sizeof *cdist);
    if (!c.part || !tot || !means || !cnt || !cent || !intra || !cdist) {
        tier__free(a, part_mem);
        tier__free(a, tot);
        tier__free(a, means);
        tier__free(a, cnt);
        tier__free(a, cent);
        tier__free(a, intra);
        tier__free(a, cdist);
        return tier__oom();
    }
    tier__parallel_for(X->n_threads, blocks, disp_block, &c);
    combine(tot, c.part, blocks, stride);
    double grand[TIER_KMEANS_MAX_FEATURES];
    for (size_t j = 0; j < d; j++) {
        double s = 0.0;
        for (size_t l = 0; l < k; l++)
            s += tot[l * d + j];
        grand[j] = s / (double)X->n;
    }
    size_t m = 0;
    double extra = 0.0;
    for (size_t l = 0; l < k; l++) {
        cnt[l] = tot[k * d + l];
        if (cnt[l] == 0.0)
            continue;
        for (size_t j = 0; j < d; j++)
            means[l * d + j] = tot[l * d + j] / cnt[l];
        extra += cnt[l] * tier__km_dist2_vec(means + l * d, grand, d);
        m++;
    }
    c.means = means;
    tier__parallel_for(X->n_threads, blocks, disp_block, &c);
    combine(tot, c.part, blocks, stride);
    double within = 0.0;
    size_t at = 0;
    for (size_t l = 0; l < k; l++) {
        if (cnt[l] == 0.0)
            continue;
        within += tot[l];
        intra[at] = tot[k + l] / cnt[l];
        memcpy(cent + at * d, means + l * d, d * sizeof *cent);
        at++;
    }
    if (m < 2) {
        *ch = *db = (double)NAN;
    } else {
        *ch = within == 0.0 ? 1.0
                            : extra * ((double)X->n - (double)m) / (within * ((double)m - 1.0));
        *db = davies_bouldin(intra, cent, m, d, cdist);
    }
    tier__free(a, part_mem);
    tier__free(a, tot);
    tier__free(a, means);
    tier__free(a, cnt);
    tier__free(a, cent);
    tier__free(a, intra);
    tier__free(a, cdist);
    return TIER_OK;
}

/* ---- silhouette ----------------------------------------------------------------------------- */

#define SIL_ROWS 64 /* sample rows per task */

/* The sample's rows (row-major, s x d) and every k's labels of them (t-major: nk x s). One
 * distance per pair serves every k. */
typedef struct sil_ctx {
    const tier__alloc *alloc;
    size_t s, d, nk, kmax;
    const double *xs;
    const int32_t *lab;
    const double *cnt; /* nk x kmax: sample members per cluster */
    double *value;     /* nk x s: silhouette of each sample row */
} sil_ctx;

/* scikit-learn's silhouette_samples for one row given its per-cluster distance sums. */
static double silhouette_one(const double *sum, const double *cnt, size_t kmax, int32_t own)
{
    if (cnt[own] <= 1.0)
        return 0.0; /* a singleton (scikit-learn: NaN turned into 0) */
    double a = sum[own] / (cnt[own] - 1.0), b = (double)INFINITY;
    for (size_t c = 0; c < kmax; c++)
        if ((int32_t)c != own && cnt[c] > 0.0 && sum[c] / cnt[c] < b)
            b = sum[c] / cnt[c];
    double den = a > b ? a : b;
    return den > 0.0 && isfinite(b) ? (b - a) / den : 0.0;
}

static int sil_block(void *ctx, size_t task)
{
    sil_ctx *c = ctx;
    size_t s = c->s, d = c->d, nk = c->nk, kmax = c->kmax;
    double *dist = tier__malloc(c->alloc, s * sizeof *dist);
    double *sum = tier__malloc(c->alloc, kmax * sizeof *sum);
    if (!dist || !sum) {
        tier__free(c->alloc, dist);
        tier__free(c->alloc, sum);
        return TIER_ENOMEM;
    }
    size_t i1 = (task + 1) * SIL_ROWS < s ? (task + 1) * SIL_ROWS : s;
    for (size_t i = task * SIL_ROWS; i < i1; i++) {
        const double *xi = c->xs + i * d;
        for (size_t j = 0; j < s; j++)
            dist[j] = sqrt(tier__km_dist2_vec(xi, c->xs + j * d, d));
        for (size_t t = 0; t < nk; t++) {
            const int32_t *lab = c->lab + t * s;
            memset(sum, 0, kmax * sizeof *sum);
            for (size_t j = 0; j < s; j++)
                sum[lab[j]] += dist[j];
            c->value[t * s + i] = silhouette_one(sum, c->cnt + t * kmax, kmax, lab[i]);
        }
    }
    tier__free(c->alloc, dist);
    tier__free(c->alloc, sum);
    return 0;
}

/* Mean silhouette of the sample for each of the nk labellings (NaN unless 2 <= present
 * clusters <= s - 1, where scikit-learn raises). */
static int silhouettes(double *out, sil_ctx *c, unsigned threads)
{
    size_t s = c->s, nk = c->nk, kmax = c->kmax;
    double *cnt = tier__calloc(c->alloc, nk * kmax, sizeof *cnt);
    c->value = tier__malloc(c->alloc, nk * s * sizeof *c->value);
    int rc = (!cnt || !c->value) ? tier__oom() : TIER_OK;
    if (!rc) {
        for (size_t t = 0; t < nk; t++)
            for (size_t j = 0; j < s; j++)
                cnt[t * kmax + (size_t)c->lab[t * s + j]] += 1.0;
        c->cnt = cnt;
        size_t tasks = (s + SIL_ROWS - 1) / SIL_ROWS;
        if (tier__parallel_for(tier__threads(threads, tasks), tasks, sil_block, c))
            rc = tier__oom();
    }
    for (size_t t = 0; !rc && t < nk; t++) {
        size_t present = 0;
        for (size_t l = 0; l < kmax; l++)
            present += cnt[t * kmax + l] > 0.0;
        double sum = 0.0;
        for (size_t i = 0; i < s; i++)
            sum += c->value[t * s + i];
        out[t] = (present >= 2 && present + 1 <= s) ? sum / (double)s : (double)NAN;
    }
    tier__free(c->alloc, cnt);
    tier__free(c->alloc, c->value);
    c->value = NULL;
    return rc;
}

/* Selection sampling (Knuth's algorithm S): m of n rows, increasing, seeded. */
static void sample_rows(size_t *rows, size_t m, size_t n, uint64_t seed)
{
    tier__km_rng rng;
    tier__km_rng_seed(&rng, seed, 0x51u);
    size_t chosen = 0;
    for (size_t i = 0; i < n && chosen < m; i++)
        if ((double)(n - i) * tier__km_rng_uniform(&rng) < (double)(m - chosen))
            rows[chosen++] = i;
}

/* ---- the table ------------------------------------------------------------------------------ */

static int check_choose(const tier_kmeans_choose_options *co, const tier__km_config *cfg)
{
    if (co->version < 1 || co->version > TIER_KMEANS_CHOOSE_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_kmeans_choose_options version %u is not 1..%d",
                           co->version, TIER_KMEANS_CHOOSE_OPTIONS_VERSION);
    if (co->k_min < 1 || co->k_max < co->k_min)
        return tier__error(TIER_EINVAL, "kmeans choose-k: the range %u..%u is empty or starts below 1",
                           co->k_min, co->k_max);
    if (co->k_max - co->k_min >= 4096)
        return tier__error(TIER_EINVAL, "kmeans choose-k: the range %u..%u has more than 4096 values",
                           co->k_min, co->k_max);
    if (cfg->init == TIER_KMEANS_INIT_GIVEN && (co->k_min != cfg->k || co->k_max != cfg->k))
        return tier__error(TIER_EINVAL,
                           "kmeans choose-k: given initial centers fix k = %u, but the range is %u..%u",
                           cfg->k, co->k_min, co->k_max);
    return TIER_OK;
}

/* Scratch of one choose-k call. */
typedef struct choose_work {
    tier__km_prep prep;
    double *centers;
    int32_t *labels;
    size_t *sample;
    double *xs;
    int32_t *lab;
} choose_work;

static void work_free(choose_work *w, const tier__alloc *a)
{
    tier__km_prep_free(&w->prep);
    tier__free(a, w->centers);
    tier__free(a, w->labels);
    tier__free(a, w->sample);
    tier__free(a, w->xs);
    tier__free(a, w->lab);
}

/* Fits every k and fills the table. */
static int measure(tier_kmeans_choice *ch, choose_work *w, const tier__km_config *cfg,
                   const tier_kmeans_choose_options *co)
{
    const tier__alloc *a = &ch->alloc;
    const tier__km_data *X = &w->prep.X;
    size_t n = X->n, d = X->d, nk = ch->count, kmax = co->k_max;
    if (kmax > n)
        return tier__error(TIER_EINVAL, "kmeans choose-k: k_max = %u is more than the %zu customers to fit",
                           co->k_max, n);
    size_t s = co->silhouette_sample == 0 || co->silhouette_sample > n ? n : co->silhouette_sample;
    w->centers = tier__malloc(a, kmax * d * sizeof *w->centers);
    w->labels = tier__malloc(a, n * sizeof *w->labels);
    w->sample = tier__malloc(a, s * sizeof *w->sample);
    w->xs = tier__malloc(a, s * d * sizeof *w->xs);
    w->lab = tier__malloc(a, nk * s * sizeof *w->lab);
    if (!w->centers || !w->labels || !w->sample || !w->xs || !w->lab)
        return tier__oom();
    sample_rows(w->sample, s, n, co->silhouette_seed);
    for (size_t i = 0; i < s; i++)
        for (size_t j = 0; j < d; j++)
            w->xs[i * d + j] = X->x[j][w->sample[i]];
    for (size_t t = 0; t < nk; t++) {
        unsigned k = co->k_min + (unsigned)t;
        tier__km_result res;
        int rc = tier__km_fit_runs(&res, w->centers, w->labels, &w->prep, cfg, k);
        double *v = ch->values + t * N_METRICS;
        if (!rc)
            rc = dispersion_scores(&v[TIER_KMEANS_CALINSKI_HARABASZ], &v[TIER_KMEANS_DAVIES_BOULDIN], X,
                                   w->labels, k);
        if (rc)
            return rc;
        v[TIER_KMEANS_INERTIA] = res.inertia;
        v[TIER_KMEANS_ITERATIONS] = (double)res.n_iter;
        for (size_t i = 0; i < s; i++)
            w->lab[t * s + i] = w->labels[w->sample[i]];
    }
    double *sil = tier__malloc(a, nk * sizeof *sil);
    if (!sil)
        return tier__oom();
    sil_ctx sc = { a, s, d, nk, kmax, w->xs, w->lab, NULL, NULL };
    int rc = silhouettes(sil, &sc, X->n_threads);
    for (size_t t = 0; !rc && t < nk; t++)
        ch->values[t * N_METRICS + TIER_KMEANS_SILHOUETTE] = sil[t];
    tier__free(a, sil);
    return rc;
}

int tier_kmeans_choose_k(tier_kmeans_choice **out, const tier_dataset *ds, const tier_kmeans_options *opts,
                         const tier_kmeans_choose_options *copts)
{
    if (!out || !ds)
        return tier__error(TIER_EINVAL, "tier_kmeans_choose_k: NULL argument");
    *out = NULL;
    tier_kmeans_choose_options def = TIER_KMEANS_CHOOSE_OPTIONS_INIT;
    const tier_kmeans_choose_options *co = copts ? copts : &def;
    tier__alloc a;
    int rc = tier__alloc_init(&a, opts ? opts->allocator : NULL);
    if (rc)
        return rc;
    /* k comes from the range (given centers fix it): a k of 0 in opts is fine here. */
    tier_kmeans_options o = TIER_KMEANS_OPTIONS_INIT;
    if (opts && opts->version == TIER_KMEANS_OPTIONS_VERSION)
        o = *opts;
    else if (opts)
        return tier__error(TIER_EVERSION, "tier_kmeans_options version %u is not 1..%d", opts->version,
                           TIER_KMEANS_OPTIONS_VERSION);
    if (o.init != TIER_KMEANS_INIT_GIVEN)
        o.k = co->k_min ? co->k_min : 1;
    tier__km_config cfg;
    if ((rc = tier__km_config_init(&cfg, &a, &o)) != TIER_OK)
        return rc;
    tier_kmeans_choice *ch = NULL;
    choose_work w;
    memset(&w, 0, sizeof w);
    rc = check_choose(co, &cfg);
    if (!rc && !(ch = tier__calloc(&a, 1, sizeof *ch)))
        rc = tier__oom();
    if (!rc) {
        ch->alloc = a;
        ch->k_min = co->k_min;
        ch->count = (size_t)(co->k_max - co->k_min) + 1;
        if (!(ch->values = tier__calloc(&a, ch->count * N_METRICS, sizeof *ch->values)))
            rc = tier__oom();
    }
    if (!rc)
        rc = tier__km_prepare(&w.prep, &cfg, ds, &ch->alloc);
    if (!rc)
        rc = measure(ch, &w, &cfg, co);
    work_free(&w, &a);
    tier__km_config_free(&cfg, &a);
    if (rc) {
        tier_kmeans_choice_free(ch);
        return rc;
    }
    *out = ch;
    return TIER_OK;
}

void tier_kmeans_choice_free(tier_kmeans_choice *ch)
{
    if (!ch)
        return;
    tier__alloc a = ch->alloc;
    tier__free(&a, ch->values);
    tier__free(&a, ch);
}

size_t tier_kmeans_choice_count(const tier_kmeans_choice *ch) { return ch ? ch->count : 0; }

unsigned int tier_kmeans_choice_k(const tier_kmeans_choice *ch, size_t index)
{
    return (ch && index < ch->count) ? ch->k_min + (unsigned)index : 0;
}

int tier_kmeans_choice_metric(double *value, const tier_kmeans_choice *ch, size_t index,
                              tier_kmeans_metric metric)
{
    if (!value || !ch)
        return tier__error(TIER_EINVAL, "tier_kmeans_choice_metric: NULL argument");
    if (index >= ch->count)
        return tier__error(TIER_EINVAL, "tier_kmeans_choice_metric: index %zu is not 0..%zu", index,
                           ch->count - 1);
    if ((unsigned)metric >= N_METRICS)
        return tier__error(TIER_EINVAL, "tier_kmeans_choice_metric: unknown metric %d", (int)metric);
    *value = ch->values[index * N_METRICS + metric];
    return TIER_OK;
}

/* The kneedle elbow of the inertia curve: the point farthest below the chord from the first to
 * the last point, after scaling both axes to [0, 1]. */
static size_t elbow(const tier_kmeans_choice *ch)
{
    size_t n = ch->count;
    if (n < 3)
        return 0;
    double y0 = ch->values[TIER_KMEANS_INERTIA], y1 = ch->values[(n - 1) * N_METRICS + TIER_KMEANS_INERTIA];
    double lo = y0, hi = y0;
    for (size_t i = 0; i < n; i++) {
        double y = ch->values[i * N_METRICS + TIER_KMEANS_INERTIA];
        lo = y < lo ? y : lo;
        hi = y > hi ? y : hi;
    }
    if (!(hi > lo))
        return 0;
    size_t best = 0;
    double best_gap = 0.0;
    for (size_t i = 1; i + 1 < n; i++) {
        double x = (double)i / (double)(n - 1);
        double y = (ch->values[i * N_METRICS + TIER_KMEANS_INERTIA] - lo) / (hi - lo);
        double chord = ((y0 - lo) + x * (y1 - y0)) / (hi - lo);
        double gap = chord - y;
        if (gap > best_gap) {
            best_gap = gap;
            best = i;
        }
    }
    return best;
}

int tier_kmeans_choice_best(unsigned int *k, const tier_kmeans_choice *ch, tier_kmeans_metric metric)
{
    if (!k || !ch)
        return tier__error(TIER_EINVAL, "tier_kmeans_choice_best: NULL argument");
    if ((unsigned)metric >= TIER_KMEANS_ITERATIONS)
        return tier__error(TIER_EINVAL, "tier_kmeans_choice_best: metric %d does not recommend a k",
                           (int)metric);
    if (metric == TIER_KMEANS_INERTIA) {
        *k = ch->k_min + (unsigned)elbow(ch);
        return TIER_OK;
    }
    int lower_better = metric == TIER_KMEANS_DAVIES_BOULDIN;
    size_t best = ch->count;
    for (size_t i = 0; i < ch->count; i++) {
        double v = ch->values[i * N_METRICS + metric];
        if (isnan(v))
            continue;
        double b = best < ch->count ? ch->values[best * N_METRICS + metric] : 0.0;
        if (best == ch->count || (lower_better ? v < b : v > b))
            best = i;
    }
    if (best == ch->count)
        return tier__error(TIER_ERANGE, "tier_kmeans_choice_best: the metric is undefined for every k "
                                        "in %u..%zu",
                           ch->k_min, ch->k_min + ch->count - 1);
    *k = ch->k_min + (unsigned)best;
    return TIER_OK;
}
