/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcidc's crash path: walk the published plan, one COMMAND write per step.
 *
 * It runs on the crashing CPU while other CPUs may hold any lock: it takes
 * no lock, allocates nothing and follows no list.  It is one test-and-set,
 * one pointer load and a bounded loop over the plan's steps; a step reads
 * the register it is about to write (unless nothing of its value survives)
 * and writes it, both through the port's lock-free raw access.
 *
 * Why read at the crash rather than write a value captured when the plan
 * was built: a driver changes COMMAND after the plan is built (it turns
 * decode or Bus Master on when it binds), and writing a stale value would
 * turn decode off behind its back -- the 2011 patch's failure.  The read
 * adds no new way to hang: a config write is a non-posted request like the
 * read, so a function that stops answering stalls the write as long.  A
 * read of all ones means the function does not answer now; the step then
 * writes the value computed from COMMAND as it was at plan time.
 *
 * Its contract is on its declaration in pcidc.h; the loop's is below.  Like
 * plan.c, this file is freestanding: it includes only the core's headers
 * and calls only pcidc_port_*().
 */

#include "pcidc.h"
#include "pcidc_internal.h"

static uint16_t step_value(const struct pcidc_step *step)
{
    uint16_t now;

    if ( step->clear == PCIDC_ALL_BITS )
        return step->set;

    now = pcidc_port_crash_read16(step->sbdf, step->reg);
    if ( now == PCIDC_ALL_BITS )
        return step->fallback;

    return (now & ~step->clear) | step->set;
}

unsigned int pcidc_crash_disconnect(struct pcidc *dc)
{
    const struct pcidc_plan *plan;
    unsigned int i, nr;
    /*@ ghost unsigned int g_log0 = pcidc_g_nr_writes; */

    if ( pcidc_port_test_and_set(&dc->crashed) )
        return 0;

    plan = read_published(dc);
    if ( !plan )
        return 0;

    /* Read once; a count corrupted by the crash must not leave the array. */
    nr = plan->nr_steps;
    if ( nr > PCIDC_PLAN_CAPACITY )
        nr = PCIDC_PLAN_CAPACITY;

    /*
     * g_log0 (the log length at entry) stands for \at(.., Pre): E-ACSL 25
     * evaluates \at(x, Pre) in the current state inside loop invariants.
     * That makes its check of 'frame' below vacuous; the function's own
     * 'frame' postcondition (\old) is checked at run time instead.
     */
    /*@ loop invariant bound: 0 <= i <= nr;
        loop invariant counted: pcidc_g_nr_writes == g_log0 + i;
        loop invariant in_order: pcidc_steps_logged(plan, i, g_log0);
        loop invariant values: pcidc_steps_applied(plan, i);
        loop invariant frame: \forall integer s; 0 <= s < PCIDC_G_SBDFS ==>
            !pcidc_in_steps(plan, i, s) ==>
            pcidc_g_config[s][PCIDC_COMMAND] ==
                \at(pcidc_g_config[s][PCIDC_COMMAND], Pre);
        loop assigns i,
                     pcidc_g_config[plan->step[0 .. nr - 1].sbdf]
                                   [PCIDC_COMMAND],
                     pcidc_g_log_sbdf[..],
                     pcidc_g_log_reg[..],
                     pcidc_g_log_value[..],
                     pcidc_g_nr_writes;
        loop variant nr - i;
    */
    for ( i = 0; i < nr; i++ )
        pcidc_port_conf_write16(plan->step[i].sbdf, plan->step[i].reg,
                                step_value(&plan->step[i]));
    return nr;
}
