/* Tests of include/tier/ahp.h: judgments, priority vectors, consistency, missing judgments,
 * group aggregation, hierarchies, the text format and the AHP scoring strategy.
 *
 * Published worked examples used (weights as published, to the published 3 decimals; the
 * 4-decimal and lambda/CR checks are against numpy's LAPACK eigensolver, computed by
 * tests/data/ahp/make_reference.py, an independent route):
 *  - Wikipedia, "Analytic hierarchy process – leader example": criteria Experience, Education,
 *    Charisma, Age weighted .547, .127, .270, .056; alternatives Tom, Dick, Harry with overall
 *    priorities .358, .493, .149 (e.g. with respect to experience .217, .717, .066).
 *  - T. L. Saaty, "How to make a decision: the analytic hierarchy process", European Journal of
 *    Operational Research 48 (1990) 9–26, the house example (8 criteria, Table 2): priorities
 *    .173 .054 .188 .018 .031 .036 .167 .333, lambda_max = 9.669, C.I. = 0.238, C.R. = 0.169.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* ---- reference values (tests/data/ahp/make_reference.py) -------------------------------- */

static const double leader_ev[] = { 0.54756923896183007, 0.12655528437341859, 0.26994992245220245,
                                    0.055925554212548988 };
static const double leader_gm[] = { 0.54624029765584603, 0.12758479400030101, 0.26980898965580474,
                                    0.056365918688048182 };
#define LEADER_LAMBDA 4.1184180243133675
#define LEADER_CR 0.043858527523469429
#define LEADER_GCI 0.15620630547879549
static const double leader_exp_ev[] = { 0.217165608802806, 0.71706504122877612,
                                        0.06576934996841792 };
#define LEADER_EXP_CR 0.031806500671051105
static const double leader_edu_ev[] = { 0.18839409663911971, 0.080961231999750638,
                                        0.73064467136112965 };
static const double leader_cha_ev[] = { 0.74286662220203759, 0.19388163339754472,
                                        0.063251744400417698 };
static const double leader_age_ev[] = { 0.26543334188349749, 0.67162545301424681,
                                        0.062941205102255648 };
static const double leader_overall[] = { 0.35813676942236533, 0.49278818823437454,
                                         0.14907504234326027 };
static const double house_ev[] = { 0.17301747464834766, 0.053975722999039306, 0.18811029885744091,
                                   0.017507911308195706, 0.031043736403902292, 0.036322202154656112,
                                   0.16683367362634793, 0.33318898000207009 };
static const double house_gm[] = { 0.17480508967594263, 0.062646513445268545, 0.14870633566110661,
                                   0.019344908653629447, 0.035570280083140206, 0.042300430157509915,
                                   0.16701626297151737, 0.34961017935188532 };
#define HOUSE_LAMBDA 9.6688873171181502
#define HOUSE_CR 0.16908686090356131
#define HOUSE_GCI 0.52915744835903789
static const double inc_harker[] = { 0.19764127859988134, 0.059228960159236149,
                                     0.21226912404681819, 0.01693806585037878,
                                     0.034202580637860865, 0.034101465042500265,
                                     0.16540037764550183, 0.28021814801782241 };
static const double inc_lls[] = { 0.18700131929679761, 0.071322074849340472, 0.1728851715721399,
                                  0.01900615048587926, 0.039767205444037133, 0.039767205444037085,
                                  0.15418771626221972, 0.31606315664554879 };
#define INC_HARKER_LAMBDA 9.4274182682772008
#define INC_LLS_LAMBDA 9.4076283694343594
#define INC_GCI 0.55167938594885979
static const double group_aij_ev[] = { 0.51491756405955524, 0.29633916518568865,
                                       0.11828616059906293, 0.070457110155693239 };
#define GROUP_AIJ_A01 1.8563660913168782
static const double group_aip_geo[] = { 0.51482651582247374, 0.29534187371968101,
                                        0.1189510551911114, 0.070880555266733772 };
static const double group_aip_ari[] = { 0.51255279142420307, 0.30319614734423117,
                                        0.11548433358575597, 0.068766727645809878 };

/* Saaty's house example, upper triangle row by row. */
static const double house_upper[] = {
    5, 3, 7, 6, 6, 1.0 / 3, 1.0 / 4,
    1.0 / 3, 5, 3, 3, 1.0 / 5, 1.0 / 7,
    6, 3, 4, 6, 1.0 / 5,
    1.0 / 3, 1.0 / 4, 1.0 / 7, 1.0 / 8,
    1.0 / 2, 1.0 / 5, 1.0 / 6,
    1.0 / 5, 1.0 / 6,
    1.0 / 2,
};
static const char *const house_names[] = { "size", "transportation", "neighborhood", "age",
                                           "yard", "modern_facilities", "general_condition",
                                           "financing" };

/* Published figures are given to 3 decimals and some are truncated rather than rounded (the
 * leader example's .547 is 0.54757), so they are checked to within 1e-3; the numpy references
 * are checked to 1e-10 or tighter. */
#define PUBLISHED_TOL 1e-3

/* ---- helpers ------------------------------------------------------------------------------ */

static void assert_close(double got, double want, double tol, const char *what)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("%s: got %.17g, want %.17g (tolerance %g)", what, got, want, tol);
}

static void assert_vec(const double *got, const double *want, size_t n, double tol,
                       const char *what)
{
    assert_non_null(got);
    for (size_t i = 0; i < n; i++) {
        char buf[96];
        snprintf(buf, sizeof buf, "%s[%zu]", what, i);
        assert_close(got[i], want[i], tol, buf);
    }
}

static tier_ahp *make_upper(size_t n, const char *const *names, const double *upper,
                            const tier_ahp_options *opts)
{
    tier_ahp *a = NULL;
    TIER_CHECK(tier_ahp_new(&a, n, names, opts));
    TIER_CHECK(tier_ahp_set_upper(a, upper));
    return a;
}

static tier_ahp *leader_matrix(tier_ahp_method method)
{
    static const char *const names[] = { "experience", "education", "charisma", "age" };
    static const double upper[] = { 4, 3, 7, 1.0 / 3, 3, 5 };
    tier_ahp_options o = TIER_AHP_OPTIONS_INIT;
    o.method = method;
    return make_upper(4, names, upper, &o);
}

/* ---- published examples ------------------------------------------------------------------- */

static void test_leader_example(void **state)
{
    (void)state;
    tier_ahp *a = leader_matrix(TIER_AHP_EIGENVECTOR);
    TIER_CHECK(tier_ahp_compute(a));
    const double *w = tier_ahp_weights(a);
    static const double published[] = { .547, .127, .270, .056 };
    assert_vec(w, published, 4, PUBLISHED_TOL, "leader published");
    assert_vec(w, leader_ev, 4, 1e-10, "leader numpy");
    assert_close(tier_ahp_lambda_max(a), LEADER_LAMBDA, 1e-10, "lambda_max");
    assert_close(tier_ahp_ci(a), (LEADER_LAMBDA - 4) / 3, 1e-10, "CI");
    assert_close(tier_ahp_cr(a), LEADER_CR, 1e-10, "CR");
    assert_close(tier_ahp_gci(a), LEADER_GCI, 1e-10, "GCI");
    assert_true(tier_ahp_is_consistent(a));
    assert_true(tier_ahp_iterations(a) >= 1 && tier_ahp_iterations(a) < 100);
    double sum = 0;
    for (int i = 0; i < 4; i++)
        sum += w[i];
    assert_close(sum, 1, 1e-15, "sum of weights");
    tier_ahp_free(a);

    /* Row geometric mean: same matrix, other method, same lambda and CR. */
    a = leader_matrix(TIER_AHP_GEOMETRIC_MEAN);
    TIER_CHECK(tier_ahp_compute(a));
    assert_vec(tier_ahp_weights(a), leader_gm, 4, 1e-12, "leader geometric mean");
    assert_close(tier_ahp_cr(a), LEADER_CR, 1e-10, "CR (geometric)");
    tier_ahp_free(a);
}

static void test_leader_synthesis(void **state)
{
    (void)state;
    /* Alternatives Tom, Dick, Harry with respect to each criterion (upper triangles). */
    static const double alt_upper[4][3] = {
        { 1.0 / 4, 4, 9 },       /* experience */
        { 3, 1.0 / 5, 1.0 / 7 }, /* education */
        { 5, 9, 4 },             /* charisma */
        { 1.0 / 3, 5, 9 },       /* age */
    };
    static const double *const refs[4] = { leader_exp_ev, leader_edu_ev, leader_cha_ev,
                                           leader_age_ev };
    static const double published_exp[] = { .217, .717, .066 };
    static const char *const names[] = { "Tom", "Dick", "Harry" };
    tier_ahp *crit = leader_matrix(TIER_AHP_EIGENVECTOR);
    TIER_CHECK(tier_ahp_compute(crit));
    double overall[3] = { 0, 0, 0 };
    for (int c = 0; c < 4; c++) {
        tier_ahp *alt = make_upper(3, names, alt_upper[c], NULL);
        TIER_CHECK(tier_ahp_compute(alt));
        assert_vec(tier_ahp_weights(alt), refs[c], 3, 1e-10, "alternatives");
        if (c == 0) {
            assert_vec(tier_ahp_weights(alt), published_exp, 3, PUBLISHED_TOL, "experience");
            assert_close(tier_ahp_cr(alt), LEADER_EXP_CR, 1e-10, "experience CR");
        }
        for (int k = 0; k < 3; k++)
            overall[k] += tier_ahp_weights(crit)[c] * tier_ahp_weights(alt)[k];
        tier_ahp_free(alt);
    }
    static const double published[] = { .358, .493, .149 };
    assert_vec(overall, published, 3, PUBLISHED_TOL, "overall published");
    assert_vec(overall, leader_overall, 3, 1e-10, "overall numpy");
    tier_ahp_free(crit);
}

static void test_saaty_house(void **state)
{
    (void)state;
    tier_ahp *a = make_upper(8, house_names, house_upper, NULL);
    /* CR 0.169 exceeds the default limit 0.10: a distinct status, results still readable. */
    TIER_EXPECT_ERROR(tier_ahp_compute(a), TIER_EINCONSISTENT, "consistency ratio 0.1691");
    assert_non_null(strstr(tier_last_error(), "'neighborhood' vs 'general_condition' = 6"));
    assert_non_null(strstr(tier_last_error(), "suggest 1.13"));
    assert_true(tier_ahp_is_computed(a));
    assert_false(tier_ahp_is_consistent(a));
    static const double published[] = { .173, .054, .188, .018, .031, .036, .167, .333 };
    assert_vec(tier_ahp_weights(a), published, 8, PUBLISHED_TOL, "house published");
    assert_vec(tier_ahp_weights(a), house_ev, 8, 1e-10, "house numpy");
    assert_close(tier_ahp_lambda_max(a), 9.669, 0.0005, "published lambda_max");
    assert_close(tier_ahp_ci(a), 0.238, 0.0005, "published CI");
    assert_close(tier_ahp_cr(a), 0.169, 0.0005, "published CR");
    assert_close(tier_ahp_lambda_max(a), HOUSE_LAMBDA, 1e-10, "lambda numpy");
    assert_close(tier_ahp_cr(a), HOUSE_CR, 1e-10, "CR numpy");
    assert_close(tier_ahp_gci(a), HOUSE_GCI, 1e-10, "GCI");
    size_t i, j;
    double sug;
    TIER_CHECK(tier_ahp_worst_judgment(&i, &j, &sug, a));
    assert_int_equal(i, 2); /* neighborhood over general condition: 6, weights say 1.128 */
    assert_int_equal(j, 6);
    assert_close(sug, 1.127531959038111, 1e-9, "suggested");
    tier_ahp_free(a);

    /* A higher limit accepts the same judgments; INFINITY accepts anything. */
    tier_ahp_options o = TIER_AHP_OPTIONS_INIT;
    o.cr_limit = 0.2;
    a = make_upper(8, house_names, house_upper, &o);
    TIER_CHECK(tier_ahp_compute(a));
    assert_true(tier_ahp_is_consistent(a));
    assert_close(tier_ahp_cr_limit(a), 0.2, 0, "limit");
    tier_ahp_free(a);

    o.method = TIER_AHP_GEOMETRIC_MEAN;
    o.cr_limit = INFINITY;
    a = make_upper(8, house_names, house_upper, &o);
    TIER_CHECK(tier_ahp_compute(a));
    assert_vec(tier_ahp_weights(a), house_gm, 8, 1e-12, "house geometric mean");
    assert_close(tier_ahp_lambda_max(a), HOUSE_LAMBDA, 1e-10, "lambda (geometric)");
    tier_ahp_free(a);
}

/* ---- properties ----------------------------------------------------------------------------- */

/* A deterministic generator for property tests. */
static double lcg(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static void test_consistent_matrix(void **state)
{
    (void)state;
    unsigned long long seed = 42;
    for (size_t n = 1; n <= TIER_AHP_MAX_CRITERIA; n++) {
        for (int method = 1; method <= 2; method++) {
            double w[TIER_AHP_MAX_CRITERIA], sum = 0;
            for (size_t i = 0; i < n; i++) {
                w[i] = 1 + 8 * lcg(&seed); /* ratios stay within 1/9 .. 9 */
                sum += w[i];
            }
            for (size_t i = 0; i < n; i++)
                w[i] /= sum;
            double *m = malloc(n * n * sizeof *m);
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++)
                    m[i * n + j] = w[i] / w[j];
            tier_ahp_options o = TIER_AHP_OPTIONS_INIT;
            o.method = (tier_ahp_method)method;
            tier_ahp *a;
            TIER_CHECK(tier_ahp_new(&a, n, NULL, &o));
            TIER_CHECK(tier_ahp_set_matrix(a, m));
            TIER_CHECK(tier_ahp_compute(a));
            assert_vec(tier_ahp_weights(a), w, n, 1e-12, "consistent weights");
            assert_close(tier_ahp_cr(a), 0, 1e-12, "consistent CR");
            assert_close(tier_ahp_ci(a), 0, 1e-12, "consistent CI");
            assert_close(tier_ahp_lambda_max(a), (double)n, 1e-11, "consistent lambda");
            assert_close(tier_ahp_gci(a), 0, 1e-12, "consistent GCI");
            assert_true(tier_ahp_iterations(a) <= 2);
            tier_ahp_free(a);
            free(m);
        }
    }
}

static void test_permutation(void **state)
{
    (void)state;
    static const size_t perm[8] = { 5, 2, 7, 0, 3, 6, 1, 4 }; /* new index k holds old perm[k] */
    double full[64], pfull[64];
    tier_ahp *a = make_upper(8, house_names, house_upper, NULL);
    for (size_t i = 0; i < 8; i++)
        for (size_t j = 0; j < 8; j++)
            TIER_CHECK(tier_ahp_judgment(&full[i * 8 + j], a, i, j));
    const char *pnames[8];
    for (size_t i = 0; i < 8; i++) {
        pnames[i] = house_names[perm[i]];
        for (size_t j = 0; j < 8; j++)
            pfull[i * 8 + j] = full[perm[i] * 8 + perm[j]];
    }
    for (int method = 1; method <= 2; method++) {
        tier_ahp_options o = TIER_AHP_OPTIONS_INIT;
        o.method = (tier_ahp_method)method;
        o.cr_limit = INFINITY;
        tier_ahp *x, *y;
        TIER_CHECK(tier_ahp_new(&x, 8, house_names, &o));
        TIER_CHECK(tier_ahp_set_matrix(x, full));
        TIER_CHECK(tier_ahp_new(&y, 8, pnames, &o));
        TIER_CHECK(tier_ahp_set_matrix(y, pfull));
        TIER_CHECK(tier_ahp_compute(x));
        TIER_CHECK(tier_ahp_compute(y));
        for (size_t k = 0; k < 8; k++)
            assert_close(tier_ahp_weights(y)[k], tier_ahp_weights(x)[perm[k]], 1e-13, "permuted");
        assert_close(tier_ahp_cr(y), tier_ahp_cr(x), 1e-12, "permuted CR");
        size_t i1, j1, i2, j2;
        TIER_CHECK(tier_ahp_worst_judgment(&i1, &j1, NULL, x));
        TIER_CHECK(tier_ahp_worst_judgment(&i2, &j2, NULL, y));
        assert_int_equal(perm[i2], i1);
        assert_int_equal(perm[j2], j1);
        tier_ahp_free(x);
        tier_ahp_free(y);
    }
    tier_ahp_free(a);
}

static void test_worst_judgment_perturbed(void **state)
{
    (void)state;
    /* A consistent 5x5 matrix with one judgment spoiled: that judgment is the worst. */
    static const double w[5] = { 8, 4, 2, 1, 1 };
    tier_ahp *a;
    TIER_CHECK(tier_ahp_new(&a, 5, NULL, NULL));
    for (size_t i = 0; i < 5; i++)
        for (size_t j = i + 1; j < 5; j++)
            TIER_CHECK(tier_ahp_set(a, i, j, w[i] / w[j]));
    TIER_CHECK(tier_ahp_set(a, 3, 1, 3)); /* should be 1/4 */
    int rc = tier_ahp_compute(a);
    assert_true(rc == TIER_EINCONSISTENT);
    size_t i, j;
    double sug;
    TIER_CHECK(tier_ahp_worst_judgment(&i, &j, &sug, a));
    assert_int_equal(i, 3);
    assert_int_equal(j, 1);
    assert_true(sug < 1); /* the weights still say 1 is more important than 3 */
    assert_non_null(strstr(tier_last_error(), "'c4' vs 'c2' = 3"));
    tier_ahp_free(a);
}

static void test_small_sizes(void **state)
{
    (void)state;
    tier_ahp *a;
    TIER_CHECK(tier_ahp_new(&a, 1, NULL, NULL));
    TIER_CHECK(tier_ahp_compute(a));
    assert_close(tier_ahp_weights(a)[0], 1, 0, "n=1");
    assert_close(tier_ahp_cr(a), 0, 0, "n=1 CR");
    size_t i, j;
    TIER_EXPECT_ERROR(tier_ahp_worst_judgment(&i, &j, NULL, a), TIER_EEMPTY, "single");
    tier_ahp_free(a);

    static const char *const names[] = { "monetary", "frequency" };
    TIER_CHECK(tier_ahp_new(&a, 2, names, NULL));
    TIER_CHECK(tier_ahp_set_by_name(a, "frequency", "monetary", 1.0 / 3));
    TIER_CHECK(tier_ahp_compute(a));
    assert_close(tier_ahp_weights(a)[0], 0.75, 1e-15, "n=2");
    assert_close(tier_ahp_weights(a)[1], 0.25, 1e-15, "n=2");
    assert_close(tier_ahp_lambda_max(a), 2, 0, "n=2 lambda");
    assert_close(tier_ahp_cr(a), 0, 0, "n=2 CR");
    assert_close(tier_ahp_ci(a), 0, 0, "n=2 CI");
    double v;
    TIER_CHECK(tier_ahp_judgment(&v, a, 0, 1));
    assert_close(v, 3, 0, "reciprocal stored exactly");
    tier_ahp_free(a);
}

static void test_random_index(void **state)
{
    (void)state;
    static const double saaty[16] = { 0, 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49,
                                      1.51, 1.48, 1.56, 1.57, 1.59 };
    for (size_t n = 1; n <= 15; n++)
        assert_close(tier_ahp_random_index(n), saaty[n], 0, "Saaty RI");
    for (size_t n = 16; n <= 32; n++) {
        double ri = (1.7699 * (double)n - 4.3513) / (double)(n - 1);
        assert_close(tier_ahp_random_index(n), ri, 1e-15, "Alonso-Lamata RI");
        assert_true(ri > 1.58 && ri < 1.70);
    }
    assert_true(isnan(tier_ahp_random_index(0)));
    assert_true(isnan(tier_ahp_random_index(33)));
}

static void test_large_inconsistent_converges(void **state)
{
    (void)state;
    /* Random judgments on the full 1/9..9 scale at n = 32: wildly inconsistent, still converges
     * (Perron root simple and dominant), and the result is a fixed point to 1e-12. */
    unsigned long long seed = 7;
    static const double scale[17] = { 1.0 / 9, 1.0 / 8, 1.0 / 7, 1.0 / 6, 1.0 / 5, 1.0 / 4,
                                      1.0 / 3, 1.0 / 2, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    for (int rep = 0; rep < 20; rep++) {
        size_t n = 3 + (size_t)(lcg(&seed) * 30);
        tier_ahp *a;
        TIER_CHECK(tier_ahp_new(&a, n, NULL, NULL));
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                TIER_CHECK(tier_ahp_set(a, i, j, scale[(int)(lcg(&seed) * 17)]));
        int rc = tier_ahp_compute(a);
        assert_true(rc == TIER_OK || rc == TIER_EINCONSISTENT);
        const double *w = tier_ahp_weights(a);
        double lam = tier_ahp_lambda_max(a);
        for (size_t i = 0; i < n; i++) {
            double aw = 0, v;
            for (size_t j = 0; j < n; j++) {
                TIER_CHECK(tier_ahp_judgment(&v, a, i, j));
                aw += v * w[j];
            }
            assert_close(aw / lam, w[i], 1e-11, "eigen residual");
        }
        assert_true(tier_ahp_iterations(a) < 10000);
        tier_ahp_free(a);
    }
}

static void test_not_converged(void **state)
{
    (void)state;
    tier_ahp_options o = TIER_AHP_OPTIONS_INIT;
    o.max_iterations = 1;
    tier_ahp *a = make_upper(8, house_names, house_upper, &o);
    TIER_EXPECT_ERROR(tier_ahp_compute(a), TIER_ENOTCONVERGED, "within 1 iterations");
    assert_false(tier_ahp_is_computed(a));
    assert_null(tier_ahp_weights(a));
    assert_true(isnan(tier_ahp_cr(a)));
    tier_ahp_free(a);
}

/* ---- input errors --------------------------------------------------------------------------- */

static void test_value_errors(void **state)
{
    (void)state;
    static const char *const names[] = { "monetary", "frequency", "recency" };
    tier_ahp *a;
    TIER_CHECK(tier_ahp_new(&a, 3, names, NULL));
    TIER_EXPECT_ERROR(tier_ahp_set(a, 0, 1, 0), TIER_ERANGE,
                      "judgment 'monetary' vs 'frequency' is zero");
    TIER_EXPECT_ERROR(tier_ahp_set(a, 0, 1, -3), TIER_ERANGE, "enter 1/3");
    TIER_EXPECT_ERROR(tier_ahp_set(a, 0, 1, NAN), TIER_ERANGE, "is NaN");
    TIER_EXPECT_ERROR(tier_ahp_set(a, 0, 1, INFINITY), TIER_ERANGE, "infinite");
    TIER_EXPECT_ERROR(tier_ahp_set(a, 0, 1, 10), TIER_ERANGE, "outside the scale 1/9 .. 9");
    TIER_EXPECT_ERROR(tier_ahp_set(a, 0, 1, 0.1), TIER_ERANGE, "outside the scale");
    TIER_CHECK(tier_ahp_set(a, 0, 1, 0.111)); /* 1/9 typed as a decimal */
    TIER_CHECK(tier_ahp_set(a, 0, 1, 9));
    TIER_EXPECT_ERROR(tier_ahp_set(a, 1, 1, 2), TIER_EINVAL, "diagonal");
    TIER_EXPECT_ERROR(tier_ahp_set(a, 0, 3, 2), TIER_EINVAL, "out of range");
    TIER_EXPECT_ERROR(tier_ahp_set_by_name(a, "monetry", "recency", 2), TIER_ENOTFOUND,
                      "did you mean 'monetary'");
    /* A failing upper triangle leaves the matrix unchanged. */
    static const double bad_upper[] = { 2, 3, -1 };
    TIER_EXPECT_ERROR(tier_ahp_set_upper(a, bad_upper), TIER_ERANGE,
                      "upper[2] = matrix[1][2] ('frequency' vs 'recency')");
    double v;
    TIER_CHECK(tier_ahp_judgment(&v, a, 0, 1));
    assert_close(v, 9, 0, "unchanged");
    assert_int_equal(tier_ahp_missing_count(a), 2);
    tier_ahp_free(a);

    /* Options and names. */
    tier_ahp_options o = TIER_AHP_OPTIONS_INIT;
    o.scale_max = 1;
    TIER_EXPECT_ERROR(tier_ahp_new(&a, 3, NULL, &o), TIER_EINVAL, "scale_max");
    assert_null(a);
    o = (tier_ahp_options)TIER_AHP_OPTIONS_INIT;
    o.cr_limit = NAN;
    TIER_EXPECT_ERROR(tier_ahp_new(&a, 3, NULL, &o), TIER_EINVAL, "cr_limit");
    o = (tier_ahp_options)TIER_AHP_OPTIONS_INIT;
    o.version = 99;
    TIER_EXPECT_ERROR(tier_ahp_new(&a, 3, NULL, &o), TIER_EVERSION, "version 99");
    TIER_EXPECT_ERROR(tier_ahp_new(&a, 0, NULL, NULL), TIER_EINVAL, "0 criteria");
    TIER_EXPECT_ERROR(tier_ahp_new(&a, 33, NULL, NULL), TIER_EINVAL, "33 criteria");
    static const char *const dup[] = { "a", "b", "a" };
    TIER_EXPECT_ERROR(tier_ahp_new(&a, 3, dup, NULL), TIER_EINVAL, "'a' is given twice");
    static const char *const empty[] = { "a", "" };
    TIER_EXPECT_ERROR(tier_ahp_new(&a, 2, empty, NULL), TIER_EINVAL, "empty");
    TIER_CHECK(tier_ahp_options_init(&o, TIER_AHP_OPTIONS_VERSION));
    assert_close(o.cr_limit, 0.10, 0, "default limit");
    assert_close(o.scale_max, 9, 0, "default scale");
    assert_int_equal(o.method, TIER_AHP_EIGENVECTOR);
    TIER_EXPECT_ERROR(tier_ahp_options_init(&o, 2), TIER_EVERSION, "version 2");
}

static void test_full_matrix_reciprocity(void **state)
{
    (void)state;
    static const char *const names[] = { "experience", "education", "charisma" };
    tier_ahp *a;
    TIER_CHECK(tier_ahp_new(&a, 3, names, NULL));
    /* Typed decimals within the tolerance: the integer wins, its reciprocal replaces 0.333. */
    const double ok[9] = { 1, 3, 0.2, 0.333, 1, NAN, 5, 7, 1 };
    TIER_CHECK(tier_ahp_set_matrix(a, ok));
    double v;
    TIER_CHECK(tier_ahp_judgment(&v, a, 1, 0));
    assert_true(v == 1.0 / 3);
    TIER_CHECK(tier_ahp_judgment(&v, a, 1, 2)); /* lone entry: reciprocal of 7 */
    assert_true(v == 1.0 / 7);
    assert_int_equal(tier_ahp_missing_count(a), 0);
    /* Whichever side holds the entry >= 1, it is kept bit for bit. */
    const double flip[9] = { 1, 0.4, NAN, 2.5, 1, NAN, NAN, NAN, 1 };
    TIER_CHECK(tier_ahp_set_matrix(a, flip));
    TIER_CHECK(tier_ahp_judgment(&v, a, 1, 0));
    assert_true(v == 2.5);
    TIER_CHECK(tier_ahp_judgment(&v, a, 0, 1));
    assert_true(v == 1 / 2.5);
    assert_int_equal(tier_ahp_missing_count(a), 2);
    TIER_CHECK(tier_ahp_set_matrix(a, ok));

    const double bad[9] = { 1, 3, 5, 3, 1, 1, 0.2, 1, 1 };
    TIER_EXPECT_ERROR(tier_ahp_set_matrix(a, bad), TIER_ERANGE,
                      "matrix[0][1] ('experience' vs 'education') = 3 and matrix[1][0] = 3 are "
                      "not reciprocal: their product is 9");
    const double diag[9] = { 1, 3, 5, 1.0 / 3, 2, 1, 0.2, 1, 1 };
    TIER_EXPECT_ERROR(tier_ahp_set_matrix(a, diag), TIER_ERANGE,
                      "matrix[1][1] ('education') = 2: the diagonal must be 1");
    const double neg[9] = { 1, 3, 5, 1.0 / 3, 1, 1, 0.2, -1, 1 };
    TIER_EXPECT_ERROR(tier_ahp_set_matrix(a, neg), TIER_ERANGE,
                      "matrix[2][1] ('charisma' vs 'education') is negative");
    /* Unchanged by the failures. */
    TIER_CHECK(tier_ahp_judgment(&v, a, 2, 1));
    assert_close(v, 7, 0, "unchanged");
    tier_ahp_free(a);
}

/* ---- missing judgments ---------------------------------------------------------------------- */

static tier_ahp *house_incomplete(tier_ahp_method method)
{
    tier_ahp_options o = TIER_AHP_OPTIONS_INIT;
    o.method = method;
    o.cr_limit = INFINITY;
    tier_ahp *a = make_upper(8, house_names, house_upper, &o);
    TIER_CHECK(tier_ahp_unset(a, 0, 3));
    TIER_CHECK(tier_ahp_unset(a, 6, 1));
    TIER_CHECK(tier_ahp_unset(a, 2, 7));
    TIER_CHECK(tier_ahp_unset(a, 4, 5));
    assert_int_equal(tier_ahp_missing_count(a), 4);
    return a;
}

static void test_incomplete_harker(void **state)
{
    (void)state;
    tier_ahp *a = house_incomplete(TIER_AHP_EIGENVECTOR);
    TIER_CHECK(tier_ahp_compute(a));
    const double *w = tier_ahp_weights(a);
    assert_vec(w, inc_harker, 8, 1e-10, "Harker");
    assert_close(tier_ahp_lambda_max(a), INC_HARKER_LAMBDA, 1e-9, "Harker lambda");
    /* Fill values are w_i / w_j; entered judgments are kept. */
    double v, j;
    TIER_CHECK(tier_ahp_completed(&v, a, 0, 3));
    assert_close(v, w[0] / w[3], 1e-15, "fill (0,3)");
    TIER_CHECK(tier_ahp_completed(&v, a, 3, 0));
    assert_close(v, w[3] / w[0], 1e-15, "fill (3,0)");
    TIER_CHECK(tier_ahp_judgment(&j, a, 0, 3));
    assert_true(isnan(j));
    TIER_CHECK(tier_ahp_completed(&v, a, 0, 1));
    assert_close(v, 5, 0, "entered kept");
    /* lambda_max is the completed matrix's: w is its eigenvector. */
    for (size_t r = 0; r < 8; r++) {
        double s = 0;
        for (size_t c = 0; c < 8; c++) {
            TIER_CHECK(tier_ahp_completed(&v, a, r, c));
            s += v * w[c];
        }
        assert_close(s, tier_ahp_lambda_max(a) * w[r], 1e-10, "completed eigen");
    }
    tier_ahp_free(a);
}

static void test_incomplete_lls(void **state)
{
    (void)state;
    tier_ahp *a = house_incomplete(TIER_AHP_GEOMETRIC_MEAN);
    TIER_CHECK(tier_ahp_compute(a));
    assert_vec(tier_ahp_weights(a), inc_lls, 8, 1e-12, "LLS");
    assert_close(tier_ahp_lambda_max(a), INC_LLS_LAMBDA, 1e-9, "LLS lambda");
    assert_close(tier_ahp_gci(a), INC_GCI, 1e-10, "incomplete GCI");
    tier_ahp_free(a);

    /* A consistent matrix with only a spanning tree of judgments is recovered exactly. */
    static const double w[6] = { 0.3, 0.2, 0.15, 0.15, 0.12, 0.08 };
    for (int method = 1; method <= 2; method++) {
        tier_ahp_options o = TIER_AHP_OPTIONS_INIT;
        o.method = (tier_ahp_method)method;
        TIER_CHECK(tier_ahp_new(&a, 6, NULL, &o));
        for (size_t i = 1; i < 6; i++) /* a path 0-1-2-3-4-5 */
            TIER_CHECK(tier_ahp_set(a, i - 1, i, w[i - 1] / w[i]));
        assert_int_equal(tier_ahp_missing_count(a), 10);
        TIER_CHECK(tier_ahp_compute(a));
        assert_vec(tier_ahp_weights(a), w, 6, 1e-12, "tree recovered");
        assert_close(tier_ahp_cr(a), 0, 1e-12, "tree CR");
        assert_close(tier_ahp_gci(a), 0, 0, "tree GCI (no redundancy)");
        double v;
        TIER_CHECK(tier_ahp_completed(&v, a, 0, 5));
        assert_close(v, w[0] / w[5], 1e-12, "tree fill");
        tier_ahp_free(a);
    }
}

static void test_incomplete_disconnected(void **state)
{
    (void)state;
    static const char *const names[] = { "recency", "frequency", "monetary", "tenure" };
    tier_ahp *a;
    TIER_CHECK(tier_ahp_new(&a, 4, names, NULL));
    TIER_CHECK(tier_ahp_set(a, 0, 1, 2));
    TIER_CHECK(tier_ahp_set(a, 2, 3, 3));
    TIER_EXPECT_ERROR(tier_ahp_compute(a), TIER_EINVAL,
                      "2 unconnected groups {recency, frequency} and {monetary, tenure}");
    assert_false(tier_ahp_is_computed(a));
    TIER_CHECK(tier_ahp_set(a, 1, 2, 1));
    TIER_CHECK(tier_ahp_compute(a));
    tier_ahp_free(a);

    TIER_CHECK(tier_ahp_new(&a, 3, NULL, NULL)); /* nothing entered at all */
    TIER_EXPECT_ERROR(tier_ahp_compute(a), TIER_EINVAL, "3 unconnected groups");
    tier_ahp_free(a);
}

/* ---- groups --------------------------------------------------------------------------------- */

static void test_group(void **state)
{
    (void)state;
    static const char *const names[] = { "monetary", "frequency", "recency", "tenure" };
    static const char *const shuffled[] = { "tenure", "recency", "monetary", "frequency" };
    static const double u1[] = { 3, 5, 7, 2, 3, 2 };
    static const double u2[] = { 2, 4, 9, 3, 5, 1 };
    static const double u3[] = { 1.0 / 2, 3, 5, 5, 7, 3 };
    tier_ahp *j1 = make_upper(4, names, u1, NULL);
    tier_ahp *j2 = make_upper(4, names, u2, NULL);
    tier_ahp *j3 = make_upper(4, names, u3, NULL);
    /* Judge 3 enters the same judgments with the criteria in another order. */
    tier_ahp *j3s;
    TIER_CHECK(tier_ahp_new(&j3s, 4, shuffled, NULL));
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 4; j++) {
            double v;
            size_t si, sj;
            TIER_CHECK(tier_ahp_judgment(&v, j3, i, j));
            TIER_CHECK(tier_ahp_find(&si, j3s, names[i]));
            TIER_CHECK(tier_ahp_find(&sj, j3s, names[j]));
            if (i < j)
                TIER_CHECK(tier_ahp_set(j3s, si, sj, v));
        }
    const tier_ahp *judges[] = { j1, j2, j3s };
    static const double jw[] = { 5, 3, 2 }; /* normalised to 0.5, 0.3, 0.2 */
    tier_ahp *g;
    TIER_CHECK(tier_ahp_aggregate_judgments(&g, judges, 3, jw, NULL));
    double v;
    TIER_CHECK(tier_ahp_judgment(&v, g, 0, 1));
    assert_close(v, GROUP_AIJ_A01, 1e-13, "AIJ a01");
    TIER_CHECK(tier_ahp_judgment(&v, g, 1, 0));
    assert_close(v, 1 / GROUP_AIJ_A01, 1e-13, "AIJ reciprocal");
    TIER_CHECK(tier_ahp_compute(g));
    assert_vec(tier_ahp_weights(g), group_aij_ev, 4, 1e-10, "AIJ weights");
    assert_string_equal(tier_ahp_name(g, 0), "monetary");
    tier_ahp_free(g);

    /* AIP needs computed judges. */
    double w[4];
    TIER_EXPECT_ERROR(tier_ahp_aggregate_priorities(w, judges, 3, jw, TIER_AHP_MEAN_GEOMETRIC),
                      TIER_ENOTFITTED, "judge 0 is not computed");
    for (int k = 0; k < 3; k++) {
        int rc = tier_ahp_compute((tier_ahp *)judges[k]);
        assert_true(rc == TIER_OK || rc == TIER_EINCONSISTENT);
    }
    TIER_CHECK(tier_ahp_aggregate_priorities(w, judges, 3, jw, TIER_AHP_MEAN_GEOMETRIC));
    assert_vec(w, group_aip_geo, 4, 1e-10, "AIP geometric");
    TIER_CHECK(tier_ahp_aggregate_priorities(w, judges, 3, jw, TIER_AHP_MEAN_ARITHMETIC));
    assert_vec(w, group_aip_ari, 4, 1e-10, "AIP arithmetic");

    /* One judge, equal weights: AIJ reproduces the judge. */
    TIER_CHECK(tier_ahp_aggregate_judgments(&g, judges, 1, NULL, NULL));
    TIER_CHECK(tier_ahp_compute(g));
    assert_vec(tier_ahp_weights(g), tier_ahp_weights(j1), 4, 1e-14, "single judge");
    tier_ahp_free(g);

    /* Errors. */
    static const double zero[] = { 0, 0, 0 };
    TIER_EXPECT_ERROR(tier_ahp_aggregate_judgments(&g, judges, 3, zero, NULL), TIER_EINVAL,
                      "sum to 0");
    static const double negw[] = { 1, -1, 1 };
    TIER_EXPECT_ERROR(tier_ahp_aggregate_judgments(&g, judges, 3, negw, NULL), TIER_EINVAL,
                      "judge weight 1 is -1");
    TIER_EXPECT_ERROR(tier_ahp_aggregate_judgments(&g, judges, 0, NULL, NULL), TIER_EINVAL,
                      "no judges");
    static const char *const other[] = { "monetary", "frequency", "recency", "age" };
    tier_ahp *j4 = make_upper(4, other, u1, NULL);
    const tier_ahp *bad[] = { j1, j4 };
    TIER_EXPECT_ERROR(tier_ahp_aggregate_judgments(&g, bad, 2, NULL, NULL), TIER_EINVAL,
                      "judge 1 has no criterion 'tenure'");
    assert_null(g);

    /* Missing judgments: the mean over the judges who gave one. */
    TIER_CHECK(tier_ahp_unset(j4, 0, 1));
    tier_ahp *j1b;
    TIER_CHECK(tier_ahp_copy(&j1b, j1));
    TIER_CHECK(tier_ahp_unset(j1b, 0, 1));
    TIER_CHECK(tier_ahp_unset(j1b, 2, 3));
    const tier_ahp *mix[] = { j1b, j2 };
    TIER_CHECK(tier_ahp_aggregate_judgments(&g, mix, 2, NULL, NULL));
    TIER_CHECK(tier_ahp_judgment(&v, g, 0, 1));
    assert_close(v, 2, 1e-14, "only judge 2 gave (0,1)");
    TIER_CHECK(tier_ahp_judgment(&v, g, 0, 2));
    assert_close(v, sqrt(5 * 4), 1e-13, "both gave (0,2)");
    tier_ahp_free(g);
    tier_ahp_free(j1b);
    tier_ahp_free(j4);
    tier_ahp_free(j1);
    tier_ahp_free(j2);
    tier_ahp_free(j3);
    tier_ahp_free(j3s);
}

/* ---- hierarchies ---------------------------------------------------------------------------- */

static void test_hierarchy(void **state)
{
    (void)state;
    tier_ahp_hierarchy *h;
    TIER_CHECK(tier_ahp_hierarchy_new(&h, "customer value", NULL));
    TIER_CHECK(tier_ahp_hierarchy_add(NULL, h, NULL, "behaviour"));
    TIER_CHECK(tier_ahp_hierarchy_add(NULL, h, NULL, "relationship"));
    size_t idx;
    TIER_CHECK(tier_ahp_hierarchy_add(&idx, h, "behaviour", "recency"));
    assert_int_equal(idx, 3);
    TIER_CHECK(tier_ahp_hierarchy_add(NULL, h, "behaviour", "frequency"));
    TIER_CHECK(tier_ahp_hierarchy_add(NULL, h, "behaviour", "monetary"));
    TIER_CHECK(tier_ahp_hierarchy_add(NULL, h, "relationship", "tenure"));
    TIER_EXPECT_ERROR(tier_ahp_hierarchy_add(NULL, h, "behavior", "x"), TIER_ENOTFOUND,
                      "did you mean 'behaviour'");
    TIER_EXPECT_ERROR(tier_ahp_hierarchy_add(NULL, h, NULL, "tenure"), TIER_EEXISTS, "'tenure'");
    TIER_EXPECT_ERROR(tier_ahp_hierarchy_compute(h), TIER_EINVAL,
                      "'customer value' has 2 children but neither");

    static const char *const top[] = { "relationship", "behaviour" };
    tier_ahp *m = make_upper(2, top, (const double[]){ 1.0 / 3 }, NULL); /* behaviour 3x */
    TIER_CHECK(tier_ahp_hierarchy_set_judgments(h, "customer value", m));
    tier_ahp_free(m);
    static const char *const beh[] = { "monetary", "frequency", "recency" };
    static const double beh_u[] = { 3, 5, 2 };
    m = make_upper(3, beh, beh_u, NULL);
    static const char *const wrong[] = { "monetary", "frequency", "tenure" };
    tier_ahp *mw = make_upper(3, wrong, beh_u, NULL);
    TIER_EXPECT_ERROR(tier_ahp_hierarchy_set_judgments(h, "behaviour", mw), TIER_EINVAL,
                      "do not compare its child 'recency'");
    tier_ahp_free(mw);
    TIER_CHECK(tier_ahp_hierarchy_set_judgments(h, "behaviour", m));
    TIER_CHECK(tier_ahp_compute(m));
    TIER_CHECK(tier_ahp_hierarchy_compute(h)); /* relationship has one child: weight 1 */

    const double *bw = tier_ahp_weights(m); /* monetary, frequency, recency */
    size_t rec, mon, ten, beh_i, rel;
    TIER_CHECK(tier_ahp_hierarchy_find(&rec, h, "recency"));
    TIER_CHECK(tier_ahp_hierarchy_find(&mon, h, "monetary"));
    TIER_CHECK(tier_ahp_hierarchy_find(&ten, h, "tenure"));
    TIER_CHECK(tier_ahp_hierarchy_find(&beh_i, h, "behaviour"));
    TIER_CHECK(tier_ahp_hierarchy_find(&rel, h, "relationship"));
    assert_close(tier_ahp_hierarchy_local_weight(h, beh_i), 0.75, 1e-15, "behaviour local");
    assert_close(tier_ahp_hierarchy_local_weight(h, rec), bw[2], 0, "recency local");
    assert_close(tier_ahp_hierarchy_global_weight(h, rec), 0.75 * bw[2], 1e-16, "recency global");
    assert_close(tier_ahp_hierarchy_global_weight(h, mon), 0.75 * bw[0], 1e-16, "monetary global");
    assert_close(tier_ahp_hierarchy_local_weight(h, ten), 1, 0, "single child");
    assert_close(tier_ahp_hierarchy_global_weight(h, ten), 0.25, 1e-15, "tenure global");
    assert_close(tier_ahp_hierarchy_global_weight(h, 0), 1, 0, "goal");
    /* Leaves in depth-first order; their global weights sum to 1. */
    assert_int_equal(tier_ahp_hierarchy_leaf_count(h), 4);
    static const char *const leaves[] = { "recency", "frequency", "monetary", "tenure" };
    double sum = 0;
    for (size_t k = 0; k < 4; k++) {
        size_t li;
        TIER_CHECK(tier_ahp_hierarchy_leaf(&li, h, k));
        assert_string_equal(tier_ahp_hierarchy_node_name(h, li), leaves[k]);
        sum += tier_ahp_hierarchy_global_weight(h, li);
    }
    assert_close(sum, 1, 1e-15, "leaves sum");
    size_t p;
    TIER_CHECK(tier_ahp_hierarchy_parent(&p, h, rec));
    assert_int_equal(p, beh_i);
    assert_int_equal(tier_ahp_hierarchy_depth(h, rec), 2);
    assert_int_equal(tier_ahp_hierarchy_child_count(h, beh_i), 3);
    TIER_EXPECT_ERROR(tier_ahp_hierarchy_parent(&p, h, 0), TIER_ENOTFOUND, "no parent");
    assert_non_null(tier_ahp_hierarchy_judgments(h, beh_i));
    assert_close(tier_ahp_cr(tier_ahp_hierarchy_judgments(h, beh_i)), tier_ahp_cr(m), 0, "node CR");

    /* Explicit weights; adding a child afterwards is reported at compute. */
    TIER_CHECK(tier_ahp_hierarchy_set_weights(h, "behaviour", (const double[]){ 1, 1, 2 }));
    TIER_CHECK(tier_ahp_hierarchy_compute(h));
    assert_close(tier_ahp_hierarchy_global_weight(h, mon), 0.75 * 0.5, 1e-15, "explicit");
    TIER_CHECK(tier_ahp_hierarchy_add(NULL, h, "relationship", "returns"));
    TIER_EXPECT_ERROR(tier_ahp_hierarchy_compute(h), TIER_EINVAL,
                      "'relationship' has 2 children");
    assert_true(isnan(tier_ahp_hierarchy_global_weight(h, mon)));
    tier_ahp_free(m);
    tier_ahp_hierarchy_free(h);
}

static void test_hierarchy_inconsistent_node(void **state)
{
    (void)state;
    tier_ahp_hierarchy *h;
    TIER_CHECK(tier_ahp_hierarchy_new(&h, "house", NULL));
    for (size_t i = 0; i < 8; i++)
        TIER_CHECK(tier_ahp_hierarchy_add(NULL, h, NULL, house_names[i]));
    tier_ahp *m = make_upper(8, house_names, house_upper, NULL);
    TIER_CHECK(tier_ahp_hierarchy_set_judgments(h, "house", m));
    TIER_EXPECT_ERROR(tier_ahp_hierarchy_compute(h), TIER_EINCONSISTENT, "'house' (CR 0.169");
    assert_close(tier_ahp_hierarchy_global_weight(h, 8), house_ev[7], 1e-10, "still computed");
    tier_ahp_free(m);
    tier_ahp_hierarchy_free(h);
}

/* ---- text format ---------------------------------------------------------------------------- */

static void test_text_formats(void **state)
{
    (void)state;
    static const char pairs[] =
        "# leader example criteria\n"
        "experience education charisma age\n"
        "experience education 4\n"
        "experience charisma 3   # a comment\n"
        "experience,age,7\n"
        "education charisma 1/3\n"
        "\n"
        "education age 3\n"
        "charisma age 5\n";
    tier_ahp *a;
    TIER_CHECK(tier_ahp_parse(&a, pairs, strlen(pairs), "pairs.txt", NULL));
    TIER_CHECK(tier_ahp_compute(a));
    assert_vec(tier_ahp_weights(a), leader_ev, 4, 1e-10, "pairs");
    tier_ahp_free(a);

    static const char matrix[] =
        "experience education charisma age\r\n"
        "experience 1   4   3   7\r\n"
        "education  1/4 1   1/3 3\r\n"
        "charisma   0.333 3 1   5\r\n"
        "age        -   -   -   1\r\n";
    TIER_CHECK(tier_ahp_parse(&a, matrix, strlen(matrix), "matrix.txt", NULL));
    TIER_CHECK(tier_ahp_compute(a));
    assert_vec(tier_ahp_weights(a), leader_ev, 4, 1e-10, "matrix");
    tier_ahp_free(a);

    static const char unnamed[] =
        "a b c\n"
        "1 2 ?\n"
        "- 1 3\n"
        "- - 1\n";
    TIER_CHECK(tier_ahp_parse(&a, unnamed, strlen(unnamed), NULL, NULL));
    assert_int_equal(tier_ahp_missing_count(a), 1);
    TIER_CHECK(tier_ahp_compute(a));
    double v;
    TIER_CHECK(tier_ahp_completed(&v, a, 0, 2));
    assert_close(v, 6, 1e-12, "filled by the chain");
    tier_ahp_free(a);

    /* The file shipped with the example program. */
    TIER_CHECK(tier_ahp_load_text(&a, example_data_path("ahp/leader.txt"), NULL));
    TIER_CHECK(tier_ahp_compute(a));
    assert_vec(tier_ahp_weights(a), leader_ev, 4, 1e-10, "example file");
    tier_ahp_free(a);
    TIER_CHECK(tier_ahp_load_text(&a, example_data_path("ahp/house.txt"), NULL));
    TIER_EXPECT_ERROR(tier_ahp_compute(a), TIER_EINCONSISTENT, "'neighborhood' vs");
    assert_vec(tier_ahp_weights(a), house_ev, 8, 1e-10, "house file");
    tier_ahp_free(a);
}

static void expect_parse_error(const char *text, int status, const char *needle)
{
    tier_ahp *a = (tier_ahp *)1;
    TIER_EXPECT_ERROR(tier_ahp_parse(&a, text, strlen(text), "w.txt", NULL), status, needle);
    assert_null(a);
}

static void test_text_errors(void **state)
{
    (void)state;
    expect_parse_error("", TIER_EPARSE, "w.txt: no criteria");
    expect_parse_error("# only a comment\n\n", TIER_EPARSE, "no criteria");
    expect_parse_error("a 2b c\n", TIER_EPARSE, "w.txt:1:3: the first line must list");
    expect_parse_error("a b a\n", TIER_EPARSE, "w.txt:1:5: criterion 'a' is listed twice");
    expect_parse_error("monetary frequency\nmonetry frequency 3\n", TIER_EPARSE,
                       "w.txt:2:1: unknown criterion 'monetry' (did you mean 'monetary'?)");
    expect_parse_error("a b\na b x3\n", TIER_EPARSE, "w.txt:2:5: 'x3' is not a number");
    expect_parse_error("a b\na b 0\n", TIER_ERANGE, "w.txt:2:5: judgment 'a' vs 'b' is zero");
    expect_parse_error("a b\na b 1/0\n", TIER_ERANGE, "w.txt:2:5: value '1/0' divides by zero");
    expect_parse_error("a b\na b 12\n", TIER_ERANGE, "outside the scale 1/9 .. 9");
    expect_parse_error("a b\na b -inf\n", TIER_ERANGE, "w.txt:2:5: value '-inf' is not finite");
    expect_parse_error("a b\na b\n", TIER_EPARSE, "the value is missing");
    expect_parse_error("a b\na a 3\n", TIER_EPARSE, "compared with itself");
    expect_parse_error("a b\na b 3\na b 3\n", TIER_EPARSE,
                       "w.txt:3:5: judgment 'a' vs 'b' is given twice (first at line 2)");
    expect_parse_error("a b\na b 3\nb a 3\n", TIER_ERANGE,
                       "w.txt:3:5: judgment 'b' vs 'a' = 3 and 'a' vs 'b' = 3 (line 2, column 5) "
                       "are not reciprocal");
    expect_parse_error("a b c\na 1 2\n", TIER_EPARSE, "w.txt:2:1: matrix row has 2 values, "
                       "expected 3");
    expect_parse_error("a b\n1 2\n- 1\n1 1\n", TIER_EPARSE, "w.txt:4:1: more matrix rows");
    expect_parse_error("a b\na 2 3\n", TIER_ERANGE, "w.txt:2:3: diagonal entry 'a' vs itself is 2");
    tier_ahp *a;
    TIER_EXPECT_ERROR(tier_ahp_load_text(&a, "/nonexistent/w.txt", NULL), TIER_EIO,
                      "/nonexistent/w.txt: cannot open");
}

/* ---- allocator ------------------------------------------------------------------------------ */

static void test_allocator(void **state)
{
    (void)state;
    test_alloc c = { 0 };
    tier_allocator al = test_allocator_of(&c);
    tier_ahp_options o = TIER_AHP_OPTIONS_INIT;
    o.allocator = &al;
    tier_ahp *a = make_upper(8, house_names, house_upper, &o);
    tier_ahp *b;
    TIER_CHECK(tier_ahp_copy(&b, a));
    tier_ahp_hierarchy *h;
    TIER_CHECK(tier_ahp_hierarchy_new(&h, "goal", &o));
    for (size_t i = 0; i < 8; i++)
        TIER_CHECK(tier_ahp_hierarchy_add(NULL, h, NULL, house_names[i]));
    for (size_t i = 0; i < 20; i++) { /* grow the node array */
        char name[16];
        snprintf(name, sizeof name, "sub%zu", i);
        TIER_CHECK(tier_ahp_hierarchy_add(NULL, h, "size", name));
    }
    TIER_CHECK(tier_ahp_hierarchy_set_judgments(h, "goal", a));
    assert_true(c.calls > 0);
    tier_ahp_hierarchy_free(h);
    tier_ahp_free(a);
    tier_ahp_free(b);
    assert_int_equal(c.live, 0);
    tier_ahp_free(NULL);
    tier_ahp_hierarchy_free(NULL);
}

/* ---- the AHP scorer ------------------------------------------------------------------------- */

#define T0 1262304000 /* 2010-01-01 00:00 UTC */
#define DAY 86400

static const char *const wholesale_cats[6] = { "Fresh", "Milk", "Grocery", "Frozen",
                                               "Detergents_Paper", "Delicassen" };
static const double wholesale_upper[] = { 1.0 / 2, 1.0 / 3, 2, 1.0 / 2, 3,
                                          1.0 / 2, 3, 2, 4,
                                          4, 2, 5,
                                          1.0 / 3, 2,
                                          4 };
/* numpy eigenvector of the matrix above (make_reference.py) */
static const double wholesale_w[] = { 0.12029735986404858, 0.23341907237568094,
                                      0.3389095590010337, 0.074413301522995232,
                                      0.18428666859994827, 0.048674038636293306 };

/* A dataset of n customers "1".."n" with one purchase each. */
static tier_dataset *customers(size_t n)
{
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_new(&ds, NULL));
    char (*names)[24] = calloc(n ? n : 1, sizeof *names);
    const char **ids = calloc(n ? n : 1, sizeof *ids);
    int64_t *t = calloc(n ? n : 1, sizeof *t);
    double *amt = calloc(n ? n : 1, sizeof *amt);
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "%zu", i + 1);
        ids[i] = names[i];
        t[i] = T0 + (int64_t)i * 60;
        amt[i] = 1.0;
    }
    TIER_CHECK(tier_dataset_add_transactions(ds, n, ids, t, amt, NULL));
    TIER_CHECK(tier_dataset_compute_features(ds, T0 + 30 * DAY));
    free(names);
    free(ids);
    free(t);
    free(amt);
    return ds;
}

/* The UCI Wholesale customers file: 440 rows, the six spending columns joined by id "1".."440". */
static tier_dataset *wholesale(double spend[440][6])
{
    FILE *f = fopen(example_data_path("wholesale_customers.csv"), "r");
    assert_non_null(f);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(strstr(line, "Channel,Region,Fresh,Milk,Grocery,Frozen,Detergents_Paper"));
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        int ch, reg;
        double *x = spend[n];
        assert_int_equal(sscanf(line, "%d,%d,%lf,%lf,%lf,%lf,%lf,%lf", &ch, &reg, &x[0], &x[1],
                                &x[2], &x[3], &x[4], &x[5]), 8);
        n++;
    }
    fclose(f);
    assert_int_equal(n, 440);
    tier_dataset *ds = customers(440);
    char names[440][8];
    const char *ids[440];
    double col[440];
    for (size_t i = 0; i < 440; i++) {
        snprintf(names[i], sizeof names[i], "%zu", i + 1);
        ids[i] = names[i];
    }
    for (int c = 0; c < 6; c++) {
        for (size_t i = 0; i < 440; i++)
            col[i] = spend[i][c];
        size_t unmatched = 99;
        TIER_CHECK(tier_dataset_join_numeric(&unmatched, ds, wholesale_cats[c], 440, ids, col));
        assert_int_equal(unmatched, 0);
    }
    return ds;
}

/* Expected scores per normalisation from tests/data/ahp/wholesale_expected.csv (pandas). */
static void wholesale_expected(double exp_[440][3])
{
    FILE *f = fopen(test_data_path("ahp/wholesale_expected.csv"), "r");
    assert_non_null(f);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "id,minmax,zscore,percentile\n");
    for (size_t i = 0; i < 440; i++) {
        unsigned id;
        assert_non_null(fgets(line, sizeof line, f));
        assert_int_equal(sscanf(line, "%u,%lf,%lf,%lf", &id, &exp_[i][0], &exp_[i][1],
                                &exp_[i][2]), 4);
        assert_int_equal(id, i + 1);
    }
    fclose(f);
}

static tier_ahp *wholesale_matrix(void)
{
    tier_ahp *a = make_upper(6, wholesale_cats, wholesale_upper, NULL);
    TIER_CHECK(tier_ahp_compute(a));
    assert_vec(tier_ahp_weights(a), wholesale_w, 6, 1e-10, "wholesale weights");
    return a;
}

static const double *column(const tier_dataset *ds, const char *name)
{
    const double *v = NULL;
    TIER_CHECK(tier_dataset_numeric(&v, ds, name));
    return v;
}

static void test_scorer_wholesale(void **state)
{
    (void)state;
    static double spend[440][6], expected[440][3];
    tier_dataset *ds = wholesale(spend);
    wholesale_expected(expected);
    tier_ahp *a = wholesale_matrix();
    static const tier_ahp_normalization norms[3] = { TIER_AHP_NORM_MINMAX, TIER_AHP_NORM_ZSCORE,
                                                     TIER_AHP_NORM_PERCENTILE };
    /* Frozen: lower is better, to exercise the direction. */
    static const tier_ahp_direction dirs[6] = { 0, 0, 0, TIER_AHP_LOWER_IS_BETTER, 0, 0 };
    for (int m = 0; m < 3; m++) {
        tier_ahp_normalization nv[6];
        for (int c = 0; c < 6; c++)
            nv[c] = norms[m];
        tier_ahp_scorer_options o = TIER_AHP_SCORER_OPTIONS_INIT;
        o.directions = dirs;
        o.normalizations = nv;
        tier_scorer *s;
        TIER_CHECK(tier_ahp_scorer_new(&s, a, &o));
        assert_string_equal(tier_scorer_name(s), "ahp");
        assert_int_equal(tier_scorer_input_count(s), 6);
        assert_string_equal(tier_scorer_input_name(s, 4), "Detergents_Paper");
        assert_int_equal(tier_scorer_output_count(s), 1);
        assert_string_equal(tier_scorer_output_name(s, 0), "ahp_score");
        TIER_CHECK(tier_scorer_fit_apply(s, ds));
        const double *score = column(ds, "ahp_score");
        for (size_t i = 0; i < 440; i++) {
            char what[64];
            snprintf(what, sizeof what, "method %d customer %zu", m, i + 1);
            assert_close(score[i], expected[i][m], 1e-9, what);
            assert_true(score[i] >= 0 && score[i] <= 100);
        }
        tier_scorer_free(s);
    }

    /* Min-max, recomputed here from the raw file: min and max per column, then the sum. */
    double mn[6], mx[6];
    for (int c = 0; c < 6; c++) {
        mn[c] = mx[c] = spend[0][c];
        for (size_t i = 1; i < 440; i++) {
            mn[c] = fmin(mn[c], spend[i][c]);
            mx[c] = fmax(mx[c], spend[i][c]);
        }
    }
    tier_scorer *s;
    tier_ahp_scorer_options o = TIER_AHP_SCORER_OPTIONS_INIT;
    o.directions = dirs;
    o.components = 1;
    o.output_prefix = "w_";
    TIER_CHECK(tier_ahp_scorer_new(&s, a, &o));
    assert_int_equal(tier_scorer_output_count(s), 7);
    assert_string_equal(tier_scorer_output_name(s, 4), "w_ahp_Frozen");
    TIER_CHECK(tier_scorer_fit_apply(s, ds));
    const double *score = column(ds, "w_ahp_score");
    const double *frozen = column(ds, "w_ahp_Frozen");
    for (size_t i = 0; i < 440; i++) {
        double want = 0;
        for (int c = 0; c < 6; c++) {
            double v = (spend[i][c] - mn[c]) / (mx[c] - mn[c]);
            if (c == 3) {
                v = 1 - v;
                assert_close(frozen[i], v, 1e-15, "component");
            }
            want += wholesale_w[c] * v;
        }
        assert_close(score[i], 100 * want, 1e-9, "independent min-max");
    }
    double p0, p1;
    TIER_CHECK(tier_ahp_scorer_params(&p0, &p1, s, 3));
    assert_close(p0, mn[3], 0, "fitted min");
    assert_close(p1, mx[3], 0, "fitted max");
    const char *cn, *cc;
    double cw;
    TIER_CHECK(tier_ahp_scorer_criterion(&cn, &cc, &cw, s, 2));
    assert_string_equal(cn, "Grocery");
    assert_string_equal(cc, "Grocery");
    assert_close(cw, wholesale_w[2], 1e-12, "criterion weight");
    tier_scorer_free(s);
    tier_ahp_free(a);
    tier_dataset_free(ds);
}

static void test_scorer_save_load(void **state)
{
    (void)state;
    static double spend[440][6];
    tier_dataset *ds = wholesale(spend);
    tier_ahp *a = wholesale_matrix();
    static const tier_ahp_normalization nv[6] = {
        TIER_AHP_NORM_MINMAX, TIER_AHP_NORM_ZSCORE, TIER_AHP_NORM_PERCENTILE,
        TIER_AHP_NORM_PERCENTILE, TIER_AHP_NORM_RANGE, TIER_AHP_NORM_ZSCORE,
    };
    static const tier_ahp_direction dirs[6] = { 0, 1, 0, 1, 0, 1 };
    static const double rlo[6] = { 0, 0, 0, 0, 0, 0 }, rhi[6] = { 0, 0, 0, 0, 20000, 0 };
    tier_ahp_scorer_options o = TIER_AHP_SCORER_OPTIONS_INIT;
    o.normalizations = nv;
    o.directions = dirs;
    o.range_min = rlo;
    o.range_max = rhi;
    o.components = 1;
    o.missing = TIER_AHP_MISSING_REWEIGHT;
    tier_scorer *s;
    TIER_CHECK(tier_ahp_scorer_new(&s, a, &o));
    const char *path = test_temp_path("wholesale.tiermodel");
    TIER_EXPECT_ERROR(tier_scorer_save(s, path), TIER_ENOTFITTED, "not fitted");
    TIER_CHECK(tier_scorer_fit_apply(s, ds));
    double *before = malloc(440 * sizeof *before);
    memcpy(before, column(ds, "ahp_score"), 440 * sizeof *before);
    TIER_CHECK(tier_scorer_save(s, path));

    char kind[64];
    int custom = -1;
    TIER_CHECK(tier_scorer_file_kind(kind, sizeof kind, &custom, path));
    assert_string_equal(kind, "ahp");
    assert_int_equal(custom, 0);
    tier_scorer *l;
    TIER_CHECK(tier_scorer_load(&l, path, NULL));
    assert_true(tier_scorer_is_fitted(l));
    assert_int_equal(tier_ahp_scorer_criteria_count(l), 6);
    assert_int_equal(tier_scorer_output_count(l), 7);
    TIER_CHECK(tier_scorer_apply(l, ds));
    assert_memory_equal(column(ds, "ahp_score"), before, 440 * sizeof *before);
    for (size_t k = 0; k < 6; k++) {
        double a0, a1, b0, b1;
        TIER_CHECK(tier_ahp_scorer_params(&a0, &a1, s, k));
        TIER_CHECK(tier_ahp_scorer_params(&b0, &b1, l, k));
        assert_memory_equal(&a0, &b0, sizeof a0);
        assert_memory_equal(&a1, &b1, sizeof a1);
    }

    /* Applying the fitted model to new customers: values beyond the fitted range clamp, values
     * equal to fitted ones score like them, NaN re-weights. */
    tier_dataset *nd = customers(3);
    const char *ids[3] = { "1", "2", "3" };
    for (int c = 0; c < 6; c++) {
        double v[3] = { spend[0][c], 1e9, -5 };
        if (c == 2)
            v[1] = NAN;
        TIER_CHECK(tier_dataset_join_numeric(NULL, nd, wholesale_cats[c], 3, ids, v));
    }
    TIER_CHECK(tier_scorer_apply(l, nd));
    const double *ns = column(nd, "ahp_score");
    assert_memory_equal(&ns[0], &before[0], sizeof *ns); /* same inputs as customer 1 */
    assert_true(ns[1] >= 0 && ns[1] <= 100 && !isnan(ns[1]));
    assert_true(ns[2] >= 0 && ns[2] <= 100);
    assert_true(isnan(column(nd, "ahp_Grocery")[1]));
    /* Customer 3 is below every fitted minimum: min-max and percentile give 0 (higher is better)
     * or 1 (lower is better). */
    assert_close(column(nd, "ahp_Fresh")[2], 0, 0, "clamped");
    assert_close(column(nd, "ahp_Frozen")[2], 1, 0, "clamped, reversed");
    tier_dataset_free(nd);

    /* A corrupted file is rejected. */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 60, SEEK_SET);
    int ch = fgetc(f);
    fseek(f, 60, SEEK_SET);
    fputc(ch ^ 0x5a, f);
    fclose(f);
    tier_scorer *bad = (tier_scorer *)1;
    TIER_EXPECT_ERROR(tier_scorer_load(&bad, path, NULL), TIER_ECORRUPT, "wholesale.tiermodel");
    assert_null(bad);

    free(before);
    tier_scorer_free(l);
    tier_scorer_free(s);
    tier_ahp_free(a);
    tier_dataset_free(ds);
}

static void test_scorer_small_and_ties(void **state)
{
    (void)state;
    static const char *const names[] = { "x", "y" };
    tier_ahp *a = make_upper(2, names, (const double[]){ 3 }, NULL);
    TIER_CHECK(tier_ahp_compute(a));
    for (int norm = 0; norm < 3; norm++) {
        tier_ahp_normalization nv[2] = { (tier_ahp_normalization)norm,
                                         (tier_ahp_normalization)norm };
        tier_ahp_scorer_options o = TIER_AHP_SCORER_OPTIONS_INIT;
        o.normalizations = nv;
        tier_scorer *s;
        TIER_CHECK(tier_ahp_scorer_new(&s, a, &o));

        /* One customer: every column is constant, so every criterion gives 1/2. */
        tier_dataset *ds = customers(1);
        TIER_CHECK(tier_dataset_set_numeric(ds, "x", (const double[]){ 7 }));
        TIER_CHECK(tier_dataset_set_numeric(ds, "y", (const double[]){ -3 }));
        TIER_CHECK(tier_scorer_fit_apply(s, ds));
        assert_close(column(ds, "ahp_score")[0], 50, 1e-12, "single customer");
        tier_dataset_free(ds);

        /* Ties get equal scores; order follows the inputs. */
        ds = customers(5);
        static const double x[5] = { 1, 2, 2, 3, 1 }, y[5] = { 5, 5, 5, 5, 5 };
        TIER_CHECK(tier_dataset_set_numeric(ds, "x", x));
        TIER_CHECK(tier_dataset_set_numeric(ds, "y", y));
        TIER_CHECK(tier_scorer_fit_apply(s, ds));
        const double *sc = column(ds, "ahp_score");
        assert_true(sc[0] == sc[4]);
        assert_true(sc[1] == sc[2]);
        assert_true(sc[0] < sc[1] && sc[1] < sc[3]);
        if (norm == TIER_AHP_NORM_MINMAX) {
            assert_close(sc[0], 12.5, 1e-12, "min: y constant gives 1/2 * 0.25");
            assert_close(sc[3], 87.5, 1e-12, "max");
        }
        if (norm == TIER_AHP_NORM_PERCENTILE) /* x = 1: (0 + 0.5 * 2) / 5 = 0.2 */
            assert_close(sc[0], 100 * (0.75 * 0.2 + 0.25 * 0.5), 1e-12, "mid-rank");
        tier_dataset_free(ds);

        /* An empty dataset cannot be fitted, but a fitted model applies to it. */
        ds = customers(0);
        TIER_CHECK(tier_dataset_set_numeric(ds, "x", NULL));
        TIER_CHECK(tier_dataset_set_numeric(ds, "y", NULL));
        TIER_CHECK(tier_scorer_apply(s, ds));
        assert_int_equal(tier_dataset_size(ds), 0);
        TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_EEMPTY, "no customers");
        tier_dataset_free(ds);
        tier_scorer_free(s);
    }
    tier_ahp_free(a);
}

static void test_scorer_missing(void **state)
{
    (void)state;
    static const char *const names[] = { "recency", "monetary" };
    tier_ahp *a = make_upper(2, names, (const double[]){ 1 }, NULL); /* equal weights */
    TIER_CHECK(tier_ahp_compute(a));
    static const tier_ahp_direction dirs[2] = { TIER_AHP_LOWER_IS_BETTER,
                                                TIER_AHP_HIGHER_IS_BETTER };
    static const char *const cols[2] = { "days", "spend" };
    tier_dataset *ds = customers(4);
    static const double days[4] = { 0, 10, NAN, 5 }, spend[4] = { 100, 300, 200, NAN };
    TIER_CHECK(tier_dataset_set_numeric(ds, "days", days));
    TIER_CHECK(tier_dataset_set_numeric(ds, "spend", spend));
    tier_ahp_scorer_options o = TIER_AHP_SCORER_OPTIONS_INIT;
    o.directions = dirs;
    o.columns = cols;
    tier_scorer *s;
    TIER_CHECK(tier_ahp_scorer_new(&s, a, &o));
    TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_ERANGE,
                      "ahp: days is NaN for customer '3' (row 2)");
    assert_false(tier_scorer_is_fitted(s));
    tier_scorer_free(s);

    /* Each criterion is fitted on its own non-NaN values: days 0..10, spend 100..300. */
    const double want[4][3] = {
        /* unscored, worst, reweight */
        { 50, 50, 50 },
        { 50, 50, 50 },
        { NAN, 25, 50 },
        { NAN, 25, 50 },
    };
    for (int pol = 1; pol <= 3; pol++) {
        o.missing = (tier_ahp_missing)pol;
        TIER_CHECK(tier_ahp_scorer_new(&s, a, &o));
        TIER_CHECK(tier_scorer_fit_apply(s, ds));
        const double *sc = column(ds, "ahp_score");
        for (size_t r = 0; r < 4; r++) {
            double w = want[r][pol - 1];
            if (isnan(w))
                assert_true(isnan(sc[r]));
            else
                assert_close(sc[r], w, 1e-12, "missing policy");
        }
        tier_scorer_free(s);
    }

    /* Infinities are always errors; a column of only NaN cannot be fitted. */
    o.missing = TIER_AHP_MISSING_REWEIGHT;
    TIER_CHECK(tier_ahp_scorer_new(&s, a, &o));
    static const double inf[4] = { 1, INFINITY, 2, 3 };
    TIER_CHECK(tier_dataset_set_numeric(ds, "spend", inf));
    TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_ERANGE, "spend is +inf for customer '2'");
    static const double nans[4] = { NAN, NAN, NAN, NAN };
    TIER_CHECK(tier_dataset_set_numeric(ds, "spend", nans));
    TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_EEMPTY, "column 'spend' (criterion 'monetary')");
    tier_scorer_free(s);
    tier_dataset_free(ds);
    tier_ahp_free(a);
}

static void test_scorer_rfm(void **state)
{
    (void)state;
    /* AHP-weighted RFM on the R package's order table: quantile RFM scores, then the AHP score
     * recomputed here from r_score, f_score, m_score. */
    tier_csv_options co = TIER_CSV_OPTIONS_INIT;
    co.customer_column = "customer_id";
    co.time_column = "order_date";
    co.amount_column = "revenue";
    co.as_of = 1167523200; /* 2006-12-31 00:00 UTC */
    tier_dataset *ds = NULL;
    TIER_CHECK(tier_dataset_load_csv(&ds, NULL, example_data_path("rfm_data_orders.csv"), &co));
    tier_scorer *rfm;
    TIER_CHECK(tier_rfm_new(&rfm, NULL));
    TIER_CHECK(tier_scorer_fit_apply(rfm, ds));

    static const char *const names[] = { "recency", "frequency", "monetary" };
    static const double upper[] = { 1.0 / 2, 1.0 / 4, 1.0 / 2 }; /* monetary most important */
    tier_ahp *a = make_upper(3, names, upper, NULL);
    TIER_CHECK(tier_ahp_compute(a));
    const double *w = tier_ahp_weights(a);
    tier_scorer *s;
    TIER_CHECK(tier_ahp_scorer_new_rfm(&s, a, 5, NULL));
    assert_string_equal(tier_scorer_input_name(s, 0), "r_score");
    assert_true(tier_scorer_is_fitted(s)); /* fixed ranges: nothing to learn */
    TIER_CHECK(tier_scorer_apply(s, ds));
    const double *r = column(ds, "r_score"), *f = column(ds, "f_score"), *m = column(ds, "m_score");
    const double *sc = column(ds, "ahp_score");
    size_t n = tier_dataset_size(ds), top = 0;
    assert_int_equal(n, 995);
    for (size_t i = 0; i < n; i++) {
        double want = 100 * (w[0] * (r[i] - 1) + w[1] * (f[i] - 1) + w[2] * (m[i] - 1)) / 4;
        assert_close(sc[i], want, 1e-12, "weighted RFM");
        if (r[i] == 5 && f[i] == 5 && m[i] == 5) {
            assert_close(sc[i], 100, 1e-12, "champion");
            top++;
        }
    }
    assert_true(top > 0);
    /* Saved and loaded: bit-identical. */
    double *before = malloc(n * sizeof *before);
    memcpy(before, sc, n * sizeof *before);
    const char *path = test_temp_path("ahp_rfm.tiermodel");
    TIER_CHECK(tier_scorer_save(s, path));
    tier_scorer *l;
    TIER_CHECK(tier_scorer_load(&l, path, NULL));
    TIER_CHECK(tier_scorer_apply(l, ds));
    assert_memory_equal(column(ds, "ahp_score"), before, n * sizeof *before);
    free(before);

    /* The getters refuse other kinds. */
    const char *nm;
    TIER_EXPECT_ERROR(tier_ahp_scorer_criterion(&nm, NULL, NULL, rfm, 0), TIER_EINVAL,
                      "scorer is 'rfm', not 'ahp'");
    assert_int_equal(tier_ahp_scorer_criteria_count(rfm), 0);
    tier_scorer_free(l);
    TIER_EXPECT_ERROR(tier_ahp_scorer_new_rfm(&l, a, 11, NULL), TIER_EINVAL, "bins 11");
    assert_null(l);
    tier_scorer_free(s);
    tier_scorer_free(rfm);
    tier_ahp_free(a);
    tier_dataset_free(ds);
}

static void test_scorer_hierarchy_and_weights(void **state)
{
    (void)state;
    tier_ahp_hierarchy *h;
    TIER_CHECK(tier_ahp_hierarchy_new(&h, "value", NULL));
    TIER_CHECK(tier_ahp_hierarchy_add(NULL, h, NULL, "fresh_food"));
    TIER_CHECK(tier_ahp_hierarchy_add(NULL, h, NULL, "packaged"));
    TIER_CHECK(tier_ahp_hierarchy_add(NULL, h, "fresh_food", "Fresh"));
    TIER_CHECK(tier_ahp_hierarchy_add(NULL, h, "fresh_food", "Delicassen"));
    TIER_CHECK(tier_ahp_hierarchy_add(NULL, h, "packaged", "Milk"));
    TIER_CHECK(tier_ahp_hierarchy_add(NULL, h, "packaged", "Grocery"));
    tier_scorer *s;
    TIER_EXPECT_ERROR(tier_ahp_scorer_new_hierarchy(&s, h, NULL), TIER_ENOTFITTED,
                      "tier_ahp_hierarchy_compute");
    TIER_CHECK(tier_ahp_hierarchy_set_weights(h, "value", (const double[]){ 1, 3 }));
    TIER_CHECK(tier_ahp_hierarchy_set_weights(h, "fresh_food", (const double[]){ 3, 1 }));
    TIER_CHECK(tier_ahp_hierarchy_set_weights(h, "packaged", (const double[]){ 1, 1 }));
    TIER_CHECK(tier_ahp_hierarchy_compute(h));
    TIER_CHECK(tier_ahp_scorer_new_hierarchy(&s, h, NULL));
    static const char *const want_names[] = { "Fresh", "Delicassen", "Milk", "Grocery" };
    static const double want_w[] = { 0.1875, 0.0625, 0.375, 0.375 };
    assert_int_equal(tier_ahp_scorer_criteria_count(s), 4);
    for (size_t k = 0; k < 4; k++) {
        const char *nm;
        double w;
        TIER_CHECK(tier_ahp_scorer_criterion(&nm, NULL, &w, s, k));
        assert_string_equal(nm, want_names[k]);
        assert_close(w, want_w[k], 1e-15, "leaf weight");
    }
    tier_scorer_free(s);
    tier_ahp_hierarchy_free(h);

    /* Explicit weights, e.g. from AIP. */
    TIER_CHECK(tier_ahp_scorer_new_weights(&s, 2, want_names, (const double[]){ 2, 6 }, NULL));
    double w;
    TIER_CHECK(tier_ahp_scorer_criterion(NULL, NULL, &w, s, 1));
    assert_close(w, 0.75, 0, "normalised");
    tier_scorer_free(s);
    TIER_EXPECT_ERROR(tier_ahp_scorer_new_weights(&s, 2, want_names, (const double[]){ 1, -1 },
                                                  NULL),
                      TIER_EINVAL, "weight of criterion 'Delicassen'");
}

static void test_scorer_errors(void **state)
{
    (void)state;
    tier_scorer *s = (tier_scorer *)1;
    tier_ahp *a = make_upper(8, house_names, house_upper, NULL);
    TIER_EXPECT_ERROR(tier_ahp_scorer_new(&s, a, NULL), TIER_ENOTFITTED, "tier_ahp_compute");
    assert_null(s);
    assert_int_equal(tier_ahp_compute(a), TIER_EINCONSISTENT);
    TIER_EXPECT_ERROR(tier_ahp_scorer_new(&s, a, NULL), TIER_EINCONSISTENT,
                      "consistency ratio 0.1691 exceeds their limit 0.1");
    tier_ahp_scorer_options o = TIER_AHP_SCORER_OPTIONS_INIT;
    o.allow_inconsistent = 1;
    TIER_CHECK(tier_ahp_scorer_new(&s, a, &o));
    tier_dataset *ds = customers(3);
    TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_ENOTFOUND, "size");
    TIER_EXPECT_ERROR(tier_scorer_apply(s, ds), TIER_ENOTFITTED, "not fitted");
    tier_scorer_free(s);

    static const char *const names[] = { "monetary", "frequency" };
    tier_ahp *b = make_upper(2, names, (const double[]){ 2 }, NULL);
    TIER_CHECK(tier_ahp_compute(b));
    static const char *const typo[] = { "monetry", NULL };
    o = (tier_ahp_scorer_options)TIER_AHP_SCORER_OPTIONS_INIT;
    o.columns = typo;
    TIER_CHECK(tier_ahp_scorer_new(&s, b, &o));
    TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_ENOTFOUND, "did you mean 'monetary'");
    tier_scorer_free(s);
    static const char *const badcol[] = { "net spend", NULL };
    o.columns = badcol;
    TIER_EXPECT_ERROR(tier_ahp_scorer_new(&s, b, &o), TIER_EINVAL, "not a column name");
    o.columns = NULL;
    static const tier_ahp_normalization rn[2] = { TIER_AHP_NORM_RANGE, TIER_AHP_NORM_MINMAX };
    o.normalizations = rn;
    TIER_EXPECT_ERROR(tier_ahp_scorer_new(&s, b, &o), TIER_EINVAL, "range_min/range_max are NULL");
    static const double lo[2] = { 5, 0 }, hi[2] = { 5, 0 };
    o.range_min = lo;
    o.range_max = hi;
    TIER_EXPECT_ERROR(tier_ahp_scorer_new(&s, b, &o), TIER_EINVAL, "range [5, 5]");
    o = (tier_ahp_scorer_options)TIER_AHP_SCORER_OPTIONS_INIT;
    o.missing = (tier_ahp_missing)9;
    TIER_EXPECT_ERROR(tier_ahp_scorer_new(&s, b, &o), TIER_EINVAL, "missing-value policy 9");
    o.missing = TIER_AHP_MISSING_ERROR;
    o.version = 7;
    TIER_EXPECT_ERROR(tier_ahp_scorer_new(&s, b, &o), TIER_EVERSION, "version 7");
    static const char *const same[] = { "spend", "spend" };
    o = (tier_ahp_scorer_options)TIER_AHP_SCORER_OPTIONS_INIT;
    o.columns = same;
    TIER_CHECK(tier_ahp_scorer_new(&s, b, &o)); /* two criteria may read one column ... */
    assert_int_equal(tier_scorer_input_count(s), 1);
    tier_scorer_free(s);
    o.components = 1; /* ... but not with components */
    TIER_EXPECT_ERROR(tier_ahp_scorer_new(&s, b, &o), TIER_EINVAL, "both read column 'spend'");
    /* A categorical column is the wrong type. */
    o = (tier_ahp_scorer_options)TIER_AHP_SCORER_OPTIONS_INIT;
    TIER_CHECK(tier_ahp_scorer_new(&s, b, &o));
    static const int32_t codes[3] = { 0, 1, 0 };
    static const char *const dict[2] = { "a", "b" };
    TIER_CHECK(tier_dataset_set_categorical(ds, "monetary_band", codes, dict, 2));
    tier_scorer_free(s);
    static const char *const cat[] = { "monetary_band", NULL };
    o.columns = cat;
    TIER_CHECK(tier_ahp_scorer_new(&s, b, &o));
    TIER_EXPECT_ERROR(tier_scorer_fit(s, ds), TIER_ETYPE, "");
    tier_scorer_free(s);
    TIER_CHECK(tier_ahp_scorer_options_init(&o, TIER_AHP_SCORER_OPTIONS_VERSION));
    assert_int_equal(o.missing, TIER_AHP_MISSING_ERROR);
    tier_dataset_free(ds);
    tier_ahp_free(a);
    tier_ahp_free(b);
}

static void test_scorer_percentile_bruteforce(void **state)
{
    (void)state;
    /* Skewed money-like values with ties and signed zeros; probes between, on and beyond the
     * fitted values. Checked against a direct count. */
    enum { N = 5000, P = 3000 };
    unsigned long long seed = 99;
    double *x = malloc(N * sizeof *x), *probe = malloc(P * sizeof *probe);
    for (size_t i = 0; i < N; i++) {
        double u = lcg(&seed);
        x[i] = u < 0.05 ? 0.0 : (u < 0.1 ? -0.0 : round(exp(12 * lcg(&seed)) * 100) / 100);
        if (u > 0.97)
            x[i] = -x[i];
    }
    for (size_t i = 0; i < P; i++) {
        double u = lcg(&seed);
        probe[i] = u < 0.3 ? x[(size_t)(lcg(&seed) * N)]
                 : (u < 0.9 ? exp(13 * lcg(&seed)) - 5 : (u < 0.95 ? -1e12 : 1e300));
    }
    static const char *const names[] = { "spend" };
    tier_scorer *s;
    tier_ahp_normalization pn = TIER_AHP_NORM_PERCENTILE;
    tier_ahp_scorer_options o = TIER_AHP_SCORER_OPTIONS_INIT;
    o.normalizations = &pn;
    TIER_CHECK(tier_ahp_scorer_new_weights(&s, 1, names, (const double[]){ 1 }, &o));
    tier_dataset *fit = customers(N), *ap = customers(P);
    TIER_CHECK(tier_dataset_set_numeric(fit, "spend", x));
    TIER_CHECK(tier_dataset_set_numeric(ap, "spend", probe));
    TIER_CHECK(tier_scorer_fit(s, fit));
    TIER_CHECK(tier_scorer_apply(s, ap));
    const double *sc = column(ap, "ahp_score");
    for (size_t i = 0; i < P; i++) {
        size_t less = 0, eq = 0;
        for (size_t k = 0; k < N; k++) {
            less += x[k] < probe[i];
            eq += x[k] == probe[i];
        }
        assert_close(sc[i], 100 * ((double)less + 0.5 * (double)eq) / N, 1e-9, "percentile");
    }
    tier_dataset_free(fit);
    tier_dataset_free(ap);
    tier_scorer_free(s);
    free(x);
    free(probe);
}

static void test_text_mutations(void **state)
{
    (void)state;
    /* Mutated and truncated inputs: always a clean result or a clean error with a message. */
    static const char base[] =
        "experience education charisma age\n"
        "experience 1 4 3 7\n"
        "education 1/4 1 1/3 3\n"
        "charisma - 3 1 5\n"
        "age 1/7 - 0.2 1\n"
        "experience age 7\n";
    static const char alphabet[] = " \t,#\n\r-?/.0123456789eaNA";
    unsigned long long seed = 5;
    char buf[sizeof base + 8];
    for (int rep = 0; rep < 3000; rep++) {
        size_t len = sizeof base - 1;
        memcpy(buf, base, len);
        int edits = 1 + (int)(lcg(&seed) * 4);
        for (int e = 0; e < edits; e++) {
            size_t at = (size_t)(lcg(&seed) * (double)len);
            if (lcg(&seed) < 0.2)
                len = at; /* truncate */
            else
                buf[at] = alphabet[(size_t)(lcg(&seed) * (sizeof alphabet - 1))];
        }
        tier_ahp *a = NULL;
        int rc = tier_ahp_parse(&a, buf, len, "m.txt", NULL);
        if (rc == TIER_OK) {
            assert_non_null(a);
            rc = tier_ahp_compute(a);
            assert_true(rc == TIER_OK || rc == TIER_EINCONSISTENT || rc == TIER_EINVAL);
            tier_ahp_free(a);
        } else {
            assert_null(a);
            assert_true(rc == TIER_EPARSE || rc == TIER_ERANGE || rc == TIER_EINVAL);
            assert_true(strlen(tier_last_error()) > 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leader_example),
        cmocka_unit_test(test_leader_synthesis),
        cmocka_unit_test(test_saaty_house),
        cmocka_unit_test(test_consistent_matrix),
        cmocka_unit_test(test_permutation),
        cmocka_unit_test(test_worst_judgment_perturbed),
        cmocka_unit_test(test_small_sizes),
        cmocka_unit_test(test_random_index),
        cmocka_unit_test(test_large_inconsistent_converges),
        cmocka_unit_test(test_not_converged),
        cmocka_unit_test(test_value_errors),
        cmocka_unit_test(test_full_matrix_reciprocity),
        cmocka_unit_test(test_incomplete_harker),
        cmocka_unit_test(test_incomplete_lls),
        cmocka_unit_test(test_incomplete_disconnected),
        cmocka_unit_test(test_group),
        cmocka_unit_test(test_hierarchy),
        cmocka_unit_test(test_hierarchy_inconsistent_node),
        cmocka_unit_test(test_text_formats),
        cmocka_unit_test(test_text_errors),
        cmocka_unit_test(test_text_mutations),
        cmocka_unit_test(test_allocator),
        cmocka_unit_test(test_scorer_wholesale),
        cmocka_unit_test(test_scorer_save_load),
        cmocka_unit_test(test_scorer_small_and_ties),
        cmocka_unit_test(test_scorer_missing),
        cmocka_unit_test(test_scorer_rfm),
        cmocka_unit_test(test_scorer_hierarchy_and_weights),
        cmocka_unit_test(test_scorer_errors),
        cmocka_unit_test(test_scorer_percentile_bruteforce),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
