/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * devkind: the device kinds the engine drives through a table of
 * operations -- NVMe (and its SR-IOV VFs), virtio-blk, virtio-net,
 * igb's VFs and xHCI -- next to the e1000 and AHCI paths written out in
 * workload.c, guarded.c and results.c.  An endpoint of such a kind has
 * dma_endpoint.ops set; every engine step that differs by kind calls
 * through it (the devkind_* functions below), so a new kind is a new
 * table, not a new case in every file.
 *
 *   devkind.c     the table by topology kind, QEMU arguments, room for VFs
 *                 before BARs are assigned, VF endpoints, --plan-only's VFs
 *   dev_block.c   what NVMe and virtio-blk share: slots of reads kept
 *                 issued, in flight, landing, completion entries
 *   dev_nvme.c    NVMe, an NVMe SR-IOV PF and its VFs (dev/nvme.h,
 *                 dev/nvme_sriov.h)
 *   dev_virtio.c  virtio-blk and virtio-net (dev/virtio_blk.h, ...net.h)
 *   dev_igb.c     igb's PF and VFs (dev/igb.h)
 *   dev_xhci.c    qemu-xhci running No Op commands (dev/xhci.h)
 *
 * What the engine counts for these kinds (crash.h has the general rules):
 *  - a read is in flight when it was posted (doorbell rung, avail index
 *    published) and had no completion entry when its device's disconnect
 *    write returned: QEMU's NVMe and virtio-blk fetch every posted request
 *    at once and map its buffers then, so those reads land whatever Bus
 *    Master becomes (docs/device-behaviour.md).  Their data -- and
 *    virtio-blk's status byte, written through the same mapping -- is
 *    in-flight bytes;
 *  - a completion entry (NVMe CQE, virtio used element) and an MSI-X
 *    message are writes the device makes afterwards through its
 *    bus-master address space: new DMA, which a cleared Bus Master stops;
 *  - a NIC (virtio-net, an igb VF) has nothing in flight: every frame it
 *    takes after the crash path is new DMA;
 *  - neither has an xHCI: QEMU completes a command inside the doorbell
 *    write, so every event TRB seen after the crash path began is new;
 *  - MSI-X messages land in RAM words (dev/msix.h) outside every guarded
 *    region, polled at every sample.
 */
#ifndef SIM_ENGINE_DEVKIND_H
#define SIM_ENGINE_DEVKIND_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/dma.h"
#include "topology/spec.h"

struct crash_machine;
struct dma_endpoint;
struct crash_dev_result;

/* The arguments the kinds add to QEMU's command line (devkind.c). */
#define DEVKIND_ARG_LEN     384
struct devkind_qemu {
    char extra[SPEC_MAX_NODES][DEVKIND_ARG_LEN];    /* -device properties */
    char value[3 * SPEC_MAX_NODES][DEVKIND_ARG_LEN];
    unsigned int nr_values;
    const char *before[6 * SPEC_MAX_NODES];     /* before the -devices */
    unsigned int nr_before;
    const char *after[2 * SPEC_MAX_NODES];      /* after them (nvme-ns) */
    unsigned int nr_after;
};

struct devkind_ops {
    const char *kind;       /* JSON "kind": "nvme", "nvme-vf", ... */
    bool nic;               /* offered work at every tick (a frame; for
                               xHCI a doorbell) */
    bool vf;                /* an SR-IOV VF: made by its PF's set-up */
    /* Node node's QEMU arguments into q (devkind_qemu_push, ...extra). */
    int (*qemu_args)(struct crash_machine *m, unsigned int node,
                     struct devkind_qemu *q);
    /* Sockets and the like, once the endpoint is found (may be NULL). */
    int (*open)(struct crash_machine *m, struct dma_endpoint *d);
    /* The driver set up; a PF appends its VFs' endpoints (devkind_add_vf). */
    int (*setup)(struct crash_machine *m, struct dma_endpoint *d,
                 const struct dma_hook *hook);
    /* Device regions guarded (guard_region), guard-filled where marked. */
    int (*regions)(struct crash_machine *m, unsigned int i);
    /* Issue every read (block kinds; NULL: nothing to start). */
    int (*start)(struct crash_machine *m, struct dma_endpoint *d);
    void (*offer)(struct dma_endpoint *d);          /* NICs: one frame */
    /* Read progress from guest memory; MSI-X words polled. */
    void (*sample)(struct crash_machine *m, struct dma_endpoint *d);
    uint64_t (*progress)(const struct dma_endpoint *d);
    /* Since the last sample: DMA that is not an in-flight read landing. */
    bool (*new_activity)(struct dma_endpoint *d);
    void (*ack)(struct dma_endpoint *d);            /* a live driver's */
    /* Before the crash: completed reads issued again (NULL: none). */
    int (*refill)(struct crash_machine *m, struct dma_endpoint *d);
    void (*record_inflight)(struct dma_endpoint *d);    /* d->inflight[] */
    void (*baseline)(struct dma_endpoint *d);
    void (*results)(struct crash_machine *m, const struct dma_endpoint *d,
                    struct crash_dev_result *o);
    /* The register read before and after (reach.c); false: none. */
    bool (*probe)(const struct dma_endpoint *d, const char **reg,
                  uint64_t *addr);
    void (*close)(struct dma_endpoint *d);          /* may be NULL */
    /* One line of what it did before the crash, for --verbose. */
    void (*note)(struct crash_machine *m, const struct dma_endpoint *d);
};

/* The table of a topology node, NULL for the kinds written out. */
const struct devkind_ops *devkind_for(const struct spec_node *n);

/* QEMU arguments of every node of a table kind into *q (machine.c puts
 * them on the command line).  Returns 0 or -1 with a sticky error. */
int devkind_qemu_args(struct crash_machine *m, struct devkind_qemu *q);
/* For the kinds' qemu_args: a copy of option and value before (or after)
 * every -device; node's -device properties (the driver's -device value
 * with its model name cut off: it starts at the first ','). */
int devkind_qemu_push(struct crash_machine *m, struct devkind_qemu *q,
                      bool after, const char *option, const char *value);
int devkind_qemu_extra(struct crash_machine *m, struct devkind_qemu *q,
                       unsigned int node, const char *device);
/* The number in a spec id ("nvme_3": 3): the driver's index. */
unsigned int devkind_index(const struct spec_node *n);

/* Between enumeration and BAR assignment: room for every item's VFs. */
int devkind_reserve_vfs(struct crash_machine *m);

/* Endpoint capacity m->dev needs: spec nodes plus their VFs. */
unsigned int devkind_max_endpoints(const struct spec *s);

/* A new endpoint for VF vf of pf at bus->func[func]; NULL when full. */
struct dma_endpoint *devkind_add_vf(struct crash_machine *m,
                                    const struct dma_endpoint *pf,
                                    const struct devkind_ops *ops, int func,
                                    unsigned int vf);

/* --plan-only: VFs enabled (no driver, no DMA) so that the plans show. */
int devkind_plan_only_vfs(struct crash_machine *m);

/* The operations of a PF that does no DMA of its own (its VFs do). */
int devkind_idle_regions(struct crash_machine *m, unsigned int i);
void devkind_idle_sample(struct crash_machine *m, struct dma_endpoint *d);
uint64_t devkind_idle_progress(const struct dma_endpoint *d);
bool devkind_idle_new_activity(struct dma_endpoint *d);
void devkind_idle(struct dma_endpoint *d);
void devkind_idle_results(struct crash_machine *m,
                          const struct dma_endpoint *d,
                          struct crash_dev_result *o);

/* Guard one region of endpoint dev (guarded.c). */
int guard_region(struct crash_machine *m, const char *name, uint64_t addr,
                 uint64_t len, int dev, int slot, bool fill);

/* The tables (dev_*.c). */
extern const struct devkind_ops devkind_nvme, devkind_nvme_pf;
extern const struct devkind_ops devkind_nvme_vf;
extern const struct devkind_ops devkind_vblk, devkind_vnet;
extern const struct devkind_ops devkind_igb, devkind_igb_vf;
extern const struct devkind_ops devkind_xhci;

#endif /* SIM_ENGINE_DEVKIND_H */
