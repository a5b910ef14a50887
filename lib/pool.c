/* Running independent tasks on short-lived worker threads. Tasks are claimed from a shared
 * counter, so the split of work never depends on scheduling; callers combine results in task
 * order, which keeps results bit-identical for any thread count. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "internal/pool.h"

#define MAX_THREADS 256

unsigned tier__cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1u;
}

unsigned tier__threads(unsigned requested, size_t tasks)
{
    unsigned n = requested ? requested : tier__cpu_count();
    if (n > MAX_THREADS)
        n = MAX_THREADS;
    if (tasks < n)
        n = tasks ? (unsigned)tasks : 1u;
    return n;
}

struct tier__offer {
    int (*fn)(void *ctx, size_t task);
    void *ctx;
    size_t n_tasks;
    atomic_size_t next;
    pthread_mutex_t lock;
    size_t failed_task;  /* lowest failing task index, n_tasks if none */
    int failed_rc;
    unsigned helpers;    /* threads inside tier__help_desk_help (under the desk's lock) */
};
typedef struct tier__offer job;

static void run_tasks(job *j)
{
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n_tasks)
            return;
        int rc = j->fn(j->ctx, i);
        if (rc) {
            pthread_mutex_lock(&j->lock);
            if (i < j->failed_task) {
                j->failed_task = i;
                j->failed_rc = rc;
            }
            pthread_mutex_unlock(&j->lock);
            /* stop handing out tasks; tasks already running finish */
            atomic_store(&j->next, j->n_tasks);
        }
    }
}

static void *worker(void *arg)
{
    run_tasks(arg);
    return NULL;
}

static void job_init(job *j, size_t n_tasks, int (*fn)(void *ctx, size_t task), void *ctx)
{
    j->fn = fn;
    j->ctx = ctx;
    j->n_tasks = n_tasks;
    atomic_init(&j->next, 0);
    pthread_mutex_init(&j->lock, NULL);
    j->failed_task = n_tasks;
    j->failed_rc = 0;
    j->helpers = 0;
}

/* Runs j's tasks on the calling thread and n_threads - 1 new ones. */
static void run_job(job *j, unsigned n_threads)
{
    pthread_t tids[MAX_THREADS];
    unsigned started = 0;
    for (unsigned t = 1; t < n_threads; t++) {
        if (pthread_create(&tids[started], NULL, worker, j) != 0)
            break; /* fewer threads: the work still gets done */
        started++;
    }
    run_tasks(j);
    for (unsigned t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
}

int tier__parallel_for(unsigned n_threads, size_t n_tasks, int (*fn)(void *ctx, size_t task), void *ctx)
{
    if (n_tasks == 0)
        return 0;
    n_threads = tier__threads(n_threads, n_tasks);
    if (n_threads == 1) {
        for (size_t i = 0; i < n_tasks; i++) {
            int rc = fn(ctx, i);
            if (rc)
                return rc;
        }
        return 0;
    }
    job j;
    job_init(&j, n_tasks, fn, ctx);
    run_job(&j, n_threads);
    pthread_mutex_destroy(&j.lock);
    return j.failed_rc;
}

int tier__parallel_for_offered(tier__help_desk *desk, unsigned n_threads, size_t n_tasks,
                               int (*fn)(void *ctx, size_t task), void *ctx)
{
    if (!desk || n_tasks == 0)
        return tier__parallel_for(n_threads, n_tasks, fn, ctx);
    job j;
    job_init(&j, n_tasks, fn, ctx);
    pthread_mutex_lock(desk->mu);
    desk->offer = &j;
    pthread_cond_broadcast(desk->cv);
    pthread_mutex_unlock(desk->mu);
    run_job(&j, tier__threads(n_threads, n_tasks));
    /* Every task is claimed; helpers may still be running theirs, and j lives on this stack. */
    pthread_mutex_lock(desk->mu);
    desk->offer = NULL;
    while (j.helpers)
        pthread_cond_wait(desk->cv, desk->mu);
    pthread_mutex_unlock(desk->mu);
    pthread_mutex_destroy(&j.lock);
    return j.failed_rc;
}

int tier__help_desk_help(tier__help_desk *desk)
{
    job *j = desk->offer;
    if (!j || atomic_load(&j->next) >= j->n_tasks)
        return 0;
    j->helpers++;
    pthread_mutex_unlock(desk->mu);
    run_tasks(j);
    pthread_mutex_lock(desk->mu);
    j->helpers--;
    pthread_cond_broadcast(desk->cv);
    return 1;
}
