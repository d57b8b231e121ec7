/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommu: the crash engine's IOMMU set-up.  See iommu.h.
 */
#include "iommu.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

struct iommu_setup {
    struct qts *qts;
    struct vtd *v;
    int dom;
    struct galloc *g;
    uint64_t tables;

    unsigned int nr_windows;
    struct iova_window window[IOMMU_MAX_WINDOWS];
    uint64_t window_next[IOMMU_MAX_WINDOWS];  /* first free IOVA */

    unsigned int preferred;                 /* window of the current device */
    int owner;                              /* engine index of that device */

    unsigned int nr_blocks;
    struct iova_block block[IOMMU_MAX_BLOCKS];

    unsigned long nr_faults;
    bool fault_overflow;
    struct vtd_fault fault[IOMMU_MAX_FAULTS];
};

static int check_windows(struct qts *q, const struct iova_window *win,
                         unsigned int nwin)
{
    unsigned int i;

    if (nwin == 0 || nwin > IOMMU_MAX_WINDOWS)
        return qts_fail(q, "vtd: %u IOVA windows (1..%d)", nwin,
                        IOMMU_MAX_WINDOWS);
    for (i = 0; i < nwin; i++)
        if (win[i].start % VTD_PAGE || win[i].end % VTD_PAGE ||
            win[i].start == 0 || win[i].start >= win[i].end ||
            win[i].end > (1ULL << VTD_IOVA_BITS))
            return qts_fail(q, "vtd: bad IOVA window %s 0x%" PRIx64
                            "..0x%" PRIx64, win[i].name, win[i].start,
                            win[i].end);
    return 0;
}

struct iommu_setup *iommu_setup_new(struct qts *q, const struct qpci_bus *bus,
                                    struct galloc *g,
                                    const struct iova_window *win,
                                    unsigned int nwin)
{
    uint64_t len = IOMMU_TABLE_PAGES * VTD_PAGE;
    struct iommu_setup *s;
    unsigned int i;

    if (qts_error(q) || check_windows(q, win, nwin))
        return NULL;
    s = calloc(1, sizeof(*s));
    if (!s) {
        qts_fail(q, "vtd: out of memory");
        return NULL;
    }
    s->qts = q;
    s->g = g;
    s->owner = -1;
    s->nr_windows = nwin;
    for (i = 0; i < nwin; i++) {
        s->window[i] = win[i];
        s->window_next[i] = win[i].start;
    }
    s->tables = galloc_alloc(g, len, VTD_PAGE, "vtd tables");
    if (!s->tables) {
        qts_fail(q, "vtd: guest memory for the tables: %s", galloc_error(g));
        free(s);
        return NULL;
    }
    s->v = vtd_new(q, VTD_BASE, s->tables, len);
    if (s->v)
        s->dom = vtd_domain_new(s->v, 1);
    if (!s->v || s->dom < 0 || vtd_attach_all(s->v, bus, s->dom) ||
        vtd_enable(s->v)) {
        iommu_setup_free(s);
        return NULL;
    }
    return s;
}

void iommu_setup_free(struct iommu_setup *s)
{
    if (!s)
        return;
    vtd_free(s->v);
    free(s);
}

bool iommu_translation_on(struct iommu_setup *s)
{
    return vtd_translation_on(s->v);
}

uint64_t iommu_tables(const struct iommu_setup *s, uint64_t *len)
{
    if (len)
        *len = IOMMU_TABLE_PAGES * VTD_PAGE;
    return s->tables;
}

void iommu_device_begin(struct iommu_setup *s, const int *devs,
                        unsigned int n, int func, int owner)
{
    unsigned int i, rank = 0;

    for (i = 0; i < n; i++)
        if (devs[i] < func)
            rank++;
    s->preferred = s->nr_windows > 1 ? rank % 2 : 0;
    s->owner = owner;
}

/* Take len bytes of IOVA in window w, or return 0. */
static uint64_t window_take(struct iommu_setup *s, unsigned int w,
                            uint64_t len)
{
    uint64_t at = s->window_next[w];

    if (len > s->window[w].end - at)
        return 0;
    s->window_next[w] = at + len;
    return at;
}

/* A new block for the galloc region holding phys, mapped; NULL on error. */
static const struct iova_block *block_new(struct iommu_setup *s,
                                          uint64_t phys)
{
    const struct galloc_region *reg = galloc_lookup(s->g, phys);
    struct iova_block *b;
    unsigned int k, w = 0;
    uint64_t iova = 0;

    if (!reg) {
        qts_fail(s->qts, "vtd: a device address was asked for 0x%" PRIx64
                 ", outside every allocation", phys);
        return NULL;
    }
    if (s->nr_blocks == IOMMU_MAX_BLOCKS) {
        qts_fail(s->qts, "vtd: more than %d IOVA blocks", IOMMU_MAX_BLOCKS);
        return NULL;
    }
    /* The preferred window, then every window in order. */
    for (k = 0; k <= s->nr_windows && !iova; k++) {
        w = k == 0 ? s->preferred : k - 1;
        iova = window_take(s, w, reg->size);
    }
    if (!iova) {
        qts_fail(s->qts, "vtd: IOVA windows full (%s: %" PRIu64 " bytes)",
                 reg->name, reg->size);
        return NULL;
    }
    if (vtd_map(s->v, s->dom, iova, reg->addr, reg->size, VTD_PERM_RW))
        return NULL;
    b = &s->block[s->nr_blocks++];
    snprintf(b->name, sizeof(b->name), "%s", reg->name);
    b->phys = reg->addr;
    b->iova = iova;
    b->len = reg->size;
    b->owner = s->owner;
    b->window = w;
    return b;
}

uint64_t iommu_bus_addr(struct iommu_setup *s, uint64_t phys)
{
    const struct iova_block *b = NULL;
    unsigned int i;

    if (qts_error(s->qts))
        return phys;
    for (i = 0; i < s->nr_blocks && !b; i++)
        if (phys >= s->block[i].phys &&
            phys - s->block[i].phys < s->block[i].len)
            b = &s->block[i];
    if (!b)
        b = block_new(s, phys);
    return b ? b->iova + (phys - b->phys) : phys;
}

static uint64_t hook_bus_addr(void *setup, uint64_t phys)
{
    return iommu_bus_addr(setup, phys);
}

struct dma_hook iommu_dma_hook(struct iommu_setup *s)
{
    struct dma_hook hook = { hook_bus_addr, s };

    return hook;
}

void iommu_device_end(struct iommu_setup *s)
{
    unsigned int i;

    for (i = 0; i < galloc_count(s->g) && !qts_error(s->qts); i++) {
        const struct galloc_region *reg = galloc_region_at(s->g, i);

        if (!reg->fixed && reg->addr != s->tables)
            (void)iommu_bus_addr(s, reg->addr);
    }
}

const struct iova_block *iommu_block_at(const struct iommu_setup *s,
                                        uint64_t iova)
{
    unsigned int i;

    for (i = 0; i < s->nr_blocks; i++)
        if (iova >= s->block[i].iova &&
            iova - s->block[i].iova < s->block[i].len)
            return &s->block[i];
    return NULL;
}

unsigned int iommu_nr_blocks(const struct iommu_setup *s)
{
    return s->nr_blocks;
}

const struct iova_block *iommu_block(const struct iommu_setup *s,
                                     unsigned int i)
{
    return i < s->nr_blocks ? &s->block[i] : NULL;
}

const struct iova_window *iommu_window(const struct iommu_setup *s,
                                       unsigned int i)
{
    return i < s->nr_windows ? &s->window[i] : NULL;
}

int iommu_crash_shutdown(struct iommu_setup *s)
{
    return vtd_crash_shutdown(s->v);
}

int iommu_poll_faults(struct iommu_setup *s)
{
    struct vtd_fault f[8];
    bool overflow;
    int n, i;

    n = vtd_faults_collect(s->v, f, 8, &overflow);
    if (n < 0)
        return -1;
    for (i = 0; i < n && i < 8; i++) {
        if (s->nr_faults < IOMMU_MAX_FAULTS)
            s->fault[s->nr_faults] = f[i];
        s->nr_faults++;
    }
    s->fault_overflow |= overflow;
    return n;
}

void iommu_clear_faults(struct iommu_setup *s)
{
    s->nr_faults = 0;
    s->fault_overflow = false;
}

unsigned long iommu_nr_faults(const struct iommu_setup *s)
{
    return s->nr_faults;
}

bool iommu_fault_overflow(const struct iommu_setup *s)
{
    return s->fault_overflow;
}

const struct vtd_fault *iommu_fault(const struct iommu_setup *s,
                                    unsigned int i)
{
    return i < s->nr_faults && i < IOMMU_MAX_FAULTS ? &s->fault[i] : NULL;
}

int iommu_map_identity(struct iommu_setup *s, uint64_t phys, uint64_t len)
{
    unsigned int w;

    for (w = 0; w < s->nr_windows; w++)
        if (phys < s->window[w].end && s->window[w].start < phys + len)
            return qts_fail(s->qts, "vtd: identity map 0x%" PRIx64
                            " overlaps IOVA window %s", phys,
                            s->window[w].name);
    return vtd_map(s->v, s->dom, phys, phys, len, VTD_PERM_RW);
}

int iommu_unmap_page(struct iommu_setup *s, uint64_t iova)
{
    return vtd_unmap(s->v, s->dom, iova & ~(VTD_PAGE - 1), VTD_PAGE);
}
