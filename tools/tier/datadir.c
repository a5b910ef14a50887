/* Finding the demo's bundled files: the sample data and the example rule set.
 *
 * A binary run from its build tree (e.g. build/tools/tier/tier in a fresh clone) uses the
 * source tree's examples/ folder, whose path is compiled in (or, if the tree moved, found
 * three levels above the executable or under the current directory). An installed binary uses
 * <prefix>/share/tier, found next to the executable (relocatable installs) or at the
 * configured prefix. $TIER_DATA_DIR overrides everything. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef TIER_DATADIR
#define TIER_DATADIR "/usr/local/share/tier"
#endif
#ifndef TIER_SOURCE_DATADIR
#define TIER_SOURCE_DATADIR "examples"
#endif
#ifndef TIER_BUILD_ROOT
#define TIER_BUILD_ROOT ""
#endif

static char *try_path(const char *dir, const char *sub, const char *name)
{
    char path[PATH_MAX];
    int n = sub ? snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name)
                : snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path || access(path, R_OK) != 0)
        return NULL;
    char *p = strdup(path);
    if (!p)
        die(EXIT_INTERNAL, "out of memory");
    return p;
}

/* The directory of the running executable, or "" if unknown. */
static void exe_dir(char *buf, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    buf[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = '\0';
    else
        buf[0] = '\0';
}

char *find_data_file(const char *name, const char *subdir)
{
    char *p;
    const char *env = getenv("TIER_DATA_DIR");
    if (env && *env && (p = try_path(env, NULL, name)))
        return p;
    char dir[PATH_MAX];
    exe_dir(dir, sizeof dir);
    size_t root = strlen(TIER_BUILD_ROOT);
    int in_build_tree = root > 0 && strlen(dir) >= root &&
                        memcmp(dir, TIER_BUILD_ROOT, root) == 0 &&
                        (dir[root] == '/' || dir[root] == '\0');
    if (in_build_tree && (p = try_path(TIER_SOURCE_DATADIR, subdir, name)))
        return p;
    if (dir[0]) {
        char share[PATH_MAX];
        snprintf(share, sizeof share, "%s/../share/tier", dir);
        if ((p = try_path(share, NULL, name)))
            return p;
    }
    if ((p = try_path(TIER_DATADIR, NULL, name)))
        return p;
    if ((p = try_path(TIER_SOURCE_DATADIR, subdir, name)))
        return p;
    if (dir[0]) { /* a build tree inside a source tree that moved: <src>/<build>/tools/tier */
        char src[PATH_MAX];
        snprintf(src, sizeof src, "%s/../../../examples", dir);
        if ((p = try_path(src, subdir, name)))
            return p;
    }
    return try_path("examples", subdir, name);
}
