/* Loading transactions and customer attributes from CSV files into a tier_dataset.
 *
 * Pipeline (tier_dataset_add_csv):
 *   1. The input (lib/input.c) exposes a window of the file: the whole file when it is
 *      memory-mapped, WINDOW_BYTES at a time for gzip and pipes.
 *   2. The window is cut into chunks of about CHUNK_BYTES (the first few smaller:
 *      chunk_target) at record boundaries found by a
 *      quote-aware scan. A chunk's end depends only on its start and the bytes, never on the
 *      thread count, so every run cuts the file the same way.
 *   3. Tasks on the pool (lib/pool.c) each take one chunk: learn its start from the previous
 *      task, find its end and publish it (a fast scan, so the chain moves quickly), tokenize
 *      and convert the chunk (a plain row, unquoted and LF-ended, is split by a fast path,
 *      tier__csv_plain_record; any other goes through tier__csv_record_next, which also
 *      words the errors): each row's transaction becomes a record in its customer
 *      partition's run (the dataset's aggregation input, written while the row is in cache),
 *      ids and attribute values stay views into the input, no copies.
 *      The rows are added, in chunk order, to one accumulator dataset
 *      (tier__dataset_add_batch) by whichever task finds the next chunk in line parsed: it
 *      holds the turn while the chunks after it are ready, and a task whose chunk must wait
 *      goes on to parse another instead of waiting (parsing runs at most `threads` chunks
 *      ahead). Parsing thus overlaps the adding of earlier chunks, and no thread idles while
 *      there is a chunk to parse. The adding offers its 64 partition tasks at a help desk
 *      (pool.h): a task held back by the parse-ahead bound, or left without a chunk once all
 *      are parsed, adds partitions instead of waiting. Rows reach the accumulator in file
 *      order, so the result is the one a single pass would give, for any thread count.
 *      (Parsing each chunk into its own scratch dataset and merging those was measured to
 *      be slower: with many customers per chunk, merging a chunk costs more than adding its
 *      rows, and the merges are serial too.)
 *   4. Only when every chunk succeeded is the accumulator absorbed into the caller's dataset
 *      (a move when the dataset is empty), so a failed or cancelled load leaves it unchanged.
 *
 * Line numbers in messages are physical lines: each chunk counts its line ends and the
 * in-order step adds the counts of the chunks before it. Bad-row messages are kept per chunk
 * (at most max_messages each) and appended to the report in chunk order, so the report holds
 * the first messages in file order. In strict mode the failing chunk with the lowest index
 * wins, which is the first bad row of the file: chunks before it are parsed completely. */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tier/csv.h"
#include "internal/alloc.h"
#include "internal/compiler.h"
#include "internal/csv_parse.h"
#include "internal/dataset.h"
#include "internal/datetime.h"
#include "internal/error.h"
#include "internal/input.h"
#include "internal/numparse.h"
#include "internal/pool.h"
#include "internal/strtab.h" /* tier__hash_bytes */

#define CHUNK_BYTES ((size_t)8 << 20)   /* target chunk size: the unit of parallel work */
#define RAMP_CHUNKS 3                   /* chunks 0, 1, 2 of a window: 1/8, 1/4, 1/2 of that */
#define WINDOW_BYTES ((size_t)32 << 20) /* gzip and pipes: bytes decoded per round */
#define BATCH_ROWS 4096                 /* rows between checks for a stop; initial capacity */
#define MAX_ATTRIBUTES 64               /* per type, as the dataset allows per batch */
#define NONE ((size_t)-1)
#define SHOW_MAX 40                     /* bytes of an offending value quoted in messages */
#define MSG_MAX 512
#define PLAIN_FIELDS_MAX 64             /* rows with more fields always take the general path */

/* Years 0..9999, as the dataset accepts. */
#define TIME_MIN (-62167219200LL)
#define TIME_MAX (253402300799LL)

/* ---- options and report ------------------------------------------------------------------- */

int tier_csv_options_init(tier_csv_options *opts, unsigned int version)
{
    if (!opts)
        return tier__error(TIER_EINVAL, "tier_csv_options_init: opts is NULL");
    if (version == 0 || version > TIER_CSV_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION,
                           "tier_csv_options_init: version %u is not supported (this library "
                           "knows versions 1..%d)", version, TIER_CSV_OPTIONS_VERSION);
    /* Version 1 is the only layout so far; a later version must only write the fields that
     * existed in the version the caller asked for. */
    const tier_csv_options defaults = TIER_CSV_OPTIONS_INIT;
    *opts = defaults;
    opts->version = version;
    return TIER_OK;
}

struct tier_csv_report {
    tier__alloc alloc;
    uint64_t counts[TIER_CSV_ROWS_UNMATCHED + 1];
    char **messages;
    size_t n_messages, cap_messages, max_messages;
};

uint64_t tier_csv_report_count(const tier_csv_report *report, tier_csv_count which)
{
    if (!report || (int)which < 0 || (int)which > TIER_CSV_ROWS_UNMATCHED)
        return 0;
    return report->counts[which];
}

size_t tier_csv_report_message_count(const tier_csv_report *report)
{
    return report ? report->n_messages : 0;
}

const char *tier_csv_report_message(const tier_csv_report *report, size_t index)
{
    if (!report || index >= report->n_messages)
        return NULL;
    return report->messages[index];
}

void tier_csv_report_free(tier_csv_report *report)
{
    if (!report)
        return;
    for (size_t i = 0; i < report->n_messages; i++)
        tier__free(&report->alloc, report->messages[i]);
    tier__free(&report->alloc, report->messages);
    tier__alloc a = report->alloc;
    tier__free(&a, report);
}

static tier_csv_report *report_new(const tier__alloc *alloc, size_t max_messages)
{
    tier_csv_report *r = tier__calloc(alloc, 1, sizeof *r);
    if (r) {
        r->alloc = *alloc;
        r->max_messages = max_messages;
    }
    return r;
}

/* Appends "path:line:col: text" if the report has room. */
static int report_add(tier_csv_report *r, const char *path, uint64_t line, size_t col,
                      const char *text)
{
    if (r->n_messages >= r->max_messages)
        return TIER_OK;
    void *msgs = r->messages;
    if (tier__grow(&r->alloc, &msgs, &r->cap_messages, r->n_messages + 1, sizeof(char *)))
        return TIER_ENOMEM;
    r->messages = msgs;
    int n = snprintf(NULL, 0, "%s:%llu:%zu: %s", path, (unsigned long long)line, col, text);
    char *m = tier__malloc(&r->alloc, (size_t)n + 1);
    if (!m)
        return tier__oom();
    snprintf(m, (size_t)n + 1, "%s:%llu:%zu: %s", path, (unsigned long long)line, col, text);
    r->messages[r->n_messages++] = m;
    return TIER_OK;
}

/* ---- ids --------------------------------------------------------------------------------- */

tier__sv tier__normalize_id(tier__sv id)
{
    const char *p = id.p;
    size_t n = id.n;
    while (n && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    /* "17850.0", "17850.000", "17850." -> "17850": an integer id that went through a float
     * column (spreadsheets, pandas). Anything else is kept as written. */
    size_t k = n;
    while (k && p[k - 1] == '0')
        k--;
    if (k && p[k - 1] == '.' && k - 1 > 0) {
        size_t dot = k - 1, i = 0;
        if (p[0] == '-' || p[0] == '+')
            i = 1;
        if (i < dot) {
            for (; i < dot; i++)
                if ((unsigned)(p[i] - '0') > 9)
                    break;
            if (i == dot)
                n = dot;
        }
    }
    tier__sv out = { p, n };
    return out;
}

/* ---- plan: which field feeds what ---------------------------------------------------------- */

typedef struct plan {
    const char *path;
    char delim;
    int join;             /* customer attribute file: id and attributes only */
    int skip;             /* TIER_BAD_ROWS_SKIP */
    size_t max_messages;
    size_t n_fields;      /* fields every row must have */
    size_t id, time, amount, qty, price, order; /* field indexes, NONE if unused */
    const char *id_name, *time_name, *amount_name, *qty_name, *price_name;
    size_t n_cat, n_num;
    size_t cat[MAX_ATTRIBUTES], num[MAX_ATTRIBUTES];
    const char *cat_names[MAX_ATTRIBUTES], *num_names[MAX_ATTRIBUTES];
    int has_fmt;
    tier__timefmt fmt;
    int quick;            /* plain rows may take take_plain_row (see there) */
} plan;

/* The header (or, without one, the first record's field count). */
typedef struct header {
    size_t n_fields;
    char **names;       /* n_fields NUL-terminated names; NULL without a header */
    uint64_t lines;     /* physical lines before the first data record */
    size_t skip_bytes;  /* bytes before the first data record (BOM, blank lines, header) */
    int empty;          /* no record at all */
} header;

static void header_free(const tier__alloc *a, header *h)
{
    if (h->names) {
        for (size_t i = 0; i < h->n_fields; i++)
            tier__free(a, h->names[i]);
        tier__free(a, h->names);
    }
    memset(h, 0, sizeof *h);
}

/* Resolves a column reference: a header name or "#N". */
static int resolve(size_t *index, const char **display, const header *h, const char *ref,
                   const char *role, const char *path)
{
    if (!ref || !*ref)
        return tier__error(TIER_EINVAL, "%s: the %s column name is empty", path, role);
    if (ref[0] == '#' && ref[1]) {
        char *end;
        unsigned long long k = strtoull(ref + 1, &end, 10);
        if (*end == '\0' && ref[1] >= '0' && ref[1] <= '9') {
            if (k < 1 || k > h->n_fields)
                return tier__error(TIER_ENOTFOUND,
                                   "%s: %s column '%s' is out of range (the rows have %zu "
                                   "fields; positions start at #1)", path, role, ref,
                                   h->n_fields);
            *index = (size_t)(k - 1);
            *display = h->names ? h->names[*index] : ref;
            return TIER_OK;
        }
    }
    if (!h->names)
        return tier__error(TIER_ENOTFOUND,
                           "%s: %s column '%s' cannot be found: the file has no header, so "
                           "columns are named by position ('#1', '#2', ...)", path, role, ref);
    for (size_t i = 0; i < h->n_fields; i++) {
        if (strcmp(h->names[i], ref) == 0) {
            *index = i;
            *display = h->names[i];
            return TIER_OK;
        }
    }
    long best = tier__closest(ref, (const char *const *)h->names, h->n_fields);
    if (best >= 0)
        return tier__error(TIER_ENOTFOUND, "%s: no %s column '%s' in the header (did you mean "
                           "'%s'?)", path, role, ref, h->names[best]);
    char list[256];
    size_t k = 0;
    list[0] = '\0';
    for (size_t i = 0; i < h->n_fields && k + 8 < sizeof list; i++) {
        int w = snprintf(list + k, sizeof list - k, "%s'%s'", i ? ", " : "", h->names[i]);
        if (w < 0 || (size_t)w >= sizeof list - k) {
            snprintf(list + k, sizeof list - k, ", ...");
            break;
        }
        k += (size_t)w;
    }
    return tier__error(TIER_ENOTFOUND, "%s: no %s column '%s' in the header (columns: %s)",
                       path, role, ref, list);
}

static int make_plan(plan *pl, const header *h, const tier_csv_options *o, const char *path,
                     int join)
{
    memset(pl, 0, sizeof *pl);
    pl->path = path;
    pl->delim = o->delimiter;
    pl->join = join;
    pl->skip = o->bad_rows == TIER_BAD_ROWS_SKIP;
    pl->max_messages = o->max_messages;
    pl->n_fields = h->n_fields;
    pl->id = pl->time = pl->amount = pl->qty = pl->price = pl->order = NONE;
    pl->n_cat = o->n_categorical_columns;
    pl->n_num = o->n_numeric_columns;
    if (o->time_format && !join) {
        const char *why;
        if (tier__timefmt_compile(&pl->fmt, &why, o->time_format) != 0)
            return tier__error(TIER_EINVAL, "time format '%s': %s", o->time_format, why);
        pl->has_fmt = 1;
    }
    if (h->empty) {
        /* No rows to read: keep the attribute names so the columns still get created. */
        for (size_t k = 0; k < pl->n_cat; k++)
            pl->cat_names[k] = o->categorical_columns[k];
        for (size_t k = 0; k < pl->n_num; k++)
            pl->num_names[k] = o->numeric_columns[k];
        return TIER_OK;
    }
    int rc;
    if ((rc = resolve(&pl->id, &pl->id_name, h, o->customer_column, "customer id", path)))
        return rc;
    if (!join) {
        if ((rc = resolve(&pl->time, &pl->time_name, h, o->time_column, "time", path)))
            return rc;
        if (o->quantity_column) {
            if ((rc = resolve(&pl->qty, &pl->qty_name, h, o->quantity_column, "quantity", path)) ||
                (rc = resolve(&pl->price, &pl->price_name, h, o->price_column, "unit price", path)))
                return rc;
        } else if ((rc = resolve(&pl->amount, &pl->amount_name, h, o->amount_column, "amount",
                                 path))) {
            return rc;
        }
        const char *unused;
        if (o->order_column &&
            (rc = resolve(&pl->order, &unused, h, o->order_column, "order id", path)))
            return rc;
    }
    for (size_t k = 0; k < pl->n_cat; k++)
        if ((rc = resolve(&pl->cat[k], &pl->cat_names[k], h, o->categorical_columns[k],
                          "categorical", path)))
            return rc;
    for (size_t k = 0; k < pl->n_num; k++)
        if ((rc = resolve(&pl->num[k], &pl->num_names[k], h, o->numeric_columns[k], "numeric",
                          path)))
            return rc;
    pl->quick = !join && pl->n_cat == 0 && pl->n_num == 0 && pl->qty == NONE && !pl->has_fmt;
    return TIER_OK;
}

static int check_options(const tier_csv_options *o, int join)
{
    if (o->version == 0 || o->version > TIER_CSV_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_csv_options: version %u is not supported (this "
                           "library knows versions 1..%d; use TIER_CSV_OPTIONS_INIT)",
                           o->version, TIER_CSV_OPTIONS_VERSION);
    char d = o->delimiter;
    if (d == '"' || d == '\r' || d == '\n' || d == '\0')
        return tier__error(TIER_EINVAL, "tier_csv_options: the delimiter cannot be a quote, a "
                           "line end or NUL");
    if (!o->customer_column)
        return tier__error(TIER_EINVAL, "tier_csv_options: customer_column is NULL");
    if ((o->n_categorical_columns && !o->categorical_columns) ||
        (o->n_numeric_columns && !o->numeric_columns))
        return tier__error(TIER_EINVAL, "tier_csv_options: attribute column list is NULL but "
                           "its count is not 0");
    if (o->n_categorical_columns > MAX_ATTRIBUTES || o->n_numeric_columns > MAX_ATTRIBUTES)
        return tier__error(TIER_EINVAL, "tier_csv_options: at most %d categorical and %d "
                           "numeric attribute columns", MAX_ATTRIBUTES, MAX_ATTRIBUTES);
    for (size_t k = 0; k < o->n_categorical_columns; k++)
        if (!o->categorical_columns[k])
            return tier__error(TIER_EINVAL, "tier_csv_options: categorical_columns[%zu] is NULL", k);
    for (size_t k = 0; k < o->n_numeric_columns; k++)
        if (!o->numeric_columns[k])
            return tier__error(TIER_EINVAL, "tier_csv_options: numeric_columns[%zu] is NULL", k);
    if (o->bad_rows != TIER_BAD_ROWS_STRICT && o->bad_rows != TIER_BAD_ROWS_SKIP)
        return tier__error(TIER_EINVAL, "tier_csv_options: bad_rows must be "
                           "TIER_BAD_ROWS_STRICT or TIER_BAD_ROWS_SKIP");
    if (join)
        return TIER_OK;
    if (!o->time_column)
        return tier__error(TIER_EINVAL, "tier_csv_options: time_column is NULL");
    if (o->quantity_column && !o->price_column)
        return tier__error(TIER_EINVAL, "tier_csv_options: quantity_column needs price_column "
                           "(amount = quantity x unit price)");
    if (!o->quantity_column && !o->amount_column)
        return tier__error(TIER_EINVAL, "tier_csv_options: set amount_column, or "
                           "quantity_column and price_column");
    if (o->time_format) {
        tier__timefmt f;
        const char *why;
        if (tier__timefmt_compile(&f, &why, o->time_format) != 0)
            return tier__error(TIER_EINVAL, "tier_csv_options: time format '%s': %s",
                               o->time_format, why);
    }
    return TIER_OK;
}

/* ---- per-chunk parsing --------------------------------------------------------------------- */

/* Scratch memory for unescaped fields: blocks that never move, reused after each batch. */
typedef struct arena_block {
    struct arena_block *next;
    size_t cap, used;
    char data[];
} arena_block;

typedef struct arena {
    const tier__alloc *alloc;
    arena_block *head, *cur;
} arena;

static char *arena_take(arena *a, size_t n)
{
    arena_block *b = a->cur;
    while (b && b->cap - b->used < n)
        b = b->next;
    if (!b) {
        size_t cap = n > 65536 ? n : 65536;
        b = tier__malloc(a->alloc, sizeof *b + cap);
        if (!b)
            return NULL;
        b->cap = cap;
        b->used = 0;
        b->next = NULL;
        if (a->cur) {
            b->next = a->cur->next;
            a->cur->next = b;
        } else {
            a->head = b;
        }
    }
    a->cur = b;
    char *p = b->data + b->used;
    b->used += n;
    return p;
}

/* Empties the arena, keeping its blocks. */
static void arena_reset(arena *a)
{
    for (arena_block *b = a->head; b; b = b->next)
        b->used = 0;
    a->cur = a->head;
}

static void arena_free(arena *a)
{
    arena_block *b = a->head;
    while (b) {
        arena_block *next = b->next;
        tier__free(a->alloc, b);
        b = next;
    }
    a->head = a->cur = NULL;
}

/* A kept bad-row message; `line` is relative to the chunk's first line until absorbed. */
typedef struct msg {
    uint64_t line;
    size_t col;
    char *text;
} msg;

typedef struct chunk {
    const char *p, *end;       /* [p, end); p == NULL: no such chunk */
    uint64_t lines;            /* line ends in the chunk */
    uint64_t rows, used, no_id, bad;
    msg *msgs;
    size_t n_msgs, cap_msgs;
    int status;                /* first failure, TIER_OK if none */
    msg err;                   /* its message; for TIER_EPARSE a bad row (line relative) */
    struct work *w;            /* the parsed rows, until absorbed */
    int ready;                 /* parsed (or given up), waiting for its absorb turn */
} chunk;

struct loader;

/* Per-task parsing state: one record's fields and the chunk's rows. Ids and attributes are
 * columns by row; a transaction's record goes straight to its partition's run, which is what
 * the dataset aggregates (a join has ids and attributes only). */
typedef struct work {
    const plan *pl;
    struct loader *L;
    const tier__alloc *alloc;
    tier__sv *f;
    unsigned char *esc;
    size_t n, cap;             /* rows taken, capacity */
    tier__sv *ids;             /* for a join only: a transaction's record holds its id */
    int64_t *times;            /* only with attribute columns: the latest value wins */
    tier__sv last_id;          /* the id of the last row taken, and its hash: the lines of an */
    uint64_t last_id_hash;     /* order repeat the id */
    tier__sv last_time_text;   /* the time field of the last row taken, and its value: the */
    int64_t last_time;         /* lines of one order repeat it */
    tier__date_memo date_memo; /* and the orders of a day repeat the date */
    tier__order_memo order_memo;
    int purchase_open;         /* the last record written is a purchase line with an order
                                  id, which the next lines of that purchase may join */
    tier__rec *run[TIER__PARTS];  /* run_mem[p].data: a record per cache line */
    tier__aligned run_mem[TIER__PARTS];
    size_t run_n[TIER__PARTS], run_cap[TIER__PARTS];
    int64_t min_time, max_time;
    tier__sv *cat[MAX_ATTRIBUTES];
    double *num[MAX_ATTRIBUTES];
    arena scratch;
    int whole;                 /* work_init succeeded: every array exists, it may be reused */
    struct work *next_spare;   /* in the loader's list of works to reuse */
} work;

typedef struct loader {
    const plan *pl;
    const tier_csv_options *opts;
    const tier__alloc *alloc;
    tier_dataset *like;        /* the target: the accumulator copies its settings */
    tier__input *in;
    tier_csv_report *rep;

    /* the current window */
    const char *win_start, *win_end;
    int win_eof;
    chunk *chunks;
    size_t n_slots;
    size_t known;              /* chunks[0 .. known) have a decided start */
    size_t n_chunks;           /* the window's chunks (the first slot without one), or NONE */
    size_t absorbed;           /* chunks of this window added (or skipped) so far, in order */
    int absorbing;             /* a task holds the absorb turn */
    size_t ahead;              /* chunks parsed ahead of the absorbed ones, at most */
    atomic_size_t fail;        /* lowest failing chunk of this window, NONE if none */
    atomic_int cancelled;
    const char *resume;        /* where the next window starts */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    tier__help_desk desk;      /* the adding's partition tasks, offered to held-back parsers */

    /* across windows */
    tier_dataset *acc;         /* the rows of every chunk added so far */
    uint64_t line;             /* physical line number of the next chunk's first line */
    int status;                /* the load's failure */
    char *message;             /* its message (re-raised on the calling thread) */
    pthread_t caller;
    uint64_t progress_done;
    /* Works of absorbed chunks, kept for the next chunks (under mu): a chunk's arrays are
     * tens of MB, and fresh ones for every chunk were page faults for every chunk, which
     * two threads also take in turns on the process's page-table lock. */
    work *spare;
} loader;

static const char *show(char *buf, size_t size, tier__sv v)
{
    size_t n = v.n < size - 4 ? v.n : size - 4;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v.p[i];
        buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (n < v.n) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

/* Records a failure that is not a bad row (out of memory, a dataset error). */
static int chunk_fail(work *w, chunk *c, int status, const char *text)
{
    if (c->status)
        return c->status;
    c->status = status;
    c->err.text = tier__strdup(w->alloc, text);
    return status;
}

/* A bad row: counted, kept as a message, and in strict mode the end of the chunk. */
static int bad_row(work *w, chunk *c, uint64_t line, size_t col, const char *fmt, ...)
    TIER_PRINTF(5, 6);

static int bad_row(work *w, chunk *c, uint64_t line, size_t col, const char *fmt, ...)
{
    char text[MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    c->bad++;
    if (!w->pl->skip) {
        c->status = TIER_EPARSE;
        c->err.line = line;
        c->err.col = col;
        c->err.text = tier__strdup(w->alloc, text);
        if (!c->err.text) {
            c->status = TIER_ENOMEM;
            return TIER_ENOMEM;
        }
        return TIER_EPARSE;
    }
    if (c->n_msgs >= w->pl->max_messages)
        return TIER_OK;
    void *msgs = c->msgs;
    char *t = tier__strdup(w->alloc, text);
    if (!t || tier__grow(w->alloc, &msgs, &c->cap_msgs, c->n_msgs + 1, sizeof(msg))) {
        tier__free(w->alloc, t);
        return chunk_fail(w, c, TIER_ENOMEM, "out of memory");
    }
    c->msgs = msgs;
    c->msgs[c->n_msgs].line = line;
    c->msgs[c->n_msgs].col = col;
    c->msgs[c->n_msgs].text = t;
    c->n_msgs++;
    return TIER_OK;
}

/* Unescapes a field that held doubled quotes into the work's scratch arena. */
static int unescaped(work *w, tier__sv *v)
{
    char *d = arena_take(&w->scratch, v->n ? v->n : 1);
    if (!d)
        return TIER_ENOMEM;
    v->n = tier__csv_unescape(d, *v);
    v->p = d;
    return TIER_OK;
}

/* Field k of the current record, unescaped if it held doubled quotes. Inline: a row reads
 * three or four fields, and almost none of them is escaped. */
static inline int field(work *w, size_t k, tier__sv *out)
{
    /* Member by member: the row's views were just stored that way, and one 16-byte load of
     * two 8-byte stores cannot be forwarded from them (it waited for the stores to retire,
     * measured as a sixth of take_row's time). */
    const char *p = w->f[k].p;
#if defined(__GNUC__)
    __asm__("" : "+r"(p)); /* keeps the compiler from fusing the two loads */
#endif
    out->p = p;
    out->n = w->f[k].n;
    return w->esc[k] ? unescaped(w, out) : TIER_OK;
}

/* Empties a work for a new chunk: no rows, no row remembered from before, empty runs. Its
 * arrays stay as they are. */
static void work_empty(work *w)
{
    w->n = 0;
    w->last_id.p = NULL;
    w->last_id.n = 0;
    w->last_id_hash = 0;
    w->last_time_text.p = NULL;
    w->last_time_text.n = 0;
    w->last_time = 0;
    memset(&w->date_memo, 0, sizeof w->date_memo);
    memset(&w->order_memo, 0, sizeof w->order_memo);
    w->purchase_open = 0;
    memset(w->run_n, 0, sizeof w->run_n);
    w->min_time = INT64_MAX;
    w->max_time = INT64_MIN;
    arena_reset(&w->scratch);
}

/* An uninitialised array (every entry is written before it is read). */
static void *array(const tier__alloc *a, size_t n, size_t elem)
{
    size_t bytes;
    return tier__mul_size(&bytes, n, elem) ? NULL : tier__malloc(a, bytes);
}

static int work_init(work *w, loader *L, size_t cap)
{
    const plan *pl = L->pl;
    memset(w, 0, sizeof *w);
    w->pl = pl;
    w->L = L;
    w->alloc = L->alloc;
    w->scratch.alloc = L->alloc;
    w->cap = cap;
    size_t nf = pl->n_fields ? pl->n_fields : 1;
    w->f = tier__malloc(w->alloc, nf * sizeof *w->f);
    w->esc = tier__malloc(w->alloc, nf);
    int ok = w->f && w->esc;
    if (pl->join)
        ok &= (w->ids = array(w->alloc, cap, sizeof *w->ids)) != NULL;
    if (!pl->join && (pl->n_cat || pl->n_num))
        ok &= (w->times = array(w->alloc, cap, sizeof *w->times)) != NULL;
    work_empty(w);
    /* runs sized for rows spread evenly over the partitions, with room for chance */
    for (size_t p = 0; p < TIER__PARTS && !pl->join; p++) {
        w->run_cap[p] = cap / TIER__PARTS + cap / (4 * TIER__PARTS) + 16;
        ok &= tier__aligned_resize(w->alloc, &w->run_mem[p], w->run_cap[p] * sizeof(tier__rec), 0) == TIER_OK;
        w->run[p] = w->run_mem[p].data;
    }
    for (size_t k = 0; k < pl->n_cat; k++)
        ok &= (w->cat[k] = array(w->alloc, cap, sizeof(tier__sv))) != NULL;
    for (size_t k = 0; k < pl->n_num; k++)
        ok &= (w->num[k] = array(w->alloc, cap, sizeof(double))) != NULL;
    w->whole = ok;
    return ok ? TIER_OK : TIER_ENOMEM;
}

static void work_free(work *w)
{
    const tier__alloc *a = w->alloc;
    if (!a)
        return;
    tier__free(a, w->f);
    tier__free(a, w->esc);
    tier__free(a, w->ids);
    tier__free(a, w->times);
    for (size_t p = 0; p < TIER__PARTS; p++)
        tier__aligned_free(a, &w->run_mem[p]);
    for (size_t k = 0; k < MAX_ATTRIBUTES; k++) {
        tier__free(a, w->cat[k]);
        tier__free(a, w->num[k]);
    }
    arena_free(&w->scratch);
}

/* Doubles the capacity: a chunk (or, for a join, the whole file) is kept as one batch. */
static int work_grow(work *w)
{
    size_t cap = w->cap * 2, bytes;
    void *p;
    if (tier__mul_size(&bytes, cap, sizeof(tier__sv)) != 0)
        return TIER_ENOMEM;
#define GROW(field, elem)                                                                      \
    do {                                                                                       \
        p = tier__realloc(w->alloc, w->field, cap * (elem));                                   \
        if (!p)                                                                                \
            return TIER_ENOMEM;                                                                \
        w->field = p;                                                                          \
    } while (0)
    if (w->ids)
        GROW(ids, sizeof(tier__sv));
    if (w->times)
        GROW(times, sizeof(int64_t));
    for (size_t k = 0; k < w->pl->n_cat; k++)
        GROW(cat[k], sizeof(tier__sv));
    for (size_t k = 0; k < w->pl->n_num; k++)
        GROW(num[k], sizeof(double));
#undef GROW
    w->cap = cap;
    return TIER_OK;
}

static void batch_of(tier__batch *b, const work *w)
{
    const plan *pl = w->pl;
    memset(b, 0, sizeof *b);
    b->n = w->n;
    b->ids = w->ids;
    if (!pl->join) {
        b->runs = (const tier__rec *const *)w->run;
        b->run_n = w->run_n;
        b->min_time = w->min_time;
        b->max_time = w->max_time;
        b->times = w->times;
    }
    b->n_cat = pl->n_cat;
    b->cat_names = pl->cat_names;
    b->cat_values = (const tier__sv *const *)w->cat;
    b->n_num = pl->n_num;
    b->num_names = pl->num_names;
    b->num_values = (const double *const *)w->num;
}

/* Parses one number field for the row; returns 0 or the bad-row status. */
static int number(work *w, chunk *c, uint64_t line, size_t k, const char *name, double *out,
                  int empty_is_nan)
{
    tier__sv v;
    if (field(w, k, &v))
        return chunk_fail(w, c, TIER_ENOMEM, "out of memory");
    tier__num_status s = tier__parse_double(out, v.p, v.n);
    if (s == TIER__NUM_OK)
        return TIER_OK;
    if (s == TIER__NUM_EMPTY && empty_is_nan) {
        *out = NAN;
        return TIER_OK;
    }
    char sb[SHOW_MAX + 4];
    if (s == TIER__NUM_EMPTY)
        return bad_row(w, c, line, k + 1, "%s is empty", name) ? -1 : 1;
    return bad_row(w, c, line, k + 1, "%s '%s' %s", name, show(sb, sizeof sb, v),
                   tier__num_status_str(s)) ? -1 : 1;
}

/* Room for one more record in partition p's run. */
TIER__ALWAYS_INLINE tier__rec *run_push(work *w, size_t p)
{
    if (w->run_n[p] == w->run_cap[p]) {
        size_t cap = w->run_cap[p] * 2, bytes;
        if (tier__mul_size(&bytes, cap, sizeof(tier__rec)) ||
            tier__aligned_resize(w->alloc, &w->run_mem[p], bytes, w->run_n[p] * sizeof(tier__rec)))
            return NULL;
        w->run[p] = w->run_mem[p].data;
        w->run_cap[p] = cap;
    }
    tier__rec *r = &w->run[p][w->run_n[p]++];
#if defined(__GNUC__)
    /* The run's next records are new cache lines, not in cache: without a prefetch for
     * writing, every record's first store waits for its line and stores back up behind it.
     * A partition takes a row every ~64 rows, so two records ahead is plenty of notice. */
    if (w->run_n[p] + 2 < w->run_cap[p])
        __builtin_prefetch(r + 2, 1);
#endif
    return r;
}

/* The value of a row's time field: the last row's when the text repeats it (the lines of one
 * order do), else parsed (and remembered). Returns 0; 1 when the text is not a time (*why
 * says why); 2 when it is outside years 0..9999. */
static inline int time_value(work *w, tier__sv tv, int64_t *t, const char **why)
{
    if (w->last_time_text.p && tier__sv_equal(tv, w->last_time_text)) {
        *t = w->last_time;
        return 0;
    }
    const plan *pl = w->pl;
    if (pl->has_fmt ? tier__parse_time_fmt(t, why, &pl->fmt, tv.p, tv.n)
                    : tier__parse_time_memo(&w->date_memo, t, why, tv.p, tv.n))
        return 1;
    if (*t < TIME_MIN || *t > TIME_MAX)
        return 2;
    w->last_time_text = tv;
    w->last_time = *t;
    return 0;
}

/* The transaction fields of a row: time, amount (or quantity x price), order id. Returns
 * TIER_OK, 1 for a bad row (counted) or a status that ends the chunk. */
static int transaction(work *w, chunk *c, uint64_t line, int64_t *time, double *amount, tier__sv *order)
{
    const plan *pl = w->pl;
    char sb[SHOW_MAX + 4];
    tier__sv tv;
    if (field(w, pl->time, &tv))
        return chunk_fail(w, c, TIER_ENOMEM, "out of memory");
    int64_t t;
    const char *why;
    const int bad = time_value(w, tv, &t, &why);
    if (bad == 1)
        return bad_row(w, c, line, pl->time + 1, "%s '%s': %s", pl->time_name,
                       show(sb, sizeof sb, tv), why) ? c->status : 1;
    if (bad == 2)
        return bad_row(w, c, line, pl->time + 1, "%s '%s' is outside years 0..9999",
                       pl->time_name, show(sb, sizeof sb, tv)) ? c->status : 1;
    *time = t;
    double a;
    int r;
    if (pl->qty != NONE) {
        double q, pr;
        if ((r = number(w, c, line, pl->qty, pl->qty_name, &q, 0)) != 0 ||
            (r = number(w, c, line, pl->price, pl->price_name, &pr, 0)) != 0)
            return r < 0 ? c->status : 1;
        a = q * pr;
        if (!isfinite(a))
            return bad_row(w, c, line, pl->qty + 1, "amount %s x %s overflows", pl->qty_name,
                           pl->price_name) ? c->status : 1;
    } else if ((r = number(w, c, line, pl->amount, pl->amount_name, &a, 0)) != 0) {
        return r < 0 ? c->status : 1;
    }
    *amount = a;
    order->p = NULL;
    order->n = 0;
    if (pl->order != NONE && field(w, pl->order, order))
        return chunk_fail(w, c, TIER_ENOMEM, "out of memory");
    return TIER_OK;
}

/* Whether an id is already in normal form (tier__normalize_id would return it as it is): no
 * blank at either end, and no ".0" tail possible. The usual id, checked without a call. */
static inline int id_is_normal(tier__sv id)
{
    if (id.n == 0)
        return 0;
    const char first = id.p[0], last = id.p[id.n - 1];
    return first != ' ' && first != '\t' && last != ' ' && last != '\t' && last != '0' &&
           last != '.';
}

/* Whether [p, p + n) holds a NUL byte: word loads for the usual short id, memchr beyond. */
static inline int has_nul(const char *p, size_t n)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    if (n >= 8 && n <= 16) {
        uint64_t a, b;
        memcpy(&a, p, 8);
        memcpy(&b, p + n - 8, 8);
        return (((a - ones) & ~a) | ((b - ones) & ~b)) & highs ? 1 : 0;
    }
    if (n >= 4 && n < 8) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        return (((a - (uint32_t)ones) & ~a) | ((b - (uint32_t)ones) & ~b)) & (uint32_t)highs ? 1 : 0;
    }
    return memchr(p, '\0', n) != NULL;
}

/* Counts a row taken into the batch (its columns are written). */
TIER__ALWAYS_INLINE int row_taken(work *w, chunk *c)
{
    w->n++;
    c->used++;
    if (w->n == w->cap && work_grow(w))
        return chunk_fail(w, c, TIER_ENOMEM, "out of memory");
    return TIER_OK;
}

/* Whether a row continues the purchase whose record was written last, and may only add its
 * amount to that record (tier__rec): the same customer, order and time, both amounts above 0.
 * Asked when the id is the last row's and w->purchase_open: the record is a purchase line of
 * the order in the memo. (A batch with attribute columns keeps every row: their values are
 * taken row by row.) */
TIER__ALWAYS_INLINE int continues_purchase(const work *w, const tier__rec *last, int64_t t,
                                           double amount, tier__sv order)
{
    return amount > 0 && last->time == t && order.n && tier__sv_equal(order, w->order_memo.id);
}

/* Writes a transaction's record into its partition's run and takes the row. The id is
 * normal, non-empty and NUL-free; it is hashed here, while it is in cache. */
TIER__ALWAYS_INLINE int push_transaction(work *w, chunk *c, tier__sv id, int64_t t, double amount,
                                        tier__sv order)
{
    const size_t i = w->n;
    const int same_id = w->last_id.p && tier__sv_equal(id, w->last_id);
    const uint64_t h = same_id ? w->last_id_hash : tier__hash_bytes(id.p, id.n);
    const size_t part = tier__part_of(h);
    if (same_id && w->purchase_open) { /* then the run's last record is the open purchase */
        tier__rec *last = &w->run[part][w->run_n[part] - 1];
        if (continues_purchase(w, last, t, amount, order)) {
            tier__dd_add(&last->amount, &last->amount_lo, amount);
            return row_taken(w, c);
        }
    }
    tier__rec *r = run_push(w, part);
    if (!r)
        return chunk_fail(w, c, TIER_ENOMEM, "out of memory");
    tier__rec_id(r, id, h, i);
    r->time = t;
    r->amount = amount;
    r->amount_lo = 0.0;
    tier__rec_order(r, &w->order_memo, order, amount);
    w->purchase_open = !w->times && r->order_hash && amount > 0;
    w->last_id = id;
    w->last_id_hash = h;
    if (w->times)
        w->times[i] = t;
    w->min_time = t < w->min_time ? t : w->min_time;
    w->max_time = t > w->max_time ? t : w->max_time;
    return row_taken(w, c);
}

/* Field k of a plain row that tier__csv_plain_record split (field k ends at ends[k]). */
static inline tier__sv plain_field(const char *row, const char *const *ends, size_t k)
{
    const char *p = k ? ends[k - 1] + 1 : row;
    tier__sv v = { p, (size_t)(ends[k] - p) };
    return v;
}

/* The fast path for a plain row (tier__csv_plain_record split it: field k ends at ends[k])
 * of a plan that allows it (plan.quick: a transaction log without attribute columns, an
 * amount column, times in the automatic formats): the fields are converted straight from
 * the row, with no field table in between. Returns 1 when the row was taken (or ended the
 * chunk: c->status), 0 when it must take the general path, having changed nothing that
 * path would not: a row with no id, or any field that does not convert (the general path
 * counts it, or words the message). */
static int take_plain_row(work *w, chunk *c, const char *row, const char *const *ends)
{
    const plan *pl = w->pl;
    tier__sv id = plain_field(row, ends, pl->id);
    if (!id_is_normal(id)) /* as take_row does (a tenth of numeric ids end in 0) */
        id = tier__normalize_id(id);
    if (id.n == 0 || has_nul(id.p, id.n))
        return 0;
    int64_t t;
    const char *why;
    if (time_value(w, plain_field(row, ends, pl->time), &t, &why))
        return 0;
    const tier__sv av = plain_field(row, ends, pl->amount);
    double amount;
    if (tier__parse_double(&amount, av.p, av.n) != TIER__NUM_OK)
        return 0;
    const tier__sv none = { NULL, 0 };
    const tier__sv order = pl->order != NONE ? plain_field(row, ends, pl->order) : none;
    push_transaction(w, c, id, t, amount, order);
    return 1;
}

/* Converts the tokenized record into a batch row. Returns TIER_OK (row taken, skipped or
 * counted as bad) or a status that ends the chunk. */
static int take_row(work *w, chunk *c, uint64_t line)
{
    const plan *pl = w->pl;
    tier__sv id;
    if (field(w, pl->id, &id))
        return chunk_fail(w, c, TIER_ENOMEM, "out of memory");
    if (!id_is_normal(id))
        id = tier__normalize_id(id);
    if (id.n == 0) {
        c->no_id++;
        return TIER_OK;
    }
    if (has_nul(id.p, id.n))
        return bad_row(w, c, line, pl->id + 1, "customer id contains a NUL byte");
    const size_t i = w->n;
    int64_t t = 0;
    double amount = 0.0;
    tier__sv order = { NULL, 0 };
    if (!pl->join) {
        int r = transaction(w, c, line, &t, &amount, &order);
        if (r)
            return r == 1 ? TIER_OK : r;
    }
    for (size_t k = 0; k < pl->n_cat; k++) {
        tier__sv v;
        if (field(w, pl->cat[k], &v))
            return chunk_fail(w, c, TIER_ENOMEM, "out of memory");
        if (v.n == 0) {
            v.p = NULL; /* missing */
        } else if (memchr(v.p, '\0', v.n)) {
            return bad_row(w, c, line, pl->cat[k] + 1, "%s contains a NUL byte",
                           pl->cat_names[k]);
        }
        w->cat[k][i] = v;
    }
    for (size_t k = 0; k < pl->n_num; k++) {
        int r = number(w, c, line, pl->num[k], pl->num_names[k], &w->num[k][i], 1);
        if (r)
            return r < 0 ? c->status : TIER_OK;
    }
    if (!pl->join)
        return push_transaction(w, c, id, t, amount, order);
    w->ids[i] = id;
    return row_taken(w, c);
}

static int stopped(loader *L, size_t i)
{
    return atomic_load(&L->cancelled) || i > atomic_load(&L->fail);
}

/* Parses [c->p, c->end). Stops early in strict mode at the first bad row. */
static void parse_chunk(work *w, chunk *c, size_t index)
{
    const plan *pl = w->pl;
    tier__csv_tok tok;
    tier__csv_tok_init(&tok, c->p, c->end, pl->delim);
    const char *p = c->p;
    uint64_t line = 0; /* line of the current record, relative to the chunk */
    unsigned since_check = 0;
    const char *ends[PLAIN_FIELDS_MAX];
    const int plain = pl->n_fields <= PLAIN_FIELDS_MAX;
    int escaped = 1; /* w->esc may hold flags of a quoted field */
    while (p < c->end) {
        const char *next = plain ? tier__csv_plain_record(&tok, p, ends, pl->n_fields) : NULL;
        if (next) {
            c->rows++;
            if (pl->quick && take_plain_row(w, c, p, ends)) {
                if (c->status)
                    return;
            } else { /* the plain row's fields, for take_row */
                if (escaped) {
                    memset(w->esc, 0, pl->n_fields);
                    escaped = 0;
                }
                for (size_t k = 0; k < pl->n_fields; k++)
                    w->f[k] = plain_field(p, ends, k);
                if (take_row(w, c, line))
                    return;
            }
            line++;
            p = next;
            if (++since_check == BATCH_ROWS) {
                since_check = 0;
                if (stopped(w->L, index))
                    return;
            }
            continue;
        }
        escaped = 1;
        tier__csv_record rec;
        tier__csv_status s = tier__csv_record_next(&tok, p, &next, w->f, w->esc, pl->n_fields,
                                                   &rec);
        if (s != TIER__CSV_OK) {
            c->rows++;
            /* Resume on the line after the one where the problem is (for an unterminated
             * quote: the line after the opening quote). */
            const char *nl = memchr(rec.err_at, '\n', (size_t)(c->end - rec.err_at));
            next = nl ? nl + 1 : c->end;
            const char *why = tier__csv_status_str(s);
            if (bad_row(w, c, line, rec.err_field + 1, "%s", why))
                return;
            line += tier__csv_count_lines(p, next);
            p = next;
            tier__csv_tok_init(&tok, p, c->end, pl->delim);
            continue;
        }
        if (rec.n_fields == 0) { /* blank line */
            line += rec.lines;
            p = next;
            continue;
        }
        c->rows++;
        int rc;
        if (rec.n_fields != pl->n_fields) {
            size_t col = (rec.n_fields < pl->n_fields ? rec.n_fields : pl->n_fields) + 1;
            rc = bad_row(w, c, line, col, "row has %zu field%s, expected %zu%s", rec.n_fields,
                         rec.n_fields == 1 ? "" : "s", pl->n_fields,
                         rec.terminated ? "" : " (the file ends in the middle of a row)");
        } else {
            rc = take_row(w, c, line);
        }
        if (rc)
            return;
        line += rec.lines;
        p = next;
        if (++since_check == BATCH_ROWS) {
            since_check = 0;
            if (stopped(w->L, index))
                return;
        }
    }
    c->lines = line;
}

/* ---- the ordered pipeline ------------------------------------------------------------------ */

static void lock(loader *L) { pthread_mutex_lock(&L->mu); }
static void unlock(loader *L) { pthread_mutex_unlock(&L->mu); }

/* A work from the spares, emptied; NULL if there is none. */
static work *spare_take(loader *L)
{
    lock(L);
    work *w = L->spare;
    if (w)
        L->spare = w->next_spare;
    unlock(L);
    if (w) {
        work_empty(w);
        w->next_spare = NULL;
    }
    return w;
}

/* Gives a chunk's rows back to the spares once they are absorbed (or given up); a work
 * whose arrays could not all be allocated is freed instead. */
static void chunk_free_rows(loader *L, chunk *c)
{
    work *w = c->w;
    c->w = NULL;
    if (w && !w->whole) {
        work_free(w);
        tier__free(L->alloc, w);
    } else if (w) {
        lock(L);
        w->next_spare = L->spare;
        L->spare = w;
        unlock(L);
    }
}

static void spares_free(loader *L)
{
    while (L->spare) {
        work *w = L->spare;
        L->spare = w->next_spare;
        work_free(w);
        tier__free(L->alloc, w);
    }
}

static void chunk_clear(loader *L, chunk *c)
{
    const tier__alloc *a = L->alloc;
    chunk_free_rows(L, c);
    for (size_t k = 0; k < c->n_msgs; k++)
        tier__free(a, c->msgs[k].text);
    tier__free(a, c->msgs);
    tier__free(a, c->err.text);
    memset(c, 0, sizeof *c);
}

static void set_failure(loader *L, int status, const char *message)
{
    if (L->status)
        return;
    L->status = status;
    L->message = tier__strdup(L->alloc, message ? message : tier_status_str(status));
}

static int report_progress(loader *L, uint64_t done)
{
    const tier_csv_options *o = L->opts;
    if (!o->progress)
        return 0;
    uint64_t total = L->in->file_size;
    if (done > total && total)
        done = total;
    if (done < L->progress_done)
        done = L->progress_done;
    L->progress_done = done;
    if (o->progress(o->progress_user, done, total) != 0) {
        atomic_store(&L->cancelled, 1);
        return 1;
    }
    return 0;
}

/* Bytes of the file done once the window is processed up to `upto`. */
static uint64_t done_at(const loader *L, const char *upto)
{
    if (L->in->gzip || !L->in->file_size)
        return L->in->raw_read; /* compressed bytes read so far */
    return L->in->offset + (uint64_t)(upto - L->win_start);
}

/* The rows expected after chunk c, which gave w: the bytes left in the file at the chunk's
 * rows per byte; 0 when the length is unknown (gzip, pipes). The dataset reserves room for
 * them (tier__batch.rows_after). */
static size_t rows_after(const loader *L, const chunk *c, const work *w)
{
    const uint64_t total = L->in->file_size, done = done_at(L, c->end);
    if (L->in->gzip || !total || done >= total || c->end <= c->p)
        return 0;
    double rows = (double)(total - done) / (double)(c->end - c->p) * (double)w->n;
    return rows < (double)(SIZE_MAX / 4) ? (size_t)rows : SIZE_MAX / 4;
}

/* Runs on the task holding the absorb turn: at most one at a time, in chunk order. */
static void absorb_chunk(loader *L, chunk *c, size_t index, const work *w)
{
    tier_csv_report *r = L->rep;
    r->counts[TIER_CSV_ROWS] += c->rows;
    r->counts[TIER_CSV_ROWS_NO_CUSTOMER] += c->no_id;
    r->counts[TIER_CSV_ROWS_BAD] += c->bad;
    if (!L->pl->join)
        r->counts[TIER_CSV_ROWS_USED] += c->used;
    for (size_t k = 0; k < c->n_msgs; k++)
        if (report_add(r, L->pl->path, L->line + c->msgs[k].line, c->msgs[k].col,
                       c->msgs[k].text)) {
            set_failure(L, TIER_ENOMEM, "out of memory");
            atomic_store(&L->fail, index);
            return;
        }
    if (c->status) {
        if (c->status == TIER_EPARSE) {
            char buf[MSG_MAX + 300];
            snprintf(buf, sizeof buf, "%s:%llu:%zu: %s", L->pl->path,
                     (unsigned long long)(L->line + c->err.line), c->err.col, c->err.text);
            report_add(r, L->pl->path, L->line + c->err.line, c->err.col, c->err.text);
            set_failure(L, TIER_EPARSE, buf);
        } else {
            set_failure(L, c->status, c->err.text);
        }
        return;
    }
    if (w && w->n) {
        int rc = L->acc ? TIER_OK : tier__dataset_new_like(&L->acc, L->like);
        if (rc == TIER_OK) {
            tier__batch b;
            batch_of(&b, w);
            /* The adding runs on this thread, and on the pool's threads that have no chunk to
             * parse: those held back by the parse-ahead bound, and, once every chunk is
             * parsed, all the others; they take its partitions at the desk. A thread started
             * for it would take turns with the parsing ones on the same cores (measured: 3-4%
             * slower at 2 threads). */
            b.threads = 1;
            b.desk = &L->desk;
            b.rows_after = rows_after(L, c, w);
            rc = tier__dataset_add_batch(L->acc, &b);
        }
        if (rc) {
            set_failure(L, rc, tier_last_error());
            atomic_store(&L->fail, index);
            return;
        }
    }
    L->line += c->lines;
    if (!L->pl->join)
        tier__input_release(L->in, c->end);
    if (pthread_equal(pthread_self(), L->caller))
        report_progress(L, done_at(L, c->end));
}

static void mark_failed(loader *L, size_t index)
{
    lock(L);
    if (index < atomic_load(&L->fail))
        atomic_store(&L->fail, index);
    pthread_cond_broadcast(&L->cv);
    unlock(L);
}

/* Absorbs chunk j (skipped after a failure or a cancel) and frees its rows; returns the next
 * chunk if it is parsed already (the turn goes on), else NONE (the turn is given up). */
static size_t absorb_turn(loader *L, size_t j)
{
    chunk *c = &L->chunks[j];
    if (!atomic_load(&L->cancelled) && j <= atomic_load(&L->fail))
        absorb_chunk(L, c, j, c->w);
    chunk_free_rows(L, c);
    lock(L);
    L->absorbed = j + 1;
    size_t next = NONE;
    if (j + 1 < L->n_slots && L->chunks[j + 1].ready)
        next = j + 1;
    else
        L->absorbing = 0;
    pthread_cond_broadcast(&L->cv);
    unlock(L);
    return next;
}

/* Rows a new parse buffer is sized for: a typical row is ~40 bytes, and buffers are reused
 * from chunk to chunk, so one made for a small first chunk is sized for a full one (its
 * untouched capacity costs no memory). They grow if the rows are shorter. */
static size_t work_rows(const loader *L, const char *p, const char *e)
{
    size_t bytes = (size_t)(e - p);
    if ((size_t)(L->win_end - L->win_start) > CHUNK_BYTES && bytes < CHUNK_BYTES)
        bytes = CHUNK_BYTES;
    return bytes / 40 + 1024;
}

/* The target size of chunk i of a window. The first chunks are smaller: the second task
 * can start only once the first chunk's end is found, and the adding only once it is parsed,
 * so a small first chunk has every thread busy sooner (the start of a 2-thread load had one
 * busy for its first ~8 MB). Depends on i only, so every run cuts a file the same way. */
static size_t chunk_target(size_t i)
{
    return i < RAMP_CHUNKS ? CHUNK_BYTES >> (RAMP_CHUNKS - i) : CHUNK_BYTES;
}

static int chunk_task(void *ctx, size_t i)
{
    loader *L = ctx;
    chunk *c = &L->chunks[i];

    /* 1. Learn where this chunk starts, find where it ends, tell the next task. The chunk
     *    that ends the chain (end of window, or a chunk the window cuts short) records where
     *    the next window resumes. */
    lock(L);
    while (L->known <= i && !stopped(L, i))
        pthread_cond_wait(&L->cv, &L->mu);
    const char *p = stopped(L, i) ? NULL : c->p;
    unlock(L);
    const char *e = p ? tier__csv_chunk_end(p, L->win_end, chunk_target(i), L->win_eof) : NULL;
    lock(L);
    const char *next = NULL;
    if (p && !e) { /* the window ends inside this chunk: it goes to the next window */
        L->resume = p;
        p = NULL;
    } else if (p && e == L->win_end) {
        L->resume = e;
    } else if (p) {
        next = e;
    }
    if (i + 1 < L->n_slots)
        L->chunks[i + 1].p = next;
    L->known = i + 2;
    c->p = p;
    c->end = e;
    if (!p && i < L->n_chunks)
        L->n_chunks = i;
    pthread_cond_broadcast(&L->cv);
    if (!p) {
        /* No chunk here: every chunk of the window is parsed or being parsed. Rather than
         * leave its core idle while the last chunks are added one by one, the thread helps
         * add them (the adding offers its partitions at the desk) until the last is added. */
        while (L->absorbed < L->n_chunks && !atomic_load(&L->cancelled) &&
               atomic_load(&L->fail) == NONE)
            if (!tier__help_desk_help(&L->desk))
                pthread_cond_wait(&L->cv, &L->mu);
        unlock(L);
        return 0;
    }
    unlock(L);

    /* 2. Parse it into partition runs and columns of views (work_rows sizes them).
     *    Parsing runs at most `ahead` chunks in front of the absorbed ones, which bounds the
     *    memory held by parsed rows. */
    lock(L);
    while (i > L->absorbed + L->ahead && !stopped(L, i))
        if (!tier__help_desk_help(&L->desk)) /* rather than idle: add partitions of the chunk */
            pthread_cond_wait(&L->cv, &L->mu); /* being added (at 2 threads, 4-8% of the time) */
    unlock(L);
    work *w = c->w = spare_take(L);
    int ready = w != NULL;
    if (!w) {
        w = c->w = tier__calloc(L->alloc, 1, sizeof *w);
        if (!w)
            c->status = TIER_ENOMEM; /* reported as "out of memory" */
        else if (work_init(w, L, work_rows(L, p, e)))
            chunk_fail(w, c, TIER_ENOMEM, "out of memory");
        else
            ready = 1;
    }
    if (ready)
        parse_chunk(w, c, i);
    if (c->status)
        mark_failed(L, i);

    /* 3. Add the parsed chunks to the accumulator, in chunk order: whichever task finds the
     *    next chunk to absorb parsed takes the turn and keeps it while the chunks after it are
     *    parsed too. No task waits for its turn: it goes on to parse another chunk. */
    lock(L);
    c->ready = 1;
    size_t j = NONE;
    if (!L->absorbing && L->absorbed == i) {
        L->absorbing = 1;
        j = i;
    }
    unlock(L);
    while (j != NONE)
        j = absorb_turn(L, j);
    return 0;
}

/* Parses the current window [win_start, win_end) with the task pipeline. */
static int run_window(loader *L, unsigned threads)
{
    size_t len = (size_t)(L->win_end - L->win_start);
    L->n_slots = len / CHUNK_BYTES + RAMP_CHUNKS + 2; /* the ramp adds at most RAMP_CHUNKS */
    L->chunks = tier__calloc(L->alloc, L->n_slots, sizeof(chunk));
    if (!L->chunks) {
        set_failure(L, TIER_ENOMEM, "out of memory");
        return TIER_ENOMEM;
    }
    L->chunks[0].p = L->win_start;
    L->known = 1;
    L->absorbed = 0;
    L->n_chunks = NONE;
    L->absorbing = 0;
    /* bounded by the threads that run: the setting may be 0 (every core), and a bound of 0
     * would parse no chunk before the ones ahead of it are added. One chunk ahead per
     * thread is as fast as two (measured at 2 threads) and holds ~20 MB less per thread. */
    const unsigned running = tier__threads(threads, L->n_slots);
    L->ahead = (size_t)running;
    L->resume = L->win_start;
    atomic_store(&L->fail, NONE);
    tier__parallel_for(running, L->n_slots, chunk_task, L);
    for (size_t i = 0; i < L->n_slots; i++)
        chunk_clear(L, &L->chunks[i]);
    tier__free(L->alloc, L->chunks);
    L->chunks = NULL;
    if (L->status)
        return L->status;
    if (atomic_load(&L->cancelled))
        return TIER_ECANCELLED;
    return TIER_OK;
}

/* ---- header ------------------------------------------------------------------------------ */

static int input_tick(void *ctx, const tier__input *in)
{
    loader *L = ctx;
    (void)in;
    return report_progress(L, L->in->raw_read);
}

/* Reads the first record (the header, or the first data row without one) from the window,
 * extending the window until it holds the whole record. */
static int read_header(header *h, loader *L, int has_header)
{
    tier__input *in = L->in;
    const char *path = L->pl->path;
    memset(h, 0, sizeof *h);
    for (;;) {
        int rc = tier__input_fill(in, in->len + 65536, input_tick, L);
        if (rc)
            return rc;
        const char *start = in->data, *end = in->data + in->len;
        const char *p = start;
        if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
            p += 3;
        tier__csv_tok tok;
        tier__csv_tok_init(&tok, p, end, L->pl->delim);
        uint64_t lines = 0;
        tier__csv_record rec;
        const char *next = p;
        tier__csv_status s = TIER__CSV_OK;
        rec.n_fields = 0;
        rec.terminated = 0;
        while (p < end) {
            s = tier__csv_record_next(&tok, p, &next, NULL, NULL, 0, &rec);
            if (s != TIER__CSV_OK || rec.n_fields > 0)
                break;
            lines += rec.lines;
            p = next;
        }
        /* More input can only help a record that is cut by the end of the window. */
        int complete = in->eof || (s != TIER__CSV_OK && s != TIER__CSV_UNTERMINATED) ||
                       (s == TIER__CSV_OK && rec.n_fields > 0 && rec.terminated);
        if (!complete) {
            if (in->len >= ((size_t)1 << 30))
                return tier__error(TIER_EPARSE, "%s:%llu: the first record is longer than 1 GiB",
                                   path, (unsigned long long)lines + 1);
            rc = tier__input_fill(in, in->len * 2 + 65536, input_tick, L);
            if (rc)
                return rc;
            continue;
        }
        if (s != TIER__CSV_OK)
            return tier__error(TIER_EPARSE, "%s:%llu:%zu: %s%s", path,
                               (unsigned long long)lines + 1, rec.err_field + 1,
                               has_header ? "in the header: " : "", tier__csv_status_str(s));
        if (p >= end || rec.n_fields == 0) {
            h->empty = 1;
            h->lines = lines;
            h->skip_bytes = (size_t)(end - start);
            return TIER_OK;
        }
        h->n_fields = rec.n_fields;
        if (!has_header) {
            h->lines = lines;
            h->skip_bytes = (size_t)(p - start);
            return TIER_OK;
        }
        /* Tokenize again, keeping the views, and copy the names. */
        tier__sv *f = tier__calloc(L->alloc, rec.n_fields, sizeof *f);
        unsigned char *esc = tier__calloc(L->alloc, rec.n_fields, 1);
        h->names = tier__calloc(L->alloc, rec.n_fields, sizeof(char *));
        if (!f || !esc || !h->names) {
            tier__free(L->alloc, f);
            tier__free(L->alloc, esc);
            return tier__oom();
        }
        tier__csv_tok_init(&tok, p, end, L->pl->delim);
        tier__csv_record_next(&tok, p, &next, f, esc, rec.n_fields, &rec);
        rc = TIER_OK;
        for (size_t k = 0; k < rec.n_fields && rc == TIER_OK; k++) {
            char *name = tier__malloc(L->alloc, f[k].n + 1);
            if (!name) {
                rc = tier__oom();
                break;
            }
            size_t n = esc[k] ? tier__csv_unescape(name, f[k]) : f[k].n;
            if (!esc[k])
                memcpy(name, f[k].p, n);
            name[n] = '\0';
            h->names[k] = name;
        }
        tier__free(L->alloc, f);
        tier__free(L->alloc, esc);
        h->lines = lines + rec.lines;
        h->skip_bytes = (size_t)(next - start);
        return rc;
    }
}

/* ---- entry points -------------------------------------------------------------------------- */

static void loader_init(loader *L, const plan *pl, const tier_csv_options *o,
                        const tier__alloc *alloc, tier_dataset *like, tier__input *in,
                        tier_csv_report *rep)
{
    memset(L, 0, sizeof *L);
    L->pl = pl;
    L->opts = o;
    L->alloc = alloc;
    L->like = like;
    L->in = in;
    L->rep = rep;
    atomic_init(&L->fail, NONE);
    atomic_init(&L->cancelled, 0);
    pthread_mutex_init(&L->mu, NULL);
    pthread_cond_init(&L->cv, NULL);
    L->desk.mu = &L->mu;
    L->desk.cv = &L->cv;
    L->desk.offer = NULL;
    L->caller = pthread_self();
}

static void loader_free(loader *L)
{
    spares_free(L);
    tier_dataset_free(L->acc);
    tier__free(L->alloc, L->message);
    pthread_mutex_destroy(&L->mu);
    pthread_cond_destroy(&L->cv);
}

/* Re-raises a failure recorded on any thread as this thread's last error. */
static int raise_failure(loader *L)
{
    return tier__error(L->status, "%s", L->message ? L->message : tier_status_str(L->status));
}

static const tier_csv_options *options_or_default(const tier_csv_options *opts,
                                                  tier_csv_options *defaults)
{
    if (opts)
        return opts;
    tier_csv_options d = TIER_CSV_OPTIONS_INIT;
    *defaults = d;
    return defaults;
}

/* Opens the file, reads the header and builds the plan. */
static int open_and_plan(loader *L, plan *pl, header *h, const tier_csv_options *o,
                         const char *path, int join)
{
    int rc = tier__input_open(L->in, L->alloc, path);
    if (rc)
        return rc;
    if (report_progress(L, 0))
        return tier__error(TIER_ECANCELLED, "%s: cancelled by the progress callback", path);
    pl->path = path;
    pl->delim = o->delimiter;
    rc = read_header(h, L, o->has_header != 0);
    if (rc) {
        if (rc == TIER_ECANCELLED || atomic_load(&L->cancelled))
            return tier__error(TIER_ECANCELLED, "%s: cancelled by the progress callback", path);
        return rc;
    }
    if (h->empty && o->has_header)
        return tier__error(TIER_EEMPTY, "%s: the file is empty (a header line was expected)",
                           path);
    rc = make_plan(pl, h, o, path, join);
    if (rc)
        return rc;
    L->line = 1 + h->lines;
    tier__input_consume(L->in, h->skip_bytes);
    return TIER_OK;
}

/* An empty batch: creates the attribute columns even when no row was taken. */
static int create_columns(tier_dataset *ds, const plan *pl, int join)
{
    tier__batch b;
    memset(&b, 0, sizeof b);
    b.n_cat = pl->n_cat;
    b.cat_names = pl->cat_names;
    b.n_num = pl->n_num;
    b.num_names = pl->num_names;
    if (join) {
        size_t unmatched = 0;
        return tier__dataset_join_batch(&unmatched, ds, &b);
    }
    return tier__dataset_add_batch(ds, &b);
}

static int add_csv(loader *L, tier_dataset *ds, const tier_csv_options *o, const char *path)
{
    plan pl;
    header h;
    memset(&h, 0, sizeof h);
    memset(&pl, 0, sizeof pl);
    L->pl = &pl;
    int rc = open_and_plan(L, &pl, &h, o, path, 0);
    const tier__alloc *alloc = L->alloc;
    if (rc)
        goto done;
    unsigned threads = o->n_threads ? o->n_threads : tier__dataset_threads(ds);
    size_t want = WINDOW_BYTES;
    while (!h.empty) {
        rc = tier__input_fill(L->in, want, input_tick, L);
        if (rc) {
            if (atomic_load(&L->cancelled))
                rc = tier__error(TIER_ECANCELLED, "%s: cancelled by the progress callback", path);
            goto done;
        }
        L->win_start = L->in->data;
        L->win_end = L->in->data + L->in->len;
        L->win_eof = L->in->eof;
        rc = run_window(L, threads);
        if (rc) {
            /* every other failure was recorded in L (a status of 0 there would turn this
             * failure into success) */
            rc = rc == TIER_ECANCELLED
                     ? tier__error(TIER_ECANCELLED, "%s: cancelled by the progress callback", path)
                     : L->status ? raise_failure(L) : tier__error(rc, "%s: %s", path, tier_status_str(rc));
            goto done;
        }
        if (L->win_eof)
            break;
        size_t used = (size_t)(L->resume - L->win_start);
        tier__input_consume(L->in, used);
        if (report_progress(L, L->in->raw_read)) {
            rc = tier__error(TIER_ECANCELLED, "%s: cancelled by the progress callback", path);
            goto done;
        }
        /* No complete chunk fitted (a huge row): read more before trying again. */
        want = used ? WINDOW_BYTES : L->in->len * 2 + CHUNK_BYTES;
    }
    L->rep->counts[TIER_CSV_BYTES] = L->in->offset + L->in->len;
    if (!L->acc) {
        rc = tier__dataset_new_like(&L->acc, ds);
        if (rc)
            goto done;
    }
    rc = create_columns(L->acc, &pl, 0);
    if (rc)
        goto done;
    /* Last chance to cancel before the dataset changes. */
    if (report_progress(L, L->in->file_size)) {
        rc = tier__error(TIER_ECANCELLED, "%s: cancelled by the progress callback", path);
        goto done;
    }
    tier_dataset *acc = L->acc;
    L->acc = NULL;
    rc = tier__dataset_absorb(ds, acc);
done:
    header_free(alloc, &h);
    return rc;
}

static int begin(tier_csv_report **report, tier_csv_report **rep, tier_dataset *ds,
                 const char *path, const tier_csv_options **o, tier_csv_options *defaults,
                 int join, const char *fn)
{
    if (report)
        *report = NULL;
    if (!ds || !path)
        return tier__error(TIER_EINVAL, "%s: %s is NULL", fn, ds ? "path" : "ds");
    *o = options_or_default(*o, defaults);
    int rc = check_options(*o, join);
    if (rc)
        return rc;
    *rep = report_new(tier__dataset_alloc(ds), (*o)->max_messages);
    return *rep ? TIER_OK : tier__oom();
}

static void end(tier_csv_report **report, tier_csv_report *rep)
{
    if (report)
        *report = rep;
    else
        tier_csv_report_free(rep);
}

int tier_dataset_add_csv(tier_csv_report **report, tier_dataset *ds, const char *path,
                         const tier_csv_options *opts)
{
    tier_csv_options defaults;
    tier_csv_report *rep = NULL;
    int rc = begin(report, &rep, ds, path, &opts, &defaults, 0, "tier_dataset_add_csv");
    if (rc)
        return rc;
    tier__input in;
    loader L;
    loader_init(&L, NULL, opts, tier__dataset_alloc(ds), ds, &in, rep);
    rc = add_csv(&L, ds, opts, path);
    loader_free(&L);
    tier__input_close(&in);
    end(report, rep);
    return rc;
}

int tier_dataset_load_csv(tier_dataset **out, tier_csv_report **report, const char *path,
                          const tier_csv_options *opts)
{
    if (report)
        *report = NULL;
    if (!out)
        return tier__error(TIER_EINVAL, "tier_dataset_load_csv: out is NULL");
    *out = NULL;
    tier_csv_options defaults;
    opts = options_or_default(opts, &defaults);
    if (opts->version == 0 || opts->version > TIER_CSV_OPTIONS_VERSION)
        return check_options(opts, 0);
    tier_dataset_options dopts = TIER_DATASET_OPTIONS_INIT;
    dopts.allocator = opts->allocator;
    dopts.n_threads = opts->n_threads;
    tier_dataset *ds;
    int rc = tier_dataset_new(&ds, &dopts);
    if (rc)
        return rc;
    rc = tier_dataset_add_csv(report, ds, path, opts);
    if (rc == TIER_OK) {
        rc = tier_dataset_compute_features(ds, opts->as_of);
        if (rc == TIER_EEMPTY)
            tier__error_prefix(path);
    }
    if (rc) {
        tier_dataset_free(ds);
        return rc;
    }
    *out = ds;
    return TIER_OK;
}

int tier_dataset_join_csv(tier_csv_report **report, tier_dataset *ds, const char *path,
                          const tier_csv_options *opts)
{
    tier_csv_options defaults;
    tier_csv_report *rep = NULL;
    int rc = begin(report, &rep, ds, path, &opts, &defaults, 1, "tier_dataset_join_csv");
    if (rc)
        return rc;
    tier__input in;
    loader L;
    plan pl;
    header h;
    memset(&h, 0, sizeof h);
    memset(&pl, 0, sizeof pl);
    loader_init(&L, &pl, opts, tier__dataset_alloc(ds), ds, &in, rep);
    work w;
    memset(&w, 0, sizeof w);
    rc = open_and_plan(&L, &pl, &h, opts, path, 1);
    /* A customer file is small: read it whole and parse it on this thread, keeping every
     * row in one batch, and join only when all rows were read. */
    while (rc == TIER_OK && !in.eof)
        rc = tier__input_fill(&in, in.len * 2 + WINDOW_BYTES, input_tick, &L);
    if (rc == TIER_OK)
        rc = work_init(&w, &L, BATCH_ROWS) ? tier__oom() : TIER_OK;
    if (rc == TIER_OK && !h.empty) {
        chunk c;
        memset(&c, 0, sizeof c);
        c.p = in.data;
        c.end = in.data + in.len;
        L.win_start = c.p;
        parse_chunk(&w, &c, 0);
        absorb_chunk(&L, &c, 0, NULL);
        chunk_clear(&L, &c);
        if (L.status)
            rc = raise_failure(&L);
    }
    if (rc == TIER_OK && report_progress(&L, in.file_size))
        rc = tier__error(TIER_ECANCELLED, "%s: cancelled by the progress callback", path);
    if (rc == TIER_OK) {
        rep->counts[TIER_CSV_BYTES] = in.offset + in.len;
        tier__batch b;
        batch_of(&b, &w);
        size_t unmatched = 0;
        rc = tier__dataset_join_batch(&unmatched, ds, &b);
        rep->counts[TIER_CSV_ROWS_UNMATCHED] = unmatched;
        rep->counts[TIER_CSV_ROWS_USED] = w.n - unmatched;
    }
    work_free(&w);
    header_free(L.alloc, &h);
    loader_free(&L);
    tier__input_close(&in);
    end(report, rep);
    return rc;
}
