/* Private: the layout of struct tier_summary, shared by summary.c (grouping, pivots, accessors)
 * and summary_export.c (CSV/JSON). */
#ifndef TIER_INTERNAL_SUMMARY_H
#define TIER_INTERNAL_SUMMARY_H

#include <stdint.h>

#include "tier/summary.h"
#include "alloc.h"

/* One grouping dimension: its levels in table order. */
typedef struct tier__keydim {
    char *name;           /* key column name */
    size_t n;             /* levels */
    char **labels;        /* n labels (each allocated) */
    unsigned char *kind;  /* n tier_level_kind values */
    int64_t *start;       /* n bucket start instants (activity first key), else NULL */
} tier__keydim;

struct tier_summary {
    tier__alloc alloc;
    size_t n_keys;        /* 1 or 2 */
    tier__keydim keys[2];
    size_t n_rows;
    size_t n_stats;       /* numeric columns after the keys */
    char **stat_names;    /* n_stats names */
    int32_t *codes[2];    /* per key: n_rows level indices */
    double **stats;       /* n_stats columns of n_rows values */
    uint64_t total, excluded;
    int activity;         /* first key is a time bucket */
};

/* Formats `v` with the fewest significant digits (up to 17) that read back as `v`, with '.' as
 * the decimal point whatever the locale: "5", "0.1", "1e+300", "nan", "inf". `buf` needs 32
 * bytes. Returns the length. */
size_t tier__format_double(char *buf, double v);

#endif
