/* The RFC 4180 tokenizer: field views without copies, 64 bytes scanned per step. */
#include <string.h>

#include "internal/csv_parse.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static inline unsigned ctz64(uint64_t x)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctzll(x);
#else
    unsigned n = 0;
    while (!(x & 1)) {
        x >>= 1;
        n++;
    }
    return n;
#endif
}

/* Bit i set where p[i] is one of the three bytes; p has 64 readable bytes. */
static inline uint64_t mask3_64(const char *p, char a, char b, char c)
{
#if defined(__SSE2__)
    const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c);
    uint64_t m = 0;
    for (int k = 0; k < 4; k++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        __m128i e = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)),
                                 _mm_cmpeq_epi8(x, vc));
        m |= (uint64_t)(uint32_t)_mm_movemask_epi8(e) << (16 * k);
    }
    return m;
#else
    uint64_t m = 0;
    for (int i = 0; i < 64; i++)
        if (p[i] == a || p[i] == b || p[i] == c)
            m |= (uint64_t)1 << i;
    return m;
#endif
}

/* The mask of the block at p, which may be shorter than 64 bytes at the end of the region. */
static inline uint64_t block_mask(const tier__csv_tok *t, const char *p)
{
    if (t->end - p >= 64)
        return mask3_64(p, t->delim, '\n', '"');
    char pad[64];
    size_t n = (size_t)(t->end - p);
    memcpy(pad, p, n);
    memset(pad + n, 0, 64 - n); /* NUL is never the delimiter */
    return mask3_64(pad, t->delim, '\n', '"');
}

void tier__csv_tok_init(tier__csv_tok *t, const char *start, const char *end, char delim)
{
    t->end = end;
    t->delim = delim;
    t->base = start;
    t->mask = start < end ? block_mask(t, start) : 0;
}

/* The first delimiter, '\n' or '"' at or after p, or t->end. */
static inline const char *scan_next(tier__csv_tok *t, const char *p)
{
    for (;;) {
        size_t off = (size_t)(p - t->base);
        if (off < 64) {
            uint64_t m = t->mask & (~(uint64_t)0 << off);
            if (m)
                return t->base + ctz64(m);
            if (t->end - t->base <= 64)
                return t->end;
            p = t->base + 64;
        }
        if (p >= t->end)
            return t->end;
        t->base = p;
        t->mask = block_mask(t, p);
    }
}

uint64_t tier__csv_count_lines(const char *p, const char *end)
{
    uint64_t n = 0;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

tier__csv_status tier__csv_record_next(tier__csv_tok *t, const char *p, const char **next,
                                       tier__sv *fields, unsigned char *escaped, size_t cap,
                                       tier__csv_record *rec)
{
    const char *end = t->end;
    const char delim = t->delim;
    size_t nf = 0, lines = 0;
    rec->terminated = 0;

    /* A blank line: LF, CRLF, or a lone CR at the end. */
    if (*p == '\n' || (*p == '\r' && (p + 1 == end || p[1] == '\n'))) {
        p += *p == '\r' ? 1 : 0;
        if (p < end) {
            p++;
            rec->lines = 1;
            rec->terminated = 1;
        } else {
            rec->lines = 0;
        }
        rec->n_fields = 0;
        *next = p;
        return TIER__CSV_OK;
    }
    for (;;) {
        if (p < end && *p == '"') {
            const char *q = p + 1;
            unsigned char esc = 0;
            for (;;) {
                q = memchr(q, '"', (size_t)(end - q));
                if (!q) {
                    rec->err_field = nf;
                    rec->err_at = p;
                    return TIER__CSV_UNTERMINATED;
                }
                if (q + 1 < end && q[1] == '"') {
                    esc = 1;
                    q += 2;
                    continue;
                }
                break;
            }
            lines += tier__csv_count_lines(p + 1, q);
            if (nf < cap) {
                fields[nf].p = p + 1;
                fields[nf].n = (size_t)(q - p - 1);
                escaped[nf] = esc;
            }
            nf++;
            p = q + 1;
            if (p == end)
                break;
            char c = *p;
            if (c == delim) {
                p++;
                continue;
            }
            if (c == '\n') {
                p++;
                lines++;
                rec->terminated = 1;
                break;
            }
            if (c == '\r' && (p + 1 == end || p[1] == '\n')) {
                if (p + 1 == end) {
                    p++;
                } else {
                    p += 2;
                    lines++;
                    rec->terminated = 1;
                }
                break;
            }
            rec->err_field = nf - 1;
            rec->err_at = p;
            return TIER__CSV_AFTER_QUOTE;
        }
        const char *q = scan_next(t, p);
        if (q < end && *q == '"') {
            rec->err_field = nf;
            rec->err_at = q;
            return TIER__CSV_STRAY_QUOTE;
        }
        size_t n = (size_t)(q - p);
        const int line_end = q == end || *q == '\n';
        if (line_end && n && p[n - 1] == '\r')
            n--;
        if (nf < cap) {
            fields[nf].p = p;
            fields[nf].n = n;
            escaped[nf] = 0;
        }
        nf++;
        if (q == end) {
            p = q;
            break;
        }
        p = q + 1;
        if (line_end) {
            lines++;
            rec->terminated = 1;
            break;
        }
    }
    rec->n_fields = nf;
    rec->lines = lines;
    *next = p;
    return TIER__CSV_OK;
}

/* The checks of tier__csv_plain_record for the terminator at q of field k of n. */
static inline int plain_end(const char *q, char delim, size_t k, size_t n)
{
    if (*q == delim)
        return k + 1 < n; /* not more fields than n */
    return *q == '\n' && k + 1 == n && q[-1] != '\r'; /* not a quote, fewer fields, CRLF */
}

const char *tier__csv_plain_record(tier__csv_tok *t, const char *p, const char **ends, size_t n)
{
    if (*p == '\n' || *p == '\r' || *p == '"')
        return NULL; /* a blank line, a CR, or a quoted first field */
    const char *const start = p;
    if (t->end - p > 64) {
        /* The usual row is shorter than 64 bytes: one mask of its own bytes finds every
         * field, with no tokenizer state to keep (t's block stays valid as it is). */
        uint64_t m = mask3_64(p, t->delim, '\n', '"');
        for (size_t k = 0; k < n; k++) {
            if (!m)
                goto long_row;
            const char *q = p + ctz64(m);
            m &= m - 1;
            if (!plain_end(q, t->delim, k, n))
                return NULL;
            ends[k] = q;
        }
        return ends[n - 1] + 1;
    }
long_row:
    for (size_t k = 0; k < n; k++) {
        const char *q = scan_next(t, k ? ends[k - 1] + 1 : start);
        if (q == t->end || !plain_end(q, t->delim, k, n))
            return NULL; /* no line end before the end of the input, or not plain */
        ends[k] = q;
    }
    return ends[n - 1] + 1;
}

size_t tier__csv_unescape(char *dst, tier__sv src)
{
    size_t k = 0;
    for (size_t i = 0; i < src.n; i++) {
        dst[k++] = src.p[i];
        if (src.p[i] == '"' && i + 1 < src.n && src.p[i + 1] == '"')
            i++;
    }
    return k;
}

/* Whether [p, end) holds an odd number of quotes. The masks of the 64-byte blocks are folded
 * by XOR, whose popcount has the parity of the total: one count at the end instead of one per
 * block (x86-64's baseline has no popcount instruction, so each was a library call). */
static int odd_quotes(const char *p, const char *end)
{
    /* Most files quote nothing: the C library's memchr, vectorised for the machine it runs
     * on, tells that at memory speed and the count starts at the first quote, if any. */
    p = memchr(p, '"', (size_t)(end - p));
    if (!p)
        return 0;
    uint64_t fold = 0;
#if defined(__SSE2__)
    const __m128i vq = _mm_set1_epi8('"');
    while (end - p >= 64) {
        for (int k = 0; k < 4; k++) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
            fold ^= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vq)) << (16 * k);
        }
        p += 64;
    }
#endif
    int odd = 0;
    for (; fold; fold &= fold - 1)
        odd ^= 1;
    while (p < end && (p = memchr(p, '"', (size_t)(end - p))) != NULL) {
        odd ^= 1;
        p++;
    }
    return odd;
}

const char *tier__csv_chunk_end(const char *p, const char *end, size_t target, int at_eof)
{
    if ((size_t)(end - p) <= target)
        return at_eof ? end : NULL;
    const char *q = p + target;
    int quoted = odd_quotes(p, q);
    while (q < end) {
        if (quoted) {
            q = memchr(q, '"', (size_t)(end - q));
            if (!q)
                break;
            quoted = 0;
            q++;
            continue;
        }
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        const char *qu = memchr(q, '"', (size_t)((nl ? nl : end) - q));
        if (qu) {
            quoted = 1;
            q = qu + 1;
            continue;
        }
        if (nl)
            return nl + 1;
        break;
    }
    return at_eof ? end : NULL;
}

const char *tier__csv_status_str(tier__csv_status s)
{
    switch (s) {
    case TIER__CSV_OK: return "ok";
    case TIER__CSV_UNTERMINATED: return "unterminated quoted field (no closing quote before the end of the input)";
    case TIER__CSV_AFTER_QUOTE: return "malformed quoted field (a closing quote must be followed by the delimiter or a line end)";
    case TIER__CSV_STRAY_QUOTE: return "malformed field (a quote inside an unquoted field; quote the whole field and double the quote)";
    }
    return "malformed record";
}
