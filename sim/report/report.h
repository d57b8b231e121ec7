/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * report: crashsim's outputs.  A run of one policy becomes a JSON object
 * (jansson); crashsim's worker processes send those objects to the parent,
 * which puts them under "runs" and renders the Markdown table and the SVG
 * timeline from the JSON alone.
 */
#ifndef SIM_REPORT_H
#define SIM_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "engine/crash.h"

/* One run as a JSON object (the "runs" entries of crashsim --json). */
json_t *report_run_json(const struct crash_result *r);

/* A failed run: {"policy": ..., "error": ...}. */
json_t *report_error_json(enum crash_policy p, const char *error);

/* The top-level report; takes a reference to runs (a JSON array). */
json_t *report_json(const char *topology, unsigned long long seed,
                    unsigned int window_ms, const char *qemu_version,
                    json_t *runs);

/* The Markdown table, policies x figures, with a legend. */
void report_markdown(const json_t *report, FILE *out);

/* report_devices.c: the paragraphs on NVMe, virtio and igb devices. */
void report_markdown_devices(const json_t *report, FILE *out);

/*
 * timeline.c: the crash timeline.  report_timeline_json adds to a run
 * "timeline" (when the crash path returned, when the window ended, every
 * event the engine timed: DMA writes, completions of in-flight requests,
 * DMA reads, MSIs, INTx raises) and "republication".  report_svg draws it
 * from the report alone: per policy a lane per device on a time axis in
 * ms after the crash path began, the crash path zoomed on the left.
 */
void report_timeline_json(json_t *run, const struct crash_result *r);
void report_svg(const json_t *report, FILE *out);

/* report_html.c: the whole report as one self-contained HTML page. */
void report_html(const json_t *report, FILE *out);

/*
 * report_props.c: crashsim --check.  report_plans_json turns the plans
 * --plan-only lists into {"policy": [{"sbdf", "value", "reads"}, ...]}
 * (the report's "plan_only").  report_properties judges a report that
 * has "runs", "plan_only" and "leftover_processes" (processes of the runs
 * still alive after them): an array of {"property", "policy", "ok",
 * "detail"}, one per property and policy:
 *   runs_complete    every run completed
 *   pcidc_clean      pcidc: 0 B beyond in-flight requests from planned
 *                    (not keep:) devices
 *   pcidc_no_intx    pcidc: no INTx asserted or raised after the crash path
 *                    (with keep: devices, on the pins only planned devices
 *                    use)
 *   pcidc_no_msi     pcidc: no MSI from a planned device after it
 *   pcidc_reachable  pcidc: the console line arrived, every register
 *                    answers
 *   none_corrupts    none: guarded memory corrupted, unless no device a
 *                    plan would stop does DMA (then it says so)
 *   plan_valid       seed, decode-off, pcidc: each function the policy
 *                    plans written once, nothing else, in its order (Xen's
 *                    list / bridges first), with its value
 *   plan_agrees      seed, linux-kexec, decode-off, pcidc: the writes are
 *                    --plan-only's steps
 *   one_whole_plan   instead of plan_agrees when a plan was published
 *                    during the crash path: the path walked one whole plan
 *                    (the second if published before it loaded the
 *                    pointer, else the first)
 *   no_qemu_left     no process of the runs left behind
 * report_properties_print writes one line per failing property to out and
 * returns how many failed.
 */
json_t *report_plans_json(const struct crash_plans *plans);
json_t *report_properties(const json_t *report);
unsigned int report_properties_print(const json_t *props, FILE *out);
/*
 * All of it for crashsim --check: "plan_only", "leftover_processes" (and
 * "leftover_first", the first one's pid and command line, when left > 0),
 * "properties" and "properties_ok" added to report; the failing
 * properties printed to out.  Returns how many failed.
 */
unsigned int report_check_properties(json_t *report,
                                     const struct crash_plans *plans,
                                     int left, const char *first, FILE *out);

/*
 * crashsim --check around its runs.  report_check_begin, before any QEMU
 * of the runs starts: a private $TMPDIR for them (base/proc.h) and the
 * plans --plan-only lists (on a QEMU of its own); 0 or -1 with err.
 * report_check_end, after the runs: the processes still naming that
 * directory, then report_check_properties; how many properties failed.
 */
struct report_check {
    char tmpdir[4096];
    struct crash_plans plans;
};
int report_check_begin(struct report_check *c, const struct crash_opts *o,
                       const bool want[CRASH_NR_POLICIES], char *err,
                       size_t errlen);
unsigned int report_check_end(struct report_check *c, json_t *report,
                              FILE *out);

/* The note a report of crashsim --contracts carries. */
const char *report_contracts_note(bool violated);

/* corrupted_bytes - inflight_bytes of a run (0 if absent). */
long long report_beyond_inflight(const json_t *run);

/*
 * Members of a JSON object for printing: a number (0 when absent, not a
 * number, or a real out of range), a real (0 when absent), a string ("?"
 * when absent or not a string).
 */
long long report_num(const json_t *o, const char *key);
double report_real(const json_t *o, const char *key);
const char *report_str(const json_t *o, const char *key);

/*
 * report_reach.c: what was still reachable after the crash path.  Adds to
 * run "functions" (COMMAND before the crash path and after the window,
 * planned or not), "console_after_crash" (null without a UART),
 * "consoles", "mmio_reachable", "mmio_checked" and "mmio".
 */
void report_reach_json(json_t *run, const struct crash_result *r);
/* The table's "console after crash" (yes/no/-) and "MMIO reachable"
 * (n/m, - when nothing was checked) cells of a run. */
void report_reach_cells(const json_t *run, char *console, size_t console_len,
                        char *mmio, size_t mmio_len);
/* The table's legend for the reads and those two columns. */
extern const char report_reach_note[];

/*
 * report_check.c: crashsim's verdicts.  Each returns 0, or 1 with one line
 * on err per policy that fails: clean[p] -- policy p's run corrupted
 * nothing beyond in-flight requests; reach[p] -- after policy p's crash
 * path the console line reached every UART (or there was none) and every
 * checked register answered.  A policy without a run fails.
 */
int report_check_clean(const json_t *report,
                       const bool clean[CRASH_NR_POLICIES], FILE *err);
int report_check_reachable(const json_t *report,
                           const bool reach[CRASH_NR_POLICIES], FILE *err);

#endif /* SIM_REPORT_H */
