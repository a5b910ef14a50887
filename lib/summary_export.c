/* Exporting a tier_summary as CSV or JSON, through a callback or atomically to a file, and the
 * shortest round-trip number formatting both use. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal/error.h"
#include "internal/summary.h"

/* ---- numbers ------------------------------------------------------------------------------------ */

size_t tier__format_double(char *buf, double v)
{
    if (isnan(v))
        return (size_t)snprintf(buf, 32, "nan");
    if (isinf(v))
        return (size_t)snprintf(buf, 32, v > 0 ? "inf" : "-inf");
    if (v == 0)
        v = 0.0; /* no "-0" */
    /* 15 significant digits read back exactly for every value that has a decimal form of at
     * most 15 digits, and %g drops the trailing zeros, so that is the shortest form; the rest
     * need 16 or 17 digits */
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* printf and strtod agree on the locale's decimal point; the output always uses '.' */
    for (char *p = buf; *p; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == 'e'))
            *p = '.';
    return (size_t)n;
}

/* ---- a small buffered writer over the user's callback --------------------------------------------- */

typedef struct out {
    tier_write_fn fn;
    void *user;
    char buf[16384];
    size_t len;
    int failed;
} out;

static void flush(out *o)
{
    if (o->len && !o->failed && o->fn(o->user, o->buf, o->len) != 0)
        o->failed = 1;
    o->len = 0;
}

static void put(out *o, const char *p, size_t n)
{
    while (n && !o->failed) {
        size_t room = sizeof o->buf - o->len;
        size_t k = n < room ? n : room;
        memcpy(o->buf + o->len, p, k);
        o->len += k;
        p += k;
        n -= k;
        if (o->len == sizeof o->buf)
            flush(o);
    }
}

static void puts_(out *o, const char *s) { put(o, s, strlen(s)); }

static void put_number(out *o, double v)
{
    char buf[32];
    put(o, buf, tier__format_double(buf, v));
}

/* ---- CSV ----------------------------------------------------------------------------------------- */

static void csv_field(out *o, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL && s[0] != ' ' && (s[0] == '\0' || s[strlen(s) - 1] != ' ')) {
        puts_(o, s);
        return;
    }
    put(o, "\"", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            put(o, "\"", 1);
        put(o, p, 1);
    }
    put(o, "\"", 1);
}

static void export_csv(out *o, const tier_summary *s)
{
    size_t n_cols = tier_summary_column_count(s);
    for (size_t c = 0; c < n_cols; c++) {
        if (c)
            put(o, ",", 1);
        csv_field(o, tier_summary_column_name(s, c));
    }
    put(o, "\n", 1);
    for (size_t r = 0; r < s->n_rows && !o->failed; r++) {
        for (size_t c = 0; c < n_cols; c++) {
            if (c)
                put(o, ",", 1);
            if (c < s->n_keys) {
                csv_field(o, tier_summary_label(s, r, c));
            } else {
                double v = s->stats[c - s->n_keys][r];
                if (!isnan(v))
                    put_number(o, v);
            }
        }
        put(o, "\n", 1);
    }
}

/* ---- JSON ---------------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if the bytes are not valid UTF-8. */
static size_t utf8_len(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || (n == 2 && p[0] < 0xC2) || (n == 4 && p[0] > 0xF4))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if (n == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0)))
        return 0; /* overlong or surrogate */
    if (n == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)))
        return 0;
    return n;
}

/* A JSON string; bytes that are not valid UTF-8 become U+FFFD so the output is always valid. */
static void json_string(out *o, const char *s)
{
    put(o, "\"", 1);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p == '"' || *p == '\\') {
            put(o, "\\", 1);
            put(o, (const char *)p, 1);
            p++;
        } else if (*p < 0x20) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            puts_(o, esc);
            p++;
        } else {
            size_t n = utf8_len(p);
            if (n == 0) {
                puts_(o, "\xEF\xBF\xBD");
                p++;
            } else {
                put(o, (const char *)p, n);
                p += n;
            }
        }
    }
    put(o, "\"", 1);
}

static void export_json(out *o, const tier_summary *s)
{
    size_t n_cols = tier_summary_column_count(s);
    char num[64];
    puts_(o, "{\"columns\": [");
    for (size_t c = 0; c < n_cols; c++) {
        if (c)
            puts_(o, ", ");
        json_string(o, tier_summary_column_name(s, c));
    }
    snprintf(num, sizeof num, "], \"total\": %llu, \"excluded\": %llu, \"rows\": [",
             (unsigned long long)s->total, (unsigned long long)s->excluded);
    puts_(o, num);
    for (size_t r = 0; r < s->n_rows && !o->failed; r++) {
        puts_(o, r ? ",\n  {" : "\n  {");
        for (size_t c = 0; c < n_cols; c++) {
            if (c)
                puts_(o, ", ");
            json_string(o, tier_summary_column_name(s, c));
            puts_(o, ": ");
            if (c < s->n_keys) {
                json_string(o, tier_summary_label(s, r, c));
            } else {
                double v = s->stats[c - s->n_keys][r];
                if (isfinite(v))
                    put_number(o, v);
                else
                    puts_(o, "null");
            }
        }
        puts_(o, "}");
    }
    puts_(o, s->n_rows ? "\n]}\n" : "]}\n");
}

int tier_summary_export(const tier_summary *s, tier_export_format format, tier_write_fn write,
                        void *user)
{
    if (!s || !write)
        return tier__error(TIER_EINVAL, "tier_summary_export: %s is NULL", !s ? "s" : "write");
    if (format != TIER_EXPORT_CSV && format != TIER_EXPORT_JSON)
        return tier__error(TIER_EINVAL, "tier_summary_export: unknown format %d", (int)format);
    out *o = tier__malloc(&s->alloc, sizeof *o);
    if (!o)
        return tier__oom();
    o->fn = write;
    o->user = user;
    o->len = 0;
    o->failed = 0;
    if (format == TIER_EXPORT_CSV)
        export_csv(o, s);
    else
        export_json(o, s);
    flush(o);
    int failed = o->failed;
    tier__free(&s->alloc, o);
    if (failed)
        return tier__error(TIER_ECALLBACK, "summary: the export's write callback failed");
    return TIER_OK;
}

/* ---- files -------------------------------------------------------------------------------------- */

static int write_fd(void *user, const char *data, size_t len)
{
    int fd = *(int *)user;
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Creates a fresh temporary file next to `path`. open() with mode 0666 lets the umask decide
 * the final permissions, as for any file the user writes (mkstemp would force 0600, and reading
 * the umask means changing it, which is not thread-safe). */
static int create_temp(char *tmp, size_t size, const char *path)
{
    static _Atomic unsigned long counter;
    for (int attempt = 0; attempt < 100; attempt++) {
        snprintf(tmp, size, "%s.tier.tmp.%ld.%lu", path, (long)getpid(), counter++);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

int tier_summary_export_file(const tier_summary *s, tier_export_format format, const char *path)
{
    if (!s || !path)
        return tier__error(TIER_EINVAL, "tier_summary_export_file: %s is NULL", !s ? "s" : "path");
    if (format != TIER_EXPORT_CSV && format != TIER_EXPORT_JSON)
        return tier__error(TIER_EINVAL, "tier_summary_export_file: unknown format %d", (int)format);
    size_t n = strlen(path) + 64;
    char *tmp = tier__malloc(&s->alloc, n);
    if (!tmp)
        return tier__oom();
    int fd = create_temp(tmp, n, path);
    if (fd < 0) {
        int e = errno;
        tier__free(&s->alloc, tmp);
        return tier__error(TIER_EIO, "%s: cannot create a temporary file: %s", path, strerror(e));
    }
    errno = 0;
    int rc = tier_summary_export(s, format, write_fd, &fd);
    const char *what = NULL;
    int e = errno;
    if (rc == TIER_ECALLBACK)
        what = "cannot write";
    else if (rc == TIER_OK && fsync(fd) != 0)
        what = "cannot flush", e = errno;
    if (close(fd) != 0 && rc == TIER_OK && !what)
        what = "cannot close", e = errno;
    if (rc == TIER_OK && !what && rename(tmp, path) != 0)
        what = "cannot rename the temporary file onto it", e = errno;
    if (rc != TIER_OK || what) {
        unlink(tmp);
        tier__free(&s->alloc, tmp);
        if (what)
            return tier__error(TIER_EIO, "%s: %s: %s", path, what, strerror(e));
        return rc;
    }
    tier__free(&s->alloc, tmp);
    return TIER_OK;
}
