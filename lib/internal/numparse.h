/* Private: decimal text -> double, fast and correctly rounded.
 *
 * Accepted syntax (surrounding ASCII spaces and tabs are ignored):
 *     [+-] ( digits [ '.' [digits] ] | '.' digits ) [ (e|E) [+-] digits ]
 * No hexadecimal, no thousands separators, no locale: the decimal point is always '.'.
 *
 * The result is always the double nearest to the decimal value (ties to even): the common
 * case (at most 19 significant digits, mantissa below 2^53, power of ten within 1e±22) is one
 * exact multiplication or division (Clinger's fast path); anything else goes to strtod() on a
 * locale-independent copy. */
#ifndef TIER_INTERNAL_NUMPARSE_H
#define TIER_INTERNAL_NUMPARSE_H

#include <float.h>
#include <stddef.h>

typedef enum tier__num_status {
    TIER__NUM_OK = 0,
    TIER__NUM_EMPTY = 1,     /* empty or only blanks */
    TIER__NUM_INVALID = 2,   /* not a decimal number */
    TIER__NUM_NONFINITE = 3, /* "nan", "inf", "infinity" (any case, optional sign) */
    TIER__NUM_RANGE = 4      /* a valid number whose magnitude overflows a double */
} tier__num_status;

/* Any text of the syntax above: tier__parse_double's general path (numparse.c). */
tier__num_status tier__parse_decimal_text(double *out, const char *p, size_t n);

/* [-]DIGITS[.DIGITS] with 1 to 15 digits and nothing else, the form almost every amount has:
 * returns 1 with *out set exactly as the general path sets it (the same single exact
 * division: both operands are exact doubles), or 0 for any other text. */
static inline int tier__parse_plain_decimal(double *out, const char *p, size_t n)
{
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    static const double scale[16] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
                                       1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
    if (n == 0 || n > 17)
        return 0;
    const char *end = p + n, *dot = NULL;
    const int neg = *p == '-';
    unsigned long long mant = 0;
    for (p += neg; p < end; p++) {
        unsigned d = (unsigned)(unsigned char)*p - (unsigned)'0';
        if (d < 10)
            mant = mant * 10 + d;
        else if (*p == '.' && !dot)
            dot = p;
        else
            return 0;
    }
    const size_t digits = n - (size_t)neg - (dot != NULL);
    if (digits == 0 || digits > 15)
        return 0;
    double v = (double)mant; /* below 10^15 < 2^53: exact */
    if (dot && end - dot > 1)
        v /= scale[end - dot - 1];
    *out = neg ? -v : v;
    return 1;
#else
    (void)out;
    (void)p;
    (void)n;
    return 0;
#endif
}

/* Parses p[0..n) into *out (set only on TIER__NUM_OK). Inline for the plain form, which the
 * CSV loader meets on almost every row; the call is for anything else. */
static inline tier__num_status tier__parse_double(double *out, const char *p, size_t n)
{
    return tier__parse_plain_decimal(out, p, n) ? TIER__NUM_OK : tier__parse_decimal_text(out, p, n);
}

/* A short description of a non-OK status ("is not a number", ...). */
const char *tier__num_status_str(tier__num_status s);

#endif
