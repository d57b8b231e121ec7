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

/* SVG timeline: per policy, crash-path writes and post-crash DMA. */
void report_svg(const json_t *report, FILE *out);

/* corrupted_bytes - inflight_bytes of a run (0 if absent). */
long long report_beyond_inflight(const json_t *run);

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
