/* tier_dataset: building per-customer state from transactions, materialising features, and
 * column access. Merging lives in dataset_merge.c, saving and loading in dataset_io.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal/dataset_impl.h"
#include "internal/error.h"
#include "internal/pool.h"

const char *const tier__feature_names[N_FEATURES] = {
    "recency", "frequency", "monetary", "avg_order_value", "first_purchase", "last_purchase",
    "tenure", "purchase_days", "returns", "returns_value", "repeat_count", "t_x", "T", "repeat_spend",
};

int tier_dataset_options_init(tier_dataset_options *opts, unsigned int version)
{
    if (!opts)
        return tier__error(TIER_EINVAL, "tier_dataset_options_init: opts is NULL");
    if (version == 0 || version > TIER_DATASET_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_dataset_options: version %u is not supported (1..%u)",
                           version, TIER_DATASET_OPTIONS_VERSION);
    tier_dataset_options def = TIER_DATASET_OPTIONS_INIT;
    *opts = def;
    opts->version = version;
    return TIER_OK;
}

static int create(tier_dataset **out, const tier_allocator *allocator, unsigned n_threads)
{
    tier__alloc a;
    int rc = tier__alloc_init(&a, allocator);
    if (rc)
        return rc;
    tier_dataset *ds = tier__calloc(&a, 1, sizeof *ds);
    if (!ds)
        return tier__oom();
    ds->alloc = a;
    ds->n_threads = n_threads;
    for (size_t p = 0; p < TIER__PARTS; p++) {
        tier__strtab_init(&ds->parts[p].ids, &ds->alloc);
    }
    ds->min_time = INT64_MAX;
    ds->max_time = INT64_MIN;
    ds->as_of = TIER_AS_OF_AUTO;
    ds->stale = 1;
    ds->cols = tier__calloc(&ds->alloc, N_FEATURES, sizeof *ds->cols);
    if (!ds->cols || tier__features_new(&ds->features, &ds->alloc)) {
        tier__free(&ds->alloc, ds->cols);
        tier__free(&ds->alloc, ds);
        return tier__oom();
    }
    ds->cap_cols = N_FEATURES;
    for (size_t i = 0; i < N_FEATURES; i++) {
        tier__column *c = &ds->cols[i];
        c->name = (char *)tier__feature_names[i]; /* static: never freed (SRC_FEATURE) */
        c->type = TIER_COLUMN_NUMERIC;
        c->source = SRC_FEATURE;
        tier__strtab_init(&c->dict, &ds->alloc);
    }
    ds->n_cols = N_FEATURES;
    *out = ds;
    return TIER_OK;
}

int tier_dataset_new(tier_dataset **out, const tier_dataset_options *opts)
{
    if (!out)
        return tier__error(TIER_EINVAL, "tier_dataset_new: out is NULL");
    *out = NULL;
    tier_dataset_options def = TIER_DATASET_OPTIONS_INIT;
    if (!opts)
        opts = &def;
    if (opts->version == 0 || opts->version > TIER_DATASET_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_dataset_options: version %u is not supported (1..%u)",
                           opts->version, TIER_DATASET_OPTIONS_VERSION);
    return create(out, opts->allocator, opts->n_threads);
}

int tier__dataset_new_like(tier_dataset **out, const tier_dataset *ds)
{
    *out = NULL;
    return create(out, &ds->alloc, ds->n_threads);
}

const tier__alloc *tier__dataset_alloc(const tier_dataset *ds) { return &ds->alloc; }

unsigned tier__dataset_threads(const tier_dataset *ds) { return ds->n_threads; }

void tier__dataset_free_column(tier_dataset *ds, tier__column *c)
{
    tier__free(&ds->alloc, c->num);
    tier__free(&ds->alloc, c->codes);
    tier__free(&ds->alloc, c->seen);
    tier__strtab_free(&c->dict);
    if (c->source != SRC_FEATURE)
        tier__free(&ds->alloc, c->name);
    c->num = NULL;
    c->codes = NULL;
    c->seen = NULL;
}

void tier_dataset_free(tier_dataset *ds)
{
    if (!ds)
        return;
    tier__alloc a = ds->alloc;
    for (size_t i = 0; i < ds->n_cols; i++)
        tier__dataset_free_column(ds, &ds->cols[i]);
    tier__free(&a, ds->cols);
    for (size_t p = 0; p < TIER__PARTS; p++)
        tier__part_free(ds, &ds->parts[p]);
    tier__free(&a, ds->where);
    tier__features_free(ds->features, &a);
    tier__free(&a, ds);
}

/* ---- rows ---------------------------------------------------------------------------------- */

static int grow_array(tier_dataset *ds, void **p, size_t cap, size_t elem)
{
    size_t bytes;
    if (tier__mul_size(&bytes, cap, elem))
        return tier__oom();
    void *q = tier__realloc(&ds->alloc, *p, bytes);
    if (!q)
        return tier__oom();
    *p = q;
    return TIER_OK;
}

void tier__part_free(tier_dataset *ds, tier__part *p)
{
    tier__strtab_free(&p->ids);
    tier__free(&ds->alloc, p->global);
    tier__aligned_free(&ds->alloc, &p->cust_block);
    tier__free(&ds->alloc, p->n_returns);
    tier__free(&ds->alloc, p->first_day_hi);
    tier__free(&ds->alloc, p->first_day_lo);
    p->first_day_hi = p->first_day_lo = NULL;
    tier__orderset_free(&ds->alloc, &p->orders);
    tier__dayset_free(&ds->alloc, &p->days);
    p->global = NULL;
    p->cust = NULL;
    p->n_returns = NULL;
    p->cap = 0;
}

/* Grows a partition's line-aligned accumulator array to `cap`, keeping its content. */
static int grow_customers(tier_dataset *ds, tier__part *p, size_t cap)
{
    size_t bytes;
    if (tier__mul_size(&bytes, cap, sizeof(tier__cust)) ||
        tier__aligned_resize(&ds->alloc, &p->cust_block, bytes, p->ids.n * sizeof(tier__cust)))
        return tier__oom();
    p->cust = p->cust_block.data;
    return TIER_OK;
}

int tier__part_reserve(tier_dataset *ds, tier__part *p, size_t need)
{
    if (need <= p->cap)
        return TIER_OK;
    if (need > TIER__LOCAL_MAX)
        return tier__error(TIER_ENOMEM, "a dataset partition holds at most %u customers", TIER__LOCAL_MAX);
    size_t cap = p->cap ? 2 * p->cap : 256; /* or what is asked if that is more */
    if (cap < need)
        cap = need;
    if (cap > TIER__LOCAL_MAX)
        cap = TIER__LOCAL_MAX;
    int rc = grow_customers(ds, p, cap);
    rc = rc ? rc : grow_array(ds, (void **)&p->global, cap, sizeof(uint32_t));
    rc = rc ? rc : grow_array(ds, (void **)&p->n_returns, cap, sizeof(uint32_t));
    rc = rc ? rc : grow_array(ds, (void **)&p->first_day_hi, cap, sizeof(double));
    rc = rc ? rc : grow_array(ds, (void **)&p->first_day_lo, cap, sizeof(double));
    if (rc)
        return rc;
    p->cap = cap;
    return TIER_OK;
}

void tier__part_init_local(tier__part *p, size_t l)
{
    tier__cust *c = &p->cust[l];
    memset(c, 0, sizeof *c);
    c->first_seen = INT64_MAX;
    c->first_buy = INT64_MAX;
    c->last_buy = INT64_MIN;
    p->n_returns[l] = 0;
    p->first_day_hi[l] = p->first_day_lo[l] = 0.0;
    p->global[l] = UINT32_MAX;
}

int tier__dataset_reserve_rows(tier_dataset *ds, size_t need)
{
    if (need <= ds->cap_rows)
        return TIER_OK;
    if (need > 0xFFFFFFF0u)
        return tier__error(TIER_ENOMEM, "a dataset holds at most 4294967280 customers");
    size_t cap = ds->cap_rows ? ds->cap_rows : 1024;
    while (cap < need)
        cap = cap > 0x7FFFFFF0u ? 0xFFFFFFF0u : cap * 2;
    int rc = grow_array(ds, (void **)&ds->where, cap, sizeof(uint32_t));
    for (size_t i = N_FEATURES; !rc && i < ds->n_cols; i++) {
        tier__column *c = &ds->cols[i];
        if (c->type == TIER_COLUMN_NUMERIC)
            rc = grow_array(ds, (void **)&c->num, cap, sizeof(double));
        else
            rc = grow_array(ds, (void **)&c->codes, cap, sizeof(int32_t));
        if (!rc && c->source == SRC_TXN)
            rc = grow_array(ds, (void **)&c->seen, cap, sizeof(int64_t));
    }
    if (rc)
        return rc; /* arrays that grew keep their old content; cap_rows stays valid */
    ds->cap_rows = cap;
    return TIER_OK;
}

void tier__dataset_init_row_columns(tier_dataset *ds, size_t r)
{
    for (size_t i = N_FEATURES; i < ds->n_cols; i++) {
        tier__column *c = &ds->cols[i];
        if (c->type == TIER_COLUMN_NUMERIC)
            c->num[r] = NAN;
        else
            c->codes[r] = TIER_MISSING_CODE;
        if (c->seen)
            c->seen[r] = INT64_MIN;
    }
}

void tier__dataset_assign_row(tier_dataset *ds, size_t p, size_t l)
{
    size_t r = ds->n_rows++;
    ds->where[r] = (uint32_t)(p << TIER__LOCAL_BITS | l);
    ds->parts[p].global[l] = (uint32_t)r;
    tier__dataset_init_row_columns(ds, r);
}

int tier__dataset_customer(tier_dataset *ds, const char *id, size_t len, uint32_t *row)
{
    uint64_t h = tier__hash_bytes(id, len);
    tier__part *p = &ds->parts[tier__part_of(h)];
    int rc = tier__dataset_reserve_rows(ds, ds->n_rows + 1);
    if (!rc)
        rc = tier__part_reserve(ds, p, p->ids.n + 1);
    if (rc)
        return rc;
    uint32_t l;
    int created;
    rc = tier__strtab_intern_hashed(&p->ids, id, len, h, &l, &created);
    if (rc)
        return rc;
    if (created) {
        tier__part_init_local(p, l);
        tier__dataset_assign_row(ds, tier__part_of(h), l);
    }
    *row = p->global[l];
    return TIER_OK;
}

/* ---- columns ------------------------------------------------------------------------------- */

long tier__dataset_find_column(const tier_dataset *ds, const char *name)
{
    for (size_t i = 0; i < ds->n_cols; i++)
        if (strcmp(ds->cols[i].name, name) == 0)
            return (long)i;
    return -1;
}

int tier__dataset_check_name(const char *name)
{
    if (!name || !*name)
        return tier__error(TIER_EINVAL, "column name is empty");
    size_t n = strlen(name);
    if (n > 255)
        return tier__error(TIER_EINVAL, "column name '%.40s...' is longer than 255 bytes", name);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return tier__error(TIER_EINVAL, "column name '%s' contains a control character", name);
    return TIER_OK;
}

static int not_found(const tier_dataset *ds, const char *name)
{
    const char *names[512];
    size_t n = ds->n_cols < 512 ? ds->n_cols : 512;
    for (size_t i = 0; i < n; i++)
        names[i] = ds->cols[i].name;
    long k = tier__closest(name, names, n);
    if (k >= 0)
        return tier__error(TIER_ENOTFOUND, "unknown column '%s' (did you mean '%s'?)", name, names[k]);
    return tier__error(TIER_ENOTFOUND, "unknown column '%s'", name);
}

int tier__dataset_attribute(tier_dataset *ds, const char *name, tier_column_type type,
                            col_source source, size_t *index)
{
    long k = tier__dataset_find_column(ds, name);
    if (k >= 0) {
        tier__column *c = &ds->cols[k];
        if (c->source == SRC_FEATURE)
            return tier__error(TIER_EINVAL, "column '%s' is a feature column and cannot be replaced", name);
        if (c->type != type)
            return tier__error(TIER_ETYPE, "column '%s' is %s, not %s", name,
                               c->type == TIER_COLUMN_NUMERIC ? "numeric" : "categorical",
                               type == TIER_COLUMN_NUMERIC ? "numeric" : "categorical");
        if (source == SRC_TXN && !c->seen) {
            size_t cap = ds->cap_rows ? ds->cap_rows : 1;
            c->seen = tier__malloc(&ds->alloc, cap * sizeof(int64_t));
            if (!c->seen)
                return tier__oom();
            for (size_t r = 0; r < ds->n_rows; r++)
                c->seen[r] = INT64_MIN;
        }
        *index = (size_t)k;
        return TIER_OK;
    }
    int rc = tier__dataset_check_name(name);
    if (rc)
        return rc;
    void *cols = ds->cols;
    rc = tier__grow(&ds->alloc, &cols, &ds->cap_cols, ds->n_cols + 1, sizeof(tier__column));
    ds->cols = cols;
    if (rc)
        return rc;
    tier__column c;
    memset(&c, 0, sizeof c);
    c.type = type;
    c.source = source;
    tier__strtab_init(&c.dict, &ds->alloc);
    size_t cap = ds->cap_rows ? ds->cap_rows : 1;
    c.name = tier__strdup(&ds->alloc, name);
    if (type == TIER_COLUMN_NUMERIC)
        c.num = tier__malloc(&ds->alloc, cap * sizeof(double));
    else
        c.codes = tier__malloc(&ds->alloc, cap * sizeof(int32_t));
    if (source == SRC_TXN)
        c.seen = tier__malloc(&ds->alloc, cap * sizeof(int64_t));
    if (!c.name || (!c.num && !c.codes) || (source == SRC_TXN && !c.seen)) {
        tier__dataset_free_column(ds, &c);
        return tier__oom();
    }
    for (size_t r = 0; r < ds->n_rows; r++) {
        if (c.num)
            c.num[r] = NAN;
        else
            c.codes[r] = TIER_MISSING_CODE;
        if (c.seen)
            c.seen[r] = INT64_MIN;
    }
    ds->cols[ds->n_cols] = c;
    *index = ds->n_cols++;
    return TIER_OK;
}

int tier__dataset_category(tier__column *c, const char *s, size_t len, int32_t *code)
{
    uint32_t idx;
    if (memchr(s, '\0', len))
        return tier__error(TIER_EINVAL, "category value contains a NUL byte");
    int rc = tier__strtab_intern(&c->dict, s, len, &idx, NULL);
    if (rc)
        return rc;
    if (idx > INT32_MAX - 1)
        return tier__error(TIER_ERANGE, "column '%s' has more than 2^31 categories", c->name);
    *code = (int32_t)idx;
    return TIER_OK;
}

/* ---- attributes of batches ------------------------------------------------------------------ */

/* Columns of the batch's attributes, resolved once per batch. */
int tier__dataset_batch_attributes(tier_dataset *ds, const tier__batch *b, size_t *cat_cols,
                                   size_t *num_cols, col_source source)
{
    for (size_t k = 0; k < b->n_cat; k++) {
        int rc = tier__dataset_attribute(ds, b->cat_names[k], TIER_COLUMN_CATEGORICAL, source, &cat_cols[k]);
        if (rc)
            return rc;
    }
    for (size_t k = 0; k < b->n_num; k++) {
        int rc = tier__dataset_attribute(ds, b->num_names[k], TIER_COLUMN_NUMERIC, source, &num_cols[k]);
        if (rc)
            return rc;
    }
    return TIER_OK;
}


/* The attribute values of transaction i, if it is the customer's latest so far. */
int tier__dataset_take_attributes(tier_dataset *ds, const tier__batch *b, size_t i, size_t r,
                                  const size_t *cat_cols, const size_t *num_cols, int by_time)
{
    for (size_t k = 0; k < b->n_cat; k++) {
        tier__column *c = &ds->cols[cat_cols[k]];
        if (by_time) {
            if (b->times[i] < c->seen[r])
                continue;
            c->seen[r] = b->times[i];
        }
        const tier__sv v = b->cat_values[k][i];
        int32_t code = TIER_MISSING_CODE;
        if (v.p) {
            int rc = tier__dataset_category(c, v.p, v.n, &code);
            if (rc)
                return rc;
        }
        c->codes[r] = code;
    }
    for (size_t k = 0; k < b->n_num; k++) {
        tier__column *c = &ds->cols[num_cols[k]];
        if (by_time) {
            if (b->times[i] < c->seen[r])
                continue;
            c->seen[r] = b->times[i];
        }
        c->num[r] = b->num_values[k][i];
    }
    return TIER_OK;
}

#define VIEW_CHUNK 1024
#define ADD_CHUNK 65536

int tier_dataset_add_transactions(tier_dataset *ds, size_t n, const char *const *customer_ids,
                                  const int64_t *times, const double *amounts,
                                  const char *const *order_ids)
{
    if (!ds)
        return tier__error(TIER_EINVAL, "tier_dataset_add_transactions: ds is NULL");
    if (n == 0)
        return TIER_OK;
    if (!customer_ids || !times || !amounts)
        return tier__error(TIER_EINVAL, "tier_dataset_add_transactions: customer_ids, times and amounts must not be NULL");
    /* Validate everything first so that a bad entry adds nothing. */
    for (size_t i = 0; i < n; i++) {
        const char *id = customer_ids[i];
        int rc = tier__check_transaction(i, id ? id : "", id ? strlen(id) : 0, times[i], amounts[i]);
        if (rc)
            return rc;
    }
    /* Views in slices big enough for the partitioned add to run in parallel. */
    size_t slice = n < ADD_CHUNK ? n : ADD_CHUNK;
    tier__sv *ids = tier__malloc(&ds->alloc, slice * sizeof *ids);
    tier__sv *orders = order_ids ? tier__malloc(&ds->alloc, slice * sizeof *orders) : NULL;
    int rc = (!ids || (order_ids && !orders)) ? tier__oom() : TIER_OK;
    for (size_t base = 0; base < n && !rc; base += slice) {
        size_t m = n - base < slice ? n - base : slice;
        for (size_t i = 0; i < m; i++) {
            ids[i].p = customer_ids[base + i];
            ids[i].n = strlen(ids[i].p);
            if (order_ids) {
                orders[i].p = order_ids[base + i];
                orders[i].n = orders[i].p ? strlen(orders[i].p) : 0;
            }
        }
        tier__batch b;
        memset(&b, 0, sizeof b);
        b.n = m;
        b.ids = ids;
        b.times = times + base;
        b.amounts = amounts + base;
        b.orders = orders;
        rc = tier__dataset_add_batch(ds, &b);
    }
    tier__free(&ds->alloc, ids);
    tier__free(&ds->alloc, orders);
    return rc;
}

/* ---- columns ------------------------------------------------------------------------------ */

size_t tier_dataset_size(const tier_dataset *ds) { return ds ? ds->n_rows : 0; }

uint64_t tier_dataset_transaction_count(const tier_dataset *ds) { return ds ? ds->n_txn : 0; }

const char *tier_dataset_customer_id(const tier_dataset *ds, size_t row)
{
    if (!ds || row >= ds->n_rows)
        return NULL;
    return tier__row_id(ds, row);
}

int tier_dataset_find(size_t *row, const tier_dataset *ds, const char *customer_id)
{
    if (!row || !ds || !customer_id)
        return tier__error(TIER_EINVAL, "tier_dataset_find: NULL argument");
    long k = tier__dataset_find_row(ds, customer_id, strlen(customer_id));
    if (k < 0)
        return TIER_ENOTFOUND;
    *row = (size_t)k;
    return TIER_OK;
}

size_t tier_dataset_column_count(const tier_dataset *ds) { return ds ? ds->n_cols : 0; }

const char *tier_dataset_column_name(const tier_dataset *ds, size_t index)
{
    if (!ds || index >= ds->n_cols)
        return NULL;
    return ds->cols[index].name;
}

int tier_dataset_column_type(tier_column_type *type, const tier_dataset *ds, const char *name)
{
    if (!type || !ds || !name)
        return tier__error(TIER_EINVAL, "tier_dataset_column_type: NULL argument");
    long k = tier__dataset_find_column(ds, name);
    if (k < 0)
        return not_found(ds, name);
    *type = ds->cols[k].type;
    return TIER_OK;
}

int tier_dataset_numeric(const double **values, const tier_dataset *ds, const char *name)
{
    if (!values || !ds || !name)
        return tier__error(TIER_EINVAL, "tier_dataset_numeric: NULL argument");
    *values = NULL;
    long k = tier__dataset_find_column(ds, name);
    if (k < 0)
        return not_found(ds, name);
    const tier__column *c = &ds->cols[k];
    if (c->type != TIER_COLUMN_NUMERIC)
        return tier__error(TIER_ETYPE, "column '%s' is categorical, not numeric", name);
    if (c->source == SRC_FEATURE && ds->stale)
        return tier__error(TIER_ESTALE,
                           "feature '%s' is out of date: call tier_dataset_compute_features() after adding transactions",
                           name);
    if (c->source == SRC_FEATURE)
        return tier__dataset_feature(values, ds, (size_t)k);
    *values = c->num;
    return TIER_OK;
}

int tier_dataset_categorical(const int32_t **codes, const char *const **dictionary, size_t *n_categories,
                             const tier_dataset *ds, const char *name)
{
    if (!codes || !ds || !name)
        return tier__error(TIER_EINVAL, "tier_dataset_categorical: NULL argument");
    *codes = NULL;
    long k = tier__dataset_find_column(ds, name);
    if (k < 0)
        return not_found(ds, name);
    const tier__column *c = &ds->cols[k];
    if (c->type != TIER_COLUMN_CATEGORICAL)
        return tier__error(TIER_ETYPE, "column '%s' is numeric, not categorical", name);
    *codes = c->codes;
    if (dictionary)
        *dictionary = c->dict.strs;
    if (n_categories)
        *n_categories = c->dict.n;
    return TIER_OK;
}

/* Replaces column `name` with a fresh SRC_SET column of `type`. */
static int fresh_set_column(tier_dataset *ds, const char *name, tier_column_type type, tier__column **out)
{
    int rc = tier__dataset_check_name(name);
    if (rc)
        return rc;
    long k = tier__dataset_find_column(ds, name);
    if (k >= 0 && ds->cols[k].source == SRC_FEATURE)
        return tier__error(TIER_EINVAL, "column '%s' is a feature column and cannot be replaced", name);
    if (k >= 0) {
        /* drop the old column, keeping column order stable */
        tier__dataset_free_column(ds, &ds->cols[k]);
        memmove(&ds->cols[k], &ds->cols[k + 1], (ds->n_cols - (size_t)k - 1) * sizeof(tier__column));
        ds->n_cols--;
    }
    size_t index;
    rc = tier__dataset_attribute(ds, name, type, SRC_SET, &index);
    if (rc)
        return rc;
    *out = &ds->cols[index];
    return TIER_OK;
}

int tier_dataset_set_numeric(tier_dataset *ds, const char *name, const double *values)
{
    if (!ds || !name || (!values && ds->n_rows))
        return tier__error(TIER_EINVAL, "tier_dataset_set_numeric: NULL argument");
    tier__column *c = NULL; /* set on success (GCC -O3 cannot tell) */
    int rc = fresh_set_column(ds, name, TIER_COLUMN_NUMERIC, &c);
    if (rc)
        return rc;
    if (ds->n_rows)
        memcpy(c->num, values, ds->n_rows * sizeof(double));
    return TIER_OK;
}

int tier_dataset_set_categorical(tier_dataset *ds, const char *name, const int32_t *codes,
                                 const char *const *dictionary, size_t n_categories)
{
    if (!ds || !name || (!codes && ds->n_rows) || (!dictionary && n_categories))
        return tier__error(TIER_EINVAL, "tier_dataset_set_categorical: NULL argument");
    if (n_categories > INT32_MAX)
        return tier__error(TIER_EINVAL, "column '%s': too many categories", name);
    for (size_t r = 0; r < ds->n_rows; r++)
        if (codes[r] != TIER_MISSING_CODE && (codes[r] < 0 || (size_t)codes[r] >= n_categories))
            return tier__error(TIER_EINVAL, "column '%s': row %zu has code %d outside 0..%zu", name, r,
                               (int)codes[r], n_categories ? n_categories - 1 : 0);
    for (size_t i = 0; i < n_categories; i++)
        if (!dictionary[i])
            return tier__error(TIER_EINVAL, "column '%s': category %zu is NULL", name, i);
    tier__column *c = NULL; /* set on success (GCC -O3 cannot tell) */
    int rc = fresh_set_column(ds, name, TIER_COLUMN_CATEGORICAL, &c);
    if (rc)
        return rc;
    for (size_t i = 0; i < n_categories; i++) {
        int created = 0;
        uint32_t idx;
        rc = tier__strtab_intern(&c->dict, dictionary[i], strlen(dictionary[i]), &idx, &created);
        if (!rc && !created)
            rc = tier__error(TIER_EINVAL, "column '%s': category '%s' appears twice", name, dictionary[i]);
        if (rc) {
            /* leave no half-built column behind */
            size_t k = (size_t)(c - ds->cols);
            tier__dataset_free_column(ds, c);
            memmove(&ds->cols[k], &ds->cols[k + 1], (ds->n_cols - k - 1) * sizeof(tier__column));
            ds->n_cols--;
            return rc;
        }
    }
    if (ds->n_rows)
        memcpy(c->codes, codes, ds->n_rows * sizeof(int32_t));
    return TIER_OK;
}

int tier__dataset_join_batch(size_t *unmatched, tier_dataset *ds, const tier__batch *b)
{
    if (b->n_cat > TIER__MAX_BATCH_ATTRIBUTES || b->n_num > TIER__MAX_BATCH_ATTRIBUTES)
        return tier__error(TIER_EINVAL, "at most %d attribute columns of each type per join",
                           TIER__MAX_BATCH_ATTRIBUTES);
    size_t cat_cols[TIER__MAX_BATCH_ATTRIBUTES], num_cols[TIER__MAX_BATCH_ATTRIBUTES];
    int rc = tier__dataset_batch_attributes(ds, b, cat_cols, num_cols, SRC_JOIN);
    if (rc)
        return rc;
    for (size_t i = 0; i < b->n; i++) {
        long r = tier__dataset_find_row(ds, b->ids[i].p, b->ids[i].n);
        if (r < 0) {
            (*unmatched)++;
            continue;
        }
        rc = tier__dataset_take_attributes(ds, b, i, (size_t)r, cat_cols, num_cols, 0);
        if (rc)
            return rc;
    }
    return TIER_OK;
}

static int join_arrays(size_t *n_unmatched, tier_dataset *ds, const char *name, size_t n,
                       const char *const *customer_ids, const double *num, const char *const *cat)
{
    if (n_unmatched)
        *n_unmatched = 0;
    if (!ds || !name || (n && (!customer_ids || (!num && !cat))))
        return tier__error(TIER_EINVAL, "tier_dataset_join: NULL argument");
    size_t unmatched = 0;
    tier__sv ids[VIEW_CHUNK], vals[VIEW_CHUNK];
    const tier__sv *cat_values[1] = { vals };
    const double *num_values[1];
    const char *names[1] = { name };
    if (n == 0) {
        /* still create the column, so that a join of nothing is visible */
        size_t index;
        return tier__dataset_attribute(ds, name, num ? TIER_COLUMN_NUMERIC : TIER_COLUMN_CATEGORICAL,
                                       SRC_JOIN, &index);
    }
    for (size_t base = 0; base < n; base += VIEW_CHUNK) {
        size_t m = n - base < VIEW_CHUNK ? n - base : VIEW_CHUNK;
        for (size_t i = 0; i < m; i++) {
            const char *id = customer_ids[base + i];
            ids[i].p = id ? id : "";
            ids[i].n = id ? strlen(id) : 0;
            if (cat) {
                vals[i].p = cat[base + i];
                vals[i].n = vals[i].p ? strlen(vals[i].p) : 0;
            }
        }
        tier__batch b;
        memset(&b, 0, sizeof b);
        b.n = m;
        b.ids = ids;
        if (cat) {
            b.n_cat = 1;
            b.cat_names = names;
            b.cat_values = cat_values;
        } else {
            num_values[0] = num + base;
            b.n_num = 1;
            b.num_names = names;
            b.num_values = num_values;
        }
        int rc = tier__dataset_join_batch(&unmatched, ds, &b);
        if (rc)
            return rc;
    }
    if (n_unmatched)
        *n_unmatched = unmatched;
    return TIER_OK;
}

int tier_dataset_join_numeric(size_t *n_unmatched, tier_dataset *ds, const char *name, size_t n,
                              const char *const *customer_ids, const double *values)
{
    if (n && !values)
        return tier__error(TIER_EINVAL, "tier_dataset_join_numeric: values is NULL");
    static const double none[1] = { 0 };
    return join_arrays(n_unmatched, ds, name, n, customer_ids, values ? values : none, NULL);
}

int tier_dataset_join_categorical(size_t *n_unmatched, tier_dataset *ds, const char *name, size_t n,
                                  const char *const *customer_ids, const char *const *values)
{
    if (n && !values)
        return tier__error(TIER_EINVAL, "tier_dataset_join_categorical: values is NULL");
    static const char *const none[1] = { NULL };
    return join_arrays(n_unmatched, ds, name, n, customer_ids, NULL, values ? values : none);
}

int tier__dataset_purchase_days(const tier_dataset *ds, int (*fn)(void *ctx, size_t row, int32_t day), void *ctx)
{
    for (size_t p = 0; p < TIER__PARTS; p++) {
        const tier__part *part = &ds->parts[p];
        for (size_t i = 0; i < part->days.n; i++) {
            uint64_t k = part->days.log[i];
            int rc = fn(ctx, part->global[k >> 32], tier__day_key_day(k));
            if (rc)
                return rc;
        }
    }
    return TIER_OK;
}

long tier__dataset_find_row(const tier_dataset *ds, const char *id, size_t len)
{
    uint64_t h = tier__hash_bytes(id, len);
    const tier__part *p = &ds->parts[tier__part_of(h)];
    long l = tier__strtab_find_hashed(&p->ids, id, len, h);
    return l < 0 ? -1 : (long)p->global[l];
}

int tier__is_feature_name(const char *prefix, size_t prefix_len, const char *name)
{
    for (size_t k = 0; k < N_FEATURES; k++) {
        const char *f = tier__feature_names[k];
        if (strncmp(f, prefix, prefix_len) == 0 && strlen(f) >= prefix_len && strcmp(f + prefix_len, name) == 0)
            return 1;
    }
    return 0;
}
