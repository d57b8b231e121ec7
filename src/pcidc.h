/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcidc: stop PCI DMA on the crash path, before the IOMMU is switched off.
 *
 * Two phases:
 *
 *  - plan building (pcidc_plan_build, plan.c), whenever the set of PCI
 *    functions changes.  It may take locks, read config space and take its
 *    time.  It validates the topology and writes a flat disconnect plan:
 *    one step per function -- its COMMAND register, the bits to clear
 *    (Bus Master), the bits to set (INTx Disable) -- bridges before the
 *    functions they forward for.
 *
 *  - the crash path (pcidc_crash_disconnect, crash.c).  It only walks the
 *    published plan: per step one lock-free read of the register and one
 *    write, no lock, no allocation.
 *
 * Everything the core needs from its environment is a pcidc_port_*()
 * function declared at the end of this file.  Nothing else is called.
 */
#ifndef PCIDC_H
#define PCIDC_H

#include "pcidc_types.h"

/*
 * Each declaration below carries its ACSL contract, a comment to the C
 * compiler.  The words the contracts use (pcidc_published_ok() and the
 * other predicates, the ghost config space pcidc_g_config[] and write log)
 * are defined in proofs/pcidc_model.h, which only Frama-C reads.
 */

/*
 * Build a plan for functions func[0 .. nr-1] under the given policy and, on
 * success, publish it for the crash path.  On error the plan published
 * before stays published.  Calls must be serialised by the caller (Xen:
 * pcidevs_lock); they may run concurrently with pcidc_crash_disconnect().
 * Once the crash path has started, a call refuses (PCIDC_E_CRASHED) and
 * writes nothing.  Returns PCIDC_OK or a PCIDC_E_* code.
 */
/*@ requires valid_core: \valid(dc);
    requires valid_policy: \valid_read(policy);
    requires valid_input: nr <= PCIDC_PLAN_CAPACITY ==>
        \valid_read(func + (0 .. nr - 1));
    requires separated: \separated(dc, policy) &&
        (nr <= PCIDC_PLAN_CAPACITY ==> \separated(dc, func + (0 .. nr - 1)));
    requires published: pcidc_published_ok(dc);
    requires core: pcidc_core_ok(dc);
    requires stamp_room:
        dc->stamp <= 0xffffffffffffffff - PCIDC_PLAN_CAPACITY;
    assigns pcidc_spare(dc)->nr_steps,
            pcidc_spare(dc)->step[0 .. PCIDC_PLAN_CAPACITY - 1],
            dc->published, dc->key[0 .. PCIDC_PLAN_CAPACITY - 1],
            dc->order[0 .. PCIDC_PLAN_CAPACITY - 1],
            dc->tmp[0 .. PCIDC_PLAN_CAPACITY - 1],
            dc->parent[0 .. PCIDC_PLAN_CAPACITY - 1],
            dc->depth[0 .. PCIDC_PLAN_CAPACITY - 1],
            dc->keep[0 .. PCIDC_PLAN_CAPACITY - 1],
            dc->count[0 .. 255], dc->start[0 .. 255], dc->paint[0 .. 255],
            dc->paint_stamp[0 .. 255], dc->stamp,
            pcidc_g_step_input[0 .. PCIDC_PLAN_CAPACITY - 1];
    ensures published: pcidc_published_ok(dc);
    ensures core: pcidc_core_ok(dc);
    ensures stamp: dc->stamp <= \old(dc->stamp) + PCIDC_PLAN_CAPACITY;
    behavior crashed:
        assumes crash_started: (dc->crashed & 1) != 0;
        assigns \nothing;
        ensures refused: \result == PCIDC_E_CRASHED;
    behavior too_many:
        assumes (dc->crashed & 1) == 0 && nr > PCIDC_PLAN_CAPACITY;
        assigns \nothing;
        ensures refused: \result == PCIDC_E_CAPACITY;
    behavior checked:
        assumes (dc->crashed & 1) == 0 && nr <= PCIDC_PLAN_CAPACITY;
        ensures codes: \result == PCIDC_OK || \result == PCIDC_E_DUPLICATE ||
            \result == PCIDC_E_BUS_ORDER || \result == PCIDC_E_RANGE ||
            \result == PCIDC_E_OVERLAP || \result == PCIDC_E_VALUE ||
            \result == PCIDC_E_INVAL;
        ensures kept_on_error: \result != PCIDC_OK ==>
            dc->published == \old(dc->published);
        ensures swapped: \result == PCIDC_OK ==>
            dc->published == \old(pcidc_spare(dc));
        ensures fits: \result == PCIDC_OK ==> dc->published->nr_steps <= nr;
        ensures dma_off: \result == PCIDC_OK ==> pcidc_policy_ok(policy);
        ensures steps: \result == PCIDC_OK ==>
            \forall integer k; 0 <= k < dc->published->nr_steps ==>
                pcidc_step_made(&dc->published->step[k],
                                &func[pcidc_g_step_input[k]], policy);
        ensures fallback_disconnects: \result == PCIDC_OK &&
            pcidc_masks_ok(policy->clear, policy->set) ==>
            \forall integer k; 0 <= k < dc->published->nr_steps ==>
                pcidc_disconnected(dc->published->step[k].fallback,
                                   func[pcidc_g_step_input[k]].command,
                                   policy->clear, policy->set);
        ensures from_input: \result == PCIDC_OK ==>
            \forall integer k; 0 <= k < dc->published->nr_steps ==>
                pcidc_g_step_input[k] < nr &&
                dc->published->step[k].sbdf ==
                    func[pcidc_g_step_input[k]].sbdf &&
                ((policy->flags & PCIDC_POLICY_IGNORE_PRESERVE) != 0 ||
                 (func[pcidc_g_step_input[k]].flags &
                  PCIDC_FUNC_PRESERVE) == 0);
    complete behaviors;
    disjoint behaviors;
*/
int pcidc_plan_build(struct pcidc *dc, const struct pcidc_func *func,
                     unsigned int nr, const struct pcidc_policy *policy);

/* The plan the crash path would walk now, or NULL. */
/*@ requires valid_core: \valid_read(dc);
    assigns \result \from dc->published;
    ensures published: \result == dc->published;
*/
const struct pcidc_plan *pcidc_plan_published(const struct pcidc *dc);

/*
 * Fill *func for the function at sbdf from its config space (vendor, header
 * type, bus numbers), with the given PCIDC_FUNC_PRESERVE flag.  For plan
 * building only.  Returns PCIDC_OK or PCIDC_E_ABSENT.
 */
/*@ requires valid_func: \valid(func);
    requires not_at_crash: pcidc_g_crash_mode == 0;
    assigns *func;
    ensures known_code: \result == PCIDC_OK || \result == PCIDC_E_ABSENT;
    ensures described: \result == PCIDC_OK ==> func->sbdf == sbdf &&
        (func->flags == (flags & PCIDC_FUNC_PRESERVE) ||
         func->flags == ((flags & PCIDC_FUNC_PRESERVE) | PCIDC_FUNC_BRIDGE));
*/
int pcidc_describe(struct pcidc_func *func, uint32_t sbdf, uint8_t flags);

/*
 * The crash path.  The first call runs every step of the published plan, in
 * order -- reads the step's register (unless the step clears every bit) and
 * writes (value & ~clear) | set, or the step's fallback if the read returns
 * all ones -- and returns how many writes it made; later calls (another CPU
 * crashing at the same time) return 0 at once.
 */
/*@ requires valid_core: \valid(dc);
    requires published: pcidc_published_ok(dc);
    requires modelled: pcidc_plan_modelled(dc->published);
    requires at_crash: pcidc_g_crash_mode != 0;
    requires log_room:
        pcidc_g_nr_writes <= PCIDC_G_LOG_MAX - PCIDC_PLAN_CAPACITY;
    requires read_log_room:
        pcidc_g_nr_reads <= PCIDC_G_LOG_MAX - PCIDC_PLAN_CAPACITY;
    requires no_read_pending: pcidc_g_new_reads == 0;
    assigns dc->crashed,
            { pcidc_g_config[dc->published->step[k].sbdf]
                            [dc->published->step[k].reg]
              | integer k; 0 <= k < pcidc_plan_len(dc->published) },
            pcidc_g_log_sbdf[..], pcidc_g_log_reg[..],
            pcidc_g_log_value[..], pcidc_g_log_reads[..], pcidc_g_nr_writes,
            pcidc_g_read_sbdf[..], pcidc_g_read_reg[..],
            pcidc_g_read_value[..], pcidc_g_nr_reads, pcidc_g_new_reads,
            pcidc_g_prior_sbdf[..], pcidc_g_prior_reg[..],
            pcidc_g_prior_value[..];
    ensures once_flag: (dc->crashed & 1) == 1;
    behavior first_call:
        assumes not_run: (dc->crashed & 1) == 0;
        ensures count: \result == pcidc_plan_len(dc->published);
        ensures all_logged:
            pcidc_g_nr_writes == \old(pcidc_g_nr_writes) + \result;
        ensures in_order: pcidc_steps_logged(dc->published, \result,
                                             \old(pcidc_g_nr_writes));
        ensures reads: pcidc_steps_read(dc->published, \result,
                                        \old(pcidc_g_nr_writes));
        ensures unread: pcidc_steps_unread(dc->published, \result,
                                           \old(pcidc_g_nr_writes));
        ensures no_read_after: pcidc_g_new_reads == 0;
        ensures reads_in_plan: pcidc_reads_in_steps(dc->published, \result,
                                                    \old(pcidc_g_nr_reads));
        ensures written: pcidc_steps_written(dc->published, \result,
                                             \old(pcidc_g_nr_writes));
        ensures disconnects: pcidc_steps_disconnect(dc->published, \result,
                                                    \old(pcidc_g_nr_writes));
        ensures reads_old: pcidc_reads_old{Here, Pre}(dc->published, \result,
                                                     \old(pcidc_g_nr_writes));
        // The log's base counted back from its end (see all_logged):
        // E-ACSL 25 evaluates \old() in this nested quantifier after the
        // call, so \old(pcidc_g_nr_writes) would be checked wrongly.
        ensures values: pcidc_steps_applied(dc->published, \result,
                                            pcidc_g_nr_writes - \result);
        ensures frame: \forall integer s, r;
            0 <= s < PCIDC_G_SBDFS && 0 <= r < PCIDC_G_REGS ==>
            pcidc_g_config[s][r] == \old(pcidc_g_config[s][r]) ||
            pcidc_in_steps(dc->published, \result, s, r);
    behavior later_call:
        assumes has_run: (dc->crashed & 1) != 0;
        assigns dc->crashed;
        ensures none: \result == 0;
        ensures no_write: pcidc_g_nr_writes == \old(pcidc_g_nr_writes);
        ensures no_read: pcidc_g_nr_reads == \old(pcidc_g_nr_reads);
    complete behaviors;
    disjoint behaviors;
*/
unsigned int pcidc_crash_disconnect(struct pcidc *dc);

/* A constant string naming a PCIDC_OK / PCIDC_E_* code. */
/*@ assigns \result \from err;
    ensures named: \result != \null;
*/
const char *pcidc_strerror(int err);

/*
 * Port interface: each environment (src/port/<env>/, the unit tests' fake)
 * defines these.  The core calls nothing else.
 */

/* Config write of a 16-bit register.  Called on the crash path: no locks. */
/*@ requires modelled: sbdf < PCIDC_G_SBDFS;
    requires register: reg < PCIDC_G_REGS && reg % 2 == 0;
    requires log_room: pcidc_g_nr_writes < PCIDC_G_LOG_MAX;
    assigns pcidc_g_config[sbdf][reg], pcidc_g_nr_writes,
            pcidc_g_log_sbdf[pcidc_g_nr_writes],
            pcidc_g_log_reg[pcidc_g_nr_writes],
            pcidc_g_log_value[pcidc_g_nr_writes],
            pcidc_g_log_reads[pcidc_g_nr_writes], pcidc_g_new_reads;
    ensures written: pcidc_g_config[sbdf][reg] == value;
    ensures logged: pcidc_logged(\old(pcidc_g_nr_writes), sbdf, reg, value);
    ensures reads_before:
        pcidc_g_log_reads[\old(pcidc_g_nr_writes)] == \old(pcidc_g_new_reads) &&
        pcidc_g_new_reads == 0;
    ensures counted: pcidc_g_nr_writes == \old(pcidc_g_nr_writes) + 1;
*/
void pcidc_port_conf_write16(uint32_t sbdf, unsigned int reg, uint16_t value);

/*
 * Config read of a 16-bit register on the crash path: no locks, the same
 * raw access as pcidc_port_conf_write16().  All ones if nothing answers.
 */
/*@ requires modelled: sbdf < PCIDC_G_SBDFS;
    requires register: reg < PCIDC_G_REGS && reg % 2 == 0;
    requires at_crash: pcidc_g_crash_mode != 0;
    requires log_room: pcidc_g_nr_reads < PCIDC_G_LOG_MAX &&
        pcidc_g_new_reads < PCIDC_G_LOG_MAX;
    requires write_room: pcidc_g_nr_writes < PCIDC_G_LOG_MAX;
    assigns pcidc_g_nr_reads, pcidc_g_new_reads,
            pcidc_g_read_sbdf[pcidc_g_nr_reads],
            pcidc_g_read_reg[pcidc_g_nr_reads],
            pcidc_g_read_value[pcidc_g_nr_reads],
            pcidc_g_prior_sbdf[pcidc_g_nr_writes],
            pcidc_g_prior_reg[pcidc_g_nr_writes],
            pcidc_g_prior_value[pcidc_g_nr_writes];
    ensures read: \result == pcidc_g_config[sbdf][reg];
    ensures logged: pcidc_read_logged(\old(pcidc_g_nr_reads), sbdf, reg) &&
        pcidc_g_read_value[\old(pcidc_g_nr_reads)] == \result;
    ensures prior: pcidc_g_prior_sbdf[pcidc_g_nr_writes] == sbdf &&
        pcidc_g_prior_reg[pcidc_g_nr_writes] == reg &&
        pcidc_g_prior_value[pcidc_g_nr_writes] == \result;
    ensures counted: pcidc_g_nr_reads == \old(pcidc_g_nr_reads) + 1 &&
        pcidc_g_new_reads == \old(pcidc_g_new_reads) + 1;
*/
uint16_t pcidc_port_crash_read16(uint32_t sbdf, unsigned int reg);

/* Config read of an aligned dword.  Plan building only, never at crash. */
/*@ requires not_at_crash: pcidc_g_crash_mode == 0;
    assigns \nothing;
*/
uint32_t pcidc_port_conf_read32(uint32_t sbdf, unsigned int reg);

/* Atomically set bit 0 of *word; return its old value (0 or 1). */
/*@ requires valid_word: \valid(word);
    assigns *word;
    ensures bit_set: *word == (\old(*word) | 1);
    ensures old_bit: \result == (\old(*word) & 1);
*/
int pcidc_port_test_and_set(unsigned long *word);

/*
 * Write barrier: stores before it are visible to other CPUs before stores
 * after it (Xen: smp_wmb()).  Orders a plan's contents before its
 * publication.
 */
/*@ assigns \nothing; */
void pcidc_port_wmb(void);

/*
 * Full barrier: loads and stores before it are visible to other CPUs
 * before loads and stores after it (Xen: smp_mb()).  Orders plan
 * building's last publication before its read of the crashed flag.
 */
/*@ assigns \nothing; */
void pcidc_port_mb(void);

#endif /* PCIDC_H */
