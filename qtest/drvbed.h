/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * drvbed: what the driver-level suites (test_*_driver.c for NVMe, virtio,
 * igb, xHCI) share: one QEMU per test with the bus enumerated and
 * assigned and guest memory for the drivers, the Bus Master disconnect
 * (COMMAND & ~MASTER | INTX_DISABLE, the core's default), bounded waits,
 * and a skip with a reason when the QEMU under test lacks a device model.
 *
 * The QEMU under test is $PCIDC_QEMU (qts.h); every message names its
 * version.  Each test leaves no QEMU behind (drvbed_teardown).
 */
#ifndef QTEST_DRVBED_H
#define QTEST_DRVBED_H

#include <stdbool.h>
#include <stdint.h>

#include "pci/galloc.h"
#include "pci/qpci.h"
#include "qemu/qts.h"

#define DRVBED_GUEST_BASE   UINT64_C(0x01000000)    /* 16 MiB */
#define DRVBED_GUEST_END    UINT64_C(0x0e000000)    /* 224 MiB of -m 256M */
#define DRVBED_MAX_ARGS     32

struct drvbed {
    struct qts *q;
    struct qpci_bus bus;
    struct galloc *g;
    char version[160];          /* "7.2.22", "10.0.2" */
    unsigned int major, minor;
};

/* A bed whose QEMU is not started yet (the version is known). */
struct drvbed *drvbed_new(void);
/* Start QEMU with extra (NULL-terminated), enumerate, assign, galloc. */
void drvbed_start(struct drvbed *b, const char *const *extra);
/* Fail the test with the sticky error, if any. */
void drvbed_check(struct drvbed *b);
/* Index of the nth function with vendor:device; fails the test if none. */
int drvbed_find(struct drvbed *b, uint16_t vendor, uint16_t device,
                unsigned int nth);
/*
 * The crash path's write: COMMAND = (COMMAND & ~MASTER) | INTX_DISABLE,
 * checked by reading it back.  Returns the value written.
 */
uint16_t drvbed_disconnect(struct drvbed *b, uint32_t sbdf);
/* Skip the test (with a line saying why) unless QEMU has -device type. */
void drvbed_require(struct drvbed *b, const char *type, const char *needs);
/* Stop QEMU and free the bed; NULL is fine. */
void drvbed_free(struct drvbed *b);

#endif /* QTEST_DRVBED_H */
