/* Private: the saved-state file format shared by datasets, models and assignments.
 *
 *   offset 0   8 bytes   magic, one per kind ("TIERDSET", "TIERMODL", "TIERASGN", ...)
 *          8   u32 LE    format version of that kind
 *         12   u32 LE    reserved, 0
 *         16   u64 LE    payload length P
 *         24   P bytes   payload (little-endian fields written through tier__wbuf)
 *     24 + P   u32 LE    CRC-32 (zlib polynomial) of bytes 0 .. 24+P-1
 *
 * Files are written to a temporary file in the destination directory, flushed to disk and
 * renamed over the destination, so readers see the old or the new file, never a mix. A reader
 * rejects a wrong magic, a newer version, a length that disagrees with the file size, or a bad
 * checksum with TIER_ECORRUPT / TIER_EVERSION and a message naming the file. */
#ifndef TIER_INTERNAL_BINFILE_H
#define TIER_INTERNAL_BINFILE_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"

typedef struct tier__wbuf {
    const tier__alloc *alloc;
    unsigned char *data;
    size_t len, cap;
    int failed; /* an allocation failed: every later put is ignored */
} tier__wbuf;

void tier__wbuf_init(tier__wbuf *w, const tier__alloc *alloc);
void tier__wbuf_free(tier__wbuf *w);
void tier__wbuf_bytes(tier__wbuf *w, const void *p, size_t n);
void tier__wbuf_u8(tier__wbuf *w, uint8_t v);
void tier__wbuf_u32(tier__wbuf *w, uint32_t v);
void tier__wbuf_u64(tier__wbuf *w, uint64_t v);
void tier__wbuf_i64(tier__wbuf *w, int64_t v);
void tier__wbuf_f64(tier__wbuf *w, double v);
/* u32 length, the bytes, and a NUL; NULL is written as length 0xFFFFFFFF. */
void tier__wbuf_str(tier__wbuf *w, const char *s);
void tier__wbuf_f64s(tier__wbuf *w, const double *v, size_t n);
void tier__wbuf_i32s(tier__wbuf *w, const int32_t *v, size_t n);

/* Writes magic/version/payload atomically to `path`. Returns TIER_OK, TIER_ENOMEM (if the
 * buffer failed) or TIER_EIO with "path: what: strerror". */
int tier__file_write(const char *path, const char magic[8], uint32_t version, const tier__wbuf *payload);

typedef struct tier__rbuf {
    const unsigned char *data;
    size_t len, pos;
    int failed; /* a read ran past the end or met an invalid value */
} tier__rbuf;

/* Reads and verifies `path`. On success *payload (owned, free with tier__free(alloc, ...)) holds
 * the payload and *version its format version (1 .. max_version). */
int tier__file_read(unsigned char **payload, size_t *len, uint32_t *version,
                    const tier__alloc *alloc, const char *path, const char magic[8],
                    uint32_t max_version);

void tier__rbuf_init(tier__rbuf *r, const unsigned char *data, size_t len);
void tier__rbuf_bytes(tier__rbuf *r, void *out, size_t n);
uint8_t tier__rbuf_u8(tier__rbuf *r);
uint32_t tier__rbuf_u32(tier__rbuf *r);
uint64_t tier__rbuf_u64(tier__rbuf *r);
int64_t tier__rbuf_i64(tier__rbuf *r);
double tier__rbuf_f64(tier__rbuf *r);
/* Returns a pointer into the buffer (NUL-terminated, valid while the buffer lives), NULL for a
 * written NULL; sets failed on overrun. */
const char *tier__rbuf_str(tier__rbuf *r);
void tier__rbuf_f64s(tier__rbuf *r, double *out, size_t n);
void tier__rbuf_i32s(tier__rbuf *r, int32_t *out, size_t n);
/* A count that must fit in the remaining bytes at `elem` bytes each (guards huge allocations
 * from corrupted counts). */
uint64_t tier__rbuf_count(tier__rbuf *r, size_t elem);
/* TIER_OK, or TIER_ECORRUPT "path: truncated or corrupted (...)" if anything failed or bytes
 * are left over. */
int tier__rbuf_finish(const tier__rbuf *r, const char *path);

#endif
