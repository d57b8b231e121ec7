/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests of crashsim's report rendering (sim/report/report.c): from
 * JSON alone, report_beyond_inflight() on garbage and the Markdown table
 * with failed runs, runs missing fields, MSI counted or not observable, and
 * the AHCI queue line, the console and MMIO columns; from an engine
 * result, the run's JSON; the --require-clean and --require-reachable
 * verdicts.  No QEMU.
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

/* The reachability columns: yes/no/- and n/m, and the reads' legend. */
static void test_markdown_console_and_mmio(void **state)
{
    char *md = markdown(
        "{\"topology\": \"bridge(e1000,serial)\", \"runs\": ["
        "  {\"policy\": \"decode-off\", \"config_writes\": 4,"
        "   \"console_after_crash\": false, \"mmio_reachable\": 0,"
        "   \"mmio_checked\": 2},"
        "  {\"policy\": \"pcidc\", \"config_writes\": 4,"
        "   \"config_reads\": 4, \"dma_stopped\": true,"
        "   \"console_after_crash\": true, \"mmio_reachable\": 2,"
        "   \"mmio_checked\": 2, \"elapsed_ms\": 12},"
        "  {\"policy\": \"none\", \"console_after_crash\": null,"
        "   \"mmio_reachable\": 0, \"mmio_checked\": 0},"
        "  {\"policy\": \"seed\", \"error\": \"QEMU died\"}"
        "]}");

    (void)state;
    assert_non_null(strstr(md, "| DMA stopped | console after crash | "
                               "MMIO reachable | ms |"));
    assert_non_null(strstr(md, "| decode-off | 4 | 0 |"));
    assert_non_null(strstr(md, "| no | no | 0/2 | 0 |\n"));
    assert_non_null(strstr(md, "| pcidc | 4 | 4 |"));
    assert_non_null(strstr(md, "| yes | yes | 2/2 | 12 |\n"));
    /* No UART, nothing checked: dashes. */
    assert_non_null(strstr(md, "| no | - | - | 0 |\n"));
    /* A failed run fills every column of its row. */
    assert_non_null(strstr(md, "| seed | error: QEMU died ||||||||||||||||\n"));
    assert_non_null(strstr(md, "reads = config reads on the crash path: "
                               "pcidc reads each function's COMMAND"));
    assert_non_null(strstr(md, "seed and decode-off read nothing"));
    free(md);
}

/* The reachability figures reach the run's JSON as the engine gave them. */
static void test_run_json_carries_reach_figures(void **state)
{
    static struct crash_result r;
    json_t *run, *f, *c, *p;

    (void)state;
    memset(&r, 0, sizeof(r));
    r.policy = CRASH_DECODE_OFF;
    r.nr_funcs = 2;
    r.func[0].sbdf = 0x18;
    r.func[0].command_before = 0x0007;
    r.func[0].command_after = 0x0400;
    r.func[0].planned = true;
    r.func[1].sbdf = 0x100;
    r.func[1].command_before = 0x0001;
    r.func[1].command_after = 0x0001;
    r.nr_consoles = 1;
    snprintf(r.console[0].name, sizeof(r.console[0].name), "serial_0");
    r.console[0].sbdf = 0x100;
    r.console[0].preserved = true;
    r.console[0].arrived = true;
    r.console_after_crash = true;
    r.nr_mmio = 1;
    r.mmio_reachable = 0;
    snprintf(r.mmio[0].name, sizeof(r.mmio[0].name), "e1000_0");
    r.mmio[0].reg = "STATUS";
    r.mmio[0].addr = 0xc0000008;
    r.mmio[0].before = 0x80080783;
    r.crash_path_config_ms = 1.5;
    run = report_run_json(&r);
    assert_string_equal(json_string_value(json_object_get(run, "policy")),
                        "decode-off");
    f = json_array_get(json_object_get(run, "functions"), 0);
    assert_string_equal(json_string_value(json_object_get(f, "sbdf")),
                        "0000:00:03.0");
    assert_int_equal(json_integer_value(json_object_get(f, "command_before")),
                     7);
    assert_int_equal(json_integer_value(json_object_get(f, "command_after")),
                     0x400);
    assert_true(json_is_true(json_object_get(f, "planned")));
    f = json_array_get(json_object_get(run, "functions"), 1);
    assert_true(json_is_false(json_object_get(f, "planned")));
    assert_int_equal(json_array_size(json_object_get(run, "functions")), 2);
    assert_true(json_is_true(json_object_get(run, "console_after_crash")));
    c = json_array_get(json_object_get(run, "consoles"), 0);
    assert_true(json_is_true(json_object_get(c, "preserved")));
    assert_true(json_is_true(json_object_get(c, "line_arrived")));
    assert_int_equal(json_integer_value(json_object_get(run,
                                                        "mmio_checked")), 1);
    assert_int_equal(json_integer_value(json_object_get(run,
                                                        "mmio_reachable")), 0);
    p = json_array_get(json_object_get(run, "mmio"), 0);
    assert_string_equal(json_string_value(json_object_get(p, "register")),
                        "STATUS");
    assert_string_equal(json_string_value(json_object_get(p, "space")),
                        "memory");
    assert_int_equal(json_integer_value(json_object_get(p, "after")), 0);
    assert_true(json_is_false(json_object_get(p, "reachable")));
    assert_true(json_real_value(json_object_get(run,
                                "crash_path_config_ms")) == 1.5);
    json_decref(run);

    /* No UART: null, not false. */
    r.nr_consoles = 0;
    run = report_run_json(&r);
    assert_true(json_is_null(json_object_get(run, "console_after_crash")));
    assert_int_equal(json_array_size(json_object_get(run, "consoles")), 0);
    json_decref(run);
}

/* report_check_clean / _reachable on a report; errors go to a string. */
static int check(const char *report_text, bool reachable, unsigned int p,
                 char **err)
{
    bool want[CRASH_NR_POLICIES] = { false };
    json_t *report = parse(report_text);
    size_t len = 0;
    FILE *f = open_memstream(err, &len);
    int status;

    assert_non_null(f);
    want[p] = true;
    status = reachable ? report_check_reachable(report, want, f)
                       : report_check_clean(report, want, f);
    fclose(f);
    json_decref(report);
    return status;
}

static void test_require_clean_and_reachable(void **state)
{
    static const char report[] =
        "{\"runs\": ["
        "  {\"policy\": \"none\", \"corrupted_bytes\": 10,"
        "   \"console_after_crash\": null, \"mmio_reachable\": 3,"
        "   \"mmio_checked\": 3},"
        "  {\"policy\": \"decode-off\", \"corrupted_bytes\": 5,"
        "   \"inflight_bytes\": 5, \"console_after_crash\": false,"
        "   \"mmio_reachable\": 3, \"mmio_checked\": 3},"
        "  {\"policy\": \"pcidc\", \"console_after_crash\": true,"
        "   \"mmio_reachable\": 2, \"mmio_checked\": 3},"
        "  {\"policy\": \"seed\", \"console_after_crash\": true}"
        "]}";
    char *err;

    (void)state;
    assert_int_equal(check(report, false, CRASH_DECODE_OFF, &err), 0);
    assert_string_equal(err, "");
    free(err);
    assert_int_equal(check(report, false, CRASH_NONE, &err), 1);
    assert_non_null(strstr(err, "policy none corrupted 10 bytes"));
    free(err);
    /* No UART and every register: reachable. */
    assert_int_equal(check(report, true, CRASH_NONE, &err), 0);
    free(err);
    assert_int_equal(check(report, true, CRASH_DECODE_OFF, &err), 1);
    assert_non_null(strstr(err, "decode-off's crash path the console line "
                                "was lost and 3 of 3"));
    free(err);
    assert_int_equal(check(report, true, CRASH_PCIDC, &err), 1);
    assert_non_null(strstr(err, "not lost and 2 of 3 registers"));
    free(err);
    /* Missing figures fail; so does a policy without a run. */
    assert_int_equal(check(report, true, CRASH_SEED, &err), 1);
    free(err);
    assert_int_equal(check(report, true, CRASH_LINUX_KEXEC, &err), 1);
    assert_non_null(strstr(err, "linux-kexec has no run"));
    free(err);
    assert_int_equal(check(report, false, CRASH_LINUX_KEXEC, &err), 1);
    free(err);
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
        cmocka_unit_test(test_markdown_console_and_mmio),
        cmocka_unit_test(test_run_json_carries_reach_figures),
        cmocka_unit_test(test_require_clean_and_reachable),
    };

    return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
