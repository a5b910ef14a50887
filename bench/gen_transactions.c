/* gen_transactions: a fast, reproducible generator of a synthetic transaction log (CSV).
 *
 *   gen_transactions [--customers N] [--rows M] [--seed S] [--out FILE]
 *
 * Writes `customer_id,order_id,time,amount` with exactly min(N, M) customers and exactly M rows.
 * The same arguments give a byte-identical file on any platform: every random choice comes from
 * one xoshiro256** stream seeded with splitmix64, and only integer arithmetic and exactly
 * rounded IEEE operations (+, *) are used — no libm, no rand(), no locale-dependent printf.
 *
 * Shape of the data (loosely modelled on the UCI Online Retail log):
 * - every customer has a first order at an acquisition instant spread over ~2 years; further
 *   orders go to customers with a skewed (half uniform, half square-law) popularity, at times
 *   uniform between the customer's acquisition and the end of the window;
 * - an order has 1..16 lines (1 + geometric), consecutive rows sharing order id and time;
 *   order ids are invoice numbers increasing with time;
 * - line amount = quantity × unit price from a fixed catalogue of 256 prices with skewed
 *   popularity; about 2% of rows are negative (return orders, and discount lines inside
 *   purchases) and a few are 0.00 (free items);
 * - times are business-hour weighted, written `YYYY-MM-DD HH:MM:SS` (UTC).
 *
 * A file is written to FILE.tmp and renamed at the end, so FILE never exists half-written.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- random numbers: splitmix64 seeds xoshiro256** (Blackman & Vigna) ---- */

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform integer in [0, n), n > 0. The modulo bias is below 2^-32 for the n used here. */
static uint64_t rng_below(rng *r, uint64_t n)
{
    return rng_next(r) % n;
}

/* Uniform double in [0, 1) with 53 random bits: exact, hence portable. */
static double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* 1 + Geometric(1/2), capped: P(k) = 2^-k. Counts trailing one bits of a random word. */
static unsigned rng_geom(rng *r, unsigned cap)
{
    uint64_t x = rng_next(r);
    unsigned k = 1;
    while ((x & 1) && k < cap) {
        k++;
        x >>= 1;
    }
    return k;
}

/* True with probability num / 1,000,000. */
static int rng_ppm(rng *r, unsigned num)
{
    return rng_below(r, 1000000) < num;
}

/* ---- calendar ---- */

/* Days since 1970-01-01 → civil date (H. Hinnant's days_from_civil inverse). */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned dd = doy - (153 * mp + 2) / 5 + 1;
    unsigned mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

#define WINDOW_START INT64_C(1640995200) /* 2022-01-01 00:00:00 UTC */
#define WINDOW_DAYS 730                  /* two years */

/* Relative weight of each hour of the day: quiet nights, busy late mornings and evenings. */
static const unsigned hour_weight[24] = {
    1, 1, 1, 1, 1, 2, 4, 8, 14, 20, 24, 26, 26, 24, 22, 22, 22, 24, 26, 24, 18, 12, 6, 3,
};

static unsigned hour_weight_total(void)
{
    unsigned t = 0;
    for (int h = 0; h < 24; h++)
        t += hour_weight[h];
    return t;
}

/* A random second of the day, business-hour weighted. */
static int64_t random_time_of_day(rng *r, unsigned total_weight)
{
    unsigned x = (unsigned)rng_below(r, total_weight);
    int h = 0;
    while (x >= hour_weight[h]) {
        x -= hour_weight[h];
        h++;
    }
    return (int64_t)h * 3600 + (int64_t)rng_below(r, 3600);
}

/* ---- orders ---- */

enum { ORDER_PURCHASE = 0, ORDER_RETURN = 1 };
#define MAX_LINES 16

typedef struct order {
    int64_t time;     /* seconds since the epoch */
    uint32_t cust;    /* customer index (0..n_customers-1), mapped to a shuffled id on output */
    uint32_t seq;     /* creation order: makes the sort total, hence reproducible */
    uint16_t n_lines;
    uint8_t kind;
} order;

static int order_cmp(const void *a, const void *b)
{
    const order *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

typedef struct plan {
    order *orders;
    size_t n_orders, cap_orders;
    uint64_t n_customers, n_rows;
} plan;

static int plan_push(plan *p, order o)
{
    if (p->n_orders == p->cap_orders) {
        size_t cap = p->cap_orders ? p->cap_orders * 2 : 1024;
        order *n = realloc(p->orders, cap * sizeof *n);
        if (!n)
            return -1;
        p->orders = n;
        p->cap_orders = cap;
    }
    o.seq = (uint32_t)p->n_orders;
    p->orders[p->n_orders++] = o;
    return 0;
}

/* Decides every order (customer, time, line count, kind) so that rows add up to exactly
 * n_rows, then sorts them by time. Amounts are drawn later, line by line, in output order. */
static int make_plan(plan *p, rng *r, uint64_t n_customers, uint64_t n_rows)
{
    unsigned tw = hour_weight_total();
    uint64_t rows_left = n_rows;
    if (n_customers > n_rows)
        n_customers = n_rows;
    p->n_customers = n_customers;
    p->n_rows = n_rows;

    /* Acquisition day of each customer: uniform over the first 90% of the window, so every
     * customer has some time left to come back. */
    uint16_t *first_day = malloc((size_t)(n_customers ? n_customers : 1) * sizeof *first_day);
    if (!first_day)
        return -1;

    for (uint64_t c = 0; c < n_customers; c++) {
        uint64_t must_keep = n_customers - c - 1; /* one row for each customer still to come */
        unsigned lines = rng_geom(r, MAX_LINES);
        if (lines > rows_left - must_keep)
            lines = (unsigned)(rows_left - must_keep);
        first_day[c] = (uint16_t)rng_below(r, WINDOW_DAYS * 9 / 10);
        order o = { WINDOW_START + (int64_t)first_day[c] * 86400 + random_time_of_day(r, tw),
                    (uint32_t)c, 0, (uint16_t)lines,
                    /* a few customers only ever appear with a return (bought before the log) */
                    (uint8_t)(rng_ppm(r, 5000) ? ORDER_RETURN : ORDER_PURCHASE) };
        if (plan_push(p, o) != 0)
            goto fail;
        rows_left -= lines;
    }

    while (rows_left > 0) {
        /* Skewed popularity: half the repeat orders go to a uniform customer, half follow a
         * square law (the top 1% of customers get ~10% of those). */
        uint64_t c;
        if (rng_next(r) & 1) {
            c = rng_below(r, n_customers);
        } else {
            double u = rng_unit(r);
            c = (uint64_t)(u * u * (double)n_customers);
            if (c >= n_customers)
                c = n_customers - 1;
        }
        unsigned lines = rng_geom(r, MAX_LINES);
        if (lines > rows_left)
            lines = (unsigned)rows_left;
        int64_t day = first_day[c] + (int64_t)rng_below(r, WINDOW_DAYS - first_day[c]);
        order o = { WINDOW_START + day * 86400 + random_time_of_day(r, tw), (uint32_t)c, 0,
                    (uint16_t)lines,
                    (uint8_t)(rng_ppm(r, 36000) ? ORDER_RETURN : ORDER_PURCHASE) };
        if (plan_push(p, o) != 0)
            goto fail;
        rows_left -= lines;
    }
    free(first_day);
    qsort(p->orders, p->n_orders, sizeof *p->orders, order_cmp);
    return 0;
fail:
    free(first_day);
    return -1;
}

/* ---- output ---- */

typedef struct out {
    FILE *f;
    char buf[1 << 20];
    size_t n;
    uint64_t bytes;
    int failed;
} out;

static void out_flush(out *o)
{
    if (o->n && fwrite(o->buf, 1, o->n, o->f) != o->n)
        o->failed = 1;
    o->bytes += o->n;
    o->n = 0;
}

/* Ensures room for one row (a row is well under 128 bytes). */
static char *out_reserve(out *o)
{
    if (o->n > sizeof o->buf - 128)
        out_flush(o);
    return o->buf + o->n;
}

static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

/* "YYYY-MM-DD HH:MM:SS" */
static char *put_time(char *p, int64_t t)
{
    int64_t days = t / 86400, sod = t % 86400;
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    p = put_2(p, (unsigned)y / 100);
    p = put_2(p, (unsigned)y % 100);
    *p++ = '-';
    p = put_2(p, (unsigned)m);
    *p++ = '-';
    p = put_2(p, (unsigned)d);
    *p++ = ' ';
    p = put_2(p, (unsigned)(sod / 3600));
    *p++ = ':';
    p = put_2(p, (unsigned)(sod / 60 % 60));
    *p++ = ':';
    return put_2(p, (unsigned)(sod % 60));
}

/* Cents as "[-]I.FF". */
static char *put_cents(char *p, int64_t cents)
{
    if (cents < 0) {
        *p++ = '-';
        cents = -cents;
    }
    p = put_u64(p, (uint64_t)cents / 100);
    *p++ = '.';
    return put_2(p, (unsigned)(cents % 100));
}

/* ---- amounts ---- */

#define N_PRICES 256

/* A catalogue of unit prices from 0.29 upwards, ~2.7% apart, snapped to retail endings. */
static void make_catalogue(int64_t *price)
{
    int64_t x = 2900; /* hundredths of a cent, so the growth is smooth */
    for (int k = 0; k < N_PRICES; k++) {
        int64_t cents = x / 100;
        if (cents >= 100)
            cents = cents - cents % 50 + 45 + (k & 1) * 4; /* …x.45 / …x.49, …x.95 / …x.99 */
        price[k] = cents;
        x = x * 1027 / 1000;
    }
}

/* One line's amount in cents, positive for a purchase. Cheap items are popular. */
static int64_t line_cents(rng *r, const int64_t *price)
{
    double u = rng_unit(r);
    unsigned k = (unsigned)((u * u + u) * (N_PRICES / 2));
    unsigned qty = rng_geom(r, 12);
    if (rng_ppm(r, 80000))
        qty *= 12; /* bulk line: a dozen packs */
    return (int64_t)qty * price[k];
}

static int write_rows(out *o, const plan *p, rng *r)
{
    int64_t price[N_PRICES];
    make_catalogue(price);

    /* Customer ids 1..N in a shuffled order, so ids say nothing about activity. */
    uint64_t n = p->n_customers;
    uint32_t *id = malloc((size_t)(n ? n : 1) * sizeof *id);
    if (!id)
        return -1;
    for (uint64_t i = 0; i < n; i++)
        id[i] = (uint32_t)(i + 1);
    for (uint64_t i = n; i > 1; i--) {
        uint64_t j = rng_below(r, i);
        uint32_t t = id[i - 1];
        id[i - 1] = id[j];
        id[j] = t;
    }

    static const char header[] = "customer_id,order_id,time,amount\n";
    memcpy(out_reserve(o), header, sizeof header - 1);
    o->n += sizeof header - 1;

    for (size_t i = 0; i < p->n_orders; i++) {
        const order *od = &p->orders[i];
        /* Format the shared prefix "customer,order,time," once per order. */
        char prefix[96], *q = prefix;
        q = put_u64(q, id[od->cust]);
        *q++ = ',';
        q = put_u64(q, 1000000 + (uint64_t)i);
        *q++ = ',';
        q = put_time(q, od->time);
        *q++ = ',';
        size_t plen = (size_t)(q - prefix);

        for (unsigned l = 0; l < od->n_lines; l++) {
            int64_t cents = line_cents(r, price);
            if (od->kind == ORDER_RETURN)
                cents = -cents;
            else if (rng_ppm(r, 2000))
                cents = 0; /* free item */
            else if (rng_ppm(r, 2500))
                cents = -(cents / 10 + 1); /* discount / correction line */
            char *w = out_reserve(o);
            memcpy(w, prefix, plen);
            w = put_cents(w + plen, cents);
            *w++ = '\n';
            o->n = (size_t)(w - o->buf);
        }
    }
    out_flush(o);
    free(id);
    return o->failed ? -1 : 0;
}

/* ---- command line ---- */

static void usage(FILE *f)
{
    fputs("usage: gen_transactions [--customers N] [--rows M] [--seed S] [--out FILE]\n"
          "  --customers N  distinct customers (default 1000000; at most M)\n"
          "  --rows M       data rows (default 4000000)\n"
          "  --seed S       random seed (default 20240601)\n"
          "  --out FILE     output file (default: standard output); written to FILE.tmp and\n"
          "                 renamed when complete\n",
          f);
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return -1;
    *v = x;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t n_customers = 1000000, n_rows = 4000000, seed = 20240601;
    const char *path = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "gen_transactions: %s needs a value\n", a);
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        int bad = 0;
        if (!strcmp(a, "--customers"))
            bad = parse_u64(v, &n_customers) || n_customers == 0 || n_customers > UINT32_MAX;
        else if (!strcmp(a, "--rows"))
            bad = parse_u64(v, &n_rows) || n_rows == 0;
        else if (!strcmp(a, "--seed"))
            bad = parse_u64(v, &seed);
        else if (!strcmp(a, "--out"))
            path = v;
        else {
            fprintf(stderr, "gen_transactions: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "gen_transactions: bad value '%s' for %s\n", v, a);
            return 2;
        }
    }

    rng r;
    rng_seed(&r, seed);
    plan p = { 0 };
    if (make_plan(&p, &r, n_customers, n_rows) != 0) {
        fprintf(stderr, "gen_transactions: out of memory\n");
        return 1;
    }

    static out o;
    char *tmp = NULL;
    if (path && strcmp(path, "-") != 0) {
        size_t len = strlen(path);
        tmp = malloc(len + 5);
        if (!tmp)
            return 1;
        memcpy(tmp, path, len);
        memcpy(tmp + len, ".tmp", 5);
        o.f = fopen(tmp, "wb");
        if (!o.f) {
            fprintf(stderr, "gen_transactions: cannot write %s: %s\n", tmp, strerror(errno));
            return 1;
        }
    } else {
        o.f = stdout;
    }

    int rc = write_rows(&o, &p, &r);
    if (o.f != stdout && fclose(o.f) != 0)
        rc = -1;
    else if (o.f == stdout && fflush(stdout) != 0)
        rc = -1;
    if (rc != 0) {
        fprintf(stderr, "gen_transactions: write failed: %s\n", strerror(errno));
        if (tmp)
            remove(tmp);
        return 1;
    }
    if (tmp && rename(tmp, path) != 0) {
        fprintf(stderr, "gen_transactions: cannot rename %s to %s: %s\n", tmp, path,
                strerror(errno));
        return 1;
    }
    fprintf(stderr, "gen_transactions: %llu customers, %llu orders, %llu rows, %llu bytes%s%s\n",
            (unsigned long long)p.n_customers, (unsigned long long)p.n_orders,
            (unsigned long long)p.n_rows, (unsigned long long)o.bytes, path ? " -> " : "",
            path ? path : "");
    free(p.orders);
    free(tmp);
    return 0;
}
