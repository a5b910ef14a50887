/* Private: the allocator every handle carries, and checked size arithmetic. */
#ifndef TIER_INTERNAL_ALLOC_H
#define TIER_INTERNAL_ALLOC_H

#include <stddef.h>
#include "tier/common.h"

/* A resolved allocator (never NULL functions). Handles embed one by value. */
typedef tier_allocator tier__alloc;

/* Fills `out` from a user allocator (NULL = C library). Returns TIER_EINVAL if a user allocator
 * lacks a function. */
int tier__alloc_init(tier__alloc *out, const tier_allocator *user);

void *tier__malloc(const tier__alloc *a, size_t size);
void *tier__calloc(const tier__alloc *a, size_t count, size_t size);
void *tier__realloc(const tier__alloc *a, void *ptr, size_t size);
void tier__free(const tier__alloc *a, void *ptr);
char *tier__strdup(const tier__alloc *a, const char *s);

/* Multiplies with overflow check: returns 0 and sets *out, or -1 on overflow. */
static inline int tier__mul_size(size_t *out, size_t a, size_t b)
{
    if (b != 0 && a > (size_t)-1 / b)
        return -1;
    *out = a * b;
    return 0;
}

/* Line size the aligned arrays below are aligned to. */
#define TIER__LINE 64

/* An array aligned to a cache line inside a block from the allocator (which promises only
 * malloc's alignment): a 64-byte record then fills one line instead of straddling two, which
 * halves the lines its writer and reader touch. Start from {NULL, NULL}. */
typedef struct tier__aligned {
    void *block; /* from the allocator; NULL when empty */
    void *data;  /* TIER__LINE-aligned, inside block */
} tier__aligned;

/* Resizes the array to `bytes`, keeping its first `keep` bytes (keep <= bytes and <= the
 * current size). Returns TIER_OK or TIER_ENOMEM (recorded), leaving the array as it was. */
int tier__aligned_resize(const tier__alloc *a, tier__aligned *x, size_t bytes, size_t keep);
void tier__aligned_free(const tier__alloc *a, tier__aligned *x);

/* Grows *ptr (an array of `elem` bytes, capacity *cap) to hold at least `need` elements,
 * doubling. Returns TIER_OK or TIER_ENOMEM (recorded), leaving *ptr valid. */
int tier__grow(const tier__alloc *a, void **ptr, size_t *cap, size_t need, size_t elem);

#endif
