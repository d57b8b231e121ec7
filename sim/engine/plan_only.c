/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * plan_only: crashsim --plan-only.  QEMU started and enumerated, no
 * workload, no DMA: the bus table and each policy's config writes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "engine.h"
#include "base/sbdf.h"

static void print_plan(FILE *out, const char *name,
                       const struct crash_step *step, unsigned int n)
{
    char sbdf[SBDF_STR_LEN];
    unsigned int i;

    fprintf(out, "%s: %u write%s\n", name, n, n == 1 ? "" : "s");
    for (i = 0; i < n; i++)
        fprintf(out, "  %3u  %s  COMMAND = 0x%04x\n", i + 1,
                sbdf_str(step[i].sbdf, sbdf, sizeof(sbdf)), step[i].value);
}

/* The steps of the core's published plan for p (seed or pcidc): 0 or -1. */
static int core_steps(struct crash_machine *m, enum crash_policy p,
                      struct crash_step *step, unsigned int max,
                      unsigned int *n)
{
    const struct pcidc_plan *plan;
    unsigned int i;

    *n = 0;
    if (crash_path_build_plan(m, p))
        return -1;
    plan = pcidc_plan_published(&m->core->dc);
    for (i = 0; plan && i < plan->nr_steps && *n < max; i++) {
        const struct pcidc_step *s = &plan->step[i];
        uint16_t now = s->clear == PCIDC_ALL_BITS ? 0 :
                       qpci_cfg_read16(m->bus, s->sbdf, s->reg);

        step[*n].sbdf = s->sbdf;
        step[(*n)++].value = now == PCIDC_ALL_BITS ? s->fallback :
                             (uint16_t)((now & ~s->clear) | s->set);
    }
    return 0;
}

static void plan_of(struct crash_machine *m, enum crash_policy p, FILE *out)
{
    static struct crash_step step[CRASH_MAX_STEPS];
    unsigned int n = 0;

    if (p == CRASH_SEED || p == CRASH_PCIDC) {
        if (core_steps(m, p, step, CRASH_MAX_STEPS, &n))
            return;
    } else if (p == CRASH_LINUX_KEXEC) {
        n = crash_path_kexec_steps(m, step, CRASH_MAX_STEPS);
    }
    print_plan(out, crash_policy_name(p), step, n);
    if (p == CRASH_IOMMU_ON)
        fprintf(out, "  (no disconnect: VT-d translation stays on)\n");
    else if (crash_spec_has_iommu(m->opts->spec))
        fprintf(out, "  then VT-d translation off (GCMD.TE cleared)\n");
    if (p == CRASH_LINUX_KEXEC)
        fprintf(out, "  (read-modify-write: values as COMMAND reads now, "
                "Bus Master cleared)\n");
}

int crash_plan_only(const struct crash_opts *opts,
                    const bool want[CRASH_NR_POLICIES], FILE *out,
                    char *err, size_t errlen)
{
    struct crash_machine *m = calloc(1, sizeof(*m));
    unsigned int p;
    int rc = -1;

    if (!m) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->opts = opts;
    m->policy = CRASH_NONE;
    if (!machine_start_qemu(m) && !machine_enumerate(m) &&
        !machine_find_devices(m)) {
        qpci_print(m->bus, out);
        for (p = 0; p < CRASH_NR_POLICIES; p++)
            if (want[p])
                plan_of(m, (enum crash_policy)p, out);
        rc = qts_error(m->q) ? -1 : 0;
    }
    if (rc)
        snprintf(err, errlen, "%s",
                 m->q && qts_error(m->q) ? qts_error(m->q) : "out of memory");
    machine_teardown(m);
    free(m);
    return rc;
}
