/* Private: reading a whole input file through a sliding window.
 *
 * Plain regular files are memory-mapped: the window is the whole file at once (eof set on
 * open) and consumers drop pages they are done with (tier__input_release) so the resident
 * size stays near the part being worked on. Gzip files (recognised by the magic bytes 1f 8b,
 * whatever the name; concatenated members are read in turn) and non-regular files (pipes) are
 * read into a buffer that tier__input_fill() extends; consumed bytes are dropped from its
 * front, so memory stays bounded by the window size and the longest row. */
#ifndef TIER_INTERNAL_INPUT_H
#define TIER_INTERNAL_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"

typedef struct tier__input {
    /* Read-only for users. */
    const char *data;    /* the window: unconsumed bytes [data, data + len) */
    size_t len;
    int eof;             /* the window reaches the end of the input */
    int gzip;            /* the file is gzip-compressed */
    uint64_t offset;     /* position of `data` in the (decompressed) input */
    uint64_t file_size;  /* size on disk; 0 when unknown (pipes) */
    uint64_t raw_read;   /* bytes read from disk so far (compressed bytes for gzip) */

    /* Private. */
    const tier__alloc *alloc;
    const char *path;
    int fd;
    char *map;           /* mmap'd file, or NULL */
    size_t map_len;
    size_t released;     /* bytes of the map already returned with MADV_DONTNEED */
    char *buf;           /* window buffer (read / gzip) */
    size_t cap;
    void *z;             /* z_stream */
    unsigned char *zin;  /* compressed input buffer */
    size_t zin_len, zin_pos;
    int raw_eof;         /* no more bytes in the file */
    int member_end;      /* the current gzip member ended */
} tier__input;

/* Opens `path` (borrowed for the input's lifetime). Returns TIER_OK, TIER_ENOTFOUND (no such
 * file), TIER_EIO or TIER_ENOMEM, with "path: ..." messages. On failure nothing needs closing. */
int tier__input_open(tier__input *in, const tier__alloc *alloc, const char *path);

/* Called while a fill reads: return non-zero to stop with TIER_ECANCELLED. */
typedef int (*tier__input_tick)(void *ctx, const tier__input *in);

/* Extends the window until it holds at least `want` bytes or reaches the end of the input.
 * May move the window: pointers into it are invalid afterwards. Returns TIER_OK, TIER_EIO
 * (read error, corrupt or truncated gzip data), TIER_ENOMEM or TIER_ECANCELLED. */
int tier__input_fill(tier__input *in, size_t want, tier__input_tick tick, void *tick_ctx);

/* Drops the first n bytes of the window. */
void tier__input_consume(tier__input *in, size_t n);

/* Mapped files only: tells the kernel the bytes before `upto` (a pointer into the window)
 * will not be read again. Harmless no-op otherwise. */
void tier__input_release(tier__input *in, const char *upto);

void tier__input_close(tier__input *in);

#endif
