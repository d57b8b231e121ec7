/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dev_igb: the engine's igb kinds (devkind.h).  The PF (igb(vfs=N)) does
 * no DMA of its own: it is set up so that its VFs receive, and checked
 * like every endpoint (STATUS through its BAR).  Each VF takes the frames
 * the harness offers at every tick, sent to its own MAC address, into
 * buffers handed over once (dev/igb.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "engine.h"
#include "dev/igb.h"
#include "dev/igb_regs.h"

struct igb_pf_ep {
    struct igb_pf pf;
};

struct igb_vf_ep {
    struct igb_vf vf;
    struct igb_pf *pf;
    unsigned int number;        /* 0-based VF number */
    unsigned int seen;          /* rx_done at the last sample */
    bool new_seen;
    unsigned int base_rx;
    uint64_t base_bytes;
    unsigned long base_msix;
};

/* --- the PF --------------------------------------------------------------- */

static int pf_args(struct crash_machine *m, unsigned int node,
                   struct devkind_qemu *q)
{
    const struct spec_node *nd = &m->opts->spec->node[node];
    char netdev[320], extra[96];

    if (igb_qemu_args(nd->id, devkind_index(nd), qts_tmpdir(m->q), netdev,
                      sizeof(netdev), extra, sizeof(extra)))
        return qts_fail(m->q, "socket path too long");
    return devkind_qemu_push(m, q, false, "-netdev", netdev) ||
           devkind_qemu_extra(m, q, node, extra) ? -1 : 0;
}

static int pf_open(struct crash_machine *m, struct dma_endpoint *d)
{
    struct igb_pf_ep *e = calloc(1, sizeof(*e));

    if (!e)
        return qts_fail(m->q, "out of memory");
    d->priv = e;
    return igb_open(&e->pf, m->q, d->name,
                    devkind_index(&m->opts->spec->node[d->node]),
                    m->opts->seed);
}

static int pf_setup(struct crash_machine *m, struct dma_endpoint *d,
                    const struct dma_hook *hook)
{
    struct igb_pf_ep *e = d->priv;
    unsigned int nr = m->opts->spec->node[d->node].vfs, v;

    (void)hook;
    if (igb_pf_setup(&e->pf, m->bus, d->func, nr))
        return -1;
    for (v = 0; v < nr; v++) {
        struct dma_endpoint *vf = devkind_add_vf(m, d, &devkind_igb_vf,
                                                 e->pf.first_vf + (int)v, v);
        struct igb_vf_ep *ve;

        if (!vf)
            return -1;
        ve = vf->priv;
        ve->pf = &e->pf;
        ve->number = v;
    }
    return 0;
}

static bool pf_probe(const struct dma_endpoint *d, const char **reg,
                     uint64_t *addr)
{
    const struct igb_pf_ep *e = d->priv;

    *reg = "STATUS";
    *addr = e->pf.mmio + IGB_STATUS;
    return true;
}

static void pf_close(struct dma_endpoint *d)
{
    igb_close(&((struct igb_pf_ep *)d->priv)->pf);
}

static void pf_note(struct crash_machine *m, const struct dma_endpoint *d)
{
    const struct igb_pf_ep *e = d->priv;

    engine_note(m, "%s: %u VFs enabled", d->name, e->pf.nr_vfs);
}

const struct devkind_ops devkind_igb = {
    .kind = "igb", .qemu_args = pf_args, .open = pf_open, .setup = pf_setup,
    .regions = devkind_idle_regions, .sample = devkind_idle_sample,
    .progress = devkind_idle_progress,
    .new_activity = devkind_idle_new_activity, .ack = devkind_idle,
    .record_inflight = devkind_idle, .baseline = devkind_idle,
    .results = devkind_idle_results, .probe = pf_probe, .close = pf_close,
    .note = pf_note,
};

/* --- a VF ----------------------------------------------------------------- */

static int vf_open(struct crash_machine *m, struct dma_endpoint *d)
{
    d->priv = calloc(1, sizeof(struct igb_vf_ep));
    return d->priv ? 0 : qts_fail(m->q, "out of memory");
}

static int vf_setup(struct crash_machine *m, struct dma_endpoint *d,
                    const struct dma_hook *hook)
{
    struct igb_vf_ep *e = d->priv;

    return igb_vf_setup(&e->vf, e->pf, e->number, m->g, hook);
}

static int vf_regions(struct crash_machine *m, unsigned int i)
{
    const struct igb_vf_ep *e = m->dev[i].priv;
    char region[CRASH_REGION_LEN];
    struct igb_ranges r;

    igb_vf_ranges(&e->vf, &r);
    snprintf(region, sizeof(region), "%s rx ring", m->dev[i].name);
    if (guard_region(m, region, r.ring, r.ring_len, (int)i, REGION_NO_SLOT,
                     false))
        return -1;
    snprintf(region, sizeof(region), "%s rx buffers", m->dev[i].name);
    return guard_region(m, region, r.bufs, r.bufs_len, (int)i,
                        REGION_NO_SLOT, true);
}

static void vf_offer(struct dma_endpoint *d)
{
    igb_send_frame(&((struct igb_vf_ep *)d->priv)->vf);
}

static void vf_sample(struct crash_machine *m, struct dma_endpoint *d)
{
    struct igb_vf_ep *e = d->priv;

    (void)m;
    igb_sample(&e->vf);
    msix_poll(&e->vf.msix);
    if (e->vf.rx_done != e->seen)
        e->new_seen = true;     /* a NIC has nothing in flight */
    e->seen = e->vf.rx_done;
}

static uint64_t vf_progress(const struct dma_endpoint *d)
{
    return ((const struct igb_vf_ep *)d->priv)->vf.rx_done;
}

static bool vf_new_activity(struct dma_endpoint *d)
{
    struct igb_vf_ep *e = d->priv;
    bool seen = e->new_seen;

    e->new_seen = false;
    return seen;
}

static void vf_baseline(struct dma_endpoint *d)
{
    struct igb_vf_ep *e = d->priv;

    e->base_rx = e->vf.rx_done;
    e->base_bytes = e->vf.rx_bytes;
    e->base_msix = e->vf.msix.total;
}

static void vf_results(struct crash_machine *m, const struct dma_endpoint *d,
                       struct crash_dev_result *o)
{
    const struct igb_vf_ep *e = d->priv;

    (void)m;
    o->bytes_written = e->vf.rx_bytes - e->base_bytes;
    o->completions = e->vf.rx_done - e->base_rx;
    o->msi_enabled = true;
    o->msi = e->vf.msix.total - e->base_msix;
}

static bool vf_probe(const struct dma_endpoint *d, const char **reg,
                     uint64_t *addr)
{
    const struct igb_vf_ep *e = d->priv;

    *reg = "STATUS";
    *addr = e->vf.mmio + IGBVF_STATUS;
    return true;
}

static void vf_note(struct crash_machine *m, const struct dma_endpoint *d)
{
    const struct igb_vf_ep *e = d->priv;

    engine_note(m, "%s: %u frames sent, %u taken before the crash", d->name,
                e->vf.frames_sent, e->vf.rx_done);
}

const struct devkind_ops devkind_igb_vf = {
    .kind = "igb-vf", .nic = true, .vf = true, .open = vf_open,
    .setup = vf_setup, .regions = vf_regions, .offer = vf_offer,
    .sample = vf_sample, .progress = vf_progress,
    .new_activity = vf_new_activity, .ack = devkind_idle,
    .record_inflight = devkind_idle, .baseline = vf_baseline,
    .results = vf_results, .probe = vf_probe, .note = vf_note,
};
