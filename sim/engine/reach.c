/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * reach: what the crashing CPU and the crash kernel can still reach after
 * the crash path -- the 2011 patch was reverted because writing COMMAND = 0
 * also turned memory and I/O decode off, so a serial console, or anything
 * behind a bridge so written, stopped answering.
 *
 *  - COMMAND of every function, read through ECAM just before the crash
 *    path and again after the window: what the crash path really left,
 *    never what a plan says it would write.
 *  - The console: right after the crash path (and VT-d off), the line Xen
 *    prints then goes out through every UART, kept or not; after the
 *    window, whether it reached the UART's chardev file (one deadline for
 *    all UARTs).
 *  - One side-effect-free register of every endpoint not marked keep: (the
 *    endpoints pcidc's plan writes; the same set in every run), read
 *    through its BAR just before the crash path and after the window:
 *    e1000/e1000e STATUS, AHCI CAP, the UART's LSR (I/O).  Reachable: it
 *    reads what it read before.  The value before must be neither 0 nor all
 *    ones: QEMU 7.2 reads 0 from memory nothing decodes and all ones from
 *    such I/O ports (real hardware: all ones for both), so a register that
 *    read either could not tell the two apart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/serial_reg.h>

#include "engine.h"
#include "base/clock.h"
#include "dev/e1000_regs.h"

#define CONSOLE_WAIT_MS     300     /* after the window; QEMU writes the
                                       file synchronously */
#define AHCI_CAP            0x00    /* from ABAR; read-only, no side effect */

static uint32_t probe_read(struct crash_machine *m, const struct reach_probe *p)
{
    return p->io ? qts_inb(m->q, (uint16_t)p->addr) : qts_readl(m->q, p->addr);
}

static void add_probe(struct crash_machine *m, const char *name, uint32_t sbdf,
                      const char *reg, bool io, uint64_t addr)
{
    struct reach_probe *p = &m->probe[m->nr_probes++];

    p->name = name;
    p->sbdf = sbdf;
    p->reg = reg;
    p->io = io;
    p->addr = addr;
}

/* Every endpoint not marked keep: gets its probe. */
static int build_probes(struct crash_machine *m)
{
    const struct spec *s = m->opts->spec;
    unsigned int i;

    m->probe = calloc(m->nr_devs + m->nr_consoles + 1, sizeof(*m->probe));
    if (!m->probe)
        return qts_fail(m->q, "out of memory");
    for (i = 0; i < m->nr_devs; i++) {
        const struct dma_endpoint *d = &m->dev[i];
        const char *name = d->name, *reg;
        uint64_t addr;

        if (d->preserved)
            continue;
        if (d->ops) {
            if (d->ops->probe(d, &reg, &addr))
                add_probe(m, name, d->sbdf, reg, false, addr);
        } else if (d->kind == DEV_E1000)
            add_probe(m, name, d->sbdf, "STATUS", false,
                      d->e1000.mmio + E1000_STATUS);
        else
            add_probe(m, name, d->sbdf, "CAP", false,
                      d->ahci.abar + AHCI_CAP);
    }
    for (i = 0; i < m->nr_consoles; i++) {
        const struct console_port *c = &m->console[i];

        if (!c->preserved)
            add_probe(m, s->node[c->node].id, c->uart.sbdf, "LSR", true,
                      c->uart.io + UART_LSR);
    }
    return 0;
}

int reach_before_crash(struct crash_machine *m)
{
    struct crash_result *r = m->res;
    unsigned int i;

    for (i = 0; i < m->bus->nr && i < CRASH_MAX_FUNCS; i++) {
        const struct qpci_func *f = &m->bus->func[i];

        r->func[i].sbdf = f->sbdf;
        r->func[i].command_before = qpci_cfg_read16(m->bus, f->sbdf,
                                                    PCIDC_COMMAND);
        r->func[i].bridge = f->is_bridge;
        r->func[i].preserved = f->preserve;
        r->func[i].parent = f->parent;
    }
    r->nr_funcs = i;
    if (build_probes(m))
        return -1;
    for (i = 0; i < m->nr_probes; i++) {
        struct reach_probe *p = &m->probe[i];
        uint32_t all_ones = p->io ? 0xff : 0xffffffffu;

        p->before = probe_read(m, p);
        if (!qts_error(m->q) && (p->before == 0 || p->before == all_ones))
            return qts_fail(m->q, "%s: %s reads 0x%x before the crash: it "
                            "could not tell a reachable BAR from a lost one",
                            p->name, p->reg, p->before);
    }
    return qts_error(m->q) ? -1 : 0;
}

/* The console's text after the crash path: unique to the run. */
static void console_text(const struct crash_machine *m, char *buf, size_t len)
{
    snprintf(buf, len, "(XEN) Disconnected %lu PCI functions\r\n"
             "(XEN) crashsim %s, seed %llu: kexec into the crash kernel\r\n",
             m->res->config_writes, crash_policy_name(m->policy),
             (unsigned long long)m->opts->seed);
}

void reach_print_console(struct crash_machine *m)
{
    char text[160];
    unsigned int i;

    console_text(m, text, sizeof(text));
    for (i = 0; i < m->nr_consoles; i++)
        serial_write(&m->console[i].uart, text);
}

static int check_consoles(struct crash_machine *m)
{
    struct crash_result *r = m->res;
    double deadline = clock_ms() + CONSOLE_WAIT_MS;
    char text[160];
    unsigned int i;
    int arrived;

    console_text(m, text, sizeof(text));
    r->console_after_crash = true;
    for (i = 0; i < m->nr_consoles && i < CRASH_MAX_CONSOLES; i++) {
        struct console_port *c = &m->console[i];
        struct crash_console *o = &r->console[i];

        arrived = serial_wait_output(&c->uart, text, deadline);
        if (arrived < 0)
            return -1;
        snprintf(o->name, sizeof(o->name), "%s", c->uart.name);
        o->sbdf = c->uart.sbdf;
        o->preserved = c->preserved;
        o->arrived = arrived == 1;
        r->console_after_crash &= o->arrived;
        r->nr_consoles = i + 1;
    }
    return 0;
}

static void check_probes(struct crash_machine *m)
{
    struct crash_result *r = m->res;
    unsigned int i;

    for (i = 0; i < m->nr_probes && i < CRASH_MAX_DEVS; i++) {
        const struct reach_probe *p = &m->probe[i];
        struct crash_mmio *o = &r->mmio[i];

        snprintf(o->name, sizeof(o->name), "%s", p->name);
        o->sbdf = p->sbdf;
        o->reg = p->reg;
        o->io = p->io;
        o->addr = p->addr;
        o->before = p->before;
        o->after = probe_read(m, p);
        o->reachable = o->after == o->before;
        r->mmio_reachable += o->reachable;
        r->nr_mmio = i + 1;
    }
}

int reach_after_window(struct crash_machine *m)
{
    struct crash_result *r = m->res;
    unsigned int i;

    for (i = 0; i < r->nr_funcs; i++) {
        r->func[i].command_after = qpci_cfg_read16(m->bus, r->func[i].sbdf,
                                                   PCIDC_COMMAND);
        r->func[i].planned = m->written_at[i] != 0;
    }
    check_probes(m);
    if (check_consoles(m))
        return -1;
    return qts_error(m->q) ? -1 : 0;
}
