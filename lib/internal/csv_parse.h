/* Private: the RFC 4180 tokenizer behind the CSV loader.
 *
 * Records are split into fields without copying: a field is a view into the input (the
 * quotes of a quoted field excluded). A quoted field that contains doubled quotes is flagged
 * and unescaped on demand (tier__csv_unescape) into a caller's buffer, since only the fields a
 * load uses need it. Scanning finds the next delimiter, newline or quote 64 bytes at a time
 * (SSE2 where available) and keeps the 64-bit mask of those bytes between fields, so short
 * fields cost a few instructions each.
 *
 * Rules: a record ends at LF (a CR before it is dropped) or at the end of the input; a line
 * that is empty (or only CR) is a blank record with no fields; a quote may only open a field
 * (a quote inside an unquoted field is an error, as is any character other than the
 * delimiter or a line end after a closing quote); a quoted field may hold delimiters, doubled
 * quotes and line ends. */
#ifndef TIER_INTERNAL_CSV_PARSE_H
#define TIER_INTERNAL_CSV_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"

/* Tokenizer state for one contiguous region of input. */
typedef struct tier__csv_tok {
    const char *end;   /* end of the region */
    const char *base;  /* start of the 64-byte block described by mask */
    uint64_t mask;     /* bit i: base[i] is the delimiter, '\n' or '"' */
    char delim;
} tier__csv_tok;

typedef enum tier__csv_status {
    TIER__CSV_OK = 0,
    TIER__CSV_UNTERMINATED = 1, /* a quoted field runs to the end of the input */
    TIER__CSV_AFTER_QUOTE = 2,  /* a closing quote is followed by something else */
    TIER__CSV_STRAY_QUOTE = 3   /* a quote inside an unquoted field */
} tier__csv_status;

typedef struct tier__csv_record {
    size_t n_fields;   /* fields in the record (may exceed the capacity given); 0 = blank */
    size_t lines;      /* line ends consumed, including the terminating one */
    int terminated;    /* the record ended with a line end (not the end of the input) */
    size_t err_field;  /* on error: 0-based index of the field at fault */
    const char *err_at;/* on error: where the problem is (the opening quote, the stray byte) */
} tier__csv_record;

void tier__csv_tok_init(tier__csv_tok *t, const char *start, const char *end, char delim);

/* Tokenizes the record at p (p < end, p not before any earlier record of this tokenizer).
 * Stores the first `cap` fields in fields[] (and escaped[]: 1 if the view still holds doubled
 * quotes), sets *next to the start of the next record. On error *next is not set. */
tier__csv_status tier__csv_record_next(tier__csv_tok *t, const char *p, const char **next,
                                       tier__sv *fields, unsigned char *escaped, size_t cap,
                                       tier__csv_record *rec);

/* The fast path for the common record: exactly n fields (n >= 1), none of them quoted,
 * ended by LF with no CR before it. Stores the end of field k in ends[k] (the field starts
 * just after ends[k - 1], or at p) and returns the start of the next record. Returns NULL,
 * having stored nothing that matters, for any other record, valid or not: the caller then
 * tokenizes it with tier__csv_record_next, which takes every form and words every error.
 * Field views are those tier__csv_record_next gives for the same record. */
const char *tier__csv_plain_record(tier__csv_tok *t, const char *p, const char **ends, size_t n);

/* Copies src with doubled quotes collapsed into dst (room for src.n bytes); returns the
 * length written. */
size_t tier__csv_unescape(char *dst, tier__sv src);

/* Counts '\n' in [p, end). */
uint64_t tier__csv_count_lines(const char *p, const char *end);

/* The end of the chunk that starts at p (a record start outside quotes): just after the first
 * line end outside quotes at or after p + target. Returns `end` if the input ends first and
 * `at_eof`; NULL if it ends first and more input may follow. */
const char *tier__csv_chunk_end(const char *p, const char *end, size_t target, int at_eof);

/* A short description of a tokenizer error. */
const char *tier__csv_status_str(tier__csv_status s);

#endif
