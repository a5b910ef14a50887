/* ahp_weights: criteria weights from a file of pairwise judgments (Analytic Hierarchy Process).
 *
 *   usage: ahp_weights [--geometric] JUDGMENTS.txt
 *
 * The file lists the criteria on its first line, then judgments, either as pairs
 *
 *     monetary frequency recency
 *     monetary  frequency 3        # monetary is 3 times as important as frequency
 *     monetary  recency   5
 *     frequency recency   2
 *
 * or as matrix rows ("monetary 1 3 5", with "-" for "reciprocal of the mirrored entry" or a
 * missing judgment). See tier_ahp_parse() in <tier/ahp.h>.
 *
 * Prints each criterion's weight, lambda_max, the consistency index and ratio, and, when the
 * judgments are too inconsistent (CR > 0.10), the judgment to revisit. Exit status: 0 when
 * consistent, 2 when inconsistent (the weights are printed all the same), 1 on error. */
#include <stdio.h>
#include <string.h>

#include <tier/tier.h>

static int fail(const char *what)
{
    fprintf(stderr, "ahp_weights: %s: %s\n", what, tier_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    tier_ahp_options opts = TIER_AHP_OPTIONS_INIT;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--geometric") == 0)
            opts.method = TIER_AHP_GEOMETRIC_MEAN;
        else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: ahp_weights [--geometric] JUDGMENTS.txt\n");
        return 1;
    }

    tier_ahp *ahp = NULL;
    if (tier_ahp_load_text(&ahp, path, &opts) != TIER_OK)
        return fail("reading judgments");

    /* TIER_EINCONSISTENT still computes everything: report it after the weights. */
    int rc = tier_ahp_compute(ahp);
    if (rc != TIER_OK && rc != TIER_EINCONSISTENT) {
        tier_ahp_free(ahp);
        return fail("computing weights");
    }

    size_t n = tier_ahp_size(ahp);
    const double *w = tier_ahp_weights(ahp);
    printf("%-24s %8s\n", "criterion", "weight");
    for (size_t i = 0; i < n; i++)
        printf("%-24s %8.4f\n", tier_ahp_name(ahp, i), w[i]);
    if (tier_ahp_missing_count(ahp) > 0)
        printf("(%zu missing judgments completed from the others)\n", tier_ahp_missing_count(ahp));
    printf("\nlambda_max %.4f   CI %.4f   CR %.4f (limit %.2f)   GCI %.4f   iterations %u\n",
           tier_ahp_lambda_max(ahp), tier_ahp_ci(ahp), tier_ahp_cr(ahp), tier_ahp_cr_limit(ahp),
           tier_ahp_gci(ahp), tier_ahp_iterations(ahp));

    if (rc == TIER_EINCONSISTENT) {
        size_t i, j;
        double suggested;
        if (tier_ahp_worst_judgment(&i, &j, &suggested, ahp) == TIER_OK) {
            double given;
            tier_ahp_judgment(&given, ahp, i, j);
            printf("inconsistent: revisit '%s' vs '%s' = %g (the other judgments suggest %.2f)\n",
                   tier_ahp_name(ahp, i), tier_ahp_name(ahp, j), given, suggested);
        }
    } else {
        printf("consistent\n");
    }
    tier_ahp_free(ahp);
    return rc == TIER_EINCONSISTENT ? 2 : 0;
}
