/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Crash scenarios on real QEMU devices, through build/crashsim as users run
 * it: e1000 and AHCI separately, together, behind a bridge, and a preserved
 * device.  Each "clean" verdict is paired with its negative control in the
 * same run (policy none on the same seed and workload must corrupt memory:
 * if it does not, the harness is blind and the test fails).  Each test is
 * named after the claim it checks; the demo topology (the README's first
 * table) runs once and several tests read that one report.
 *
 *   test_scenarios [1|2]   run one half (the Makefile runs both halves in
 *                          parallel), or everything without an argument
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "crashsim_run.h"

#define WINDOW "400"

static struct run *scenario(const char *topology, const char *policies)
{
    const char *argv[] = { "--topology", topology, "--policy", policies,
                           "--window-ms", WINDOW, "--seed", "7", NULL };

    return run_completed(argv);
}

static void done(struct run *r)
{
    run_free(r);
}

static json_t *policy(struct run *r, const char *name)
{
    return run_policy_ok(r, name);
}

/* The per-device objects of a run: there must be some. */
static const json_t *devices(const json_t *run)
{
    const json_t *dma = json_object_get(run, "dma_after_crash");

    if (!json_is_object(dma) || json_object_size(dma) == 0)
        fail_msg("the report has no device under 'dma_after_crash'");
    return dma;
}

/* Sum of a per-device field over non-preserved devices. */
static long long dev_sum(const json_t *run, const char *field)
{
    const json_t *d;
    const char *key;
    long long sum = 0;

    json_object_foreach((json_t *)devices(run), key, d)
        if (!run_flag(d, "preserved"))
            sum += run_num(d, field);
    return sum;
}

/* The negative control: with no crash path, devices keep writing. */
static void assert_none_corrupts(const json_t *none)
{
    assert_true(run_num(none, "corrupted_bytes") > 0);
    assert_true(run_beyond(none) > 0);
    assert_true(dev_sum(none, "bytes_written") > 0);
    assert_false(run_flag(none, "dma_stopped"));
}

/* e1000 NICs: under none they keep receiving and transmitting; pcidc and
 * the seed stop them outright (a NIC has no request in flight). */
static void test_e1000_nothing_lands_or_leaves_after_disconnect(void **state)
{
    struct run *r = scenario("e1000,e1000", "none,seed,pcidc");
    json_t *none = policy(r, "none"), *seed = policy(r, "seed"),
           *pcidc = policy(r, "pcidc");

    (void)state;
    assert_none_corrupts(none);
    assert_true(run_num(none, "tx_packets_after_crash") > 0);
    /* e1000 has no request in flight: zero in total, not just beyond. */
    assert_int_equal(run_num(pcidc, "corrupted_bytes"), 0);
    assert_int_equal(run_num(pcidc, "inflight_bytes"), 0);
    assert_int_equal(dev_sum(pcidc, "bytes_written"), 0);
    assert_int_equal(run_num(pcidc, "tx_packets_after_crash"), 0);
    assert_int_equal(run_num(pcidc, "intx_after_crash"), 0);
    assert_int_equal(run_num(seed, "corrupted_bytes"), 0);
    assert_int_equal(dev_sum(seed, "bytes_written"), 0);
    /* QEMU 7.2's e1000 has no MSI capability. */
    assert_false(run_flag(none, "msi_observable"));
    assert_int_equal(run_num(none, "msi_after_crash"), 0);
    done(r);
}

/* AHCI: only the read QEMU had already started lands, and its MSI is
 * dropped; under none the disk keeps reading and signalling. */
static void test_ahci_only_the_started_read_lands_and_its_msi_is_dropped(
    void **state)
{
    struct run *r = scenario("ahci", "none,seed,pcidc");
    json_t *none = policy(r, "none"), *seed = policy(r, "seed"),
           *pcidc = policy(r, "pcidc");

    (void)state;
    assert_none_corrupts(none);
    /* More than the one read in flight landed: new requests kept starting. */
    assert_true(dev_sum(none, "completions") > 1);
    /*
     * The harness re-issues completed slots until the crash: the queue is
     * (nearly: a read may complete during the crash path) full then, and
     * under none the disk keeps reading through the window.
     */
    assert_true(dev_sum(none, "queued_commands_at_crash") >= 30);
    assert_true(dev_sum(pcidc, "queued_commands_at_crash") >= 30);
    assert_true(dev_sum(none, "completions") >= 3);
    assert_int_equal(run_beyond(pcidc), 0);
    assert_int_equal(run_beyond(seed), 0);
    /* At most the one read that had started, with its header and FIS. */
    assert_true(run_num(pcidc, "inflight_bytes") <= 64 * 1024 + 32 + 256);
    assert_true(dev_sum(pcidc, "completions") <= 1);
    assert_true(run_flag(pcidc, "dma_stopped"));
    /*
     * MSI (programmed to a RAM word): under none every completion after the
     * crash sends one; with Bus Master clear QEMU drops it -- including the
     * in-flight read's, which still completes (measured: 0, not 1).
     */
    assert_true(run_flag(none, "msi_observable"));
    assert_true(run_num(none, "msi_after_crash") > 0);
    assert_true(run_num(none, "msi_after_crash") <=
                dev_sum(none, "completions"));
    assert_int_equal(dev_sum(pcidc, "inflight_requests"), 1);
    assert_int_equal(dev_sum(pcidc, "completions"), 1);
    assert_int_equal(run_num(pcidc, "msi_after_crash"), 0);
    assert_int_equal(run_num(seed, "msi_after_crash"), 0);
    /* With MSI on, AHCI raises no INTx. */
    assert_int_equal(dev_sum(none, "intx"), 0);
    done(r);
}

/* --- the demo topology, every policy, one run ----------------------- */

#define DEMO_TOPOLOGY   "e1000,ahci,bridge(e1000,e1000)"

static int demo_setup(void **state)
{
    *state = scenario(DEMO_TOPOLOGY, "all");
    return 0;
}

static int demo_teardown(void **state)
{
    if (*state)
        done(*state);
    return 0;
}

static void test_pcidc_leaves_nothing_beyond_inflight_where_none_corrupts(
    void **state)
{
    struct run *r = *state;

    assert_none_corrupts(policy(r, "none"));
    assert_int_equal(run_beyond(policy(r, "pcidc")), 0);
}

/* The seed's 0 and Linux's Bus Master clear (children first) stop new DMA
 * as well: what differs is INTx and order, below. */
static void test_seed_and_linux_kexec_stop_new_dma_too(void **state)
{
    struct run *r = *state;

    assert_none_corrupts(policy(r, "none"));
    assert_int_equal(run_beyond(policy(r, "seed")), 0);
    assert_int_equal(run_beyond(policy(r, "linux-kexec")), 0);
}

/* 0x0400 masks INTx; the seed's 0 and Linux's read-modify-write leave
 * raised lines asserted for the kdump kernel. */
static void test_pcidc_leaves_no_intx_where_seed_and_linux_kexec_do(
    void **state)
{
    struct run *r = *state;

    assert_int_equal(run_num(policy(r, "pcidc"), "intx_after_crash"), 0);
    assert_true(run_num(policy(r, "seed"), "intx_after_crash") > 0);
    assert_true(run_num(policy(r, "linux-kexec"), "intx_after_crash") > 0);
}

/* Bridges first: below-bridge DMA blocked after write 1 (PCIe rule). */
static void test_pcidc_disconnects_the_bridge_first(void **state)
{
    const json_t *plan = json_object_get(policy(*state, "pcidc"), "plan");

    assert_true(json_array_size(plan) > 0);
    assert_string_equal(run_str(json_array_get(plan, 0), "sbdf"),
                        "0000:00:03.0");
}

/* --- other topologies ----------------------------------------------- */

/* Three NICs behind a bridge: under the PCIe rule (a bridge with Bus
 * Master clear forwards nothing) pcidc's bridge-first plan is quiet after
 * fewer crash-path writes than the seed's list order. */
static void test_bridge_first_quiesces_in_fewer_writes_than_seed_order(
    void **state)
{
    struct run *r = scenario("e1000,bridge(e1000,e1000,e1000)",
                             "none,seed,pcidc");
    json_t *none = policy(r, "none"), *seed = policy(r, "seed"),
           *pcidc = policy(r, "pcidc");

    (void)state;
    assert_none_corrupts(none);
    assert_int_equal(run_num(pcidc, "corrupted_bytes"), 0);
    assert_int_equal(run_num(seed, "corrupted_bytes"), 0);
    assert_true(run_num(pcidc, "writes_until_quiesced_pcie") <
                run_num(seed, "writes_until_quiesced_pcie"));
    done(r);
}

/* The per-device object of the device called name, or fail. */
static const json_t *device(const json_t *run, const char *name)
{
    const json_t *d;
    const char *key;

    json_object_foreach((json_t *)devices(run), key, d)
        if (!strcmp(run_str(d, "device"), name))
            return d;
    fail_msg("no device %s in the run", name);
    return NULL;
}

/* 1-based step of sbdf in a run's plan, 0 if absent. */
static size_t plan_step(const json_t *run, const char *sbdf)
{
    const json_t *plan = json_object_get(run, "plan"), *st;
    size_t i;

    json_array_foreach((json_t *)plan, i, st)
        if (!strcmp(run_str(st, "sbdf"), sbdf))
            return i + 1;
    return 0;
}

/*
 * e1000e (82574L, legacy descriptors) behind a pcie-root-port, next to an
 * e1000: the third device class, stopped like the others, the root port
 * planned before it.
 */
static void test_e1000e_behind_root_port_stopped_root_port_first(void **state)
{
    struct run *r = scenario("e1000,rootport(e1000e)", "none,seed,pcidc");
    json_t *none = policy(r, "none"), *seed = policy(r, "seed"),
           *pcidc = policy(r, "pcidc");
    const json_t *nic;

    (void)state;
    assert_none_corrupts(none);
    nic = device(none, "e1000e_0");
    /* Below the root port: bus 1. */
    assert_ptr_equal(nic, json_object_get(json_object_get(none,
                                          "dma_after_crash"), "0000:01:00.0"));
    assert_true(run_num(nic, "bytes_written") > 0);
    assert_true(run_num(nic, "tx_packets") > 0);
    assert_true(run_num(nic, "corrupted_bytes") > 0);
    /* No request in flight on a NIC: clean in total. */
    assert_int_equal(run_num(pcidc, "corrupted_bytes"), 0);
    assert_int_equal(run_num(seed, "corrupted_bytes"), 0);
    nic = device(pcidc, "e1000e_0");
    assert_int_equal(run_num(nic, "bytes_written"), 0);
    assert_int_equal(run_num(nic, "tx_packets"), 0);
    assert_int_equal(run_num(pcidc, "intx_after_crash"), 0);
    /* The root port (00:03.0) before the e1000e below it. */
    assert_true(plan_step(pcidc, "0000:00:03.0") > 0);
    assert_true(plan_step(pcidc, "0000:00:03.0") <
                plan_step(pcidc, "0000:01:00.0"));
    done(r);
}

/*
 * keep: a preserved NIC is left out of the plan and keeps doing DMA; every
 * planned device stops, and the plan has one step per config write.
 */
static void test_kept_device_runs_on_while_every_planned_one_stops(
    void **state)
{
    struct run *r = scenario("keep:e1000,e1000", "none,pcidc");
    json_t *none = policy(r, "none"), *pcidc = policy(r, "pcidc");
    const json_t *d;
    const char *key;
    int kept = 0;

    (void)state;
    assert_none_corrupts(none);
    assert_int_equal(run_num(pcidc, "corrupted_bytes"), 0);
    assert_true(run_num(pcidc, "preserved_dma_bytes") > 0);
    json_object_foreach((json_t *)devices(pcidc), key, d) {
        if (run_flag(d, "preserved")) {
            kept++;
            assert_int_equal(run_num(d, "plan_step"), 0);
            assert_true(run_num(d, "bytes_written") > 0);
        } else {
            assert_int_equal(run_num(d, "bytes_written"), 0);
        }
    }
    assert_int_equal(kept, 1);
    assert_true(json_is_array(json_object_get(none, "plan")));
    assert_int_equal(json_array_size(json_object_get(pcidc, "plan")),
                     json_array_size(json_object_get(none, "plan")) +
                     run_num(pcidc, "config_writes"));
    done(r);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest part1[] = {
        cmocka_unit_test(test_e1000_nothing_lands_or_leaves_after_disconnect),
        cmocka_unit_test(
            test_ahci_only_the_started_read_lands_and_its_msi_is_dropped),
        cmocka_unit_test(
            test_kept_device_runs_on_while_every_planned_one_stops),
    };
    const struct CMUnitTest demo[] = {
        cmocka_unit_test(
            test_pcidc_leaves_nothing_beyond_inflight_where_none_corrupts),
        cmocka_unit_test(test_seed_and_linux_kexec_stop_new_dma_too),
        cmocka_unit_test(
            test_pcidc_leaves_no_intx_where_seed_and_linux_kexec_do),
        cmocka_unit_test(test_pcidc_disconnects_the_bridge_first),
    };
    const struct CMUnitTest part2[] = {
        cmocka_unit_test(
            test_bridge_first_quiesces_in_fewer_writes_than_seed_order),
        cmocka_unit_test(test_e1000e_behind_root_port_stopped_root_port_first),
    };
    int rc = 0;

    if (argc < 2 || !strcmp(argv[1], "1"))
        rc |= cmocka_run_group_tests_name("scenarios-1", part1, NULL, NULL);
    if (argc < 2 || !strcmp(argv[1], "2")) {
        rc |= cmocka_run_group_tests_name("scenarios-2-demo", demo,
                                          demo_setup, demo_teardown);
        rc |= cmocka_run_group_tests_name("scenarios-2", part2, NULL, NULL);
    }
    return rc;
}
