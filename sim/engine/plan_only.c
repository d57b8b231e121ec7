/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * plan_only: crashsim --plan-only.  QEMU started and enumerated, no
 * workload, no DMA: the bus table and each policy's config writes, with
 * the steps that read COMMAND at the crash marked and shown with the
 * value they read now.  crash_plan_collect gives the same steps as data
 * (crashsim --check compares them with what the crash path wrote).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "base/sbdf.h"

/* The policy's line above its steps: how many, and which read COMMAND. */
static void print_header(FILE *out, const char *name,
                         const struct crash_plan_step *step, unsigned int n)
{
    unsigned int i, reads = 0;

    for (i = 0; i < n; i++)
        reads += step[i].reads;
    fprintf(out, "%s: %u write%s, ", name, n, n == 1 ? "" : "s");
    if (!n)
        fprintf(out, "no config read\n");
    else if (!reads)
        fprintf(out, "no step reads COMMAND: each writes 0x%04x whatever "
                "COMMAND holds\n", step[0].value);
    else if (reads == n && step[0].set)
        fprintf(out, "every step reads COMMAND at the crash and writes "
                "(read & ~0x%04x) | 0x%04x\n", step[0].clear, step[0].set);
    else if (reads == n)
        fprintf(out, "every step reads COMMAND at the crash and writes "
                "read & ~0x%04x\n", step[0].clear);
    else
        fprintf(out, "%u step%s read%s COMMAND at the crash\n", reads,
                reads == 1 ? "" : "s", reads == 1 ? "s" : "");
}

static void print_plan(FILE *out, const char *name,
                       const struct crash_plan_step *step, unsigned int n)
{
    char sbdf[SBDF_STR_LEN];
    unsigned int i;

    print_header(out, name, step, n);
    for (i = 0; i < n; i++) {
        const struct crash_plan_step *s = &step[i];

        fprintf(out, "  %3u  %s  COMMAND = 0x%04x",  i + 1,
                sbdf_str(s->sbdf, sbdf, sizeof(sbdf)), s->value);
        if (s->reads)
            fprintf(out, "  (reads COMMAND at the crash: 0x%04x now", s->now);
        if (s->reads && s->has_fallback)
            fprintf(out, "; all ones: writes 0x%04x", s->fallback);
        fprintf(out, "%s\n", s->reads ? ")" : "");
    }
}

/*
 * The steps of the core's published plan for p (seed, decode-off or
 * pcidc), each with what it would write if the crash came now: 0 or -1.
 */
static int core_steps(struct crash_machine *m, enum crash_policy p,
                      struct crash_plan_step *step, unsigned int max,
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
        struct crash_plan_step *w = &step[(*n)++];

        memset(w, 0, sizeof(*w));
        w->sbdf = s->sbdf;
        w->clear = s->clear;
        w->set = s->set;
        w->value = s->set;
        if (s->clear == PCIDC_ALL_BITS)
            continue;
        w->reads = true;
        w->has_fallback = true;
        w->fallback = s->fallback;
        w->now = qpci_cfg_read16(m->bus, s->sbdf, s->reg);
        w->value = w->now == PCIDC_ALL_BITS ? s->fallback :
                   (uint16_t)((w->now & ~s->clear) | s->set);
    }
    return 0;
}

/* Policy p's steps into out (not printed). */
static int steps_of(struct crash_machine *m, enum crash_policy p,
                    struct crash_plans *out)
{
    unsigned int *n = &out->nr_steps[p];

    *n = 0;
    out->listed[p] = true;
    if (crash_path_uses_core(p))
        return core_steps(m, p, out->step[p], CRASH_MAX_STEPS, n);
    if (p == CRASH_LINUX_KEXEC)
        *n = crash_path_kexec_steps(m, out->step[p], CRASH_MAX_STEPS);
    return 0;
}

static void print_policy(const struct crash_machine *m, enum crash_policy p,
                         const struct crash_plans *plans, FILE *out)
{
    print_plan(out, crash_policy_name(p), plans->step[p], plans->nr_steps[p]);
    if (p == CRASH_IOMMU_ON)
        fprintf(out, "  (no disconnect: VT-d translation stays on)\n");
    else if (crash_spec_has_iommu(m->opts->spec))
        fprintf(out, "  then VT-d translation off (GCMD.TE cleared)\n");
    if (p == CRASH_LINUX_KEXEC)
        fprintf(out, "  (Linux's read-modify-write, children first: "
                "Bus Master cleared, every other bit kept)\n");
    if (p == CRASH_PF_ONLY)
        fprintf(out, "  (a control: pcidc's plan without the SR-IOV VFs, "
                "which keep their own Bus Master)\n");
}

/*
 * QEMU started and enumerated, every wanted policy's steps into plans; the
 * bus table and the plans printed to out unless it is NULL.
 */
static int plans_on_fresh_qemu(const struct crash_opts *opts,
                               const bool want[CRASH_NR_POLICIES],
                               struct crash_plans *plans, FILE *out,
                               char *err, size_t errlen)
{
    struct crash_machine *m = calloc(1, sizeof(*m));
    unsigned int p;
    int rc = -1;

    memset(plans, 0, sizeof(*plans));
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->opts = opts;
    m->policy = CRASH_NONE;
    if (!machine_start_qemu(m) && !machine_enumerate(m) &&
        !machine_find_devices(m) && !devkind_plan_only_vfs(m)) {
        if (out)
            qpci_print(m->bus, out);
        for (p = 0; p < CRASH_NR_POLICIES; p++) {
            if (!want[p] || steps_of(m, (enum crash_policy)p, plans))
                continue;
            if (out)
                print_policy(m, (enum crash_policy)p, plans, out);
        }
        rc = qts_error(m->q) ? -1 : 0;
    }
    if (rc)
        snprintf(err, errlen, "%s",
                 m->q && qts_error(m->q) ? qts_error(m->q) : "out of memory");
    machine_teardown(m);
    free(m);
    return rc;
}

int crash_plan_only(const struct crash_opts *opts,
                    const bool want[CRASH_NR_POLICIES], FILE *out,
                    char *err, size_t errlen)
{
    struct crash_plans *plans = malloc(sizeof(*plans));
    int rc;

    if (!plans) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rc = plans_on_fresh_qemu(opts, want, plans, out, err, errlen);
    free(plans);
    return rc;
}

int crash_plan_collect(const struct crash_opts *opts,
                       const bool want[CRASH_NR_POLICIES],
                       struct crash_plans *out, char *err, size_t errlen)
{
    return plans_on_fresh_qemu(opts, want, out, NULL, err, errlen);
}
