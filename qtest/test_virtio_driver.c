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
#include "drvbed.h"
#include "pci/pci_regs.h"

#define SEED            11
#define THROTTLE_BPS    (1024 * 1024)
#define WARM_MS         5000
#define WINDOW_MS       3000
#define GUARD_BYTE      0x5a
#define FRESH_SLOTS     8

struct bed {
    struct drvbed *b;
    struct vblk_dev dev;
};

static int bed_teardown(void **state)
{
    struct bed *t = *state;

    if (t) {
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
    const char *argv[6];
    int func;

    assert_non_null(t);
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

/* As in test_nvme_driver.c: queue running, then the posted slots are in
 * flight, the done ones get the guard and are published again after the
 * disconnect (clear) or without it (control); WINDOW_MS sampling only. */
static struct outcome run_disconnect(struct bed *t, bool clear)
{
    struct outcome o;
    unsigned long used0, msix0;
    unsigned int s;
    uint64_t end;

    memset(&o, 0, sizeof(o));
    vblk_issue_all(&t->dev);
    keep_busy(t, WARM_MS, 8);
    wait_fresh(t);
    o.inflight = vblk_posted_slots(&t->dev);
    o.fresh = vblk_done_slots(&t->dev);
    for (s = 0; s < VBLK_SLOTS; s++)
        if (o.fresh & (1u << s))
            qts_memset(t->b->q, vblk_slot_data(&t->dev, s), GUARD_BYTE,
                       VBLK_CMD_BYTES);
    msix_poll(&t->dev.vp.msix);
    o.before = count_landed(t, o.inflight);
    used0 = t->dev.completed + t->dev.failed;
    msix0 = t->dev.vp.msix.total;
    if (clear)
        drvbed_disconnect(t->b, t->dev.vp.sbdf);
    vblk_issue_slots(&t->dev, o.fresh);
    end = clock_ms_u64() + WINDOW_MS;
    while (clock_ms_u64() < end) {
        vblk_sample(&t->dev);
        msix_poll(&t->dev.vp.msix);
        drvbed_check(t->b);
        clock_sleep_ms(20);
    }
    o.in = count_landed(t, o.inflight);
    o.new = count_landed(t, o.fresh);
    o.used = t->dev.completed + t->dev.failed - used0;
    o.msix = t->dev.vp.msix.total - msix0;
    o.status = virtio_pci_status(&t->dev.vp);
    drvbed_check(t->b);
    printf("virtio-blk, QEMU %s, bus master %s: in flight %u reads (%u "
           "landed before): %u whole, %u partial, %u none; published after: "
           "%u reads: %u whole, %u partial, %u none; used entries %lu, MSI-X "
           "%lu, device status 0x%02x\n", t->b->version, clear ? "off" : "on",
           popcount(o.inflight), o.before.whole, o.in.whole, o.in.partial,
           o.in.none, popcount(o.fresh), o.new.whole, o.new.partial,
           o.new.none, o.used, o.msix, o.status);
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

static void test_bus_master_off_clears_driver_ok_inflight_land_unannounced(void **state)
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
    assert_int_equal(o.used, popcount(o.inflight) + popcount(o.fresh));
    assert_true(o.msix > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_reads_land_whole_and_signal_msix,
                                  bed_teardown),
        cmocka_unit_test_teardown(test_bus_master_off_clears_driver_ok_inflight_land_unannounced,
                                  bed_teardown),
        cmocka_unit_test_teardown(test_bus_master_on_control_lands_new_reads,
                                  bed_teardown),
    };

    return cmocka_run_group_tests_name("virtio_driver", tests, NULL, NULL);
}
