/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vtd: driver for QEMU's Intel IOMMU model (-device intel-iommu) over a
 * qts instance, playing the hypervisor's part: legacy-mode root and
 * context tables, 3-level (39-bit) second-level page tables, translation
 * on and off, fault records.
 *
 * Register facts this driver relies on (VT-d spec, checked against QEMU
 * 7.2 under TCG: CAP 0x00d2008c22260206, ECAP 0xf00f4a):
 *
 *   0x08 CAP    SAGAW bit 1 (39-bit, 3-level), MGAW, FRO (fault recording
 *               registers at FRO * 16), NFR + 1 records, ND (domain ids)
 *   0x10 ECAP   IRO (IOTLB registers at IRO * 16: IVA, then IOTLB at +8)
 *   0x18 GCMD   written as GSTS's persistent bits plus the one command
 *   0x1c GSTS   TES bit 31, RTPS bit 30
 *   0x20 RTADDR root table address (legacy format)
 *   0x28 CCMD   context-cache invalidation
 *   0x34 FSTS   PFO bit 0 (write 1 to clear), PPF bit 1
 *   0x38 FECTL  IM bit 31: fault event interrupt masked (kept masked)
 *
 * Tables live in a guest-physical region the caller owns (and may guard):
 * page 0 is the root table, then context tables and page tables are taken
 * page by page, each zeroed in the guest when taken.  The driver keeps a
 * host copy of every table page, so lookups and vtd_translate() cost no
 * qtest round trip.
 *
 * Requester IDs: QEMU 7.2 gives a device behind a conventional PCI bus the
 * requester ID of the bridge that owns the bus (pci-bridge: the bridge's
 * own bus:devfn; a PCIe-to-PCI bridge: its secondary bus with devfn 00.0),
 * and the topmost such bridge wins when they nest (hw/pci/pci.c,
 * pci_device_iommu_address_space).  The bus number is taken from the
 * bridge's registers at the time of each DMA.  vtd_requester_id() computes
 * that from a qpci table; vtd_attach_func() installs context entries for
 * both the function's own ID and that alias, as Xen does for devices
 * behind bridges.
 *
 * Errors follow qts's sticky model: the first problem is recorded with
 * qts_fail() ("vtd: ..."), the function returns -1, and every later call
 * on a failed qts instance returns -1 at once.
 */
#ifndef SIM_DEV_VTD_H
#define SIM_DEV_VTD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qemu/qts.h"

struct qpci_bus;

#define VTD_BASE            0xfed90000ULL   /* q35's DMAR unit */
#define VTD_PAGE            4096ULL
#define VTD_IOVA_BITS       39              /* 3-level second-level tables */
#define VTD_MAX_DOMAINS     16

/* Registers (offsets from the unit's base). */
#define VTD_REG_VER         0x00
#define VTD_REG_CAP         0x08
#define VTD_REG_ECAP        0x10
#define VTD_REG_GCMD        0x18
#define VTD_REG_GSTS        0x1c
#define VTD_REG_RTADDR      0x20
#define VTD_REG_CCMD        0x28
#define VTD_REG_FSTS        0x34
#define VTD_REG_FECTL       0x38

#define VTD_GSTS_TES        (1u << 31)
#define VTD_GSTS_RTPS       (1u << 30)
#define VTD_GSTS_WBFS       (1u << 27)
#define VTD_GSTS_QIES       (1u << 26)
#define VTD_GSTS_IRES       (1u << 25)

#define VTD_FSTS_PFO        (1u << 0)
#define VTD_FSTS_PPF        (1u << 1)

/* vtd_map() permissions: second-level PTE bits. */
#define VTD_PERM_R          0x1
#define VTD_PERM_W          0x2
#define VTD_PERM_RW         (VTD_PERM_R | VTD_PERM_W)

/* vtd_translate() for an IOVA without a mapping. */
#define VTD_NO_MAPPING      (~0ULL)

struct vtd;

struct vtd_fault {
    uint16_t source_id;     /* requester ID: bus << 8 | devfn */
    uint8_t reason;         /* FR field, see vtd_fault_reason_name() */
    bool is_read;           /* T bit: 1 = read request */
    uint64_t addr;          /* faulting page (FI), IOVA */
};

/*
 * Read CAP and ECAP of the unit at base (VTD_BASE) and check what the
 * driver needs: a unit present, 39-bit 3-level second-level tables
 * (SAGAW bit 1, MGAW >= 38), fault recording registers inside the
 * register page, IOTLB registers inside it, translation still off.
 * Table pages come from [table_base, table_base + table_size) (page-aligned,
 * at least 3 pages); the root table is taken and zeroed at once.
 * Returns NULL on a sticky qts error (including those checks) or when out
 * of host memory (then also a sticky error).
 */
struct vtd *vtd_new(struct qts *q, uint64_t base, uint64_t table_base,
                    uint64_t table_size);
/* Free the host side; the unit is left as it is.  NULL is a no-op. */
void vtd_free(struct vtd *v);

uint64_t vtd_cap(const struct vtd *v);
uint64_t vtd_ecap(const struct vtd *v);
/* Number of fault recording registers (CAP.NFR + 1). */
unsigned int vtd_nr_fault_records(const struct vtd *v);
/* Root table address, and table bytes taken so far from the region. */
uint64_t vtd_root_table(const struct vtd *v);
uint64_t vtd_table_bytes(const struct vtd *v);

/*
 * A new domain (an IOVA space with its own page tables) with domain id
 * did (> 0, below the unit's ND limit, unique).  Returns its handle
 * (>= 0) or -1.
 */
int vtd_domain_new(struct vtd *v, uint16_t did);

/*
 * Map [iova, iova + len) to [phys, phys + len) in domain dom, 4 KiB pages;
 * iova, phys and len page-aligned, len > 0, iova + len <= 2^39.
 * Remapping an already mapped page replaces it.  Live tables (translation
 * on) are followed by a global context and IOTLB invalidation.
 */
int vtd_map(struct vtd *v, int dom, uint64_t iova, uint64_t phys,
            uint64_t len, unsigned int perm);

/* Remove the mapping of [iova, iova + len) (page-aligned).  Same rules. */
int vtd_unmap(struct vtd *v, int dom, uint64_t iova, uint64_t len);

/*
 * Physical address iova maps to in dom (walking the host copy), or
 * VTD_NO_MAPPING.  *perm (may be NULL) gets the leaf's VTD_PERM_* bits.
 */
uint64_t vtd_translate(const struct vtd *v, int dom, uint64_t iova,
                       unsigned int *perm);

/* Context entry for requester ID rid (bus << 8 | devfn) -> domain dom. */
int vtd_attach(struct vtd *v, uint16_t rid, int dom);
/* Domain of rid's context entry, or -1 when it has none. */
int vtd_attached(const struct vtd *v, uint16_t rid);

/*
 * Requester ID under which QEMU 7.2's intel-iommu sees DMA from
 * bus->func[idx] (see the aliasing rule above).
 */
uint16_t vtd_requester_id(const struct qpci_bus *bus, int idx);

/* Attach bus->func[idx]'s own requester ID and its alias to dom. */
int vtd_attach_func(struct vtd *v, const struct qpci_bus *bus, int idx,
                    int dom);
/* vtd_attach_func() for every function in the table. */
int vtd_attach_all(struct vtd *v, const struct qpci_bus *bus, int dom);

/* Set the root table pointer (GCMD.SRTP), then translation (GCMD.TE). */
int vtd_enable(struct vtd *v);
/* Clear GCMD.TE and wait for GSTS.TES to follow. */
int vtd_disable_translation(struct vtd *v);

/*
 * What Xen's vtd_crash_shutdown() does per unit: flush everything
 * (write buffer if CAP.RWBF, context cache, IOTLB), translation off,
 * interrupt remapping off, queued invalidation off (each only if on).
 */
int vtd_crash_shutdown(struct vtd *v);

/* Global context-cache and IOTLB invalidation, waiting for completion. */
int vtd_invalidate_all(struct vtd *v);

/* GSTS as read now (0 on a sticky error). */
uint32_t vtd_gsts(struct vtd *v);
/* GSTS.TES as read now. */
bool vtd_translation_on(struct vtd *v);

/*
 * Collect the pending fault records: every record with F set is copied to
 * out[] (up to max; the rest are counted but dropped) and cleared (write 1
 * to F), then FSTS.PFO is cleared if set (*overflow, may be NULL, tells
 * whether it was: faults were lost).  Returns how many records had F set,
 * or -1.
 */
int vtd_faults_collect(struct vtd *v, struct vtd_fault *out,
                       unsigned int max, bool *overflow);

/* Short name of a fault reason code ("write not permitted", ...). */
const char *vtd_fault_reason_name(uint8_t reason);

/* One line describing a fault record into buf; returns buf. */
char *vtd_fault_format(const struct vtd_fault *f, char *buf, size_t len);

#endif /* SIM_DEV_VTD_H */
