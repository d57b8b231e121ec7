/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma: how a driver learns the address a device must be given for a
 * guest-physical buffer.  Without an IOMMU that is the physical address;
 * behind one it is an IOVA that whoever owns the IOMMU chose and mapped.
 * The owner hands each driver a struct dma_hook at set-up; the driver
 * keeps its own copy and asks it for every address it programs (rings,
 * buffers, command tables), never a global.
 */
#ifndef SIM_DEV_DMA_H
#define SIM_DEV_DMA_H

#include <stdint.h>

struct dma_hook {
    /* The device address of guest-physical phys; NULL: phys itself. */
    uint64_t (*bus_addr)(void *ctx, uint64_t phys);
    void *ctx;
};

/* The address to program for phys; hook may be NULL. */
static inline uint64_t dma_bus_addr(const struct dma_hook *hook, uint64_t phys)
{
    if (!hook || !hook->bus_addr)
        return phys;
    return hook->bus_addr(hook->ctx, phys);
}

#endif /* SIM_DEV_DMA_H */
