/* The rule-language parser: tokens -> checked, constant-folded AST -> bytecode (via codegen).
 *
 * Grammar (newlines are not significant; ';' may separate statements):
 *
 *   ruleset    := { tier | otherwise | policy | pin | ';' }
 *   tier       := 'tier' NAME 'when' cond { 'label' TEXT | 'retain' 'when' cond }
 *   otherwise  := 'otherwise' NAME [ 'label' TEXT ]
 *   policy     := 'policy' ( 'grace' INT ['evaluations'] | 'max' 'downgrade' INT ['steps'] )
 *   pin        := 'pin' (TEXT | INT) 'to' NAME 'until' DATE
 *   cond       := and { 'or' and }
 *   and        := not { 'and' not }
 *   not        := 'not' not | predicate
 *   predicate  := sum [ cmp sum | ['not'] 'between' sum 'and' sum
 *                     | ['not'] 'in' '(' literal { ',' literal } ')' | 'is' ['not'] 'missing' ]
 *   sum        := term { ('+' | '-') term }
 *   term       := unary { ('*' | '/') unary }
 *   unary      := ('-' | '+') unary | primary
 *   primary    := NUMBER | DATE | TEXT | NAME | NAME '(' cond { ',' cond } ')' | '(' cond ')'
 *
 * Types are checked while nodes are built, so every message points at the offending token. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal/error.h"
#include "internal/rules.h"
#include "internal/strtab.h"

/* ---- arena for AST nodes and scratch strings ------------------------------------------------ */

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} arena_chunk;

typedef struct pending_pin {
    char *tier;      /* tier name, resolved after all tiers are known */
    tier__pos pos;   /* position of the tier name */
    tier__pos at;    /* position of 'pin' */
} pending_pin;

typedef struct parser {
    tier_rules *r;
    tier__lexer lx;
    tier__token cur;
    const char *prev_end; /* end of the previous token, for node source spans */
    arena_chunk *arena;
    int depth;
    int have_otherwise;
    tier__pos otherwise_pos;
    int grace_set, maxdown_set;
    tier__pos grace_pos, maxdown_pos;
    pending_pin *pins;
    size_t cap_pins;
    tier__pos *tier_pos; /* parallel to r->tiers, for "defined twice" messages */
    size_t cap_tier_pos;
    tier__strtab col_names; /* column name -> slot (index order = slot order) */
    tier__strtab pin_ids;   /* pinned customer ids, for "already pinned" */
} parser;

static void *arena_alloc(parser *p, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    arena_chunk *c = p->arena;
    if (!c || c->cap - c->used < size) {
        size_t cap = size > 16384 ? size : 16384;
        c = tier__malloc(&p->r->alloc, sizeof *c + cap);
        if (!c) {
            tier__oom();
            return NULL;
        }
        c->next = p->arena;
        c->used = 0;
        c->cap = cap;
        p->arena = c;
    }
    void *out = c->data + c->used;
    c->used += size;
    return out;
}

static void arena_free(parser *p)
{
    while (p->arena) {
        arena_chunk *n = p->arena->next;
        tier__free(&p->r->alloc, p->arena);
        p->arena = n;
    }
}

/* ---- tokens and messages -------------------------------------------------------------------- */

static const char *src_name(const parser *p) { return p->r->source_name; }

static int next(parser *p)
{
    p->prev_end = p->cur.text + p->cur.len;
    p->cur = tier__lex_next(&p->lx);
    return p->cur.kind == TK_ERROR ? TIER_EPARSE : TIER_OK;
}

#define ERR_AT(p, status, pos, ...) tier__rules_error((status), src_name(p), (pos), __VA_ARGS__)

/* "expected WHAT, found 'tok'" at the current token. */
static int expected(parser *p, const char *what)
{
    char found[96];
    tier__tok_describe(found, sizeof found, &p->cur);
    return ERR_AT(p, TIER_EPARSE, p->cur.pos, "expected %s, found %s", what, found);
}

/* A node's source text, quoted and shortened, for messages. */
static const char *node_text(char *buf, size_t cap, const tier__node *n)
{
    size_t len = n->src_len > 48 ? 48 : n->src_len;
    snprintf(buf, cap, "'%.*s%s'", (int)len, n->src, n->src_len > 48 ? "..." : "");
    return buf;
}

static int is_word(const tier__token *t, const char *word)
{
    return t->kind == TK_IDENT && !t->quoted && strlen(word) == t->len &&
           strncasecmp(t->text, word, t->len) == 0;
}

/* Copies a name token (identifier, quoted identifier or text) into an allocated string. */
static char *token_string(parser *p, const tier__token *t, size_t *len_out)
{
    char *s = tier__malloc(&p->r->alloc, t->len + 1);
    if (!s) {
        tier__oom();
        return NULL;
    }
    size_t len;
    if (t->kind == TK_STRING || t->quoted) {
        len = tier__lex_unescape(s, t);
    } else {
        memcpy(s, t->text, t->len);
        s[t->len] = '\0';
        len = t->len;
    }
    if (len_out)
        *len_out = len;
    return s;
}

/* ---- columns and constants ------------------------------------------------------------------ */

static int col_slot(uint32_t *slot, parser *p, const char *name, size_t len, tier__pos pos)
{
    tier_rules *r = p->r;
    int created = 0;
    if (tier__strtab_intern(&p->col_names, name, len, slot, &created))
        return TIER_ENOMEM;
    if (!created)
        return TIER_OK;
    if (tier__grow(&r->alloc, (void **)&r->cols, &r->cap_cols, r->n_cols + 1, sizeof *r->cols))
        return TIER_ENOMEM;
    tier__rcol *c = &r->cols[r->n_cols];
    memset(c, 0, sizeof *c);
    c->name = tier__malloc(&r->alloc, len + 1);
    if (!c->name)
        return tier__oom();
    memcpy(c->name, name, len);
    c->name[len] = '\0';
    c->use = TIER__USE_ANY;
    c->pos = pos;
    r->n_cols++;
    return TIER_OK;
}

static const char *use_name(int use) { return use == TIER__USE_CAT ? "text" : "a number"; }

/* Records that column `slot` is used as `use` at `pos`; a column cannot be both. */
static int use_col(parser *p, uint32_t slot, int use, tier__pos pos)
{
    tier__rcol *c = &p->r->cols[slot];
    if (use == TIER__USE_ANY || c->use == use)
        return TIER_OK;
    if (c->use == TIER__USE_ANY) {
        c->use = use;
        c->typed_pos = pos;
        return TIER_OK;
    }
    return ERR_AT(p, TIER_ETYPE, pos, "column '%s' is used as %s here but as %s at %u:%u",
                  c->name, use_name(use), use_name(c->use), (unsigned)c->typed_pos.line,
                  (unsigned)c->typed_pos.col);
}

/* ---- node construction with type checks and constant folding -------------------------------- */

static tier__node *new_node(parser *p, tier__nkind kind, tier__pos pos, unsigned n_kids)
{
    tier__node *n = arena_alloc(p, sizeof *n + n_kids * sizeof(tier__node *));
    if (!n)
        return NULL;
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->pos = pos;
    n->depth = 1;
    n->n_kids = n_kids;
    n->kids = (tier__node **)(n + 1);
    return n;
}

/* Sets kids, depth and the source span (from the first kid or `start` to the previous token). */
static tier__node *finish(parser *p, tier__node *n, const char *start)
{
    n->src = start;
    n->src_len = (size_t)(p->prev_end - start);
    n->start = n->n_kids && n->kids[0]->src == start ? n->kids[0]->start : n->pos;
    for (uint32_t i = 0; i < n->n_kids; i++)
        if (n->kids[i]->depth + 1 > n->depth)
            n->depth = n->kids[i]->depth + 1;
    if (n->depth > TIER__RULES_MAX_DEPTH) {
        ERR_AT(p, TIER_EPARSE, n->pos, "expression is nested too deeply (more than %d levels)",
               TIER__RULES_MAX_DEPTH);
        return NULL;
    }
    return n;
}

static tier__node *fold_num(parser *p, tier__node *n, double v)
{
    n->kind = N_NUM;
    n->num = v;
    n->n_kids = 0;
    n->depth = 1;
    (void)p;
    return n;
}

static tier__node *fold_bool(tier__node *n, int v)
{
    n->kind = N_BOOL;
    n->num = v ? 1.0 : 0.0;
    n->n_kids = 0;
    n->depth = 1;
    return n;
}

static int need_num(parser *p, const tier__node *n)
{
    char t[64];
    if (n->kind == N_STR)
        return ERR_AT(p, TIER_ETYPE, n->pos, "text value %s cannot be used as a number",
                      node_text(t, sizeof t, n));
    if (tier__node_is_cond(n))
        return ERR_AT(p, TIER_ETYPE, n->start, "%s is a condition, not a number",
                      node_text(t, sizeof t, n));
    if (n->kind == N_COL)
        return use_col(p, n->str, TIER__USE_NUM, n->pos);
    return TIER_OK;
}

static int need_cond(parser *p, const tier__node *n)
{
    char t[64];
    if (tier__node_is_cond(n))
        return TIER_OK;
    if (n->kind == N_COL)
        return ERR_AT(p, TIER_ETYPE, n->start,
                      "column %s is a value, not a condition; compare it, e.g. '%.*s > 0'",
                      node_text(t, sizeof t, n), (int)(n->src_len > 40 ? 40 : n->src_len), n->src);
    if (n->kind == N_STR)
        return ERR_AT(p, TIER_ETYPE, n->start, "text value %s is not a condition",
                      node_text(t, sizeof t, n));
    return ERR_AT(p, TIER_ETYPE, n->start, "%s is a number, not a condition; compare it with '>', "
                  "'<', '=' ...", node_text(t, sizeof t, n));
}

static double arith(int op, double a, double b)
{
    switch (op) {
    case TK_PLUS: return a + b;
    case TK_MINUS: return a - b;
    case TK_STAR: return a * b;
    default: return a / b;
    }
}

static int compare(int op, double a, double b)
{
    switch (op) {
    case TK_LT: return a < b;
    case TK_LE: return a <= b;
    case TK_GT: return a > b;
    case TK_GE: return a >= b;
    case TK_EQ: return a == b;
    default: return a < b || a > b; /* != is false with NaN, like every comparison */
    }
}

static tier__node *make_arith(parser *p, int op, tier__pos pos, tier__node *a, tier__node *b)
{
    if (need_num(p, a) || need_num(p, b))
        return NULL;
    tier__node *n = new_node(p, N_ARITH, pos, 2);
    if (!n)
        return NULL;
    n->op = op;
    n->kids[0] = a;
    n->kids[1] = b;
    if (!finish(p, n, a->src))
        return NULL;
    if (a->kind == N_NUM && b->kind == N_NUM)
        return fold_num(p, n, arith(op, a->num, b->num));
    return n;
}

/* A node of one operand (already type-checked), its source text starting at `start`. */
static tier__node *make_unary(parser *p, tier__nkind kind, tier__pos pos, const char *start, tier__node *a)
{
    tier__node *n = new_node(p, kind, pos, 1);
    if (!n)
        return NULL;
    n->kids[0] = a;
    return finish(p, n, start) ? n : NULL;
}

static tier__node *make_neg(parser *p, tier__pos pos, const char *start, tier__node *a)
{
    tier__node *n = need_num(p, a) ? NULL : make_unary(p, N_NEG, pos, start, a);
    return n && a->kind == N_NUM ? fold_num(p, n, -a->num) : n;
}

/* Comparison of a categorical column with a text value: `col = "x"`, `"x" != col`. */
static tier__node *make_text_cmp(parser *p, int op, tier__pos pos, tier__node *a, tier__node *b)
{
    char t1[64], t2[64];
    tier__node *col = a->kind == N_STR ? b : a;
    tier__node *str = a->kind == N_STR ? a : b;
    if (col->kind == N_STR)
        return ERR_AT(p, TIER_ETYPE, col->pos, "compare a column with a text value, not two "
                      "text values (%s and %s)", node_text(t1, sizeof t1, a),
                      node_text(t2, sizeof t2, b)), NULL;
    if (col->kind != N_COL)
        return ERR_AT(p, TIER_ETYPE, col->start, "%s cannot be compared with text value %s; text "
                      "values are compared with a column", node_text(t1, sizeof t1, col),
                      node_text(t2, sizeof t2, str)), NULL;
    if (op != TK_EQ && op != TK_NE)
        return ERR_AT(p, TIER_ETYPE, pos, "text values can only be compared with '=', '!=' or "
                      "'in', not '%s'", tier__tok_name((tier__tok_kind)op)), NULL;
    if (use_col(p, col->str, TIER__USE_CAT, col->pos))
        return NULL;
    tier__node *n = new_node(p, N_CMP, pos, 2);
    if (!n)
        return NULL;
    n->op = op;
    n->kids[0] = col;
    n->kids[1] = str;
    return finish(p, n, a->src);
}

static tier__node *make_cmp(parser *p, int op, tier__pos pos, tier__node *a, tier__node *b)
{
    if (a->kind == N_STR || b->kind == N_STR)
        return make_text_cmp(p, op, pos, a, b);
    if (need_num(p, a) || need_num(p, b))
        return NULL;
    tier__node *n = new_node(p, N_CMP, pos, 2);
    if (!n)
        return NULL;
    n->op = op;
    n->kids[0] = a;
    n->kids[1] = b;
    if (!finish(p, n, a->src))
        return NULL;
    if (a->kind == N_NUM && b->kind == N_NUM)
        return fold_bool(n, compare(op, a->num, b->num));
    return n;
}

static tier__node *make_between(parser *p, tier__pos pos, int neg, tier__node *x,
                                tier__node *lo, tier__node *hi)
{
    if (need_num(p, x) || need_num(p, lo) || need_num(p, hi))
        return NULL;
    tier__node *n = new_node(p, N_BETWEEN, pos, 3);
    if (!n)
        return NULL;
    n->neg = neg;
    n->kids[0] = x;
    n->kids[1] = lo;
    n->kids[2] = hi;
    if (!finish(p, n, x->src))
        return NULL;
    if (x->kind == N_NUM && lo->kind == N_NUM && hi->kind == N_NUM) {
        double v = x->num;
        int in = v >= lo->num && v <= hi->num, out = v < lo->num || v > hi->num;
        return fold_bool(n, neg ? out : in);
    }
    return n;
}

static tier__node *make_logic(parser *p, tier__nkind kind, tier__pos pos, tier__node *a,
                              tier__node *b)
{
    if (need_cond(p, a) || need_cond(p, b))
        return NULL;
    tier__node *n = new_node(p, kind, pos, 2);
    if (!n)
        return NULL;
    n->kids[0] = a;
    n->kids[1] = b;
    if (!finish(p, n, a->src))
        return NULL;
    /* Fold a constant side: "true and x" is x, "false and x" is false, and so on. */
    for (int i = 0; i < 2; i++) {
        tier__node *c = n->kids[i], *o = n->kids[1 - i];
        if (c->kind != N_BOOL)
            continue;
        int v = c->num != 0;
        if (kind == N_AND)
            return v ? o : fold_bool(n, 0);
        return v ? fold_bool(n, 1) : o;
    }
    return n;
}

static tier__node *make_not(parser *p, tier__pos pos, const char *start, tier__node *a)
{
    tier__node *n = need_cond(p, a) ? NULL : make_unary(p, N_NOT, pos, start, a);
    return n && a->kind == N_BOOL ? fold_bool(n, a->num == 0) : n;
}

static tier__node *make_missing(parser *p, tier__pos pos, int neg, tier__node *x)
{
    char t[64];
    if (x->kind == N_STR || tier__node_is_cond(x))
        return ERR_AT(p, TIER_ETYPE, x->start, "'is missing' applies to a column or a number, not "
                      "to %s", node_text(t, sizeof t, x)), NULL;
    tier__node *n = new_node(p, N_MISSING, pos, 1);
    if (!n)
        return NULL;
    n->neg = neg;
    n->kids[0] = x;
    if (!finish(p, n, x->src))
        return NULL;
    if (x->kind == N_NUM)
        return fold_bool(n, isnan(x->num) ? !neg : neg);
    return n;
}

/* ---- expressions ---------------------------------------------------------------------------- */

static tier__node *parse_or(parser *p);
static tier__node *parse_sum(parser *p);

static int enter(parser *p)
{
    if (++p->depth > TIER__RULES_MAX_DEPTH)
        return ERR_AT(p, TIER_EPARSE, p->cur.pos, "expression is nested too deeply (more than %d "
                      "levels)", TIER__RULES_MAX_DEPTH);
    return TIER_OK;
}

static const struct {
    const char *name;
    int fn;
    unsigned min_args, max_args;
} functions[] = {
    {"log", TIER__FN_LOG, 1, 1},
    {"abs", TIER__FN_ABS, 1, 1},
    {"min", TIER__FN_MIN, 2, 1000},
    {"max", TIER__FN_MAX, 2, 1000},
};
#define N_FUNCTIONS (sizeof functions / sizeof functions[0])

static double fold_call(int fn, tier__node *const *args, unsigned n)
{
    double v = args[0]->num;
    if (fn == TIER__FN_LOG)
        return log(v);
    if (fn == TIER__FN_ABS)
        return fabs(v);
    for (unsigned i = 1; i < n; i++) {
        double w = args[i]->num;
        if (isnan(v) || isnan(w))
            v = NAN;
        else if (fn == TIER__FN_MIN ? w < v : w > v)
            v = w;
    }
    return v;
}

static tier__node *make_call(parser *p, const tier__token *name, int f, tier__node **args,
                             unsigned n);

/* After NAME '(' : arguments, arity check, folding. */
static tier__node *parse_call(parser *p, const tier__token *name)
{
    int f = -1;
    const char *names[N_FUNCTIONS];
    for (size_t i = 0; i < N_FUNCTIONS; i++) {
        names[i] = functions[i].name;
        if (strlen(functions[i].name) == name->len &&
            strncasecmp(functions[i].name, name->text, name->len) == 0)
            f = (int)i;
    }
    if (f < 0) {
        char buf[TIER__RULES_MAX_NAME + 1];
        size_t len = name->len > TIER__RULES_MAX_NAME ? TIER__RULES_MAX_NAME : name->len;
        memcpy(buf, name->text, len);
        buf[len] = '\0';
        long c = tier__closest(buf, names, N_FUNCTIONS);
        return ERR_AT(p, TIER_EPARSE, name->pos, "unknown function '%s'%s%s%s (functions: log, "
                      "abs, min, max)", buf, c >= 0 ? " (did you mean '" : "",
                      c >= 0 ? names[c] : "", c >= 0 ? "'?)" : ""), NULL;
    }
    if (next(p) || enter(p)) /* '(' */
        return NULL;
    tier__node **args = NULL;
    size_t n = 0, cap = 0;
    int status = TIER_OK;
    if (p->cur.kind != TK_RPAREN) {
        for (;;) {
            tier__node *a = parse_or(p);
            if (!a || need_num(p, a)) {
                status = TIER_EPARSE;
                break;
            }
            if (n == 1000) {
                status = ERR_AT(p, TIER_EPARSE, a->pos, "too many arguments");
                break;
            }
            if (tier__grow(&p->r->alloc, (void **)&args, &cap, n + 1, sizeof *args)) {
                status = TIER_ENOMEM;
                break;
            }
            args[n++] = a;
            if (p->cur.kind == TK_COMMA) {
                if ((status = next(p)) != TIER_OK)
                    break;
                continue;
            }
            if (p->cur.kind != TK_RPAREN)
                status = expected(p, "',' or ')' in the function's arguments");
            break;
        }
    }
    tier__node *node = status == TIER_OK ? make_call(p, name, f, args, (unsigned)n) : NULL;
    tier__free(&p->r->alloc, args);
    return node;
}

/* Builds the call node after its ')' (the current token) has been checked. */
static tier__node *make_call(parser *p, const tier__token *name, int f, tier__node **args,
                             unsigned n)
{
    if (next(p)) /* ')' */
        return NULL;
    p->depth--;
    if (n < functions[f].min_args || n > functions[f].max_args) {
        if (functions[f].min_args == functions[f].max_args)
            return ERR_AT(p, TIER_EPARSE, name->pos, "%s takes %u argument%s, got %u",
                          functions[f].name, functions[f].min_args,
                          functions[f].min_args == 1 ? "" : "s", n), NULL;
        return ERR_AT(p, TIER_EPARSE, name->pos, "%s takes at least %u arguments, got %u",
                      functions[f].name, functions[f].min_args, n), NULL;
    }
    tier__node *node = new_node(p, N_CALL, name->pos, n);
    if (!node)
        return NULL;
    node->op = functions[f].fn;
    int all_const = 1;
    for (unsigned i = 0; i < n; i++) {
        node->kids[i] = args[i];
        all_const &= args[i]->kind == N_NUM;
    }
    if (!finish(p, node, name->text))
        return NULL;
    return all_const ? fold_num(p, node, fold_call(node->op, args, n)) : node;
}

static tier__node *parse_primary(parser *p)
{
    tier__token t = p->cur;
    tier__node *n;
    switch (t.kind) {
    case TK_NUMBER:
    case TK_DATE:
        if (next(p) || !(n = new_node(p, N_NUM, t.pos, 0)))
            return NULL;
        n->num = t.num;
        return finish(p, n, t.text);
    case TK_STRING: {
        if (next(p) || !(n = new_node(p, N_STR, t.pos, 0)))
            return NULL;
        char *s = arena_alloc(p, t.len + 1);
        if (!s)
            return NULL;
        size_t len = tier__lex_unescape(s, &t);
        if (tier__rules_add_str(&n->str, p->r, s, len))
            return NULL;
        return finish(p, n, t.text);
    }
    case TK_IDENT: {
        if (next(p))
            return NULL;
        if (p->cur.kind == TK_LPAREN && !t.quoted)
            return parse_call(p, &t);
        if (t.len > TIER__RULES_MAX_NAME)
            return ERR_AT(p, TIER_EPARSE, t.pos, "column name longer than %d bytes",
                          TIER__RULES_MAX_NAME), NULL;
        if (!(n = new_node(p, N_COL, t.pos, 0)))
            return NULL;
        char buf[TIER__RULES_MAX_NAME + 3];
        size_t len = t.len;
        if (t.quoted) {
            len = tier__lex_unescape(buf, &t);
        } else {
            memcpy(buf, t.text, t.len);
        }
        if (col_slot(&n->str, p, buf, len, t.pos))
            return NULL;
        return finish(p, n, t.text);
    }
    case TK_LPAREN: {
        if (enter(p) || next(p))
            return NULL;
        n = parse_or(p);
        if (!n)
            return NULL;
        if (p->cur.kind != TK_RPAREN) {
            char what[64];
            snprintf(what, sizeof what, "')' to close the '(' at %u:%u", (unsigned)t.pos.line,
                     (unsigned)t.pos.col);
            return expected(p, what), NULL;
        }
        if (next(p))
            return NULL;
        p->depth--;
        /* The span now includes the parentheses. */
        n->src = t.text;
        n->src_len = (size_t)(p->prev_end - t.text);
        n->start = t.pos;
        return n;
    }
    default:
        return expected(p, "a value (a number, a column name, a text value in quotes or '(')"),
               NULL;
    }
}

static tier__node *parse_unary(parser *p)
{
    tier__token t = p->cur;
    if (t.kind != TK_MINUS && t.kind != TK_PLUS)
        return parse_primary(p);
    if (enter(p) || next(p))
        return NULL;
    tier__node *a = parse_unary(p);
    if (!a)
        return NULL;
    p->depth--;
    if (t.kind == TK_PLUS)
        return need_num(p, a) ? NULL : a;
    return make_neg(p, t.pos, t.text, a);
}

static tier__node *parse_term(parser *p)
{
    tier__node *a = parse_unary(p);
    while (a && (p->cur.kind == TK_STAR || p->cur.kind == TK_SLASH)) {
        tier__token op = p->cur;
        if (next(p))
            return NULL;
        tier__node *b = parse_unary(p);
        a = b ? make_arith(p, op.kind, op.pos, a, b) : NULL;
    }
    return a;
}

static tier__node *parse_sum(parser *p)
{
    tier__node *a = parse_term(p);
    while (a && (p->cur.kind == TK_PLUS || p->cur.kind == TK_MINUS)) {
        tier__token op = p->cur;
        if (next(p))
            return NULL;
        tier__node *b = parse_term(p);
        a = b ? make_arith(p, op.kind, op.pos, a, b) : NULL;
    }
    return a;
}

static int is_cmp(tier__tok_kind k) { return k >= TK_LT && k <= TK_NE; }

static tier__node *parse_between(parser *p, tier__pos pos, int neg, tier__node *x)
{
    tier__node *lo = parse_sum(p);
    if (!lo)
        return NULL;
    if (p->cur.kind != TK_AND)
        return expected(p, "'and' in 'between LOW and HIGH'"), NULL;
    if (next(p))
        return NULL;
    tier__node *hi = parse_sum(p);
    return hi ? make_between(p, pos, neg, x, lo, hi) : NULL;
}

/* One list entry: a number (optionally negative), a date or a text value. */
static tier__node *parse_list_item(parser *p)
{
    tier__token t = p->cur;
    int negative = 0;
    if (t.kind == TK_MINUS || t.kind == TK_PLUS) {
        negative = t.kind == TK_MINUS;
        if (next(p))
            return NULL;
        if (p->cur.kind != TK_NUMBER)
            return expected(p, "a number after the sign"), NULL;
    }
    if (p->cur.kind != TK_NUMBER && p->cur.kind != TK_DATE && p->cur.kind != TK_STRING)
        return expected(p, "a number or a text value in quotes in the list"), NULL;
    tier__node *n = parse_primary(p);
    if (n && negative)
        n->num = -n->num;
    return n;
}

static tier__node *make_in(parser *p, tier__pos pos, int neg, tier__node *x, tier__node **items,
                           size_t n)
{
    tier__node *node = new_node(p, N_IN, pos, (unsigned)(n + 1));
    if (!node)
        return NULL;
    node->neg = neg;
    node->kids[0] = x;
    for (size_t i = 0; i < n; i++)
        node->kids[i + 1] = items[i];
    if (!finish(p, node, x->src))
        return NULL;
    if (x->kind != N_NUM)
        return node;
    int found = 0;
    for (size_t i = 0; i < n; i++)
        found |= x->num == items[i]->num;
    return fold_bool(node, neg ? !found && !isnan(x->num) : found);
}

static tier__node *parse_in(parser *p, tier__pos pos, int neg, tier__node *x)
{
    char t1[64];
    if (p->cur.kind != TK_LPAREN)
        return expected(p, "'(' and a list of values after 'in'"), NULL;
    tier__pos open = p->cur.pos;
    if (next(p))
        return NULL;
    if (p->cur.kind == TK_RPAREN)
        return ERR_AT(p, TIER_EPARSE, p->cur.pos, "the list after 'in' is empty"), NULL;
    tier__node **items = NULL;
    size_t n = 0, cap = 0;
    int status = TIER_OK, texts = 0;
    for (;;) {
        tier__node *it = parse_list_item(p);
        if (!it) {
            status = TIER_EPARSE;
            break;
        }
        if (n > 0 && (it->kind == N_STR) != texts) {
            status = ERR_AT(p, TIER_ETYPE, it->pos, "a list cannot mix numbers and text values");
            break;
        }
        texts = it->kind == N_STR;
        if (tier__grow(&p->r->alloc, (void **)&items, &cap, n + 1, sizeof *items)) {
            status = TIER_ENOMEM;
            break;
        }
        items[n++] = it;
        if (p->cur.kind == TK_COMMA) {
            if ((status = next(p)) != TIER_OK)
                break;
            continue;
        }
        if (p->cur.kind != TK_RPAREN) {
            char what[64];
            snprintf(what, sizeof what, "',' or ')' to close the list opened at %u:%u",
                     (unsigned)open.line, (unsigned)open.col);
            status = expected(p, what);
            break;
        }
        status = next(p);
        break;
    }
    tier__node *node = NULL;
    if (status == TIER_OK) {
        if (texts && x->kind != N_COL)
            status = ERR_AT(p, TIER_ETYPE, x->start, "only a column can be compared with text "
                            "values, not %s", node_text(t1, sizeof t1, x));
        else if (texts)
            status = use_col(p, x->str, TIER__USE_CAT, x->pos);
        else
            status = need_num(p, x);
    }
    if (status == TIER_OK)
        node = make_in(p, pos, neg, x, items, n);
    tier__free(&p->r->alloc, items);
    return node;
}

static tier__node *parse_predicate(parser *p)
{
    tier__node *a = parse_sum(p);
    if (!a)
        return NULL;
    tier__token t = p->cur;
    if (is_cmp(t.kind)) {
        if (next(p))
            return NULL;
        tier__node *b = parse_sum(p);
        tier__node *n = b ? make_cmp(p, t.kind, t.pos, a, b) : NULL;
        if (n && is_cmp(p->cur.kind))
            return ERR_AT(p, TIER_EPARSE, p->cur.pos, "comparisons cannot be chained; write "
                          "'x between LOW and HIGH', or join two comparisons with 'and'"), NULL;
        return n;
    }
    int neg = 0;
    if (t.kind == TK_NOT) {
        if (next(p))
            return NULL;
        if (p->cur.kind != TK_BETWEEN && p->cur.kind != TK_IN)
            return expected(p, "'between' or 'in' after 'not' (to negate a condition, put "
                            "'not' before it)"), NULL;
        neg = 1;
    }
    switch (p->cur.kind) {
    case TK_BETWEEN:
        return next(p) ? NULL : parse_between(p, t.pos, neg, a);
    case TK_IN:
        return next(p) ? NULL : parse_in(p, t.pos, neg, a);
    case TK_IS:
        if (next(p))
            return NULL;
        if (p->cur.kind == TK_NOT) {
            neg = 1;
            if (next(p))
                return NULL;
        }
        if (p->cur.kind != TK_MISSING)
            return expected(p, neg ? "'missing' after 'is not'" : "'missing' or 'not missing' "
                            "after 'is'"), NULL;
        if (next(p))
            return NULL;
        return make_missing(p, t.pos, neg, a);
    default:
        return a;
    }
}

static tier__node *parse_not(parser *p)
{
    tier__token t = p->cur;
    if (t.kind != TK_NOT)
        return parse_predicate(p);
    if (enter(p) || next(p))
        return NULL;
    tier__node *a = parse_not(p);
    if (!a)
        return NULL;
    p->depth--;
    return make_not(p, t.pos, t.text, a);
}

static tier__node *parse_and(parser *p)
{
    tier__node *a = parse_not(p);
    while (a && p->cur.kind == TK_AND) {
        tier__pos pos = p->cur.pos;
        if (next(p))
            return NULL;
        tier__node *b = parse_not(p);
        a = b ? make_logic(p, N_AND, pos, a, b) : NULL;
    }
    return a;
}

static tier__node *parse_or(parser *p)
{
    tier__node *a = parse_and(p);
    while (a && p->cur.kind == TK_OR) {
        tier__pos pos = p->cur.pos;
        if (next(p))
            return NULL;
        tier__node *b = parse_and(p);
        a = b ? make_logic(p, N_OR, pos, a, b) : NULL;
    }
    return a;
}

/* A whole condition, compiled into a program. */
static int parse_condition(int32_t *prog, parser *p)
{
    p->depth = 0;
    tier__node *root = parse_or(p);
    if (!root)
        return tier_last_error_status() ? tier_last_error_status() : TIER_EPARSE;
    if (need_cond(p, root))
        return TIER_ETYPE;
    return tier__rules_codegen(prog, p->r, root);
}

/* ---- statements ----------------------------------------------------------------------------- */

static long find_tier(const tier_rules *r, const char *name)
{
    for (size_t i = 0; i < r->n_tiers; i++)
        if (strcmp(r->tiers[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* Reads the tier name after 'tier' / 'otherwise' and appends the tier. */
static int add_tier(parser *p, const char *after)
{
    tier_rules *r = p->r;
    tier__token t = p->cur;
    if (t.kind != TK_IDENT && t.kind != TK_STRING) {
        char what[64];
        snprintf(what, sizeof what, "a tier name after '%s'", after);
        return expected(p, what);
    }
    if (t.len > TIER__RULES_MAX_NAME)
        return ERR_AT(p, TIER_EPARSE, t.pos, "tier name longer than %d bytes",
                      TIER__RULES_MAX_NAME);
    if (r->n_tiers >= TIER__RULES_MAX_TIERS)
        return ERR_AT(p, TIER_EPARSE, t.pos, "too many tiers (at most %d)", TIER__RULES_MAX_TIERS);
    size_t len;
    char *name = token_string(p, &t, &len);
    if (!name)
        return TIER_ENOMEM;
    long dup = find_tier(r, name);
    int status = TIER_OK;
    if (len == 0 || memchr(name, '\0', len))
        status = ERR_AT(p, TIER_EPARSE, t.pos, "a tier name cannot be empty");
    else if (dup >= 0)
        status = ERR_AT(p, TIER_EPARSE, t.pos, "tier '%s' is defined twice (first at %u:%u)",
                        name, (unsigned)p->tier_pos[dup].line, (unsigned)p->tier_pos[dup].col);
    else if (tier__grow(&r->alloc, (void **)&r->tiers, &r->cap_tiers, r->n_tiers + 1,
                        sizeof *r->tiers))
        status = TIER_ENOMEM;
    else if (tier__grow(&r->alloc, (void **)&p->tier_pos, &p->cap_tier_pos,
                        r->n_tiers + 1, sizeof *p->tier_pos))
        status = TIER_ENOMEM;
    if (status != TIER_OK) {
        tier__free(&r->alloc, name);
        return status;
    }
    tier__rtier *tier = &r->tiers[r->n_tiers];
    memset(tier, 0, sizeof *tier);
    tier->name = name;
    tier->pos = t.pos;
    tier->cond = -1;
    tier->retain = -1;
    p->tier_pos[r->n_tiers] = t.pos;
    r->n_tiers++;
    return next(p);
}

static int parse_label(parser *p, tier__rtier *tier)
{
    tier__pos pos = p->cur.pos;
    int status = next(p);
    if (status)
        return status;
    if (p->cur.kind != TK_STRING)
        return expected(p, "a text value in quotes after 'label'");
    if (tier->label)
        return ERR_AT(p, TIER_EPARSE, pos, "tier '%s' already has a label", tier->name);
    tier->label = token_string(p, &p->cur, NULL);
    return tier->label ? next(p) : TIER_ENOMEM;
}

static int parse_tier(parser *p)
{
    tier__pos at = p->cur.pos;
    int status = next(p);
    if (status || (status = add_tier(p, "tier")) != TIER_OK)
        return status;
    size_t index = p->r->n_tiers - 1;
    if (p->have_otherwise)
        return ERR_AT(p, TIER_EPARSE, at, "tier '%s' comes after the otherwise tier (at %u:%u); "
                      "'otherwise' must be the last tier", p->r->tiers[index].name,
                      (unsigned)p->otherwise_pos.line, (unsigned)p->otherwise_pos.col);
    if (p->cur.kind != TK_WHEN) {
        char what[TIER__RULES_MAX_NAME + 64];
        snprintf(what, sizeof what, "'when' and a condition after 'tier %s'",
                 p->r->tiers[index].name);
        return expected(p, what);
    }
    if ((status = next(p)) != TIER_OK)
        return status;
    int32_t prog;
    if ((status = parse_condition(&prog, p)) != TIER_OK)
        return status;
    p->r->tiers[index].cond = prog;
    for (;;) {
        tier__rtier *tier = &p->r->tiers[index];
        if (p->cur.kind == TK_LABEL) {
            status = parse_label(p, tier);
        } else if (p->cur.kind == TK_RETAIN) {
            tier__pos rpos = p->cur.pos;
            if ((status = next(p)) != TIER_OK)
                return status;
            if (p->cur.kind != TK_WHEN)
                return expected(p, "'when' and a condition after 'retain'");
            if (tier->retain >= 0)
                return ERR_AT(p, TIER_EPARSE, rpos, "tier '%s' already has a retain condition",
                              tier->name);
            if ((status = next(p)) != TIER_OK || (status = parse_condition(&prog, p)) != TIER_OK)
                return status;
            p->r->tiers[index].retain = prog;
        } else {
            return TIER_OK;
        }
        if (status)
            return status;
    }
}

static int parse_otherwise(parser *p)
{
    tier__pos at = p->cur.pos;
    if (p->have_otherwise)
        return ERR_AT(p, TIER_EPARSE, at, "only one 'otherwise' tier is allowed (the first is at "
                      "%u:%u)", (unsigned)p->otherwise_pos.line, (unsigned)p->otherwise_pos.col);
    int status = next(p);
    if (status || (status = add_tier(p, "otherwise")) != TIER_OK)
        return status;
    p->have_otherwise = 1;
    p->otherwise_pos = at;
    tier__rtier *tier = &p->r->tiers[p->r->n_tiers - 1];
    for (;;) {
        if (p->cur.kind == TK_LABEL) {
            if ((status = parse_label(p, tier)) != TIER_OK)
                return status;
        } else if (p->cur.kind == TK_RETAIN) {
            return ERR_AT(p, TIER_EPARSE, p->cur.pos, "the otherwise tier cannot have a retain "
                          "condition: no customer can fall below it");
        } else if (p->cur.kind == TK_WHEN) {
            return ERR_AT(p, TIER_EPARSE, p->cur.pos, "the otherwise tier takes no condition: it "
                          "holds every customer that no tier above matched");
        } else {
            return TIER_OK;
        }
    }
}

/* A whole number 0 .. 1,000,000 written without fraction or exponent. */
static int parse_count(unsigned *out, parser *p, const char *what)
{
    tier__token t = p->cur;
    int plain = t.kind == TK_NUMBER;
    for (size_t i = 0; plain && i < t.len; i++)
        plain = t.text[i] >= '0' && t.text[i] <= '9';
    if (!plain || t.num > 1000000)
        return expected(p, what);
    *out = (unsigned)t.num;
    return next(p);
}

/* Skips an optional unit word ("evaluations"); any other word is an error. */
static int parse_unit(parser *p, const char *singular, const char *plural, const char *example)
{
    if (is_word(&p->cur, singular) || is_word(&p->cur, plural))
        return next(p);
    if (p->cur.kind == TK_IDENT) {
        char what[128];
        snprintf(what, sizeof what, "'%s' or the next statement (e.g. '%s')", plural, example);
        return expected(p, what);
    }
    return TIER_OK;
}

static int parse_policy(parser *p)
{
    tier__pos at = p->cur.pos;
    int status = next(p);
    if (status)
        return status;
    tier__token w = p->cur;
    if (is_word(&w, "grace")) {
        if (p->grace_set)
            return ERR_AT(p, TIER_EPARSE, at, "the grace policy is already set at %u:%u",
                          (unsigned)p->grace_pos.line, (unsigned)p->grace_pos.col);
        if ((status = next(p)) != TIER_OK ||
            (status = parse_count(&p->r->grace, p, "a whole number of evaluations after "
                                  "'policy grace'")) != TIER_OK)
            return status;
        p->grace_set = 1;
        p->grace_pos = at;
        return parse_unit(p, "evaluation", "evaluations", "policy grace 2 evaluations");
    }
    if (is_word(&w, "max") || is_word(&w, "max_downgrade")) {
        if (p->maxdown_set)
            return ERR_AT(p, TIER_EPARSE, at, "the max downgrade policy is already set at %u:%u",
                          (unsigned)p->maxdown_pos.line, (unsigned)p->maxdown_pos.col);
        if ((status = next(p)) != TIER_OK)
            return status;
        if (is_word(&w, "max")) {
            if (!is_word(&p->cur, "downgrade"))
                return expected(p, "'downgrade' after 'policy max'");
            if ((status = next(p)) != TIER_OK)
                return status;
        }
        if ((status = parse_count(&p->r->max_downgrade, p, "a whole number of tiers after "
                                  "'policy max downgrade'")) != TIER_OK)
            return status;
        p->maxdown_set = 1;
        p->maxdown_pos = at;
        return parse_unit(p, "step", "steps", "policy max downgrade 1 step");
    }
    if (w.kind == TK_IDENT) {
        static const char *const known[] = {"grace", "max", "max_downgrade", "downgrade"};
        char buf[64];
        size_t len = w.len < sizeof buf - 1 ? w.len : sizeof buf - 1;
        memcpy(buf, w.text, len);
        buf[len] = '\0';
        long c = tier__closest(buf, known, 4);
        return ERR_AT(p, TIER_EPARSE, w.pos, "unknown policy '%s'%s (policies: 'grace N "
                      "evaluations', 'max downgrade N steps')", buf,
                      c < 0 ? "" : c == 0 ? " (did you mean 'grace'?)"
                                          : " (did you mean 'max downgrade'?)");
    }
    return expected(p, "'grace' or 'max downgrade' after 'policy'");
}

static int parse_pin(parser *p)
{
    tier_rules *r = p->r;
    tier__pos at = p->cur.pos;
    int status = next(p);
    if (status)
        return status;
    tier__token c = p->cur;
    if (c.kind != TK_STRING && c.kind != TK_NUMBER && !(c.kind == TK_IDENT && !c.quoted))
        return expected(p, "a customer id after 'pin' (e.g. pin \"12347\" to Gold until "
                        "2012-06-30)");
    if (tier__grow(&r->alloc, (void **)&r->pins, &r->cap_pins, r->n_pins + 1, sizeof *r->pins) ||
        tier__grow(&r->alloc, (void **)&p->pins, &p->cap_pins, r->n_pins + 1, sizeof *p->pins))
        return TIER_ENOMEM;
    size_t len;
    char *id = token_string(p, &c, &len);
    if (!id)
        return TIER_ENOMEM;
    tier__rpin *pin = &r->pins[r->n_pins];
    pending_pin *pp = &p->pins[r->n_pins];
    memset(pin, 0, sizeof *pin);
    memset(pp, 0, sizeof *pp);
    pin->customer = id;
    pp->at = at;
    r->n_pins++;
    if (len == 0 || memchr(id, '\0', len))
        return ERR_AT(p, TIER_EPARSE, c.pos, "a customer id cannot be empty");
    uint32_t first;
    int created = 0;
    if (tier__strtab_intern(&p->pin_ids, id, len, &first, &created))
        return TIER_ENOMEM;
    if (!created)
        return ERR_AT(p, TIER_EPARSE, c.pos, "customer '%s' is already pinned at %u:%u", id,
                      (unsigned)p->pins[first].at.line, (unsigned)p->pins[first].at.col);
    if ((status = next(p)) != TIER_OK)
        return status;
    if (!is_word(&p->cur, "to"))
        return expected(p, "'to' and a tier name after the customer id");
    if ((status = next(p)) != TIER_OK)
        return status;
    tier__token t = p->cur;
    if (t.kind != TK_IDENT && t.kind != TK_STRING)
        return expected(p, "a tier name after 'to'");
    if (!(pp->tier = token_string(p, &t, NULL)))
        return TIER_ENOMEM;
    pp->pos = t.pos;
    if ((status = next(p)) != TIER_OK)
        return status;
    if (!is_word(&p->cur, "until"))
        return expected(p, "'until' and a date (YYYY-MM-DD) after the tier name");
    if ((status = next(p)) != TIER_OK)
        return status;
    if (p->cur.kind != TK_DATE)
        return expected(p, "a date (YYYY-MM-DD) after 'until'");
    /* The pin holds through the whole written day. */
    pin->until = (int64_t)p->cur.num + 86400;
    return next(p);
}

static int resolve_pins(parser *p)
{
    tier_rules *r = p->r;
    const char **names = tier__malloc(&r->alloc, (r->n_tiers + 1) * sizeof *names);
    if (!names)
        return tier__oom();
    for (size_t i = 0; i < r->n_tiers; i++)
        names[i] = r->tiers[i].name;
    int status = TIER_OK;
    for (size_t i = 0; i < r->n_pins && status == TIER_OK; i++) {
        long t = find_tier(r, p->pins[i].tier);
        if (t >= 0) {
            r->pins[i].tier = (uint32_t)t;
            continue;
        }
        long c = tier__closest(p->pins[i].tier, names, r->n_tiers);
        status = ERR_AT(p, TIER_ENOTFOUND, p->pins[i].pos, "unknown tier '%s' in pin%s%s%s",
                        p->pins[i].tier, c >= 0 ? " (did you mean '" : "",
                        c >= 0 ? names[c] : "", c >= 0 ? "'?)" : "");
    }
    tier__free(&r->alloc, names);
    return status;
}

static int statement_error(parser *p)
{
    if (p->cur.kind == TK_LABEL || p->cur.kind == TK_RETAIN)
        return ERR_AT(p, TIER_EPARSE, p->cur.pos, "'%s' must follow the tier it belongs to",
                      tier__tok_name(p->cur.kind));
    if (p->cur.kind == TK_IDENT && !p->cur.quoted && p->cur.len < 32) {
        static const char *const stmts[] = {"tier", "otherwise", "policy", "pin"};
        char buf[32];
        memcpy(buf, p->cur.text, p->cur.len);
        buf[p->cur.len] = '\0';
        long c = tier__closest(buf, stmts, 4);
        if (c >= 0)
            return ERR_AT(p, TIER_EPARSE, p->cur.pos, "expected 'tier', 'otherwise', 'policy' or "
                          "'pin', found '%s' (did you mean '%s'?)", buf, stmts[c]);
    }
    return expected(p, "'tier', 'otherwise', 'policy' or 'pin'");
}

static int parse_ruleset(parser *p)
{
    int status = next(p);
    while (status == TIER_OK) {
        switch (p->cur.kind) {
        case TK_EOF:
            if (!p->have_otherwise)
                return ERR_AT(p, TIER_EPARSE, p->cur.pos, "the rule set has no 'otherwise' tier; "
                              "end the tiers with e.g. 'otherwise Normal'");
            return resolve_pins(p);
        case TK_SEMI: status = next(p); break;
        case TK_TIER: status = parse_tier(p); break;
        case TK_OTHERWISE: status = parse_otherwise(p); break;
        case TK_POLICY: status = parse_policy(p); break;
        case TK_PIN: status = parse_pin(p); break;
        default: return statement_error(p);
        }
    }
    return status;
}

int tier__rules_parse(tier_rules *r, const char *text, size_t len)
{
    parser p;
    memset(&p, 0, sizeof p);
    p.r = r;
    tier__lex_init(&p.lx, text, len, r->source_name);
    tier__strtab_init(&p.col_names, &r->alloc);
    tier__strtab_init(&p.pin_ids, &r->alloc);
    p.cur.text = text;
    int status = parse_ruleset(&p);
    for (size_t i = 0; i < r->n_pins; i++)
        tier__free(&r->alloc, p.pins[i].tier);
    tier__free(&r->alloc, p.pins);
    tier__free(&r->alloc, p.tier_pos);
    tier__strtab_free(&p.col_names);
    tier__strtab_free(&p.pin_ids);
    arena_free(&p);
    return status;
}
