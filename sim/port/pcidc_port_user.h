/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The simulator's port: pcidc_port_*() over the qpci bus of a QEMU driven
 * through qtest (sim/pci/qpci.h).  The simulator links the same core
 * (src/crash.c, src/plan.c) as Xen; this file set is what differs.
 *
 * One bus is "current" at a time (a plain global: the engine runs one
 * crash path at a time per process).  With no current bus, or after the
 * qts instance has a sticky error, config reads return all ones and
 * writes are dropped (and still counted); check qts_error() afterwards.
 *
 * Every config read and write made through the port is counted.  A write
 * hook, if set, runs after each pcidc_port_conf_write16() has reached
 * QEMU (its reply received), so the engine can sample device DMA progress
 * between the crash path's writes (writes_until_quiesced).  The policies
 * that are not the core (e.g. linux-kexec's read-modify-write) should call
 * pcidc_port_conf_read32()/pcidc_port_conf_write16() themselves, so that
 * their accesses are counted and hooked the same way.
 */
#ifndef PCIDC_PORT_USER_H
#define PCIDC_PORT_USER_H

#include <stdint.h>

#include "pcidc.h"

struct qpci_bus;

struct pcidc_port_user_counts {
    unsigned long conf_reads;       /* pcidc_port_conf_read32() and
                                       pcidc_port_crash_read16() calls */
    unsigned long crash_reads;      /* pcidc_port_crash_read16() calls */
    unsigned long conf_writes;      /* pcidc_port_conf_write16() calls */
    unsigned long test_and_set;
    unsigned long wmb;
};

/*
 * Called after write number nr (1-based since the last counter reset) of
 * value to reg of sbdf.
 */
typedef void (*pcidc_port_user_write_hook)(void *arg, unsigned long nr,
                                           uint32_t sbdf, unsigned int reg,
                                           uint16_t value);

/* Make bus current (NULL: none).  Does not reset the counters. */
void pcidc_port_user_set_bus(struct qpci_bus *bus);
struct qpci_bus *pcidc_port_user_bus(void);

void pcidc_port_user_reset_counts(void);
void pcidc_port_user_get_counts(struct pcidc_port_user_counts *out);

/* Hook for every write (NULL: none). */
void pcidc_port_user_set_write_hook(pcidc_port_user_write_hook hook,
                                    void *arg);

/*
 * Hook run inside pcidc_port_test_and_set(), once the bit is set: on the
 * crash path, after its test-and-set and before it loads the plan pointer
 * (NULL: none).  The engine publishes a plan there (crash_opts.republish).
 */
typedef void (*pcidc_port_user_tas_hook)(void *arg);
void pcidc_port_user_set_tas_hook(pcidc_port_user_tas_hook hook, void *arg);

#endif /* PCIDC_PORT_USER_H */
