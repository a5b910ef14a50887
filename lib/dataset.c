/* tier_dataset: building per-customer state from transactions, materialising features, and
 * column access. Merging lives in dataset_merge.c, saving and loading in dataset_io.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal/dataset_impl.h"
#include "internal/error.h"

#define SECONDS_PER_DAY 86400
/* Accepted instants: 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z. */
#define TIME_MIN (-62167219200LL)
#define TIME_MAX (253402300799LL)

const char *const tier__feature_names[N_FEATURES] = {
    "recency", "frequency", "monetary", "avg_order_value", "first_purchase", "last_purchase",
    "tenure", "purchase_days", "returns", "returns_value", "repeat_count", "t_x", "T",
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
    tier__strtab_init(&ds->ids, &ds->alloc);
    ds->min_time = INT64_MAX;
    ds->max_time = INT64_MIN;
    ds->as_of = TIER_AS_OF_AUTO;
    ds->stale = 1;
    ds->cols = tier__calloc(&ds->alloc, N_FEATURES, sizeof *ds->cols);
    if (!ds->cols) {
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
    tier__strtab_free(&ds->ids);
    tier__free(&a, ds->cust_block);
    tier__free(&a, ds->n_returns);
    tier__orderset_free(&a, &ds->orders);
    tier__dayset_free(&a, &ds->days);
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

/* Grows the 64-byte-aligned customer array, keeping its content. */
static int grow_customers(tier_dataset *ds, size_t cap)
{
    size_t bytes;
    if (tier__mul_size(&bytes, cap, sizeof(tier__cust)) || bytes > (size_t)-1 - 64)
        return tier__oom();
    size_t old_off = ds->cust ? (size_t)((char *)ds->cust - (char *)ds->cust_block) : 0;
    void *block = tier__realloc(&ds->alloc, ds->cust_block, bytes + 64);
    if (!block)
        return tier__oom();
    size_t off = (size_t)((64 - ((uintptr_t)block & 63)) & 63);
    if (ds->cust && off != old_off) /* realloc moved the block to another alignment */
        memmove((char *)block + off, (char *)block + old_off, ds->n_rows * sizeof(tier__cust));
    ds->cust_block = block;
    ds->cust = (tier__cust *)(void *)((char *)block + off);
    return TIER_OK;
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
    int rc = grow_customers(ds, cap);
    rc = rc ? rc : grow_array(ds, (void **)&ds->n_returns, cap, sizeof(uint32_t));
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

static void init_row(tier_dataset *ds, size_t r)
{
    tier__cust *c0 = &ds->cust[r];
    memset(c0, 0, sizeof *c0);
    c0->first_seen = INT64_MAX;
    c0->first_buy = INT64_MAX;
    c0->last_buy = INT64_MIN;
    ds->n_returns[r] = 0;
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

int tier__dataset_customer(tier_dataset *ds, const char *id, size_t len, uint32_t *row)
{
    if (ds->n_rows + 1 > ds->cap_rows) {
        int rc = tier__dataset_reserve_rows(ds, ds->n_rows + 1);
        if (rc)
            return rc;
    }
    int created;
    int rc = tier__strtab_intern(&ds->ids, id, len, row, &created);
    if (rc)
        return rc;
    if (created) {
        init_row(ds, ds->n_rows);
        ds->n_rows++;
    }
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

/* ---- adding transactions ------------------------------------------------------------------- */

static inline int32_t day_of(int64_t t)
{
    int64_t d = t / SECONDS_PER_DAY;
    if (t % SECONDS_PER_DAY < 0)
        d--;
    return (int32_t)d;
}

static int bump(uint32_t *counter, const char *what, const char *id)
{
    if (*counter == UINT32_MAX)
        return tier__error(TIER_ERANGE, "customer '%s' has more than 4294967295 %s", id, what);
    (*counter)++;
    return TIER_OK;
}

static int check_batch(const tier__batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        if (b->ids[i].n == 0)
            return tier__error(TIER_EINVAL, "transaction %zu: empty customer id", i);
        if (!isfinite(b->amounts[i]))
            return tier__error(TIER_ERANGE, "transaction %zu (customer '%.*s'): amount %g is not finite",
                               i, (int)b->ids[i].n, b->ids[i].p, b->amounts[i]);
        if (b->times[i] < TIME_MIN || b->times[i] > TIME_MAX)
            return tier__error(TIER_ERANGE,
                               "transaction %zu (customer '%.*s'): time %lld is outside years 0..9999",
                               i, (int)b->ids[i].n, b->ids[i].p, (long long)b->times[i]);
    }
    return TIER_OK;
}

/* Columns of the batch's attributes, resolved once per batch. */
static int resolve_attributes(tier_dataset *ds, const tier__batch *b, size_t *cat_cols, size_t *num_cols,
                              col_source source)
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

#define MAX_BATCH_ATTRIBUTES 64

/* The attribute values of transaction i, if it is the customer's latest so far. */
static int take_attributes(tier_dataset *ds, const tier__batch *b, size_t i, uint32_t r,
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

/* Transactions are applied in blocks, in three passes: hash the customer ids and prefetch
 * their table slots; resolve rows and prefetch the customer records and the order and day
 * slots; then update. Customers arrive in random order, so nearly every lookup is a cache
 * miss; the passes let those misses overlap instead of queueing one after another. Results
 * are exactly those of a plain one-by-one loop. */
#define BLOCK 64

typedef struct block_keys {
    uint32_t row[BLOCK];
    uint64_t id_hash[BLOCK];
    uint64_t order_hash[BLOCK]; /* 0 = no order id */
    uint64_t day_key[BLOCK];    /* 0 = not a purchase */
} block_keys;

static inline int same_view(tier__sv a, tier__sv b)
{
    return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

static void hash_ids(tier_dataset *ds, const tier__batch *b, size_t base, size_t m, block_keys *k)
{
    for (size_t j = 0; j < m; j++) {
        size_t i = base + j;
        if (i > 0 && same_view(b->ids[i], b->ids[i - 1])) {
            k->id_hash[j] = j ? k->id_hash[j - 1] : tier__hash_bytes(b->ids[i].p, b->ids[i].n);
            continue;
        }
        k->id_hash[j] = tier__hash_bytes(b->ids[i].p, b->ids[i].n);
        tier__strtab_prefetch(&ds->ids, k->id_hash[j]);
    }
}

static int resolve_rows(tier_dataset *ds, const tier__batch *b, size_t base, size_t m, block_keys *k)
{
    for (size_t j = 0; j < m; j++) {
        size_t i = base + j;
        if (j > 0 && same_view(b->ids[i], b->ids[i - 1])) {
            k->row[j] = k->row[j - 1];
        } else {
            if (ds->n_rows + 1 > ds->cap_rows) {
                int rc = tier__dataset_reserve_rows(ds, ds->n_rows + 1);
                if (rc)
                    return rc;
            }
            int created;
            int rc = tier__strtab_intern_hashed(&ds->ids, b->ids[i].p, b->ids[i].n, k->id_hash[j],
                                                &k->row[j], &created);
            if (rc)
                return rc;
            if (created) {
                init_row(ds, ds->n_rows);
                ds->n_rows++;
            }
#if defined(__GNUC__)
            __builtin_prefetch(&ds->cust[k->row[j]], 1);
#endif
        }
        const double a = b->amounts[i];
        k->day_key[j] = a > 0 ? tier__day_key(k->row[j], day_of(b->times[i])) : 0;
        if (k->day_key[j] && !(j > 0 && k->day_key[j] == k->day_key[j - 1]))
            tier__dayset_prefetch(&ds->days, k->day_key[j]);
        k->order_hash[j] = 0;
        if (a != 0 && b->orders && b->orders[i].n) {
            if (j > 0 && k->order_hash[j - 1] && same_view(b->orders[i], b->orders[i - 1])) {
                k->order_hash[j] = k->order_hash[j - 1];
            } else {
                k->order_hash[j] = tier__hash_bytes(b->orders[i].p, b->orders[i].n) | 1;
                tier__orderset_prefetch(&ds->orders, k->order_hash[j]);
            }
        }
    }
    return TIER_OK;
}

/* Counts an order flag once per (order, customer). `prev` says whether the previous transaction
 * already set this flag for the same order and customer, which skips the set lookup. */
static int count_order(tier_dataset *ds, uint64_t h, uint32_t r, uint32_t flag, uint32_t *counter)
{
    int fresh = tier__orderset_add(&ds->alloc, &ds->orders, h, r, flag);
    if (fresh < 0)
        return TIER_ENOMEM;
    if (fresh)
        return bump(counter, flag == ORDER_PURCHASE ? "orders" : "returns", tier__strtab_get(&ds->ids, r));
    return TIER_OK;
}

static int apply_one(tier_dataset *ds, const tier__batch *b, size_t i, const block_keys *k, size_t j)
{
    const uint32_t r = k->row[j];
    const int64_t t = b->times[i];
    const double a = b->amounts[i];
    tier__cust *c = &ds->cust[r];
    if (t < c->first_seen)
        c->first_seen = t;
    if (a == 0.0)
        return TIER_OK; /* a free item: neither purchase nor return */
    tier__dd_add(&c->net_hi, &c->net_lo, a);
    const int same_order_before = j > 0 && k->order_hash[j] && k->order_hash[j] == k->order_hash[j - 1] &&
                                  k->row[j - 1] == r;
    if (a < 0) {
        tier__dd_add(&c->ret_hi, &c->ret_lo, -a);
        if (!k->order_hash[j])
            return bump(&ds->n_returns[r], "returns", tier__strtab_get(&ds->ids, r));
        if (same_order_before && b->amounts[i - 1] < 0)
            return TIER_OK;
        return count_order(ds, k->order_hash[j], r, ORDER_RETURN, &ds->n_returns[r]);
    }
    if (t < c->first_buy)
        c->first_buy = t;
    if (t > c->last_buy)
        c->last_buy = t;
    if (!(j > 0 && k->day_key[j - 1] == k->day_key[j])) {
        int fresh = tier__dayset_add(&ds->alloc, &ds->days, k->day_key[j]);
        if (fresh < 0)
            return TIER_ENOMEM;
        if (fresh && bump(&c->n_days, "purchase days", tier__strtab_get(&ds->ids, r)))
            return TIER_ERANGE;
    }
    if (!k->order_hash[j])
        return bump(&c->n_orders, "orders", tier__strtab_get(&ds->ids, r));
    if (same_order_before && b->amounts[i - 1] > 0)
        return TIER_OK;
    return count_order(ds, k->order_hash[j], r, ORDER_PURCHASE, &c->n_orders);
}

int tier__dataset_add_batch(tier_dataset *ds, const tier__batch *b)
{
    if (b->n_cat > MAX_BATCH_ATTRIBUTES || b->n_num > MAX_BATCH_ATTRIBUTES)
        return tier__error(TIER_EINVAL, "at most %d attribute columns of each type per load",
                           MAX_BATCH_ATTRIBUTES);
    int rc = check_batch(b);
    if (rc)
        return rc;
    size_t cat_cols[MAX_BATCH_ATTRIBUTES], num_cols[MAX_BATCH_ATTRIBUTES];
    rc = resolve_attributes(ds, b, cat_cols, num_cols, SRC_TXN);
    if (rc)
        return rc;
    block_keys k;
    for (size_t base = 0; base < b->n; base += BLOCK) {
        size_t m = b->n - base < BLOCK ? b->n - base : BLOCK;
        hash_ids(ds, b, base, m, &k);
        rc = resolve_rows(ds, b, base, m, &k);
        for (size_t j = 0; j < m && !rc; j++) {
            size_t i = base + j;
            rc = apply_one(ds, b, i, &k, j);
            if (!rc && (b->n_cat || b->n_num))
                rc = take_attributes(ds, b, i, k.row[j], cat_cols, num_cols, 1);
            if (b->times[i] < ds->min_time)
                ds->min_time = b->times[i];
            if (b->times[i] > ds->max_time)
                ds->max_time = b->times[i];
            ds->n_txn++;
        }
        if (rc)
            return rc;
    }
    if (b->n)
        ds->stale = 1;
    return TIER_OK;
}

#define VIEW_CHUNK 1024

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
        if (!customer_ids[i] || !customer_ids[i][0])
            return tier__error(TIER_EINVAL, "transaction %zu: customer id is NULL or empty", i);
        if (!isfinite(amounts[i]))
            return tier__error(TIER_ERANGE, "transaction %zu (customer '%s'): amount %g is not finite", i,
                               customer_ids[i], amounts[i]);
        if (times[i] < TIME_MIN || times[i] > TIME_MAX)
            return tier__error(TIER_ERANGE, "transaction %zu (customer '%s'): time %lld is outside years 0..9999",
                               i, customer_ids[i], (long long)times[i]);
    }
    tier__sv ids[VIEW_CHUNK], orders[VIEW_CHUNK];
    for (size_t base = 0; base < n; base += VIEW_CHUNK) {
        size_t m = n - base < VIEW_CHUNK ? n - base : VIEW_CHUNK;
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
        b.orders = order_ids ? orders : NULL;
        int rc = tier__dataset_add_batch(ds, &b);
        if (rc)
            return rc;
    }
    return TIER_OK;
}

/* ---- features ------------------------------------------------------------------------------ */

static void format_time(char *buf, size_t size, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm))
        strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
    else
        snprintf(buf, size, "%lld", (long long)t);
}

static void compute_row(const tier_dataset *ds, size_t r, int64_t as_of, double *const f[N_FEATURES])
{
    const double day = SECONDS_PER_DAY;
    const tier__cust *c = &ds->cust[r];
    const int bought = c->last_buy != INT64_MIN;
    const double monetary = c->net_hi + c->net_lo;
    f[FEAT_RECENCY][r] = bought ? (double)(as_of - c->last_buy) / day : NAN;
    f[FEAT_FREQUENCY][r] = c->n_orders;
    f[FEAT_MONETARY][r] = monetary;
    f[FEAT_AVG_ORDER_VALUE][r] = c->n_orders ? monetary / c->n_orders : NAN;
    f[FEAT_FIRST_PURCHASE][r] = bought ? (double)c->first_buy : NAN;
    f[FEAT_LAST_PURCHASE][r] = bought ? (double)c->last_buy : NAN;
    f[FEAT_TENURE][r] = (double)(as_of - c->first_seen) / day;
    f[FEAT_PURCHASE_DAYS][r] = c->n_days;
    f[FEAT_RETURNS][r] = ds->n_returns[r];
    f[FEAT_RETURNS_VALUE][r] = c->ret_hi + c->ret_lo;
    f[FEAT_REPEAT_COUNT][r] = bought ? (double)c->n_days - 1.0 : NAN;
    f[FEAT_T_X][r] = bought ? (double)(c->last_buy - c->first_buy) / day : NAN;
    f[FEAT_T][r] = bought ? (double)(as_of - c->first_buy) / day : NAN;
}

int tier_dataset_compute_features(tier_dataset *ds, int64_t as_of)
{
    if (!ds)
        return tier__error(TIER_EINVAL, "tier_dataset_compute_features: ds is NULL");
    if (as_of == TIER_AS_OF_AUTO) {
        if (ds->n_txn == 0)
            return tier__error(TIER_EEMPTY, "cannot choose as_of automatically: the dataset has no transactions");
        as_of = ds->max_time + SECONDS_PER_DAY;
    } else if (ds->n_txn && as_of < ds->max_time) {
        char a[40], m[40];
        format_time(a, sizeof a, as_of);
        format_time(m, sizeof m, ds->max_time);
        return tier__error(TIER_EINVAL, "as_of %s is before the latest transaction (%s)", a, m);
    }
    double *f[N_FEATURES];
    size_t n = ds->n_rows ? ds->n_rows : 1;
    for (size_t k = 0; k < N_FEATURES; k++) {
        void *p = ds->cols[k].num;
        if (grow_array(ds, &p, n, sizeof(double)))
            return TIER_ENOMEM;
        ds->cols[k].num = p;
        f[k] = p;
    }
    for (size_t r = 0; r < ds->n_rows; r++) {
        compute_row(ds, r, as_of, f);
        if (!isfinite(f[FEAT_MONETARY][r]) || !isfinite(f[FEAT_RETURNS_VALUE][r])) {
            ds->stale = 1;
            return tier__error(TIER_ERANGE, "customer '%s': total amount overflows a double",
                               tier__strtab_get(&ds->ids, r));
        }
    }
    ds->as_of = as_of;
    ds->stale = 0;
    return TIER_OK;
}

int64_t tier_dataset_as_of(const tier_dataset *ds) { return ds ? ds->as_of : TIER_AS_OF_AUTO; }

int tier_dataset_is_stale(const tier_dataset *ds) { return ds ? ds->stale : 1; }

size_t tier_dataset_size(const tier_dataset *ds) { return ds ? ds->n_rows : 0; }

uint64_t tier_dataset_transaction_count(const tier_dataset *ds) { return ds ? ds->n_txn : 0; }

const char *tier_dataset_customer_id(const tier_dataset *ds, size_t row)
{
    if (!ds || row >= ds->n_rows)
        return NULL;
    return tier__strtab_get(&ds->ids, row);
}

int tier_dataset_find(size_t *row, const tier_dataset *ds, const char *customer_id)
{
    if (!row || !ds || !customer_id)
        return tier__error(TIER_EINVAL, "tier_dataset_find: NULL argument");
    long k = tier__strtab_find(&ds->ids, customer_id, strlen(customer_id));
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
    tier__column *c;
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
    tier__column *c;
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
    if (b->n_cat > MAX_BATCH_ATTRIBUTES || b->n_num > MAX_BATCH_ATTRIBUTES)
        return tier__error(TIER_EINVAL, "at most %d attribute columns of each type per join",
                           MAX_BATCH_ATTRIBUTES);
    size_t cat_cols[MAX_BATCH_ATTRIBUTES], num_cols[MAX_BATCH_ATTRIBUTES];
    int rc = resolve_attributes(ds, b, cat_cols, num_cols, SRC_JOIN);
    if (rc)
        return rc;
    for (size_t i = 0; i < b->n; i++) {
        long r = tier__strtab_find(&ds->ids, b->ids[i].p, b->ids[i].n);
        if (r < 0) {
            (*unmatched)++;
            continue;
        }
        rc = take_attributes(ds, b, i, (uint32_t)r, cat_cols, num_cols, 0);
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
    for (size_t i = 0; ds->days.slots && i <= ds->days.mask; i++) {
        uint64_t k = ds->days.slots[i];
        if (!k)
            continue;
        int32_t day = (int32_t)((int64_t)(k & 0xFFFFFFFFu) - 0x80000000LL);
        int rc = fn(ctx, (size_t)(k >> 32), day);
        if (rc)
            return rc;
    }
    return TIER_OK;
}
