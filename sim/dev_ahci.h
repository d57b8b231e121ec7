/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dev_ahci: a minimal driver for QEMU's ICH9 AHCI playing the crashed
 * system's disk controller.
 *
 * One disk on port 0, an image generated at run time in the run's
 * temporary directory (every sector distinct, derived from --seed), attached
 * with "-drive ...,throttling.bps-total=N" so that each read stays pending
 * in QEMU's throttle queue for a while (DESIGN.md: AHCI maps the guest
 * buffers when a request starts and completes it later even with Bus
 * Master clear).  All AHCI_SLOTS command slots are issued at once with
 * READ DMA EXT, each into its own buffer; QEMU runs them one after another.
 *
 * Progress is read from guest memory: the command header's PRDBC is set to
 * a sentinel when the command is issued; QEMU writes 0 there when the
 * command starts and the byte count when it completes.  Those writes go
 * through the mapping made when the engine was started, so they are seen
 * even after a disconnect.  The engine uses "started before the disconnect
 * write" to separate in-flight bytes from new DMA.
 */
#ifndef SIM_DEV_AHCI_H
#define SIM_DEV_AHCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "galloc.h"
#include "qpci.h"
#include "qts.h"

#define AHCI_SLOTS          32
#define AHCI_CMD_BYTES      (64 * 1024)         /* per READ DMA EXT */
#define AHCI_THROTTLE_BPS   (512 * 1024)        /* -drive throttling */
#define AHCI_DISK_BYTES     ((uint64_t)AHCI_SLOTS * AHCI_CMD_BYTES)
#define AHCI_PRDBC_SENTINEL 0xffffffffu

enum ahci_slot_state {
    AHCI_SLOT_IDLE,         /* not issued */
    AHCI_SLOT_ISSUED,       /* PRDBC still the sentinel */
    AHCI_SLOT_STARTED,      /* PRDBC 0: buffers mapped, data pending */
    AHCI_SLOT_DONE,         /* PRDBC = length */
};

struct ahci_dev {
    struct qts *qts;
    struct qpci_bus *bus;
    int func;
    uint32_t sbdf;
    unsigned int index;         /* ahci_0, ... (drive d<index>) */
    uint64_t abar;              /* BAR5 */
    uint64_t seed;

    uint64_t cmd_list;          /* 32 headers x 32 bytes */
    uint64_t fis;               /* 256 bytes received-FIS area */
    uint64_t tables;            /* AHCI_SLOTS x 256 bytes */
    uint64_t data;              /* AHCI_SLOTS x AHCI_CMD_BYTES */

    enum ahci_slot_state slot[AHCI_SLOTS];
    uint32_t prdbc[AHCI_SLOTS];     /* last value read */

    /* Progress (cumulative). */
    unsigned int started;
    unsigned int completed;
    uint64_t bytes;             /* PRDBC sum of completed commands */
    unsigned long msi;          /* MSI words seen (MSI mode only) */
};

/*
 * Write the disk image for AHCI number index into the run's temporary
 * directory and fill the "-drive" and "-device ide-hd" values for port 0
 * on bus ahci_bus (spec_node.ahci_bus).  Returns 0, or -1 with a sticky
 * error on q.
 */
int ahci_qemu_args(struct qts *q, unsigned int index, uint64_t seed,
                   const char *ahci_bus, char *drive, size_t drive_len,
                   char *device, size_t device_len);

/*
 * After qpci_assign(): allocate the command list, FIS area, tables and
 * buffers, enable MEM|MASTER, GHC.AE|IE, start port 0 (FRE then ST) and
 * check that a disk is present.  Returns 0 or -1.
 */
int ahci_setup(struct ahci_dev *d, struct qts *q, struct qpci_bus *bus,
               int func, unsigned int index, uint64_t seed, struct galloc *g);

/* Build every slot's command and issue them all (PxCI).  Returns 0 or -1. */
int ahci_issue_all(struct ahci_dev *d);

/* Clear PxIS and IS: the harness as a live driver acknowledging. */
void ahci_ack(struct ahci_dev *d);

/* Read the command headers, update slot states and counters. */
int ahci_sample(struct ahci_dev *d);

/* Byte range in guest memory of a slot's data buffer / command header. */
uint64_t ahci_slot_data(const struct ahci_dev *d, unsigned int slot);
uint64_t ahci_slot_header(const struct ahci_dev *d, unsigned int slot);

/* Expected bytes of the disk at byte offset pos (harness-side copy). */
void ahci_disk_bytes(uint64_t seed, unsigned int index, uint64_t pos,
                     uint8_t *buf, size_t len);

#endif /* SIM_DEV_AHCI_H */
