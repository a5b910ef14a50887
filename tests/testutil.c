#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static const char *env_dir(const char *var, const char *fallback)
{
    const char *d = getenv(var);
    return d && *d ? d : fallback;
}

const char *test_data_path(const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", env_dir("TIER_TEST_DATA", "tests/data"), name);
    return buf;
}

const char *example_data_path(const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", env_dir("TIER_EXAMPLES_DATA", "examples/data"), name);
    return buf;
}

const char *test_temp_path(const char *name)
{
    static char dir[256];
    static char ring[8][4096];
    static int next;
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/tier-test-XXXXXX", env_dir("TMPDIR", "/tmp"));
        if (!mkdtemp(dir))
            fail_msg("mkdtemp failed");
    }
    char *buf = ring[next++ % 8];
    snprintf(buf, 4096, "%s/%s", dir, name);
    return buf;
}

/* The library allocates on its worker threads too: one lock serialises the counters. */
static pthread_mutex_t alloc_lock = PTHREAD_MUTEX_INITIALIZER;

/* Whether this call is one that test_alloc must fail. Called with alloc_lock held. */
static int alloc_fails(test_alloc *t)
{
    t->calls++;
    return t->fail_at && (t->calls == t->fail_at || (t->sticky && t->calls > t->fail_at));
}

static void *ta_malloc(void *user, size_t size)
{
    test_alloc *t = user;
    pthread_mutex_lock(&alloc_lock);
    void *p = alloc_fails(t) ? NULL : malloc(size);
    t->live += p != NULL;
    pthread_mutex_unlock(&alloc_lock);
    return p;
}

static void *ta_realloc(void *user, void *ptr, size_t size)
{
    test_alloc *t = user;
    pthread_mutex_lock(&alloc_lock);
    void *p = alloc_fails(t) ? NULL : realloc(ptr, size);
    t->live += p != NULL && ptr == NULL;
    pthread_mutex_unlock(&alloc_lock);
    return p;
}

static void ta_free(void *user, void *ptr)
{
    test_alloc *t = user;
    if (!ptr)
        return;
    pthread_mutex_lock(&alloc_lock);
    t->live--;
    pthread_mutex_unlock(&alloc_lock);
    free(ptr);
}

tier_allocator test_allocator_of(test_alloc *t)
{
    tier_allocator a = { ta_malloc, ta_realloc, ta_free, t };
    return a;
}

unsigned char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0)
        fail_msg("cannot size %s", path);
    unsigned char *b = malloc((size_t)size + 1);
    if (!b || fread(b, 1, (size_t)size, f) != (size_t)size)
        fail_msg("cannot read %s", path);
    fclose(f);
    b[size] = '\0';
    if (len)
        *len = (size_t)size;
    return b;
}

void test_write_bytes(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, n, f) != n || fclose(f) != 0)
        fail_msg("cannot write %s", path);
}

const char *test_write_file(const char *name, const char *text)
{
    const char *path = test_temp_path(name);
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot write %s", path);
    fwrite(text, 1, strlen(text), f);
    fclose(f);
    return path;
}
