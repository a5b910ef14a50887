/* Private: the layout of a tier_assignment, shared by lib/assignment.c (evaluation, queries)
 * and lib/assignment_io.c (save, load, event export). */
#ifndef TIER_INTERNAL_ASSIGNMENT_H
#define TIER_INTERNAL_ASSIGNMENT_H

#include <stdint.h>

#include "tier/assignment.h"
#include "alloc.h"
#include "strtab.h"

typedef struct tier__event {
    uint32_t customer; /* row; for TIER_EVENT_GONE an index into `gone` */
    int32_t old_tier;  /* index into prev_names, or -1 */
    int32_t new_tier;  /* index into names, or -1 (gone) */
    uint8_t kind;      /* tier_event_kind */
} tier__event;

/* A manual override set through the API, carried from evaluation to evaluation. */
typedef struct tier__override {
    uint32_t customer; /* index into ov_ids */
    uint32_t tier;     /* index into ov_tiers (tier names, so they survive rule changes) */
    int64_t until;     /* holds while the evaluation time is earlier */
} tier__override;

struct tier_assignment {
    tier__alloc alloc;
    int64_t time;
    unsigned grace_policy, max_downgrade; /* the policy that made it, for the record */
    size_t n_tiers;
    char **names;
    char **labels;       /* NULL entries: the name */
    size_t n_rows;
    tier__strtab ids;    /* row -> customer id */
    int32_t *tier;
    int32_t *qualified;
    int32_t *grace;
    uint64_t *counts;    /* per tier */
    tier__event *events;
    size_t n_events, cap_events;
    char **prev_names;   /* tier names of the previous assignment, for events */
    size_t n_prev;
    tier__strtab gone;   /* ids of customers gone since the previous assignment */
    tier__strtab ov_ids, ov_tiers;
    tier__override *ovs;
    size_t n_ovs, cap_ovs;
};

/* An empty assignment with `alloc`, its tables initialised. */
int tier__assignment_alloc(tier_assignment **out, const tier__alloc *alloc);

/* Recomputes counts from tiers. */
int tier__assignment_count(tier_assignment *a);

/* Appends an override (ids interned). */
int tier__assignment_add_override(tier_assignment *a, const char *customer, const char *tier,
                                  int64_t until);

#endif
