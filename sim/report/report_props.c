/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * report_props: crashsim --check, the properties every case of the sweep
 * must have, judged from the report alone (its runs, the plans --plan-only
 * lists under "plan_only", "leftover_processes").  See report.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "props.h"
#include "report.h"
#include "base/sbdf.h"

static const json_t *run_named(const json_t *report, const char *policy)
{
    const json_t *run;
    size_t i;

    json_array_foreach(json_object_get(report, "runs"), i, run) {
        const char *p = json_string_value(json_object_get(run, "policy"));

        if (p && !strcmp(p, policy) && !json_object_get(run, "error"))
            return run;
    }
    return NULL;
}

void props_add(json_t *props, const char *property, const char *policy,
                bool ok, const char *fmt, ...)
{
    char detail[PROPS_DETAIL_LEN];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    json_array_append_new(props, json_pack("{s:s, s:s, s:b, s:s}",
                                           "property", property,
                                           "policy", policy, "ok", ok,
                                           "detail", detail));
}

/* --- what the runs did after the crash --------------------------------------- */

static void runs_complete(const json_t *report, json_t *props)
{
    const json_t *run;
    size_t i, n = 0, failed = 0;
    const char *first = "";

    json_array_foreach(json_object_get(report, "runs"), i, run) {
        n++;
        if (json_object_get(run, "error")) {
            if (!failed++)
                first = report_str(run, "error");
        }
    }
    props_add(props, "runs_complete", "all", n && !failed, "%zu of %zu runs "
        "completed%s%s", n - failed, n, failed ? "; first error: " : "",
        first);
}

/* Bytes of devices marked keep: (their DMA is meant to go on). */
static long long kept_bytes(const json_t *run)
{
    const json_t *d;
    const char *key;
    long long sum = 0;

    json_object_foreach(json_object_get(run, "dma_after_crash"), key, d)
        if (json_is_true(json_object_get(d, "preserved")))
            sum += report_num(d, "corrupted_bytes");
    return sum;
}

static void pcidc_clean(const json_t *run, json_t *props)
{
    long long kept = kept_bytes(run);
    long long beyond = report_beyond_inflight(run) - kept;

    props_add(props, "pcidc_clean", "pcidc", beyond == 0, "%lld B beyond in-flight "
        "requests from planned devices (corrupted %lld B, in flight %lld B, "
        "from keep: devices %lld B)", beyond,
        report_num(run, "corrupted_bytes"), report_num(run, "inflight_bytes"),
        kept);
}

static bool pin_of_kept(const json_t *run, long long pin)
{
    const json_t *d;
    const char *key;

    json_object_foreach(json_object_get(run, "dma_after_crash"), key, d)
        if (json_is_true(json_object_get(d, "preserved")) &&
            report_num(d, "irq_pin") == pin)
            return true;
    return false;
}

/*
 * No INTx after pcidc: every pin when nothing is kept; else the pins of
 * planned devices that no kept device shares (a kept NIC may raise its own).
 */
static void pcidc_no_intx(const json_t *run, json_t *props)
{
    const json_t *d;
    const char *key, *bad = NULL;
    unsigned int shared = 0;
    bool any_kept = false;

    json_object_foreach(json_object_get(run, "dma_after_crash"), key, d) {
        long long pin = report_num(d, "irq_pin");

        if (json_is_true(json_object_get(d, "preserved"))) {
            any_kept = true;
            continue;
        }
        if (pin > 0 && pin_of_kept(run, pin))
            shared++;
        else if (report_num(d, "intx") && !bad)
            bad = report_str(d, "device");
    }
    if (!any_kept)
        props_add(props, "pcidc_no_intx", "pcidc",
            report_num(run, "intx_after_crash") == 0, "%lld INTx asserted "
            "or raised after the crash path (every pin)",
            report_num(run, "intx_after_crash"));
    else
        props_add(props, "pcidc_no_intx", "pcidc", !bad, "%s%s; %u planned "
            "device(s) share a pin with a keep: device and are not judged",
            bad ? "INTx after the crash path on the pin of " :
                  "no INTx on a planned device's own pin", bad ? bad : "",
            shared);
}

static void pcidc_no_msi(const json_t *run, json_t *props)
{
    props_add(props, "pcidc_no_msi", "pcidc", report_num(run, "msi_after_crash") == 0,
        "%lld MSIs from planned devices after the crash path%s",
        report_num(run, "msi_after_crash"),
        json_is_true(json_object_get(run, "msi_observable")) ? "" :
        " (no device signals by MSI)");
}

static void pcidc_reachable(const json_t *run, json_t *props)
{
    const json_t *c = json_object_get(run, "console_after_crash");
    long long ok = report_num(run, "mmio_reachable");
    long long of = report_num(run, "mmio_checked");

    props_add(props, "pcidc_reachable", "pcidc", !json_is_false(c) && ok == of,
        "console line %s; %lld of %lld registers answer through their BARs",
        json_is_true(c) ? "arrived" : json_is_false(c) ? "LOST" : "(no UART)",
        ok, of);
}

static void none_corrupts(const json_t *run, json_t *props)
{
    const json_t *d;
    const char *key;
    unsigned int planned = 0;

    json_object_foreach(json_object_get(run, "dma_after_crash"), key, d)
        planned += !json_is_true(json_object_get(d, "preserved"));
    if (!planned) {
        props_add(props, "none_corrupts", "none", true, "not expected: no device "
            "a plan would stop does DMA (UARTs and keep: devices only)");
        return;
    }
    props_add(props, "none_corrupts", "none", report_num(run, "corrupted_bytes") > 0,
        "%lld B corrupted with %u DMA device(s) left running",
        report_num(run, "corrupted_bytes"), planned);
}

static void no_qemu_left(const json_t *report, json_t *props)
{
    const json_t *n = json_object_get(report, "leftover_processes");

    props_add(props, "no_qemu_left", "all", json_is_integer(n) &&
        json_integer_value(n) == 0, "%lld process(es) of the runs left "
        "behind%s%s", json_is_integer(n) ? (long long)json_integer_value(n)
                                         : -1LL,
        json_object_get(report, "leftover_first") ? ": " : "",
        json_string_value(json_object_get(report, "leftover_first"))
            ? json_string_value(json_object_get(report, "leftover_first"))
            : "");
}

json_t *report_plans_json(const struct crash_plans *plans)
{
    json_t *all = json_object();
    char sbdf[SBDF_STR_LEN], value[8];
    unsigned int p, i;

    for (p = 0; p < CRASH_NR_POLICIES; p++) {
        json_t *steps;

        if (!plans->listed[p])
            continue;
        steps = json_array();
        for (i = 0; i < plans->nr_steps[p] && i < CRASH_MAX_STEPS; i++) {
            const struct crash_plan_step *s = &plans->step[p][i];

            snprintf(value, sizeof(value), "0x%04x", s->value);
            json_array_append_new(steps, json_pack(
                "{s:s, s:s, s:b}", "sbdf", sbdf_str(s->sbdf, sbdf,
                                                    sizeof(sbdf)),
                "value", value, "reads", s->reads));
        }
        json_object_set_new(all, crash_policy_name((enum crash_policy)p),
                            steps);
    }
    return all;
}

json_t *report_properties(const json_t *report)
{
    static const char *const core[] = { "seed", "decode-off", "pcidc" };
    static const char *const listed[] = { "seed", "linux-kexec",
                                          "decode-off", "pcidc" };
    json_t *props = json_array();
    const json_t *run;
    size_t i;

    runs_complete(report, props);
    if ((run = run_named(report, "pcidc"))) {
        pcidc_clean(run, props);
        pcidc_no_intx(run, props);
        pcidc_no_msi(run, props);
        pcidc_reachable(run, props);
    }
    if ((run = run_named(report, "none")))
        none_corrupts(run, props);
    for (i = 0; i < sizeof(core) / sizeof(core[0]); i++)
        if ((run = run_named(report, core[i])))
            props_plan_valid(run, core[i], props);
    for (i = 0; i < sizeof(listed) / sizeof(listed[0]); i++)
        if ((run = run_named(report, listed[i])))
            props_plan_agrees(report, run, listed[i], props);
    no_qemu_left(report, props);
    return props;
}

unsigned int report_properties_print(const json_t *props, FILE *out)
{
    const json_t *p;
    unsigned int failed = 0;
    size_t i;

    json_array_foreach((json_t *)props, i, p) {
        if (json_is_true(json_object_get(p, "ok")))
            continue;
        failed++;
        fprintf(out, "crashsim: check %s (%s) FAILS: %s\n",
                report_str(p, "property"), report_str(p, "policy"),
                report_str(p, "detail"));
    }
    return failed;
}

unsigned int report_check_properties(json_t *report,
                                     const struct crash_plans *plans,
                                     int left, const char *first, FILE *out)
{
    unsigned int failed;
    json_t *props;

    json_object_set_new(report, "plan_only", report_plans_json(plans));
    json_object_set_new(report, "leftover_processes", json_integer(left));
    if (left > 0)
        json_object_set_new(report, "leftover_first", json_string(first));
    props = report_properties(report);
    failed = report_properties_print(props, out);
    json_object_set_new(report, "properties", props);
    json_object_set_new(report, "properties_ok", json_boolean(!failed));
    return failed;
}
