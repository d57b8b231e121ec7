/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * crash: the crash engine.  See crash.h for the flow and the rules.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crash.h"
#include "dev/ahci.h"
#include "dev/e1000.h"
#include "dev/vtd.h"
#include "pci/galloc.h"
#include "base/pattern.h"
#include "pci/qpci.h"
#include "qemu/qts.h"
#include "pcidc.h"
#include "port/pcidc_port_user.h"

/* Guest memory layout (RAM is 256 MiB). */
#define RAM_MB              256
#define LOW_START           0x1000ULL
#define LOW_END             0x9f000ULL          /* below the EBDA / VGA hole */
#define ALLOC_START         0x100000ULL
#define ALLOC_END           ((uint64_t)RAM_MB << 20)
#define KDUMP_ADDR          0x8000000ULL        /* 128 MiB */
#define KDUMP_SIZE          (4ULL << 20)
#define REGION_LOW          "low memory"
/*
 * MSI words: the page between the low-memory region and the VGA hole,
 * neither guarded nor an IOVA window (identity-mapped with VT-d), one word
 * per AHCI.  Data: MSI_DATA | AHCI index.
 */
#define MSI_PAGE            0x9f000ULL
#define MSI_PAGE_LEN        0x1000ULL
#define MSI_DATA            0x4d00
#define REGION_KDUMP        "kdump reserved"

#define TICK_MS             10
#define READY_TIMEOUT_MS    4000    /* e1000 refuses frames ~1 s after RCTL */
#define WARMUP_TICKS        8
#define TX_WARMUP           4       /* TX descriptors rung before the crash */
#define RANGE_MERGE_GAP     64
#define MAX_REGIONS         4096
#define FIS_LEN             256
/*
 * AHCI's throttle is chosen so that the full queue found at the crash keeps
 * the disk busy for the window plus this (crash path, crash-state copy,
 * comparison).
 */
#define AHCI_BUSY_MARGIN_MS 1000

enum dev_kind { DEV_E1000, DEV_AHCI };

struct edev {
    enum dev_kind kind;
    int node;
    int func;
    uint32_t sbdf;
    bool preserved;
    int up[SPEC_MAX_DEPTH + 1];         /* func indices of upstream bridges */
    unsigned int nr_up;
    struct e1000_dev e1000;
    struct ahci_dev ahci;
    unsigned int pin;

    int last_landing;                   /* writes done; -1: none seen */
    int last_landing_pcie;
    int last_new_landing;               /* same, in-flight completions left out */
    int last_new_landing_pcie;
    bool new_after_path;                /* non-in-flight DMA after the path */
    bool inflight_known;
    bool inflight[AHCI_SLOTS];
    unsigned long inflight_done_after;  /* in-flight slots completed later */

    /* Baseline when the crash path returned. */
    unsigned int base_rx_done, base_tx_done;
    uint64_t base_rx_bytes, base_tx_bytes;
    unsigned long base_tx_dgrams, base_tx_cs;
    unsigned int base_completed;
    uint64_t base_bytes;
    unsigned long base_msi;
    unsigned int queued_at_path;
    enum ahci_slot_state slot_at_path[AHCI_SLOTS];
    uint32_t prdbc_at_path[AHCI_SLOTS];
    uint8_t fis_at_path[FIS_LEN];
};

#define REGION_NO_SLOT  (-1)
#define REGION_FIS      (-2)

struct region {
    char name[CRASH_REGION_LEN];
    uint64_t addr;
    uint64_t len;
    int dev;                /* index in eng.dev, -1: no owner */
    int slot;               /* AHCI slot, REGION_FIS, or REGION_NO_SLOT */
    bool fill;              /* filled with the guard pattern at set-up */
    uint8_t *crash;         /* copy as the crash path left it */
};

struct eng {
    const struct crash_opts *opts;
    enum crash_policy policy;
    struct crash_result *res;
    struct qts *q;
    struct qpci_bus *bus;
    struct galloc *g;

    unsigned int nr_devs;
    struct edev *dev;
    unsigned int nr_regions;
    struct region *region;

    /* Crash path bookkeeping. */
    bool in_crash;
    unsigned int writes;                /* crash-path writes so far */
    unsigned int written_at[QPCI_MAX_FUNCS];    /* 1-based step, 0: not */
    unsigned long irq_base[QTS_MAX_IRQ];    /* raises when the path returned */
    unsigned int irq_pending[QTS_MAX_IRQ];  /* 1: line high then */
    double t0;

    struct vtd_rig *iommu;              /* NULL: no iommu in the topology */
    unsigned int ahci_bps;              /* every disk's throttle */

    /*
     * What the core is handed lives on the heap: crashsim-contracts checks
     * it as valid memory, and E-ACSL does not see the static or stack data
     * of code it did not instrument.
     */
    struct core_input {
        struct pcidc dc;                /* ~117 KiB */
        struct pcidc_func func[QPCI_MAX_FUNCS];
        struct pcidc_policy policy;
    } *core;
};

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(unsigned int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

static void note(const struct eng *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(const struct eng *e, const char *fmt, ...)
{
    va_list ap;

    if (!e->opts->verbose)
        return;
    fprintf(stderr, "crashsim[%s]: ", crash_policy_name(e->policy));
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* --- QEMU arguments --------------------------------------------------------- */

struct qemu_args {
    struct spec_args dev;
    char extra[SPEC_MAX_NODES][64];
    char netdev[SPEC_MAX_NODES][256];
    char drive[SPEC_MAX_NODES][256];
    char disk[SPEC_MAX_NODES][96];
    const char *argv[6 * SPEC_MAX_NODES + 1];
};

static bool is_nic(enum spec_kind kind)
{
    return kind == SPEC_E1000 || kind == SPEC_E1000E;
}

static const char *extra_props(void *arg, const struct spec *s, unsigned int i)
{
    struct qemu_args *a = arg;

    return is_nic(s->node[i].kind) ? a->extra[i] : NULL;
}

static int build_args(struct eng *e, struct qemu_args *a)
{
    const struct spec *s = e->opts->spec;
    unsigned int i, n = 0, nic = 0, disk = 0;
    int argc;

    e->ahci_bps = ahci_throttle_for(e->opts->window_ms + AHCI_BUSY_MARGIN_MS);
    for (i = 0; i < s->nr; i++) {
        const struct spec_node *nd = &s->node[i];

        if (is_nic(nd->kind)) {
            if (e1000_qemu_args(nd->id, nic, qts_tmpdir(e->q), a->netdev[i],
                                sizeof(a->netdev[i]), a->extra[i],
                                sizeof(a->extra[i])))
                return qts_fail(e->q, "socket path too long");
            a->argv[n++] = "-netdev";
            a->argv[n++] = a->netdev[i];
            nic++;
        } else if (nd->kind == SPEC_AHCI) {
            if (ahci_qemu_args(e->q, disk, e->opts->seed, nd->ahci_bus,
                               e->ahci_bps, a->drive[i], sizeof(a->drive[i]), a->disk[i],
                               sizeof(a->disk[i])))
                return -1;
            disk++;
        }
    }
    argc = spec_build_args(s, &a->dev, extra_props, a);
    if (argc < 0)
        return qts_fail(e->q, "topology: a -device argument is too long");
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
    a->argv[n] = NULL;
    return 0;
}

/* --- start, enumerate, find the devices ----------------------------------- */

static int start_qemu(struct eng *e)
{
    struct qts_opts o = {
        .qemu = e->opts->qemu,
        .memory_mb = RAM_MB,
        .timeout_ms = e->opts->timeout_ms,
    };
    struct qemu_args *a;
    double t;
    int rc;

    e->q = qts_new(&o);
    if (!e->q)
        return -1;
    if (qts_error(e->q))
        return -1;
    a = calloc(1, sizeof(*a));
    if (!a)
        return qts_fail(e->q, "out of memory");
    rc = build_args(e, a);
    if (!rc) {
        t = now_ms();
        rc = qts_start(e->q, a->argv);
        if (e->res)
            e->res->start_ms = now_ms() - t;
    }
    free(a);
    return rc;
}

static int enumerate(struct eng *e)
{
    e->bus = calloc(1, sizeof(*e->bus));
    if (!e->bus)
        return qts_fail(e->q, "out of memory");
    if (qpci_init(e->bus, e->q, 0) || qpci_enumerate(e->bus) < 0 ||
        qpci_assign(e->bus))
        return -1;
    return 0;
}

static int find_devices(struct eng *e)
{
    const struct spec *s = e->opts->spec;
    unsigned int i, nic = 0, disk = 0;
    int f, up;

    e->dev = calloc(s->nr ? s->nr : 1, sizeof(*e->dev));
    if (!e->dev)
        return qts_fail(e->q, "out of memory");
    for (i = 0; i < s->nr; i++) {
        const struct spec_node *nd = &s->node[i];
        struct edev *d;

        if (!spec_is_endpoint(nd->kind) && !spec_is_bridge(nd->kind))
            continue;
        f = qpci_find_path(e->bus, nd->path, nd->path_len);
        if (f < 0)
            return qts_fail(e->q, "topology: %s (%s) not found on the bus",
                            nd->id, spec_kind_name(nd->kind));
        e->bus->func[f].preserve = nd->keep;
        if (!spec_is_endpoint(nd->kind))
            continue;
        d = &e->dev[e->nr_devs++];
        d->kind = is_nic(nd->kind) ? DEV_E1000 : DEV_AHCI;
        d->node = (int)i;
        d->func = f;
        d->sbdf = e->bus->func[f].sbdf;
        d->preserved = nd->keep;
        d->last_landing = -1;
        d->last_landing_pcie = -1;
        d->last_new_landing = -1;
        d->last_new_landing_pcie = -1;
        for (up = e->bus->func[f].parent; up >= 0 && d->nr_up <= SPEC_MAX_DEPTH;
             up = e->bus->func[up].parent)
            d->up[d->nr_up++] = up;
        if (d->kind == DEV_E1000) {
            if (e1000_open(&d->e1000, e->q, nd->kind == SPEC_E1000E ?
                           E1000_82574L : E1000_82540EM, nd->id, nic++,
                           e->opts->seed))
                return -1;
        } else {
            d->ahci.index = disk++;
        }
    }
    return 0;
}

/* --- guarded regions ------------------------------------------------------- */

static int add_region(struct eng *e, const char *name, uint64_t addr,
                      uint64_t len, int dev, int slot, bool fill)
{
    struct region *r;

    if (e->nr_regions == MAX_REGIONS)
        return qts_fail(e->q, "too many guarded regions");
    r = &e->region[e->nr_regions++];
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->addr = addr;
    r->len = len;
    r->dev = dev;
    r->slot = slot;
    r->fill = fill;
    return 0;
}

static int add_device_regions(struct eng *e, unsigned int i)
{
    struct edev *d = &e->dev[i];
    char name[CRASH_REGION_LEN];
    struct e1000_ranges r;
    unsigned int s;
    int rc = 0;

    if (d->preserved)
        return 0;       /* a live console's own buffers: not crash state */
    if (d->kind == DEV_E1000) {
        const char *n = d->e1000.name;

        e1000_ranges(&d->e1000, &r);
        snprintf(name, sizeof(name), "%s rx ring", n);
        rc |= add_region(e, name, r.rx_ring, r.rx_ring_len, (int)i,
                         REGION_NO_SLOT, false);
        snprintf(name, sizeof(name), "%s rx buffers", n);
        rc |= add_region(e, name, r.rx_bufs, r.rx_bufs_len, (int)i,
                         REGION_NO_SLOT, true);
        snprintf(name, sizeof(name), "%s tx ring", n);
        rc |= add_region(e, name, r.tx_ring, r.tx_ring_len, (int)i,
                         REGION_NO_SLOT, false);
        snprintf(name, sizeof(name), "%s tx buffers", n);
        rc |= add_region(e, name, r.tx_bufs, r.tx_bufs_len, (int)i,
                         REGION_NO_SLOT, true);
        return rc ? -1 : 0;
    }
    for (s = 0; s < AHCI_SLOTS; s++) {
        snprintf(name, sizeof(name), "ahci_%u slot %u header", d->ahci.index, s);
        rc |= add_region(e, name, ahci_slot_header(&d->ahci, s), 32, (int)i,
                         (int)s, false);
    }
    snprintf(name, sizeof(name), "ahci_%u received FIS", d->ahci.index);
    rc |= add_region(e, name, d->ahci.fis, FIS_LEN, (int)i, REGION_FIS, false);
    snprintf(name, sizeof(name), "ahci_%u command tables", d->ahci.index);
    rc |= add_region(e, name, d->ahci.tables, 256ULL * AHCI_SLOTS, (int)i,
                     REGION_NO_SLOT, false);
    for (s = 0; s < AHCI_SLOTS; s++) {
        snprintf(name, sizeof(name), "ahci_%u slot %u buffer", d->ahci.index, s);
        rc |= add_region(e, name, ahci_slot_data(&d->ahci, s), AHCI_CMD_BYTES,
                         (int)i, (int)s, true);
    }
    return rc ? -1 : 0;
}

/*
 * VT-d on, before any device is programmed: tables in a guarded region,
 * every function attached, and the IOVA layout of the VT-d issue: device
 * buffers get low IOVAs in the "low memory" and "kdump reserved" windows
 * (devices alternate between them in scan order, then above the kdump
 * region), mapped to the guest-physical buffers galloc gave them.
 */
static int setup_iommu(struct eng *e)
{
    const struct vtd_window win[] = {
        { REGION_LOW, LOW_START, LOW_END },
        { REGION_KDUMP, KDUMP_ADDR, KDUMP_ADDR + KDUMP_SIZE },
        { "above kdump", KDUMP_ADDR + KDUMP_SIZE, ALLOC_END },
    };
    uint64_t tables, len;

    e->iommu = vtd_rig_new(e->q, e->bus, e->g, win, 3);
    if (!e->iommu)
        return -1;
    tables = vtd_rig_tables(e->iommu, &len);
    if (vtd_rig_map_identity(e->iommu, MSI_PAGE, MSI_PAGE_LEN))
        return -1;
    return add_region(e, "vtd tables", tables, len, -1, REGION_NO_SLOT, false);
}

/* Who owns guarded byte addr: its region's device, or by IOVA window. */
static int byte_owner(const struct eng *e, const struct region *r,
                      uint64_t addr)
{
    const struct vtd_block *b;

    if (r->dev >= 0 || !e->iommu)
        return r->dev;
    b = vtd_rig_block_at(e->iommu, addr);
    return b ? b->owner : -1;
}

/* Fault records into the result, each with the device owning its IOVA. */
static void iommu_results(struct eng *e)
{
    struct crash_result *r = e->res;
    unsigned int i;

    r->iommu = true;
    /* Bytes in the IOVA windows were DMA'd there after the crash path. */
    if (r->low_memory_bytes || r->kdump_bytes)
        r->dma_stopped = false;
    vtd_rig_poll_faults(e->iommu);
    r->translation_on = vtd_translation_on(vtd_rig_unit(e->iommu));
    r->iommu_faults = vtd_rig_nr_faults(e->iommu);
    r->iommu_fault_overflow = vtd_rig_fault_overflow(e->iommu);
    for (i = 0; i < r->iommu_faults && i < CRASH_MAX_FAULTS; i++) {
        const struct vtd_fault *f = vtd_rig_fault(e->iommu, i);
        const struct vtd_block *b;

        if (!f)
            break;
        b = vtd_rig_block_at(e->iommu, f->addr);
        r->fault[i].source_id = f->source_id;
        r->fault[i].reason = f->reason;
        r->fault[i].is_read = f->is_read;
        r->fault[i].iova = f->addr;
        r->fault[i].dev = b ? b->owner : -1;
        r->nr_faults = i + 1;
    }
    for (i = 0; i < vtd_rig_nr_blocks(e->iommu); i++) {
        const struct vtd_block *b = vtd_rig_block(e->iommu, i);
        const struct vtd_window *w = vtd_rig_window(e->iommu, b->window);
        struct crash_iova *o = &r->iova[r->nr_iova];

        if (strcmp(w->name, REGION_LOW) && strcmp(w->name, REGION_KDUMP))
            r->iova_unguarded_bytes += b->len;
        if (r->nr_iova == CRASH_MAX_IOVA)
            continue;
        snprintf(o->name, sizeof(o->name), "%s", b->name);
        snprintf(o->window, sizeof(o->window), "%s", w->name);
        o->iova = b->iova;
        o->length = b->len;
        o->phys = b->phys;
        o->dev = b->owner;
        r->nr_iova++;
    }
}

/* The fault-record probe: e1000_0's next RX buffer loses its mapping. */
static int iommu_probe(struct eng *e)
{
    unsigned int i;

    for (i = 0; i < e->nr_devs; i++) {
        const struct e1000_dev *n = &e->dev[i].e1000;

        if (e->dev[i].kind != DEV_E1000)
            continue;
        note(e, "probe: %s RX buffer %u unmapped", n->name,
             n->frames_sent);
        return vtd_rig_unmap_page(e->iommu, vtd_dma_addr(n->rx_bufs +
                                  (uint64_t)n->frames_sent * E1000_RX_BUF));
    }
    return 0;
}

static int fill_guard(struct eng *e, uint64_t addr, uint64_t len)
{
    uint8_t *buf = malloc(len);
    int rc;

    if (!buf)
        return qts_fail(e->q, "out of memory");
    pattern_fill(e->opts->seed, PATTERN_GUARD, addr, buf, len);
    rc = qts_memwrite(e->q, addr, buf, len);
    free(buf);
    return rc;
}

static int setup_memory(struct eng *e)
{
    unsigned int i;

    e->g = galloc_new(ALLOC_START, ALLOC_END);
    e->region = calloc(MAX_REGIONS, sizeof(*e->region));
    if (!e->g || !e->region)
        return qts_fail(e->q, "out of memory");
    if (galloc_reserve(e->g, KDUMP_ADDR, KDUMP_SIZE, "kdump reserved"))
        return qts_fail(e->q, "cannot reserve the kdump region");
    if (add_region(e, REGION_LOW, LOW_START, LOW_END - LOW_START, -1,
                   REGION_NO_SLOT, true) ||
        add_region(e, REGION_KDUMP, KDUMP_ADDR, KDUMP_SIZE, -1,
                   REGION_NO_SLOT, true))
        return -1;
    for (i = 0; i < e->nr_regions; i++)
        if (fill_guard(e, e->region[i].addr, e->region[i].len))
            return -1;
    return crash_spec_has_iommu(e->opts->spec) ? setup_iommu(e) : 0;
}

/* --- devices ----------------------------------------------------------------- */

static unsigned long raises(struct eng *e, unsigned int pin)
{
    return qts_irq_raises(e->q, pin);
}

/* The IOAPIC pin (not 0, the timer) that rose since the snapshot, or 0. */
static unsigned int new_pin(struct eng *e, const unsigned long *before)
{
    unsigned int pin;

    qts_irq_poll(e->q, 5);
    for (pin = 1; pin < QTS_MAX_IRQ; pin++)
        if (raises(e, pin) > before[pin])
            return pin;
    return 0;
}

/* Guest-physical MSI word of AHCI number index (also its device address). */
static uint64_t msi_word(unsigned int index)
{
    return MSI_PAGE + 8ULL * index;
}

static int setup_devices(struct eng *e)
{
    unsigned long before[QTS_MAX_IRQ];
    unsigned int i, pin, r, first;
    int funcs[CRASH_MAX_DEVS];

    if (qts_irq_intercept_in(e->q, "ioapic"))
        return -1;
    for (i = 0; i < e->nr_devs && i < CRASH_MAX_DEVS; i++)
        funcs[i] = e->dev[i].func;
    for (i = 0; i < e->nr_devs; i++) {
        struct edev *d = &e->dev[i];

        if (e->iommu)
            vtd_rig_device(e->iommu, funcs, e->nr_devs, d->func, (int)i);

        for (pin = 0; pin < QTS_MAX_IRQ; pin++)
            before[pin] = raises(e, pin);
        if (d->kind == DEV_E1000) {
            if (e1000_setup(&d->e1000, e->bus, d->func, e->g))
                return -1;
            e1000_kick_irq(&d->e1000);
            d->pin = new_pin(e, before);
            e1000_ack(&d->e1000);
        } else {
            unsigned int index = d->ahci.index;

            /* GHC.IE after the first D2H FIS raises the line. */
            if (ahci_setup(&d->ahci, e->q, e->bus, d->func, index,
                           e->opts->seed, e->g))
                return -1;
            d->pin = new_pin(e, before);
            ahci_ack(&d->ahci);
            if (ahci_msi_enable(&d->ahci, msi_word(index), msi_word(index),
                                (uint16_t)(MSI_DATA | (index & 0xff))))
                return -1;
        }
        if (e->iommu)
            vtd_rig_device_end(e->iommu);
        first = e->nr_regions;
        if (add_device_regions(e, i))
            return -1;
        for (r = first; r < e->nr_regions; r++)
            if (e->region[r].fill &&
                fill_guard(e, e->region[r].addr, e->region[r].len))
                return -1;
    }
    return qts_error(e->q) ? -1 : 0;
}

/* --- sampling ---------------------------------------------------------------- */

static uint64_t progress(const struct edev *d)
{
    if (d->kind == DEV_E1000)
        return (uint64_t)d->e1000.rx_done + d->e1000.tx_done;
    return (uint64_t)d->ahci.started + d->ahci.completed;
}

static bool blocked_by_bridge(const struct eng *e, const struct edev *d,
                              unsigned int writes)
{
    unsigned int i;

    for (i = 0; i < d->nr_up; i++) {
        unsigned int at = e->written_at[d->up[i]];

        if (at && at <= writes)
            return true;
    }
    return false;
}

/* AHCI events of slots that are not in flight: new requests. */
static bool ahci_new_activity(const struct edev *d,
                              const enum ahci_slot_state *before)
{
    unsigned int s;

    for (s = 0; s < AHCI_SLOTS; s++)
        if (d->ahci.slot[s] != before[s] && !d->inflight[s])
            return true;
    return false;
}

static void sample_dev(struct eng *e, struct edev *d, bool after_path)
{
    enum ahci_slot_state before_slots[AHCI_SLOTS];
    uint64_t before = progress(d);
    bool blocked, is_new;

    if (d->kind == DEV_E1000) {
        e1000_sample(&d->e1000);
    } else {
        memcpy(before_slots, d->ahci.slot, sizeof(before_slots));
        ahci_sample(&d->ahci);
        ahci_msi_poll(&d->ahci);
    }
    if (!e->in_crash || progress(d) == before || d->preserved)
        return;
    blocked = blocked_by_bridge(e, d, e->writes);
    /* Once its in-flight set is known, only those slots may move. */
    is_new = d->kind == DEV_E1000 || !d->inflight_known ||
             ahci_new_activity(d, before_slots);
    d->last_landing = (int)e->writes;
    if (!blocked)
        d->last_landing_pcie = (int)e->writes;
    if (is_new) {
        d->last_new_landing = (int)e->writes;
        if (!blocked)
            d->last_new_landing_pcie = (int)e->writes;
    }
    if (after_path && is_new)
        d->new_after_path = true;
}

static void record_inflight(struct edev *d)
{
    unsigned int s;

    if (d->inflight_known)
        return;
    d->inflight_known = true;
    if (d->kind != DEV_AHCI)
        return;     /* e1000 DMA is one synchronous copy per frame */
    for (s = 0; s < AHCI_SLOTS; s++)
        d->inflight[s] = d->ahci.slot[s] == AHCI_SLOT_STARTED;
}

/* Offer a frame to every NIC, let QEMU take them, sample every device. */
static void offer_and_sample(struct eng *e, bool after_path)
{
    unsigned int i;

    for (i = 0; i < e->nr_devs; i++)
        if (e->dev[i].kind == DEV_E1000)
            e1000_send_frame(&e->dev[i].e1000);
    /* Two round trips: QEMU's main loop has read the datagrams by then. */
    (void)qts_readl(e->q, LOW_START);
    (void)qts_readl(e->q, LOW_START);
    for (i = 0; i < e->nr_devs; i++)
        sample_dev(e, &e->dev[i], after_path);
}

static void write_hook(void *arg, unsigned long nr, uint32_t sbdf,
                       unsigned int reg, uint16_t value)
{
    struct eng *e = arg;
    struct crash_result *r = e->res;
    unsigned int i;
    int f;

    (void)reg;
    e->writes = (unsigned int)nr;
    f = qpci_find(e->bus, sbdf);
    if (f >= 0 && !e->written_at[f])
        e->written_at[f] = (unsigned int)nr;
    if (r->nr_steps < CRASH_MAX_STEPS) {
        r->step[r->nr_steps].sbdf = sbdf;
        r->step[r->nr_steps].value = value;
        r->nr_steps++;
    }
    offer_and_sample(e, false);
    for (i = 0; i < e->nr_devs; i++)
        if (e->dev[i].sbdf == sbdf) {
            e->dev[i].inflight_known = false;
            record_inflight(&e->dev[i]);
        }
}

/* --- workload before the crash ------------------------------------------- */

static void ack_all(struct eng *e)
{
    unsigned int i;

    for (i = 0; i < e->nr_devs; i++) {
        if (e->dev[i].kind == DEV_E1000)
            e1000_ack(&e->dev[i].e1000);
        else
            ahci_ack(&e->dev[i].ahci);
    }
}

/*
 * A live driver before the crash: completed AHCI slots get a new command
 * (the next disk chunk) into their buffer, refilled with the guard pattern
 * first, so the crash finds the queue full.  Never after the crash.
 */
static int refill_ahci(struct eng *e)
{
    unsigned int i, s;
    uint32_t mask;

    for (i = 0; i < e->nr_devs; i++) {
        struct ahci_dev *a = &e->dev[i].ahci;

        if (e->dev[i].kind != DEV_AHCI)
            continue;
        mask = ahci_done_slots(a);
        for (s = 0; s < AHCI_SLOTS; s++)
            if ((mask & (1u << s)) &&
                fill_guard(e, ahci_slot_data(a, s), AHCI_CMD_BYTES))
                return -1;
        if (ahci_issue_slots(a, mask))
            return -1;
    }
    return 0;
}

static int wait_nics_ready(struct eng *e)
{
    double deadline = now_ms() + READY_TIMEOUT_MS;
    unsigned int i, waiting;

    for (i = 0; i < e->nr_devs; i++)
        if (e->dev[i].kind == DEV_E1000)
            e1000_send_frame(&e->dev[i].e1000);
    do {
        sleep_ms(TICK_MS);
        waiting = 0;
        for (i = 0; i < e->nr_devs; i++) {
            struct edev *d = &e->dev[i];

            sample_dev(e, d, false);
            if (d->kind == DEV_E1000 && d->e1000.rx_done == 0)
                waiting++;
        }
        ack_all(e);
        refill_ahci(e);
        qts_irq_poll(e->q, 0);
        if (qts_error(e->q))
            return -1;
    } while (waiting && now_ms() < deadline);
    if (waiting)
        return qts_fail(e->q, "%u e1000 NIC(s) received no frame within %u ms",
                        waiting, READY_TIMEOUT_MS);
    return 0;
}

static int start_workload(struct eng *e)
{
    unsigned int i, t;

    for (i = 0; i < e->nr_devs; i++) {
        struct edev *d = &e->dev[i];

        if (d->kind == DEV_AHCI && ahci_issue_all(&d->ahci))
            return -1;
        if (d->kind == DEV_E1000 && e1000_tx_post(&d->e1000, TX_WARMUP))
            return -1;
    }
    if (wait_nics_ready(e))
        return -1;
    for (t = 0; t < WARMUP_TICKS; t++) {
        for (i = 0; i < e->nr_devs; i++)
            if (e->dev[i].kind == DEV_E1000 && t < TX_WARMUP)
                e1000_tx_ring(&e->dev[i].e1000);
        offer_and_sample(e, false);
        ack_all(e);
        refill_ahci(e);
        qts_irq_poll(e->q, 0);
        sleep_ms(TICK_MS);
    }
    for (i = 0; i < e->nr_devs; i++) {
        struct edev *d = &e->dev[i];

        if (d->kind == DEV_E1000) {
            note(e, "%s: %u frames sent, %u landed, %lu TX datagrams "
                 "before the crash", d->e1000.name, d->e1000.frames_sent,
                 d->e1000.rx_done, d->e1000.tx_datagrams);
            if (d->e1000.rx_done != d->e1000.frames_sent)
                note(e, "%s: not every frame landed before sampling",
                     d->e1000.name);
            e1000_tx_post(&d->e1000, E1000_TX_DESCS);
        } else {
            note(e, "ahci_%u: %lu reads issued, %u started, %u completed, "
                 "%lu MSIs seen before the crash", d->ahci.index,
                 d->ahci.issued, d->ahci.started, d->ahci.completed,
                 d->ahci.msi);
        }
    }
    return qts_error(e->q) ? -1 : 0;
}

/* --- the crash path ----------------------------------------------------------- */

static int cmp_sbdf_desc(const void *a, const void *b)
{
    const struct pcidc_func *x = a, *y = b;

    return x->sbdf < y->sbdf ? 1 : x->sbdf > y->sbdf ? -1 : 0;
}

/*
 * The functions as Xen's alldevs_list holds them: discovered bus by bus,
 * devfn by devfn, each new pci_dev added at the head (list_add), so the
 * list runs from the last discovered to the first.  The seed walks it in
 * that order; pcidc gets the same input.  Each is described by the core's
 * pcidc_describe() from QEMU's config space, as the Xen port does.
 */
static int xen_order(struct eng *e, struct pcidc_func *out, unsigned int max)
{
    char sbdf[16];
    unsigned int i;

    if (e->bus->nr > max)
        return qts_fail(e->q, "too many PCI functions for a plan");
    pcidc_port_user_set_bus(e->bus);
    for (i = 0; i < e->bus->nr; i++) {
        const struct qpci_func *f = &e->bus->func[i];

        if (pcidc_describe(&out[i], f->sbdf,
                           f->preserve ? PCIDC_FUNC_PRESERVE : 0) != PCIDC_OK)
            return qts_fail(e->q, "%s does not answer config reads",
                            crash_sbdf_str(f->sbdf, sbdf, sizeof(sbdf)));
    }
    if (qts_error(e->q))
        return -1;
    qsort(out, e->bus->nr, sizeof(*out), cmp_sbdf_desc);
    return (int)e->bus->nr;
}

/* A fresh core (zeroed, as Xen's) with a plan for policy. */
static int build_core_plan(struct eng *e, enum crash_policy policy)
{
    const struct pcidc_policy seed = PCIDC_POLICY_SEED;
    const struct pcidc_policy dflt = PCIDC_POLICY_DEFAULT;
    struct core_input *in;
    int n, rc;

    free(e->core);
    e->core = in = calloc(1, sizeof(*in));
    if (!in)
        return qts_fail(e->q, "out of memory");
    in->policy = policy == CRASH_SEED ? seed : dflt;
    n = xen_order(e, in->func, QPCI_MAX_FUNCS);
    if (n < 0)
        return -1;
    rc = pcidc_plan_build(&in->dc, in->func, (unsigned int)n, &in->policy);
    if (rc)
        return qts_fail(e->q, "plan building failed: %s", pcidc_strerror(rc));
    return 0;
}

/* Linux's kexec shutdown: clear Bus Master only, children first. */
static void linux_kexec_path(struct eng *e)
{
    unsigned int i;
    uint32_t cmd;

    for (i = e->bus->nr; i-- > 0;) {
        uint32_t sbdf = e->bus->func[i].sbdf;

        cmd = pcidc_port_conf_read32(sbdf, PCIDC_COMMAND) & 0xffff;
        pcidc_port_conf_write16(sbdf, PCIDC_COMMAND,
                                (uint16_t)(cmd & ~PCIDC_COMMAND_MASTER));
    }
}

static void run_crash_path(struct eng *e)
{
    struct pcidc_port_user_counts c;

    pcidc_port_user_set_bus(e->bus);
    pcidc_port_user_reset_counts();
    pcidc_port_user_set_write_hook(write_hook, e);
    e->in_crash = true;
    e->writes = 0;

    switch (e->policy) {
    case CRASH_SEED:
    case CRASH_PCIDC:
        pcidc_crash_disconnect(&e->core->dc);
        break;
    case CRASH_LINUX_KEXEC:
        linux_kexec_path(e);
        break;
    default:
        break;
    }
    pcidc_port_user_set_write_hook(NULL, NULL);
    pcidc_port_user_get_counts(&c);
    e->res->config_writes = c.conf_writes;
    e->res->config_reads = c.conf_reads;
}

/* --- crash state, window, comparison ------------------------------------- */

static void take_baseline(struct edev *d)
{
    d->base_rx_done = d->e1000.rx_done;
    d->base_tx_done = d->e1000.tx_done;
    d->base_rx_bytes = d->e1000.rx_bytes;
    d->base_tx_bytes = d->e1000.tx_bytes;
    d->base_tx_dgrams = d->e1000.tx_datagrams;
    d->base_tx_cs = d->e1000.tx_datagrams_crash_state;
    d->base_completed = d->ahci.completed;
    d->base_bytes = d->ahci.bytes;
    d->base_msi = d->ahci.msi;
    d->queued_at_path = ahci_queued(&d->ahci);
    memcpy(d->slot_at_path, d->ahci.slot, sizeof(d->slot_at_path));
    memcpy(d->prdbc_at_path, d->ahci.prdbc, sizeof(d->prdbc_at_path));
}

/*
 * An AHCI read may land while the snapshot is being read: put back what
 * the memory held when the crash path returned (the slot's buffer still
 * had the guard pattern, PRDBC its old value, the FIS area its old bytes).
 */
static void repair_snapshot(struct eng *e, unsigned int i)
{
    struct edev *d = &e->dev[i];
    unsigned int r, s;
    bool moved = false;

    for (s = 0; s < AHCI_SLOTS; s++)
        if (d->ahci.slot[s] != d->slot_at_path[s])
            moved = true;
    if (!moved)
        return;
    for (r = 0; r < e->nr_regions; r++) {
        struct region *rg = &e->region[r];

        if (rg->dev != (int)i)
            continue;
        if (rg->slot == REGION_FIS) {
            memcpy(rg->crash, d->fis_at_path, FIS_LEN);
        } else if (rg->slot >= 0 &&
                   d->ahci.slot[rg->slot] != d->slot_at_path[rg->slot]) {
            if (rg->fill)
                pattern_fill(e->opts->seed, PATTERN_GUARD, rg->addr,
                             rg->crash, rg->len);
            else
                memcpy(rg->crash + 4, &d->prdbc_at_path[rg->slot], 4);
        }
    }
    note(e, "ahci_%u: a read landed during the crash-state copy; "
         "copy repaired from the last sample", d->ahci.index);
}

static int record_crash_state(struct eng *e)
{
    unsigned int i;

    for (i = 0; i < e->nr_devs; i++) {
        struct edev *d = &e->dev[i];

        sample_dev(e, d, true);
        record_inflight(d);
        take_baseline(d);
        if (d->kind == DEV_AHCI)
            qts_memread(e->q, d->ahci.fis, d->fis_at_path, FIS_LEN);
    }
    for (i = 0; i < e->nr_regions; i++) {
        struct region *r = &e->region[i];

        r->crash = malloc(r->len);
        if (!r->crash)
            return qts_fail(e->q, "out of memory");
        if (qts_memread(e->q, r->addr, r->crash, r->len))
            return -1;
        e->res->guarded_bytes += r->len;
    }
    for (i = 0; i < e->nr_devs; i++) {
        sample_dev(e, &e->dev[i], true);
        if (e->dev[i].kind == DEV_AHCI)
            repair_snapshot(e, i);
    }
    return qts_error(e->q) ? -1 : 0;
}

static int run_window(struct eng *e)
{
    double end = now_ms() + e->opts->window_ms;
    unsigned int i;

    while (now_ms() < end) {
        for (i = 0; i < e->nr_devs; i++)
            if (e->dev[i].kind == DEV_E1000)
                e1000_tx_ring(&e->dev[i].e1000);
        offer_and_sample(e, true);
        qts_irq_poll(e->q, 0);
        /* One fault record until it is cleared: read them as they come. */
        if (e->iommu)
            vtd_rig_poll_faults(e->iommu);
        if (qts_error(e->q))
            return -1;
        sleep_ms(TICK_MS);
    }
    for (i = 0; i < e->nr_devs; i++)
        sample_dev(e, &e->dev[i], true);
    qts_irq_poll(e->q, 0);
    return qts_error(e->q) ? -1 : 0;
}

static bool byte_inflight(const struct eng *e, const struct region *r)
{
    const struct edev *d;
    unsigned int s;
    bool any = false;

    if (r->dev < 0)
        return false;
    d = &e->dev[r->dev];
    if (r->slot >= 0)
        return d->inflight[r->slot];
    if (r->slot != REGION_FIS)
        return false;
    /* The FIS area is shared: in flight only if nothing new ran. */
    if (d->new_after_path)
        return false;
    for (s = 0; s < AHCI_SLOTS; s++)
        any |= d->inflight[s];
    return any;
}

static void add_range(struct eng *e, const struct region *r, uint64_t first,
                      uint64_t last, uint64_t changed, bool inflight, int dev)
{
    struct crash_result *res = e->res;
    struct crash_range *cr;

    if (res->nr_ranges == CRASH_MAX_RANGES) {
        res->ranges_truncated = true;
        return;
    }
    cr = &res->range[res->nr_ranges++];
    snprintf(cr->region, sizeof(cr->region), "%s", r->name);
    cr->offset = first;
    cr->length = last - first + 1;
    cr->changed = changed;
    cr->dev = dev;
    cr->inflight = inflight;
}

static int compare_region(struct eng *e, struct region *r)
{
    struct crash_result *res = e->res;
    uint8_t *now = malloc(r->len);
    uint64_t i, first = 0, last = 0, changed = 0;
    uint64_t *class_bytes = !strcmp(r->name, REGION_LOW) ? &res->low_memory_bytes :
                            !strcmp(r->name, REGION_KDUMP) ? &res->kdump_bytes :
                            &res->crash_state_bytes;
    bool open = false, inflight = byte_inflight(e, r);
    int owner = r->dev, cur = r->dev;

    if (!now)
        return qts_fail(e->q, "out of memory");
    if (qts_memread(e->q, r->addr, now, r->len)) {
        free(now);
        return -1;
    }
    for (i = 0; i < r->len; i++) {
        if (now[i] == r->crash[i])
            continue;
        res->corrupted_bytes++;
        (*class_bytes)++;
        if (inflight)
            res->inflight_bytes++;
        owner = byte_owner(e, r, r->addr + i);
        if (owner >= 0)
            res->dev[owner].corrupted_bytes++;
        if (open && (i - last > RANGE_MERGE_GAP || owner != cur)) {
            add_range(e, r, first, last, changed, inflight, cur);
            open = false;
        }
        if (!open) {
            first = i;
            changed = 0;
            open = true;
            cur = owner;
        }
        last = i;
        changed++;
    }
    if (open)
        add_range(e, r, first, last, changed, inflight, cur);
    free(now);
    return 0;
}

static void dev_results(struct eng *e)
{
    struct crash_result *r = e->res;
    unsigned int i, s, pin;

    r->nr_devs = e->nr_devs;
    for (i = 0; i < e->nr_devs; i++) {
        struct edev *d = &e->dev[i];
        struct crash_dev_result *o = &r->dev[i];

        snprintf(o->name, sizeof(o->name), "%s", e->opts->spec->node[d->node].id);
        o->sbdf = d->sbdf;
        o->preserved = d->preserved;
        o->plan_step = (int)e->written_at[d->func];
        o->irq_pin = d->pin;
        o->last_dma_write = d->last_landing;
        o->last_dma_write_pcie = d->last_landing_pcie;
        if (d->kind == DEV_E1000) {
            o->bytes_written = d->e1000.rx_bytes - d->base_rx_bytes;
            o->bytes_read = d->e1000.tx_bytes - d->base_tx_bytes;
            o->completions = (d->e1000.rx_done - d->base_rx_done) +
                             (d->e1000.tx_done - d->base_tx_done);
            o->tx_packets = d->e1000.tx_datagrams - d->base_tx_dgrams;
            o->tx_crash_state = d->e1000.tx_datagrams_crash_state - d->base_tx_cs;
        } else {
            o->bytes_written = d->ahci.bytes - d->base_bytes;
            o->completions = d->ahci.completed - d->base_completed;
            for (s = 0; s < AHCI_SLOTS; s++)
                o->inflight_requests += d->inflight[s];
            o->msi_enabled = d->ahci.msi_on;
            o->msi = d->ahci.msi - d->base_msi;
            o->queued_at_crash = d->queued_at_path;
            o->throttle_bps = e->ahci_bps;
        }
        pin = d->pin;
        if (pin && pin < QTS_MAX_IRQ)
            o->intx = e->irq_pending[pin] + raises(e, pin) - e->irq_base[pin];
        r->msi_observable |= o->msi_enabled;
        if (d->preserved) {
            r->preserved_dma_bytes += o->bytes_written;
        } else {
            r->tx_packets_after_crash += o->tx_packets;
            r->msi_after_crash += o->msi;
        }
        if (d->preserved)
            continue;
        if (d->last_landing > (int)r->writes_until_quiesced)
            r->writes_until_quiesced = (unsigned int)d->last_landing;
        if (d->last_landing_pcie > (int)r->writes_until_quiesced_pcie)
            r->writes_until_quiesced_pcie = (unsigned int)d->last_landing_pcie;
        if (d->last_new_landing > (int)r->writes_until_quiesced_new)
            r->writes_until_quiesced_new = (unsigned int)d->last_new_landing;
        if (d->last_new_landing_pcie > (int)r->writes_until_quiesced_new_pcie)
            r->writes_until_quiesced_new_pcie =
                (unsigned int)d->last_new_landing_pcie;
        if (d->new_after_path)
            r->dma_stopped = false;
    }
    for (pin = 1; pin < QTS_MAX_IRQ; pin++)
        r->intx_after_crash += e->irq_pending[pin] + raises(e, pin) -
                               e->irq_base[pin];
}

static int compare_all(struct eng *e)
{
    unsigned int i;

    for (i = 0; i < e->nr_regions; i++)
        if (compare_region(e, &e->region[i]))
            return -1;
    return 0;
}

/* --- the run --------------------------------------------------------------- */

static void teardown(struct eng *e)
{
    unsigned int i;

    pcidc_port_user_set_write_hook(NULL, NULL);
    pcidc_port_user_set_bus(NULL);
    for (i = 0; e->dev && i < e->nr_devs; i++)
        if (e->dev[i].kind == DEV_E1000)
            e1000_close(&e->dev[i].e1000);
    vtd_rig_free(e->iommu);
    e->iommu = NULL;
    for (i = 0; e->region && i < e->nr_regions; i++)
        free(e->region[i].crash);
    free(e->region);
    free(e->dev);
    free(e->bus);
    free(e->core);
    if (e->g)
        galloc_destroy(e->g);
    qts_close(e->q);
}

static int fail_from_qts(struct eng *e, struct crash_result *out)
{
    const char *why = e->q ? qts_error(e->q) : NULL;

    snprintf(out->error, sizeof(out->error), "%s",
             why ? why : "out of memory");
    return -1;
}

static int crash_phase(struct eng *e)
{
    unsigned int pin, i;
    double t;

    /* The last thing the live system did: top up the AHCI queues. */
    for (i = 0; i < e->nr_devs; i++)
        if (e->dev[i].kind == DEV_AHCI)
            sample_dev(e, &e->dev[i], false);
    if (refill_ahci(e))
        return -1;
    ack_all(e);
    /*
     * QEMU's AHCI re-sends its MSI when an acknowledgement leaves status
     * bits set: poll the word once more so that MSI is not taken for one
     * sent after the crash.
     */
    for (i = 0; i < e->nr_devs; i++)
        if (e->dev[i].kind == DEV_AHCI)
            ahci_msi_poll(&e->dev[i].ahci);
    qts_irq_poll(e->q, 0);
    if (e->iommu) {
        /* Faults from the set-up and warm-up are not the crash's. */
        vtd_rig_poll_faults(e->iommu);
        vtd_rig_clear_faults(e->iommu);
        if (e->opts->iommu_probe && iommu_probe(e))
            return -1;
    }
    t = now_ms();
    run_crash_path(e);
    /* Then what Xen's iommu_crash_shutdown() does, unless iommu-on. */
    if (e->iommu && e->policy != CRASH_IOMMU_ON && vtd_rig_crash(e->iommu))
        return -1;
    e->res->crash_path_ms = now_ms() - t;
    /* What the kdump kernel would meet: lines still asserted, then edges. */
    qts_irq_poll(e->q, 0);
    for (pin = 1; pin < QTS_MAX_IRQ; pin++) {
        e->irq_base[pin] = raises(e, pin);
        e->irq_pending[pin] = qts_irq_level(e->q, pin) ? 1 : 0;
    }
    if (qts_error(e->q))
        return -1;
    note(e, "crash path: %lu writes, %lu reads in %.1f ms",
         e->res->config_writes, e->res->config_reads, e->res->crash_path_ms);
    return 0;
}

int crash_run(const struct crash_opts *opts, enum crash_policy policy,
              struct crash_result *out)
{
    struct eng *e = calloc(1, sizeof(*e));
    unsigned int i;
    int rc = -1;
    double t;

    memset(out, 0, sizeof(*out));
    out->policy = policy;
    out->dma_stopped = true;
    if (!e) {
        snprintf(out->error, sizeof(out->error), "out of memory");
        return -1;
    }
    e->opts = opts;
    e->policy = policy;
    e->res = out;
    e->t0 = now_ms();

    if (!crash_policy_fits(policy, opts->spec)) {
        snprintf(out->error, sizeof(out->error), "policy %s needs an iommu "
                 "item in the topology", crash_policy_name(policy));
        free(e);
        return -1;
    }
    if (start_qemu(e) || enumerate(e) || find_devices(e) || setup_memory(e) ||
        setup_devices(e))
        goto out;
    if ((policy == CRASH_SEED || policy == CRASH_PCIDC) &&
        build_core_plan(e, policy))
        goto out;
    if (start_workload(e) || crash_phase(e))
        goto out;
    t = now_ms();
    if (record_crash_state(e))
        goto out;
    note(e, "crash state: %llu guarded bytes copied in %.0f ms",
         (unsigned long long)out->guarded_bytes, now_ms() - t);
    if (run_window(e))
        goto out;
    t = now_ms();
    if (compare_all(e))
        goto out;
    /* DMA that landed while the comparison read memory counts too. */
    for (i = 0; i < e->nr_devs; i++)
        sample_dev(e, &e->dev[i], true);
    note(e, "comparison: %.0f ms", now_ms() - t);
    if (qts_error(e->q))
        goto out;
    dev_results(e);
    if (e->iommu)
        iommu_results(e);
    out->qtest_commands = qts_nr_commands(e->q);
    rc = 0;
out:
    if (rc)
        fail_from_qts(e, out);
    teardown(e);
    out->elapsed_ms = now_ms() - e->t0;
    free(e);
    return rc;
}

/* --- --plan-only --------------------------------------------------------- */

static void print_plan(FILE *out, const char *name, const struct crash_step *step,
                       unsigned int n)
{
    char sbdf[16];
    unsigned int i;

    fprintf(out, "%s: %u write%s\n", name, n, n == 1 ? "" : "s");
    for (i = 0; i < n; i++)
        fprintf(out, "  %3u  %s  COMMAND = 0x%04x\n", i + 1,
                crash_sbdf_str(step[i].sbdf, sbdf, sizeof(sbdf)),
                step[i].value);
}

static void plan_of(struct eng *e, enum crash_policy p, FILE *out)
{
    static struct crash_step step[CRASH_MAX_STEPS];
    const struct pcidc_plan *plan;
    unsigned int i, n = 0;

    if (p == CRASH_SEED || p == CRASH_PCIDC) {
        if (build_core_plan(e, p))
            return;
        plan = pcidc_plan_published(&e->core->dc);
        for (i = 0; plan && i < plan->nr_steps && n < CRASH_MAX_STEPS; i++) {
            step[n].sbdf = plan->step[i].sbdf;
            step[n++].value = plan->step[i].value;
        }
    } else if (p == CRASH_LINUX_KEXEC) {
        for (i = e->bus->nr; i-- > 0 && n < CRASH_MAX_STEPS;) {
            uint16_t cmd = qpci_cfg_read16(e->bus, e->bus->func[i].sbdf,
                                           PCIDC_COMMAND);

            step[n].sbdf = e->bus->func[i].sbdf;
            step[n++].value = cmd & ~PCIDC_COMMAND_MASTER;
        }
    }
    print_plan(out, crash_policy_name(p), step, n);
    if (p == CRASH_IOMMU_ON)
        fprintf(out, "  (no disconnect: VT-d translation stays on)\n");
    else if (crash_spec_has_iommu(e->opts->spec))
        fprintf(out, "  then VT-d translation off (GCMD.TE cleared)\n");
    if (p == CRASH_LINUX_KEXEC)
        fprintf(out, "  (read-modify-write: values as COMMAND reads now, "
                "Bus Master cleared)\n");
}

int crash_plan_only(const struct crash_opts *opts,
                    const bool want[CRASH_NR_POLICIES], FILE *out,
                    char *err, size_t errlen)
{
    struct eng *e = calloc(1, sizeof(*e));
    unsigned int p;
    int rc = -1;

    if (!e) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    e->opts = opts;
    e->policy = CRASH_NONE;
    if (!start_qemu(e) && !enumerate(e) && !find_devices(e)) {
        qpci_print(e->bus, out);
        for (p = 0; p < CRASH_NR_POLICIES; p++)
            if (want[p])
                plan_of(e, (enum crash_policy)p, out);
        rc = qts_error(e->q) ? -1 : 0;
    }
    if (rc)
        snprintf(err, errlen, "%s",
                 e->q && qts_error(e->q) ? qts_error(e->q) : "out of memory");
    teardown(e);
    free(e);
    return rc;
}
