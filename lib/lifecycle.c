/* Lifecycle stages (include/tier/lifecycle.h) from recency, tenure, each customer's typical gap
 * between purchase days, and — for "reactivated" — the dataset's purchase days (first, previous
 * and last per customer). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tier/lifecycle.h"
#include "internal/dataset.h"
#include "internal/error.h"

#define FALLBACK_GAP 30.0

static const char *const stage_names[6] = { "new", "active", "at-risk", "dormant", "churned", "reactivated" };

int tier_lifecycle_options_init(tier_lifecycle_options *opts, unsigned int version)
{
    if (!opts)
        return tier__error(TIER_EINVAL, "tier_lifecycle_options_init: NULL options");
    if (version < 1 || version > TIER_LIFECYCLE_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_lifecycle_options version %u is not 1..%d", version,
                           TIER_LIFECYCLE_OPTIONS_VERSION);
    tier_lifecycle_options def = TIER_LIFECYCLE_OPTIONS_INIT;
    *opts = def;
    opts->version = version;
    return TIER_OK;
}

static int check_options(const tier_lifecycle_options *o)
{
    if (o->version < 1 || o->version > TIER_LIFECYCLE_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_lifecycle_options version %u is not 1..%d", o->version,
                           TIER_LIFECYCLE_OPTIONS_VERSION);
    if (!(isfinite(o->new_days) && o->new_days >= 0.0))
        return tier__error(TIER_EINVAL, "lifecycle: new_days %g is not a finite number >= 0", o->new_days);
    if (!(o->active_factor > 0.0 && o->at_risk_factor >= o->active_factor &&
          o->dormant_factor >= o->at_risk_factor && isfinite(o->dormant_factor)))
        return tier__error(TIER_EINVAL,
                           "lifecycle: factors must satisfy 0 < active (%g) <= at-risk (%g) <= dormant (%g) "
                           "< inf",
                           o->active_factor, o->at_risk_factor, o->dormant_factor);
    if (!(o->min_gap_days > 0.0 && o->max_gap_days >= o->min_gap_days && isfinite(o->max_gap_days)))
        return tier__error(TIER_EINVAL, "lifecycle: gaps must satisfy 0 < min (%g) <= max (%g) < inf",
                           o->min_gap_days, o->max_gap_days);
    if (!(isfinite(o->default_gap_days) && o->default_gap_days >= 0.0))
        return tier__error(TIER_EINVAL, "lifecycle: default gap %g is not a finite number >= 0 (0 = median)",
                           o->default_gap_days);
    return TIER_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median typical gap over customers with a repeat purchase day (FALLBACK_GAP if none). */
static int median_gap(double *out, const tier__alloc *a, size_t n, const double *rep, const double *tx)
{
    size_t m = 0;
    for (size_t r = 0; r < n; r++)
        m += rep[r] >= 1.0;
    if (m == 0) {
        *out = FALLBACK_GAP;
        return TIER_OK;
    }
    double *g = tier__malloc(a, m * sizeof *g);
    if (!g)
        return tier__oom();
    m = 0;
    for (size_t r = 0; r < n; r++)
        if (rep[r] >= 1.0)
            g[m++] = tx[r] / rep[r];
    qsort(g, m, sizeof *g, cmp_double);
    *out = m % 2 ? g[m / 2] : 0.5 * (g[m / 2 - 1] + g[m / 2]);
    tier__free(a, g);
    return TIER_OK;
}

typedef struct days_ctx {
    int32_t *first, *prev, *last; /* prev: second latest purchase day, INT32_MIN if none */
    uint32_t *count;
} days_ctx;

static int track_day(void *vctx, size_t row, int32_t day)
{
    days_ctx *c = vctx;
    c->count[row]++;
    if (day < c->first[row])
        c->first[row] = day;
    if (day > c->last[row]) {
        c->prev[row] = c->last[row];
        c->last[row] = day;
    } else if (day > c->prev[row])
        c->prev[row] = day;
    return 0;
}

static double clamp(double g, const tier_lifecycle_options *o)
{
    return g < o->min_gap_days ? o->min_gap_days : g > o->max_gap_days ? o->max_gap_days : g;
}

typedef struct feat {
    const double *recency, *T, *rep, *tx;
} feat;

static int32_t stage_of(const feat *f, const days_ctx *d, size_t r, double def, const tier_lifecycle_options *o)
{
    double R = f->recency[r];
    if (isnan(R))
        return TIER_MISSING_CODE;
    if (f->T[r] <= o->new_days)
        return TIER_STAGE_NEW;
    double g = clamp(f->rep[r] >= 1.0 ? f->tx[r] / f->rep[r] : def, o);
    if (R <= o->active_factor * g) {
        if (d->count[r] >= 2) {
            double before = d->count[r] >= 3 ? (double)(d->prev[r] - d->first[r]) / (double)(d->count[r] - 2) : def;
            double last_gap = (double)d->last[r] - (double)d->prev[r];
            if (last_gap > o->at_risk_factor * clamp(before, o))
                return TIER_STAGE_REACTIVATED;
        }
        return TIER_STAGE_ACTIVE;
    }
    if (R <= o->at_risk_factor * g)
        return TIER_STAGE_AT_RISK;
    if (R <= o->dormant_factor * g)
        return TIER_STAGE_DORMANT;
    return TIER_STAGE_CHURNED;
}

static int read_features(feat *f, const tier_dataset *ds)
{
    int rc = tier_dataset_numeric(&f->recency, ds, "recency");
    if (!rc)
        rc = tier_dataset_numeric(&f->T, ds, "T");
    if (!rc)
        rc = tier_dataset_numeric(&f->rep, ds, "repeat_count");
    if (!rc)
        rc = tier_dataset_numeric(&f->tx, ds, "t_x");
    if (rc)
        tier__error_prefix("lifecycle");
    return rc;
}

int tier_lifecycle_assign(double *default_gap, tier_dataset *ds, const tier_lifecycle_options *opts)
{
    tier_lifecycle_options def_opts = TIER_LIFECYCLE_OPTIONS_INIT;
    const tier_lifecycle_options *o = opts ? opts : &def_opts;
    if (!ds)
        return tier__error(TIER_EINVAL, "tier_lifecycle_assign: NULL dataset");
    int rc = check_options(o);
    if (rc)
        return rc;
    feat f;
    rc = read_features(&f, ds);
    if (rc)
        return rc;
    size_t n = tier_dataset_size(ds), m = n ? n : 1;
    const tier__alloc *a = tier__dataset_alloc(ds);
    double def = o->default_gap_days;
    if (def == 0.0 && (rc = median_gap(&def, a, n, f.rep, f.tx)))
        return rc;
    def = clamp(def, o);
    days_ctx d;
    d.first = tier__malloc(a, m * sizeof *d.first);
    d.prev = tier__malloc(a, m * sizeof *d.prev);
    d.last = tier__malloc(a, m * sizeof *d.last);
    d.count = tier__calloc(a, m, sizeof *d.count);
    int32_t *codes = tier__malloc(a, m * sizeof *codes);
    if (!d.first || !d.prev || !d.last || !d.count || !codes)
        rc = tier__oom();
    if (!rc) {
        for (size_t r = 0; r < n; r++) {
            d.first[r] = INT32_MAX;
            d.prev[r] = d.last[r] = INT32_MIN;
        }
        rc = tier__dataset_purchase_days(ds, track_day, &d);
    }
    if (!rc) {
        for (size_t r = 0; r < n; r++)
            codes[r] = stage_of(&f, &d, r, def, o);
        rc = tier_dataset_set_categorical(ds, o->output ? o->output : "lifecycle", codes, stage_names, 6);
    }
    tier__free(a, d.first);
    tier__free(a, d.prev);
    tier__free(a, d.last);
    tier__free(a, d.count);
    tier__free(a, codes);
    if (!rc && default_gap)
        *default_gap = def;
    return rc;
}
