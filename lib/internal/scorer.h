/* Private: the built-in strategy interface behind tier_scorer (include/tier/scorer.h).
 *
 * A built-in strategy (RFM, AHP, K-means, CLV ...) is a `tier__scorer_kind`: a name, a state
 * version and a small vtable over an opaque state object. Its public constructor builds the state
 * and hands it to tier__scorer_new(); the generic functions of scorer.h do the rest (input checks,
 * output staging and prefixing, the model file, thread rules).
 *
 * To add a built-in kind:
 *   1. define `const tier__scorer_kind tier__<kind>_kind = { ... };` in lib/<kind>.c;
 *   2. declare it below at the @scorer-kind-decls anchor;
 *   3. add `&tier__<kind>_kind,` at the @scorer-kinds anchor in lib/scorer.c (this is what lets
 *      tier_scorer_load() find the loader by the kind name stored in the file).
 *
 * Model file (magic "TIERMODL", format version 1), payload:
 *   u8  1 = built-in, 2 = user-defined
 *   str kind name
 *   u32 state version (built-in: kind->state_version at save time; user-defined: 0)
 *   str output prefix
 *   u32 n_inputs,  then n_inputs  str   (recorded for checks and for tools that list models)
 *   u32 n_outputs, then n_outputs (str name, u8 type)
 *   built-in: the kind's own state, written by kind->save (read back by kind->load, which must
 *             consume it exactly); user-defined: u64 length + bytes from the save callback.
 */
#ifndef TIER_INTERNAL_SCORER_H
#define TIER_INTERNAL_SCORER_H

#include <stdint.h>

#include "tier/scorer.h"
#include "tier/sys/scorer.h"
#include "alloc.h"
#include "binfile.h"

/* Column declarations of a strategy. The pointers point into the state and must stay valid and
 * unchanged for the state's lifetime (fit may not change them). */
typedef struct tier__scorer_columns {
    size_t n_inputs;
    const char *const *inputs;
    size_t n_outputs;
    const char *const *outputs;           /* without the prefix */
    const tier_column_type *output_types; /* NULL: all numeric */
} tier__scorer_columns;

typedef struct tier__scorer_kind {
    const char *name;       /* "rfm": stored in model files; must never change */
    uint32_t state_version; /* version written by save; load accepts 1 .. state_version */

    /* Fills the column declarations. */
    void (*columns)(const void *state, tier__scorer_columns *cols);
    /* 1 if apply may be called. */
    int (*is_fitted)(const void *state);
    /* Learns from ds. On failure the state must be as before (fit into temporaries, then swap).
     * Errors are recorded with tier__error and returned. */
    int (*fit)(void *state, const tier_dataset *ds);
    /* Computes outputs for every row of ds into `out` (tier__output_numeric / _codes). Must not
     * modify the state: it runs concurrently on many threads. */
    int (*apply)(const void *state, const tier_dataset *ds, tier_scorer_output *out);
    /* Optional (NULL = fit, then apply): fit on ds and score the same rows, for strategies
     * whose in-sample result differs from applying the stored model (RFM rank mode splits
     * tied values by row order). Same failure rules as fit, then apply. */
    int (*fit_apply)(void *state, const tier_dataset *ds, tier_scorer_output *out);
    /* Appends the full state (configuration and fit) to w. */
    void (*save)(const void *state, tier__wbuf *w);
    /* Reads a state written by save (of state version `version`). On failure returns an error
     * (TIER_ECORRUPT with the path, TIER_ENOMEM) and sets *state to NULL. */
    int (*load)(void **state, const tier__alloc *alloc, tier__rbuf *r, uint32_t version,
                const char *path);
    /* Releases the state (never called with NULL). */
    void (*free)(void *state, const tier__alloc *alloc);
} tier__scorer_kind;

extern const tier__scorer_kind tier__ahp_kind;
extern const tier__scorer_kind tier__kmeans_kind;
extern const tier__scorer_kind tier__clv_kind;
/* @scorer-kind-decls (one line per built-in strategy; helpers add theirs here) */
extern const tier__scorer_kind tier__rfm_kind;

/* The built-in kind called `name`, or NULL. */
const tier__scorer_kind *tier__scorer_find_kind(const char *name);

/* Creates a scorer of a built-in kind around `state`. Takes ownership of `state` in every case
 * (frees it with kind->free on failure). `prefix` may be NULL. */
int tier__scorer_new(tier_scorer **out, const tier__scorer_kind *kind, void *state,
                     const tier_allocator *allocator, const char *prefix);

/* The state of a scorer if it is of `kind`, else NULL with TIER_EINVAL recorded ("scorer is
 * 'x', not 'rfm'"); `what` names the calling function for the message. */
void *tier__scorer_state(const tier_scorer *s, const tier__scorer_kind *kind, const char *what);

/* The scorer's allocator. */
const tier__alloc *tier__scorer_alloc(const tier_scorer *s);

/* Output staging for apply callbacks (built-in or user). */
size_t tier__output_rows(const tier_scorer_output *out);
/* Writable buffer of numeric output `index` (NaN-filled), or NULL on ENOMEM (recorded). */
double *tier__output_numeric(tier_scorer_output *out, size_t index);
/* Writable code buffer of categorical output `index` (filled with TIER_MISSING_CODE), with a
 * borrowed dictionary that must outlive the apply call (e.g. owned by the state); NULL on
 * ENOMEM. */
int32_t *tier__output_codes(tier_scorer_output *out, size_t index,
                            const char *const *dictionary, size_t n_categories);

/* Checks a column name (1-63 bytes of [A-Za-z0-9_], not starting with a digit). */
int tier__valid_column_name(const char *name);

#endif
