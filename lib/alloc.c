/* The allocator indirection: every allocation in the library goes through a tier__alloc so a
 * backend can account for or pool libtier's memory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal/alloc.h"
#include "internal/error.h"

static void *std_malloc(void *user, size_t size) { (void)user; return malloc(size); }
static void *std_realloc(void *user, void *ptr, size_t size) { (void)user; return realloc(ptr, size); }
static void std_free(void *user, void *ptr) { (void)user; free(ptr); }

int tier__alloc_init(tier__alloc *out, const tier_allocator *user)
{
    if (user == NULL) {
        out->malloc_fn = std_malloc;
        out->realloc_fn = std_realloc;
        out->free_fn = std_free;
        out->user = NULL;
        return TIER_OK;
    }
    if (!user->malloc_fn || !user->realloc_fn || !user->free_fn)
        return tier__error(TIER_EINVAL, "allocator: malloc_fn, realloc_fn and free_fn must all be set");
    *out = *user;
    return TIER_OK;
}

void *tier__malloc(const tier__alloc *a, size_t size)
{
    return a->malloc_fn(a->user, size ? size : 1);
}

void *tier__calloc(const tier__alloc *a, size_t count, size_t size)
{
    size_t bytes;
    if (tier__mul_size(&bytes, count, size) != 0)
        return NULL;
    /* Zeroed by writing, not with calloc: a calloc'ed fresh mapping is read through the
     * shared zero page, and the first write to each page is then a copy-on-write fault that
     * flushes the TLB of every CPU running the process, which made multi-threaded loads
     * spend a third of their time in inter-processor interrupts. */
    void *p = tier__malloc(a, bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

void *tier__realloc(const tier__alloc *a, void *ptr, size_t size)
{
    return a->realloc_fn(a->user, ptr, size ? size : 1);
}

void tier__free(const tier__alloc *a, void *ptr)
{
    if (ptr)
        a->free_fn(a->user, ptr);
}

int tier__aligned_resize(const tier__alloc *a, tier__aligned *x, size_t bytes, size_t keep)
{
    if (bytes > (size_t)-1 - TIER__LINE)
        return tier__oom();
    size_t old_off = x->block ? (size_t)((char *)x->data - (char *)x->block) : 0;
    void *block = tier__realloc(a, x->block, bytes + TIER__LINE);
    if (!block)
        return tier__oom();
    size_t off = (size_t)((TIER__LINE - ((uintptr_t)block & (TIER__LINE - 1))) & (TIER__LINE - 1));
    if (keep && off != old_off) /* realloc moved the block to another alignment */
        memmove((char *)block + off, (char *)block + old_off, keep);
    x->block = block;
    x->data = (char *)block + off;
    return TIER_OK;
}

void tier__aligned_free(const tier__alloc *a, tier__aligned *x)
{
    tier__free(a, x->block);
    x->block = x->data = NULL;
}

char *tier__strdup(const tier__alloc *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = tier__malloc(a, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

int tier__grow(const tier__alloc *a, void **ptr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return TIER_OK;
    /* twice the capacity (amortised O(1) appends), or what is asked if that is more */
    size_t ncap = *cap ? *cap : 16;
    if (ncap < need) {
        if (ncap > ((size_t)-1) / 2)
            return tier__oom();
        ncap = 2 * ncap < need ? need : 2 * ncap;
    }
    size_t bytes;
    if (tier__mul_size(&bytes, ncap, elem) != 0)
        return tier__oom();
    void *p = tier__realloc(a, *ptr, bytes);
    if (!p)
        return tier__oom();
    *ptr = p;
    *cap = ncap;
    return TIER_OK;
}
