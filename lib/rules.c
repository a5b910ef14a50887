/* tier_rules: compiling rule-set text and reading the compiled rule set. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal/error.h"
#include "internal/rules.h"

int tier_rules_options_init(tier_rules_options *opts, unsigned int version)
{
    if (!opts)
        return tier__error(TIER_EINVAL, "tier_rules_options_init: opts is NULL");
    if (version < 1 || version > TIER_RULES_OPTIONS_VERSION)
        return tier__error(TIER_EVERSION, "tier_rules_options_init: unknown version %u (this "
                           "library knows 1..%d)", version, TIER_RULES_OPTIONS_VERSION);
    tier_rules_options d = TIER_RULES_OPTIONS_INIT;
    d.version = version;
    *opts = d;
    return TIER_OK;
}

void tier__rules_destroy(tier_rules *r)
{
    if (!r)
        return;
    tier__alloc a = r->alloc;
    for (size_t i = 0; i < r->n_tiers; i++) {
        tier__free(&a, r->tiers[i].name);
        tier__free(&a, r->tiers[i].label);
    }
    for (size_t i = 0; i < r->n_cols; i++)
        tier__free(&a, r->cols[i].name);
    for (size_t i = 0; i < r->n_strs; i++)
        tier__free(&a, r->strs[i]);
    for (size_t i = 0; i < r->n_pins; i++)
        tier__free(&a, r->pins[i].customer);
    tier__free(&a, r->tiers);
    tier__free(&a, r->cols);
    tier__free(&a, r->strs);
    tier__free(&a, r->pins);
    tier__free(&a, r->code);
    tier__free(&a, r->progs);
    tier__free(&a, r->consts);
    tier__free(&a, r->set_items);
    tier__free(&a, r->source_name);
    tier__free(&a, r);
}

void tier_rules_free(tier_rules *rules) { tier__rules_destroy(rules); }

int tier_rules_compile(tier_rules **out, const char *text, size_t len, const char *source_name,
                       const tier_rules_options *opts)
{
    if (out)
        *out = NULL;
    if (!out || (!text && len > 0))
        return tier__error(TIER_EINVAL, "tier_rules_compile: %s is NULL", out ? "text" : "out");
    if (opts && (opts->version < 1 || opts->version > TIER_RULES_OPTIONS_VERSION))
        return tier__error(TIER_EVERSION, "tier_rules_compile: unknown options version %u",
                           opts->version);
    tier__alloc alloc;
    int status = tier__alloc_init(&alloc, opts ? opts->allocator : NULL);
    if (status)
        return status;
    tier_rules *r = tier__calloc(&alloc, 1, sizeof *r);
    if (!r)
        return tier__oom();
    r->alloc = alloc;
    r->source_name = tier__strdup(&alloc, source_name ? source_name : "rules");
    if (!r->source_name) {
        tier__free(&alloc, r);
        return tier__oom();
    }
    status = tier__rules_parse(r, text ? text : "", len);
    if (status == TIER_OK && opts && opts->dataset)
        status = tier__rules_bind_check(r, opts->dataset, 1);
    if (status) {
        tier__rules_destroy(r);
        return status;
    }
    *out = r;
    return TIER_OK;
}

int tier_rules_load(tier_rules **out, const char *path, const tier_rules_options *opts)
{
    if (out)
        *out = NULL;
    if (!out || !path)
        return tier__error(TIER_EINVAL, "tier_rules_load: %s is NULL", out ? "path" : "out");
    tier__alloc alloc;
    int status = tier__alloc_init(&alloc, opts ? opts->allocator : NULL);
    if (status)
        return status;
    FILE *f = fopen(path, "rb");
    if (!f)
        return tier__error(errno == ENOENT ? TIER_ENOTFOUND : TIER_EIO, "%s: cannot open: %s",
                           path, strerror(errno));
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (tier__grow(&alloc, (void **)&text, &cap, len + 65536, 1)) {
            status = TIER_ENOMEM;
            break;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                status = tier__error(TIER_EIO, "%s: read error: %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (status == TIER_OK)
        status = tier_rules_compile(out, text, len, path, opts);
    tier__free(&alloc, text);
    return status;
}

size_t tier_rules_tier_count(const tier_rules *rules) { return rules ? rules->n_tiers : 0; }

const char *tier_rules_tier_name(const tier_rules *rules, size_t index)
{
    return rules && index < rules->n_tiers ? rules->tiers[index].name : NULL;
}

const char *tier_rules_tier_label(const tier_rules *rules, size_t index)
{
    if (!rules || index >= rules->n_tiers)
        return NULL;
    return rules->tiers[index].label ? rules->tiers[index].label : rules->tiers[index].name;
}

int tier_rules_tier_index(size_t *index, const tier_rules *rules, const char *name)
{
    if (!index || !rules || !name)
        return tier__error(TIER_EINVAL, "tier_rules_tier_index: NULL argument");
    const char **names = tier__malloc(&rules->alloc, (rules->n_tiers + 1) * sizeof *names);
    if (!names)
        return tier__oom();
    long found = -1;
    for (size_t i = 0; i < rules->n_tiers; i++) {
        names[i] = rules->tiers[i].name;
        if (found < 0 && strcmp(names[i], name) == 0)
            found = (long)i;
    }
    int status = TIER_OK;
    if (found >= 0) {
        *index = (size_t)found;
    } else {
        long c = tier__closest(name, names, rules->n_tiers);
        status = tier__error(TIER_ENOTFOUND, "%s: unknown tier '%s'%s%s%s", rules->source_name,
                             name, c >= 0 ? " (did you mean '" : "", c >= 0 ? names[c] : "",
                             c >= 0 ? "'?)" : "");
    }
    tier__free(&rules->alloc, names);
    return status;
}

int tier_rules_tier_has_retain(const tier_rules *rules, size_t index)
{
    return rules && index < rules->n_tiers && rules->tiers[index].retain >= 0;
}

size_t tier_rules_column_count(const tier_rules *rules) { return rules ? rules->n_cols : 0; }

const char *tier_rules_column_name(const tier_rules *rules, size_t index)
{
    return rules && index < rules->n_cols ? rules->cols[index].name : NULL;
}

const char *tier_rules_source_name(const tier_rules *rules)
{
    return rules ? rules->source_name : "";
}

unsigned int tier_rules_policy_value(const tier_rules *rules, tier_rules_policy which)
{
    if (!rules)
        return 0;
    switch (which) {
    case TIER_POLICY_GRACE: return rules->grace;
    case TIER_POLICY_MAX_DOWNGRADE: return rules->max_downgrade;
    default: return 0;
    }
}

size_t tier_rules_pin_count(const tier_rules *rules) { return rules ? rules->n_pins : 0; }

int tier_rules_pin(const char **customer_id, size_t *tier, int64_t *until,
                   const tier_rules *rules, size_t index)
{
    if (!rules || index >= rules->n_pins)
        return tier__error(TIER_EINVAL, "tier_rules_pin: index %zu out of range", index);
    if (customer_id)
        *customer_id = rules->pins[index].customer;
    if (tier)
        *tier = rules->pins[index].tier;
    if (until)
        *until = rules->pins[index].until;
    return TIER_OK;
}

int tier_rules_check(const tier_rules *rules, const tier_dataset *ds)
{
    if (!rules || !ds)
        return tier__error(TIER_EINVAL, "tier_rules_check: NULL argument");
    return tier__rules_bind_check(rules, ds, 0);
}

int tier_rules_evaluate(int32_t *tiers, const tier_rules *rules, const tier_dataset *ds)
{
    if (!rules || !ds || (!tiers && tier_dataset_size(ds) > 0))
        return tier__error(TIER_EINVAL, "tier_rules_evaluate: NULL argument");
    return tier__rules_run(rules, ds, tiers, NULL, NULL);
}
