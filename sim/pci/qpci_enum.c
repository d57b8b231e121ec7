/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * qpci_enum: walk the buses from bus 0 depth first, numbering bridges as
 * they are found, and fill the function table with each function's ids,
 * header, PCIe port type and BAR sizes.  See qpci.h.
 */
#include <stdio.h>
#include <string.h>

#include "base/sbdf.h"
#include "pci_regs.h"
#include "qpci.h"

/* PCI_HEADER_TYPE: bit 7 says the device has functions 1..7. */
#define HEADER_MULTIFUNCTION    0x80
#define HEADER_LAYOUT           0x7f

/* BAR low bits that are flags, not address. */
#define BAR_IO_FLAGS            0x3u
#define BAR_MEM_FLAGS           0xfu

static void find_pcie_type(struct qpci_bus *bus, struct qpci_func *f)
{
    unsigned int cap = qpci_find_cap(bus, f->sbdf, PCI_CAP_ID_EXP);

    if (cap) {
        f->pcie = true;
        f->pcie_type = (qpci_cfg_read16(bus, f->sbdf, cap + PCI_EXP_FLAGS) &
                        PCI_EXP_FLAGS_TYPE) >> 4;
    }
}

/* Size BAR n of f (decode is off at this point: nothing is enabled).
 * Returns the number of BAR slots it takes. */
static unsigned int size_bar(struct qpci_bus *bus, struct qpci_func *f,
                             unsigned int n)
{
    unsigned int reg = PCI_BASE_ADDRESS_0 + 4 * n;
    struct qpci_bar *b = &f->bar[n];
    uint32_t orig, lo, hi_orig, hi = 0;
    uint64_t mask;

    orig = qpci_cfg_read32(bus, f->sbdf, reg);
    qpci_cfg_write32(bus, f->sbdf, reg, 0xffffffff);
    lo = qpci_cfg_read32(bus, f->sbdf, reg);
    qpci_cfg_write32(bus, f->sbdf, reg, orig);
    if (lo == 0 || lo == 0xffffffff)
        return 1;

    if (lo & PCI_BASE_ADDRESS_SPACE_IO) {
        b->io = true;
        /* I/O space is 64 KiB: the upper half reads as zero or ones. */
        mask = (lo & ~BAR_IO_FLAGS) | 0xffff0000u;
        b->size = (uint64_t)(~(uint32_t)mask) + 1;
        return 1;
    }
    b->prefetch = (lo & PCI_BASE_ADDRESS_MEM_PREFETCH) != 0;
    b->is64 = (lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
              PCI_BASE_ADDRESS_MEM_TYPE_64;
    if (b->is64 && n + 1 < QPCI_NR_BARS) {
        hi_orig = qpci_cfg_read32(bus, f->sbdf, reg + 4);
        qpci_cfg_write32(bus, f->sbdf, reg + 4, 0xffffffff);
        hi = qpci_cfg_read32(bus, f->sbdf, reg + 4);
        qpci_cfg_write32(bus, f->sbdf, reg + 4, hi_orig);
    }
    mask = ((uint64_t)hi << 32) | (lo & ~BAR_MEM_FLAGS);
    if (!b->is64)
        mask |= 0xffffffff00000000ULL;
    b->size = ~mask + 1;
    return b->is64 ? 2 : 1;
}

static void size_bars(struct qpci_bus *bus, struct qpci_func *f)
{
    unsigned int n, nr;

    nr = f->header_type == PCI_HEADER_TYPE_NORMAL ? 6 :
         f->header_type == PCI_HEADER_TYPE_BRIDGE ? 2 : 0;
    for (n = 0; n < nr; n += size_bar(bus, f, n))
        ;
}

static int add_func(struct qpci_bus *bus, uint32_t sbdf, int parent,
                    unsigned int depth, uint8_t header)
{
    struct qpci_func *f;
    uint32_t id, cr;

    if (bus->nr == QPCI_MAX_FUNCS)
        return qts_fail(bus->qts, "qpci: more than %d PCI functions",
                        QPCI_MAX_FUNCS);
    f = &bus->func[bus->nr];
    memset(f, 0, sizeof(*f));
    id = qpci_cfg_read32(bus, sbdf, PCI_VENDOR_ID);
    cr = qpci_cfg_read32(bus, sbdf, PCI_CLASS_REVISION);
    f->sbdf = sbdf;
    f->vendor = (uint16_t)id;
    f->device = (uint16_t)(id >> 16);
    f->class_code = cr >> 8;
    f->revision = (uint8_t)cr;
    f->header_type = header & HEADER_LAYOUT;
    f->multifunction = (header & HEADER_MULTIFUNCTION) != 0;
    f->is_bridge = f->header_type == PCI_HEADER_TYPE_BRIDGE;
    f->irq_pin = qpci_cfg_read8(bus, sbdf, PCI_INTERRUPT_PIN);
    f->parent = parent;
    f->depth = depth;
    f->user = -1;
    f->pf = -1;
    find_pcie_type(bus, f);
    size_bars(bus, f);
    return qts_error(bus->qts) ? -1 : (int)bus->nr++;
}

static int scan_bus(struct qpci_bus *bus, unsigned int nr, int parent,
                    unsigned int depth, unsigned int *last_bus);

/* Number the buses behind bridge idx depth first, then scan them. */
static int number_bridge(struct qpci_bus *bus, int idx, unsigned int *last_bus)
{
    struct qpci_func *f = &bus->func[idx];
    unsigned int secondary = *last_bus + 1;
    char name[SBDF_STR_LEN];

    if (secondary > 255)
        return qts_fail(bus->qts, "qpci: out of bus numbers at %s",
                        sbdf_str(f->sbdf, name, sizeof(name)));
    *last_bus = secondary;
    /* PCI_PRIMARY_BUS, PCI_SECONDARY_BUS, PCI_SUBORDINATE_BUS in one
     * write; subordinate 0xff while scanning, so every bus below is
     * reachable. */
    qpci_cfg_write32(bus, f->sbdf, PCI_PRIMARY_BUS,
                     SBDF_BUS(f->sbdf) | secondary << 8 | 0xffu << 16);
    if (scan_bus(bus, secondary, idx, f->depth + 1, last_bus) < 0)
        return -1;
    f = &bus->func[idx];
    f->secondary = (uint8_t)secondary;
    f->subordinate = (uint8_t)*last_bus;
    qpci_cfg_write8(bus, f->sbdf, PCI_SUBORDINATE_BUS, f->subordinate);
    return qts_error(bus->qts) ? -1 : 0;
}

static int scan_bus(struct qpci_bus *bus, unsigned int nr, int parent,
                    unsigned int depth, unsigned int *last_bus)
{
    unsigned int dev, fn, nr_fn;
    uint32_t sbdf;
    uint8_t header;
    int idx;

    for (dev = 0; dev < 32; dev++) {
        nr_fn = 1;
        for (fn = 0; fn < nr_fn; fn++) {
            sbdf = SBDF(0, nr, dev, fn);
            if (qpci_cfg_read16(bus, sbdf, PCI_VENDOR_ID) == 0xffff) {
                if (qts_error(bus->qts))
                    return -1;
                continue;
            }
            header = qpci_cfg_read8(bus, sbdf, PCI_HEADER_TYPE);
            if (fn == 0 && (header & HEADER_MULTIFUNCTION))
                nr_fn = 8;
            idx = add_func(bus, sbdf, parent, depth, header);
            if (idx < 0)
                return -1;
            if (bus->func[idx].is_bridge &&
                number_bridge(bus, idx, last_bus) < 0)
                return -1;
        }
    }
    return 0;
}

int qpci_enumerate(struct qpci_bus *bus)
{
    unsigned int last_bus = 0;

    bus->nr = 0;
    if (qts_error(bus->qts) || scan_bus(bus, 0, -1, 0, &last_bus) < 0)
        return -1;
    return (int)bus->nr;
}
