/* Runs the fuzz target without libFuzzer: every file under the given paths, every prefix of
 * each (truncated input) and a fixed set of single-byte mutations. Used as a test in every
 * build, so the corpus keeps guarding the compiler even where clang's libFuzzer is absent. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long runs;

static void run_bytes(const uint8_t *data, size_t n)
{
    uint8_t *copy = malloc(n + 1); /* exact-size copy: a read past the end is caught by ASan */
    memcpy(copy, data, n);
    LLVMFuzzerTestOneInput(copy, n);
    free(copy);
    runs++;
}

static void run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        exit(1);
    }
    uint8_t *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, 1 << 20, f);
    fclose(f);
    run_bytes(buf, n);
    for (size_t len = 0; len < n; len++)
        run_bytes(buf, len);
    static const uint8_t swaps[] = {'(', ')', '"', '\'', '`', '#', '\n', ' ', '0', '-', '.', 0};
    for (size_t i = 0; i < n; i += 3) {
        uint8_t saved = buf[i];
        buf[i] = swaps[i % sizeof swaps];
        run_bytes(buf, n);
        buf[i] = saved;
    }
    free(buf);
}

static void run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: no such path %s\n", path);
        exit(1);
    }
    if (!S_ISDIR(st.st_mode)) {
        run_file(path);
        return;
    }
    DIR *d = opendir(path);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n] = malloc(strlen(path) + strlen(e->d_name) + 2);
        sprintf(names[n++], "%s/%s", path, e->d_name);
    }
    if (d)
        closedir(d);
    for (size_t i = 0; i < n; i++) {
        run_path(names[i]);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        run_path(argv[i]);
    printf("1..1\nok 1 - %lu inputs compiled without a crash\n", runs);
    return 0;
}
