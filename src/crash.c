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

/*@ requires valid_step: \valid_read(step);
    requires modelled: pcidc_step_modelled(step);
    requires at_crash: pcidc_g_crash_mode != 0;
    requires read_room: pcidc_g_nr_reads < PCIDC_G_LOG_MAX;
    requires write_room: pcidc_g_nr_writes < PCIDC_G_LOG_MAX;
    requires no_read_pending: pcidc_g_new_reads == 0;
    assigns pcidc_g_nr_reads, pcidc_g_new_reads,
            pcidc_g_read_sbdf[pcidc_g_nr_reads],
            pcidc_g_read_reg[pcidc_g_nr_reads],
            pcidc_g_read_value[pcidc_g_nr_reads],
            pcidc_g_prior_sbdf[pcidc_g_nr_writes],
            pcidc_g_prior_reg[pcidc_g_nr_writes],
            pcidc_g_prior_value[pcidc_g_nr_writes];
    ensures value: \result == pcidc_step_value(step, pcidc_g_nr_writes);
    behavior reads:
        assumes pcidc_step_reads(step);
        ensures read_once: pcidc_g_nr_reads == \old(pcidc_g_nr_reads) + 1 &&
            pcidc_g_new_reads == 1;
        ensures own_register:
            pcidc_read_logged(\old(pcidc_g_nr_reads), step->sbdf, step->reg) &&
            pcidc_g_prior_sbdf[pcidc_g_nr_writes] == step->sbdf &&
            pcidc_g_prior_reg[pcidc_g_nr_writes] == step->reg;
        ensures read_cell: pcidc_g_prior_value[pcidc_g_nr_writes] ==
            pcidc_g_config[step->sbdf][step->reg];
        ensures disconnects:
            pcidc_masks_ok(step->clear, step->set) &&
            pcidc_g_prior_value[pcidc_g_nr_writes] != PCIDC_ALL_BITS ==>
            pcidc_disconnected(\result, pcidc_g_prior_value[pcidc_g_nr_writes],
                               step->clear, step->set);
    behavior no_read:
        assumes !pcidc_step_reads(step);
        assigns \nothing;
        ensures unread: pcidc_g_nr_reads == \old(pcidc_g_nr_reads) &&
            pcidc_g_new_reads == 0;
        ensures set: \result == step->set;
    complete behaviors;
    disjoint behaviors;
*/
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
    /*@ ghost unsigned int g_log0 = pcidc_g_nr_writes;
              unsigned int g_read0 = pcidc_g_nr_reads; */

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
     * g_log0 and g_read0 (the log lengths at entry) stand for \at(.., Pre):
     * E-ACSL 25 evaluates \at(x, Pre) in the current state inside loop
     * invariants.  The invariants that need the entry state of config space
     * (frame, reads_old) are WP-only words (see proofs/pcidc_model.h); the
     * function's own 'frame' postcondition (\old) is checked at run time.
     */
    /*@ loop invariant bound: 0 <= i <= nr;
        loop invariant counted: pcidc_g_nr_writes == g_log0 + i;
        loop invariant read_room: g_read0 <= pcidc_g_nr_reads <= g_read0 + i;
        loop invariant no_read_after: pcidc_g_new_reads == 0;
        loop invariant in_order: pcidc_steps_logged(plan, i, g_log0);
        loop invariant reads: pcidc_steps_read(plan, i, g_log0);
        loop invariant unread: pcidc_steps_unread(plan, i, g_log0);
        loop invariant reads_in_plan: pcidc_reads_in_steps(plan, i, g_read0);
        loop invariant written: pcidc_steps_written(plan, i, g_log0);
        loop invariant disconnects: pcidc_steps_disconnect(plan, i, g_log0);
        loop invariant values: pcidc_steps_applied(plan, i, g_log0);
        loop invariant frame: pcidc_frame{Here, Pre}(plan, i);
        loop invariant reads_old: pcidc_reads_old{Here, Pre}(plan, i, g_log0);
        loop assigns i,
                     { pcidc_g_config[plan->step[k].sbdf]
                                     [plan->step[k].reg]
                       | integer k; 0 <= k < nr },
                     pcidc_g_log_sbdf[..], pcidc_g_log_reg[..],
                     pcidc_g_log_value[..], pcidc_g_log_reads[..],
                     pcidc_g_nr_writes,
                     pcidc_g_read_sbdf[..], pcidc_g_read_reg[..],
                     pcidc_g_read_value[..], pcidc_g_nr_reads,
                     pcidc_g_new_reads, pcidc_g_prior_sbdf[..],
                     pcidc_g_prior_reg[..], pcidc_g_prior_value[..];
        loop variant nr - i;
    */
    for ( i = 0; i < nr; i++ )
        pcidc_port_conf_write16(plan->step[i].sbdf, plan->step[i].reg,
                                step_value(&plan->step[i]));
    return nr;
}
