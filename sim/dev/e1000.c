/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * e1000: see e1000.h.  Register numbers and descriptor layouts (e1000_regs.h)
 * are from Intel's 8254x software developer's manual.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "e1000.h"
#include "e1000_regs.h"
#include "base/pattern.h"
#include "pci/pci_regs.h"

/* How many descriptors one sample reads ahead of the last one done. */
#define SAMPLE_AHEAD    32

static uint64_t frame_pos(unsigned int index, unsigned int seq)
{
    return ((uint64_t)index << 40) | ((uint64_t)seq << 16);
}

void e1000_frame_bytes(uint64_t seed, unsigned int index, unsigned int seq,
                       uint8_t *buf, size_t len)
{
    static const uint8_t header[14] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff,     /* broadcast */
        0x52, 0x54, 0x00, 0xfe, 0xed, 0x00,     /* the harness */
        0x88, 0xb5,                             /* local experimental */
    };

    pattern_fill(seed, PATTERN_FRAME, frame_pos(index, seq), buf, len);
    memcpy(buf, header, len < sizeof(header) ? len : sizeof(header));
}

int e1000_qemu_args(const char *name, unsigned int index, const char *tmpdir,
                    char *netdev_buf, size_t netdev_len,
                    char *extra, size_t extra_len)
{
    int n;

    n = snprintf(netdev_buf, netdev_len,
                 "dgram,id=n%u,local.type=unix,local.path=%s/%s.q,"
                 "remote.type=unix,remote.path=%s/%s.h",
                 index, tmpdir, name, tmpdir, name);
    if (n < 0 || (size_t)n >= netdev_len)
        return -1;
    n = snprintf(extra, extra_len, ",netdev=n%u,mac=52:54:00:12:%02x:%02x",
                 index, (index >> 8) & 0xff, index & 0xff);
    if (n < 0 || (size_t)n >= extra_len)
        return -1;
    return 0;
}

int e1000_open(struct e1000_dev *d, struct qts *q, enum e1000_model model,
               const char *name, unsigned int index, uint64_t seed)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    char file[E1000_NAME_LEN + 8];

    memset(d, 0, sizeof(*d));
    d->qts = q;
    d->model = model;
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->index = index;
    d->seed = seed;
    d->func = -1;
    d->sock = -1;

    snprintf(file, sizeof(file), "%s.q", d->name);
    if (!qts_path(q, file, d->qemu_path, sizeof(d->qemu_path)))
        return -1;
    snprintf(file, sizeof(file), "%s.h", d->name);
    if (!qts_path(q, file, d->harness_path, sizeof(d->harness_path)))
        return -1;
    if (strlen(d->harness_path) >= sizeof(addr.sun_path))
        return qts_fail(q, "%s: socket path too long", d->name);

    d->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (d->sock < 0)
        return qts_fail(q, "%s: socket: %s", d->name, strerror(errno));
    strcpy(addr.sun_path, d->harness_path);
    if (bind(d->sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        return qts_fail(q, "%s: bind %s: %s", d->name, d->harness_path,
                        strerror(errno));
    return 0;
}

static void reg_write(struct e1000_dev *d, unsigned int reg, uint32_t v)
{
    qts_writel(d->qts, d->mmio + reg, v);
}

static void setup_rx_ring(struct e1000_dev *d)
{
    uint8_t desc[E1000_DESC_LEN * 16];
    unsigned int i, j;

    for (i = 0; i < E1000_RX_DESCS; i += 16) {
        memset(desc, 0, sizeof(desc));
        for (j = 0; j < 16; j++) {
            uint64_t buf = dma_bus_addr(&d->dma, d->rx_bufs +
                                        (uint64_t)(i + j) * E1000_RX_BUF);

            memcpy(desc + j * E1000_DESC_LEN, &buf, sizeof(buf));
        }
        qts_memwrite(d->qts, d->rx_ring + (uint64_t)i * E1000_DESC_LEN,
                     desc, sizeof(desc));
    }
}

int e1000_setup(struct e1000_dev *d, struct qpci_bus *bus, int func,
                struct galloc *g, const struct dma_hook *dma)
{
    char name[GALLOC_NAME_LEN];
    uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12,
                       (uint8_t)(d->index >> 8), (uint8_t)d->index };
    uint64_t ring;

    d->bus = bus;
    if (dma)
        d->dma = *dma;
    d->func = func;
    d->sbdf = bus->func[func].sbdf;
    d->mmio = qpci_bar_addr(bus, func, 0);
    if (!d->mmio)
        return qts_fail(d->qts, "%s: BAR0 not assigned", d->name);

#define ALLOC(field, size, what)                                           \
    do {                                                                   \
        snprintf(name, sizeof(name), "%s %s", d->name, what);              \
        d->field = galloc_alloc(g, size, 0, name);                         \
        if (!d->field)                                                     \
            return qts_fail(d->qts, "%s: guest memory: %s", d->name,       \
                            galloc_error(g));                              \
    } while (0)
    ALLOC(rx_ring, (uint64_t)E1000_RX_DESCS * E1000_DESC_LEN, "rx ring");
    ALLOC(rx_bufs, (uint64_t)E1000_RX_DESCS * E1000_RX_BUF, "rx buffers");
    ALLOC(tx_ring, (uint64_t)E1000_TX_DESCS * E1000_DESC_LEN, "tx ring");
    ALLOC(tx_bufs, (uint64_t)E1000_TX_DESCS * E1000_TX_BUF, "tx buffers");
#undef ALLOC

    qpci_enable(bus, d->sbdf, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);

    reg_write(d, E1000_IMC, 0xffffffff);
    reg_write(d, E1000_CTRL, E1000_CTRL_SLU | E1000_CTRL_ASDE);
    reg_write(d, E1000_RAL0, (uint32_t)mac[0] | mac[1] << 8 | mac[2] << 16 |
                           (uint32_t)mac[3] << 24);
    reg_write(d, E1000_RAH0, mac[4] | mac[5] << 8 | E1000_RAH_AV);

    qts_memset(d->qts, d->tx_ring, 0, (size_t)E1000_TX_DESCS * E1000_DESC_LEN);
    ring = dma_bus_addr(&d->dma, d->tx_ring);
    reg_write(d, E1000_TDBAL, (uint32_t)ring);
    reg_write(d, E1000_TDBAH, (uint32_t)(ring >> 32));
    reg_write(d, E1000_TDLEN, E1000_TX_DESCS * E1000_DESC_LEN);
    reg_write(d, E1000_TDH, 0);
    reg_write(d, E1000_TDT, 0);
    reg_write(d, E1000_TIPG, 10 | 10 << 10 | 10 << 20);
    reg_write(d, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);

    setup_rx_ring(d);
    ring = dma_bus_addr(&d->dma, d->rx_ring);
    reg_write(d, E1000_RDBAL, (uint32_t)ring);
    reg_write(d, E1000_RDBAH, (uint32_t)(ring >> 32));
    reg_write(d, E1000_RDLEN, E1000_RX_DESCS * E1000_DESC_LEN);
    reg_write(d, E1000_RDH, 0);
    reg_write(d, E1000_RDT, E1000_RX_DESCS - 1);
    if (d->model == E1000_82574L)
        reg_write(d, E1000_RFCTL, 0);   /* EXTEN clear: legacy RX descriptors */

    reg_write(d, E1000_IMS, E1000_ICR_RXT0 | E1000_ICR_TXDW | E1000_ICR_LSC);
    reg_write(d, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_UPE | E1000_RCTL_MPE |
                             E1000_RCTL_BAM | E1000_RCTL_BSIZE_1024 |
                             E1000_RCTL_SECRC);
    return qts_error(d->qts) ? -1 : 0;
}

int e1000_send_frame(struct e1000_dev *d)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    uint8_t frame[E1000_FRAME_LEN];
    ssize_t n;

    if (qts_error(d->qts))
        return -1;
    /* Ring space: one descriptor stays unused (RDH == RDT means empty). */
    if (d->frames_sent >= E1000_RX_DESCS - 1) {
        d->frames_dropped++;
        return 0;
    }
    e1000_frame_bytes(d->seed, d->index, d->frames_sent, frame, sizeof(frame));
    strcpy(addr.sun_path, d->qemu_path);
    n = sendto(d->sock, frame, sizeof(frame), MSG_DONTWAIT,
               (struct sockaddr *)&addr, sizeof(addr));
    if (n == (ssize_t)sizeof(frame)) {
        d->frames_sent++;
        return 0;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
        d->frames_dropped++;
        return 0;
    }
    return qts_fail(d->qts, "%s: sendto %s: %s", d->name, d->qemu_path,
                    n < 0 ? strerror(errno) : "short write");
}

int e1000_tx_post(struct e1000_dev *d, unsigned int n)
{
    uint8_t desc[E1000_DESC_LEN];

    while (n-- && d->tx_posted < E1000_TX_DESCS - 1) {
        uint64_t buf = dma_bus_addr(&d->dma, d->tx_bufs +
                                    (uint64_t)d->tx_posted * E1000_TX_BUF);
        uint32_t lower = E1000_TX_BUF |
                         (uint32_t)(E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS |
                                    E1000_TXD_CMD_RS) << 24;

        memset(desc, 0, sizeof(desc));
        memcpy(desc, &buf, sizeof(buf));
        memcpy(desc + 8, &lower, sizeof(lower));
        qts_memwrite(d->qts,
                     d->tx_ring + (uint64_t)d->tx_posted * E1000_DESC_LEN,
                     desc, sizeof(desc));
        d->tx_posted++;
    }
    return qts_error(d->qts) ? -1 : 0;
}

int e1000_tx_ring(struct e1000_dev *d)
{
    if (d->tx_rung >= d->tx_posted)
        return 0;
    d->tx_rung++;
    reg_write(d, E1000_TDT, d->tx_rung);
    return qts_error(d->qts) ? -1 : 0;
}

void e1000_ack(struct e1000_dev *d)
{
    if (d->model == E1000_82574L)
        reg_write(d, E1000_ICR, 0xffffffff);
    else
        (void)qts_readl(d->qts, d->mmio + E1000_ICR);
}

void e1000_kick_irq(struct e1000_dev *d)
{
    reg_write(d, E1000_ICS, E1000_ICR_LSC);
}

static void sample_rx(struct e1000_dev *d)
{
    uint8_t desc[SAMPLE_AHEAD * E1000_DESC_LEN];
    unsigned int first = d->rx_done, count, i;
    uint16_t len;

    count = E1000_RX_DESCS - 1 - first;
    if (count > SAMPLE_AHEAD)
        count = SAMPLE_AHEAD;
    if (!count)
        return;
    if (qts_memread(d->qts, d->rx_ring + (uint64_t)first * E1000_DESC_LEN,
                    desc, (size_t)count * E1000_DESC_LEN))
        return;
    /* The NIC fills descriptors in order: stop at the first not done. */
    for (i = 0; i < count; i++) {
        if (!(desc[i * E1000_DESC_LEN + E1000_RXD_STATUS] & E1000_DESC_DD))
            break;
        memcpy(&len, desc + i * E1000_DESC_LEN + E1000_RXD_LENGTH,
               sizeof(len));
        d->rx_done++;
        d->rx_bytes += len;
    }
}

static void sample_tx(struct e1000_dev *d)
{
    uint8_t desc[E1000_TX_DESCS * E1000_DESC_LEN];
    unsigned int count = d->tx_rung - d->tx_done, i;

    if (!count)
        return;
    if (qts_memread(d->qts,
                    d->tx_ring + (uint64_t)d->tx_done * E1000_DESC_LEN,
                    desc, (size_t)count * E1000_DESC_LEN))
        return;
    for (i = 0; i < count; i++) {
        if (!(desc[i * E1000_DESC_LEN + E1000_TXD_STATUS] & E1000_DESC_DD))
            break;
        d->tx_done++;
        d->tx_bytes += E1000_TX_BUF;
    }
}

/* Is this datagram one of our TX buffers, as the crash state holds it? */
static bool is_tx_buffer(const struct e1000_dev *d, const uint8_t *frame,
                         size_t len)
{
    uint8_t expect[E1000_TX_BUF];
    unsigned int i;

    if (len != E1000_TX_BUF)
        return false;
    for (i = 0; i < E1000_TX_DESCS; i++) {
        pattern_fill(d->seed, PATTERN_GUARD,
                     d->tx_bufs + (uint64_t)i * E1000_TX_BUF, expect,
                     sizeof(expect));
        if (!memcmp(expect, frame, len))
            return true;
    }
    return false;
}

static void drain_socket(struct e1000_dev *d)
{
    uint8_t frame[2048];
    ssize_t n;

    for (;;) {
        n = recv(d->sock, frame, sizeof(frame), MSG_DONTWAIT);
        if (n < 0)
            return;
        d->tx_datagrams++;
        if (is_tx_buffer(d, frame, (size_t)n))
            d->tx_datagrams_crash_state++;
    }
}

int e1000_sample(struct e1000_dev *d)
{
    sample_rx(d);
    sample_tx(d);
    drain_socket(d);
    return qts_error(d->qts) ? -1 : 0;
}

void e1000_ranges(const struct e1000_dev *d, struct e1000_ranges *r)
{
    r->rx_ring = d->rx_ring;
    r->rx_ring_len = (uint64_t)E1000_RX_DESCS * E1000_DESC_LEN;
    r->rx_bufs = d->rx_bufs;
    r->rx_bufs_len = (uint64_t)E1000_RX_DESCS * E1000_RX_BUF;
    r->tx_ring = d->tx_ring;
    r->tx_ring_len = (uint64_t)E1000_TX_DESCS * E1000_DESC_LEN;
    r->tx_bufs = d->tx_bufs;
    r->tx_bufs_len = (uint64_t)E1000_TX_DESCS * E1000_TX_BUF;
}

void e1000_close(struct e1000_dev *d)
{
    if (d->sock >= 0)
        close(d->sock);
    d->sock = -1;
    if (d->harness_path[0])
        unlink(d->harness_path);
}
