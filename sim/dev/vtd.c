/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vtd: the hypervisor's side of QEMU's Intel IOMMU model (see vtd.h):
 * registers, capability checks, the unit's set-up, translation on and off,
 * fault records.  The tables are vtd_tables.c's.
 */
#define _GNU_SOURCE
#include "vtd.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtd_unit.h"

/* CAP fields */
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

/* How often a GSTS / CCMD / IOTLB bit is polled before giving up. */
#define POLL_LIMIT          1000


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

        if (vtd_failed(v))
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

        if (vtd_failed(v))
            return -1;
        if (!(now & busy))
            return 0;
    }
    return qts_fail(v->qts, "vtd: %s invalidation did not complete", what);
}

int vtd_invalidate_all(struct vtd *v)
{
    if (vtd_failed(v))
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
    if (vtd_failed(v))
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

    if (vtd_failed(v))
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
    if (vtd_failed(v) || check_caps(v) || check_initial_state(v)
        || vtd_page_take(v) != 0) {
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

int vtd_after_change(struct vtd *v)
{
    if (vtd_failed(v))
        return -1;
    if (!v->live)
        return 0;
    if (flush_write_buffer(v))
        return -1;
    return vtd_invalidate_all(v);
}

/* --- translation on and off ---------------------------------------------- */

int vtd_enable(struct vtd *v)
{
    if (vtd_failed(v))
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
    if (vtd_failed(v))
        return -1;
    return gcmd(v, GCMD_TE, false, VTD_GSTS_TES, false, "translation off");
}

int vtd_crash_shutdown(struct vtd *v)
{
    uint32_t gsts;

    if (vtd_failed(v))
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
    return vtd_failed(v) ? -1 : 0;
}

/* --- faults -------------------------------------------------------------- */

int vtd_faults_collect(struct vtd *v, struct vtd_fault *out,
                       unsigned int max, bool *overflow)
{
    unsigned int i, found = 0;
    uint32_t fsts;

    if (overflow != NULL)
        *overflow = false;
    if (vtd_failed(v))
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
    return vtd_failed(v) ? -1 : (int)found;
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
