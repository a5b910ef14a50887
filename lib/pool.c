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

typedef struct job {
    int (*fn)(void *ctx, size_t task);
    void *ctx;
    size_t n_tasks;
    atomic_size_t next;
    pthread_mutex_t lock;
    size_t failed_task;  /* lowest failing task index, n_tasks if none */
    int failed_rc;
} job;

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
    j.fn = fn;
    j.ctx = ctx;
    j.n_tasks = n_tasks;
    atomic_init(&j.next, 0);
    pthread_mutex_init(&j.lock, NULL);
    j.failed_task = n_tasks;
    j.failed_rc = 0;
    pthread_t tids[MAX_THREADS];
    unsigned started = 0;
    for (unsigned t = 1; t < n_threads; t++) {
        if (pthread_create(&tids[started], NULL, worker, &j) != 0)
            break; /* fewer threads: the work still gets done */
        started++;
    }
    run_tasks(&j);
    for (unsigned t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    pthread_mutex_destroy(&j.lock);
    return j.failed_rc;
}
