/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The virtio-blk driver (sim/dev/virtio_blk.h, modern virtio-pci) against
 * QEMU's virtio-blk-pci: reads land whole in the caller's buffers, and
 * what Bus Master off does to reads in flight and to reads published after
 * it.  QEMU's virtio-pci answers Bus Master off by clearing DRIVER_OK.
 *
 * Each test starts its own QEMU ($PCIDC_QEMU: the suite runs on QEMU 7.2
 * and 10.0) and leaves none behind.  The disk is throttled so that the
 * full queue takes about two seconds to drain.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/clock.h"
#include "dev/virtio_blk.h"
#include "dev/virtio_net.h"
#include "drvbed.h"
#include "pci/pci_regs.h"

#define SEED            11
#define THROTTLE_BPS    (2 * 1024 * 1024)
#define WARM_MS         10000
#define WINDOW_MS       2000    /* at least, after the disconnect (or not) */
#define WINDOW_MAX_MS   30000   /* at most, for the in-flight ones to land */
#define GUARD_BYTE      0x5a
#define FRESH_SLOTS     8

struct bed {
    struct drvbed *b;
    struct vblk_dev dev;
    struct vnet_dev net;
};

static int bed_teardown(void **state)
{
    struct bed *t = *state;

    if (t) {
        vnet_close(&t->net);
        drvbed_free(t->b);
        free(t);
    }
    *state = NULL;
    return 0;
}

static struct bed *bed_start(void **state)
{
    struct bed *t = calloc(1, sizeof(*t));
    char drive[512], device[160];

    assert_non_null(t);
    t->net.sock = -1;
    const char *argv[6];
    int func;

    *state = t;
    t->b = drvbed_new();
    vblk_qemu_args(t->b->q, 0, SEED, THROTTLE_BPS, drive, sizeof(drive),
                   device, sizeof(device));
    drvbed_check(t->b);
    argv[0] = "-drive";
    argv[1] = drive;
    argv[2] = "-device";
    argv[3] = device;
    argv[4] = NULL;
    drvbed_start(t->b, argv);
    func = drvbed_find(t->b, VIRTIO_VENDOR, VIRTIO_DEVICE_BLK, 0);
    vblk_setup(&t->dev, t->b->q, &t->b->bus, func, 0, SEED, t->b->g, NULL);
    drvbed_check(t->b);
    return t;
}

static unsigned int popcount(uint32_t m)
{
    return (unsigned int)__builtin_popcount(m);
}

/* The live driver: sample, count MSI-X, re-issue; returns once want reads
 * completed (before re-issuing them). */
static void keep_busy(struct bed *t, unsigned int ms, unsigned long want)
{
    uint64_t end = clock_ms_u64() + ms;

    do {
        vblk_sample(&t->dev);
        msix_poll(&t->dev.vp.msix);
        drvbed_check(t->b);
        if (t->dev.completed >= want)
            return;
        vblk_issue_slots(&t->dev, vblk_done_slots(&t->dev));
        clock_sleep_ms(5);
    } while (clock_ms_u64() < end);
    fail_msg("QEMU %s: %lu reads completed in %u ms, wanted %lu",
             t->b->version, t->dev.completed, ms, want);
}

struct landing {
    unsigned int whole, partial, none;
};

static struct landing count_landed(struct bed *t, uint32_t mask)
{
    struct landing l = { 0, 0, 0 };
    unsigned int s;

    for (s = 0; s < VBLK_SLOTS; s++) {
        long n;

        if (!(mask & (1u << s)))
            continue;
        n = vblk_slot_landed(&t->dev, s);
        drvbed_check(t->b);
        if (n == VBLK_CMD_BYTES)
            l.whole++;
        else if (n > 0)
            l.partial++;
        else
            l.none++;
    }
    return l;
}

struct outcome {
    uint32_t inflight, fresh;
    struct landing before, in, new;
    unsigned long used, msix;
    uint8_t status;
    unsigned long since_mask;   /* entries since the in-flight mask */
    unsigned long racing;       /* used entries between the last sample
                                   before the disconnect and the first
                                   after it: written before it */
};

static void wait_fresh(struct bed *t)
{
    uint64_t end = clock_ms_u64() + WARM_MS;

    do {
        vblk_sample(&t->dev);
        drvbed_check(t->b);
        clock_sleep_ms(5);
    } while (popcount(vblk_done_slots(&t->dev)) < FRESH_SLOTS &&
             clock_ms_u64() < end);
}

/* As in test_nvme_driver.c: at least WINDOW_MS, then stop once done
 * (every read completed; with Bus Master off every in-flight read landed
 * whole), at most WINDOW_MAX_MS. */
static void wait_window(struct bed *t, uint32_t inflight, bool clear)
{
    uint64_t start = clock_ms_u64(), next = start + WINDOW_MS;

    for (;;) {
        uint64_t now = clock_ms_u64();

        vblk_sample(&t->dev);
        msix_poll(&t->dev.vp.msix);
        drvbed_check(t->b);
        if (now >= start + WINDOW_MAX_MS)
            return;
        if (now >= next) {
            if (!clear && !vblk_posted_slots(&t->dev))
                return;
            if (clear &&
                count_landed(t, inflight).whole == popcount(inflight))
                return;
            next = now + 500;
        }
        clock_sleep_ms(20);
    }
}

/* As in test_nvme_driver.c: queue running, then the posted slots are in
 * flight, the done ones get the guard and are published again after the
 * disconnect (clear) or without it (control); WINDOW_MS sampling only. */
static struct outcome run_disconnect(struct bed *t, bool clear)
{
    struct outcome o;
    unsigned long used0, msix0, mask0;
    unsigned int s;

    memset(&o, 0, sizeof(o));
    vblk_issue_all(&t->dev);
    keep_busy(t, WARM_MS, 8);
    wait_fresh(t);
    o.inflight = vblk_posted_slots(&t->dev);
    mask0 = t->dev.completed + t->dev.failed;
    o.fresh = vblk_done_slots(&t->dev);
    for (s = 0; s < VBLK_SLOTS; s++)
        if (o.fresh & (1u << s))
            qts_memset(t->b->q, vblk_slot_data(&t->dev, s), GUARD_BYTE,
                       VBLK_CMD_BYTES);
    o.before = count_landed(t, o.inflight);
    vblk_sample(&t->dev);
    msix_poll(&t->dev.vp.msix);
    used0 = t->dev.completed + t->dev.failed;
    if (clear) {
        drvbed_disconnect(t->b, t->dev.vp.sbdf);
        /* QEMU has processed the write: what this sample finds was
         * written before it. */
        vblk_sample(&t->dev);
        msix_poll(&t->dev.vp.msix);
    }
    o.racing = t->dev.completed + t->dev.failed - used0;
    used0 = t->dev.completed + t->dev.failed;
    msix0 = t->dev.vp.msix.total;
    vblk_issue_slots(&t->dev, o.fresh);
    wait_window(t, o.inflight, clear);
    o.in = count_landed(t, o.inflight);
    o.new = count_landed(t, o.fresh);
    o.used = t->dev.completed + t->dev.failed - used0;
    o.since_mask = t->dev.completed + t->dev.failed - mask0;
    o.msix = t->dev.vp.msix.total - msix0;
    o.status = virtio_pci_status(&t->dev.vp);
    drvbed_check(t->b);
    printf("virtio-blk, QEMU %s, bus master %s: in flight %u reads (%u "
           "landed before, %lu completions racing the disconnect): %u "
           "whole, %u partial, %u none; published after: %u reads: %u "
           "whole, %u partial, %u none; used entries %lu, MSI-X %lu, device "
           "status 0x%02x\n", t->b->version, clear ? "off" : "on",
           popcount(o.inflight), o.before.whole, o.racing, o.in.whole,
           o.in.partial, o.in.none, popcount(o.fresh), o.new.whole,
           o.new.partial, o.new.none, o.used, o.msix, o.status);
    return o;
}

static void test_reads_land_whole_and_signal_msix(void **state)
{
    struct bed *t = bed_start(state);
    unsigned int s, checked = 0;

    vblk_issue_all(&t->dev);
    keep_busy(t, WARM_MS, 40);
    assert_int_equal(t->dev.failed, 0);
    assert_true(t->dev.vp.msix.count[1] > 0);
    for (s = 0; s < VBLK_SLOTS; s++) {
        if (t->dev.slot[s] != VBLK_SLOT_DONE)
            continue;
        assert_int_equal(vblk_slot_landed(&t->dev, s), VBLK_CMD_BYTES);
        checked++;
    }
    assert_true(checked > 0);
    printf("virtio-blk, QEMU %s: %lu reads completed, %lu MSI-X messages\n",
           t->b->version, t->dev.completed, t->dev.vp.msix.total);
}

static void test_bus_master_off_clears_driver_ok_reads_land_unannounced(
    void **state)
{
    struct bed *t = bed_start(state);
    struct outcome o = run_disconnect(t, true);

    assert_true(popcount(o.inflight) > 0);
    assert_true(popcount(o.fresh) >= FRESH_SLOTS);
    assert_int_equal(o.status & VIRTIO_STATUS_DRIVER_OK, 0);
    /* Reads in flight land whole, after the disconnect, unannounced. */
    assert_int_equal(o.in.whole, popcount(o.inflight));
    assert_true(o.in.whole > o.before.whole);
    assert_int_equal(o.used, 0);
    /* Nothing published after the disconnect lands. */
    assert_int_equal(o.new.whole + o.new.partial, 0);
    assert_int_equal(o.msix, 0);
}

static void test_bus_master_on_control_lands_new_reads(void **state)
{
    struct bed *t = bed_start(state);
    struct outcome o = run_disconnect(t, false);

    assert_true(popcount(o.fresh) >= FRESH_SLOTS);
    assert_true(o.status & VIRTIO_STATUS_DRIVER_OK);
    assert_int_equal(o.new.whole, popcount(o.fresh));
    assert_int_equal(o.in.whole, popcount(o.inflight));
    assert_int_equal(o.since_mask, popcount(o.inflight) + popcount(o.fresh));
    assert_true(o.msix > 0);
}

/* --- virtio-net --------------------------------------------------------- */

#define NET_FRAMES      20

static struct bed *net_start(void **state)
{
    struct bed *t = calloc(1, sizeof(*t));
    char netdev[512], device[160];
    const char *argv[6];
    int func;

    assert_non_null(t);
    t->net.sock = -1;
    *state = t;
    t->b = drvbed_new();
    assert_int_equal(vnet_qemu_args(0, qts_tmpdir(t->b->q), netdev,
                                     sizeof(netdev), device, sizeof(device)),
                     0);
    vnet_open(&t->net, t->b->q, 0, SEED);
    drvbed_check(t->b);
    argv[0] = "-netdev";
    argv[1] = netdev;
    argv[2] = "-device";
    argv[3] = device;
    argv[4] = NULL;
    drvbed_start(t->b, argv);
    func = drvbed_find(t->b, VIRTIO_VENDOR, VIRTIO_DEVICE_NET, 0);
    vnet_setup(&t->net, &t->b->bus, func, t->b->g, NULL);
    drvbed_check(t->b);
    return t;
}

/* Send n frames, one every 10 ms, sampling; wait up to ms for rx_done to
 * reach want. */
static void net_send_and_wait(struct bed *t, unsigned int n, unsigned int want,
                              unsigned int ms)
{
    uint64_t end = clock_ms_u64() + ms;
    unsigned int k;

    for (k = 0; k < n; k++) {
        vnet_send_frame(&t->net);
        clock_sleep_ms(10);
    }
    do {
        vnet_sample(&t->net);
        msix_poll(&t->net.vp.msix);
        drvbed_check(t->b);
        if (t->net.rx_done >= want)
            return;
        clock_sleep_ms(10);
    } while (clock_ms_u64() < end);
}

/* Buffers whose bytes differ from zero, of those not yet used. */
static unsigned int net_unused_written(struct bed *t)
{
    static uint8_t buf[VNET_RX_BUF], zero[VNET_RX_BUF];
    bool used[VNET_RX_BUFS] = { false };
    unsigned int i, n = 0;

    for (i = 0; i < t->net.rx_done; i++)
        used[t->net.used_id[i]] = true;
    for (i = 0; i < VNET_RX_BUFS; i++) {
        if (used[i])
            continue;
        qts_memread(t->b->q, vnet_buf(&t->net, i), buf, sizeof(buf));
        drvbed_check(t->b);
        n += memcmp(buf, zero, sizeof(buf)) != 0;
    }
    return n;
}

static void test_net_frames_land_after_the_header(void **state)
{
    struct bed *t = net_start(state);
    uint8_t got[VNET_FRAME_LEN], want[VNET_FRAME_LEN];
    unsigned int i;

    net_send_and_wait(t, NET_FRAMES, NET_FRAMES, 10000);
    assert_int_equal(t->net.frames_dropped, 0);
    assert_int_equal(t->net.rx_done, NET_FRAMES);
    for (i = 0; i < NET_FRAMES; i++) {
        qts_memread(t->b->q, vnet_buf(&t->net, t->net.used_id[i]) +
                             VNET_HDR_LEN, got, sizeof(got));
        vnet_frame_bytes(SEED, 0, i, want, sizeof(want));
        assert_memory_equal(got, want, sizeof(want));
    }
    assert_true(t->net.vp.msix.count[1] > 0);
    printf("virtio-net, QEMU %s: %u frames in %u buffers, %lu MSI-X "
           "messages\n", t->b->version, t->net.rx_done, NET_FRAMES,
           t->net.vp.msix.total);
}

/* Frames before, then the disconnect (or not), then NET_FRAMES more. */
static unsigned int net_run(struct bed *t, bool clear, unsigned long *msix,
                            uint8_t *status)
{
    unsigned int before;
    unsigned long m0;

    net_send_and_wait(t, NET_FRAMES, NET_FRAMES, 10000);
    assert_int_equal(t->net.rx_done, NET_FRAMES);
    before = t->net.rx_done;
    msix_poll(&t->net.vp.msix);
    m0 = t->net.vp.msix.total;
    if (clear)
        drvbed_disconnect(t->b, t->net.vp.sbdf);
    net_send_and_wait(t, NET_FRAMES, 2 * NET_FRAMES, clear ? 1500 : 10000);
    *msix = t->net.vp.msix.total - m0;
    *status = virtio_pci_status(&t->net.vp);
    printf("virtio-net, QEMU %s, bus master %s: %u frames sent after, %u "
           "used entries after, %u unused buffers written, MSI-X %lu, device "
           "status 0x%02x\n", t->b->version, clear ? "off" : "on",
           NET_FRAMES, t->net.rx_done - before, net_unused_written(t), *msix,
           *status);
    return t->net.rx_done - before;
}

static void test_net_bus_master_off_takes_no_frame(void **state)
{
    struct bed *t = net_start(state);
    unsigned long msix;
    uint8_t status;

    assert_int_equal(net_run(t, true, &msix, &status), 0);
    assert_int_equal(net_unused_written(t), 0);
    assert_int_equal(msix, 0);
    assert_int_equal(status & VIRTIO_STATUS_DRIVER_OK, 0);
}

static void test_net_bus_master_on_control_takes_frames(void **state)
{
    struct bed *t = net_start(state);
    unsigned long msix;
    uint8_t status;

    assert_int_equal(net_run(t, false, &msix, &status), NET_FRAMES);
    assert_true(msix > 0);
    assert_true(status & VIRTIO_STATUS_DRIVER_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_reads_land_whole_and_signal_msix,
                                  bed_teardown),
        cmocka_unit_test_teardown(
            test_bus_master_off_clears_driver_ok_reads_land_unannounced,
                                  bed_teardown),
        cmocka_unit_test_teardown(test_bus_master_on_control_lands_new_reads,
                                  bed_teardown),
        cmocka_unit_test_teardown(test_net_frames_land_after_the_header,
                                  bed_teardown),
        cmocka_unit_test_teardown(test_net_bus_master_off_takes_no_frame,
                                  bed_teardown),
        cmocka_unit_test_teardown(test_net_bus_master_on_control_takes_frames,
                                  bed_teardown),
    };

    return cmocka_run_group_tests_name("virtio_driver", tests, NULL, NULL);
}
