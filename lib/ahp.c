/* AHP comparison matrices: judgments, the priority vector (principal eigenvector or row
 * geometric mean), lambda_max, CI, CR, GCI and the worst judgment. Missing judgments are
 * handled in ahp_incomplete.c, the text format in ahp_text.c. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal/ahp.h"
#include "internal/error.h"

/* ---- options -------------------------------------------------------------------------- */

int tier_ahp_options_init(tier_ahp_options *opts, unsigned int version)
{
    if (!opts)
        return tier__error(TIER_EINVAL, "tier_ahp_options_init: opts is NULL");
    if (version == 0 || version > TIER_AHP_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_ahp_options: version %u is not supported (1..%u)",
                           version, TIER_AHP_OPTIONS_VERSION);
    tier_ahp_options def = TIER_AHP_OPTIONS_INIT;
    *opts = def;
    opts->version = version;
    return TIER_OK;
}

int tier__ahp_resolve_options(tier_ahp_options *out, const tier_ahp_options *opts)
{
    tier_ahp_options def = TIER_AHP_OPTIONS_INIT;
    *out = def;
    if (!opts)
        return TIER_OK;
    if (opts->version == 0 || opts->version > TIER_AHP_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_ahp_options: version %u is not supported (1..%u)",
                           opts->version, TIER_AHP_OPTIONS_VERSION);
    /* Version 1 is the only version: every field is present. */
    *out = *opts;
    if (out->method != TIER_AHP_EIGENVECTOR && out->method != TIER_AHP_GEOMETRIC_MEAN)
        return tier__error(TIER_EINVAL, "tier_ahp_options: unknown method %d (use "
                           "TIER_AHP_EIGENVECTOR or TIER_AHP_GEOMETRIC_MEAN)", (int)out->method);
    if (!(out->cr_limit >= 0)) /* also rejects NaN */
        return tier__error(TIER_EINVAL, "tier_ahp_options: cr_limit %g must be >= 0 "
                           "(INFINITY accepts any consistency)", out->cr_limit);
    if (!isfinite(out->scale_max) || !(out->scale_max > 1))
        return tier__error(TIER_EINVAL, "tier_ahp_options: scale_max %g must be finite and > 1 "
                           "(Saaty's scale is 9)", out->scale_max);
    if (!(out->tolerance >= 0 && out->tolerance < 0.5))
        return tier__error(TIER_EINVAL, "tier_ahp_options: tolerance %g must be in [0, 0.5)",
                           out->tolerance);
    if (!(out->convergence >= 1e-15 && out->convergence <= 1e-3))
        return tier__error(TIER_EINVAL, "tier_ahp_options: convergence %g must be in "
                           "[1e-15, 1e-3]", out->convergence);
    if (out->max_iterations == 0)
        return tier__error(TIER_EINVAL, "tier_ahp_options: max_iterations must be >= 1");
    out->allocator = NULL;
    return TIER_OK;
}

/* ---- validation ----------------------------------------------------------------------- */

int tier__ahp_check_name(const char *name, const char *what)
{
    if (!name)
        return tier__error(TIER_EINVAL, "%s is NULL", what);
    size_t len = strlen(name);
    if (len == 0)
        return tier__error(TIER_EINVAL, "%s is empty", what);
    if (len > TIER__AHP_NAME_MAX)
        return tier__error(TIER_EINVAL, "%s '%.40s...' is %zu bytes long (at most %d)", what,
                           name, len, TIER__AHP_NAME_MAX);
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)name[k];
        if (c < 0x20 || c == 0x7f)
            return tier__error(TIER_EINVAL, "%s '%s' contains a control character at byte %zu",
                               what, name, k);
    }
    return TIER_OK;
}

int tier__ahp_check_value(const tier_ahp *ahp, double v, const char *what)
{
    double s = ahp->opts.scale_max;
    double hi = s * (1 + ahp->opts.tolerance);
    if (isnan(v))
        return tier__error(TIER_ERANGE, "%s is NaN (a missing judgment is left unset, "
                           "see tier_ahp_unset())", what);
    if (isinf(v))
        return tier__error(TIER_ERANGE, "%s is infinite: judgments are finite ratios in "
                           "1/%g .. %g", what, s, s);
    if (v == 0)
        return tier__error(TIER_ERANGE, "%s is zero: judgments are ratios of importance and "
                           "must be positive (1 means equal importance)", what);
    if (v < 0)
        return tier__error(TIER_ERANGE, "%s is negative (%g): judgments are positive ratios; "
                           "if the second criterion is %g times as important, enter 1/%g",
                           what, v, -v, -v);
    if (v > hi || v < 1 / hi)
        return tier__error(TIER_ERANGE, "%s = %g is outside the scale 1/%g .. %g", what, v, s, s);
    return TIER_OK;
}

/* ---- life cycle ----------------------------------------------------------------------- */

int tier_ahp_new(tier_ahp **out, size_t n, const char *const *names, const tier_ahp_options *opts)
{
    if (!out)
        return tier__error(TIER_EINVAL, "tier_ahp_new: out is NULL");
    *out = NULL;
    if (n < 1 || n > TIER_AHP_MAX_CRITERIA)
        return tier__error(TIER_EINVAL, "tier_ahp_new: %zu criteria (must be 1 .. %d)", n,
                           TIER_AHP_MAX_CRITERIA);
    tier_ahp_options o;
    int rc = tier__ahp_resolve_options(&o, opts);
    if (rc)
        return rc;
    tier__alloc a;
    rc = tier__alloc_init(&a, opts ? opts->allocator : NULL);
    if (rc)
        return rc;
    if (names) {
        for (size_t i = 0; i < n; i++) {
            char what[48];
            snprintf(what, sizeof what, "criterion name %zu", i);
            if ((rc = tier__ahp_check_name(names[i], what)))
                return rc;
            for (size_t j = 0; j < i; j++)
                if (strcmp(names[i], names[j]) == 0)
                    return tier__error(TIER_EINVAL, "criterion name '%s' is given twice "
                                       "(indices %zu and %zu)", names[i], j, i);
        }
    }
    tier_ahp *ahp = tier__calloc(&a, 1, sizeof *ahp);
    if (!ahp)
        return tier__oom();
    ahp->alloc = a;
    ahp->opts = o;
    ahp->n = n;
    for (size_t i = 0; i < n; i++) {
        char buf[24];
        if (!names)
            snprintf(buf, sizeof buf, "c%zu", i + 1);
        ahp->names[i] = tier__strdup(&ahp->alloc, names ? names[i] : buf);
        if (!ahp->names[i]) {
            tier_ahp_free(ahp);
            return tier__oom();
        }
        for (size_t j = 0; j < n; j++)
            ahp->a[TIER__AT(i, j)] = (i == j) ? 1.0 : NAN;
        ahp->known[TIER__AT(i, i)] = 1;
    }
    *out = ahp;
    return TIER_OK;
}

int tier_ahp_copy(tier_ahp **out, const tier_ahp *ahp)
{
    if (!out)
        return tier__error(TIER_EINVAL, "tier_ahp_copy: out is NULL");
    *out = NULL;
    if (!ahp)
        return tier__error(TIER_EINVAL, "tier_ahp_copy: ahp is NULL");
    tier_ahp *c = tier__malloc(&ahp->alloc, sizeof *c);
    if (!c)
        return tier__oom();
    memcpy(c, ahp, sizeof *c);
    for (size_t i = 0; i < ahp->n; i++)
        c->names[i] = NULL;
    for (size_t i = 0; i < ahp->n; i++) {
        c->names[i] = tier__strdup(&c->alloc, ahp->names[i]);
        if (!c->names[i]) {
            tier_ahp_free(c);
            return tier__oom();
        }
    }
    *out = c;
    return TIER_OK;
}

void tier_ahp_free(tier_ahp *ahp)
{
    if (!ahp)
        return;
    tier__alloc a = ahp->alloc;
    for (size_t i = 0; i < ahp->n; i++)
        tier__free(&a, ahp->names[i]);
    tier__free(&a, ahp);
}

size_t tier_ahp_size(const tier_ahp *ahp) { return ahp ? ahp->n : 0; }

const char *tier_ahp_name(const tier_ahp *ahp, size_t index)
{
    return (ahp && index < ahp->n) ? ahp->names[index] : NULL;
}

int tier_ahp_find(size_t *index, const tier_ahp *ahp, const char *name)
{
    if (!index || !ahp || !name)
        return tier__error(TIER_EINVAL, "tier_ahp_find: NULL argument");
    for (size_t i = 0; i < ahp->n; i++)
        if (strcmp(ahp->names[i], name) == 0) {
            *index = i;
            return TIER_OK;
        }
    long c = tier__closest(name, (const char *const *)ahp->names, ahp->n);
    if (c >= 0)
        return tier__error(TIER_ENOTFOUND, "unknown criterion '%s' (did you mean '%s'?)", name,
                           ahp->names[c]);
    return tier__error(TIER_ENOTFOUND, "unknown criterion '%s'", name);
}

/* ---- judgments ------------------------------------------------------------------------ */

static int check_pair(const tier_ahp *ahp, size_t i, size_t j, const char *fn)
{
    if (!ahp)
        return tier__error(TIER_EINVAL, "%s: ahp is NULL", fn);
    if (i >= ahp->n || j >= ahp->n)
        return tier__error(TIER_EINVAL, "%s: index (%zu, %zu) out of range for %zu criteria", fn,
                           i, j, ahp->n);
    if (i == j)
        return tier__error(TIER_EINVAL, "%s: (%zu, %zu) is on the diagonal, which is always 1",
                           fn, i, j);
    return TIER_OK;
}

/* Stores an exactly reciprocal pair: v exactly at (i, j), its reciprocal at (j, i). */
static void store_pair(tier_ahp *ahp, size_t i, size_t j, double v)
{
    ahp->a[TIER__AT(i, j)] = v;
    ahp->a[TIER__AT(j, i)] = 1 / v;
    ahp->known[TIER__AT(i, j)] = ahp->known[TIER__AT(j, i)] = 1;
}

static void clear_pair(tier_ahp *ahp, size_t i, size_t j)
{
    ahp->a[TIER__AT(i, j)] = ahp->a[TIER__AT(j, i)] = NAN;
    ahp->known[TIER__AT(i, j)] = ahp->known[TIER__AT(j, i)] = 0;
}

int tier_ahp_set(tier_ahp *ahp, size_t i, size_t j, double value)
{
    int rc = check_pair(ahp, i, j, "tier_ahp_set");
    if (rc)
        return rc;
    char what[2 * TIER__AHP_NAME_MAX + 32];
    snprintf(what, sizeof what, "judgment '%s' vs '%s'", ahp->names[i], ahp->names[j]);
    if ((rc = tier__ahp_check_value(ahp, value, what)))
        return rc;
    store_pair(ahp, i, j, value);
    tier__ahp_touch(ahp);
    return TIER_OK;
}

int tier_ahp_set_by_name(tier_ahp *ahp, const char *row, const char *column, double value)
{
    size_t i, j;
    int rc;
    if (!ahp)
        return tier__error(TIER_EINVAL, "tier_ahp_set_by_name: ahp is NULL");
    if ((rc = tier_ahp_find(&i, ahp, row)) || (rc = tier_ahp_find(&j, ahp, column)))
        return rc;
    return tier_ahp_set(ahp, i, j, value);
}

int tier_ahp_unset(tier_ahp *ahp, size_t i, size_t j)
{
    int rc = check_pair(ahp, i, j, "tier_ahp_unset");
    if (rc)
        return rc;
    clear_pair(ahp, i, j);
    tier__ahp_touch(ahp);
    return TIER_OK;
}

int tier_ahp_set_upper(tier_ahp *ahp, const double *upper)
{
    if (!ahp || !upper)
        return tier__error(TIER_EINVAL, "tier_ahp_set_upper: NULL argument");
    size_t n = ahp->n, k = 0;
    /* Validate everything first so that a failure leaves the matrix unchanged. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, k++) {
            if (isnan(upper[k]))
                continue;
            char what[2 * TIER__AHP_NAME_MAX + 64];
            snprintf(what, sizeof what, "upper[%zu] = matrix[%zu][%zu] ('%s' vs '%s')", k, i, j,
                     ahp->names[i], ahp->names[j]);
            int rc = tier__ahp_check_value(ahp, upper[k], what);
            if (rc)
                return rc;
        }
    k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, k++) {
            if (isnan(upper[k]))
                clear_pair(ahp, i, j);
            else
                store_pair(ahp, i, j, upper[k]);
        }
    tier__ahp_touch(ahp);
    return TIER_OK;
}

/* Resolves one mirrored pair of a full matrix into the value to keep exactly (NaN = missing)
 * and its place: at (i, j), or at (j, i) when *flip is set. */
static int resolve_mirror(double *out, unsigned char *flip, const tier_ahp *ahp, size_t i,
                          size_t j, double aij, double aji)
{
    char what[2 * TIER__AHP_NAME_MAX + 64];
    int rc;
    *out = NAN;
    *flip = 0;
    if (!isnan(aij)) {
        snprintf(what, sizeof what, "matrix[%zu][%zu] ('%s' vs '%s')", i, j, ahp->names[i],
                 ahp->names[j]);
        if ((rc = tier__ahp_check_value(ahp, aij, what)))
            return rc;
    }
    if (!isnan(aji)) {
        snprintf(what, sizeof what, "matrix[%zu][%zu] ('%s' vs '%s')", j, i, ahp->names[j],
                 ahp->names[i]);
        if ((rc = tier__ahp_check_value(ahp, aji, what)))
            return rc;
    }
    if (isnan(aij) && isnan(aji))
        return TIER_OK;
    if (isnan(aji)) {
        *out = aij;
        return TIER_OK;
    }
    if (isnan(aij)) {
        *out = aji;
        *flip = 1;
        return TIER_OK;
    }
    double p = aij * aji;
    if (fabs(p - 1) > ahp->opts.tolerance)
        return tier__error(TIER_ERANGE, "matrix[%zu][%zu] ('%s' vs '%s') = %g and "
                           "matrix[%zu][%zu] = %g are not reciprocal: their product is %g, not 1 "
                           "(tolerance %g)", i, j, ahp->names[i], ahp->names[j], aij, j, i, aji,
                           p, ahp->opts.tolerance);
    /* Keep the entry >= 1 exactly: a typed integer is exact, its typed decimal reciprocal is
     * usually rounded. */
    *flip = !(aij >= 1 || aji < 1);
    *out = *flip ? aji : aij;
    return TIER_OK;
}

int tier_ahp_set_matrix(tier_ahp *ahp, const double *matrix)
{
    if (!ahp || !matrix)
        return tier__error(TIER_EINVAL, "tier_ahp_set_matrix: NULL argument");
    size_t n = ahp->n;
    double v[TIER__AHP_N * TIER__AHP_N];
    unsigned char flip[TIER__AHP_N * TIER__AHP_N];
    for (size_t i = 0; i < n; i++) {
        double d = matrix[i * n + i];
        if (!isnan(d) && !(fabs(d - 1) <= ahp->opts.tolerance))
            return tier__error(TIER_ERANGE, "matrix[%zu][%zu] ('%s') = %g: the diagonal must be "
                               "1 (a criterion is as important as itself)", i, i, ahp->names[i],
                               d);
        for (size_t j = i + 1; j < n; j++) {
            int rc = resolve_mirror(&v[TIER__AT(i, j)], &flip[TIER__AT(i, j)], ahp, i, j,
                                    matrix[i * n + j], matrix[j * n + i]);
            if (rc)
                return rc;
        }
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (isnan(v[TIER__AT(i, j)]))
                clear_pair(ahp, i, j);
            else if (flip[TIER__AT(i, j)])
                store_pair(ahp, j, i, v[TIER__AT(i, j)]);
            else
                store_pair(ahp, i, j, v[TIER__AT(i, j)]);
        }
    tier__ahp_touch(ahp);
    return TIER_OK;
}

int tier_ahp_judgment(double *value, const tier_ahp *ahp, size_t i, size_t j)
{
    if (!value || !ahp)
        return tier__error(TIER_EINVAL, "tier_ahp_judgment: NULL argument");
    if (i >= ahp->n || j >= ahp->n)
        return tier__error(TIER_EINVAL, "tier_ahp_judgment: index (%zu, %zu) out of range for "
                           "%zu criteria", i, j, ahp->n);
    *value = ahp->a[TIER__AT(i, j)];
    return TIER_OK;
}

size_t tier__ahp_missing(const tier_ahp *ahp)
{
    size_t m = 0;
    for (size_t i = 0; i < ahp->n; i++)
        for (size_t j = i + 1; j < ahp->n; j++)
            m += !ahp->known[TIER__AT(i, j)];
    return m;
}

size_t tier_ahp_missing_count(const tier_ahp *ahp) { return ahp ? tier__ahp_missing(ahp) : 0; }

/* ---- numerics ------------------------------------------------------------------------- */

/* Saaty (1980), The Analytic Hierarchy Process, McGraw-Hill: random index for n = 1 .. 15. */
static const double saaty_ri[16] = {
    0, 0.00, 0.00, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59,
};

double tier_ahp_random_index(size_t n)
{
    if (n < 1 || n > TIER_AHP_MAX_CRITERIA)
        return NAN;
    if (n <= 15)
        return saaty_ri[n];
    /* Alonso & Lamata (2006): mean lambda_max of random matrices ~ 2.7699 n - 4.3513. */
    return (1.7699 * (double)n - 4.3513) / (double)(n - 1);
}

int tier__ahp_power(double x[TIER__AHP_N], double *lambda, unsigned *iters, const double *m,
                    size_t n, double tol, unsigned max_iter)
{
    double y[TIER__AHP_N];
    double prev = INFINITY;
    /* Below this the change is rounding noise and cannot shrink further. */
    double floor_ = 4 * (double)n * DBL_EPSILON;
    for (unsigned it = 1; it <= max_iter; it++) {
        double s = 0;
        for (size_t i = 0; i < n; i++) {
            double acc = 0;
            for (size_t j = 0; j < n; j++)
                acc += m[TIER__AT(i, j)] * x[j];
            y[i] = acc;
            s += acc;
        }
        double diff = 0;
        for (size_t i = 0; i < n; i++) {
            y[i] /= s;
            double d = fabs(y[i] - x[i]);
            if (d > diff)
                diff = d;
            x[i] = y[i];
        }
        /* The remaining error is about diff * r / (1 - r) for convergence rate r; requiring
         * diff <= tol as well guards against a momentarily small ratio. */
        double r = isfinite(prev) && prev > 0 ? diff / prev : 1;
        prev = diff;
        if (diff <= floor_ || (diff <= tol && r < 1 && diff * r <= tol * (1 - r))) {
            double lam = 0;
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++)
                    lam += m[TIER__AT(i, j)] * x[j];
            *lambda = lam;
            *iters = it;
            return TIER_OK;
        }
    }
    return tier__error(TIER_ENOTCONVERGED, "the principal eigenvector did not converge to %g "
                       "within %u iterations (last change %g)", tol, max_iter, prev);
}

static double gci_of(const tier_ahp *ahp, const double v[TIER__AHP_N])
{
    size_t n = ahp->n, m = 0;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (ahp->known[TIER__AT(i, j)]) {
                double e = log(ahp->a[TIER__AT(i, j)] * v[j] / v[i]);
                sum += e * e;
                m++;
            }
    if (n <= 2 || m + 1 <= n)
        return 0;
    return sum / (double)(m - n + 1);
}

/* The entered pair with the largest |ln(a_ij w_j / w_i)|, oriented so that a_ij >= w_i/w_j. */
static int worst(size_t *wi, size_t *wj, const tier_ahp *ahp)
{
    double best = -1;
    int found = 0;
    for (size_t i = 0; i < ahp->n; i++)
        for (size_t j = i + 1; j < ahp->n; j++) {
            if (!ahp->known[TIER__AT(i, j)])
                continue;
            double e = fabs(log(ahp->a[TIER__AT(i, j)] * ahp->w[j] / ahp->w[i]));
            if (e > best) {
                best = e;
                found = 1;
                int over = ahp->a[TIER__AT(i, j)] >= ahp->w[i] / ahp->w[j];
                *wi = over ? i : j;
                *wj = over ? j : i;
            }
        }
    return found;
}

static void fill(tier_ahp *ahp)
{
    size_t n = ahp->n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            ahp->filled[TIER__AT(i, j)] = ahp->known[TIER__AT(i, j)]
                ? ahp->a[TIER__AT(i, j)] : ahp->w[i] / ahp->w[j];
}

static void compute_trivial(tier_ahp *ahp)
{
    ahp->w[0] = 1;
    ahp->filled[0] = 1;
    ahp->lambda_max = 1;
    ahp->ci = ahp->cr = ahp->gci = 0;
    ahp->iterations = 0;
    ahp->computed = 1;
}

/* Priority vector into ahp->w and lambda_max; v receives the LLS (geometric-mean) weights. */
static int priorities(tier_ahp *ahp, double v[TIER__AHP_N], int incomplete)
{
    size_t n = ahp->n;
    double m[TIER__AHP_N * TIER__AHP_N];
    double lam;
    unsigned it = 0;
    int rc;
    tier__ahp_lls(ahp, v);
    memcpy(ahp->w, v, n * sizeof *v);
    if (n == 2) { /* the geometric mean is the eigenvector; lambda_max = 2 exactly */
        fill(ahp);
        ahp->lambda_max = 2;
        ahp->iterations = 0;
        return TIER_OK;
    }
    if (ahp->opts.method == TIER_AHP_EIGENVECTOR) {
        if (incomplete)
            tier__ahp_harker_matrix(ahp, m);
        else
            memcpy(m, ahp->a, sizeof m);
        rc = tier__ahp_power(ahp->w, &lam, &it, m, n, ahp->opts.convergence,
                             ahp->opts.max_iterations);
        if (rc)
            return rc;
        fill(ahp);
    } else {
        /* lambda_max belongs to the (completed) matrix whatever the method. */
        double x[TIER__AHP_N];
        fill(ahp);
        memcpy(x, v, n * sizeof *v);
        rc = tier__ahp_power(x, &lam, &it, ahp->filled, n, ahp->opts.convergence,
                             ahp->opts.max_iterations);
        if (rc)
            return rc;
    }
    ahp->lambda_max = lam;
    ahp->iterations = it;
    return TIER_OK;
}

int tier_ahp_compute(tier_ahp *ahp)
{
    if (!ahp)
        return tier__error(TIER_EINVAL, "tier_ahp_compute: ahp is NULL");
    size_t n = ahp->n;
    ahp->computed = 0;
    if (n == 1) {
        compute_trivial(ahp);
        return TIER_OK;
    }
    int incomplete = tier__ahp_missing(ahp) > 0;
    int rc;
    if (incomplete && (rc = tier__ahp_check_connected(ahp)))
        return rc;
    double v[TIER__AHP_N];
    if ((rc = priorities(ahp, v, incomplete)))
        return rc;
    if (ahp->lambda_max < (double)n) /* rounding; lambda_max >= n in exact arithmetic */
        ahp->lambda_max = (double)n;
    ahp->ci = n <= 2 ? 0 : (ahp->lambda_max - (double)n) / (double)(n - 1);
    ahp->cr = n <= 2 ? 0 : ahp->ci / tier_ahp_random_index(n);
    ahp->gci = gci_of(ahp, v);
    ahp->computed = 1;
    if (n >= 3 && ahp->cr > ahp->opts.cr_limit) {
        size_t i = 0, j = 0;
        worst(&i, &j, ahp);
        return tier__error(TIER_EINCONSISTENT, "consistency ratio %.4f exceeds the limit %g "
                           "(lambda_max %.4f, %zu criteria); the most inconsistent judgment is "
                           "'%s' vs '%s' = %g where the weights suggest %.3g: revisit it",
                           ahp->cr, ahp->opts.cr_limit, ahp->lambda_max, n, ahp->names[i],
                           ahp->names[j], ahp->a[TIER__AT(i, j)], ahp->w[i] / ahp->w[j]);
    }
    return TIER_OK;
}

/* ---- results -------------------------------------------------------------------------- */

int tier_ahp_is_computed(const tier_ahp *ahp) { return ahp && ahp->computed; }

int tier_ahp_is_consistent(const tier_ahp *ahp)
{
    return ahp && ahp->computed && !(ahp->cr > ahp->opts.cr_limit);
}

const double *tier_ahp_weights(const tier_ahp *ahp)
{
    return (ahp && ahp->computed) ? ahp->w : NULL;
}

int tier_ahp_completed(double *value, const tier_ahp *ahp, size_t i, size_t j)
{
    if (!value || !ahp)
        return tier__error(TIER_EINVAL, "tier_ahp_completed: NULL argument");
    if (i >= ahp->n || j >= ahp->n)
        return tier__error(TIER_EINVAL, "tier_ahp_completed: index (%zu, %zu) out of range for "
                           "%zu criteria", i, j, ahp->n);
    if (!ahp->computed)
        return tier__error(TIER_ENOTFITTED, "tier_ahp_completed: call tier_ahp_compute() first");
    *value = ahp->filled[TIER__AT(i, j)];
    return TIER_OK;
}

double tier_ahp_lambda_max(const tier_ahp *ahp)
{
    return (ahp && ahp->computed) ? ahp->lambda_max : NAN;
}

double tier_ahp_ci(const tier_ahp *ahp) { return (ahp && ahp->computed) ? ahp->ci : NAN; }

double tier_ahp_cr(const tier_ahp *ahp) { return (ahp && ahp->computed) ? ahp->cr : NAN; }

double tier_ahp_gci(const tier_ahp *ahp) { return (ahp && ahp->computed) ? ahp->gci : NAN; }

unsigned int tier_ahp_iterations(const tier_ahp *ahp)
{
    return (ahp && ahp->computed) ? ahp->iterations : 0;
}

double tier_ahp_cr_limit(const tier_ahp *ahp) { return ahp ? ahp->opts.cr_limit : NAN; }

int tier_ahp_worst_judgment(size_t *i, size_t *j, double *suggested, const tier_ahp *ahp)
{
    if (!i || !j || !ahp)
        return tier__error(TIER_EINVAL, "tier_ahp_worst_judgment: NULL argument");
    if (!ahp->computed)
        return tier__error(TIER_ENOTFITTED, "tier_ahp_worst_judgment: call tier_ahp_compute() "
                           "first");
    if (!worst(i, j, ahp))
        return tier__error(TIER_EEMPTY, "tier_ahp_worst_judgment: a single criterion has no "
                           "judgments");
    if (suggested)
        *suggested = ahp->w[*i] / ahp->w[*j];
    return TIER_OK;
}
