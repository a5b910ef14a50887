/* Saving and loading whole datasets (customer state, sets, columns) in the binfile format.
 * Feature columns are derived state: they are recomputed at the saved as_of on load, which
 * reproduces them bit for bit. */
#include <math.h>
#include <string.h>

#include "internal/binfile.h"
#include "internal/dataset_impl.h"
#include "internal/error.h"

static const char MAGIC[8] = { 'T', 'I', 'E', 'R', 'D', 'S', 'E', 'T' };
#define FORMAT_VERSION 1

static void write_state(tier__wbuf *w, const tier_dataset *ds)
{
    size_t n = ds->n_rows;
    tier__wbuf_u64(w, n);
    tier__wbuf_u64(w, ds->n_txn);
    tier__wbuf_i64(w, ds->min_time);
    tier__wbuf_i64(w, ds->max_time);
    tier__wbuf_i64(w, ds->as_of);
    tier__wbuf_u8(w, (uint8_t)ds->stale);
    for (size_t r = 0; r < n; r++)
        tier__wbuf_str(w, tier__row_id(ds, r));
    for (size_t r = 0; r < n; r++) {
        const tier__cust *c = tier__row_cust(ds, r);
        tier__wbuf_i64(w, c->first_seen);
        tier__wbuf_i64(w, c->first_buy);
        tier__wbuf_i64(w, c->last_buy);
        tier__wbuf_f64(w, c->net_hi);
        tier__wbuf_f64(w, c->net_lo);
        tier__wbuf_f64(w, c->ret_hi);
        tier__wbuf_f64(w, c->ret_lo);
        tier__wbuf_u32(w, c->n_orders);
        tier__wbuf_u32(w, *tier__row_returns(ds, r));
        tier__wbuf_u32(w, c->n_days);
        uint32_t wh = ds->where[r];
        const tier__part *part = &ds->parts[tier__where_part(wh)];
        tier__wbuf_f64(w, part->first_day_hi[tier__where_local(wh)]);
        tier__wbuf_f64(w, part->first_day_lo[tier__where_local(wh)]);
    }
    /* sets, with global rows so that the file does not depend on the partition layout */
    size_t n_orders = 0, n_days = 0;
    for (size_t p = 0; p < TIER__PARTS; p++) {
        n_orders += ds->parts[p].orders.n;
        n_days += ds->parts[p].days.n;
    }
    tier__wbuf_u64(w, n_orders);
    for (size_t p = 0; p < TIER__PARTS; p++) {
        const tier__part *part = &ds->parts[p];
        for (size_t i = 0; i < part->orders.n; i++) {
            const tier__order_entry *e = &part->orders.log[i];
            tier__wbuf_u64(w, e->hash);
            tier__wbuf_u32(w, part->global[e->row]);
            tier__wbuf_u32(w, e->flags);
        }
    }
    tier__wbuf_u64(w, n_days);
    for (size_t p = 0; p < TIER__PARTS; p++) {
        const tier__part *part = &ds->parts[p];
        for (size_t i = 0; i < part->days.n; i++) {
            uint64_t k = part->days.log[i];
            tier__wbuf_u64(w, ((uint64_t)part->global[k >> 32] << 32) | (k & 0xFFFFFFFFu));
        }
    }
}

static void write_columns(tier__wbuf *w, const tier_dataset *ds)
{
    tier__wbuf_u64(w, ds->n_cols - N_FEATURES);
    for (size_t i = N_FEATURES; i < ds->n_cols; i++) {
        const tier__column *c = &ds->cols[i];
        tier__wbuf_str(w, c->name);
        tier__wbuf_u8(w, (uint8_t)c->type);
        tier__wbuf_u8(w, (uint8_t)c->source);
        tier__wbuf_u8(w, c->seen != NULL);
        if (c->type == TIER_COLUMN_NUMERIC) {
            tier__wbuf_f64s(w, c->num, ds->n_rows);
        } else {
            tier__wbuf_u64(w, c->dict.n);
            for (size_t k = 0; k < c->dict.n; k++)
                tier__wbuf_str(w, c->dict.strs[k]);
            tier__wbuf_i32s(w, c->codes, ds->n_rows);
        }
        if (c->seen)
            for (size_t r = 0; r < ds->n_rows; r++)
                tier__wbuf_i64(w, c->seen[r]);
    }
}

int tier_dataset_save(const tier_dataset *ds, const char *path)
{
    if (!ds || !path)
        return tier__error(TIER_EINVAL, "tier_dataset_save: NULL argument");
    tier__wbuf w;
    tier__wbuf_init(&w, &ds->alloc);
    write_state(&w, ds);
    write_columns(&w, ds);
    int rc = tier__file_write(path, MAGIC, FORMAT_VERSION, &w);
    tier__wbuf_free(&w);
    return rc;
}

/* The purchase days. Adding to a loaded dataset trusts what adding itself keeps true: a
 * customer's days are distinct, lie between the first and the last purchase, include the last
 * purchase's day, and number n_days (a later day is then new and that day known without a
 * lookup). A file that breaks this has passed its checksum, so it was written that way on
 * purpose or by a bug: reject it rather than count days wrongly later. */
static int read_days(tier_dataset *ds, tier__rbuf *r)
{
    uint64_t n_days = tier__rbuf_count(r, 8);
    if (r->failed)
        return TIER_ECORRUPT;
    /* per row: entries seen; the top bit marks the last purchase's day */
    uint32_t *seen = tier__calloc(&ds->alloc, ds->n_rows ? ds->n_rows : 1, sizeof *seen);
    if (!seen)
        return tier__oom();
    int rc = TIER_OK;
    for (uint64_t i = 0; i < n_days && !rc; i++) {
        uint64_t k = tier__rbuf_u64(r);
        size_t row = (size_t)(k >> 32);
        if (r->failed || row >= ds->n_rows || (k & 0xFFFFFFFFu) == 0) {
            rc = TIER_ECORRUPT;
            break;
        }
        const tier__cust *c = tier__row_cust(ds, row);
        int32_t day = tier__day_key_day(k);
        if (c->last_buy == INT64_MIN || day < tier__day_of(c->first_buy) || day > tier__day_of(c->last_buy)) {
            rc = TIER_ECORRUPT;
            break;
        }
        seen[row] += 1;
        if (day == tier__day_of(c->last_buy))
            seen[row] |= UINT32_C(0x80000000);
        uint32_t w = ds->where[row];
        tier__part *p = &ds->parts[tier__where_part(w)];
        int added = tier__dayset_add(&ds->alloc, &p->days, tier__day_key((uint32_t)tier__where_local(w), day));
        if (added < 0)
            rc = TIER_ENOMEM;
        else if (added != 1)
            rc = TIER_ECORRUPT; /* a repeated entry */
    }
    for (size_t q = 0; q < ds->n_rows && !rc; q++) {
        const tier__cust *c = tier__row_cust(ds, q);
        int has_last = (seen[q] & UINT32_C(0x80000000)) != 0;
        if ((seen[q] & UINT32_C(0x7FFFFFFF)) != c->n_days || has_last != (c->last_buy != INT64_MIN))
            rc = TIER_ECORRUPT;
    }
    tier__free(&ds->alloc, seen);
    return rc;
}

static int read_state(tier_dataset *ds, tier__rbuf *r)
{
    uint64_t n = tier__rbuf_count(r, 5 + 76);
    ds->n_txn = tier__rbuf_u64(r);
    ds->min_time = tier__rbuf_i64(r);
    ds->max_time = tier__rbuf_i64(r);
    ds->as_of = tier__rbuf_i64(r);
    ds->stale = tier__rbuf_u8(r) != 0;
    if (r->failed)
        return TIER_ECORRUPT;
    int rc = tier__dataset_reserve_rows(ds, (size_t)n);
    for (uint64_t i = 0; i < n && !rc && !r->failed; i++) {
        const char *id = tier__rbuf_str(r);
        uint32_t row;
        if (!id || !*id)
            return TIER_ECORRUPT;
        rc = tier__dataset_customer(ds, id, strlen(id), &row);
        if (!rc && row != i)
            return TIER_ECORRUPT; /* duplicate id */
    }
    if (rc)
        return rc;
    for (size_t q = 0; q < ds->n_rows && !r->failed; q++) {
        tier__cust *c = tier__row_cust(ds, q);
        c->first_seen = tier__rbuf_i64(r);
        c->first_buy = tier__rbuf_i64(r);
        c->last_buy = tier__rbuf_i64(r);
        c->net_hi = tier__rbuf_f64(r);
        c->net_lo = tier__rbuf_f64(r);
        c->ret_hi = tier__rbuf_f64(r);
        c->ret_lo = tier__rbuf_f64(r);
        c->n_orders = tier__rbuf_u32(r);
        *tier__row_returns(ds, q) = tier__rbuf_u32(r);
        c->n_days = tier__rbuf_u32(r);
        uint32_t wh = ds->where[q];
        tier__part *part = &ds->parts[tier__where_part(wh)];
        part->first_day_hi[tier__where_local(wh)] = tier__rbuf_f64(r);
        part->first_day_lo[tier__where_local(wh)] = tier__rbuf_f64(r);
    }
    uint64_t n_orders = tier__rbuf_count(r, 16);
    for (uint64_t i = 0; i < n_orders && !r->failed; i++) {
        uint64_t h = tier__rbuf_u64(r);
        uint32_t row = tier__rbuf_u32(r), flags = tier__rbuf_u32(r);
        if (row >= ds->n_rows || !(h & 1) || flags == 0 || flags > 3)
            return TIER_ECORRUPT;
        uint32_t w = ds->where[row];
        tier__part *p = &ds->parts[tier__where_part(w)];
        p->order_serial_max = UINT64_MAX; /* the file keeps hashes, not the order numbers */
        int added = tier__orderset_add(&ds->alloc, &p->orders, h, (uint32_t)tier__where_local(w), flags);
        if (added < 0)
            return TIER_ENOMEM;
        if (added != (int)flags)
            return TIER_ECORRUPT; /* duplicate entry */
    }
    return r->failed ? TIER_ECORRUPT : read_days(ds, r);
}

static int read_columns(tier_dataset *ds, tier__rbuf *r)
{
    uint64_t n_cols = tier__rbuf_count(r, 8);
    for (uint64_t i = 0; i < n_cols && !r->failed; i++) {
        const char *name = tier__rbuf_str(r);
        uint8_t type = tier__rbuf_u8(r), source = tier__rbuf_u8(r), has_seen = tier__rbuf_u8(r);
        if (!name || r->failed || (type != TIER_COLUMN_NUMERIC && type != TIER_COLUMN_CATEGORICAL) ||
            source < SRC_TXN || source > SRC_SET || has_seen != (source == SRC_TXN) ||
            tier__dataset_find_column(ds, name) >= 0)
            return TIER_ECORRUPT;
        size_t index;
        int rc = tier__dataset_attribute(ds, name, (tier_column_type)type, (col_source)source, &index);
        if (rc)
            return rc == TIER_ENOMEM ? rc : TIER_ECORRUPT;
        tier__column *c = &ds->cols[index];
        if (type == TIER_COLUMN_NUMERIC) {
            tier__rbuf_f64s(r, c->num, ds->n_rows);
        } else {
            uint64_t n_dict = tier__rbuf_count(r, 5);
            for (uint64_t k = 0; k < n_dict && !r->failed; k++) {
                const char *s = tier__rbuf_str(r);
                int32_t code;
                if (!s)
                    return TIER_ECORRUPT;
                rc = tier__dataset_category(c, s, strlen(s), &code);
                if (rc)
                    return rc;
                if ((uint64_t)code != k)
                    return TIER_ECORRUPT; /* duplicate category */
            }
            tier__rbuf_i32s(r, c->codes, ds->n_rows);
            for (size_t q = 0; q < ds->n_rows; q++)
                if (c->codes[q] < TIER_MISSING_CODE || (c->codes[q] >= 0 && (uint64_t)c->codes[q] >= n_dict))
                    return TIER_ECORRUPT;
        }
        if (c->seen)
            for (size_t q = 0; q < ds->n_rows; q++)
                c->seen[q] = tier__rbuf_i64(r);
    }
    return r->failed ? TIER_ECORRUPT : TIER_OK;
}

int tier_dataset_load(tier_dataset **out, const char *path, const tier_dataset_options *opts)
{
    if (!out || !path)
        return tier__error(TIER_EINVAL, "tier_dataset_load: NULL argument");
    *out = NULL;
    tier_dataset *ds;
    int rc = tier_dataset_new(&ds, opts);
    if (rc)
        return rc;
    unsigned char *payload;
    size_t len;
    uint32_t version;
    rc = tier__file_read(&payload, &len, &version, &ds->alloc, path, MAGIC, FORMAT_VERSION);
    if (rc) {
        tier_dataset_free(ds);
        return rc;
    }
    tier__rbuf r;
    tier__rbuf_init(&r, payload, len);
    rc = read_state(ds, &r);
    if (!rc)
        rc = read_columns(ds, &r);
    if (!rc)
        rc = tier__rbuf_finish(&r, path);
    else if (rc == TIER_ECORRUPT)
        tier__error(TIER_ECORRUPT, "%s: corrupted dataset file (inconsistent content near byte %zu)", path, r.pos);
    tier__free(&ds->alloc, payload);
    int64_t as_of = ds->as_of;
    int stale = ds->stale;
    if (!rc && as_of != TIER_AS_OF_AUTO && !stale)
        rc = tier_dataset_compute_features(ds, as_of);
    if (rc) {
        tier_dataset_free(ds);
        return rc;
    }
    ds->stale = stale;
    *out = ds;
    return TIER_OK;
}
