/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests of crashsim --check's properties (sim/report/report_props*.c)
 * on a made-up report of one case: every property holds on it, and each
 * fails when the report is changed the way a broken core, a broken run or
 * a leftover QEMU would change it.  Also the timeline's lanes, labels and
 * PCIe band (timeline.c), and the HTML writer's escaping (html.c).  No
 * QEMU.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report/html.h"
#include "report/report.h"

/*
 * Bus: 00:00.0 host bridge, 00:02.0 NIC, 00:03.0 bridge with the NIC
 * 01:00.0 behind it, 00:1f.2 AHCI.  pcidc wrote the bridge first; seed
 * wrote Xen's list order (descending SBDF).
 */
#define FUNCS \
    "\"functions\": [" \
    "{\"sbdf\": \"0000:00:00.0\", \"command_before\": 0, \"bridge\": false," \
    " \"preserved\": false, \"parent\": null}," \
    "{\"sbdf\": \"0000:00:02.0\", \"command_before\": 7, \"bridge\": false," \
    " \"preserved\": false, \"parent\": null}," \
    "{\"sbdf\": \"0000:00:03.0\", \"command_before\": 7, \"bridge\": true," \
    " \"preserved\": false, \"parent\": null}," \
    "{\"sbdf\": \"0000:01:00.0\", \"command_before\": 6, \"bridge\": false," \
    " \"preserved\": false, \"parent\": \"0000:00:03.0\"}," \
    "{\"sbdf\": \"0000:00:1f.2\", \"command_before\": 6, \"bridge\": false," \
    " \"preserved\": false, \"parent\": null}]"

#define DEVS(intx, corrupted) \
    "\"dma_after_crash\": {" \
    "\"0000:00:02.0\": {\"device\": \"e1000_0\", \"preserved\": false," \
    " \"irq_pin\": 16, \"intx\": " #intx ", \"corrupted_bytes\": 0," \
    " \"plan_step\": 2, \"bridge_step\": 0}," \
    "\"0000:01:00.0\": {\"device\": \"e1000_1\", \"preserved\": false," \
    " \"irq_pin\": 17, \"intx\": 0, \"corrupted_bytes\": " #corrupted "," \
    " \"plan_step\": 4, \"bridge_step\": 1," \
    " \"bridge_sbdf\": \"0000:00:03.0\"}}"

#define PCIDC_PLAN \
    "[{\"sbdf\": \"0000:00:03.0\", \"value\": \"0x0403\", \"t_ms\": 1}," \
    " {\"sbdf\": \"0000:00:02.0\", \"value\": \"0x0403\", \"t_ms\": 2}," \
    " {\"sbdf\": \"0000:00:00.0\", \"value\": \"0x0400\", \"t_ms\": 3}," \
    " {\"sbdf\": \"0000:00:1f.2\", \"value\": \"0x0402\", \"t_ms\": 4}," \
    " {\"sbdf\": \"0000:01:00.0\", \"value\": \"0x0402\", \"t_ms\": 5}]"

#define SEED_PLAN \
    "[{\"sbdf\": \"0000:01:00.0\", \"value\": \"0x0000\"}," \
    " {\"sbdf\": \"0000:00:1f.2\", \"value\": \"0x0000\"}," \
    " {\"sbdf\": \"0000:00:03.0\", \"value\": \"0x0000\"}," \
    " {\"sbdf\": \"0000:00:02.0\", \"value\": \"0x0000\"}," \
    " {\"sbdf\": \"0000:00:00.0\", \"value\": \"0x0000\"}]"

static const char good[] =
    "{\"runs\": ["
    "{\"policy\": \"none\", \"corrupted_bytes\": 5000, \"inflight_bytes\": 0,"
    " \"plan\": [], " FUNCS ", " DEVS(3, 2500) "},"
    "{\"policy\": \"seed\", \"corrupted_bytes\": 0, \"inflight_bytes\": 0,"
    " \"plan\": " SEED_PLAN ", " FUNCS ", " DEVS(1, 0) "},"
    "{\"policy\": \"pcidc\", \"corrupted_bytes\": 700, \"inflight_bytes\": 700,"
    " \"intx_after_crash\": 0, \"msi_after_crash\": 0,"
    " \"console_after_crash\": true, \"mmio_reachable\": 3,"
    " \"mmio_checked\": 3, \"plan\": " PCIDC_PLAN ", " FUNCS ", "
    DEVS(0, 0) "}],"
    " \"plan_only\": {\"seed\": " SEED_PLAN ", \"pcidc\": [" 
    "{\"sbdf\": \"0000:00:03.0\", \"value\": \"0x0403\", \"reads\": true},"
    "{\"sbdf\": \"0000:00:02.0\", \"value\": \"0x0400\", \"reads\": true},"
    "{\"sbdf\": \"0000:00:00.0\", \"value\": \"0x0400\", \"reads\": true},"
    "{\"sbdf\": \"0000:00:1f.2\", \"value\": \"0x0400\", \"reads\": true},"
    "{\"sbdf\": \"0000:01:00.0\", \"value\": \"0x0400\", \"reads\": true}]},"
    " \"leftover_processes\": 0}";

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);

    if (!v)
        fail_msg("bad test JSON: %s (line %d)", jerr.text, jerr.line);
    return v;
}

static const json_t *run_of(const json_t *report, const char *policy)
{
    const json_t *run;
    size_t i;

    json_array_foreach(json_object_get(report, "runs"), i, run)
        if (!strcmp(json_string_value(json_object_get(run, "policy")),
                    policy))
            return run;
    fail_msg("no run %s", policy);
    return NULL;
}

/* The verdict of property (policy) on report; fails the test if absent. */
static bool verdict(const json_t *report, const char *property,
                    const char *policy)
{
    json_t *props = report_properties(report);
    const json_t *p;
    size_t i;
    int found = -1;

    json_array_foreach(props, i, p)
        if (!strcmp(json_string_value(json_object_get(p, "property")),
                    property) &&
            !strcmp(json_string_value(json_object_get(p, "policy")), policy))
            found = json_is_true(json_object_get(p, "ok"));
    json_decref(props);
    if (found < 0)
        fail_msg("no property %s (%s)", property, policy);
    return found == 1;
}

static void test_every_property_holds_on_a_good_case(void **state)
{
    json_t *report = parse(good), *props = report_properties(report);
    FILE *devnull = fopen("/dev/null", "w");

    (void)state;
    assert_int_equal(report_properties_print(props, devnull), 0);
    assert_true(json_array_size(props) >= 11);
    fclose(devnull);
    json_decref(props);
    json_decref(report);
}

static void set_int(json_t *o, const char *key, long long v)
{
    json_object_set_new(o, key, json_integer(v));
}

static void test_dma_intx_console_and_leftovers_fail(void **state)
{
    json_t *report = parse(good);
    json_t *pcidc = (json_t *)run_of(report, "pcidc");
    json_t *none = (json_t *)run_of(report, "none");

    (void)state;
    set_int(pcidc, "corrupted_bytes", 701);
    assert_false(verdict(report, "pcidc_clean", "pcidc"));
    set_int(pcidc, "corrupted_bytes", 700);
    set_int(pcidc, "intx_after_crash", 1);
    assert_false(verdict(report, "pcidc_no_intx", "pcidc"));
    set_int(pcidc, "intx_after_crash", 0);
    set_int(pcidc, "msi_after_crash", 2);
    assert_false(verdict(report, "pcidc_no_msi", "pcidc"));
    set_int(pcidc, "msi_after_crash", 0);
    json_object_set_new(pcidc, "console_after_crash", json_false());
    assert_false(verdict(report, "pcidc_reachable", "pcidc"));
    json_object_set_new(pcidc, "console_after_crash", json_null());
    set_int(pcidc, "mmio_reachable", 2);
    assert_false(verdict(report, "pcidc_reachable", "pcidc"));
    set_int(pcidc, "mmio_reachable", 3);
    assert_true(verdict(report, "pcidc_reachable", "pcidc"));
    set_int(none, "corrupted_bytes", 0);
    assert_false(verdict(report, "none_corrupts", "none"));
    set_int(report, "leftover_processes", 1);
    assert_false(verdict(report, "no_qemu_left", "all"));
    json_object_del(report, "leftover_processes");
    assert_false(verdict(report, "no_qemu_left", "all"));
    json_decref(report);
}

/* A keep: device's own bytes and pin are not held against pcidc. */
static void test_keep_devices_are_not_judged(void **state)
{
    json_t *report = parse(good);
    json_t *pcidc = (json_t *)run_of(report, "pcidc");
    json_t *dev = json_object_get(json_object_get(pcidc, "dma_after_crash"),
                                  "0000:00:02.0");

    (void)state;
    json_object_set_new(dev, "preserved", json_true());
    set_int(dev, "corrupted_bytes", 400);
    set_int(dev, "intx", 5);
    set_int(pcidc, "corrupted_bytes", 1100);
    set_int(pcidc, "intx_after_crash", 5);
    assert_true(verdict(report, "pcidc_clean", "pcidc"));
    assert_true(verdict(report, "pcidc_no_intx", "pcidc"));
    /* The planned NIC on its own pin still counts. */
    set_int(json_object_get(json_object_get(pcidc, "dma_after_crash"),
                            "0000:01:00.0"), "intx", 1);
    assert_false(verdict(report, "pcidc_no_intx", "pcidc"));
    json_decref(report);
}

static void set_step(json_t *run, size_t i, const char *sbdf,
                     const char *value)
{
    json_t *st = json_array_get(json_object_get(run, "plan"), i);

    if (sbdf)
        json_object_set_new(st, "sbdf", json_string(sbdf));
    if (value)
        json_object_set_new(st, "value", json_string(value));
}

/* What a core that skips, reorders or miswrites a step leaves. */
static void test_broken_plans_fail(void **state)
{
    json_t *report = parse(good), *pcidc, *seed;

    (void)state;
    pcidc = (json_t *)run_of(report, "pcidc");
    seed = (json_t *)run_of(report, "seed");
    json_array_remove(json_object_get(pcidc, "plan"), 4);
    assert_false(verdict(report, "plan_valid", "pcidc"));
    assert_false(verdict(report, "plan_agrees", "pcidc"));
    json_decref(report);

    report = parse(good);
    pcidc = (json_t *)run_of(report, "pcidc");
    set_step(pcidc, 0, "0000:01:00.0", "0x0402");   /* child first */
    set_step(pcidc, 4, "0000:00:03.0", "0x0403");
    assert_false(verdict(report, "plan_valid", "pcidc"));
    assert_false(verdict(report, "plan_agrees", "pcidc"));
    set_step(pcidc, 0, "0000:00:03.0", "0x0403");
    set_step(pcidc, 4, "0000:01:00.0", "0x0400");   /* decode lost */
    assert_false(verdict(report, "plan_valid", "pcidc"));
    assert_true(verdict(report, "plan_agrees", "pcidc"));
    set_step(pcidc, 4, NULL, "0x0402");
    assert_true(verdict(report, "plan_valid", "pcidc"));
    seed = (json_t *)run_of(report, "seed");
    set_step(seed, 0, "0000:00:1f.2", NULL);        /* out of list order */
    set_step(seed, 1, "0000:01:00.0", NULL);
    assert_false(verdict(report, "plan_valid", "seed"));
    assert_false(verdict(report, "plan_agrees", "seed"));
    set_step(seed, 0, "0000:01:00.0", "0x0004");
    set_step(seed, 1, "0000:00:1f.2", NULL);
    assert_false(verdict(report, "plan_valid", "seed"));
    assert_false(verdict(report, "plan_agrees", "seed"));
    json_decref(report);
}

/* pcidc keeps a keep: function and the bridges above it. */
static void test_keep_bridge_must_not_be_written(void **state)
{
    json_t *report = parse(good);
    json_t *pcidc = (json_t *)run_of(report, "pcidc");
    json_t *f = json_array_get(json_object_get(pcidc, "functions"), 3);

    (void)state;
    json_object_set_new(f, "preserved", json_true());
    assert_false(verdict(report, "plan_valid", "pcidc"));
    json_array_remove(json_object_get(pcidc, "plan"), 4);
    assert_false(verdict(report, "plan_valid", "pcidc"));
    json_array_remove(json_object_get(pcidc, "plan"), 0);
    assert_true(verdict(report, "plan_valid", "pcidc"));
    json_decref(report);
}

/* The second plan: 00:00.0 left out, 0x0100 in every value. */
static void republished(json_t *report, long long at, bool walked_second)
{
    json_t *pcidc = (json_t *)run_of(report, "pcidc");
    json_t *plan = json_object_get(pcidc, "plan");
    json_t *second = json_array();
    size_t i;

    for (i = 0; i < json_array_size(plan); i++) {
        const char *sbdf = json_string_value(json_object_get(
            json_array_get(plan, i), "sbdf"));

        if (strcmp(sbdf, "0000:00:00.0"))
            json_array_append_new(second, json_string(sbdf));
    }
    json_object_set_new(pcidc, "republication", json_pack(
        "{s:I, s:b, s:s, s:s, s:o, s:i}", "at_write", (json_int_t)at,
        "done", 1, "build_result", "ok", "dropped", "0000:00:00.0",
        "plan", second, "mark", 0x100));
    if (!walked_second)
        return;
    json_array_remove(plan, 2);
    set_step(pcidc, 0, NULL, "0x0503");
    set_step(pcidc, 1, NULL, "0x0503");
    set_step(pcidc, 2, NULL, "0x0502");
    set_step(pcidc, 3, NULL, "0x0502");
}

static void refused(json_t *report)
{
    json_object_set_new(json_object_get(run_of(report, "pcidc"),
                                        "republication"),
                        "refused_crashed", json_true());
}

static void test_one_whole_plan(void **state)
{
    json_t *report;

    (void)state;
    report = parse(good);                   /* refused once crashed: */
    republished(report, 2, false);          /* the first, whole, holds */
    refused(report);
    assert_true(verdict(report, "one_whole_plan", "pcidc"));
    assert_true(verdict(report, "plan_valid", "pcidc"));
    json_array_remove(json_object_get(run_of(report, "pcidc"), "plan"), 3);
    assert_false(verdict(report, "one_whole_plan", "pcidc"));
    json_decref(report);
    report = parse(good);
    republished(report, 0, false);          /* refused before the load */
    refused(report);
    assert_true(verdict(report, "one_whole_plan", "pcidc"));
    json_decref(report);
    report = parse(good);
    republished(report, 2, false);          /* taken after the crash began, */
    assert_false(verdict(report, "one_whole_plan", "pcidc"));
    json_decref(report);                    /* even if never walked */
    report = parse(good);
    republished(report, 0, true);           /* taken and walked */
    assert_false(verdict(report, "one_whole_plan", "pcidc"));
    json_decref(report);
    report = parse(good);
    republished(report, 2, true);           /* refused, yet it switched */
    refused(report);
    assert_false(verdict(report, "one_whole_plan", "pcidc"));
    json_decref(report);
    report = parse(good);
    republished(report, 0, true);           /* a mixed walk */
    set_step((json_t *)run_of(report, "pcidc"), 3, NULL, "0x0402");
    assert_false(verdict(report, "one_whole_plan", "pcidc"));
    assert_false(verdict(report, "plan_valid", "pcidc"));
    json_decref(report);
}

/* --- the timeline and the HTML writer ------------------------------------- */

static char *render(void (*fn)(const json_t *, FILE *), const json_t *report)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(f);
    fn(report, f);
    fclose(f);
    return text;
}

static unsigned int count(const char *text, const char *what)
{
    unsigned int n = 0;

    for (; (text = strstr(text, what)); text++)
        n++;
    return n;
}

static void test_timeline_lanes_writes_and_pcie_band(void **state)
{
    json_t *report = parse(good);
    json_t *pcidc = (json_t *)run_of(report, "pcidc");
    char *svg;

    (void)state;
    json_object_set_new(pcidc, "timeline", parse(
        "{\"path_end_ms\": 6, \"window_start_ms\": 50, \"window_end_ms\": 600,"
        " \"events\": [{\"t_ms\": 1.5, \"kind\": \"dma_write\","
        " \"device\": \"e1000_1\", \"bytes\": 600, \"count\": 1},"
        " {\"t_ms\": 3, \"kind\": \"intx\", \"device\": null, \"pin\": 16,"
        " \"bytes\": 0, \"count\": 1}]}"));
    svg = render(report_svg, report);
    assert_int_equal(count(svg, "<g class=\"policy\""), 3);
    assert_int_equal(count(svg, "class=\"lane\" data-policy=\"pcidc\""), 2);
    assert_int_equal(count(svg, "class=\"write\""), 10);
    assert_non_null(strstr(svg, "1: 00:03.0 = 0x0403"));
    assert_non_null(strstr(svg, "class=\"ev-write\""));
    assert_non_null(strstr(svg, "class=\"ev-intx\""));
    /* The NIC behind the bridge, under seed and pcidc (none writes no
     * bridge). */
    assert_int_equal(count(svg, "class=\"pcie-stop\""), 2);
    assert_non_null(strstr(svg, "bridge 00:03.0 written"));
    assert_non_null(strstr(svg, "ms after the crash path began"));
    free(svg);
    json_decref(report);
}

static void test_html_escapes_and_counts_rows(void **state)
{
    static const char *const head[] = { "a", "b" };
    static const char *const row[] = { "<script>x</script>", "12 (3)" };
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    (void)state;
    html_begin(f, "t & <b>");
    html_table_begin(f, "t1", NULL, head, 2);
    html_row(f, "fail", row, 2);
    html_table_end(f);
    html_end(f);
    fclose(f);
    assert_non_null(strstr(text, "<title>t &amp; &lt;b&gt;</title>"));
    assert_null(strstr(text, "<script>"));
    assert_non_null(strstr(text, "&lt;script&gt;x&lt;/script&gt;"));
    assert_non_null(strstr(text, "<td class=\"num\">12 (3)</td>"));
    assert_non_null(strstr(text, "<tr class=\"fail\">"));
    assert_null(strstr(text, "http"));      /* nothing external */
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_property_holds_on_a_good_case),
        cmocka_unit_test(test_dma_intx_console_and_leftovers_fail),
        cmocka_unit_test(test_keep_devices_are_not_judged),
        cmocka_unit_test(test_broken_plans_fail),
        cmocka_unit_test(test_keep_bridge_must_not_be_written),
        cmocka_unit_test(test_one_whole_plan),
        cmocka_unit_test(test_timeline_lanes_writes_and_pcie_band),
        cmocka_unit_test(test_html_escapes_and_counts_rows),
    };

    return cmocka_run_group_tests_name("props", tests, NULL, NULL);
}
