/* Churn (include/tier/churn.h): the churn flag, churn rates per group, and the cohort retention
 * table by first-purchase month, computed from the dataset's distinct purchase days. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tier/churn.h"
#include "internal/dataset.h"
#include "internal/error.h"

/* Cohort tables cover at most this many months (200 years). */
#define MAX_MONTHS 2400

int tier_churn_options_init(tier_churn_options *opts, unsigned int version)
{
    if (!opts)
        return tier__error(TIER_EINVAL, "tier_churn_options_init: NULL options");
    if (version < 1 || version > TIER_CHURN_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_churn_options version %u is not 1..%d", version,
                           TIER_CHURN_OPTIONS_VERSION);
    tier_churn_options def = TIER_CHURN_OPTIONS_INIT;
    *opts = def;
    opts->version = version;
    return TIER_OK;
}

static int check_churn_options(const tier_churn_options *o)
{
    if (o->version < 1 || o->version > TIER_CHURN_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_churn_options version %u is not 1..%d", o->version,
                           TIER_CHURN_OPTIONS_VERSION);
    if ((unsigned)o->rule > TIER_CHURN_RECENCY)
        return tier__error(TIER_EINVAL, "churn: unknown rule %d", (int)o->rule);
    if (o->rule == TIER_CHURN_P_ALIVE && !(o->p_alive_threshold >= 0.0 && o->p_alive_threshold <= 1.0))
        return tier__error(TIER_EINVAL, "churn: P(alive) threshold %g is not in [0, 1]", o->p_alive_threshold);
    if (o->rule == TIER_CHURN_RECENCY && !(isfinite(o->recency_days) && o->recency_days >= 0.0))
        return tier__error(TIER_EINVAL, "churn: recency threshold %g days is not a finite number >= 0",
                           o->recency_days);
    return TIER_OK;
}

int tier_churn_flag(tier_dataset *ds, const tier_churn_options *opts)
{
    tier_churn_options def = TIER_CHURN_OPTIONS_INIT;
    const tier_churn_options *o = opts ? opts : &def;
    if (!ds)
        return tier__error(TIER_EINVAL, "tier_churn_flag: NULL dataset");
    int rc = check_churn_options(o);
    if (rc)
        return rc;
    const char *in = o->column ? o->column : o->rule == TIER_CHURN_P_ALIVE ? "p_alive" : "recency";
    const double *v;
    rc = tier_dataset_numeric(&v, ds, in);
    if (rc) {
        tier__error_prefix("churn");
        return rc;
    }
    size_t n = tier_dataset_size(ds);
    const tier__alloc *a = tier__dataset_alloc(ds);
    double *flag = tier__malloc(a, (n ? n : 1) * sizeof *flag);
    if (!flag)
        return tier__oom();
    for (size_t r = 0; r < n; r++) {
        if (isnan(v[r]))
            flag[r] = NAN;
        else if (o->rule == TIER_CHURN_P_ALIVE)
            flag[r] = v[r] < o->p_alive_threshold ? 1.0 : 0.0;
        else
            flag[r] = v[r] > o->recency_days ? 1.0 : 0.0;
    }
    rc = tier_dataset_set_numeric(ds, o->output ? o->output : "churned", flag);
    tier__free(a, flag);
    return rc;
}

/* ---- rates per group ------------------------------------------------------------------------ */

struct tier_churn_table {
    tier__alloc alloc;
    size_t n_groups;   /* including the missing group when present */
    int has_missing;
    char **names;      /* n_groups (the missing group: NULL) */
    size_t *counts;    /* (n_groups + 1) x 3: customers, churned, unknown; last row: total */
};

void tier_churn_table_free(tier_churn_table *t)
{
    if (!t)
        return;
    tier__alloc a = t->alloc;
    if (t->names)
        for (size_t i = 0; i < t->n_groups; i++)
            tier__free(&a, t->names[i]);
    tier__free(&a, t->names);
    tier__free(&a, t->counts);
    tier__free(&a, t);
}

static int table_alloc(tier_churn_table **out, const tier__alloc *a, const char *const *dict, size_t n_dict,
                       int has_missing)
{
    tier_churn_table *t = tier__calloc(a, 1, sizeof *t);
    if (!t)
        return tier__oom();
    t->alloc = *a;
    t->n_groups = n_dict + (has_missing ? 1 : 0);
    t->has_missing = has_missing;
    t->names = tier__calloc(a, t->n_groups ? t->n_groups : 1, sizeof *t->names);
    t->counts = tier__calloc(a, (t->n_groups + 1) * 3, sizeof *t->counts);
    int ok = t->names && t->counts;
    for (size_t i = 0; ok && i < n_dict; i++)
        ok = (t->names[i] = tier__strdup(a, dict[i])) != NULL;
    if (!ok) {
        tier_churn_table_free(t);
        return tier__oom();
    }
    *out = t;
    return TIER_OK;
}

int tier_churn_rates(tier_churn_table **out, const tier_dataset *ds, const char *flag_column,
                     const char *group_column)
{
    if (!out || !ds)
        return tier__error(TIER_EINVAL, "tier_churn_rates: NULL argument");
    *out = NULL;
    const double *flag;
    int rc = tier_dataset_numeric(&flag, ds, flag_column ? flag_column : "churned");
    const int32_t *codes = NULL;
    const char *const *dict = NULL;
    size_t n_dict = 0;
    if (!rc && group_column)
        rc = tier_dataset_categorical(&codes, &dict, &n_dict, ds, group_column);
    if (rc) {
        tier__error_prefix("churn rates");
        return rc;
    }
    static const char *const all[1] = { "all" };
    size_t n = tier_dataset_size(ds);
    int has_missing = 0;
    for (size_t r = 0; r < n; r++) {
        if (!isnan(flag[r]) && flag[r] != 0.0 && flag[r] != 1.0)
            return tier__error(TIER_EINVAL, "churn rates: customer '%s' (row %zu) has flag %g, not 0, 1 or NaN",
                               tier_dataset_customer_id(ds, r), r, flag[r]);
        if (codes && codes[r] == TIER_MISSING_CODE)
            has_missing = 1;
    }
    tier_churn_table *t = NULL;
    rc = codes ? table_alloc(&t, tier__dataset_alloc(ds), dict, n_dict, has_missing)
               : table_alloc(&t, tier__dataset_alloc(ds), all, 1, 0);
    if (rc)
        return rc;
    for (size_t r = 0; r < n; r++) {
        size_t g = !codes ? 0 : codes[r] == TIER_MISSING_CODE ? n_dict : (size_t)codes[r];
        size_t *c = t->counts + g * 3, *tot = t->counts + t->n_groups * 3;
        int k = isnan(flag[r]) ? 2 : 0;
        c[k]++;
        tot[k]++;
        if (flag[r] == 1.0) {
            c[1]++;
            tot[1]++;
        }
    }
    *out = t;
    return TIER_OK;
}

size_t tier_churn_table_size(const tier_churn_table *t) { return t ? t->n_groups : 0; }

const char *tier_churn_table_group(const tier_churn_table *t, size_t index)
{
    return t && index < t->n_groups ? t->names[index] : NULL;
}

int tier_churn_table_row(size_t *customers, size_t *churned, size_t *unknown, double *churn_rate,
                         const tier_churn_table *t, size_t index)
{
    if (!t || index > t->n_groups)
        return tier__error(TIER_EINVAL, "tier_churn_table_row: NULL table or index %zu out of range", index);
    const size_t *c = t->counts + index * 3;
    if (customers)
        *customers = c[0];
    if (churned)
        *churned = c[1];
    if (unknown)
        *unknown = c[2];
    if (churn_rate)
        *churn_rate = c[0] ? (double)c[1] / (double)c[0] : NAN;
    return TIER_OK;
}

/* ---- cohort retention ----------------------------------------------------------------------- */

struct tier_cohort_table {
    tier__alloc alloc;
    size_t n;           /* months (cohorts = offsets) */
    char (*labels)[8];  /* "YYYY-MM" */
    size_t *size;       /* n */
    size_t *active;     /* n x n, row = cohort */
};

/* Months since 1970-01 of a day number (days since 1970-01-01), by Hinnant's civil_from_days. */
static int64_t month_of_day(int64_t z, int64_t *year, unsigned *month)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    int64_t y = yoe + era * 400 + (m <= 2);
    if (year)
        *year = y;
    if (month)
        *month = m;
    return (y - 1970) * 12 + (int64_t)m - 1;
}

typedef struct cohort_ctx {
    int32_t *first;    /* per row: first purchase day */
    int32_t lo, hi;    /* earliest and latest purchase day */
    uint64_t *keys;    /* pass 2: row x months + month index */
    size_t n_keys;
    int64_t m0;        /* month of lo */
    uint64_t n_months;
} cohort_ctx;

static int first_day(void *vctx, size_t row, int32_t day)
{
    cohort_ctx *c = vctx;
    if (day < c->first[row])
        c->first[row] = day;
    if (day < c->lo)
        c->lo = day;
    if (day > c->hi)
        c->hi = day;
    c->n_keys++;
    return 0;
}

static int month_key(void *vctx, size_t row, int32_t day)
{
    cohort_ctx *c = vctx;
    uint64_t m = (uint64_t)(month_of_day(day, NULL, NULL) - c->m0);
    c->keys[c->n_keys++] = (uint64_t)row * c->n_months + m;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void tier_cohort_table_free(tier_cohort_table *t)
{
    if (!t)
        return;
    tier__alloc a = t->alloc;
    tier__free(&a, t->labels);
    tier__free(&a, t->size);
    tier__free(&a, t->active);
    tier__free(&a, t);
}

static int cohort_alloc(tier_cohort_table **out, const tier__alloc *a, size_t n, int64_t m0)
{
    tier_cohort_table *t = tier__calloc(a, 1, sizeof *t);
    if (!t)
        return tier__oom();
    t->alloc = *a;
    t->n = n;
    t->labels = tier__calloc(a, n, sizeof *t->labels);
    t->size = tier__calloc(a, n, sizeof *t->size);
    t->active = tier__calloc(a, n * n, sizeof *t->active);
    if (!t->labels || !t->size || !t->active) {
        tier_cohort_table_free(t);
        return tier__oom();
    }
    for (size_t i = 0; i < n; i++) {
        int64_t m = m0 + (int64_t)i, y = 1970 + (m >= 0 ? m / 12 : (m - 11) / 12);
        unsigned mon = (unsigned)(m - (y - 1970) * 12) + 1;
        snprintf(t->labels[i], sizeof t->labels[i], "%04d-%02u", (int)y, mon);
    }
    *out = t;
    return TIER_OK;
}

static int fill_cohorts(tier_cohort_table *t, cohort_ctx *c, const tier_dataset *ds, size_t n_rows)
{
    int rc = tier__dataset_purchase_days(ds, month_key, c);
    if (rc)
        return rc;
    qsort(c->keys, c->n_keys, sizeof *c->keys, cmp_u64);
    for (size_t r = 0; r < n_rows; r++)
        if (c->first[r] != INT32_MAX)
            t->size[month_of_day(c->first[r], NULL, NULL) - c->m0]++;
    for (size_t i = 0; i < c->n_keys; i++) {
        if (i > 0 && c->keys[i] == c->keys[i - 1])
            continue; /* the same customer and month: counted once */
        size_t row = (size_t)(c->keys[i] / c->n_months), m = (size_t)(c->keys[i] % c->n_months);
        size_t coh = (size_t)(month_of_day(c->first[row], NULL, NULL) - c->m0);
        t->active[coh * t->n + (m - coh)]++;
    }
    return TIER_OK;
}

int tier_cohort_retention(tier_cohort_table **out, const tier_dataset *ds)
{
    if (!out || !ds)
        return tier__error(TIER_EINVAL, "tier_cohort_retention: NULL argument");
    *out = NULL;
    size_t n = tier_dataset_size(ds);
    const tier__alloc *a = tier__dataset_alloc(ds);
    cohort_ctx c;
    memset(&c, 0, sizeof c);
    c.lo = INT32_MAX;
    c.hi = INT32_MIN;
    c.first = tier__malloc(a, (n ? n : 1) * sizeof *c.first);
    if (!c.first)
        return tier__oom();
    for (size_t r = 0; r < n; r++)
        c.first[r] = INT32_MAX;
    int rc = tier__dataset_purchase_days(ds, first_day, &c);
    if (!rc && c.n_keys == 0)
        rc = tier__error(TIER_EEMPTY, "cohort retention: the dataset has no purchase");
    tier_cohort_table *t = NULL;
    if (!rc) {
        c.m0 = month_of_day(c.lo, NULL, NULL);
        int64_t months = month_of_day(c.hi, NULL, NULL) - c.m0 + 1;
        if (months > MAX_MONTHS)
            rc = tier__error(TIER_ERANGE, "cohort retention: purchases span %lld months (more than %d)",
                             (long long)months, MAX_MONTHS);
        c.n_months = (uint64_t)months;
    }
    if (!rc)
        rc = cohort_alloc(&t, a, (size_t)c.n_months, c.m0);
    if (!rc) {
        c.keys = tier__malloc(a, c.n_keys * sizeof *c.keys);
        c.n_keys = 0;
        rc = c.keys ? fill_cohorts(t, &c, ds, n) : tier__oom();
    }
    tier__free(a, c.first);
    tier__free(a, c.keys);
    if (rc) {
        tier_cohort_table_free(t);
        return rc;
    }
    *out = t;
    return TIER_OK;
}

size_t tier_cohort_table_cohorts(const tier_cohort_table *t) { return t ? t->n : 0; }

size_t tier_cohort_table_offsets(const tier_cohort_table *t) { return t ? t->n : 0; }

const char *tier_cohort_table_label(const tier_cohort_table *t, size_t cohort)
{
    return t && cohort < t->n ? t->labels[cohort] : NULL;
}

int tier_cohort_table_cell(size_t *size, size_t *active, double *rate, const tier_cohort_table *t, size_t cohort,
                           size_t offset)
{
    if (!t || cohort >= t->n || offset >= t->n)
        return tier__error(TIER_EINVAL, "tier_cohort_table_cell: NULL table or cell (%zu, %zu) out of range",
                           cohort, offset);
    int observed = cohort + offset < t->n;
    size_t act = observed ? t->active[cohort * t->n + offset] : 0;
    if (size)
        *size = t->size[cohort];
    if (active)
        *active = act;
    if (rate)
        *rate = observed && t->size[cohort] ? (double)act / (double)t->size[cohort] : NAN;
    return TIER_OK;
}
