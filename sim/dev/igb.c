/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * igb: see igb.h.  Register numbers in igb_regs.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/pattern.h"
#include "igb.h"
#include "igb_regs.h"
#include "pci/pci_regs.h"

#define MAC_PREFIX      0x52, 0x54, 0x00, 0x15
#define PF_MAC_LOW      0x80            /* last byte of the PF's MAC */
#define ETHERTYPE_HI    0x88            /* a local experimental EtherType */
#define ETHERTYPE_LO    0xb5

/* MAC of VF vf (vf = PF_MAC_LOW: the PF's) of igb number index. */
static void mac_of(unsigned int index, unsigned int vf, uint8_t mac[6])
{
    const uint8_t prefix[4] = { MAC_PREFIX };

    memcpy(mac, prefix, sizeof(prefix));
    mac[4] = (uint8_t)index;
    mac[5] = (uint8_t)vf;
}

int igb_qemu_args(const char *name, unsigned int index, const char *tmpdir,
                  char *netdev, size_t netdev_len, char *extra,
                  size_t extra_len)
{
    uint8_t mac[6];
    int n;

    mac_of(index, PF_MAC_LOW, mac);
    n = snprintf(netdev, netdev_len,
                 "dgram,id=ig%u,local.type=unix,local.path=%s/%s.q,"
                 "remote.type=unix,remote.path=%s/%s.h",
                 index, tmpdir, name, tmpdir, name);
    if (n < 0 || (size_t)n >= netdev_len)
        return -1;
    n = snprintf(extra, extra_len, ",netdev=ig%u,mac=%02x:%02x:%02x:%02x:"
                 "%02x:%02x", index, mac[0], mac[1], mac[2], mac[3], mac[4],
                 mac[5]);
    return n < 0 || (size_t)n >= extra_len ? -1 : 0;
}

int igb_open(struct igb_pf *pf, struct qts *q, const char *name,
             unsigned int index, uint64_t seed)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    char file[IGB_NAME_LEN + 4];

    memset(pf, 0, sizeof(*pf));
    pf->qts = q;
    pf->index = index;
    pf->seed = seed;
    pf->func = pf->first_vf = -1;
    pf->sock = -1;
    snprintf(pf->name, sizeof(pf->name), "%s", name);
    snprintf(file, sizeof(file), "%s.q", name);
    if (!qts_path(q, file, pf->qemu_path, sizeof(pf->qemu_path)))
        return -1;
    snprintf(file, sizeof(file), "%s.h", name);
    if (!qts_path(q, file, pf->harness_path, sizeof(pf->harness_path)))
        return -1;
    if (strlen(pf->harness_path) >= sizeof(addr.sun_path))
        return qts_fail(q, "%s: socket path too long", name);
    pf->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (pf->sock < 0)
        return qts_fail(q, "%s: socket: %s", name, strerror(errno));
    strcpy(addr.sun_path, pf->harness_path);
    unlink(pf->harness_path);
    if (bind(pf->sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        return qts_fail(q, "%s: bind %s: %s", name, pf->harness_path,
                        strerror(errno));
    return 0;
}

static void pf_write(struct igb_pf *pf, unsigned int reg, uint32_t v)
{
    qts_writel(pf->qts, pf->mmio + reg, v);
}

static uint32_t pf_read(struct igb_pf *pf, unsigned int reg)
{
    return qts_readl(pf->qts, pf->mmio + reg);
}

/* Link reset released, autonegotiation restarted; wait for STATUS.LU. */
static int link_up(struct igb_pf *pf)
{
    uint64_t end = clock_ms_u64() + IGB_LINK_TIMEOUT_MS;

    pf_write(pf, IGB_CTRL, (pf_read(pf, IGB_CTRL) | IGB_CTRL_SLU) &
             ~IGB_CTRL_LRST);
    pf_write(pf, IGB_MDIC, IGB_MDIC_PHY1 | IGB_MDIC_OP_WRITE |
             IGB_PHY_BMCR_ANRESTART);
    while (!(pf_read(pf, IGB_STATUS) & IGB_STATUS_LU)) {
        if (qts_error(pf->qts))
            return -1;
        if (clock_ms_u64() >= end)
            return qts_fail(pf->qts, "%s: no link within %u ms (STATUS "
                            "0x%08x)", pf->name, IGB_LINK_TIMEOUT_MS,
                            pf_read(pf, IGB_STATUS));
        clock_sleep_ms(10);
    }
    return 0;
}

int igb_pf_setup(struct igb_pf *pf, struct qpci_bus *bus, int func,
                 unsigned int nr_vfs)
{
    if (nr_vfs == 0 || nr_vfs > IGB_MAX_VFS)
        return qts_fail(pf->qts, "%s: %u VFs (1..%u)", pf->name, nr_vfs,
                        IGB_MAX_VFS);
    pf->bus = bus;
    pf->func = func;
    pf->sbdf = bus->func[func].sbdf;
    pf->nr_vfs = nr_vfs;
    pf->mmio = qpci_bar_addr(bus, func, 0);
    if (!pf->mmio)
        return qts_fail(pf->qts, "%s: BAR0 not assigned", pf->name);
    qpci_enable(bus, pf->sbdf, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    if (link_up(pf))
        return -1;
    pf_write(pf, IGB_MRQC, IGB_MRQC_VMDQ);
    pf_write(pf, IGB_VT_CTL, IGB_VT_CTL_DIS_DEF_POOL);
    pf_write(pf, IGB_GPIE, IGB_GPIE_MSIX_MODE);
    pf_write(pf, IGB_CTRL_EXT, pf_read(pf, IGB_CTRL_EXT) |
             IGB_CTRL_EXT_PFRSTD);
    pf->first_vf = qpci_sriov_enable(bus, func, nr_vfs);
    if (pf->first_vf < 0)
        return -1;
    /* A VF's reset, which enabling it is, clears its VFRE and VFTE bits. */
    pf_write(pf, IGB_VFRE, (1u << nr_vfs) - 1);
    pf_write(pf, IGB_VFTE, 0);
    pf_write(pf, IGB_RCTL, IGB_RCTL_EN | IGB_RCTL_BAM | IGB_RCTL_SECRC);
    return qts_error(pf->qts) ? -1 : 0;
}

uint64_t igb_buf(const struct igb_vf *v, unsigned int i)
{
    return v->bufs + (uint64_t)i * IGB_RX_BUF;
}

/* Receive address 1 + vf: VF vf's MAC, selecting its pool. */
static void set_vf_address(struct igb_vf *v)
{
    uint8_t m[6];

    mac_of(v->pf->index, v->vf, m);
    pf_write(v->pf, IGB_RAL(1 + v->vf), (uint32_t)m[0] | (uint32_t)m[1] << 8 |
             (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24);
    pf_write(v->pf, IGB_RAH(1 + v->vf), (uint32_t)m[4] | (uint32_t)m[5] << 8 |
             IGB_RAH_POOL(v->vf) | IGB_RAH_AV);
}

static int alloc_vf(struct igb_vf *v, struct galloc *g)
{
    char name[GALLOC_NAME_LEN];

    snprintf(name, sizeof(name), "%s ring", v->name);
    v->ring = galloc_alloc(g, (uint64_t)IGB_RX_DESCS * IGB_DESC_LEN, 0, name);
    snprintf(name, sizeof(name), "%s buffers", v->name);
    v->bufs = galloc_alloc(g, (uint64_t)IGB_RX_DESCS * IGB_RX_BUF, 0, name);
    snprintf(name, sizeof(name), "%s MSI-X", v->name);
    v->msix_words = galloc_alloc(g, GALLOC_PAGE, 0, name);
    if (!v->ring || !v->bufs || !v->msix_words)
        return qts_fail(v->pf->qts, "%s: guest memory: %s", v->name,
                        galloc_error(g));
    return 0;
}

/* Every descriptor in read format: its buffer, no header buffer. */
static void write_ring(struct igb_vf *v)
{
    uint8_t desc[IGB_DESC_LEN * 16];
    unsigned int i, j;

    for (i = 0; i < IGB_RX_DESCS; i += 16) {
        memset(desc, 0, sizeof(desc));
        for (j = 0; j < 16; j++) {
            uint64_t a = dma_bus_addr(&v->dma, igb_buf(v, i + j));

            memcpy(desc + j * IGB_DESC_LEN, &a, sizeof(a));
        }
        qts_memwrite(v->pf->qts, v->ring + (uint64_t)i * IGB_DESC_LEN, desc,
                     sizeof(desc));
    }
}

static void vf_write(struct igb_vf *v, unsigned int reg, uint32_t val)
{
    qts_writel(v->pf->qts, v->mmio + reg, val);
}

int igb_vf_setup(struct igb_vf *v, struct igb_pf *pf, unsigned int vf,
                 struct galloc *g, const struct dma_hook *dma)
{
    uint64_t ring;

    memset(v, 0, sizeof(*v));
    v->pf = pf;
    v->vf = vf;
    if (dma)
        v->dma = *dma;
    snprintf(v->name, sizeof(v->name), "%.15s.vf%u", pf->name, vf);
    if (pf->first_vf < 0 || vf >= pf->nr_vfs)
        return qts_fail(pf->qts, "%s: no such VF", v->name);
    v->func = pf->first_vf + (int)vf;
    v->sbdf = pf->bus->func[v->func].sbdf;
    v->mmio = qpci_bar_addr(pf->bus, v->func, 0);
    if (!v->mmio)
        return qts_fail(pf->qts, "%s: BAR0 not assigned", v->name);
    qpci_enable(pf->bus, v->sbdf, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    if (alloc_vf(v, g) ||
        msix_setup(&v->msix, pf->qts, pf->bus, v->func, v->msix_words, dma))
        return -1;
    qts_memset(pf->qts, v->bufs, 0, (uint64_t)IGB_RX_DESCS * IGB_RX_BUF);
    write_ring(v);
    set_vf_address(v);
    vf_write(v, IGBVF_IVAR0, IGBVF_IVAR_VALID);
    vf_write(v, IGBVF_EIAC, 1);
    vf_write(v, IGBVF_EIMS, 1);
    ring = dma_bus_addr(&v->dma, v->ring);
    vf_write(v, IGBVF_RDBAL, (uint32_t)ring);
    vf_write(v, IGBVF_RDBAH, (uint32_t)(ring >> 32));
    vf_write(v, IGBVF_RDLEN, IGB_RX_DESCS * IGB_DESC_LEN);
    vf_write(v, IGBVF_SRRCTL, IGB_SRRCTL_BSIZE_2K | IGB_SRRCTL_ADV_ONEBUF);
    vf_write(v, IGBVF_RDH, 0);
    vf_write(v, IGBVF_RXDCTL, IGB_RXDCTL_ENABLE);
    vf_write(v, IGBVF_RDT, IGB_RX_DESCS - 1);
    return qts_error(pf->qts) ? -1 : 0;
}

void igb_frame_bytes(uint64_t seed, unsigned int index, unsigned int vf,
                     unsigned int seq, uint8_t *buf, size_t len)
{
    uint8_t src[6];

    pattern_fill(seed, PATTERN_FRAME, (uint64_t)(0xc000 | index << 4 | vf)
                 << 48 | (uint64_t)seq << 16, buf, len);
    mac_of(index, vf, buf);
    mac_of(index, 0xfe, src);           /* the harness */
    memcpy(buf + 6, src, sizeof(src));
    buf[12] = ETHERTYPE_HI;
    buf[13] = ETHERTYPE_LO;
}

int igb_send_frame(struct igb_vf *v)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    uint8_t frame[IGB_FRAME_LEN];
    ssize_t n;

    igb_frame_bytes(v->pf->seed, v->pf->index, v->vf, v->frames_sent, frame,
                    sizeof(frame));
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", v->pf->qemu_path);
    n = sendto(v->pf->sock, frame, sizeof(frame), MSG_DONTWAIT,
               (struct sockaddr *)&addr, sizeof(addr));
    if (n == (ssize_t)sizeof(frame)) {
        v->frames_sent++;
        return 0;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
                  errno == ENOBUFS || errno == ECONNREFUSED)) {
        v->frames_dropped++;
        return 0;
    }
    return qts_fail(v->pf->qts, "%s: sendto %s: %s", v->name,
                    v->pf->qemu_path, n < 0 ? strerror(errno) : "short write");
}

int igb_sample(struct igb_vf *v)
{
    uint8_t desc[IGB_DESC_LEN * 32];
    unsigned int n = IGB_RX_DESCS - v->rx_done, i;

    if (n > 32)
        n = 32;
    if (!n)
        return 0;
    if (qts_memread(v->pf->qts, v->ring + (uint64_t)v->rx_done * IGB_DESC_LEN,
                    desc, (size_t)n * IGB_DESC_LEN))
        return -1;
    for (i = 0; i < n; i++) {
        const uint8_t *d = desc + i * IGB_DESC_LEN;

        if (!(d[IGB_RXD_STATUS] & IGB_RXD_DD))
            break;
        v->rx_done++;
        v->rx_bytes += (uint32_t)d[IGB_RXD_LENGTH] |
                       (uint32_t)d[IGB_RXD_LENGTH + 1] << 8;
    }
    return 0;
}

void igb_vf_ranges(const struct igb_vf *v, struct igb_ranges *r)
{
    r->ring = v->ring;
    r->ring_len = (uint64_t)IGB_RX_DESCS * IGB_DESC_LEN;
    r->bufs = v->bufs;
    r->bufs_len = (uint64_t)IGB_RX_DESCS * IGB_RX_BUF;
    r->msix_words = v->msix_words;
}

void igb_close(struct igb_pf *pf)
{
    if (pf->sock >= 0) {
        close(pf->sock);
        unlink(pf->harness_path);
    }
    pf->sock = -1;
}
