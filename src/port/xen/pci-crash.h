/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Disconnecting PCI devices on crash (pcidc): what the rest of Xen calls.
 * Kept out of xen/pci.h so that only its few users are rebuilt when
 * CONFIG_PCI_CRASH_DISCONNECT changes.
 */
#ifndef __XEN_PCI_CRASH_H__
#define __XEN_PCI_CRASH_H__

#ifdef CONFIG_PCI_CRASH_DISCONNECT

/* Rebuild the crash-path disconnect plan.  Caller holds pcidevs_lock. */
void pci_crash_plan_update(void);

/*
 * Crash path, once a crash kernel is to run and before the NMI shootdown:
 * a first pass over the plan, through MMCFG only.  Takes no lock.
 */
void pci_crash_disconnect_early(void);

/*
 * Crash path, after the NMI shootdown of the other CPUs: disconnect the
 * planned functions, return how many were written.  Takes no lock.
 */
unsigned int pci_crash_disconnect(void);

#else

static inline void pci_crash_plan_update(void) {}
static inline void pci_crash_disconnect_early(void) {}
static inline unsigned int pci_crash_disconnect(void) { return 0; }

#endif

#endif /* __XEN_PCI_CRASH_H__ */
