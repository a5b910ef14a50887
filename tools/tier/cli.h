/* The `tier` command-line program: declarations shared by its files.
 *
 * The program uses only the public libtier API (tier/tier.h). It is a thin layer: option
 * parsing, loading input, calling the library, and formatting results (CSV, tables, HTML). On
 * any error it prints `tier: <message>` to stderr and exits with one of the codes below, which
 * the man page (doc/tier.1) documents for scripts. */
#ifndef TIER_CLI_H
#define TIER_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "tier/tier.h"

/* ---- exit codes (documented in doc/tier.1; never change a value) ------------------------- */
enum {
    EXIT_OK = 0,
    EXIT_INTERNAL = 1, /* out of memory or an unexpected library failure */
    EXIT_USAGE = 2,    /* unknown option, missing or malformed argument */
    EXIT_READ = 3,     /* an input file cannot be opened or read */
    EXIT_DATA = 4,     /* the input data is bad: malformed row, unknown column, no customers */
    EXIT_MODEL = 5,    /* a rules, model, judgments or state file is invalid */
    EXIT_WRITE = 6     /* an output file cannot be written */
};

/* ---- errors ----------------------------------------------------------------------------- */

/* Prints "tier: <message>" and exits with `code`. */
_Noreturn void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "tier: <tier_last_error()>" and exits with the code for a failed library call made in a
 * stage whose failures mean `code` (EXIT_DATA, EXIT_MODEL ...): out of memory is EXIT_INTERNAL,
 * an I/O error reading is EXIT_READ. */
_Noreturn void die_lib(int status, int code);
/* Prints "tier: warning: <message>". */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Checks that a file can be read, else exits with EXIT_READ naming it. "-" is stdin. */
void check_readable(const char *path);

/* ---- options ---------------------------------------------------------------------------- */

typedef struct cli_opt {
    const char *name;  /* long name without "--"; NULL ends a table */
    char short_name;   /* 0 for none */
    const char *arg;   /* argument name in help ("FILE"), NULL for a flag */
    int id;            /* > 0, returned by cli_next() */
    const char *help;
} cli_opt;

typedef struct cli_cmd {
    const char *name;        /* "features" */
    const char *usage;       /* "[OPTIONS] INPUT" */
    const char *summary;     /* one line */
    const char *description; /* paragraphs shown by --help, may be NULL */
    const cli_opt *const *tables; /* NULL-terminated list of option tables */
    const char *const *table_titles;
    int (*run)(int argc, char **argv);
} cli_cmd;

enum { CLI_END = -1, CLI_POSITIONAL = 0 };

typedef struct cli_parser {
    const cli_cmd *cmd;
    int argc;
    char **argv;
    int i;
    int no_more_options;
} cli_parser;

void cli_init(cli_parser *p, const cli_cmd *cmd, int argc, char **argv);
/* Returns the next option's id (with *arg set for options that take one), CLI_POSITIONAL with
 * *arg the word, or CLI_END. --help prints the command's help and exits 0; unknown options and
 * missing arguments exit EXIT_USAGE with a suggestion. */
int cli_next(cli_parser *p, const char **arg);
_Noreturn void cli_usage_error(const cli_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cli_print_help(FILE *f, const cli_cmd *cmd);

/* Argument conversions: exit EXIT_USAGE naming the option on bad values. */
long arg_long(const char *opt, const char *s, long lo, long hi);
int arg_choice(const char *opt, const char *s, const char *const *choices);
/* "2011-12-10", "2011-12-10T12:00:00[Z]", "2011-12-10 12:00", or "@<seconds>". */
int parse_instant(int64_t *out, const char *s);
int64_t arg_instant(const char *opt, const char *s);

/* ---- formatting --------------------------------------------------------------------------- */

/* Shortest text that reads back as the same double ("170", "0.1"); "" for NaN. buf: 32 bytes. */
const char *fmt_exact(char *buf, double v);
/* Human numbers: "1,234,567" / "1,234.57" (decimals digits) / "12.3%" / "1.2k" ... buf: 48. */
const char *fmt_int(char *buf, double v);
const char *fmt_fixed(char *buf, double v, int decimals);
const char *fmt_percent(char *buf, double share);
const char *fmt_compact(char *buf, double v);
/* "2011-12-09" and "2011-12-09 12:50" (UTC). buf: 32 bytes. */
const char *fmt_date(char *buf, int64_t t);
const char *fmt_datetime(char *buf, int64_t t);
/* "1.4 MB". */
const char *fmt_bytes(char *buf, double bytes);
/* Writes s as a CSV field (quoted when needed). */
void csv_field(FILE *f, const char *s);

/* A plain text table for terminals: columns right-aligned unless marked left. */
typedef struct text_table {
    size_t n_cols, n_rows, cap;
    char **cells; /* n_rows × n_cols, row-major; row 0 is the header */
    unsigned left_mask; /* bit c: left-align column c */
} text_table;
void tt_init(text_table *t, size_t n_cols, unsigned left_mask);
void tt_add(text_table *t, const char *const *cells);
void tt_print(FILE *f, const text_table *t, const char *indent);
void tt_free(text_table *t);

/* ---- output files ------------------------------------------------------------------------- */

/* An output: stdout for "-", else a temporary file renamed into place by out_close(), so a
 * failed run never leaves a half-written file. Write errors exit EXIT_WRITE. */
typedef struct out_file {
    FILE *f;
    char *path;
    char *tmp;
} out_file;
void out_open(out_file *o, const char *path);
void out_close(out_file *o);
/* Copies a file's bytes to stdout (for library writers that take a path). */
void copy_to_stdout(const char *path);
/* A fresh temporary path (removed at exit). */
const char *temp_path(const char *name);

/* ---- input -------------------------------------------------------------------------------- */

/* Options shared by every command that reads transactions (ids 100..199). */
extern const cli_opt input_options[];

typedef struct input_cfg {
    tier_csv_options csv;
    const char *path;          /* transactions CSV, "-" for stdin */
    const char *dataset_path;  /* --dataset: a saved dataset instead */
    int64_t as_of;
    const char *cats[32];
    size_t n_cats;
    const char *nums[32];
    size_t n_nums;
    int quiet;
    int progress;              /* 1: show a progress bar (stderr is a terminal) */
} input_cfg;

/* What happened while loading, for summaries and the report. */
typedef struct input_info {
    const char *source;       /* file shown to the user */
    uint64_t rows, rows_used, rows_no_customer, rows_bad, bytes;
    double seconds;
    int from_dataset;
    char first_bad[512];      /* first bad-row message, if any */
} input_info;

void input_init(input_cfg *cfg);
/* Applies a named column mapping ("online-retail"); exits EXIT_USAGE for an unknown name. */
void input_preset(input_cfg *cfg, const char *name);
/* Handles an input option; returns 1 if `id` was one. */
int input_option(input_cfg *cfg, int id, const char *arg);
/* Loads the dataset (exits on failure) and computes features. */
tier_dataset *input_load(input_cfg *cfg, input_info *info);
/* One line on stderr: customers, rows, as-of date, time taken. */
void print_load_summary(const tier_dataset *ds, const input_info *info);

/* ---- CLV (cli_clv.c) ------------------------------------------------------------------------ */

/* Options of the CLV models (ids 300..399): --clv-model, --unit, --horizon, --discount-rate,
 * --margin, --spend, --accept-unconverged. */
extern const cli_opt clv_options[];

typedef struct clv_cfg {
    tier_clv_model model;
    tier_clv_unit unit;
    double horizon;           /* NaN: one year in the unit */
    double discount_rate;
    double margin;
    const char *spend_column; /* NULL: no spend model */
    int accept_unconverged;
} clv_cfg;

void clv_cfg_init(clv_cfg *c);
/* Handles a CLV option; returns 1 if `id` was one. */
int clv_option(clv_cfg *c, int id, const char *arg);
double clv_horizon(const clv_cfg *c);
void clv_options_of(tier_clv_options *o, const clv_cfg *c);
/* Fits the models on `ds` and writes their columns; returns the library status (the message is
 * tier_last_error()) with *out NULL on failure. */
int clv_fit(tier_scorer **out, tier_dataset *ds, const clv_cfg *c);
/* Exits for a failed CLV fit: bad options EXIT_USAGE, data that cannot be fitted EXIT_DATA. */
_Noreturn void clv_die(int rc);
/* Parameters, log-likelihood and convergence of both parts. */
void print_clv_fit(FILE *f, const tier_scorer *s, const clv_cfg *c);

/* ---- k-means (cli_kmeans.c) --------------------------------------------------------------- */

/* Options of k-means (ids 400..499): --features, --transform, --weights, --seed, --n-init,
 * --order-by, --ascending, --algorithm, --max-iter, --nan. */
extern const cli_opt kmeans_options[];

typedef struct kmeans_cfg {
    const char *features[TIER_KMEANS_MAX_FEATURES];
    size_t n_features;        /* 0: the library's default three */
    tier_kmeans_transform transforms[TIER_KMEANS_MAX_FEATURES];
    size_t n_transforms;      /* 0: the library's default; 1: the same for every feature */
    const char *weights, *order_by;
    int ascending, nan_error;
    uint64_t seed;
    unsigned n_init, max_iter;
    tier_kmeans_algorithm algorithm;
} kmeans_cfg;

void kmeans_cfg_init(kmeans_cfg *c);
/* Handles a k-means option; returns 1 if `id` was one. */
int kmeans_option(kmeans_cfg *c, int id, const char *arg);
/* Library options for k clusters (exits EXIT_USAGE for inconsistent options). */
void kmeans_options_of(tier_kmeans_options *o, kmeans_cfg *c, unsigned k);
/* Exits for a failed k-means call: options that do not fit the data (unknown column, k above
 * the number of customers) EXIT_USAGE, values that cannot be clustered EXIT_DATA. */
_Noreturn void kmeans_die(int rc);
/* Fit result and per-cluster size, share and feature means of a fitted k-means scorer. */
void print_kmeans_summary(FILE *f, const tier_scorer *s);

/* ---- the pipeline (cli_pipeline.c) --------------------------------------------------------- */

typedef struct rfm_cfg {
    unsigned bins;
    tier_rfm_mode mode;
    const char *model_in;  /* apply a saved model instead of fitting */
    const char *model_out; /* save the fitted model */
} rfm_cfg;

void rfm_cfg_init(rfm_cfg *c);
/* Fits (or loads) and applies RFM with segments; customers without purchases stay unscored. */
tier_scorer *run_rfm(tier_dataset *ds, const rfm_cfg *c);
/* Whether the rule set reads RFM output columns the dataset lacks. */
int rules_need_rfm(const tier_rules *rules, const tier_dataset *ds);
/* Compiles a rule file (exits EXIT_READ / EXIT_MODEL). */
tier_rules *load_rules(const char *path);
/* Checks the rules against the dataset (exits EXIT_MODEL with the position). */
void check_rules(const tier_rules *rules, const tier_dataset *ds);
tier_assignment *load_state(const char *path);
/* Writes `ds` as CSV: customer_id then the named columns (all columns if names is NULL). */
void write_customers_csv(FILE *f, const tier_dataset *ds, const char *const *names, size_t n);
/* Column names of `ds` that exist, from a comma-separated list (exits EXIT_USAGE otherwise). */
size_t split_columns(const char **names, size_t cap, char *list, const tier_dataset *ds);

/* Everything `tier report` and `tier demo` compute: features, RFM scores and segments, and
 * (with a rule set) tiers in a categorical column "tier". */
typedef struct pipeline {
    input_cfg in;
    input_info info;
    rfm_cfg rfm;
    const char *rules_path;    /* NULL: group by RFM segment */
    const char *previous_path; /* NULL: first evaluation */
    tier_dataset *ds;
    tier_scorer *scorer;
    tier_rules *rules;
    tier_assignment *previous, *assignment;
    int clv;                   /* also fit the CLV models (clv_cfg) */
    clv_cfg clv_cfg;
    tier_scorer *clv_scorer;   /* NULL when not asked or the fit failed */
    char clv_note[512];        /* why the CLV fit failed, for the report */
} pipeline;

void pipeline_init(pipeline *p);
void pipeline_run(pipeline *p);
void pipeline_free(pipeline *p);

/* ---- report (report_html.c) ----------------------------------------------------------------- */

typedef struct report_cfg {
    const char *title;
    const char *group_column;  /* "tier" or "rfm_segment" */
    const char *pivot_column;  /* e.g. "Country"; NULL to choose */
    const char *rules_path;
    const char *input_name;    /* input as shown in the report (NULL: the path) */
    const char *rules_name;    /* rule set as shown (NULL: the path) */
    const char *data_note;     /* attribution line, may be NULL */
    size_t max_points;         /* scatter sample size */
    const tier_rules *rules;   /* may be NULL */
    const tier_scorer *rfm;
    const tier_assignment *assignment; /* may be NULL */
    const input_info *info;
    const tier_scorer *clv;    /* fitted CLV models, or NULL */
    const clv_cfg *clv_cfg;    /* their options, with clv */
    const char *clv_note;      /* why there is no CLV section, or NULL (not asked) */
} report_cfg;

/* The style sheet of the reports (for pages other than the main report). */
const char *report_css(void);
/* Writes the self-contained HTML report. */
void write_report(FILE *f, const tier_dataset *ds, const report_cfg *cfg);
/* The report of a pipeline, written atomically to `path` ("-": stdout). */
void report_from_pipeline(const char *path, const pipeline *p, const report_cfg *shown);
/* One CSV row per customer: tier, segment, scores, features and kept attributes. */
void write_customer_file(const char *path, const pipeline *p);

/* ---- data files of the demo (datadir.c) ------------------------------------------------------ */

/* Finds a bundled file (e.g. "online_retail.csv.gz") in the source tree, the install prefix or
 * $TIER_DATA_DIR; `subdir` is its folder under examples/ in the source tree ("data", "rules").
 * Returns a malloc'd path or NULL. */
char *find_data_file(const char *name, const char *subdir);

/* ---- the commands ------------------------------------------------------------------------------ */

extern const cli_cmd cmd_features, cmd_score, cmd_clv, cmd_kmeans, cmd_assign, cmd_whatif,
    cmd_pivot, cmd_report, cmd_demo;

#endif
