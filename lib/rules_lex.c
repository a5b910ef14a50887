/* The rule-language lexer: bytes -> tokens with line:column positions.
 *
 * Reserved words are case-insensitive (administrators write AND as often as and); names are
 * case-sensitive because dataset columns are. Numbers immediately followed by letters
 * ("5000k", "90days") are rejected rather than silently split into two tokens. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/error.h"
#include "internal/rules.h"

int tier__rules_error(int status, const char *source_name, tier__pos pos, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tier__error(status, "%s:%u:%u: %s", source_name, (unsigned)pos.line,
                       (unsigned)pos.col, msg);
}

void tier__lex_init(tier__lexer *lx, const char *src, size_t len, const char *source_name)
{
    lx->src = src;
    lx->len = len;
    lx->at = 0;
    lx->pos.line = 1;
    lx->pos.col = 1;
    lx->source_name = source_name;
}

static int peek(const tier__lexer *lx, size_t ahead)
{
    return lx->at + ahead < lx->len ? (unsigned char)lx->src[lx->at + ahead] : -1;
}

/* Advances one byte, keeping the position; columns count characters, so UTF-8 continuation
 * bytes do not advance the column. */
static void advance(tier__lexer *lx)
{
    unsigned char c = (unsigned char)lx->src[lx->at++];
    if (c == '\n') {
        lx->pos.line++;
        lx->pos.col = 1;
    } else if ((c & 0xC0) != 0x80) {
        lx->pos.col++;
    }
}

static void skip_space_and_comments(tier__lexer *lx)
{
    for (;;) {
        int c = peek(lx, 0);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
            advance(lx);
        } else if (c == '#') {
            while (peek(lx, 0) != -1 && peek(lx, 0) != '\n')
                advance(lx);
        } else {
            return;
        }
    }
}

static const struct {
    const char *word;
    tier__tok_kind kind;
} keywords[] = {
    {"tier", TK_TIER}, {"when", TK_WHEN}, {"otherwise", TK_OTHERWISE}, {"label", TK_LABEL},
    {"retain", TK_RETAIN}, {"policy", TK_POLICY}, {"pin", TK_PIN}, {"and", TK_AND},
    {"or", TK_OR}, {"not", TK_NOT}, {"between", TK_BETWEEN}, {"in", TK_IN}, {"is", TK_IS},
    {"missing", TK_MISSING},
};

static int word_eq(const char *p, size_t n, const char *word)
{
    size_t i;
    for (i = 0; i < n && word[i]; i++)
        if (tolower((unsigned char)p[i]) != word[i])
            return 0;
    return i == n && word[i] == '\0';
}

const char *tier__tok_name(tier__tok_kind kind)
{
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (keywords[i].kind == kind)
            return keywords[i].word;
    switch (kind) {
    case TK_EOF: return "end of input";
    case TK_IDENT: return "a name";
    case TK_NUMBER: return "a number";
    case TK_DATE: return "a date";
    case TK_STRING: return "a text value";
    case TK_LPAREN: return "(";
    case TK_RPAREN: return ")";
    case TK_COMMA: return ",";
    case TK_SEMI: return ";";
    case TK_PLUS: return "+";
    case TK_MINUS: return "-";
    case TK_STAR: return "*";
    case TK_SLASH: return "/";
    case TK_LT: return "<";
    case TK_LE: return "<=";
    case TK_GT: return ">";
    case TK_GE: return ">=";
    case TK_EQ: return "=";
    case TK_NE: return "!=";
    default: return "?";
    }
}

void tier__tok_describe(char *buf, size_t cap, const tier__token *tok)
{
    if (tok->kind == TK_EOF) {
        snprintf(buf, cap, "end of input");
        return;
    }
    size_t o = 0;
    if (cap < 8)
        return;
    buf[o++] = '\'';
    for (size_t i = 0; i < tok->len && o + 6 < cap; i++) {
        unsigned char c = (unsigned char)tok->text[i];
        if (i == 40) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (c >= 0x20 && c != 0x7F) {
            buf[o++] = (char)c;
        } else {
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02X", c);
        }
    }
    buf[o++] = '\'';
    buf[o] = '\0';
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits_at(const tier__lexer *lx, size_t off, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int c = peek(lx, off + i);
        if (c < '0' || c > '9')
            return 0;
    }
    return 1;
}

static int is_word_char(int c)
{
    return c == '_' || (c >= 0 && c < 128 && isalnum(c));
}

static tier__token lex_error(tier__lexer *lx, tier__token *t, const char *what)
{
    char near[64];
    t->kind = TK_ERROR; /* describe the text, never as "end of input" */
    tier__tok_describe(near, sizeof near, t);
    tier__rules_error(TIER_EPARSE, lx->source_name, t->pos, "%s %s", what, near);
    t->kind = TK_ERROR;
    return *t;
}

static tier__token lex_date(tier__lexer *lx, tier__token *t)
{
    int y = 0, m = 0, d = 0;
    for (int i = 0; i < 4; i++)
        y = y * 10 + (peek(lx, (size_t)i) - '0');
    m = (peek(lx, 5) - '0') * 10 + (peek(lx, 6) - '0');
    d = (peek(lx, 8) - '0') * 10 + (peek(lx, 9) - '0');
    for (int i = 0; i < 10; i++)
        advance(lx);
    t->len = 10;
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return lex_error(lx, t, "invalid date");
    if (is_word_char(peek(lx, 0)))
        return lex_error(lx, t, "malformed date");
    t->kind = TK_DATE;
    t->num = (double)(days_from_civil(y, (unsigned)m, (unsigned)d) * 86400);
    return *t;
}

static tier__token lex_number(tier__lexer *lx, tier__token *t)
{
    if (digits_at(lx, 0, 4) && peek(lx, 4) == '-' && digits_at(lx, 5, 2) && peek(lx, 7) == '-' &&
        digits_at(lx, 8, 2))
        return lex_date(lx, t);
    size_t start = lx->at;
    while (peek(lx, 0) >= '0' && peek(lx, 0) <= '9')
        advance(lx);
    if (peek(lx, 0) == '.') {
        advance(lx);
        while (peek(lx, 0) >= '0' && peek(lx, 0) <= '9')
            advance(lx);
    }
    int c = peek(lx, 0);
    if ((c == 'e' || c == 'E')) {
        int s = peek(lx, 1);
        size_t k = (s == '+' || s == '-') ? 2 : 1;
        int dgt = peek(lx, k);
        if (dgt >= '0' && dgt <= '9') {
            for (size_t i = 0; i < k; i++)
                advance(lx);
            while (peek(lx, 0) >= '0' && peek(lx, 0) <= '9')
                advance(lx);
        }
    }
    /* Swallow trailing word characters so the message shows the whole malformed token. */
    int malformed = 0;
    while (is_word_char(peek(lx, 0)) || peek(lx, 0) == '.') {
        malformed = 1;
        advance(lx);
    }
    t->len = lx->at - start;
    if (malformed || (t->len == 1 && t->text[0] == '.'))
        return lex_error(lx, t, "malformed number");
    char buf[80];
    if (t->len >= sizeof buf)
        return lex_error(lx, t, "number too long");
    memcpy(buf, t->text, t->len);
    buf[t->len] = '\0';
    t->num = strtod(buf, NULL);
    if (t->num > 1.7976931348623157e308)
        return lex_error(lx, t, "number out of range");
    t->kind = TK_NUMBER;
    return *t;
}

static tier__token lex_quoted(tier__lexer *lx, tier__token *t, int quote)
{
    advance(lx);
    for (;;) {
        int c = peek(lx, 0);
        if (c == -1 || c == '\n' || c == '\r' || c == '\0') {
            t->len = lx->at - (size_t)(t->text - lx->src);
            return lex_error(lx, t, quote == '`' ? "unterminated quoted name"
                                                 : "unterminated text value");
        }
        advance(lx);
        if (c == '\\' && quote != '`' && peek(lx, 0) != -1 && peek(lx, 0) != '\n') {
            advance(lx);
            continue;
        }
        if (c == quote)
            break;
    }
    t->len = lx->at - (size_t)(t->text - lx->src);
    if (quote == '`') {
        if (t->len == 2)
            return lex_error(lx, t, "empty quoted name");
        t->kind = TK_IDENT;
        t->quoted = 1;
    } else {
        t->kind = TK_STRING;
    }
    return *t;
}

size_t tier__lex_unescape(char *out, const tier__token *tok)
{
    size_t o = 0;
    /* Body without the quotes. */
    const char *p = tok->text + 1;
    size_t n = tok->len >= 2 ? tok->len - 2 : 0;
    int escapes = tok->kind == TK_STRING;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (escapes && c == '\\' && i + 1 < n) {
            char e = p[++i];
            out[o++] = e == 'n' ? '\n' : e == 't' ? '\t' : e;
        } else {
            out[o++] = c;
        }
    }
    out[o] = '\0';
    return o;
}

static tier__token lex_word(tier__lexer *lx, tier__token *t)
{
    while (is_word_char(peek(lx, 0)))
        advance(lx);
    t->len = lx->at - (size_t)(t->text - lx->src);
    t->kind = TK_IDENT;
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (word_eq(t->text, t->len, keywords[i].word))
            t->kind = keywords[i].kind;
    return *t;
}

/* One- and two-character operators. */
static tier__token lex_operator(tier__lexer *lx, tier__token *t)
{
    int c = peek(lx, 0), n = peek(lx, 1);
    size_t len = 1;
    switch (c) {
    case '(': t->kind = TK_LPAREN; break;
    case ')': t->kind = TK_RPAREN; break;
    case ',': t->kind = TK_COMMA; break;
    case ';': t->kind = TK_SEMI; break;
    case '+': t->kind = TK_PLUS; break;
    case '-': t->kind = TK_MINUS; break;
    case '*': t->kind = TK_STAR; break;
    case '/': t->kind = TK_SLASH; break;
    case '<':
        if (n == '=') { t->kind = TK_LE; len = 2; }
        else if (n == '>') { t->kind = TK_NE; len = 2; }
        else t->kind = TK_LT;
        break;
    case '>':
        if (n == '=') { t->kind = TK_GE; len = 2; }
        else t->kind = TK_GT;
        break;
    case '=':
        t->kind = TK_EQ;
        if (n == '=')
            len = 2;
        break;
    case '!':
        if (n == '=') { t->kind = TK_NE; len = 2; break; }
        /* fall through */
    default: {
        /* Show one whole UTF-8 character when the byte starts one. */
        size_t clen = 1;
        if (c >= 0xC0)
            while (clen < 4 && (peek(lx, clen) & 0xC0) == 0x80)
                clen++;
        t->len = clen;
        return lex_error(lx, t, "unexpected character");
    }
    }
    for (size_t i = 0; i < len; i++)
        advance(lx);
    t->len = len;
    return *t;
}

tier__token tier__lex_next(tier__lexer *lx)
{
    skip_space_and_comments(lx);
    tier__token t;
    memset(&t, 0, sizeof t);
    t.pos = lx->pos;
    t.text = lx->src + lx->at;
    int c = peek(lx, 0);
    if (c == -1) {
        t.kind = TK_EOF;
        return t;
    }
    if ((c >= '0' && c <= '9') || (c == '.' && peek(lx, 1) >= '0' && peek(lx, 1) <= '9'))
        return lex_number(lx, &t);
    if (c == '_' || (c < 128 && isalpha(c)))
        return lex_word(lx, &t);
    if (c == '"' || c == '\'' || c == '`')
        return lex_quoted(lx, &t, c);
    return lex_operator(lx, &t);
}
