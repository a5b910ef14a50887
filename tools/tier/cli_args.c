/* Option parsing for every subcommand: long options (--name VALUE, --name=VALUE), short options
 * (-o VALUE, -oVALUE), "--" to end options, "-" as a positional word (stdin/stdout), --help
 * generated from the option tables, and "did you mean" for mistyped options. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define HELP_COLUMN 28
#define HELP_WIDTH 79

void cli_init(cli_parser *p, const cli_cmd *cmd, int argc, char **argv)
{
    p->cmd = cmd;
    p->argc = argc;
    p->argv = argv;
    p->i = 1; /* argv[0] is the command name */
    p->no_more_options = 0;
}

/* Prints `text` wrapped at HELP_WIDTH, continuation lines starting at column `indent` (the
 * first line continues at column `col`). "\n" starts a new line and keeps the spaces that
 * follow it, for examples. */
static void wrap(FILE *f, const char *text, int indent, int col)
{
    int fresh = 1; /* no word on this line yet */
    const char *p = text;
    while (*p) {
        if (*p == '\n') {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
            fresh = 1;
            for (p++; *p == ' '; p++, col++)
                fputc(' ', f);
            continue;
        }
        if (*p == ' ') {
            p++;
            continue;
        }
        size_t word = strcspn(p, " \n");
        if (!fresh && col + 1 + (int)word > HELP_WIDTH) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (!fresh) {
            fputc(' ', f);
            col++;
        }
        fwrite(p, 1, word, f);
        col += (int)word;
        fresh = 0;
        p += word;
    }
    fputc('\n', f);
}

static void print_option(FILE *f, const cli_opt *o)
{
    char spec[96];
    int n;
    if (o->short_name)
        n = snprintf(spec, sizeof spec, "  -%c, --%s", o->short_name, o->name);
    else
        n = snprintf(spec, sizeof spec, "      --%s", o->name);
    if (o->arg)
        n += snprintf(spec + n, sizeof spec - (size_t)n, " %s", o->arg);
    fputs(spec, f);
    if (n + 2 > HELP_COLUMN) {
        fprintf(f, "\n%*s", HELP_COLUMN, "");
    } else {
        fprintf(f, "%*s", HELP_COLUMN - n, "");
    }
    wrap(f, o->help, HELP_COLUMN, HELP_COLUMN);
}

void cli_print_help(FILE *f, const cli_cmd *cmd)
{
    fprintf(f, "Usage: tier %s %s\n\n", cmd->name, cmd->usage);
    fprintf(f, "tier %s: ", cmd->name);
    wrap(f, cmd->summary, 0, 7 + (int)strlen(cmd->name));
    if (cmd->description) {
        fputc('\n', f);
        wrap(f, cmd->description, 0, 0);
    }
    for (size_t t = 0; cmd->tables[t]; t++) {
        fprintf(f, "\n%s:\n", cmd->table_titles[t]);
        for (const cli_opt *o = cmd->tables[t]; o->name; o++)
            print_option(f, o);
    }
    fputs("\nCommon options:\n", f);
    fprintf(f, "  -h, --help%*sshow this help and exit\n", HELP_COLUMN - 12, "");
    fputs("\nExit status: 0 success, 1 internal error, 2 usage error, 3 cannot read input,\n"
          "4 bad input data, 5 bad rules/model/state file, 6 cannot write output.\n"
          "See tier(1) for details.\n", f);
}

_Noreturn void cli_usage_error(const cli_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "tier %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'tier %s --help' for more information.\n", cmd->name);
    exit(EXIT_USAGE);
}

/* Edit distance for suggestions (short strings only). */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static const cli_opt *find_long(const cli_cmd *cmd, const char *name, size_t len,
                                const cli_opt **closest)
{
    size_t best = 99;
    *closest = NULL;
    for (size_t t = 0; cmd->tables[t]; t++)
        for (const cli_opt *o = cmd->tables[t]; o->name; o++) {
            if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
                return o;
            char tmp[64];
            snprintf(tmp, sizeof tmp, "%.*s", (int)(len < 63 ? len : 63), name);
            size_t d = distance(tmp, o->name);
            if (d < best) {
                best = d;
                *closest = o;
            }
        }
    if (best > 2 && best * 3 > len)
        *closest = NULL;
    return NULL;
}

static const cli_opt *find_short(const cli_cmd *cmd, char c)
{
    for (size_t t = 0; cmd->tables[t]; t++)
        for (const cli_opt *o = cmd->tables[t]; o->name; o++)
            if (o->short_name == c)
                return o;
    return NULL;
}

int cli_next(cli_parser *p, const char **arg)
{
    *arg = NULL;
    if (p->i >= p->argc)
        return CLI_END;
    char *w = p->argv[p->i++];
    if (p->no_more_options || w[0] != '-' || w[1] == '\0') {
        *arg = w; /* a word, or "-" meaning stdin/stdout */
        return CLI_POSITIONAL;
    }
    if (strcmp(w, "--") == 0) {
        p->no_more_options = 1;
        return cli_next(p, arg);
    }
    const cli_opt *o;
    const char *value = NULL;
    if (w[1] == '-') {
        const char *name = w + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        if (len == 4 && strncmp(name, "help", 4) == 0) {
            cli_print_help(stdout, p->cmd);
            exit(EXIT_OK);
        }
        const cli_opt *closest;
        o = find_long(p->cmd, name, len, &closest);
        if (!o) {
            if (closest)
                cli_usage_error(p->cmd, "unknown option '--%.*s' (did you mean '--%s'?)",
                                (int)len, name, closest->name);
            cli_usage_error(p->cmd, "unknown option '--%.*s'", (int)len, name);
        }
        if (eq) {
            if (!o->arg)
                cli_usage_error(p->cmd, "option '--%s' takes no value", o->name);
            value = eq + 1;
        }
    } else {
        if (w[1] == 'h' && w[2] == '\0') {
            cli_print_help(stdout, p->cmd);
            exit(EXIT_OK);
        }
        o = find_short(p->cmd, w[1]);
        if (!o)
            cli_usage_error(p->cmd, "unknown option '-%c'", w[1]);
        if (w[2] != '\0') {
            if (!o->arg)
                cli_usage_error(p->cmd, "option '-%c' takes no value (write options one by one)",
                                w[1]);
            value = w + 2;
        }
    }
    if (o->arg && !value) {
        if (p->i >= p->argc)
            cli_usage_error(p->cmd, "option '--%s' needs a value (%s)", o->name, o->arg);
        value = p->argv[p->i++];
    }
    *arg = value;
    return o->id;
}

/* ---- argument conversions ------------------------------------------------------------------- */

long arg_long(const char *opt, const char *s, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < lo || v > hi)
        die(EXIT_USAGE, "%s: '%s' is not a whole number from %ld to %ld", opt, s, lo, hi);
    return v;
}

int arg_choice(const char *opt, const char *s, const char *const *choices)
{
    for (int i = 0; choices[i]; i++)
        if (strcmp(s, choices[i]) == 0)
            return i;
    char list[256] = "";
    for (int i = 0; choices[i]; i++) {
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, choices[i], sizeof list - strlen(list) - 1);
    }
    die(EXIT_USAGE, "%s: '%s' is not one of: %s", opt, s, list);
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int parse_instant(int64_t *out, const char *s)
{
    if (s[0] == '@') {
        char *end;
        errno = 0;
        long long v = strtoll(s + 1, &end, 10);
        if (errno || end == s + 1 || *end)
            return -1;
        *out = v;
        return 0;
    }
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return -1;
    const char *p = s + n;
    if (*p == 'T' || *p == ' ') {
        int k = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &k) != 2)
            return -1;
        p += 1 + k;
        if (*p == ':') {
            if (sscanf(p + 1, "%2d%n", &sec, &k) != 1)
                return -1;
            p += 1 + k;
        }
        if (*p == 'Z')
            p++;
    }
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (*p || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
        h > 23 || mi > 59 || sec > 59 || h < 0 || mi < 0 || sec < 0)
        return -1;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    return 0;
}

int64_t arg_instant(const char *opt, const char *s)
{
    int64_t t;
    if (parse_instant(&t, s) != 0)
        die(EXIT_USAGE, "%s: '%s' is not a date (use YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] in UTC, "
            "or @SECONDS)", opt, s);
    return t;
}
