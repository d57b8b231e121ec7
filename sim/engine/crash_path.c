/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * crash_path: what each policy does on the crash path.
 *
 *   none         nothing
 *   seed, decode-off, pcidc
 *                the core's plan over the functions in Xen's order, run by
 *                pcidc_crash_disconnect: PCIDC_POLICY_SEED (COMMAND = 0,
 *                list order), PCIDC_POLICY_DECODE_OFF (COMMAND = 0x0400,
 *                bridges first) or PCIDC_POLICY_DEFAULT (COMMAND read at the
 *                crash, Bus Master cleared, INTx Disable set, bridges first)
 *   linux-kexec  Linux's kexec shutdown: Bus Master cleared by a
 *                read-modify-write of COMMAND, children first
 *   iommu-on     nothing here (run.c leaves VT-d translation on)
 *   pf-only      a control, not a proposal: pcidc's plan built from every
 *                function but the SR-IOV VFs, as a crash path that knows
 *                only physical functions would build it (a VF has a Bus
 *                Master Enable of its own: docs/device-behaviour.md)
 *
 * Config cycles go through the user port, whose write hook samples the
 * devices after every write (workload.c).  With crash_opts.republish a
 * second plan is published from the port's hooks while the core's crash
 * path runs (crash.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "base/clock.h"
#include "base/sbdf.h"
#include "port/pcidc_port_user.h"

static int cmp_sbdf_desc(const void *a, const void *b)
{
    const struct pcidc_func *x = a, *y = b;

    return x->sbdf < y->sbdf ? 1 : x->sbdf > y->sbdf ? -1 : 0;
}

/*
 * The functions as Xen's alldevs_list holds them: discovered bus by bus,
 * devfn by devfn, each new pci_dev added at the head (list_add), so the
 * list runs from the last discovered to the first.  The seed walks it in
 * that order; pcidc gets the same input.  Each is described by the core's
 * pcidc_describe() from QEMU's config space, as the Xen port does.
 */
static int xen_order(struct crash_machine *m, enum crash_policy policy,
                     struct pcidc_func *out, unsigned int max)
{
    char sbdf[SBDF_STR_LEN];
    unsigned int i, n = 0;

    if (m->bus->nr > max)
        return qts_fail(m->q, "too many PCI functions for a plan");
    pcidc_port_user_set_bus(m->bus);
    for (i = 0; i < m->bus->nr; i++) {
        const struct qpci_func *f = &m->bus->func[i];
        uint8_t flags = f->preserve ? PCIDC_FUNC_PRESERVE : 0;

        if (f->is_vf && policy == CRASH_PF_ONLY)
            continue;
        /* A VF reads 0xffff as vendor ID and is never a bridge: described
         * without a config read, as the Xen port's describe() does. */
        if (f->is_vf) {
            memset(&out[n], 0, sizeof(out[n]));
            out[n].sbdf = f->sbdf;
            out[n++].flags = flags;
            continue;
        }
        if (pcidc_describe(&out[n++], f->sbdf, flags) != PCIDC_OK)
            return qts_fail(m->q, "%s does not answer config reads",
                            sbdf_str(f->sbdf, sbdf, sizeof(sbdf)));
    }
    if (qts_error(m->q))
        return -1;
    qsort(out, n, sizeof(*out), cmp_sbdf_desc);
    return (int)n;
}

bool crash_path_uses_core(enum crash_policy policy)
{
    return policy == CRASH_SEED || policy == CRASH_DECODE_OFF ||
           policy == CRASH_PCIDC || policy == CRASH_PF_ONLY;
}

int crash_path_build_plan(struct crash_machine *m, enum crash_policy policy)
{
    const struct pcidc_policy seed = PCIDC_POLICY_SEED;
    const struct pcidc_policy decode_off = PCIDC_POLICY_DECODE_OFF;
    const struct pcidc_policy dflt = PCIDC_POLICY_DEFAULT;
    struct core_input *in;
    int n, rc;

    free(m->core);
    m->core = in = calloc(1, sizeof(*in));
    if (!in)
        return qts_fail(m->q, "out of memory");
    in->policy = policy == CRASH_SEED ? seed :
                 policy == CRASH_DECODE_OFF ? decode_off : dflt;
    n = xen_order(m, policy, in->func, QPCI_MAX_FUNCS);
    if (n < 0)
        return -1;
    in->nr_func = (unsigned int)n;
    rc = pcidc_plan_build(&in->dc, in->func, (unsigned int)n, &in->policy);
    if (rc)
        return qts_fail(m->q, "plan building failed: %s", pcidc_strerror(rc));
    return 0;
}

/* Linux's kexec shutdown: clear Bus Master only, children first. */
static void linux_kexec_path(struct crash_machine *m)
{
    unsigned int i;
    uint32_t cmd;

    for (i = m->bus->nr; i-- > 0;) {
        uint32_t sbdf = m->bus->func[i].sbdf;

        cmd = pcidc_port_conf_read32(sbdf, PCIDC_COMMAND) & 0xffff;
        pcidc_port_conf_write16(sbdf, PCIDC_COMMAND,
                                (uint16_t)(cmd & ~PCIDC_COMMAND_MASTER));
    }
}

unsigned int crash_path_kexec_steps(struct crash_machine *m,
                                    struct crash_plan_step *step, unsigned int max)
{
    unsigned int i, n = 0;

    for (i = m->bus->nr; i-- > 0 && n < max; n++) {
        uint16_t cmd = qpci_cfg_read16(m->bus, m->bus->func[i].sbdf,
                                       PCIDC_COMMAND);

        memset(&step[n], 0, sizeof(step[n]));
        step[n].sbdf = m->bus->func[i].sbdf;
        step[n].value = cmd & ~PCIDC_COMMAND_MASTER;
        step[n].reads = true;
        step[n].now = cmd;
        step[n].clear = PCIDC_COMMAND_MASTER;
    }
    return n;
}

/* --- a plan published while the crash path runs ----------------------------- */

/* true when the engine drives bus function f (a DMA endpoint or a UART). */
static bool driven(const struct crash_machine *m, int f)
{
    unsigned int i;

    for (i = 0; i < m->nr_devs; i++)
        if (m->dev[i].func == f)
            return true;
    for (i = 0; i < m->nr_consoles; i++)
        if (m->console[i].func == f)
            return true;
    return false;
}

/* The function the second plan leaves out (crash.h), or -1. */
static int republish_victim(const struct crash_machine *m)
{
    const struct core_input *in = m->core;
    unsigned int i;

    for (i = 0; i < in->nr_func; i++) {
        const struct pcidc_func *f = &in->func[i];

        if (f->flags & (PCIDC_FUNC_BRIDGE | PCIDC_FUNC_PRESERVE))
            continue;
        if (!driven(m, qpci_find(m->bus, f->sbdf)))
            return (int)i;
    }
    return -1;
}

/* Build and publish the second plan, once; what it holds into the result. */
static void republish_now(struct crash_machine *m)
{
    struct crash_republication *rp = &m->res->republication;
    struct core_input *in = m->core;
    const struct pcidc_plan *plan;
    unsigned int i, n = 0;
    int victim;

    if (rp->done)
        return;
    rp->done = true;
    victim = republish_victim(m);
    for (i = 0; i < in->nr_func; i++)
        if ((int)i != victim)
            in->func2[n++] = in->func[i];
    rp->dropped = victim >= 0;
    rp->dropped_sbdf = victim >= 0 ? in->func[victim].sbdf : 0;
    in->policy2 = in->policy;
    in->policy2.set |= CRASH_REPUBLISH_MARK;
    rp->build_rc = pcidc_plan_build(&in->dc, in->func2, n, &in->policy2);
    snprintf(rp->build_result, sizeof(rp->build_result), "%s",
             pcidc_strerror(rp->build_rc));
    rp->refused_crashed = rp->build_rc == PCIDC_E_CRASHED;
    plan = pcidc_plan_published(&in->dc);
    if (rp->build_rc != PCIDC_OK || !plan)
        return;
    for (i = 0; i < plan->nr_steps && i < CRASH_MAX_STEPS; i++)
        rp->sbdf[i] = plan->step[i].sbdf;
    rp->nr_steps = i;
}

static void on_crash_write(void *arg, unsigned long nr, uint32_t sbdf,
                           unsigned int reg, uint16_t value)
{
    struct crash_machine *m = arg;

    (void)reg;
    workload_on_crash_write(m, nr, sbdf, value);
    if (m->opts->republish && m->opts->republish_at == nr &&
        crash_path_uses_core(m->policy))
        republish_now(m);
}

static void on_crash_test_and_set(void *arg)
{
    struct crash_machine *m = arg;

    if (m->opts->republish && m->opts->republish_at == 0 &&
        crash_path_uses_core(m->policy))
        republish_now(m);
}

/* --- the crash path ---------------------------------------------------------- */

void crash_path_run(struct crash_machine *m)
{
    struct pcidc_port_user_counts c;
    double t;

    pcidc_port_user_set_bus(m->bus);
    pcidc_port_user_reset_counts();
    pcidc_port_user_set_write_hook(on_crash_write, m);
    pcidc_port_user_set_tas_hook(on_crash_test_and_set, m);
    m->res->republication.asked = m->opts->republish &&
                                  crash_path_uses_core(m->policy);
    m->res->republication.at = m->opts->republish_at;
    m->writes = 0;
    m->hook_ms = 0;
    t = m->t_crash = clock_ms();
    m->in_crash = true;
    workload_watch_intx(m);

    if (crash_path_uses_core(m->policy))
        pcidc_crash_disconnect(&m->core->dc);
    else if (m->policy == CRASH_LINUX_KEXEC)
        linux_kexec_path(m);
    m->res->crash_path_config_ms = clock_ms() - t - m->hook_ms;
    m->res->path_end_ms = clock_ms() - t;
    pcidc_port_user_set_write_hook(NULL, NULL);
    pcidc_port_user_set_tas_hook(NULL, NULL);
    pcidc_port_user_get_counts(&c);
    m->res->config_writes = c.conf_writes;
    m->res->config_reads = c.conf_reads;
    m->res->crash_reads = c.crash_reads;
}
