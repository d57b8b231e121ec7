/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vtd: the hypervisor's side of QEMU's Intel IOMMU model.  See dev_vtd.h.
 */
#define _GNU_SOURCE
#include "vtd.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pci/galloc.h"
#include "pci/qpci.h"

#define ENTRIES_PER_TABLE   512
#define LEVELS              3
#define LEVEL_BITS          9
#define PAGE_SHIFT          12

/* CAP fields */
#define CAP_ND(c)           ((unsigned int)((c) & 0x7))
#define CAP_RWBF            (1ULL << 4)
#define CAP_CM              (1ULL << 7)
#define CAP_SAGAW(c)        ((unsigned int)(((c) >> 8) & 0x1f))
#define CAP_SAGAW_39BIT     0x2
#define CAP_MGAW(c)         ((unsigned int)(((c) >> 16) & 0x3f))
#define CAP_FRO(c)          ((unsigned int)(((c) >> 24) & 0x3ff))
#define CAP_NFR(c)          ((unsigned int)(((c) >> 40) & 0xff))
/* ECAP fields */
#define ECAP_IRO(e)         ((unsigned int)(((e) >> 8) & 0x3ff))

/* GCMD commands; GSTS bits that persist (VT-d spec 11.4.4: 0x96ffffff). */
#define GCMD_TE             (1u << 31)
#define GCMD_SRTP           (1u << 30)
#define GCMD_WBF            (1u << 27)
#define GCMD_QIE            (1u << 26)
#define GCMD_IRE            (1u << 25)
#define GSTS_PERSISTENT     0x96ffffffu

#define CCMD_ICC            (1ULL << 63)
#define CCMD_GLOBAL         (1ULL << 61)
#define IOTLB_IVT           (1ULL << 63)
#define IOTLB_GLOBAL        (1ULL << 60)

/* Fault recording register, high qword */
#define FRCD_F              (1ULL << 63)
#define FRCD_T              (1ULL << 62)
#define FRCD_FR(h)          ((uint8_t)(((h) >> 32) & 0xff))
#define FRCD_SID(h)         ((uint16_t)((h) & 0xffff))
#define FRCD_F_DWORD        (1u << 31)  /* F as bit 31 of the top dword */

#define FECTL_IM            (1u << 31)

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

/* How often a GSTS / CCMD / IOTLB bit is polled before giving up. */
#define POLL_LIMIT          1000

struct vtd_page {
    uint64_t gpa;
    uint64_t entry[ENTRIES_PER_TABLE];
};

struct vtd_domain {
    uint16_t did;
    int top;                    /* page index of the level-3 table */
};

struct vtd {
    struct qts *qts;
    uint64_t base;
    uint64_t cap;
    uint64_t ecap;
    unsigned int fro;           /* byte offset of fault record 0 */
    unsigned int nfr;
    unsigned int iotlb_reg;     /* byte offset of the IOTLB register */

    uint64_t table_base;
    unsigned int max_pages;
    unsigned int nr_pages;      /* page 0: root table */
    struct vtd_page **page;

    int ctx_page[256];          /* bus -> context table page, -1: none */
    int ctx_domain[256][256];   /* bus, devfn -> domain handle, -1: none */

    unsigned int nr_domains;
    struct vtd_domain domain[VTD_MAX_DOMAINS];

    bool live;                  /* root pointer set: changes need flushing */
};

/* --- registers ---------------------------------------------------------- */

static uint32_t reg_read32(struct vtd *v, unsigned int reg)
{
    return qts_readl(v->qts, v->base + reg);
}

static uint64_t reg_read64(struct vtd *v, unsigned int reg)
{
    return qts_readq(v->qts, v->base + reg);
}

static int reg_write32(struct vtd *v, unsigned int reg, uint32_t val)
{
    return qts_writel(v->qts, v->base + reg, val);
}

static int reg_write64(struct vtd *v, unsigned int reg, uint64_t val)
{
    return qts_writeq(v->qts, v->base + reg, val);
}

static bool failed(const struct vtd *v)
{
    return qts_error(v->qts) != NULL;
}

/*
 * Issue one GCMD command: GSTS's persistent bits with cmd set (on) or
 * cleared, then wait until GSTS's status bit equals want.
 */
static int gcmd(struct vtd *v, uint32_t cmd, bool on, uint32_t status,
                bool want, const char *what)
{
    uint32_t sts = reg_read32(v, VTD_REG_GSTS) & GSTS_PERSISTENT;
    unsigned int i;

    sts = on ? sts | cmd : sts & ~cmd;
    if (reg_write32(v, VTD_REG_GCMD, sts))
        return -1;
    for (i = 0; i < POLL_LIMIT; i++) {
        uint32_t now = reg_read32(v, VTD_REG_GSTS);

        if (failed(v))
            return -1;
        if (!!(now & status) == want)
            return 0;
    }
    return qts_fail(v->qts, "vtd: %s: GSTS 0x%08" PRIx32
                    " did not follow GCMD after %d reads", what,
                    reg_read32(v, VTD_REG_GSTS), POLL_LIMIT);
}

/* Write an invalidation command and wait for its busy bit to clear. */
static int invalidate(struct vtd *v, unsigned int reg, uint64_t cmd,
                      uint64_t busy, const char *what)
{
    unsigned int i;

    if (reg_write64(v, reg, cmd))
        return -1;
    for (i = 0; i < POLL_LIMIT; i++) {
        uint64_t now = reg_read64(v, reg);

        if (failed(v))
            return -1;
        if (!(now & busy))
            return 0;
    }
    return qts_fail(v->qts, "vtd: %s invalidation did not complete", what);
}

int vtd_invalidate_all(struct vtd *v)
{
    if (failed(v))
        return -1;
    if (invalidate(v, VTD_REG_CCMD, CCMD_ICC | CCMD_GLOBAL, CCMD_ICC,
                   "context-cache"))
        return -1;
    return invalidate(v, v->iotlb_reg, IOTLB_IVT | IOTLB_GLOBAL, IOTLB_IVT,
                      "IOTLB");
}

static int flush_write_buffer(struct vtd *v)
{
    if (!(v->cap & CAP_RWBF))
        return 0;
    /* WBF is one-shot: GSTS.WBFS reads 1 while the flush runs. */
    return gcmd(v, GCMD_WBF, true, VTD_GSTS_WBFS, false, "write buffer");
}

uint32_t vtd_gsts(struct vtd *v)
{
    if (failed(v))
        return 0;
    return reg_read32(v, VTD_REG_GSTS);
}

bool vtd_translation_on(struct vtd *v)
{
    return vtd_gsts(v) & VTD_GSTS_TES;
}

/* --- capability checks --------------------------------------------------- */

static int check_caps(struct vtd *v)
{
    unsigned int fault_end, iotlb_end;

    if (v->cap == 0 || v->cap == ~0ULL)
        return qts_fail(v->qts, "vtd: no VT-d unit at 0x%" PRIx64
                        " (CAP reads 0x%" PRIx64
                        "): is -device intel-iommu on the command line?",
                        v->base, v->cap);
    if (!(CAP_SAGAW(v->cap) & CAP_SAGAW_39BIT))
        return qts_fail(v->qts, "vtd: CAP 0x%" PRIx64 " SAGAW 0x%x lacks "
                        "39-bit 3-level second-level tables", v->cap,
                        CAP_SAGAW(v->cap));
    if (CAP_MGAW(v->cap) + 1 < VTD_IOVA_BITS)
        return qts_fail(v->qts, "vtd: CAP 0x%" PRIx64 " MGAW %u bits < %d",
                        v->cap, CAP_MGAW(v->cap) + 1, VTD_IOVA_BITS);

    v->fro = CAP_FRO(v->cap) * 16;
    v->nfr = CAP_NFR(v->cap) + 1;
    fault_end = v->fro + 16 * v->nfr;
    if (v->fro < 0x40 || fault_end > VTD_PAGE)
        return qts_fail(v->qts, "vtd: CAP 0x%" PRIx64 " fault recording "
                        "registers 0x%x..0x%x outside the register page",
                        v->cap, v->fro, fault_end);

    v->iotlb_reg = ECAP_IRO(v->ecap) * 16 + 8;
    iotlb_end = v->iotlb_reg + 8;
    if (v->iotlb_reg < 0x40 || iotlb_end > VTD_PAGE)
        return qts_fail(v->qts, "vtd: ECAP 0x%" PRIx64 " IOTLB register "
                        "0x%x outside the register page", v->ecap,
                        v->iotlb_reg);
    return 0;
}

/* Translation must be off and the fault interrupt masked before we start. */
static int check_initial_state(struct vtd *v)
{
    uint32_t gsts = reg_read32(v, VTD_REG_GSTS);
    uint32_t fectl = reg_read32(v, VTD_REG_FECTL);

    if (failed(v))
        return -1;
    if (gsts & VTD_GSTS_TES)
        return qts_fail(v->qts, "vtd: translation already on at start "
                        "(GSTS 0x%08" PRIx32 ")", gsts);
    /*
     * An unmasked fault event would be an MSI write to FEADDR, which is 0
     * after reset: RAM.  Keep it masked; faults are polled.
     */
    if (!(fectl & FECTL_IM))
        return reg_write32(v, VTD_REG_FECTL, FECTL_IM);
    return 0;
}

/* --- table pages --------------------------------------------------------- */

static int page_take(struct vtd *v)
{
    struct vtd_page *p;
    int idx;

    if (failed(v))
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

/* --- construction -------------------------------------------------------- */

struct vtd *vtd_new(struct qts *q, uint64_t base, uint64_t table_base,
                    uint64_t table_size)
{
    struct vtd *v;
    unsigned int i;

    if (qts_error(q))
        return NULL;
    if (table_base % VTD_PAGE || table_size % VTD_PAGE || table_base == 0
        || table_size < 3 * VTD_PAGE || table_size > (1ULL << 30)) {
        qts_fail(q, "vtd: table region 0x%" PRIx64 "+0x%" PRIx64
                 " must be page-aligned, at least 3 pages, at most 1 GiB",
                 table_base, table_size);
        return NULL;
    }
    v = calloc(1, sizeof(*v));
    if (v != NULL)
        v->page = calloc(table_size / VTD_PAGE, sizeof(*v->page));
    if (v == NULL || v->page == NULL) {
        free(v);
        qts_fail(q, "vtd: out of memory");
        return NULL;
    }
    v->qts = q;
    v->base = base;
    v->table_base = table_base;
    v->max_pages = (unsigned int)(table_size / VTD_PAGE);
    for (i = 0; i < 256; i++) {
        v->ctx_page[i] = -1;
        memset(v->ctx_domain[i], 0xff, sizeof(v->ctx_domain[i]));
    }

    v->cap = reg_read64(v, VTD_REG_CAP);
    v->ecap = reg_read64(v, VTD_REG_ECAP);
    if (failed(v) || check_caps(v) || check_initial_state(v)
        || page_take(v) != 0) {
        vtd_free(v);
        return NULL;
    }
    return v;
}

void vtd_free(struct vtd *v)
{
    unsigned int i;

    if (v == NULL)
        return;
    for (i = 0; i < v->nr_pages; i++)
        free(v->page[i]);
    free(v->page);
    free(v);
}

uint64_t vtd_cap(const struct vtd *v)
{
    return v->cap;
}

uint64_t vtd_ecap(const struct vtd *v)
{
    return v->ecap;
}

unsigned int vtd_nr_fault_records(const struct vtd *v)
{
    return v->nfr;
}

uint64_t vtd_root_table(const struct vtd *v)
{
    return v->table_base;
}

uint64_t vtd_table_bytes(const struct vtd *v)
{
    return (uint64_t)v->nr_pages * VTD_PAGE;
}

/* Changes to tables the unit may have cached need a flush. */
static int after_change(struct vtd *v)
{
    if (failed(v))
        return -1;
    if (!v->live)
        return 0;
    if (flush_write_buffer(v))
        return -1;
    return vtd_invalidate_all(v);
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

    if (failed(v))
        return -1;
    if (did == 0 || (nd_bits < 16 && did >= (1u << nd_bits)))
        return qts_fail(v->qts, "vtd: domain id %u out of range 1..%u", did,
                        nd_bits < 16 ? (1u << nd_bits) - 1 : 0xffffu);
    for (i = 0; i < v->nr_domains; i++)
        if (v->domain[i].did == did)
            return qts_fail(v->qts, "vtd: domain id %u used twice", did);
    if (v->nr_domains == VTD_MAX_DOMAINS)
        return qts_fail(v->qts, "vtd: more than %d domains", VTD_MAX_DOMAINS);
    top = page_take(v);
    if (top < 0)
        return -1;
    v->domain[v->nr_domains].did = did;
    v->domain[v->nr_domains].top = top;
    return (int)v->nr_domains++;
}

static unsigned int level_index(uint64_t iova, unsigned int level)
{
    return (iova >> (PAGE_SHIFT + LEVEL_BITS * (level - 1)))
           & (ENTRIES_PER_TABLE - 1);
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
            next = page_take(v);
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
    if (failed(v))
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
    return after_change(v);
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
    return after_change(v);
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
    pg = page_take(v);
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

    if (failed(v))
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
    return after_change(v);
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

/* --- translation on and off ---------------------------------------------- */

int vtd_enable(struct vtd *v)
{
    if (failed(v))
        return -1;
    if (flush_write_buffer(v))
        return -1;
    if (reg_write64(v, VTD_REG_RTADDR, v->table_base))
        return -1;
    if (gcmd(v, GCMD_SRTP, true, VTD_GSTS_RTPS, true, "root pointer"))
        return -1;
    v->live = true;
    if (vtd_invalidate_all(v))
        return -1;
    return gcmd(v, GCMD_TE, true, VTD_GSTS_TES, true, "translation on");
}

int vtd_disable_translation(struct vtd *v)
{
    if (failed(v))
        return -1;
    return gcmd(v, GCMD_TE, false, VTD_GSTS_TES, false, "translation off");
}

int vtd_crash_shutdown(struct vtd *v)
{
    uint32_t gsts;

    if (failed(v))
        return -1;
    if (v->live && (flush_write_buffer(v) || vtd_invalidate_all(v)))
        return -1;
    if (vtd_disable_translation(v))
        return -1;
    gsts = reg_read32(v, VTD_REG_GSTS);
    if ((gsts & VTD_GSTS_IRES)
        && gcmd(v, GCMD_IRE, false, VTD_GSTS_IRES, false, "intremap off"))
        return -1;
    if ((gsts & VTD_GSTS_QIES)
        && gcmd(v, GCMD_QIE, false, VTD_GSTS_QIES, false, "qinval off"))
        return -1;
    return failed(v) ? -1 : 0;
}

/* --- faults --------------------------------------------------------------- */

int vtd_faults_collect(struct vtd *v, struct vtd_fault *out,
                       unsigned int max, bool *overflow)
{
    unsigned int i, found = 0;
    uint32_t fsts;

    if (overflow != NULL)
        *overflow = false;
    if (failed(v))
        return -1;
    fsts = reg_read32(v, VTD_REG_FSTS);
    for (i = 0; i < v->nfr; i++) {
        unsigned int rec = v->fro + 16 * i;
        uint64_t hi = reg_read64(v, rec + 8);

        if (!(hi & FRCD_F))
            continue;
        if (found < max) {
            struct vtd_fault *f = &out[found];

            f->source_id = FRCD_SID(hi);
            f->reason = FRCD_FR(hi);
            f->is_read = hi & FRCD_T;
            f->addr = reg_read64(v, rec) & ~(VTD_PAGE - 1);
        }
        found++;
        if (reg_write32(v, rec + 12, FRCD_F_DWORD))
            return -1;
    }
    if (fsts & VTD_FSTS_PFO) {
        if (overflow != NULL)
            *overflow = true;
        if (reg_write32(v, VTD_REG_FSTS, VTD_FSTS_PFO))
            return -1;
    }
    return failed(v) ? -1 : (int)found;
}

const char *vtd_fault_reason_name(uint8_t reason)
{
    static const char *const name[] = {
        [0x0] = "reserved",
        [0x1] = "root entry not present",
        [0x2] = "context entry not present",
        [0x3] = "invalid context entry",
        [0x4] = "address beyond MGAW",
        [0x5] = "write not permitted",
        [0x6] = "read not permitted",
        [0x7] = "paging entry not accessible",
        [0x8] = "root table not accessible",
        [0x9] = "context table not accessible",
        [0xa] = "reserved bits in root entry",
        [0xb] = "reserved bits in context entry",
        [0xc] = "reserved bits in paging entry",
    };

    if (reason < sizeof(name) / sizeof(name[0]))
        return name[reason];
    return "other";
}

char *vtd_fault_format(const struct vtd_fault *f, char *buf, size_t len)
{
    snprintf(buf, len, "%s of IOVA 0x%" PRIx64 " by %02x:%02x.%x: "
             "reason 0x%02x (%s)", f->is_read ? "read" : "write", f->addr,
             f->source_id >> 8, (f->source_id >> 3) & 0x1f,
             f->source_id & 0x7, f->reason,
             vtd_fault_reason_name(f->reason));
    return buf;
}

/* --- the simulator's IOMMU rig ---------------------------------------------- */

struct vtd_rig {
    struct qts *qts;
    struct vtd *v;
    int dom;
    struct galloc *g;
    uint64_t tables;

    unsigned int nr_windows;
    struct vtd_window window[VTD_RIG_WINDOWS];
    uint64_t window_next[VTD_RIG_WINDOWS];  /* first free IOVA */

    unsigned int preferred;                 /* window of the current device */
    int owner;                              /* engine index of that device */

    unsigned int nr_blocks;
    struct vtd_block block[VTD_RIG_MAX_BLOCKS];

    unsigned long nr_faults;
    bool fault_overflow;
    struct vtd_fault fault[VTD_RIG_MAX_FAULTS];
};

static struct vtd_rig *dma_view;

static int check_windows(struct qts *q, const struct vtd_window *win,
                         unsigned int nwin)
{
    unsigned int i;

    if (nwin == 0 || nwin > VTD_RIG_WINDOWS)
        return qts_fail(q, "vtd: %u IOVA windows (1..%d)", nwin,
                        VTD_RIG_WINDOWS);
    for (i = 0; i < nwin; i++)
        if (win[i].start % VTD_PAGE || win[i].end % VTD_PAGE ||
            win[i].start == 0 || win[i].start >= win[i].end ||
            win[i].end > (1ULL << VTD_IOVA_BITS))
            return qts_fail(q, "vtd: bad IOVA window %s 0x%" PRIx64
                            "..0x%" PRIx64, win[i].name, win[i].start,
                            win[i].end);
    return 0;
}

struct vtd_rig *vtd_rig_new(struct qts *q, const struct qpci_bus *bus,
                            struct galloc *g, const struct vtd_window *win,
                            unsigned int nwin)
{
    uint64_t len = VTD_RIG_TABLE_PAGES * VTD_PAGE;
    struct vtd_rig *r;
    unsigned int i;

    if (qts_error(q) || check_windows(q, win, nwin))
        return NULL;
    r = calloc(1, sizeof(*r));
    if (!r) {
        qts_fail(q, "vtd: out of memory");
        return NULL;
    }
    r->qts = q;
    r->g = g;
    r->owner = -1;
    r->nr_windows = nwin;
    for (i = 0; i < nwin; i++) {
        r->window[i] = win[i];
        r->window_next[i] = win[i].start;
    }
    r->tables = galloc_alloc(g, len, VTD_PAGE, "vtd tables");
    if (!r->tables) {
        qts_fail(q, "vtd: guest memory for the tables: %s", galloc_error(g));
        free(r);
        return NULL;
    }
    r->v = vtd_new(q, VTD_BASE, r->tables, len);
    if (r->v)
        r->dom = vtd_domain_new(r->v, 1);
    if (!r->v || r->dom < 0 || vtd_attach_all(r->v, bus, r->dom) ||
        vtd_enable(r->v)) {
        vtd_rig_free(r);
        return NULL;
    }
    dma_view = r;
    return r;
}

void vtd_rig_free(struct vtd_rig *r)
{
    if (!r)
        return;
    if (dma_view == r)
        dma_view = NULL;
    vtd_free(r->v);
    free(r);
}

struct vtd *vtd_rig_unit(struct vtd_rig *r)
{
    return r->v;
}

uint64_t vtd_rig_tables(const struct vtd_rig *r, uint64_t *len)
{
    if (len)
        *len = VTD_RIG_TABLE_PAGES * VTD_PAGE;
    return r->tables;
}

void vtd_rig_device(struct vtd_rig *r, const int *devs, unsigned int n,
                    int func, int owner)
{
    unsigned int i, rank = 0;

    for (i = 0; i < n; i++)
        if (devs[i] < func)
            rank++;
    r->preferred = r->nr_windows > 1 ? rank % 2 : 0;
    r->owner = owner;
}

/* Take len bytes of IOVA in window w, or return 0. */
static uint64_t window_take(struct vtd_rig *r, unsigned int w, uint64_t len)
{
    uint64_t at = r->window_next[w];

    if (len > r->window[w].end - at)
        return 0;
    r->window_next[w] = at + len;
    return at;
}

/* A new block for the galloc region holding phys, mapped; NULL on error. */
static const struct vtd_block *block_new(struct vtd_rig *r, uint64_t phys)
{
    const struct galloc_region *reg = galloc_lookup(r->g, phys);
    struct vtd_block *b;
    unsigned int k, w = 0;
    uint64_t iova = 0;

    if (!reg) {
        qts_fail(r->qts, "vtd: a device address was asked for 0x%" PRIx64
                 ", outside every allocation", phys);
        return NULL;
    }
    if (r->nr_blocks == VTD_RIG_MAX_BLOCKS) {
        qts_fail(r->qts, "vtd: more than %d IOVA blocks", VTD_RIG_MAX_BLOCKS);
        return NULL;
    }
    /* The preferred window, then every window in order. */
    for (k = 0; k <= r->nr_windows && !iova; k++) {
        w = k == 0 ? r->preferred : k - 1;
        iova = window_take(r, w, reg->size);
    }
    if (!iova) {
        qts_fail(r->qts, "vtd: IOVA windows full (%s: %" PRIu64 " bytes)",
                 reg->name, reg->size);
        return NULL;
    }
    if (vtd_map(r->v, r->dom, iova, reg->addr, reg->size, VTD_PERM_RW))
        return NULL;
    b = &r->block[r->nr_blocks++];
    snprintf(b->name, sizeof(b->name), "%s", reg->name);
    b->phys = reg->addr;
    b->iova = iova;
    b->len = reg->size;
    b->owner = r->owner;
    b->window = w;
    return b;
}

uint64_t vtd_dma_addr(uint64_t phys)
{
    struct vtd_rig *r = dma_view;
    const struct vtd_block *b = NULL;
    unsigned int i;

    if (!r || qts_error(r->qts))
        return phys;
    for (i = 0; i < r->nr_blocks && !b; i++)
        if (phys >= r->block[i].phys &&
            phys - r->block[i].phys < r->block[i].len)
            b = &r->block[i];
    if (!b)
        b = block_new(r, phys);
    return b ? b->iova + (phys - b->phys) : phys;
}

void vtd_rig_device_end(struct vtd_rig *r)
{
    unsigned int i;

    for (i = 0; i < galloc_count(r->g) && !qts_error(r->qts); i++) {
        const struct galloc_region *reg = galloc_region_at(r->g, i);

        if (!reg->fixed && reg->addr != r->tables)
            (void)vtd_dma_addr(reg->addr);
    }
}

const struct vtd_block *vtd_rig_block_at(const struct vtd_rig *r,
                                         uint64_t iova)
{
    unsigned int i;

    for (i = 0; i < r->nr_blocks; i++)
        if (iova >= r->block[i].iova && iova - r->block[i].iova < r->block[i].len)
            return &r->block[i];
    return NULL;
}

unsigned int vtd_rig_nr_blocks(const struct vtd_rig *r)
{
    return r->nr_blocks;
}

const struct vtd_block *vtd_rig_block(const struct vtd_rig *r, unsigned int i)
{
    return i < r->nr_blocks ? &r->block[i] : NULL;
}

const struct vtd_window *vtd_rig_window(const struct vtd_rig *r,
                                        unsigned int i)
{
    return i < r->nr_windows ? &r->window[i] : NULL;
}

int vtd_rig_crash(struct vtd_rig *r)
{
    return vtd_crash_shutdown(r->v);
}

int vtd_rig_poll_faults(struct vtd_rig *r)
{
    struct vtd_fault f[8];
    bool overflow;
    int n, i;

    n = vtd_faults_collect(r->v, f, 8, &overflow);
    if (n < 0)
        return -1;
    for (i = 0; i < n && i < 8; i++) {
        if (r->nr_faults < VTD_RIG_MAX_FAULTS)
            r->fault[r->nr_faults] = f[i];
        r->nr_faults++;
    }
    r->fault_overflow |= overflow;
    return n;
}

void vtd_rig_clear_faults(struct vtd_rig *r)
{
    r->nr_faults = 0;
    r->fault_overflow = false;
}

unsigned long vtd_rig_nr_faults(const struct vtd_rig *r)
{
    return r->nr_faults;
}

bool vtd_rig_fault_overflow(const struct vtd_rig *r)
{
    return r->fault_overflow;
}

const struct vtd_fault *vtd_rig_fault(const struct vtd_rig *r,
                                      unsigned int i)
{
    return i < r->nr_faults && i < VTD_RIG_MAX_FAULTS ? &r->fault[i] : NULL;
}

int vtd_rig_map_identity(struct vtd_rig *r, uint64_t phys, uint64_t len)
{
    unsigned int w;

    for (w = 0; w < r->nr_windows; w++)
        if (phys < r->window[w].end && r->window[w].start < phys + len)
            return qts_fail(r->qts, "vtd: identity map 0x%" PRIx64
                            " overlaps IOVA window %s", phys,
                            r->window[w].name);
    return vtd_map(r->v, r->dom, phys, phys, len, VTD_PERM_RW);
}

int vtd_rig_unmap_page(struct vtd_rig *r, uint64_t iova)
{
    return vtd_unmap(r->v, r->dom, iova & ~(VTD_PAGE - 1), VTD_PAGE);
}
