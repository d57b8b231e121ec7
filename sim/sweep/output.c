/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * output: the sweep's outputs from its case results (see sweep.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sweep.h"
#include "report/html.h"
#include "report/plot.h"

#define CELL    96

static unsigned int failures(const struct sweep_summary *s)
{
    unsigned int i, n = 0;

    for (i = 0; i < s->n; i++)
        n += !s->r[i].ok;
    return n;
}

static bool policy_ran(const struct sweep_summary *s, enum crash_policy p)
{
    unsigned int i;

    for (i = 0; i < s->n; i++)
        if (s->r[i].ran[p])
            return true;
    return false;
}

static double per_minute(const struct sweep_summary *s)
{
    return s->wall_s > 0 ? 60.0 * s->n / s->wall_s : 0;
}

/* --- JSON ----------------------------------------------------------------- */

static json_t *dist_json(const struct sweep_dist *d)
{
    return json_pack("{s:i, s:f, s:f, s:f, s:f}", "cases", (int)d->n,
                     "min", d->min, "median", d->median, "p95", d->p95,
                     "max", d->max);
}

static json_t *policies_json(const struct sweep_summary *s)
{
    json_t *all = json_object();
    struct sweep_dist d;
    unsigned int p, m;

    for (p = 0; p < CRASH_NR_POLICIES; p++) {
        json_t *o;

        if (!policy_ran(s, (enum crash_policy)p))
            continue;
        o = json_object();
        for (m = 0; m < SWEEP_NR_METRICS; m++) {
            sweep_dist(s->r, s->n, (enum crash_policy)p,
                       (enum sweep_metric)m, &d);
            json_object_set_new(o, sweep_metric_key((enum sweep_metric)m),
                                dist_json(&d));
        }
        json_object_set_new(all, crash_policy_name((enum crash_policy)p), o);
    }
    return all;
}

static json_t *case_json(const struct sweep_case_result *r)
{
    return json_pack("{s:i, s:s, s:I, s:i, s:i, s:o, s:b, s:s, s:s, s:f}",
                     "case", (int)r->c.index, "topology", r->c.topology,
                     "seed", (json_int_t)r->c.seed,
                     "window_ms", (int)r->c.window_ms,
                     "crash_delay_ms", (int)r->c.delay_ms,
                     "republish_at", r->c.republish ?
                         json_integer(r->c.republish_at) : json_null(),
                     "ok", r->ok, "why", r->why, "command", r->command,
                     "ms", r->ms);
}

json_t *sweep_json(const struct sweep_summary *s)
{
    json_t *all = json_array(), *failed = json_array();
    unsigned int i;

    for (i = 0; i < s->n; i++) {
        json_array_append_new(all, case_json(&s->r[i]));
        if (!s->r[i].ok)
            json_array_append_new(failed, case_json(&s->r[i]));
    }
    return json_pack("{s:I, s:i, s:i, s:s, s:f, s:f, s:o, s:o, s:o}",
                     "sweep_seed", (json_int_t)s->seed, "cases", (int)s->n,
                     "jobs", (int)s->jobs, "crashsim", s->crashsim,
                     "wall_s", s->wall_s, "cases_per_minute", per_minute(s),
                     "failures", failed, "policies", policies_json(s),
                     "case_list", all);
}

/* --- the table -------------------------------------------------------------- */

static void dist_cell(const struct sweep_dist *d, enum sweep_metric m,
                      char *buf, size_t len)
{
    const char *fmt = m == SWEEP_RUN_MS ? "%.0f / %.0f / %.0f / %.0f"
                                        : "%.15g / %.15g / %.15g / %.15g";

    if (!d->n)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, fmt, d->min, d->median, d->p95, d->max);
}

/* One row per policy that ran: cases, then every metric's distribution. */
static void table_rows(const struct sweep_summary *s,
                       void (*row)(void *arg, const char *const *cells,
                                   unsigned int n), void *arg)
{
    char c[SWEEP_NR_METRICS + 2][CELL];
    const char *cell[SWEEP_NR_METRICS + 2];
    struct sweep_dist d;
    unsigned int p, m;

    for (p = 0; p < CRASH_NR_POLICIES; p++) {
        if (!policy_ran(s, (enum crash_policy)p))
            continue;
        snprintf(c[0], CELL, "%s", crash_policy_name((enum crash_policy)p));
        for (m = 0; m < SWEEP_NR_METRICS; m++) {
            sweep_dist(s->r, s->n, (enum crash_policy)p,
                       (enum sweep_metric)m, &d);
            snprintf(c[1], CELL, "%u", d.n);
            dist_cell(&d, (enum sweep_metric)m, c[m + 2], CELL);
        }
        for (m = 0; m < SWEEP_NR_METRICS + 2; m++)
            cell[m] = c[m];
        row(arg, cell, SWEEP_NR_METRICS + 2);
    }
}

static void md_row(void *arg, const char *const *cells, unsigned int n)
{
    unsigned int i;

    for (i = 0; i < n; i++)
        fprintf(arg, "| %s ", cells[i]);
    fprintf(arg, "|\n");
}

void sweep_markdown(const struct sweep_summary *s, FILE *out)
{
    unsigned int m, i, failed = failures(s);

    fprintf(out, "Sweep seed %llu: %u cases, %u failed; %.0f s wall with %u "
            "at a time (%.1f cases per minute)\n\n", s->seed, s->n, failed,
            s->wall_s, s->jobs, per_minute(s));
    fprintf(out, "Per policy, over the cases it ran in: min / median / p95 / "
            "max\n\n| policy | cases ");
    for (m = 0; m < SWEEP_NR_METRICS; m++)
        fprintf(out, "| %s ", sweep_metric_title((enum sweep_metric)m));
    fprintf(out, "|\n|---|---:");
    for (m = 0; m < SWEEP_NR_METRICS; m++)
        fprintf(out, "|---:");
    fprintf(out, "|\n");
    table_rows(s, md_row, out);
    fprintf(out, "\nWrites until new DMA stopped: crash-path writes done "
            "before the last DMA of a request not already in flight at its "
            "device's write; PCIe rule: DMA from below a bridge already "
            "written counts as blocked (QEMU does not model it).\n");
    if (!failed)
        return;
    fprintf(out, "\nFailed cases (each line reproduces its case alone):\n");
    for (i = 0; i < s->n; i++)
        if (!s->r[i].ok)
            fprintf(out, "\ncase %u: %s\n  %s\n", s->r[i].c.index,
                    s->r[i].why, s->r[i].command);
}

/* --- plots -------------------------------------------------------------------- */

void sweep_plot_beyond(const struct sweep_summary *s, FILE *out)
{
    struct plot_row rows[CRASH_NR_POLICIES];
    double *v[CRASH_NR_POLICIES] = { NULL };
    size_t nrows = 0;
    unsigned int p, i;

    for (p = 0; p < CRASH_NR_POLICIES; p++) {
        if (!policy_ran(s, (enum crash_policy)p))
            continue;
        v[p] = calloc(s->n ? s->n : 1, sizeof(double));
        rows[nrows].label = crash_policy_name((enum crash_policy)p);
        rows[nrows].v = v[p];
        rows[nrows].n = 0;
        for (i = 0; v[p] && i < s->n; i++)
            if (s->r[i].ran[p])
                v[p][rows[nrows].n++] = s->r[i].value[p][SWEEP_BEYOND];
        nrows++;
    }
    plot_strip(out, "Bytes landing beyond in-flight requests after the "
               "crash path, per policy", "bytes (guarded memory changed, "
               "disk reads already in flight left out)", rows, nrows);
    for (p = 0; p < CRASH_NR_POLICIES; p++)
        free(v[p]);
}

void sweep_plot_quiesced(const struct sweep_summary *s, FILE *out)
{
    double *x = calloc(s->n ? s->n : 1, sizeof(double));
    double *y = calloc(s->n ? s->n : 1, sizeof(double));
    unsigned int i;
    size_t n = 0;

    for (i = 0; x && y && i < s->n; i++) {
        if (!s->r[i].ran[CRASH_SEED] || !s->r[i].ran[CRASH_PCIDC])
            continue;
        x[n] = s->r[i].value[CRASH_SEED][SWEEP_QUIESCED_PCIE];
        y[n] = s->r[i].value[CRASH_PCIDC][SWEEP_QUIESCED_PCIE];
        n++;
    }
    plot_pairs(out, "Crash-path writes until new DMA stopped, PCIe rule: "
               "seed against pcidc", "seed (Xen's list order): writes",
               "pcidc (bridges first): writes", x, y, n,
               "pcidc stopped DMA in fewer writes",
               "the seed's order stopped it sooner");
    free(x);
    free(y);
}

/* --- HTML ----------------------------------------------------------------------- */

static void html_dist_row(void *arg, const char *const *cells, unsigned int n)
{
    html_row(arg, NULL, cells, n);
}

static void draw_beyond(const void *arg, FILE *out)
{
    sweep_plot_beyond(arg, out);
}

static void draw_quiesced(const void *arg, FILE *out)
{
    sweep_plot_quiesced(arg, out);
}

static void html_cases(const struct sweep_summary *s, FILE *out)
{
    static const char *const head[] = { "case", "topology", "seed",
                                        "window ms", "crash after ms",
                                        "plan republished after write",
                                        "verdict", "command" };
    char c[6][CELL];
    unsigned int i;

    html_table_begin(out, "cases", "Every case", head, 8);
    for (i = 0; i < s->n; i++) {
        const struct sweep_case_result *r = &s->r[i];
        const char *cell[8] = { c[0], r->c.topology, c[1], c[2], c[3], c[4],
                                r->ok ? "holds" : r->why, r->command };

        snprintf(c[0], CELL, "%u", r->c.index);
        snprintf(c[1], CELL, "%llu", r->c.seed);
        snprintf(c[2], CELL, "%u", r->c.window_ms);
        snprintf(c[3], CELL, "%u", r->c.delay_ms);
        snprintf(c[4], CELL, r->c.republish ? "%u" : "-", r->c.republish_at);
        html_row(out, r->ok ? NULL : "fail", cell, 8);
    }
    html_table_end(out);
}

void sweep_html(const struct sweep_summary *s, FILE *out)
{
    const char *head[SWEEP_NR_METRICS + 2] = { "policy", "cases" };
    unsigned int m, failed = failures(s);
    char title[128];

    for (m = 0; m < SWEEP_NR_METRICS; m++)
        head[m + 2] = sweep_metric_title((enum sweep_metric)m);
    snprintf(title, sizeof(title), "pcidc sweep: %u random machines", s->n);
    html_begin(out, title);
    html_para(out, "meta", "Sweep seed %llu, %u cases, %u failed; %.0f s "
              "wall, %u at a time (%.1f cases per minute). Each case is a "
              "random topology, traffic seed, window and crash moment, "
              "sometimes with a plan published during the crash path, run "
              "under every policy that applies by crashsim --check.",
              s->seed, s->n, failed, s->wall_s, s->jobs, per_minute(s));
    html_heading(out, 2, "summary-head", "Per policy: min / median / p95 / "
                 "max over the cases");
    html_table_begin(out, "summary", NULL, head, SWEEP_NR_METRICS + 2);
    table_rows(s, html_dist_row, out);
    html_table_end(out);
    html_heading(out, 2, "plots-head", "Distributions");
    html_figure(out, "beyond", NULL, draw_beyond, s);
    html_figure(out, "quiesced", "Under the PCIe rule a bridge with Bus "
                "Master off forwards no DMA from below it, so writing bridges "
                "first can stop a whole subtree with one write. QEMU does not "
                "model that rule; the table gives both views.", draw_quiesced,
                s);
    html_heading(out, 2, "cases-head", "Cases");
    html_cases(s, out);
    html_end(out);
}
