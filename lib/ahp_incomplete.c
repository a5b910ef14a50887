/* Missing judgments: connectivity of the comparison graph, logarithmic least squares (which is
 * the row geometric mean for a complete matrix) and Harker's matrix for the eigenvector method.
 *
 * Both completions need the judgments to connect every criterion to every other: otherwise the
 * relative weight of two separated groups is simply not stated, and any answer would be made
 * up. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal/ahp.h"
#include "internal/error.h"

size_t tier__ahp_components(const tier_ahp *ahp, size_t comp[TIER__AHP_N])
{
    size_t n = ahp->n, n_comp = 0;
    size_t stack[TIER__AHP_N];
    for (size_t i = 0; i < n; i++)
        comp[i] = (size_t)-1;
    for (size_t s = 0; s < n; s++) {
        if (comp[s] != (size_t)-1)
            continue;
        size_t top = 0;
        stack[top++] = s;
        comp[s] = n_comp;
        while (top) {
            size_t u = stack[--top];
            for (size_t v = 0; v < n; v++)
                if (v != u && ahp->known[TIER__AT(u, v)] && comp[v] == (size_t)-1) {
                    comp[v] = n_comp;
                    stack[top++] = v;
                }
        }
        n_comp++;
    }
    return n_comp;
}

int tier__ahp_check_connected(const tier_ahp *ahp)
{
    size_t comp[TIER__AHP_N];
    size_t k = tier__ahp_components(ahp, comp);
    if (k <= 1)
        return TIER_OK;
    /* "{a, b} and {c}" — short enough for the error buffer even with long names. */
    char groups[640];
    size_t len = 0;
    for (size_t c = 0; c < k && len + 8 < sizeof groups; c++) {
        len += (size_t)snprintf(groups + len, sizeof groups - len, "%s{",
                                c == 0 ? "" : (c + 1 == k ? " and " : ", "));
        int first = 1;
        for (size_t i = 0; i < ahp->n && len + 8 < sizeof groups; i++)
            if (comp[i] == c) {
                len += (size_t)snprintf(groups + len, sizeof groups - len, "%s%s",
                                        first ? "" : ", ", ahp->names[i]);
                first = 0;
            }
        if (len + 2 < sizeof groups)
            len += (size_t)snprintf(groups + len, sizeof groups - len, "}");
    }
    if (len >= sizeof groups)
        memcpy(groups + sizeof groups - 5, "...", 4);
    return tier__error(TIER_EINVAL, "missing judgments leave the %zu criteria in %zu unconnected "
                       "groups %s: compare at least one criterion of each group with one of "
                       "another group (%zu judgments are missing)", ahp->n, k, groups,
                       tier__ahp_missing(ahp));
}

/* Solves the symmetric positive definite system s x = b (n x n, stride TIER__AHP_N) by
 * Cholesky decomposition, in place (s is overwritten). */
static void cholesky_solve(double *s, double *x, const double *b, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        double d = s[TIER__AT(j, j)];
        for (size_t k = 0; k < j; k++)
            d -= s[TIER__AT(j, k)] * s[TIER__AT(j, k)];
        d = sqrt(d);
        s[TIER__AT(j, j)] = d;
        for (size_t i = j + 1; i < n; i++) {
            double v = s[TIER__AT(i, j)];
            for (size_t k = 0; k < j; k++)
                v -= s[TIER__AT(i, k)] * s[TIER__AT(j, k)];
            s[TIER__AT(i, j)] = v / d;
        }
    }
    for (size_t i = 0; i < n; i++) { /* L y = b */
        double v = b[i];
        for (size_t k = 0; k < i; k++)
            v -= s[TIER__AT(i, k)] * x[k];
        x[i] = v / s[TIER__AT(i, i)];
    }
    for (size_t i = n; i-- > 0;) { /* L^T x = y */
        double v = x[i];
        for (size_t k = i + 1; k < n; k++)
            v -= s[TIER__AT(k, i)] * x[k];
        x[i] = v / s[TIER__AT(i, i)];
    }
}

void tier__ahp_lls(const tier_ahp *ahp, double w[TIER__AHP_N])
{
    size_t n = ahp->n;
    double b[TIER__AHP_N], x[TIER__AHP_N];
    int complete = 1;
    for (size_t i = 0; i < n; i++) {
        b[i] = 0;
        for (size_t j = 0; j < n; j++)
            if (j != i && ahp->known[TIER__AT(i, j)])
                b[i] += log(ahp->a[TIER__AT(i, j)]);
            else if (j != i)
                complete = 0;
    }
    if (complete) {
        /* The row geometric mean, in logarithms. */
        for (size_t i = 0; i < n; i++)
            x[i] = b[i] / (double)n;
    } else {
        /* Minimise sum over entered (i, j) of (ln a_ij - x_i + x_j)^2: the normal equations are
         * L x = b with L the Laplacian of the comparison graph. L + 11^T is positive definite
         * for a connected graph, and since sum(b) = 0 (reciprocity) its solution is the one
         * with sum(x) = 0. */
        double s[TIER__AHP_N * TIER__AHP_N];
        for (size_t i = 0; i < n; i++) {
            size_t deg = 0;
            for (size_t j = 0; j < n; j++) {
                int k = j != i && ahp->known[TIER__AT(i, j)];
                deg += (size_t)k;
                s[TIER__AT(i, j)] = 1.0 - (k ? 1.0 : 0.0);
            }
            s[TIER__AT(i, i)] = 1.0 + (double)deg;
        }
        cholesky_solve(s, x, b, n);
    }
    double mx = x[0], sum = 0;
    for (size_t i = 1; i < n; i++)
        if (x[i] > mx)
            mx = x[i];
    for (size_t i = 0; i < n; i++) {
        w[i] = exp(x[i] - mx);
        sum += w[i];
    }
    for (size_t i = 0; i < n; i++)
        w[i] /= sum;
}

void tier__ahp_harker_matrix(const tier_ahp *ahp, double *c)
{
    size_t n = ahp->n;
    for (size_t i = 0; i < n; i++) {
        size_t missing = 0;
        for (size_t j = 0; j < n; j++) {
            if (j == i)
                continue;
            if (ahp->known[TIER__AT(i, j)]) {
                c[TIER__AT(i, j)] = ahp->a[TIER__AT(i, j)];
            } else {
                c[TIER__AT(i, j)] = 0;
                missing++;
            }
        }
        c[TIER__AT(i, i)] = 1.0 + (double)missing;
    }
}
