/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ahci: a minimal driver for QEMU's ICH9 AHCI playing the crashed
 * system's disk controller.
 *
 * One disk on port 0, an image generated at run time in the run's
 * temporary directory (every sector distinct, derived from --seed), attached
 * with "-drive ...,throttling.bps-total=N" so that each read stays pending
 * in QEMU's throttle queue for a while (QEMU's AHCI maps the guest
 * buffers when a request starts and completes it later even with Bus
 * Master clear).  All AHCI_SLOTS command slots are issued at once with
 * READ DMA EXT, each into its own buffer; QEMU runs them one after another
 * (lowest pending slot first).  Like a live driver, the harness re-issues
 * completed slots until the crash (ahci_issue_slots), so that the crash
 * finds the whole queue pending; each command reads the next AHCI_CMD_BYTES
 * of the disk (wrapping), so a re-issued slot gets other data.  After the
 * crash no CPU issues commands: the queue only drains.
 *
 * Progress is read from guest memory: the command header's PRDBC is set to
 * a sentinel when the command is issued; QEMU writes 0 there when the
 * command starts and the byte count when it completes.  Those writes go
 * through the mapping made when the engine was started, so they are seen
 * even after a disconnect.  The engine uses "started before the disconnect
 * write" to separate in-flight bytes from new DMA.
 *
 * MSI: ICH9 AHCI has a 64-bit MSI capability (0x80 in QEMU 7.2, found
 * through the capability list).  ahci_msi_enable() programs it with a
 * plain RAM address, so QEMU delivers each MSI as a 4-byte memory write of
 * the data value there, through the device's bus-master address space:
 * with Bus Master clear the write is dropped, and QEMU keeps no pending
 * state (no per-vector mask), so nothing is replayed later.  With MSI on,
 * AHCI raises no INTx.  ahci_msi_poll() reads the word and clears it: MSIs
 * that land between two polls count once, and one landing between the
 * read and the clear (one qtest round trip) is missed, so the count is a
 * lower bound.
 */
#ifndef SIM_DEV_AHCI_H
#define SIM_DEV_AHCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dma.h"
#include "pci/galloc.h"
#include "pci/qpci.h"
#include "qemu/qts.h"

#define AHCI_SLOTS          32
#define AHCI_CMD_BYTES      (64 * 1024)         /* per READ DMA EXT */
#define AHCI_THROTTLE_BPS   (512 * 1024)        /* -drive throttling, max */
#define AHCI_QUEUE_BYTES    ((uint64_t)AHCI_SLOTS * AHCI_CMD_BYTES)
#define AHCI_DISK_CHUNKS    (2 * AHCI_SLOTS)    /* commands before wrapping */
#define AHCI_DISK_BYTES     ((uint64_t)AHCI_DISK_CHUNKS * AHCI_CMD_BYTES)
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
    struct dma_hook dma;        /* device addresses of the buffers */

    uint64_t cmd_list;          /* 32 headers x 32 bytes */
    uint64_t fis;               /* 256 bytes received-FIS area */
    uint64_t tables;            /* AHCI_SLOTS x 256 bytes */
    uint64_t data;              /* AHCI_SLOTS x AHCI_CMD_BYTES */

    enum ahci_slot_state slot[AHCI_SLOTS];
    uint32_t prdbc[AHCI_SLOTS];     /* last value read */
    unsigned int next_chunk;        /* disk chunk the next command reads */
    unsigned long issued;           /* commands issued so far */

    /* Progress (cumulative). */
    unsigned int started;
    unsigned int completed;
    uint64_t bytes;             /* PRDBC sum of completed commands */

    /* MSI (ahci_msi_enable). */
    bool msi_on;
    uint64_t msi_word;          /* guest-physical RAM word */
    uint32_t msi_data;
    unsigned long msi;          /* polls that found the word written */
};

/*
 * Write the disk image for AHCI number index into the run's temporary
 * directory and fill the "-drive" (throttled to throttle_bps bytes per
 * second) and "-device ide-hd" values for port 0 on bus ahci_bus
 * (spec_node.ahci_bus).  Returns 0, or -1 with a sticky error on q.
 */
int ahci_qemu_args(struct qts *q, unsigned int index, uint64_t seed,
                   const char *ahci_bus, unsigned int throttle_bps,
                   char *drive, size_t drive_len,
                   char *device, size_t device_len);

/*
 * The throttle that keeps a full queue (AHCI_QUEUE_BYTES) busy for at
 * least busy_ms: AHCI_THROTTLE_BPS or less, a multiple of 4096.
 */
unsigned int ahci_throttle_for(unsigned int busy_ms);

/*
 * After qpci_assign(): allocate the command list, FIS area, tables and
 * buffers, enable MEM|MASTER, GHC.AE|IE, start port 0 (FRE then ST) and
 * check that a disk is present.  Every address the controller is given,
 * now and in later commands, is dma's answer for the buffer (dma NULL: the
 * physical address; the hook is copied).  Returns 0 or -1.
 */
int ahci_setup(struct ahci_dev *d, struct qts *q, struct qpci_bus *bus,
               int func, unsigned int index, uint64_t seed, struct galloc *g,
               const struct dma_hook *dma);

/* Build every slot's command and issue them all (PxCI).  Returns 0 or -1. */
int ahci_issue_all(struct ahci_dev *d);

/*
 * Build the commands of the slots in mask (each reading the next disk
 * chunk) and issue them with one PxCI write.  Returns 0 or -1.
 */
int ahci_issue_slots(struct ahci_dev *d, uint32_t mask);

/*
 * Slots that completed (as last sampled) and whose PxCI bit reads clear:
 * ready to be issued again.  Reads PxCI (memory decode must be on).
 */
uint32_t ahci_done_slots(struct ahci_dev *d);

/* Slots issued and not completed (as last sampled). */
unsigned int ahci_queued(const struct ahci_dev *d);

/* Clear PxIS and IS: the harness as a live driver acknowledging. */
void ahci_ack(struct ahci_dev *d);

/*
 * Enable MSI with address addr (what the device is given: the IOVA of
 * word, or word itself) and data; word (guest-physical) is zeroed first
 * and is where ahci_msi_poll() looks.  Call after the INTx pin has been
 * learnt: from now on AHCI signals by MSI only.  Returns 0 or -1.
 */
int ahci_msi_enable(struct ahci_dev *d, uint64_t word, uint64_t addr,
                    uint16_t data);

/*
 * Read the MSI word; if the device wrote its data there, clear it and count
 * one MSI.  Returns 1 (an MSI seen), 0 (none), or -1 (qts error, or the
 * word holds something that is neither 0 nor the data).
 */
int ahci_msi_poll(struct ahci_dev *d);

/* Read the command headers, update slot states and counters. */
int ahci_sample(struct ahci_dev *d);

/* Byte range in guest memory of a slot's data buffer / command header. */
uint64_t ahci_slot_data(const struct ahci_dev *d, unsigned int slot);
uint64_t ahci_slot_header(const struct ahci_dev *d, unsigned int slot);

/* Expected bytes of the disk at byte offset pos (harness-side copy). */
void ahci_disk_bytes(uint64_t seed, unsigned int index, uint64_t pos,
                     uint8_t *buf, size_t len);

#endif /* SIM_DEV_AHCI_H */
