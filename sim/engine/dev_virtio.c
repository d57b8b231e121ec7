/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dev_virtio: the engine's virtio kinds (devkind.h).  virtio-blk runs the
 * block workload of dev_block.h; its per-slot header (request and status
 * byte) is guarded as part of the slot, since the status byte is written
 * through the mapping made when the request was fetched.  virtio-net
 * takes the frames the harness offers at every tick into buffers
 * published once (dev/virtio_net.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "dev_block.h"
#include "engine.h"
#include "dev/virtio_blk.h"
#include "dev/virtio_net.h"

#define COMMON_DEVICE_FEATURE   4       /* read-only; no side effect */
#define VBLK_HDR_LEN            32      /* per slot, as virtio_blk.c lays
                                           them out */

_Static_assert(VBLK_SLOTS == BLK_SLOTS && VBLK_CMD_BYTES == BLK_CMD_BYTES,
               "the virtio-blk driver's slots are dev_block's");

struct vblk_ep {
    struct blk_state b;         /* first: dev_block.c's view */
    struct vblk_dev blk;
};

struct vnet_ep {
    struct vnet_dev net;
    unsigned int seen;          /* rx_done at the last sample */
    bool new_seen;
    unsigned int base_rx;
    uint64_t base_bytes;
    unsigned long base_msix;
};

/* --- virtio-blk as dev_block sees it ------------------------------------ */

static int blk_drv_sample(void *dev)
{
    return vblk_sample(dev);
}

static uint32_t blk_drv_posted(const void *dev)
{
    return vblk_posted_slots(dev);
}

static uint32_t blk_drv_done(const void *dev)
{
    return vblk_done_slots(dev);
}

static int blk_drv_issue(void *dev, uint32_t mask)
{
    return vblk_issue_slots(dev, mask);
}

static uint64_t blk_drv_slot_data(const void *dev, unsigned int slot)
{
    return vblk_slot_data(dev, slot);
}

static void blk_drv_tail(const void *dev, unsigned int slot, uint8_t *buf,
                         size_t len)
{
    const struct vblk_dev *v = dev;

    vblk_disk_bytes(v->seed, v->index, (uint64_t)v->slot_chunk[slot] *
                    VBLK_CMD_BYTES + VBLK_CMD_BYTES - len, buf, len);
}

static unsigned long blk_drv_entries(const void *dev)
{
    const struct vblk_dev *v = dev;

    return v->completed + v->failed;
}

static struct msix *blk_drv_msix(void *dev)
{
    return &((struct vblk_dev *)dev)->vp.msix;
}

static const struct blk_driver vblk_drv = {
    blk_drv_sample, blk_drv_posted, blk_drv_done, blk_drv_issue,
    blk_drv_slot_data, blk_drv_tail, blk_drv_entries, blk_drv_msix, NULL,
};

/* --- virtio-blk ----------------------------------------------------------- */

static int vblk_args(struct crash_machine *m, unsigned int node,
                     struct devkind_qemu *q)
{
    char drive[320], device[160];

    if (vblk_qemu_args(m->q, devkind_index(&m->opts->spec->node[node]),
                       m->opts->seed, m->ahci_bps, drive, sizeof(drive),
                       device, sizeof(device)))
        return -1;
    return devkind_qemu_push(m, q, false, "-drive", drive) ||
           devkind_qemu_extra(m, q, node, device) ? -1 : 0;
}

static int vblk_open(struct crash_machine *m, struct dma_endpoint *d)
{
    struct vblk_ep *e = calloc(1, sizeof(*e));

    if (!e)
        return qts_fail(m->q, "out of memory");
    e->b.drv = &vblk_drv;
    e->b.dev = &e->blk;
    d->priv = e;
    return 0;
}

static int vblk_ep_setup(struct crash_machine *m, struct dma_endpoint *d,
                         const struct dma_hook *hook)
{
    struct vblk_ep *e = d->priv;

    return vblk_setup(&e->blk, m->q, m->bus, d->func,
                      devkind_index(&m->opts->spec->node[d->node]),
                      m->opts->seed, m->g, hook);
}

static int vblk_regions(struct crash_machine *m, unsigned int i)
{
    const struct vblk_ep *e = m->dev[i].priv;
    char region[CRASH_REGION_LEN];
    struct vblk_ranges r;
    unsigned int s;

    vblk_ranges(&e->blk, &r);
    snprintf(region, sizeof(region), "%s ring", m->dev[i].name);
    if (guard_region(m, region, r.ring, r.ring_len, (int)i, REGION_NO_SLOT,
                     false))
        return -1;
    for (s = 0; s < VBLK_SLOTS; s++) {
        snprintf(region, sizeof(region), "%s slot %u header",
                 m->dev[i].name, s);
        if (guard_region(m, region, r.hdrs + (uint64_t)s * VBLK_HDR_LEN,
                         VBLK_HDR_LEN, (int)i, (int)s, false))
            return -1;
    }
    return blk_slot_regions(m, i);
}

static bool vblk_probe(const struct dma_endpoint *d, const char **reg,
                       uint64_t *addr)
{
    const struct vblk_ep *e = d->priv;

    *reg = "DEVICE_FEATURE";
    *addr = e->blk.vp.common + COMMON_DEVICE_FEATURE;
    return true;
}

static void vblk_note(struct crash_machine *m, const struct dma_endpoint *d)
{
    const struct vblk_ep *e = d->priv;

    engine_note(m, "%s: %lu reads issued, %lu completed, %lu MSI-X seen "
                "before the crash", d->name, e->blk.issued, e->blk.completed,
                e->blk.vp.msix.total);
}

const struct devkind_ops devkind_vblk = {
    .kind = "virtio-blk", .qemu_args = vblk_args, .open = vblk_open,
    .setup = vblk_ep_setup, .regions = vblk_regions, .start = blk_start,
    .sample = blk_sample, .progress = blk_progress,
    .new_activity = blk_new_activity, .ack = blk_ack, .refill = blk_refill,
    .record_inflight = blk_record_inflight, .baseline = blk_baseline,
    .results = blk_results, .probe = vblk_probe, .note = vblk_note,
};

/* --- virtio-net ----------------------------------------------------------- */

static int vnet_args(struct crash_machine *m, unsigned int node,
                     struct devkind_qemu *q)
{
    char netdev[320], device[160];

    if (vnet_qemu_args(devkind_index(&m->opts->spec->node[node]),
                       qts_tmpdir(m->q), netdev, sizeof(netdev), device,
                       sizeof(device)))
        return qts_fail(m->q, "socket path too long");
    return devkind_qemu_push(m, q, false, "-netdev", netdev) ||
           devkind_qemu_extra(m, q, node, device) ? -1 : 0;
}

static int vnet_ep_open(struct crash_machine *m, struct dma_endpoint *d)
{
    struct vnet_ep *e = calloc(1, sizeof(*e));

    if (!e)
        return qts_fail(m->q, "out of memory");
    d->priv = e;
    return vnet_open(&e->net, m->q,
                     devkind_index(&m->opts->spec->node[d->node]),
                     m->opts->seed);
}

static int vnet_ep_setup(struct crash_machine *m, struct dma_endpoint *d,
                         const struct dma_hook *hook)
{
    struct vnet_ep *e = d->priv;

    return vnet_setup(&e->net, m->bus, d->func, m->g, hook);
}

static int vnet_regions(struct crash_machine *m, unsigned int i)
{
    const struct vnet_ep *e = m->dev[i].priv;
    const char *name = m->dev[i].name;
    char region[CRASH_REGION_LEN];
    struct vnet_ranges r;

    vnet_ranges(&e->net, &r);
    snprintf(region, sizeof(region), "%s rx ring", name);
    if (guard_region(m, region, r.rx_ring, r.rx_ring_len, (int)i,
                     REGION_NO_SLOT, false))
        return -1;
    snprintf(region, sizeof(region), "%s tx ring", name);
    if (guard_region(m, region, r.tx_ring, r.tx_ring_len, (int)i,
                     REGION_NO_SLOT, false))
        return -1;
    snprintf(region, sizeof(region), "%s rx buffers", name);
    return guard_region(m, region, r.bufs, r.bufs_len, (int)i,
                        REGION_NO_SLOT, true);
}

static void vnet_offer(struct dma_endpoint *d)
{
    vnet_send_frame(&((struct vnet_ep *)d->priv)->net);
}

static void vnet_ep_sample(struct crash_machine *m, struct dma_endpoint *d)
{
    struct vnet_ep *e = d->priv;

    (void)m;
    vnet_sample(&e->net);
    msix_poll(&e->net.vp.msix);
    if (e->net.rx_done != e->seen)
        e->new_seen = true;     /* a NIC has nothing in flight */
    e->seen = e->net.rx_done;
}

static uint64_t vnet_progress(const struct dma_endpoint *d)
{
    return ((const struct vnet_ep *)d->priv)->net.rx_done;
}

static bool vnet_new_activity(struct dma_endpoint *d)
{
    struct vnet_ep *e = d->priv;
    bool seen = e->new_seen;

    e->new_seen = false;
    return seen;
}

static void vnet_nothing(struct dma_endpoint *d)
{
    (void)d;
}

static void vnet_baseline(struct dma_endpoint *d)
{
    struct vnet_ep *e = d->priv;

    e->base_rx = e->net.rx_done;
    e->base_bytes = e->net.rx_bytes;
    e->base_msix = e->net.vp.msix.total;
}

static void vnet_results(struct crash_machine *m, const struct dma_endpoint *d,
                         struct crash_dev_result *o)
{
    const struct vnet_ep *e = d->priv;

    (void)m;
    o->bytes_written = e->net.rx_bytes - e->base_bytes;
    o->completions = e->net.rx_done - e->base_rx;
    o->msi_enabled = true;
    o->msi = e->net.vp.msix.total - e->base_msix;
}

static bool vnet_probe(const struct dma_endpoint *d, const char **reg,
                       uint64_t *addr)
{
    const struct vnet_ep *e = d->priv;

    *reg = "DEVICE_FEATURE";
    *addr = e->net.vp.common + COMMON_DEVICE_FEATURE;
    return true;
}

static void vnet_ep_close(struct dma_endpoint *d)
{
    vnet_close(&((struct vnet_ep *)d->priv)->net);
}

static void vnet_note(struct crash_machine *m, const struct dma_endpoint *d)
{
    const struct vnet_ep *e = d->priv;

    engine_note(m, "%s: %u frames sent, %u taken before the crash", d->name,
                e->net.frames_sent, e->net.rx_done);
}

const struct devkind_ops devkind_vnet = {
    .kind = "virtio-net", .nic = true, .qemu_args = vnet_args,
    .open = vnet_ep_open, .setup = vnet_ep_setup, .regions = vnet_regions,
    .offer = vnet_offer, .sample = vnet_ep_sample, .progress = vnet_progress,
    .new_activity = vnet_new_activity, .ack = vnet_nothing,
    .record_inflight = vnet_nothing, .baseline = vnet_baseline,
    .results = vnet_results, .probe = vnet_probe, .close = vnet_ep_close,
    .note = vnet_note,
};
