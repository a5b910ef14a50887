/* Open-addressing sets behind distinct-order and distinct-day counts (see internal/keyset.h). */
#include <string.h>

#include "internal/error.h"
#include "internal/keyset.h"

static inline uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static size_t slots_for(size_t n)
{
    size_t cap = 16;
    while (cap < n + n / 2 + 1) /* load factor <= 2/3 */
        cap *= 2;
    return cap;
}

void tier__orderset_free(const tier__alloc *a, tier__orderset *s)
{
    tier__free(a, s->slots);
    memset(s, 0, sizeof *s);
}

/* The slot depends on the order-id hash only (already well mixed), so it can be prefetched
 * before the customer's row is known; an order id belongs to one customer almost always. */
static inline size_t order_slot(uint64_t hash, uint32_t row, size_t mask)
{
    (void)row;
    return (size_t)(hash >> 1) & mask;
}

void tier__orderset_prefetch(const tier__orderset *s, uint64_t hash)
{
#if defined(__GNUC__)
    if (s->slots)
        __builtin_prefetch(&s->slots[order_slot(hash | 1, 0, s->mask)]);
#endif
}

void tier__dayset_prefetch(const tier__dayset *s, uint64_t key)
{
#if defined(__GNUC__)
    if (s->slots)
        __builtin_prefetch(&s->slots[(size_t)mix(key) & s->mask]);
#endif
}

int tier__orderset_reserve(const tier__alloc *a, tier__orderset *s, size_t n)
{
    size_t cap = slots_for(n);
    if (s->slots && cap <= s->mask + 1)
        return TIER_OK;
    tier__order_entry *slots = tier__calloc(a, cap, sizeof *slots);
    if (!slots)
        return tier__oom();
    size_t mask = cap - 1;
    if (s->slots) {
        for (size_t i = 0; i <= s->mask; i++) {
            tier__order_entry e = s->slots[i];
            if (!e.hash)
                continue;
            size_t j = order_slot(e.hash, e.row, mask);
            while (slots[j].hash)
                j = (j + 1) & mask;
            slots[j] = e;
        }
        tier__free(a, s->slots);
    }
    s->slots = slots;
    s->mask = mask;
    return TIER_OK;
}

int tier__orderset_add(const tier__alloc *a, tier__orderset *s, uint64_t hash, uint32_t row, uint32_t flags)
{
    hash |= 1;
    if (!s->slots || s->n + 1 > (s->mask + 1) * 2 / 3) {
        if (tier__orderset_reserve(a, s, s->n ? 2 * s->n : 64) != TIER_OK)
            return -1;
    }
    size_t j = order_slot(hash, row, s->mask);
    for (;;) {
        tier__order_entry *e = &s->slots[j];
        if (!e->hash) {
            e->hash = hash;
            e->row = row;
            e->flags = flags;
            s->n++;
            return (int)flags;
        }
        if (e->hash == hash && e->row == row) {
            uint32_t fresh = flags & ~e->flags;
            e->flags |= flags;
            return (int)fresh;
        }
        j = (j + 1) & s->mask;
    }
}

void tier__dayset_free(const tier__alloc *a, tier__dayset *s)
{
    tier__free(a, s->slots);
    memset(s, 0, sizeof *s);
}

int tier__dayset_reserve(const tier__alloc *a, tier__dayset *s, size_t n)
{
    size_t cap = slots_for(n);
    if (s->slots && cap <= s->mask + 1)
        return TIER_OK;
    uint64_t *slots = tier__calloc(a, cap, sizeof *slots);
    if (!slots)
        return tier__oom();
    size_t mask = cap - 1;
    if (s->slots) {
        for (size_t i = 0; i <= s->mask; i++) {
            uint64_t k = s->slots[i];
            if (!k)
                continue;
            size_t j = (size_t)mix(k) & mask;
            while (slots[j])
                j = (j + 1) & mask;
            slots[j] = k;
        }
        tier__free(a, s->slots);
    }
    s->slots = slots;
    s->mask = mask;
    return TIER_OK;
}

int tier__dayset_add(const tier__alloc *a, tier__dayset *s, uint64_t key)
{
    if (!s->slots || s->n + 1 > (s->mask + 1) * 2 / 3) {
        if (tier__dayset_reserve(a, s, s->n ? 2 * s->n : 64) != TIER_OK)
            return -1;
    }
    size_t j = (size_t)mix(key) & s->mask;
    for (;;) {
        uint64_t k = s->slots[j];
        if (!k) {
            s->slots[j] = key;
            s->n++;
            return 1;
        }
        if (k == key)
            return 0;
        j = (j + 1) & s->mask;
    }
}
