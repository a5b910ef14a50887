/* Private: the two exact sets a dataset keeps to count distinct things per customer.
 *
 * tier__orderset: (customer row, 64-bit order-id hash) -> flags (purchase/return seen), so that
 * "distinct orders with a purchase" survives batches, merges and saves. Order ids are compared
 * by a 64-bit hash: two different ids of the same customer collide with probability about
 * m^2 / 2^65 for a customer with m orders (below 1e-12 for m = 10,000).
 *
 * tier__dayset: (customer row, UTC day number) pairs, packed into one 64-bit key. Exact. */
#ifndef TIER_INTERNAL_KEYSET_H
#define TIER_INTERNAL_KEYSET_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"

typedef struct tier__order_entry {
    uint64_t hash;  /* order-id hash with the lowest bit set (0 marks an empty slot) */
    uint32_t row;
    uint32_t flags;
} tier__order_entry;

typedef struct tier__orderset {
    tier__order_entry *slots;
    size_t mask, n; /* capacity mask + 1 slots, n used */
} tier__orderset;

typedef struct tier__dayset {
    uint64_t *slots; /* 0 = empty */
    size_t mask, n;
} tier__dayset;

void tier__orderset_free(const tier__alloc *a, tier__orderset *s);
int tier__orderset_reserve(const tier__alloc *a, tier__orderset *s, size_t n);
/* ORs `flags` into the entry of (hash, row), creating it. Returns the flag bits that were newly
 * set (so the caller can count), or -1 on ENOMEM (recorded). */
int tier__orderset_add(const tier__alloc *a, tier__orderset *s, uint64_t hash, uint32_t row, uint32_t flags);

void tier__orderset_prefetch(const tier__orderset *s, uint64_t hash);
void tier__dayset_prefetch(const tier__dayset *s, uint64_t key);

void tier__dayset_free(const tier__alloc *a, tier__dayset *s);
int tier__dayset_reserve(const tier__alloc *a, tier__dayset *s, size_t n);
static inline uint64_t tier__day_key(uint32_t row, int32_t day)
{
    /* days are limited to years 0..9999, so day + 2^31 is never 0 */
    return ((uint64_t)row << 32) | (uint32_t)((int64_t)day + 0x80000000LL);
}
/* Adds a key. Returns 1 if new, 0 if present, -1 on ENOMEM (recorded). */
int tier__dayset_add(const tier__alloc *a, tier__dayset *s, uint64_t key);

#endif
