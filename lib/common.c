/* Versions, status strings and the thread-local last error. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal/error.h"

#define TIER_ERROR_CAPACITY 1024

static _Thread_local char last_error[TIER_ERROR_CAPACITY];
static _Thread_local int last_status;

unsigned int tier_version_number(void) { return TIER_VERSION_NUMBER; }

const char *tier_version_string(void) { return TIER_VERSION_STRING; }

const char *tier_status_str(int status)
{
    switch (status) {
    case TIER_OK: return "success";
    case TIER_ERROR: return "error";
    case TIER_ENOMEM: return "out of memory";
    case TIER_EINVAL: return "invalid argument";
    case TIER_EIO: return "input/output error";
    case TIER_EPARSE: return "malformed input";
    case TIER_ENOTFOUND: return "not found";
    case TIER_ETYPE: return "wrong column type";
    case TIER_ECORRUPT: return "corrupted or truncated file";
    case TIER_EVERSION: return "unsupported version";
    case TIER_ESTALE: return "features are out of date";
    case TIER_EEMPTY: return "no data";
    case TIER_EINCONSISTENT: return "judgments are inconsistent";
    case TIER_ENOTFITTED: return "model is not fitted";
    case TIER_ERANGE: return "value out of range";
    case TIER_ECALLBACK: return "callback failed";
    case TIER_ECANCELLED: return "cancelled";
    case TIER_ENOTCONVERGED: return "did not converge";
    case TIER_EEXISTS: return "already exists";
    default: return "unknown status";
    }
}

const char *tier_last_error(void) { return last_error; }

int tier_last_error_status(void) { return last_status; }

void tier_clear_error(void)
{
    last_error[0] = '\0';
    last_status = TIER_OK;
}

int tier__error(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    last_status = status;
    return status;
}

int tier__oom(void)
{
    return tier__error(TIER_ENOMEM, "out of memory");
}

void tier__error_prefix(const char *prefix)
{
    char tmp[TIER_ERROR_CAPACITY];
    size_t np = strlen(prefix);
    if (np > TIER_ERROR_CAPACITY / 2)
        np = TIER_ERROR_CAPACITY / 2;
    memcpy(tmp, prefix, np);
    memcpy(tmp + np, ": ", 2);
    size_t room = sizeof tmp - np - 3;
    size_t nm = strlen(last_error);
    if (nm > room)
        nm = room;
    memcpy(tmp + np + 2, last_error, nm);
    tmp[np + 2 + nm] = '\0';
    memcpy(last_error, tmp, sizeof tmp);
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return (size_t)-1;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = (a[i - 1] == b[j - 1]) ? 0 : 1;
            size_t best = diag + cost;
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

long tier__closest(const char *name, const char *const *candidates, size_t n)
{
    size_t len = strlen(name);
    size_t limit = len / 3 > 2 ? len / 3 : 2;
    long best = -1;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        if (!candidates[i])
            continue;
        size_t d = edit_distance(name, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = (long)i;
        }
    }
    return best_d <= limit ? best : -1;
}
