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

#include <stddef.h>

typedef enum tier__num_status {
    TIER__NUM_OK = 0,
    TIER__NUM_EMPTY = 1,     /* empty or only blanks */
    TIER__NUM_INVALID = 2,   /* not a decimal number */
    TIER__NUM_NONFINITE = 3, /* "nan", "inf", "infinity" (any case, optional sign) */
    TIER__NUM_RANGE = 4      /* a valid number whose magnitude overflows a double */
} tier__num_status;

/* Parses p[0..n) into *out (set only on TIER__NUM_OK). */
tier__num_status tier__parse_double(double *out, const char *p, size_t n);

/* A short description of a non-OK status ("is not a number", ...). */
const char *tier__num_status_str(tier__num_status s);

#endif
