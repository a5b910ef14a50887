/**
 * @file rules.h
 * @brief tier_rules: a compiled tier rule set — ordered tiers, each with a condition over
 *        dataset columns, and the movement policy used for dynamic tiers.
 *
 * A rule set is text that a CRM administrator reads without training (the full reference is
 * `doc/rules.md`):
 *
 * @code{.unparsed}
 * # Tiers are listed best first; the first tier whose condition holds wins.
 * tier Diamond when monetary > 5000 and frequency > 10
 *     label "Top customers"
 *     retain when monetary > 4000          # easier condition to keep the tier
 * tier Gold when monetary between 1000 and 5000 or country in ("France", "Germany")
 * tier Silver when recency <= 90 and returns is not missing
 * otherwise Normal
 *
 * policy grace 2 evaluations               # keep a tier 2 evaluations before moving down
 * policy max downgrade 1 step              # then move down one tier per evaluation at most
 * pin "12347" to Diamond until 2012-06-30  # manual override
 * @endcode
 *
 * @par Compile once, apply many times
 * tier_rules_compile() parses and checks the text and produces a small bytecode. Column names
 * are bound by name each time the rule set is applied to a dataset, so one compiled rule set
 * serves every period's dataset. Compile errors, and binding errors found when applying, point
 * at `source:line:column` with the offending text and a suggestion where one exists
 * ("rules.tier:3:14: unknown column 'monetry' (did you mean 'monetary'?)"). Pass a dataset in
 * ::tier_rules_options to check the columns already at compile time.
 *
 * @par Missing values
 * Missing values are NaN in numeric columns and ::TIER_MISSING_CODE in categorical ones.
 * Arithmetic with a missing value gives a missing value; every comparison (`<`, `=`, `!=`,
 * `between`, `in`, and their `not` forms) involving a missing value is false; `not` simply
 * negates its operand, so `not (x > 5)` is true for a missing `x`. `is missing` tests for it.
 *
 * @par Evaluation
 * Conditions run over blocks of 1,024 rows, one bytecode instruction at a time over a whole
 * block with vector instructions (no per-row interpretation), in parallel over fixed row
 * ranges on the dataset's worker threads. The result never depends on the thread count.
 *
 * @par Ties and order
 * A customer matching several tiers gets the first (best) one; the `otherwise` tier takes the
 * rest. Evaluation is deterministic: the same rule set and data give the same tiers.
 *
 * @par Threads
 * A compiled rule set is immutable: it may be used from many threads at once.
 */
#ifndef TIER_RULES_H
#define TIER_RULES_H

#include "dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An opaque compiled rule set. */
typedef struct tier_rules tier_rules;

/** Options for tier_rules_compile() and tier_rules_load(). */
typedef struct tier_rules_options {
    /** Must be ::TIER_RULES_OPTIONS_VERSION (or an older version number). */
    unsigned int version;
    /** Allocator for the rule set; NULL for the C library's. */
    const tier_allocator *allocator;
    /** If not NULL, the rule set's columns are checked against this dataset at compile time
     *  (existence and type), so mistakes are reported before any data is tiered. Borrowed for
     *  the call only. */
    const tier_dataset *dataset;
} tier_rules_options;

/** Current version of ::tier_rules_options. */
#define TIER_RULES_OPTIONS_VERSION 1
/** Static initialiser for ::tier_rules_options with default values. */
#define TIER_RULES_OPTIONS_INIT { TIER_RULES_OPTIONS_VERSION, NULL, NULL }

/**
 * @brief Initialises @p opts with default values, as ::TIER_RULES_OPTIONS_INIT does.
 * @param opts Caller-owned struct to fill.
 * @param version ::TIER_RULES_OPTIONS_VERSION.
 * @return ::TIER_OK, ::TIER_EINVAL if @p opts is NULL, ::TIER_EVERSION for an unknown version.
 */
TIER_API int tier_rules_options_init(tier_rules_options *opts, unsigned int version);

/**
 * @brief Compiles rule-set text.
 *
 * @param out Receives the compiled rule set, owned by the caller (release with
 *        tier_rules_free()). Set to NULL on failure.
 * @param text The rule text, UTF-8. Need not be NUL-terminated; NUL bytes inside are errors.
 *        Borrowed for the call only.
 * @param len Length of @p text in bytes.
 * @param source_name Name used in messages ("rules.tier"); NULL for "rules". Copied.
 * @param opts Options, or NULL for defaults. Borrowed for the call only.
 * @return ::TIER_OK; ::TIER_EPARSE for a syntax or structure error (message
 *         `source:line:column: what, found 'text'`, with a suggestion where one exists);
 *         ::TIER_ETYPE for a type error in the text (a column used both as a number and as
 *         text, text in arithmetic, a number where a condition is needed); ::TIER_ENOTFOUND
 *         for a pin naming an unknown tier; with a dataset in @p opts, also ::TIER_ENOTFOUND
 *         / ::TIER_ETYPE for an unknown or wrongly typed column, and ::TIER_ENOTFOUND for a
 *         text value that is not in its categorical column but close to one that is (a likely
 *         misspelling); ::TIER_EINVAL for a NULL @p out, or NULL @p text with @p len > 0;
 *         ::TIER_EVERSION; ::TIER_ENOMEM. Nothing is allocated on failure.
 */
TIER_API int tier_rules_compile(tier_rules **out, const char *text, size_t len,
                                const char *source_name, const tier_rules_options *opts);

/**
 * @brief Reads and compiles a rule-set file (the file name is the source name in messages).
 * @param out Receives the rule set, owned by the caller; NULL on failure.
 * @param path File to read. Borrowed.
 * @param opts Options, or NULL for defaults. Borrowed.
 * @return As tier_rules_compile(), plus ::TIER_ENOTFOUND when the file does not exist and
 *         ::TIER_EIO when it cannot be read.
 */
TIER_API int tier_rules_load(tier_rules **out, const char *path, const tier_rules_options *opts);

/**
 * @brief Releases a rule set. Accepts NULL.
 *
 * Every string obtained from the rule set (tier names and labels, column names, the source
 * name, pinned customer ids) becomes invalid. Assignments made with the rule set stay valid:
 * they hold their own copies.
 *
 * @param rules The rule set, owned by the caller until this call; NULL does nothing.
 */
TIER_API void tier_rules_free(tier_rules *rules);

/**
 * @brief Number of tiers, including the final `otherwise` tier (at least 1).
 * @param rules The rule set.
 * @return The tier count, at least 1 for a compiled rule set; 0 if @p rules is NULL.
 */
TIER_API size_t tier_rules_tier_count(const tier_rules *rules);

/**
 * @brief The name of tier @p index (0 = best; the last one is the `otherwise` tier).
 * @param rules The rule set.
 * @param index A tier index below tier_rules_tier_count().
 * @return A NUL-terminated string owned by the rule set, valid until it is freed; NULL if
 *         @p index is out of range or @p rules is NULL.
 */
TIER_API const char *tier_rules_tier_name(const tier_rules *rules, size_t index);

/**
 * @brief The label of tier @p index (`label "..."` in the text).
 * @param rules The rule set.
 * @param index A tier index below tier_rules_tier_count().
 * @return A string owned by the rule set, valid until it is freed; the tier's name when it has
 *         no label; NULL if @p index is out of range or @p rules is NULL.
 */
TIER_API const char *tier_rules_tier_label(const tier_rules *rules, size_t index);

/**
 * @brief Finds a tier by name (exact, case-sensitive).
 * @param index Receives the tier index (0 = best); left unchanged on failure.
 * @param rules The rule set.
 * @param name NUL-terminated tier name. Borrowed for the call only.
 * @return ::TIER_OK; ::TIER_ENOTFOUND when no tier has that name (message
 *         `source: unknown tier 'x'`, suggesting the closest tier name where one exists);
 *         ::TIER_EINVAL if any argument is NULL; ::TIER_ENOMEM.
 */
TIER_API int tier_rules_tier_index(size_t *index, const tier_rules *rules, const char *name);

/**
 * @brief Whether tier @p index has a `retain when` condition (1) or not (0).
 * @param rules The rule set.
 * @param index A tier index below tier_rules_tier_count().
 * @return 1 if the tier has a `retain when` condition; 0 if it has none, if @p index is out of
 *         range or if @p rules is NULL.
 */
TIER_API int tier_rules_tier_has_retain(const tier_rules *rules, size_t index);

/**
 * @brief Number of distinct columns the rule set reads.
 * @param rules The rule set.
 * @return The column count (0 when no condition reads a column); 0 if @p rules is NULL.
 */
TIER_API size_t tier_rules_column_count(const tier_rules *rules);

/**
 * @brief The name of column @p index, in order of first use in the text.
 * @param rules The rule set.
 * @param index A column index below tier_rules_column_count().
 * @return A string owned by the rule set, valid until it is freed; NULL if @p index is out of
 *         range or @p rules is NULL.
 */
TIER_API const char *tier_rules_column_name(const tier_rules *rules, size_t index);

/**
 * @brief The source name given to tier_rules_compile() (or the file path). Never NULL.
 * @param rules The rule set.
 * @return A string owned by the rule set, valid until it is freed: the source name, "rules"
 *         when none was given, or the path given to tier_rules_load(); an empty static string
 *         if @p rules is NULL.
 */
TIER_API const char *tier_rules_source_name(const tier_rules *rules);

/** Movement-policy parameters of a rule set. */
typedef enum tier_rules_policy {
    /** `policy grace N evaluations`: a customer whose rules place it below its current tier
     *  keeps the tier for N consecutive evaluations; the next one moves it down. Default 0. */
    TIER_POLICY_GRACE = 0,
    /** `policy max downgrade K steps`: a downgrade moves at most K tiers at once; 0 (the
     *  default) means no limit. */
    TIER_POLICY_MAX_DOWNGRADE = 1
} tier_rules_policy;

/**
 * @brief A movement-policy parameter of the rule set.
 * @param rules The rule set.
 * @param which The parameter to read.
 * @return The value (the default 0 when the text has no such `policy` line); 0 for an unknown
 *         parameter or if @p rules is NULL.
 */
TIER_API unsigned int tier_rules_policy_value(const tier_rules *rules, tier_rules_policy which);

/**
 * @brief Number of `pin` statements (manual overrides written in the text).
 * @param rules The rule set.
 * @return The pin count; 0 if @p rules is NULL.
 */
TIER_API size_t tier_rules_pin_count(const tier_rules *rules);

/**
 * @brief A `pin` statement of the text.
 * @param customer_id Receives the customer id (owned by the rule set); may be NULL.
 * @param tier Receives the tier index; may be NULL.
 * @param until Receives the instant until which the pin holds (exclusive: the midnight UTC
 *        after the written date); may be NULL.
 * @param rules The rule set.
 * @param index 0 .. tier_rules_pin_count() − 1.
 * @return ::TIER_OK or ::TIER_EINVAL for an index out of range.
 */
TIER_API int tier_rules_pin(const char **customer_id, size_t *tier, int64_t *until,
                            const tier_rules *rules, size_t index);

/**
 * @brief Checks that every column the rule set reads exists in @p ds with a suitable type.
 *
 * A text value absent from its categorical column is not an error here (no customer has that
 * value); only tier_rules_compile() with a dataset in its options reports likely misspellings.
 *
 * @param rules The rule set. Borrowed for the call only.
 * @param ds The dataset. Borrowed for the call only; not modified.
 * @return ::TIER_OK; ::TIER_ENOTFOUND (`source:line:column: unknown column 'x' (did you mean
 *         'y'?)`); ::TIER_ETYPE (a categorical column used as a number or the reverse, with its
 *         position); ::TIER_ESTALE when a feature column is stale; ::TIER_EINVAL if @p rules or
 *         @p ds is NULL; ::TIER_ENOMEM.
 */
TIER_API int tier_rules_check(const tier_rules *rules, const tier_dataset *ds);

/**
 * @brief The tier each customer qualifies for by the rules alone (no movement policy, no
 *        retain conditions, no pins): the first tier whose condition holds, else the
 *        `otherwise` tier.
 *
 * This is the fast, stateless core of tier_assignment_new().
 *
 * @param tiers Receives tier_dataset_size() tier indices (0 = best). Caller-owned.
 * @param rules The rule set.
 * @param ds The dataset. Its thread setting is used; the result does not depend on it.
 * @return ::TIER_OK; the errors of tier_rules_check(); ::TIER_ENOMEM.
 */
TIER_API int tier_rules_evaluate(int32_t *tiers, const tier_rules *rules, const tier_dataset *ds);

#ifdef __cplusplus
}
#endif

#endif /* TIER_RULES_H */
