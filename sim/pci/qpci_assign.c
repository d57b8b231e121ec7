/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * qpci_assign: give every BAR an address and every bridge windows around
 * what is behind it, in the enumeration's depth-first order.  See qpci.h.
 */
#include <inttypes.h>
#include <stdio.h>

#include "base/sbdf.h"
#include "pci_regs.h"
#include "qpci.h"

/* Bridge window granules. */
#define BRIDGE_MEM_ALIGN    0x100000ULL
#define BRIDGE_IO_ALIGN     0x1000u

/* A window with base above limit forwards nothing. */
#define MEM_WINDOW_CLOSED   0xfff0
#define IO_WINDOW_CLOSED    0xf0

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static int assign_bar(struct qpci_bus *bus, struct qpci_func *f, unsigned int n)
{
    struct qpci_bar *b = &f->bar[n];
    unsigned int reg = PCI_BASE_ADDRESS_0 + 4 * n;
    char name[SBDF_STR_LEN];
    uint64_t addr;

    if (b->io) {
        addr = align_up(bus->io_next, b->size);
        if (addr + b->size > QPCI_IO_END)
            return 0;   /* out of I/O space: leave it unassigned */
        bus->io_next = (uint32_t)(addr + b->size);
        qpci_cfg_write32(bus, f->sbdf, reg, (uint32_t)addr);
    } else {
        addr = align_up(bus->mmio_next, b->size);
        if (b->size > QPCI_MMIO_END - QPCI_MMIO_BASE ||
            addr + b->size > QPCI_MMIO_END)
            return qts_fail(bus->qts, "qpci: out of memory space for BAR%u "
                            "of %s (0x%" PRIx64 " bytes)", n,
                            sbdf_str(f->sbdf, name, sizeof(name)), b->size);
        bus->mmio_next = addr + b->size;
        qpci_cfg_write32(bus, f->sbdf, reg, (uint32_t)addr);
        if (b->is64)
            qpci_cfg_write32(bus, f->sbdf, reg + 4, 0);
    }
    b->addr = addr;
    b->assigned = true;
    return 0;
}

/* Room for f->vf_reserve VFs' BARs (qpci_sriov_reserve), VF 0's first. */
static int reserve_vf_bars(struct qpci_bus *bus, struct qpci_func *f)
{
    char name[SBDF_STR_LEN];
    unsigned int n;

    for (n = 0; n < QPCI_NR_BARS; n++) {
        struct qpci_bar *b = &f->vf_bar[n];
        uint64_t addr, len = b->size * f->vf_reserve;

        if (!b->size)
            continue;
        addr = align_up(bus->mmio_next, b->size);
        if (len / f->vf_reserve != b->size || addr + len > QPCI_MMIO_END)
            return qts_fail(bus->qts, "qpci: out of memory space for %u "
                            "VFs' BAR%u of %s", f->vf_reserve, n,
                            sbdf_str(f->sbdf, name, sizeof(name)));
        bus->mmio_next = addr + len;
        b->addr = addr;
        b->assigned = true;
    }
    return 0;
}

static int assign_bars(struct qpci_bus *bus, struct qpci_func *f)
{
    unsigned int n;

    for (n = 0; n < QPCI_NR_BARS; n++) {
        if (f->bar[n].size && assign_bar(bus, f, n) < 0)
            return -1;
        if (f->bar[n].is64)
            n++;
    }
    return f->vf_reserve ? reserve_vf_bars(bus, f) : 0;
}

static void write_windows(struct qpci_bus *bus, const struct qpci_func *f)
{
    uint32_t s = f->sbdf;

    if (f->mem_limit > f->mem_base) {
        qpci_cfg_write16(bus, s, PCI_MEMORY_BASE,
                         (uint16_t)(f->mem_base >> 16));
        qpci_cfg_write16(bus, s, PCI_MEMORY_LIMIT,
                         (uint16_t)((f->mem_limit >> 16) &
                                    PCI_MEMORY_RANGE_MASK));
    } else {
        qpci_cfg_write16(bus, s, PCI_MEMORY_BASE, MEM_WINDOW_CLOSED);
        qpci_cfg_write16(bus, s, PCI_MEMORY_LIMIT, 0);
    }
    if (f->io_limit > f->io_base) {
        qpci_cfg_write8(bus, s, PCI_IO_BASE, (uint8_t)(f->io_base >> 8));
        qpci_cfg_write8(bus, s, PCI_IO_LIMIT,
                        (uint8_t)((f->io_limit >> 8) & PCI_IO_RANGE_MASK));
    } else {
        qpci_cfg_write8(bus, s, PCI_IO_BASE, IO_WINDOW_CLOSED);
        qpci_cfg_write8(bus, s, PCI_IO_LIMIT, 0);
    }
    qpci_cfg_write16(bus, s, PCI_IO_BASE_UPPER16, 0);
    qpci_cfg_write16(bus, s, PCI_IO_LIMIT_UPPER16, 0);
    /* Prefetchable window closed: every BAR goes through the other one. */
    qpci_cfg_write16(bus, s, PCI_PREF_MEMORY_BASE, MEM_WINDOW_CLOSED);
    qpci_cfg_write16(bus, s, PCI_PREF_MEMORY_LIMIT, 0);
    qpci_cfg_write32(bus, s, PCI_PREF_BASE_UPPER32, 0);
    qpci_cfg_write32(bus, s, PCI_PREF_LIMIT_UPPER32, 0);
}

static int assign_subtree(struct qpci_bus *bus, int parent);

/* A bridge: own BARs on the primary side, then a window around its subtree. */
static int assign_bridge(struct qpci_bus *bus, int idx)
{
    struct qpci_func *f = &bus->func[idx];
    uint64_t mem_start;
    uint32_t io_start;

    if (assign_bars(bus, f) < 0)
        return -1;
    mem_start = align_up(bus->mmio_next, BRIDGE_MEM_ALIGN);
    io_start = (uint32_t)align_up(bus->io_next, BRIDGE_IO_ALIGN);
    if (mem_start > QPCI_MMIO_END)
        return qts_fail(bus->qts, "qpci: out of memory space for bridge "
                        "windows");
    bus->mmio_next = mem_start;
    bus->io_next = io_start <= QPCI_IO_END ? io_start : QPCI_IO_END;

    if (assign_subtree(bus, idx) < 0)
        return -1;

    f->mem_base = mem_start;
    f->io_base = io_start;
    if (bus->mmio_next > mem_start) {
        bus->mmio_next = align_up(bus->mmio_next, BRIDGE_MEM_ALIGN);
        f->mem_limit = bus->mmio_next - 1;
    } else {
        f->mem_limit = 0;
    }
    if (bus->io_next > io_start && io_start < QPCI_IO_END) {
        bus->io_next = (uint32_t)align_up(bus->io_next, BRIDGE_IO_ALIGN);
        f->io_limit = bus->io_next - 1;
    } else {
        f->io_limit = 0;
    }
    write_windows(bus, f);
    return qpci_enable(bus, f->sbdf, PCI_COMMAND_MEMORY | PCI_COMMAND_IO |
                       PCI_COMMAND_MASTER);
}

/* Every function whose upstream bridge is parent (-1: bus 0), in order. */
static int assign_subtree(struct qpci_bus *bus, int parent)
{
    unsigned int i;

    for (i = 0; i < bus->nr; i++) {
        if (bus->func[i].parent != parent)
            continue;
        if (bus->func[i].is_bridge ? assign_bridge(bus, (int)i) < 0
                                   : assign_bars(bus, &bus->func[i]) < 0)
            return -1;
    }
    return qts_error(bus->qts) ? -1 : 0;
}

int qpci_assign(struct qpci_bus *bus)
{
    if (qts_error(bus->qts))
        return -1;
    bus->mmio_next = QPCI_MMIO_BASE;
    bus->io_next = QPCI_IO_BASE;
    return assign_subtree(bus, -1);
}

int qpci_enable(struct qpci_bus *bus, uint32_t sbdf, uint16_t bits)
{
    uint16_t cmd = qpci_cfg_read16(bus, sbdf, PCI_COMMAND);

    if (qts_error(bus->qts))
        return -1;
    return qpci_cfg_write16(bus, sbdf, PCI_COMMAND, cmd | bits);
}
