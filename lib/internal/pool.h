/* Private: running independent tasks on worker threads.
 *
 * Results must never depend on the thread count: callers split work into tasks whose number
 * and boundaries do not depend on it, and combine task results in task order. */
#ifndef TIER_INTERNAL_POOL_H
#define TIER_INTERNAL_POOL_H

#include <pthread.h>
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

/* A place where running tasks are offered to threads that would otherwise wait on a lock and
 * condition of their own: the CSV loader's parse tasks, held back until the chunks before
 * theirs are added, add partitions of those chunks instead of idling. The owner of `mu` and
 * `cv` sets them and leaves `offer` NULL; a desk holds one offer at a time. */
typedef struct tier__help_desk {
    pthread_mutex_t *mu;
    pthread_cond_t *cv;
    struct tier__offer *offer; /* under mu: the tasks being run, or NULL */
} tier__help_desk;

/* tier__parallel_for, with the tasks offered at `desk` (NULL: none) while they run: a thread
 * that calls tier__help_desk_help meanwhile claims tasks too, so `n_threads` is a floor. Must
 * be called without desk->mu held. Returns once every claimed task has finished and no
 * helper is left inside; the result is tier__parallel_for's. */
int tier__parallel_for_offered(tier__help_desk *desk, unsigned n_threads, size_t n_tasks,
                               int (*fn)(void *ctx, size_t task), void *ctx);

/* Called with desk->mu held. If the desk holds an offer with unclaimed tasks, releases mu,
 * runs tasks until none is left unclaimed, takes mu again, broadcasts desk->cv and returns 1;
 * else returns 0 at once. */
int tier__help_desk_help(tier__help_desk *desk);

#endif
