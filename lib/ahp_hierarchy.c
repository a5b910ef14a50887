/* AHP hierarchies: a tree of named criteria whose inner nodes carry a comparison matrix of
 * their children (or explicit weights). Local weights come from each node's matrix; global
 * weights are products along the path from the goal. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal/ahp.h"
#include "internal/error.h"

#define NO_PARENT ((size_t)-1)

typedef struct hnode {
    char *name;
    size_t parent, depth;
    size_t n_children;
    size_t children[TIER__AHP_N];
    tier_ahp *judgments;          /* owned copy, or NULL */
    size_t crit[TIER__AHP_N];     /* child k is criterion crit[k] of judgments */
    size_t n_explicit;            /* > 0: explicit weights given for that many children */
    double explicit_w[TIER__AHP_N];
    double local, global;
} hnode;

struct tier_ahp_hierarchy {
    tier__alloc alloc;
    hnode *nodes;
    size_t n, cap;
    size_t *leaves;               /* depth-first order; n_leaves entries */
    size_t n_leaves;
    int computed;
};

int tier_ahp_hierarchy_new(tier_ahp_hierarchy **out, const char *goal,
                           const tier_ahp_options *opts)
{
    if (!out)
        return tier__error(TIER_EINVAL, "tier_ahp_hierarchy_new: out is NULL");
    *out = NULL;
    tier_ahp_options o;
    int rc;
    if ((rc = tier__ahp_resolve_options(&o, opts)) ||
        (rc = tier__ahp_check_name(goal, "goal name")))
        return rc;
    tier__alloc a;
    if ((rc = tier__alloc_init(&a, opts ? opts->allocator : NULL)))
        return rc;
    tier_ahp_hierarchy *h = tier__calloc(&a, 1, sizeof *h);
    if (!h)
        return tier__oom();
    h->alloc = a;
    h->cap = 8;
    h->nodes = tier__calloc(&a, h->cap, sizeof *h->nodes);
    h->leaves = tier__calloc(&a, h->cap, sizeof *h->leaves);
    if (!h->nodes || !h->leaves || !(h->nodes[0].name = tier__strdup(&a, goal))) {
        tier_ahp_hierarchy_free(h);
        return tier__oom();
    }
    h->nodes[0].parent = NO_PARENT;
    h->n = 1;
    *out = h;
    return TIER_OK;
}

void tier_ahp_hierarchy_free(tier_ahp_hierarchy *h)
{
    if (!h)
        return;
    tier__alloc a = h->alloc;
    for (size_t i = 0; i < h->n; i++) {
        tier__free(&a, h->nodes[i].name);
        tier_ahp_free(h->nodes[i].judgments);
    }
    tier__free(&a, h->nodes);
    tier__free(&a, h->leaves);
    tier__free(&a, h);
}

static long lookup(const tier_ahp_hierarchy *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->nodes[i].name, name) == 0)
            return (long)i;
    return -1;
}

static int not_found(const tier_ahp_hierarchy *h, const char *name)
{
    const char *cand[64];
    size_t k = 0;
    long best = -1;
    /* Suggest among the nodes in batches of 64 (hierarchies are small; keep the first hit). */
    for (size_t base = 0; base < h->n && best < 0; base += k) {
        k = h->n - base < 64 ? h->n - base : 64;
        for (size_t i = 0; i < k; i++)
            cand[i] = h->nodes[base + i].name;
        long c = tier__closest(name, cand, k);
        if (c >= 0)
            best = (long)base + c;
    }
    if (best >= 0)
        return tier__error(TIER_ENOTFOUND, "unknown node '%s' (did you mean '%s'?)", name,
                           h->nodes[best].name);
    return tier__error(TIER_ENOTFOUND, "unknown node '%s'", name);
}

int tier_ahp_hierarchy_find(size_t *index, const tier_ahp_hierarchy *h, const char *name)
{
    if (!index || !h || !name)
        return tier__error(TIER_EINVAL, "tier_ahp_hierarchy_find: NULL argument");
    long i = lookup(h, name);
    if (i < 0)
        return not_found(h, name);
    *index = (size_t)i;
    return TIER_OK;
}

/* Rebuilds the depth-first leaf list (children in order of addition), walking the tree
 * iteratively through parent links. */
static void rebuild_leaves(tier_ahp_hierarchy *h)
{
    h->n_leaves = 0;
    size_t node = 0;
    for (;;) {
        const hnode *nd = &h->nodes[node];
        if (nd->n_children > 0) {
            node = nd->children[0];
            continue;
        }
        if (node != 0)
            h->leaves[h->n_leaves++] = node;
        for (;;) { /* climb to the nearest ancestor with a next child */
            if (node == 0)
                return;
            size_t p = h->nodes[node].parent, pos = 0;
            while (h->nodes[p].children[pos] != node)
                pos++;
            if (pos + 1 < h->nodes[p].n_children) {
                node = h->nodes[p].children[pos + 1];
                break;
            }
            node = p;
        }
    }
}

int tier_ahp_hierarchy_add(size_t *index, tier_ahp_hierarchy *h, const char *parent,
                           const char *name)
{
    if (!h)
        return tier__error(TIER_EINVAL, "tier_ahp_hierarchy_add: h is NULL");
    int rc = tier__ahp_check_name(name, "node name");
    if (rc)
        return rc;
    size_t p = 0;
    if (parent && (rc = tier_ahp_hierarchy_find(&p, h, parent)))
        return rc;
    if (lookup(h, name) >= 0)
        return tier__error(TIER_EEXISTS, "node '%s' already exists (names are unique in the "
                           "whole hierarchy)", name);
    if (h->nodes[p].n_children == TIER__AHP_N)
        return tier__error(TIER_EINVAL, "node '%s' already has %d children (the most one "
                           "comparison matrix can compare)", h->nodes[p].name, TIER__AHP_N);
    if (h->n == h->cap) {
        size_t cap = h->cap, cap2 = h->cap;
        void *nodes = h->nodes, *leaves = h->leaves;
        if ((rc = tier__grow(&h->alloc, &nodes, &cap, h->n + 1, sizeof *h->nodes)))
            return rc;
        h->nodes = nodes;
        if ((rc = tier__grow(&h->alloc, &leaves, &cap2, h->n + 1, sizeof *h->leaves)))
            return rc; /* nodes grew, leaves not: cap stays, next add retries */
        h->leaves = leaves;
        h->cap = cap < cap2 ? cap : cap2;
    }
    hnode *nd = &h->nodes[h->n];
    memset(nd, 0, sizeof *nd);
    if (!(nd->name = tier__strdup(&h->alloc, name)))
        return tier__oom();
    nd->parent = p;
    nd->depth = h->nodes[p].depth + 1;
    h->nodes[p].children[h->nodes[p].n_children++] = h->n;
    if (index)
        *index = h->n;
    h->n++;
    h->computed = 0;
    rebuild_leaves(h);
    return TIER_OK;
}

int tier_ahp_hierarchy_set_judgments(tier_ahp_hierarchy *h, const char *node,
                                     const tier_ahp *judgments)
{
    size_t i;
    int rc;
    if (!h || !judgments)
        return tier__error(TIER_EINVAL, "tier_ahp_hierarchy_set_judgments: NULL argument");
    if ((rc = tier_ahp_hierarchy_find(&i, h, node)))
        return rc;
    hnode *nd = &h->nodes[i];
    if (judgments->n != nd->n_children)
        return tier__error(TIER_EINVAL, "judgments for node '%s' compare %zu criteria but it has "
                           "%zu children", nd->name, judgments->n, nd->n_children);
    size_t crit[TIER__AHP_N];
    for (size_t k = 0; k < nd->n_children; k++) {
        const char *cn = h->nodes[nd->children[k]].name;
        size_t c = judgments->n;
        for (size_t j = 0; j < judgments->n; j++)
            if (strcmp(judgments->names[j], cn) == 0)
                c = j;
        if (c == judgments->n)
            return tier__error(TIER_EINVAL, "judgments for node '%s' do not compare its child "
                               "'%s' (criteria must be exactly the children)", nd->name, cn);
        crit[k] = c;
    }
    tier_ahp *copy;
    if ((rc = tier_ahp_copy(&copy, judgments)))
        return rc;
    tier_ahp_free(nd->judgments);
    nd->judgments = copy;
    memcpy(nd->crit, crit, sizeof crit);
    nd->n_explicit = 0;
    h->computed = 0;
    return TIER_OK;
}

int tier_ahp_hierarchy_set_weights(tier_ahp_hierarchy *h, const char *node, const double *weights)
{
    size_t i;
    int rc;
    if (!h || !weights)
        return tier__error(TIER_EINVAL, "tier_ahp_hierarchy_set_weights: NULL argument");
    if ((rc = tier_ahp_hierarchy_find(&i, h, node)))
        return rc;
    hnode *nd = &h->nodes[i];
    if (nd->n_children == 0)
        return tier__error(TIER_EINVAL, "node '%s' has no children to weigh", nd->name);
    double sum = 0;
    for (size_t k = 0; k < nd->n_children; k++) {
        if (!isfinite(weights[k]) || weights[k] < 0)
            return tier__error(TIER_EINVAL, "weight %zu of node '%s' (child '%s') is %g: weights "
                               "must be finite and >= 0", k, nd->name,
                               h->nodes[nd->children[k]].name, weights[k]);
        sum += weights[k];
    }
    if (!(sum > 0))
        return tier__error(TIER_EINVAL, "weights of node '%s' sum to 0", nd->name);
    for (size_t k = 0; k < nd->n_children; k++)
        nd->explicit_w[k] = weights[k] / sum;
    nd->n_explicit = nd->n_children;
    tier_ahp_free(nd->judgments);
    nd->judgments = NULL;
    h->computed = 0;
    return TIER_OK;
}

/* Local weights of one node's children. Appends the node to `bad` (a message buffer) if its
 * judgments are inconsistent. */
static int local_weights(tier_ahp_hierarchy *h, hnode *nd, char *bad, size_t bad_size)
{
    size_t m = nd->n_children;
    if (m == 0)
        return TIER_OK;
    if (nd->judgments) {
        if (nd->judgments->n != m)
            return tier__error(TIER_EINVAL, "judgments for node '%s' compare %zu criteria but it "
                               "now has %zu children", nd->name, nd->judgments->n, m);
        int rc = tier_ahp_compute(nd->judgments);
        if (rc == TIER_EINCONSISTENT) {
            size_t len = strlen(bad);
            snprintf(bad + len, bad_size - len, "%s'%s' (CR %.3f > %g)", len ? ", " : "",
                     nd->name, nd->judgments->cr, nd->judgments->opts.cr_limit);
        } else if (rc) {
            tier__error_prefix(nd->name);
            return rc;
        }
        for (size_t k = 0; k < m; k++)
            h->nodes[nd->children[k]].local = nd->judgments->w[nd->crit[k]];
    } else if (nd->n_explicit) {
        if (nd->n_explicit != m)
            return tier__error(TIER_EINVAL, "node '%s' has weights for %zu children but now has "
                               "%zu", nd->name, nd->n_explicit, m);
        for (size_t k = 0; k < m; k++)
            h->nodes[nd->children[k]].local = nd->explicit_w[k];
    } else if (m == 1) {
        h->nodes[nd->children[0]].local = 1;
    } else {
        return tier__error(TIER_EINVAL, "node '%s' has %zu children but neither judgments nor "
                           "weights (tier_ahp_hierarchy_set_judgments())", nd->name, m);
    }
    return TIER_OK;
}

int tier_ahp_hierarchy_compute(tier_ahp_hierarchy *h)
{
    if (!h)
        return tier__error(TIER_EINVAL, "tier_ahp_hierarchy_compute: h is NULL");
    char bad[640] = "";
    h->computed = 0;
    h->nodes[0].local = h->nodes[0].global = 1;
    for (size_t i = 0; i < h->n; i++) {
        int rc = local_weights(h, &h->nodes[i], bad, sizeof bad);
        if (rc)
            return rc;
    }
    /* Parents are always added before their children, so one forward pass suffices. */
    for (size_t i = 1; i < h->n; i++)
        h->nodes[i].global = h->nodes[h->nodes[i].parent].global * h->nodes[i].local;
    h->computed = 1;
    if (bad[0])
        return tier__error(TIER_EINCONSISTENT, "judgments of %s exceed their consistency limit "
                           "(all weights are computed all the same)", bad);
    return TIER_OK;
}

size_t tier_ahp_hierarchy_node_count(const tier_ahp_hierarchy *h) { return h ? h->n : 0; }

const char *tier_ahp_hierarchy_node_name(const tier_ahp_hierarchy *h, size_t index)
{
    return (h && index < h->n) ? h->nodes[index].name : NULL;
}

int tier_ahp_hierarchy_parent(size_t *parent, const tier_ahp_hierarchy *h, size_t index)
{
    if (!parent || !h || index >= h->n)
        return tier__error(TIER_EINVAL, "tier_ahp_hierarchy_parent: bad argument");
    if (index == 0)
        return tier__error(TIER_ENOTFOUND, "the goal '%s' has no parent", h->nodes[0].name);
    *parent = h->nodes[index].parent;
    return TIER_OK;
}

size_t tier_ahp_hierarchy_child_count(const tier_ahp_hierarchy *h, size_t index)
{
    return (h && index < h->n) ? h->nodes[index].n_children : 0;
}

int tier_ahp_hierarchy_child(size_t *child, const tier_ahp_hierarchy *h, size_t index, size_t k)
{
    if (!child || !h || index >= h->n || k >= h->nodes[index].n_children)
        return tier__error(TIER_EINVAL, "tier_ahp_hierarchy_child: bad argument");
    *child = h->nodes[index].children[k];
    return TIER_OK;
}

size_t tier_ahp_hierarchy_depth(const tier_ahp_hierarchy *h, size_t index)
{
    return (h && index < h->n) ? h->nodes[index].depth : 0;
}

double tier_ahp_hierarchy_local_weight(const tier_ahp_hierarchy *h, size_t index)
{
    return (h && h->computed && index < h->n) ? h->nodes[index].local : NAN;
}

double tier_ahp_hierarchy_global_weight(const tier_ahp_hierarchy *h, size_t index)
{
    return (h && h->computed && index < h->n) ? h->nodes[index].global : NAN;
}

const tier_ahp *tier_ahp_hierarchy_judgments(const tier_ahp_hierarchy *h, size_t index)
{
    return (h && index < h->n) ? h->nodes[index].judgments : NULL;
}

size_t tier_ahp_hierarchy_leaf_count(const tier_ahp_hierarchy *h) { return h ? h->n_leaves : 0; }

int tier_ahp_hierarchy_leaf(size_t *index, const tier_ahp_hierarchy *h, size_t k)
{
    if (!index || !h || k >= h->n_leaves)
        return tier__error(TIER_EINVAL, "tier_ahp_hierarchy_leaf: bad argument");
    *index = h->leaves[k];
    return TIER_OK;
}
