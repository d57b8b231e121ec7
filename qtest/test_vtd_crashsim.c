/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * build/crashsim on IOMMU topologies, run as users do (the VT-d issue's
 * comparison): policy none must corrupt the low memory and kdump regions
 * (negative control: else the harness is blind), seed, linux-kexec,
 * decode-off and pcidc nothing beyond in-flight AHCI reads, iommu-on only
 * the crash state; a kept device writes low memory once translation is
 * off; a fault probe must show up as a fault record, and not without it.
 *
 * The policy comparison runs crashsim once (group set-up); each test then
 * checks one claim on that report.
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

#include "crashsim_run.h"

#define VTD_TOPOLOGY    "iommu,e1000,ahci,bridge(e1000)"
#define VTD_WINDOW      "400"

static struct run *crashsim(const char *topology, const char *policies,
                            bool probe)
{
    const char *argv[12] = { "--topology", topology, "--policy", policies,
                             "--window-ms", VTD_WINDOW, "--seed", "7" };

    if (probe)
        argv[8] = "--iommu-probe";
    return run_completed(argv);
}

static json_t *policy_run(struct run *r, const char *name)
{
    json_t *run = run_policy_ok(r, name);

    assert_true(json_is_true(json_object_get(run, "iommu")));
    return run;
}

static long long by_region(const json_t *run, const char *key)
{
    const json_t *by = json_object_get(run, "corrupted_by_region");

    assert_non_null(by);
    return run_num(by, key);
}

static bool translation_on(const json_t *run)
{
    return json_is_true(json_object_get(run, "translation_on_after_window"));
}

/* Some range in region was attributed to a device (by its IOVA). */
static bool region_has_device(const json_t *run, const char *region)
{
    const json_t *ranges = json_object_get(run, "corrupted_ranges"), *cr;
    size_t i;

    json_array_foreach((json_t *)ranges, i, cr)
        if (!strcmp(json_string_value(json_object_get(cr, "region")), region)
            && json_is_string(json_object_get(cr, "device")))
            return true;
    return false;
}

static void print_row(const json_t *run)
{
    print_message("vtd: %-11s translation %s, low %lld B, kdump %lld B, "
                  "crash state %lld B (in flight %lld B), faults %lld\n",
                  json_string_value(json_object_get(run, "policy")),
                  translation_on(run) ? "on " : "off",
                  by_region(run, "low_memory"),
                  by_region(run, "kdump_reserved"),
                  by_region(run, "crash_state"),
                  run_num(run, "inflight_bytes"),
                  run_num(run, "iommu_faults"));
}

/* --- every policy on the VT-d issue's demo topology ---------------------- */

static int run_all_policies(void **state)
{
    static const char *const names[] = {
        "none", "seed", "linux-kexec", "decode-off", "pcidc", "iommu-on",
    };
    struct run *r = crashsim(VTD_TOPOLOGY, "all", false);
    unsigned int i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        print_row(policy_run(r, names[i]));
    *state = r;
    return 0;
}

static int free_all_policies(void **state)
{
    run_free(*state);
    return 0;
}

/* Negative control: translation off with devices running. */
static void test_none_lands_in_low_memory_and_kdump(void **state)
{
    json_t *none = policy_run(*state, "none");

    assert_false(translation_on(none));
    assert_true(by_region(none, "low_memory") > 0);
    assert_true(by_region(none, "kdump_reserved") > 0);
    assert_true(region_has_device(none, "low memory"));
    assert_true(region_has_device(none, "kdump reserved"));
    assert_false(json_is_true(json_object_get(none, "dma_stopped")));
}

/*
 * Disconnect first (seed, decode-off, pcidc), or Linux's Bus Master
 * clear, then translation off: in-flight AHCI reads only, nothing in low
 * memory or the kdump region.
 */
static void test_disconnect_then_translation_off_lands_only_inflight(
    void **state)
{
    static const char *const names[] = { "seed", "linux-kexec", "decode-off",
                                         "pcidc" };
    unsigned int i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        json_t *run = policy_run(*state, names[i]);

        assert_false(translation_on(run));
        assert_int_equal(by_region(run, "low_memory"), 0);
        assert_int_equal(by_region(run, "kdump_reserved"), 0);
        assert_int_equal(run_num(run, "corrupted_bytes"),
                         run_num(run, "inflight_bytes"));
    }
}

/* Translation stays on: the kdump side is safe, the crash state not. */
static void test_iommu_on_keeps_kdump_clean_not_crash_state(void **state)
{
    json_t *on = policy_run(*state, "iommu-on");

    assert_true(translation_on(on));
    assert_int_equal(by_region(on, "low_memory"), 0);
    assert_int_equal(by_region(on, "kdump_reserved"), 0);
    assert_true(by_region(on, "crash_state") > run_num(on, "inflight_bytes"));
}

/* The layout used both guarded windows, each buffer owned by a device. */
static void test_iova_layout_fills_both_guarded_windows(void **state)
{
    json_t *none = policy_run(*state, "none");
    const json_t *layout = json_object_get(none, "iova_layout"), *b;
    bool low = false, kdump = false;
    size_t i;

    json_array_foreach((json_t *)layout, i, b) {
        const char *w = json_string_value(json_object_get(b, "window"));

        low |= !strcmp(w, "low memory");
        kdump |= !strcmp(w, "kdump reserved");
        assert_true(json_is_string(json_object_get(b, "device")));
    }
    assert_true(low && kdump);
    assert_int_equal(run_num(none, "iova_unguarded_bytes"), 0);
}

/* --- runs of their own --------------------------------------------------- */

/*
 * A preserved device (keep:) is left running by the disconnect, but VT-d
 * translation still goes off after it: the kept NIC's descriptor
 * write-backs then land at its ring IOVA taken as a physical address, in
 * low memory.  So every byte pcidc lets through beyond in-flight reads is
 * the kept NIC's, none lands in the kdump region, and there are some:
 * keeping a device alive is only safe if translation stays on for it (or
 * its IOVAs are physical addresses).  None on the same run: both NICs.
 */
static void test_kept_nic_writes_low_memory_after_translation_off(
    void **state)
{
    struct run *r = crashsim("iommu,keep:e1000,e1000,ahci", "none,pcidc",
                             false);
    json_t *none = policy_run(r, "none"), *pcidc = policy_run(r, "pcidc");

    (void)state;
    print_row(none);
    print_row(pcidc);
    assert_true(by_region(none, "low_memory") > 0);
    assert_true(by_region(none, "kdump_reserved") > 0);
    assert_int_equal(by_region(pcidc, "kdump_reserved"), 0);
    assert_true(by_region(pcidc, "low_memory") > 0);
    run_assert_beyond_only_from(pcidc, "e1000_0");
    run_free(r);
}

/*
 * DMA to an unmapped IOVA with translation on is a fault record that the
 * report shows; without the probe, no fault (negative control).
 */
static void test_probe_unmap_is_a_fault_record_and_not_without(void **state)
{
    struct run *r = crashsim("iommu,e1000", "iommu-on", true);
    struct run *c = crashsim("iommu,e1000", "iommu-on", false);
    json_t *on = policy_run(r, "iommu-on"), *ctl = policy_run(c, "iommu-on");
    const json_t *f = json_array_get(json_object_get(on,
                                     "iommu_fault_records"), 0);

    (void)state;
    print_row(on);
    print_row(ctl);
    assert_true(run_num(on, "iommu_faults") >= 1);
    assert_non_null(f);
    assert_string_equal(json_string_value(json_object_get(f, "source")),
                        "0000:00:02.0");
    assert_string_equal(json_string_value(json_object_get(f, "type")),
                        "write");
    assert_string_equal(json_string_value(json_object_get(f, "iova_owner")),
                        "e1000_0");
    assert_int_equal(run_num(ctl, "iommu_faults"), 0);
    assert_int_equal(json_array_size(json_object_get(ctl,
                                                     "iommu_fault_records")),
                     0);
    run_free(r);
    run_free(c);
}

/* iommu-on without an iommu: a usage error, one line, exit 2, no QEMU. */
static void test_iommu_on_without_iommu_is_a_usage_error(void **state)
{
    const char *argv[] = { "--topology", "e1000", "--policy", "iommu-on",
                           NULL };
    struct run *r = calloc(1, sizeof(*r));

    (void)state;
    assert_non_null(r);
    run_prepare(r);
    assert_int_equal(run_crashsim(r, argv, NULL, NULL), 0);
    run_assert_exit2(r, "iommu");
    run_free(r);
}

int main(void)
{
    const struct CMUnitTest policies[] = {
        cmocka_unit_test(test_none_lands_in_low_memory_and_kdump),
        cmocka_unit_test(
            test_disconnect_then_translation_off_lands_only_inflight),
        cmocka_unit_test(test_iommu_on_keeps_kdump_clean_not_crash_state),
        cmocka_unit_test(test_iova_layout_fills_both_guarded_windows),
    };
    const struct CMUnitTest own_runs[] = {
        cmocka_unit_test(test_iommu_on_without_iommu_is_a_usage_error),
        cmocka_unit_test(test_probe_unmap_is_a_fault_record_and_not_without),
        cmocka_unit_test(
            test_kept_nic_writes_low_memory_after_translation_off),
    };
    int failed;

    failed = cmocka_run_group_tests_name("vtd_crashsim_policies", policies,
                                         run_all_policies, free_all_policies);
    failed += cmocka_run_group_tests_name("vtd_crashsim", own_runs, NULL,
                                          NULL);
    return failed;
}
