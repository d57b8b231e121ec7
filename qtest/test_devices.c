/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Crash scenarios with NVMe, NVMe SR-IOV VFs, virtio-blk, virtio-net and
 * igb VFs, through build/crashsim as users run it, on the QEMU under test
 * ($PCIDC_QEMU: run-suite.sh runs this suite on QEMU 7.2 and 10.0).  Each
 * test is named after its claim; policy none, in the same run, is the
 * control: it must corrupt memory beyond the reads in flight, or the
 * harness is blind and the test fails.  igb needs QEMU >= 8.0: its tests
 * skip, with a line saying why, on an older one, except the one that
 * checks the error crashsim gives there.
 *
 * What counts as in flight for these devices (sim/engine/devkind.h): a
 * read posted and not completed when its device's disconnect write
 * returned (QEMU fetches those at once and lands them whatever Bus Master
 * becomes); completion entries and MSI-X messages are new DMA.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "crashsim_run.h"
#include "qemu/qts.h"

#define WINDOW "400"

static struct run *scenario(const char *topology, const char *policies)
{
    const char *argv[] = { "--topology", topology, "--policy", policies,
                           "--window-ms", WINDOW, "--seed", "7", NULL };

    return run_completed(argv);
}

/* The per-device object of the device called name in a run, or fail. */
static const json_t *device(const json_t *run, const char *name)
{
    const json_t *dma = json_object_get(run, "dma_after_crash"), *d;
    const char *key;

    json_object_foreach((json_t *)dma, key, d)
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

/* The control: with no crash path, devices write beyond what was in
 * flight, and the run says so. */
static void assert_none_corrupts(const json_t *none)
{
    assert_true(run_beyond(none) > 0);
    assert_false(run_flag(none, "dma_stopped"));
}

/* pcidc: nothing beyond in-flight reads, every device quiet afterwards. */
static void assert_pcidc_clean(const json_t *pcidc)
{
    assert_int_equal(run_beyond(pcidc), 0);
    assert_true(run_flag(pcidc, "dma_stopped"));
    assert_int_equal(run_num(pcidc, "msi_after_crash"), 0);
    assert_int_equal(run_num(pcidc, "mmio_reachable"),
                     run_num(pcidc, "mmio_checked"));
}

/* A block device that ran: in flight, completions and MSI-X under none;
 * under pcidc no completion entry and no MSI-X. */
static void assert_block_device(const json_t *none, const json_t *pcidc,
                                const char *name)
{
    const json_t *n = device(none, name), *p = device(pcidc, name);

    assert_true(run_num(n, "inflight_requests") > 0);
    assert_true(run_num(n, "completions") > 0);
    assert_true(run_num(n, "msi") > 0);
    assert_true(run_num(p, "inflight_requests") > 0);
    assert_int_equal(run_num(p, "completions"), 0);
    assert_int_equal(run_num(p, "msi"), 0);
    assert_true(run_num(p, "plan_step") > 0);
}

/* A NIC: frames under none, not one under pcidc. */
static void assert_nic(const json_t *none, const json_t *pcidc,
                       const char *name)
{
    const json_t *n = device(none, name), *p = device(pcidc, name);

    assert_true(run_num(n, "completions") > 0);
    assert_true(run_num(n, "corrupted_bytes") > 0);
    assert_int_equal(run_num(p, "completions"), 0);
    assert_int_equal(run_num(p, "bytes_written"), 0);
    assert_int_equal(run_num(p, "corrupted_bytes"), 0);
    assert_int_equal(run_num(p, "inflight_requests"), 0);
}

/* true when the QEMU under test has -device type; else a SKIP line. */
static bool have_device(const char *type, const char *why)
{
    char err[256];
    int rc = qts_query_device(NULL, 0, type, err, sizeof(err));

    if (rc < 0)
        fail_msg("%s", err);
    if (rc == 0)
        printf("SKIP: this QEMU has no -device %s (%s)\n", type, why);
    return rc == 1;
}

/* --- NVMe ------------------------------------------------------------- */

/*
 * NVMe: the reads the controller had fetched land under both policies;
 * under none it also writes completion entries and MSI-X messages (new
 * DMA), under pcidc not one.
 */
static void test_nvme_pcidc_leaves_inflight_reads_only_none_completes_them(
    void **state)
{
    struct run *r = scenario("nvme", "none,pcidc");
    json_t *none = run_policy_ok(r, "none"), *pcidc = run_policy_ok(r, "pcidc");

    (void)state;
    assert_none_corrupts(none);
    assert_pcidc_clean(pcidc);
    assert_block_device(none, pcidc, "nvme_0");
    assert_true(run_num(pcidc, "inflight_bytes") > 0);
    assert_true(run_num(device(pcidc, "nvme_0"), "inflight_landed") > 0);
    run_free(r);
}

/* --- virtio ------------------------------------------------------------ */

/*
 * virtio-blk: QEMU lands every fetched read before the disconnect write
 * returns -- so after pcidc's crash path nothing changes at all -- and
 * writes no used element; under none the reads land one by one, each
 * announced.
 */
static void test_virtio_blk_lands_inflight_reads_at_the_disconnect_only(
    void **state)
{
    struct run *r = scenario("virtio-blk", "none,pcidc");
    json_t *none = run_policy_ok(r, "none"), *pcidc = run_policy_ok(r, "pcidc");
    const json_t *p;

    (void)state;
    assert_none_corrupts(none);
    assert_pcidc_clean(pcidc);
    assert_block_device(none, pcidc, "virtio_blk_0");
    p = device(pcidc, "virtio_blk_0");
    assert_int_equal(run_num(p, "inflight_landed"),
                     run_num(p, "inflight_requests"));
    assert_int_equal(run_num(pcidc, "corrupted_bytes"), 0);
    run_free(r);
}

/* virtio-net: frames keep landing under none, none at all under pcidc. */
static void test_virtio_net_takes_no_frame_after_the_disconnect(void **state)
{
    struct run *r = scenario("virtio-net", "none,pcidc");
    json_t *none = run_policy_ok(r, "none"), *pcidc = run_policy_ok(r, "pcidc");

    (void)state;
    assert_none_corrupts(none);
    assert_pcidc_clean(pcidc);
    assert_nic(none, pcidc, "virtio_net_0");
    assert_int_equal(run_num(pcidc, "corrupted_bytes"), 0);
    run_free(r);
}

/* --- mixed ------------------------------------------------------------- */

/*
 * Every new device behind a pci-bridge and one behind a root port, next
 * to an e1000: none corrupts beyond in-flight reads, pcidc does not, each
 * bridge planned before what is behind it, every register still answers.
 */
static void test_new_devices_behind_bridges_stop_under_pcidc(void **state)
{
    struct run *r = scenario("e1000,bridge(nvme,virtio-net,virtio-blk),"
                             "rootport(nvme)", "none,pcidc");
    json_t *none = run_policy_ok(r, "none"), *pcidc = run_policy_ok(r, "pcidc");

    (void)state;
    assert_none_corrupts(none);
    assert_pcidc_clean(pcidc);
    assert_block_device(none, pcidc, "nvme_0");
    assert_block_device(none, pcidc, "virtio_blk_0");
    assert_block_device(none, pcidc, "nvme_1");
    assert_nic(none, pcidc, "virtio_net_0");
    /* bridge 00:03.0 before its bus 1, root port 00:04.0 before bus 2. */
    assert_true(plan_step(pcidc, "0000:00:03.0") <
                plan_step(pcidc, "0000:01:00.0"));
    assert_true(plan_step(pcidc, "0000:00:03.0") <
                plan_step(pcidc, "0000:01:02.0"));
    assert_true(plan_step(pcidc, "0000:00:04.0") <
                plan_step(pcidc, "0000:02:00.0"));
    assert_int_equal(run_num(pcidc, "mmio_checked"), 5);
    run_free(r);
}

/* --- SR-IOV ------------------------------------------------------------- */

/*
 * NVMe VFs behind a root port: pcidc plans each VF as a step of its own
 * and both stop (no completion entry, no MSI-X).  The control pf-only --
 * pcidc's plan without the VFs, as a crash path that knows physical
 * functions only -- leaves them running: a VF's completion entries and
 * MSI-X messages keep coming after the crash path (PCIe gives each VF
 * its own Bus Master Enable; so does QEMU's NVMe).
 */
static void test_planned_nvme_vfs_stop_under_pcidc_pf_only_leaves_them_running(
    void **state)
{
    struct run *r = scenario("rootport(nvme(vfs=2))", "none,pcidc,pf-only");
    json_t *none = run_policy_ok(r, "none"), *pcidc = run_policy_ok(r, "pcidc"),
           *pf_only = run_policy_ok(r, "pf-only");
    const char *vf[] = { "nvme_0.vf0", "nvme_0.vf1" };
    long long completions = 0, msi = 0;
    unsigned int i;

    (void)state;
    assert_none_corrupts(none);
    assert_pcidc_clean(pcidc);
    assert_true(plan_step(pcidc, "0000:01:00.1") > 0);
    assert_true(plan_step(pcidc, "0000:01:00.2") > 0);
    assert_int_equal(plan_step(pf_only, "0000:01:00.1"), 0);
    assert_int_equal(plan_step(pf_only, "0000:01:00.2"), 0);
    assert_true(plan_step(pf_only, "0000:01:00.0") > 0);
    for (i = 0; i < 2; i++) {
        const json_t *p = device(pcidc, vf[i]), *c = device(pf_only, vf[i]);

        assert_string_equal(run_str(p, "kind"), "nvme-vf");
        assert_true(run_num(p, "plan_step") > 0);
        assert_int_equal(run_num(p, "completions"), 0);
        assert_int_equal(run_num(p, "msi"), 0);
        assert_int_equal(run_num(c, "plan_step"), 0);
        completions += run_num(c, "completions");
        msi += run_num(c, "msi");
    }
    /* The VFs share one throttled drive: one may not get its turn in the
     * window, so the figure is over both. */
    assert_true(completions > 0);
    assert_true(msi > 0);
    assert_true(run_beyond(pf_only) > 0);
    assert_false(run_flag(pf_only, "dma_stopped"));
    run_free(r);
}

/*
 * igb VFs behind a root port (QEMU >= 8.0): under none they take frames,
 * under pcidc, which plans each VF, not one.  pf-only stops them too in
 * QEMU: its igb looks at the PF's Bus Master before it receives for any
 * VF (qtest/test_igb_driver.c measures it) -- a model's shortcut, not
 * what PCIe specifies, so a PF-only plan is no safer for it.
 */
static void test_igb_vfs_stop_under_pcidc_and_under_pf_only_in_qemu(
    void **state)
{
    struct run *r;
    json_t *none, *pcidc, *pf_only;
    const char *vf[] = { "igb_0.vf0", "igb_0.vf1" };
    unsigned int i;

    (void)state;
    if (!have_device("igb", "igb appeared in QEMU 8.0"))
        skip();
    r = scenario("rootport(igb(vfs=2))", "none,pcidc,pf-only");
    none = run_policy_ok(r, "none");
    pcidc = run_policy_ok(r, "pcidc");
    pf_only = run_policy_ok(r, "pf-only");
    assert_none_corrupts(none);
    assert_pcidc_clean(pcidc);
    for (i = 0; i < 2; i++) {
        assert_nic(none, pcidc, vf[i]);
        assert_string_equal(run_str(device(pcidc, vf[i]), "kind"), "igb-vf");
        assert_true(run_num(device(pcidc, vf[i]), "plan_step") > 0);
        assert_int_equal(run_num(device(pf_only, vf[i]), "plan_step"), 0);
        assert_int_equal(run_num(device(pf_only, vf[i]), "completions"), 0);
    }
    assert_int_equal(run_beyond(pf_only), 0);
    run_free(r);
}

/*
 * --plan-only shows every VF in the bus table and as a step of pcidc's
 * plan; pf-only's plan has no VF and says it is a control.
 */
static void test_plan_only_lists_each_vf_as_a_step_of_its_own(void **state)
{
    const char *argv[] = { "--plan-only", "--topology",
                           "e1000,rootport(nvme(vfs=2))", "--policy",
                           "pcidc,pf-only", NULL };
    struct run r;

    (void)state;
    run_prepare(&r);
    assert_int_equal(run_crashsim(&r, argv, NULL, NULL), 0);
    if (r.status)
        fprintf(stderr, "crashsim exit %d: %s", r.status, r.err);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "0000:01:00.1 1b36:0010"));
    assert_non_null(strstr(r.out, "VF of 0000:01:00.0\n"));
    /* MCH, e1000, root port, NVMe PF, 2 VFs, LPC, AHCI, SMBus. */
    assert_non_null(strstr(r.out, "pcidc: 9 writes"));
    assert_non_null(strstr(r.out, "  0000:01:00.2  COMMAND = "));
    assert_non_null(strstr(r.out, "pf-only: 7 writes"));
    assert_non_null(strstr(r.out, "(a control: pcidc's plan without the "
                                  "SR-IOV VFs"));
    assert_int_equal(run_procs_with(r.tmpdir), 0);
    run_cleanup(&r);
}

/* --- what crashsim refuses --------------------------------------------- */

/* The QEMU under test: major and minor, and its version text. */
static void qemu_version(unsigned int *major, unsigned int *minor,
                         char *text, size_t len)
{
    char line[256], err[256];
    const char *v;

    if (qts_query_version(NULL, 0, line, sizeof(line), err, sizeof(err)) ||
        qts_parse_version(line, major, minor))
        fail_msg("no QEMU version: %s", err);
    v = strstr(line, "version ");
    snprintf(text, len, "%.*s", (int)strcspn(v + 8, " "), v + 8);
}

/*
 * igb on a QEMU older than 8.0 is a spec-time error naming the version,
 * before any QEMU starts a machine; on a newer one the same topology is
 * planned, its VFs at the PF's routing ID + 0x80 + 2n.
 */
static void test_igb_item_needs_qemu_8_and_says_which_qemu_this_is(
    void **state)
{
    const char *run_argv[] = { "--topology", "e1000,igb(vfs=2)", NULL };
    const char *plan_argv[] = { "--plan-only", "--topology",
                                "e1000,igb(vfs=2)", "--policy", "pcidc",
                                NULL };
    unsigned int major, minor;
    char version[32], want[160];
    struct run r;

    (void)state;
    qemu_version(&major, &minor, version, sizeof(version));
    run_prepare(&r);
    if (major < 8) {
        assert_int_equal(run_crashsim(&r, run_argv, NULL, NULL), 0);
        snprintf(want, sizeof(want), "topology: position 7: igb needs QEMU "
                 ">= 8.0; this is QEMU %s (", version);
        run_assert_exit2(&r, want);
    } else {
        assert_int_equal(run_crashsim(&r, plan_argv, NULL, NULL), 0);
        assert_int_equal(r.status, 0);
        /* igb at 00:03.0: VFs at 00:13.0 and 00:13.2. */
        assert_non_null(strstr(r.out, "0000:00:13.0 8086:10ca"));
        assert_non_null(strstr(r.out, "0000:00:13.2 8086:10ca"));
        assert_int_equal(run_procs_with(r.tmpdir), 0);
    }
    run_cleanup(&r);
}

/* VFs behind a conventional PCI bridge: refused with the reason. */
static void test_vfs_behind_a_conventional_bridge_are_refused(void **state)
{
    const char *argv[] = { "--topology", "e1000,bridge(nvme(vfs=1))", NULL };
    struct run r;

    (void)state;
    run_prepare(&r);
    assert_int_equal(run_crashsim(&r, argv, NULL, NULL), 0);
    run_assert_exit2(&r, "position 14: nvme(vfs=1) behind bridge(...): a "
                         "conventional PCI bridge does not forward extended "
                         "config space");
    run_cleanup(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_nvme_pcidc_leaves_inflight_reads_only_none_completes_them),
        cmocka_unit_test(
            test_virtio_blk_lands_inflight_reads_at_the_disconnect_only),
        cmocka_unit_test(test_virtio_net_takes_no_frame_after_the_disconnect),
        cmocka_unit_test(test_new_devices_behind_bridges_stop_under_pcidc),
        cmocka_unit_test(
            test_planned_nvme_vfs_stop_under_pcidc_pf_only_leaves_them_running),
        cmocka_unit_test(
            test_igb_vfs_stop_under_pcidc_and_under_pf_only_in_qemu),
        cmocka_unit_test(test_plan_only_lists_each_vf_as_a_step_of_its_own),
        cmocka_unit_test(
            test_igb_item_needs_qemu_8_and_says_which_qemu_this_is),
        cmocka_unit_test(test_vfs_behind_a_conventional_bridge_are_refused),
    };

    return cmocka_run_group_tests_name("devices", tests, NULL, NULL);
}
