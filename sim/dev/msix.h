/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * msix: MSI-X programmed so that every message lands in guest RAM.
 *
 * Vector v of a function is given the device address of word v of a page
 * the caller owns, and data MSIX_DATA_BASE + v.  QEMU delivers an MSI-X
 * message as a 4-byte memory write through the function's bus-master
 * address space, so with Bus Master clear the write is dropped (and the
 * vector is not left pending: QEMU has no way to know it was dropped).
 * msix_poll() reads every word, counts the ones holding their data and
 * clears them: messages landing between two polls count once, one landing
 * between the read and the clear is missed, so counts are lower bounds.
 * The page is DMA target memory: a guarded-memory comparison must leave it
 * out (msix_page()).
 */
#ifndef SIM_DEV_MSIX_H
#define SIM_DEV_MSIX_H

#include <stdbool.h>
#include <stdint.h>

#include "dma.h"
#include "pci/qpci.h"
#include "qemu/qts.h"

#define MSIX_MAX_VECTORS    16      /* vectors programmed (the rest masked) */
#define MSIX_DATA_BASE      0x4d50u /* data of vector v: base + v */

struct msix {
    struct qts *qts;
    struct qpci_bus *bus;
    uint32_t sbdf;
    unsigned int cap;           /* config offset of the capability */
    unsigned int table_size;    /* vectors the function has */
    unsigned int vectors;       /* vectors programmed: min(size, MAX) */
    uint64_t table;             /* guest address of the table */
    uint64_t page;              /* the words, guest-physical */
    unsigned long count[MSIX_MAX_VECTORS];
    unsigned long total;
};

/*
 * Find the capability of bus->func[func], locate its table through the
 * function's assigned BARs, point every vector at its word in page
 * (guest-physical, one page, zeroed here; the device is given
 * dma_bus_addr(dma, ...) of it), unmask them and enable MSI-X.  Memory
 * decode must be on.  Returns 0, or -1 with a sticky error on q.
 */
int msix_setup(struct msix *m, struct qts *q, struct qpci_bus *bus, int func,
               uint64_t page, const struct dma_hook *dma);

/* Read and clear the words; returns the messages counted now, or -1. */
int msix_poll(struct msix *m);

/* The page the messages land in (one GALLOC_PAGE). */
static inline uint64_t msix_page(const struct msix *m)
{
    return m->page;
}

#endif /* SIM_DEV_MSIX_H */
