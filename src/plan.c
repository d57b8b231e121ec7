/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcidc's plan building: check the functions a port describes, order them
 * and publish the disconnect plan that crash.c walks.  Also the port's
 * helpers for it: pcidc_describe() reads a function's description from
 * config space, pcidc_strerror() names an error code.
 *
 * See pcidc.h for the two phases.  This file is freestanding: it includes
 * only the core's headers and calls nothing but pcidc_port_*().  Loops that
 * merely clear or copy an array are avoided on purpose: compilers turn them
 * into memset()/memcpy() calls, which a freestanding object cannot make.
 * Tables that would need clearing are either cleared element by element as
 * they are used (count[]) or stamped with a generation (paint[]).
 */

#include "pcidc.h"
#include "pcidc_internal.h"

/* Input indices are stored in uint16_t. */
typedef char pcidc_capacity_fits_u16[(PCIDC_PLAN_CAPACITY <= 0xffff) ? 1 : -1];

#define NO_BRIDGE 0     /* in parent[] and paint[]: index + 1, or none */

#define KEY_ENDPOINT_SLOT 256   /* processing key: after every secondary bus */

/*
 * One stable LSD radix pass on the 8-bit digit at 'shift' of dc->key[]:
 * src[] is read in order, dst[] receives the indices bucket by bucket.
 * dc->count[] is all zero on entry and on return: only the buckets of
 * digits that occur are ever non-zero, and those are cleared as they drain.
 */
/*@ requires valid_core: \valid(dc);
    requires nr: nr <= PCIDC_PLAN_CAPACITY;
    requires shift: shift <= 24;
    requires arrays: (src == &dc->order[0] && dst == &dc->tmp[0]) ||
                     (src == &dc->tmp[0] && dst == &dc->order[0]);
    requires indices: pcidc_indices(src, nr);
    requires counts_clear: pcidc_zero256(&dc->count[0]);
    assigns dst[0 .. nr - 1], dc->count[0 .. 255], dc->start[0 .. 255];
    ensures counts_clear: pcidc_zero256(&dc->count[0]);
    ensures indices: pcidc_indices(dst, nr);
*/
static void radix_pass(struct pcidc *dc, const uint16_t *src, uint16_t *dst,
                       unsigned int nr, unsigned int shift)
{
    unsigned int i, digit, sum = 0;
    /*@ ghost unsigned int g_rank[PCIDC_PLAN_CAPACITY], g_cnt[256], g_pre[257];
              unsigned int m, d1, d2; */

    /*@ loop invariant bound: 0 <= i <= nr;
        loop invariant counted: \forall integer d; 0 <= d < 256 ==>
            dc->count[d] == pcidc_cnt{Pre}(&dc->key[0], src, shift, d, i);
        loop invariant small: \forall integer d; 0 <= d < 256 ==>
            dc->count[d] <= i;
        loop assigns i, dc->count[0 .. 255];
        loop variant nr - i;
    */
    for ( i = 0; i < nr; i++ )
        dc->count[(dc->key[src[i]] >> shift) & 0xff]++;

    /*
     * Ghost: count again, remembering each input's rank among the inputs
     * with its digit, and keep the bucket starts g_pre[] up to date.  What
     * the loops below need about the counts is proved here, once.
     */
    /*@ ghost
        /@ loop invariant 0 <= d2 <= 257;
           loop invariant \forall integer d; 0 <= d < d2 ==> g_pre[d] == 0;
           loop invariant \forall integer d; 0 <= d < d2 && d < 256 ==>
               g_cnt[d] == 0;
           loop assigns d2, g_pre[0 .. 256], g_cnt[0 .. 255];
           loop variant 257 - d2;
        @/
        for ( d2 = 0; d2 < 257; d2++ )
        {
            g_pre[d2] = 0;
            if ( d2 < 256 )
                g_cnt[d2] = 0;
        }

        /@ loop invariant 0 <= m <= nr;
           loop invariant cnt: \forall integer d; 0 <= d < 256 ==>
               g_cnt[d] == pcidc_cnt{Pre}(&dc->key[0], src, shift, d, m);
           loop invariant rank: \forall integer j; 0 <= j < m ==>
               g_rank[j] ==
                   pcidc_cnt{Pre}(&dc->key[0], src, shift,
                       pcidc_digit{Pre}(&dc->key[0], src, shift, j), j);
           loop invariant rank_small: \forall integer j; 0 <= j < m ==>
               g_rank[j] < g_cnt[pcidc_digit{Pre}(&dc->key[0], src, shift, j)];
           loop invariant pre_0: g_pre[0] == 0;
           loop invariant pre_step: \forall integer d; 0 <= d < 256 ==>
               g_pre[d + 1] == g_pre[d] + g_cnt[d];
           loop invariant pre_max: \forall integer d; 0 <= d <= 256 ==>
               g_pre[d] <= g_pre[256];
           loop invariant pre_total: g_pre[256] == m;
           loop assigns m, d1, d2, g_rank[0 .. nr - 1], g_cnt[0 .. 255],
                        g_pre[0 .. 256];
           loop variant nr - m;
        @/
        for ( m = 0; m < nr; m++ )
        {
            d1 = (dc->key[src[m]] >> shift) & 0xff;
            g_rank[m] = g_cnt[d1];
            g_cnt[d1]++;
            /@ loop invariant d1 + 1 <= d2 <= 257;
               loop invariant \forall integer d; d1 < d < d2 ==>
                   g_pre[d] == \at(g_pre[d], LoopEntry) + 1;
               loop invariant \forall integer d; 0 <= d <= 256 &&
                   (d <= d1 || d2 <= d) ==>
                   g_pre[d] == \at(g_pre[d], LoopEntry);
               loop assigns d2, g_pre[d1 + 1 .. 256];
               loop variant 257 - d2;
            @/
            for ( d2 = d1 + 1; d2 < 257; d2++ )
                g_pre[d2]++;
        }
    */

    /*@ assert counted_all: \forall integer d; 0 <= d < 256 ==>
            g_cnt[d] == pcidc_cnt{Pre}(&dc->key[0], src, shift, d, nr);
    */
    /*@ loop invariant bound: 0 <= digit <= 256;
        loop invariant counts: \forall integer d; 0 <= d < 256 ==>
            dc->count[d] == g_cnt[d];
        loop invariant sum: sum == g_pre[digit];
        loop invariant starts: \forall integer d; 0 <= d < digit ==>
            dc->start[d] == g_pre[d];
        loop assigns digit, sum, dc->start[0 .. 255];
        loop variant 256 - digit;
    */
    for ( digit = 0; digit < 256; digit++ )
    {
        dc->start[digit] = sum;
        sum += dc->count[digit];
    }

    /*@ loop invariant bound: 0 <= i <= nr;
        loop invariant starts: \forall integer d; 0 <= d < 256 ==>
            dc->start[d] ==
                g_pre[d] + pcidc_cnt{Pre}(&dc->key[0], src, shift, d, i);
        loop invariant counts: \forall integer d; 0 <= d < 256 ==>
            dc->count[d] == 0 ||
            pcidc_cnt{Pre}(&dc->key[0], src, shift, d, i) == 0 &&
            dc->count[d] == g_cnt[d];
        loop invariant filled: \forall integer d, p; 0 <= d < 256 &&
            g_pre[d] <= p < dc->start[d] ==> dst[p] < nr;
        loop assigns i, digit, dst[0 .. nr - 1], dc->start[0 .. 255],
                     dc->count[0 .. 255];
        loop variant nr - i;
    */
    for ( i = 0; i < nr; i++ )
    {
        digit = (dc->key[src[i]] >> shift) & 0xff;
        /*@ assert digit:
                digit == pcidc_digit{Pre}(&dc->key[0], src, shift, i); */
        /*@ assert rank: dc->start[digit] == g_pre[digit] + g_rank[i]; */
        dst[dc->start[digit]++] = src[i];
        dc->count[digit] = 0;
    }

    /*@ assert drained: \forall integer d; 0 <= d < 256 ==>
            dc->start[d] == g_pre[d] + g_cnt[d];
    */
    /*@ ghost
        /@ loop invariant 0 <= d2 <= 256;
           loop invariant \forall integer p; 0 <= p < g_pre[d2] ==>
               dst[p] < nr;
           loop assigns d2;
           loop variant 256 - d2;
        @/
        for ( d2 = 0; d2 < 256; d2++ )
            ;
    */
}

/* Stable sort of dc->order[0 .. nr-1] by the low 8 * passes bits of key. */
/*@ requires valid_core: \valid(dc);
    requires nr: nr <= PCIDC_PLAN_CAPACITY;
    requires passes: passes == 2 || passes == 4;
    requires indices: pcidc_indices(&dc->order[0], nr);
    requires counts_clear: pcidc_zero256(&dc->count[0]);
    assigns dc->order[0 .. nr - 1], dc->tmp[0 .. nr - 1], dc->count[0 .. 255],
            dc->start[0 .. 255];
    ensures indices: pcidc_indices(&dc->order[0], nr);
    ensures counts_clear: pcidc_zero256(&dc->count[0]);
*/
static void sort_by_key(struct pcidc *dc, unsigned int nr, unsigned int passes)
{
    unsigned int pass;

    /* An even number of passes leaves the result in dc->order. */
    /*@ loop invariant bound: 0 <= pass <= passes && pass % 2 == 0;
        loop invariant indices: pcidc_indices(&dc->order[0], nr);
        loop invariant counts_clear: pcidc_zero256(&dc->count[0]);
        loop assigns pass, dc->order[0 .. nr - 1], dc->tmp[0 .. nr - 1],
                     dc->count[0 .. 255], dc->start[0 .. 255];
        loop variant passes - pass;
    */
    for ( pass = 0; pass < passes; pass += 2 )
    {
        radix_pass(dc, dc->order, dc->tmp, nr, pass * 8);
        radix_pass(dc, dc->tmp, dc->order, nr, pass * 8 + 8);
    }
}

/*@ requires valid_core: \valid(dc);
    requires nr: nr <= PCIDC_PLAN_CAPACITY;
    assigns dc->order[0 .. nr - 1];
    ensures identity: \forall integer k; 0 <= k < nr ==> dc->order[k] == k;
    ensures indices: pcidc_indices(&dc->order[0], nr);
*/
static void order_by_input(struct pcidc *dc, unsigned int nr)
{
    unsigned int i;

    /*@ loop invariant bound: 0 <= i <= nr;
        loop invariant identity: \forall integer k; 0 <= k < i ==>
            dc->order[k] == k;
        loop assigns i, dc->order[0 .. nr - 1];
        loop variant nr - i;
    */
    for ( i = 0; i < nr; i++ )
        dc->order[i] = i;
}

/*@ requires valid_func: \valid_read(f);
    assigns \nothing;
    ensures codes: \result == PCIDC_OK || \result == PCIDC_E_INVAL ||
        \result == PCIDC_E_BUS_ORDER || \result == PCIDC_E_RANGE;
    ensures accepted: \result == PCIDC_OK <==> pcidc_func_ok(f);
*/
static int check_func(const struct pcidc_func *f)
{
    if ( f->flags & ~(PCIDC_FUNC_BRIDGE | PCIDC_FUNC_PRESERVE) )
        return PCIDC_E_INVAL;
    if ( !(f->flags & PCIDC_FUNC_BRIDGE) )
        return PCIDC_OK;
    if ( f->secondary <= PCIDC_SBDF_BUS(f->sbdf) )
        return PCIDC_E_BUS_ORDER;
    if ( f->subordinate < f->secondary )
        return PCIDC_E_RANGE;
    return PCIDC_OK;
}

/*@ requires valid_input: \valid_read(func + (0 .. nr - 1));
    assigns \nothing;
    ensures codes: \result == PCIDC_OK || \result == PCIDC_E_INVAL ||
        \result == PCIDC_E_BUS_ORDER || \result == PCIDC_E_RANGE;
    ensures accepted: \result == PCIDC_OK ==>
        \forall integer k; 0 <= k < nr ==> pcidc_func_ok(&func[k]);
*/
static int check_funcs(const struct pcidc_func *func, unsigned int nr)
{
    unsigned int i;
    int rc;

    /*@ loop invariant bound: 0 <= i <= nr;
        loop invariant accepted: \forall integer k; 0 <= k < i ==>
            pcidc_func_ok(&func[k]);
        loop assigns i, rc;
        loop variant nr - i;
    */
    for ( i = 0; i < nr; i++ )
    {
        rc = check_func(&func[i]);
        if ( rc )
            return rc;
    }
    return PCIDC_OK;
}

/* Sorted by sbdf, equal functions are neighbours. */
/*@ requires valid_core: \valid(dc);
    requires nr: nr <= PCIDC_PLAN_CAPACITY;
    requires valid_input: \valid_read(func + (0 .. nr - 1));
    requires separated: \separated(dc, func + (0 .. nr - 1));
    requires counts_clear: pcidc_zero256(&dc->count[0]);
    assigns dc->key[0 .. nr - 1], dc->order[0 .. nr - 1],
            dc->tmp[0 .. nr - 1], dc->count[0 .. 255], dc->start[0 .. 255];
    ensures counts_clear: pcidc_zero256(&dc->count[0]);
    ensures codes: \result == PCIDC_OK || \result == PCIDC_E_DUPLICATE;
*/
static int check_duplicates(struct pcidc *dc, const struct pcidc_func *func,
                            unsigned int nr)
{
    unsigned int i;

    /*@ loop invariant bound: 0 <= i <= nr;
        loop assigns i, dc->key[0 .. nr - 1];
        loop variant nr - i;
    */
    for ( i = 0; i < nr; i++ )
        dc->key[i] = func[i].sbdf;
    order_by_input(dc, nr);
    sort_by_key(dc, nr, 4);

    /*@ loop invariant bound: 1 <= i && (i <= nr || nr == 0);
        loop assigns i;
        loop variant nr - i;
    */
    for ( i = 1; i < nr; i++ )
        if ( func[dc->order[i]].sbdf == func[dc->order[i - 1]].sbdf )
            return PCIDC_E_DUPLICATE;
    return PCIDC_OK;
}

/*@ requires valid_core: \valid_read(dc);
    requires bus: bus < 256;
    assigns \nothing;
    ensures painted: \result ==
        (dc->paint_stamp[bus] == dc->stamp ? dc->paint[bus] : NO_BRIDGE);
*/
static unsigned int paint_get(const struct pcidc *dc, unsigned int bus)
{
    return dc->paint_stamp[bus] == dc->stamp ? dc->paint[bus] : NO_BRIDGE;
}

/*
 * Bridge at input index idx claims its buses.  Every bus in its range must
 * still belong to the bridge its own bus belongs to (its parent): otherwise
 * it overlaps a sibling or sticks out of its parent's range.
 */
/*@ requires valid_core: \valid(dc);
    requires valid_func: \valid_read(f);
    requires separated: \separated(dc, f);
    requires idx: idx < PCIDC_PLAN_CAPACITY;
    requires range: f->secondary <= f->subordinate;
    requires paint: pcidc_paint_ok(dc);
    requires fresh: \forall integer b; 0 <= b < 256 &&
        dc->paint_stamp[b] == dc->stamp ==>
        dc->paint[b] <= PCIDC_PLAN_CAPACITY;
    assigns dc->paint[0 .. 255], dc->paint_stamp[0 .. 255];
    ensures codes: \result == PCIDC_OK || \result == PCIDC_E_OVERLAP;
    ensures paint: pcidc_paint_ok(dc);
    ensures fresh: \forall integer b; 0 <= b < 256 &&
        dc->paint_stamp[b] == dc->stamp ==>
        dc->paint[b] <= PCIDC_PLAN_CAPACITY;
    ensures painted: \forall integer b; 0 <= b < 256 &&
        dc->paint_stamp[b] == dc->stamp ==>
        (\old(dc->paint_stamp[b]) == dc->stamp &&
         dc->paint[b] == \old(dc->paint[b])) ||
        (dc->paint[b] == idx + 1 && f->secondary <= b);
*/
static int paint_bridge(struct pcidc *dc, const struct pcidc_func *f,
                        unsigned int idx)
{
    unsigned int parent = paint_get(dc, PCIDC_SBDF_BUS(f->sbdf));
    unsigned int bus;

    /*@ loop invariant bound: f->secondary <= bus <= f->subordinate + 1;
        loop assigns bus;
        loop variant f->subordinate + 1 - bus;
    */
    for ( bus = f->secondary; bus <= f->subordinate; bus++ )
        if ( paint_get(dc, bus) != parent )
            return PCIDC_E_OVERLAP;

    /*@ loop invariant bound: f->secondary <= bus <= f->subordinate + 1;
        loop invariant paint: pcidc_paint_ok(dc);
        loop invariant fresh: \forall integer b; 0 <= b < 256 &&
            dc->paint_stamp[b] == dc->stamp ==>
            dc->paint[b] <= PCIDC_PLAN_CAPACITY;
        loop invariant painted: \forall integer b; 0 <= b < 256 &&
            dc->paint_stamp[b] == dc->stamp ==>
            (\at(dc->paint_stamp[b], Pre) == dc->stamp &&
             dc->paint[b] == \at(dc->paint[b], Pre)) ||
            (dc->paint[b] == idx + 1 && f->secondary <= b);
        loop assigns bus, dc->paint[0 .. 255], dc->paint_stamp[0 .. 255];
        loop variant f->subordinate + 1 - bus;
    */
    for ( bus = f->secondary; bus <= f->subordinate; bus++ )
    {
        dc->paint[bus] = idx + 1;
        dc->paint_stamp[bus] = dc->stamp;
    }
    return PCIDC_OK;
}

/*
 * Find each function's parent bridge (the deepest bridge whose bus range
 * holds its bus) and its depth.  Functions are processed by segment, then
 * bridges by secondary bus, then endpoints: a bridge's ancestors all have
 * smaller secondary buses, so they are painted before it is.
 */
/*@ requires valid_core: \valid(dc);
    requires nr: nr <= PCIDC_PLAN_CAPACITY;
    requires valid_input: \valid_read(func + (0 .. nr - 1));
    requires separated: \separated(dc, func + (0 .. nr - 1));
    requires accepted: \forall integer k; 0 <= k < nr ==>
        pcidc_func_ok(&func[k]);
    requires counts_clear: pcidc_zero256(&dc->count[0]);
    requires paint: pcidc_paint_ok(dc);
    requires parents: pcidc_parents_ok(dc);
    requires stamp_room: dc->stamp <= 0xffffffffffffffff - nr;
    assigns dc->key[0 .. nr - 1], dc->order[0 .. nr - 1],
            dc->tmp[0 .. nr - 1], dc->count[0 .. 255], dc->start[0 .. 255],
            dc->parent[0 .. nr - 1], dc->depth[0 .. nr - 1],
            dc->paint[0 .. 255], dc->paint_stamp[0 .. 255], dc->stamp;
    ensures counts_clear: pcidc_zero256(&dc->count[0]);
    ensures paint: pcidc_paint_ok(dc);
    ensures parents: pcidc_parents_ok(dc);
    ensures stamp: dc->stamp <= \old(dc->stamp) + nr;
    ensures codes: \result == PCIDC_OK || \result == PCIDC_E_OVERLAP;
    ensures links: \result == PCIDC_OK ==> pcidc_links_up(dc, func, nr);
*/
static int find_parents(struct pcidc *dc, const struct pcidc_func *func,
                        unsigned int nr)
{
    unsigned int i, idx, parent, seg = 0;
    const struct pcidc_func *f;
    int rc;

    /*
     * Every link starts as none, so that each names a bridge of this input
     * even before the loop below has reached its function.
     */
    /*@ loop invariant bound: 0 <= i <= nr;
        loop invariant none: \forall integer k; 0 <= k < i ==>
            dc->parent[k] == NO_BRIDGE;
        loop assigns i, dc->key[0 .. nr - 1], dc->parent[0 .. nr - 1];
        loop variant nr - i;
    */
    for ( i = 0; i < nr; i++ )
    {
        dc->key[i] = (PCIDC_SBDF_SEG(func[i].sbdf) << 9) |
                     ((func[i].flags & PCIDC_FUNC_BRIDGE) ? func[i].secondary
                                                          : KEY_ENDPOINT_SLOT);
        dc->parent[i] = NO_BRIDGE;
    }
    order_by_input(dc, nr);
    sort_by_key(dc, nr, 4);

    /*@ loop invariant bound: 0 <= i <= nr;
        loop invariant stamp: \at(dc->stamp, Pre) <= dc->stamp <=
            \at(dc->stamp, Pre) + i;
        loop invariant paint: pcidc_paint_ok(dc);
        loop invariant fresh: i > 0 ==> \forall integer b; 0 <= b < 256 &&
            dc->paint_stamp[b] == dc->stamp ==>
            dc->paint[b] <= PCIDC_PLAN_CAPACITY;
        loop invariant parents: pcidc_parents_ok(dc);
        loop invariant links: pcidc_links_up(dc, func, nr);
        loop invariant paint_up: i > 0 ==> pcidc_paint_up(dc, func, nr);
        loop assigns i, idx, f, seg, parent, rc, dc->parent[0 .. nr - 1],
                     dc->depth[0 .. nr - 1], dc->paint[0 .. 255],
                     dc->paint_stamp[0 .. 255], dc->stamp;
        loop variant nr - i;
    */
    for ( i = 0; i < nr; i++ )
    {
        idx = dc->order[i];
        f = &func[idx];
        if ( i == 0 || PCIDC_SBDF_SEG(f->sbdf) != seg )
        {
            seg = PCIDC_SBDF_SEG(f->sbdf);
            dc->stamp++;        /* new segment: forget every bus */
        }

        /*@ assert paint_up: pcidc_paint_up(dc, func, nr); */
        parent = paint_get(dc, PCIDC_SBDF_BUS(f->sbdf));
        /*@ assert link: pcidc_link_up(func, nr, parent,
                                       PCIDC_SBDF_BUS(f->sbdf)); */
        dc->depth[idx] = parent == NO_BRIDGE ? 0 : dc->depth[parent - 1] + 1;
        /*@ assert kept_link: pcidc_link_up(func, nr, parent,
                                            PCIDC_SBDF_BUS(f->sbdf)); */
        /*@ assert kept_links: pcidc_links_up(dc, func, nr); */
        /*@ assert kept_paint: pcidc_paint_up(dc, func, nr); */
        dc->parent[idx] = parent;
        /*@ assert links: pcidc_links_up(dc, func, nr); */

        if ( f->flags & PCIDC_FUNC_BRIDGE )
        {
            /*@ assert up: pcidc_paint_up(dc, func, nr) && idx < nr &&
                    PCIDC_SBDF_BUS(f->sbdf) < f->secondary; */
            rc = paint_bridge(dc, f, idx);
            if ( rc )
                return rc;
            /*@ assert painted: pcidc_paint_up(dc, func, nr); */
        }
    }
    return PCIDC_OK;
}

/* A preserved function keeps every bridge above it out of the plan. */
/*@ requires valid_core: \valid(dc);
    requires nr: nr <= PCIDC_PLAN_CAPACITY;
    requires valid_input: \valid_read(func + (0 .. nr - 1));
    requires separated: \separated(dc, func + (0 .. nr - 1));
    requires parents: pcidc_parents_ok(dc);
    requires links: pcidc_links_up(dc, func, nr);
    assigns dc->keep[0 .. PCIDC_PLAN_CAPACITY - 1];
    ensures preserved: \forall integer k; 0 <= k < nr && honour &&
        (func[k].flags & PCIDC_FUNC_PRESERVE) != 0 ==> dc->keep[k] != 0;
*/
static void mark_preserved(struct pcidc *dc, const struct pcidc_func *func,
                           unsigned int nr, bool honour)
{
    unsigned int i, up;

    /*@ loop invariant bound: 0 <= i <= nr;
        loop invariant preserved: \forall integer k; 0 <= k < i && honour &&
            (func[k].flags & PCIDC_FUNC_PRESERVE) != 0 ==> dc->keep[k] != 0;
        loop assigns i, dc->keep[0 .. nr - 1];
        loop variant nr - i;
    */
    for ( i = 0; i < nr; i++ )
        dc->keep[i] = honour && (func[i].flags & PCIDC_FUNC_PRESERVE);

    /*@ loop invariant bound: 0 <= i <= nr;
        loop invariant preserved: \forall integer k; 0 <= k < nr && honour &&
            (func[k].flags & PCIDC_FUNC_PRESERVE) != 0 ==> dc->keep[k] != 0;
        loop assigns i, up, dc->keep[0 .. PCIDC_PLAN_CAPACITY - 1];
        loop variant nr - i;
    */
    for ( i = 0; i < nr; i++ )
    {
        if ( !honour || !(func[i].flags & PCIDC_FUNC_PRESERVE) )
            continue;
        /* Up the links: the secondary bus decreases at every step. */
        /*@ loop invariant up: up <= PCIDC_PLAN_CAPACITY;
            loop invariant bridge: up == NO_BRIDGE || (up - 1 < nr &&
                PCIDC_SBDF_BUS(func[up - 1].sbdf) < func[up - 1].secondary);
            loop invariant preserved: \forall integer k; 0 <= k < nr &&
                honour && (func[k].flags & PCIDC_FUNC_PRESERVE) != 0 ==>
                dc->keep[k] != 0;
            loop assigns up, dc->keep[0 .. PCIDC_PLAN_CAPACITY - 1];
            loop variant up == NO_BRIDGE ? 0 : func[up - 1].secondary + 1;
        */
        for ( up = dc->parent[i]; up != NO_BRIDGE && !dc->keep[up - 1];
              up = dc->parent[up - 1] )
            dc->keep[up - 1] = 1;
    }
}

/* Outer levels first; within a level bridges, then endpoints; else stable. */
/*@ requires valid_core: \valid(dc);
    requires nr: nr <= PCIDC_PLAN_CAPACITY;
    requires valid_input: \valid_read(func + (0 .. nr - 1));
    requires separated: \separated(dc, func + (0 .. nr - 1));
    requires counts_clear: pcidc_zero256(&dc->count[0]);
    assigns dc->key[0 .. nr - 1], dc->order[0 .. nr - 1],
            dc->tmp[0 .. nr - 1], dc->count[0 .. 255], dc->start[0 .. 255];
    ensures indices: pcidc_indices(&dc->order[0], nr);
    ensures counts_clear: pcidc_zero256(&dc->count[0]);
*/
static void order_bridges_first(struct pcidc *dc,
                                const struct pcidc_func *func,
                                unsigned int nr)
{
    unsigned int i;

    /*@ loop invariant bound: 0 <= i <= nr;
        loop assigns i, dc->key[0 .. nr - 1];
        loop variant nr - i;
    */
    for ( i = 0; i < nr; i++ )
        dc->key[i] = dc->depth[i] * 2 +
                     !(func[i].flags & PCIDC_FUNC_BRIDGE);
    order_by_input(dc, nr);
    sort_by_key(dc, nr, 2);
}

/*@ requires valid_core: \valid(dc);
    requires nr: nr <= PCIDC_PLAN_CAPACITY;
    requires valid_input: \valid_read(func + (0 .. nr - 1));
    requires separated: \separated(dc, func + (0 .. nr - 1));
    requires valid_policy: \valid_read(policy);
    requires separated_policy: \separated(dc, policy);
    requires spare: plan == &dc->plan[0] || plan == &dc->plan[1];
    requires indices: pcidc_indices(&dc->order[0], nr);
    assigns plan->step[0 .. nr - 1], plan->nr_steps,
            pcidc_g_step_input[0 .. nr - 1];
    ensures fits: plan->nr_steps <= nr;
    ensures steps: \forall integer k; 0 <= k < plan->nr_steps ==>
        pcidc_step_made(&plan->step[k], &func[pcidc_g_step_input[k]], policy);
    ensures from_input: \forall integer k; 0 <= k < plan->nr_steps ==>
        pcidc_g_step_input[k] < nr && dc->keep[pcidc_g_step_input[k]] == 0 &&
        plan->step[k].sbdf == func[pcidc_g_step_input[k]].sbdf;
*/
static void fill_plan(struct pcidc *dc, struct pcidc_plan *plan,
                      const struct pcidc_func *func, unsigned int nr,
                      const struct pcidc_policy *policy)
{
    const struct pcidc_func *f;
    unsigned int i, n = 0;

    /*@ loop invariant bound: 0 <= n <= i <= nr;
        loop invariant reg: \forall integer k; 0 <= k < n ==>
            plan->step[k].reg == PCIDC_COMMAND;
        loop invariant masks: \forall integer k; 0 <= k < n ==>
            plan->step[k].clear == policy->clear &&
            plan->step[k].set == policy->set;
        loop invariant fallback: \forall integer k; 0 <= k < n ==>
            plan->step[k].fallback ==
                ((func[pcidc_g_step_input[k]].command & ~policy->clear) |
                 policy->set);
        loop invariant from_input: \forall integer k; 0 <= k < n ==>
            pcidc_g_step_input[k] < nr &&
            dc->keep[pcidc_g_step_input[k]] == 0 &&
            plan->step[k].sbdf == func[pcidc_g_step_input[k]].sbdf;
        loop assigns i, n, f, pcidc_g_step_input[0 .. nr - 1],
                     plan->step[0 .. nr - 1];
        loop variant nr - i;
    */
    for ( i = 0; i < nr; i++ )
    {
        if ( dc->keep[dc->order[i]] )
            continue;
        f = &func[dc->order[i]];
        plan->step[n].sbdf = f->sbdf;
        plan->step[n].reg = PCIDC_COMMAND;
        plan->step[n].clear = policy->clear;
        plan->step[n].set = policy->set;
        plan->step[n].fallback = (f->command & ~policy->clear) | policy->set;
        /*@ ghost pcidc_g_step_input[n] = dc->order[i]; */
        /*@ assert made: plan->step[n].sbdf == f->sbdf &&
                pcidc_step_made(&plan->step[n], f, policy); */
        n++;
    }
    plan->nr_steps = n;
}

/*@ requires valid_policy: \valid_read(policy);
    assigns \nothing;
    ensures codes: \result == PCIDC_OK || \result == PCIDC_E_VALUE ||
        \result == PCIDC_E_INVAL;
    ensures dma_off: \result == PCIDC_OK ==> pcidc_policy_ok(policy);
*/
static int check_policy(const struct pcidc_policy *policy)
{
    if ( !(policy->clear & PCIDC_COMMAND_MASTER) ||
         (policy->set & (PCIDC_COMMAND_IO | PCIDC_COMMAND_MEMORY |
                         PCIDC_COMMAND_MASTER)) )
        return PCIDC_E_VALUE;
    if ( policy->flags & ~(PCIDC_POLICY_INPUT_ORDER |
                           PCIDC_POLICY_IGNORE_PRESERVE) )
        return PCIDC_E_INVAL;
    return PCIDC_OK;
}

/*@ requires valid_core: \valid(dc);
    requires nr: nr <= PCIDC_PLAN_CAPACITY;
    requires valid_input: \valid_read(func + (0 .. nr - 1));
    requires separated: \separated(dc, func + (0 .. nr - 1));
    requires valid_policy: \valid_read(policy);
    requires separated_policy: \separated(dc, policy);
    requires counts_clear: pcidc_zero256(&dc->count[0]);
    requires paint: pcidc_paint_ok(dc);
    requires parents: pcidc_parents_ok(dc);
    requires stamp_room: dc->stamp <= 0xffffffffffffffff - nr;
    assigns dc->key[0 .. nr - 1], dc->order[0 .. nr - 1],
            dc->tmp[0 .. nr - 1], dc->count[0 .. 255], dc->start[0 .. 255],
            dc->parent[0 .. nr - 1], dc->depth[0 .. nr - 1],
            dc->keep[0 .. PCIDC_PLAN_CAPACITY - 1],
            dc->paint[0 .. 255], dc->paint_stamp[0 .. 255], dc->stamp;
    ensures counts_clear: pcidc_zero256(&dc->count[0]);
    ensures paint: pcidc_paint_ok(dc);
    ensures parents: pcidc_parents_ok(dc);
    ensures stamp: dc->stamp <= \old(dc->stamp) + nr;
    ensures codes: \result == PCIDC_OK || \result == PCIDC_E_DUPLICATE ||
        \result == PCIDC_E_BUS_ORDER || \result == PCIDC_E_RANGE ||
        \result == PCIDC_E_OVERLAP || \result == PCIDC_E_VALUE ||
        \result == PCIDC_E_INVAL;
    ensures indices: \result == PCIDC_OK ==> pcidc_indices(&dc->order[0], nr);
    ensures dma_off: \result == PCIDC_OK ==> pcidc_policy_ok(policy);
    ensures preserved: \result == PCIDC_OK ==>
        \forall integer k; 0 <= k < nr &&
            (policy->flags & PCIDC_POLICY_IGNORE_PRESERVE) == 0 &&
            (func[k].flags & PCIDC_FUNC_PRESERVE) != 0 ==> dc->keep[k] != 0;
*/
static int build_order(struct pcidc *dc, const struct pcidc_func *func,
                       unsigned int nr, const struct pcidc_policy *policy)
{
    int rc;

    rc = check_policy(policy);
    if ( !rc )
        rc = check_funcs(func, nr);
    if ( !rc )
        rc = check_duplicates(dc, func, nr);
    if ( !rc )
        rc = find_parents(dc, func, nr);
    if ( rc )
        return rc;

    mark_preserved(dc, func, nr,
                   !(policy->flags & PCIDC_POLICY_IGNORE_PRESERVE));
    if ( policy->flags & PCIDC_POLICY_INPUT_ORDER )
        order_by_input(dc, nr);
    else
        order_bridges_first(dc, func, nr);
    return PCIDC_OK;
}

int pcidc_plan_build(struct pcidc *dc, const struct pcidc_func *func,
                     unsigned int nr, const struct pcidc_policy *policy)
{
    struct pcidc_plan *spare;
    int rc;

    /*
     * Once the crash path has started it may be walking either plan: the
     * one published now, or the spare if this call's previous publication
     * came after the crash path loaded the pointer.  The crash path sets
     * dc->crashed (test-and-set, a full barrier) and then loads the
     * pointer; this call orders every earlier publication before its read
     * of dc->crashed (full barrier) and writes the spare only after it.
     * With store-load order on both sides, if the crash path loaded the
     * plan that is now the spare, this read sees dc->crashed set, and no
     * plan it walks is rewritten.
     */
    pcidc_port_mb();
    if ( crash_started(dc) )
        return PCIDC_E_CRASHED;

    if ( nr > PCIDC_PLAN_CAPACITY )
        return PCIDC_E_CAPACITY;

    rc = build_order(dc, func, nr, policy);
    if ( rc )
        return rc;

    /*
     * Fill the plan that is not published, and make its contents visible
     * before the single pointer store that publishes it (a release store
     * after a write barrier); the crash path loads the pointer with
     * acquire, which orders its reads of the steps after that load.
     */
    spare = read_published(dc) == &dc->plan[0] ? &dc->plan[1] : &dc->plan[0];
    fill_plan(dc, spare, func, nr, policy);
    pcidc_port_wmb();
    publish_plan(dc, spare);
    return PCIDC_OK;
}

const struct pcidc_plan *pcidc_plan_published(const struct pcidc *dc)
{
    return read_published(dc);
}

int pcidc_describe(struct pcidc_func *func, uint32_t sbdf, uint8_t flags)
{
    uint32_t header, buses;

    if ( (pcidc_port_conf_read32(sbdf, 0x00) & 0xffff) == 0xffff )
        return PCIDC_E_ABSENT;

    func->sbdf = sbdf;
    func->flags = flags & PCIDC_FUNC_PRESERVE;
    func->secondary = 0;
    func->subordinate = 0;
    func->command = pcidc_port_conf_read32(sbdf, PCIDC_COMMAND) & 0xffff;

    /* Header type 1 (PCI-to-PCI) and 2 (CardBus) both forward for buses. */
    header = (pcidc_port_conf_read32(sbdf, 0x0c) >> 16) & 0x7f;
    if ( header == 1 || header == 2 )
    {
        buses = pcidc_port_conf_read32(sbdf, 0x18);
        func->flags |= PCIDC_FUNC_BRIDGE;
        func->secondary = (buses >> 8) & 0xff;
        func->subordinate = (buses >> 16) & 0xff;
    }
    return PCIDC_OK;
}

const char *pcidc_strerror(int err)
{
    switch ( err )
    {
    case PCIDC_OK:          return "ok";
    case PCIDC_E_CAPACITY:  return "more functions than the plan can hold";
    case PCIDC_E_DUPLICATE: return "the same function is listed twice";
    case PCIDC_E_BUS_ORDER: return "secondary bus not above the bridge's bus";
    case PCIDC_E_RANGE:     return "subordinate bus below secondary bus";
    case PCIDC_E_OVERLAP:   return "bridge bus ranges overlap without nesting";
    case PCIDC_E_VALUE:     return "policy leaves BME on or sets decode or BME";
    case PCIDC_E_ABSENT:    return "no function answers at that address";
    case PCIDC_E_INVAL:     return "unknown flags";
    case PCIDC_E_CRASHED:   return "the crash path has started";
    default:                return "unknown error";
    }
}
