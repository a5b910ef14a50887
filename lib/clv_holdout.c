/* Calibration/holdout helpers of include/tier/clv.h: splitting each customer's purchase days at a
 * calibration end (from the dataset's distinct purchase days, so one dataset of the whole log is
 * enough), holdout outcomes from two datasets, and the one-call fit from a transaction file. */
#include <math.h>
#include <string.h>

#include "internal/clv.h"
#include "internal/dataset.h"
#include "internal/error.h"

#define SECONDS_PER_DAY 86400

typedef struct split_ctx {
    int64_t first_holdout_day; /* days >= this one are in the holdout period */
    int32_t *first;            /* first purchase day, INT32_MAX if none */
    int32_t *last_cal;         /* last calibration purchase day, INT32_MIN if none */
    uint32_t *n_cal, *n_hold;
} split_ctx;

static int split_day(void *vctx, size_t row, int32_t day)
{
    split_ctx *c = vctx;
    if (day < c->first[row])
        c->first[row] = day;
    if ((int64_t)day < c->first_holdout_day) {
        c->n_cal[row]++;
        if (day > c->last_cal[row])
            c->last_cal[row] = day;
    } else
        c->n_hold[row]++;
    return 0;
}

/* The first day whose start is at or after `t`: ceil(t / 86400). */
static int64_t first_day_from(int64_t t)
{
    int64_t d = t / SECONDS_PER_DAY;
    if (t % SECONDS_PER_DAY > 0)
        d++;
    return d;
}

static int write_split(tier_dataset *ds, const split_ctx *c, size_t n)
{
    const tier__alloc *a = tier__dataset_alloc(ds);
    double *col[4];
    static const char *const names[4] = { "cal_repeat_count", "cal_t_x", "cal_T", "holdout_purchases" };
    int rc = TIER_OK;
    for (int j = 0; j < 4; j++)
        col[j] = tier__malloc(a, (n ? n : 1) * sizeof(double));
    for (int j = 0; j < 4; j++)
        if (!col[j])
            rc = tier__oom();
    for (size_t r = 0; !rc && r < n; r++) {
        if (c->n_cal[r] == 0) { /* not in the calibration cohort */
            for (int j = 0; j < 4; j++)
                col[j][r] = NAN;
            continue;
        }
        col[0][r] = (double)c->n_cal[r] - 1.0;
        col[1][r] = (double)c->last_cal[r] - (double)c->first[r];
        /* Purchases count at the start of their day, so the last instant a calibration
         * purchase can be seen at is the start of the last calibration day: T runs from the
         * first purchase day to that day, as in the literature (CDNOW: T = 38.86 weeks for a
         * first purchase on 1997-01-01 with the period ending 1997-09-30 included). Measuring
         * to the calibration end itself would give every customer one day that no purchase
         * can fall in. */
        col[2][r] = (double)(c->first_holdout_day - 1 - (int64_t)c->first[r]);
        col[3][r] = (double)c->n_hold[r];
    }
    for (int j = 0; !rc && j < 4; j++)
        rc = tier_dataset_set_numeric(ds, names[j], col[j]);
    for (int j = 0; j < 4; j++)
        tier__free(a, col[j]);
    return rc;
}

int tier_clv_calibration_split(tier_dataset *ds, int64_t calibration_end)
{
    if (!ds)
        return tier__error(TIER_EINVAL, "tier_clv_calibration_split: NULL dataset");
    if (tier_dataset_is_stale(ds) || tier_dataset_as_of(ds) == TIER_AS_OF_AUTO)
        return tier__error(TIER_ESTALE, "tier_clv_calibration_split: compute the dataset's features first");
    int64_t as_of = tier_dataset_as_of(ds);
    if (calibration_end > as_of)
        return tier__error(TIER_EINVAL,
                           "tier_clv_calibration_split: calibration end %lld is after the dataset's as_of "
                           "%lld",
                           (long long)calibration_end, (long long)as_of);
    size_t n = tier_dataset_size(ds);
    const tier__alloc *a = tier__dataset_alloc(ds);
    split_ctx c;
    size_t m = n ? n : 1;
    c.first_holdout_day = first_day_from(calibration_end);
    c.first = tier__malloc(a, m * sizeof *c.first);
    c.last_cal = tier__malloc(a, m * sizeof *c.last_cal);
    c.n_cal = tier__calloc(a, m, sizeof *c.n_cal);
    c.n_hold = tier__calloc(a, m, sizeof *c.n_hold);
    int rc = TIER_OK;
    if (!c.first || !c.last_cal || !c.n_cal || !c.n_hold)
        rc = tier__oom();
    if (!rc) {
        for (size_t r = 0; r < n; r++) {
            c.first[r] = INT32_MAX;
            c.last_cal[r] = INT32_MIN;
        }
        rc = tier__dataset_purchase_days(ds, split_day, &c);
    }
    if (!rc)
        rc = write_split(ds, &c, n);
    tier__free(a, c.first);
    tier__free(a, c.last_cal);
    tier__free(a, c.n_cal);
    tier__free(a, c.n_hold);
    return rc;
}

int tier_clv_holdout(tier_dataset *calibration, const tier_dataset *full)
{
    if (!calibration || !full || calibration == full)
        return tier__error(TIER_EINVAL, "tier_clv_holdout: NULL or identical datasets");
    const double *cd, *cm, *fd, *fm;
    int rc = tier_dataset_numeric(&cd, calibration, "purchase_days");
    if (!rc)
        rc = tier_dataset_numeric(&cm, calibration, "monetary");
    if (!rc)
        rc = tier_dataset_numeric(&fd, full, "purchase_days");
    if (!rc)
        rc = tier_dataset_numeric(&fm, full, "monetary");
    if (rc) {
        tier__error_prefix("tier_clv_holdout");
        return rc;
    }
    size_t n = tier_dataset_size(calibration);
    const tier__alloc *a = tier__dataset_alloc(calibration);
    double *hp = tier__malloc(a, (n ? n : 1) * sizeof *hp);
    double *hs = tier__malloc(a, (n ? n : 1) * sizeof *hs);
    if (!hp || !hs)
        rc = tier__oom();
    for (size_t r = 0; !rc && r < n; r++) {
        size_t fr;
        if (tier_dataset_find(&fr, full, tier_dataset_customer_id(calibration, r)) != TIER_OK) {
            hp[r] = hs[r] = NAN;
            continue;
        }
        hp[r] = fd[fr] - cd[r];
        hs[r] = fm[fr] - cm[r];
    }
    tier_clear_error(); /* plain misses of tier_dataset_find set no message, but be tidy */
    if (!rc)
        rc = tier_dataset_set_numeric(calibration, "holdout_purchases", hp);
    if (!rc)
        rc = tier_dataset_set_numeric(calibration, "holdout_spend", hs);
    tier__free(a, hp);
    tier__free(a, hs);
    return rc;
}

int tier_clv_fit_csv(tier_scorer **scorer, tier_dataset **ds, const char *path, const tier_csv_options *csv,
                     int64_t calibration_end, const tier_clv_options *opts)
{
    if (!scorer)
        return tier__error(TIER_EINVAL, "tier_clv_fit_csv: NULL scorer");
    *scorer = NULL;
    if (ds)
        *ds = NULL;
    if (!path)
        return tier__error(TIER_EINVAL, "tier_clv_fit_csv: NULL path");
    tier_clv_options o = TIER_CLV_OPTIONS_INIT;
    if (opts) {
        if (opts->version < 1 || opts->version > TIER_CLV_OPTIONS_VERSION)
            return tier__error(TIER_EVERSION, "tier_clv_options version %u is not 1..%d", opts->version,
                               TIER_CLV_OPTIONS_VERSION);
        o = *opts;
    }
    o.x_column = "cal_repeat_count";
    o.t_x_column = "cal_t_x";
    o.T_column = "cal_T";
    tier_dataset *d = NULL;
    tier_scorer *s = NULL;
    int rc = tier_dataset_load_csv(&d, NULL, path, csv);
    if (!rc)
        rc = tier_clv_calibration_split(d, calibration_end);
    if (!rc)
        rc = tier_clv_new(&s, &o);
    if (!rc)
        rc = tier_scorer_fit(s, d);
    if (rc) {
        tier_scorer_free(s);
        tier_dataset_free(d);
        return rc;
    }
    *scorer = s;
    if (ds)
        *ds = d;
    else
        tier_dataset_free(d);
    return TIER_OK;
}
