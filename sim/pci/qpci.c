/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * qpci: config access over qtest (ECAM or 0xCF8/0xCFC), set-up of the
 * q35 ECAM window, lookups in the function table and its printout.
 * Enumeration is in qpci_enum.c, resource assignment in qpci_assign.c.
 * See qpci.h for the address layout.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/sbdf.h"
#include "pci_regs.h"
#include "qpci.h"

/* Configuration mechanism #1: address port, data port, enable bit. */
#define CF8_PORT            0xcf8
#define CFC_PORT            0xcfc
#define CF8_ENABLE          0x80000000u

#define CFG_SIZE            256         /* through 0xCF8/0xCFC */
#define ECAM_CFG_SIZE       4096        /* through ECAM */

/* Capabilities live after the standard header; at most this many fit. */
#define CAP_MIN_OFFSET      0x40
#define CAP_MAX_COUNT       ((CFG_SIZE - CAP_MIN_OFFSET) / 4)

/* --- config access ------------------------------------------------------- */

static uint32_t cf8_address(uint32_t sbdf, unsigned int reg)
{
    return CF8_ENABLE | (SBDF_BUS(sbdf) << 16) | ((sbdf & 0xff) << 8) |
           (reg & 0xfc);
}

/* Reject what the mechanism cannot express; records an error. */
static int check_reg(struct qpci_bus *bus, uint32_t sbdf, unsigned int reg,
                     unsigned int size)
{
    unsigned int limit = bus->ecam ? ECAM_CFG_SIZE : CFG_SIZE;

    if (SBDF_SEG(sbdf))
        return qts_fail(bus->qts, "qpci: segment %u does not exist",
                        SBDF_SEG(sbdf));
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
        a = PCI_ECAM_ADDR(Q35_ECAM_BASE, sbdf, reg);
        v = size == 1 ? qts_readb(q, a) :
            size == 2 ? qts_readw(q, a) : qts_readl(q, a);
    } else {
        qts_outl(q, CF8_PORT, cf8_address(sbdf, reg));
        v = size == 1 ? qts_inb(q, (uint16_t)(CFC_PORT + (reg & 3))) :
            size == 2 ? qts_inw(q, (uint16_t)(CFC_PORT + (reg & 2))) :
                        qts_inl(q, CFC_PORT);
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
        a = PCI_ECAM_ADDR(Q35_ECAM_BASE, sbdf, reg);
        return size == 1 ? qts_writeb(q, a, (uint8_t)v) :
               size == 2 ? qts_writew(q, a, (uint16_t)v) :
                           qts_writel(q, a, v);
    }
    if (qts_outl(q, CF8_PORT, cf8_address(sbdf, reg)) < 0)
        return -1;
    return size == 1 ? qts_outb(q, (uint16_t)(CFC_PORT + (reg & 3)),
                                (uint8_t)v) :
           size == 2 ? qts_outw(q, (uint16_t)(CFC_PORT + (reg & 2)),
                                (uint16_t)v) :
                       qts_outl(q, CFC_PORT, v);
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
    uint32_t mch = SBDF(0, 0, 0, 0), id;

    memset(bus, 0, sizeof(*bus));
    bus->qts = q;
    bus->mmio_next = QPCI_MMIO_BASE;
    bus->io_next = QPCI_IO_BASE;
    if (flags & ~QPCI_CF8)
        return qts_fail(q, "qpci: unknown flags 0x%x", flags);
    id = qpci_cfg_read32(bus, mch, PCI_VENDOR_ID);
    if (qts_error(q))
        return -1;
    if ((id & 0xffff) != PCI_VENDOR_ID_INTEL)
        return qts_fail(q, "qpci: no Intel host bridge at 00:00.0 (id "
                        "0x%08x): is this a q35 machine?", id);
    if (flags & QPCI_CF8)
        return 0;

    /* The halt firmware leaves PCIEXBAR disabled: enable it as BIOSes do
     * (length bits 0: 256 buses). */
    qpci_cfg_write32(bus, mch, Q35_MCH_PCIEXBAR + 4, 0);
    qpci_cfg_write32(bus, mch, Q35_MCH_PCIEXBAR,
                     (uint32_t)Q35_ECAM_BASE | Q35_PCIEXBAR_ENABLE);
    bus->ecam = true;
    if (qpci_cfg_read32(bus, mch, PCI_VENDOR_ID) != id)
        return qts_fail(q, "qpci: ECAM at 0x%llx does not answer after "
                        "programming PCIEXBAR",
                        (unsigned long long)Q35_ECAM_BASE);
    return qts_error(q) ? -1 : 0;
}

/* --- lookups and output -------------------------------------------------- */

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
        idx = qpci_find(bus, SBDF(0, nr, 0, 0) | devfn[level]);
        if (idx < 0)
            return -1;
    }
    return idx;
}

unsigned int qpci_find_cap(struct qpci_bus *bus, uint32_t sbdf, uint8_t id)
{
    unsigned int ptr, guard;
    uint16_t word;

    if (!(qpci_cfg_read16(bus, sbdf, PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return 0;
    ptr = qpci_cfg_read8(bus, sbdf, PCI_CAPABILITY_LIST) & 0xfc;
    for (guard = 0; ptr >= CAP_MIN_OFFSET && guard < CAP_MAX_COUNT; guard++) {
        /* One read for both bytes: PCI_CAP_LIST_ID, PCI_CAP_LIST_NEXT. */
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

static void print_bars(const struct qpci_func *f, FILE *out)
{
    unsigned int n;

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
}

void qpci_print(const struct qpci_bus *bus, FILE *out)
{
    char name[SBDF_STR_LEN];
    unsigned int i;

    for (i = 0; i < bus->nr; i++) {
        const struct qpci_func *f = &bus->func[i];

        fprintf(out, "%*s%s %04x:%04x class %06x hdr %u%s", 2 * f->depth, "",
                sbdf_str(f->sbdf, name, sizeof(name)), f->vendor, f->device,
                f->class_code, f->header_type, f->pcie ? " pcie" : "");
        if (f->is_bridge) {
            fprintf(out, " buses %02x-%02x", f->secondary, f->subordinate);
            if (f->mem_limit > f->mem_base)
                fprintf(out, " mem %08" PRIx64 "-%08" PRIx64, f->mem_base,
                        f->mem_limit);
            if (f->io_limit > f->io_base)
                fprintf(out, " io %04x-%04x", f->io_base, f->io_limit);
        }
        print_bars(f, out);
        if (f->is_vf)
            fprintf(out, " VF of %s",
                    sbdf_str(bus->func[f->pf].sbdf, name, sizeof(name)));
        fprintf(out, "%s\n", f->preserve ? " preserve" : "");
    }
}
