/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pci_regs: the one place the simulator, its tests and the real-Xen
 * harness take PCI register names from.  The standard names come from
 * pciutils' <pci/header.h> (Debian's libpci-dev): PCI_COMMAND,
 * PCI_COMMAND_MASTER, PCI_HEADER_TYPE, PCI_SECONDARY_BUS, PCI_CAP_ID_MSI,
 * ...  What is particular to QEMU's q35 machine is defined here.
 *
 * The core (src/) stays freestanding and keeps its own few names.
 */
#ifndef SIM_PCI_PCI_REGS_H
#define SIM_PCI_PCI_REGS_H

#include <stdint.h>

#include <pci/header.h>

/* q35: MMCONFIG (ECAM) window the firmware would program, 256 buses. */
#define Q35_ECAM_BASE       0xb0000000ULL
#define Q35_ECAM_SIZE       0x10000000ULL
/* q35 MCH (00:00.0): PCIEXBAR, 64-bit; bit 0 enables, length bits 2:1. */
#define Q35_MCH_PCIEXBAR    0x60
#define Q35_PCIEXBAR_ENABLE 0x1

/* ECAM address of register reg of function sbdf (bus << 8 | devfn). */
#define PCI_ECAM_ADDR(base, sbdf, reg) \
    ((base) + ((uint64_t)((sbdf) & 0xffff) << 12) + (reg))

#endif /* SIM_PCI_PCI_REGS_H */
