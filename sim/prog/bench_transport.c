/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Figures of the simulator's platform layers against the real QEMU
 * ("make bench-sim-transport"): QEMU start-to-ready time, qtest round trip
 * per config write (ECAM and 0xCF8/0xCFC) and guest-memory read speed.
 * Prints what it measured; asserts nothing.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/clock.h"
#include "base/sbdf.h"
#include "pci/pci_regs.h"
#include "pci/qpci.h"
#include "qemu/qts.h"

#define STARTS          5
#define WRITES          2000
#define READ_BYTES      (4u << 20)

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static const char *const devices[] = { "-device", "e1000,addr=02.0", NULL };

/* Start, first reply, close: the time to the first reply in ms. */
static int start_to_ready(double *ms)
{
    struct qts *q;
    double t0 = clock_ms();
    int rc = 0;

    q = qts_new(NULL);
    if (!q)
        return -1;
    qts_start(q, devices);
    qts_inl(q, 0xcfc);
    *ms = clock_ms() - t0;
    if (qts_error(q)) {
        fprintf(stderr, "bench: %s\n", qts_error(q));
        rc = -1;
    }
    qts_close(q);
    return rc;
}

/* Milliseconds per COMMAND write to the e1000 at 00:02.0. */
static double write_round_trip(struct qts *q, unsigned int flags)
{
    static struct qpci_bus bus;
    uint32_t e1000 = SBDF(0, 0, 2, 0);
    double t0;
    int i;

    if (qpci_init(&bus, q, flags) < 0)
        return -1;
    t0 = clock_ms();
    for (i = 0; i < WRITES; i++)
        qpci_cfg_write16(&bus, e1000, PCI_COMMAND, PCI_COMMAND_DISABLE_INTx);
    return qts_error(q) ? -1 : (clock_ms() - t0) / WRITES;
}

int main(void)
{
    double start[STARTS], ecam, cf8, t0, read_ms;
    struct qts *q;
    void *buf;
    int i;

    for (i = 0; i < STARTS; i++)
        if (start_to_ready(&start[i]) < 0)
            return 2;
    qsort(start, STARTS, sizeof(start[0]), cmp_double);

    q = qts_new(NULL);
    buf = malloc(READ_BYTES);
    if (!q || !buf)
        return 2;
    qts_start(q, devices);
    cf8 = write_round_trip(q, QPCI_CF8);
    ecam = write_round_trip(q, 0);
    t0 = clock_ms();
    qts_memread(q, 0x100000, buf, READ_BYTES);
    read_ms = clock_ms() - t0;
    if (qts_error(q)) {
        fprintf(stderr, "bench: %s\n", qts_error(q));
        qts_close(q);
        return 2;
    }
    printf("sim transport (%s)\n", qts_qemu_version(q));
    printf("  QEMU start to first qtest reply: median %.0f ms "
           "(min %.0f, max %.0f, %d starts)\n", start[STARTS / 2],
           start[0], start[STARTS - 1], STARTS);
    printf("  config write round trip, ECAM:  %.1f us (%d writes)\n",
           ecam * 1e3, WRITES);
    printf("  config write round trip, CF8:   %.1f us (%d writes, 2 qtest "
           "commands each)\n", cf8 * 1e3, WRITES);
    printf("  guest memory read: %.0f MiB/s (%u MiB, base64 over qtest)\n",
           READ_BYTES / (read_ms / 1e3) / (1 << 20), READ_BYTES >> 20);
    qts_close(q);
    free(buf);
    return 0;
}
