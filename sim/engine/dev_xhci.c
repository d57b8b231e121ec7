/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dev_xhci: the engine's xHCI kind (devkind.h): a qemu-xhci with no USB
 * device, its command ring kept full of No Op commands (dev/xhci.h).
 * Before the crash the live driver acks the events and posts a full ring
 * again after each tick; at every tick, and after every write of the
 * crash path and through the window, doorbell 0 is rung (the "offer", as
 * e1000's TX doorbells are rung in the window): each rung command's
 * Command Completion Event is a DMA write into the event ring.
 *
 * Nothing is in flight: QEMU runs the command ring inside the doorbell
 * write, so a command it fetched before the device's disconnect write
 * has its event in memory before that write is sent; every event seen
 * after the crash path began is new DMA (docs/device-behaviour.md).
 */
#include <stdio.h>
#include <stdlib.h>

#include "engine.h"
#include "dev/xhci.h"

#define CAP_HCSPARAMS1  0x04    /* read-only; no side effect */

struct xhci_ep {
    struct xhci_dev x;
    unsigned long seen;         /* events at the last sample */
    bool new_seen;
    unsigned long base_events, base_msix;
};

static unsigned long events(const struct xhci_dev *x)
{
    return x->completed + x->failed + x->stopped + x->other;
}

static int xhci_args(struct crash_machine *m, unsigned int node,
                     struct devkind_qemu *q)
{
    return devkind_qemu_extra(m, q, node, XHCI_QEMU_DEVICE);
}

static int xhci_ep_open(struct crash_machine *m, struct dma_endpoint *d)
{
    struct xhci_ep *e = calloc(1, sizeof(*e));

    if (!e)
        return qts_fail(m->q, "out of memory");
    d->priv = e;
    return 0;
}

static int xhci_ep_setup(struct crash_machine *m, struct dma_endpoint *d,
                         const struct dma_hook *hook)
{
    struct xhci_ep *e = d->priv;

    return xhci_setup(&e->x, m->q, m->bus, d->func,
                      devkind_index(&m->opts->spec->node[d->node]), m->g,
                      hook);
}

/* The event ring (written), the other rings (read only); not filled:
 * the guard pattern would set cycle bits. */
static int xhci_regions(struct crash_machine *m, unsigned int i)
{
    const struct xhci_ep *e = m->dev[i].priv;
    char region[CRASH_REGION_LEN];
    struct xhci_ranges r;

    xhci_ranges(&e->x, &r);
    snprintf(region, sizeof(region), "%s event ring", m->dev[i].name);
    if (guard_region(m, region, r.event_ring, r.event_ring_len, (int)i,
                     REGION_NO_SLOT, false))
        return -1;
    snprintf(region, sizeof(region), "%.20s DCBAA, ERST, cmd ring",
             m->dev[i].name);
    return guard_region(m, region, e->x.dcbaa, e->x.event_ring - e->x.dcbaa,
                        (int)i, REGION_NO_SLOT, false);
}

static int xhci_start(struct crash_machine *m, struct dma_endpoint *d)
{
    (void)m;
    return xhci_post_noops(&((struct xhci_ep *)d->priv)->x,
                           XHCI_CMD_SLOTS) < 0 ? -1 : 0;
}

static void xhci_offer(struct dma_endpoint *d)
{
    xhci_ring_doorbell(&((struct xhci_ep *)d->priv)->x);
}

static void xhci_ep_sample(struct crash_machine *m, struct dma_endpoint *d)
{
    struct xhci_ep *e = d->priv;

    (void)m;
    xhci_sample(&e->x);
    msix_poll(&e->x.msix);
    if (events(&e->x) != e->seen)
        e->new_seen = true;     /* nothing is in flight */
    e->seen = events(&e->x);
}

static uint64_t xhci_progress(const struct dma_endpoint *d)
{
    return events(&((const struct xhci_ep *)d->priv)->x);
}

static bool xhci_new_activity(struct dma_endpoint *d)
{
    struct xhci_ep *e = d->priv;
    bool seen = e->new_seen;

    e->new_seen = false;
    return seen;
}

static void xhci_ep_ack(struct dma_endpoint *d)
{
    xhci_ack(&((struct xhci_ep *)d->priv)->x);
}

static int xhci_refill(struct crash_machine *m, struct dma_endpoint *d)
{
    (void)m;
    return xhci_post_noops(&((struct xhci_ep *)d->priv)->x,
                           XHCI_CMD_SLOTS) < 0 ? -1 : 0;
}

static void xhci_nothing(struct dma_endpoint *d)
{
    (void)d;
}

static void xhci_baseline(struct dma_endpoint *d)
{
    struct xhci_ep *e = d->priv;

    e->base_events = events(&e->x);
    e->base_msix = e->x.msix.total;
}

static void xhci_results(struct crash_machine *m, const struct dma_endpoint *d,
                         struct crash_dev_result *o)
{
    const struct xhci_ep *e = d->priv;

    (void)m;
    o->completions = events(&e->x) - e->base_events;
    o->bytes_written = (uint64_t)o->completions * XHCI_TRB_LEN;
    o->msi_enabled = true;
    o->msi = e->x.msix.total - e->base_msix;
}

static bool xhci_probe(const struct dma_endpoint *d, const char **reg,
                       uint64_t *addr)
{
    const struct xhci_ep *e = d->priv;

    *reg = "HCSPARAMS1";
    *addr = e->x.bar0 + CAP_HCSPARAMS1;
    return true;
}

static void xhci_note(struct crash_machine *m, const struct dma_endpoint *d)
{
    const struct xhci_ep *e = d->priv;

    engine_note(m, "%s: %lu No Op commands posted, %lu doorbells, %lu "
                "completed, %lu MSI-X seen before the crash", d->name,
                e->x.posted, e->x.doorbells, e->x.completed, e->x.msix.total);
}

const struct devkind_ops devkind_xhci = {
    .kind = "xhci", .nic = true, .qemu_args = xhci_args,
    .open = xhci_ep_open, .setup = xhci_ep_setup, .regions = xhci_regions,
    .start = xhci_start, .offer = xhci_offer, .sample = xhci_ep_sample,
    .progress = xhci_progress, .new_activity = xhci_new_activity,
    .ack = xhci_ep_ack, .refill = xhci_refill,
    .record_inflight = xhci_nothing, .baseline = xhci_baseline,
    .results = xhci_results, .probe = xhci_probe, .note = xhci_note,
};
