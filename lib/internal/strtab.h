/* Private: an interning string table (string <-> dense index), used for customer ids and
 * categorical dictionaries. Strings live in a chunked arena, so pointers returned by
 * tier__strtab_get stay valid until the table is freed. Lookups are O(1) on average. */
#ifndef TIER_INTERNAL_STRTAB_H
#define TIER_INTERNAL_STRTAB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"

typedef struct tier__strchunk tier__strchunk;

typedef struct tier__strtab {
    const tier__alloc *alloc;
    tier__strchunk *chunks; /* arena; newest first */
    char *cur;
    size_t cur_left;
    const char **strs;      /* index -> string (NUL-terminated) */
    uint32_t *lens;
    uint64_t *heads;        /* index -> the string's first 8 bytes (tier__strtab_head): a
                               string of up to 8 bytes is compared without reading it */
    uint64_t *hashes;
    size_t n, cap;
    uint64_t *slots;        /* 0 = empty, else (hash >> 32) << 32 | (index + 1): the tag
                               settles most misses without touching the string arrays */
    size_t mask;            /* slots has mask + 1 entries, a power of two */
} tier__strtab;

/* Equality of two byte ranges of length n, inlined for the short keys (ids, order numbers)
 * that dominate; reads only within [0, n). */
static inline int tier__bytes_equal(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    uint64_t x0, y0, x1, y1;
    if (n >= 8 && n <= 16) {
        memcpy(&x0, x, 8);
        memcpy(&y0, y, 8);
        memcpy(&x1, x + n - 8, 8);
        memcpy(&y1, y + n - 8, 8);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    if (n > 16 && n <= 32) { /* times such as "2011-12-09 12:50:00" */
        uint64_t d = 0;
        for (size_t k = 0; k < 2; k++) {
            size_t o = k ? n - 16 : 0;
            memcpy(&x0, x + o, 8);
            memcpy(&y0, y + o, 8);
            memcpy(&x1, x + o + 8, 8);
            memcpy(&y1, y + o + 8, 8);
            d |= (x0 ^ y0) | (x1 ^ y1);
        }
        return d == 0;
    }
    if (n >= 4 && n < 8) {
        uint32_t u0, v0, u1, v1;
        memcpy(&u0, x, 4);
        memcpy(&v0, y, 4);
        memcpy(&u1, x + n - 4, 4);
        memcpy(&v1, y + n - 4, 4);
        return ((u0 ^ v0) | (u1 ^ v1)) == 0;
    }
    if (n < 4) {
        for (size_t i = 0; i < n; i++)
            if (x[i] != y[i])
                return 0;
        return 1;
    }
    return memcmp(x, y, n) == 0;
}

void tier__strtab_init(tier__strtab *t, const tier__alloc *alloc);
void tier__strtab_free(tier__strtab *t);

/* The first min(n, 8) bytes of p as a little-endian word, zero-padded; reads only within
 * [p, p + n). Equal strings of equal length have equal heads. */
static inline uint64_t tier__strtab_head(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t v = 0;
    if (n >= 8) {
        memcpy(&v, s, 8);
    } else if (n >= 4) { /* two overlapping loads: the shared bytes are the same bytes */
        uint32_t lo, hi;
        memcpy(&lo, s, 4);
        memcpy(&hi, s + n - 4, 4);
        v = (uint64_t)lo | (uint64_t)hi << (8 * (n - 4));
    } else {
        for (size_t i = 0; i < n; i++)
            v |= (uint64_t)s[i] << (8 * i);
    }
    return v;
}

static inline uint64_t tier__hash_mix(uint64_t x)
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

/* A small fast hash for short keys (ids are typically 4-20 bytes): 8 bytes at a time,
 * multiply-mix, finalised with the length. Not cryptographic; the table tolerates collisions.
 * Inline: the CSV parser hashes two fields per row. Saved files hold these hashes, so the
 * function is part of the file format. */
static inline uint64_t tier__hash_bytes(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xff51afd7ed558ccdULL);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x87c37b91114253d5ULL;
        h = (h << 31) | (h >> 33);
        p += 8;
        n -= 8;
    }
    if (n) /* the tail zero-padded, by word loads (byte stores then a word load would stall) */
        h = (h ^ tier__strtab_head(p, n)) * 0x4cf5ad432745937fULL;
    return tier__hash_mix(h);
}

/* Finds or adds `s[0..len)`. *index receives its index; *created (may be NULL) whether it was
 * added. Returns TIER_OK or TIER_ENOMEM (recorded). Strings may contain any bytes but NUL. */
int tier__strtab_intern(tier__strtab *t, const char *s, size_t len, uint32_t *index, int *created);

/* tier__strtab_intern with the hash already computed by tier__hash_bytes(s, len). */
int tier__strtab_intern_hashed(tier__strtab *t, const char *s, size_t len, uint64_t hash,
                               uint32_t *index, int *created);

/* Hints the CPU to fetch the slot where `hash` starts probing (a batch computes hashes first,
 * prefetches, then looks up, so cache misses overlap). */
static inline void tier__strtab_prefetch(const tier__strtab *t, uint64_t hash)
{
#if defined(__GNUC__)
    if (t->slots)
        __builtin_prefetch(&t->slots[(size_t)hash & t->mask]);
#else
    (void)t;
    (void)hash;
#endif
}

/* The index stored in the first slot from where `hash` starts probing whose tag matches,
 * or -1: a guess (usually right, never trusted) that lets a batch prefetch a string's
 * entries, and whatever the caller keeps by index, before the lookup proper. Reads only the
 * cache line of that first slot (the one tier__strtab_prefetch fetches): a third of the
 * strings of a half-full table sit past their first slot, and most of those within it. */
static inline long tier__strtab_peek(const tier__strtab *t, uint64_t hash)
{
    if (!t->slots)
        return -1;
    const uint64_t tag = hash & 0xFFFFFFFF00000000ULL;
    for (size_t i = (size_t)hash & t->mask;; i++) {
        const uint64_t v = t->slots[i];
        if (!v)
            return -1;
        if ((v & 0xFFFFFFFF00000000ULL) == tag)
            return (long)(v & 0xFFFFFFFFu) - 1;
        if (i == t->mask || ((uintptr_t)&t->slots[i + 1] & 63) == 0)
            return -1; /* the next slot is on another line */
    }
}

/* The index of s[0..len) (hash: tier__hash_bytes of it), or -1; *slot receives the slot
 * where it is, or where it would go. Inline: the dataset looks up a customer id on almost
 * every other row of a load, and most are found. */
static inline long tier__strtab_lookup(const tier__strtab *t, const char *s, size_t len, uint64_t h, size_t *slot)
{
    if (!t->slots) {
        *slot = 0;
        return -1;
    }
    size_t i = (size_t)h & t->mask;
    const uint64_t tag = h & 0xFFFFFFFF00000000ULL;
    const uint64_t head = tier__strtab_head(s, len);
    for (;;) {
        uint64_t v = t->slots[i];
        if (v == 0) {
            *slot = i;
            return -1;
        }
        size_t k = (size_t)(v & 0xFFFFFFFFu) - 1;
        /* the tag settles most mismatches; a match is only ever decided by the bytes: the
         * head holds the first 8, the string is read only for the rest */
        if ((v & 0xFFFFFFFF00000000ULL) == tag && t->lens[k] == len && t->heads[k] == head &&
            (len <= 8 || tier__bytes_equal(t->strs[k] + 8, s + 8, len - 8))) {
            *slot = i;
            return (long)k;
        }
        i = (i + 1) & t->mask;
    }
}

/* Returns the index of s[0..len), or -1. */
static inline long tier__strtab_find_hashed(const tier__strtab *t, const char *s, size_t len, uint64_t hash)
{
    size_t slot;
    return tier__strtab_lookup(t, s, len, hash, &slot);
}
long tier__strtab_find(const tier__strtab *t, const char *s, size_t len);

/* Adds s[0..len) (hash: tier__hash_bytes of it), which tier__strtab_lookup has just found
 * absent, giving `slot`: a caller that looked first does not look twice (the slot is looked
 * up again only if the table must grow). *index receives its index. Returns TIER_OK,
 * TIER_EINVAL (too long) or TIER_ENOMEM (recorded). */
int tier__strtab_insert(tier__strtab *t, const char *s, size_t len, uint64_t hash, size_t slot,
                        uint32_t *index);

static inline const char *tier__strtab_get(const tier__strtab *t, size_t i) { return t->strs[i]; }

/* Reserves room for `n` strings in total (slots and index arrays). */
int tier__strtab_reserve(tier__strtab *t, size_t n);
/* Reserves room for `n` strings in the index arrays only (strs, lens, heads, hashes), which
 * are filled in order, so room not used yet is never touched; the slots, which a table
 * touches all over, still grow as it fills. */
int tier__strtab_reserve_entries(tier__strtab *t, size_t n);

#endif
