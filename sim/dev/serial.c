/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * serial: QEMU's pci-serial (16550) as a polled console.  See serial.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/serial_reg.h>

#include "base/clock.h"
#include "pci/pci_regs.h"
#include "serial.h"

#define POLL_MS         5
#define OUT_READ_MAX    (64 * 1024)     /* output looked at after the mark */

int serial_qemu_args(const char *name, const char *tmpdir,
                     char *chardev, size_t chardev_len,
                     char *extra, size_t extra_len)
{
    int n = snprintf(chardev, chardev_len, "file,id=%s.chr,path=%s/%s.out",
                     name, tmpdir, name);
    int e = snprintf(extra, extra_len, ",chardev=%s.chr", name);

    if (n < 0 || (size_t)n >= chardev_len || e < 0 || (size_t)e >= extra_len)
        return -1;
    return 0;
}

/* Size of the output file now; 0 while QEMU has not created it. */
static long out_size(const struct serial_dev *d)
{
    struct stat st;

    return stat(d->out_path, &st) ? 0 : (long)st.st_size;
}

uint8_t serial_lsr(struct serial_dev *d)
{
    return qts_inb(d->qts, (uint16_t)(d->io + UART_LSR));
}

static void put_byte(struct serial_dev *d, uint8_t c)
{
    unsigned int i;

    for (i = 0; i < SERIAL_THRE_POLLS; i++)
        if (serial_lsr(d) & UART_LSR_THRE)
            break;
    qts_outb(d->qts, (uint16_t)(d->io + UART_TX), c);
}

void serial_write(struct serial_dev *d, const char *text)
{
    d->out_mark = out_size(d);
    while (*text && !qts_error(d->qts))
        put_byte(d, (uint8_t)*text++);
}

/*
 * Whether text is in the file after the mark: 1, 0, or -errno.  A file
 * QEMU has not created yet holds nothing.
 */
static int out_has(struct serial_dev *d, const char *text, char *buf)
{
    ssize_t n;
    int fd, err;

    fd = open(d->out_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    n = pread(fd, buf, OUT_READ_MAX, d->out_mark);
    err = errno;
    close(fd);
    if (n < 0)
        return -err;
    return memmem(buf, (size_t)n, text, strlen(text)) != NULL;
}

int serial_wait_output(struct serial_dev *d, const char *text,
                       double deadline_ms)
{
    char *buf = malloc(OUT_READ_MAX);
    int found;

    if (!buf)
        return qts_fail(d->qts, "%s: out of memory", d->name);
    for (;;) {
        found = out_has(d, text, buf);
        if (found || clock_ms() >= deadline_ms)
            break;
        clock_sleep_ms(POLL_MS);
    }
    free(buf);
    if (found < 0)
        return qts_fail(d->qts, "%s: cannot read %s: %s", d->name,
                        d->out_path, strerror(-found));
    return found;
}

/* 115200 8N1, FIFO on and cleared, interrupts off, DTR and RTS. */
static void program_uart(struct serial_dev *d)
{
    struct qts *q = d->qts;

    qts_outb(q, (uint16_t)(d->io + UART_IER), 0);
    qts_outb(q, (uint16_t)(d->io + UART_LCR), UART_LCR_DLAB);
    qts_outb(q, (uint16_t)(d->io + UART_DLL), 1);
    qts_outb(q, (uint16_t)(d->io + UART_DLM), 0);
    qts_outb(q, (uint16_t)(d->io + UART_LCR), UART_LCR_WLEN8);
    qts_outb(q, (uint16_t)(d->io + UART_FCR), UART_FCR_ENABLE_FIFO |
             UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
    qts_outb(q, (uint16_t)(d->io + UART_MCR), UART_MCR_DTR | UART_MCR_RTS);
}

int serial_setup(struct serial_dev *d, struct qts *q, struct qpci_bus *bus,
                 int func, const char *name, const char *tmpdir)
{
    char line[64];
    int n;

    memset(d, 0, sizeof(*d));
    d->qts = q;
    d->bus = bus;
    d->func = func;
    d->sbdf = bus->func[func].sbdf;
    snprintf(d->name, sizeof(d->name), "%s", name);
    n = snprintf(d->out_path, sizeof(d->out_path), "%s/%s.out", tmpdir, name);
    if (n < 0 || (size_t)n >= sizeof(d->out_path))
        return qts_fail(q, "%s: output path too long", name);
    if (!bus->func[func].bar[0].io || !bus->func[func].bar[0].assigned)
        return qts_fail(q, "%s: BAR0 is not an assigned I/O BAR", name);
    d->io = (uint16_t)bus->func[func].bar[0].addr;
    if (qpci_enable(bus, d->sbdf, PCI_COMMAND_IO))
        return -1;
    program_uart(d);
    snprintf(line, sizeof(line), "crashsim: %s up\r\n", name);
    serial_write(d, line);
    if (qts_error(q))
        return -1;
    n = serial_wait_output(d, line, clock_ms() + SERIAL_SETUP_WAIT_MS);
    if (n < 0)
        return -1;
    if (n == 0)
        return qts_fail(q, "%s: a line written at set-up did not reach %s "
                        "within %d ms", name, d->out_path,
                        SERIAL_SETUP_WAIT_MS);
    return 0;
}
