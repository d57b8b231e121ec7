/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * guarded: the memory the engine watches.  Guest memory is laid out
 * (engine.h), "low memory", "kdump reserved" and every DMA buffer become
 * guarded regions filled with the --seed guard pattern; when the crash
 * path has returned every guarded byte is copied (the crash state), and
 * after the window compared against that copy, each changed byte
 * attributed to a device (by region, or by IOVA block) and to an AHCI
 * request in flight or not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "base/pattern.h"

#define RANGE_MERGE_GAP     64
#define MAX_REGIONS         4096

/* --- regions and their guard fill ---------------------------------------- */

static int add_region(struct crash_machine *m, const char *name,
                      uint64_t addr, uint64_t len, int dev, int slot,
                      bool fill)
{
    struct guarded_region *r;

    if (m->nr_regions == MAX_REGIONS)
        return qts_fail(m->q, "too many guarded regions");
    r = &m->region[m->nr_regions++];
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->addr = addr;
    r->len = len;
    r->dev = dev;
    r->slot = slot;
    r->fill = fill;
    return 0;
}

int guard_region(struct crash_machine *m, const char *name, uint64_t addr,
                 uint64_t len, int dev, int slot, bool fill)
{
    return add_region(m, name, addr, len, dev, slot, fill);
}

int guard_fill(struct crash_machine *m, uint64_t addr, uint64_t len)
{
    uint8_t *buf = malloc(len);
    int rc;

    if (!buf)
        return qts_fail(m->q, "out of memory");
    pattern_fill(m->opts->seed, PATTERN_GUARD, addr, buf, len);
    rc = qts_memwrite(m->q, addr, buf, len);
    free(buf);
    return rc;
}

static int add_e1000_regions(struct crash_machine *m, unsigned int i)
{
    const struct e1000_dev *nic = &m->dev[i].e1000;
    char name[CRASH_REGION_LEN];
    struct e1000_ranges r;
    int rc = 0;

    e1000_ranges(nic, &r);
    snprintf(name, sizeof(name), "%s rx ring", nic->name);
    rc |= add_region(m, name, r.rx_ring, r.rx_ring_len, (int)i,
                     REGION_NO_SLOT, false);
    snprintf(name, sizeof(name), "%s rx buffers", nic->name);
    rc |= add_region(m, name, r.rx_bufs, r.rx_bufs_len, (int)i,
                     REGION_NO_SLOT, true);
    snprintf(name, sizeof(name), "%s tx ring", nic->name);
    rc |= add_region(m, name, r.tx_ring, r.tx_ring_len, (int)i,
                     REGION_NO_SLOT, false);
    snprintf(name, sizeof(name), "%s tx buffers", nic->name);
    rc |= add_region(m, name, r.tx_bufs, r.tx_bufs_len, (int)i,
                     REGION_NO_SLOT, true);
    return rc ? -1 : 0;
}

static int add_ahci_regions(struct crash_machine *m, unsigned int i)
{
    const struct ahci_dev *a = &m->dev[i].ahci;
    char name[CRASH_REGION_LEN];
    unsigned int s;
    int rc = 0;

    for (s = 0; s < AHCI_SLOTS; s++) {
        snprintf(name, sizeof(name), "ahci_%u slot %u header", a->index, s);
        rc |= add_region(m, name, ahci_slot_header(a, s), 32, (int)i,
                         (int)s, false);
    }
    snprintf(name, sizeof(name), "ahci_%u received FIS", a->index);
    rc |= add_region(m, name, a->fis, FIS_LEN, (int)i, REGION_FIS, false);
    snprintf(name, sizeof(name), "ahci_%u command tables", a->index);
    rc |= add_region(m, name, a->tables, 256ULL * AHCI_SLOTS, (int)i,
                     REGION_NO_SLOT, false);
    for (s = 0; s < AHCI_SLOTS; s++) {
        snprintf(name, sizeof(name), "ahci_%u slot %u buffer", a->index, s);
        rc |= add_region(m, name, ahci_slot_data(a, s), AHCI_CMD_BYTES,
                         (int)i, (int)s, true);
    }
    return rc ? -1 : 0;
}

int guard_device_regions(struct crash_machine *m, unsigned int i)
{
    unsigned int first = m->nr_regions, r;
    int rc;

    if (m->dev[i].preserved)
        return 0;       /* a live console's own buffers: not crash state */
    rc = m->dev[i].ops ? m->dev[i].ops->regions(m, i) :
         m->dev[i].kind == DEV_E1000 ? add_e1000_regions(m, i)
                                     : add_ahci_regions(m, i);
    if (rc)
        return -1;
    for (r = first; r < m->nr_regions; r++)
        if (m->region[r].fill &&
            guard_fill(m, m->region[r].addr, m->region[r].len))
            return -1;
    return 0;
}

/*
 * VT-d on, before any device is programmed: tables in a guarded region,
 * every function attached, and the IOVA layout of the VT-d issue: device
 * buffers get low IOVAs in the "low memory" and "kdump reserved" windows
 * (devices alternate between them in scan order, then above the kdump
 * region), mapped to the guest-physical buffers galloc gave them.
 */
static int setup_iommu(struct crash_machine *m)
{
    const struct iova_window win[] = {
        { REGION_LOW, LOW_START, LOW_END },
        { REGION_KDUMP, KDUMP_ADDR, KDUMP_ADDR + KDUMP_SIZE },
        { "above kdump", KDUMP_ADDR + KDUMP_SIZE, ALLOC_END },
    };
    uint64_t tables, len;

    m->iommu = iommu_setup_new(m->q, m->bus, m->g, win, 3);
    if (!m->iommu)
        return -1;
    tables = iommu_tables(m->iommu, &len);
    if (iommu_map_identity(m->iommu, MSI_PAGE, MSI_PAGE_LEN))
        return -1;
    return add_region(m, "vtd tables", tables, len, -1, REGION_NO_SLOT,
                      false);
}

int guard_setup_memory(struct crash_machine *m)
{
    unsigned int i;

    m->g = galloc_new(ALLOC_START, ALLOC_END);
    m->region = calloc(MAX_REGIONS, sizeof(*m->region));
    if (!m->g || !m->region)
        return qts_fail(m->q, "out of memory");
    if (galloc_reserve(m->g, KDUMP_ADDR, KDUMP_SIZE, "kdump reserved"))
        return qts_fail(m->q, "cannot reserve the kdump region");
    if (add_region(m, REGION_LOW, LOW_START, LOW_END - LOW_START, -1,
                   REGION_NO_SLOT, true) ||
        add_region(m, REGION_KDUMP, KDUMP_ADDR, KDUMP_SIZE, -1,
                   REGION_NO_SLOT, true))
        return -1;
    for (i = 0; i < m->nr_regions; i++)
        if (guard_fill(m, m->region[i].addr, m->region[i].len))
            return -1;
    return crash_spec_has_iommu(m->opts->spec) ? setup_iommu(m) : 0;
}

/* --- the crash state ----------------------------------------------------- */

static void take_baseline(struct dma_endpoint *d)
{
    if (d->ops) {
        d->ops->baseline(d);
        return;
    }
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
static void repair_snapshot(struct crash_machine *m, unsigned int i)
{
    struct dma_endpoint *d = &m->dev[i];
    unsigned int r, s;
    bool moved = false;

    for (s = 0; s < AHCI_SLOTS; s++)
        if (d->ahci.slot[s] != d->slot_at_path[s])
            moved = true;
    if (!moved)
        return;
    for (r = 0; r < m->nr_regions; r++) {
        struct guarded_region *rg = &m->region[r];

        if (rg->dev != (int)i)
            continue;
        if (rg->slot == REGION_FIS) {
            memcpy(rg->crash, d->fis_at_path, FIS_LEN);
        } else if (rg->slot >= 0 &&
                   d->ahci.slot[rg->slot] != d->slot_at_path[rg->slot]) {
            if (rg->fill)
                pattern_fill(m->opts->seed, PATTERN_GUARD, rg->addr,
                             rg->crash, rg->len);
            else
                memcpy(rg->crash + 4, &d->prdbc_at_path[rg->slot], 4);
        }
    }
    engine_note(m, "ahci_%u: a read landed during the crash-state copy; "
                "copy repaired from the last sample", d->ahci.index);
}

int guard_record_crash_state(struct crash_machine *m)
{
    unsigned int i;

    for (i = 0; i < m->nr_devs; i++) {
        struct dma_endpoint *d = &m->dev[i];

        workload_sample_dev(m, d, true);
        workload_record_inflight(d);
        take_baseline(d);
        if (d->kind == DEV_AHCI)
            qts_memread(m->q, d->ahci.fis, d->fis_at_path, FIS_LEN);
    }
    for (i = 0; i < m->nr_regions; i++) {
        struct guarded_region *r = &m->region[i];

        r->crash = malloc(r->len);
        if (!r->crash)
            return qts_fail(m->q, "out of memory");
        if (qts_memread(m->q, r->addr, r->crash, r->len))
            return -1;
        m->res->guarded_bytes += r->len;
    }
    for (i = 0; i < m->nr_devs; i++) {
        workload_sample_dev(m, &m->dev[i], true);
        if (m->dev[i].kind == DEV_AHCI)
            repair_snapshot(m, i);
    }
    return qts_error(m->q) ? -1 : 0;
}

/* --- the comparison ------------------------------------------------------ */

/* Who owns guarded byte addr: its region's device, or by IOVA block. */
static int byte_owner(const struct crash_machine *m,
                      const struct guarded_region *r, uint64_t addr)
{
    const struct iova_block *b;

    if (r->dev >= 0 || !m->iommu)
        return r->dev;
    b = iommu_block_at(m->iommu, addr);
    return b ? b->owner : -1;
}

static bool region_inflight(const struct crash_machine *m,
                            const struct guarded_region *r)
{
    const struct dma_endpoint *d;
    unsigned int s;
    bool any = false;

    if (r->dev < 0)
        return false;
    d = &m->dev[r->dev];
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

/* A run of changed bytes [first, last] of a region, owned by dev. */
struct changed_span {
    uint64_t first, last, changed;
    int dev;
};

static void add_range(struct crash_machine *m, const struct guarded_region *r,
                      const struct changed_span *sp, bool inflight)
{
    struct crash_result *res = m->res;
    struct crash_range *cr;

    if (res->nr_ranges == CRASH_MAX_RANGES) {
        res->ranges_truncated = true;
        return;
    }
    cr = &res->range[res->nr_ranges++];
    snprintf(cr->region, sizeof(cr->region), "%s", r->name);
    cr->offset = sp->first;
    cr->length = sp->last - sp->first + 1;
    cr->changed = sp->changed;
    cr->dev = sp->dev;
    cr->inflight = inflight;
}

/* The result's counter for bytes of region r: low, kdump, crash state. */
static uint64_t *class_bytes(struct crash_result *res,
                             const struct guarded_region *r)
{
    if (!strcmp(r->name, REGION_LOW))
        return &res->low_memory_bytes;
    if (!strcmp(r->name, REGION_KDUMP))
        return &res->kdump_bytes;
    return &res->crash_state_bytes;
}

/* Count and attribute every byte of now that differs from r's copy. */
static void compare_bytes(struct crash_machine *m,
                          const struct guarded_region *r, const uint8_t *now)
{
    struct crash_result *res = m->res;
    uint64_t *class = class_bytes(res, r);
    struct changed_span sp = { 0, 0, 0, r->dev };
    bool open = false, inflight = region_inflight(m, r);
    uint64_t i;
    int owner;

    for (i = 0; i < r->len; i++) {
        if (now[i] == r->crash[i])
            continue;
        res->corrupted_bytes++;
        (*class)++;
        if (inflight)
            res->inflight_bytes++;
        owner = byte_owner(m, r, r->addr + i);
        if (owner >= 0)
            res->dev[owner].corrupted_bytes++;
        if (open && (i - sp.last > RANGE_MERGE_GAP || owner != sp.dev)) {
            add_range(m, r, &sp, inflight);
            open = false;
        }
        if (!open) {
            sp.first = i;
            sp.changed = 0;
            sp.dev = owner;
            open = true;
        }
        sp.last = i;
        sp.changed++;
    }
    if (open)
        add_range(m, r, &sp, inflight);
}

int guard_compare_all(struct crash_machine *m)
{
    unsigned int i;

    for (i = 0; i < m->nr_regions; i++) {
        struct guarded_region *r = &m->region[i];
        uint8_t *now = malloc(r->len);

        if (!now)
            return qts_fail(m->q, "out of memory");
        if (qts_memread(m->q, r->addr, now, r->len)) {
            free(now);
            return -1;
        }
        compare_bytes(m, r, now);
        free(now);
    }
    return 0;
}
