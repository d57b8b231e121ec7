/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The E-ACSL bundle: instrumented in one Frama-C run together with the
 * core, src/crash.c and src/plan.c (proofs/eacsl/eacsl.sh), so that the
 * core's ACSL contracts are checked while it runs.  It holds:
 *
 *  - pcidc_eacsl_conf_write16(): the bundle is built with
 *    -Dpcidc_port_conf_write16=pcidc_eacsl_conf_write16, so the core's config
 *    writes land here, under the port contract of src/pcidc.h.  It calls the
 *    environment's own pcidc_port_conf_write16() and keeps the ghost machine
 *    (proofs/pcidc_model.h) in step with it; pcidc_eacsl_crash_read16()
 *    likewise (the crash-time read: only in crash mode, logged), and
 *    pcidc_eacsl_conf_read32() and pcidc_eacsl_test_and_set() put the
 *    environment's plan-time config read (never in crash mode) and
 *    test-and-set under their contracts;
 *  - pcidc_checked_*(): what an application calls instead of the core's
 *    functions (compile it with -Dpcidc_crash_disconnect=
 *    pcidc_checked_crash_disconnect and so on).  E-ACSL checks a contract
 *    at instrumented call sites only: these are those call sites.  The crash
 *    entry also sets the ghost crash mode, which forbids plan-time config
 *    reads and allows crash-time ones;
 *  - main(): forwards to the application's main, compiled as
 *    pcidc_eacsl_app_main (-Dmain=pcidc_eacsl_app_main): the translation unit
 *    holding main must be instrumented.
 *
 * Memory the core is handed (struct pcidc, the function list, the policy)
 * must come from malloc/calloc: E-ACSL tracks the heap of uninstrumented
 * code, not its static variables.
 */
#include "pcidc.h"

#undef pcidc_port_conf_write16
void pcidc_port_conf_write16(uint32_t sbdf, unsigned int reg, uint16_t value);

void pcidc_eacsl_conf_write16(uint32_t sbdf, unsigned int reg, uint16_t value)
{
    pcidc_port_conf_write16(sbdf, reg, value);
    /*@ ghost
        pcidc_g_config[sbdf][reg] = value;
        pcidc_g_log_sbdf[pcidc_g_nr_writes] = sbdf;
        pcidc_g_log_reg[pcidc_g_nr_writes] = reg;
        pcidc_g_log_value[pcidc_g_nr_writes] = value;
        pcidc_g_log_reads[pcidc_g_nr_writes] = pcidc_g_new_reads;
        pcidc_g_new_reads = 0;
        pcidc_g_nr_writes++;
    */
}

#undef pcidc_port_crash_read16
uint16_t pcidc_port_crash_read16(uint32_t sbdf, unsigned int reg);

/*
 * Under the crash-time read's contract (only in crash mode).  The ghost
 * cell takes the value the device returned: the ghost config space is in
 * step with the devices where the core read or wrote them.
 */
uint16_t pcidc_eacsl_crash_read16(uint32_t sbdf, unsigned int reg)
{
    uint16_t value = pcidc_port_crash_read16(sbdf, reg);

    /*@ ghost
        pcidc_g_config[sbdf][reg] = value;
        pcidc_g_read_sbdf[pcidc_g_nr_reads] = sbdf;
        pcidc_g_read_reg[pcidc_g_nr_reads] = reg;
        pcidc_g_read_value[pcidc_g_nr_reads] = value;
        pcidc_g_prior_sbdf[pcidc_g_nr_writes] = sbdf;
        pcidc_g_prior_reg[pcidc_g_nr_writes] = reg;
        pcidc_g_prior_value[pcidc_g_nr_writes] = value;
        pcidc_g_nr_reads++;
        pcidc_g_new_reads++;
    */
    return value;
}

#undef pcidc_port_conf_read32
uint32_t pcidc_port_conf_read32(uint32_t sbdf, unsigned int reg);

/* Under the port's read contract: never in crash mode. */
uint32_t pcidc_eacsl_conf_read32(uint32_t sbdf, unsigned int reg)
{
    return pcidc_port_conf_read32(sbdf, reg);
}

#undef pcidc_port_test_and_set
int pcidc_port_test_and_set(unsigned long *word);

/* Under the port's test-and-set contract (-Dpcidc_port_test_and_set=...). */
int pcidc_eacsl_test_and_set(unsigned long *word)
{
    return pcidc_port_test_and_set(word);
}

/*
 * What WP does not prove of plan building (proofs/README.md, "Not proved"),
 * stated for the run-time check only: E-ACSL checks the contract of
 * plan_build_checked_more() below after every build, in make eacsl and
 * under crashsim --contracts.  pcidc_rt_forwards(b, sbdf): function b is a
 * bridge whose bus range holds sbdf's bus, in sbdf's segment.  The
 * pcidc_g_step_input[k] of a plan are the input indices of its steps.
 */
/*@ predicate pcidc_rt_forwards{L}(struct pcidc_func *b, integer sbdf) =
        (b->flags & PCIDC_FUNC_BRIDGE) != 0 &&
        (b->sbdf >> 16) == (sbdf >> 16) &&
        b->secondary <= ((sbdf >> 8) & 0xff) &&
        ((sbdf >> 8) & 0xff) <= b->subordinate;

    predicate pcidc_rt_bridges_first{L}(struct pcidc_plan *p,
                                        struct pcidc_func *func) =
        \forall integer a, b; 0 <= a < p->nr_steps && 0 <= b < p->nr_steps ==>
            (pcidc_rt_forwards(&func[pcidc_g_step_input[b]],
                               p->step[a].sbdf) ==> b < a);

    predicate pcidc_rt_input_order{L}(struct pcidc_plan *p) =
        \forall integer a; 0 <= a < p->nr_steps - 1 ==>
            pcidc_g_step_input[a] < pcidc_g_step_input[a + 1];

    predicate pcidc_rt_distinct{L}(struct pcidc_plan *p) =
        \forall integer a, b; 0 <= a < p->nr_steps && 0 <= b < p->nr_steps ==>
            (a != b ==> p->step[a].sbdf != p->step[b].sbdf);

    predicate pcidc_rt_upstream_kept{L}(struct pcidc_plan *p,
                                        struct pcidc_func *func,
                                        integer nr) =
        \forall integer k, j; 0 <= k < p->nr_steps && 0 <= j < nr ==>
            ((func[j].flags & PCIDC_FUNC_PRESERVE) != 0 ==>
             !pcidc_rt_forwards(&func[pcidc_g_step_input[k]], func[j].sbdf));

    predicate pcidc_rt_planned{L}(struct pcidc_plan *p, integer j) =
        \exists integer k; 0 <= k < p->nr_steps && pcidc_g_step_input[k] == j;

    predicate pcidc_rt_all_planned{L}(struct pcidc_plan *p, integer nr) =
        \forall integer j; 0 <= j < nr ==> pcidc_rt_planned(p, j);

    predicate pcidc_rt_kept{L}(struct pcidc_func *func, integer nr,
                               integer j) =
        (func[j].flags & PCIDC_FUNC_PRESERVE) != 0 ||
        (\exists integer q; 0 <= q < nr &&
            (func[q].flags & PCIDC_FUNC_PRESERVE) != 0 &&
            pcidc_rt_forwards(&func[j], func[q].sbdf));

    predicate pcidc_rt_others_planned{L}(struct pcidc_plan *p,
                                         struct pcidc_func *func,
                                         integer nr) =
        \forall integer j; 0 <= j < nr ==>
            (!pcidc_rt_kept(func, nr, j) ==> pcidc_rt_planned(p, j));
*/

unsigned int pcidc_checked_crash_disconnect(struct pcidc *dc);
int pcidc_checked_plan_build(struct pcidc *dc, const struct pcidc_func *func,
                             unsigned int nr,
                             const struct pcidc_policy *policy);

/*
 * pcidc_plan_build() under its own contract (checked at this call) and the
 * run-time-only one here (checked where pcidc_checked_plan_build() calls
 * it: E-ACSL checks a contract at instrumented call sites).
 */
/*@ ensures bridges_first: \result == PCIDC_OK &&
        (policy->flags & PCIDC_POLICY_INPUT_ORDER) == 0 ==>
        pcidc_rt_bridges_first(dc->published, func);
    ensures input_order: \result == PCIDC_OK &&
        (policy->flags & PCIDC_POLICY_INPUT_ORDER) != 0 ==>
        pcidc_rt_input_order(dc->published);
    ensures distinct: \result == PCIDC_OK ==>
        pcidc_rt_distinct(dc->published);
    ensures upstream_kept: \result == PCIDC_OK &&
        (policy->flags & PCIDC_POLICY_IGNORE_PRESERVE) == 0 ==>
        pcidc_rt_upstream_kept(dc->published, func, nr);
    ensures complete: \result == PCIDC_OK &&
        (policy->flags & PCIDC_POLICY_IGNORE_PRESERVE) == 0 ==>
        pcidc_rt_others_planned(dc->published, func, nr);
    ensures complete_all: \result == PCIDC_OK &&
        (policy->flags & PCIDC_POLICY_IGNORE_PRESERVE) != 0 ==>
        pcidc_rt_all_planned(dc->published, nr);
*/
static int plan_build_checked_more(struct pcidc *dc,
                                   const struct pcidc_func *func,
                                   unsigned int nr,
                                   const struct pcidc_policy *policy)
{
    return pcidc_plan_build(dc, func, nr, policy);
}
int pcidc_checked_describe(struct pcidc_func *func, uint32_t sbdf,
                           uint8_t flags);
const struct pcidc_plan *pcidc_checked_plan_published(const struct pcidc *dc);

unsigned int pcidc_checked_crash_disconnect(struct pcidc *dc)
{
    unsigned int done;

    /*@ ghost pcidc_g_crash_mode = 1; */
    done = pcidc_crash_disconnect(dc);
    /*@ ghost pcidc_g_crash_mode = 0; */
    return done;
}

int pcidc_checked_plan_build(struct pcidc *dc, const struct pcidc_func *func,
                             unsigned int nr, const struct pcidc_policy *policy)
{
    return plan_build_checked_more(dc, func, nr, policy);
}

int pcidc_checked_describe(struct pcidc_func *func, uint32_t sbdf,
                           uint8_t flags)
{
    return pcidc_describe(func, sbdf, flags);
}

const struct pcidc_plan *pcidc_checked_plan_published(const struct pcidc *dc)
{
    return pcidc_plan_published(dc);
}

int pcidc_eacsl_app_main(int argc, char **argv);

int main(int argc, char **argv)
{
    return pcidc_eacsl_app_main(argc, argv);
}
