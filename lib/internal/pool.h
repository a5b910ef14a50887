/* Private: running independent tasks on worker threads.
 *
 * Results must never depend on the thread count: callers split work into tasks whose number
 * and boundaries do not depend on it, and combine task results in task order. */
#ifndef TIER_INTERNAL_POOL_H
#define TIER_INTERNAL_POOL_H

#include <stddef.h>

/* Number of online cores (at least 1). */
unsigned tier__cpu_count(void);

/* Resolves a user thread setting: 0 = all cores; never more than `tasks`, at least 1. */
unsigned tier__threads(unsigned requested, size_t tasks);

/* Calls fn(ctx, i) for every i in [0, n_tasks) on up to n_threads threads (the calling thread
 * works too). Returns the first non-zero value any call returned (lowest task index), else 0.
 * If threads cannot be started the tasks run on the calling thread. */
int tier__parallel_for(unsigned n_threads, size_t n_tasks, int (*fn)(void *ctx, size_t task),
                       void *ctx);

#endif
