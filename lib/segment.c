/* The RFM named-segment table: ranges of R, F and M scores -> a segment name, first match wins.
 * The table is turned into a lookup over every score triple (at most 10^3 entries), so apply
 * costs one array read per customer whatever the table's length. */
#include <string.h>

#include "internal/error.h"
#include "internal/rfm.h"
#include "internal/scorer.h"

#define MAX_SEGMENT_NAME 255
#define MAX_SEGMENTS 4096

/* The R package `rfm`'s documented default table (rfm_segment() examples). */
static const struct {
    const char *name;
    unsigned lo[3], hi[3];
} default_table[] = {
    { "Champions", { 5, 5, 5 }, { 5, 5, 5 } },
    { "Potential Loyalist", { 3, 3, 2 }, { 5, 5, 5 } },
    { "Loyal Customers", { 2, 2, 2 }, { 4, 4, 4 } },
    { "Promising", { 3, 1, 3 }, { 4, 3, 5 } },
    { "New Customers", { 4, 1, 1 }, { 5, 3, 5 } },
    { "Can't Lose Them", { 1, 3, 4 }, { 2, 4, 5 } },
    { "At Risk", { 1, 2, 4 }, { 2, 5, 5 } },
    { "Need Attention", { 1, 3, 3 }, { 3, 5, 5 } },
    { "About To Sleep", { 2, 1, 1 }, { 3, 3, 4 } },
    { "Lost", { 1, 1, 1 }, { 1, 5, 5 } },
};
#define N_DEFAULT (sizeof default_table / sizeof default_table[0])

static const char *const dim_names[3] = { "R", "F", "M" };

static void free_derived(rfm_state *st, const tier__alloc *a)
{
    tier__free(a, st->dict);
    tier__free(a, st->lut);
    st->dict = NULL;
    st->lut = NULL;
    st->n_dict = 0;
}

void tier__rfm_segments_free(rfm_state *st, const tier__alloc *a)
{
    for (size_t i = 0; i < st->n_segs; i++)
        tier__free(a, st->segs[i].name);
    tier__free(a, st->segs);
    st->segs = NULL;
    st->n_segs = st->cap_segs = 0;
    free_derived(st, a);
}

/* Index of `name` in dict[0..n), or -1. Tables are short; a linear scan is fine. */
static long dict_find(const char **dict, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(dict[i], name) == 0)
            return (long)i;
    return -1;
}

static int matches(const rfm_segment *g, const unsigned s[3])
{
    for (int d = 0; d < 3; d++)
        if (s[d] < g->lo[d] || s[d] > g->hi[d])
            return 0;
    return 1;
}

int tier__rfm_segments_rebuild(rfm_state *st, const tier__alloc *a)
{
    unsigned br = st->dim[0].bins, bf = st->dim[1].bins, bm = st->dim[2].bins;
    const char **dict = tier__calloc(a, st->n_segs + 1, sizeof *dict);
    int32_t *lut = tier__calloc(a, (size_t)br * bf * bm, sizeof *lut);
    if (!dict || !lut) {
        tier__free(a, dict);
        tier__free(a, lut);
        return tier__oom();
    }
    /* dictionary: distinct names in table order, then the other name (shared if equal) */
    size_t n = 0;
    int32_t *code_of = tier__calloc(a, st->n_segs ? st->n_segs : 1, sizeof *code_of);
    if (!code_of) {
        tier__free(a, dict);
        tier__free(a, lut);
        return tier__oom();
    }
    for (size_t i = 0; i < st->n_segs; i++) {
        long k = dict_find(dict, n, st->segs[i].name);
        if (k < 0) {
            k = (long)n;
            dict[n++] = st->segs[i].name;
        }
        code_of[i] = (int32_t)k;
    }
    long other = dict_find(dict, n, st->other);
    if (other < 0) {
        other = (long)n;
        dict[n++] = st->other;
    }
    for (unsigned r = 1; r <= br; r++)
        for (unsigned f = 1; f <= bf; f++)
            for (unsigned m = 1; m <= bm; m++) {
                unsigned s[3] = { r, f, m };
                int32_t code = (int32_t)other;
                for (size_t i = 0; i < st->n_segs; i++)
                    if (matches(&st->segs[i], s)) {
                        code = code_of[i];
                        break; /* first match wins */
                    }
                lut[((size_t)(r - 1) * bf + (f - 1)) * bm + (m - 1)] = code;
            }
    tier__free(a, code_of);
    free_derived(st, a);
    st->dict = dict;
    st->n_dict = n;
    st->lut = lut;
    return TIER_OK;
}

static int check_segment(const rfm_state *st, const char *name, const unsigned lo[3], const unsigned hi[3])
{
    if (!name || !*name)
        return tier__error(TIER_EINVAL, "rfm segment: empty name");
    if (strlen(name) > MAX_SEGMENT_NAME)
        return tier__error(TIER_EINVAL, "rfm segment '%.40s...': name longer than %d bytes", name,
                           MAX_SEGMENT_NAME);
    if (!lo || !hi)
        return tier__error(TIER_EINVAL, "rfm segment '%s': NULL bounds", name);
    for (int d = 0; d < 3; d++) {
        unsigned b = st->dim[d].bins;
        if (lo[d] < 1 || hi[d] < lo[d] || hi[d] > b)
            return tier__error(TIER_EINVAL,
                               "rfm segment '%s': %s range %u-%u is not within 1-%u (lo <= hi)", name,
                               dim_names[d], lo[d], hi[d], b);
    }
    if (st->n_segs >= MAX_SEGMENTS)
        return tier__error(TIER_EINVAL, "rfm segment '%s': the table already has %d entries", name,
                           MAX_SEGMENTS);
    return TIER_OK;
}

/* Inserts without rebuilding the lookup. */
static int insert(rfm_state *st, const tier__alloc *a, size_t index, const char *name, const unsigned lo[3],
                  const unsigned hi[3])
{
    int rc = check_segment(st, name, lo, hi);
    if (rc)
        return rc;
    if (index > st->n_segs)
        return tier__error(TIER_EINVAL, "rfm segment '%s': position %zu is beyond the table's %zu entries",
                           name, index, st->n_segs);
    void *segs = st->segs;
    if (tier__grow(a, &segs, &st->cap_segs, st->n_segs + 1, sizeof(rfm_segment)))
        return TIER_ENOMEM;
    st->segs = segs;
    char *copy = tier__strdup(a, name);
    if (!copy)
        return tier__oom();
    memmove(&st->segs[index + 1], &st->segs[index], (st->n_segs - index) * sizeof(rfm_segment));
    rfm_segment *g = &st->segs[index];
    g->name = copy;
    memcpy(g->lo, lo, sizeof g->lo);
    memcpy(g->hi, hi, sizeof g->hi);
    st->n_segs++;
    return TIER_OK;
}

static void remove_at(rfm_state *st, const tier__alloc *a, size_t index)
{
    tier__free(a, st->segs[index].name);
    memmove(&st->segs[index], &st->segs[index + 1], (st->n_segs - index - 1) * sizeof(rfm_segment));
    st->n_segs--;
}

int tier__rfm_segment_add(rfm_state *st, const tier__alloc *a, size_t index, const char *name,
                          const unsigned lo[3], const unsigned hi[3])
{
    int rc = insert(st, a, index, name, lo, hi);
    if (rc)
        return rc;
    rc = tier__rfm_segments_rebuild(st, a);
    if (rc)
        remove_at(st, a, index); /* keep table and lookup in step */
    return rc;
}

int tier__rfm_segments_install_default(rfm_state *st, const tier__alloc *a)
{
    for (int d = 0; d < 3; d++)
        if (st->dim[d].bins < 5)
            return tier__error(TIER_EINVAL,
                               "rfm: the default segments need at least 5 bins, but %s has %u",
                               dim_names[d], st->dim[d].bins);
    rfm_state tmp = *st; /* build the new table aside, keep the old one on failure */
    tmp.segs = NULL;
    tmp.n_segs = tmp.cap_segs = 0;
    tmp.dict = NULL;
    tmp.lut = NULL;
    for (size_t i = 0; i < N_DEFAULT; i++) {
        int rc = insert(&tmp, a, i, default_table[i].name, default_table[i].lo, default_table[i].hi);
        if (rc) {
            tier__rfm_segments_free(&tmp, a);
            return rc;
        }
    }
    int rc = tier__rfm_segments_rebuild(&tmp, a);
    if (rc) {
        tier__rfm_segments_free(&tmp, a);
        return rc;
    }
    tier__rfm_segments_free(st, a);
    st->segs = tmp.segs;
    st->n_segs = tmp.n_segs;
    st->cap_segs = tmp.cap_segs;
    st->dict = tmp.dict;
    st->n_dict = tmp.n_dict;
    st->lut = tmp.lut;
    return TIER_OK;
}

void tier__rfm_segments_save(const rfm_state *st, tier__wbuf *w)
{
    tier__wbuf_u32(w, (uint32_t)st->n_segs);
    for (size_t i = 0; i < st->n_segs; i++) {
        tier__wbuf_str(w, st->segs[i].name);
        for (int d = 0; d < 3; d++) {
            tier__wbuf_u32(w, st->segs[i].lo[d]);
            tier__wbuf_u32(w, st->segs[i].hi[d]);
        }
    }
}

int tier__rfm_segments_load(rfm_state *st, const tier__alloc *a, tier__rbuf *r, const char *path)
{
    uint32_t n = tier__rbuf_u32(r);
    if (r->failed || n > MAX_SEGMENTS)
        return tier__error(TIER_ECORRUPT, "%s: invalid rfm segment table", path);
    for (uint32_t i = 0; i < n; i++) {
        const char *name = tier__rbuf_str(r);
        unsigned lo[3], hi[3];
        for (int d = 0; d < 3; d++) {
            lo[d] = tier__rbuf_u32(r);
            hi[d] = tier__rbuf_u32(r);
        }
        if (r->failed)
            return tier__error(TIER_ECORRUPT, "%s: truncated rfm segment table", path);
        int rc = insert(st, a, i, name, lo, hi);
        if (rc == TIER_EINVAL)
            return tier__error(TIER_ECORRUPT, "%s: invalid rfm segment %u: %s", path, i, tier_last_error());
        if (rc)
            return rc;
    }
    return tier__rfm_segments_rebuild(st, a);
}

/* ---- public API ----------------------------------------------------------------------------- */

size_t tier_rfm_segment_count(const tier_scorer *rfm)
{
    const rfm_state *st = tier__rfm_state(rfm, "tier_rfm_segment_count");
    return st ? st->n_segs : 0;
}

int tier_rfm_segment_get(const char **name, unsigned int lo[3], unsigned int hi[3], const tier_scorer *rfm,
                         size_t index)
{
    const rfm_state *st = tier__rfm_state(rfm, "tier_rfm_segment_get");
    if (!st)
        return TIER_EINVAL;
    if (index >= st->n_segs)
        return tier__error(TIER_EINVAL, "tier_rfm_segment_get: index %zu, but the table has %zu entries",
                           index, st->n_segs);
    const rfm_segment *g = &st->segs[index];
    if (name)
        *name = g->name;
    if (lo)
        memcpy(lo, g->lo, sizeof g->lo);
    if (hi)
        memcpy(hi, g->hi, sizeof g->hi);
    return TIER_OK;
}

int tier_rfm_segment_insert(tier_scorer *rfm, size_t index, const char *name, const unsigned int lo[3],
                            const unsigned int hi[3])
{
    rfm_state *st = tier__rfm_state(rfm, "tier_rfm_segment_insert");
    if (!st)
        return TIER_EINVAL;
    return tier__rfm_segment_add(st, tier__scorer_alloc(rfm), index, name, lo, hi);
}

int tier_rfm_segment_remove(tier_scorer *rfm, size_t index)
{
    rfm_state *st = tier__rfm_state(rfm, "tier_rfm_segment_remove");
    if (!st)
        return TIER_EINVAL;
    if (index >= st->n_segs)
        return tier__error(TIER_EINVAL, "tier_rfm_segment_remove: index %zu, but the table has %zu entries",
                           index, st->n_segs);
    const tier__alloc *a = tier__scorer_alloc(rfm);
    /* rebuild first into a copy so a failed rebuild leaves the table untouched */
    rfm_segment saved = st->segs[index];
    memmove(&st->segs[index], &st->segs[index + 1], (st->n_segs - index - 1) * sizeof(rfm_segment));
    st->n_segs--;
    int rc = tier__rfm_segments_rebuild(st, a);
    if (rc) {
        memmove(&st->segs[index + 1], &st->segs[index], (st->n_segs - index) * sizeof(rfm_segment));
        st->segs[index] = saved;
        st->n_segs++;
        return rc;
    }
    tier__free(a, saved.name);
    return TIER_OK;
}

int tier_rfm_segments_clear(tier_scorer *rfm)
{
    rfm_state *st = tier__rfm_state(rfm, "tier_rfm_segments_clear");
    if (!st)
        return TIER_EINVAL;
    const tier__alloc *a = tier__scorer_alloc(rfm);
    rfm_state tmp = *st;
    tmp.segs = NULL;
    tmp.n_segs = tmp.cap_segs = 0;
    tmp.dict = NULL;
    tmp.lut = NULL;
    int rc = tier__rfm_segments_rebuild(&tmp, a);
    if (rc)
        return rc;
    tier__rfm_segments_free(st, a);
    st->dict = tmp.dict;
    st->n_dict = tmp.n_dict;
    st->lut = tmp.lut;
    return TIER_OK;
}

int tier_rfm_segments_default(tier_scorer *rfm)
{
    rfm_state *st = tier__rfm_state(rfm, "tier_rfm_segments_default");
    if (!st)
        return TIER_EINVAL;
    return tier__rfm_segments_install_default(st, tier__scorer_alloc(rfm));
}
