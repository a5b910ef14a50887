/* Private: the layout of a tier_ahp, shared by the AHP files (ahp.c: judgments, eigenvector and
 * consistency; ahp_incomplete.c: missing judgments; ahp_text.c: the text format; ahp_group.c;
 * ahp_hierarchy.c; ahp_scorer.c). */
#ifndef TIER_INTERNAL_AHP_H
#define TIER_INTERNAL_AHP_H

#include "tier/ahp.h"
#include "alloc.h"

#define TIER__AHP_N TIER_AHP_MAX_CRITERIA
#define TIER__AHP_NAME_MAX 127

struct tier_ahp {
    tier__alloc alloc;
    tier_ahp_options opts;       /* resolved copy; opts.allocator is not used after creation */
    size_t n;
    char *names[TIER__AHP_N];

    /* Judgments, row-major with stride TIER__AHP_N. Entered pairs are exactly reciprocal. */
    double a[TIER__AHP_N * TIER__AHP_N];
    unsigned char known[TIER__AHP_N * TIER__AHP_N]; /* 1 = entered (diagonal always 1) */

    /* Results, valid when computed != 0. */
    int computed;
    double w[TIER__AHP_N];
    double filled[TIER__AHP_N * TIER__AHP_N]; /* completed matrix */
    double lambda_max, ci, cr, gci;
    unsigned iterations;
};

#define TIER__AT(i, j) ((i) * TIER__AHP_N + (j))

/* Validates one judgment value (zero, negative, non-finite, off-scale). `what` describes the
 * cell for the message ("judgment 'a' vs 'b'", "weights.txt:3:7: value"). */
int tier__ahp_check_value(const tier_ahp *ahp, double v, const char *what);

/* Validates a criterion name (length, control characters). `what` names it in messages. */
int tier__ahp_check_name(const char *name, const char *what);

/* Resolves options (NULL = defaults) into *out with validation. */
int tier__ahp_resolve_options(tier_ahp_options *out, const tier_ahp_options *opts);

/* Counts missing pairs i < j. */
size_t tier__ahp_missing(const tier_ahp *ahp);

/* Connectivity of the judgment graph: fills comp[i] with a component id (0 = criterion 0's)
 * and returns the number of components. */
size_t tier__ahp_components(const tier_ahp *ahp, size_t comp[TIER__AHP_N]);

/* TIER_OK if the judgments connect all criteria, else TIER_EINVAL with a message naming the
 * separated groups. */
int tier__ahp_check_connected(const tier_ahp *ahp);

/* Logarithmic least squares over the entered judgments (row geometric mean when complete):
 * fills w (sum 1). The graph must be connected. */
void tier__ahp_lls(const tier_ahp *ahp, double w[TIER__AHP_N]);

/* Harker's matrix C of an incomplete matrix (stride TIER__AHP_N). */
void tier__ahp_harker_matrix(const tier_ahp *ahp, double *c);

/* Power iteration x <- M x / sum on a nonnegative primitive n x n matrix (stride
 * TIER__AHP_N), from the positive start x (sum 1). On success x is the Perron vector (sum 1),
 * *lambda its eigenvalue, *iters the steps taken. Returns TIER_OK or TIER_ENOTCONVERGED
 * (recorded). */
int tier__ahp_power(double x[TIER__AHP_N], double *lambda, unsigned *iters, const double *m,
                    size_t n, double tol, unsigned max_iter);

/* Marks results stale. */
static inline void tier__ahp_touch(tier_ahp *ahp) { ahp->computed = 0; }

#endif
