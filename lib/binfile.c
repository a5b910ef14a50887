/* Versioned, checksummed, atomically written state files (format in internal/binfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "internal/binfile.h"
#include "internal/error.h"

#define HEADER_SIZE 24

void tier__wbuf_init(tier__wbuf *w, const tier__alloc *alloc)
{
    memset(w, 0, sizeof *w);
    w->alloc = alloc;
}

void tier__wbuf_free(tier__wbuf *w)
{
    tier__free(w->alloc, w->data);
    w->data = NULL;
    w->len = w->cap = 0;
}

void tier__wbuf_bytes(tier__wbuf *w, const void *p, size_t n)
{
    if (w->failed || n == 0)
        return;
    if (w->len + n < w->len) {
        w->failed = 1;
        return;
    }
    void *data = w->data;
    if (tier__grow(w->alloc, &data, &w->cap, w->len + n, 1) != TIER_OK) {
        w->failed = 1;
        return;
    }
    w->data = data;
    memcpy(w->data + w->len, p, n);
    w->len += n;
}

static void put_le(unsigned char *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *b, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

void tier__wbuf_u8(tier__wbuf *w, uint8_t v) { tier__wbuf_bytes(w, &v, 1); }

void tier__wbuf_u32(tier__wbuf *w, uint32_t v)
{
    unsigned char b[4];
    put_le(b, v, 4);
    tier__wbuf_bytes(w, b, 4);
}

void tier__wbuf_u64(tier__wbuf *w, uint64_t v)
{
    unsigned char b[8];
    put_le(b, v, 8);
    tier__wbuf_bytes(w, b, 8);
}

void tier__wbuf_i64(tier__wbuf *w, int64_t v) { tier__wbuf_u64(w, (uint64_t)v); }

void tier__wbuf_f64(tier__wbuf *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    tier__wbuf_u64(w, bits);
}

void tier__wbuf_str(tier__wbuf *w, const char *s)
{
    if (!s) {
        tier__wbuf_u32(w, 0xFFFFFFFFu);
        return;
    }
    size_t n = strlen(s);
    if (n >= 0xFFFFFFFFu) {
        w->failed = 1;
        return;
    }
    tier__wbuf_u32(w, (uint32_t)n);
    tier__wbuf_bytes(w, s, n + 1);
}

void tier__wbuf_f64s(tier__wbuf *w, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tier__wbuf_f64(w, v[i]);
}

void tier__wbuf_i32s(tier__wbuf *w, const int32_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tier__wbuf_u32(w, (uint32_t)v[i]);
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int tier__file_write(const char *path, const char magic[8], uint32_t version, const tier__wbuf *payload)
{
    if (payload->failed)
        return tier__oom();
    unsigned char header[HEADER_SIZE];
    memcpy(header, magic, 8);
    put_le(header + 8, version, 4);
    put_le(header + 12, 0, 4);
    put_le(header + 16, payload->len, 8);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, header, HEADER_SIZE);
    /* zlib's crc32 takes uInt lengths: feed large payloads in slices. */
    for (size_t off = 0; off < payload->len;) {
        size_t n = payload->len - off;
        if (n > (1u << 30))
            n = 1u << 30;
        crc = crc32(crc, payload->data + off, (uInt)n);
        off += n;
    }
    unsigned char trailer[4];
    put_le(trailer, (uint64_t)crc, 4);

    /* The temporary name lives on the stack: no allocation outside the handle's allocator. */
    char tmp[4096 + 16];
    size_t plen = strlen(path);
    if (plen > 4096)
        return tier__error(TIER_EINVAL, "%.64s...: path is longer than 4096 bytes", path);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        return tier__error(TIER_EIO, "%s: cannot create temporary file: %s", path, strerror(errno));
    }
    int bad = write_all(fd, header, HEADER_SIZE) || write_all(fd, payload->data, payload->len) ||
              write_all(fd, trailer, 4) || fsync(fd) != 0;
    int e = errno;
    if (close(fd) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (!bad) {
        /* mkstemp creates 0600; saved state is ordinary data, so give it the usual mode. */
        mode_t mask = umask(0);
        umask(mask);
        (void)chmod(tmp, 0666 & ~mask);
        if (rename(tmp, path) != 0) {
            bad = 1;
            e = errno;
        }
    }
    if (bad) {
        unlink(tmp);
        return tier__error(TIER_EIO, "%s: cannot write: %s", path, strerror(e));
    }
    return TIER_OK;
}

int tier__file_read(unsigned char **payload, size_t *len, uint32_t *version,
                    const tier__alloc *alloc, const char *path, const char magic[8],
                    uint32_t max_version)
{
    *payload = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return tier__error(errno == ENOENT ? TIER_ENOTFOUND : TIER_EIO, "%s: cannot open: %s",
                           path, strerror(errno));
    unsigned char header[HEADER_SIZE];
    if (fread(header, 1, HEADER_SIZE, f) != HEADER_SIZE) {
        fclose(f);
        return tier__error(TIER_ECORRUPT, "%s: truncated file (no complete header)", path);
    }
    if (memcmp(header, magic, 8) != 0) {
        fclose(f);
        return tier__error(TIER_ECORRUPT, "%s: not a libtier %.8s file (wrong magic)", path, magic);
    }
    uint32_t ver = (uint32_t)get_le(header + 8, 4);
    uint64_t plen = get_le(header + 16, 8);
    if (ver == 0 || ver > max_version) {
        fclose(f);
        return tier__error(TIER_EVERSION, "%s: format version %u is not supported (this library reads 1..%u)",
                           path, ver, max_version);
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || (uint64_t)st.st_size != HEADER_SIZE + plen + 4) {
        fclose(f);
        return tier__error(TIER_ECORRUPT, "%s: truncated or extended file (header says %llu payload bytes)",
                           path, (unsigned long long)plen);
    }
    unsigned char *data = tier__malloc(alloc, plen + 4);
    if (!data) {
        fclose(f);
        return tier__oom();
    }
    if (fread(data, 1, plen + 4, f) != plen + 4) {
        fclose(f);
        tier__free(alloc, data);
        return tier__error(TIER_EIO, "%s: read failed", path);
    }
    fclose(f);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, header, HEADER_SIZE);
    for (size_t off = 0; off < plen;) {
        size_t n = plen - off;
        if (n > (1u << 30))
            n = 1u << 30;
        crc = crc32(crc, data + off, (uInt)n);
        off += n;
    }
    if ((uint32_t)crc != (uint32_t)get_le(data + plen, 4)) {
        tier__free(alloc, data);
        return tier__error(TIER_ECORRUPT, "%s: checksum mismatch (file is corrupted)", path);
    }
    *payload = data;
    *len = plen;
    *version = ver;
    return TIER_OK;
}

void tier__rbuf_init(tier__rbuf *r, const unsigned char *data, size_t len)
{
    r->data = data;
    r->len = len;
    r->pos = 0;
    r->failed = 0;
}

static const unsigned char *take(tier__rbuf *r, size_t n)
{
    if (r->failed || r->len - r->pos < n) {
        r->failed = 1;
        return NULL;
    }
    const unsigned char *p = r->data + r->pos;
    r->pos += n;
    return p;
}

void tier__rbuf_bytes(tier__rbuf *r, void *out, size_t n)
{
    const unsigned char *p = take(r, n);
    if (p)
        memcpy(out, p, n);
    else
        memset(out, 0, n);
}

uint8_t tier__rbuf_u8(tier__rbuf *r)
{
    const unsigned char *p = take(r, 1);
    return p ? p[0] : 0;
}

uint32_t tier__rbuf_u32(tier__rbuf *r)
{
    const unsigned char *p = take(r, 4);
    return p ? (uint32_t)get_le(p, 4) : 0;
}

uint64_t tier__rbuf_u64(tier__rbuf *r)
{
    const unsigned char *p = take(r, 8);
    return p ? get_le(p, 8) : 0;
}

int64_t tier__rbuf_i64(tier__rbuf *r) { return (int64_t)tier__rbuf_u64(r); }

double tier__rbuf_f64(tier__rbuf *r)
{
    uint64_t bits = tier__rbuf_u64(r);
    double v;
    memcpy(&v, &bits, 8);
    return v;
}

const char *tier__rbuf_str(tier__rbuf *r)
{
    uint32_t n = tier__rbuf_u32(r);
    if (r->failed || n == 0xFFFFFFFFu)
        return NULL;
    const unsigned char *p = take(r, (size_t)n + 1);
    if (!p || p[n] != '\0' || memchr(p, '\0', n) != NULL) {
        r->failed = 1;
        return NULL;
    }
    return (const char *)p;
}

void tier__rbuf_f64s(tier__rbuf *r, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = tier__rbuf_f64(r);
}

void tier__rbuf_i32s(tier__rbuf *r, int32_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (int32_t)tier__rbuf_u32(r);
}

uint64_t tier__rbuf_count(tier__rbuf *r, size_t elem)
{
    uint64_t n = tier__rbuf_u64(r);
    if (elem && n > (r->len - r->pos) / elem) {
        r->failed = 1;
        return 0;
    }
    return n;
}

int tier__rbuf_finish(const tier__rbuf *r, const char *path)
{
    if (r->failed)
        return tier__error(TIER_ECORRUPT, "%s: corrupted file (a field is out of bounds or invalid at byte %zu)",
                           path, r->pos);
    if (r->pos != r->len)
        return tier__error(TIER_ECORRUPT, "%s: corrupted file (%zu unexpected trailing bytes)", path,
                           r->len - r->pos);
    return TIER_OK;
}
