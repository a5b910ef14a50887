/* tier_assignment on disk: save/load through the binfile format (magic "TIERASGN"), and the
 * audit trail as CSV. A loaded assignment is checked field by field, so a file that passes
 * the checksum but holds impossible values (a tier out of range, a repeated id) is still
 * rejected as corrupt instead of crashing a later evaluation. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal/assignment.h"
#include "internal/binfile.h"
#include "internal/error.h"

static const char MAGIC[8] = {'T', 'I', 'E', 'R', 'A', 'S', 'G', 'N'};
#define FORMAT_VERSION 1
#define MAX_GRACE 1000000

static void put_strtab(tier__wbuf *w, const tier__strtab *t)
{
    tier__wbuf_u64(w, t->n);
    for (size_t i = 0; i < t->n; i++)
        tier__wbuf_str(w, tier__strtab_get(t, i));
}

int tier_assignment_save(const tier_assignment *a, const char *path)
{
    if (!a || !path)
        return tier__error(TIER_EINVAL, "tier_assignment_save: NULL argument");
    tier__wbuf w;
    tier__wbuf_init(&w, &a->alloc);
    tier__wbuf_i64(&w, a->time);
    tier__wbuf_u32(&w, a->grace_policy);
    tier__wbuf_u32(&w, a->max_downgrade);
    tier__wbuf_u32(&w, (uint32_t)a->n_tiers);
    for (size_t i = 0; i < a->n_tiers; i++) {
        tier__wbuf_str(&w, a->names[i]);
        tier__wbuf_str(&w, a->labels[i]);
    }
    put_strtab(&w, &a->ids);
    tier__wbuf_i32s(&w, a->tier, a->n_rows);
    tier__wbuf_i32s(&w, a->qualified, a->n_rows);
    tier__wbuf_i32s(&w, a->grace, a->n_rows);
    tier__wbuf_u32(&w, (uint32_t)a->n_prev);
    for (size_t i = 0; i < a->n_prev; i++)
        tier__wbuf_str(&w, a->prev_names[i]);
    put_strtab(&w, &a->gone);
    tier__wbuf_u64(&w, a->n_events);
    for (size_t i = 0; i < a->n_events; i++) {
        const tier__event *e = &a->events[i];
        tier__wbuf_u32(&w, e->customer);
        tier__wbuf_u32(&w, (uint32_t)e->old_tier);
        tier__wbuf_u32(&w, (uint32_t)e->new_tier);
        tier__wbuf_u8(&w, e->kind);
    }
    tier__wbuf_u64(&w, a->n_ovs);
    for (size_t i = 0; i < a->n_ovs; i++) {
        tier__wbuf_str(&w, tier__strtab_get(&a->ov_ids, a->ovs[i].customer));
        tier__wbuf_str(&w, tier__strtab_get(&a->ov_tiers, a->ovs[i].tier));
        tier__wbuf_i64(&w, a->ovs[i].until);
    }
    int status = tier__file_write(path, MAGIC, FORMAT_VERSION, &w);
    tier__wbuf_free(&w);
    return status;
}

/* ---- loading ---------------------------------------------------------------------------------- */

static int corrupt(const char *path, const char *what)
{
    return tier__error(TIER_ECORRUPT, "%s: not a valid assignment file (%s)", path, what);
}

/* Reads a table of distinct non-empty strings. */
static int get_strtab(tier__strtab *t, tier__rbuf *r, const char *path, const char *what)
{
    uint64_t n = tier__rbuf_count(r, 4);
    if (r->failed)
        return corrupt(path, what);
    if (tier__strtab_reserve(t, (size_t)n))
        return TIER_ENOMEM;
    for (uint64_t i = 0; i < n; i++) {
        const char *s = tier__rbuf_str(r);
        int created = 0;
        uint32_t index;
        if (r->failed || !s || !*s)
            return corrupt(path, what);
        if (tier__strtab_intern(t, s, strlen(s), &index, &created))
            return TIER_ENOMEM;
        if (!created)
            return corrupt(path, what);
    }
    return TIER_OK;
}

static int get_names(char ***out, size_t *n_out, tier__rbuf *r, const tier__alloc *al,
                     const char *path, int allow_null)
{
    uint32_t n = tier__rbuf_u32(r);
    if (r->failed || n > r->len - r->pos)
        return corrupt(path, "tier names");
    char **names = tier__calloc(al, (size_t)n + 1, sizeof *names);
    if (!names)
        return tier__oom();
    *out = names;
    for (uint32_t i = 0; i < n; i++) {
        const char *s = tier__rbuf_str(r);
        *n_out = i + 1;
        if (r->failed || (!s && !allow_null))
            return corrupt(path, "tier names");
        if (s && !(names[i] = tier__strdup(al, s)))
            return tier__oom();
    }
    *n_out = n;
    return TIER_OK;
}

static int get_tiers(tier_assignment *a, tier__rbuf *r, const char *path)
{
    uint32_t n = tier__rbuf_u32(r);
    if (r->failed || n == 0 || n > r->len - r->pos)
        return corrupt(path, "tier count");
    a->names = tier__calloc(&a->alloc, n, sizeof *a->names);
    a->labels = tier__calloc(&a->alloc, n, sizeof *a->labels);
    if (!a->names || !a->labels)
        return tier__oom();
    for (uint32_t i = 0; i < n; i++) {
        const char *name = tier__rbuf_str(r);
        const char *label = tier__rbuf_str(r);
        a->n_tiers = i + 1;
        if (r->failed || !name || !*name)
            return corrupt(path, "tier names");
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(a->names[j], name) == 0)
                return corrupt(path, "repeated tier name");
        if (!(a->names[i] = tier__strdup(&a->alloc, name)) ||
            (label && !(a->labels[i] = tier__strdup(&a->alloc, label))))
            return tier__oom();
    }
    return TIER_OK;
}

static int get_rows(tier_assignment *a, tier__rbuf *r, const char *path)
{
    int status = get_strtab(&a->ids, r, path, "customer ids");
    if (status)
        return status;
    size_t n = a->n_rows = a->ids.n;
    a->tier = tier__malloc(&a->alloc, (n + 1) * sizeof *a->tier);
    a->qualified = tier__malloc(&a->alloc, (n + 1) * sizeof *a->qualified);
    a->grace = tier__malloc(&a->alloc, (n + 1) * sizeof *a->grace);
    if (!a->tier || !a->qualified || !a->grace)
        return tier__oom();
    tier__rbuf_i32s(r, a->tier, n);
    tier__rbuf_i32s(r, a->qualified, n);
    tier__rbuf_i32s(r, a->grace, n);
    if (r->failed)
        return corrupt(path, "per-customer tiers");
    for (size_t i = 0; i < n; i++) {
        if (a->tier[i] < 0 || (size_t)a->tier[i] >= a->n_tiers || a->qualified[i] < 0 ||
            (size_t)a->qualified[i] >= a->n_tiers || a->grace[i] < 0 || a->grace[i] > MAX_GRACE)
            return corrupt(path, "tier or grace counter out of range");
    }
    return TIER_OK;
}

static int get_events(tier_assignment *a, tier__rbuf *r, const char *path)
{
    uint64_t n = tier__rbuf_count(r, 13);
    if (r->failed)
        return corrupt(path, "event count");
    if (n && !(a->events = tier__malloc(&a->alloc, (size_t)n * sizeof *a->events)))
        return tier__oom();
    a->cap_events = (size_t)n;
    for (uint64_t i = 0; i < n; i++) {
        tier__event *e = &a->events[i];
        e->customer = tier__rbuf_u32(r);
        e->old_tier = (int32_t)tier__rbuf_u32(r);
        e->new_tier = (int32_t)tier__rbuf_u32(r);
        e->kind = tier__rbuf_u8(r);
        int gone = e->kind == TIER_EVENT_GONE;
        if (r->failed || e->kind < TIER_EVENT_NEW || e->kind > TIER_EVENT_GONE ||
            e->customer >= (gone ? a->gone.n : a->n_rows) || e->old_tier < -1 ||
            e->old_tier >= (int32_t)a->n_prev || (gone && e->old_tier < 0) ||
            (gone ? e->new_tier != -1 : e->new_tier < 0 || e->new_tier >= (int32_t)a->n_tiers))
            return corrupt(path, "event");
    }
    a->n_events = (size_t)n;
    return TIER_OK;
}

static int get_overrides(tier_assignment *a, tier__rbuf *r, const char *path)
{
    uint64_t n = tier__rbuf_count(r, 16);
    if (r->failed)
        return corrupt(path, "override count");
    for (uint64_t i = 0; i < n; i++) {
        const char *c = tier__rbuf_str(r);
        const char *t = tier__rbuf_str(r);
        int64_t until = tier__rbuf_i64(r);
        if (r->failed || !c || !*c || !t || !*t)
            return corrupt(path, "override");
        if (tier__strtab_find(&a->ov_ids, c, strlen(c)) >= 0)
            return corrupt(path, "repeated override");
        int status = tier__assignment_add_override(a, c, t, until);
        if (status)
            return status;
    }
    return TIER_OK;
}

static int parse_payload(tier_assignment *a, tier__rbuf *r, const char *path)
{
    a->time = tier__rbuf_i64(r);
    a->grace_policy = tier__rbuf_u32(r);
    a->max_downgrade = tier__rbuf_u32(r);
    int status = get_tiers(a, r, path);
    if (status == TIER_OK)
        status = get_rows(a, r, path);
    if (status == TIER_OK)
        status = get_names(&a->prev_names, &a->n_prev, r, &a->alloc, path, 0);
    if (status == TIER_OK)
        status = get_strtab(&a->gone, r, path, "gone customers");
    if (status == TIER_OK)
        status = get_events(a, r, path);
    if (status == TIER_OK)
        status = get_overrides(a, r, path);
    if (status == TIER_OK)
        status = tier__rbuf_finish(r, path);
    if (status == TIER_OK)
        status = tier__assignment_count(a);
    return status;
}

int tier_assignment_load(tier_assignment **out, const char *path, const tier_allocator *allocator)
{
    if (out)
        *out = NULL;
    if (!out || !path)
        return tier__error(TIER_EINVAL, "tier_assignment_load: NULL argument");
    tier__alloc al;
    int status = tier__alloc_init(&al, allocator);
    if (status)
        return status;
    unsigned char *payload = NULL;
    size_t len = 0;
    uint32_t version = 0;
    status = tier__file_read(&payload, &len, &version, &al, path, MAGIC, FORMAT_VERSION);
    if (status)
        return status;
    tier_assignment *a = NULL;
    status = tier__assignment_alloc(&a, &al);
    if (status == TIER_OK) {
        tier__rbuf r;
        tier__rbuf_init(&r, payload, len);
        status = parse_payload(a, &r, path);
    }
    tier__free(&al, payload);
    if (status) {
        tier_assignment_free(a);
        return status;
    }
    *out = a;
    return TIER_OK;
}

/* ---- events as CSV ------------------------------------------------------------------------ */

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static void format_time(char *buf, size_t cap, int64_t t)
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400;
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, cap, "%04d-%02u-%02uT%02u:%02u:%02uZ", y, m, d, (unsigned)(secs / 3600),
             (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
}

static void put_field(FILE *f, const char *s)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int tier_assignment_write_events(const tier_assignment *a, const char *path)
{
    if (!a || !path)
        return tier__error(TIER_EINVAL, "tier_assignment_write_events: NULL argument");
    size_t plen = strlen(path);
    char *tmp = tier__malloc(&a->alloc, plen + 32);
    if (!tmp)
        return tier__oom();
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        int status = tier__error(TIER_EIO, "%s: cannot create: %s", tmp, strerror(errno));
        tier__free(&a->alloc, tmp);
        return status;
    }
    char when[40];
    format_time(when, sizeof when, a->time);
    fputs("customer_id,time,kind,old_tier,new_tier\n", f);
    for (size_t i = 0; i < a->n_events; i++) {
        const char *id, *old_tier, *new_tier;
        int kind;
        tier_assignment_event(&id, &kind, &old_tier, &new_tier, NULL, a, i);
        put_field(f, id);
        fprintf(f, ",%s,%s,", when, tier_event_kind_name(kind));
        put_field(f, old_tier);
        fputc(',', f);
        put_field(f, new_tier);
        fputc('\n', f);
    }
    int failed = ferror(f);
    failed |= fclose(f) != 0;
    int status = TIER_OK;
    if (failed || rename(tmp, path) != 0) {
        status = tier__error(TIER_EIO, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
    }
    tier__free(&a->alloc, tmp);
    return status;
}
