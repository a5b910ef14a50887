/* Private: the rule-language compiler (lexer, parser, code generator) and the compiled form of a
 * rule set — a register bytecode that the evaluator runs one instruction at a time over a whole
 * block of rows.
 *
 * Pipeline: text --lexer--> tokens --parser--> AST (arena) --codegen--> tier__insn[] in the
 * tier_rules. The AST is freed after compilation; the bytecode keeps the source position of
 * every column reference so binding errors at apply time still point at line:column. */
#ifndef TIER_INTERNAL_RULES_H
#define TIER_INTERNAL_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "tier/rules.h"
#include "alloc.h"

/* ---- positions and messages ---------------------------------------------------------------- */

typedef struct tier__pos {
    uint32_t line, col; /* 1-based */
} tier__pos;

/* ---- lexer --------------------------------------------------------------------------------- */

typedef enum tier__tok_kind {
    TK_EOF = 0,
    TK_IDENT,    /* name; `quoted` names too (quoted = 1) */
    TK_NUMBER,
    TK_DATE,     /* YYYY-MM-DD, value = seconds since the epoch at midnight UTC */
    TK_STRING,   /* "..." or '...' */
    TK_LPAREN, TK_RPAREN, TK_COMMA, TK_SEMI,
    TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH,
    TK_LT, TK_LE, TK_GT, TK_GE, TK_EQ, TK_NE,
    /* reserved words (case-insensitive) */
    TK_TIER, TK_WHEN, TK_OTHERWISE, TK_LABEL, TK_RETAIN, TK_POLICY, TK_PIN,
    TK_AND, TK_OR, TK_NOT, TK_BETWEEN, TK_IN, TK_IS, TK_MISSING,
    TK_ERROR     /* lexical error; the lexer has recorded the message */
} tier__tok_kind;

typedef struct tier__token {
    tier__tok_kind kind;
    tier__pos pos;
    const char *text; /* into the source */
    size_t len;
    double num;       /* TK_NUMBER, TK_DATE */
    int quoted;       /* TK_IDENT written with backquotes */
} tier__token;

typedef struct tier__lexer {
    const char *src;
    size_t len, at;
    tier__pos pos;
    const char *source_name;
} tier__lexer;

void tier__lex_init(tier__lexer *lx, const char *src, size_t len, const char *source_name);
/* Returns the next token; on a lexical error records TIER_EPARSE and returns TK_ERROR. */
tier__token tier__lex_next(tier__lexer *lx);
/* Unescapes a TK_STRING / quoted TK_IDENT body into `out` (capacity >= tok->len + 1). */
size_t tier__lex_unescape(char *out, const tier__token *tok);
/* A short printable rendering of a token for messages ("'monetry'", "end of input"). */
void tier__tok_describe(char *buf, size_t cap, const tier__token *tok);
/* The name of a token kind as written ("and", "(" ...). */
const char *tier__tok_name(tier__tok_kind kind);

/* Records TIER_EPARSE (or `status`) as "source:line:col: message". Returns status. */
int tier__rules_error(int status, const char *source_name, tier__pos pos, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* ---- bytecode ------------------------------------------------------------------------------ */

/* Operand naming: R = register, C = constant (k0, k1). Numeric results are blocks of doubles;
 * condition results are blocks of bytes (0/1). Every comparison involving NaN yields 0. */
typedef enum tier__opcode {
    OP_COL = 1,       /* num[dst] = numeric column `slot` */
    OP_CONST,         /* num[dst] = k0 */
    OP_ADD_RR, OP_ADD_RC, OP_SUB_RR, OP_SUB_RC, OP_SUB_CR,
    OP_MUL_RR, OP_MUL_RC, OP_DIV_RR, OP_DIV_RC, OP_DIV_CR,
    OP_NEG, OP_ABS, OP_LOG,
    OP_MIN_RR, OP_MIN_RC, OP_MAX_RR, OP_MAX_RC,
    OP_LT_RR, OP_LE_RR, OP_GT_RR, OP_GE_RR, OP_EQ_RR, OP_NE_RR,
    OP_LT_RC, OP_LE_RC, OP_GT_RC, OP_GE_RC, OP_EQ_RC, OP_NE_RC,
    OP_BETWEEN_RCC,   /* k0 <= a <= k1 */
    OP_NBETWEEN_RCC,  /* a < k0 or a > k1 (false for NaN) */
    OP_IN_NUM,        /* a equals one of consts[aux .. aux+count) */
    OP_NIN_NUM,       /* a is not NaN and equals none of them */
    OP_ISNAN, OP_NOTNAN,
    OP_COL_MISSING,   /* column `slot` is missing (NaN or missing code); type chosen at binding */
    OP_COL_PRESENT,
    OP_CAT_EQ,        /* categorical column `slot` equals text strs[aux] */
    OP_CAT_NE,        /* ... is present and differs */
    OP_CAT_IN,        /* ... is one of strs[set_items[aux .. aux+count)] */
    OP_CAT_NIN,       /* ... is present and none of them */
    OP_AND, OP_OR, OP_NOT,
    OP_MASK_CONST,    /* mask[dst] = k0 != 0 */
    OP_AND_TEST,      /* mask[dst] = mask[b] and (a TEST k0, k1), TEST = opcode in `count` (a
                         *_RC comparison or [N]BETWEEN_RCC): a comparison fused into the
                         'and' that consumes it, saving a pass over the block */
    OP_OR_TEST,       /* mask[dst] = mask[b] or (a TEST k0, k1) */
    OP_COUNT_
} tier__opcode;

typedef struct tier__insn {
    uint16_t op;
    uint16_t dst, a, b;  /* registers */
    uint32_t slot;       /* column slot (OP_COL, OP_COL_*, OP_CAT_*) */
    uint32_t aux;        /* index into consts / strs / set_items */
    uint32_t count;      /* list length */
    double k0, k1;
    tier__pos pos;       /* source position of the column reference or operator */
} tier__insn;

/* A compiled condition: code[start .. end) leaves its result mask in register `result`. */
typedef struct tier__prog {
    uint32_t start, end;
    uint16_t result;
} tier__prog;

/* How the text uses a column; binding checks it against the column's real type. */
enum { TIER__USE_ANY = 0, TIER__USE_NUM = 1, TIER__USE_CAT = 2 };

typedef struct tier__rcol {
    char *name;
    int use;            /* TIER__USE_* */
    tier__pos pos;      /* first use */
    tier__pos typed_pos;/* first use that fixed the type */
} tier__rcol;

typedef struct tier__rtier {
    char *name;
    char *label;        /* NULL: the name */
    tier__pos pos;
    int32_t cond;       /* program index; -1 for the otherwise tier */
    int32_t retain;     /* program index or -1 */
} tier__rtier;

typedef struct tier__rpin {
    char *customer;
    uint32_t tier;
    int64_t until;
} tier__rpin;

struct tier_rules {
    tier__alloc alloc;
    char *source_name;
    tier__rtier *tiers;
    size_t n_tiers, cap_tiers;
    tier__rcol *cols;
    size_t n_cols, cap_cols;
    tier__insn *code;
    size_t n_code, cap_code;
    tier__prog *progs;
    size_t n_progs, cap_progs;
    double *consts;
    size_t n_consts, cap_consts;
    char **strs;
    size_t n_strs, cap_strs;
    uint32_t *set_items;
    size_t n_set_items, cap_set_items;
    tier__rpin *pins;
    size_t n_pins, cap_pins;
    unsigned n_regs;    /* registers any program needs */
    unsigned grace, max_downgrade;
};

/* ---- AST (lives in the parser's arena during compilation only) ----------------------------- */

typedef enum tier__nkind {
    N_NUM,      /* number constant: num */
    N_STR,      /* text constant: str = index into rules->strs */
    N_COL,      /* column reference: str = column slot */
    N_NEG,      /* -kids[0] */
    N_ARITH,    /* kids[0] op kids[1], op = TK_PLUS / TK_MINUS / TK_STAR / TK_SLASH */
    N_CALL,     /* op = TIER__FN_*, kids = arguments */
    N_CMP,      /* kids[0] op kids[1], op = TK_LT ... TK_NE */
    N_BETWEEN,  /* kids[0] between kids[1] and kids[2]; neg for "not between" */
    N_IN,       /* kids[0] in (kids[1..]); neg for "not in" */
    N_MISSING,  /* kids[0] is missing; neg for "is not missing" */
    N_AND, N_OR, N_NOT,
    N_BOOL      /* condition constant: num = 0 or 1 */
} tier__nkind;

enum { TIER__FN_LOG = 1, TIER__FN_ABS, TIER__FN_MIN, TIER__FN_MAX };

typedef struct tier__node {
    tier__nkind kind;
    int op;
    int neg;
    int depth;
    tier__pos pos;            /* position of the operator or name */
    tier__pos start;          /* position of the node's first token */
    const char *src;          /* the node's source text, for messages */
    size_t src_len;
    double num;
    uint32_t str;
    uint32_t n_kids;
    struct tier__node **kids;
} tier__node;

/* Whether a node is a condition (as opposed to a number, text or column value). */
static inline int tier__node_is_cond(const tier__node *n)
{
    return n->kind >= N_CMP;
}

/* Generates code for condition `root` into r and returns its program index in *prog. */
int tier__rules_codegen(int32_t *prog, tier_rules *r, const tier__node *root);

/* Appends helpers shared by the parser and the code generator; all return TIER_OK/ENOMEM. */
int tier__rules_add_const(uint32_t *index, tier_rules *r, double v);
int tier__rules_add_str(uint32_t *index, tier_rules *r, const char *s, size_t len);

/* Limits that keep hostile input bounded. */
#define TIER__RULES_MAX_DEPTH 200
#define TIER__RULES_MAX_TIERS 1000
#define TIER__RULES_MAX_NAME 200

/* Parses and compiles `text` into the empty rule set `r` (allocator and source_name set). */
int tier__rules_parse(tier_rules *r, const char *text, size_t len);

/* Frees everything `r` owns, including `r`. */
void tier__rules_destroy(tier_rules *r);

/* ---- evaluation ---------------------------------------------------------------------------- */

/* Per-row evaluation of a rule set over a dataset.
 *   tiers      out: qualifying tier per row (required)
 *   prev       in: per row, the customer's current tier in this rule set or -1 (may be NULL)
 *   retain     out: per row, 1 when prev[i] >= 0 has a retain condition that holds (may be NULL,
 *              only used with prev) */
int tier__rules_run(const tier_rules *r, const tier_dataset *ds, int32_t *tiers,
                    const int32_t *prev, uint8_t *retain);

/* Binds only (column existence and types), for tier_rules_check() and compile-time checks.
 * `strict` also makes a text value absent from its categorical column an error when a close
 * value exists (a likely misspelling; used when compiling against a dataset). */
int tier__rules_bind_check(const tier_rules *r, const tier_dataset *ds, int strict);

#endif
