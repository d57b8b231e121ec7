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

/* SVG timeline: per policy, crash-path writes and post-crash DMA. */
void report_svg(const json_t *report, FILE *out);

/* corrupted_bytes - inflight_bytes of a run (0 if absent). */
long long report_beyond_inflight(const json_t *run);

#endif /* SIM_REPORT_H */
