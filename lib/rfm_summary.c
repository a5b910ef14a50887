/* Per-group RFM statistics (tier_rfm_summarize): the numbers behind the usual RFM charts —
 * segment bars, score distributions and the R x F heat map of mean monetary value. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal/error.h"
#include "internal/quantile.h"
#include "internal/rfm.h"
#include "internal/scorer.h"

#define N_STATS 6
#define LABEL_SIZE 32 /* score labels: "R10 F10 M10" fits */

struct tier_rfm_summary {
    tier__alloc alloc;
    size_t n;
    char **labels;
    unsigned (*score)[3];
    double *stats[N_STATS];
    size_t unscored;
};

void tier_rfm_summary_free(tier_rfm_summary *s)
{
    if (!s)
        return;
    const tier__alloc a = s->alloc;
    if (s->labels)
        for (size_t i = 0; i < s->n; i++)
            tier__free(&a, s->labels[i]);
    tier__free(&a, s->labels);
    tier__free(&a, s->score);
    for (int k = 0; k < N_STATS; k++)
        tier__free(&a, s->stats[k]);
    tier__free(&a, s);
}

size_t tier_rfm_summary_size(const tier_rfm_summary *s) { return s ? s->n : 0; }

const char *tier_rfm_summary_label(const tier_rfm_summary *s, size_t row)
{
    return (s && row < s->n) ? s->labels[row] : NULL;
}

unsigned int tier_rfm_summary_score(const tier_rfm_summary *s, size_t row, tier_rfm_dim dim)
{
    return (s && row < s->n && (unsigned)dim <= 2) ? s->score[row][dim] : 0;
}

const double *tier_rfm_summary_values(const tier_rfm_summary *s, tier_rfm_stat stat)
{
    return (s && (unsigned)stat < N_STATS) ? s->stats[stat] : NULL;
}

size_t tier_rfm_summary_unscored(const tier_rfm_summary *s) { return s ? s->unscored : 0; }

/* Which dimensions a grouping uses. */
static void group_dims(int use[3], tier_rfm_group by)
{
    use[0] = by == TIER_RFM_BY_RECENCY || by == TIER_RFM_BY_RF || by == TIER_RFM_BY_RM || by == TIER_RFM_BY_CODE;
    use[1] = by == TIER_RFM_BY_FREQUENCY || by == TIER_RFM_BY_RF || by == TIER_RFM_BY_FM || by == TIER_RFM_BY_CODE;
    use[2] = by == TIER_RFM_BY_MONETARY || by == TIER_RFM_BY_RM || by == TIER_RFM_BY_FM || by == TIER_RFM_BY_CODE;
}

/* The columns a summary reads. */
typedef struct inputs {
    const double *score[3];
    const double *value[3]; /* recency, frequency, monetary */
    const int32_t *seg;
    const char *const *seg_dict;
    size_t n_seg;
} inputs;

static int read_columns(inputs *in, const tier_scorer *rfm, const rfm_state *st, const tier_dataset *ds)
{
    for (int d = 0; d < 3; d++) {
        int rc = tier_dataset_numeric(&in->score[d], ds, tier_scorer_output_name(rfm, (size_t)d));
        if (!rc)
            rc = tier_dataset_numeric(&in->value[d], ds, st->dim[d].column);
        if (rc) {
            tier__error_prefix("rfm summary (apply the scorer first)");
            return rc;
        }
    }
    int rc = tier_dataset_categorical(&in->seg, &in->seg_dict, &in->n_seg, ds,
                                      tier_scorer_output_name(rfm, RFM_OUT_SEGMENT));
    if (rc)
        tier__error_prefix("rfm summary (apply the scorer first)");
    return rc;
}

static int alloc_summary(tier_rfm_summary **out, const tier__alloc *a, size_t n)
{
    tier_rfm_summary *s = tier__calloc(a, 1, sizeof *s);
    if (!s)
        return tier__oom();
    s->alloc = *a;
    s->n = n;
    s->labels = tier__calloc(a, n ? n : 1, sizeof *s->labels);
    s->score = tier__calloc(a, n ? n : 1, sizeof *s->score);
    int ok = s->labels && s->score;
    for (int k = 0; k < N_STATS; k++)
        ok = ok && (s->stats[k] = tier__calloc(a, n ? n : 1, sizeof(double))) != NULL;
    if (!ok) {
        tier_rfm_summary_free(s);
        return tier__oom();
    }
    *out = s;
    return TIER_OK;
}

/* Labels and defining scores of every score group, in ascending order of the used scores. */
static int label_score_groups(tier_rfm_summary *s, const rfm_state *st, const int use[3], tier_rfm_group by)
{
    static const char letter[3] = { 'R', 'F', 'M' };
    for (size_t g = 0; g < s->n; g++) {
        size_t rest = g;
        for (int d = 2; d >= 0; d--) {
            if (!use[d])
                continue;
            s->score[g][d] = (unsigned)(rest % st->dim[d].bins) + 1;
            rest /= st->dim[d].bins;
        }
        char buf[LABEL_SIZE];
        size_t at = 0;
        buf[0] = '\0';
        if (by == TIER_RFM_BY_CODE) /* the rfm_code value */
            snprintf(buf, sizeof buf, "%u", 100 * s->score[g][0] + 10 * s->score[g][1] + s->score[g][2]);
        else
            for (int d = 0; d < 3; d++)
                if (use[d])
                    at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%c%u", at ? " " : "", letter[d],
                                           s->score[g][d]);
        if (!(s->labels[g] = tier__strdup(&s->alloc, buf)))
            return tier__oom();
    }
    return TIER_OK;
}

/* Group of row r, or -1 if unscored. Checks that scores are scores of this scorer. */
static int group_of(long *g, const inputs *in, const rfm_state *st, const int use[3], tier_rfm_group by,
                    size_t r)
{
    double sc[3] = { in->score[0][r], in->score[1][r], in->score[2][r] };
    if (isnan(sc[0]) || isnan(sc[1]) || isnan(sc[2])) {
        *g = -1;
        return TIER_OK;
    }
    for (int d = 0; d < 3; d++)
        if (!(sc[d] >= 1 && sc[d] <= st->dim[d].bins && sc[d] == floor(sc[d])))
            return tier__error(TIER_ERANGE, "rfm summary: row %zu has %s %g, not a score 1..%u", r,
                               d == 0 ? "r_score" : d == 1 ? "f_score" : "m_score", sc[d], st->dim[d].bins);
    if (by == TIER_RFM_BY_SEGMENT) {
        *g = in->seg[r]; /* -1 (missing) counts as unscored */
        return TIER_OK;
    }
    long idx = 0;
    for (int d = 0; d < 3; d++)
        if (use[d])
            idx = idx * (long)st->dim[d].bins + (long)sc[d] - 1;
    *g = idx;
    return TIER_OK;
}

static int aggregate(tier_rfm_summary *s, const inputs *in, const rfm_state *st, const int use[3],
                     tier_rfm_group by, size_t n_rows)
{
    tier__ksum *sums = tier__calloc(&s->alloc, s->n ? s->n * 3 : 1, sizeof *sums);
    if (!sums)
        return tier__oom();
    double *count = s->stats[TIER_RFM_STAT_COUNT];
    size_t scored = 0;
    for (size_t r = 0; r < n_rows; r++) {
        long g = -1;
        int rc = group_of(&g, in, st, use, by, r);
        if (rc) {
            tier__free(&s->alloc, sums);
            return rc;
        }
        if (g < 0) {
            s->unscored++;
            continue;
        }
        scored++;
        count[g] += 1;
        for (int d = 0; d < 3; d++)
            tier__ksum_add(&sums[(size_t)g * 3 + (size_t)d], in->value[d][r]);
    }
    for (size_t g = 0; g < s->n; g++) {
        double c = count[g];
        double rec = tier__ksum_value(&sums[g * 3]), freq = tier__ksum_value(&sums[g * 3 + 1]),
               mon = tier__ksum_value(&sums[g * 3 + 2]);
        s->stats[TIER_RFM_STAT_SHARE][g] = scored ? c / (double)scored : 0.0;
        s->stats[TIER_RFM_STAT_MONETARY_SUM][g] = mon;
        s->stats[TIER_RFM_STAT_MONETARY_MEAN][g] = c > 0 ? mon / c : (double)NAN;
        s->stats[TIER_RFM_STAT_RECENCY_MEAN][g] = c > 0 ? rec / c : (double)NAN;
        s->stats[TIER_RFM_STAT_FREQUENCY_MEAN][g] = c > 0 ? freq / c : (double)NAN;
    }
    tier__free(&s->alloc, sums);
    return TIER_OK;
}

int tier_rfm_summarize(tier_rfm_summary **out, const tier_scorer *rfm, const tier_dataset *ds,
                       tier_rfm_group by)
{
    if (!out || !ds)
        return tier__error(TIER_EINVAL, "tier_rfm_summarize: NULL argument");
    *out = NULL;
    const rfm_state *st = tier__rfm_state(rfm, "tier_rfm_summarize");
    if (!st)
        return TIER_EINVAL;
    if ((unsigned)by > TIER_RFM_BY_CODE)
        return tier__error(TIER_EINVAL, "tier_rfm_summarize: unknown grouping %d", (int)by);
    inputs in;
    int rc = read_columns(&in, rfm, st, ds);
    if (rc)
        return rc;
    int use[3];
    group_dims(use, by);
    size_t n = 1;
    if (by == TIER_RFM_BY_SEGMENT)
        n = in.n_seg;
    else
        for (int d = 0; d < 3; d++)
            if (use[d])
                n *= st->dim[d].bins;
    tier_rfm_summary *s = NULL;
    rc = alloc_summary(&s, tier__scorer_alloc(rfm), n);
    if (rc)
        return rc;
    if (by == TIER_RFM_BY_SEGMENT) {
        for (size_t g = 0; g < n && !rc; g++)
            if (!(s->labels[g] = tier__strdup(&s->alloc, in.seg_dict[g])))
                rc = tier__oom();
    } else {
        rc = label_score_groups(s, st, use, by);
    }
    if (!rc)
        rc = aggregate(s, &in, st, use, by, tier_dataset_size(ds));
    if (rc) {
        tier_rfm_summary_free(s);
        return rc;
    }
    *out = s;
    return TIER_OK;
}
