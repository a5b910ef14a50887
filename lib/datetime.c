/* Calendar text -> seconds since the Unix epoch, by arithmetic only. */
#include <string.h>

#include "internal/datetime.h"

#define NOT_A_TIME "not a recognised time (expected YYYY-MM-DD[ HH:MM[:SS]] or M/D/YYYY H:MM)"

/* Howard Hinnant's days_from_civil: exact for the whole proleptic Gregorian calendar. */
int64_t tier__days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);                     /* [0, 399] */
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* [0, 146096] */
    return era * 146097 + (int64_t)doe - 719468;
}

unsigned tier__days_in_month(int64_t y, unsigned m)
{
    static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m == 2)
        return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28;
    return days[m - 1];
}

/* A calendar time being assembled. */
typedef struct fields {
    int64_t year;
    unsigned month, day, hour, minute, second;
    long offset; /* seconds east of UTC */
} fields;

static int is_digit(char c) { return (unsigned)(c - '0') < 10; }

/* Reads min..max digits at *pp into *v. */
static int read_digits(const char **pp, const char *end, int min, int max, unsigned *v)
{
    const char *p = *pp;
    unsigned x = 0;
    int k = 0;
    while (k < max && p < end && is_digit(*p)) {
        x = x * 10 + (unsigned)(*p - '0');
        p++;
        k++;
    }
    if (k < min)
        return -1;
    *pp = p;
    *v = x;
    return 0;
}

/* Z, z, +HH, +HH:MM, +HHMM (or '-'). */
static int read_offset(const char **pp, const char *end, long *offset, const char **why)
{
    const char *p = *pp;
    if (p < end && (*p == 'Z' || *p == 'z')) {
        *offset = 0;
        *pp = p + 1;
        return 0;
    }
    if (p == end || (*p != '+' && *p != '-')) {
        *why = "bad UTC offset (expected Z or +HH:MM)";
        return -1;
    }
    int neg = *p == '-';
    p++;
    unsigned h, m = 0;
    if (read_digits(&p, end, 2, 2, &h) != 0) {
        *why = "bad UTC offset (expected Z or +HH:MM)";
        return -1;
    }
    if (p < end && *p == ':')
        p++;
    if (p < end && is_digit(*p) && read_digits(&p, end, 2, 2, &m) != 0) {
        *why = "bad UTC offset (expected Z or +HH:MM)";
        return -1;
    }
    if (h > 23 || m > 59) {
        *why = "UTC offset out of range";
        return -1;
    }
    *offset = (long)(h * 3600 + m * 60) * (neg ? -1 : 1);
    *pp = p;
    return 0;
}

static int finish(int64_t *out, const char **why, const fields *f)
{
    if (f->month < 1 || f->month > 12) {
        *why = "month out of range (1-12)";
        return -1;
    }
    if (f->day < 1 || f->day > tier__days_in_month(f->year, f->month)) {
        *why = "day out of range for the month";
        return -1;
    }
    if (f->hour > 23) {
        *why = "hour out of range (0-23)";
        return -1;
    }
    if (f->minute > 59) {
        *why = "minute out of range (0-59)";
        return -1;
    }
    if (f->second > 59) {
        *why = "second out of range (0-59)";
        return -1;
    }
    int64_t days = tier__days_from_civil(f->year, f->month, f->day);
    *out = days * 86400 + (int64_t)(f->hour * 3600 + f->minute * 60 + f->second) - f->offset;
    return 0;
}

/* HH:MM[:SS[.fff]] */
static int read_clock(const char **pp, const char *end, fields *f, int hour_min_digits)
{
    const char *p = *pp;
    if (read_digits(&p, end, hour_min_digits, 2, &f->hour) != 0 || p == end || *p != ':')
        return -1;
    p++;
    if (read_digits(&p, end, 2, 2, &f->minute) != 0)
        return -1;
    if (p < end && *p == ':') {
        p++;
        if (read_digits(&p, end, 2, 2, &f->second) != 0)
            return -1;
        if (p < end && (*p == '.' || *p == ',')) { /* fraction: truncated */
            p++;
            if (p == end || !is_digit(*p))
                return -1;
            while (p < end && is_digit(*p))
                p++;
        }
    }
    *pp = p;
    return 0;
}

static int parse_iso(int64_t *out, const char **why, const char *p, const char *end)
{
    fields f = { 0, 1, 1, 0, 0, 0, 0 };
    unsigned y;
    if (read_digits(&p, end, 4, 4, &y) != 0 || p == end || *p != '-')
        goto bad;
    f.year = y;
    p++;
    if (read_digits(&p, end, 2, 2, &f.month) != 0 || p == end || *p != '-')
        goto bad;
    p++;
    if (read_digits(&p, end, 2, 2, &f.day) != 0)
        goto bad;
    if (p < end) {
        if (*p != 'T' && *p != 't' && *p != ' ')
            goto bad;
        p++;
        if (read_clock(&p, end, &f, 2) != 0)
            goto bad;
        if (p < end && read_offset(&p, end, &f.offset, why) != 0)
            return -1;
        if (p != end)
            goto bad;
    }
    return finish(out, why, &f);
bad:
    *why = NOT_A_TIME;
    return -1;
}

static int parse_us(int64_t *out, const char **why, const char *p, const char *end)
{
    fields f = { 0, 1, 1, 0, 0, 0, 0 };
    unsigned y;
    if (read_digits(&p, end, 1, 2, &f.month) != 0 || p == end || *p != '/')
        goto bad;
    p++;
    if (read_digits(&p, end, 1, 2, &f.day) != 0 || p == end || *p != '/')
        goto bad;
    p++;
    if (read_digits(&p, end, 4, 4, &y) != 0)
        goto bad;
    f.year = y;
    if (p < end) {
        if (*p != ' ')
            goto bad;
        p++;
        if (read_clock(&p, end, &f, 1) != 0 || p != end)
            goto bad;
    }
    return finish(out, why, &f);
bad:
    *why = NOT_A_TIME;
    return -1;
}

static void trim(const char **p, const char **end)
{
    while (*p < *end && (**p == ' ' || **p == '\t'))
        (*p)++;
    while (*end > *p && ((*end)[-1] == ' ' || (*end)[-1] == '\t'))
        (*end)--;
}

/* The number written by the two bytes at p, or a value above 99 if either is not a digit. */
static inline unsigned two_digits(const char *p)
{
    unsigned hi = (unsigned)(unsigned char)p[0] - (unsigned)'0';
    unsigned lo = (unsigned)(unsigned char)p[1] - (unsigned)'0';
    return hi > 9 || lo > 9 ? 1000 : hi * 10 + lo;
}

/* Whether the 19 bytes at p have the separators of "YYYY-MM-DD HH:MM:SS" (or with T). */
static inline int fixed_form(const char *p)
{
    return p[4] == '-' && p[7] == '-' && p[13] == ':' && p[16] == ':' &&
           (p[10] == ' ' || p[10] == 'T' || p[10] == 't');
}

/* The seconds into the day of the clock "HH:MM:SS" at p, or -1 if it is out of range or not
 * digits. */
static inline long fixed_clock(const char *p)
{
    const unsigned h = two_digits(p), m = two_digits(p + 3), s = two_digits(p + 6);
    return h <= 23 && m <= 59 && s <= 59 ? (long)(h * 3600 + m * 60 + s) : -1;
}

/* "YYYY-MM-DD HH:MM:SS" (or with T), the form most logs write, read at fixed positions with
 * no loops. Returns 1 if the text has another form (parse_iso then reads it; any text this
 * accepts it reads the same way), else what finish() returns. */
static int plain_iso(int64_t *out, const char **why, const char *p)
{
    if (!fixed_form(p))
        return 1;
    const unsigned y_hi = two_digits(p), y_lo = two_digits(p + 2);
    fields f = { 0, two_digits(p + 5), two_digits(p + 8), two_digits(p + 11),
                 two_digits(p + 14), two_digits(p + 17), 0 };
    if (y_hi > 99 || y_lo > 99 || f.month > 99 || f.day > 99 || f.hour > 99 || f.minute > 99 ||
        f.second > 99)
        return 1;
    f.year = y_hi * 100 + y_lo;
    return finish(out, why, &f);
}

int tier__parse_time_memo(tier__date_memo *memo, int64_t *out, const char **why, const char *p,
                          size_t n)
{
    const int fixed = n == 19 && fixed_form(p);
    if (fixed && memo->valid && memcmp(p, memo->date, 10) == 0) {
        const long clock = fixed_clock(p + 11);
        if (clock >= 0) {
            *out = memo->days * 86400 + clock;
            return 0;
        }
        /* a clock out of range: read in full below, for the message */
    }
    int rc = tier__parse_time(out, why, p, n);
    if (rc == 0 && fixed) { /* no offset: the clock is the seconds into the date's day */
        memcpy(memo->date, p, 10);
        memo->days = (*out - fixed_clock(p + 11)) / 86400;
        memo->valid = 1;
    }
    return rc;
}

int tier__parse_time(int64_t *out, const char **why, const char *p, size_t n)
{
    if (n == 19) {
        int rc = plain_iso(out, why, p);
        if (rc <= 0)
            return rc;
    }
    const char *end = p + n;
    trim(&p, &end);
    if (end - p >= 10 && p[4] == '-')
        return parse_iso(out, why, p, end);
    if (end - p >= 8 && (p[1] == '/' || p[2] == '/'))
        return parse_us(out, why, p, end);
    *why = p == end ? "time is empty" : NOT_A_TIME;
    return -1;
}

int tier__timefmt_compile(tier__timefmt *f, const char **why, const char *fmt)
{
    f->n = 0;
    for (const char *p = fmt; *p; p++) {
        if (f->n == TIER__TIMEFMT_MAX) {
            *why = "time format is too long";
            return -1;
        }
        char kind = 'L', lit = *p;
        if (*p == '%') {
            p++;
            switch (*p) {
            case 'Y': case 'y': case 'm': case 'd': case 'H': case 'M': case 'S': case 'z':
                kind = *p;
                break;
            case '%':
                lit = '%';
                break;
            case '\0':
                *why = "time format ends with a lone '%'";
                return -1;
            default:
                *why = "unsupported directive in time format (use %Y %y %m %d %H %M %S %z %%)";
                return -1;
            }
        }
        f->op[f->n].kind = kind;
        f->op[f->n].lit = lit;
        f->n++;
    }
    if (f->n == 0) {
        *why = "time format is empty";
        return -1;
    }
    return 0;
}

int tier__parse_time_fmt(int64_t *out, const char **why, const tier__timefmt *f, const char *p,
                         size_t n)
{
    const char *end = p + n;
    trim(&p, &end);
    fields t = { 1970, 1, 1, 0, 0, 0, 0 };
    for (size_t i = 0; i < f->n; i++) {
        unsigned v = 0;
        int rc = 0;
        switch (f->op[i].kind) {
        case 'L':
            rc = (p < end && *p == f->op[i].lit) ? 0 : -1;
            p += rc == 0;
            break;
        case 'Y':
            rc = read_digits(&p, end, 4, 4, &v);
            t.year = v;
            break;
        case 'y':
            rc = read_digits(&p, end, 2, 2, &v);
            t.year = v >= 69 ? 1900 + v : 2000 + v;
            break;
        case 'm': rc = read_digits(&p, end, 1, 2, &t.month); break;
        case 'd': rc = read_digits(&p, end, 1, 2, &t.day); break;
        case 'H': rc = read_digits(&p, end, 1, 2, &t.hour); break;
        case 'M': rc = read_digits(&p, end, 1, 2, &t.minute); break;
        case 'S': rc = read_digits(&p, end, 1, 2, &t.second); break;
        case 'z':
            if (read_offset(&p, end, &t.offset, why) != 0)
                return -1;
            break;
        default: rc = -1; break;
        }
        if (rc != 0) {
            *why = "does not match the time format";
            return -1;
        }
    }
    if (p != end) {
        *why = "unexpected text after the time format";
        return -1;
    }
    return finish(out, why, &t);
}
