/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio_blk: a minimal driver for QEMU's virtio-blk-pci, modern interface
 * (virtio_pci.h), playing the crashed system's virtio disk.
 *
 * A generated disk (disk_image.h) throttled with "throttling.bps-total"
 * so that requests stay pending ("request-merging=off": QEMU would
 * otherwise merge the reads of adjacent chunks into one request that the
 * throttle lets through at once); one request queue of VBLK_QUEUE entries
 * (MSI-X vector 1) kept full of VBLK_SLOTS reads of VBLK_CMD_BYTES.
 * Slot s uses descriptors 3s (header, device-readable), 3s + 1 (its
 * buffer, device-writable) and 3s + 2 (its status byte, device-writable).
 * Like a live driver the caller re-issues completed slots, each reading
 * the next chunk of the disk (wrapping).
 *
 * Progress is read from guest memory only: the used ring.  What lands in a
 * buffer is compared with the disk (vblk_slot_landed).
 */
#ifndef SIM_DEV_VIRTIO_BLK_H
#define SIM_DEV_VIRTIO_BLK_H

#include <stddef.h>
#include <stdint.h>

#include "virtio_pci.h"

#define VBLK_SLOTS          32
#define VBLK_QUEUE          128
#define VBLK_CMD_BYTES      (64 * 1024)
#define VBLK_SECTOR         512u
#define VBLK_DISK_CHUNKS    (2 * VBLK_SLOTS)
#define VBLK_DISK_BYTES     ((uint64_t)VBLK_DISK_CHUNKS * VBLK_CMD_BYTES)
#define VBLK_NAME_LEN       24

enum vblk_slot_state {
    VBLK_SLOT_IDLE, VBLK_SLOT_POSTED, VBLK_SLOT_DONE, VBLK_SLOT_FAILED,
};

struct vblk_dev {
    struct virtio_pci vp;
    struct virtq vq;
    char name[VBLK_NAME_LEN];       /* virtio_blk_0, ... */
    unsigned int index;
    uint64_t seed;
    uint64_t hdrs;                  /* 32 bytes a slot: header, status */
    uint64_t data;                  /* VBLK_SLOTS x VBLK_CMD_BYTES */

    enum vblk_slot_state slot[VBLK_SLOTS];
    unsigned int slot_chunk[VBLK_SLOTS];
    unsigned int next_chunk;
    unsigned long issued, completed, failed;
    uint64_t bytes;
};

/*
 * Write the disk image of virtio-blk number index and fill the "-drive"
 * (throttled) and "-device virtio-blk-pci,disable-legacy=on,..." values.
 * Returns 0, or -1 with a sticky error on q.
 */
int vblk_qemu_args(struct qts *q, unsigned int index, uint64_t seed,
                   unsigned int throttle_bps, char *drive, size_t drive_len,
                   char *device, size_t device_len);

/*
 * After qpci_assign(): transport, the request queue, headers and buffers
 * in g, DRIVER_OK; every address through dma (NULL: physical; copied).
 * Returns 0 or -1.
 */
int vblk_setup(struct vblk_dev *d, struct qts *q, struct qpci_bus *bus,
               int func, unsigned int index, uint64_t seed, struct galloc *g,
               const struct dma_hook *dma);

/* Issue the slots in mask with one notification.  Returns 0 or -1. */
int vblk_issue_slots(struct vblk_dev *d, uint32_t mask);
int vblk_issue_all(struct vblk_dev *d);
/* Read the used ring; update slot states and counters. */
int vblk_sample(struct vblk_dev *d);
uint32_t vblk_done_slots(const struct vblk_dev *d);
uint32_t vblk_posted_slots(const struct vblk_dev *d);
uint64_t vblk_slot_data(const struct vblk_dev *d, unsigned int slot);
/* Bytes of slot's buffer equal to its last read's disk chunk (whole
 * sectors), or -1. */
long vblk_slot_landed(struct vblk_dev *d, unsigned int slot);
void vblk_disk_bytes(uint64_t seed, unsigned int index, uint64_t pos,
                     uint8_t *buf, size_t len);

struct vblk_ranges {
    uint64_t ring, ring_len;        /* descriptors, avail, used */
    uint64_t hdrs, hdrs_len;        /* headers and status bytes */
    uint64_t data, data_len;
    uint64_t msix_words;            /* one page */
};
void vblk_ranges(const struct vblk_dev *d, struct vblk_ranges *r);

#endif /* SIM_DEV_VIRTIO_BLK_H */
