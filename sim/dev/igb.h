/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * igb: a receive-only driver for the SR-IOV virtual functions of QEMU's
 * igb (82576, -device igb, QEMU >= 8.0), playing NICs that the crashed
 * system had handed to its guests.
 *
 * The physical function is set up only as far as its VFs need: link
 * (autonegotiation restarted through the PHY: QEMU brings the link up
 * 500 ms of virtual time later), VMDq with one pool per VF (MRQC), no
 * default pool, per-VF receive enables (VFRE), MSI-X mode (GPIE), one
 * receive address per VF that selects the VF's pool, and the global
 * receiver on (RCTL).  QEMU puts VF n at the PF's routing ID + 0x80 + 2n;
 * qpci_sriov_enable() finds them there.
 *
 * Each VF: MEM|MASTER, one receive queue of IGB_RX_DESCS advanced
 * descriptors with IGB_RX_BUF-byte buffers, handed over whole (RDT =
 * last) and never recycled, so frame n lands in buffer n and stays there;
 * MSI-X vector 0 for the queue (msix.h: its message lands in a RAM word).
 *
 * Network: "-netdev dgram" over two unix datagram sockets, one pair per
 * PF (NAME.q bound by QEMU, NAME.h by the harness); a frame for VF n
 * carries VF n's MAC address as its destination, which is what routes it
 * to VF n's pool.  Progress is read from guest memory only (descriptor
 * write-backs).
 */
#ifndef SIM_DEV_IGB_H
#define SIM_DEV_IGB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dma.h"
#include "msix.h"
#include "pci/galloc.h"
#include "pci/qpci.h"
#include "qemu/qts.h"

#define IGB_MAX_VFS         7
#define IGB_RX_DESCS        256
#define IGB_RX_BUF          2048
#define IGB_FRAME_LEN       600
#define IGB_NAME_LEN        24
#define IGB_PATH_LEN        108
#define IGB_LINK_TIMEOUT_MS 15000

struct igb_pf {
    struct qts *qts;
    struct qpci_bus *bus;
    int func;
    uint32_t sbdf;
    uint64_t mmio;
    char name[IGB_NAME_LEN];        /* igb_0 */
    unsigned int index;             /* MAC addresses, frame contents */
    uint64_t seed;
    unsigned int nr_vfs;
    int first_vf;                   /* bus index of VF 0 */

    int sock;                       /* harness end, non-blocking */
    char qemu_path[IGB_PATH_LEN], harness_path[IGB_PATH_LEN];
};

struct igb_vf {
    struct igb_pf *pf;
    unsigned int vf;                /* 0-based VF number */
    int func;
    uint32_t sbdf;
    uint64_t mmio;
    char name[IGB_NAME_LEN];        /* igb_0.vf0 */
    struct dma_hook dma;
    uint64_t ring, bufs;
    struct msix msix;
    uint64_t msix_words;            /* one page */

    unsigned int frames_sent;
    unsigned int frames_dropped;    /* socket full */
    unsigned int rx_done;           /* descriptors with DD */
    uint64_t rx_bytes;              /* their length fields */
};

/*
 * The "-netdev" value and the "-device" extra properties (",netdev=...,
 * mac=...") of igb number index called name (sockets in tmpdir).  Returns
 * 0, or -1 when they do not fit.
 */
int igb_qemu_args(const char *name, unsigned int index, const char *tmpdir,
                  char *netdev, size_t netdev_len, char *extra,
                  size_t extra_len);

/* Bind the harness socket.  Returns 0 or -1 with a sticky error on q. */
int igb_open(struct igb_pf *pf, struct qts *q, const char *name,
             unsigned int index, uint64_t seed);

/*
 * After qpci_assign() (with room for nr_vfs VFs: qpci_sriov_reserve()):
 * the PF as above, its link up within IGB_LINK_TIMEOUT_MS, nr_vfs VFs
 * enabled (they join the bus table from pf->first_vf on).  Returns 0 or
 * -1.
 */
int igb_pf_setup(struct igb_pf *pf, struct qpci_bus *bus, int func,
                 unsigned int nr_vfs);

/*
 * VF number vf of pf: its receive address, queue, buffers (in g) and
 * MSI-X; addresses through dma (NULL: physical; copied).  Returns 0 or
 * -1.
 */
int igb_vf_setup(struct igb_vf *v, struct igb_pf *pf, unsigned int vf,
                 struct galloc *g, const struct dma_hook *dma);

/* Send VF v's next frame.  Returns 0 (sent or dropped) or -1. */
int igb_send_frame(struct igb_vf *v);
/* Read the descriptor write-backs; update the counters.  0 or -1. */
int igb_sample(struct igb_vf *v);

/* The harness-side copy of VF vf's frame seq of igb number index. */
void igb_frame_bytes(uint64_t seed, unsigned int index, unsigned int vf,
                     unsigned int seq, uint8_t *buf, size_t len);
/* Guest address of VF v's buffer i. */
uint64_t igb_buf(const struct igb_vf *v, unsigned int i);

struct igb_ranges {
    uint64_t ring, ring_len;
    uint64_t bufs, bufs_len;
    uint64_t msix_words;
};
void igb_vf_ranges(const struct igb_vf *v, struct igb_ranges *r);

void igb_close(struct igb_pf *pf);

#endif /* SIM_DEV_IGB_H */
