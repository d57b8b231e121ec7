/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio_net: a minimal receive-only driver for QEMU's virtio-net-pci,
 * modern interface (virtio_pci.h), playing the crashed system's virtio
 * NIC.
 *
 * Network: "-netdev dgram" over two unix datagram sockets in the run's
 * temporary directory, as for the e1000 (e1000.h): QEMU binds NAME.q, the
 * harness binds NAME.h and sends frames to NAME.q.  QEMU's virtio-net
 * starts promiscuous, so every frame is taken.
 *
 * Receive: queue 0 with VNET_RX_BUFS buffers of VNET_RX_BUF bytes, each
 * a single device-writable descriptor, all published at set-up and never
 * recycled: frame n lands (after the 12-byte virtio-net header) in the
 * buffer the device takes n-th, and stays there.  Queue 1 (transmit) is
 * set up empty: the device needs it to start.  Progress is read from
 * guest memory only (the used ring).
 */
#ifndef SIM_DEV_VIRTIO_NET_H
#define SIM_DEV_VIRTIO_NET_H

#include <stddef.h>
#include <stdint.h>

#include "virtio_pci.h"

#define VNET_RX_BUFS        128
#define VNET_RX_BUF         2048
#define VNET_HDR_LEN        12      /* virtio_net_hdr with num_buffers */
#define VNET_FRAME_LEN      600
#define VNET_NAME_LEN       24
#define VNET_PATH_LEN       108

struct vnet_dev {
    struct virtio_pci vp;
    struct virtq rx, tx;
    char name[VNET_NAME_LEN];       /* virtio_net_0, ... */
    unsigned int index;
    uint64_t seed;
    uint64_t bufs;                  /* VNET_RX_BUFS x VNET_RX_BUF */

    int sock;                       /* harness end, non-blocking */
    char qemu_path[VNET_PATH_LEN], harness_path[VNET_PATH_LEN];

    unsigned int frames_sent;
    unsigned int frames_dropped;    /* socket full */
    unsigned int rx_done;           /* used entries seen */
    uint64_t rx_bytes;              /* their lengths, header included */
    unsigned int used_id[VNET_RX_BUFS];     /* buffer of the n-th frame */
};

/*
 * The "-netdev" and "-device" values for virtio-net number index (socket
 * paths in tmpdir).  Returns 0, or -1 when they do not fit.
 */
int vnet_qemu_args(unsigned int index, const char *tmpdir, char *netdev,
                   size_t netdev_len, char *device, size_t device_len);

/* Bind the harness socket.  Returns 0 or -1 with a sticky error on q. */
int vnet_open(struct vnet_dev *d, struct qts *q, unsigned int index,
              uint64_t seed);

/*
 * After qpci_assign() and vnet_open(): transport, both queues, the
 * buffers in g (all published), DRIVER_OK.  Addresses through dma (NULL:
 * physical; copied).  Returns 0 or -1.
 */
int vnet_setup(struct vnet_dev *d, struct qpci_bus *bus, int func,
               struct galloc *g, const struct dma_hook *dma);

/* Send frame number frames_sent.  Returns 0 (sent or dropped) or -1. */
int vnet_send_frame(struct vnet_dev *d);

/* Read the used ring of queue 0.  Returns 0 or -1. */
int vnet_sample(struct vnet_dev *d);

/* Guest address of buffer i. */
uint64_t vnet_buf(const struct vnet_dev *d, unsigned int i);

/* The harness-side copy of frame seq. */
void vnet_frame_bytes(uint64_t seed, unsigned int index, unsigned int seq,
                      uint8_t *buf, size_t len);

struct vnet_ranges {
    uint64_t rx_ring, rx_ring_len;
    uint64_t tx_ring, tx_ring_len;
    uint64_t bufs, bufs_len;
    uint64_t msix_words;
};
void vnet_ranges(const struct vnet_dev *d, struct vnet_ranges *r);

void vnet_close(struct vnet_dev *d);

#endif /* SIM_DEV_VIRTIO_NET_H */
