/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio_net: see virtio_net.h.  Layouts from the Virtual I/O Device
 * specification 1.1, section 5.1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/pattern.h"
#include "virtio_net.h"

#define TX_QUEUE_LEN    16

int vnet_qemu_args(unsigned int index, const char *tmpdir, char *netdev,
                   size_t netdev_len, char *device, size_t device_len)
{
    int n;

    n = snprintf(netdev, netdev_len,
                 "dgram,id=vn%u,local.type=unix,local.path=%s/virtio_net_%u.q,"
                 "remote.type=unix,remote.path=%s/virtio_net_%u.h",
                 index, tmpdir, index, tmpdir, index);
    if (n < 0 || (size_t)n >= netdev_len)
        return -1;
    n = snprintf(device, device_len, "virtio-net-pci,netdev=vn%u,"
                 "disable-legacy=on,disable-modern=off,"
                 "mac=52:54:00:13:00:%02x", index, index & 0xff);
    return n < 0 || (size_t)n >= device_len ? -1 : 0;
}

int vnet_open(struct vnet_dev *d, struct qts *q, unsigned int index,
              uint64_t seed)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    char name[32];

    memset(d, 0, sizeof(*d));
    d->vp.qts = q;
    d->index = index;
    d->seed = seed;
    d->sock = -1;
    snprintf(d->name, sizeof(d->name), "virtio_net_%u", index);
    snprintf(name, sizeof(name), "%s.q", d->name);
    if (!qts_path(q, name, d->qemu_path, sizeof(d->qemu_path)))
        return -1;
    snprintf(name, sizeof(name), "%s.h", d->name);
    if (!qts_path(q, name, d->harness_path, sizeof(d->harness_path)))
        return -1;
    d->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (d->sock < 0)
        return qts_fail(q, "%s: socket: %s", d->name, strerror(errno));
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", d->harness_path);
    unlink(d->harness_path);
    if (bind(d->sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        return qts_fail(q, "%s: bind %s: %s", d->name, d->harness_path,
                        strerror(errno));
    return 0;
}

uint64_t vnet_buf(const struct vnet_dev *d, unsigned int i)
{
    return d->bufs + (uint64_t)i * VNET_RX_BUF;
}

int vnet_setup(struct vnet_dev *d, struct qpci_bus *bus, int func,
               struct galloc *g, const struct dma_hook *dma)
{
    struct qts *q = d->vp.qts;
    uint16_t heads[VNET_RX_BUFS];
    char region[GALLOC_NAME_LEN];
    unsigned int i;

    if (virtio_pci_setup(&d->vp, q, bus, func, d->name, g, dma) ||
        virtq_setup(&d->vp, &d->rx, 0, VNET_RX_BUFS, g) ||
        virtq_setup(&d->vp, &d->tx, 1, TX_QUEUE_LEN, g))
        return -1;
    snprintf(region, sizeof(region), "%.18s RX buffers", d->name);
    d->bufs = galloc_alloc(g, (uint64_t)VNET_RX_BUFS * VNET_RX_BUF, 0,
                           region);
    if (!d->bufs)
        return qts_fail(q, "%s: guest memory: %s", d->name, galloc_error(g));
    qts_memset(q, d->bufs, 0, (uint64_t)VNET_RX_BUFS * VNET_RX_BUF);
    for (i = 0; i < VNET_RX_BUFS; i++) {
        virtq_desc(&d->vp, &d->rx, (uint16_t)i, vnet_buf(d, i), VNET_RX_BUF,
                   VIRTQ_DESC_F_WRITE, 0);
        heads[i] = (uint16_t)i;
    }
    if (virtio_pci_driver_ok(&d->vp))
        return -1;
    return virtq_publish(&d->vp, &d->rx, heads, VNET_RX_BUFS);
}

void vnet_frame_bytes(uint64_t seed, unsigned int index, unsigned int seq,
                      uint8_t *buf, size_t len)
{
    static const uint8_t dst[6] = { 0x52, 0x54, 0x00, 0x13, 0x00, 0x00 };

    pattern_fill(seed, PATTERN_FRAME,
                 (uint64_t)(0x8000 | index) << 48 | (uint64_t)seq << 16,
                 buf, len);
    memcpy(buf, dst, sizeof(dst));
    buf[5] = (uint8_t)index;
    buf[12] = 0x88;             /* a local experimental EtherType */
    buf[13] = 0xb5;
}

int vnet_send_frame(struct vnet_dev *d)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    uint8_t frame[VNET_FRAME_LEN];
    ssize_t n;

    vnet_frame_bytes(d->seed, d->index, d->frames_sent, frame, sizeof(frame));
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", d->qemu_path);
    n = sendto(d->sock, frame, sizeof(frame), MSG_DONTWAIT,
               (struct sockaddr *)&addr, sizeof(addr));
    if (n == (ssize_t)sizeof(frame)) {
        d->frames_sent++;
        return 0;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
                  errno == ENOBUFS || errno == ECONNREFUSED)) {
        d->frames_dropped++;
        return 0;
    }
    return qts_fail(d->vp.qts, "%s: sendto %s: %s", d->name, d->qemu_path,
                    n < 0 ? strerror(errno) : "short write");
}

int vnet_sample(struct vnet_dev *d)
{
    struct virtq_used_elem e[VNET_RX_BUFS];
    int n, i;

    n = virtq_take_used(&d->vp, &d->rx, e, VNET_RX_BUFS);
    for (i = 0; i < n; i++) {
        if (e[i].id >= VNET_RX_BUFS || d->rx_done >= VNET_RX_BUFS)
            return qts_fail(d->vp.qts, "%s: used id %u", d->name, e[i].id);
        d->used_id[d->rx_done++] = e[i].id;
        d->rx_bytes += e[i].len;
    }
    return n < 0 ? -1 : 0;
}

void vnet_ranges(const struct vnet_dev *d, struct vnet_ranges *r)
{
    r->rx_ring = d->rx.desc;
    r->rx_ring_len = virtq_bytes(d->rx.size);
    r->tx_ring = d->tx.desc;
    r->tx_ring_len = virtq_bytes(d->tx.size);
    r->bufs = d->bufs;
    r->bufs_len = (uint64_t)VNET_RX_BUFS * VNET_RX_BUF;
    r->msix_words = d->vp.msix_words;
}

void vnet_close(struct vnet_dev *d)
{
    if (d->sock >= 0) {
        close(d->sock);
        unlink(d->harness_path);
    }
    d->sock = -1;
}
