/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xen-e2e: the Markdown tables.  The summary compares what each run's crash
 * path did to DMA and to Xen's console; the second gives every function's
 * COMMAND before and after the crash path; the third the details (times,
 * AHCI, descriptors during the crash path).
 */
#define _GNU_SOURCE
#include "xen_e2e.h"

char *e2e_command_str(uint16_t cmd, char *buf, size_t len)
{
    static const struct { uint16_t bit; const char *name; } bits[] = {
        { PCI_COMMAND_IO, "io" }, { PCI_COMMAND_MEMORY, "mem" },
        { PCI_COMMAND_MASTER, "bm" }, { PCI_COMMAND_DISABLE_INTx, "intx-off" },
    };
    size_t n = (size_t)snprintf(buf, len, "0x%04x (", cmd);
    const char *sep = "";

    for ( size_t i = 0; i < sizeof(bits) / sizeof(bits[0]) && n < len; i++ )
        if ( cmd & bits[i].bit )
        {
            n += (size_t)snprintf(buf + n, len - n, "%s%s", sep, bits[i].name);
            sep = " ";
        }
    if ( n < len )
        snprintf(buf + n, len - n, "%s)", *sep ? "" : "-");
    return buf;
}

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

static void fmt_ier(char *buf, size_t len, int ier)
{
    if ( ier < 0 )
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "0x%02x (%s)", (unsigned int)ier,
                 ier == 0xff ? "gone" : "answers");
}

static unsigned int count_at_expected(const struct e2e_result *r)
{
    unsigned int n = 0;

    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
        n += r->func[i].planned && r->func[i].first_after == r->func[i].expected;
    return n;
}

static unsigned int count_planned(const struct e2e_result *r)
{
    unsigned int n = 0;

    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
        n += r->func[i].planned;
    return n;
}

/* ------------------------------------------------------------------------ */
/* Summary                                                                   */

static void summary_row(FILE *out, const struct e2e_opts *o,
                        const struct e2e_result *r)
{
    char ier[32], plan[24], dc[24], window[64];

    fmt_ier(ier, sizeof(ier), r->uart_ier_after);
    fmt_l(plan, sizeof(plan), r->plan_steps);
    fmt_l(dc, sizeof(dc), r->disconnected);
    if ( r->t_disc_seen < 0 )
        snprintf(window, sizeof(window), "-");
    else
        snprintf(window, sizeof(window), "%lu / %lu (%.0f ms)",
                 r->desc_to_disc, r->bytes_to_disc, r->t_disc_seen * 1e3);
    fprintf(out, "| %s | `%s` | %lu (%lu B)%s%s%s | %s | %s / %s | %u/%u | "
            "%s | %lu | %lu | %lu | %s |\n",
            r->cfg.name, o->arg[r->cfg.mode][0] ? o->arg[r->cfg.mode] : "-",
            r->xen_lines_after, r->xen_bytes_after,
            r->xen_first_after[0] ? ": `" : "", r->xen_first_after,
            r->xen_first_after[0] ? "`" : "", ier, plan, dc,
            count_at_expected(r), count_planned(r), window, r->desc_after,
            r->bytes_after, r->frames_late, r->pass ? "pass" : "FAIL");
}

static void print_summary(FILE *out, const struct e2e_opts *o,
                          const struct e2e_result *rs, unsigned int n)
{
    fprintf(out, "| run | Xen switch | Xen console lines after the disconnect "
            "step (PCI UART) | UART IER read by the CPU after it | plan steps / "
            "Disconnected N | planned functions at expected COMMAND | e1000 "
            "descs / bytes from crash request to disconnect (poll) | e1000 "
            "descs after | bytes after | late frames in dom0 buffers | "
            "verdict |\n");
    fprintf(out, "|---|---|---|---|---|---|---|---|---|---|---|\n");
    for ( unsigned int i = 0; i < n; i++ )
        summary_row(out, o, &rs[i]);
}

/* ------------------------------------------------------------------------ */
/* COMMAND per function                                                      */

static const char *class_name(uint16_t class_code)
{
    switch ( class_code )
    {
    case 0x0106: return "SATA (AHCI)";
    case 0x0200: return "Ethernet";
    case 0x0600: return "host bridge";
    case 0x0601: return "ISA bridge (LPC)";
    case 0x0604: return "PCI bridge";
    case 0x0700: return "serial (16550)";
    case 0x0c05: return "SMBus";
    default: return "other";
    }
}

/* The function at bus:devfn in run r, or NULL. */
static const struct e2e_func_obs *run_func(const struct e2e_result *r,
                                           uint8_t bus, uint8_t devfn,
                                           uint16_t class_code)
{
    for ( unsigned int i = 0; i < r->nr_funcs; i++ )
        if ( r->func[i].bus == bus && r->func[i].devfn == devfn &&
             r->func[i].class_code == class_code )
            return &r->func[i];
    return NULL;
}

/* Is this function's row printed already (an earlier run had it)? */
static bool row_done(const struct e2e_result *rs, unsigned int upto,
                     const struct e2e_func_obs *f)
{
    for ( unsigned int j = 0; j < upto; j++ )
        if ( run_func(&rs[j], f->bus, f->devfn, f->class_code) )
            return true;
    return false;
}

static void function_row(FILE *out, const struct e2e_result *rs,
                         unsigned int n, const struct e2e_func_obs *f)
{
    char before[48], after[48];

    fprintf(out, "| %02x:%02x.%u %s |", f->bus, f->devfn >> 3, f->devfn & 7,
            class_name(f->class_code));
    for ( unsigned int j = 0; j < n; j++ )
    {
        const struct e2e_func_obs *g = run_func(&rs[j], f->bus, f->devfn,
                                                f->class_code);

        if ( !g )
        {
            fprintf(out, " - |");
            continue;
        }
        e2e_command_str(g->before, before, sizeof(before));
        e2e_command_str(g->first_after, after, sizeof(after));
        fprintf(out, " %s%s → %s |", g->kept ? "kept: " : "", before, after);
    }
    fprintf(out, "\n");
}

static void print_commands(FILE *out, const struct e2e_result *rs,
                           unsigned int n)
{
    fprintf(out, "COMMAND before the crash request → at the first poll after the "
            "disconnect step (io/mem: decode, bm: Bus Master, intx-off: INTx "
            "Disable):\n\n| function |");
    for ( unsigned int j = 0; j < n; j++ )
        fprintf(out, " %s |", rs[j].cfg.name);
    fprintf(out, "\n|---|");
    for ( unsigned int j = 0; j < n; j++ )
        fprintf(out, "---|");
    fprintf(out, "\n");
    for ( unsigned int j = 0; j < n; j++ )
        for ( unsigned int i = 0; i < rs[j].nr_funcs; i++ )
            if ( !row_done(rs, j, &rs[j].func[i]) )
                function_row(out, rs, n, &rs[j].func[i]);
}

/* ------------------------------------------------------------------------ */
/* Details                                                                   */

static void detail_row(FILE *out, const struct e2e_result *r)
{
    char ready[24], line[24], up[24], exit_s[24];

    fmt_t(ready, sizeof(ready), r->t_mark[E2E_M_READY]);
    fmt_t(line, sizeof(line), r->t_mark[E2E_M_CRASH_LINE]);
    fmt_t(up, sizeof(up), r->t_mark[E2E_M_CRASH_UP]);
    fmt_t(exit_s, sizeof(exit_s), r->t_exit);
    fprintf(out, "| %s | %s | %s | %lu | %ld / %ld in %ld reads | "
            "%u: %u, %u (%lu B) | %s | %s | %s | %s | %s | %.1f |\n",
            r->cfg.name, r->cfg.crash_disable ? "crash-disable" : "default",
            r->t_mark[E2E_M_VT_D_ON] >= 0 ? "on" : "off", r->desc_in_path,
            r->plan_reads, r->plan_updates, r->plan_conf_reads,
            r->ahci_inflight, r->ahci_landed, r->ahci_landed_after,
            r->ahci_bytes_after, ready, line, up,
            r->vmcore_elf ? "ELF" : "none", exit_s, r->t_total);
}

static void print_details(FILE *out, const struct e2e_result *rs,
                          unsigned int n)
{
    fprintf(out, "| run | iommu= | VT-d found by crash kernel | e1000 descs "
            "during crash path | devices described / plan updates, config "
            "reads | AHCI reads in flight at crash: landed by end, of them "
            "after crash path (bytes) | dom0 ready | crash line | crash "
            "kernel up | vmcore | QEMU exit | run s |\n");
    fprintf(out, "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for ( unsigned int i = 0; i < n; i++ )
        detail_row(out, &rs[i]);
}

void e2e_print_table(FILE *out, const struct e2e_opts *o,
                     const struct e2e_result *rs, unsigned int n)
{
    fprintf(out, "Xen: %s. pcidc's policy: COMMAND = (COMMAND & ~0x%04x) | "
            "0x%04x; the seed's: 0.%s Xen's console: com1 on a PCI UART "
            "behind a pci-bridge; the crash kernel's: the ISA COM1. Times: s "
            "after QEMU start.\n\n", o->label, o->policy.clear, o->policy.set,
            o->bridge ? " The e1000 is behind a PCI-PCI bridge." : "");
    print_summary(out, o, rs, n);
    fprintf(out, "\n");
    print_commands(out, rs, n);
    fprintf(out, "\n");
    print_details(out, rs, n);
    for ( unsigned int i = 0; i < n; i++ )
        if ( !rs[i].pass )
            fprintf(out, "\n%s: FAIL: %s", rs[i].cfg.name, rs[i].verdict_why);
    fprintf(out, "\n");
}
