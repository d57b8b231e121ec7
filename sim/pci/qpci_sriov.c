/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * qpci_sriov: a physical function's SR-IOV capability, its VF BARs and
 * the virtual functions it brings up.  See qpci.h.  Layout from the PCI
 * Express base specification, "Single Root I/O Virtualization".
 */
#include <inttypes.h>
#include <string.h>

#include "pci_regs.h"
#include "qpci.h"

#define EXT_CAP_START       0x100
#define EXT_CAP_END         0x1000
#define BAR_MEM_FLAGS       0xfu

static unsigned int find_ext_cap(struct qpci_bus *bus, uint32_t sbdf,
                                 uint16_t id)
{
    unsigned int off = EXT_CAP_START, hops;

    for (hops = 0; off >= EXT_CAP_START && off < EXT_CAP_END && hops < 64;
         hops++) {
        uint32_t hdr = qpci_cfg_read32(bus, sbdf, off);

        if (hdr == 0 || hdr == 0xffffffff)
            return 0;
        if ((hdr & 0xffff) == id)
            return off;
        off = (hdr >> 20) & 0xffc;
    }
    return 0;
}

/* Size VF BAR n (the register pair in the capability). */
static unsigned int size_vf_bar(struct qpci_bus *bus, uint32_t sbdf,
                                struct qpci_sriov *s, unsigned int n)
{
    unsigned int reg = s->cap + PCI_IOV_BAR_BASE + 4 * n;
    struct qpci_bar *b = &s->vf_bar[n];
    uint32_t lo, hi = 0xffffffff;
    uint64_t mask;

    qpci_cfg_write32(bus, sbdf, reg, 0xffffffff);
    lo = qpci_cfg_read32(bus, sbdf, reg);
    qpci_cfg_write32(bus, sbdf, reg, 0);
    if (lo == 0 || lo == 0xffffffff || (lo & PCI_BASE_ADDRESS_SPACE_IO))
        return 1;
    b->is64 = (lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
              PCI_BASE_ADDRESS_MEM_TYPE_64;
    b->prefetch = (lo & PCI_BASE_ADDRESS_MEM_PREFETCH) != 0;
    if (b->is64 && n + 1 < QPCI_NR_BARS) {
        qpci_cfg_write32(bus, sbdf, reg + 4, 0xffffffff);
        hi = qpci_cfg_read32(bus, sbdf, reg + 4);
        qpci_cfg_write32(bus, sbdf, reg + 4, 0);
    }
    mask = ((uint64_t)hi << 32) | (lo & ~BAR_MEM_FLAGS);
    b->size = ~mask + 1;
    return b->is64 ? 2 : 1;
}

int qpci_sriov_probe(struct qpci_bus *bus, int pf, struct qpci_sriov *s)
{
    uint32_t sbdf = bus->func[pf].sbdf;
    unsigned int n;

    memset(s, 0, sizeof(*s));
    if (!bus->ecam)
        return qts_fail(bus->qts, "qpci: SR-IOV needs ECAM config access");
    s->cap = find_ext_cap(bus, sbdf, PCI_EXT_CAP_ID_SRIOV);
    if (!s->cap)
        return qts_fail(bus->qts, "qpci: %04x has no SR-IOV capability",
                        sbdf);
    if (qpci_cfg_read16(bus, sbdf, s->cap + PCI_IOV_CTRL) & PCI_IOV_CTRL_VFE)
        return qts_fail(bus->qts, "qpci: %04x: VFs already enabled", sbdf);
    s->total_vfs = qpci_cfg_read16(bus, sbdf, s->cap + PCI_IOV_TOTALVF);
    s->initial_vfs = qpci_cfg_read16(bus, sbdf, s->cap + PCI_IOV_INITIALVF);
    s->offset = qpci_cfg_read16(bus, sbdf, s->cap + PCI_IOV_OFFSET);
    s->stride = qpci_cfg_read16(bus, sbdf, s->cap + PCI_IOV_STRIDE);
    s->vf_device = qpci_cfg_read16(bus, sbdf, s->cap + PCI_IOV_DID);
    for (n = 0; n < QPCI_NR_BARS; n += size_vf_bar(bus, sbdf, s, n))
        ;
    return qts_error(bus->qts) ? -1 : 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

int qpci_sriov_reserve(struct qpci_bus *bus, int pf, unsigned int nr)
{
    struct qpci_func *f = &bus->func[pf];
    struct qpci_sriov s;

    if (qpci_sriov_probe(bus, pf, &s))
        return -1;
    if (nr == 0 || nr > s.total_vfs)
        return qts_fail(bus->qts, "qpci: %04x: %u VFs asked, TotalVFs %u",
                        f->sbdf, nr, s.total_vfs);
    f->vf_reserve = nr;
    memcpy(f->vf_bar, s.vf_bar, sizeof(f->vf_bar));
    return 0;
}

/* Where VF 0's BAR n goes: the room reserved at assignment, or the end. */
static int vf_bar_base(struct qpci_bus *bus, const struct qpci_func *pf,
                       const struct qpci_bar *b, unsigned int n,
                       unsigned int nr, uint64_t *base)
{
    const struct qpci_bar *r = &pf->vf_bar[n];

    if (pf->vf_reserve >= nr && r->assigned && r->size == b->size) {
        *base = r->addr;
        return 0;
    }
    *base = align_up(bus->mmio_next, b->size);
    if (*base + b->size * nr > QPCI_MMIO_END)
        return qts_fail(bus->qts, "qpci: %04x: no memory space for %u "
                        "VFs' BAR%u (%" PRIu64 " bytes each)", pf->sbdf, nr,
                        n, b->size);
    bus->mmio_next = *base + b->size * nr;
    return 0;
}

/* Place and program every VF BAR for nr VFs. */
static int place_vf_bars(struct qpci_bus *bus, int pf, struct qpci_sriov *s,
                         unsigned int nr)
{
    uint32_t sbdf = bus->func[pf].sbdf;
    unsigned int n;

    for (n = 0; n < QPCI_NR_BARS; n++) {
        struct qpci_bar *b = &s->vf_bar[n];
        unsigned int reg = s->cap + PCI_IOV_BAR_BASE + 4 * n;
        uint64_t base;

        if (!b->size)
            continue;
        if (vf_bar_base(bus, &bus->func[pf], b, n, nr, &base))
            return -1;
        b->addr = base;
        b->assigned = true;
        qpci_cfg_write32(bus, sbdf, reg, (uint32_t)base);
        if (b->is64)
            qpci_cfg_write32(bus, sbdf, reg + 4, (uint32_t)(base >> 32));
    }
    return qts_error(bus->qts) ? -1 : 0;
}

static void add_vf(struct qpci_bus *bus, int pf, const struct qpci_sriov *s,
                   unsigned int i)
{
    const struct qpci_func *p = &bus->func[pf];
    struct qpci_func *f = &bus->func[bus->nr++];
    uint32_t rid = (p->sbdf & 0xffff) + s->offset + i * s->stride;
    unsigned int n;

    memset(f, 0, sizeof(*f));
    f->sbdf = (p->sbdf & 0xffff0000u) | (rid & 0xffff);
    f->vendor = p->vendor;
    f->device = s->vf_device;
    f->class_code = qpci_cfg_read32(bus, f->sbdf, PCI_CLASS_REVISION) >> 8;
    f->revision = p->revision;
    f->pcie = p->pcie;
    f->pcie_type = p->pcie_type;
    f->parent = p->parent;
    f->depth = p->depth;
    f->is_vf = true;
    f->pf = pf;
    f->user = -1;
    for (n = 0; n < QPCI_NR_BARS; n++) {
        f->bar[n] = s->vf_bar[n];
        if (s->vf_bar[n].size)
            f->bar[n].addr = s->vf_bar[n].addr + i * s->vf_bar[n].size;
    }
}

int qpci_sriov_enable(struct qpci_bus *bus, int pf, unsigned int nr)
{
    uint32_t sbdf = bus->func[pf].sbdf;
    struct qpci_sriov s;
    unsigned int i;
    int first;

    if (qpci_sriov_probe(bus, pf, &s))
        return -1;
    if (nr == 0 || nr > s.total_vfs)
        return qts_fail(bus->qts, "qpci: %04x: %u VFs asked, TotalVFs %u",
                        sbdf, nr, s.total_vfs);
    if (bus->nr + nr > QPCI_MAX_FUNCS)
        return qts_fail(bus->qts, "qpci: function table full");
    if (place_vf_bars(bus, pf, &s, nr))
        return -1;
    qpci_cfg_write16(bus, sbdf, s.cap + PCI_IOV_NUMVF, (uint16_t)nr);
    qpci_cfg_write16(bus, sbdf, s.cap + PCI_IOV_CTRL,
                     PCI_IOV_CTRL_VFE | PCI_IOV_CTRL_MSE);
    if (!(qpci_cfg_read16(bus, sbdf, s.cap + PCI_IOV_CTRL) & PCI_IOV_CTRL_VFE))
        return qts_fail(bus->qts, "qpci: %04x: VF Enable did not stick", sbdf);
    first = (int)bus->nr;
    for (i = 0; i < nr; i++)
        add_vf(bus, pf, &s, i);
    return qts_error(bus->qts) ? -1 : first;
}
