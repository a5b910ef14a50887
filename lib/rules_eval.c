/* The rule-set evaluator: binds a compiled rule set to a dataset's columns, then runs the
 * bytecode one instruction at a time over blocks of rows.
 *
 * Each instruction is one kernel call over a block (BLOCK rows): a tight loop over 16-byte
 * vectors (SSE2 / NEON through GCC and clang vector types, no special build flags) and a
 * scalar loop for the last rows. The interpreter dispatches once per instruction per block,
 * never per row. Numeric registers are pointers, so reading a column costs nothing (the
 * register points into the column); conditions are 0 / -1 masks, 8 bytes wide like the
 * doubles they come from, so comparisons, and/or/not and tier selection are plain bit
 * operations. Comparisons consumed by an and/or are fused into it (OP_AND_TEST).
 *
 * Blocks are grouped into fixed row ranges (tasks) that run in parallel; every row is computed
 * by the same instructions whatever the thread count, so results are identical. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal/dataset.h"
#include "internal/error.h"
#include "internal/pool.h"
#include "internal/rules.h"

#define BLOCK 1024
#define TASK_BLOCKS 64 /* rows per parallel task: 65,536 */

/* Opcodes that exist only after binding (the column's real type chosen). */
enum {
    XOP_NUM_MISSING = OP_COUNT_ + 1,
    XOP_NUM_PRESENT,
    XOP_CAT_MISSING,
    XOP_CAT_PRESENT
};

typedef struct bcol {
    tier_column_type type;
    const double *num;
    const int32_t *codes;
    const char *const *dict;
    size_t n_cat;
} bcol;

typedef struct binsn {
    int op;
    unsigned dst, a, b;
    const double *col;    /* numeric column */
    const int32_t *codes; /* categorical column */
    int32_t code;         /* CAT_EQ / CAT_NE: the text's code, -2 when absent */
    uint8_t *table;       /* CAT_IN / CAT_NIN: n_cat + 1 flags indexed by code + 1 */
    const double *list;   /* IN_NUM / NIN_NUM */
    uint32_t count;
    double k0, k1;
} binsn;

typedef struct bound {
    const tier_rules *r;
    const tier__alloc *alloc;
    binsn *code;
    size_t n_rows;
} bound;

static void bound_free(bound *b)
{
    if (!b->code)
        return;
    for (size_t i = 0; i < b->r->n_code; i++)
        tier__free(b->alloc, b->code[i].table);
    tier__free(b->alloc, b->code);
    b->code = NULL;
}

/* ---- binding -------------------------------------------------------------------------------- */

static int unknown_column(const tier_rules *r, const tier__rcol *c, const tier_dataset *ds)
{
    size_t n = tier_dataset_column_count(ds);
    const char **names = tier__malloc(&r->alloc, (n + 1) * sizeof *names);
    long best = -1;
    if (names) {
        for (size_t i = 0; i < n; i++)
            names[i] = tier_dataset_column_name(ds, i);
        best = tier__closest(c->name, names, n);
    }
    int status = tier__rules_error(TIER_ENOTFOUND, r->source_name, c->pos,
                                   "unknown column '%s'%s%s%s", c->name,
                                   best >= 0 ? " (did you mean '" : "",
                                   best >= 0 ? names[best] : "", best >= 0 ? "'?)" : "");
    tier__free(&r->alloc, names);
    return status;
}

static int bind_column(bcol *out, const tier_rules *r, const tier__rcol *c, const tier_dataset *ds)
{
    int status = tier_dataset_column_type(&out->type, ds, c->name);
    if (status == TIER_ENOTFOUND)
        return unknown_column(r, c, ds);
    if (status)
        return status;
    if (c->use == TIER__USE_NUM && out->type == TIER_COLUMN_CATEGORICAL)
        return tier__rules_error(TIER_ETYPE, r->source_name, c->typed_pos,
                                 "column '%s' holds text (it is categorical), so it cannot be "
                                 "used as a number; compare it with text, e.g. %s = \"...\"",
                                 c->name, c->name);
    if (c->use == TIER__USE_CAT && out->type == TIER_COLUMN_NUMERIC)
        return tier__rules_error(TIER_ETYPE, r->source_name, c->typed_pos,
                                 "column '%s' is numeric, so it cannot be compared with text; "
                                 "compare it with a number, e.g. %s > 0", c->name, c->name);
    if (out->type == TIER_COLUMN_NUMERIC)
        status = tier_dataset_numeric(&out->num, ds, c->name);
    else
        status = tier_dataset_categorical(&out->codes, &out->dict, &out->n_cat, ds, c->name);
    if (status) {
        char where[300];
        snprintf(where, sizeof where, "%s:%u:%u", r->source_name, (unsigned)c->pos.line,
                 (unsigned)c->pos.col);
        tier__error_prefix(where);
    }
    return status;
}

static int32_t find_code(const bcol *c, const char *s)
{
    for (size_t i = 0; i < c->n_cat; i++)
        if (strcmp(c->dict[i], s) == 0)
            return (int32_t)i;
    return -2;
}

/* In strict (authoring) mode, a text value absent from the column but close to a value in
 * it is reported as a likely misspelling. */
static int check_text(const tier_rules *r, const tier__insn *in, const bcol *c, const char *s)
{
    long best = tier__closest(s, c->dict, c->n_cat);
    if (best < 0)
        return TIER_OK;
    return tier__rules_error(TIER_ENOTFOUND, r->source_name, in->pos,
                             "'%s' is not a value of column '%s' (did you mean '%s'?)", s,
                             r->cols[in->slot].name, c->dict[best]);
}

static int bind_insn(binsn *o, const tier_rules *r, const tier__insn *in, const bcol *cols,
                     int strict)
{
    const bcol *c = in->slot < r->n_cols ? &cols[in->slot] : NULL;
    o->op = in->op;
    o->dst = in->dst;
    o->a = in->a;
    o->b = in->b;
    o->k0 = in->k0;
    o->k1 = in->k1;
    o->count = in->count;
    switch (in->op) {
    case OP_COL:
        o->col = c->num;
        return TIER_OK;
    case OP_COL_MISSING:
    case OP_COL_PRESENT: {
        int present = in->op == OP_COL_PRESENT;
        if (c->type == TIER_COLUMN_NUMERIC) {
            o->op = present ? XOP_NUM_PRESENT : XOP_NUM_MISSING;
            o->col = c->num;
        } else {
            o->op = present ? XOP_CAT_PRESENT : XOP_CAT_MISSING;
            o->codes = c->codes;
        }
        return TIER_OK;
    }
    case OP_CAT_EQ:
    case OP_CAT_NE:
        o->codes = c->codes;
        o->code = find_code(c, r->strs[in->aux]);
        return strict && o->code < 0 ? check_text(r, in, c, r->strs[in->aux]) : TIER_OK;
    case OP_CAT_IN:
    case OP_CAT_NIN:
        o->codes = c->codes;
        o->table = tier__calloc(&r->alloc, c->n_cat + 1, 1);
        if (!o->table)
            return tier__oom();
        for (uint32_t i = 0; i < in->count; i++) {
            const char *s = r->strs[r->set_items[in->aux + i]];
            int32_t code = find_code(c, s);
            if (code >= 0)
                o->table[code + 1] = 1;
            else if (strict && check_text(r, in, c, s))
                return TIER_ENOTFOUND;
        }
        return TIER_OK;
    case OP_IN_NUM:
    case OP_NIN_NUM:
        o->list = r->consts + in->aux;
        return TIER_OK;
    default:
        return TIER_OK;
    }
}

static int bind(bound *b, const tier_rules *r, const tier_dataset *ds, int strict)
{
    memset(b, 0, sizeof *b);
    b->r = r;
    b->alloc = &r->alloc;
    b->n_rows = tier_dataset_size(ds);
    bcol *cols = tier__calloc(&r->alloc, r->n_cols + 1, sizeof *cols);
    b->code = tier__calloc(&r->alloc, r->n_code + 1, sizeof *b->code);
    int status = cols && b->code ? TIER_OK : tier__oom();
    for (size_t i = 0; status == TIER_OK && i < r->n_cols; i++)
        status = bind_column(&cols[i], r, &r->cols[i], ds);
    for (size_t i = 0; status == TIER_OK && i < r->n_code; i++)
        status = bind_insn(&b->code[i], r, &r->code[i], cols, strict);
    tier__free(&r->alloc, cols);
    if (status)
        bound_free(b);
    return status;
}

int tier__rules_bind_check(const tier_rules *r, const tier_dataset *ds, int strict)
{
    bound b;
    int status = bind(&b, r, ds, strict);
    if (status == TIER_OK)
        bound_free(&b);
    return status;
}

/* ---- the interpreter ------------------------------------------------------------------------ */

/* A condition's value per row: 0 (false) or -1 (all bits set), the shape SIMD comparisons
 * produce, so comparisons, and/or/not and tier selection need no conversions. */
typedef int64_t mask_t;

/* Each register has two number buffers and two mask buffers; an instruction writes to the one
 * its operands do not occupy, so inputs and outputs of a kernel never overlap (the kernels'
 * `restrict` parameters are true). */
typedef struct regs {
    const double **nv; /* current number view of each register */
    const mask_t **mv; /* current mask view of each register */
    double *nbuf;      /* 2 * n_regs * BLOCK */
    mask_t *mbuf;      /* 2 * n_regs * BLOCK */
    int64_t *tier;     /* BLOCK: the block's tiers while they are chosen */
} regs;

static double *num_out(regs *R, unsigned d)
{
    double *o = R->nbuf + (size_t)d * 2 * BLOCK;
    if (o == R->nv[d])
        o += BLOCK;
    R->nv[d] = o;
    return o;
}

static mask_t *mask_out(regs *R, unsigned d)
{
    mask_t *o = R->mbuf + (size_t)d * 2 * BLOCK;
    if (o == R->mv[d])
        o += BLOCK;
    R->mv[d] = o;
    return o;
}

/* Kernels are written once as expressions over x, y (numbers), p, q (masks), c (codes) and the
 * constants k, k1. With GCC or clang the number and mask kernels run 2 rows at a time on
 * 16-byte vector types (SSE2 on x86-64, NEON on arm64: no special build flags), the remaining
 * rows one at a time; other compilers run the scalar loop only. Both loops perform exactly the
 * same IEEE operations, so results do not depend on the path. */
#if defined(__GNUC__) && !defined(TIER_RULES_SCALAR)
#define VEC 2
typedef double vd __attribute__((vector_size(16)));
typedef int64_t vm __attribute__((vector_size(16)));
static inline vd vld(const double *p) { vd v; memcpy(&v, p, sizeof v); return v; }
static inline vm vldm(const mask_t *p) { vm v; memcpy(&v, p, sizeof v); return v; }
static inline vd vsplat(double k) { vd v = {k, k}; return v; }
static inline vm vmsplat(mask_t k) { vm v = {k, k}; return v; }
/* lanes of a where m is set, else of b */
static inline vd vblend(vm m, vd a, vd b) { return (vd)(((vm)a & m) | ((vm)b & ~m)); }
static inline vd vabs(vd x) { return (vd)((vm)x & vmsplat(INT64_MAX)); }
static inline vd vlog(vd x)
{
    vd r = {log(x[0]), log(x[1])};
    return r;
}
static inline vd vmin_nan(vd a, vd b)
{
    vd r = vblend(a < b, a, b);
    r = vblend(a != a, a, r);
    return vblend(b != b, b, r);
}
static inline vd vmax_nan(vd a, vd b)
{
    vd r = vblend(a > b, a, b);
    r = vblend(a != a, a, r);
    return vblend(b != b, b, r);
}
#define VLOOP(...)                                                                               \
    for (; i + VEC <= n; i += VEC) {                                                             \
        __VA_ARGS__                                                                              \
    }
#define ABS(x) _Generic((x), vd: vabs, default: fabs)(x)
#define LOG(x) _Generic((x), vd: vlog, default: log)(x)
#define MIN_NAN(a, b) _Generic((a), vd: vmin_nan, default: min_nan)(a, b)
#define MAX_NAN(a, b) _Generic((a), vd: vmax_nan, default: max_nan)(a, b)
#else
#define VLOOP(...)
#define ABS(x) fabs(x)
#define LOG(x) log(x)
#define MIN_NAN(a, b) min_nan(a, b)
#define MAX_NAN(a, b) max_nan(a, b)
#endif

/* min / max that propagate NaN (a missing value makes the result missing). */
static inline double min_nan(double a, double b)
{
    double r = a < b ? a : b;
    r = a != a ? a : r;
    return b != b ? b : r;
}
static inline double max_nan(double a, double b)
{
    double r = a > b ? a : b;
    r = a != a ? a : r;
    return b != b ? b : r;
}

/* o[i] = expr(x[i], k) */
#define NUM1(name, expr)                                                                         \
    static void name(double *restrict o, const double *restrict xs, double k0, size_t n)       \
    {                                                                                            \
        size_t i = 0;                                                                            \
        VLOOP(vd x = vld(xs + i); vd k = vsplat(k0); (void)k; vd r = (expr);                     \
              memcpy(o + i, &r, sizeof r);)                                                      \
        for (; i < n; i++) {                                                                     \
            double x = xs[i], k = k0;                                                            \
            (void)k;                                                                             \
            o[i] = (expr);                                                                       \
        }                                                                                        \
    }
/* o[i] = expr(x[i], y[i]) */
#define NUM2(name, expr)                                                                         \
    static void name(double *restrict o, const double *restrict xs, const double *restrict ys, \
                     size_t n)                                                                   \
    {                                                                                            \
        size_t i = 0;                                                                            \
        VLOOP(vd x = vld(xs + i); vd y = vld(ys + i); vd r = (expr); memcpy(o + i, &r, sizeof r);) \
        for (; i < n; i++) {                                                                     \
            double x = xs[i], y = ys[i];                                                         \
            o[i] = (expr);                                                                       \
        }                                                                                        \
    }
/* m[i] = truth of expr(x[i], k, k1) */
#define TST1(name, expr)                                                                         \
    static void name(mask_t *restrict m, const double *restrict xs, double k0, double k10,     \
                     size_t n)                                                                   \
    {                                                                                            \
        size_t i = 0;                                                                            \
        VLOOP(vd x = vld(xs + i); vd k = vsplat(k0), k1 = vsplat(k10); (void)k; (void)k1;        \
              vm r = (expr); memcpy(m + i, &r, sizeof r);)                                  \
        for (; i < n; i++) {                                                                     \
            double x = xs[i], k = k0, k1 = k10;                                                  \
            (void)k;                                                                             \
            (void)k1;                                                                            \
            m[i] = -(mask_t)(expr);                                                                  \
        }                                                                                        \
    }
/* m[i] = truth of expr(x[i], y[i]) */
#define TST2(name, expr)                                                                         \
    static void name(mask_t *restrict m, const double *restrict xs, const double *restrict ys, \
                     size_t n)                                                                   \
    {                                                                                            \
        size_t i = 0;                                                                            \
        VLOOP(vd x = vld(xs + i); vd y = vld(ys + i); vm r = (expr);                        \
              memcpy(m + i, &r, sizeof r);)                                                      \
        for (; i < n; i++) {                                                                     \
            double x = xs[i], y = ys[i];                                                         \
            m[i] = -(mask_t)(expr);                                                                  \
        }                                                                                        \
    }
/* m[i] = expr(p[i], q[i]) on masks */
#define LGC2(name, expr)                                                                         \
    static void name(mask_t *restrict m, const mask_t *restrict ps, const mask_t *restrict qs,  \
                     size_t n)                                                                   \
    {                                                                                            \
        size_t i = 0;                                                                            \
        VLOOP(vm p = vldm(ps + i); vm q = vldm(qs + i); vm r = (expr); memcpy(m + i, &r, sizeof r);) \
        for (; i < n; i++) {                                                                     \
            mask_t p = ps[i], q = qs[i];                                                         \
            m[i] = (expr);                                                                       \
        }                                                                                        \
    }
/* m[i] = p[i] and / or truth of expr(x[i], k, k1): a comparison fused with its and / or */
#define FUSED(name, op, expr)                                                                    \
    static void name(mask_t *restrict m, const mask_t *restrict ps, const double *restrict xs, \
                     double k0, double k10, size_t n)                                            \
    {                                                                                            \
        size_t i = 0;                                                                            \
        VLOOP(vd x = vld(xs + i); vd k = vsplat(k0), k1 = vsplat(k10); (void)k; (void)k1;        \
              vm r = vldm(ps + i) op (expr); memcpy(m + i, &r, sizeof r);)                       \
        for (; i < n; i++) {                                                                     \
            double x = xs[i], k = k0, k1 = k10;                                                  \
            (void)k;                                                                             \
            (void)k1;                                                                            \
            m[i] = ps[i] op -(mask_t)(expr);                                                     \
        }                                                                                        \
    }
#define FUSED_PAIR(cmp, expr) FUSED(k_and_##cmp, &, expr) FUSED(k_or_##cmp, |, expr)

/* m[i] = truth of expr(c[i], code) on categorical codes (scalar: codes are 4 bytes, masks 8) */
#define CAT1(name, expr)                                                                         \
    static void name(mask_t *restrict m, const int32_t *restrict cs, int32_t code, size_t n)    \
    {                                                                                            \
        for (size_t i = 0; i < n; i++) {                                                         \
            int32_t c = cs[i];                                                                   \
            (void)code;                                                                          \
            m[i] = -(mask_t)(expr);                                                              \
        }                                                                                        \
    }

NUM1(k_add_rc, x + k)
NUM1(k_sub_rc, x - k)
NUM1(k_sub_cr, k - x)
NUM1(k_mul_rc, x * k)
NUM1(k_div_rc, x / k)
NUM1(k_div_cr, k / x)
NUM1(k_neg, -x)
NUM1(k_abs, ABS(x))
NUM1(k_log, LOG(x))
NUM1(k_min_rc, MIN_NAN(x, k))
NUM1(k_max_rc, MAX_NAN(x, k))
NUM2(k_add_rr, x + y)
NUM2(k_sub_rr, x - y)
NUM2(k_mul_rr, x * y)
NUM2(k_div_rr, x / y)
NUM2(k_min_rr, MIN_NAN(x, y))
NUM2(k_max_rr, MAX_NAN(x, y))
TST1(k_lt_rc, x < k)
TST1(k_le_rc, x <= k)
TST1(k_gt_rc, x > k)
TST1(k_ge_rc, x >= k)
TST1(k_eq_rc, x == k)
TST1(k_ne_rc, (x < k) | (x > k)) /* false with NaN, like every comparison */
TST1(k_between, (x >= k) & (x <= k1))
TST1(k_nbetween, (x < k) | (x > k1))
TST1(k_isnan, x != x)
TST1(k_notnan, x == x)
TST2(k_lt_rr, x < y)
TST2(k_le_rr, x <= y)
TST2(k_gt_rr, x > y)
TST2(k_ge_rr, x >= y)
TST2(k_eq_rr, x == y)
TST2(k_ne_rr, (x < y) | (x > y))
LGC2(k_and, p & q)
LGC2(k_or, p | q)
CAT1(k_cat_missing, c < 0)
CAT1(k_cat_present, c >= 0)
CAT1(k_cat_eq, c == code)
CAT1(k_cat_ne, (c >= 0) & (c != code))

FUSED_PAIR(lt, x < k)
FUSED_PAIR(le, x <= k)
FUSED_PAIR(gt, x > k)
FUSED_PAIR(ge, x >= k)
FUSED_PAIR(eq, x == k)
FUSED_PAIR(ne, (x < k) | (x > k))
FUSED_PAIR(between, (x >= k) & (x <= k1))
FUSED_PAIR(nbetween, (x < k) | (x > k1))

typedef void (*fused_fn)(mask_t *restrict, const mask_t *restrict, const double *restrict,
                         double, double, size_t);

/* The fused kernel for OP_AND_TEST / OP_OR_TEST with comparison `test`. */
static fused_fn fused_kernel(int and_op, int test)
{
    switch (test) {
    case OP_LT_RC: return and_op ? k_and_lt : k_or_lt;
    case OP_LE_RC: return and_op ? k_and_le : k_or_le;
    case OP_GT_RC: return and_op ? k_and_gt : k_or_gt;
    case OP_GE_RC: return and_op ? k_and_ge : k_or_ge;
    case OP_EQ_RC: return and_op ? k_and_eq : k_or_eq;
    case OP_NE_RC: return and_op ? k_and_ne : k_or_ne;
    case OP_BETWEEN_RCC: return and_op ? k_and_between : k_or_between;
    default: return and_op ? k_and_nbetween : k_or_nbetween;
    }
}

static void k_fill(double *restrict o, double k, size_t n)
{
    for (size_t i = 0; i < n; i++)
        o[i] = k;
}

static void k_not(mask_t *restrict m, const mask_t *restrict ps, size_t n)
{
    size_t i = 0;
    VLOOP(vm r = ~vldm(ps + i); memcpy(m + i, &r, sizeof r);)
    for (; i < n; i++)
        m[i] = ~ps[i];
}

/* Category in a set: a table lookup per row (tables are small and cached). */
static void k_cat_in(mask_t *restrict m, const int32_t *restrict c, const uint8_t *table,
                     int negate, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int in = table[c[i] + 1];
        m[i] = -(mask_t)(negate ? (c[i] >= 0) & !in : in);
    }
}

/* Number in a list: one comparison pass per list entry. */
static void k_in_list(mask_t *restrict m, const double *restrict xs, const double *list,
                      uint32_t count, int negate, size_t n)
{
    k_eq_rc(m, xs, count ? list[0] : NAN, 0, n);
    for (uint32_t j = 1; j < count; j++) {
        const double v = list[j];
        size_t i = 0;
        VLOOP(vd x = vld(xs + i); vm r = vldm(m + i) | (x == vsplat(v)); memcpy(m + i, &r, sizeof r);)
        for (; i < n; i++)
            m[i] |= -(mask_t)(xs[i] == v);
    }
    if (negate)
        for (size_t i = 0; i < n; i++)
            m[i] = ~m[i] & -(mask_t)(xs[i] == xs[i]);
}

/* Executes one instruction over rows [start, start + n). */
static void exec(const binsn *in, size_t start, size_t n, regs *R)
{
    const double *x = R->nv[in->a], *y = R->nv[in->b];
    const mask_t *p = R->mv[in->a], *q = R->mv[in->b];
    const double k = in->k0;
    switch (in->op) {
    case OP_COL: R->nv[in->dst] = in->col + start; break;
    case OP_CONST: k_fill(num_out(R, in->dst), k, n); break;
    case OP_ADD_RR: k_add_rr(num_out(R, in->dst), x, y, n); break;
    case OP_ADD_RC: k_add_rc(num_out(R, in->dst), x, k, n); break;
    case OP_SUB_RR: k_sub_rr(num_out(R, in->dst), x, y, n); break;
    case OP_SUB_RC: k_sub_rc(num_out(R, in->dst), x, k, n); break;
    case OP_SUB_CR: k_sub_cr(num_out(R, in->dst), x, k, n); break;
    case OP_MUL_RR: k_mul_rr(num_out(R, in->dst), x, y, n); break;
    case OP_MUL_RC: k_mul_rc(num_out(R, in->dst), x, k, n); break;
    case OP_DIV_RR: k_div_rr(num_out(R, in->dst), x, y, n); break;
    case OP_DIV_RC: k_div_rc(num_out(R, in->dst), x, k, n); break;
    case OP_DIV_CR: k_div_cr(num_out(R, in->dst), x, k, n); break;
    case OP_NEG: k_neg(num_out(R, in->dst), x, k, n); break;
    case OP_ABS: k_abs(num_out(R, in->dst), x, k, n); break;
    case OP_LOG: k_log(num_out(R, in->dst), x, k, n); break;
    case OP_MIN_RR: k_min_rr(num_out(R, in->dst), x, y, n); break;
    case OP_MIN_RC: k_min_rc(num_out(R, in->dst), x, k, n); break;
    case OP_MAX_RR: k_max_rr(num_out(R, in->dst), x, y, n); break;
    case OP_MAX_RC: k_max_rc(num_out(R, in->dst), x, k, n); break;
    case OP_LT_RR: k_lt_rr(mask_out(R, in->dst), x, y, n); break;
    case OP_LE_RR: k_le_rr(mask_out(R, in->dst), x, y, n); break;
    case OP_GT_RR: k_gt_rr(mask_out(R, in->dst), x, y, n); break;
    case OP_GE_RR: k_ge_rr(mask_out(R, in->dst), x, y, n); break;
    case OP_EQ_RR: k_eq_rr(mask_out(R, in->dst), x, y, n); break;
    case OP_NE_RR: k_ne_rr(mask_out(R, in->dst), x, y, n); break;
    case OP_LT_RC: k_lt_rc(mask_out(R, in->dst), x, k, 0, n); break;
    case OP_LE_RC: k_le_rc(mask_out(R, in->dst), x, k, 0, n); break;
    case OP_GT_RC: k_gt_rc(mask_out(R, in->dst), x, k, 0, n); break;
    case OP_GE_RC: k_ge_rc(mask_out(R, in->dst), x, k, 0, n); break;
    case OP_EQ_RC: k_eq_rc(mask_out(R, in->dst), x, k, 0, n); break;
    case OP_NE_RC: k_ne_rc(mask_out(R, in->dst), x, k, 0, n); break;
    case OP_BETWEEN_RCC: k_between(mask_out(R, in->dst), x, k, in->k1, n); break;
    case OP_NBETWEEN_RCC: k_nbetween(mask_out(R, in->dst), x, k, in->k1, n); break;
    case OP_IN_NUM: k_in_list(mask_out(R, in->dst), x, in->list, in->count, 0, n); break;
    case OP_NIN_NUM: k_in_list(mask_out(R, in->dst), x, in->list, in->count, 1, n); break;
    case OP_ISNAN: k_isnan(mask_out(R, in->dst), x, 0, 0, n); break;
    case OP_NOTNAN: k_notnan(mask_out(R, in->dst), x, 0, 0, n); break;
    case XOP_NUM_MISSING: k_isnan(mask_out(R, in->dst), in->col + start, 0, 0, n); break;
    case XOP_NUM_PRESENT: k_notnan(mask_out(R, in->dst), in->col + start, 0, 0, n); break;
    case XOP_CAT_MISSING: k_cat_missing(mask_out(R, in->dst), in->codes + start, 0, n); break;
    case XOP_CAT_PRESENT: k_cat_present(mask_out(R, in->dst), in->codes + start, 0, n); break;
    case OP_CAT_EQ: k_cat_eq(mask_out(R, in->dst), in->codes + start, in->code, n); break;
    case OP_CAT_NE: k_cat_ne(mask_out(R, in->dst), in->codes + start, in->code, n); break;
    case OP_CAT_IN: k_cat_in(mask_out(R, in->dst), in->codes + start, in->table, 0, n); break;
    case OP_CAT_NIN: k_cat_in(mask_out(R, in->dst), in->codes + start, in->table, 1, n); break;
    case OP_AND: k_and(mask_out(R, in->dst), p, q, n); break;
    case OP_OR: k_or(mask_out(R, in->dst), p, q, n); break;
    case OP_NOT: k_not(mask_out(R, in->dst), p, n); break;
    case OP_AND_TEST:
    case OP_OR_TEST:
        fused_kernel(in->op == OP_AND_TEST, (int)in->count)(mask_out(R, in->dst), q, x, k,
                                                            in->k1, n);
        break;
    case OP_MASK_CONST: {
        mask_t *m = mask_out(R, in->dst), v = k != 0 ? -1 : 0;
        for (size_t i = 0; i < n; i++)
            m[i] = v;
        break;
    }
    default: break;
    }
}

/* Runs a program over one block; returns its result mask. */
static const mask_t *run_prog(const bound *b, int32_t prog, size_t start, size_t n, regs *R)
{
    const tier__prog *pg = &b->r->progs[prog];
    for (uint32_t i = pg->start; i < pg->end; i++)
        exec(&b->code[i], start, n, R);
    return R->mv[pg->result];
}

typedef struct run_ctx {
    const bound *b;
    int32_t *tiers;
    const int32_t *prev;
    uint8_t *retain;
} run_ctx;

/* t[i] = m[i] ? k : t[i] (masks are 0 or -1, tiers 8 bytes wide: pure and/or) */
static void take_tier(int64_t *restrict t, const mask_t *restrict m, int64_t k0, size_t n)
{
    size_t i = 0;
#ifdef VEC
    vm k = vmsplat(k0);
    VLOOP(vm mv = vldm(m + i); vm tv = (vldm(t + i) & ~mv) | (k & mv); memcpy(t + i, &tv, sizeof tv);)
#endif
    for (; i < n; i++)
        t[i] = (t[i] & ~m[i]) | (k0 & m[i]);
}

/* First tier whose condition holds. Conditions are applied from the last tier to the first,
 * each overwriting the rows it matches, so the first matching tier is the one that stays: no
 * per-row bookkeeping of which rows already have a tier. */
static void assign_block(const run_ctx *c, size_t start, size_t n, regs *R)
{
    const tier_rules *r = c->b->r;
    const int64_t last = (int64_t)r->n_tiers - 1;
    int64_t *restrict t = R->tier;
    int32_t *restrict out = c->tiers + start;
    if (last == 0) {
        memset(out, 0, n * sizeof *out);
        return;
    }
    const mask_t *restrict m = run_prog(c->b, r->tiers[last - 1].cond, start, n, R);
    for (size_t i = 0; i < n; i++)
        t[i] = last + m[i]; /* last - 1 where the condition holds */
    for (int64_t k = last - 2; k >= 0; k--)
        take_tier(t, run_prog(c->b, r->tiers[k].cond, start, n, R), k, n);
    for (size_t i = 0; i < n; i++)
        out[i] = (int32_t)t[i];
}

/* Evaluates each tier's retain condition on the rows currently holding that tier. */
static void retain_block(const run_ctx *c, size_t start, size_t n, regs *R)
{
    const tier_rules *r = c->b->r;
    const int32_t *p = c->prev + start;
    uint8_t *out = c->retain + start;
    memset(out, 0, n);
    for (size_t k = 0; k < r->n_tiers; k++) {
        if (r->tiers[k].retain < 0)
            continue;
        int any = 0;
        for (size_t i = 0; i < n; i++)
            any |= p[i] == (int32_t)k;
        if (!any)
            continue;
        const mask_t *m = run_prog(c->b, r->tiers[k].retain, start, n, R);
        for (size_t i = 0; i < n; i++)
            out[i] = p[i] == (int32_t)k ? m[i] != 0 : out[i];
    }
}

static int run_task(void *ctx, size_t task)
{
    const run_ctx *c = ctx;
    const tier_rules *r = c->b->r;
    size_t first = task * TASK_BLOCKS * BLOCK;
    size_t end = first + TASK_BLOCKS * BLOCK;
    if (end > c->b->n_rows)
        end = c->b->n_rows;
    regs R = {NULL, NULL, NULL, NULL, NULL};
    size_t nregs = r->n_regs ? r->n_regs : 1;
    R.nv = tier__calloc(&r->alloc, nregs, sizeof *R.nv);
    R.mv = tier__calloc(&r->alloc, nregs, sizeof *R.mv);
    R.nbuf = tier__malloc(&r->alloc, 2 * nregs * BLOCK * sizeof *R.nbuf);
    R.mbuf = tier__malloc(&r->alloc, 2 * nregs * BLOCK * sizeof *R.mbuf);
    R.tier = tier__malloc(&r->alloc, BLOCK * sizeof *R.tier);
    int status = R.nv && R.mv && R.nbuf && R.mbuf && R.tier ? TIER_OK : tier__oom();
    for (size_t s = first; status == TIER_OK && s < end; s += BLOCK) {
        size_t n = end - s < BLOCK ? end - s : BLOCK;
        assign_block(c, s, n, &R);
        if (c->prev && c->retain)
            retain_block(c, s, n, &R);
    }
    tier__free(&r->alloc, R.nv);
    tier__free(&r->alloc, R.mv);
    tier__free(&r->alloc, R.nbuf);
    tier__free(&r->alloc, R.mbuf);
    tier__free(&r->alloc, R.tier);
    return status;
}

int tier__rules_run(const tier_rules *r, const tier_dataset *ds, int32_t *tiers,
                    const int32_t *prev, uint8_t *retain)
{
    bound b;
    int status = bind(&b, r, ds, 0);
    if (status)
        return status;
    run_ctx c = {&b, tiers, prev, retain};
    size_t rows_per_task = (size_t)TASK_BLOCKS * BLOCK;
    size_t tasks = (b.n_rows + rows_per_task - 1) / rows_per_task;
    if (tasks > 0)
        status = tier__parallel_for(tier__threads(tier__dataset_threads(ds), tasks), tasks,
                                    run_task, &c);
    bound_free(&b);
    return status;
}
