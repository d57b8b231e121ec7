/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * e1000: a minimal driver for QEMU's e1000 (82540EM) and e1000e
 * (82574L) playing the crashed system's network card.
 *
 * The 82574L keeps the 8254x register file and, with RFCTL.EXTEN clear
 * (its reset value), the legacy 16-byte RX descriptor; legacy TX
 * descriptors are always accepted.  QEMU 7.2's e1000e models exactly that,
 * so both models share this data path.  Differences handled here: e1000e's
 * ICR is cleared by writing ones (a read clears it only with IMS 0 or
 * CTRL_EXT.IAME); e1000e has MSI and MSI-X, left off (INTx, like e1000,
 * which in QEMU 7.2 has no MSI capability at all).
 *
 * Network: each NIC has "-netdev dgram" over two unix datagram sockets in
 * the run's temporary directory: QEMU binds NAME.q, the harness binds
 * NAME.h.  Frames the harness sends to NAME.q are what the NIC receives;
 * frames the NIC transmits arrive at NAME.h.
 *
 * Receive: a ring of E1000_RX_DESCS descriptors, each with its own
 * E1000_RX_BUF byte buffer; the ring is handed to the NIC whole (RDT = last)
 * and never recycled, so every received frame lands in a fresh buffer and
 * stays there for the byte-by-byte comparison.
 *
 * Transmit: a ring of E1000_TX_DESCS descriptors pointing at buffers that
 * belong to the crash state.  QEMU's e1000 transmits synchronously inside
 * the write of TDT, so a NIC that fetches already-posted descriptors on its
 * own is modelled by ringing TDT for one posted descriptor at a time
 * (e1000_tx_ring); a disconnected function ignores that MMIO write (memory
 * decode off) or cannot fetch (Bus Master off).
 *
 * Progress is read from guest memory only (descriptor write-backs), never
 * from registers: after a disconnect the BAR no longer decodes, and ICR and
 * the statistics registers clear on read.
 */
#ifndef SIM_DEV_E1000_H
#define SIM_DEV_E1000_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dma.h"
#include "pci/galloc.h"
#include "pci/qpci.h"
#include "qemu/qts.h"

#define E1000_RX_DESCS      256
#define E1000_RX_BUF        1024        /* RCTL.BSIZE = 1024 */
#define E1000_TX_DESCS      64
#define E1000_TX_BUF        512
#define E1000_FRAME_LEN     600         /* bytes the harness sends per frame */
#define E1000_PATH_LEN      108         /* sun_path */

enum e1000_model {
    E1000_82540EM,                  /* -device e1000 */
    E1000_82574L,                   /* -device e1000e */
};

#define E1000_NAME_LEN      16      /* SPEC_ID_LEN */

struct e1000_dev {
    struct qts *qts;
    struct qpci_bus *bus;
    int func;                       /* index in bus->func[] */
    uint32_t sbdf;
    enum e1000_model model;
    char name[E1000_NAME_LEN];      /* e1000_0, e1000e_0, ...: regions,
                                       sockets, messages */
    unsigned int index;             /* NIC number over both models: MAC,
                                       netdev id, frame contents */
    uint64_t mmio;                  /* BAR0 */
    uint64_t seed;
    struct dma_hook dma;            /* device addresses of the buffers */

    uint64_t rx_ring, rx_bufs, tx_ring, tx_bufs;

    int sock;                       /* harness end, non-blocking */
    char qemu_path[E1000_PATH_LEN];
    char harness_path[E1000_PATH_LEN];

    /* Workload state. */
    unsigned int frames_sent;       /* datagrams accepted by the socket */
    unsigned int frames_dropped;    /* socket full (NIC not receiving) */
    unsigned int tx_posted;         /* descriptors written to the ring */
    unsigned int tx_rung;           /* TDT value last written */

    /* Progress seen in memory (cumulative, monotonic). */
    unsigned int rx_done;           /* RX descriptors with DD */
    uint64_t rx_bytes;              /* their length fields */
    unsigned int tx_done;           /* TX descriptors with DD */
    uint64_t tx_bytes;              /* their buffer lengths */
    unsigned long tx_datagrams;     /* frames that reached NAME.h */
    unsigned long tx_datagrams_crash_state;  /* ... equal to a TX buffer */
};

/*
 * The QEMU arguments for NIC number index called name: the "-netdev"
 * value "dgram,..." into netdev_buf, and the "-device" extra properties
 * (",netdev=...,mac=...") into extra.  Socket paths (name.q, name.h) go in
 * tmpdir.  Returns 0, or -1 when a path does not fit.
 */
int e1000_qemu_args(const char *name, unsigned int index, const char *tmpdir,
                    char *netdev_buf, size_t netdev_len,
                    char *extra, size_t extra_len);

/*
 * Bind the harness socket (before or after QEMU starts).  Returns 0 or -1
 * with a sticky error on q.
 */
int e1000_open(struct e1000_dev *d, struct qts *q, enum e1000_model model,
               const char *name, unsigned int index, uint64_t seed);

/*
 * After qpci_assign(): allocate rings and buffers in g, enable MEM|MASTER
 * (INTx left enabled), program MAC, rings, TX and RX with legacy
 * descriptors (RCTL last: QEMU's e1000 then refuses frames for about one
 * virtual second).  Every address the NIC is given, now and later, is
 * dma's answer for the buffer (dma NULL: the physical address; the hook is
 * copied).  Returns 0 or -1.
 */
int e1000_setup(struct e1000_dev *d, struct qpci_bus *bus, int func,
                struct galloc *g, const struct dma_hook *dma);

/* Send one frame (sequence number seq) to the NIC.  Returns 0 or -1. */
int e1000_send_frame(struct e1000_dev *d);

/* Write n more TX descriptors (not rung).  Returns 0 or -1. */
int e1000_tx_post(struct e1000_dev *d, unsigned int n);
/* Ring TDT for the next posted descriptor, if any.  Returns 0 or -1. */
int e1000_tx_ring(struct e1000_dev *d);

/* Acknowledge interrupts (e1000: read ICR; e1000e: write ones to ICR):
 * the harness as a live driver. */
void e1000_ack(struct e1000_dev *d);
/* Raise an interrupt cause on purpose (ICS) to learn the IOAPIC pin. */
void e1000_kick_irq(struct e1000_dev *d);

/*
 * Read descriptor write-backs and drain the harness socket; update the
 * cumulative counters.  Returns 0 or -1.
 */
int e1000_sample(struct e1000_dev *d);

/* Guest ranges the device writes: rings and RX buffers; TX buffers too
 * (crash state it reads).  Used by the engine to guard them. */
struct e1000_ranges {
    uint64_t rx_ring, rx_ring_len;
    uint64_t rx_bufs, rx_bufs_len;
    uint64_t tx_ring, tx_ring_len;
    uint64_t tx_bufs, tx_bufs_len;
};
void e1000_ranges(const struct e1000_dev *d, struct e1000_ranges *r);

/* Fill buf with frame number seq's bytes (harness-side copy). */
void e1000_frame_bytes(uint64_t seed, unsigned int index, unsigned int seq,
                       uint8_t *buf, size_t len);

void e1000_close(struct e1000_dev *d);

#endif /* SIM_DEV_E1000_H */
