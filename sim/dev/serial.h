/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * serial: a minimal polled driver for QEMU's pci-serial, a 16550 UART
 * behind one I/O BAR (BAR0, 8 ports), playing the crashed system's serial
 * console -- the device the 2011 patch silenced when it wrote COMMAND = 0.
 *
 * Output: QEMU gets "-chardev file,id=NAME.chr,path=TMP/NAME.out" and the
 * device ",chardev=NAME.chr", so every byte the UART transmits lands in
 * that file of the run's private temporary directory.  QEMU 7.2 writes it
 * inside the THR write (measured), so a byte is in the file when the qtest
 * command that wrote it has been answered; serial_wait_output() still
 * waits, with a deadline, rather than rely on that.
 *
 * Writing is done as a crash-time console does it: interrupts off (IER 0),
 * and before each byte LSR polled for THRE at most SERIAL_THRE_POLLS
 * times, then THR written whatever LSR said.  A UART that does not decode
 * its I/O range any more (I/O Space clear in its COMMAND, or a bridge above
 * it not forwarding the range) reads all ones in QEMU: LSR 0xff claims
 * THRE, the writes go on and the bytes are lost -- what the console writer
 * sees on real hardware after a master abort too.
 */
#ifndef SIM_DEV_SERIAL_H
#define SIM_DEV_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci/qpci.h"
#include "qemu/qts.h"

#define SERIAL_NAME_LEN     16      /* SPEC_ID_LEN */
#define SERIAL_PATH_LEN     256
#define SERIAL_THRE_POLLS   64
#define SERIAL_SETUP_WAIT_MS 2000   /* the set-up line's bounded wait */

struct serial_dev {
    struct qts *qts;
    struct qpci_bus *bus;
    int func;                       /* index in bus->func[] */
    uint32_t sbdf;
    char name[SERIAL_NAME_LEN];     /* serial_0, ...: chardev, messages */
    uint16_t io;                    /* BAR0: THR at io + 0, LSR at io + 5 */
    char out_path[SERIAL_PATH_LEN]; /* the chardev's file */
    long out_mark;                  /* file size before the last write */
};

/*
 * The QEMU arguments of UART name: the "-chardev" value into chardev, the
 * "-device" extra properties (",chardev=...") into extra; its output file
 * goes in tmpdir.  Returns 0, or -1 when a value does not fit.
 */
int serial_qemu_args(const char *name, const char *tmpdir,
                     char *chardev, size_t chardev_len,
                     char *extra, size_t extra_len);

/*
 * After qpci_assign(): take BAR0, turn on I/O decode (nothing else: a UART
 * does no DMA), program 8N1 with the FIFO on and interrupts off, then write
 * a line and check it reaches the output file within SERIAL_SETUP_WAIT_MS
 * (else the harness could not tell a lost console from a broken one).
 * Returns 0, or -1 with a sticky error on q.
 */
int serial_setup(struct serial_dev *d, struct qts *q, struct qpci_bus *bus,
                 int func, const char *name, const char *tmpdir);

/* LSR as it reads now through the I/O BAR (0xff: nothing decodes). */
uint8_t serial_lsr(struct serial_dev *d);

/*
 * Write text, polled, byte by byte (see above); the output file's size
 * before it becomes the mark serial_wait_output() searches from.
 */
void serial_write(struct serial_dev *d, const char *text);

/*
 * Whether text appears in the output file after the mark of the last
 * serial_write(), looking until deadline_ms (clock_ms() time).  Returns 1
 * (arrived), 0 (not by the deadline) or -1 (the file cannot be read; a
 * sticky error on the qts instance).
 */
int serial_wait_output(struct serial_dev *d, const char *text,
                       double deadline_ms);

#endif /* SIM_DEV_SERIAL_H */
