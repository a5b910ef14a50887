/* tier kmeans choose-k: fit k-means for a range of k and compare the fits (inertia with its
 * elbow, silhouette, Calinski-Harabasz, Davies-Bouldin) as a CSV table or a self-contained HTML
 * page with one SVG line chart per measure (tier_kmeans_choose_k()). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "svg_chart.h"

enum { OPT_OUTPUT = 1, OPT_FORMAT, OPT_K_MIN, OPT_K_MAX, OPT_SAMPLE, OPT_TITLE };

static const cli_opt options[] = {
    { "k-min", 0, "N", OPT_K_MIN, "smallest k tried (default 2)" },
    { "k-max", 0, "N", OPT_K_MAX, "largest k tried (default 10, at most the number of "
      "customers)" },
    { "silhouette-sample", 0, "N", OPT_SAMPLE, "customers in the silhouette sample, drawn with "
      "--seed (default 5000; 0: all, which costs time growing with the square)" },
    { "format", 0, "FMT", OPT_FORMAT, "html (default): a page with the curves as charts; csv: "
      "the table" },
    { "output", 'o', "FILE", OPT_OUTPUT, "write to FILE instead of standard output" },
    { "title", 0, "TEXT", OPT_TITLE, "title of the HTML page" },
    { NULL, 0, NULL, 0, NULL },
};

static const cli_opt *const tables[] = { options, kmeans_options, input_options, NULL };
static const char *const titles[] = { "Options", "K-means options", "Input options" };

/* The measures shown, in table order, with what their pick means. */
static const struct measure {
    tier_kmeans_metric metric;
    const char *column, *label, *better, *pick;
} measures[] = {
    { TIER_KMEANS_INERTIA, "inertia", "Inertia", "always falls with k: look for the elbow",
      "elbow" },
    { TIER_KMEANS_SILHOUETTE, "silhouette", "Mean silhouette", "higher is better, −1..1",
      "highest" },
    { TIER_KMEANS_CALINSKI_HARABASZ, "calinski_harabasz", "Calinski–Harabasz index",
      "higher is better", "highest" },
    { TIER_KMEANS_DAVIES_BOULDIN, "davies_bouldin", "Davies–Bouldin index", "lower is better",
      "lowest" },
};
#define N_MEASURES (sizeof measures / sizeof measures[0])

typedef struct table {
    size_t n;
    double *k;                 /* n values */
    double *v[N_MEASURES + 1]; /* the measures, then the iterations */
    unsigned best[N_MEASURES]; /* recommended k, 0 when the measure is undefined for every k */
} table;

static void load_table(table *t, const tier_kmeans_choice *ch)
{
    t->n = tier_kmeans_choice_count(ch);
    t->k = malloc(t->n * sizeof *t->k);
    if (!t->k)
        die(EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < t->n; i++)
        t->k[i] = tier_kmeans_choice_k(ch, i);
    for (size_t m = 0; m <= N_MEASURES; m++) {
        t->v[m] = malloc(t->n * sizeof *t->v[m]);
        if (!t->v[m])
            die(EXIT_INTERNAL, "out of memory");
        tier_kmeans_metric metric = m < N_MEASURES ? measures[m].metric : TIER_KMEANS_ITERATIONS;
        for (size_t i = 0; i < t->n; i++)
            if (tier_kmeans_choice_metric(&t->v[m][i], ch, i, metric))
                die_lib(TIER_ERROR, EXIT_INTERNAL);
    }
    for (size_t m = 0; m < N_MEASURES; m++) {
        int rc = tier_kmeans_choice_best(&t->best[m], ch, measures[m].metric);
        if (rc == TIER_ERANGE) /* undefined for every k (e.g. silhouette of k = 1 only) */
            t->best[m] = 0;
        else if (rc)
            die_lib(rc, EXIT_INTERNAL);
    }
    tier_clear_error();
}

static void free_table(table *t)
{
    free(t->k);
    for (size_t m = 0; m <= N_MEASURES; m++)
        free(t->v[m]);
}

static void write_csv(FILE *f, const table *t)
{
    fputs("k", f);
    for (size_t m = 0; m < N_MEASURES; m++)
        fprintf(f, ",%s", measures[m].column);
    fputs(",iterations\n", f);
    char b[32];
    for (size_t i = 0; i < t->n; i++) {
        fprintf(f, "%s", fmt_exact(b, t->k[i]));
        for (size_t m = 0; m <= N_MEASURES; m++)
            fprintf(f, ",%s", fmt_exact(b, t->v[m][i]));
        fputc('\n', f);
    }
}

static void write_html(FILE *f, const table *t, const tier_dataset *ds, const input_info *info,
                       const tier_kmeans_options *ko, const char *title, size_t sample)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"tier " TIER_VERSION_STRING "\">\n<title>", f);
    xml_text(f, title);
    fprintf(f, "</title>\n<style>%std.pick{font-weight:650;color:#c2410c}</style>\n</head>\n<body>\n<main>\n<header><h1>", report_css());
    xml_text(f, title);
    char b[48], b2[48];
    fprintf(f, "</h1><p class=\"sub\">%s customers from ",
            fmt_int(b, (double)tier_dataset_size(ds)));
    xml_text(f, info->source);
    fprintf(f, "; k-means for k = %s..%s on ", fmt_exact(b, t->k[0]),
            fmt_exact(b2, t->k[t->n - 1]));
    size_t d = ko->n_features ? ko->n_features : 3;
    static const char *const defaults[] = { "recency", "frequency", "monetary" };
    static const char *const tnames[] = { "none", "log1p", "z-score", "min–max", "log1p, z-score",
                                          "log1p, min–max" };
    for (size_t j = 0; j < d; j++) {
        fputs(j ? ", " : "", f);
        xml_text(f, ko->n_features ? ko->features[j] : defaults[j]);
        fprintf(f, " (%s)", tnames[ko->transforms ? ko->transforms[j] : TIER_KMEANS_ZSCORE]);
    }
    fprintf(f, "; seed %llu, %u run%s per k.</p></header>\n", (unsigned long long)ko->seed,
            ko->n_init ? ko->n_init : 1, ko->n_init > 1 ? "s" : "");
    /* the recommendations */
    fputs("<section class=\"kpis\">\n", f);
    for (size_t m = 0; m < N_MEASURES; m++) {
        fputs("<div class=\"kpi\"><div class=\"v\">", f);
        fputs(t->best[m] ? fmt_exact(b, t->best[m]) : "–", f);
        fputs("</div><div class=\"l\">k by ", f);
        xml_text(f, measures[m].column);
        fprintf(f, " (%s)</div></div>\n", measures[m].pick);
    }
    fputs("</section>\n<section class=\"charts\">\n", f);
    for (size_t m = 0; m < N_MEASURES; m++) {
        size_t mark = (size_t)-1;
        for (size_t i = 0; i < t->n; i++)
            if (t->best[m] && t->k[i] == t->best[m])
                mark = i;
        char label[64];
        snprintf(label, sizeof label, "%s: k = %u", measures[m].pick, t->best[m]);
        char chart_title[160];
        snprintf(chart_title, sizeof chart_title, "%s — %s", measures[m].label,
                 measures[m].better);
        fputs("<div class=\"card\">", f);
        svg_line(f, chart_title, "k (clusters)", measures[m].column, t->n, t->k, t->v[m], mark,
                 label);
        fputs("</div>\n", f);
    }
    fputs("</section>\n<section class=\"card\"><h2>Measures by k</h2><div class=\"table-wrap\">"
          "<table>\n<tr><th>k</th>", f);
    for (size_t m = 0; m < N_MEASURES; m++) {
        fputs("<th>", f);
        xml_text(f, measures[m].column);
        fputs("</th>", f);
    }
    fputs("<th>iterations</th></tr>\n", f);
    for (size_t i = 0; i < t->n; i++) {
        fprintf(f, "<tr><td>%s</td>", fmt_exact(b, t->k[i]));
        for (size_t m = 0; m < N_MEASURES; m++)
            fprintf(f, "<td%s>%s</td>", t->best[m] == t->k[i] ? " class=\"pick\"" : "",
                    fmt_fixed(b2, t->v[m][i], m == 0 ? 2 : 4));
        fprintf(f, "<td>%s</td></tr>\n", fmt_int(b2, t->v[N_MEASURES][i]));
    }
    fputs("</table></div>", f);
    if (sample && sample < tier_dataset_size(ds))
        fprintf(f, "<p class=\"sub\" style=\"margin:8px 0 0\">Silhouette on a sample of %s "
                "customers (the same for every k).</p>", fmt_int(b, (double)sample));
    fputs("</section>\n<footer>The elbow is the k farthest below the straight line from the "
          "first to the last point of the scaled inertia curve. Page made by libtier's "
          "<code>tier kmeans choose-k</code>; it needs no network and no script.</footer>\n"
          "</main>\n</body>\n</html>\n", f);
}

static const cli_cmd cmd_choose_k;

static int run_choose_k(int argc, char **argv)
{
    input_cfg in;
    input_init(&in);
    kmeans_cfg kc;
    kmeans_cfg_init(&kc);
    tier_kmeans_choose_options co = TIER_KMEANS_CHOOSE_OPTIONS_INIT;
    const char *output = "-", *title = "Choosing the number of k-means clusters";
    int csv = 0;
    static const char *const formats[] = { "html", "csv", NULL };
    cli_parser p;
    cli_init(&p, &cmd_choose_k, argc, argv);
    const char *arg;
    int id;
    while ((id = cli_next(&p, &arg)) != CLI_END) {
        if (input_option(&in, id, arg) || kmeans_option(&kc, id, arg))
            continue;
        switch (id) {
        case OPT_OUTPUT: output = arg; break;
        case OPT_FORMAT: csv = arg_choice("--format", arg, formats); break;
        case OPT_TITLE: title = arg; break;
        case OPT_K_MIN: co.k_min = (unsigned)arg_long("--k-min", arg, 1, 4096); break;
        case OPT_K_MAX: co.k_max = (unsigned)arg_long("--k-max", arg, 1, 1000000); break;
        case OPT_SAMPLE:
            co.silhouette_sample = (size_t)arg_long("--silhouette-sample", arg, 0, 100000000);
            break;
        case CLI_POSITIONAL:
            if (in.path)
                cli_usage_error(&cmd_choose_k, "unexpected argument '%s' (one input file only)",
                                arg);
            in.path = arg;
            break;
        }
    }
    if (co.k_max < co.k_min)
        cli_usage_error(&cmd_choose_k, "--k-max %u is below --k-min %u", co.k_max, co.k_min);
    if (co.k_max - co.k_min >= 4096)
        cli_usage_error(&cmd_choose_k, "--k-min %u to --k-max %u: at most 4096 values of k",
                        co.k_min, co.k_max);
    tier_kmeans_options ko;
    kmeans_options_of(&ko, &kc, co.k_min);
    co.silhouette_seed = kc.seed;
    input_info info;
    tier_dataset *ds = input_load(&in, &info);
    tier_kmeans_choice *ch = NULL;
    int rc = tier_kmeans_choose_k(&ch, ds, &ko, &co);
    if (rc)
        kmeans_die(rc);
    table t;
    load_table(&t, ch);
    tier_kmeans_choice_free(ch);
    out_file out;
    out_open(&out, output);
    if (csv)
        write_csv(out.f, &t);
    else
        write_html(out.f, &t, ds, &info, &ko, title, co.silhouette_sample);
    out_close(&out);
    if (!in.quiet && isatty(STDERR_FILENO))
        print_load_summary(ds, &info);
    free_table(&t);
    tier_dataset_free(ds);
    return EXIT_OK;
}

static const cli_cmd cmd_choose_k = {
    "kmeans choose-k", "[OPTIONS] INPUT",
    "compare k-means fits over a range of k to choose the number of clusters",
    "Computes the features of INPUT (as 'tier features' does), fits k-means with the K-means "
    "options for every k from --k-min to --k-max, and measures each fit: the inertia (sum of "
    "squared distances to the centers; it always falls with k, so its pick is the elbow of the "
    "curve), the mean silhouette on a seeded sample (higher is better), the Calinski-Harabasz "
    "index (higher is better) and the Davies-Bouldin index (lower is better). It writes a "
    "self-contained HTML page with the four curves as SVG charts, each pick marked, and the "
    "table; --format csv writes the table only (k, inertia, silhouette, calinski_harabasz, "
    "davies_bouldin, iterations; empty where a measure is undefined). Then run 'tier score "
    "--kmeans K' with the same options.",
    tables, titles, run_choose_k,
};

static const cli_cmd *const subcommands[] = { &cmd_choose_k, NULL };

static int run(int argc, char **argv)
{
    if (argc >= 2 && argv[1][0] != '-') {
        for (size_t i = 0; subcommands[i]; i++)
            if (strcmp(subcommands[i]->name + strlen("kmeans "), argv[1]) == 0)
                return subcommands[i]->run(argc - 1, argv + 1);
        die(EXIT_USAGE, "kmeans: unknown subcommand '%s' (did you mean 'choose-k'?)", argv[1]);
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        cli_print_help(stdout, &cmd_kmeans);
        return EXIT_OK;
    }
    die(EXIT_USAGE, "kmeans: missing subcommand (choose-k); try 'tier kmeans --help'");
}

const cli_cmd cmd_kmeans = {
    "kmeans", "choose-k [OPTIONS] INPUT",
    "k-means tools: compare fits over a range of k (choose-k)",
    "Subcommands:\n"
    "  choose-k  fit k-means for k = --k-min..--k-max and chart inertia (elbow), silhouette, "
    "Calinski-Harabasz and Davies-Bouldin; see 'tier kmeans choose-k --help'.\n"
    "The clusters themselves come from 'tier score --kmeans K'.",
    tables, titles, run,
};
