/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * machine: the simulated machine of one run -- QEMU's arguments from the
 * topology, QEMU started, the bus enumerated, the topology's devices found
 * and their drivers set up, and everything freed again.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "base/clock.h"
#include "port/pcidc_port_user.h"

/*
 * AHCI's throttle is chosen so that the full queue found at the crash keeps
 * the disk busy for the window plus this (crash path, crash-state copy,
 * comparison).
 */
#define AHCI_BUSY_MARGIN_MS 1000

void engine_note(const struct crash_machine *m, const char *fmt, ...)
{
    va_list ap;

    if (!m->opts->verbose)
        return;
    fprintf(stderr, "crashsim[%s]: ", crash_policy_name(m->policy));
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* --- QEMU arguments ------------------------------------------------------ */

struct qemu_args {
    struct spec_args dev;
    char extra[SPEC_MAX_NODES][64];
    char netdev[SPEC_MAX_NODES][256];
    char chardev[SPEC_MAX_NODES][SERIAL_PATH_LEN + 64];
    char drive[SPEC_MAX_NODES][256];
    char disk[SPEC_MAX_NODES][96];
    struct devkind_qemu kinds;          /* NVMe, virtio, igb */
    const char *argv[14 * SPEC_MAX_NODES + 1];
};

static bool is_nic(enum spec_kind kind)
{
    return kind == SPEC_E1000 || kind == SPEC_E1000E;
}

static const char *extra_props(void *arg, const struct spec *s, unsigned int i)
{
    struct qemu_args *a = arg;

    if (devkind_for(&s->node[i]))
        return a->kinds.extra[i];
    return is_nic(s->node[i].kind) || s->node[i].kind == SPEC_SERIAL ?
           a->extra[i] : NULL;
}

/* -netdev for every NIC, disk images for every AHCI, -chardev for every
 * UART. */
static int backend_args(struct crash_machine *m, struct qemu_args *a,
                        unsigned int *n)
{
    const struct spec *s = m->opts->spec;
    unsigned int i, nic = 0, disk = 0;

    for (i = 0; i < s->nr; i++) {
        const struct spec_node *nd = &s->node[i];

        if (is_nic(nd->kind)) {
            if (e1000_qemu_args(nd->id, nic, qts_tmpdir(m->q), a->netdev[i],
                                sizeof(a->netdev[i]), a->extra[i],
                                sizeof(a->extra[i])))
                return qts_fail(m->q, "socket path too long");
            a->argv[(*n)++] = "-netdev";
            a->argv[(*n)++] = a->netdev[i];
            nic++;
        } else if (nd->kind == SPEC_AHCI) {
            if (ahci_qemu_args(m->q, disk, m->opts->seed, nd->ahci_bus,
                               m->ahci_bps, a->drive[i], sizeof(a->drive[i]),
                               a->disk[i], sizeof(a->disk[i])))
                return -1;
            disk++;
        } else if (nd->kind == SPEC_SERIAL) {
            if (serial_qemu_args(nd->id, qts_tmpdir(m->q), a->chardev[i],
                                 sizeof(a->chardev[i]), a->extra[i],
                                 sizeof(a->extra[i])))
                return qts_fail(m->q, "chardev path too long");
            a->argv[(*n)++] = "-chardev";
            a->argv[(*n)++] = a->chardev[i];
        }
    }
    return 0;
}

static int build_args(struct crash_machine *m, struct qemu_args *a)
{
    const struct spec *s = m->opts->spec;
    unsigned int i, n = 0;
    int argc;

    m->ahci_bps = ahci_throttle_for(m->opts->window_ms + AHCI_BUSY_MARGIN_MS);
    if (backend_args(m, a, &n) || devkind_qemu_args(m, &a->kinds))
        return -1;
    for (i = 0; i < a->kinds.nr_before; i++)
        a->argv[n++] = a->kinds.before[i];
    argc = spec_build_args(s, &a->dev, extra_props, a);
    if (argc < 0)
        return qts_fail(m->q, "topology: a -device argument is too long");
    /* intel-iommu first on the command line, as hypervisor set-ups do. */
    for (i = 0; i + 1 < (unsigned int)argc; i += 2)
        if (!strncmp(a->dev.argv[i + 1], "intel-iommu", 11)) {
            a->argv[n++] = a->dev.argv[i];
            a->argv[n++] = a->dev.argv[i + 1];
        }
    for (i = 0; i + 1 < (unsigned int)argc; i += 2)
        if (strncmp(a->dev.argv[i + 1], "intel-iommu", 11)) {
            a->argv[n++] = a->dev.argv[i];
            a->argv[n++] = a->dev.argv[i + 1];
        }
    /* Disks after their controllers. */
    for (i = 0; i < s->nr; i++) {
        if (s->node[i].kind != SPEC_AHCI)
            continue;
        a->argv[n++] = "-drive";
        a->argv[n++] = a->drive[i];
        a->argv[n++] = "-device";
        a->argv[n++] = a->disk[i];
    }
    for (i = 0; i < a->kinds.nr_after; i++)
        a->argv[n++] = a->kinds.after[i];
    a->argv[n] = NULL;
    return 0;
}

/* --- start, enumerate, find the devices ---------------------------------- */

int machine_start_qemu(struct crash_machine *m)
{
    struct qts_opts o = {
        .qemu = m->opts->qemu,
        .memory_mb = RAM_MB,
        .timeout_ms = m->opts->timeout_ms,
    };
    struct qemu_args *a;
    double t;
    int rc;

    m->q = qts_new(&o);
    if (!m->q)
        return -1;
    if (qts_error(m->q))
        return -1;
    a = calloc(1, sizeof(*a));
    if (!a)
        return qts_fail(m->q, "out of memory");
    rc = build_args(m, a);
    if (!rc) {
        t = clock_ms();
        rc = qts_start(m->q, a->argv);
        if (m->res)
            m->res->start_ms = clock_ms() - t;
    }
    free(a);
    return rc;
}

int machine_enumerate(struct crash_machine *m)
{
    m->bus = calloc(1, sizeof(*m->bus));
    if (!m->bus)
        return qts_fail(m->q, "out of memory");
    if (qpci_init(m->bus, m->q, 0) || qpci_enumerate(m->bus) < 0 ||
        devkind_reserve_vfs(m) || qpci_assign(m->bus))
        return -1;
    return 0;
}

/* Endpoint for spec node i at bus->func[f]; its driver opened. */
static int add_endpoint(struct crash_machine *m, unsigned int i, int f,
                        unsigned int *nic, unsigned int *disk)
{
    const struct spec_node *nd = &m->opts->spec->node[i];
    struct dma_endpoint *d = &m->dev[m->nr_devs++];
    int up;

    d->kind = is_nic(nd->kind) ? DEV_E1000 : DEV_AHCI;
    d->ops = devkind_for(nd);
    if (d->ops)
        d->kind = DEV_TABLE;
    snprintf(d->name, sizeof(d->name), "%s", nd->id);
    d->node = (int)i;
    d->func = f;
    d->sbdf = m->bus->func[f].sbdf;
    d->preserved = nd->keep;
    d->last_landing = -1;
    d->last_landing_pcie = -1;
    d->last_new_landing = -1;
    d->last_new_landing_pcie = -1;
    for (up = m->bus->func[f].parent; up >= 0 && d->nr_up <= SPEC_MAX_DEPTH;
         up = m->bus->func[up].parent)
        d->up[d->nr_up++] = up;
    if (d->ops)
        return d->ops->open ? d->ops->open(m, d) : 0;
    if (d->kind == DEV_AHCI) {
        d->ahci.index = (*disk)++;
        return 0;
    }
    return e1000_open(&d->e1000, m->q, nd->kind == SPEC_E1000E ?
                      E1000_82574L : E1000_82540EM, nd->id, (*nic)++,
                      m->opts->seed);
}

/* A UART for spec node i at bus->func[f]: set up later. */
static void add_console(struct crash_machine *m, unsigned int i, int f)
{
    struct console_port *c = &m->console[m->nr_consoles++];

    c->node = (int)i;
    c->func = f;
    c->preserved = m->opts->spec->node[i].keep;
}

int machine_find_devices(struct crash_machine *m)
{
    const struct spec *s = m->opts->spec;
    unsigned int i, nic = 0, disk = 0;
    int f;

    m->dev = calloc(devkind_max_endpoints(s), sizeof(*m->dev));
    m->console = calloc(s->nr ? s->nr : 1, sizeof(*m->console));
    if (!m->dev || !m->console)
        return qts_fail(m->q, "out of memory");
    for (i = 0; i < s->nr; i++) {
        const struct spec_node *nd = &s->node[i];

        if (!spec_is_endpoint(nd->kind) && !spec_is_bridge(nd->kind))
            continue;
        f = qpci_find_path(m->bus, nd->path, nd->path_len);
        if (f < 0)
            return qts_fail(m->q, "topology: %s (%s) not found on the bus",
                            nd->id, spec_kind_name(nd->kind));
        m->bus->func[f].preserve = nd->keep;
        if (nd->kind == SPEC_SERIAL)
            add_console(m, i, f);
        else if (spec_is_endpoint(nd->kind) &&
                 add_endpoint(m, i, f, &nic, &disk))
            return -1;
    }
    return 0;
}

/* --- device set-up ------------------------------------------------------- */

/* The IOAPIC pin (not 0, the timer) that rose since the snapshot, or 0. */
static unsigned int new_pin(struct crash_machine *m,
                            const unsigned long *before)
{
    unsigned int pin;

    qts_irq_poll(m->q, 5);
    for (pin = 1; pin < QTS_MAX_IRQ; pin++)
        if (qts_irq_raises(m->q, pin) > before[pin])
            return pin;
    return 0;
}

/* Guest-physical MSI word of AHCI number index (also its device address). */
static uint64_t msi_word(unsigned int index)
{
    return MSI_PAGE + 8ULL * index;
}

/* Endpoint d's driver set up with hook, its pin learnt, AHCI's MSI on. */
static int setup_driver(struct crash_machine *m, struct dma_endpoint *d,
                        const struct dma_hook *hook)
{
    unsigned long before[QTS_MAX_IRQ];
    unsigned int pin, index = d->ahci.index;

    if (d->ops)         /* MSI-X only: no pin to learn */
        return d->ops->setup(m, d, hook);
    for (pin = 0; pin < QTS_MAX_IRQ; pin++)
        before[pin] = qts_irq_raises(m->q, pin);
    if (d->kind == DEV_E1000) {
        if (e1000_setup(&d->e1000, m->bus, d->func, m->g, hook))
            return -1;
        e1000_kick_irq(&d->e1000);
        d->pin = new_pin(m, before);
        e1000_ack(&d->e1000);
        return 0;
    }
    /* GHC.IE after the first D2H FIS raises the line. */
    if (ahci_setup(&d->ahci, m->q, m->bus, d->func, index, m->opts->seed,
                   m->g, hook))
        return -1;
    d->pin = new_pin(m, before);
    ahci_ack(&d->ahci);
    return ahci_msi_enable(&d->ahci, msi_word(index), msi_word(index),
                           (uint16_t)(MSI_DATA | (index & 0xff)));
}

int machine_setup_devices(struct crash_machine *m)
{
    struct dma_hook hook = { NULL, NULL };
    int funcs[CRASH_MAX_DEVS];
    unsigned int i;

    if (qts_irq_intercept_in(m->q, "ioapic"))
        return -1;
    if (m->iommu)
        hook = iommu_dma_hook(m->iommu);
    for (i = 0; i < m->nr_devs && i < CRASH_MAX_DEVS; i++)
        funcs[i] = m->dev[i].func;
    for (i = 0; i < m->nr_devs; i++) {
        struct dma_endpoint *d = &m->dev[i];

        if (m->iommu)
            iommu_device_begin(m->iommu, funcs, m->nr_devs, d->func, (int)i);
        if (setup_driver(m, d, &hook))
            return -1;
        if (m->iommu)
            iommu_device_end(m->iommu);
        if (guard_device_regions(m, i))
            return -1;
    }
    /* UARTs do no DMA: no IOVA, no guarded region. */
    for (i = 0; i < m->nr_consoles; i++) {
        struct console_port *c = &m->console[i];

        if (serial_setup(&c->uart, m->q, m->bus, c->func,
                         m->opts->spec->node[c->node].id, qts_tmpdir(m->q)))
            return -1;
    }
    return qts_error(m->q) ? -1 : 0;
}

/* --- teardown ------------------------------------------------------------ */

void machine_teardown(struct crash_machine *m)
{
    unsigned int i;

    pcidc_port_user_set_write_hook(NULL, NULL);
    pcidc_port_user_set_tas_hook(NULL, NULL);
    pcidc_port_user_set_bus(NULL);
    for (i = 0; m->dev && i < m->nr_devs; i++) {
        if (m->dev[i].kind == DEV_E1000)
            e1000_close(&m->dev[i].e1000);
        if (m->dev[i].ops && m->dev[i].ops->close && m->dev[i].priv)
            m->dev[i].ops->close(&m->dev[i]);
        free(m->dev[i].priv);
    }
    iommu_setup_free(m->iommu);
    m->iommu = NULL;
    for (i = 0; m->region && i < m->nr_regions; i++)
        free(m->region[i].crash);
    free(m->region);
    free(m->dev);
    free(m->console);
    free(m->probe);
    free(m->bus);
    free(m->core);
    if (m->g)
        galloc_destroy(m->g);
    qts_close(m->q);
}
