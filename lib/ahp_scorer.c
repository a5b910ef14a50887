/* The AHP scoring strategy (kind "ahp"): criteria mapped to dataset columns, each normalised to
 * [0, 1] (min-max, z-score through the normal CDF, mid-rank percentile, or a fixed range) and
 * turned so that 1 is best; ahp_score = 100 * sum_k w_k s_k. See tier_ahp_scorer_new(). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal/ahp.h"
#include "internal/dataset.h"
#include "internal/error.h"
#include "internal/pool.h"
#include "internal/quantile.h"
#include "internal/scorer.h"

#define AHP_STATE_VERSION 1
#define MAX_CRITERIA 4096
#define APPLY_CHUNK 65536 /* rows per parallel task; fixed so results never depend on threads */
#define OUT_SCORE "ahp_score"

typedef struct crit {
    char *name, *column;
    tier_ahp_direction dir;
    tier_ahp_normalization norm;
    double weight;
    double lo, hi;      /* fitted (min/max, mean/sd) or fixed range */
    size_t n_ref;       /* percentile: distinct fitted values ... */
    double *ref;        /* ... ascending */
    uint64_t *below;    /* below[k] = number of fitted values < ref[k]; n_ref + 1 entries */
    /* Lookup index over ref (derived, not saved): bucket b holds the keys k with
     * (k - kmin) >> shift == b, and index[b] is the first ref in it, so a search only scans
     * one bucket instead of the whole (cache-unfriendly) array. NULL for small references. */
    uint32_t *index;
    size_t n_bucket;
    unsigned shift;
    uint64_t kmin;
} crit;

typedef struct ahp_state {
    tier__alloc alloc;    /* the scorer's: owns the fitted arrays */
    size_t n;
    crit *c;
    tier_ahp_missing missing;
    int components;
    int fitted;
    size_t n_inputs;
    const char **inputs;  /* distinct columns, pointing into c[] */
    size_t n_outputs;
    char **outputs;       /* "ahp_score", then "ahp_<column>" per criterion if components */
} ahp_state;

/* ---- state ------------------------------------------------------------------------------ */

static void free_fit(crit *c, const tier__alloc *a)
{
    tier__free(a, c->ref);
    tier__free(a, c->below);
    tier__free(a, c->index);
    c->ref = NULL;
    c->below = NULL;
    c->index = NULL;
    c->n_ref = 0;
    c->n_bucket = 0;
}

/* Builds the bucket index of a percentile reference (about one bucket per two values, in the
 * order-preserving key space, which spreads skewed data such as money well). */
static int build_index(crit *c, const tier__alloc *a)
{
    if (c->n_ref < 64 || c->n_ref >= UINT32_MAX)
        return TIER_OK; /* a plain binary search is as good */
    size_t nb = 1;
    while (nb < c->n_ref / 2)
        nb <<= 1;
    c->kmin = tier__f64_key(c->ref[0]);
    uint64_t span = tier__f64_key(c->ref[c->n_ref - 1]) - c->kmin;
    unsigned shift = 0;
    while ((span >> shift) >= nb)
        shift++;
    c->index = tier__malloc(a, (nb + 1) * sizeof *c->index);
    if (!c->index)
        return tier__oom();
    size_t i = 0;
    for (size_t b = 0; b <= nb; b++) {
        while (i < c->n_ref && ((tier__f64_key(c->ref[i]) - c->kmin) >> shift) < b)
            i++;
        c->index[b] = (uint32_t)i;
    }
    c->index[nb] = (uint32_t)c->n_ref;
    c->n_bucket = nb;
    c->shift = shift;
    return TIER_OK;
}

static void state_free(void *state, const tier__alloc *a)
{
    ahp_state *st = state;
    for (size_t k = 0; st->c && k < st->n; k++) {
        tier__free(a, st->c[k].name);
        tier__free(a, st->c[k].column);
        free_fit(&st->c[k], a);
    }
    for (size_t k = 0; st->outputs && k < st->n_outputs; k++)
        tier__free(a, st->outputs[k]);
    tier__free(a, st->outputs);
    tier__free(a, st->inputs);
    tier__free(a, st->c);
    tier__free(a, st);
}

/* Builds the distinct input list and the output names from the criteria. */
static int declare_columns(ahp_state *st, const tier__alloc *a)
{
    st->inputs = tier__calloc(a, st->n, sizeof *st->inputs);
    st->n_outputs = 1 + (st->components ? st->n : 0);
    st->outputs = tier__calloc(a, st->n_outputs, sizeof *st->outputs);
    if (!st->inputs || !st->outputs)
        return tier__oom();
    for (size_t k = 0; k < st->n; k++) {
        size_t j = 0;
        while (j < st->n_inputs && strcmp(st->inputs[j], st->c[k].column) != 0)
            j++;
        if (j == st->n_inputs)
            st->inputs[st->n_inputs++] = st->c[k].column;
    }
    if (!(st->outputs[0] = tier__strdup(a, OUT_SCORE)))
        return tier__oom();
    for (size_t k = 0; st->components && k < st->n; k++) {
        char buf[128];
        snprintf(buf, sizeof buf, "ahp_%s", st->c[k].column);
        if (!tier__valid_column_name(buf))
            return tier__error(TIER_EINVAL, "ahp: component column '%s' of criterion '%s' is "
                               "not a valid column name (too long?)", buf, st->c[k].name);
        for (size_t j = 0; j < k; j++)
            if (strcmp(st->c[j].column, st->c[k].column) == 0)
                return tier__error(TIER_EINVAL, "ahp: criteria '%s' and '%s' both read column "
                                   "'%s', so their components would share a name (turn "
                                   "components off)", st->c[j].name, st->c[k].name,
                                   st->c[k].column);
        if (strcmp(buf, OUT_SCORE) == 0)
            return tier__error(TIER_EINVAL, "ahp: a component of column 'score' would be "
                               "called 'ahp_score' (turn components off)");
        if (!(st->outputs[1 + k] = tier__strdup(a, buf)))
            return tier__oom();
    }
    return TIER_OK;
}

int tier_ahp_scorer_options_init(tier_ahp_scorer_options *opts, unsigned int version)
{
    if (!opts)
        return tier__error(TIER_EINVAL, "tier_ahp_scorer_options_init: opts is NULL");
    if (version == 0 || version > TIER_AHP_SCORER_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_ahp_scorer_options: version %u is not "
                           "supported (1..%u)", version, TIER_AHP_SCORER_OPTIONS_VERSION);
    tier_ahp_scorer_options def = TIER_AHP_SCORER_OPTIONS_INIT;
    *opts = def;
    opts->version = version;
    return TIER_OK;
}

/* Fills criterion k from the options; `fixed_*` (may be NULL) override the options. */
static int setup_criterion(crit *c, const tier__alloc *a, const char *name, double weight,
                           const tier_ahp_scorer_options *o, size_t k)
{
    const char *col = (o->columns && o->columns[k]) ? o->columns[k] : name;
    c->weight = weight;
    c->dir = o->directions ? o->directions[k] : TIER_AHP_HIGHER_IS_BETTER;
    c->norm = o->normalizations ? o->normalizations[k] : TIER_AHP_NORM_MINMAX;
    c->lo = c->hi = NAN;
    if ((unsigned)c->dir > TIER_AHP_LOWER_IS_BETTER)
        return tier__error(TIER_EINVAL, "ahp: criterion '%s' has unknown direction %d", name,
                           (int)c->dir);
    if ((unsigned)c->norm > TIER_AHP_NORM_RANGE)
        return tier__error(TIER_EINVAL, "ahp: criterion '%s' has unknown normalization %d", name,
                           (int)c->norm);
    if (!tier__valid_column_name(col))
        return tier__error(TIER_EINVAL, "ahp: criterion '%s' maps to '%s', which is not a "
                           "column name (1-63 letters, digits or '_'); give its column in "
                           "tier_ahp_scorer_options.columns", name, col);
    if (c->norm == TIER_AHP_NORM_RANGE) {
        if (!o->range_min || !o->range_max)
            return tier__error(TIER_EINVAL, "ahp: criterion '%s' uses TIER_AHP_NORM_RANGE but "
                               "range_min/range_max are NULL", name);
        c->lo = o->range_min[k];
        c->hi = o->range_max[k];
        if (!isfinite(c->lo) || !isfinite(c->hi) || !(c->hi > c->lo))
            return tier__error(TIER_EINVAL, "ahp: criterion '%s' has range [%g, %g]: need "
                               "finite lo < hi", name, c->lo, c->hi);
    }
    if (!(c->name = tier__strdup(a, name)) || !(c->column = tier__strdup(a, col)))
        return tier__oom();
    return TIER_OK;
}

/* The common constructor: n criteria with names and raw weights. */
static int make_scorer(tier_scorer **out, size_t n, const char *const *names, const double *w,
                       const tier_ahp_scorer_options *opts)
{
    tier_ahp_scorer_options o = TIER_AHP_SCORER_OPTIONS_INIT;
    if (opts) {
        if (opts->version == 0 || opts->version > TIER_AHP_SCORER_OPTIONS_VERSION)
            return tier__error(TIER_EVERSION, "tier_ahp_scorer_options: version %u is not "
                               "supported (1..%u)", opts->version, TIER_AHP_SCORER_OPTIONS_VERSION);
        o = *opts;
    }
    if ((unsigned)o.missing > TIER_AHP_MISSING_REWEIGHT)
        return tier__error(TIER_EINVAL, "ahp: unknown missing-value policy %d", (int)o.missing);
    if (n == 0 || n > MAX_CRITERIA || !names || !w)
        return tier__error(TIER_EINVAL, "ahp: need 1..%d criteria with names and weights",
                           MAX_CRITERIA);
    double sum = 0;
    for (size_t k = 0; k < n; k++) {
        int rc = tier__ahp_check_name(names[k], "ahp: criterion name");
        if (rc)
            return rc;
        if (!isfinite(w[k]) || w[k] < 0)
            return tier__error(TIER_EINVAL, "ahp: weight of criterion '%s' is %g (must be "
                               "finite and >= 0)", names[k], w[k]);
        for (size_t j = 0; j < k; j++)
            if (strcmp(names[j], names[k]) == 0)
                return tier__error(TIER_EINVAL, "ahp: criterion '%s' is given twice", names[k]);
        sum += w[k];
    }
    if (!(sum > 0))
        return tier__error(TIER_EINVAL, "ahp: the criteria weights sum to 0");
    tier__alloc a;
    int rc = tier__alloc_init(&a, o.allocator);
    if (rc)
        return rc;
    ahp_state *st = tier__calloc(&a, 1, sizeof *st);
    if (!st)
        return tier__oom();
    st->alloc = a;
    st->missing = o.missing;
    st->components = o.components != 0;
    st->c = tier__calloc(&a, n, sizeof *st->c);
    if (!st->c) {
        state_free(st, &a);
        return tier__oom();
    }
    st->n = n;
    for (size_t k = 0; k < n && !rc; k++)
        rc = setup_criterion(&st->c[k], &a, names[k], w[k] / sum, &o, k);
    if (!rc)
        rc = declare_columns(st, &a);
    if (rc) {
        state_free(st, &a);
        return rc;
    }
    /* Fixed ranges learn nothing: such a scorer can be applied (and saved) right away. */
    st->fitted = 1;
    for (size_t k = 0; k < n; k++)
        if (st->c[k].norm != TIER_AHP_NORM_RANGE)
            st->fitted = 0;
    return tier__scorer_new(out, &tier__ahp_kind, st, o.allocator, o.output_prefix);
}

int tier_ahp_scorer_new_weights(tier_scorer **out, size_t n, const char *const *criteria,
                                const double *weights, const tier_ahp_scorer_options *opts)
{
    if (!out)
        return tier__error(TIER_EINVAL, "tier_ahp_scorer_new_weights: out is NULL");
    *out = NULL;
    return make_scorer(out, n, criteria, weights, opts);
}

static int check_ahp(const tier_ahp *ahp, const tier_ahp_scorer_options *opts, const char *fn)
{
    if (!ahp)
        return tier__error(TIER_EINVAL, "%s: ahp is NULL", fn);
    if (!ahp->computed)
        return tier__error(TIER_ENOTFITTED, "%s: the judgments are not computed (call "
                           "tier_ahp_compute() first)", fn);
    if (!tier_ahp_is_consistent(ahp) && !(opts && opts->allow_inconsistent))
        return tier__error(TIER_EINCONSISTENT, "%s: the judgments' consistency ratio %.4f "
                           "exceeds their limit %g (revise them, raise cr_limit, or set "
                           "allow_inconsistent)", fn, ahp->cr, ahp->opts.cr_limit);
    return TIER_OK;
}

int tier_ahp_scorer_new(tier_scorer **out, const tier_ahp *ahp,
                        const tier_ahp_scorer_options *opts)
{
    if (!out)
        return tier__error(TIER_EINVAL, "tier_ahp_scorer_new: out is NULL");
    *out = NULL;
    int rc = check_ahp(ahp, opts, "tier_ahp_scorer_new");
    if (rc)
        return rc;
    return make_scorer(out, ahp->n, (const char *const *)ahp->names, ahp->w, opts);
}

int tier_ahp_scorer_new_hierarchy(tier_scorer **out, const tier_ahp_hierarchy *h,
                                  const tier_ahp_scorer_options *opts)
{
    static const char fn[] = "tier_ahp_scorer_new_hierarchy";
    if (!out)
        return tier__error(TIER_EINVAL, "%s: out is NULL", fn);
    *out = NULL;
    if (!h)
        return tier__error(TIER_EINVAL, "%s: h is NULL", fn);
    size_t n = tier_ahp_hierarchy_leaf_count(h);
    if (n == 0)
        return tier__error(TIER_EINVAL, "%s: the hierarchy has no criteria under its goal", fn);
    if (isnan(tier_ahp_hierarchy_global_weight(h, 0)))
        return tier__error(TIER_ENOTFITTED, "%s: call tier_ahp_hierarchy_compute() first", fn);
    for (size_t i = 0; i < tier_ahp_hierarchy_node_count(h); i++) {
        const tier_ahp *m = tier_ahp_hierarchy_judgments(h, i);
        int rc = m ? check_ahp(m, opts, fn) : TIER_OK;
        if (rc) {
            tier__error_prefix(tier_ahp_hierarchy_node_name(h, i));
            return rc;
        }
    }
    tier__alloc a;
    int rc = tier__alloc_init(&a, opts ? opts->allocator : NULL);
    if (rc)
        return rc;
    const char **names = tier__calloc(&a, n, sizeof *names);
    double *w = tier__calloc(&a, n, sizeof *w);
    if (!names || !w) {
        rc = tier__oom();
    } else {
        for (size_t k = 0; k < n; k++) {
            size_t node = 0;
            tier_ahp_hierarchy_leaf(&node, h, k);
            names[k] = tier_ahp_hierarchy_node_name(h, node);
            w[k] = tier_ahp_hierarchy_global_weight(h, node);
        }
        rc = make_scorer(out, n, names, w, opts);
    }
    tier__free(&a, names);
    tier__free(&a, w);
    return rc;
}

int tier_ahp_scorer_new_rfm(tier_scorer **out, const tier_ahp *ahp, unsigned int bins,
                            const tier_ahp_scorer_options *opts)
{
    static const char fn[] = "tier_ahp_scorer_new_rfm";
    static const char *const cols[3] = { "r_score", "f_score", "m_score" };
    if (!out)
        return tier__error(TIER_EINVAL, "%s: out is NULL", fn);
    *out = NULL;
    int rc = check_ahp(ahp, opts, fn);
    if (rc)
        return rc;
    if (ahp->n != 3)
        return tier__error(TIER_EINVAL, "%s: the judgments compare %zu criteria; AHP-weighted "
                           "RFM needs 3 (recency, frequency, monetary, in that order)", fn, ahp->n);
    if (bins < 2 || bins > 10)
        return tier__error(TIER_EINVAL, "%s: bins %u is out of range 2..10", fn, bins);
    tier_ahp_scorer_options o = TIER_AHP_SCORER_OPTIONS_INIT;
    if (opts) {
        if (opts->version == 0 || opts->version > TIER_AHP_SCORER_OPTIONS_VERSION)
            return tier__error(TIER_EVERSION, "tier_ahp_scorer_options: version %u is not "
                               "supported (1..%u)", opts->version, TIER_AHP_SCORER_OPTIONS_VERSION);
        o = *opts;
    }
    const char *columns[3];
    static const tier_ahp_normalization norms[3] = { TIER_AHP_NORM_RANGE, TIER_AHP_NORM_RANGE,
                                                     TIER_AHP_NORM_RANGE };
    const double lo[3] = { 1, 1, 1 }, hi[3] = { bins, bins, bins };
    for (int k = 0; k < 3; k++)
        columns[k] = (opts && opts->columns && opts->columns[k]) ? opts->columns[k] : cols[k];
    o.columns = columns;
    o.directions = NULL;
    o.normalizations = norms;
    o.range_min = lo;
    o.range_max = hi;
    return make_scorer(out, 3, (const char *const *)ahp->names, ahp->w, &o);
}

/* ---- getters ---------------------------------------------------------------------------- */

size_t tier_ahp_scorer_criteria_count(const tier_scorer *s)
{
    if (!s || tier_scorer_is_custom(s) || strcmp(tier_scorer_name(s), "ahp") != 0)
        return 0;
    const ahp_state *st = tier__scorer_state(s, &tier__ahp_kind, "tier_ahp_scorer_criteria_count");
    return st ? st->n : 0;
}

static const crit *get_crit(const tier_scorer *s, size_t k, const char *fn)
{
    const ahp_state *st = tier__scorer_state(s, &tier__ahp_kind, fn);
    if (!st)
        return NULL;
    if (k >= st->n) {
        tier__error(TIER_EINVAL, "%s: criterion %zu out of range (%zu criteria)", fn, k, st->n);
        return NULL;
    }
    return &st->c[k];
}

int tier_ahp_scorer_criterion(const char **name, const char **column, double *weight,
                              const tier_scorer *s, size_t k)
{
    const crit *c = get_crit(s, k, "tier_ahp_scorer_criterion");
    if (!c)
        return tier_last_error_status();
    if (name)
        *name = c->name;
    if (column)
        *column = c->column;
    if (weight)
        *weight = c->weight;
    return TIER_OK;
}

int tier_ahp_scorer_params(double *a, double *b, const tier_scorer *s, size_t k)
{
    if (!a || !b)
        return tier__error(TIER_EINVAL, "tier_ahp_scorer_params: NULL argument");
    const crit *c = get_crit(s, k, "tier_ahp_scorer_params");
    if (!c)
        return tier_last_error_status();
    if (!tier_scorer_is_fitted(s))
        return tier__error(TIER_ENOTFITTED, "tier_ahp_scorer_params: the scorer is not fitted");
    *a = c->lo;
    *b = c->hi;
    return TIER_OK;
}

/* ---- reading inputs --------------------------------------------------------------------- */

/* Borrows every criterion's column; infinities are an error, NaN too under MISSING_ERROR. */
static int read_inputs(const double **v, const ahp_state *st, const tier_dataset *ds)
{
    for (size_t k = 0; k < st->n; k++) {
        int rc = tier_dataset_numeric(&v[k], ds, st->c[k].column);
        if (rc) {
            tier__error_prefix("ahp");
            return rc;
        }
    }
    size_t rows = tier_dataset_size(ds);
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < st->n; k++) {
            double x = v[k][r];
            if (isfinite(x) || (isnan(x) && st->missing != TIER_AHP_MISSING_ERROR))
                continue;
            const char *id = tier_dataset_customer_id(ds, r);
            if (isnan(x))
                return tier__error(TIER_ERANGE, "ahp: %s is NaN for customer '%s' (row %zu); "
                                   "filter such customers or choose a missing-value policy "
                                   "(TIER_AHP_MISSING_UNSCORED, _WORST, _REWEIGHT)",
                                   st->c[k].column, id ? id : "?", r);
            return tier__error(TIER_ERANGE, "ahp: %s is %s for customer '%s' (row %zu)",
                               st->c[k].column, x > 0 ? "+inf" : "-inf", id ? id : "?", r);
        }
    return TIER_OK;
}

/* ---- fitting ---------------------------------------------------------------------------- */

/* Non-NaN values of one column, in row order. Returns the count. */
static size_t usable(double *buf, const double *v, size_t rows)
{
    size_t m = 0;
    for (size_t r = 0; r < rows; r++)
        if (!isnan(v[r]))
            buf[m++] = v[r];
    return m;
}

/* Mean with compensated summation, then the sample sd around it (two passes, row order). */
static void mean_sd(double *mean, double *sd, const double *x, size_t m)
{
    tier__ksum s = { 0, 0 };
    for (size_t i = 0; i < m; i++)
        tier__ksum_add(&s, x[i]);
    double mu = tier__ksum_value(&s) / (double)m;
    tier__ksum q = { 0, 0 };
    for (size_t i = 0; i < m; i++)
        tier__ksum_add(&q, (x[i] - mu) * (x[i] - mu));
    *mean = mu;
    *sd = m > 1 ? sqrt(tier__ksum_value(&q) / (double)(m - 1)) : 0;
}

/* Percentile reference: distinct sorted values with the count of fitted values below each.
 * `scratch` serves the sort, `a` (the scorer's allocator) the stored arrays. */
static int percentile_ref(crit *c, double *x, size_t m, const tier__alloc *a,
                          const tier__alloc *scratch)
{
    int rc = tier__sort_f64(x, m, scratch);
    if (rc)
        return rc;
    size_t d = 0;
    for (size_t i = 0; i < m; i++)
        if (i == 0 || x[i] != x[i - 1])
            d++;
    c->ref = tier__malloc(a, d * sizeof *c->ref);
    c->below = tier__malloc(a, (d + 1) * sizeof *c->below);
    if (!c->ref || !c->below)
        return tier__oom();
    d = 0;
    for (size_t i = 0; i < m; i++)
        if (i == 0 || x[i] != x[i - 1]) {
            c->ref[d] = x[i] == 0 ? 0.0 : x[i]; /* -0.0 and 0.0 are one value */
            c->below[d] = i;
            d++;
        }
    c->below[d] = m;
    c->n_ref = d;
    return build_index(c, a);
}

/* Fits one criterion into `c` (a scratch copy with no fitted arrays of its own). */
static int fit_criterion(crit *c, const double *v, size_t rows, double *buf, const tier__alloc *a,
                         const tier__alloc *scratch)
{
    if (c->norm == TIER_AHP_NORM_RANGE)
        return TIER_OK;
    size_t m = usable(buf, v, rows);
    if (m == 0)
        return tier__error(TIER_EEMPTY, "ahp: column '%s' (criterion '%s') has no value to fit "
                           "on", c->column, c->name);
    double mn = buf[0], mx = buf[0];
    for (size_t i = 1; i < m; i++) {
        if (buf[i] < mn)
            mn = buf[i];
        if (buf[i] > mx)
            mx = buf[i];
    }
    c->lo = mn;
    c->hi = mx;
    if (c->norm == TIER_AHP_NORM_ZSCORE)
        mean_sd(&c->lo, &c->hi, buf, m);
    else if (c->norm == TIER_AHP_NORM_PERCENTILE)
        return percentile_ref(c, buf, m, a, scratch);
    return TIER_OK;
}

static int ahp_fit(void *state, const tier_dataset *ds)
{
    ahp_state *st = state;
    const tier__alloc *a = tier__dataset_alloc(ds);
    size_t rows = tier_dataset_size(ds);
    if (rows == 0)
        return tier__error(TIER_EEMPTY, "ahp: the dataset has no customers to fit on");
    const double **v = tier__calloc(a, st->n, sizeof *v);
    crit *tmp = tier__calloc(a, st->n, sizeof *tmp);
    double *buf = tier__calloc(a, rows, sizeof *buf);
    int rc = (!v || !tmp || !buf) ? tier__oom() : read_inputs(v, st, ds);
    for (size_t k = 0; !rc && k < st->n; k++) {
        tmp[k] = st->c[k];
        tmp[k].ref = NULL;
        tmp[k].below = NULL;
        tmp[k].index = NULL;
        tmp[k].n_ref = 0;
        tmp[k].n_bucket = 0;
        rc = fit_criterion(&tmp[k], v[k], rows, buf, &st->alloc, a);
    }
    if (!rc) { /* commit: the old fit is released only now */
        for (size_t k = 0; k < st->n; k++) {
            free_fit(&st->c[k], &st->alloc);
            st->c[k] = tmp[k];
        }
        st->fitted = 1;
    } else if (tmp) {
        for (size_t k = 0; k < st->n; k++)
            free_fit(&tmp[k], &st->alloc);
    }
    tier__free(a, v);
    tier__free(a, tmp);
    tier__free(a, buf);
    return rc;
}

/* ---- applying --------------------------------------------------------------------------- */

/* Mid-rank percentile of x among the fitted values. */
static double percentile(const crit *c, double x)
{
    size_t lo = 0, hi = c->n_ref; /* first index with ref > x */
    if (c->index) {
        if (x < c->ref[0])
            hi = 0;
        else if (x >= c->ref[c->n_ref - 1])
            lo = c->n_ref - 1;
        else { /* the answer lies within x's bucket, or is the next bucket's first value */
            size_t b = (size_t)((tier__f64_key(x) - c->kmin) >> c->shift);
            lo = c->index[b];
            hi = c->index[b + 1];
        }
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->ref[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint64_t n = c->below[c->n_ref];
    if (lo > 0 && c->ref[lo - 1] == x) { /* x is a fitted value: half its ties count */
        uint64_t less = c->below[lo - 1], eq = c->below[lo] - less;
        return ((double)less + 0.5 * (double)eq) / (double)n;
    }
    return (double)c->below[lo] / (double)n;
}

static double clamp01(double s) { return s < 0 ? 0 : (s > 1 ? 1 : s); }

/* Criterion value in [0, 1], 1 = best. x is finite. */
static double normalise(const crit *c, double x)
{
    double s;
    switch (c->norm) {
    case TIER_AHP_NORM_ZSCORE:
        s = c->hi > 0 ? 0.5 * erfc(-((x - c->lo) / c->hi) / sqrt(2.0))
                      : (x > c->lo ? 1 : (x < c->lo ? 0 : 0.5));
        break;
    case TIER_AHP_NORM_PERCENTILE:
        s = percentile(c, x);
        break;
    default: /* min-max and fixed range */
        s = c->hi > c->lo ? clamp01((x - c->lo) / (c->hi - c->lo))
                          : (x > c->lo ? 1 : (x < c->lo ? 0 : 0.5));
        break;
    }
    return c->dir == TIER_AHP_LOWER_IS_BETTER ? 1 - s : s;
}

typedef struct apply_job {
    const ahp_state *st;
    const double **v;
    double *score;
    double **comp; /* NULL or one buffer per criterion */
    size_t n;
} apply_job;

static int apply_chunk(void *ctx, size_t task)
{
    const apply_job *j = ctx;
    const ahp_state *st = j->st;
    size_t lo = task * APPLY_CHUNK, hi = lo + APPLY_CHUNK < j->n ? lo + APPLY_CHUNK : j->n;
    for (size_t r = lo; r < hi; r++) {
        double sum = 0, wsum = 0;
        int missing = 0;
        for (size_t k = 0; k < st->n; k++) {
            double x = j->v[k][r];
            if (isnan(x)) {
                missing = 1;
                continue;
            }
            double s = normalise(&st->c[k], x);
            if (j->comp)
                j->comp[k][r] = s;
            sum += st->c[k].weight * s;
            wsum += st->c[k].weight;
        }
        double score = 100 * sum;
        if (missing) {
            if (st->missing == TIER_AHP_MISSING_UNSCORED)
                score = NAN;
            else if (st->missing == TIER_AHP_MISSING_REWEIGHT)
                score = wsum > 0 ? 100 * sum / wsum : NAN;
        }
        j->score[r] = score;
    }
    return 0;
}

static int ahp_apply(const void *state, const tier_dataset *ds, tier_scorer_output *out)
{
    const ahp_state *st = state;
    const tier__alloc *a = tier__dataset_alloc(ds);
    apply_job j;
    memset(&j, 0, sizeof j);
    j.st = st;
    j.n = tier__output_rows(out);
    j.v = tier__calloc(a, st->n, sizeof *j.v);
    if (st->components)
        j.comp = tier__calloc(a, st->n, sizeof *j.comp);
    int rc = (!j.v || (st->components && !j.comp)) ? tier__oom() : read_inputs(j.v, st, ds);
    if (!rc && !(j.score = tier__output_numeric(out, 0)))
        rc = TIER_ENOMEM;
    for (size_t k = 0; !rc && j.comp && k < st->n; k++)
        if (!(j.comp[k] = tier__output_numeric(out, 1 + k)))
            rc = TIER_ENOMEM;
    size_t tasks = (j.n + APPLY_CHUNK - 1) / APPLY_CHUNK;
    if (!rc && tasks)
        tier__parallel_for(tier__threads(tier__dataset_threads(ds), tasks), tasks, apply_chunk, &j);
    tier__free(a, j.v);
    tier__free(a, j.comp);
    return rc;
}

/* ---- model file ------------------------------------------------------------------------- */

static void ahp_columns(const void *state, tier__scorer_columns *cols)
{
    const ahp_state *st = state;
    cols->n_inputs = st->n_inputs;
    cols->inputs = st->inputs;
    cols->n_outputs = st->n_outputs;
    cols->outputs = (const char *const *)st->outputs;
    cols->output_types = NULL;
}

static int ahp_is_fitted(const void *state) { return ((const ahp_state *)state)->fitted; }

static void ahp_save(const void *state, tier__wbuf *w)
{
    const ahp_state *st = state;
    tier__wbuf_u8(w, (uint8_t)st->missing);
    tier__wbuf_u8(w, (uint8_t)st->components);
    tier__wbuf_u8(w, (uint8_t)st->fitted);
    tier__wbuf_u32(w, (uint32_t)st->n);
    for (size_t k = 0; k < st->n; k++) {
        const crit *c = &st->c[k];
        tier__wbuf_str(w, c->name);
        tier__wbuf_str(w, c->column);
        tier__wbuf_u8(w, (uint8_t)c->dir);
        tier__wbuf_u8(w, (uint8_t)c->norm);
        tier__wbuf_f64(w, c->weight);
        tier__wbuf_f64(w, c->lo);
        tier__wbuf_f64(w, c->hi);
        tier__wbuf_u64(w, (uint64_t)c->n_ref);
        tier__wbuf_f64s(w, c->ref, c->n_ref);
        for (size_t i = 0; c->n_ref && i <= c->n_ref; i++)
            tier__wbuf_u64(w, c->below[i]);
    }
}

static int corrupt(const char *path, const char *what)
{
    return tier__error(TIER_ECORRUPT, "%s: not a valid AHP model (%s)", path, what);
}

/* Checks one loaded criterion's fitted state for internal consistency. */
static const char *check_crit(const crit *c, int fitted)
{
    if ((unsigned)c->dir > TIER_AHP_LOWER_IS_BETTER || (unsigned)c->norm > TIER_AHP_NORM_RANGE)
        return "unknown direction or normalization";
    if (!isfinite(c->weight) || c->weight < 0 || c->weight > 1)
        return "bad weight";
    if (!tier__valid_column_name(c->column))
        return "bad column name";
    int need = fitted || c->norm == TIER_AHP_NORM_RANGE;
    double floor_hi = c->norm == TIER_AHP_NORM_ZSCORE ? 0 : c->lo; /* sd >= 0, max >= min */
    if (need && (!isfinite(c->lo) || !isfinite(c->hi) || c->hi < floor_hi))
        return "bad normalization parameters";
    if (c->norm == TIER_AHP_NORM_RANGE && !(c->hi > c->lo))
        return "empty range";
    if ((c->norm == TIER_AHP_NORM_PERCENTILE && fitted) != (c->n_ref > 0))
        return "percentile reference does not match the fit";
    for (size_t i = 0; i < c->n_ref; i++) {
        if (!isfinite(c->ref[i]) || (i > 0 && !(c->ref[i] > c->ref[i - 1])))
            return "percentile values not strictly increasing";
        if (c->below[i + 1] <= c->below[i])
            return "percentile counts not increasing";
    }
    if (c->n_ref && c->below[0] != 0)
        return "percentile counts do not start at 0";
    return NULL;
}

static int load_crit(crit *c, const tier__alloc *a, tier__rbuf *r, int fitted)
{
    const char *name = tier__rbuf_str(r), *col = tier__rbuf_str(r);
    c->dir = (tier_ahp_direction)tier__rbuf_u8(r);
    c->norm = (tier_ahp_normalization)tier__rbuf_u8(r);
    c->weight = tier__rbuf_f64(r);
    c->lo = tier__rbuf_f64(r);
    c->hi = tier__rbuf_f64(r);
    uint64_t nref = tier__rbuf_count(r, 16);
    if (r->failed || !name || !col)
        return TIER_ECORRUPT;
    if (!(c->name = tier__strdup(a, name)) || !(c->column = tier__strdup(a, col)))
        return tier__oom();
    if (nref) {
        c->ref = tier__malloc(a, (size_t)nref * sizeof *c->ref);
        c->below = tier__malloc(a, ((size_t)nref + 1) * sizeof *c->below);
        if (!c->ref || !c->below)
            return tier__oom();
        c->n_ref = (size_t)nref;
        tier__rbuf_f64s(r, c->ref, c->n_ref);
        for (size_t i = 0; i <= c->n_ref; i++)
            c->below[i] = tier__rbuf_u64(r);
    }
    (void)fitted;
    return r->failed ? TIER_ECORRUPT : TIER_OK;
}

/* After a criterion passed its checks: rebuilds the derived lookup index. */
static int finish_crit(crit *c, const tier__alloc *a)
{
    return c->n_ref ? build_index(c, a) : TIER_OK;
}

static int load_state(ahp_state *st, const tier__alloc *a, tier__rbuf *r, const char *path)
{
    st->missing = (tier_ahp_missing)tier__rbuf_u8(r);
    st->components = tier__rbuf_u8(r);
    st->fitted = tier__rbuf_u8(r);
    uint32_t n = tier__rbuf_u32(r);
    if (r->failed || n == 0 || n > MAX_CRITERIA ||
        (unsigned)st->missing > TIER_AHP_MISSING_REWEIGHT || st->components > 1 ||
        st->fitted > 1)
        return corrupt(path, "bad header");
    if (!(st->c = tier__calloc(a, n, sizeof *st->c)))
        return tier__oom();
    st->n = n;
    double wsum = 0;
    for (size_t k = 0; k < n; k++) {
        int rc = load_crit(&st->c[k], a, r, st->fitted);
        if (rc == TIER_ECORRUPT)
            return corrupt(path, "truncated criterion");
        if (rc)
            return rc;
        const char *why = check_crit(&st->c[k], st->fitted);
        if (why)
            return corrupt(path, why);
        if ((rc = finish_crit(&st->c[k], a)))
            return rc;
        wsum += st->c[k].weight;
    }
    if (!(fabs(wsum - 1) < 1e-9))
        return corrupt(path, "weights do not sum to 1");
    int rc = declare_columns(st, a);
    if (rc == TIER_EINVAL)
        return corrupt(path, "bad columns");
    return rc;
}

static int ahp_load(void **state, const tier__alloc *a, tier__rbuf *r, uint32_t version,
                    const char *path)
{
    (void)version; /* only version 1 exists */
    *state = NULL;
    ahp_state *st = tier__calloc(a, 1, sizeof *st);
    if (!st)
        return tier__oom();
    st->alloc = *a;
    int rc = load_state(st, a, r, path);
    if (rc) {
        state_free(st, a);
        return rc;
    }
    *state = st;
    return TIER_OK;
}

const tier__scorer_kind tier__ahp_kind = {
    .name = "ahp",
    .state_version = AHP_STATE_VERSION,
    .columns = ahp_columns,
    .is_fitted = ahp_is_fitted,
    .fit = ahp_fit,
    .apply = ahp_apply,
    .fit_apply = NULL,
    .save = ahp_save,
    .load = ahp_load,
    .free = state_free,
};
