/* libFuzzer target for the CSV transaction loader (tier_dataset_load_csv): arbitrary bytes must
 * never crash, hang or leak, and the loader must keep the promises of include/tier/csv.h.
 *
 * Input layout: byte 0 and byte 1 choose the options (see the OPT_ and MODE_ bits below); the
 * rest is the CSV file, written to a per-process temporary file that is reused and unlinked at
 * exit. Shorter inputs use all-zero option bytes and an empty file.
 *
 * Each input is loaded with n_threads 1 and 2 and the two loads must agree exactly (status,
 * error message, report counts and messages, customers in row order, every column bit for bit),
 * as csv.h promises for any thread count. A failure must return a status with a non-empty
 * tier_last_error() and no dataset; a success must have a consistent report (every data row is
 * used, skipped for an empty id or bad; the used rows are the dataset's transactions; skip mode
 * keeps the first max_messages messages, each `file:line:column: what`). The progress callback
 * must run on the calling thread with `done` starting at 0, never decreasing and ending at
 * `total` (the file size). A file without bad rows must load the same under the strict and
 * the skip policy. A successful load is saved to a second temporary file and loaded
 * back, which must give the same dataset. Optionally the load is repeated with an allocator
 * that fails one chosen allocation (at 1 or 2 threads), or with a progress callback that
 * cancels: either must fail cleanly, and every allocation made through the allocator must be
 * freed. Setting the
 * environment variable FUZZ_CSV_NO_OOM (to anything) skips the failing-allocator run, to fuzz
 * past a known allocation-failure bug.
 *
 * The same file is linked into fuzz_csv_replay (tests/fuzz/replay.c), which runs the seed
 * corpus tests/fuzz/csv_corpus in every build, with or without libFuzzer. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tier/tier.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Byte 0: the file's shape. */
enum {
    OPT_NO_HEADER = 1 << 0,   /* has_header = 0: columns by position */
    OPT_SEMICOLON = 1 << 1,   /* delimiter ';' instead of ',' */
    OPT_SKIP = 1 << 2,        /* TIER_BAD_ROWS_SKIP instead of strict */
    OPT_QTY_PRICE = 1 << 3,   /* amount = quantity x unit price */
    OPT_ORDER = 1 << 4,       /* an order-id column */
    OPT_CATEGORICAL = 1 << 5, /* a categorical attribute column */
    OPT_TIME_FORMAT = 1 << 6, /* a user time format */
    OPT_NUMERIC = 1 << 7      /* a numeric attribute column */
};

/* Byte 1: names and extra modes. */
enum {
    MODE_RETAIL_NAMES = 1 << 0, /* Online-Retail style header names and time format */
    MODE_AS_OF = 1 << 1,        /* an explicit as_of instead of TIER_AS_OF_AUTO */
    MODE_MESSAGES = 3 << 2,     /* max_messages: 20, 0, 1 or 3 */
    MODE_CANCEL = 1 << 4,       /* also run with a progress callback that cancels */
    MODE_OOM_SHIFT = 5          /* bits 5-7: also run with one failing allocation (0 = no) */
};

#define EXPLICIT_AS_OF INT64_C(1325376000) /* 2012-01-01T00:00:00Z */

static char csv_path[512], saved_path[512];
static int csv_fd = -1;
static int gzip_input; /* the file is gzip: TIER_CSV_BYTES counts decoded bytes */

static void remove_temp_files(void)
{
    if (csv_path[0])
        unlink(csv_path);
    if (saved_path[0])
        unlink(saved_path);
}

static int make_temp(char *path, size_t cap)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    snprintf(path, cap, "%s/fuzz_csv.XXXXXX", dir);
    return mkstemp(path);
}

/* Creates the two temporary files once per process. */
static void temp_files_init(void)
{
    if (csv_fd >= 0)
        return;
    csv_fd = make_temp(csv_path, sizeof csv_path);
    int fd = make_temp(saved_path, sizeof saved_path);
    if (csv_fd < 0 || fd < 0) {
        fprintf(stderr, "fuzz_csv: cannot create temporary files\n");
        abort();
    }
    close(fd); /* tier_dataset_save() replaces it by rename */
    atexit(remove_temp_files);
}

static void write_csv(const uint8_t *data, size_t n)
{
    if (ftruncate(csv_fd, 0) != 0 || (n && pwrite(csv_fd, data, n, 0) != (ssize_t)n)) {
        fprintf(stderr, "fuzz_csv: cannot write %s\n", csv_path);
        abort();
    }
}

static void fail(const char *why)
{
    fprintf(stderr, "fuzz_csv: invariant violated: %s (last error: '%s')\n", why,
            tier_last_error());
    remove_temp_files(); /* abort() skips the atexit handler */
    abort();
}

/* ---- a counting allocator that can fail one chosen allocation ---- */

typedef struct counting_alloc {
    atomic_long live;       /* allocations not yet freed */
    atomic_long calls;      /* malloc/realloc calls so far */
    long fail_at;           /* 1-based call number that fails; 0 = never */
} counting_alloc;

static int should_fail(counting_alloc *a)
{
    long k = atomic_fetch_add(&a->calls, 1) + 1;
    return a->fail_at && k == a->fail_at;
}

static void *ca_malloc(void *user, size_t size)
{
    counting_alloc *a = user;
    if (should_fail(a))
        return NULL;
    void *p = malloc(size ? size : 1);
    if (p)
        atomic_fetch_add(&a->live, 1);
    return p;
}

static void *ca_realloc(void *user, void *ptr, size_t size)
{
    counting_alloc *a = user;
    if (should_fail(a))
        return NULL;
    void *p = realloc(ptr, size ? size : 1);
    if (p && !ptr)
        atomic_fetch_add(&a->live, 1);
    return p;
}

static void ca_free(void *user, void *ptr)
{
    counting_alloc *a = user;
    atomic_fetch_sub(&a->live, 1);
    free(ptr);
}

/* ---- progress callback checks ---- */

typedef struct progress_log {
    pthread_t caller;
    long calls;
    uint64_t first, last, total;
    long cancel_at; /* 1-based call that returns non-zero; 0 = never */
} progress_log;

static int on_progress(void *user, uint64_t done, uint64_t total)
{
    progress_log *p = user;
    if (!pthread_equal(p->caller, pthread_self()))
        fail("progress callback called on a worker thread");
    if (p->calls == 0)
        p->first = done;
    else if (done < p->last)
        fail("progress went backwards");
    if (total && done > total)
        fail("progress done > total");
    p->last = done;
    p->total = total;
    p->calls++;
    return p->cancel_at && p->calls == p->cancel_at;
}

/* ---- options from the two leading bytes ---- */

typedef struct names {
    const char *id, *time, *amount, *quantity, *price, *order, *category, *number, *format;
} names;

static const names generic_names = {"customer_id", "time", "amount", "quantity", "price",
                                    "order", "country", "score", "%Y%m%d %H%M%S%z"};
static const names retail_names = {"CustomerID", "InvoiceDate", "Amount", "Quantity",
                                   "UnitPrice", "InvoiceNo", "Country", "Score",
                                   "%d/%m/%y %H:%M"};
/* Without a header: id, time, amount or quantity, price, order, category, number. */
static const names positions = {"#1", "#2", "#3", "#3", "#4", "#5", "#6", "#7", NULL};

typedef struct fuzz_opts {
    tier_csv_options csv;
    const char *categorical[1], *numeric[1];
} fuzz_opts;

static void make_options(fuzz_opts *f, uint8_t b0, uint8_t b1)
{
    static const size_t max_messages[4] = {20, 0, 1, 3};
    const names *nm = (b1 & MODE_RETAIL_NAMES) ? &retail_names : &generic_names;
    const names *col = (b0 & OPT_NO_HEADER) ? &positions : nm;
    tier_csv_options *o = &f->csv;
    if (tier_csv_options_init(o, TIER_CSV_OPTIONS_VERSION) != TIER_OK)
        fail("tier_csv_options_init");
    o->has_header = !(b0 & OPT_NO_HEADER);
    o->delimiter = (b0 & OPT_SEMICOLON) ? ';' : ',';
    o->bad_rows = (b0 & OPT_SKIP) ? TIER_BAD_ROWS_SKIP : TIER_BAD_ROWS_STRICT;
    o->customer_column = col->id;
    o->time_column = col->time;
    o->amount_column = col->amount;
    if (b0 & OPT_QTY_PRICE) {
        o->quantity_column = col->quantity;
        o->price_column = col->price;
    }
    if (b0 & OPT_ORDER)
        o->order_column = col->order;
    if (b0 & OPT_CATEGORICAL) {
        f->categorical[0] = col->category;
        o->categorical_columns = f->categorical;
        o->n_categorical_columns = 1;
    }
    if (b0 & OPT_NUMERIC) {
        f->numeric[0] = col->number;
        o->numeric_columns = f->numeric;
        o->n_numeric_columns = 1;
    }
    if (b0 & OPT_TIME_FORMAT)
        o->time_format = nm->format;
    o->max_messages = max_messages[(b1 & MODE_MESSAGES) >> 2];
    if (b1 & MODE_AS_OF)
        o->as_of = EXPLICIT_AS_OF;
}

/* ---- one load and its invariants ---- */

typedef struct result {
    int rc;
    char error[512];
    tier_dataset *ds;
    tier_csv_report *rep;
} result;

static void result_free(result *r)
{
    tier_dataset_free(r->ds);
    tier_csv_report_free(r->rep);
    r->ds = NULL;
    r->rep = NULL;
}

/* True if @p m reads `path:LINE:COLUMN: ` with both numbers >= 1. */
static int well_formed_message(const char *m)
{
    size_t n = strlen(csv_path);
    if (!m || strncmp(m, csv_path, n) != 0 || m[n] != ':')
        return 0;
    char *end;
    unsigned long line = strtoul(m + n + 1, &end, 10);
    if (line < 1 || *end != ':')
        return 0;
    unsigned long column = strtoul(end + 1, &end, 10);
    return column >= 1 && end[0] == ':' && end[1] == ' ';
}

static void check_report(const result *r, const tier_csv_options *o, size_t file_size)
{
    const tier_csv_report *rep = r->rep;
    uint64_t rows = tier_csv_report_count(rep, TIER_CSV_ROWS);
    uint64_t used = tier_csv_report_count(rep, TIER_CSV_ROWS_USED);
    uint64_t no_id = tier_csv_report_count(rep, TIER_CSV_ROWS_NO_CUSTOMER);
    uint64_t bad = tier_csv_report_count(rep, TIER_CSV_ROWS_BAD);
    size_t n_msgs = tier_csv_report_message_count(rep);
    if (used + no_id + bad != rows)
        fail("report: used + no-customer + bad != rows");
    if (used != tier_dataset_transaction_count(r->ds))
        fail("report: rows used != the dataset's transaction count");
    if (tier_dataset_size(r->ds) > used)
        fail("more customers than rows used");
    uint64_t bytes = tier_csv_report_count(rep, TIER_CSV_BYTES);
    if (!gzip_input && bytes != file_size) {
        fprintf(stderr, "fuzz_csv: %llu bytes read of %zu\n", (unsigned long long)bytes,
                file_size);
        fail("report: bytes read != file size");
    }
    if (o->bad_rows == TIER_BAD_ROWS_STRICT && bad != 0)
        fail("strict load succeeded with bad rows");
    if (n_msgs != (bad < o->max_messages ? bad : o->max_messages))
        fail("report keeps a message count other than min(bad rows, max_messages)");
    for (size_t i = 0; i < n_msgs; i++)
        if (!well_formed_message(tier_csv_report_message(rep, i)))
            fail("report message is not 'file:line:column: what'");
    if (tier_csv_report_message(rep, n_msgs) != NULL)
        fail("report message past the end is not NULL");
}

static void check_result(const result *r, const tier_csv_options *o, size_t file_size)
{
    if (r->rc != TIER_OK) {
        if (r->error[0] == '\0')
            fail("a failure without a message");
        if (r->ds != NULL)
            fail("a failed load returned a dataset");
        if (r->rc == TIER_EPARSE && strncmp(r->error, csv_path, strlen(csv_path)) != 0)
            fail("a parse error does not name the file");
        if (r->rc != TIER_ENOMEM && r->rep == NULL)
            fail("no report after a load with valid options");
        return;
    }
    if (r->ds == NULL || r->rep == NULL)
        fail("a successful load without a dataset or report");
    if (tier_dataset_is_stale(r->ds))
        fail("features are stale after tier_dataset_load_csv");
    if (o->as_of != TIER_AS_OF_AUTO && tier_dataset_as_of(r->ds) != o->as_of)
        fail("the explicit as_of was not used");
    check_report(r, o, file_size);
}

static void load(result *r, const tier_csv_options *o)
{
    memset(r, 0, sizeof *r);
    r->rc = tier_dataset_load_csv(&r->ds, &r->rep, csv_path, o);
    snprintf(r->error, sizeof r->error, "%s", r->rc == TIER_OK ? "" : tier_last_error());
}

/* ---- comparisons ---- */

static void same_column(const tier_dataset *a, const tier_dataset *b, const char *name)
{
    tier_column_type ta, tb;
    if (tier_dataset_column_type(&ta, a, name) || tier_dataset_column_type(&tb, b, name) ||
        ta != tb)
        fail("column types differ");
    size_t n = tier_dataset_size(a);
    if (ta == TIER_COLUMN_NUMERIC) {
        const double *va, *vb;
        if (tier_dataset_numeric(&va, a, name) || tier_dataset_numeric(&vb, b, name))
            fail("numeric column unreadable");
        if (n && memcmp(va, vb, n * sizeof *va) != 0)
            fail("numeric columns differ");
        return;
    }
    const int32_t *ca, *cb;
    const char *const *da, *const *db;
    size_t na, nb;
    if (tier_dataset_categorical(&ca, &da, &na, a, name) ||
        tier_dataset_categorical(&cb, &db, &nb, b, name))
        fail("categorical column unreadable");
    for (size_t i = 0; i < n; i++) {
        if ((ca[i] == TIER_MISSING_CODE) != (cb[i] == TIER_MISSING_CODE))
            fail("categorical missing values differ");
        if (ca[i] < TIER_MISSING_CODE || (ca[i] >= 0 && (size_t)ca[i] >= na) ||
            cb[i] < TIER_MISSING_CODE || (cb[i] >= 0 && (size_t)cb[i] >= nb))
            fail("categorical code out of range");
        if (ca[i] >= 0 && strcmp(da[ca[i]], db[cb[i]]) != 0)
            fail("categorical values differ");
    }
}

static void same_dataset(const tier_dataset *a, const tier_dataset *b)
{
    size_t n = tier_dataset_size(a);
    if (n != tier_dataset_size(b))
        fail("customer counts differ");
    if (tier_dataset_transaction_count(a) != tier_dataset_transaction_count(b))
        fail("transaction counts differ");
    if (tier_dataset_as_of(a) != tier_dataset_as_of(b))
        fail("as_of differs");
    if (tier_dataset_is_stale(a) != tier_dataset_is_stale(b))
        fail("staleness differs");
    for (size_t i = 0; i < n; i++) {
        const char *ia = tier_dataset_customer_id(a, i), *ib = tier_dataset_customer_id(b, i);
        if (!ia || !ib || strcmp(ia, ib) != 0)
            fail("customer ids or their row order differ");
    }
    size_t nc = tier_dataset_column_count(a);
    if (nc != tier_dataset_column_count(b))
        fail("column counts differ");
    for (size_t c = 0; c < nc; c++) {
        const char *name = tier_dataset_column_name(a, c);
        const char *other = tier_dataset_column_name(b, c);
        if (!name || !other || strcmp(name, other) != 0)
            fail("column names or order differ");
        same_column(a, b, name);
    }
}

static void same_report(const tier_csv_report *a, const tier_csv_report *b)
{
    for (int k = TIER_CSV_ROWS; k <= TIER_CSV_ROWS_UNMATCHED; k++)
        if (tier_csv_report_count(a, (tier_csv_count)k) !=
            tier_csv_report_count(b, (tier_csv_count)k))
            fail("report counts differ between thread counts");
    size_t n = tier_csv_report_message_count(a);
    if (n != tier_csv_report_message_count(b))
        fail("report message counts differ between thread counts");
    for (size_t i = 0; i < n; i++)
        if (strcmp(tier_csv_report_message(a, i), tier_csv_report_message(b, i)) != 0)
            fail("report messages differ between thread counts");
}

static void same_result(const result *a, const result *b)
{
    if (a->rc != b->rc)
        fail("status differs between thread counts");
    if (strcmp(a->error, b->error) != 0)
        fail("error message differs between thread counts");
    if ((a->rep == NULL) != (b->rep == NULL))
        fail("report presence differs between thread counts");
    if (a->rep)
        same_report(a->rep, b->rep);
    if (a->rc == TIER_OK)
        same_dataset(a->ds, b->ds);
}

/* tier_dataset_save() then tier_dataset_load() must give the same dataset. */
static void check_round_trip(const tier_dataset *ds)
{
    int rc = tier_dataset_save(ds, saved_path);
    if (rc != TIER_OK)
        fail("tier_dataset_save failed");
    tier_dataset *back = NULL;
    rc = tier_dataset_load(&back, saved_path, NULL);
    if (rc != TIER_OK)
        fail("tier_dataset_load of a saved dataset failed");
    same_dataset(ds, back);
    tier_dataset_free(back);
    unlink(saved_path);
}

/* A file without bad rows loads the same under both policies: a strict success must be a skip
 * success with no bad row, and a skip success with no bad row must be a strict success. */
static void check_other_policy(const tier_csv_options *base, const result *ok)
{
    if (ok->rc != TIER_OK)
        return;
    int skip = base->bad_rows == TIER_BAD_ROWS_SKIP;
    if (skip && tier_csv_report_count(ok->rep, TIER_CSV_ROWS_BAD) != 0)
        return;
    tier_csv_options o = *base;
    o.bad_rows = skip ? TIER_BAD_ROWS_STRICT : TIER_BAD_ROWS_SKIP;
    o.n_threads = 1;
    result r;
    load(&r, &o);
    if (r.rc != TIER_OK)
        fail("a file without bad rows fails under the other bad-row policy");
    for (int k = TIER_CSV_ROWS; k <= TIER_CSV_ROWS_BAD; k++)
        if (tier_csv_report_count(ok->rep, (tier_csv_count)k) !=
            tier_csv_report_count(r.rep, (tier_csv_count)k))
            fail("report counts differ between the bad-row policies");
    same_dataset(ok->ds, r.ds);
    result_free(&r);
}

/* ---- the optional failure runs ---- */

/* Which allocation fails: spread over the first few hundred calls. */
static long oom_call(uint8_t b1, size_t size)
{
    unsigned k = b1 >> MODE_OOM_SHIFT;
    return k ? (long)(k * k * 9) - 8 + (long)(size % 7) : 0;
}

static void run_oom(const tier_csv_options *base, const result *ok, long fail_at, size_t n)
{
    counting_alloc a = {0};
    a.fail_at = fail_at;
    tier_allocator al = {ca_malloc, ca_realloc, ca_free, &a};
    tier_csv_options o = *base;
    o.allocator = &al;
    /* odd calls at 2 threads: which allocation fails is then a matter of timing, but a
     * failure on one thread must still leave the others' chunks and buffers sound */
    o.n_threads = fail_at & 1 ? 2 : 1;
    result r;
    load(&r, &o);
    if (r.rc != TIER_OK && r.error[0] == '\0')
        fail("a failure under allocation failure without a message");
    if (r.rc != TIER_OK && r.ds != NULL)
        fail("a failed load returned a dataset");
    if (r.rc == TIER_OK) {
        a.fail_at = 0; /* the checks read feature columns, which are filled on first read */
        check_result(&r, &o, n);
        if (ok->rc == TIER_OK)
            same_dataset(ok->ds, r.ds);
    }
    result_free(&r);
    if (atomic_load(&a.live) != 0)
        fail("allocations through the user allocator not freed");
}

/* Loads at 2 threads with on_progress logging into p (cancelling at call p->cancel_at). */
static void load_with_progress(result *r, const tier_csv_options *base, progress_log *p)
{
    p->caller = pthread_self();
    tier_csv_options o = *base;
    o.progress = on_progress;
    o.progress_user = p;
    o.n_threads = 2;
    load(r, &o);
}

static void run_cancel(const tier_csv_options *base, long cancel_at)
{
    progress_log p = {0};
    p.cancel_at = cancel_at;
    result r;
    load_with_progress(&r, base, &p);
    if (r.rc == TIER_ECANCELLED && (r.ds != NULL || r.error[0] == '\0'))
        fail("a cancelled load returned a dataset or no message");
    if (p.calls > 0 && p.first != 0)
        fail("the first progress call is not done == 0");
    if (cancel_at && p.calls >= cancel_at && r.rc == TIER_OK)
        fail("a load went on after the progress callback cancelled it");
    result_free(&r);
}

static void check_progress(const tier_csv_options *base, const result *ok, size_t n)
{
    progress_log p = {0};
    result r;
    load_with_progress(&r, base, &p);
    if (r.rc != ok->rc)
        fail("a progress callback changed the load's status");
    if (r.rc == TIER_OK) {
        if (p.calls == 0 || p.first != 0)
            fail("progress did not start with done == 0");
        if (p.total != n || p.last != p.total)
            fail("progress did not end with done == total == file size");
        same_dataset(ok->ds, r.ds);
    }
    result_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    temp_files_init();
    uint8_t b0 = size > 0 ? data[0] : 0, b1 = size > 1 ? data[1] : 0;
    size_t skip = size < 2 ? size : 2, n = size - skip;
    write_csv(data + skip, n);
    gzip_input = n >= 2 && data[skip] == 0x1f && data[skip + 1] == 0x8b;

    fuzz_opts f = {0};
    make_options(&f, b0, b1);
    f.csv.n_threads = 1;
    result one, two;
    load(&one, &f.csv);
    check_result(&one, &f.csv, n);
    f.csv.n_threads = 2;
    load(&two, &f.csv);
    check_result(&two, &f.csv, n);
    same_result(&one, &two);

    if (one.rc == TIER_OK) {
        check_round_trip(one.ds);
        check_other_policy(&f.csv, &one);
        check_progress(&f.csv, &one, n);
    }
    if (b1 & MODE_CANCEL)
        run_cancel(&f.csv, 1 + (long)(size % 3));
    static int no_oom = -1;
    if (no_oom < 0)
        no_oom = getenv("FUZZ_CSV_NO_OOM") != NULL;
    long fail_at = no_oom ? 0 : oom_call(b1, size);
    if (fail_at)
        run_oom(&f.csv, &one, fail_at, n);
    result_free(&one);
    result_free(&two);
    return 0;
}
