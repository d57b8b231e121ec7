/* SPDX-License-Identifier: GPL-2.0-only */
/* xen-e2e: each run's verdict, the Markdown table and the JSON report. */
#define _GNU_SOURCE
#include "xen_e2e.h"

/* ------------------------------------------------------------------------ */
/* Verdict                                                                   */

static void why(struct e2e_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void why(struct e2e_result *r, const char *fmt, ...)
{
    va_list ap;

    r->pass = false;
    if ( r->verdict_why[0] )
        return;
    va_start(ap, fmt);
    vsnprintf(r->verdict_why, sizeof(r->verdict_why), fmt, ap);
    va_end(ap);
}

/* Functions reading 'value' at the first poll after the anchor. */
static unsigned int count_at_value(const struct e2e_result *r, uint16_t value)
{
    unsigned int n = 0;

    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
        n += r->func[i].first_after == value;
    return n;
}

/*
 * Which functions Xen planned: its plan line gives only a count.  When it
 * equals the functions found through ECAM, all are planned; otherwise the
 * ones reading the core's value are taken as the plan (the count must then
 * still match, see verdict_on()).  Stock Xen (disconnect off) has no plan.
 */
static void mark_planned(struct e2e_result *r, uint16_t value)
{
    bool all = r->plan_steps < 0 || r->plan_steps == (long)r->nr_funcs;

    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
        r->func[i].planned = r->cfg.disconnect &&
                             (all || r->func[i].first_after == value);
}

static unsigned int planned_count(const struct e2e_result *r)
{
    unsigned int n = 0;

    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
        n += r->func[i].planned;
    return n;
}

/* The port reads an endpoint once and a bridge at every plan update. */
static long max_plan_reads(const struct e2e_result *r)
{
    long bridges = 0;

    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
        bridges += (r->func[i].header_type & 0x7f) == 1;
    return (long)r->nr_funcs - bridges + bridges * r->plan_updates;
}

static void verdict_on(struct e2e_result *r, uint16_t value)
{
    double kdump = r->t_mark[E2E_M_KDUMP_START];

    if ( r->disconnected < 0 )
        why(r, "no 'Disconnected N PCI functions' line from Xen's crash path");
    else if ( r->plan_steps >= 0 && r->disconnected != r->plan_steps )
        why(r, "Xen disconnected %ld functions, its plan had %ld steps",
            r->disconnected, r->plan_steps);
    else if ( r->plan_steps >= 0 && planned_count(r) != (unsigned int)r->plan_steps )
        why(r, "%u functions read 0x%04x after the crash path, the plan had "
            "%ld steps", planned_count(r), value, r->plan_steps);
    else if ( r->plan_reads > max_plan_reads(r) )
        why(r, "Xen described %ld devices from config space over %ld plan "
            "updates, more than %ld (endpoints once, bridges every update): "
            "it re-reads known endpoints", r->plan_reads, r->plan_updates,
            max_plan_reads(r));
    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
    {
        const struct e2e_func_obs *f = &r->func[i];

        if ( !f->planned )
            continue;
        if ( f->first_after != value )
            why(r, "%02x:%02x.%u COMMAND read 0x%04x at the first poll after "
                "the crash path's '%s' line, not 0x%04x", f->bus, f->devfn >> 3,
                f->devfn & 7, f->first_after, r->anchor, value);
        else if ( f->changed_after && (kdump < 0 || f->t_changed < kdump) )
            why(r, "%02x:%02x.%u COMMAND changed (0x%04x at the end) %.2f s "
                "after QEMU start, before the crash kernel started (%.2f s)",
                f->bus, f->devfn >> 3, f->devfn & 7, f->last, f->t_changed,
                kdump);
    }
    if ( r->desc_after || r->bytes_after || r->frames_late )
        why(r, "DMA after the crash path: %lu descriptors, %lu bytes, %lu late "
            "frames", r->desc_after, r->bytes_after, r->frames_late);
}

/*
 * Every run: the harness saw DMA before the crash, the crash kernel came
 * up and saw an ELF /proc/vmcore.  Disconnect off (the negative control):
 * no "Disconnected" line, and e1000 DMA after the crash path observed.
 * On: Xen disconnected as many functions as its plan had steps, every
 * planned function reads the core's value at the first poll after that
 * line and keeps it until the crash kernel starts (which may then enable
 * what it needs, a bridge say), and no descriptor, byte
 * or late frame lands after it; over all plan updates Xen read each
 * endpoint's config space once (bridges: at every update).
 */
void e2e_verdict(struct e2e_result *r, uint16_t value)
{
    r->pass = true;
    mark_planned(r, value);
    if ( r->error[0] )
        why(r, "%s", r->error);
    else if ( !r->finished )
        why(r, "the run's process died before reporting");
    else if ( r->t_mark[E2E_M_CRASH_LINE] < 0 )
        why(r, "no crash line ('%s') on the console",
            e2e_mark_text[E2E_M_CRASH_LINE]);
    else if ( r->t_mark[E2E_M_CRASH_UP] < 0 )
        why(r, "the crash kernel did not boot");
    else if ( !r->vmcore_elf || !r->vmcore_size )
        why(r, "the crash kernel saw no ELF /proc/vmcore");
    else if ( (r->t_mark[E2E_M_VT_D_ON] >= 0) == r->cfg.crash_disable )
        why(r, "the crash kernel found VT-d translation %s, expected %s",
            r->t_mark[E2E_M_VT_D_ON] >= 0 ? "on" : "off",
            r->cfg.crash_disable ? "off (iommu=crash-disable)" : "on (Xen's default)");
    else if ( !r->desc_before )
        why(r, "no e1000 DMA seen before the crash: the harness would be blind");
    else if ( !r->cfg.disconnect && r->disconnected >= 0 )
        why(r, "disconnect switched off, yet Xen printed 'Disconnected %ld'",
            r->disconnected);
    else if ( !r->cfg.disconnect && !r->desc_after )
        why(r, "negative control failed: no DMA observed after the crash path");
    else if ( r->cfg.disconnect )
        verdict_on(r, value);
}

/* ------------------------------------------------------------------------ */
/* Table and JSON                                                            */

static void fmt_t(char *buf, size_t len, double t)
{
    if ( t < 0 )
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.1f", t);
}

static void fmt_l(char *buf, size_t len, long v)
{
    if ( v < 0 )
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%ld", v);
}

static void print_row(FILE *out, const struct e2e_result *r, uint16_t value)
{
    char ready[24], line[24], up[24], exit_s[24], plan[24], dc[24];

    fmt_t(ready, sizeof(ready), r->t_mark[E2E_M_READY]);
    fmt_t(line, sizeof(line), r->t_mark[E2E_M_CRASH_LINE]);
    fmt_t(up, sizeof(up), r->t_mark[E2E_M_CRASH_UP]);
    fmt_t(exit_s, sizeof(exit_s), r->t_exit);
    fmt_l(plan, sizeof(plan), r->plan_steps);
    fmt_l(dc, sizeof(dc), r->disconnected);
    fprintf(out, "| %s | %s | %s | %s | %s / %s | %u/%u | %lu | %lu | %lu | %lu | "
            "%u: %u, %u (%lu B) | "
            "%s | %s | %s | %s | %s | %.1f | %s |\n",
            r->cfg.name, r->cfg.disconnect ? "on" : "off",
            r->cfg.crash_disable ? "crash-disable" : "default",
            r->t_mark[E2E_M_VT_D_ON] >= 0 ? "on" : "off",
            plan, dc, count_at_value(r, value), r->nr_funcs, r->desc_in_path,
            r->desc_after, r->bytes_after, r->frames_late, r->ahci_inflight,
            r->ahci_landed, r->ahci_landed_after, r->ahci_bytes_after,
            ready, line, up, r->vmcore_elf ? "ELF" : "none", exit_s, r->t_total,
            r->pass ? "pass" : "FAIL");
}

void e2e_print_table(FILE *out, const struct e2e_opts *o, struct e2e_result *rs,
                     unsigned int n)
{
    fprintf(out, "Xen: %s. Core's COMMAND value: 0x%04x.%s Times: s after QEMU start.\n\n",
            o->label, o->value,
            o->bridge ? " The e1000 is behind a PCI-PCI bridge." : "");
    fprintf(out, "| run | disconnect | iommu= | VT-d found by crash kernel | plan steps / Disconnected N | "
            "functions at value after crash path | e1000 descs during crash "
            "path | e1000 descs after | bytes after | late frames in dom0 "
            "buffers | AHCI reads in flight at crash: landed by end, of them after crash path (bytes) | dom0 ready | crash line | "
            "crash kernel up | vmcore | QEMU exit | run s | verdict |\n");
    fprintf(out, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for ( unsigned int i = 0; i < n; i++ )
        print_row(out, &rs[i], o->value);
    for ( unsigned int i = 0; i < n; i++ )
        if ( !rs[i].pass )
            fprintf(out, "\n%s: FAIL: %s", rs[i].cfg.name, rs[i].verdict_why);
    fprintf(out, "\n");
}

/* Seconds, or null where the event was not seen (negative). */
static json_t *json_seconds(double v)
{
    return v < 0 ? json_null() : json_real(v);
}

static json_t *json_funcs(const struct e2e_result *r)
{
    json_t *list = json_array();
    char bdf[16], id[16];

    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
    {
        const struct e2e_func_obs *fn = &r->func[i];

        snprintf(bdf, sizeof(bdf), "%02x:%02x.%u", fn->bus, fn->devfn >> 3,
                 fn->devfn & 7);
        snprintf(id, sizeof(id), "%04x:%04x", fn->vendor, fn->device);
        json_array_append_new(list, json_pack(
            "{s:s, s:s, s:b, s:i, s:i, s:i, s:i, s:b, s:o, s:o}",
            "bdf", bdf, "id", id, "planned", fn->planned,
            "before", fn->before, "at_crash_line", fn->at_line,
            "after_crash_path", fn->first_after, "last", fn->last,
            "changed_after", fn->changed_after,
            "s_changed", json_seconds(fn->t_changed),
            "s_from_crash_line_to_value", json_seconds(fn->t_value)));
    }
    return list;
}

static json_t *json_marks(const struct e2e_result *r)
{
    json_t *sec = json_object();

    for ( int m = 0; m < E2E_M_COUNT; m++ )
        json_object_set_new(sec, e2e_mark_name[m], json_seconds(r->t_mark[m]));
    json_object_set_new(sec, "crash_request", json_seconds(r->t_key));
    json_object_set_new(sec, "qemu_exit", json_seconds(r->t_exit));
    json_object_set_new(sec, "run", json_seconds(r->t_total));
    return sec;
}

static json_t *json_e1000(const struct e2e_result *r)
{
    return json_pack(
        "{s:I, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
        " s:I, s:I, s:I}",
        "ring_base", (json_int_t)r->ring_base, "ring_size", r->ring_size,
        "desc_before", (json_int_t)r->desc_before,
        "desc_window", (json_int_t)r->desc_window,
        "desc_in_crash_path", (json_int_t)r->desc_in_path,
        "desc_after", (json_int_t)r->desc_after,
        "bytes_after", (json_int_t)r->bytes_after,
        "late_frames", (json_int_t)r->frames_late,
        "late_frame_bytes", (json_int_t)r->frames_late_bytes,
        "frames_sent", (json_int_t)r->frames_sent,
        "frames_refused", (json_int_t)r->frames_refused,
        "seq_at_anchor", (json_int_t)r->seq_at_anchor,
        "rdh_before", (json_int_t)r->head_before,
        "rdh_after_crash_path", (json_int_t)r->head_base,
        "rdh_end", (json_int_t)r->head_end);
}

static json_t *json_ahci(const struct e2e_result *r)
{
    return json_pack(
        "{s:b, s:I, s:i, s:i, s:I, s:I, s:i, s:I}",
        "found", r->ahci_seen, "busy_polls_before", (json_int_t)r->ahci_busy_polls,
        "in_flight_at_last_poll_before_crash", r->ahci_inflight,
        "landed", r->ahci_landed, "bytes_in_flight", (json_int_t)r->ahci_bytes,
        "bytes_landed", (json_int_t)r->ahci_bytes_landed,
        "landed_after_crash_path", r->ahci_landed_after,
        "bytes_after_crash_path", (json_int_t)r->ahci_bytes_after);
}

static json_t *json_run(const struct e2e_result *r)
{
    json_t *run = json_pack(
        "{s:s, s:b, s:b, s:b, s:s, s:s, s:s, s:o, s:s, s:b, s:I, s:I, s:s,"
        " s:o, s:o, s:o}",
        "run", r->cfg.name, "disconnect", r->cfg.disconnect,
        "iommu_crash_disable", r->cfg.crash_disable, "pass", r->pass,
        "why", r->verdict_why, "error", r->error, "console_log", r->log_dir,
        "seconds", json_marks(r), "anchor", r->anchor,
        "anchor_fallback", r->anchor_fallback,
        "plan_steps", (json_int_t)r->plan_steps,
        "disconnected", (json_int_t)r->disconnected, "plan_line", r->plan_line,
        "functions", json_funcs(r), "e1000", json_e1000(r),
        "ahci", json_ahci(r));

    if ( !run )
        return NULL;
    json_object_set_new(run, "polls_after", json_integer(r->polls_after));
    json_object_set_new(run, "plan_updates", json_integer(r->plan_updates));
    json_object_set_new(run, "plan_reads", json_integer(r->plan_reads));
    json_object_set_new(run, "poll_ms", json_real(r->poll_ms));
    json_object_set_new(run, "first_poll_after_anchor_s",
                        json_real(r->first_poll_after));
    json_object_set_new(run, "vmcore",
                        json_pack("{s:b, s:I}", "elf", r->vmcore_elf,
                                  "size", (json_int_t)r->vmcore_size));
    return run;
}

int e2e_write_json(const char *path, const struct e2e_opts *o,
                   const struct e2e_result *rs, unsigned int n)
{
    json_t *runs = json_array(), *top;
    int rc;

    for ( unsigned int i = 0; i < n; i++ )
        if ( json_array_append_new(runs, json_run(&rs[i])) )
        {
            json_decref(runs);
            return -1;
        }
    top = json_pack("{s:s, s:s, s:i, s:s, s:s, s:i, s:b, s:s, s:o}",
                    "xen", o->xen, "label", o->label, "value", o->value,
                    "switch_on", o->arg_on, "switch_off", o->arg_off,
                    "frames_per_s", o->rate, "e1000_behind_bridge", o->bridge,
                    "crash", o->crash == E2E_CRASH_KEY ? "xen-debug-key"
                                                   : "dom0-sysrq",
                    "runs", runs);
    if ( !top )
        return -1;
    rc = json_dump_file(top, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(top);
    return rc;
}
