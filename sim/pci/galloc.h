/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * galloc: guest-physical memory allocator over one address range, with
 * named regions (for reports: "which buffer did that DMA hit?") and a leak
 * check at teardown.  Pure bookkeeping: it never touches guest memory.
 *
 * Allocations are page-aligned (GALLOC_PAGE) and rounded up to whole pages,
 * first fit from the low end.  Address 0 is never handed out: galloc_alloc
 * returns 0 for failure, with the reason in galloc_error().
 */
#ifndef SIM_GALLOC_H
#define SIM_GALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GALLOC_PAGE        4096ULL
#define GALLOC_NAME_LEN    32
#define GALLOC_MAX_REGIONS 1024

struct galloc_region {
    uint64_t addr;
    uint64_t size;                  /* rounded up to pages */
    uint64_t requested;             /* size asked for */
    char name[GALLOC_NAME_LEN];     /* truncated copy */
    bool fixed;                     /* from galloc_reserve() */
};

struct galloc;

/*
 * Allocator over [start, end): both page-aligned, start > 0, start < end.
 * NULL on bad range or no memory (message on stderr is not printed; use
 * galloc_check_range() first to get a reason).
 */
struct galloc *galloc_new(uint64_t start, uint64_t end);
/* Frees the allocator; does not check leaks (call galloc_leaks first). */
void galloc_destroy(struct galloc *g);

/* NULL if [start, end) is acceptable, else a constant reason. */
const char *galloc_check_range(uint64_t start, uint64_t end);

/*
 * size bytes (> 0) aligned to align (0 or a power of two; at least a
 * page), named name.  Returns the guest address or 0.
 */
uint64_t galloc_alloc(struct galloc *g, uint64_t size, uint64_t align,
                      const char *name);

/* Claim [addr, addr + size) exactly (page-aligned).  Returns 0 or -1. */
int galloc_reserve(struct galloc *g, uint64_t addr, uint64_t size,
                   const char *name);

/* Release the region starting at addr.  Returns 0 or -1 (not allocated). */
int galloc_free(struct galloc *g, uint64_t addr);

/* The region containing addr, or NULL. */
const struct galloc_region *galloc_lookup(const struct galloc *g,
                                          uint64_t addr);

/* Live regions, sorted by address: count and i-th. */
unsigned int galloc_count(const struct galloc *g);
const struct galloc_region *galloc_region_at(const struct galloc *g,
                                             unsigned int i);

/* Bytes in live regions (page-rounded). */
uint64_t galloc_used(const struct galloc *g);

/*
 * Leak check: number of live regions; when out is non-NULL, one line per
 * region ("galloc: leaked NAME at 0x... (N bytes)") is printed there.
 */
unsigned int galloc_leaks(const struct galloc *g, FILE *out);

/* The last failure's reason ("" when none). */
const char *galloc_error(const struct galloc *g);

#endif /* SIM_GALLOC_H */
