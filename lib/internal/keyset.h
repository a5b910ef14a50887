/* Private: the two exact sets a dataset keeps to count distinct things per customer.
 *
 * tier__orderset: (customer row, 64-bit order-id hash) -> flags (purchase/return seen), so that
 * "distinct orders with a purchase" survives batches, merges and saves. Order ids are compared
 * by a 64-bit hash: two different ids of the same customer collide with probability about
 * m^2 / 2^65 for a customer with m orders (below 1e-12 for m = 10,000).
 *
 * tier__dayset: (customer row, UTC day number) pairs, packed into one 64-bit key. Exact.
 *
 * Both are an append-only log of their entries, in insertion order, plus a hash index over the
 * log that is built only when a membership question needs it. A transaction log in time order
 * almost never asks one: a purchase day later than the customer's last purchase day, or an
 * order id above every numeric order id recorded so far, is new by construction, and the
 * caller appends it with ..._append_new. Appending is a sequential write; probing a table of
 * millions of entries is a cache miss per row (and growing it rewrites it), which made the
 * sets the larger part of loading a log. Once built, the index is kept up to date by every
 * later call. Iterate over the entries as log[0 .. n). */
#ifndef TIER_INTERNAL_KEYSET_H
#define TIER_INTERNAL_KEYSET_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"

typedef struct tier__order_entry {
    uint64_t hash;  /* order-id hash with the lowest bit set */
    uint32_t row;
    uint32_t flags;
} tier__order_entry;

typedef struct tier__orderset {
    tier__order_entry *log;
    size_t n, cap;
    uint32_t *index; /* NULL, or mask + 1 slots: 0 = empty, else log position + 1 */
    size_t mask;
} tier__orderset;

typedef struct tier__dayset {
    uint64_t *log;   /* keys, never 0 */
    size_t n, cap;
    uint64_t *index; /* NULL, or mask + 1 slots holding keys: 0 = empty */
    size_t mask;
} tier__dayset;

void tier__orderset_free(const tier__alloc *a, tier__orderset *s);
/* Makes room for `n` entries in all (and in the index, if it is built). Returns TIER_OK or
 * TIER_ENOMEM (recorded). */
int tier__orderset_reserve(const tier__alloc *a, tier__orderset *s, size_t n);
/* ORs `flags` into the entry of (hash, row), creating it (builds the index on first use).
 * Returns the flag bits that were newly set (so the caller can count), or -1 on ENOMEM
 * (recorded). */
int tier__orderset_add(const tier__alloc *a, tier__orderset *s, uint64_t hash, uint32_t row, uint32_t flags);
/* Appends the entry (hash, row, flags), which the caller knows is not in the set. Returns
 * `flags`, or -1 on ENOMEM (recorded). Inline for the usual case (room in the log, no index
 * to keep): a log in time order appends a new order on every other row. */
int tier__orderset_append_slow(const tier__alloc *a, tier__orderset *s, uint64_t hash, uint32_t row,
                               uint32_t flags);
static inline int tier__orderset_append_new(const tier__alloc *a, tier__orderset *s, uint64_t hash,
                                            uint32_t row, uint32_t flags)
{
    if (s->n < s->cap && !s->index) {
        tier__order_entry *e = &s->log[s->n++];
        e->hash = hash | 1;
        e->row = row;
        e->flags = flags;
        return (int)flags;
    }
    return tier__orderset_append_slow(a, s, hash, row, flags);
}
/* The entry added last, or NULL: the caller may OR flags into it (consecutive lines of one
 * order). */
static inline tier__order_entry *tier__orderset_last(tier__orderset *s)
{
    return s->n ? &s->log[s->n - 1] : NULL;
}
/* Hints the CPU to fetch the index slot of `hash`, when there is an index. */
void tier__orderset_prefetch(const tier__orderset *s, uint64_t hash);

void tier__dayset_free(const tier__alloc *a, tier__dayset *s);
int tier__dayset_reserve(const tier__alloc *a, tier__dayset *s, size_t n);
static inline uint64_t tier__day_key(uint32_t row, int32_t day)
{
    /* days are limited to years 0..9999, so day + 2^31 is never 0 */
    return ((uint64_t)row << 32) | (uint32_t)((int64_t)day + 0x80000000LL);
}
static inline int32_t tier__day_key_day(uint64_t key)
{
    return (int32_t)((int64_t)(key & 0xFFFFFFFFu) - 0x80000000LL);
}
/* Adds a key (builds the index on first use). Returns 1 if new, 0 if present, -1 on ENOMEM
 * (recorded). */
int tier__dayset_add(const tier__alloc *a, tier__dayset *s, uint64_t key);
/* Appends a key the caller knows is not in the set. Returns 1, or -1 on ENOMEM (recorded).
 * Inline for the usual case, as tier__orderset_append_new. */
int tier__dayset_append_slow(const tier__alloc *a, tier__dayset *s, uint64_t key);
static inline int tier__dayset_append_new(const tier__alloc *a, tier__dayset *s, uint64_t key)
{
    if (s->n < s->cap && !s->index) {
        s->log[s->n++] = key;
        return 1;
    }
    return tier__dayset_append_slow(a, s, key);
}
/* Hints the CPU to fetch the index slot of `key`, when there is an index. */
void tier__dayset_prefetch(const tier__dayset *s, uint64_t key);

#endif
