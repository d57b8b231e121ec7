/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * run: one policy on a fresh QEMU, phase by phase (crash.h has the flow):
 * set-up, workload, the crash, the crash state, the window, the
 * comparison, the figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "base/clock.h"

/* The fault-record probe: the first NIC's next RX buffer loses its mapping. */
static int iommu_probe(struct crash_machine *m)
{
    unsigned int i;

    for (i = 0; i < m->nr_devs; i++) {
        const struct e1000_dev *n = &m->dev[i].e1000;
        uint64_t next_buf;

        if (m->dev[i].kind != DEV_E1000)
            continue;
        engine_note(m, "probe: %s RX buffer %u unmapped", n->name,
                    n->frames_sent);
        next_buf = n->rx_bufs + (uint64_t)n->frames_sent * E1000_RX_BUF;
        return iommu_unmap_page(m->iommu,
                                iommu_bus_addr(m->iommu, next_buf));
    }
    return 0;
}

/* The last things the live system did before the crash. */
static int before_crash(struct crash_machine *m)
{
    unsigned int i;

    /* Top up the AHCI queues. */
    for (i = 0; i < m->nr_devs; i++)
        if (m->dev[i].kind == DEV_AHCI)
            workload_sample_dev(m, &m->dev[i], false);
    if (workload_refill_ahci(m))
        return -1;
    workload_ack_all(m);
    /*
     * QEMU's AHCI re-sends its MSI when an acknowledgement leaves status
     * bits set: poll the word once more so that MSI is not taken for one
     * sent after the crash.
     */
    for (i = 0; i < m->nr_devs; i++)
        if (m->dev[i].kind == DEV_AHCI)
            ahci_msi_poll(&m->dev[i].ahci);
    qts_irq_poll(m->q, 0);
    if (m->iommu) {
        /* Faults from the set-up and warm-up are not the crash's. */
        iommu_poll_faults(m->iommu);
        iommu_clear_faults(m->iommu);
        if (m->opts->iommu_probe && iommu_probe(m))
            return -1;
    }
    return 0;
}

static int crash_phase(struct crash_machine *m)
{
    unsigned int pin;
    double t;

    if (before_crash(m) || reach_before_crash(m))
        return -1;
    t = clock_ms();
    crash_path_run(m);
    /* Then what Xen's iommu_crash_shutdown() does, unless iommu-on. */
    if (m->iommu && m->policy != CRASH_IOMMU_ON &&
        iommu_crash_shutdown(m->iommu))
        return -1;
    m->res->crash_path_ms = clock_ms() - t;
    /* What Xen prints next, on its serial console. */
    reach_print_console(m);
    /* What the kdump kernel would meet: lines still asserted, then edges. */
    qts_irq_poll(m->q, 0);
    for (pin = 1; pin < QTS_MAX_IRQ; pin++) {
        m->irq_base[pin] = qts_irq_raises(m->q, pin);
        m->irq_pending[pin] = qts_irq_level(m->q, pin) ? 1 : 0;
        if (m->irq_pending[pin])
            workload_event(m, CRASH_EV_INTX_HIGH, -1, pin, 0, 1);
    }
    if (qts_error(m->q))
        return -1;
    engine_note(m, "crash path: %lu writes, %lu reads in %.1f ms",
                m->res->config_writes, m->res->config_reads,
                m->res->crash_path_ms);
    return 0;
}

/* Crash state, window, comparison. */
static int after_crash(struct crash_machine *m)
{
    unsigned int i;
    double t;

    t = clock_ms();
    if (guard_record_crash_state(m))
        return -1;
    engine_note(m, "crash state: %llu guarded bytes copied in %.0f ms",
                (unsigned long long)m->res->guarded_bytes, clock_ms() - t);
    m->res->window_start_ms = clock_ms() - m->t_crash;
    if (workload_run_window(m))
        return -1;
    m->res->window_end_ms = clock_ms() - m->t_crash;
    t = clock_ms();
    if (guard_compare_all(m))
        return -1;
    /* DMA that landed while the comparison read memory counts too. */
    for (i = 0; i < m->nr_devs; i++)
        workload_sample_dev(m, &m->dev[i], true);
    engine_note(m, "comparison: %.0f ms", clock_ms() - t);
    if (reach_after_window(m))
        return -1;
    engine_note(m, "after the window: console line %s, %u of %u registers "
                "reachable", !m->res->nr_consoles ? "-" :
                m->res->console_after_crash ? "arrived" : "lost",
                m->res->mmio_reachable, m->res->nr_mmio);
    return qts_error(m->q) ? -1 : 0;
}

static int run_phases(struct crash_machine *m)
{
    enum crash_policy policy = m->policy;

    if (machine_start_qemu(m) || machine_enumerate(m) ||
        machine_find_devices(m) || guard_setup_memory(m) ||
        machine_setup_devices(m))
        return -1;
    if (crash_path_uses_core(policy) && crash_path_build_plan(m, policy))
        return -1;
    if (workload_start(m))
        return -1;
    m->res->delay_ms = m->opts->crash_delay_ms;
    if (workload_run_live(m, m->opts->crash_delay_ms) || crash_phase(m) ||
        after_crash(m))
        return -1;
    results_devices(m);
    if (m->iommu)
        results_iommu(m);
    m->res->qtest_commands = qts_nr_commands(m->q);
    return 0;
}

int crash_run(const struct crash_opts *opts, enum crash_policy policy,
              struct crash_result *out)
{
    struct crash_machine *m = calloc(1, sizeof(*m));
    const char *why;
    int rc;

    memset(out, 0, sizeof(*out));
    out->policy = policy;
    out->dma_stopped = true;
    if (!m) {
        snprintf(out->error, sizeof(out->error), "out of memory");
        return -1;
    }
    m->opts = opts;
    m->policy = policy;
    m->res = out;
    m->t0 = clock_ms();

    if (!crash_policy_fits(policy, opts->spec)) {
        snprintf(out->error, sizeof(out->error), "policy %s %s",
                 crash_policy_name(policy),
                 crash_policy_misfit(policy, opts->spec));
        free(m);
        return -1;
    }
    rc = run_phases(m);
    if (rc) {
        why = m->q ? qts_error(m->q) : NULL;
        snprintf(out->error, sizeof(out->error), "%s",
                 why ? why : "out of memory");
    }
    machine_teardown(m);
    out->elapsed_ms = clock_ms() - m->t0;
    free(m);
    return rc;
}
