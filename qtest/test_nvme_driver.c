/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The NVMe driver (sim/dev/nvme.h) against QEMU's nvme model: reads with
 * PRP lists land whole in the caller's buffers, and what Bus Master off
 * does to reads in flight and to reads posted after it.
 *
 * Each test starts its own QEMU (the one $PCIDC_QEMU names: the suite
 * runs on QEMU 7.2 and 10.0) and leaves none behind.  The disk is
 * throttled so that the full queue (NVME_SLOTS x 64 KiB) takes about two
 * seconds to drain.
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
#include "dev/nvme.h"
#include "dev/nvme_sriov.h"
#include "drvbed.h"
#include "pci/pci_regs.h"

#define SEED            7
#define THROTTLE_BPS    (2 * 1024 * 1024)
#define WARM_MS         10000   /* bound on "the queue is running" */
#define WINDOW_MS       2000    /* at least, after the disconnect (or not) */
#define WINDOW_MAX_MS   30000   /* at most, for the in-flight ones to land */
#define GUARD_BYTE      0xa5
#define FRESH_SLOTS     8       /* reads posted after the disconnect */
#define NVME_VENDOR     0x1b36
#define NVME_DEVICE     0x0010

struct bed {
    struct drvbed *b;
    struct nvme_dev dev;        /* the controller doing the reads */
    struct nvme_dev pf;         /* SR-IOV beds: the physical function */
    uint16_t vf_vendor;         /* what the VF's vendor ID reads */
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

/* QEMU with one throttled NVMe controller, driver set up, reads queued. */
static struct bed *bed_start(void **state)
{
    struct bed *t = calloc(1, sizeof(*t));
    char drive[512], device[128];
    const char *argv[6];
    int func;

    assert_non_null(t);
    *state = t;
    t->b = drvbed_new();
    nvme_qemu_args(t->b->q, 0, SEED, THROTTLE_BPS, drive, sizeof(drive),
                   device, sizeof(device));
    drvbed_check(t->b);
    argv[0] = "-drive";
    argv[1] = drive;
    argv[2] = "-device";
    argv[3] = device;
    argv[4] = NULL;
    drvbed_start(t->b, argv);
    func = drvbed_find(t->b, NVME_VENDOR, NVME_DEVICE, 0);
    nvme_setup(&t->dev, t->b->q, &t->b->bus, func, 0, SEED, t->b->g, NULL);
    drvbed_check(t->b);
    return t;
}

/* QEMU with an SR-IOV NVMe PF; VF 0 of two online, driven for reads. */
static struct bed *bed_start_vf(void **state)
{
    struct bed *t = calloc(1, sizeof(*t));
    struct nvme_sriov_args a;
    const char *argv[10];
    int func, vf;

    assert_non_null(t);
    *state = t;
    t->b = drvbed_new();
    nvme_sriov_qemu_args(t->b->q, 0, SEED, THROTTLE_BPS, &a);
    drvbed_check(t->b);
    argv[0] = "-drive";
    argv[1] = a.drive;
    argv[2] = "-device";
    argv[3] = a.subsys;
    argv[4] = "-device";
    argv[5] = a.ctrl;
    argv[6] = "-device";
    argv[7] = a.ns;
    argv[8] = NULL;
    drvbed_start(t->b, argv);
    func = drvbed_find(t->b, NVME_VENDOR, NVME_DEVICE, 0);
    nvme_setup_admin(&t->pf, t->b->q, &t->b->bus, func, 0, SEED, t->b->g,
                     NULL);
    vf = nvme_sriov_enable(&t->pf, NVME_SRIOV_MAX_VFS, 0);
    drvbed_check(t->b);
    t->vf_vendor = qpci_cfg_read16(&t->b->bus, t->b->bus.func[vf].sbdf,
                                   PCI_VENDOR_ID);
    nvme_setup(&t->dev, t->b->q, &t->b->bus, vf, 0, SEED, t->b->g, NULL);
    drvbed_check(t->b);
    return t;
}

/* The live driver for up to ms: sample, count MSI-X, ack, re-issue;
 * returns when at least want reads completed, before re-issuing them. */
static void keep_busy(struct bed *t, unsigned int ms, unsigned long want)
{
    uint64_t end = clock_ms_u64() + ms;

    do {
        nvme_sample(&t->dev);
        msix_poll(&t->dev.msix);
        nvme_ack(&t->dev);
        drvbed_check(t->b);
        if (t->dev.completed >= want)
            return;
        nvme_issue_slots(&t->dev, nvme_done_slots(&t->dev));
        clock_sleep_ms(5);
    } while (clock_ms_u64() < end);
    fail_msg("QEMU %s: %lu reads completed in %u ms, wanted %lu",
             t->b->version, t->dev.completed, ms, want);
}

static void guard_slots(struct bed *t, uint32_t mask)
{
    unsigned int s;

    for (s = 0; s < NVME_SLOTS; s++)
        if (mask & (1u << s))
            qts_memset(t->b->q, nvme_slot_data(&t->dev, s), GUARD_BYTE,
                       NVME_CMD_BYTES);
    drvbed_check(t->b);
}

struct landing {
    unsigned int whole, partial, none;
};

static struct landing count_landed(struct bed *t, uint32_t mask)
{
    struct landing l = { 0, 0, 0 };
    unsigned int s;

    for (s = 0; s < NVME_SLOTS; s++) {
        long n;

        if (!(mask & (1u << s)))
            continue;
        n = nvme_slot_landed(&t->dev, s);
        drvbed_check(t->b);
        if (n == NVME_CMD_BYTES)
            l.whole++;
        else if (n > 0)
            l.partial++;
        else
            l.none++;
    }
    return l;
}

static unsigned int popcount(uint32_t m)
{
    return (unsigned int)__builtin_popcount(m);
}

/* What one run measured after the disconnect (or, for the control, the
 * same moment without it). */
struct outcome {
    uint32_t inflight, fresh;
    struct landing before;      /* in-flight reads landed at the disconnect */
    struct landing in, new;
    unsigned long entries, msix;
    uint32_t csts;
    unsigned long since_mask;   /* entries since the in-flight mask */
    unsigned long racing;       /* entries seen between the last sample
                                   before the disconnect and the first
                                   after it: written before it */
};

/*
 * Sample for at least WINDOW_MS; then, every 500 ms, stop once done: with
 * Bus Master on every read completed, with it off every in-flight read
 * landed whole.  At most WINDOW_MAX_MS.
 */
static void wait_window(struct bed *t, uint32_t inflight, bool clear)
{
    uint64_t start = clock_ms_u64(), next = start + WINDOW_MS;

    for (;;) {
        uint64_t now = clock_ms_u64();

        nvme_sample(&t->dev);
        msix_poll(&t->dev.msix);
        drvbed_check(t->b);
        if (now >= start + WINDOW_MAX_MS)
            return;
        if (now >= next) {
            if (!clear && !nvme_posted_slots(&t->dev))
                return;
            if (clear &&
                count_landed(t, inflight).whole == popcount(inflight))
                return;
            next = now + 500;
        }
        clock_sleep_ms(20);
    }
}

/*
 * Queue running; then the slots still posted are "in flight"; the others
 * get the guard pattern; Bus Master off (when clear); the others are
 * posted again (doorbell after the disconnect: NEW requests); WINDOW_MS
 * with no driver acking, sampling only.
 */
static struct outcome run_disconnect(struct bed *t, uint32_t clear_sbdf)
{
    bool clear = clear_sbdf != 0;
    struct outcome o;
    unsigned long entries0, msix0, mask0;
    uint64_t end;

    memset(&o, 0, sizeof(o));
    nvme_issue_all(&t->dev);
    keep_busy(t, WARM_MS, 8);
    /* Without re-issuing, until FRESH_SLOTS reads are done. */
    end = clock_ms_u64() + WARM_MS;
    do {
        nvme_sample(&t->dev);
        nvme_ack(&t->dev);
        drvbed_check(t->b);
        clock_sleep_ms(5);
    } while (popcount(nvme_done_slots(&t->dev)) < FRESH_SLOTS &&
             clock_ms_u64() < end);
    o.inflight = nvme_posted_slots(&t->dev);
    mask0 = t->dev.completed + t->dev.failed;
    o.fresh = nvme_done_slots(&t->dev);
    guard_slots(t, o.fresh);
    o.before = count_landed(t, o.inflight);
    nvme_sample(&t->dev);
    msix_poll(&t->dev.msix);
    entries0 = t->dev.completed + t->dev.failed;
    if (clear) {
        drvbed_disconnect(t->b, clear_sbdf);
        /*
         * QEMU has processed the write: from here its completion writes go
         * through a disabled bus-master space, so what this sample finds
         * was written before.
         */
        nvme_sample(&t->dev);
        msix_poll(&t->dev.msix);
    }
    o.racing = t->dev.completed + t->dev.failed - entries0;
    entries0 = t->dev.completed + t->dev.failed;
    msix0 = t->dev.msix.total;
    nvme_issue_slots(&t->dev, o.fresh);
    wait_window(t, o.inflight, clear);
    o.in = count_landed(t, o.inflight);
    o.new = count_landed(t, o.fresh);
    o.entries = t->dev.completed + t->dev.failed - entries0;
    o.since_mask = t->dev.completed + t->dev.failed - mask0;
    o.msix = t->dev.msix.total - msix0;
    o.csts = nvme_csts(&t->dev);
    drvbed_check(t->b);
    printf("nvme %04x, QEMU %s, bus master of %04x %s: in flight %u reads "
           "(%u landed before, %lu completions racing the disconnect): %u "
           "whole, %u partial, %u none; posted after: %u reads: %u whole, %u "
           "partial, %u none; completion entries %lu, MSI-X %lu, CSTS 0x%x\n",
           t->dev.sbdf, t->b->version, clear ? clear_sbdf : t->dev.sbdf,
           clear ? "off" : "on", popcount(o.inflight),
           o.before.whole, o.racing, o.in.whole, o.in.partial, o.in.none,
           popcount(o.fresh),
           o.new.whole, o.new.partial, o.new.none, o.entries, o.msix,
           o.csts);
    return o;
}

/*
 * Bus Master off: every read in flight lands whole, some after the
 * disconnect; no read posted after it lands a byte; nothing completes or
 * signals through the bus-master space.
 */
static void assert_stopped(const struct outcome *o)
{
    assert_true(popcount(o->inflight) > 0);
    assert_true(popcount(o->fresh) >= FRESH_SLOTS);
    assert_int_equal(o->in.whole, popcount(o->inflight));
    assert_true(o->in.whole > o->before.whole);
    assert_int_equal(o->new.whole + o->new.partial, 0);
    assert_int_equal(o->entries, 0);
    assert_int_equal(o->msix, 0);
}

/* Bus Master on: everything lands, completes and signals. */
static void assert_kept_going(const struct outcome *o)
{
    assert_true(popcount(o->fresh) >= FRESH_SLOTS);
    assert_int_equal(o->new.whole, popcount(o->fresh));
    assert_int_equal(o->in.whole, popcount(o->inflight));
    assert_int_equal(o->since_mask,
                     popcount(o->inflight) + popcount(o->fresh));
    assert_true(o->msix > 0);
}

/* --- tests --------------------------------------------------------------- */

static void test_reads_with_prp_lists_land_whole_and_signal_msix(void **state)
{
    struct bed *t = bed_start(state);
    unsigned int s, checked = 0;

    nvme_issue_all(&t->dev);
    keep_busy(t, WARM_MS, 40);
    assert_int_equal(t->dev.failed, 0);
    assert_true(t->dev.msix.count[1] > 0);
    for (s = 0; s < NVME_SLOTS; s++) {
        if (t->dev.slot[s] != NVME_SLOT_DONE)
            continue;
        assert_int_equal(nvme_slot_landed(&t->dev, s), NVME_CMD_BYTES);
        checked++;
    }
    assert_true(checked > 0);
    printf("nvme, QEMU %s: %lu reads (%" PRIu64 " bytes) completed, %lu "
           "MSI-X messages\n", t->b->version, t->dev.completed, t->dev.bytes,
           t->dev.msix.total);
}

static void test_bus_master_off_lands_inflight_reads_and_nothing_new(
    void **state)
{
    struct bed *t = bed_start(state);
    struct outcome o = run_disconnect(t, t->dev.sbdf);

    assert_stopped(&o);
}

static void test_bus_master_on_control_lands_new_reads(void **state)
{
    struct bed *t = bed_start(state);
    struct outcome o = run_disconnect(t, 0);

    assert_kept_going(&o);
}

static void test_vf_reads_land_whole(void **state)
{
    struct bed *t = bed_start_vf(state);

    printf("nvme VF %04x of PF %04x, QEMU %s: vendor ID reads 0x%04x, "
           "controller %u, %u MSI-X vector(s)\n", t->dev.sbdf, t->pf.sbdf,
           t->b->version, t->vf_vendor, t->dev.cntlid, t->dev.msix.vectors);
    nvme_issue_all(&t->dev);
    keep_busy(t, WARM_MS, 24);
    assert_int_equal(t->dev.failed, 0);
    assert_true(t->dev.msix.total > 0);
    assert_int_equal(t->vf_vendor, 0xffff);
}

static void test_vf_bus_master_off_stops_like_pf(void **state)
{
    struct bed *t = bed_start_vf(state);
    struct outcome o = run_disconnect(t, t->dev.sbdf);

    assert_stopped(&o);
}

static void test_pf_bus_master_off_leaves_vf_running(void **state)
{
    struct bed *t = bed_start_vf(state);
    struct outcome o = run_disconnect(t, t->pf.sbdf);

    assert_kept_going(&o);
}

/*
 * SR-IOV lives in extended config space (0x100 on): behind a pcie-root-port
 * the PF's capability is found, behind a conventional pci-bridge it is not
 * (the bridge forwards the first 256 bytes only), so no VF can be enabled
 * there.  crashsim refuses vfs= behind bridge(...) for that reason.
 */
static void test_sriov_capability_hidden_behind_a_conventional_bridge(
    void **state)
{
    struct bed *t = calloc(1, sizeof(*t));
    struct nvme_sriov_args a[2];
    char ctrl[2][320], ns[2][128];
    const char *argv[24];
    struct qpci_sriov sr;
    unsigned int i, n = 0;
    int behind_bridge = -1, behind_port = -1;

    assert_non_null(t);
    *state = t;
    t->b = drvbed_new();
    argv[n++] = "-device";
    argv[n++] = "pci-bridge,id=br0,bus=pcie.0,addr=03.0,chassis_nr=1";
    argv[n++] = "-device";
    argv[n++] = "pcie-root-port,id=rp0,bus=pcie.0,addr=04.0,chassis=2,slot=2";
    for (i = 0; i < 2; i++) {
        nvme_sriov_qemu_args(t->b->q, i, SEED, THROTTLE_BPS, &a[i]);
        snprintf(ctrl[i], sizeof(ctrl[i]), "%s,id=nv%u,bus=%s,addr=00.0",
                 a[i].ctrl, i, i ? "rp0" : "br0");
        snprintf(ns[i], sizeof(ns[i]), "%s,bus=nv%u", a[i].ns, i);
        argv[n++] = "-drive";
        argv[n++] = a[i].drive;
        argv[n++] = "-device";
        argv[n++] = a[i].subsys;
        argv[n++] = "-device";
        argv[n++] = ctrl[i];
        argv[n++] = "-device";
        argv[n++] = ns[i];
    }
    argv[n] = NULL;
    drvbed_check(t->b);
    drvbed_start(t->b, argv);
    for (i = 0; i < 2; i++) {
        int f = drvbed_find(t->b, NVME_VENDOR, NVME_DEVICE, i);
        int up = t->b->bus.func[f].parent;

        assert_true(up >= 0);
        if (t->b->bus.func[up].pcie)
            behind_port = f;
        else
            behind_bridge = f;
    }
    assert_true(behind_port >= 0 && behind_bridge >= 0);
    assert_int_equal(qpci_sriov_probe(&t->b->bus, behind_port, &sr), 0);
    assert_int_equal(sr.total_vfs, NVME_SRIOV_MAX_VFS);
    printf("nvme behind a pcie-root-port, QEMU %s: SR-IOV capability at "
           "0x%x, TotalVFs %u\n", t->b->version, sr.cap, sr.total_vfs);
    /* The sticky error ends the bed: this check comes last. */
    assert_int_equal(qpci_sriov_probe(&t->b->bus, behind_bridge, &sr), -1);
    assert_non_null(strstr(qts_error(t->b->q), "has no SR-IOV capability"));
    printf("nvme behind a pci-bridge, QEMU %s: %s\n", t->b->version,
           qts_error(t->b->q));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(
            test_reads_with_prp_lists_land_whole_and_signal_msix,
            bed_teardown),
        cmocka_unit_test_teardown(
            test_bus_master_off_lands_inflight_reads_and_nothing_new,
            bed_teardown),
        cmocka_unit_test_teardown(test_bus_master_on_control_lands_new_reads,
                                  bed_teardown),
        cmocka_unit_test_teardown(test_vf_reads_land_whole, bed_teardown),
        cmocka_unit_test_teardown(test_vf_bus_master_off_stops_like_pf,
                                  bed_teardown),
        cmocka_unit_test_teardown(test_pf_bus_master_off_leaves_vf_running,
                                  bed_teardown),
        cmocka_unit_test_teardown(
            test_sriov_capability_hidden_behind_a_conventional_bridge,
            bed_teardown),
    };

    return cmocka_run_group_tests_name("nvme_driver", tests, NULL, NULL);
}
