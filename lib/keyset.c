/* The sets behind distinct-order and distinct-day counts: an append-only log of entries plus a
 * hash index built on first need (see internal/keyset.h). */
#include <string.h>

#include "internal/error.h"
#include "internal/keyset.h"

/* Log positions are stored + 1 in 32 bits. */
#define LOG_MAX ((size_t)UINT32_MAX - 1)

static inline uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* Index slots for n entries: a power of two, load factor at most 1/2. */
static size_t slots_for(size_t n)
{
    size_t cap = 64;
    while (cap < 2 * n)
        cap *= 2;
    return cap;
}

static int grow_log(const tier__alloc *a, void **log, size_t *cap, size_t need, size_t elem)
{
    if (need > LOG_MAX)
        return tier__error(TIER_ENOMEM, "more than %zu distinct entries in a dataset partition", LOG_MAX);
    return need <= *cap ? TIER_OK : tier__grow(a, log, cap, need, elem);
}

/* ---- orders ------------------------------------------------------------------------------ */

/* The slot depends on the order-id hash only (already well mixed), so it can be prefetched
 * before the customer's row is known; an order id belongs to one customer almost always. */
static inline size_t order_slot(uint64_t hash, size_t mask)
{
    return (size_t)(hash >> 1) & mask;
}

void tier__orderset_free(const tier__alloc *a, tier__orderset *s)
{
    tier__free(a, s->log);
    tier__free(a, s->index);
    memset(s, 0, sizeof *s);
}

void tier__orderset_prefetch(const tier__orderset *s, uint64_t hash)
{
#if defined(__GNUC__)
    if (s->index)
        __builtin_prefetch(&s->index[order_slot(hash | 1, s->mask)]);
#else
    (void)s;
    (void)hash;
#endif
}

static void order_index_put(tier__orderset *s, size_t pos)
{
    size_t j = order_slot(s->log[pos].hash, s->mask);
    while (s->index[j])
        j = (j + 1) & s->mask;
    s->index[j] = (uint32_t)(pos + 1);
}

/* (Re)builds the index with room for n entries. */
static int order_index_build(const tier__alloc *a, tier__orderset *s, size_t n)
{
    size_t cap = slots_for(n);
    uint32_t *index = tier__calloc(a, cap, sizeof *index);
    if (!index)
        return tier__oom();
    tier__free(a, s->index);
    s->index = index;
    s->mask = cap - 1;
    for (size_t i = 0; i < s->n; i++)
        order_index_put(s, i);
    return TIER_OK;
}

int tier__orderset_reserve(const tier__alloc *a, tier__orderset *s, size_t n)
{
    int rc = grow_log(a, (void **)&s->log, &s->cap, n, sizeof *s->log);
    if (!rc && s->index && 2 * n > s->mask + 1)
        rc = order_index_build(a, s, n);
    return rc;
}

/* Appends without looking; keeps the index, if any, up to date. */
static int order_append(const tier__alloc *a, tier__orderset *s, uint64_t hash, uint32_t row, uint32_t flags)
{
    if (s->n == s->cap && tier__orderset_reserve(a, s, s->n + 1))
        return -1;
    if (s->index && 2 * (s->n + 1) > s->mask + 1 && order_index_build(a, s, 2 * (s->n + 1)))
        return -1;
    s->log[s->n] = (tier__order_entry){ hash, row, flags };
    if (s->index)
        order_index_put(s, s->n);
    s->n++;
    return (int)flags;
}

int tier__orderset_append_slow(const tier__alloc *a, tier__orderset *s, uint64_t hash, uint32_t row,
                               uint32_t flags)
{
    return order_append(a, s, hash | 1, row, flags);
}

int tier__orderset_add(const tier__alloc *a, tier__orderset *s, uint64_t hash, uint32_t row, uint32_t flags)
{
    hash |= 1;
    if (!s->index && order_index_build(a, s, s->n + 1))
        return -1;
    for (size_t j = order_slot(hash, s->mask);; j = (j + 1) & s->mask) {
        uint32_t v = s->index[j];
        if (!v)
            return order_append(a, s, hash, row, flags);
        tier__order_entry *e = &s->log[v - 1];
        if (e->hash == hash && e->row == row) {
            uint32_t fresh = flags & ~e->flags;
            e->flags |= flags;
            return (int)fresh;
        }
    }
}

/* ---- days -------------------------------------------------------------------------------- */

void tier__dayset_free(const tier__alloc *a, tier__dayset *s)
{
    tier__free(a, s->log);
    tier__free(a, s->index);
    memset(s, 0, sizeof *s);
}

void tier__dayset_prefetch(const tier__dayset *s, uint64_t key)
{
#if defined(__GNUC__)
    if (s->index)
        __builtin_prefetch(&s->index[(size_t)mix(key) & s->mask]);
#else
    (void)s;
    (void)key;
#endif
}

static void day_index_put(tier__dayset *s, uint64_t key)
{
    size_t j = (size_t)mix(key) & s->mask;
    while (s->index[j])
        j = (j + 1) & s->mask;
    s->index[j] = key;
}

static int day_index_build(const tier__alloc *a, tier__dayset *s, size_t n)
{
    size_t cap = slots_for(n);
    uint64_t *index = tier__calloc(a, cap, sizeof *index);
    if (!index)
        return tier__oom();
    tier__free(a, s->index);
    s->index = index;
    s->mask = cap - 1;
    for (size_t i = 0; i < s->n; i++)
        day_index_put(s, s->log[i]);
    return TIER_OK;
}

int tier__dayset_reserve(const tier__alloc *a, tier__dayset *s, size_t n)
{
    int rc = grow_log(a, (void **)&s->log, &s->cap, n, sizeof *s->log);
    if (!rc && s->index && 2 * n > s->mask + 1)
        rc = day_index_build(a, s, n);
    return rc;
}

int tier__dayset_append_slow(const tier__alloc *a, tier__dayset *s, uint64_t key)
{
    if (s->n == s->cap && tier__dayset_reserve(a, s, s->n + 1))
        return -1;
    if (s->index && 2 * (s->n + 1) > s->mask + 1 && day_index_build(a, s, 2 * (s->n + 1)))
        return -1;
    s->log[s->n++] = key;
    if (s->index)
        day_index_put(s, key);
    return 1;
}

int tier__dayset_add(const tier__alloc *a, tier__dayset *s, uint64_t key)
{
    if (!s->index && day_index_build(a, s, s->n + 1))
        return -1;
    for (size_t j = (size_t)mix(key) & s->mask;; j = (j + 1) & s->mask) {
        uint64_t k = s->index[j];
        if (!k)
            return tier__dayset_append_slow(a, s, key);
        if (k == key)
            return 0;
    }
}
