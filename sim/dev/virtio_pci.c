/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio_pci: see virtio_pci.h.  Layouts from the Virtual I/O Device
 * specification 1.1, sections 2.6 (split virtqueues) and 4.1.4 (PCI
 * capabilities, common configuration).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "pci/pci_regs.h"
#include "virtio_pci.h"

/* Vendor capability (id 9) fields and configuration types. */
#define VCAP_TYPE       3
#define VCAP_BAR        4
#define VCAP_OFFSET     8
#define VCAP_NOTIFY_MULT 16
#define VCFG_COMMON     1
#define VCFG_NOTIFY     2
#define VCFG_ISR        3
#define VCFG_DEVICE     4

/* Common configuration. */
#define CC_DFSELECT     0
#define CC_DF           4
#define CC_GFSELECT     8
#define CC_GF           12
#define CC_MSIX_CONFIG  16
#define CC_STATUS       20
#define CC_Q_SELECT     22
#define CC_Q_SIZE       24
#define CC_Q_MSIX       26
#define CC_Q_ENABLE     28
#define CC_Q_NOTIFY_OFF 30
#define CC_Q_DESC       32
#define CC_Q_AVAIL      40
#define CC_Q_USED       48

#define F_VERSION_1_HI  (1u << 0)       /* feature bit 32 */
#define NO_VECTOR       0xffff

/* Walk the standard capability list for vendor capabilities. */
static int find_caps(struct virtio_pci *v)
{
    unsigned int off = qpci_cfg_read8(v->bus, v->sbdf, PCI_CAPABILITY_LIST);
    unsigned int hops;

    for (hops = 0; off && hops < 48; hops++) {
        uint8_t id = qpci_cfg_read8(v->bus, v->sbdf, off);
        uint8_t type = qpci_cfg_read8(v->bus, v->sbdf, off + VCAP_TYPE);
        uint8_t bar = qpci_cfg_read8(v->bus, v->sbdf, off + VCAP_BAR);
        uint32_t where = qpci_cfg_read32(v->bus, v->sbdf, off + VCAP_OFFSET);
        uint64_t base;

        if (id == PCI_CAP_ID_VNDR && bar < QPCI_NR_BARS &&
            (base = qpci_bar_addr(v->bus, v->func, bar)) != 0) {
            if (type == VCFG_COMMON && !v->common)
                v->common = base + where;
            else if (type == VCFG_NOTIFY && !v->notify) {
                v->notify = base + where;
                v->notify_mult = qpci_cfg_read32(v->bus, v->sbdf,
                                                 off + VCAP_NOTIFY_MULT);
            } else if (type == VCFG_ISR && !v->isr)
                v->isr = base + where;
            else if (type == VCFG_DEVICE && !v->device)
                v->device = base + where;
        }
        off = qpci_cfg_read8(v->bus, v->sbdf, off + 1) & 0xfc;
    }
    if (qts_error(v->qts))
        return -1;
    if (!v->common || !v->notify || !v->isr)
        return qts_fail(v->qts, "%s: no modern virtio capabilities (legacy "
                        "device? QEMU needs disable-legacy=on)", v->name);
    return 0;
}

uint8_t virtio_pci_status(struct virtio_pci *v)
{
    return qts_readb(v->qts, v->common + CC_STATUS);
}

static int reset_device(struct virtio_pci *v)
{
    uint64_t end = clock_ms_u64() + VIRTIO_TIMEOUT_MS;

    qts_writeb(v->qts, v->common + CC_STATUS, 0);
    while (virtio_pci_status(v) != 0) {
        if (qts_error(v->qts))
            return -1;
        if (clock_ms_u64() >= end)
            return qts_fail(v->qts, "%s: reset not done in %u ms", v->name,
                            VIRTIO_TIMEOUT_MS);
        clock_sleep_ms(1);
    }
    return qts_error(v->qts) ? -1 : 0;
}

static int negotiate(struct virtio_pci *v)
{
    struct qts *q = v->qts;
    uint32_t hi;
    uint8_t st = VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER;

    qts_writeb(q, v->common + CC_STATUS, st);
    qts_writel(q, v->common + CC_DFSELECT, 1);
    hi = qts_readl(q, v->common + CC_DF);
    if (!(hi & F_VERSION_1_HI))
        return qts_fail(q, "%s: device does not offer VIRTIO_F_VERSION_1",
                        v->name);
    qts_writel(q, v->common + CC_GFSELECT, 0);
    qts_writel(q, v->common + CC_GF, 0);
    qts_writel(q, v->common + CC_GFSELECT, 1);
    qts_writel(q, v->common + CC_GF, F_VERSION_1_HI);
    st |= VIRTIO_STATUS_FEATURES_OK;
    qts_writeb(q, v->common + CC_STATUS, st);
    if (!(virtio_pci_status(v) & VIRTIO_STATUS_FEATURES_OK))
        return qts_fail(q, "%s: FEATURES_OK did not stick", v->name);
    return qts_error(q) ? -1 : 0;
}

int virtio_pci_setup(struct virtio_pci *v, struct qts *q,
                     struct qpci_bus *bus, int func, const char *name,
                     struct galloc *g, const struct dma_hook *dma)
{
    char region[GALLOC_NAME_LEN];

    memset(v, 0, sizeof(*v));
    if (dma)
        v->dma = *dma;
    v->qts = q;
    v->bus = bus;
    v->func = func;
    v->sbdf = bus->func[func].sbdf;
    v->name = name;
    qpci_enable(bus, v->sbdf, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    if (find_caps(v) || reset_device(v) || negotiate(v))
        return -1;
    snprintf(region, sizeof(region), "%s MSI-X words", name);
    v->msix_words = galloc_alloc(g, GALLOC_PAGE, 0, region);
    if (!v->msix_words)
        return qts_fail(q, "%s: guest memory: %s", name, galloc_error(g));
    if (msix_setup(&v->msix, q, bus, func, v->msix_words, &v->dma))
        return -1;
    qts_writew(q, v->common + CC_MSIX_CONFIG, 0);
    return qts_error(q) ? -1 : 0;
}

uint64_t virtq_bytes(uint16_t size)
{
    uint64_t desc = 16ull * size;
    uint64_t avail = 6 + 2ull * size;
    uint64_t used = 6 + 8ull * size;

    /* desc, then avail, then used on a 4-byte boundary; whole pages. */
    return (desc + ((avail + 3) & ~3ull) + used + GALLOC_PAGE - 1) &
           ~(GALLOC_PAGE - 1);
}

static void write_ring_addr(struct virtio_pci *v, unsigned int reg,
                            uint64_t phys)
{
    uint64_t a = dma_bus_addr(&v->dma, phys);

    qts_writel(v->qts, v->common + reg, (uint32_t)a);
    qts_writel(v->qts, v->common + reg + 4, (uint32_t)(a >> 32));
}

int virtq_setup(struct virtio_pci *v, struct virtq *vq, uint16_t index,
                uint16_t size, struct galloc *g)
{
    struct qts *q = v->qts;
    char region[GALLOC_NAME_LEN];
    uint16_t max, noff, vec;
    uint64_t base;

    memset(vq, 0, sizeof(*vq));
    qts_writew(q, v->common + CC_Q_SELECT, index);
    max = qts_readw(q, v->common + CC_Q_SIZE);
    if (qts_error(q))
        return -1;
    if (max == 0 || size > max || size > VIRTQ_MAX || (size & (size - 1)))
        return qts_fail(q, "%s: queue %u: size %u (device maximum %u)",
                        v->name, index, size, max);
    snprintf(region, sizeof(region), "%s vq%u", v->name, index);
    base = galloc_alloc(g, virtq_bytes(size), 0, region);
    if (!base)
        return qts_fail(q, "%s: guest memory: %s", v->name, galloc_error(g));
    vq->index = index;
    vq->size = size;
    vq->desc = base;
    vq->avail = base + 16ull * size;
    vq->used = (vq->avail + 6 + 2ull * size + 3) & ~3ull;
    qts_memset(q, base, 0, virtq_bytes(size));
    qts_writew(q, v->common + CC_Q_SIZE, size);
    write_ring_addr(v, CC_Q_DESC, vq->desc);
    write_ring_addr(v, CC_Q_AVAIL, vq->avail);
    write_ring_addr(v, CC_Q_USED, vq->used);
    qts_writew(q, v->common + CC_Q_MSIX, (uint16_t)(1 + index));
    vec = qts_readw(q, v->common + CC_Q_MSIX);
    if (vec == NO_VECTOR)
        return qts_fail(q, "%s: queue %u: MSI-X vector refused", v->name,
                        index);
    noff = qts_readw(q, v->common + CC_Q_NOTIFY_OFF);
    vq->notify_addr = v->notify + (uint64_t)noff * v->notify_mult;
    qts_writew(q, v->common + CC_Q_ENABLE, 1);
    return qts_error(q) ? -1 : 0;
}

int virtio_pci_driver_ok(struct virtio_pci *v)
{
    uint8_t st = virtio_pci_status(v);

    qts_writeb(v->qts, v->common + CC_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
    return qts_error(v->qts) ? -1 : 0;
}

void virtq_desc(struct virtio_pci *v, struct virtq *vq, uint16_t i,
                uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    uint8_t d[16];
    uint64_t a = dma_bus_addr(&v->dma, addr);
    unsigned int k;

    for (k = 0; k < 8; k++)
        d[k] = (uint8_t)(a >> (8 * k));
    for (k = 0; k < 4; k++)
        d[8 + k] = (uint8_t)(len >> (8 * k));
    d[12] = (uint8_t)flags;
    d[13] = (uint8_t)(flags >> 8);
    d[14] = (uint8_t)next;
    d[15] = (uint8_t)(next >> 8);
    qts_memwrite(v->qts, vq->desc + 16ull * i, d, sizeof(d));
}

int virtq_publish(struct virtio_pci *v, struct virtq *vq,
                  const uint16_t *heads, unsigned int n)
{
    unsigned int i;

    for (i = 0; i < n; i++) {
        uint16_t slot = (uint16_t)((vq->avail_idx + i) % vq->size);

        qts_writew(v->qts, vq->avail + 4 + 2ull * slot, heads[i]);
    }
    vq->avail_idx = (uint16_t)(vq->avail_idx + n);
    qts_writew(v->qts, vq->avail + 2, vq->avail_idx);
    qts_writew(v->qts, vq->notify_addr, vq->index);
    return qts_error(v->qts) ? -1 : 0;
}

int virtq_take_used(struct virtio_pci *v, struct virtq *vq,
                    struct virtq_used_elem *out, unsigned int max)
{
    uint16_t idx = qts_readw(v->qts, vq->used + 2);
    unsigned int n = 0;

    if (qts_error(v->qts))
        return -1;
    while (vq->used_seen != idx && n < max) {
        uint8_t e[8];
        uint16_t slot = (uint16_t)(vq->used_seen % vq->size);

        if (qts_memread(v->qts, vq->used + 4 + 8ull * slot, e, sizeof(e)))
            return -1;
        out[n].id = (uint32_t)e[0] | (uint32_t)e[1] << 8 |
                    (uint32_t)e[2] << 16 | (uint32_t)e[3] << 24;
        out[n].len = (uint32_t)e[4] | (uint32_t)e[5] << 8 |
                     (uint32_t)e[6] << 16 | (uint32_t)e[7] << 24;
        vq->used_seen++;
        n++;
    }
    return (int)n;
}
