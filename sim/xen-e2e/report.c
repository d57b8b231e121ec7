/* SPDX-License-Identifier: GPL-2.0-only */
/* xen-e2e: each run's verdict and the JSON report (tables: table.c). */
#define _GNU_SOURCE
#include "xen_e2e.h"

#define CLASS_HOST_BRIDGE   0x0600
#define HEADER_TYPE_BRIDGE  1

/* ------------------------------------------------------------------------ */
/* What each run's crash path must do                                        */

struct e2e_policy e2e_run_policy(const struct e2e_opts *o, enum e2e_mode m)
{
    if ( m == E2E_SEED )
        return (struct e2e_policy){ .clear = 0xffff, .set = 0 };
    return o->policy;
}

static bool is_xen_uart(const struct e2e_func_obs *f)
{
    return f->class_code == E2E_UART_CLASS && f->bus != 0;
}

static bool bridge_holds(const struct e2e_func_obs *f, unsigned int bus)
{
    return (f->header_type & 0x7f) == HEADER_TYPE_BRIDGE &&
           f->secondary > f->bus && f->secondary <= bus &&
           bus <= f->subordinate;
}

/*
 * Which functions the crash path must write, and with what.  pcidc (and
 * its fallback) leaves Xen's own functions alone: the host bridge, the
 * UART its console is on and every bridge whose bus range holds the UART's
 * bus; it writes (COMMAND & ~clear) | set to every other.  The seed writes
 * 0 to every function.  Stock Xen writes none.
 */
static void mark_expected(const struct e2e_opts *o, struct e2e_result *r)
{
    const struct e2e_policy p = e2e_run_policy(o, r->cfg.mode);
    const bool keeps = r->cfg.mode == E2E_PCIDC || r->cfg.mode == E2E_FALLBACK;
    int uart_bus = -1;

    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
        if ( is_xen_uart(&r->func[i]) )
            uart_bus = r->func[i].bus;
    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
    {
        struct e2e_func_obs *f = &r->func[i];

        f->kept = keeps && ((f->bus == 0 && f->class_code == CLASS_HOST_BRIDGE) ||
                            is_xen_uart(f) ||
                            (uart_bus >= 0 && bridge_holds(f, (unsigned int)uart_bus)));
        f->planned = e2e_disconnects(r->cfg.mode) && !f->kept;
        f->expected = f->planned ? (uint16_t)((f->before & ~p.clear) | p.set)
                                 : f->before;
    }
}

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

static unsigned int planned_count(const struct e2e_result *r)
{
    unsigned int n = 0;

    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
        n += r->func[i].planned;
    return n;
}

/*
 * The port describes an endpoint once and a bridge at every plan update:
 * describe calls, and the config reads they make (pcidc_describe(): vendor,
 * COMMAND, header type, and a bridge's bus numbers).
 */
static long max_plan_reads(const struct e2e_result *r, long per_endpoint,
                           long per_bridge)
{
    long bridges = 0;

    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
        bridges += (r->func[i].header_type & 0x7f) == HEADER_TYPE_BRIDGE;
    return ((long)r->nr_funcs - bridges) * per_endpoint +
           bridges * per_bridge * r->plan_updates;
}

static void verdict_reads(struct e2e_result *r)
{
    if ( r->plan_reads > max_plan_reads(r, 1, 1) )
        why(r, "Xen described %ld devices from config space over %ld plan "
            "updates, more than %ld (endpoints once, bridges every update): "
            "it re-reads known endpoints", r->plan_reads, r->plan_updates,
            max_plan_reads(r, 1, 1));
    else if ( r->plan_conf_reads > max_plan_reads(r, 3, 4) )
        why(r, "Xen made %ld config reads over %ld plan updates, more than "
            "%ld (3 per endpoint once, 4 per bridge every update)",
            r->plan_conf_reads, r->plan_updates, max_plan_reads(r, 3, 4));
}

/* The plan line names the policy: "plan of N steps, pcidc fallback (...". */
static void verdict_plan_line(struct e2e_result *r)
{
    static const char *const want[E2E_NR_MODES] = {
        [E2E_PCIDC] = " steps, pcidc (", [E2E_SEED] = " steps, seed (",
        [E2E_FALLBACK] = " steps, pcidc fallback (",
    };
    const bool fallback = r->cfg.mode == E2E_FALLBACK;

    if ( !strstr(r->plan_line, want[r->cfg.mode]) )
        why(r, "Xen's last plan line is not '...%s...': '%s'", want[r->cfg.mode],
            r->plan_line);
    else if ( fallback && r->fallback_lines != r->plan_updates )
        why(r, "%ld fallback warnings over %ld plan updates: test-fallback "
            "should make every update fall back", r->fallback_lines,
            r->plan_updates);
    else if ( !fallback && r->fallback_lines )
        why(r, "%ld fallback warnings without test-fallback", r->fallback_lines);
}

/*
 * Xen's console after the disconnect step.  pcidc keeps the UART and its
 * bridge decoding: the "Disconnected N" line arrives and the CPU still
 * reads the UART's registers.  The seed turns their decode off before that
 * line: not a byte arrives after the shoot-down line, and the UART reads
 * all ones.
 */
static void verdict_console(struct e2e_result *r)
{
    if ( r->cfg.mode == E2E_SEED )
    {
        if ( r->disconnected >= 0 || r->xen_lines_after || r->xen_bytes_after )
            why(r, "the seed's disconnect should silence Xen's console, yet "
                "%lu lines (%lu B) arrived after the shoot-down line: '%s'",
                r->xen_lines_after, r->xen_bytes_after, r->xen_first_after);
        else if ( r->uart_ier_after != 0xff )
            why(r, "the seed's disconnect should hide the UART from the CPU, "
                "yet its IER read 0x%02x", (unsigned int)r->uart_ier_after);
        return;
    }
    if ( r->disconnected < 0 )
        why(r, "no 'Disconnected N PCI functions' line from Xen's crash path");
    else if ( r->uart_ier_after < 0 || r->uart_ier_after == 0xff )
        why(r, "Xen's UART does not answer after the crash path (IER %d)",
            r->uart_ier_after);
}

static void verdict_funcs(struct e2e_result *r)
{
    double kdump = r->t_mark[E2E_M_KDUMP_START];

    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
    {
        const struct e2e_func_obs *f = &r->func[i];

        if ( f->first_after != f->expected )
            why(r, "%02x:%02x.%u COMMAND read 0x%04x at the first poll after "
                "the crash path's '%s' line, not 0x%04x (%s; 0x%04x before)",
                f->bus, f->devfn >> 3, f->devfn & 7, f->first_after, r->anchor,
                f->expected, f->kept ? "kept" : "planned", f->before);
        else if ( f->changed_after && (kdump < 0 || f->t_changed < kdump) )
            why(r, "%02x:%02x.%u COMMAND changed (0x%04x at the end) %.2f s "
                "after QEMU start, before the crash kernel started (%.2f s)",
                f->bus, f->devfn >> 3, f->devfn & 7, f->last, f->t_changed,
                kdump);
    }
}

static void verdict_disconnect(struct e2e_result *r)
{
    verdict_console(r);
    verdict_plan_line(r);
    if ( r->disconnected >= 0 && r->disconnected != r->plan_steps )
        why(r, "Xen disconnected %ld functions, its plan had %ld steps",
            r->disconnected, r->plan_steps);
    else if ( planned_count(r) != (unsigned int)r->plan_steps )
        why(r, "%u functions should be in the plan, Xen's had %ld steps",
            planned_count(r), r->plan_steps);
    verdict_reads(r);
    verdict_funcs(r);
    if ( r->desc_after || r->bytes_after || r->frames_late )
        why(r, "DMA after the crash path: %lu descriptors, %lu bytes, %lu late "
            "frames", r->desc_after, r->bytes_after, r->frames_late);
}

/* Stock Xen: no plan, no disconnect, DMA goes on, the console stays. */
static void verdict_stock(struct e2e_result *r)
{
    if ( r->disconnected >= 0 )
        why(r, "disconnect switched off, yet Xen printed 'Disconnected %ld'",
            r->disconnected);
    else if ( r->plan_updates )
        why(r, "disconnect switched off, yet Xen printed %ld plans",
            r->plan_updates);
    else if ( !r->desc_after )
        why(r, "negative control failed: no DMA observed after the crash path");
    else if ( r->uart_ier_after < 0 || r->uart_ier_after == 0xff )
        why(r, "Xen's UART does not answer after the crash path (IER %d)",
            r->uart_ier_after);
    verdict_funcs(r);
}

/*
 * Every run: the harness saw DMA before the crash, Xen's console came on
 * the PCI UART and the CPU read the UART before the crash, the crash kernel
 * came up and saw an ELF /proc/vmcore.  Then by mode: stock (the negative
 * control) DMA after the crash path; pcidc, its fallback and the seed: as
 * many functions disconnected as planned, each at its expected COMMAND from
 * the first poll after the crash path until the crash kernel starts (which
 * may then enable what it needs), Xen's own functions untouched (pcidc),
 * no descriptor, byte or late frame after it, and what became of Xen's
 * console (verdict_console()).
 */
void e2e_verdict(const struct e2e_opts *o, struct e2e_result *r)
{
    r->pass = true;
    mark_expected(o, r);
    if ( r->error[0] )
        why(r, "%s", r->error);
    else if ( !r->finished )
        why(r, "the run's process died before reporting");
    else if ( !r->xen_banner_on_uart )
        why(r, "Xen's banner did not come on the PCI UART");
    else if ( r->uart_ier_before < 0 || r->uart_ier_before == 0xff )
        why(r, "the PCI UART did not answer before the crash (IER %d): the "
            "probe would tell nothing", r->uart_ier_before);
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
    else if ( r->cfg.mode == E2E_STOCK )
        verdict_stock(r);
    else
        verdict_disconnect(r);
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                      */

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
            "{s:s, s:s, s:i, s:b, s:b, s:i, s:i, s:i, s:i, s:i, s:b, s:o, s:o}",
            "bdf", bdf, "id", id, "class", fn->class_code,
            "planned", fn->planned, "kept", fn->kept, "expected", fn->expected,
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
        "{s:I, s:i, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I,"
        " s:I, s:I, s:I, s:I, s:I, s:I}",
        "ring_base", (json_int_t)r->ring_base, "ring_size", r->ring_size,
        "desc_before", (json_int_t)r->desc_before,
        "desc_window", (json_int_t)r->desc_window,
        "desc_in_crash_path", (json_int_t)r->desc_in_path,
        "desc_request_to_disconnect", (json_int_t)r->desc_to_disc,
        "bytes_request_to_disconnect", (json_int_t)r->bytes_to_disc,
        "s_request_to_disconnect_seen", json_seconds(r->t_disc_seen),
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
        "{s:s, s:s, s:b, s:b, s:b, s:s, s:s, s:s, s:o, s:s, s:b, s:I, s:I,"
        " s:s, s:o, s:o, s:o}",
        "run", r->cfg.name, "mode", e2e_mode_word[r->cfg.mode],
        "iommu_crash_disable", r->cfg.crash_disable,
        "e1000_behind_bridge", r->cfg.bridge, "pass", r->pass,
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
    json_object_set_new(run, "plan_config_reads",
                        json_integer(r->plan_conf_reads));
    json_object_set_new(run, "fallback_warnings",
                        json_integer(r->fallback_lines));
    json_object_set_new(run, "xen_console", json_pack(
        "{s:b, s:I, s:I, s:s, s:i, s:i, s:i}",
        "banner_on_pci_uart", r->xen_banner_on_uart,
        "lines_after_shoot_down", (json_int_t)r->xen_lines_after,
        "bytes_after_shoot_down", (json_int_t)r->xen_bytes_after,
        "first_line_after", r->xen_first_after,
        "uart_ier_before", r->uart_ier_before,
        "uart_ier_after_crash_path", r->uart_ier_after,
        "uart_ier_crash_kernel_up", r->uart_ier_end));
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
    top = json_pack("{s:s, s:s, s:{s:i, s:i}, s:{s:s?, s:s?, s:s?, s:s?},"
                    " s:i, s:b, s:s, s:o}",
                    "xen", o->xen, "label", o->label,
                    "policy", "clear", o->policy.clear, "set", o->policy.set,
                    "switch", "off", o->arg[E2E_STOCK], "on", o->arg[E2E_PCIDC],
                    "seed", o->arg[E2E_SEED], "fallback", o->arg[E2E_FALLBACK],
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
