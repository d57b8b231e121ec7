/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vtd_tables: the VT-d driver's tables (see vtd.h): pages taken from the
 * table region with a host copy of each, domains and their 3-level
 * second-level page tables, map, unmap, translate, root and context
 * entries, requester IDs behind bridges.
 */
#define _GNU_SOURCE
#include "vtd.h"

#include <inttypes.h>
#include <stdlib.h>

#include "vtd_unit.h"
#include "pci/qpci.h"

#define LEVELS              3
#define LEVEL_BITS          9
#define PAGE_SHIFT          12
/* CAP.ND: number of domain ids, encoded */
#define CAP_ND(c)           ((unsigned int)((c) & 0x7))

/* Table entries (legacy mode) */
#define ENTRY_PRESENT       0x1ULL
#define ADDR_MASK           0x000ffffffffff000ULL
#define CTX_AW_39BIT        0x1ULL
#define CTX_DID_SHIFT       8

/* PCIe capability device/port types */
#define PCIE_TYPE_ROOT_PORT     0x4
#define PCIE_TYPE_UPSTREAM      0x5
#define PCIE_TYPE_DOWNSTREAM    0x6
#define PCIE_TYPE_PCI_BRIDGE    0x7     /* PCIe-to-PCI/PCI-X bridge */
#define PCIE_TYPE_PCIE_BRIDGE   0x8     /* PCI/PCI-X-to-PCIe bridge */

/* --- table pages --------------------------------------------------------- */

int vtd_page_take(struct vtd *v)
{
    struct vtd_page *p;
    int idx;

    if (vtd_failed(v))
        return -1;
    if (v->nr_pages == v->max_pages)
        return qts_fail(v->qts, "vtd: table region at 0x%" PRIx64
                        " full (%u pages)", v->table_base, v->max_pages);
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return qts_fail(v->qts, "vtd: out of memory");
    p->gpa = v->table_base + (uint64_t)v->nr_pages * VTD_PAGE;
    if (qts_memset(v->qts, p->gpa, 0, VTD_PAGE)) {
        free(p);
        return -1;
    }
    idx = (int)v->nr_pages++;
    v->page[idx] = p;
    return idx;
}

/* Page index of the table at gpa (an address this driver put in an entry). */
static int page_index(const struct vtd *v, uint64_t gpa)
{
    uint64_t idx = (gpa - v->table_base) / VTD_PAGE;

    if (gpa < v->table_base || idx >= v->nr_pages)
        return -1;
    return (int)idx;
}

static int entry_set(struct vtd *v, int pg, unsigned int i, uint64_t val)
{
    struct vtd_page *p = v->page[pg];

    p->entry[i] = val;
    return qts_writeq(v->qts, p->gpa + 8ULL * i, val);
}

/* --- domains and page tables -------------------------------------------- */

static bool domain_ok(const struct vtd *v, int dom)
{
    return dom >= 0 && (unsigned int)dom < v->nr_domains;
}

int vtd_domain_new(struct vtd *v, uint16_t did)
{
    unsigned int nd_bits = 4 + 2 * CAP_ND(v->cap);
    unsigned int i;
    int top;

    if (vtd_failed(v))
        return -1;
    if (did == 0 || (nd_bits < 16 && did >= (1u << nd_bits)))
        return qts_fail(v->qts, "vtd: domain id %u out of range 1..%u", did,
                        nd_bits < 16 ? (1u << nd_bits) - 1 : 0xffffu);
    for (i = 0; i < v->nr_domains; i++)
        if (v->domain[i].did == did)
            return qts_fail(v->qts, "vtd: domain id %u used twice", did);
    if (v->nr_domains == VTD_MAX_DOMAINS)
        return qts_fail(v->qts, "vtd: more than %d domains", VTD_MAX_DOMAINS);
    top = vtd_page_take(v);
    if (top < 0)
        return -1;
    v->domain[v->nr_domains].did = did;
    v->domain[v->nr_domains].top = top;
    return (int)v->nr_domains++;
}

static unsigned int level_index(uint64_t iova, unsigned int level)
{
    return (iova >> (PAGE_SHIFT + LEVEL_BITS * (level - 1)))
           & (VTD_ENTRIES_PER_TABLE - 1);
}

/*
 * The level-1 table for iova in dom: its page index, or -1.  With create,
 * missing level-2 and level-1 tables are taken (non-leaf entries carry
 * R and W: QEMU checks the permission at every level).
 */
static int leaf_table(struct vtd *v, int dom, uint64_t iova, bool create)
{
    int pg = v->domain[dom].top;
    unsigned int level;

    for (level = LEVELS; level > 1; level--) {
        unsigned int i = level_index(iova, level);
        uint64_t e = v->page[pg]->entry[i];

        if (!(e & VTD_PERM_RW)) {
            int next;

            if (!create)
                return -1;
            next = vtd_page_take(v);
            if (next < 0)
                return -1;
            e = v->page[next]->gpa | VTD_PERM_RW;
            if (entry_set(v, pg, i, e))
                return -1;
        }
        pg = page_index(v, e & ADDR_MASK);
        if (pg < 0)
            return qts_fail(v->qts, "vtd: corrupt host copy of the tables");
    }
    return pg;
}

static int check_range(struct vtd *v, int dom, uint64_t iova, uint64_t len)
{
    if (vtd_failed(v))
        return -1;
    if (!domain_ok(v, dom))
        return qts_fail(v->qts, "vtd: no domain %d", dom);
    if (iova % VTD_PAGE || len % VTD_PAGE || len == 0
        || iova >= (1ULL << VTD_IOVA_BITS)
        || len > (1ULL << VTD_IOVA_BITS) - iova)
        return qts_fail(v->qts, "vtd: bad IOVA range 0x%" PRIx64 "+0x%"
                        PRIx64 " (page-aligned, below 2^%d)", iova, len,
                        VTD_IOVA_BITS);
    return 0;
}

int vtd_map(struct vtd *v, int dom, uint64_t iova, uint64_t phys,
            uint64_t len, unsigned int perm)
{
    uint64_t off;

    if (check_range(v, dom, iova, len))
        return -1;
    if (phys % VTD_PAGE || (phys & ~ADDR_MASK) || perm == 0
        || (perm & ~VTD_PERM_RW))
        return qts_fail(v->qts, "vtd: bad mapping to 0x%" PRIx64
                        " perm 0x%x", phys, perm);
    for (off = 0; off < len; off += VTD_PAGE) {
        int pt = leaf_table(v, dom, iova + off, true);

        if (pt < 0 || entry_set(v, pt, level_index(iova + off, 1),
                                (phys + off) | perm))
            return -1;
    }
    return vtd_after_change(v);
}

int vtd_unmap(struct vtd *v, int dom, uint64_t iova, uint64_t len)
{
    uint64_t off;

    if (check_range(v, dom, iova, len))
        return -1;
    for (off = 0; off < len; off += VTD_PAGE) {
        int pt = leaf_table(v, dom, iova + off, false);

        if (pt >= 0 && entry_set(v, pt, level_index(iova + off, 1), 0))
            return -1;
    }
    return vtd_after_change(v);
}

uint64_t vtd_translate(const struct vtd *v, int dom, uint64_t iova,
                       unsigned int *perm)
{
    uint64_t e;
    int pg;
    unsigned int level;

    if (!domain_ok(v, dom) || iova >= (1ULL << VTD_IOVA_BITS))
        return VTD_NO_MAPPING;
    pg = v->domain[dom].top;
    for (level = LEVELS; ; level--) {
        e = v->page[pg]->entry[level_index(iova, level)];
        if (!(e & VTD_PERM_RW))
            return VTD_NO_MAPPING;
        if (level == 1)
            break;
        pg = page_index(v, e & ADDR_MASK);
        if (pg < 0)
            return VTD_NO_MAPPING;
    }
    if (perm != NULL)
        *perm = (unsigned int)(e & VTD_PERM_RW);
    return (e & ADDR_MASK) | (iova & (VTD_PAGE - 1));
}

/* --- root and context entries -------------------------------------------- */

static int context_table(struct vtd *v, unsigned int bus)
{
    int pg;

    if (v->ctx_page[bus] >= 0)
        return v->ctx_page[bus];
    pg = vtd_page_take(v);
    if (pg < 0)
        return -1;
    /* Root entry: context-table pointer | present (upper qword 0). */
    if (entry_set(v, 0, 2 * bus + 1, 0)
        || entry_set(v, 0, 2 * bus, v->page[pg]->gpa | ENTRY_PRESENT))
        return -1;
    v->ctx_page[bus] = pg;
    return pg;
}

int vtd_attach(struct vtd *v, uint16_t rid, int dom)
{
    unsigned int bus = rid >> 8, devfn = rid & 0xff;
    uint64_t lo, hi;
    int pg;

    if (vtd_failed(v))
        return -1;
    if (!domain_ok(v, dom))
        return qts_fail(v->qts, "vtd: no domain %d", dom);
    pg = context_table(v, bus);
    if (pg < 0)
        return -1;
    /* TT 0 (untranslated requests through second-level tables). */
    lo = v->page[v->domain[dom].top]->gpa | ENTRY_PRESENT;
    hi = CTX_AW_39BIT | (uint64_t)v->domain[dom].did << CTX_DID_SHIFT;
    /* Upper half first: the entry becomes present with the lower one. */
    if (entry_set(v, pg, 2 * devfn + 1, hi)
        || entry_set(v, pg, 2 * devfn, lo))
        return -1;
    v->ctx_domain[bus][devfn] = dom;
    return vtd_after_change(v);
}

int vtd_attached(const struct vtd *v, uint16_t rid)
{
    return v->ctx_domain[rid >> 8][rid & 0xff];
}

/* Does QEMU model the bus behind this bridge as PCI Express? */
static bool secondary_is_express(const struct qpci_func *br)
{
    if (!br->pcie)
        return false;
    switch (br->pcie_type) {
    case PCIE_TYPE_ROOT_PORT:
    case PCIE_TYPE_UPSTREAM:
    case PCIE_TYPE_DOWNSTREAM:
    case PCIE_TYPE_PCIE_BRIDGE:
        return true;
    default:
        return false;
    }
}

uint16_t vtd_requester_id(const struct qpci_bus *bus, int idx)
{
    const struct qpci_func *f = &bus->func[idx];
    uint16_t rid = (uint16_t)(f->sbdf & 0xffff);
    int up;

    /* Walk up; every conventional bus crossed re-aliases the ID. */
    for (up = f->parent; up >= 0; up = bus->func[up].parent) {
        const struct qpci_func *br = &bus->func[up];

        if (secondary_is_express(br))
            continue;
        if (br->pcie && br->pcie_type == PCIE_TYPE_PCI_BRIDGE)
            rid = (uint16_t)(br->secondary << 8);
        else
            rid = (uint16_t)(br->sbdf & 0xffff);
    }
    return rid;
}

int vtd_attach_func(struct vtd *v, const struct qpci_bus *bus, int idx,
                    int dom)
{
    uint16_t own = (uint16_t)(bus->func[idx].sbdf & 0xffff);
    uint16_t alias = vtd_requester_id(bus, idx);

    if (vtd_attach(v, own, dom))
        return -1;
    if (alias != own)
        return vtd_attach(v, alias, dom);
    return 0;
}

int vtd_attach_all(struct vtd *v, const struct qpci_bus *bus, int dom)
{
    unsigned int i;

    for (i = 0; i < bus->nr; i++)
        if (vtd_attach_func(v, bus, (int)i, dom))
            return -1;
    return 0;
}
