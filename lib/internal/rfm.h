/* Private: the RFM scorer's state, shared by lib/rfm.c (binning, fit, apply, model state),
 * lib/segment.c (the named-segment table) and lib/rfm_summary.c (per-group statistics). */
#ifndef TIER_INTERNAL_RFM_H
#define TIER_INTERNAL_RFM_H

#include "tier/rfm.h"
#include "alloc.h"
#include "binfile.h"

#define RFM_MIN_BINS 2
#define RFM_MAX_BINS 10

/* Output indexes, in declaration order. */
enum { RFM_OUT_R, RFM_OUT_F, RFM_OUT_M, RFM_OUT_CODE, RFM_OUT_TOTAL, RFM_OUT_SEGMENT, RFM_N_OUT };

typedef struct rfm_dim {
    char *column;                     /* input column name */
    unsigned bins;                    /* 2..10 */
    int has_breaks;                   /* edges given by the user (never refitted) */
    double edges[RFM_MAX_BINS - 1];   /* bins - 1 interior edges, non-decreasing */
} rfm_dim;

typedef struct rfm_segment {
    char *name;
    unsigned lo[3], hi[3];
} rfm_segment;

typedef struct rfm_state {
    tier_rfm_mode mode;
    tier_rfm_nan_policy nan_policy;
    rfm_dim dim[3];
    int fitted;
    char *other;                      /* name for customers matching no segment */
    rfm_segment *segs;
    size_t n_segs, cap_segs;
    /* Derived from the table (tier__rfm_segments_rebuild): the `rfm_segment` dictionary
     * (distinct names in table order, then `other`) and a lookup from the score triple to a
     * dictionary index, lut[((r-1) * bins_f + (f-1)) * bins_m + (m-1)]. */
    const char **dict;
    size_t n_dict;
    int32_t *lut;
    const char *inputs[3];            /* = dim[d].column, for the column declarations */
} rfm_state;

/* Segment table (lib/segment.c). */
int tier__rfm_segments_rebuild(rfm_state *st, const tier__alloc *a);
int tier__rfm_segments_install_default(rfm_state *st, const tier__alloc *a);
int tier__rfm_segment_add(rfm_state *st, const tier__alloc *a, size_t index, const char *name,
                          const unsigned lo[3], const unsigned hi[3]);
void tier__rfm_segments_free(rfm_state *st, const tier__alloc *a);
void tier__rfm_segments_save(const rfm_state *st, tier__wbuf *w);
int tier__rfm_segments_load(rfm_state *st, const tier__alloc *a, tier__rbuf *r, const char *path);

/* The RFM state of a scorer, or NULL with TIER_EINVAL recorded. */
rfm_state *tier__rfm_state(const tier_scorer *s, const char *what);

#endif
