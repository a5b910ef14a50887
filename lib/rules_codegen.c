/* The rule-language code generator: checked AST -> register bytecode.
 *
 * gen(node, reg) leaves the node's value in register `reg` and uses only registers >= reg for
 * temporaries, so a condition needs at most (depth + 1) registers. Operations with a constant
 * operand get their own opcodes (x > 5000 is one GT_RC over the block, not a broadcast and a
 * GT_RR), and constants on the left are moved to the right by flipping the operator. */
#include <string.h>

#include "internal/error.h"
#include "internal/rules.h"

typedef struct cg {
    tier_rules *r;
    unsigned max_reg;
} cg;

int tier__rules_add_const(uint32_t *index, tier_rules *r, double v)
{
    if (tier__grow(&r->alloc, (void **)&r->consts, &r->cap_consts, r->n_consts + 1,
                   sizeof *r->consts))
        return TIER_ENOMEM;
    r->consts[r->n_consts] = v;
    *index = (uint32_t)r->n_consts++;
    return TIER_OK;
}

int tier__rules_add_str(uint32_t *index, tier_rules *r, const char *s, size_t len)
{
    if (tier__grow(&r->alloc, (void **)&r->strs, &r->cap_strs, r->n_strs + 1, sizeof *r->strs))
        return TIER_ENOMEM;
    char *copy = tier__malloc(&r->alloc, len + 1);
    if (!copy)
        return tier__oom();
    memcpy(copy, s, len);
    copy[len] = '\0';
    r->strs[r->n_strs] = copy;
    *index = (uint32_t)r->n_strs++;
    return TIER_OK;
}

static int emit(cg *g, tier__insn in)
{
    tier_rules *r = g->r;
    if (in.dst > g->max_reg)
        g->max_reg = in.dst;
    if (in.b > g->max_reg)
        g->max_reg = in.b;
    if (tier__grow(&r->alloc, (void **)&r->code, &r->cap_code, r->n_code + 1, sizeof *r->code))
        return TIER_ENOMEM;
    r->code[r->n_code++] = in;
    return TIER_OK;
}

static tier__insn insn(int op, unsigned dst, unsigned a, unsigned b, tier__pos pos)
{
    tier__insn in;
    memset(&in, 0, sizeof in);
    in.op = (uint16_t)op;
    in.dst = (uint16_t)dst;
    in.a = (uint16_t)a;
    in.b = (uint16_t)b;
    in.pos = pos;
    return in;
}

static int gen(cg *g, const tier__node *n, unsigned reg);

/* Opcode families indexed by operator: RR, RC, CR (0 = use RR with a broadcast constant). */
static void arith_ops(int tok, int *rr, int *rc, int *cr)
{
    switch (tok) {
    case TK_PLUS: *rr = OP_ADD_RR; *rc = OP_ADD_RC; *cr = OP_ADD_RC; break;
    case TK_MINUS: *rr = OP_SUB_RR; *rc = OP_SUB_RC; *cr = OP_SUB_CR; break;
    case TK_STAR: *rr = OP_MUL_RR; *rc = OP_MUL_RC; *cr = OP_MUL_RC; break;
    default: *rr = OP_DIV_RR; *rc = OP_DIV_RC; *cr = OP_DIV_CR; break;
    }
}

static void cmp_ops(int tok, int *rr, int *rc, int *flipped_rc)
{
    switch (tok) {
    case TK_LT: *rr = OP_LT_RR; *rc = OP_LT_RC; *flipped_rc = OP_GT_RC; break;
    case TK_LE: *rr = OP_LE_RR; *rc = OP_LE_RC; *flipped_rc = OP_GE_RC; break;
    case TK_GT: *rr = OP_GT_RR; *rc = OP_GT_RC; *flipped_rc = OP_LT_RC; break;
    case TK_GE: *rr = OP_GE_RR; *rc = OP_GE_RC; *flipped_rc = OP_LE_RC; break;
    case TK_EQ: *rr = OP_EQ_RR; *rc = OP_EQ_RC; *flipped_rc = OP_EQ_RC; break;
    default: *rr = OP_NE_RR; *rc = OP_NE_RC; *flipped_rc = OP_NE_RC; break;
    }
}

/* a OP b for numeric operands with the constant specialisations. */
static int gen_binary(cg *g, int rr, int rc, int cr, const tier__node *a, const tier__node *b,
                      tier__pos pos, unsigned reg)
{
    int status;
    tier__insn in;
    if (b->kind == N_NUM) {
        if ((status = gen(g, a, reg)) != TIER_OK)
            return status;
        in = insn(rc, reg, reg, 0, pos);
        in.k0 = b->num;
        return emit(g, in);
    }
    if (a->kind == N_NUM) {
        if ((status = gen(g, b, reg)) != TIER_OK)
            return status;
        in = insn(cr, reg, reg, 0, pos);
        in.k0 = a->num;
        return emit(g, in);
    }
    if ((status = gen(g, a, reg)) != TIER_OK || (status = gen(g, b, reg + 1)) != TIER_OK)
        return status;
    return emit(g, insn(rr, reg, reg, reg + 1, pos));
}

static int gen_call(cg *g, const tier__node *n, unsigned reg)
{
    int status = gen(g, n->kids[0], reg);
    if (status)
        return status;
    if (n->op == TIER__FN_LOG || n->op == TIER__FN_ABS)
        return emit(g, insn(n->op == TIER__FN_LOG ? OP_LOG : OP_ABS, reg, reg, 0, n->pos));
    int rr = n->op == TIER__FN_MIN ? OP_MIN_RR : OP_MAX_RR;
    int rc = n->op == TIER__FN_MIN ? OP_MIN_RC : OP_MAX_RC;
    for (uint32_t i = 1; i < n->n_kids; i++) {
        const tier__node *k = n->kids[i];
        if (k->kind == N_NUM) {
            tier__insn in = insn(rc, reg, reg, 0, n->pos);
            in.k0 = k->num;
            status = emit(g, in);
        } else if ((status = gen(g, k, reg + 1)) == TIER_OK) {
            status = emit(g, insn(rr, reg, reg, reg + 1, n->pos));
        }
        if (status)
            return status;
    }
    return TIER_OK;
}

static int gen_cmp(cg *g, const tier__node *n, unsigned reg)
{
    const tier__node *a = n->kids[0], *b = n->kids[1];
    if (b->kind == N_STR) { /* categorical: the parser put the column first */
        tier__insn in = insn(n->op == TK_EQ ? OP_CAT_EQ : OP_CAT_NE, reg, 0, 0, a->pos);
        in.slot = a->str;
        in.aux = b->str;
        return emit(g, in);
    }
    int rr, rc, flipped;
    cmp_ops(n->op, &rr, &rc, &flipped);
    return gen_binary(g, rr, rc, flipped, a, b, n->pos, reg);
}

static int gen_between(cg *g, const tier__node *n, unsigned reg)
{
    const tier__node *x = n->kids[0], *lo = n->kids[1], *hi = n->kids[2];
    int status = gen(g, x, reg);
    if (status)
        return status;
    if (lo->kind == N_NUM && hi->kind == N_NUM) {
        tier__insn in = insn(n->neg ? OP_NBETWEEN_RCC : OP_BETWEEN_RCC, reg, reg, 0, n->pos);
        in.k0 = lo->num;
        in.k1 = hi->num;
        return emit(g, in);
    }
    /* x >= lo and x <= hi, or x < lo or x > hi: x stays in reg's number slot while the two
     * masks go to reg + 1 and reg + 2. */
    if ((status = gen(g, lo, reg + 1)) != TIER_OK ||
        (status = emit(g, insn(n->neg ? OP_LT_RR : OP_GE_RR, reg + 1, reg, reg + 1, n->pos))) ||
        (status = gen(g, hi, reg + 2)) != TIER_OK ||
        (status = emit(g, insn(n->neg ? OP_GT_RR : OP_LE_RR, reg + 2, reg, reg + 2, n->pos))))
        return status;
    return emit(g, insn(n->neg ? OP_OR : OP_AND, reg, reg + 1, reg + 2, n->pos));
}

static int gen_in(cg *g, const tier__node *n, unsigned reg)
{
    tier_rules *r = g->r;
    const tier__node *x = n->kids[0];
    uint32_t count = n->n_kids - 1;
    tier__insn in;
    int status;
    if (n->kids[1]->kind == N_STR) {
        in = insn(n->neg ? OP_CAT_NIN : OP_CAT_IN, reg, 0, 0, x->pos);
        in.slot = x->str;
        in.aux = (uint32_t)r->n_set_items;
        in.count = count;
        if (tier__grow(&r->alloc, (void **)&r->set_items, &r->cap_set_items,
                       r->n_set_items + count, sizeof *r->set_items))
            return TIER_ENOMEM;
        for (uint32_t i = 0; i < count; i++)
            r->set_items[r->n_set_items++] = n->kids[i + 1]->str;
        return emit(g, in);
    }
    if ((status = gen(g, x, reg)) != TIER_OK)
        return status;
    in = insn(n->neg ? OP_NIN_NUM : OP_IN_NUM, reg, reg, 0, n->pos);
    in.aux = (uint32_t)r->n_consts;
    in.count = count;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t ignored;
        if (tier__rules_add_const(&ignored, r, n->kids[i + 1]->num))
            return TIER_ENOMEM;
    }
    return emit(g, in);
}

static int gen_missing(cg *g, const tier__node *n, unsigned reg)
{
    const tier__node *x = n->kids[0];
    if (x->kind == N_COL) { /* the column's real type picks the test at binding */
        tier__insn in = insn(n->neg ? OP_COL_PRESENT : OP_COL_MISSING, reg, 0, 0, x->pos);
        in.slot = x->str;
        return emit(g, in);
    }
    int status = gen(g, x, reg);
    return status ? status : emit(g, insn(n->neg ? OP_NOTNAN : OP_ISNAN, reg, reg, 0, n->pos));
}

/* When the right operand of an and/or was just computed by a comparison with constants on
 * its own register (x > 5000 leaves its mask in reg + 1), folds that comparison into the
 * and/or: one pass over the block instead of two. Returns 1 if it did. */
static int fuse_test(tier_rules *r, int fused_op, unsigned reg)
{
    tier__insn *last = r->n_code ? &r->code[r->n_code - 1] : NULL;
    if (!last || last->dst != reg + 1 || last->a != reg + 1)
        return 0;
    if (!((last->op >= OP_LT_RC && last->op <= OP_NE_RC) || last->op == OP_BETWEEN_RCC ||
          last->op == OP_NBETWEEN_RCC))
        return 0;
    last->count = last->op;
    last->op = (uint16_t)fused_op;
    last->dst = (uint16_t)reg;
    last->b = (uint16_t)reg;
    return 1;
}

static int gen(cg *g, const tier__node *n, unsigned reg)
{
    tier__insn in;
    int rr, rc, cr, status;
    if (reg + 3 > UINT16_MAX)
        return tier__error(TIER_EPARSE, "expression needs too many registers");
    switch (n->kind) {
    case N_NUM:
        in = insn(OP_CONST, reg, 0, 0, n->pos);
        in.k0 = n->num;
        return emit(g, in);
    case N_BOOL:
        in = insn(OP_MASK_CONST, reg, 0, 0, n->pos);
        in.k0 = n->num;
        return emit(g, in);
    case N_COL:
        in = insn(OP_COL, reg, 0, 0, n->pos);
        in.slot = n->str;
        return emit(g, in);
    case N_NEG:
        status = gen(g, n->kids[0], reg);
        return status ? status : emit(g, insn(OP_NEG, reg, reg, 0, n->pos));
    case N_ARITH:
        arith_ops(n->op, &rr, &rc, &cr);
        return gen_binary(g, rr, rc, cr, n->kids[0], n->kids[1], n->pos, reg);
    case N_CALL: return gen_call(g, n, reg);
    case N_CMP: return gen_cmp(g, n, reg);
    case N_BETWEEN: return gen_between(g, n, reg);
    case N_IN: return gen_in(g, n, reg);
    case N_MISSING: return gen_missing(g, n, reg);
    case N_NOT:
        status = gen(g, n->kids[0], reg);
        return status ? status : emit(g, insn(OP_NOT, reg, reg, 0, n->pos));
    case N_AND:
    case N_OR:
        if ((status = gen(g, n->kids[0], reg)) != TIER_OK ||
            (status = gen(g, n->kids[1], reg + 1)) != TIER_OK)
            return status;
        if (fuse_test(g->r, n->kind == N_AND ? OP_AND_TEST : OP_OR_TEST, reg))
            return TIER_OK;
        return emit(g, insn(n->kind == N_AND ? OP_AND : OP_OR, reg, reg, reg + 1, n->pos));
    default:
        return tier__error(TIER_ERROR, "internal error: cannot compile node kind %d", n->kind);
    }
}

int tier__rules_codegen(int32_t *prog, tier_rules *r, const tier__node *root)
{
    cg g = {r, 0};
    if (tier__grow(&r->alloc, (void **)&r->progs, &r->cap_progs, r->n_progs + 1,
                   sizeof *r->progs))
        return TIER_ENOMEM;
    uint32_t start = (uint32_t)r->n_code;
    int status = gen(&g, root, 0);
    if (status)
        return status;
    tier__prog *p = &r->progs[r->n_progs];
    p->start = start;
    p->end = (uint32_t)r->n_code;
    p->result = 0;
    if (g.max_reg + 1 > r->n_regs)
        r->n_regs = g.max_reg + 1;
    *prog = (int32_t)r->n_progs++;
    return TIER_OK;
}
