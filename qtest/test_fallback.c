/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A function that stops answering config space between plan building and
 * the crash, against QEMU 7.2: the core's crash path reads COMMAND, gets
 * all ones, and writes the fallback computed from COMMAND at plan time.
 *
 * Driver level, no crashsim: QEMU with an e1000 behind a pci-bridge, the
 * NIC set up and receiving, the core's plan built with the default policy
 * through the simulator's port.  Then the bridge's secondary and
 * subordinate bus numbers are set to 0 -- what a crashed kernel's stray
 * write, or a bridge reset, could leave -- so that the e1000's config
 * space, on bus 1, is reached by nothing: reads are all ones, writes go
 * nowhere.  The crash path runs; every write is recorded.
 *
 * What QEMU does with the fallback write: it is dropped (the function's
 * COMMAND is unchanged when the bus numbers are put back), and the NIC,
 * its Bus Master still set, keeps writing received frames to memory:
 * QEMU does not model the bridge's Bus Master Enable, which pcidc cleared
 * first and which on PCIe stops the requests at the bridge.  The control,
 * with the bus numbers left alone, gets the value computed from what it
 * read and receives nothing.
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
#include "dev/e1000.h"
#include "pci/galloc.h"
#include "pci/pci_regs.h"
#include "pci/qpci.h"
#include "port/pcidc_port_user.h"
#include "qemu/qts.h"
#include "pcidc.h"

#define BRIDGE_SBDF     0x0010u     /* 00:02.0 */
#define NIC_SBDF        0x0100u     /* 01:00.0 */
#define SEED            5
#define READY_MS        4000        /* e1000 takes frames ~1 s after RCTL */
#define LAND_MS         1500
#define QUIET_MS        1000
#define DMA_BASE        0x01000000ULL
#define DMA_END         0x04000000ULL
#define MAX_WRITES      16

struct bed {
    struct qts *q;
    struct qpci_bus bus;
    struct galloc *g;
    struct e1000_dev nic;
    struct pcidc dc;                    /* ~117 KiB: heap, with the bed */
    struct pcidc_func func[QPCI_MAX_FUNCS];
    unsigned int nr_writes;
    uint32_t write_sbdf[MAX_WRITES];
    uint16_t write_value[MAX_WRITES];
};

static void check(struct bed *b)
{
    if (qts_error(b->q))
        fail_msg("%s", qts_error(b->q));
}

static void record_write(void *arg, unsigned long nr, uint32_t sbdf,
                         unsigned int reg, uint16_t value)
{
    struct bed *b = arg;

    (void)nr;
    assert_int_equal(reg, PCI_COMMAND);
    if (b->nr_writes < MAX_WRITES) {
        b->write_sbdf[b->nr_writes] = sbdf;
        b->write_value[b->nr_writes] = value;
    }
    b->nr_writes++;
}

/* The value the crash path wrote to sbdf; fails if it wrote none. */
static uint16_t written(const struct bed *b, uint32_t sbdf)
{
    unsigned int i;

    for (i = 0; i < b->nr_writes && i < MAX_WRITES; i++)
        if (b->write_sbdf[i] == sbdf)
            return b->write_value[i];
    fail_msg("no crash-path write to %04x", sbdf);
    return 0;
}

/* Frames offered until the NIC shows one more received, or ms passed. */
static bool frame_lands(struct bed *b, unsigned int ms)
{
    double end = clock_ms() + ms;
    unsigned int before = b->nic.rx_done;

    do {
        e1000_send_frame(&b->nic);
        clock_sleep_ms(20);
        e1000_sample(&b->nic);
        check(b);
        if (b->nic.rx_done > before)
            return true;
    } while (clock_ms() < end);
    return false;
}

/* QEMU with the bridge and the NIC, the NIC receiving. */
static struct bed *bed_start(void **state)
{
    struct bed *b = calloc(1, sizeof(*b));
    char netdev[512], extra[96], device[192];
    const char *argv[] = {
        "-device", "pci-bridge,id=br0,bus=pcie.0,addr=02.0,chassis_nr=1",
        "-netdev", netdev, "-device", device, NULL };

    assert_non_null(b);
    *state = b;
    b->nic.sock = -1;
    b->q = qts_new(NULL);
    assert_non_null(b->q);
    check(b);
    assert_int_equal(e1000_qemu_args("e1000_0", 0, qts_tmpdir(b->q), netdev,
                                     sizeof(netdev), extra, sizeof(extra)), 0);
    snprintf(device, sizeof(device), "e1000,id=e1000_0,bus=br0,addr=00.0%s",
             extra);
    e1000_open(&b->nic, b->q, E1000_82540EM, "e1000_0", 0, SEED);
    qts_start(b->q, argv);
    qpci_init(&b->bus, b->q, 0);
    qpci_enumerate(&b->bus);
    qpci_assign(&b->bus);
    check(b);
    b->g = galloc_new(DMA_BASE, DMA_END);
    assert_non_null(b->g);
    assert_int_equal(e1000_setup(&b->nic, &b->bus, qpci_find(&b->bus,
                                 NIC_SBDF), b->g, NULL), 0);
    if (!frame_lands(b, READY_MS))
        fail_msg("the e1000 received no frame within %d ms", READY_MS);
    return b;
}

static int bed_free(void **state)
{
    struct bed *b = *state;

    if (!b)
        return 0;
    pcidc_port_user_set_write_hook(NULL, NULL);
    pcidc_port_user_set_bus(NULL);
    e1000_close(&b->nic);
    if (b->g)
        galloc_destroy(b->g);
    qts_close(b->q);
    free(b);
    *state = NULL;
    return 0;
}

/* The default policy's plan over every function, as the Xen port builds it. */
static const struct pcidc_plan *build_plan(struct bed *b)
{
    const struct pcidc_policy policy = PCIDC_POLICY_DEFAULT;
    unsigned int i;

    pcidc_port_user_set_bus(&b->bus);
    for (i = 0; i < b->bus.nr; i++)
        assert_int_equal(pcidc_describe(&b->func[i], b->bus.func[i].sbdf, 0),
                         PCIDC_OK);
    assert_int_equal(pcidc_plan_build(&b->dc, b->func, b->bus.nr, &policy),
                     PCIDC_OK);
    return pcidc_plan_published(&b->dc);
}

static uint16_t step_fallback(const struct pcidc_plan *plan, uint32_t sbdf)
{
    unsigned int i;

    for (i = 0; i < plan->nr_steps; i++)
        if (plan->step[i].sbdf == sbdf)
            return plan->step[i].fallback;
    fail_msg("%04x is not in the plan", sbdf);
    return 0;
}

/* The crash path, every write recorded, one read and one write a step. */
static void crash(struct bed *b, const struct pcidc_plan *plan)
{
    struct pcidc_port_user_counts c;

    pcidc_port_user_reset_counts();
    pcidc_port_user_set_write_hook(record_write, b);
    assert_int_equal(pcidc_crash_disconnect(&b->dc), plan->nr_steps);
    pcidc_port_user_set_write_hook(NULL, NULL);
    pcidc_port_user_get_counts(&c);
    check(b);
    assert_int_equal(c.conf_writes, plan->nr_steps);
    assert_int_equal(c.conf_reads, plan->nr_steps);
}

static void set_bus_numbers(struct bed *b, uint8_t secondary,
                            uint8_t subordinate)
{
    qpci_cfg_write8(&b->bus, BRIDGE_SBDF, PCI_SECONDARY_BUS, secondary);
    qpci_cfg_write8(&b->bus, BRIDGE_SBDF, PCI_SUBORDINATE_BUS, subordinate);
    check(b);
}

/*
 * Control: the NIC answers at the crash; it gets (read & ~Bus Master) |
 * INTx Disable -- here the same as its fallback, COMMAND being unchanged
 * since plan time -- keeps it, and receives nothing more.
 */
static void test_answering_nic_gets_read_value_and_stops(void **state)
{
    struct bed *b = bed_start(state);
    const struct pcidc_plan *plan = build_plan(b);
    uint16_t cmd = qpci_cfg_read16(&b->bus, NIC_SBDF, PCI_COMMAND);

    assert_true(cmd & PCI_COMMAND_MASTER);
    assert_int_equal(step_fallback(plan, NIC_SBDF),
                     (cmd & ~PCI_COMMAND_MASTER) | PCIDC_COMMAND_INTX_DISABLE);
    crash(b, plan);
    assert_int_equal(written(b, NIC_SBDF),
                     (cmd & ~PCI_COMMAND_MASTER) | PCIDC_COMMAND_INTX_DISABLE);
    assert_int_equal(qpci_cfg_read16(&b->bus, NIC_SBDF, PCI_COMMAND),
                     written(b, NIC_SBDF));
    assert_false(frame_lands(b, QUIET_MS));
}

/*
 * The NIC stops answering after the plan is built: the crash path reads
 * all ones and writes the fallback, which QEMU drops.  The bridge above
 * still answers and gets its read value.  The NIC keeps Bus Master and
 * keeps receiving (QEMU ignores the bridge's cleared Bus Master Enable);
 * with the bus numbers back, its COMMAND is what it was.
 */
static void test_unanswering_nic_gets_fallback_which_qemu_drops(void **state)
{
    struct bed *b = bed_start(state);
    const struct pcidc_plan *plan = build_plan(b);
    uint16_t cmd = qpci_cfg_read16(&b->bus, NIC_SBDF, PCI_COMMAND);
    uint16_t bridge = qpci_cfg_read16(&b->bus, BRIDGE_SBDF, PCI_COMMAND);

    set_bus_numbers(b, 0, 0);
    assert_int_equal(qpci_cfg_read16(&b->bus, NIC_SBDF, PCI_VENDOR_ID),
                     0xffff);
    crash(b, plan);
    assert_int_equal(written(b, NIC_SBDF), step_fallback(plan, NIC_SBDF));
    assert_int_equal(written(b, NIC_SBDF),
                     (cmd & ~PCI_COMMAND_MASTER) | PCIDC_COMMAND_INTX_DISABLE);
    assert_int_equal(written(b, BRIDGE_SBDF),
                     (bridge & ~PCI_COMMAND_MASTER) |
                     PCIDC_COMMAND_INTX_DISABLE);
    assert_true(frame_lands(b, LAND_MS));
    set_bus_numbers(b, 1, 1);
    assert_int_equal(qpci_cfg_read16(&b->bus, NIC_SBDF, PCI_COMMAND), cmd);
    assert_true(frame_lands(b, LAND_MS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_answering_nic_gets_read_value_and_stops,
                                  bed_free),
        cmocka_unit_test_teardown(
            test_unanswering_nic_gets_fallback_which_qemu_drops, bed_free),
    };

    return cmocka_run_group_tests_name("fallback", tests, NULL, NULL);
}
