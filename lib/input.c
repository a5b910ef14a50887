/* Whole-file input for the CSV loader: mmap for plain files, a sliding buffer for gzip and
 * pipes. */
#define _DEFAULT_SOURCE /* madvise(MADV_DONTNEED): posix_madvise's variant is a no-op in glibc */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "internal/error.h"
#include "internal/input.h"

#define ZIN_CAP (256u * 1024u)

static int io_error(const tier__input *in, const char *what, int err)
{
    return tier__error(TIER_EIO, "%s: %s: %s", in->path, what, strerror(err));
}

static void *z_alloc(void *opaque, uInt items, uInt size)
{
    return tier__calloc((const tier__alloc *)opaque, items, size);
}

static void z_free(void *opaque, void *p) { tier__free((const tier__alloc *)opaque, p); }

/* Reads more raw bytes into zin (after compacting it) until it holds `need` unread bytes or
 * the file ends. */
static int raw_more(tier__input *in, size_t need)
{
    if (!in->zin && !(in->zin = tier__malloc(in->alloc, ZIN_CAP))) /* a mapped file needs none */
        return tier__oom();
    if (in->zin_pos > 0) {
        memmove(in->zin, in->zin + in->zin_pos, in->zin_len - in->zin_pos);
        in->zin_len -= in->zin_pos;
        in->zin_pos = 0;
    }
    while (in->zin_len < need && !in->raw_eof) {
        ssize_t got = read(in->fd, in->zin + in->zin_len, ZIN_CAP - in->zin_len);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return io_error(in, "read failed", errno);
        }
        if (got == 0)
            in->raw_eof = 1;
        in->zin_len += (size_t)got;
        in->raw_read += (uint64_t)got;
    }
    return TIER_OK;
}

static int start_gzip(tier__input *in)
{
    z_stream *z = tier__calloc(in->alloc, 1, sizeof *z);
    if (!z)
        return tier__oom();
    z->zalloc = z_alloc;
    z->zfree = z_free;
    z->opaque = (void *)in->alloc;
    if (inflateInit2(z, 16 + MAX_WBITS) != Z_OK) { /* 16: gzip wrapper only */
        tier__free(in->alloc, z);
        return tier__oom();
    }
    in->z = z;
    in->gzip = 1;
    return TIER_OK;
}

int tier__input_open(tier__input *in, const tier__alloc *alloc, const char *path)
{
    memset(in, 0, sizeof *in);
    in->alloc = alloc;
    in->path = path;
    in->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (in->fd < 0) {
        if (errno == ENOENT)
            return tier__error(TIER_ENOTFOUND, "%s: no such file", path);
        return io_error(in, "cannot open", errno);
    }
    struct stat st;
    int rc = TIER_OK;
    if (fstat(in->fd, &st) != 0) {
        rc = io_error(in, "cannot stat", errno);
        goto fail;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = tier__error(TIER_EIO, "%s: is a directory", path);
        goto fail;
    }
    if (S_ISREG(st.st_mode)) {
        in->file_size = (uint64_t)st.st_size;
        unsigned char magic[2];
        ssize_t got = pread(in->fd, magic, 2, 0);
        int is_gzip = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        if (!is_gzip && st.st_size == 0) {
            in->data = "";
            in->eof = 1;
            return TIER_OK;
        }
        if (!is_gzip && (uint64_t)st.st_size <= SIZE_MAX) {
            void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, in->fd, 0);
            if (m != MAP_FAILED) {
                in->map = m;
                in->map_len = (size_t)st.st_size;
#ifdef MADV_SEQUENTIAL
                madvise(m, in->map_len, MADV_SEQUENTIAL);
#endif
                in->data = in->map;
                in->len = in->map_len;
                in->eof = 1;
                in->raw_read = in->file_size;
                return TIER_OK;
            }
            /* mmap can fail (e.g. special file systems): read it instead. */
        }
        if (is_gzip && (rc = start_gzip(in)) != TIER_OK)
            goto fail;
        return TIER_OK;
    }
    /* A pipe or device: look at the first bytes to tell gzip from text. */
    if ((rc = raw_more(in, 2)) != TIER_OK)
        goto fail;
    if (in->zin_len >= 2 && in->zin[0] == 0x1f && in->zin[1] == 0x8b &&
        (rc = start_gzip(in)) != TIER_OK)
        goto fail;
    return TIER_OK;
fail:
    tier__input_close(in);
    return rc;
}

/* One inflate step into the free space of buf. */
static int inflate_step(tier__input *in)
{
    z_stream *z = in->z;
    if (in->zin_pos == in->zin_len) {
        int rc = raw_more(in, 1);
        if (rc != TIER_OK)
            return rc;
        if (in->zin_len == 0) { /* end of file */
            if (!in->member_end)
                return tier__error(TIER_EIO, "%s: truncated gzip data (the file ends inside "
                                             "the compressed stream)", in->path);
            in->eof = 1;
            return TIER_OK;
        }
    }
    if (in->member_end) {
        /* Another gzip member follows, or trailing bytes that gzip(1) would also ignore. */
        int rc = raw_more(in, 2);
        if (rc != TIER_OK)
            return rc;
        unsigned char *q = in->zin + in->zin_pos;
        if (in->zin_len - in->zin_pos >= 2 && q[0] == 0x1f && q[1] == 0x8b) {
            inflateReset(z);
            in->member_end = 0;
        } else {
            in->eof = 1;
            return TIER_OK;
        }
    }
    size_t room = in->cap - in->len;
    if (room > (1u << 30))
        room = 1u << 30;
    z->next_in = in->zin + in->zin_pos;
    z->avail_in = (uInt)(in->zin_len - in->zin_pos);
    z->next_out = (unsigned char *)in->buf + in->len;
    z->avail_out = (uInt)room;
    int zr = inflate(z, Z_NO_FLUSH);
    in->zin_pos = (size_t)(z->next_in - in->zin);
    in->len += room - z->avail_out;
    switch (zr) {
    case Z_STREAM_END:
        in->member_end = 1;
        return TIER_OK;
    case Z_OK:
    case Z_BUF_ERROR: /* needs more input: the next step reads it */
        return TIER_OK;
    case Z_MEM_ERROR:
        return tier__oom();
    default:
        return tier__error(TIER_EIO, "%s: corrupt gzip data (%s)", in->path,
                           z->msg ? z->msg : "inflate failed");
    }
}

/* One read step for a non-mapped plain input. */
static int read_step(tier__input *in)
{
    size_t room = in->cap - in->len;
    if (in->zin_pos < in->zin_len) { /* bytes read while sniffing the magic */
        size_t k = in->zin_len - in->zin_pos;
        if (k > room)
            k = room;
        memcpy(in->buf + in->len, in->zin + in->zin_pos, k);
        in->zin_pos += k;
        in->len += k;
        return TIER_OK;
    }
    if (in->raw_eof) {
        in->eof = 1;
        return TIER_OK;
    }
    ssize_t got = read(in->fd, in->buf + in->len, room > (1u << 30) ? (1u << 30) : room);
    if (got < 0)
        return errno == EINTR ? TIER_OK : io_error(in, "read failed", errno);
    if (got == 0) {
        in->raw_eof = 1;
        in->eof = 1;
    }
    in->len += (size_t)got;
    in->raw_read += (uint64_t)got;
    return TIER_OK;
}

int tier__input_fill(tier__input *in, size_t want, tier__input_tick tick, void *tick_ctx)
{
    if (in->eof || in->len >= want)
        return TIER_OK;
    /* Move the unconsumed bytes to the front, then make room for `want`. */
    if (in->buf && in->data != in->buf) {
        memmove(in->buf, in->data, in->len);
        in->data = in->buf;
    }
    if (want > in->cap) {
        char *nb = tier__realloc(in->alloc, in->buf, want);
        if (!nb)
            return tier__oom();
        in->buf = nb;
        in->cap = want;
        in->data = nb;
    }
    uint64_t last_tick = in->raw_read;
    while (in->len < want && !in->eof) {
        int rc = in->gzip ? inflate_step(in) : read_step(in);
        if (rc != TIER_OK)
            return rc;
        if (tick && in->raw_read - last_tick >= (1u << 20)) {
            last_tick = in->raw_read;
            if (tick(tick_ctx, in) != 0)
                return tier__error(TIER_ECANCELLED, "%s: cancelled by the progress callback",
                                   in->path);
        }
    }
    return TIER_OK;
}

void tier__input_consume(tier__input *in, size_t n)
{
    in->data += n;
    in->len -= n;
    in->offset += n;
}

void tier__input_release(tier__input *in, const char *upto)
{
#ifdef MADV_DONTNEED
    if (!in->map || upto < in->map || upto > in->map + in->map_len)
        return;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0)
        return;
    size_t lim = (size_t)(upto - in->map) / (size_t)page * (size_t)page;
    if (lim > in->released) {
        madvise(in->map + in->released, lim - in->released, MADV_DONTNEED);
        in->released = lim;
    }
#else
    (void)in;
    (void)upto;
#endif
}

void tier__input_close(tier__input *in)
{
    if (in->map)
        munmap(in->map, in->map_len);
    if (in->z) {
        inflateEnd(in->z);
        tier__free(in->alloc, in->z);
    }
    tier__free(in->alloc, in->zin);
    tier__free(in->alloc, in->buf);
    if (in->fd >= 0)
        close(in->fd);
    memset(in, 0, sizeof *in);
    in->fd = -1;
}
