/* Data preparation for the CLV fits: customers grouped into distinct (x, t_x, T) triples with
 * counts (the likelihood only depends on those three numbers, so equal customers are evaluated
 * once), spend pairs grouped by x, and the block-parallel summation every objective uses. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal/clv.h"
#include "internal/error.h"
#include "internal/pool.h"

typedef struct triple {
    double x, tx, T;
} triple;

static int cmp_triple(const void *pa, const void *pb)
{
    const triple *a = pa, *b = pb;
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    if (a->tx != b->tx)
        return a->tx < b->tx ? -1 : 1;
    if (a->T != b->T)
        return a->T < b->T ? -1 : 1;
    return 0;
}

void tier__clv_counts_free(tier__clv_counts *c)
{
    if (!c->alloc)
        return;
    tier__free(c->alloc, c->x);
    tier__free(c->alloc, c->tx);
    tier__free(c->alloc, c->T);
    tier__free(c->alloc, c->w);
    tier__free(c->alloc, c->run);
    memset(c, 0, sizeof *c);
}

static int counts_alloc(tier__clv_counts *c, const tier__alloc *a, size_t n)
{
    memset(c, 0, sizeof *c);
    c->alloc = a;
    size_t m = n ? n : 1;
    c->x = tier__malloc(a, m * sizeof(double));
    c->tx = tier__malloc(a, m * sizeof(double));
    c->T = tier__malloc(a, m * sizeof(double));
    c->w = tier__malloc(a, m * sizeof(double));
    c->run = tier__malloc(a, (m + 1) * sizeof(size_t));
    if (!c->x || !c->tx || !c->T || !c->w || !c->run) {
        tier__clv_counts_free(c);
        return tier__oom();
    }
    return TIER_OK;
}

/* Runs of equal x, totals and means. */
static void counts_finish(tier__clv_counts *c)
{
    double sx = 0.0, sT = 0.0;
    c->n_runs = 0;
    c->total = c->repeaters = 0.0;
    for (size_t k = 0; k < c->n; k++) {
        if (k == 0 || c->x[k] != c->x[k - 1])
            c->run[c->n_runs++] = k;
        c->total += c->w[k];
        if (c->x[k] > 0.0)
            c->repeaters += c->w[k];
        sx += c->w[k] * c->x[k];
        sT += c->w[k] * c->T[k];
    }
    c->run[c->n_runs] = c->n;
    c->mean_x = c->total > 0.0 ? sx / c->total : 0.0;
    c->mean_T = c->total > 0.0 ? sT / c->total : 0.0;
}

int tier__clv_counts_build(tier__clv_counts *c, const tier__alloc *a, size_t n, const double *x,
                           const double *tx, const double *T, double unit, unsigned n_threads)
{
    memset(c, 0, sizeof *c);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += !isnan(x[i]);
    if (m == 0)
        return tier__error(TIER_EEMPTY, "clv: no customer with a purchase to fit");
    triple *t = tier__malloc(a, m * sizeof *t);
    if (!t)
        return tier__oom();
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) {
            t[j].x = x[i];
            t[j].tx = x[i] > 0.0 ? tx[i] / unit : 0.0;
            t[j].T = T[i] / unit;
            j++;
        }
    qsort(t, m, sizeof *t, cmp_triple);
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        k += i == 0 || cmp_triple(&t[i], &t[i - 1]) != 0;
    int rc = counts_alloc(c, a, k);
    if (rc) {
        tier__free(a, t);
        return rc;
    }
    k = 0;
    for (size_t i = 0; i < m; i++) {
        if (i == 0 || cmp_triple(&t[i], &t[i - 1]) != 0) {
            c->x[k] = t[i].x;
            c->tx[k] = t[i].tx;
            c->T[k] = t[i].T;
            c->w[k] = 0.0;
            k++;
        }
        c->w[k - 1] += 1.0;
    }
    tier__free(a, t);
    c->n = k;
    c->n_threads = n_threads;
    counts_finish(c);
    return TIER_OK;
}

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

int tier__clv_counts_sample(tier__clv_counts *out, const tier__clv_counts *c, size_t m, uint64_t seed)
{
    /* Keep each triple with probability m / n (a hash of its index and the seed), with its
     * weight: the sample's mean log-likelihood estimates the full one without bias. */
    uint64_t cut = (uint64_t)((double)m / (double)c->n * 18446744073709551615.0);
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++)
        k += mix(seed * 0x9E3779B97F4A7C15ULL + i + 1) < cut;
    int rc = counts_alloc(out, c->alloc, k);
    if (rc)
        return rc;
    k = 0;
    for (size_t i = 0; i < c->n; i++)
        if (mix(seed * 0x9E3779B97F4A7C15ULL + i + 1) < cut) {
            out->x[k] = c->x[i];
            out->tx[k] = c->tx[i];
            out->T[k] = c->T[i];
            out->w[k] = c->w[i];
            k++;
        }
    out->n = k;
    out->n_threads = c->n_threads;
    counts_finish(out);
    return TIER_OK;
}

/* ---- spend ---------------------------------------------------------------------------------- */

typedef struct pair {
    double x, m;
} pair;

static int cmp_pair(const void *pa, const void *pb)
{
    const pair *a = pa, *b = pb;
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    if (a->m != b->m)
        return a->m < b->m ? -1 : 1;
    return 0;
}

void tier__clv_spend_free(tier__clv_spend *s)
{
    if (!s->alloc)
        return;
    tier__free(s->alloc, s->x);
    tier__free(s->alloc, s->m);
    tier__free(s->alloc, s->run);
    tier__free(s->alloc, s->sum_logm);
    memset(s, 0, sizeof *s);
}

int tier__clv_spend_build(tier__clv_spend *s, const tier__alloc *a, size_t n, const double *x,
                          const double *m, unsigned n_threads)
{
    memset(s, 0, sizeof *s);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += x[i] >= 1.0 && isfinite(m[i]) && m[i] > 0.0;
    if (k == 0)
        return tier__error(TIER_EEMPTY,
                           "clv: no customer with repeat purchases and a positive spend value to fit "
                           "the spend model");
    pair *p = tier__malloc(a, k * sizeof *p);
    s->alloc = a;
    s->x = tier__malloc(a, k * sizeof(double));
    s->m = tier__malloc(a, k * sizeof(double));
    s->run = tier__malloc(a, (k + 1) * sizeof(size_t));
    s->sum_logm = tier__malloc(a, k * sizeof(double));
    if (!p || !s->x || !s->m || !s->run || !s->sum_logm) {
        tier__free(a, p);
        tier__clv_spend_free(s);
        return tier__oom();
    }
    k = 0;
    for (size_t i = 0; i < n; i++)
        if (x[i] >= 1.0 && isfinite(m[i]) && m[i] > 0.0) {
            p[k].x = x[i];
            p[k].m = m[i];
            k++;
        }
    qsort(p, k, sizeof *p, cmp_pair);
    double sm = 0.0;
    s->n_runs = 0;
    for (size_t i = 0; i < k; i++) {
        s->x[i] = p[i].x;
        s->m[i] = p[i].m;
        if (i == 0 || p[i].x != p[i - 1].x) {
            s->run[s->n_runs] = i;
            s->sum_logm[s->n_runs] = 0.0;
            s->n_runs++;
        }
        s->sum_logm[s->n_runs - 1] += log(p[i].m);
        sm += p[i].m;
    }
    s->run[s->n_runs] = k;
    s->n = k;
    s->mean_m = sm / (double)k;
    s->n_threads = n_threads;
    tier__free(a, p);
    return TIER_OK;
}

/* ---- objective scratch and block sums -------------------------------------------------------- */

int tier__clv_objctx_init(tier__clv_objctx *o, const tier__alloc *a, size_t n_runs, size_t n,
                          unsigned n_threads)
{
    memset(o, 0, sizeof *o);
    o->alloc = a;
    o->n_blocks = (n + TIER__CLV_BLOCK - 1) / TIER__CLV_BLOCK;
    o->n_threads = n_threads;
    o->run_terms = tier__malloc(a, (n_runs ? n_runs : 1) * TIER__CLV_RUN_TERMS * sizeof(double));
    o->partial = tier__malloc(a, (o->n_blocks ? o->n_blocks : 1) * TIER__CLV_PARTIAL * sizeof(double));
    if (!o->run_terms || !o->partial) {
        tier__clv_objctx_free(o);
        return tier__oom();
    }
    return TIER_OK;
}

void tier__clv_objctx_free(tier__clv_objctx *o)
{
    if (!o->alloc)
        return;
    tier__free(o->alloc, o->run_terms);
    tier__free(o->alloc, o->partial);
    o->run_terms = o->partial = NULL;
}

int tier__clv_sum_blocks(double *out, tier__clv_objctx *o, int (*block)(void *ctx, size_t b))
{
    int rc = tier__parallel_for(tier__threads(o->n_threads, o->n_blocks), o->n_blocks, block, o);
    if (rc)
        return rc;
    for (int j = 0; j < TIER__CLV_PARTIAL; j++)
        out[j] = 0.0;
    for (size_t b = 0; b < o->n_blocks; b++)
        for (int j = 0; j < TIER__CLV_PARTIAL; j++)
            out[j] += o->partial[b * TIER__CLV_PARTIAL + j];
    return TIER_OK;
}

size_t tier__clv_run_of(const size_t *run, size_t n_runs, size_t k)
{
    size_t lo = 0, hi = n_runs; /* run[lo] <= k < run[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (run[mid] <= k)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}
