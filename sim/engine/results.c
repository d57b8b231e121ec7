/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * results: a finished run's figures into struct crash_result -- per
 * device what it did after the crash path returned, the totals over the
 * devices the policy meant to stop, and with an IOMMU the fault records
 * and the IOVA layout.
 */
#include <stdio.h>
#include <string.h>

#include "engine.h"

_Static_assert(CRASH_AHCI_SLOTS == AHCI_SLOTS,
               "crash.h's AHCI slot count is the driver's");
_Static_assert(CRASH_AHCI_CMD_BYTES == AHCI_CMD_BYTES,
               "crash.h's AHCI command size is the driver's");

/* Raises of pin since the path returned, plus 1 if it was high then. */
static unsigned long intx_after(struct crash_machine *m, unsigned int pin)
{
    return m->irq_pending[pin] + qts_irq_raises(m->q, pin) -
           m->irq_base[pin];
}

/* The first write to a bridge above d: from then on PCIe blocks its DMA. */
static void bridge_written(const struct crash_machine *m,
                           const struct dma_endpoint *d,
                           struct crash_dev_result *o)
{
    unsigned int i, at;

    for (i = 0; i < d->nr_up; i++) {
        at = m->written_at[d->up[i]];
        if (at && (!o->bridge_step || at < (unsigned int)o->bridge_step)) {
            o->bridge_step = (int)at;
            o->bridge_sbdf = m->bus->func[d->up[i]].sbdf;
        }
    }
}

static void one_device(struct crash_machine *m, unsigned int i)
{
    const struct dma_endpoint *d = &m->dev[i];
    struct crash_dev_result *o = &m->res->dev[i];
    unsigned int s;

    snprintf(o->name, sizeof(o->name), "%s", d->name);
    o->sbdf = d->sbdf;
    o->preserved = d->preserved;
    o->plan_step = (int)m->written_at[d->func];
    o->irq_pin = d->pin;
    o->last_dma_write = d->last_landing;
    o->last_dma_write_pcie = d->last_landing_pcie;
    bridge_written(m, d, o);
    snprintf(o->kind, sizeof(o->kind), "%s", d->ops ? d->ops->kind :
             d->kind == DEV_E1000 ? "e1000" : "ahci");
    if (d->ops) {
        d->ops->results(m, d, o);
    } else if (d->kind == DEV_E1000) {
        o->bytes_written = d->e1000.rx_bytes - d->base_rx_bytes;
        o->bytes_read = d->e1000.tx_bytes - d->base_tx_bytes;
        o->completions = (d->e1000.rx_done - d->base_rx_done) +
                         (d->e1000.tx_done - d->base_tx_done);
        o->tx_packets = d->e1000.tx_datagrams - d->base_tx_dgrams;
        o->tx_crash_state = d->e1000.tx_datagrams_crash_state -
                            d->base_tx_cs;
    } else {
        o->bytes_written = d->ahci.bytes - d->base_bytes;
        o->completions = d->ahci.completed - d->base_completed;
        for (s = 0; s < AHCI_SLOTS; s++)
            o->inflight_requests += d->inflight[s];
        o->msi_enabled = d->ahci.msi_on;
        o->msi = d->ahci.msi - d->base_msi;
        o->queued_at_crash = d->queued_at_path;
        o->queued_bytes_at_crash = (uint64_t)d->queued_at_path *
                                   AHCI_CMD_BYTES;
        o->throttle_bps = m->ahci_bps;
    }
    if (d->pin && d->pin < QTS_MAX_IRQ)
        o->intx = intx_after(m, d->pin);
}

/* Device i's share of the run's totals. */
static void add_to_totals(struct crash_machine *m, unsigned int i)
{
    const struct dma_endpoint *d = &m->dev[i];
    const struct crash_dev_result *o = &m->res->dev[i];
    struct crash_result *r = m->res;

    r->msi_observable |= o->msi_enabled;
    if (d->preserved) {
        r->preserved_dma_bytes += o->bytes_written;
        return;
    }
    r->tx_packets_after_crash += o->tx_packets;
    r->msi_after_crash += o->msi;
    if (d->last_landing > (int)r->writes_until_quiesced)
        r->writes_until_quiesced = (unsigned int)d->last_landing;
    if (d->last_landing_pcie > (int)r->writes_until_quiesced_pcie)
        r->writes_until_quiesced_pcie = (unsigned int)d->last_landing_pcie;
    if (d->last_new_landing > (int)r->writes_until_quiesced_new)
        r->writes_until_quiesced_new = (unsigned int)d->last_new_landing;
    if (d->last_new_landing_pcie > (int)r->writes_until_quiesced_new_pcie)
        r->writes_until_quiesced_new_pcie =
            (unsigned int)d->last_new_landing_pcie;
    if (d->new_after_path)
        r->dma_stopped = false;
}

void results_devices(struct crash_machine *m)
{
    struct crash_result *r = m->res;
    unsigned int i, pin;

    r->nr_devs = m->nr_devs;
    for (i = 0; i < m->nr_devs; i++) {
        one_device(m, i);
        add_to_totals(m, i);
    }
    for (pin = 1; pin < QTS_MAX_IRQ; pin++)
        r->intx_after_crash += intx_after(m, pin);
}

/* The fault records kept, each with the device owning its IOVA. */
static void fault_records(struct crash_machine *m)
{
    struct crash_result *r = m->res;
    unsigned int i;

    for (i = 0; i < r->iommu_faults && i < CRASH_MAX_FAULTS; i++) {
        const struct vtd_fault *f = iommu_fault(m->iommu, i);
        const struct iova_block *b;
        struct crash_fault *o = &r->fault[i];

        if (!f)
            break;
        b = iommu_block_at(m->iommu, f->addr);
        o->source_id = f->source_id;
        o->reason = f->reason;
        snprintf(o->reason_name, sizeof(o->reason_name), "%s",
                 vtd_fault_reason_name(f->reason));
        o->is_read = f->is_read;
        o->iova = f->addr;
        o->dev = b ? b->owner : -1;
        r->nr_faults = i + 1;
    }
}

/* The IOVA layout, and the bytes of it no guarded window covers. */
static void iova_layout(struct crash_machine *m)
{
    struct crash_result *r = m->res;
    unsigned int i;

    for (i = 0; i < iommu_nr_blocks(m->iommu); i++) {
        const struct iova_block *b = iommu_block(m->iommu, i);
        const struct iova_window *w = iommu_window(m->iommu, b->window);
        struct crash_iova *o = &r->iova[r->nr_iova];

        if (strcmp(w->name, REGION_LOW) && strcmp(w->name, REGION_KDUMP))
            r->iova_unguarded_bytes += b->len;
        if (r->nr_iova == CRASH_MAX_IOVA)
            continue;
        snprintf(o->name, sizeof(o->name), "%s", b->name);
        snprintf(o->window, sizeof(o->window), "%s", w->name);
        o->iova = b->iova;
        o->length = b->len;
        o->phys = b->phys;
        o->dev = b->owner;
        r->nr_iova++;
    }
}

void results_iommu(struct crash_machine *m)
{
    struct crash_result *r = m->res;

    r->iommu = true;
    /* Bytes in the IOVA windows were DMA'd there after the crash path. */
    if (r->low_memory_bytes || r->kdump_bytes)
        r->dma_stopped = false;
    iommu_poll_faults(m->iommu);
    r->translation_on = iommu_translation_on(m->iommu);
    r->iommu_faults = iommu_nr_faults(m->iommu);
    r->iommu_fault_overflow = iommu_fault_overflow(m->iommu);
    fault_records(m);
    iova_layout(m);
}
