/* The steps the commands share: RFM scoring, loading and checking rule sets and saved
 * assignments, and writing one CSV row per customer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void rfm_cfg_init(rfm_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->bins = 5;
    c->mode = TIER_RFM_QUANTILE;
}

tier_scorer *run_rfm(tier_dataset *ds, const rfm_cfg *c)
{
    tier_scorer *rfm = NULL;
    int rc;
    if (c->model_in) {
        check_readable(c->model_in);
        rc = tier_scorer_load(&rfm, c->model_in, NULL);
        if (rc)
            die_lib(rc, EXIT_MODEL);
        if (strcmp(tier_scorer_name(rfm), "rfm") != 0)
            die(EXIT_MODEL, "%s: a '%s' model, not an RFM model", c->model_in,
                tier_scorer_name(rfm));
        rc = tier_scorer_apply(rfm, ds);
        if (rc)
            die_lib(rc, EXIT_DATA);
        return rfm;
    }
    tier_rfm_options o = TIER_RFM_OPTIONS_INIT;
    o.bins[0] = o.bins[1] = o.bins[2] = c->bins;
    o.mode = c->mode;
    /* customers who never bought (only returns) have no recency: leave them unscored */
    o.nan_policy = TIER_RFM_NAN_UNSCORED;
    rc = tier_rfm_new(&rfm, &o);
    if (rc)
        die_lib(rc, EXIT_USAGE);
    rc = tier_scorer_fit_apply(rfm, ds);
    if (rc)
        die_lib(rc, EXIT_DATA);
    if (c->model_out) {
        rc = tier_scorer_save(rfm, c->model_out);
        if (rc)
            die_lib(rc, EXIT_WRITE);
    }
    return rfm;
}

static const char *const rfm_columns[] = { "r_score", "f_score", "m_score", "rfm_code",
                                            "rfm_total", "rfm_segment" };

int rules_need_rfm(const tier_rules *rules, const tier_dataset *ds)
{
    tier_column_type type;
    for (size_t i = 0; i < tier_rules_column_count(rules); i++) {
        const char *name = tier_rules_column_name(rules, i);
        for (size_t k = 0; k < sizeof rfm_columns / sizeof rfm_columns[0]; k++)
            if (strcmp(name, rfm_columns[k]) == 0 &&
                tier_dataset_column_type(&type, ds, name) != TIER_OK)
                return 1;
    }
    tier_clear_error();
    return 0;
}

tier_rules *load_rules(const char *path)
{
    check_readable(path);
    tier_rules *rules = NULL;
    int rc = tier_rules_load(&rules, path, NULL);
    if (rc)
        die_lib(rc, EXIT_MODEL);
    return rules;
}

void check_rules(const tier_rules *rules, const tier_dataset *ds)
{
    int rc = tier_rules_check(rules, ds);
    if (rc)
        die_lib(rc, EXIT_MODEL);
}

tier_assignment *load_state(const char *path)
{
    check_readable(path);
    tier_assignment *a = NULL;
    int rc = tier_assignment_load(&a, path, NULL);
    if (rc)
        die_lib(rc, EXIT_MODEL);
    return a;
}

size_t split_columns(const char **names, size_t cap, char *list, const tier_dataset *ds)
{
    size_t n = 0;
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        while (*tok == ' ')
            tok++;
        tier_column_type type;
        if (tier_dataset_column_type(&type, ds, tok) != TIER_OK)
            die(EXIT_USAGE, "--columns: %s", tier_last_error());
        if (n == cap)
            die(EXIT_USAGE, "--columns: too many columns");
        names[n++] = tok;
    }
    return n;
}

/* One borrowed column for writing. */
typedef struct out_col {
    const char *name;
    const double *num;
    const int32_t *codes;
    const char *const *dict;
    size_t n_dict;
} out_col;

void write_customers_csv(FILE *f, const tier_dataset *ds, const char *const *names, size_t n)
{
    size_t total = names ? n : tier_dataset_column_count(ds);
    out_col *cols = calloc(total ? total : 1, sizeof *cols);
    if (!cols)
        die(EXIT_INTERNAL, "out of memory");
    for (size_t c = 0; c < total; c++) {
        const char *name = names ? names[c] : tier_dataset_column_name(ds, c);
        tier_column_type type;
        int rc = tier_dataset_column_type(&type, ds, name);
        if (rc == TIER_OK && type == TIER_COLUMN_NUMERIC)
            rc = tier_dataset_numeric(&cols[c].num, ds, name);
        else if (rc == TIER_OK)
            rc = tier_dataset_categorical(&cols[c].codes, &cols[c].dict, &cols[c].n_dict, ds, name);
        if (rc)
            die_lib(rc, EXIT_INTERNAL);
        cols[c].name = name;
    }
    fputs("customer_id", f);
    for (size_t c = 0; c < total; c++) {
        fputc(',', f);
        csv_field(f, cols[c].name);
    }
    fputc('\n', f);
    size_t rows = tier_dataset_size(ds);
    char buf[32];
    for (size_t r = 0; r < rows; r++) {
        csv_field(f, tier_dataset_customer_id(ds, r));
        for (size_t c = 0; c < total; c++) {
            fputc(',', f);
            if (cols[c].num) {
                fputs(fmt_exact(buf, cols[c].num[r]), f);
            } else {
                int32_t code = cols[c].codes[r];
                if (code >= 0 && (size_t)code < cols[c].n_dict)
                    csv_field(f, cols[c].dict[code]);
            }
        }
        fputc('\n', f);
    }
    free(cols);
}

void pipeline_init(pipeline *p)
{
    memset(p, 0, sizeof *p);
    input_init(&p->in);
    rfm_cfg_init(&p->rfm);
    clv_cfg_init(&p->clv_cfg);
}

/* A failed CLV fit does not stop the pipeline: the report says why (clv_note). */
static void run_pipeline_clv(pipeline *p)
{
    int rc = clv_fit(&p->clv_scorer, p->ds, &p->clv_cfg);
    if (rc == TIER_OK)
        return;
    if (rc == TIER_ENOMEM)
        die_lib(rc, EXIT_INTERNAL);
    snprintf(p->clv_note, sizeof p->clv_note, "%s", tier_last_error());
    if (!p->in.quiet)
        warn("no CLV: %s", p->clv_note);
    tier_clear_error();
}

void pipeline_run(pipeline *p)
{
    if (p->rules_path)
        p->rules = load_rules(p->rules_path);
    if (p->previous_path)
        p->previous = load_state(p->previous_path);
    p->ds = input_load(&p->in, &p->info);
    p->scorer = run_rfm(p->ds, &p->rfm);
    if (p->clv)
        run_pipeline_clv(p);
    if (!p->rules)
        return;
    check_rules(p->rules, p->ds);
    int rc = tier_assignment_new(&p->assignment, p->rules, p->ds, p->previous, NULL);
    if (rc)
        die_lib(rc, EXIT_MODEL);
    if ((rc = tier_assignment_to_column(p->assignment, p->ds, "tier")))
        die_lib(rc, EXIT_INTERNAL);
}

void pipeline_free(pipeline *p)
{
    tier_assignment_free(p->assignment);
    tier_assignment_free(p->previous);
    tier_rules_free(p->rules);
    tier_scorer_free(p->scorer);
    tier_scorer_free(p->clv_scorer);
    tier_dataset_free(p->ds);
    memset(p, 0, sizeof *p);
}
