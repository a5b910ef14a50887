/* bench_util.h — helpers shared by the benchmark programs (bench_*.c): wall clock, peak RSS,
 * seeded generators, a counting allocator and option parsing.
 *
 * Header-only (static inline) so that each benchmark stays one translation unit and meson needs
 * no extra source. Not part of libtier: these programs may print and exit, the library may not.
 */
#ifndef TIER_BENCH_UTIL_H
#define TIER_BENCH_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "tier/tier.h"

/* Seconds on the monotonic clock: only differences mean anything. */
static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Peak resident set of this process so far, in KiB (Linux's ru_maxrss unit), or -1. */
static inline long bench_peak_rss_kib(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

/* splitmix64: small, fast, and reproducible everywhere; advances *state. */
static inline uint64_t bench_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* xoshiro256** (Blackman & Vigna), seeded from splitmix64 as its authors recommend. */
typedef struct bench_xoshiro {
    uint64_t s[4];
} bench_xoshiro;

static inline void bench_xoshiro_seed(bench_xoshiro *x, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        x->s[i] = bench_splitmix64(&seed);
}

static inline uint64_t bench_rotl(uint64_t v, int k)
{
    return (v << k) | (v >> (64 - k));
}

static inline uint64_t bench_xoshiro_next(bench_xoshiro *x)
{
    uint64_t *s = x->s;
    uint64_t r = bench_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = bench_rotl(s[3], 45);
    return r;
}

/* Uniform in the open interval (0, 1): safe under log(). */
static inline double bench_xoshiro_uniform(bench_xoshiro *x)
{
    return ((double)(bench_xoshiro_next(x) >> 11) + 0.5) * 0x1.0p-53;
}

/* A tier_allocator that counts the bytes it holds (current and peak). Use with
 * `tier_allocator a = bench_counting_allocator(&counter);`. Not thread-safe: only for code that
 * allocates on the calling thread. A 16-byte header keeps each block's size and the alignment. */
typedef struct bench_counter {
    size_t cur_bytes, peak_bytes;
} bench_counter;

static inline void bench_counter_add(bench_counter *c, size_t add, size_t sub)
{
    c->cur_bytes = c->cur_bytes - sub + add;
    c->peak_bytes = c->cur_bytes > c->peak_bytes ? c->cur_bytes : c->peak_bytes;
}

static inline void *bench_count_malloc(void *user, size_t size)
{
    unsigned char *p = malloc(size + 16);
    if (!p)
        return NULL;
    memcpy(p, &size, sizeof size);
    bench_counter_add(user, size, 0);
    return p + 16;
}

static inline void bench_count_free(void *user, void *ptr)
{
    unsigned char *p = (unsigned char *)ptr - 16;
    size_t size;
    memcpy(&size, p, sizeof size);
    bench_counter_add(user, 0, size);
    free(p);
}

static inline void *bench_count_realloc(void *user, void *ptr, size_t size)
{
    if (!ptr)
        return bench_count_malloc(user, size);
    unsigned char *p = (unsigned char *)ptr - 16;
    size_t old;
    memcpy(&old, p, sizeof old);
    unsigned char *q = realloc(p, size + 16);
    if (!q)
        return NULL;
    memcpy(q, &size, sizeof size);
    bench_counter_add(user, size, old);
    return q + 16;
}

static inline tier_allocator bench_counting_allocator(bench_counter *c)
{
    tier_allocator a = { bench_count_malloc, bench_count_realloc, bench_count_free, c };
    return a;
}

/* Option parsing: whether argv[*i] is NAME with a value after it. If so, *value is that value
 * and *i moves onto it, so the caller's `i++` steps past both. */
static inline int bench_opt(const char **value, int argc, char **argv, int *i, const char *name)
{
    if (strcmp(argv[*i], name) != 0 || *i + 1 >= argc)
        return 0;
    *value = argv[++*i];
    return 1;
}

/* Decimal option values; like the strto* they wrap, malformed text reads as 0. */
static inline uint64_t bench_u64(const char *v)
{
    return (uint64_t)strtoull(v, NULL, 10);
}

static inline unsigned bench_uint(const char *v)
{
    return (unsigned)strtoul(v, NULL, 10);
}

#endif /* TIER_BENCH_UTIL_H */
