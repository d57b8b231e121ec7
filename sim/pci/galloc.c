/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * galloc: first-fit guest-physical allocator with named regions.  Regions
 * are kept in an array sorted by address; GALLOC_MAX_REGIONS bounds it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "galloc.h"

struct galloc {
    uint64_t start, end;
    unsigned int nr;
    struct galloc_region region[GALLOC_MAX_REGIONS];
    char err[128];
};

static uint64_t round_up(uint64_t v, uint64_t align)
{
    return (v + align - 1) & ~(align - 1);
}

static bool is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

static void set_err(struct galloc *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_err(struct galloc *g, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(g->err, sizeof(g->err), fmt, ap);
    va_end(ap);
}

const char *galloc_check_range(uint64_t start, uint64_t end)
{
    if (start == 0)
        return "range must not start at address 0";
    if (start % GALLOC_PAGE || end % GALLOC_PAGE)
        return "range must be page-aligned";
    if (end <= start)
        return "range is empty";
    return NULL;
}

struct galloc *galloc_new(uint64_t start, uint64_t end)
{
    struct galloc *g;

    if (galloc_check_range(start, end))
        return NULL;
    g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->start = start;
    g->end = end;
    return g;
}

void galloc_destroy(struct galloc *g)
{
    free(g);
}

const char *galloc_error(const struct galloc *g)
{
    return g->err;
}

/* Insert a region at index i (the array stays sorted). */
static void insert(struct galloc *g, unsigned int i, uint64_t addr,
                   uint64_t size, uint64_t requested, const char *name,
                   bool fixed)
{
    struct galloc_region *r;

    memmove(&g->region[i + 1], &g->region[i],
            (g->nr - i) * sizeof(g->region[0]));
    r = &g->region[i];
    r->addr = addr;
    r->size = size;
    r->requested = requested;
    r->fixed = fixed;
    snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
    g->nr++;
}

uint64_t galloc_alloc(struct galloc *g, uint64_t size, uint64_t align,
                      const char *name)
{
    uint64_t pages, cursor = g->start, addr;
    unsigned int i;

    g->err[0] = '\0';
    if (size == 0 || size > g->end - g->start) {
        set_err(g, "galloc: bad size %" PRIu64 " for '%s'", size,
                name ? name : "");
        return 0;
    }
    if (align < GALLOC_PAGE)
        align = GALLOC_PAGE;
    if (!is_pow2(align)) {
        set_err(g, "galloc: alignment 0x%" PRIx64 " is not a power of two",
                align);
        return 0;
    }
    if (g->nr == GALLOC_MAX_REGIONS) {
        set_err(g, "galloc: more than %d regions", GALLOC_MAX_REGIONS);
        return 0;
    }
    pages = round_up(size, GALLOC_PAGE);
    for (i = 0; i <= g->nr; i++) {
        uint64_t gap_end = i < g->nr ? g->region[i].addr : g->end;

        addr = round_up(cursor, align);
        if (addr >= cursor && addr <= gap_end && gap_end - addr >= pages) {
            insert(g, i, addr, pages, size, name, false);
            return addr;
        }
        if (i < g->nr)
            cursor = g->region[i].addr + g->region[i].size;
    }
    set_err(g, "galloc: no room for %" PRIu64 " bytes ('%s') in "
            "[0x%" PRIx64 ", 0x%" PRIx64 ")", size, name ? name : "",
            g->start, g->end);
    return 0;
}

int galloc_reserve(struct galloc *g, uint64_t addr, uint64_t size,
                   const char *name)
{
    unsigned int i;

    g->err[0] = '\0';
    if (size == 0 || addr % GALLOC_PAGE || size % GALLOC_PAGE ||
        addr < g->start || addr > g->end || size > g->end - addr) {
        set_err(g, "galloc: cannot reserve 0x%" PRIx64 "+0x%" PRIx64
                " ('%s'): outside the range or not page-aligned", addr,
                size, name ? name : "");
        return -1;
    }
    if (g->nr == GALLOC_MAX_REGIONS) {
        set_err(g, "galloc: more than %d regions", GALLOC_MAX_REGIONS);
        return -1;
    }
    for (i = 0; i < g->nr && g->region[i].addr < addr + size; i++) {
        if (g->region[i].addr + g->region[i].size > addr) {
            set_err(g, "galloc: reserving '%s' overlaps '%s'",
                    name ? name : "", g->region[i].name);
            return -1;
        }
    }
    insert(g, i, addr, size, size, name, true);
    return 0;
}

static int index_of(const struct galloc *g, uint64_t addr)
{
    unsigned int lo = 0, hi = g->nr, mid;

    while (lo < hi) {
        mid = (lo + hi) / 2;
        if (g->region[mid].addr + g->region[mid].size <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < g->nr && g->region[lo].addr <= addr)
        return (int)lo;
    return -1;
}

int galloc_free(struct galloc *g, uint64_t addr)
{
    int i = index_of(g, addr);

    if (i < 0 || g->region[i].addr != addr) {
        set_err(g, "galloc: free of 0x%" PRIx64 ", which was not allocated",
                addr);
        return -1;
    }
    g->nr--;
    memmove(&g->region[i], &g->region[i + 1],
            (g->nr - (unsigned int)i) * sizeof(g->region[0]));
    return 0;
}

const struct galloc_region *galloc_lookup(const struct galloc *g,
                                          uint64_t addr)
{
    int i = index_of(g, addr);

    return i < 0 ? NULL : &g->region[i];
}

unsigned int galloc_count(const struct galloc *g)
{
    return g->nr;
}

const struct galloc_region *galloc_region_at(const struct galloc *g,
                                             unsigned int i)
{
    return i < g->nr ? &g->region[i] : NULL;
}

uint64_t galloc_used(const struct galloc *g)
{
    uint64_t used = 0;
    unsigned int i;

    for (i = 0; i < g->nr; i++)
        used += g->region[i].size;
    return used;
}

unsigned int galloc_leaks(const struct galloc *g, FILE *out)
{
    unsigned int i;

    for (i = 0; out && i < g->nr; i++)
        fprintf(out, "galloc: leaked %s at 0x%" PRIx64 " (%" PRIu64
                " bytes)\n", g->region[i].name, g->region[i].addr,
                g->region[i].requested);
    return g->nr;
}
