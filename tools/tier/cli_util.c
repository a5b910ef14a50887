/* Errors and exit codes, number and date formatting, terminal tables, and output files that
 * appear atomically (temporary file + rename). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* ---- errors -------------------------------------------------------------------------------- */

_Noreturn void die(int code, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("tier: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(code);
}

_Noreturn void die_lib(int status, int code)
{
    if (status == TIER_ENOMEM)
        code = EXIT_INTERNAL;
    else if (status == TIER_EIO && code != EXIT_WRITE)
        code = EXIT_READ;
    const char *msg = tier_last_error();
    die(code, "%s", *msg ? msg : tier_status_str(status));
}

void warn(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("tier: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void check_readable(const char *path)
{
    if (strcmp(path, "-") == 0)
        return;
    struct stat st;
    if (stat(path, &st) != 0)
        die(EXIT_READ, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        die(EXIT_READ, "%s: is a directory", path);
    if (access(path, R_OK) != 0)
        die(EXIT_READ, "%s: %s", path, strerror(errno));
}

/* ---- numbers --------------------------------------------------------------------------------- */

const char *fmt_exact(char *buf, double v)
{
    if (isnan(v)) {
        buf[0] = '\0';
        return buf;
    }
    if (isinf(v))
        return strcpy(buf, v > 0 ? "inf" : "-inf");
    if (v == 0)
        v = 0.0;
    /* Fast path for whole numbers and short decimals (counts, times, money): if v is the
     * double nearest to r / 10^k for an integer r of at most 15 digits, that decimal reads
     * back as v and is exactly what "%.15g" below would print, without printf's cost. */
    static const double scale[] = { 1, 10, 100, 1000, 10000 };
    for (int k = 0; k < 5; k++) {
        double r = nearbyint(v * scale[k]);
        if (!(fabs(r) < 1e15) || r / scale[k] != v)
            continue;
        char tmp[24];
        int n = 0;
        long long d = (long long)fabs(r);
        do {
            tmp[n++] = (char)('0' + d % 10);
            d /= 10;
        } while (d);
        while (n <= k)
            tmp[n++] = '0'; /* at least one digit before the point */
        int frac = k;
        while (frac > 0 && tmp[0] == '0') { /* strip trailing zeros of the fraction */
            memmove(tmp, tmp + 1, (size_t)--n);
            frac--;
        }
        char *o = buf;
        if (r < 0)
            *o++ = '-';
        while (n) {
            if (n == frac)
                *o++ = '.';
            *o++ = tmp[--n];
        }
        *o = '\0';
        return buf;
    }
    /* 15 significant digits read back exactly for every value that has a decimal form of at
     * most 15 digits (%g drops the trailing zeros), so this is the shortest form; the rest
     * need 16 or 17 */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

/* Inserts thousands separators into the integer part of a plain decimal number. */
static const char *group_digits(char *buf, const char *plain)
{
    const char *p = plain;
    char *o = buf;
    if (*p == '-')
        *o++ = *p++;
    size_t int_len = strcspn(p, ".");
    for (size_t i = 0; i < int_len; i++) {
        if (i > 0 && (int_len - i) % 3 == 0)
            *o++ = ',';
        *o++ = p[i];
    }
    strcpy(o, p + int_len);
    return buf;
}

const char *fmt_fixed(char *buf, double v, int decimals)
{
    if (isnan(v))
        return strcpy(buf, "–");
    char plain[48];
    snprintf(plain, sizeof plain, "%.*f", decimals, v);
    if (strcmp(plain, "-0") == 0 || strcmp(plain, "-0.00") == 0 || strcmp(plain, "-0.0") == 0)
        memmove(plain, plain + 1, strlen(plain));
    if (fabs(v) >= 1e15)
        return strcpy(buf, plain);
    return group_digits(buf, plain);
}

const char *fmt_int(char *buf, double v) { return fmt_fixed(buf, v, 0); }

const char *fmt_percent(char *buf, double share)
{
    if (isnan(share))
        return strcpy(buf, "–");
    if (share > 0 && share < 0.0005)
        return strcpy(buf, "<0.1%");
    snprintf(buf, 48, "%.1f%%", share * 100);
    return buf;
}

const char *fmt_compact(char *buf, double v)
{
    static const char *const suffix[] = { "", "k", "M", "G", "T" };
    double a = fabs(v);
    int k = 0;
    while (a >= 1000 && k < 4) {
        a /= 1000;
        k++;
    }
    char num[32];
    snprintf(num, sizeof num, "%.*f", a < 10 && k > 0 && a != floor(a) ? 1 : 0, a);
    if (a < 1 && a > 0 && k == 0)
        fmt_exact(num, a);
    snprintf(buf, 48, "%s%s%s", v < 0 ? "-" : "", num, suffix[k]);
    return buf;
}

const char *fmt_bytes(char *buf, double bytes)
{
    static const char *const unit[] = { "B", "kB", "MB", "GB", "TB" };
    int k = 0;
    while (bytes >= 1000 && k < 4) {
        bytes /= 1000;
        k++;
    }
    snprintf(buf, 48, k ? "%.1f %s" : "%.0f %s", bytes, unit[k]);
    return buf;
}

static void civil(int64_t t, int *y, int *m, int *d, int *h, int *mi)
{
    int64_t days = t / 86400, rem = t % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
    *h = (int)(rem / 3600);
    *mi = (int)(rem % 3600 / 60);
}

const char *fmt_date(char *buf, int64_t t)
{
    int y, m, d, h, mi;
    civil(t, &y, &m, &d, &h, &mi);
    snprintf(buf, 32, "%04d-%02d-%02d", y, m, d);
    return buf;
}

const char *fmt_datetime(char *buf, int64_t t)
{
    int y, m, d, h, mi;
    civil(t, &y, &m, &d, &h, &mi);
    snprintf(buf, 32, "%04d-%02d-%02d %02d:%02d", y, m, d, h, mi);
    return buf;
}

void csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* ---- text tables ------------------------------------------------------------------------------ */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        die(EXIT_INTERNAL, "out of memory");
    return q;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p)
        die(EXIT_INTERNAL, "out of memory");
    return p;
}

void tt_init(text_table *t, size_t n_cols, unsigned left_mask)
{
    memset(t, 0, sizeof *t);
    t->n_cols = n_cols;
    t->left_mask = left_mask;
}

void tt_add(text_table *t, const char *const *cells)
{
    if (t->n_rows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cells = xrealloc(t->cells, t->cap * t->n_cols * sizeof *t->cells);
    }
    for (size_t c = 0; c < t->n_cols; c++)
        t->cells[t->n_rows * t->n_cols + c] = xstrdup(cells[c]);
    t->n_rows++;
}

/* Display width of UTF-8 text (code points; good enough for labels and numbers). */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

void tt_print(FILE *f, const text_table *t, const char *indent)
{
    size_t w[64] = { 0 };
    size_t n_cols = t->n_cols < 64 ? t->n_cols : 64;
    for (size_t r = 0; r < t->n_rows; r++)
        for (size_t c = 0; c < n_cols; c++) {
            size_t k = width(t->cells[r * t->n_cols + c]);
            if (k > w[c])
                w[c] = k;
        }
    for (size_t r = 0; r < t->n_rows; r++) {
        fputs(indent, f);
        for (size_t c = 0; c < n_cols; c++) {
            const char *s = t->cells[r * t->n_cols + c];
            size_t pad = w[c] - width(s);
            int left = (t->left_mask >> c) & 1;
            if (c)
                fputs("  ", f);
            if (!left)
                fprintf(f, "%*s", (int)pad, "");
            fputs(s, f);
            if (left && c + 1 < n_cols)
                fprintf(f, "%*s", (int)pad, "");
        }
        fputc('\n', f);
    }
}

void tt_free(text_table *t)
{
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

/* ---- output files ------------------------------------------------------------------------------- */

/* Temporary files still to remove at exit (uncommitted outputs, scratch files). */
static char *pending[32];
static size_t n_pending;

/* Newest first, so a scratch directory's files go before the directory. */
static void remove_pending(void)
{
    for (size_t i = n_pending; i-- > 0;)
        if (pending[i]) {
            if (unlink(pending[i]) != 0)
                rmdir(pending[i]);
            free(pending[i]);
        }
    n_pending = 0;
}

static void add_pending(char *path)
{
    static int registered;
    if (!registered) {
        atexit(remove_pending);
        registered = 1;
    }
    if (n_pending < sizeof pending / sizeof pending[0])
        pending[n_pending++] = path;
}

static void drop_pending(const char *path)
{
    for (size_t i = 0; i < n_pending; i++)
        if (pending[i] == path)
            pending[i] = NULL;
}

void out_open(out_file *o, const char *path)
{
    memset(o, 0, sizeof *o);
    if (!path || strcmp(path, "-") == 0) {
        o->f = stdout;
        return;
    }
    o->path = xstrdup(path);
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* a device or pipe (/dev/null, /dev/stdout, a FIFO): write to it directly */
        o->f = fopen(path, "w");
        if (!o->f)
            die(EXIT_WRITE, "%s: cannot write: %s", path, strerror(errno));
        return;
    }
    size_t n = strlen(path) + 48;
    o->tmp = xrealloc(NULL, n);
    snprintf(o->tmp, n, "%s.tier.tmp.%ld", path, (long)getpid());
    o->f = fopen(o->tmp, "w");
    if (!o->f)
        die(EXIT_WRITE, "%s: cannot write: %s", path, strerror(errno));
    setvbuf(o->f, NULL, _IOFBF, 1 << 20);
    add_pending(o->tmp);
}

void out_close(out_file *o)
{
    if (o->f == stdout) {
        if (fflush(stdout) != 0 || ferror(stdout))
            die(EXIT_WRITE, "standard output: %s", strerror(errno));
        return;
    }
    int failed = fflush(o->f) != 0 || ferror(o->f);
    int e = errno;
    if (fclose(o->f) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    if (failed)
        die(EXIT_WRITE, "%s: cannot write: %s", o->path, strerror(e));
    if (o->tmp && rename(o->tmp, o->path) != 0)
        die(EXIT_WRITE, "%s: cannot write: %s", o->path, strerror(errno));
    drop_pending(o->tmp);
    free(o->tmp);
    free(o->path);
    memset(o, 0, sizeof *o);
}

void copy_to_stdout(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die(EXIT_INTERNAL, "%s: %s", path, strerror(errno));
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        if (fwrite(buf, 1, n, stdout) != n)
            die(EXIT_WRITE, "standard output: %s", strerror(errno));
    fclose(f);
}

const char *temp_path(const char *name)
{
    static char dir[512];
    if (!dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/tier-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(dir))
            die(EXIT_INTERNAL, "cannot create a temporary directory: %s", strerror(errno));
        add_pending(xstrdup(dir));
    }
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = xrealloc(NULL, n);
    snprintf(p, n, "%s/%s", dir, name);
    add_pending(p);
    return p;
}
