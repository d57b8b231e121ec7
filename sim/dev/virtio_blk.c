/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio_blk: see virtio_blk.h.  Request layout from the Virtual I/O
 * Device specification 1.1, section 5.2.6.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "disk_image.h"
#include "virtio_blk.h"

#define HDR_LEN         32      /* per slot: 16-byte header, status byte */
#define STATUS_OFF      16
#define T_IN            0       /* read */
#define CFG_CAPACITY    0       /* device configuration: sectors, u64 */

void vblk_disk_bytes(uint64_t seed, unsigned int index, uint64_t pos,
                     uint8_t *buf, size_t len)
{
    disk_image_bytes(seed, DISK_KEY_VIRTIO_BLK | index, pos, buf, len);
}

int vblk_qemu_args(struct qts *q, unsigned int index, uint64_t seed,
                   unsigned int throttle_bps, char *drive, size_t drive_len,
                   char *device, size_t device_len)
{
    char name[32], path[256];
    int n;

    snprintf(name, sizeof(name), "virtio_blk_%u.img", index);
    if (disk_image_write(q, name, seed, DISK_KEY_VIRTIO_BLK | index,
                         VBLK_DISK_BYTES, path, sizeof(path)))
        return -1;
    n = snprintf(drive, drive_len, "if=none,id=vblk%u,file=%s,format=raw,"
                 "throttling.bps-total=%u", index, path, throttle_bps);
    if (n < 0 || (size_t)n >= drive_len)
        return qts_fail(q, "virtio_blk_%u: -drive argument too long", index);
    n = snprintf(device, device_len, "virtio-blk-pci,drive=vblk%u,"
                 "disable-legacy=on,disable-modern=off,request-merging=off",
                 index);
    if (n < 0 || (size_t)n >= device_len)
        return qts_fail(q, "virtio_blk_%u: -device argument too long",
                        index);
    return 0;
}

static int alloc_buffers(struct vblk_dev *d, struct galloc *g)
{
    char name[GALLOC_NAME_LEN];

    snprintf(name, sizeof(name), "%s headers", d->name);
    d->hdrs = galloc_alloc(g, (uint64_t)VBLK_SLOTS * HDR_LEN, 0, name);
    snprintf(name, sizeof(name), "%s buffers", d->name);
    d->data = galloc_alloc(g, (uint64_t)VBLK_SLOTS * VBLK_CMD_BYTES,
                           VBLK_CMD_BYTES, name);
    if (!d->hdrs || !d->data)
        return qts_fail(d->vp.qts, "%s: guest memory: %s", d->name,
                        galloc_error(g));
    return 0;
}

int vblk_setup(struct vblk_dev *d, struct qts *q, struct qpci_bus *bus,
               int func, unsigned int index, uint64_t seed, struct galloc *g,
               const struct dma_hook *dma)
{
    uint64_t sectors;

    memset(d, 0, sizeof(*d));
    snprintf(d->name, sizeof(d->name), "virtio_blk_%u", index);
    d->index = index;
    d->seed = seed;
    if (virtio_pci_setup(&d->vp, q, bus, func, d->name, g, dma))
        return -1;
    if (!d->vp.device)
        return qts_fail(q, "%s: no device configuration", d->name);
    sectors = qts_readq(q, d->vp.device + CFG_CAPACITY);
    if (sectors * VBLK_SECTOR < VBLK_DISK_BYTES)
        return qts_fail(q, "%s: capacity %" PRIu64 " sectors", d->name,
                        sectors);
    if (virtq_setup(&d->vp, &d->vq, 0, VBLK_QUEUE, g) ||
        alloc_buffers(d, g))
        return -1;
    qts_memset(q, d->hdrs, 0, (uint64_t)VBLK_SLOTS * HDR_LEN);
    return virtio_pci_driver_ok(&d->vp);
}

uint64_t vblk_slot_data(const struct vblk_dev *d, unsigned int slot)
{
    return d->data + (uint64_t)slot * VBLK_CMD_BYTES;
}

static void build_read(struct vblk_dev *d, unsigned int slot)
{
    uint64_t hdr = d->hdrs + (uint64_t)slot * HDR_LEN;
    unsigned int chunk = d->next_chunk++ % VBLK_DISK_CHUNKS;
    uint64_t sector = (uint64_t)chunk * (VBLK_CMD_BYTES / VBLK_SECTOR);
    uint16_t head = (uint16_t)(3 * slot);
    uint8_t h[HDR_LEN];
    unsigned int k;

    memset(h, 0, sizeof(h));
    h[0] = T_IN;
    for (k = 0; k < 8; k++)
        h[8 + k] = (uint8_t)(sector >> (8 * k));
    h[STATUS_OFF] = 0xff;           /* the device writes 0 on success */
    qts_memwrite(d->vp.qts, hdr, h, sizeof(h));
    virtq_desc(&d->vp, &d->vq, head, hdr, 16, VIRTQ_DESC_F_NEXT,
               (uint16_t)(head + 1));
    virtq_desc(&d->vp, &d->vq, (uint16_t)(head + 1), vblk_slot_data(d, slot),
               VBLK_CMD_BYTES, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
               (uint16_t)(head + 2));
    virtq_desc(&d->vp, &d->vq, (uint16_t)(head + 2), hdr + STATUS_OFF, 1,
               VIRTQ_DESC_F_WRITE, 0);
    d->slot_chunk[slot] = chunk;
    d->slot[slot] = VBLK_SLOT_POSTED;
    d->issued++;
}

int vblk_issue_slots(struct vblk_dev *d, uint32_t mask)
{
    uint16_t heads[VBLK_SLOTS];
    unsigned int slot, n = 0;

    for (slot = 0; slot < VBLK_SLOTS; slot++) {
        if (!(mask & (1u << slot)))
            continue;
        if (d->slot[slot] == VBLK_SLOT_POSTED)
            return qts_fail(d->vp.qts, "%s: slot %u issued twice", d->name,
                            slot);
        build_read(d, slot);
        heads[n++] = (uint16_t)(3 * slot);
    }
    if (!n)
        return qts_error(d->vp.qts) ? -1 : 0;
    return virtq_publish(&d->vp, &d->vq, heads, n);
}

int vblk_issue_all(struct vblk_dev *d)
{
    return vblk_issue_slots(d, 0xffffffffu);
}

int vblk_sample(struct vblk_dev *d)
{
    struct virtq_used_elem e[VBLK_SLOTS];
    int n, i;

    n = virtq_take_used(&d->vp, &d->vq, e, VBLK_SLOTS);
    for (i = 0; i < n; i++) {
        unsigned int slot = e[i].id / 3;
        uint8_t status;

        if (e[i].id % 3 || slot >= VBLK_SLOTS ||
            d->slot[slot] != VBLK_SLOT_POSTED)
            return qts_fail(d->vp.qts, "%s: used id %u not posted", d->name,
                            e[i].id);
        status = qts_readb(d->vp.qts, d->hdrs + (uint64_t)slot * HDR_LEN +
                                      STATUS_OFF);
        if (status == 0) {
            d->slot[slot] = VBLK_SLOT_DONE;
            d->completed++;
            d->bytes += VBLK_CMD_BYTES;
        } else {
            d->slot[slot] = VBLK_SLOT_FAILED;
            d->failed++;
        }
    }
    return n < 0 || qts_error(d->vp.qts) ? -1 : 0;
}

static uint32_t slots_in(const struct vblk_dev *d, enum vblk_slot_state a,
                         enum vblk_slot_state b)
{
    uint32_t mask = 0;
    unsigned int s;

    for (s = 0; s < VBLK_SLOTS; s++)
        if (d->slot[s] == a || d->slot[s] == b)
            mask |= 1u << s;
    return mask;
}

uint32_t vblk_done_slots(const struct vblk_dev *d)
{
    return slots_in(d, VBLK_SLOT_DONE, VBLK_SLOT_FAILED);
}

uint32_t vblk_posted_slots(const struct vblk_dev *d)
{
    return slots_in(d, VBLK_SLOT_POSTED, VBLK_SLOT_POSTED);
}

long vblk_slot_landed(struct vblk_dev *d, unsigned int slot)
{
    static uint8_t got[VBLK_CMD_BYTES], want[VBLK_CMD_BYTES];
    uint64_t pos = (uint64_t)d->slot_chunk[slot] * VBLK_CMD_BYTES;
    unsigned int b;
    long n = 0;

    if (slot >= VBLK_SLOTS || d->slot[slot] == VBLK_SLOT_IDLE)
        return 0;
    if (qts_memread(d->vp.qts, vblk_slot_data(d, slot), got, sizeof(got)))
        return -1;
    vblk_disk_bytes(d->seed, d->index, pos, want, sizeof(want));
    for (b = 0; b < VBLK_CMD_BYTES; b += VBLK_SECTOR)
        if (memcmp(got + b, want + b, VBLK_SECTOR) == 0)
            n += VBLK_SECTOR;
    return n;
}

void vblk_ranges(const struct vblk_dev *d, struct vblk_ranges *r)
{
    r->ring = d->vq.desc;
    r->ring_len = virtq_bytes(d->vq.size);
    r->hdrs = d->hdrs;
    r->hdrs_len = (uint64_t)VBLK_SLOTS * HDR_LEN;
    r->data = d->data;
    r->data_len = (uint64_t)VBLK_SLOTS * VBLK_CMD_BYTES;
    r->msix_words = d->vp.msix_words;
}
