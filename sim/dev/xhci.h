/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xhci: a minimal driver for QEMU's xHCI controller (-device qemu-xhci)
 * playing the crashed system's USB host controller, with no USB device
 * attached.
 *
 * Set-up: reset (USBCMD.HCRST), the device context base address array
 * (DCBAAP; no slot is ever enabled), a command ring of XHCI_CMD_TRBS TRBs
 * whose last one is a Link TRB back to the start (toggle cycle), the
 * primary interrupter's event ring (one ERST segment of XHCI_EVENT_TRBS
 * TRBs) on MSI-X vector 0 (msix.h: the message lands in a RAM word and is
 * counted), then USBCMD.RS | INTE.
 *
 * Workload: No Op Command TRBs.  The caller posts them (xhci_post_noops)
 * and rings doorbell 0 (xhci_ring_doorbell); QEMU fetches and completes
 * the posted commands inside the doorbell write, each with a Command
 * Completion Event TRB it writes into the event ring (a DMA write) and an
 * interrupt.  So a command is in flight only between being posted and
 * the doorbell: nothing in QEMU's xHCI runs after an MMIO write returns.
 *
 * Progress is read from guest memory only: event TRBs whose cycle bit
 * matches the consumer cycle state are new (xhci_sample).  xhci_ack()
 * moves ERDP (clearing the event handler busy bit) like a live driver;
 * after a crash nobody calls it.  Register and structure layouts are from
 * the xHCI specification 1.2.
 */
#ifndef SIM_DEV_XHCI_H
#define SIM_DEV_XHCI_H

#include <stdbool.h>
#include <stdint.h>

#include "dma.h"
#include "msix.h"
#include "pci/galloc.h"
#include "pci/qpci.h"
#include "qemu/qts.h"

#define XHCI_QEMU_DEVICE    "qemu-xhci"
#define XHCI_VENDOR         0x1b36
#define XHCI_DEVICE         0x000d
#define XHCI_CMD_TRBS       64      /* command ring, the Link TRB included */
#define XHCI_CMD_SLOTS      (XHCI_CMD_TRBS - 1) /* commands it can hold */
#define XHCI_EVENT_TRBS     256     /* the event ring's one segment */
#define XHCI_TRB_LEN        16
#define XHCI_TIMEOUT_MS     3000

/* USBSTS bits. */
#define XHCI_STS_HCH        (1u << 0)   /* halted */
#define XHCI_STS_HSE        (1u << 2)   /* host system error */
#define XHCI_STS_EINT       (1u << 3)   /* event interrupt */
#define XHCI_STS_CNR        (1u << 11)  /* controller not ready */
#define XHCI_STS_HCE        (1u << 12)  /* host controller error */

/* Completion codes. */
#define XHCI_CC_SUCCESS     1
#define XHCI_CC_RING_STOPPED 24         /* command ring stopped (abort) */

struct xhci_dev {
    struct qts *qts;
    struct qpci_bus *bus;
    int func;
    uint32_t sbdf;
    unsigned int index;         /* xhci_0, ... */
    struct dma_hook dma;

    uint64_t bar0, op, rt, db;  /* capability, operational, runtime,
                                   doorbell registers */
    unsigned int max_slots, max_intrs;

    /* Guest pages: DCBAA, ERST, command ring, event ring, MSI-X words. */
    uint64_t mem, dcbaa, erst, cmd_ring, event_ring, msix_words;

    /* Command ring: producer index and cycle; consumer as completions
     * report it. */
    unsigned int cmd_enq, cmd_deq;
    bool cmd_cycle;
    unsigned int outstanding;   /* posted, no completion seen */

    /* Event ring: consumer index and cycle. */
    unsigned int ev_deq;
    bool ev_cycle;

    struct msix msix;

    /* Progress (cumulative). */
    unsigned long posted;       /* No Op commands written to the ring */
    unsigned long doorbells;
    unsigned long completed;    /* Command Completion Events, success */
    unsigned long failed;       /* Command Completion Events, other code */
    unsigned long stopped;      /* ... command ring stopped (aborts) */
    unsigned long other;        /* events of another type */
    uint32_t last_code;         /* completion code of the last failure */
};

/*
 * After qpci_assign(): allocate the rings in g, enable MEM|MASTER, reset
 * and program the controller, MSI-X, run.  Every address the controller
 * is given is dma's answer (NULL: the physical address; the hook is
 * copied).  Every wait is bounded by XHCI_TIMEOUT_MS.  Returns 0, or -1
 * with a sticky error on q.
 */
int xhci_setup(struct xhci_dev *d, struct qts *q, struct qpci_bus *bus,
               int func, unsigned int index, struct galloc *g,
               const struct dma_hook *dma);

/* Write up to n No Op Command TRBs (as many as the ring has room for);
 * no doorbell.  Returns the number written, or -1. */
int xhci_post_noops(struct xhci_dev *d, unsigned int n);
/* Doorbell 0 (the command ring): QEMU runs the posted commands in it. */
void xhci_ring_doorbell(struct xhci_dev *d);
/* Post as many as fit and ring.  Returns the number posted, or -1. */
int xhci_fill(struct xhci_dev *d);

/* Read new event TRBs (memory only); update counters.  Returns how many
 * were new, or -1 (a completion for a command not posted is an error). */
int xhci_sample(struct xhci_dev *d);
/* Write ERDP to the consumer position with EHB: the live driver's part. */
void xhci_ack(struct xhci_dev *d);

/* USBSTS (memory decode must be on). */
uint32_t xhci_usbsts(struct xhci_dev *d);

/*
 * Command Abort (CRCR.CA): QEMU answers with a Command Completion Event
 * (command ring stopped) without fetching anything.  Only after a
 * doorbell: QEMU acts on CA only while the command ring runs (CRR, which
 * reads as 0), and otherwise restarts the ring at its start.
 */
void xhci_abort_commands(struct xhci_dev *d);

/* Guest ranges the controller writes: the event ring and the MSI-X words
 * (guarded memory must skip the latter); it only reads the rest. */
struct xhci_ranges {
    uint64_t event_ring, event_ring_len;
    uint64_t msix_words;            /* one page */
};
void xhci_ranges(const struct xhci_dev *d, struct xhci_ranges *r);

#endif /* SIM_DEV_XHCI_H */
