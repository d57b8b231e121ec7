/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio_pci: the modern (virtio 1.x) PCI transport and split virtqueues,
 * shared by the virtio-blk and virtio-net drivers.
 *
 * The device is found through its vendor capabilities (common, notify,
 * ISR, device configuration), reset, given VIRTIO_F_VERSION_1 and nothing
 * else, and signals through MSI-X (msix.h: vector 0 for configuration
 * changes, vector 1 + n for queue n).  QEMU must be told
 * "disable-legacy=on" so that the function is a modern-only one (device
 * ID 0x1040 + virtio device type).
 *
 * QEMU's virtio-pci reacts to a config write that clears Bus Master by
 * marking the device disabled and clearing DRIVER_OK in the device status
 * (virtio_pci_status() shows it).
 */
#ifndef SIM_DEV_VIRTIO_PCI_H
#define SIM_DEV_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "dma.h"
#include "msix.h"
#include "pci/galloc.h"
#include "pci/qpci.h"
#include "qemu/qts.h"

#define VIRTIO_VENDOR           0x1af4
#define VIRTIO_DEVICE_NET       0x1041
#define VIRTIO_DEVICE_BLK       0x1042

#define VIRTIO_STATUS_ACK       0x01
#define VIRTIO_STATUS_DRIVER    0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08

#define VIRTQ_DESC_F_NEXT       1
#define VIRTQ_DESC_F_WRITE      2
#define VIRTQ_MAX               256
#define VIRTIO_TIMEOUT_MS       3000

struct virtio_pci {
    struct qts *qts;
    struct qpci_bus *bus;
    int func;
    uint32_t sbdf;
    struct dma_hook dma;
    const char *name;           /* for messages: "virtio_blk_0" */

    uint64_t common, notify, isr, device;   /* guest addresses */
    uint32_t notify_mult;

    struct msix msix;
    uint64_t msix_words;        /* one page */
};

struct virtq {
    uint16_t index, size;
    uint64_t desc, avail, used;     /* guest-physical */
    uint64_t notify_addr;
    uint16_t avail_idx;             /* next avail ring index we write */
    uint16_t used_seen;             /* used entries consumed */
};

struct virtq_used_elem {
    uint32_t id, len;
};

/*
 * After qpci_assign(): find the capabilities of bus->func[func], enable
 * MEM|MASTER, reset the device, negotiate VIRTIO_F_VERSION_1 only
 * (FEATURES_OK must stick) and set up MSI-X with a page of words from g.
 * Returns 0, or -1 with a sticky error on q.
 */
int virtio_pci_setup(struct virtio_pci *v, struct qts *q,
                     struct qpci_bus *bus, int func, const char *name,
                     struct galloc *g, const struct dma_hook *dma);

/*
 * Queue index with size entries (at most the device's maximum, a power of
 * two), its rings in g, MSI-X vector 1 + index; enabled.  Returns 0 or -1.
 */
int virtq_setup(struct virtio_pci *v, struct virtq *vq, uint16_t index,
                uint16_t size, struct galloc *g);

/* Set DRIVER_OK.  Returns 0 or -1. */
int virtio_pci_driver_ok(struct virtio_pci *v);

/* The device status register (reads the common configuration). */
uint8_t virtio_pci_status(struct virtio_pci *v);

/* Write descriptor i. */
void virtq_desc(struct virtio_pci *v, struct virtq *vq, uint16_t i,
                uint64_t addr, uint32_t len, uint16_t flags, uint16_t next);
/* Put heads[0..n) in the avail ring, then publish the index and notify. */
int virtq_publish(struct virtio_pci *v, struct virtq *vq,
                  const uint16_t *heads, unsigned int n);
/*
 * New used elements (at most max) into out; returns how many, or -1.
 * Reads guest memory only.
 */
int virtq_take_used(struct virtio_pci *v, struct virtq *vq,
                    struct virtq_used_elem *out, unsigned int max);

/* Bytes of the rings of a queue of size entries, as laid out here. */
uint64_t virtq_bytes(uint16_t size);

#endif /* SIM_DEV_VIRTIO_PCI_H */
