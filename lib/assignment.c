/* tier_assignment: applying a rule set with the movement policy (grace, soft landing, retain,
 * overrides), the change events, transitions between assignments, and what-if comparisons.
 *
 * The rules' conditions run vectorised in rules_eval.c; this file only walks the rows once to
 * apply the policy, which is a handful of integer comparisons per customer. */
#include <stdio.h>
#include <string.h>

#include "internal/assignment.h"
#include "internal/dataset.h"
#include "internal/error.h"
#include "internal/rules.h"

const char *tier_event_kind_name(int kind)
{
    switch (kind) {
    case TIER_EVENT_NEW: return "new";
    case TIER_EVENT_UPGRADE: return "upgrade";
    case TIER_EVENT_DOWNGRADE: return "downgrade";
    case TIER_EVENT_HELD: return "held";
    case TIER_EVENT_OVERRIDE: return "override";
    case TIER_EVENT_GONE: return "gone";
    default: return "unknown";
    }
}

int tier_assign_options_init(tier_assign_options *opts, unsigned int version)
{
    if (!opts)
        return tier__error(TIER_EINVAL, "tier_assign_options_init: opts is NULL");
    if (version < 1 || version > TIER_ASSIGN_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_assign_options_init: unknown version %u (this "
                           "library knows 1..%d)", version, TIER_ASSIGN_OPTIONS_VERSION);
    tier_assign_options d = TIER_ASSIGN_OPTIONS_INIT;
    d.version = version;
    *opts = d;
    return TIER_OK;
}

/* ---- the handle ----------------------------------------------------------------------------- */

int tier__assignment_alloc(tier_assignment **out, const tier__alloc *alloc)
{
    tier_assignment *a = tier__calloc(alloc, 1, sizeof *a);
    if (!a)
        return tier__oom();
    a->alloc = *alloc;
    tier__strtab_init(&a->ids, &a->alloc);
    tier__strtab_init(&a->gone, &a->alloc);
    tier__strtab_init(&a->ov_ids, &a->alloc);
    tier__strtab_init(&a->ov_tiers, &a->alloc);
    *out = a;
    return TIER_OK;
}

void tier_assignment_free(tier_assignment *a)
{
    if (!a)
        return;
    tier__alloc al = a->alloc;
    for (size_t i = 0; i < a->n_tiers; i++) {
        tier__free(&al, a->names[i]);
        if (a->labels)
            tier__free(&al, a->labels[i]);
    }
    for (size_t i = 0; i < a->n_prev; i++)
        tier__free(&al, a->prev_names[i]);
    tier__free(&al, a->names);
    tier__free(&al, a->labels);
    tier__free(&al, a->prev_names);
    tier__free(&al, a->tier);
    tier__free(&al, a->qualified);
    tier__free(&al, a->grace);
    tier__free(&al, a->counts);
    tier__free(&al, a->events);
    tier__free(&al, a->ovs);
    tier__strtab_free(&a->ids);
    tier__strtab_free(&a->gone);
    tier__strtab_free(&a->ov_ids);
    tier__strtab_free(&a->ov_tiers);
    tier__free(&al, a);
}

int tier__assignment_count(tier_assignment *a)
{
    tier__free(&a->alloc, a->counts);
    a->counts = tier__calloc(&a->alloc, a->n_tiers + 1, sizeof *a->counts);
    if (!a->counts)
        return tier__oom();
    for (size_t i = 0; i < a->n_rows; i++)
        a->counts[a->tier[i]]++;
    return TIER_OK;
}

int tier__assignment_add_override(tier_assignment *a, const char *customer, const char *tier,
                                  int64_t until)
{
    uint32_t c, t;
    if (tier__strtab_intern(&a->ov_ids, customer, strlen(customer), &c, NULL) ||
        tier__strtab_intern(&a->ov_tiers, tier, strlen(tier), &t, NULL) ||
        tier__grow(&a->alloc, (void **)&a->ovs, &a->cap_ovs, a->n_ovs + 1, sizeof *a->ovs))
        return TIER_ENOMEM;
    a->ovs[a->n_ovs].customer = c;
    a->ovs[a->n_ovs].tier = t;
    a->ovs[a->n_ovs].until = until;
    a->n_ovs++;
    return TIER_OK;
}

static int push_event(tier_assignment *a, uint32_t customer, int32_t old_tier, int32_t new_tier,
                      int kind)
{
    if (a->n_events == a->cap_events &&
        tier__grow(&a->alloc, (void **)&a->events, &a->cap_events, a->n_events + 1,
                   sizeof *a->events))
        return TIER_ENOMEM;
    tier__event *e = &a->events[a->n_events++];
    e->customer = customer;
    e->old_tier = old_tier;
    e->new_tier = new_tier;
    e->kind = (uint8_t)kind;
    return TIER_OK;
}

static long tier_by_name(const tier_rules *r, const char *name)
{
    for (size_t i = 0; i < r->n_tiers; i++)
        if (strcmp(r->tiers[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* "unknown tier 'Gld' (did you mean 'Gold'?)" with a caller-supplied prefix. */
static int unknown_tier(const tier_rules *r, const char *prefix, const char *name,
                        const char *hint)
{
    const char **names = tier__malloc(&r->alloc, (r->n_tiers + 1) * sizeof *names);
    long c = -1;
    if (names) {
        for (size_t i = 0; i < r->n_tiers; i++)
            names[i] = r->tiers[i].name;
        c = tier__closest(name, names, r->n_tiers);
    }
    int status = tier__error(TIER_ENOTFOUND, "%s: unknown tier '%s'%s%s%s%s", prefix, name,
                             c >= 0 ? " (did you mean '" : "", c >= 0 ? names[c] : "",
                             c >= 0 ? "'?)" : "", hint);
    tier__free(&r->alloc, names);
    return status;
}

static int copy_tiers(tier_assignment *a, const tier_rules *r)
{
    a->n_tiers = r->n_tiers;
    a->names = tier__calloc(&a->alloc, r->n_tiers, sizeof *a->names);
    a->labels = tier__calloc(&a->alloc, r->n_tiers, sizeof *a->labels);
    if (!a->names || !a->labels)
        return tier__oom();
    for (size_t i = 0; i < r->n_tiers; i++) {
        a->names[i] = tier__strdup(&a->alloc, r->tiers[i].name);
        if (!a->names[i] || (r->tiers[i].label &&
                             !(a->labels[i] = tier__strdup(&a->alloc, r->tiers[i].label))))
            return tier__oom();
    }
    return TIER_OK;
}

static int copy_ids(tier_assignment *a, const tier_dataset *ds)
{
    if (tier__strtab_reserve(&a->ids, a->n_rows))
        return TIER_ENOMEM;
    for (size_t row = 0; row < a->n_rows; row++) {
        const char *id = tier_dataset_customer_id(ds, row);
        uint32_t index;
        if (tier__strtab_intern(&a->ids, id, strlen(id), &index, NULL))
            return TIER_ENOMEM;
        if (index != row)
            return tier__error(TIER_EINVAL, "dataset has customer id '%s' twice", id);
    }
    return TIER_OK;
}

/* ---- state carried from the previous assignment --------------------------------------------- */

typedef struct carry {
    int32_t *old_name; /* per row: previous tier (index into prev names), -1 when new */
    int32_t *mapped;   /* per row: that tier's index in the new rule set, -1 if none */
    int32_t *grace_in; /* per row: previous grace counter */
    uint8_t *retain;   /* per row: the retain condition of `mapped` holds */
    uint8_t *seen;     /* per previous row: still a customer */
    int32_t *pin;      /* per row: pinned tier or -1 */
} carry;

static void carry_free(const tier__alloc *al, carry *c)
{
    tier__free(al, c->old_name);
    tier__free(al, c->mapped);
    tier__free(al, c->grace_in);
    tier__free(al, c->retain);
    tier__free(al, c->seen);
    tier__free(al, c->pin);
}

static int carry_previous(carry *c, tier_assignment *a, const tier_rules *r,
                          const tier_assignment *prev)
{
    const tier__alloc *al = &a->alloc;
    size_t n = a->n_rows;
    int32_t *map = tier__calloc(al, prev->n_tiers + 1, sizeof *map);
    a->prev_names = tier__calloc(al, prev->n_tiers + 1, sizeof *a->prev_names);
    c->old_name = tier__malloc(al, (n + 1) * sizeof *c->old_name);
    c->mapped = tier__malloc(al, (n + 1) * sizeof *c->mapped);
    c->grace_in = tier__calloc(al, n + 1, sizeof *c->grace_in);
    c->retain = tier__calloc(al, n + 1, 1);
    c->seen = tier__calloc(al, prev->n_rows + 1, 1);
    int status = map && a->prev_names && c->old_name && c->mapped && c->grace_in && c->retain &&
                 c->seen ? TIER_OK : tier__oom();
    for (size_t i = 0; status == TIER_OK && i < prev->n_tiers; i++) {
        map[i] = (int32_t)tier_by_name(r, prev->names[i]);
        if (!(a->prev_names[i] = tier__strdup(al, prev->names[i])))
            status = tier__oom();
        a->n_prev = i + 1;
    }
    for (size_t row = 0; status == TIER_OK && row < n; row++) {
        const char *id = tier__strtab_get(&a->ids, row);
        long p = tier__strtab_find(&prev->ids, id, a->ids.lens[row]);
        c->old_name[row] = p >= 0 ? prev->tier[p] : -1;
        c->mapped[row] = p >= 0 ? map[prev->tier[p]] : -1;
        c->grace_in[row] = p >= 0 ? prev->grace[p] : 0;
        if (p >= 0)
            c->seen[p] = 1;
    }
    tier__free(al, map);
    return status;
}

/* The API overrides that stay in force: the previous ones still active, then the options'
 * (which replace or, with a past end, remove the previous pin of the same customer). */
static int carry_overrides(tier_assignment *a, const tier_rules *r, const tier_assignment *prev,
                           const tier_assign_options *o)
{
    size_t n_prev = prev ? prev->n_ovs : 0, cap = n_prev + o->n_overrides + 1;
    tier__strtab seen;
    tier__strtab_init(&seen, &a->alloc);
    const char **cust = tier__calloc(&a->alloc, cap, sizeof *cust);
    const char **tier = tier__calloc(&a->alloc, cap, sizeof *tier);
    int64_t *until = tier__calloc(&a->alloc, cap, sizeof *until);
    int status = cust && tier && until ? TIER_OK : tier__oom();
    for (size_t i = 0; status == TIER_OK && i < n_prev + o->n_overrides; i++) {
        const char *c, *t;
        int64_t u;
        if (i < n_prev) {
            c = tier__strtab_get(&prev->ov_ids, prev->ovs[i].customer);
            t = tier__strtab_get(&prev->ov_tiers, prev->ovs[i].tier);
            u = prev->ovs[i].until;
        } else {
            size_t k = i - n_prev;
            c = o->override_customers[k];
            t = o->override_tiers[k];
            u = o->override_until[k];
            if (!c || !*c || (u > a->time && !t)) {
                status = tier__error(TIER_EINVAL, "override %zu: %s is NULL or empty", k,
                                     !c || !*c ? "customer id" : "tier name");
                break;
            }
            if (u > a->time && tier_by_name(r, t) < 0) {
                char prefix[96];
                snprintf(prefix, sizeof prefix, "override %zu (customer '%.40s')", k, c);
                status = unknown_tier(r, prefix, t, "");
                break;
            }
        }
        if (u <= a->time && i < n_prev)
            continue; /* expired */
        if (i < n_prev && tier_by_name(r, t) < 0) {
            if (o->drop_unknown_overrides)
                continue;
            char prefix[96];
            snprintf(prefix, sizeof prefix, "pin of customer '%.40s' carried from the previous "
                     "assignment", c);
            status = unknown_tier(r, prefix, t, "; set drop_unknown_overrides to drop it");
            break;
        }
        uint32_t slot;
        if ((status = tier__strtab_intern(&seen, c, strlen(c), &slot, NULL)) != TIER_OK)
            break;
        cust[slot] = c;
        tier[slot] = t;
        until[slot] = u;
    }
    for (size_t i = 0; status == TIER_OK && i < seen.n; i++)
        if (until[i] > a->time)
            status = tier__assignment_add_override(a, cust[i], tier[i], until[i]);
    tier__strtab_free(&seen);
    tier__free(&a->alloc, cust);
    tier__free(&a->alloc, tier);
    tier__free(&a->alloc, until);
    return status;
}

/* Per row, the tier fixed by a pin: text pins first, API overrides winning over them. */
static int resolve_pins(carry *c, tier_assignment *a, const tier_rules *r)
{
    c->pin = tier__malloc(&a->alloc, (a->n_rows + 1) * sizeof *c->pin);
    if (!c->pin)
        return tier__oom();
    for (size_t i = 0; i < a->n_rows; i++)
        c->pin[i] = -1;
    for (size_t i = 0; i < r->n_pins; i++) {
        const tier__rpin *p = &r->pins[i];
        long row = tier__strtab_find(&a->ids, p->customer, strlen(p->customer));
        if (row >= 0 && p->until > a->time)
            c->pin[row] = (int32_t)p->tier;
    }
    for (size_t i = 0; i < a->n_ovs; i++) {
        const char *id = tier__strtab_get(&a->ov_ids, a->ovs[i].customer);
        long row = tier__strtab_find(&a->ids, id, strlen(id));
        if (row >= 0)
            c->pin[row] = (int32_t)tier_by_name(r, tier__strtab_get(&a->ov_tiers, a->ovs[i].tier));
    }
    return TIER_OK;
}

/* ---- the movement policy -------------------------------------------------------------------- */

static int apply_policy(tier_assignment *a, const tier_rules *r, const carry *c, int has_prev)
{
    const int32_t grace = (int32_t)r->grace, max_down = (int32_t)r->max_downgrade;
    int status = TIER_OK;
    for (size_t row = 0; row < a->n_rows && status == TIER_OK; row++) {
        int32_t q = a->qualified[row], t, g = 0;
        int32_t old = has_prev ? c->old_name[row] : -1;
        int32_t p = has_prev ? c->mapped[row] : -1;
        int kind = 0;
        if (c->pin[row] >= 0) {
            t = c->pin[row];
            if (old < 0 || strcmp(a->prev_names[old], a->names[t]) != 0)
                kind = TIER_EVENT_OVERRIDE;
        } else if (p < 0) {
            t = q;
            kind = TIER_EVENT_NEW;
        } else if (q <= p) {
            t = q;
            kind = q < p ? TIER_EVENT_UPGRADE : 0;
        } else if (c->retain[row]) {
            t = p; /* hysteresis: the easier retain condition keeps the tier */
        } else if (c->grace_in[row] < grace) {
            t = p;
            g = c->grace_in[row] + 1;
            kind = TIER_EVENT_HELD;
        } else {
            int32_t steps = q - p;
            if (max_down > 0 && steps > max_down)
                steps = max_down;
            t = p + steps;
            kind = TIER_EVENT_DOWNGRADE;
        }
        a->tier[row] = t;
        a->grace[row] = g;
        if (kind)
            status = push_event(a, (uint32_t)row, old, t, kind);
    }
    return status;
}

static int gone_events(tier_assignment *a, const tier_assignment *prev, const carry *c)
{
    for (size_t p = 0; p < prev->n_rows; p++) {
        if (c->seen[p])
            continue;
        uint32_t g;
        const char *id = tier__strtab_get(&prev->ids, p);
        if (tier__strtab_intern(&a->gone, id, prev->ids.lens[p], &g, NULL) ||
            push_event(a, g, prev->tier[p], -1, TIER_EVENT_GONE))
            return TIER_ENOMEM;
    }
    return TIER_OK;
}

static int resolve_time(int64_t *time, const tier_dataset *ds, const tier_assignment *prev,
                        const tier_assign_options *o)
{
    *time = o->time != TIER_AS_OF_AUTO ? o->time : tier_dataset_as_of(ds);
    if (*time == TIER_AS_OF_AUTO)
        return tier__error(TIER_EINVAL, "no evaluation time: compute the dataset's features or "
                           "set the options' time");
    if (prev && *time <= prev->time)
        return tier__error(TIER_EINVAL, "evaluation time %lld is not later than the previous "
                           "assignment's (%lld); each evaluation must be a new period",
                           (long long)*time, (long long)prev->time);
    if (o->n_overrides && (!o->override_customers || !o->override_tiers || !o->override_until))
        return tier__error(TIER_EINVAL, "n_overrides is %zu but an override array is NULL",
                           o->n_overrides);
    return TIER_OK;
}

static int build(tier_assignment *a, const tier_rules *r, const tier_dataset *ds,
                 const tier_assignment *prev, const tier_assign_options *o)
{
    carry c;
    memset(&c, 0, sizeof c);
    a->grace_policy = r->grace;
    a->max_downgrade = r->max_downgrade;
    a->n_rows = tier_dataset_size(ds);
    int status = copy_tiers(a, r);
    if (status == TIER_OK)
        status = copy_ids(a, ds);
    if (status == TIER_OK) {
        a->tier = tier__malloc(&a->alloc, (a->n_rows + 1) * sizeof *a->tier);
        a->qualified = tier__malloc(&a->alloc, (a->n_rows + 1) * sizeof *a->qualified);
        a->grace = tier__malloc(&a->alloc, (a->n_rows + 1) * sizeof *a->grace);
        if (!a->tier || !a->qualified || !a->grace)
            status = tier__oom();
    }
    if (status == TIER_OK && prev)
        status = carry_previous(&c, a, r, prev);
    if (status == TIER_OK && !prev && !(c.retain = tier__calloc(&a->alloc, a->n_rows + 1, 1)))
        status = tier__oom();
    if (status == TIER_OK)
        status = tier__rules_run(r, ds, a->qualified, prev ? c.mapped : NULL, c.retain);
    if (status == TIER_OK)
        status = carry_overrides(a, r, prev, o);
    if (status == TIER_OK)
        status = resolve_pins(&c, a, r);
    if (status == TIER_OK && !prev && a->n_rows &&
        tier__grow(&a->alloc, (void **)&a->events, &a->cap_events, a->n_rows, sizeof *a->events))
        status = TIER_ENOMEM;
    if (status == TIER_OK)
        status = apply_policy(a, r, &c, prev != NULL);
    if (status == TIER_OK && prev)
        status = gone_events(a, prev, &c);
    if (status == TIER_OK)
        status = tier__assignment_count(a);
    carry_free(&a->alloc, &c);
    return status;
}

int tier_assignment_new(tier_assignment **out, const tier_rules *rules, const tier_dataset *ds,
                        const tier_assignment *previous, const tier_assign_options *opts)
{
    if (out)
        *out = NULL;
    if (!out || !rules || !ds)
        return tier__error(TIER_EINVAL, "tier_assignment_new: %s is NULL",
                           !out ? "out" : !rules ? "rules" : "ds");
    tier_assign_options defaults = TIER_ASSIGN_OPTIONS_INIT;
    const tier_assign_options *o = opts ? opts : &defaults;
    if (o->version < 1 || o->version > TIER_ASSIGN_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_assignment_new: unknown options version %u",
                           o->version);
    int64_t time;
    int status = resolve_time(&time, ds, previous, o);
    tier_assignment *a = NULL;
    if (status == TIER_OK)
        status = tier__assignment_alloc(&a, tier__dataset_alloc(ds));
    if (status == TIER_OK) {
        a->time = time;
        status = build(a, rules, ds, previous, o);
    }
    if (status) {
        tier_assignment_free(a);
        return status;
    }
    *out = a;
    return TIER_OK;
}

/* ---- queries -------------------------------------------------------------------------------- */

size_t tier_assignment_size(const tier_assignment *a) { return a ? a->n_rows : 0; }

int64_t tier_assignment_time(const tier_assignment *a) { return a ? a->time : TIER_AS_OF_AUTO; }

const char *tier_assignment_customer_id(const tier_assignment *a, size_t row)
{
    return a && row < a->n_rows ? tier__strtab_get(&a->ids, row) : NULL;
}

int tier_assignment_find(size_t *row, const tier_assignment *a, const char *customer_id)
{
    if (!row || !a || !customer_id)
        return tier__error(TIER_EINVAL, "tier_assignment_find: NULL argument");
    long r = tier__strtab_find(&a->ids, customer_id, strlen(customer_id));
    if (r < 0)
        return TIER_ENOTFOUND;
    *row = (size_t)r;
    return TIER_OK;
}

size_t tier_assignment_tier_count(const tier_assignment *a) { return a ? a->n_tiers : 0; }

const char *tier_assignment_tier_name(const tier_assignment *a, size_t index)
{
    return a && index < a->n_tiers ? a->names[index] : NULL;
}

const char *tier_assignment_tier_label(const tier_assignment *a, size_t index)
{
    if (!a || index >= a->n_tiers)
        return NULL;
    return a->labels[index] ? a->labels[index] : a->names[index];
}

const int32_t *tier_assignment_tiers(const tier_assignment *a)
{
    return a && a->n_rows ? a->tier : NULL;
}

const int32_t *tier_assignment_qualified(const tier_assignment *a)
{
    return a && a->n_rows ? a->qualified : NULL;
}

const int32_t *tier_assignment_grace(const tier_assignment *a)
{
    return a && a->n_rows ? a->grace : NULL;
}

uint64_t tier_assignment_count(const tier_assignment *a, size_t index)
{
    return a && index < a->n_tiers ? a->counts[index] : 0;
}

size_t tier_assignment_event_count(const tier_assignment *a) { return a ? a->n_events : 0; }

int tier_assignment_event(const char **customer_id, int *kind, const char **old_tier,
                          const char **new_tier, int64_t *time, const tier_assignment *a,
                          size_t index)
{
    if (!a || index >= a->n_events)
        return tier__error(TIER_EINVAL, "tier_assignment_event: index %zu out of range", index);
    const tier__event *e = &a->events[index];
    if (customer_id)
        *customer_id = e->kind == TIER_EVENT_GONE ? tier__strtab_get(&a->gone, e->customer)
                                                  : tier__strtab_get(&a->ids, e->customer);
    if (kind)
        *kind = e->kind;
    if (old_tier)
        *old_tier = e->old_tier >= 0 ? a->prev_names[e->old_tier] : NULL;
    if (new_tier)
        *new_tier = e->new_tier >= 0 ? a->names[e->new_tier] : NULL;
    if (time)
        *time = a->time;
    return TIER_OK;
}

size_t tier_assignment_override_count(const tier_assignment *a) { return a ? a->n_ovs : 0; }

int tier_assignment_override(const char **customer_id, const char **tier, int64_t *until,
                             const tier_assignment *a, size_t index)
{
    if (!a || index >= a->n_ovs)
        return tier__error(TIER_EINVAL, "tier_assignment_override: index %zu out of range",
                           index);
    if (customer_id)
        *customer_id = tier__strtab_get(&a->ov_ids, a->ovs[index].customer);
    if (tier)
        *tier = tier__strtab_get(&a->ov_tiers, a->ovs[index].tier);
    if (until)
        *until = a->ovs[index].until;
    return TIER_OK;
}

int tier_assignment_transitions(uint64_t *counts, const tier_assignment *from,
                                const tier_assignment *to)
{
    if (!counts || !from || !to)
        return tier__error(TIER_EINVAL, "tier_assignment_transitions: NULL argument");
    size_t F = from->n_tiers, T = to->n_tiers;
    memset(counts, 0, (F + 1) * (T + 1) * sizeof *counts);
    for (size_t row = 0; row < to->n_rows; row++) {
        long p = tier__strtab_find(&from->ids, tier__strtab_get(&to->ids, row), to->ids.lens[row]);
        size_t i = p >= 0 ? (size_t)from->tier[p] : F;
        counts[i * (T + 1) + (size_t)to->tier[row]]++;
    }
    for (size_t row = 0; row < from->n_rows; row++) {
        const char *id = tier__strtab_get(&from->ids, row);
        if (tier__strtab_find(&to->ids, id, from->ids.lens[row]) < 0)
            counts[(size_t)from->tier[row] * (T + 1) + T]++;
    }
    return TIER_OK;
}

int tier_assignment_to_column(const tier_assignment *a, tier_dataset *ds, const char *name)
{
    if (!a || !ds || !name)
        return tier__error(TIER_EINVAL, "tier_assignment_to_column: NULL argument");
    const tier__alloc *al = tier__dataset_alloc(ds);
    size_t n = tier_dataset_size(ds);
    int32_t *codes = tier__malloc(al, (n + 1) * sizeof *codes);
    if (!codes)
        return tier__oom();
    for (size_t row = 0; row < n; row++) {
        const char *id = tier_dataset_customer_id(ds, row);
        long p = tier__strtab_find(&a->ids, id, strlen(id));
        codes[row] = p >= 0 ? a->tier[p] : TIER_MISSING_CODE;
    }
    int status = tier_dataset_set_categorical(ds, name, codes, (const char *const *)a->names,
                                              a->n_tiers);
    tier__free(al, codes);
    return status;
}

/* ---- what-if -------------------------------------------------------------------------------- */

struct tier_whatif {
    tier__alloc alloc;
    tier_assignment *current, *candidate;
    uint64_t *matrix; /* current tiers x candidate tiers */
    uint64_t changed;
};

void tier_whatif_free(tier_whatif *w)
{
    if (!w)
        return;
    tier__alloc al = w->alloc;
    tier_assignment_free(w->current);
    tier_assignment_free(w->candidate);
    tier__free(&al, w->matrix);
    tier__free(&al, w);
}

int tier_whatif_new(tier_whatif **out, const tier_rules *current, const tier_rules *candidate,
                    const tier_dataset *ds, const tier_assignment *previous,
                    const tier_assign_options *opts)
{
    if (out)
        *out = NULL;
    if (!out || !current || !candidate || !ds)
        return tier__error(TIER_EINVAL, "tier_whatif_new: NULL argument");
    const tier__alloc *al = tier__dataset_alloc(ds);
    tier_whatif *w = tier__calloc(al, 1, sizeof *w);
    if (!w)
        return tier__oom();
    w->alloc = *al;
    int status = tier_assignment_new(&w->current, current, ds, previous, opts);
    if (status == TIER_OK)
        status = tier_assignment_new(&w->candidate, candidate, ds, previous, opts);
    size_t C = current->n_tiers, D = candidate->n_tiers;
    if (status == TIER_OK && !(w->matrix = tier__calloc(al, C * D, sizeof *w->matrix)))
        status = tier__oom();
    if (status) {
        tier_whatif_free(w);
        return status;
    }
    for (size_t row = 0; row < w->current->n_rows; row++) {
        int32_t i = w->current->tier[row], j = w->candidate->tier[row];
        w->matrix[(size_t)i * D + (size_t)j]++;
    }
    for (size_t i = 0; i < C; i++)
        for (size_t j = 0; j < D; j++)
            if (strcmp(w->current->names[i], w->candidate->names[j]) != 0)
                w->changed += w->matrix[i * D + j];
    *out = w;
    return TIER_OK;
}

const tier_assignment *tier_whatif_current(const tier_whatif *w) { return w ? w->current : NULL; }

const tier_assignment *tier_whatif_candidate(const tier_whatif *w)
{
    return w ? w->candidate : NULL;
}

uint64_t tier_whatif_transition(const tier_whatif *w, size_t from, size_t to)
{
    if (!w || from >= w->current->n_tiers || to >= w->candidate->n_tiers)
        return 0;
    return w->matrix[from * w->candidate->n_tiers + to];
}

uint64_t tier_whatif_changed(const tier_whatif *w) { return w ? w->changed : 0; }
