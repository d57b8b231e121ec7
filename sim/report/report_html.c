/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * report_html: crashsim --html, the whole report as one self-contained page
 * (html.h): the summary table, the checks of --check, the timeline, per
 * policy its crash path's writes and what each device did.  From the JSON
 * report alone, like the Markdown table.
 */
#include <stdio.h>
#include <string.h>

#include "html.h"
#include "report.h"

#define CELL    48

static bool run_ok(const json_t *run)
{
    return json_is_object(run) && !json_object_get(run, "error");
}

static void meta(const json_t *report, FILE *out)
{
    const json_t *runs = json_object_get(report, "runs"), *run;
    const json_t *rp = NULL;
    size_t i;

    json_array_foreach((json_t *)runs, i, run)
        if (!rp && json_is_object(json_object_get(run, "republication")))
            rp = json_object_get(run, "republication");
    html_para(out, "meta", "Topology %s, seed %lld, window %lld ms, %s. Each "
              "policy ran on a fresh QEMU with the same workload.",
              report_str(report, "topology"), report_num(report, "seed"),
              report_num(report, "window_ms"),
              report_str(report, "qemu_version"));
    if (report_num(report, "crash_delay_ms"))
        html_para(out, "meta", "The crash came %lld ms after the warm-up.",
                  report_num(report, "crash_delay_ms"));
    if (rp)
        html_para(out, "meta", "A second plan was built after the crash "
                  "path's write %lld (0: between its test-and-set and its "
                  "loading the plan pointer); its steps would set 0x%04llx "
                  "in COMMAND, so each write tells which plan it came from. "
                  "The core answered: %s.",
                  report_num(rp, "at_write"), report_num(rp, "mark"),
                  report_str(rp, "build_result"));
}

static void summary_row(const json_t *run, FILE *out)
{
    char c[12][CELL];
    const char *cell[12];
    const json_t *con = json_object_get(run, "console_after_crash");
    unsigned int i;

    snprintf(c[0], CELL, "%s", report_str(run, "policy"));
    snprintf(c[1], CELL, "%lld", report_num(run, "config_writes"));
    snprintf(c[2], CELL, "%lld", report_beyond_inflight(run));
    snprintf(c[3], CELL, "%lld", report_num(run, "inflight_bytes"));
    snprintf(c[4], CELL, "%s", json_is_true(json_object_get(run,
             "dma_stopped")) ? "yes" : "no");
    snprintf(c[5], CELL, "%lld", report_num(run, "intx_after_crash"));
    snprintf(c[6], CELL, "%lld", report_num(run, "msi_after_crash"));
    snprintf(c[7], CELL, "%lld (%lld)", report_num(run,
             "writes_until_quiesced"), report_num(run,
             "writes_until_quiesced_excluding_inflight"));
    snprintf(c[8], CELL, "%lld (%lld)", report_num(run,
             "writes_until_quiesced_pcie"), report_num(run,
             "writes_until_quiesced_pcie_excluding_inflight"));
    snprintf(c[9], CELL, "%s", json_is_true(con) ? "arrived" :
             json_is_false(con) ? "lost" : "-");
    snprintf(c[10], CELL, "%lld/%lld", report_num(run, "mmio_reachable"),
             report_num(run, "mmio_checked"));
    snprintf(c[11], CELL, "%lld", report_num(run, "elapsed_ms"));
    for (i = 0; i < 12; i++)
        cell[i] = c[i];
    html_row(out, report_beyond_inflight(run) ? "fail" : NULL, cell, 12);
}

static void summary(const json_t *report, FILE *out)
{
    static const char *const head[] = {
        "policy", "config writes", "beyond in-flight B", "in-flight B",
        "new DMA stopped", "INTx after", "MSI after",
        "quiesced after write (QEMU)", "(PCIe rule)", "console line",
        "registers answering", "run ms",
    };
    const json_t *runs = json_object_get(report, "runs"), *run;
    size_t i;

    html_heading(out, 2, "summary-head", "Summary");
    html_table_begin(out, "summary", NULL, head, 12);
    json_array_foreach((json_t *)runs, i, run) {
        if (run_ok(run)) {
            summary_row(run, out);
        } else {
            const char *cell[2] = { report_str(run, "policy"),
                                    report_str(run, "error") };

            html_row(out, "fail", cell, 2);
        }
    }
    html_table_end(out);
    html_para(out, "note", "Bytes: guarded bytes that changed after the "
              "crash path returned. In-flight: disk reads already started "
              "at the device's own config write; they land under every "
              "policy (QEMU checks Bus Master only when a request starts). "
              "Quiesced after write N: the last DMA was seen after N crash-"
              "path writes; in parentheses leaving out completions of "
              "in-flight reads. PCIe rule: DMA from below a bridge already "
              "written counted as blocked, which QEMU does not model. "
              "Console line: what Xen prints after the crash path reached "
              "every UART. Registers answering: one register per endpoint "
              "read through its BAR after the window.");
}

static void checks(const json_t *report, FILE *out)
{
    static const char *const head[] = { "property", "policy", "verdict",
                                        "detail" };
    const json_t *props = json_object_get(report, "properties"), *p;
    size_t i;

    if (!json_is_array(props))
        return;
    html_heading(out, 2, "checks-head", "Checks (crashsim --check)");
    html_table_begin(out, "checks", NULL, head, 4);
    json_array_foreach((json_t *)props, i, p) {
        bool ok = json_is_true(json_object_get(p, "ok"));
        const char *cell[4] = { report_str(p, "property"),
                                report_str(p, "policy"),
                                ok ? "holds" : "FAILS",
                                report_str(p, "detail") };

        html_row(out, ok ? "ok" : "fail", cell, 4);
    }
    html_table_end(out);
}

static void draw_timeline(const void *report, FILE *out)
{
    report_svg(report, out);
}

static void plan_table(const json_t *run, FILE *out)
{
    static const char *const head[] = { "step", "SBDF", "COMMAND written",
                                        "ms after the path began" };
    const json_t *st;
    char id[64], c[4][CELL];
    const char *cell[4] = { c[0], c[1], c[2], c[3] };
    size_t i;

    if (!json_array_size(json_object_get(run, "plan"))) {
        html_para(out, NULL, "No config write.");
        return;
    }
    snprintf(id, sizeof(id), "plan-%s", report_str(run, "policy"));
    html_table_begin(out, id, "The crash path's config writes", head, 4);
    json_array_foreach(json_object_get(run, "plan"), i, st) {
        snprintf(c[0], CELL, "%zu", i + 1);
        snprintf(c[1], CELL, "%s", report_str(st, "sbdf"));
        snprintf(c[2], CELL, "%s", report_str(st, "value"));
        snprintf(c[3], CELL, "%.2f", report_real(st, "t_ms"));
        html_row(out, NULL, cell, 4);
    }
    html_table_end(out);
}

static void device_row(const char *sbdf, const json_t *d, FILE *out)
{
    char c[10][CELL];
    const char *cell[10];
    unsigned int i;

    snprintf(c[0], CELL, "%s", report_str(d, "device"));
    snprintf(c[1], CELL, "%s", sbdf);
    snprintf(c[2], CELL, "%s", json_is_true(json_object_get(d, "preserved"))
             ? "keep:" : "");
    snprintf(c[3], CELL, "%lld", report_num(d, "plan_step"));
    snprintf(c[4], CELL, "%lld", report_num(d, "bridge_step"));
    snprintf(c[5], CELL, "%lld", report_num(d, "bytes_written"));
    snprintf(c[6], CELL, "%lld", report_num(d, "corrupted_bytes"));
    snprintf(c[7], CELL, "%lld", report_num(d, "inflight_requests"));
    snprintf(c[8], CELL, "%lld / %lld", report_num(d, "intx"),
             report_num(d, "msi"));
    snprintf(c[9], CELL, "%lld / %lld", report_num(d, "last_dma_after_write"),
             report_num(d, "last_dma_after_write_pcie"));
    for (i = 0; i < 10; i++)
        cell[i] = c[i];
    html_row(out, NULL, cell, 10);
}

static void device_table(const json_t *run, FILE *out)
{
    static const char *const head[] = {
        "device", "SBDF", "kept", "its write (step)",
        "bridge above written (step)", "DMA written B", "corrupted B",
        "reads in flight", "INTx / MSI after", "last DMA after write "
        "(QEMU / PCIe)",
    };
    const json_t *d;
    const char *key;
    char id[64];

    if (!json_object_size(json_object_get(run, "dma_after_crash")))
        return;
    snprintf(id, sizeof(id), "devices-%s", report_str(run, "policy"));
    html_table_begin(out, id, "What each device did after the crash path "
                     "(step 0: not written; -1: no DMA seen)", head, 10);
    json_object_foreach(json_object_get(run, "dma_after_crash"), key, d)
        device_row(key, d, out);
    html_table_end(out);
}

void report_html(const json_t *report, FILE *out)
{
    const json_t *runs = json_object_get(report, "runs"), *run;
    char title[256];
    size_t i;

    snprintf(title, sizeof(title), "pcidc crash simulation: %s",
             report_str(report, "topology"));
    html_begin(out, title);
    meta(report, out);
    if (json_object_get(report, "contracts"))
        html_para(out, "note", "%s", report_str(report, "contracts"));
    summary(report, out);
    checks(report, out);
    html_heading(out, 2, "timeline-head", "Timeline");
    html_figure(out, "timeline", "Time runs left to right in ms after the "
                "crash path began; the crash path itself is zoomed in the "
                "left panel. One lane per device doing DMA.", draw_timeline,
                report);
    html_heading(out, 2, "policies-head", "Per policy");
    json_array_foreach((json_t *)runs, i, run) {
        if (!run_ok(run))
            continue;
        html_heading(out, 3, NULL, "%s", report_str(run, "policy"));
        plan_table(run, out);
        device_table(run, out);
    }
    html_heading(out, 2, "notes-head", "Notes");
    html_para(out, "note", "%s", report_str(report, "notes"));
    html_end(out);
}
