/* tier whatif: evaluate a candidate rule set beside the current one and show who would move. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_OUTPUT = 1, OPT_PREVIOUS, OPT_EVENTS, OPT_FORMAT, OPT_RFM, OPT_TIME };

static const cli_opt options[] = {
    { "previous", 'p', "FILE", OPT_PREVIOUS, "the previous evaluation's state: both rule sets "
      "then apply their movement policy to it" },
    { "events", 'e', "FILE", OPT_EVENTS, "write the events the candidate would record (CSV)" },
    { "format", 'f', "FMT", OPT_FORMAT, "table (default), csv or json" },
    { "time", 0, "DATE", OPT_TIME, "evaluation time (default: the analysis date)" },
    { "rfm", 0, NULL, OPT_RFM, "compute RFM scores first (automatic when a rule set uses them)" },
    { "output", 'o', "FILE", OPT_OUTPUT, "write to FILE instead of standard output" },
    { NULL, 0, NULL, 0, NULL },
};

static const cli_opt *const tables[] = { options, input_options, NULL };
static const char *const titles[] = { "Options", "Input options" };

static void print_table(FILE *f, const tier_whatif *w, const tier_assignment *cur,
                        const tier_assignment *cand)
{
    size_t F = tier_assignment_tier_count(cur), T = tier_assignment_tier_count(cand);
    text_table t;
    tt_init(&t, T + 2, 1);
    const char **row = calloc(T + 2, sizeof *row);
    char (*buf)[48] = calloc(T + 2, sizeof *buf);
    if (!row || !buf)
        die(EXIT_INTERNAL, "out of memory");
    row[0] = "current \\ candidate";
    for (size_t j = 0; j < T; j++)
        row[j + 1] = tier_assignment_tier_name(cand, j);
    row[T + 1] = "total";
    tt_add(&t, row);
    for (size_t i = 0; i <= F; i++) {
        double total = 0;
        row[0] = i < F ? tier_assignment_tier_name(cur, i) : "total";
        for (size_t j = 0; j < T; j++) {
            double c = 0;
            if (i < F) {
                c = (double)tier_whatif_transition(w, i, j);
            } else {
                for (size_t k = 0; k < F; k++)
                    c += (double)tier_whatif_transition(w, k, j);
            }
            total += c;
            row[j + 1] = fmt_int(buf[j + 1], c);
        }
        row[T + 1] = fmt_int(buf[T + 1], total);
        tt_add(&t, row);
    }
    tt_print(f, &t, "");
    tt_free(&t);
    double n = (double)tier_assignment_size(cur);
    char b1[48], b2[48], b3[48];
    fprintf(f, "\ncustomers changing tier: %s of %s (%s)\n",
            fmt_int(b1, (double)tier_whatif_changed(w)), fmt_int(b2, n),
            fmt_percent(b3, n > 0 ? (double)tier_whatif_changed(w) / n : 0));
    free(row);
    free(buf);
}

static void print_csv(FILE *f, const tier_whatif *w, const tier_assignment *cur,
                      const tier_assignment *cand)
{
    size_t F = tier_assignment_tier_count(cur), T = tier_assignment_tier_count(cand);
    fputs("current", f);
    for (size_t j = 0; j < T; j++) {
        fputc(',', f);
        csv_field(f, tier_assignment_tier_name(cand, j));
    }
    fputc('\n', f);
    for (size_t i = 0; i < F; i++) {
        csv_field(f, tier_assignment_tier_name(cur, i));
        for (size_t j = 0; j < T; j++)
            fprintf(f, ",%llu", (unsigned long long)tier_whatif_transition(w, i, j));
        fputc('\n', f);
    }
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", (unsigned char)*s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void print_json(FILE *f, const tier_whatif *w, const tier_assignment *cur,
                       const tier_assignment *cand)
{
    size_t F = tier_assignment_tier_count(cur), T = tier_assignment_tier_count(cand);
    fputs("{\"current\": [", f);
    for (size_t i = 0; i < F; i++) {
        if (i)
            fputs(", ", f);
        json_string(f, tier_assignment_tier_name(cur, i));
    }
    fputs("], \"candidate\": [", f);
    for (size_t j = 0; j < T; j++) {
        if (j)
            fputs(", ", f);
        json_string(f, tier_assignment_tier_name(cand, j));
    }
    fputs("], \"transitions\": [", f);
    for (size_t i = 0; i < F; i++) {
        fputs(i ? ", [" : "[", f);
        for (size_t j = 0; j < T; j++)
            fprintf(f, "%s%llu", j ? ", " : "", (unsigned long long)tier_whatif_transition(w, i, j));
        fputc(']', f);
    }
    fprintf(f, "], \"customers\": %zu, \"changed\": %llu}\n", tier_assignment_size(cur),
            (unsigned long long)tier_whatif_changed(w));
}

static int run(int argc, char **argv)
{
    input_cfg in;
    input_init(&in);
    const char *paths[2] = { NULL, NULL }, *output = "-", *previous = NULL, *events = NULL;
    int format = 0, want_rfm = 0;
    int64_t when = TIER_AS_OF_AUTO;
    static const char *const formats[] = { "table", "csv", "json", NULL };
    cli_parser p;
    cli_init(&p, &cmd_whatif, argc, argv);
    const char *arg;
    int id;
    while ((id = cli_next(&p, &arg)) != CLI_END) {
        if (input_option(&in, id, arg))
            continue;
        switch (id) {
        case OPT_OUTPUT: output = arg; break;
        case OPT_PREVIOUS: previous = arg; break;
        case OPT_EVENTS: events = arg; break;
        case OPT_FORMAT: format = arg_choice("--format", arg, formats); break;
        case OPT_RFM: want_rfm = 1; break;
        case OPT_TIME: when = arg_instant("--time", arg); break;
        case CLI_POSITIONAL:
            if (!paths[0])
                paths[0] = arg;
            else if (!paths[1])
                paths[1] = arg;
            else if (!in.path)
                in.path = arg;
            else
                cli_usage_error(&cmd_whatif, "unexpected argument '%s'", arg);
            break;
        }
    }
    if (!paths[1])
        cli_usage_error(&cmd_whatif, "give the current and the candidate rule files "
                        "(tier whatif CURRENT CANDIDATE INPUT)");
    tier_rules *cur = load_rules(paths[0]), *cand = load_rules(paths[1]);
    tier_assignment *prev = previous ? load_state(previous) : NULL;
    input_info info;
    tier_dataset *ds = input_load(&in, &info);
    tier_scorer *rfm = NULL;
    if (want_rfm || rules_need_rfm(cur, ds) || rules_need_rfm(cand, ds)) {
        rfm_cfg c;
        rfm_cfg_init(&c);
        rfm = run_rfm(ds, &c);
    }
    check_rules(cur, ds);
    check_rules(cand, ds);
    tier_assign_options o = TIER_ASSIGN_OPTIONS_INIT;
    o.time = when;
    tier_whatif *w = NULL;
    int rc = tier_whatif_new(&w, cur, cand, ds, prev, &o);
    if (rc)
        die_lib(rc, EXIT_MODEL);
    const tier_assignment *a = tier_whatif_current(w), *b = tier_whatif_candidate(w);
    out_file out;
    out_open(&out, output);
    if (format == 0)
        print_table(out.f, w, a, b);
    else if (format == 1)
        print_csv(out.f, w, a, b);
    else
        print_json(out.f, w, a, b);
    out_close(&out);
    if (events && (rc = tier_assignment_write_events(b, events)))
        die_lib(rc, EXIT_WRITE);
    tier_whatif_free(w);
    tier_assignment_free(prev);
    tier_scorer_free(rfm);
    tier_rules_free(cur);
    tier_rules_free(cand);
    tier_dataset_free(ds);
    return EXIT_OK;
}

const cli_cmd cmd_whatif = {
    "whatif", "CURRENT CANDIDATE [OPTIONS] INPUT",
    "compare a candidate rule set with the current one",
    "Evaluates both rule sets on the customers of INPUT (with the same previous state, if "
    "given) and prints the transition matrix: how many customers in each current tier "
    "(rows) the candidate would put in each of its tiers (columns), and how many change.",
    tables, titles, run,
};
