/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * qpci: the bus layer over a qts instance.  Config access (ECAM or
 * 0xCF8/0xCFC; qpci.c), enumeration with depth-first bus numbering of
 * bridges and BAR sizing (qpci_enum.c), BAR assignment and bridge windows
 * (qpci_assign.c), and a table of functions.  Register names are
 * pciutils' (pci_regs.h); functions are sbdf values (base/sbdf.h).
 *
 * Guest-physical layout on q35 as qpci leaves it (halt firmware: nothing
 * else programs anything):
 *
 *   0x00000000 .. RAM (-m, below Q35_ECAM_BASE)
 *   0xb0000000 .. 0xbfffffff  ECAM (MCH PCIEXBAR, 256 buses), when enabled
 *   0xc0000000 .. 0xdfffffff  memory BARs and bridge memory windows
 *   0xe0000000 .. 0xfebfffff  left unassigned on purpose: accesses there hit
 *                             nothing (e.g. AHCI PRDT entries to drop data)
 *   0xfec00000 IOAPIC, 0xfed00000 HPET, 0xfed90000 VT-d, 0xfee00000 LAPIC
 *   I/O ports 0x1000 .. 0xffff: I/O BARs and bridge I/O windows
 *
 * Config access: qpci_init() enables ECAM by programming the MCH's
 * PCIEXBAR (00:00.0, Q35_MCH_PCIEXBAR) with QEMU 7.2 q35's default base
 * Q35_ECAM_BASE and 256 MiB, which the halt firmware never does; then
 * every config access is a single qtest MMIO command.  QPCI_CF8 keeps the
 * legacy 0xCF8/0xCFC mechanism instead (two qtest commands per access,
 * registers < 256 only).
 *
 * Errors: qpci functions record their errors in the qts instance (see
 * qts.h, "sticky error") and return -1; check qts_error(bus->qts).
 */
#ifndef SIM_QPCI_H
#define SIM_QPCI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/sbdf.h"
#include "qemu/qts.h"

#define QPCI_MMIO_BASE      0xc0000000ULL
#define QPCI_MMIO_END       0xe0000000ULL     /* exclusive */
#define QPCI_UNASSIGNED     0xe0000000ULL     /* first address nothing decodes */
#define QPCI_IO_BASE        0x1000
#define QPCI_IO_END         0x10000           /* exclusive */

#define QPCI_MAX_FUNCS      512
#define QPCI_NR_BARS        6

/* qpci_init() flags */
#define QPCI_CF8            0x01    /* legacy config mechanism, no ECAM */

struct qpci_bar {
    uint64_t size;          /* 0: BAR not implemented */
    uint64_t addr;          /* assigned address (0 until assigned) */
    bool io;                /* I/O space BAR */
    bool is64;              /* 64-bit memory BAR (takes this and next slot) */
    bool prefetch;
    bool assigned;          /* programmed into the device by qpci */
};

struct qpci_func {
    uint32_t sbdf;
    uint16_t vendor;
    uint16_t device;
    uint32_t class_code;    /* base << 16 | sub << 8 | prog-if */
    uint8_t revision;
    uint8_t header_type;    /* 0 endpoint, 1 PCI-PCI bridge, 2 CardBus */
    bool multifunction;
    bool is_bridge;         /* header type 1 */
    bool pcie;              /* has a PCI Express capability */
    uint8_t pcie_type;      /* PCIe capability's device/port type */
    uint8_t irq_pin;        /* 0x3d: 1..4 = INTA..INTD, 0 none */
    int parent;             /* index of the upstream bridge, -1 on bus 0 */
    unsigned int depth;     /* number of bridges above it */

    /* Bridges (valid when is_bridge). */
    uint8_t secondary;
    uint8_t subordinate;
    uint64_t mem_base, mem_limit;   /* window; limit < base: closed */
    uint32_t io_base, io_limit;     /* window; limit < base: closed */

    struct qpci_bar bar[QPCI_NR_BARS];  /* bridges: bar[0..1] only */

    /* SR-IOV virtual functions (qpci_sriov_enable): its vendor reads all
     * ones, so vendor and device are the PF's vendor and VF Device ID. */
    bool is_vf;
    int pf;                 /* index of its physical function */

    /* Room for VFs reserved by qpci_sriov_reserve(): qpci_assign() places
     * vf_reserve VFs' BARs right after this function's own BARs, inside
     * the windows of the bridges above it. */
    unsigned int vf_reserve;
    struct qpci_bar vf_bar[QPCI_NR_BARS];   /* size per VF; addr: VF 0's */

    /* Free for the layers above: e.g. the SPEC node and keep: flag. */
    bool preserve;          /* becomes PCIDC_FUNC_PRESERVE */
    int user;               /* -1 after enumeration */
};

struct qpci_bus {
    struct qts *qts;
    bool ecam;              /* config through ECAM, else CF8/CFC */
    unsigned int nr;        /* functions in func[] */
    struct qpci_func func[QPCI_MAX_FUNCS];   /* depth-first order */

    /* Allocation cursors (qpci_assign). */
    uint64_t mmio_next;
    uint32_t io_next;

    unsigned long cfg_reads;    /* config accesses made through this bus */
    unsigned long cfg_writes;
};

/*
 * Prepare *bus (any contents) for qts instance q; with ECAM (default)
 * program PCIEXBAR.  No enumeration yet.  Returns 0 or -1.
 */
int qpci_init(struct qpci_bus *bus, struct qts *q, unsigned int flags);

/* Config space.  Reads of absent functions return all ones. */
uint8_t qpci_cfg_read8(struct qpci_bus *bus, uint32_t sbdf, unsigned int reg);
uint16_t qpci_cfg_read16(struct qpci_bus *bus, uint32_t sbdf, unsigned int reg);
uint32_t qpci_cfg_read32(struct qpci_bus *bus, uint32_t sbdf, unsigned int reg);
int qpci_cfg_write8(struct qpci_bus *bus, uint32_t sbdf, unsigned int reg,
                    uint8_t v);
int qpci_cfg_write16(struct qpci_bus *bus, uint32_t sbdf, unsigned int reg,
                     uint16_t v);
int qpci_cfg_write32(struct qpci_bus *bus, uint32_t sbdf, unsigned int reg,
                     uint32_t v);

/*
 * Walk every bus from bus 0, depth first: each bridge found gets the next
 * free bus number as secondary and, once its subtree is numbered, the last
 * one as subordinate.  Fills bus->func[] (bridges before what is behind
 * them) and sizes every BAR (nothing assigned yet).  Returns the number of
 * functions or -1.
 */
int qpci_enumerate(struct qpci_bus *bus);

/*
 * Assign every memory BAR in [QPCI_MMIO_BASE, QPCI_MMIO_END) and every I/O
 * BAR in [QPCI_IO_BASE, QPCI_IO_END), naturally aligned, and open each
 * bridge's memory and I/O windows around its subtree (1 MiB / 4 KiB
 * granules; the prefetchable window is left closed: every memory BAR,
 * prefetchable or not, goes through the non-prefetchable window, which
 * QEMU forwards alike).  Bridges get COMMAND MEM|IO|MASTER so the path to
 * the devices decodes; endpoints are left for qpci_enable().  Memory space
 * running out is an error; I/O space running out is not (the BAR stays
 * unassigned and its window closed).  Returns 0 or -1.
 */
int qpci_assign(struct qpci_bus *bus);

/* OR bits (PCI_COMMAND_IO, _MEMORY, _MASTER, ...) into PCI_COMMAND. */
int qpci_enable(struct qpci_bus *bus, uint32_t sbdf, uint16_t bits);

/* Index in bus->func[] of sbdf, or -1. */
int qpci_find(const struct qpci_bus *bus, uint32_t sbdf);
/* Index of the nth (0-based) function with vendor:device, or -1. */
int qpci_find_id(const struct qpci_bus *bus, uint16_t vendor, uint16_t device,
                 unsigned int nth);
/*
 * Index of the function reached from bus 0 by following devfn[0] (a
 * function on bus 0), devfn[1] (on that bridge's secondary bus), ...,
 * devfn[len - 1]; -1 if absent.  Matches spec_node.path (spec.h).
 */
int qpci_find_path(const struct qpci_bus *bus, const uint8_t *devfn,
                   unsigned int len);

/* Offset of capability id in the standard list, 0 when absent. */
unsigned int qpci_find_cap(struct qpci_bus *bus, uint32_t sbdf, uint8_t id);

/* Assigned address of BAR n of func[idx], 0 if unassigned. */
uint64_t qpci_bar_addr(const struct qpci_bus *bus, int idx, unsigned int n);

/*
 * SR-IOV (qpci_sriov.c), on ECAM only.  The capability of a physical
 * function as read before any VF is enabled.
 */
struct qpci_sriov {
    unsigned int cap;               /* extended capability offset */
    uint16_t total_vfs, initial_vfs;
    uint16_t offset, stride;        /* routing ID of VF n: PF + offset +
                                       n * stride */
    uint16_t vf_device;
    struct qpci_bar vf_bar[QPCI_NR_BARS];   /* size per VF */
};

/*
 * Read func[pf]'s SR-IOV capability and size its VF BARs (VFs disabled).
 * Returns 0, or -1 with a sticky error (no capability, no ECAM).
 */
int qpci_sriov_probe(struct qpci_bus *bus, int pf, struct qpci_sriov *s);

/*
 * Between qpci_enumerate() and qpci_assign(): size func[pf]'s VF BARs and
 * have qpci_assign() reserve room for nr VFs next to the PF's own BARs, so
 * that the windows of the bridges above it cover them.  Returns 0, or -1
 * with a sticky error (no SR-IOV capability -- e.g. behind a conventional
 * PCI bridge, which hides extended config space --, nr above TotalVFs).
 */
int qpci_sriov_reserve(struct qpci_bus *bus, int pf, unsigned int nr);

/*
 * Enable nr VFs of func[pf]: program each VF BAR (VF n's BAR is the base
 * plus n times the size) -- in the room qpci_sriov_reserve() had
 * qpci_assign() keep, or else after every BAR qpci_assign() placed (on
 * bus 0 only that is reachable: no window is widened) --, NumVFs, then VF
 * Enable and VF MSE; append
 * one function per VF to bus->func[] (is_vf, pf, the PF's vendor, the VF
 * Device ID, the VF's BAR addresses, COMMAND untouched).  Returns the
 * index of the first VF (the others follow), or -1 with a sticky error.
 */
int qpci_sriov_enable(struct qpci_bus *bus, int pf, unsigned int nr);

/* The table, one function a line (sbdf, ids, class, buses, BARs). */
void qpci_print(const struct qpci_bus *bus, FILE *out);

#endif /* SIM_QPCI_H */
