/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nvme: a minimal driver for QEMU's NVMe controller (-device nvme, and its
 * SR-IOV virtual functions, nvme_sriov.h) playing the crashed system's
 * NVMe disk.
 *
 * One namespace (nsid 1, 512-byte blocks) backed by an image generated at
 * run time in the run's temporary directory (every sector distinct,
 * derived from the seed), attached with "throttling.bps-total=N" so that
 * reads stay pending in QEMU's block layer for a while.
 *
 * Queues: the admin pair (NVME_ADMIN_LEN entries) and one I/O pair
 * (NVME_QUEUE_LEN entries, I/O CQ on MSI-X vector 1, admin CQ on vector
 * 0; msix.h: every message lands in a RAM word and is counted).  The
 * workload keeps NVME_SLOTS READs of NVME_CMD_BYTES in flight, slot s
 * with command identifier s and its own buffer; each read is 16 pages,
 * given as PRP1 (first page) and PRP2 pointing at the slot's PRP list
 * (the other 15).  Like a live driver the caller re-issues completed
 * slots (nvme_done_slots, nvme_issue_slots), each time reading the next
 * NVME_CMD_BYTES of the disk (wrapping).
 *
 * Progress is read from guest memory only: completion queue entries (the
 * phase tag says which are new).  nvme_ack() moves the CQ head doorbell
 * like a live driver; after a crash nobody calls it.  What lands in a
 * slot's buffer is compared with the disk (nvme_slot_landed): QEMU writes
 * a read's data before its completion entry, and with Bus Master clear the
 * entry may never be written at all.
 */
#ifndef SIM_DEV_NVME_H
#define SIM_DEV_NVME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dma.h"
#include "msix.h"
#include "pci/galloc.h"
#include "pci/qpci.h"
#include "qemu/qts.h"

#define NVME_SLOTS          32                  /* READs kept in flight */
#define NVME_QUEUE_LEN      64                  /* I/O SQ and CQ entries */
#define NVME_ADMIN_LEN      16
#define NVME_PAGE           4096u
#define NVME_CMD_BYTES      (64 * 1024)         /* per READ: 16 pages */
#define NVME_BLOCK          512u
#define NVME_DISK_CHUNKS    (2 * NVME_SLOTS)    /* reads before wrapping */
#define NVME_DISK_BYTES     ((uint64_t)NVME_DISK_CHUNKS * NVME_CMD_BYTES)
#define NVME_THROTTLE_BPS   (512 * 1024)
#define NVME_ADMIN_TIMEOUT_MS 3000

enum nvme_slot_state {
    NVME_SLOT_IDLE,         /* never issued */
    NVME_SLOT_POSTED,       /* in the SQ, doorbell rung, no completion seen */
    NVME_SLOT_DONE,         /* completion entry seen, status success */
    NVME_SLOT_FAILED,       /* completion entry seen, error status */
};

struct nvme_dev {
    struct qts *qts;
    struct qpci_bus *bus;
    int func;
    uint32_t sbdf;
    unsigned int index;         /* nvme_0, ... */
    uint64_t bar0;
    uint64_t seed;
    struct dma_hook dma;

    unsigned int db_stride;     /* bytes between doorbells (4 << DSTRD) */
    uint16_t cntlid;            /* Identify Controller's CNTLID */

    /* Admin pair. */
    uint64_t asq, acq, scratch;         /* scratch: one page for Identify */
    uint16_t asq_tail, acq_head, next_admin_cid;
    bool acq_phase;

    /* I/O pair, PRP lists (one page per slot), buffers. */
    bool io_ready;
    uint64_t iosq, iocq, prp_lists, data;
    uint16_t sq_tail, cq_head;
    bool cq_phase;

    struct msix msix;
    uint64_t msix_words;        /* page of MSI-X words */

    enum nvme_slot_state slot[NVME_SLOTS];
    unsigned int slot_chunk[NVME_SLOTS];    /* disk chunk slot last read */
    unsigned int next_chunk;
    unsigned long issued;

    /* Progress (cumulative). */
    unsigned long completed;    /* success entries */
    unsigned long failed;       /* error entries */
    uint16_t last_error;        /* status field of the last error entry */
    uint64_t bytes;
};

/*
 * Write the disk image for NVMe number index into the run's temporary
 * directory and fill the "-drive" value (throttled to throttle_bps bytes a
 * second) and the "-device" value of a plain controller with that drive
 * as namespace 1.  Returns 0, or -1 with a sticky error on q.
 */
int nvme_qemu_args(struct qts *q, unsigned int index, uint64_t seed,
                   unsigned int throttle_bps, char *drive, size_t drive_len,
                   char *device, size_t device_len);

/* The same image only; its path into path.  Returns 0 or -1. */
int nvme_write_image(struct qts *q, unsigned int index, uint64_t seed,
                     char *path, size_t path_len);

/*
 * After qpci_assign() (for a VF: after nvme_sriov_enable()): allocate the
 * admin queues and a scratch page in g, enable MEM|MASTER, reset the
 * controller, program and enable it (CC.EN, waiting for CSTS.RDY within
 * NVME_ADMIN_TIMEOUT_MS) and read Identify Controller (cntlid).  Every
 * address the controller is given, now and later, is dma's answer (NULL:
 * the physical address; the hook is copied).  Returns 0 or -1.
 */
int nvme_setup_admin(struct nvme_dev *d, struct qts *q, struct qpci_bus *bus,
                     int func, unsigned int index, uint64_t seed,
                     struct galloc *g, const struct dma_hook *dma);

/*
 * Then: MSI-X (vector 0 admin, 1 I/O), the I/O CQ and SQ, PRP lists and
 * buffers.  Checks that namespace 1 exists with 512-byte blocks and
 * covers NVME_DISK_BYTES.  Returns 0 or -1.
 */
int nvme_setup_io(struct nvme_dev *d, struct galloc *g);

/* Both. */
int nvme_setup(struct nvme_dev *d, struct qts *q, struct qpci_bus *bus,
               int func, unsigned int index, uint64_t seed, struct galloc *g,
               const struct dma_hook *dma);

/*
 * One admin command (16 dwords; the command identifier is filled in),
 * waited for within NVME_ADMIN_TIMEOUT_MS.  *status gets the completion's
 * status field (0: success; bits 8..10 type, 0..7 code), *result its
 * dword 0 (either may be NULL).  Returns 0 when a completion arrived
 * (whatever its status), -1 on time-out or transport error.
 */
int nvme_admin(struct nvme_dev *d, uint32_t cmd[16], uint16_t *status,
               uint32_t *result);

/* Issue the slots in mask (each reading the next disk chunk) with one SQ
 * doorbell write.  Returns 0 or -1. */
int nvme_issue_slots(struct nvme_dev *d, uint32_t mask);
int nvme_issue_all(struct nvme_dev *d);

/* Read new completion entries (memory only); update states and counters. */
int nvme_sample(struct nvme_dev *d);
/* Write the I/O and admin CQ head doorbells: the live driver's part. */
void nvme_ack(struct nvme_dev *d);

/* Slots completed (as last sampled): ready to be issued again. */
uint32_t nvme_done_slots(const struct nvme_dev *d);
/* Slots posted and not completed (as last sampled). */
uint32_t nvme_posted_slots(const struct nvme_dev *d);

/* Guest address of a slot's buffer / its PRP list page. */
uint64_t nvme_slot_data(const struct nvme_dev *d, unsigned int slot);
uint64_t nvme_slot_prp_list(const struct nvme_dev *d, unsigned int slot);

/*
 * Bytes of slot's buffer that hold what its last read should have put
 * there (the disk chunk it was issued for), counted in whole 512-byte
 * blocks.  Returns the count, or -1.
 */
long nvme_slot_landed(struct nvme_dev *d, unsigned int slot);

/* CSTS (reads BAR0: memory decode must be on). */
uint32_t nvme_csts(struct nvme_dev *d);

/* Expected bytes of the disk at byte offset pos (harness-side copy). */
void nvme_disk_bytes(uint64_t seed, unsigned int index, uint64_t pos,
                     uint8_t *buf, size_t len);

/* Guest ranges the controller writes: queues, PRP lists, buffers, the
 * Identify page and the MSI-X words (guarded memory must skip the
 * latter). */
struct nvme_ranges {
    uint64_t admin, admin_len;      /* ASQ, ACQ and scratch page */
    uint64_t io_queues, io_queues_len;
    uint64_t prp_lists, prp_lists_len;
    uint64_t data, data_len;
    uint64_t msix_words;            /* one page */
};
void nvme_ranges(const struct nvme_dev *d, struct nvme_ranges *r);

#endif /* SIM_DEV_NVME_H */
