/* tier_scorer: the generic half of every scoring strategy — column declarations and prefixes,
 * input checks, output staging, user callbacks and the model file. Built-in strategies plug in
 * through lib/internal/scorer.h; user strategies through include/tier/sys/scorer.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/dataset.h"
#include "internal/error.h"
#include "internal/scorer.h"

#define MODEL_MAGIC "TIERMODL"
#define MODEL_VERSION 1
#define KIND_BUILTIN 1
#define KIND_CUSTOM 2
#define MAX_NAME 63
#define MAX_COLUMNS 4096

/* The built-in kinds tier_scorer_load() can read, by name. */
static const tier__scorer_kind *const builtin_kinds[] = {
    &tier__rfm_kind,
    &tier__ahp_kind,
    &tier__kmeans_kind,
    &tier__clv_kind,
    /* @scorer-kinds (one line per built-in strategy; helpers add theirs here) */
};
#define N_BUILTIN (sizeof builtin_kinds / sizeof builtin_kinds[0])

struct tier_scorer {
    tier__alloc alloc;
    const tier__scorer_kind *kind; /* NULL for a user-defined scorer */
    void *state;                   /* built-in state */
    tier_scorer_vtable vt;         /* user-defined: copied callbacks (names point to ours) */
    void *user;
    int user_fitted;
    char *name;
    char *prefix;
    size_t n_inputs, n_outputs;
    char **inputs;
    char **outputs;  /* without prefix */
    char **full;     /* with prefix */
    tier_column_type *types;
};

struct tier_scorer_output {
    const tier__alloc *alloc;
    size_t n_rows, n_outputs;
    const tier_column_type *types;
    double **num;
    int32_t **codes;
    const char *const **dict; /* per output: dictionary (borrowed or in dict_block) */
    size_t *n_dict;
    void **dict_block;        /* per output: owned copy made by tier_scorer_output_categorical */
    unsigned char *written;
};

struct tier_scorer_writer {
    tier__wbuf buf;
};

/* ---- names ---------------------------------------------------------------------------------- */

int tier__valid_column_name(const char *name)
{
    if (!name || !*name || strlen(name) > MAX_NAME || (name[0] >= '0' && name[0] <= '9'))
        return 0;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

static int check_prefix(const tier_scorer *s, const char *prefix)
{
    /* a dataset refuses to replace its feature columns, so no output may be named like one
     * (checked up front, so apply never fails half-way on it) */
    size_t lp = strlen(prefix);
    for (size_t i = 0; i < s->n_outputs; i++)
        if (tier__is_feature_name(prefix, lp, s->outputs[i]))
            return tier__error(TIER_EINVAL, "scorer '%s': output '%s%s' would replace a feature column",
                               s->name, prefix, s->outputs[i]);
    if (!*prefix)
        return TIER_OK;
    if (prefix[0] >= '0' && prefix[0] <= '9')
        return tier__error(TIER_EINVAL, "output prefix '%s' starts with a digit", prefix);
    for (const char *p = prefix; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return tier__error(TIER_EINVAL,
                               "output prefix '%s' may hold only letters, digits and '_'", prefix);
    }
    for (size_t i = 0; i < s->n_outputs; i++)
        if (strlen(prefix) + strlen(s->outputs[i]) > MAX_NAME)
            return tier__error(TIER_EINVAL, "output prefix '%s' makes '%s%s' longer than %d bytes",
                               prefix, prefix, s->outputs[i], MAX_NAME);
    return TIER_OK;
}

static void free_names(const tier__alloc *a, char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        tier__free(a, names[i]);
    tier__free(a, names);
}

static char **copy_names(const tier__alloc *a, const char *const *src, size_t n)
{
    char **dst = tier__calloc(a, n ? n : 1, sizeof *dst);
    if (!dst)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(dst[i] = tier__strdup(a, src[i]))) {
            free_names(a, dst, n);
            return NULL;
        }
    return dst;
}

/* Rebuilds the prefixed output names (all or nothing). */
static int set_prefix(tier_scorer *s, const char *prefix)
{
    if (!prefix)
        prefix = "";
    int rc = check_prefix(s, prefix);
    if (rc)
        return rc;
    char *p = tier__strdup(&s->alloc, prefix);
    char **full = tier__calloc(&s->alloc, s->n_outputs ? s->n_outputs : 1, sizeof *full);
    if (!p || !full)
        goto oom;
    for (size_t i = 0; i < s->n_outputs; i++) {
        size_t lp = strlen(prefix), lo = strlen(s->outputs[i]);
        if (!(full[i] = tier__malloc(&s->alloc, lp + lo + 1)))
            goto oom;
        memcpy(full[i], prefix, lp);
        memcpy(full[i] + lp, s->outputs[i], lo + 1);
    }
    tier__free(&s->alloc, s->prefix);
    free_names(&s->alloc, s->full, s->n_outputs);
    s->prefix = p;
    s->full = full;
    return TIER_OK;
oom:
    tier__free(&s->alloc, p);
    free_names(&s->alloc, full, s->n_outputs);
    return tier__oom();
}

/* Checks the declared columns: names valid, outputs distinct, types known. */
static int check_columns(const char *who, size_t n_inputs, const char *const *inputs, size_t n_outputs,
                         const char *const *outputs, const tier_column_type *types)
{
    if (n_outputs == 0)
        return tier__error(TIER_EINVAL, "scorer '%s' declares no output column", who);
    if (n_outputs > MAX_COLUMNS || n_inputs > MAX_COLUMNS)
        return tier__error(TIER_EINVAL, "scorer '%s' declares more than %d columns", who, MAX_COLUMNS);
    if ((n_inputs && !inputs) || !outputs)
        return tier__error(TIER_EINVAL, "scorer '%s': NULL column list", who);
    for (size_t i = 0; i < n_inputs; i++)
        if (!inputs[i] || !*inputs[i])
            return tier__error(TIER_EINVAL, "scorer '%s': input %zu has no name", who, i);
    for (size_t i = 0; i < n_outputs; i++) {
        if (!tier__valid_column_name(outputs[i]))
            return tier__error(TIER_EINVAL,
                               "scorer '%s': output name '%s' is not 1-%d letters, digits or '_' "
                               "(not starting with a digit)",
                               who, outputs[i] ? outputs[i] : "(null)", MAX_NAME);
        for (size_t j = 0; j < i; j++)
            if (strcmp(outputs[i], outputs[j]) == 0)
                return tier__error(TIER_EINVAL, "scorer '%s': output '%s' is declared twice", who,
                                   outputs[i]);
        if (types && types[i] != TIER_COLUMN_NUMERIC && types[i] != TIER_COLUMN_CATEGORICAL)
            return tier__error(TIER_EINVAL, "scorer '%s': output '%s' has unknown type %d", who,
                               outputs[i], (int)types[i]);
    }
    return TIER_OK;
}

/* ---- creation ------------------------------------------------------------------------------- */

/* Allocates a scorer and copies name and columns; prefix is set by the caller. */
static int create(tier_scorer **out, const tier_allocator *allocator, const char *name, size_t n_inputs,
                  const char *const *inputs, size_t n_outputs, const char *const *outputs,
                  const tier_column_type *types)
{
    tier__alloc a;
    int rc = tier__alloc_init(&a, allocator);
    if (rc)
        return rc;
    rc = check_columns(name, n_inputs, inputs, n_outputs, outputs, types);
    if (rc)
        return rc;
    tier_scorer *s = tier__calloc(&a, 1, sizeof *s);
    if (!s)
        return tier__oom();
    s->alloc = a;
    s->n_inputs = n_inputs;
    s->n_outputs = n_outputs;
    s->name = tier__strdup(&a, name);
    s->inputs = copy_names(&a, inputs, n_inputs);
    s->outputs = copy_names(&a, outputs, n_outputs);
    s->types = tier__calloc(&a, n_outputs, sizeof *s->types);
    if (!s->name || !s->inputs || !s->outputs || !s->types) {
        tier_scorer_free(s);
        return tier__oom();
    }
    for (size_t i = 0; i < n_outputs; i++)
        s->types[i] = types ? types[i] : TIER_COLUMN_NUMERIC;
    *out = s;
    return TIER_OK;
}

int tier__scorer_new(tier_scorer **out, const tier__scorer_kind *kind, void *state,
                     const tier_allocator *allocator, const char *prefix)
{
    *out = NULL;
    tier__alloc a;
    int rc = tier__alloc_init(&a, allocator);
    if (rc) {
        return rc; /* cannot free state without an allocator; constructors init it first */
    }
    tier__scorer_columns cols;
    memset(&cols, 0, sizeof cols);
    kind->columns(state, &cols);
    tier_scorer *s = NULL;
    rc = create(&s, allocator, kind->name, cols.n_inputs, cols.inputs, cols.n_outputs, cols.outputs,
                cols.output_types);
    if (rc) {
        kind->free(state, &a);
        return rc;
    }
    s->kind = kind;
    s->state = state;
    rc = set_prefix(s, prefix);
    if (rc) {
        tier_scorer_free(s);
        return rc;
    }
    *out = s;
    return TIER_OK;
}

const tier__scorer_kind *tier__scorer_find_kind(const char *name)
{
    for (size_t i = 0; i < N_BUILTIN; i++)
        if (strcmp(builtin_kinds[i]->name, name) == 0)
            return builtin_kinds[i];
    return NULL;
}

void *tier__scorer_state(const tier_scorer *s, const tier__scorer_kind *kind, const char *what)
{
    if (!s) {
        tier__error(TIER_EINVAL, "%s: NULL scorer", what);
        return NULL;
    }
    if (s->kind != kind) {
        tier__error(TIER_EINVAL, "%s: scorer is '%s', not '%s'", what, s->name, kind->name);
        return NULL;
    }
    return s->state;
}

const tier__alloc *tier__scorer_alloc(const tier_scorer *s) { return &s->alloc; }

int tier_scorer_options_init(tier_scorer_options *opts, unsigned int version)
{
    if (!opts)
        return tier__error(TIER_EINVAL, "tier_scorer_options_init: NULL options");
    if (version < 1 || version > TIER_SCORER_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_scorer_options version %u is not 1..%d", version,
                           TIER_SCORER_OPTIONS_VERSION);
    tier_scorer_options def = TIER_SCORER_OPTIONS_INIT;
    *opts = def;
    opts->version = version;
    return TIER_OK;
}

static int check_options(const tier_scorer_options *opts)
{
    if (opts && (opts->version < 1 || opts->version > TIER_SCORER_OPTIONS_VERSION))
        return tier__error(TIER_EVERSION, "tier_scorer_options version %u is not 1..%d", opts->version,
                           TIER_SCORER_OPTIONS_VERSION);
    return TIER_OK;
}

/* Copies a user vtable into s (callbacks only: names were copied by create()). */
static int check_vtable(const tier_scorer_vtable *vt)
{
    if (!vt)
        return tier__error(TIER_EINVAL, "tier_scorer_new_custom: NULL vtable");
    if (vt->version < 1 || vt->version > TIER_SCORER_VTABLE_VERSION)
        return tier__error(TIER_EVERSION, "tier_scorer_vtable version %u is not 1..%d", vt->version,
                           TIER_SCORER_VTABLE_VERSION);
    if (!vt->name || !tier__valid_column_name(vt->name))
        return tier__error(TIER_EINVAL,
                           "custom scorer name '%s' is not 1-%d letters, digits or '_' (not starting "
                           "with a digit)",
                           vt->name ? vt->name : "(null)", MAX_NAME);
    if (tier__scorer_find_kind(vt->name))
        return tier__error(TIER_EEXISTS, "custom scorer name '%s' is the name of a built-in strategy",
                           vt->name);
    if (!vt->apply)
        return tier__error(TIER_EINVAL, "custom scorer '%s' has no apply callback", vt->name);
    return TIER_OK;
}

static int new_custom(tier_scorer **out, const tier_scorer_vtable *vt, void *user,
                      const tier_scorer_options *opts)
{
    int rc = check_options(opts);
    if (!rc)
        rc = check_vtable(vt);
    if (rc)
        return rc;
    tier_scorer *s = NULL;
    rc = create(&s, opts ? opts->allocator : NULL, vt->name, vt->n_inputs, vt->inputs, vt->n_outputs,
                vt->outputs, vt->output_types);
    if (rc)
        return rc;
    s->vt = *vt;
    s->vt.name = s->name;
    s->vt.inputs = (const char *const *)s->inputs;
    s->vt.outputs = (const char *const *)s->outputs;
    s->vt.output_types = s->types;
    s->user = user;
    rc = set_prefix(s, opts ? opts->output_prefix : NULL);
    if (rc) {
        s->user = NULL; /* the caller destroys it */
        tier_scorer_free(s);
        return rc;
    }
    *out = s;
    return TIER_OK;
}

int tier_scorer_new_custom(tier_scorer **out, const tier_scorer_vtable *vtable, void *user,
                           const tier_scorer_options *opts)
{
    tier_scorer *s = NULL;
    int rc = out ? new_custom(&s, vtable, user, opts)
                 : tier__error(TIER_EINVAL, "tier_scorer_new_custom: NULL out");
    if (out)
        *out = s;
    if (rc && vtable && vtable->destroy && user)
        vtable->destroy(user); /* ownership passed to us in every case */
    return rc;
}

void tier_scorer_free(tier_scorer *s)
{
    if (!s)
        return;
    const tier__alloc a = s->alloc;
    if (s->kind && s->state)
        s->kind->free(s->state, &a);
    if (!s->kind && s->user && s->vt.destroy)
        s->vt.destroy(s->user);
    free_names(&a, s->inputs, s->n_inputs);
    free_names(&a, s->outputs, s->n_outputs);
    free_names(&a, s->full, s->n_outputs);
    tier__free(&a, s->types);
    tier__free(&a, s->name);
    tier__free(&a, s->prefix);
    tier__free(&a, s);
}

/* ---- getters -------------------------------------------------------------------------------- */

int tier_scorer_is_fitted(const tier_scorer *s)
{
    if (!s)
        return 0;
    if (s->kind)
        return s->kind->is_fitted(s->state) ? 1 : 0;
    return (s->vt.fit == NULL || s->user_fitted) ? 1 : 0;
}

const char *tier_scorer_name(const tier_scorer *s) { return s ? s->name : NULL; }

int tier_scorer_is_custom(const tier_scorer *s) { return (s && !s->kind) ? 1 : 0; }

size_t tier_scorer_input_count(const tier_scorer *s) { return s ? s->n_inputs : 0; }

const char *tier_scorer_input_name(const tier_scorer *s, size_t index)
{
    return (s && index < s->n_inputs) ? s->inputs[index] : NULL;
}

size_t tier_scorer_output_count(const tier_scorer *s) { return s ? s->n_outputs : 0; }

const char *tier_scorer_output_name(const tier_scorer *s, size_t index)
{
    return (s && index < s->n_outputs) ? s->full[index] : NULL;
}

int tier_scorer_output_type(tier_column_type *type, const tier_scorer *s, size_t index)
{
    if (!type || !s)
        return tier__error(TIER_EINVAL, "tier_scorer_output_type: NULL argument");
    if (index >= s->n_outputs)
        return tier__error(TIER_EINVAL, "scorer '%s' has %zu outputs; index %zu is out of range", s->name,
                           s->n_outputs, index);
    *type = s->types[index];
    return TIER_OK;
}

const char *tier_scorer_output_prefix(const tier_scorer *s) { return s ? s->prefix : NULL; }

int tier_scorer_set_output_prefix(tier_scorer *s, const char *prefix)
{
    if (!s)
        return tier__error(TIER_EINVAL, "tier_scorer_set_output_prefix: NULL scorer");
    return set_prefix(s, prefix);
}

/* ---- callbacks ------------------------------------------------------------------------------ */

void tier_scorer_set_error(const char *message)
{
    if (!message)
        tier_clear_error();
    else
        tier__error(TIER_ECALLBACK, "%.1000s", message);
}

/* Turns a failed user callback into TIER_ECALLBACK with its message. */
static int callback_failed(const tier_scorer *s, const char *callback, int rc)
{
    char msg[1024];
    const char *last = tier_last_error();
    if (*last)
        snprintf(msg, sizeof msg, "%s", last);
    else
        snprintf(msg, sizeof msg, "failed (returned %d) without a message", rc);
    return tier__error(TIER_ECALLBACK, "scorer '%s' %s: %s", s->name, callback, msg);
}

/* ---- output staging ------------------------------------------------------------------------- */

static void output_free(tier_scorer_output *o)
{
    if (!o)
        return;
    const tier__alloc *a = o->alloc;
    for (size_t i = 0; i < o->n_outputs; i++) {
        if (o->num)
            tier__free(a, o->num[i]);
        if (o->codes)
            tier__free(a, o->codes[i]);
        if (o->dict_block)
            tier__free(a, o->dict_block[i]);
    }
    tier__free(a, o->num);
    tier__free(a, o->codes);
    tier__free(a, o->dict);
    tier__free(a, o->n_dict);
    tier__free(a, o->dict_block);
    tier__free(a, o->written);
}

static int output_init(tier_scorer_output *o, const tier_scorer *s, size_t n_rows)
{
    memset(o, 0, sizeof *o);
    o->alloc = &s->alloc;
    o->n_rows = n_rows;
    o->n_outputs = s->n_outputs;
    o->types = s->types;
    size_t k = s->n_outputs;
    o->num = tier__calloc(o->alloc, k, sizeof *o->num);
    o->codes = tier__calloc(o->alloc, k, sizeof *o->codes);
    o->dict = tier__calloc(o->alloc, k, sizeof *o->dict);
    o->n_dict = tier__calloc(o->alloc, k, sizeof *o->n_dict);
    o->dict_block = tier__calloc(o->alloc, k, sizeof *o->dict_block);
    o->written = tier__calloc(o->alloc, k, 1);
    if (!o->num || !o->codes || !o->dict || !o->n_dict || !o->dict_block || !o->written) {
        output_free(o);
        return tier__oom();
    }
    return TIER_OK;
}

size_t tier__output_rows(const tier_scorer_output *out) { return out->n_rows; }

double *tier__output_numeric(tier_scorer_output *o, size_t index)
{
    if (!o->num[index]) {
        double *v = tier__calloc(o->alloc, o->n_rows ? o->n_rows : 1, sizeof *v);
        if (!v) {
            tier__oom();
            return NULL;
        }
        for (size_t r = 0; r < o->n_rows; r++)
            v[r] = (double)NAN;
        o->num[index] = v;
    }
    o->written[index] = 1;
    return o->num[index];
}

int32_t *tier__output_codes(tier_scorer_output *o, size_t index, const char *const *dictionary,
                            size_t n_categories)
{
    if (!o->codes[index]) {
        int32_t *c = tier__calloc(o->alloc, o->n_rows ? o->n_rows : 1, sizeof *c);
        if (!c) {
            tier__oom();
            return NULL;
        }
        for (size_t r = 0; r < o->n_rows; r++)
            c[r] = TIER_MISSING_CODE;
        o->codes[index] = c;
    }
    tier__free(o->alloc, o->dict_block[index]);
    o->dict_block[index] = NULL;
    o->dict[index] = dictionary;
    o->n_dict[index] = n_categories;
    o->written[index] = 1;
    return o->codes[index];
}

static int output_check(const tier_scorer_output *o, size_t index, tier_column_type want, const char *fn)
{
    if (!o)
        return tier__error(TIER_EINVAL, "%s: NULL output", fn);
    if (index >= o->n_outputs)
        return tier__error(TIER_EINVAL, "%s: output index %zu is out of range (0..%zu)", fn, index,
                           o->n_outputs - 1);
    if (o->types[index] != want)
        return tier__error(TIER_EINVAL, "%s: output %zu is %s", fn, index,
                           want == TIER_COLUMN_NUMERIC ? "categorical" : "numeric");
    return TIER_OK;
}

int tier_scorer_output_numeric(double **values, tier_scorer_output *out, size_t index)
{
    if (!values)
        return tier__error(TIER_EINVAL, "tier_scorer_output_numeric: NULL values");
    *values = NULL;
    int rc = output_check(out, index, TIER_COLUMN_NUMERIC, "tier_scorer_output_numeric");
    if (rc)
        return rc;
    *values = tier__output_numeric(out, index);
    return *values ? TIER_OK : TIER_ENOMEM;
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Copies a dictionary into one block: pointer array followed by the strings. */
static int copy_dictionary(void **block, const tier__alloc *a, const char *const *dict, size_t n)
{
    size_t bytes = n * sizeof(char *);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(dict[i]) + 1;
        if (bytes + len < bytes)
            return tier__oom();
        bytes += len;
    }
    char **ptrs = tier__malloc(a, bytes ? bytes : 1);
    if (!ptrs)
        return tier__oom();
    char *p = (char *)(ptrs + n);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(dict[i]) + 1;
        memcpy(p, dict[i], len);
        ptrs[i] = p;
        p += len;
    }
    *block = ptrs;
    return TIER_OK;
}

static int check_dictionary(const tier__alloc *a, const char *const *dict, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!dict[i])
            return tier__error(TIER_EINVAL, "tier_scorer_output_categorical: category %zu is NULL", i);
    if (n < 2)
        return TIER_OK;
    const char **sorted = tier__malloc(a, n * sizeof *sorted);
    if (!sorted)
        return tier__oom();
    memcpy(sorted, dict, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_str_ptr);
    int rc = TIER_OK;
    for (size_t i = 1; i < n && !rc; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0)
            rc = tier__error(TIER_EINVAL, "tier_scorer_output_categorical: category '%s' appears twice",
                             sorted[i]);
    tier__free(a, sorted);
    return rc;
}

int tier_scorer_output_categorical(tier_scorer_output *out, size_t index, const int32_t *codes,
                                   const char *const *dictionary, size_t n_categories)
{
    int rc = output_check(out, index, TIER_COLUMN_CATEGORICAL, "tier_scorer_output_categorical");
    if (rc)
        return rc;
    if ((!codes && out->n_rows) || (!dictionary && n_categories))
        return tier__error(TIER_EINVAL, "tier_scorer_output_categorical: NULL argument");
    if (n_categories > INT32_MAX)
        return tier__error(TIER_EINVAL, "tier_scorer_output_categorical: too many categories");
    for (size_t r = 0; r < out->n_rows; r++)
        if (codes[r] != TIER_MISSING_CODE && (codes[r] < 0 || (size_t)codes[r] >= n_categories))
            return tier__error(TIER_EINVAL,
                               "tier_scorer_output_categorical: row %zu has code %d, not -1 or 0..%zu",
                               r, (int)codes[r], n_categories);
    rc = check_dictionary(out->alloc, dictionary, n_categories);
    if (rc)
        return rc;
    void *block = NULL;
    rc = copy_dictionary(&block, out->alloc, dictionary, n_categories);
    if (rc)
        return rc;
    int32_t *dst = tier__output_codes(out, index, (const char *const *)block, n_categories);
    if (!dst) {
        tier__free(out->alloc, block);
        return TIER_ENOMEM;
    }
    out->dict_block[index] = block;
    if (out->n_rows)
        memcpy(dst, codes, out->n_rows * sizeof *dst);
    return TIER_OK;
}

/* Writes the staged outputs into ds under their prefixed names. */
static int output_commit(const tier_scorer *s, tier_scorer_output *o, tier_dataset *ds)
{
    for (size_t i = 0; i < s->n_outputs; i++)
        if (!o->written[i])
            return tier__error(s->kind ? TIER_ERROR : TIER_ECALLBACK,
                               "scorer '%s' apply: output '%s' was not written", s->name, s->outputs[i]);
    for (size_t i = 0; i < s->n_outputs; i++) {
        int rc;
        if (s->types[i] == TIER_COLUMN_NUMERIC)
            rc = tier_dataset_set_numeric(ds, s->full[i], o->num[i]);
        else
            rc = tier_dataset_set_categorical(ds, s->full[i], o->codes[i], o->dict[i], o->n_dict[i]);
        if (rc) {
            tier__error_prefix(s->name);
            return rc;
        }
    }
    return TIER_OK;
}

/* ---- fit / apply ---------------------------------------------------------------------------- */

static int check_inputs(const tier_scorer *s, const tier_dataset *ds)
{
    for (size_t i = 0; i < s->n_inputs; i++) {
        tier_column_type t;
        int rc = tier_dataset_column_type(&t, ds, s->inputs[i]);
        if (rc) {
            tier__error_prefix(s->name);
            return rc;
        }
    }
    return TIER_OK;
}

static int not_fitted(const tier_scorer *s)
{
    return tier__error(TIER_ENOTFITTED,
                       "scorer '%s' is not fitted: call tier_scorer_fit() or load a fitted model",
                       s->name);
}

int tier_scorer_fit(tier_scorer *s, const tier_dataset *ds)
{
    if (!s || !ds)
        return tier__error(TIER_EINVAL, "tier_scorer_fit: NULL argument");
    int rc = check_inputs(s, ds);
    if (rc)
        return rc;
    if (s->kind)
        return s->kind->fit(s->state, ds);
    if (!s->vt.fit)
        return TIER_OK;
    tier_clear_error();
    rc = s->vt.fit(s->user, ds);
    if (rc) {
        s->user_fitted = 0; /* the user state may be half-updated */
        return callback_failed(s, "fit", rc);
    }
    s->user_fitted = 1;
    return TIER_OK;
}

/* Runs the strategy's apply (or fit_apply when `fit` is set) into staged outputs, then commits. */
static int run(tier_scorer *mut, const tier_scorer *s, tier_dataset *ds, int fit)
{
    tier_scorer_output o;
    int rc = output_init(&o, s, tier_dataset_size(ds));
    if (rc)
        return rc;
    if (fit)
        rc = s->kind->fit_apply(mut->state, ds, &o);
    else if (s->kind)
        rc = s->kind->apply(s->state, ds, &o);
    else {
        tier_clear_error();
        rc = s->vt.apply(s->user, ds, &o);
        if (rc)
            rc = callback_failed(s, "apply", rc);
    }
    if (!rc)
        rc = output_commit(s, &o, ds);
    output_free(&o);
    return rc;
}

int tier_scorer_apply(const tier_scorer *s, tier_dataset *ds)
{
    if (!s || !ds)
        return tier__error(TIER_EINVAL, "tier_scorer_apply: NULL argument");
    if (!tier_scorer_is_fitted(s))
        return not_fitted(s);
    int rc = check_inputs(s, ds);
    if (rc)
        return rc;
    return run(NULL, s, ds, 0);
}

int tier_scorer_fit_apply(tier_scorer *s, tier_dataset *ds)
{
    if (!s || !ds)
        return tier__error(TIER_EINVAL, "tier_scorer_fit_apply: NULL argument");
    if (s->kind && s->kind->fit_apply) {
        int rc = check_inputs(s, ds);
        return rc ? rc : run(s, s, ds, 1);
    }
    int rc = tier_scorer_fit(s, ds);
    return rc ? rc : tier_scorer_apply(s, ds);
}

/* ---- model files ---------------------------------------------------------------------------- */

int tier_scorer_write(tier_scorer_writer *w, const void *data, size_t size)
{
    if (!w || (!data && size))
        return tier__error(TIER_EINVAL, "tier_scorer_write: NULL argument");
    tier__wbuf_bytes(&w->buf, data, size);
    return w->buf.failed ? tier__oom() : TIER_OK;
}

static void write_header(const tier_scorer *s, tier__wbuf *w, uint8_t type, uint32_t state_version)
{
    tier__wbuf_u8(w, type);
    tier__wbuf_str(w, s->name);
    tier__wbuf_u32(w, state_version);
    tier__wbuf_str(w, s->prefix);
    tier__wbuf_u32(w, (uint32_t)s->n_inputs);
    for (size_t i = 0; i < s->n_inputs; i++)
        tier__wbuf_str(w, s->inputs[i]);
    tier__wbuf_u32(w, (uint32_t)s->n_outputs);
    for (size_t i = 0; i < s->n_outputs; i++) {
        tier__wbuf_str(w, s->outputs[i]);
        tier__wbuf_u8(w, (uint8_t)s->types[i]);
    }
}

static int save_custom_state(const tier_scorer *s, tier__wbuf *w)
{
    if (!s->vt.save)
        return tier__error(TIER_ECALLBACK, "scorer '%s' has no save callback: it cannot be saved", s->name);
    tier_scorer_writer sw;
    tier__wbuf_init(&sw.buf, &s->alloc);
    tier_clear_error();
    int rc = s->vt.save(s->user, &sw);
    if (rc)
        rc = callback_failed(s, "save", rc);
    else if (sw.buf.failed)
        rc = tier__oom();
    if (!rc) {
        tier__wbuf_u64(w, (uint64_t)sw.buf.len);
        tier__wbuf_bytes(w, sw.buf.data, sw.buf.len);
    }
    tier__wbuf_free(&sw.buf);
    return rc;
}

int tier_scorer_save(const tier_scorer *s, const char *path)
{
    if (!s || !path)
        return tier__error(TIER_EINVAL, "tier_scorer_save: NULL argument");
    if (!tier_scorer_is_fitted(s))
        return not_fitted(s);
    tier__wbuf w;
    tier__wbuf_init(&w, &s->alloc);
    int rc = TIER_OK;
    if (s->kind) {
        write_header(s, &w, KIND_BUILTIN, s->kind->state_version);
        s->kind->save(s->state, &w);
    } else {
        write_header(s, &w, KIND_CUSTOM, 0);
        rc = save_custom_state(s, &w);
    }
    if (!rc)
        rc = tier__file_write(path, MODEL_MAGIC, MODEL_VERSION, &w);
    tier__wbuf_free(&w);
    return rc;
}

/* The header of a model file, pointing into the payload. */
typedef struct model_header {
    uint8_t type;
    const char *name;
    uint32_t state_version;
    const char *prefix;
    uint32_t n_inputs, n_outputs;
    const char *inputs[MAX_COLUMNS];
    const char *outputs[MAX_COLUMNS];
    tier_column_type types[MAX_COLUMNS];
} model_header;

static int corrupt(const char *path, const char *what)
{
    return tier__error(TIER_ECORRUPT, "%s: not a valid model file (%s)", path, what);
}

static int read_header(model_header *h, tier__rbuf *r, const char *path)
{
    h->type = tier__rbuf_u8(r);
    h->name = tier__rbuf_str(r);
    h->state_version = tier__rbuf_u32(r);
    h->prefix = tier__rbuf_str(r);
    h->n_inputs = tier__rbuf_u32(r);
    if (r->failed || h->n_inputs > MAX_COLUMNS)
        return corrupt(path, "bad header");
    for (uint32_t i = 0; i < h->n_inputs; i++)
        h->inputs[i] = tier__rbuf_str(r);
    h->n_outputs = tier__rbuf_u32(r);
    if (r->failed || h->n_outputs > MAX_COLUMNS)
        return corrupt(path, "bad column list");
    for (uint32_t i = 0; i < h->n_outputs; i++) {
        h->outputs[i] = tier__rbuf_str(r);
        h->types[i] = (tier_column_type)tier__rbuf_u8(r);
    }
    if (r->failed || !h->name || !h->prefix || (h->type != KIND_BUILTIN && h->type != KIND_CUSTOM))
        return corrupt(path, "bad header");
    for (uint32_t i = 0; i < h->n_inputs; i++)
        if (!h->inputs[i])
            return corrupt(path, "bad input name");
    for (uint32_t i = 0; i < h->n_outputs; i++)
        if (!h->outputs[i])
            return corrupt(path, "bad output name");
    return TIER_OK;
}

/* Reads and verifies the file; on success *payload is owned by the caller and h/r point into it. */
static int open_model(unsigned char **payload, model_header *h, tier__rbuf *r, const tier__alloc *a,
                      const char *path)
{
    size_t len;
    uint32_t version;
    int rc = tier__file_read(payload, &len, &version, a, path, MODEL_MAGIC, MODEL_VERSION);
    if (rc)
        return rc;
    tier__rbuf_init(r, *payload, len);
    rc = read_header(h, r, path);
    if (rc) {
        tier__free(a, *payload);
        *payload = NULL;
    }
    return rc;
}

/* Checks that the columns recorded in the file are the scorer's. */
static int same_columns(const tier_scorer *s, const model_header *h, const char *path, int status)
{
    int same = h->n_inputs == s->n_inputs && h->n_outputs == s->n_outputs;
    for (size_t i = 0; same && i < s->n_inputs; i++)
        same = strcmp(h->inputs[i], s->inputs[i]) == 0;
    for (size_t i = 0; same && i < s->n_outputs; i++)
        same = strcmp(h->outputs[i], s->outputs[i]) == 0 && h->types[i] == s->types[i];
    if (!same)
        return tier__error(status, "%s: the model's input or output columns differ from scorer '%s''s",
                           path, s->name);
    return TIER_OK;
}

static const char *known_kinds(char *buf, size_t size)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < N_BUILTIN && at < size; i++)
        at += (size_t)snprintf(buf + at, size - at, "%s%s", i ? ", " : "", builtin_kinds[i]->name);
    return buf;
}

static int load_builtin(tier_scorer **out, const model_header *h, tier__rbuf *r, const tier__alloc *a,
                        const char *path, const tier_scorer_options *opts)
{
    char kinds[256];
    if (h->type == KIND_CUSTOM)
        return tier__error(TIER_ENOTFOUND,
                           "%s: model of the user-defined scorer '%s': load it with "
                           "tier_scorer_load_custom()",
                           path, h->name);
    const tier__scorer_kind *kind = tier__scorer_find_kind(h->name);
    if (!kind)
        return tier__error(TIER_ENOTFOUND, "%s: unknown scorer kind '%s' (this libtier knows: %s)", path,
                           h->name, known_kinds(kinds, sizeof kinds));
    if (h->state_version < 1 || h->state_version > kind->state_version)
        return tier__error(TIER_EVERSION, "%s: '%s' model state version %u is not 1..%u (a newer libtier?)",
                           path, h->name, h->state_version, kind->state_version);
    void *state = NULL;
    int rc = kind->load(&state, a, r, h->state_version, path);
    if (rc)
        return rc;
    rc = tier__rbuf_finish(r, path);
    if (rc) {
        kind->free(state, a);
        return rc;
    }
    tier_scorer *s = NULL;
    rc = tier__scorer_new(&s, kind, state, a, opts && opts->output_prefix ? opts->output_prefix : h->prefix);
    if (!rc)
        rc = same_columns(s, h, path, TIER_ECORRUPT);
    if (rc) {
        tier_scorer_free(s);
        return rc;
    }
    *out = s;
    return TIER_OK;
}

int tier_scorer_load(tier_scorer **out, const char *path, const tier_scorer_options *opts)
{
    if (!out || !path)
        return tier__error(TIER_EINVAL, "tier_scorer_load: NULL argument");
    *out = NULL;
    int rc = check_options(opts);
    if (rc)
        return rc;
    tier__alloc a;
    rc = tier__alloc_init(&a, opts ? opts->allocator : NULL);
    if (rc)
        return rc;
    model_header *h = tier__malloc(&a, sizeof *h);
    if (!h)
        return tier__oom();
    unsigned char *payload = NULL;
    tier__rbuf r;
    rc = open_model(&payload, h, &r, &a, path);
    if (!rc)
        rc = load_builtin(out, h, &r, &a, path, opts);
    tier__free(&a, payload);
    tier__free(&a, h);
    return rc;
}

/* Restores a user-defined model. *consumed tells whether `user` now belongs to a scorer (which
 * was freed on failure, destroying it) or is still the caller's to destroy. */
static int load_custom(tier_scorer **out, int *consumed, const model_header *h, tier__rbuf *r,
                       const char *path, const tier_scorer_vtable *vt, void *user,
                       const tier_scorer_options *opts)
{
    *consumed = 0;
    if (h->type != KIND_CUSTOM)
        return tier__error(TIER_ENOTFOUND,
                           "%s: model of the built-in strategy '%s': load it with tier_scorer_load()",
                           path, h->name);
    if (strcmp(h->name, vt->name) != 0)
        return tier__error(TIER_ENOTFOUND, "%s: model of scorer '%s', not '%s'", path, h->name, vt->name);
    if (!vt->load)
        return tier__error(TIER_EINVAL, "scorer '%s' has no load callback", vt->name);
    uint64_t size = tier__rbuf_count(r, 1);
    if (r->failed)
        return corrupt(path, "bad state length");
    const unsigned char *data = r->data + r->pos;
    r->pos += (size_t)size;
    int rc = tier__rbuf_finish(r, path);
    if (rc)
        return rc;
    tier_scorer_options o = TIER_SCORER_OPTIONS_INIT;
    if (opts)
        o.allocator = opts->allocator;
    o.output_prefix = (opts && opts->output_prefix) ? opts->output_prefix : h->prefix;
    tier_scorer *s = NULL;
    rc = new_custom(&s, vt, user, &o);
    if (rc)
        return rc;
    *consumed = 1;
    rc = same_columns(s, h, path, TIER_ENOTFOUND);
    if (!rc) {
        tier_clear_error();
        int cb = vt->load(s->user, data, (size_t)size);
        if (cb)
            rc = callback_failed(s, "load", cb);
    }
    if (rc) {
        tier_scorer_free(s); /* destroys user */
        return rc;
    }
    s->user_fitted = 1;
    *out = s;
    return TIER_OK;
}

int tier_scorer_load_custom(tier_scorer **out, const char *path, const tier_scorer_vtable *vtable,
                            void *user, const tier_scorer_options *opts)
{
    tier_scorer *s = NULL;
    int consumed = 0;
    int rc = TIER_OK;
    if (!out || !path)
        rc = tier__error(TIER_EINVAL, "tier_scorer_load_custom: NULL argument");
    if (!rc)
        rc = check_options(opts);
    if (!rc)
        rc = check_vtable(vtable);
    tier__alloc a;
    if (!rc)
        rc = tier__alloc_init(&a, opts ? opts->allocator : NULL);
    if (!rc) {
        model_header *h = tier__malloc(&a, sizeof *h);
        unsigned char *payload = NULL;
        tier__rbuf r;
        rc = h ? open_model(&payload, h, &r, &a, path) : tier__oom();
        if (!rc)
            rc = load_custom(&s, &consumed, h, &r, path, vtable, user, opts);
        tier__free(&a, payload);
        tier__free(&a, h);
    }
    if (rc && !consumed && vtable && vtable->destroy && user)
        vtable->destroy(user); /* ownership passed to us in every case */
    if (out)
        *out = s;
    return rc;
}

int tier_scorer_file_kind(char *kind, size_t size, int *is_custom, const char *path)
{
    if (!kind || !path || size == 0)
        return tier__error(TIER_EINVAL, "tier_scorer_file_kind: NULL argument");
    kind[0] = '\0';
    tier__alloc a;
    tier__alloc_init(&a, NULL);
    model_header *h = tier__malloc(&a, sizeof *h);
    if (!h)
        return tier__oom();
    unsigned char *payload = NULL;
    tier__rbuf r;
    int rc = open_model(&payload, h, &r, &a, path);
    if (!rc) {
        if (strlen(h->name) >= size)
            rc = tier__error(TIER_EINVAL, "tier_scorer_file_kind: buffer of %zu bytes is too small for '%s'",
                             size, h->name);
        else {
            strcpy(kind, h->name);
            if (is_custom)
                *is_custom = h->type == KIND_CUSTOM;
        }
    }
    tier__free(&a, payload);
    tier__free(&a, h);
    return rc;
}
