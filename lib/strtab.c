/* Interning string table: open addressing over dense indices, strings in a chunked arena so
 * that growing never moves them (callers hand out pointers to ids and category names). */
#include <string.h>

#include "internal/error.h"
#include "internal/strtab.h"

#define CHUNK_MIN 65536

struct tier__strchunk {
    tier__strchunk *next;
    /* string bytes follow */
};

void tier__strtab_init(tier__strtab *t, const tier__alloc *alloc)
{
    memset(t, 0, sizeof *t);
    t->alloc = alloc;
}

void tier__strtab_free(tier__strtab *t)
{
    tier__strchunk *c = t->chunks;
    while (c) {
        tier__strchunk *next = c->next;
        tier__free(t->alloc, c);
        c = next;
    }
    tier__free(t->alloc, (void *)t->strs);
    tier__free(t->alloc, t->lens);
    tier__free(t->alloc, t->heads);
    tier__free(t->alloc, t->hashes);
    tier__free(t->alloc, t->slots);
    const tier__alloc *a = t->alloc;
    memset(t, 0, sizeof *t);
    t->alloc = a;
}

static inline uint64_t slot_value(uint64_t hash, size_t index)
{
    return (hash & 0xFFFFFFFF00000000ULL) | (uint64_t)(index + 1);
}

static int rehash(tier__strtab *t, size_t nslots)
{
    uint64_t *slots = tier__calloc(t->alloc, nslots, sizeof *slots);
    if (!slots)
        return tier__oom();
    size_t mask = nslots - 1;
    for (size_t i = 0; i < t->n; i++) {
        size_t s = (size_t)t->hashes[i] & mask;
        while (slots[s])
            s = (s + 1) & mask;
        slots[s] = slot_value(t->hashes[i], i);
    }
    tier__free(t->alloc, t->slots);
    t->slots = slots;
    t->mask = mask;
    return TIER_OK;
}

int tier__strtab_reserve_entries(tier__strtab *t, size_t n)
{
    if (n > 0xFFFFFFFEu)
        return tier__error(TIER_ENOMEM, "more than 4294967294 distinct strings");
    if (n > t->cap) {
        size_t cap = t->cap;
        void *strs = (void *)t->strs, *lens = t->lens, *heads = t->heads, *hashes = t->hashes;
        size_t c1 = cap, c2 = cap, c3 = cap;
        int rc = tier__grow(t->alloc, &strs, &cap, n, sizeof(char *)) ||
                 tier__grow(t->alloc, &lens, &c1, n, sizeof(uint32_t)) ||
                 tier__grow(t->alloc, &heads, &c2, n, sizeof(uint64_t)) ||
                 tier__grow(t->alloc, &hashes, &c3, n, sizeof(uint64_t));
        t->strs = strs;
        t->lens = lens;
        t->heads = heads;
        t->hashes = hashes;
        if (rc)
            return TIER_ENOMEM;
        /* the four grew from the same capacity with the same rule */
        t->cap = cap < c1 ? cap : c1;
        t->cap = t->cap < c2 ? t->cap : c2;
        t->cap = t->cap < c3 ? t->cap : c3;
    }
    return TIER_OK;
}

int tier__strtab_reserve(tier__strtab *t, size_t n)
{
    int rc = tier__strtab_reserve_entries(t, n);
    if (rc)
        return rc;
    /* keep the load factor at most 1/2 */
    size_t want = t->slots ? t->mask + 1 : 0;
    if (want < 2 * n || !t->slots) {
        size_t nslots = 16;
        while (nslots < 2 * n)
            nslots *= 2;
        if (!t->slots || nslots > t->mask + 1)
            return rehash(t, nslots);
    }
    return TIER_OK;
}

static char *arena_copy(tier__strtab *t, const char *s, size_t len)
{
    if (t->cur_left < len + 1) {
        size_t size = len + 1 > CHUNK_MIN ? len + 1 : CHUNK_MIN;
        tier__strchunk *c = tier__malloc(t->alloc, sizeof *c + size);
        if (!c)
            return NULL;
        c->next = t->chunks;
        t->chunks = c;
        t->cur = (char *)(c + 1);
        t->cur_left = size;
    }
    char *p = t->cur;
    memcpy(p, s, len);
    p[len] = '\0';
    t->cur += len + 1;
    t->cur_left -= len + 1;
    return p;
}

int tier__strtab_intern(tier__strtab *t, const char *s, size_t len, uint32_t *index, int *created)
{
    return tier__strtab_intern_hashed(t, s, len, tier__hash_bytes(s, len), index, created);
}

int tier__strtab_intern_hashed(tier__strtab *t, const char *s, size_t len, uint64_t h, uint32_t *index,
                               int *created)
{
    size_t slot;
    long k = tier__strtab_lookup(t, s, len, h, &slot);
    if (k >= 0) {
        *index = (uint32_t)k;
        if (created)
            *created = 0;
        return TIER_OK;
    }
    int rc = tier__strtab_insert(t, s, len, h, slot, index);
    if (created)
        *created = rc == TIER_OK;
    return rc;
}

int tier__strtab_insert(tier__strtab *t, const char *s, size_t len, uint64_t h, size_t slot,
                        uint32_t *index)
{
    if (len > 0xFFFFFFFEu)
        return tier__error(TIER_EINVAL, "string of %zu bytes is too long", len);
    if (t->n + 1 > t->cap || !t->slots || 2 * (t->n + 1) > t->mask + 1) {
        int rc = tier__strtab_reserve(t, t->n + 1 > 2 * t->n ? t->n + 1 : 2 * t->n);
        if (rc)
            return rc;
        tier__strtab_lookup(t, s, len, h, &slot);
    }
    char *copy = arena_copy(t, s, len);
    if (!copy)
        return tier__oom();
    size_t i = t->n++;
    t->strs[i] = copy;
    t->lens[i] = (uint32_t)len;
    t->heads[i] = tier__strtab_head(s, len);
    t->hashes[i] = h;
    t->slots[slot] = slot_value(h, i);
    *index = (uint32_t)i;
    return TIER_OK;
}

long tier__strtab_find(const tier__strtab *t, const char *s, size_t len)
{
    size_t slot;
    return tier__strtab_lookup(t, s, len, tier__hash_bytes(s, len), &slot);
}

