/* tier_summary: group-by tables over a dataset's columns, customers active per time bucket,
 * pivots and the table accessors. CSV/JSON export is in summary_export.c.
 *
 * Every table is computed the same way. The input is a list of *memberships* — for a group-by
 * one per customer, for an activity table one per distinct (customer, bucket) — each with a
 * level per grouping dimension and a customer row (for the value column). Levels are resolved
 * per dimension (dictionary, distinct numbers or buckets), ordered, and the statistics of every
 * cell of the level grid are computed from a stable counting sort of the memberships by cell,
 * so sums run in membership order and results never depend on anything but the data. Margins
 * are further cells, filled by the same routine with the memberships mapped to total levels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/dataset.h"
#include "internal/datetime.h"
#include "internal/error.h"
#include "internal/summary.h"

#define SECONDS_PER_DAY 86400
#define MAX_LABEL 256

/* Statistic columns, in table order; the value statistics exist only with a value column. */
enum { ST_COUNT, ST_SHARE, ST_N, ST_SUM, ST_MEAN, ST_MEDIAN, ST_MIN, ST_MAX, ST_ALL };
static const char *const stat_suffix[ST_ALL] = {
    "count", "share", "n", "sum", "mean", "median", "min", "max",
};

/* ---- options --------------------------------------------------------------------------------- */

int tier_summary_options_init(tier_summary_options *opts, unsigned int version)
{
    if (!opts)
        return tier__error(TIER_EINVAL, "tier_summary_options_init: opts is NULL");
    if (version == 0 || version > TIER_SUMMARY_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_summary_options_init: unknown version %u "
                           "(this library knows 1..%u)", version, TIER_SUMMARY_OPTIONS_VERSION);
    tier_summary_options d = TIER_SUMMARY_OPTIONS_INIT;
    *opts = d;
    return TIER_OK;
}

/* Validates caller options into a full current-version copy. */
static int read_options(tier_summary_options *o, const tier_summary_options *user)
{
    tier_summary_options d = TIER_SUMMARY_OPTIONS_INIT;
    *o = d;
    if (!user)
        return TIER_OK;
    if (user->version == 0 || user->version > TIER_SUMMARY_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "summary: options version %u is unknown (this library "
                           "knows 1..%u)", user->version, TIER_SUMMARY_OPTIONS_VERSION);
    *o = *user; /* version 1 is the only layout so far */
    if (o->share != TIER_SHARE_OF_TOTAL && o->share != TIER_SHARE_OF_FIRST &&
        o->share != TIER_SHARE_OF_SECOND)
        return tier__error(TIER_EINVAL, "summary: unknown share denominator %d", (int)o->share);
    if (o->order != TIER_ORDER_KEY && o->order != TIER_ORDER_COUNT_DESC)
        return tier__error(TIER_EINVAL, "summary: unknown order %d", (int)o->order);
    if (!o->missing_label)
        o->missing_label = "(missing)";
    if (!o->total_label)
        o->total_label = "Total";
    return TIER_OK;
}

/* ---- freeing ----------------------------------------------------------------------------------- */

static void free_keydim(const tier__alloc *a, tier__keydim *k)
{
    if (k->labels)
        for (size_t i = 0; i < k->n; i++)
            tier__free(a, k->labels[i]);
    tier__free(a, k->labels);
    tier__free(a, k->kind);
    tier__free(a, k->start);
    tier__free(a, k->name);
    memset(k, 0, sizeof *k);
}

void tier_summary_free(tier_summary *s)
{
    if (!s)
        return;
    tier__alloc a = s->alloc;
    for (size_t k = 0; k < 2; k++) {
        free_keydim(&a, &s->keys[k]);
        tier__free(&a, s->codes[k]);
    }
    for (size_t j = 0; j < s->n_stats; j++) {
        if (s->stat_names)
            tier__free(&a, s->stat_names[j]);
        if (s->stats)
            tier__free(&a, s->stats[j]);
    }
    tier__free(&a, s->stat_names);
    tier__free(&a, s->stats);
    tier__free(&a, s);
}

static int new_summary(tier_summary **out, const tier_allocator *allocator)
{
    tier__alloc a;
    int rc = tier__alloc_init(&a, allocator);
    if (rc)
        return rc;
    tier_summary *s = tier__calloc(&a, 1, sizeof *s);
    if (!s)
        return tier__oom();
    s->alloc = a;
    *out = s;
    return TIER_OK;
}

/* ---- raw levels of one dimension --------------------------------------------------------------- */

/* A dimension before ordering: ordinary levels 0..n-1 plus, per membership, its level (n for
 * a missing key). */
typedef struct rawdim {
    const char *name;
    size_t n;             /* ordinary levels */
    char **labels;        /* n labels, owned until moved into the table */
    int64_t *start;       /* n bucket starts (buckets only) */
    int32_t *lvl;         /* per membership */
} rawdim;

static void free_rawdim(const tier__alloc *a, rawdim *d)
{
    if (d->labels)
        for (size_t i = 0; i < d->n; i++)
            tier__free(a, d->labels[i]);
    tier__free(a, d->labels);
    tier__free(a, d->start);
    tier__free(a, d->lvl);
    memset(d, 0, sizeof *d);
}

static int alloc_labels(const tier__alloc *a, rawdim *d, size_t n)
{
    d->labels = tier__calloc(a, n ? n : 1, sizeof *d->labels);
    if (!d->labels)
        return tier__oom();
    d->n = n;
    return TIER_OK;
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Levels of a numeric key: its distinct non-NaN values, ascending. */
static int numeric_levels(const tier__alloc *a, rawdim *d, const double *v, const uint32_t *rows,
                          size_t m, size_t n_rows)
{
    double *u = tier__malloc(a, (n_rows ? n_rows : 1) * sizeof *u);
    if (!u)
        return tier__oom();
    size_t k = 0;
    for (size_t r = 0; r < n_rows; r++)
        if (!isnan(v[r]))
            u[k++] = v[r] == 0 ? 0.0 : v[r]; /* -0 and 0 are one level, labelled "0" */
    qsort(u, k, sizeof *u, cmp_double);
    size_t n = 0;
    for (size_t i = 0; i < k; i++)
        if (n == 0 || u[i] != u[n - 1])
            u[n++] = u[i];
    int rc = alloc_labels(a, d, n);
    for (size_t i = 0; rc == TIER_OK && i < n; i++) {
        char buf[32];
        tier__format_double(buf, u[i]);
        d->labels[i] = tier__strdup(a, buf);
        if (!d->labels[i])
            rc = tier__oom();
    }
    for (size_t i = 0; rc == TIER_OK && i < m; i++) {
        double x = v[rows ? rows[i] : i];
        if (isnan(x)) {
            d->lvl[i] = (int32_t)n;
            continue;
        }
        size_t lo = 0, hi = n; /* binary search: x is one of the levels */
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (u[mid] <= x)
                lo = mid;
            else
                hi = mid;
        }
        d->lvl[i] = (int32_t)lo;
    }
    tier__free(a, u);
    return rc;
}

/* Levels of a categorical key: its dictionary. */
static int categorical_levels(const tier__alloc *a, rawdim *d, const int32_t *codes,
                              const char *const *dict, size_t n_dict, const uint32_t *rows,
                              size_t m)
{
    int rc = alloc_labels(a, d, n_dict);
    for (size_t i = 0; rc == TIER_OK && i < n_dict; i++) {
        d->labels[i] = tier__strdup(a, dict[i]);
        if (!d->labels[i])
            rc = tier__oom();
    }
    for (size_t i = 0; rc == TIER_OK && i < m; i++) {
        int32_t c = codes[rows ? rows[i] : i];
        d->lvl[i] = (c < 0 || (size_t)c >= n_dict) ? (int32_t)n_dict : c;
    }
    return rc;
}

/* Resolves a grouping column of the dataset into raw levels for m memberships. */
static int dim_from_column(const tier__alloc *a, rawdim *d, const tier_dataset *ds,
                           const char *name, const uint32_t *rows, size_t m)
{
    d->name = name;
    d->lvl = tier__malloc(a, (m ? m : 1) * sizeof *d->lvl);
    if (!d->lvl)
        return tier__oom();
    tier_column_type type;
    int rc = tier_dataset_column_type(&type, ds, name);
    if (rc)
        return rc;
    if (type == TIER_COLUMN_NUMERIC) {
        const double *v;
        rc = tier_dataset_numeric(&v, ds, name);
        return rc ? rc : numeric_levels(a, d, v, rows, m, tier_dataset_size(ds));
    }
    const int32_t *codes;
    const char *const *dict;
    size_t n_dict;
    rc = tier_dataset_categorical(&codes, &dict, &n_dict, ds, name);
    return rc ? rc : categorical_levels(a, d, codes, dict, n_dict, rows, m);
}

/* ---- time buckets ---------------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Proleptic Gregorian date of a day number (H. Hinnant's civil_from_days). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static const char *const bucket_names[] = { "day", "week", "month", "quarter", "year" };

/* The bucket number of a day. Weeks are numbered from the Monday 1969-12-29 (day -3). */
static int64_t bucket_of_day(tier_time_bucket b, int64_t day)
{
    int64_t y;
    unsigned m, d;
    switch (b) {
    case TIER_BUCKET_DAY: return day;
    case TIER_BUCKET_WEEK: return floor_div(day + 3, 7);
    default: break;
    }
    civil_from_days(day, &y, &m, &d);
    if (b == TIER_BUCKET_MONTH)
        return y * 12 + (m - 1);
    if (b == TIER_BUCKET_QUARTER)
        return y * 4 + (m - 1) / 3;
    return y;
}

/* The first day of a bucket. */
static int64_t bucket_first_day(tier_time_bucket b, int64_t k)
{
    switch (b) {
    case TIER_BUCKET_DAY: return k;
    case TIER_BUCKET_WEEK: return k * 7 - 3;
    case TIER_BUCKET_MONTH: return tier__days_from_civil(floor_div(k, 12), (unsigned)(k - floor_div(k, 12) * 12) + 1, 1);
    case TIER_BUCKET_QUARTER: return tier__days_from_civil(floor_div(k, 4), 3 * (unsigned)(k - floor_div(k, 4) * 4) + 1, 1);
    default: return tier__days_from_civil(k, 1, 1);
    }
}

static void bucket_label(char *buf, size_t size, tier_time_bucket b, int64_t k)
{
    int64_t y;
    unsigned m, d;
    int64_t first = bucket_first_day(b, k);
    civil_from_days(first, &y, &m, &d);
    switch (b) {
    case TIER_BUCKET_DAY:
        snprintf(buf, size, "%04lld-%02u-%02u", (long long)y, m, d);
        break;
    case TIER_BUCKET_WEEK: {
        /* ISO 8601: a week belongs to the year of its Thursday and is numbered from the week
         * holding that year's first Thursday */
        int64_t thursday = first + 3;
        civil_from_days(thursday, &y, &m, &d);
        int64_t week = (thursday - tier__days_from_civil(y, 1, 1)) / 7 + 1;
        snprintf(buf, size, "%04lld-W%02lld", (long long)y, (long long)week);
        break;
    }
    case TIER_BUCKET_MONTH:
        snprintf(buf, size, "%04lld-%02u", (long long)y, m);
        break;
    case TIER_BUCKET_QUARTER:
        snprintf(buf, size, "%04lld-Q%u", (long long)y, (m - 1) / 3 + 1);
        break;
    default:
        snprintf(buf, size, "%04lld", (long long)y);
        break;
    }
}

/* Distinct (row, bucket) keys collected from the dataset's purchase days. */
typedef struct keybuf {
    const tier__alloc *a;
    tier_time_bucket bucket;
    uint64_t *keys;
    size_t n, cap;
    size_t n_rows;
} keybuf;

static int collect_day(void *user, size_t row, int32_t day)
{
    keybuf *kb = user;
    if (row >= kb->n_rows)
        return 0; /* cannot happen for a consistent dataset; never index out of range */
    if (kb->n == kb->cap && tier__grow(kb->a, (void **)&kb->keys, &kb->cap, kb->n + 1,
                                       sizeof *kb->keys))
        return TIER_ENOMEM;
    int64_t k = bucket_of_day(kb->bucket, day);
    /* buckets of days in years 0..9999 fit easily in 32 bits once offset */
    kb->keys[kb->n++] = ((uint64_t)row << 32) | (uint32_t)(k + 0x80000000LL);
    return 0;
}

static int cmp_u64(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return (a > b) - (a < b);
}

/* Builds the memberships of an activity table: rows[] and the bucket dimension. */
static int bucket_memberships(const tier__alloc *a, rawdim *d, uint32_t **rows_out, size_t *m_out,
                              const tier_dataset *ds, tier_time_bucket bucket)
{
    keybuf kb = { a, bucket, NULL, 0, 0, tier_dataset_size(ds) };
    int rc = tier__dataset_purchase_days(ds, collect_day, &kb);
    if (rc) {
        tier__free(a, kb.keys);
        return rc;
    }
    if (kb.n == 0) {
        tier__free(a, kb.keys);
        return tier__error(TIER_EEMPTY, "summary: no customer has a purchase, so no customer "
                           "is active in any %s", bucket_names[bucket]);
    }
    /* sorted by row then bucket: duplicates (two days of one bucket) become neighbours */
    qsort(kb.keys, kb.n, sizeof *kb.keys, cmp_u64);
    size_t m = 0;
    for (size_t i = 0; i < kb.n; i++)
        if (m == 0 || kb.keys[i] != kb.keys[m - 1])
            kb.keys[m++] = kb.keys[i];
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < m; i++) {
        int64_t k = (int64_t)(uint32_t)kb.keys[i] - 0x80000000LL;
        lo = k < lo ? k : lo;
        hi = k > hi ? k : hi;
    }
    size_t n = (size_t)(hi - lo + 1);
    uint32_t *rows = tier__malloc(a, m * sizeof *rows);
    d->lvl = tier__malloc(a, m * sizeof *d->lvl);
    d->start = tier__malloc(a, n * sizeof *d->start);
    rc = (rows && d->lvl && d->start) ? alloc_labels(a, d, n) : tier__oom();
    for (size_t i = 0; rc == TIER_OK && i < n; i++) {
        char buf[32];
        bucket_label(buf, sizeof buf, bucket, lo + (int64_t)i);
        d->start[i] = bucket_first_day(bucket, lo + (int64_t)i) * SECONDS_PER_DAY;
        d->labels[i] = tier__strdup(a, buf);
        if (!d->labels[i])
            rc = tier__oom();
    }
    for (size_t i = 0; rc == TIER_OK && i < m; i++) {
        rows[i] = (uint32_t)(kb.keys[i] >> 32);
        d->lvl[i] = (int32_t)((int64_t)(uint32_t)kb.keys[i] - 0x80000000LL - lo);
    }
    tier__free(a, kb.keys);
    if (rc) {
        tier__free(a, rows);
        return rc;
    }
    d->name = bucket_names[bucket];
    *rows_out = rows;
    *m_out = m;
    return TIER_OK;
}

/* ---- from raw levels to the table's levels ----------------------------------------------------- */

/* Level order for count-descending sorting (ties in key order). */
typedef struct lvl_count {
    size_t level;
    uint64_t count;
} lvl_count;

static int cmp_count_desc(const void *pa, const void *pb)
{
    const lvl_count *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count < b->count ? 1 : -1;
    return (a->level > b->level) - (a->level < b->level);
}

static int set_level(const tier__alloc *a, tier__keydim *k, size_t i, char *label, int kind)
{
    k->labels[i] = label;
    k->kind[i] = (unsigned char)kind;
    return label ? TIER_OK : tier__oom();
}

/* Orders the levels of raw dimension `d` into the table dimension `k`, and rewrites d->lvl to
 * the table's level indices (-1 for memberships that are excluded). `counts` holds, per raw
 * level (n + 1 entries, the last for missing), the kept memberships. */
static int finish_dim(const tier__alloc *a, tier__keydim *k, rawdim *d, const uint64_t *counts,
                      const tier_summary_options *o, int reorder, int keep_empty, size_t m)
{
    int32_t *map = tier__malloc(a, (d->n + 1) * sizeof *map);
    lvl_count *order = tier__malloc(a, (d->n ? d->n : 1) * sizeof *order);
    int have_missing = o->include_missing && counts[d->n] > 0;
    size_t cap = d->n + 2;
    k->labels = tier__calloc(a, cap, sizeof *k->labels);
    k->kind = tier__calloc(a, cap, 1);
    k->name = tier__strdup(a, d->name);
    if (d->start)
        k->start = tier__malloc(a, cap * sizeof *k->start);
    if (!map || !order || !k->labels || !k->kind || !k->name || (d->start && !k->start)) {
        tier__free(a, map);
        tier__free(a, order);
        return tier__oom();
    }
    for (size_t i = 0; i < d->n; i++)
        order[i] = (lvl_count){ i, counts[i] };
    if (reorder)
        qsort(order, d->n, sizeof *order, cmp_count_desc);
    for (size_t i = 0; i <= d->n; i++)
        map[i] = -1;
    int rc = TIER_OK;
    for (size_t i = 0; i < d->n; i++) {
        size_t r = order[i].level;
        if (!keep_empty && counts[r] == 0)
            continue;
        /* move the label into the table */
        if (d->start)
            k->start[k->n] = d->start[r];
        map[r] = (int32_t)k->n;
        set_level(a, k, k->n++, d->labels[r], TIER_LEVEL_VALUE);
        d->labels[r] = NULL;
    }
    for (size_t i = 0; rc == TIER_OK && i < k->n; i++) {
        if (have_missing && strcmp(k->labels[i], o->missing_label) == 0)
            rc = tier__error(TIER_EEXISTS, "summary: column '%s' has a value '%s', which is also "
                             "the missing label; set missing_label to something else",
                             d->name, o->missing_label);
        else if (o->margins && strcmp(k->labels[i], o->total_label) == 0)
            rc = tier__error(TIER_EEXISTS, "summary: column '%s' has a value '%s', which is also "
                             "the total label; set total_label to something else",
                             d->name, o->total_label);
    }
    if (rc == TIER_OK && o->margins && have_missing && strcmp(o->missing_label, o->total_label) == 0)
        rc = tier__error(TIER_EEXISTS, "summary: the missing and total labels are both '%s'",
                         o->total_label);
    if (rc == TIER_OK && have_missing) {
        if (k->start)
            k->start[k->n] = TIER_AS_OF_AUTO;
        map[d->n] = (int32_t)k->n;
        rc = set_level(a, k, k->n++, tier__strdup(a, o->missing_label), TIER_LEVEL_MISSING);
    }
    if (rc == TIER_OK && o->margins) {
        if (k->start)
            k->start[k->n] = TIER_AS_OF_AUTO;
        rc = set_level(a, k, k->n++, tier__strdup(a, o->total_label), TIER_LEVEL_TOTAL);
    }
    for (size_t i = 0; rc == TIER_OK && i < m; i++)
        d->lvl[i] = d->lvl[i] < 0 ? -1 : map[d->lvl[i]];
    tier__free(a, map);
    tier__free(a, order);
    return rc;
}

/* ---- statistics of the grid ------------------------------------------------------------------- */

/* Statistics of every cell of the level grid (n_cells = L0 · L1). */
typedef struct grid {
    size_t n_cells;
    uint64_t *count;
    double *st[ST_ALL]; /* ST_N .. ST_MAX per cell (ST_COUNT/ST_SHARE unused here) */
} grid;

/* Neumaier's compensated sum: as exact as double-double for sums of money, in a fixed order. */
static double neumaier(const double *v, size_t n)
{
    double s = 0, c = 0;
    for (size_t i = 0; i < n; i++) {
        double t = s + v[i];
        c += fabs(s) >= fabs(v[i]) ? (s - t) + v[i] : (v[i] - t) + s;
        s = t;
    }
    return isfinite(s) ? s + c : s; /* with infinities the correction is NaN: inf - inf */
}

/* Adds the memberships (cell[i] >= 0) to the grid. With values, the memberships are sorted
 * stably by cell into `scratch` (m doubles) and each cell's run is summed, then sorted for the
 * median and extremes. `off` is scratch for n_cells + 1 offsets. */
static void aggregate(grid *g, const int32_t *cell, const double *val, size_t m, double *scratch,
                      size_t *off)
{
    for (size_t i = 0; i < m; i++)
        if (cell[i] >= 0)
            g->count[cell[i]]++;
    if (!val)
        return;
    memset(off, 0, (g->n_cells + 1) * sizeof *off);
    for (size_t i = 0; i < m; i++)
        if (cell[i] >= 0 && !isnan(val[i]))
            off[cell[i] + 1]++;
    for (size_t c = 0; c < g->n_cells; c++)
        off[c + 1] += off[c];
    size_t *pos = off; /* off[c] walks forward during the scatter, then is restored */
    for (size_t i = 0; i < m; i++)
        if (cell[i] >= 0 && !isnan(val[i]))
            scratch[pos[cell[i]]++] = val[i];
    /* after the scatter off[c] holds the end of cell c, i.e. the start of cell c + 1 */
    size_t start = 0;
    for (size_t c = 0; c < g->n_cells; c++) {
        size_t end = off[c];
        size_t k = end - start;
        /* a cell is filled by exactly one pass; cells without values keep n = 0, sum = 0 and
         * NaN for the rest */
        if (k > 0) {
            double *v = scratch + start;
            double sum = neumaier(v, k);
            qsort(v, k, sizeof *v, cmp_double);
            g->st[ST_N][c] = (double)k;
            g->st[ST_SUM][c] = sum;
            g->st[ST_MEAN][c] = sum / (double)k;
            g->st[ST_MEDIAN][c] = (k % 2) ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
            g->st[ST_MIN][c] = v[0];
            g->st[ST_MAX][c] = v[k - 1];
        }
        start = end;
    }
}

static void free_grid(const tier__alloc *a, grid *g)
{
    tier__free(a, g->count);
    for (size_t j = 0; j < ST_ALL; j++)
        tier__free(a, g->st[j]);
}

static int alloc_grid(const tier__alloc *a, grid *g, size_t n_cells, int with_values)
{
    memset(g, 0, sizeof *g);
    g->n_cells = n_cells;
    g->count = tier__calloc(a, n_cells, sizeof *g->count);
    if (!g->count)
        return tier__oom();
    if (!with_values)
        return TIER_OK;
    for (size_t j = ST_N; j < ST_ALL; j++) {
        g->st[j] = tier__malloc(a, n_cells * sizeof(double));
        if (!g->st[j])
            return tier__oom();
        for (size_t c = 0; c < n_cells; c++)
            g->st[j][c] = (j == ST_N || j == ST_SUM) ? 0.0 : NAN;
    }
    return TIER_OK;
}

/* ---- assembling the table ----------------------------------------------------------------------- */

/* Everything one computation needs. */
typedef struct build {
    const tier__alloc *a;
    const tier_summary_options *o;
    size_t m;               /* memberships */
    const uint32_t *rows;   /* membership -> customer row; NULL = identity */
    rawdim d[2];
    size_t n_keys;
    const double *values;   /* value column (per customer row) or NULL */
    const char *value_name;
    int keep_empty_first;   /* buckets keep every level */
} build;

static int add_stat_name(tier_summary *s, size_t j, const char *value, const char *suffix)
{
    size_t n = (value ? strlen(value) + 1 : 0) + strlen(suffix) + 1;
    char *name = tier__malloc(&s->alloc, n);
    if (!name)
        return tier__oom();
    if (value)
        snprintf(name, n, "%s_%s", value, suffix);
    else
        snprintf(name, n, "%s", suffix);
    s->stat_names[j] = name;
    return TIER_OK;
}

static int alloc_columns(tier_summary *s, size_t n_rows, size_t n_stats)
{
    s->n_rows = n_rows;
    s->n_stats = n_stats;
    s->stat_names = tier__calloc(&s->alloc, n_stats, sizeof *s->stat_names);
    s->stats = tier__calloc(&s->alloc, n_stats, sizeof *s->stats);
    if (!s->stat_names || !s->stats)
        return tier__oom();
    for (size_t j = 0; j < n_stats; j++) {
        s->stats[j] = tier__malloc(&s->alloc, (n_rows ? n_rows : 1) * sizeof(double));
        if (!s->stats[j])
            return tier__oom();
    }
    for (size_t k = 0; k < s->n_keys; k++) {
        s->codes[k] = tier__malloc(&s->alloc, (n_rows ? n_rows : 1) * sizeof(int32_t));
        if (!s->codes[k])
            return tier__oom();
    }
    return TIER_OK;
}

/* Emits the table rows from the grid: every cell in level order, empty ones only if wanted. */
static int emit_rows(tier_summary *s, const build *b, const grid *g)
{
    size_t L0 = s->keys[0].n, L1 = b->n_keys == 2 ? s->keys[1].n : 1;
    int margins = b->o->margins;
    size_t T0 = margins ? L0 - 1 : (size_t)-1, T1 = margins && b->n_keys == 2 ? L1 - 1 : (size_t)-1;

    /* denominators of the shares: totals per first level and per second level */
    uint64_t *first = tier__calloc(b->a, L0, sizeof *first);
    uint64_t *second = tier__calloc(b->a, L1, sizeof *second);
    if (!first || !second) {
        tier__free(b->a, first);
        tier__free(b->a, second);
        return tier__oom();
    }
    for (size_t i = 0; i < L0; i++)
        for (size_t j = 0; j < L1; j++)
            if (i != T0 && j != T1) {
                first[i] += g->count[i * L1 + j];
                second[j] += g->count[i * L1 + j];
            }
    /* a total level's denominator is everything */
    if (T0 < L0)
        first[T0] = s->total;
    if (T1 < L1)
        second[T1] = s->total;

    size_t n_rows = 0;
    for (size_t c = 0; c < g->n_cells; c++)
        if (b->o->include_empty || g->count[c] > 0)
            n_rows++;
    size_t n_stats = b->values ? ST_ALL : ST_N;
    int rc = alloc_columns(s, n_rows, n_stats);
    for (size_t j = 0; rc == TIER_OK && j < n_stats; j++)
        rc = add_stat_name(s, j, j >= ST_N ? b->value_name : NULL, stat_suffix[j]);
    if (rc) {
        tier__free(b->a, first);
        tier__free(b->a, second);
        return rc;
    }
    size_t r = 0;
    for (size_t i = 0; i < L0; i++) {
        for (size_t j = 0; j < L1; j++) {
            size_t c = i * L1 + j;
            if (!b->o->include_empty && g->count[c] == 0)
                continue;
            s->codes[0][r] = (int32_t)i;
            if (b->n_keys == 2)
                s->codes[1][r] = (int32_t)j;
            uint64_t den = b->o->share == TIER_SHARE_OF_FIRST ? first[i]
                           : b->o->share == TIER_SHARE_OF_SECOND && b->n_keys == 2 ? second[j]
                           : s->total;
            s->stats[ST_COUNT][r] = (double)g->count[c];
            s->stats[ST_SHARE][r] = den ? (double)g->count[c] / (double)den : NAN;
            for (size_t k = ST_N; k < n_stats; k++)
                s->stats[k][r] = g->st[k][c];
            r++;
        }
    }
    tier__free(b->a, first);
    tier__free(b->a, second);
    return TIER_OK;
}

/* Counts kept memberships per raw level of each dimension and marks excluded ones (-1). */
static int count_raw(build *b, uint64_t **counts, tier_summary *s)
{
    for (size_t k = 0; k < b->n_keys; k++) {
        counts[k] = tier__calloc(b->a, b->d[k].n + 1, sizeof *counts[k]);
        if (!counts[k])
            return tier__oom();
    }
    for (size_t i = 0; i < b->m; i++) {
        int missing = 0;
        for (size_t k = 0; k < b->n_keys; k++)
            missing |= (size_t)b->d[k].lvl[i] == b->d[k].n;
        if (missing && !b->o->include_missing) {
            for (size_t k = 0; k < b->n_keys; k++)
                b->d[k].lvl[i] = -1;
            s->excluded++;
            continue;
        }
        s->total++;
        for (size_t k = 0; k < b->n_keys; k++)
            counts[k][b->d[k].lvl[i]]++;
    }
    return TIER_OK;
}

/* Fills the grid from the memberships: plain cells, then (with margins) row totals, column
 * totals and the grand total. */
static int fill_grid(grid *g, const build *b, const tier_summary *s)
{
    size_t L0 = s->keys[0].n, L1 = b->n_keys == 2 ? s->keys[1].n : 1;
    size_t m = b->m;
    int32_t *cell = tier__malloc(b->a, (m ? m : 1) * sizeof *cell);
    double *val = b->values ? tier__malloc(b->a, (m ? m : 1) * sizeof *val) : NULL;
    double *scratch = b->values ? tier__malloc(b->a, (m ? m : 1) * sizeof *scratch) : NULL;
    size_t *off = b->values ? tier__malloc(b->a, (g->n_cells + 1) * sizeof *off) : NULL;
    if (!cell || (b->values && (!val || !scratch || !off))) {
        tier__free(b->a, cell);
        tier__free(b->a, val);
        tier__free(b->a, scratch);
        tier__free(b->a, off);
        return tier__oom();
    }
    if (val)
        for (size_t i = 0; i < m; i++)
            val[i] = b->values[b->rows ? b->rows[i] : i];
    const int32_t *l0 = b->d[0].lvl, *l1 = b->n_keys == 2 ? b->d[1].lvl : NULL;
    /* pass p: bit 0 = first key at its total, bit 1 = second key at its total */
    int passes = !b->o->margins ? 1 : b->n_keys == 2 ? 4 : 2;
    for (int p = 0; p < passes; p++) {
        int tot0 = b->n_keys == 2 ? (p & 1) : p, tot1 = b->n_keys == 2 && (p & 2);
        for (size_t i = 0; i < m; i++) {
            if (l0[i] < 0 || (l1 && l1[i] < 0)) {
                cell[i] = -1;
                continue;
            }
            size_t a0 = tot0 ? L0 - 1 : (size_t)l0[i];
            size_t a1 = !l1 ? 0 : tot1 ? L1 - 1 : (size_t)l1[i];
            cell[i] = (int32_t)(a0 * L1 + a1);
        }
        aggregate(g, cell, val, m, scratch, off);
    }
    tier__free(b->a, cell);
    tier__free(b->a, val);
    tier__free(b->a, scratch);
    tier__free(b->a, off);
    return TIER_OK;
}

/* The common second half of tier_summary_new() and tier_summary_activity(). */
static int compute(tier_summary *s, build *b)
{
    uint64_t *counts[2] = { NULL, NULL };
    grid g;
    memset(&g, 0, sizeof g);
    s->n_keys = b->n_keys;
    int rc = count_raw(b, counts, s);
    for (size_t k = 0; rc == TIER_OK && k < b->n_keys; k++) {
        int reorder = k == 0 && b->o->order == TIER_ORDER_COUNT_DESC;
        int keep = b->o->include_empty || (k == 0 && b->keep_empty_first);
        rc = finish_dim(b->a, &s->keys[k], &b->d[k], counts[k], b->o, reorder, keep, b->m);
    }
    size_t n_cells = 0;
    if (rc == TIER_OK && tier__mul_size(&n_cells, s->keys[0].n,
                                        b->n_keys == 2 ? s->keys[1].n : 1))
        rc = tier__error(TIER_ENOMEM, "summary: too many groups");
    if (rc == TIER_OK && n_cells > (size_t)INT32_MAX)
        rc = tier__error(TIER_ENOMEM, "summary: %zu groups are too many", n_cells);
    if (rc == TIER_OK)
        rc = alloc_grid(b->a, &g, n_cells ? n_cells : 1, b->values != NULL);
    g.n_cells = n_cells;
    if (rc == TIER_OK)
        rc = fill_grid(&g, b, s);
    if (rc == TIER_OK)
        rc = emit_rows(s, b, &g);
    free_grid(b->a, &g);
    tier__free(b->a, counts[0]);
    tier__free(b->a, counts[1]);
    return rc;
}

static int value_column(build *b, const tier_dataset *ds)
{
    if (!b->o->value)
        return TIER_OK;
    tier_column_type type;
    int rc = tier_dataset_column_type(&type, ds, b->o->value);
    if (rc)
        return rc;
    if (type != TIER_COLUMN_NUMERIC)
        return tier__error(TIER_ETYPE, "summary: value column '%s' is categorical; sums and "
                           "means need a numeric column", b->o->value);
    b->value_name = b->o->value;
    return tier_dataset_numeric(&b->values, ds, b->o->value);
}

static void prefix_error(int rc)
{
    if (rc != TIER_ENOMEM && strncmp(tier_last_error(), "summary:", 8) != 0)
        tier__error_prefix("summary");
}

static int finish(tier_summary **out, tier_summary *s, build *b, int rc)
{
    for (size_t k = 0; k < 2; k++)
        free_rawdim(b->a, &b->d[k]);
    if (rc) {
        prefix_error(rc);
        tier_summary_free(s);
        return rc;
    }
    *out = s;
    return TIER_OK;
}

int tier_summary_new(tier_summary **out, const tier_dataset *ds, const tier_summary_options *opts)
{
    if (out)
        *out = NULL;
    if (!out || !ds)
        return tier__error(TIER_EINVAL, "tier_summary_new: %s is NULL", !out ? "out" : "ds");
    tier_summary_options o;
    int rc = read_options(&o, opts);
    if (rc)
        return rc;
    if (!o.by[0] || !*o.by[0])
        return tier__error(TIER_EINVAL, "summary: no grouping column (by[0] is not set)");
    if (o.by[1] && *o.by[1] && strcmp(o.by[0], o.by[1]) == 0)
        return tier__error(TIER_EINVAL, "summary: column '%s' is given twice", o.by[0]);
    tier_summary *s;
    if ((rc = new_summary(&s, o.allocator)))
        return rc;
    build b;
    memset(&b, 0, sizeof b);
    b.a = &s->alloc;
    b.o = &o;
    b.m = tier_dataset_size(ds);
    b.n_keys = o.by[1] && *o.by[1] ? 2 : 1;
    for (size_t k = 0; rc == TIER_OK && k < b.n_keys; k++)
        rc = dim_from_column(b.a, &b.d[k], ds, o.by[k], NULL, b.m);
    if (rc == TIER_OK)
        rc = value_column(&b, ds);
    if (rc == TIER_OK)
        rc = compute(s, &b);
    return finish(out, s, &b, rc);
}

int tier_summary_activity(tier_summary **out, const tier_dataset *ds, tier_time_bucket bucket,
                          const tier_summary_options *opts)
{
    if (out)
        *out = NULL;
    if (!out || !ds)
        return tier__error(TIER_EINVAL, "tier_summary_activity: %s is NULL", !out ? "out" : "ds");
    if ((int)bucket < TIER_BUCKET_DAY || (int)bucket > TIER_BUCKET_YEAR)
        return tier__error(TIER_EINVAL, "summary: unknown time bucket %d", (int)bucket);
    tier_summary_options o;
    int rc = read_options(&o, opts);
    if (rc)
        return rc;
    if (o.by[1] && *o.by[1])
        return tier__error(TIER_EINVAL, "summary: an activity table groups by the %s and at "
                           "most one column (by[0]); by[1] must be NULL", bucket_names[bucket]);
    tier_summary *s;
    if ((rc = new_summary(&s, o.allocator)))
        return rc;
    s->activity = 1;
    build b;
    memset(&b, 0, sizeof b);
    b.a = &s->alloc;
    b.o = &o;
    b.keep_empty_first = 1;
    b.n_keys = o.by[0] && *o.by[0] ? 2 : 1;
    uint32_t *rows = NULL;
    rc = bucket_memberships(b.a, &b.d[0], &rows, &b.m, ds, bucket);
    b.rows = rows;
    if (rc == TIER_OK && b.n_keys == 2)
        rc = dim_from_column(b.a, &b.d[1], ds, o.by[0], rows, b.m);
    if (rc == TIER_OK)
        rc = value_column(&b, ds);
    if (rc == TIER_OK)
        rc = compute(s, &b);
    tier__free(b.a, rows);
    return finish(out, s, &b, rc);
}

/* ---- pivot ------------------------------------------------------------------------------------- */

static int copy_keydim(const tier__alloc *a, tier__keydim *dst, const tier__keydim *src)
{
    dst->n = src->n;
    dst->name = tier__strdup(a, src->name);
    dst->labels = tier__calloc(a, src->n ? src->n : 1, sizeof *dst->labels);
    dst->kind = tier__malloc(a, src->n ? src->n : 1);
    if (src->start)
        dst->start = tier__malloc(a, (src->n ? src->n : 1) * sizeof *dst->start);
    if (!dst->name || !dst->labels || !dst->kind || (src->start && !dst->start))
        return tier__oom();
    for (size_t i = 0; i < src->n; i++) {
        dst->labels[i] = tier__strdup(a, src->labels[i]);
        if (!dst->labels[i])
            return tier__oom();
        dst->kind[i] = src->kind[i];
        if (src->start)
            dst->start[i] = src->start[i];
    }
    return TIER_OK;
}

int tier_summary_pivot(tier_summary **out, const tier_summary *s, const char *stat)
{
    if (out)
        *out = NULL;
    if (!out || !s || !stat)
        return tier__error(TIER_EINVAL, "tier_summary_pivot: %s is NULL",
                           !out ? "out" : !s ? "s" : "stat");
    if (s->n_keys != 2)
        return tier__error(TIER_EINVAL, "summary: a pivot needs a table grouped by two keys; "
                           "this one has %zu", s->n_keys);
    size_t col;
    int rc = tier_summary_find_column(&col, s, stat);
    if (rc)
        return rc;
    if (col < s->n_keys)
        return tier__error(TIER_ETYPE, "summary: '%s' is a key column, not a statistic", stat);
    size_t j = col - s->n_keys;
    /* combinations left out of a sparse table: additive statistics are 0, the others unknown */
    double fill = j <= ST_SUM ? 0.0 : NAN;
    tier_summary *p;
    if ((rc = new_summary(&p, &s->alloc)))
        return rc;
    p->n_keys = 1;
    p->total = s->total;
    p->excluded = s->excluded;
    p->activity = s->activity;
    const tier__keydim *k0 = &s->keys[0], *k1 = &s->keys[1];
    rc = copy_keydim(&p->alloc, &p->keys[0], k0);
    if (rc == TIER_OK)
        rc = alloc_columns(p, k0->n, k1->n);
    for (size_t c = 0; rc == TIER_OK && c < k1->n; c++) {
        p->stat_names[c] = tier__strdup(&p->alloc, k1->labels[c]);
        if (!p->stat_names[c])
            rc = tier__oom();
        for (size_t r = 0; r < k0->n; r++)
            p->stats[c][r] = fill;
    }
    if (rc == TIER_OK) {
        for (size_t r = 0; r < k0->n; r++)
            p->codes[0][r] = (int32_t)r;
        for (size_t r = 0; r < s->n_rows; r++)
            p->stats[s->codes[1][r]][s->codes[0][r]] = s->stats[j][r];
    }
    if (rc) {
        tier_summary_free(p);
        return rc;
    }
    *out = p;
    return TIER_OK;
}

/* ---- accessors ----------------------------------------------------------------------------------- */

size_t tier_summary_row_count(const tier_summary *s) { return s ? s->n_rows : 0; }

size_t tier_summary_column_count(const tier_summary *s) { return s ? s->n_keys + s->n_stats : 0; }

size_t tier_summary_key_count(const tier_summary *s) { return s ? s->n_keys : 0; }

uint64_t tier_summary_total(const tier_summary *s) { return s ? s->total : 0; }

uint64_t tier_summary_excluded(const tier_summary *s) { return s ? s->excluded : 0; }

const char *tier_summary_column_name(const tier_summary *s, size_t col)
{
    if (!s || col >= s->n_keys + s->n_stats)
        return NULL;
    return col < s->n_keys ? s->keys[col].name : s->stat_names[col - s->n_keys];
}

int tier_summary_find_column(size_t *col, const tier_summary *s, const char *name)
{
    if (!col || !s || !name)
        return tier__error(TIER_EINVAL, "tier_summary_find_column: %s is NULL",
                           !col ? "col" : !s ? "s" : "name");
    size_t n = s->n_keys + s->n_stats;
    for (size_t c = 0; c < n; c++)
        if (strcmp(tier_summary_column_name(s, c), name) == 0) {
            *col = c;
            return TIER_OK;
        }
    const char *names[2 + ST_ALL];
    long best = -1;
    if (s->n_stats <= ST_ALL) { /* suggestions for statistic tables (not wide pivots) */
        for (size_t c = 0; c < n; c++)
            names[c] = tier_summary_column_name(s, c);
        best = tier__closest(name, names, n);
    }
    if (best >= 0)
        return tier__error(TIER_ENOTFOUND, "summary: no column '%s' (did you mean '%s'?)", name,
                           names[best]);
    return tier__error(TIER_ENOTFOUND, "summary: no column '%s'", name);
}

int tier_summary_column_type(tier_column_type *type, const tier_summary *s, size_t col)
{
    if (!type || !s || col >= s->n_keys + s->n_stats)
        return tier__error(TIER_EINVAL, "tier_summary_column_type: %s",
                           !type || !s ? "NULL argument" : "column out of range");
    *type = col < s->n_keys ? TIER_COLUMN_CATEGORICAL : TIER_COLUMN_NUMERIC;
    return TIER_OK;
}

int tier_summary_numeric(const double **values, const tier_summary *s, size_t col)
{
    if (!values || !s || col >= s->n_keys + s->n_stats)
        return tier__error(TIER_EINVAL, "tier_summary_numeric: %s",
                           !values || !s ? "NULL argument" : "column out of range");
    if (col < s->n_keys)
        return tier__error(TIER_ETYPE, "summary: column '%s' is a key column (text), not a "
                           "number", s->keys[col].name);
    *values = s->n_rows ? s->stats[col - s->n_keys] : NULL;
    return TIER_OK;
}

double tier_summary_value(const tier_summary *s, size_t row, size_t col)
{
    if (!s || row >= s->n_rows || col < s->n_keys || col >= s->n_keys + s->n_stats)
        return NAN;
    return s->stats[col - s->n_keys][row];
}

size_t tier_summary_level_count(const tier_summary *s, size_t key)
{
    return s && key < s->n_keys ? s->keys[key].n : 0;
}

const char *tier_summary_level_label(const tier_summary *s, size_t key, size_t level)
{
    if (!s || key >= s->n_keys || level >= s->keys[key].n)
        return NULL;
    return s->keys[key].labels[level];
}

int tier_summary_level_kind(const tier_summary *s, size_t key, size_t level)
{
    if (!s || key >= s->n_keys || level >= s->keys[key].n)
        return -1;
    return s->keys[key].kind[level];
}

long tier_summary_key(const tier_summary *s, size_t row, size_t key)
{
    if (!s || key >= s->n_keys || row >= s->n_rows)
        return -1;
    return s->codes[key][row];
}

const char *tier_summary_label(const tier_summary *s, size_t row, size_t key)
{
    long level = tier_summary_key(s, row, key);
    return level < 0 ? NULL : s->keys[key].labels[level];
}

int64_t tier_summary_bucket_start(const tier_summary *s, size_t level)
{
    if (!s || !s->activity || !s->keys[0].start || level >= s->keys[0].n)
        return TIER_AS_OF_AUTO;
    return s->keys[0].start[level];
}
