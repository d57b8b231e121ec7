/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dev_block: what the engine's NVMe and virtio-blk kinds share (devkind.h).
 * Both drivers keep BLK_SLOTS reads of BLK_CMD_BYTES in slots, each slot
 * with its own guard-filled buffer; a blk_driver adapts one of them.
 *
 * A slot's read "lands" when its buffer ends with the disk bytes it asked
 * for: the last BLK_TAIL bytes are read at every sample once the crash
 * path has begun (before it, a completion entry says the same), so that a
 * read landing with no completion entry -- what QEMU does once Bus Master
 * is clear -- is still seen.
 */
#ifndef SIM_ENGINE_DEV_BLOCK_H
#define SIM_ENGINE_DEV_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/msix.h"

#define BLK_SLOTS       32
#define BLK_CMD_BYTES   (64 * 1024)
#define BLK_TAIL        16

struct crash_machine;
struct dma_endpoint;
struct crash_dev_result;

struct blk_driver {
    int (*sample)(void *dev);               /* completion entries read */
    uint32_t (*posted)(const void *dev);    /* posted, no entry yet */
    uint32_t (*done)(const void *dev);      /* entry seen */
    int (*issue)(void *dev, uint32_t mask);
    uint64_t (*slot_data)(const void *dev, unsigned int slot);
    /* The last len bytes slot's current read should leave. */
    void (*tail)(const void *dev, unsigned int slot, uint8_t *buf,
                 size_t len);
    unsigned long (*entries)(const void *dev);  /* entries seen, total */
    struct msix *(*msix)(void *dev);
    void (*ack)(void *dev);                 /* NULL: nothing to ack */
};

/* The first member of a block kind's dma_endpoint.priv. */
struct blk_state {
    const struct blk_driver *drv;
    void *dev;                  /* struct nvme_dev, struct vblk_dev */
    uint32_t landed;            /* slots whose current read was seen */
    unsigned long landings;     /* reads seen landing, total */
    unsigned long entries;      /* completion entries, as last sampled */
    bool new_seen;              /* new DMA since the last new_activity */
    bool based;                 /* baseline taken (crash path returned) */
    unsigned long inflight_landings;    /* in-flight ones, after it */
    unsigned long base_landings, base_entries, base_msix;
    unsigned int queued_at_path;
};

/* The generic operations (devkind_ops members) of block kinds. */
int blk_start(struct crash_machine *m, struct dma_endpoint *d);
void blk_sample(struct crash_machine *m, struct dma_endpoint *d);
uint64_t blk_progress(const struct dma_endpoint *d);
bool blk_new_activity(struct dma_endpoint *d);
void blk_ack(struct dma_endpoint *d);
int blk_refill(struct crash_machine *m, struct dma_endpoint *d);
void blk_record_inflight(struct dma_endpoint *d);
void blk_baseline(struct dma_endpoint *d);
void blk_results(struct crash_machine *m, const struct dma_endpoint *d,
                 struct crash_dev_result *o);
/* One region per slot buffer (guard-filled, its slot's), named "NAME slot
 * S buffer". */
int blk_slot_regions(struct crash_machine *m, unsigned int i);

#endif /* SIM_ENGINE_DEV_BLOCK_H */
