/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommu: the crash engine's IOMMU set-up, as a hypervisor runs it, on top
 * of the VT-d driver (dev/vtd.h): the unit with one domain (every function
 * attached under its own requester ID and its alias, as Xen does for
 * dom0), the table pages in a galloc region, the IOVA layout, and a log of
 * the fault records read.
 *
 * IOVA layout: the engine names guest-physical windows (e.g. "low memory",
 * "kdump reserved", then an overflow window).  The drivers are handed
 * iommu_dma_hook(): the first time an address of a galloc region is asked
 * for, the region gets an IOVA block of its page-rounded size in the
 * current device's preferred window (first fit, else the next windows in
 * order), mapped read/write to the region; later asks return the block's
 * address plus the offset.  Device k in PCI scan order (qpci's table
 * order) prefers window k mod 2: devices alternate between the first two
 * windows.  So, with translation on, a device reaches only its own
 * buffers; with translation off, its next DMA goes to the window's
 * physical memory.
 *
 * Errors follow qts's sticky model (messages start with "vtd: ").
 */
#ifndef SIM_ENGINE_IOMMU_H
#define SIM_ENGINE_IOMMU_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/dma.h"
#include "dev/vtd.h"
#include "pci/galloc.h"
#include "pci/qpci.h"
#include "qemu/qts.h"

#define IOMMU_MAX_WINDOWS   4
#define IOMMU_MAX_BLOCKS    1024
#define IOMMU_MAX_FAULTS    64
#define IOMMU_TABLE_PAGES   128

struct iova_window {
    const char *name;           /* for reports; must outlive the set-up */
    uint64_t start, end;        /* page-aligned, [start, end) */
};

/* One galloc region's IOVA range. */
struct iova_block {
    char name[GALLOC_NAME_LEN]; /* the galloc region's name */
    uint64_t phys;              /* galloc region start */
    uint64_t iova;
    uint64_t len;               /* page-rounded */
    int owner;                  /* engine's device index, -1: none */
    unsigned int window;
};

struct iommu_setup;

/*
 * Take IOMMU_TABLE_PAGES pages from g ("vtd tables"), read and check the
 * unit at VTD_BASE, create domain 1, attach every function of bus (own ID
 * and alias) and enable translation; the IOVA windows are win[0 .. nwin-1]
 * (1 .. IOMMU_MAX_WINDOWS).  Returns NULL with a sticky qts error.
 */
struct iommu_setup *iommu_setup_new(struct qts *q, const struct qpci_bus *bus,
                                    struct galloc *g,
                                    const struct iova_window *win,
                                    unsigned int nwin);
/* Free the host side; the unit is left as it is.  NULL is a no-op. */
void iommu_setup_free(struct iommu_setup *s);

/* GSTS.TES as read now. */
bool iommu_translation_on(struct iommu_setup *s);
/* The galloc region holding the tables. */
uint64_t iommu_tables(const struct iommu_setup *s, uint64_t *len);

/*
 * The next IOVA blocks belong to the device at bus->func[func] (engine's
 * device index owner): its preferred window follows its scan rank among
 * devs[] (the engine's DMA devices, as bus->func[] indices, n of them).
 */
void iommu_device_begin(struct iommu_setup *s, const int *devs,
                        unsigned int n, int func, int owner);

/*
 * After the device's set-up: give an IOVA block (same owner) to every
 * galloc region that has none yet (buffers a driver programs later, e.g.
 * TX buffers), except the table pages and fixed regions (galloc_reserve).
 */
void iommu_device_end(struct iommu_setup *s);

/*
 * The address a device must be given for guest-physical phys (a new block
 * if phys has none yet); phys itself once the qts instance has failed.
 */
uint64_t iommu_bus_addr(struct iommu_setup *s, uint64_t phys);
/* iommu_bus_addr() as the hook every driver is set up with. */
struct dma_hook iommu_dma_hook(struct iommu_setup *s);

/* The block whose IOVA range holds iova, or NULL. */
const struct iova_block *iommu_block_at(const struct iommu_setup *s,
                                        uint64_t iova);
unsigned int iommu_nr_blocks(const struct iommu_setup *s);
const struct iova_block *iommu_block(const struct iommu_setup *s,
                                     unsigned int i);
const struct iova_window *iommu_window(const struct iommu_setup *s,
                                       unsigned int i);

/* Xen's crash shutdown on the unit (translation off). */
int iommu_crash_shutdown(struct iommu_setup *s);

/*
 * Read and clear the fault records, adding them to the log (the first
 * IOMMU_MAX_FAULTS are kept).  Returns the number read, or -1.
 */
int iommu_poll_faults(struct iommu_setup *s);
/* Drop the log (e.g. faults before the crash). */
void iommu_clear_faults(struct iommu_setup *s);
unsigned long iommu_nr_faults(const struct iommu_setup *s);
bool iommu_fault_overflow(const struct iommu_setup *s);
const struct vtd_fault *iommu_fault(const struct iommu_setup *s,
                                    unsigned int i);

/*
 * Map [phys, phys + len) at the same IOVA (page-aligned, outside every
 * window), no owner and no block: for addresses whose meaning must not
 * change when translation goes off, e.g. the RAM words the harness gives
 * MSIs (a real MSI targets 0xfee00000, which VT-d never translates as DMA).
 */
int iommu_map_identity(struct iommu_setup *s, uint64_t phys, uint64_t len);

/*
 * Remove the mapping of the page holding device address iova (a probe:
 * the device's next DMA there faults while translation is on).
 */
int iommu_unmap_page(struct iommu_setup *s, uint64_t iova);

#endif /* SIM_ENGINE_IOMMU_H */
