/**
 * @file assignment.h
 * @brief tier_assignment: the tier of every customer at one evaluation, the change events that
 *        led there, and the state (grace counters, overrides) the next evaluation needs.
 *
 * An assignment is made by applying a ::tier_rules to a ::tier_dataset, optionally given the
 * previous period's assignment. Customers are matched with the previous assignment by id;
 * they may be new (not in the previous assignment) or gone (not in the dataset).
 *
 * @par Movement policy (stated in the rule text, see rules.h and `doc/rules.md`)
 * For a customer that had tier `p` in the previous assignment, and whose rules now give tier
 * `q` (tier 0 is the best):
 * 1. A manual override (a `pin` in the text, one given in ::tier_assign_options, or one carried
 *    from the previous assignment) that is still active fixes the tier. Kind
 *    ::TIER_EVENT_OVERRIDE when that changes the tier.
 * 2. If `q` is below `p` but tier `p`'s `retain when` condition holds, the customer keeps `p`
 *    (hysteresis); no event.
 * 3. If `q` is better than `p`, the customer moves up at once (::TIER_EVENT_UPGRADE).
 * 4. If `q` equals `p`, nothing changes and the grace counter is reset.
 * 5. If `q` is below `p`, the grace counter grows by one. While it is at most the rule set's
 *    grace N, the customer keeps `p` (::TIER_EVENT_HELD, every such evaluation). Otherwise the
 *    customer moves down to `q`, but at most K tiers (`policy max downgrade K`; 0 = no limit)
 *    (::TIER_EVENT_DOWNGRADE), and the counter restarts, so every tier on the way down gets its
 *    own grace period.
 *
 * A customer not in the previous assignment, or whose previous tier name does not exist in
 * the rule set, gets `q` (::TIER_EVENT_NEW). Without a previous assignment every customer is
 * new. Previous tiers are matched to the rule set's tiers by name, so a rule set may change
 * between periods.
 *
 * @par Threads
 * An assignment is immutable once made: it may be read from many threads at once.
 */
#ifndef TIER_ASSIGNMENT_H
#define TIER_ASSIGNMENT_H

#include "rules.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An opaque assignment of tiers to customers. */
typedef struct tier_assignment tier_assignment;

/** Why a customer's tier changed (or was held) at an evaluation. */
typedef enum tier_event_kind {
    TIER_EVENT_NEW = 1,       /**< First tier under this rule set (new customer, or its previous
                                   tier no longer exists). */
    TIER_EVENT_UPGRADE = 2,   /**< Moved to a better tier. */
    TIER_EVENT_DOWNGRADE = 3, /**< Moved to a worse tier after its grace period. */
    TIER_EVENT_HELD = 4,      /**< Qualified for a worse tier but kept its tier by grace. */
    TIER_EVENT_OVERRIDE = 5,  /**< Tier set by a manual override. */
    TIER_EVENT_GONE = 6       /**< In the previous assignment but not in the dataset. */
} tier_event_kind;

/**
 * @brief The name of an event kind: "new", "upgrade", "downgrade", "held", "override", "gone".
 * @param kind A ::tier_event_kind value (as an int, as tier_assignment_event() gives it).
 * @return A static string, never NULL and never to be freed; "unknown" for other values.
 */
TIER_API const char *tier_event_kind_name(int kind);

/** Options for tier_assignment_new() and tier_whatif_new(). */
typedef struct tier_assign_options {
    /** Must be ::TIER_ASSIGN_OPTIONS_VERSION (or an older version number). */
    unsigned int version;
    /** Evaluation instant (seconds since the epoch), stamped on every event and compared with
     *  override end dates. ::TIER_AS_OF_AUTO (default): the dataset's tier_dataset_as_of(). It
     *  must be later than the previous assignment's time. */
    int64_t time;
    /** Number of manual overrides given in the next three arrays. */
    size_t n_overrides;
    /** @ref n_overrides customer ids. Borrowed. */
    const char *const *override_customers;
    /** @ref n_overrides tier names of the rule set. Borrowed. */
    const char *const *override_tiers;
    /** @ref n_overrides instants: each pin holds while the evaluation time is earlier. An instant
     *  not later than @ref time removes a pin carried for that customer. */
    const int64_t *override_until;
    /** 0 (default): a pin carried from the previous assignment that names a tier the rule set
     *  lacks is an error. 1: such pins are dropped. */
    int drop_unknown_overrides;
} tier_assign_options;

/** Current version of ::tier_assign_options. */
#define TIER_ASSIGN_OPTIONS_VERSION 1
/** Static initialiser for ::tier_assign_options with default values. */
#define TIER_ASSIGN_OPTIONS_INIT { TIER_ASSIGN_OPTIONS_VERSION, TIER_AS_OF_AUTO, 0, NULL, NULL, NULL, 0 }

/**
 * @brief Initialises @p opts with default values, as ::TIER_ASSIGN_OPTIONS_INIT does.
 * @param opts Caller-owned struct to fill.
 * @param version ::TIER_ASSIGN_OPTIONS_VERSION (or an older version number).
 * @return ::TIER_OK, ::TIER_EINVAL if @p opts is NULL, ::TIER_EVERSION for an unknown version
 *         (@p opts is then left unchanged).
 */
TIER_API int tier_assign_options_init(tier_assign_options *opts, unsigned int version);

/**
 * @brief Assigns tiers to every customer of @p ds.
 *
 * @param out Receives the assignment, owned by the caller (tier_assignment_free()); NULL on
 *        failure. It uses @p ds's allocator and copies everything it needs: it does not
 *        reference @p rules, @p ds or @p previous afterwards.
 * @param rules The rule set (tiers, conditions, policy, pins). Borrowed.
 * @param ds The dataset with current features. Borrowed.
 * @param previous The previous period's assignment, or NULL for a first evaluation. Borrowed
 *        and left unchanged (evaluating is never a commitment: keep or drop the result).
 * @param opts Options, or NULL for defaults. Borrowed.
 * @return ::TIER_OK; the errors of tier_rules_check(); ::TIER_ENOTFOUND for an override naming
 *         an unknown tier (message suggests the closest); ::TIER_EINVAL for a time not later
 *         than @p previous's, no time available (features never computed), or bad options;
 *         ::TIER_EVERSION; ::TIER_ENOMEM.
 */
TIER_API int tier_assignment_new(tier_assignment **out, const tier_rules *rules,
                                 const tier_dataset *ds, const tier_assignment *previous,
                                 const tier_assign_options *opts);

/**
 * @brief Releases an assignment. Accepts NULL.
 *
 * Every string and array obtained from the assignment becomes invalid. Assignments made with
 * it as `previous` stay valid: they hold their own copies.
 *
 * @param a An assignment from tier_assignment_new() or tier_assignment_load(), owned by the
 *        caller until this call; NULL does nothing. Never pass the assignments borrowed from a
 *        ::tier_whatif (tier_whatif_free() releases those).
 */
TIER_API void tier_assignment_free(tier_assignment *a);

/**
 * @brief Number of customers (rows, in the dataset's row order).
 * @param a The assignment.
 * @return The number of rows (the dataset's tier_dataset_size() when it was made); 0 if @p a
 *         is NULL.
 */
TIER_API size_t tier_assignment_size(const tier_assignment *a);

/**
 * @brief The evaluation instant (seconds since the epoch).
 * @param a The assignment.
 * @return The instant stamped on its events; ::TIER_AS_OF_AUTO if @p a is NULL.
 */
TIER_API int64_t tier_assignment_time(const tier_assignment *a);

/**
 * @brief The id of the customer in row @p row.
 * @param a The assignment.
 * @param row A row number below tier_assignment_size().
 * @return A NUL-terminated string owned by the assignment, valid until it is freed; NULL if
 *         @p row is out of range or @p a is NULL.
 */
TIER_API const char *tier_assignment_customer_id(const tier_assignment *a, size_t row);

/**
 * @brief Finds a customer's row in O(1).
 * @param row Receives the row; left unchanged on failure.
 * @param a The assignment.
 * @param customer_id NUL-terminated id (exact, case-sensitive). Borrowed for the call only.
 * @return ::TIER_OK; ::TIER_ENOTFOUND when the id is not in the assignment (no message is set
 *         for a plain miss); ::TIER_EINVAL if any argument is NULL.
 */
TIER_API int tier_assignment_find(size_t *row, const tier_assignment *a, const char *customer_id);

/**
 * @brief Number of tiers of the rule set that made the assignment.
 * @param a The assignment.
 * @return The tier count, at least 1 (the `otherwise` tier included); 0 if @p a is NULL.
 */
TIER_API size_t tier_assignment_tier_count(const tier_assignment *a);

/**
 * @brief Name of tier @p index (owned by the assignment); NULL if out of range.
 * @param a The assignment.
 * @param index A tier index below tier_assignment_tier_count() (0 = best).
 * @return A string owned by the assignment (a copy of the rule set's), valid until the
 *         assignment is freed; NULL if @p index is out of range or @p a is NULL.
 */
TIER_API const char *tier_assignment_tier_name(const tier_assignment *a, size_t index);

/**
 * @brief Label of tier @p index (its name when it has none); NULL if out of range.
 * @param a The assignment.
 * @param index A tier index below tier_assignment_tier_count() (0 = best).
 * @return A string owned by the assignment, valid until it is freed: the tier's label, or its
 *         name when it has no label; NULL if @p index is out of range or @p a is NULL.
 */
TIER_API const char *tier_assignment_tier_label(const tier_assignment *a, size_t index);

/**
 * @brief The tier of every customer, after the movement policy and overrides.
 * @param a The assignment.
 * @return tier_assignment_size() tier indices (0 = best, below tier_assignment_tier_count()),
 *         in row order, owned by the assignment and valid until it is freed (NULL when empty
 *         or if @p a is NULL).
 */
TIER_API const int32_t *tier_assignment_tiers(const tier_assignment *a);

/**
 * @brief The tier every customer qualifies for by the `when` conditions alone (as
 *        tier_rules_evaluate() gives it), before retain conditions, policy and overrides.
 * @param a The assignment.
 * @return tier_assignment_size() tier indices owned by the assignment, in row order, valid
 *         until it is freed (NULL when empty or if @p a is NULL).
 */
TIER_API const int32_t *tier_assignment_qualified(const tier_assignment *a);

/**
 * @brief Per customer, the consecutive evaluations it has been held above its qualifying tier
 *        by grace (0 when not held).
 * @param a The assignment.
 * @return tier_assignment_size() counters owned by the assignment, in row order, valid until it
 *         is freed (NULL when empty or if @p a is NULL).
 */
TIER_API const int32_t *tier_assignment_grace(const tier_assignment *a);

/**
 * @brief Number of customers in tier @p index (0 for an index out of range).
 * @param a The assignment.
 * @param index A tier index below tier_assignment_tier_count() (0 = best).
 * @return The count of rows whose tier (after policy and overrides) is @p index; 0 if @p index
 *         is out of range or @p a is NULL.
 */
TIER_API uint64_t tier_assignment_count(const tier_assignment *a, size_t index);

/**
 * @brief Number of events recorded by this evaluation.
 * @param a The assignment.
 * @return The event count (gone customers included); 0 if @p a is NULL.
 */
TIER_API size_t tier_assignment_event_count(const tier_assignment *a);

/**
 * @brief Reads event @p index. Events are ordered by row, then gone customers in their
 *        previous order. Every out-parameter may be NULL; strings are owned by the assignment.
 * @param customer_id Receives the customer id.
 * @param kind Receives the ::tier_event_kind.
 * @param old_tier Receives the previous tier's name, NULL for a customer seen the first time.
 * @param new_tier Receives the new tier's name, NULL for ::TIER_EVENT_GONE.
 * @param time Receives the evaluation instant.
 * @param a The assignment.
 * @param index 0 .. tier_assignment_event_count() − 1.
 * @return ::TIER_OK or ::TIER_EINVAL for an index out of range.
 */
TIER_API int tier_assignment_event(const char **customer_id, int *kind, const char **old_tier,
                                   const char **new_tier, int64_t *time,
                                   const tier_assignment *a, size_t index);

/**
 * @brief Writes the events as CSV: `customer_id,time,kind,old_tier,new_tier`, time in ISO 8601
 *        UTC, fields quoted when needed. Written atomically (temporary file + rename).
 *
 * The file starts with that header line; an empty old or new tier is an empty field. An
 * existing file at @p path is replaced. The temporary file is `path.tmp.<pid>` in the same
 * directory.
 *
 * @param a The assignment.
 * @param path File to write. Borrowed for the call only.
 * @return ::TIER_OK; ::TIER_EIO when the temporary file cannot be created, written or renamed
 *         to @p path (message names the file; @p path is then unchanged); ::TIER_EINVAL if
 *         @p a or @p path is NULL; ::TIER_ENOMEM.
 */
TIER_API int tier_assignment_write_events(const tier_assignment *a, const char *path);

/**
 * @brief Number of manual overrides carried to the next evaluation (API pins still active).
 *
 * Pins written in the rule text are not carried: they live in the rule set.
 *
 * @param a The assignment.
 * @return The override count; 0 if @p a is NULL.
 */
TIER_API size_t tier_assignment_override_count(const tier_assignment *a);

/**
 * @brief Reads a carried override. Out-parameters may be NULL; strings owned by @p a.
 * @param customer_id Receives the customer id, owned by @p a and valid until it is freed.
 * @param tier Receives the tier name the customer is pinned to, owned by @p a and valid until
 *        it is freed.
 * @param until Receives the instant until which the override holds (exclusive).
 * @param a The assignment.
 * @param index 0 .. tier_assignment_override_count() − 1.
 * @return ::TIER_OK or ::TIER_EINVAL for an index out of range or a NULL @p a (out-parameters
 *         are then left unchanged).
 */
TIER_API int tier_assignment_override(const char **customer_id, const char **tier,
                                      int64_t *until, const tier_assignment *a, size_t index);

/**
 * @brief Counts customers by (tier in @p from, tier in @p to), matched by customer id.
 *
 * @param counts Receives (F + 1) × (T + 1) counts, row-major, where F and T are the tier counts
 *        of @p from and @p to: `counts[i * (T + 1) + j]` customers moved from tier i to tier j.
 *        Row F counts customers only in @p to (new); column T those only in @p from (gone).
 *        Caller-owned.
 * @param from The earlier assignment. Borrowed.
 * @param to The later assignment. Borrowed.
 * @return ::TIER_OK or ::TIER_EINVAL.
 */
TIER_API int tier_assignment_transitions(uint64_t *counts, const tier_assignment *from,
                                         const tier_assignment *to);

/**
 * @brief Adds or replaces a categorical column holding each customer's tier name, joined by
 *        customer id (customers of @p ds absent from @p a are missing). For pivots and exports.
 * @param a The assignment. Borrowed.
 * @param ds The dataset that receives the column.
 * @param name Column name (rules of tier_dataset_set_categorical()).
 * @return ::TIER_OK, ::TIER_EINVAL, ::TIER_ENOMEM.
 */
TIER_API int tier_assignment_to_column(const tier_assignment *a, tier_dataset *ds,
                                       const char *name);

/**
 * @brief Saves the assignment (tiers, qualifying tiers, grace counters, events, carried
 *        overrides) to @p path: versioned, checksummed, written atomically.
 *
 * An existing file at @p path is replaced; on failure it is left unchanged.
 *
 * @param a The assignment. Borrowed for the call only; not modified.
 * @param path File to write. Borrowed for the call only.
 * @return ::TIER_OK; ::TIER_EIO when the file cannot be written (message names the file and
 *         the system error); ::TIER_EINVAL if @p a or @p path is NULL; ::TIER_ENOMEM.
 */
TIER_API int tier_assignment_save(const tier_assignment *a, const char *path);

/**
 * @brief Loads an assignment saved by tier_assignment_save(); it equals the saved one.
 * @param out Receives the assignment, owned by the caller; NULL on failure.
 * @param path File to read. Borrowed.
 * @param allocator Allocator for the assignment, or NULL for the C library's. Copied.
 * @return ::TIER_OK; ::TIER_ENOTFOUND (no such file); ::TIER_EIO; ::TIER_ECORRUPT (truncated,
 *         corrupted, foreign or inconsistent file); ::TIER_EVERSION (newer format);
 *         ::TIER_ENOMEM.
 */
TIER_API int tier_assignment_load(tier_assignment **out, const char *path,
                                  const tier_allocator *allocator);

/** An opaque what-if comparison of two rule sets on the same customers. */
typedef struct tier_whatif tier_whatif;

/**
 * @brief Evaluates a candidate rule set beside the current one without committing anything.
 *
 * Both are applied to @p ds with the same @p previous assignment and options (each with its own
 * movement policy and pins), so the comparison shows what switching rule sets would change
 * this period. The tiers of the two rule sets may differ.
 *
 * @param out Receives the comparison, owned by the caller (tier_whatif_free()); NULL on failure.
 * @param current The rule set in use. Borrowed.
 * @param candidate The rule set under consideration. Borrowed.
 * @param ds The dataset. Borrowed.
 * @param previous The previous assignment, or NULL. Borrowed and unchanged.
 * @param opts Options, or NULL. Borrowed.
 * @return As tier_assignment_new().
 */
TIER_API int tier_whatif_new(tier_whatif **out, const tier_rules *current,
                             const tier_rules *candidate, const tier_dataset *ds,
                             const tier_assignment *previous, const tier_assign_options *opts);

/**
 * @brief Releases a comparison and the two assignments it holds. Accepts NULL.
 *
 * The assignments from tier_whatif_current() and tier_whatif_candidate(), and everything read
 * from them, become invalid.
 *
 * @param w The comparison, owned by the caller until this call; NULL does nothing.
 */
TIER_API void tier_whatif_free(tier_whatif *w);

/**
 * @brief The assignment under the current rule set (borrowed; valid while @p w lives).
 * @param w The comparison.
 * @return The assignment, owned by @p w (do not free it), valid until tier_whatif_free();
 *         NULL if @p w is NULL.
 */
TIER_API const tier_assignment *tier_whatif_current(const tier_whatif *w);

/**
 * @brief The assignment under the candidate rule set, with the events it would record
 *        (borrowed; valid while @p w lives).
 * @param w The comparison.
 * @return The assignment, owned by @p w (do not free it), valid until tier_whatif_free();
 *         NULL if @p w is NULL.
 */
TIER_API const tier_assignment *tier_whatif_candidate(const tier_whatif *w);

/**
 * @brief The transition matrix: customers in tier @p from under the current rule set that
 *        would be in tier @p to under the candidate.
 * @param w The comparison.
 * @param from A tier index of the current rule set (below its tier_rules_tier_count()).
 * @param to A tier index of the candidate rule set (below its tier_rules_tier_count()).
 * @return The count; 0 for indices out of range or if @p w is NULL.
 */
TIER_API uint64_t tier_whatif_transition(const tier_whatif *w, size_t from, size_t to);

/**
 * @brief Number of customers whose tier name differs between the two rule sets.
 *
 * Tiers are compared by name, so a customer in a tier of the same name under both rule sets
 * counts as unchanged even if the tier's index or condition differs.
 *
 * @param w The comparison.
 * @return The count, at most tier_assignment_size() of either assignment; 0 if @p w is NULL.
 */
TIER_API uint64_t tier_whatif_changed(const tier_whatif *w);

#ifdef __cplusplus
}
#endif

#endif /* TIER_ASSIGNMENT_H */
