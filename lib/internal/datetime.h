/* Private: parsing calendar times into seconds since the Unix epoch, without the C library's
 * time functions (no mktime/timegm/strptime: they are slow, locale- and TZ-dependent).
 *
 * Recognised automatically (surrounding blanks ignored):
 *   ISO 8601   YYYY-MM-DD                        a date: midnight UTC
 *              YYYY-MM-DD(T|t| )HH:MM[:SS[.fff]][Z|z|+HH[:MM]|-HH[:MM]|+HHMM|-HHMM]
 *   US         M/D/YYYY[ H:MM[:SS]]              (month and day 1 or 2 digits, hour 1 or 2)
 * A user format (tier__timefmt) uses %Y (4 digits), %y (2 digits, 69-99 -> 19xx, else 20xx),
 * %m %d %H %M %S (1 or 2 digits), %z (Z or +-HH[:MM]), %% and literal characters; unset fields
 * default to January, day 1, 00:00:00. Fractions of seconds are truncated. Times without an
 * offset are UTC. Every field is range-checked (month 1-12, day within the month including
 * leap years, hour 0-23, minute 0-59, second 0-59, offset below 24:00). */
#ifndef TIER_INTERNAL_DATETIME_H
#define TIER_INTERNAL_DATETIME_H

#include <stddef.h>
#include <stdint.h>

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (m 1-12, d 1-31). */
int64_t tier__days_from_civil(int64_t y, unsigned m, unsigned d);

/* Number of days in month m (1-12) of year y. */
unsigned tier__days_in_month(int64_t y, unsigned m);

/* Parses one of the automatic formats. Returns 0 and sets *out, or -1 and sets *why to a
 * static description of the problem. */
int tier__parse_time(int64_t *out, const char **why, const char *p, size_t n);

/* The date of the last time of the form "YYYY-MM-DD HH:MM:SS" that tier__parse_time_memo
 * read: the rows of a log in time order repeat the date, whose day count is then reused.
 * Start with {0}. */
typedef struct tier__date_memo {
    char date[10];   /* "YYYY-MM-DD" */
    int valid;
    int64_t days;    /* days since 1970-01-01 */
} tier__date_memo;

/* tier__parse_time, with the date of a fixed-form time remembered in *memo: the same result
 * and the same message for every text. */
int tier__parse_time_memo(tier__date_memo *memo, int64_t *out, const char **why, const char *p,
                          size_t n);

#define TIER__TIMEFMT_MAX 64

/* A compiled user time format (no allocation: ops are stored inline). */
typedef struct tier__timefmt {
    size_t n;
    struct {
        char kind; /* 'Y','y','m','d','H','M','S','z' or 'L' for a literal */
        char lit;
    } op[TIER__TIMEFMT_MAX];
} tier__timefmt;

/* Compiles a format. Returns 0, or -1 with *why describing the problem. */
int tier__timefmt_compile(tier__timefmt *f, const char **why, const char *fmt);

/* Parses p[0..n) with a compiled format. Returns 0 or -1 as tier__parse_time(). */
int tier__parse_time_fmt(int64_t *out, const char **why, const tier__timefmt *f, const char *p,
                         size_t n);

#endif
