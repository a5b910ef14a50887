/* Private: compiler attributes the hot paths use. */
#ifndef TIER_INTERNAL_COMPILER_H
#define TIER_INTERNAL_COMPILER_H

/* Inlined even where the compiler's size heuristics would not (GCC at -O2, the default
 * debugoptimized build, leaves a per-row function of the CSV loader out of line; -O3 inlines
 * it, and the two builds should measure the same). For short functions on per-row paths. */
#if defined(__GNUC__)
#define TIER__ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define TIER__ALWAYS_INLINE static inline
#endif

#endif
