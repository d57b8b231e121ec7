/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * report_reach: what was still reachable after the crash path, in a run's
 * JSON (functions' COMMAND before and after, the console line, the
 * registers read through BARs) and as the Markdown table's two cells.
 * See report.h.
 */
#include <stdio.h>
#include <string.h>

#include "report.h"
#include "base/sbdf.h"

static json_t *sbdf_text(uint32_t sbdf)
{
    char buf[SBDF_STR_LEN];

    return json_string(sbdf_str(sbdf, buf, sizeof(buf)));
}

static json_t *functions_json(const struct crash_result *r)
{
    json_t *funcs = json_array();
    unsigned int i;

    for (i = 0; i < r->nr_funcs && i < CRASH_MAX_FUNCS; i++) {
        const struct crash_func *f = &r->func[i];

        json_array_append_new(funcs, json_pack(
            "{s:o, s:i, s:i, s:b, s:b, s:b, s:o}",
            "sbdf", sbdf_text(f->sbdf),
            "command_before", (int)f->command_before,
            "command_after", (int)f->command_after,
            "planned", f->planned,
            "bridge", f->bridge,
            "preserved", f->preserved,
            "parent", f->parent >= 0 && (unsigned int)f->parent < r->nr_funcs
                      ? sbdf_text(r->func[f->parent].sbdf) : json_null()));
    }
    return funcs;
}

static json_t *consoles_json(const struct crash_result *r)
{
    json_t *consoles = json_array();
    unsigned int i;

    for (i = 0; i < r->nr_consoles && i < CRASH_MAX_CONSOLES; i++) {
        const struct crash_console *c = &r->console[i];

        json_array_append_new(consoles, json_pack(
            "{s:s, s:o, s:b, s:b}",
            "device", c->name,
            "sbdf", sbdf_text(c->sbdf),
            "preserved", c->preserved,
            "line_arrived", c->arrived));
    }
    return consoles;
}

static json_t *mmio_json(const struct crash_result *r)
{
    json_t *regs = json_array();
    unsigned int i;

    for (i = 0; i < r->nr_mmio && i < CRASH_MAX_DEVS; i++) {
        const struct crash_mmio *p = &r->mmio[i];

        json_array_append_new(regs, json_pack(
            "{s:s, s:o, s:s, s:s, s:I, s:I, s:I, s:b}",
            "device", p->name,
            "sbdf", sbdf_text(p->sbdf),
            "register", p->reg ? p->reg : "?",
            "space", p->io ? "io" : "memory",
            "address", (json_int_t)p->addr,
            "before", (json_int_t)p->before,
            "after", (json_int_t)p->after,
            "reachable", p->reachable));
    }
    return regs;
}

void report_reach_json(json_t *run, const struct crash_result *r)
{
    json_object_set_new(run, "functions", functions_json(r));
    json_object_set_new(run, "console_after_crash",
                        r->nr_consoles ? json_boolean(r->console_after_crash)
                                       : json_null());
    json_object_set_new(run, "consoles", consoles_json(r));
    json_object_set_new(run, "mmio_reachable",
                        json_integer(r->mmio_reachable));
    json_object_set_new(run, "mmio_checked", json_integer(r->nr_mmio));
    json_object_set_new(run, "mmio", mmio_json(r));
}

void report_reach_cells(const json_t *run, char *console, size_t console_len,
                        char *mmio, size_t mmio_len)
{
    const json_t *c = json_object_get(run, "console_after_crash");
    const json_t *ok = json_object_get(run, "mmio_reachable");
    const json_t *of = json_object_get(run, "mmio_checked");

    snprintf(console, console_len, "%s", json_is_true(c) ? "yes" :
             json_is_false(c) ? "no" : "-");
    if (json_is_integer(ok) && json_is_integer(of) &&
        json_integer_value(of) > 0)
        snprintf(mmio, mmio_len, "%lld/%lld",
                 (long long)json_integer_value(ok),
                 (long long)json_integer_value(of));
    else
        snprintf(mmio, mmio_len, "-");
}

const char report_reach_note[] =
    "reads = config reads on the crash path: pcidc reads each function's "
    "COMMAND at the crash, lock-free, and writes (read & ~Bus Master) | "
    "INTx Disable (all ones read: the value from plan time); linux-kexec "
    "reads it to clear Bus Master; seed and decode-off read nothing. "
    "console after crash: the line Xen prints after the crash path "
    "(\"Disconnected N PCI functions\", then its kexec messages), written "
    "through every UART's I/O BAR, reached the UART's chardev file (-: no "
    "UART in the topology). MMIO reachable: endpoints not marked keep: "
    "whose side-effect-free register (e1000 STATUS, AHCI CAP, UART LSR, "
    "NVMe VS, virtio DEVICE_FEATURE, igb STATUS, xHCI HCSPARAMS1) "
    "reads after the window what it read before the crash, through the "
    "endpoint's BAR and every bridge window above it.";
