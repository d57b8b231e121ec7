/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Crash scenarios on real QEMU devices, through build/crashsim as users run
 * it: e1000 and AHCI separately, together, behind a bridge, a preserved
 * device, a PCI serial console.  Each "clean" verdict is paired with its
 * negative control in the same run (policy none on the same seed and
 * workload must corrupt memory: if it does not, the harness is blind and
 * the test fails); each "still reachable" verdict with the seed and
 * decode-off, which must lose what pcidc keeps.  Each test is named after
 * the claim it checks; the demo topology (the README's first table) runs
 * once and several tests read that one report.
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

#define DEMO_TOPOLOGY   "e1000,ahci,bridge(e1000,e1000,serial),nvme"
#define DEMO_ENDPOINTS  6       /* e1000_0..2, ahci_0, serial_0, nvme_0:
                                   none kept */

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

/* The seed's 0, Linux's Bus Master clear (children first) and 0x0400
 * stop new DMA as well: what differs is INTx, order and what still
 * answers. */
static void test_seed_and_linux_kexec_stop_new_dma_too(void **state)
{
    struct run *r = *state;

    assert_none_corrupts(policy(r, "none"));
    assert_int_equal(run_beyond(policy(r, "seed")), 0);
    assert_int_equal(run_beyond(policy(r, "linux-kexec")), 0);
    assert_int_equal(run_beyond(policy(r, "decode-off")), 0);
}

/* INTx Disable set (pcidc, decode-off) masks INTx; the seed's 0 and
 * Linux's read-modify-write leave raised lines asserted for the kdump
 * kernel. */
static void test_pcidc_leaves_no_intx_where_seed_and_linux_kexec_do(
    void **state)
{
    struct run *r = *state;

    assert_int_equal(run_num(policy(r, "pcidc"), "intx_after_crash"), 0);
    assert_int_equal(run_num(policy(r, "decode-off"), "intx_after_crash"), 0);
    assert_true(run_num(policy(r, "seed"), "intx_after_crash") > 0);
    assert_true(run_num(policy(r, "linux-kexec"), "intx_after_crash") > 0);
}

/* The console line arrived and every endpoint's register answers. */
static void assert_reaches_everything(const json_t *run)
{
    assert_true(run_flag(run, "console_after_crash"));
    assert_int_equal(run_num(run, "mmio_checked"), DEMO_ENDPOINTS);
    assert_int_equal(run_num(run, "mmio_reachable"), DEMO_ENDPOINTS);
}

/*
 * The 2011 patch's revert, reproduced: COMMAND = 0 (seed) or 0x0400
 * (decode-off) turns decode off on the bridge and on the UART below it,
 * which is not marked keep:, so the line Xen prints after the crash path
 * never reaches the console and no endpoint's register answers.  pcidc
 * keeps decode: the line arrives, every register answers -- and DMA still
 * stops.  none is the control: with nothing written everything answers.
 */
static void
test_pcidc_keeps_console_and_mmio_where_seed_and_decode_off_lose_them(
    void **state)
{
    struct run *r = *state;
    json_t *pcidc = policy(r, "pcidc");
    const json_t *uart = json_array_get(json_object_get(pcidc, "consoles"), 0);
    const char *names[] = { "seed", "decode-off" };
    unsigned int i;

    assert_reaches_everything(policy(r, "none"));
    for (i = 0; i < 2; i++) {
        json_t *lost = policy(r, names[i]);

        assert_false(run_flag(lost, "console_after_crash"));
        assert_int_equal(run_num(lost, "mmio_checked"), DEMO_ENDPOINTS);
        assert_int_equal(run_num(lost, "mmio_reachable"), 0);
        assert_int_equal(run_beyond(lost), 0);
    }
    assert_reaches_everything(pcidc);
    assert_int_equal(run_beyond(pcidc), 0);
    assert_true(run_flag(pcidc, "dma_stopped"));
    assert_int_equal(dev_sum(pcidc, "tx_packets"), 0);
    /* The UART is not kept: pcidc wrote it and it still prints. */
    assert_non_null(uart);
    assert_false(run_flag(uart, "preserved"));
    assert_true(run_flag(uart, "line_arrived"));
    /* Linux's read-modify-write keeps decode as well. */
    assert_reaches_everything(policy(r, "linux-kexec"));
}

/* The function object of sbdf in a run's "functions", or fail. */
static const json_t *function(const json_t *run, const char *sbdf)
{
    const json_t *f;
    size_t i;

    json_array_foreach(json_object_get(run, "functions"), i, f)
        if (!strcmp(run_str(f, "sbdf"), sbdf))
            return f;
    fail_msg("no function %s in the run", sbdf);
    return NULL;
}

/*
 * What pcidc's crash path left in COMMAND, read back through ECAM after
 * the window: the value it read at the crash with Bus Master cleared and
 * INTx Disable set, every other bit -- decode above all -- kept.  The
 * controls in the same run: decode-off leaves 0x0400, the seed 0, none
 * what was there.
 */
static void test_pcidc_command_after_is_read_value_minus_bme_plus_intx(
    void **state)
{
    struct run *r = *state;
    const json_t *pcidc = policy(r, "pcidc"), *f, *none_f;
    const json_t *funcs = json_object_get(pcidc, "functions");
    int bme = 0, decode = 0;
    size_t i;

    assert_true(json_array_size(funcs) > DEMO_ENDPOINTS);
    json_array_foreach(funcs, i, f) {
        long long before = run_num(f, "command_before");
        const char *sbdf = run_str(f, "sbdf");

        assert_true(run_flag(f, "planned"));
        assert_int_equal(run_num(f, "command_after"),
                         (before & ~0x4LL) | 0x400);
        bme += (before & 0x4) != 0;
        decode += (before & 0x3) != 0;
        assert_int_equal(run_num(function(policy(r, "decode-off"), sbdf),
                                 "command_after"), 0x400);
        assert_int_equal(run_num(function(policy(r, "seed"), sbdf),
                                 "command_after"), 0);
        none_f = function(policy(r, "none"), sbdf);
        assert_false(run_flag(none_f, "planned"));
        assert_int_equal(run_num(none_f, "command_after"),
                         run_num(none_f, "command_before"));
    }
    /* Enough was on to tell the formula from a constant: the NICs, the
     * disk and the bridge mastered; those and the UART decoded. */
    assert_true(bme >= DEMO_ENDPOINTS);
    assert_true(decode >= DEMO_ENDPOINTS + 1);
    /* One read and one write per step; decode-off reads nothing. */
    assert_int_equal(run_num(pcidc, "config_writes"),
                     (long long)json_array_size(funcs));
    assert_int_equal(run_num(pcidc, "config_reads"),
                     (long long)json_array_size(funcs));
    assert_int_equal(run_num(policy(r, "decode-off"), "config_reads"), 0);
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

/* The console object of the UART called name in a run, or fail. */
static const json_t *console(const json_t *run, const char *name)
{
    const json_t *c;
    size_t i;

    json_array_foreach(json_object_get(run, "consoles"), i, c)
        if (!strcmp(run_str(c, "device"), name))
            return c;
    fail_msg("no console %s in the run", name);
    return NULL;
}

/*
 * Before keep-decode, a console survived 0x0400 only when marked keep:
 * (the plan then leaves it and the bridge above it alone); pcidc keeps
 * every console, marked or not.  The seed ignores keep: and loses both.
 * serial_0 is kept behind a bridge (00:03.0), serial_1 is not, behind a
 * root port (00:04.0).
 */
static void test_decode_off_keeps_only_a_kept_console_pcidc_keeps_both(
    void **state)
{
    struct run *r = scenario("e1000,bridge(keep:serial),rootport(serial)",
                             "none,seed,decode-off,pcidc");
    json_t *none = policy(r, "none"), *seed = policy(r, "seed"),
           *off = policy(r, "decode-off"), *pcidc = policy(r, "pcidc");

    (void)state;
    assert_none_corrupts(none);
    assert_true(run_flag(console(none, "serial_1"), "line_arrived"));
    assert_true(run_flag(console(none, "serial_0"), "line_arrived"));
    assert_false(run_flag(console(seed, "serial_0"), "line_arrived"));
    assert_false(run_flag(console(seed, "serial_1"), "line_arrived"));
    assert_true(run_flag(console(off, "serial_0"), "preserved"));
    assert_true(run_flag(console(off, "serial_0"), "line_arrived"));
    assert_false(run_flag(console(off, "serial_1"), "line_arrived"));
    assert_false(run_flag(off, "console_after_crash"));
    assert_true(run_flag(pcidc, "console_after_crash"));
    /* The kept UART and its bridge are not written, the rest is. */
    assert_false(run_flag(function(pcidc, "0000:00:03.0"), "planned"));
    assert_false(run_flag(function(pcidc, "0000:01:00.0"), "planned"));
    assert_true(run_flag(function(pcidc, "0000:00:04.0"), "planned"));
    assert_true(run_flag(function(pcidc, "0000:02:00.0"), "planned"));
    /* Checked: e1000_0 and serial_1, not the kept UART. */
    assert_int_equal(run_num(pcidc, "mmio_checked"), 2);
    assert_int_equal(run_num(pcidc, "mmio_reachable"), 2);
    assert_int_equal(run_num(off, "mmio_reachable"), 0);
    assert_int_equal(run_num(pcidc, "corrupted_bytes"), 0);
    done(r);
}

/*
 * --plan-only says what each step would write and which steps read
 * COMMAND at the crash: every pcidc step (shown with the value it reads
 * now and its all-ones fallback), no decode-off step.
 */
static void test_plan_only_shows_which_steps_read_command(void **state)
{
    const char *argv[] = { "--plan-only", "--topology", "bridge(serial)",
                           "--policy", "decode-off,pcidc", NULL };
    struct run r;

    (void)state;
    run_prepare(&r);
    assert_int_equal(run_crashsim(&r, argv, NULL, NULL), 0);
    if (r.status)
        fprintf(stderr, "crashsim exit %d: %s", r.status, r.err);
    assert_int_equal(r.status, 0);
    /* MCH, bridge, UART, and q35's LPC, AHCI and SMBus. */
    assert_non_null(strstr(r.out, "decode-off: 6 writes, no step reads "
                                  "COMMAND: each writes 0x0400"));
    assert_non_null(strstr(r.out, "pcidc: 6 writes, every step reads "
                                  "COMMAND at the crash and writes "
                                  "(read & ~0x0004) | 0x0400\n"));
    /* The bridge first, decode kept: qpci left it MEM|IO|MASTER. */
    assert_non_null(strstr(r.out, "    1  0000:00:02.0  COMMAND = 0x0403  "
                                  "(reads COMMAND at the crash: 0x0007 now; "
                                  "all ones: writes 0x0403)\n"));
    assert_non_null(strstr(r.out, "    1  0000:00:02.0  COMMAND = 0x0400\n"));
    assert_int_equal(run_procs_with(r.tmpdir), 0);
    run_cleanup(&r);
}

/*
 * --require-reachable: exit 1 with one line for decode-off, which loses
 * the console, none for pcidc in the same run.
 */
static void test_require_reachable_fails_decode_off_not_pcidc(void **state)
{
    const char *argv[] = { "--topology", "serial", "--policy",
                           "decode-off,pcidc", "--window-ms", WINDOW,
                           "--require-reachable", "decode-off,pcidc", NULL };
    const char *env[] = { "PCIDC_SIM_JOBS=1", NULL };
    struct run r;

    (void)state;
    run_prepare(&r);
    assert_int_equal(run_crashsim(&r, argv, env, NULL), 0);
    if (r.status != 1 || !run_one_line(&r))
        fprintf(stderr, "status %d, stderr: [%s]\n", r.status, r.err);
    assert_int_equal(r.status, 1);
    assert_true(run_one_line(&r));
    assert_non_null(strstr(r.err, "after policy decode-off's crash path the "
                                  "console line was lost and 0 of 1"));
    assert_non_null(r.report);
    assert_true(run_flag(run_policy_ok(&r, "pcidc"), "console_after_crash"));
    assert_int_equal(run_procs_with(r.tmpdir), 0);
    run_cleanup(&r);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest part1[] = {
        cmocka_unit_test(test_e1000_nothing_lands_or_leaves_after_disconnect),
        cmocka_unit_test(
            test_ahci_only_the_started_read_lands_and_its_msi_is_dropped),
        cmocka_unit_test(
            test_kept_device_runs_on_while_every_planned_one_stops),
        cmocka_unit_test(
            test_decode_off_keeps_only_a_kept_console_pcidc_keeps_both),
    };
    const struct CMUnitTest demo[] = {
        cmocka_unit_test(
            test_pcidc_leaves_nothing_beyond_inflight_where_none_corrupts),
        cmocka_unit_test(test_seed_and_linux_kexec_stop_new_dma_too),
        cmocka_unit_test(
            test_pcidc_leaves_no_intx_where_seed_and_linux_kexec_do),
        cmocka_unit_test(test_pcidc_disconnects_the_bridge_first),
        cmocka_unit_test(
            test_pcidc_keeps_console_and_mmio_where_seed_and_decode_off_lose_them),
        cmocka_unit_test(
            test_pcidc_command_after_is_read_value_minus_bme_plus_intx),
    };
    const struct CMUnitTest part2[] = {
        cmocka_unit_test(
            test_bridge_first_quiesces_in_fewer_writes_than_seed_order),
        cmocka_unit_test(test_e1000e_behind_root_port_stopped_root_port_first),
        cmocka_unit_test(test_plan_only_shows_which_steps_read_command),
        cmocka_unit_test(test_require_reachable_fails_decode_off_not_pcidc),
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
