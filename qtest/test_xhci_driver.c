/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The xHCI driver (sim/dev/xhci.h) against QEMU's qemu-xhci with no USB
 * device: No Op commands complete with Command Completion Events written
 * into the event ring and MSI-X messages, and what Bus Master off does to
 * commands fetched before it, commands posted before it and rung after
 * it, and an event the controller raises with nothing to fetch (Command
 * Abort).
 *
 * QEMU's xHCI fetches and completes the commands inside the doorbell
 * write: a command fetched before the COMMAND write has its event in
 * memory before that write is even sent.  Each test starts its own QEMU
 * (the one $PCIDC_QEMU names: the suite runs on QEMU 7.2 and 10.0) and
 * leaves none behind.  The last test runs crashsim's xhci item (a
 * doorbell at every tick, sim/engine/dev_xhci.c) under none and pcidc.
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
#include "crashsim_run.h"
#include "dev/xhci.h"
#include "drvbed.h"
#include "pci/pci_regs.h"

#define WARM_MS         10000   /* bound on "the ring is running" */
#define WARM_EVENTS     500
#define WINDOW_MS       1000    /* sampled after the disconnect (or not) */
#define FETCHED         16      /* rung before the disconnect */
#define POSTED          16      /* posted before it, rung after it */

struct bed {
    struct drvbed *b;
    struct xhci_dev dev;
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

/* QEMU with one qemu-xhci, driver set up and running. */
static struct bed *bed_start(void **state)
{
    struct bed *t = calloc(1, sizeof(*t));
    const char *argv[] = { "-device", XHCI_QEMU_DEVICE, NULL };
    int func;

    assert_non_null(t);
    *state = t;
    t->b = drvbed_new();
    drvbed_require(t->b, XHCI_QEMU_DEVICE, "the xHCI suite");
    drvbed_start(t->b, argv);
    func = drvbed_find(t->b, XHCI_VENDOR, XHCI_DEVICE, 0);
    xhci_setup(&t->dev, t->b->q, &t->b->bus, func, 0, t->b->g, NULL);
    drvbed_check(t->b);
    return t;
}

/* The live driver: sample, count MSI-X, ack. */
static void service(struct bed *t)
{
    xhci_sample(&t->dev);
    msix_poll(&t->dev.msix);
    xhci_ack(&t->dev);
    drvbed_check(t->b);
}

/* The live driver for up to ms: keep the ring full until want commands
 * completed; then let every outstanding one complete. */
static void keep_busy(struct bed *t, unsigned int ms, unsigned long want)
{
    uint64_t end = clock_ms_u64() + ms;

    do {
        service(t);
        if (t->dev.completed >= want && !t->dev.outstanding)
            return;
        if (t->dev.completed < want)
            xhci_fill(&t->dev);
        drvbed_check(t->b);
    } while (clock_ms_u64() < end);
    fail_msg("QEMU %s: %lu commands completed in %u ms, wanted %lu (%u "
             "outstanding)", t->b->version, t->dev.completed, ms, want,
             t->dev.outstanding);
}

/* Sample (no ack) for WINDOW_MS; returns the new events. */
static unsigned long sample_window(struct bed *t)
{
    unsigned long events0 = t->dev.completed + t->dev.failed +
                            t->dev.stopped + t->dev.other;
    uint64_t end = clock_ms_u64() + WINDOW_MS;

    do {
        xhci_sample(&t->dev);
        msix_poll(&t->dev.msix);
        drvbed_check(t->b);
        clock_sleep_ms(20);
    } while (clock_ms_u64() < end);
    return t->dev.completed + t->dev.failed + t->dev.stopped + t->dev.other -
           events0;
}

static unsigned long events_of(const struct xhci_dev *d)
{
    return d->completed + d->failed + d->stopped + d->other;
}

static unsigned int bit(uint32_t v, uint32_t mask)
{
    return (v & mask) ? 1 : 0;
}

/* What one run measured. */
struct outcome {
    unsigned long fetched_landed;   /* events of the FETCHED batch seen
                                       before the COMMAND write */
    unsigned long racing;           /* seen right after it */
    unsigned long after;            /* during the window after the doorbell
                                       for the POSTED batch */
    unsigned long msix;             /* MSI-X messages in that window */
    uint32_t usbsts;                /* at the end of the window */
    unsigned long resumed;          /* Bus Master back on, doorbell again */
};

/*
 * Ring running; FETCHED No Ops rung and their events taken and acked (the
 * live driver); POSTED No Ops written without the doorbell; Bus Master
 * off (when clear); the doorbell for them (a driver still running on
 * another CPU); WINDOW_MS sampling without acking.  Then, with Bus Master
 * off, Bus Master back on and the doorbell again.
 */
static struct outcome run_disconnect(struct bed *t, bool clear)
{
    struct xhci_dev *d = &t->dev;
    struct outcome o;
    unsigned long events0, msix0;

    memset(&o, 0, sizeof(o));
    keep_busy(t, WARM_MS, WARM_EVENTS);
    events0 = events_of(d);
    xhci_post_noops(d, FETCHED);
    xhci_ring_doorbell(d);
    service(t);
    o.fetched_landed = events_of(d) - events0;
    xhci_post_noops(d, POSTED);
    drvbed_check(t->b);
    events0 = events_of(d);
    if (clear)
        drvbed_disconnect(t->b, d->sbdf);
    xhci_sample(d);
    msix_poll(&d->msix);
    drvbed_check(t->b);
    o.racing = events_of(d) - events0;
    msix0 = d->msix.total;
    xhci_ring_doorbell(d);
    o.after = sample_window(t);
    o.msix = d->msix.total - msix0;
    o.usbsts = xhci_usbsts(d);
    drvbed_check(t->b);
    if (clear) {
        events0 = events_of(d);
        qpci_enable(&t->b->bus, d->sbdf, PCI_COMMAND_MASTER);
        xhci_ring_doorbell(d);
        o.resumed = sample_window(t);
    }
    printf("xhci %04x, QEMU %s, bus master %s: fetched before it %u "
           "(events landed before the COMMAND write %lu), racing it %lu; "
           "posted before it and rung after it %u: events %lu, MSI-X %lu, "
           "USBSTS 0x%x (HSE %u, HCE %u, HCH %u)",
           d->sbdf, t->b->version, clear ? "off" : "on", FETCHED,
           o.fetched_landed, o.racing, POSTED, o.after, o.msix, o.usbsts,
           bit(o.usbsts, XHCI_STS_HSE), bit(o.usbsts, XHCI_STS_HCE),
           bit(o.usbsts, XHCI_STS_HCH));
    if (clear)
        printf("; bus master back on, doorbell: events %lu", o.resumed);
    printf("\n");
    fflush(stdout);
    return o;
}

/* What a Command Abort measured. */
struct abort_outcome {
    unsigned long events, stopped, msix;
    uint32_t usbsts;
    /* Bus Master off only: back on, one No Op rung. */
    unsigned long seen_after;       /* events the consumer takes */
    uint32_t next_control, next_status; /* the TRB one past the consumer */
};

/*
 * Ring running and drained; Bus Master off (when clear); Command Abort:
 * QEMU raises a Command Completion Event (command ring stopped) with
 * nothing to fetch; WINDOW_MS sampling.  With Bus Master off, then: back
 * on, one No Op and the doorbell; where its event lands.
 */
static struct abort_outcome run_abort(struct bed *t, bool clear)
{
    struct xhci_dev *d = &t->dev;
    struct abort_outcome o;
    unsigned long msix0, events0;
    uint8_t trb[XHCI_TRB_LEN];
    unsigned int next;

    memset(&o, 0, sizeof(o));
    keep_busy(t, WARM_MS, WARM_EVENTS);
    if (clear)
        drvbed_disconnect(t->b, d->sbdf);
    msix0 = d->msix.total;
    xhci_abort_commands(d);
    o.events = sample_window(t);
    o.stopped = d->stopped;
    o.msix = d->msix.total - msix0;
    o.usbsts = xhci_usbsts(d);
    drvbed_check(t->b);
    printf("xhci %04x, QEMU %s, bus master %s: Command Abort: events %lu "
           "(ring stopped %lu), MSI-X %lu, USBSTS 0x%x (HSE %u, HCE %u, HCH "
           "%u)", d->sbdf, t->b->version, clear ? "off" : "on", o.events,
           o.stopped, o.msix, o.usbsts, bit(o.usbsts, XHCI_STS_HSE),
           bit(o.usbsts, XHCI_STS_HCE), bit(o.usbsts, XHCI_STS_HCH));
    if (clear) {
        qpci_enable(&t->b->bus, d->sbdf, PCI_COMMAND_MASTER);
        events0 = events_of(d);
        xhci_post_noops(d, 1);
        xhci_ring_doorbell(d);
        sample_window(t);
        o.seen_after = events_of(d) - events0;
        next = (d->ev_deq + 1) % XHCI_EVENT_TRBS;
        qts_memread(t->b->q, d->event_ring + (uint64_t)next * XHCI_TRB_LEN,
                    trb, sizeof(trb));
        drvbed_check(t->b);
        memcpy(&o.next_status, trb + 8, 4);
        memcpy(&o.next_control, trb + 12, 4);
        printf("; bus master back on, one No Op: events the consumer takes "
               "%lu, TRB past the consumer: type %u, code %u, cycle %u",
               o.seen_after, (o.next_control >> 10) & 0x3f,
               o.next_status >> 24, o.next_control & 1);
    }
    printf("\n");
    fflush(stdout);
    return o;
}

/* --- tests --------------------------------------------------------------- */

static void test_noop_commands_complete_and_signal_msix(void **state)
{
    struct bed *t = bed_start(state);
    uint32_t sts;

    keep_busy(t, WARM_MS, 2000);
    sts = xhci_usbsts(&t->dev);
    drvbed_check(t->b);
    printf("xhci, QEMU %s: %lu No Op commands completed in %lu doorbells, "
           "%lu failed, %lu other events, %lu MSI-X messages (vector 0: "
           "%lu), USBSTS 0x%x\n", t->b->version, t->dev.completed,
           t->dev.doorbells, t->dev.failed, t->dev.other, t->dev.msix.total,
           t->dev.msix.count[0], sts);
    assert_int_equal(t->dev.failed, 0);
    assert_int_equal(t->dev.other, 0);
    assert_true(t->dev.msix.count[0] > 0);
    assert_int_equal(sts & (XHCI_STS_HSE | XHCI_STS_HCE | XHCI_STS_HCH), 0);
}

static void test_bus_master_on_control_completes_posted_commands(
    void **state)
{
    struct bed *t = bed_start(state);
    struct outcome o = run_disconnect(t, false);

    assert_int_equal(o.fetched_landed, FETCHED);
    assert_int_equal(o.racing, 0);
    assert_int_equal(o.after, POSTED);
    assert_true(o.msix > 0);
    assert_int_equal(o.usbsts & (XHCI_STS_HSE | XHCI_STS_HCE |
                                 XHCI_STS_HCH), 0);
    assert_int_equal(t->dev.failed, 0);
}

/*
 * Bus Master off: what was fetched landed before the COMMAND write;
 * nothing lands after it; the doorbell fetches nothing (the read through
 * the disabled bus-master space fails and QEMU stops there quietly); no
 * error bit; the controller keeps running and, with Bus Master back on,
 * completes the commands still posted.
 */
static void test_bus_master_off_lands_nothing_after_the_write(void **state)
{
    struct bed *t = bed_start(state);
    struct outcome o = run_disconnect(t, true);

    assert_int_equal(o.fetched_landed, FETCHED);
    assert_int_equal(o.racing, 0);
    assert_int_equal(o.after, 0);
    assert_int_equal(o.msix, 0);
    assert_int_equal(o.usbsts & (XHCI_STS_HSE | XHCI_STS_HCE |
                                 XHCI_STS_HCH), 0);
    assert_int_equal(o.resumed, POSTED);
    assert_int_equal(t->dev.failed, 0);
}

static void test_command_abort_with_bus_master_on_lands(void **state)
{
    struct bed *t = bed_start(state);
    struct abort_outcome o = run_abort(t, false);

    assert_int_equal(o.events, 1);
    assert_int_equal(o.stopped, 1);
    assert_true(o.msix > 0);
    assert_int_equal(o.usbsts & (XHCI_STS_HSE | XHCI_STS_HCE |
                                 XHCI_STS_HCH), 0);
}

/*
 * Bus Master off: the abort's event is dropped and so is its MSI-X
 * message; QEMU counts the failed write as a host controller error (HCE,
 * not HSE), keeps running, and has moved its enqueue position past the
 * event it could not write: with Bus Master back on the next event lands
 * one TRB past the consumer, behind a hole it never fills, so a driver
 * following the cycle bits sees nothing more.
 */
static void test_command_abort_with_bus_master_off_leaves_a_hole(
    void **state)
{
    struct bed *t = bed_start(state);
    struct abort_outcome o = run_abort(t, true);
    bool cycle = t->dev.ev_cycle;

    if (t->dev.ev_deq == XHCI_EVENT_TRBS - 1)
        cycle = !cycle;
    assert_int_equal(o.events, 0);
    assert_int_equal(o.msix, 0);
    assert_int_equal(o.usbsts & (XHCI_STS_HSE | XHCI_STS_HCE |
                                 XHCI_STS_HCH), XHCI_STS_HCE);
    assert_int_equal(o.seen_after, 0);
    assert_int_equal((o.next_control >> 10) & 0x3f, 33);
    assert_int_equal(o.next_status >> 24, XHCI_CC_SUCCESS);
    assert_int_equal(o.next_control & 1, cycle ? 1 : 0);
}

/* The per-device object of device name in a crashsim run, or fail. */
static const json_t *run_device(const json_t *run, const char *name)
{
    const json_t *d;
    const char *key;

    json_object_foreach(json_object_get(run, "dma_after_crash"), key, d)
        if (!strcmp(run_str(d, "device"), name))
            return d;
    fail_msg("no device %s in the run", name);
    return NULL;
}

/*
 * crashsim, one xHCI on the root bus and one behind a bridge: under none
 * the doorbells of the window complete the commands posted before the
 * crash, whose events land beyond anything in flight; under pcidc nothing
 * lands and no MSI-X arrives.
 */
static void test_crashsim_xhci_none_corrupts_pcidc_stops_it(void **state)
{
    const char *argv[] = { "--topology", "xhci,bridge(xhci)", "--policy",
                           "none,pcidc", "--window-ms", "400", "--seed", "7",
                           NULL };
    struct run *r = run_completed(argv);
    json_t *none = run_policy_ok(r, "none"), *pcidc = run_policy_ok(r, "pcidc");
    const char *name[] = { "xhci_0", "xhci_1" };
    unsigned int i;

    (void)state;
    printf("crashsim xhci,bridge(xhci), %s: none: %lld B beyond in-flight; "
           "pcidc: %lld B beyond in-flight, %lld MSI\n",
           run_str(r->report, "qemu_version"), run_beyond(none),
           run_beyond(pcidc), run_num(pcidc, "msi_after_crash"));
    assert_true(run_beyond(none) > 0);
    assert_false(run_flag(none, "dma_stopped"));
    assert_int_equal(run_num(pcidc, "corrupted_bytes"), 0);
    assert_true(run_flag(pcidc, "dma_stopped"));
    assert_int_equal(run_num(pcidc, "msi_after_crash"), 0);
    assert_int_equal(run_num(pcidc, "mmio_reachable"),
                     run_num(pcidc, "mmio_checked"));
    for (i = 0; i < 2; i++) {
        const json_t *n = run_device(none, name[i]);
        const json_t *p = run_device(pcidc, name[i]);

        assert_int_equal(run_num(n, "completions"), XHCI_CMD_SLOTS);
        assert_true(run_num(n, "corrupted_bytes") > 0);
        assert_int_equal(run_num(p, "completions"), 0);
        assert_int_equal(run_num(p, "bytes_written"), 0);
        assert_int_equal(run_num(p, "inflight_requests"), 0);
    }
    run_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_noop_commands_complete_and_signal_msix,
                                  bed_teardown),
        cmocka_unit_test_teardown(
            test_bus_master_on_control_completes_posted_commands,
            bed_teardown),
        cmocka_unit_test_teardown(
            test_bus_master_off_lands_nothing_after_the_write, bed_teardown),
        cmocka_unit_test_teardown(test_command_abort_with_bus_master_on_lands,
                                  bed_teardown),
        cmocka_unit_test_teardown(
            test_command_abort_with_bus_master_off_leaves_a_hole,
            bed_teardown),
        cmocka_unit_test(test_crashsim_xhci_none_corrupts_pcidc_stops_it),
    };

    return cmocka_run_group_tests_name("xhci_driver", tests, NULL, NULL);
}
