/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vtd_unit: the driver's state of one VT-d unit, shared by vtd.c (registers,
 * translation on and off, faults) and vtd_tables.c (table pages, domains,
 * mappings, context entries).  Private to sim/dev/.
 */
#ifndef SIM_DEV_VTD_UNIT_H
#define SIM_DEV_VTD_UNIT_H

#include <stdbool.h>
#include <stdint.h>

#include "vtd.h"

#define VTD_ENTRIES_PER_TABLE   512

struct vtd_page {
    uint64_t gpa;
    uint64_t entry[VTD_ENTRIES_PER_TABLE];
};

struct vtd_domain {
    uint16_t did;
    int top;                    /* page index of the level-3 table */
};

struct vtd {
    struct qts *qts;
    uint64_t base;
    uint64_t cap;
    uint64_t ecap;
    unsigned int fro;           /* byte offset of fault record 0 */
    unsigned int nfr;
    unsigned int iotlb_reg;     /* byte offset of the IOTLB register */

    uint64_t table_base;
    unsigned int max_pages;
    unsigned int nr_pages;      /* page 0: root table */
    struct vtd_page **page;

    int ctx_page[256];          /* bus -> context table page, -1: none */
    int ctx_domain[256][256];   /* bus, devfn -> domain handle, -1: none */

    unsigned int nr_domains;
    struct vtd_domain domain[VTD_MAX_DOMAINS];

    bool live;                  /* root pointer set: changes need flushing */
};

static inline bool vtd_failed(const struct vtd *v)
{
    return qts_error(v->qts) != NULL;
}

/*
 * Take the next page of the table region, zeroed in the guest and in the
 * host copy: its page index, or -1 (vtd_tables.c).
 */
int vtd_page_take(struct vtd *v);

/*
 * After a change to tables the unit may have cached: flush when the root
 * pointer is live (vtd.c).  Returns 0 or -1.
 */
int vtd_after_change(struct vtd *v);

#endif /* SIM_DEV_VTD_UNIT_H */
