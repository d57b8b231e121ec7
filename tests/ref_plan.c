/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ref_plan: the reference model of plan building.  See ref_plan.h.
 *
 * Every rule is a direct reading of the specification, checked over all
 * functions or all pairs of them:
 *
 *  - the policy must clear Bus Master and may not set decode or Bus Master;
 *  - each function's flags and, for a bridge, its bus numbers are valid;
 *  - no function is listed twice;
 *  - within a segment, two bridges' bus ranges are disjoint or one lies
 *    strictly inside the other, and the innermost bridge whose range holds
 *    a bridge's own bus is the innermost one whose range holds its range
 *    (a bridge sits below the bridges that enclose its buses);
 *  - a function's parent is the innermost bridge whose range holds its bus;
 *  - a preserved function keeps itself and all its ancestors out of the
 *    plan (unless the policy ignores preservation);
 *  - the plan lists the other functions by depth, bridges before endpoints
 *    at the same depth, else in input order -- or simply in input order.
 */
#include <stdbool.h>

#include "ref_plan.h"

#define NONE (-1)

static bool is_bridge(const struct pcidc_func *f)
{
    return f->flags & PCIDC_FUNC_BRIDGE;
}

static unsigned int bus_of(const struct pcidc_func *f)
{
    return PCIDC_SBDF_BUS(f->sbdf);
}

static bool same_segment(const struct pcidc_func *a,
                         const struct pcidc_func *b)
{
    return PCIDC_SBDF_SEG(a->sbdf) == PCIDC_SBDF_SEG(b->sbdf);
}

static int policy_error(const struct pcidc_policy *p)
{
    const uint16_t on = PCIDC_COMMAND_IO | PCIDC_COMMAND_MEMORY |
                        PCIDC_COMMAND_MASTER;

    if ( !(p->clear & PCIDC_COMMAND_MASTER) || (p->set & on) )
        return PCIDC_E_VALUE;
    if ( p->flags & ~(PCIDC_POLICY_INPUT_ORDER | PCIDC_POLICY_IGNORE_PRESERVE) )
        return PCIDC_E_INVAL;
    return PCIDC_OK;
}

static int func_error(const struct pcidc_func *f)
{
    if ( f->flags & ~(PCIDC_FUNC_BRIDGE | PCIDC_FUNC_PRESERVE) )
        return PCIDC_E_INVAL;
    if ( !is_bridge(f) )
        return PCIDC_OK;
    if ( f->secondary <= bus_of(f) )
        return PCIDC_E_BUS_ORDER;
    if ( f->subordinate < f->secondary )
        return PCIDC_E_RANGE;
    return PCIDC_OK;
}

static bool holds_bus(const struct pcidc_func *b, const struct pcidc_func *f,
                      unsigned int bus)
{
    return is_bridge(b) && same_segment(b, f) && b->secondary <= bus &&
           bus <= b->subordinate;
}

/* a's range holds b's range and is not the same range. */
static bool encloses(const struct pcidc_func *a, const struct pcidc_func *b)
{
    return a->secondary <= b->secondary && b->subordinate <= a->subordinate &&
           (a->secondary != b->secondary || a->subordinate != b->subordinate);
}

static unsigned int width(const struct pcidc_func *b)
{
    return b->subordinate - b->secondary;
}

/* The innermost bridge other than 'self' whose range holds bus, or NONE. */
static int innermost_holding(const struct pcidc_func *func, unsigned int nr,
                             unsigned int self, unsigned int bus)
{
    int best = NONE;
    unsigned int i;

    for ( i = 0; i < nr; i++ )
        if ( i != self && holds_bus(&func[i], &func[self], bus) &&
             (best == NONE || width(&func[i]) < width(&func[best])) )
            best = (int)i;
    return best;
}

/* The innermost bridge whose range strictly encloses bridge b's, or NONE. */
static int innermost_enclosing(const struct pcidc_func *func, unsigned int nr,
                               unsigned int b)
{
    int best = NONE;
    unsigned int i;

    for ( i = 0; i < nr; i++ )
        if ( i != b && is_bridge(&func[i]) && same_segment(&func[i], &func[b]) &&
             encloses(&func[i], &func[b]) &&
             (best == NONE || width(&func[i]) < width(&func[best])) )
            best = (int)i;
    return best;
}

static bool ranges_intersect(const struct pcidc_func *a,
                             const struct pcidc_func *b)
{
    return a->secondary <= b->subordinate && b->secondary <= a->subordinate;
}

static int topology_error(const struct pcidc_func *func, unsigned int nr)
{
    unsigned int i, j;

    for ( i = 0; i < nr; i++ )
        for ( j = i + 1; j < nr; j++ )
            if ( func[i].sbdf == func[j].sbdf )
                return PCIDC_E_DUPLICATE;

    for ( i = 0; i < nr; i++ )
        for ( j = 0; j < nr; j++ )
            if ( i != j && is_bridge(&func[i]) && is_bridge(&func[j]) &&
                 same_segment(&func[i], &func[j]) &&
                 ranges_intersect(&func[i], &func[j]) &&
                 !encloses(&func[i], &func[j]) &&
                 !encloses(&func[j], &func[i]) )
                return PCIDC_E_OVERLAP;

    for ( i = 0; i < nr; i++ )
        if ( is_bridge(&func[i]) &&
             innermost_holding(func, nr, i, bus_of(&func[i])) !=
             innermost_enclosing(func, nr, i) )
            return PCIDC_E_OVERLAP;
    return PCIDC_OK;
}

static int check(const struct pcidc_func *func, unsigned int nr,
                 const struct pcidc_policy *policy)
{
    unsigned int i;
    int rc;

    if ( nr > PCIDC_PLAN_CAPACITY )
        return PCIDC_E_CAPACITY;
    rc = policy_error(policy);
    for ( i = 0; !rc && i < nr; i++ )
        rc = func_error(&func[i]);
    return rc ? rc : topology_error(func, nr);
}

static int parent_of(const struct pcidc_func *func, unsigned int nr,
                     unsigned int i)
{
    return innermost_holding(func, nr, i, bus_of(&func[i]));
}

static unsigned int depth_of(const struct pcidc_func *func, unsigned int nr,
                             unsigned int i)
{
    unsigned int depth = 0;
    int up;

    for ( up = parent_of(func, nr, i); up != NONE;
          up = parent_of(func, nr, (unsigned int)up) )
        depth++;
    return depth;
}

/* f is preserved, or an ancestor of a preserved function. */
static bool kept(const struct pcidc_func *func, unsigned int nr,
                 unsigned int f)
{
    unsigned int i;
    int up;

    for ( i = 0; i < nr; i++ )
    {
        if ( !(func[i].flags & PCIDC_FUNC_PRESERVE) )
            continue;
        if ( i == f )
            return true;
        for ( up = parent_of(func, nr, i); up != NONE;
              up = parent_of(func, nr, (unsigned int)up) )
            if ( (unsigned int)up == f )
                return true;
    }
    return false;
}

/* Rank of function i in the bridges-first order: depth, then endpoints. */
static unsigned int rank(const struct pcidc_func *func, unsigned int nr,
                         unsigned int i)
{
    return depth_of(func, nr, i) * 2 + !is_bridge(&func[i]);
}

static void add_step(struct ref_plan *out, const struct pcidc_func *f,
                     const struct pcidc_policy *p)
{
    struct pcidc_step *s = &out->step[out->nr_steps++];

    s->sbdf = f->sbdf;
    s->reg = PCIDC_COMMAND;
    s->clear = p->clear;
    s->set = p->set;
    s->fallback = (uint16_t)((f->command & ~p->clear) | p->set);
}

int ref_plan_build(const struct pcidc_func *func, unsigned int nr,
                   const struct pcidc_policy *policy, struct ref_plan *out)
{
    static unsigned int rank_of[PCIDC_PLAN_CAPACITY];
    static bool left_out[PCIDC_PLAN_CAPACITY];
    const bool honour = !(policy->flags & PCIDC_POLICY_IGNORE_PRESERVE);
    const bool input_order = policy->flags & PCIDC_POLICY_INPUT_ORDER;
    unsigned int r, i, max_rank = 0;
    int rc = check(func, nr, policy);

    if ( rc )
        return rc;

    for ( i = 0; i < nr; i++ )
    {
        rank_of[i] = input_order ? 0 : rank(func, nr, i);
        left_out[i] = honour && kept(func, nr, i);
        if ( rank_of[i] > max_rank )
            max_rank = rank_of[i];
    }

    out->nr_steps = 0;
    for ( r = 0; r <= max_rank; r++ )
        for ( i = 0; i < nr; i++ )
            if ( rank_of[i] == r && !left_out[i] )
                add_step(out, &func[i], policy);
    return PCIDC_OK;
}
