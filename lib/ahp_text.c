/* The text format of AHP judgments (see tier_ahp_parse() in ahp.h): a line of criteria names,
 * then pair lines "a b value" and/or matrix rows "[a] v1 .. vn". Every error carries
 * source:line:column. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/ahp.h"
#include "internal/error.h"
#include "internal/numparse.h"

#define MAX_TOKENS (TIER__AHP_N + 2)
#define MAX_TEXT (1u << 20) /* a 32 x 32 matrix needs a few kB */

typedef struct token {
    const char *p;
    size_t n;
    size_t col; /* 1-based */
} token;

typedef struct parser {
    const char *src;
    size_t line;
    tier_ahp *ahp; /* created once the names are read */
    size_t n;
    size_t next_row;
    double cell[TIER__AHP_N * TIER__AHP_N];
    unsigned char given[TIER__AHP_N * TIER__AHP_N];
    size_t cline[TIER__AHP_N * TIER__AHP_N], ccol[TIER__AHP_N * TIER__AHP_N];
} parser;

static int is_sep(char c) { return c == ' ' || c == '\t' || c == ',' || c == '\r'; }

/* Splits one line (without '\n') into tokens; stops at '#'. Returns the count, or
 * MAX_TOKENS + 1 if there are too many. */
static size_t tokenize(token *t, const char *p, size_t len)
{
    size_t k = 0, i = 0;
    while (i < len) {
        while (i < len && is_sep(p[i]))
            i++;
        if (i >= len || p[i] == '#')
            break;
        size_t s = i;
        while (i < len && !is_sep(p[i]) && p[i] != '#')
            i++;
        if (k == MAX_TOKENS)
            return MAX_TOKENS + 1;
        t[k].p = p + s;
        t[k].n = i - s;
        t[k].col = s + 1;
        k++;
    }
    return k;
}

static int tok_eq(const token *t, const char *s)
{
    return strlen(s) == t->n && !memcmp(t->p, s, t->n);
}

static int is_missing(const token *t)
{
    return tok_eq(t, "-") || tok_eq(t, "?") || tok_eq(t, "NA");
}

/* A value token starts like a number, or is a missing marker; anything else is a name. */
static int is_value(const token *t)
{
    char c = t->p[0];
    return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' || c == '/' || is_missing(t);
}

static int perror_at(const parser *ps, const token *t, int status, const char *fmt, ...)
    TIER_PRINTF(4, 5);

/* Records "source:line:column: message". */
static int perror_at(const parser *ps, const token *t, int status, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tier__error(status, "%s:%zu:%zu: %s", ps->src, ps->line, t ? t->col : (size_t)1, msg);
}

/* Parses a decimal number or a fraction p/q (locale-independent). NaN for a missing marker. */
static int parse_value(double *out, const parser *ps, const token *t)
{
    if (is_missing(t)) {
        *out = NAN;
        return TIER_OK;
    }
    const char *slash = memchr(t->p, '/', t->n);
    size_t n1 = slash ? (size_t)(slash - t->p) : t->n;
    double num, den = 1;
    tier__num_status st = tier__parse_double(&num, t->p, n1);
    if (st == TIER__NUM_OK && slash)
        st = tier__parse_double(&den, slash + 1, t->n - n1 - 1);
    if (st == TIER__NUM_NONFINITE || st == TIER__NUM_RANGE)
        return perror_at(ps, t, TIER_ERANGE, "value '%.*s' is not finite", (int)t->n, t->p);
    if (st != TIER__NUM_OK)
        return perror_at(ps, t, TIER_EPARSE, "'%.*s' is not a number, a fraction like 1/3, or a "
                         "missing mark (-, ?, NA)", (int)t->n, t->p);
    if (den == 0)
        return perror_at(ps, t, TIER_ERANGE, "value '%.*s' divides by zero", (int)t->n, t->p);
    *out = num / den;
    return TIER_OK;
}

static int find_name(size_t *idx, const parser *ps, const token *t)
{
    char name[TIER__AHP_NAME_MAX + 1];
    if (t->n > TIER__AHP_NAME_MAX)
        return perror_at(ps, t, TIER_EPARSE, "name '%.*s...' is too long", 40, t->p);
    memcpy(name, t->p, t->n);
    name[t->n] = '\0';
    for (size_t i = 0; i < ps->n; i++)
        if (strcmp(ps->ahp->names[i], name) == 0) {
            *idx = i;
            return TIER_OK;
        }
    long c = tier__closest(name, (const char *const *)ps->ahp->names, ps->n);
    char msg[2 * TIER__AHP_NAME_MAX + 64];
    if (c >= 0)
        snprintf(msg, sizeof msg, "unknown criterion '%s' (did you mean '%s'?)", name,
                 ps->ahp->names[c]);
    else
        snprintf(msg, sizeof msg, "unknown criterion '%s'", name);
    return perror_at(ps, t, TIER_EPARSE, "%s", msg);
}

static int read_names(parser *ps, const token *t, size_t k, const tier_ahp_options *opts)
{
    char buf[TIER__AHP_N][TIER__AHP_NAME_MAX + 1];
    const char *names[TIER__AHP_N];
    if (k > TIER_AHP_MAX_CRITERIA)
        return perror_at(ps, &t[TIER_AHP_MAX_CRITERIA], TIER_EPARSE,
                         "more than %d criteria", TIER_AHP_MAX_CRITERIA);
    for (size_t i = 0; i < k; i++) {
        if (is_value(&t[i]))
            return perror_at(ps, &t[i], TIER_EPARSE, "the first line must list the criteria "
                             "names, and a name may not start like a number ('%.*s')",
                             (int)t[i].n, t[i].p);
        if (t[i].n > TIER__AHP_NAME_MAX)
            return perror_at(ps, &t[i], TIER_EPARSE, "name '%.*s...' is too long", 40, t[i].p);
        memcpy(buf[i], t[i].p, t[i].n);
        buf[i][t[i].n] = '\0';
        names[i] = buf[i];
        for (size_t j = 0; j < i; j++)
            if (strcmp(buf[i], buf[j]) == 0)
                return perror_at(ps, &t[i], TIER_EPARSE, "criterion '%s' is listed twice", buf[i]);
    }
    int rc = tier_ahp_new(&ps->ahp, k, names, opts);
    if (rc) {
        char pre[300];
        snprintf(pre, sizeof pre, "%s:%zu", ps->src, ps->line);
        tier__error_prefix(pre);
        return rc;
    }
    ps->n = k;
    return TIER_OK;
}

/* Records one cell, checking duplicates and the value. */
static int put(parser *ps, size_t i, size_t j, const token *t)
{
    double v = NAN;
    int rc = parse_value(&v, ps, t);
    if (rc)
        return rc;
    size_t at = TIER__AT(i, j);
    if (ps->given[at]) {
        char msg[2 * TIER__AHP_NAME_MAX + 80];
        snprintf(msg, sizeof msg, "judgment '%s' vs '%s' is given twice (first at line %zu)",
                 ps->ahp->names[i], ps->ahp->names[j], ps->cline[at]);
        return perror_at(ps, t, TIER_EPARSE, "%s", msg);
    }
    if (i == j) {
        if (!isnan(v) && !(fabs(v - 1) <= ps->ahp->opts.tolerance)) {
            char msg[TIER__AHP_NAME_MAX + 96];
            snprintf(msg, sizeof msg, "diagonal entry '%s' vs itself is %g: it must be 1",
                     ps->ahp->names[i], v);
            return perror_at(ps, t, TIER_ERANGE, "%s", msg);
        }
    } else if (!isnan(v)) {
        char what[2 * TIER__AHP_NAME_MAX + 300];
        snprintf(what, sizeof what, "%s:%zu:%zu: judgment '%s' vs '%s'", ps->src, ps->line,
                 t->col, ps->ahp->names[i], ps->ahp->names[j]);
        if ((rc = tier__ahp_check_value(ps->ahp, v, what)))
            return rc;
    }
    ps->given[at] = 1;
    ps->cell[at] = v;
    ps->cline[at] = ps->line;
    ps->ccol[at] = t->col;
    return TIER_OK;
}

static int read_row(parser *ps, size_t row, const token *vals, size_t k, const token *first)
{
    if (row >= ps->n)
        return perror_at(ps, first, TIER_EPARSE, "more matrix rows than the %zu criteria", ps->n);
    if (k != ps->n)
        return perror_at(ps, first, TIER_EPARSE, "matrix row has %zu values, expected %zu (one "
                         "per criterion)", k, ps->n);
    for (size_t j = 0; j < k; j++) {
        int rc = put(ps, row, j, &vals[j]);
        if (rc)
            return rc;
    }
    return TIER_OK;
}

static int read_line(parser *ps, const token *t, size_t k)
{
    if (is_value(&t[0]))
        return read_row(ps, ps->next_row++, t, k, &t[0]);
    size_t i, j;
    int rc = find_name(&i, ps, &t[0]);
    if (rc)
        return rc;
    if (k >= 2 && !is_value(&t[1])) { /* pair line */
        if ((rc = find_name(&j, ps, &t[1])))
            return rc;
        if (k != 3)
            return perror_at(ps, &t[0], TIER_EPARSE, "a pair line is 'a b value' (%s)",
                             k < 3 ? "the value is missing" : "extra tokens follow");
        if (i == j)
            return perror_at(ps, &t[1], TIER_EPARSE, "criterion '%s' is compared with itself",
                             ps->ahp->names[i]);
        return put(ps, i, j, &t[2]);
    }
    return read_row(ps, i, t + 1, k - 1, &t[0]);
}

/* Checks mirrored cells for reciprocity with both positions, then enters the matrix. */
static int finish(parser *ps)
{
    size_t n = ps->n;
    double m[TIER__AHP_N * TIER__AHP_N];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            size_t at = TIER__AT(i, j), ta = TIER__AT(j, i);
            m[i * n + j] = ps->given[at] ? ps->cell[at] : NAN;
            if (i < j && ps->given[at] && ps->given[ta] && !isnan(ps->cell[at]) &&
                !isnan(ps->cell[ta])) {
                double p = ps->cell[at] * ps->cell[ta];
                if (fabs(p - 1) > ps->ahp->opts.tolerance)
                    return tier__error(TIER_ERANGE, "%s:%zu:%zu: judgment '%s' vs '%s' = %g and "
                                       "'%s' vs '%s' = %g (line %zu, column %zu) are not "
                                       "reciprocal: their product is %g, not 1 (tolerance %g)",
                                       ps->src, ps->cline[ta], ps->ccol[ta], ps->ahp->names[j],
                                       ps->ahp->names[i], ps->cell[ta], ps->ahp->names[i],
                                       ps->ahp->names[j], ps->cell[at], ps->cline[at],
                                       ps->ccol[at], p, ps->ahp->opts.tolerance);
            }
        }
    int rc = tier_ahp_set_matrix(ps->ahp, m);
    if (rc)
        tier__error_prefix(ps->src);
    return rc;
}

int tier_ahp_parse(tier_ahp **out, const char *text, size_t len, const char *source,
                   const tier_ahp_options *opts)
{
    if (!out)
        return tier__error(TIER_EINVAL, "tier_ahp_parse: out is NULL");
    *out = NULL;
    if (!text && len)
        return tier__error(TIER_EINVAL, "tier_ahp_parse: text is NULL");
    tier__alloc a;
    int rc = tier__alloc_init(&a, opts ? opts->allocator : NULL);
    if (rc)
        return rc;
    parser *ps = tier__calloc(&a, 1, sizeof *ps);
    if (!ps)
        return tier__oom();
    ps->src = source ? source : "<text>";
    token t[MAX_TOKENS];
    size_t pos = 0;
    while (pos < len && rc == TIER_OK) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        ps->line++;
        size_t k = tokenize(t, text + pos, end - pos);
        pos = end + 1;
        if (k == 0)
            continue;
        if (k > MAX_TOKENS)
            rc = perror_at(ps, NULL, TIER_EPARSE, "too many values on one line (at most %d "
                           "criteria)", TIER_AHP_MAX_CRITERIA);
        else if (!ps->ahp)
            rc = read_names(ps, t, k, opts);
        else
            rc = read_line(ps, t, k);
    }
    if (rc == TIER_OK && !ps->ahp)
        rc = tier__error(TIER_EPARSE, "%s: no criteria: the first line must list the criteria "
                         "names", ps->src);
    if (rc == TIER_OK)
        rc = finish(ps);
    if (rc == TIER_OK) {
        *out = ps->ahp;
        ps->ahp = NULL;
    }
    tier_ahp_free(ps->ahp);
    tier__free(&a, ps);
    return rc;
}

int tier_ahp_load_text(tier_ahp **out, const char *path, const tier_ahp_options *opts)
{
    if (!out || !path)
        return tier__error(TIER_EINVAL, "tier_ahp_load_text: NULL argument");
    *out = NULL;
    tier__alloc a;
    int rc = tier__alloc_init(&a, opts ? opts->allocator : NULL);
    if (rc)
        return rc;
    FILE *f = fopen(path, "rb");
    if (!f)
        return tier__error(TIER_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = tier__malloc(&a, MAX_TEXT + 1);
    if (!buf) {
        fclose(f);
        return tier__oom();
    }
    size_t len = fread(buf, 1, MAX_TEXT + 1, f);
    int err = ferror(f);
    fclose(f);
    if (err)
        rc = tier__error(TIER_EIO, "%s: read error", path);
    else if (len > MAX_TEXT)
        rc = tier__error(TIER_EPARSE, "%s: larger than %u bytes: not a judgment file", path,
                         MAX_TEXT);
    else
        rc = tier_ahp_parse(out, buf, len, path, opts);
    tier__free(&a, buf);
    return rc;
}
