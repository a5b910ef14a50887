/* Group decisions: aggregation of individual judgments (AIJ, weighted geometric mean of each
 * judgment) and of individual priorities (AIP, weighted geometric or arithmetic mean of the
 * priority vectors). Judges are matched by criteria names. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal/ahp.h"
#include "internal/error.h"

/* Validates judge weights and normalises them into lam (sum 1); NULL = equal weights. */
static int judge_weights(double *lam, const double *jw, size_t k, const char *fn)
{
    double sum = 0;
    for (size_t j = 0; j < k; j++) {
        double v = jw ? jw[j] : 1.0;
        if (!isfinite(v) || v < 0)
            return tier__error(TIER_EINVAL, "%s: judge weight %zu is %g (weights must be finite "
                               "and >= 0)", fn, j, v);
        lam[j] = v;
        sum += v;
    }
    if (!(sum > 0))
        return tier__error(TIER_EINVAL, "%s: judge weights sum to 0", fn);
    for (size_t j = 0; j < k; j++)
        lam[j] /= sum;
    return TIER_OK;
}

/* map[k * TIER__AHP_N + i] = index in judge k of criterion i of judge 0. */
static int match_judges(size_t *map, const tier_ahp *const *judges, size_t k, const char *fn)
{
    if (!judges)
        return tier__error(TIER_EINVAL, "%s: judges is NULL", fn);
    if (k == 0)
        return tier__error(TIER_EINVAL, "%s: no judges", fn);
    for (size_t j = 0; j < k; j++)
        if (!judges[j])
            return tier__error(TIER_EINVAL, "%s: judge %zu is NULL", fn, j);
    const tier_ahp *ref = judges[0];
    for (size_t j = 0; j < k; j++) {
        const tier_ahp *a = judges[j];
        if (a->n != ref->n)
            return tier__error(TIER_EINVAL, "%s: judge %zu compares %zu criteria, judge 0 "
                               "compares %zu", fn, j, a->n, ref->n);
        for (size_t i = 0; i < ref->n; i++) {
            size_t m = a->n;
            for (size_t c = 0; c < a->n; c++)
                if (strcmp(a->names[c], ref->names[i]) == 0) {
                    m = c;
                    break;
                }
            if (m == a->n)
                return tier__error(TIER_EINVAL, "%s: judge %zu has no criterion '%s' (judges "
                                   "must compare the same criteria)", fn, j, ref->names[i]);
            map[j * TIER__AHP_N + i] = m;
        }
    }
    return TIER_OK;
}

int tier_ahp_aggregate_judgments(tier_ahp **out, const tier_ahp *const *judges, size_t n_judges,
                                 const double *jw, const tier_ahp_options *opts)
{
    static const char fn[] = "tier_ahp_aggregate_judgments";
    if (!out)
        return tier__error(TIER_EINVAL, "%s: out is NULL", fn);
    *out = NULL;
    int rc;
    size_t *map = NULL;
    double *lam = NULL;
    tier_ahp *res = NULL;
    tier__alloc a;
    if ((rc = tier__alloc_init(&a, opts ? opts->allocator : NULL)))
        return rc;
    if (n_judges > ((size_t)-1) / (sizeof *map * TIER__AHP_N))
        return tier__error(TIER_EINVAL, "%s: too many judges", fn);
    map = tier__malloc(&a, (n_judges ? n_judges : 1) * TIER__AHP_N * sizeof *map);
    lam = tier__malloc(&a, (n_judges ? n_judges : 1) * sizeof *lam);
    if (!map || !lam) {
        rc = tier__oom();
        goto done;
    }
    if ((rc = match_judges(map, judges, n_judges, fn)) ||
        (rc = judge_weights(lam, jw, n_judges, fn)))
        goto done;
    const tier_ahp *ref = judges[0];
    if ((rc = tier_ahp_new(&res, ref->n, (const char *const *)ref->names, opts)))
        goto done;
    for (size_t i = 0; i < ref->n; i++)
        for (size_t j = i + 1; j < ref->n; j++) {
            double num = 0, den = 0;
            for (size_t k = 0; k < n_judges; k++) {
                size_t ki = map[k * TIER__AHP_N + i], kj = map[k * TIER__AHP_N + j];
                if (judges[k]->known[TIER__AT(ki, kj)] && lam[k] > 0) {
                    num += lam[k] * log(judges[k]->a[TIER__AT(ki, kj)]);
                    den += lam[k];
                }
            }
            if (den > 0 && (rc = tier_ahp_set(res, i, j, exp(num / den)))) {
                tier__error_prefix(fn);
                goto done;
            }
        }
    *out = res;
    res = NULL;
done:
    tier_ahp_free(res);
    tier__free(&a, map);
    tier__free(&a, lam);
    return rc;
}

int tier_ahp_aggregate_priorities(double *weights, const tier_ahp *const *judges,
                                  size_t n_judges, const double *jw, tier_ahp_mean mean)
{
    static const char fn[] = "tier_ahp_aggregate_priorities";
    if (!weights)
        return tier__error(TIER_EINVAL, "%s: weights is NULL", fn);
    if (mean != TIER_AHP_MEAN_GEOMETRIC && mean != TIER_AHP_MEAN_ARITHMETIC)
        return tier__error(TIER_EINVAL, "%s: unknown mean %d", fn, (int)mean);
    if (!judges || n_judges == 0 || !judges[0])
        return match_judges(NULL, judges, n_judges, fn);
    tier__alloc a = judges[0]->alloc;
    size_t *map = tier__malloc(&a, n_judges * TIER__AHP_N * sizeof *map);
    double *lam = tier__malloc(&a, n_judges * sizeof *lam);
    int rc = TIER_OK;
    if (!map || !lam) {
        rc = tier__oom();
        goto done;
    }
    if ((rc = match_judges(map, judges, n_judges, fn)) ||
        (rc = judge_weights(lam, jw, n_judges, fn)))
        goto done;
    for (size_t k = 0; k < n_judges; k++)
        if (!judges[k]->computed) {
            rc = tier__error(TIER_ENOTFITTED, "%s: judge %zu is not computed (call "
                             "tier_ahp_compute() on every judge first)", fn, k);
            goto done;
        }
    size_t n = judges[0]->n;
    double acc[TIER__AHP_N], sum = 0, mx = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        acc[i] = 0;
        for (size_t k = 0; k < n_judges; k++) {
            double w = judges[k]->w[map[k * TIER__AHP_N + i]];
            acc[i] += lam[k] * (mean == TIER_AHP_MEAN_GEOMETRIC ? log(w) : w);
        }
        if (acc[i] > mx)
            mx = acc[i];
    }
    for (size_t i = 0; i < n; i++) {
        if (mean == TIER_AHP_MEAN_GEOMETRIC)
            acc[i] = exp(acc[i] - mx);
        sum += acc[i];
    }
    for (size_t i = 0; i < n; i++)
        weights[i] = acc[i] / sum;
done:
    tier__free(&a, map);
    tier__free(&a, lam);
    return rc;
}
