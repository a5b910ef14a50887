/* Decimal text -> double, correctly rounded without depending on the C locale. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal/numparse.h"

/* Powers of ten that are exact doubles (10^22 is the largest: 5^22 < 2^53). */
static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Correct rounding never needs more than 767 significant digits plus a sticky digit. */
#define MAX_DIGITS 780

static int is_blank(char c) { return c == ' ' || c == '\t'; }

static int lower_eq(const char *p, size_t n, const char *word)
{
    size_t i = 0;
    for (; i < n && word[i]; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return 0;
    }
    return i == n && word[i] == '\0';
}

static int is_nonfinite_word(const char *p, size_t n)
{
    if (n > 0 && (*p == '+' || *p == '-')) {
        p++;
        n--;
    }
    return lower_eq(p, n, "nan") || lower_eq(p, n, "inf") || lower_eq(p, n, "infinity");
}

/* The slow path: rebuild the number as "[-]DIGITSeEXP" (no decimal point, so strtod's locale
 * cannot matter) and let the C library round it. `expo` is the written exponent. */
static tier__num_status slow_path(double *out, int neg, const char *digits_begin,
                                  const char *digits_end, long expo)
{
    char buf[MAX_DIGITS + 32];
    size_t k = 0;
    long x = expo; /* value = DIGITS * 10^x */
    int seen_dot = 0, sticky = 0;
    if (neg)
        buf[k++] = '-';
    size_t first = k;
    for (const char *q = digits_begin; q < digits_end; q++) {
        char c = *q;
        if (c == '.') {
            seen_dot = 1;
            continue;
        }
        if (seen_dot)
            x--; /* each fraction digit appended to the integer scales it by 10 */
        if (k == first && c == '0')
            continue; /* leading zeros */
        if (k - first < MAX_DIGITS) {
            buf[k++] = c;
        } else {
            x++; /* the digit is dropped, so the kept integer is 10 times too small */
            sticky |= c != '0';
        }
    }
    if (k == first) { /* all zeros */
        *out = neg ? -0.0 : 0.0;
        return TIER__NUM_OK;
    }
    if (sticky) { /* keeps the value strictly above a halfway point it was above */
        buf[k++] = '1';
        x--;
    }
    /* Clamp absurd exponents; the result is 0 or an overflow either way. */
    if (x > 100000)
        x = 100000;
    if (x < -100000)
        x = -100000;
    buf[k++] = 'e';
    {
        char tmp[24];
        int t = 0;
        unsigned long ux;
        if (x < 0) {
            buf[k++] = '-';
            ux = (unsigned long)(-x);
        } else {
            ux = (unsigned long)x;
        }
        do {
            tmp[t++] = (char)('0' + ux % 10);
            ux /= 10;
        } while (ux);
        while (t)
            buf[k++] = tmp[--t];
    }
    buf[k] = '\0';
    int saved = errno;
    errno = 0;
    double v = strtod(buf, NULL);
    int range = errno == ERANGE;
    errno = saved;
    if (range && isinf(v))
        return TIER__NUM_RANGE;
    *out = v; /* an underflow to a subnormal or zero is the correctly rounded value */
    return TIER__NUM_OK;
}

tier__num_status tier__parse_decimal_text(double *out, const char *p, size_t n)
{
    const char *end = p + n;
    while (p < end && is_blank(*p))
        p++;
    while (end > p && is_blank(end[-1]))
        end--;
    if (p == end)
        return TIER__NUM_EMPTY;

    const char *start = p;
    int neg = 0;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    const char *digits_begin = p;
    uint64_t mant = 0;
    int ndig = 0;      /* digits in mant, leading zeros excluded */
    int too_many = 0;  /* more than 19 significant digits: mant is not the whole value */
    long frac = 0;     /* fraction digits that went into mant */
    int any = 0;

    for (; p < end && (unsigned)(*p - '0') < 10; p++) {
        any = 1;
        if (ndig < 19) {
            mant = mant * 10 + (unsigned)(*p - '0');
            ndig += mant != 0;
        } else {
            too_many = 1;
        }
    }
    if (p < end && *p == '.') {
        p++;
        for (; p < end && (unsigned)(*p - '0') < 10; p++) {
            any = 1;
            if (ndig < 19) {
                mant = mant * 10 + (unsigned)(*p - '0');
                ndig += mant != 0;
                frac++;
            } else {
                too_many = 1;
            }
        }
    }
    const char *digits_end = p;
    if (!any)
        return is_nonfinite_word(start, (size_t)(end - start)) ? TIER__NUM_NONFINITE
                                                               : TIER__NUM_INVALID;
    long expo = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0;
        if (p < end && (*p == '+' || *p == '-')) {
            eneg = *p == '-';
            p++;
        }
        if (p == end || (unsigned)(*p - '0') >= 10)
            return TIER__NUM_INVALID;
        for (; p < end && (unsigned)(*p - '0') < 10; p++)
            if (expo < 1000000)
                expo = expo * 10 + (*p - '0');
        if (eneg)
            expo = -expo;
    }
    if (p != end)
        return TIER__NUM_INVALID;

    if (!too_many) {
        long e10 = expo - frac;
        if (mant == 0) {
            *out = neg ? -0.0 : 0.0;
            return TIER__NUM_OK;
        }
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
        /* Clinger: mant and 10^|e10| are exact doubles, so one IEEE operation rounds
         * correctly. (Not with x87 extended evaluation, hence the guard.) */
        if (mant <= ((uint64_t)1 << 53) && e10 >= -22 && e10 <= 22) {
            double v = (double)mant;
            v = e10 < 0 ? v / pow10_exact[-e10] : v * pow10_exact[e10];
            *out = neg ? -v : v;
            return TIER__NUM_OK;
        }
#endif
    }
    return slow_path(out, neg, digits_begin, digits_end, expo);
}

const char *tier__num_status_str(tier__num_status s)
{
    switch (s) {
    case TIER__NUM_OK: return "is a number";
    case TIER__NUM_EMPTY: return "is empty";
    case TIER__NUM_INVALID: return "is not a number";
    case TIER__NUM_NONFINITE: return "is not finite";
    case TIER__NUM_RANGE: return "is out of range";
    }
    return "is not a number";
}
