/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dev_nvme: the engine's NVMe kinds (devkind.h).  A controller (-device
 * nvme) runs the block workload of dev_block.h on its I/O queue pair.
 * With vfs=N the item is an SR-IOV PF (with nvme-subsys and a shared
 * nvme-ns): the PF only brings its VFs up (admin queue, no DMA of its
 * own, as the host's management function) and each VF runs the workload.
 * The VFs read the same namespace, throttled as one drive at N times a
 * plain controller's rate, so that each VF's queue drains as fast as a
 * plain one's.
 */
#include <stdio.h>
#include <stdlib.h>

#include "dev_block.h"
#include "engine.h"
#include "dev/nvme.h"
#include "dev/nvme_sriov.h"

#define NVME_REG_VS     0x08    /* version: read-only, no side effect */

_Static_assert(NVME_SLOTS == BLK_SLOTS && NVME_CMD_BYTES == BLK_CMD_BYTES,
               "the NVMe driver's slots are dev_block's");

struct nvme_ep {
    struct blk_state b;         /* first: dev_block.c's view */
    struct nvme_dev nvme;
};

/* --- the driver as dev_block sees it ------------------------------------ */

static int drv_sample(void *dev)
{
    return nvme_sample(dev);
}

static uint32_t drv_posted(const void *dev)
{
    return nvme_posted_slots(dev);
}

static uint32_t drv_done(const void *dev)
{
    return nvme_done_slots(dev);
}

static int drv_issue(void *dev, uint32_t mask)
{
    return nvme_issue_slots(dev, mask);
}

static uint64_t drv_slot_data(const void *dev, unsigned int slot)
{
    return nvme_slot_data(dev, slot);
}

static void drv_tail(const void *dev, unsigned int slot, uint8_t *buf,
                     size_t len)
{
    const struct nvme_dev *n = dev;

    nvme_disk_bytes(n->seed, n->index, (uint64_t)n->slot_chunk[slot] *
                    NVME_CMD_BYTES + NVME_CMD_BYTES - len, buf, len);
}

static unsigned long drv_entries(const void *dev)
{
    const struct nvme_dev *n = dev;

    return n->completed + n->failed;
}

static struct msix *drv_msix(void *dev)
{
    return &((struct nvme_dev *)dev)->msix;
}

static void drv_ack(void *dev)
{
    nvme_ack(dev);
}

static const struct blk_driver nvme_drv = {
    drv_sample, drv_posted, drv_done, drv_issue, drv_slot_data, drv_tail,
    drv_entries, drv_msix, drv_ack,
};

/* --- engine operations ---------------------------------------------------- */

static int nvme_args(struct crash_machine *m, unsigned int node,
                     struct devkind_qemu *q)
{
    const struct spec_node *nd = &m->opts->spec->node[node];
    unsigned int idx = devkind_index(nd);
    struct nvme_sriov_args a;
    char ns[sizeof(a.ns) + SPEC_ID_LEN + 8];

    if (!nd->vfs) {
        if (nvme_qemu_args(m->q, idx, m->opts->seed, m->ahci_bps, a.drive,
                           sizeof(a.drive), a.ctrl, sizeof(a.ctrl)))
            return -1;
        return devkind_qemu_push(m, q, false, "-drive", a.drive) ||
               devkind_qemu_extra(m, q, node, a.ctrl) ? -1 : 0;
    }
    if (nvme_sriov_qemu_args(m->q, idx, m->opts->seed,
                             m->ahci_bps * nd->vfs, &a))
        return -1;
    snprintf(ns, sizeof(ns), "%s,bus=%s", a.ns, nd->id);
    return devkind_qemu_push(m, q, false, "-drive", a.drive) ||
           devkind_qemu_push(m, q, false, "-device", a.subsys) ||
           devkind_qemu_extra(m, q, node, a.ctrl) ||
           devkind_qemu_push(m, q, true, "-device", ns) ? -1 : 0;
}

static int nvme_open(struct crash_machine *m, struct dma_endpoint *d)
{
    struct nvme_ep *e = calloc(1, sizeof(*e));

    if (!e)
        return qts_fail(m->q, "out of memory");
    e->b.drv = &nvme_drv;
    e->b.dev = &e->nvme;
    d->priv = e;
    return 0;
}

/* A PF with vfs=: its VFs enabled and online, each an endpoint. */
static int add_vfs(struct crash_machine *m, struct dma_endpoint *d,
                   unsigned int nr)
{
    struct nvme_ep *e = d->priv;
    int first = nvme_sriov_enable_all(&e->nvme, nr);
    unsigned int v;

    if (first < 0)
        return -1;
    for (v = 0; v < nr; v++)
        if (!devkind_add_vf(m, d, &devkind_nvme_vf, first + (int)v, v))
            return -1;
    return 0;
}

static int nvme_ep_setup(struct crash_machine *m, struct dma_endpoint *d,
                         const struct dma_hook *hook)
{
    const struct spec_node *nd = &m->opts->spec->node[d->node];
    struct nvme_ep *e = d->priv;

    if (nvme_setup_admin(&e->nvme, m->q, m->bus, d->func, devkind_index(nd),
                         m->opts->seed, m->g, hook))
        return -1;
    return nvme_setup_io(&e->nvme, m->g);
}

static int pf_setup(struct crash_machine *m, struct dma_endpoint *d,
                    const struct dma_hook *hook)
{
    const struct spec_node *nd = &m->opts->spec->node[d->node];
    struct nvme_ep *e = d->priv;

    if (nvme_setup_admin(&e->nvme, m->q, m->bus, d->func, devkind_index(nd),
                         m->opts->seed, m->g, hook))
        return -1;
    return add_vfs(m, d, nd->vfs);
}

/* The PF's admin queue and Identify page: it writes nothing else. */
static int pf_regions(struct crash_machine *m, unsigned int i)
{
    const struct nvme_ep *e = m->dev[i].priv;
    char region[CRASH_REGION_LEN];
    struct nvme_ranges r;

    nvme_ranges(&e->nvme, &r);
    snprintf(region, sizeof(region), "%s admin queues", m->dev[i].name);
    return guard_region(m, region, r.admin, r.admin_len, (int)i,
                        REGION_NO_SLOT, false);
}

static int nvme_regions(struct crash_machine *m, unsigned int i)
{
    const struct nvme_ep *e = m->dev[i].priv;
    const char *name = m->dev[i].name;
    char region[CRASH_REGION_LEN];
    struct nvme_ranges r;

    nvme_ranges(&e->nvme, &r);
    snprintf(region, sizeof(region), "%s admin queues", name);
    if (guard_region(m, region, r.admin, r.admin_len, (int)i, REGION_NO_SLOT,
                     false))
        return -1;
    snprintf(region, sizeof(region), "%s I/O queues", name);
    if (guard_region(m, region, r.io_queues, r.io_queues_len, (int)i,
                     REGION_NO_SLOT, false))
        return -1;
    snprintf(region, sizeof(region), "%s PRP lists", name);
    if (guard_region(m, region, r.prp_lists, r.prp_lists_len, (int)i,
                     REGION_NO_SLOT, false))
        return -1;
    return blk_slot_regions(m, i);
}

static bool nvme_probe(const struct dma_endpoint *d, const char **reg,
                       uint64_t *addr)
{
    const struct nvme_ep *e = d->priv;

    *reg = "VS";
    *addr = e->nvme.bar0 + NVME_REG_VS;
    return true;
}

static void nvme_results(struct crash_machine *m, const struct dma_endpoint *d,
                         struct crash_dev_result *o)
{
    blk_results(m, d, o);
}

static void pf_note(struct crash_machine *m, const struct dma_endpoint *d)
{
    engine_note(m, "%s: %u VFs online, no reads of its own", d->name,
                m->opts->spec->node[d->node].vfs);
}

static void nvme_note(struct crash_machine *m, const struct dma_endpoint *d)
{
    const struct nvme_ep *e = d->priv;

    engine_note(m, "%s: %lu reads issued, %lu completed, %lu MSI-X seen "
                "before the crash", d->name, e->nvme.issued,
                e->nvme.completed, e->nvme.msix.total);
}

#define NVME_OPS(name, vf_)                                                \
    .kind = name, .nic = false, .vf = vf_, .qemu_args = nvme_args,          \
    .open = nvme_open, .setup = nvme_ep_setup, .regions = nvme_regions,     \
    .start = blk_start, .sample = blk_sample, .progress = blk_progress,     \
    .new_activity = blk_new_activity, .ack = blk_ack, .refill = blk_refill, \
    .record_inflight = blk_record_inflight, .baseline = blk_baseline,      \
    .results = nvme_results, .probe = nvme_probe, .note = nvme_note

const struct devkind_ops devkind_nvme = { NVME_OPS("nvme", false) };
const struct devkind_ops devkind_nvme_vf = { NVME_OPS("nvme-vf", true) };

const struct devkind_ops devkind_nvme_pf = {
    .kind = "nvme-pf", .qemu_args = nvme_args, .open = nvme_open,
    .setup = pf_setup, .regions = pf_regions,
    .sample = devkind_idle_sample, .progress = devkind_idle_progress,
    .new_activity = devkind_idle_new_activity, .ack = devkind_idle,
    .record_inflight = devkind_idle, .baseline = devkind_idle,
    .results = devkind_idle_results, .probe = nvme_probe, .note = pf_note,
};
