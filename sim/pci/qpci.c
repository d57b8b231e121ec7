/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * qpci: PCI config access, enumeration and resource assignment over qtest.
 * See qpci.h for the address layout.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pci_regs.h"
#include "qpci.h"

/* Config registers used here. */
#define CFG_VENDOR          0x00
#define CFG_COMMAND         0x04
#define CFG_CLASS_REV       0x08
#define CFG_HEADER_TYPE     0x0e
#define CFG_BAR0            0x10
#define CFG_CAP_PTR         0x34
#define CFG_IRQ_PIN         0x3d
#define CFG_STATUS_CAP_LIST 0x0010      /* in STATUS (0x06) */
#define BR_BUSES            0x18        /* primary, secondary, subordinate */
#define BR_IO_BASE          0x1c
#define BR_IO_LIMIT         0x1d
#define BR_MEM_BASE         0x20
#define BR_MEM_LIMIT        0x22
#define BR_PREF_BASE        0x24
#define BR_PREF_LIMIT       0x26
#define BR_PREF_BASE_HI     0x28
#define BR_PREF_LIMIT_HI    0x2c
#define BR_IO_BASE_HI       0x30
#define BR_IO_LIMIT_HI      0x32

#define CAP_ID_PCIE         0x10

#define MCH_PCIEXBAR        0x60        /* q35 MCH (00:00.0), 64-bit */
#define PCIEXBAR_ENABLE     0x1         /* length bits 2:1 = 0: 256 MiB */

#define BRIDGE_MEM_ALIGN    0x100000ULL
#define BRIDGE_IO_ALIGN     0x1000u

/* --- config access ---------------------------------------------------------- */

static uint32_t cf8_address(uint32_t sbdf, unsigned int reg)
{
    return 0x80000000u | (QPCI_BUS(sbdf) << 16) | ((sbdf & 0xff) << 8) |
           (reg & 0xfc);
}

static uint64_t ecam_address(uint32_t sbdf, unsigned int reg)
{
    return QPCI_ECAM_BASE + ((uint64_t)(sbdf & 0xffff) << 12) + reg;
}

/* Reject what the mechanism cannot express; records an error. */
static int check_reg(struct qpci_bus *bus, uint32_t sbdf, unsigned int reg,
                     unsigned int size)
{
    unsigned int limit = bus->ecam ? 4096 : 256;

    if (sbdf >> 16)
        return qts_fail(bus->qts, "qpci: segment %u does not exist",
                        sbdf >> 16);
    if (reg % size || reg + size > limit)
        return qts_fail(bus->qts, "qpci: config register 0x%x (size %u) "
                        "out of range for %s", reg, size,
                        bus->ecam ? "ECAM" : "0xCF8/0xCFC");
    return 0;
}

static uint32_t cfg_read(struct qpci_bus *bus, uint32_t sbdf,
                         unsigned int reg, unsigned int size)
{
    uint32_t ones = (uint32_t)((1ULL << (8 * size)) - 1), v;
    struct qts *q = bus->qts;
    uint64_t a;

    if (qts_error(q) || check_reg(bus, sbdf, reg, size) < 0)
        return ones;
    bus->cfg_reads++;
    if (bus->ecam) {
        a = ecam_address(sbdf, reg);
        v = size == 1 ? qts_readb(q, a) :
            size == 2 ? qts_readw(q, a) : qts_readl(q, a);
    } else {
        qts_outl(q, 0xcf8, cf8_address(sbdf, reg));
        v = size == 1 ? qts_inb(q, (uint16_t)(0xcfc + (reg & 3))) :
            size == 2 ? qts_inw(q, (uint16_t)(0xcfc + (reg & 2))) :
                        qts_inl(q, 0xcfc);
    }
    /* A failed access reads like an absent function. */
    return qts_error(q) ? ones : v;
}

static int cfg_write(struct qpci_bus *bus, uint32_t sbdf, unsigned int reg,
                     unsigned int size, uint32_t v)
{
    struct qts *q = bus->qts;
    uint64_t a;

    if (qts_error(q) || check_reg(bus, sbdf, reg, size) < 0)
        return -1;
    bus->cfg_writes++;
    if (bus->ecam) {
        a = ecam_address(sbdf, reg);
        return size == 1 ? qts_writeb(q, a, (uint8_t)v) :
               size == 2 ? qts_writew(q, a, (uint16_t)v) :
                           qts_writel(q, a, v);
    }
    if (qts_outl(q, 0xcf8, cf8_address(sbdf, reg)) < 0)
        return -1;
    return size == 1 ? qts_outb(q, (uint16_t)(0xcfc + (reg & 3)), (uint8_t)v) :
           size == 2 ? qts_outw(q, (uint16_t)(0xcfc + (reg & 2)),
                                (uint16_t)v) :
                       qts_outl(q, 0xcfc, v);
}

uint8_t qpci_cfg_read8(struct qpci_bus *bus, uint32_t sbdf, unsigned int reg)
{
    return (uint8_t)cfg_read(bus, sbdf, reg, 1);
}

uint16_t qpci_cfg_read16(struct qpci_bus *bus, uint32_t sbdf, unsigned int reg)
{
    return (uint16_t)cfg_read(bus, sbdf, reg, 2);
}

uint32_t qpci_cfg_read32(struct qpci_bus *bus, uint32_t sbdf, unsigned int reg)
{
    return cfg_read(bus, sbdf, reg, 4);
}

int qpci_cfg_write8(struct qpci_bus *bus, uint32_t sbdf, unsigned int reg,
                    uint8_t v)
{
    return cfg_write(bus, sbdf, reg, 1, v);
}

int qpci_cfg_write16(struct qpci_bus *bus, uint32_t sbdf, unsigned int reg,
                     uint16_t v)
{
    return cfg_write(bus, sbdf, reg, 2, v);
}

int qpci_cfg_write32(struct qpci_bus *bus, uint32_t sbdf, unsigned int reg,
                     uint32_t v)
{
    return cfg_write(bus, sbdf, reg, 4, v);
}

int qpci_init(struct qpci_bus *bus, struct qts *q, unsigned int flags)
{
    uint32_t mch = QPCI_SBDF(0, 0, 0), id;

    memset(bus, 0, sizeof(*bus));
    bus->qts = q;
    bus->mmio_next = QPCI_MMIO_BASE;
    bus->io_next = QPCI_IO_BASE;
    if (flags & ~QPCI_CF8)
        return qts_fail(q, "qpci: unknown flags 0x%x", flags);
    id = qpci_cfg_read32(bus, mch, CFG_VENDOR);
    if (qts_error(q))
        return -1;
    if ((id & 0xffff) != 0x8086)
        return qts_fail(q, "qpci: no Intel host bridge at 00:00.0 (id "
                        "0x%08x): is this a q35 machine?", id);
    if (flags & QPCI_CF8)
        return 0;

    /* The halt firmware leaves PCIEXBAR disabled: enable it as BIOSes do. */
    qpci_cfg_write32(bus, mch, MCH_PCIEXBAR + 4, 0);
    qpci_cfg_write32(bus, mch, MCH_PCIEXBAR,
                     (uint32_t)QPCI_ECAM_BASE | PCIEXBAR_ENABLE);
    bus->ecam = true;
    if (qpci_cfg_read32(bus, mch, CFG_VENDOR) != id)
        return qts_fail(q, "qpci: ECAM at 0x%llx does not answer after "
                        "programming PCIEXBAR",
                        (unsigned long long)QPCI_ECAM_BASE);
    return qts_error(q) ? -1 : 0;
}

/* --- enumeration -------------------------------------------------------------- */

static int find_pcie_type(struct qpci_bus *bus, struct qpci_func *f)
{
    unsigned int cap = qpci_find_cap(bus, f->sbdf, CAP_ID_PCIE);

    if (cap) {
        f->pcie = true;
        f->pcie_type = (qpci_cfg_read16(bus, f->sbdf, cap + 2) >> 4) & 0xf;
    }
    return 0;
}

/* Size BAR n of f (decode is off at this point: nothing is enabled). */
static unsigned int size_bar(struct qpci_bus *bus, struct qpci_func *f,
                             unsigned int n)
{
    unsigned int reg = CFG_BAR0 + 4 * n;
    struct qpci_bar *b = &f->bar[n];
    uint32_t orig, lo, hi_orig, hi = 0;
    uint64_t mask;

    orig = qpci_cfg_read32(bus, f->sbdf, reg);
    qpci_cfg_write32(bus, f->sbdf, reg, 0xffffffff);
    lo = qpci_cfg_read32(bus, f->sbdf, reg);
    qpci_cfg_write32(bus, f->sbdf, reg, orig);
    if (lo == 0 || lo == 0xffffffff)
        return 1;

    if (lo & 1) {
        b->io = true;
        mask = (lo & ~0x3u) | 0xffff0000u;
        b->size = (uint64_t)(~(uint32_t)mask) + 1;
        return 1;
    }
    b->prefetch = (lo & 0x8) != 0;
    b->is64 = ((lo >> 1) & 3) == 2;
    if (b->is64 && n + 1 < QPCI_NR_BARS) {
        hi_orig = qpci_cfg_read32(bus, f->sbdf, reg + 4);
        qpci_cfg_write32(bus, f->sbdf, reg + 4, 0xffffffff);
        hi = qpci_cfg_read32(bus, f->sbdf, reg + 4);
        qpci_cfg_write32(bus, f->sbdf, reg + 4, hi_orig);
    }
    mask = ((uint64_t)hi << 32) | (lo & ~0xfu);
    if (!b->is64)
        mask |= 0xffffffff00000000ULL;
    b->size = ~mask + 1;
    return b->is64 ? 2 : 1;
}

static void size_bars(struct qpci_bus *bus, struct qpci_func *f)
{
    unsigned int n, nr = f->header_type == 0 ? 6 : f->header_type == 1 ? 2 : 0;

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
    id = qpci_cfg_read32(bus, sbdf, CFG_VENDOR);
    cr = qpci_cfg_read32(bus, sbdf, CFG_CLASS_REV);
    f->sbdf = sbdf;
    f->vendor = (uint16_t)id;
    f->device = (uint16_t)(id >> 16);
    f->class_code = cr >> 8;
    f->revision = (uint8_t)cr;
    f->header_type = header & 0x7f;
    f->multifunction = (header & 0x80) != 0;
    f->is_bridge = f->header_type == 1;
    f->irq_pin = qpci_cfg_read8(bus, sbdf, CFG_IRQ_PIN);
    f->parent = parent;
    f->depth = depth;
    f->user = -1;
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

    if (secondary > 255)
        return qts_fail(bus->qts, "qpci: out of bus numbers at %02x:%02x.%x",
                        QPCI_BUS(f->sbdf), QPCI_DEV(f->sbdf),
                        QPCI_FN(f->sbdf));
    *last_bus = secondary;
    /* Subordinate 0xff while scanning, so every bus below is reachable. */
    qpci_cfg_write32(bus, f->sbdf, BR_BUSES,
                     QPCI_BUS(f->sbdf) | secondary << 8 | 0xffu << 16);
    if (scan_bus(bus, secondary, idx, f->depth + 1, last_bus) < 0)
        return -1;
    f = &bus->func[idx];
    f->secondary = (uint8_t)secondary;
    f->subordinate = (uint8_t)*last_bus;
    qpci_cfg_write8(bus, f->sbdf, BR_BUSES + 2, f->subordinate);
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
            sbdf = QPCI_SBDF(nr, dev, fn);
            if (qpci_cfg_read16(bus, sbdf, CFG_VENDOR) == 0xffff) {
                if (qts_error(bus->qts))
                    return -1;
                continue;
            }
            header = qpci_cfg_read8(bus, sbdf, CFG_HEADER_TYPE);
            if (fn == 0 && (header & 0x80))
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

/* --- resource assignment --------------------------------------------------- */

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static int assign_bar(struct qpci_bus *bus, struct qpci_func *f, unsigned int n)
{
    struct qpci_bar *b = &f->bar[n];
    unsigned int reg = CFG_BAR0 + 4 * n;
    char name[16];
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
                            qpci_sbdf_str(f->sbdf, name), b->size);
        bus->mmio_next = addr + b->size;
        qpci_cfg_write32(bus, f->sbdf, reg, (uint32_t)addr);
        if (b->is64)
            qpci_cfg_write32(bus, f->sbdf, reg + 4, 0);
    }
    b->addr = addr;
    b->assigned = true;
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
    return 0;
}

static void write_windows(struct qpci_bus *bus, const struct qpci_func *f)
{
    uint32_t s = f->sbdf;

    if (f->mem_limit > f->mem_base) {
        qpci_cfg_write16(bus, s, BR_MEM_BASE, (uint16_t)(f->mem_base >> 16));
        qpci_cfg_write16(bus, s, BR_MEM_LIMIT,
                         (uint16_t)(f->mem_limit >> 16) & 0xfff0);
    } else {
        qpci_cfg_write16(bus, s, BR_MEM_BASE, 0xfff0);
        qpci_cfg_write16(bus, s, BR_MEM_LIMIT, 0);
    }
    if (f->io_limit > f->io_base) {
        qpci_cfg_write8(bus, s, BR_IO_BASE, (uint8_t)(f->io_base >> 8));
        qpci_cfg_write8(bus, s, BR_IO_LIMIT,
                        (uint8_t)(f->io_limit >> 8) & 0xf0);
    } else {
        qpci_cfg_write8(bus, s, BR_IO_BASE, 0xf0);
        qpci_cfg_write8(bus, s, BR_IO_LIMIT, 0);
    }
    qpci_cfg_write16(bus, s, BR_IO_BASE_HI, 0);
    qpci_cfg_write16(bus, s, BR_IO_LIMIT_HI, 0);
    /* Prefetchable window closed: every BAR goes through the other one. */
    qpci_cfg_write16(bus, s, BR_PREF_BASE, 0xfff0);
    qpci_cfg_write16(bus, s, BR_PREF_LIMIT, 0);
    qpci_cfg_write32(bus, s, BR_PREF_BASE_HI, 0);
    qpci_cfg_write32(bus, s, BR_PREF_LIMIT_HI, 0);
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
    uint16_t cmd = qpci_cfg_read16(bus, sbdf, CFG_COMMAND);

    if (qts_error(bus->qts))
        return -1;
    return qpci_cfg_write16(bus, sbdf, CFG_COMMAND, cmd | bits);
}

/* --- lookups and output ------------------------------------------------------ */

int qpci_find(const struct qpci_bus *bus, uint32_t sbdf)
{
    unsigned int i;

    for (i = 0; i < bus->nr; i++)
        if (bus->func[i].sbdf == sbdf)
            return (int)i;
    return -1;
}

int qpci_find_id(const struct qpci_bus *bus, uint16_t vendor, uint16_t device,
                 unsigned int nth)
{
    unsigned int i;

    for (i = 0; i < bus->nr; i++)
        if (bus->func[i].vendor == vendor && bus->func[i].device == device &&
            nth-- == 0)
            return (int)i;
    return -1;
}

int qpci_find_path(const struct qpci_bus *bus, const uint8_t *devfn,
                   unsigned int len)
{
    unsigned int level, nr = 0;
    int idx = -1;

    for (level = 0; level < len; level++) {
        if (level > 0) {
            if (idx < 0 || !bus->func[idx].is_bridge)
                return -1;
            nr = bus->func[idx].secondary;
        }
        idx = qpci_find(bus, QPCI_SBDF(nr, 0, 0) | devfn[level]);
        if (idx < 0)
            return -1;
    }
    return idx;
}

unsigned int qpci_find_cap(struct qpci_bus *bus, uint32_t sbdf, uint8_t id)
{
    unsigned int ptr, guard;
    uint16_t word;

    if (!(qpci_cfg_read16(bus, sbdf, 0x06) & CFG_STATUS_CAP_LIST))
        return 0;
    ptr = qpci_cfg_read8(bus, sbdf, CFG_CAP_PTR) & 0xfc;
    for (guard = 0; ptr >= 0x40 && guard < 48; guard++) {
        word = qpci_cfg_read16(bus, sbdf, ptr);
        if (qts_error(bus->qts))
            return 0;
        if ((word & 0xff) == id)
            return ptr;
        ptr = (word >> 8) & 0xfc;
    }
    return 0;
}

uint64_t qpci_bar_addr(const struct qpci_bus *bus, int idx, unsigned int n)
{
    if (idx < 0 || (unsigned int)idx >= bus->nr || n >= QPCI_NR_BARS ||
        !bus->func[idx].bar[n].assigned)
        return 0;
    return bus->func[idx].bar[n].addr;
}

char *qpci_sbdf_str(uint32_t sbdf, char *buf)
{
    sprintf(buf, "%04x:%02x:%02x.%x", (sbdf >> 16) & 0xffff, QPCI_BUS(sbdf),
            QPCI_DEV(sbdf), QPCI_FN(sbdf));
    return buf;
}

void qpci_print(const struct qpci_bus *bus, FILE *out)
{
    unsigned int i, n;
    char name[16];

    for (i = 0; i < bus->nr; i++) {
        const struct qpci_func *f = &bus->func[i];

        fprintf(out, "%*s%s %04x:%04x class %06x hdr %u%s", 2 * f->depth, "",
                qpci_sbdf_str(f->sbdf, name), f->vendor, f->device,
                f->class_code, f->header_type, f->pcie ? " pcie" : "");
        if (f->is_bridge) {
            fprintf(out, " buses %02x-%02x", f->secondary, f->subordinate);
            if (f->mem_limit > f->mem_base)
                fprintf(out, " mem %08" PRIx64 "-%08" PRIx64, f->mem_base,
                        f->mem_limit);
            if (f->io_limit > f->io_base)
                fprintf(out, " io %04x-%04x", f->io_base, f->io_limit);
        }
        for (n = 0; n < QPCI_NR_BARS; n++) {
            const struct qpci_bar *b = &f->bar[n];

            if (!b->size)
                continue;
            fprintf(out, " bar%u %s", n, b->io ? "io" : b->is64 ? "m64" : "mem");
            if (b->assigned)
                fprintf(out, " %" PRIx64 "+%" PRIx64, b->addr, b->size);
            else
                fprintf(out, " unassigned+%" PRIx64, b->size);
        }
        fprintf(out, "%s\n", f->preserve ? " preserve" : "");
    }
}
