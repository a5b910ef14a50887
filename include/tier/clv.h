/**
 * @file clv.h
 * @brief Customer lifetime value: the BG/NBD, Pareto/NBD and Gamma-Gamma "buy 'til you die"
 *        models, fitted by maximum likelihood, and their predictions as dataset columns.
 *
 * A CLV scorer is a ::tier_scorer (scorer.h): create it with tier_clv_new(), then fit, apply,
 * save and load it with the generic functions. Its kind name is "clv".
 *
 * @par Models
 * - **BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy way"), parameters
 *   (r, α, a, b): while alive a customer buys at rate λ ~ Gamma(r, α); after each purchase they
 *   become inactive with probability p ~ Beta(a, b).
 * - **Pareto/NBD** (Schmittlein, Morrison & Colombo 1987), parameters (r, α, s, β): purchases at
 *   rate λ ~ Gamma(r, α) during an exponential lifetime of rate μ ~ Gamma(s, β). Its likelihood
 *   uses the Gauss hypergeometric function 2F1, as in Fader & Hardie's note "Implementing the
 *   Pareto/NBD model".
 * - **Gamma-Gamma** (Fader, Hardie & Lee 2005, "RFM and CLV"), parameters (p, q, γ), for the
 *   value of purchases: optional, fitted when tier_clv_options::spend_column is set.
 *
 * @par Inputs and conventions
 * The count models read three numeric columns per customer, in days, following the literature:
 * `x` = repeat purchases with same-day purchases merged (default column `repeat_count`), `t_x` =
 * time from the first to the last purchase (default `t_x`) and `T` = time from the first purchase
 * to the analysis date (default `T`) — all kept by every ::tier_dataset. The time unit of the
 * model (tier_clv_options::unit) is days or weeks (days / 7); parameters α and β and the horizon
 * are in that unit. Every row must have either all three values (x a whole number >= 0,
 * 0 <= t_x <= T, all finite) or none (a customer without a purchase: skipped by the fit, NaN
 * outputs); anything else is ::TIER_ERANGE naming the customer. For x = 0, t_x is ignored (a
 * one-day customer's t_x may count hours within that day).
 *
 * The spend model reads tier_clv_options::spend_column, which should hold each customer's mean
 * value of REPEAT purchases (the literature's convention, which excludes the first purchase);
 * rows with x >= 1 and a finite value > 0 are used to fit it, other rows get the population mean.
 *
 * @par Fitting
 * Maximum likelihood in log-parameter space by BFGS (analytic gradients for BG/NBD and
 * Gamma-Gamma, central differences for Pareto/NBD), from tier_clv_options::n_starts starting
 * points: a heuristic one and seeded perturbations of it. Customers with equal (x, t_x, T) are
 * grouped first, so day-resolution data of millions of customers costs little per iteration.
 * With more than 20,000 distinct customers the starts run on a seeded sample of 20,000 and the
 * best of them is then refined on all data. The best start wins; tier_clv_fit_info() reports its
 * log-likelihood (full data), iterations, whether it converged (largest gradient component of the
 * mean log-likelihood in log-parameters <= tier_clv_options::tol) and how many starts reached the
 * same optimum. Fitting fails with ::TIER_EEMPTY when no customer has a repeat purchase (the count
 * models are then not identified), and with ::TIER_ENOTCONVERGED when the best start did not
 * converge, unless tier_clv_options::accept_unconverged is set. A failed fit keeps the previous
 * fit.
 *
 * @par Bounded work, and likelihoods without a maximum
 * No input makes a fit run long: every BFGS run stops after tier_clv_options::max_iter iterations
 * or 20 × max_iter log-likelihood evaluations, and each evaluation has a bounded cost per distinct
 * customer (tier_clv_fit_diagnostics() has the figures and reports the count). On small or
 * degenerate data the likelihood often has no maximum at finite parameters: it keeps increasing as
 * parameters run to 0 or infinity, where the model degenerates into a simpler one. The fit finds
 * such limits (by probing the likelihood further along each direction, after BFGS stops) and
 * reports them by tier_clv_fit_diagnostics(). A "no dropout" limit (BG/NBD a -> 0 or b ->
 * infinity; Pareto/NBD s -> 0 or beta -> infinity) leaves the NBD model — Gamma-distributed
 * purchase rates, no churn — a proper model that real data often support over a short period: the
 * fit converges onto it (its predictions are the limit's: P(alive) 1 under BG/NBD, near 1 under
 * Pareto/NBD). Any other limit — equal purchase or dropout rates for every customer, a spend model
 * without variation, a single parameter running off — means the data do not identify the model:
 * the fit does not converge, and the ::TIER_ENOTCONVERGED message names the model, the
 * parameters, their values and what the limit means, for example "the Pareto/NBD fit did not
 * converge: the likelihood keeps increasing as r -> infinity (1.5e+10) and alpha -> infinity
 * (7.2e+10): every customer buys at the same rate; ...". A fit kept with accept_unconverged has
 * finite (extreme) parameters whose predictions approximate those of the limit.
 *
 * @par Outputs (numeric, in this order, each name after the output prefix)
 * | column | value |
 * |---|---|
 * | `p_alive` | P(the customer is still active at T \| x, t_x, T) |
 * | `expected_purchases` | expected (repeat) purchases in (T, T + horizon] |
 * | `expected_spend` | expected value per future purchase (Gamma-Gamma); NaN without spend model |
 * | `clv` | discounted expected value over the horizon (below); NaN without spend model |
 * | `p_no_purchase` | P(no purchase in (T, T + horizon] \| x, t_x, T) |
 *
 * Under BG/NBD a customer without repeat purchases (x = 0) has P(alive) = 1: in that model
 * customers drop out only right after a repeat purchase (a known property of the model, which
 * Pareto/NBD does not share). Customers without any purchase get NaN in every output.
 *
 * @par CLV formula
 * The horizon H is cut into n = tier_clv_options::discount_periods equal periods ending at
 * t_k = k H / n. The expected purchases of each period are valued at the expected spend and
 * discounted from the period's end, with an annual rate d (a year being 365.25 days):
 *
 *     clv = margin · E[spend] · Σ_{k=1..n} (E[X(t_k)] − E[X(t_(k−1))]) · (1 + d)^(−t_k / year)
 *
 * where E[X(t)] is the conditional expected number of purchases in (T, T + t]. With d = 0 this is
 * exactly margin · E[spend] · expected_purchases; as n grows it tends to the continuously
 * discounted value ∫ e^(−δt) dE[X(t)], δ = ln(1 + d) (the "discounted expected transactions" of
 * Fader, Hardie & Lee for a finite horizon); it differs from it by O(δ H / n).
 *
 * @par Threads
 * Fit and apply split their work into fixed blocks whose results are combined in block order:
 * parameters and outputs are bit-identical for every n_threads.
 */
#ifndef TIER_CLV_H
#define TIER_CLV_H

#include "common.h"
#include "csv.h"
#include "dataset.h"
#include "scorer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The purchase-count model. */
typedef enum tier_clv_model {
    TIER_CLV_BGNBD = 0,     /**< BG/NBD, parameters (r, alpha, a, b). */
    TIER_CLV_PARETO_NBD = 1 /**< Pareto/NBD, parameters (r, alpha, s, beta). */
} tier_clv_model;

/** The time unit of a model: the dataset's days, or weeks (days / 7) as in the literature. */
typedef enum tier_clv_unit {
    TIER_CLV_DAYS = 0,  /**< Days. */
    TIER_CLV_WEEKS = 1  /**< Weeks of 7 days. */
} tier_clv_unit;

/** Which part of a CLV model tier_clv_fit_info() describes. */
typedef enum tier_clv_part {
    TIER_CLV_COUNTS = 0, /**< The purchase-count model (BG/NBD or Pareto/NBD). */
    TIER_CLV_SPEND = 1   /**< The Gamma-Gamma spend model. */
} tier_clv_part;

/** Per-customer predictions of tier_clv_predict(). */
typedef enum tier_clv_prediction {
    TIER_CLV_P_ALIVE = 0,             /**< P(alive at T | x, t_x, T). */
    TIER_CLV_EXPECTED_PURCHASES = 1,  /**< E[purchases in (T, T + horizon] | x, t_x, T]. */
    TIER_CLV_P_NO_PURCHASE = 2        /**< P(no purchase in (T, T + horizon] | x, t_x, T). */
} tier_clv_prediction;

/** Options for tier_clv_new() and tier_clv_fit_csv(). */
typedef struct tier_clv_options {
    /** Must be ::TIER_CLV_OPTIONS_VERSION (or an older version number). */
    unsigned int version;
    /** Allocator for the scorer; NULL for the C library's. */
    const tier_allocator *allocator;
    /** Count model; default ::TIER_CLV_BGNBD. */
    tier_clv_model model;
    /** Time unit of the parameters and the horizon; default ::TIER_CLV_WEEKS. */
    tier_clv_unit unit;
    /** Column of repeat purchases x; NULL for "repeat_count". Copied. */
    const char *x_column;
    /** Column of t_x in days; NULL for "t_x". Copied. */
    const char *t_x_column;
    /** Column of T in days; NULL for "T". Copied. */
    const char *T_column;
    /** Column of each customer's mean repeat-purchase value, or NULL (default) for no spend
     *  model (then `expected_spend` and `clv` are NaN). Copied. */
    const char *spend_column;
    /** Prediction horizon in the model's unit, finite and >= 0; default 52. */
    double horizon;
    /** Annual discount rate d >= 0 of the CLV formula; default 0.1. */
    double discount_rate;
    /** Number of discount periods the horizon is cut into, >= 1; default 12. */
    unsigned int discount_periods;
    /** Share of spend that is profit, multiplied into `clv`; finite, default 1. */
    double margin;
    /** Starting points of each fit, 1..64; default 4. */
    unsigned int n_starts;
    /** Iterations per start, >= 1; default 400. */
    unsigned int max_iter;
    /** Convergence tolerance on the gradient of the mean log-likelihood, > 0; default 1e-7. */
    double tol;
    /** Seed of the perturbed starts and of the start sample; default 0. */
    uint64_t seed;
    /** Worker threads; 0 (default) = the dataset's setting. Results never depend on it. */
    unsigned int n_threads;
    /** Non-zero: keep the best point of a fit that did not converge instead of failing with
     *  ::TIER_ENOTCONVERGED (tier_clv_fit_info() still reports converged = 0). Default 0. */
    int accept_unconverged;
    /** Prefix of the output column names; NULL or "" for none. Copied. */
    const char *output_prefix;
} tier_clv_options;

/** Current version of ::tier_clv_options. */
#define TIER_CLV_OPTIONS_VERSION 1
/** Static initialiser for ::tier_clv_options with default values. */
#define TIER_CLV_OPTIONS_INIT                                                                    \
    { TIER_CLV_OPTIONS_VERSION, NULL, TIER_CLV_BGNBD, TIER_CLV_WEEKS, NULL, NULL, NULL, NULL,   \
      52.0, 0.1, 12, 1.0, 4, 400, 1e-7, 0, 0, 0, NULL }

/**
 * @brief Initialises @p opts with default values, as ::TIER_CLV_OPTIONS_INIT does.
 * @param opts Caller-owned struct to fill.
 * @param version ::TIER_CLV_OPTIONS_VERSION.
 * @return ::TIER_OK, ::TIER_EINVAL if @p opts is NULL, ::TIER_EVERSION for an unknown version.
 */
TIER_API int tier_clv_options_init(tier_clv_options *opts, unsigned int version);

/**
 * @brief Creates an unfitted CLV scorer.
 * @param out Receives the scorer, owned by the caller (tier_scorer_free()); NULL on failure.
 * @param opts Options, or NULL for defaults. Borrowed (everything is copied).
 * @return ::TIER_OK; ::TIER_EINVAL (unknown model or unit, empty or repeated column name,
 *         negative or non-finite horizon, discount rate or margin, zero periods or iterations,
 *         n_starts not 1..64, tol <= 0, bad output prefix; the message says which); ::TIER_EVERSION;
 *         ::TIER_ENOMEM.
 */
TIER_API int tier_clv_new(tier_scorer **out, const tier_clv_options *opts);

/**
 * @brief The fitted count-model parameters.
 * @param params Receives 4 values: (r, alpha, a, b) for BG/NBD, (r, alpha, s, beta) for
 *        Pareto/NBD, alpha and beta in the model's unit.
 * @param model Receives the model; may be NULL.
 * @param clv A fitted CLV scorer.
 * @return ::TIER_OK; ::TIER_EINVAL (NULL, not a CLV scorer); ::TIER_ENOTFITTED.
 */
TIER_API int tier_clv_params(double *params, tier_clv_model *model, const tier_scorer *clv);

/**
 * @brief The fitted Gamma-Gamma parameters.
 * @param params Receives 3 values (p, q, gamma).
 * @param clv A fitted CLV scorer with a spend column.
 * @return ::TIER_OK; ::TIER_EINVAL (NULL, not a CLV scorer, no spend model); ::TIER_ENOTFITTED.
 */
TIER_API int tier_clv_spend_params(double *params, const tier_scorer *clv);

/**
 * @brief How a fit went.
 * @param loglik Receives the total log-likelihood at the estimate (over all fitted customers).
 *        May be NULL.
 * @param n_iter Receives the BFGS iterations of the winning start (sample + refinement). May be
 *        NULL.
 * @param converged Receives 1 if the gradient criterion was met, else 0. May be NULL.
 * @param n_customers Receives the number of customers the part was fitted on. May be NULL.
 * @param n_agree Receives how many starts ended within 1e-6 (relative) of the best mean
 *        log-likelihood on the data they ran on (1 .. n_starts). May be NULL.
 * @param clv A fitted CLV scorer.
 * @param part ::TIER_CLV_COUNTS or ::TIER_CLV_SPEND.
 * @return ::TIER_OK; ::TIER_EINVAL (NULL, not a CLV scorer, unknown part, spend part without a
 *         spend model); ::TIER_ENOTFITTED.
 */
TIER_API int tier_clv_fit_info(double *loglik, unsigned int *n_iter, int *converged,
                               size_t *n_customers, unsigned int *n_agree, const tier_scorer *clv,
                               tier_clv_part part);

/**
 * @brief The work a fit did, and the parameters it found running to 0 or infinity.
 *
 * The work of a fit is bounded whatever the data: each BFGS run (a start, or the refinement on
 * all data) stops after tier_clv_options::max_iter iterations or 20 × max_iter log-likelihood
 * evaluations, whichever comes first, and every evaluation has a bounded cost per distinct
 * customer: for BG/NBD and Gamma-Gamma a few logarithms, for Pareto/NBD at most four series of
 * up to 2,000 terms and an adaptive quadrature of at most 1,410 points (a few dozen terms in
 * typical calls). A Pareto/NBD fit on a handful of customers whose likelihood runs off to a limit
 * thus takes a fraction of a second.
 *
 * A parameter "runs to a limit" when the optimiser left it at the edge of its search range
 * (e^±25), or when the likelihood a factor e^10 further along a direction that moves it, or it and
 * its partner (r and alpha; a and b; s and beta; q and gamma; p up and gamma down), is no lower
 * than at the fitted point: the supremum lies at 0 or infinity, where the model degenerates into
 * a simpler one. See the file description for which limits still count as converged ("no
 * dropout") and which fail with ::TIER_ENOTCONVERGED.
 *
 * @param n_evals Receives the number of evaluations of the log-likelihood over all the customers
 *        a run worked on (all starts, the refinement on all data when the starts ran on a sample,
 *        and the limit probes; a numerical gradient counts 2 per parameter): at most
 *        (n_starts + 1) × (20 × max_iter + 8) + 12. 0 for a model saved by a libtier without this
 *        function. May be NULL.
 * @param limits Receives a bit mask: bit j set when parameter j (in the order of
 *        tier_clv_params() or tier_clv_spend_params()) runs to a limit; 0 for a fit with a
 *        finite maximum. May be NULL.
 * @param clv A fitted CLV scorer.
 * @param part ::TIER_CLV_COUNTS or ::TIER_CLV_SPEND.
 * @return ::TIER_OK; ::TIER_EINVAL (NULL, not a CLV scorer, unknown part, spend part without a
 *         spend model); ::TIER_ENOTFITTED.
 */
TIER_API int tier_clv_fit_diagnostics(uint64_t *n_evals, unsigned int *limits, const tier_scorer *clv,
                                      tier_clv_part part);

/* ---- the models on plain arrays ------------------------------------------------------------- */

/**
 * @brief Per-customer log-likelihood of a count model.
 * @param out Receives @p n values (caller-owned).
 * @param model ::TIER_CLV_BGNBD or ::TIER_CLV_PARETO_NBD.
 * @param params 4 finite parameters > 0 in the model's order.
 * @param n Number of customers.
 * @param x, t_x, T @p n values each, in one time unit (that of @p params); rules of the file
 *        description (rows of three NaN give NaN).
 * @return ::TIER_OK; ::TIER_EINVAL (NULL, unknown model, bad parameter); ::TIER_ERANGE (bad row,
 *         with its index); ::TIER_ENOTCONVERGED (a 2F1 series did not converge; the row is named).
 */
TIER_API int tier_clv_loglik(double *out, tier_clv_model model, const double *params, size_t n,
                             const double *x, const double *t_x, const double *T);

/**
 * @brief Per-customer predictions of a count model over (T, T + @p horizon].
 *
 * With x = t_x = T = 0 the conditional predictions are those of a new customer: for example
 * ::TIER_CLV_EXPECTED_PURCHASES gives the unconditional E[X(horizon)].
 *
 * @param out Receives @p n values (caller-owned).
 * @param what The prediction.
 * @param model, params, n, x, t_x, T As for tier_clv_loglik().
 * @param horizon Length of the window, finite and >= 0, in the unit of @p params.
 * @return As tier_clv_loglik(); ::TIER_EINVAL also for an unknown @p what or a bad horizon.
 */
TIER_API int tier_clv_predict(double *out, tier_clv_prediction what, tier_clv_model model,
                              const double *params, size_t n, const double *x, const double *t_x,
                              const double *T, double horizon);

/**
 * @brief Per-customer Gamma-Gamma log density of the mean value @p m of @p x purchases.
 * @param out Receives @p n values; NaN where x < 1 or m is not finite and > 0.
 * @param params (p, q, gamma), finite and > 0.
 * @param n Number of customers.
 * @param x, m @p n values each.
 * @return ::TIER_OK or ::TIER_EINVAL (NULL, bad parameter).
 */
TIER_API int tier_clv_spend_loglik(double *out, const double *params, size_t n, const double *x,
                                   const double *m);

/**
 * @brief Per-customer Gamma-Gamma expected value of future purchases, p (γ + m x)/(p x + q − 1);
 *        the population mean p γ/(q − 1) (NaN when q <= 1) where x < 1 or m is not finite and > 0.
 * @param out Receives @p n values.
 * @param params, n, x, m As for tier_clv_spend_loglik().
 * @return ::TIER_OK or ::TIER_EINVAL.
 */
TIER_API int tier_clv_spend_expected(double *out, const double *params, size_t n, const double *x,
                                     const double *m);

/* ---- calibration and holdout ---------------------------------------------------------------- */

/**
 * @brief Splits each customer's purchase days at @p calibration_end into calibration features
 *        and holdout counts, for model checking on one dataset of the whole log.
 *
 * A purchase day (UTC date) belongs to the calibration period when it starts before
 * @p calibration_end, else to the holdout period (which runs to the dataset's as_of). Adds numeric
 * columns, all in days and at day resolution (as the literature's date-only logs):
 * | column | value |
 * |---|---|
 * | `cal_repeat_count` | calibration purchase days − 1 |
 * | `cal_t_x` | days from the first to the last calibration purchase day |
 * | `cal_T` | days from the first purchase day to the last calibration day (the last day that starts before @p calibration_end) |
 * | `holdout_purchases` | purchase days in the holdout period |
 * Purchases count at the start of their day, so T ends at the start of the last calibration
 * day, where the last calibration purchase can be: the literature's convention (Fader, Hardie &
 * Lee 2005 on CDNOW: with the period 1997-01-01 .. 1997-09-30, i.e. @p calibration_end
 * 1997-10-01T00:00Z, a customer who first bought on 1997-01-01 has T = 272 days = 38.86 weeks).
 * Customers whose first purchase falls in the holdout period (or who never bought) get NaN in
 * all four: they are not part of the calibration cohort. Feed the first three to a CLV scorer with
 * tier_clv_options::x_column etc. (tier_clv_fit_csv() does it all) and compare its
 * `expected_purchases` over the holdout length with `holdout_purchases`.
 *
 * @param ds A dataset with current features; its columns of these names are replaced.
 * @param calibration_end Seconds since the epoch; must not be after the dataset's as_of.
 * @return ::TIER_OK; ::TIER_EINVAL (NULL, @p calibration_end after as_of); ::TIER_ESTALE;
 *         ::TIER_ENOMEM.
 */
TIER_API int tier_clv_calibration_split(tier_dataset *ds, int64_t calibration_end);

/**
 * @brief Adds holdout outcomes to a calibration dataset from a dataset of the same log that also
 *        covers the holdout period.
 *
 * For each customer of @p calibration found (by id) in @p full: `holdout_purchases` = purchase
 * days in @p full − purchase days in @p calibration, and `holdout_spend` = monetary in @p full −
 * monetary in @p calibration (net of returns); NaN for customers not in @p full. Correct when
 * @p calibration holds exactly the transactions of @p full before a cut at a UTC midnight (so no
 * purchase day is split between the two).
 *
 * @param calibration Receives the two columns.
 * @param full Borrowed, not modified.
 * @return ::TIER_OK; ::TIER_EINVAL (NULL or the same dataset); ::TIER_ESTALE (features of either
 *         are out of date); ::TIER_ENOMEM.
 */
TIER_API int tier_clv_holdout(tier_dataset *calibration, const tier_dataset *full);

/**
 * @brief One call from a transaction file to a fitted model with a calibration/holdout split.
 *
 * Loads @p path with @p csv (tier_dataset_load_csv(): its as_of ends the holdout period),
 * applies tier_clv_calibration_split() at @p calibration_end, and fits a CLV scorer made from
 * @p opts on the columns `cal_repeat_count`, `cal_t_x` and `cal_T` (its x, t_x and T columns are
 * overridden; a spend column is used as given). For the literature's setting pass
 * ::TIER_CLV_WEEKS.
 *
 * @param scorer Receives the fitted scorer, owned by the caller; NULL on failure.
 * @param ds Receives the dataset with the split columns, owned by the caller; may be NULL if not
 *        wanted. NULL on failure.
 * @param path Transaction CSV file. Borrowed.
 * @param csv CSV options, or NULL for defaults. Borrowed.
 * @param calibration_end End of the calibration period, seconds since the epoch.
 * @param opts CLV options, or NULL for defaults. Borrowed.
 * @return The errors of tier_dataset_load_csv(), tier_clv_calibration_split(), tier_clv_new()
 *         and tier_scorer_fit().
 */
TIER_API int tier_clv_fit_csv(tier_scorer **scorer, tier_dataset **ds, const char *path,
                              const tier_csv_options *csv, int64_t calibration_end,
                              const tier_clv_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* TIER_CLV_H */
