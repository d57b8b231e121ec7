/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests of crashsim's report rendering (sim/report/report.c): from
 * JSON alone, report_beyond_inflight() on garbage and the Markdown table
 * with failed runs, runs missing fields, MSI counted or not observable, and
 * the AHCI queue line; from an engine result, the run's JSON.  No QEMU.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report/report.h"

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);

    if (!v)
        fail_msg("bad test JSON: %s", jerr.text);
    return v;
}

static long long beyond(const char *run_text)
{
    json_t *run = parse(run_text);
    long long v = report_beyond_inflight(run);

    json_decref(run);
    return v;
}

static void test_beyond_inflight(void **state)
{
    (void)state;
    assert_int_equal(beyond("{\"corrupted_bytes\": 100, \"inflight_bytes\": 40}"),
                     60);
    assert_int_equal(beyond("{\"corrupted_bytes\": 7}"), 7);
    assert_int_equal(beyond("{}"), 0);
    assert_int_equal(beyond("[]"), 0);
    assert_int_equal(beyond("{\"corrupted_bytes\": \"100\"}"), 0);
    assert_int_equal(beyond("{\"corrupted_bytes\": null, \"inflight_bytes\": 3}"),
                     -3);
    assert_int_equal(beyond("{\"corrupted_bytes\": 9.9, \"inflight_bytes\": 2}"),
                     7);
    assert_int_equal(beyond("{\"corrupted_bytes\": 1e300}"), 0);
    assert_int_equal(beyond("{\"corrupted_bytes\": -1e300}"), 0);
    assert_int_equal(report_beyond_inflight(NULL), 0);
}

/* report_markdown of text into a string (caller frees). */
static char *markdown(const char *text)
{
    json_t *report = parse(text);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    report_markdown(report, f);
    fclose(f);
    json_decref(report);
    return buf;
}

static void test_markdown_runs(void **state)
{
    char *md = markdown(
        "{\"topology\": \"ahci\", \"seed\": 3, \"window_ms\": 400,"
        " \"qemu_version\": \"QEMU 7.2\", \"runs\": ["
        "  {\"policy\": \"seed\", \"error\": \"QEMU died\"},"
        "  {\"policy\": \"none\", \"corrupted_bytes\": 5, \"inflight_bytes\": 1,"
        "   \"msi_observable\": true, \"msi_after_crash\": 12,"
        "   \"dma_after_crash\": {\"0000:00:1f.2\": {\"device\": \"ahci_0\","
        "     \"bytes_written\": 655360, \"throttle_bps\": 524288,"
        "     \"queued_commands_at_crash\": 32}}},"
        "  {\"policy\": \"pcidc\", \"msi_observable\": true,"
        "   \"msi_after_crash\": 0, \"dma_after_crash\": {\"0000:00:1f.2\":"
        "     {\"device\": \"ahci_0\", \"bytes_written\": 65536,"
        "      \"throttle_bps\": 524288, \"queued_commands_at_crash\": 31}}},"
        "  {\"no policy\": 1, \"dma_after_crash\": 7},"
        "  42"
        "]}");

    (void)state;
    assert_non_null(strstr(md, "Topology `ahci`, seed 3, window 400 ms, QEMU 7.2"));
    assert_non_null(strstr(md, "| seed | error: QEMU died |"));
    assert_non_null(strstr(md, "| none | 0 | 0 | 5 | 1 | 4 | 655360 |"));
    /* MSI column: the count when observable. */
    assert_non_null(strstr(md, "| 12 |"));
    assert_non_null(strstr(md, "MSI: AHCI's MSI is programmed"));
    assert_null(strstr(md, "MSI n/a"));
    /* Rows without a policy name or without an object still render. */
    assert_non_null(strstr(md, "| ? |"));
    /* The AHCI line: queue and bytes per window, per policy. */
    assert_non_null(strstr(md, "AHCI ahci_0 (0000:00:1f.2): 64 KiB reads, "
                               "all 32 slots"));
    assert_non_null(strstr(md, "512 KiB/s (a full queue is 4.0 s"));
    assert_non_null(strstr(md, "400 ms window: none 32 / 655360 B, "
                               "pcidc 31 / 65536 B"));
    free(md);
}

static void test_markdown_no_msi(void **state)
{
    char *md = markdown(
        "{\"topology\": \"e1000\", \"seed\": 1, \"window_ms\": 1000,"
        " \"runs\": [{\"policy\": \"none\", \"msi_after_crash\": 0,"
        "  \"dma_after_crash\": {\"0000:00:02.0\": {\"device\": \"e1000_0\","
        "   \"bytes_written\": 1000, \"bytes_read\": 512}}}]}");

    (void)state;
    assert_non_null(strstr(md, "| n/a |"));
    assert_non_null(strstr(md, "MSI n/a: no device in this topology"));
    assert_null(strstr(md, "\nAHCI "));
    /* No qemu_version member: shown as '?', not a crash. */
    assert_non_null(strstr(md, "window 1000 ms, ?"));
    free(md);
}

/*
 * A result's figures reach the run's JSON as the engine gave them: the
 * fault record's reason name, the AHCI queue in commands and bytes, SBDFs
 * as text.
 */
static void test_run_json_carries_engine_figures(void **state)
{
    static struct crash_result r;
    json_t *run, *dev, *fault;

    (void)state;
    memset(&r, 0, sizeof(r));
    r.policy = CRASH_PCIDC;
    r.nr_devs = 1;
    snprintf(r.dev[0].name, sizeof(r.dev[0].name), "ahci_0");
    r.dev[0].sbdf = 0xfa;
    r.dev[0].queued_at_crash = 31;
    r.dev[0].queued_bytes_at_crash = 31ULL * CRASH_AHCI_CMD_BYTES;
    r.dev[0].throttle_bps = 524288;
    r.iommu = true;
    r.nr_faults = 1;
    r.fault[0].source_id = 0x0018;
    r.fault[0].reason = 5;
    snprintf(r.fault[0].reason_name, sizeof(r.fault[0].reason_name),
             "write not permitted");
    r.fault[0].iova = 0x1000;
    r.fault[0].dev = 0;
    run = report_run_json(&r);
    assert_non_null(run);
    dev = json_object_get(json_object_get(run, "dma_after_crash"),
                          "0000:00:1f.2");
    assert_non_null(dev);
    assert_int_equal(json_integer_value(json_object_get(dev,
                     "queued_commands_at_crash")), 31);
    assert_int_equal(json_integer_value(json_object_get(dev,
                     "queued_bytes_at_crash")), 31 * 65536);
    fault = json_array_get(json_object_get(run, "iommu_fault_records"), 0);
    assert_non_null(fault);
    assert_string_equal(json_string_value(json_object_get(fault, "source")),
                        "0000:00:03.0");
    assert_string_equal(json_string_value(json_object_get(fault,
                        "reason_name")), "write not permitted");
    assert_string_equal(json_string_value(json_object_get(fault,
                        "iova_owner")), "ahci_0");
    json_decref(run);
}

static void test_markdown_garbage(void **state)
{
    static const char *const garbage[] = {
        "{}", "[]", "{\"runs\": 5}", "{\"runs\": [null, [], \"x\"]}",
        "{\"topology\": 7, \"runs\": [{\"policy\": 3, \"error\": 4}]}",
    };
    unsigned int i;

    (void)state;
    for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
        char *md = markdown(garbage[i]);

        assert_non_null(strstr(md, "| policy |"));
        free(md);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_beyond_inflight),
        cmocka_unit_test(test_markdown_runs),
        cmocka_unit_test(test_markdown_no_msi),
        cmocka_unit_test(test_markdown_garbage),
        cmocka_unit_test(test_run_json_carries_engine_figures),
    };

    return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
