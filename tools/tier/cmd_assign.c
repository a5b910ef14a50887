/* tier assign: apply a tier rule set, with the previous period's state for dynamic tiers
 * (grace periods, soft landing, overrides), and write tiers, events and the new state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum {
    OPT_OUTPUT = 1, OPT_PREVIOUS, OPT_SAVE_STATE, OPT_EVENTS, OPT_TIME, OPT_PIN, OPT_RFM,
    OPT_BINS, OPT_COLUMNS
};

static const cli_opt options[] = {
    { "previous", 'p', "FILE", OPT_PREVIOUS, "the previous evaluation's state (saved with "
      "--save-state): enables grace periods, soft landing and carried overrides" },
    { "save-state", 's', "FILE", OPT_SAVE_STATE, "save this evaluation (tiers, grace counters, "
      "overrides) for the next run's --previous" },
    { "events", 'e', "FILE", OPT_EVENTS, "write the change events as CSV (customer_id, time, "
      "kind, old_tier, new_tier); '-' for standard output" },
    { "time", 0, "DATE", OPT_TIME, "evaluation time (default: the analysis date)" },
    { "pin", 0, "ID=TIER[,DATE]", OPT_PIN, "manual override: keep customer ID in TIER until "
      "DATE (inclusive; default: for good); repeatable" },
    { "rfm", 0, NULL, OPT_RFM, "compute RFM scores first (automatic when the rules use r_score, "
      "f_score, m_score, rfm_code, rfm_total or rfm_segment)" },
    { "bins", 0, "N", OPT_BINS, "RFM bins per dimension (default 5)" },
    { "output", 'o', "FILE", OPT_OUTPUT, "write the tiers CSV to FILE instead of standard output" },
    { "columns", 0, "LIST", OPT_COLUMNS, "extra columns to write (default: the columns the rules "
      "read)" },
    { NULL, 0, NULL, 0, NULL },
};

static const cli_opt *const tables[] = { options, input_options, NULL };
static const char *const titles[] = { "Options", "Input options" };

typedef struct pins {
    const char *ids[256], *tiers[256];
    int64_t until[256];
    size_t n;
} pins;

static void add_pin(pins *p, char *spec)
{
    char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1])
        die(EXIT_USAGE, "--pin: '%s' is not ID=TIER[,DATE]", spec);
    if (p->n == 256)
        die(EXIT_USAGE, "--pin: at most 256 overrides");
    *eq = '\0';
    char *comma = strchr(eq + 1, ',');
    int64_t until = INT64_MAX;
    if (comma) {
        *comma = '\0';
        until = arg_instant("--pin", comma + 1);
        if (strlen(comma + 1) == 10)
            until += 86400; /* a date includes its whole day */
    }
    p->ids[p->n] = spec;
    p->tiers[p->n] = eq + 1;
    p->until[p->n++] = until;
}

/* Tier counts and event counts, for people at a terminal. */
static void print_assignment_summary(const tier_assignment *a, const tier_assignment *prev)
{
    text_table t;
    tt_init(&t, 3, 1);
    const char *head[] = { "tier", "customers", "share" };
    tt_add(&t, head);
    double n = (double)tier_assignment_size(a);
    for (size_t i = 0; i < tier_assignment_tier_count(a); i++) {
        char b1[48], b2[48];
        double c = (double)tier_assignment_count(a, i);
        const char *row[] = { tier_assignment_tier_name(a, i), fmt_int(b1, c),
                              fmt_percent(b2, n > 0 ? c / n : 0) };
        tt_add(&t, row);
    }
    tt_print(stderr, &t, "  ");
    tt_free(&t);
    if (!prev)
        return;
    size_t kinds[8] = { 0 };
    for (size_t i = 0; i < tier_assignment_event_count(a); i++) {
        int kind = 0;
        tier_assignment_event(NULL, &kind, NULL, NULL, NULL, a, i);
        if (kind > 0 && kind < 8)
            kinds[kind]++;
    }
    fputs("  events:", stderr);
    for (int k = TIER_EVENT_NEW; k <= TIER_EVENT_GONE; k++)
        fprintf(stderr, " %zu %s%s", kinds[k], tier_event_kind_name(k), k < TIER_EVENT_GONE ? "," : "\n");
}

/* Events through the library's writer (atomic for files; via a scratch file for stdout). */
static void write_events(const tier_assignment *a, const char *path)
{
    const char *target = strcmp(path, "-") == 0 ? temp_path("events.csv") : path;
    int rc = tier_assignment_write_events(a, target);
    if (rc)
        die_lib(rc, EXIT_WRITE);
    if (target != path)
        copy_to_stdout(target);
}

static void write_tiers(FILE *f, const tier_assignment *a, const tier_assignment *prev,
                        const tier_dataset *ds, const char *const *extra, size_t n_extra)
{
    fputs("customer_id,tier,label,qualified_tier,grace,previous_tier", f);
    /* the extra columns go through the dataset writer's formatting, row by row */
    const double *num[256];
    const int32_t *codes[256];
    const char *const *dict[256];
    size_t n_dict[256];
    for (size_t c = 0; c < n_extra; c++) {
        tier_column_type type;
        num[c] = NULL;
        codes[c] = NULL;
        int rc = tier_dataset_column_type(&type, ds, extra[c]);
        if (rc == TIER_OK && type == TIER_COLUMN_NUMERIC)
            rc = tier_dataset_numeric(&num[c], ds, extra[c]);
        else if (rc == TIER_OK)
            rc = tier_dataset_categorical(&codes[c], &dict[c], &n_dict[c], ds, extra[c]);
        if (rc)
            die_lib(rc, EXIT_INTERNAL);
        fputc(',', f);
        csv_field(f, extra[c]);
    }
    fputc('\n', f);
    const int32_t *tiers = tier_assignment_tiers(a);
    const int32_t *qual = tier_assignment_qualified(a);
    const int32_t *grace = tier_assignment_grace(a);
    const int32_t *prev_tiers = prev ? tier_assignment_tiers(prev) : NULL;
    char buf[32];
    for (size_t r = 0; r < tier_assignment_size(a); r++) {
        const char *id = tier_assignment_customer_id(a, r);
        csv_field(f, id);
        fputc(',', f);
        csv_field(f, tier_assignment_tier_name(a, (size_t)tiers[r]));
        fputc(',', f);
        csv_field(f, tier_assignment_tier_label(a, (size_t)tiers[r]));
        fputc(',', f);
        csv_field(f, tier_assignment_tier_name(a, (size_t)qual[r]));
        fprintf(f, ",%d,", (int)grace[r]);
        size_t prow;
        if (prev && tier_assignment_find(&prow, prev, id) == TIER_OK)
            csv_field(f, tier_assignment_tier_name(prev, (size_t)prev_tiers[prow]));
        size_t row;
        int found = tier_dataset_find(&row, ds, id) == TIER_OK;
        for (size_t c = 0; c < n_extra; c++) {
            fputc(',', f);
            if (!found)
                continue;
            if (num[c])
                fputs(fmt_exact(buf, num[c][row]), f);
            else if (codes[c][row] >= 0 && (size_t)codes[c][row] < n_dict[c])
                csv_field(f, dict[c][codes[c][row]]);
        }
        fputc('\n', f);
    }
}

static int run(int argc, char **argv)
{
    input_cfg in;
    input_init(&in);
    rfm_cfg rc_cfg;
    rfm_cfg_init(&rc_cfg);
    const char *rules_path = NULL, *output = "-", *previous = NULL, *save_state = NULL;
    const char *events = NULL;
    char *columns = NULL;
    int64_t when = TIER_AS_OF_AUTO;
    int want_rfm = 0;
    pins pn;
    pn.n = 0;
    cli_parser p;
    cli_init(&p, &cmd_assign, argc, argv);
    const char *arg;
    int id;
    while ((id = cli_next(&p, &arg)) != CLI_END) {
        if (input_option(&in, id, arg))
            continue;
        switch (id) {
        case OPT_OUTPUT: output = arg; break;
        case OPT_PREVIOUS: previous = arg; break;
        case OPT_SAVE_STATE: save_state = arg; break;
        case OPT_EVENTS: events = arg; break;
        case OPT_TIME: when = arg_instant("--time", arg); break;
        case OPT_PIN: add_pin(&pn, (char *)arg); break;
        case OPT_RFM: want_rfm = 1; break;
        case OPT_BINS: rc_cfg.bins = (unsigned)arg_long("--bins", arg, 2, 10); break;
        case OPT_COLUMNS: columns = (char *)arg; break;
        case CLI_POSITIONAL:
            if (!rules_path)
                rules_path = arg;
            else if (!in.path)
                in.path = arg;
            else
                cli_usage_error(&cmd_assign, "unexpected argument '%s'", arg);
            break;
        }
    }
    if (!rules_path)
        cli_usage_error(&cmd_assign, "no rule file (tier assign RULES INPUT)");
    if (events && strcmp(events, "-") == 0 && strcmp(output, "-") == 0)
        cli_usage_error(&cmd_assign, "--events - and the tiers both on standard output: give "
                        "one of them a file with -o or --events");
    /* read the small files first, so their mistakes show before a long load */
    tier_rules *rules = load_rules(rules_path);
    tier_assignment *prev = previous ? load_state(previous) : NULL;
    input_info info;
    tier_dataset *ds = input_load(&in, &info);
    tier_scorer *rfm = NULL;
    if (want_rfm || rules_need_rfm(rules, ds))
        rfm = run_rfm(ds, &rc_cfg);
    check_rules(rules, ds);

    tier_assign_options o = TIER_ASSIGN_OPTIONS_INIT;
    o.time = when;
    o.n_overrides = pn.n;
    o.override_customers = pn.ids;
    o.override_tiers = pn.tiers;
    o.override_until = pn.until;
    tier_assignment *a = NULL;
    int rc = tier_assignment_new(&a, rules, ds, prev, &o);
    if (rc)
        die_lib(rc, rc == TIER_EINVAL || rc == TIER_ENOTFOUND ? EXIT_USAGE : EXIT_MODEL);

    const char *extra[256];
    size_t n_extra = 0;
    if (columns) {
        n_extra = split_columns(extra, 256, columns, ds);
    } else {
        for (size_t i = 0; i < tier_rules_column_count(rules) && n_extra < 256; i++)
            extra[n_extra++] = tier_rules_column_name(rules, i);
    }
    out_file out;
    out_open(&out, output);
    write_tiers(out.f, a, prev, ds, extra, n_extra);
    out_close(&out);
    if (events)
        write_events(a, events);
    if (save_state && (rc = tier_assignment_save(a, save_state)))
        die_lib(rc, EXIT_WRITE);
    if (!in.quiet && isatty(STDERR_FILENO)) {
        print_load_summary(ds, &info);
        print_assignment_summary(a, prev);
    }
    tier_assignment_free(a);
    tier_assignment_free(prev);
    tier_scorer_free(rfm);
    tier_rules_free(rules);
    tier_dataset_free(ds);
    return EXIT_OK;
}

const cli_cmd cmd_assign = {
    "assign", "RULES [OPTIONS] INPUT",
    "assign tiers with a rule set; dynamic tiers with --previous",
    "Computes the features of INPUT, evaluates the rule set RULES (see doc/rules.md; e.g. "
    "examples/rules/retail.tier) and writes customer_id, tier, label, qualified_tier (the tier "
    "the rules alone give), grace (evaluations held above the qualified tier), previous_tier "
    "and the columns the rules read, as CSV. With --previous, upgrades are immediate and "
    "downgrades follow the rule set's policy (grace period, at most k steps). Run it every "
    "period with --previous and --save-state on the same file to keep the history moving.",
    tables, titles, run,
};
