/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The igb VF receive driver (sim/dev/igb.h) against QEMU's igb (82576,
 * QEMU >= 8.0; on an older QEMU every test is skipped with a line saying
 * why): frames sent to a VF's MAC land whole in its buffers and signal
 * MSI-X; what clearing Bus Master does -- a VF's own, or only the PF's.
 *
 * Each test starts its own QEMU ($PCIDC_QEMU: the suite runs on QEMU 7.2
 * and 10.0) with one igb PF at 00:02.0 and two VFs (00:12.0 and 00:12.2:
 * QEMU puts VF n at the PF's routing ID + 0x80 + 2n), and leaves none
 * behind.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/clock.h"
#include "dev/igb.h"
#include "dev/igb_regs.h"
#include "drvbed.h"
#include "pci/pci_regs.h"

#define SEED            7
#define NR_VFS          2
#define FRAMES          20
#define WAIT_MS         10000   /* bound on frames that should land */
#define QUIET_MS        1500    /* how long frames that must not land get */
#define IGB_VENDOR      0x8086
#define IGB_DEVICE      0x10c9

struct bed {
    struct drvbed *b;
    struct igb_pf pf;
    struct igb_vf vf[NR_VFS];
};

static int bed_teardown(void **state)
{
    struct bed *t = *state;

    if (t) {
        igb_close(&t->pf);
        drvbed_free(t->b);
        free(t);
    }
    *state = NULL;
    return 0;
}

static struct bed *bed_start(void **state)
{
    struct bed *t = calloc(1, sizeof(*t));
    char netdev[512], device[160], extra[96];
    const char *argv[6];
    unsigned int v;
    int func;

    assert_non_null(t);
    t->pf.sock = -1;
    *state = t;
    t->b = drvbed_new();
    drvbed_require(t->b, "igb", "igb appeared in QEMU 8.0");
    assert_int_equal(igb_qemu_args("igb_0", 0, qts_tmpdir(t->b->q), netdev,
                                   sizeof(netdev), extra, sizeof(extra)), 0);
    snprintf(device, sizeof(device), "igb,addr=02.0%s", extra);
    igb_open(&t->pf, t->b->q, "igb_0", 0, SEED);
    drvbed_check(t->b);
    argv[0] = "-netdev";
    argv[1] = netdev;
    argv[2] = "-device";
    argv[3] = device;
    argv[4] = NULL;
    drvbed_start(t->b, argv);
    func = drvbed_find(t->b, IGB_VENDOR, IGB_DEVICE, 0);
    igb_pf_setup(&t->pf, &t->b->bus, func, NR_VFS);
    for (v = 0; v < NR_VFS; v++)
        igb_vf_setup(&t->vf[v], &t->pf, v, t->b->g, NULL);
    drvbed_check(t->b);
    return t;
}

/* n frames to each VF, one round every 10 ms; then wait up to ms until
 * every VF has want descriptors done (or not: the caller checks). */
static void send_and_wait(struct bed *t, unsigned int n, unsigned int want,
                          unsigned int ms)
{
    uint64_t end;
    unsigned int k, v, done;

    for (k = 0; k < n; k++) {
        for (v = 0; v < NR_VFS; v++)
            igb_send_frame(&t->vf[v]);
        drvbed_check(t->b);
        clock_sleep_ms(10);
    }
    end = clock_ms_u64() + ms;
    do {
        for (v = 0, done = 0; v < NR_VFS; v++) {
            igb_sample(&t->vf[v]);
            msix_poll(&t->vf[v].msix);
            done += t->vf[v].rx_done >= want;
        }
        drvbed_check(t->b);
        if (done == NR_VFS)
            return;
        clock_sleep_ms(10);
    } while (clock_ms_u64() < end);
}

/* Buffers of VF v from first on that differ from zero. */
static unsigned int written_from(struct bed *t, unsigned int v,
                                 unsigned int first)
{
    static uint8_t buf[IGB_RX_BUF], zero[IGB_RX_BUF];
    unsigned int i, n = 0;

    for (i = first; i < IGB_RX_DESCS; i++) {
        qts_memread(t->b->q, igb_buf(&t->vf[v], i), buf, sizeof(buf));
        drvbed_check(t->b);
        n += memcmp(buf, zero, sizeof(buf)) != 0;
    }
    return n;
}

static void test_vf_frames_land_whole_and_signal_msix(void **state)
{
    struct bed *t = bed_start(state);
    uint8_t got[IGB_FRAME_LEN], want[IGB_FRAME_LEN];
    unsigned int v, i;

    send_and_wait(t, FRAMES, FRAMES, WAIT_MS);
    for (v = 0; v < NR_VFS; v++) {
        assert_int_equal(t->vf[v].frames_dropped, 0);
        assert_int_equal(t->vf[v].rx_done, FRAMES);
        assert_int_equal(t->vf[v].rx_bytes, FRAMES * IGB_FRAME_LEN);
        for (i = 0; i < FRAMES; i++) {
            qts_memread(t->b->q, igb_buf(&t->vf[v], i), got, sizeof(got));
            igb_frame_bytes(SEED, 0, v, i, want, sizeof(want));
            assert_memory_equal(got, want, sizeof(want));
        }
        assert_int_equal(written_from(t, v, FRAMES), 0);
        assert_true(t->vf[v].msix.count[0] > 0);
        printf("igb VF %04x, QEMU %s: vendor ID reads 0x%04x, %u frames "
               "landed in order, %lu MSI-X messages\n", t->vf[v].sbdf,
               t->b->version, qpci_cfg_read16(&t->b->bus, t->vf[v].sbdf,
                                              PCI_VENDOR_ID),
               t->vf[v].rx_done, t->vf[v].msix.total);
    }
}

/* What one run measured for each VF after the disconnect (or not). */
struct outcome {
    unsigned int done[NR_VFS];      /* descriptors written after it */
    unsigned int written[NR_VFS];   /* buffers with bytes, of the unused */
    unsigned long msix[NR_VFS];
    uint32_t rdh[NR_VFS];           /* the VF's RDH register afterwards */
};

/* FRAMES to each VF; Bus Master of sbdf off (0: none); FRAMES more. */
static struct outcome run_disconnect(struct bed *t, uint32_t sbdf)
{
    struct outcome o;
    unsigned int before[NR_VFS], v;
    unsigned long m0[NR_VFS];

    memset(&o, 0, sizeof(o));
    send_and_wait(t, FRAMES, FRAMES, WAIT_MS);
    for (v = 0; v < NR_VFS; v++) {
        assert_int_equal(t->vf[v].rx_done, FRAMES);
        before[v] = t->vf[v].rx_done;
        m0[v] = t->vf[v].msix.total;
    }
    if (sbdf)
        drvbed_disconnect(t->b, sbdf);
    send_and_wait(t, FRAMES, 2 * FRAMES, sbdf ? QUIET_MS : WAIT_MS);
    for (v = 0; v < NR_VFS; v++) {
        o.done[v] = t->vf[v].rx_done - before[v];
        o.written[v] = written_from(t, v, t->vf[v].rx_done);
        o.msix[v] = t->vf[v].msix.total - m0[v];
        o.rdh[v] = qts_readl(t->b->q, t->vf[v].mmio + IGBVF_RDH);
        drvbed_check(t->b);
        printf("igb VF %04x, QEMU %s, bus master of %04x %s: %u frames "
               "sent after, %u descriptors written, %u further buffers "
               "written, MSI-X %lu, RDH %u\n", t->vf[v].sbdf, t->b->version,
               sbdf ? sbdf : t->vf[v].sbdf, sbdf ? "off" : "on", FRAMES,
               o.done[v], o.written[v], o.msix[v], o.rdh[v]);
    }
    return o;
}

static void assert_vf_silent(const struct outcome *o, unsigned int v)
{
    assert_int_equal(o->done[v], 0);
    assert_int_equal(o->written[v], 0);
    assert_int_equal(o->msix[v], 0);
}

static void assert_vf_receiving(const struct outcome *o, unsigned int v)
{
    assert_int_equal(o->done[v], FRAMES);
    assert_true(o->msix[v] > 0);
}

/* A VF's own Bus Master stops that VF; the other VF, the control in the
 * same run, keeps receiving. */
static void test_vf_bus_master_off_writes_nothing_other_vf_receives(
    void **state)
{
    struct bed *t = bed_start(state);
    struct outcome o = run_disconnect(t, t->vf[0].sbdf);

    assert_vf_silent(&o, 0);
    assert_vf_receiving(&o, 1);
}

/*
 * QEMU's igb receives nothing at all while the PF's Bus Master is clear
 * (its receive check looks at the PF's COMMAND), for every VF: unlike
 * NVMe's VFs, and unlike what PCIe specifies (each VF has its own Bus
 * Master Enable).
 */
static void test_pf_bus_master_off_stops_every_vf_in_qemu(void **state)
{
    struct bed *t = bed_start(state);
    struct outcome o = run_disconnect(t, t->pf.sbdf);
    unsigned int v;

    for (v = 0; v < NR_VFS; v++)
        assert_vf_silent(&o, v);
}

static void test_bus_master_on_control_vfs_receive(void **state)
{
    struct bed *t = bed_start(state);
    struct outcome o = run_disconnect(t, 0);
    unsigned int v;

    for (v = 0; v < NR_VFS; v++)
        assert_vf_receiving(&o, v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_vf_frames_land_whole_and_signal_msix,
                                  bed_teardown),
        cmocka_unit_test_teardown(
            test_vf_bus_master_off_writes_nothing_other_vf_receives,
            bed_teardown),
        cmocka_unit_test_teardown(test_pf_bus_master_off_stops_every_vf_in_qemu,
                                  bed_teardown),
        cmocka_unit_test_teardown(test_bus_master_on_control_vfs_receive,
                                  bed_teardown),
    };

    return cmocka_run_group_tests_name("igb_driver", tests, NULL, NULL);
}
