/* Merging datasets built from disjoint parts of one transaction log. Per-customer sums and
 * extremes combine directly; distinct orders and days are re-counted through the sets, so an
 * order or day that appears in both parts is counted once. */
#include <math.h>
#include <string.h>

#include "internal/dataset_impl.h"
#include "internal/error.h"

/* Checks column types up front so that a type clash changes nothing. */
static int check_columns(const tier_dataset *ds, const tier_dataset *other)
{
    for (size_t i = N_FEATURES; i < other->n_cols; i++) {
        const tier__column *oc = &other->cols[i];
        long k = tier__dataset_find_column(ds, oc->name);
        if (k < 0)
            continue;
        const tier__column *c = &ds->cols[k];
        if (c->source == SRC_FEATURE)
            return tier__error(TIER_ETYPE, "merge: column '%s' is a feature in one dataset only", oc->name);
        if (c->type != oc->type)
            return tier__error(TIER_ETYPE, "merge: column '%s' is %s in one dataset and %s in the other",
                               oc->name, c->type == TIER_COLUMN_NUMERIC ? "numeric" : "categorical",
                               oc->type == TIER_COLUMN_NUMERIC ? "numeric" : "categorical");
    }
    return TIER_OK;
}

/* First-day purchase values combine like the first purchase itself: the earlier day wins,
 * the same day adds up. Must run before merge_state() moves first_buy. */
static void merge_first_day(tier__part *p, size_t l, const tier__part *op, size_t ol)
{
    const tier__cust *c = &p->cust[l], *oc = &op->cust[ol];
    if (oc->first_buy == INT64_MAX)
        return;
    int32_t mine = c->first_buy == INT64_MAX ? INT32_MAX : tier__day_of(c->first_buy);
    int32_t theirs = tier__day_of(oc->first_buy);
    if (theirs < mine) {
        p->first_day_hi[l] = op->first_day_hi[ol];
        p->first_day_lo[l] = op->first_day_lo[ol];
    } else if (theirs == mine) {
        tier__dd_add(&p->first_day_hi[l], &p->first_day_lo[l], op->first_day_hi[ol]);
        p->first_day_lo[l] += op->first_day_lo[ol];
    }
}

static void merge_state(tier__cust *c, uint32_t *returns, const tier__cust *oc, uint32_t oreturns)
{
    if (oc->first_seen < c->first_seen)
        c->first_seen = oc->first_seen;
    if (oc->first_buy < c->first_buy)
        c->first_buy = oc->first_buy;
    if (oc->last_buy > c->last_buy)
        c->last_buy = oc->last_buy;
    tier__dd_add(&c->net_hi, &c->net_lo, oc->net_hi);
    c->net_lo += oc->net_lo;
    tier__dd_add(&c->ret_hi, &c->ret_lo, oc->ret_hi);
    c->ret_lo += oc->ret_lo;
    /* counts are corrected in merge_sets for orders and days present in both */
    c->n_orders += oc->n_orders;
    c->n_days += oc->n_days;
    *returns += oreturns;
}

/* Merges partition p of `o` into partition p of `ds` (a customer's partition depends on its id
 * only, so it is the same in both). map[l] is ds's local for o's local l. */
static int merge_sets(tier_dataset *ds, const tier_dataset *o, size_t part, const uint32_t *map)
{
    tier__part *p = &ds->parts[part];
    const tier__part *op = &o->parts[part];
    if (tier__orderset_reserve(&ds->alloc, &p->orders, p->orders.n + op->orders.n) ||
        tier__dayset_reserve(&ds->alloc, &p->days, p->days.n + op->days.n))
        return TIER_ENOMEM;
    if (op->order_serial_max > p->order_serial_max)
        p->order_serial_max = op->order_serial_max;
    for (size_t i = 0; i < op->orders.n; i++) {
        const tier__order_entry *e = &op->orders.log[i];
        uint32_t l = map[e->row];
        int fresh = tier__orderset_add(&ds->alloc, &p->orders, e->hash, l, e->flags);
        if (fresh < 0)
            return TIER_ENOMEM;
        uint32_t already = e->flags & ~(uint32_t)fresh;
        if (already & ORDER_PURCHASE)
            p->cust[l].n_orders--;
        if (already & ORDER_RETURN)
            p->n_returns[l]--;
    }
    for (size_t i = 0; i < op->days.n; i++) {
        uint64_t k = op->days.log[i];
        uint32_t l = map[k >> 32];
        int fresh = tier__dayset_add(&ds->alloc, &p->days, ((uint64_t)l << 32) | (k & 0xFFFFFFFFu));
        if (fresh < 0)
            return TIER_ENOMEM;
        if (!fresh)
            p->cust[l].n_days--;
    }
    return TIER_OK;
}

/* Customers of `o` in o's row order: finds or creates each in ds, merges its state, and
 * fills row_map (o row -> ds row) and the per-partition local maps. */
static int merge_customers(tier_dataset *ds, const tier_dataset *o, uint32_t *row_map, uint32_t **local_maps)
{
    for (size_t q = 0; q < o->n_rows; q++) {
        uint32_t w = o->where[q];
        size_t part = tier__where_part(w), ol = tier__where_local(w);
        const tier__part *op = &o->parts[part];
        tier__part *p = &ds->parts[part];
        int rc = tier__part_reserve(ds, p, p->ids.n + 1);
        if (rc)
            return rc;
        uint32_t l;
        int created;
        rc = tier__strtab_intern_hashed(&p->ids, op->ids.strs[ol], op->ids.lens[ol], op->ids.hashes[ol], &l,
                                        &created);
        if (rc)
            return rc;
        if (created) {
            tier__part_init_local(p, l);
            tier__dataset_assign_row(ds, part, l);
        }
        merge_first_day(p, l, op, ol);
        merge_state(&p->cust[l], &p->n_returns[l], &op->cust[ol], op->n_returns[ol]);
        local_maps[part][ol] = l;
        row_map[q] = p->global[l];
    }
    return TIER_OK;
}

static int merge_column(tier_dataset *ds, const tier__column *oc, const tier_dataset *o, const uint32_t *map)
{
    size_t index;
    int rc = tier__dataset_attribute(ds, oc->name, oc->type, oc->source, &index);
    if (rc)
        return rc;
    tier__column *c = &ds->cols[index];
    int32_t *remap = NULL;
    if (oc->type == TIER_COLUMN_CATEGORICAL && oc->dict.n) {
        remap = tier__malloc(&ds->alloc, oc->dict.n * sizeof *remap);
        if (!remap)
            return tier__oom();
        for (size_t k = 0; k < oc->dict.n && !rc; k++)
            rc = tier__dataset_category(c, oc->dict.strs[k], oc->dict.lens[k], &remap[k]);
    }
    for (size_t q = 0; q < o->n_rows && !rc; q++) {
        size_t r = map[q];
        int take;
        if (oc->seen) /* transaction attribute: latest wins, other wins ties */
            take = c->seen ? oc->seen[q] >= c->seen[r] : oc->seen[q] != INT64_MIN;
        else          /* joined or set: other's known values overwrite */
            take = oc->type == TIER_COLUMN_NUMERIC ? !isnan(oc->num[q]) : oc->codes[q] != TIER_MISSING_CODE;
        if (!take)
            continue;
        if (c->seen && oc->seen)
            c->seen[r] = oc->seen[q];
        if (oc->type == TIER_COLUMN_NUMERIC)
            c->num[r] = oc->num[q];
        else
            c->codes[r] = oc->codes[q] == TIER_MISSING_CODE ? TIER_MISSING_CODE : remap[oc->codes[q]];
    }
    tier__free(&ds->alloc, remap);
    return rc;
}

int tier_dataset_merge(tier_dataset *ds, const tier_dataset *other)
{
    if (!ds || !other)
        return tier__error(TIER_EINVAL, "tier_dataset_merge: NULL argument");
    if (ds == other)
        return tier__error(TIER_EINVAL, "tier_dataset_merge: cannot merge a dataset into itself");
    int rc = check_columns(ds, other);
    if (rc)
        return rc;
    uint32_t *row_map = tier__malloc(&ds->alloc, (other->n_rows ? other->n_rows : 1) * sizeof *row_map);
    uint32_t *local_maps[TIER__PARTS] = { NULL };
    rc = row_map ? TIER_OK : tier__oom();
    for (size_t p = 0; p < TIER__PARTS && !rc; p++) {
        local_maps[p] = tier__malloc(&ds->alloc, (other->parts[p].ids.n ? other->parts[p].ids.n : 1) * sizeof(uint32_t));
        if (!local_maps[p])
            rc = tier__oom();
    }
    if (!rc)
        rc = tier__dataset_reserve_rows(ds, ds->n_rows + other->n_rows);
    if (!rc)
        rc = merge_customers(ds, other, row_map, local_maps);
    for (size_t p = 0; p < TIER__PARTS && !rc; p++)
        rc = merge_sets(ds, other, p, local_maps[p]);
    for (size_t i = N_FEATURES; i < other->n_cols && !rc; i++)
        rc = merge_column(ds, &other->cols[i], other, row_map);
    for (size_t p = 0; p < TIER__PARTS; p++)
        tier__free(&ds->alloc, local_maps[p]);
    tier__free(&ds->alloc, row_map);
    if (rc)
        return rc;
    ds->n_txn += other->n_txn;
    if (other->min_time < ds->min_time)
        ds->min_time = other->min_time;
    if (other->max_time > ds->max_time)
        ds->max_time = other->max_time;
    if (other->n_txn || other->n_rows)
        ds->stale = 1;
    return TIER_OK;
}

/* Swaps everything but the allocator: used when the target is still empty. */
static void steal(tier_dataset *ds, tier_dataset *part)
{
    tier_dataset tmp = *ds;
    *ds = *part;
    *part = tmp;
    /* the string tables point at their owner's allocator: both are the same allocator value,
     * but the pointer must refer to the struct that now owns the table */
    for (size_t p = 0; p < TIER__PARTS; p++) {
        ds->parts[p].ids.alloc = &ds->alloc;
        part->parts[p].ids.alloc = &part->alloc;
    }
    for (size_t i = 0; i < ds->n_cols; i++)
        ds->cols[i].dict.alloc = &ds->alloc;
    for (size_t i = 0; i < part->n_cols; i++)
        part->cols[i].dict.alloc = &part->alloc;
    ds->as_of = tmp.as_of;
}

int tier__dataset_absorb(tier_dataset *ds, tier_dataset *part)
{
    int rc = TIER_OK;
    if (ds->n_rows == 0 && ds->n_txn == 0 && ds->n_cols == N_FEATURES)
        steal(ds, part);
    else
        rc = tier_dataset_merge(ds, part);
    tier_dataset_free(part);
    return rc;
}
