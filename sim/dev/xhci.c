/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xhci: see xhci.h.  Register offsets and TRB layouts from the xHCI
 * specification 1.2 (sections 5 and 6).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "pci/pci_regs.h"
#include "xhci.h"

/* Capability registers (BAR0). */
#define CAP_LENGTH          0x00    /* byte 0: where the operational ones
                                       start */
#define CAP_HCSPARAMS1      0x04
#define CAP_HCSPARAMS2      0x08
#define CAP_DBOFF           0x14
#define CAP_RTSOFF          0x18

/* Operational registers. */
#define OP_USBCMD           0x00
#define OP_USBSTS           0x04
#define OP_PAGESIZE         0x08
#define OP_CRCR             0x18
#define OP_DCBAAP           0x30
#define OP_CONFIG           0x38

#define CMD_RS              (1u << 0)
#define CMD_HCRST           (1u << 1)
#define CMD_INTE            (1u << 2)

#define CRCR_RCS            (1u << 0)
#define CRCR_CA             (1u << 2)

/* Runtime registers: interrupter 0. */
#define RT_IR0              0x20
#define IR_IMAN             0x00
#define IR_IMOD             0x04
#define IR_ERSTSZ           0x08
#define IR_ERSTBA           0x10
#define IR_ERDP             0x18

#define IMAN_IP             (1u << 0)
#define IMAN_IE             (1u << 1)
#define ERDP_EHB            (1u << 3)

/* TRB control dword. */
#define TRB_CYCLE           (1u << 0)
#define TRB_LINK_TC         (1u << 1)
#define TRB_TYPE_SHIFT      10
#define TRB_TYPE(c)         (((c) >> TRB_TYPE_SHIFT) & 0x3f)
#define TRB_LINK            6
#define TRB_NOOP_CMD        23
#define TRB_CMD_COMPLETION  33

#define PAGE                GALLOC_PAGE
#define MEM_PAGES           5
#define SAMPLE_CHUNK        64      /* event TRBs read at a time */

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void put_trb(uint8_t *trb, uint64_t param, uint32_t status,
                    uint32_t control)
{
    put32(trb, (uint32_t)param);
    put32(trb + 4, (uint32_t)(param >> 32));
    put32(trb + 8, status);
    put32(trb + 12, control);
}

/* A 64-bit register as two 32-bit writes, low first (QEMU acts on the
 * high half for CRCR and ERSTBA). */
static void write64(struct xhci_dev *d, uint64_t addr, uint64_t v)
{
    qts_writel(d->qts, addr, (uint32_t)v);
    qts_writel(d->qts, addr + 4, (uint32_t)(v >> 32));
}

uint32_t xhci_usbsts(struct xhci_dev *d)
{
    return qts_readl(d->qts, d->op + OP_USBSTS);
}

/* Wait until (reg & mask) == want; -1 on time-out. */
static int wait_reg(struct xhci_dev *d, uint64_t reg, uint32_t mask,
                    uint32_t want, const char *what)
{
    uint64_t end = clock_ms_u64() + XHCI_TIMEOUT_MS;
    uint32_t v;

    for (;;) {
        v = qts_readl(d->qts, reg);
        if (qts_error(d->qts))
            return -1;
        if ((v & mask) == want)
            return 0;
        if (clock_ms_u64() >= end)
            return qts_fail(d->qts, "xhci_%u: %s: register reads 0x%x after "
                            "%u ms", d->index, what, v, XHCI_TIMEOUT_MS);
        clock_sleep_ms(1);
    }
}

/* --- bring-up ------------------------------------------------------------ */

static int read_caps(struct xhci_dev *d)
{
    struct qts *q = d->qts;
    uint32_t caplen = qts_readl(q, d->bar0 + CAP_LENGTH) & 0xff;
    uint32_t hcs1 = qts_readl(q, d->bar0 + CAP_HCSPARAMS1);
    uint32_t hcs2 = qts_readl(q, d->bar0 + CAP_HCSPARAMS2);

    if (qts_error(q))
        return -1;
    if (caplen == 0 || caplen == 0xff)
        return qts_fail(q, "xhci_%u: CAPLENGTH reads 0x%x (BAR0 does not "
                        "decode)", d->index, caplen);
    d->op = d->bar0 + caplen;
    d->rt = d->bar0 + (qts_readl(q, d->bar0 + CAP_RTSOFF) & ~0x1fu);
    d->db = d->bar0 + (qts_readl(q, d->bar0 + CAP_DBOFF) & ~0x3u);
    d->max_slots = hcs1 & 0xff;
    d->max_intrs = (hcs1 >> 8) & 0x7ff;
    if (d->max_slots == 0 || d->max_intrs == 0)
        return qts_fail(q, "xhci_%u: HCSPARAMS1 0x%x: no slots or "
                        "interrupters", d->index, hcs1);
    /* Scratchpad buffers would need an array the driver does not give. */
    if ((hcs2 >> 21) & 0x1f || (hcs2 >> 27) & 0x1f)
        return qts_fail(q, "xhci_%u: HCSPARAMS2 0x%x asks for scratchpad "
                        "buffers", d->index, hcs2);
    if (!(qts_readl(q, d->op + OP_PAGESIZE) & 1))
        return qts_fail(q, "xhci_%u: 4 KiB pages not supported", d->index);
    return qts_error(q) ? -1 : 0;
}

/* Stop if running, then USBCMD.HCRST; wait for HCRST and CNR to clear. */
static int reset(struct xhci_dev *d)
{
    if (!(xhci_usbsts(d) & XHCI_STS_HCH)) {
        qts_writel(d->qts, d->op + OP_USBCMD, 0);
        if (wait_reg(d, d->op + OP_USBSTS, XHCI_STS_HCH, XHCI_STS_HCH,
                     "halt"))
            return -1;
    }
    qts_writel(d->qts, d->op + OP_USBCMD, CMD_HCRST);
    if (wait_reg(d, d->op + OP_USBCMD, CMD_HCRST, 0, "reset"))
        return -1;
    return wait_reg(d, d->op + OP_USBSTS, XHCI_STS_CNR, 0, "ready");
}

static int alloc_mem(struct xhci_dev *d, struct galloc *g)
{
    char name[GALLOC_NAME_LEN];

    snprintf(name, sizeof(name), "xhci_%u rings", d->index);
    d->mem = galloc_alloc(g, MEM_PAGES * PAGE, 0, name);
    if (!d->mem)
        return qts_fail(d->qts, "xhci_%u: guest memory: %s", d->index,
                        galloc_error(g));
    d->dcbaa = d->mem;
    d->erst = d->mem + PAGE;
    d->cmd_ring = d->mem + 2 * PAGE;
    d->event_ring = d->mem + 3 * PAGE;
    d->msix_words = d->mem + 4 * PAGE;
    return qts_memset(d->qts, d->mem, 0, MEM_PAGES * PAGE);
}

/* Command ring: empty, the Link TRB (not yet valid) back to the start. */
static void setup_cmd_ring(struct xhci_dev *d)
{
    uint64_t start = dma_bus_addr(&d->dma, d->cmd_ring);
    uint8_t link[XHCI_TRB_LEN];

    put_trb(link, start, 0, TRB_LINK << TRB_TYPE_SHIFT | TRB_LINK_TC);
    qts_memwrite(d->qts, d->cmd_ring + (XHCI_CMD_TRBS - 1) * XHCI_TRB_LEN,
                 link, sizeof(link));
    d->cmd_enq = d->cmd_deq = 0;
    d->cmd_cycle = true;
    write64(d, d->op + OP_CRCR, start | CRCR_RCS);
}

/* Interrupter 0: one ERST segment; ERDP at its start; no moderation. */
static void setup_event_ring(struct xhci_dev *d)
{
    uint64_t ir = d->rt + RT_IR0;
    uint64_t ring = dma_bus_addr(&d->dma, d->event_ring);
    uint8_t entry[XHCI_TRB_LEN];

    put_trb(entry, ring, XHCI_EVENT_TRBS, 0);
    qts_memwrite(d->qts, d->erst, entry, sizeof(entry));
    d->ev_deq = 0;
    d->ev_cycle = true;
    qts_writel(d->qts, ir + IR_IMOD, 0);
    qts_writel(d->qts, ir + IR_ERSTSZ, 1);
    qts_writel(d->qts, ir + IR_ERDP + 4, (uint32_t)(ring >> 32));
    qts_writel(d->qts, ir + IR_ERDP, (uint32_t)ring);
    write64(d, ir + IR_ERSTBA, dma_bus_addr(&d->dma, d->erst));
}

int xhci_setup(struct xhci_dev *d, struct qts *q, struct qpci_bus *bus,
               int func, unsigned int index, struct galloc *g,
               const struct dma_hook *dma)
{
    memset(d, 0, sizeof(*d));
    if (dma)
        d->dma = *dma;
    d->qts = q;
    d->bus = bus;
    d->func = func;
    d->sbdf = bus->func[func].sbdf;
    d->index = index;
    d->bar0 = qpci_bar_addr(bus, func, 0);
    if (!d->bar0)
        return qts_fail(q, "xhci_%u: BAR0 not assigned", index);
    if (alloc_mem(d, g))
        return -1;
    qpci_enable(bus, d->sbdf, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    if (read_caps(d) || reset(d))
        return -1;
    qts_writel(q, d->op + OP_CONFIG, 1);    /* MaxSlotsEn */
    write64(d, d->op + OP_DCBAAP, dma_bus_addr(&d->dma, d->dcbaa));
    setup_cmd_ring(d);
    setup_event_ring(d);
    if (msix_setup(&d->msix, q, bus, func, d->msix_words, &d->dma))
        return -1;
    /* IE after MSI-X is on: QEMU marks the vector used then. */
    qts_writel(q, d->rt + RT_IR0 + IR_IMAN, IMAN_IE | IMAN_IP);
    qts_writel(q, d->op + OP_USBCMD, CMD_RS | CMD_INTE);
    if (wait_reg(d, d->op + OP_USBSTS, XHCI_STS_HCH, 0, "run"))
        return -1;
    if (xhci_usbsts(d) & (XHCI_STS_HSE | XHCI_STS_HCE))
        return qts_fail(q, "xhci_%u: USBSTS 0x%x after start", index,
                        xhci_usbsts(d));
    return qts_error(q) ? -1 : 0;
}

/* --- commands ------------------------------------------------------------ */

/* The producer reached the Link TRB: make it valid, wrap, toggle. */
static void wrap_cmd_ring(struct xhci_dev *d)
{
    uint64_t link = d->cmd_ring + (XHCI_CMD_TRBS - 1) * XHCI_TRB_LEN;
    uint32_t control = TRB_LINK << TRB_TYPE_SHIFT | TRB_LINK_TC |
                       (d->cmd_cycle ? TRB_CYCLE : 0);
    uint8_t c[4];

    put32(c, control);
    qts_memwrite(d->qts, link + 12, c, sizeof(c));
    d->cmd_enq = 0;
    d->cmd_cycle = !d->cmd_cycle;
}

int xhci_post_noops(struct xhci_dev *d, unsigned int n)
{
    uint8_t run[XHCI_CMD_SLOTS * XHCI_TRB_LEN];
    unsigned int room = XHCI_CMD_SLOTS - d->outstanding;
    unsigned int done = 0;

    if (n > room)
        n = room;
    while (done < n) {
        unsigned int first = d->cmd_enq, len = 0;

        while (done < n && d->cmd_enq < XHCI_CMD_SLOTS) {
            put_trb(run + len * XHCI_TRB_LEN, 0, 0,
                    TRB_NOOP_CMD << TRB_TYPE_SHIFT |
                    (d->cmd_cycle ? TRB_CYCLE : 0));
            len++;
            done++;
            d->cmd_enq++;
        }
        qts_memwrite(d->qts, d->cmd_ring + (uint64_t)first * XHCI_TRB_LEN,
                     run, (size_t)len * XHCI_TRB_LEN);
        if (d->cmd_enq == XHCI_CMD_SLOTS)
            wrap_cmd_ring(d);
    }
    d->outstanding += n;
    d->posted += n;
    return qts_error(d->qts) ? -1 : (int)n;
}

void xhci_ring_doorbell(struct xhci_dev *d)
{
    qts_writel(d->qts, d->db, 0);
    d->doorbells++;
}

int xhci_fill(struct xhci_dev *d)
{
    int n = xhci_post_noops(d, XHCI_CMD_SLOTS);

    if (n > 0)
        xhci_ring_doorbell(d);
    return qts_error(d->qts) ? -1 : n;
}

void xhci_abort_commands(struct xhci_dev *d)
{
    write64(d, d->op + OP_CRCR,
            dma_bus_addr(&d->dma, d->cmd_ring) | CRCR_CA);
}

/* --- events -------------------------------------------------------------- */

/* A Command Completion Event: it must name the oldest outstanding
 * command (QEMU runs them in order), unless it reports an abort. */
static int take_completion(struct xhci_dev *d, const uint8_t *trb)
{
    uint64_t ptr = get32(trb) | (uint64_t)get32(trb + 4) << 32;
    uint32_t code = get32(trb + 8) >> 24;
    uint64_t want = dma_bus_addr(&d->dma, d->cmd_ring +
                                 (uint64_t)d->cmd_deq * XHCI_TRB_LEN);

    if (code == XHCI_CC_RING_STOPPED) {
        d->stopped++;
        return 0;
    }
    if (!d->outstanding || ptr != want)
        return qts_fail(d->qts, "xhci_%u: completion for command at 0x%"
                        PRIx64 ", expected 0x%" PRIx64 " (%u outstanding)",
                        d->index, ptr, want, d->outstanding);
    if (code == XHCI_CC_SUCCESS) {
        d->completed++;
    } else {
        d->failed++;
        d->last_code = code;
    }
    d->outstanding--;
    if (++d->cmd_deq == XHCI_CMD_SLOTS)
        d->cmd_deq = 0;
    return 0;
}

/* Consume the new TRBs among n read from the consumer position; returns
 * how many, or -1. */
static int take_events(struct xhci_dev *d, const uint8_t *buf, unsigned int n)
{
    unsigned int i;

    for (i = 0; i < n; i++) {
        const uint8_t *trb = buf + i * XHCI_TRB_LEN;
        uint32_t control = get32(trb + 12);

        if (!(control & TRB_CYCLE) != !d->ev_cycle)
            break;
        if (TRB_TYPE(control) == TRB_CMD_COMPLETION) {
            if (take_completion(d, trb))
                return -1;
        } else {
            d->other++;
        }
        if (++d->ev_deq == XHCI_EVENT_TRBS) {
            d->ev_deq = 0;
            d->ev_cycle = !d->ev_cycle;
        }
    }
    return (int)i;
}

int xhci_sample(struct xhci_dev *d)
{
    uint8_t buf[SAMPLE_CHUNK * XHCI_TRB_LEN];
    int total = 0;

    while (total < XHCI_EVENT_TRBS) {
        unsigned int n = XHCI_EVENT_TRBS - d->ev_deq;
        int got;

        if (n > SAMPLE_CHUNK)
            n = SAMPLE_CHUNK;
        if (qts_memread(d->qts, d->event_ring +
                        (uint64_t)d->ev_deq * XHCI_TRB_LEN, buf,
                        (size_t)n * XHCI_TRB_LEN))
            return -1;
        got = take_events(d, buf, n);
        if (got < 0)
            return -1;
        total += got;
        if ((unsigned int)got < n)
            break;
    }
    return total;
}

void xhci_ack(struct xhci_dev *d)
{
    uint64_t erdp = dma_bus_addr(&d->dma, d->event_ring +
                                 (uint64_t)d->ev_deq * XHCI_TRB_LEN);
    uint64_t reg = d->rt + RT_IR0 + IR_ERDP;

    qts_writel(d->qts, reg + 4, (uint32_t)(erdp >> 32));
    qts_writel(d->qts, reg, (uint32_t)erdp | ERDP_EHB);
}

void xhci_ranges(const struct xhci_dev *d, struct xhci_ranges *r)
{
    r->event_ring = d->event_ring;
    r->event_ring_len = XHCI_EVENT_TRBS * XHCI_TRB_LEN;
    r->msix_words = d->msix_words;
}
